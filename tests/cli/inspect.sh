#!/bin/sh
# inspect.sh: archives the way people keep logs, end to end through the real
# binary: tar.zst with compressed members and non-log members, zip, cpio.xz,
# a JSON array, concatenated values; `inspect` reports container, compression,
# framing, profile, counts and the first span per stream; `run` names members
# as archive:member in rejects and keeps going after a corrupt member.
. "$top_srcdir/tests/setup.sh"
need_cmd jq zstd gzip xz tar
GEN=$top_builddir/tests/tools/gen-records
mkdir -p "$T/src/day1" "$T/src/day2"
"$GEN" 30 1 >"$T/src/day1/a.jsonl"
"$GEN" 20 2 | gzip -n >"$T/src/day1/b.jsonl.gz"
"$GEN" 10 3 | zstd -q >"$T/src/day2/c.jsonl.zst"
echo "operator notes, not a log" >"$T/src/day2/README.txt"
(cd "$T/src" && tar -cf - day1 day2) | zstd -q >"$T/day.tar.zst"

run_tf rc inspect "$T/day.tar.zst"
is "$rc" 0 "inspect exits 0 on a clean archive"
is "$(grep -c '^[^ ]' "$T/out")" 4 "three member streams and a total line"
contains "$T/out" "$T/day.tar.zst:day1/b.jsonl.gz" "members are named archive:member"
awk '/day1\/b.jsonl.gz$/{f=1} f && /container:/{print; f=0}' "$T/out" >"$T/c"
contains "$T/c" "tar, compressed with zstd" "the container and its own compression are reported"
awk '/day1\/b.jsonl.gz$/{f=1} f && /compression:/{print; f=0}' "$T/out" >"$T/c"
contains "$T/c" "gzip" "a gzip member inside the tar is decompressed"
contains "$T/out" "records:     20 (80 spans, 0 rejected, 0 filtered out)" "counts per member (b: 20 records, 4 spans each)"
contains "$T/out" "profile:     openrouter (the first record has a gen-" "the profile and why it was chosen"
contains "$T/out" "3 streams, 60 records, 3 archive members skipped" "README.txt (not *.json*/*.log*) and the two directory entries are skipped and counted"
first=$(sed -n 's/^  first span:  //p' "$T/out" | head -n1)
is "$(printf '%s' "$first" | jq -r .name)" "$("$TRACEFILL" run -q -o - "$T/src/day1/a.jsonl" | jq -r '.resourceSpans[0].scopeSpans[0].spans[0].name')" \
   "the first span shown is the one run would send"

# zip and cpio.xz hold the same records: the same spans come out.
if command -v zip >/dev/null && command -v cpio >/dev/null; then
    (cd "$T/src" && zip -q -r "$T/day.zip" day1 day2)
    (cd "$T/src" && find day1 day2 | sort | cpio -o -H newc 2>/dev/null | xz >"$T/day.cpio.xz")
    for a in day.tar.zst day.zip day.cpio.xz; do
        "$TRACEFILL" run -q -o - "$T/$a" | jq -r '.resourceSpans[].scopeSpans[].spans[].spanId' | sort >"$T/$a.ids"
    done
    check "zip gives the same spans as tar.zst" -- cmp "$T/day.tar.zst.ids" "$T/day.zip.ids"
    check "cpio.xz gives the same spans as tar.zst" -- cmp "$T/day.tar.zst.ids" "$T/day.cpio.xz.ids"
    is "$(wc -l <"$T/day.zip.ids" | tr -d ' ')" 240 "240 spans from 60 records"
else
    skip "zip or cpio not installed"
fi

# Framings: a pretty-printed JSON array and concatenated values.
"$GEN" 5 4 | jq -s . >"$T/array.json"
"$GEN" 5 4 | jq -c . | tr -d '\n' >"$T/concat.json"
run_tf rc inspect "$T/array.json" "$T/concat.json"
is "$(grep -c 'framing:     array' "$T/out")" 1 "a top-level array is detected"
is "$(grep -c 'framing:     values' "$T/out")" 1 "concatenated values without newlines are detected"
is "$(grep -c 'records:     5 (20 spans' "$T/out")" 2 "both give 5 records"

# A corrupt member in the middle of a tar: named with its member, the rest goes on.
mkdir -p "$T/bad"
"$GEN" 10 5 | gzip -n >"$T/bad/1.jsonl.gz"
"$GEN" 10 6 | gzip -n | head -c 200 >"$T/bad/2.jsonl.gz"
"$GEN" 10 7 >"$T/bad/3.jsonl"
(cd "$T/bad" && tar -cf "$T/bad.tar" 1.jsonl.gz 2.jsonl.gz 3.jsonl)
run_tf rc run -o "$T/bad.out" --rejects "$T/bad.rej" "$T/bad.tar"
is "$rc" 4 "a corrupt member gives the input-error status"
contains "$T/err" "$T/bad.tar:2.jsonl.gz: unexpected end of gzip data" "the error names archive, member and what happened"
contains "$T/err" "compressed byte" "and the byte offset"
is "$(jq -r 'select(.kind=="stream") | .stream' "$T/bad.rej")" "$T/bad.tar:2.jsonl.gz" "the rejects file records the stream error with the member"
n=$(jq -r '.resourceSpans[].scopeSpans[].spans[] | select(.parentSpanId == null) | .spanId' "$T/bad.out" | wc -l | tr -d ' ')
[ "$n" -ge 20 ] && pass "records before and after the corrupt member are kept ($n roots)" || fail "only $n roots kept"
