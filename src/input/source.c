/* source.c: inputs (files, directories, stdin, URLs) to decoded streams,
 * expanding containers through libarchive and stacking decoders by content. */
#include "config.h"
#include "input/source.h"

#include "input/decode.h"
#include "input/remote/remote.h"
#include "common/hash.h"
#include "common/log.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A file (or stdin) read through a tf_fdsrc, or a remote object (rb) whose
 * body the pull forwards; heap-allocated so it can move from a probing
 * stream to a container without breaking the pull's ctx. */
typedef struct {
    tf_fdsrc fs;
    tf_pull pull;
    int fd;
    bool close_fd;
    int64_t size;        /* of a regular file, else -1 */
    uint64_t *done;      /* when freed, its size (or the bytes read) is added here; may be NULL */
    tf_remote_body *rb;
} rawfile;

typedef struct container container;

struct tf_stream {
    tf_stream_info info;
    char *name_own, *path_own, *member_own, *etag_own;
    tf_source *owner;       /* set while the source tracks this stream */
    rawfile *rf;            /* owned: plain-file streams */
    tf_memsrc ms;           /* memory streams */
    tf_pull mpull;          /* memory and member streams */
    tf_pull *in;            /* the raw pull the decoder reads */
    tf_decoder *dec;
    uint8_t peek[TF_FINGERPRINT_BYTES];
    size_t peek_len, peek_pos;
    uint64_t decoded;
    size_t max_read;
    int state;              /* 0 reading, 1 clean end, -1 failed */
    tf_err err;
};

struct container {
    rawfile *rf;
    struct archive *a;
    char *path;             /* the input path */
    char *display;          /* how names start: the path or "<stdin>" */
    const char *kind;
    const char *outer;
    int64_t size, mtime;
    char *etag;             /* of a remote archive object */
    bool dead;
    bool member_failed;     /* the current member's stream saw an archive error */
    bool in_retry;
    int64_t retry_at;
    /* member data */
    const void *blk;
    size_t blk_len;
    int64_t blk_off;
    bool blk_pending;
    uint64_t mpos;
};

typedef struct {
    uint64_t dev, ino;
    char *name; /* NULL: a free slot */
} seen_file;

typedef struct {
    char *dir;   /* path to open */
    char *rel;   /* path below the walked input ("" at its root) */
    char **names;
    size_t n, i;
} walkdir;

struct tf_source {
    char **paths;
    size_t n_paths, next_path;
    char **include, **exclude;
    size_t n_include, n_exclude;
    tf_log_kind logs;
    uint32_t shard_k, shard_n;
    seen_file *seen; /* regular files read: open-addressed on (dev, ino) */
    uint64_t raw_done; /* raw (compressed) bytes of the files finished with */
    size_t seen_cap, seen_n;
    tf_source_stats stats;
    void (*on_error)(void *ctx, const tf_err *err);
    void *on_error_ctx;
    bool (*stopping)(void *ctx);
    void *stopping_ctx;
    walkdir *walk;
    size_t walk_len, walk_cap;
    container *ct;
    tf_stream *cur;
    tf_remote *remote;      /* the URL input being expanded */
    tf_remote_opts ropts;
    char *s3_endpoint;
};

static const uint8_t zeros[64 * 1024];

/* ---- streams ------------------------------------------------------------- */

static tf_stream *stream_alloc(void)
{
    tf_stream *s = tf_xcalloc(1, sizeof *s);
    s->info.container = "none";
    s->info.compression = "none";
    s->info.outer = "none";
    s->info.size = -1;
    return s;
}

static void stream_set_names(tf_stream *s, const char *name, const char *path, const char *member)
{
    s->name_own = tf_xstrdup(name);
    s->path_own = tf_xstrdup(path);
    s->member_own = member ? tf_xstrdup(member) : NULL;
    s->info.name = s->name_own;
    s->info.path = s->path_own;
    s->info.member = s->member_own;
}

uint32_t tf_source_shard_of(const char *identity, uint32_t n)
{
    uint8_t d[32];
    tf_sha256_oneshot(identity, strlen(identity), d);
    uint64_t h = 0;
    for (int i = 0; i < 8; i++)
        h = h << 8 | d[i];
    return n ? (uint32_t)(h % n) : 0;
}

/* Another shard's stream: counted and said at -v, not read. */
static bool other_shard(tf_source *src, const char *name)
{
    if (src->shard_n <= 1 || tf_source_shard_of(name, src->shard_n) == src->shard_k)
        return false;
    tf_verbosef("%s: left to shard %u of %u", name, tf_source_shard_of(name, src->shard_n), src->shard_n);
    src->stats.other_shards++;
    return true;
}

/* An input problem: counted, and handed to the caller's callback. */
static void report(tf_source *src, const char *fmt, ...) TF_PRINTF(2, 3);
static void report(tf_source *src, const char *fmt, ...)
{
    src->stats.errors++;
    if (!src->on_error)
        return;
    tf_err e;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e.msg, sizeof e.msg, fmt, ap);
    va_end(ap);
    src->on_error(src->on_error_ctx, &e);
}

/* Detects the compression on s->in, stacks the decoder and reads the
 * fingerprint bytes ahead (they are replayed by tf_stream_read). */
static void stream_start(tf_stream *s)
{
    const uint8_t *p;
    ssize_t n = tf_pull_peek(s->in, 16, &p);
    s->info.compression = tf_magic_compression(p, (size_t)n);
    s->dec = tf_decoder_new(s->info.compression, s->in, 0);
    while (s->peek_len < sizeof s->peek) {
        ssize_t r = tf_decoder_read(s->dec, s->peek + s->peek_len, sizeof s->peek - s->peek_len, &s->err);
        if (r > 0) {
            s->peek_len += (size_t)r;
        } else {
            s->state = r == 0 ? 1 : -1;
            break;
        }
    }
    tf_sha256_oneshot(s->peek, s->peek_len, s->info.fingerprint);
    s->info.fp_len = s->peek_len;
}

static void rawfile_free(rawfile *rf)
{
    if (!rf)
        return;
    if (rf->done) /* read, skipped or failed: either way, done with for the progress */
        *rf->done += rf->size >= 0 ? (uint64_t)rf->size : rf->pull.pos;
    if (rf->close_fd && rf->fd >= 0)
        close(rf->fd);
    tf_fdsrc_free(&rf->fs);
    tf_remote_body_free(rf->rb);
    free(rf);
}

static ssize_t remote_pull(tf_pull *pl, const uint8_t **chunk)
{
    rawfile *rf = pl->ctx;
    tf_pull *in = tf_remote_body_pull(rf->rb);
    ssize_t n = tf_pull_next(in, chunk, SIZE_MAX);
    if (n < 0)
        pl->err = in->err;
    return n;
}

static rawfile *rawfile_remote(tf_remote_body *rb)
{
    rawfile *rf = tf_xcalloc(1, sizeof *rf);
    rf->fd = -1;
    rf->rb = rb;
    tf_pull_init(&rf->pull, remote_pull, rf);
    return rf;
}

/* A remote object starts over at byte `from`; -1 with err. */
static int rawfile_remote_restart(rawfile *rf, uint64_t from, tf_err *err)
{
    if (tf_remote_body_restart(rf->rb, from, err) != 0)
        return -1;
    tf_pull_reset(&rf->pull);
    rf->pull.pos = from;
    return 0;
}

static rawfile *rawfile_new(int fd, bool close_fd)
{
    rawfile *rf = tf_xcalloc(1, sizeof *rf);
    rf->fd = fd;
    rf->close_fd = close_fd;
    struct stat st;
    rf->size = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? (int64_t)st.st_size : -1;
    tf_fdsrc_init(&rf->fs, &rf->pull, fd);
    return rf;
}

ssize_t tf_stream_read(tf_stream *s, void *buf, size_t n, tf_err *err)
{
    if (s->max_read && n > s->max_read)
        n = s->max_read;
    if (n == 0)
        return 0;
    if (s->peek_pos < s->peek_len) {
        size_t k = TF_MIN(n, s->peek_len - s->peek_pos);
        memcpy(buf, s->peek + s->peek_pos, k);
        s->peek_pos += k;
        s->decoded += k;
        return (ssize_t)k;
    }
    if (s->state == 0) {
        ssize_t r = tf_decoder_read(s->dec, buf, n, &s->err);
        if (r > 0) {
            s->decoded += (uint64_t)r;
            return r;
        }
        s->state = r == 0 ? 1 : -1;
    }
    if (s->state > 0)
        return 0;
    if (err)
        *err = s->err;
    return -1;
}

const tf_stream_info *tf_stream_get_info(const tf_stream *s)
{
    return &s->info;
}

uint64_t tf_stream_decoded_offset(const tf_stream *s)
{
    return s->decoded;
}

uint64_t tf_stream_raw_offset(const tf_stream *s)
{
    return s->in ? s->in->pos : 0;
}

int tf_stream_skip_to(tf_stream *s, uint64_t offset)
{
    if (!s->rf || !s->rf->rb || strcmp(s->info.compression, "none") != 0 || s->state != 0)
        return 1;
    if (offset <= s->decoded + (s->peek_len - s->peek_pos) || (s->info.size >= 0 && offset > (uint64_t)s->info.size))
        return 1;
    s->peek_pos = s->peek_len;
    if (rawfile_remote_restart(s->rf, offset, &s->err) != 0) {
        s->state = -1;
        return -1;
    }
    tf_decoder_free(s->dec);
    s->dec = tf_decoder_new("none", s->in, 0);
    s->decoded = offset;
    return 0;
}

static void stream_free(tf_stream *s)
{
    tf_decoder_free(s->dec);
    rawfile_free(s->rf);
    free(s->name_own);
    free(s->path_own);
    free(s->member_own);
    free(s->etag_own);
    free(s);
}

void tf_stream_close(tf_stream *s)
{
    if (!s)
        return;
    if (s->owner && s->owner->cur == s)
        s->owner->cur = NULL;
    stream_free(s);
}

static int open_input_fd(const char *path, bool *close_fd, tf_err *err)
{
    if (strcmp(path, "-") == 0) {
        *close_fd = false;
        return STDIN_FILENO;
    }
    int fd;
    do
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return tf_err_set(err, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        close(fd);
        return tf_err_set(err, "%s: is a directory", path);
    }
    *close_fd = true;
    return fd;
}

static void info_from_fd(tf_stream_info *info, int fd)
{
    struct stat st;
    if (fstat(fd, &st) == 0) {
        info->size = S_ISREG(st.st_mode) ? (int64_t)st.st_size : -1;
        info->mtime = (int64_t)st.st_mtime;
    }
}

tf_stream *tf_stream_open_file(const char *path, tf_err *err)
{
    bool close_fd;
    int fd = open_input_fd(path, &close_fd, err);
    if (fd < 0)
        return NULL;
    tf_stream *s = stream_alloc();
    stream_set_names(s, strcmp(path, "-") == 0 ? "<stdin>" : path, path, NULL);
    info_from_fd(&s->info, fd);
    s->rf = rawfile_new(fd, close_fd);
    s->in = &s->rf->pull;
    stream_start(s);
    return s;
}

tf_stream *tf_stream_open_memory(const void *p, size_t n, size_t max_read, const char *name)
{
    tf_stream *s = stream_alloc();
    stream_set_names(s, name ? name : "<memory>", name ? name : "<memory>", NULL);
    s->info.size = (int64_t)n;
    s->max_read = max_read;
    tf_memsrc_init(&s->ms, &s->mpull, p, n, max_read);
    s->in = &s->mpull;
    stream_start(s);
    return s;
}

const char *tf_detect_compression(const void *p, size_t n)
{
    return tf_magic_compression(p, n);
}

/* ---- containers ---------------------------------------------------------- */

/* Where a member's data failed: its own offset, plus the compressed offset
 * in the archive file when the archive is compressed. */
static char *member_where(container *ct)
{
    if (strcmp(ct->outer, "none") == 0)
        return tf_xasprintf("at member byte %llu", (unsigned long long)ct->mpos);
    return tf_xasprintf("at member byte %llu (compressed byte %lld of the archive)",
                        (unsigned long long)ct->mpos, (long long)archive_filter_bytes(ct->a, -1));
}

/* Where a header failed: its offset in the (decompressed) archive. */
static char *header_where(container *ct)
{
    long long at = (long long)archive_read_header_position(ct->a);
    long long raw = (long long)archive_filter_bytes(ct->a, -1);
    if (at < 0) /* unknown once the archive has failed */
        return tf_xasprintf("at %sbyte %lld", strcmp(ct->outer, "none") == 0 ? "" : "compressed ", raw);
    if (strcmp(ct->outer, "none") == 0)
        return tf_xasprintf("at archive byte %lld", at);
    return tf_xasprintf("at archive byte %lld (compressed byte %lld)", at, raw);
}

static ssize_t member_pull(tf_pull *pl, const uint8_t **chunk)
{
    container *ct = pl->ctx;
    for (;;) {
        if (!ct->blk_pending) {
            const void *b;
            size_t sz;
            la_int64_t off;
            int r = archive_read_data_block(ct->a, &b, &sz, &off);
            if (r == ARCHIVE_EOF)
                return 0;
            if (r != ARCHIVE_OK) {
                /* ARCHIVE_WARN here is a checksum mismatch (zip CRC): the data is bad. */
                char *where = member_where(ct);
                const char *msg = archive_error_string(ct->a);
                tf_err_set(&pl->err, "%s %s", msg ? msg : "archive read error", where);
                free(where);
                ct->member_failed = true;
                if (r == ARCHIVE_FATAL)
                    ct->dead = true;
                return -1;
            }
            ct->blk = b;
            ct->blk_len = sz;
            ct->blk_off = off;
            ct->blk_pending = true;
        }
        if (ct->blk_off > (int64_t)ct->mpos) { /* a sparse hole reads as zeros */
            size_t gap = (size_t)TF_MIN((uint64_t)(ct->blk_off - (int64_t)ct->mpos), sizeof zeros);
            *chunk = zeros;
            ct->mpos += gap;
            return (ssize_t)gap;
        }
        ct->blk_pending = false;
        if (ct->blk_len == 0)
            continue;
        *chunk = ct->blk;
        ct->mpos += ct->blk_len;
        return (ssize_t)ct->blk_len;
    }
}

static la_ssize_t ct_read_cb(struct archive *a, void *ud, const void **buf)
{
    container *ct = ud;
    const uint8_t *p;
    ssize_t r = tf_pull_next(&ct->rf->pull, &p, SIZE_MAX);
    if (r < 0) {
        archive_set_error(a, EIO, "%s", ct->rf->pull.err.msg);
        return -1;
    }
    *buf = p;
    return r;
}

static la_int64_t ct_seek_cb(struct archive *a, void *ud, la_int64_t off, int whence)
{
    container *ct = ud;
    tf_pull *pl = &ct->rf->pull;
    off_t target;
    struct stat st;
    if (whence == SEEK_CUR || whence == SEEK_SET) {
        off_t want = whence == SEEK_CUR ? (off_t)pl->pos + off : off;
        /* Seeking past the end would hide a truncated archive (libarchive skips
         * unread members by seeking and then sees a clean end). */
        if (fstat(ct->rf->fd, &st) == 0 && want > st.st_size) {
            archive_set_error(a, EINVAL, "Truncated archive: it ends at byte %lld, inside a member",
                              (long long)st.st_size);
            return ARCHIVE_FATAL;
        }
        target = lseek(ct->rf->fd, want, SEEK_SET);
    } else {
        target = lseek(ct->rf->fd, off, whence);
    }
    if (target < 0) {
        archive_set_error(a, errno, "seek failed: %s", strerror(errno));
        return ARCHIVE_FATAL;
    }
    tf_pull_reset(pl);
    pl->pos = (uint64_t)target;
    ct->rf->fs.got = (uint64_t)target; /* where the next read starts */
    return target;
}

static void container_free(container *ct)
{
    if (!ct)
        return;
    if (ct->a)
        archive_read_free(ct->a);
    rawfile_free(ct->rf);
    free(ct->path);
    free(ct->display);
    free(ct->etag);
    free(ct);
}

static bool globs_match(const tf_source *src, const char *name)
{
    bool in = src->n_include == 0;
    for (size_t i = 0; i < src->n_include && !in; i++)
        in = tf_glob_match(src->include[i], name);
    if (!in)
        return false;
    for (size_t i = 0; i < src->n_exclude; i++)
        if (tf_glob_match(src->exclude[i], name))
            return false;
    return true;
}

/* Does a stream's decoded start look like a log? *why says what it looks
 * like otherwise ("not JSON (starts with \"Release\")"). */
static bool looks_like_log(const tf_source *src, const tf_stream *s, char *why, size_t whylen)
{
    const uint8_t *p = s->peek;
    size_t n = s->peek_len;
    if (n == 0)
        return true; /* an empty log: nothing to read, nothing wrong */
    if (memchr(p, 0, n)) {
        snprintf(why, whylen, "binary data (NUL bytes)");
        return false;
    }
    if (src->logs == TF_LOGS_TEXT) {
        /* The last sequence may be cut by the 4 KiB window. */
        size_t i = 0;
        while (i < n) {
            size_t k = tf_utf8_seq(p + i, n - i);
            if (!k) {
                if (n - i < 4 && s->peek_len == sizeof s->peek)
                    break;
                snprintf(why, whylen, "not text (invalid UTF-8 at byte %zu)", i);
                return false;
            }
            i += k;
        }
        return true;
    }
    size_t i = n >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3) ? 3 : 0;
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
        i++;
    if (i == n || p[i] == '{' || p[i] == '[')
        return true;
    size_t k = 0;
    char start[24];
    for (size_t j = i; j < n && k < 16 && p[j] >= 0x20 && p[j] < 0x7f && p[j] != '"' && p[j] != '\\'; j++)
        start[k++] = (char)p[j];
    start[k] = '\0';
    if (k)
        snprintf(why, whylen, "not JSON (starts with \"%s\")", start);
    else
        snprintf(why, whylen, "not JSON");
    return false;
}

/* Takes rf (rewound to byte 0), freeing it on failure; NULL after reporting
 * when the archive cannot be opened. */
static container *container_open(tf_source *src, rawfile *rf, const char *path,
                                 const char *display, const char *kind, const char *outer,
                                 const tf_stream_info *file_info)
{
    if (strcmp(kind, "7z") == 0 && !rf->fs.seekable) {
        /* libarchive reads a 7z archive's index from its end. */
        report(src, "%s: a 7z archive cannot be read from a %s; save it to a file first", display,
               rf->rb ? "URL" : "pipe");
        rawfile_free(rf);
        return NULL;
    }
    container *ct = tf_xcalloc(1, sizeof *ct);
    ct->rf = rf;
    ct->path = tf_xstrdup(path);
    ct->display = tf_xstrdup(display);
    ct->kind = kind;
    ct->outer = outer;
    ct->size = file_info->size;
    ct->mtime = file_info->mtime;
    ct->etag = file_info->etag ? tf_xstrdup(file_info->etag) : NULL;
    ct->a = archive_read_new();
    archive_read_support_filter_all(ct->a);
    if (strcmp(kind, "tar") == 0) {
        archive_read_support_format_tar(ct->a);
        archive_read_support_format_gnutar(ct->a);
    } else if (strcmp(kind, "zip") == 0) {
        archive_read_support_format_zip(ct->a);
    } else if (strcmp(kind, "cpio") == 0) {
        archive_read_support_format_cpio(ct->a);
    } else if (strcmp(kind, "7z") == 0) {
        archive_read_support_format_7zip(ct->a);
    } else {
        archive_read_support_format_rar(ct->a);
        archive_read_support_format_rar5(ct->a);
    }
    archive_read_set_read_callback(ct->a, ct_read_cb);
    if (rf->fs.seekable && strcmp(outer, "none") == 0)
        archive_read_set_seek_callback(ct->a, ct_seek_cb);
    archive_read_set_callback_data(ct->a, ct);
    if (archive_read_open1(ct->a) != ARCHIVE_OK) {
        const char *msg = archive_error_string(ct->a);
        report(src, "%s: cannot read the %s archive: %s", display, kind, msg ? msg : "unknown error");
        container_free(ct);
        return NULL;
    }
    return ct;
}

static void container_report(tf_source *src, container *ct, const char *what)
{
    const char *msg = archive_error_string(ct->a);
    char *where = header_where(ct);
    report(src, "%s: %s %s; %s", ct->display, msg ? msg : "archive read error", where, what);
    free(where);
}

/* The next member stream of src->ct, or NULL when the container is done (and freed). */
static tf_stream *container_next(tf_source *src)
{
    container *ct = src->ct;
    while (!ct->dead) {
        struct archive_entry *e;
        int r = archive_read_next_header(ct->a, &e);
        if (r == ARCHIVE_EOF)
            break;
        if (r == ARCHIVE_RETRY) {
            /* A damaged header; libarchive resynchronises on the next one. */
            int64_t at = archive_filter_bytes(ct->a, 0);
            if (ct->in_retry && at <= ct->retry_at) {
                container_report(src, ct, "skipping the rest of the archive");
                break;
            }
            if (!ct->in_retry)
                container_report(src, ct, "looking for the next member");
            ct->in_retry = true;
            ct->retry_at = at;
            continue;
        }
        if (r == ARCHIVE_FATAL) {
            if (ct->member_failed)
                tf_verbosef("%s: stopped reading the archive after the error above", ct->display);
            else
                container_report(src, ct, "skipping the rest of the archive");
            break;
        }
        ct->in_retry = false;
        ct->member_failed = false;
        const char *mname = archive_entry_pathname(e);
        if (!mname)
            mname = archive_entry_pathname_utf8(e);
        if (!mname)
            mname = "?";
        if (r == ARCHIVE_FAILED) {
            const char *msg = archive_error_string(ct->a);
            report(src, "%s:%s: %s; member skipped", ct->display, mname, msg ? msg : "unreadable");
            continue;
        }
        if (r == ARCHIVE_WARN) {
            const char *msg = archive_error_string(ct->a);
            tf_verbosef("%s:%s: %s", ct->display, mname, msg ? msg : "warning");
        }
        if (archive_entry_filetype(e) != AE_IFREG || archive_entry_hardlink(e)) {
            src->stats.skipped_members++;
            continue;
        }
        if (!globs_match(src, mname)) {
            tf_verbosef("%s:%s: skipped (filtered out by --include/--exclude)", ct->display, mname);
            src->stats.skipped_members++;
            continue;
        }
        if (src->shard_n > 1) {
            char *id = tf_xasprintf("%s:%s", ct->display, mname);
            bool other = other_shard(src, id);
            free(id);
            if (other)
                continue;
        }
        if (archive_entry_is_data_encrypted(e)) {
            report(src, "%s:%s: the member is encrypted; skipped", ct->display, mname);
            continue;
        }
        tf_stream *s = stream_alloc();
        char *name = tf_xasprintf("%s:%s", ct->display, mname);
        stream_set_names(s, name, ct->path, mname);
        free(name);
        s->info.container = ct->kind;
        s->info.outer = ct->outer;
        if (ct->etag)
            s->info.etag = s->etag_own = tf_xstrdup(ct->etag);
        s->info.size = archive_entry_size_is_set(e) ? (int64_t)archive_entry_size(e) : -1;
        s->info.mtime = archive_entry_mtime_is_set(e) ? (int64_t)archive_entry_mtime(e) : 0;
        ct->blk_pending = false;
        ct->mpos = 0;
        tf_pull_init(&s->mpull, member_pull, ct);
        s->in = &s->mpull;
        stream_start(s);
        char why[80];
        if (s->state >= 0 && !looks_like_log(src, s, why, sizeof why)) {
            tf_notef("%s: skipped: %s", s->info.name, why);
            src->stats.skipped_members++;
            stream_free(s);
            continue;
        }
        return s;
    }
    container_free(ct);
    src->ct = NULL;
    return NULL;
}

/* ---- inputs -------------------------------------------------------------- */

static size_t seen_slot(const tf_source *src, uint64_t dev, uint64_t ino)
{
    size_t j = (ino * 0x9E3779B97F4A7C15ull ^ dev) & (src->seen_cap - 1);
    while (src->seen[j].name && (src->seen[j].dev != dev || src->seen[j].ino != ino))
        j = (j + 1) & (src->seen_cap - 1);
    return j;
}

/* The name a regular file was read under when fd is the same file (device
 * and inode) as one read before; else NULL. */
static const char *seen_before(const tf_source *src, int fd)
{
    struct stat st;
    if (!src->seen_n || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        return NULL;
    return src->seen[seen_slot(src, (uint64_t)st.st_dev, (uint64_t)st.st_ino)].name;
}

/* Remembers a regular file that is being read (containers included). */
static void seen_add(tf_source *src, int fd, const char *name)
{
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        return;
    if ((src->seen_n + 1) * 2 > src->seen_cap) {
        size_t cap = src->seen_cap ? src->seen_cap * 2 : 64;
        seen_file *t = tf_xcalloc(cap, sizeof *t);
        for (size_t i = 0; i < src->seen_cap; i++) {
            if (!src->seen[i].name)
                continue;
            size_t j = (src->seen[i].ino * 0x9E3779B97F4A7C15ull ^ src->seen[i].dev) & (cap - 1);
            while (t[j].name)
                j = (j + 1) & (cap - 1);
            t[j] = src->seen[i];
        }
        free(src->seen);
        src->seen = t;
        src->seen_cap = cap;
    }
    size_t j = seen_slot(src, (uint64_t)st.st_dev, (uint64_t)st.st_ino);
    if (src->seen[j].name)
        return;
    src->seen[j].dev = (uint64_t)st.st_dev;
    src->seen[j].ino = (uint64_t)st.st_ino;
    src->seen[j].name = tf_xstrdup(name);
    src->seen_n++;
}

/* Opens one file (or stdin): returns a plain stream, or sets src->ct for a
 * container, or reports and returns NULL. rel is the path below a walked
 * directory (NULL for a command-line input, which is never filtered). */
static tf_stream *open_path(tf_source *src, const char *path, const char *rel)
{
    bool close_fd;
    tf_err err;
    int fd = open_input_fd(path, &close_fd, &err);
    if (fd < 0) {
        report(src, "%s", err.msg);
        return NULL;
    }
    const char *display = strcmp(path, "-") == 0 ? "<stdin>" : path;
    const char *first = seen_before(src, fd);
    if (first) {
        tf_notef("%s: the same file as %s; read once", display, first);
        src->stats.duplicates++;
        if (close_fd)
            close(fd);
        return NULL;
    }
    tf_stream *s = stream_alloc();
    stream_set_names(s, display, path, NULL);
    info_from_fd(&s->info, fd);
    s->rf = rawfile_new(fd, close_fd);
    s->rf->done = &src->raw_done;
    s->rf->fs.stopping = src->stopping;
    s->rf->fs.stopping_ctx = src->stopping_ctx;
    tf_fdsrc_record(&s->rf->fs, true); /* for a pipe that turns out to be a container */
    s->in = &s->rf->pull;
    stream_start(s);
    const char *kind = tf_magic_container(s->peek, s->peek_len);
    if (kind) {
        rawfile *rf = s->rf;
        if (tf_fdsrc_rewind(&rf->fs, &rf->pull) != 0) {
            report(src, "%s: cannot rewind the input to read it as a %s archive", display, kind);
            stream_free(s);
            return NULL;
        }
        s->rf = NULL;
        tf_stream_info info = s->info;
        const char *outer = s->info.compression;
        seen_add(src, rf->fd, display);
        src->ct = container_open(src, rf, path, display, kind, outer, &info);
        stream_free(s);
        return NULL;
    }
    tf_fdsrc_record(&s->rf->fs, false);
    if (other_shard(src, display)) {
        stream_free(s);
        return NULL;
    }
    if (rel && !globs_match(src, rel)) {
        tf_verbosef("%s: skipped (filtered out by --include/--exclude)", display);
        src->stats.skipped_files++;
        stream_free(s);
        return NULL;
    }
    char why[80];
    if (rel && s->state >= 0 && !looks_like_log(src, s, why, sizeof why)) {
        tf_notef("%s: skipped: %s", display, why);
        src->stats.skipped_files++;
        stream_free(s);
        return NULL;
    }
    seen_add(src, s->rf->fd, display);
    return s;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *path_join(const char *dir, const char *name)
{
    size_t n = strlen(dir);
    if (n == 0)
        return tf_xstrdup(name);
    return tf_xasprintf("%s%s%s", dir, dir[n - 1] == '/' ? "" : "/", name);
}

/* Lists a directory (sorted byte-wise) onto the walk stack. */
static void walk_push(tf_source *src, const char *dir, const char *rel)
{
    DIR *d = opendir(dir);
    if (!d) {
        report(src, "%s: cannot read the directory: %s", dir, strerror(errno));
        return;
    }
    walkdir w = { tf_xstrdup(dir), tf_xstrdup(rel), NULL, 0, 0 };
    size_t cap = 0;
    struct dirent *de;
    errno = 0;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (w.n == cap) {
            cap = cap ? cap * 2 : 16;
            w.names = tf_xrealloc(w.names, cap * sizeof *w.names);
        }
        w.names[w.n++] = tf_xstrdup(de->d_name);
        errno = 0;
    }
    if (errno != 0) {
        report(src, "%s: error reading the directory: %s", dir, strerror(errno));
    }
    closedir(d);
    if (w.n > 1)
        qsort(w.names, w.n, sizeof *w.names, cmp_names);
    if (src->walk_len == src->walk_cap) {
        src->walk_cap = src->walk_cap ? src->walk_cap * 2 : 8;
        src->walk = tf_xrealloc(src->walk, src->walk_cap * sizeof *src->walk);
    }
    src->walk[src->walk_len++] = w;
}

static void walk_pop(tf_source *src)
{
    walkdir *w = &src->walk[--src->walk_len];
    for (size_t i = 0; i < w->n; i++)
        free(w->names[i]);
    free(w->names);
    free(w->dir);
    free(w->rel);
}

/* One step of the directory walk: may return a stream or open a container. */
static tf_stream *walk_step(tf_source *src)
{
    walkdir *w = &src->walk[src->walk_len - 1];
    if (w->i == w->n) {
        walk_pop(src);
        return NULL;
    }
    const char *name = w->names[w->i++];
    char *path = path_join(w->dir, name);
    char *rel = path_join(w->rel, name);
    tf_stream *s = NULL;
    struct stat st;
    if (lstat(path, &st) != 0) {
        report(src, "%s: cannot open: %s", path, strerror(errno));
    } else if (S_ISDIR(st.st_mode)) {
        walk_push(src, path, rel); /* invalidates w */
    } else if (S_ISLNK(st.st_mode) && stat(path, &st) != 0) {
        report(src, "%s: cannot open: %s", path, strerror(errno));
    } else if (!S_ISREG(st.st_mode)) {
        /* Symlinked directories (no loops), FIFOs, sockets, devices. */
        tf_verbosef("%s: skipped (not a regular file)", path);
        src->stats.skipped_files++;
    } else {
        s = open_path(src, path, rel);
    }
    free(path);
    free(rel);
    return s;
}

/* ---- URL inputs ------------------------------------------------------------ */

/* Opens the item the remote just gave: a plain stream, or sets src->ct for
 * a container, or reports and returns NULL. Listed objects (key set) are
 * judged like files found in a directory: containers are read, the rest
 * when the key passes the globs and the content looks like logs. */
static tf_stream *open_remote(tf_source *src, const tf_remote_item *it)
{
    tf_err err;
    tf_remote_body *rb = tf_remote_open(src->remote, &err);
    if (!rb) {
        report(src, "%s", err.msg);
        return NULL;
    }
    tf_stream *s = stream_alloc();
    stream_set_names(s, it->name, it->name, NULL);
    s->info.size = it->size;
    s->info.mtime = it->mtime;
    if (it->etag)
        s->info.etag = s->etag_own = tf_xstrdup(it->etag);
    s->rf = rawfile_remote(rb);
    s->in = &s->rf->pull;
    stream_start(s);
    const char *kind = tf_magic_container(s->peek, s->peek_len);
    if (kind) {
        rawfile *rf = s->rf;
        s->rf = NULL;
        if (rawfile_remote_restart(rf, 0, &err) != 0) {
            report(src, "%s", err.msg);
            rawfile_free(rf);
        } else {
            src->ct = container_open(src, rf, it->name, it->name, kind, s->info.compression, &s->info);
        }
        stream_free(s);
        return NULL;
    }
    if (it->key && !globs_match(src, it->key)) {
        tf_verbosef("%s: skipped (filtered out by --include/--exclude)", it->name);
        src->stats.skipped_files++;
        stream_free(s);
        return NULL;
    }
    char why[80];
    if (it->key && s->state >= 0 && !looks_like_log(src, s, why, sizeof why)) {
        tf_notef("%s: skipped: %s", it->name, why);
        src->stats.skipped_files++;
        stream_free(s);
        return NULL;
    }
    return s;
}

static bool excluded(const tf_source *src, const char *key)
{
    for (size_t i = 0; i < src->n_exclude; i++)
        if (tf_glob_match(src->exclude[i], key))
            return true;
    return false;
}

/* One item of the URL input: may return a stream or open a container. */
static tf_stream *remote_step(tf_source *src)
{
    tf_remote_item it;
    tf_err err;
    int rc = tf_remote_next(src->remote, &it, &err);
    if (rc <= 0) {
        if (rc < 0)
            report(src, "%s", err.msg);
        tf_remote_free(src->remote);
        src->remote = NULL;
        return NULL;
    }
    if (it.key && excluded(src, it.key)) { /* decided on the key alone: no request */
        tf_verbosef("%s: skipped (matches an --exclude glob)", it.name);
        src->stats.skipped_files++;
        return NULL;
    }
    if (other_shard(src, it.name)) /* objects, archives or not, by key: no request */
        return NULL;
    return open_remote(src, &it);
}

static tf_stream *input_step(tf_source *src)
{
    const char *path = src->paths[src->next_path++];
    src->stats.inputs++;
    struct stat st;
    if (tf_remote_is_url(path)) {
        tf_err err;
        src->remote = tf_remote_new(path, &src->ropts, &err);
        if (!src->remote)
            report(src, "%s", err.msg);
        return NULL;
    }
    if (strcmp(path, "-") != 0) {
        if (stat(path, &st) != 0) {
            report(src, "%s: cannot open: %s", path, strerror(errno));
            return NULL;
        }
        if (S_ISDIR(st.st_mode)) {
            walk_push(src, path, "");
            return NULL;
        }
    }
    return open_path(src, path, NULL);
}

static char **copy_strv(const char *const *v, size_t n)
{
    char **out = tf_xcalloc(n ? n : 1, sizeof *out);
    for (size_t i = 0; i < n; i++)
        out[i] = tf_xstrdup(v[i]);
    return out;
}

tf_source *tf_source_new(const char *const *paths, size_t n_paths, const tf_source_opts *opts)
{
    tf_source *src = tf_xcalloc(1, sizeof *src);
    src->paths = copy_strv(paths, n_paths);
    src->n_paths = n_paths;
    size_t n_inc = opts && opts->include ? opts->n_include : 0;
    src->include = copy_strv(n_inc ? opts->include : NULL, n_inc);
    src->n_include = n_inc;
    size_t n_exc = opts && opts->exclude ? opts->n_exclude : 0;
    src->exclude = copy_strv(n_exc ? opts->exclude : NULL, n_exc);
    src->n_exclude = n_exc;
    if (opts) {
        src->on_error = opts->on_error;
        src->on_error_ctx = opts->on_error_ctx;
        src->logs = opts->logs;
        src->shard_k = opts->shard_k;
        src->shard_n = opts->shard_n;
        src->stopping = opts->stopping;
        src->stopping_ctx = opts->stopping_ctx;
        if (opts->s3_endpoint)
            src->s3_endpoint = tf_xstrdup(opts->s3_endpoint);
        src->ropts.s3_path_style = opts->s3_path_style;
    }
    src->ropts.s3_endpoint = src->s3_endpoint;
    return src;
}

int tf_source_next(tf_source *src, tf_stream **out)
{
    if (src->cur)
        tf_stream_close(src->cur);
    for (;;) {
        tf_stream *s = NULL;
        if (src->ct)
            s = container_next(src);
        else if (src->remote)
            s = remote_step(src);
        else if (src->walk_len > 0)
            s = walk_step(src);
        else if (src->next_path < src->n_paths)
            s = input_step(src);
        else
            return 0;
        if (s) {
            s->owner = src;
            src->cur = s;
            src->stats.streams++;
            *out = s;
            return 1;
        }
    }
}

const tf_source_stats *tf_source_stats_get(const tf_source *src)
{
    return &src->stats;
}

void tf_source_free(tf_source *src)
{
    if (!src)
        return;
    if (src->cur)
        tf_stream_close(src->cur);
    container_free(src->ct);
    tf_remote_free(src->remote);
    free(src->s3_endpoint);
    while (src->walk_len > 0)
        walk_pop(src);
    free(src->walk);
    for (size_t i = 0; i < src->n_paths; i++)
        free(src->paths[i]);
    free(src->paths);
    for (size_t i = 0; i < src->n_include; i++)
        free(src->include[i]);
    free(src->include);
    for (size_t i = 0; i < src->n_exclude; i++)
        free(src->exclude[i]);
    free(src->exclude);
    for (size_t i = 0; i < src->seen_cap; i++)
        free(src->seen[i].name);
    free(src->seen);
    free(src);
}

uint64_t tf_source_raw_read(const tf_source *src)
{
    const rawfile *rf = src->ct ? src->ct->rf : src->cur ? src->cur->rf : NULL;
    return src->raw_done + (rf ? rf->pull.pos : 0);
}

/* Adds the sizes of the regular files below dir (symlinked directories are
 * not followed, as the walk does not follow them). */
static uint64_t tree_size(const char *dir, int depth)
{
    DIR *d = depth < 64 ? opendir(dir) : NULL;
    if (!d)
        return 0;
    uint64_t total = 0;
    for (struct dirent *de; (de = readdir(d)) != NULL;) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        char *path = path_join(dir, de->d_name);
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
            total += tree_size(path, depth + 1);
        else if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
            total += (uint64_t)st.st_size;
        free(path);
    }
    closedir(d);
    return total;
}

uint64_t tf_source_total_bytes(const char *const *paths, size_t n_paths, bool *complete)
{
    uint64_t total = 0;
    *complete = true;
    for (size_t i = 0; i < n_paths; i++) {
        struct stat st;
        if (!strcmp(paths[i], "-") || stat(paths[i], &st) != 0) {
            *complete = false; /* stdin, or an input that will fail to open */
            continue;
        }
        if (S_ISDIR(st.st_mode))
            total += tree_size(paths[i], 0);
        else if (S_ISREG(st.st_mode))
            total += (uint64_t)st.st_size;
        else
            *complete = false;
    }
    return total;
}
