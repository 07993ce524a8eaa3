/* source.h: turns command-line inputs into decoded byte streams.
 * An input is a file, a directory (walked recursively in byte-wise sorted
 * order), "-" (stdin), an s3://BUCKET/PREFIX URL (every object under the
 * prefix, in key order) or an http(s):// URL (one file); see
 * input/remote/remote.h. Each yields one or more streams: the file or object
 * itself, or each member of a tar/zip/cpio/7z container, decompressed (gzip,
 * zstd, bzip2, xz, lz4 ...) by content, never by name. Remote objects are
 * streamed, never saved to disk.
 * Ownership: tf_source owns the streams it hands out; a stream stays valid
 * until tf_stream_close or the next tf_source_next. Not thread-safe; one
 * thread drives a source (the reader's). Problems with one input never stop
 * the others: they are handed to the on_error callback and counted.
 * Example: "logs/2025-06-01.tar: cannot read the tar archive: Damaged tar archive". */
#ifndef TF_SOURCE_H
#define TF_SOURCE_H

#include "common/err.h"
#include "common/util.h"

#include <stdbool.h>
#include <sys/types.h>

typedef struct tf_source tf_source;
typedef struct tf_stream tf_stream;

/* What a log looks like, for files found in directories and archive members
 * (files named on the command line are always read). */
typedef enum {
    TF_LOGS_JSON = 0, /* decoded, it starts with '{' or '[' (after blanks and a BOM), or is empty */
    TF_LOGS_TEXT,     /* decoded, it is text: no NUL and valid UTF-8 in its first 4 KiB */
} tf_log_kind;

typedef struct {
    const char *const *include; /* path/member globs kept (none given: all that look like logs) */
    size_t n_include;
    const char *const *exclude; /* globs dropped, checked after include */
    size_t n_exclude;
    tf_log_kind logs;
    /* An input or member that cannot be opened or listed (the source goes on
     * with the next one). NULL: only counted in stats.errors. Called on the
     * thread that calls tf_source_next. */
    void (*on_error)(void *ctx, const tf_err *err);
    void *on_error_ctx;
    /* --shard K/N: read only the streams whose identity (their display name:
     * "logs/a.jsonl", "a.tar:b.jsonl", "s3://bucket/key") hashes to K of N.
     * Local archives are split by member, objects in a bucket by key. N 0 or 1: all. */
    uint32_t shard_k, shard_n;
    /* Asked while a pipe or terminal stays silent: true once the caller wants
     * to stop, and the read fails instead of waiting for ever. May be NULL. */
    bool (*stopping)(void *ctx);
    void *stopping_ctx;
    const char *s3_endpoint;    /* --s3-endpoint, NULL for the environment's or AWS's */
    bool s3_path_style;         /* --s3-path-style */
} tf_source_opts;

/* Stable identity of a stream, used by checkpoints (issue #6). */
#define TF_FINGERPRINT_BYTES 4096
typedef struct {
    const char *name;        /* display: "path", "<stdin>", "archive.tar.zst:dir/a.jsonl",
                                "s3://bucket/key"; also the stream's identity for --shard */
    const char *path;        /* the input file ("-" for stdin, "s3://bucket/key" or the URL) */
    const char *member;      /* member path inside the container, NULL for plain files */
    int64_t size;            /* raw size of the file or member, -1 when unknown (stdin) */
    int64_t mtime;           /* seconds since the epoch, 0 when unknown */
    const char *container;   /* "none", "tar", "zip", "cpio", "7z", ... */
    const char *compression; /* of the bytes this stream decodes: "none", "gzip", "zstd", ... ;
                                for a member, the member's own ("gzip" for a.jsonl.gz in a tar) */
    const char *outer;       /* compression of the container file itself ("zstd" for .tar.zst) */
    uint8_t fingerprint[32]; /* SHA-256 of the first fp_len decoded bytes */
    size_t fp_len;           /* min(TF_FINGERPRINT_BYTES, decoded length) */
    const char *etag;        /* remote objects (and their members): the object's ETag; NULL otherwise */
} tf_stream_info;

typedef struct {
    uint64_t inputs;          /* command-line inputs */
    uint64_t streams;         /* streams handed out */
    uint64_t skipped_members; /* archive members that are no log (by content), match
                                 no --include or an --exclude glob; dirs, links */
    uint64_t errors;          /* inputs or members that could not be opened or listed */
    uint64_t skipped_files;   /* files met while walking a directory that are no log
                                 (by content) or are filtered out by the globs,
                                 symlinked directories, FIFOs, sockets, devices */
    uint64_t duplicates;      /* files reached a second time (the same device and inode) */
    uint64_t other_shards;    /* streams left to the other shards (--shard) */
} tf_source_stats;

tf_source *tf_source_new(const char *const *paths, size_t n_paths, const tf_source_opts *opts);
/* 1: *out is the next stream; 0: no more. Inputs that cannot be opened are
 * handed to opts->on_error (naming the path/member and the reason), counted
 * in stats.errors, and skipped. Files named on the command line are always
 * read; files found by walking a directory and archive members are read when
 * they are containers or look like logs (opts->logs), judged by their
 * decoded content, and their path (below the walked directory) or member
 * name passes the globs. What is skipped is said at normal verbosity
 * through the log hook ("logs/notes.txt: skipped: not JSON (starts with
 * \"Release\")"). A file reached twice is read once.
 * A plain (non-container) stream has container "none" and outer "none". */
int tf_source_next(tf_source *src, tf_stream **out);
const tf_source_stats *tf_source_stats_get(const tf_source *src);
/* Raw (compressed, as stored) bytes of the inputs gone through so far: the
 * whole size of every file finished with (read, skipped or failed) plus the
 * position in the file being read. Same thread as tf_source_next. */
uint64_t tf_source_raw_read(const tf_source *src);
/* The raw size of all regular files the inputs name or hold (directories
 * walked as tf_source_next walks them), for a percentage; *complete is
 * false when some size is unknown (stdin, a pipe, a missing input). */
uint64_t tf_source_total_bytes(const char *const *paths, size_t n_paths, bool *complete);
/* The shard (0 .. n-1) a stream identity belongs to: the first 8 bytes of
 * SHA-256(identity), big-endian, modulo n. */
uint32_t tf_source_shard_of(const char *identity, uint32_t n);
void tf_source_free(tf_source *src);

/* Reads up to n decoded bytes. Returns the count, 0 at the clean end, or -1 on
 * an error (truncated or corrupt data, I/O error), again on every later call,
 * with err saying what and where ("corrupt gzip data at compressed byte 1234
 * (decoded byte 5678)"). Bytes returned before the error are good. */
ssize_t tf_stream_read(tf_stream *s, void *buf, size_t n, tf_err *err);
const tf_stream_info *tf_stream_get_info(const tf_stream *s);
uint64_t tf_stream_decoded_offset(const tf_stream *s); /* decoded bytes returned so far */
/* Raw bytes of the stream pulled so far (the file's, or the member's as
 * stored): with read-ahead, a little past what was decoded and returned. */
uint64_t tf_stream_raw_offset(const tf_stream *s);
/* Jumps ahead to decoded byte `offset` without reading what comes before,
 * where that is cheap: a remote object that is neither compressed nor a
 * container is fetched again from there with a ranged GET. 0: done (the next
 * read returns byte `offset`, and the decoded offset is `offset`); 1: this
 * stream cannot jump, read and discard instead; -1: the new request failed
 * (the next tf_stream_read fails with why). */
int tf_stream_skip_to(tf_stream *s, uint64_t offset);
void tf_stream_close(tf_stream *s);

/* Opens a single file path as a stream without container handling (used by
 * unit tests); NULL with err ("path: reason"). */
tf_stream *tf_stream_open_file(const char *path, tf_err *err);
/* A stream over memory (not copied; must outlive the stream), decoded by
 * content like a file. Each read returns at most max_read bytes (0 = no
 * limit) and the decoder is fed at most max_read bytes at a time, to test
 * buffer boundaries. Never NULL. Close with tf_stream_close. */
tf_stream *tf_stream_open_memory(const void *p, size_t n, size_t max_read, const char *name);

/* Detects the compression of a buffer's first bytes (16 are enough): "gzip",
 * "zstd", "bzip2", "xz", "lz4", "lzip", "lzma", "compress", "lzop", or "none". */
const char *tf_detect_compression(const void *p, size_t n);

#endif
