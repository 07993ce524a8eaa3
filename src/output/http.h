/* http.h: the OTLP/HTTP request the options describe, shared by the HTTP
 * sink (sink_http.c), `tracefill check` and the query client of `tracefill
 * verify` (output/tempo_query.h): endpoint validation, the headers
 * (Content-Type, Content-Encoding, User-Agent, X-Scope-OrgID, --header),
 * authentication (basic or bearer), TLS verification, timeouts, the endpoint
 * as messages may show it (any user:password@ masked as ***@), and the
 * redaction of every credential the options hold from text a server sent.
 * libcurl stays behind this header: tf_http_post does one whole POST for
 * callers outside output/ (the sink uses output/http_curl.h).
 * Ownership: a tf_http owns copies of the URL and the header list and reads
 * the tf_opts given to tf_http_new, which must outlive it. A tf_http_answer
 * belongs to the caller (tf_http_answer_free).
 * Threads: a tf_http is read-only after tf_http_new; any thread may use it.
 * tf_http_post blocks the calling thread until the answer or the timeout.
 * Example errors: "the endpoint ftp://x/v1/traces is not an http:// or https:// URL",
 * "invalid header name 'Bad Name'", "--tenant holds a control character
 * (byte 3 is 0x0d); refused: it would break the X-Scope-OrgID header".
 * Secrets (token, header values, URL password) never appear in a message. */
#ifndef TF_HTTP_H
#define TF_HTTP_H

#include "common/err.h"
#include "tool/opts.h"

typedef struct tf_http tf_http;

/* Validates the endpoint, auth and header options (a CR, LF or other
 * control character in --tenant, --basic-auth, a header value or the token
 * is refused: no header injection); NULL with err on a problem. Warns
 * (common/log.h) when --insecure turns verification off. */
tf_http *tf_http_new(const tf_opts *o, tf_err *err);
void tf_http_free(tf_http *h);
/* The endpoint for messages: any "user:password@" in it reads "***@". */
const char *tf_http_url(const tf_http *h);
/* Replaces in text every credential the options hold (the token, basic
 * auth's base64 "user:token", the URL's password, header values and their
 * words) with "***": for a server's answer that echoes the Authorization
 * header before it is shown. Keeps text NUL-terminated. */
void tf_http_redact(const tf_http *h, tf_buf *text);

/* Why no answer arrived. */
typedef enum {
    TF_HTTP_ANSWERED = 0,    /* an HTTP status arrived (any status) */
    TF_HTTP_FAIL_RESOLVE,    /* the host name does not resolve */
    TF_HTTP_FAIL_CONNECT,    /* nothing accepts connections there */
    TF_HTTP_FAIL_TIMEOUT,    /* no answer within --timeout */
    TF_HTTP_FAIL_TLS_VERIFY, /* the server's certificate could not be verified */
    TF_HTTP_FAIL_TLS,        /* the TLS handshake failed */
    TF_HTTP_FAIL_SCHEME,     /* the URL scheme is not supported */
    TF_HTTP_FAIL_OTHER,
} tf_http_outcome;

typedef struct {
    tf_http_outcome outcome;
    long status;        /* the HTTP status; 0 when none arrived */
    char *content_type; /* the answer's Content-Type, NULL when none */
    tf_buf body;        /* the answer's body (its first 64 KiB) */
} tf_http_answer;

/* POSTs body (already encoded and compressed as the options say) and waits
 * for the answer. 0 when an answer arrived, whatever its status; -1 when
 * none did: a->outcome says why and err holds the transport's own message,
 * without the URL (the caller shows it), e.g. "Failed to connect to
 * 127.0.0.1 port 4318 after 0 ms: Couldn't connect to server". *a is set
 * either way; free it with tf_http_answer_free. */
int tf_http_post(const tf_http *h, const void *body, size_t n, tf_http_answer *a, tf_err *err);
void tf_http_answer_free(tf_http_answer *a);

#endif
