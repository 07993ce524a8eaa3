/* sink.h: where finished batches go: a local OTLP/JSON file (sink_file.c),
 * an OTLP/HTTP backend (sink_http.c), or nowhere (sink_null.c, --usage-only). The pipeline drives every sink the same
 * way and never needs to know which one it has.
 *
 * Ownership: a sink takes each batch given to submit and hands it back
 * through `done` once the destination accepted it (acked) or it was given up
 * (not acked); the callee of `done` owns it from then on. With it comes
 * output_size: the size of the output once this batch is in it, the point a
 * resumed run truncates the file to (the file sink; durable after the next
 * sync), 0 for sinks without such a position (HTTP).
 *
 * Threads: submit, poll, finish, sync and destroy are called from one thread
 * (the pipeline's); `done` runs in that thread, inside those calls, never
 * concurrently. The HTTP sink sends from a thread of its own.
 *
 * Errors (common/err.h): submit, poll, finish and sync return -1 and fill the
 * caller's tf_err with the fatal error, e.g.
 *     "https://host/v1/traces: HTTP 400: bad span (not retried); hint: ..."
 *     "cannot write out.jsonl: No space left on device"
 * A sink never prints an error. A failed sink stays failed: later submit,
 * poll and finish calls return -1 with that same first message (the caller
 * shows it once). sync fails only when acknowledged output cannot be made
 * durable, so after a failed write the lines before it can still be synced
 * and checkpointed. Notes on retries, partial-success warnings and
 * per-request detail go through common/log.h. */
#ifndef TF_SINK_H
#define TF_SINK_H

#include "common/err.h"
#include "otlp/batch.h"
#include "tool/opts.h"

#include <stdatomic.h>
#include <stdbool.h>

typedef struct tf_sink tf_sink;
typedef void (*tf_sink_done_fn)(void *ctx, tf_batch *b, bool acked, uint64_t output_size);

typedef struct {
    uint64_t requests;   /* requests accepted by the destination */
    uint64_t spans;      /* spans accepted */
    uint64_t bytes;      /* request bytes written/sent (after compression) */
    uint64_t retries;    /* requests sent again */
    uint64_t rejected_spans; /* partial_success rejected_spans reported by the backend */
    uint64_t throttles;  /* answers that said "slow down" (429, 503, a limit named) */
    double send_rate;    /* spans/s the sender allows now; 0: no limit */
    double settled_spans_per_s; /* spans/s accepted from the first throttle on (0: never throttled) */
} tf_sink_stats;

/* How long requests in flight may finish after a stop request. */
#define TF_SINK_STOP_GRACE_NS (10ull * 1000000000u)

struct tf_sink {
    const char *describe;        /* "file out.jsonl", "https://host/v1/traces" (no secrets) */
    tf_encoding encoding;        /* what batches for this sink must be encoded in */
    /* May block for back-pressure; the batch is the sink's even on -1 (it
     * comes back through `done`, unacked). */
    int (*submit)(tf_sink *s, tf_batch *b, tf_err *err);
    int (*poll)(tf_sink *s, tf_err *err); /* delivers finished batches */
    /* Waits for everything in flight; with deadline (monotonic ns, 0 = none)
     * it abandons what is not done by then (handed back unacked). */
    int (*finish)(tf_sink *s, uint64_t deadline_ns, tf_err *err);
    int (*sync)(tf_sink *s, tf_err *err); /* makes acknowledged output durable (fsync) */
    void (*destroy)(tf_sink *s);
    tf_sink_done_fn done;        /* set by the caller before the first submit */
    void *done_ctx;
    /* Optional, set by the caller: called about every 100 ms while submit
     * waits for room (back-pressure), on the caller's thread, so it can keep
     * its progress and checkpoint going. Returning true gives up the wait:
     * the batch comes back unacknowledged through `done` and submit returns 0. */
    bool (*waiting)(void *done_ctx);
    /* May be set by the caller before the first submit (a signal handler's
     * flag). Once non-zero the sink sends and retries nothing more, gives
     * requests in flight TF_SINK_STOP_GRACE_NS, then hands everything back
     * unacked; submit then hands each batch straight back, unacked, and
     * returns 0: a requested stop is not an error. */
    const atomic_int *stop_request;
    tf_sink_stats stats;         /* up to date after each call above */
    bool closed;                 /* failed because the reader of a pipe went away: not worth a message */
};

/* The file sink: path "-" is stdout. truncate_to >= 0 reopens an existing file
 * for a resumed run, cutting it to that size first; -1 starts a new file.
 * NULL with err ("cannot open output out.jsonl: Permission denied"). */
tf_sink *tf_sink_file_new(const char *path, int64_t truncate_to, tf_err *err);

/* The sink of --usage-only: acknowledges every batch at once, sends nothing. */
tf_sink *tf_sink_null_new(void);

/* The OTLP/HTTP sink for o->endpoint (o must outlive it); NULL with err on
 * bad endpoint/auth/header options (see output/http.h). */
tf_sink *tf_sink_http_new(const tf_opts *o, tf_err *err);

#endif
