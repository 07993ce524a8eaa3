#!/bin/sh
# tempo-tenant.sh: a real Tempo 2.0.1 with multi-tenancy and a tenant
# ingestion rate limit (1.5 MB/s, burst as large: tracefill's 2 MiB requests
# can never fit and must be split). One Tempo for the script.
#   - without --tenant, check and run say to add --tenant (Tempo: 500 "no org id");
#   - 15000 traces with no rate flags: Tempo answers 500 RATE_LIMITED, tracefill
#     splits what can never fit, slows down, finishes with exit 0, and says how
#     often it was throttled and at what rate it settled;
#   - verify --tenant finds every span; another tenant sees none of them.
. "$top_srcdir/tests/setup.sh"
. "$top_srcdir/tests/server/lib-tempo.sh"
. "$top_srcdir/tests/server/lib-receiver.sh"
need_cmd jq curl
need_tempo

"$top_builddir/tests/tools/gen-records" 15000 31 >"$T/a.jsonl"
"$TRACEFILL" run -q -o - "$T/a.jsonl" | jq -r '.resourceSpans[].scopeSpans[].spans[] | .traceId + " " + .spanId' >"$T/a.ids"
n_traces=$(cut -d' ' -f1 "$T/a.ids" | sort -u | wc -l | tr -d ' ')
n_spans=$(wc -l <"$T/a.ids" | tr -d ' ')

# Request bytes per span, as the test receiver counts them (uncompressed
# protobuf, what Tempo's rate limiter measures): the spans/s the limit allows.
start_receiver
"$TRACEFILL" run -q --endpoint "$RECV_URL" --compression none "$T/a.jsonl"
raw=$(awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^raw=/) { split($i, a, "="); s += a[2] } } END { printf "%.0f", s }' \
    "$RECV_DIR/requests.log")
stop_receiver
limit=1500000
allowed=$(awk -v l=$limit -v s="$n_spans" -v b="$raw" 'BEGIN { printf "%.0f", (b > 0 ? l * s / b : 0) }')
start_tempo tenants multitenant=1 block=v2 \
    overrides="ingestion_rate_strategy: local, ingestion_rate_limit_bytes: $limit, ingestion_burst_size_bytes: $limit"
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# 1. No tenant: Tempo answers 500 "no org id"; the hint is --tenant.
run_tf rc check --endpoint "$TEMPO_OTLP"
is "$rc" 1 "check without --tenant fails"
contains "$T/out" "HTTP 500" "Tempo answers 500 (not 401)"
contains "$T/out" "no org id" "saying no org id"
contains "$T/out" "pass --tenant" "and check says to pass --tenant"
lacks "$T/out" "failed internally" "not the generic 500 hint"
run_tf rc run --endpoint "$TEMPO_OTLP" "$T/a.jsonl"
is "$rc" 1 "run without --tenant stops"
contains "$T/err" "pass --tenant" "with the same hint"
run_tf rc check --endpoint "$TEMPO_OTLP" --tenant team-a
is "$rc" 0 "check with --tenant: OK"

# 2. The rate-limited tenant: throttled, split, finished.
t0=$(now_ms)
run_tf rc run --endpoint "$TEMPO_OTLP" --tenant team-a "$T/a.jsonl"
took=$(($(now_ms) - t0))
is "$rc" 0 "15000 traces into a tenant limited to $limit bytes/s, no rate flags: exit 0 (${took} ms)"
diag "$(grep -h 'throttled\|records from\|retried' "$T/err")"
limited=$(curl -s "$TEMPO_API/metrics" | awk '/^tempo_discarded_spans_total/ && /rate_limited/ { s += $2 } END { printf "%.0f", s }')
[ "${limited:-0}" -gt 0 ] && pass "Tempo refused requests as RATE_LIMITED ($limited spans, then resent)" ||
    fail "Tempo never rate-limited the run"
contains "$T/err" "RATE_LIMITED" "run names Tempo's RATE_LIMITED"
contains "$T/err" "ingestion_rate_limit_bytes" "with the hint naming the tenant's limit"
contains "$T/err" "the backend throttled" "the summary counts the throttles"
lacks "$T/err" "error:" "throttling is no error"
settled=$(sed -n 's/.*settled at about \([0-9]*\) spans\/s.*/\1/p' "$T/err")
diag "settled at ${settled:-?} spans/s; the limit allows $allowed spans/s ($raw request bytes for $n_spans spans)"
# Just under the limit: at most the limit plus its one-second burst spread
# over the run, and not far below it.
if [ -n "$settled" ] && [ "$settled" -le $((allowed * 12 / 10)) ] && [ "$settled" -ge $((allowed / 2)) ]; then
    pass "the settled rate ($settled spans/s) is just under what the limit allows ($allowed spans/s)"
else
    fail "settled at ${settled:-nothing}, the limit allows $allowed spans/s"
fi

# 3. verify with the tenant finds everything; another tenant sees nothing.
t0=$(now_ms)
run_tf rc verify --query-endpoint "$TEMPO_API" --tenant team-a --query-rate 5000 --concurrency 8 "$T/a.jsonl"
is "$rc" 0 "verify --tenant team-a finds every trace ($(($(now_ms) - t0)) ms)"
contains "$T/out" "found:      $n_traces traces with every span" "all $n_traces traces, $n_spans spans"
run_tf rc verify --query-endpoint "$TEMPO_API" --tenant team-b --sample 20 "$T/a.jsonl"
is "$rc" 1 "verify as another tenant finds nothing"
contains "$T/out" "missing:    20 traces" "all 20 sampled traces missing"
run_tf rc verify --query-endpoint "$TEMPO_API" --sample 5 "$T/a.jsonl"
is "$rc" 1 "verify without a tenant fails"
contains "$T/err" "HTTP 401: no org id" "Tempo's query API answers 401 no org id"
contains "$T/err" "pass --tenant" "and verify says to pass --tenant"
