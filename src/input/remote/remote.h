/* remote.h: inputs that are URLs, for input/source.c:
 *   s3://BUCKET/PREFIX   every object whose key starts with PREFIX, in key
 *                        order (ListObjectsV2, all pages; "folder" markers,
 *                        keys ending in '/', are left out); when an object's
 *                        key is PREFIX itself, only that object;
 *   http(s)://...        one file.
 * Each yields items (identity, size, ETag) and, on request, a body: a tf_pull
 * streamed over HTTP that can start again at any byte (to rewind, or to skip
 * ahead on a resume). Nothing is written to disk.
 * Ownership: a tf_remote owns its client and the item it last handed out
 * (valid until the next tf_remote_next); a body borrows its tf_remote, which
 * must outlive it. One thread at a time (the reader). Error examples:
 *     "s3://logs/: HTTP 404 Not Found (NoSuchBucket: ...); the bucket ..."
 *     "https://example.com/a.log.gz: HTTP 404 Not Found" */
#ifndef TF_REMOTE_H
#define TF_REMOTE_H

#include "common/err.h"
#include "input/decode.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    const char *s3_endpoint; /* --s3-endpoint, or NULL */
    bool s3_path_style;      /* --s3-path-style */
} tf_remote_opts;

/* "s3://", "http://" or "https://" (case as written). */
bool tf_remote_is_url(const char *input);

typedef struct tf_remote tf_remote;
typedef struct tf_remote_body tf_remote_body;

typedef struct {
    const char *name;  /* identity and display: "s3://bucket/key", or the URL (user:password@ masked) */
    const char *key;   /* what --include/--exclude match: the object key; NULL for a URL input */
    int64_t size;      /* -1 when unknown */
    int64_t mtime;     /* seconds since the epoch, 0 when unknown */
    const char *etag;  /* without quotes; NULL when the server gives none (or a weak one) */
} tf_remote_item;

/* NULL with err for a malformed URL or unusable AWS configuration. */
tf_remote *tf_remote_new(const char *url, const tf_remote_opts *o, tf_err *err);
/* 1 with *it filled; 0 when there are no more; -1 with err when the listing
 * (or, for a URL, the GET) failed: the input has nothing more to give. */
int tf_remote_next(tf_remote *r, tf_remote_item *it, tf_err *err);
/* The body of the item tf_remote_next just gave, from byte 0; NULL with err. */
tf_remote_body *tf_remote_open(tf_remote *r, tf_err *err);
void tf_remote_free(tf_remote *r);

tf_pull *tf_remote_body_pull(tf_remote_body *b);
/* Starts over at byte `from`; the pull is reset and its pos is `from`. */
int tf_remote_body_restart(tf_remote_body *b, uint64_t from, tf_err *err);
void tf_remote_body_free(tf_remote_body *b);

#endif
