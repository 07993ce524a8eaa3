/* s3xml.h: the two S3 response bodies tracefill reads: a ListObjectsV2 page
 * (ListBucketResult) and an error (<Error><Code>...). Pure functions over a
 * complete body; they read only the elements they need and know just enough
 * XML for that (a prolog, comments, CDATA, attributes, the five named
 * entities and numeric references; no DTDs). Any thread may call them.
 * Ownership: the caller owns what they fill and frees it with the _free
 * functions. Error examples:
 *     "malformed XML at byte 312: a closing </Key> where </Size> was open"
 *     "the listing is truncated but has no NextContinuationToken" */
#ifndef TF_S3XML_H
#define TF_S3XML_H

#include "common/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *key;     /* decoded (also from EncodingType=url listings) */
    char *etag;    /* as S3 gives it, without the surrounding quotes; NULL when absent */
    int64_t size;  /* bytes */
    int64_t mtime; /* LastModified in seconds since the epoch, 0 when absent */
} tf_s3_object;

typedef struct {
    tf_s3_object *objects; /* in the order of the body */
    size_t n;
    bool truncated;        /* IsTruncated: another page follows */
    char *next_token;      /* NextContinuationToken (NULL on the last page) */
} tf_s3_listing;

/* 0 with *out filled, or -1 with err set: malformed XML, a root other than
 * ListBucketResult (an <Error> body is reported with its Code and Message),
 * a Contents without Key or with a Size that is not a number, a truncated
 * page without a continuation token. *out is zeroed first and must be freed
 * either way. */
int tf_s3_parse_listing(const char *xml, size_t len, tf_s3_listing *out, tf_err *err);
void tf_s3_listing_free(tf_s3_listing *l);

typedef struct {
    char *code;    /* "NoSuchBucket", "AccessDenied", "SlowDown" ... */
    char *message; /* the server's sentence */
} tf_s3_error;

/* 0 when the body is an <Error> document (code and message filled, either
 * may be NULL), -1 otherwise. *out is zeroed first; free it either way. */
int tf_s3_parse_error(const char *xml, size_t len, tf_s3_error *out);
void tf_s3_error_free(tf_s3_error *e);

#endif
