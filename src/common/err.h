/* err.h: the one error convention of the library (everything under src/
 * but tool/). A function that can fail returns -1 (or NULL, or a documented
 * status) and, when err is not NULL, writes one line into the caller's
 * tf_err saying what failed and where, naming the file, archive member and
 * byte or line when there is one:
 *     "logs.tar.zst:2025-06-01.jsonl: corrupt zstd data at compressed byte 1234"
 * no "error:" prefix, no trailing period, never a secret. The caller owns the
 * tf_err (usually on its stack) and decides whether and how to show it:
 * library code never prints (warnings and notes go through common/log.h). */
#ifndef TF_ERR_H
#define TF_ERR_H

#include "common/util.h"

#define TF_ERR_MAX 512

typedef struct tf_err {
    char msg[TF_ERR_MAX]; /* "" when nothing failed */
} tf_err;

/* Writes the message (truncated to TF_ERR_MAX - 1 bytes); returns -1 so a
 * failing function can end with `return tf_err_set(err, ...)`. err may be NULL. */
int tf_err_set(tf_err *err, const char *fmt, ...) TF_PRINTF(2, 3);
/* Puts "PREFIX: " before the message already there; returns -1. */
int tf_err_prefix(tf_err *err, const char *fmt, ...) TF_PRINTF(2, 3);
static inline void tf_err_clear(tf_err *err)
{
    if (err)
        err->msg[0] = '\0';
}

#endif
