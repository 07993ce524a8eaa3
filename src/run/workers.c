/* workers.c: parallel parse/map/encode with in-order hand-over. */
#include "config.h"
#include "run/workers.h"
#include "otlp/batch.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A result slot with its storage. */
typedef struct {
    tf_result r;
    bool ready;
    tf_ev *ev;
    size_t n_ev, cap_ev;
    tf_ev_span *spans;
    size_t n_spans, cap_spans;
    tf_buf enc;  /* encoded spans */
    tf_buf whys; /* reject reasons, NUL-terminated */
    tf_arena res; /* copies of per-record resources (the record's arena is reset) */
    bool res_init;
    tf_usage_facts facts; /* when usage facts are on */
} slot;

typedef struct {
    tf_work *w;
    tf_mapper *m;
    pthread_t thread;
    bool started;
    slot *cur; /* the slot being filled */
    tf_overhead_cache ovh;
    char *stream; /* name the mapper was started with */
} worker;

struct tf_work {
    tf_reader *rd;
    const tf_map_env *env;
    tf_encoding enc;
    size_t batch_bytes;
    bool usage;
    int n_workers; /* 0: inline */
    worker *workers;
    worker inline_worker;
    slot *slots;
    size_t n_slots;
    uint64_t next_seq, consumed; /* seq handed to a worker next; seq the caller reads next */
    bool stop, joined;
    pthread_mutex_t take_mu; /* one worker at a time takes (seq, message) */
    pthread_mutex_t mu;      /* slots, counters, stop */
    pthread_cond_t cv;
};

static tf_ev *add_ev(slot *s, tf_ev_kind kind)
{
    if (s->n_ev == s->cap_ev) {
        s->cap_ev = s->cap_ev ? s->cap_ev * 2 : 1024;
        s->ev = tf_xrealloc(s->ev, s->cap_ev * sizeof *s->ev);
    }
    tf_ev *e = &s->ev[s->n_ev++];
    memset(e, 0, sizeof *e);
    e->kind = kind;
    return e;
}

static void add_reject(slot *s, uint64_t offset, uint64_t line, const char *text, size_t len, const char *why)
{
    tf_ev *e = add_ev(s, TF_EV_REJECT);
    e->offset = offset;
    e->line = line;
    e->text = text; /* points into the reader message, which lives as long as the slot */
    e->len = len;
    /* why is stored as an offset now and fixed up when the slot is complete */
    e->why = (const char *)(uintptr_t)(s->whys.len + 1);
    tf_buf_append(&s->whys, why, strlen(why) + 1);
}

static void on_reject(void *ctx, const tf_record *rec, const char *why)
{
    worker *wk = ctx;
    add_reject(wk->cur, rec->offset, rec->line, rec->text, rec->len, why);
}

static void on_spans(void *ctx, const tf_record *rec, tf_span **spans, size_t n)
{
    worker *wk = ctx;
    slot *s = wk->cur;
    tf_work *w = wk->w;
    size_t base = s->enc.len, first = s->n_spans;
    const tf_resource *src_res = NULL, *copied = NULL;
    tf_overhead_cache rec_ovh = { 0 }; /* for this record's own resources: their addresses are reused later */
    /* Encode them all first: a span that alone exceeds --batch-bytes
     * rejects its whole record. */
    for (size_t i = 0; i < n; i++) {
        size_t before = s->enc.len;
        tf_encode_span(w->enc, &s->enc, spans[i]);
        size_t len = s->enc.len - before;
        size_t cost = tf_batch_span_cost(w->enc, len) +
                      tf_encode_overhead_cached(spans[i]->resource && !spans[i]->resource->interned ? &rec_ovh : &wk->ovh,
                                                w->enc, spans[i]->resource, spans[i]->scope);
        if (cost > w->batch_bytes) {
            char why[160];
            snprintf(why, sizeof why, "span %zu of the record encodes to %zu bytes, more than --batch-bytes (%zu)", i,
                     cost, w->batch_bytes);
            s->enc.len = base;
            s->n_spans = first;
            add_reject(s, rec->offset, rec->line, rec->text, rec->len, why);
            return;
        }
        if (s->n_spans == s->cap_spans) {
            s->cap_spans = s->cap_spans ? s->cap_spans * 2 : 1024;
            s->spans = tf_xrealloc(s->spans, s->cap_spans * sizeof *s->spans);
        }
        const tf_resource *res = spans[i]->resource;
        if (res && !res->interned) { /* one record's: outlive the record's arena */
            if (res != src_res) {
                if (!s->res_init) {
                    tf_arena_init(&s->res, 16 * 1024);
                    s->res_init = true;
                }
                src_res = res;
                copied = tf_resource_copy(res, &s->res);
            }
            res = copied;
        }
        /* p is an offset until the slot is complete (enc may move) */
        tf_ev_span *es = &s->spans[s->n_spans++];
        *es = (tf_ev_span){ res, spans[i]->scope, (const char *)(uintptr_t)before, len, cost,
                            .start_ns = spans[i]->start_ns, .end_ns = spans[i]->end_ns };
        memcpy(es->trace_id, spans[i]->trace_id, 16);
        memcpy(es->span_id, spans[i]->span_id, 8);
    }
    tf_ev *e = add_ev(s, TF_EV_SPANS);
    e->first = first;
    e->n = n;
    e->offset = rec->offset;
    e->line = rec->line;
    if (n) { /* stored as an offset, fixed up when the slot is complete */
        e->root = (const char *)(uintptr_t)(s->whys.len + 1);
        tf_buf_append(&s->whys, spans[0]->name.p, spans[0]->name.len);
        tf_buf_putc(&s->whys, '\0');
    }
    if (w->usage) {
        e->first_fact = s->facts.n;
        e->n_facts = tf_usage_extract(&s->facts, tf_mapper_profile(wk->m, NULL), spans, n);
    }
}

/* Maps one reader message into slot s. */
static void process(worker *wk, slot *s, tf_rd_msg *msg)
{
    s->n_ev = s->n_spans = 0;
    s->enc.len = s->whys.len = 0;
    if (s->res_init)
        tf_arena_reset(&s->res);
    tf_usage_facts_reset(&s->facts);
    s->r.msg = msg;
    s->r.bad_frames = 0;
    memset(&s->r.counts, 0, sizeof s->r.counts);
    s->r.profile = s->r.profile_why = NULL;
    wk->cur = s;
    if (msg->kind == TF_RD_BEGIN || msg->kind == TF_RD_FRAMES) {
        if (!wk->stream || strcmp(wk->stream, msg->name)) {
            free(wk->stream);
            wk->stream = tf_xstrdup(msg->name);
        }
        tf_mapper_begin_stream(wk->m, wk->stream);
        tf_mapper_use_detected(wk->m, msg->profile, msg->profile_why);
    }
    if (msg->kind == TF_RD_FRAMES) {
        tf_mapper_stats before = *tf_mapper_stats_get(wk->m);
        tf_mapper_cb cb = { .spans = on_spans, .reject = on_reject, .ctx = wk };
        for (size_t i = 0; i < msg->n_frames; i++) {
            const tf_rd_frame *d = &msg->frames[i];
            if (d->bad) {
                add_reject(s, d->f.offset, d->f.line, d->f.p, d->f.p ? d->f.len : 0,
                           d->why ? d->why : "unusable data");
                s->r.bad_frames++;
            } else {
                tf_mapper_frame(wk->m, &d->f, &cb);
                tf_mapper_end_frame(wk->m);
            }
            tf_ev *fe = add_ev(s, TF_EV_FRAME_END);
            fe->end = d->f.end;
            fe->raw = d->raw;
        }
        const tf_mapper_stats *after = tf_mapper_stats_get(wk->m);
        s->r.counts = (tf_mapper_stats){ after->records - before.records, after->filtered - before.filtered,
                                         after->rejected - before.rejected, after->spans - before.spans,
                                         after->where_seen };
    }
    if (msg->kind == TF_RD_BEGIN || msg->kind == TF_RD_FRAMES)
        s->r.profile = tf_mapper_profile(wk->m, &s->r.profile_why);
    for (size_t i = 0; i < s->n_spans; i++)
        s->spans[i].p = s->enc.p + (uintptr_t)s->spans[i].p;
    for (size_t i = 0; i < s->n_ev; i++) {
        if (s->ev[i].kind == TF_EV_REJECT)
            s->ev[i].why = s->whys.p + ((uintptr_t)s->ev[i].why - 1);
        else if (s->ev[i].kind == TF_EV_SPANS && s->ev[i].root)
            s->ev[i].root = s->whys.p + ((uintptr_t)s->ev[i].root - 1);
    }
    s->r.ev = s->ev;
    s->r.n_ev = s->n_ev;
    s->r.spans = s->spans;
    tf_usage_facts_seal(&s->facts);
    s->r.facts = s->facts.v;
}

static void *worker_main(void *arg)
{
    worker *wk = arg;
    tf_work *w = wk->w;
    pthread_setname_np(pthread_self(), "tf-mapper");
    for (;;) {
        /* Sequence number and message are taken together under take_mu, so
         * sequence numbers follow reader order; mu is not held while the
         * reader is waited for, so other workers can publish meanwhile. */
        pthread_mutex_lock(&w->take_mu);
        pthread_mutex_lock(&w->mu);
        while (!w->stop && w->next_seq - w->consumed >= w->n_slots)
            pthread_cond_wait(&w->cv, &w->mu);
        if (w->stop) {
            pthread_mutex_unlock(&w->mu);
            pthread_mutex_unlock(&w->take_mu);
            return NULL;
        }
        uint64_t seq = w->next_seq++;
        pthread_mutex_unlock(&w->mu);
        tf_rd_msg *msg = tf_reader_next(w->rd);
        pthread_mutex_unlock(&w->take_mu);
        slot *s = &w->slots[seq % w->n_slots];
        process(wk, s, msg);
        bool done = msg->kind == TF_RD_DONE; /* msg may be recycled once published */
        pthread_mutex_lock(&w->mu);
        s->ready = true;
        pthread_cond_broadcast(&w->cv);
        pthread_mutex_unlock(&w->mu);
        if (done)
            return NULL;
    }
}

tf_work *tf_work_new(tf_reader *rd, const tf_map_env *env, const tf_profiles *profiles, int threads,
                     tf_encoding enc, size_t batch_bytes, bool usage)
{
    tf_work *w = tf_xcalloc(1, sizeof *w);
    w->usage = usage;
    w->rd = rd;
    w->env = env;
    w->enc = enc;
    w->batch_bytes = batch_bytes;
    w->n_workers = threads;
    w->n_slots = threads ? (size_t)threads * 2 + 2 : 1;
    w->slots = tf_xcalloc(w->n_slots, sizeof *w->slots);
    pthread_mutex_init(&w->take_mu, NULL);
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    int n = threads ? threads : 1;
    w->workers = threads ? tf_xcalloc((size_t)threads, sizeof *w->workers) : &w->inline_worker;
    for (int i = 0; i < n; i++) {
        w->workers[i].w = w;
        w->workers[i].m = tf_mapper_new(env, profiles);
    }
    for (int i = 0; i < threads; i++)
        w->workers[i].started = pthread_create(&w->workers[i].thread, NULL, worker_main, &w->workers[i]) == 0;
    return w;
}

const tf_result *tf_work_next(tf_work *w)
{
    if (!w->n_workers) {
        slot *s = &w->slots[0];
        process(&w->workers[0], s, tf_reader_next(w->rd));
        return &s->r;
    }
    slot *s = &w->slots[w->consumed % w->n_slots];
    pthread_mutex_lock(&w->mu);
    while (!s->ready)
        pthread_cond_wait(&w->cv, &w->mu);
    pthread_mutex_unlock(&w->mu);
    return &s->r;
}

void tf_work_release(tf_work *w, const tf_result *r)
{
    slot *s = (slot *)(uintptr_t)r; /* r is the first member of its slot */
    tf_reader_release(w->rd, s->r.msg);
    if (!w->n_workers)
        return;
    pthread_mutex_lock(&w->mu);
    s->ready = false;
    w->consumed++;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

void tf_work_stop(tf_work *w)
{
    tf_reader_stop(w->rd); /* first: a worker may be waiting for the reader */
    pthread_mutex_lock(&w->mu);
    w->stop = true;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

static void join(tf_work *w)
{
    if (!w->n_workers || w->joined)
        return;
    tf_work_stop(w);
    for (int i = 0; i < w->n_workers; i++)
        if (w->workers[i].started)
            pthread_join(w->workers[i].thread, NULL);
    w->joined = true;
}

tf_mapper_stats tf_work_stats(tf_work *w)
{
    join(w);
    tf_mapper_stats t = { 0 };
    int n = w->n_workers ? w->n_workers : 1;
    for (int i = 0; i < n; i++) {
        if (!w->workers[i].m)
            continue;
        const tf_mapper_stats *s = tf_mapper_stats_get(w->workers[i].m);
        t.records += s->records;
        t.filtered += s->filtered;
        t.rejected += s->rejected;
        t.spans += s->spans;
        t.where_seen |= s->where_seen;
    }
    return t;
}

void tf_work_free(tf_work *w)
{
    if (!w)
        return;
    int n = w->n_workers ? w->n_workers : 1;
    join(w);
    for (int i = 0; i < n; i++) {
        tf_mapper_free(w->workers[i].m);
        free(w->workers[i].stream);
    }
    if (w->n_workers)
        free(w->workers);
    for (size_t i = 0; i < w->n_slots; i++) {
        free(w->slots[i].ev);
        free(w->slots[i].spans);
        tf_buf_free(&w->slots[i].enc);
        tf_buf_free(&w->slots[i].whys);
        if (w->slots[i].res_init)
            tf_arena_free(&w->slots[i].res);
        tf_usage_facts_free(&w->slots[i].facts);
    }
    free(w->slots);
    pthread_mutex_destroy(&w->take_mu);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    free(w);
}
