/* httpget.h: one HTTP(S) GET streamed as a tf_pull (input/decode.h), so the
 * decoders and archive readers read a remote object exactly like a file:
 * libcurl's multi interface fills a bounded buffer (TF_INPUT_BUFSIZE) and is
 * paused while the reader has not taken it; nothing goes to disk.
 * Transient failures (connection errors and resets, timeouts, 429, 500, 502,
 * 503 SlowDown, 504, S3's 400 RequestTimeout) are retried with full-jitter
 * exponential backoff (or the server's Retry-After); a failure in the middle
 * of the body resumes with "Range: bytes=N-" and If-Match on the ETag, so the
 * bytes handed out are never repeated, skipped or mixed from two versions.
 * Ownership: the caller owns the options' strings (they must outlive the
 * handle); a chunk from the pull is valid until the next pull. A handle is
 * driven by one thread at a time. Error examples (names, never secrets):
 *     "s3://logs/a.jsonl.gz: HTTP 403 Forbidden (AccessDenied: Access Denied); <hint>"
 *     "https://example.com/a.log: connection reset at byte 1048576 (after 6 attempts)" */
#ifndef TF_HTTPGET_H
#define TF_HTTPGET_H

#include "common/err.h"
#include "common/util.h"
#include "input/decode.h"

#include <curl/curl.h>
#include <stdint.h>

/* What the last response said. */
typedef struct {
    long status;             /* HTTP status; 0 when no response came (transport failure) */
    int curl_code;           /* CURLE_* of a transport failure, else 0 */
    char code[64];           /* S3 error <Code> of an error body, "" */
    char message[200];       /* S3 error <Message>, "" */
    char bucket_region[64];  /* x-amz-bucket-region (S3 tells it on 301/400/403) */
    char etag[130];          /* ETag header without quotes, "" */
    bool weak_etag;          /* it was W/"..." */
    int64_t length;          /* Content-Length, -1 unknown */
    int64_t total;           /* whole size: from Content-Range "/N", else length for a 200; -1 */
    int64_t range_start;     /* first byte of a 206, 0 for a 200 */
    int64_t mtime;           /* Last-Modified in seconds since the epoch, 0 */
} tf_http_answer;

/* Builds the headers of one attempt (the first and every retry), e.g. a
 * fresh SigV4 signature; appends to *list. -1 with err to give up. */
typedef int (*tf_httpget_headers_fn)(void *ctx, struct curl_slist **list, tf_err *err);
/* Appends a hint ("; the bucket is in eu-west-1: set AWS_REGION") to an
 * error message about a final (not retried) failure. */
typedef void (*tf_httpget_hint_fn)(void *ctx, const tf_http_answer *a, tf_buf *msg);

typedef struct {
    const char *url;                 /* what is requested (may hold an encoded key) */
    const char *display;             /* what messages call it: "s3://bucket/key", or the URL without user:password@ */
    tf_httpget_headers_fn headers;   /* NULL: none */
    tf_httpget_hint_fn hint;         /* NULL: none */
    void *ctx;
    const char *if_match;            /* ETag the object must still have (S3: from the listing); NULL:
                                        the first response's strong ETag is used for resumes */
    bool follow_redirects;           /* plain URLs: up to 5, http and https only */
    int max_retries;                 /* attempts after the first; < 0: 5 */
    uint64_t backoff_base_ns;        /* 0: 200 ms */
    uint64_t backoff_cap_ns;         /* 0: 20 s */
    long connect_timeout_ms;         /* 0: 30 s */
    long stall_timeout_s;            /* no byte for this long fails the attempt; 0: 60 s */
} tf_httpget_opts;

typedef struct tf_httpget tf_httpget;

/* Starts the GET at byte `from` and waits for the response to a 2xx (after
 * retries); NULL with err set otherwise (the status, S3's Code and Message,
 * and the hint). A resume (from > 0) must come back as a 206 starting there. */
tf_httpget *tf_httpget_open(const tf_httpget_opts *o, uint64_t from, tf_err *err);
/* The pull over the body: pl->pos counts from `from`. */
tf_pull *tf_httpget_pull(tf_httpget *g);
const tf_http_answer *tf_httpget_answer(const tf_httpget *g);
/* Abandons the transfer and starts again at byte `from` (0 to rewind, or a
 * later byte to skip ahead); the pull is reset and its pos set to `from`.
 * -1 with err (and the handle unusable but still to be freed). */
int tf_httpget_restart(tf_httpget *g, uint64_t from, tf_err *err);
void tf_httpget_free(tf_httpget *g);

/* A whole (small) body into memory: for listing pages. 0 on a 2xx; -1 with
 * err set and *a filled (so the caller can tell NoSuchBucket from a network
 * failure); a body over max bytes fails. */
int tf_http_fetch(const tf_httpget_opts *o, size_t max, tf_buf *body, tf_http_answer *a, tf_err *err);

/* Calls curl_global_init once per process (any thread). */
void tf_http_global_init(void);

#endif
