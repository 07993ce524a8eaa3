#!/bin/sh
# make-fixtures.sh DIR: builds the input-stage fixtures in DIR with the system
# tools (every container x compression combination, plus bad inputs). Optional
# tools (zip, cpio, 7z) are skipped when absent; DIR/missing-tools lists them.
# Deterministic content; names deliberately do not always tell the format.
set -eu
out=${1:?usage: make-fixtures.sh DIR}
mkdir -p "$out"
cd "$out"
: >missing-tools
have() { command -v "$1" >/dev/null 2>&1; }
# Tools the fixtures cannot do without (tests/docs.sh checks that .ci/deps
# installs each of them); optional ones are probed with `have` below.
REQUIRED_TOOLS="awk gzip pigz zstd bzip2 xz lz4 tar dd head tail"
for t in $REQUIRED_TOOLS; do
    have "$t" || { echo "make-fixtures.sh: $t is not installed (see .ci/deps)" >&2; exit 1; }
done

# ---- content ---------------------------------------------------------------
mkdir -p src/logs
awk 'BEGIN { for (i = 0; i < 100; i++) printf "{\"i\":%d,\"msg\":\"line %d of a\",\"pad\":\"%040d\"}\n", i, i, i * 7 }' >src/logs/a.jsonl
awk 'BEGIN { for (i = 0; i < 50; i++) printf "{\"i\":%d,\"msg\":\"line %d of b\"}\n", i, i }' >src/logs/b.jsonl
awk 'BEGIN { for (i = 0; i < 20; i++) printf "{\"i\":%d,\"msg\":\"line %d of c\"}\n", i, i }' >src/logs/c.jsonl
: >src/logs/empty.jsonl
echo "not a log" >src/notes.txt
ln -sf logs/a.jsonl src/link
gzip -n -c src/logs/b.jsonl >src/logs/b.jsonl.gz
# A gzip stream whose second member starts with an invalid block type: the
# decoder must fail exactly 11 bytes into that member.
gzip -n -c src/logs/c.jsonl >src/logs/bad.jsonl.gz
printf '\037\213\010\000\000\000\000\000\000\003\007' >>src/logs/bad.jsonl.gz

# ---- bare compressed files ---------------------------------------------------
a=src/logs/a.jsonl
gzip -n -c $a >a.jsonl.gz
zstd -q -c $a >a.jsonl.zst
bzip2 -c $a >a.jsonl.bz2
xz -c $a >a.jsonl.xz
lz4 -q -c $a >a.jsonl.lz4
xz --format=lzma -c $a >a.jsonl.lzma
cp $a plain.jsonl
# Multi-member gzip (logrotate, cat a.gz b.gz) and pigz output.
gzip -n -c src/logs/b.jsonl >b.jsonl.gz
cat a.jsonl.gz b.jsonl.gz >multi.jsonl.gz
pigz -n -c -b 32 $a >pigz.jsonl.gz
# Multi-frame zstd with a skippable frame in between.
zstd -q -c src/logs/b.jsonl >b.jsonl.zst
{ cat a.jsonl.zst; printf 'P*M\030\005\000\000\000hello'; cat b.jsonl.zst; } >multi.jsonl.zst
# --long=31 from a pipe: the frame header asks for a 2 GiB window.
cat $a | zstd -q --long=31 -c >long31.zst
# No telling names: content decides.
cp a.jsonl.xz no-extension
cp a.jsonl.gz looks-plain.txt

# ---- bad inputs --------------------------------------------------------------
: >empty.jsonl
head -c $(($(wc -c <a.jsonl.zst) / 2)) a.jsonl.zst >trunc.jsonl.zst
cp src/logs/bad.jsonl.gz corrupt.jsonl.gz
tail -c +20 a.jsonl.xz >binary.jsonl # binary junk with a log-like name

# ---- containers --------------------------------------------------------------
members="logs logs/a.jsonl logs/b.jsonl.gz logs/empty.jsonl notes.txt link"
(cd src && tar --format=gnu --no-recursion -cf ../gnu.tar $members)
(cd src && tar --format=pax --no-recursion -cf ../pax.tar $members)
(cd src && tar --format=v7 --no-recursion -cf ../v7.tar logs/a.jsonl logs/b.jsonl.gz)
gzip -n -c gnu.tar >tar.gz.bin
zstd -q -c gnu.tar >tar.zst.bin
bzip2 -c gnu.tar >tar.bz2.bin
xz -c gnu.tar >tar.xz.bin
lz4 -q -c gnu.tar >tar.lz4.bin
# A tar with a member whose gzip data is corrupt, between two good members.
(cd src && tar --format=gnu --no-recursion -cf ../midcorrupt.tar logs/a.jsonl logs/bad.jsonl.gz logs/c.jsonl)
# A tar whose second header is damaged (checksum byte overwritten).
(cd src && tar --format=gnu --no-recursion -cf ../badheader.tar logs/a.jsonl logs/b.jsonl logs/c.jsonl)
asize=$(wc -c <src/logs/a.jsonl)
hdr2=$((512 + (asize + 511) / 512 * 512))
printf 'X' | dd of=badheader.tar bs=1 seek=$((hdr2 + 150)) conv=notrunc 2>/dev/null
# Truncated archives, cut in the middle of the second member's data (big.jsonl,
# 400000 bytes, larger than libarchive's read-ahead).
awk 'BEGIN { for (i = 0; i < 5000; i++) printf "{\"i\":%06d,\"v\":\"%08x%08x%08x%08x%06d\"}\n", i, i * 2654435761 % 4294967296, i * 40503 % 65536, i * i % 4294967291, i * 97 % 1000003, i }' >src/logs/big.jsonl
(cd src && tar --format=gnu --no-recursion -cf ../cut.tar logs/a.jsonl logs/big.jsonl logs/c.jsonl)
gzip -n -c cut.tar >cut.tar.gz
head -c $(($(wc -c <cut.tar.gz) / 2)) cut.tar.gz >trunc.tar.gz
head -c $((hdr2 + 200000)) cut.tar >trunc.tar

if have zip; then
    (cd src && zip -q -X -y ../deflate.zip $members)
    (cd src && zip -q -X -y -0 ../stored.zip $members)
    gzip -n -c deflate.zip >zip.gz.bin
    # A stored member whose data no longer matches its CRC.
    cp stored.zip badcrc.zip
    off=$(grep -boa 'line 5 of a' badcrc.zip | head -n 1 | cut -d: -f1)
    printf 'X' | dd of=badcrc.zip bs=1 seek="$off" conv=notrunc 2>/dev/null
else
    echo zip >>missing-tools
fi
if have cpio; then
    (cd src && printf '%s\n' $members | cpio -o -H newc --quiet >../newc.cpio)
    (cd src && printf '%s\n' $members | cpio -o -H odc --quiet >../odc.cpio)
    (cd src && printf '%s\n' $members | cpio -o -H bin --quiet >../bin.cpio)
    gzip -n -c newc.cpio >cpio.gz.bin
else
    echo cpio >>missing-tools
fi
sz=""
for t in 7z 7za 7zz 7zr; do
    if have $t; then sz=$t; break; fi
done
if [ -n "$sz" ]; then
    (cd src && $sz a -bd -bso0 -bsp0 ../archive.7z logs/a.jsonl logs/b.jsonl.gz logs/empty.jsonl notes.txt >/dev/null)
else
    echo 7z >>missing-tools
fi

# ---- a directory of mixed junk ----------------------------------------------
mkdir -p junk/sub junk/B
cp $a junk/sub/app.log
cp a.jsonl.zst junk/sub/app.log.1.zst
cp binary.jsonl junk/x.jsonl
echo "readme" >junk/README
cp a.jsonl.gz junk/data.bin       # compressed, not a container, no matching name: skipped
cp tar.zst.bin junk/B/bundle.dat  # a container: expanded whatever its name
: >junk/_empty.log
ln -sf sub junk/link-to-dir
ln -sf sub/app.log junk/link.log
mkfifo junk/pipe.log 2>/dev/null || true
