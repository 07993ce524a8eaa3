#!/bin/sh
# tempo.sh: a backfill into a real, stock Grafana Tempo 2.0.1 (default
# ingestion limits: 10000 live traces per tenant, trace_idle_period 10s),
# then `tracefill verify` against its query API. One Tempo for the script.
#   - 15000 traces with no rate flags, then 5000 more while the first are
#     still live (so Tempo answers 500 LIVE_TRACES_EXCEEDED): both runs
#     finish with exit 0, and verify finds every trace and span of both;
#   - verify reports traces that never reached Tempo as missing, lists them
#     in --missing FILE (manifest lines: verify --manifest reads them back),
#     and a hand-written manifest sorts found, incomplete and missing traces;
#   - a real endpoint answering 200 with no OTLP answer (Tempo's /api/echo)
#     fails run and check; verify refuses an endpoint that is not Tempo's API.
# Expected IDs come from the file sink's output (jq), not from verify.
# The Tempo uses block version v2 only so that lookups by ID are fast.
. "$top_srcdir/tests/setup.sh"
. "$top_srcdir/tests/server/lib-tempo.sh"
need_cmd jq zstd curl
need_tempo

gen=$top_builddir/tests/tools/gen-records
"$gen" 15000 21 >"$T/a.jsonl"
"$gen" 5000 22 >"$T/b.jsonl"
"$gen" 300 23 >"$T/never.jsonl"
ids() { # FILE...: "trace span" lines of what run would send, from the file sink
    for f in "$@"; do "$TRACEFILL" run -q -o - "$f"; done |
        jq -r '.resourceSpans[].scopeSpans[].spans[] | .traceId + " " + .spanId' | sort
}
ids "$T/a.jsonl" "$T/b.jsonl" >"$T/ab.ids"
n_traces=$(cut -d' ' -f1 "$T/ab.ids" | sort -u | wc -l | tr -d ' ')
n_spans=$(wc -l <"$T/ab.ids" | tr -d ' ')
is "$n_traces" 20000 "the inputs hold 20000 traces (one per record), by the file sink"

start_tempo stock block=v2
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# 1. No rate flags: the runs finish; the second meets a full live-traces table.
t0=$(now_ms)
run_tf rc run --endpoint "$TEMPO_OTLP" "$T/a.jsonl"
ta=$(($(now_ms) - t0))
is "$rc" 0 "15000 traces into a stock Tempo without rate flags: exit 0 (${ta} ms)"
cp "$T/err" "$T/err-a"
t0=$(now_ms)
run_tf rc run --endpoint "$TEMPO_OTLP" --manifest "$T/b.manifest.jsonl.zst" "$T/b.jsonl"
tb=$(($(now_ms) - t0))
is "$rc" 0 "5000 more right after: exit 0 (${tb} ms)"
cp "$T/err" "$T/err-b"
diag "run 1: $(grep -h 'throttled\|records from' "$T/err-a" | tr '\n' ' ')"
diag "run 2: $(grep -h 'throttled\|records from' "$T/err-b" | tr '\n' ' ')"
lacks "$T/err-a" "error:" "run 1 reports no error"
lacks "$T/err-b" "error:" "run 2 reports no error"
discarded=$(tempo_metric tempo_discarded_spans_total)
diag "Tempo discarded (refused, then resent) $discarded spans: $(curl -s "$TEMPO_API/metrics" | grep '^tempo_discarded_spans_total' | tr '\n' ' ')"
if [ "$discarded" -gt 0 ]; then
    contains "$T/err-b" "LIVE_TRACES_EXCEEDED" "Tempo refused spans with LIVE_TRACES_EXCEEDED and run 2 says so"
    contains "$T/err-b" "the backend throttled" "its summary counts the throttles and the rate it settled at"
    contains "$T/err-b" "max_traces_per_user" "with the hint naming max_traces_per_user"
elif [ $((ta + tb)) -ge 20000 ]; then
    # Tempo forgets a trace 10 s (trace_idle_period) after its last span, so
    # its 10,000-trace table fills only at more than 1,000 traces/s: a build
    # that sent 20,000 in 20 s or more (a sanitizer build on a busy machine)
    # never meets the limit. What is left to check held above: exit 0.
    skip "20000 traces took $((ta + tb)) ms, under 1000 traces/s: too slow to fill Tempo's live-traces table"
else
    fail "Tempo refused nothing in $((ta + tb)) ms: the live-traces limit was never reached"
fi

# 2. verify recomputes the IDs from the inputs and finds every span.
t0=$(now_ms)
run_tf rc verify --query-endpoint "$TEMPO_API" --query-rate 5000 --concurrency 8 "$T/a.jsonl" "$T/b.jsonl"
tv=$(($(now_ms) - t0))
is "$rc" 0 "verify finds every trace of both runs (${tv} ms)"
contains "$T/out" "expected:   $n_traces traces with $n_spans spans" "it expects the traces and spans the file sink shows"
contains "$T/out" "found:      $n_traces traces with every span" "and finds them all"
contains "$T/out" "result:     OK" "and says so"

# run --manifest wrote what Tempo acknowledged; verify reads it back.
is "$(zstd -dc "$T/b.manifest.jsonl.zst" | jq -r .trace_id | sort -u | wc -l | tr -d ' ')" 5000 \
    "run 2's manifest lists its 5000 traces"
run_tf rc verify --query-endpoint "$TEMPO_API" --query-rate 5000 --sample 500 --manifest "$T/b.manifest.jsonl.zst"
is "$rc" 0 "verify --manifest (run's own, zstd) finds a sample of 500 of them whole"
contains "$T/out" "found:      500 traces with every span" "all 500"

# 3. Traces that never reached Tempo are missing; --missing lists exactly them.
run_tf rc verify --query-endpoint "$TEMPO_API" --query-rate 5000 --missing "$T/missing.jsonl" "$T/never.jsonl"
is "$rc" 1 "verify over a never-sent input exits 1"
contains "$T/out" "missing:    300 traces" "300 traces missing"
contains "$T/out" "found:      0 traces with every span" "none found"
ids "$T/never.jsonl" >"$T/never.ids"
cut -d' ' -f1 "$T/never.ids" | sort -u >"$T/never.tids"
jq -r .trace_id "$T/missing.jsonl" | sort >"$T/missing.tids"
check "--missing lists exactly the never-sent traces" -- cmp "$T/never.tids" "$T/missing.tids"
is "$(jq -r .status "$T/missing.jsonl" | sort -u)" missing "each with status missing"
jq -r '.trace_id as $t | .span_ids[] | $t + " " + .' "$T/missing.jsonl" | sort >"$T/missing.ids"
check "and every span each should have had" -- cmp "$T/never.ids" "$T/missing.ids"
zstd -q "$T/missing.jsonl" -o "$T/missing.jsonl.zst"
run_tf rc verify --query-endpoint "$TEMPO_API" --query-rate 5000 --manifest "$T/missing.jsonl.zst"
is "$rc" 1 "verify --manifest reads the missing list back (zstd) and finds them missing again"
contains "$T/out" "missing:    300 traces" "all 300"

# 4. A hand-written manifest: one trace whole, one with a span Tempo lacks,
#    one trace Tempo never saw.
set -- $(sed -n 1p "$T/ab.ids")
t1=$1
spans1=$(awk -v t="$t1" '$1 == t {printf "%s\"%s\"", n++ ? "," : "", $2}' "$T/ab.ids")
n1=$(awk -v t="$t1" '$1 == t' "$T/ab.ids" | wc -l | tr -d ' ')
set -- $(tail -n 1 "$T/ab.ids")
t2=$1
spans2=$(awk -v t="$t2" '$1 == t {printf "%s\"%s\"", n++ ? "," : "", $2}' "$T/ab.ids")
n2=$(awk -v t="$t2" '$1 == t' "$T/ab.ids" | wc -l | tr -d ' ')
{
    printf '{"trace_id": "%s", "root": "r", "start": "2025-01-01T00:00:01.000000000Z", "spans": %s, "span_ids": [%s], "source": "a.jsonl", "member": null, "offset": 0}\n' "$t1" "$n1" "$spans1"
    printf '{"trace_id": "%s", "spans": %s, "span_ids": [%s,"0123456789abcdef"], "source": "b.jsonl", "member": null, "offset": 7}\n' "$t2" $((n2 + 1)) "$spans2"
    printf '{"trace_id": "0000000000000000000000000000abcd", "spans": 1, "span_ids": ["00000000000000ab"], "source": "x", "member": "m", "offset": 1}\n'
    printf 'not json\n'
} >"$T/hand.jsonl"
gzip -c "$T/hand.jsonl" >"$T/hand.jsonl.gz"
run_tf rc verify --query-endpoint "$TEMPO_API" --query-rate 5000 --manifest "$T/hand.jsonl.gz" --missing "$T/hand-missing.jsonl"
is "$rc" 1 "a manifest with an incomplete and a missing trace: exit 1"
contains "$T/err" "hand.jsonl.gz: line 4:" "the line that is no manifest object is named"
contains "$T/out" "found:      1 traces with every span" "one found"
contains "$T/out" "incomplete: 1 traces" "one incomplete"
contains "$T/out" "missing:    1 traces" "one missing"
is "$(jq -r 'select(.status == "incomplete") | .missing_span_ids | join(",")' "$T/hand-missing.jsonl")" \
    0123456789abcdef "the incomplete trace lacks exactly the span Tempo never got"
is "$(jq -r 'select(.status == "missing") | .trace_id' "$T/hand-missing.jsonl")" \
    0000000000000000000000000000abcd "the missing one is the unknown trace"

# 5. --sample looks up an even sample; the same sample every time.
run_tf rc verify --query-endpoint "$TEMPO_API" --query-rate 5000 --sample 50 --missing "$T/s1.jsonl" "$T/a.jsonl" "$T/never.jsonl"
contains "$T/out" "expected:   50 traces" "--sample 50 looks up 50 traces"
m1=$(wc -l <"$T/s1.jsonl" | tr -d ' ')
run_tf rc verify --query-endpoint "$TEMPO_API" --query-rate 5000 --sample 50 --missing "$T/s2.jsonl" "$T/never.jsonl" "$T/a.jsonl"
check "the sample does not depend on the order of the inputs" -- cmp "$T/s1.jsonl" "$T/s2.jsonl"
diag "$m1 of the 50 sampled traces are from the never-sent 300 (about 1 expected)"

# 6. Endpoints that are not what they should be.
OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=$TEMPO_API/api/echo run_tf rc run "$T/never.jsonl"
is "$rc" 1 "run against an endpoint answering 200 \"echo\" (Tempo's /api/echo) fails"
contains "$T/err" 'this endpoint is not an OTLP receiver (it answered with text: "echo"' "and says it is no OTLP receiver"
OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=$TEMPO_API/api/echo run_tf rc check
is "$rc" 1 "check against it fails"
contains "$T/out" "not an OTLP receiver" "and says why"
run_tf rc verify --query-endpoint "$TEMPO_OTLP" "$T/never.jsonl"
is "$rc" 1 "verify against the OTLP port fails"
contains "$T/err" "this is not Tempo's query API" "saying it is not Tempo's query API"
run_tf rc check --endpoint "$TEMPO_OTLP"
is "$rc" 0 "check against the real OTLP endpoint: OK"
