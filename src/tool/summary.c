/* summary.c: the summary JSON and the metrics file. */
#include "config.h"
#include "tool/summary.h"
#include "common/json.h"
#include "common/timefmt.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void put_str(tf_buf *b, const char *s)
{
    if (s)
        tf_json_write_string(b, s, strlen(s));
    else
        tf_buf_puts(b, "null");
}

static void put_time(tf_buf *b, uint64_t ns)
{
    char t[31];
    tf_time_format(ns, t);
    tf_buf_printf(b, "\"%s\"", t);
}

static void put_reasons(tf_buf *b, const tf_run_reason *r, size_t n)
{
    tf_buf_putc(b, '{');
    for (size_t i = 0; i < n; i++) {
        if (i)
            tf_buf_putc(b, ',');
        put_str(b, r[i].reason);
        tf_buf_printf(b, ":%llu", (unsigned long long)r[i].n);
    }
    tf_buf_putc(b, '}');
}

static void put_records(tf_buf *b, uint64_t read, uint64_t filtered, uint64_t rejected, const tf_run_reason *r,
                        size_t n)
{
    uint64_t mapped = read >= filtered + rejected ? read - filtered - rejected : 0;
    tf_buf_printf(b, "{\"read\":%llu,\"mapped\":%llu,\"filtered\":%llu,\"rejected\":%llu,\"reasons\":",
                  (unsigned long long)read, (unsigned long long)mapped, (unsigned long long)filtered,
                  (unsigned long long)rejected);
    put_reasons(b, r, n);
    tf_buf_putc(b, '}');
}

static const char *outcome_name(tf_run_outcome o)
{
    switch (o) {
    case TF_RUN_FINISHED: return "finished";
    case TF_RUN_BAD_CONFIG: return "bad configuration";
    case TF_RUN_FAILED: return "failed";
    case TF_RUN_INTERRUPTED: return "interrupted";
    case TF_RUN_CLOSED: return "output closed";
    }
    return "unknown";
}

void tf_summary_json(tf_buf *b, const tf_opts *o, const tf_run_result *r, tf_exit_info ex)
{
    const tf_run_counts *c = &r->c;
    double secs = r->end_wall_ns > r->start_wall_ns ? (double)(r->end_wall_ns - r->start_wall_ns) / 1e9 : 0;
    tf_buf_printf(b, "{\"tool\":\"tracefill %s\",\"exit\":{\"status\":%d,\"reason\":", PACKAGE_VERSION, ex.status);
    put_str(b, ex.reason);
    tf_buf_printf(b, "},\"outcome\":\"%s\",\"destination\":", outcome_name(r->outcome));
    put_str(b, r->destination);
    tf_buf_puts(b, ",\"started\":");
    put_time(b, r->start_wall_ns);
    tf_buf_puts(b, ",\"ended\":");
    put_time(b, r->end_wall_ns);
    tf_buf_printf(b, ",\"elapsed_seconds\":%.3f,\"span_time_range\":", secs);
    if (r->span_end_ns) {
        tf_buf_puts(b, "{\"start\":");
        put_time(b, r->span_start_ns);
        tf_buf_puts(b, ",\"end\":");
        put_time(b, r->span_end_ns);
        tf_buf_putc(b, '}');
    } else {
        tf_buf_puts(b, "null");
    }
    tf_buf_puts(b, ",\"trace_id\":");
    if (r->has_trace) {
        char hex[33];
        tf_hex_encode(hex, r->trace_id, 16);
        hex[32] = '\0';
        put_str(b, hex);
    } else {
        tf_buf_puts(b, "null");
    }
    tf_buf_puts(b, ",\"totals\":{\"records\":");
    put_records(b, c->records, c->filtered, c->rejected, r->reasons, r->n_reasons);
    tf_buf_printf(b,
                  ",\"spans\":{\"built\":%llu,\"sent\":%llu,\"acknowledged\":%llu,\"rejected_by_backend\":%llu}"
                  ",\"requests\":%llu,\"retries\":%llu,\"throttles\":%llu"
                  ",\"bytes\":{\"read\":%llu,\"total\":%llu,\"sent\":%llu}"
                  ",\"streams\":{\"read\":%llu,\"skipped_done\":%llu,\"changed\":%llu,\"input_errors\":%llu"
                  ",\"skipped_files\":%llu,\"skipped_members\":%llu,\"other_shards\":%llu}"
                  ",\"throughput\":{\"records_per_second\":%.1f,\"spans_per_second\":%.1f}}",
                  (unsigned long long)c->spans, (unsigned long long)c->spans_sent,
                  (unsigned long long)c->spans_acked, (unsigned long long)c->backend_rejected,
                  (unsigned long long)c->requests, (unsigned long long)c->retries, (unsigned long long)c->throttles,
                  (unsigned long long)c->bytes_read, (unsigned long long)c->bytes_total,
                  (unsigned long long)c->bytes_sent, (unsigned long long)c->streams,
                  (unsigned long long)c->skipped_done, (unsigned long long)c->changed,
                  (unsigned long long)c->input_errors, (unsigned long long)c->skipped_files,
                  (unsigned long long)c->skipped_members, (unsigned long long)c->other_shards, secs > 0 ? (double)c->records / secs : 0.0,
                  secs > 0 ? (double)c->spans_acked / secs : 0.0);
    tf_buf_puts(b, ",\"inputs\":[");
    bool first = true;
    for (size_t i = 0; i < r->n_streams; i++) {
        const tf_run_stream *s = &r->streams[i];
        if (!s->name)
            continue;
        tf_buf_puts(b, first ? "{\"name\":" : ",{\"name\":");
        first = false;
        put_str(b, s->name);
        const char *status = s->skipped_done ? "skipped: done according to the checkpoint"
                             : s->changed    ? "skipped: changed since the checkpoint"
                             : s->error      ? "error"
                                             : "read";
        tf_buf_puts(b, ",\"status\":");
        put_str(b, status);
        tf_buf_puts(b, ",\"records\":");
        put_records(b, s->records, s->filtered, s->rejected, s->reasons, s->n_reasons);
        tf_buf_printf(b, ",\"spans\":{\"built\":%llu,\"sent\":%llu,\"acknowledged\":%llu},\"bytes_decoded\":%llu",
                      (unsigned long long)s->spans, (unsigned long long)s->spans_sent,
                      (unsigned long long)s->spans_acked, (unsigned long long)s->bytes);
        tf_buf_puts(b, ",\"error\":");
        put_str(b, s->error);
        tf_buf_putc(b, '}');
    }
    tf_buf_puts(b, "],\"rejects_file\":");
    put_str(b, r->rejects_path);
    tf_buf_puts(b, "}\n");
    (void)o;
}

/* A label value with \, " and newlines escaped (the exposition format). */
static void put_label(tf_buf *b, const char *v)
{
    for (const char *p = v; *p; p++) {
        if (*p == '\\' || *p == '"')
            tf_buf_putc(b, '\\');
        if (*p == '\n') {
            tf_buf_puts(b, "\\n");
            continue;
        }
        tf_buf_putc(b, *p);
    }
}

static void metric(tf_buf *b, const char *job, const char *name, const char *type, const char *help, double v)
{
    tf_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n%s{job=\"", name, help, name, type, name);
    put_label(b, job);
    if (v == (double)(uint64_t)v && v < 1e15)
        tf_buf_printf(b, "\"} %llu\n", (unsigned long long)v);
    else
        tf_buf_printf(b, "\"} %.3f\n", v);
}

/* The last success recorded by an earlier run in the same file, kept when
 * this run did not succeed (the textfile collector shows the last file). */
static double earlier_success(const char *path, const char *job)
{
    if (!path || !strcmp(path, "-"))
        return 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char line[512], want[300];
    snprintf(want, sizeof want, "tracefill_last_success_timestamp_seconds{job=\"%s\"} ", job);
    double v = 0;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, want, strlen(want)))
            v = strtod(line + strlen(want), NULL);
    fclose(f);
    return v;
}

void tf_summary_metrics(tf_buf *b, const tf_opts *o, const tf_run_counts *c, const tf_run_result *r,
                        uint64_t start_wall_ns, uint64_t now_wall_ns, tf_exit_info ex)
{
    const char *job = o->job_name ? o->job_name : "tracefill";
    static const struct {
        const char *name, *help;
        size_t off;
    } counters[] = {
#define C(n, h, f) { "tracefill_" n, h, offsetof(tf_run_counts, f) }
        C("records_read_total", "Records read from the inputs.", records),
        C("records_filtered_total", "Records dropped by --since, --until or --where.", filtered),
        C("records_rejected_total", "Records rejected (see the rejects file).", rejected),
        C("spans_built_total", "Spans built from the records kept.", spans),
        C("spans_sent_total", "Spans handed to the destination.", spans_sent),
        C("spans_acknowledged_total", "Spans the destination accepted.", spans_acked),
        C("spans_rejected_by_backend_total", "Spans a partial success reported as rejected.", backend_rejected),
        C("requests_total", "Requests the destination accepted.", requests),
        C("retries_total", "Requests sent again.", retries),
        C("throttles_total", "Answers that asked to slow down (429, 503, a limit named).", throttles),
        C("input_read_bytes_total", "Raw input bytes gone through.", bytes_read),
        C("sent_bytes_total", "Request bytes sent (or written), after compression.", bytes_sent),
        C("input_errors_total", "Inputs unreadable, corrupt part-way or changed.", input_errors),
#undef C
    };
    for (size_t i = 0; i < TF_ARRAY_LEN(counters); i++)
        metric(b, job, counters[i].name, "counter", counters[i].help,
               (double)*(const uint64_t *)((const char *)c + counters[i].off));
    metric(b, job, "tracefill_input_bytes", "gauge", "Raw size of all inputs (0 when unknown).",
           (double)c->bytes_total);
    metric(b, job, "tracefill_run_duration_seconds", "gauge", "How long the run has taken.",
           now_wall_ns > start_wall_ns ? (double)(now_wall_ns - start_wall_ns) / 1e9 : 0);
    metric(b, job, "tracefill_last_run_timestamp_seconds", "gauge", "When the run started.",
           (double)(start_wall_ns / 1000000000u));
    if (r) {
        metric(b, job, "tracefill_last_exit_status", "gauge", "The run's exit status.", ex.status);
        double success = ex.status == 0 ? (double)(now_wall_ns / 1000000000u)
                                        : earlier_success(o->metrics_file, job);
        metric(b, job, "tracefill_last_success_timestamp_seconds", "gauge",
               "When a run last finished successfully (0: never, as far as this file knows).", success);
    } else {
        metric(b, job, "tracefill_last_success_timestamp_seconds", "gauge",
               "When a run last finished successfully (0: never, as far as this file knows).",
               earlier_success(o->metrics_file, job));
    }
}

int tf_summary_write_file(const char *path, const tf_buf *b, tf_err *err)
{
    if (!strcmp(path, "-")) {
        if (tf_write_all(STDOUT_FILENO, b->p, b->len) != 0)
            return tf_err_set(err, "cannot write the summary to stdout: %s", strerror(errno));
        return 0;
    }
    /* Not a regular file (/dev/null, /dev/stdout, a FIFO): written in place.
     * A rename would replace the device itself with a file. */
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || tf_write_all(fd, b->p, b->len) != 0) {
            int e = errno;
            if (fd >= 0)
                close(fd);
            return tf_err_set(err, "cannot write %s: %s", path, strerror(e));
        }
        if (close(fd) != 0)
            return tf_err_set(err, "cannot write %s: %s", path, strerror(errno));
        return 0;
    }
    char *tmp = tf_xasprintf("%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int rc = 0;
    if (fd < 0 || tf_write_all(fd, b->p, b->len) != 0 || fsync(fd) != 0) {
        rc = tf_err_set(err, "cannot write %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        unlink(tmp);
    } else if (close(fd) != 0 || rename(tmp, path) != 0) {
        rc = tf_err_set(err, "cannot replace %s: %s", path, strerror(errno));
        unlink(tmp);
    }
    free(tmp);
    return rc;
}
