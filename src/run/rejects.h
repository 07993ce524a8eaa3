/* rejects.h: the rejects file: one JSON line per record (or stream problem)
 * that did not become spans, with where it came from and why, so nothing is
 * silently lost. Opened lazily: no file appears when nothing is rejected.
 * Ownership: tf_rejects owns its file descriptor and path copy. One thread
 * (the pipeline's). Example error: "cannot write the rejects file
 * state/run.rejects.jsonl: No space left on device". */
#ifndef TF_REJECTS_H
#define TF_REJECTS_H

#include "common/err.h"

#include <stdbool.h>

typedef struct tf_rejects tf_rejects;

/* truncate_to >= 0 resumes an existing file at that size (checked at once
 * when it is > 0: NULL with err set when the file is shorter, gone or torn,
 * see common/resume.h); -1 starts anew. */
tf_rejects *tf_rejects_new(const char *path, int64_t truncate_to, tf_err *err);
void tf_rejects_free(tf_rejects *r);

/* A record that could not be used. text may be NULL (oversize record). */
int tf_rejects_record(tf_rejects *r, const char *stream, uint64_t offset, uint64_t line,
                      const char *reason, const char *text, size_t len, tf_err *err);
/* A stream that failed part-way (corrupt data) or could not be read. */
int tf_rejects_stream(tf_rejects *r, const char *stream, uint64_t offset, const char *reason, tf_err *err);
/* An input that could not be opened or listed at all; reason names it
 * ("logs/a.jsonl: cannot open: Permission denied"). */
int tf_rejects_input(tf_rejects *r, const char *reason, tf_err *err);

const char *tf_rejects_path(const tf_rejects *r);
uint64_t tf_rejects_count(const tf_rejects *r);
uint64_t tf_rejects_size(const tf_rejects *r); /* bytes written so far */
int tf_rejects_sync(tf_rejects *r, tf_err *err);

/* Default path: beside the checkpoint, else beside the output file, else
 * (no checkpoint, output to stdout, /dev/null or another non-file)
 * ./tracefill.rejects.jsonl. Caller frees. */
char *tf_rejects_default_path(const char *checkpoint, const char *output);

#endif
