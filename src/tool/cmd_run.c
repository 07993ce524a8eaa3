/* cmd_run.c: `tracefill run`: the pipeline (run/pipeline.h) with signals
 * that stop it resumably, a progress line on a terminal, and the summary. */
#include "config.h"
#include "tool/cmds.h"
#include "run/pipeline.h"
#include "tool/exit.h"
#include "tool/msg.h"

#include <signal.h>
#include <stdio.h>
#include <unistd.h>

static volatile sig_atomic_t stop_signal;

static bool have_checkpoint;

static void on_signal(int sig)
{
    /* second signal: now; the checkpoint file is always whole */
    if (stop_signal)
        _exit(have_checkpoint ? TF_EXIT_INTERRUPTED : TF_EXIT_SIGNAL_BASE + sig);
    stop_signal = sig;
}

static void on_error(void *ctx, const tf_err *err)
{
    tf_errorf("%s", err->msg);
}

static void on_progress(void *ctx, const tf_run_progress *p, bool final)
{
    char line[160];
    snprintf(line, sizeof line, "%llu records, %llu spans, %llu rejected, %llu requests",
             (unsigned long long)p->records, (unsigned long long)p->spans, (unsigned long long)p->rejected,
             (unsigned long long)p->requests);
    tf_msg_progress(line, final);
}

static const char *plural(uint64_t n)
{
    return n == 1 ? "" : "s";
}

/* A run that finished without reading a single record, and not because a
 * checkpoint said everything was done already: wrong inputs, most likely. */
static bool empty_run(const tf_opts *o, const tf_run_result *r)
{
    return r->outcome == TF_RUN_FINISHED && !o->allow_empty && r->records == 0 && r->skipped_done == 0;
}

static void summary(const tf_opts *o, const tf_run_result *r)
{
    tf_notef("%llu record%s from %llu stream%s: %llu span%s in %llu request%s to %s; %llu filtered out, %llu rejected",
             (unsigned long long)r->records, plural(r->records), (unsigned long long)r->streams, plural(r->streams),
             (unsigned long long)r->spans, plural(r->spans), (unsigned long long)r->requests, plural(r->requests),
             r->destination, (unsigned long long)r->filtered, (unsigned long long)r->rejected);
    if (r->retries || r->backend_rejected_spans)
        tf_notef("%llu requests retried; the backend reported %llu spans rejected (partial success)",
                 (unsigned long long)r->retries, (unsigned long long)r->backend_rejected_spans);
    if (r->throttles)
        tf_notef("the backend throttled %llu requests; tracefill slowed down and settled at about %.0f spans/s", (unsigned long long)r->throttles, r->settled_spans_per_s);
    if (r->skipped_done)
        tf_notef("%llu streams were already done according to the checkpoint", (unsigned long long)r->skipped_done);
    if (r->rejects_path)
        tf_notef("rejected records and stream errors are in %s", r->rejects_path);
    if (r->outcome == TF_RUN_INTERRUPTED && o->checkpoint)
        tf_notef("run the same command again to continue from %s", o->checkpoint);
    else if (r->outcome == TF_RUN_INTERRUPTED)
        tf_notef("interrupted: without --checkpoint a new run starts from the beginning");
    if (empty_run(o, r)) {
        tf_errorf("no record was read from %llu stream%s (%llu file%s and %llu archive member%s skipped as no "
                  "log, named above); give --allow-empty when that is expected",
                  (unsigned long long)r->streams, plural(r->streams), (unsigned long long)r->skipped_files,
                  plural(r->skipped_files), (unsigned long long)r->skipped_members, plural(r->skipped_members));
    }
}

static int exit_status(const tf_opts *o, const tf_run_result *r)
{
    switch (r->outcome) {
    case TF_RUN_BAD_CONFIG: return TF_EXIT_USAGE;
    case TF_RUN_FAILED: return TF_EXIT_FAILURE;
    case TF_RUN_INTERRUPTED:
        return o->checkpoint ? TF_EXIT_INTERRUPTED : TF_EXIT_SIGNAL_BASE + r->stop_signal;
    case TF_RUN_FINISHED: break;
    }
    if (r->input_errors || r->changed || empty_run(o, r))
        return TF_EXIT_INPUT_ERRORS;
    if (r->rejected || r->backend_rejected_spans)
        return TF_EXIT_REJECTS;
    return TF_EXIT_OK;
}

int tf_cmd_run(const tf_opts *o)
{
    bool progress = o->progress && isatty(STDERR_FILENO) && o->msg_level >= TF_MSG_NORMAL;
    tf_run_hooks hooks = { .on_error = on_error, .on_progress = progress ? on_progress : NULL,
                           .stop = &stop_signal };
    stop_signal = 0;
    have_checkpoint = o->checkpoint != NULL;
    struct sigaction sa = { .sa_handler = on_signal }, old_int, old_term;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    tf_run_result res;
    tf_pipeline_run(o, &hooks, &res);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    int status = exit_status(o, &res);
    if (res.outcome != TF_RUN_BAD_CONFIG && res.destination)
        summary(o, &res);
    tf_run_result_free(&res);
    return status;
}
