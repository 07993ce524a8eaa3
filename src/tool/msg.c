/* msg.c: stderr messages with a level filter, and the progress line. */
#include "config.h"
#include "tool/msg.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

static pthread_mutex_t msg_lock = PTHREAD_MUTEX_INITIALIZER;
static bool progress_shown; /* a progress line without its newline is on screen */

static void append_safe(tf_buf *out, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        size_t k = p[i] < 0x80 ? 1 : tf_utf8_seq(p + i, n - i);
        bool c1 = k == 2 && p[i] == 0xC2 && p[i + 1] < 0xA0;
        if (k == 0 || c1 || p[i] < 0x20 || p[i] == 0x7F) {
            for (size_t j = 0; j < (k ? k : 1); j++)
                tf_buf_printf(out, "\\x%02X", p[i + j]);
            i += k ? k : 1;
        } else {
            tf_buf_append(out, s + i, k);
            i += k;
        }
    }
}

const char *tf_msg_safe(tf_buf *out, const char *s, size_t n)
{
    out->len = 0;
    append_safe(out, s ? s : "", s ? n : 0);
    return tf_buf_cstr(out);
}

/* Writes one whole line, erasing a progress line first. Caller holds msg_lock. */
static void put_line(const char *prefix, const char *text, size_t len)
{
    static tf_buf line;
    if (progress_shown) {
        fputs("\r\033[K", stderr);
        progress_shown = false;
    }
    line.len = 0;
    tf_buf_printf(&line, "tracefill: %s", prefix);
    append_safe(&line, text, len);
    tf_buf_append(&line, "\n", 1);
    fwrite(line.p, 1, line.len, stderr);
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
    static tf_buf safe;
    pthread_mutex_lock(&msg_lock);
    fprintf(stderr, "\r\033[Ktracefill: %s%s", tf_msg_safe(&safe, line, strlen(line)), final ? "\n" : "");
    fflush(stderr);
    progress_shown = !final;
    pthread_mutex_unlock(&msg_lock);
}
