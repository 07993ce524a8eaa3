#!/bin/sh
# httpget.sh: the streamed HTTP GET under the remote inputs (through
# tests/tools/remote-cat) against tests/tools/http-fixture.js: bodies arrive
# byte-exact through the bounded buffer, a dropped connection resumes with
# a Range and If-Match on the first ETag, 503s are retried and then given
# up on, a replaced file is noticed instead of mixed, a server that ignores
# Range is refused, and jumps ahead (restart at a byte) fetch only the rest.
. "$top_srcdir/tests/setup.sh"
. "$top_srcdir/tests/cli/lib-remote.sh"
need_cmd node
CAT=$top_builddir/tests/tools/remote-cat

mkdir -p "$T/www"
head -c 3000000 /dev/urandom >"$T/www/big.bin"
printf 'hello\n' >"$T/www/small.txt"
start_http_fixture "$T/www"
etag=$(fixture_etag "$T/www/big.bin")
want=$(sha256sum <"$T/www/big.bin" | cut -d' ' -f1)

"$CAT" "$HTTP_URL/big.bin" >"$T/o" 2>"$T/e" && rc=0 || rc=$?
is "$rc:$(sha256sum <"$T/o" | cut -d' ' -f1)" "0:$want" "a 3 MB body arrives byte-exact"
contains "$T/e" "etag $etag" "the ETag is read (unquoted)"

: >"$HTTP_LOG"
"$CAT" "$HTTP_URL/reset/1000000/big.bin" >"$T/o" 2>"$T/e" && rc=0 || rc=$?
is "$rc:$(sha256sum <"$T/o" | cut -d' ' -f1)" "0:$want" "a connection dropped after 1,000,000 bytes: the body is still exact"
contains "$HTTP_LOG" "range=bytes=1000000- if-match=\"$etag\" -> 206" \
    "the retry asks for bytes 1000000- with If-Match on the first ETag"
is "$(wc -l <"$HTTP_LOG" | tr -d ' ')" 2 "two requests in all"

: >"$HTTP_LOG"
"$CAT" "$HTTP_URL/fail/2/small.txt" >"$T/o" 2>"$T/e" && rc=0 || rc=$?
is "$rc:$(cat "$T/o")" "0:hello" "two 503s, then the file"
is "$(grep -c ' -> 503' "$HTTP_LOG")" 2 "both 503s were retried"

"$CAT" "$HTTP_URL/fail/9/small.txt" >"$T/o" 2>"$T/e" && rc=0 || rc=$?
is "$rc" 1 "503 on every attempt: failure"
contains "$T/e" "/fail/9/small.txt: HTTP 503 Service Unavailable (after 4 attempts)" "the message names the URL, the status and the attempts"

"$CAT" "$HTTP_URL/missing.txt" >"$T/o" 2>"$T/e" && rc=0 || rc=$?
is "$rc" 1 "404: failure"
contains "$T/e" "/missing.txt: HTTP 404 Not Found" "404 is named"
is "$(grep -c 'missing.txt' "$HTTP_LOG")" 1 "404 is not retried"

"$CAT" "$HTTP_URL/redirect/small.txt" >"$T/o" 2>"$T/e" && rc=0 || rc=$?
is "$rc:$(cat "$T/o")" "0:hello" "a redirect is followed"

"$CAT" "$HTTP_URL/reset/1000/norange/big.bin" >"$T/o" 2>"$T/e" && rc=0 || rc=$?
is "$rc" 1 "a server that ignores Range cannot be resumed"
contains "$T/e" "asked for bytes from 1000, the server sent the whole file again" "and says so"
is "$(wc -c <"$T/o" | tr -d ' ')" 1000 "the bytes before the drop were handed out once, nothing after"

cp "$T/www/big.bin" "$T/www/changing.bin"
"$CAT" "$HTTP_URL/change/5000/changing.bin" >"$T/o" 2>"$T/e" && rc=0 || rc=$?
is "$rc" 1 "a file replaced during the read fails"
contains "$T/e" "HTTP 412 Precondition Failed" "If-Match turned the new version away (412)"

: >"$HTTP_LOG"
"$CAT" "$HTTP_URL/big.bin" 2999000 >"$T/o" 2>"$T/e" && rc=0 || rc=$?
tail -c 1000 "$T/www/big.bin" >"$T/tail"
check "starting at byte 2999000 gives the last 1000 bytes" -- cmp "$T/o" "$T/tail"
contains "$HTTP_LOG" "range=bytes=2999000- if-match=- -> 206" "with one ranged request"

: >"$HTTP_LOG"
"$CAT" "$HTTP_URL/big.bin" 0 100:2999000 >"$T/o" 2>"$T/e" && rc=0 || rc=$?
{ head -c 100 "$T/www/big.bin"; tail -c 1000 "$T/www/big.bin"; } >"$T/want"
check "100 bytes, then a jump to byte 2999000" -- cmp "$T/o" "$T/want"
contains "$HTTP_LOG" "range=bytes=2999000- if-match=\"$etag\" -> 206" "the jump is one ranged request, pinned to the ETag"

: >"$HTTP_LOG"
"$CAT" "$HTTP_URL/small.txt" 0 2:6 >"$T/o" 2>"$T/e" && rc=0 || rc=$?
is "$rc:$(cat "$T/o")" "0:he" "a jump to the end ends the body"
is "$(wc -l <"$HTTP_LOG" | tr -d ' ')" 1 "without another request"
