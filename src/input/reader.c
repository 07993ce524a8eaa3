/* reader.c: the reading stage, inline or on its own thread. */
#include "config.h"
#include "input/reader.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK_BYTES (256 * 1024) /* a block closes when its bytes pass this */
#define BLOCK_FRAMES 1024
#define POOL_SIZE 8              /* messages in flight between the stages */

/* One message with its own storage; m is first so a tf_rd_msg * is one. */
typedef struct pool_msg pool_msg;
struct pool_msg {
    tf_rd_msg m;
    pool_msg *next;
    tf_rd_frame *frames;
    size_t cap_frames;
    tf_buf bytes; /* frame text, then why-strings */
    char *name;
    char *error;
    char *path, *member; /* BEGIN */
};

struct tf_reader {
    tf_reader_opts o;
    tf_source *src;
    tf_framer *fr;
    tf_stream *st; /* current stream, NULL between streams */
    char *st_name;
    uint32_t slot;
    bool has_pending; /* the framer ended (pending_rc) after a block's frames */
    int pending_rc;
    tf_err pending_err; /* the stream's failure, for its END message */
    uint64_t hook_end;  /* where the frame hook ended the stream (has_hook_end) */
    bool has_hook_end;
    bool finished;
    volatile int stop;
    /* profile detection (--profile auto) */
    const char *profile, *profile_why;
    /* progress, read from other threads */
    uint64_t raw_read;     /* atomic */
    char current[256];     /* the stream being read, under cur_mu */
    pthread_mutex_t cur_mu;
    /* threaded hand-over */
    bool threaded;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pool_msg pool[POOL_SIZE];
    pool_msg *free_list, *ready_head, *ready_tail;
    bool done_seen;
    pool_msg *done_msg;
};

static void msg_reset(pool_msg *s)
{
    free(s->error);
    s->error = NULL;
    free(s->path);
    free(s->member);
    s->path = s->member = NULL;
    s->bytes.len = 0;
    memset(&s->m, 0, sizeof s->m);
}

static void msg_free(pool_msg *s)
{
    msg_reset(s);
    free(s->name);
    free(s->frames);
    tf_buf_free(&s->bytes);
}

static void set_name(pool_msg *s, const char *name)
{
    free(s->name);
    s->name = name ? tf_xstrdup(name) : NULL;
    s->m.name = s->name;
}

/* Looks at one frame to pick the stream's profile (auto mode). */
static void detect_frame(tf_reader *r, const tf_frame *f)
{
    const char *why = NULL;
    const char *name = r->o.detect(r->o.detect_ctx, f->p, f->len, &why);
    if (name || why) {
        r->profile = name;
        r->profile_why = why;
    }
}

#define NOT_HELD ((size_t)-1)

/* The END message of the current stream (failed: with the pending error). */
static void end_stream(tf_reader *r, pool_msg *s, bool failed)
{
    s->m.kind = TF_RD_END;
    s->m.framing = tf_framer_mode(r->fr);
    s->m.end = r->has_hook_end ? r->hook_end : tf_stream_decoded_offset(r->st);
    s->m.raw_end = tf_stream_raw_offset(r->st);
    if (failed) {
        s->error = tf_xstrdup(r->pending_err.msg[0] ? r->pending_err.msg : "read error");
        s->m.error = s->error;
    }
    tf_stream_close(r->st);
    r->st = NULL;
    r->slot++;
}

/* Where the frames the hook holds begin in the block being filled. */
typedef struct {
    size_t from;  /* frame index, NOT_HELD when nothing is held */
    size_t bytes; /* s->bytes.len then */
} hold_mark;

/* Shows the hook a frame (skipped: before the resume point). Returns the
 * frame's kind: unchanged, or TF_FRAME_ERROR when the hook ends the stream
 * (the held frames are dropped from the block: *n shrinks). */
static int hook_frame(tf_reader *r, pool_msg *s, tf_frame *f, bool skipped, hold_mark *hold, size_t *n)
{
    tf_err err;
    int h = r->o.hook.frame ? r->o.hook.frame(r->o.hook.ctx, f, skipped, &err) : TF_RD_FRAME_OK;
    if (h < 0) {
        if (hold->from != NOT_HELD) {
            *n = hold->from;
            s->bytes.len = hold->bytes;
        }
        r->pending_err = err;
        r->hook_end = f->offset;
        r->has_hook_end = true;
        return TF_FRAME_ERROR;
    }
    if (skipped)
        return TF_FRAME_SKIPPED;
    if (h != TF_RD_FRAME_HOLD)
        hold->from = NOT_HELD;
    else if (hold->from == NOT_HELD)
        *hold = (hold_mark){ *n, s->bytes.len };
    return TF_FRAME_RECORD;
}

/* Produces the next message into s; never waits for a consumer. */
static void produce(tf_reader *r, pool_msg *s)
{
    msg_reset(s);
    s->m.slot = r->slot;
    if (r->stop || r->finished) {
        s->m.kind = TF_RD_DONE;
        r->finished = true;
        set_name(s, NULL);
        return;
    }
    if (!r->st) {
        tf_stream *st;
        if (tf_source_next(r->src, &st) != 1) {
            s->m.kind = TF_RD_DONE;
            r->finished = true;
            set_name(s, NULL);
            return;
        }
        const tf_stream_info *info = tf_stream_get_info(st);
        uint64_t offset = 0;
        bool read = r->o.begin(r->o.begin_ctx, r->slot, info, &offset);
        s->m.kind = TF_RD_BEGIN;
        set_name(s, info->name);
        s->path = tf_xstrdup(info->path);
        s->member = info->member ? tf_xstrdup(info->member) : NULL;
        s->m.path = s->path;
        s->m.member = s->member;
        s->m.skip = !read;
        s->m.container = info->container;
        s->m.compression = info->compression;
        s->m.outer = info->outer;
        if (!read) {
            tf_stream_close(st);
            r->slot++;
            return;
        }
        r->st = st;
        free(r->st_name);
        r->st_name = tf_xstrdup(info->name);
        r->profile = NULL;
        r->profile_why = NULL;
        r->has_hook_end = false;
        tf_framer_start(r->fr, st, offset);
        if (r->o.hook.stream)
            r->o.hook.stream(r->o.hook.ctx, info);
        return;
    }
    set_name(s, r->st_name);
    /* Frames until the block is full or the stream ends. */
    size_t n = 0;
    hold_mark hold = { NOT_HELD, 0 };
    for (;;) {
        tf_frame f;
        tf_err err;
        int rc = r->has_pending ? r->pending_rc : tf_framer_next(r->fr, &f, &err);
        if (rc == TF_FRAME_ERROR && !r->has_pending)
            r->pending_err = err; /* kept for the END message, which may come next time */
        r->has_pending = false;
        if (rc == TF_FRAME_SKIPPED || (rc == TF_FRAME_RECORD && r->o.hook.frame)) {
            rc = hook_frame(r, s, &f, rc == TF_FRAME_SKIPPED, &hold, &n);
            if (rc == TF_FRAME_SKIPPED)
                continue;
        }
        if (rc == TF_FRAME_END || rc == TF_FRAME_ERROR) {
            if (n) { /* deliver the frames first; the end comes next time */
                r->has_pending = true;
                r->pending_rc = rc;
                break;
            }
            end_stream(r, s, rc == TF_FRAME_ERROR);
            return;
        }
        if (r->o.detect && !r->profile && rc == TF_FRAME_RECORD)
            detect_frame(r, &f);
        if (n == s->cap_frames) {
            s->cap_frames = s->cap_frames ? s->cap_frames * 2 : 256;
            s->frames = tf_xrealloc(s->frames, s->cap_frames * sizeof *s->frames);
        }
        tf_rd_frame *d = &s->frames[n++];
        d->f = f;
        d->bad = rc == TF_FRAME_BAD;
        d->raw = tf_stream_raw_offset(r->st);
        d->why = NULL;
        /* Offsets into bytes for now; pointers are fixed once bytes stops moving. */
        d->f.p = f.p ? (const char *)(uintptr_t)(s->bytes.len + 1) : NULL;
        if (f.p)
            tf_buf_append(&s->bytes, f.p, f.len);
        if (rc == TF_FRAME_BAD) {
            const char *why = err.msg[0] ? err.msg : "unusable data";
            d->why = (const char *)(uintptr_t)(s->bytes.len + 1);
            tf_buf_append(&s->bytes, why, strlen(why) + 1);
        }
        bool holding = hold.from != NOT_HELD;
        if (s->bytes.len >= (holding ? TF_READER_HOLD_BYTES : BLOCK_BYTES) ||
            n >= (holding ? TF_READER_HOLD_FRAMES : BLOCK_FRAMES) || r->stop)
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
    s->m.end = s->frames[n - 1].f.end;
    s->m.profile = r->profile;
    s->m.profile_why = r->profile_why;
}

/* After each message: what the progress line shows. */
static void publish_progress(tf_reader *r)
{
    __atomic_store_n(&r->raw_read, tf_source_raw_read(r->src), __ATOMIC_RELAXED);
    pthread_mutex_lock(&r->cur_mu);
    snprintf(r->current, sizeof r->current, "%s", r->st_name && r->st ? r->st_name : "");
    pthread_mutex_unlock(&r->cur_mu);
}

static void *reader_main(void *arg)
{
    tf_reader *r = arg;
    pthread_setname_np(pthread_self(), "tf-reader");
    for (;;) {
        pthread_mutex_lock(&r->mu);
        while (!r->free_list && !r->stop)
            pthread_cond_wait(&r->cv, &r->mu);
        pool_msg *s = r->free_list;
        if (!s) { /* stopped with every message out: hand over a DONE of our own */
            s = r->done_msg;
        } else {
            r->free_list = s->next;
        }
        pthread_mutex_unlock(&r->mu);
        produce(r, s);
        publish_progress(r);
        pthread_mutex_lock(&r->mu);
        s->next = NULL;
        if (r->ready_tail)
            r->ready_tail->next = s;
        else
            r->ready_head = s;
        r->ready_tail = s;
        pthread_cond_broadcast(&r->cv);
        bool done = s->m.kind == TF_RD_DONE;
        pthread_mutex_unlock(&r->mu);
        if (done)
            return NULL;
    }
}

/* The source asks this while waiting on a silent pipe. */
static bool stopping(void *ctx)
{
    const tf_reader *r = ctx;
    return r->stop || (r->o.stop_request && *r->o.stop_request);
}

tf_reader *tf_reader_new(const tf_reader_opts *opts)
{
    tf_reader *r = tf_xcalloc(1, sizeof *r);
    r->o = *opts;
    pthread_mutex_init(&r->cur_mu, NULL);
    r->o.source.stopping = stopping;
    r->o.source.stopping_ctx = r;
    r->src = tf_source_new(opts->inputs, opts->n_inputs, &r->o.source);
    r->fr = tf_framer_new(opts->max_record_bytes);
    tf_framer_set_text(r->fr, opts->text_lines);
    bool threaded = opts->threaded;
    for (size_t i = 0; i + 1 < POOL_SIZE; i++) {
        r->pool[i].next = r->free_list;
        r->free_list = &r->pool[i];
    }
    r->done_msg = &r->pool[POOL_SIZE - 1]; /* kept back for a forced DONE */
    r->done_msg->m.kind = TF_RD_DONE;       /* also what late callers get after the DONE */
    r->threaded = threaded;
    if (threaded) {
        pthread_mutex_init(&r->mu, NULL);
        pthread_cond_init(&r->cv, NULL);
        if (pthread_create(&r->thread, NULL, reader_main, r) != 0)
            r->threaded = false;
    }
    return r;
}

tf_rd_msg *tf_reader_next(tf_reader *r)
{
    if (!r->threaded) {
        pool_msg *s = r->free_list;
        if (!s) /* the caller holds them all: only a DONE can follow */
            s = r->done_msg;
        else
            r->free_list = s->next;
        produce(r, s);
        publish_progress(r);
        return &s->m;
    }
    pthread_mutex_lock(&r->mu);
    while (!r->ready_head && !r->done_seen)
        pthread_cond_wait(&r->cv, &r->mu);
    pool_msg *s = r->ready_head;
    if (s) {
        r->ready_head = s->next;
        if (!r->ready_head)
            r->ready_tail = NULL;
        if (s->m.kind == TF_RD_DONE)
            r->done_seen = true; /* later callers get the same DONE */
    } else {
        s = r->done_msg;
    }
    pthread_mutex_unlock(&r->mu);
    return &s->m;
}

void tf_reader_release(tf_reader *r, tf_rd_msg *m)
{
    pool_msg *s = (pool_msg *)m;
    if (s == r->done_msg || m->kind == TF_RD_DONE)
        return; /* DONE messages are never reused */
    if (r->threaded)
        pthread_mutex_lock(&r->mu);
    s->next = r->free_list;
    r->free_list = s;
    if (r->threaded) {
        pthread_cond_broadcast(&r->cv);
        pthread_mutex_unlock(&r->mu);
    }
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
    for (size_t i = 0; i < POOL_SIZE; i++)
        msg_free(&r->pool[i]);
    free(r->st_name);
    pthread_mutex_destroy(&r->cur_mu);
    tf_framer_free(r->fr);
    tf_source_free(r->src);
    free(r);
}

uint64_t tf_reader_raw_read(tf_reader *r)
{
    return __atomic_load_n(&r->raw_read, __ATOMIC_RELAXED);
}

void tf_reader_current(tf_reader *r, char *buf, size_t n)
{
    pthread_mutex_lock(&r->cur_mu);
    snprintf(buf, n, "%s", r->current);
    pthread_mutex_unlock(&r->cur_mu);
}
