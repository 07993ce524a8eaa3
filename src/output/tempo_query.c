/* tempo_query.c: lookups of traces by ID in Tempo's HTTP API (see
 * tempo_query.h), libcurl's multi interface driven by the caller's thread. */
#include "config.h"
#include "output/tempo_query.h"
#include "output/http_curl.h"
#include "output/ratelimit.h"
#include "output/retry.h"
#include "otlp/encode.h"
#include "otlp/response.h"
#include "common/json.h"
#include "common/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Tempo refuses traces over max_bytes_per_trace (5 MB by default); their
 * JSON is larger, but not by this much. */
#define TQ_BODY_MAX (256u << 20)

typedef struct query query;
struct query {
    query *next;
    uint8_t id[16];
    void *user;
    unsigned attempts;
    uint64_t not_before_ns;
    CURL *easy;
    tf_buf body;
    bool too_big;
    bool protobuf; /* the answer's Content-Type says protobuf */
    char errbuf[CURL_ERROR_SIZE];
    char url[1];     /* allocated with the query */
};

typedef struct done_item done_item;
struct done_item {
    done_item *next;
    void *user;
    tf_tq_status status;
    tf_buf ids;
    char *why;
};

struct tf_tq {
    tf_opts opts; /* a copy: endpoint is the query URL */
    tf_http *http;
    char *base;     /* the URL without trailing slashes */
    char *display;  /* the same for messages */
    CURLM *multi;
    int concurrency, max_retries;
    tf_bucket bucket;
    query *pending;  /* ordered by not_before_ns */
    query *pending_tail;
    query *flying;   /* in flight, linked through next */
    size_t n_pending, in_flight;
    done_item *done_head, *done_tail, *handed; /* handed: the result last returned */
    tf_err fatal;
    uint64_t rnd;
};

static uint64_t next_rand(tf_tq *q)
{
    uint64_t x = q->rnd;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    q->rnd = x;
    return x * 0x2545F4914F6CDD1Dull;
}

/* ---- the answer's span ids --------------------------------------------------- */

static int b64_val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

/* An id of want bytes, in base64 (padded or not, either alphabet) or hex. */
static bool decode_id(tf_str s, uint8_t *out, size_t want)
{
    if (s.len == want * 2)
        return tf_hex_decode(out, s.p, want) == 0;
    size_t n = s.len;
    while (n && s.p[n - 1] == '=')
        n--;
    if (n != (want * 4 + 2) / 3)
        return false;
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64_val((unsigned char)s.p[i]);
        if (v < 0)
            return false;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o < want)
                out[o++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    return o == want;
}

static const tf_json *either(const tf_json *obj, const char *a, const char *b)
{
    const tf_json *v = tf_json_get_nn(obj, a);
    return v ? v : tf_json_get_nn(obj, b);
}

static long spans_of_scope(const tf_json *ss, const uint8_t trace_id[16], tf_buf *ids)
{
    const tf_json *spans = tf_json_get_nn(ss, "spans");
    if (!spans)
        return 0;
    if (spans->type != TF_JSON_ARRAY)
        return -1;
    long n = 0;
    for (size_t k = 0; k < spans->n; k++) {
        const tf_json *sp = spans->items[k];
        const tf_json *sid = either(sp, "spanId", "span_id"), *tid = either(sp, "traceId", "trace_id");
        uint8_t id[8], t[16];
        if (!sid || sid->type != TF_JSON_STRING || !decode_id(sid->str, id, 8))
            return -1;
        if (tid && tid->type == TF_JSON_STRING && decode_id(tid->str, t, 16) && memcmp(t, trace_id, 16) != 0)
            continue; /* another trace's span */
        tf_buf_append(ids, id, 8);
        n++;
    }
    return n;
}

long tf_tempo_trace_span_ids(const char *body, size_t n, const uint8_t trace_id[16], tf_buf *ids, tf_err *err)
{
    tf_json_parser *p = tf_json_parser_new();
    tf_arena a;
    tf_arena_init(&a, 64 * 1024);
    tf_err why;
    size_t start = ids->len;
    long total = 0;
    const tf_json *root = tf_json_parse_one(p, &a, body, n, &why);
    const tf_json *wrapped = root ? tf_json_get_nn(root, "trace") : NULL;
    if (wrapped)
        root = wrapped;
    const tf_json *batches = root ? either(root, "batches", "resourceSpans") : NULL;
    if (!root) {
        total = tf_err_set(err, "the answer is not JSON: %s", why.msg);
    } else if (root->type != TF_JSON_OBJECT) {
        total = tf_err_set(err, "the answer is not a JSON object");
    } else if (batches && batches->type != TF_JSON_ARRAY) {
        total = tf_err_set(err, "\"batches\" is not an array");
    }
    for (size_t i = 0; total >= 0 && batches && i < batches->n; i++) {
        const tf_json *scopes = either(batches->items[i], "scopeSpans", "instrumentationLibrarySpans");
        if (!scopes)
            continue;
        if (scopes->type != TF_JSON_ARRAY) {
            total = tf_err_set(err, "batch %zu: scopeSpans is not an array", i);
            break;
        }
        for (size_t j = 0; j < scopes->n; j++) {
            long k = spans_of_scope(scopes->items[j], trace_id, ids);
            if (k < 0) {
                total = tf_err_set(err, "batch %zu, scope %zu: a span without a valid spanId", i, j);
                break;
            }
            total += k;
        }
    }
    if (total < 0)
        ids->len = start;
    tf_arena_free(&a);
    tf_json_parser_free(p);
    return total;
}

/* tempopb.Trace in protobuf: batches = 1 (ResourceSpans: scope_spans = 2,
 * or instrumentation_library_spans = 1000 before OTLP 0.15), spans = 2
 * (Span: trace_id = 1, span_id = 2). Walks one message's fields; calls back
 * for each length-delimited field. */
typedef int (*pb_field_fn)(void *ctx, uint64_t field, const uint8_t *p, size_t n);

static int pb_walk(const uint8_t *p, size_t n, pb_field_fn fn, void *ctx)
{
    const uint8_t *end = p + n;
    while (p < end) {
        uint64_t key, v;
        if (!tf_pb_read_varint(&p, end, &key))
            return -1;
        switch (key & 7) {
        case 0:
            if (!tf_pb_read_varint(&p, end, &v))
                return -1;
            break;
        case 1:
        case 5: {
            size_t w = (key & 7) == 1 ? 8 : 4;
            if ((size_t)(end - p) < w)
                return -1;
            p += w;
            break;
        }
        case 2:
            if (!tf_pb_read_varint(&p, end, &v) || v > (uint64_t)(end - p))
                return -1;
            if (fn(ctx, key >> 3, p, (size_t)v) != 0)
                return -1;
            p += v;
            break;
        default:
            return -1;
        }
    }
    return 0;
}

typedef struct {
    const uint8_t *trace_id;
    tf_buf *ids;
    long n;
    const uint8_t *tid, *sid; /* the span being read */
    size_t tid_len, sid_len;
} pb_ctx;

static int pb_span_field(void *ctx, uint64_t f, const uint8_t *p, size_t n)
{
    pb_ctx *c = ctx;
    if (f == 1) {
        c->tid = p;
        c->tid_len = n;
    } else if (f == 2) {
        c->sid = p;
        c->sid_len = n;
    }
    return 0;
}

static int pb_scope_field(void *ctx, uint64_t f, const uint8_t *p, size_t n)
{
    pb_ctx *c = ctx;
    if (f != 2)
        return 0;
    c->tid = c->sid = NULL;
    c->tid_len = c->sid_len = 0;
    if (pb_walk(p, n, pb_span_field, c) != 0 || c->sid_len != 8)
        return -1;
    if (c->tid_len == 16 && memcmp(c->tid, c->trace_id, 16) != 0)
        return 0; /* another trace's span */
    tf_buf_append(c->ids, c->sid, 8);
    c->n++;
    return 0;
}

static int pb_batch_field(void *ctx, uint64_t f, const uint8_t *p, size_t n)
{
    return f == 2 || f == 1000 ? pb_walk(p, n, pb_scope_field, ctx) : 0;
}

static int pb_trace_field(void *ctx, uint64_t f, const uint8_t *p, size_t n)
{
    return f == 1 ? pb_walk(p, n, pb_batch_field, ctx) : 0;
}

static long pb_trace_span_ids(const uint8_t *body, size_t n, const uint8_t trace_id[16], tf_buf *ids, tf_err *err)
{
    pb_ctx c = { trace_id, ids, 0, NULL, NULL, 0, 0 };
    size_t start = ids->len;
    if (pb_walk(body, n, pb_trace_field, &c) != 0) {
        ids->len = start;
        return tf_err_set(err, "the protobuf answer is no tempopb.Trace (or a span lacks an 8-byte span_id)");
    }
    return c.n;
}

/* ---- the client ----------------------------------------------------------------- */

tf_tq *tf_tq_new(const tf_opts *o, const tf_tq_opts *qo, tf_err *err)
{
    tf_tq *q = tf_xcalloc(1, sizeof *q);
    q->opts = *o;
    size_t n = strlen(qo->url);
    while (n && qo->url[n - 1] == '/')
        n--;
    q->base = tf_xstrndup(qo->url, n);
    q->opts.endpoint = q->base;
    q->http = tf_http_new(&q->opts, err);
    if (!q->http) {
        if (strstr(err->msg, "no endpoint"))
            tf_err_set(err, "verify needs --query-endpoint URL (Tempo's HTTP API, e.g. http://tempo:3200)");
        free(q->base);
        free(q);
        return NULL;
    }
    q->display = tf_xstrdup(tf_http_url(q->http));
    q->multi = curl_multi_init();
    q->concurrency = qo->concurrency > 0 ? qo->concurrency : 1;
    q->max_retries = qo->max_retries;
    curl_multi_setopt(q->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)q->concurrency);
    uint64_t now = tf_now_mono_ns();
    tf_bucket_init(&q->bucket, qo->rate, 0, now);
    q->rnd = now ^ 0x9E3779B97F4A7C15ull;
    return q;
}

static void query_free(query *x)
{
    if (!x)
        return;
    tf_buf_free(&x->body);
    free(x);
}

static void done_free(done_item *d)
{
    if (!d)
        return;
    tf_buf_free(&d->ids);
    free(d->why);
    free(d);
}

void tf_tq_free(tf_tq *q)
{
    if (!q)
        return;
    for (query *x = q->pending, *n; x; x = n) {
        n = x->next;
        query_free(x);
    }
    for (done_item *d = q->done_head, *n; d; d = n) {
        n = d->next;
        done_free(d);
    }
    done_free(q->handed);
    for (query *x = q->flying, *n; x; x = n) {
        n = x->next;
        curl_multi_remove_handle(q->multi, x->easy);
        curl_easy_cleanup(x->easy);
        query_free(x);
    }
    if (q->multi)
        curl_multi_cleanup(q->multi);
    tf_http_free(q->http);
    free(q->display);
    free(q->base);
    free(q);
}

const char *tf_tq_url(const tf_tq *q)
{
    return q->display;
}

size_t tf_tq_pending(const tf_tq *q)
{
    return q->n_pending + q->in_flight;
}

static size_t keep_body(char *ptr, size_t size, size_t nmemb, void *ctx)
{
    query *x = ctx;
    size_t n = size * nmemb;
    if (x->body.len + n > TQ_BODY_MAX) {
        x->too_big = true;
        return 0; /* aborts the transfer */
    }
    tf_buf_append(&x->body, ptr, n);
    return n;
}

static void setup(tf_tq *q, query *x, CURL *e)
{
    tf_http_setup_get(q->http, e, x->url);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, keep_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
    curl_easy_setopt(e, CURLOPT_PRIVATE, x);
}

static query *new_query(tf_tq *q, const char *path)
{
    size_t n = strlen(q->base) + strlen(path);
    query *x = tf_xcalloc(1, sizeof *x + n);
    snprintf(x->url, n + 1, "%s%s", q->base, path);
    return x;
}

/* The first line of an answer, printable, credentials hidden. */
static void answer_line(tf_tq *q, const tf_buf *body, tf_buf *out)
{
    if (!tf_rpc_status_message(false, body->p, TF_MIN(body->len, 512), out)) {
        size_t n = 0;
        while (n < body->len && n < 160 && body->p[n] != '\n')
            n++;
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)body->p[i];
            tf_buf_putc(out, c < 0x20 || c == 0x7f ? ' ' : (char)c);
        }
    }
    tf_http_redact(q->http, out);
    tf_buf_cstr(out);
}

/* For a 401 or 403: what the message names (Tempo's "no org id": the
 * tenant), else the credentials. */
static const char *auth_hint(const char *message)
{
    const char *h = tf_retry_message_hint(message);
    return h ? h
             : "check the token and user: Grafana Cloud's Tempo query URL takes the Tempo user (the number on the "
               "stack's Tempo tile, not the OTLP one) and a token with the traces:read scope";
}

int tf_tq_probe(tf_tq *q, tf_err *err)
{
    query *x = new_query(q, "/api/echo");
    CURL *e = curl_easy_init();
    setup(q, x, e);
    CURLcode rc = curl_easy_perform(e);
    long status = 0;
    if (rc == CURLE_OK)
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(e);
    int ret = 0;
    tf_buf said = { 0 };
    if (rc != CURLE_OK) {
        tf_buf_puts(&said, x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
        tf_http_redact(q->http, &said);
        ret = tf_err_set(err, "%s/api/echo: %s", q->display, tf_buf_cstr(&said));
    } else if (status == 401 || status == 403) {
        answer_line(q, &x->body, &said);
        ret = tf_err_set(err, "%s/api/echo: HTTP %ld: %s; hint: %s", q->display, status, said.p, auth_hint(said.p));
    } else if (status != 200 || x->body.len < 4 || strncmp(x->body.p, "echo", 4) != 0) {
        answer_line(q, &x->body, &said);
        ret = tf_err_set(err,
                         "%s/api/echo answered HTTP %ld (%s), not Tempo's \"echo\": this is not Tempo's query "
                         "API; hint: give Tempo's HTTP API (port 3200 by default; Grafana Cloud: the Tempo data "
                         "source URL, https://tempo-prod-<n>-prod-<region>.grafana.net/tempo), not the OTLP endpoint",
                         q->display, status, said.len ? said.p : "empty");
    }
    tf_buf_free(&said);
    query_free(x);
    return ret;
}

/* Inserts keeping `pending` ordered by not_before (stable). */
static void schedule(tf_tq *q, query *x)
{
    x->next = NULL;
    if (!q->pending || q->pending_tail->not_before_ns <= x->not_before_ns) {
        if (q->pending)
            q->pending_tail->next = x;
        else
            q->pending = x;
        q->pending_tail = x;
    } else {
        query **pp = &q->pending;
        while (*pp && (*pp)->not_before_ns <= x->not_before_ns)
            pp = &(*pp)->next;
        x->next = *pp;
        *pp = x;
    }
    q->n_pending++;
}

void tf_tq_submit(tf_tq *q, const uint8_t trace_id[16], void *user)
{
    char path[64];
    char hex[33];
    tf_hex_encode(hex, trace_id, 16);
    hex[32] = '\0';
    snprintf(path, sizeof path, "/api/traces/%s", hex);
    query *x = new_query(q, path);
    memcpy(x->id, trace_id, 16);
    x->user = user;
    x->not_before_ns = tf_now_mono_ns();
    schedule(q, x);
}

static void finish(tf_tq *q, query *x, tf_tq_status st, const char *why, tf_buf *ids)
{
    done_item *d = tf_xcalloc(1, sizeof *d);
    d->user = x->user;
    d->status = st;
    d->why = why ? tf_xstrdup(why) : NULL;
    if (ids) {
        d->ids = *ids;
        *ids = (tf_buf){ 0 };
    }
    if (q->done_tail)
        q->done_tail->next = d;
    else
        q->done_head = d;
    q->done_tail = d;
    query_free(x);
}

static void retry_or_fail(tf_tq *q, query *x, const char *why, const uint64_t *retry_after, uint64_t now)
{
    if ((int)x->attempts > q->max_retries) {
        tf_buf m = { 0 };
        tf_buf_printf(&m, "gave up after %u attempts: %s", x->attempts, why);
        finish(q, x, TF_TQ_FAILED, tf_buf_cstr(&m), NULL);
        tf_buf_free(&m);
        return;
    }
    uint64_t delay = retry_after && *retry_after
                         ? TF_MIN(*retry_after, 60000000000ull)
                         : 100000000ull + tf_backoff_full_jitter_ns(x->attempts - 1, 500000000ull, 10000000000ull,
                                                                   next_rand(q));
    tf_verbosef("%s: %s; retrying in %.1f s", x->url, why, (double)delay / 1e9);
    tf_buf_free(&x->body);
    x->too_big = false;
    x->not_before_ns = now + delay;
    schedule(q, x);
}

static void handle_done(tf_tq *q, CURLMsg *m, uint64_t now)
{
    query *x = NULL;
    CURL *e = m->easy_handle;
    CURLcode rc = m->data.result;
    curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&x);
    long status = 0;
    uint64_t ra = 0;
    bool has_ra = false;
    if (rc == CURLE_OK) {
        char *ct = NULL;
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_getinfo(e, CURLINFO_CONTENT_TYPE, &ct);
        x->protobuf = ct && strstr(ct, "protobuf");
        struct curl_header *h;
        if (curl_easy_header(e, "Retry-After", 0, CURLH_HEADER, -1, &h) == CURLHE_OK)
            has_ra = tf_retry_after_parse(h->value, tf_now_wall_ns(), &ra);
    }
    curl_multi_remove_handle(q->multi, e);
    curl_easy_cleanup(e);
    x->easy = NULL;
    for (query **pp = &q->flying; *pp; pp = &(*pp)->next)
        if (*pp == x) {
            *pp = x->next;
            break;
        }
    q->in_flight--;
    tf_buf said = { 0 };
    if (rc != CURLE_OK) {
        if (x->too_big) {
            finish(q, x, TF_TQ_FAILED, "the answer is larger than 256 MiB", NULL);
        } else {
            tf_buf_puts(&said, x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
            tf_http_redact(q->http, &said);
            if (tf_http_outcome_of(rc) == TF_HTTP_FAIL_TLS_VERIFY) {
                tf_err_set(&q->fatal, "%s: %s; hint: pass --cacert FILE for a private CA", q->display,
                           tf_buf_cstr(&said));
                finish(q, x, TF_TQ_FAILED, q->fatal.msg, NULL);
            } else {
                retry_or_fail(q, x, tf_buf_cstr(&said), NULL, now);
            }
        }
    } else if (status == 200) {
        tf_buf ids = { 0 };
        tf_err err;
        long got = x->protobuf ? pb_trace_span_ids((const uint8_t *)x->body.p, x->body.len, x->id, &ids, &err)
                               : tf_tempo_trace_span_ids(x->body.p, x->body.len, x->id, &ids, &err);
        if (got < 0) {
            tf_buf_printf(&said, "HTTP 200, but %s", err.msg);
            finish(q, x, TF_TQ_FAILED, tf_buf_cstr(&said), NULL);
        } else {
            finish(q, x, TF_TQ_FOUND, NULL, &ids);
        }
        tf_buf_free(&ids);
    } else if (status == 404) {
        finish(q, x, TF_TQ_NOT_FOUND, NULL, NULL);
    } else if (status == 401 || status == 403) {
        answer_line(q, &x->body, &said);
        tf_err_set(&q->fatal, "%s: HTTP %ld: %s; hint: %s", x->url, status, said.p, auth_hint(said.p));
        finish(q, x, TF_TQ_FAILED, q->fatal.msg, NULL);
    } else {
        answer_line(q, &x->body, &said);
        tf_buf w = { 0 };
        tf_buf_printf(&w, "HTTP %ld: %s", status, said.p);
        if (status == 429 || (status >= 500 && status <= 599))
            retry_or_fail(q, x, tf_buf_cstr(&w), has_ra ? &ra : NULL, now);
        else
            finish(q, x, TF_TQ_FAILED, tf_buf_cstr(&w), NULL);
        tf_buf_free(&w);
    }
    tf_buf_free(&said);
}

/* Starts what concurrency, the rate and the retry times allow; sets
 * *timeout_ms to when more could start. */
static void start_more(tf_tq *q, uint64_t now, long *timeout_ms)
{
    while (q->pending && q->in_flight < (size_t)q->concurrency) {
        query *x = q->pending;
        if (x->not_before_ns > now) {
            *timeout_ms = TF_MIN(*timeout_ms, (long)((x->not_before_ns - now) / 1000000u) + 1);
            return;
        }
        uint64_t w = tf_bucket_wait_ns(&q->bucket, 1, now);
        if (w) {
            *timeout_ms = TF_MIN(*timeout_ms, (long)(w / 1000000u) + 1);
            return;
        }
        tf_bucket_take(&q->bucket, 1, now);
        q->pending = x->next;
        if (!q->pending)
            q->pending_tail = NULL;
        q->n_pending--;
        x->easy = curl_easy_init();
        setup(q, x, x->easy);
        x->errbuf[0] = '\0';
        x->attempts++;
        curl_multi_add_handle(q->multi, x->easy);
        x->next = q->flying;
        q->flying = x;
        q->in_flight++;
    }
}

int tf_tq_next(tf_tq *q, tf_tq_result *r, tf_err *err)
{
    done_free(q->handed);
    q->handed = NULL;
    for (;;) {
        if (q->fatal.msg[0]) {
            tf_err_set(err, "%s", q->fatal.msg);
            return -1;
        }
        if (q->done_head) {
            done_item *d = q->done_head;
            q->done_head = d->next;
            if (!q->done_head)
                q->done_tail = NULL;
            q->handed = d;
            *r = (tf_tq_result){ d->user, d->status, (const uint8_t *)d->ids.p, d->ids.len / 8, d->why };
            return 1;
        }
        if (!q->pending && !q->in_flight)
            return 0;
        long timeout = 100;
        start_more(q, tf_now_mono_ns(), &timeout);
        int running = 0;
        curl_multi_perform(q->multi, &running);
        CURLMsg *m;
        int left;
        bool any = false;
        while ((m = curl_multi_info_read(q->multi, &left)))
            if (m->msg == CURLMSG_DONE) {
                handle_done(q, m, tf_now_mono_ns());
                any = true;
            }
        if (!any)
            curl_multi_poll(q->multi, NULL, 0, (int)TF_MAX(timeout, 1), NULL);
    }
}
