#!/bin/sh
# valgrind.sh: one end-to-end upload under valgrind's memcheck: the OpenRouter
# samples (gzip and zstd inputs, two files) to the test receiver over
# OTLP/HTTP (protobuf + gzip), with a checkpoint, several requests in flight
# and one 503 with Retry-After that is retried. The run must succeed, every
# span arrive, and memcheck report no error (invalid read or write, use of
# uninitialised memory, bad free, fd misuse) and no definitely lost block.
# Skipped in sanitizer builds (valgrind cannot run ASan or TSan binaries).
. "$top_srcdir/tests/setup.sh"
. "$top_srcdir/tests/server/lib-receiver.sh"
need_cmd valgrind jq
if [ "${TF_SAN_KIND:-none}" != none ]; then
    echo "1..0 # SKIP a $TF_SAN_KIND sanitizer build: valgrind cannot run it"
    trap - EXIT
    rm -rf "$T"
    exit 0
fi

S=$SAMPLES_DIR/openrouter
"$TRACEFILL" run -q -o "$T/ref.jsonl" "$S"
jq -r '.resourceSpans[].scopeSpans[].spans[] | .traceId + " " + .spanId' "$T/ref.jsonl" | sort >"$T/ref.ids"
n_ref=$(wc -l <"$T/ref.ids" | tr -d ' ')

printf 'status 503 retry-after=0\nok\n' >"$T/script"
start_receiver --script "$T/script"
set +e
valgrind --tool=memcheck --error-exitcode=99 --leak-check=full --show-leak-kinds=definite \
    --errors-for-leak-kinds=definite --track-origins=yes --num-callers=30 --log-file="$T/vg.log" \
    "$TRACEFILL" run --no-progress --endpoint "$RECV_URL" --batch-spans 16 --concurrency 2 \
    --checkpoint "$T/ck.json" "$S" >"$T/out" 2>"$T/err"
rc=$?
set -e
is "$rc" 0 "the upload under memcheck exits 0 (99: memcheck found errors)"
awk '{print $1" "$2}' "$RECV_DIR/spans.log" | sort >"$T/got.ids"
check "every span arrives exactly once ($n_ref spans)" -- cmp "$T/ref.ids" "$T/got.ids"
is "$(recv_status_count 503)" 1 "the 503 was answered once and the batch retried"
errors=$(sed -n 's/^==[0-9]*== ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$T/vg.log" | tail -n 1)
is "${errors:-missing}" 0 "memcheck: ERROR SUMMARY 0 errors"
lost=$(sed -n 's/^==[0-9]*==    definitely lost: \([0-9,]*\) bytes.*/\1/p' "$T/vg.log" | tail -n 1)
if [ -z "$lost" ] && grep -q "All heap blocks were freed" "$T/vg.log"; then
    lost=0
fi
is "${lost:-missing}" 0 "memcheck: no definitely lost bytes"
if [ "$rc" != 0 ] || [ "${errors:-x}" != 0 ] || [ "${lost:-x}" != 0 ]; then
    diag "$(grep -v '^==[0-9]*== *$' "$T/vg.log" | head -n 80)"
    diag "$(tail -n 5 "$T/err")"
fi
