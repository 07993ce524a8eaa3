/* ratelimit.h: token buckets for spans/s and bytes/s, and the AIMD
 * controller that sets the spans/s rate when a backend throttles.
 * A bucket holds up to `burst` tokens and refills at `rate` tokens per second.
 * Time is passed in (monotonic ns) so the logic is testable without sleeping.
 * Plain value types; not thread-safe. */
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

/* The send rate a throttling backend leaves: additive increase,
 * multiplicative decrease (as TCP's congestion control). Unthrottled, the
 * rate is the configured one (0: none). The first throttle starts from that,
 * or from the rate it was sent at so far when there is none (halved: a
 * backlog sent at full speed overstates what the backend takes). Each later throttle
 * lowers it by a quarter, but only when the request was sent after the last
 * decrease and something was accepted since: the requests in flight at a
 * decrease all answer at the old rate, and while the backend accepts nothing
 * at all (Tempo waiting out trace_idle_period) there is nothing to learn.
 * Every acceptance adds back 5% per second of the rate at the last decrease,
 * never above the configured rate. */
typedef struct {
    double configured;         /* --rate-limit, 0: none */
    double rate;               /* the current limit, 0: none */
    double step;               /* spans/s added per second of acceptances */
    uint64_t start_ns, sent, accepted;
    uint64_t last_decrease_ns, last_increase_ns;
    bool ok_since_decrease;
    uint64_t throttles;        /* throttle answers seen */
    uint64_t first_throttle_ns, last_ok_ns, accepted_since_throttle;
} tf_aimd;

void tf_aimd_init(tf_aimd *a, double configured, uint64_t now_ns);
/* n spans go out for the first time. */
void tf_aimd_sending(tf_aimd *a, uint64_t n);
/* n spans of a request sent at sent_ns were accepted at now_ns; true when
 * the rate went up. */
bool tf_aimd_accepted(tf_aimd *a, uint64_t n, uint64_t sent_ns, uint64_t now_ns);
/* A throttle answer to a request sent at sent_ns; true when the rate went down. */
bool tf_aimd_throttled(tf_aimd *a, uint64_t sent_ns, uint64_t now_ns);
/* Spans per second accepted from the first throttle to the last acceptance
 * (what the backend took while throttling); 0 when never throttled. */
double tf_aimd_settled(const tf_aimd *a);

#endif
