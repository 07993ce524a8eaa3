#!/bin/sh
# hostile-server.sh: what the OTLP sink and `check` do when the server is
# hostile or broken in ways a real Tempo cannot be made to be: an endless
# body (1 TiB), a gzip bomb (64 GiB of zeros), a body trickled slower than
# --timeout, a body cut short of its Content-Length, a connection reset
# mid-body, a server that never answers. Each case must end on its own, in
# bounded memory, with every span delivered exactly once when the server
# comes round, or with a clear error when it does not.
. "$top_srcdir/tests/setup.sh"
. "$top_srcdir/tests/server/lib-receiver.sh"
need_cmd jq time

"$top_builddir/tests/tools/gen-records" 200 3 >"$T/in.jsonl"
"$TRACEFILL" run -q -o "$T/ref.jsonl" "$T/in.jsonl"
jq -r '.resourceSpans[].scopeSpans[].spans[] | .traceId + " " + .spanId' "$T/ref.jsonl" | sort >"$T/ref.ids"
recv_ids() { awk '{print $1" "$2}' "$RECV_DIR/spans.log" 2>/dev/null | sort; }
# The peak resident memory of the last run_rss, in KiB (GNU time).
run_rss() { # run_rss ARGS...: like run_tf, and sets rss
    rc=0
    command time -f '%M' -o "$T/rss" "$TRACEFILL" "$@" >"$T/out" 2>"$T/err" || rc=$?
    rss=$(tail -n 1 "$T/rss")
}
# A bound far above tracefill's own needs (a few MB; more under ASan) and far
# below what keeping any of these bodies would take.
MAX_RSS_KB=262144

# 1. A 2xx whose body never ends (1 TiB): tracefill reads its first 64 KiB,
#    stops the transfer and says it is no OTLP answer; nothing counts as
#    delivered. Reading on would take minutes and hit --timeout instead.
printf '%s\n' 'reply 200 huge=1099511627776' >"$T/script"
start_receiver --script "$T/script"
run_rss run --no-progress --endpoint "$RECV_URL" --timeout 60s --max-retries 0 "$T/in.jsonl"
is "$rc" 1 "a 2xx with a 1 TiB body: exit 1"
contains "$T/err" "HTTP 200, but the answer is malformed" "it is not taken for delivery"
contains "$T/err" "not counted as delivered" "and says so"
lacks "$T/err" "timed out" "tracefill stopped reading; it did not wait for --timeout"
[ "$rss" -lt "$MAX_RSS_KB" ] && pass "peak memory stays bounded ($rss KiB)" || fail "peak memory $rss KiB"

# 2. A gzip bomb: Content-Encoding: gzip inflating to 64 GiB of zeros.
printf '%s\n' 'reply 200 gzip-bomb=68719476736' >"$T/script"
start_receiver --script "$T/script"
run_rss run --no-progress --endpoint "$RECV_URL" --timeout 60s --max-retries 0 "$T/in.jsonl"
is "$rc" 1 "a 2xx gzip bomb: exit 1"
contains "$T/err" "HTTP 200, but the answer is malformed" "not taken for delivery"
lacks "$T/err" "timed out" "not inflated to the end"
[ "$rss" -lt "$MAX_RSS_KB" ] && pass "peak memory stays bounded ($rss KiB)" || fail "peak memory $rss KiB"

# 3. `check` against the same endless body: one line of verdict, exit 1.
printf '%s\n' 'reply 200 huge=1099511627776' >"$T/script"
start_receiver --script "$T/script"
run_rss check --endpoint "$RECV_URL" --timeout 60s
is "$rc" 1 "check against an endless 2xx body: exit 1"
contains "$T/out" "FAILED: the answer is malformed" "check says the answer is no OTLP answer"
[ "$rss" -lt "$MAX_RSS_KB" ] && pass "check's peak memory stays bounded ($rss KiB)" || fail "peak memory $rss KiB"

# 4. A retryable status (503) with an endless body, then ok: retried, and
#    every span arrives exactly once.
printf '%s\n' 'reply 503 huge=1099511627776' >"$T/script"
start_receiver --script "$T/script"
run_rss run --no-progress --endpoint "$RECV_URL" --timeout 60s "$T/in.jsonl"
is "$rc" 0 "503 with an endless body, then ok: exit 0"
contains "$T/err" "1 request retried" "the summary counts the retry"
lacks "$T/err" "spans rejected" "and says nothing of rejected spans: there were none"
recv_ids >"$T/got.ids"
check "every span arrived exactly once" -- cmp "$T/ref.ids" "$T/got.ids"
[ "$rss" -lt "$MAX_RSS_KB" ] && pass "peak memory stays bounded ($rss KiB)" || fail "peak memory $rss KiB"

# 5. An answer trickled a byte every 400 ms: --timeout (2 s) ends the
#    attempt, the retry gets ok; the spans arrive exactly once (the
#    receiver logs the trickled request's spans too: it did take them, so
#    they count twice there, which is what an at-least-once retry means).
printf '%s\n' 'partial 3 message="spans dropped: a long message, trickled one byte at a time" trickle=1/400' >"$T/script"
start_receiver --script "$T/script"
run_tf rc run -v --no-progress --endpoint "$RECV_URL" --timeout 2s "$T/in.jsonl"
is "$rc" 0 "an answer slower than --timeout: retried, exit 0"
check "the attempt ended at --timeout (2 s, as curl counts it)" -- grep -Eq "timed out after 2[0-9]{3} milliseconds" "$T/err"
is "$(recv_request_count)" 2 "two requests: the trickled one and the retry"
recv_ids | uniq >"$T/got.ids"
check "every span arrived" -- cmp "$T/ref.ids" "$T/got.ids"

# 6. A body cut short of its Content-Length (FIN after 5 bytes), and a
#    connection reset after 5 bytes of body: no answer, retried.
for how in truncate=5 reset-after=5; do
    printf '%s\n' "partial 3 message=\"spans dropped: a long enough message\" $how" >"$T/script"
    start_receiver --script "$T/script"
    run_tf rc run -v --no-progress --endpoint "$RECV_URL" --timeout 20s "$T/in.jsonl"
    is "$rc" 0 "$how: retried, exit 0"
    contains "$T/err" "retrying in" "$how: the cut answer is retried"
    is "$(recv_request_count)" 2 "$how: two requests"
    recv_ids | uniq >"$T/got.ids"
    check "$how: every span arrived" -- cmp "$T/ref.ids" "$T/got.ids"
done

# 7. A server that accepts and never answers: every attempt ends at
#    --timeout, the run gives up after --max-retries and says why; the
#    checkpoint does not advance.
printf '%s\n' 'repeat 100 hang' >"$T/script"
start_receiver --script "$T/script"
run_tf rc run --no-progress --endpoint "$RECV_URL" --timeout 1s --max-retries 1 --checkpoint "$T/ck" "$T/in.jsonl"
is "$rc" 1 "a server that never answers: exit 1"
contains "$T/err" "giving up after 2 attempts" "after --max-retries"
check "each attempt ended at --timeout (1 s, as curl counts it)" -- grep -Eq "timed out after 1[0-9]{3} milliseconds" "$T/err"
is "$(jq "[.streams[].records // 0] | add // 0" "$T/ck" 2>/dev/null || echo missing)" 0 \
    "the checkpoint records no acknowledged record"

