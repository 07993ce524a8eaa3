#!/bin/sh
# manifest.sh: run --manifest lists exactly the acknowledged traces, survives
# SIGKILL and resume without a lost, repeated or torn line, compresses by name,
# and refuses a manifest shorter than the checkpoint says.
. "$top_srcdir/tests/setup.sh"
. "$top_srcdir/tests/server/lib-receiver.sh"
need_cmd jq gzip zstd
GEN=$top_builddir/tests/tools/gen-records

mkdir -p "$T/in"
"$GEN" 700 1 >"$T/in/a.jsonl"
"$GEN" 500 2 | gzip >"$T/in/b.jsonl.gz"
n_records=1200

# 1. One line per record, with the spans the receiver got.
start_receiver
run_tf rc run --no-progress --endpoint "$RECV_URL" --manifest "$T/m.jsonl" "$T/in"
is "$rc" 0 "a run with --manifest exits 0"
stop_receiver
is "$(wc -l <"$T/m.jsonl" | tr -d ' ')" "$n_records" "one manifest line per record"
check "every line is a JSON object with the documented fields" -- \
    jq -e 'has("trace_id") and has("root") and has("start") and has("spans") and has("span_ids") and has("source") and has("member") and has("offset")' "$T/m.jsonl"
jq -r '.trace_id as $t | .span_ids[] | $t + " " + .' "$T/m.jsonl" | sort >"$T/m.ids"
awk '{print $1" "$2}' "$RECV_DIR/spans.log" | sort -u >"$T/r.ids"
check "the manifest's trace and span ids are exactly the receiver's" -- cmp "$T/m.ids" "$T/r.ids"
is "$(jq -s 'map(.spans) | add' "$T/m.jsonl")" "$(wc -l <"$T/r.ids" | tr -d ' ')" "span counts add up"
is "$(jq -r 'select(.source | endswith("b.jsonl.gz")) | .source' "$T/m.jsonl" | sort -u)" "$T/in/b.jsonl.gz" "source names the input file"
first=$(head -n1 "$T/in/a.jsonl")
is "$(jq -r 'select(.offset == 0 and (.source | endswith("a.jsonl"))) | .start' "$T/m.jsonl")" \
   "$(printf '%s' "$first" | jq -r '.created_at' | sed 's/+00:00$//')000Z" "start is the record's time, with nanoseconds"

# 2. Killed and resumed: every record once, no torn line.
start_receiver
args="run --no-progress --endpoint $RECV_URL --checkpoint $T/ck.json --manifest $T/k.jsonl --rate-limit 800 --batch-spans 50 --concurrency 2 $T/in"
kills=0 runs=0
while :; do
    runs=$((runs + 1))
    [ $runs -le 40 ] || break
    "$TRACEFILL" $args >"$T/k.out" 2>"$T/k.err" &
    pid=$!
    if [ $kills -lt 8 ]; then
        sleep "0.$(( 3 + $(od -An -N1 -tu1 /dev/urandom | tr -d ' ') % 5 ))"
        if kill -9 $pid 2>/dev/null; then
            wait $pid 2>/dev/null || true
            kills=$((kills + 1))
            continue
        fi
    fi
    rc=0; wait $pid || rc=$?
    break
done
stop_receiver
diag "$kills SIGKILLs over $runs runs"
[ $kills -ge 3 ] && pass "killed $kills times" || fail "only $kills kills"
is "$rc" 0 "the last run finished"
check "no torn line after the kills" -- jq -e . "$T/k.jsonl"
is "$(wc -l <"$T/k.jsonl" | tr -d ' ')" "$n_records" "every record has exactly one line"
is "$(jq -r '.trace_id' "$T/k.jsonl" | sort -u | wc -l | tr -d ' ')" "$n_records" "no trace listed twice"
jq -r '.trace_id as $t | .span_ids[] | $t + " " + .' "$T/k.jsonl" | sort >"$T/k.ids"
check "the same ids as the single run" -- cmp "$T/m.ids" "$T/k.ids"

# 3. Compressed by name.
run_tf rc run -q -o "$T/out.jsonl" --manifest "$T/m.jsonl.gz" "$T/in"
is "$(gzip -dc "$T/m.jsonl.gz" | wc -l | tr -d ' ')" "$n_records" ".gz: a gzip file with every line"
run_tf rc run -q -o "$T/out.jsonl" --manifest "$T/m.jsonl.zst" "$T/in"
is "$(zstd -dcq "$T/m.jsonl.zst" | wc -l | tr -d ' ')" "$n_records" ".zst: a zstd file with every line"

# 4. A manifest cut behind the checkpoint's back is refused, not padded.
rm -f "$T/ck2.json"
"$TRACEFILL" run -q -o "$T/o2.jsonl" --checkpoint "$T/ck2.json" --manifest "$T/m2.jsonl" "$T/in/a.jsonl"
"$GEN" 10 9 >>"$T/in/a.jsonl" # the input grows: the run resumes
: >"$T/m2.jsonl"
run_tf rc run -q -o "$T/o2.jsonl" --checkpoint "$T/ck2.json" --on-changed restart --manifest "$T/m2.jsonl" "$T/in/a.jsonl"
is "$rc" 1 "a manifest shorter than the checkpoint says: exit 1"
contains "$T/err" "it was replaced or cut" "and says what is wrong"
is "$(wc -c <"$T/m2.jsonl" | tr -d ' ')" 0 "the manifest is not padded"
