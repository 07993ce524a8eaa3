/* decode.c: raw pull sources (fd, memory), magic-number detection and the
 * decoders: zlib for gzip (multi-member), libzstd for zstd (multi-frame, long
 * windows), libarchive's raw format for everything else. */
#include "config.h"
#include "input/decode.h"

#include <archive.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

/* ---- pulls --------------------------------------------------------------- */

void tf_pull_init(tf_pull *pl, tf_pull_fn fn, void *ctx)
{
    memset(pl, 0, sizeof *pl);
    pl->fn = fn;
    pl->ctx = ctx;
}

void tf_pull_reset(tf_pull *pl)
{
    pl->pos = 0;
    pl->pk_len = pl->pk_pos = 0;
    pl->rest = NULL;
    pl->rest_len = 0;
    pl->state = 0;
    tf_err_clear(&pl->err);
}

ssize_t tf_pull_next(tf_pull *pl, const uint8_t **p, size_t max)
{
    size_t n;
    if (max == 0)
        return 0;
    if (pl->pk_pos < pl->pk_len) {
        n = TF_MIN(pl->pk_len - pl->pk_pos, max);
        *p = pl->pk + pl->pk_pos;
        pl->pk_pos += n;
    } else if (pl->rest_len > 0) {
        n = TF_MIN(pl->rest_len, max);
        *p = pl->rest;
        pl->rest += n;
        pl->rest_len -= n;
    } else {
        if (pl->state != 0)
            return pl->state > 0 ? 0 : -1;
        const uint8_t *c;
        ssize_t r = pl->fn(pl, &c);
        if (r <= 0) {
            pl->state = r == 0 ? 1 : -1;
            return r == 0 ? 0 : -1;
        }
        n = TF_MIN((size_t)r, max);
        *p = c;
        pl->rest = c + n;
        pl->rest_len = (size_t)r - n;
    }
    pl->pos += n;
    return (ssize_t)n;
}

ssize_t tf_pull_peek(tf_pull *pl, size_t want, const uint8_t **p)
{
    if (want > TF_PULL_PEEK_MAX)
        want = TF_PULL_PEEK_MAX;
    if (pl->pk_pos > 0) {
        memmove(pl->pk, pl->pk + pl->pk_pos, pl->pk_len - pl->pk_pos);
        pl->pk_len -= pl->pk_pos;
        pl->pk_pos = 0;
    }
    while (pl->pk_len < want) {
        if (pl->rest_len == 0) {
            if (pl->state != 0)
                break;
            const uint8_t *c;
            ssize_t r = pl->fn(pl, &c);
            if (r <= 0) {
                pl->state = r == 0 ? 1 : -1;
                break;
            }
            pl->rest = c;
            pl->rest_len = (size_t)r;
        }
        size_t k = TF_MIN(want - pl->pk_len, pl->rest_len);
        memcpy(pl->pk + pl->pk_len, pl->rest, k);
        pl->pk_len += k;
        pl->rest += k;
        pl->rest_len -= k;
    }
    *p = pl->pk;
    return (ssize_t)pl->pk_len;
}

static ssize_t fd_pull(tf_pull *pl, const uint8_t **chunk)
{
    tf_fdsrc *fs = pl->ctx;
    size_t want = fs->max_read ? TF_MIN(fs->max_read, TF_INPUT_BUFSIZE) : TF_INPUT_BUFSIZE;
    if (fs->replaying) {
        if (fs->replay_pos < fs->rec.len) {
            size_t n = TF_MIN(fs->rec.len - fs->replay_pos, want);
            *chunk = (const uint8_t *)fs->rec.p + fs->replay_pos;
            fs->replay_pos += n;
            return (ssize_t)n;
        }
        fs->replaying = false;
        tf_buf_free(&fs->rec);
    }
    /* A pipe may stay silent for ever: wait in steps, so a stop request
     * (Ctrl-C) is seen even then. */
    while (!fs->seekable && fs->stopping) {
        if (fs->stopping(fs->stopping_ctx)) {
            tf_err_set(&pl->err, "stopped while waiting for input at byte %llu", (unsigned long long)pl->pos);
            return -1;
        }
        struct pollfd pfd = { .fd = fs->fd, .events = POLLIN };
        if (poll(&pfd, 1, 100) != 0)
            break; /* readable, closed, or an error read() will report */
    }
    ssize_t r;
    do
        r = read(fs->fd, fs->buf, want);
    while (r < 0 && errno == EINTR);
    if (r < 0) {
        tf_err_set(&pl->err, "read error at byte %llu: %s", (unsigned long long)pl->pos, strerror(errno));
        return -1;
    }
    fs->got += (uint64_t)r;
    /* A file cut while it is read ends early: that is no complete input, and
     * its torn last line no bad record. */
    if (r == 0 && fs->seekable && fs->got < (uint64_t)fs->size) {
        tf_err_set(&pl->err, "the file ended at byte %llu, it had %lld when opened: it was truncated or replaced "
                   "while being read", (unsigned long long)fs->got, (long long)fs->size);
        return -1;
    }
    if (r > 0 && fs->recording) {
        if (fs->rec.len + (size_t)r > TF_PULL_RECORD_MAX) {
            fs->recording = false;
            fs->rec_overflow = true;
            tf_buf_free(&fs->rec);
        } else {
            tf_buf_append(&fs->rec, fs->buf, (size_t)r);
        }
    }
    *chunk = fs->buf;
    return r;
}

void tf_fdsrc_init(tf_fdsrc *fs, tf_pull *pl, int fd)
{
    memset(fs, 0, sizeof *fs);
    fs->fd = fd;
    struct stat st;
    fs->seekable = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && lseek(fd, 0, SEEK_CUR) == 0;
    fs->size = fs->seekable ? (int64_t)st.st_size : -1;
    fs->buf = tf_xmalloc(TF_INPUT_BUFSIZE);
    tf_pull_init(pl, fd_pull, fs);
}

void tf_fdsrc_free(tf_fdsrc *fs)
{
    free(fs->buf);
    fs->buf = NULL;
    tf_buf_free(&fs->rec);
}

void tf_fdsrc_record(tf_fdsrc *fs, bool on)
{
    if (on && !fs->seekable) {
        fs->recording = true;
        fs->rec_overflow = false;
        fs->rec.len = 0;
    } else if (!on) {
        fs->recording = false;
        if (!fs->replaying)
            tf_buf_free(&fs->rec);
    }
}

int tf_fdsrc_rewind(tf_fdsrc *fs, tf_pull *pl)
{
    if (fs->seekable) {
        if (lseek(fs->fd, 0, SEEK_SET) != 0)
            return -1;
        fs->got = 0;
    } else {
        if (!fs->recording || fs->rec_overflow)
            return -1;
        fs->recording = false;
        fs->replaying = true;
        fs->replay_pos = 0;
    }
    tf_pull_reset(pl);
    return 0;
}

static ssize_t mem_pull(tf_pull *pl, const uint8_t **chunk)
{
    tf_memsrc *ms = pl->ctx;
    size_t n = ms->n - ms->off;
    if (ms->max_read && n > ms->max_read)
        n = ms->max_read;
    *chunk = ms->p + ms->off;
    ms->off += n;
    return (ssize_t)n;
}

void tf_memsrc_init(tf_memsrc *ms, tf_pull *pl, const void *p, size_t n, size_t max_read)
{
    ms->p = p;
    ms->n = n;
    ms->off = 0;
    ms->max_read = max_read;
    tf_pull_init(pl, mem_pull, ms);
}

/* ---- magic numbers ------------------------------------------------------- */

static bool has(const uint8_t *p, size_t n, size_t at, const char *magic, size_t len)
{
    return n >= at + len && memcmp(p + at, magic, len) == 0;
}

const char *tf_magic_compression(const uint8_t *p, size_t n)
{
    if (has(p, n, 0, "\x1f\x8b\x08", 3))
        return "gzip";
    if (has(p, n, 0, "\x28\xb5\x2f\xfd", 4))
        return "zstd";
    /* A zstd skippable frame (0x184D2A50..5F, little-endian) may lead. */
    if (n >= 4 && (p[0] & 0xf0) == 0x50 && p[1] == 0x2a && p[2] == 0x4d && p[3] == 0x18)
        return "zstd";
    /* bzip2: "BZh1".."BZh9", then a block (pi) or the end-of-stream (sqrt pi) magic. */
    if (n >= 10 && has(p, n, 0, "BZh", 3) && p[3] >= '1' && p[3] <= '9' &&
        (has(p, n, 4, "\x31\x41\x59\x26\x53\x59", 6) || has(p, n, 4, "\x17\x72\x45\x38\x50\x90", 6)))
        return "bzip2";
    if (has(p, n, 0, "\xfd" "7zXZ\0", 6))
        return "xz";
    if (has(p, n, 0, "\x04\x22\x4d\x18", 4) || has(p, n, 0, "\x02\x21\x4c\x18", 4))
        return "lz4";
    if (has(p, n, 0, "LZIP", 4))
        return "lzip";
    if (has(p, n, 0, "\x1f\x9d", 2))
        return "compress";
    if (has(p, n, 0, "\x89LZO\0\r\n\x1a\n", 9))
        return "lzop";
    /* .lzma (lzma_alone): properties 0x5D, a power-of-two-ish dictionary,
     * then an unknown (all 0xFF) or plausible (< 2^56) size. */
    if (n >= 13 && p[0] == 0x5d && p[1] == 0x00 && p[4] <= 0x20 &&
        (memcmp(p + 5, "\xff\xff\xff\xff\xff\xff\xff\xff", 8) == 0 || p[12] == 0))
        return "lzma";
    return "none";
}

static bool tar_checksum_ok(const uint8_t *h)
{
    unsigned long want = 0;
    size_t i = 148;
    while (i < 156 && h[i] == ' ')
        i++;
    size_t digits = 0;
    for (; i < 156 && h[i] >= '0' && h[i] <= '7'; i++, digits++)
        want = want * 8 + (unsigned long)(h[i] - '0');
    if (digits == 0)
        return false;
    unsigned long sum = 0;
    for (i = 0; i < 512; i++)
        sum += (i >= 148 && i < 156) ? ' ' : h[i];
    return sum == want;
}

const char *tf_magic_container(const uint8_t *p, size_t n)
{
    if (n >= 263 && memcmp(p + 257, "ustar", 5) == 0 && (p[262] == '\0' || p[262] == ' '))
        return "tar";
    if (has(p, n, 0, "PK\3\4", 4) || has(p, n, 0, "PK\5\6", 4) || has(p, n, 0, "PK\7\10PK", 6))
        return "zip";
    if (has(p, n, 0, "7z\xbc\xaf\x27\x1c", 6))
        return "7z";
    if (has(p, n, 0, "070707", 6) || has(p, n, 0, "070701", 6) || has(p, n, 0, "070702", 6))
        return "cpio";
    /* Old binary cpio in either byte order; the name size (offset 20) is never 0. */
    if (n >= 26 && ((p[0] == 0xc7 && p[1] == 0x71 && (p[20] | p[21]) != 0) ||
                    (p[0] == 0x71 && p[1] == 0xc7 && (p[20] | p[21]) != 0)))
        return "cpio";
    if (has(p, n, 0, "Rar!\x1a\x07\x00", 7) || has(p, n, 0, "Rar!\x1a\x07\x01\x00", 8))
        return "rar";
    /* A pre-POSIX (v7) tar header has no magic: trust its checksum. */
    if (n >= 512 && p[0] != '\0' && tar_checksum_ok(p))
        return "tar";
    return NULL;
}

/* ---- decoders ------------------------------------------------------------ */

enum { DEC_NONE, DEC_GZIP, DEC_ZSTD, DEC_LIBARCHIVE };

struct tf_decoder {
    int kind;
    const char *name;
    tf_pull *in;
    uint64_t out_total;
    int state; /* 0 running, 1 clean end, -1 failed */
    tf_err err;
    /* gzip */
    z_stream z;
    bool z_ready, z_between;
    /* zstd */
    ZSTD_DCtx *zd;
    ZSTD_inBuffer zin;
    size_t zlast;
    bool in_eof;
    /* libarchive */
    struct archive *la;
};

static bool force_libarchive;

void tf_decompress_force_libarchive(bool on)
{
    force_libarchive = on;
}

/* what: "corrupt", "unexpected end of", ...; out_off: decoded bytes before the failure. */
static void dec_fail(tf_decoder *d, const char *what, uint64_t in_off, uint64_t out_off,
                     const char *why)
{
    d->state = -1;
    tf_err_set(&d->err, "%s %s data at compressed byte %llu (decoded byte %llu)%s%s", what, d->name, (unsigned long long)in_off, (unsigned long long)out_off,
             why ? ": " : "", why ? why : "");
}

static void dec_pull_fail(tf_decoder *d)
{
    d->state = -1;
    tf_err_set(&d->err, "%s", d->in->err.msg[0] ? d->in->err.msg : "read error");
}

static ssize_t none_read(tf_decoder *d, void *buf, size_t n)
{
    const uint8_t *p;
    ssize_t r = tf_pull_next(d->in, &p, n);
    if (r > 0)
        memcpy(buf, p, (size_t)r);
    else if (r == 0)
        d->state = 1;
    else
        dec_pull_fail(d);
    return r;
}

static ssize_t gz_read(tf_decoder *d, void *buf, size_t n)
{
    z_stream *z = &d->z;
    uInt cap = n > UINT_MAX ? UINT_MAX : (uInt)n;
    z->next_out = buf;
    z->avail_out = cap;
    while (z->avail_out > 0) {
        uint64_t produced = cap - z->avail_out;
        if (z->avail_in == 0) {
            if (produced > 0)
                break; /* hand out what we have before possibly blocking */
            const uint8_t *p;
            ssize_t r = tf_pull_next(d->in, &p, SIZE_MAX);
            if (r < 0) {
                dec_pull_fail(d);
                break;
            }
            if (r == 0) {
                if (d->z_between)
                    d->state = 1;
                else
                    dec_fail(d, "unexpected end of", d->in->pos, d->out_total + produced, NULL);
                break;
            }
            z->next_in = (Bytef *)(uintptr_t)p;
            z->avail_in = (uInt)r;
        }
        if (d->z_between) {
            /* Between members: another member, zero padding, or garbage. */
            while (z->avail_in > 0 && *z->next_in == 0) {
                z->next_in++;
                z->avail_in--;
            }
            if (z->avail_in == 0)
                continue;
            if (*z->next_in != 0x1f) {
                dec_fail(d, "trailing garbage after", d->in->pos - z->avail_in,
                         d->out_total + produced, NULL);
                break;
            }
            inflateReset(z);
            d->z_between = false;
        }
        int zr = inflate(z, Z_NO_FLUSH);
        if (zr == Z_STREAM_END) {
            d->z_between = true;
        } else if (zr != Z_OK && zr != Z_BUF_ERROR) {
            if (zr == Z_MEM_ERROR) {
                fprintf(stderr, "tracefill: out of memory in zlib\n");
                abort();
            }
            dec_fail(d, "corrupt", d->in->pos - z->avail_in, d->out_total + (cap - z->avail_out),
                     z->msg ? z->msg : "invalid data");
            break;
        }
    }
    size_t got = cap - z->avail_out;
    if (got > 0) {
        d->out_total += got;
        return (ssize_t)got;
    }
    return d->state < 0 ? -1 : 0;
}

static ssize_t zstd_read(tf_decoder *d, void *buf, size_t n)
{
    ZSTD_outBuffer out = { buf, n, 0 };
    while (out.pos < out.size) {
        if (d->zin.pos == d->zin.size && !d->in_eof) {
            if (out.pos > 0)
                break;
            const uint8_t *p;
            ssize_t r = tf_pull_next(d->in, &p, SIZE_MAX);
            if (r < 0) {
                dec_pull_fail(d);
                break;
            }
            if (r == 0) {
                d->in_eof = true;
            } else {
                d->zin.src = p;
                d->zin.size = (size_t)r;
                d->zin.pos = 0;
            }
        }
        if (d->zin.pos == d->zin.size && d->in_eof) {
            if (d->zlast == 0) {
                d->state = 1;
                break;
            }
            /* Flush what the context still holds; no progress means truncation. */
            size_t before = out.pos;
            size_t r = ZSTD_decompressStream(d->zd, &out, &d->zin);
            if (ZSTD_isError(r)) {
                dec_fail(d, "corrupt", d->in->pos, d->out_total + out.pos, ZSTD_getErrorName(r));
                break;
            }
            d->zlast = r;
            if (out.pos == before && r != 0) {
                dec_fail(d, "unexpected end of", d->in->pos, d->out_total + out.pos, NULL);
                break;
            }
            continue;
        }
        size_t r = ZSTD_decompressStream(d->zd, &out, &d->zin);
        if (ZSTD_isError(r)) {
            dec_fail(d, "corrupt", d->in->pos - (d->zin.size - d->zin.pos), d->out_total + out.pos,
                     ZSTD_getErrorName(r));
            break;
        }
        d->zlast = r;
    }
    if (out.pos > 0) {
        d->out_total += out.pos;
        return (ssize_t)out.pos;
    }
    return d->state < 0 ? -1 : 0;
}

static la_ssize_t la_read_cb(struct archive *a, void *ud, const void **buf)
{
    tf_decoder *d = ud;
    const uint8_t *p;
    ssize_t r = tf_pull_next(d->in, &p, SIZE_MAX);
    if (r < 0) {
        archive_set_error(a, EIO, "%s", d->in->err.msg[0] ? d->in->err.msg : "read error");
        return -1;
    }
    *buf = p;
    return r;
}

static void la_fail(tf_decoder *d)
{
    const char *msg = archive_error_string(d->la);
    if (!msg)
        msg = "decoding failed";
    /* libarchive words truncation differently per filter. */
    bool trunc = strstr(msg, "runcated") || strstr(msg, "No progress is possible") ||
                 strstr(msg, "premature end") || strstr(msg, "Premature end");
    dec_fail(d, trunc ? "unexpected end of" : "corrupt", d->in->pos, d->out_total, msg);
}

static void la_open(tf_decoder *d)
{
    d->la = archive_read_new();
    archive_read_support_filter_all(d->la);
    archive_read_support_format_raw(d->la);
    archive_read_support_format_empty(d->la);
    struct archive_entry *e;
    if (archive_read_open(d->la, d, NULL, la_read_cb, NULL) != ARCHIVE_OK) {
        la_fail(d);
        return;
    }
    int r = archive_read_next_header(d->la, &e);
    if (r == ARCHIVE_EOF) {
        d->state = 1; /* empty decoded data */
    } else if (r < ARCHIVE_WARN) {
        la_fail(d);
    } else if (archive_filter_count(d->la) < 2) {
        d->state = -1;
        tf_err_set(&d->err, "cannot decode %s data: libarchive has no reader for it", d->name);
    }
}

static ssize_t la_read(tf_decoder *d, void *buf, size_t n)
{
    la_ssize_t r = archive_read_data(d->la, buf, n);
    if (r > 0) {
        d->out_total += (uint64_t)r;
        return r;
    }
    if (r == 0) {
        d->state = 1;
        return 0;
    }
    la_fail(d);
    return -1;
}

tf_decoder *tf_decoder_new(const char *compression, tf_pull *in, unsigned flags)
{
    tf_decoder *d = tf_xcalloc(1, sizeof *d);
    d->in = in;
    d->name = compression;
    bool via_la = (flags & TF_DECODER_VIA_LIBARCHIVE) || force_libarchive;
    if (strcmp(compression, "none") == 0) {
        d->kind = DEC_NONE;
    } else if (strcmp(compression, "gzip") == 0 && !via_la) {
        d->kind = DEC_GZIP;
        if (inflateInit2(&d->z, 15 + 16) != Z_OK) {
            fprintf(stderr, "tracefill: zlib initialisation failed\n");
            abort();
        }
        d->z_ready = true;
    } else if (strcmp(compression, "zstd") == 0 && !via_la) {
        d->kind = DEC_ZSTD;
        d->zd = ZSTD_createDCtx();
        if (!d->zd) {
            fprintf(stderr, "tracefill: out of memory creating a zstd context\n");
            abort();
        }
        /* Accept `zstd --long=31` output: windows up to 2 GiB (1 GiB on 32-bit). */
        ZSTD_DCtx_setParameter(d->zd, ZSTD_d_windowLogMax, sizeof(size_t) >= 8 ? 31 : 30);
        d->zlast = 1; /* nothing decoded yet: an immediate end is a truncation */
    } else {
        d->kind = DEC_LIBARCHIVE;
        la_open(d);
    }
    return d;
}

static ssize_t dec_read(tf_decoder *d, void *buf, size_t n)
{
    if (d->state != 0)
        return d->state > 0 ? 0 : -1;
    if (n == 0)
        return 0;
    switch (d->kind) {
    case DEC_NONE:
        return none_read(d, buf, n);
    case DEC_GZIP:
        return gz_read(d, buf, n);
    case DEC_ZSTD:
        return zstd_read(d, buf, n);
    default:
        return la_read(d, buf, n);
    }
}

ssize_t tf_decoder_read(tf_decoder *d, void *buf, size_t n, tf_err *err)
{
    ssize_t r = dec_read(d, buf, n);
    if (r < 0 && err)
        *err = d->err;
    return r;
}

void tf_decoder_free(tf_decoder *d)
{
    if (!d)
        return;
    if (d->z_ready)
        inflateEnd(&d->z);
    if (d->zd)
        ZSTD_freeDCtx(d->zd);
    if (d->la)
        archive_read_free(d->la);
    free(d);
}
