/* feed.h: the reading and mapping stages exactly as `run` drives them, shared
 * with `inspect` so that it shows what `run` would do: the reader (source →
 * decode → frame, on a thread of its own when mapping is threaded), the
 * mapping workers (parse, map, filter, encode, with the oversize-span
 * reject), and the results handed back strictly in reader order. For a
 * mapping with a text "format" it also sets the reader up for text: lines
 * framed as written, files in directories judged as text, and a frame hook
 * (map/text/text.h, tf_text_lines) that reads header rows and "#Fields:" in
 * order and stops a stream of another format early ("0 of the first 1000
 * lines match nginx-combined: is this the right format?").
 * Ownership: the feed owns the interner (the resources and scopes of every
 * span it produced live until tf_feed_free), the reader and the workers; a
 * result lives until tf_feed_release. One consumer thread calls next/release.
 * Example error: "mapping.json: key \"span.name\": expected a string". */
#ifndef TF_FEED_H
#define TF_FEED_H

#include "run/workers.h"

/* How the stages are set up for a run: derived from the options once, so
 * `run` and `inspect` agree. */
typedef struct {
    tf_encoding enc;    /* the sink's encoding: JSON for a file, --protocol for HTTP */
    size_t batch_spans; /* the batch limits after --rate-limit capped them */
    size_t batch_bytes; /* a span costing more is rejected with its record */
    int threads;        /* mapping threads; 0: all inline, reader included */
    bool usage;         /* extract usage facts (--usage-metrics, report) */
} tf_run_plan;

/* inline_only: no threads whatever the options say (inspect). */
void tf_run_plan_make(const tf_opts *o, bool inline_only, tf_run_plan *plan);

typedef struct {
    tf_run_plan plan;
    tf_reader_begin_fn begin; /* where each stream starts; runs on the reader's thread */
    void *begin_ctx;
    /* An input that cannot be opened or listed; reader's thread. */
    void (*on_input_error)(void *ctx, const tf_err *err);
    void *input_error_ctx;
    const atomic_int *stop_request; /* set by a signal handler; may be NULL */
} tf_feed_opts;

typedef struct tf_feed tf_feed;

/* Opens the profile; NULL with err when it cannot be created (a bad mapping
 * file). Nothing is read and no thread runs until tf_feed_start. */
tf_feed *tf_feed_new(const tf_opts *o, const tf_feed_opts *fo, tf_err *err);
/* Starts reading (the callbacks may run from now on); -1 with err. */
int tf_feed_start(tf_feed *f, tf_err *err);
const tf_result *tf_feed_next(tf_feed *f);
void tf_feed_release(tf_feed *f, const tf_result *r);
/* Asks the stages to stop soon; tf_feed_next then reaches DONE. */
void tf_feed_stop(tf_feed *f);
/* Joins the threads; then the totals of the mapping and the source. */
tf_mapper_stats tf_feed_mapper_stats(tf_feed *f);
const tf_source_stats *tf_feed_source_stats(tf_feed *f);
/* For the progress line, from the consumer's thread: raw input bytes gone
 * through, and the input being read. */
uint64_t tf_feed_raw_read(tf_feed *f);
void tf_feed_current(tf_feed *f, char *buf, size_t n);
void tf_feed_free(tf_feed *f);

/* Reads the inputs once, as run would (profile, filters), and gives the
 * latest end of all the spans it would send (0: none), for --time-shift-to.
 * -1 with err when the profile is bad. Inputs that cannot be read are
 * reported through on_input_error and skipped. */
int tf_feed_latest_end(const tf_opts *o, void (*on_input_error)(void *, const tf_err *), void *ctx,
                       uint64_t *end_ns, tf_err *err);

#endif
