/* log.h: warnings, notes and verbose detail from library code. Library code
 * never writes to stderr: it hands each line to the handler the program
 * installed (tool/msg.c prints "tracefill: warning: ..."), or drops it when
 * there is none. Errors are not logged but returned (common/err.h).
 * Lines are one line each, without a prefix or newline, and never hold a
 * secret (callers redact first). Any thread may log; tf_log_set is called
 * once, before any thread starts. */
#ifndef TF_LOG_H
#define TF_LOG_H

#include "common/util.h"

typedef enum {
    TF_LOG_WARN = 1,    /* something is wrong but the run goes on */
    TF_LOG_NOTE = 2,    /* what happened, at normal verbosity */
    TF_LOG_VERBOSE = 3, /* each rejected record, each request */
    TF_LOG_DEBUG = 4,
} tf_log_level;

typedef void (*tf_log_fn)(void *ctx, tf_log_level level, const char *line, size_t len);

/* Lines above max are not even formatted. */
void tf_log_set(tf_log_fn fn, void *ctx, tf_log_level max);
bool tf_log_on(tf_log_level level);

void tf_logf(tf_log_level level, const char *fmt, ...) TF_PRINTF(2, 3);
void tf_vlogf(tf_log_level level, const char *fmt, va_list ap) TF_PRINTF(2, 0);
#define tf_warnf(...) tf_logf(TF_LOG_WARN, __VA_ARGS__)
#define tf_notef(...) tf_logf(TF_LOG_NOTE, __VA_ARGS__)
#define tf_verbosef(...) tf_logf(TF_LOG_VERBOSE, __VA_ARGS__)

#endif
