# tests/setup.sh: sourced by every shell test (in the style of jq's tests/setup).
# Gives a private temp dir removed on exit, TAP helpers and the paths of the
# build. Tests print TAP on stdout; diagnostics go to stdout as "# ..." lines.
set -eu

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${TRACEFILL:=$top_builddir/src/tracefill}"
TESTS_DIR=$top_srcdir/tests
DATA_DIR=$top_srcdir/tests/data
SAMPLES_DIR=$top_srcdir/samples
export LC_ALL=C

T=$(mktemp -d "${TMPDIR:-/tmp}/tracefill-test.XXXXXX")
_tap_n=0
_tap_failed=0
_cleanup_hooks=""
at_exit() { _cleanup_hooks="$_cleanup_hooks
$*"; }
_on_exit() {
    rc=$?
    eval "$_cleanup_hooks" || true
    rm -rf "$T"
    if [ "$rc" -ne 0 ] && [ "$_tap_failed" -eq 0 ]; then
        echo "not ok $((_tap_n + 1)) - test script exited with status $rc"
        echo "1..$((_tap_n + 1))"
        exit 1
    fi
    echo "1..$_tap_n"
    [ "$_tap_failed" -eq 0 ]
}
trap _on_exit EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# ok COND-EXIT-STATUS DESCRIPTION: "ok" when the previous command succeeded.
pass() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $*"; }
fail() { _tap_n=$((_tap_n + 1)); _tap_failed=$((_tap_failed + 1)); echo "not ok $_tap_n - $*"; }
diag() { printf '%s\n' "$@" | sed 's/^/# /'; }
skip() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n # SKIP $*"; }

# check DESCRIPTION -- CMD...: runs CMD, passes when it exits 0.
check() {
    desc=$1; shift
    [ "$1" = "--" ] && shift
    if "$@" >"$T/.check.out" 2>&1; then pass "$desc"; else fail "$desc"; diag "command: $*"; diag "$(tail -n 20 "$T/.check.out")"; fi
}

# is GOT WANT DESCRIPTION
is() {
    if [ "$1" = "$2" ]; then pass "$3"; else fail "$3"; diag "got:      $1" "expected: $2"; fi
}

# contains FILE STRING DESCRIPTION / lacks FILE STRING DESCRIPTION (fixed strings)
contains() {
    if grep -qF -- "$2" "$1"; then pass "$3"; else fail "$3"; diag "'$2' not found in $1:"; diag "$(head -c 2000 "$1")"; fi
}
lacks() {
    if grep -qF -- "$2" "$1"; then fail "$3"; diag "'$2' unexpectedly found in $1:"; diag "$(grep -F -- "$2" "$1" | head -5)"; else pass "$3"; fi
}

# run_tf STATUS-VAR ARGS...: runs tracefill, stdout to $T/out, stderr to $T/err.
run_tf() {
    _var=$1; shift
    set +e
    "$TRACEFILL" "$@" >"$T/out" 2>"$T/err"
    eval "$_var=\$?"
    set -e
}

need_cmd() {
    for c in "$@"; do
        if ! command -v "$c" >/dev/null 2>&1; then
            echo "1..0 # SKIP $c is not installed"
            trap - EXIT
            rm -rf "$T"
            exit 0
        fi
    done
}
