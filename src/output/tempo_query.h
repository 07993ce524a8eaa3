/* tempo_query.h: Tempo's query API as `tracefill verify` uses it: GET
 * URL/api/echo (is this a Tempo query endpoint at all?) and GET
 * URL/api/traces/<32 hex> (the trace's spans as a tempopb.Trace in protobuf,
 * which costs Tempo less than its OTLP/JSON, or as JSON when a proxy answers
 * that; 404 when Tempo has none), with the same tenant (X-Scope-OrgID), authentication, TLS and
 * extra headers as the OTLP requests (output/http.h). Grafana Cloud's Tempo
 * query URL (https://tempo-prod-<n>-prod-<region>.grafana.net/tempo, basic
 * auth with the Tempo user and a token with traces:read) works the same.
 *
 * Lookups are queued with tf_tq_submit and run by tf_tq_next at most
 * `concurrency` at a time and at most `rate` started per second, so a verify
 * does not hammer the query path. 429, 5xx and transport failures are
 * retried with full-jitter backoff (or after Retry-After) up to max_retries
 * times; then that trace's lookup fails and the others go on. 401 and 403
 * stop everything (tf_tq_next returns -1).
 *
 * Ownership: the client copies the options it needs; a result's span ids
 * stay valid until the next tf_tq_next or tf_tq_free. Threads: one thread
 * drives a client. Example errors: "http://tempo:3200/api/traces/...: HTTP
 * 401: invalid credentials; hint: ...", "http://tempo:4318/api/echo answered
 * HTTP 404 (404 page not found): this is not Tempo's query API; ...". No
 * message holds a credential. */
#ifndef TF_TEMPO_QUERY_H
#define TF_TEMPO_QUERY_H

#include "common/err.h"
#include "tool/opts.h"

typedef struct tf_tq tf_tq;

typedef struct {
    const char *url;   /* the query endpoint's base URL (…/api/traces/<id> is appended) */
    int concurrency;   /* lookups in flight at once (>= 1) */
    double rate;       /* lookups started per second; <= 0: no limit */
    int max_retries;   /* of one lookup */
} tf_tq_opts;

typedef enum {
    TF_TQ_FOUND,     /* 200: the span ids Tempo holds for the trace */
    TF_TQ_NOT_FOUND, /* 404 */
    TF_TQ_FAILED,    /* no usable answer: why says what happened */
} tf_tq_status;

typedef struct {
    void *user;                  /* as given to tf_tq_submit */
    tf_tq_status status;
    const uint8_t *span_ids;     /* FOUND: 8 bytes per span of the trace (any order, maybe repeated) */
    size_t n_spans;
    const char *why;             /* FAILED: one line */
} tf_tq_result;

/* o gives the tenant, auth, TLS, headers and timeout (checked as for the
 * OTLP endpoint); NULL with err on a bad URL or option. */
tf_tq *tf_tq_new(const tf_opts *o, const tf_tq_opts *qo, tf_err *err);
void tf_tq_free(tf_tq *q);
/* The base URL for messages (credentials masked). */
const char *tf_tq_url(const tf_tq *q);
/* GET URL/api/echo, which Tempo answers 200 "echo": 0 when it does; -1 with
 * err (what was answered and a hint) otherwise. */
int tf_tq_probe(tf_tq *q, tf_err *err);
/* Queues a lookup of trace_id. */
void tf_tq_submit(tf_tq *q, const uint8_t trace_id[16], void *user);
/* Runs lookups until one finishes: 1 with *r set; 0 when none is queued or
 * in flight; -1 with err when authentication fails (401, 403). */
int tf_tq_next(tf_tq *q, tf_tq_result *r, tf_err *err);
/* Lookups queued or in flight. */
size_t tf_tq_pending(const tf_tq *q);

/* Pure: the span ids of trace_id in a GET /api/traces/<id> answer: Tempo's
 * {"batches":[{resource, scopeSpans:[{spans:[{spanId, traceId ...}]}]}]},
 * also "resourceSpans", "instrumentationLibrarySpans" and a {"trace": ...}
 * wrapper (newer Tempo); ids in base64 (the protobuf JSON mapping) or hex.
 * Spans of another trace are skipped. Appends 8 bytes per span to ids and
 * returns their number, or -1 with err when the body is no such answer. */
long tf_tempo_trace_span_ids(const char *body, size_t n, const uint8_t trace_id[16], tf_buf *ids, tf_err *err);

#endif
