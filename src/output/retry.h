/* retry.h: which OTLP/HTTP responses are retried, and when.
 * Follows the OTLP/HTTP spec: 429, 502, 503, 504 and transport failures are
 * retryable; other 4xx/5xx are not; Retry-After (seconds or HTTP-date) wins
 * over the computed backoff. Pure functions; thread-safe. */
#ifndef TF_RETRY_H
#define TF_RETRY_H

#include <stdbool.h>
#include <stdint.h>

typedef enum {
    TF_RETRY_OK = 0,      /* 2xx: accepted (check partial_success separately) */
    TF_RETRY_AGAIN,       /* retry after a delay */
    TF_RETRY_SPLIT,       /* 413: split the batch and send the halves */
    TF_RETRY_FATAL,       /* do not retry; stop the run */
} tf_retry_verdict;

/* http_status 0 means no HTTP response (connection refused, reset, timeout). */
tf_retry_verdict tf_retry_classify(long http_status);

/* Exponential backoff with full jitter: uniform in [0, min(cap, base * 2^attempt)].
 * attempt counts from 0; rnd is a uniform random 64-bit value (passed in so
 * tests are deterministic). */
uint64_t tf_backoff_full_jitter_ns(unsigned attempt, uint64_t base_ns, uint64_t cap_ns, uint64_t rnd);

/* Parses a Retry-After header value: delta-seconds ("120") or an HTTP-date
 * ("Wed, 21 Oct 2015 07:28:00 GMT", also RFC 850 and asctime forms) relative
 * to now_wall_ns. Returns false when unparseable; a date in the past gives 0. */
bool tf_retry_after_parse(const char *value, uint64_t now_wall_ns, uint64_t *delay_ns);

/* A short, plain-language hint for a non-retryable status (401, 403, 404,
 * 400, 413 ...) or NULL. */
const char *tf_retry_hint(long http_status);

#endif
