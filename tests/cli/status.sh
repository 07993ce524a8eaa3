#!/bin/sh
# status.sh: `tracefill status` reads the inputs the way `run` read them:
# with the same --include/--exclude, a finished member is done, not "new".
. "$top_srcdir/tests/setup.sh"
need_cmd tar
GEN=$top_builddir/tests/tools/gen-records

mkdir -p "$T/m"
"$GEN" 5 1 >"$T/m/a.log"
"$GEN" 7 2 >"$T/m/b.ndjson"
(cd "$T/m" && tar -cf "$T/a.tar" a.log b.ndjson)

run_tf rc run -q --include '*.ndjson' --checkpoint "$T/ck.json" -o "$T/out.jsonl" "$T/a.tar"
is "$rc" 0 "run reads only the member --include names"
is "$(wc -l <"$T/out.jsonl" | tr -d ' ')" 1 "one request written"

run_tf rc status --include '*.ndjson' --checkpoint "$T/ck.json" "$T/a.tar"
is "$rc" 0 "status with the same --include: nothing left, exit 0"
lacks "$T/out" "new " "no member is called new"
contains "$T/out" "0 input streams not started yet" "status says nothing is left"
grep -q "^done .*a.tar:b.ndjson\$" "$T/out" && pass "the finished member is done" ||
    { fail "the finished member is done"; diag "$(cat "$T/out")"; }

# Without the --include, status reads the default member globs: a.log is new.
run_tf rc status --checkpoint "$T/ck.json" "$T/a.tar"
contains "$T/out" "a.tar:a.log" "without --include, the member run never read is listed as new"

# After an interrupted run: percents between 0 and 100 that agree with the
# summary, records acknowledged, exit 1 while work remains.
. "$top_srcdir/tests/server/lib-receiver.sh"
need_cmd jq
mkdir -p "$T/big"
"$GEN" 3000 5 | gzip >"$T/big/a.jsonl.gz"
"$GEN" 2000 6 >"$T/big/b.jsonl"
start_receiver
"$TRACEFILL" run --no-progress --endpoint "$RECV_URL" --checkpoint "$T/ck3.json" --rate-limit 4000 --batch-spans 200 \
    --summary-json "$T/s3.json" "$T/big" >/dev/null 2>&1 &
pid=$!
recv_wait_requests 10 20 || true
kill -TERM $pid
rc=0; wait $pid || rc=$?
stop_receiver
is "$rc" 75 "the run was interrupted"
run_tf rc status --checkpoint "$T/ck3.json" "$T/big"
is "$rc" 1 "status: work remains, exit 1"
pcts=$(awk '$1 == "partial" || $1 == "done" || $1 == "pending" {print $3}' "$T/out" | tr -d '%')
bad=0
for p in $pcts; do [ "$p" -ge 0 ] && [ "$p" -le 100 ] || bad=$((bad + 1)); done
is "$bad" 0 "every stream's percent is between 0 and 100 ($(echo $pcts))"
acked_records=$(awk '$1 == "partial" || $1 == "done" || $1 == "pending" {s += $2} END {print s + 0}' "$T/out")
read_records=$(jq .totals.records.read "$T/s3.json")
[ "$acked_records" -gt 0 ] && [ "$acked_records" -le "$read_records" ] &&
    pass "records acknowledged ($acked_records) are some of those the run read ($read_records)" ||
    fail "acknowledged $acked_records, read $read_records"
acked_spans=$(jq .totals.spans.acknowledged "$T/s3.json")
[ $((acked_records * 4)) -le "$acked_spans" ] && pass "and their spans were acknowledged (4 each: $((acked_records * 4)) <= $acked_spans)" ||
    fail "status says $acked_records records, the run acknowledged only $acked_spans spans"
contains "$T/out" "records acknowledged" "the totals line counts records"

# An input changed since the checkpoint: exit 4. (a.jsonl.gz: the stream the
# interrupted run certainly started; how far the reader got into b.jsonl
# depends on the record size and the read-ahead.)
"$GEN" 5 7 | gzip >>"$T/big/a.jsonl.gz"
run_tf rc status --checkpoint "$T/ck3.json" "$T/big"
is "$rc" 4 "status: a changed input, exit 4"
contains "$T/out" "changed  " "and it is listed"
# A file the checkpoint read that is gone: exit 4.
rm "$T/big/a.jsonl.gz"
run_tf rc status --checkpoint "$T/ck3.json"
is "$rc" 4 "status: a vanished input, exit 4"
contains "$T/out" "vanished" "and it is listed"
