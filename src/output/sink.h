/* sink.h: where finished batches go: a local OTLP/JSON file (sink_file.c) or
 * an OTLP/HTTP backend (upload.c). A sink takes ownership of each batch it is
 * given and hands it back through `done` once the destination has accepted
 * it (acked) or it was given up (not acked); `done` runs in the thread that
 * calls submit/poll/finish, never concurrently. */
#ifndef TF_SINK_H
#define TF_SINK_H

#include "otlp/batch.h"

#include <stdbool.h>

typedef struct tf_sink tf_sink;
typedef void (*tf_sink_done_fn)(void *ctx, tf_batch *b, bool acked);

typedef struct {
    uint64_t requests;   /* requests accepted by the destination */
    uint64_t spans;      /* spans accepted */
    uint64_t bytes;      /* request bytes written/sent (after compression) */
    uint64_t retries;    /* requests sent again */
    uint64_t rejected_spans; /* partial_success rejected_spans reported by the backend */
} tf_sink_stats;

struct tf_sink {
    const char *describe;        /* "file out.jsonl", "https://host/v1/traces" (no secrets) */
    tf_encoding encoding;        /* what batches for this sink must be encoded in */
    int (*submit)(tf_sink *s, tf_batch *b); /* may block for back-pressure; -1: fatal */
    int (*poll)(tf_sink *s);     /* delivers finished batches; -1: fatal */
    /* Waits for everything in flight; with deadline (monotonic ns, 0 = none)
     * it abandons what is not done by then (handed back unacked). -1: fatal. */
    int (*finish)(tf_sink *s, uint64_t deadline_ns);
    int (*sync)(tf_sink *s);     /* makes acknowledged output durable (fsync) */
    void (*destroy)(tf_sink *s);
    tf_sink_done_fn done;
    void *done_ctx;
    tf_sink_stats stats;
};

/* The file sink: path "-" is stdout. truncate_to >= 0 reopens an existing file
 * for a resumed run, cutting it to that size first; -1 starts a new file. */
tf_sink *tf_sink_file_new(const char *path, int64_t truncate_to, char **err);
/* Bytes of complete requests written so far (the resume point of the file). */
uint64_t tf_sink_file_size(const tf_sink *s);

#endif
