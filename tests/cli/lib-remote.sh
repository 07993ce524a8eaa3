# tests/cli/lib-remote.sh: servers for the remote-input tests. Source after
# tests/setup.sh (which gives $T, at_exit, diag).
#
#   start_http_fixture DIR   serve DIR with tests/tools/http-fixture.js (Node's
#                            http module): sets HTTP_URL (http://127.0.0.1:PORT),
#                            HTTP_LOG (one line per request), HTTP_PID
#   need_s3rver              skip the whole test unless the npm package s3rver
#                            (version 3: npm install -g s3rver@3) is installed
#   start_s3rver BUCKET...   a fresh s3rver on 127.0.0.1 with these buckets:
#                            sets S3_URL, S3_LOG (its request log), S3_PID
#   s3_put BUCKET KEY FILE   upload FILE through the S3 API (a plain PUT)
#   fixture_etag FILE        the ETag http-fixture.js gives FILE (computed here
#                            with sha256sum, independently of the server)

_remote_n=0

_wait_file() { # FILE PID WHAT
    _i=0
    while [ ! -s "$1" ]; do
        kill -0 "$2" 2>/dev/null || { diag "$3 exited before it was ready"; return 1; }
        _i=$((_i + 1))
        [ "$_i" -le 300 ] || { diag "$3 was not ready within 15 s"; return 1; }
        sleep 0.05
    done
}

start_http_fixture() {
    _remote_n=$((_remote_n + 1))
    _d=$T/http-$_remote_n
    mkdir -p "$_d"
    : >"$_d/log"
    node "$top_srcdir/tests/tools/http-fixture.js" "$1" "$_d/port" "$_d/log" >"$_d/stdout" 2>"$_d/stderr" &
    HTTP_PID=$!
    at_exit "kill $HTTP_PID 2>/dev/null || true"
    _wait_file "$_d/port" "$HTTP_PID" "http-fixture.js" || { diag "$(cat "$_d/stderr")"; return 1; }
    HTTP_URL=http://127.0.0.1:$(cat "$_d/port")
    HTTP_LOG=$_d/log
}

fixture_etag() {
    sha256sum "$1" | cut -c1-32
}

# s3rver is an npm package, not a Debian one: it is looked up here rather than
# with need_cmd (whose tools must come from .ci/deps); CI installs it with npm.
need_s3rver() {
    need_cmd node curl
    : "${S3RVER:=$(command -v s3rver 2>/dev/null || true)}"
    if [ -z "$S3RVER" ]; then
        echo "1..0 # SKIP s3rver is not installed (npm install -g s3rver@3)"
        trap - EXIT
        rm -rf "$T"
        exit 0
    fi
}

start_s3rver() {
    _remote_n=$((_remote_n + 1))
    _d=$T/s3-$_remote_n
    mkdir -p "$_d/data"
    _args=""
    for _b in "$@"; do _args="$_args --configure-bucket $_b"; done
    # s3rver 3 on Node 17+ needs OpenSSL's legacy provider for the cipher of its
    # continuation tokens, or listings over 1,000 keys fail.
    NODE_OPTIONS=--openssl-legacy-provider "$S3RVER" -d "$_d/data" -a 127.0.0.1 -p 0 $_args \
        >"$_d/log" 2>"$_d/stderr" &
    S3_PID=$!
    at_exit "kill $S3_PID 2>/dev/null || true"
    _i=0
    while ! grep -q 'listening on' "$_d/log" 2>/dev/null; do
        kill -0 "$S3_PID" 2>/dev/null || { diag "s3rver exited:" "$(cat "$_d/stderr")"; return 1; }
        _i=$((_i + 1))
        [ "$_i" -le 300 ] || { diag "s3rver did not start within 15 s"; return 1; }
        sleep 0.05
    done
    S3_URL=http://127.0.0.1:$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$_d/log" | head -n1)
    S3_LOG=$_d/log
}

s3_put() {
    curl -sS -f -o /dev/null -T "$3" "$S3_URL/$1/$2"
}
