/* msg.c: stderr messages with a level filter, and the progress line. */
#include "config.h"
#include "tool/msg.h"

#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t msg_lock = PTHREAD_MUTEX_INITIALIZER;
static bool progress_shown; /* a progress line without its newline is on screen */

/* Writes one whole line, erasing a progress line first. Caller holds msg_lock. */
static void put_line(const char *prefix, const char *text, size_t len)
{
    if (progress_shown) {
        fputs("\r\033[K", stderr);
        progress_shown = false;
    }
    fputs("tracefill: ", stderr);
    fputs(prefix, stderr);
    fwrite(text, 1, len, stderr);
    fputc('\n', stderr);
    fflush(stderr);
}

static void on_log(void *ctx, tf_log_level level, const char *line, size_t len)
{
    pthread_mutex_lock(&msg_lock);
    put_line(level == TF_LOG_WARN ? "warning: " : "", line, len);
    pthread_mutex_unlock(&msg_lock);
}

void tf_msg_set_level(int level)
{
    tf_log_level max = level <= TF_MSG_QUIET     ? 0
                       : level == TF_MSG_NORMAL  ? TF_LOG_NOTE
                       : level == TF_MSG_VERBOSE ? TF_LOG_VERBOSE
                                                 : TF_LOG_DEBUG;
    tf_log_set(on_log, NULL, max);
}

void tf_errorf(const char *fmt, ...)
{
    tf_buf b = { 0 };
    va_list ap;
    va_start(ap, fmt);
    tf_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&msg_lock);
    put_line("error: ", b.p ? b.p : "", b.len);
    pthread_mutex_unlock(&msg_lock);
    tf_buf_free(&b);
}

void tf_msg_progress(const char *line, bool final)
{
    pthread_mutex_lock(&msg_lock);
    fprintf(stderr, "\r\033[Ktracefill: %s%s", line, final ? "\n" : "");
    fflush(stderr);
    progress_shown = !final;
    pthread_mutex_unlock(&msg_lock);
}
