/* ratelimit.c: token buckets driven by a caller-supplied monotonic clock. */
#include "config.h"
#include "output/ratelimit.h"

#include <math.h>

#define NS_PER_SEC 1e9

static double auto_burst(double rate)
{
    return rate / 10 > 1 ? rate / 10 : 1;
}

static bool unlimited(const tf_bucket *b)
{
    return !(b->rate > 0); /* also true for NaN */
}

/* Adds the tokens earned since last_ns, up to the capacity. A clock that
 * steps backwards earns nothing and leaves last_ns alone, so the same
 * interval is never paid for twice. */
static void refill(tf_bucket *b, uint64_t now_ns)
{
    if (now_ns <= b->last_ns)
        return;
    if (!unlimited(b)) {
        double add = (double)(now_ns - b->last_ns) * b->rate / NS_PER_SEC;
        b->tokens = b->tokens + add < b->burst ? b->tokens + add : b->burst;
    }
    b->last_ns = now_ns;
}

void tf_bucket_init(tf_bucket *b, double rate, double burst, uint64_t now_ns)
{
    b->rate = rate > 0 ? rate : 0;
    if (burst > 0)
        b->burst = burst;
    else
        b->burst = b->rate > 0 ? auto_burst(b->rate) : 0;
    b->tokens = b->burst; /* start full */
    b->last_ns = now_ns;
}

uint64_t tf_bucket_wait_ns(tf_bucket *b, double n, uint64_t now_ns)
{
    if (unlimited(b) || !(n > 0))
        return 0;
    refill(b, now_ns);
    /* An oversize request only needs a full bucket. */
    double need = n < b->burst ? n : b->burst;
    if (b->tokens >= need)
        return 0;
    double wait = ceil((need - b->tokens) * NS_PER_SEC / b->rate);
    if (!(wait >= 1))
        return 1; /* rounding left a sliver short: come back in a nanosecond */
    if (wait >= 1.8e19)
        return UINT64_MAX;
    return (uint64_t)wait;
}

void tf_bucket_take(tf_bucket *b, double n, uint64_t now_ns)
{
    refill(b, now_ns);
    if (!unlimited(b) && n > 0)
        b->tokens -= n;
}

void tf_bucket_set_rate(tf_bucket *b, double rate, uint64_t now_ns)
{
    refill(b, now_ns);
    double old = b->rate;
    double nrate = rate > 0 ? rate : 0;
    if (nrate > 0) {
        if (old > 0 && b->burst > 0) {
            /* Keep the burst a fixed fraction of the rate, so the one-second
             * bound (rate * 1.1 with the default burst) holds for the new rate. */
            double nb = b->burst * (nrate / old);
            b->burst = nb > 1 ? nb : 1;
        } else {
            if (!(b->burst > 0))
                b->burst = auto_burst(nrate);
            b->tokens = b->burst; /* leaving unlimited: start full */
        }
        if (b->tokens > b->burst)
            b->tokens = b->burst;
    }
    b->rate = nrate;
}
