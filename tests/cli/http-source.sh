#!/bin/sh
# http-source.sh: http:// inputs (single files, streamed) against
# tests/tools/http-fixture.js: gzip and tar.zst files read like local ones, a
# dropped connection and 503s survived, a 404 named with the other inputs
# still read, user:password@ masked everywhere, the checkpoint keyed by URL
# with the ETag, a changed file noticed, and a resume that asks for exactly
# the acknowledged byte with a Range.
. "$top_srcdir/tests/setup.sh"
. "$top_srcdir/tests/server/lib-receiver.sh"
. "$top_srcdir/tests/cli/lib-remote.sh"
need_cmd node jq gzip zstd tar
GEN=$top_builddir/tests/tools/gen-records
spans() {
    jq -r '.resourceSpans[].scopeSpans[].spans[] | .traceId + " " + .spanId' "$@" | sort
}

mkdir -p "$T/www" "$T/tarin"
"$GEN" 500 21 | gzip >"$T/www/a.jsonl.gz"
"$GEN" 100 22 >"$T/tarin/m1.jsonl"
"$GEN" 100 23 | gzip >"$T/tarin/m2.jsonl.gz"
tar -C "$T/tarin" -cf - m1.jsonl m2.jsonl.gz | zstd -q >"$T/www/b.tar.zst"
"$GEN" 3000 24 >"$T/www/big.jsonl"
start_http_fixture "$T/www"

"$TRACEFILL" run -q -o "$T/ref.jsonl" "$T/www/a.jsonl.gz" "$T/www/b.tar.zst"
spans "$T/ref.jsonl" >"$T/want"
run_tf rc run --no-progress -o "$T/got.jsonl" "$HTTP_URL/a.jsonl.gz" "$HTTP_URL/b.tar.zst"
is "$rc" 0 "a gzip file and a tar.zst archive over HTTP: exit 0"
spans "$T/got.jsonl" >"$T/got"
check "the spans are those of the same files read from disk" -- cmp "$T/want" "$T/got"
run_tf rc inspect "$HTTP_URL/b.tar.zst"
contains "$T/out" "$HTTP_URL/b.tar.zst:m2.jsonl.gz" "archive members are named URL:member"

run_tf rc run --no-progress -o "$T/flaky.jsonl" "$HTTP_URL/fail/2/reset/10000/a.jsonl.gz" "$HTTP_URL/b.tar.zst"
is "$rc" 0 "two 503s and a connection dropped after 10000 bytes: exit 0"
spans "$T/flaky.jsonl" >"$T/got"
check "and every span is there once" -- cmp "$T/want" "$T/got"
contains "$HTTP_LOG" "GET /fail/2/reset/10000/a.jsonl.gz range=bytes=10000- if-match=\"$(fixture_etag "$T/www/a.jsonl.gz")\" -> 206" \
    "the drop was resumed at byte 10000, pinned to the ETag"

run_tf rc run --no-progress -o "$T/nf.jsonl" "http://user:pa55-secret@127.0.0.1:${HTTP_URL##*:}/missing.jsonl" "$HTTP_URL/a.jsonl.gz"
is "$rc" 4 "a 404 is an input error (exit 4)"
contains "$T/err" "http://***@127.0.0.1:${HTTP_URL##*:}/missing.jsonl: HTTP 404 Not Found" "naming the URL, user and password masked"
lacks "$T/err" "pa55-secret" "the password is not shown"
is "$(spans "$T/nf.jsonl" | wc -l | tr -d ' ')" 2000 "the other input is still read"

run_tf rc run --no-progress -o "$T/ck.jsonl" --checkpoint "$T/ck.json" "$HTTP_URL/a.jsonl.gz"
is "$(jq -r '.streams[0].key' "$T/ck.json")" "$HTTP_URL/a.jsonl.gz" "the checkpoint is keyed by the URL"
is "$(jq -r '.streams[0].etag' "$T/ck.json")" "$(fixture_etag "$T/www/a.jsonl.gz")" "with the file's ETag"
"$GEN" 500 25 | gzip >"$T/www/a.jsonl.gz"
run_tf rc run --no-progress -o "$T/ck2.jsonl" --checkpoint "$T/ck.json" --on-changed skip "$HTTP_URL/a.jsonl.gz"
is "$rc" 4 "a changed file with --on-changed skip: exit 4"
contains "$T/err" "$HTTP_URL/a.jsonl.gz:" "the changed URL is named"

# Resume: SIGTERM part-way, then the rest is asked for from exactly the
# acknowledged byte.
start_receiver
args="run --no-progress --endpoint $RECV_URL --checkpoint $T/ckr.json --checkpoint-interval 100ms --rate-limit 3000 --batch-spans 100 $HTTP_URL/big.jsonl"
"$TRACEFILL" $args >"$T/r1.out" 2>"$T/r1.err" &
pid=$!
recv_wait_requests 10 20 || true
kill -TERM $pid
rc=0; wait $pid || rc=$?
is "$rc" 75 "SIGTERM part-way exits 75"
off=$(jq '.streams[0].offset' "$T/ckr.json")
[ "$off" -gt 0 ] && pass "the checkpoint holds a partial offset ($off)" || fail "no partial offset"
: >"$HTTP_LOG"
run_tf rc $args
is "$rc" 0 "the resumed run finishes"
contains "$HTTP_LOG" "GET /big.jsonl range=bytes=$off- if-match=\"$(fixture_etag "$T/www/big.jsonl")\" -> 206" \
    "the rest was fetched from byte $off with one ranged request"
"$TRACEFILL" run -q -o "$T/ref-big.jsonl" "$T/www/big.jsonl"
spans "$T/ref-big.jsonl" >"$T/want"
awk '{print $1" "$2}' "$RECV_DIR/spans.log" | sort -u >"$T/got"
check "every span arrived at least once" -- cmp "$T/want" "$T/got"

# --s3-endpoint that is no URL: a usage error that does not echo the value
# (it may hold a password).
run_tf rc run --s3-endpoint 'user:pw-s3cret@host' -o "$T/x.jsonl" s3://b/
is "$rc" 2 "--s3-endpoint without http(s):// is a usage error"
lacks "$T/err" "pw-s3cret" "and the value is not echoed"
