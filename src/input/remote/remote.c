/* remote.c: URL inputs (S3 listings and single HTTP files) as items and
 * restartable bodies. */
#include "config.h"
#include "input/remote/remote.h"

#include "common/log.h"
#include "input/remote/httpget.h"
#include "input/remote/s3.h"

#include <stdlib.h>
#include <string.h>

struct tf_remote {
    char *url;
    char *display;       /* the URL with user:password@ masked */
    tf_s3 *s3;           /* NULL for an http(s) input */
    char *bucket, *prefix;
    tf_s3_lister *lister;
    char *name;          /* of the current item */
    tf_remote_item cur;
    const tf_s3_object *obj;
    tf_httpget *pending; /* http: the GET tf_remote_next started, until tf_remote_open takes it */
    bool http_done;
    uint64_t listed;     /* objects the listing gave */
    bool exact;          /* the prefix named one object: read only that one */
};

struct tf_remote_body {
    tf_s3_body *s3;
    tf_httpget *http;
    tf_httpget_opts opts; /* http: strings in the tf_remote */
};

bool tf_remote_is_url(const char *s)
{
    return strncmp(s, "s3://", 5) == 0 || strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0;
}

static char *mask_userinfo(const char *url)
{
    const char *host = strstr(url, "://");
    if (!host)
        return tf_xstrdup(url);
    host += 3;
    const char *at = strchr(host, '@'), *slash = strchr(host, '/');
    if (at && (!slash || at < slash))
        return tf_xasprintf("%.*s***@%s", (int)(host - url), url, at + 1);
    return tf_xstrdup(url);
}

tf_remote *tf_remote_new(const char *url, const tf_remote_opts *o, tf_err *err)
{
    tf_remote *r = tf_xcalloc(1, sizeof *r);
    r->url = tf_xstrdup(url);
    r->display = mask_userinfo(url);
    if (strncmp(url, "s3://", 5) == 0) {
        tf_s3_opts so = { .endpoint = o ? o->s3_endpoint : NULL, .path_style = o && o->s3_path_style };
        if (tf_s3_parse_url(url, &r->bucket, &r->prefix, err) != 0 || !(r->s3 = tf_s3_new(&so, err))) {
            tf_remote_free(r);
            return NULL;
        }
        r->lister = tf_s3_list_new(r->s3, r->bucket, r->prefix);
    }
    return r;
}

static tf_httpget_opts http_opts(const tf_remote *r)
{
    tf_httpget_opts o = { .url = r->url, .display = r->display, .follow_redirects = true, .max_retries = -1 };
    return o;
}

static int next_http(tf_remote *r, tf_remote_item *it, tf_err *err)
{
    if (r->http_done)
        return 0;
    r->http_done = true;
    tf_httpget_opts o = http_opts(r);
    r->pending = tf_httpget_open(&o, 0, err);
    if (!r->pending)
        return -1;
    const tf_http_answer *a = tf_httpget_answer(r->pending);
    memset(it, 0, sizeof *it);
    it->name = r->display;
    it->size = a->total;
    it->mtime = a->mtime;
    it->etag = a->etag[0] && !a->weak_etag ? a->etag : NULL;
    r->cur = *it;
    return 1;
}

/* An empty listing: a folder-like prefix ("logs/2025-06-03/") may well be
 * empty yet; a prefix naming one object that is not there is an error. */
static int no_objects(tf_remote *r, tf_err *err)
{
    size_t n = strlen(r->prefix);
    if (n == 0 || r->prefix[n - 1] == '/') {
        tf_warnf("%s: no objects under this prefix", r->display);
        return 0;
    }
    return tf_err_set(err, "%s: no such object (no key in the bucket starts with \"%s\")", r->display, r->prefix);
}

int tf_remote_next(tf_remote *r, tf_remote_item *it, tf_err *err)
{
    tf_httpget_free(r->pending);
    r->pending = NULL;
    if (!r->s3)
        return next_http(r, it, err);
    for (;;) {
        if (r->exact)
            return 0;
        const tf_s3_object *o;
        int rc = tf_s3_list_next(r->lister, &o, err);
        if (rc == 0 && r->listed == 0)
            return no_objects(r, err);
        if (rc <= 0)
            return rc;
        r->listed++;
        /* Keys come sorted, so an object named exactly by the URL comes first;
         * s3://b/a.log then means that object, not also a.log.gz. */
        if (r->listed == 1 && *r->prefix && r->prefix[strlen(r->prefix) - 1] != '/' && !strcmp(o->key, r->prefix))
            r->exact = true;
        size_t kl = strlen(o->key);
        if (kl && o->key[kl - 1] == '/' && o->size == 0)
            continue; /* a "folder" marker */
        free(r->name);
        r->name = tf_xasprintf("s3://%s/%s", r->bucket, o->key);
        r->obj = o;
        memset(it, 0, sizeof *it);
        it->name = r->name;
        it->key = o->key;
        it->size = o->size;
        it->mtime = o->mtime;
        it->etag = o->etag;
        r->cur = *it;
        return 1;
    }
}

tf_remote_body *tf_remote_open(tf_remote *r, tf_err *err)
{
    tf_remote_body *b = tf_xcalloc(1, sizeof *b);
    if (r->s3) {
        b->s3 = tf_s3_open(r->s3, r->bucket, r->obj->key, r->obj->etag, 0, err);
        if (!b->s3) {
            free(b);
            return NULL;
        }
        return b;
    }
    b->opts = http_opts(r);
    if (r->pending) {
        b->http = r->pending;
        r->pending = NULL;
    } else if (!(b->http = tf_httpget_open(&b->opts, 0, err))) {
        free(b);
        return NULL;
    }
    return b;
}

void tf_remote_free(tf_remote *r)
{
    if (!r)
        return;
    tf_httpget_free(r->pending);
    tf_s3_list_free(r->lister);
    tf_s3_free(r->s3);
    free(r->url);
    free(r->display);
    free(r->bucket);
    free(r->prefix);
    free(r->name);
    free(r);
}

tf_pull *tf_remote_body_pull(tf_remote_body *b)
{
    return b->s3 ? tf_s3_body_pull(b->s3) : tf_httpget_pull(b->http);
}

int tf_remote_body_restart(tf_remote_body *b, uint64_t from, tf_err *err)
{
    return b->s3 ? tf_s3_body_restart(b->s3, from, err) : tf_httpget_restart(b->http, from, err);
}

void tf_remote_body_free(tf_remote_body *b)
{
    if (!b)
        return;
    tf_s3_body_free(b->s3);
    tf_httpget_free(b->http);
    free(b);
}
