/* sigv4.c: AWS Signature Version 4: the canonical request, the string to
 * sign, the derived signing key and the Authorization header. */
#include "config.h"
#include "input/remote/sigv4.h"

#include "common/hash.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* One header as signed: lower-case name, canonical value. */
typedef struct {
    char *name;
    tf_buf value;
} canon_header;

static bool unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

void tf_sigv4_encode(tf_buf *b, const char *s, bool keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (unreserved(*p) || (keep_slash && *p == '/')) {
            tf_buf_putc(b, (char)*p);
        } else {
            char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };
            tf_buf_append(b, e, 3);
        }
    }
}

static void sha256_hex(const void *p, size_t n, char out[65])
{
    uint8_t d[32];
    tf_sha256_oneshot(p, n, d);
    tf_hex_encode(out, d, 32);
    out[64] = '\0';
}

/* Trims the value and folds each run of spaces and tabs into one space. */
static void canon_value(tf_buf *b, const char *v)
{
    while (*v == ' ' || *v == '\t')
        v++;
    bool space = false;
    for (; *v; v++) {
        if (*v == ' ' || *v == '\t') {
            space = true;
            continue;
        }
        if (space && b->len)
            tf_buf_putc(b, ' ');
        space = false;
        tf_buf_putc(b, *v);
    }
}

static bool header_name_ok(const char *k)
{
    if (!*k)
        return false;
    for (const unsigned char *p = (const unsigned char *)k; *p; p++)
        if (*p <= ' ' || *p == ':' || *p >= 0x7f)
            return false;
    return true;
}

/* Adds a header, joining the value of a name seen before with ','. */
static void add_header(canon_header *h, size_t *n, const char *name, const char *value)
{
    char *lower = tf_xstrdup(name);
    for (char *p = lower; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    for (size_t i = 0; i < *n; i++) {
        if (strcmp(h[i].name, lower) == 0) {
            free(lower);
            tf_buf_putc(&h[i].value, ',');
            tf_buf v = { 0 };
            canon_value(&v, value);
            tf_buf_append(&h[i].value, v.p ? v.p : "", v.len);
            tf_buf_free(&v);
            return;
        }
    }
    h[*n].name = lower;
    memset(&h[*n].value, 0, sizeof h[*n].value);
    canon_value(&h[*n].value, value);
    (*n)++;
}

static int cmp_header(const void *a, const void *b)
{
    return strcmp(((const canon_header *)a)->name, ((const canon_header *)b)->name);
}

typedef struct {
    char *key, *value; /* encoded */
} enc_param;

static int cmp_param(const void *a, const void *b)
{
    const enc_param *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : strcmp(x->value, y->value);
}

static char *take(tf_buf *b);

static char *encoded(const char *s)
{
    tf_buf b = { 0 };
    tf_sigv4_encode(&b, s, false);
    return take(&b);
}

static void canonical_query(tf_buf *b, const tf_sigv4_request *rq)
{
    if (!rq->n_query)
        return;
    enc_param *q = tf_xcalloc(rq->n_query, sizeof *q);
    for (size_t i = 0; i < rq->n_query; i++) {
        q[i].key = encoded(rq->query[i].key);
        q[i].value = encoded(rq->query[i].value ? rq->query[i].value : "");
    }
    qsort(q, rq->n_query, sizeof *q, cmp_param);
    for (size_t i = 0; i < rq->n_query; i++) {
        tf_buf_printf(b, "%s%s=%s", i ? "&" : "", q[i].key, q[i].value);
        free(q[i].key);
        free(q[i].value);
    }
    free(q);
}

/* Canonical headers and the signed-header list; -1 on a bad header name. */
static int canonical_headers(tf_buf *canon, tf_buf *signed_list, const tf_sigv4_request *rq,
                             const tf_sigv4_creds *cr, const char *amz_date, tf_err *err)
{
    size_t cap = rq->n_headers + 3, n = 0;
    canon_header *h = tf_xcalloc(cap, sizeof *h);
    int rc = 0;
    add_header(h, &n, "host", rq->host);
    add_header(h, &n, "x-amz-date", amz_date);
    if (cr->session_token && *cr->session_token)
        add_header(h, &n, "x-amz-security-token", cr->session_token);
    for (size_t i = 0; i < rq->n_headers && rc == 0; i++) {
        if (!header_name_ok(rq->headers[i].name))
            rc = tf_err_set(err, "cannot sign the request: header name \"%s\" is not a token",
                            rq->headers[i].name);
        else
            add_header(h, &n, rq->headers[i].name, rq->headers[i].value ? rq->headers[i].value : "");
    }
    qsort(h, n, sizeof *h, cmp_header);
    for (size_t i = 0; i < n; i++) {
        tf_buf_printf(canon, "%s:%.*s\n", h[i].name, (int)h[i].value.len, h[i].value.p ? h[i].value.p : "");
        tf_buf_printf(signed_list, "%s%s", i ? ";" : "", h[i].name);
        free(h[i].name);
        tf_buf_free(&h[i].value);
    }
    free(h);
    return rc;
}

/* kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request") */
static void signing_key(const tf_sigv4_creds *cr, const char *date8, uint8_t key[32])
{
    size_t n = strlen(cr->secret_key);
    char *k0 = tf_xmalloc(n + 4);
    memcpy(k0, "AWS4", 4);
    memcpy(k0 + 4, cr->secret_key, n);
    uint8_t a[32], b[32];
    tf_hmac_sha256(k0, n + 4, date8, 8, a);
    tf_hmac_sha256(a, 32, cr->region, strlen(cr->region), b);
    tf_hmac_sha256(b, 32, cr->service, strlen(cr->service), a);
    tf_hmac_sha256(a, 32, "aws4_request", 12, key);
    volatile char *vk = k0;
    for (size_t i = 0; i < n + 4; i++)
        vk[i] = 0;
    free(k0);
    volatile uint8_t *va = a, *vb = b;
    for (size_t i = 0; i < 32; i++)
        va[i] = vb[i] = 0;
}

static int amz_date(int64_t t, char out[17])
{
    if (t < 0 || t > 253402300799) /* 9999-12-31T23:59:59Z */
        return -1;
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm))
        return -1;
    return strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm) == 16 ? 0 : -1;
}

static char *take(tf_buf *b)
{
    const char *s = tf_buf_cstr(b);
    char *r = tf_xstrdup(s ? s : "");
    tf_buf_free(b);
    return r;
}

int tf_sigv4_sign(const tf_sigv4_request *rq, const tf_sigv4_creds *cr, tf_sigv4_out *out, tf_err *err)
{
    memset(out, 0, sizeof *out);
    if (!cr->access_key || !*cr->access_key || !cr->secret_key || !*cr->secret_key)
        return tf_err_set(err, "cannot sign the request: no access key or secret key");
    if (!cr->region || !*cr->region || !cr->service || !*cr->service)
        return tf_err_set(err, "cannot sign the request: no region or service");
    if (!rq->path || rq->path[0] != '/')
        return tf_err_set(err, "cannot sign the request: the path must start with '/'");
    if (amz_date(rq->time, out->amz_date) != 0)
        return tf_err_set(err, "cannot sign the request: time %lld is out of range", (long long)rq->time);

    tf_buf creq = { 0 }, hdrs = { 0 }, signed_list = { 0 };
    tf_buf_printf(&creq, "%s\n", rq->method);
    tf_sigv4_encode(&creq, rq->path, true);
    tf_buf_putc(&creq, '\n');
    canonical_query(&creq, rq);
    tf_buf_putc(&creq, '\n');
    if (canonical_headers(&hdrs, &signed_list, rq, cr, out->amz_date, err) != 0) {
        tf_buf_free(&creq);
        tf_buf_free(&hdrs);
        tf_buf_free(&signed_list);
        return -1;
    }
    tf_buf_append(&creq, hdrs.p, hdrs.len);
    tf_buf_printf(&creq, "\n%s\n%s", tf_buf_cstr(&signed_list), rq->payload_hash);
    tf_buf_free(&hdrs);

    char date8[9], creq_hash[65];
    memcpy(date8, out->amz_date, 8);
    date8[8] = '\0';
    sha256_hex(creq.p, creq.len, creq_hash);
    tf_buf sts = { 0 };
    tf_buf_printf(&sts, "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s", out->amz_date, date8, cr->region,
                  cr->service, creq_hash);

    uint8_t key[32], sig[32];
    signing_key(cr, date8, key);
    tf_hmac_sha256(key, 32, sts.p, sts.len, sig);
    volatile uint8_t *vk = key;
    for (size_t i = 0; i < 32; i++)
        vk[i] = 0;
    tf_hex_encode(out->signature, sig, 32);
    out->signature[64] = '\0';

    tf_buf auth = { 0 };
    tf_buf_printf(&auth, "AWS4-HMAC-SHA256 Credential=%s/%s/%s/%s/aws4_request, SignedHeaders=%s, Signature=%s",
                  cr->access_key, date8, cr->region, cr->service, tf_buf_cstr(&signed_list), out->signature);
    tf_buf_free(&signed_list);
    out->authorization = take(&auth);
    out->canonical = take(&creq);
    out->string_to_sign = take(&sts);
    return 0;
}

void tf_sigv4_out_free(tf_sigv4_out *out)
{
    free(out->authorization);
    free(out->canonical);
    free(out->string_to_sign);
    out->authorization = out->canonical = out->string_to_sign = NULL;
}
