/* feed.c: reader + workers, set up from the options. */
#include "config.h"
#include "run/feed.h"
#include "map/detect.h"
#include "map/mapfile/mapfile.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct tf_feed {
    const tf_opts *o;
    tf_feed_opts fo;
    tf_interner *interner;
    tf_map_env env;
    tf_profiles *profiles; /* opened once, shared by the workers */
    tf_reader *rd;
    tf_work *wk;
    tf_detector *detector; /* --profile auto: on the reader's thread */
    tf_text_lines *text;   /* a text mapping: headers and the early stop, on the reader's thread */
};

void tf_run_plan_make(const tf_opts *o, bool inline_only, tf_run_plan *p)
{
    p->enc = o->endpoint ? o->protocol : TF_ENC_JSON;
    p->batch_spans = o->batch_spans;
    p->batch_bytes = o->batch_bytes;
    /* With a rate limit, one request must fit in the limiter's burst (a tenth
     * of a second's worth) or a single request would exceed the rate. */
    if (o->endpoint && o->rate_spans > 0)
        p->batch_spans = TF_MAX(1, TF_MIN(p->batch_spans, (size_t)(o->rate_spans / 10)));
    if (o->endpoint && o->rate_bytes > 0)
        p->batch_bytes = TF_MAX(1024, TF_MIN(p->batch_bytes, (size_t)(o->rate_bytes / 10)));
    /* Reading gets a thread, and mapping one worker per core (at most 4),
     * unless there is one core or --threads 1 says to do it all inline. */
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int workers = o->threads ? o->threads : (int)TF_MIN(TF_MAX(cores, 1), 4);
    p->threads = inline_only || workers <= 1 ? 0 : workers;
    p->usage = o->usage_metrics != NULL;
}

/* The reader's detect callback: the first value of the record decides. */
static const char *detect(void *ctx, const char *text, size_t len, const char **why)
{
    return tf_detector_frame(ctx, text, len, why);
}

/* The reader's frame hook for a text mapping: the lines go through the
 * format's stream state in order (map/text/text.h, tf_text_lines). */
static void text_stream(void *ctx, const tf_stream_info *info)
{
    (void)info;
    tf_text_lines_begin(ctx);
}

static int text_frame(void *ctx, tf_frame *f, bool skipped, tf_err *err)
{
    const tf_text_columns *cols = NULL;
    bool undecided = false;
    int rc = tf_text_lines_next(ctx, f->p, f->len, f->line, skipped, &cols, &undecided, err);
    if (rc < 0)
        return -1;
    f->header = rc == TF_TEXT_HEADER;
    f->tag = cols;
    return undecided ? TF_RD_FRAME_HOLD : TF_RD_FRAME_OK;
}

tf_feed *tf_feed_new(const tf_opts *o, const tf_feed_opts *fo, tf_err *err)
{
    tf_feed *f = tf_xcalloc(1, sizeof *f);
    f->interner = tf_interner_new();
    f->env = (tf_map_env){ .opts = o, .interner = f->interner };
    f->env.scope = tf_intern_scope(f->interner, TF_STR("tracefill"), TF_STR(PACKAGE_VERSION), NULL, TF_STR(""), 0);
    /* The profiles are opened once, before any file is touched (a bad one
     * fails here), and shared by every worker. */
    f->profiles = tf_profiles_open(&f->env, o->profile, err);
    if (!f->profiles) {
        tf_feed_free(f);
        return NULL;
    }
    f->o = o;
    f->fo = *fo;
    return f;
}

int tf_feed_start(tf_feed *f, tf_err *err)
{
    const tf_opts *o = f->o;
    const tf_feed_opts *fo = &f->fo;
    bool auto_profile = tf_profiles_auto(f->profiles);
    if (auto_profile)
        f->detector = tf_detector_new();
    const tf_text_format *text = NULL;
    if (!auto_profile && tf_profiles_count(f->profiles) == 1)
        text = tf_profile_text_format(tf_profiles_at(f->profiles, 0));
    if (text)
        f->text = tf_text_lines_new(text);
    tf_reader_opts ro = {
        .inputs = o->inputs,
        .n_inputs = o->n_inputs,
        .source = { .include = o->include, .n_include = o->n_include, .exclude = o->exclude,
                    .n_exclude = o->n_exclude, .shard_k = o->shard_k, .shard_n = o->shard_n,
                    .on_error = fo->on_input_error,
                    .on_error_ctx = fo->input_error_ctx, .s3_endpoint = o->s3_endpoint,
                    .s3_path_style = o->s3_path_style },
        .max_record_bytes = o->max_record_bytes,
        .threaded = fo->plan.threads > 0,
        .begin = fo->begin,
        .begin_ctx = fo->begin_ctx,
        .detect = auto_profile ? detect : NULL,
        .detect_ctx = f->detector,
        .stop_request = fo->stop_request,
    };
    if (text) { /* text lines, and files in directories judged as text */
        ro.text_lines = true;
        ro.source.logs = TF_LOGS_TEXT;
        ro.hook = (tf_reader_frame_hook){ .stream = text_stream, .frame = text_frame, .ctx = f->text };
    }
    f->rd = tf_reader_new(&ro);
    f->wk = tf_work_new(f->rd, &f->env, f->profiles, fo->plan.threads, fo->plan.enc, fo->plan.batch_bytes,
                        fo->plan.usage);
    return 0;
}

const tf_result *tf_feed_next(tf_feed *f)
{
    return tf_work_next(f->wk);
}

void tf_feed_release(tf_feed *f, const tf_result *r)
{
    tf_work_release(f->wk, r);
}

void tf_feed_stop(tf_feed *f)
{
    tf_work_stop(f->wk);
}

tf_mapper_stats tf_feed_mapper_stats(tf_feed *f)
{
    return f->wk ? tf_work_stats(f->wk) : (tf_mapper_stats){ 0 };
}

const tf_source_stats *tf_feed_source_stats(tf_feed *f)
{
    static const tf_source_stats none;
    if (f->wk)
        tf_work_stats(f->wk); /* joins the workers before the reader */
    return f->rd ? tf_reader_stats(f->rd) : &none;
}

void tf_feed_free(tf_feed *f)
{
    if (!f)
        return;
    tf_work_free(f->wk);
    tf_reader_free(f->rd);
    tf_detector_free(f->detector);
    tf_text_lines_free(f->text);
    tf_profiles_free(f->profiles);
    tf_interner_free(f->interner);
    free(f);
}

uint64_t tf_feed_raw_read(tf_feed *f)
{
    return f->rd ? tf_reader_raw_read(f->rd) : 0;
}

void tf_feed_current(tf_feed *f, char *buf, size_t n)
{
    if (f->rd)
        tf_reader_current(f->rd, buf, n);
    else if (n)
        buf[0] = '\0';
}

static bool read_all(void *ctx, uint32_t slot, const tf_stream_info *info, uint64_t *offset)
{
    return true;
}

int tf_feed_latest_end(const tf_opts *o, void (*on_input_error)(void *, const tf_err *), void *ctx,
                       uint64_t *end_ns, tf_err *err)
{
    tf_feed_opts fo = { .begin = read_all, .on_input_error = on_input_error, .input_error_ctx = ctx };
    tf_run_plan_make(o, false, &fo.plan);
    tf_feed *f = tf_feed_new(o, &fo, err);
    if (!f)
        return -1;
    if (tf_feed_start(f, err) != 0) {
        tf_feed_free(f);
        return -1;
    }
    *end_ns = 0;
    for (const tf_result *r; (r = tf_feed_next(f))->msg->kind != TF_RD_DONE; tf_feed_release(f, r))
        for (size_t i = 0; i < r->n_ev; i++)
            if (r->ev[i].kind == TF_EV_SPANS)
                for (size_t k = r->ev[i].first; k < r->ev[i].first + r->ev[i].n; k++)
                    *end_ns = TF_MAX(*end_ns, r->spans[k].end_ns);
    tf_feed_free(f);
    return 0;
}
