/* http_curl.h: the libcurl side of output/http.h, for code in output/ only
 * (no header that run/ or tool/ include may include <curl/curl.h>).
 * Threads: a tf_http is read-only, so any thread may set up its own easy
 * handles from it; each easy handle belongs to the thread driving it. */
#ifndef TF_HTTP_CURL_H
#define TF_HTTP_CURL_H

#include "output/http.h"

#include <curl/curl.h>

/* Applies URL, headers, auth, TLS and timeouts to an easy handle for a POST. */
void tf_http_setup(const tf_http *h, CURL *easy);
/* The same for a GET of url (Accept: application/protobuf, no Content-Type). */
void tf_http_setup_get(const tf_http *h, CURL *easy, const char *url);
/* Why a transfer that ended with rc got no answer (TF_HTTP_ANSWERED for CURLE_OK). */
tf_http_outcome tf_http_outcome_of(CURLcode rc);

/* CURLOPT_WRITEFUNCTION keeping the first 64 KiB of an answer in the tf_buf
 * passed as CURLOPT_WRITEDATA; past that it stops the transfer (the rest is
 * never read). Pass the transfer's result through tf_http_result, which
 * takes such a stop for an answer (cut at 64 KiB), not a failure. */
size_t tf_http_keep_body(char *ptr, size_t size, size_t nmemb, void *buf);
CURLcode tf_http_result(CURLcode rc, const tf_buf *body);

#endif
