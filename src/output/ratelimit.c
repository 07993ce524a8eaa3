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

/* ---- AIMD ----------------------------------------------------------------- */

void tf_aimd_init(tf_aimd *a, double configured, uint64_t now_ns)
{
    *a = (tf_aimd){ 0 };
    a->configured = configured > 0 ? configured : 0;
    a->rate = a->configured;
    a->start_ns = a->last_increase_ns = now_ns;
}

void tf_aimd_sending(tf_aimd *a, uint64_t n)
{
    a->sent += n;
}

bool tf_aimd_accepted(tf_aimd *a, uint64_t n, uint64_t sent_ns, uint64_t now_ns)
{
    (void)sent_ns;
    a->accepted += n;
    a->last_ok_ns = now_ns;
    if (a->first_throttle_ns)
        a->accepted_since_throttle += n;
    a->ok_since_decrease = true;
    if (!a->throttles || !(a->rate > 0) || now_ns <= a->last_increase_ns) {
        a->last_increase_ns = now_ns > a->last_increase_ns ? now_ns : a->last_increase_ns;
        return false;
    }
    double dt = (double)(now_ns - a->last_increase_ns) / NS_PER_SEC;
    a->last_increase_ns = now_ns;
    if (dt > 1)
        dt = 1; /* a long quiet spell is no evidence of room */
    double r = a->rate + a->step * dt;
    if (a->configured > 0 && r > a->configured)
        r = a->configured;
    bool up = r > a->rate;
    a->rate = r;
    return up;
}

bool tf_aimd_throttled(tf_aimd *a, uint64_t sent_ns, uint64_t now_ns)
{
    a->throttles++;
    bool first = a->first_throttle_ns == 0;
    if (first)
        a->first_throttle_ns = now_ns;
    else if (sent_ns < a->last_decrease_ns || !a->ok_since_decrease)
        return false;
    double r;
    if (a->rate > 0) {
        r = a->rate * 0.75;
    } else {
        double secs = (double)(now_ns - a->start_ns) / NS_PER_SEC;
        double n = (double)(a->sent > a->accepted ? a->sent : a->accepted);
        r = n / (secs > 1 ? secs : 1) / 2;
    }
    if (r < 1)
        r = 1;
    a->rate = r;
    a->step = r / 20 > 1 ? r / 20 : 1;
    a->last_decrease_ns = a->last_increase_ns = now_ns;
    a->ok_since_decrease = false;
    return true;
}

double tf_aimd_settled(const tf_aimd *a)
{
    if (!a->first_throttle_ns || a->last_ok_ns <= a->first_throttle_ns)
        return 0;
    return (double)a->accepted_since_throttle * NS_PER_SEC / (double)(a->last_ok_ns - a->first_throttle_ns);
}
