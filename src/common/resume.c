/* resume.c: cutting an append-only file back to a checkpoint's size. */
#include "config.h"
#include "common/resume.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define START_OVER "move it or the checkpoint away to start over"

static int cut(int fd, const char *what, const char *path, uint64_t size, bool lines, tf_err *err)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return tf_err_set(err, "cannot resume %s %s: %s", what, path, strerror(errno));
    if (!S_ISREG(st.st_mode)) /* /dev/null, a pipe: nothing kept to cut */
        return 0;
    if ((uint64_t)st.st_size < size)
        return tf_err_set(err, "cannot resume %s %s: it is %lld bytes, the checkpoint recorded %llu: it was replaced or cut since; " START_OVER,
                          what, path, (long long)st.st_size, (unsigned long long)size);
    if (lines && size > 0) {
        char last;
        ssize_t n;
        do
            n = pread(fd, &last, 1, (off_t)(size - 1));
        while (n < 0 && errno == EINTR);
        if (n != 1)
            return tf_err_set(err, "cannot resume %s %s: %s", what, path, n < 0 ? strerror(errno) : "short read");
        if (last != '\n')
            return tf_err_set(err, "cannot resume %s %s: byte %llu, where the checkpoint says it ends, is inside a line: it was changed since; " START_OVER,
                              what, path, (unsigned long long)size);
    }
    if (ftruncate(fd, (off_t)size) != 0 || lseek(fd, (off_t)size, SEEK_SET) < 0)
        return tf_err_set(err, "cannot cut %s %s back to %llu bytes: %s", what, path, (unsigned long long)size,
                          strerror(errno));
    return 0;
}

int tf_resume_open(const char *what, const char *path, int64_t size, bool lines, tf_err *err)
{
    /* Read and write: the newline check reads the byte before the cut. */
    int flags = (size < 0 ? O_WRONLY | O_CREAT | O_TRUNC : O_RDWR | (size == 0 ? O_CREAT : 0)) | O_CLOEXEC;
    int fd = open(path, flags, 0644);
    if (fd < 0) {
        if (errno == ENOENT && size > 0)
            return tf_err_set(err, "cannot resume %s %s: it is gone, the checkpoint recorded %lld bytes; " START_OVER,
                              what, path, (long long)size);
        return tf_err_set(err, "cannot write %s %s: %s", what, path, strerror(errno));
    }
    if (size >= 0 && cut(fd, what, path, (uint64_t)size, lines, err) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}
