/* retry.c: OTLP/HTTP response classification, full-jitter backoff,
 * Retry-After parsing and plain-language hints. */
#include "config.h"
#include "output/retry.h"

#include "common/timefmt.h"

#include <stddef.h>

#define NS_PER_SEC 1000000000u

tf_retry_verdict tf_retry_classify(long http_status)
{
    if (http_status >= 200 && http_status <= 299)
        return TF_RETRY_OK;
    switch (http_status) {
    case 0:   /* no response: connection refused/reset, DNS, TLS, timeout */
    case 429: /* Too Many Requests */
    case 502: /* Bad Gateway */
    case 503: /* Service Unavailable */
    case 504: /* Gateway Timeout */
        return TF_RETRY_AGAIN;
    case 413: /* Payload Too Large */
        return TF_RETRY_SPLIT;
    default:
        return TF_RETRY_FATAL;
    }
}

/* floor(a * b / 2^64) without a 128-bit type. */
static uint64_t mul_hi64(uint64_t a, uint64_t b)
{
    uint64_t a_lo = a & 0xffffffffu, a_hi = a >> 32;
    uint64_t b_lo = b & 0xffffffffu, b_hi = b >> 32;
    uint64_t ll = a_lo * b_lo, lh = a_lo * b_hi, hl = a_hi * b_lo, hh = a_hi * b_hi;
    uint64_t mid = (ll >> 32) + (lh & 0xffffffffu) + (hl & 0xffffffffu);
    return hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
}

uint64_t tf_backoff_full_jitter_ns(unsigned attempt, uint64_t base_ns, uint64_t cap_ns, uint64_t rnd)
{
    uint64_t hi;
    if (attempt >= 64 || base_ns > (UINT64_MAX >> attempt))
        hi = cap_ns; /* base * 2^attempt overflows, so the cap applies */
    else
        hi = base_ns << attempt < cap_ns ? base_ns << attempt : cap_ns;
    if (hi == UINT64_MAX)
        return rnd;
    /* Scale rnd onto [0, hi] (inclusive), monotonically: 0 -> 0, 2^64-1 -> hi. */
    return mul_hi64(rnd, hi + 1);
}

static bool is_ows(char ch)
{
    return ch == ' ' || ch == '\t';
}

bool tf_retry_after_parse(const char *value, uint64_t now_wall_ns, uint64_t *delay_ns)
{
    if (!value)
        return false;
    size_t len = 0;
    while (value[len])
        len++;
    while (len > 0 && is_ows(*value)) {
        value++;
        len--;
    }
    while (len > 0 && is_ows(value[len - 1]))
        len--;
    if (len == 0)
        return false;
    bool digits = true;
    for (size_t i = 0; i < len; i++)
        if (value[i] < '0' || value[i] > '9')
            digits = false;
    if (digits) {
        /* delta-seconds; absurdly large values saturate (the caller caps). */
        uint64_t secs = 0;
        for (size_t i = 0; i < len; i++) {
            unsigned dg = (unsigned)(value[i] - '0');
            if (secs > (UINT64_MAX / NS_PER_SEC - dg) / 10) {
                *delay_ns = UINT64_MAX;
                return true;
            }
            secs = secs * 10 + dg;
        }
        *delay_ns = secs * NS_PER_SEC;
        return true;
    }
    uint64_t at;
    if (!tf_time_parse_http_date(value, len, now_wall_ns, &at))
        return false;
    *delay_ns = at > now_wall_ns ? at - now_wall_ns : 0;
    return true;
}

const char *tf_retry_hint(long http_status)
{
    switch (http_status) {
    case 0:
        return "no HTTP response: check the endpoint's host name and port, DNS, TLS "
               "(certificate, http vs https) and any proxy settings";
    case 301:
    case 302:
    case 303:
    case 307:
    case 308:
        return "the endpoint redirects: the URL is probably not the OTLP endpoint "
               "(check http vs https and the path)";
    case 400:
        return "the backend could not decode the payload (or rejected its content, "
               "e.g. invalid ids or timestamps); the response body says why";
    case 401:
        return "authentication failed: check the token; for Grafana Cloud use the "
               "instance ID as the user and an access-policy token with the "
               "traces:write scope as the password";
    case 403:
        return "permission denied: the token must have the traces:write scope and "
               "belong to this stack (Grafana Cloud: the instance ID is the user)";
    case 404:
        return "wrong URL: use the OTLP endpoint, not the Grafana dashboard URL "
               "(Grafana Cloud: https://otlp-gateway-<region>.grafana.net/otlp), "
               "and check that the traces path /v1/traces is present";
    case 405:
        return "method not allowed: the URL is not an OTLP/HTTP receiver, which "
               "accepts POST on /v1/traces";
    case 408:
        return "the server timed out reading the request; check the network or "
               "lower the batch size";
    case 413:
        return "payload too large: batches are split and resent; a smaller batch "
               "size avoids the extra round trips";
    case 415:
        return "wrong content type: OTLP/HTTP accepts application/x-protobuf or "
               "application/json";
    case 429:
        return "rate limited by the backend: tracefill slows down; a lower send "
               "rate avoids this";
    case 500:
        return "the backend failed internally; per the OTLP spec this is not retried "
               "- check the backend's logs, then resume";
    case 502:
    case 503:
    case 504:
        return "the backend or a gateway in front of it is unavailable or overloaded; "
               "retried with backoff";
    default:
        if (http_status >= 400 && http_status <= 499)
            return "the backend rejected the request; the response body says why";
        if (http_status >= 500 && http_status <= 599)
            return "the backend failed; the response body may say why";
        return NULL;
    }
}
