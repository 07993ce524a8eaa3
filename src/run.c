/* run.c: the `run` pipeline: source → framer → mapper → batches → sink. */
#include "config.h"
#include "run.h"
#include "mapper.h"
#include "msg.h"
#include "rejects.h"
#include "sink.h"
#include "upload.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    const tf_opts *o;
    tf_sink *sink;
    tf_rejects *rejects;
    tf_batch *batch;
    uint64_t next_seq;
    size_t batch_spans, batch_bytes;
    tf_buf scratch;
    size_t *ends; /* per span of the current record: end offset in scratch */
    size_t cap_ends;
    uint32_t slot; /* current stream's run-wide slot */
    bool fatal;
    uint64_t input_errors, bad_frames, oversize_spans;
    uint64_t last_progress_ns;
    bool progress;
} run_state;

static void batch_done(void *ctx, tf_batch *b, bool acked)
{
    run_state *r = ctx;
    if (!acked)
        r->fatal = true;
    tf_batch_free(b);
}

static void flush_batch(run_state *r)
{
    tf_batch *b = r->batch;
    r->batch = tf_batch_new(r->sink->encoding, r->next_seq++);
    if (r->sink->submit(r->sink, b) != 0)
        r->fatal = true;
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

static void on_reject(void *ctx, const tf_record *rec, const char *why)
{
    reject(ctx, rec->stream, rec->offset, rec->line, why, rec->text, rec->len);
}

static void on_spans(void *ctx, const tf_record *rec, tf_span **spans, size_t n)
{
    run_state *r = ctx;
    tf_encoding enc = r->sink->encoding;
    /* Encode the record's spans first, so a too-large one rejects the whole
     * record before anything of it is batched. */
    r->scratch.len = 0;
    if (n > r->cap_ends) {
        r->cap_ends = n * 2;
        r->ends = tf_xrealloc(r->ends, r->cap_ends * sizeof *r->ends);
    }
    size_t *ends = r->ends;
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        size_t before = r->scratch.len;
        tf_encode_span(enc, &r->scratch, spans[i]);
        ends[i] = r->scratch.len;
        size_t cost = tf_batch_span_cost(r->batch, ends[i] - before) +
                      tf_encode_overhead(enc, spans[i]->resource, spans[i]->scope);
        total += cost;
        if (cost > r->batch_bytes) {
            char why[160];
            snprintf(why, sizeof why, "span %zu of the record encodes to %zu bytes, more than --batch-bytes (%zu)",
                     i, cost, r->batch_bytes);
            r->oversize_spans++;
            reject(r, rec->stream, rec->offset, rec->line, why, rec->text, rec->len);
            return;
        }
    }
    if (r->batch->n_spans && (r->batch->n_spans + n > r->batch_spans ||
                              r->batch->est_bytes + total > r->batch_bytes))
        flush_batch(r);
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        /* A record with more spans than a batch holds spills over. */
        if (r->batch->n_spans >= r->batch_spans)
            flush_batch(r);
        tf_batch_add_encoded(r->batch, spans[i]->resource, spans[i]->scope, r->scratch.p + start,
                             ends[i] - start);
        start = ends[i];
    }
}

static void progress(run_state *r, const tf_mapper *m, bool final)
{
    if (!r->progress)
        return;
    uint64_t now = tf_now_mono_ns();
    if (!final && now - r->last_progress_ns < 166000000u)
        return;
    r->last_progress_ns = now;
    const tf_mapper_stats *ms = tf_mapper_stats_get(m);
    fprintf(stderr, "\rtracefill: %llu records, %llu spans, %llu rejected, %llu requests%s",
            (unsigned long long)ms->records, (unsigned long long)ms->spans,
            (unsigned long long)ms->rejected, (unsigned long long)r->sink->stats.requests,
            final ? "\n" : "");
    fflush(stderr);
}

static tf_sink *open_sink(const tf_opts *o, char **err)
{
    if (o->endpoint)
        return tf_sink_http_new(o, err);
    return tf_sink_file_new(o->output ? o->output : TF_DEFAULT_OUTPUT, -1, err);
}

static void read_stream(run_state *r, tf_stream *st, tf_framer *fr, tf_mapper *m,
                        const tf_mapper_cb *cb)
{
    const tf_stream_info *info = tf_stream_get_info(st);
    tf_mapper_begin_stream(m, info->name);
    tf_framer_start(fr, st, 0);
    tf_frame f;
    const char *why = NULL;
    for (;;) {
        int rc = tf_framer_next(fr, &f, &why);
        if (rc == TF_FRAME_END)
            break;
        if (rc == TF_FRAME_ERROR) {
            const char *e = tf_stream_error(st);
            tf_errorf("%s: %s", info->name, e ? e : "read error");
            if (tf_rejects_stream(r->rejects, info->name, tf_stream_decoded_offset(st), e ? e : "read error") != 0)
                r->fatal = true;
            r->input_errors++;
            break;
        }
        if (rc == TF_FRAME_BAD) {
            r->bad_frames++;
            reject(r, info->name, f.offset, f.line, why ? why : "unusable data", f.p, f.p ? f.len : 0);
        } else {
            tf_mapper_frame(m, &f, cb);
            tf_mapper_end_frame(m);
        }
        tf_batch_mark(r->batch, r->slot, f.end);
        progress(r, m, false);
        if (r->fatal)
            break;
    }
}

int tf_run(const tf_opts *o)
{
    run_state r = { .o = o, .batch_spans = o->batch_spans, .batch_bytes = o->batch_bytes };
    r.progress = o->progress && isatty(STDERR_FILENO) && o->msg_level >= TF_MSG_NORMAL;
    tf_interner *in = tf_interner_new();
    tf_map_env env = { .opts = o, .interner = in };
    env.scope = tf_intern_scope(in, TF_STR("tracefill"), TF_STR(PACKAGE_VERSION), NULL, TF_STR(""), 0);
    char *err = NULL;
    int status = TF_EXIT_OK;
    tf_mapper *m = tf_mapper_new(&env, &err);
    if (!m) {
        tf_errorf("%s", err);
        free(err);
        tf_interner_free(in);
        return TF_EXIT_USAGE;
    }
    r.sink = open_sink(o, &err);
    if (!r.sink) {
        tf_errorf("%s", err);
        free(err);
        tf_mapper_free(m);
        tf_interner_free(in);
        return TF_EXIT_FAILURE;
    }
    r.sink->done = batch_done;
    r.sink->done_ctx = &r;
    char *rejects_path = o->rejects ? tf_xstrdup(o->rejects) : tf_rejects_default_path(o->checkpoint, o->output);
    r.rejects = tf_rejects_new(rejects_path, -1);
    free(rejects_path);
    r.batch = tf_batch_new(r.sink->encoding, r.next_seq++);

    tf_source_opts so = { o->include, o->n_include, o->exclude, o->n_exclude };
    tf_source *src = tf_source_new(o->inputs, o->n_inputs, &so);
    tf_framer *fr = tf_framer_new(o->max_record_bytes);
    tf_mapper_cb cb = { .spans = on_spans, .reject = on_reject, .ctx = &r };
    tf_stream *st;
    while (!r.fatal && tf_source_next(src, &st) == 1) {
        read_stream(&r, st, fr, m, &cb);
        tf_stream_close(st);
        r.slot++;
    }
    if (!r.fatal && r.batch->n_spans)
        flush_batch(&r);
    if (r.sink->finish(r.sink) != 0)
        r.fatal = true;
    progress(&r, m, true);

    const tf_mapper_stats *ms = tf_mapper_stats_get(m);
    const tf_source_stats *ss = tf_source_stats_get(src);
    uint64_t rejected = tf_rejects_count(r.rejects) - r.input_errors;
    r.input_errors += ss->errors;
    tf_notef("%llu records from %llu streams: %llu spans in %llu requests to %s; %llu filtered out, %llu rejected",
             (unsigned long long)ms->records, (unsigned long long)ss->streams,
             (unsigned long long)r.sink->stats.spans, (unsigned long long)r.sink->stats.requests,
             r.sink->describe, (unsigned long long)ms->filtered, (unsigned long long)rejected);
    if (tf_rejects_count(r.rejects))
        tf_notef("rejected records and stream errors are in %s", tf_rejects_path(r.rejects));
    if (r.fatal)
        status = TF_EXIT_FAILURE;
    else if (r.input_errors)
        status = TF_EXIT_INPUT_ERRORS;
    else if (rejected)
        status = TF_EXIT_REJECTS;

    tf_batch_free(r.batch);
    tf_buf_free(&r.scratch);
    free(r.ends);
    tf_framer_free(fr);
    tf_source_free(src);
    r.sink->destroy(r.sink);
    tf_rejects_free(r.rejects);
    tf_mapper_free(m);
    tf_interner_free(in);
    return status;
}
