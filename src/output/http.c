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
    struct curl_slist *headers;     /* for a POST of OTLP */
    struct curl_slist *get_headers; /* for a GET (tracefill verify) */
    const tf_opts *o;
    char **secrets; /* what tf_http_redact hides, longest first */
    size_t n_secrets;
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

/* The offset of the first control character (CR, LF, NUL ... but tab) in s, or -1. */
static long control_at(const char *s)
{
    for (const char *p = s; *p; p++)
        if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f)
            return (long)(p - s);
    return -1;
}

/* Text that goes into a header line must not end it early: a CR or LF would
 * let it add headers of its own (header injection). */
static int check_header_texts(const tf_opts *o, tf_err *err)
{
    long at;
    if (o->tenant && (at = control_at(o->tenant)) >= 0)
        return tf_err_set(err, "--tenant holds a control character (byte %ld is 0x%02x); refused: it would "
                          "break the X-Scope-OrgID header", at, (unsigned)(unsigned char)o->tenant[at]);
    if (o->basic_user && (at = control_at(o->basic_user)) >= 0)
        return tf_err_set(err, "--basic-auth holds a control character (byte %ld); refused", at);
    if (o->token && (at = control_at(o->token)) >= 0)
        return tf_err_set(err, "the token (--token-file or TRACEFILL_TOKEN) holds a control character "
                          "(byte %ld, a line break or similar); refused: it would break the "
                          "Authorization header; the file should hold the token on one line", at);
    for (size_t i = 0; i < o->n_headers; i++) {
        if (!header_name_ok(o->headers[i].key))
            return tf_err_set(err, "invalid header name '%s'", o->headers[i].key);
        if ((at = control_at(o->headers[i].value)) >= 0)
            return tf_err_set(err, "the value of header '%s' holds a control character (byte %ld); refused: "
                              "it would break the request's headers", o->headers[i].key, at);
    }
    return 0;
}

static int check_options(const tf_opts *o, tf_err *err)
{
    if (!o->endpoint)
        return tf_err_set(err, "no endpoint: give --endpoint URL or set OTEL_EXPORTER_OTLP_ENDPOINT");
    if (strncmp(o->endpoint, "http://", 7) && strncmp(o->endpoint, "https://", 8))
        return tf_err_set(err, "the endpoint %s is not an http:// or https:// URL", o->endpoint);
    if (control_at(o->endpoint) >= 0 || strchr(o->endpoint, ' '))
        return tf_err_set(err, "the endpoint URL holds a space or control character");
    if (o->basic_user && !o->token)
        return tf_err_set(err, "--basic-auth needs a token: give --token-file FILE or set TRACEFILL_TOKEN");
    return check_header_texts(o, err);
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

/* The headers of a POST of OTLP (post) or of a GET of the query API. */
static struct curl_slist *header_list(const tf_opts *o, bool post)
{
    struct curl_slist *l = NULL;
    if (post) {
        l = curl_slist_append(l, o->protocol == TF_ENC_JSON ? "Content-Type: application/json"
                                                            : "Content-Type: application/x-protobuf");
        const char *enc = tf_compression_name(o->compression);
        if (enc) {
            char tmp[64];
            snprintf(tmp, sizeof tmp, "Content-Encoding: %s", enc);
            l = curl_slist_append(l, tmp);
        }
        l = curl_slist_append(l, "Expect:"); /* no 100-continue round trip */
    } else {
        /* Tempo answers a trace in protobuf for exactly this value (cheaper
         * for it than JSON), else in OTLP/JSON. */
        l = curl_slist_append(l, "Accept: application/protobuf");
    }
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

/* ---- secrets kept out of messages ----------------------------------------- */

static void add_secret(tf_http *h, const char *p, size_t n)
{
    if (n < 4) /* too short to be a credential; hiding it would garble text */
        return;
    for (size_t i = 0; i < h->n_secrets; i++)
        if (strlen(h->secrets[i]) == n && !memcmp(h->secrets[i], p, n))
            return;
    h->secrets = tf_xrealloc(h->secrets, (h->n_secrets + 1) * sizeof *h->secrets);
    h->secrets[h->n_secrets++] = tf_xstrndup(p, n);
}

/* A credential and the forms it takes on the wire: itself, user:password in
 * base64 (basic auth), each word of a header value ("Bearer <token>"). */
static void add_credential(tf_http *h, const char *user, const char *secret)
{
    add_secret(h, secret, strlen(secret));
    if (user) {
        tf_buf b = { 0 }, e = { 0 };
        tf_buf_printf(&b, "%s:%s", user, secret);
        tf_base64_encode(&e, b.p, b.len);
        add_secret(h, e.p, e.len);
        memset(b.p, 0, b.len);
        tf_buf_free(&b);
        tf_buf_free(&e);
    }
}

static void collect_secrets(tf_http *h, const tf_opts *o)
{
    if (o->token)
        add_credential(h, o->basic_user, o->token);
    const char *host = strstr(h->url, "://") + 3;
    const char *at = strchr(host, '@'), *slash = strchr(host, '/');
    if (at && (!slash || at < slash)) {
        char *info = tf_xstrndup(host, (size_t)(at - host));
        char *colon = strchr(info, ':');
        if (colon) {
            *colon = '\0';
            add_credential(h, info, colon + 1);
        }
        memset(info, 0, strlen(info));
        free(info);
    }
    for (size_t i = 0; i < o->n_headers; i++) {
        const char *v = o->headers[i].value;
        add_secret(h, v, strlen(v));
        for (const char *w = v; *w;) {
            size_t n = strcspn(w, " ");
            add_secret(h, w, n);
            w += n;
            w += strspn(w, " ");
        }
    }
    /* Longest first, so a secret that contains another is hidden whole. */
    for (size_t i = 1; i < h->n_secrets; i++)
        for (size_t j = i; j > 0 && strlen(h->secrets[j]) > strlen(h->secrets[j - 1]); j--) {
            char *t = h->secrets[j];
            h->secrets[j] = h->secrets[j - 1];
            h->secrets[j - 1] = t;
        }
}

void tf_http_redact(const tf_http *h, tf_buf *text)
{
    for (size_t i = 0; i < h->n_secrets; i++) {
        const char *sec = h->secrets[i];
        size_t n = strlen(sec);
        for (size_t at = 0; at + n <= text->len;) {
            if (memcmp(text->p + at, sec, n) != 0) {
                at++;
                continue;
            }
            /* "***" is shorter than any secret: replace in place. */
            memcpy(text->p + at, "***", 3);
            memmove(text->p + at + 3, text->p + at + n, text->len - at - n);
            text->len -= n - 3;
            at += 3;
        }
    }
    if (text->p)
        text->p[text->len] = '\0';
}

tf_http *tf_http_new(const tf_opts *o, tf_err *err)
{
    if (check_options(o, err) != 0)
        return NULL;
    tf_http *h = tf_xcalloc(1, sizeof *h);
    h->o = o;
    h->url = tf_xstrdup(o->endpoint);
    h->display = masked_url(h->url);
    h->headers = header_list(o, true);
    h->get_headers = header_list(o, false);
    collect_secrets(h, o);
    if (o->insecure)
        tf_warnf("--insecure: the endpoint's TLS certificate is NOT verified");
    return h;
}

void tf_http_free(tf_http *h)
{
    if (!h)
        return;
    curl_slist_free_all(h->headers);
    curl_slist_free_all(h->get_headers);
    for (size_t i = 0; i < h->n_secrets; i++) {
        memset(h->secrets[i], 0, strlen(h->secrets[i]));
        free(h->secrets[i]);
    }
    free(h->secrets);
    free(h->url);
    free(h->display);
    free(h);
}

const char *tf_http_url(const tf_http *h)
{
    return h->display;
}

/* Everything but the URL, the method and the headers. */
static void setup_common(const tf_http *h, CURL *e)
{
    const tf_opts *o = h->o;
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

void tf_http_setup(const tf_http *h, CURL *e)
{
    curl_easy_setopt(e, CURLOPT_URL, h->url);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h->headers);
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    setup_common(h, e);
}

void tf_http_setup_get(const tf_http *h, CURL *e, const char *url)
{
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h->get_headers);
    curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, ""); /* whatever libcurl decodes */
    setup_common(h, e);
}

/* Keeps the first TF_HTTP_BODY_MAX bytes and stops the transfer there: an
 * OTLP answer is far smaller, and a server sending more (a page, an endless
 * or a gzip-bomb body) is not waited for until --timeout. */
size_t tf_http_keep_body(char *ptr, size_t size, size_t nmemb, void *buf)
{
    tf_buf *b = buf;
    size_t n = size * nmemb;
    if (b->len >= TF_HTTP_BODY_MAX)
        return n ? 0 : n; /* CURLE_WRITE_ERROR: see tf_http_result */
    tf_buf_append(b, ptr, TF_MIN(n, TF_HTTP_BODY_MAX - b->len));
    return n;
}

CURLcode tf_http_result(CURLcode rc, const tf_buf *body)
{
    return rc == CURLE_WRITE_ERROR && body->len >= TF_HTTP_BODY_MAX ? CURLE_OK : rc;
}

/* ---- one blocking POST ------------------------------------------------------ */

tf_http_outcome tf_http_outcome_of(CURLcode rc)
{
    switch (rc) {
    case CURLE_OK: return TF_HTTP_ANSWERED;
    case CURLE_COULDNT_RESOLVE_HOST: return TF_HTTP_FAIL_RESOLVE;
    case CURLE_COULDNT_CONNECT: return TF_HTTP_FAIL_CONNECT;
    case CURLE_OPERATION_TIMEDOUT: return TF_HTTP_FAIL_TIMEOUT;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH: return TF_HTTP_FAIL_TLS_VERIFY;
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
    CURLcode rc = tf_http_result(curl_easy_perform(e), &a->body);
    a->outcome = tf_http_outcome_of(rc);
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
