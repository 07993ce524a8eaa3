#!/bin/sh
# run-all.sh [-b BUILDDIR] [-w WORKDIR] SECONDS [HARNESS...]: runs each libFuzzer
# harness of a --enable-fuzzing build for about SECONDS, one after the other,
# seeded with the committed corpus (tests/fuzz/corpus/), the seeds made from
# the fixtures (make-seeds.sh) and the kept findings that are fixed. Builds
# nothing. Exits non-zero when a harness crashed (or hung, or ran out of
# memory) on an input that is not a known open bug, printing the reproducer's
# path and the top of the report; a crash in the function of an OPEN finding
# (tests/fuzz/findings/OPEN) is printed as KNOWN and the harness goes on for
# the rest of its time (FUZZ_STRICT=1 makes those fail too).
# BUILDDIR defaults to the current directory; WORKDIR (corpora as they grow,
# crashes/HARNESS/, logs/HARNESS.log) to a new directory under $TMPDIR, kept.
# Extra libFuzzer flags can be given in FUZZ_FLAGS (e.g. FUZZ_FLAGS=-jobs=2).
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=.
work=
while [ $# -gt 0 ]; do
    case $1 in
    -b) build=$2; shift 2 ;;
    -w) work=$2; shift 2 ;;
    *) break ;;
    esac
done
secs=${1:?usage: run-all.sh [-b BUILDDIR] [-w WORKDIR] SECONDS [HARNESS...]}
shift
all="frame decode json time ids openrouter otlp mapping-compile mapping-eval checkpoint response archive text"
[ $# -gt 0 ] && all=$*
[ -n "$work" ] || work=$(mktemp -d "${TMPDIR:-/tmp}/tracefill-fuzz.XXXXXX")
mkdir -p "$work/logs"
work=$(cd "$work" && pwd)
for h in $all; do
    [ -x "$build/tests/fuzz/fuzz-$h" ] || {
        echo "run-all.sh: $build/tests/fuzz/fuzz-$h is missing: configure a build with CC=clang --enable-fuzzing and run make check TESTS= there" >&2
        exit 2
    }
done
if [ ! -d "$work/seeds" ]; then
    top_srcdir=$src sh "$here/make-seeds.sh" "$work/seeds" >"$work/logs/make-seeds.log" 2>&1 ||
        { echo "run-all.sh: make-seeds.sh failed (see $work/logs/make-seeds.log)" >&2; exit 2; }
fi

# The function (first frame in src/) of a crash report, for matching OPEN.
crash_fn() {
    sed -n 's/^ *#[0-9]* 0x[0-9a-f]* in \([^ ]*\) \([^ ]*\).*/\1 \2/p' "$1" | awk '$2 ~ /\/src\// { print $1; exit }'
}
known() { # known HARNESS FUNCTION: the OPEN note of a finding in that function
    awk -v h="$1" -v fn="$2" '$1 == h && index($0, "in " fn "(") { print; exit }' "$here/findings/OPEN"
}

# Stacks for UBSan reports too (they name the line at fault and match OPEN).
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
export UBSAN_OPTIONS
rc=0
for h in $all; do
    bin=$build/tests/fuzz/fuzz-$h
    corpus=$work/corpus/$h
    mkdir -p "$corpus" "$work/crashes/$h"
    # Fixed findings seed the run; open ones would only stop it at once.
    fixed=$work/fixed/$h
    rm -rf "$fixed"
    mkdir -p "$fixed"
    if [ -d "$here/findings/$h" ]; then
        for f in "$here/findings/$h"/*; do
            [ -f "$f" ] || continue
            awk -v h="$h" -v n="$(basename "$f")" '$1 == h && $2 == n { found = 1 } END { exit !found }' \
                "$here/findings/OPEN" || cp "$f" "$fixed/"
        done
    fi
    case $h in
    json | openrouter | otlp | mapping-* | checkpoint) dict=-dict=$here/dict/json.dict ;;
    *) dict= ;;
    esac
    start=$(date +%s)
    left=$secs
    while [ "$left" -gt 0 ]; do
        log=$work/logs/$h.log
        dirs=$corpus
        for d in "$here/corpus/$h" "$work/seeds/$h" "$fixed"; do
            [ -d "$d" ] && dirs="$dirs $d"
        done
        # shellcheck disable=SC2086 # dirs: paths without blanks (mktemp, the tree)
        "$bin" -max_total_time="$left" -timeout=20 -rss_limit_mb=3072 -print_final_stats=1 \
            -artifact_prefix="$work/crashes/$h/" $dict ${FUZZ_FLAGS:-} $dirs >"$log" 2>&1
        status=$?
        cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
        if [ $status -eq 0 ]; then
            echo "fuzz-$h: ok: ${execs:-?} executions, ${cov:-cov: ?} edges, corpus $(ls "$corpus" | wc -l) inputs"
            break
        fi
        art=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
        fn=$(crash_fn "$log")
        note=$(known "$h" "${fn:-?}")
        if [ -n "$note" ] && [ "${FUZZ_STRICT:-0}" != 1 ]; then
            echo "fuzz-$h: KNOWN open bug in $fn (${art:-no reproducer}): $note"
            mkdir -p "$work/known/$h"
            [ -n "$art" ] && mv "$art" "$work/known/$h/" 2>/dev/null
        else
            echo "fuzz-$h: FAILED (exit $status) after ${execs:-?} executions; reproducer: ${art:-none written}"
            echo "  reproduce: $bin ${art:-INPUT}"
            grep -m 1 -E 'ERROR: |invariant failed|runtime error|SUMMARY' "$log" | sed 's/^/  /'
            grep -E '^ *#[0-9]+ ' "$log" | head -n 12 | sed 's/^/  /'
            echo "  log: $log"
            rc=1
            break
        fi
        left=$((secs - ($(date +%s) - start)))
    done
done
echo "run-all.sh: corpora, crashes and logs in $work"
exit $rc
