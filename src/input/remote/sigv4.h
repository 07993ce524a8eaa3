/* sigv4.h: AWS Signature Version 4 for HTTP requests (header form), as S3
 * and S3-compatible stores (R2, MinIO, ...) check it. A pure function of the
 * request, the time and the credentials: no I/O, no clock, no globals; any
 * thread may call it.
 * The signer adds the host, x-amz-date and (with a session token)
 * x-amz-security-token headers to the ones it is given, signs all of them,
 * and hands back the Authorization and X-Amz-Date values to send (the caller
 * sends x-amz-security-token itself, with the token it passed in).
 * Ownership: the caller owns everything it passes in; tf_sigv4_out owns its
 * strings until tf_sigv4_out_free. The secret key never appears in any
 * output or error. Error example:
 *     "cannot sign the request: header name "bad name" has a space" */
#ifndef TF_SIGV4_H
#define TF_SIGV4_H

#include "common/err.h"
#include "common/util.h"

#include <stdint.h>

typedef struct {
    const char *name;  /* any case; sent as given, signed in lower case */
    const char *value; /* signed trimmed, with inner runs of spaces as one */
} tf_sigv4_header;

typedef struct {
    const char *key;   /* raw (not percent-encoded) */
    const char *value; /* raw; "" for a bare "?lifecycle" */
} tf_sigv4_param;

typedef struct {
    const char *access_key;
    const char *secret_key;    /* secret */
    const char *session_token; /* secret; NULL or "" without one */
    const char *region;        /* "us-east-1", "auto" for R2 ... */
    const char *service;       /* "s3" */
} tf_sigv4_creds;

typedef struct {
    const char *method;            /* "GET" */
    const char *host;              /* the Host header: "bucket.s3.eu-west-1.amazonaws.com", "127.0.0.1:9000" */
    const char *path;              /* raw (decoded) path from "/"; each byte but '/' is encoded once */
    const tf_sigv4_param *query;   /* in any order */
    size_t n_query;
    const tf_sigv4_header *headers; /* besides host, x-amz-date, x-amz-security-token */
    size_t n_headers;
    const char *payload_hash;      /* hex SHA-256 of the body, or "UNSIGNED-PAYLOAD" */
    int64_t time;                  /* seconds since the epoch */
} tf_sigv4_request;

typedef struct {
    char amz_date[17];     /* "20150830T123600Z": send as X-Amz-Date */
    char *authorization;   /* "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/s3/aws4_request,
                              SignedHeaders=host;x-amz-date, Signature=<64 hex>" */
    char *canonical;       /* the canonical request (tests and debugging; no secret in it) */
    char *string_to_sign;
    char signature[65];
} tf_sigv4_out;

/* 0 with *out filled (free it with tf_sigv4_out_free), or -1 with err set
 * for input that cannot be signed (a header name with a space or colon, a
 * missing region or key, a time before 1970 or after 9999). */
int tf_sigv4_sign(const tf_sigv4_request *rq, const tf_sigv4_creds *cr, tf_sigv4_out *out, tf_err *err);
void tf_sigv4_out_free(tf_sigv4_out *out);

/* Appends s percent-encoded the way SigV4 wants it: unreserved bytes
 * (A-Z a-z 0-9 - . _ ~) as they are, '/' as it is when keep_slash, every
 * other byte as %XX in upper case. Used for the request's own URL too, so
 * that what is sent is exactly what was signed. */
void tf_sigv4_encode(tf_buf *b, const char *s, bool keep_slash);

/* The hex SHA-256 of an empty body (what a GET signs as its payload). */
#define TF_SIGV4_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

#endif
