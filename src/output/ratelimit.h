/* ratelimit.h: token buckets for spans/s and bytes/s.
 * A bucket holds up to `burst` tokens and refills at `rate` tokens per second.
 * Time is passed in (monotonic ns) so the logic is testable without sleeping.
 * Plain value type; not thread-safe. */
#ifndef TF_RATELIMIT_H
#define TF_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    double rate;      /* tokens per second; <= 0 means unlimited */
    double burst;     /* capacity */
    double tokens;    /* current fill (may go negative after a forced take) */
    uint64_t last_ns; /* last refill time */
} tf_bucket;

/* burst <= 0 picks max(rate / 10, 1): at most a tenth of a second's worth,
 * so no one-second window ever sees more than rate * 1.1 (for rate >= 10 and
 * items no larger than the burst; below 10/s the burst is one token). */
void tf_bucket_init(tf_bucket *b, double rate, double burst, uint64_t now_ns);
/* Nanoseconds to wait before n tokens are available (0 = now). A request
 * larger than the burst is allowed once the bucket is full (it then drives
 * the fill negative), so oversize items are never starved. */
uint64_t tf_bucket_wait_ns(tf_bucket *b, double n, uint64_t now_ns);
/* Takes n tokens (call after wait returned 0); n <= 0 takes nothing. A clock
 * that steps backwards never earns tokens. */
void tf_bucket_take(tf_bucket *b, double n, uint64_t now_ns);
/* Changes the rate keeping the current fill (used to back off on 429). The
 * burst scales with the rate (at least 1 token), so the rate * 1.1 window
 * bound holds for the new rate; a fill above the new burst is clamped.
 * rate <= 0 makes the bucket unlimited; leaving unlimited starts full. */
void tf_bucket_set_rate(tf_bucket *b, double rate, uint64_t now_ns);

#endif
