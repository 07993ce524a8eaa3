/* opts.h: the run configuration, filled by cli.c from flags and environment.
 * Ownership: strings point into argv, the environment, or memory cli.c owns
 * for the life of the process. */
#ifndef TF_OPTS_H
#define TF_OPTS_H

#include "otlp/encode.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    const char *key;
    const char *value;
} tf_keyval;

typedef enum { TF_COMP_NONE = 0, TF_COMP_GZIP, TF_COMP_ZSTD } tf_compression;
typedef enum { TF_ON_CHANGED_FAIL = 0, TF_ON_CHANGED_RESTART, TF_ON_CHANGED_SKIP } tf_on_changed;

typedef struct tf_opts {
    /* inputs */
    const char **inputs;
    size_t n_inputs;
    const char **include, **exclude;
    size_t n_include, n_exclude;
    size_t max_record_bytes;
    uint32_t shard_k, shard_n; /* --shard K/N (n 0: no sharding) */
    const char *s3_endpoint; /* --s3-endpoint, NULL: the environment's or AWS's */
    bool s3_path_style;

    /* mapping */
    const char *profile; /* NULL/"auto", "openrouter", "otlp", or a mapping file path */
    bool privacy;
    bool join_trace_names; /* OpenRouter: hash non-hex trace names into shared traces, honour traceparent */
    bool mark_backfill;    /* resource attribute tracefill.backfill=true on every span */
    tf_keyval *resource_attrs;
    size_t n_resource_attrs;
    /* OTEL_RESOURCE_ATTRIBUTES, then OTEL_SERVICE_NAME as service.name: used
     * only where the profile sets no value, and below --resource-attr. */
    tf_keyval *env_resource_attrs;
    size_t n_env_resource_attrs;
    int64_t time_shift_ns;
    bool has_shift_to;  /* --time-shift-to: the latest span ends at shift_to_ns */
    uint64_t shift_to_ns;
    bool has_since, has_until;
    uint64_t since_ns, until_ns;
    tf_keyval *where;
    size_t n_where;

    /* output: file sink */
    const char *output;  /* -o FILE or "-"; NULL when uploading */
    const char *rejects; /* NULL: default beside the output */
    const char *manifest; /* --manifest FILE, or NULL */

    /* output: OTLP/HTTP */
    const char *endpoint; /* full URL ending in /v1/traces, NULL for the file sink */
    tf_encoding protocol;
    tf_compression compression;
    tf_keyval *headers;
    size_t n_headers;
    const char *basic_user;
    const char *token;     /* secret: never printed */
    bool bearer;
    const char *tenant;
    const char *cacert;
    bool insecure;
    long timeout_ms;
    int concurrency;
    size_t batch_spans;
    size_t batch_bytes;
    double rate_spans, rate_bytes;
    int max_retries;
    uint64_t max_retry_time_ns;

    /* tracefill verify (it reads --manifest too) */
    const char *missing;        /* --missing FILE: the traces verify did not (wholly) find */
    const char *query_endpoint; /* Tempo's HTTP API */
    double query_rate;          /* lookups per second */
    size_t sample;              /* 0: every trace */

    /* resume */
    const char *checkpoint;
    uint64_t checkpoint_interval_ns;
    tf_on_changed on_changed;

    /* reporting */
    const char *summary_json; /* --summary-json FILE ("-": stdout) */
    const char *metrics_file; /* --metrics-file FILE */
    const char *job_name;     /* the job label in the metrics */

    /* usage metrics (run --usage-metrics) and the report (tracefill report) */
    const char *usage_metrics;  /* --usage-metrics FILE, or NULL */
    bool usage_only;            /* --usage-only: send and write no spans */
    uint64_t usage_step_ns;     /* --usage-step (default 1m) */
    uint64_t usage_window_ns;   /* --usage-window (default 1h) */
    size_t usage_max_series;    /* --usage-max-series (default 10000) */
    bool usage_by_user, usage_by_session; /* --usage-by user,session */
    bool format_json;           /* report --format json (default html) */

    /* behaviour */
    int threads; /* 0 = auto */
    bool allow_empty; /* reading no record at all is not an error */
    bool progress;     /* false: --no-progress (or --progress none) */
    bool progress_plain; /* --progress plain: lines every 30 s even on a terminal */
    int msg_level;

    /* memory the parser allocated, freed by tf_opts_free */
    char **owned;
    size_t n_owned;
} tf_opts;

/* Sets the documented defaults. */
void tf_opts_defaults(tf_opts *o);
void tf_opts_free(tf_opts *o);

#endif
