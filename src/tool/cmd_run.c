/* cmd_run.c: `tracefill run`: the pipeline (run/pipeline.h) with signals
 * that stop it resumably, the progress line, the summary on stderr, and the
 * summary and metrics files. */
#include "config.h"
#include "tool/cmds.h"
#include "run/feed.h"
#include "run/pipeline.h"
#include "tool/exit.h"
#include "tool/msg.h"
#include "tool/progress.h"
#include "tool/summary.h"
#include "common/timefmt.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* On a terminal the line is redrawn at most this often; otherwise a plain
 * line (and the metrics file) every PLAIN_EVERY_NS. */
#define TTY_EVERY_NS (200000000ull)
#define PLAIN_EVERY_NS (30000000000ull)

/* An atomic_int is lock-free here (checked at build time below), so the
 * handler may store to it while other threads load it. */
static atomic_int stop_signal;
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "the signal flag must be lock-free");
static bool have_checkpoint;

static void on_signal(int sig)
{
    /* second signal: now; the checkpoint file is always whole */
    if (atomic_load(&stop_signal))
        _exit(have_checkpoint ? TF_EXIT_INTERRUPTED : TF_EXIT_SIGNAL_BASE + sig);
    atomic_store(&stop_signal, sig);
}

typedef struct {
    const tf_opts *o;
    enum { SHOW_NONE, SHOW_TTY, SHOW_PLAIN } show;
    tf_progress st;
    uint64_t last_tty_ns, last_plain_ns, last_metrics_ns;
    uint64_t start_wall_ns;
} run_ui;

static void on_error(void *ctx, const tf_err *err)
{
    tf_errorf("%s", err->msg);
}

static int terminal_width(void)
{
    struct winsize ws;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20)
        return ws.ws_col - 11; /* "tracefill: " */
    return 69;
}

static void write_metrics(run_ui *ui, const tf_run_counts *c, const tf_run_result *r, tf_exit_info ex)
{
    tf_buf b = { 0 };
    tf_summary_metrics(&b, ui->o, c, r, ui->start_wall_ns, tf_now_wall_ns(), ex);
    tf_err err;
    if (tf_summary_write_file(ui->o->metrics_file, &b, &err) != 0)
        tf_errorf("%s", err.msg);
    tf_buf_free(&b);
}

static void on_progress(void *ctx, const tf_run_progress *p, bool final)
{
    run_ui *ui = ctx;
    uint64_t now = tf_now_mono_ns();
    tf_progress_update(&ui->st, p, now);
    if (ui->o->metrics_file && !final && now - ui->last_metrics_ns >= PLAIN_EVERY_NS) {
        ui->last_metrics_ns = now;
        write_metrics(ui, &p->c, NULL, (tf_exit_info){ 0, NULL });
    }
    tf_buf line = { 0 };
    if (ui->show == SHOW_TTY && (final || now - ui->last_tty_ns >= TTY_EVERY_NS)) {
        ui->last_tty_ns = now;
        tf_progress_line(&ui->st, p, terminal_width(), &line);
        tf_msg_progress(tf_buf_cstr(&line), final);
    } else if (ui->show == SHOW_PLAIN && !final && now - ui->last_plain_ns >= PLAIN_EVERY_NS) {
        ui->last_plain_ns = now;
        tf_progress_plain(&ui->st, p, &line);
        tf_notef("%s", tf_buf_cstr(&line));
    }
    tf_buf_free(&line);
}

static const char *plural(uint64_t n)
{
    return n == 1 ? "" : "s";
}

/* A run that finished without reading a single record, and not because a
 * checkpoint said everything was done already: wrong inputs, most likely. */
static bool empty_run(const tf_opts *o, const tf_run_result *r)
{
    /* A shard may get nothing when there are more shards than inputs. */
    bool shard_got_none = r->c.streams == 0 && r->c.other_shards > 0;
    return r->outcome == TF_RUN_FINISHED && !o->allow_empty && r->c.records == 0 && r->c.skipped_done == 0 &&
           !shard_got_none;
}

static void summary(const tf_opts *o, const tf_run_result *r)
{
    const tf_run_counts *c = &r->c;
    tf_notef("%llu record%s from %llu stream%s: %llu span%s in %llu request%s to %s; %llu filtered out, %llu rejected",
             (unsigned long long)c->records, plural(c->records), (unsigned long long)c->streams, plural(c->streams),
             (unsigned long long)c->spans_acked, plural(c->spans_acked), (unsigned long long)c->requests,
             plural(c->requests), r->destination, (unsigned long long)c->filtered, (unsigned long long)c->rejected);
    if (c->retries)
        tf_notef("%llu request%s retried", (unsigned long long)c->retries, plural(c->retries));
    if (c->backend_rejected)
        tf_notef("the backend reported %llu span%s rejected (partial success)", (unsigned long long)c->backend_rejected,
                 plural(c->backend_rejected));
    if (c->throttles)
        tf_notef("the backend throttled %llu request%s; tracefill slowed down and settled at about %.0f spans/s",
                 (unsigned long long)c->throttles, plural(c->throttles), r->settled_spans_per_s);
    if (c->skipped_done)
        tf_notef("%llu stream%s already done according to the checkpoint", (unsigned long long)c->skipped_done,
                 c->skipped_done == 1 ? " was" : "s were");
    if (r->rejects_path)
        tf_notef("rejected records and stream errors are in %s", r->rejects_path);
    if (o->endpoint && c->spans_acked) {
        char from[31], to[31], hex[33];
        tf_time_format(r->start_wall_ns, from);
        tf_time_format(r->end_wall_ns, to);
        from[19] = to[19] = '\0';
        tf_hex_encode(hex, r->trace_id, 16);
        hex[32] = '\0';
        tf_notef("sent between %sZ and %sZ (wall clock)%s%s", from, to, r->has_trace ? "; open a trace: " : "",
                 r->has_trace ? hex : "");
    }
    if (r->outcome == TF_RUN_INTERRUPTED && o->checkpoint)
        tf_notef("run the same command again to continue from %s", o->checkpoint);
    else if (r->outcome == TF_RUN_INTERRUPTED)
        tf_notef("interrupted: without --checkpoint a new run starts from the beginning");
    for (size_t i = 0; i < o->n_where && i < 64; i++)
        if (!(r->where_seen & (1ull << i)) && c->records)
            tf_warnf("--where %s=%s: no record has the attribute %s (it is matched on the root span's "
                     "attributes and resource after mapping, e.g. trace.metadata.team; see tracefill inspect)",
                     o->where[i].key, o->where[i].value, o->where[i].key);
    if (empty_run(o, r)) {
        tf_errorf("no record was read from %llu stream%s (%llu file%s and %llu archive member%s skipped as no "
                  "log, named above); give --allow-empty when that is expected",
                  (unsigned long long)c->streams, plural(c->streams), (unsigned long long)c->skipped_files,
                  plural(c->skipped_files), (unsigned long long)c->skipped_members, plural(c->skipped_members));
    }
}

static tf_exit_info exit_status(const tf_opts *o, const tf_run_result *r)
{
    switch (r->outcome) {
    case TF_RUN_BAD_CONFIG: return (tf_exit_info){ TF_EXIT_USAGE, "bad configuration" };
    case TF_RUN_FAILED: return (tf_exit_info){ TF_EXIT_FAILURE, "failed" };
    case TF_RUN_INTERRUPTED:
        return o->checkpoint ? (tf_exit_info){ TF_EXIT_INTERRUPTED, "interrupted; resumable from the checkpoint" }
                             : (tf_exit_info){ TF_EXIT_SIGNAL_BASE + r->stop_signal, "interrupted" };
    case TF_RUN_CLOSED: return (tf_exit_info){ TF_EXIT_SIGNAL_BASE + SIGPIPE, "the output pipe was closed" };
    case TF_RUN_FINISHED: break;
    }
    if (r->c.input_errors || r->c.changed)
        return (tf_exit_info){ TF_EXIT_INPUT_ERRORS, "some inputs were unreadable, corrupt part-way or changed" };
    if (empty_run(o, r))
        return (tf_exit_info){ TF_EXIT_INPUT_ERRORS, "no record was read" };
    if (r->c.rejected || r->c.backend_rejected)
        return (tf_exit_info){ TF_EXIT_REJECTS, "some records or spans were rejected" };
    return (tf_exit_info){ TF_EXIT_OK, "ok" };
}

/* --time-shift-to: a first pass finds the latest span end; the shift moves
 * it to the time asked for. 0, or an exit status. */
static int plan_shift(tf_opts *o)
{
    for (size_t i = 0; i < o->n_inputs; i++)
        if (!strcmp(o->inputs[i], "-")) {
            tf_errorf("--time-shift-to reads the inputs twice: it cannot read standard input (save it to a file)");
            return TF_EXIT_USAGE;
        }
    uint64_t end;
    tf_err err;
    if (tf_feed_latest_end(o, NULL, NULL, &end, &err) != 0) {
        tf_errorf("%s", err.msg);
        return TF_EXIT_USAGE;
    }
    if (!end) {
        tf_notef("--time-shift-to: the inputs give no span; nothing to move");
        return 0;
    }
    /* Both are below 2^63 (timefmt's limit): the difference fits. */
    o->time_shift_ns = o->shift_to_ns >= end ? (int64_t)(o->shift_to_ns - end) : -(int64_t)(end - o->shift_to_ns);
    char from[31], to[31];
    tf_time_format(end, from);
    tf_time_format(o->shift_to_ns, to);
    tf_notef("--time-shift-to: the latest span ends at %s; moving every span by %+.3f s so it ends at %s "
             "(the original start is kept in tracefill.original_start_time_unix_nano)",
             from, (double)o->time_shift_ns / 1e9, to);
    return 0;
}

int tf_cmd_run(const tf_opts *o_)
{
    tf_opts shifted = *o_;
    const tf_opts *o = &shifted;
    if (shifted.has_shift_to) {
        int rc = plan_shift(&shifted);
        if (rc)
            return rc;
    }
    run_ui ui = { .o = o, .start_wall_ns = tf_now_wall_ns() };
    if (o->progress && o->msg_level >= TF_MSG_NORMAL)
        ui.show = isatty(STDERR_FILENO) && !o->progress_plain ? SHOW_TTY : SHOW_PLAIN;
    ui.last_plain_ns = ui.last_metrics_ns = tf_now_mono_ns();
    tf_run_hooks hooks = { .on_error = on_error, .ctx = &ui, .stop = &stop_signal };
    if (ui.show != SHOW_NONE || o->metrics_file) /* else the pipeline need not even read the clock for it */
        hooks.on_progress = on_progress;
    atomic_store(&stop_signal, 0);
    have_checkpoint = o->checkpoint != NULL;
    struct sigaction sa = { .sa_handler = on_signal }, old_int, old_term;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    tf_run_result res;
    tf_pipeline_run(o, &hooks, &res);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    tf_exit_info ex = exit_status(o, &res);
    if (!res.end_wall_ns)
        res.end_wall_ns = tf_now_wall_ns();
    if (res.outcome != TF_RUN_BAD_CONFIG && res.outcome != TF_RUN_CLOSED && res.destination)
        summary(o, &res);
    tf_err err;
    if (o->summary_json) {
        tf_buf b = { 0 };
        tf_summary_json(&b, o, &res, ex);
        if (tf_summary_write_file(o->summary_json, &b, &err) != 0)
            tf_errorf("%s", err.msg);
        tf_buf_free(&b);
    }
    if (o->metrics_file)
        write_metrics(&ui, &res.c, &res, ex);
    tf_run_result_free(&res);
    return ex.status;
}
