/* run.h: the subcommands' drivers: `run` (read → map → batch → sink) and
 * `inspect` (read → map, print what was detected). */
#ifndef TF_RUN_H
#define TF_RUN_H

#include "tool/opts.h"

/* Exit statuses, documented in doc/tracefill.1. */
enum {
    TF_EXIT_OK = 0,
    TF_EXIT_FAILURE = 1,     /* fatal: output/backend refused, I/O error */
    TF_EXIT_USAGE = 2,       /* bad command line or configuration */
    TF_EXIT_REJECTS = 3,     /* finished; some records were rejected (see the rejects file) */
    TF_EXIT_INPUT_ERRORS = 4,/* finished; some inputs were unreadable or corrupt part-way */
    TF_EXIT_INTERRUPTED = 75 /* stopped by a signal; the checkpoint allows resuming (EX_TEMPFAIL) */
};

int tf_run(const tf_opts *o);
int tf_inspect(const tf_opts *o);

/* The default file sink when neither --endpoint nor -o is given. */
#define TF_DEFAULT_OUTPUT "tracefill.otlp.jsonl"

#endif
