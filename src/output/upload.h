/* upload.h: the OTLP/HTTP sink (libcurl multi on a sender thread) and the
 * pieces `tracefill check` shares with it: request setup, and decoding of
 * the backend's answers (partial success, google.rpc.Status).
 * Ownership: tf_http owns its URL and header list; the sink owns the batches
 * it was given until it hands them back through `done`. */
#ifndef TF_UPLOAD_H
#define TF_UPLOAD_H

#include "tool/opts.h"
#include "output/sink.h"

#include <curl/curl.h>

typedef struct tf_http tf_http;

/* Validates the endpoint/auth/TLS options; NULL with *err on a problem. */
tf_http *tf_http_new(const tf_opts *o, char **err);
void tf_http_free(tf_http *h);
/* Applies URL, headers, auth, TLS and timeout to an easy handle. */
void tf_http_setup(const tf_http *h, CURL *easy);
/* The endpoint for messages: any user:password@ in it is replaced by ***@. */
const char *tf_http_url(const tf_http *h);

tf_sink *tf_sink_http_new(const tf_opts *o, char **err);

/* ExportTraceServiceResponse.partial_success, protobuf or JSON; true when a
 * partial success with rejected spans or a message is present. */
bool tf_otlp_partial_success(bool json, const void *body, size_t n, int64_t *rejected, tf_buf *msg);
/* google.rpc.Status.message from an error body (protobuf or JSON); false when
 * there is none; falls back to the body's text when it is short plain text. */
bool tf_rpc_status_message(bool json, const void *body, size_t n, tf_buf *msg);

#endif
