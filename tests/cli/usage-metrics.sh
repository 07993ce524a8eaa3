#!/bin/sh
# usage-metrics.sh: run --usage-only --usage-metrics into the real
# Prometheus: generated OpenRouter records (tests/tools/gen-records), the
# file backfilled with `promtool tsdb create-blocks-from openmetrics`, a
# Prometheus started on those blocks on a free loopback port, and its HTTP
# API asked, at a time in the records' past, for requests, tokens by type,
# cost and the duration histogram by model: every number is computed here
# from the input records with jq/awk, never taken from tracefill. Then the
# exemplars (blocks keep none: checked in the file), a strict OpenMetrics
# parser (python3-prometheus-client, when installed), --usage-by user, the
# --usage-window and --usage-max-series errors, --usage-only sending
# nothing, -o and --usage-metrics together, the same bytes twice.
. "$top_srcdir/tests/setup.sh"
need_cmd jq awk curl
GEN=$top_builddir/tests/tools/gen-records
if ! command -v promtool >/dev/null 2>&1 || ! command -v prometheus >/dev/null 2>&1; then
    echo "1..0 # SKIP promtool and prometheus are not installed (Debian: prometheus)"
    trap - EXIT
    rm -rf "$T"
    exit 0
fi

START=1748764800 # 2025-06-01T08:00:00Z
"$GEN" 500 7 $START >"$T/in.jsonl"

# ---- independently: the totals by model, from the records ----------------------
jq -rs 'group_by(.model)[] | [.[0].model, length,
        (map(.native_tokens_prompt) | add), (map(.native_tokens_completion) | add),
        (map(.native_tokens_cached) | add), (map(.latency) | add),
        (map(select(.latency <= 1000)) | length), (map(select(.latency <= 2500)) | length)] | @tsv' \
    "$T/in.jsonl" >"$T/want.tsv"
# cost with awk from the text of the numbers (jq would round through doubles too)
jq -r '[.model, (.total_cost | tostring)] | @tsv' "$T/in.jsonl" |
    awk -F '\t' '{ c[$1] += $2 } END { for (m in c) printf "%s\t%.12f\n", m, c[m] }' | sort >"$T/want-cost.tsv"
N_MODELS=$(wc -l <"$T/want.tsv" | tr -d ' ')
# a query time after the last step's end, within Prometheus' 5m lookback
LAST=$(jq -r '.created_at | sub("\\.[0-9]+\\+00:00$"; "Z") | fromdateiso8601' "$T/in.jsonl" | sort -n | tail -1)
AT=$((LAST / 60 * 60 + 120))

# ---- the run ---------------------------------------------------------------------
run_tf rc run --no-progress --usage-only --usage-metrics "$T/u.om" "$T/in.jsonl"
is "$rc" 0 "--usage-only --usage-metrics runs"
contains "$T/err" "usage metrics: $N_MODELS series" "the summary counts one series per model"
is "$(tail -n1 "$T/u.om")" "# EOF" "the file ends with # EOF"

# ---- the file by itself ----------------------------------------------------------
# every family's TYPE before its samples, samples only of declared families
check "every sample belongs to a family declared with # TYPE" -- awk '/^# TYPE /{ fam[$3] = 1; next } /^#/{ next }
     { n = $1; sub(/\{.*/, "", n); sub(/_(total|bucket|count|sum)$/, "", n); if (!(n in fam)) bad = bad " " $1 }
     END { exit bad != "" }' "$T/u.om"
# no Metric (name less the histogram suffixes, labels less le) comes back after another
awk '/^#/{ next } { k = $1; sub(/,le="[^"]*"/, "", k); sub(/_(bucket|count|sum)\{/, "{", k)
     if (k != cur) { if (k in seen) { print "interleaved: " $0; exit 1 } seen[k] = 1; cur = k } }' "$T/u.om" >"$T/grouping"
is "$(cat "$T/grouping")" "" "no Metric is interleaved with another (OpenMetrics)"
# exemplars: only on _total and _bucket, their trace ids those of the input's generation ids
grep ' # {' "$T/u.om" | grep -v '^[a-z_]*_\(total\|bucket\){' >"$T/bad-ex" || true
is "$(wc -l <"$T/bad-ex" | tr -d ' ')" 0 "exemplars only on _total and _bucket samples"
sed -n 's/.* # {trace_id="\([0-9a-f]*\)"}.*/\1/p' "$T/u.om" | sort -u >"$T/ex-ids"
jq -r .id "$T/in.jsonl" | while read -r id; do printf '%s' "$id" | sha256sum | cut -c1-32; done | sort -u >"$T/in-ids"
is "$(comm -23 "$T/ex-ids" "$T/in-ids" | wc -l | tr -d ' ')" 0 \
   "every exemplar's trace id is SHA-256 of an input generation id (doc/ids.md)"
ok_ex=$(wc -l <"$T/ex-ids" | tr -d ' ')
[ "$ok_ex" -ge "$N_MODELS" ] && pass "exemplars present ($ok_ex trace ids)" || fail "exemplars present (got $ok_ex)"
# the slowest record of the first step of a model is its bucket exemplar
M1=$(head -n1 "$T/want.tsv" | cut -f1)
jq -r --arg m "$M1" --argjson s $START 'select(.model == $m) | [.id, .latency,
        (.created_at | sub("\\.[0-9]+\\+00:00$"; "Z") | fromdateiso8601)] | @tsv' "$T/in.jsonl" >"$T/m1.tsv"
FIRST_STEP=$(awk -F '\t' 'NR == 1 { print int($3 / 60) }' "$T/m1.tsv")
SLOW=$(awk -F '\t' -v st="$FIRST_STEP" 'int($3 / 60) == st && $2 > best { best = $2; id = $1 } END { print id }' "$T/m1.tsv")
SLOW_T=$(printf '%s' "$SLOW" | sha256sum | cut -c1-32)
grep -F "openrouter_duration_seconds_bucket{model=\"$M1\"" "$T/u.om" |
    grep -F " $(( (FIRST_STEP + 1) * 60 )) # {trace_id=\"$SLOW_T\"}" >"$T/slow-ex" || true
is "$(wc -l <"$T/slow-ex" | tr -d ' ')" 1 "$M1's first step: the slowest record ($SLOW) is the bucket exemplar"

# A strict parser. python3-prometheus-client 0.16 drops all but the first
# bucket of a histogram's later MetricPoints (it de-duplicates samples
# within a group across timestamps) and then fails its own histogram check;
# that one check is left out, the rest (grouping, names, types, exemplars)
# applies. Our own histogram checks are the Prometheus queries below.
if /usr/bin/python3 -c 'import prometheus_client.openmetrics.parser' 2>/dev/null; then
    cat >"$T/strict.py" <<'EOF'
import sys
from prometheus_client.openmetrics import parser
parser._check_histogram = lambda samples, name: None
n = 0
for fam in parser.text_string_to_metric_families(open(sys.argv[1], encoding="utf-8").read()):
    n += len(fam.samples)
print(n)
EOF
    check "prometheus_client's OpenMetrics parser accepts the file" -- /usr/bin/python3 "$T/strict.py" "$T/u.om"
else
    skip "python3-prometheus-client is not installed"
fi

# ---- backfill and ask Prometheus ------------------------------------------------------
check "promtool tsdb create-blocks-from openmetrics accepts it" -- promtool tsdb create-blocks-from openmetrics "$T/u.om" "$T/db"
diag "$(tail -n 3 "$T/.check.out")"

printf 'global:\n  scrape_interval: 1h\n' >"$T/prometheus.yml"
PROM_PID=""
stop_prom() {
    [ -n "$PROM_PID" ] || return 0
    kill -TERM "$PROM_PID" 2>/dev/null || true
    wait "$PROM_PID" 2>/dev/null || true
    PROM_PID=""
}
at_exit stop_prom
try=0
while :; do
    try=$((try + 1))
    PORT=$(( 20000 + ( $(date +%N | sed 's/^0*//;s/^$/0/') / 1000 + $$ * 7 + try * 101 ) % 39990 ))
    prometheus --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/db" \
        --storage.tsdb.retention.time=100y --web.listen-address=127.0.0.1:$PORT \
        >"$T/prom.log" 2>&1 &
    PROM_PID=$!
    i=0 ready=""
    while [ $i -lt 600 ] && kill -0 "$PROM_PID" 2>/dev/null; do
        if [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/-/ready")" = 200 ]; then
            ready=1
            break
        fi
        i=$((i + 1))
        sleep 0.1
    done
    [ -n "$ready" ] && break
    stop_prom
    if [ $try -ge 5 ] || ! grep -q "address already in use" "$T/prom.log"; then
        diag "Prometheus did not start:" "$(tail -n 15 "$T/prom.log")"
        break
    fi
done
API=http://127.0.0.1:$PORT/api/v1

# q PROMQL: "label-value<TAB>value" lines, sorted, at $AT
q() {
    curl -s --get "$API/query" --data-urlencode "query=$1" --data-urlencode "time=$AT" >"$T/q.json"
    jq -r '.data.result[] | [(.metric.model // ""), .value[1]] | @tsv' "$T/q.json" | sort
}

if [ -n "$ready" ]; then
    pass "Prometheus started on the blocks (127.0.0.1:$PORT)"
    is "$(q 'sum by (model) (openrouter_requests_total)')" "$(cut -f1,2 "$T/want.tsv" | sort)" \
       "requests by model at the end = the records by model"
    is "$(q 'sum by (model) (openrouter_tokens_total{type="input"})')" "$(cut -f1,3 "$T/want.tsv" | sort)" \
       "input tokens by model = sum of native_tokens_prompt"
    is "$(q 'sum by (model) (openrouter_tokens_total{type="output"})')" "$(cut -f1,4 "$T/want.tsv" | sort)" \
       "output tokens by model = sum of native_tokens_completion"
    is "$(q 'sum by (model) (openrouter_tokens_total{type="cached"})')" "$(cut -f1,5 "$T/want.tsv" | sort)" \
       "cached tokens by model = sum of native_tokens_cached"
    q 'sum by (model) (openrouter_cost_usd_total)' >"$T/got-cost.tsv"
    join -t "$(printf '\t')" "$T/got-cost.tsv" "$T/want-cost.tsv" |
        awk -F '\t' '{ d = $2 - $3; if (d < 0) d = -d; if (d <= 1e-9) n++; else print "off: " $0 } END { print n + 0 }' \
        >"$T/cost-diff"
    is "$(cat "$T/cost-diff")" "$N_MODELS" "cost by model = sum of total_cost (within 1e-9)"
    is "$(q 'sum by (model) (openrouter_duration_seconds_count)')" "$(cut -f1,2 "$T/want.tsv" | sort)" \
       "histogram count by model = the records"
    is "$(q 'sum by (model) (openrouter_duration_seconds_bucket{le="+Inf"})')" "$(cut -f1,2 "$T/want.tsv" | sort)" \
       "the +Inf bucket = the count"
    is "$(q 'sum by (model) (openrouter_duration_seconds_bucket{le="1.0"})')" "$(cut -f1,7 "$T/want.tsv" | sort)" \
       "le=\"1.0\" = the records with latency <= 1000 ms"
    is "$(q 'sum by (model) (openrouter_duration_seconds_bucket{le="2.5"})')" "$(cut -f1,8 "$T/want.tsv" | sort)" \
       "le=\"2.5\" = the records with latency <= 2500 ms"
    q 'sum by (model) (openrouter_duration_seconds_sum)' >"$T/got-sum.tsv"
    awk -F '\t' '{ printf "%s\t%.3f\n", $1, $6 / 1000 }' "$T/want.tsv" | sort >"$T/want-sum.tsv"
    is "$(awk -F '\t' '{ printf "%s\t%.3f\n", $1, $2 }' "$T/got-sum.tsv")" "$(cat "$T/want-sum.tsv")" \
       "histogram sum by model = the latencies in seconds"
    is "$(q 'sum(openrouter_errors_total)' | cut -f2)" 0 "no errors among generated records"
    # increase() from the last step's end back over the whole run sees every
    # request: each series starts from 0, and nothing is extrapolated past
    # the last sample (Prometheus' extrapolation would add to a query time
    # between steps)
    END_T=$((LAST / 60 * 60 + 60))
    curl -s --get "$API/query" --data-urlencode 'query=sum(increase(openrouter_requests_total[1h]))' \
        --data-urlencode "time=$END_T" | jq -r '.data.result[0].value[1]' >"$T/inc"
    is "$(awk '{ printf "%.6f", $1 }' "$T/inc")" 500.000000 "increase(...[1h]) at the last step's end = all 500 records"
    # exemplars: blocks written by promtool keep none (Prometheus keeps exemplars only in memory)
    curl -s --get "$API/query_exemplars" --data-urlencode 'query=openrouter_requests_total' \
        --data-urlencode "start=$START" --data-urlencode "end=$AT" >"$T/ex.json"
    is "$(jq -r .status "$T/ex.json")" success "query_exemplars answers"
    diag "exemplars from the blocks: $(jq '[.data[]?.exemplars[]?] | length' "$T/ex.json") (blocks keep none; asserted in the file above)"
else
    fail "Prometheus started on the blocks"
fi
stop_prom

# ---- the same bytes twice; -o and --usage-metrics together ------------------------------
run_tf rc run --no-progress --usage-only --usage-metrics "$T/u2.om" "$T/in.jsonl"
check "a second run writes the same bytes" -- cmp "$T/u.om" "$T/u2.om"
run_tf rc run --no-progress -o "$T/spans.out" --usage-metrics "$T/u3.om" "$T/in.jsonl"
is "$rc" 0 "-o FILE and --usage-metrics together"
is "$(jq -s '[.[].resourceSpans[].scopeSpans[].spans[]] | length' "$T/spans.out")" 2000 \
   "the spans are written too (four per record)"
check "and the same usage metrics as with --usage-only" -- cmp "$T/u.om" "$T/u3.om"

# ---- --usage-only sends nothing ---------------------------------------------------------
# an endpoint nobody listens on (sending anything would fail the run), in an
# empty working directory that must hold only the metrics file afterwards
mkdir "$T/only"
cd "$T/only"
OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:9 run_tf rc run --no-progress --usage-only --usage-metrics u4.om "$T/in.jsonl"
cd "$T"
is "$rc" 0 "--usage-only with an unreachable endpoint in the environment: nothing is sent"
contains "$T/err" "to no destination (--usage-only)" "the summary says so"
is "$(ls -A "$T/only")" "u4.om" "only the metrics file is written"
is "$(wc -c <"$T/out" | tr -d ' ')" 0 "and nothing goes to stdout"
check "the same metrics" -- cmp "$T/u.om" "$T/only/u4.om"
run_tf rc run --no-progress --usage-only --usage-metrics "$T/u5.om" -o "$T/never.out" "$T/in.jsonl"
is "$rc" 2 "--usage-only with -o is a usage error"
contains "$T/err" "--usage-only sends and writes no spans: leave out -o/--output" "naming -o"
[ ! -e "$T/never.out" ] && [ ! -e "$T/u5.om" ] && pass "and writes nothing" || fail "and writes nothing"

# ---- --usage-by user ----------------------------------------------------------------------
run_tf rc run --no-progress --usage-only --usage-by user --usage-metrics "$T/user.om" "$T/in.jsonl"
is "$rc" 0 "--usage-by user runs"
USERS=$(jq -r '.model + " " + .user' "$T/in.jsonl" | sort -u | wc -l | tr -d ' ')
contains "$T/err" "usage metrics: $USERS series" "one series per (model, user) of the input ($USERS)"
U5=$(jq -r 'select(.user == "user-5") | .model' "$T/in.jsonl" | sort | uniq -c | sort -k2 | head -n1)
U5_N=$(echo "$U5" | awk '{print $1}') U5_M=$(echo "$U5" | awk '{print $2}')
grep -F "openrouter_requests_total{model=\"$U5_M\",provider=" "$T/user.om" | grep -F 'user="user-5"}' |
    tail -n1 | awk '{ print $2 }' >"$T/u5n"
is "$(cat "$T/u5n")" "$U5_N" "user-5's last requests_total for $U5_M = its records"

# ---- errors -----------------------------------------------------------------------------
# the first record moved to the end: minutes older than the latest
{ sed 1d "$T/in.jsonl"; head -n1 "$T/in.jsonl"; } >"$T/late.jsonl"
run_tf rc run --no-progress --usage-only --usage-window 1m --usage-metrics "$T/late.om" "$T/late.jsonl"
[ "$rc" -ne 0 ] && pass "a record older than --usage-window fails the run (exit $rc)" || fail "a record older than --usage-window fails the run"
contains "$T/err" "more than --usage-window (1m0s) allows: sort the input by time or raise --usage-window" \
   "the message names --usage-window"
[ ! -e "$T/late.om" ] && [ ! -e "$T/late.om.tmp" ] && pass "no metrics file is left" || fail "no metrics file is left"
run_tf rc run --no-progress --usage-only --usage-window 1h --usage-metrics "$T/late.om" "$T/late.jsonl"
is "$rc" 0 "within a wider --usage-window the same input is fine"
run_tf rc run --no-progress --usage-only --usage-max-series 2 --usage-metrics "$T/max.om" "$T/in.jsonl"
[ "$rc" -ne 0 ] && pass "a third series past --usage-max-series 2 fails the run (exit $rc)" || fail "a third series past --usage-max-series 2 fails the run"
contains "$T/err" "usage metrics: more than 2 series (--usage-max-series); the next would be openrouter_requests_total{model=" \
   "the message names --usage-max-series and the next series"
[ ! -e "$T/max.om" ] && pass "no metrics file is written" || fail "no metrics file is written"
