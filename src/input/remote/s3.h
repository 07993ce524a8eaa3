/* s3.h: a small S3 client for reading archives: s3:// URLs, the endpoint and
 * addressing (virtual-hosted on AWS; path-style for a custom endpoint such as
 * R2, MinIO or s3rver, or with path_style), ListObjectsV2 over all pages,
 * and signed, streamed, resumable GETs of single objects.
 * Requests are signed with SigV4 (input/remote/sigv4.h) with the credentials
 * from input/remote/awscreds.h, afresh for every attempt; without any
 * credentials they are sent unsigned (public buckets).
 * Ownership: a tf_s3 owns its credentials (wiped on free); a lister and a
 * body borrow their tf_s3, which must outlive them. One thread at a time per
 * tf_s3 and everything made from it. Error examples:
 *     "s3://logs/2025/: HTTP 404 Not Found (NoSuchBucket: The specified bucket does not exist);
 *      the bucket does not exist at http://127.0.0.1:4568 (check its name and --s3-endpoint)"
 *     "s3://logs/a.jsonl: HTTP 403 Forbidden (AccessDenied: Access Denied); the credentials
 *      (environment) may not read this object (s3:GetObject), or they are wrong or expired" */
#ifndef TF_S3_H
#define TF_S3_H

#include "common/err.h"
#include "input/decode.h"
#include "input/remote/httpget.h"
#include "input/remote/s3xml.h"

typedef struct {
    const char *endpoint; /* --s3-endpoint; NULL: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the profile, or AWS */
    bool path_style;      /* --s3-path-style: path-style also on AWS */
    /* retry tuning (tests): 0 keeps httpget's defaults */
    int max_retries;
    uint64_t backoff_base_ns, backoff_cap_ns;
} tf_s3_opts;

typedef struct tf_s3 tf_s3;

/* "s3://bucket/prefix" into its bucket and prefix (may be ""); -1 with err
 * for a URL without a bucket or with a bucket name S3 does not allow. */
int tf_s3_parse_url(const char *url, char **bucket, char **prefix, tf_err *err);

/* Loads credentials, region and endpoint; NULL with err (a malformed AWS
 * file, an endpoint that is not http:// or https://). */
tf_s3 *tf_s3_new(const tf_s3_opts *o, tf_err *err);
void tf_s3_free(tf_s3 *c);
/* Where requests go, for messages: "https://s3.us-east-1.amazonaws.com". */
const char *tf_s3_endpoint(const tf_s3 *c);
bool tf_s3_signed(const tf_s3 *c);
/* The URL an object's GET goes to (malloc'd): virtual-hosted
 * "https://BUCKET.s3.REGION.amazonaws.com/KEY" or path-style
 * "ENDPOINT/BUCKET/KEY", the key percent-encoded as it is signed. */
char *tf_s3_url(tf_s3 *c, const char *bucket, const char *key);

/* Every object under the prefix, page after page, in key order. */
typedef struct tf_s3_lister tf_s3_lister;
tf_s3_lister *tf_s3_list_new(tf_s3 *c, const char *bucket, const char *prefix);
/* 1 with *obj (valid until the next call), 0 after the last page, -1 with
 * err when a page cannot be had (after retries). */
int tf_s3_list_next(tf_s3_lister *l, const tf_s3_object **obj, tf_err *err);
uint64_t tf_s3_list_pages(const tf_s3_lister *l);
void tf_s3_list_free(tf_s3_lister *l);

/* One object's body from byte `from`, streamed; etag (from the listing, may
 * be NULL) is required of every request, so a replaced object fails with
 * 412 instead of mixing versions. */
typedef struct tf_s3_body tf_s3_body;
tf_s3_body *tf_s3_open(tf_s3 *c, const char *bucket, const char *key, const char *etag, uint64_t from,
                       tf_err *err);
tf_pull *tf_s3_body_pull(tf_s3_body *b);
int tf_s3_body_restart(tf_s3_body *b, uint64_t from, tf_err *err);
void tf_s3_body_free(tf_s3_body *b);

#endif
