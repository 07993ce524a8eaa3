#!/bin/sh
# run-openrouter.sh: OpenRouter generations → OTLP/JSON file: exact times,
# the attribute set, the span tree, Broadcast's ids (computed here with
# sha256sum, doc/ids.md), trace context, record shapes, privacy mode,
# rejects, threads, truncated input. tests/cli/openrouter-parity.sh checks
# the rest of doc/spans.md (every shape and attribute type, errors, mixed
# files, the round trip through the OTLP profile).
. "$top_srcdir/tests/setup.sh"
need_cmd jq
D=$DATA_DIR/openrouter

spans() { jq -c '.resourceSpans[].scopeSpans[].spans[]' "$@"; }
span_by_id() { jq -c --arg id "$2" '.resourceSpans[].scopeSpans[].spans[] | select(.spanId == $id)' "$1"; }
# attributes of one span as a flat object {key: value}
attrs_of() { jq -S -c '[.attributes[] | {(.key): (.value | to_entries[0].value)}] | add'; }
# Broadcast's ids: the first 32 / 16 hex digits of SHA-256 of the key
h32() { printf '%s' "$1" | sha256sum | cut -c1-32; }
h16() { printf '%s' "$1" | sha256sum | cut -c1-16; }
ROOT=$(h16 gen-123) TRACE=$(h32 gen-123)
# a root span is the one with span.type = generation
roots() { jq -c '.resourceSpans[].scopeSpans[].spans[] | select(any(.attributes[]?; .key == "span.type" and .value.stringValue == "generation"))' "$@"; }

run_tf rc run -o "$T/full.jsonl" "$D/full.jsonl"
is "$rc" 0 "a valid record runs with exit 0"
is "$(wc -l <"$T/full.jsonl" | tr -d ' ')" 1 "one ExportTraceServiceRequest line"
is "$(spans "$T/full.jsonl" | wc -l | tr -d ' ')" 5 "root + moderation + 2 provider attempts + generation"
is "$(jq -c '.resourceSpans[0].resource.attributes' "$T/full.jsonl")" \
   '[{"key":"service.name","value":{"stringValue":"openrouter"}},{"key":"service.version","value":{"stringValue":"1.0.0"}},{"key":"openrouter.trace.id","value":{"stringValue":"gen-123"}}]' \
   "resource is service.name=openrouter, service.version=1.0.0, openrouter.trace.id = the generation id"
is "$(jq -c '.resourceSpans[0].scopeSpans[0].scope' "$T/full.jsonl")" '{"name":"openrouter"}' "scope is openrouter, without a version"

root=$(span_by_id "$T/full.jsonl" "$ROOT")
is "$(printf '%s' "$root" | jq -r .traceId)" "$TRACE" "root span id and trace id: Broadcast's rule, SHA-256 of gen-123 (sha256sum)"
is "$(printf '%s' "$root" | jq -r '.parentSpanId // "none"')" none "root has no parent"
is "$(printf '%s' "$root" | jq -r .name)" "LLM Generation" "root name is 'LLM Generation'"
is "$(printf '%s' "$root" | jq -r .kind)" 3 "root kind is CLIENT (3, an integer enum)"
is "$(printf '%s' "$root" | jq -r .startTimeUnixNano)" 1721086399433273000 "start = created_at to the nanosecond (as a decimal string)"
is "$(printf '%s' "$root" | jq -r .endTimeUnixNano)" 1721086400683773000 "end = start + 1250.5 ms exactly"
# doc/spans.md, by hand: live names; native token counts (this record has
# only the prompt's, so no output or total); the normalised counts, times
# and every other field under trace.metadata.openrouter_generation.
pr='[{\"provider_name\":\"Together\",\"status\":429,\"latency\":100,\"endpoint_id\":\"ep1\"},{\"id\":\"resp-2\",\"provider_name\":\"Infermatic\",\"status\":200,\"latency\":1000}]'
G=trace.metadata.openrouter_generation
want='{"gen_ai.completion":"{\"completion\":\"Hello\"}","gen_ai.operation.name":"chat","gen_ai.prompt":"{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}","gen_ai.provider.name":"openai","gen_ai.request.model":"openai/gpt-4o","gen_ai.response.finish_reason":"stop","gen_ai.response.finish_reasons":"[\"stop\"]","gen_ai.response.id":"gen-123","gen_ai.response.model":"openai/gpt-4o","gen_ai.system":"openai","gen_ai.usage.input_tokens":"11","gen_ai.usage.total_cost":0.0015,"session.id":"s-9","span.level":"DEFAULT","span.metadata.provider_responses":"'"$pr"'","span.type":"generation","trace.metadata.openrouter.provider_name":"Infermatic","'$G'.api_type":"completions","'$G'.app_id":"12345","'$G'.cancelled":false,"'$G'.created_at":"2024-07-15T23:33:19.433273+00:00","'$G'.generation_time":"1200","'$G'.is_byok":false,"'$G'.latency":1250.5,"'$G'.metadata.build.sha":"abc","'$G'.metadata.team":"search","'$G'.moderation_latency":"50","'$G'.origin":"https://example.com/","'$G'.streamed":true,"'$G'.tokens_completion":"25","'$G'.tokens_prompt":"10","'$G'.upstream_id":"chatcmpl-1","trace.metadata.provider_responses":"'"$pr"'","trace.name":"OpenRouter Request","user.id":"u-1"}'
is "$(printf '%s' "$root" | attrs_of)" "$want" "root attribute set is exact (live names, native tokens, nulls omitted, other fields under openrouter_generation, 64-bit ints as strings)"
is "$(printf '%s' "$root" | jq -c .status)" '{"code":1}' "a successful request's root has status OK"

mod=$(span_by_id "$T/full.jsonl" "$(h16 gen-123:moderation)")
is "$(printf '%s' "$mod" | jq -r '[.name,.kind,.parentSpanId,.traceId,.startTimeUnixNano,.endTimeUnixNano]|join(" ")')" \
   "moderation 2 $ROOT $TRACE 1721086399433273000 1721086399483273000" \
   "moderation child (the documented guess): id of gen-123:moderation, SERVER, starts with the root, lasts 50 ms"
a0=$(span_by_id "$T/full.jsonl" "$(h16 gen-123:attempt-0)")
is "$(printf '%s' "$a0" | jq -r '[.name,.kind,.parentSpanId,.startTimeUnixNano,.endTimeUnixNano,.status.code,.status.message]|join("|")')" \
   "provider attempt 1: Together|2|$ROOT|1721086399433273000|1721086399533273000|2|Provider returned HTTP 429" \
   "failed provider attempt: id of gen-123:attempt-0, SERVER, from the root's start, 100 ms, ERROR with the HTTP status"
is "$(printf '%s' "$a0" | attrs_of)" \
   '{"gen_ai.operation.name":"chat","gen_ai.response.id":"gen-123:attempt-0","span.level":"ERROR","span.metadata.attempt_index":"0","span.metadata.endpoint_id":"ep1","span.metadata.status_code":"429","span.status_message":"Provider returned HTTP 429","span.type":"span","trace.metadata.openrouter.provider_name":"Together"}' \
   "attempt attributes: index, HTTP status, endpoint, provider, response id"
a1=$(span_by_id "$T/full.jsonl" "$(h16 gen-123:attempt-1)")
is "$(printf '%s' "$a1" | jq -r '[.name,.startTimeUnixNano,.endTimeUnixNano,(.status.code // 0)]|join("|")')" \
   "provider attempt 2: Infermatic|1721086399533273000|1721086400533273000|1" "successful attempt follows the failed one, status OK"
gen=$(span_by_id "$T/full.jsonl" "$(h16 gen-123:generation)")
is "$(printf '%s' "$gen" | jq -r '[.name,.kind,.parentSpanId,.startTimeUnixNano,.endTimeUnixNano,.status.code]|join(" ")')" \
   "generation 2 $ROOT 1721086400533273000 1721086401733273000 1" \
   "generation child: id of gen-123:generation, starts when the last attempt ends, lasts generation_time (past the root's end)"
is "$(printf '%s' "$gen" | attrs_of)" '{"gen_ai.operation.name":"chat","gen_ai.response.id":"gen-123:generation","span.level":"DEFAULT","span.type":"span"}' \
   "generation span attributes"
is "$(spans "$T/full.jsonl" | jq -r .traceId | sort -u)" "$TRACE" "every span is in the root's trace"

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
pa=$(span_by_id "$T/priv.jsonl" "$ROOT" | attrs_of)
is "$(printf '%s' "$pa" | jq -c 'has("gen_ai.prompt"), has("gen_ai.completion")' | tr '\n' ' ')" "false false " "--privacy leaves gen_ai.prompt and gen_ai.completion out"
is "$(printf '%s' "$pa" | jq -c '[."gen_ai.usage.input_tokens", ."gen_ai.usage.total_cost", ."trace.metadata.openrouter_generation.metadata.team"]')" '["11",0.0015,"search"]' "--privacy keeps tokens, cost and metadata"
is "$(printf '%s' "$pa" | jq 'length')" "$(($(printf '%s' "$root" | attrs_of | jq length) - 2))" "--privacy removes exactly the two content attributes"

# Trace context carried by records.
run_tf rc run -o "$T/ctx.jsonl" "$D/context.jsonl"
is "$rc" 0 "context records run cleanly (blank line skipped)"
root_of() { roots "$1" | jq -c --arg id "$2" 'select(any(.attributes[]; .key=="gen_ai.response.id" and .value.stringValue==$id))'; }
# gen-ctx-1: hex trace_id and parent_span_id used as they are; span_name adds
# the grouping span (the documented guess) under the request's parent.
grp=$(spans "$T/ctx.jsonl" | jq -c 'select(.name == "my span")')
is "$(printf '%s' "$grp" | jq -r '[.spanId,.traceId,.parentSpanId,.kind,.startTimeUnixNano,.endTimeUnixNano]|join(" ")')" \
   "$(h16 gen-ctx-1:span) 4bf92f3577b34da6a3ce929d0e0e4736 00f067aa0ba902b7 1 1721079199433273123 1721079199443273123" \
   "trace object: hex trace_id and parent_span_id as given; span_name adds a grouping span; 12 fraction digits truncated to ns; +02:00 honoured"
c1=$(root_of "$T/ctx.jsonl" gen-ctx-1)
is "$(printf '%s' "$c1" | jq -r '[.spanId,.traceId,.parentSpanId,.name]|join(" ")')" \
   "$(h16 gen-ctx-1) 4bf92f3577b34da6a3ce929d0e0e4736 $(h16 gen-ctx-1:span) LLM Generation" "the root keeps Broadcast's span id, in the given trace, under the grouping span"
is "$(printf '%s' "$c1" | attrs_of | jq -r '[."trace.metadata.customer", ."span.metadata.customer"]|join(" ")')" "acme acme" \
   "custom trace keys become trace.metadata.* and span.metadata.*"
# gen-ctx-2: a top-level traceparent joins nothing by default (live has no such field)
c2=$(root_of "$T/ctx.jsonl" gen-ctx-2)
is "$(printf '%s' "$c2" | jq -r '[.traceId,(.parentSpanId // "-"),(.flags // 0)]|join(" ")')" "$(h32 gen-ctx-2) - 0" \
   "a traceparent field does not set the trace by default (Broadcast's ids)"
is "$(printf '%s' "$c2" | attrs_of | jq -r '."trace.metadata.openrouter_generation.traceparent"')" \
   "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" "it is kept as a plain field"
# gen-ctx-3: a non-hex trace_id gets the request its own trace, as live
c3=$(root_of "$T/ctx.jsonl" gen-ctx-3)
is "$(printf '%s' "$c3" | jq -r '[.traceId,.startTimeUnixNano,.endTimeUnixNano]|join(" ")')" \
   "$(h32 gen-ctx-3) 1721098999500000000 1721098999507250000" \
   "a non-hex trace_id joins nothing (own trace, as live); -05:30 offset; latency \"7.25\" ms as a string"
is "$(jq -r '.resourceSpans[] | .resource.attributes[] | select(.key == "openrouter.trace.id") | .value.stringValue' "$T/ctx.jsonl" | tr '\n' ' ')" \
   "gen-ctx-1 gen-ctx-2 gen-ctx-3 gen-ctx-4 " "each record's resource carries its generation id as openrouter.trace.id"
# gen-ctx-4: no latency, so a zero-length root; the children still have theirs
c4=$(root_of "$T/ctx.jsonl" gen-ctx-4)
is "$(printf '%s' "$c4" | jq -r '[.name,.startTimeUnixNano,.endTimeUnixNano]|join(" ")')" "LLM Generation 1721079199500000000 1721079199500000000" \
   "missing latency: the root has zero length (no duration is made up)"
is "$(spans "$T/ctx.jsonl" | jq -r --arg t "$(h32 gen-ctx-4)" 'select(.traceId == $t and .name != "LLM Generation") | [.name,.startTimeUnixNano,.endTimeUnixNano]|join(" ")' | tr '\n' '|')" \
   "moderation 1721079199500000000 1721079199540000000|generation 1721079199500000000 1721079200460000000|" \
   "moderation lasts moderation_latency; without attempts the generation starts with the root"
is "$(printf '%s' "$c4" | attrs_of | jq -r '[(has("tracefill.latency_source")|tostring), ."gen_ai.operation.name", (has("gen_ai.system")|tostring)]|join(" ")')" \
   "false embeddings false" "nothing marks the missing latency; the operation follows api_type; a model without an author has no gen_ai.system"

# --join-trace-names: tracefill's older joining (a departure from live)
run_tf rc run --join-trace-names -o "$T/join.jsonl" "$D/context.jsonl"
j2=$(root_of "$T/join.jsonl" gen-ctx-2)
is "$(printf '%s' "$j2" | jq -r '[.traceId,.parentSpanId,.flags,.spanId]|join(" ")')" \
   "0af7651916cd43dd8448eb211c80319c b7ad6b7169203331 1 $(h16 gen-ctx-2)" "--join-trace-names: a W3C traceparent sets trace, parent and sampled flag"
is "$(spans "$T/join.jsonl" | jq -r --arg t 0af7651916cd43dd8448eb211c80319c 'select(.traceId == $t) | .flags' | sort -u)" 1 "its children carry the flags too"
j3=$(root_of "$T/join.jsonl" gen-ctx-3)
is "$(printf '%s' "$j3" | jq -r .traceId)" "$(printf 'tracefill:v1\000%s\000%s' trace trace-abc123 | sha256sum | cut -c1-32)" \
   "--join-trace-names: a non-hex trace_id is hashed with tracefill's recipe (trace NUL name)"

# Bad records: rejected with file, line and reason; the good one still goes out.
run_tf rc run -o "$T/bad.jsonl" --rejects "$T/rej.jsonl" "$D/bad.jsonl"
is "$rc" 3 "rejected records give exit status 3"
is "$(spans "$T/bad.jsonl" | jq -r .name)" "LLM Generation" "the good record among bad ones is written"
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
is "$(roots "$T/samples.jsonl" | wc -l | tr -d ' ')" "$n_records" "one root span per sample record"

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
kept=$(roots "$T/cut.out" | wc -l | tr -d ' ')
[ "$kept" -gt 50 ] && [ "$kept" -lt 201 ] && pass "the records before the damage are kept ($kept of 200, plus the next file)" || fail "kept $kept roots"
is "$(jq -r --arg id "$ROOT" '.resourceSpans[].scopeSpans[].spans[] | select(.spanId == $id) | .name' "$T/cut.out")" "LLM Generation" "the next input still runs"
is "$(jq -r 'select(.kind == "stream") | .stream' "$T/cut.rej")" "$T/cut.jsonl.gz" "the stream error is in the rejects file"
