#!/bin/sh
# bad-input.sh: the bad-input suite. tests/data/bad/make-cases.sh writes each
# case (a good record, a bad one, a good one) with its expected outcome; for
# each: the exit status, the one reject with its line and reason, the stream
# named in the rejects file, and the good records' spans all delivered: the
# same spans a run over the file without the bad line gives. Then the cases
# all at once, as one run over a directory: every good record of every file.
. "$top_srcdir/tests/setup.sh"
need_cmd jq
sh "$top_srcdir/tests/data/bad/make-cases.sh" "$T/bad"
ids() { jq -r '.resourceSpans[].scopeSpans[].spans[] | .traceId + " " + .spanId' "$1" | LC_ALL=C sort; }

n_cases=0
tab=$(printf '\t')
while IFS=$tab read -r name want line reason; do
    n_cases=$((n_cases + 1))
    f=$T/bad/$name.jsonl
    run_tf rc run --no-progress --profile openrouter -o "$T/$name.out" --rejects "$T/$name.rej" "$f"
    is "$rc" "$want" "$name: exit $want"
    if [ "$line" = 0 ]; then
        [ ! -s "$T/$name.rej" ] && pass "$name: nothing rejected" || { fail "$name: something was rejected"; diag "$(head -c 400 "$T/$name.rej")"; }
        awk 'NF' "$f" >"$T/$name.good" # what must arrive: every non-blank line
    else
        is "$(wc -l <"$T/$name.rej" | tr -d ' ')" 1 "$name: one reject"
        is "$(jq -r .line "$T/$name.rej")" "$line" "$name: the reject names line $line"
        is "$(jq -r .stream "$T/$name.rej")" "$f" "$name: and the file"
        r=$(jq -r .reason "$T/$name.rej")
        case $r in *"$reason"*) pass "$name: reason: $reason" ;; *) fail "$name: reason is \"$r\", expected \"$reason\"" ;; esac
        contains "$T/err" "1 rejected" "$name: the summary counts it"
        sed "${line}d" "$f" >"$T/$name.good" # the file without the bad line
    fi
    run_tf rc2 run --no-progress --profile openrouter -o "$T/$name.ref" "$T/$name.good"
    [ "$rc2" = 0 ] && [ -s "$T/$name.ref" ] || { fail "$name: the reference run failed ($rc2)"; continue; }
    if [ "$(ids "$T/$name.out")" = "$(ids "$T/$name.ref")" ]; then
        pass "$name: the good records around it are all delivered"
    else
        fail "$name: the spans delivered differ from the good records'"
    fi
done <"$T/bad/cases"
[ "$n_cases" -ge 15 ] && pass "$n_cases cases ran" || fail "only $n_cases cases"

# What the accepted odd records became.
jq -r '.resourceSpans[].scopeSpans[].spans[] | .attributes[] | select(.key == "trace.metadata.openrouter_generation.tokens_prompt") | .value.stringValue // empty' \
    "$T/huge-number.out" >"$T/hn"
is "$(cat "$T/hn")" "1e400" "a number out of range is kept as its text, not lost or turned into inf"
is "$(jq -r '.resourceSpans[].scopeSpans[].spans[] | .attributes[] | select(.key == "gen_ai.response.id") | .value.stringValue' "$T/duplicate-key.out" | grep -c '^gen-dup')" 1 \
    "a duplicated key gives one span id (the last value wins, as in jq)"
is "$(jq -r '.resourceSpans[].scopeSpans[].spans[] | .attributes[] | select(.key == "gen_ai.response.id") | .value.stringValue' "$T/duplicate-key.out" | grep '^gen-dup')" \
    "$(jq -r .id "$T/bad/duplicate-key.jsonl" | grep '^gen-dup')" "the value jq reads"

# All the cases in one run: one reject per bad case, every good record.
run_tf rc run --no-progress --profile openrouter -o "$T/all.out" --rejects "$T/all.rej" "$T/bad"
is "$rc" 3 "every case in one run: exit 3 (records rejected)"
want=$(awk -F'\t' '$3 != 0' "$T/bad/cases" | wc -l | tr -d ' ')
is "$(jq -r 'select(.kind == "record") | .stream' "$T/all.rej" | wc -l | tr -d ' ')" "$want" "one reject per bad case"
is "$(ids "$T/all.out" | wc -l | tr -d ' ')" "$(jq -r '.resourceSpans[].scopeSpans[].spans[].spanId' "$T"/*.ref | wc -l | tr -d ' ')" \
    "every good record of every case is delivered"
