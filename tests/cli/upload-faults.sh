#!/bin/sh
# upload-faults.sh: what the OTLP/HTTP sink and `check` do with hostile or
# unusual answers from the test receiver (faults a real Tempo cannot be made
# to produce): throttling in Tempo 2.x's words (500 RATE_LIMITED,
# LIVE_TRACES_EXCEEDED) is backpressure, a request over the limit outright
# is split, plain 500s stay unretried; a 2xx that is no OTLP answer (a web
# page, text) fails; a stop request ends retries within the grace; Retry-After
# 0, in the past, or beyond --max-retry-time; TLS verification failures are
# not retried; echoed credentials are redacted; control characters in
# tenant/headers/token and malformed OTEL_EXPORTER_OTLP_HEADERS are refused;
# impossible partial-success counts are malformed.
. "$top_srcdir/tests/setup.sh"
. "$top_srcdir/tests/server/lib-receiver.sh"
need_cmd jq

D=$DATA_DIR/openrouter
"$top_builddir/tests/tools/gen-records" 300 5 >"$T/in.jsonl"
"$TRACEFILL" run -q -o "$T/ref.jsonl" "$T/in.jsonl"
jq -r '.resourceSpans[].scopeSpans[].spans[] | .traceId + " " + .spanId' "$T/ref.jsonl" | sort >"$T/ref.ids"
n_ref=$(wc -l <"$T/ref.ids" | tr -d ' ')
recv_ids() { awk '{print $1" "$2}' "$RECV_DIR/spans.log" | sort; }
ms_of() { sed -n "$1p" "$RECV_DIR/requests.log" | sed 's/.*ms=\([0-9]*\).*/\1/'; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# 1. Tempo 2.x throttles with 500s whose message names the limit: retried
#    (not counted against --max-retries), the run finishes, the summary
#    counts the throttles; the hint names the Tempo setting.
printf '%s\n' \
    'repeat 2 status 500 message="RATE_LIMITED: ingestion rate limit (300000 bytes) exceeded while adding 2000 bytes"' \
    'status 500 message="LIVE_TRACES_EXCEEDED: max live traces exceeded for tenant single-tenant: per-user traces limit (local: 10000 global: 0 actual local: 10000) exceeded"' \
    >"$T/script"
start_receiver --script "$T/script"
run_tf rc run --endpoint "$RECV_URL" --concurrency 1 --max-retries 1 --batch-spans 100000 "$T/in.jsonl"
is "$rc" 0 "3 throttles in a row (500 RATE_LIMITED x2, LIVE_TRACES_EXCEEDED) with --max-retries 1: the run finishes"
recv_ids >"$T/got.ids"
check "after throttling every span arrived exactly once" -- cmp "$T/ref.ids" "$T/got.ids"
is "$(recv_request_count)" 4 "three throttled requests, then the one accepted"
contains "$T/err" "the backend is throttling" "the first throttle is explained"
contains "$T/err" "ingestion_rate_limit_bytes" "RATE_LIMITED: the hint names the tenant's ingestion rate limit"
contains "$T/err" "the backend throttled 3 requests" "the summary counts the throttles"
lacks "$T/err" "error:" "throttling is not an error"

printf '%s\n' 'status 500 message="LIVE_TRACES_EXCEEDED: max live traces exceeded"' 'status 429 message="ResourceExhausted"' \
    'status 503 message="slow down"' >"$T/script"
start_receiver --script "$T/script"
run_tf rc run -v --endpoint "$RECV_URL" --concurrency 1 --batch-spans 100000 "$T/in.jsonl"
is "$rc" 0 "LIVE_TRACES_EXCEEDED, 429, 503 in a row: the run finishes"
contains "$T/err" "max_traces_per_user" "LIVE_TRACES_EXCEEDED: the hint names max_traces_per_user"
contains "$T/err" "trace_idle_period" "and trace_idle_period"
contains "$T/err" "lowering the send rate to" "a throttle lowers tracefill's own rate"

printf '%s\n' 'status 500 message="boom: disk full"' >"$T/script"
start_receiver --script "$T/script"
run_tf rc run --endpoint "$RECV_URL" "$T/in.jsonl"
is "$rc" 1 "a plain 500 stops the run (OTLP: not retried)"
is "$(recv_request_count)" 1 "and is not retried"
contains "$T/err" "HTTP 500: boom: disk full (not retried)" "with the backend's message"

# 2. A request the limit can never take ("while adding N bytes" > the limit)
#    is split like a 413; later requests that big are split before sending.
printf '%s\n' 'repeat 2 status 500 message="RATE_LIMITED: ingestion rate limit (20000 bytes) exceeded while adding 150000 bytes"' >"$T/script"
start_receiver --script "$T/script"
run_tf rc run -v --endpoint "$RECV_URL" --concurrency 1 --compression none --batch-spans 400 "$T/in.jsonl"
is "$rc" 0 "a request over the limit outright is split, and the run finishes"
recv_ids >"$T/got.ids"
check "after splitting every span arrived exactly once" -- cmp "$T/ref.ids" "$T/got.ids"
contains "$T/err" "too big for the backend, splitting" "the split is reported"
first_ok=$(awk '/status=200/ {print $0; exit}' "$RECV_DIR/requests.log" | sed 's/.* spans=\([0-9]*\).*/\1/')
[ "${first_ok:-400}" -lt 400 ] && pass "the first accepted request is a part ($first_ok spans) of a 400-span batch" ||
    fail "no split request seen"; diag "$(head -5 "$RECV_DIR/requests.log")"

# 3. A 2xx that is no OTLP answer: a web page (a Grafana URL given as the
#    endpoint) or plain text fails run and check; an empty 2xx is fine.
printf '%s\n' 'repeat 100 reply 200 page=grafana' >"$T/script"
start_receiver --script "$T/script"
run_tf rc run --endpoint "$RECV_URL" "$D/full.jsonl"
is "$rc" 1 "run against an endpoint answering 200 with an HTML page fails"
contains "$T/err" "this endpoint is not an OTLP receiver (it answered with a web page" "and says why"
contains "$T/err" "otlp-gateway" "with the Grafana Cloud hint"
lacks "$T/err" "1 span in" "no span is counted as delivered"
run_tf rc check --endpoint "$RECV_URL"
is "$rc" 1 "check against the same endpoint fails"
contains "$T/out" "not an OTLP receiver (it answered with a web page" "check says why"
lacks "$T/out" "result:    OK" "check does not say OK"
printf '%s\n' 'reply 200 type=text/plain body="OK"' 'reply 204' >"$T/script"
start_receiver --script "$T/script"
run_tf rc run --endpoint "$RECV_URL" "$D/full.jsonl"
is "$rc" 1 "a 200 with the text OK fails the run"
contains "$T/err" 'it answered with text: "OK"' "and quotes it"
run_tf rc run --endpoint "$RECV_URL" "$D/full.jsonl"
is "$rc" 0 "a 204 with an empty body is delivery"

# 4. Partial success counts that cannot be true are malformed, not accepted.
printf '%s\n' 'reply 200 type=application/x-protobuf body="\x0a\x0b\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"' >"$T/script"
start_receiver --script "$T/script"
run_tf rc run --endpoint "$RECV_URL" "$D/full.jsonl"
is "$rc" 1 "partial_success.rejected_spans = -1: the run fails"
contains "$T/err" "malformed: partial_success.rejected_spans is -1" "and says the answer is malformed"
printf '%s\n' 'partial 1000 message="too old"' >"$T/script"
start_receiver --script "$T/script"
run_tf rc run --endpoint "$RECV_URL" "$D/full.jsonl"
is "$rc" 1 "1000 spans rejected of a 5-span request: the run fails"
contains "$T/err" "rejected_spans is 1000, more than the 5 spans the request held" "and says why"

# 5. A stop request ends retries: SIGTERM while every request is being
#    retried exits 75 (with a checkpoint) well within the 10 s grace, both
#    while the pipeline waits for room (many batches) and while it waits for
#    the last ones (few batches).
for batches in few many; do
    printf '%s\n' 'repeat 100000 status 503' >"$T/script"
    start_receiver --script "$T/script"
    bs=100000; [ $batches = many ] && bs=20
    rm -f "$T/ckpt"
    "$TRACEFILL" run --endpoint "$RECV_URL" --batch-spans $bs --checkpoint "$T/ckpt" "$T/in.jsonl" >"$T/out" 2>"$T/err" &
    pid=$!
    recv_wait_requests 3 20 || true
    t0=$(now_ms)
    kill -TERM $pid
    i=0
    while kill -0 $pid 2>/dev/null && [ $i -lt 300 ]; do sleep 0.05; i=$((i + 1)); done
    kill -KILL $pid 2>/dev/null || true
    set +e; wait $pid; rc=$?; set -e
    took=$(($(now_ms) - t0))
    is "$rc" 75 "SIGTERM during retries ($batches batches): exit 75"
    [ "$took" -lt 11000 ] && pass "and within the 10 s grace ($took ms)" || fail "stopping took $took ms"
    lacks "$T/err" "error:" "a requested stop is no error"
done
printf '%s\n' 'repeat 100000 status 503' >"$T/script"
start_receiver --script "$T/script"
"$TRACEFILL" run --endpoint "$RECV_URL" "$T/in.jsonl" >"$T/out" 2>"$T/err" &
pid=$!
recv_wait_requests 2 20 || true
kill -TERM $pid
i=0
while kill -0 $pid 2>/dev/null && [ $i -lt 300 ]; do sleep 0.05; i=$((i + 1)); done
kill -KILL $pid 2>/dev/null || true
set +e; wait $pid; rc=$?; set -e
is "$rc" 143 "without a checkpoint: exit 128 + SIGTERM"

# 6. Retry-After 0 or a date in the past is no reason to retry at once; one
#    longer than --max-retry-time fails at once, naming both.
printf '%s\n' 'status 429 retry-after=0' 'status 503 retry-after-date=-30' 'status 429 retry-after-raw="Thu, 01 Jan 1970 00:00:00 GMT"' >"$T/script"
start_receiver --script "$T/script"
run_tf rc run --endpoint "$RECV_URL" --concurrency 1 --batch-spans 100000 --max-retries 1 "$T/in.jsonl"
is "$rc" 0 "Retry-After 0 / a past date: retried with backoff, the run finishes"
is "$(recv_request_count)" 4 "three throttled requests, one accepted"
short=0
for i in 2 3 4; do
    [ "$(recv_request_count)" -ge $i ] || { short=$((short + 1)); continue; }
    gap=$(($(ms_of $i) - $(ms_of $((i - 1)))))
    [ "$gap" -ge 240 ] || short=$((short + 1))
    diag "gap before request $i: $gap ms"
done
is "$short" 0 "no retry came sooner than 250 ms after a Retry-After of 0 or in the past"
printf '%s\n' 'status 429 retry-after=3600' >"$T/script"
start_receiver --script "$T/script"
t0=$(now_ms)
run_tf rc run --endpoint "$RECV_URL" --max-retry-time 30s "$D/full.jsonl"
took=$(($(now_ms) - t0))
is "$rc" 1 "Retry-After 3600 with --max-retry-time 30s: the run fails"
[ "$took" -lt 5000 ] && pass "at once ($took ms), not after waiting" || fail "it took $took ms"
contains "$T/err" "asks to wait 3600.0 s before retrying (Retry-After)" "naming the Retry-After"
contains "$T/err" "--max-retry-time 30.0 s" "and --max-retry-time"

# 7. Credentials a backend echoes in its error never reach the output.
secret=glc_Zm9vYmFyEchoedToken_$$
printf '%s\n' "$secret" >"$T/token"
printf '%s\n' 'repeat 10 status 401 message="invalid credentials: " echo=Authorization' >"$T/script"
start_receiver --script "$T/script"
run_tf rc run --endpoint "$RECV_URL" --token-file "$T/token" "$D/full.jsonl"
is "$rc" 1 "401 with the bearer token echoed: the run fails"
lacks "$T/err" "$secret" "the echoed bearer token is not printed"
contains "$T/err" "invalid credentials: Bearer ***" "the message is shown with the token masked"
run_tf rc run --endpoint "$RECV_URL" --basic-auth 123456 --token-file "$T/token" "$D/full.jsonl"
b64=$(printf '123456:%s' "$secret" | base64 -w0)
lacks "$T/err" "$b64" "the echoed basic credentials (base64) are not printed"
contains "$T/err" "invalid credentials: Basic ***" "and are masked"
run_tf rc check --endpoint "$RECV_URL" --basic-auth 123456 --token-file "$T/token"
lacks "$T/out" "$b64" "check does not print them either"
run_tf rc run --endpoint "$RECV_URL" --header "Authorization: Bearer $secret" "$D/full.jsonl"
lacks "$T/err" "$secret" "a token given as --header is not printed when echoed"

# 8. No header injection: control characters in the tenant, a header value
#    or the token are refused before anything is sent.
start_receiver
run_tf rc run --endpoint "$RECV_URL" --tenant "$(printf 'team\r\nX-Injected: 1')" "$D/full.jsonl"
is "$rc" 2 "a CR/LF in --tenant is a usage error"
contains "$T/err" "--tenant holds a control character" "naming --tenant"
run_tf rc run --endpoint "$RECV_URL" --header "$(printf 'X-Team: a\nX-Injected: 1')" "$D/full.jsonl"
is "$rc" 2 "a line feed in a --header value is a usage error"
contains "$T/err" "the value of header 'X-Team' holds a control character" "naming the header"
printf 'abc\r\ndef\n' >"$T/bad-token"
run_tf rc run --endpoint "$RECV_URL" --token-file "$T/bad-token" "$D/full.jsonl"
is "$rc" 2 "a line break inside the token is a usage error"
contains "$T/err" "the token (--token-file or TRACEFILL_TOKEN) holds a control character" "saying so"
lacks "$T/err" "def" "without printing the token"
run_tf rc check --endpoint "$RECV_URL" --tenant "$(printf 'a\rb')"
is "$rc" 2 "check refuses it too"
is "$(recv_request_count)" 0 "nothing was sent"

# 9. Malformed OTEL_EXPORTER_OTLP_HEADERS entries are errors, not skipped.
OTEL_EXPORTER_OTLP_HEADERS="X-A=1,garbage-$secret,X-B=2" run_tf rc run --endpoint "$RECV_URL" "$D/full.jsonl"
is "$rc" 2 "an entry without '=' is an error"
contains "$T/err" "OTEL_EXPORTER_OTLP_HEADERS: entry 2 is not KEY=VALUE" "naming the variable and the entry"
lacks "$T/err" "$secret" "without showing the entry"
OTEL_EXPORTER_OTLP_HEADERS="X-A=%zz" run_tf rc run --endpoint "$RECV_URL" "$D/full.jsonl"
is "$rc" 2 "a bad %-escape is an error"
OTEL_EXPORTER_OTLP_TRACES_HEADERS="=v" run_tf rc run --endpoint "$RECV_URL" "$D/full.jsonl"
is "$rc" 2 "an empty name is an error"
OTEL_EXPORTER_OTLP_HEADERS="X-Scope-OrgID=a%20b, ,X-Other = 2 ," run_tf rc run --endpoint "$RECV_URL" "$D/full.jsonl"
is "$rc" 0 "well-formed entries, blank ones and spaces around them are fine"
contains "$RECV_DIR/requests.log" "tenant=a_b" "and the values arrive decoded"
is "$(recv_request_count)" 1 "only the well-formed run sent anything"

# 10. Tempo's "no org id" (500): run and check say to add --tenant.
printf '%s\n' 'repeat 5 status 500 message="no org id"' >"$T/script"
start_receiver --script "$T/script"
run_tf rc run --endpoint "$RECV_URL" "$D/full.jsonl"
is "$rc" 1 "500 no org id stops the run"
contains "$T/err" "pass --tenant" "with the --tenant hint"
run_tf rc check --endpoint "$RECV_URL"
contains "$T/out" "pass --tenant" "check gives the --tenant hint for a 500 no org id"
lacks "$T/out" "failed internally" "not the generic 500 hint"

# 11. A TLS certificate that does not verify is not retried.
if command -v openssl >/dev/null 2>&1; then
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 2 -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 \
        >/dev/null 2>&1
    port=$(( 20000 + $$ % 20000 ))
    openssl s_server -quiet -accept "127.0.0.1:$port" -cert "$T/cert.pem" -key "$T/key.pem" -www \
        >"$T/s_server.log" 2>&1 &
    spid=$!
    at_exit "kill $spid 2>/dev/null || true"
    i=0
    while ! curl -sk -o /dev/null "https://127.0.0.1:$port/" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    t0=$(now_ms)
    run_tf rc run --endpoint "https://127.0.0.1:$port" --max-retry-time 20s "$D/full.jsonl"
    took=$(($(now_ms) - t0))
    is "$rc" 1 "a self-signed certificate fails the run"
    lacks "$T/err" "retrying" "without retrying"
    [ "$took" -lt 5000 ] && pass "at once ($took ms)" || fail "it took $took ms"
    contains "$T/err" "--cacert" "with the --cacert hint"
    run_tf rc run --endpoint "https://127.0.0.1:$port" --cacert "$T/cert.pem" --max-retry-time 1s "$D/full.jsonl"
    lacks "$T/err" "could not be verified" "with --cacert the certificate verifies (localhost CN aside)"
else
    skip "openssl not installed"
fi
