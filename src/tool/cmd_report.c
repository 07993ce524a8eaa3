/* cmd_report.c: `tracefill report`: a usage report (usage/report.h) of the
 * inputs, as one HTML page or JSON. It runs the same pipeline as `run`
 * (run/pipeline.h) with the null sink of --usage-only, so it reads, maps,
 * filters and rejects exactly what run would, and it sends nothing and
 * writes no span. Rejected records go to --rejects FILE when one is given,
 * else nowhere (the report counts them by reason). The exit statuses are
 * run's (tool/exit.h); the report is written whenever every input was read. */
#include "config.h"
#include "tool/cmds.h"
#include "run/pipeline.h"
#include "tool/exit.h"
#include "tool/msg.h"
#include "tool/summary.h"
#include "usage/report.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static atomic_int stop_signal;

/* The first signal stops the run (no report is written); a second, at once. */
static void on_signal(int sig)
{
    if (atomic_load(&stop_signal))
        _exit(TF_EXIT_SIGNAL_BASE + sig);
    atomic_store(&stop_signal, sig);
}

static void on_error(void *ctx, const tf_err *err)
{
    (void)ctx;
    tf_errorf("%s", err->msg);
}

static void on_usage(void *ctx, const tf_usage_fact *f)
{
    tf_usage_report_add(ctx, f);
}

/* Options of run that have no meaning for a report: refused, not ignored. */
static int refuse(const tf_opts *o)
{
    const char *what = o->checkpoint     ? "--checkpoint (a report reads its inputs whole)"
                       : o->manifest     ? "--manifest (a report sends no trace)"
                       : o->has_shift_to ? "--time-shift-to"
                       : o->summary_json ? "--summary-json"
                       : o->metrics_file ? "--metrics-file"
                                         : NULL;
    if (!what)
        return 0;
    tf_errorf("report does not take %s", what);
    return TF_EXIT_USAGE;
}

static int exit_status(const tf_opts *o, const tf_run_result *r)
{
    switch (r->outcome) {
    case TF_RUN_BAD_CONFIG: return TF_EXIT_USAGE;
    case TF_RUN_FAILED: return TF_EXIT_FAILURE;
    case TF_RUN_INTERRUPTED: return TF_EXIT_SIGNAL_BASE + r->stop_signal;
    case TF_RUN_CLOSED: return TF_EXIT_SIGNAL_BASE + SIGPIPE;
    case TF_RUN_FINISHED: break;
    }
    if (r->c.input_errors || (r->c.records == 0 && !o->allow_empty))
        return TF_EXIT_INPUT_ERRORS;
    return r->c.rejected ? TF_EXIT_REJECTS : TF_EXIT_OK;
}

static void give_run(tf_usage_report *rep, const tf_opts *o, const tf_run_result *res)
{
    tf_report_reason *rs = tf_xcalloc(res->n_reasons + 1, sizeof *rs);
    for (size_t i = 0; i < res->n_reasons; i++)
        rs[i] = (tf_report_reason){ res->reasons[i].reason, res->reasons[i].n };
    const char *profile = o->profile && strcmp(o->profile, "auto") ? o->profile : NULL;
    tf_report_run run = { .records = res->c.records, .filtered = res->c.filtered, .rejected = res->c.rejected,
                          .spans = res->c.spans, .streams = res->c.streams, .input_errors = res->c.input_errors,
                          .reasons = rs, .n_reasons = res->n_reasons, .profile = profile };
    tf_usage_report_set_run(rep, &run);
    free(rs);
}

static int write_report(const tf_opts *o, const tf_usage_report *rep)
{
    const char *path = o->output ? o->output : o->format_json ? "report.json" : "report.html";
    tf_buf b = { 0 };
    if (o->format_json)
        tf_usage_report_json(rep, &b);
    else
        tf_usage_report_html(rep, &b);
    tf_err err;
    int rc = tf_summary_write_file(path, &b, &err);
    tf_buf_free(&b);
    if (rc != 0) {
        tf_errorf("%s", err.msg);
        return -1;
    }
    if (strcmp(path, "-"))
        tf_notef("usage report written to %s", path);
    return 0;
}

int tf_cmd_report(const tf_opts *o_)
{
    int rc = refuse(o_);
    if (rc)
        return rc;
    tf_opts o = *o_;
    o.usage_only = true; /* the null sink: nothing is sent or written */
    o.endpoint = NULL;
    o.rejects = o_->rejects ? o_->rejects : "/dev/null";
    o.output = NULL;
    tf_usage_report *rep = tf_usage_report_new(NULL);
    tf_run_hooks hooks = { .on_error = on_error, .ctx = rep, .stop = &stop_signal, .on_usage = on_usage };
    atomic_store(&stop_signal, 0);
    struct sigaction sa = { .sa_handler = on_signal }, old_int, old_term;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    tf_run_result res;
    tf_pipeline_run(&o, &hooks, &res);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    int status = exit_status(&o, &res);
    if (res.outcome == TF_RUN_FINISHED) {
        give_run(rep, &o, &res);
        if (res.c.rejected)
            tf_notef("%llu records were rejected%s%s", (unsigned long long)res.c.rejected,
                     o_->rejects ? "; they are in " : " (give --rejects FILE to keep them)",
                     o_->rejects ? o_->rejects : "");
        if (res.c.records == 0 && !o.allow_empty)
            tf_errorf("no record was read; give --allow-empty when that is expected");
        if (write_report(o_, rep) != 0)
            status = TF_EXIT_FAILURE;
    } else if (res.outcome != TF_RUN_BAD_CONFIG) {
        tf_errorf("the inputs were not read to their end: no report was written");
    }
    tf_run_result_free(&res);
    tf_usage_report_free(rep);
    return status;
}
