/* unit-retry.c: OTLP/HTTP status classification, full-jitter backoff bounds,
 * Retry-After in every form against a fixed "now", hints; throttles judged
 * from the backend's message (Tempo 2.x's 500s naming a limit, requests over
 * a limit outright) and the hints its messages earn. */
#include "config.h"
#include "output/retry.h"
#include "tap.h"
#include "common/util.h"

#define SEC UINT64_C(1000000000)

static void test_classify(void)
{
    static const struct {
        long status;
        tf_retry_verdict want;
    } cases[] = {
        { 200, TF_RETRY_OK },    { 202, TF_RETRY_OK },    { 204, TF_RETRY_OK },
        { 299, TF_RETRY_OK },    { 0, TF_RETRY_AGAIN },   { 429, TF_RETRY_AGAIN },
        { 502, TF_RETRY_AGAIN }, { 503, TF_RETRY_AGAIN }, { 504, TF_RETRY_AGAIN },
        { 413, TF_RETRY_SPLIT }, { 400, TF_RETRY_FATAL }, { 401, TF_RETRY_FATAL },
        { 403, TF_RETRY_FATAL }, { 404, TF_RETRY_FATAL }, { 405, TF_RETRY_FATAL },
        { 408, TF_RETRY_FATAL }, { 415, TF_RETRY_FATAL }, { 500, TF_RETRY_FATAL },
        { 501, TF_RETRY_FATAL }, { 505, TF_RETRY_FATAL }, { 599, TF_RETRY_FATAL },
        { 100, TF_RETRY_FATAL }, { 199, TF_RETRY_FATAL }, { 300, TF_RETRY_FATAL },
        { 301, TF_RETRY_FATAL }, { 302, TF_RETRY_FATAL }, { -1, TF_RETRY_FATAL },
        { 1000, TF_RETRY_FATAL },
    };
    for (size_t i = 0; i < TF_ARRAY_LEN(cases); i++)
        is_int(tf_retry_classify(cases[i].status), cases[i].want, "status %ld", cases[i].status);
}

static void test_backoff(void)
{
    const uint64_t base = 100000000u, cap = 30u * SEC; /* 100 ms .. 30 s */
    const uint64_t rnds[] = { 0,
                              1,
                              0x00000000ffffffffu,
                              0x5555555555555555u,
                              0x7fffffffffffffffu,
                              0x8000000000000000u,
                              0xdeadbeefcafef00du,
                              0xfffffffffffffffeu,
                              UINT64_MAX };
    int out_of_bounds = 0, not_monotonic = 0;
    for (unsigned attempt = 0; attempt < 200; attempt++) {
        uint64_t hi = attempt < 63 && (base << attempt) >> attempt == base && (base << attempt) < cap
                          ? base << attempt
                          : cap;
        uint64_t prev = 0;
        for (size_t i = 0; i < TF_ARRAY_LEN(rnds); i++) {
            uint64_t d = tf_backoff_full_jitter_ns(attempt, base, cap, rnds[i]);
            if (d > hi) {
                if (out_of_bounds++ < 5)
                    diag("attempt %u rnd %" PRIx64 ": %" PRIu64 " > %" PRIu64, attempt, rnds[i], d, hi);
            }
            if (d < prev)
                not_monotonic++;
            prev = d;
        }
        /* rnd 0 gives 0, rnd max gives the upper bound itself (inclusive range). */
        if (tf_backoff_full_jitter_ns(attempt, base, cap, 0) != 0 ||
            tf_backoff_full_jitter_ns(attempt, base, cap, UINT64_MAX) != hi)
            out_of_bounds++;
    }
    ok(out_of_bounds == 0, "200 attempts x 9 rnd values stay in [0, min(cap, base*2^attempt)]");
    ok(not_monotonic == 0, "the delay grows with rnd (a monotone mapping)");

    is_u64(tf_backoff_full_jitter_ns(0, base, cap, UINT64_MAX), base, "attempt 0 max = base");
    is_u64(tf_backoff_full_jitter_ns(3, base, cap, UINT64_MAX), 8 * base, "attempt 3 max = 8 base");
    is_u64(tf_backoff_full_jitter_ns(8, base, cap, UINT64_MAX), 25600000000u, "attempt 8 max = 25.6 s");
    is_u64(tf_backoff_full_jitter_ns(9, base, cap, UINT64_MAX), cap, "attempt 9 is capped");
    is_u64(tf_backoff_full_jitter_ns(1000, base, cap, UINT64_MAX), cap, "attempt 1000 is capped");
    is_u64(tf_backoff_full_jitter_ns(UINT32_MAX, base, cap, UINT64_MAX), cap, "attempt 2^32-1 is capped");
    is_u64(tf_backoff_full_jitter_ns(0, base, cap, 0x8000000000000000u), base / 2,
           "rnd 2^63 is the midpoint");
    is_u64(tf_backoff_full_jitter_ns(2, base, cap, 0x4000000000000000u), base,
           "rnd 2^62 at attempt 2 is a quarter of 4 base");
    is_u64(tf_backoff_full_jitter_ns(5, 0, cap, UINT64_MAX), 0, "zero base gives zero");
    is_u64(tf_backoff_full_jitter_ns(5, base, 0, UINT64_MAX), 0, "zero cap gives zero");
    is_u64(tf_backoff_full_jitter_ns(0, UINT64_MAX, UINT64_MAX, 12345), 12345,
           "a full 64-bit range returns rnd itself");
    is_u64(tf_backoff_full_jitter_ns(63, 1, UINT64_MAX, UINT64_MAX), 0x8000000000000000u,
           "1 << 63 does not overflow");
    is_u64(tf_backoff_full_jitter_ns(64, 1, UINT64_MAX - 1, UINT64_MAX), UINT64_MAX - 1,
           "1 << 64 overflows into the cap");

    /* Statistically uniform: the mean over a linear sweep of rnd is hi / 2. */
    uint64_t sum = 0;
    const int n = 4096;
    for (int i = 0; i < n; i++) {
        uint64_t rnd = (uint64_t)i * (UINT64_MAX / (uint64_t)n);
        sum += tf_backoff_full_jitter_ns(4, base, cap, rnd) / 1000;
    }
    uint64_t mean_us = sum / (uint64_t)n, want_us = 16 * base / 2 / 1000;
    ok(mean_us > want_us * 99 / 100 && mean_us < want_us * 101 / 100,
       "mean delay over a sweep of rnd is half the bound (%" PRIu64 " us)", mean_us);
}

static void test_retry_after(void)
{
    /* now = Wed, 21 Oct 2015 07:28:00 GMT */
    const uint64_t now = 1445412480u * (uint64_t)SEC;
    struct {
        const char *v;
        bool ok;
        uint64_t want;
    } cases[] = {
        { "120", true, 120u * SEC },
        { "0", true, 0 },
        { "  5\t", true, 5u * SEC },
        { "0007", true, 7u * SEC },
        { "18446744073", true, 18446744073u * SEC },
        { "18446744074", true, UINT64_MAX }, /* saturates */
        { "99999999999999999999999999", true, UINT64_MAX },
        { "Wed, 21 Oct 2015 07:28:00 GMT", true, 0 },
        { "Wed, 21 Oct 2015 07:30:00 GMT", true, 120u * SEC },
        { "Thu, 22 Oct 2015 07:28:00 GMT", true, 86400u * SEC },
        { "Tue, 20 Oct 2015 07:28:00 GMT", true, 0 }, /* in the past */
        { "Thu, 01 Jan 1970 00:00:00 GMT", true, 0 },
        { "Wednesday, 21-Oct-15 07:29:30 GMT", true, 90u * SEC },
        { "Tuesday, 20-Oct-15 07:29:30 GMT", true, 0 },
        { "Wed Oct 21 07:28:05 2015", true, 5u * SEC },
        { "Sat Oct  3 07:28:00 2015", true, 0 },
        { "Sun Nov  1 07:28:00 2015", true, 11u * 86400u * SEC },
        { "  Wed, 21 Oct 2015 07:28:10 GMT  ", true, 10u * SEC },
        { "", false, 0 },
        { "   ", false, 0 },
        { "-5", false, 0 },
        { "1.5", false, 0 },
        { "5s", false, 0 },
        { "0x10", false, 0 },
        { "soon", false, 0 },
        { "Wed, 21 Oct 2015 07:28:00", false, 0 },
        { "Wed, 32 Oct 2015 07:28:00 GMT", false, 0 },
        { "2015-10-21T07:28:00Z", false, 0 },
    };
    for (size_t i = 0; i < TF_ARRAY_LEN(cases); i++) {
        uint64_t got = 12345;
        bool r = tf_retry_after_parse(cases[i].v, now, &got);
        if (!cases[i].ok)
            ok(!r, "Retry-After rejects '%s'", cases[i].v);
        else if (!ok(r && got == cases[i].want, "Retry-After '%s' = %" PRIu64 " ns", cases[i].v,
                     cases[i].want))
            diag("  returned %d, got %" PRIu64, r, got);
    }
    uint64_t got;
    ok(!tf_retry_after_parse(NULL, now, &got), "Retry-After NULL");
}

static void test_hints(void)
{
    const char *h;
    h = tf_retry_hint(401);
    ok(h && strstr(h, "token") && strstr(h, "traces:write") && strstr(h, "instance ID"),
       "401 hint: token, traces:write scope, instance ID as user");
    h = tf_retry_hint(403);
    ok(h && strstr(h, "traces:write"), "403 hint: traces:write scope");
    h = tf_retry_hint(404);
    ok(h && strstr(h, "https://otlp-gateway-<region>.grafana.net/otlp") && strstr(h, "/v1/traces") &&
           strstr(h, "dashboard"),
       "404 hint: OTLP gateway URL, not the dashboard, /v1/traces");
    h = tf_retry_hint(400);
    ok(h && strstr(h, "decode"), "400 hint: could not decode");
    h = tf_retry_hint(415);
    ok(h && strstr(h, "content type") && strstr(h, "application/x-protobuf"), "415 hint: content type");
    h = tf_retry_hint(413);
    ok(h && strstr(h, "split"), "413 hint: split");
    ok(tf_retry_hint(0) != NULL, "transport failure has a hint");
    ok(tf_retry_hint(429) != NULL, "429 has a hint");
    ok(tf_retry_hint(500) != NULL, "500 has a hint");
    ok(tf_retry_hint(418) != NULL, "any other 4xx has a generic hint");
    ok(tf_retry_hint(200) == NULL, "no hint for 200");
    ok(tf_retry_hint(204) == NULL, "no hint for 204");
    /* Every hint is a single line of plain text. */
    int multi = 0;
    for (long s = 0; s < 600; s++) {
        h = tf_retry_hint(s);
        if (h && (strchr(h, '\n') || strlen(h) > 240))
            multi++;
    }
    ok(multi == 0, "hints are single lines under 240 characters");
}

static void test_judge(void)
{
    static const struct {
        long status;
        const char *msg;
        tf_retry_verdict want;
        bool throttled;
    } cases[] = {
        /* Tempo 2.0.1's words, as measured against the real binary */
        { 500, "RATE_LIMITED: ingestion rate limit (300000 bytes) exceeded while adding 21054 bytes", TF_RETRY_AGAIN, true },
        { 500, "LIVE_TRACES_EXCEEDED: max live traces exceeded for tenant single-tenant: per-user traces limit "
               "(local: 10000 global: 0 actual local: 10000) exceeded", TF_RETRY_AGAIN, true },
        /* over the limit outright: split, still a throttle */
        { 500, "RATE_LIMITED: ingestion rate limit (300000 bytes) exceeded while adding 2097152 bytes", TF_RETRY_SPLIT, true },
        { 429, "RATE_LIMITED: ingestion rate limit (local: 1000 bytes, burst 1000) exceeded while adding 5000 bytes",
          TF_RETRY_SPLIT, true },
        { 429, "ingestion rate limit (300000 bytes) exceeded while adding 300000 bytes", TF_RETRY_AGAIN, true },
        { 500, "rpc error: code = ResourceExhausted desc = grpc: received message larger than max (5000 vs. 4194304)",
          TF_RETRY_SPLIT, true },
        { 500, "RESOURCE_EXHAUSTED: quota", TF_RETRY_AGAIN, true },
        { 502, "upstream says: Rate Limit reached", TF_RETRY_AGAIN, true },
        { 429, NULL, TF_RETRY_AGAIN, true },
        { 429, "", TF_RETRY_AGAIN, true },
        { 503, "Service Unavailable", TF_RETRY_AGAIN, true },
        /* not throttles */
        { 500, "no org id", TF_RETRY_FATAL, false },
        { 500, "boom", TF_RETRY_FATAL, false },
        { 500, NULL, TF_RETRY_FATAL, false },
        { 502, "Bad Gateway", TF_RETRY_AGAIN, false },
        { 504, "", TF_RETRY_AGAIN, false },
        { 0, "Failed to connect", TF_RETRY_AGAIN, false },
        { 400, "RATE_LIMITED: the word in a 4xx is the backend's business", TF_RETRY_FATAL, false },
        { 413, "too big", TF_RETRY_SPLIT, false },
        { 200, "rate limit", TF_RETRY_OK, false },
        { 500, "ingestion rate limit (0 bytes) exceeded while adding 10 bytes", TF_RETRY_AGAIN, true },
        { 500, "ingestion rate limit (99999999999999999999999 bytes) exceeded while adding 10 bytes", TF_RETRY_AGAIN, true },
    };
    for (size_t i = 0; i < TF_ARRAY_LEN(cases); i++) {
        bool thr = !cases[i].throttled;
        tf_retry_verdict v = tf_retry_judge(cases[i].status, cases[i].msg, &thr);
        if (!ok(v == cases[i].want && thr == cases[i].throttled, "%ld '%s': verdict %d, throttled %d",
                cases[i].status, cases[i].msg ? cases[i].msg : "(null)", cases[i].want, cases[i].throttled))
            diag("got verdict %d, throttled %d", v, thr);
    }
    const char *h = tf_retry_message_hint("no org id");
    ok(h && strstr(h, "--tenant"), "'no org id': pass --tenant");
    h = tf_retry_message_hint("LIVE_TRACES_EXCEEDED: max live traces exceeded");
    ok(h && strstr(h, "max_traces_per_user") && strstr(h, "trace_idle_period") && strstr(h, "slows down"),
       "LIVE_TRACES_EXCEEDED: max_traces_per_user, trace_idle_period, tracefill slows down");
    h = tf_retry_message_hint("RATE_LIMITED: ingestion rate limit (300000 bytes) exceeded while adding 5 bytes");
    ok(h && strstr(h, "ingestion_rate_limit_bytes") && strstr(h, "slows down"), "RATE_LIMITED: ingestion_rate_limit_bytes");
    ok(tf_retry_message_hint("boom") == NULL && tf_retry_message_hint(NULL) == NULL, "no hint for other messages");
    ok(tf_retry_grafana_dashboard("https://mystack.grafana.net/v1/traces"), "<stack>.grafana.net is the dashboard");
    ok(tf_retry_grafana_dashboard("https://u:p@MyStack.Grafana.NET:443/x"), "with credentials, a port and any case");
    ok(!tf_retry_grafana_dashboard("https://otlp-gateway-prod-eu-west-2.grafana.net/otlp/v1/traces"),
       "the OTLP gateway is not");
    ok(!tf_retry_grafana_dashboard("http://tempo:4318/v1/traces"), "nor another host");
    h = tf_retry_not_otlp_hint("http://tempo:4318/v1/traces");
    ok(h && strstr(h, "otlp-gateway") && strstr(h, "4318"), "not-OTLP hint: where OTLP endpoints are");
    int long_hints = 0;
    const char *msgs[] = { "no org id", "LIVE_TRACES_EXCEEDED", "RATE_LIMITED" };
    for (size_t i = 0; i < TF_ARRAY_LEN(msgs); i++)
        if (strlen(tf_retry_message_hint(msgs[i])) > 240)
            long_hints++;
    ok(long_hints == 0, "message hints are under 240 characters (a whole error line fits in a tf_err)");
}

int main(void)
{
    test_classify();
    test_judge();
    test_backoff();
    test_retry_after();
    test_hints();
    return done_testing();
}
