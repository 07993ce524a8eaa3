/* s3xml.c: a small XML scanner (elements, text, entities) and the two S3
 * documents built on it. */
#include "config.h"
#include "input/remote/s3xml.h"

#include "common/timefmt.h"
#include "common/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- scanner ---------------------------------------------------------------- */

#define XML_DEPTH 8
#define XML_NAME 40

typedef struct xml_scan xml_scan;
/* Called when an element opens (after its name is on the stack) and when it
 * closes (with the text it held directly, entities decoded). */
typedef int (*xml_fn)(xml_scan *x, bool open, const char *text, size_t len, tf_err *err);

struct xml_scan {
    const char *start, *p, *end;
    char names[XML_DEPTH][XML_NAME]; /* names[i] for depth i+1; "" when too long */
    int depth;
    tf_buf text;
    xml_fn fn;
    void *ctx;
    bool seen_root;
};

static const char *xml_name_at(const xml_scan *x, int depth)
{
    return depth >= 1 && depth <= XML_DEPTH ? x->names[depth - 1] : "";
}

static int xml_fail(const xml_scan *x, const char *at, tf_err *err, const char *what)
{
    return tf_err_set(err, "malformed XML at byte %zu: %s", (size_t)(at - x->start), what);
}

static bool name_char(char c)
{
    return c && !strchr(" \t\r\n/>=\"'<", c);
}

static const char *find(const xml_scan *x, const char *from, const char *lit)
{
    size_t n = strlen(lit);
    for (const char *q = from; q + n <= x->end; q++)
        if (memcmp(q, lit, n) == 0)
            return q;
    return NULL;
}

static void put_utf8(tf_buf *b, uint32_t c)
{
    if (c < 0x80) {
        tf_buf_putc(b, (char)c);
    } else if (c < 0x800) {
        tf_buf_putc(b, (char)(0xc0 | (c >> 6)));
        tf_buf_putc(b, (char)(0x80 | (c & 0x3f)));
    } else if (c < 0x10000) {
        tf_buf_putc(b, (char)(0xe0 | (c >> 12)));
        tf_buf_putc(b, (char)(0x80 | ((c >> 6) & 0x3f)));
        tf_buf_putc(b, (char)(0x80 | (c & 0x3f)));
    } else {
        tf_buf_putc(b, (char)(0xf0 | (c >> 18)));
        tf_buf_putc(b, (char)(0x80 | ((c >> 12) & 0x3f)));
        tf_buf_putc(b, (char)(0x80 | ((c >> 6) & 0x3f)));
        tf_buf_putc(b, (char)(0x80 | (c & 0x3f)));
    }
}

/* Decodes the entity at x->p ('&') into the text. */
static int xml_entity(xml_scan *x, tf_err *err)
{
    const char *semi = memchr(x->p, ';', (size_t)TF_MIN(x->end - x->p, 12));
    if (!semi)
        return xml_fail(x, x->p, err, "an '&' that starts no entity");
    const char *n = x->p + 1;
    size_t len = (size_t)(semi - n);
    static const struct {
        const char *name;
        char c;
    } named[] = { { "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' }, { "apos", '\'' } };
    for (size_t i = 0; i < TF_ARRAY_LEN(named); i++) {
        if (strlen(named[i].name) == len && memcmp(n, named[i].name, len) == 0) {
            tf_buf_putc(&x->text, named[i].c);
            x->p = semi + 1;
            return 0;
        }
    }
    if (len >= 2 && n[0] == '#') {
        bool hex = n[1] == 'x';
        uint32_t c = 0;
        const char *d = n + 1 + hex;
        if (d == semi)
            return xml_fail(x, x->p, err, "an empty character reference");
        for (; d < semi; d++) {
            int v = *d >= '0' && *d <= '9' ? *d - '0'
                    : hex && *d >= 'a' && *d <= 'f' ? *d - 'a' + 10
                    : hex && *d >= 'A' && *d <= 'F' ? *d - 'A' + 10
                    : -1;
            if (v < 0 || c > 0x10ffff)
                return xml_fail(x, x->p, err, "a bad character reference");
            c = c * (hex ? 16u : 10u) + (uint32_t)v;
        }
        if (c == 0 || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
            return xml_fail(x, x->p, err, "a character reference out of range");
        put_utf8(&x->text, c);
        x->p = semi + 1;
        return 0;
    }
    return xml_fail(x, x->p, err, "an unknown entity");
}

/* Reads the tag at x->p ('<', not a comment or PI). */
static int xml_tag(xml_scan *x, tf_err *err)
{
    const char *t = x->p + 1;
    bool closing = *t == '/';
    if (closing)
        t++;
    const char *n = t;
    while (t < x->end && name_char(*t))
        t++;
    if (t == n)
        return xml_fail(x, x->p, err, "a tag without a name");
    const char *local = n;
    for (const char *c = n; c < t; c++)
        if (*c == ':')
            local = c + 1;
    size_t nlen = (size_t)(t - local);
    /* attributes, with quoted values that may hold '>' */
    char quote = 0;
    while (t < x->end && (quote || *t != '>')) {
        if (quote && *t == quote)
            quote = 0;
        else if (!quote && (*t == '"' || *t == '\''))
            quote = *t;
        t++;
    }
    if (t >= x->end)
        return xml_fail(x, x->p, err, "a tag that does not end");
    bool empty = !closing && t[-1] == '/';
    const char *at = x->p;
    x->p = t + 1;
    if (closing) {
        if (x->depth == 0)
            return xml_fail(x, at, err, "a closing tag with no element open");
        const char *open = xml_name_at(x, x->depth);
        if (*open && (strlen(open) != nlen || memcmp(open, local, nlen) != 0)) {
            char what[160];
            snprintf(what, sizeof what, "a closing </%.*s> where </%s> was open", (int)TF_MIN(nlen, 40), local,
                     open);
            return xml_fail(x, at, err, what);
        }
        int r = x->fn(x, false, x->text.p ? x->text.p : "", x->text.len, err);
        x->text.len = 0;
        x->depth--;
        return r;
    }
    if (x->depth == 0 && x->seen_root)
        return xml_fail(x, at, err, "a second root element");
    x->seen_root = true;
    x->depth++;
    if (x->depth <= XML_DEPTH) {
        char *slot = x->names[x->depth - 1];
        if (nlen < XML_NAME) {
            memcpy(slot, local, nlen);
            slot[nlen] = '\0';
        } else {
            slot[0] = '\0';
        }
    }
    x->text.len = 0;
    if (x->fn(x, true, NULL, 0, err) != 0)
        return -1;
    if (empty) {
        int r = x->fn(x, false, "", 0, err);
        x->depth--;
        return r;
    }
    return 0;
}

static int xml_markup(xml_scan *x, tf_err *err)
{
    static const struct {
        const char *open, *close, *what;
    } skip[] = { { "<?", "?>", "a processing instruction that does not end" },
                 { "<!--", "-->", "a comment that does not end" },
                 { "<![CDATA[", "]]>", "a CDATA section that does not end" },
                 { "<!", ">", "a declaration that does not end" } };
    for (size_t i = 0; i < TF_ARRAY_LEN(skip); i++) {
        size_t n = strlen(skip[i].open);
        if ((size_t)(x->end - x->p) < n || memcmp(x->p, skip[i].open, n) != 0)
            continue;
        const char *e = find(x, x->p + n, skip[i].close);
        if (!e)
            return xml_fail(x, x->p, err, skip[i].what);
        if (i == 2)
            tf_buf_append(&x->text, x->p + n, (size_t)(e - x->p - n));
        x->p = e + strlen(skip[i].close);
        return 0;
    }
    return xml_tag(x, err);
}

static int xml_run(xml_scan *x, const char *xml, size_t len, tf_err *err)
{
    x->start = x->p = xml;
    x->end = xml + len;
    int rc = 0;
    while (rc == 0 && x->p < x->end) {
        if (*x->p == '<') {
            rc = xml_markup(x, err);
        } else if (*x->p == '&') {
            rc = xml_entity(x, err);
        } else {
            if (x->depth == 0 && !strchr(" \t\r\n", *x->p))
                rc = xml_fail(x, x->p, err, x->seen_root ? "text after the root element" : "text before the root element");
            else if (*x->p == '\0')
                rc = xml_fail(x, x->p, err, "a NUL byte");
            else
                tf_buf_putc(&x->text, *x->p++);
        }
    }
    if (rc == 0 && !x->seen_root)
        rc = tf_err_set(err, "the body holds no XML element");
    else if (rc == 0 && x->depth > 0)
        rc = tf_err_set(err, "the XML ends inside <%s> (truncated body)", xml_name_at(x, x->depth));
    tf_buf_free(&x->text);
    return rc;
}

/* ---- ListBucketResult --------------------------------------------------------- */

typedef struct {
    tf_s3_listing *out;
    size_t cap;
    tf_s3_object cur;
    bool have_size, url_encoded, is_error;
    tf_s3_error error;
} listing_ctx;

static bool parse_i64(const char *s, size_t n, int64_t *v)
{
    if (n == 0 || n > 18)
        return false;
    int64_t r = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        r = r * 10 + (s[i] - '0');
    }
    *v = r;
    return true;
}

static char *etag_dup(const char *s, size_t n)
{
    if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
        s++;
        n -= 2;
    }
    return tf_xstrndup(s, n);
}

static int contents_field(listing_ctx *c, const char *name, const char *text, size_t len, tf_err *err)
{
    if (strcmp(name, "Key") == 0) {
        free(c->cur.key);
        c->cur.key = tf_xstrndup(text, len);
    } else if (strcmp(name, "Size") == 0) {
        if (!parse_i64(text, len, &c->cur.size))
            return tf_err_set(err, "the listing gives %s a Size that is not a number",
                              c->cur.key ? c->cur.key : "an object");
        c->have_size = true;
    } else if (strcmp(name, "ETag") == 0) {
        free(c->cur.etag);
        c->cur.etag = etag_dup(text, len);
    } else if (strcmp(name, "LastModified") == 0) {
        uint64_t ns;
        c->cur.mtime = tf_time_parse_iso8601(text, len, &ns) ? (int64_t)(ns / 1000000000u) : 0;
    }
    return 0;
}

static int push_object(listing_ctx *c, tf_err *err)
{
    if (!c->cur.key || !*c->cur.key)
        return tf_err_set(err, "the listing has a Contents entry without a Key");
    if (!c->have_size)
        return tf_err_set(err, "the listing gives %s no Size", c->cur.key);
    tf_s3_listing *l = c->out;
    if (l->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 64;
        l->objects = tf_xrealloc(l->objects, c->cap * sizeof *l->objects);
    }
    l->objects[l->n++] = c->cur;
    memset(&c->cur, 0, sizeof c->cur);
    c->have_size = false;
    return 0;
}

static int listing_fn(xml_scan *x, bool open, const char *text, size_t len, tf_err *err)
{
    listing_ctx *c = x->ctx;
    const char *name = xml_name_at(x, x->depth);
    if (open) {
        if (x->depth == 1 && strcmp(name, "ListBucketResult") != 0) {
            if (strcmp(name, "Error") != 0)
                return tf_err_set(err, "the body is a <%s>, not a ListBucketResult", name);
            c->is_error = true;
        }
        return 0;
    }
    if (c->is_error) {
        if (x->depth == 2 && strcmp(name, "Code") == 0 && !c->error.code)
            c->error.code = tf_xstrndup(text, len);
        else if (x->depth == 2 && strcmp(name, "Message") == 0 && !c->error.message)
            c->error.message = tf_xstrndup(text, len);
        return 0;
    }
    if (x->depth == 3 && strcmp(xml_name_at(x, 2), "Contents") == 0)
        return contents_field(c, name, text, len, err);
    if (x->depth != 2)
        return 0;
    if (strcmp(name, "Contents") == 0)
        return push_object(c, err);
    if (strcmp(name, "IsTruncated") == 0)
        c->out->truncated = len == 4 && memcmp(text, "true", 4) == 0;
    else if (strcmp(name, "NextContinuationToken") == 0 && len) {
        free(c->out->next_token);
        c->out->next_token = tf_xstrndup(text, len);
    } else if (strcmp(name, "EncodingType") == 0)
        c->url_encoded = len == 3 && memcmp(text, "url", 3) == 0;
    return 0;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Percent-decodes in place (EncodingType=url; '+' is a space there). */
static int url_decode(char *s, tf_err *err)
{
    char *w = s;
    for (const char *r = s; *r; r++) {
        if (*r == '%') {
            int a = hexval(r[1]), b = a >= 0 ? hexval(r[2]) : -1;
            if (b < 0)
                return tf_err_set(err, "the url-encoded key \"%s\" has a bad %% escape", s);
            char c = (char)(a * 16 + b);
            if (c == '\0')
                return tf_err_set(err, "a url-encoded key decodes to a NUL byte");
            *w++ = c;
            r += 2;
        } else {
            *w++ = *r == '+' ? ' ' : *r;
        }
    }
    *w = '\0';
    return 0;
}

int tf_s3_parse_listing(const char *xml, size_t len, tf_s3_listing *out, tf_err *err)
{
    memset(out, 0, sizeof *out);
    listing_ctx c = { .out = out };
    xml_scan x = { .fn = listing_fn, .ctx = &c };
    int rc = xml_run(&x, xml, len, err);
    if (rc == 0 && c.is_error) {
        rc = tf_err_set(err, "the server answered with an error: %s: %s", c.error.code ? c.error.code : "no Code",
                        c.error.message ? c.error.message : "no Message");
    } else if (rc == 0 && out->truncated && !out->next_token) {
        rc = tf_err_set(err, "the listing is truncated but has no NextContinuationToken");
    }
    for (size_t i = 0; rc == 0 && c.url_encoded && i < out->n; i++)
        rc = url_decode(out->objects[i].key, err);
    free(c.cur.key);
    free(c.cur.etag);
    tf_s3_error_free(&c.error);
    return rc;
}

void tf_s3_listing_free(tf_s3_listing *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->objects[i].key);
        free(l->objects[i].etag);
    }
    free(l->objects);
    free(l->next_token);
    memset(l, 0, sizeof *l);
}

/* ---- Error -------------------------------------------------------------------- */

static int error_fn(xml_scan *x, bool open, const char *text, size_t len, tf_err *err)
{
    tf_s3_error *e = x->ctx;
    const char *name = xml_name_at(x, x->depth);
    if (open)
        return x->depth == 1 && strcmp(name, "Error") != 0 ? tf_err_set(err, "not an Error") : 0;
    if (x->depth == 2 && strcmp(name, "Code") == 0 && !e->code)
        e->code = tf_xstrndup(text, len);
    else if (x->depth == 2 && strcmp(name, "Message") == 0 && !e->message)
        e->message = tf_xstrndup(text, len);
    return 0;
}

int tf_s3_parse_error(const char *xml, size_t len, tf_s3_error *out)
{
    memset(out, 0, sizeof *out);
    xml_scan x = { .fn = error_fn, .ctx = out };
    tf_err err;
    return xml_run(&x, xml, len, &err);
}

void tf_s3_error_free(tf_s3_error *e)
{
    free(e->code);
    free(e->message);
    e->code = e->message = NULL;
}
