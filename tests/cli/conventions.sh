#!/bin/sh
# conventions.sh: the command line behaves like the tools people know:
# bundled short options, secrets never echoed, did-you-mean, count suffixes,
# relative times, rejects beside real files only, a file reached twice read
# once, directories read by content.
. "$top_srcdir/tests/setup.sh"
need_cmd jq gzip zstd
GEN=$top_builddir/tests/tools/gen-records
"$GEN" 3 1 >"$T/a.jsonl"

# Bundled short options.
run_tf rc run -vv -o "$T/vv.jsonl" "$T/a.jsonl"
is "$rc" 0 "-vv is accepted (verbose twice)"
contains "$T/err" "3 records from 1 stream" "-vv still prints the summary"
run_tf rc run -qo "$T/qo.jsonl" "$T/a.jsonl"
is "$rc" 0 "-qo FILE is -q then -o FILE"
is "$(cat "$T/err")" "" "-q: nothing on stderr"
is "$(jq -c '.resourceSpans[].scopeSpans[].spans[]' "$T/qo.jsonl" | wc -l | tr -d ' ')" 12 "-qo wrote the spans to FILE"
run_tf rc run -q "-o$T/glued.jsonl" "$T/a.jsonl"
check "-oFILE (value glued to the option)" -- cmp "$T/qo.jsonl" "$T/glued.jsonl"

# Secrets on the command line are refused and never echoed.
run_tf rc run --token=glc_secret_abc -o "$T/x" "$T/a.jsonl"
is "$rc" 2 "--token=... is a usage error"
lacks "$T/err" "glc_secret_abc" "the value is not echoed"
contains "$T/err" "--token-file" "the error says where the token goes instead"
run_tf rc run --api-key glc_secret_abc -o "$T/x" "$T/a.jsonl"
lacks "$T/err" "glc_secret_abc" "nor for --api-key VALUE"
run_tf rc run --bogus-option=hunter2 -o "$T/x" "$T/a.jsonl"
is "$rc" 2 "an unknown option is a usage error"
lacks "$T/err" "hunter2" "an unknown option's value is not echoed"

# Did you mean.
run_tf rc run --rate-limt 10 -o "$T/x" "$T/a.jsonl"
contains "$T/err" "did you mean --rate-limit?" "a mistyped option gets a suggestion"
run_tf rc run --profile openroutr -o "$T/x" "$T/a.jsonl"
is "$rc" 2 "an unknown profile name is a usage error"
contains "$T/err" "did you mean openrouter?" "and gets a suggestion"
run_tf rc inpsect "$T/a.jsonl"
contains "$T/err" "did you mean inspect?" "a mistyped command gets a suggestion"

# Count suffixes, -H.
run_tf rc check --endpoint http://127.0.0.1:1 --rate-limit 20k --batch-spans 1.5k -H 'X-Test: 1' --timeout 1s
is "$rc" 1 "k suffixes and -H parse: check gets as far as the (closed) endpoint"
lacks "$T/err" "expected" "no value error for 20k, 1.5k or -H"

# Relative times: --since 1h keeps records from the last hour only.
now=$(date -u +%Y-%m-%dT%H:%M:%S)
old=$(date -u -d '-3 hours' +%Y-%m-%dT%H:%M:%S)
printf '{"id":"gen-now","created_at":"%s.000000+00:00","model":"a/b","latency":10}\n{"id":"gen-old","created_at":"%s.000000+00:00","model":"a/b","latency":10}\n' \
    "$now" "$old" >"$T/times.jsonl"
run_tf rc run --since 1h -o "$T/since.jsonl" "$T/times.jsonl"
is "$rc" 0 "--since 1h runs"
contains "$T/err" "1 filtered out" "--since 1h drops the record from 3 hours ago"
run_tf rc run --since 1h --until 2h -o "$T/x" "$T/times.jsonl"
is "$rc" 2 "--until before --since is a usage error"

# Rejects of -o /dev/null go to ./tracefill.rejects.jsonl, not /dev/null.rejects.jsonl.
mkdir -p "$T/cwd"
printf '{"not":"openrouter"}\n' >"$T/bad.jsonl"
(cd "$T/cwd" && "$TRACEFILL" run -q --profile openrouter -o /dev/null "$T/bad.jsonl") || true
[ -s "$T/cwd/tracefill.rejects.jsonl" ] && pass "rejects of -o /dev/null are in ./tracefill.rejects.jsonl" ||
    fail "rejects of -o /dev/null are in ./tracefill.rejects.jsonl"
[ ! -e /dev/null.rejects.jsonl ] && pass "no /dev/null.rejects.jsonl" || fail "no /dev/null.rejects.jsonl"

# The same file reached through two symlinks is read once.
mkdir -p "$T/links"
cp "$T/a.jsonl" "$T/links/real.jsonl"
ln -s real.jsonl "$T/links/one.jsonl"
ln -s real.jsonl "$T/links/two.jsonl"
run_tf rc run -o "$T/once.jsonl" "$T/links"
is "$rc" 0 "a directory with two links to one file runs"
contains "$T/err" "3 records from 1 stream" "the file is read once"
contains "$T/err" "the same file as" "with a note naming the first name"

# A directory is read by content, whatever the names.
mkdir -p "$T/mix"
"$GEN" 2 2 | gzip >"$T/mix/2025-06-01.ndjson.gz"
"$GEN" 2 3 | zstd -q >"$T/mix/openrouter-2025-06-02.zst"
"$GEN" 2 4 >"$T/mix/gen.txt"
printf 'Release notes: nothing here\n' >"$T/mix/NOTES"
run_tf rc run -o "$T/mix.jsonl" "$T/mix"
is "$rc" 0 "a directory of oddly named logs runs"
contains "$T/err" "6 records from 3 streams" "all three logs are read, whatever their names"
contains "$T/err" "NOTES: skipped: not JSON (starts with \"Release notes: n\")" "the file that is no log is named, with what it looked like"

# A run that reads no record at all does not call itself a success.
mkdir -p "$T/empty" "$T/nologs"
printf 'Release notes\n' >"$T/nologs/README"
run_tf rc run -o "$T/e.jsonl" "$T/empty"
is "$rc" 4 "an empty directory: exit status 4"
contains "$T/err" "no record was read" "and says why"
run_tf rc run -o "$T/e.jsonl" "$T/nologs"
is "$rc" 4 "a directory of no logs: exit status 4"
contains "$T/err" "1 file and 0 archive members skipped as no log" "with what was skipped"
run_tf rc run --allow-empty -o "$T/e.jsonl" "$T/empty"
is "$rc" 0 "--allow-empty: exit status 0"
: >"$T/empty.jsonl"
run_tf rc run -o "$T/e.jsonl" "$T/empty.jsonl"
is "$rc" 4 "an empty file named on the command line: exit status 4"

# Ctrl-C without a checkpoint: 130, and no claim that it can be resumed.
mkfifo "$T/fifo"
"$TRACEFILL" run -o "$T/sig.jsonl" - <"$T/fifo" >"$T/sig.out" 2>"$T/sig.err" &
pid=$!
exec 7>"$T/fifo"
"$GEN" 2 5 >&7
sleep 0.5
kill -INT $pid
rc=0; wait $pid || rc=$?
exec 7>&-
echo $rc >"$T/sig.rc"
is "$(cat "$T/sig.rc")" 130 "SIGINT without --checkpoint: exit status 130"
lacks "$T/sig.err" "saving the checkpoint" "it does not claim to save a checkpoint"
contains "$T/sig.err" "starts from the beginning" "it says a new run starts over"

# OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES: used where the profile sets
# no value; --resource-attr wins over them; a malformed entry is an error.
printf '{"ts":"2025-01-01T00:00:00Z"}\n' >"$T/r.jsonl"
printf '{"span": {"name": "x", "start": "ts", "duration": {"const": "1s"}}}\n' >"$T/plain-map.json"
printf '{"resource": {"service.name": {"const": "fixed"}}, "span": {"name": "x", "start": "ts", "duration": {"const": "1s"}}}\n' >"$T/svc-map.json"
res() { jq -c '[.resourceSpans[0].resource.attributes[] | {(.key): .value.stringValue}] | add' "$1"; }
OTEL_SERVICE_NAME=svc OTEL_RESOURCE_ATTRIBUTES='deployment.environment=prod, team=a%2Cb' \
    "$TRACEFILL" run -q --profile "$T/plain-map.json" -o "$T/env1.jsonl" "$T/r.jsonl"
is "$(res "$T/env1.jsonl")" '{"deployment.environment":"prod","team":"a,b","service.name":"svc"}' \
   "the environment's resource attributes, %-decoded, and OTEL_SERVICE_NAME"
OTEL_SERVICE_NAME=svc "$TRACEFILL" run -q --profile "$T/svc-map.json" -o "$T/env2.jsonl" "$T/r.jsonl"
is "$(res "$T/env2.jsonl")" '{"service.name":"fixed"}' "a profile that fixes service.name keeps it"
OTEL_SERVICE_NAME=svc "$TRACEFILL" run -q --profile "$T/plain-map.json" --resource-attr service.name=flag -o "$T/env3.jsonl" "$T/r.jsonl"
is "$(res "$T/env3.jsonl")" '{"service.name":"flag"}' "--resource-attr wins over the environment"
OTEL_SERVICE_NAME=svc "$TRACEFILL" run -q -o "$T/env4.jsonl" "$T/a.jsonl"
is "$(jq -r '.resourceSpans[0].resource.attributes[] | select(.key == "service.name") | .value.stringValue' "$T/env4.jsonl" | sort -u)" \
   openrouter "the OpenRouter profile's service.name is not overridden"
OTEL_RESOURCE_ATTRIBUTES='novalue' run_tf rc run -q -o "$T/x" "$T/r.jsonl"
is "$rc" 2 "a malformed OTEL_RESOURCE_ATTRIBUTES entry is a usage error"

# A closed stdout ends the run quietly (as for other tools: 128 + SIGPIPE).
"$GEN" 5000 8 >"$T/many.jsonl"
( rc=0; "$TRACEFILL" run -o - "$T/many.jsonl" 2>"$T/pipe.err" || rc=$?; echo $rc >"$T/pipe.rc" ) | head -c 100 >/dev/null
is "$(cat "$T/pipe.rc")" 141 "run -o - | head: exit status 141"
is "$(cat "$T/pipe.err")" "" "and nothing on stderr"

# A --where key no record has is reported at the end (a typo, or a name
# before mapping).
run_tf rc run -o "$T/w.jsonl" --where user.id=user-0 --where nosuchkey=1 "$T/a.jsonl"
contains "$T/err" "--where nosuchkey=1: no record has the attribute nosuchkey" "a --where key seen on no record is reported"
lacks "$T/err" "--where user.id=user-0: no record" "a key some record has is not"
