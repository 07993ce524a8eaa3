#!/bin/sh
# run-all.sh [-b BUILDDIR] [-w WORKDIR] SECONDS [HARNESS...]: runs each libFuzzer
# harness of a --enable-fuzzing build for about SECONDS, one after the other,
# seeded with the committed corpus (tests/fuzz/corpus/), the seeds made from
# the fixtures (make-seeds.sh) and the kept findings that are fixed. Builds
# nothing. Exits non-zero when a harness crashed (or hung, or ran out of
# memory) on an input that is not a known open bug, printing the reproducer's
# path and the top of the report. libFuzzer runs in fork mode, so fuzzing
# goes on after a crash; each reproducer is replayed at the end, and one that
# crashes in the function of an OPEN finding (tests/fuzz/findings/OPEN) is
# printed as KNOWN and does not fail the run (FUZZ_STRICT=1 fails on those
# too).
# BUILDDIR defaults to the current directory; WORKDIR (corpora as they grow,
# crashes/HARNESS/, reports/HARNESS/, logs/HARNESS.log) to a new directory
# under $TMPDIR, kept.
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
    crashes=$work/crashes/$h
    mkdir -p "$corpus" "$crashes"
    # Fixed findings seed the run; open ones would only crash it at once.
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
    dirs=$corpus
    for d in "$here/corpus/$h" "$work/seeds/$h" "$fixed"; do
        [ -d "$d" ] && dirs="$dirs $d"
    done
    log=$work/logs/$h.log
    before=$(ls "$crashes" | wc -l)
    # Fork mode: a crash (hang, memory blow-up) is kept and the fuzzing goes
    # on with the next job, so a known open bug does not stop the run.
    # shellcheck disable=SC2086 # dirs: paths without blanks (mktemp, the tree)
    # libarchive allocates from lengths in headers it has not checked yet (a
    # 4 GiB malloc for a few-KB input) and never touches most of it: the
    # tool's RSS stays at 12 MB on such files. For the archive harness only,
    # a single allocation is not a finding by itself; RSS still is.
    limits="-rss_limit_mb=3072"
    [ "$h" = archive ] && limits="$limits -malloc_limit_mb=8192"
    # shellcheck disable=SC2086 # limits: words
    "$bin" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 -max_total_time="$secs" \
        -timeout=20 $limits -artifact_prefix="$crashes/" $dict ${FUZZ_FLAGS:-} $dirs >"$log" 2>&1
    status=$?
    stats=$(grep -E '^#[0-9]+: cov' "$log" | tail -n 1)
    execs=$(echo "$stats" | sed -n 's/^#\([0-9]*\):.*/\1/p')
    cov=$(echo "$stats" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
    new=$(ls "$crashes" | wc -l)
    bad=0
    if [ "$new" -gt "$before" ] || [ $status -ne 0 ]; then
        for art in $(ls -t "$crashes" | head -n $((new - before))); do
            rep=$work/reports/$h/$art.txt
            art=$crashes/$art
            mkdir -p "$work/reports/$h"
            "$bin" "$art" >"$rep" 2>&1
            fn=$(crash_fn "$rep")
            note=$(known "$h" "${fn:-?}")
            if [ -n "$note" ] && [ "${FUZZ_STRICT:-0}" != 1 ]; then
                echo "fuzz-$h: KNOWN open bug in $fn: $art"
                continue
            fi
            bad=1
            echo "fuzz-$h: FAILED: reproducer $art"
            echo "  reproduce: $bin $art"
            grep -m 1 -E 'ERROR: |invariant failed|runtime error' "$rep" | sed 's/^/  /'
            grep -E '^ *#[0-9]+ .* in ' "$rep" | grep -v -E ' in (fuzzer::|__sanitizer|__interceptor|abort|raise|__pthread)' |
                head -n 8 | sed 's/^/  /'
        done
        if [ $status -ne 0 ] && [ "$new" -eq "$before" ]; then
            bad=1
            echo "fuzz-$h: FAILED: libFuzzer exited with status $status and no reproducer; log: $log"
            tail -n 5 "$log" | sed 's/^/  /'
        fi
    fi
    if [ $bad = 0 ]; then
        echo "fuzz-$h: ok: ${execs:-?} executions, cov ${cov:-?}, corpus $(ls "$corpus" | wc -l) new inputs"
    else
        rc=1
    fi
done
echo "run-all.sh: corpora, crashes and logs in $work"
exit $rc
