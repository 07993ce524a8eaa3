/* unit-json.c: the yajl-backed record tree, lookups, conversions and output. */
#include "config.h"
#include "common/json.h"
#include "tap.h"

struct collect {
    tf_json *v[8];
    size_t start[8], end[8];
    int n;
};

static int collect(void *ctx, tf_json *v, size_t start, size_t end)
{
    struct collect *c = ctx;
    if (c->n < 8) {
        c->v[c->n] = v;
        c->start[c->n] = start;
        c->end[c->n] = end;
    }
    c->n++;
    return 0;
}

/* A naive reference for tf_json_write_string on ASCII input. */
static void ref_escape(tf_buf *b, const char *s, size_t n)
{
    tf_buf_putc(b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            tf_buf_putc(b, '\\');
            tf_buf_putc(b, (char)c);
        } else if (c == '\n') {
            tf_buf_append(b, "\\n", 2);
        } else if (c < 0x20) {
            tf_buf_printf(b, "\\u%04x", c);
        } else {
            tf_buf_putc(b, (char)c);
        }
    }
    tf_buf_putc(b, '"');
}

static const char *write(const tf_json *v, tf_buf *b)
{
    b->len = 0;
    tf_json_write(b, v);
    return tf_buf_cstr(b);
}

int main(void)
{
    tf_json_parser *p = tf_json_parser_new();
    tf_arena a;
    tf_arena_init(&a, 4096);
    tf_buf b = { 0 };
    tf_err err;

    const char *rec = "{\"id\":\"gen-1\",\"n\":12345678901234567890,\"f\":1.50,\"t\":true,"
                      "\"z\":null,\"o\":{\"a\":[1,{\"b.c\":\"x\"}]},\"id\":\"gen-2\"}";
    tf_json *v = tf_json_parse_one(p, &a, rec, strlen(rec), &err);
    ok(v && v->type == TF_JSON_OBJECT && v->n == 7, "object with 7 members parsed");
    is_str(tf_json_get(v, "id")->str.p, "gen-2", "duplicate key: the last one wins");
    is_str(tf_json_get(v, "n")->str.p, "12345678901234567890", "numbers keep their source text");
    int64_t i64;
    ok(!tf_json_as_int64(tf_json_get(v, "n"), &i64), "an integer beyond int64 does not convert");
    double d;
    ok(tf_json_as_double(tf_json_get(v, "f"), &d) && d == 1.5, "double conversion");
    ok(!tf_json_is_integral(tf_json_get(v, "f")) && tf_json_is_integral(tf_json_get(v, "n")),
       "integral detection");
    ok(tf_json_get(v, "z") && tf_json_get(v, "z")->type == TF_JSON_NULL && !tf_json_get_nn(v, "z"),
       "null is present for get and absent for get_nn");
    const tf_json *x = tf_json_path(v, "o.a[1][\"b.c\"]");
    ok(x && tf_str_eqc(x->str, "x"), "path with index and quoted dotted key");
    ok(tf_json_path(v, "o.a[-2]") && tf_json_as_int64(tf_json_path(v, "o.a[-2]"), &i64) && i64 == 1,
       "negative index counts from the end");
    ok(tf_json_path(v, "o.a[5]") == NULL && tf_json_path(v, "o.q.r") == NULL, "missing paths are NULL");
    is_str(write(v, &b),
           "{\"id\":\"gen-1\",\"n\":12345678901234567890,\"f\":1.50,\"t\":true,\"z\":null,"
           "\"o\":{\"a\":[1,{\"b.c\":\"x\"}]},\"id\":\"gen-2\"}",
           "compact write-back is faithful");

    /* Several values in one text, with their byte ranges. */
    struct collect c = { 0 };
    const char *multi = "{\"a\":1} [2,3]\n{\"b\":{}}";
    ok(tf_json_parse(p, &a, multi, strlen(multi), collect, &c, &err) == 0 && c.n == 3,
       "three concatenated values emitted");
    is_int(c.start[1], 8, "second value starts at byte 8");
    is_int(c.end[1], 13, "second value ends at byte 13");
    is_int(c.start[2], 14, "third value starts after the newline");

    /* Errors: truncated, garbage, invalid UTF-8; the parser recovers afterwards. */
    ok(tf_json_parse_one(p, &a, "{\"a\":[1,2", 9, &err) == NULL, "truncated record fails");
    ok(strstr(err.msg, "truncated") != NULL, "truncation is named: %s", err.msg);
    ok(tf_json_parse_one(p, &a, "{\"a\" 1}", 7, &err) == NULL && strstr(err.msg, "byte") != NULL,
       "syntax error names a byte offset: %s", err.msg);
    ok(tf_json_parse_one(p, &a, "{\"a\":\"\xff\xfe\"}", 9, &err) == NULL,
       "invalid UTF-8 inside a string is an error: %s", err.msg);
    v = tf_json_parse_one(p, &a, "{\"ok\":1}", 8, &err);
    ok(v && tf_json_get(v, "ok"), "parser works again after an error");
    ok(tf_json_parse_one(p, &a, "{}{}", 4, &err) == NULL, "parse_one refuses two values");

    /* String escaping. */
    b.len = 0;
    tf_json_write_string(&b, "a\"b\\c\n\x01\xc3\xa9\xff", 10);
    is_str(tf_buf_cstr(&b), "\"a\\\"b\\\\c\\n\\u0001\xc3\xa9\xef\xbf\xbd\"",
           "escapes quotes, controls; keeps UTF-8; replaces an invalid byte");
    v = tf_json_parse_one(p, &a, "\"\\u00e9\\n\\u0000x\"", 17, &err);
    ok(v && v->str.len == 5 && memcmp(v->str.p, "\xc3\xa9\n\0x", 5) == 0, "unicode escapes decode");
    bool bo;
    v = tf_json_parse_one(p, &a, "\"true\"", 6, &err);
    ok(tf_json_as_bool(v, &bo) && bo, "string \"true\" converts to bool");

    /* The word-at-a-time scan: every special byte at every position of
     * strings up to 40 bytes long comes out as the byte-wise reference. */
    {
        static const char specials[] = { '"', '\\', '\n', 0x01, 0x1f, 0x7f, '!', '#', '[', ']' };
        int bad = 0, cases = 0;
        tf_buf got = { 0 }, want = { 0 };
        for (size_t n = 1; n <= 40; n++)
            for (size_t at = 0; at < n; at++)
                for (size_t k = 0; k < sizeof specials; k++) {
                    char s[41];
                    memset(s, 'a' + (char)(n % 26), n);
                    s[at] = specials[k];
                    got.len = want.len = 0;
                    tf_json_write_string(&got, s, n);
                    ref_escape(&want, s, n);
                    cases++;
                    bad += got.len != want.len || memcmp(got.p, want.p, got.len) != 0;
                }
        ok(bad == 0, "escaping agrees with a byte-wise reference in %d placements (%d differ)", cases, bad);
        got.len = 0;
        tf_json_write_string(&got, "0123456789abcdef\xc3\xa9xyz01234567\xe2\x82", 31);
        is_mem(got.p, got.len, "\"0123456789abcdef\xc3\xa9xyz01234567\xef\xbf\xbd\xef\xbf\xbd\"", 37,
               "valid UTF-8 after a fast run is kept; a truncated sequence at the end is replaced");
        tf_buf_free(&got);
        tf_buf_free(&want);
    }

    /* The --since/--until shortcut reads a top-level key without parsing;
     * it must decline (false: parse it) whenever the hit may not be the
     * first value's own key. */
    {
        static const char *const keys[] = { "created_at" };
        tf_str rv;
        const char *one = "{\"id\":\"g\",\"created_at\":\"2025-06-01T00:00:00Z\"}";
        ok(tf_json_raw_top_string(one, strlen(one), keys, 1, &rv) && rv.len == 20 &&
               memcmp(rv.p, "2025-06-01T00:00:00Z", 20) == 0,
           "raw top-level string found in a single record");
        const char *later = "{\"id\":\"a\"}{\"created_at\":\"2025-06-01T00:00:00Z\"}";
        ok(!tf_json_raw_top_string(later, strlen(later), keys, 1, &rv),
           "a key in a second value is not the first value's: declined");
        const char *broken = "{\"id\":\"a\",\"x\":\"{}\"}}]},\"created_at\":\"2025-06-01T00:00:00Z\"}";
        ok(!tf_json_raw_top_string(broken, strlen(broken), keys, 1, &rv),
           "a key after the first value closed (broken text) is declined");
        const char *nested = "{\"a\":{\"created_at\":\"2025-06-01T00:00:00Z\"}}";
        ok(!tf_json_raw_top_string(nested, strlen(nested), keys, 1, &rv), "a nested key is declined");
        const char *data = "{\"data\":{\"x\":{},\"created_at\":\"2025-06-01T00:00:00Z\"}}";
        ok(tf_json_raw_top_string(data, strlen(data), keys, 1, &rv), "one level down in a top-level data object");
    }

    tf_buf_free(&b);
    tf_arena_free(&a);
    tf_json_parser_free(p);
    return done_testing();
}
