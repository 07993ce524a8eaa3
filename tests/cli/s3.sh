#!/bin/sh
# s3.sh: s3:// inputs against a real S3-compatible server on loopback (the
# npm package s3rver, version 3), fixtures uploaded through its API: a
# listing of more than 1,000 keys (two pages), gzip and tar.zst objects read
# like local files, --include/--exclude on keys, the checkpoint's key, ETag
# and size, a resume after a kill in the middle of the listing, a ranged
# resume of an uncompressed object and a re-read of a compressed one, a
# changed object, a missing bucket and a missing key, credentials from the
# environment or a profile, and the secret key never shown.
# Expected spans come from running tracefill on the same files on disk.
. "$top_srcdir/tests/setup.sh"
. "$top_srcdir/tests/server/lib-receiver.sh"
. "$top_srcdir/tests/cli/lib-remote.sh"
need_cmd node curl jq gzip zstd tar md5sum
need_s3rver
GEN=$top_builddir/tests/tools/gen-records
CAT=$top_builddir/tests/tools/remote-cat

# No AWS configuration of this machine leaks in; s3rver knows the key S3RVER
# (it does not check signatures, so the signer is tested in unit-sigv4).
SECRET=sekrit-Xq7-not-to-be-shown
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=$SECRET
export AWS_SHARED_CREDENTIALS_FILE=$T/no-credentials AWS_CONFIG_FILE=$T/no-config
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_REGION AWS_DEFAULT_REGION \
    AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 2>/dev/null || true

start_s3rver logs
EP="--s3-endpoint $S3_URL"
spans() { # FILE...: sorted "traceId spanId" lines of OTLP/JSON lines files
    jq -r '.resourceSpans[].scopeSpans[].spans[] | .traceId + " " + .spanId' "$@" | sort
}

# ---- fixtures ---------------------------------------------------------------
mkdir -p "$T/many" "$T/mixed" "$T/big"
"$GEN" 1100 5 >"$T/all.jsonl"
split -l 1 -a 4 -d "$T/all.jsonl" "$T/many/k"
for f in "$T"/many/k*; do mv "$f" "$f.jsonl"; done
"$GEN" 300 6 | gzip >"$T/mixed/c.jsonl.gz"
mkdir -p "$T/tarin"
"$GEN" 200 7 >"$T/tarin/a.jsonl"
"$GEN" 200 8 | gzip >"$T/tarin/b.jsonl.gz"
tar -C "$T/tarin" -cf - a.jsonl b.jsonl.gz | zstd -q >"$T/mixed/logs.tar.zst"
printf 'Release notes, not a log\n' >"$T/mixed/readme.txt"
"$GEN" 3000 9 >"$T/big/big.jsonl"
"$GEN" 3000 10 | gzip >"$T/big/big.jsonl.gz"

cfg=$T/upload.cfg
: >"$cfg"
for f in "$T"/many/*.jsonl; do
    printf 'upload-file = "%s"\nurl = "%s/logs/many/%s"\noutput = /dev/null\n' "$f" "$S3_URL" "$(basename "$f")" >>"$cfg"
done
for f in c.jsonl.gz logs.tar.zst readme.txt; do
    printf 'upload-file = "%s"\nurl = "%s/logs/mixed/%s"\noutput = /dev/null\n' "$T/mixed/$f" "$S3_URL" "$f" >>"$cfg"
done
for f in big.jsonl big.jsonl.gz; do
    printf 'upload-file = "%s"\nurl = "%s/logs/big/%s"\noutput = /dev/null\n' "$T/big/$f" "$S3_URL" "$f" >>"$cfg"
done
check "1,106 fixtures uploaded through the S3 API" -- curl -sS -f -K "$cfg"
check "and a folder marker (an empty key ending in /)" -- curl -sS -f -o /dev/null -X PUT --data-binary '' "$S3_URL/logs/mixed/folder/"

# ---- listing and reading -------------------------------------------------------
"$TRACEFILL" run -q -o "$T/ref-many.jsonl" "$T/many"
: >"$S3_LOG.mark"
run_tf rc run --no-progress $EP -o "$T/many.jsonl" s3://logs/many/
is "$rc" 0 "1,100 objects: exit 0"
contains "$T/err" "from 1100 streams" "all 1,100 objects were read"
check "their spans are those of the same files read from disk" -- cmp "$(spans "$T/ref-many.jsonl" >"$T/a"; echo "$T/a")" "$(spans "$T/many.jsonl" >"$T/b"; echo "$T/b")"
pages=$(grep -c 'list-type=2' "$S3_LOG")
is "$pages" 2 "the listing took two pages (ListObjectsV2 with a continuation token)"
grep -q 'continuation-token=' "$S3_LOG" && pass "the second page asked with the continuation token" || fail "no continuation-token in the s3rver log"
lacks "$T/err" "$SECRET" "the secret key is not in the messages"

"$TRACEFILL" run -q -o "$T/ref-mixed.jsonl" "$T/mixed"
run_tf rc run --no-progress $EP -o "$T/mixed.jsonl" s3://logs/mixed/
is "$rc" 0 "gzip, tar.zst, text and a folder marker: exit 0"
spans "$T/ref-mixed.jsonl" >"$T/a"
spans "$T/mixed.jsonl" >"$T/b"
check "the gzip object and the tar.zst members give the spans of the local files" -- cmp "$T/a" "$T/b"
is "$(wc -l <"$T/b" | tr -d ' ')" "$(( (300 + 200 + 200) * 4 ))" "700 records, 4 spans each"
contains "$T/err" "s3://logs/mixed/readme.txt: skipped: not JSON" "a text object is judged by content and skipped"
run_tf rc inspect $EP s3://logs/mixed/
contains "$T/out" "s3://logs/mixed/logs.tar.zst:b.jsonl.gz" "tar members are named URL:member"
contains "$T/out" "compression: gzip" "the gzip object is decoded by content"
lacks "$T/out" "mixed/folder/" "the folder marker is left out"

: >"$S3_LOG"
run_tf rc run --no-progress $EP -o "$T/excl.jsonl" --exclude '*.tar.zst' s3://logs/mixed/
lacks "$S3_LOG" "logs.tar.zst" "an --exclude'd key is never requested"
is "$(spans "$T/excl.jsonl" | wc -l | tr -d ' ')" 1200 "and its members are not read"
run_tf rc run --no-progress $EP -o "$T/incl.jsonl" --include 'mixed/c.*' s3://logs/mixed/
is "$(spans "$T/incl.jsonl" | wc -l | tr -d ' ')" 1200 "--include matches the whole key (only c.jsonl.gz is read)"

# ---- checkpoint identity ---------------------------------------------------------
run_tf rc run --no-progress $EP -o "$T/ck1.jsonl" --checkpoint "$T/ck1.json" s3://logs/mixed/c.jsonl.gz
is "$rc" 0 "a run with a checkpoint: exit 0"
e=$(jq -r '.streams[] | select(.name == "s3://logs/mixed/c.jsonl.gz") | .etag' "$T/ck1.json")
is "$e" "$(md5sum <"$T/mixed/c.jsonl.gz" | cut -c1-32)" "the checkpoint records the object's ETag (s3rver: the MD5, by md5sum)"
is "$(jq -r '.streams[0].size' "$T/ck1.json")" "$(wc -c <"$T/mixed/c.jsonl.gz" | tr -d ' ')" "and its size"
is "$(jq -r '.streams[0].key' "$T/ck1.json")" "s3://logs/mixed/c.jsonl.gz" "keyed by the URL"
lacks "$T/ck1.json" "$SECRET" "no secret in the checkpoint"

# ---- a changed object --------------------------------------------------------------
"$GEN" 40 11 >"$T/p.jsonl"
s3_put logs p/p.jsonl "$T/p.jsonl"
run_tf rc run --no-progress $EP -o "$T/p1.jsonl" --checkpoint "$T/ckp.json" s3://logs/p/
is "$rc" 0 "a small object, checkpointed"
sed 's/"user":"user-0"/"user":"user-9"/' "$T/p.jsonl" >"$T/p2.jsonl"
is "$(wc -c <"$T/p2.jsonl" | tr -d ' ')" "$(wc -c <"$T/p.jsonl" | tr -d ' ')" "(the replacement has the same size)"
s3_put logs p/p.jsonl "$T/p2.jsonl"
run_tf rc run --no-progress $EP -o "$T/p2out.jsonl" --checkpoint "$T/ckp.json" s3://logs/p/
is "$rc" 1 "a replaced object (same size): the run fails (--on-changed fail)"
contains "$T/err" "s3://logs/p/p.jsonl: ETag is \"$(md5sum <"$T/p2.jsonl" | cut -c1-32)\", the checkpoint saw \"$(md5sum <"$T/p.jsonl" | cut -c1-32)\"" \
    "naming the object and both ETags"
run_tf rc run --no-progress $EP -o "$T/p3out.jsonl" --checkpoint "$T/ckp.json" --on-changed restart s3://logs/p/
is "$rc" 0 "--on-changed restart reads the new version"
is "$(spans "$T/p3out.jsonl" | wc -l | tr -d ' ')" 160 "all of it"

# ---- missing bucket, missing key, credentials ------------------------------------------
run_tf rc run --no-progress $EP -o "$T/nb.jsonl" s3://nobucket/ s3://logs/mixed/c.jsonl.gz
is "$rc" 4 "a missing bucket: exit 4 (an input error)"
contains "$T/err" "s3://nobucket/: HTTP 404 Not Found (NoSuchBucket: The specified bucket does not exist); the bucket \"nobucket\" does not exist at $S3_URL" \
    "names the bucket, the endpoint and the likely cause"
is "$(spans "$T/nb.jsonl" | wc -l | tr -d ' ')" 1200 "the other input is still read"
run_tf rc run --no-progress $EP -o "$T/nk.jsonl" s3://logs/mixed/nokey.jsonl
is "$rc" 4 "a missing key: exit 4"
contains "$T/err" "s3://logs/mixed/nokey.jsonl: no such object" "names the object"
S3_ENDPOINT=$S3_URL "$CAT" -g s3://logs/mixed/gone.jsonl >/dev/null 2>"$T/gone" && rc=0 || rc=$?
contains "$T/gone" "s3://logs/mixed/gone.jsonl: HTTP 404 Not Found (NoSuchKey: The specified key does not exist.); the object does not exist" \
    "a GET of a key that is gone: 404 NoSuchKey named, with the cause"
run_tf rc run --no-progress -o "$T/ne.jsonl" s3://logs/mixed/
contains "$T/err" "amazonaws.com" "without --s3-endpoint the requests go to AWS"
AWS_ACCESS_KEY_ID=AKIAWRONG run_tf rc run --no-progress $EP -o "$T/wk.jsonl" s3://logs/mixed/
is "$rc" 4 "an unknown access key: exit 4"
contains "$T/err" "HTTP 403 Forbidden (InvalidAccessKeyId" "403 with the server's code"
contains "$T/err" "does not know the access key ID" "and the likely cause"
lacks "$T/err" "$SECRET" "the secret key is not shown"
# Without credentials s3rver answers anyway, so a key it does not know proves
# that the profile's key was sent.
printf '[archive]\naws_access_key_id = AKIAFROMFILE\naws_secret_access_key = %s\n[good]\naws_access_key_id = S3RVER\naws_secret_access_key = %s\n' \
    "$SECRET" "$SECRET" >"$T/credentials"
env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY AWS_PROFILE=archive AWS_SHARED_CREDENTIALS_FILE="$T/credentials" \
    "$TRACEFILL" run --no-progress $EP -o "$T/pf.jsonl" s3://logs/mixed/ >"$T/out" 2>"$T/err" && rc=0 || rc=$?
contains "$T/err" "InvalidAccessKeyId" "AWS_PROFILE=archive: the key from the credentials file is sent"
lacks "$T/err" "$SECRET" "the secret from the file is not shown"
env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY AWS_PROFILE=good AWS_SHARED_CREDENTIALS_FILE="$T/credentials" \
    "$TRACEFILL" run --no-progress $EP -o "$T/pf.jsonl" s3://logs/mixed/ >"$T/out" 2>"$T/err" && rc=0 || rc=$?
is "$rc:$(spans "$T/pf.jsonl" | wc -l | tr -d ' ')" "0:2800" "AWS_PROFILE=good: read with the profile's credentials"

# ---- resume after a kill in the middle of the listing -------------------------------------
start_receiver
args="run --no-progress $EP --endpoint $RECV_URL --checkpoint $T/ckm.json --checkpoint-interval 100ms --rate-limit 2000 --batch-spans 40 s3://logs/many/"
"$TRACEFILL" $args >"$T/m1.out" 2>"$T/m1.err" &
pid=$!
recv_wait_requests 20 20 || true
kill -9 $pid 2>/dev/null || true
wait $pid 2>/dev/null || true
done1=$(jq '[.streams[] | select(.done)] | length' "$T/ckm.json")
diag "killed with $done1 of 1100 objects done"
[ "$done1" -gt 0 ] && [ "$done1" -lt 1100 ] && pass "killed part-way through the listing ($done1 objects done)" || fail "kill did not land part-way ($done1 done)"
run_tf rc $args
is "$rc" 0 "the resumed run finishes"
contains "$T/err" "streams were already done according to the checkpoint" "it skips the finished objects"
is "$(jq '[.streams[] | select(.done)] | length' "$T/ckm.json")" 1100 "the checkpoint has all 1,100 objects done"
awk '{print $1" "$2}' "$RECV_DIR/spans.log" | sort -u >"$T/got"
check "every span arrived at least once" -- cmp "$T/a.many" "$(spans "$T/ref-many.jsonl" >"$T/a.many"; echo "$T/got")"

# ---- ranged resume of an uncompressed object; re-read of a compressed one -------------------
resume_one() { # KEY: SIGTERM mid-object, then resume; sets off (acknowledged offset at the stop)
    start_receiver
    rm -f "$T/ckr.json"
    args="run --no-progress $EP --endpoint $RECV_URL --checkpoint $T/ckr.json --checkpoint-interval 100ms --rate-limit 3000 --batch-spans 100 s3://logs/big/$1"
    "$TRACEFILL" $args >"$T/r1.out" 2>"$T/r1.err" &
    pid=$!
    recv_wait_requests 10 20 || true
    kill -TERM $pid
    rc=0; wait $pid || rc=$?
    is "$rc" 75 "$1: SIGTERM part-way exits 75"
    off=$(jq '.streams[0].offset' "$T/ckr.json")
    [ "$off" -gt 0 ] && pass "$1: the checkpoint holds a partial offset ($off)" || fail "$1: no partial offset"
    : >"$S3_LOG"
    run_tf rc $args
    is "$rc" 0 "$1: the resumed run finishes"
    awk '{print $1" "$2}' "$RECV_DIR/spans.log" | sort -u >"$T/got"
}
"$TRACEFILL" run -q -o "$T/ref-big.jsonl" "$T/big/big.jsonl"
spans "$T/ref-big.jsonl" >"$T/a.big"
resume_one big.jsonl
check "big.jsonl: every span arrived at least once" -- cmp "$T/a.big" "$T/got"
grep 'big/big.jsonl 206' "$S3_LOG" >/dev/null && pass "big.jsonl: the resumed run fetched the rest with a ranged GET (206)" || { fail "no ranged GET"; diag "$(cat "$S3_LOG")"; }
"$TRACEFILL" run -q -o "$T/ref-bigz.jsonl" "$T/big/big.jsonl.gz"
spans "$T/ref-bigz.jsonl" >"$T/a.bigz"
resume_one big.jsonl.gz
check "big.jsonl.gz: every span arrived at least once" -- cmp "$T/a.bigz" "$T/got"
grep 'big/big.jsonl.gz 200' "$S3_LOG" >/dev/null && ! grep -q 'big/big.jsonl.gz 206' "$S3_LOG" &&
    pass "big.jsonl.gz: compressed, so read again from the start (200, no range)" || { fail "unexpected requests"; diag "$(cat "$S3_LOG")"; }
