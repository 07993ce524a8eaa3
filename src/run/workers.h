/* workers.h: the mapping stage of `run`, spread over worker threads. Each
 * worker takes the reader's next message, parses, maps, filters and encodes
 * its records with a mapper of its own, and leaves an ordered list of events
 * (spans encoded, records rejected, frame ends); the caller receives the
 * results strictly in reader order, so batching, rejects and checkpoints see
 * exactly what a single thread would produce. With 0 threads the same code
 * runs inline. The profiles are the run's, opened once and shared read-only
 * by the workers' mappers; they must outlive tf_work_free.
 * Ownership: a result (and the reader message it refers to) stays valid until
 * tf_work_release. Resources/scopes come from the shared, locked interner. */
#ifndef TF_WORKERS_H
#define TF_WORKERS_H

#include "map/mapper.h"
#include "input/reader.h"
#include "usage/facts.h"

typedef enum {
    TF_EV_SPANS,     /* one record's spans: spans[first .. first+n) */
    TF_EV_REJECT,    /* a record or bad frame that did not become spans */
    TF_EV_FRAME_END, /* a frame is complete up to `end` */
} tf_ev_kind;

typedef struct {
    tf_ev_kind kind;
    size_t first, n;    /* SPANS */
    uint64_t offset;    /* REJECT, SPANS: decoded offset of the record */
    uint64_t line;      /* REJECT, SPANS */
    const char *text;   /* REJECT: the record (may be NULL) */
    size_t len;
    const char *why;    /* REJECT */
    const char *root;   /* SPANS: the name of the record's first span (NUL-terminated) */
    size_t first_fact;  /* SPANS, with usage facts on: the record's facts[first_fact .. +n_facts) */
    size_t n_facts;
    uint64_t end;       /* FRAME_END */
    uint64_t raw;       /* FRAME_END: about where in the raw bytes */
} tf_ev;

typedef struct {
    const tf_resource *resource;
    const tf_scope *scope;
    const char *p; /* encoded span */
    size_t len;
    size_t cost;   /* bytes it adds to a request, its group's overhead included */
    uint8_t trace_id[16], span_id[8]; /* as encoded (the manifest; tracefill verify looks them up) */
    uint64_t start_ns, end_ns;
} tf_ev_span;

typedef struct {
    tf_rd_msg *msg; /* BEGIN, FRAMES, END, DONE */
    const tf_ev *ev;
    size_t n_ev;
    const tf_ev_span *spans;
    const tf_usage_fact *facts; /* with usage facts on (tf_work_new's usage) */
    tf_mapper_stats counts; /* FRAMES: what the mapper did with this block */
    uint64_t bad_frames;    /* FRAMES: frames that were no record at all */
    const char *profile;    /* BEGIN, FRAMES: the profile in use for the stream (NULL: none yet) */
    const char *profile_why;
} tf_result;

typedef struct tf_work tf_work;

/* usage: also extract each record's usage facts (usage/facts.h) into the
 * result; off, nothing is spent on them. */
tf_work *tf_work_new(tf_reader *rd, const tf_map_env *env, const tf_profiles *profiles, int threads,
                     tf_encoding enc, size_t batch_bytes, bool usage);
const tf_result *tf_work_next(tf_work *w);
void tf_work_release(tf_work *w, const tf_result *r);
void tf_work_stop(tf_work *w);
/* Records, spans, rejects and filtered records counted by all workers. */
tf_mapper_stats tf_work_stats(tf_work *w);
void tf_work_free(tf_work *w);

#endif
