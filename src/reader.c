/* reader.c: the reading stage, inline or on its own thread. */
#include "config.h"
#include "reader.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK_BYTES (256 * 1024) /* a block closes when its bytes pass this */
#define BLOCK_FRAMES 1024
#define QUEUE_DEPTH 4            /* blocks buffered between the threads */

/* One message with its own storage. */
typedef struct {
    tf_rd_msg m;
    tf_rd_frame *frames;
    size_t cap_frames;
    tf_buf bytes; /* frame text, then why-strings */
    char *name;
    char *error;
} slot_msg;

struct tf_reader {
    const tf_opts *o;
    tf_reader_begin_fn begin;
    void *ctx;
    tf_source *src;
    tf_framer *fr;
    tf_stream *st; /* current stream, NULL between streams */
    uint32_t slot;
    bool has_pending; /* the framer ended (pending_rc) after a block's frames */
    int pending_rc;
    bool finished;
    volatile int stop;
    /* threaded: a ring of QUEUE_DEPTH + 1 messages (one is being read) */
    bool threaded;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    slot_msg ring[QUEUE_DEPTH + 1];
    size_t head, count; /* head: next to read; count: filled */
    bool reading;       /* the consumer holds ring[head] */
    slot_msg inline_msg;
};

static void msg_reset(slot_msg *s)
{
    free(s->name);
    free(s->error);
    s->name = s->error = NULL;
    s->bytes.len = 0;
    memset(&s->m, 0, sizeof s->m);
}

static void msg_free(slot_msg *s)
{
    msg_reset(s);
    free(s->frames);
    tf_buf_free(&s->bytes);
}

/* Produces the next message into s; never blocks on the consumer. */
static void produce(tf_reader *r, slot_msg *s)
{
    msg_reset(s);
    s->m.slot = r->slot;
    if (r->stop || r->finished) {
        s->m.kind = TF_RD_DONE;
        r->finished = true;
        return;
    }
    if (!r->st) {
        tf_stream *st;
        if (tf_source_next(r->src, &st) != 1) {
            s->m.kind = TF_RD_DONE;
            r->finished = true;
            return;
        }
        const tf_stream_info *info = tf_stream_get_info(st);
        uint64_t offset = 0;
        bool read = r->begin(r->ctx, r->slot, info, &offset);
        s->m.kind = TF_RD_BEGIN;
        s->name = tf_xstrdup(info->name);
        s->m.name = s->name;
        s->m.skip = !read;
        if (!read) {
            tf_stream_close(st);
            r->slot++;
            return;
        }
        r->st = st;
        tf_framer_start(r->fr, st, offset);
        s->m.end = offset;
        return;
    }
    /* Frames until the block is full or the stream ends. */
    size_t n = 0;
    uint64_t end = s->m.end;
    for (;;) {
        tf_frame f;
        const char *why = NULL;
        int rc = r->has_pending ? r->pending_rc : tf_framer_next(r->fr, &f, &why);
        r->has_pending = false;
        if (rc == TF_FRAME_END || rc == TF_FRAME_ERROR) {
            if (n) { /* deliver the frames first; the end comes next time */
                r->has_pending = true;
                r->pending_rc = rc;
                break;
            }
            s->m.kind = TF_RD_END;
            s->m.end = tf_stream_decoded_offset(r->st);
            if (rc == TF_FRAME_ERROR) {
                const char *e = tf_stream_error(r->st);
                s->error = tf_xstrdup(e ? e : "read error");
                s->m.error = s->error;
            }
            tf_stream_close(r->st);
            r->st = NULL;
            r->slot++;
            return;
        }
        if (n == s->cap_frames) {
            s->cap_frames = s->cap_frames ? s->cap_frames * 2 : 256;
            s->frames = tf_xrealloc(s->frames, s->cap_frames * sizeof *s->frames);
        }
        tf_rd_frame *d = &s->frames[n++];
        d->f = f;
        d->bad = rc == TF_FRAME_BAD;
        d->why = NULL;
        /* Offsets into bytes for now; pointers are fixed once bytes stops moving. */
        d->f.p = f.p ? (const char *)(uintptr_t)(s->bytes.len + 1) : NULL;
        if (f.p)
            tf_buf_append(&s->bytes, f.p, f.len);
        if (why) {
            d->why = (const char *)(uintptr_t)(s->bytes.len + 1);
            tf_buf_append(&s->bytes, why, strlen(why) + 1);
        }
        end = f.end;
        if (s->bytes.len >= BLOCK_BYTES || n >= BLOCK_FRAMES || r->stop)
            break;
    }
    for (size_t i = 0; i < n; i++) {
        tf_rd_frame *d = &s->frames[i];
        if (d->f.p)
            d->f.p = s->bytes.p + ((uintptr_t)d->f.p - 1);
        if (d->why)
            d->why = s->bytes.p + ((uintptr_t)d->why - 1);
    }
    s->m.kind = TF_RD_FRAMES;
    s->m.frames = s->frames;
    s->m.n_frames = n;
    s->m.end = end;
}

static void *reader_main(void *arg)
{
    tf_reader *r = arg;
    for (;;) {
        pthread_mutex_lock(&r->mu);
        /* One slot stays free for the message the consumer is reading. */
        while (r->count + 1 >= TF_ARRAY_LEN(r->ring) && !r->stop)
            pthread_cond_wait(&r->cv, &r->mu);
        size_t at = (r->head + r->count) % TF_ARRAY_LEN(r->ring);
        pthread_mutex_unlock(&r->mu);
        slot_msg *s = &r->ring[at];
        produce(r, s);
        pthread_mutex_lock(&r->mu);
        r->count++;
        pthread_cond_broadcast(&r->cv);
        bool done = s->m.kind == TF_RD_DONE;
        pthread_mutex_unlock(&r->mu);
        if (done)
            return NULL;
    }
}

tf_reader *tf_reader_new(const tf_opts *o, bool threaded, tf_reader_begin_fn begin, void *ctx)
{
    tf_reader *r = tf_xcalloc(1, sizeof *r);
    r->o = o;
    r->begin = begin;
    r->ctx = ctx;
    tf_source_opts so = { o->include, o->n_include, o->exclude, o->n_exclude };
    r->src = tf_source_new(o->inputs, o->n_inputs, &so);
    r->fr = tf_framer_new(o->max_record_bytes);
    r->threaded = threaded;
    if (threaded) {
        pthread_mutex_init(&r->mu, NULL);
        pthread_cond_init(&r->cv, NULL);
        if (pthread_create(&r->thread, NULL, reader_main, r) != 0)
            r->threaded = false;
    }
    return r;
}

const tf_rd_msg *tf_reader_next(tf_reader *r)
{
    if (!r->threaded) {
        produce(r, &r->inline_msg);
        return &r->inline_msg.m;
    }
    pthread_mutex_lock(&r->mu);
    if (r->reading) { /* release the message read last time */
        r->head = (r->head + 1) % TF_ARRAY_LEN(r->ring);
        r->count--;
        r->reading = false;
        pthread_cond_broadcast(&r->cv);
    }
    while (!r->count)
        pthread_cond_wait(&r->cv, &r->mu);
    r->reading = true;
    const tf_rd_msg *m = &r->ring[r->head].m;
    pthread_mutex_unlock(&r->mu);
    return m;
}

void tf_reader_stop(tf_reader *r)
{
    if (r->threaded)
        pthread_mutex_lock(&r->mu);
    r->stop = 1;
    if (r->threaded) {
        pthread_cond_broadcast(&r->cv);
        pthread_mutex_unlock(&r->mu);
    }
}

static void join(tf_reader *r)
{
    if (!r->threaded)
        return;
    tf_reader_stop(r);
    pthread_join(r->thread, NULL);
    r->threaded = false;
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
}

const tf_source_stats *tf_reader_stats(tf_reader *r)
{
    join(r);
    return tf_source_stats_get(r->src);
}

void tf_reader_free(tf_reader *r)
{
    if (!r)
        return;
    join(r);
    if (r->st)
        tf_stream_close(r->st);
    for (size_t i = 0; i < TF_ARRAY_LEN(r->ring); i++)
        msg_free(&r->ring[i]);
    msg_free(&r->inline_msg);
    tf_framer_free(r->fr);
    tf_source_free(r->src);
    free(r);
}
