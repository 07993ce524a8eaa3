#!/bin/sh
# docs.sh: the docs say what the code does. The Quick start installs exactly
# what CI installs and runs a command that exists; every option in --help is
# in the man page; every exit status is documented; the man page renders.
. "$top_srcdir/tests/setup.sh"
R=$top_srcdir/README.md
M=$top_srcdir/doc/tracefill.1

block() { awk -v n="$1" '/^```sh$/{c++; if (c==n) {on=1; next}} /^```$/{on=0} on' "$R"; }
q1=$(block 1)
q2=$(block 2)
is "$(printf '%s\n' "$q1" | wc -l | tr -d ' ')" 1 "Quick start command 1 is one line"
is "$q2" "make check" "Quick start command 2 runs the whole test suite"
words() { tr ' ' '\n' | sed '/^$/d' | sort; }
readme_pkgs=$(printf '%s' "$q1" | sed -n 's/^apt-get update && apt-get install -y \([^&]*\) &&.*/\1/p' | words)
readme_node=$(printf '%s' "$q1" | sed -n 's/.*{ command -v npm >\/dev\/null || apt-get install -y \([^;]*\); }.*/\1/p' | words)
ci_main=$(sed -n 's/^DEPS="\(.*\)"$/\1/p' "$top_srcdir/.ci/deps" | words)
ci_node=$(sed -n 's/^NODE_DEPS="\(.*\)"$/\1/p' "$top_srcdir/.ci/deps" | words)
is "$readme_pkgs" "$ci_main" "the Quick start installs exactly the packages CI installs (.ci/deps DEPS)"
is "$readme_node" "$ci_node" "the Quick start installs Node.js where npm is absent, as CI does (.ci/deps NODE_DEPS)"
[ -n "$ci_node" ] && pass "NODE_DEPS is not empty" || fail "NODE_DEPS missing from .ci/deps"
ci_pkgs=$(printf '%s\n%s\n' "$ci_main" "$ci_node" | sort)
case $q1 in
*"./autogen.sh && ./configure && make && ./src/tracefill run samples/openrouter") pass "command 1 builds and runs the main job on the bundled samples" ;;
*) fail "command 1 does not end with the build and the sample run"; diag "$q1" ;;
esac
[ -n "$(ls "$top_srcdir"/samples/openrouter/*.gz "$top_srcdir"/samples/openrouter/*.zst 2>/dev/null)" ] &&
    pass "samples/openrouter holds gzip and zstd logs" || fail "samples/openrouter is missing its logs"

"$TRACEFILL" --help >"$T/help"
missing=""
for opt in $(sed -n 's/^ *\(-., \)\{0,1\}--\([a-z-]*\).*/\2/p' "$T/help"); do
    esc=$(printf '%s' "$opt" | sed 's/-/\\\\-/g')
    grep -q "\\\\-\\\\-$esc" "$M" || missing="$missing $opt"
done
is "$missing" "" "every option in --help is documented in doc/tracefill.1"
[ "$(sed -n 's/^ *\(-., \)\{0,1\}--\([a-z-]*\).*/\2/p' "$T/help" | wc -l)" -ge 30 ] && pass "--help lists the options" || fail "--help lists too few options"
for code in 0 1 2 3 4 75 130; do
    grep -A1 '^\.TP' "$M" | grep -qx "\.B $code" && pass "exit status $code is in the man page" || fail "exit status $code undocumented"
done
for code in 0 1 2 3 4 75 128; do
    grep -q "TF_EXIT_[A-Z_]* = $code" "$top_srcdir/src/tool/exit.h" && pass "exit status $code exists in tool/exit.h" || fail "exit status $code missing from tool/exit.h"
done
if command -v groff >/dev/null 2>&1; then
    groff -man -Tutf8 -ww -z "$M" >"$T/groff" 2>&1
    is "$(cat "$T/groff")" "" "the man page renders without groff warnings"
else
    skip "groff not installed"
fi
for f in spans.md ids.md mapping.md grafana-cloud.md tempo.md cron-systemd.md performance.md internals.md s3.md \
    kubernetes.md fuzzing.md usage-metrics.md report.md; do
    grep -q "doc/$f" "$R" && [ -f "$top_srcdir/doc/$f" ] && pass "README links doc/$f and it exists" || fail "doc/$f missing or unlinked"
done

# Every command the tests need comes from a package CI installs (.ci/deps) or
# one every Debian system has (Essential or Priority required): a tool that is
# merely present on the developer's machine fails here, not on a fresh one.
if command -v dpkg >/dev/null 2>&1 && command -v dpkg-query >/dev/null 2>&1; then
    tools=$(sed -n 's/^REQUIRED_TOOLS="\(.*\)"$/\1/p' "$top_srcdir/tests/data/make-fixtures.sh")
    tools="$tools $(sed -n 's/^need_cmd \(.*\)$/\1/p' "$top_srcdir"/tests/*/*.sh | tr -d '"' | sed 's/\${PROTOC:-protoc}/protoc/g')"
    unowned=""
    for t in $(printf '%s\n' $tools | sort -u); do
        path=$(command -v "$t" 2>/dev/null) || { unowned="$unowned $t(absent)"; continue; }
        pkg=""
        # merged /usr: dpkg may know the file under /bin rather than /usr/bin
        for f in "$(readlink -f "$path")" "$path" "/bin/$t" "/usr/bin/$t"; do
            for g in "$f" "${f#/usr}"; do
                # dpkg -S matches substrings: keep the line naming exactly $g
                [ -n "$pkg" ] || pkg=$(dpkg -S "$g" 2>/dev/null | awk -v f="$g" 'substr($0, length($0) - length(f) - 1) == ": " f { sub(/[:,].*/, ""); print; exit }')
            done
        done
        [ -n "$pkg" ] || { unowned="$unowned $t(no package)"; continue; }
        case " $ci_pkgs " in *" $pkg "*) continue ;; esac
        printf '%s\n' $ci_pkgs | grep -qx "$pkg" && continue
        ess=$(dpkg-query -W -f='${Essential} ${Priority}' "$pkg" 2>/dev/null)
        case $ess in yes*|*required) continue ;; esac
        unowned="$unowned $t($pkg)"
    done
    is "$unowned" "" "every tool the tests need is installed by .ci/deps or essential"
else
    skip "dpkg is not available to map tools to packages"
fi
