# tests/server/lib-receiver.sh: helpers to run the test OTLP receiver (tests/server/otlp-receiver).
# Source after tests/setup.sh (which gives $T, at_exit, pass/fail/is/contains):
#
#   start_receiver [ARGS...]   start a receiver (ARGS go to otlp-receiver, e.g.
#                              --script F, --max-body N, --require-tenant); sets
#                              RECV_PORT, RECV_DIR (its --out dir, fresh), RECV_URL
#                              (http://127.0.0.1:PORT, or http://[::1]:PORT with
#                              --bind ::1), RECV_PID; stops it at exit.
#   stop_receiver [PID]        SIGTERM and wait (at most 10 s, then SIGKILL);
#                              returns the receiver's exit status.
#   recv_span_count            lines in $RECV_DIR/spans.log (accepted spans)
#   recv_spans_sorted          spans.log sorted (uploads may arrive in any order)
#   recv_request_count         lines in $RECV_DIR/requests.log (all requests)
#   recv_status_count CODE     requests answered CODE (0 = none: drop, reset, hang)
#   recv_wait_requests N [S]   wait until N requests are logged (at most S s, 10)
#   recv_last_seq              seq of the last request logged (0 if none)
#   recv_answer SEQ FIELD      FIELD (status, line, begin_ms, end_ms, head, body,
#                              sent, end) of answer SEQ in answers.log
#   recv_wait_answer SEQ [S]   wait until answer SEQ has ended (at most S s, 10)
#   pb_decode FILE [MESSAGE]   protoc --decode of FILE (default message
#                              ExportTraceServiceRequest; short names
#                              ExportTraceServiceResponse, Status also work)
#   pb_encode MESSAGE          protoc --encode: text format on stdin, binary out
#
# Receiver files in $RECV_DIR: spans.log, requests.log, answers.log,
# req-<seq>.pb|.json, summary (on exit), stderr. answers.log has a line per
# answer when it has ended (sent, cut, reset, or the client gave up):
#   seq=N status=S line=L begin_ms=MS end_ms=MS head=B body=B sent=B end=HOW
# (line: the script line, 0 = none; begin_ms: first byte sent, or when a
# drop/reset/hang took effect; body: Content-Length; sent: body bytes sent;
# HOW: sent, truncated, closed, reset, dropped, peer-closed, stopped).
#
# Script rules (--script FILE; full grammar at the top of tests/server/script.c).
# One rule a line, [repeat K] [delay MS] RULE [OPTION=VALUE...], each used by
# the next POST /v1/traces; after the last one, ok. Quoted values take
# \" \\ \n \r \t \xHH escapes.
#   ok | status N | partial N     200 | N with a google.rpc.Status | partial success
#     message=TEXT code=G         the Status / partial_success text, the gRPC code
#   reply N                       N with a verbatim body, not an OTLP message:
#     type=CTYPE                  Content-Type (default text/plain; charset=utf-8)
#     body=TEXT | body-file=PATH  the body
#     page=grafana                a Grafana web UI's HTML page (text/html)
#     huge=BYTES                  BYTES of `yes "otlp-receiver huge body: this
#                                 64-byte line repeats to the end.."`, streamed
#     gzip-bomb=BYTES             Content-Encoding: gzip inflating to BYTES zeroes
#   status and reply also take:
#     echo=HEADER                 append the request's HEADER value to the
#                                 message / body ("invalid token: " + Authorization)
#     retry-after=S | retry-after-date=+S|-S | retry-after-raw=VALUE (verbatim)
#     header="Name: value"        an extra response header (up to 8)
#   ok, status, partial, reply also take (shaping whatever answer is sent):
#     trickle=N/MS                the body N bytes every MS ms
#     truncate=N                  N body bytes (of Content-Length), then FIN
#     reset-after=N               N body bytes, then RST
#   drop | reset | hang           FIN | RST without an answer | never answer
#   delay MS                      alone: ok after MS ms

RECV_PROTO_DIR=$top_srcdir/tests/proto
: "${RECV_BIN:=$top_builddir/tests/server/otlp-receiver}"
_recv_n=0

start_receiver() {
    _recv_n=$((_recv_n + 1))
    RECV_DIR=$T/receiver-$_recv_n
    mkdir -p "$RECV_DIR"
    "$RECV_BIN" --port-file "$RECV_DIR/port" --pid-file "$RECV_DIR/pid" \
        --out "$RECV_DIR" "$@" >"$RECV_DIR/stdout" 2>"$RECV_DIR/stderr" &
    RECV_PID=$!
    at_exit "stop_receiver $RECV_PID >/dev/null 2>&1 || true"
    _i=0
    while [ ! -s "$RECV_DIR/port" ]; do
        if ! kill -0 "$RECV_PID" 2>/dev/null; then
            diag "otlp-receiver exited before writing its port file:" "$(cat "$RECV_DIR/stderr")"
            return 1
        fi
        _i=$((_i + 1))
        if [ "$_i" -gt 200 ]; then
            diag "otlp-receiver did not write its port file within 10 s"
            return 1
        fi
        sleep 0.05
    done
    RECV_PORT=$(cat "$RECV_DIR/port")
    case " $* " in
    *" ::1 "*) RECV_URL=http://[::1]:$RECV_PORT ;;
    *) RECV_URL=http://127.0.0.1:$RECV_PORT ;;
    esac
    export RECV_PORT RECV_DIR RECV_URL RECV_PID
}

# stop_receiver [PID]: the last started receiver by default.
stop_receiver() {
    _pid=${1:-$RECV_PID}
    kill -TERM "$_pid" 2>/dev/null || true
    _i=0
    while kill -0 "$_pid" 2>/dev/null; do
        _i=$((_i + 1))
        if [ "$_i" -gt 200 ]; then
            kill -KILL "$_pid" 2>/dev/null || true
            break
        fi
        sleep 0.05
    done
    _rc=0
    wait "$_pid" 2>/dev/null || _rc=$?
    return "$_rc"
}

_recv_lines() {
    if [ -f "$1" ]; then wc -l <"$1" | tr -d ' '; else echo 0; fi
}

recv_span_count() { _recv_lines "$RECV_DIR/spans.log"; }
recv_request_count() { _recv_lines "$RECV_DIR/requests.log"; }
recv_spans_sorted() { if [ -f "$RECV_DIR/spans.log" ]; then LC_ALL=C sort "$RECV_DIR/spans.log"; fi; }

recv_status_count() {
    if [ -f "$RECV_DIR/requests.log" ]; then
        grep -c " status=$1 " "$RECV_DIR/requests.log" || true
    else
        echo 0
    fi
}

# recv_wait_requests N [SECONDS]: returns 1 if fewer than N arrived in time.
recv_wait_requests() {
    _want=$1
    _ticks=$((${2:-10} * 20))
    _i=0
    while [ "$(recv_request_count)" -lt "$_want" ]; do
        _i=$((_i + 1))
        [ "$_i" -gt "$_ticks" ] && return 1
        sleep 0.05
    done
    return 0
}

recv_last_seq() {
    if [ -s "$RECV_DIR/requests.log" ]; then
        tail -n 1 "$RECV_DIR/requests.log" | sed 's/^seq=\([0-9]*\) .*/\1/'
    else
        echo 0
    fi
}

recv_answer() {
    [ -f "$RECV_DIR/answers.log" ] || return 0
    awk -v s="seq=$1" -v f="$2" '$1 == s { for (i = 2; i <= NF; i++) if (index($i, f "=") == 1) print substr($i, length(f) + 2) }' \
        "$RECV_DIR/answers.log"
}

# recv_wait_answer SEQ [SECONDS]: returns 1 if answer SEQ did not end in time.
recv_wait_answer() {
    _ticks=$((${2:-10} * 20))
    _i=0
    while [ -z "$(recv_answer "$1" end)" ]; do
        _i=$((_i + 1))
        [ "$_i" -gt "$_ticks" ] && return 1
        sleep 0.05
    done
    return 0
}

_pb_message() {
    case $1 in
    ExportTraceServiceRequest | ExportTraceServiceResponse | ExportTracePartialSuccess)
        echo "opentelemetry.proto.collector.trace.v1.$1" ;;
    Status) echo google.rpc.Status ;;
    *) echo "$1" ;;
    esac
}

pb_decode() {
    "${PROTOC:-protoc}" -I "$RECV_PROTO_DIR" --decode="$(_pb_message "${2:-ExportTraceServiceRequest}")" \
        opentelemetry/proto/collector/trace/v1/trace_service.proto google/rpc/status.proto <"$1"
}

pb_encode() {
    "${PROTOC:-protoc}" -I "$RECV_PROTO_DIR" --encode="$(_pb_message "$1")" \
        opentelemetry/proto/collector/trace/v1/trace_service.proto google/rpc/status.proto
}
