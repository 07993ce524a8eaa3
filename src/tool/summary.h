/* summary.h: what `run` says when it ends: the summary lines on stderr, the
 * machine-readable summary (--summary-json) and the Prometheus textfile
 * (--metrics-file, for node_exporter's textfile collector).
 * The files are written atomically (a temporary file beside, then rename),
 * also on failure and interrupt; "-" is stdout.
 * Example error: "cannot write the summary /var/lib/tracefill/run.json:
 * Permission denied". */
#ifndef TF_SUMMARY_H
#define TF_SUMMARY_H

#include "run/pipeline.h"

/* Exit status and its reason, for the files ("ok", "rejects", ...). */
typedef struct {
    int status;
    const char *reason;
} tf_exit_info;

void tf_summary_json(tf_buf *out, const tf_opts *o, const tf_run_result *r, tf_exit_info ex);
/* Metrics at the end (r) or while running (p and start_wall_ns; r NULL). */
void tf_summary_metrics(tf_buf *out, const tf_opts *o, const tf_run_counts *c, const tf_run_result *r,
                        uint64_t start_wall_ns, uint64_t now_wall_ns, tf_exit_info ex);
/* Replaces path with the bytes (path "-": stdout); -1 with err. */
int tf_summary_write_file(const char *path, const tf_buf *b, tf_err *err);

#endif
