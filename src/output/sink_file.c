/* sink_file.c: writes each request as one OTLP/JSON line (the format of the
 * OpenTelemetry Collector's file exporter and otlpjsonfile receiver). */
#include "config.h"
#include "tool/msg.h"
#include "output/sink.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    tf_sink base;
    int fd;
    bool is_stdout;
    char *path;
    char *describe;
    uint64_t size;
    tf_buf buf;
} file_sink;

static int file_submit(tf_sink *s, tf_batch *b)
{
    file_sink *f = (file_sink *)s;
    f->buf.len = 0;
    tf_batch_request(b, 0, b->n_spans, &f->buf);
    tf_buf_putc(&f->buf, '\n');
    if (b->n_spans && tf_write_all(f->fd, f->buf.p, f->buf.len) != 0) {
        tf_errorf("cannot write %s: %s", f->path, strerror(errno));
        s->done(s->done_ctx, b, false);
        return -1;
    }
    if (b->n_spans) {
        f->size += f->buf.len;
        s->stats.requests++;
        s->stats.spans += b->n_spans;
        s->stats.bytes += f->buf.len;
    }
    s->done(s->done_ctx, b, true);
    return 0;
}

static int file_poll(tf_sink *s)
{
    return 0;
}

static int file_sync(tf_sink *s)
{
    file_sink *f = (file_sink *)s;
    if (f->is_stdout)
        return 0;
    if (fsync(f->fd) != 0 && errno != EINVAL) {
        tf_errorf("cannot sync %s: %s", f->path, strerror(errno));
        return -1;
    }
    return 0;
}

static int file_finish(tf_sink *s, uint64_t deadline_ns)
{
    return file_sync(s);
}

static void file_destroy(tf_sink *s)
{
    file_sink *f = (file_sink *)s;
    if (!f->is_stdout)
        close(f->fd);
    tf_buf_free(&f->buf);
    free(f->describe);
    free(f->path);
    free(f);
}

tf_sink *tf_sink_file_new(const char *path, int64_t truncate_to, char **err)
{
    file_sink *f = tf_xcalloc(1, sizeof *f);
    f->path = tf_xstrdup(strcmp(path, "-") ? path : "<stdout>");
    if (!strcmp(path, "-")) {
        f->fd = STDOUT_FILENO;
        f->is_stdout = true;
    } else {
        int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (truncate_to < 0 ? O_TRUNC : 0);
        f->fd = open(path, flags, 0644);
        if (f->fd < 0) {
            *err = tf_xasprintf("cannot open output %s: %s", path, strerror(errno));
            free(f->path);
            free(f);
            return NULL;
        }
        if (truncate_to >= 0) {
            if (ftruncate(f->fd, truncate_to) != 0 || lseek(f->fd, truncate_to, SEEK_SET) < 0) {
                *err = tf_xasprintf("cannot resume output %s at byte %lld: %s", path,
                                    (long long)truncate_to, strerror(errno));
                close(f->fd);
                free(f->path);
                free(f);
                return NULL;
            }
            f->size = (uint64_t)truncate_to;
        }
    }
    f->describe = tf_xasprintf("file %s", f->path);
    f->base.describe = f->describe;
    f->base.encoding = TF_ENC_JSON;
    f->base.submit = file_submit;
    f->base.poll = file_poll;
    f->base.finish = file_finish;
    f->base.sync = file_sync;
    f->base.destroy = file_destroy;
    return &f->base;
}

uint64_t tf_sink_file_size(const tf_sink *s)
{
    return ((const file_sink *)s)->size;
}
