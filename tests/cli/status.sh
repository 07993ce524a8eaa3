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
