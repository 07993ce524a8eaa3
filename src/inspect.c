/* inspect.c: `tracefill inspect`: per stream, what was detected (container,
 * compression, framing, profile), how many records, and the first span,
 * without sending or writing anything. */
#include "config.h"
#include "mapper.h"
#include "msg.h"
#include "run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    tf_buf first;          /* first span of the stream as OTLP/JSON */
    uint64_t spans, rejected, filtered;
    tf_buf first_reject;
} inspect_state;

static void on_spans(void *ctx, const tf_record *rec, tf_span **spans, size_t n)
{
    inspect_state *s = ctx;
    if (!s->first.len && n)
        tf_encode_json_span(&s->first, spans[0]);
    s->spans += n;
}

static void on_reject(void *ctx, const tf_record *rec, const char *why)
{
    inspect_state *s = ctx;
    if (!s->rejected++) {
        if (rec->line)
            tf_buf_printf(&s->first_reject, "line %llu: %s", (unsigned long long)rec->line, why);
        else
            tf_buf_printf(&s->first_reject, "byte %llu: %s", (unsigned long long)rec->offset, why);
    }
}

static void on_filtered(void *ctx, const tf_record *rec)
{
    ((inspect_state *)ctx)->filtered++;
}

int tf_inspect(const tf_opts *o)
{
    tf_interner *in = tf_interner_new();
    tf_map_env env = { .opts = o, .interner = in };
    env.scope = tf_intern_scope(in, TF_STR("tracefill"), TF_STR(PACKAGE_VERSION), NULL, TF_STR(""), 0);
    char *err = NULL;
    tf_mapper *m = tf_mapper_new(&env, &err);
    if (!m) {
        tf_errorf("%s", err);
        free(err);
        tf_interner_free(in);
        return TF_EXIT_USAGE;
    }
    tf_source_opts so = { o->include, o->n_include, o->exclude, o->n_exclude };
    tf_source *src = tf_source_new(o->inputs, o->n_inputs, &so);
    tf_framer *fr = tf_framer_new(o->max_record_bytes);
    inspect_state s = { 0 };
    tf_mapper_cb cb = { .spans = on_spans, .reject = on_reject, .filtered = on_filtered, .ctx = &s };
    tf_stream *st;
    int status = TF_EXIT_OK;
    uint64_t total_records = 0;
    while (tf_source_next(src, &st) == 1) {
        const tf_stream_info *info = tf_stream_get_info(st);
        tf_mapper_begin_stream(m, info->name);
        tf_framer_start(fr, st, 0);
        s.first.len = s.first_reject.len = 0;
        s.spans = s.rejected = s.filtered = 0;
        uint64_t before = tf_mapper_stats_get(m)->records, bad = 0;
        const char *stream_err = NULL;
        tf_frame f;
        const char *why;
        int rc;
        while ((rc = tf_framer_next(fr, &f, &why)) != TF_FRAME_END) {
            if (rc == TF_FRAME_ERROR) {
                stream_err = tf_stream_error(st);
                break;
            }
            if (rc == TF_FRAME_BAD) {
                bad++;
                tf_record rec = { .offset = f.offset, .line = f.line };
                on_reject(&s, &rec, why);
                continue;
            }
            tf_mapper_frame(m, &f, &cb);
            tf_mapper_end_frame(m);
        }
        uint64_t records = tf_mapper_stats_get(m)->records - before + bad;
        total_records += records;
        const char *pwhy = NULL;
        const char *profile = tf_mapper_profile(m, &pwhy);
        printf("%s\n", info->name);
        printf("  container:   %s%s%s\n", info->container,
               info->outer && strcmp(info->outer, "none") ? ", compressed with " : "",
               info->outer && strcmp(info->outer, "none") ? info->outer : "");
        printf("  compression: %s\n", info->compression);
        printf("  framing:     %s\n", tf_framer_mode(fr));
        printf("  profile:     %s%s%s%s\n", profile ? profile : "none", pwhy ? " (" : "",
               pwhy ? pwhy : "", pwhy ? ")" : "");
        printf("  records:     %llu (%llu spans, %llu rejected, %llu filtered out)\n",
               (unsigned long long)records, (unsigned long long)s.spans,
               (unsigned long long)s.rejected, (unsigned long long)s.filtered);
        if (s.rejected)
            printf("  first reject: %.*s\n", (int)s.first_reject.len, s.first_reject.p);
        if (stream_err) {
            printf("  error:       %s\n", stream_err);
            status = TF_EXIT_INPUT_ERRORS;
        }
        if (s.first.len)
            printf("  first span:  %.*s\n", (int)s.first.len, s.first.p);
        tf_stream_close(st);
    }
    const tf_source_stats *ss = tf_source_stats_get(src);
    printf("%llu streams, %llu records", (unsigned long long)ss->streams, (unsigned long long)total_records);
    if (ss->skipped_members)
        printf(", %llu archive members skipped", (unsigned long long)ss->skipped_members);
    if (ss->errors)
        printf(", %llu inputs unreadable", (unsigned long long)ss->errors);
    printf("\n");
    if (ss->errors)
        status = TF_EXIT_INPUT_ERRORS;
    tf_buf_free(&s.first);
    tf_buf_free(&s.first_reject);
    tf_framer_free(fr);
    tf_source_free(src);
    tf_mapper_free(m);
    tf_interner_free(in);
    return status;
}
