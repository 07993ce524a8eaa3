/* log.c: the log hook. */
#include "config.h"
#include "common/log.h"

static tf_log_fn log_fn;
static void *log_ctx;
static tf_log_level log_max;

void tf_log_set(tf_log_fn fn, void *ctx, tf_log_level max)
{
    log_fn = fn;
    log_ctx = ctx;
    log_max = fn ? max : 0;
}

bool tf_log_on(tf_log_level level)
{
    return level <= log_max;
}

void tf_vlogf(tf_log_level level, const char *fmt, va_list ap)
{
    if (level > log_max)
        return;
    tf_buf b = { 0 };
    tf_buf_vprintf(&b, fmt, ap);
    log_fn(log_ctx, level, b.p ? b.p : "", b.len);
    tf_buf_free(&b);
}

void tf_logf(tf_log_level level, const char *fmt, ...)
{
    if (level > log_max)
        return;
    va_list ap;
    va_start(ap, fmt);
    tf_vlogf(level, fmt, ap);
    va_end(ap);
}
