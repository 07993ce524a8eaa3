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

int main(void)
{
    tf_bucket b;

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
