/* decode.h: pull-style raw byte sources and the decoders stacked on them.
 * Ownership: a chunk handed out by a tf_pull stays valid until the next call on
 * that pull; a decoder borrows its pull, which must outlive it. Internal to the
 * input stage (source.c and its tests). One thread per pull and decoder.
 * Example message: "corrupt gzip data at compressed byte 1234 (decoded byte 5678): invalid block type". */
#ifndef TF_DECOMPRESS_H
#define TF_DECOMPRESS_H

#include "common/err.h"
#include "common/util.h"

#include <stdbool.h>
#include <sys/types.h>

/* Size of the big read buffers of the input stage (files, decoders, framer). */
#define TF_INPUT_BUFSIZE (256u * 1024u)
/* Bytes tf_pull_peek can look ahead (magic numbers only). */
#define TF_PULL_PEEK_MAX 64u

typedef struct tf_pull tf_pull;
/* Hands out the next chunk of raw bytes: returns its length (> 0), 0 at the
 * end, or -1 after filling pl->err (the pull's own failure, kept while the
 * pull lives). */
typedef ssize_t (*tf_pull_fn)(tf_pull *pl, const uint8_t **chunk);

struct tf_pull {
    tf_pull_fn fn;
    void *ctx;
    tf_err err;
    uint64_t pos;            /* bytes handed out so far: the raw (compressed) offset */
    /* private */
    uint8_t pk[TF_PULL_PEEK_MAX];
    size_t pk_len, pk_pos;
    const uint8_t *rest;     /* unconsumed tail of the last chunk from fn */
    size_t rest_len;
    int state;               /* 0 open, 1 end seen, -1 failed */
};

void tf_pull_init(tf_pull *pl, tf_pull_fn fn, void *ctx);
/* Forgets buffered bytes and restarts the offset at 0 (after the underlying
 * source was rewound). */
void tf_pull_reset(tf_pull *pl);
/* Up to max bytes: > 0, 0 at the end, -1 on error (pl->err says why). */
ssize_t tf_pull_next(tf_pull *pl, const uint8_t **p, size_t max);
/* Looks at the first want (<= TF_PULL_PEEK_MAX) unconsumed bytes without
 * consuming them; returns how many are there: fewer at the end or on an error
 * (which the next tf_pull_next reports). */
ssize_t tf_pull_peek(tf_pull *pl, size_t want, const uint8_t **p);

/* A file descriptor as a pull source, with an optional recording of what was
 * read so that a non-seekable input (stdin, a pipe) can be replayed once. */
typedef struct {
    int fd;
    bool seekable;           /* a regular file, read from byte 0 */
    int64_t size;            /* seekable: its size when opened (it must not shrink) */
    uint64_t got;            /* bytes read from fd since the start or a rewind */
    uint8_t *buf;            /* TF_INPUT_BUFSIZE */
    size_t max_read;         /* 0 = a whole buffer per read */
    bool recording;
    bool rec_overflow;
    tf_buf rec;              /* recorded bytes, capped at TF_PULL_RECORD_MAX */
    size_t replay_pos;       /* < rec.len while replaying */
    bool replaying;
    const char *what;        /* "read error" context, e.g. the path */
    /* Asked every 100 ms while a pipe or terminal stays silent: true stops
     * waiting (the read fails). NULL: wait for ever. */
    bool (*stopping)(void *ctx);
    void *stopping_ctx;
} tf_fdsrc;

#define TF_PULL_RECORD_MAX (16u * 1024u * 1024u)

void tf_fdsrc_init(tf_fdsrc *fs, tf_pull *pl, int fd);
void tf_fdsrc_free(tf_fdsrc *fs);
void tf_fdsrc_record(tf_fdsrc *fs, bool on); /* off also drops the recording */
/* Restarts at byte 0: lseek on a regular file, replay of the recording
 * otherwise. Returns 0, or -1 when the input cannot be rewound. */
int tf_fdsrc_rewind(tf_fdsrc *fs, tf_pull *pl);

/* Memory as a pull source: at most max_read bytes a chunk (0 = all). */
typedef struct {
    const uint8_t *p;
    size_t n, off, max_read;
} tf_memsrc;
void tf_memsrc_init(tf_memsrc *ms, tf_pull *pl, const void *p, size_t n, size_t max_read);

/* Compression detection from magic bytes (needs up to 16 bytes). Returns a
 * static name: "gzip", "zstd", "bzip2", "xz", "lz4", "lzip", "lzma",
 * "compress", "lzop" or "none". */
const char *tf_magic_compression(const uint8_t *p, size_t n);
/* Container detection on decoded bytes (needs up to 512): "tar", "zip",
 * "cpio", "7z", "rar", or NULL. */
const char *tf_magic_container(const uint8_t *p, size_t n);

typedef struct tf_decoder tf_decoder;

enum {
    TF_DECODER_VIA_LIBARCHIVE = 1u, /* decode gzip and zstd through libarchive too */
};

/* A decoder for the named compression (as returned by tf_magic_compression)
 * reading from in. "none" copies. Never NULL. */
tf_decoder *tf_decoder_new(const char *compression, tf_pull *in, unsigned flags);
/* Up to n decoded bytes: > 0, 0 at the clean end, -1 on error (and again on
 * every later call) with err: "corrupt gzip data at compressed byte N
 * (decoded byte M): why". */
ssize_t tf_decoder_read(tf_decoder *d, void *buf, size_t n, tf_err *err);
void tf_decoder_free(tf_decoder *d);

/* Process-wide switch used by benchmarks: route gzip and zstd through
 * libarchive instead of the zlib/libzstd fast path. */
void tf_decompress_force_libarchive(bool on);

#endif
