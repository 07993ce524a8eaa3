/* retry.c: OTLP/HTTP response classification, full-jitter backoff,
 * Retry-After parsing and plain-language hints. */
#include "config.h"
#include "output/retry.h"

#include "common/timefmt.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

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

/* The first occurrence of needle in hay, ignoring ASCII case. */
static const char *find_nocase(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (const char *p = hay; *p; p++)
        if (!strncasecmp(p, needle, n))
            return p;
    return NULL;
}

static bool names_limit(const char *m)
{
    static const char *const words[] = { "RATE_LIMITED", "LIVE_TRACES_EXCEEDED", "RESOURCE_EXHAUSTED",
                                         "ResourceExhausted", "resource exhausted", "rate limit",
                                         "too many requests" };
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (find_nocase(m, words[i]))
            return true;
    return false;
}

/* The digits at p (after optional spaces), or false. */
static bool number_at(const char *p, uint64_t *v)
{
    while (*p == ' ')
        p++;
    if (*p < '0' || *p > '9')
        return false;
    uint64_t x = 0;
    for (; *p >= '0' && *p <= '9'; p++)
        x = x > UINT64_MAX / 10 - 10 ? UINT64_MAX : x * 10 + (uint64_t)(*p - '0');
    *v = x;
    return true;
}

/* "limit (300000 bytes) exceeded while adding 524288 bytes" (Tempo 2.x; the
 * newer "limit (local: 300000 bytes ..." too): the request alone is over the
 * limit, so waiting cannot help. gRPC's "message larger than max" likewise. */
static bool exceeds_outright(const char *m)
{
    if (find_nocase(m, "larger than max"))
        return true;
    const char *lim = find_nocase(m, "limit ("), *add = find_nocase(m, "while adding ");
    if (!lim || !add)
        return false;
    lim += 7;
    if (!strncasecmp(lim, "local:", 6))
        lim += 6;
    uint64_t limit, adding;
    return number_at(lim, &limit) && number_at(add + 13, &adding) && limit > 0 && adding > limit;
}

tf_retry_verdict tf_retry_judge(long http_status, const char *message, bool *throttled)
{
    const char *m = message ? message : "";
    tf_retry_verdict v = tf_retry_classify(http_status);
    bool limit = names_limit(m);
    *throttled = http_status == 429 || http_status == 503 || (http_status >= 500 && http_status <= 599 && limit);
    if (!*throttled)
        return v;
    if (exceeds_outright(m))
        return TF_RETRY_SPLIT;
    return TF_RETRY_AGAIN;
}

const char *tf_retry_message_hint(const char *message)
{
    const char *m = message ? message : "";
    if (find_nocase(m, "no org id"))
        return "this Tempo is multi-tenant: pass --tenant ID (sent as X-Scope-OrgID)";
    if (find_nocase(m, "LIVE_TRACES_EXCEEDED") || find_nocase(m, "max live traces"))
        return "Tempo keeps at most max_traces_per_user (10000) live traces per tenant, each until "
               "trace_idle_period (10s) passes; every record of a backfill is a new trace: tracefill slows "
               "down on its own (or raise max_traces_per_user)";
    if (find_nocase(m, "RATE_LIMITED") || find_nocase(m, "ingestion rate limit"))
        return "the tenant's ingestion rate limit (Tempo overrides ingestion_rate_limit_bytes and "
               "ingestion_burst_size_bytes): tracefill slows down on its own; --rate-limit-bytes below it "
               "avoids the throttling";
    return NULL;
}

bool tf_retry_grafana_dashboard(const char *url)
{
    const char *host = strstr(url, "://");
    host = host ? host + 3 : url;
    const char *at = strchr(host, '@'), *slash = strchr(host, '/');
    if (at && (!slash || at < slash))
        host = at + 1;
    size_t n = strcspn(host, "/:");
    static const char sfx[] = ".grafana.net";
    return n > sizeof sfx - 1 && !strncasecmp(host + n - (sizeof sfx - 1), sfx, sizeof sfx - 1) &&
           strncasecmp(host, "otlp-gateway", 12) != 0;
}

const char *tf_retry_not_otlp_hint(const char *url)
{
    if (tf_retry_grafana_dashboard(url))
        return TF_HINT_GRAFANA_DASHBOARD;
    return "give the OTLP/HTTP endpoint, not a web UI: for Grafana Cloud "
           "https://otlp-gateway-<region>.grafana.net/otlp (portal > your stack > OpenTelemetry), for Tempo "
           "its distributor's OTLP receiver (port 4318)";
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
               "- check the backend's logs (and the message above), then resume";
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
