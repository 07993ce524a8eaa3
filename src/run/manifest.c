/* manifest.c: the manifest file. */
#include "config.h"
#include "run/manifest.h"
#include "output/body_compress.h"
#include "common/resume.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct tf_manifest {
    char *path;
    int fd;
    uint64_t size;
    tf_compressor *comp; /* NULL: plain */
    tf_buf buf;
};

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

tf_manifest *tf_manifest_open(const char *path, int64_t truncate_to, tf_err *err)
{
    /* A compressed manifest is whole members, not lines: no newline check. */
    bool lines = !ends_with(path, ".gz") && !ends_with(path, ".zst");
    int fd = tf_resume_open("the manifest", path, truncate_to, lines, err);
    if (fd < 0)
        return NULL;
    tf_manifest *m = tf_xcalloc(1, sizeof *m);
    m->path = tf_xstrdup(path);
    m->fd = fd;
    m->size = truncate_to > 0 ? (uint64_t)truncate_to : 0;
    if (ends_with(path, ".gz"))
        m->comp = tf_compressor_new(TF_COMP_GZIP);
    else if (ends_with(path, ".zst"))
        m->comp = tf_compressor_new(TF_COMP_ZSTD);
    return m;
}

int tf_manifest_append(tf_manifest *m, const char *p, size_t n, tf_err *err)
{
    if (!n)
        return 0;
    if (m->comp) {
        m->buf.len = 0;
        if (tf_compress(m->comp, p, n, &m->buf) != 0)
            return tf_err_set(err, "cannot compress the manifest %s", m->path);
        p = m->buf.p;
        n = m->buf.len;
    }
    if (tf_write_all(m->fd, p, n) != 0)
        return tf_err_set(err, "cannot write the manifest %s: %s", m->path, strerror(errno));
    m->size += n;
    return 0;
}

uint64_t tf_manifest_size(const tf_manifest *m)
{
    return m->size;
}

int tf_manifest_sync(tf_manifest *m, tf_err *err)
{
    if (fsync(m->fd) != 0)
        return tf_err_set(err, "cannot sync the manifest %s: %s", m->path, strerror(errno));
    return 0;
}

void tf_manifest_free(tf_manifest *m)
{
    if (!m)
        return;
    close(m->fd);
    tf_compressor_free(m->comp);
    tf_buf_free(&m->buf);
    free(m->path);
    free(m);
}
