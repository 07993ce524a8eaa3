#!/bin/sh
# run-openrouter.sh: OpenRouter generations → OTLP/JSON file: exact times,
# the attribute set, the span tree, deterministic ids (golden vectors from
# doc/ids.md), trace-context joining, record shapes, privacy mode, rejects,
# and an independent decode of the output by the test receiver.
. "$top_srcdir/tests/setup.sh"
need_cmd jq
D=$DATA_DIR/openrouter

spans() { jq -c '.resourceSpans[].scopeSpans[].spans[]' "$@"; }
span_by_id() { jq -c --arg id "$2" '.resourceSpans[].scopeSpans[].spans[] | select(.spanId == $id)' "$1"; }
# attributes of one span as a flat object {key: value}
attrs_of() { jq -S -c '[.attributes[] | {(.key): (.value | to_entries[0].value)}] | add'; }

run_tf rc run -o "$T/full.jsonl" "$D/full.jsonl"
is "$rc" 0 "a valid record runs with exit 0"
is "$(wc -l <"$T/full.jsonl" | tr -d ' ')" 1 "one ExportTraceServiceRequest line"
is "$(spans "$T/full.jsonl" | wc -l | tr -d ' ')" 5 "root + moderation + 2 provider attempts + generation"
is "$(jq -c '.resourceSpans[0].resource.attributes' "$T/full.jsonl")" \
   '[{"key":"service.name","value":{"stringValue":"openrouter"}},{"key":"service.version","value":{"stringValue":"1.0.0"}}]' \
   "resource is service.name=openrouter, service.version=1.0.0"
is "$(jq -r '.resourceSpans[0].scopeSpans[0].scope.name' "$T/full.jsonl")" tracefill "scope names tracefill"

root=$(span_by_id "$T/full.jsonl" aa9de714d51f2773)
is "$(printf '%s' "$root" | jq -r .traceId)" 10c01ff0f1bf15405dd60c6c2deecf0a "root trace id is the golden SHA-256 derivation of gen-123"
is "$(printf '%s' "$root" | jq -r '.parentSpanId // "none"')" none "root has no parent"
is "$(printf '%s' "$root" | jq -r .name)" "chat openai/gpt-4o" "root name is '<operation> <model>'"
is "$(printf '%s' "$root" | jq -r .kind)" 3 "root kind is CLIENT (3, an integer enum)"
is "$(printf '%s' "$root" | jq -r .startTimeUnixNano)" 1721086399433273000 "start = created_at to the nanosecond (as a decimal string)"
is "$(printf '%s' "$root" | jq -r .endTimeUnixNano)" 1721086400683773000 "end = start + 1250.5 ms exactly"
want='{"gen_ai.input.messages":"[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"Hi\"}]}]","gen_ai.operation.name":"chat","gen_ai.output.messages":"[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":\"Hello\"}],\"finish_reason\":\"stop\"}]","gen_ai.provider.name":"openrouter","gen_ai.request.model":"openai/gpt-4o","gen_ai.response.finish_reason":"stop","gen_ai.response.finish_reasons":{"values":[{"stringValue":"stop"}]},"gen_ai.response.id":"gen-123","gen_ai.response.model":"openai/gpt-4o","gen_ai.system":"openrouter","gen_ai.usage.cost":0.0015,"gen_ai.usage.input_tokens":"10","gen_ai.usage.output_tokens":"25","gen_ai.usage.total_tokens":"35","openrouter.api_type":"completions","openrouter.app_id":"12345","openrouter.cancelled":false,"openrouter.generation_time":"1200","openrouter.is_byok":false,"openrouter.latency":1250.5,"openrouter.moderation_latency":"50","openrouter.native_tokens_prompt":"11","openrouter.origin":"https://example.com/","openrouter.provider_name":"Infermatic","openrouter.streamed":true,"openrouter.trace.id":"10c01ff0f1bf15405dd60c6c2deecf0a","openrouter.upstream_id":"chatcmpl-1","session.id":"s-9","trace.metadata.build.sha":"abc","trace.metadata.team":"search","user.id":"u-1"}'
is "$(printf '%s' "$root" | attrs_of)" "$want" "root attribute set is exact (nulls omitted, metadata flattened, 64-bit ints as strings)"

mod=$(span_by_id "$T/full.jsonl" 285e380058753d74)
is "$(printf '%s' "$mod" | jq -r '[.name,.parentSpanId,.traceId,.startTimeUnixNano,.endTimeUnixNano]|join(" ")')" \
   "moderation aa9de714d51f2773 10c01ff0f1bf15405dd60c6c2deecf0a 1721086399433273000 1721086399483273000" \
   "moderation child: golden id, starts with the root, lasts 50 ms"
a0=$(span_by_id "$T/full.jsonl" 29bb48aa83927f12)
is "$(printf '%s' "$a0" | jq -r '[.name,.startTimeUnixNano,.endTimeUnixNano,.status.code]|join(" ")')" \
   "provider Together 1721086399483273000 1721086399583273000 2" \
   "failed provider attempt: after moderation, 100 ms, ERROR status"
is "$(printf '%s' "$a0" | attrs_of | jq -c '{s:."http.response.status_code",e:."openrouter.endpoint_id"}')" \
   '{"s":"429","e":"ep1"}' "attempt carries its HTTP status and endpoint"
a1=$(spans "$T/full.jsonl" | jq -c 'select(.name == "provider Infermatic")')
is "$(printf '%s' "$a1" | jq -r '[.startTimeUnixNano,.endTimeUnixNano,(.status.code // 0)]|join(" ")')" \
   "1721086399583273000 1721086400583273000 0" "successful attempt follows the failed one, no error"
gen=$(span_by_id "$T/full.jsonl" 5be414e30f18cc75)
is "$(printf '%s' "$gen" | jq -r '[.name,.startTimeUnixNano,.endTimeUnixNano]|join(" ")')" \
   "generation openai/gpt-4o 1721086399483773000 1721086400683773000" \
   "generation child ends with the root and lasts generation_time"
inside=$(spans "$T/full.jsonl" | jq -s '[.[] | select((.startTimeUnixNano|tonumber) < 1721086399433273000 or (.endTimeUnixNano|tonumber) > 1721086400683773000)] | length')
is "$inside" 0 "every child lies inside the root's interval"

# Record shapes: camelCase and {"data": ...} (with CRLF) give byte-identical output.
run_tf rc run -o "$T/camel.jsonl" "$D/camel.jsonl"
check "camelCase keys (SDK form) map to the same spans" -- cmp "$T/full.jsonl" "$T/camel.jsonl"
run_tf rc run -o "$T/wrapped.jsonl" "$D/wrapped.jsonl"
check "the {\"data\": ...} wrapper with CRLF maps to the same spans" -- cmp "$T/full.jsonl" "$T/wrapped.jsonl"

# Determinism: a second run is byte-identical.
run_tf rc run -o "$T/again.jsonl" "$D/full.jsonl"
check "re-running produces byte-identical output and ids" -- cmp "$T/full.jsonl" "$T/again.jsonl"

# Privacy mode drops content, keeps the rest.
run_tf rc run --privacy -o "$T/priv.jsonl" "$D/full.jsonl"
pa=$(span_by_id "$T/priv.jsonl" aa9de714d51f2773 | attrs_of)
is "$(printf '%s' "$pa" | jq -c 'has("gen_ai.input.messages"), has("gen_ai.output.messages")' | tr '\n' ' ')" "false false " "--privacy leaves prompt and completion out"
is "$(printf '%s' "$pa" | jq -c '[."gen_ai.usage.total_tokens", ."gen_ai.usage.cost", ."trace.metadata.team"]')" '["35",0.0015,"search"]' "--privacy keeps tokens, cost and metadata"
is "$(printf '%s' "$pa" | jq 'length')" "$(($(printf '%s' "$root" | attrs_of | jq length) - 2))" "--privacy removes exactly the two content attributes"

# Trace context carried by records.
run_tf rc run -o "$T/ctx.jsonl" "$D/context.jsonl"
is "$rc" 0 "context records run cleanly (blank line skipped)"
c1=$(spans "$T/ctx.jsonl" | jq -c 'select(.name == "my span")')
is "$(printf '%s' "$c1" | jq -r '[.traceId,.parentSpanId,.startTimeUnixNano]|join(" ")')" \
   "4bf92f3577b34da6a3ce929d0e0e4736 00f067aa0ba902b7 1721079199433273123" \
   "trace object: joins the given trace under the given parent; 12 fraction digits truncated to ns; +02:00 honoured"
is "$(printf '%s' "$c1" | attrs_of | jq -r '."trace.metadata.customer"')" acme "extra trace keys become trace.metadata.*"
c2=$(spans "$T/ctx.jsonl" | jq -c 'select(.attributes[] | select(.key=="gen_ai.response.id" and .value.stringValue=="gen-ctx-2"))')
is "$(printf '%s' "$c2" | jq -r '[.traceId,.parentSpanId,.flags]|join(" ")')" \
   "0af7651916cd43dd8448eb211c80319c b7ad6b7169203331 1" "W3C traceparent: trace, parent and sampled flag"
c3=$(spans "$T/ctx.jsonl" | jq -c 'select(.attributes[] | select(.key=="gen_ai.response.id" and .value.stringValue=="gen-ctx-3"))')
is "$(printf '%s' "$c3" | jq -r '[.traceId,.startTimeUnixNano,.endTimeUnixNano]|join(" ")')" \
   "cec8ad0a2f6398ad47e019604dd68173 1721098999500000000 1721098999507250000" \
   "a non-hex trace_id is hashed (golden vector); -05:30 offset; latency \"7.25\" ms as a string"
is "$(printf '%s' "$c3" | attrs_of | jq -r '."openrouter.trace.id"')" trace-abc123 "openrouter.trace.id keeps the caller's trace id"
c4=$(spans "$T/ctx.jsonl" | jq -c 'select(.name == "embeddings m")')
is "$(printf '%s' "$c4" | jq -r '[.startTimeUnixNano,.endTimeUnixNano]|join(" ")')" "1721079199500000000 1721079200500000000" \
   "missing latency: derived from moderation_latency + generation_time"
is "$(printf '%s' "$c4" | attrs_of | jq -r '[."tracefill.latency_source", ."gen_ai.operation.name"]|join(" ")')" \
   "moderation_latency+generation_time embeddings" "the derivation is recorded; the operation follows api_type"

# Bad records: rejected with file, line and reason; the good one still goes out.
run_tf rc run -o "$T/bad.jsonl" --rejects "$T/rej.jsonl" "$D/bad.jsonl"
is "$rc" 3 "rejected records give exit status 3"
is "$(spans "$T/bad.jsonl" | jq -r .name)" "chat" "the good record among bad ones is written"
is "$(jq -r '[.line, .reason] | @tsv' "$T/rej.jsonl" | cut -c1-60 | tr '\t' ' ' | tr '\n' '|')" \
   "1 invalid JSON at byte 1 of the record: lexical error: inval|2 no created_at timestamp|3 no generation id (\"id\" missing, null or not a string)|4 created_at is not a valid timestamp|6 invalid JSON: the record ends inside a value (truncated?)|" \
   "each bad record is in the rejects file with its line and reason"
is "$(jq -r .stream "$T/rej.jsonl" | sort -u)" "$D/bad.jsonl" "rejects name the file"
is "$(jq -r 'select(.line == 4) | .record' "$T/rej.jsonl")" '{"id":"gen-baddate","created_at":"yesterday"}' "the rejected record is kept verbatim"
contains "$T/err" "rejected records and stream errors are in $T/rej.jsonl" "the summary says where the rejects are"

# Default sink: no endpoint, no -o → ./tracefill.otlp.jsonl, and it says so.
(cd "$T" && "$TRACEFILL" run "$D/full.jsonl" >"$T/out" 2>"$T/err")
check "with no endpoint and no -o, output goes to ./tracefill.otlp.jsonl" -- cmp "$T/tracefill.otlp.jsonl" "$T/full.jsonl"
contains "$T/err" "file tracefill.otlp.jsonl" "and the summary names that file"

# stdin, and -o - for stdout.
"$TRACEFILL" run -o - - <"$D/full.jsonl" >"$T/stdout.jsonl" 2>"$T/err"
check "stdin in, stdout out" -- cmp "$T/full.jsonl" "$T/stdout.jsonl"

# The samples: every record maps (exit 0), ids unique.
run_tf rc run -o "$T/samples.jsonl" "$SAMPLES_DIR/openrouter"
is "$rc" 0 "the bundled samples (multi-member gzip + zstd) run cleanly"
is "$(spans "$T/samples.jsonl" | jq -r .spanId | sort | uniq -d | wc -l | tr -d ' ')" 0 "span ids are unique across the samples"
n_records=$(($(zcat "$SAMPLES_DIR/openrouter"/*.gz | wc -l) + $(zstd -dc "$SAMPLES_DIR/openrouter"/*.zst | wc -l)))
is "$(spans "$T/samples.jsonl" | jq -r 'select(any(.attributes[]?; .key == "gen_ai.operation.name")) | .spanId' | wc -l | tr -d ' ')" \
   "$n_records" "one root span per sample record"

# --since/--until skip records by their raw created_at when that is certain,
# and parse them when it is not: the outcome must be the same either way.
run_tf rc run --since 2025-03-01T10:00:00Z --until 2025-03-01T11:00:00Z -o "$T/w.jsonl" --rejects "$T/w.rej" "$D/window.jsonl"
is "$(jq -r '.resourceSpans[].scopeSpans[].spans[] | select(.parentSpanId == null) | .attributes[] | select(.key=="gen_ai.response.id") | .value.stringValue' "$T/w.jsonl" | tr '\n' ' ')" \
   "gen-w1 gen-w7 " "the time window keeps exactly the records inside it (escaped look-alikes, nested keys, camelCase, wrappers, epoch numbers, duplicate keys)"
is "$(jq -r '[.line, .reason] | @tsv' "$T/w.rej" | tr '\t' ' ')" "6 no created_at timestamp" \
   "a record whose only created_at is nested is rejected, not silently filtered"
contains "$T/err" "6 filtered out, 1 rejected" "filtered records are counted"

# Reading on its own thread gives exactly the single-threaded output.
"$top_builddir/tests/tools/gen-records" 3000 7 | gzip >"$T/many.jsonl.gz"
run_tf rc run --threads 1 -o "$T/t1.jsonl" --rejects "$T/t1.rej" "$T/many.jsonl.gz" "$D/bad.jsonl" "$SAMPLES_DIR/openrouter"
run_tf rc run --threads 2 -o "$T/t2.jsonl" --rejects "$T/t2.rej" "$T/many.jsonl.gz" "$D/bad.jsonl" "$SAMPLES_DIR/openrouter"
# Requests may be cut differently (a batch also closes on a 1 s age timer, so
# under load the framing varies); the spans, each with its resource and scope,
# must be the same bytes in the same order.
spans_in_order() {
    jq -c '.resourceSpans[] | .resource as $r | .scopeSpans[] | .scope as $s | .spans[] | [$r, $s, .]' "$1"
}
spans_in_order "$T/t1.jsonl" >"$T/t1.spans"
spans_in_order "$T/t2.jsonl" >"$T/t2.spans"
# gen-records writes 4 spans per record; the other two inputs, run alone, say how many they give.
"$TRACEFILL" run -q -o "$T/t0.jsonl" "$D/bad.jsonl" "$SAMPLES_DIR/openrouter" 2>/dev/null || true
is "$(wc -l <"$T/t1.spans" | tr -d ' ')" "$((3000 * 4 + $(spans_in_order "$T/t0.jsonl" | wc -l)))" "--threads 1: every span written"
check "--threads 2 writes byte-identical spans to --threads 1, in the same order" -- cmp "$T/t1.spans" "$T/t2.spans"
check "and byte-identical rejects" -- cmp "$T/t1.rej" "$T/t2.rej"

# A truncated gzip file: named with its byte offset, what came before it is
# kept, the next input still runs, exit 4.
"$top_builddir/tests/tools/gen-records" 200 9 | gzip -n >"$T/whole.gz"
head -c $(($(wc -c <"$T/whole.gz") * 2 / 3)) "$T/whole.gz" >"$T/cut.jsonl.gz"
run_tf rc run -o "$T/cut.out" --rejects "$T/cut.rej" "$T/cut.jsonl.gz" "$D/full.jsonl"
is "$rc" 4 "a truncated gzip input gives exit status 4"
contains "$T/err" "$T/cut.jsonl.gz: unexpected end of gzip data at compressed byte" "the error names the file and the byte offset"
kept=$(jq -r '.resourceSpans[].scopeSpans[].spans[] | select(any(.attributes[]?; .key == "gen_ai.operation.name")) | .spanId' "$T/cut.out" | wc -l | tr -d ' ')
[ "$kept" -gt 50 ] && [ "$kept" -lt 201 ] && pass "the records before the damage are kept ($kept of 200, plus the next file)" || fail "kept $kept roots"
is "$(jq -r '.resourceSpans[].scopeSpans[].spans[] | select(.spanId == "aa9de714d51f2773") | .name' "$T/cut.out")" "chat openai/gpt-4o" "the next input still runs"
is "$(jq -r 'select(.kind == "stream") | .stream' "$T/cut.rej")" "$T/cut.jsonl.gz" "the stream error is in the rejects file"
