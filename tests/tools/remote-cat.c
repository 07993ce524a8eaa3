/* remote-cat: the remote input layer (input/remote) on its own, for the
 * HTTP and S3 source tests.
 *   remote-cat URL [FROM [K:N]]   streams one http(s) URL to stdout through
 *                                 httpget from byte FROM; with K:N, restarts
 *                                 at byte N after K bytes were read
 *   remote-cat -l s3://B/P        lists: "name size etag" per object
 *   remote-cat -c s3://B/P        concatenates every object's body
 *   remote-cat -g s3://B/KEY      gets one object without listing it
 * Retries wait 10 ms at most. Errors go to stderr; exit 1. */
#include "config.h"
#include "input/remote/httpget.h"
#include "input/remote/remote.h"
#include "input/remote/s3.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int drain(tf_pull *pl, unsigned long long stop_at, unsigned long long *out)
{
    for (;;) {
        const uint8_t *p;
        size_t want = stop_at ? (size_t)(stop_at - *out) : SIZE_MAX;
        if (stop_at && *out == stop_at)
            return 0;
        ssize_t r = tf_pull_next(pl, &p, want);
        if (r == 0)
            return 0;
        if (r < 0) {
            fprintf(stderr, "%s\n", pl->err.msg);
            return 1;
        }
        fwrite(p, 1, (size_t)r, stdout);
        *out += (unsigned long long)r;
    }
}

static int remote_main(bool cat, const char *url)
{
    tf_err err = { "" };
    tf_remote_opts ro = { getenv("S3_ENDPOINT"), false };
    tf_remote *r = tf_remote_new(url, &ro, &err);
    if (!r) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    tf_remote_item it;
    int rc, status = 0;
    while ((rc = tf_remote_next(r, &it, &err)) == 1) {
        if (!cat) {
            printf("%s %lld %s\n", it.name, (long long)it.size, it.etag ? it.etag : "-");
            continue;
        }
        tf_remote_body *b = tf_remote_open(r, &err);
        if (!b) {
            fprintf(stderr, "%s\n", err.msg);
            status = 1;
            continue;
        }
        unsigned long long out = 0;
        status |= drain(tf_remote_body_pull(b), 0, &out);
        tf_remote_body_free(b);
    }
    if (rc < 0) {
        fprintf(stderr, "%s\n", err.msg);
        status = 1;
    }
    tf_remote_free(r);
    return status;
}

static int get_main(const char *url)
{
    tf_err err = { "" };
    char *bucket, *key;
    tf_s3_opts so = { .endpoint = getenv("S3_ENDPOINT"), .max_retries = 1, .backoff_base_ns = 1000000 };
    tf_s3 *c = NULL;
    tf_s3_body *b = NULL;
    int rc = 1;
    if (tf_s3_parse_url(url, &bucket, &key, &err) == 0 && (c = tf_s3_new(&so, &err)) &&
        (b = tf_s3_open(c, bucket, key, NULL, 0, &err))) {
        unsigned long long out = 0;
        rc = drain(tf_s3_body_pull(b), 0, &out);
    } else {
        fprintf(stderr, "%s\n", err.msg);
    }
    tf_s3_body_free(b);
    tf_s3_free(c);
    free(bucket);
    free(key);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: remote-cat URL [FROM [K:N]] | -l URL | -c URL\n");
        return 2;
    }
    if (argc == 3 && !strcmp(argv[1], "-g"))
        return get_main(argv[2]);
    if (argc == 3 && (!strcmp(argv[1], "-l") || !strcmp(argv[1], "-c")))
        return remote_main(argv[1][1] == 'c', argv[2]);
    unsigned long long from = argc > 2 ? strtoull(argv[2], NULL, 10) : 0, k = 0, n = 0;
    bool jump = argc > 3 && sscanf(argv[3], "%llu:%llu", &k, &n) == 2;
    tf_httpget_opts o = { .url = argv[1], .display = argv[1], .follow_redirects = true, .max_retries = 3,
                          .backoff_base_ns = 1000000, .backoff_cap_ns = 10000000 };
    tf_err err = { "" };
    tf_httpget *g = tf_httpget_open(&o, from, &err);
    if (!g) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    const tf_http_answer *a = tf_httpget_answer(g);
    fprintf(stderr, "status %ld total %lld etag %s\n", a->status, (long long)a->total, a->etag);
    unsigned long long out = 0;
    int rc = drain(tf_httpget_pull(g), jump ? k : 0, &out);
    if (rc == 0 && jump) {
        if (tf_httpget_restart(g, n, &err) != 0) {
            fprintf(stderr, "%s\n", err.msg);
            rc = 1;
        } else {
            rc = drain(tf_httpget_pull(g), 0, &out);
        }
    }
    tf_httpget_free(g);
    return rc;
}
