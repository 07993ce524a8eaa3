#!/bin/sh
# replay.sh: --profile otlp re-sends OTLP/JSON unchanged: decode → compare
# shows the same spans, resources and scopes (every AnyValue type, events,
# links, trace state, flags, dropped counts, schema URLs); a replay of a
# replay is byte-identical; pretty-printed documents work; --time-shift moves
# every time by exactly the shift and keeps the original; filters judge each
# span; protobuf upload decodes with protoc.
. "$top_srcdir/tests/setup.sh"
. "$top_srcdir/tests/server/lib-receiver.sh"
need_cmd jq
S=$SAMPLES_DIR/otlp/collector-export.jsonl

# One line per span with its resource and scope; defaults (0, "", {}, [])
# dropped so "absent" and "default" compare equal, as OTLP defines them.
norm() {
    jq -c '
      def clean: walk(if type == "object" then with_entries(select(.value != 0 and .value != "" and .value != {} and .value != [] and .value != null)) else . end);
      .resourceSpans[] as $rs | $rs.scopeSpans[] as $ss | $ss.spans[]
      | {resource: $rs.resource, rschema: $rs.schemaUrl, scope: $ss.scope, sschema: $ss.schemaUrl, span: .} | clean' "$@" |
    jq -S -c . | sort
}

run_tf rc run --profile otlp -o "$T/r1.jsonl" "$S"
is "$rc" 0 "replay runs cleanly"
norm "$S" >"$T/want"
norm "$T/r1.jsonl" >"$T/got"
is "$(wc -l <"$T/got" | tr -d ' ')" 4 "four spans replayed"
check "decoded, the replay equals the input span for span (every field)" -- cmp "$T/want" "$T/got"
run_tf rc run --profile otlp -o "$T/r2.jsonl" "$T/r1.jsonl"
check "a replay of the replay is byte-identical" -- cmp "$T/r1.jsonl" "$T/r2.jsonl"

# Our own OpenRouter output round-trips too (auto-detected as OTLP).
"$TRACEFILL" run -q -o "$T/or.jsonl" "$SAMPLES_DIR/openrouter"
run_tf rc run -o "$T/or2.jsonl" "$T/or.jsonl"
contains "$T/err" "252 spans" "OTLP input is detected without --profile"
norm "$T/or.jsonl" >"$T/want"
norm "$T/or2.jsonl" >"$T/got"
check "tracefill's OpenRouter output round-trips through replay" -- cmp "$T/want" "$T/got"

# A pretty-printed document (one JSON value over many lines).
head -n1 "$S" | jq . >"$T/pretty.json"
run_tf rc inspect "$T/pretty.json"
contains "$T/out" "framing:     values" "a pretty-printed document is framed as one value"
run_tf rc run --profile otlp -o "$T/p.jsonl" "$T/pretty.json"
head -n1 "$S" >"$T/line1.jsonl"
norm "$T/line1.jsonl" >"$T/want"
norm "$T/p.jsonl" >"$T/got"
check "and replays to the same spans" -- cmp "$T/want" "$T/got"

# --time-shift: exact, everywhere, original kept.
run_tf rc run --profile otlp --time-shift 720h -o "$T/shift.jsonl" "$S"
shift_ns=2592000000000000
jq -r '.resourceSpans[].scopeSpans[].spans[] | [.spanId, .startTimeUnixNano, .endTimeUnixNano, ([.events[]?.timeUnixNano] | join(","))] | @tsv' "$S" | sort >"$T/t0"
jq -r '.resourceSpans[].scopeSpans[].spans[] | [.spanId, .startTimeUnixNano, .endTimeUnixNano, ([.events[]?.timeUnixNano] | join(","))] | @tsv' "$T/shift.jsonl" | sort >"$T/t1"
bad=$(paste "$T/t0" "$T/t1" | awk -v d=$shift_ns -F'\t' '
    function plus(a, b,   r, c, i, x) { # decimal string addition, exact
        r = ""; c = 0; while (length(b) < length(a)) b = "0" b; while (length(a) < length(b)) a = "0" a
        for (i = length(a); i > 0; i--) { x = substr(a, i, 1) + substr(b, i, 1) + c; r = (x % 10) r; c = int(x / 10) }
        return (c ? c : "") r }
    { if ($1 != $5 || $6 != plus($2, d) || $7 != plus($3, d)) n++
      split($4, e0, ","); split($8, e1, ","); for (k in e0) if (e0[k] != "" && e1[k] != plus(e0[k], d)) n++ }
    END { print n + 0 }')
is "$bad" 0 "--time-shift 720h moves every span and event time by exactly 2592000 s"
orig=$(jq -r '.resourceSpans[].scopeSpans[].spans[] | select(.spanId == "eee19b7ec3c1b174") | .attributes[] | select(.key == "tracefill.original_start_time_unix_nano") | .value.intValue' "$T/shift.jsonl")
is "$orig" 1748768400123456789 "the original start is kept in tracefill.original_start_time_unix_nano"

# Filters judge each span of a replayed request on its own.
run_tf rc run --profile otlp --since 2025-06-01T09:00:03Z -o "$T/since.jsonl" "$S"
is "$(jq -r '.resourceSpans[].scopeSpans[].spans[].spanId' "$T/since.jsonl")" 1111222233334444 "--since keeps only the later span of a request"
run_tf rc run --profile otlp --where service.name=payments -o "$T/where.jsonl" "$S"
is "$(jq -r '.resourceSpans[].scopeSpans[].spans[].name' "$T/where.jsonl")" "charge card" "--where matches resource attributes"

# Upload as protobuf: the receiver's own decoder and protoc see the same.
start_receiver
run_tf rc run --profile otlp --endpoint "$RECV_URL" "$S"
is "$rc" 0 "replay uploads"
is "$(awk '{print $2, $3}' "$RECV_DIR/spans.log" | sort | tr '\n' ' ')" \
   "1111222233334444 - 2c9e1a7f00b4d3e1 eee19b7ec3c1b174 7a4f0c3b9d2e8f11 2c9e1a7f00b4d3e1 eee19b7ec3c1b174 - " \
   "span ids and parent links arrive unchanged"
if command -v "${PROTOC:-protoc}" >/dev/null 2>&1; then
    pb_decode "$RECV_DIR/req-1.pb" >"$T/pb.txt"
    contains "$T/pb.txt" 'trace_state: "vendor=abc,tf=1"' "protoc: trace state"
    contains "$T/pb.txt" 'flags: 769' "protoc: span flags"
    contains "$T/pb.txt" 'schema_url: "https://opentelemetry.io/schemas/1.26.0"' "protoc: resource schema URL"
    contains "$T/pb.txt" 'bytes_value: "\336\255\276\357"' "protoc: a bytes attribute (base64 decoded)"
    contains "$T/pb.txt" 'dropped_links_count: 1' "protoc: dropped counts"
else
    skip "protoc not installed"
fi
