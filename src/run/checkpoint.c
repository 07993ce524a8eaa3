/* checkpoint.c: acknowledged-progress tracking, the checkpoint file, its lock
 * and `tracefill status`. See checkpoint.h for the consistency rules. */
#include "config.h"
#include "run/checkpoint.h"
#include "common/json.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "input/remote/remote.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    char *key; /* absolute path (or the URL), plus ":" and the member for archive members */
    char *name, *path, *member;
    char *etag; /* remote objects: the ETag, NULL otherwise */
    int64_t size, mtime;
    char fp[65];
    uint64_t fp_len;
    uint64_t offset; /* acknowledged decoded offset */
    uint64_t raw;    /* about where that is in the raw bytes (for status) */
    uint64_t records; /* records acknowledged, over every run */
    bool done;
    char *error;
    uint64_t updated_ns; /* wall clock of the last advance */
    char *pending_error; /* this run: error to record once the stream is done */
} ck_stream;

typedef struct {
    bool acked;
    tf_mark *marks;
    size_t n_marks;
    uint64_t rejects_size, output_size;
} ck_batch;

struct tf_ckpt {
    char *path, *tmp_path, *lock_path;
    int lock_fd;
    ck_stream *s;
    size_t n, cap;
    size_t *slot_idx; /* slot → index in s */
    size_t n_slots;
    ck_batch *q; /* batches closed and not yet below the watermark; q[i] is seq base+i-head */
    size_t q_head, q_len, q_cap;
    uint64_t base_seq;
    bool have_base;
    /* at the watermark */
    uint64_t rejects_size, output_size, manifest_size;
    char *output_path, *rejects_path, *manifest_path;
    /* from the loaded file */
    int64_t old_output_size, old_rejects_size, old_manifest_size;
    char *old_output_path, *old_rejects_path, *old_manifest_path;
    bool dirty;
    uint64_t last_write_ns, interval_ns;
};

static char *stream_key(const tf_stream_info *info)
{
    char *abs = NULL;
    if (strcmp(info->path, "-") && !tf_remote_is_url(info->path))
        abs = realpath(info->path, NULL);
    const char *p = abs ? abs : info->path;
    char *key = info->member ? tf_xasprintf("%s:%s", p, info->member) : tf_xstrdup(p);
    free(abs);
    return key;
}

static ck_stream *add_stream(tf_ckpt *c)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 16;
        c->s = tf_xrealloc(c->s, c->cap * sizeof *c->s);
    }
    ck_stream *s = &c->s[c->n++];
    memset(s, 0, sizeof *s);
    s->size = -1;
    return s;
}

static void free_stream(ck_stream *s)
{
    free(s->key);
    free(s->name);
    free(s->path);
    free(s->member);
    free(s->etag);
    free(s->error);
    free(s->pending_error);
}

/* ---- loading ---------------------------------------------------------------- */

static char *dup_json_str(const tf_json *v)
{
    return v && v->type == TF_JSON_STRING ? tf_xstrndup(v->str.p, v->str.len) : NULL;
}

static int64_t json_i64(const tf_json *v, int64_t dflt)
{
    int64_t x;
    return tf_json_as_int64(v, &x) ? x : dflt;
}

/* A count the checkpoint holds (a size, offset or number of records): absent
 * is dflt; anything but an integer >= min is a damaged checkpoint. */
static int count_field(const tf_ckpt *c, const tf_json *obj, const char *where, const char *key, int64_t min,
                       int64_t dflt, int64_t *out, tf_err *err)
{
    const tf_json *v = tf_json_get(obj, key);
    *out = dflt;
    if (!v)
        return 0;
    if (!tf_json_as_int64(v, out) || *out < min)
        return tf_err_set(err, "checkpoint %s: %s: \"%s\" is not a count of bytes or records; move it away to start over",
                          c->path, where, key);
    return 0;
}

/* The sizes and offsets of one stream entry, checked. */
static int load_counts(const tf_ckpt *c, const tf_json *e, ck_stream *s, tf_err *err)
{
    int64_t size, fp, off, raw, rec;
    if (count_field(c, e, s->name, "size", -1, -1, &size, err) || count_field(c, e, s->name, "fingerprint_bytes", 0, 0, &fp, err) ||
        count_field(c, e, s->name, "offset", 0, 0, &off, err) || count_field(c, e, s->name, "raw_offset", 0, 0, &raw, err) ||
        count_field(c, e, s->name, "records", 0, 0, &rec, err))
        return -1;
    if (size >= 0 && raw > size)
        return tf_err_set(err, "checkpoint %s: %s: \"raw_offset\" %lld is past its size %lld; move it away to start over",
                          c->path, s->name, (long long)raw, (long long)size);
    s->size = size;
    s->fp_len = (uint64_t)fp;
    s->offset = (uint64_t)off;
    s->raw = (uint64_t)raw;
    s->records = (uint64_t)rec;
    return 0;
}

/* The recorded path and size of the output, rejects file or manifest. */
static int load_file(const tf_ckpt *c, const tf_json *root, const char *key, char **path, int64_t *size, tf_err *err)
{
    const tf_json *f = tf_json_get(root, key);
    if (!f || f->type != TF_JSON_OBJECT)
        return 0;
    *path = dup_json_str(tf_json_get(f, "path"));
    return count_field(c, f, key, "size", 0, -1, size, err);
}

static int load(tf_ckpt *c, const char *text, size_t len, tf_err *err)
{
    tf_json_parser *p = tf_json_parser_new();
    tf_arena a;
    tf_arena_init(&a, 64 * 1024);
    tf_err perr;
    int rc = -1;
    tf_json *root = tf_json_parse_one(p, &a, text, len, &perr);
    const tf_json *streams = root ? tf_json_get(root, "streams") : NULL;
    int64_t version = root ? json_i64(tf_json_get(root, "version"), -1) : -1;
    if (!root) {
        tf_err_set(err, "checkpoint %s is not valid JSON (%s); move it away to start over", c->path, perr.msg);
    } else if (version != 1 || !streams || streams->type != TF_JSON_ARRAY) {
        tf_err_set(err, "checkpoint %s is not a tracefill checkpoint (version 1 with a streams array)", c->path);
    } else {
        for (size_t i = 0; i < streams->n; i++) {
            const tf_json *e = streams->items[i];
            const tf_json *key = tf_json_get(e, "key");
            if (!key || key->type != TF_JSON_STRING)
                continue;
            ck_stream *s = add_stream(c);
            s->key = dup_json_str(key);
            s->name = dup_json_str(tf_json_get(e, "name"));
            s->path = dup_json_str(tf_json_get(e, "path"));
            s->member = dup_json_str(tf_json_get_nn(e, "member"));
            s->etag = dup_json_str(tf_json_get_nn(e, "etag"));
            s->mtime = json_i64(tf_json_get(e, "mtime"), 0);
            /* 64 hex digits or nothing: it is written back as it is. */
            const tf_json *fp = tf_json_get(e, "fingerprint");
            uint8_t bin[32];
            if (fp && fp->type == TF_JSON_STRING && fp->str.len == 64 && tf_hex_decode(bin, fp->str.p, 32) == 0)
                memcpy(s->fp, fp->str.p, 65);
            const tf_json *done = tf_json_get(e, "done");
            s->done = done && done->type == TF_JSON_BOOL && done->boolean;
            s->error = dup_json_str(tf_json_get_nn(e, "error"));
            s->updated_ns = (uint64_t)json_i64(tf_json_get(e, "updated_unix_nano"), 0);
            if (!s->name)
                s->name = tf_xstrdup(s->key);
            if (!s->path)
                s->path = tf_xstrdup(s->key);
            if (load_counts(c, e, s, err) != 0)
                goto out;
        }
        if (load_file(c, root, "output", &c->old_output_path, &c->old_output_size, err) ||
            load_file(c, root, "rejects", &c->old_rejects_path, &c->old_rejects_size, err) ||
            load_file(c, root, "manifest", &c->old_manifest_path, &c->old_manifest_size, err))
            goto out;
        rc = 0;
    }
out:
    tf_arena_free(&a);
    tf_json_parser_free(p);
    return rc;
}

static int read_file(const char *path, tf_buf *out, tf_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return 1;
        tf_err_set(err, "cannot read checkpoint %s: %s", path, strerror(errno));
        return -1;
    }
    char tmp[65536];
    ssize_t n;
    while ((n = read(fd, tmp, sizeof tmp)) > 0)
        tf_buf_append(out, tmp, (size_t)n);
    int e = errno;
    close(fd);
    if (n < 0) {
        tf_err_set(err, "cannot read checkpoint %s: %s", path, strerror(e));
        return -1;
    }
    return 0;
}

/* ---- writing ---------------------------------------------------------------- */

static void put_str_or_null(tf_buf *b, const char *s)
{
    if (s)
        tf_json_write_string(b, s, strlen(s));
    else
        tf_buf_puts(b, "null");
}

static void render(const tf_ckpt *c, tf_buf *b)
{
    char when[31];
    tf_time_format(tf_now_wall_ns(), when);
    tf_buf_printf(b, "{\n  \"version\": 1,\n  \"tool\": \"tracefill %s\",\n  \"updated\": \"%s\",\n",
                  PACKAGE_VERSION, when);
    const struct {
        const char *name, *path;
        uint64_t size;
    } files[] = { { "output", c->output_path, c->output_size },
                  { "rejects", c->rejects_path, c->rejects_size },
                  { "manifest", c->manifest_path, c->manifest_size } };
    for (size_t i = 0; i < TF_ARRAY_LEN(files); i++) {
        if (!files[i].path)
            continue;
        tf_buf_printf(b, "  \"%s\": {\"path\": ", files[i].name);
        put_str_or_null(b, files[i].path);
        tf_buf_printf(b, ", \"size\": %llu},\n", (unsigned long long)files[i].size);
    }
    tf_buf_puts(b, "  \"streams\": [");
    for (size_t i = 0; i < c->n; i++) {
        const ck_stream *s = &c->s[i];
        tf_buf_puts(b, i ? ",\n    {" : "\n    {");
        tf_buf_puts(b, "\"key\": ");
        put_str_or_null(b, s->key);
        tf_buf_puts(b, ", \"name\": ");
        put_str_or_null(b, s->name);
        tf_buf_puts(b, ", \"path\": ");
        put_str_or_null(b, s->path);
        tf_buf_puts(b, ", \"member\": ");
        put_str_or_null(b, s->member);
        if (s->etag) {
            tf_buf_puts(b, ", \"etag\": ");
            put_str_or_null(b, s->etag);
        }
        tf_buf_printf(b, ", \"size\": %lld, \"mtime\": %lld, \"fingerprint\": \"%s\", \"fingerprint_bytes\": %llu",
                      (long long)s->size, (long long)s->mtime, s->fp, (unsigned long long)s->fp_len);
        tf_buf_printf(b, ", \"offset\": %llu, \"raw_offset\": %llu, \"records\": %llu, \"done\": %s",
                      (unsigned long long)s->offset, (unsigned long long)s->raw, (unsigned long long)s->records,
                      s->done ? "true" : "false");
        tf_buf_puts(b, ", \"error\": ");
        put_str_or_null(b, s->error);
        tf_buf_printf(b, ", \"updated_unix_nano\": %llu}", (unsigned long long)s->updated_ns);
    }
    tf_buf_puts(b, c->n ? "\n  ]\n}\n" : "]\n}\n");
}

static int write_file(tf_ckpt *c, tf_err *err)
{
    tf_buf b = { 0 };
    render(c, &b);
    int fd = open(c->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int rc = -1;
    if (fd < 0 || tf_write_all(fd, b.p, b.len) != 0 || fsync(fd) != 0) {
        tf_err_set(err, "cannot write checkpoint %s: %s", c->tmp_path, strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(c->tmp_path);
        }
    } else if (close(fd) != 0 || rename(c->tmp_path, c->path) != 0) {
        tf_err_set(err, "cannot replace checkpoint %s: %s", c->path, strerror(errno));
        unlink(c->tmp_path);
    } else {
        /* Make the rename itself durable. */
        char *dir = tf_xstrdup(c->path);
        char *slash = strrchr(dir, '/');
        if (slash)
            slash[slash == dir ? 1 : 0] = '\0';
        int dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
        free(dir);
        rc = 0;
    }
    tf_buf_free(&b);
    return rc;
}

/* ---- lifecycle -------------------------------------------------------------- */

static int take_lock(tf_ckpt *c, tf_err *err)
{
    c->lock_fd = open(c->lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (c->lock_fd < 0) {
        tf_err_set(err, "cannot create the lock %s: %s", c->lock_path, strerror(errno));
        return -1;
    }
    char old[64] = "";
    ssize_t n = pread(c->lock_fd, old, sizeof old - 1, 0);
    old[n > 0 ? n : 0] = '\0';
    old[strcspn(old, "\n")] = '\0';
    if (flock(c->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK)
            tf_err_set(err, "checkpoint %s is in use by another tracefill run (pid %s); "
                                "wait for it to finish or stop it first",
                                c->path, old[0] ? old : "unknown");
        else
            tf_err_set(err, "cannot lock %s: %s", c->lock_path, strerror(errno));
        close(c->lock_fd);
        c->lock_fd = -1;
        return -1;
    }
    /* flock dies with its process: a leftover pid here is a stale lock. */
    if (old[0] && atoll(old) != (long long)getpid())
        tf_notef("taking over the stale lock %s left by pid %s", c->lock_path, old);
    char pid[32];
    int len = snprintf(pid, sizeof pid, "%lld\n", (long long)getpid());
    if (ftruncate(c->lock_fd, 0) != 0 || pwrite(c->lock_fd, pid, (size_t)len, 0) != len) {
        tf_err_set(err, "cannot write the lock %s: %s", c->lock_path, strerror(errno));
        return -1;
    }
    return 0;
}

static tf_ckpt *ckpt_new(void)
{
    tf_ckpt *c = tf_xcalloc(1, sizeof *c);
    c->lock_fd = -1;
    c->old_output_size = c->old_rejects_size = c->old_manifest_size = -1;
    return c;
}

/* The file a checkpoint path names, with symbolic links followed (also one
 * to a file not there yet): the lock and the rename must act on that file,
 * or a second run through a link would not be refused and the first save
 * would replace the link with a file. A fresh string, or NULL (err set). */
static char *follow_links(const char *path, tf_err *err)
{
    char *cur = tf_xstrdup(path);
    for (int hops = 0;; hops++) {
        struct stat st;
        if (lstat(cur, &st) != 0 || !S_ISLNK(st.st_mode))
            return cur;
        if (hops == 16) {
            tf_err_set(err, "checkpoint %s: too many levels of symbolic links", path);
            break;
        }
        char target[4096];
        ssize_t n = readlink(cur, target, sizeof target - 1);
        if (n < 0) {
            tf_err_set(err, "checkpoint %s: cannot read the link %s: %s", path, cur, strerror(errno));
            break;
        }
        target[n] = '\0';
        const char *slash = strrchr(cur, '/');
        char *next = target[0] == '/' || !slash ? tf_xstrdup(target)
                                               : tf_xasprintf("%.*s/%s", (int)(slash - cur), cur, target);
        free(cur);
        cur = next;
    }
    free(cur);
    return NULL;
}

tf_ckpt *tf_ckpt_open(const char *path, uint64_t interval_ns, tf_err *err)
{
    tf_ckpt *c = ckpt_new();
    c->interval_ns = interval_ns;
    if (!path)
        return c;
    c->path = follow_links(path, err);
    if (!c->path) {
        tf_ckpt_free(c);
        return NULL;
    }
    path = c->path;
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        /* It is replaced by a rename on every write: never a device or a pipe. */
        tf_err_set(err, "checkpoint %s: not a regular file; give a file's path", path);
        tf_ckpt_free(c);
        return NULL;
    }
    c->tmp_path = tf_xasprintf("%s.tmp", path);
    c->lock_path = tf_xasprintf("%s.lock", path);
    if (take_lock(c, err) != 0) {
        tf_ckpt_free(c);
        return NULL;
    }
    tf_buf text = { 0 };
    int r = read_file(path, &text, err);
    if (r < 0 || (r == 0 && load(c, text.p ? text.p : "", text.len, err) != 0)) {
        tf_buf_free(&text);
        tf_ckpt_free(c);
        return NULL;
    }
    tf_buf_free(&text);
    /* Until the caller names this run's files, the earlier run's stand: a
     * kill right after this first write must not lose where they ended. */
    if (c->old_output_path && c->old_output_size >= 0) {
        c->output_path = tf_xstrdup(c->old_output_path);
        c->output_size = (uint64_t)c->old_output_size;
    }
    if (c->old_rejects_path && c->old_rejects_size >= 0) {
        c->rejects_path = tf_xstrdup(c->old_rejects_path);
        c->rejects_size = (uint64_t)c->old_rejects_size;
    }
    if (c->old_manifest_path && c->old_manifest_size >= 0) {
        c->manifest_path = tf_xstrdup(c->old_manifest_path);
        c->manifest_size = (uint64_t)c->old_manifest_size;
    }
    /* Prove now, before anything is sent, that the checkpoint can be written. */
    if (write_file(c, err) != 0) {
        tf_ckpt_free(c);
        return NULL;
    }
    c->last_write_ns = tf_now_mono_ns();
    return c;
}

void tf_ckpt_free(tf_ckpt *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        free_stream(&c->s[i]);
    free(c->s);
    for (size_t i = 0; i < c->q_len; i++)
        free(c->q[(c->q_head + i) % (c->q_cap ? c->q_cap : 1)].marks);
    free(c->q);
    free(c->slot_idx);
    if (c->lock_fd >= 0) {
        unlink(c->lock_path); /* still holding the lock: nobody else can be using it */
        close(c->lock_fd);
    }
    free(c->path);
    free(c->tmp_path);
    free(c->lock_path);
    free(c->output_path);
    free(c->rejects_path);
    free(c->old_output_path);
    free(c->old_rejects_path);
    free(c->manifest_path);
    free(c->old_manifest_path);
    free(c);
}

static int64_t old_size_for(const char *old_path, int64_t old_size, const char *path)
{
    if (!old_path || !path || strcmp(old_path, path))
        return -1;
    return old_size;
}

int64_t tf_ckpt_output_size(const tf_ckpt *c, const char *output_path)
{
    return old_size_for(c->old_output_path, c->old_output_size, output_path);
}

int64_t tf_ckpt_rejects_size(const tf_ckpt *c, const char *rejects_path)
{
    return old_size_for(c->old_rejects_path, c->old_rejects_size, rejects_path);
}

int64_t tf_ckpt_manifest_size(const tf_ckpt *c, const char *manifest_path)
{
    return old_size_for(c->old_manifest_path, c->old_manifest_size, manifest_path);
}

void tf_ckpt_set_manifest(tf_ckpt *c, const char *path, uint64_t size)
{
    if (!c->manifest_path || !path || strcmp(c->manifest_path, path)) {
        free(c->manifest_path);
        c->manifest_path = path ? tf_xstrdup(path) : NULL;
    }
    if (c->manifest_size != size)
        c->dirty = true;
    c->manifest_size = size;
}

void tf_ckpt_set_files(tf_ckpt *c, const char *output_path, const char *rejects_path)
{
    free(c->output_path);
    free(c->rejects_path);
    c->output_path = output_path ? tf_xstrdup(output_path) : NULL;
    c->rejects_path = rejects_path ? tf_xstrdup(rejects_path) : NULL;
    int64_t o = tf_ckpt_output_size(c, output_path), r = tf_ckpt_rejects_size(c, rejects_path);
    c->output_size = o > 0 ? (uint64_t)o : 0;
    c->rejects_size = r > 0 ? (uint64_t)r : 0;
}

/* ---- streams ---------------------------------------------------------------- */

static void set_identity(ck_stream *s, const tf_stream_info *info)
{
    free(s->name);
    free(s->path);
    free(s->member);
    free(s->etag);
    s->name = tf_xstrdup(info->name);
    s->path = tf_xstrdup(info->path);
    s->member = info->member ? tf_xstrdup(info->member) : NULL;
    s->etag = info->etag ? tf_xstrdup(info->etag) : NULL;
    s->size = info->size;
    s->mtime = info->mtime;
    tf_hex_encode(s->fp, info->fingerprint, 32);
    s->fp[64] = '\0';
    s->fp_len = info->fp_len;
}

tf_ckpt_verdict tf_ckpt_stream_begin(tf_ckpt *c, uint32_t slot, const tf_stream_info *info,
                                     uint64_t *offset, tf_err *why)
{
    *offset = 0;
    char *key = stream_key(info);
    size_t idx = c->n;
    for (size_t i = 0; i < c->n; i++)
        if (!strcmp(c->s[i].key, key)) {
            idx = i;
            break;
        }
    if (slot >= c->n_slots) {
        size_t n = (size_t)slot + 1 > c->n_slots * 2 ? (size_t)slot + 1 : c->n_slots * 2;
        c->slot_idx = tf_xrealloc(c->slot_idx, n * sizeof *c->slot_idx);
        c->n_slots = n;
    }
    if (idx == c->n) {
        ck_stream *s = add_stream(c);
        s->key = key;
        set_identity(s, info);
        c->slot_idx[slot] = idx;
        c->dirty = true;
        return TF_CKPT_START;
    }
    free(key);
    c->slot_idx[slot] = idx;
    ck_stream *s = &c->s[idx];
    char fp[65];
    tf_hex_encode(fp, info->fingerprint, 32);
    fp[64] = '\0';
    if (s->size != info->size) {
        tf_err_set(why, "%s: size is %lld bytes, the checkpoint saw %lld (grown, truncated or replaced)",
                            info->name, (long long)info->size, (long long)s->size);
        return TF_CKPT_CHANGED;
    }
    if (s->etag && info->etag && strcmp(s->etag, info->etag)) {
        tf_err_set(why, "%s: ETag is \"%s\", the checkpoint saw \"%s\" (the object was replaced)", info->name,
                   info->etag, s->etag);
        return TF_CKPT_CHANGED;
    }
    if (s->fp_len != info->fp_len || strcmp(s->fp, fp)) {
        tf_err_set(why, "%s: the first %llu bytes differ from what the checkpoint saw (replaced)",
                            info->name, (unsigned long long)info->fp_len);
        return TF_CKPT_CHANGED;
    }
    set_identity(s, info);
    if (s->done)
        return TF_CKPT_SKIP;
    *offset = s->offset;
    return s->offset ? TF_CKPT_RESUME : TF_CKPT_START;
}

void tf_ckpt_stream_restart(tf_ckpt *c, uint32_t slot, const tf_stream_info *info)
{
    ck_stream *s = &c->s[c->slot_idx[slot]];
    set_identity(s, info);
    s->offset = s->raw = s->records = 0;
    s->done = false;
    free(s->error);
    s->error = NULL;
    c->dirty = true;
}

void tf_ckpt_stream_error(tf_ckpt *c, uint32_t slot, const char *error)
{
    ck_stream *s = &c->s[c->slot_idx[slot]];
    free(s->pending_error);
    s->pending_error = tf_xstrdup(error);
}

/* ---- batches and the watermark ------------------------------------------------ */

void tf_ckpt_batch_closed(tf_ckpt *c, const tf_batch *b)
{
    if (!c->have_base) {
        c->base_seq = b->seq;
        c->have_base = true;
    }
    if (c->q_len == c->q_cap) {
        size_t cap = c->q_cap ? c->q_cap * 2 : 16;
        ck_batch *q = tf_xmalloc(cap * sizeof *q);
        for (size_t i = 0; i < c->q_len; i++)
            q[i] = c->q[(c->q_head + i) % c->q_cap];
        free(c->q);
        c->q = q;
        c->q_cap = cap;
        c->q_head = 0;
    }
    ck_batch *e = &c->q[(c->q_head + c->q_len++) % c->q_cap];
    memset(e, 0, sizeof *e);
    e->rejects_size = b->rejects_size;
    if (b->n_marks) {
        e->marks = tf_xmalloc(b->n_marks * sizeof *e->marks);
        memcpy(e->marks, b->marks, b->n_marks * sizeof *e->marks);
        e->n_marks = b->n_marks;
    }
}

void tf_ckpt_batch_acked(tf_ckpt *c, uint64_t seq, uint64_t output_size)
{
    if (!c->have_base || seq < c->base_seq || seq - c->base_seq >= c->q_len)
        return;
    ck_batch *e = &c->q[(c->q_head + (seq - c->base_seq)) % c->q_cap];
    e->acked = true;
    e->output_size = output_size;
    uint64_t now = 0;
    while (c->q_len && c->q[c->q_head].acked) {
        ck_batch *h = &c->q[c->q_head];
        if (!now)
            now = tf_now_wall_ns();
        for (size_t i = 0; i < h->n_marks; i++) {
            const tf_mark *m = &h->marks[i];
            if (m->stream >= c->n_slots)
                continue;
            ck_stream *s = &c->s[c->slot_idx[m->stream]];
            s->offset = m->end;
            if (m->raw > s->raw)
                s->raw = m->raw;
            s->records += m->records;
            s->updated_ns = now;
            if (m->eof) {
                s->done = true;
                free(s->error);
                s->error = s->pending_error;
                s->pending_error = NULL;
            }
        }
        c->rejects_size = h->rejects_size;
        c->output_size = h->output_size;
        free(h->marks);
        c->q_head = (c->q_head + 1) % c->q_cap;
        c->q_len--;
        c->base_seq++;
        c->dirty = true;
    }
}

int tf_ckpt_maybe_write(tf_ckpt *c, bool force, int (*sync_fn)(void *, tf_err *), void *sync_ctx, tf_err *err)
{
    if (!c->path || (!c->dirty && !force))
        return 0;
    uint64_t now = tf_now_mono_ns();
    if (!force && now - c->last_write_ns < c->interval_ns)
        return 0;
    if (sync_fn && sync_fn(sync_ctx, err) != 0)
        return -1;
    if (write_file(c, err) != 0)
        return -1;
    c->dirty = false;
    c->last_write_ns = now;
    return 0;
}

/* ---- reading for `status` ---------------------------------------------------- */

tf_ckpt *tf_ckpt_load(const char *path, tf_err *err)
{
    tf_ckpt *c = ckpt_new();
    c->path = tf_xstrdup(path);
    tf_buf text = { 0 };
    int r = read_file(path, &text, err);
    if (r == 1)
        tf_err_set(err, "checkpoint %s does not exist (no run has used it yet)", path);
    if (r != 0 || load(c, text.p ? text.p : "", text.len, err) != 0) {
        tf_buf_free(&text);
        tf_ckpt_free(c);
        return NULL;
    }
    tf_buf_free(&text);
    free(c->path); /* read-only: never written */
    c->path = NULL;
    return c;
}

size_t tf_ckpt_count(const tf_ckpt *c)
{
    return c->n;
}

void tf_ckpt_entry_get(const tf_ckpt *c, size_t i, tf_ckpt_entry *e)
{
    const ck_stream *s = &c->s[i];
    *e = (tf_ckpt_entry){ .name = s->name, .path = s->path, .size = s->size, .offset = s->offset,
                          .raw = s->raw, .records = s->records, .done = s->done, .error = s->error,
                          .updated_ns = s->updated_ns };
}

uint64_t tf_ckpt_slot_records(const tf_ckpt *c, uint32_t slot)
{
    return slot < c->n_slots ? c->s[c->slot_idx[slot]].records : 0;
}

bool tf_ckpt_slot_started(const tf_ckpt *c, uint32_t slot)
{
    if (slot >= c->n_slots)
        return false;
    const ck_stream *s = &c->s[c->slot_idx[slot]];
    return s->updated_ns != 0 || s->done;
}
