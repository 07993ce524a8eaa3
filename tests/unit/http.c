/* unit-http.c: the request setup's checks and redaction (output/http.h):
 * control characters in the tenant, basic-auth user, token or a header value
 * are refused (no header injection); every credential the options hold, in
 * every form it takes on the wire, is replaced by *** in text a server sent
 * back; nothing shorter than a credential is touched. */
#include "config.h"
#include "output/http.h"
#include "tap.h"
#include "tool/opts.h"

static void base_opts(tf_opts *o)
{
    tf_opts_defaults(o);
    o->endpoint = "http://127.0.0.1:4318/v1/traces";
}

static void expect_refused(tf_opts *o, const char *want, const char *secret, const char *what)
{
    tf_err err = { "" };
    tf_http *h = tf_http_new(o, &err);
    ok(!h && strstr(err.msg, want) && (!secret || !strstr(err.msg, secret)), "refused: %s", what);
    if (h || !strstr(err.msg, want))
        diag("err '%s'", err.msg);
    tf_http_free(h);
}

static char *redacted(const tf_http *h, const char *text)
{
    tf_buf b = { 0 };
    tf_buf_puts(&b, text);
    tf_http_redact(h, &b);
    tf_buf_cstr(&b);
    return b.p;
}

int main(void)
{
    tf_opts o;
    tf_keyval hdr[2];

    base_opts(&o);
    o.tenant = "team\r\nX-Injected: 1";
    expect_refused(&o, "--tenant holds a control character (byte 4 is 0x0d)", NULL, "CR LF in --tenant");
    base_opts(&o);
    o.tenant = "a\x01";
    expect_refused(&o, "--tenant holds a control character", NULL, "SOH in --tenant");
    base_opts(&o);
    o.basic_user = "12\n34";
    o.token = "tok-en-value";
    expect_refused(&o, "--basic-auth holds a control character", NULL, "LF in the basic-auth user");
    base_opts(&o);
    o.token = "secret-part1\rsecret-part2";
    expect_refused(&o, "the token (--token-file or TRACEFILL_TOKEN) holds a control character", "secret-part",
                   "CR in the token, which is not shown");
    base_opts(&o);
    hdr[0] = (tf_keyval){ "X-Team", "a\nX-Injected: 1" };
    o.headers = hdr;
    o.n_headers = 1;
    expect_refused(&o, "the value of header 'X-Team' holds a control character", "Injected", "LF in a header value");
    base_opts(&o);
    o.endpoint = "http://127.0.0.1:4318/v1/traces\r\nX: 1";
    expect_refused(&o, "the endpoint URL holds a space or control character", NULL, "CR LF in the endpoint");
    base_opts(&o);
    o.tenant = "team\ta"; /* a tab is legal in a header value */
    tf_err err;
    tf_http *h = tf_http_new(&o, &err);
    ok(h != NULL, "a tab in a header value is allowed");
    tf_http_free(h);

    /* Redaction: bearer token, basic credentials in base64, URL password,
     * header values and their words. */
    base_opts(&o);
    o.token = "glc_TOKEN123";
    h = tf_http_new(&o, &err);
    char *t = redacted(h, "invalid token: Bearer glc_TOKEN123 (glc_TOKEN123)");
    is_str(t, "invalid token: Bearer *** (***)", "a bearer token, each time it appears");
    free(t);
    t = redacted(h, "glc_TOKEN12 is not it");
    is_str(t, "glc_TOKEN12 is not it", "a prefix of the token is left alone");
    free(t);
    tf_http_free(h);

    base_opts(&o);
    o.basic_user = "123456";
    o.token = "glc_TOKEN123";
    h = tf_http_new(&o, &err);
    /* printf '123456:glc_TOKEN123' | base64 */
    t = redacted(h, "bad auth: Basic MTIzNDU2OmdsY19UT0tFTjEyMw== for 123456");
    is_str(t, "bad auth: Basic *** for 123456", "basic credentials in base64 (the user alone is no secret)");
    free(t);
    tf_http_free(h);

    base_opts(&o);
    o.endpoint = "https://user:pa55word@gw.example/otlp/v1/traces";
    h = tf_http_new(&o, &err);
    is_str(tf_http_url(h), "https://***@gw.example/otlp/v1/traces", "the URL's credentials are masked");
    /* printf 'user:pa55word' | base64 */
    t = redacted(h, "got pa55word, i.e. Basic dXNlcjpwYTU1d29yZA==");
    is_str(t, "got ***, i.e. Basic ***", "the URL's password, alone and in base64");
    free(t);
    tf_http_free(h);

    base_opts(&o);
    hdr[0] = (tf_keyval){ "Authorization", "Bearer hdr-secret-9" };
    hdr[1] = (tf_keyval){ "X-Short", "ab" };
    o.headers = hdr;
    o.n_headers = 2;
    h = tf_http_new(&o, &err);
    t = redacted(h, "echo: Bearer hdr-secret-9; token hdr-secret-9; ab stays");
    is_str(t, "echo: ***; token ***; ab stays", "a header value whole, and its words; values under 4 bytes stay");
    free(t);
    tf_buf empty = { 0 };
    tf_http_redact(h, &empty);
    ok(empty.len == 0, "an empty text stays empty");
    tf_buf_free(&empty);
    tf_http_free(h);
    return done_testing();
}
