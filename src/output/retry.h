/* retry.h: which OTLP/HTTP responses are retried, and when.
 * Follows the OTLP/HTTP spec: 429, 502, 503, 504 and transport failures are
 * retryable; other 4xx/5xx are not; Retry-After (seconds or HTTP-date) wins
 * over the computed backoff. On top of the spec, tf_retry_judge reads the
 * backend's message: a throttle (429, 503, or a 5xx whose message names a
 * limit, as Tempo 2.x answers "500 RATE_LIMITED: ingestion rate limit
 * (300000 bytes) exceeded while adding 524288 bytes") is backpressure, to
 * retry more slowly, never a failure; a request that can never fit the
 * limit is split as for 413. Pure functions; thread-safe. */
#ifndef TF_RETRY_H
#define TF_RETRY_H

#include <stdbool.h>
#include <stdint.h>

typedef enum {
    TF_RETRY_OK = 0,      /* 2xx: accepted (check the body is an OTLP answer and its partial_success) */
    TF_RETRY_AGAIN,       /* retry after a delay */
    TF_RETRY_SPLIT,       /* 413: split the batch and send the halves */
    TF_RETRY_FATAL,       /* do not retry; stop the run */
} tf_retry_verdict;

/* http_status 0 means no HTTP response (connection refused, reset, timeout). */
tf_retry_verdict tf_retry_classify(long http_status);

/* The verdict for an answer given its status and the backend's message (the
 * google.rpc.Status text or short plain body; NULL or "" when none).
 * *throttled is set when the backend asks to slow down: 429, 503, and 5xx
 * answers naming a limit (RATE_LIMITED, LIVE_TRACES_EXCEEDED,
 * RESOURCE_EXHAUSTED, ResourceExhausted, "rate limit"); those are retried
 * (TF_RETRY_AGAIN) even when the status alone would be fatal, or split
 * (TF_RETRY_SPLIT) when the message says the request alone exceeds the limit
 * ("... limit (N bytes) exceeded while adding M bytes" with M > N, or a
 * "message larger than max"). Anything else: tf_retry_classify(status). */
tf_retry_verdict tf_retry_judge(long http_status, const char *message, bool *throttled);

/* A hint for what a backend's message names (Tempo's limits and tenancy):
 * "no org id" -> --tenant, RATE_LIMITED -> the tenant's ingestion rate limit,
 * LIVE_TRACES_EXCEEDED -> max_traces_per_user and trace_idle_period; NULL
 * when the message names nothing known. */
const char *tf_retry_message_hint(const char *message);

/* Exponential backoff with full jitter: uniform in [0, min(cap, base * 2^attempt)].
 * attempt counts from 0; rnd is a uniform random 64-bit value (passed in so
 * tests are deterministic). */
uint64_t tf_backoff_full_jitter_ns(unsigned attempt, uint64_t base_ns, uint64_t cap_ns, uint64_t rnd);

/* Parses a Retry-After header value: delta-seconds ("120") or an HTTP-date
 * ("Wed, 21 Oct 2015 07:28:00 GMT", also RFC 850 and asctime forms) relative
 * to now_wall_ns. Returns false when unparseable; a date in the past gives 0. */
bool tf_retry_after_parse(const char *value, uint64_t now_wall_ns, uint64_t *delay_ns);

/* The hint for a 2xx that is no OTLP answer (a web page ...): the Grafana
 * dashboard one when url's host looks like <stack>.grafana.net, else where
 * OTLP endpoints are. */
const char *tf_retry_not_otlp_hint(const char *url);
#define TF_HINT_GRAFANA_DASHBOARD                                                                             \
    "this looks like the Grafana dashboard URL; use the OTLP gateway instead, e.g. "                          \
    "https://otlp-gateway-prod-<region>.grafana.net/otlp (Grafana Cloud portal > your stack > OpenTelemetry)"
/* true when url's host is <something>.grafana.net but not the OTLP gateway. */
bool tf_retry_grafana_dashboard(const char *url);

/* A short, plain-language hint for a non-retryable status (401, 403, 404,
 * 400, 413 ...) or NULL. */
const char *tf_retry_hint(long http_status);

#endif
