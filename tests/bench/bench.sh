#!/bin/bash
# bench.sh: `make bench`. Generates a deterministic corpus of OpenRouter
# generation records as Broadcast maps them, with prompt and completion
# content (tests/tools/gen-records; BENCH_RECORDS, default 1000000, ~940
# bytes each) as .jsonl.zst and .jsonl.gz, then times, on this machine, in
# one run:
#   the floor (zstd -dc | json_verify -s), a scan that filters everything out,
#   the file sink, and OTLP/HTTP (protobuf; gzip, zstd, none) to the test
#   receiver in discard mode; and peak RSS, also for a run at 10x the records
#   (BENCH_TENX=0 skips that one); and the text formats' regex parser on
#   generated nginx combined lines with one and two threads (bench-text),
#   then the same lines end to end (read, parse, map, encode, write) through
#   samples/nginx-combined/mapping.json; and --usage-only --usage-metrics
#   on records piped from gen-records (`gen-records N | tracefill run -`),
#   for N and 10x N records (BENCH_TENX=0 skips 10x), to show that memory
#   stays bounded while the metrics file grows with the records' time span.
# Not part of `make check`: numbers are printed, never asserted.
set -eu
: "${top_srcdir:?}" "${top_builddir:?}"
N=${BENCH_RECORDS:-1000000}
TENX=${BENCH_TENX:-1}
TF=$top_builddir/src/tracefill
GEN=$top_builddir/tests/tools/gen-records
M=$top_builddir/tests/tools/measure
RECV=$top_builddir/tests/server/otlp-receiver
W=$top_builddir/bench
mkdir -p "$W"
for t in zstd gzip json_verify; do
    command -v $t >/dev/null || { echo "bench: $t is not installed (Debian: zstd gzip yajl-tools)" >&2; exit 1; }
done

corpus() { # N → $W/cN.jsonl.{zst,gz}, remade when gen-records changed
    stamp=$(cksum <"$GEN" | cut -d' ' -f1)
    if [ ! -s "$W/c$1.jsonl.zst" ] || [ ! -s "$W/c$1.jsonl.gz" ] || [ "$(cat "$W/c$1.gen" 2>/dev/null)" != "$stamp" ]; then
        echo "bench: generating $1 records" >&2
        "$GEN" "$1" 1 | tee >(gzip -1 >"$W/c$1.jsonl.gz.tmp") | zstd -q -1 -T1 -o "$W/c$1.jsonl.zst.tmp"
        mv "$W/c$1.jsonl.zst.tmp" "$W/c$1.jsonl.zst"
        mv "$W/c$1.jsonl.gz.tmp" "$W/c$1.jsonl.gz"
        echo "$stamp" >"$W/c$1.gen"
    fi
}

# measure LABEL RECORDS SPANS_PER_RECORD CMD...: one table row.
FLOOR=
row() {
    label=$1 n=$2 spr=$3; shift 3
    "$M" -- "$@" 2>"$W/m.txt" >/dev/null
    line=$(grep 'wall_ms=' "$W/m.txt" | tail -n1)
    ms=$(echo "$line" | sed 's/.*wall_ms=\([0-9]*\).*/\1/')
    rss=$(echo "$line" | sed 's/.*maxrss_kib=\([0-9]*\).*/\1/')
    st=$(echo "$line" | sed 's/.*status=\([0-9]*\).*/\1/')
    [ "$ms" -gt 0 ] || ms=1
    rps=$((n * 1000 / ms))
    [ -n "$FLOOR" ] || FLOOR=$rps
    sps=$( [ "$spr" = 0 ] && echo - || echo $((n * spr * 1000 / ms)) )
    ratio=$(awk -v a=$rps -v b=$FLOOR 'BEGIN { printf "%.2f", a / b }')
    mbps=$(awk -v r=$rps -v b=$BYTES_PER_RECORD 'BEGIN { printf "%.0f", r * b / 1e6 }')
    printf '| %-40s | %10s | %10s | %6s | %7s | %8.1f MiB | %4s |\n' "$label" $rps "$sps" "$mbps" "$ratio" \
        "$(awk -v k=$rss 'BEGIN { print k / 1024 }')" "$st"
}

start_recv() {
    rm -rf "$W/recv"; mkdir -p "$W/recv"
    "$RECV" --discard --idle-exit 600 --port-file "$W/recv/port" --pid-file "$W/recv/pid" --out "$W/recv" 2>/dev/null &
    RPID=$!
    i=0; while [ ! -s "$W/recv/port" ]; do sleep 0.05; i=$((i + 1)); [ $i -lt 200 ] || exit 1; done
    URL=http://127.0.0.1:$(cat "$W/recv/port")
}
stop_recv() { kill $RPID 2>/dev/null; wait $RPID 2>/dev/null || true; }

corpus "$N"
Z=$W/c$N.jsonl.zst G=$W/c$N.jsonl.gz
SPR=4 # spans per generated record: LLM Generation, moderation, one provider attempt, generation
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, $(date -u +%Y-%m-%d)"
JSON_BYTES=$(zstd -dc "$Z" | wc -c)
BYTES_PER_RECORD=$((JSON_BYTES / N))
JSON_BYTES_PER_RECORD=$BYTES_PER_RECORD
echo "tracefill $("$TF" --version | cut -d' ' -f2), $N records: $(awk -v b=$JSON_BYTES 'BEGIN {printf "%.0f MB", b/1e6}') of JSON ($BYTES_PER_RECORD bytes a record), .zst $(du -m "$Z" | cut -f1) MB, .gz $(du -m "$G" | cut -f1) MB"
echo
printf '| %-40s | %10s | %10s | %6s | %7s | %12s | %4s |\n' run records/s spans/s "MB/s" "x floor" "peak RSS" exit
printf '|%s|%s|%s|%s|%s|%s|%s|\n' ------------------------------------------ ------------ ------------ -------- --------- -------------- ------
row "floor: zstd -dc | json_verify -s" "$N" 0 sh -c "zstd -dc '$Z' | json_verify -s -q"
row "scan, everything filtered out (.zst)" "$N" 0 "$TF" run -q --until 2000-01-01T00:00:00Z -o /dev/null "$Z"
row "scan, everything filtered out (.gz)" "$N" 0 "$TF" run -q --until 2000-01-01T00:00:00Z -o /dev/null "$G"
row "file sink, OTLP/JSON to a file (.zst)" "$N" $SPR "$TF" run -q -o "$W/out.jsonl" "$Z"
rm -f "$W/out.jsonl"
row "file sink, OTLP/JSON to /dev/null (.zst)" "$N" $SPR "$TF" run -q -o /dev/null "$Z"
for c in zstd gzip none; do
    start_recv
    row "HTTP protobuf + $c (.zst)" "$N" $SPR "$TF" run -q --endpoint "$URL" --compression $c "$Z"
    stop_recv
done
if [ "$TENX" = 1 ]; then
    N10=$((N * 10))
    corpus "$N10"
    start_recv
    row "HTTP protobuf + zstd, 10x records" "$N10" $SPR "$TF" run -q --endpoint "$URL" --compression zstd "$W/c$N10.jsonl.zst"
    stop_recv
    row "file sink to /dev/null, 10x records" "$N10" $SPR "$TF" run -q -o /dev/null "$W/c$N10.jsonl.zst"
    row "scan, everything filtered out, 10x" "$N10" 0 "$TF" run -q --until 2000-01-01T00:00:00Z -o /dev/null "$W/c$N10.jsonl.zst"
fi

# Text formats: the regex path's parser alone (the nginx-combined preset on
# generated combined lines; target: 200,000 lines/s with two threads).
echo
echo "text formats, parsing only (tests/bench/bench-text, $N nginx combined lines in memory):"
for t in 1 2; do
    "$top_builddir/tests/bench/bench-text" --lines "$N" --threads $t 2>&1 | sed 's/^bench-text: /  /'
done

# The same lines end to end: tracefill run with the nginx-combined sample
# mapping (read, frame, parse, map, encode, write); target: 200,000 lines/s
# with two threads. "x floor" here is relative to the first row (1 thread).
NG=$W/nginx$N.log
if [ ! -s "$NG" ]; then
    echo "bench: generating $N nginx combined lines" >&2
    "$top_builddir/tests/bench/bench-text" --lines "$N" --print >"$NG.tmp" && mv "$NG.tmp" "$NG"
fi
NM=$top_srcdir/samples/nginx-combined/mapping.json
echo
echo "text formats, end to end ($N nginx combined lines, $(du -m "$NG" | cut -f1) MB, --profile samples/nginx-combined/mapping.json):"
printf '| %-40s | %10s | %10s | %6s | %7s | %12s | %4s |\n' run lines/s spans/s "MB/s" "x 1 thr" "peak RSS" exit
printf '|%s|%s|%s|%s|%s|%s|%s|\n' ------------------------------------------ ------------ ------------ -------- --------- -------------- ------
BYTES_PER_RECORD=$(($(wc -c <"$NG") / N))
FLOOR=
row "nginx combined to /dev/null, 1 thread" "$N" 0 "$TF" run -q --threads 1 -o /dev/null --profile "$NM" "$NG"
row "nginx combined to /dev/null, 2 threads" "$N" 0 "$TF" run -q --threads 2 -o /dev/null --profile "$NM" "$NG"
row "nginx combined to a file, 2 threads" "$N" 0 "$TF" run -q --threads 2 -o "$W/text-out.jsonl" --profile "$NM" "$NG"
rm -f "$W/text-out.jsonl"
gzip -1 -c "$NG" >"$W/nginx$N.log.gz"
row "nginx combined .gz to /dev/null, 2 thr" "$N" 0 "$TF" run -q --threads 2 -o /dev/null --profile "$NM" "$W/nginx$N.log.gz"

# Usage metrics alone, the records through a pipe (no corpus file): the
# generator's own rate first, then --usage-only --usage-metrics (default
# 1m steps, 1h window; the records span ~23 days per million) with the
# metrics file in $W and its spill file in $TMPDIR. Peak RSS is the
# pipeline's largest process (tracefill).
echo
echo "usage metrics (--usage-only --usage-metrics, records piped from gen-records):"
printf '| %-40s | %10s | %10s | %6s | %7s | %12s | %4s |\n' run records/s spans/s "MB/s" "x gen" "peak RSS" exit
printf '|%s|%s|%s|%s|%s|%s|%s|\n' ------------------------------------------ ------------ ------------ -------- --------- -------------- ------
BYTES_PER_RECORD=$JSON_BYTES_PER_RECORD
FLOOR=
usage_rows() { # N LABEL
    row "gen-records $2 | wc -c" "$1" 0 sh -c "'$GEN' $1 1 | wc -c"
    row "gen-records $2 | run - --usage-only" "$1" $SPR sh -c "'$GEN' $1 1 | '$TF' run -q --usage-only --usage-metrics '$W/usage.om' -"
    echo "  $2: usage.om $(du -m "$W/usage.om" | cut -f1) MB, $(grep -vc '^#' "$W/usage.om") samples"
    rm -f "$W/usage.om"
}
usage_rows "$N" "N"
if [ "$TENX" = 1 ]; then
    usage_rows $((N * 10)) "10x"
fi
