/* types.c: field types of the text formats: a field's text -> a tf_json
 * node (strings repaired to UTF-8, escapes decoded, numbers kept exact,
 * times and durations normalised, trace headers unpacked), and the record
 * object built from a line's fields. */
#include "config.h"
#include "map/text/text_int.h"

#include "common/ids.h"
#include "common/timefmt.h"

#include <string.h>

/* ---- type specs ---------------------------------------------------------- */

static const struct {
    const char *name;
    tf_tkind kind;
} kinds[] = {
    { "string", TK_STRING },     { "escaped", TK_ESCAPED }, { "urlencoded", TK_URLENC },
    { "int", TK_INT },           { "size", TK_SIZE },       { "number", TK_NUMBER },
    { "auto", TK_AUTO },         { "bool", TK_BOOL },       { "time", TK_TIME },
    { "duration", TK_DURATION }, { "traceparent", TK_TRACEPARENT }, { "b3", TK_B3 },
    { "xray", TK_XRAY },
};

static uint64_t unit_of(const char *u)
{
    if (!strcmp(u, "s"))
        return 1;
    if (!strcmp(u, "ms"))
        return 1000;
    if (!strcmp(u, "us"))
        return 1000000;
    if (!strcmp(u, "ns"))
        return 1000000000;
    return 0;
}

static bool time_arg(const char *arg, tf_text_type *t, tf_arena *a)
{
    if (strchr(arg, '%')) {
        t->time = TT_STRF;
        t->strf = tf_arena_strndup(a, arg, strlen(arg));
        return true;
    }
    if (!strcmp(arg, "auto"))
        t->time = TT_AUTO;
    else if (!strcmp(arg, "iso8601") || !strcmp(arg, "rfc3339"))
        t->time = TT_ISO;
    else if (!strcmp(arg, "clf"))
        t->time = TT_CLF;
    else if (!strcmp(arg, "http"))
        t->time = TT_HTTP;
    else if (!strcmp(arg, "epoch"))
        t->time = TT_EPOCH;
    else if (!strncmp(arg, "epoch:", 6) && (t->units = unit_of(arg + 6)) != 0)
        t->time = TT_EPOCH;
    else
        return false;
    return true;
}

bool tf_text_type_parse(const char *spec, tf_text_type *out, tf_arena *a, tf_err *err)
{
    memset(out, 0, sizeof *out);
    const char *colon = strchr(spec, ':');
    size_t nlen = colon ? (size_t)(colon - spec) : strlen(spec);
    size_t i;
    for (i = 0; i < TF_ARRAY_LEN(kinds); i++)
        if (strlen(kinds[i].name) == nlen && !memcmp(kinds[i].name, spec, nlen))
            break;
    if (i == TF_ARRAY_LEN(kinds)) {
        tf_err_set(err, "expected a type (string, escaped, urlencoded, int, size, number, auto, bool, "
                        "time, duration, traceparent, b3 or xray), got \"%s\"", spec);
        return false;
    }
    out->kind = kinds[i].kind;
    out->spec = tf_arena_strndup(a, spec, strlen(spec));
    if (out->kind == TK_TIME) {
        if (colon && !time_arg(colon + 1, out, a)) {
            tf_err_set(err, "\"%s\": expected time:auto, time:iso8601, time:clf, time:http, "
                            "time:epoch[:s|ms|us|ns] or a strptime format with %%", spec);
            return false;
        }
        return true;
    }
    if (out->kind == TK_DURATION) {
        if (colon && (out->units = unit_of(colon + 1)) == 0) {
            tf_err_set(err, "\"%s\": expected duration, or duration:s, :ms, :us or :ns", spec);
            return false;
        }
        return true;
    }
    if (colon) {
        tf_err_set(err, "\"%s\": the type %.*s takes no argument", spec, (int)nlen, spec);
        return false;
    }
    return true;
}

/* ---- nodes -------------------------------------------------------------------- */

tf_json *tf_text_node(tf_arena *a, tf_json_type t)
{
    tf_json *v = tf_arena_alloc(a, sizeof *v);
    memset(v, 0, sizeof *v);
    v->type = t;
    return v;
}

static tf_json *node_text(tf_arena *a, tf_json_type t, const char *p, size_t len)
{
    tf_json *v = tf_text_node(a, t);
    v->str.p = tf_arena_strndup(a, p, len);
    v->str.len = len;
    return v;
}

static bool all_ascii(const char *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)p[i] >= 0x80)
            return false;
    return true;
}

tf_json *tf_text_string(tf_arena *a, const char *p, size_t len)
{
    if (all_ascii(p, len) || tf_utf8_valid(p, len))
        return node_text(a, TF_JSON_STRING, p, len);
    /* Each invalid byte becomes U+FFFD (3 bytes). */
    char *o = tf_arena_alloc(a, len * 3 + 1);
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        size_t k = tf_utf8_seq((const unsigned char *)p + i, len - i);
        if (k == 0) {
            memcpy(o + n, "\xef\xbf\xbd", 3);
            n += 3;
            i++;
        } else {
            memcpy(o + n, p + i, k);
            n += k;
            i += k;
        }
    }
    o[n] = '\0';
    tf_json *v = tf_text_node(a, TF_JSON_STRING);
    v->str.p = o;
    v->str.len = n;
    return v;
}

tf_json *tf_text_object(tf_arena *a, size_t cap)
{
    tf_json *o = tf_text_node(a, TF_JSON_OBJECT);
    if (cap) {
        o->items = tf_arena_alloc(a, cap * sizeof *o->items);
        o->keys = tf_arena_alloc(a, cap * sizeof *o->keys);
    }
    return o;
}

void tf_text_put(tf_json *obj, const char *key, size_t keylen, tf_json *v)
{
    obj->keys[obj->n] = (tf_str){ key, keylen };
    obj->items[obj->n++] = v;
}

/* ---- decoders ------------------------------------------------------------------ */

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* nginx (\xHH) and Apache (\" \\ \n \r \t \xhh) escapes; others stay. */
static tf_json *unescape(tf_arena *a, const char *p, size_t len)
{
    if (!memchr(p, '\\', len))
        return tf_text_string(a, p, len);
    char *o = tf_arena_alloc(a, len + 1);
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (p[i] != '\\' || i + 1 == len) {
            o[n++] = p[i];
            continue;
        }
        char c = p[i + 1];
        int h1, h2;
        if (c == 'x' && i + 3 < len && (h1 = hexval((unsigned char)p[i + 2])) >= 0 &&
            (h2 = hexval((unsigned char)p[i + 3])) >= 0) {
            o[n++] = (char)(h1 << 4 | h2);
            i += 3;
        } else if (c == '"' || c == '\\') {
            o[n++] = c;
            i++;
        } else if (c == 'n' || c == 'r' || c == 't') {
            o[n++] = c == 'n' ? '\n' : c == 'r' ? '\r' : '\t';
            i++;
        } else {
            o[n++] = p[i];
        }
    }
    return tf_text_string(a, o, n);
}

static tf_json *urldecode(tf_arena *a, const char *p, size_t len)
{
    if (!memchr(p, '%', len))
        return tf_text_string(a, p, len);
    char *o = tf_arena_alloc(a, len + 1);
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        int h1, h2;
        if (p[i] == '%' && i + 2 < len && (h1 = hexval((unsigned char)p[i + 1])) >= 0 && (h2 = hexval((unsigned char)p[i + 2])) >= 0) {
            o[n++] = (char)(h1 << 4 | h2);
            i += 2;
        } else {
            o[n++] = p[i];
        }
    }
    return tf_text_string(a, o, n);
}

/* ---- numbers -------------------------------------------------------------------- */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Strict JSON number syntax. */
static bool json_number(const char *p, size_t len)
{
    size_t i = 0;
    if (i < len && p[i] == '-')
        i++;
    if (i == len || !is_digit(p[i]))
        return false;
    if (p[i] == '0')
        i++;
    else
        while (i < len && is_digit(p[i]))
            i++;
    if (i < len && p[i] == '.') {
        i++;
        if (i == len || !is_digit(p[i]))
            return false;
        while (i < len && is_digit(p[i]))
            i++;
    }
    if (i < len && (p[i] == 'e' || p[i] == 'E')) {
        i++;
        if (i < len && (p[i] == '+' || p[i] == '-'))
            i++;
        if (i == len || !is_digit(p[i]))
            return false;
        while (i < len && is_digit(p[i]))
            i++;
    }
    return i == len;
}

/* A decimal as logs write it ([+-] digits [. digits] [e[+-]digits], digits on
 * at least one side of the point) rewritten as JSON: no '+', no leading
 * zeros, "0" before a bare point, no bare trailing point. Exact. */
static tf_json *number_node(tf_arena *a, const char *p, size_t len, bool integer)
{
    size_t i = 0;
    bool neg = false;
    if (i < len && (p[i] == '+' || p[i] == '-'))
        neg = p[i++] == '-';
    size_t ib = i;
    while (i < len && is_digit(p[i]))
        i++;
    size_t ie = i, fb = i, fe = i;
    if (!integer && i < len && p[i] == '.') {
        fb = ++i;
        while (i < len && is_digit(p[i]))
            i++;
        fe = i;
    }
    if (ie == ib && fe == fb)
        return NULL;
    size_t xb = i;
    if (!integer && i < len && (p[i] == 'e' || p[i] == 'E')) {
        i++;
        if (i < len && (p[i] == '+' || p[i] == '-'))
            i++;
        if (i == len || !is_digit(p[i]))
            return NULL;
        while (i < len && is_digit(p[i]))
            i++;
    }
    if (i != len)
        return NULL;
    while (ib + 1 < ie && p[ib] == '0')
        ib++;
    char *o = tf_arena_alloc(a, len + 3);
    size_t n = 0;
    if (neg)
        o[n++] = '-';
    if (ie == ib) {
        o[n++] = '0';
    } else {
        memcpy(o + n, p + ib, ie - ib);
        n += ie - ib;
    }
    if (fe > fb) {
        o[n++] = '.';
        memcpy(o + n, p + fb, fe - fb);
        n += fe - fb;
    }
    memcpy(o + n, p + xb, len - xb);
    n += len - xb;
    o[n] = '\0';
    tf_json *v = tf_text_node(a, TF_JSON_NUMBER);
    v->str.p = o;
    v->str.len = n;
    return v;
}

/* An integer that fits int64. */
static tf_json *int_node(tf_arena *a, const char *p, size_t len)
{
    tf_json *v = number_node(a, p, len, true);
    int64_t x;
    return v && tf_json_as_int64(v, &x) ? v : NULL;
}

static bool eq_nocase(const char *p, size_t len, const char *w)
{
    size_t n = strlen(w);
    if (n != len)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != w[i])
            return false;
    }
    return true;
}

static tf_json *bool_node(tf_arena *a, const char *p, size_t len)
{
    int b = -1;
    if (eq_nocase(p, len, "true") || eq_nocase(p, len, "yes") || (len == 1 && p[0] == '1'))
        b = 1;
    else if (eq_nocase(p, len, "false") || eq_nocase(p, len, "no") || (len == 1 && p[0] == '0'))
        b = 0;
    if (b < 0)
        return NULL;
    tf_json *v = tf_text_node(a, TF_JSON_BOOL);
    v->boolean = b == 1;
    return v;
}

/* ---- times, durations, trace context --------------------------------------------- */

static bool parse_time(const tf_text_format *f, const tf_text_type *t, const char *p, size_t len,
                       uint64_t *ns)
{
    switch (t->time) {
    case TT_ISO:
        return tf_time_parse_iso8601(p, len, ns);
    case TT_CLF:
        return tf_time_parse_clf(p, len, ns);
    case TT_HTTP:
        return tf_time_parse_http_date(p, len, f->now_ns, ns);
    case TT_EPOCH:
        return t->units ? tf_time_parse_epoch(p, len, t->units, ns) : tf_time_parse_epoch_auto(p, len, ns);
    case TT_STRF:
        return tf_time_parse_format(t->strf, p, len, ns);
    case TT_AUTO:
        break;
    }
    return tf_time_parse_any(p, len, ns);
}

static tf_json *time_node(tf_arena *a, uint64_t ns)
{
    char buf[31];
    tf_time_format(ns, buf);
    return node_text(a, TF_JSON_STRING, buf, 30);
}

/* NULL: not a duration; *none: a negative one (no value). */
static tf_json *duration_node(tf_arena *a, const tf_text_type *t, const char *p, size_t len,
                              bool *none)
{
    int64_t ns;
    bool okd = t->units ? tf_duration_parse_number(p, len, t->units, &ns) : tf_duration_parse(p, len, &ns);
    if (!okd)
        return NULL;
    if (ns < 0) {
        *none = true;
        return tf_text_node(a, TF_JSON_NULL);
    }
    char buf[32];
    size_t n = tf_duration_format_secs(ns, buf);
    return node_text(a, TF_JSON_NUMBER, buf, n);
}

static tf_json *hex_node(tf_arena *a, const uint8_t *id, size_t n)
{
    char buf[33];
    tf_hex_encode(buf, id, n);
    return node_text(a, TF_JSON_STRING, buf, 2 * n);
}

/* {trace_id, parent_span_id, sampled, traceparent}; NULL when the header
 * does not parse. */
static tf_json *trace_node(tf_arena *a, tf_tkind k, const char *p, size_t len)
{
    tf_trace_ctx c;
    bool okc = k == TK_TRACEPARENT ? tf_traceparent_ctx(p, len, &c)
               : k == TK_B3        ? tf_b3_parse(p, len, &c)
                                   : tf_xray_parse(p, len, &c);
    if (!okc)
        return NULL;
    tf_json *o = tf_text_object(a, 4);
    tf_text_put(o, "trace_id", 8, hex_node(a, c.trace_id, 16));
    if (c.has_span_id)
        tf_text_put(o, "parent_span_id", 14, hex_node(a, c.span_id, 8));
    if (c.sampled >= 0) {
        tf_json *b = tf_text_node(a, TF_JSON_BOOL);
        b->boolean = c.sampled == 1;
        tf_text_put(o, "sampled", 7, b);
    }
    char tp[56];
    if (tf_trace_ctx_traceparent(&c, tp))
        tf_text_put(o, "traceparent", 11, node_text(a, TF_JSON_STRING, tp, 55));
    return o;
}

/* ---- one value ---------------------------------------------------------------------- */

static bool is_null_token(const tf_text_format *f, const char *p, size_t len)
{
    for (size_t i = 0; i < f->n_nulls; i++)
        if (f->nulls[i].len == len && !memcmp(f->nulls[i].p, p, len))
            return true;
    return false;
}

static int bad(tf_err *why, const char *name, const char *p, size_t len, const char *what,
               const char *spec)
{
    tf_buf b = { 0 };
    tf_text_excerpt(&b, p, len, 40);
    if (spec && strchr(spec, ':'))
        tf_err_set(why, "field \"%s\": %s is not %s (%s)", name, tf_buf_cstr(&b), what, spec);
    else
        tf_err_set(why, "field \"%s\": %s is not %s", name, tf_buf_cstr(&b), what);
    tf_buf_free(&b);
    return TF_TEXT_BADVALUE;
}

int tf_text_value(const tf_text_format *f, const tf_text_type *t, tf_arena *a, const char *name,
                  const char *p, size_t len, bool present, tf_json **out, tf_err *why)
{
    tf_tkind k = t->kind;
    bool typed = k != TK_STRING && k != TK_ESCAPED && k != TK_URLENC;
    if (!present || is_null_token(f, p, len) || (typed && len == 0)) {
        if (k == TK_SIZE && present)
            *out = node_text(a, TF_JSON_NUMBER, "0", 1);
        else
            *out = tf_text_node(a, TF_JSON_NULL);
        return TF_TEXT_OK;
    }
    tf_json *v = NULL;
    bool none = false;
    uint64_t ns;
    switch (k) {
    case TK_STRING:
        *out = tf_text_string(a, p, len);
        return TF_TEXT_OK;
    case TK_ESCAPED:
        *out = unescape(a, p, len);
        return TF_TEXT_OK;
    case TK_URLENC:
        *out = urldecode(a, p, len);
        return TF_TEXT_OK;
    case TK_INT:
    case TK_SIZE:
        if (!(v = int_node(a, p, len)))
            return bad(why, name, p, len, k == TK_SIZE ? "a size" : "an integer", NULL);
        break;
    case TK_NUMBER:
        if (!(v = number_node(a, p, len, false)))
            return bad(why, name, p, len, "a number", NULL);
        break;
    case TK_AUTO:
        v = json_number(p, len) ? node_text(a, TF_JSON_NUMBER, p, len) : tf_text_string(a, p, len);
        break;
    case TK_BOOL:
        if (!(v = bool_node(a, p, len)))
            return bad(why, name, p, len, "a boolean", NULL);
        break;
    case TK_TIME:
        if (!parse_time(f, t, p, len, &ns))
            return bad(why, name, p, len, "a time", t->spec);
        v = time_node(a, ns);
        break;
    case TK_DURATION:
        if (!(v = duration_node(a, t, p, len, &none)))
            return bad(why, name, p, len, "a duration", t->spec);
        break;
    case TK_TRACEPARENT:
    case TK_B3:
    case TK_XRAY:
        /* A malformed header is no reason to drop the line: it stays text. */
        if (!(v = trace_node(a, k, p, len)))
            v = tf_text_string(a, p, len);
        break;
    }
    *out = v;
    return TF_TEXT_OK;
}

/* ---- the record ---------------------------------------------------------------------- */

int tf_text_build(tf_text_parser *p, const tf_text_columns *cols, tf_arena *a, tf_json **out,
                  tf_err *why)
{
    const tf_text_format *f = p->f;
    bool ts = cols->date_col >= 0;
    tf_json *o = tf_text_object(a, cols->n + (ts ? 1 : 0));
    for (size_t i = 0; i < cols->n; i++) {
        tf_json *v;
        int rc = tf_text_value(f, cols->types[i], a, cols->names[i].p, p->vals[i].p, p->vals[i].len,
                               p->set[i], &v, why);
        if (rc != TF_TEXT_OK)
            return rc;
        tf_text_put(o, cols->names[i].p, cols->names[i].len, v);
    }
    if (ts) {
        /* W3C: date and time are UTC; together they are the record's time. */
        const tf_str d = p->vals[cols->date_col], t = p->vals[cols->time_col];
        uint64_t ns;
        tf_json *v;
        if (is_null_token(f, d.p, d.len) || is_null_token(f, t.p, t.len)) {
            v = tf_text_node(a, TF_JSON_NULL);
        } else {
            char buf[64];
            if (d.len + t.len + 1 >= sizeof buf)
                return bad(why, "date", d.p, d.len, "a date followed by a time", NULL);
            memcpy(buf, d.p, d.len);
            buf[d.len] = 'T';
            memcpy(buf + d.len + 1, t.p, t.len);
            if (!tf_time_parse_iso8601(buf, d.len + 1 + t.len, &ns))
                return bad(why, "date", buf, d.len + 1 + t.len, "a date followed by a time", NULL);
            v = time_node(a, ns);
        }
        tf_text_put(o, "timestamp", 9, v);
    }
    *out = o;
    return TF_TEXT_OK;
}

void tf_text_excerpt(tf_buf *out, const char *s, size_t len, size_t max)
{
    tf_buf_putc(out, '"');
    size_t n = TF_MIN(len, max);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            tf_buf_printf(out, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            tf_buf_printf(out, "\\x%02x", c);
        else
            tf_buf_putc(out, (char)c);
    }
    tf_buf_putc(out, '"');
    if (len > max)
        TF_BUF_LIT(out, "...");
}
