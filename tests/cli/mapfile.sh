#!/bin/sh
# mapfile.sh: the bundled mapping-file samples through the real binary
# (tracefill run -o FILE --profile MAPPING INPUT): the exact span tree of
# each (ids, parent links, nanosecond times, names, kinds, statuses), exact
# attributes of chosen spans, ids re-derived independently with sha256sum,
# the same output for shuffled and split inputs, --where/--since/--until,
# --privacy, --resource-attr, rejects naming the missing field, a
# malformed mapping refused with the key and what was expected, and (with
# strace) a mapping file opened exactly once by a run with 4 threads.
. "$top_srcdir/tests/setup.sh"
need_cmd jq sha256sum shuf gzip
S=$SAMPLES_DIR
TAB=$(printf '\t')

# the span tree, one line per span, sorted: trace span parent start end kind status name
tree() {
    jq -r '.resourceSpans[].scopeSpans[].spans[] |
        [.traceId, .spanId, (.parentSpanId // "-"), .startTimeUnixNano, .endTimeUnixNano, .kind,
         (.status.code // 0), .name] | join(" ")' "$1" | LC_ALL=C sort
}
# every span with its resource and scope, sorted by span id (compares whole outputs)
canon() {
    jq -c '.resourceSpans[] | .resource as $r | .scopeSpans[] | .scope as $s | .spans[] |
        . + {resource: $r, scope: $s}' "$1" | jq -s -S -c 'sort_by(.spanId)'
}
span() { jq -c --arg id "$2" '.resourceSpans[].scopeSpans[].spans[] | select(.spanId == $id)' "$1"; }
attrs_of() { jq -S -c '[.attributes[] | {(.key): (.value | to_entries[0].value)}] | add'; }
nspans() { jq '[.resourceSpans[].scopeSpans[].spans[]] | length' "$1"; }
# derive trace|span PART...: doc/mapping.md's recipe, by sha256sum alone
derive() {
    _w=$1
    shift
    { printf 'tracefill:v1'; for _p in "$@"; do printf '\000%s' "$_p"; done; } | sha256sum |
        if [ "$_w" = trace ]; then cut -c1-32; else cut -c33-48; fi
}
yes 2>/dev/null | head -c 65536 >"$T/rand"
shuffle() { shuf --random-source="$T/rand" "$@"; }

# ---- nginx JSON access log ---------------------------------------------------
M=$S/nginx/mapping.json
IN=$S/nginx/access.jsonl
run_tf rc run -o "$T/nginx.jsonl" --profile "$M" "$IN"
is "$rc" 0 "nginx: the sample maps cleanly"
contains "$T/err" "11 records from 1 stream: 9 spans" "nginx: 11 records, 9 spans (health checks and /metrics skipped)"
is "$(tree "$T/nginx.jsonl")" "$(cat <<'EOF'
03855fcc7fe1796fe34b37a8a5f56fdf 155c0096bb9e946b - 1721086402999000000 1721086402999000000 2 0 GET /static/app.9f3c.js
0af7651916cd43dd8448eb211c80319c 31c67593d34fd456 b7ad6b7169203331 1721086371249000000 1721086401250000000 2 2 POST /v1/chat/completions
154d2c809a30261851e859bfd473821c 34005b8f805afb47 - 1720944929913000000 1720944930000000000 2 0 GET /api/v1/orders
4bf92f3577b34da6a3ce929d0e0e4736 1a052d1f14fb6d45 00f067aa0ba902b7 1721086399310000000 1721086399433000000 2 0 GET /api/v1/orders
4bf92f3577b34da6a3ce929d0e0e4736 aa35eed6baa1935a 53995c3f42cd8ad8 1721086400013000000 1721086400017000000 2 0 GET /api/v1/orders/42
4bf92f3577b34da6a3ce929d0e0e4736 eb026bb2c2296bf6 00f067aa0ba902b7 1721086405080000000 1721086405125000000 2 0 DELETE /api/v1/orders/42
4bf92f3577b34da6a3ce929d0e0e4736 f84f723aa9482568 00f067aa0ba902b7 1720944930989000000 1720944931000000000 2 2 POST /api/v1/login
7c23e4004794768482d45b498fa68cea 2dc62cc8613e7227 - 1721086399152000000 1721086399502000000 2 0 POST /api/v1/orders
a1b2c3d4e5f60718293a4b5c6d7e8f90 7d94b75d28562346 1a2b3c4d5e6f7081 1721086401910000000 1721086403412000000 2 2 PUT /api/v1/cart
EOF
)" "nginx: exact span tree (traceparent joins, msec end - request_time start, time_local fallback at +0200)"

# ids and times re-derived from the input, independently of tracefill
ok_ids=yes
jq -r 'select(.uri != "/healthz" and .uri != "/metrics") |
    [.request_id, (if .http_traceparent == "" then "-" else .http_traceparent end)] | join(" ")' "$IN" >"$T/ng.in"
while read -r rid tp; do
    sid=$(derive span "$rid")
    if [ "$tp" = - ]; then want="$(derive trace "$rid") $sid -"; else
        want="$(echo "$tp" | cut -d- -f2) $sid $(echo "$tp" | cut -d- -f3)"; fi
    got=$(span "$T/nginx.jsonl" "$sid" | jq -r '[.traceId, .spanId, (.parentSpanId // "-")] | join(" ")')
    [ "$got" = "$want" ] || { ok_ids=no; diag "request $rid: got '$got', want '$want'"; }
done <"$T/ng.in"
is "$ok_ids" yes "nginx: span id = sha256(tracefill:v1 NUL request_id); trace and parent from traceparent, else derived"
is "$(span "$T/nginx.jsonl" 7d94b75d28562346 | attrs_of)" \
   '{"client.address":"203.0.113.99","http.request.method":"PUT","http.request.size":"640","http.response.body.size":"190","http.response.status_code":"503","network.protocol.version":"1.1","nginx.request_id":"ffeeddccbbaa00998877665544332211","nginx.request_uri":"/api/v1/cart?session=abc","nginx.upstream_response_time":"0.750, 0.751","nginx.upstream_status":"503, 503","server.address":"shop.example.com","url.path":"/api/v1/cart","url.query":"session=abc","url.scheme":"https","user_agent.original":"shop-android/4.11.2"}' \
   "nginx: exact attributes (renames, int conversion, value map, remaining under nginx., empty and - values dropped)"
is "$(span "$T/nginx.jsonl" 7d94b75d28562346 | jq -c '[.status, .traceState, (.flags // 0)]')" \
   '[{"message":"HTTP 503 from 10.0.3.22:8080, 10.0.3.21:8080","code":2},"vendor=x1",0]' \
   "nginx: status >= 500 is ERROR with the message template; tracestate kept; unsampled flags"
is "$(span "$T/nginx.jsonl" 1a052d1f14fb6d45 | jq -c '[(.flags // 0), .traceState]')" '[1,"congo=t61rcWkgMzE"]' \
   "nginx: sampled traceparent flag"
is "$(jq -c '[.resourceSpans[] | [.resource.attributes[] | "\(.key)=\(.value.stringValue)"] | join(",")]' "$T/nginx.jsonl")" \
   '["service.name=nginx,host.name=web-1","service.name=nginx,host.name=web-2"]' \
   "nginx: one resource per host, from a field"
is "$(jq -r '[.resourceSpans[].scopeSpans[].scope.name] | unique | join(",")' "$T/nginx.jsonl")" tracefill \
   "nginx: default scope is tracefill's"

shuffle "$IN" >"$T/ng-shuf.jsonl"
if cmp -s "$IN" "$T/ng-shuf.jsonl"; then fail "nginx: the shuffle changed the order"; else pass "nginx: the shuffle changed the order"; fi
run_tf rc run -o "$T/ng-shuf.out" --profile "$M" "$T/ng-shuf.jsonl"
is "$(canon "$T/ng-shuf.out")" "$(canon "$T/nginx.jsonl")" "nginx: shuffled lines give the same spans, ids and attributes"

run_tf rc run -o "$T/ng-where.jsonl" --profile "$M" --where http.response.status_code=503 "$IN"
is "$(tree "$T/ng-where.jsonl" | cut -d' ' -f2)" 7d94b75d28562346 "nginx: --where on an int attribute"
contains "$T/err" "10 filtered out, 0 rejected" "nginx: filtered (and skipped) records are counted, not rejected"
run_tf rc run -o "$T/ng-host.jsonl" --profile "$M" --where host.name=web-2 "$IN"
is "$(tree "$T/ng-host.jsonl" | cut -d' ' -f2 | tr '\n' ' ')" "155c0096bb9e946b aa35eed6baa1935a " \
   "nginx: --where on a resource attribute from a field"
run_tf rc run -o "$T/ng-time.jsonl" --profile "$M" --since 2024-07-15T23:33:20Z --until 2024-07-15T23:33:22Z "$IN"
is "$(tree "$T/ng-time.jsonl" | cut -d' ' -f2 | tr '\n' ' ')" "aa35eed6baa1935a 7d94b75d28562346 " \
   "nginx: --since/--until on the span start (start = end - request_time)"
run_tf rc run -o "$T/ng-ra.jsonl" --profile "$M" --resource-attr deployment.environment.name=prod "$IN"
is "$(jq -r '.resourceSpans[0].resource.attributes | map(.key) | join(",")' "$T/ng-ra.jsonl")" \
   "service.name,host.name,deployment.environment.name" "nginx: --resource-attr is appended to per-record resources"

# ---- agent steps: a span tree rebuilt across records ---------------------------
M=$S/agent/mapping.json
IN=$S/agent/steps.jsonl
run_tf rc run -o "$T/agent.jsonl" --profile "$M" "$IN"
is "$rc" 0 "agent: the sample maps cleanly"
is "$(tree "$T/agent.jsonl")" "$(cat <<'EOF'
a59a0f09233f70c5dc90d43f8379e8b5 0d55bf371bd00416 86d6d741fd80db16 1721086404093273000 1721086406173398000 1 2 execute_tool lookup_order
a59a0f09233f70c5dc90d43f8379e8b5 86d6d741fd80db16 - 1721086403433273000 1721086406183273000 1 1 invoke_agent support_bot
a59a0f09233f70c5dc90d43f8379e8b5 af0d792dfbe399c1 86d6d741fd80db16 1721086403443273000 1721086404083523000 3 1 chat gpt-4o-mini-2024-07-18
a6d5f625adf36f7fc9ad92b345671dd8 27f3c11ccd7575ff 4be34b7831266326 1721086409243273000 1721086409248473000 1 1 execute_tool send_email
a6d5f625adf36f7fc9ad92b345671dd8 293706324bd75903 4be34b7831266326 1721086405633273000 1721086409233773000 3 1 chat gpt-4o-2024-05-13
a6d5f625adf36f7fc9ad92b345671dd8 4be34b7831266326 - 1721086399433273000 1721086409250675000 1 1 invoke_agent trip_planner
a6d5f625adf36f7fc9ad92b345671dd8 8087484399e57052 831a0315db5f0f1b 1721086402753273000 1721086403153272000 3 1 chat gpt-4o-mini-2024-07-18
a6d5f625adf36f7fc9ad92b345671dd8 831a0315db5f0f1b da2e97a0db92df49 1721086400753273000 1721086403153274000 1 1 execute_tool web_search
a6d5f625adf36f7fc9ad92b345671dd8 8667d7c37191764f da2e97a0db92df49 1721086399435273000 1721086400752118000 3 1 chat gpt-4o-2024-05-13
a6d5f625adf36f7fc9ad92b345671dd8 da2e97a0db92df49 4be34b7831266326 1721086399434523000 1721086405555273000 1 1 invoke_agent researcher
a6d5f625adf36f7fc9ad92b345671dd8 e60c0dbd0eab25b1 da2e97a0db92df49 1721086403158273000 1721086405548273000 1 2 execute_tool web_search
EOF
)" "agent: exact tree (two runs, 4 levels; epoch-us start + fractional-ms duration to the ns)"

jq -r '[.run_id, .step_id, (.parent_step_id // "-")] | join(" ")' "$IN" | while read -r run step parent; do
    p=-
    [ "$parent" = - ] || p=$(derive span "$run" "$parent")
    echo "$(derive trace "$run") $(derive span "$run" "$step") $p"
done | LC_ALL=C sort >"$T/agent.want"
tree "$T/agent.jsonl" | cut -d' ' -f1-3 | LC_ALL=C sort >"$T/agent.got"
check "agent: trace = sha256(run_id), span = sha256(run_id NUL step_id), parent = the same recipe on parent_step_id" \
    -- cmp "$T/agent.want" "$T/agent.got"
is "$(jq -s '(map({key: .spanId, value: (.parentSpanId // null)}) | from_entries) as $p |
        [.[] | .spanId | [recurse($p[.] // empty)] | length] | max' <<EOF
$(jq -c '.resourceSpans[].scopeSpans[].spans[]' "$T/agent.jsonl")
EOF
)" 4 "agent: the deepest chain has 4 levels"
order=$(jq -s -r 'to_entries | map({k: "\(.value.run_id)/\(.value.step_id)", i: .key, p: (if .value.parent_step_id then "\(.value.run_id)/\(.value.parent_step_id)" else null end)}) |
        (map({key: .k, value: .i}) | from_entries) as $at |
        [.[] | select(.p) | if $at[.p] > .i then "before" else "after" end] | unique | join(",")' "$IN")
is "$order" "after,before" "agent: the sample has children both before and after their parents"
is "$(span "$T/agent.jsonl" 831a0315db5f0f1b | jq -c '[.events[] | [.name, .timeUnixNano, ([.attributes[] | "\(.key)=\(.value | to_entries[0].value)"] | join(","))]]')" \
   '[["retry","1721086401553273000","retry.attempt=1,agent.event.reason=HTTP 429"],["retry","1721086402453273000","retry.attempt=2,agent.event.reason=timeout"]]' \
   "agent: events from an array field (name, RFC 3339 time, converted and remaining attributes)"
is "$(span "$T/agent.jsonl" e60c0dbd0eab25b1 | jq -c '.status')" \
   '{"message":"TimeoutError: search backend did not answer in 2s","code":2}' "agent: error object → ERROR with a message template"
is "$(span "$T/agent.jsonl" e60c0dbd0eab25b1 | attrs_of)" \
   '{"agent.run.id":"run_01J2ZK7Q8W3M","agent.step.id":"st_0006","agent.step.parent_id":"st_0002","error.type":"TimeoutError","gen_ai.operation.name":"execute_tool","gen_ai.tool.call.arguments":"{\"q\":\"Lisbon mid-range hotels Alfama\"}","gen_ai.tool.name":"web_search"}' \
   "agent: exact attributes of a failed tool step"
is "$(span "$T/agent.jsonl" 4be34b7831266326 | attrs_of)" \
   '{"agent.input.request":"3 days in Lisbon in October, mid budget","agent.run.id":"run_01J2ZK7Q8W3M","agent.step.id":"st_0001","gen_ai.agent.name":"trip_planner","gen_ai.operation.name":"invoke_agent"}' \
   "agent: exact attributes of a root step (remaining fields under agent.)"
is "$(jq -c '.resourceSpans[0].resource.attributes' "$T/agent.jsonl")" \
   '[{"key":"service.name","value":{"stringValue":"trip-agent"}},{"key":"service.version","value":{"stringValue":"0.9.3"}},{"key":"deployment.environment.name","value":{"stringValue":"staging"}}]' \
   "agent: resource from a constant and two fields"

# any order, any split into files: the same trees in one pass
shuffle "$IN" >"$T/ag-shuf.jsonl"
if cmp -s "$IN" "$T/ag-shuf.jsonl"; then fail "agent: the shuffle changed the order"; else pass "agent: the shuffle changed the order"; fi
run_tf rc run -o "$T/ag-shuf.out" --profile "$M" "$T/ag-shuf.jsonl"
is "$(canon "$T/ag-shuf.out")" "$(canon "$T/agent.jsonl")" "agent: shuffled lines give the same ids, tree and attributes"
awk '{ l[NR] = $0 } END { for (i = NR; i > 0; i--) print l[i] }' "$IN" >"$T/ag-rev.jsonl"
head -n 4 "$T/ag-rev.jsonl" >"$T/part1.jsonl"
tail -n +5 "$T/ag-rev.jsonl" | gzip -n >"$T/part2.jsonl.gz"
run_tf rc run -o "$T/ag-split.out" --profile "$M" "$T/part2.jsonl.gz" "$T/part1.jsonl"
is "$(canon "$T/ag-split.out")" "$(canon "$T/agent.jsonl")" "agent: reversed and split across two files (one gzipped): the same trees"

run_tf rc run -o "$T/ag-where.jsonl" --profile "$M" --where gen_ai.operation.name=chat "$IN"
is "$(nspans "$T/ag-where.jsonl")" 4 "agent: --where keeps the 4 LLM steps"
run_tf rc run -o "$T/ag-priv.jsonl" --profile "$M" --privacy "$IN"
is "$(jq '[.resourceSpans[].scopeSpans[].spans[].attributes[] | select(.key == "gen_ai.tool.call.arguments")] | length' "$T/ag-priv.jsonl")" 0 \
   "agent: --privacy drops attributes marked private"

# rejects name the missing field; the rest of the stream still maps
{
    head -n 2 "$IN"
    echo '{"step_id":"st_9","step":{"type":"llm","name":"x"},"started_at_us":1721086399433273,"duration_ms":1}'
    echo '{"run_id":"r","step_id":"st_9","step":{"type":"llm","name":"x"},"duration_ms":1}'
    echo '{"run_id":"r","step_id":"st_9","step":{"type":"llm","name":"x"},"started_at_us":"soon","duration_ms":1}'
    echo '{"run_id":"r","step_id":"st_9","step":{"name":"x"},"started_at_us":1,"duration_ms":1}'
} >"$T/bad.jsonl"
run_tf rc run -o "$T/bad.out" --rejects "$T/rej.jsonl" --profile "$M" "$T/bad.jsonl"
is "$rc" 3 "agent: rejected records give exit status 3"
is "$(nspans "$T/bad.out")" 2 "agent: the good records still map"
is "$(jq -r '"\(.line) \(.reason)"' "$T/rej.jsonl")" "$(cat <<'EOF'
3 span.span_id: derive part 1: "run_id" is missing
4 no time: span.start: "started_at_us" is missing
5 no time: span.start: "started_at_us" is not a timestamp: "soon"
6 span.name: [0] its "if" does not hold; [1] its "if" does not hold; [2] its "if" does not hold; [3] "step.type" is missing (in template "{step.type} {step.name}")
EOF
)" "agent: each reject names the missing or unusable field"

# ---- LiteLLM spend logs (gzip) -----------------------------------------------
M=$S/litellm/mapping.json
IN=$S/litellm/spend.jsonl.gz
run_tf rc run -o "$T/litellm.jsonl" --profile "$M" "$IN"
is "$rc" 0 "litellm: the gzipped sample maps cleanly"
is "$(tree "$T/litellm.jsonl")" "$(cat <<'EOF'
046fa118e132c3c4a435729e82fa3da3 3b8f178b99078eab - 1721111652100000000 1721111659884612000 3 0 chat gpt-4o
0af7651916cd43dd8448eb211c80319c b47d923c518f5f33 b7ad6b7169203331 1721086411249118000 1721086441249901000 3 2 chat claude-sonnet
77a38ed965131fd77aafe6fc09a318c0 87e2fd567411757c - 1721086399433273000 1721086400683773000 3 0 chat gpt-4o-mini
9d042f5a150ced39ed8c8a8301e16145 b8f95dfca6e55d83 - 1721086420001500000 1721086420118250000 3 0 embeddings text-embedding-3-small
f2f976c4649d41e66a9dbfc0681afed1 2c06d7d3414cec5a - 1721086450020202000 1721086450031313000 3 0 chat gpt-4o-mini
fe386ad9733bdfe9373ef1acec299459 ec9256c2e366604d - 1721086445500000000 1721086445731442000 3 2 chat claude-sonnet
EOF
)" "litellm: exact spans (Z, +00:00, -07:00 and naive timestamps; failures are ERROR)"
is "$(tree "$T/litellm.jsonl" | grep -c "^$(derive trace chatcmpl-9lTz8mQ2o5d1KxYbV3c7nR4pE6wA) $(derive span chatcmpl-9lTz8mQ2o5d1KxYbV3c7nR4pE6wA) ")" 1 \
   "litellm: ids derived from request_id"
ng_trace=$(tree "$T/nginx.jsonl" | grep 'POST /v1/chat/completions' | cut -d' ' -f1)
is "$(tree "$T/litellm.jsonl" | grep -c "^$ng_trace ")" 1 \
   "litellm: the call behind nginx's 502 joins nginx's trace (traceparent from proxy_server_request.headers)"
is "$(span "$T/litellm.jsonl" b47d923c518f5f33 | attrs_of)" \
   '{"error.type":"Timeout","gen_ai.operation.name":"chat","gen_ai.provider.name":"anthropic","gen_ai.request.model":"claude-sonnet","gen_ai.response.id":"chatcmpl-9lTzAq1Lk3mN8bV0xC2zR7tY5uI4","gen_ai.response.model":"claude-3-5-sonnet-20240620","gen_ai.usage.cost":0,"gen_ai.usage.input_tokens":"0","gen_ai.usage.output_tokens":"0","gen_ai.usage.total_tokens":"0","http.response.status_code":"408","litellm.api_base":"https://api.anthropic.com/v1/messages","litellm.cache_hit":false,"litellm.key_alias":"chat-frontend","litellm.metadata.additional_usage_values.prompt_tokens_details.cached_tokens":"0","litellm.metadata.requester_ip_address":"10.1.2.3","litellm.metadata.user_api_key_team_alias":"chat","litellm.metadata.user_api_key_team_id":"team-chat","litellm.metadata.user_api_key_user_id":"u-2040","litellm.team_id":"team-chat","user.id":"u-2040"}' \
   "litellm: exact attributes of a failed call (error info, metadata flattened, empty values dropped)"
is "$(span "$T/litellm.jsonl" b47d923c518f5f33 | jq -r .status.message)" \
   "Timeout: litellm.Timeout: AnthropicException - Request timed out after 30.0 seconds" "litellm: failure message"
is "$(span "$T/litellm.jsonl" 87e2fd567411757c | jq -c '[.events[] | [.name, .timeUnixNano]]')" \
   '[["gen_ai.first_token","1721086399912000000"]]' "litellm: first-token event from completionStartTime"
is "$(span "$T/litellm.jsonl" 87e2fd567411757c | attrs_of | jq -c '[."gen_ai.usage.cost", ."litellm.cache_hit", ."litellm.request_tags", ."user.id", ."session.id", (."gen_ai.input.messages" | fromjson | .[0].role)]')" \
   '[0.00010755,false,{"values":[{"stringValue":"prod"},{"stringValue":"search"}]},"u-1717","sess-5c1e","user"]' \
   "litellm: cost as a double, \"False\" as a bool, tags as an array, messages as JSON"
is "$(span "$T/litellm.jsonl" b8f95dfca6e55d83 | attrs_of | jq -r '."user.id"')" customer-311 \
   "litellm: user.id falls back to end_user when user is empty"
gzip -dc "$IN" | shuffle >"$T/ll-shuf.jsonl"
run_tf rc run -o "$T/ll-shuf.out" --profile "$M" "$T/ll-shuf.jsonl"
is "$(canon "$T/ll-shuf.out")" "$(canon "$T/litellm.jsonl")" "litellm: shuffled (and decompressed) input gives the same spans"
run_tf rc run -o "$T/ll-priv.jsonl" --profile "$M" --privacy "$IN"
is "$(jq '[.resourceSpans[].scopeSpans[].spans[].attributes[] | select(.key | startswith("gen_ai.input") or startswith("gen_ai.output"))] | length' "$T/ll-priv.jsonl")" 0 \
   "litellm: --privacy drops prompts and completions"
run_tf rc run -o "$T/ll-where.jsonl" --profile "$M" --where gen_ai.provider.name=anthropic --since 2024-07-15T23:34:00Z "$IN"
is "$(tree "$T/ll-where.jsonl" | cut -d' ' -f2)" ec9256c2e366604d "litellm: --where and --since together"

# ---- the samples together: one pass over every kind, ids unique -------------
run_tf rc run -o "$T/all.jsonl" --profile "$S/agent/mapping.json" "$S/agent/steps.jsonl" "$T/part1.jsonl"
is "$(jq -r '.resourceSpans[].scopeSpans[].spans[].spanId' "$T/all.jsonl" | sort | uniq -d | wc -l | tr -d ' ')" 4 \
   "a step given twice gets the same span id both times (idempotent re-runs)"

# ---- a malformed mapping is refused before anything runs --------------------
printf '{"span": {"name": 42, "start": "t"}}\n' >"$T/bad-map.json"
run_tf rc run -o "$T/never.jsonl" --profile "$T/bad-map.json" "$S/agent/steps.jsonl"
is "$rc" 2 "a malformed mapping exits with status 2"
contains "$T/err" "$T/bad-map.json: \"span.name\": expected a string or a template" \
    "the error names the file, the key and what was expected"
if [ -e "$T/never.jsonl" ] && [ -s "$T/never.jsonl" ]; then fail "nothing is written"; else pass "nothing is written"; fi
run_tf rc run -o "$T/never.jsonl" --profile "$T/missing.json" "$S/agent/steps.jsonl"
contains "$T/err" "$T/missing.json: cannot open the mapping file" "a missing mapping file is named"

# ---- a mapping file is read once per run, however many threads map ----------
# strace counts the opens of the mapping file: one, then one profile shared by
# the 4 worker threads (each thread used to read and compile its own copy).
# LeakSanitizer cannot run under ptrace: a sanitizer build checks leaks in
# the other runs.
if command -v strace >/dev/null 2>&1 && strace -f -o /dev/null true >/dev/null 2>&1; then
    cp "$S/nginx/mapping.json" "$T/once.json"
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
    export ASAN_OPTIONS
    set +e
    strace -f -e trace=openat,open -o "$T/strace.log" "$TRACEFILL" run --threads 4 -o "$T/once.jsonl" \
        --profile "$T/once.json" "$S/nginx/access.jsonl" >"$T/out" 2>"$T/err"
    rc=$?
    set -e
    is "$rc" 0 "run --threads 4 under strace maps cleanly"
    is "$(grep -c "open[a-z]*(.*\"$T/once.json\"" "$T/strace.log")" 1 \
       "run --threads 4: the mapping file is opened exactly once"
    is "$(canon "$T/once.jsonl")" "$(canon "$T/nginx.jsonl")" "the 4 threads sharing one profile map like the first run"
    set +e
    strace -f -e trace=openat,open -o "$T/strace2.log" "$TRACEFILL" inspect --profile "$T/once.json" \
        "$S/nginx/access.jsonl" >"$T/out" 2>"$T/err"
    set -e
    is "$(grep -c "open[a-z]*(.*\"$T/once.json\"" "$T/strace2.log")" 1 "inspect: the mapping file is opened exactly once"
else
    skip "strace is not installed or cannot trace here (Debian package strace)"
    skip "strace is not installed or cannot trace here"
    skip "strace is not installed or cannot trace here"
    skip "strace is not installed or cannot trace here"
fi

# A mapped resource whose every field is missing from the record: an empty
# resource, not a crash (memcpy from NULL aborted the sanitizer build).
printf '{"resource": {"service.name": "svc"}, "span": {"name": "x", "start": "ts", "duration": {"const": "1s"}}}\n' >"$T/empty-res.json"
printf '{"ts":"2025-01-01T00:00:00Z"}\n{"ts":"2025-01-01T00:00:01Z","svc":"a"}\n' >"$T/empty-res.jsonl"
run_tf rc run --profile "$T/empty-res.json" -o "$T/empty-res.out" "$T/empty-res.jsonl"
is "$rc" 0 "a resource whose fields are all missing maps (exit 0)"
is "$(jq -c '[.resourceSpans[] | (.resource.attributes // [] | length)]' "$T/empty-res.out" | tr -d '\n')" "[0,1]" \
   "the first record's resource is empty, the second's has service.name"
