/* pipeline.c: the `run` pipeline: the feed (reader and mapping workers) →
 * batches → sink, with the checkpoint following acknowledgements and a stop
 * request ending the run resumably. */
#include "config.h"
#include "run/pipeline.h"
#include "run/checkpoint.h"
#include "run/feed.h"
#include "run/rejects.h"
#include "common/log.h"
#include "output/sink.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* How long in-flight requests may take to finish after a stop request. */
#define TF_STOP_GRACE_NS (10ull * 1000000000u)
/* A batch that has waited this long is sent even when not full, so the
 * checkpoint keeps moving on slow or heavily filtered input. */
#define TF_BATCH_MAX_AGE_NS (1000000000ull)
/* The progress hook is called at most this often. */
#define TF_PROGRESS_EVERY_NS (166000000u)

typedef struct {
    const tf_opts *o;
    const tf_run_hooks *hooks;
    tf_sink *sink;
    tf_err fatal_err; /* the fatal error last reported */
    tf_rejects *rejects;
    tf_ckpt *ckpt;
    pthread_mutex_t ckpt_mu; /* the reader thread asks the checkpoint about streams */
    tf_batch *batch;
    uint64_t next_seq, batch_opened_ns;
    size_t batch_spans, batch_bytes;
    char *stream_name; /* current stream (a copy: reader messages are short-lived) */
    bool fatal, interrupted, changed_fatal;
    uint64_t input_errors, skipped_done, changed;
    uint64_t last_progress_ns;
    tf_run_progress live;
} run_state;

static bool stop_requested(const run_state *r)
{
    return r->hooks->stop && *r->hooks->stop;
}

static void report(const run_state *r, const tf_err *err)
{
    if (r->hooks->on_error)
        r->hooks->on_error(r->hooks->ctx, err);
}

/* A fatal error: the run stops. A failed sink returns the same error from
 * later calls (and from the sync before a checkpoint write): reported once. */
static void fail(run_state *r, const tf_err *err)
{
    if (strcmp(r->fatal_err.msg, err->msg) != 0) {
        report(r, err);
        r->fatal_err = *err;
    }
    r->fatal = true;
}

static void batch_done(void *ctx, tf_batch *b, bool acked, uint64_t output_size)
{
    run_state *r = ctx;
    if (acked) {
        pthread_mutex_lock(&r->ckpt_mu);
        tf_ckpt_batch_acked(r->ckpt, b->seq, output_size);
        pthread_mutex_unlock(&r->ckpt_mu);
    }
    else if (!r->interrupted && !stop_requested(r))
        r->fatal = true;
    tf_batch_free(b);
}

static void new_batch(run_state *r)
{
    r->batch = tf_batch_new(r->sink->encoding, r->next_seq++);
    r->batch_opened_ns = tf_now_mono_ns();
}

static void flush_batch(run_state *r)
{
    tf_batch *b = r->batch;
    b->rejects_size = tf_rejects_size(r->rejects);
    pthread_mutex_lock(&r->ckpt_mu);
    tf_ckpt_batch_closed(r->ckpt, b);
    pthread_mutex_unlock(&r->ckpt_mu);
    new_batch(r);
    tf_err err;
    if (r->sink->submit(r->sink, b, &err) != 0)
        fail(r, &err);
}

static int sync_outputs(void *ctx, tf_err *err)
{
    run_state *r = ctx;
    if (r->sink->sync(r->sink, err) != 0)
        return -1;
    return tf_rejects_sync(r->rejects, err);
}

static void write_checkpoint(run_state *r, bool force)
{
    tf_err err;
    pthread_mutex_lock(&r->ckpt_mu);
    int rc = tf_ckpt_maybe_write(r->ckpt, force, sync_outputs, r, &err);
    pthread_mutex_unlock(&r->ckpt_mu);
    if (rc != 0)
        fail(r, &err);
}

static void reject(run_state *r, const char *stream, uint64_t offset, uint64_t line, const char *why,
                   const char *text, size_t len)
{
    if (line)
        tf_verbosef("%s: line %llu: %s", stream, (unsigned long long)line, why);
    else
        tf_verbosef("%s: byte %llu: %s", stream, (unsigned long long)offset, why);
    tf_err err;
    if (tf_rejects_record(r->rejects, stream, offset, line, why, text, len, &err) != 0)
        fail(r, &err);
}

/* One record's spans, already encoded (and costed) by a worker, into the batches. */
static void add_spans(run_state *r, const tf_ev_span *spans, size_t n)
{
    /* Conservative: as if each span opened a new resource group. */
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += spans[i].cost;
    if (r->batch->n_spans &&
        (r->batch->n_spans + n > r->batch_spans || r->batch->est_bytes + total > r->batch_bytes))
        flush_batch(r);
    for (size_t i = 0; i < n; i++) {
        /* A record with more spans than a batch holds spills over. */
        if (r->batch->n_spans >= r->batch_spans)
            flush_batch(r);
        tf_batch_add_encoded(r->batch, spans[i].resource, spans[i].scope, spans[i].p, spans[i].len);
    }
}

static void progress(run_state *r, bool final)
{
    if (!r->hooks->on_progress)
        return;
    uint64_t now = tf_now_mono_ns();
    if (!final && now - r->last_progress_ns < TF_PROGRESS_EVERY_NS)
        return;
    r->last_progress_ns = now;
    r->live.requests = r->sink->stats.requests;
    r->hooks->on_progress(r->hooks->ctx, &r->live, final);
}

/* Periodic work between frames: deliver acks, age-based flush, checkpoint. */
static void tick(run_state *r)
{
    tf_err err;
    if (r->sink->poll(r->sink, &err) != 0)
        fail(r, &err);
    if (r->batch->n_spans + r->batch->n_marks &&
        tf_now_mono_ns() - r->batch_opened_ns > TF_BATCH_MAX_AGE_NS)
        flush_batch(r);
    write_checkpoint(r, false);
}

/* Decides where to start a stream; false when it is not to be read. Runs on
 * the reader's thread: the checkpoint is shared under ckpt_mu. */
static bool begin_stream(void *ctx, uint32_t slot, const tf_stream_info *info, uint64_t *offset)
{
    run_state *r = ctx;
    tf_err why;
    pthread_mutex_lock(&r->ckpt_mu);
    tf_ckpt_verdict v = tf_ckpt_stream_begin(r->ckpt, slot, info, offset, &why);
    bool read = true;
    switch (v) {
    case TF_CKPT_START: break;
    case TF_CKPT_RESUME:
        tf_notef("%s: resuming at byte %llu", info->name, (unsigned long long)*offset);
        break;
    case TF_CKPT_SKIP:
        tf_verbosef("%s: already done according to the checkpoint", info->name);
        r->skipped_done++;
        read = false;
        break;
    case TF_CKPT_CHANGED:
        switch (r->o->on_changed) {
        case TF_ON_CHANGED_RESTART:
            tf_warnf("%s; reading it again from the start (--on-changed restart)", why.msg);
            tf_ckpt_stream_restart(r->ckpt, slot, info);
            *offset = 0;
            break;
        case TF_ON_CHANGED_SKIP:
            tf_warnf("%s; skipping it (--on-changed skip)", why.msg);
            r->changed++;
            read = false;
            break;
        case TF_ON_CHANGED_FAIL: {
            tf_err e;
            tf_err_set(&e, "%s; stopping (use --on-changed restart or skip to go on)", why.msg);
            report(r, &e);
            r->changed_fatal = true;
            read = false;
            break;
        }
        }
        break;
    }
    pthread_mutex_unlock(&r->ckpt_mu);
    return read;
}

/* Replays a worker's events for one block of frames, in order. */
static void on_result(run_state *r, const tf_result *res)
{
    const tf_rd_msg *msg = res->msg;
    for (size_t i = 0; i < res->n_ev && !r->fatal; i++) {
        const tf_ev *e = &res->ev[i];
        switch (e->kind) {
        case TF_EV_SPANS:
            add_spans(r, res->spans + e->first, e->n);
            r->live.spans += e->n;
            break;
        case TF_EV_REJECT:
            reject(r, r->stream_name, e->offset, e->line, e->why, e->text, e->text ? e->len : 0);
            r->live.rejected++;
            break;
        case TF_EV_FRAME_END:
            tf_batch_mark(r->batch, msg->slot, e->end, false);
            r->live.records++;
            progress(r, false);
            tick(r);
            if (stop_requested(r)) {
                r->interrupted = true;
                return;
            }
            break;
        }
    }
}

static void on_stream_end(run_state *r, const tf_rd_msg *msg)
{
    if (stop_requested(r)) {
        /* Perhaps cut short by the stop itself: not done, and no error. */
        r->interrupted = true;
        return;
    }
    if (msg->error) {
        tf_err err;
        tf_err_set(&err, "%s: %s", r->stream_name, msg->error);
        report(r, &err);
        if (tf_rejects_stream(r->rejects, r->stream_name, msg->end, msg->error, &err) != 0)
            fail(r, &err);
        pthread_mutex_lock(&r->ckpt_mu);
        tf_ckpt_stream_error(r->ckpt, msg->slot, msg->error);
        pthread_mutex_unlock(&r->ckpt_mu);
        r->input_errors++;
    }
    tf_batch_mark(r->batch, msg->slot, msg->end, true);
}

static void on_input_error(void *ctx, const tf_err *err)
{
    report(ctx, err);
}

static char *rejects_path_for(const tf_opts *o)
{
    return o->rejects ? tf_xstrdup(o->rejects) : tf_rejects_default_path(o->checkpoint, o->output);
}

/* Opens the checkpoint, the sink and the rejects file; the outcome when one fails. */
static bool open_outputs(run_state *r, tf_run_result *res)
{
    const tf_opts *o = r->o;
    tf_err e;
    r->ckpt = tf_ckpt_open(o->checkpoint, o->checkpoint_interval_ns, &e);
    if (!r->ckpt) {
        report(r, &e);
        res->outcome = TF_RUN_FAILED;
        return false;
    }
    const char *output = o->endpoint ? NULL : o->output ? o->output : TF_DEFAULT_OUTPUT;
    if (output && !strcmp(output, "-") && o->checkpoint && tf_ckpt_output_size(r->ckpt, "-") > 0)
        tf_warnf("resuming with output to stdout: lines before the checkpoint were written by the earlier run");
    r->sink = output ? tf_sink_file_new(output, strcmp(output, "-") ? tf_ckpt_output_size(r->ckpt, output) : -1, &e)
                     : tf_sink_http_new(o, &e);
    if (!r->sink) {
        report(r, &e);
        res->outcome = o->endpoint ? TF_RUN_BAD_CONFIG : TF_RUN_FAILED;
        return false;
    }
    r->sink->done = batch_done;
    r->sink->done_ctx = r;
    r->sink->stop_request = r->hooks->stop;
    char *rejects_path = rejects_path_for(o);
    r->rejects = tf_rejects_new(rejects_path, tf_ckpt_rejects_size(r->ckpt, rejects_path));
    tf_ckpt_set_files(r->ckpt, output && strcmp(output, "-") ? output : NULL, rejects_path);
    free(rejects_path);
    return true;
}

/* Reads everything (or until a stop request or a fatal error). */
static void drive(run_state *r, tf_feed *feed)
{
    tf_err err;
    if (tf_feed_start(feed, &err) != 0) {
        fail(r, &err);
        return;
    }
    for (const tf_result *res; (res = tf_feed_next(feed))->msg->kind != TF_RD_DONE;) {
        const tf_rd_msg *msg = res->msg;
        if (msg->kind == TF_RD_BEGIN && !msg->skip) {
            free(r->stream_name);
            r->stream_name = tf_xstrdup(msg->name);
        } else if (msg->kind == TF_RD_FRAMES) {
            on_result(r, res);
        } else if (msg->kind == TF_RD_END) {
            on_stream_end(r, msg);
        }
        tf_feed_release(feed, res);
        if (r->changed_fatal)
            r->fatal = true;
        if (r->fatal || r->interrupted || stop_requested(r)) {
            tf_feed_stop(feed);
            break;
        }
    }
}

void tf_pipeline_run(const tf_opts *o, const tf_run_hooks *hooks, tf_run_result *res)
{
    memset(res, 0, sizeof *res);
    run_state r = { .o = o, .hooks = hooks };
    tf_feed_opts fo = { .begin = begin_stream, .begin_ctx = &r, .on_input_error = on_input_error,
                        .input_error_ctx = &r, .stop_request = hooks->stop };
    tf_run_plan_make(o, false, &fo.plan);
    r.batch_spans = fo.plan.batch_spans;
    r.batch_bytes = fo.plan.batch_bytes;
    tf_err err;
    tf_feed *feed = tf_feed_new(o, &fo, &err);
    if (!feed) {
        report(&r, &err);
        res->outcome = TF_RUN_BAD_CONFIG;
        return;
    }
    pthread_mutex_init(&r.ckpt_mu, NULL);
    if (!open_outputs(&r, res)) {
        tf_ckpt_free(r.ckpt);
        tf_feed_free(feed);
        pthread_mutex_destroy(&r.ckpt_mu);
        return;
    }
    new_batch(&r);
    drive(&r, feed);
    if (stop_requested(&r))
        r.interrupted = true;
    if (r.interrupted) {
        res->stop_signal = (int)*hooks->stop;
        tf_notef("stopping on signal %d: finishing requests in flight (10 s at most)%s", res->stop_signal,
                 o->checkpoint ? ", then saving the checkpoint" : "");
    } else if (!r.fatal && r.batch->n_spans + r.batch->n_marks) {
        flush_batch(&r);
    }
    /* The open batch of an interrupted or failed run was never sent: dropping
     * it leaves its records after the checkpoint, to be read again. */
    if (r.sink->finish(r.sink, r.interrupted || r.fatal ? tf_now_mono_ns() + TF_STOP_GRACE_NS : 0, &err) != 0)
        fail(&r, &err);
    if (!r.interrupted && stop_requested(&r)) { /* it came while the sink finished */
        r.interrupted = true;
        res->stop_signal = (int)*hooks->stop;
    }
    const tf_source_stats *ss = tf_feed_source_stats(feed); /* joins the reader */
    write_checkpoint(&r, true);
    tf_mapper_stats ms = tf_feed_mapper_stats(feed);
    progress(&r, true);

    res->records = ms.records;
    res->filtered = ms.filtered;
    res->rejected = tf_rejects_count(r.rejects) - r.input_errors;
    res->streams = ss->streams;
    res->input_errors = r.input_errors + ss->errors;
    res->changed = r.changed;
    res->skipped_done = r.skipped_done;
    res->skipped_files = ss->skipped_files;
    res->skipped_members = ss->skipped_members;
    res->spans = r.sink->stats.spans;
    res->requests = r.sink->stats.requests;
    res->retries = r.sink->stats.retries;
    res->backend_rejected_spans = r.sink->stats.rejected_spans;
    res->throttles = r.sink->stats.throttles;
    res->settled_spans_per_s = r.sink->stats.settled_spans_per_s;
    res->destination = tf_xstrdup(r.sink->describe);
    if (tf_rejects_count(r.rejects))
        res->rejects_path = tf_xstrdup(tf_rejects_path(r.rejects));
    res->outcome = r.fatal ? TF_RUN_FAILED : r.interrupted ? TF_RUN_INTERRUPTED : TF_RUN_FINISHED;

    tf_batch_free(r.batch);
    free(r.stream_name);
    r.sink->destroy(r.sink);
    tf_rejects_free(r.rejects);
    tf_ckpt_free(r.ckpt);
    tf_feed_free(feed); /* after the sink: batches point at its resources */
    pthread_mutex_destroy(&r.ckpt_mu);
}

void tf_run_result_free(tf_run_result *res)
{
    free(res->destination);
    free(res->rejects_path);
    memset(res, 0, sizeof *res);
}
