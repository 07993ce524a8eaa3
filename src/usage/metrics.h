/* metrics.h: `run --usage-metrics FILE`: usage facts (usage/facts.h) →
 * an OpenMetrics text file with the records' own timestamps, for
 * `promtool tsdb create-blocks-from openmetrics FILE DIR` (Prometheus) and
 * Mimir's block upload (doc/usage-metrics.md).
 *
 * Series, per family prefix ("openrouter_" or "tracefill_"):
 *   PREFIX requests_total, tokens_total{type=input|output|cached|reasoning},
 *   cost_usd_total, errors_total (counters) and duration_seconds (a
 *   histogram with the buckets TF_USAGE_BUCKETS, in seconds)
 * with the labels model, provider, operation (openrouter_) or service,
 * span, model (tracefill_), then user and session when asked for, then
 * shard under --shard; an empty value leaves its label out. A token type
 * appears once a record of the series carried it, cost_usd_total once one
 * carried a cost.
 *
 * Time: records are counted in steps of `step` by their start time; at the
 * end of a step every series that changed in it gets a sample (timestamp:
 * the step's end) with its cumulative value, preceded by its previous value
 * at the step's start when it had no sample there (so every increase is
 * visible to rate() and increase(), and a new series starts from 0), and
 * at the very end every series gets its final value at the last step's end.
 * Exemplars carry the trace id: on a series' samples of a step, the
 * slowest record of the step (the first error for errors_total), with its
 * value (1, its tokens, its cost, its duration) and start time.
 *
 * Memory: a step is aggregated until no record can reach it any more, i.e.
 * records may come out of time order by at most `window` (records are
 * rarely sorted within a file); one older than that behind the latest stops
 * the run with an error naming --usage-window. At most max_series series
 * (label sets) are kept; one more is an error naming --usage-max-series.
 *
 * Output (OpenMetrics 1.0): families in the order above, "# TYPE", "# UNIT"
 * (cost_usd, duration_seconds), "# HELP", then Metric by Metric (series in
 * label order, token types in the order above; Metrics are not interleaved,
 * as the spec requires), each Metric's samples in time order; integers for
 * counts, floats with a point or an exponent, timestamps in seconds, "le"
 * in its canonical form ("1.0", "+Inf"), exemplars only on _total and
 * _bucket samples, "# EOF" last. While running, sample text is buffered
 * (buffer_bytes) and spilled as sorted runs to one unlinked temporary file
 * ($TMPDIR or /tmp); finish joins them into FILE. Memory: the series, the
 * open steps, the buffer and 16 bytes per (run, Metric) written.
 * Deterministic: the same facts in the same order give the same bytes,
 * whatever the buffer size.
 *
 * Ownership: the writer copies what it keeps of the facts. One thread (the
 * pipeline's). Errors (common/err.h), e.g.
 *   "usage metrics: a record starting at 2025-06-01T08:00:00Z is 1h30m0s
 *    older than the latest one so far (2025-06-01T09:30:00Z), more than
 *    --usage-window (1h0m0s) allows: sort the input by time or raise
 *    --usage-window"
 *   "usage metrics: more than 10000 series (--usage-max-series); the next
 *    would be openrouter_requests_total{model=\"a\",user=\"u-1\"}: raise
 *    --usage-max-series or leave user or session out of --usage-by" */
#ifndef TF_USAGE_METRICS_H
#define TF_USAGE_METRICS_H

#include "common/err.h"
#include "usage/facts.h"

/* The duration buckets (upper bounds, seconds), +Inf implied. */
#define TF_USAGE_BUCKETS { 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300 }
#define TF_USAGE_N_BUCKETS 12

typedef struct {
    const char *path;
    uint64_t step_ns;   /* > 0, whole milliseconds */
    uint64_t window_ns;
    size_t max_series;
    bool by_user, by_session;
    const char *shard;  /* the shard label's value, or NULL */
    size_t buffer_bytes; /* sample text kept in memory before a spill; 0: 8 MiB */
} tf_usage_metrics_opts;

typedef struct {
    size_t series;
    uint64_t samples;           /* sample lines written */
    uint64_t first_ns, last_ns; /* the first and last sample timestamps */
} tf_usage_metrics_stats;

typedef struct tf_usage_metrics tf_usage_metrics;

/* Creates the output (FILE.tmp beside a regular FILE, renamed into place
 * by finish; FILE itself when it exists and is no regular file, such as
 * /dev/null or a pipe). NULL with err ("cannot write usage.om: ..."). */
tf_usage_metrics *tf_usage_metrics_new(const tf_usage_metrics_opts *o, tf_err *err);
/* Counts one fact; -1 with err when it is beyond the window or a series
 * too many (the writer is then failed: later calls return -1 too). */
int tf_usage_metrics_add(tf_usage_metrics *m, const tf_usage_fact *f, tf_err *err);
/* Closes every step and writes FILE; -1 with err. */
int tf_usage_metrics_finish(tf_usage_metrics *m, tf_usage_metrics_stats *st, tf_err *err);
/* Frees it; without a successful finish FILE is left as it was (the
 * temporary file is removed). */
void tf_usage_metrics_free(tf_usage_metrics *m);

#endif
