/* logfmt.c: key=value pairs separated by blanks. A key is a run of bytes
 * other than blanks, '=' and '"'; a value is either quoted ("...", with
 * \" \\ \/ \b \f \n \r \t \uXXXX escapes) or runs to the next blank (so
 * url=/a?b=c keeps its '='); key= is an empty string and a bare key is
 * true. Keys keep their dots ("http.status" is one top-level key). */
#include "config.h"
#include "map/text/text_int.h"

#include <string.h>

static bool blank(char c)
{
    return c == ' ' || c == '\t';
}

static int hex4(const char *s, size_t len, size_t i, unsigned *out)
{
    if (i + 4 > len)
        return -1;
    unsigned v = 0;
    for (size_t k = i; k < i + 4; k++) {
        char c = s[k];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                                 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return -1;
        v = v << 4 | (unsigned)d;
    }
    *out = v;
    return 0;
}

static size_t put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xc0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xe0 | cp >> 12);
        o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
        o[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (char)(0xf0 | cp >> 18);
    o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
    o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
    o[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* \uXXXX at s[i] (after the backslash and 'u'), with a surrogate pair when
 * one follows; a lone surrogate becomes U+FFFD. Returns bytes consumed. */
static size_t uescape(const char *s, size_t len, size_t i, char *o, size_t *olen)
{
    unsigned cp, lo;
    if (hex4(s, len, i, &cp) != 0)
        return 0;
    size_t used = 4;
    if (cp >= 0xd800 && cp <= 0xdbff) {
        if (i + 10 <= len && s[i + 4] == '\\' && s[i + 5] == 'u' && hex4(s, len, i + 6, &lo) == 0 &&
            lo >= 0xdc00 && lo <= 0xdfff) {
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            used = 10;
        } else {
            cp = 0xfffd;
        }
    } else if (cp >= 0xdc00 && cp <= 0xdfff) {
        cp = 0xfffd;
    }
    *olen += put_utf8(o + *olen, cp);
    return used;
}

/* A quoted value starting after the opening quote at line[*i]; decoded into
 * out (room for len bytes: escapes never grow). */
static bool quoted(const char *line, size_t len, size_t *i, char *out, size_t *olen)
{
    size_t k = *i;
    while (k < len) {
        char c = line[k];
        if (c == '"') {
            *i = k + 1;
            return true;
        }
        if (c != '\\' || k + 1 == len) {
            out[(*olen)++] = c;
            k++;
            continue;
        }
        char e = line[k + 1];
        const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
        const char *hit = e ? strchr(from, e) : NULL;
        if (hit) {
            out[(*olen)++] = to[hit - from];
            k += 2;
        } else if (e == 'u') {
            size_t used = uescape(line, len, k + 2, out, olen);
            if (used) {
                k += 2 + used;
            } else {
                out[(*olen)++] = c;
                k++;
            }
        } else {
            out[(*olen)++] = c; /* an unknown escape stays as written */
            k++;
        }
    }
    return false;
}

static int fail_at(tf_err *why, const char *what, const char *line, size_t len, size_t i)
{
    tf_buf b = { 0 };
    tf_text_excerpt(&b, line + i, len - i, 24);
    tf_err_set(why, "not logfmt: %s at byte %zu: %s", what, i + 1, tf_buf_cstr(&b));
    tf_buf_free(&b);
    return TF_TEXT_NOMATCH;
}

/* Pairs go to p->vals two by two (key, value); p->set[2k+1] is false for a
 * bare key. Decoded values live in p->scratch. */
static int split(tf_text_parser *p, const char *line, size_t len, size_t *npairs, tf_err *why)
{
    p->scratch.len = 0;
    tf_buf_reserve(&p->scratch, len + 1);
    char *out = p->scratch.p;
    size_t olen = 0, n = 0, i = 0;
    for (;;) {
        while (i < len && blank(line[i]))
            i++;
        if (i == len)
            break;
        size_t ks = i;
        while (i < len && !blank(line[i]) && line[i] != '=' && line[i] != '"')
            i++;
        if (i == ks)
            return fail_at(why, line[i] == '=' ? "a value without a key" : "a quote where a key should be",
                           line, len, i);
        tf_text_parser_reserve(p, 2 * n + 2);
        p->vals[2 * n] = (tf_str){ line + ks, i - ks };
        p->set[2 * n] = true;
        if (i < len && line[i] == '"')
            return fail_at(why, "a quote inside a key", line, len, i);
        if (i == len || line[i] != '=') {
            p->set[2 * n + 1] = false; /* a bare key */
            n++;
            continue;
        }
        i++;
        if (i < len && line[i] == '"') {
            size_t qs = i++, os = olen;
            if (!quoted(line, len, &i, out, &olen))
                return fail_at(why, "a quoted value that is not closed", line, len, qs);
            if (i < len && !blank(line[i]))
                return fail_at(why, "text right after a quoted value", line, len, i);
            p->vals[2 * n + 1] = (tf_str){ out + os, olen - os };
        } else {
            size_t vs = i;
            while (i < len && !blank(line[i]))
                i++;
            p->vals[2 * n + 1] = (tf_str){ line + vs, i - vs };
        }
        p->set[2 * n + 1] = true;
        n++;
    }
    if (n == 0)
        return fail_at(why, "no key=value pairs", line, len, 0);
    *npairs = n;
    return TF_TEXT_OK;
}

int tf_text_logfmt_parse(tf_text_parser *p, tf_arena *a, const char *line, size_t len,
                         tf_json **out, tf_err *why)
{
    size_t n = 0;
    int rc = split(p, line, len, &n, why);
    if (rc != TF_TEXT_OK)
        return rc;
    const tf_text_format *f = p->f;
    tf_json *o = tf_text_object(a, n);
    for (size_t k = 0; k < n; k++) {
        tf_str key = p->vals[2 * k];
        tf_str kc = tf_text_string(a, key.p, key.len)->str; /* keys are UTF-8 too */
        tf_json *v;
        if (!p->set[2 * k + 1]) {
            v = tf_text_node(a, TF_JSON_BOOL);
            v->boolean = true;
        } else {
            tf_str val = p->vals[2 * k + 1];
            rc = tf_text_value(f, tf_text_type_for(f, key.p, key.len), a, kc.p, val.p, val.len, true, &v,
                               why);
            if (rc != TF_TEXT_OK)
                return rc;
        }
        tf_text_put(o, kc.p, kc.len, v);
    }
    *out = o;
    return TF_TEXT_OK;
}
