/* unit-sigv4.c: the SigV4 signer against AWS's published vectors.
 *
 * Sources (the expected values are copied from them, not from this signer):
 *  - the AWS Signature Version 4 test suite ("aws-sig-v4-test-suite",
 *    formerly https://docs.aws.amazon.com/general/latest/gr/signature-v4-test-suite.html;
 *    the same cases ship with aws-sdk-js-v3's signature-v4 package as
 *    suite.fixture): key AKIDEXAMPLE, region us-east-1, service "service",
 *    2015-08-30T12:36:00Z, host example.amazonaws.com;
 *  - the Amazon S3 API Reference, "Signature Calculations for the
 *    Authorization Header: Transferring Payload in a Single Chunk"
 *    (https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html):
 *    key AKIAIOSFODNN7EXAMPLE, bucket examplebucket, 2013-05-24T00:00:00Z.
 * Body hashes are from coreutils: printf 'Param1=value1' | sha256sum. */
#include "config.h"
#include "input/remote/sigv4.h"
#include "tap.h"

#define SUITE_TIME 1440938160 /* date -u -d 2015-08-30T12:36:00Z +%s */
#define S3_TIME 1369353600    /* date -u -d 2013-05-24T00:00:00Z +%s */
#define FORM_SHA256 "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e"
#define WELCOME_SHA256 "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"
#define STS_TOKEN                                                                                   \
    "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeo" \
    "IYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5V" \
    "SXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc" \
    "8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="

static const tf_sigv4_creds suite = { "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL,
                                      "us-east-1", "service" };
static const tf_sigv4_creds suite_sts = { "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", STS_TOKEN,
                                          "us-east-1", "service" };
static const tf_sigv4_creds s3doc = { "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", NULL,
                                      "us-east-1", "s3" };

#define MAXQ 4
#define MAXH 4
typedef struct {
    const char *name;
    const tf_sigv4_creds *cr;
    const char *host, *method, *path;
    tf_sigv4_param q[MAXQ];
    tf_sigv4_header h[MAXH];
    const char *payload;
    int64_t time;
    const char *signed_headers;
    const char *signature;
} vector;

#define SUITE_HOST "example.amazonaws.com"
#define S3_HOST "examplebucket.s3.amazonaws.com"
#define EMPTY TF_SIGV4_EMPTY_SHA256
#define UNRES "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

static const vector vectors[] = {
    { "get-vanilla", &suite, SUITE_HOST, "GET", "/", { { 0 } }, { { 0 } }, EMPTY, SUITE_TIME, "host;x-amz-date",
      "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31" },
    { "get-vanilla-query-order-key", &suite, SUITE_HOST, "GET", "/",
      { { "Param1", "value2" }, { "Param1", "Value1" } }, { { 0 } }, EMPTY, SUITE_TIME, "host;x-amz-date",
      "eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1" },
    { "get-vanilla-query-order-key-case", &suite, SUITE_HOST, "GET", "/",
      { { "Param2", "value2" }, { "Param1", "value1" } }, { { 0 } }, EMPTY, SUITE_TIME, "host;x-amz-date",
      "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500" },
    { "get-vanilla-query-order-value", &suite, SUITE_HOST, "GET", "/",
      { { "Param1", "value2" }, { "Param1", "value1" } }, { { 0 } }, EMPTY, SUITE_TIME, "host;x-amz-date",
      "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694" },
    { "get-vanilla-query-unreserved", &suite, SUITE_HOST, "GET", "/", { { UNRES, UNRES } }, { { 0 } }, EMPTY,
      SUITE_TIME, "host;x-amz-date", "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197" },
    { "get-vanilla-utf8-query", &suite, SUITE_HOST, "GET", "/", { { "\xe1\x88\xb4", "bar" } }, { { 0 } }, EMPTY,
      SUITE_TIME, "host;x-amz-date", "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04" },
    { "get-vanilla-empty-query-key", &suite, SUITE_HOST, "GET", "/", { { "Param1", "value1" } }, { { 0 } }, EMPTY,
      SUITE_TIME, "host;x-amz-date", "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb" },
    { "get-unreserved", &suite, SUITE_HOST, "GET", "/" UNRES, { { 0 } }, { { 0 } }, EMPTY, SUITE_TIME,
      "host;x-amz-date", "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f" },
    { "get-utf8", &suite, SUITE_HOST, "GET", "/\xe1\x88\xb4", { { 0 } }, { { 0 } }, EMPTY, SUITE_TIME,
      "host;x-amz-date", "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85" },
    { "get-header-key-duplicate", &suite, SUITE_HOST, "GET", "/", { { 0 } },
      { { "My-Header1", "value2" }, { "My-Header1", "value2" }, { "My-Header1", "value1" } }, EMPTY, SUITE_TIME,
      "host;my-header1;x-amz-date", "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea" },
    { "get-header-value-order", &suite, SUITE_HOST, "GET", "/", { { 0 } },
      { { "My-Header1", "value4" }, { "My-Header1", "value1" }, { "My-Header1", "value3" },
        { "My-Header1", "value2" } },
      EMPTY, SUITE_TIME, "host;my-header1;x-amz-date",
      "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01" },
    { "get-header-value-trim", &suite, SUITE_HOST, "GET", "/", { { 0 } },
      { { "My-Header1", " value1" }, { "My-Header2", " \"a   b   c\"" } }, EMPTY, SUITE_TIME,
      "host;my-header1;my-header2;x-amz-date", "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736" },
    { "post-vanilla", &suite, SUITE_HOST, "POST", "/", { { 0 } }, { { 0 } }, EMPTY, SUITE_TIME, "host;x-amz-date",
      "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b" },
    { "post-vanilla-query", &suite, SUITE_HOST, "POST", "/", { { "Param1", "value1" } }, { { 0 } }, EMPTY,
      SUITE_TIME, "host;x-amz-date", "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11" },
    { "post-vanilla-query-nonunreserved", &suite, SUITE_HOST, "POST", "/",
      { { "@#$%^", "" }, { "+", "/,?><`\";:\\|][{}" } }, { { 0 } }, EMPTY, SUITE_TIME, "host;x-amz-date",
      "66c82657c86e26fb25238d0e69f011edc4c6df5ae71119d7cb98ed9b87393c1e" },
    { "post-header-key-sort", &suite, SUITE_HOST, "POST", "/", { { 0 } }, { { "My-Header1", "value1" } }, EMPTY,
      SUITE_TIME, "host;my-header1;x-amz-date", "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c" },
    { "post-header-value-case", &suite, SUITE_HOST, "POST", "/", { { 0 } }, { { "My-Header1", "VALUE1" } }, EMPTY,
      SUITE_TIME, "host;my-header1;x-amz-date", "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d" },
    { "post-sts-header-before", &suite_sts, SUITE_HOST, "POST", "/", { { 0 } }, { { 0 } }, EMPTY, SUITE_TIME,
      "host;x-amz-date;x-amz-security-token", "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead" },
    { "post-x-www-form-urlencoded", &suite, SUITE_HOST, "POST", "/", { { 0 } },
      { { "Content-Type", "application/x-www-form-urlencoded" } }, FORM_SHA256, SUITE_TIME,
      "content-type;host;x-amz-date", "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a" },
    { "post-x-www-form-urlencoded-parameters", &suite, SUITE_HOST, "POST", "/", { { 0 } },
      { { "Content-Type", "application/x-www-form-urlencoded; charset=utf8" } }, FORM_SHA256, SUITE_TIME,
      "content-type;host;x-amz-date", "1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe" },
    /* S3 API Reference examples */
    { "S3 GET Object (ranged)", &s3doc, S3_HOST, "GET", "/test.txt", { { 0 } },
      { { "Range", "bytes=0-9" }, { "x-amz-content-sha256", EMPTY } }, EMPTY, S3_TIME,
      "host;range;x-amz-content-sha256;x-amz-date", "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41" },
    { "S3 PUT Object", &s3doc, S3_HOST, "PUT", "/test$file.text", { { 0 } },
      { { "Date", "Fri, 24 May 2013 00:00:00 GMT" }, { "x-amz-storage-class", "REDUCED_REDUNDANCY" },
        { "x-amz-content-sha256", WELCOME_SHA256 } },
      WELCOME_SHA256, S3_TIME, "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
      "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd" },
    { "S3 GET Bucket Lifecycle", &s3doc, S3_HOST, "GET", "/", { { "lifecycle", "" } },
      { { "x-amz-content-sha256", EMPTY } }, EMPTY, S3_TIME, "host;x-amz-content-sha256;x-amz-date",
      "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543" },
    { "S3 GET Bucket (List Objects)", &s3doc, S3_HOST, "GET", "/", { { "prefix", "J" }, { "max-keys", "2" } },
      { { "x-amz-content-sha256", EMPTY } }, EMPTY, S3_TIME, "host;x-amz-content-sha256;x-amz-date",
      "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7" },
};

static size_t count_q(const vector *v)
{
    size_t n = 0;
    while (n < MAXQ && v->q[n].key)
        n++;
    return n;
}

static size_t count_h(const vector *v)
{
    size_t n = 0;
    while (n < MAXH && v->h[n].name)
        n++;
    return n;
}

static int sign(const vector *v, tf_sigv4_out *out, tf_err *err)
{
    tf_sigv4_request rq = { v->method, v->host, v->path, v->q, count_q(v), v->h, count_h(v), v->payload, v->time };
    return tf_sigv4_sign(&rq, v->cr, out, err);
}

static void check_vectors(void)
{
    for (size_t i = 0; i < TF_ARRAY_LEN(vectors); i++) {
        const vector *v = &vectors[i];
        tf_sigv4_out out;
        tf_err err = { "" };
        if (!ok(sign(v, &out, &err) == 0, "%s: signs", v->name)) {
            diag("%s", err.msg);
            continue;
        }
        char want[512];
        snprintf(want, sizeof want,
                 "AWS4-HMAC-SHA256 Credential=%s/%.8s/us-east-1/%s/aws4_request, SignedHeaders=%s, Signature=%s",
                 v->cr->access_key, out.amz_date, v->cr->service, v->signed_headers, v->signature);
        is_str(out.authorization, want, "%s: the Authorization header", v->name);
        ok(strstr(out.authorization, v->cr->secret_key) == NULL &&
               strstr(out.string_to_sign, v->cr->secret_key) == NULL && strstr(out.canonical, v->cr->secret_key) == NULL,
           "%s: the secret key is in no output", v->name);
        tf_sigv4_out_free(&out);
    }
}

/* The intermediate steps, for cases the suite publishes them for. */
static void check_steps(void)
{
    tf_sigv4_out out;
    tf_err err = { "" };
    sign(&vectors[1], &out, &err); /* get-vanilla-query-order-key */
    is_str(out.canonical,
           "GET\n/\nParam1=Value1&Param1=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
           "host;x-amz-date\n" EMPTY,
           "get-vanilla-query-order-key: canonical request (sorted by key, then value)");
    tf_sigv4_out_free(&out);
    sign(&vectors[0], &out, &err);
    is_str(out.string_to_sign,
           "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
           "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
           "get-vanilla: string to sign");
    is_str(out.amz_date, "20150830T123600Z", "get-vanilla: X-Amz-Date");
    tf_sigv4_out_free(&out);
    sign(&vectors[13], &out, &err); /* post-vanilla-query */
    is_str(out.string_to_sign,
           "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
           "9d659678c1756bb3113e2ce898845a0a79dbbc57b740555917687f1b3340fbbd",
           "post-vanilla-query: string to sign");
    tf_sigv4_out_free(&out);
    sign(&vectors[20], &out, &err); /* S3 GET Object */
    is_str(out.canonical,
           "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\nx-amz-content-sha256:" EMPTY
           "\nx-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n" EMPTY,
           "S3 GET Object: canonical request");
    is_str(out.string_to_sign,
           "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
           "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972",
           "S3 GET Object: string to sign");
    tf_sigv4_out_free(&out);
}

static void check_errors(void)
{
    tf_sigv4_out out;
    tf_err err = { "" };
    vector v = vectors[0];
    v.h[0] = (tf_sigv4_header){ "bad name", "x" };
    ok(sign(&v, &out, &err) == -1 && strstr(err.msg, "\"bad name\""), "a header name with a space is refused: %s",
       err.msg);
    v = vectors[0];
    v.path = "no-slash";
    ok(sign(&v, &out, &err) == -1 && strstr(err.msg, "path"), "a path without '/' is refused: %s", err.msg);
    tf_sigv4_creds nokey = suite;
    nokey.secret_key = "";
    v = vectors[0];
    v.cr = &nokey;
    ok(sign(&v, &out, &err) == -1 && strstr(err.msg, "secret key"), "no secret key is refused: %s", err.msg);
    v = vectors[0];
    v.time = -1;
    ok(sign(&v, &out, &err) == -1 && strstr(err.msg, "time"), "a time before 1970 is refused: %s", err.msg);

    tf_buf b = { 0 };
    tf_sigv4_encode(&b, "logs/2025 06/a+b=c~.jsonl", true);
    is_str(tf_buf_cstr(&b), "logs/2025%2006/a%2Bb%3Dc~.jsonl", "encoding keeps '/' in a path");
    b.len = 0;
    tf_sigv4_encode(&b, "a/b", false);
    is_str(tf_buf_cstr(&b), "a%2Fb", "encoding a query value encodes '/'");
    tf_buf_free(&b);
}

int main(void)
{
    check_vectors();
    check_steps();
    check_errors();
    return done_testing();
}
