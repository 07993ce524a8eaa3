#!/bin/sh
# upload.sh: OTLP/HTTP export against the test receiver (a real HTTP server
# process on a loopback port): exactly-once delivery on a clean run, wire
# format checked with protoc, every compression and both encodings, retries
# with both Retry-After forms, no retry on 400/401/403, 413 splitting,
# partial success, tenants, auth, secrets kept out of all output.
. "$top_srcdir/tests/setup.sh"
. "$top_srcdir/tests/server/lib-receiver.sh"
need_cmd jq curl

D=$DATA_DIR/openrouter
S=$SAMPLES_DIR/openrouter
"$TRACEFILL" run -q -o "$T/ref.jsonl" "$S"
jq -r '.resourceSpans[].scopeSpans[].spans[] | .traceId + " " + .spanId' "$T/ref.jsonl" | sort >"$T/ref.ids"
n_ref=$(wc -l <"$T/ref.ids" | tr -d ' ')
recv_ids() { awk '{print $1" "$2}' "$RECV_DIR/spans.log" | sort; }

# 1. Clean run, protobuf + gzip (the defaults), small batches so several requests fly.
start_receiver
run_tf rc run --endpoint "$RECV_URL" --batch-spans 40 --concurrency 3 "$S"
is "$rc" 0 "clean upload exits 0"
recv_ids >"$T/got.ids"
check "every span arrives exactly once (same ids as the file sink)" -- cmp "$T/ref.ids" "$T/got.ids"
is "$(grep -c 'ctype=protobuf cenc=gzip' "$RECV_DIR/requests.log")" "$(recv_request_count)" "defaults: http/protobuf with gzip"
is "$(recv_request_count)" "$(( (n_ref + 39) / 40 ))" "requests bounded by --batch-spans ($n_ref spans)"
need_protoc=1; [ -n "${PROTOC:-}" ] || command -v protoc >/dev/null 2>&1 || need_protoc=0
if [ "$need_protoc" = 1 ]; then
    pb_decode "$RECV_DIR/req-1.pb" >"$T/req1.txt" 2>"$T/protoc.err"
    is "$?" 0 "protoc decodes the request with .proto files written from the OTLP spec"
    contains "$T/req1.txt" 'string_value: "openrouter"' "protoc sees the service.name resource attribute"
    first_root=$(jq -r '.resourceSpans[0].scopeSpans[0].spans[0] | .name' "$T/ref.jsonl")
    contains "$T/req1.txt" "name: \"$first_root\"" "protoc sees the first span's name"
    contains "$T/req1.txt" "kind: SPAN_KIND_CLIENT" "kind decodes as an enum"
    lacks "$T/protoc.err" "arning" "no protoc warnings (no unknown fields)"
else
    skip "protoc not installed"
fi
contains "$T/err" "$n_ref spans in" "summary counts the spans sent"

# 2. Every compression and both encodings reach the receiver intact.
for proto in http/protobuf http/json; do
    for comp in gzip zstd none; do
        start_receiver
        run_tf rc run --endpoint "$RECV_URL" --protocol $proto --compression $comp "$S"
        recv_ids >"$T/got.ids"
        enc=$( [ $comp = none ] && echo identity || echo $comp)
        ct=$( [ $proto = http/json ] && echo json || echo protobuf)
        if [ "$rc" = 0 ] && cmp -s "$T/ref.ids" "$T/got.ids" && grep -q "ctype=$ct cenc=$enc" "$RECV_DIR/requests.log"; then
            pass "$proto + $comp: all spans arrive, Content-Type and Content-Encoding right"
        else
            fail "$proto + $comp"; diag "rc=$rc"; diag "$(head -3 "$RECV_DIR/requests.log")"; diag "$(tail -3 "$T/err")"
        fi
    done
done

# 3. The file sink's OTLP/JSON lines are valid OTLP for an independent decoder.
start_receiver
while IFS= read -r line; do
    printf '%s' "$line" | curl -s -o /dev/null -H 'Content-Type: application/json' --data-binary @- "$RECV_URL/v1/traces"
done <"$T/ref.jsonl"
recv_ids >"$T/got.ids"
check "the file sink's lines decode in the receiver's own OTLP/JSON reader" -- cmp "$T/ref.ids" "$T/got.ids"
awk '{print $1" "$2" "$3" "$4" "$5}' "$RECV_DIR/spans.log" | sort >"$T/json-times"
jq -r '.resourceSpans[].scopeSpans[].spans[] | [.traceId, .spanId, (.parentSpanId // "-"), .startTimeUnixNano, .endTimeUnixNano] | join(" ")' "$T/ref.jsonl" | sort >"$T/ref-times"
check "parents and nanosecond times survive the round trip" -- cmp "$T/ref-times" "$T/json-times"

# 4. Retries: 429 with Retry-After seconds, 503 with an HTTP-date, a dropped connection, 502, 504.
printf '%s\n' 'status 429 retry-after=1' 'status 503 retry-after-date=+2' 'drop' 'status 502' 'status 504' >"$T/script"
start_receiver --script "$T/script"
run_tf rc run --endpoint "$RECV_URL" --batch-spans 1000 --concurrency 1 "$S"
is "$rc" 0 "run succeeds after 429, 503, a drop, 502 and 504"
recv_ids >"$T/got.ids"
check "after retries every span arrived exactly once" -- cmp "$T/ref.ids" "$T/got.ids"
is "$(recv_request_count)" 6 "five failures then one success: six requests"
contains "$T/err" "retrying in 1.0 s" "Retry-After in seconds is honoured"
t1=$(sed -n 1p "$RECV_DIR/requests.log" | sed 's/.*ms=\([0-9]*\).*/\1/')
t2=$(sed -n 2p "$RECV_DIR/requests.log" | sed 's/.*ms=\([0-9]*\).*/\1/')
t3=$(sed -n 3p "$RECV_DIR/requests.log" | sed 's/.*ms=\([0-9]*\).*/\1/')
[ $((t2 - t1)) -ge 950 ] && pass "the retry after 429 waited >= 1 s ($((t2 - t1)) ms)" || fail "429 retry came after $((t2 - t1)) ms"
# An HTTP-date has whole seconds: "+2 s" means a wait between 1 and 2 s.
[ $((t3 - t2)) -ge 950 ] && pass "the retry after the HTTP-date Retry-After waited ($((t3 - t2)) ms)" || fail "date retry came after $((t3 - t2)) ms"

# 5. No retry on 400, 401, 403: the run stops with the backend's message and a hint.
for code in 400 401 403; do
    printf 'status %s message="tenant quota says no %s"\n' $code $code >"$T/script"
    start_receiver --script "$T/script"
    run_tf rc run --endpoint "$RECV_URL" --concurrency 1 "$S"
    if [ "$rc" = 1 ] && [ "$(recv_request_count)" = 1 ] && grep -q "HTTP $code: tenant quota says no $code" "$T/err" && grep -q "hint:" "$T/err"; then
        pass "HTTP $code: not retried, exit 1, the backend's google.rpc.Status message and a hint are shown"
    else
        fail "HTTP $code handling"; diag "rc=$rc requests=$(recv_request_count)"; diag "$(cat "$T/err")"
    fi
done
contains "$T/err" "traces:write" "403 hint mentions the token's traces:write scope"

# 6. 413: the batch is split until it fits; all spans arrive once.
start_receiver --max-body 6000
run_tf rc run --endpoint "$RECV_URL" --compression none --batch-spans 500 --concurrency 2 "$S"
is "$rc" 0 "413 answers are handled by splitting"
recv_ids >"$T/got.ids"
check "after splitting every span arrived exactly once" -- cmp "$T/ref.ids" "$T/got.ids"
[ "$(recv_status_count 413)" -ge 1 ] && pass "the receiver did answer 413 ($(recv_status_count 413) times)" || fail "no 413 seen"

# 7. Partial success is reported, counted and not retried.
for proto in http/protobuf http/json; do
    printf '%s\n' 'partial 3 message="3 spans too old"' >"$T/script"
    start_receiver --script "$T/script"
    run_tf rc run --endpoint "$RECV_URL" --protocol $proto --batch-spans 1000 "$S"
    if [ "$rc" = 3 ] && [ "$(recv_request_count)" = 1 ] && grep -q "3 of $n_ref spans rejected: 3 spans too old" "$T/err"; then
        pass "$proto partial success: reported with the backend's message, not retried, exit 3"
    else
        fail "$proto partial success"; diag "rc=$rc requests=$(recv_request_count)"; diag "$(cat "$T/err")"
    fi
done

# 8. Tenants and auth; secrets never in output.
start_receiver --require-tenant
run_tf rc run --endpoint "$RECV_URL" "$D/full.jsonl"
is "$rc" 1 "a multi-tenant backend without --tenant fails"
contains "$T/err" "no org id" "and says why"
run_tf rc run --endpoint "$RECV_URL" --tenant team-a "$D/full.jsonl"
is "$rc" 0 "with --tenant it succeeds"
contains "$RECV_DIR/requests.log" "tenant=team-a" "X-Scope-OrgID carries the tenant"

secret=glc_s3cr3tT0kenValue_$$
printf '%s\n' "$secret" >"$T/token"
start_receiver --require-basic "123456:$secret"
run_tf rc run -v --endpoint "$RECV_URL" --basic-auth 123456 --token-file "$T/token" "$D/full.jsonl"
is "$rc" 0 "basic auth with the token from --token-file is accepted"
contains "$RECV_DIR/requests.log" "auth=ok" "the receiver checked the credentials"
lacks "$T/err" "$secret" "the token is not in -v stderr"
lacks "$T/out" "$secret" "the token is not in stdout"
TRACEFILL_TOKEN=wrong-$secret run_tf rc run -v --endpoint "$RECV_URL" --basic-auth 123456 "$D/full.jsonl"
is "$rc" 1 "a wrong token (from TRACEFILL_TOKEN) is refused"
lacks "$T/err" "$secret" "the wrong token is not echoed in the error"
start_receiver --require-bearer "$secret"
TRACEFILL_TOKEN=$secret run_tf rc run --endpoint "$RECV_URL" "$D/full.jsonl"
is "$rc" 0 "a token without --basic-auth is sent as a bearer token"
# A header given on the command line is hidden from the process listing.
printf '%s\n' 'delay 1500' >"$T/script"
start_receiver --script "$T/script"
"$TRACEFILL" run --endpoint "$RECV_URL" --header "Authorization: Bearer $secret" "$D/full.jsonl" >/dev/null 2>"$T/err" &
pid=$!
recv_wait_requests 1 5 || true
tr '\0' ' ' </proc/$pid/cmdline >"$T/cmdline" 2>/dev/null || true
wait $pid || true
lacks "$T/cmdline" "$secret" "--header values do not show in the process listing"

# 9. Endpoint from the environment; flags win.
start_receiver
OTEL_EXPORTER_OTLP_ENDPOINT=$RECV_URL/ OTEL_EXPORTER_OTLP_PROTOCOL=http/json OTEL_EXPORTER_OTLP_COMPRESSION=zstd \
    run_tf rc run "$D/full.jsonl"
is "$rc" 0 "OTEL_EXPORTER_OTLP_ENDPOINT (base URL) works"
contains "$RECV_DIR/requests.log" "ctype=json cenc=zstd" "OTEL_EXPORTER_OTLP_PROTOCOL and _COMPRESSION are honoured"
OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=$RECV_URL/v1/traces OTEL_EXPORTER_OTLP_PROTOCOL=http/json \
    run_tf rc run --protocol http/protobuf "$D/full.jsonl"
is "$rc" 0 "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is used as is"
is "$(tail -n1 "$RECV_DIR/requests.log" | grep -c ctype=protobuf)" 1 "a flag wins over the environment"
OTEL_EXPORTER_OTLP_HEADERS="X-Scope-OrgID=env%20tenant" run_tf rc run --endpoint "$RECV_URL" "$D/full.jsonl"
contains "$RECV_DIR/requests.log" "tenant=env_tenant" "OTEL_EXPORTER_OTLP_HEADERS with %-encoding (the receiver logs a space as _)"

# 10. tracefill check.
start_receiver
run_tf rc check --endpoint "$RECV_URL"
is "$rc" 0 "check against a working receiver exits 0"
contains "$T/out" "OK: the backend accepted the test span" "and says so"
is "$(grep -c 'tracefill check' "$RECV_DIR/spans.log")" 1 "the clearly labelled test span arrived"
run_tf rc check --endpoint "$RECV_URL/wrong/path"
is "$rc" 1 "check against a wrong path fails"
contains "$T/out" "HTTP 404" "and shows the status"
start_receiver --require-basic "u:p"
run_tf rc check --endpoint "$RECV_URL"
contains "$T/out" "traces:write" "401: hint about the token and its scope"
start_receiver --require-tenant
run_tf rc check --endpoint "$RECV_URL"
contains "$T/out" "--tenant" "missing tenant: hint to pass --tenant"
port=$RECV_PORT; stop_receiver
run_tf rc check --endpoint "http://127.0.0.1:$port"
is "$rc" 1 "check with nothing listening fails"
contains "$T/out" "nothing accepts connections there" "and explains the connection failure"

# Credentials written into the URL itself are never echoed either.
start_receiver --require-basic "urluser:$secret"
run_tf rc run -v --endpoint "http://urluser:$secret@127.0.0.1:$RECV_PORT" "$D/full.jsonl"
is "$rc" 0 "user:password in the endpoint URL authenticates"
lacks "$T/err" "$secret" "and the password is not in any message"
contains "$T/err" "http://***@127.0.0.1:$RECV_PORT/v1/traces" "the URL is shown with the credentials masked"

# A span larger than --batch-bytes on its own is rejected with a reason, not sent.
big=$(head -c 6000 /dev/zero | tr '\0' 'x')
printf '{"id":"gen-big","created_at":"2025-01-01T00:00:00Z","model":"m","latency":5,"prompt":"%s"}\n' "$big" >"$T/big.jsonl"
cat "$D/full.jsonl" >>"$T/big.jsonl"
start_receiver
run_tf rc run --endpoint "$RECV_URL" --batch-bytes 4KiB --rejects "$T/big.rej" "$T/big.jsonl"
is "$rc" 3 "an oversize span gives the rejected-records status"
is "$(jq -r .reason "$T/big.rej" | sed 's/encodes to [0-9]* bytes/encodes to N bytes/')" \
   "span 0 of the record encodes to N bytes, more than --batch-bytes (4096)" "the rejects file says why"
is "$(recv_span_count)" 5 "the other record's spans are sent; nothing of the oversize one"
