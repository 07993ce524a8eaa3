#!/bin/sh
# shard.sh: --shard K/N splits the inputs (files, archive members) by a stable
# hash of their names, so N runs cover every stream exactly once; --shards N
# takes K from JOB_COMPLETION_INDEX (a Kubernetes Indexed Job).
. "$top_srcdir/tests/setup.sh"
need_cmd jq sha256sum tar
GEN=$top_builddir/tests/tools/gen-records

mkdir -p "$T/in/day" "$T/m"
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do "$GEN" 5 "$i" >"$T/in/day/f$i.jsonl"; done
for i in 13 14 15 16 17 18; do "$GEN" 4 "$i" >"$T/m/m$i.jsonl"; done
(cd "$T/m" && tar -cf "$T/in/bundle.tar" m13.jsonl m14.jsonl m15.jsonl m16.jsonl m17.jsonl m18.jsonl)

ids() { jq -r '.resourceSpans[].scopeSpans[].spans[] | .traceId + " " + .spanId' "$@" | sort; }
"$TRACEFILL" run -q -o "$T/all.jsonl" "$T/in"
ids "$T/all.jsonl" >"$T/all.ids"

: >"$T/union.ids"
for k in 0 1 2; do
    run_tf rc run --shard "$k/3" -o "$T/s$k.jsonl" --summary-json "$T/s$k.json" "$T/in"
    is "$rc" 0 "shard $k/3 runs"
    ids "$T/s$k.jsonl" >>"$T/union.ids"
done
sort -o "$T/union.ids" "$T/union.ids"
check "the three shards together send exactly what one run sends, each span once" -- cmp "$T/all.ids" "$T/union.ids"
is "$(jq -s 'map(.totals.streams.read) | add' "$T/s0.json" "$T/s1.json" "$T/s2.json")" 18 "18 streams read across the shards"

# Which shard a name belongs to, computed here: SHA-256 of the name, its first
# 8 bytes as a big-endian number, modulo N (digit by digit in awk: 64-bit
# values do not fit the shell's arithmetic).
mismatch=0
for k in 0 1 2; do
    for name in $(jq -r '.inputs[] | select(.status == "read") | .name' "$T/s$k.json"); do
        h=$(printf '%s' "$name" | sha256sum | cut -c1-16)
        want=$(echo "$h" | awk '{ m = 0; for (i = 1; i <= length($0); i++) { m = (m * 16 + index("0123456789abcdef", substr($0, i, 1)) - 1) % 3 } print m }')
        [ "$want" = "$k" ] || mismatch=$((mismatch + 1))
    done
done
is "$mismatch" 0 "every stream is in the shard SHA-256 of its name says (archive members by member)"

JOB_COMPLETION_INDEX=1 "$TRACEFILL" run -q --shards 3 -o "$T/job1.jsonl" "$T/in"
check "--shards 3 with JOB_COMPLETION_INDEX=1 is --shard 1/3" -- cmp "$T/s1.jsonl" "$T/job1.jsonl"
run_tf rc run --shards 3 -o "$T/x.jsonl" "$T/in"
is "$rc" 2 "--shards without JOB_COMPLETION_INDEX is a usage error"
run_tf rc run --shard 3/3 -o "$T/x.jsonl" "$T/in"
is "$rc" 2 "--shard 3/3 is a usage error"
run_tf rc run --shard 0/2 -o "$T/x.jsonl" - </dev/null
is "$rc" 2 "standard input cannot be sharded"

# More shards than streams: a shard with nothing to do is no error.
"$GEN" 3 99 >"$T/one.jsonl"
for k in 0 1 2 3 4 5 6 7; do
    run_tf rc run -q --shard "$k/8" -o "$T/o$k.jsonl" "$T/one.jsonl"
    [ "$rc" = 0 ] || break
done
is "$rc" 0 "eight shards over one file: every shard exits 0"
