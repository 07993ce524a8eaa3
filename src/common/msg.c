/* msg.c: stderr messages with a level filter. */
#include "config.h"
#include "common/msg.h"

#include <pthread.h>
#include <stdio.h>

static int msg_level = TF_MSG_NORMAL;
static pthread_mutex_t msg_lock = PTHREAD_MUTEX_INITIALIZER;

void tf_msg_set_level(int level)
{
    msg_level = level;
}

int tf_msg_level(void)
{
    return msg_level;
}

TF_PRINTF(2, 0) static void vmsg(const char *prefix, const char *fmt, va_list ap)
{
    tf_buf b = { 0 };
    tf_buf_puts(&b, "tracefill: ");
    tf_buf_puts(&b, prefix);
    tf_buf_vprintf(&b, fmt, ap);
    tf_buf_putc(&b, '\n');
    pthread_mutex_lock(&msg_lock);
    fwrite(b.p, 1, b.len, stderr);
    fflush(stderr);
    pthread_mutex_unlock(&msg_lock);
    tf_buf_free(&b);
}

#define TF_MSG_FN(name, min, prefix)                                                              \
    void name(const char *fmt, ...)                                                               \
    {                                                                                             \
        if (msg_level < (min))                                                                    \
            return;                                                                               \
        va_list ap;                                                                               \
        va_start(ap, fmt);                                                                        \
        vmsg(prefix, fmt, ap);                                                                    \
        va_end(ap);                                                                               \
    }

TF_MSG_FN(tf_errorf, TF_MSG_QUIET, "error: ")
TF_MSG_FN(tf_warnf, TF_MSG_NORMAL, "warning: ")
TF_MSG_FN(tf_notef, TF_MSG_NORMAL, "")
TF_MSG_FN(tf_verbosef, TF_MSG_VERBOSE, "")
