#!/bin/sh
# openrouter-parity.sh: --profile openrouter produces what OpenRouter
# Broadcast sends live (doc/spans.md, doc/ids.md): the worked ID example,
# every span of a full generation record with every attribute in order
# with its value type (expected values written by hand from the rules, IDs
# from sha256sum), failed requests, --privacy, chat-completion responses,
# Broadcast's own deliveries replayed unchanged (and the same IDs as a
# backfill of the same request), files mixing every shape, the round trip
# through --profile otlp, --mark-backfill, --resource-attr, rejects.
. "$top_srcdir/tests/setup.sh"
need_cmd jq sha256sum
D=$DATA_DIR/openrouter

h32() { printf '%s' "$1" | sha256sum | cut -c1-32; }
h16() { printf '%s' "$1" | sha256sum | cut -c1-16; }
# One line per span: resource, scope, ids, name, kind, times, status and the
# attributes in order as [key, value type, value].
view() {
    jq -c '.resourceSpans[] | .resource.attributes as $r | .scopeSpans[] | .scope as $s | .spans[]
      | {r: [$r[] | [.key, (.value | keys[0]), (.value | to_entries[0].value)]], s: $s,
         t: .traceId, id: .spanId, p: (.parentSpanId // null), name, kind,
         start: .startTimeUnixNano, end: .endTimeUnixNano, st: .status,
         a: [.attributes[]? | [.key, (.value | keys[0]), (.value | to_entries[0].value)]]}' "$@"
}
by_id() { view "$1" | jq -c --arg id "$2" 'select(.id == $id)'; }
attr() { jq -r --arg k "$2" '.a[] | select(.[0] == $k) | .[2]' <<EOF
$1
EOF
}
has_attr() { jq -r --arg k "$2" '[.a[] | select(.[0] == $k)] | length' <<EOF
$1
EOF
}

# ---- the worked example of doc/ids.md -----------------------------------------
sed -n 2p "$D/broadcast.jsonl" >"$T/worked.jsonl"
run_tf rc run --profile openrouter -o "$T/worked.out" "$T/worked.jsonl"
is "$rc" 0 "the worked example runs"
w=$(view "$T/worked.out" | jq -c 'select(.name == "LLM Generation")')
is "$(printf '%s' "$w" | jq -r '.t + " " + .id')" "7195c25a8068522385c817c8cb73fd1d 7195c25a80685223" \
   "gen-1790606272-klALDjkN7Ke6rbM52aHZ: trace 7195c25a8068522385c817c8cb73fd1d, root span 7195c25a80685223 (broadcast.md)"
is "$(printf '%s' "$w" | jq -r '.t')" "$(h32 gen-1790606272-klALDjkN7Ke6rbM52aHZ)" "which is the first half of SHA-256 of the id (sha256sum)"
is "$(view "$T/worked.out" | jq -r 'select(.name == "generation") | .id')" "$(h16 gen-1790606272-klALDjkN7Ke6rbM52aHZ:generation)" \
   "its generation span is SHA-256 of id:generation"
is "$(printf '%s' "$w" | jq -c '[.a[] | select(.[0] == "gen_ai.usage.total_cost")]')" '[["gen_ai.usage.total_cost","doubleValue",0]]' \
   "a cost of 0 (a JSON integer) is still a double"
is "$(printf '%s' "$w" | jq -c '[.a[] | select(.[0] | startswith("gen_ai.usage."))]')" \
   '[["gen_ai.usage.input_tokens","intValue","5"],["gen_ai.usage.output_tokens","intValue","7"],["gen_ai.usage.total_tokens","intValue","12"],["gen_ai.usage.total_cost","doubleValue",0]]' \
   "native token counts and their sum are integers"

# ---- a full generation record: every span, every attribute ------------------------
head -n1 "$D/broadcast.jsonl" >"$T/full.jsonl"
run_tf rc run -o "$T/full.out" "$T/full.jsonl"
is "$rc" 0 "the full record runs"
G=gen-1790600000-fullRecordX01
S=$(( $(date -u -d '2026-09-28T14:11:12Z' +%s) * 1000000000 + 123456789 ))
ROOT=$(h16 $G) A0=$(h16 $G:attempt-0) A1=$(h16 $G:attempt-1) GEN=$(h16 $G:generation)
TR=4bf92f3577b34da6a3ce929d0e0e4736
RES='[["service.name","stringValue","openrouter"],["service.version","stringValue","1.0.0"],["openrouter.trace.id","stringValue","'$G'"]]'
PR='[{\"id\":null,\"endpoint_id\":\"ep_anthropic_1\",\"model_permaslug\":\"anthropic/claude-4.5-haiku-20251001\",\"provider_name\":\"Anthropic\",\"status\":529,\"latency\":350,\"is_byok\":false},{\"id\":\"msg_bdrk_01\",\"endpoint_id\":\"ep_bedrock_2\",\"model_permaslug\":\"anthropic/claude-4.5-haiku-20251001\",\"provider_name\":\"Amazon Bedrock\",\"status\":200,\"latency\":1900,\"is_byok\":false}]'
OG=trace.metadata.openrouter_generation
cat >"$T/want-full" <<EOF
{"r":$RES,"s":{"name":"openrouter"},"t":"$TR","id":"$ROOT","p":"00f067aa0ba902b7","name":"answer ticket","kind":3,"start":"$S","end":"$((S + 2400500000))","st":{"code":1},"a":[
 ["trace.name","stringValue","support-agent"],
 ["span.type","stringValue","generation"],
 ["span.level","stringValue","DEFAULT"],
 ["gen_ai.operation.name","stringValue","chat"],
 ["gen_ai.system","stringValue","anthropic"],
 ["gen_ai.provider.name","stringValue","anthropic"],
 ["gen_ai.request.model","stringValue","anthropic/claude-haiku-4.5"],
 ["gen_ai.response.model","stringValue","anthropic/claude-haiku-4.5"],
 ["gen_ai.response.id","stringValue","$G"],
 ["gen_ai.usage.input_tokens","intValue","1210"],
 ["gen_ai.usage.output_tokens","intValue","85"],
 ["gen_ai.usage.total_tokens","intValue","1295"],
 ["gen_ai.usage.input_tokens.cached","intValue","1000"],
 ["gen_ai.usage.output_tokens.reasoning","intValue","12"],
 ["gen_ai.usage.total_cost","doubleValue",0.0021],
 ["gen_ai.response.finish_reason","stringValue","tool_calls"],
 ["gen_ai.response.finish_reasons","stringValue","[\"tool_calls\"]"],
 ["gen_ai.prompt","stringValue","{\"messages\":[{\"role\":\"system\",\"content\":\"You are terse.\"},{\"role\":\"user\",\"content\":\"Where is order \\\\\"A-17\\\\\"?\"}]}"],
 ["gen_ai.completion","stringValue","{\"completion\":\"Let me look that up.\",\"reasoning\":\"Need the order tool.\",\"toolCalls\":[{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"lookup_order\",\"arguments\":\"{\\\\\"id\\\\\":\\\\\"A-17\\\\\"}\"}}]}"],
 ["trace.metadata.openrouter.provider_name","stringValue","Amazon Bedrock"],
 ["trace.metadata.openrouter.provider_slug","stringValue","amazon-bedrock"],
 ["trace.metadata.openrouter.finish_reason","stringValue","tool_use"],
 ["trace.metadata.openrouter.source","stringValue","api"],
 ["trace.metadata.openrouter.api_key_name","stringValue","prod-agent"],
 ["trace.metadata.openrouter.router_latency_ms","intValue","14"],
 ["trace.metadata.openrouter.first_token_ms","doubleValue",312.5],
 ["trace.metadata.openrouter.input_unit_price","doubleValue",0.000001],
 ["trace.metadata.openrouter.output_unit_price","doubleValue",0.000005],
 ["trace.metadata.provider_responses","stringValue","$PR"],
 ["span.metadata.provider_responses","stringValue","$PR"],
 ["user.id","stringValue","customer-42"],
 ["session.id","stringValue","sess-2026-09-28-a"],
 ["trace.metadata.customer_tier","stringValue","gold"],
 ["trace.metadata.attempt","intValue","3"],
 ["trace.metadata.beta","boolValue",true],
 ["trace.metadata.score","doubleValue",0.75],
 ["trace.metadata.labels.team","stringValue","support"],
 ["trace.metadata.tags","stringValue","[\"a\",\"b\"]"],
 ["span.metadata.customer_tier","stringValue","gold"],
 ["span.metadata.attempt","intValue","3"],
 ["span.metadata.beta","boolValue",true],
 ["span.metadata.score","doubleValue",0.75],
 ["span.metadata.labels.team","stringValue","support"],
 ["span.metadata.tags","stringValue","[\"a\",\"b\"]"],
 ["$OG.upstream_id","stringValue","msg_bdrk_01"],
 ["$OG.cache_discount","doubleValue",0.0001],
 ["$OG.created_at","stringValue","2026-09-28T14:11:12.123456789Z"],
 ["$OG.app_id","intValue","4242"],
 ["$OG.streamed","boolValue",true],
 ["$OG.cancelled","boolValue",false],
 ["$OG.latency","doubleValue",2400.5],
 ["$OG.generation_time","intValue","1800"],
 ["$OG.tokens_prompt","intValue","1200"],
 ["$OG.tokens_completion","intValue","80"],
 ["$OG.origin","stringValue","https://agent.example.com/"],
 ["$OG.usage","doubleValue",0.0021],
 ["$OG.is_byok","boolValue",false],
 ["$OG.api_type","stringValue","messages"]]}
{"r":$RES,"s":{"name":"openrouter"},"t":"$TR","id":"$A0","p":"$ROOT","name":"provider attempt 1: Anthropic","kind":2,"start":"$S","end":"$((S + 350000000))","st":{"message":"Provider returned HTTP 529","code":2},"a":[
 ["span.type","stringValue","span"],
 ["span.level","stringValue","ERROR"],
 ["span.status_message","stringValue","Provider returned HTTP 529"],
 ["span.metadata.attempt_index","intValue","0"],
 ["span.metadata.status_code","intValue","529"],
 ["span.metadata.is_byok","boolValue",false],
 ["span.metadata.endpoint_id","stringValue","ep_anthropic_1"],
 ["span.metadata.model_permaslug","stringValue","anthropic/claude-4.5-haiku-20251001"],
 ["gen_ai.operation.name","stringValue","chat"],
 ["gen_ai.response.id","stringValue","$G:attempt-0"],
 ["trace.metadata.openrouter.provider_name","stringValue","Anthropic"]]}
{"r":$RES,"s":{"name":"openrouter"},"t":"$TR","id":"$A1","p":"$ROOT","name":"provider attempt 2: Amazon Bedrock","kind":2,"start":"$((S + 350000000))","end":"$((S + 2250000000))","st":{"code":1},"a":[
 ["span.type","stringValue","span"],
 ["span.level","stringValue","DEFAULT"],
 ["span.metadata.attempt_index","intValue","1"],
 ["span.metadata.status_code","intValue","200"],
 ["span.metadata.is_byok","boolValue",false],
 ["span.metadata.endpoint_id","stringValue","ep_bedrock_2"],
 ["span.metadata.model_permaslug","stringValue","anthropic/claude-4.5-haiku-20251001"],
 ["gen_ai.operation.name","stringValue","chat"],
 ["gen_ai.response.id","stringValue","$G:attempt-1"],
 ["trace.metadata.openrouter.provider_name","stringValue","Amazon Bedrock"]]}
{"r":$RES,"s":{"name":"openrouter"},"t":"$TR","id":"$GEN","p":"$ROOT","name":"generation","kind":2,"start":"$((S + 2250000000))","end":"$((S + 4050000000))","st":{"code":1},"a":[
 ["span.type","stringValue","span"],
 ["span.level","stringValue","DEFAULT"],
 ["gen_ai.operation.name","stringValue","chat"],
 ["gen_ai.response.id","stringValue","$G:generation"]]}
EOF
jq -c . "$T/want-full" >"$T/want-full.c"
view "$T/full.out" >"$T/got-full.c"
if cmp -s "$T/want-full.c" "$T/got-full.c"; then
    pass "full record: the four spans exactly (ids, names, kinds, parents, times, status, resource, scope, every attribute in order with its type)"
else
    fail "full record: the four spans exactly"
    diag "$(diff "$T/want-full.c" "$T/got-full.c" | head -20)"
fi
is "$(jq '[.resourceSpans[]] | length' "$T/full.out")" 1 "the record's spans share its resource"
lacks "$T/full.out" "tracefill" "nothing marks the spans as backfilled (no 'tracefill' anywhere)"

# camelCase and {"data": ...} forms of the same record give the same spans.
jq -c '{data: .}' "$T/full.jsonl" >"$T/full-data.jsonl"
jq -c 'def camel: gsub("_(?<c>[a-z])"; .c | ascii_upcase);
       with_entries(.key |= (if . == "trace" then . else camel end))' "$T/full.jsonl" >"$T/full-camel.jsonl"
run_tf rc run -o "$T/full-data.out" "$T/full-data.jsonl"
check "the {\"data\": ...} form gives the same output" -- cmp "$T/full.out" "$T/full-data.out"
run_tf rc run -o "$T/full-camel.out" "$T/full-camel.jsonl"
check "the camelCase form gives the same output" -- cmp "$T/full.out" "$T/full-camel.out"

# ---- --privacy: gen_ai.prompt and gen_ai.completion, nothing else ---------------------
run_tf rc run --privacy -o "$T/priv.out" "$T/full.jsonl"
jq -c '.a |= map(select(.[0] != "gen_ai.prompt" and .[0] != "gen_ai.completion"))' "$T/got-full.c" >"$T/want-priv.c"
view "$T/priv.out" >"$T/got-priv.c"
check "--privacy removes exactly gen_ai.prompt and gen_ai.completion" -- cmp "$T/want-priv.c" "$T/got-priv.c"
lacks "$T/priv.out" "Where is order" "the prompt text is nowhere in the output"
lacks "$T/priv.out" "Need the order tool" "nor the reasoning"

# ---- failed requests ---------------------------------------------------------------------
run_tf rc run -o "$T/err.out" "$D/errors.jsonl"
is "$rc" 0 "failed requests are mapped, not rejected"
root_of() { view "$1" | jq -c --arg id "$(h16 "$2")" 'select(.id == $id)'; }
for case in "gen-err-cancelled|The client has disconnected" "gen-err-finish|The generation finished with an error" \
            "gen-err-object|Provider returned error" "gen-err-status|HTTP 500" "gen-err-chat|Rate limit exceeded"; do
    id=${case%%|*} msg=${case#*|}
    r=$(root_of "$T/err.out" "$id")
    got=$(printf '%s' "$r" | jq -c '[.st, (.a[] | select(.[0] == "span.level" or .[0] == "span.status_message") | .[2]),
                                     ([.a[] | select(.[0] | test("cost"))] | length)]')
    is "$got" "[{\"message\":\"$msg\",\"code\":2},\"ERROR\",\"$msg\",0]" \
       "$id: root status ERROR with the message, span.level ERROR, span.status_message, no cost attributes"
done
r=$(root_of "$T/err.out" gen-err-cancelled)
is "$(printf '%s' "$r" | jq -c '[.a[] | select(.[0] | startswith("trace.metadata.openrouter_generation.")) | .[0]]')" \
   '["trace.metadata.openrouter_generation.created_at","trace.metadata.openrouter_generation.latency","trace.metadata.openrouter_generation.generation_time","trace.metadata.openrouter_generation.cancelled"]' \
   "a failed request keeps its other fields but not usage, cache_discount, upstream_inference_cost"
is "$(printf '%s' "$r" | jq -r '[.a[] | select(.[0] == "gen_ai.usage.input_tokens") | .[2]] | join(",")')" 10 "token counts stay"
is "$(by_id "$T/err.out" "$(h16 gen-err-cancelled:generation)" | jq -c '[.st.code, .st.message]')" '[2,"The client has disconnected"]' \
   "the failed request's generation span is ERROR too"
is "$(by_id "$T/err.out" "$(h16 gen-err-cancelled:attempt-0)" | jq -c '.st')" '{"code":1}' "its successful provider attempt stays OK"

# ---- chat-completion responses -----------------------------------------------------------
run_tf rc run -o "$T/chat.out" "$D/chat.jsonl"
is "$rc" 0 "chat-completion responses are accepted (they have no created_at)"
C=gen-1790000100-chatLogged01 CS=1790000100000000000
cat >"$T/want-chat" <<EOF
{"r":[["service.name","stringValue","openrouter"],["service.version","stringValue","1.0.0"],["openrouter.trace.id","stringValue","$C"]],"s":{"name":"openrouter"},"t":"$(h32 $C)","id":"$(h16 $C)","p":null,"name":"LLM Generation","kind":3,"start":"$CS","end":"$((CS + 812500000))","st":{"code":1},"a":[
 ["trace.name","stringValue","OpenRouter Request"],
 ["span.type","stringValue","generation"],
 ["span.level","stringValue","DEFAULT"],
 ["gen_ai.operation.name","stringValue","chat"],
 ["gen_ai.system","stringValue","anthropic"],
 ["gen_ai.provider.name","stringValue","anthropic"],
 ["gen_ai.request.model","stringValue","anthropic/claude-haiku-4.5"],
 ["gen_ai.response.model","stringValue","anthropic/claude-haiku-4.5"],
 ["gen_ai.response.id","stringValue","$C"],
 ["gen_ai.usage.input_tokens","intValue","120"],
 ["gen_ai.usage.output_tokens","intValue","30"],
 ["gen_ai.usage.total_tokens","intValue","150"],
 ["gen_ai.usage.input_tokens.cached","intValue","100"],
 ["gen_ai.usage.output_tokens.reasoning","intValue","8"],
 ["gen_ai.usage.input_tokens.cache_write","intValue","20"],
 ["gen_ai.usage.total_cost","doubleValue",0.00042],
 ["gen_ai.response.finish_reason","stringValue","tool_calls"],
 ["gen_ai.response.finish_reasons","stringValue","[\"tool_calls\"]"],
 ["gen_ai.completion","stringValue","{\"completion\":\"Let me check.\",\"reasoning\":\"The user wants the order.\",\"toolCalls\":[{\"id\":\"t1\",\"type\":\"function\",\"function\":{\"name\":\"lookup_order\",\"arguments\":\"{}\"}}]}"],
 ["trace.metadata.openrouter.provider_name","stringValue","Amazon Bedrock"],
 ["trace.metadata.openrouter.finish_reason","stringValue","tool_use"],
 ["trace.metadata.openrouter_generation.object","stringValue","chat.completion"],
 ["trace.metadata.openrouter_generation.created","intValue","1790000100"],
 ["trace.metadata.openrouter_generation.is_byok","boolValue",false],
 ["trace.metadata.openrouter_generation.usage.prompt_tokens_details.audio_tokens","intValue","0"],
 ["trace.metadata.openrouter_generation.usage.completion_tokens_details.image_tokens","intValue","0"],
 ["trace.metadata.openrouter_generation.latency_ms","doubleValue",812.5]]}
EOF
jq -c . "$T/want-chat" >"$T/want-chat.c"
view "$T/chat.out" | jq -c --arg id "$(h16 $C)" 'select(.id == $id)' >"$T/got-chat.c"
if cmp -s "$T/want-chat.c" "$T/got-chat.c"; then
    pass "chat-completion response: the root exactly (created seconds, latency_ms, native usage, cached/cache_write/reasoning tokens, cost, completion with reasoning and toolCalls)"
else
    fail "chat-completion response: the root exactly"
    diag "$(diff "$T/want-chat.c" "$T/got-chat.c" | head -20)"
fi
is "$(view "$T/chat.out" | wc -l | tr -d ' ')" 2 "a chat-completion response is the root alone (no attempts, no generation time)"
c2=$(root_of "$T/chat.out" gen-1790000200-chatLogged02)
is "$(printf '%s' "$c2" | jq -c '[.start, .end, (.a[] | select(.[0] == "gen_ai.response.finish_reasons" or .[0] == "gen_ai.response.finish_reason") | .[2])]')" \
   '["1790000200000000000","1790000200000000000","stop","[\"stop\",\"length\"]"]' \
   "without a latency the root has zero length; finish_reasons lists every choice's"

# ---- Broadcast's own deliveries: replayed unchanged ---------------------------------------
# Compare as OTLP values: integers may be JSON numbers or strings.
norm() {
    jq -c '.resourceSpans[] | .resource as $r | .scopeSpans[] | .scope as $s | .spans[] | {r: $r, s: $s, span: .}
           | walk(if type == "object" and has("intValue") then .intValue |= tostring else . end)
           | .span.startTimeUnixNano |= tostring | .span.endTimeUnixNano |= tostring' "$@"
}
run_tf rc run -o "$T/otlp.out" "$D/broadcast-otlp.jsonl"
is "$rc" 0 "Broadcast deliveries run without --profile"
norm "$D/broadcast-otlp.jsonl" >"$T/want-otlp"
norm "$T/otlp.out" >"$T/got-otlp"
check "they are replayed unchanged (resource, scope, ids, times, attributes, status)" -- cmp "$T/want-otlp" "$T/got-otlp"
run_tf rc inspect "$D/broadcast-otlp.jsonl"
contains "$T/out" "profile:     otlp (the first record has resourceSpans from OpenRouter Broadcast (service.name openrouter))" \
   "inspect detects them as Broadcast's OTLP"
run_tf rc run --profile openrouter -o "$T/otlp-or.out" "$D/broadcast-otlp.jsonl"
check "--profile openrouter replays them the same way" -- cmp "$T/otlp.out" "$T/otlp-or.out"
is "$(jq -r '.resourceSpans[].resource.attributes[] | select(.key == "openrouter.trace.id") | .value.stringValue' "$T/otlp.out" | sort -u)" \
   gen-1790000300-liveDelivery "each delivery keeps its own resource"
# A backfill of the same request gives the spans the delivery has: Tempo keeps one.
printf '%s\n' '{"id":"gen-1790000300-liveDelivery","created_at":"2026-09-22T08:58:20Z","model":"openai/gpt-4o","latency":900,"provider_responses":[{"provider_name":"OpenAI","status":200,"latency":850}]}' >"$T/same.jsonl"
run_tf rc run -o "$T/same.out" "$T/same.jsonl"
is "$(jq -r '.resourceSpans[].scopeSpans[].spans[] | .traceId + " " + .spanId' "$T/same.out" | sort | tr '\n' '|')" \
   "$(jq -r '.resourceSpans[].scopeSpans[].spans[] | .traceId + " " + .spanId' "$D/broadcast-otlp.jsonl" | sort | tr '\n' '|')" \
   "a backfill of the delivered request has the delivery's trace and span ids"

# ---- a file mixing every shape ----------------------------------------------------------------
{ sed -n 1p "$D/broadcast-otlp.jsonl"; cat "$T/full.jsonl"; cat "$T/full-data.jsonl"; sed -n 1p "$D/chat.jsonl"
  cat "$D/camel.jsonl"; sed -n 2p "$D/broadcast-otlp.jsonl"; sed -n 2p "$D/broadcast.jsonl"; } >"$T/mixed.jsonl"
{ sed -n 1p "$D/chat.jsonl"; sed -n 1p "$D/broadcast-otlp.jsonl"; cat "$D/camel.jsonl"; cat "$T/full.jsonl"; } >"$T/mixed2.jsonl"
# the expected spans: each record run on its own
: >"$T/want-mixed"
for i in 1 2 3 4 5 6 7; do
    sed -n "${i}p" "$T/mixed.jsonl" >"$T/one.jsonl"
    "$TRACEFILL" run -q -o "$T/one.out" "$T/one.jsonl"
    norm "$T/one.out" >>"$T/want-mixed"
done
run_tf rc run -o "$T/mixed.out" --rejects "$T/mixed.rej" "$T/mixed.jsonl"
is "$rc" 0 "a file mixing generation ({}, data, camelCase), chat-completion and OTLP delivery records runs (first record OTLP)"
norm "$T/mixed.out" >"$T/got-mixed"
check "each record gives the spans it gives alone, in order" -- cmp "$T/want-mixed" "$T/got-mixed"
run_tf rc run --profile openrouter -o "$T/mixed-or.out" "$T/mixed.jsonl"
norm "$T/mixed-or.out" >"$T/got-mixed-or"
check "the same with --profile openrouter" -- cmp "$T/want-mixed" "$T/got-mixed-or"
run_tf rc run -o "$T/mixed2.out" "$T/mixed2.jsonl"
is "$rc" 0 "the same shapes with a chat-completion response first"
is "$(norm "$T/mixed2.out" | wc -l | tr -d ' ')" $((1 + 1 + 5 + 4)) "all their spans"

# ---- the round trip through the OTLP profile --------------------------------------------------
cat "$T/full.jsonl" "$D/errors.jsonl" "$D/chat.jsonl" "$D/full.jsonl" >"$T/rt.jsonl"
run_tf rc run -o "$T/rt1.out" "$T/rt.jsonl"
run_tf rc run --profile otlp -o "$T/rt2.out" "$T/rt1.out"
is "$rc" 0 "tracefill's OpenRouter output replays through --profile otlp"
norm "$T/rt1.out" >"$T/rt1.n"
norm "$T/rt2.out" >"$T/rt2.n"
check "span for span equal (resource with openrouter.trace.id, scope, ids, times, attributes, status)" -- cmp "$T/rt1.n" "$T/rt2.n"
run_tf rc run --profile otlp -o "$T/rt3.out" "$T/rt2.out"
check "and a replay of the replay is byte-identical" -- cmp "$T/rt2.out" "$T/rt3.out"

# ---- --mark-backfill, --resource-attr ------------------------------------------------------------
run_tf rc run --mark-backfill --resource-attr deployment.environment=prod -o "$T/mark.out" "$T/full.jsonl"
is "$(jq -c '.resourceSpans[0].resource.attributes' "$T/mark.out")" \
   '[{"key":"service.name","value":{"stringValue":"openrouter"}},{"key":"service.version","value":{"stringValue":"1.0.0"}},{"key":"openrouter.trace.id","value":{"stringValue":"'$G'"}},{"key":"deployment.environment","value":{"stringValue":"prod"}},{"key":"tracefill.backfill","value":{"boolValue":true}}]' \
   "--resource-attr is appended to each record's resource; --mark-backfill adds tracefill.backfill=true (a bool)"
is "$(jq -c 'del(.resourceSpans[].resource)' "$T/mark.out")" "$(jq -c 'del(.resourceSpans[].resource)' "$T/full.out")" \
   "and nothing else changes"
run_tf rc run --mark-backfill --profile otlp -o "$T/mark-otlp.out" "$D/broadcast-otlp.jsonl"
is "$(jq -r '.resourceSpans[].resource.attributes[-1] | .key + "=" + (.value.boolValue | tostring)' "$T/mark-otlp.out" | sort -u)" \
   "tracefill.backfill=true" "--mark-backfill marks replayed deliveries too"

# ---- rejects ---------------------------------------------------------------------------------------
printf '%s\n' '{"id":"gen-nocreated","choices":[{"finish_reason":"stop"}],"model":"m"}' \
    '{"id":"gen-badcreated","created":"soon","choices":[]}' >"$T/badchat.jsonl"
run_tf rc run -o "$T/badchat.out" --rejects "$T/badchat.rej" "$T/badchat.jsonl"
is "$rc" 3 "unusable chat-completion responses give exit status 3"
is "$(jq -r '[.line, .reason] | @tsv' "$T/badchat.rej" | tr '\t' ' ' | tr '\n' '|')" \
   '1 no created timestamp (a chat-completion response needs "created")|2 created is not a valid timestamp|' \
   "and are in the rejects file with the reason"
