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
#include "usage/facts.h"

#include <stdatomic.h>

/* The default file sink when neither --endpoint nor -o is given. */
#define TF_DEFAULT_OUTPUT "tracefill.otlp.jsonl"

typedef enum {
    TF_RUN_FINISHED,    /* every input read to its end (some may have failed part-way) */
    TF_RUN_BAD_CONFIG,  /* nothing was done: a bad profile or endpoint configuration */
    TF_RUN_FAILED,      /* a fatal error (output or backend refused, I/O error) */
    TF_RUN_INTERRUPTED, /* stopped on request; the checkpoint (if any) resumes it */
    TF_RUN_CLOSED,      /* the output was a pipe whose reader went away (`| head`): stopped quietly */
} tf_run_outcome;

/* What a run has done so far (the progress line, the metrics file) or in all
 * (the summary). Records count JSON values (or text lines) read. */
typedef struct {
    uint64_t records, filtered, rejected; /* read; dropped by the filters; rejected (records, not streams) */
    uint64_t spans;                       /* built from the records that were kept */
    uint64_t spans_sent, spans_acked;     /* handed to the destination; accepted by it */
    uint64_t backend_rejected;            /* spans a partial success said were rejected */
    uint64_t requests, retries, throttles;
    uint64_t bytes_read;                  /* raw input bytes gone through (compressed, as stored) */
    uint64_t bytes_total;                 /* all of them; 0 when unknown (stdin) */
    uint64_t bytes_sent;                  /* request bytes sent (or written), after compression */
    uint64_t streams, input_errors, changed, skipped_done;
    uint64_t skipped_files, skipped_members; /* found in directories and archives, not logs */
    uint64_t other_shards;                   /* streams left to the other shards */
} tf_run_counts;

typedef struct {
    tf_run_counts c;
    uint64_t elapsed_ns;
    double send_rate;  /* spans/s the sender allows now (it lowers it when throttled); 0: no limit */
    char current[256]; /* the input being read, "" between inputs */
} tf_run_progress;

typedef struct {
    void (*on_error)(void *ctx, const tf_err *err);
    /* Called about 6 times a second while running, and once with final set. */
    void (*on_progress)(void *ctx, const tf_run_progress *p, bool final);
    void *ctx;
    /* Non-zero asks the run to stop (a signal handler sets it); its value is
     * the signal number, for the message. */
    const atomic_int *stop; /* lock-free, so a signal handler may store to it */
    /* When set, each request's usage facts (usage/facts.h) in reader order,
     * on the calling thread (tracefill report); the fact is valid during the
     * call only. */
    void (*on_usage)(void *ctx, const tf_usage_fact *f);
} tf_run_hooks;

/* Why records were rejected: each distinct reason and how often (the most
 * frequent first; reasons past a cap are counted under "other reasons"). */
typedef struct {
    char *reason;
    uint64_t n;
} tf_run_reason;

/* One input stream (a file or an archive member). */
typedef struct {
    char *name;
    uint64_t records, filtered, rejected, spans, spans_sent, spans_acked;
    uint64_t bytes;     /* decoded bytes read */
    bool skipped_done;  /* done according to the checkpoint: not read */
    bool changed;       /* changed since the checkpoint and skipped */
    char *error;        /* it failed part-way, or NULL */
    tf_run_reason *reasons;
    size_t n_reasons;
} tf_run_stream;

typedef struct {
    tf_run_outcome outcome;
    tf_run_counts c;
    int stop_signal;      /* TF_RUN_INTERRUPTED: what stopped it */
    uint64_t where_seen;  /* bit i: some record had --where key i (the first 64) */
    char *destination;    /* "file out.jsonl", "https://host/v1/traces" (no secrets) */
    char *rejects_path;   /* set when something was written to the rejects file */
    uint64_t start_wall_ns, end_wall_ns;
    uint64_t span_start_ns, span_end_ns; /* earliest start, latest end of the spans built (0: none) */
    bool has_trace;
    uint8_t trace_id[16]; /* one trace sent (the first acknowledged), to open in the backend */
    double send_rate;     /* what the sender allowed at the end (0: no limit) */
    double settled_spans_per_s; /* what the backend took from the first throttle on (0: never throttled) */
    tf_run_stream *streams;
    size_t n_streams;
    tf_run_reason *reasons;
    size_t n_reasons;
} tf_run_result;

void tf_pipeline_run(const tf_opts *o, const tf_run_hooks *hooks, tf_run_result *res);
void tf_run_result_free(tf_run_result *res);

#endif
