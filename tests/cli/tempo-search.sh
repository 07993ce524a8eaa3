#!/bin/sh
# tempo-search.sh: what Tempo 2.0.1 does with the old spans of a backfill.
# Two Tempos get the same 300 traces from 2025-01-01 (blocks cut every 10 s):
#   - one with storage.trace.wal.ingestion_time_range_slack raised to 87600h:
#     a TraceQL search over the original times finds every trace;
#   - one with the default slack (2m): the same search finds none, yet verify
#     finds every trace by ID;
#   - a search range over 168 h is refused.
. "$top_srcdir/tests/setup.sh"
. "$top_srcdir/tests/server/lib-tempo.sh"
need_cmd jq curl
need_tempo

"$top_builddir/tests/tools/gen-records" 300 41 >"$T/old.jsonl"
"$TRACEFILL" run -q -o - "$T/old.jsonl" | jq -r '.resourceSpans[].scopeSpans[].spans[].traceId' | sort -u >"$T/old.tids"
# The spans' own time range, from the file sink (whole seconds around it).
"$TRACEFILL" run -q -o - "$T/old.jsonl" |
    jq -r '.resourceSpans[].scopeSpans[].spans[] | .startTimeUnixNano, .endTimeUnixNano' | sort -n >"$T/times"
from=$(($(head -n 1 "$T/times" | cut -c1-10) - 1))
to=$(($(tail -n 1 "$T/times" | cut -c1-10) + 2))
diag "the spans start and end between $from and $to (epoch seconds)"

fast="ingester=max_block_duration: 10s, trace_idle_period: 1s, flush_check_period: 1s"
start_tempo slack slack=87600h "$fast"
SLACK_OTLP=$TEMPO_OTLP SLACK_API=$TEMPO_API
start_tempo default "$fast"
DEF_OTLP=$TEMPO_OTLP DEF_API=$TEMPO_API

run_tf rc run --endpoint "$SLACK_OTLP" "$T/old.jsonl"
is "$rc" 0 "the backfill into the Tempo with the slack raised"
run_tf rc run --endpoint "$DEF_OTLP" "$T/old.jsonl"
is "$rc" 0 "the same into the Tempo with the default slack"

search() { # API FROM TO: trace IDs a TraceQL search for every span finds
    curl -s "$1/api/search?q=%7B%7D&start=$2&end=$3&limit=1000" | jq -r '.traces[]?.traceID' |
        awk '{ printf "%032s\n", $0 }' | tr ' ' 0 | sort -u
}
blocks() { curl -s "$1/metrics" | awk '/^tempodb_blocklist_length/ { s += $2 } END { printf "%d", s }'; }
# A block is searchable once cut (10 s), flushed and seen by a blocklist poll (5 s).
t0=$(date +%s)
while [ $(($(date +%s) - t0)) -lt 150 ]; do
    search "$SLACK_API" $from $to >"$T/found-slack"
    [ "$(wc -l <"$T/found-slack")" -ge 300 ] && [ "$(blocks "$DEF_API")" -ge 1 ] && break
    sleep 3
done
diag "searchable after $(($(date +%s) - t0)) s"
check "slack raised: a TraceQL search over the original times finds every trace" -- cmp "$T/old.tids" "$T/found-slack"
sleep 6 # one more blocklist poll for the other Tempo
search "$DEF_API" $from $to >"$T/found-default"
is "$(wc -l <"$T/found-default" | tr -d ' ')" 0 "default slack: the same search finds none of them"
[ "$(blocks "$DEF_API")" -ge 1 ] && pass "though that Tempo has flushed them to a block" || fail "no block flushed"
run_tf rc verify --query-endpoint "$DEF_API" --query-rate 2000 "$T/old.jsonl"
is "$rc" 0 "default slack: verify finds every trace by ID"
contains "$T/out" "found:      300 traces with every span" "all 300"

code=$(curl -s -o "$T/body" -w '%{http_code}' "$SLACK_API/api/search?q=%7B%7D&start=$from&end=$((from + 169 * 3600))")
is "$code" 400 "a search over more than 168 h is refused"
contains "$T/body" "exceeds 168h" "saying so"
