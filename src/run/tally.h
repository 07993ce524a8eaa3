/* tally.h: what a run did, per input stream and in total, for the summary
 * (--summary-json) and the metrics file: records, filtered, rejected (with
 * how often each reason came up), spans built, sent and acknowledged.
 * Memory: one entry per stream; reasons are capped (the rest are counted as
 * "other reasons"), so a million distinct parse errors cost nothing.
 * Ownership: the tally owns its entries until tf_tally_export moves them into
 * a tf_run_result. One thread (the pipeline's). */
#ifndef TF_TALLY_H
#define TF_TALLY_H

#include "run/pipeline.h"

typedef struct tf_tally tf_tally;

tf_tally *tf_tally_new(void);
void tf_tally_free(tf_tally *t);
/* The entry of stream slot (created with name on first use). */
tf_run_stream *tf_tally_stream(tf_tally *t, uint32_t slot, const char *name);
void tf_tally_reject(tf_tally *t, uint32_t slot, const char *reason);
/* Moves the streams (in slot order) and the total reasons (most frequent
 * first) into res; the tally is empty afterwards. */
void tf_tally_export(tf_tally *t, tf_run_result *res);
/* Frees what tf_tally_export put into res. */
void tf_tally_result_free(tf_run_result *res);

#endif
