#!/bin/sh
# bench-report.sh: `make bench`, the usage report: `tracefill report` on
# BENCH_RECORDS (default 1000000) generated OpenRouter records piped from
# tests/tools/gen-records (no corpus file), as JSON and as HTML, after the
# generator's own rate; and 10x the records for JSON (BENCH_TENX=0 skips it)
# to show that memory does not grow with the input. Peak RSS is that of the
# pipeline's largest process (tracefill). Numbers are printed, never asserted.
set -eu
: "${top_srcdir:?}" "${top_builddir:?}"
N=${BENCH_RECORDS:-1000000}
TENX=${BENCH_TENX:-1}
TF=$top_builddir/src/tracefill
GEN=$top_builddir/tests/tools/gen-records
M=$top_builddir/tests/tools/measure
W=$top_builddir/bench
mkdir -p "$W"

row() { # LABEL RECORDS CMD...
    label=$1 n=$2; shift 2
    "$M" -- "$@" 2>"$W/m-report.txt" >/dev/null
    line=$(grep 'wall_ms=' "$W/m-report.txt" | tail -n1)
    ms=$(echo "$line" | sed 's/.*wall_ms=\([0-9]*\).*/\1/')
    rss=$(echo "$line" | sed 's/.*maxrss_kib=\([0-9]*\).*/\1/')
    st=$(echo "$line" | sed 's/.*status=\([0-9]*\).*/\1/')
    [ "$ms" -gt 0 ] || ms=1
    printf '| %-44s | %10s | %8.1f s | %8.1f MiB | %4s |\n' "$label" $((n * 1000 / ms)) \
        "$(awk -v m=$ms 'BEGIN { print m / 1000 }')" "$(awk -v k=$rss 'BEGIN { print k / 1024 }')" "$st"
}

echo
echo "usage report (tracefill report, records piped from gen-records):"
printf '| %-44s | %10s | %10s | %12s | %4s |\n' run records/s wall "peak RSS" exit
printf '|%s|%s|%s|%s|%s|\n' ---------------------------------------------- ------------ ------------ -------------- ------
report_rows() { # N LABEL
    row "gen-records $2 | wc -c" "$1" sh -c "'$GEN' $1 1 | wc -c"
    row "gen-records $2 | report - --format json" "$1" sh -c "'$GEN' $1 1 | '$TF' report -q --format json -o '$W/report.json' -"
    echo "  $2: report.json $(wc -c <"$W/report.json") bytes, $(jq .totals.requests "$W/report.json" 2>/dev/null || echo '?') requests"
}
report_rows "$N" "N"
row "gen-records N | report - (HTML)" "$N" sh -c "'$GEN' $N 1 | '$TF' report -q -o '$W/report.html' -"
echo "  N: report.html $(wc -c <"$W/report.html") bytes"
if [ "$TENX" = 1 ]; then
    report_rows $((N * 10)) "10x"
fi
rm -f "$W/report.json" "$W/report.html" "$W/m-report.txt"
