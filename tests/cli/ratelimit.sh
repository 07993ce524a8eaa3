#!/bin/sh
# ratelimit.sh: --rate-limit holds over a run of several seconds: the achieved
# rate is at the limit (not below it), and no one-second window exceeds it by
# more than the documented burst (a tenth of a second's worth) plus one
# request. Measured from the receiver's own arrival timestamps, never from
# tracefill's: on a busy machine one request can arrive late and share a
# second with the next, sent on time (with 800 KB requests against a 2 MiB/s
# limit that one request is a third of the limit), so arrivals can judge the
# limiter only to a request.
. "$top_srcdir/tests/setup.sh"
. "$top_srcdir/tests/server/lib-receiver.sh"
need_cmd awk

"$top_builddir/tests/tools/gen-records" 4000 11 >"$T/in.jsonl" # 16000 spans
check_rate() { # LIMIT UNIT-FIELD LABEL: analyses $RECV_DIR/requests.log
    awk -v lim="$1" -v field="$2" -v label="$3" '
    { for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
      t[NR] = v["ms"]; n[NR] = v[field]; total += v[field]; if (v[field] > big) big = v[field] }
    END {
        # Sliding one-second windows starting at every arrival.
        worst = 0
        for (i = 1; i <= NR; i++) { s = 0; for (j = i; j <= NR && t[j] < t[i] + 1000; j++) s += n[j]; if (s > worst) worst = s }
        # Achieved rate over the run, excluding the first request (the burst).
        span = t[NR] - t[1]; rate = span > 0 ? (total - n[1]) * 1000 / span : 0
        printf "%s: %d units in %.2f s, achieved %.0f/s, busiest second %d (limit %d, largest request %d)\n", label, total, span / 1000, rate, worst, lim, big
        ok = worst <= lim * 1.1 + big && rate >= lim * 0.95 && rate <= lim * 1.05
        exit ok ? 0 : 1
    }' "$RECV_DIR/requests.log"
}

# Under ThreadSanitizer tracefill and the receiver run 5-15 times slower and
# arrival times jitter by more than the tolerance: the rates are checked in
# the other builds, the completeness here too.
rate_ok() { # LIMIT UNIT-FIELD LABEL
    if [ "${TF_SAN_KIND:-none}" = thread ]; then
        skip "$3: a ThreadSanitizer build is too slow to hold a rate; checked in the other builds"
    elif check_rate "$@" >"$T/rate"; then pass "$(cat "$T/rate")"; else fail "$(cat "$T/rate")"; fi
}

start_receiver
run_tf rc run --endpoint "$RECV_URL" --rate-limit 3000 "$T/in.jsonl"
is "$rc" 0 "a rate-limited run of ~5 s completes"
is "$(recv_span_count)" 16000 "all spans arrive"
rate_ok 3000 spans "spans"

start_receiver
run_tf rc run --endpoint "$RECV_URL" --compression none --rate-limit-bytes 2MiB "$T/in.jsonl"
is "$rc" 0 "a byte-rate-limited run completes"
rate_ok 2097152 decoded "request bytes"

# A 429 lowers tracefill's own rate (and pauses for its Retry-After).
printf '%s\n' 'ok' 'ok' 'status 429 retry-after=1' >"$T/script"
start_receiver --script "$T/script"
run_tf rc run -v --endpoint "$RECV_URL" --rate-limit 4000 --concurrency 1 "$T/in.jsonl"
is "$rc" 0 "the run completes after a 429"
contains "$T/err" "backend said 429: lowering the send rate to 3000 spans/s" "the configured 4000 spans/s drops by a quarter"
is "$(recv_span_count)" 16000 "and every span still arrives"
