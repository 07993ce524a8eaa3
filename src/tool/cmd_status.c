/* cmd_status.c: `tracefill status --checkpoint FILE [INPUT...]`: what a
 * checkpoint says is done, and which of the given inputs are new or changed
 * (read with the same --include/--exclude as `run`). */
#include "config.h"
#include "tool/cmds.h"
#include "run/checkpoint.h"
#include "common/timefmt.h"
#include "tool/exit.h"
#include "tool/msg.h"

#include <stdio.h>
#include <stdlib.h>

static void on_input_error(void *ctx, const tf_err *err)
{
    tf_errorf("%s", err->msg);
}

/* Lists the inputs the checkpoint has not seen or that changed; returns how
 * many were not started yet. */
static uint64_t check_inputs(tf_ckpt *c, const tf_opts *o)
{
    tf_source_opts so = { .include = o->include, .n_include = o->n_include, .exclude = o->exclude,
                          .n_exclude = o->n_exclude, .on_error = on_input_error,
                          .s3_endpoint = o->s3_endpoint, .s3_path_style = o->s3_path_style };
    tf_source *src = tf_source_new(o->inputs, o->n_inputs, &so);
    tf_stream *st;
    uint64_t unseen = 0;
    uint32_t slot = 0;
    while (tf_source_next(src, &st) == 1) {
        uint64_t off;
        tf_err why;
        const tf_stream_info *info = tf_stream_get_info(st);
        tf_ckpt_verdict v = tf_ckpt_stream_begin(c, slot, info, &off, &why);
        if (v == TF_CKPT_CHANGED) {
            printf("changed  %s\n", why.msg);
        } else if (v == TF_CKPT_START && off == 0 && !tf_ckpt_slot_started(c, slot)) {
            printf("new      %s\n", info->name);
            unseen++;
        }
        slot++;
        tf_stream_close(st);
    }
    tf_source_free(src);
    return unseen;
}

int tf_cmd_status(const tf_opts *o)
{
    if (!o->checkpoint) {
        tf_errorf("status needs --checkpoint FILE");
        return TF_EXIT_USAGE;
    }
    tf_err err;
    tf_ckpt *c = tf_ckpt_load(o->checkpoint, &err);
    if (!c) {
        tf_errorf("%s", err.msg);
        return TF_EXIT_FAILURE;
    }
    uint64_t done = 0, partial = 0, errors = 0, acked = 0, last = 0;
    size_t n = tf_ckpt_count(c);
    printf("%-8s %14s %14s  %-20s %s\n", "STATE", "ACKED BYTES", "SIZE", "LAST ADVANCED", "STREAM");
    for (size_t i = 0; i < n; i++) {
        tf_ckpt_entry s;
        tf_ckpt_entry_get(c, i, &s);
        char when[31] = "-";
        if (s.updated_ns) {
            tf_time_format(s.updated_ns, when);
            when[19] = '\0'; /* to the second */
        }
        const char *state = s.done ? (s.error ? "error" : "done") : s.offset ? "partial" : "pending";
        printf("%-8s %14llu %14lld  %-20s %s\n", state, (unsigned long long)s.offset, (long long)s.size, when,
               s.name);
        if (s.error)
            printf("         error: %s\n", s.error);
        done += s.done;
        errors += s.done && s.error;
        partial += !s.done;
        acked += s.offset;
        if (s.updated_ns > last)
            last = s.updated_ns;
    }
    char when[31] = "never";
    if (last)
        tf_time_format(last, when);
    printf("%zu streams: %llu done (%llu with errors), %llu not finished; %llu decoded bytes acknowledged; "
           "last advanced %s\n",
           n, (unsigned long long)done, (unsigned long long)errors, (unsigned long long)partial,
           (unsigned long long)acked, when);
    int rc = partial ? TF_EXIT_REJECTS : TF_EXIT_OK;
    if (o->n_inputs) {
        uint64_t unseen = check_inputs(c, o);
        printf("%llu input streams not started yet\n", (unsigned long long)unseen);
        if (unseen)
            rc = TF_EXIT_REJECTS;
    }
    tf_ckpt_free(c);
    return rc;
}
