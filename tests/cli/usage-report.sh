#!/bin/sh
# usage-report.sh: `tracefill report` (doc/report.md) on OpenRouter records
# with known figures: the JSON's totals, per day and model, error rate, top
# user and latency median agree with jq/awk over the input records; the
# rejects are run's; nothing is sent or written but the report; the HTML has
# no script and no external reference, escapes a hostile model name, is
# well-formed XML where it draws (xmllint), and renders to a non-blank page
# in headless Chromium at desktop and phone widths.
. "$top_srcdir/tests/setup.sh"
need_cmd jq awk
PNG=$top_builddir/tests/tools/png-colours
HOSTILE='<script>alert(1)</script>&"'"'"

# 600 records over three days, five models (one hostile), errors every 9th.
mkdir -p "$T/in"
awk -v hostile="$HOSTILE" 'BEGIN {
    split("openai/gpt-4o-mini anthropic/claude-3.5-sonnet google/gemini-flash-1.5 mistralai/mistral-small", m, " ")
    m[5] = hostile; gsub(/"/, "\\\"", m[5])
    for (i = 0; i < 600; i++) {
        day = 1 + i % 3; mod = 1 + (i * 7) % 5
        user = i % 5 == 0 ? "user-0" : "user-" (1 + i % 37)
        lat = 200 + (i * 37) % 3000; in_t = 50 + (i * 13) % 2000; out_t = 5 + (i * 11) % 700
        cached = i % 4 == 0 ? int(in_t / 2) : 0; reas = i % 6 == 0 ? 17 : 0
        cost = sprintf("%.8f", in_t * 1.5e-7 + out_t * 6e-7)
        fin = i % 9 == 0 ? "error" : "stop"
        printf "{\"id\":\"gen-%d\",\"created_at\":\"2025-06-%02dT%02d:%02d:%02d.000Z\",\"model\":\"%s\",", i, day, 1 + i % 22, i % 60, (i * 7) % 60, m[mod]
        printf "\"provider_name\":\"P\",\"latency\":%d,\"generation_time\":%d,\"moderation_latency\":5,", lat, lat - 50
        printf "\"native_tokens_prompt\":%d,\"native_tokens_completion\":%d,\"native_tokens_cached\":%d,", in_t, out_t, cached
        printf "\"native_tokens_reasoning\":%d,\"total_cost\":%s,\"finish_reason\":\"%s\",", reas, cost, fin
        printf "\"user\":\"%s\",\"session_id\":\"sess-%d\"}\n", user, i % 50
    }
}' >"$T/in/good.jsonl"
{ head -n 300 "$T/in/good.jsonl"; printf 'not json at all\n'; printf '{"id":"gen-x","created_at":"not a time","model":"a/b"}\n'; } >"$T/in/a.jsonl"
tail -n 300 "$T/in/good.jsonl" | gzip >"$T/in/b.jsonl.gz"
G=$T/in/good.jsonl
check "the test records are JSON" -- jq -e . "$G"

# --- JSON figures against the records ---
mkdir "$T/cwd"
set +e
(cd "$T/cwd" && "$TRACEFILL" report -q --profile openrouter --format json "$T/in/a.jsonl" "$T/in/b.jsonl.gz") 2>"$T/err"
rc=$?
set -e
is "$rc" 3 "report exits 3 (some records rejected), as run does"
J=$T/cwd/report.json
check "--format json writes report.json by default" -- test -s "$J"
is "$(ls "$T/cwd")" "report.json" "nothing else is written (no spans, no rejects file)"
is "$(jq -r .schema "$J")" "tracefill.report/1" "schema version"
is "$(jq .totals.requests "$J")" "$(wc -l <"$G" | tr -d ' ')" "requests = good records"
for t in input:native_tokens_prompt output:native_tokens_completion cached:native_tokens_cached reasoning:native_tokens_reasoning; do
    is "$(jq ".totals.tokens.${t%%:*}" "$J")" "$(jq -s "map(.${t#*:}) | add" "$G")" "tokens ${t%%:*} = the records' ${t#*:}"
done
# A failed request carries no cost (doc/spans.md): the sum is over the others.
want_cost=$(grep -v '"finish_reason":"error"' "$G" | awk -F'"total_cost":' '{ split($2, a, ","); s += a[1] } END { printf "%.8f", s }')
got_cost=$(jq .totals.cost "$J")
awk -v a="$got_cost" -v b="$want_cost" 'BEGIN { d = a - b; exit !(d < 1e-6 && d > -1e-6) }' &&
    pass "cost $got_cost = the sum over the records that did not fail, $want_cost" || fail "cost $got_cost, expected $want_cost"
errs=$(jq -s 'map(select(.finish_reason == "error")) | length' "$G")
is "$(jq .totals.errors "$J")" "$errs" "errors = records finishing with an error"
is "$(jq .totals.error_rate "$J" | awk '{ printf "%.6f", $1 }')" "$(awk -v e="$errs" 'BEGIN { printf "%.6f", e / 600 }')" \
    "error rate"
is "$(jq .totals.traces "$J")" 600 "one trace per record"
is "$(jq -r .range.first_start "$J")" "2025-06-01T01:00:00.000000000Z" "first start"
is "$(jq -r .range.last_start "$J")" "$(jq -rs 'map(.created_at) | sort | last | sub("\\.000Z$"; ".000000000Z")' "$G")" "last start"
# per day and model
jq -r '"\(.created_at[0:10])\t\(.model)"' "$G" | sort | uniq -c | sed 's/^ *\([0-9]*\) /\1\t/' | sort >"$T/want-dm"
jq -r '.daily[] | .date as $d | .models[] | "\(.requests)\t\($d)\t\(.model)"' "$J" | sort >"$T/got-dm"
check "requests per day and model = the records'" -- cmp "$T/want-dm" "$T/got-dm"
jq -r '[.created_at[0:10], .native_tokens_completion] | @tsv' "$G" | awk '{ s[$1] += $2 } END { for (d in s) print d, s[d] }' \
    | sort >"$T/want-dt"
jq -r '.daily[] | "\(.date) \(.tokens.output)"' "$J" | sort >"$T/got-dt"
check "output tokens per day = the records'" -- cmp "$T/want-dt" "$T/got-dt"
# top user
top=$(jq -r .user "$G" | sort | uniq -c | sort -k1,1nr -k2 | head -1)
is "$(jq -r '.users.top[0] | "\(.requests) \(.key)"' "$J")" "$(echo $top)" "top user and its requests"
is "$(jq .users.exact "$J")" true "users: exact (fewer than the sketch holds)"
# latency median: nearest rank over the records' latencies (ms -> us)
n=$(wc -l <"$G" | tr -d ' ')
exact=$(jq .latency "$G" | sort -n | sed -n "$(((n + 1) / 2))p")
p50=$(jq .totals.latency_us.p50 "$J")
awk -v p="$p50" -v e="$exact" 'BEGIN { exit !(p >= e * 1000 && p <= e * 1000 * 1.032) }' &&
    pass "p50 $p50 us within 3.2% above the exact median ${exact} ms" || fail "p50 $p50 us, exact median $exact ms"
is "$(jq .totals.latency_us.max "$J")" "$(($(jq .latency "$G" | sort -n | tail -1) * 1000))" "max latency exact"
is "$(jq -r --arg h "$HOSTILE" '[.models[] | select(.name == $h) | .requests] | add' "$J")" \
    "$(jq -s --arg h "$HOSTILE" 'map(select(.model == $h)) | length' "$G")" "the hostile model counted under its own name"

# --- the same rejects as run ---
run_tf rc run -q --profile openrouter -o "$T/spans.jsonl" --rejects "$T/run-rej.jsonl" --summary-json "$T/s.json" \
    "$T/in/a.jsonl" "$T/in/b.jsonl.gz"
is "$(jq .run.rejected "$J")" 2 "two records rejected"
is "$(jq -c '[.run.rejects[] | [.reason, .count]]' "$J")" "$(jq -c '.totals.records.reasons | to_entries | map([.key, .value])' "$T/s.json")" \
    "the reasons and counts are run's"
is "$(jq .run.spans "$J")" "$(jq .totals.spans.built "$T/s.json" 2>/dev/null || jq .totals.spans.sent "$T/s.json")" "spans = what run built"
is "$(jq .run.records "$J")" 602 "records read"
run_tf rc report -q --profile openrouter -o "$T/r2.json" --format json --rejects "$T/rej.jsonl" "$T/in/a.jsonl"
is "$(wc -l <"$T/rej.jsonl" | tr -d ' ')" 2 "--rejects FILE keeps the rejected records"

# --- stdin through a pipe, deterministic ---
{ cat "$T/in/a.jsonl"; gzip -dc "$T/in/b.jsonl.gz"; } | "$TRACEFILL" report -q --profile openrouter --format json -o - - \
    >"$T/pipe.json" 2>/dev/null || true
is "$(jq -c '[.totals, .daily, .models]' "$T/pipe.json")" "$(jq -c '[.totals, .daily, .models]' "$J")" \
    "from a pipe: the same figures"
(cd "$T/cwd" && "$TRACEFILL" report -q --profile openrouter "$T/in/a.jsonl" "$T/in/b.jsonl.gz" 2>/dev/null) || true
H=$T/cwd/report.html
check "HTML by default to report.html" -- test -s "$H"
"$TRACEFILL" report -q --profile openrouter -o "$T/again.html" "$T/in/b.jsonl.gz" "$T/in/a.jsonl" 2>/dev/null || true
"$TRACEFILL" report -q --profile openrouter -o "$T/again2.html" "$T/in/b.jsonl.gz" "$T/in/a.jsonl" 2>/dev/null || true
check "the same input gives the same HTML" -- cmp "$T/again.html" "$T/again2.html"

# --- a corrupt input: said, the others counted, exit 4 ---
head -c 3000 "$T/in/b.jsonl.gz" >"$T/cut.jsonl.gz"
run_tf rc report -q --profile openrouter --format json -o "$T/cut.json" "$T/cut.jsonl.gz" "$T/in/a.jsonl"
is "$rc" 4 "a truncated input: exit 4"
contains "$T/err" "cut.jsonl.gz" "the error names the input"
is "$(jq .run.input_errors "$T/cut.json")" 1 "the report counts the failed input"
is "$(jq '.run.records >= 302' "$T/cut.json")" true "the other input is read whole (302 records at least)"
# --usage-metrics alongside: the same requests
run_tf rc report -q --profile openrouter --format json -o "$T/um.json" --usage-metrics "$T/um.om" --usage-window 72h "$T/in/b.jsonl.gz"
check "report writes --usage-metrics too when asked" -- test -s "$T/um.om"
is "$(jq .totals.requests "$T/um.json")" 300 "and its report counts the 300 records of b"

# -o naming something that is not a regular file (a FIFO here; /dev/null
# alike) is written in place, never replaced by a file.
if command -v mkfifo >/dev/null 2>&1; then
    mkfifo "$T/fifo"
    cat "$T/fifo" >"$T/from-fifo" &
    cat_pid=$!
    run_tf rc report -q --profile openrouter --format json -o "$T/fifo" "$T/in/b.jsonl.gz"
    wait $cat_pid || true
    is "$rc" 0 "-o FIFO: exit 0"
    [ -p "$T/fifo" ] && pass "-o FIFO: still a FIFO (not replaced by a file)" || fail "-o FIFO was replaced"
    is "$(jq .totals.requests "$T/from-fifo")" 300 "-o FIFO: the report came through it"
else
    for i in 1 2 3; do skip "mkfifo is not installed"; done
fi

# --- refused options ---
run_tf rc report --checkpoint "$T/ck" "$T/in/a.jsonl"
is "$rc" 2 "report refuses --checkpoint"
run_tf rc report --format xml "$T/in/a.jsonl"
is "$rc" 2 "report refuses --format xml"

# --- the HTML page ---
if grep -qi '<script' "$H"; then fail "no <script in the HTML"; else pass "no <script in the HTML"; fi
if grep -Eqi 'https?://|src=|href=|url\(|@import|@font-face' "$H"; then
    fail "no external reference"; diag "$(grep -Eoi '.{20}(https?://|src=|href=|url\(|@import|@font-face).{20}' "$H" | head -3)"
else pass "no external reference (no http(s)://, src=, href=, url(), @import, web font)"; fi
contains "$H" '&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;&#39;' "the hostile name is escaped"
lacks "$H" "$HOSTILE" "the raw hostile name is not in the page"
contains "$H" '<meta name="viewport"' "viewport meta"
contains "$H" '@media print' "print CSS"
contains "$H" '<svg class="chart"' "SVG charts"
contains "$H" 'class="legend"' "a legend"
is "$(grep -o '<svg' "$H" | wc -l | tr -d ' ')" 3 "three charts (requests, tokens, cost)"
if command -v xmllint >/dev/null 2>&1; then
    sed -e 's/.*<body>/<body>/' -e 's/<\/body>.*/<\/body>/' "$H" | tr -d '\n' >"$T/body.xml"
    check "the page body (with its SVG) is well-formed XML (xmllint)" -- xmllint --noout "$T/body.xml"
    grep -o '<svg.*</svg>' "$T/body.xml" | sed 's/<\/svg>.*//' | sed 's/$/<\/svg>/' >"$T/svg1.xml"
    check "the first chart alone is well-formed XML" -- xmllint --noout "$T/svg1.xml"
else
    skip "xmllint is not installed (Debian: libxml2-utils)"
    skip "xmllint is not installed"
fi

# --- rendered by headless Chromium ---
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
render() { # WIDTH OUT.PNG
    timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$T/chromium" \
        --screenshot="$2" --window-size="$1",2000 "file://$H" >"$T/chromium.log" 2>&1 || true
}
png_size() { od -An -tu1 -j16 -N8 "$1" | awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4 "x" $5 * 16777216 + $6 * 65536 + $7 * 256 + $8 }'; }
if [ -x "$CHROMIUM" ]; then
    for w in 1280 390; do
        render "$w" "$T/page-$w.png"
        if [ -s "$T/page-$w.png" ]; then
            is "$(png_size "$T/page-$w.png")" "${w}x2000" "Chromium renders at $w px wide (IHDR)"
            colours=$("$PNG" "$T/page-$w.png" | cut -d' ' -f3)
            [ "${colours:-0}" -ge 8 ] && pass "the $w px render is not blank ($colours colours)" ||
                { fail "the $w px render is blank ($colours colours)"; diag "$(tail -5 "$T/chromium.log")"; }
        else
            fail "Chromium rendered nothing at $w px"; diag "$(tail -5 "$T/chromium.log")"
            skip "no PNG to look at"
        fi
    done
else
    for i in 1 2 3 4; do skip "chromium is not installed (Debian: chromium)"; done
fi
