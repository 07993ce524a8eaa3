#!/bin/sh
# hardening.sh: what a resumed run does when the files the checkpoint speaks
# of were changed behind its back, and the smaller hardening fixes: a file
# cut while it is read, a checkpoint reached through a symbolic link,
# control characters from inputs and servers on the terminal, inputs that
# cannot be opened in the rejects file, --on-changed restart with -o, span
# times past 2262, and no core dumps. Each case failed before its fix.
. "$top_srcdir/tests/setup.sh"
need_cmd jq sha256sum truncate
GEN=$top_builddir/tests/tools/gen-records

"$GEN" 40 1 >"$T/a.jsonl"
"$GEN" 30 2 >"$T/b.jsonl"

# fresh_run: a finished run over a.jsonl with -o out.json and checkpoint ck.
fresh_run() {
    rm -f "$T/ck" "$T/ck.rejects.jsonl" "$T/out.json"
    run_tf rc run --no-progress -o "$T/out.json" --checkpoint "$T/ck" "$T/a.jsonl"
    [ "$rc" = 0 ] || { fail "the fresh run exits 0 (got $rc)"; diag "$(cat "$T/err")"; }
    full=$(stat -c %s "$T/out.json")
}
# set_json FILTER: rewrites the checkpoint with a jq filter.
set_json() {
    jq "$1" "$T/ck" >"$T/ck.new" && mv "$T/ck.new" "$T/ck"
}

# 1. The output is shorter than the checkpoint says (replaced by a 13-byte
#    file): the resume refuses instead of padding it with NUL bytes, and
#    the file is left as it was.
fresh_run
printf 'hello world\n\n' >"$T/out.json"
run_tf rc run --no-progress -o "$T/out.json" --checkpoint "$T/ck" "$T/a.jsonl" "$T/b.jsonl"
is "$rc" 1 "an output shorter than the checkpoint says: exit 1"
contains "$T/err" "cannot resume the output $T/out.json: it is 13 bytes, the checkpoint recorded $full" \
    "the message names the file and both sizes"
is "$(stat -c %s "$T/out.json")" 13 "the output is left at its 13 bytes (no NUL padding)"
is "$(tr -d '\000' <"$T/out.json" | wc -c | tr -d ' ')" 13 "and holds no NUL byte"

# 2. The output is gone: not recreated as a sparse file.
rm -f "$T/out.json"
run_tf rc run --no-progress -o "$T/out.json" --checkpoint "$T/ck" "$T/a.jsonl" "$T/b.jsonl"
is "$rc" 1 "a missing output on resume: exit 1"
contains "$T/err" "it is gone, the checkpoint recorded $full bytes" "the message says it is gone"
check "the output is not recreated" -- test ! -e "$T/out.json"

# 3. A recorded size in the middle of a line: refused (a torn line).
fresh_run
set_json ".output.size = $((full - 7))"
run_tf rc run --no-progress -o "$T/out.json" --checkpoint "$T/ck" "$T/a.jsonl" "$T/b.jsonl"
is "$rc" 1 "a size inside a line: exit 1"
contains "$T/err" "byte $((full - 7)), where the checkpoint says it ends, is inside a line" "the message names the byte"
is "$(stat -c %s "$T/out.json")" "$full" "the output is not cut"

# 4. Negative and absurd sizes are a damaged checkpoint, not an empty output
#    or a 10 TB sparse file.
for bad in -5 10000000000000 '"abc"' 1.5 true; do
    fresh_run
    set_json ".output.size = $bad"
    run_tf rc run --no-progress -o "$T/out.json" --checkpoint "$T/ck" "$T/a.jsonl" "$T/b.jsonl"
    is "$rc" 1 "output size $bad: exit 1"
    if [ "$bad" = 10000000000000 ]; then
        contains "$T/err" "the checkpoint recorded 10000000000000" "size $bad: the output is too short for it"
    else
        contains "$T/err" "checkpoint $T/ck: output: \"size\" is not a count of bytes or records" \
            "size $bad: the checkpoint is called damaged"
    fi
    is "$(stat -c %s "$T/out.json")" "$full" "size $bad: the output keeps its $full bytes"
done

# 5. The rejects file is held to the same rule.
"$GEN" 10 3 >"$T/r.jsonl"
printf 'not json at all\n' >>"$T/r.jsonl"
rm -f "$T/ck" "$T/ck.rejects.jsonl"
run_tf rc run --no-progress -o "$T/out.json" --checkpoint "$T/ck" "$T/r.jsonl"
is "$rc" 3 "a run with one bad record exits 3"
rsize=$(stat -c %s "$T/ck.rejects.jsonl")
is "$(jq -r .rejects.size "$T/ck")" "$rsize" "the checkpoint records the rejects file's size"
: >"$T/ck.rejects.jsonl"
run_tf rc run --no-progress -o "$T/out.json" --checkpoint "$T/ck" "$T/r.jsonl" "$T/b.jsonl"
is "$rc" 1 "a rejects file emptied behind the checkpoint's back: exit 1"
contains "$T/err" "cannot resume the rejects file $T/ck.rejects.jsonl: it is 0 bytes, the checkpoint recorded $rsize" \
    "the message names the rejects file"

# 6. Stream offsets that cannot be true: -1 and one past the stream's end
#    never skip it silently.
fresh_run
set_json '.streams[0].offset = -1 | .streams[0].done = false'
run_tf rc run --no-progress -o "$T/out.json" --checkpoint "$T/ck" "$T/a.jsonl"
is "$rc" 1 "a stream offset of -1: exit 1"
contains "$T/err" "\"offset\" is not a count of bytes or records" "offset -1 is called damaged"
fresh_run
set_json '.streams[0].offset = 1000000000000000 | .streams[0].done = false'
run_tf rc run --no-progress -o "$T/out.json" --checkpoint "$T/ck" "$T/a.jsonl"
is "$rc" 4 "an offset past the stream's end: exit 4 (an input error)"
contains "$T/err" "the checkpoint resumes it at byte 1000000000000000 but it ends at byte $(stat -c %s "$T/a.jsonl")" \
    "the message names both offsets"
contains "$T/ck.rejects.jsonl" "the checkpoint resumes it at byte 1000000000000000" "and the rejects file has it"
fresh_run
set_json '.streams[0].raw_offset = 1000000000000000 | .streams[0].done = false'
run_tf rc run --no-progress -o "$T/out.json" --checkpoint "$T/ck" "$T/a.jsonl"
is "$rc" 1 "a raw offset past the file's size: exit 1"
contains "$T/err" "\"raw_offset\" 1000000000000000 is past its size" "the message says so"

# 7. A file cut while it is read is an input error (exit 4), not a record
#    reject (exit 3): the reader is held back by a stalled stdout, the file
#    is cut, then stdout drains. 60000 records (~50 MB) is far more than the
#    pipeline reads ahead.
"$GEN" 60000 4 >"$T/big.jsonl"
big=$(stat -c %s "$T/big.jsonl")
rm -f "$T/big.rejects.jsonl"
( rc=0; "$TRACEFILL" run --no-progress -o - --rejects "$T/big.rejects.jsonl" "$T/big.jsonl" 2>"$T/cut.err" || rc=$?
  echo $rc >"$T/cut.rc" ) | { sleep 1; truncate -s 3000000 "$T/big.jsonl"; cat >/dev/null; }
is "$(cat "$T/cut.rc")" 4 "a file cut while read: exit 4"
contains "$T/cut.err" "big.jsonl: the file ended at byte" "the message names the file"
contains "$T/cut.err" "it had $big when opened: it was truncated or replaced while being read" "and its size when opened"
check "the rejects file records the stream error, no torn record" -- \
    jq -e -s 'length == 1 and .[0].kind == "stream"' "$T/big.rejects.jsonl"

# 8. A checkpoint reached through a symbolic link: the link stays a link,
#    and a second run through the link and the file is refused.
mkdir -p "$T/state"
ln -s state/ck "$T/ck-link"
rc=0
(cd "$T" && "$TRACEFILL" run --no-progress -o "$T/l.json" --checkpoint ck-link "$T/a.jsonl" 2>"$T/link.err") || rc=$?
is "$rc" 0 "a run through a link to a new checkpoint exits 0"
check "the link is still a link" -- test -L "$T/ck-link"
check "the checkpoint was written where it points" -- jq -e '.streams | length == 1' "$T/state/ck"
mkfifo "$T/fifo"
"$TRACEFILL" run --no-progress -o "$T/l2.json" --checkpoint "$T/state/ck" "$T/fifo" 2>"$T/hold.err" &
holder=$!
exec 7>"$T/fifo" # the holder now waits for input with the checkpoint locked
i=0
while [ ! -e "$T/state/ck.lock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
run_tf rc run --no-progress -o "$T/l3.json" --checkpoint "$T/ck-link" "$T/a.jsonl"
is "$rc" 1 "a second run through the link is refused"
contains "$T/err" "is in use by another tracefill run (pid $holder)" "naming the run that holds it"
exec 7>&-
wait "$holder" || true

# 9. Control characters in names and in what servers say are shown as \xHH.
mkdir -p "$T/ctl"
evil=$(printf 'e\033]0;pwned\007\rX.gz')
printf '\037\213\010\000garbage' >"$T/ctl/$evil"
run_tf rc run --no-progress -o "$T/c.json" --rejects "$T/c.rej" "$T/ctl"
contains "$T/err" 'e\x1B]0;pwned\x07\x0DX.gz: ' "an escape sequence in a file name is shown as \\xHH"
check "no raw ESC, BEL or CR reaches stderr" -- sh -c "! tr -d '\n' <'$T/err' | grep -q \"\$(printf '[\033\007\r]')\""
cp "$T/a.jsonl" "$T/ctl/$(printf 'l\033[2Jname.jsonl')"
tar -C "$T/ctl" -cf "$T/ctl.tar" "$(printf 'l\033[2Jname.jsonl')"
run_tf rc inspect "$T/ctl.tar"
contains "$T/out" 'ctl.tar:l\x1B[2Jname.jsonl' "inspect shows a member name's ESC as \\x1B"
check "no raw ESC on inspect's stdout" -- sh -c "! grep -q \"\$(printf '\033')\" '$T/out'"

# 10. Inputs that cannot be opened are in the rejects file, in order with
#     the others, and the run goes on.
mkdir -p "$T/dd"
ln -s "$T/nowhere.jsonl" "$T/dd/dangling.jsonl"
cp "$T/b.jsonl" "$T/dd/"
rm -f "$T/u.rej"
run_tf rc run --no-progress -o "$T/u.json" --rejects "$T/u.rej" "$T/missing.jsonl" "$T/dd" "$T/a.jsonl"
is "$rc" 4 "unopenable inputs: exit 4"
is "$(jq -r 'select(.kind == "input") | .reason' "$T/u.rej")" \
   "$T/missing.jsonl: cannot open: No such file or directory
$T/dd/dangling.jsonl: cannot open: No such file or directory" "both are in the rejects file with the reason"
want=$(($(wc -l <"$T/a.jsonl") + $(wc -l <"$T/b.jsonl")))
contains "$T/err" "$want records from 2 streams" "the other inputs were all read"

# 11. --on-changed restart with -o: reading a changed stream again would
#     write its earlier spans into the file twice; it stops and says why.
#     With /dev/null it reads the stream again.
fresh_run
"$GEN" 3 9 >>"$T/a.jsonl"
run_tf rc run --no-progress -o "$T/out.json" --checkpoint "$T/ck" --on-changed restart "$T/a.jsonl"
is "$rc" 1 "restart of a changed stream with -o FILE: exit 1"
contains "$T/err" "reading it again would add its spans to $T/out.json a second time" "the message says why"
is "$(stat -c %s "$T/out.json")" "$full" "nothing was appended to the output"
run_tf rc run --no-progress -o "$T/out2.json" --checkpoint "$T/ck" --on-changed restart "$T/a.jsonl"
is "$rc" 0 "restart into another -o file (one no earlier run wrote) exits 0"
run_tf rc run --no-progress -o "$T/out3.json" "$T/a.jsonl"
nspans() { jq -r '.resourceSpans[].scopeSpans[].spans[].spanId' "$1" | sort; }
[ -s "$T/out3.json" ] && [ "$(nspans "$T/out2.json")" = "$(nspans "$T/out3.json")" ] &&
    pass "and that file holds the whole changed stream once (the spans of a run without a checkpoint)" ||
    fail "the restarted stream's spans differ from a run without a checkpoint"
rm -f "$T/ckn" "$T/ckn.rejects.jsonl"
"$GEN" 40 1 >"$T/g.jsonl"
run_tf rc run --no-progress -o /dev/null --checkpoint "$T/ckn" "$T/g.jsonl"
"$GEN" 3 9 >>"$T/g.jsonl"
run_tf rc run --no-progress -o /dev/null --checkpoint "$T/ckn" --on-changed restart "$T/g.jsonl"
is "$rc" 0 "restart with -o /dev/null exits 0"
contains "$T/err" "43 records from 1 stream" "and reads the whole grown stream again"

# 12. A start near 2262 plus a latency ends past the largest time backends
#     take: the record is rejected with the reason, later records go on.
{
    head -n 1 "$T/b.jsonl" | jq -c '.created_at = "2262-04-11T23:47:16.800000+00:00" | .latency = 99999999'
    sed -n 2p "$T/b.jsonl"
} >"$T/late.jsonl"
rm -f "$T/late.rej"
run_tf rc run --no-progress -o "$T/late.json" --rejects "$T/late.rej" "$T/late.jsonl"
is "$rc" 3 "a span ending after 2262: exit 3"
is "$(jq -r .reason "$T/late.rej")" "a span ends after 2262-04-11T23:47:16.854775807Z, the latest time OTLP backends take" \
   "the reject says why"
is "$(jq -r .line "$T/late.rej")" 1 "it is line 1"
check "the second record's spans were written" -- jq -e -s 'map(.resourceSpans[].scopeSpans[].spans | length) | add > 0' "$T/late.json"
check "no span time in the output is past 2^63-1" -- \
    jq -e -s '[.[].resourceSpans[].scopeSpans[].spans[] | .endTimeUnixNano | tonumber] | all(. < 9223372036854775807)' "$T/late.json"

# 13. No core dump can carry a token to disk.
mkfifo "$T/fifo2"
"$TRACEFILL" run --no-progress -o /dev/null --allow-empty "$T/fifo2" 2>/dev/null &
pid=$!
exec 8>"$T/fifo2"
i=0
while ! grep -q 'Max core file size' "/proc/$pid/limits" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
is "$(awk '/Max core file size/ {print $5 " " $6}' "/proc/$pid/limits")" "0 0" "the core file size limit is 0"
exec 8>&-
wait "$pid" || true

