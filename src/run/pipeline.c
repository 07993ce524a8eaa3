/* pipeline.c: the `run` pipeline: the feed (reader and mapping workers) →
 * batches → sink, with the checkpoint following acknowledgements and a stop
 * request ending the run resumably. */
#include "config.h"
#include "run/pipeline.h"
#include "run/checkpoint.h"
#include "run/feed.h"
#include "run/manifest.h"
#include "run/rejects.h"
#include "common/json.h"
#include "common/timefmt.h"
#include "run/tally.h"
#include "common/log.h"
#include "output/sink.h"
#include "usage/metrics.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
    uint32_t slot;     /* and its slot */
    char *stream_path, *stream_member; /* for the manifest */
    char *output_file; /* -o naming a file that keeps what earlier runs wrote, else NULL */
    tf_manifest *manifest;
    struct {
        bool acked;
        tf_buf lines;
    } *mq;             /* closed batches not yet below the watermark, by seq - mq_base */
    size_t mq_len, mq_cap;
    uint64_t mq_base;
    bool fatal, interrupted, changed_fatal;
    uint64_t input_errors, skipped_done, changed; /* the last two: reader's thread, under ckpt_mu */
    uint8_t *skip_why; /* by slot, under ckpt_mu: SKIP_DONE or SKIP_CHANGED */
    tf_buf input_errs; /* under ckpt_mu: inputs the reader could not open, NUL-separated, for the rejects file */
    size_t n_skip_why;
    tf_feed *feed;
    tf_tally *tally;
    tf_run_counts c;
    uint64_t start_mono_ns, last_progress_ns;
    uint64_t span_start_ns, span_end_ns;
    tf_usage_metrics *usage; /* --usage-metrics */
    char *usage_shard;       /* its shard label under --shard */
    uint8_t first_trace[16]; /* the run's first span's trace, and the batch it went into */
    uint64_t first_trace_seq;
    bool first_trace_set, first_trace_acked;
} run_state;

enum { SKIP_NONE, SKIP_DONE, SKIP_CHANGED };

static bool stop_requested(const run_state *r)
{
    return r->hooks->stop && atomic_load(r->hooks->stop);
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
    if (r->sink && r->sink->closed) { /* nobody is reading: stop, and say nothing */
        r->fatal = true;
        return;
    }
    if (strcmp(r->fatal_err.msg, err->msg) != 0) {
        report(r, err);
        r->fatal_err = *err;
    }
    r->fatal = true;
}

/* A batch was closed: its manifest lines wait in seq order. */
static void manifest_closed(run_state *r, tf_batch *b)
{
    if (!r->manifest)
        return;
    if (!r->mq_len)
        r->mq_base = b->seq;
    if (r->mq_len == r->mq_cap) {
        r->mq_cap = r->mq_cap ? r->mq_cap * 2 : 16;
        r->mq = tf_xrealloc(r->mq, r->mq_cap * sizeof *r->mq);
    }
    r->mq[r->mq_len].acked = false;
    r->mq[r->mq_len].lines = b->sidecar; /* the batch keeps nothing: its lines move here */
    memset(&b->sidecar, 0, sizeof b->sidecar);
    r->mq_len++;
}

/* A batch was acknowledged: the lines of every batch below the watermark
 * (all acknowledged, in order) go to the manifest, and the checkpoint learns
 * its size there. */
static void manifest_acked(run_state *r, uint64_t seq)
{
    if (!r->manifest || seq < r->mq_base || seq - r->mq_base >= r->mq_len)
        return;
    r->mq[seq - r->mq_base].acked = true;
    size_t k = 0;
    tf_err err;
    for (; k < r->mq_len && r->mq[k].acked; k++) {
        if (tf_manifest_append(r->manifest, r->mq[k].lines.p, r->mq[k].lines.len, &err) != 0)
            fail(r, &err);
        tf_buf_free(&r->mq[k].lines);
    }
    if (!k)
        return;
    memmove(r->mq, r->mq + k, (r->mq_len - k) * sizeof *r->mq);
    r->mq_len -= k;
    r->mq_base += k;
    pthread_mutex_lock(&r->ckpt_mu);
    tf_ckpt_set_manifest(r->ckpt, r->o->manifest, tf_manifest_size(r->manifest));
    pthread_mutex_unlock(&r->ckpt_mu);
}

/* The manifest line of one record's spans (the batch holding the last of
 * them carries it). */
static void manifest_line(run_state *r, const tf_ev *e, const tf_ev_span *spans, size_t n)
{
    tf_buf *b = &r->batch->sidecar;
    char hex[33], when[31];
    tf_hex_encode(hex, spans[0].trace_id, 16);
    hex[32] = '\0';
    tf_time_format(spans[0].start_ns, when);
    tf_buf_printf(b, "{\"trace_id\":\"%s\",\"root\":", hex);
    tf_json_write_string(b, e->root ? e->root : "", e->root ? strlen(e->root) : 0);
    tf_buf_printf(b, ",\"start\":\"%s\",\"spans\":%zu,\"span_ids\":[", when, n);
    for (size_t i = 0; i < n; i++) {
        tf_hex_encode(hex, spans[i].span_id, 8);
        hex[16] = '\0';
        tf_buf_printf(b, i ? ",\"%s\"" : "\"%s\"", hex);
    }
    tf_buf_puts(b, "],\"source\":");
    tf_json_write_string(b, r->stream_path, strlen(r->stream_path));
    tf_buf_puts(b, ",\"member\":");
    if (r->stream_member)
        tf_json_write_string(b, r->stream_member, strlen(r->stream_member));
    else
        tf_buf_puts(b, "null");
    tf_buf_printf(b, ",\"offset\":%llu}\n", (unsigned long long)e->offset);
}

static void batch_done(void *ctx, tf_batch *b, bool acked, uint64_t output_size)
{
    run_state *r = ctx;
    if (acked) {
        pthread_mutex_lock(&r->ckpt_mu);
        tf_ckpt_batch_acked(r->ckpt, b->seq, output_size);
        pthread_mutex_unlock(&r->ckpt_mu);
        manifest_acked(r, b->seq);
        for (size_t i = 0; i < b->n_counts; i++)
            tf_tally_stream(r->tally, b->counts[i].stream, NULL)->spans_acked += b->counts[i].n;
        if (r->first_trace_set && b->seq == r->first_trace_seq)
            r->first_trace_acked = true;
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
    manifest_closed(r, b);
    new_batch(r);
    for (size_t i = 0; i < b->n_counts; i++)
        tf_tally_stream(r->tally, b->counts[i].stream, NULL)->spans_sent += b->counts[i].n;
    r->c.spans_sent += b->n_spans;
    tf_err err;
    if (r->sink->submit(r->sink, b, &err) != 0)
        fail(r, &err);
}

static int sync_outputs(void *ctx, tf_err *err)
{
    run_state *r = ctx;
    if (r->sink->sync(r->sink, err) != 0)
        return -1;
    if (r->manifest && tf_manifest_sync(r->manifest, err) != 0)
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
    tf_tally_reject(r->tally, r->slot, why);
    if (line)
        tf_verbosef("%s: line %llu: %s", stream, (unsigned long long)line, why);
    else
        tf_verbosef("%s: byte %llu: %s", stream, (unsigned long long)offset, why);
    tf_err err;
    if (tf_rejects_record(r->rejects, stream, offset, line, why, text, len, &err) != 0)
        fail(r, &err);
}

/* Backends file spans by time: old ones may not be found by a time search.
 * Said once, when the first span goes to a backend. */
#define TF_OLD_SPAN_NS (300ull * 1000000000u)
static void warn_if_old(const run_state *r, uint64_t start_ns)
{
    uint64_t now = tf_now_wall_ns();
    if (!r->o->endpoint || start_ns + TF_OLD_SPAN_NS >= now)
        return;
    char when[31];
    tf_time_format(start_ns, when);
    when[10] = '\0';
    uint64_t days = (now - start_ns) / (86400ull * 1000000000u);
    tf_warnf("the spans start on %s (%llu day%s ago): Tempo finds old spans by trace ID, but a search by time "
             "finds them only when its ingestion_time_range_slack covers their age "
             "(storage.trace.wal.ingestion_time_range_slack on Tempo 2.x, per tenant on recent Tempo); otherwise "
             "they are filed under the time they arrive (see doc/tempo.md, or --time-shift-to now)",
             when, (unsigned long long)days, days == 1 ? "" : "s");
}

/* One record's spans, already encoded (and costed) by a worker, into the batches. */
static void add_spans(run_state *r, const tf_ev *e, const tf_ev_span *spans, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!r->span_start_ns || spans[i].start_ns < r->span_start_ns)
            r->span_start_ns = spans[i].start_ns;
        if (spans[i].end_ns > r->span_end_ns)
            r->span_end_ns = spans[i].end_ns;
    }
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
        if (!r->first_trace_set) {
            memcpy(r->first_trace, spans[i].trace_id, 16);
            r->first_trace_seq = r->batch->seq;
            r->first_trace_set = true;
            warn_if_old(r, spans[i].start_ns);
        }
        tf_batch_add_encoded(r->batch, spans[i].resource, spans[i].scope, spans[i].p, spans[i].len);
        tf_batch_count(r->batch, r->slot, 1);
    }
    if (r->manifest && n)
        manifest_line(r, e, spans, n);
}

/* The totals as of now (the sink's counters are current after poll). */
static void snapshot(run_state *r, tf_run_counts *c)
{
    *c = r->c;
    c->spans_acked = r->sink->stats.spans;
    c->backend_rejected = r->sink->stats.rejected_spans;
    c->requests = r->sink->stats.requests;
    c->retries = r->sink->stats.retries;
    c->throttles = r->sink->stats.throttles;
    c->bytes_sent = r->sink->stats.bytes;
    c->bytes_read = tf_feed_raw_read(r->feed);
}

static void progress(run_state *r, bool final)
{
    if (!r->hooks->on_progress)
        return;
    uint64_t now = tf_now_mono_ns();
    if (!final && now - r->last_progress_ns < TF_PROGRESS_EVERY_NS)
        return;
    r->last_progress_ns = now;
    tf_run_progress p = { .elapsed_ns = now - r->start_mono_ns, .send_rate = r->sink->stats.send_rate };
    snapshot(r, &p.c);
    tf_feed_current(r->feed, p.current, sizeof p.current);
    r->hooks->on_progress(r->hooks->ctx, &p, final);
}

/* The sink waits for room: keep the progress line and the checkpoint going,
 * and give up the wait on a stop request. */
static bool sink_waiting(void *ctx)
{
    run_state *r = ctx;
    progress(r, false);
    write_checkpoint(r, false);
    if (stop_requested(r)) {
        r->interrupted = true;
        return true;
    }
    return false;
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

/* Caller holds ckpt_mu. */
static void set_skip_why(run_state *r, uint32_t slot, uint8_t why)
{
    if (slot >= r->n_skip_why) {
        size_t n = TF_MAX((size_t)slot + 1, r->n_skip_why * 2);
        r->skip_why = tf_xrealloc(r->skip_why, n);
        memset(r->skip_why + r->n_skip_why, 0, n - r->n_skip_why);
        r->n_skip_why = n;
    }
    r->skip_why[slot] = why;
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
        set_skip_why(r, slot, SKIP_DONE);
        read = false;
        break;
    case TF_CKPT_CHANGED:
        switch (r->o->on_changed) {
        case TF_ON_CHANGED_RESTART:
            if (r->output_file && tf_ckpt_slot_records(r->ckpt, slot) > 0) {
                /* Its earlier spans cannot be taken back out of the file. */
                tf_err e;
                tf_err_set(&e, "%s; stopping: reading it again would add its spans to %s a second time "
                           "(--on-changed restart suits a backend, not -o); move %s and the checkpoint away to "
                           "start over, or use --on-changed skip", why.msg, r->output_file, r->output_file);
                report(r, &e);
                r->changed_fatal = true;
                read = false;
                break;
            }
            tf_warnf("%s; reading it again from the start (--on-changed restart)", why.msg);
            tf_ckpt_stream_restart(r->ckpt, slot, info);
            *offset = 0;
            break;
        case TF_ON_CHANGED_SKIP:
            tf_warnf("%s; skipping it (--on-changed skip)", why.msg);
            r->changed++;
            set_skip_why(r, slot, SKIP_CHANGED);
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

/* --usage-metrics and the on_usage hook: the usage facts of one record, in reader order. */
static void usage_facts(run_state *r, const tf_result *res, const tf_ev *e)
{
    tf_err err;
    for (size_t i = e->first_fact; i < e->first_fact + e->n_facts && !r->fatal; i++)
        if (r->hooks->on_usage)
            r->hooks->on_usage(r->hooks->ctx, &res->facts[i]);
    for (size_t i = e->first_fact; i < e->first_fact + e->n_facts && !r->fatal && r->usage; i++)
        if (tf_usage_metrics_add(r->usage, &res->facts[i], &err) != 0) {
            if (e->line)
                tf_err_prefix(&err, "%s: line %llu", r->stream_name, (unsigned long long)e->line);
            else
                tf_err_prefix(&err, "%s: byte %llu", r->stream_name, (unsigned long long)e->offset);
            fail(r, &err);
        }
}

static bool open_usage(run_state *r)
{
    const tf_opts *o = r->o;
    if (o->shard_n > 1)
        r->usage_shard = tf_xasprintf("%u/%u", (unsigned)o->shard_k, (unsigned)o->shard_n);
    tf_usage_metrics_opts uo = { .path = o->usage_metrics, .step_ns = o->usage_step_ns,
                                 .window_ns = o->usage_window_ns, .max_series = o->usage_max_series,
                                 .by_user = o->usage_by_user, .by_session = o->usage_by_session,
                                 .shard = r->usage_shard };
    tf_err e;
    r->usage = tf_usage_metrics_new(&uo, &e);
    if (!r->usage)
        report(r, &e);
    return r->usage != NULL;
}

/* Written only when every input was read: a partial file would look whole. */
static void finish_usage(run_state *r)
{
    if (!r->usage)
        return;
    if (r->fatal || r->interrupted || r->sink->closed) {
        tf_warnf("the run did not finish: no usage metrics were written to %s", r->o->usage_metrics);
        return;
    }
    tf_usage_metrics_stats st;
    tf_err err;
    if (tf_usage_metrics_finish(r->usage, &st, &err) != 0) {
        fail(r, &err);
        return;
    }
    char from[31], to[31];
    tf_time_format(st.first_ns, from);
    tf_time_format(st.last_ns, to);
    from[19] = to[19] = '\0';
    if (st.samples)
        tf_notef("usage metrics: %zu series, %llu samples from %sZ to %sZ in %s", st.series,
                 (unsigned long long)st.samples, from, to, r->o->usage_metrics);
    else
        tf_notef("usage metrics: no request to count; %s holds no sample", r->o->usage_metrics);
}

/* Replays a worker's events for one block of frames, in order. */
static void on_result(run_state *r, const tf_result *res)
{
    const tf_rd_msg *msg = res->msg;
    /* Records and filtered ones as the mapper counted them, up front; spans
     * and rejects (the workers' oversize-span rejects too) as they come. */
    tf_run_stream *st = tf_tally_stream(r->tally, msg->slot, NULL);
    st->records += res->counts.records + res->bad_frames;
    st->filtered += res->counts.filtered;
    r->c.records += res->counts.records + res->bad_frames;
    r->c.filtered += res->counts.filtered;
    for (size_t i = 0; i < res->n_ev && !r->fatal; i++) {
        const tf_ev *e = &res->ev[i];
        switch (e->kind) {
        case TF_EV_SPANS:
            add_spans(r, e, res->spans + e->first, e->n);
            if (r->usage || r->hooks->on_usage)
                usage_facts(r, res, e);
            st->spans += e->n;
            r->c.spans += e->n;
            break;
        case TF_EV_REJECT:
            reject(r, r->stream_name, e->offset, e->line, e->why, e->text, e->text ? e->len : 0);
            st->rejected++;
            r->c.rejected++;
            break;
        case TF_EV_FRAME_END:
            tf_batch_mark_at(r->batch, msg->slot, e->end, e->raw, 1, false);
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
    tf_run_stream *st = tf_tally_stream(r->tally, msg->slot, NULL);
    st->bytes = msg->end;
    if (msg->error) {
        st->error = tf_xstrdup(msg->error);
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
    tf_batch_mark_at(r->batch, msg->slot, msg->end, msg->raw_end, 0, true);
}

/* The reader's thread: said at once, written to the rejects file by the
 * pipeline's thread (drain_input_errors), which owns that file. */
static void on_input_error(void *ctx, const tf_err *err)
{
    run_state *r = ctx;
    report(r, err);
    pthread_mutex_lock(&r->ckpt_mu);
    tf_buf_append(&r->input_errs, err->msg, strlen(err->msg) + 1);
    pthread_mutex_unlock(&r->ckpt_mu);
}

/* Inputs that could not be opened or listed go to the rejects file too, so
 * it holds everything the run could not use. */
static void drain_input_errors(run_state *r)
{
    pthread_mutex_lock(&r->ckpt_mu);
    tf_buf errs = r->input_errs;
    r->input_errs = (tf_buf){ 0 };
    pthread_mutex_unlock(&r->ckpt_mu);
    tf_err err;
    for (size_t i = 0; i < errs.len; i += strlen(errs.p + i) + 1)
        if (tf_rejects_input(r->rejects, errs.p + i, &err) != 0)
            fail(r, &err);
    tf_buf_free(&errs);
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
    if (o->usage_only)
        output = NULL;
    r->sink = o->usage_only ? tf_sink_null_new()
              : output ? tf_sink_file_new(output, strcmp(output, "-") ? tf_ckpt_output_size(r->ckpt, output) : -1, &e)
                       : tf_sink_http_new(o, &e);
    if (!r->sink) {
        report(r, &e);
        res->outcome = o->endpoint ? TF_RUN_BAD_CONFIG : TF_RUN_FAILED;
        return false;
    }
    r->sink->done = batch_done;
    r->sink->done_ctx = r;
    r->sink->waiting = sink_waiting;
    r->sink->stop_request = r->hooks->stop;
    char *rejects_path = rejects_path_for(o);
    r->rejects = tf_rejects_new(rejects_path, tf_ckpt_rejects_size(r->ckpt, rejects_path), &e);
    if (!r->rejects) {
        free(rejects_path);
        report(r, &e);
        res->outcome = TF_RUN_FAILED;
        return false;
    }
    tf_ckpt_set_files(r->ckpt, output && strcmp(output, "-") ? output : NULL, rejects_path);
    /* An -o file an earlier run of this checkpoint wrote to: restarting a
     * changed stream would append its spans to it again. */
    struct stat st;
    if (output && strcmp(output, "-") && tf_ckpt_output_size(r->ckpt, output) > 0 && stat(output, &st) == 0 &&
        S_ISREG(st.st_mode))
        r->output_file = tf_xstrdup(output);
    free(rejects_path);
    if (o->manifest) {
        r->manifest = tf_manifest_open(o->manifest, tf_ckpt_manifest_size(r->ckpt, o->manifest), &e);
        if (!r->manifest) {
            report(r, &e);
            res->outcome = TF_RUN_FAILED;
            return false;
        }
        tf_ckpt_set_manifest(r->ckpt, o->manifest, tf_manifest_size(r->manifest));
    }
    if (o->usage_metrics && !open_usage(r)) {
        res->outcome = TF_RUN_FAILED;
        return false;
    }
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
        drain_input_errors(r);
        if (msg->kind == TF_RD_BEGIN) {
            tf_run_stream *st = tf_tally_stream(r->tally, msg->slot, msg->name);
            if (msg->skip) {
                pthread_mutex_lock(&r->ckpt_mu);
                uint8_t why = msg->slot < r->n_skip_why ? r->skip_why[msg->slot] : SKIP_NONE;
                pthread_mutex_unlock(&r->ckpt_mu);
                st->skipped_done = why == SKIP_DONE;
                st->changed = why == SKIP_CHANGED;
            } else {
                free(r->stream_name);
                free(r->stream_path);
                free(r->stream_member);
                r->stream_name = tf_xstrdup(msg->name);
                r->stream_path = tf_xstrdup(msg->path ? msg->path : msg->name);
                r->stream_member = msg->member ? tf_xstrdup(msg->member) : NULL;
                r->slot = msg->slot;
            }
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
    res->start_wall_ns = tf_now_wall_ns();
    run_state r = { .o = o, .hooks = hooks, .start_mono_ns = tf_now_mono_ns() };
    tf_feed_opts fo = { .begin = begin_stream, .begin_ctx = &r, .on_input_error = on_input_error,
                        .input_error_ctx = &r, .stop_request = hooks->stop };
    tf_run_plan_make(o, false, &fo.plan);
    fo.plan.usage = fo.plan.usage || hooks->on_usage;
    r.batch_spans = fo.plan.batch_spans;
    r.batch_bytes = fo.plan.batch_bytes;
    tf_err err;
    tf_feed *feed = tf_feed_new(o, &fo, &err);
    if (!feed) {
        report(&r, &err);
        res->outcome = TF_RUN_BAD_CONFIG;
        return;
    }
    r.feed = feed;
    r.tally = tf_tally_new();
    bool complete;
    r.c.bytes_total = tf_source_total_bytes(o->inputs, o->n_inputs, &complete);
    if (!complete)
        r.c.bytes_total = 0;
    pthread_mutex_init(&r.ckpt_mu, NULL);
    if (!open_outputs(&r, res)) {
        if (r.sink)
            r.sink->destroy(r.sink);
        tf_rejects_free(r.rejects);
        tf_ckpt_free(r.ckpt);
        tf_feed_free(feed);
        tf_tally_free(r.tally);
        tf_manifest_free(r.manifest);
        tf_usage_metrics_free(r.usage);
        free(r.usage_shard);
        tf_buf_free(&r.input_errs);
        free(r.output_file);
        pthread_mutex_destroy(&r.ckpt_mu);
        return;
    }
    new_batch(&r);
    drive(&r, feed);
    if (stop_requested(&r))
        r.interrupted = true;
    if (r.interrupted) {
        res->stop_signal = atomic_load(hooks->stop);
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
    finish_usage(&r);
    const tf_source_stats *ss = tf_feed_source_stats(feed); /* joins the reader */
    drain_input_errors(&r);
    write_checkpoint(&r, true);
    r.c.streams = ss->streams;
    r.c.input_errors = r.input_errors + ss->errors;
    r.c.changed = r.changed;
    r.c.skipped_done = r.skipped_done;
    r.c.skipped_files = ss->skipped_files;
    r.c.skipped_members = ss->skipped_members;
    r.c.other_shards = ss->other_shards;
    progress(&r, true);

    snapshot(&r, &res->c);
    if (r.c.bytes_total && res->c.bytes_read > r.c.bytes_total)
        res->c.bytes_read = r.c.bytes_total;
    res->end_wall_ns = tf_now_wall_ns();
    res->span_start_ns = r.span_start_ns;
    res->span_end_ns = r.span_end_ns;
    res->has_trace = r.first_trace_acked;
    memcpy(res->trace_id, r.first_trace, 16);
    res->send_rate = r.sink->stats.send_rate;
    res->settled_spans_per_s = r.sink->stats.settled_spans_per_s;
    res->where_seen = tf_feed_mapper_stats(feed).where_seen;
    tf_tally_export(r.tally, res);
    tf_tally_free(r.tally);
    free(r.skip_why);
    res->destination = tf_xstrdup(r.sink->describe);
    if (tf_rejects_count(r.rejects))
        res->rejects_path = tf_xstrdup(tf_rejects_path(r.rejects));
    res->outcome = r.sink->closed ? TF_RUN_CLOSED
                   : r.fatal      ? TF_RUN_FAILED
                   : r.interrupted ? TF_RUN_INTERRUPTED
                                  : TF_RUN_FINISHED;

    tf_batch_free(r.batch);
    free(r.stream_name);
    free(r.stream_path);
    free(r.stream_member);
    for (size_t i = 0; i < r.mq_len; i++)
        tf_buf_free(&r.mq[i].lines);
    free(r.mq);
    tf_manifest_free(r.manifest);
    tf_usage_metrics_free(r.usage);
    free(r.usage_shard);
    r.sink->destroy(r.sink);
    tf_rejects_free(r.rejects);
    tf_ckpt_free(r.ckpt);
    tf_feed_free(feed); /* after the sink: batches point at its resources */
    tf_buf_free(&r.input_errs);
    free(r.output_file);
    pthread_mutex_destroy(&r.ckpt_mu);
}

void tf_run_result_free(tf_run_result *res)
{
    tf_tally_result_free(res);
    free(res->destination);
    free(res->rejects_path);
    memset(res, 0, sizeof *res);
}
