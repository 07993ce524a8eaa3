#!/bin/sh
# tests/server/selftest.sh: checks the test OTLP receiver on its own, driven
# by curl, perl (raw sockets) and protoc, so that tracefill's tests can trust it.
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
. "$top_srcdir/tests/setup.sh"
. "$top_srcdir/tests/server/lib-receiver.sh"
need_cmd curl "${PROTOC:-protoc}" gzip zstd perl

# --- helpers ----------------------------------------------------------------

# post FILE CURL-ARGS...: POSTs FILE; CODE = HTTP status (or curl-N on a curl
# error), headers in $T/h, body in $T/b, TIME = seconds taken.
post() {
    _f=$1
    shift
    rm -f "$T/h" "$T/b"
    _rc=0
    _out=$(curl -sS --max-time 20 -o "$T/b" -D "$T/h" -w '%{http_code} %{time_total}' \
        --data-binary "@$_f" "$@" 2>"$T/curl.err") || _rc=$?
    if [ "$_rc" -eq 0 ]; then CODE=${_out% *}; else CODE=curl-$_rc; fi
    TIME=${_out#* }
    touch "$T/h" "$T/b"
}
pb() { post "$@" -H 'Content-Type: application/x-protobuf'; }
js() { post "$@" -H 'Content-Type: application/json'; }

# hdr NAME: the value of response header NAME
hdr() { grep -i "^$1:" "$T/h" | tail -n 1 | sed 's/^[^:]*: *//' | tr -d '\r'; }

at_least() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0) }'; }
size() { wc -c <"$1" | tr -d ' '; }
hexesc() { printf '%s' "$1" | sed 's/../\\x&/g'; }

# span_txt TRACE SPAN PARENT|- NAME START END: one Span in protobuf text format
span_txt() {
    printf '    spans {\n      trace_id: "%s"\n      span_id: "%s"\n' "$(hexesc "$1")" "$(hexesc "$2")"
    [ "$3" = - ] || printf '      parent_span_id: "%s"\n' "$(hexesc "$3")"
    printf '      name: "%s"\n      kind: SPAN_KIND_SERVER\n' "$4"
    printf '      start_time_unix_nano: %s\n      end_time_unix_nano: %s\n    }\n' "$5" "$6"
}
# req_txt: wraps the spans on stdin in an ExportTraceServiceRequest
req_txt() {
    printf 'resource_spans {\n  resource { attributes { key: "service.name" value { string_value: "selftest" } } }\n'
    printf '  scope_spans {\n    scope { name: "selftest" version: "1" }\n'
    cat
    printf '  }\n}\n'
}
TR=0af7651916cd43dd8448eb211c80319c
# mkpb FILE NAME...: a protobuf request with one root span per NAME
mkpb() {
    _f=$1
    shift
    _m=0
    for _n in "$@"; do
        _m=$((_m + 1))
        span_txt "$TR" "$(printf 'b7ad6b71692033%02x' "$_m")" - "$_n" 1700000000000000000 1700000000500000000
    done | req_txt | pb_encode ExportTraceServiceRequest >"$_f"
}
# mkjs FILE NAME: a JSON request with one span
mkjs() {
    printf '{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"%s","spanId":"00f067aa0ba902b7","name":"%s","kind":2,"startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000500000000"}]}]}]}' \
        "$TR" "$2" >"$1"
}

# --- receiver A: default options ----------------------------------------------
start_receiver
check "receiver starts and writes its pid file" -- test "$(cat "$RECV_DIR/pid")" = "$RECV_PID"

# A protobuf request from protoc's text format, gzip'd.
{
    span_txt "$TR" b7ad6b7169203331 - "GET /users" 1700000000000000000 1700000000250000000
    span_txt "$TR" 00f067aa0ba902b7 b7ad6b7169203331 "db query users" 1700000000100000000 1700000000200000000
} | req_txt >"$T/r1.txt"
pb_encode ExportTraceServiceRequest <"$T/r1.txt" >"$T/r1.pb"
gzip -c "$T/r1.pb" >"$T/r1.pb.gz"
pb "$T/r1.pb.gz" -H 'Content-Encoding: gzip' "$RECV_URL/v1/traces"
is "$CODE" 200 "protobuf+gzip: 200"
is "$(hdr Content-Type)" application/x-protobuf "protobuf+gzip: answered in protobuf"
is "$(size "$T/b")" 0 "protobuf+gzip: empty ExportTraceServiceResponse"
is "$(cat "$RECV_DIR/spans.log")" "$TR b7ad6b7169203331 - 1700000000000000000 1700000000250000000 GET /users
$TR 00f067aa0ba902b7 b7ad6b7169203331 1700000000100000000 1700000000200000000 db query users" \
    "protobuf+gzip: spans.log lines"
is "$(sed 's/ ms=[0-9]*$//' "$RECV_DIR/requests.log")" \
    "seq=1 status=200 ctype=protobuf cenc=gzip raw=$(size "$T/r1.pb.gz") decoded=$(size "$T/r1.pb") spans=2 tenant=- auth=-" \
    "protobuf+gzip: requests.log line"
check "protobuf+gzip: req-1.pb is the decoded body" -- cmp "$T/r1.pb" "$RECV_DIR/req-1.pb"
pb_decode "$RECV_DIR/req-1.pb" >"$T/r1.dec"
contains "$T/r1.dec" 'name: "db query users"' "protobuf+gzip: req-1.pb decodes with protoc"

# A JSON request with every kind of attribute value, zstd-compressed.
cat >"$T/r2.json" <<EOF
{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"api"}}],"droppedAttributesCount":0},
 "scopeSpans":[{"scope":{"name":"tracefill","version":"0.1.0"},"spans":[
  {"traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"EEE19B7EC3C1B174","parentSpanId":"",
   "name":"POST /v1/chat/completions","kind":3,"traceState":"",
   "startTimeUnixNano":"1700000001000000000","endTimeUnixNano":1700000002000000000,
   "attributes":[
     {"key":"s","value":{"stringValue":"caf\u00e9 \"quoted\""}},
     {"key":"b","value":{"boolValue":true}},
     {"key":"i","value":{"intValue":"-9223372036854775808"}},
     {"key":"i2","value":{"intValue":42}},
     {"key":"d","value":{"doubleValue":0.5}},
     {"key":"nan","value":{"doubleValue":"NaN"}},
     {"key":"a","value":{"arrayValue":{"values":[{"stringValue":"x"},{"intValue":"1"}]}}},
     {"key":"kv","value":{"kvlistValue":{"values":[{"key":"k","value":{"boolValue":false}}]}}},
     {"key":"raw","value":{"bytesValue":"aGVsbG8="}},
     {"key":"empty","value":{}}],
   "events":[{"timeUnixNano":"1700000001500000000","name":"first token","attributes":[]}],
   "links":[{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","flags":256}],
   "status":{"code":2,"message":"upstream timeout"},"flags":1,"unknownField":{"x":[1,2]}}]}]}]}
EOF
zstd -q -c "$T/r2.json" >"$T/r2.json.zst"
js "$T/r2.json.zst" -H 'Content-Encoding: zstd' "$RECV_URL/v1/traces"
is "$CODE" 200 "json+zstd: 200"
is "$(hdr Content-Type)" application/json "json+zstd: answered in JSON"
is "$(cat "$T/b")" "{}" "json+zstd: empty ExportTraceServiceResponse in JSON"
is "$(sed -n 3p "$RECV_DIR/spans.log")" \
    "5b8efff798038103d269b633813fc60c eee19b7ec3c1b174 - 1700000001000000000 1700000002000000000 POST /v1/chat/completions" \
    "json+zstd: span recorded with lower-case hex ids"
is "$(sed -n 2p "$RECV_DIR/requests.log" | sed 's/ ms=[0-9]*$//')" \
    "seq=2 status=200 ctype=json cenc=zstd raw=$(size "$T/r2.json.zst") decoded=$(size "$T/r2.json") spans=1 tenant=- auth=-" \
    "json+zstd: requests.log line"
check "json+zstd: req-2.json is the decoded body" -- cmp "$T/r2.json" "$RECV_DIR/req-2.json"

# Chunked transfer encoding.
mkpb "$T/r3.pb" "chunked one" "chunked two"
pb "$T/r3.pb" -H 'Transfer-Encoding: chunked' "$RECV_URL/v1/traces"
is "$CODE" 200 "chunked: 200"
is "$(tail -n 2 "$RECV_DIR/spans.log" | sed 's/.* //')" "one
two" "chunked: both spans recorded"
contains "$RECV_DIR/requests.log" "seq=3 status=200 ctype=protobuf cenc=identity raw=$(size "$T/r3.pb") " \
    "chunked: raw size is the de-chunked body"

# Expect: 100-continue is answered at once (curl would wait 1 s otherwise).
mkpb "$T/r4.pb" "expect continue"
pb "$T/r4.pb" -H 'Expect: 100-continue' "$RECV_URL/v1/traces"
is "$CODE" 200 "expect 100-continue: 200"
check "expect 100-continue: no 1 s stall" -- at_least 0.8 "$TIME"

# Keep-alive: several requests on one connection.
mkpb "$T/ka.pb" "keepalive"
curl -sS --max-time 20 -o /dev/null -w '%{http_code}:%{num_connects} ' -H 'Content-Type: application/x-protobuf' \
    --data-binary "@$T/ka.pb" "$RECV_URL/v1/traces" "$RECV_URL/v1/traces" "$RECV_URL/v1/traces" >"$T/ka.out"
is "$(cat "$T/ka.out")" "200:1 200:0 200:0 " "keep-alive: 3 requests, 1 connection"
is "$(grep -c ' keepalive$' "$RECV_DIR/spans.log")" 3 "keep-alive: 3 spans recorded"

# Pipelined requests in one write, the last asking to close.
mkpb "$T/pipe.pb" "pipelined"
{
    for _c in keep-alive keep-alive close; do
        printf 'POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nConnection: %s\r\nContent-Length: %s\r\n\r\n' \
            "$_c" "$(size "$T/pipe.pb")"
        cat "$T/pipe.pb"
    done
} >"$T/pipe.req"
RAWSEND='use IO::Socket::INET; alarm 10; my ($port, $file, $close_early) = @ARGV;
  my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => $port) or die "connect: $!";
  open(my $f, "<:raw", $file) or die; local $/; my $d = <$f>; binmode $s; print $s $d;
  if ($close_early) { close $s; exit 0 } my $r = <$s>; print $r;'
perl -e "$RAWSEND" "$RECV_PORT" "$T/pipe.req" >"$T/pipe.out"
is "$(grep -c '^HTTP/1.1 200 OK' "$T/pipe.out")" 3 "pipelined: 3 answers on one connection"
is "$(grep -c ' pipelined$' "$RECV_DIR/spans.log")" 3 "pipelined: 3 spans recorded"

# A client that disconnects mid-body does not disturb the receiver.
_n=$(recv_request_count)
printf 'POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: 1000\r\n\r\n0123456789' >"$T/cut.req"
perl -e "$RAWSEND" "$RECV_PORT" "$T/cut.req" 1
mkpb "$T/after.pb" "after cut"
pb "$T/after.pb" "$RECV_URL/v1/traces"
is "$CODE" 200 "disconnect mid-request: the next request is served"
is "$(recv_request_count)" "$((_n + 1))" "disconnect mid-request: the cut request is not logged"

# Other paths: 404 with an HTML page; GET on /v1/traces: 405.
_code=$(curl -sS --max-time 20 -o "$T/b" -D "$T/h" -w '%{http_code}' "$RECV_URL/")
is "$_code" 404 "GET /: 404"
is "$(hdr Content-Type)" "text/html; charset=utf-8" "GET /: an HTML page"
contains "$T/b" "<html>" "GET /: body is HTML"
pb "$T/after.pb" "$RECV_URL/v1/metrics"
is "$CODE" 404 "POST /v1/metrics: 404"
is "$(curl -sS --max-time 20 -o /dev/null -w '%{http_code}' "$RECV_URL/v1/traces")" 405 "GET /v1/traces: 405"

# Bodies that do not decode: 400 with a google.rpc.Status.
_spans=$(recv_span_count)
printf 'not gzip at all' >"$T/bad.gz"
pb "$T/bad.gz" -H 'Content-Encoding: gzip' "$RECV_URL/v1/traces"
is "$CODE" 400 "bad gzip: 400"
pb_decode "$T/b" Status >"$T/st"
is "$(cat "$T/st")" 'code: 3
message: "gzip: incorrect header check"' "bad gzip: google.rpc.Status decodes with protoc"
head -c 20 "$T/r1.pb" >"$T/trunc.pb"
pb "$T/trunc.pb" "$RECV_URL/v1/traces"
is "$CODE" 400 "truncated protobuf: 400"
contains "$T/b" "runs past its message" "truncated protobuf: says why"
printf '\033\001\002' | zstd -q -c >"$T/badpb.zst"
pb "$T/badpb.zst" -H 'Content-Encoding: zstd' "$RECV_URL/v1/traces"
is "$CODE" 400 "zstd-compressed garbage protobuf: 400"
printf '{"resourceSpans":[' >"$T/bad.json"
js "$T/bad.json" "$RECV_URL/v1/traces"
is "$CODE" 400 "truncated JSON: 400"
is "$(hdr Content-Type)" application/json "truncated JSON: Status answered in JSON"
contains "$T/b" '{"code":3,"message":"json: ' "truncated JSON: JSON google.rpc.Status"
printf '{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"%s","spanId":"00f067aa0ba902b7","kind":"SPAN_KIND_SERVER"}]}]}]}' "$TR" >"$T/enum.json"
js "$T/enum.json" "$RECV_URL/v1/traces"
is "$(cat "$T/b")" '{"code":3,"message":"json: spans[].kind must be an integer (OTLP/JSON enums are integers)"}' \
    "JSON enum given as a string: 400"
printf '{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"%s","span_id":"00f067aa0ba902b7"}]}]}]}' "$TR" >"$T/snake.json"
js "$T/snake.json" "$RECV_URL/v1/traces"
is "$(cat "$T/b")" '{"code":3,"message":"span 1: span_id must be 8 bytes, got 0"}' \
    "JSON snake_case key is not the OTLP key: span without spanId rejected"
printf 'resource_spans { scope_spans { spans { trace_id: "\\x01\\x02\\x03\\x04" span_id: "\\x01\\x02\\x03\\x04\\x05\\x06\\x07\\x08" } } }' |
    pb_encode ExportTraceServiceRequest >"$T/shortid.pb"
pb "$T/shortid.pb" "$RECV_URL/v1/traces"
_seq=$(tail -n 1 "$RECV_DIR/requests.log" | sed 's/^seq=\([0-9]*\) .*/\1/')
check "a rejected body is still saved for protoc" -- cmp "$T/shortid.pb" "$RECV_DIR/req-$_seq.pb"
pb_decode "$T/b" Status >"$T/st"
is "$(cat "$T/st")" 'code: 3
message: "span 1: trace_id must be 16 bytes, got 4"' "short trace_id: 400 with the reason"
printf 'resource_spans { scope_spans { spans { trace_id: "%s" span_id: "%s" name: "\\xff" } } }' \
    "$(hexesc "$TR")" "$(hexesc 00f067aa0ba902b7)" | pb_encode ExportTraceServiceRequest >"$T/utf8.pb" 2>/dev/null
pb "$T/utf8.pb" "$RECV_URL/v1/traces"
is "$CODE" 400 "invalid UTF-8 in a string field: 400"
post "$T/r1.pb" -H 'Content-Type: text/plain' "$RECV_URL/v1/traces"
is "$CODE" 415 "unknown Content-Type: 415"
pb "$T/r1.pb" -H 'Content-Encoding: br' "$RECV_URL/v1/traces"
is "$CODE" 415 "unknown Content-Encoding: 415"
is "$(recv_span_count)" "$_spans" "rejected requests add no spans"


# 20 concurrent clients.
_i=0
_pids=
while [ "$_i" -lt 20 ]; do
    _i=$((_i + 1))
    mkpb "$T/c$_i.pb" "concurrent $_i"
done
_i=0
while [ "$_i" -lt 20 ]; do
    _i=$((_i + 1))
    curl -sS --max-time 20 -o /dev/null -w '%{http_code}\n' -H 'Content-Type: application/x-protobuf' \
        --data-binary "@$T/c$_i.pb" "$RECV_URL/v1/traces" >"$T/c$_i.code" 2>&1 &
    _pids="$_pids $!"
done
for _p in $_pids; do wait "$_p" || true; done
is "$(cat "$T"/c*.code | sort | uniq -c | tr -s ' ')" " 20 200" "20 concurrent clients: all answered 200"
is "$(grep -c ' concurrent [0-9]*$' "$RECV_DIR/spans.log")" 20 "20 concurrent clients: 20 spans"

_traces=$(grep -cv ' status=40[45] ' "$RECV_DIR/requests.log")
_bytes=$(grep -v ' status=40[45] ' "$RECV_DIR/requests.log" | sed 's/.* raw=\([0-9]*\) .*/\1/' | awk '{s += $1} END {print s}')
_rc=0
stop_receiver || _rc=$?
is "$_rc" 0 "SIGTERM: clean exit"
is "$(cat "$RECV_DIR/summary")" "requests=$_traces spans=$(recv_span_count) bytes=$_bytes" "SIGTERM: summary written"
lacks "$RECV_DIR/stderr" "rror" "no errors on stderr"

# --- receiver B: a script of answers -----------------------------------------
cat >"$T/script" <<'EOF'
# one rule per request, in order
status 429 retry-after=7
status 429 retry-after-date=+120

status 503 message="try later"
drop
delay 400
partial 2 message="2 spans rejected"
partial 3 message="json \"rejected\""
status 400 message="bad thing"
repeat 2 status 500
delay 200 status 503 retry-after=1
ok
EOF
start_receiver --script "$T/script"
_k=0
next_pb() { _k=$((_k + 1)); mkpb "$T/s$_k.pb" "r$_k"; pb "$T/s$_k.pb" "$RECV_URL/v1/traces"; }
next_js() { _k=$((_k + 1)); mkjs "$T/s$_k.json" "r$_k"; js "$T/s$_k.json" "$RECV_URL/v1/traces"; }

next_pb
is "$CODE" 429 "script status 429: 429"
is "$(hdr Retry-After)" 7 "script status 429: Retry-After in seconds"
pb_decode "$T/b" Status >"$T/st"
is "$(cat "$T/st")" 'code: 8
message: "Too Many Requests"' "script status 429: google.rpc.Status RESOURCE_EXHAUSTED"
next_pb
is "$CODE" 429 "script retry-after-date: 429"
_date=$(hdr Retry-After)
check "script retry-after-date: an IMF-fixdate" -- sh -c "printf '%s' '$_date' | grep -Eq '^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT\$'"
_delta=$(($(date -u -d "$_date" +%s) - $(date -u +%s)))
check "script retry-after-date: about 120 s ahead (got $_delta)" -- test "$_delta" -ge 115 -a "$_delta" -le 121
next_js
is "$CODE" 503 "script status 503: 503"
is "$(cat "$T/b")" '{"code":14,"message":"try later"}' "script status 503: JSON google.rpc.Status with the message"
next_pb
is "$CODE" curl-52 "script drop: connection closed without an answer"
next_pb
is "$CODE" 200 "script delay: 200"
check "script delay: answered after 400 ms (took $TIME s)" -- at_least "$TIME" 0.4
next_pb
is "$CODE" 200 "script partial (protobuf): 200"
pb_decode "$T/b" ExportTraceServiceResponse >"$T/ps"
is "$(cat "$T/ps")" 'partial_success {
  rejected_spans: 2
  error_message: "2 spans rejected"
}' "script partial (protobuf): partial_success decodes with protoc"
next_js
is "$CODE" 200 "script partial (JSON): 200"
is "$(cat "$T/b")" '{"partialSuccess":{"rejectedSpans":"3","errorMessage":"json \"rejected\""}}' \
    "script partial (JSON): partialSuccess"
next_pb
is "$CODE" 400 "script status 400: 400"
pb_decode "$T/b" Status >"$T/st"
is "$(cat "$T/st")" 'code: 3
message: "bad thing"' "script status 400: message decodes with protoc"
next_pb
_c1=$CODE
next_pb
is "$_c1 $CODE" "500 500" "script repeat 2: two 500s"
next_pb
is "$CODE $(hdr Retry-After)" "503 1" "script delay + status: 503 with Retry-After"
check "script delay + status: answered after 200 ms (took $TIME s)" -- at_least "$TIME" 0.2
next_pb
is "$CODE" 200 "script ok: 200"
next_js
is "$CODE" 200 "after the script: ok"
is "$(sed 's/.* //' "$RECV_DIR/spans.log" | tr '\n' ' ')" "r5 r6 r7 r12 r13 " \
    "script: only accepted requests have their spans recorded"
is "$(sed 's/.* status=\([0-9]*\) .*/\1/' "$RECV_DIR/requests.log" | tr '\n' ' ')" \
    "429 429 503 0 200 200 200 400 500 500 503 200 200 " "script: every request is logged with its status"
is "$(recv_status_count 0) $(recv_status_count 429) $(recv_status_count 200)" "1 2 5" "recv_status_count"
stop_receiver

# repeat + delay + status with an explicit google.rpc.Code.
printf '# repeat with a delay\nrepeat 2 delay 100 status 502 code=4 message="gateway \\"x\\""\n' >"$T/script2"
start_receiver --script "$T/script2"
mkjs "$T/g.json" "gw"
js "$T/g.json" "$RECV_URL/v1/traces"
_c1=$CODE
js "$T/g.json" "$RECV_URL/v1/traces"
is "$_c1 $CODE $(cat "$T/b")" '502 502 {"code":4,"message":"gateway \"x\""}' "script repeat 2 delay status code=: applied twice"
check "script repeat 2 delay: still delayed the second time (took $TIME s)" -- at_least "$TIME" 0.1
js "$T/g.json" "$RECV_URL/v1/traces"
is "$CODE $(recv_spans_sorted | sed 's/.* //')" "200 gw" "script repeat: then ok"
stop_receiver

# A bad script is refused at start.
printf 'status 429 retry-after=soon\n' >"$T/bad-script"
_rc=0
"$RECV_BIN" --port-file "$T/bp" --pid-file "$T/bpid" --out "$T/bad-out" --script "$T/bad-script" 2>"$T/bad-err" || _rc=$?
is "$_rc" 2 "bad script: exit status 2"
contains "$T/bad-err" "bad-script:1: retry-after needs a number of seconds" "bad script: names the line"

# --- receiver C: --max-body -----------------------------------------------------
start_receiver --max-body 300
mkpb "$T/small.pb" "small"
mkpb "$T/big.pb" b1 b2 b3 b4 b5 b6 b7 b8 b9 b10
check "max-body: the big body is over 300 bytes" -- test "$(size "$T/big.pb")" -gt 300
pb "$T/small.pb" "$RECV_URL/v1/traces"
is "$CODE" 200 "max-body: a small body is accepted"
pb "$T/big.pb" "$RECV_URL/v1/traces"
is "$CODE" 413 "max-body: a big body gets 413"
pb_decode "$T/b" Status >"$T/st"
is "$(cat "$T/st")" 'code: 8
message: "request body too large"' "max-body: 413 carries a google.rpc.Status"
pb "$T/big.pb" -H 'Expect: 100-continue' "$RECV_URL/v1/traces"
is "$CODE" 413 "max-body: 413 before the body with Expect: 100-continue"
pb "$T/big.pb" -H 'Transfer-Encoding: chunked' "$RECV_URL/v1/traces"
is "$CODE" 413 "max-body: a big chunked body gets 413"
pb "$T/small.pb" "$RECV_URL/v1/traces"
is "$CODE" 200 "max-body: served again after the 413s"
is "$(sed 's/.* //' "$RECV_DIR/spans.log" | tr '\n' ' ')" "small small " "max-body: no spans from 413 requests"
is "$(recv_status_count 413)" 3 "max-body: 413s logged"
stop_receiver

# --- receiver D: basic auth and tenant ------------------------------------------
start_receiver --require-basic 'user:s3cr3t' --require-tenant
mkpb "$T/a.pb" "authed"
pb "$T/a.pb" -H 'X-Scope-OrgID: acme' "$RECV_URL/v1/traces"
is "$CODE" 401 "basic auth: missing credentials: 401"
is "$(hdr WWW-Authenticate)" 'Basic realm="otlp"' "basic auth: WWW-Authenticate"
pb_decode "$T/b" Status >"$T/st"
is "$(cat "$T/st")" 'code: 16
message: "missing credentials"' "basic auth: UNAUTHENTICATED status"
pb "$T/a.pb" -u 'user:wrong' -H 'X-Scope-OrgID: acme' "$RECV_URL/v1/traces"
is "$CODE" 401 "basic auth: wrong password: 401"
mkjs "$T/a.json" "authed json"
js "$T/a.json" -u 'user:s3cr3t' "$RECV_URL/v1/traces"
is "$CODE" 401 "tenant: missing X-Scope-OrgID: 401"
is "$(cat "$T/b")" '{"code":16,"message":"no org id"}' "tenant: 'no org id' as Tempo answers"
pb "$T/a.pb" -u 'user:s3cr3t' -H 'X-Scope-OrgID: acme' "$RECV_URL/v1/traces"
is "$CODE" 200 "basic auth + tenant: 200"
is "$(sed 's/.* tenant=\([^ ]*\) auth=\([^ ]*\) .*/\1:\2/' "$RECV_DIR/requests.log" | tr '\n' ' ')" \
    "acme:missing acme:bad -:ok acme:ok " "auth and tenant columns in requests.log"
is "$(recv_span_count)" 1 "auth: only the authorised request's span is recorded"
_rc=0
grep -rl 's3cr3t\|dXNlcjpzM2NyM3Q' "$RECV_DIR" >/dev/null 2>&1 || _rc=$?
is "$_rc" 1 "the credentials are written nowhere"
stop_receiver

# --- receiver E: bearer token and --delay-ms ---------------------------------------
start_receiver --require-bearer tok123 --delay-ms 300
pb "$T/a.pb" "$RECV_URL/v1/traces"
is "$CODE" 401 "bearer: missing: 401"
pb "$T/a.pb" -H 'Authorization: Bearer nope' "$RECV_URL/v1/traces"
is "$CODE" 401 "bearer: wrong token: 401"
pb "$T/a.pb" -H 'Authorization: Bearer tok123' "$RECV_URL/v1/traces"
is "$CODE" 200 "bearer: right token: 200"
check "--delay-ms 300: answers take 300 ms (took $TIME s)" -- at_least "$TIME" 0.3
is "$(sed 's/.* auth=\([^ ]*\) .*/\1/' "$RECV_DIR/requests.log" | tr '\n' ' ')" "missing bad ok " "bearer: auth column"
stop_receiver

# --- receiver F: --idle-exit --------------------------------------------------------
start_receiver --idle-exit 1
_i=0
while kill -0 "$RECV_PID" 2>/dev/null && [ "$_i" -lt 100 ]; do
    _i=$((_i + 1))
    sleep 0.1
done
_rc=0
kill -0 "$RECV_PID" 2>/dev/null || _rc=$?
is "$_rc" 1 "--idle-exit 1: stops by itself"
is "$(cat "$RECV_DIR/summary" 2>/dev/null)" "requests=0 spans=0 bytes=0" "--idle-exit: summary written"
contains "$RECV_DIR/stderr" "no activity for 1 s" "--idle-exit: says why it stopped"

# --- receiver G: --discard -------------------------------------------------------------
start_receiver --discard
pb "$T/r1.pb.gz" -H 'Content-Encoding: gzip' "$RECV_URL/v1/traces"
_c1=$CODE
js "$T/r2.json.zst" -H 'Content-Encoding: zstd' "$RECV_URL/v1/traces"
_c2=$CODE
pb "$T/r3.pb" "$RECV_URL/v1/traces"
is "$_c1 $_c2 $CODE" "200 200 200" "--discard: requests are answered"
stop_receiver
is "$(cat "$RECV_DIR/summary")" \
    "requests=3 spans=5 bytes=$(($(size "$T/r1.pb.gz") + $(size "$T/r2.json.zst") + $(size "$T/r3.pb")))" \
    "--discard: summary counts requests, spans and raw bytes"
is "$(ls "$RECV_DIR" | grep -c '^req-\|^spans.log$')" 0 "--discard: no bodies or spans stored"

# --- receiver H: IPv6 loopback ------------------------------------------------------------
if start_receiver --bind ::1 2>/dev/null; then
    pb "$T/small.pb" -g "$RECV_URL/v1/traces"
    is "$CODE" 200 "--bind ::1: serves on the IPv6 loopback"
    stop_receiver
else
    skip "--bind ::1: no IPv6 loopback here"
fi

# --- receiver J: malformed request heads ------------------------------------------
start_receiver
_heads='GARBAGE\r\n\r\n|400
POST /v1/traces HTTP/2.0\r\n\r\n|400
POST /v1/traces HTTP/1.1\r\nNoColonHere\r\n\r\n|400
POST /v1/traces HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n|400
POST /v1/traces HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n|400
\r\n\r\nPOST http://x/v1/traces HTTP/1.1\r\nContent-Type: application/x-protobuf\r\nContent-Length: 0\r\nConnection: close\r\n\r\n|200'
printf '%s\n' "$_heads" >"$T/heads"
while IFS='|' read -r _h _want; do
    printf "$_h" >"$T/head.req"
    _got=$(perl -e "$RAWSEND" "$RECV_PORT" "$T/head.req" | head -n 1 | tr -d '\r')
    case $_want in 400) _want='HTTP/1.1 400 Bad Request' ;; 200) _want='HTTP/1.1 200 OK' ;; esac
    is "$_got" "$_want" "request head $(printf '%s' "$_h" | cut -c1-40): $_want"
done <"$T/heads"
is "$(sed 's/.* status=\([0-9]*\) .*/\1/' "$RECV_DIR/requests.log" | tr '\n' ' ')" "400 400 400 400 400 200 " \
    "malformed heads: logged as 400s; blank lines before a request and an absolute target are fine"
is "$(awk '{print $NF}' "$RECV_DIR/answers.log" | sort | uniq -c | tr -s ' ')" " 6 end=sent" "malformed heads: every answer sent"
stop_receiver

# --- receiver I: hostile answers -------------------------------------------------
# Each rule is checked from the client side (curl) and from the receiver's own
# answers.log (timing, bytes sent, how the answer ended).
yes abcdefghi | head -c 1000 >"$T/b1000"
head -c 100 "$T/b1000" >"$T/b100"
: >"$T/empty.pb"
HUGE_LINE='otlp-receiver huge body: this 64-byte line repeats to the end..'
TEMPO_RATE='RATE_LIMITED: ingestion rate limit (300000 bytes) exceeded while adding 1234 bytes'
TEMPO_LIVE='LIVE_TRACES_EXCEEDED: max live traces exceeded for tenant single-tenant: per-user traces limit (local: 10000 global: 0 actual local: 10000) exceeded'
cat >"$T/hostile" <<EOF
delay 300 reply 200 body="late"
hang
repeat 2 reply 200 body-file="$T/b100" trickle=10/100
reply 200 body-file="$T/b1000" truncate=100
ok truncate=1
reply 200 huge=104857600
reply 200 gzip-bomb=268435456
reply 200 page=grafana
reply 200 type="application/json" body="{\"status\":\"success\",\"data\":{\"result\":[]}}"
reply 200 body="OK"
reply 200 body-file="$T/b1000" reset-after=100
reset
drop
status 401 message="invalid token: " echo=Authorization
reply 403 body="denied for tenant " echo=X-Scope-OrgID
status 500 code=8 message="$TEMPO_RATE"
reply 500 body="$TEMPO_LIVE\n"
reply 401 body="no org id\n"
status 429 retry-after-raw="0"
status 429 retry-after-raw="-5"
status 429 retry-after-raw=abc
status 429 retry-after-raw="99999999999"
status 503 retry-after-date=-3600
status 503 retry-after-raw="Fri, 31 Dec 9999 23:59:59 GMT"
reply 200 body="x" header="X-One: 1" header="X-Two: two words"
EOF
start_receiver --script "$T/hostile"
# ans FIELD: FIELD of the last request's line in answers.log (waits for it)
ans() {
    _s=$(recv_last_seq)
    recv_wait_answer "$_s" 10 || true
    recv_answer "$_s" "$1"
}
# req_ms SEQ: when requests.log logged request SEQ (before the answer)
req_ms() { sed -n "s/^seq=$1 .* ms=\([0-9]*\)\$/\1/p" "$RECV_DIR/requests.log"; }

pb "$T/empty.pb" "$RECV_URL/v1/traces"
is "$CODE $(cat "$T/b")" "200 late" "delay + reply: the body, late"
_late=$(($(ans begin_ms) - $(req_ms "$(recv_last_seq)")))
check "delay 300: the receiver began to answer $_late ms after the request" -- test "$_late" -ge 295

pb "$T/empty.pb" --max-time 1 "$RECV_URL/v1/traces"
is "$CODE $(size "$T/b")" "curl-28 0" "hang: no answer until curl gives up (--max-time 1)"
is "$(ans end) $(ans status) $(recv_status_count 0)" "peer-closed 0 1" \
    "hang: answers.log says the client closed first; requests.log status=0"
_held=$(($(ans end_ms) - $(ans begin_ms)))
check "hang: the receiver held the connection for $_held ms" -- test "$_held" -ge 900

pb "$T/empty.pb" "$RECV_URL/v1/traces"
is "$CODE" 200 "trickle: 200"
check "trickle: the whole body arrives" -- cmp "$T/b100" "$T/b"
# 10 pieces 100 ms apart: 0.9 s (0.85 allows for millisecond rounding)
check "trickle 10/100 of 100 bytes: took $TIME s" -- at_least "$TIME" 0.85
_took=$(($(ans end_ms) - $(ans begin_ms)))
check "trickle: answers.log: $(ans sent) bytes sent over $_took ms" -- test "$(ans sent)" = 100 -a "$_took" -ge 850
pb "$T/empty.pb" --max-time 0.5 "$RECV_URL/v1/traces"
_got=$(size "$T/b")
check "trickle: after 0.5 s curl has part of the body ($CODE, $_got of 100 bytes)" -- \
    test "$CODE" = curl-28 -a "$_got" -ge 10 -a "$_got" -le 80

pb "$T/empty.pb" "$RECV_URL/v1/traces"
is "$CODE $(hdr Content-Length) $(size "$T/b")" "curl-18 1000 100" "truncate=100: Content-Length 1000, 100 bytes, then closed"
check "truncate: the bytes sent are the body's first 100" -- cmp "$T/b100" "$T/b"
contains "$T/curl.err" "transfer closed with 900 bytes remaining" "truncate: a clean close (FIN), not a reset"
is "$(ans end) $(ans body) $(ans sent)" "truncated 1000 100" "truncate: answers.log"
mkjs "$T/t.json" "cut"
js "$T/t.json" "$RECV_URL/v1/traces"
is "$CODE $(cat "$T/b")" "curl-18 {" "ok truncate=1: one byte of the JSON answer {}"

_hwm() { sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$RECV_PID/status" 2>/dev/null; }
_hwm0=$(_hwm)
_sum=$(curl -sS --max-time 60 -H 'Content-Type: application/x-protobuf' --data-binary "@$T/empty.pb" \
    "$RECV_URL/v1/traces" | sha256sum | cut -d' ' -f1)
is "$_sum" "$(yes "$HUGE_LINE" | head -c 104857600 | sha256sum | cut -d' ' -f1)" \
    "huge=100 MiB: the body is the yes(1) pattern, byte for byte"
is "$(ans end) $(ans body) $(ans sent)" "sent 104857600 104857600" "huge: answers.log: all 100 MiB sent"
if [ -n "$_hwm0" ]; then
    _grew=$(($(_hwm) - _hwm0))
    check "huge: streamed, not held (peak memory grew $_grew kB)" -- test "$_grew" -lt 16384
else
    skip "huge: no /proc/PID/status to read peak memory from"
fi

pb "$T/empty.pb" "$RECV_URL/v1/traces"
is "$CODE $(hdr Content-Encoding)" "200 gzip" "gzip-bomb: 200 with Content-Encoding: gzip"
_wire=$(size "$T/b")
check "gzip-bomb: $_wire bytes on the wire (< 512 KiB)" -- test "$_wire" -lt 524288
check "gzip-bomb: a valid gzip stream" -- gzip -t "$T/b"
is "$(gzip -dc "$T/b" | perl -e 'binmode STDIN; my ($n, $nz) = (0, 0);
    while (read(STDIN, my $b, 1 << 20)) { $n += length $b; $nz += ($b =~ tr/\0//c) } print "$n $nz\n"')" \
    "268435456 0" "gzip-bomb: inflates to 256 MiB of zero bytes"

pb "$T/empty.pb" "$RECV_URL/v1/traces"
is "$CODE $(hdr Content-Type)" "200 text/html; charset=utf-8" "page=grafana: 200 text/html"
is "$(head -n 1 "$T/b")" "<!DOCTYPE html>" "page=grafana: an HTML document"
contains "$T/b" "<title>Grafana</title>" "page=grafana: Grafana's title"
pb "$T/empty.pb" "$RECV_URL/v1/traces"
is "$CODE $(hdr Content-Type) $(cat "$T/b")" '200 application/json {"status":"success","data":{"result":[]}}' \
    "reply type=application/json: non-OTLP JSON, verbatim"
mkpb "$T/okbody.pb" "answered OK"
pb "$T/okbody.pb" "$RECV_URL/v1/traces"
is "$CODE $(hdr Content-Type) $(cat "$T/b")" "200 text/plain; charset=utf-8 OK" "reply 200 body=OK: text/plain OK"
is "$(sed 's/.* //' "$RECV_DIR/spans.log" | tr '\n' ' ')" "cut OK " "ok truncate=1 and reply 2xx: the requests' spans count as accepted"

pb "$T/empty.pb" "$RECV_URL/v1/traces"
is "$CODE $(size "$T/b")" "curl-56 100" "reset-after=100: 100 body bytes, then an error"
contains "$T/curl.err" "Connection reset by peer" "reset-after: a RST, not a FIN"
is "$(ans end) $(ans sent)" "reset 100" "reset-after: answers.log"
pb "$T/empty.pb" "$RECV_URL/v1/traces"
is "$CODE $(size "$T/b")" "curl-56 0" "reset: no answer, an error at once"
contains "$T/curl.err" "Connection reset by peer" "reset: a RST"
pb "$T/empty.pb" "$RECV_URL/v1/traces"
is "$CODE" "curl-52" "drop (for contrast): an empty reply, FIN"
is "$(ans end)" "dropped" "drop: answers.log"

pb "$T/empty.pb" -H 'Authorization: Bearer tok-SECRET-4711' "$RECV_URL/v1/traces"
pb_decode "$T/b" Status >"$T/st"
is "$CODE $(tr '\n' ' ' <"$T/st")" '401 code: 16 message: "invalid token: Bearer tok-SECRET-4711" ' \
    "echo=Authorization: the header is echoed into the Status message"
js "$T/t.json" -H 'X-Scope-OrgID: acme' "$RECV_URL/v1/traces"
is "$CODE $(cat "$T/b")" "403 denied for tenant acme" "reply echo=X-Scope-OrgID: echoed into the body"

pb "$T/empty.pb" "$RECV_URL/v1/traces"
pb_decode "$T/b" Status >"$T/st"
is "$CODE $(tr '\n' ' ' <"$T/st")" "500 code: 8 message: \"$TEMPO_RATE\" " "Tempo RATE_LIMITED as a 500 google.rpc.Status"
pb "$T/empty.pb" "$RECV_URL/v1/traces"
printf '%s\n' "$TEMPO_LIVE" >"$T/want"
is "$CODE $(hdr Content-Type)" "500 text/plain; charset=utf-8" "Tempo LIVE_TRACES_EXCEEDED: a 500 in text/plain"
check "Tempo LIVE_TRACES_EXCEEDED: the body, newline included" -- cmp "$T/want" "$T/b"
pb "$T/empty.pb" "$RECV_URL/v1/traces"
printf 'no org id\n' >"$T/want"
check "reply 401 body=\"no org id\\n\": the body exactly" -- cmp "$T/want" "$T/b"

for _ra in 0 -5 abc 99999999999; do
    pb "$T/empty.pb" "$RECV_URL/v1/traces"
    is "$CODE $(hdr Retry-After)" "429 $_ra" "retry-after-raw=$_ra: sent verbatim"
done
pb "$T/empty.pb" "$RECV_URL/v1/traces"
_delta=$(($(date -u -d "$(hdr Retry-After)" +%s) - $(date -u +%s)))
check "retry-after-date=-3600: a date an hour ago (got $_delta s)" -- test "$_delta" -ge -3601 -a "$_delta" -le -3595
pb "$T/empty.pb" "$RECV_URL/v1/traces"
is "$(hdr Retry-After)" "Fri, 31 Dec 9999 23:59:59 GMT" "retry-after-raw: a date far in the future, verbatim"
pb "$T/empty.pb" "$RECV_URL/v1/traces"
is "$(hdr X-One)|$(hdr X-Two)" "1|two words" "header=: extra response headers"

_rc=0
grep -r 'tok-SECRET-4711' "$RECV_DIR" >/dev/null 2>&1 || _rc=$?
is "$_rc" 1 "an echoed header is written to no file"
is "$(recv_answer 1 line) $(ans line)" "1 25" "answers.log names the script line"
stop_receiver

# Bad hostile rules are refused at start, naming the line.
for _bad in 'reply 200 body="x" huge=10|give one body source (body, body-file, page, huge or gzip-bomb)' \
    'reply 200 trickle=fast|trickle needs BYTES/MS (1..2^30 bytes every 1..3600000 ms), e.g. 10/100' \
    'status 503 retry-after-raw="a\rb"|retry-after-raw may not hold control characters' \
    'delay 10 hang|hang does not take a delay' \
    'drop truncate=5|option truncate= is not valid here'; do
    printf '%s\n' "${_bad%|*}" >"$T/bad-script"
    _rc=0
    "$RECV_BIN" --port-file "$T/bp" --pid-file "$T/bpid" --out "$T/bad-out" --script "$T/bad-script" 2>"$T/bad-err" || _rc=$?
    is "$_rc $(cat "$T/bad-err")" "2 otlp-receiver: $T/bad-script:1: ${_bad#*|}" "bad rule refused: ${_bad%|*}"
done

# Every receiver above ran clean (this matters under --enable-sanitizers).
for _e in "$T"/receiver-*/stderr; do
    _name=${_e#"$T"/}
    lacks "$_e" "Sanitizer" "$_name: no sanitizer report"
    lacks "$_e" "runtime error" "$_name: no undefined behaviour"
done
