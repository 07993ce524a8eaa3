#!/bin/sh
# make-cases.sh DIR: writes the bad-input cases into DIR, one file each, and
# DIR/cases listing them. Every case file holds a good OpenRouter record, the
# bad one, and another good record (the good ones are copies of GOOD with
# other ids), so a test can check that the good records around a bad one are
# still delivered. Cases are made at test time from the text below; nothing
# binary is committed. DIR/cases lines: NAME<TAB>EXPECTED-EXIT<TAB>LINE OF
# THE BAD RECORD (0: none)<TAB>WHAT THE REJECT REASON OR THE ERROR SAYS.
set -eu
out=${1:?usage: make-cases.sh DIR}
mkdir -p "$out"
cd "$out"
good() { # good N: a valid record with id gen-bad-N
    printf '{"id":"gen-bad-%s","created_at":"2025-06-01T08:00:0%s.000000+00:00","model":"openai/gpt-4o-mini","provider_name":"OpenAI","latency":1200,"generation_time":1100,"tokens_prompt":10,"tokens_completion":5,"total_cost":0.0001,"user":"u-1","session_id":"s-1"}\n' "$1" "$1"
}
# nest N OPEN CLOSE: N levels of OPEN ... CLOSE around 0
nest() { awk -v n="$1" -v o="$2" -v c="$3" 'BEGIN { s = ""; for (i = 0; i < n; i++) s = s o; s = s "0"; for (i = 0; i < n; i++) s = s c; printf "%s", s }'; }
: >cases
case_() { # case_ NAME EXIT LINE REASON: the file NAME.jsonl is written from stdin
    cat >"$1.jsonl"
    printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>cases
}
sandwich() { good 1; cat; good 2; }

printf '{"id":"gen-x","created_at":"2025-06-01T08:00:00Z"\n' | sandwich |
    case_ unterminated 3 2 "the record ends inside a value"
{ printf '{"broken": 0\n'; good 1; good 2; } | case_ broken-first-line 3 1 "the record ends inside a value"
{ printf '{"id":"gen-deep","created_at":"2025-06-01T08:00:00Z","model":"m","metadata":'; nest 100000 '[' ']'; printf '}\n'; } |
    sandwich | case_ deep-arrays 3 2 "nesting deeper than 1000 levels"
{ printf '{"id":"gen-deepo","created_at":"2025-06-01T08:00:00Z","model":"m","metadata":'; nest 20000 '{"k":' '}'; printf '}\n'; } |
    sandwich | case_ deep-objects 3 2 "nesting deeper than 1000 levels"
printf '{"id":"gen-utf","created_at":"2025-06-01T08:00:00Z","model":"bad \377\376 utf8"}\n' | sandwich |
    case_ invalid-utf8 3 2 "invalid bytes in UTF8 string"
printf '{"id":"gen-nul","created_at":"2025-06-01T08:00:00Z","model":"a\000b"}\n' | sandwich |
    case_ nul-byte 3 2 "invalid character inside string"
printf '{"id":"gen-time","created_at":"2025-13-45T99:00:00Z","model":"m"}\n' | sandwich |
    case_ bad-time 3 2 "created_at is not a valid timestamp"
printf '{"id":"gen-notime","model":"m"}\n' | sandwich |
    case_ no-time 3 2 "no created_at timestamp"
printf '{"id":"gen-lat","created_at":"2025-06-01T08:00:00Z","model":"m","latency":"slow"}\n' | sandwich |
    case_ latency-string 3 2 "latency is not a duration in milliseconds"
printf '{"id":"gen-neg","created_at":"2025-06-01T08:00:00Z","model":"m","latency":-5}\n' | sandwich |
    case_ latency-negative 3 2 "latency is not a duration in milliseconds"
printf '[1,2,3]\n' | sandwich | case_ not-an-object 3 2 "record is not a JSON object"
{ printf '{"id":"gen-big","created_at":"2025-06-01T08:00:00Z","model":"m","pad":"'; awk 'BEGIN { for (i = 0; i < 420000; i++) printf "0123456789" }'; printf '"}\n'; } |
    sandwich | case_ too-long 3 2 "record exceeds --max-record-bytes (4194304)"
printf '{"id":"gen-gt","created_at":"2025-06-01T08:00:00Z","model":"m","generation_time":true}\n' | sandwich |
    case_ generation-time-bool 3 2 "generation_time is not a duration in milliseconds"
printf '{"id":"gen-big","created_at":"2025-06-01T08:00:00Z","model":"m","tokens_prompt":1e400}\n' | sandwich |
    case_ huge-number 0 0 ""
printf '{"id":"gen-dup","id":"gen-dup2","created_at":"2025-06-01T08:00:00Z","model":"m"}\n' | sandwich |
    case_ duplicate-key 0 0 ""
# Blank lines, CRLF endings and a byte-order mark are no errors.
{ printf '\357\273\277'; good 1; printf '\n   \n'; good 2 | sed 's/$/\r/'; good 3; } | case_ bom-crlf-blank 0 0 ""
