/* inspect.c: `tracefill inspect`: per stream, what was detected (container,
 * compression, framing, profile), how many records, and the first span,
 * without sending or writing anything. It reads through the same reader and
 * mapper as `run`, so what it reports is what `run` would do. */
#include "config.h"
#include "map/mapper.h"
#include "tool/msg.h"
#include "input/reader.h"
#include "run/pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    tf_buf first;          /* first span of the stream as OTLP/JSON */
    uint64_t spans, rejected, filtered, records;
    tf_buf first_reject;
} inspect_state;

static void on_spans(void *ctx, const tf_record *rec, tf_span **spans, size_t n)
{
    inspect_state *s = ctx;
    if (!s->first.len && n)
        tf_encode_json_span(&s->first, spans[0]);
    s->spans += n;
}

static void note_reject(inspect_state *s, uint64_t offset, uint64_t line, const char *why)
{
    if (!s->rejected++) {
        if (line)
            tf_buf_printf(&s->first_reject, "line %llu: %s", (unsigned long long)line, why);
        else
            tf_buf_printf(&s->first_reject, "byte %llu: %s", (unsigned long long)offset, why);
    }
}

static void on_reject(void *ctx, const tf_record *rec, const char *why)
{
    note_reject(ctx, rec->offset, rec->line, why);
}

static void on_filtered(void *ctx, const tf_record *rec)
{
    ((inspect_state *)ctx)->filtered++;
}

static bool read_all(void *ctx, uint32_t slot, const tf_stream_info *info, uint64_t *offset)
{
    return true;
}

int tf_inspect(const tf_opts *o)
{
    tf_interner *in = tf_interner_new();
    tf_map_env env = { .opts = o, .interner = in };
    env.scope = tf_intern_scope(in, TF_STR("tracefill"), TF_STR(PACKAGE_VERSION), NULL, TF_STR(""), 0);
    tf_err err;
    tf_profiles *profiles = tf_profiles_open(&env, o->profile, &err);
    if (!profiles) {
        tf_errorf("%s", err.msg);
        tf_interner_free(in);
        return TF_EXIT_USAGE;
    }
    tf_mapper *m = tf_mapper_new(&env, profiles);
    tf_reader *rd = tf_reader_new(o, false, read_all, NULL);
    inspect_state s = { 0 };
    tf_mapper_cb cb = { .spans = on_spans, .reject = on_reject, .filtered = on_filtered, .ctx = &s };
    int status = TF_EXIT_OK;
    uint64_t total_records = 0;
    char *name = NULL;
    const char *profile = NULL, *pwhy = NULL;
    for (tf_rd_msg *msg; (msg = tf_reader_next(rd))->kind != TF_RD_DONE; tf_reader_release(rd, msg)) {
        if (msg->kind == TF_RD_BEGIN) {
            free(name);
            name = tf_xstrdup(msg->name);
            tf_mapper_begin_stream(m, name);
            s.first.len = s.first_reject.len = 0;
            s.spans = s.rejected = s.filtered = s.records = 0;
            profile = pwhy = NULL;
            printf("%s\n", msg->name);
            printf("  container:   %s%s%s\n", msg->container,
                   msg->outer && strcmp(msg->outer, "none") ? ", compressed with " : "",
                   msg->outer && strcmp(msg->outer, "none") ? msg->outer : "");
            printf("  compression: %s\n", msg->compression);
        } else if (msg->kind == TF_RD_FRAMES) {
            tf_mapper_use_detected(m, msg->profile, msg->profile_why);
            uint64_t before = tf_mapper_stats_get(m)->records;
            for (size_t i = 0; i < msg->n_frames; i++) {
                const tf_rd_frame *d = &msg->frames[i];
                if (d->bad) {
                    s.records++;
                    note_reject(&s, d->f.offset, d->f.line, d->why ? d->why : "unusable data");
                    continue;
                }
                tf_mapper_frame(m, &d->f, &cb);
                tf_mapper_end_frame(m);
            }
            s.records += tf_mapper_stats_get(m)->records - before;
        } else if (msg->kind == TF_RD_END) {
            profile = tf_mapper_profile(m, &pwhy);
            total_records += s.records;
            printf("  framing:     %s\n", msg->framing ? msg->framing : "unknown");
            printf("  profile:     %s%s%s%s\n", profile ? profile : "none", pwhy ? " (" : "", pwhy ? pwhy : "",
                   pwhy ? ")" : "");
            printf("  records:     %llu (%llu spans, %llu rejected, %llu filtered out)\n",
                   (unsigned long long)s.records, (unsigned long long)s.spans, (unsigned long long)s.rejected,
                   (unsigned long long)s.filtered);
            if (s.rejected)
                printf("  first reject: %.*s\n", (int)s.first_reject.len, s.first_reject.p);
            if (msg->error) {
                printf("  error:       %s\n", msg->error);
                status = TF_EXIT_INPUT_ERRORS;
            }
            if (s.first.len)
                printf("  first span:  %.*s\n", (int)s.first.len, s.first.p);
        }
    }
    const tf_source_stats *ss = tf_reader_stats(rd);
    printf("%llu streams, %llu records", (unsigned long long)ss->streams, (unsigned long long)total_records);
    if (ss->skipped_members)
        printf(", %llu archive members skipped", (unsigned long long)ss->skipped_members);
    if (ss->errors)
        printf(", %llu inputs unreadable", (unsigned long long)ss->errors);
    printf("\n");
    if (ss->errors)
        status = TF_EXIT_INPUT_ERRORS;
    free(name);
    tf_buf_free(&s.first);
    tf_buf_free(&s.first_reject);
    tf_reader_free(rd);
    tf_mapper_free(m);
    tf_profiles_free(profiles);
    tf_interner_free(in);
    return status;
}
