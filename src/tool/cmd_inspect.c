/* cmd_inspect.c: `tracefill inspect`: per stream, what was detected (container,
 * compression, framing, profile), how many records, and the first span,
 * without sending or writing anything. It drives the same reader and mapping
 * workers as `run` (run/feed.h, inline), with the same encoding and batch
 * limits, so what it reports is what `run` would do. */
#include "config.h"
#include "tool/cmds.h"
#include "run/feed.h"
#include "tool/exit.h"
#include "tool/msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    tf_buf first;          /* first span of the stream as OTLP/JSON */
    uint64_t spans, rejected, filtered, records;
    tf_buf first_reject;
    const char *profile, *profile_why;
} inspect_state;

static bool read_all(void *ctx, uint32_t slot, const tf_stream_info *info, uint64_t *offset)
{
    return true;
}

static void on_input_error(void *ctx, const tf_err *err)
{
    tf_errorf("%s", err->msg);
}

static void on_frames(inspect_state *s, const tf_result *res)
{
    for (size_t i = 0; i < res->n_ev; i++) {
        const tf_ev *e = &res->ev[i];
        if (e->kind == TF_EV_SPANS) {
            if (!s->first.len && e->n) {
                const tf_ev_span *sp = &res->spans[e->first];
                tf_buf_append(&s->first, sp->p, sp->len);
            }
            s->spans += e->n;
        } else if (e->kind == TF_EV_REJECT && !s->rejected++) {
            if (e->line)
                tf_buf_printf(&s->first_reject, "line %llu: %s", (unsigned long long)e->line, e->why);
            else
                tf_buf_printf(&s->first_reject, "byte %llu: %s", (unsigned long long)e->offset, e->why);
        }
    }
    s->records += res->counts.records + res->bad_frames;
    s->filtered += res->counts.filtered;
}

static void print_end(const inspect_state *s, const tf_rd_msg *msg)
{
    const char *pwhy = s->profile_why;
    tf_buf safe = { 0 }; /* what the input said, shown harmlessly (tool/msg.h) */
    printf("  framing:     %s\n", msg->framing ? msg->framing : "unknown");
    printf("  profile:     %s%s%s%s\n", s->profile ? s->profile : "none", pwhy ? " (" : "",
           pwhy ? tf_msg_safe(&safe, pwhy, strlen(pwhy)) : "", pwhy ? ")" : "");
    printf("  records:     %llu (%llu spans, %llu rejected, %llu filtered out)\n", (unsigned long long)s->records,
           (unsigned long long)s->spans, (unsigned long long)s->rejected, (unsigned long long)s->filtered);
    if (s->rejected)
        printf("  first reject: %s\n", tf_msg_safe(&safe, s->first_reject.p, s->first_reject.len));
    if (msg->error)
        printf("  error:       %s\n", tf_msg_safe(&safe, msg->error, strlen(msg->error)));
    if (s->first.len)
        printf("  first span:  %s\n", tf_msg_safe(&safe, s->first.p, s->first.len));
    tf_buf_free(&safe);
}

int tf_cmd_inspect(const tf_opts *o_)
{
    /* Spans are shown as OTLP/JSON whatever the sink would take; the checks
     * that depend on the sink (the oversize-span reject) use its plan. */
    tf_opts o = *o_;
    tf_feed_opts fo = { .begin = read_all, .on_input_error = on_input_error };
    tf_run_plan_make(&o, true, &fo.plan);
    fo.plan.enc = TF_ENC_JSON;
    tf_err err;
    tf_feed *feed = tf_feed_new(&o, &fo, &err);
    if (!feed) {
        tf_errorf("%s", err.msg);
        return TF_EXIT_USAGE;
    }
    if (tf_feed_start(feed, &err) != 0) {
        tf_errorf("%s", err.msg);
        tf_feed_free(feed);
        return TF_EXIT_USAGE;
    }
    inspect_state s = { 0 };
    int status = TF_EXIT_OK;
    uint64_t total_records = 0;
    for (const tf_result *res; (res = tf_feed_next(feed))->msg->kind != TF_RD_DONE; tf_feed_release(feed, res)) {
        const tf_rd_msg *msg = res->msg;
        if (msg->kind == TF_RD_BEGIN) {
            s.first.len = s.first_reject.len = 0;
            s.spans = s.rejected = s.filtered = s.records = 0;
            s.profile = res->profile;
            s.profile_why = res->profile_why;
            tf_buf safe = { 0 };
            printf("%s\n", tf_msg_safe(&safe, msg->name, strlen(msg->name)));
            tf_buf_free(&safe);
            printf("  container:   %s%s%s\n", msg->container,
                   msg->outer && strcmp(msg->outer, "none") ? ", compressed with " : "",
                   msg->outer && strcmp(msg->outer, "none") ? msg->outer : "");
            printf("  compression: %s\n", msg->compression);
        } else if (msg->kind == TF_RD_FRAMES) {
            on_frames(&s, res);
            s.profile = res->profile;
            s.profile_why = res->profile_why;
        } else if (msg->kind == TF_RD_END) {
            total_records += s.records;
            print_end(&s, msg);
            if (msg->error)
                status = TF_EXIT_INPUT_ERRORS;
        }
    }
    const tf_source_stats *ss = tf_feed_source_stats(feed);
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
    tf_feed_free(feed);
    return status;
}
