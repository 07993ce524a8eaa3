/* cmd_status.c: `tracefill status --checkpoint FILE [INPUT...]`: what a
 * checkpoint says is done, per stream and in total, in records and as a
 * percent of the raw (compressed, as stored) input, and which of the given
 * inputs are new, changed or gone (read with the same --include/--exclude as
 * `run`). Exit 0: everything is done; 1: work remains; 4: an input changed or
 * vanished since the checkpoint. */
#include "config.h"
#include "tool/cmds.h"
#include "run/checkpoint.h"
#include "common/timefmt.h"
#include "tool/exit.h"
#include "tool/msg.h"
#include "tool/progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void on_input_error(void *ctx, const tf_err *err)
{
    tf_errorf("%s", err->msg);
}

typedef struct {
    uint64_t unseen, changed;
} input_check;

/* Lists the inputs the checkpoint has not seen or that changed. */
static input_check check_inputs(tf_ckpt *c, const tf_opts *o)
{
    tf_source_opts so = { .include = o->include, .n_include = o->n_include, .exclude = o->exclude,
                          .n_exclude = o->n_exclude, .shard_k = o->shard_k, .shard_n = o->shard_n,
                          .on_error = on_input_error,
                          .s3_endpoint = o->s3_endpoint, .s3_path_style = o->s3_path_style };
    tf_source *src = tf_source_new(o->inputs, o->n_inputs, &so);
    tf_stream *st;
    input_check ic = { 0, 0 };
    uint32_t slot = 0;
    while (tf_source_next(src, &st) == 1) {
        uint64_t off;
        tf_err why;
        const tf_stream_info *info = tf_stream_get_info(st);
        tf_ckpt_verdict v = tf_ckpt_stream_begin(c, slot, info, &off, &why);
        tf_buf safe = { 0 };
        if (v == TF_CKPT_CHANGED) {
            printf("changed  %s\n", tf_msg_safe(&safe, why.msg, strlen(why.msg)));
            ic.changed++;
        } else if (v == TF_CKPT_START && off == 0 && !tf_ckpt_slot_started(c, slot)) {
            printf("new      %s\n", tf_msg_safe(&safe, info->name, strlen(info->name)));
            ic.unseen++;
        }
        slot++;
        tf_stream_close(st);
    }
    tf_source_free(src);
    return ic;
}

/* A local file the checkpoint read that is no longer there. */
static bool vanished(const tf_ckpt_entry *s)
{
    if (!s->path || !strcmp(s->path, "-") || strstr(s->path, "://"))
        return false;
    struct stat st;
    return stat(s->path, &st) != 0;
}

/* Whole percents, rounded down: 100% only when done. */
static void percent(char *out, size_t n, bool done, uint64_t part, int64_t whole)
{
    if (done)
        snprintf(out, n, "100%%");
    else if (whole > 0)
        snprintf(out, n, "%u%%", (unsigned)TF_MIN(99.0, 100.0 * (double)TF_MIN(part, (uint64_t)whole) / (double)whole));
    else
        snprintf(out, n, "-");
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
    uint64_t done = 0, partial = 0, errors = 0, records = 0, gone = 0, last = 0;
    uint64_t raw_done = 0, raw_total = 0;
    size_t n = tf_ckpt_count(c);
    printf("%-8s %10s %5s %10s  %-19s  %s\n", "STATE", "RECORDS", "DONE", "SIZE", "LAST ADVANCED", "STREAM");
    for (size_t i = 0; i < n; i++) {
        tf_ckpt_entry s;
        tf_ckpt_entry_get(c, i, &s);
        char when[31] = "-";
        if (s.updated_ns) {
            tf_time_format(s.updated_ns, when);
            when[19] = '\0'; /* to the second */
        }
        bool gone_now = vanished(&s);
        const char *state = gone_now ? "vanished" : s.done ? (s.error ? "error" : "done") : s.offset ? "partial" : "pending";
        char pct[16];
        percent(pct, sizeof pct, s.done, s.raw, s.size);
        tf_buf size = { 0 };
        if (s.size >= 0)
            tf_fmt_bytes(&size, (uint64_t)s.size);
        else
            tf_buf_puts(&size, "-");
        tf_buf safe = { 0 };
        printf("%-8s %10llu %5s %10s  %-19s  %s\n", state, (unsigned long long)s.records, pct, tf_buf_cstr(&size),
               when, tf_msg_safe(&safe, s.name, strlen(s.name)));
        tf_buf_free(&size);
        if (s.error)
            printf("         error: %s\n", tf_msg_safe(&safe, s.error, strlen(s.error)));
        tf_buf_free(&safe);
        done += s.done;
        errors += s.done && s.error;
        partial += !s.done;
        gone += gone_now;
        records += s.records;
        if (s.size > 0) {
            raw_total += (uint64_t)s.size;
            raw_done += s.done ? (uint64_t)s.size : TF_MIN(s.raw, (uint64_t)s.size);
        }
        if (s.updated_ns > last)
            last = s.updated_ns;
    }
    char when[31] = "never";
    if (last)
        tf_time_format(last, when);
    tf_buf bytes = { 0 };
    tf_fmt_bytes(&bytes, raw_done);
    tf_buf_puts(&bytes, " of ");
    tf_fmt_bytes(&bytes, raw_total);
    char pct[16];
    percent(pct, sizeof pct, raw_total && raw_done == raw_total, raw_done, (int64_t)raw_total);
    printf("%zu streams: %llu done (%llu with errors), %llu not finished; %llu records acknowledged; %s done (%s); "
           "last advanced %s\n",
           n, (unsigned long long)done, (unsigned long long)errors, (unsigned long long)partial,
           (unsigned long long)records, tf_buf_cstr(&bytes), pct, when);
    tf_buf_free(&bytes);
    int rc = partial ? TF_EXIT_FAILURE : TF_EXIT_OK;
    if (o->n_inputs) {
        input_check ic = check_inputs(c, o);
        printf("%llu input streams not started yet\n", (unsigned long long)ic.unseen);
        if (ic.unseen)
            rc = TF_EXIT_FAILURE;
        if (ic.changed)
            rc = TF_EXIT_INPUT_ERRORS;
    }
    if (gone)
        rc = TF_EXIT_INPUT_ERRORS;
    tf_ckpt_free(c);
    return rc;
}
