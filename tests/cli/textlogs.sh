#!/bin/sh
# textlogs.sh: text log formats end to end (tracefill run -o FILE --profile
# MAPPING INPUT, where the mapping has a "format"): each text-log sample gives
# the exact span tree in its expected-spans.txt, with ids re-derived here with
# sha256sum alone (the line's bytes, X-Ray roots, traceparent and B3 headers
# joining existing traces); bad lines go to the rejects file with their line
# number and why; a file of another format is stopped after 1000 lines with
# one error; CloudFront's #Fields: is honoured (also when it changes);
# gzip'd input, a directory of text logs, CSV header rows per file (also when
# a resumed run starts after them), TSV's empty first field, inspect, and
# resources from a per-line field beyond the interned bound.
. "$top_srcdir/tests/setup.sh"
. "$top_srcdir/tests/server/lib-receiver.sh"
need_cmd jq sha256sum gzip awk
S=$SAMPLES_DIR
TAB=$(printf '\t')

tree() {
    jq -r '.resourceSpans[].scopeSpans[].spans[] |
        [.traceId, .spanId, (.parentSpanId // "-"), .startTimeUnixNano, .endTimeUnixNano, .kind,
         (.status.code // 0), .name] | join(" ")' "$1" | LC_ALL=C sort
}
expected() { grep -v '^#' "$1"; }
span() { jq -c --arg id "$2" '.resourceSpans[].scopeSpans[].spans[] | select(.spanId == $id)' "$1"; }
attrs_of() { jq -S -c '[.attributes[] | {(.key): (.value | to_entries[0].value)}] | add'; }
# derive trace|span PART...: doc/mapping.md's recipe, by sha256sum alone
derive() {
    _w=$1
    shift
    { printf 'tracefill:v1'; for _p in "$@"; do printf '\000%s' "$_p"; done; } | sha256sum |
        if [ "$_w" = trace ]; then cut -c1-32; else cut -c33-48; fi
}
# the default ids of a line: sha256 of the prefix and the line's exact bytes
line_ids() { { printf 'tracefill:v1\000'; printf '%s' "$1"; } | sha256sum | cut -c1-48; }
nspans() { jq -s '[.[].resourceSpans[].scopeSpans[].spans[]] | length' "$1"; }

# ---- the six samples: exact trees ------------------------------------------------
for s in nginx-combined:access.log nginx-extended:access.log aws-alb:alb.log aws-cloudfront:cloudfront.log \
    csv:requests.csv logfmt:app.log; do
    d=${s%%:*} f=${s#*:}
    run_tf rc run -o "$T/$d.jsonl" --profile "$S/$d/mapping.json" "$S/$d/$f"
    is "$rc" 0 "$d: the sample maps cleanly"
    is "$(tree "$T/$d.jsonl")" "$(expected "$S/$d/expected-spans.txt")" "$d: exactly the span tree in expected-spans.txt"
done

# nginx combined: no id in the log, so both ids come from the line's bytes
ok_ids=yes n=0
while IFS= read -r l; do
    case $l in *'"GET /healthz '*) continue ;; esac
    n=$((n + 1))
    ids=$(line_ids "$l")
    got=$(jq -r --arg s "$(echo "$ids" | cut -c33-48)" \
        '.resourceSpans[].scopeSpans[].spans[] | select(.spanId == $s) | .traceId + .spanId' "$T/nginx-combined.jsonl")
    [ "$got" = "$ids" ] || { ok_ids=no; diag "line $l: got '$got', want '$ids'"; }
done <"$S/nginx-combined/access.log"
is "$ok_ids $n" "yes 7" "nginx-combined: trace and span id = sha256(tracefill:v1 NUL line) for the 7 lines not skipped"
sid=$(line_ids "$(grep 'PUT /api/v1/cart' "$S/nginx-combined/access.log")" | cut -c33-48)
is "$(span "$T/nginx-combined.jsonl" "$sid" | attrs_of)" \
   '{"client.address":"198.51.100.23","http.request.method":"PUT","http.response.body.size":"157","http.response.status_code":"502","network.protocol.version":"1.1","url.path":"/api/v1/cart","url.query":"session=abc","user.name":"alice","user_agent.original":"shop-android/4.11.2"}' \
   "nginx-combined: exact attributes (typed status and size, split request, mapped protocol, '-' left out)"
is "$(span "$T/nginx-combined.jsonl" "$sid" | jq -c .status)" '{"message":"HTTP 502","code":2}' "nginx-combined: 5xx is ERROR"
sid=$(line_ids "$(grep 'search?q' "$S/nginx-combined/access.log")" | cut -c33-48)
is "$(span "$T/nginx-combined.jsonl" "$sid" | jq -c '[.attributes[] | select(.key == "url.query" or .key == "user_agent.original") | .value.stringValue]')" \
   '["q=café","Mozilla/5.0 \"quoted\" (compatible)"]' "nginx-combined: nginx's \\xHH escapes are decoded (UTF-8, quotes)"
sid=$(line_ids "$(grep '^45.148' "$S/nginx-combined/access.log")" | cut -c33-48)
is "$(span "$T/nginx-combined.jsonl" "$sid" | jq -c '[.name, (.attributes[] | select(.key == "nginx.request_line") | .value.stringValue)]')" \
   '["invalid request","\\x16\\x03\\x01\\x00\\xF1\\x01\\x00\\x00\\xED\\x03\\x03"]' \
   "nginx-combined: a TLS handshake on the plain port keeps its request line as logged"
is "$(jq -r '[.resourceSpans[].resource.attributes[] | "\(.key)=\(.value.stringValue)"] | join(",")' "$T/nginx-combined.jsonl")" \
   "service.name=nginx,host.name=web-1" "nginx-combined: one constant resource"

# nginx combined + $request_time + $http_traceparent: joins the browser's traces
ok_ids=yes
while IFS= read -r l; do
    ids=$(line_ids "$l")
    tp=$(echo "$l" | sed 's/.*"\([^"]*\)"$/\1/')
    if echo "$tp" | grep -Eq '^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$'; then
        want="$(echo "$tp" | cut -d- -f2) $(echo "$ids" | cut -c33-48) $(echo "$tp" | cut -d- -f3) $(echo "$tp" | cut -d- -f4)"
    else
        want="$(echo "$ids" | cut -c1-32) $(echo "$ids" | cut -c33-48) - 00"
    fi
    got=$(span "$T/nginx-extended.jsonl" "$(echo "$ids" | cut -c33-48)" |
        jq -r '[.traceId, .spanId, (.parentSpanId // "-"), (.flags // 0 | if . == 1 then "01" else "00" end)] | join(" ")')
    [ "$got" = "$want" ] || { ok_ids=no; diag "got '$got', want '$want' for $l"; }
done <"$S/nginx-extended/access.log"
is "$ok_ids" yes "nginx-extended: a valid traceparent gives trace, parent and flags; '-' and an upper-case one derive from the line"
is "$(jq -r '.resourceSpans[].scopeSpans[].spans[] | select(.traceId == "4bf92f3577b34da6a3ce929d0e0e4736") | .name' "$T/nginx-extended.jsonl" | sort | tr '\n' ,)" \
   "DELETE /api/v1/orders/42,GET /api/v1/orders,GET /api/v1/orders/42," "nginx-extended: three requests join the browser's trace"
# start = end - $request_time, to the nanosecond: 23:33:22 - 1.502 s
is "$(jq -r '.resourceSpans[].scopeSpans[].spans[] | select(.name == "PUT /api/v1/cart") | .startTimeUnixNano' "$T/nginx-extended.jsonl")" \
   "$(( $(date -u -d 2024-07-15T23:33:22Z +%s) * 1000000000 - 1502000000 ))" "nginx-extended: start = time_local - request_time"

# ALB: X-Ray roots; a Parent joins the caller's trace
ok_ids=yes
while IFS= read -r l; do
    ids=$(line_ids "$l")
    xr=$(echo "$l" | grep -o '"[^"]*Root=[^"]*"' | tr -d '"')
    root=$(echo "$xr" | tr ';' '\n' | sed -n 's/^Root=1-\([0-9a-f]*\)-\([0-9a-f]*\)$/\1\2/p')
    par=$(echo "$xr" | tr ';' '\n' | sed -n 's/^Parent=//p')
    want="$root $(echo "$ids" | cut -c33-48) ${par:--}"
    got=$(span "$T/aws-alb.jsonl" "$(echo "$ids" | cut -c33-48)" | jq -r '[.traceId, .spanId, (.parentSpanId // "-")] | join(" ")')
    [ "$got" = "$want" ] || { ok_ids=no; diag "got '$got', want '$want'"; }
done <"$S/aws-alb/alb.log"
is "$ok_ids" yes "aws-alb: trace id = the X-Ray Root's hex, parent = its Parent (Self ignored), span id from the line"
sid=$(line_ids "$(sed -n 3p "$S/aws-alb/alb.log")" | cut -c33-48)
is "$(span "$T/aws-alb.jsonl" "$sid" | attrs_of)" \
   '{"aws.alb.actions":"forward","client.address":"192.0.2.10","client.port":"61001","http.request.method":"GET","http.request.size":"220","http.response.size":"367","http.response.status_code":"503","server.address":"shop.example.com","server.port":"443","tls.cipher":"TLS_AES_128_GCM_SHA256","tls.protocol.version":"1.3","url.path":"/api/v1/cart","url.scheme":"https","user_agent.original":"curl/8.5.0"}' \
   "aws-alb: a request never dispatched (-1 times, no target) has no target attributes"
is "$(span "$T/aws-alb.jsonl" "$sid" | jq -c .status)" '{"message":"HTTP 503","code":2}' "aws-alb: its status"
is "$(jq -r '[.resourceSpans[].resource.attributes[] | "\(.key)=\(.value.stringValue)"] | join(",")' "$T/aws-alb.jsonl")" \
   "service.name=shop-lb,cloud.provider=aws,cloud.platform=aws_elb,cloud.resource_id=app/shop-lb/8a1f3c5e7b9d0f24" \
   "aws-alb: the resource takes the load balancer from a field"

# CloudFront: ids derived from x-edge-request-id; end = date + time, start = end - time-taken
ok_ids=yes
grep -v '^#' "$S/aws-cloudfront/cloudfront.log" | cut -f15 >"$T/cf.ids"
while read -r rid; do
    want="$(derive trace "$rid") $(derive span "$rid")"
    got=$(span "$T/aws-cloudfront.jsonl" "$(derive span "$rid")" | jq -r '.traceId + " " + .spanId')
    [ "$got" = "$want" ] || { ok_ids=no; diag "got '$got', want '$want'"; }
done <"$T/cf.ids"
is "$ok_ids $(wc -l <"$T/cf.ids" | tr -d ' ')" "yes 5" "aws-cloudfront: trace and span id = sha256(tracefill:v1 NUL x-edge-request-id)"
sid=$(derive span "$(sed -n 3p "$T/cf.ids")")
is "$(span "$T/aws-cloudfront.jsonl" "$sid" | jq -c '[.status, (.attributes[] | select(.key == "http.response.status_code") | .value.intValue)]')" \
   '[{"message":"ClientCommError","code":2},"0"]' "aws-cloudfront: status 000 (the client went away) is an ERROR"
sid=$(derive span "$(sed -n 1p "$T/cf.ids")")
is "$(span "$T/aws-cloudfront.jsonl" "$sid" | jq -r '.attributes[] | select(.key == "user_agent.original") | .value.stringValue')" \
   "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0" "aws-cloudfront: the User-Agent is URL-decoded"

# CSV: a BOM and CRLF line ends (an Excel export); a header row; trace ids from the column or derived
ok_ids=yes
tail -n +2 "$S/csv/requests.csv" | tr -d '\r' | awk -F, '{print $2, ($10 == "" ? "-" : $10), ($11 == "" ? "-" : $11)}' >"$T/csv.in"
while read -r rid tr par; do
    [ "$tr" != - ] || tr=$(derive trace "$rid")
    want="$tr $(derive span "$rid") $par"
    got=$(span "$T/csv.jsonl" "$(derive span "$rid")" | jq -r '[.traceId, .spanId, (.parentSpanId // "-")] | join(" ")')
    [ "$got" = "$want" ] || { ok_ids=no; diag "got '$got', want '$want'"; }
done <"$T/csv.in"
is "$ok_ids" yes "csv: span id = sha256(request_id); trace id from its column, else derived; parent from its column"
sid=$(derive span req_9M4N5P6Q7R)
is "$(span "$T/csv.jsonl" "$sid" | jq -r .status.message)" \
   'upstream timed out (110: Connection timed out) while reading response header, upstream: "http://10.0.3.22:8080/api/v1/cart"' \
   "csv: a quoted field with commas and doubled quotes"
is "$(span "$T/csv.jsonl" "$(derive span req_8W3M4N5P6Q)" | attrs_of)" \
   '{"client.address":"198.51.100.23","http.request.method":"POST","http.response.status_code":"201","http.route":"/api/v1/orders","shop.request_id":"req_8W3M4N5P6Q","url.path":"/api/v1/orders","user.id":"u_2077"}' \
   "csv: exact attributes (the BOM is not part of the first column's name; empty fields are absent)"

# logfmt: B3 headers join the load balancer's spans: each parent is an ALB span id from sha256sum
ok_ids=yes
for rid_line in "req_7Q8W3M4N5P 1" "req_8W3M4N5P6Q 2" "req_1P6Q7R8S9T 5"; do
    set -- $rid_line
    alb=$(line_ids "$(sed -n "$2p" "$S/aws-alb/alb.log")" | cut -c33-48)
    albtrace=$(span "$T/aws-alb.jsonl" "$alb" | jq -r .traceId)
    got=$(span "$T/logfmt.jsonl" "$(derive span "$1" shop-api)" | jq -r '.traceId + " " + .parentSpanId')
    [ "$got" = "$albtrace $alb" ] || { ok_ids=no; diag "$1: got '$got', want '$albtrace $alb'"; }
done
is "$ok_ids" yes "logfmt: b3 gives trace and parent: the service's spans are children of the ALB's (ids by sha256sum)"
is "$(span "$T/logfmt.jsonl" "$(derive span req_9M4N5P6Q7R shop-api)" | jq -c '[.traceId, .parentSpanId, .status]')" \
   "[\"$(derive trace req_9M4N5P6Q7R)\",null,{\"message\":\"inventory: context deadline exceeded\",\"code\":2}]" \
   "logfmt: b3=0 (not sampled, no ids) falls back to the derived trace; level=error is ERROR with err"
contains "$T/err" "6 records from 1 stream: 4 spans" "logfmt: lines without a path are skipped, not rejected"

# ---- bad lines: rejects with line numbers and reasons ------------------------------
M=$S/nginx-combined/mapping.json
good='1.2.3.4 - - [15/Jul/2024:23:33:19 +0000] "GET / HTTP/1.1" 200 5 "-" "c"'
bad_status='1.2.3.4 - - [15/Jul/2024:23:33:19 +0000] "GET / HTTP/1.1" 2OO 5 "-" "c"'
bad_time='1.2.3.4 - - [15/Jul/2024:25:33:19 +0000] "GET /x HTTP/1.1" 200 5 "-" "c"'
short='1.2.3.4 - - [15/Jul/2024:23:33:19 +0000] "GET /y HTTP/1.1" 200 5 "-"'
printf '%s\n' "$good" "$bad_status" '' "$bad_time" "$short" "$good" >"$T/mixed.log"
run_tf rc run -o "$T/mixed.jsonl" --profile "$M" "$T/mixed.log"
is "$rc" 3 "bad lines: exit status 3 (records rejected)"
is "$(nspans "$T/mixed.jsonl")" 2 "bad lines: the good lines still map"
# the first byte that cannot fit: the one after "... HTTP/1.1\" 2" (1-based)
prefix='1.2.3.4 - - [15/Jul/2024:23:33:19 +0000] "GET / HTTP/1.1" 2'
is "$(jq -r '"\(.line) \(.reason)"' "$T/mixed.rejects.jsonl")" "$(
    printf '2 does not match nginx-combined from byte %d: "OO 5 \\"-\\" \\"c\\""\n' $(( ${#prefix} + 1 ))
    printf '4 field "time_local": "15/Jul/2024:25:33:19 +0000" is not a time (time:clf)\n'
    printf '5 does not match nginx-combined: the line ends early (after byte %d)\n' ${#short})" \
   "bad lines: each reject has its line number (blank lines counted) and why it did not match"
is "$(jq -r 'select(.line == 4) | .record' "$T/mixed.rejects.jsonl")" "$bad_time" "bad lines: the rejected line is kept exactly"
is "$(jq -r 'select(.line == 2) | .offset' "$T/mixed.rejects.jsonl")" "$(( ${#good} + 1 ))" "bad lines: and its byte offset"

# ---- the early stop: a file of another format ------------------------------------------
awk 'BEGIN { for (i = 1; i <= 1500; i++) printf "{\"time\":\"2024-07-15T23:33:19Z\",\"n\":%d}\n", i }' >"$T/json.log"
printf '%s\n' "$good" >"$T/ok.log"
run_tf rc run -o "$T/stop.jsonl" --profile "$M" "$T/json.log" "$T/ok.log"
is "$rc" 4 "early stop: exit status 4 (a stream failed)"
contains "$T/err" "json.log: 0 of the first 1000 lines match nginx-combined: is this the right format?" \
    "early stop: one clear error naming the file and the format"
is "$(jq -c '[.kind, .reason]' "$T/stop.rejects.jsonl")" \
   '["stream","0 of the first 1000 lines match nginx-combined: is this the right format?"]' \
   "early stop: the rejects file holds the stream error alone, not 1000 rejected lines"
is "$(jq -r .offset "$T/stop.rejects.jsonl")" "$(head -n 999 "$T/json.log" | wc -c | tr -d ' ')" \
   "early stop: at the start of line 1000"
is "$(nspans "$T/stop.jsonl")" 1 "early stop: the next input is still read"
run_tf rc run --threads 3 -o "$T/stop3.jsonl" --profile "$M" "$T/json.log" "$T/ok.log"
is "$rc:$(jq -c -s 'map(.kind)' "$T/stop3.rejects.jsonl"):$(nspans "$T/stop3.jsonl")" '4:["stream"]:1' \
   "early stop: the same with 3 mapping threads"
# one matching line among the first 1000 keeps the stream going
{ head -n 998 "$T/json.log"; printf '%s\n' "$good"; tail -n +999 "$T/json.log"; } >"$T/late.log"
run_tf rc run -o "$T/late.jsonl" --profile "$M" "$T/late.log"
is "$rc:$(nspans "$T/late.jsonl"):$(jq -c -s 'map(select(.kind == "record")) | length' "$T/late.rejects.jsonl")" "3:1:1500" \
   "early stop: a match at line 999 keeps the file: 1 span, the other 1500 lines rejected one by one"
{ head -n 1000 "$T/json.log"; printf '%s\n' "$good"; } >"$T/toolate.log"
run_tf rc run -o "$T/toolate.jsonl" --profile "$M" "$T/toolate.log"
is "$rc:$(jq -c -s 'map(.kind)' "$T/toolate.rejects.jsonl")" '4:["stream"]' "early stop: a first match at line 1001 comes too late"
# fewer than 1000 lines: judged line by line
head -n 20 "$T/json.log" >"$T/short.log"
run_tf rc run -o "$T/short.jsonl" --profile "$M" "$T/short.log"
l1=$(head -n 1 "$T/short.log")
is "$rc:$(jq -s 'length' "$T/short.rejects.jsonl"):$(jq -r -s '.[0].reason' "$T/short.rejects.jsonl")" \
   "3:20:does not match nginx-combined: the line ends early (after byte ${#l1})" \
   "early stop: a short file of another format has its lines rejected, each saying why"

# ---- CloudFront: #Fields: names the columns ------------------------------------------------
M=$S/aws-cloudfront/mapping.json
{
    printf '#Version: 1.0\n#Fields: date time cs-method cs-uri-stem sc-status x-edge-request-id time-taken x-edge-detailed-result-type\n'
    printf '2024-07-15\t23:40:00\tGET\t/a\t200\tReqOne==\t0.250\tHit\n'
    printf '#Fields: time date x-edge-request-id cs-uri-stem cs-method sc-status time-taken x-edge-detailed-result-type\n'
    printf '23:40:01\t2024-07-15\tReqTwo==\t/b\tHEAD\t503\t1.5\tOriginError\n'
} >"$T/cf-custom.log"
run_tf rc run -o "$T/cf-custom.jsonl" --profile "$M" "$T/cf-custom.log"
is "$rc" 0 "cloudfront: a log with its own #Fields: maps cleanly"
t0=$(date -u -d 2024-07-15T23:40:00Z +%s)
is "$(tree "$T/cf-custom.jsonl")" "$(printf '%s\n' \
    "$(derive trace ReqOne==) $(derive span ReqOne==) - $((t0 * 1000000000 - 250000000)) $((t0 * 1000000000)) 2 0 GET /a" \
    "$(derive trace ReqTwo==) $(derive span ReqTwo==) - $(((t0 + 1) * 1000000000 - 1500000000)) $(((t0 + 1) * 1000000000)) 2 2 HEAD /b" |
    LC_ALL=C sort)" "cloudfront: columns from #Fields: (fewer, reordered, changed half-way), timestamp = date + time"
printf '2024-07-15\t23:40:00\tGET\t/a\n' >"$T/w3c-nofields.log"
cat >"$T/w3c.json" <<'EOF'
{"format": "w3c", "span": {"name": "{cs-method} {cs-uri-stem}", "end": "timestamp"}}
EOF
run_tf rc run -o "$T/w3c.jsonl" --profile "$T/w3c.json" "$T/w3c-nofields.log"
is "$(jq -c '[.line, .reason]' "$T/w3c.rejects.jsonl")" '[1,"no #Fields: directive before this line"]' \
    "w3c: a data line before any #Fields: is rejected, saying so"

# ---- gzip'd input, a directory of text logs --------------------------------------------------
gzip -c "$S/aws-alb/alb.log" >"$T/alb.log.gz"
run_tf rc run -o "$T/alb-gz.jsonl" --profile "$S/aws-alb/mapping.json" "$T/alb.log.gz"
is "$rc" 0 "gzip: a gzipped ALB log maps cleanly"
is "$(tree "$T/alb-gz.jsonl")" "$(expected "$S/aws-alb/expected-spans.txt")" "gzip: the same tree as the plain log"

mkdir -p "$T/nginx/old"
M=$S/nginx-combined/mapping.json
sed -n 1,3p "$S/nginx-combined/access.log" >"$T/nginx/access.log"
sed -n 4,6p "$S/nginx-combined/access.log" >"$T/nginx/access.log.1"
sed -n 7,8p "$S/nginx-combined/access.log" | gzip >"$T/nginx/old/access.log.2.gz"
printf '2024/07/15 23:33:19 [error] 12#12: *7 connect() failed (111: Connection refused)\n' >"$T/nginx/error.log"
printf '\211PNG\r\n\032\n\000\000\000\rIHDR' >"$T/nginx/favicon.png"
run_tf rc run -o "$T/dir.jsonl" --profile "$M" --exclude 'error.log*' "$T/nginx"
is "$rc" 0 "directory: a directory of text logs maps cleanly"
is "$(tree "$T/dir.jsonl")" "$(expected "$S/nginx-combined/expected-spans.txt")" \
    "directory: the three pieces (one gzipped, in a subdirectory) give the sample's tree"
contains "$T/err" "8 records from 3 streams" "directory: three streams read as text"
contains "$T/err" "favicon.png: skipped: binary data" "directory: a binary file is skipped, with a note"

# ---- CSV and TSV: header rows per file ---------------------------------------------------------
cat >"$T/csvmap.json" <<'EOF'
{"format": {"type": "csv", "fields": {"t": "time:epoch:ms"}},
 "span": {"name": "{op}", "start": "t", "span_id": {"derive": ["id"]}, "attributes": {"a": "a"}}}
EOF
printf 'id,op,t,a\n1,read,1721086399000,x\n' >"$T/one.csv"
printf 't,a,op,id\n1721086400500,y,write,2\n' >"$T/two.csv"
run_tf rc run -o "$T/csv2.jsonl" --profile "$T/csvmap.json" "$T/one.csv" "$T/two.csv"
is "$(jq -r '.resourceSpans[].scopeSpans[].spans[] | [.spanId, .name, .startTimeUnixNano, .attributes[0].value.stringValue] | join(" ")' "$T/csv2.jsonl")" \
   "$(derive span 1) read 1721086399000000000 x
$(derive span 2) write 1721086400500000000 y" "csv: each file's header row names its own columns"
printf 'id,op,id\n1,read,1\n' >"$T/dup.csv"
run_tf rc run -o "$T/dup.jsonl" --profile "$T/csvmap.json" "$T/dup.csv" "$T/one.csv"
is "$rc" 4 "csv: a header row with a repeated name stops that file (exit 4)"
contains "$T/err" "dup.csv: line 1: header row: \"id\" twice (columns 1 and 3)" "csv: the error names the file, line and column"
is "$(nspans "$T/dup.jsonl")" 1 "csv: the other file is still read"

cat >"$T/tsvmap.json" <<'EOF'
{"format": {"type": "tsv", "columns": ["user", "op", "t"], "header": false, "fields": {"t": "time:epoch:s"},
            "null": [""]},
 "span": {"name": "{op} by {user|'nobody'}", "start": "t", "span_id": {"derive": ["op", "t"]}}}
EOF
printf '\tread\t1721086399\nann\twrite\t1721086400\n' >"$T/a.tsv"
run_tf rc run -o "$T/tsv.jsonl" --profile "$T/tsvmap.json" "$T/a.tsv"
is "$(jq -r '.resourceSpans[].scopeSpans[].spans[].name' "$T/tsv.jsonl" | tr '\n' ,)" "read by nobody,write by ann," \
    "tsv: a line starting with a tab keeps its empty first field"

# ---- resuming after the header row ----------------------------------------------------------------
# A slow run (the test receiver, a rate limit) stopped by SIGTERM half-way
# resumes after the header row; the columns must still come from it.
awk 'BEGIN { print "id,op,t,a"; for (i = 1; i <= 3000; i++) printf "%d,op%d,%d,%s\n", i, i % 7, 1721086399000 + i, "v" i }' >"$T/big.csv"
start_receiver
rargs="run --no-progress --endpoint $RECV_URL --checkpoint $T/big-ck.json --checkpoint-interval 50ms --rate-limit 2000 --batch-spans 100 --profile $T/csvmap.json $T/big.csv"
"$TRACEFILL" $rargs >"$T/big1.out" 2>"$T/big1.err" &
pid=$!
recv_wait_requests 5 10 || true
kill -TERM $pid
rc=0; wait $pid || rc=$?
is "$rc" 75 "resume: SIGTERM stops the CSV run (resumable status)"
off=$(jq '.streams[0].offset' "$T/big-ck.json")
hdr=$(head -n 1 "$T/big.csv" | wc -c | tr -d ' ')
[ "$off" -gt "$hdr" ] && [ "$off" -lt "$(wc -c <"$T/big.csv" | tr -d ' ')" ] &&
    pass "resume: the checkpoint is past the header row, inside the file ($off)" || fail "resume: checkpoint offset $off"
run_tf rc $rargs
is "$rc" 0 "resume: the resumed run completes"
contains "$T/err" "0 filtered out, 0 rejected" "resume: no line rejected"
awk '{print $2}' "$RECV_DIR/spans.log" | sort -u >"$T/big.got"
awk -F, 'NR > 1 {print $1}' "$T/big.csv" | while read -r id; do derive span "$id"; done | sort -u >"$T/big.want"
check "resume: every line's span arrived (span ids by sha256sum)" -- cmp "$T/big.want" "$T/big.got"
stop_receiver

# ---- inspect ---------------------------------------------------------------------------------------
run_tf rc inspect --profile "$S/nginx-combined/mapping.json" "$S/nginx-combined/access.log"
is "$rc" 0 "inspect: exits 0"
contains "$T/out" "framing:     text lines" "inspect: the framing"
contains "$T/out" "profile:     nginx (given by --profile (mapping file), format regex, preset nginx-combined, 13 fields" \
    "inspect: the format and the preset"
contains "$T/out" "records:     8 (7 spans, 0 rejected, 0 filtered out)" "inspect: the counts (the skipped health check is no span)"
first=$(line_ids "$(head -n 1 "$S/nginx-combined/access.log")")
contains "$T/out" "first span:  {\"traceId\":\"$(echo "$first" | cut -c1-32)\",\"spanId\":\"$(echo "$first" | cut -c33-48)\",\"name\":\"GET /api/v1/orders\"" \
    "inspect: the first span"
run_tf rc inspect --profile "$S/aws-cloudfront/mapping.json" "$S/aws-cloudfront/cloudfront.log"
contains "$T/out" "format w3c, preset aws-cloudfront" "inspect: a w3c preset"
contains "$T/out" "records:     5 (5 spans" "inspect: the #Version and #Fields: lines are no records"
run_tf rc inspect --profile "$S/nginx-combined/mapping.json" "$T/json.log"
is "$rc" 4 "inspect: the early stop is an input error"
contains "$T/out" "error:       0 of the first 1000 lines match nginx-combined: is this the right format?" "inspect: and shows it"

# ---- resources from a per-line field --------------------------------------------------------------
cat >"$T/resmap.json" <<'EOF'
{"format": {"type": "logfmt", "fields": {"t": "time:epoch:s"}},
 "resource": {"service.name": {"const": "api"}, "host.name": "host"},
 "span": {"name": "req", "start": "t", "span_id": {"derive": ["host"]}}}
EOF
awk 'BEGIN { for (i = 1; i <= 6000; i++) printf "t=%d host=h%d\n", 1721086399 + i, i % 5000 }' >"$T/hosts.log"
run_tf rc run --threads 1 -o "$T/hosts.jsonl" --profile "$T/resmap.json" "$T/hosts.log"
is "$rc" 0 "resources: 5000 distinct resources (more than one thread interns) map cleanly"
jq -r '.resourceSpans[] | (.resource.attributes[] | select(.key == "host.name") | .value.stringValue) as $h |
       .scopeSpans[].spans[] | $h + " " + .spanId' "$T/hosts.jsonl" | sort -u >"$T/hosts.got"
awk '{ sub("host=", "", $2); print $2 }' "$T/hosts.log" | sort -u | while read -r h; do echo "$h $(derive span "$h")"; done |
    sort -u >"$T/hosts.want"
check "resources: every span carries its own line's host, interned or not" -- cmp "$T/hosts.want" "$T/hosts.got"
is "$(nspans "$T/hosts.jsonl")" 6000 "resources: all 6000 spans"
