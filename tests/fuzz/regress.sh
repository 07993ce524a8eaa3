#!/bin/sh
# regress.sh: replays every harness's seeds and kept findings (tests/fuzz/)
# once, through the harness binaries of this build: libFuzzer ones in a
# --enable-fuzzing build, standalone replayers (standalone.c) in any other,
# so the ASan+UBSan and ThreadSanitizer builds check them too.
#   - the committed seeds (corpus/<harness>/) and the seeds made from the
#     fixtures (make-seeds.sh): each harness over all of them, one process;
#   - each kept finding (findings/<harness>/<name>): a process of its own.
#     A finding listed in findings/OPEN is a known bug not fixed yet (its
#     owner and the line at fault are noted there): it is reported as TODO
#     while it still fails, and once it passes the test fails (XPASS) so the
#     fix removes its line from OPEN, turning it into a regression input
#     (in a build without ASan/UBSan, TF_SAN_KIND other than address, an
#     open finding that passes is skipped: most are ASan/UBSan reports).
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/setup.sh"
F=$top_srcdir/tests/fuzz
B=$top_builddir/tests/fuzz
HARNESSES="frame decode json time ids openrouter otlp mapping-compile mapping-eval checkpoint response archive text"

# The seed corpora made from the fixtures.
if ! sh "$F/make-seeds.sh" "$T/seeds" >"$T/seeds.log" 2>&1; then
    fail "make-seeds.sh builds the run-time seed corpora"
    diag "$(tail -n 20 "$T/seeds.log")"
fi

UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
export UBSAN_OPTIONS
# Keep ASan/UBSan reports and the harnesses' own messages for the diagnostics.
replay() { # replay LOG FILE...
    _log=$1; shift
    # (libFuzzer's default 2 GiB malloc limit: `zstd --long=31` input asks for a 2 GiB window)
    "$B/fuzz-$h" -rss_limit_mb=4096 "$@" >"$_log" 2>&1
}

open_reason() { # open_reason HARNESS NAME: the OPEN line's note, or nothing
    awk -v h="$1" -v n="$2" '$1 == h && $2 == n { $1 = ""; $2 = ""; sub(/^ +/, ""); print; exit }' "$F/findings/OPEN"
}

for h in $HARNESSES; do
    if [ ! -x "$B/fuzz-$h" ]; then
        fail "$h: harness built ($B/fuzz-$h)"
        continue
    fi
    for set in "$F/corpus/$h" "$T/seeds/$h"; do
        [ -d "$set" ] || continue
        files=$(find "$set" -type f | LC_ALL=C sort)
        [ -n "$files" ] || continue
        what=$( [ "$set" = "$F/corpus/$h" ] && echo "committed seeds" || echo "seeds from the fixtures" )
        # shellcheck disable=SC2086 # file names made by us: no blanks
        if replay "$T/replay.log" $files; then
            pass "$h: $what ($(echo "$files" | wc -l) inputs) run clean"
        else
            fail "$h: $what run clean"
            diag "$(grep -v '^Running: \|^Executed \|^INFO: ' "$T/replay.log" | head -n 40)"
        fi
    done
    [ -d "$F/findings/$h" ] || continue
    for f in $(find "$F/findings/$h" -type f | LC_ALL=C sort); do
        name=$(basename "$f")
        why=$(open_reason "$h" "$name")
        if replay "$T/finding.log" "$f"; then
            if [ -n "$why" ] && [ "${TF_SAN_KIND:-none}" != address ]; then
                # Most findings are ASan/UBSan reports: without them, passing proves nothing.
                skip "$h: open finding $name fails only under ASan/UBSan ($why)"
            elif [ -n "$why" ]; then
                fail "$h: open finding $name no longer fails: remove its line from tests/fuzz/findings/OPEN"
            else
                pass "$h: finding $name (regression input) runs clean"
            fi
        elif [ -n "$why" ]; then
            _tap_n=$((_tap_n + 1))
            echo "not ok $_tap_n - $h: finding $name # TODO open: $why"
        else
            fail "$h: finding $name (regression input) runs clean"
            diag "$(grep -v '^Running: \|^Executed \|^INFO: ' "$T/finding.log" | head -n 40)"
        fi
    done
done
