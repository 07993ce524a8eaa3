/* pipeline.h: `run`: read → map → batch → sink, with the checkpoint following
 * acknowledgements. The pipeline never prints: errors go to the caller's
 * error hook as they happen (the run goes on, or stops when they are fatal),
 * progress to the progress hook, notes through common/log.h, and the totals
 * come back in a tf_run_result the caller turns into a summary and an exit
 * status.
 * Ownership: the result's strings belong to it until tf_run_result_free.
 * Threads: the hooks are called on the calling thread, except on_error for
 * inputs that cannot be opened (the reader's thread when it has one).
 * Example error: "logs/a.jsonl.gz: corrupt gzip data at compressed byte 1234
 * (decoded byte 5678): invalid block type". */
#ifndef TF_PIPELINE_H
#define TF_PIPELINE_H

#include "common/err.h"
#include "tool/opts.h"

#include <signal.h>

/* The default file sink when neither --endpoint nor -o is given. */
#define TF_DEFAULT_OUTPUT "tracefill.otlp.jsonl"

typedef enum {
    TF_RUN_FINISHED,    /* every input read to its end (some may have failed part-way) */
    TF_RUN_BAD_CONFIG,  /* nothing was done: a bad profile or endpoint configuration */
    TF_RUN_FAILED,      /* a fatal error (output or backend refused, I/O error) */
    TF_RUN_INTERRUPTED, /* stopped on request; the checkpoint (if any) resumes it */
} tf_run_outcome;

/* A snapshot for the progress line. */
typedef struct {
    uint64_t records, spans, rejected; /* seen by the pipeline so far */
    uint64_t requests;                 /* accepted by the destination */
} tf_run_progress;

typedef struct {
    void (*on_error)(void *ctx, const tf_err *err);
    /* Called about 6 times a second while running, and once with final set. */
    void (*on_progress)(void *ctx, const tf_run_progress *p, bool final);
    void *ctx;
    /* Non-zero asks the run to stop (a signal handler sets it); its value is
     * the signal number, for the message. */
    const volatile sig_atomic_t *stop;
} tf_run_hooks;

typedef struct {
    tf_run_outcome outcome;
    uint64_t records, filtered, rejected; /* records mapped, dropped by filters, rejected */
    uint64_t streams, input_errors, changed, skipped_done;
    uint64_t skipped_files, skipped_members; /* found in directories and archives, not logs */
    uint64_t spans, requests, retries, backend_rejected_spans;
    uint64_t throttles;         /* answers asking to slow down */
    double settled_spans_per_s; /* what the backend took while throttling */
    int stop_signal;      /* TF_RUN_INTERRUPTED: what stopped it */
    char *destination;    /* "file out.jsonl", "https://host/v1/traces" (no secrets) */
    char *rejects_path;   /* set when something was written to the rejects file */
} tf_run_result;

void tf_pipeline_run(const tf_opts *o, const tf_run_hooks *hooks, tf_run_result *res);
void tf_run_result_free(tf_run_result *res);

#endif
