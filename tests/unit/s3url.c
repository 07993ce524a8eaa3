/* unit-s3url.c: s3:// URLs and S3 addressing without a network: bucket and
 * prefix parsing, virtual-hosted URLs on AWS (region from AWS_REGION),
 * path-style for dotted buckets, --s3-path-style and custom endpoints (with
 * a base path), keys percent-encoded as they are signed, and endpoints that
 * are refused. The expected URLs are written out by hand from the S3 docs'
 * addressing rules. */
#include "config.h"
#include "input/remote/remote.h"
#include "input/remote/s3.h"
#include "tap.h"

#include <stdlib.h>

static void check_parse(void)
{
    const struct {
        const char *url, *bucket, *prefix;
    } good[] = {
        { "s3://logs", "logs", "" },
        { "s3://logs/", "logs", "" },
        { "s3://logs/2025/06/", "logs", "2025/06/" },
        { "s3://my.dotted-bucket_1/a b+c.jsonl.gz", "my.dotted-bucket_1", "a b+c.jsonl.gz" },
    };
    for (size_t i = 0; i < TF_ARRAY_LEN(good); i++) {
        char *b, *p;
        tf_err err = { "" };
        int rc = tf_s3_parse_url(good[i].url, &b, &p, &err);
        ok(rc == 0 && b && p && !strcmp(b, good[i].bucket) && !strcmp(p, good[i].prefix), "%s: bucket %s, prefix \"%s\"",
           good[i].url, good[i].bucket, good[i].prefix);
        free(b);
        free(p);
    }
    const struct {
        const char *url, *want;
    } bad[] = {
        { "s3:///key", "no bucket name" },
        { "s3://", "no bucket name" },
        { "s3://bad bucket/k", "\"bad bucket\" is not a bucket name" },
        { "s3://b%40d/k", "is not a bucket name" },
        { "http://x/y", "not an s3:// URL" },
    };
    for (size_t i = 0; i < TF_ARRAY_LEN(bad); i++) {
        char *b, *p;
        tf_err err = { "" };
        ok(tf_s3_parse_url(bad[i].url, &b, &p, &err) == -1 && strstr(err.msg, bad[i].want), "%s is refused: %s",
           bad[i].url, err.msg);
        free(b);
        free(p);
    }
    ok(tf_remote_is_url("s3://b/k") && tf_remote_is_url("https://h/p") && tf_remote_is_url("http://h/p") &&
           !tf_remote_is_url("logs/s3:/x") && !tf_remote_is_url("-") && !tf_remote_is_url("ftp://h/p"),
       "tf_remote_is_url: s3, http and https only");
}

static void url_is(const tf_s3_opts *o, const char *bucket, const char *key, const char *want, const char *what)
{
    tf_err err = { "" };
    tf_s3 *c = tf_s3_new(o, &err);
    if (!ok(c != NULL, "%s: client made", what)) {
        diag("%s", err.msg);
        return;
    }
    char *url = tf_s3_url(c, bucket, key);
    is_str(url, want, "%s", what);
    free(url);
    tf_s3_free(c);
}

static void check_addressing(void)
{
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials", 1);
    setenv("AWS_CONFIG_FILE", "/nonexistent/config", 1);
    unsetenv("AWS_ENDPOINT_URL");
    unsetenv("AWS_ENDPOINT_URL_S3");
    unsetenv("AWS_DEFAULT_REGION");
    unsetenv("AWS_PROFILE");
    setenv("AWS_REGION", "eu-west-1", 1);
    tf_s3_opts none = { 0 };
    url_is(&none, "logs", "2025/06/a b+c.jsonl.gz", "https://logs.s3.eu-west-1.amazonaws.com/2025/06/a%20b%2Bc.jsonl.gz",
           "AWS: virtual-hosted, the region's endpoint, the key encoded once with '/' kept");
    url_is(&none, "my.logs", "k", "https://s3.eu-west-1.amazonaws.com/my.logs/k",
           "AWS: a dotted bucket is addressed path-style (the TLS name would not match)");
    tf_s3_opts ps = { .path_style = true };
    url_is(&ps, "logs", "k", "https://s3.eu-west-1.amazonaws.com/logs/k", "--s3-path-style on AWS");
    tf_s3_opts r2 = { .endpoint = "https://acct.r2.cloudflarestorage.com/" };
    url_is(&r2, "logs", "x/y.jsonl", "https://acct.r2.cloudflarestorage.com/logs/x/y.jsonl",
           "a custom endpoint: path-style, its trailing '/' dropped");
    tf_s3_opts base = { .endpoint = "http://127.0.0.1:9000/minio" };
    url_is(&base, "logs", "../k~", "http://127.0.0.1:9000/minio/logs/../k~",
           "a custom endpoint with a base path and port; dots and '~' kept as signed");
    setenv("AWS_ENDPOINT_URL", "http://10.0.0.1:4566", 1);
    url_is(&none, "logs", "k", "http://10.0.0.1:4566/logs/k", "AWS_ENDPOINT_URL is used without --s3-endpoint");
    url_is(&r2, "logs", "k", "https://acct.r2.cloudflarestorage.com/logs/k", "--s3-endpoint wins over AWS_ENDPOINT_URL");
    unsetenv("AWS_ENDPOINT_URL");
    unsetenv("AWS_REGION");
    url_is(&none, "logs", "k", "https://logs.s3.us-east-1.amazonaws.com/k", "no region configured: us-east-1");

    const struct {
        const char *ep, *want;
    } bad[] = {
        { "ftp://host", "is not an http:// or https:// URL" },
        { "https://user:pw@host", "must not hold user:password@" },
        { "https://host/?x=1", "must not have a query" },
        { "https://", "has no host" },
    };
    for (size_t i = 0; i < TF_ARRAY_LEN(bad); i++) {
        tf_s3_opts o = { .endpoint = bad[i].ep };
        tf_err err = { "" };
        tf_s3 *c = tf_s3_new(&o, &err);
        ok(!c && strstr(err.msg, bad[i].want) && !strstr(err.msg, "pw@"), "endpoint %s is refused: %s", bad[i].ep,
           err.msg);
        tf_s3_free(c);
    }
}

int main(void)
{
    check_parse();
    check_addressing();
    return done_testing();
}
