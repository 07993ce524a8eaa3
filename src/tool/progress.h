/* progress.h: the progress line of `run`, from the pipeline's snapshots.
 * On a terminal one line redrawn in place at most 5 times a second:
 *   42% · ETA 4m05s · acked 1.0M · sent 1.1M · 35.2k rec/s · 140.8k spans/s ·
 *   rejected 12 · retried 3 · throttled 2 · 20.0k spans/s allowed ·
 *   1.2 GiB of 2.9 GiB · logs/2025-06-02.jsonl.zst
 * (fields that do not fit the terminal are left out from the end; the input's
 * name is shortened from the left). "Done" is the input
 * read and delivered: the bytes read, scaled by the share of the spans built
 * that were acknowledged (reading runs ahead of a slow backend). Otherwise, or with
 * --progress plain, a line every 30 s. Rates are smoothed over about 5 s.
 * Pure apart from the clock the caller passes in; one thread. */
#ifndef TF_PROGRESS_H
#define TF_PROGRESS_H

#include "run/pipeline.h"

typedef struct {
    uint64_t last_ns;      /* snapshot time of the last update */
    uint64_t last_shown_ns;
    uint64_t records, spans, bytes; /* counters at the last update */
    double rec_rate, span_rate, byte_rate; /* smoothed, per second */
    bool started;
} tf_progress;

/* Feeds a snapshot taken at now_ns (monotonic): updates the rates. */
void tf_progress_update(tf_progress *st, const tf_run_progress *p, uint64_t now_ns);
/* The terminal line (no prefix, no newline), at most width columns (0: no
 * limit), or the plain line. */
void tf_progress_line(const tf_progress *st, const tf_run_progress *p, int width, tf_buf *out);
void tf_progress_plain(const tf_progress *st, const tf_run_progress *p, tf_buf *out);
/* "1.2k", "3.4M", "12" (counts); "1.2 GiB" (bytes); "4m05s" (durations). */
void tf_fmt_count(tf_buf *out, double v);
void tf_fmt_bytes(tf_buf *out, uint64_t v);
void tf_fmt_duration(tf_buf *out, uint64_t seconds);

#endif
