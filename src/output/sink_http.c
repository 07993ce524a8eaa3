/* sink_http.c: the OTLP/HTTP sink, libcurl's multi interface on a sender
 * thread.
 *
 * The pipeline thread hands whole batches to submit(); the sender thread
 * turns each into one or more "parts" (span ranges: a 413 splits a part in
 * two), compresses and sends them, keeping up to --concurrency requests in
 * flight over kept-alive connections, paced by the token buckets, and retries
 * what the OTLP/HTTP spec says to retry (429, 502, 503, 504, transport
 * failures) with full-jitter backoff or the server's Retry-After. Throttles
 * (429, 503, and Tempo's 500s naming a limit, output/retry.h) are
 * backpressure: retried without counting against --max-retries, and the
 * send rate follows the AIMD controller (output/ratelimit.h); a request the
 * limit can never take is split, and later ones of that size are split
 * before they go. A batch is handed back through the completion queue when
 * all its parts were accepted with an OTLP answer; the pipeline thread
 * delivers it to `done` in poll()/finish(). Anything else (400, 401, 403,
 * other 4xx/5xx, a 2xx that is no OTLP answer, a TLS certificate that does
 * not verify, retries exhausted) is fatal: the sink keeps that error (the
 * backend's own message, credentials redacted, and a hint) and returns it
 * from every later call; the pipeline shows it. */
#include "config.h"
#include "output/sink.h"
#include "output/http_curl.h"
#include "output/body_compress.h"
#include "output/ratelimit.h"
#include "output/retry.h"
#include "otlp/response.h"
#include "common/log.h"
#include "common/timefmt.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- state ---------------------------------------------------------------- */

typedef struct bctx bctx;
typedef struct part part;

struct bctx {
    tf_batch *b;
    int parts_left;
    bool failed;
    bctx *next_done;             /* incoming or completion queue */
    bctx *prev_live, *next_live; /* sender: batches it holds */
};

struct part {
    part *next;                /* pending list */
    part *prev_fly, *next_fly; /* in-flight list */
    bctx *owner;
    size_t from, to;
    unsigned attempts;  /* sends so far */
    unsigned throttled; /* of which answered with a throttle */
    uint64_t first_ns;  /* first send (0: not sent yet) */
    uint64_t not_before_ns;
    tf_buf body; /* compressed request, built on first send, kept for retries */
    size_t raw_len;
    CURL *easy;
    tf_buf resp;
    char errbuf[CURL_ERROR_SIZE];
    uint64_t sent_ns;
};

typedef struct {
    tf_sink base;
    const tf_opts *o;
    tf_http *http;
    char *describe;
    pthread_t thread;
    bool thread_started;
    /* base.stop_request as the sender thread sees it: the caller sets that
     * after the thread started, so it is handed over under mu by submit
     * and finish (the sender reads it in take_incoming). */
    const atomic_int *stop_flag;
    const atomic_int *sender_stop_flag; /* the sender thread's copy */
    pthread_mutex_t mu;
    pthread_cond_t cv;          /* completions arrived / space freed */
    /* guarded by mu */
    bctx *incoming_head, *incoming_tail; /* submitted, not yet seen by the sender */
    size_t outstanding;         /* batches submitted and not yet delivered */
    bctx *done_head, *done_tail;
    bool finishing, stop_now;
    tf_err fatal;               /* the first fatal error; "" while none */
    tf_sink_stats shared_stats;
    /* sender-thread only */
    CURLM *multi;
    part *pending;              /* waiting to be (re)sent, in order */
    part *flying;               /* in flight */
    size_t in_flight;
    bctx *live;                 /* batches held by the sender */
    tf_compressor *comp;
    tf_buf raw_scratch, comp_scratch;
    tf_bucket spans_bucket, bytes_bucket;
    tf_aimd aimd;               /* the spans/s rate while the backend throttles */
    uint64_t pause_until_ns;    /* a throttle's Retry-After holds all sending */
    size_t split_above;         /* requests larger than this (raw bytes) were refused as too big */
    uint64_t stop_seen_ns;      /* when the stop request was first seen */
    bool stopped_by_request;    /* guarded by mu */
    uint64_t rnd;
} http_sink;

/* What an answer (or its absence) said, gathered before the handle goes. */
typedef struct {
    CURLcode result;
    long status;           /* 0: no HTTP answer */
    char *ctype;           /* its Content-Type, NULL when none */
    bool has_retry_after;  /* a Retry-After that parsed */
    uint64_t retry_after;  /* its delay (0 for 0 or a date in the past) */
    tf_buf msg;            /* the backend's message (or the transport's), one line, redacted */
} answer;

static uint64_t next_rand(http_sink *s)
{
    /* xorshift64*: only jitter depends on it */
    uint64_t x = s->rnd;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    s->rnd = x;
    return x * 0x2545F4914F6CDD1Dull;
}

static void set_fatal(http_sink *s, const char *msg)
{
    pthread_mutex_lock(&s->mu);
    if (!s->fatal.msg[0])
        tf_err_set(&s->fatal, "%s", msg);
    s->stop_now = true;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

static void complete(http_sink *s, bctx *c)
{
    if (c->prev_live)
        c->prev_live->next_live = c->next_live;
    else if (s->live == c)
        s->live = c->next_live;
    if (c->next_live)
        c->next_live->prev_live = c->prev_live;
    c->prev_live = c->next_live = NULL;
    pthread_mutex_lock(&s->mu);
    c->next_done = NULL;
    if (s->done_tail)
        s->done_tail->next_done = c;
    else
        s->done_head = c;
    s->done_tail = c;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

static void part_free(part *p)
{
    tf_buf_free(&p->body);
    tf_buf_free(&p->resp);
    free(p);
}

/* Inserts keeping `pending` ordered by not_before (stable). */
static void schedule(http_sink *s, part *p)
{
    part **pp = &s->pending;
    while (*pp && (*pp)->not_before_ns <= p->not_before_ns)
        pp = &(*pp)->next;
    p->next = *pp;
    *pp = p;
}

static part *new_part(bctx *c, size_t from, size_t to, uint64_t now)
{
    part *p = tf_xcalloc(1, sizeof *p);
    p->owner = c;
    p->from = from;
    p->to = to;
    p->not_before_ns = now;
    return p;
}

/* Cuts p in two (p keeps the first half); both wait for a (re)send now. */
static void split_part(http_sink *s, part *p, uint64_t now)
{
    size_t mid = p->from + (p->to - p->from) / 2;
    part *q = new_part(p->owner, mid, p->to, now);
    p->owner->parts_left++;
    p->to = mid;
    tf_buf_free(&p->body); /* rebuilt for the smaller range */
    p->not_before_ns = now;
    schedule(s, p);
    schedule(s, q);
}

/* Builds the part's request once (kept for retries). The request and the
 * compressor's output go through scratch buffers the sender reuses, and the
 * body kept is allocated at its exact size: memory in flight stays close to
 * the compressed bytes. */
static int build_body(http_sink *s, part *p)
{
    if (p->body.len)
        return 0;
    tf_buf *raw = &s->raw_scratch;
    raw->len = 0;
    tf_buf_reserve(raw, p->owner->b->est_bytes + 64);
    tf_batch_request(p->owner->b, p->from, p->to, raw);
    p->raw_len = raw->len;
    const tf_buf *src = raw;
    if (s->o->compression != TF_COMP_NONE) {
        s->comp_scratch.len = 0;
        if (tf_compress(s->comp, raw->p, raw->len, &s->comp_scratch) != 0)
            return -1;
        src = &s->comp_scratch;
    }
    p->body.p = tf_xmalloc(src->len ? src->len : 1);
    memcpy(p->body.p, src->p, src->len);
    p->body.len = p->body.cap = src->len;
    return 0;
}

static int send_part(http_sink *s, part *p, uint64_t now)
{
    if (build_body(s, p) != 0) {
        set_fatal(s, "cannot compress a request body");
        return -1;
    }
    p->easy = curl_easy_init();
    if (!p->easy) {
        set_fatal(s, "curl_easy_init failed (out of memory?)");
        return -1;
    }
    tf_http_setup(s->http, p->easy);
    curl_easy_setopt(p->easy, CURLOPT_POSTFIELDS, p->body.p);
    curl_easy_setopt(p->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)p->body.len);
    curl_easy_setopt(p->easy, CURLOPT_WRITEFUNCTION, tf_http_keep_body);
    curl_easy_setopt(p->easy, CURLOPT_WRITEDATA, &p->resp);
    curl_easy_setopt(p->easy, CURLOPT_ERRORBUFFER, p->errbuf);
    curl_easy_setopt(p->easy, CURLOPT_PRIVATE, p);
    p->errbuf[0] = '\0';
    p->resp.len = 0;
    if (!p->attempts++) {
        p->first_ns = now;
        tf_aimd_sending(&s->aimd, p->to - p->from);
    }
    p->sent_ns = now;
    curl_multi_add_handle(s->multi, p->easy);
    p->prev_fly = NULL;
    p->next_fly = s->flying;
    if (s->flying)
        s->flying->prev_fly = p;
    s->flying = p;
    s->in_flight++;
    return 0;
}

/* Control characters (line breaks, tabs ...) become spaces: one message, one line. */
static void one_line(tf_buf *b)
{
    for (size_t i = 0; i < b->len; i++)
        if ((unsigned char)b->p[i] < 0x20 || b->p[i] == 0x7f)
            b->p[i] = ' ';
}

/* Cuts b to at most max bytes, at a UTF-8 character boundary, marking the cut. */
static void shorten(tf_buf *b, size_t max)
{
    if (b->len <= max)
        return;
    size_t n = max > 3 ? max - 3 : 0;
    while (n && ((unsigned char)b->p[n] & 0xC0) == 0x80)
        n--;
    b->len = n;
    tf_buf_puts(b, "...");
}

static void answer_free(answer *a)
{
    free(a->ctype);
    tf_buf_free(&a->msg);
}

static bool ctype_says(const char *ctype, const char *what)
{
    return ctype && strstr(ctype, what);
}

/* The backend's message from an error answer (a google.rpc.Status in the
 * encoding its Content-Type names, else the request's; or short plain text),
 * or the transport's error: one line, credentials replaced by ***. */
static void answer_message(http_sink *s, part *p, answer *a)
{
    if (a->result == CURLE_OK) {
        bool json = ctype_says(a->ctype, "json") ||
                    (!ctype_says(a->ctype, "protobuf") && s->o->protocol == TF_ENC_JSON);
        if (!(a->status >= 200 && a->status <= 299))
            tf_rpc_status_message(json, p->resp.p, p->resp.len, &a->msg);
    } else {
        tf_buf_puts(&a->msg, p->errbuf[0] ? p->errbuf : curl_easy_strerror(a->result));
    }
    one_line(&a->msg);
    tf_http_redact(s->http, &a->msg);
    tf_buf_cstr(&a->msg);
}

/* The hint for an answer: what the backend's message names first (Tempo's
 * limits, a missing tenant), else what its status means. */
static const char *answer_hint(const answer *a)
{
    if (!a->status) {
        if (tf_http_outcome_of(a->result) == TF_HTTP_FAIL_TLS_VERIFY)
            return "the TLS certificate could not be verified: for a private CA pass --cacert FILE (or set "
                   "OTEL_EXPORTER_OTLP_CERTIFICATE); --insecure only for testing";
        return NULL;
    }
    const char *h = tf_retry_message_hint(a->msg.p);
    return h ? h : tf_retry_hint(a->status);
}

/* Into m, after lead: "URL: HTTP 400: <the backend's message> (what); hint: ..."
 * or "URL: <transport error>". The backend's message is shortened when needed
 * so that the whole line, hint included, fits in a tf_err. */
static void describe_failure(http_sink *s, const answer *a, const char *what, const char *lead, tf_buf *m)
{
    tf_buf detail = { 0 }, tail = { 0 };
    tf_buf_append(&detail, a->msg.p, a->msg.len);
    if (!a->status && !detail.len)
        tf_buf_puts(&detail, "transfer failed");
    if (what)
        tf_buf_printf(&tail, " (%s)", what);
    const char *hint = answer_hint(a);
    if (hint)
        tf_buf_printf(&tail, "; hint: %s", hint);
    size_t start = m->len;
    tf_buf_printf(m, "%s%s", lead ? lead : "", tf_http_url(s->http));
    if (a->status)
        tf_buf_printf(m, ": HTTP %ld", a->status);
    size_t fixed = m->len - start + tail.len + 2;
    if (detail.len)
        shorten(&detail, fixed < TF_ERR_MAX - 1 ? TF_ERR_MAX - 1 - fixed : 0);
    if (detail.len)
        tf_buf_printf(m, ": %.*s", (int)detail.len, detail.p);
    tf_buf_append(m, tail.p, tail.len);
    tf_buf_cstr(m);
    tf_buf_free(&detail);
    tf_buf_free(&tail);
}

static void fail_part(http_sink *s, part *p, const answer *a, const char *what, const char *lead)
{
    tf_buf m = { 0 };
    describe_failure(s, a, what, lead, &m);
    set_fatal(s, m.p);
    tf_buf_free(&m);
    part_free(p);
}

static void fail_part_msg(http_sink *s, part *p, const char *msg)
{
    set_fatal(s, msg);
    part_free(p);
}

static void part_succeeded(http_sink *s, part *p, uint64_t now)
{
    size_t n = p->to - p->from;
    if (tf_aimd_accepted(&s->aimd, n, p->sent_ns, now))
        tf_bucket_set_rate(&s->spans_bucket, s->aimd.rate, now);
    pthread_mutex_lock(&s->mu);
    s->shared_stats.send_rate = s->aimd.rate;
    s->shared_stats.requests++;
    s->shared_stats.spans += n;
    s->shared_stats.bytes += p->body.len;
    s->shared_stats.settled_spans_per_s = tf_aimd_settled(&s->aimd);
    pthread_mutex_unlock(&s->mu);
    tf_verbosef("sent %zu spans (%zu bytes, %zu compressed) in %llu ms", n, p->raw_len, p->body.len,
                (unsigned long long)((now - p->sent_ns) / 1000000u));
    bctx *c = p->owner;
    part_free(p);
    if (--c->parts_left == 0)
        complete(s, c);
}

/* A 2xx: delivered only when it is an OTLP answer; it may still say that the
 * backend dropped some spans (partial success). */
static void answer_ok(http_sink *s, part *p, const answer *a, uint64_t now)
{
    size_t n = p->to - p->from;
    int64_t rejected = 0;
    tf_buf said = { 0 };
    tf_err why = { "" };
    tf_answer_kind k = tf_otlp_answer(a->ctype, p->resp.p, p->resp.len, n, &rejected, &said, &why);
    char m[TF_ERR_MAX];
    switch (k) {
    case TF_ANSWER_NOT_OTLP:
        snprintf(m, sizeof m,
                 "%s: this endpoint is not an OTLP receiver (it answered with %s; HTTP %ld, %s, %zu bytes); "
                 "nothing was delivered; hint: %s",
                 tf_http_url(s->http), why.msg, a->status, a->ctype ? a->ctype : "no Content-Type", p->resp.len,
                 tf_retry_not_otlp_hint(tf_http_url(s->http)));
        fail_part_msg(s, p, m);
        break;
    case TF_ANSWER_MALFORMED:
        snprintf(m, sizeof m, "%s: HTTP %ld, but the answer is malformed: %s; not counted as delivered",
                 tf_http_url(s->http), a->status, why.msg);
        fail_part_msg(s, p, m);
        break;
    case TF_ANSWER_PARTIAL:
        one_line(&said);
        tf_http_redact(s->http, &said);
        tf_warnf("the backend accepted the request partially: %lld of %zu spans rejected%s%.*s",
                 (long long)rejected, n, said.len ? ": " : "", (int)said.len, said.p ? said.p : "");
        pthread_mutex_lock(&s->mu);
        s->shared_stats.rejected_spans += (uint64_t)rejected;
        pthread_mutex_unlock(&s->mu);
        part_succeeded(s, p, now);
        break;
    case TF_ANSWER_OK:
        part_succeeded(s, p, now);
        break;
    }
    tf_buf_free(&said);
}

static void fmt_secs(uint64_t ns, char out[32])
{
    tf_duration_format_secs(ns > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)ns, out);
}

/* A throttle: the AIMD rate goes down, maybe. */
static void note_throttle(http_sink *s, part *p, const answer *a, uint64_t now)
{
    bool lowered = tf_aimd_throttled(&s->aimd, p->sent_ns, now);
    pthread_mutex_lock(&s->mu);
    s->shared_stats.throttles = s->aimd.throttles;
    s->shared_stats.send_rate = s->aimd.rate;
    pthread_mutex_unlock(&s->mu);
    if (lowered) {
        tf_bucket_set_rate(&s->spans_bucket, s->aimd.rate, now);
        tf_verbosef("backend said %ld: lowering the send rate to %.0f spans/s", a->status, s->aimd.rate);
    }
}

/* A retryable failure: schedule the part again, or give up when out of tries
 * or time. Throttles do not count against --max-retries; everything counts
 * against --max-retry-time, from the part's first send. */
static void retry_later(http_sink *s, part *p, const answer *a, bool throttled, uint64_t now)
{
    pthread_mutex_lock(&s->mu);
    s->shared_stats.retries++;
    pthread_mutex_unlock(&s->mu);
    bool first_throttle = throttled && s->aimd.throttles == 0;
    if (throttled) {
        p->throttled++;
        note_throttle(s, p, a, now);
    }
    /* Retry-After: 0 or a date gone by is no hint at all (it would make a
     * tight retry loop); a wait the server asks for is never shortened. */
    uint64_t ra = a->has_retry_after ? a->retry_after : 0;
    uint64_t delay;
    if (ra)
        delay = ra;
    else if (throttled)
        delay = 250000000ull + tf_backoff_full_jitter_ns(p->throttled - 1, 500000000ull, 5000000000ull, next_rand(s));
    else
        delay = tf_backoff_full_jitter_ns(p->attempts - p->throttled - 1, 500000000ull, 30000000000ull, next_rand(s));
    uint64_t used = now - p->first_ns, limit = s->o->max_retry_time_ns;
    uint64_t left = limit > used ? limit - used : 0;
    char lead[256];
    if (ra && ra > left) {
        char want[32], have[32], total[32];
        fmt_secs(ra, want);
        fmt_secs(left, have);
        fmt_secs(limit, total);
        snprintf(lead, sizeof lead,
                 "giving up: the backend asks to wait %s s before retrying (Retry-After), more than the %s s "
                 "left of --max-retry-time %s s (raise it to wait): ",
                 want, have, total);
        fail_part(s, p, a, NULL, lead);
        return;
    }
    unsigned counted = p->attempts - p->throttled;
    if ((!throttled && (int)counted > s->o->max_retries) || delay > left) {
        char spent[32];
        fmt_secs(used, spent);
        snprintf(lead, sizeof lead, "giving up after %u attempts in %s s%s: ", p->attempts, spent,
                 p->throttled ? " (throttled by the backend)" : "");
        fail_part(s, p, a, NULL, lead);
        return;
    }
    if (throttled && ra && now + ra > s->pause_until_ns)
        s->pause_until_ns = now + ra; /* the whole tenant is over its limit */
    if (!throttled || first_throttle || tf_log_on(TF_LOG_VERBOSE)) {
        tf_buf why = { 0 };
        describe_failure(s, a, NULL, NULL, &why);
        if (first_throttle)
            tf_notef("%s; the backend is throttling: tracefill slows down (to %.0f spans/s) and retries, which is "
                     "not an error; retrying in %.1f s",
                     why.p, s->aimd.rate, (double)delay / 1e9);
        else if (throttled)
            tf_verbosef("%s; retrying in %.1f s (throttled %u times)", why.p, (double)delay / 1e9, p->throttled);
        else
            tf_notef("%s; retrying in %.1f s (attempt %u of %d)", why.p, (double)delay / 1e9, counted + 1,
                     s->o->max_retries + 1);
        tf_buf_free(&why);
    }
    p->not_before_ns = now + delay;
    schedule(s, p);
}

/* Takes what the finished transfer said before its handle is cleaned up. */
static part *collect_answer(http_sink *s, CURLMsg *msg, answer *a)
{
    part *p;
    CURL *e = msg->easy_handle;
    memset(a, 0, sizeof *a);
    curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&p);
    a->result = tf_http_result(msg->data.result, &p->resp); /* msg dies with the handle */
    if (a->result == CURLE_OK) {
        char *ct = NULL;
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &a->status);
        curl_easy_getinfo(e, CURLINFO_CONTENT_TYPE, &ct);
        a->ctype = ct ? tf_xstrdup(ct) : NULL;
        struct curl_header *h;
        if (curl_easy_header(e, "Retry-After", 0, CURLH_HEADER, -1, &h) == CURLHE_OK)
            a->has_retry_after = tf_retry_after_parse(h->value, tf_now_wall_ns(), &a->retry_after);
    }
    curl_multi_remove_handle(s->multi, e);
    curl_easy_cleanup(e);
    p->easy = NULL;
    if (p->prev_fly)
        p->prev_fly->next_fly = p->next_fly;
    else
        s->flying = p->next_fly;
    if (p->next_fly)
        p->next_fly->prev_fly = p->prev_fly;
    s->in_flight--;
    answer_message(s, p, a);
    return p;
}

/* No HTTP answer: retried, unless retrying cannot help (a certificate that
 * does not verify, a URL libcurl refuses). */
static void transport_failed(http_sink *s, part *p, const answer *a, uint64_t now)
{
    tf_http_outcome why = tf_http_outcome_of(a->result);
    if (why == TF_HTTP_FAIL_TLS_VERIFY || why == TF_HTTP_FAIL_SCHEME || a->result == CURLE_URL_MALFORMAT)
        fail_part(s, p, a, "not retried", NULL);
    else
        retry_later(s, p, a, false, now);
}

static void handle_done(http_sink *s, CURLMsg *msg, uint64_t now)
{
    answer a;
    part *p = collect_answer(s, msg, &a);
    if (a.result != CURLE_OK) {
        transport_failed(s, p, &a, now);
        answer_free(&a);
        return;
    }
    bool throttled = false;
    tf_retry_verdict v = tf_retry_judge(a.status, a.msg.p, &throttled);
    switch (v) {
    case TF_RETRY_OK:
        answer_ok(s, p, &a, now);
        break;
    case TF_RETRY_SPLIT:
        if (p->to - p->from > 1) {
            tf_verbosef("HTTP %ld for %zu spans (%zu bytes): too big for the backend, splitting", a.status,
                        p->to - p->from, p->raw_len);
            s->split_above = TF_MIN(s->split_above, p->raw_len > 0 ? p->raw_len - 1 : 0);
            split_part(s, p, now);
        } else {
            fail_part(s, p, &a,
                      "a single span is larger than the backend accepts; lower --batch-bytes or drop the record",
                      NULL);
        }
        break;
    case TF_RETRY_AGAIN:
        retry_later(s, p, &a, throttled, now);
        break;
    case TF_RETRY_FATAL:
        fail_part(s, p, &a, "not retried", NULL);
        break;
    }
    answer_free(&a);
}

/* Moves newly submitted batches into the sender's queue. */
static bool take_incoming(http_sink *s, uint64_t now, bool *finishing, bool *stop)
{
    pthread_mutex_lock(&s->mu);
    bctx *c = s->incoming_head;
    s->incoming_head = s->incoming_tail = NULL;
    *finishing = s->finishing;
    *stop = s->stop_now;
    const atomic_int *stop_flag = s->stop_flag;
    pthread_mutex_unlock(&s->mu);
    s->sender_stop_flag = stop_flag;
    bool any = c != NULL;
    while (c) {
        bctx *next = c->next_done;
        size_t n = c->b->n_spans;
        c->prev_live = NULL;
        c->next_live = s->live;
        if (s->live)
            s->live->prev_live = c;
        s->live = c;
        if (n == 0) { /* only checkpoint marks: nothing to send */
            complete(s, c);
        } else {
            c->parts_left = 1;
            schedule(s, new_part(c, 0, n, now));
        }
        c = next;
    }
    return any;
}

static void dispatch(http_sink *s, uint64_t now, long *timeout_ms)
{
    while (s->pending && s->in_flight < (size_t)s->o->concurrency) {
        part *p = s->pending;
        uint64_t ready = TF_MAX(p->not_before_ns, s->pause_until_ns);
        if (ready > now) {
            long ms = (long)((ready - now) / 1000000u) + 1;
            *timeout_ms = TF_MIN(*timeout_ms, ms);
            return;
        }
        if (build_body(s, p) != 0) {
            set_fatal(s, "cannot compress a request body");
            return;
        }
        if (p->raw_len > s->split_above && p->to - p->from > 1) {
            /* The backend refused a request this big before: split first. */
            s->pending = p->next;
            split_part(s, p, now);
            continue;
        }
        double spans = (double)(p->to - p->from);
        uint64_t w = TF_MAX(tf_bucket_wait_ns(&s->spans_bucket, spans, now),
                            tf_bucket_wait_ns(&s->bytes_bucket, (double)p->raw_len, now));
        if (w) {
            *timeout_ms = TF_MIN(*timeout_ms, (long)(w / 1000000u) + 1);
            return;
        }
        tf_bucket_take(&s->spans_bucket, spans, now);
        tf_bucket_take(&s->bytes_bucket, (double)p->raw_len, now);
        s->pending = p->next;
        p->next = NULL;
        if (send_part(s, p, now) != 0)
            return;
    }
}

/* Gives every batch the sender still holds back, unacknowledged, so the
 * pipeline can stop cleanly; the checkpoint does not pass them. */
static void abandon_everything(http_sink *s)
{
    for (part *p = s->flying, *n; p; p = n) {
        n = p->next_fly;
        curl_multi_remove_handle(s->multi, p->easy);
        curl_easy_cleanup(p->easy);
        part_free(p);
    }
    s->flying = NULL;
    s->in_flight = 0;
    for (part *p = s->pending, *n; p; p = n) {
        n = p->next;
        part_free(p);
    }
    s->pending = NULL;
    while (s->live) {
        bctx *c = s->live;
        c->failed = true;
        complete(s, c);
    }
}

static void *sender_main(void *arg)
{
    http_sink *s = arg;
    pthread_setname_np(pthread_self(), "tf-sender");
    for (;;) {
        uint64_t now = tf_now_mono_ns();
        bool finishing, stop;
        take_incoming(s, now, &finishing, &stop);
        if (stop)
            break;
        if (!s->stop_seen_ns && s->sender_stop_flag && atomic_load(s->sender_stop_flag)) {
            s->stop_seen_ns = now;
            tf_verbosef("stop requested: nothing more is sent or retried; %zu requests in flight", s->in_flight);
        }
        if (s->stop_seen_ns && (!s->in_flight || now - s->stop_seen_ns >= TF_SINK_STOP_GRACE_NS)) {
            pthread_mutex_lock(&s->mu);
            s->stopped_by_request = true;
            pthread_mutex_unlock(&s->mu);
            break;
        }
        long timeout = 200;
        if (!s->stop_seen_ns)
            dispatch(s, now, &timeout);
        int running = 0;
        curl_multi_perform(s->multi, &running);
        CURLMsg *m;
        int left;
        while ((m = curl_multi_info_read(s->multi, &left)))
            if (m->msg == CURLMSG_DONE)
                handle_done(s, m, tf_now_mono_ns());
        pthread_mutex_lock(&s->mu);
        bool idle = finishing && !s->incoming_head && !s->pending && !s->in_flight;
        stop = s->stop_now;
        pthread_mutex_unlock(&s->mu);
        if (idle || stop)
            break;
        curl_multi_poll(s->multi, NULL, 0, (int)TF_MAX(timeout, 1), NULL);
    }
    /* On a fatal error or a forced stop, whatever is left goes back unacked.
     * Batches submitted after that are failed by submit() itself. */
    pthread_mutex_lock(&s->mu);
    s->stop_now = true; /* submit queues nothing more, nor waits for room */
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    take_incoming(s, tf_now_mono_ns(), &(bool){ 0 }, &(bool){ 0 });
    abandon_everything(s);
    return NULL;
}

/* ---- the pipeline side ---------------------------------------------------- */

static void deliver(http_sink *s)
{
    pthread_mutex_lock(&s->mu);
    bctx *c = s->done_head;
    s->done_head = s->done_tail = NULL;
    s->base.stats = s->shared_stats;
    pthread_mutex_unlock(&s->mu);
    while (c) {
        bctx *next = c->next_done;
        tf_batch *b = c->b;
        bool acked = !c->failed;
        free(c);
        pthread_mutex_lock(&s->mu);
        s->outstanding--;
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&s->mu);
        s->base.done(s->base.done_ctx, b, acked, 0);
        c = next;
    }
}

/* -1 with the sink's first fatal error once there is one. */
static int report_fatal(http_sink *s, tf_err *err)
{
    pthread_mutex_lock(&s->mu);
    bool failed = s->fatal.msg[0] != '\0';
    if (failed)
        tf_err_set(err, "%s", s->fatal.msg);
    pthread_mutex_unlock(&s->mu);
    return failed ? -1 : 0;
}

static int http_submit(tf_sink *base, tf_batch *b, tf_err *err)
{
    http_sink *s = (http_sink *)base;
    bctx *c = tf_xcalloc(1, sizeof *c);
    c->b = b;
    pthread_mutex_lock(&s->mu);
    s->stop_flag = base->stop_request;
    /* Back-pressure: at most concurrency + 1 batches waiting or in flight. */
    while (!s->stop_now && s->outstanding >= (size_t)s->o->concurrency + 1) {
        if (s->done_head) {
            pthread_mutex_unlock(&s->mu);
            deliver(s);
            pthread_mutex_lock(&s->mu);
            continue;
        }
        if (!base->waiting) {
            pthread_cond_wait(&s->cv, &s->mu);
            continue;
        }
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100000000L;
        ts.tv_sec += ts.tv_nsec / 1000000000L;
        ts.tv_nsec %= 1000000000L;
        if (pthread_cond_timedwait(&s->cv, &s->mu, &ts) == 0)
            continue;
        pthread_mutex_unlock(&s->mu);
        bool give_up = base->waiting(base->done_ctx);
        pthread_mutex_lock(&s->mu);
        if (give_up) {
            pthread_mutex_unlock(&s->mu);
            free(c);
            base->done(base->done_ctx, b, false, 0);
            deliver(s);
            return report_fatal(s, err);
        }
    }
    if (s->stop_now) {
        bool requested = s->stopped_by_request;
        pthread_mutex_unlock(&s->mu);
        free(c);
        base->done(base->done_ctx, b, false, 0);
        deliver(s);
        if (report_fatal(s, err) != 0)
            return -1;
        if (requested) /* a requested stop: the batch comes back unacked, no error */
            return 0;
        tf_err_set(err, "%s: the sink was stopped", tf_http_url(s->http)); /* abandoned at the deadline */
        return -1;
    }
    s->outstanding++;
    if (s->incoming_tail)
        s->incoming_tail->next_done = c;
    else
        s->incoming_head = c;
    s->incoming_tail = c;
    pthread_mutex_unlock(&s->mu);
    curl_multi_wakeup(s->multi);
    deliver(s);
    return report_fatal(s, err);
}

static int http_poll(tf_sink *base, tf_err *err)
{
    http_sink *s = (http_sink *)base;
    deliver(s);
    return report_fatal(s, err);
}

static int http_finish(tf_sink *base, uint64_t deadline_ns, tf_err *err)
{
    http_sink *s = (http_sink *)base;
    pthread_mutex_lock(&s->mu);
    s->finishing = true;
    s->stop_flag = base->stop_request;
    pthread_mutex_unlock(&s->mu);
    curl_multi_wakeup(s->multi);
    for (;;) {
        deliver(s);
        pthread_mutex_lock(&s->mu);
        while (s->outstanding && !s->done_head) {
            if (!deadline_ns) {
                pthread_cond_wait(&s->cv, &s->mu);
                continue;
            }
            uint64_t now = tf_now_mono_ns();
            if (now >= deadline_ns) {
                if (!s->stop_now)
                    tf_notef("abandoning %zu requests still in flight", s->outstanding);
                s->stop_now = true; /* the sender hands everything back unacked */
                curl_multi_wakeup(s->multi);
                pthread_cond_wait(&s->cv, &s->mu);
                continue;
            }
            /* Timed wait on the monotonic deadline, in short steps. */
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            uint64_t step = TF_MIN(deadline_ns - now, 100000000ull);
            ts.tv_nsec += (long)step;
            ts.tv_sec += ts.tv_nsec / 1000000000L;
            ts.tv_nsec %= 1000000000L;
            pthread_cond_timedwait(&s->cv, &s->mu, &ts);
        }
        bool more = s->outstanding != 0;
        pthread_mutex_unlock(&s->mu);
        if (!more)
            break;
    }
    if (s->thread_started) {
        pthread_join(s->thread, NULL);
        s->thread_started = false;
    }
    deliver(s);
    return report_fatal(s, err);
}

static int http_sync(tf_sink *base, tf_err *err)
{
    (void)err;
    return 0; /* acknowledged data is the backend's */
}

static void http_destroy(tf_sink *base)
{
    http_sink *s = (http_sink *)base;
    if (s->thread_started) {
        pthread_mutex_lock(&s->mu);
        s->stop_now = true;
        pthread_mutex_unlock(&s->mu);
        curl_multi_wakeup(s->multi);
        pthread_join(s->thread, NULL);
        deliver(s);
    }
    curl_multi_cleanup(s->multi);
    tf_compressor_free(s->comp);
    tf_buf_free(&s->raw_scratch);
    tf_buf_free(&s->comp_scratch);
    tf_http_free(s->http);
    free(s->describe);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s);
}

tf_sink *tf_sink_http_new(const tf_opts *o, tf_err *err)
{
    tf_http *h = tf_http_new(o, err);
    if (!h)
        return NULL;
    http_sink *s = tf_xcalloc(1, sizeof *s);
    s->o = o;
    s->http = h;
    s->describe = tf_xstrdup(tf_http_url(h));
    s->base.describe = s->describe;
    s->base.encoding = o->protocol;
    s->base.submit = http_submit;
    s->base.poll = http_poll;
    s->base.finish = http_finish;
    s->base.sync = http_sync;
    s->base.destroy = http_destroy;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    s->multi = curl_multi_init();
    curl_multi_setopt(s->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)o->concurrency);
    s->comp = tf_compressor_new(o->compression);
    uint64_t now = tf_now_mono_ns();
    tf_aimd_init(&s->aimd, o->rate_spans, now);
    s->shared_stats.send_rate = s->base.stats.send_rate = s->aimd.rate;
    s->split_above = SIZE_MAX;
    tf_bucket_init(&s->spans_bucket, o->rate_spans, 0, now);
    tf_bucket_init(&s->bytes_bucket, o->rate_bytes, 0, now);
    s->rnd = now ^ 0x9E3779B97F4A7C15ull;
    int e = pthread_create(&s->thread, NULL, sender_main, s);
    if (e != 0) {
        tf_err_set(err, "cannot start the sender thread: %s", strerror(e));
        http_destroy(&s->base);
        return NULL;
    }
    s->thread_started = true;
    return &s->base;
}
