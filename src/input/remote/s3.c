/* s3.c: endpoints and addressing, signed requests, ListObjectsV2 paging and
 * object GETs on top of httpget. */
#include "config.h"
#include "input/remote/s3.h"

#include "common/log.h"
#include "input/remote/awscreds.h"
#include "input/remote/sigv4.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LIST_PAGE_MAX (16u * 1024u * 1024u) /* a 1000-key page is well under 1 MB */

struct tf_s3 {
    tf_s3_opts o;
    tf_aws_config cfg;
    char *endpoint;  /* scheme://host[:port][/base], no trailing '/' */
    char *scheme;    /* "https" */
    char *host;      /* host[:port] of the endpoint */
    char *base;      /* path of the endpoint, "" or "/base" */
    char *region;
    bool path_style;
};

/* One request: everything httpget needs to outlive it. */
typedef struct {
    tf_s3 *c;
    char *host;      /* the Host header, signed */
    char *path;      /* raw path, signed (encoded by the signer and in the URL alike) */
    tf_sigv4_param q[4];
    char *qk[4], *qv[4]; /* the strings q[] points to */
    size_t n_q;
    char *display;
    char *url;
    char *what;      /* "list" or "get", for hints */
    char *bucket;
} s3_req;

struct tf_s3_lister {
    tf_s3 *c;
    char *bucket, *prefix;
    tf_s3_listing page;
    size_t idx;
    char *token;
    bool started, last;
    uint64_t pages;
    char *prev_key;
};

struct tf_s3_body {
    s3_req rq;
    char *etag;
    tf_httpget *g;
};

/* ---- URLs and endpoints ------------------------------------------------------ */

int tf_s3_parse_url(const char *url, char **bucket, char **prefix, tf_err *err)
{
    *bucket = *prefix = NULL;
    if (strncmp(url, "s3://", 5) != 0)
        return tf_err_set(err, "%s: not an s3:// URL", url);
    const char *b = url + 5, *slash = strchr(b, '/');
    size_t n = slash ? (size_t)(slash - b) : strlen(b);
    if (n == 0)
        return tf_err_set(err, "%s: no bucket name (s3://BUCKET/PREFIX)", url);
    for (size_t i = 0; i < n; i++) {
        char ch = b[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' ||
              ch == '-' || ch == '_'))
            return tf_err_set(err, "%s: \"%.*s\" is not a bucket name", url, (int)n, b);
    }
    *bucket = tf_xstrndup(b, n);
    *prefix = tf_xstrdup(slash ? slash + 1 : "");
    return 0;
}

/* Splits scheme://host[:port][/path] (no query); -1 when not http(s). */
static int split_endpoint(tf_s3 *c, const char *ep, tf_err *err)
{
    const char *sep = strstr(ep, "://");
    if (!sep || (strncmp(ep, "http://", 7) != 0 && strncmp(ep, "https://", 8) != 0))
        return tf_err_set(err, "the S3 endpoint %s is not an http:// or https:// URL", ep);
    const char *h = sep + 3, *path = strchr(h, '/');
    if (strchr(h, '@') && (!path || strchr(h, '@') < path))
        return tf_err_set(err, "the S3 endpoint must not hold user:password@ (use AWS credentials)");
    if (strchr(ep, '?') || strchr(ep, '#'))
        return tf_err_set(err, "the S3 endpoint %s must not have a query or fragment", ep);
    size_t hl = path ? (size_t)(path - h) : strlen(h);
    if (hl == 0)
        return tf_err_set(err, "the S3 endpoint %s has no host", ep);
    c->scheme = tf_xstrndup(ep, (size_t)(sep - ep));
    c->host = tf_xstrndup(h, hl);
    const char *p = path ? path : "";
    size_t pl = strlen(p);
    while (pl && p[pl - 1] == '/')
        pl--;
    c->base = tf_xstrndup(p, pl);
    c->endpoint = tf_xasprintf("%s://%s%s", c->scheme, c->host, c->base);
    return 0;
}

tf_s3 *tf_s3_new(const tf_s3_opts *o, tf_err *err)
{
    tf_s3 *c = tf_xcalloc(1, sizeof *c);
    c->o = *o;
    if (tf_aws_load(&c->cfg, err) != 0) {
        tf_s3_free(c);
        return NULL;
    }
    c->region = tf_xstrdup(c->cfg.region ? c->cfg.region : "us-east-1");
    const char *ep = o->endpoint && *o->endpoint ? o->endpoint : c->cfg.endpoint;
    int rc;
    if (ep) {
        rc = split_endpoint(c, ep, err);
        c->path_style = true; /* S3-compatible stores: R2, MinIO, s3rver ... */
    } else {
        char *aws = tf_xasprintf("https://s3.%s.amazonaws.com", c->region);
        rc = split_endpoint(c, aws, err);
        free(aws);
        c->path_style = o->path_style || c->cfg.path_style;
    }
    if (rc != 0) {
        tf_s3_free(c);
        return NULL;
    }
    if (!c->cfg.access_key)
        tf_verbosef("no AWS credentials found (environment, %s profile \"%s\"): S3 requests go unsigned",
                    "credentials and config files,", c->cfg.profile ? c->cfg.profile : "default");
    return c;
}

void tf_s3_free(tf_s3 *c)
{
    if (!c)
        return;
    tf_aws_config_free(&c->cfg);
    free(c->endpoint);
    free(c->scheme);
    free(c->host);
    free(c->base);
    free(c->region);
    free(c);
}

const char *tf_s3_endpoint(const tf_s3 *c)
{
    return c->endpoint;
}

bool tf_s3_signed(const tf_s3 *c)
{
    return c->cfg.access_key != NULL;
}

/* ---- requests -------------------------------------------------------------------- */

/* Sets the host, path and URL of a request for the bucket and key (key NULL:
 * the bucket itself, for listing). Virtual-hosted unless path-style or the
 * bucket has a dot (a TLS name mismatch on AWS). */
static void req_init(s3_req *r, tf_s3 *c, const char *bucket, const char *key, const char *what)
{
    memset(r, 0, sizeof *r);
    r->c = c;
    r->what = tf_xstrdup(what);
    r->bucket = tf_xstrdup(bucket);
    bool path_style = c->path_style || strchr(bucket, '.');
    r->host = path_style ? tf_xstrdup(c->host) : tf_xasprintf("%s.%s", bucket, c->host);
    if (path_style)
        r->path = tf_xasprintf("%s/%s%s%s", c->base, bucket, key ? "/" : "", key ? key : "");
    else
        r->path = tf_xasprintf("%s/%s", c->base, key ? key : "");
    r->display = key ? tf_xasprintf("s3://%s/%s", bucket, key) : NULL;
}

static void req_set_url(s3_req *r)
{
    tf_buf u = { 0 };
    tf_buf_printf(&u, "%s://%s", r->c->scheme, r->host);
    tf_sigv4_encode(&u, r->path, true);
    for (size_t i = 0; i < r->n_q; i++) {
        tf_buf_putc(&u, i ? '&' : '?');
        tf_sigv4_encode(&u, r->q[i].key, false);
        tf_buf_putc(&u, '=');
        tf_sigv4_encode(&u, r->q[i].value, false);
    }
    free(r->url);
    r->url = tf_xstrdup(tf_buf_cstr(&u));
    tf_buf_free(&u);
}

static void req_free(s3_req *r)
{
    free(r->host);
    free(r->path);
    free(r->display);
    free(r->url);
    free(r->what);
    free(r->bucket);
    for (size_t i = 0; i < r->n_q; i++) {
        free(r->qk[i]);
        free(r->qv[i]);
    }
    memset(r, 0, sizeof *r);
}

char *tf_s3_url(tf_s3 *c, const char *bucket, const char *key)
{
    s3_req r;
    req_init(&r, c, bucket, key, "get");
    req_set_url(&r);
    char *url = r.url;
    r.url = NULL;
    req_free(&r);
    return url;
}

static void req_add_query(s3_req *r, const char *k, const char *v)
{
    r->q[r->n_q].key = r->qk[r->n_q] = tf_xstrdup(k);
    r->q[r->n_q].value = r->qv[r->n_q] = tf_xstrdup(v);
    r->n_q++;
}

static struct curl_slist *add_header(struct curl_slist *l, const char *name, const char *value)
{
    size_t n = strlen(name) + strlen(value) + 3;
    char *line = tf_xmalloc(n);
    snprintf(line, n, "%s: %s", name, value);
    l = curl_slist_append(l, line);
    volatile char *v = line; /* may hold the session token */
    for (size_t i = 0; i < n; i++)
        v[i] = 0;
    free(line);
    return l;
}

/* httpget's per-attempt headers: a fresh signature at the current time. */
static int sign_headers(void *ctx, struct curl_slist **list, tf_err *err)
{
    s3_req *r = ctx;
    tf_s3 *c = r->c;
    *list = add_header(*list, "Host", r->host);
    *list = add_header(*list, "x-amz-content-sha256", TF_SIGV4_EMPTY_SHA256);
    if (!c->cfg.access_key)
        return 0;
    tf_sigv4_header h[] = { { "x-amz-content-sha256", TF_SIGV4_EMPTY_SHA256 } };
    tf_sigv4_request rq = { "GET", r->host, r->path, r->q, r->n_q, h, 1, TF_SIGV4_EMPTY_SHA256, (int64_t)time(NULL) };
    tf_sigv4_creds cr = { c->cfg.access_key, c->cfg.secret_key, c->cfg.session_token, c->region, "s3" };
    tf_sigv4_out out;
    if (tf_sigv4_sign(&rq, &cr, &out, err) != 0)
        return -1;
    *list = add_header(*list, "x-amz-date", out.amz_date);
    if (c->cfg.session_token)
        *list = add_header(*list, "x-amz-security-token", c->cfg.session_token);
    *list = add_header(*list, "Authorization", out.authorization);
    tf_sigv4_out_free(&out);
    return 0;
}

/* Appends what a final failure most likely means. */
static void s3_hint(void *ctx, const tf_http_answer *a, tf_buf *msg)
{
    s3_req *r = ctx;
    tf_s3 *c = r->c;
    const char *code = a->code;
    bool get = strcmp(r->what, "get") == 0;
    if (a->bucket_region[0] && strcmp(a->bucket_region, c->region) != 0) {
        tf_buf_printf(msg, "; the bucket is in %s, not %s: set AWS_REGION=%s", a->bucket_region, c->region,
                      a->bucket_region);
    } else if (!strcmp(code, "NoSuchBucket") || (!get && a->status == 404)) {
        tf_buf_printf(msg, "; the bucket \"%s\" does not exist at %s (check its name, the region and --s3-endpoint)",
                      r->bucket, c->endpoint);
    } else if (!strcmp(code, "NoSuchKey") || a->status == 404) {
        tf_buf_puts(msg, "; the object does not exist (deleted or renamed since it was listed?)");
    } else if (a->status == 412 || !strcmp(code, "PreconditionFailed")) {
        tf_buf_puts(msg, "; the object was replaced since it was listed (its ETag changed): run again to read the "
                         "new version");
    } else if (!strcmp(code, "SignatureDoesNotMatch")) {
        tf_buf_puts(msg, "; the secret key does not belong to the access key ID (or the region is wrong)");
    } else if (!strcmp(code, "InvalidAccessKeyId")) {
        tf_buf_printf(msg, "; %s does not know the access key ID (another account or endpoint?)", c->endpoint);
    } else if (!strcmp(code, "RequestTimeTooSkewed")) {
        tf_buf_puts(msg, "; this machine's clock is too far off: fix the time (NTP)");
    } else if (!strcmp(code, "ExpiredToken") || !strcmp(code, "TokenRefreshRequired")) {
        tf_buf_puts(msg, "; the session token (AWS_SESSION_TOKEN) expired: get fresh credentials");
    } else if (a->status == 401 || a->status == 403) {
        if (!c->cfg.access_key)
            tf_buf_puts(msg, "; no AWS credentials were found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or "
                             "AWS_PROFILE");
        else if (!strcmp(c->cfg.source, "environment"))
            tf_buf_printf(msg, "; the credentials (AWS_ACCESS_KEY_ID) may not %s, or they are wrong or expired",
                          get ? "read this object (s3:GetObject)" : "list the bucket (s3:ListBucket)");
        else
            tf_buf_printf(msg, "; the credentials (profile \"%s\" in the %s) may not %s, or they are wrong or expired",
                          c->cfg.profile, c->cfg.source,
                          get ? "read this object (s3:GetObject)" : "list the bucket (s3:ListBucket)");
    }
}

static void req_opts(s3_req *r, tf_httpget_opts *o)
{
    tf_s3 *c = r->c;
    memset(o, 0, sizeof *o);
    o->url = r->url;
    o->display = r->display;
    o->headers = sign_headers;
    o->hint = s3_hint;
    o->ctx = r;
    o->max_retries = c->o.max_retries ? c->o.max_retries : -1;
    o->backoff_base_ns = c->o.backoff_base_ns;
    o->backoff_cap_ns = c->o.backoff_cap_ns;
}

/* ---- listing ------------------------------------------------------------------------ */

tf_s3_lister *tf_s3_list_new(tf_s3 *c, const char *bucket, const char *prefix)
{
    tf_s3_lister *l = tf_xcalloc(1, sizeof *l);
    l->c = c;
    l->bucket = tf_xstrdup(bucket);
    l->prefix = tf_xstrdup(prefix);
    return l;
}

static int fetch_page(tf_s3_lister *l, tf_err *err)
{
    s3_req r;
    req_init(&r, l->c, l->bucket, NULL, "list");
    r.display = tf_xasprintf("s3://%s/%s", l->bucket, l->prefix);
    req_add_query(&r, "list-type", "2");
    if (*l->prefix)
        req_add_query(&r, "prefix", l->prefix);
    if (l->token)
        req_add_query(&r, "continuation-token", l->token);
    req_set_url(&r);
    tf_httpget_opts o;
    req_opts(&r, &o);
    tf_buf body = { 0 };
    tf_http_answer a;
    int rc = tf_http_fetch(&o, LIST_PAGE_MAX, &body, &a, err);
    tf_s3_listing_free(&l->page);
    if (rc == 0 && tf_s3_parse_listing(body.p ? body.p : "", body.len, &l->page, err) != 0)
        rc = tf_err_prefix(err, "%s: page %llu of the listing", r.display, (unsigned long long)l->pages + 1);
    tf_buf_free(&body);
    req_free(&r);
    if (rc != 0)
        return -1;
    l->pages++;
    l->idx = 0;
    free(l->token);
    l->token = l->page.truncated ? tf_xstrdup(l->page.next_token) : NULL;
    l->last = !l->page.truncated;
    return 0;
}

int tf_s3_list_next(tf_s3_lister *l, const tf_s3_object **obj, tf_err *err)
{
    while (l->idx >= l->page.n) {
        if (l->started && l->last)
            return 0;
        l->started = true;
        if (fetch_page(l, err) != 0) {
            l->last = true;
            l->page.n = 0;
            return -1;
        }
    }
    const tf_s3_object *o = &l->page.objects[l->idx++];
    if (l->prev_key && strcmp(o->key, l->prev_key) <= 0)
        tf_warnf("s3://%s/%s: the listing is not in key order (\"%s\" after \"%s\")", l->bucket, l->prefix, o->key,
                 l->prev_key);
    free(l->prev_key);
    l->prev_key = tf_xstrdup(o->key);
    *obj = o;
    return 1;
}

uint64_t tf_s3_list_pages(const tf_s3_lister *l)
{
    return l->pages;
}

void tf_s3_list_free(tf_s3_lister *l)
{
    if (!l)
        return;
    tf_s3_listing_free(&l->page);
    free(l->bucket);
    free(l->prefix);
    free(l->token);
    free(l->prev_key);
    free(l);
}

/* ---- objects ------------------------------------------------------------------------- */

tf_s3_body *tf_s3_open(tf_s3 *c, const char *bucket, const char *key, const char *etag, uint64_t from,
                       tf_err *err)
{
    tf_s3_body *b = tf_xcalloc(1, sizeof *b);
    req_init(&b->rq, c, bucket, key, "get");
    req_set_url(&b->rq);
    b->etag = etag && *etag ? tf_xstrdup(etag) : NULL;
    tf_httpget_opts o;
    req_opts(&b->rq, &o);
    o.if_match = b->etag;
    b->g = tf_httpget_open(&o, from, err);
    if (!b->g) {
        tf_s3_body_free(b);
        return NULL;
    }
    return b;
}

tf_pull *tf_s3_body_pull(tf_s3_body *b)
{
    return tf_httpget_pull(b->g);
}

int tf_s3_body_restart(tf_s3_body *b, uint64_t from, tf_err *err)
{
    return tf_httpget_restart(b->g, from, err);
}

void tf_s3_body_free(tf_s3_body *b)
{
    if (!b)
        return;
    tf_httpget_free(b->g);
    req_free(&b->rq);
    free(b->etag);
    free(b);
}
