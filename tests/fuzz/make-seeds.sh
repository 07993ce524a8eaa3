#!/bin/sh
# make-seeds.sh DIR: builds the run-time seed corpora of the harnesses into
# DIR/<harness>/ from the test fixtures (tests/data/make-fixtures.sh), the
# samples and tests/data/openrouter. The small hand-written seeds stay in
# tests/fuzz/corpus/<harness>/ (committed); these are bigger and are made
# each time so the repository holds no binary fixtures.
# Each harness's input layout (option bytes before the data) is described
# at the top of its source file.
set -eu
out=${1:?usage: make-seeds.sh DIR}
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
mkdir -p "$out"
out=$(cd "$out" && pwd)
fx=$out/.fixtures
rm -rf "$fx"
sh "$top_srcdir/tests/data/make-fixtures.sh" "$fx" >/dev/null
S=$top_srcdir/samples
for h in frame decode json openrouter otlp mapping-compile mapping-eval archive; do
    mkdir -p "$out/$h"
done

# seed HARNESS NAME PREFIX FILE: PREFIX (printf escapes) then FILE's bytes.
seed() {
    { printf "$3"; cat "$4"; } >"$out/$1/$2"
}
# lines HARNESS TAG PREFIX FILE MAX: the first MAX lines of FILE, one seed each.
lines() {
    i=0
    while IFS= read -r line && [ $i -lt "$5" ]; do
        i=$((i + 1))
        { printf "$3"; printf '%s' "$line"; } >"$out/$1/$2-$i"
    done <"$4"
}
zcat "$S/openrouter/openrouter-2025-06-01.jsonl.gz" >"$fx/or1.jsonl"
zstd -q -d -c "$S/openrouter/openrouter-2025-06-02.jsonl.zst" >"$fx/or2.jsonl"
zcat "$S/litellm/spend.jsonl.gz" >"$fx/litellm.jsonl"

# frame: 4 option bytes (read size, codec, record limit, resume pick).
n=0
for f in "$fx/plain.jsonl" "$fx/src/logs/b.jsonl" "$S/otlp/collector-export.jsonl" "$S/agent/steps.jsonl" \
    "$top_srcdir/tests/data/openrouter/"*.jsonl; do
    n=$((n + 1))
    seed frame "plain-$n" '\000\000\000\000' "$f"
    seed frame "gzip-$n" '\007\001\000\003' "$f"
    seed frame "zstd2-$n" '\001\022\000\001' "$f"
    seed frame "xz-$n" '\061\004\012\002' "$f"
done
seed frame "bzip2" '\003\003\000\000' "$fx/src/logs/c.jsonl"
seed frame "lz4" '\000\006\000\000' "$fx/src/logs/c.jsonl"
seed frame "lzip" '\000\007\000\000' "$fx/src/logs/c.jsonl"
seed frame "compress" '\000\010\000\000' "$fx/src/logs/c.jsonl"
seed frame "lzma" '\000\005\000\000' "$fx/src/logs/c.jsonl"
seed frame "gzip-via-libarchive" '\000\041\000\000' "$fx/src/logs/c.jsonl"
# Already compressed (detected by content, decoded once).
for f in a.jsonl.gz a.jsonl.zst a.jsonl.bz2 a.jsonl.xz a.jsonl.lz4 a.jsonl.lzma multi.jsonl.gz \
    multi.jsonl.zst pigz.jsonl.gz trunc.jsonl.zst corrupt.jsonl.gz; do
    seed frame "$f" '\000\000\000\000' "$fx/$f"
done
# A top-level array, pretty-printed values, CRLF and a BOM.
{ printf '['; head -n 5 "$fx/plain.jsonl" | paste -sd, -; printf ']\n'; } >"$fx/array.json"
seed frame array '\005\000\000\002' "$fx/array.json"
jq . "$S/otlp/collector-export.jsonl" >"$fx/pretty.json" 2>/dev/null || cp "$S/otlp/collector-export.jsonl" "$fx/pretty.json"
seed frame pretty '\000\000\000\001' "$fx/pretty.json"
{ printf '\357\273\277'; head -n 5 "$fx/plain.jsonl" | sed 's/$/\r/'; } >"$fx/crlf.jsonl"
seed frame bom-crlf '\002\000\001\000' "$fx/crlf.jsonl"

# decode: decoder index, chunk size, then the compressed bytes.
# (none gzip zstd bzip2 xz lz4 lzip lzma compress lzop)
seed decode gzip '\001\000' "$fx/a.jsonl.gz"
seed decode gzip-multi '\001\023' "$fx/multi.jsonl.gz"
seed decode gzip-corrupt '\001\000' "$fx/corrupt.jsonl.gz"
seed decode gzip-la '\021\000' "$fx/pigz.jsonl.gz"
seed decode zstd '\002\000' "$fx/a.jsonl.zst"
seed decode zstd-multi '\002\007' "$fx/multi.jsonl.zst"
seed decode zstd-trunc '\002\000' "$fx/trunc.jsonl.zst"
seed decode zstd-long '\002\000' "$fx/long31.zst"
seed decode zstd-la '\022\000' "$fx/b.jsonl.zst"
seed decode bzip2 '\003\000' "$fx/a.jsonl.bz2"
seed decode xz '\004\061' "$fx/a.jsonl.xz"
seed decode lz4 '\005\000' "$fx/a.jsonl.lz4"
seed decode lzma '\007\000' "$fx/a.jsonl.lzma"
seed decode none '\000\011' "$fx/src/logs/c.jsonl"

# json: records of every sample, one per file.
lines json or '' "$fx/or1.jsonl" 4
lines json otlp '' "$S/otlp/collector-export.jsonl" 3
lines json nginx '' "$S/nginx/access.jsonl" 3
lines json agent '' "$S/agent/steps.jsonl" 3
lines json litellm '' "$fx/litellm.jsonl" 3
seed json array '' "$fx/array.json"

# openrouter and otlp: records, also with the option byte.
lines openrouter or1 '' "$fx/or1.jsonl" 8
lines openrouter or2 '\007' "$fx/or2.jsonl" 4
for f in "$top_srcdir/tests/data/openrouter/"*.jsonl; do
    lines openrouter "$(basename "$f" .jsonl)" '' "$f" 3
done
lines otlp export '' "$S/otlp/collector-export.jsonl" 5
lines otlp export-opts '\005' "$S/otlp/collector-export.jsonl" 2

# mapping-compile: the mapping files.
for f in "$S"/*/mapping.json "$top_srcdir"/tests/fuzz/mappings/*.json; do
    cp "$f" "$out/mapping-compile/$(basename "$(dirname "$f")")-$(basename "$f")"
done

# mapping-eval: mapping index (wide tiny nginx litellm agent), then a record.
lines mapping-eval nginx '\002' "$S/nginx/access.jsonl" 6
lines mapping-eval litellm '\003' "$fx/litellm.jsonl" 4
lines mapping-eval agent '\004' "$S/agent/steps.jsonl" 6
lines mapping-eval wide-nginx '\000' "$S/nginx/access.jsonl" 2
lines mapping-eval wide-agent '\000' "$S/agent/steps.jsonl" 2

# archive: every container and compression of the fixtures.
for f in gnu.tar pax.tar v7.tar tar.gz.bin tar.zst.bin tar.bz2.bin tar.xz.bin tar.lz4.bin midcorrupt.tar \
    badheader.tar deflate.zip stored.zip badcrc.zip zip.gz.bin newc.cpio odc.cpio bin.cpio cpio.gz.bin \
    archive.7z a.jsonl.gz multi.jsonl.zst; do
    [ -f "$fx/$f" ] && cp "$fx/$f" "$out/archive/$f"
done
rm -rf "$fx"
