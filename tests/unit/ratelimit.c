/* unit-ratelimit.c: token buckets on a simulated clock. A greedy consumer
 * takes as soon as the bucket allows; every 1-second window of its output is
 * checked against rate * 1.1 and the long-run rate against the configured one. */
#include "config.h"
#include "output/ratelimit.h"
#include "tap.h"
#include "common/util.h"

#include <math.h>

#define SEC UINT64_C(1000000000)

typedef struct {
    uint64_t *t;
    double *n;
    size_t len, cap;
} events;

static void ev_add(events *e, uint64_t t, double n)
{
    if (e->len == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 1024;
        e->t = tf_xrealloc(e->t, e->cap * sizeof *e->t);
        e->n = tf_xrealloc(e->n, e->cap * sizeof *e->n);
    }
    e->t[e->len] = t;
    e->n[e->len] = n;
    e->len++;
}

static void ev_free(events *e)
{
    free(e->t);
    free(e->n);
    memset(e, 0, sizeof *e);
}

/* The most taken in any closed window [t, t + 1 s] starting at or after from. */
static double max_window(const events *e, uint64_t from)
{
    double best = 0, sum = 0;
    size_t j = 0;
    for (size_t i = 0; i < e->len; i++) {
        if (j < i) {
            j = i;
            sum = 0;
        }
        while (j < e->len && e->t[j] <= e->t[i] + SEC)
            sum += e->n[j++];
        if (e->t[i] >= from && sum > best)
            best = sum;
        sum -= e->n[i];
    }
    return best;
}

static double taken_between(const events *e, uint64_t a, uint64_t b)
{
    double s = 0;
    for (size_t i = 0; i < e->len; i++)
        if (e->t[i] >= a && e->t[i] < b)
            s += e->n[i];
    return s;
}

static uint64_t lcg(uint64_t *x)
{
    *x = *x * 6364136223846793005u + 1442695040888963407u;
    return *x >> 33;
}

/* A greedy consumer from t0 for secs seconds. Item sizes come from size_lo..
 * size_hi; with pauses, it idles 0..3 s after every ~rate items. */
static void simulate(tf_bucket *b, uint64_t t0, unsigned secs, double size_lo, double size_hi,
                     bool pauses, uint64_t seed, events *out)
{
    uint64_t t = t0, end = t0 + (uint64_t)secs * SEC, x = seed;
    double n = size_lo;
    unsigned since_pause = 0;
    while (t < end) {
        uint64_t w = tf_bucket_wait_ns(b, n, t);
        if (w > 0) {
            t += w;
            continue;
        }
        tf_bucket_take(b, n, t);
        ev_add(out, t, n);
        n = size_lo + (size_hi - size_lo) * (double)(lcg(&x) % 1000) / 999.0;
        if (pauses && ++since_pause > b->rate / 2 && lcg(&x) % 4 == 0) {
            t += lcg(&x) % (3u * SEC);
            since_pause = 0;
        }
    }
}

static void check_rate(double rate, double lo, double hi, bool pauses, const char *what)
{
    tf_bucket b;
    const uint64_t t0 = 123456789u;
    events e = { 0 };
    tf_bucket_init(&b, rate, 0, t0);
    simulate(&b, t0, 60, lo, hi, pauses, 42, &e);
    double w = max_window(&e, 0);
    ok(w <= rate * 1.1, "%s: the busiest 1 s window holds %.1f <= %.1f", what, w, rate * 1.1);
    if (!pauses) {
        double steady = taken_between(&e, t0 + 10u * SEC, t0 + 60u * SEC) / 50.0;
        ok(fabs(steady - rate) <= rate * 0.01, "%s: long-run rate %.2f within 1%% of %.2f", what,
           steady, rate);
        double all = taken_between(&e, t0, t0 + 60u * SEC) / 60.0;
        ok(fabs(all - rate) <= rate * 0.01, "%s: rate over the whole run %.2f within 1%%", what,
           all);
    }
    ev_free(&e);
}

/* The AIMD controller, step by step on a fixed clock. */
static void test_aimd_steps(void)
{
    tf_aimd a;
    tf_aimd_init(&a, 4000, 0);
    ok(a.rate == 4000, "unthrottled: the configured rate");
    tf_aimd_accepted(&a, 100, 0, SEC / 10);
    ok(a.rate == 4000, "acceptances before any throttle change nothing");
    ok(tf_aimd_throttled(&a, SEC / 10, SEC) && a.rate == 3000, "the first throttle: 4000 -> 3000 (a quarter off)");
    ok(!tf_aimd_throttled(&a, SEC / 2, SEC + 1) && a.rate == 3000,
       "a request sent before the decrease answers at the old rate: no second decrease");
    ok(!tf_aimd_throttled(&a, 2 * SEC, 2 * SEC) && a.rate == 3000,
       "sent after it, but nothing accepted since: nothing learnt, no decrease");
    ok(tf_aimd_accepted(&a, 10, 2 * SEC, 3 * SEC), "an acceptance a second later raises the rate");
    ok(fabs(a.rate - 3150) < 1e-6, "by 5%% of the decreased rate per second: 3150 (%.1f)", a.rate);
    tf_aimd_accepted(&a, 10, 3 * SEC, 3 * SEC + SEC / 2);
    ok(fabs(a.rate - 3225) < 1e-6, "half a second: half a step (%.1f)", a.rate);
    tf_aimd_accepted(&a, 10, 3 * SEC, 60 * SEC);
    ok(fabs(a.rate - 3375) < 1e-6, "a long quiet spell counts as one second at most (%.1f)", a.rate);
    for (int i = 0; i < 100; i++)
        tf_aimd_accepted(&a, 10, 0, (uint64_t)(61 + i) * SEC);
    ok(a.rate == 4000, "never above the configured rate");
    ok(tf_aimd_throttled(&a, 100 * SEC, 200 * SEC) && a.rate == 3000, "a new throttle after acceptances: 3000 again");
    is_u64(a.throttles, 4, "every throttle answer is counted");

    tf_aimd_init(&a, 0, 0);
    tf_aimd_sending(&a, 20000);
    tf_aimd_accepted(&a, 8000, 0, SEC);
    ok(tf_aimd_throttled(&a, SEC, 2 * SEC) && a.rate == 5000,
       "no configured rate: half of what was sent per second so far (20000 in 2 s -> 5000)");
    tf_aimd_init(&a, 0, 0);
    ok(tf_aimd_throttled(&a, 0, SEC / 10) && a.rate == 1, "throttled before anything was sent: 1 span/s floor");
    tf_aimd_init(&a, 0, 0);
    ok(tf_aimd_settled(&a) == 0, "never throttled: nothing settled");
    tf_aimd_sending(&a, 1000);
    tf_aimd_throttled(&a, 0, 10 * SEC);
    tf_aimd_accepted(&a, 500, 10 * SEC, 11 * SEC);
    tf_aimd_accepted(&a, 1500, 11 * SEC, 14 * SEC);
    ok(fabs(tf_aimd_settled(&a) - 500) < 1e-9, "settled: 2000 spans accepted in the 4 s since the first throttle");
}

/* A sender under AIMD against a backend that takes `cap` spans/s (a token
 * bucket with a second's burst): requests of 100 spans, answered 20 ms after
 * they go, a throttled one retried 0.5 s later. Over 300 simulated seconds
 * the rate settles around the capacity: the backend's acceptances over the
 * last 200 s are between 75% and 100% of it, the sender's own rate ends
 * within half of it, and few requests are throttled (a sender that ignored
 * the throttles would get as much through, but with most requests refused). */
static void test_aimd_settles(double cap, double configured)
{
    tf_aimd a;
    tf_bucket own, backend;
    tf_aimd_init(&a, configured, 0);
    tf_bucket_init(&own, configured, 0, 0);
    tf_bucket_init(&backend, cap, cap, 0);
    enum { MAXQ = 64 };
    uint64_t due[MAXQ], sent_at[MAXQ];
    size_t nq = 0;
    uint64_t retry_at = 0, accepted_late = 0, throttles = 0, sends = 0;
    const uint64_t rtt = 20000000u, end = 300u * SEC;
    for (uint64_t now = 0; now < end; now += 1000000u) { /* 1 ms steps */
        /* answers */
        for (size_t i = 0; i < nq;) {
            if (due[i] > now) {
                i++;
                continue;
            }
            if (tf_bucket_wait_ns(&backend, 100, sent_at[i] + rtt / 2) == 0) {
                tf_bucket_take(&backend, 100, sent_at[i] + rtt / 2);
                if (tf_aimd_accepted(&a, 100, sent_at[i], now))
                    tf_bucket_set_rate(&own, a.rate, now);
                if (now >= 100u * SEC)
                    accepted_late += 100;
            } else {
                throttles++;
                if (tf_aimd_throttled(&a, sent_at[i], now))
                    tf_bucket_set_rate(&own, a.rate, now);
                retry_at = now + SEC / 2;
            }
            due[i] = due[--nq];
            sent_at[i] = sent_at[nq];
        }
        /* sends: up to 4 in flight, paced by the sender's own bucket */
        while (nq < 4 && now >= retry_at && tf_bucket_wait_ns(&own, 100, now) == 0) {
            tf_bucket_take(&own, 100, now);
            tf_aimd_sending(&a, 100);
            sends++;
            due[nq] = now + rtt;
            sent_at[nq++] = now;
        }
    }
    double got = (double)accepted_late / 200.0;
    ok(got >= cap * 0.75 && got <= cap * 1.0 && throttles > 0,
       "AIMD against a backend taking %.0f spans/s (configured %.0f): settles at %.0f spans/s (%.0f%%)", cap,
       configured, got, got * 100 / cap);
    ok(a.rate >= cap * 0.5 && a.rate <= cap * 1.5, "  the sender's rate ends at %.0f spans/s", a.rate);
    ok(throttles * 10 < sends, "  %llu of %llu requests throttled (under 10%%)", (unsigned long long)throttles,
       (unsigned long long)sends);
}

int main(void)
{
    tf_bucket b;

    test_aimd_steps();
    test_aimd_settles(2000, 0);
    test_aimd_settles(2000, 50000);
    test_aimd_settles(12000, 0);

    /* Initialisation and the default burst. */
    tf_bucket_init(&b, 1000, 0, 0);
    ok(b.burst == 100 && b.tokens == 100, "default burst is a tenth of the rate, bucket starts full");
    tf_bucket_init(&b, 5, -1, 0);
    ok(b.burst == 1, "default burst is at least one token");
    tf_bucket_init(&b, 1000, 250, 0);
    ok(b.burst == 250, "explicit burst kept");

    /* Exact waits. */
    tf_bucket_init(&b, 1000, 0, 0);
    is_u64(tf_bucket_wait_ns(&b, 100, 0), 0, "a full bucket serves the burst at once");
    tf_bucket_take(&b, 100, 0);
    is_u64(tf_bucket_wait_ns(&b, 1, 0), 1000000, "then one token takes exactly 1 ms at 1000/s");
    is_u64(tf_bucket_wait_ns(&b, 10, 0), 10000000, "ten tokens take 10 ms");
    is_u64(tf_bucket_wait_ns(&b, 1, 400000), 600000, "waiting accounts for elapsed time");
    is_u64(tf_bucket_wait_ns(&b, 1, 1000000), 0, "and is then satisfied");
    is_u64(tf_bucket_wait_ns(&b, 0, 1000000), 0, "zero tokens never wait");

    /* A clock stepping back earns nothing, and the interval it skipped
     * is not paid for twice when it comes forward again. */
    tf_bucket_init(&b, 1000, 0, 10u * SEC);
    tf_bucket_take(&b, 100, 10u * SEC);
    is_u64(tf_bucket_wait_ns(&b, 1, 5u * SEC), 1000000, "a backwards clock earns nothing");
    is_u64(tf_bucket_wait_ns(&b, 1, 10u * SEC), 1000000, "nor does returning to the old time");
    is_u64(tf_bucket_wait_ns(&b, 1, 10u * SEC + 1000000), 0, "forward time refills normally");

    /* Oversize requests wait for a full bucket, then drive the fill negative. */
    tf_bucket_init(&b, 1000, 0, 0);
    tf_bucket_take(&b, 50, 0);
    is_u64(tf_bucket_wait_ns(&b, 500, 0), 50000000, "oversize item waits for a full bucket (50 ms)");
    tf_bucket_take(&b, 500, 50000000);
    ok(b.tokens < -399 && b.tokens > -401, "oversize take leaves a debt (%.1f)", b.tokens);
    is_u64(tf_bucket_wait_ns(&b, 1, 50000000), 401000000, "the debt is repaid before the next item");

    /* Unlimited buckets. */
    tf_bucket_init(&b, 0, 0, 0);
    tf_bucket_take(&b, 1e12, 0);
    is_u64(tf_bucket_wait_ns(&b, 1e12, 0), 0, "rate 0 is unlimited");
    tf_bucket_init(&b, -5, 0, 0);
    is_u64(tf_bucket_wait_ns(&b, 1, 0), 0, "a negative rate is unlimited");

    /* The one-second bound and the long-run rate, greedy consumers. */
    check_rate(1000, 1, 1, false, "1000 spans/s");
    check_rate(50, 1, 1, false, "50 spans/s");
    check_rate(12345.6, 1, 1, false, "12345.6 spans/s");
    check_rate(10, 1, 1, false, "10 spans/s (burst of one)");
    check_rate(1e6, 1, 100000, false, "1 MB/s with items up to the burst");
    check_rate(1e6, 1000, 2000, false, "1 MB/s with 1-2 kB items");
    /* Stop-and-go: the consumer idles, the bucket refills, then it floods. */
    check_rate(1000, 1, 1, true, "1000 spans/s, stop-and-go");
    check_rate(1e6, 1, 100000, true, "1 MB/s, stop-and-go");

    /* Oversize items are never starved and the long-run rate still holds;
     * a window can then hold one item beyond the rate. */
    {
        events e = { 0 };
        tf_bucket_init(&b, 1e6, 0, 0);
        simulate(&b, 0, 60, 300000, 300000, false, 7, &e);
        double all = taken_between(&e, 0, 60u * SEC) / 60.0;
        ok(e.len > 150, "300 kB items at 1 MB/s (burst 100 kB) are sent (%zu)", e.len);
        ok(fabs(all - 1e6) <= 1e6 * 0.01, "oversize items: long-run rate %.0f within 1%%", all);
        ok(max_window(&e, 0) <= 1e6 + 300000, "oversize items: a window holds at most rate + one item");
        ev_free(&e);
    }

    /* Lowering the rate on 429 keeps the fill and the bound for the new rate. */
    {
        events e = { 0 };
        tf_bucket_init(&b, 1000, 0, 0);
        simulate(&b, 0, 10, 1, 1, false, 1, &e);
        tf_bucket_set_rate(&b, 100, 10u * SEC);
        ok(b.rate == 100 && b.burst == 10, "set_rate scales the burst with the rate");
        size_t mark = e.len;
        simulate(&b, 10u * SEC, 30, 1, 1, false, 1, &e);
        events tail = { e.t + mark, e.n + mark, e.len - mark, 0 };
        double w = max_window(&tail, 0);
        ok(w <= 110, "after set_rate(100) the busiest window holds %.0f <= 110", w);
        double r = taken_between(&e, 20u * SEC, 40u * SEC) / 20.0;
        ok(fabs(r - 100) <= 1, "after set_rate(100) the long-run rate is %.2f", r);
        tf_bucket_set_rate(&b, 0, 40u * SEC);
        is_u64(tf_bucket_wait_ns(&b, 1e9, 40u * SEC), 0, "set_rate(0) makes it unlimited");
        tf_bucket_set_rate(&b, 1000, 41u * SEC);
        ok(b.rate == 1000 && b.tokens <= b.burst, "set_rate from unlimited back to limited");
        is_u64(tf_bucket_wait_ns(&b, 1, 41u * SEC), 0, "and starts with tokens available");
        ev_free(&e);
    }

    /* set_rate keeps the fill, clamped to the new capacity. */
    tf_bucket_init(&b, 1000, 0, 0);
    tf_bucket_take(&b, 95, 0);
    tf_bucket_set_rate(&b, 100, 0);
    ok(fabs(b.tokens - 5) < 1e-9 && b.burst == 10, "set_rate keeps a fill of 5 (burst now 10)");
    tf_bucket_init(&b, 1000, 0, 0);
    tf_bucket_take(&b, 100, 0);
    tf_bucket_set_rate(&b, 100, 50000000);
    ok(fabs(b.tokens - 10) < 1e-9, "tokens earned at the old rate, clamped to the new burst");
    tf_bucket_init(&b, 1000, 0, 0);
    tf_bucket_take(&b, 130, 0);
    tf_bucket_set_rate(&b, 2000, 0);
    ok(fabs(b.tokens + 30) < 1e-9 && b.burst == 200, "a debt survives a rate increase");

    /* A full bucket with burst exactly 1 at a fractional rate. */
    tf_bucket_init(&b, 0.5, 0, 0);
    tf_bucket_take(&b, 1, 0);
    is_u64(tf_bucket_wait_ns(&b, 1, 0), 2u * SEC, "0.5/s: the next token comes after 2 s");
    return done_testing();
}
