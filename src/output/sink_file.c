/* sink_file.c: writes each request as one OTLP/JSON line (the format of the
 * OpenTelemetry Collector's file exporter and otlpjsonfile receiver). After
 * a failed write the sink is failed: nothing more is written (a torn line
 * must stay the last thing in the file, where a resumed run cuts it off) and
 * submit/poll/finish return that error; sync still makes the lines before it
 * durable, so the checkpoint can record them, and fails only once an fsync
 * has failed (from then on, always). */
#include "config.h"
#include "output/sink.h"
#include "common/resume.h"

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
    tf_err failed;      /* the first error; "" while none */
    tf_err sync_failed; /* the first fsync error; "" while none */
} file_sink;

/* -1 with the error kept in e, if any. */
static int sticky(const tf_err *e, tf_err *err)
{
    if (!e->msg[0])
        return 0;
    tf_err_set(err, "%s", e->msg);
    return -1;
}

static int failed(file_sink *f, tf_err *err)
{
    return sticky(&f->failed, err);
}

static int file_submit(tf_sink *s, tf_batch *b, tf_err *err)
{
    file_sink *f = (file_sink *)s;
    if (failed(f, err)) {
        s->done(s->done_ctx, b, false, f->size);
        return -1;
    }
    f->buf.len = 0;
    tf_batch_request(b, 0, b->n_spans, &f->buf);
    tf_buf_putc(&f->buf, '\n');
    if (b->n_spans && tf_write_all(f->fd, f->buf.p, f->buf.len) != 0) {
        if (errno == EPIPE)
            s->closed = true; /* the reader went away (`run -o - | head`) */
        tf_err_set(&f->failed, "cannot write %s: %s", f->path, strerror(errno));
        s->done(s->done_ctx, b, false, f->size);
        return failed(f, err);
    }
    if (b->n_spans) {
        f->size += f->buf.len;
        s->stats.requests++;
        s->stats.spans += b->n_spans;
        s->stats.bytes += f->buf.len;
    }
    s->done(s->done_ctx, b, true, f->size);
    return 0;
}

static int file_poll(tf_sink *s, tf_err *err)
{
    return failed((file_sink *)s, err);
}

static int file_sync(tf_sink *s, tf_err *err)
{
    file_sink *f = (file_sink *)s;
    if (sticky(&f->sync_failed, err))
        return -1;
    if (f->is_stdout)
        return 0;
    if (fsync(f->fd) != 0 && errno != EINVAL) {
        tf_err_set(&f->sync_failed, "cannot sync %s: %s", f->path, strerror(errno));
        if (!f->failed.msg[0])
            f->failed = f->sync_failed;
        return sticky(&f->sync_failed, err);
    }
    return 0;
}

static int file_finish(tf_sink *s, uint64_t deadline_ns, tf_err *err)
{
    (void)deadline_ns;
    if (file_sync(s, err) != 0)
        return -1;
    return failed((file_sink *)s, err);
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

static int open_output(file_sink *f, const char *path, int64_t truncate_to, tf_err *err)
{
    f->fd = tf_resume_open("the output", path, truncate_to, true, err);
    if (f->fd < 0)
        return -1;
    f->size = truncate_to > 0 ? (uint64_t)truncate_to : 0;
    return 0;
}

tf_sink *tf_sink_file_new(const char *path, int64_t truncate_to, tf_err *err)
{
    file_sink *f = tf_xcalloc(1, sizeof *f);
    if (!strcmp(path, "-")) {
        f->fd = STDOUT_FILENO;
        f->is_stdout = true;
    } else if (open_output(f, path, truncate_to, err) != 0) {
        free(f);
        return NULL;
    }
    f->path = tf_xstrdup(f->is_stdout ? "<stdout>" : path);
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
