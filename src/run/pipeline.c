/* run.c: the `run` pipeline: source → framer → mapper → batches → sink,
 * with the checkpoint following acknowledgements and signals stopping the
 * run resumably. */
#include "config.h"
#include "run/pipeline.h"
#include "run/checkpoint.h"
#include "map/mapper.h"
#include "tool/msg.h"
#include "input/reader.h"
#include "run/workers.h"
#include "run/rejects.h"
#include "output/sink.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* How long in-flight requests may take to finish after SIGINT/SIGTERM. */
#define TF_STOP_GRACE_NS (10ull * 1000000000u)
/* A batch that has waited this long is sent even when not full, so the
 * checkpoint keeps moving on slow or heavily filtered input. */
#define TF_BATCH_MAX_AGE_NS (1000000000ull)

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    if (stop_signal)
        _exit(TF_EXIT_INTERRUPTED); /* second signal: now; the checkpoint file is always whole */
    stop_signal = sig;
}

typedef struct {
    const tf_opts *o;
    tf_sink *sink;
    tf_err sink_err; /* the sink's error last shown */
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
    bool progress;
    tf_mapper_stats live; /* for the progress line: frames, spans, rejects so far */
    tf_overhead_cache ovh;
} run_state;

static void batch_done(void *ctx, tf_batch *b, bool acked, uint64_t output_size)
{
    run_state *r = ctx;
    if (acked) {
        pthread_mutex_lock(&r->ckpt_mu);
        tf_ckpt_batch_acked(r->ckpt, b->seq, output_size);
        pthread_mutex_unlock(&r->ckpt_mu);
    }
    else if (!r->interrupted)
        r->fatal = true;
    tf_batch_free(b);
}

/* A sink call failed: the run stops. A failed sink returns the same error
 * from later calls; it is shown once. */
static void sink_failed(run_state *r, const tf_err *err)
{
    if (strcmp(r->sink_err.msg, err->msg) != 0) {
        tf_errorf("%s", err->msg);
        r->sink_err = *err;
    }
    r->fatal = true;
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
        sink_failed(r, &err);
}

static int sync_outputs(void *ctx)
{
    run_state *r = ctx;
    tf_err err;
    if (r->sink->sync(r->sink, &err) != 0) {
        sink_failed(r, &err);
        return -1;
    }
    if (tf_rejects_sync(r->rejects) != 0)
        return -1;
    return 0;
}

static void reject(run_state *r, const char *stream, uint64_t offset, uint64_t line, const char *why,
                   const char *text, size_t len)
{
    if (line)
        tf_verbosef("%s: line %llu: %s", stream, (unsigned long long)line, why);
    else
        tf_verbosef("%s: byte %llu: %s", stream, (unsigned long long)offset, why);
    if (tf_rejects_record(r->rejects, stream, offset, line, why, text, len) != 0)
        r->fatal = true;
}

/* One record's spans, already encoded by a worker, into the batches. */
static void add_spans(run_state *r, const tf_ev_span *spans, size_t n)
{
    /* Conservative: as if each span opened a new resource group. */
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += tf_batch_span_cost(r->batch->enc, spans[i].len) +
                 tf_encode_overhead_cached(&r->ovh, r->batch->enc, spans[i].resource, spans[i].scope);
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

static void progress(run_state *r, const tf_mapper_stats *ms, bool final)
{
    if (!r->progress)
        return;
    uint64_t now = tf_now_mono_ns();
    if (!final && now - r->last_progress_ns < 166000000u)
        return;
    r->last_progress_ns = now;
    fprintf(stderr, "\rtracefill: %llu records, %llu spans, %llu rejected, %llu requests%s",
            (unsigned long long)ms->records, (unsigned long long)ms->spans,
            (unsigned long long)ms->rejected, (unsigned long long)r->sink->stats.requests,
            final ? "\n" : "");
    fflush(stderr);
}

/* Periodic work between frames: deliver acks, age-based flush, checkpoint. */
static void tick(run_state *r)
{
    tf_err err;
    if (r->sink->poll(r->sink, &err) != 0)
        sink_failed(r, &err);
    if (r->batch->n_spans + r->batch->n_marks &&
        tf_now_mono_ns() - r->batch_opened_ns > TF_BATCH_MAX_AGE_NS)
        flush_batch(r);
    pthread_mutex_lock(&r->ckpt_mu);
    if (tf_ckpt_maybe_write(r->ckpt, false, sync_outputs, r) != 0)
        r->fatal = true;
    pthread_mutex_unlock(&r->ckpt_mu);
}

/* Decides where to start a stream; false when it is not to be read. Runs on
 * the reader's thread: the checkpoint is shared under ckpt_mu. */
static bool begin_stream(void *ctx, uint32_t slot, const tf_stream_info *info, uint64_t *offset)
{
    run_state *r = ctx;
    char *why = NULL;
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
            tf_warnf("%s; reading it again from the start (--on-changed restart)", why);
            tf_ckpt_stream_restart(r->ckpt, slot, info);
            *offset = 0;
            break;
        case TF_ON_CHANGED_SKIP:
            tf_warnf("%s; skipping it (--on-changed skip)", why);
            r->changed++;
            read = false;
            break;
        case TF_ON_CHANGED_FAIL:
            tf_errorf("%s; stopping (use --on-changed restart or skip to go on)", why);
            r->changed_fatal = true;
            read = false;
            break;
        }
        break;
    }
    pthread_mutex_unlock(&r->ckpt_mu);
    free(why);
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
            progress(r, &r->live, false);
            tick(r);
            if (stop_signal) {
                r->interrupted = true;
                return;
            }
            break;
        }
    }
}

static void on_stream_end(run_state *r, const tf_rd_msg *msg)
{
    if (msg->error) {
        tf_errorf("%s: %s", r->stream_name, msg->error);
        if (tf_rejects_stream(r->rejects, r->stream_name, msg->end, msg->error) != 0)
            r->fatal = true;
        pthread_mutex_lock(&r->ckpt_mu);
        tf_ckpt_stream_error(r->ckpt, msg->slot, msg->error);
        pthread_mutex_unlock(&r->ckpt_mu);
        r->input_errors++;
    }
    tf_batch_mark(r->batch, msg->slot, msg->end, true);
}

static char *rejects_path_for(const tf_opts *o)
{
    return o->rejects ? tf_xstrdup(o->rejects) : tf_rejects_default_path(o->checkpoint, o->output);
}

int tf_run(const tf_opts *o)
{
    run_state r = { .o = o, .batch_spans = o->batch_spans, .batch_bytes = o->batch_bytes };
    pthread_mutex_init(&r.ckpt_mu, NULL);
    r.progress = o->progress && isatty(STDERR_FILENO) && o->msg_level >= TF_MSG_NORMAL;
    /* With a rate limit, one request must fit in the limiter's burst (a tenth
     * of a second's worth) or a single request would exceed the rate. */
    if (o->endpoint && o->rate_spans > 0)
        r.batch_spans = TF_MAX(1, TF_MIN(r.batch_spans, (size_t)(o->rate_spans / 10)));
    if (o->endpoint && o->rate_bytes > 0)
        r.batch_bytes = TF_MAX(1024, TF_MIN(r.batch_bytes, (size_t)(o->rate_bytes / 10)));

    char *err = NULL;
    int status = TF_EXIT_OK;
    tf_interner *in = tf_interner_new();
    tf_map_env env = { .opts = o, .interner = in };
    env.scope = tf_intern_scope(in, TF_STR("tracefill"), TF_STR(PACKAGE_VERSION), NULL, TF_STR(""), 0);
    /* Fail on a bad profile before touching any file. */
    tf_mapper *probe = tf_mapper_new(&env, &err);
    if (!probe) {
        tf_errorf("%s", err);
        free(err);
        tf_interner_free(in);
        return TF_EXIT_USAGE;
    }
    tf_mapper_free(probe);
    r.ckpt = tf_ckpt_open(o->checkpoint, o->checkpoint_interval_ns, &err);
    if (!r.ckpt) {
        tf_errorf("%s", err);
        free(err);
        tf_interner_free(in);
        return TF_EXIT_FAILURE;
    }
    const char *output = o->endpoint ? NULL : o->output ? o->output : TF_DEFAULT_OUTPUT;
    char *rejects_path = rejects_path_for(o);
    if (output && !strcmp(output, "-") && o->checkpoint && tf_ckpt_output_size(r.ckpt, "-") > 0)
        tf_warnf("resuming with output to stdout: lines before the checkpoint were written by the earlier run");
    tf_err serr;
    r.sink = output ? tf_sink_file_new(output, strcmp(output, "-") ? tf_ckpt_output_size(r.ckpt, output) : -1, &serr)
                    : tf_sink_http_new(o, &serr);
    if (!r.sink) {
        tf_errorf("%s", serr.msg);
        free(rejects_path);
        tf_ckpt_free(r.ckpt);
        tf_interner_free(in);
        return o->endpoint ? TF_EXIT_USAGE : TF_EXIT_FAILURE;
    }
    r.sink->done = batch_done;
    r.sink->done_ctx = &r;
    r.rejects = tf_rejects_new(rejects_path, tf_ckpt_rejects_size(r.ckpt, rejects_path));
    tf_ckpt_set_files(r.ckpt, output && strcmp(output, "-") ? output : NULL, rejects_path);
    free(rejects_path);
    new_batch(&r);

    stop_signal = 0;
    struct sigaction sa = { .sa_handler = on_signal }, old_int, old_term;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);

    /* Reading gets a thread, and mapping one worker per core (at most 4),
     * unless there is one core or --threads 1 says to do it all inline. */
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int workers = o->threads ? o->threads : (int)TF_MIN(TF_MAX(cores, 1), 4);
    if (workers <= 1)
        workers = 0;
    tf_reader *rd = tf_reader_new(o, workers > 0, begin_stream, &r);
    tf_work *wk = tf_work_new(rd, &env, workers, r.sink->encoding, r.batch_bytes, &err);
    if (!wk) {
        tf_errorf("%s", err);
        free(err);
        r.fatal = true;
    }
    for (const tf_result *res; wk && (res = tf_work_next(wk))->msg->kind != TF_RD_DONE;) {
        const tf_rd_msg *msg = res->msg;
        if (msg->kind == TF_RD_BEGIN && !msg->skip) {
            free(r.stream_name);
            r.stream_name = tf_xstrdup(msg->name);
        } else if (msg->kind == TF_RD_FRAMES) {
            on_result(&r, res);
        } else if (msg->kind == TF_RD_END) {
            on_stream_end(&r, msg);
        }
        tf_work_release(wk, res);
        if (r.changed_fatal)
            r.fatal = true;
        if (r.fatal || r.interrupted || stop_signal) {
            tf_work_stop(wk);
            break;
        }
    }
    if (stop_signal)
        r.interrupted = true;
    if (r.interrupted) {
        tf_notef("stopping on signal %d: finishing requests in flight (10 s at most), then saving the checkpoint",
                 (int)stop_signal);
    } else if (!r.fatal && r.batch->n_spans + r.batch->n_marks) {
        flush_batch(&r);
    }
    /* The open batch of an interrupted or failed run was never sent: dropping
     * it leaves its records after the checkpoint, to be read again. */
    if (r.sink->finish(r.sink, r.interrupted || r.fatal ? tf_now_mono_ns() + TF_STOP_GRACE_NS : 0, &serr) != 0)
        sink_failed(&r, &serr);
    const tf_source_stats *ss = tf_reader_stats(rd); /* joins the reader */
    if (tf_ckpt_maybe_write(r.ckpt, true, sync_outputs, &r) != 0)
        r.fatal = true;
    tf_mapper_stats mstats = wk ? tf_work_stats(wk) : (tf_mapper_stats){ 0 };
    progress(&r, &mstats, true);

    const tf_mapper_stats *ms = &mstats;
    uint64_t rejected = tf_rejects_count(r.rejects) - r.input_errors;
    r.input_errors += ss->errors;
    tf_notef("%llu record%s from %llu stream%s: %llu span%s in %llu request%s to %s; %llu filtered out, %llu rejected",
             (unsigned long long)ms->records, ms->records == 1 ? "" : "s", (unsigned long long)ss->streams,
             ss->streams == 1 ? "" : "s", (unsigned long long)r.sink->stats.spans,
             r.sink->stats.spans == 1 ? "" : "s", (unsigned long long)r.sink->stats.requests,
             r.sink->stats.requests == 1 ? "" : "s", r.sink->describe, (unsigned long long)ms->filtered,
             (unsigned long long)rejected);
    if (r.sink->stats.retries || r.sink->stats.rejected_spans)
        tf_notef("%llu requests retried; the backend reported %llu spans rejected (partial success)",
                 (unsigned long long)r.sink->stats.retries, (unsigned long long)r.sink->stats.rejected_spans);
    if (r.skipped_done)
        tf_notef("%llu streams were already done according to the checkpoint", (unsigned long long)r.skipped_done);
    if (tf_rejects_count(r.rejects))
        tf_notef("rejected records and stream errors are in %s", tf_rejects_path(r.rejects));
    if (r.fatal)
        status = TF_EXIT_FAILURE;
    else if (r.interrupted)
        status = TF_EXIT_INTERRUPTED;
    else if (r.input_errors || r.changed)
        status = TF_EXIT_INPUT_ERRORS;
    else if (rejected || r.sink->stats.rejected_spans)
        status = TF_EXIT_REJECTS;
    if (r.interrupted && o->checkpoint)
        tf_notef("run the same command again to continue from %s", o->checkpoint);

    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    tf_batch_free(r.batch);
    tf_work_free(wk);
    tf_reader_free(rd);
    free(r.stream_name);
    pthread_mutex_destroy(&r.ckpt_mu);
    r.sink->destroy(r.sink);
    tf_rejects_free(r.rejects);
    tf_ckpt_free(r.ckpt);
    tf_interner_free(in);
    return status;
}
