/* http.c: OTLP/HTTP request setup (see http.h) and one blocking POST for
 * `tracefill check`. */
#include "config.h"
#include "output/http_curl.h"
#include "output/body_compress.h"
#include "common/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TF_HTTP_BODY_MAX 65536

struct tf_http {
    char *url;
    char *display; /* url without user:password@, for messages */
    struct curl_slist *headers;
    const tf_opts *o;
};

static bool header_name_ok(const char *k)
{
    if (!*k)
        return false;
    for (const char *p = k; *p; p++)
        if (*p <= ' ' || *p == ':' || (unsigned char)*p >= 0x7f)
            return false;
    return true;
}

static int check_options(const tf_opts *o, tf_err *err)
{
    if (!o->endpoint)
        return tf_err_set(err, "no endpoint: give --endpoint URL or set OTEL_EXPORTER_OTLP_ENDPOINT");
    if (strncmp(o->endpoint, "http://", 7) && strncmp(o->endpoint, "https://", 8))
        return tf_err_set(err, "the endpoint %s is not an http:// or https:// URL", o->endpoint);
    if (o->basic_user && !o->token)
        return tf_err_set(err, "--basic-auth needs a token: give --token-file FILE or set TRACEFILL_TOKEN");
    for (size_t i = 0; i < o->n_headers; i++)
        if (!header_name_ok(o->headers[i].key))
            return tf_err_set(err, "invalid header name '%s'", o->headers[i].key);
    return 0;
}

/* Credentials in the URL itself never reach a message. */
static char *masked_url(const char *url)
{
    const char *host = strstr(url, "://") + 3;
    const char *at = strchr(host, '@'), *slash = strchr(host, '/');
    if (at && (!slash || at < slash))
        return tf_xasprintf("%.*s***@%s", (int)(host - url), url, at + 1);
    return tf_xstrdup(url);
}

static struct curl_slist *header_list(const tf_opts *o)
{
    struct curl_slist *l = NULL;
    l = curl_slist_append(l, o->protocol == TF_ENC_JSON ? "Content-Type: application/json"
                                                        : "Content-Type: application/x-protobuf");
    const char *enc = tf_compression_name(o->compression);
    if (enc) {
        char tmp[64];
        snprintf(tmp, sizeof tmp, "Content-Encoding: %s", enc);
        l = curl_slist_append(l, tmp);
    }
    l = curl_slist_append(l, "Expect:"); /* no 100-continue round trip */
    l = curl_slist_append(l, "User-Agent: tracefill/" PACKAGE_VERSION);
    if (o->tenant) {
        char *t = tf_xasprintf("X-Scope-OrgID: %s", o->tenant);
        l = curl_slist_append(l, t);
        free(t);
    }
    for (size_t i = 0; i < o->n_headers; i++) {
        char *t = tf_xasprintf("%s: %s", o->headers[i].key, o->headers[i].value);
        l = curl_slist_append(l, t);
        memset(t, 0, strlen(t)); /* header values may be secrets */
        free(t);
    }
    return l;
}

tf_http *tf_http_new(const tf_opts *o, tf_err *err)
{
    if (check_options(o, err) != 0)
        return NULL;
    tf_http *h = tf_xcalloc(1, sizeof *h);
    h->o = o;
    h->url = tf_xstrdup(o->endpoint);
    h->display = masked_url(h->url);
    h->headers = header_list(o);
    if (o->insecure)
        tf_warnf("--insecure: the endpoint's TLS certificate is NOT verified");
    return h;
}

void tf_http_free(tf_http *h)
{
    if (!h)
        return;
    curl_slist_free_all(h->headers);
    free(h->url);
    free(h->display);
    free(h);
}

const char *tf_http_url(const tf_http *h)
{
    return h->display;
}

void tf_http_setup(const tf_http *h, CURL *e)
{
    const tf_opts *o = h->o;
    curl_easy_setopt(e, CURLOPT_URL, h->url);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h->headers);
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, o->timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, o->timeout_ms < 10000 ? o->timeout_ms : 10000L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, o->insecure ? 0L : 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, o->insecure ? 0L : 2L);
    if (o->cacert)
        curl_easy_setopt(e, CURLOPT_CAINFO, o->cacert);
    if (o->token && o->basic_user) {
        curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(e, CURLOPT_USERNAME, o->basic_user);
        curl_easy_setopt(e, CURLOPT_PASSWORD, o->token);
    } else if (o->token) {
        curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER);
        curl_easy_setopt(e, CURLOPT_XOAUTH2_BEARER, o->token);
    }
}

size_t tf_http_keep_body(char *ptr, size_t size, size_t nmemb, void *buf)
{
    tf_buf *b = buf;
    size_t n = size * nmemb;
    if (b->len < TF_HTTP_BODY_MAX)
        tf_buf_append(b, ptr, TF_MIN(n, TF_HTTP_BODY_MAX - b->len));
    return n;
}

/* ---- one blocking POST ------------------------------------------------------ */

static tf_http_outcome outcome_of(CURLcode rc)
{
    switch (rc) {
    case CURLE_OK: return TF_HTTP_ANSWERED;
    case CURLE_COULDNT_RESOLVE_HOST: return TF_HTTP_FAIL_RESOLVE;
    case CURLE_COULDNT_CONNECT: return TF_HTTP_FAIL_CONNECT;
    case CURLE_OPERATION_TIMEDOUT: return TF_HTTP_FAIL_TIMEOUT;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE: return TF_HTTP_FAIL_TLS_VERIFY;
    case CURLE_SSL_CONNECT_ERROR: return TF_HTTP_FAIL_TLS;
    case CURLE_UNSUPPORTED_PROTOCOL: return TF_HTTP_FAIL_SCHEME;
    default: return TF_HTTP_FAIL_OTHER;
    }
}

int tf_http_post(const tf_http *h, const void *body, size_t n, tf_http_answer *a, tf_err *err)
{
    memset(a, 0, sizeof *a);
    CURL *e = curl_easy_init();
    if (!e) {
        a->outcome = TF_HTTP_FAIL_OTHER;
        return tf_err_set(err, "curl_easy_init failed (out of memory?)");
    }
    char errbuf[CURL_ERROR_SIZE] = "";
    tf_http_setup(h, e);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)n);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, tf_http_keep_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &a->body);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
    CURLcode rc = curl_easy_perform(e);
    a->outcome = outcome_of(rc);
    if (rc == CURLE_OK) {
        char *ctype = NULL;
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &a->status);
        curl_easy_getinfo(e, CURLINFO_CONTENT_TYPE, &ctype);
        a->content_type = ctype ? tf_xstrdup(ctype) : NULL;
    } else {
        tf_err_set(err, "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
    }
    curl_easy_cleanup(e);
    return rc == CURLE_OK ? 0 : -1;
}

void tf_http_answer_free(tf_http_answer *a)
{
    free(a->content_type);
    tf_buf_free(&a->body);
    memset(a, 0, sizeof *a);
}
