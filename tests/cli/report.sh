#!/bin/sh
# report.sh: what a run says about itself: the summary JSON's numbers are the
# receiver's; the metrics file passes promtool and agrees; the progress line
# on a terminal shows a percent and an ETA and never shares a line with
# another message.
. "$top_srcdir/tests/setup.sh"
. "$top_srcdir/tests/server/lib-receiver.sh"
need_cmd jq promtool script perl
GEN=$top_builddir/tests/tools/gen-records

mkdir -p "$T/in"
"$GEN" 1500 1 >"$T/in/a.jsonl"
"$GEN" 400 2 | gzip >"$T/in/b.jsonl.gz"
{ "$GEN" 3 3; printf '{"id":"gen-bad","created_at":"not a time","model":"a/b"}\n'; printf 'not json at all\n'; } >"$T/in/c.jsonl"

start_receiver
run_tf rc run --no-progress --endpoint "$RECV_URL" --summary-json "$T/s.json" --metrics-file "$T/m.prom" \
    --job-name nightly --rejects "$T/rej.jsonl" "$T/in"
is "$rc" 3 "a run with two rejected records exits 3"
stop_receiver
spans=$(recv_span_count)
is "$(jq .totals.spans.acknowledged "$T/s.json")" "$spans" "summary: acknowledged spans = what the receiver stored ($spans)"
is "$(jq .totals.spans.sent "$T/s.json")" "$spans" "summary: sent = acknowledged"
is "$(jq .totals.requests "$T/s.json")" "$(recv_status_count 200)" "summary: requests = the receiver's 200 answers"
is "$(jq .totals.records.read "$T/s.json")" 1905 "summary: 1500 + 400 + 5 records read"
is "$(jq .totals.records.rejected "$T/s.json")" 2 "summary: 2 rejected"
is "$(jq -r '.totals.records.reasons | to_entries | map(.value) | add' "$T/s.json")" 2 "summary: the reasons add up to the rejects"
is "$(jq .totals.records.rejected "$T/s.json")" "$(wc -l <"$T/rej.jsonl" | tr -d ' ')" "summary: rejected = lines in the rejects file"
is "$(jq '[.inputs[].records.read] | add' "$T/s.json")" 1905 "summary: the inputs add up to the totals"
is "$(jq -r '[.inputs[].name] | join(",")' "$T/s.json")" "$T/in/a.jsonl,$T/in/b.jsonl.gz,$T/in/c.jsonl" "summary: one entry per input, in order"
is "$(jq .totals.bytes.read "$T/s.json")" "$(($(wc -c <"$T/in/a.jsonl") + $(wc -c <"$T/in/b.jsonl.gz") + $(wc -c <"$T/in/c.jsonl")))" \
    "summary: raw bytes read = the inputs' sizes (the gzip one compressed)"
is "$(jq .exit.status "$T/s.json")" 3 "summary: the exit status"
trace=$(jq -r .trace_id "$T/s.json")
grep -q "\"traceId\":\"$trace\"" "$RECV_DIR"/req-*.json 2>/dev/null || pb_decode_all_has_trace=0
[ -n "$trace" ] && [ "$trace" != null ] && pass "summary: names a trace id ($trace)" || fail "summary: names a trace id"

check "the metrics file passes promtool check metrics" -- sh -c "promtool check metrics <'$T/m.prom'"
metric() { sed -n "s/^$1{job=\"nightly\"} //p" "$T/m.prom"; }
is "$(metric tracefill_spans_acknowledged_total)" "$spans" "metrics: acknowledged spans agree"
is "$(metric tracefill_records_rejected_total)" 2 "metrics: rejected records agree"
is "$(metric tracefill_last_exit_status)" 3 "metrics: the exit status"
is "$(metric tracefill_last_success_timestamp_seconds)" 0 "metrics: a run that exited 3 is no success (none before)"

# A successful run sets the last success; a failing one keeps it.
run_tf rc run -q -o "$T/ok.jsonl" --metrics-file "$T/m.prom" --job-name nightly "$T/in/a.jsonl"
ok_ts=$(metric tracefill_last_success_timestamp_seconds)
[ "$ok_ts" -gt 1700000000 ] && pass "metrics: a successful run records its time" || fail "metrics: success time $ok_ts"
run_tf rc run -q -o "$T/ok.jsonl" --metrics-file "$T/m.prom" --job-name nightly "$T/nothing-here"
is "$(metric tracefill_last_success_timestamp_seconds)" "$ok_ts" "metrics: a failed run keeps the last success"
is "$(metric tracefill_last_exit_status)" 4 "metrics: and says it failed"
check "the metrics file still passes promtool" -- sh -c "promtool check metrics <'$T/m.prom'"

# The summary is written on failure too.
run_tf rc run -q --endpoint http://127.0.0.1:1 --max-retries 0 --summary-json "$T/f.json" "$T/in/a.jsonl"
is "$(jq -r .outcome "$T/f.json")" failed "summary: written when the run fails"

# Progress on a pseudo-terminal: a percent and an ETA, and every message starts
# a line of its own (never glued to the progress text).
start_receiver
script -qfec "'$TRACEFILL' run -v --endpoint '$RECV_URL' --rate-limit 2000 --batch-spans 200 --concurrency 1 '$T/in'" "$T/tty.log" >/dev/null 2>&1 || true
stop_receiver
contains "$T/tty.log" "% " "the progress line shows a percent"
contains "$T/tty.log" "ETA " "and an estimated time left"
contains "$T/tty.log" "spans/s" "and rates"
# Each "tracefill:" starts the file, follows a newline, or follows the
# "\r ESC [K" that erases the progress line.
glued=$(perl -0ne '$n = 0; while (/(.{0,4})tracefill:/sg) { $n++ unless $1 =~ /(\n|\r\e\[K)$/ || $-[0] == 0 } print $n' "$T/tty.log")
is "$glued" 0 "no message is glued to the progress line"
erased=$(perl -0ne '$n = () = /\r\e\[Ktracefill: sent/g; print $n' "$T/tty.log")
[ "$erased" -gt 0 ] && pass "messages during the run erase the progress line first ($erased)" || fail "no erased progress line before a message"

# Old spans to a backend: one warning at the start; the summary ends with the
# run's wall-clock window and a trace to open, which the backend has.
start_receiver
run_tf rc run --no-progress --endpoint "$RECV_URL" "$T/in/a.jsonl"
stop_receiver
is "$(grep -c 'Tempo finds old spans by trace ID' "$T/err")" 1 "old spans: one warning about finding them"
contains "$T/err" "ingestion_time_range_slack" "naming the setting that decides"
open=$(sed -n 's/.*open a trace: \([0-9a-f]\{32\}\)$/\1/p' "$T/err")
[ -n "$open" ] && grep -q "^$open " "$RECV_DIR/spans.log" && pass "the summary's trace to open is one the backend got ($open)" ||
    fail "the summary's trace to open"
contains "$T/err" "(wall clock)" "and the run's wall-clock window"

# --time-shift-to now: the latest span ends at the run's time; originals kept.
before=$(date +%s)
run_tf rc run -q --time-shift-to now -o "$T/shift.jsonl" "$T/in/a.jsonl"
after=$(date +%s)
is "$rc" 0 "--time-shift-to now runs"
latest=$(jq -r '.resourceSpans[].scopeSpans[].spans[].endTimeUnixNano' "$T/shift.jsonl" | sort -n | tail -n1)
[ "$((latest / 1000000000))" -ge "$before" ] && [ "$((latest / 1000000000))" -le "$after" ] &&
    pass "the latest span now ends at the time of the run" || fail "latest end $latest not within $before..$after"
orig=$(jq -r '[.resourceSpans[].scopeSpans[].spans[] | .attributes[] | select(.key == "tracefill.original_start_time_unix_nano")] | length' "$T/shift.jsonl" | awk '{s+=$1} END {print s}')
is "$orig" 6000 "every span keeps its original start"
"$TRACEFILL" run -q -o "$T/ref.jsonl" "$T/in/a.jsonl"
first_orig=$(head -n1 "$T/shift.jsonl" | jq -r '.resourceSpans[0].scopeSpans[0].spans[0] | .attributes[] | select(.key == "tracefill.original_start_time_unix_nano") | .value.intValue')
first_start=$(head -n1 "$T/shift.jsonl" | jq -r '.resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano')
reference=$(head -n1 "$T/ref.jsonl" | jq -r '.resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano')
ref_latest=$(jq -r '.resourceSpans[].scopeSpans[].spans[].endTimeUnixNano' "$T/ref.jsonl" | sort -n | tail -n1)
is "$first_orig" "$reference" "the original start is the unshifted one"
is "$((first_start - first_orig))" "$((latest - ref_latest))" "every span moved by the same amount"
run_tf rc run -q --time-shift-to now -o "$T/x.jsonl" - <"$T/in/a.jsonl"
is "$rc" 2 "--time-shift-to cannot read standard input twice"
run_tf rc run -q --time-shift-to now --time-shift 1h -o "$T/x.jsonl" "$T/in/a.jsonl"
is "$rc" 2 "--time-shift with --time-shift-to is a usage error"
