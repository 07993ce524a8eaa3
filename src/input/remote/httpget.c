/* httpget.c: a streamed GET on libcurl's multi interface, with a bounded,
 * pausing buffer, retries with backoff and ranged resumes. */
#include "config.h"
#include "input/remote/httpget.h"

#include "common/log.h"
#include "common/timefmt.h"
#include "input/remote/s3xml.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define ERRBODY_MAX (64u * 1024u)
#define RETRY_AFTER_MAX_NS (60ull * 1000000000ull)

struct tf_httpget {
    tf_httpget_opts o;
    CURLM *multi;
    CURL *easy;
    struct curl_slist *hdrs;
    char curl_err[CURL_ERROR_SIZE];
    tf_pull pull;
    /* the transfer in flight */
    uint64_t from;          /* its first byte */
    uint64_t received;      /* body bytes taken from curl (into buf) since from */
    uint8_t *buf;
    size_t len, cap;
    bool handed;            /* buf[0..len) was handed out by the pull */
    bool paused, headers_done, done;
    CURLcode result;
    tf_buf errbody;         /* body of a non-2xx response */
    tf_http_answer a;
    uint64_t retry_after_ns;
    /* across attempts */
    uint64_t delivered;     /* absolute offset of the next byte the pull hands out */
    char etag[130];         /* the ETag resumes must match */
    int64_t total;          /* whole size once known, -1 */
    int attempts;           /* failed attempts since the last progress */
    uint64_t rng;
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;

static void global_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

void tf_http_global_init(void)
{
    pthread_once(&global_once, global_init_once);
}

/* ---- response headers ----------------------------------------------------- */

static void copy_trimmed(char *dst, size_t cap, const char *v, size_t n)
{
    while (n && (*v == ' ' || *v == '\t')) {
        v++;
        n--;
    }
    while (n && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, v, n);
    dst[n] = '\0';
}

static bool header_is(const char *line, size_t n, const char *name, const char **value, size_t *vlen)
{
    size_t k = strlen(name);
    if (n <= k || line[k] != ':' || strncasecmp(line, name, k) != 0)
        return false;
    *value = line + k + 1;
    *vlen = n - k - 1;
    return true;
}

static int64_t parse_i64(const char *s)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    return errno || end == s || v < 0 ? -1 : (int64_t)v;
}

static void on_etag(tf_http_answer *a, const char *v, size_t n)
{
    char tmp[sizeof a->etag];
    copy_trimmed(tmp, sizeof tmp, v, n);
    const char *e = tmp;
    a->weak_etag = strncmp(e, "W/", 2) == 0;
    if (a->weak_etag)
        e += 2;
    size_t len = strlen(e);
    if (len >= 2 && e[0] == '"' && e[len - 1] == '"') {
        e++;
        len -= 2;
    }
    memcpy(a->etag, e, len);
    a->etag[len] = '\0';
}

static void on_content_range(tf_http_answer *a, const char *v, size_t n)
{
    char tmp[128];
    copy_trimmed(tmp, sizeof tmp, v, n);
    long long s, e, t;
    if (sscanf(tmp, "bytes %lld-%lld/%lld", &s, &e, &t) == 3) {
        a->range_start = s;
        a->total = t;
    } else if (sscanf(tmp, "bytes %lld-%lld/*", &s, &e) == 2) {
        a->range_start = s;
    }
}

static size_t on_header(char *p, size_t sz, size_t nitems, void *ud)
{
    tf_httpget *g = ud;
    size_t n = sz * nitems;
    const char *v;
    size_t vl;
    char tmp[64];
    if (n >= 5 && memcmp(p, "HTTP/", 5) == 0) { /* a new response (redirects, 100 Continue) */
        memset(&g->a, 0, sizeof g->a);
        g->a.length = g->a.total = -1;
        g->retry_after_ns = 0;
        const char *sp = memchr(p, ' ', n);
        g->a.status = sp ? strtol(sp + 1, NULL, 10) : 0;
    } else if (n <= 2 && (p[0] == '\r' || p[0] == '\n')) {
        bool redirect = g->o.follow_redirects && g->a.status >= 300 && g->a.status < 400 && g->a.status != 304;
        if (g->a.status >= 200 && !redirect) {
            g->headers_done = true;
            if (g->a.status == 200 && g->a.total < 0)
                g->a.total = g->a.length;
        }
    } else if (header_is(p, n, "ETag", &v, &vl)) {
        on_etag(&g->a, v, vl);
    } else if (header_is(p, n, "Content-Length", &v, &vl)) {
        copy_trimmed(tmp, sizeof tmp, v, vl);
        g->a.length = parse_i64(tmp);
    } else if (header_is(p, n, "Content-Range", &v, &vl)) {
        on_content_range(&g->a, v, vl);
    } else if (header_is(p, n, "x-amz-bucket-region", &v, &vl)) {
        copy_trimmed(g->a.bucket_region, sizeof g->a.bucket_region, v, vl);
    } else if (header_is(p, n, "Last-Modified", &v, &vl)) {
        char date[64];
        uint64_t ns;
        copy_trimmed(date, sizeof date, v, vl);
        if (tf_time_parse_http_date(date, strlen(date), tf_now_wall_ns(), &ns))
            g->a.mtime = (int64_t)(ns / 1000000000u);
    } else if (header_is(p, n, "Retry-After", &v, &vl)) {
        copy_trimmed(tmp, sizeof tmp, v, vl);
        int64_t s = parse_i64(tmp);
        if (s >= 0)
            g->retry_after_ns = TF_MIN((uint64_t)s * 1000000000ull, RETRY_AFTER_MAX_NS);
    }
    return n;
}

/* ---- body ------------------------------------------------------------------- */

static bool status_ok(const tf_httpget *g)
{
    return g->a.status >= 200 && g->a.status < 300;
}

static size_t on_write(char *p, size_t sz, size_t nmemb, void *ud)
{
    tf_httpget *g = ud;
    size_t n = sz * nmemb;
    if (!status_ok(g)) {
        if (g->errbody.len < ERRBODY_MAX)
            tf_buf_append(&g->errbody, p, TF_MIN(n, ERRBODY_MAX - g->errbody.len));
        return n;
    }
    if (g->len + n > g->cap) {
        if (g->len > 0) {
            g->paused = true;
            return CURL_WRITEFUNC_PAUSE;
        }
        g->cap = n; /* a chunk bigger than the whole buffer (rare): make room */
        g->buf = tf_xrealloc(g->buf, g->cap);
    }
    memcpy(g->buf + g->len, p, n);
    g->len += n;
    g->received += n;
    return n;
}

/* ---- transfers ---------------------------------------------------------------- */

static void stop_transfer(tf_httpget *g)
{
    if (g->easy) {
        curl_multi_remove_handle(g->multi, g->easy);
        curl_easy_cleanup(g->easy);
        g->easy = NULL;
    }
    curl_slist_free_all(g->hdrs);
    g->hdrs = NULL;
}

static int start_transfer(tf_httpget *g, uint64_t from, tf_err *err)
{
    stop_transfer(g);
    memset(&g->a, 0, sizeof g->a);
    g->a.length = g->a.total = -1;
    g->from = from;
    g->received = 0;
    g->len = 0;
    g->handed = false;
    g->paused = g->headers_done = g->done = false;
    g->result = CURLE_OK;
    g->errbody.len = 0;
    g->retry_after_ns = 0;
    g->curl_err[0] = '\0';
    if (g->o.headers && g->o.headers(g->o.ctx, &g->hdrs, err) != 0)
        return -1;
    char line[200];
    if (from > 0) {
        snprintf(line, sizeof line, "Range: bytes=%llu-", (unsigned long long)from);
        g->hdrs = curl_slist_append(g->hdrs, line);
    }
    const char *match = g->o.if_match ? g->o.if_match : (from > 0 && g->etag[0] ? g->etag : NULL);
    if (match) {
        snprintf(line, sizeof line, "If-Match: \"%s\"", match);
        g->hdrs = curl_slist_append(g->hdrs, line);
    }
    CURL *e = g->easy = curl_easy_init();
    if (!e)
        return tf_err_set(err, "%s: cannot start an HTTP transfer (out of memory?)", g->o.display);
    curl_easy_setopt(e, CURLOPT_URL, g->o.url);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, g->hdrs);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, g);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, g);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, g->curl_err);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L); /* S3 keys may hold "../": sent as signed */
    curl_easy_setopt(e, CURLOPT_USERAGENT, "tracefill/" PACKAGE_VERSION);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, g->o.connect_timeout_ms ? g->o.connect_timeout_ms : 30000L);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, g->o.stall_timeout_s ? g->o.stall_timeout_s : 60L);
    if (g->o.follow_redirects) {
        curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(e, CURLOPT_MAXREDIRS, 5L);
        curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    }
    if (curl_multi_add_handle(g->multi, e) != CURLM_OK)
        return tf_err_set(err, "%s: cannot start an HTTP transfer", g->o.display);
    return 0;
}

/* One round of curl work, waiting up to a second for the network. */
static void drive(tf_httpget *g, bool wait)
{
    int running = 0, left;
    curl_multi_perform(g->multi, &running);
    CURLMsg *m;
    while ((m = curl_multi_info_read(g->multi, &left))) {
        if (m->msg == CURLMSG_DONE && m->easy_handle == g->easy) {
            g->done = true;
            g->result = m->data.result;
        }
    }
    if (!g->done && wait)
        curl_multi_poll(g->multi, NULL, 0, 1000, NULL);
}

/* ---- failures and retries ---------------------------------------------------------- */

static bool transient_curl(CURLcode c)
{
    switch (c) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_WEIRD_SERVER_REPLY:
        return true;
    default:
        return false;
    }
}

static bool transient_status(const tf_http_answer *a)
{
    return a->status == 429 || a->status == 500 || a->status == 502 || a->status == 503 || a->status == 504 ||
           (a->status == 400 && strcmp(a->code, "RequestTimeout") == 0);
}

static const char *reason(long status)
{
    switch (status) {
    case 301: return "Moved Permanently";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 412: return "Precondition Failed";
    case 416: return "Range Not Satisfiable";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "";
    }
}

/* "HTTP 404 Not Found (NoSuchKey: The specified key does not exist.)" or the transport error. */
static void describe(const tf_httpget *g, tf_buf *b)
{
    const tf_http_answer *a = &g->a;
    if (a->status == 0) {
        tf_buf_printf(b, "%s", g->curl_err[0] ? g->curl_err : curl_easy_strerror((CURLcode)a->curl_code));
        if (g->delivered > 0 && g->total >= 0)
            tf_buf_printf(b, " at byte %llu of %lld", (unsigned long long)g->delivered, (long long)g->total);
        else if (g->delivered > 0)
            tf_buf_printf(b, " at byte %llu", (unsigned long long)g->delivered);
        return;
    }
    const char *r = reason(a->status);
    tf_buf_printf(b, "HTTP %ld%s%s", a->status, *r ? " " : "", r);
    if (a->code[0])
        tf_buf_printf(b, " (%s%s%s)", a->code, a->message[0] ? ": " : "", a->message);
}

static void parse_errbody(tf_httpget *g)
{
    tf_s3_error e;
    if (g->errbody.len && tf_s3_parse_error(g->errbody.p, g->errbody.len, &e) == 0) {
        if (e.code)
            snprintf(g->a.code, sizeof g->a.code, "%s", e.code);
        if (e.message)
            snprintf(g->a.message, sizeof g->a.message, "%s", e.message);
    }
    tf_s3_error_free(&e);
}

static uint64_t next_rand(tf_httpget *g)
{
    g->rng ^= g->rng << 13;
    g->rng ^= g->rng >> 7;
    g->rng ^= g->rng << 17;
    return g->rng;
}

static void sleep_ns(uint64_t ns)
{
    struct timespec ts = { (time_t)(ns / 1000000000u), (long)(ns % 1000000000u) };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* After a failed attempt: true when another may be made (having waited). */
static bool backoff(tf_httpget *g, tf_buf *why)
{
    int max = g->o.max_retries < 0 ? 5 : g->o.max_retries;
    if (g->attempts >= max)
        return false;
    uint64_t base = g->o.backoff_base_ns ? g->o.backoff_base_ns : 200000000ull;
    uint64_t cap = g->o.backoff_cap_ns ? g->o.backoff_cap_ns : 20000000000ull;
    uint64_t ceil = base << TF_MIN(g->attempts, 30);
    if (ceil > cap || ceil < base)
        ceil = cap;
    uint64_t delay = g->retry_after_ns ? g->retry_after_ns : next_rand(g) % (ceil + 1);
    g->attempts++;
    tf_verbosef("%s: %s; retrying in %llu ms (attempt %d of %d)", g->o.display, tf_buf_cstr(why),
                (unsigned long long)(delay / 1000000u), g->attempts + 1, max + 1);
    sleep_ns(delay);
    return true;
}

/* Fills err with the final failure of the current attempt. */
static int fail(tf_httpget *g, tf_err *err)
{
    tf_buf msg = { 0 };
    tf_buf_printf(&msg, "%s: ", g->o.display);
    describe(g, &msg);
    if (g->attempts > 0)
        tf_buf_printf(&msg, " (after %d attempts)", g->attempts + 1);
    if (g->o.hint && g->a.status != 0)
        g->o.hint(g->o.ctx, &g->a, &msg);
    tf_err_set(err, "%s", tf_buf_cstr(&msg));
    tf_buf_free(&msg);
    return -1;
}

/* Runs the current transfer until its status is known. 1: a usable 2xx; 0: a
 * transient failure (retry); -1: a final one. */
static int await_headers(tf_httpget *g, tf_err *err)
{
    while (!g->headers_done && !g->done)
        drive(g, true);
    if (!g->headers_done) {
        g->a.status = 0;
        g->a.curl_code = (int)g->result;
        return transient_curl(g->result) ? 0 : -1;
    }
    if (!status_ok(g)) {
        while (!g->done)
            drive(g, true);
        parse_errbody(g);
        return transient_status(&g->a) ? 0 : -1;
    }
    if (g->from > 0 && (g->a.status != 206 || g->a.range_start != (int64_t)g->from)) {
        tf_err_set(err, "%s: asked for bytes from %llu, the server sent %s; it may not support ranges or the "
                        "file changed",
                   g->o.display, (unsigned long long)g->from,
                   g->a.status == 206 ? "another range" : "the whole file again");
        return -1;
    }
    if (g->etag[0] && g->a.etag[0] && strcmp(g->etag, g->a.etag) != 0) {
        tf_err_set(err, "%s: the file changed while it was read (ETag \"%s\", first \"%s\")", g->o.display,
                   g->a.etag, g->etag);
        return -1;
    }
    if (!g->etag[0] && g->a.etag[0] && !g->a.weak_etag)
        snprintf(g->etag, sizeof g->etag, "%s", g->a.etag);
    if (g->total < 0 && g->a.total >= 0)
        g->total = g->a.total;
    return 1;
}

/* Starts at `from` and retries until the headers of a 2xx are in. */
static int connect_at(tf_httpget *g, uint64_t from, tf_err *err)
{
    for (;;) {
        if (start_transfer(g, from, err) != 0)
            return -1;
        tf_err inner = { "" };
        int r = await_headers(g, &inner);
        if (r == 1)
            return 0;
        if (inner.msg[0]) /* a refused resume: not retried */
            return tf_err_set(err, "%s", inner.msg);
        tf_buf why = { 0 };
        describe(g, &why);
        bool again = r == 0 && backoff(g, &why);
        tf_buf_free(&why);
        if (!again)
            return fail(g, err);
    }
}

static ssize_t get_pull(tf_pull *pl, const uint8_t **chunk)
{
    tf_httpget *g = pl->ctx;
    for (;;) {
        if (g->handed) { /* the last chunk was consumed */
            g->len = 0;
            g->handed = false;
        }
        if (g->paused) {
            g->paused = false;
            curl_easy_pause(g->easy, CURLPAUSE_CONT); /* may deliver at once */
        }
        while (g->len == 0 && !g->done)
            drive(g, true);
        if (g->len > 0) {
            if (g->attempts && g->received > 0)
                g->attempts = 0; /* progress: a later failure starts counting afresh */
            g->delivered += g->len;
            g->handed = true;
            *chunk = g->buf;
            return (ssize_t)g->len;
        }
        bool complete = g->total < 0 || g->delivered >= (uint64_t)g->total;
        if (g->result == CURLE_OK && complete)
            return 0;
        g->a.status = 0;
        g->a.curl_code = g->result == CURLE_OK ? (int)CURLE_PARTIAL_FILE : (int)g->result;
        if (g->result == CURLE_OK)
            snprintf(g->curl_err, sizeof g->curl_err, "the body ended early");
        tf_buf why = { 0 };
        describe(g, &why);
        bool again = (transient_curl((CURLcode)g->a.curl_code)) && backoff(g, &why);
        tf_buf_free(&why);
        if (!again) {
            fail(g, &pl->err);
            return -1;
        }
        if (connect_at(g, g->delivered, &pl->err) != 0)
            return -1;
    }
}

/* ---- the handle ----------------------------------------------------------------- */

tf_httpget *tf_httpget_open(const tf_httpget_opts *o, uint64_t from, tf_err *err)
{
    tf_http_global_init();
    tf_httpget *g = tf_xcalloc(1, sizeof *g);
    g->o = *o;
    g->multi = curl_multi_init();
    g->cap = TF_INPUT_BUFSIZE;
    g->buf = tf_xmalloc(g->cap);
    g->total = -1;
    g->delivered = from;
    g->rng = (tf_now_mono_ns() ^ (uint64_t)(uintptr_t)g) | 1;
    tf_pull_init(&g->pull, get_pull, g);
    g->pull.pos = from;
    if (!g->multi || connect_at(g, from, err) != 0) {
        tf_httpget_free(g);
        return NULL;
    }
    return g;
}

tf_pull *tf_httpget_pull(tf_httpget *g)
{
    return &g->pull;
}

const tf_http_answer *tf_httpget_answer(const tf_httpget *g)
{
    return &g->a;
}

int tf_httpget_restart(tf_httpget *g, uint64_t from, tf_err *err)
{
    g->attempts = 0;
    g->delivered = from;
    tf_pull_reset(&g->pull);
    g->pull.pos = from;
    if (g->total >= 0 && from >= (uint64_t)g->total) { /* nothing left: no request */
        stop_transfer(g);
        g->len = 0;
        g->handed = false;
        g->paused = false;
        g->done = true;
        g->result = CURLE_OK;
        return 0;
    }
    return connect_at(g, from, err);
}

void tf_httpget_free(tf_httpget *g)
{
    if (!g)
        return;
    stop_transfer(g);
    if (g->multi)
        curl_multi_cleanup(g->multi);
    free(g->buf);
    tf_buf_free(&g->errbody);
    free(g);
}

int tf_http_fetch(const tf_httpget_opts *o, size_t max, tf_buf *body, tf_http_answer *a, tf_err *err)
{
    body->len = 0;
    tf_httpget *g = tf_httpget_open(o, 0, err);
    if (!g) {
        memset(a, 0, sizeof *a);
        return -1;
    }
    int rc = 0;
    for (;;) {
        const uint8_t *p;
        ssize_t n = tf_pull_next(&g->pull, &p, SIZE_MAX);
        if (n == 0)
            break;
        if (n < 0) {
            *err = g->pull.err;
            rc = -1;
            break;
        }
        if (body->len + (size_t)n > max) {
            rc = tf_err_set(err, "%s: the response is larger than %zu bytes", o->display, max);
            break;
        }
        tf_buf_append(body, p, (size_t)n);
    }
    *a = g->a;
    tf_httpget_free(g);
    return rc;
}
