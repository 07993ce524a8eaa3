/* report.h: the usage report of `tracefill report`: an accumulator fed with
 * the usage facts of a run (usage/facts.h), in memory bounded whatever the
 * input size, and its writers, one self-contained HTML page (report_html.c:
 * inline CSS and SVG, no script, nothing fetched) and JSON (report_json.c,
 * the schema in doc/report.md).
 *
 * What it keeps: totals (requests, errors, tokens by type, cost, the first
 * and last start, distinct traces with usage/sketch.h's tf_distinct); per
 * model (the first TF_REPORT_MODELS models seen by name, later ones counted
 * under "other"): requests, errors, tokens, cost and a latency histogram; per
 * UTC day (TF_REPORT_DAYS days at most: requests on other days count only in
 * the totals, and the report says how many) the same per model; the top
 * users and sessions by requests (space-saving tf_topk, approximate once a
 * key was replaced: the report says so and by how much at most). The run's
 * own figures (records read, filtered, rejected by reason, spans) are given
 * once at the end with tf_usage_report_set_run.
 * When written, the models of the per-day charts and tables are the
 * `series` (default 8) with the most requests; the others are summed as
 * "other" there (the per-model table lists every model kept).
 *
 * Ownership: the report owns everything it keeps; a summary owns its copies
 * until tf_report_summary_free, but for run.reasons and run.profile, which
 * stay the report's. One thread (the pipeline's, through the
 * run's on_usage hook). Nothing here prints or fails. */
#ifndef TF_USAGE_REPORT_H
#define TF_USAGE_REPORT_H

#include "usage/facts.h"

#define TF_REPORT_MODELS 128   /* models kept by name; the rest are "other" */
#define TF_REPORT_DAYS 1100    /* UTC days kept (about 3 years) */
#define TF_REPORT_TOPK_CAP 1000 /* users and sessions tracked by the heavy-hitter sketch */

typedef struct tf_usage_report tf_usage_report;

typedef struct {
    size_t series; /* models shown per day; 0: 8 */
    size_t top;    /* users and sessions listed; 0: 20 */
} tf_usage_report_opts;

/* What the run itself counted (run/pipeline.h's totals and reasons). */
typedef struct {
    const char *reason;
    uint64_t n;
} tf_report_reason;

typedef struct {
    uint64_t records, filtered, rejected, spans, streams, input_errors;
    const tf_report_reason *reasons; /* most frequent first, as the run tally gives them */
    size_t n_reasons;
    const char *profile; /* NULL: detected per stream */
} tf_report_run;

tf_usage_report *tf_usage_report_new(const tf_usage_report_opts *opts);
void tf_usage_report_free(tf_usage_report *r);
void tf_usage_report_add(tf_usage_report *r, const tf_usage_fact *f);
/* Copies the run's figures (strings too). */
void tf_usage_report_set_run(tf_usage_report *r, const tf_report_run *run);

/* --- the summary the writers (and tests) read ---------------------------- */

typedef struct {
    uint64_t requests, errors, tokens[TF_TOK_TYPES];
    double cost;
} tf_report_cell;

typedef struct {
    char *name;          /* "" when the requests named no model */
    bool other;          /* the models past TF_REPORT_MODELS (or past `series` in days) */
    tf_report_cell c;
    uint64_t p50_us, p90_us, p99_us, max_us; /* tf_lat_hist quantiles; max exact */
    uint64_t latencies;  /* requests with a latency (a duration above 0): the quantiles' count */
} tf_report_model;

typedef struct {
    int64_t day;          /* days since 1970-01-01 (UTC) */
    char date[11];        /* "2025-06-01" */
    tf_report_cell total;
    tf_report_cell *by;   /* n_series cells, in the order of series[] */
} tf_report_day;

typedef struct {
    char *key;
    uint64_t requests, over, errors, tokens;
    double cost;
} tf_report_top;

typedef struct {
    tf_report_cell total;
    uint64_t has_cost;                 /* requests that gave a cost */
    uint64_t first_start_ns, last_start_ns; /* 0 when no request */
    uint64_t traces;                   /* distinct trace ids */
    bool traces_exact;
    uint64_t p50_us, p90_us, p99_us, max_us, latencies;
    tf_report_model *models;           /* by requests, most first (then name); "other" last */
    size_t n_models;
    bool models_capped;                /* some models were counted as "other" */
    tf_report_model *series;           /* the per-day series: the top models, then "other" if any */
    size_t n_series;
    tf_report_day *days;               /* in date order */
    size_t n_days;
    uint64_t days_dropped_requests;    /* requests on days past TF_REPORT_DAYS */
    char dropped_from[11], dropped_to[11]; /* the first and last such day ("" when none) */
    tf_report_top *users, *sessions;
    size_t n_users, n_sessions;
    bool users_exact, sessions_exact;
    uint64_t users_max_over, sessions_max_over;
    uint64_t users_seen, sessions_seen; /* distinct keys while exact, else those kept */
    uint64_t no_user, no_session;       /* requests naming none */
    tf_report_run run;                  /* its strings are the report's */
    bool has_run;
} tf_report_summary;

void tf_usage_report_summarize(const tf_usage_report *r, tf_report_summary *s);
void tf_report_summary_free(tf_report_summary *s);

/* Appends the report (the summary of r). */
void tf_usage_report_html(const tf_usage_report *r, tf_buf *out);
void tf_usage_report_json(const tf_usage_report *r, tf_buf *out);

/* Appends s escaped for HTML text and attribute values (& < > " ').
 * Invalid UTF-8 bytes become U+FFFD; control characters become spaces. */
void tf_html_escape(tf_buf *out, const char *s, size_t len);

#endif
