/* rejects.c: JSON-lines rejects file. */
#include "config.h"
#include "run/rejects.h"
#include "common/json.h"
#include "common/resume.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct tf_rejects {
    char *path;
    int fd;
    int64_t truncate_to;
    uint64_t count, size;
    bool failed;
    tf_err open_err; /* why it could not be opened, once failed */
    tf_buf line;
};

static int open_lazily(tf_rejects *r, tf_err *err);

tf_rejects *tf_rejects_new(const char *path, int64_t truncate_to, tf_err *err)
{
    tf_rejects *r = tf_xcalloc(1, sizeof *r);
    r->path = tf_xstrdup(path);
    r->fd = -1;
    r->truncate_to = truncate_to;
    if (truncate_to > 0) {
        r->size = (uint64_t)truncate_to;
        /* Resuming one with lines in it: check it now, not at the first reject. */
        if (open_lazily(r, err) != 0) {
            tf_rejects_free(r);
            return NULL;
        }
    }
    return r;
}

void tf_rejects_free(tf_rejects *r)
{
    if (!r)
        return;
    if (r->fd >= 0)
        close(r->fd);
    tf_buf_free(&r->line);
    free(r->path);
    free(r);
}

static int open_lazily(tf_rejects *r, tf_err *err)
{
    if (r->fd >= 0)
        return 0;
    if (r->failed) {
        if (err)
            *err = r->open_err;
        return -1;
    }
    r->fd = tf_resume_open("the rejects file", r->path, r->truncate_to, true, &r->open_err);
    if (r->fd < 0) {
        r->failed = true;
        if (err)
            *err = r->open_err;
        return -1;
    }
    return 0;
}

static int emit(tf_rejects *r, tf_err *err)
{
    if (open_lazily(r, err) != 0)
        return -1;
    if (tf_write_all(r->fd, r->line.p, r->line.len) != 0)
        return tf_err_set(err, "cannot write the rejects file %s: %s", r->path, strerror(errno));
    r->size += r->line.len;
    r->count++;
    return 0;
}

static void head(tf_rejects *r, const char *kind, const char *stream, uint64_t offset)
{
    r->line.len = 0;
    tf_buf_puts(&r->line, "{\"kind\":\"");
    tf_buf_puts(&r->line, kind);
    tf_buf_puts(&r->line, "\",\"stream\":");
    tf_json_write_string(&r->line, stream, strlen(stream));
    tf_buf_printf(&r->line, ",\"offset\":%llu", (unsigned long long)offset);
}

int tf_rejects_record(tf_rejects *r, const char *stream, uint64_t offset, uint64_t line,
                      const char *reason, const char *text, size_t len, tf_err *err)
{
    head(r, "record", stream, offset);
    if (line)
        tf_buf_printf(&r->line, ",\"line\":%llu", (unsigned long long)line);
    tf_buf_puts(&r->line, ",\"reason\":");
    tf_json_write_string(&r->line, reason, strlen(reason));
    tf_buf_printf(&r->line, ",\"bytes\":%zu", len);
    if (text) {
        /* Keep the record exactly: as a string when it is UTF-8, else base64. */
        if (tf_utf8_valid(text, len)) {
            tf_buf_puts(&r->line, ",\"record\":");
            tf_json_write_string(&r->line, text, len);
        } else {
            tf_buf_puts(&r->line, ",\"record_base64\":");
            tf_buf_putc(&r->line, '"');
            tf_base64_encode(&r->line, text, len);
            tf_buf_putc(&r->line, '"');
        }
    }
    tf_buf_puts(&r->line, "}\n");
    return emit(r, err);
}

int tf_rejects_input(tf_rejects *r, const char *reason, tf_err *err)
{
    r->line.len = 0;
    tf_buf_puts(&r->line, "{\"kind\":\"input\",\"reason\":");
    tf_json_write_string(&r->line, reason, strlen(reason));
    tf_buf_puts(&r->line, "}\n");
    return emit(r, err);
}

int tf_rejects_stream(tf_rejects *r, const char *stream, uint64_t offset, const char *reason, tf_err *err)
{
    head(r, "stream", stream, offset);
    tf_buf_puts(&r->line, ",\"reason\":");
    tf_json_write_string(&r->line, reason, strlen(reason));
    tf_buf_puts(&r->line, "}\n");
    return emit(r, err);
}

const char *tf_rejects_path(const tf_rejects *r)
{
    return r->path;
}

uint64_t tf_rejects_count(const tf_rejects *r)
{
    return r->count;
}

uint64_t tf_rejects_size(const tf_rejects *r)
{
    return r->size;
}

int tf_rejects_sync(tf_rejects *r, tf_err *err)
{
    if (r->fd >= 0 && fsync(r->fd) != 0)
        return tf_err_set(err, "cannot sync the rejects file %s: %s", r->path, strerror(errno));
    return 0;
}

static char *beside(const char *path, const char *suffix)
{
    size_t n = strlen(path);
    static const char *const exts[] = { ".jsonl", ".json", ".ndjson" };
    for (size_t i = 0; i < TF_ARRAY_LEN(exts); i++) {
        size_t e = strlen(exts[i]);
        if (n > e && !strcmp(path + n - e, exts[i])) {
            n -= e;
            break;
        }
    }
    return tf_xasprintf("%.*s%s", (int)n, path, suffix);
}

/* An output that is a file of its own (not stdout, /dev/null or a pipe), so
 * a rejects file beside it makes sense. */
static bool is_file_path(const char *output)
{
    if (!strcmp(output, "-"))
        return false;
    struct stat st;
    return stat(output, &st) != 0 || S_ISREG(st.st_mode);
}

char *tf_rejects_default_path(const char *checkpoint, const char *output)
{
    if (checkpoint)
        return beside(checkpoint, ".rejects.jsonl");
    if (output && is_file_path(output))
        return beside(output, ".rejects.jsonl");
    return tf_xstrdup("tracefill.rejects.jsonl");
}
