/* json.c: yajl callbacks that build an arena tree, plus lookups and output. */
#include "config.h"
#include "common/json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

/* One open container while parsing: its children collect in a scratch vector
 * that is reused across records, then get copied into the arena at its end. */
typedef struct {
    tf_json *node;
    tf_json **items;
    tf_str *keys;
    size_t n, cap;
    tf_str pending_key;
} level;

struct tf_json_parser {
    yajl_handle h;
    level *stack;
    size_t depth, cap;
    tf_arena *arena;
    tf_json_emit_fn emit;
    void *ctx;
    size_t value_start;
    int emit_failed;
    int too_deep;
};

static tf_json *new_node(tf_json_parser *p, tf_json_type t)
{
    tf_json *v = tf_arena_alloc(p->arena, sizeof *v);
    memset(v, 0, sizeof *v);
    v->type = t;
    return v;
}

/* Attaches a finished value to its parent, or emits it at the top level. */
static int add_value(tf_json_parser *p, tf_json *v)
{
    if (p->depth == 0) {
        size_t end = yajl_get_bytes_consumed(p->h);
        size_t start = v->type == TF_JSON_OBJECT || v->type == TF_JSON_ARRAY ? p->value_start : end;
        if (p->emit(p->ctx, v, start, end) != 0) {
            p->emit_failed = 1;
            return 0;
        }
        return 1;
    }
    level *l = &p->stack[p->depth - 1];
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->items = tf_xrealloc(l->items, l->cap * sizeof *l->items);
        l->keys = tf_xrealloc(l->keys, l->cap * sizeof *l->keys);
    }
    l->items[l->n] = v;
    l->keys[l->n] = l->pending_key;
    l->n++;
    return 1;
}

static int cb_null(void *ctx)
{
    tf_json_parser *p = ctx;
    return add_value(p, new_node(p, TF_JSON_NULL));
}

static int cb_boolean(void *ctx, int b)
{
    tf_json_parser *p = ctx;
    tf_json *v = new_node(p, TF_JSON_BOOL);
    v->boolean = b != 0;
    return add_value(p, v);
}

static int cb_number(void *ctx, const char *s, size_t len)
{
    tf_json_parser *p = ctx;
    tf_json *v = new_node(p, TF_JSON_NUMBER);
    v->str.p = tf_arena_strndup(p->arena, s, len);
    v->str.len = len;
    return add_value(p, v);
}

static int cb_string(void *ctx, const unsigned char *s, size_t len)
{
    tf_json_parser *p = ctx;
    tf_json *v = new_node(p, TF_JSON_STRING);
    v->str.p = tf_arena_strndup(p->arena, (const char *)s, len);
    v->str.len = len;
    return add_value(p, v);
}

static int open_container(tf_json_parser *p, tf_json_type t)
{
    if (p->depth >= TF_JSON_MAX_DEPTH) {
        p->too_deep = 1;
        return 0;
    }
    if (p->depth == 0)
        p->value_start = yajl_get_bytes_consumed(p->h) - 1;
    if (p->depth == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 16;
        p->stack = tf_xrealloc(p->stack, cap * sizeof *p->stack);
        memset(p->stack + p->cap, 0, (cap - p->cap) * sizeof *p->stack);
        p->cap = cap;
    }
    level *l = &p->stack[p->depth++];
    l->node = new_node(p, t);
    l->n = 0;
    l->pending_key = (tf_str){ NULL, 0 };
    return 1;
}

static int close_container(tf_json_parser *p)
{
    level *l = &p->stack[--p->depth];
    tf_json *v = l->node;
    v->n = l->n;
    if (l->n) {
        v->items = tf_arena_alloc(p->arena, l->n * sizeof *v->items);
        memcpy(v->items, l->items, l->n * sizeof *v->items);
        if (v->type == TF_JSON_OBJECT) {
            v->keys = tf_arena_alloc(p->arena, l->n * sizeof *v->keys);
            memcpy(v->keys, l->keys, l->n * sizeof *v->keys);
        }
    }
    return add_value(p, v);
}

static int cb_start_map(void *ctx)
{
    return open_container(ctx, TF_JSON_OBJECT);
}

static int cb_map_key(void *ctx, const unsigned char *s, size_t len)
{
    tf_json_parser *p = ctx;
    level *l = &p->stack[p->depth - 1];
    l->pending_key.p = tf_arena_strndup(p->arena, (const char *)s, len);
    l->pending_key.len = len;
    return 1;
}

static int cb_end(void *ctx)
{
    return close_container(ctx);
}

static int cb_start_array(void *ctx)
{
    return open_container(ctx, TF_JSON_ARRAY);
}

static const yajl_callbacks callbacks = {
    .yajl_null = cb_null,
    .yajl_boolean = cb_boolean,
    .yajl_number = cb_number,
    .yajl_string = cb_string,
    .yajl_start_map = cb_start_map,
    .yajl_map_key = cb_map_key,
    .yajl_end_map = cb_end,
    .yajl_start_array = cb_start_array,
    .yajl_end_array = cb_end,
};

static void new_handle(tf_json_parser *p)
{
    if (p->h)
        yajl_free(p->h);
    p->h = yajl_alloc(&callbacks, NULL, p);
    if (!p->h) {
        fprintf(stderr, "tracefill: out of memory (yajl_alloc)\n");
        abort();
    }
    yajl_config(p->h, yajl_allow_multiple_values, 1);
}

tf_json_parser *tf_json_parser_new(void)
{
    tf_json_parser *p = tf_xcalloc(1, sizeof *p);
    new_handle(p);
    return p;
}

void tf_json_parser_free(tf_json_parser *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->cap; i++) {
        free(p->stack[i].items);
        free(p->stack[i].keys);
    }
    free(p->stack);
    yajl_free(p->h);
    free(p);
}

/* yajl's own messages are multi-line with a context dump; keep the first line. */
static void describe_error(tf_json_parser *p, const char *text, size_t len, size_t base, tf_err *err)
{
    unsigned char *m = yajl_get_error(p->h, 0, (const unsigned char *)text, len);
    const char *msg = m ? (const char *)m : "parse error";
    size_t n = strcspn(msg, "\n");
    size_t at = base + yajl_get_bytes_consumed(p->h);
    tf_err_set(err, "invalid JSON at byte %zu of the record: %.*s", at, (int)n, msg);
    if (m)
        yajl_free_error(p->h, m);
}

int tf_json_parse(tf_json_parser *p, tf_arena *arena, const char *text, size_t len,
                  tf_json_emit_fn emit, void *ctx, tf_err *err)
{
    p->arena = arena;
    p->emit = emit;
    p->ctx = ctx;
    p->depth = 0;
    p->emit_failed = 0;
    p->too_deep = 0;
    yajl_status st = yajl_parse(p->h, (const unsigned char *)text, len);
    int finishing = 0;
    if (st == yajl_status_ok) {
        finishing = 1;
        st = yajl_complete_parse(p->h);
    }
    if (st == yajl_status_ok)
        return 0;
    if (p->emit_failed)
        tf_err_set(err, "record rejected while parsing");
    else if (p->too_deep)
        tf_err_set(err, "invalid JSON at byte %zu of the record: nesting deeper than %d levels",
                   yajl_get_bytes_consumed(p->h), TF_JSON_MAX_DEPTH);
    else if (finishing)
        tf_err_set(err, "invalid JSON: the record ends inside a value (truncated?)");
    else
        describe_error(p, text, len, 0, err);
    new_handle(p); /* a yajl handle cannot leave the error state */
    return -1;
}

struct one_ctx {
    tf_json *v;
    int count;
};

static int keep_one(void *ctx, tf_json *v, size_t start, size_t end)
{
    struct one_ctx *c = ctx;
    if (c->count++ == 0)
        c->v = v;
    return 0;
}

tf_json *tf_json_parse_one(tf_json_parser *p, tf_arena *arena, const char *text, size_t len, tf_err *err)
{
    struct one_ctx c = { NULL, 0 };
    if (tf_json_parse(p, arena, text, len, keep_one, &c, err) != 0)
        return NULL;
    if (c.count != 1) {
        if (c.count)
            tf_err_set(err, "expected one JSON value, found %d", c.count);
        else
            tf_err_set(err, "no JSON value found");
        return NULL;
    }
    return c.v;
}

const tf_json *tf_json_getn(const tf_json *obj, const char *key, size_t keylen)
{
    if (!obj || obj->type != TF_JSON_OBJECT)
        return NULL;
    /* Last one wins for duplicate keys, as most JSON readers do. */
    for (size_t i = obj->n; i-- > 0;) {
        if (obj->keys[i].len == keylen && memcmp(obj->keys[i].p, key, keylen) == 0)
            return obj->items[i];
    }
    return NULL;
}

const tf_json *tf_json_get(const tf_json *obj, const char *key)
{
    return tf_json_getn(obj, key, strlen(key));
}

const tf_json *tf_json_get_nn(const tf_json *obj, const char *key)
{
    const tf_json *v = tf_json_get(obj, key);
    return v && v->type != TF_JSON_NULL ? v : NULL;
}

const tf_json *tf_json_path(const tf_json *root, const char *path)
{
    const tf_json *cur = root;
    const char *p = path;
    if (*p == '.')
        p++;
    while (cur && *p) {
        if (*p == '[') {
            p++;
            if (*p == '"' || *p == '\'') {
                char q = *p++;
                const char *k = p;
                while (*p && *p != q)
                    p++;
                if (*p != q || p[1] != ']')
                    return NULL;
                cur = tf_json_getn(cur, k, (size_t)(p - k));
                p += 2;
            } else {
                char *endp;
                errno = 0;
                long idx = strtol(p, &endp, 10);
                if (endp == p || *endp != ']' || errno)
                    return NULL;
                if (cur->type != TF_JSON_ARRAY)
                    return NULL;
                if (idx < 0)
                    idx += (long)cur->n;
                if (idx < 0 || (size_t)idx >= cur->n)
                    return NULL;
                cur = cur->items[idx];
                p = endp + 1;
            }
        } else {
            const char *k = p;
            while (*p && *p != '.' && *p != '[')
                p++;
            cur = tf_json_getn(cur, k, (size_t)(p - k));
        }
        if (*p == '.')
            p++;
    }
    return cur;
}

bool tf_json_raw_top_string(const char *text, size_t len, const char *const *keys, size_t n_keys,
                            tf_str *value)
{
    const char *hit = NULL;
    size_t hit_len = 0;
    for (size_t k = 0; k < n_keys; k++) {
        char pat[64];
        size_t kl = strlen(keys[k]);
        if (kl + 2 > sizeof pat)
            return false;
        pat[0] = '"';
        memcpy(pat + 1, keys[k], kl);
        pat[kl + 1] = '"';
        const char *p = text, *end = text + len;
        while ((p = memmem(p, (size_t)(end - p), pat, kl + 2)) != NULL) {
            if (hit)
                return false; /* two candidates: let the parser decide */
            hit = p;
            hit_len = kl + 2;
            p += kl + 2;
        }
    }
    if (!hit || (hit > text && hit[-1] == '\\'))
        return false;
    /* Where does the hit sit? Track depth and strings up to it. */
    int depth = 0;
    bool in_str = false, esc = false;
    for (const char *p = text; p < hit; p++) {
        char c = *p;
        if (in_str) {
            if (esc)
                esc = false;
            else if (c == '\\')
                esc = true;
            else if (c == '"')
                in_str = false;
        } else if (c == '"') {
            in_str = true;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            if (--depth <= 0)
                return false; /* a value ended before the hit: it is not the first value's */
        }
    }
    if (in_str)
        return false;
    if (depth != 1) {
        /* {"data": {...}}: allowed one level down when the record opens that way. */
        const char *p = text;
        while (p < hit && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
            p++;
        static const char wrap[] = "{\"data\":{";
        if (depth != 2 || (size_t)(hit - p) < sizeof wrap - 1 || memcmp(p, wrap, sizeof wrap - 1))
            return false;
    }
    const char *p = hit + hit_len, *end = text + len;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    if (p >= end || *p++ != ':')
        return false;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    if (p >= end || *p++ != '"')
        return false;
    const char *v = p;
    while (p < end && *p != '"' && *p != '\\')
        p++;
    if (p >= end || *p != '"')
        return false;
    value->p = v;
    value->len = (size_t)(p - v);
    return true;
}

bool tf_json_is_integral(const tf_json *v)
{
    if (!v || v->type != TF_JSON_NUMBER)
        return false;
    return strpbrk(v->str.p, ".eE") == NULL;
}

static bool parse_int_text(const char *s, size_t len, int64_t *out)
{
    char tmp[32];
    if (len == 0 || len >= sizeof tmp)
        return false;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    char *end;
    errno = 0;
    long long x = strtoll(tmp, &end, 10);
    if (errno || *end || end == tmp)
        return false;
    *out = x;
    return true;
}

static bool parse_double_text(const char *s, size_t len, double *out)
{
    char tmp[64];
    if (len == 0 || len >= sizeof tmp)
        return false;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    char *end;
    errno = 0;
    double x = strtod(tmp, &end);
    if (errno == ERANGE || *end || end == tmp)
        return false;
    *out = x;
    return true;
}

bool tf_json_as_int64(const tf_json *v, int64_t *out)
{
    if (!v)
        return false;
    if (v->type == TF_JSON_NUMBER || v->type == TF_JSON_STRING) {
        if (parse_int_text(v->str.p, v->str.len, out))
            return true;
        /* 1.5e3 style integral values */
        double d;
        if (parse_double_text(v->str.p, v->str.len, &d) && d >= -9.2e18 && d <= 9.2e18 &&
            d == (double)(int64_t)d) {
            *out = (int64_t)d;
            return true;
        }
    }
    return false;
}

bool tf_json_as_double(const tf_json *v, double *out)
{
    if (!v || (v->type != TF_JSON_NUMBER && v->type != TF_JSON_STRING))
        return false;
    return parse_double_text(v->str.p, v->str.len, out);
}

bool tf_json_as_bool(const tf_json *v, bool *out)
{
    if (!v)
        return false;
    if (v->type == TF_JSON_BOOL) {
        *out = v->boolean;
        return true;
    }
    if (v->type == TF_JSON_STRING) {
        if (tf_str_eqc(v->str, "true")) {
            *out = true;
            return true;
        }
        if (tf_str_eqc(v->str, "false")) {
            *out = false;
            return true;
        }
    }
    return false;
}

/* The bytes of w that need attention (< 0x20, '"', '\\', >= 0x80), as their
 * high bits: the classic SWAR zero-byte test applied to w, w ^ '"' and
 * w ^ '\\'. It may also flag bytes after a flagged one (a borrow), never
 * before, so the lowest flag, in memory order, is exact. */
static inline uint64_t special_bytes(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    uint64_t lt20 = (w - ones * 0x20) & ~w;
    uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
    uint64_t eq = ((q - ones) & ~q) | ((b - ones) & ~b);
    return (lt20 | eq | w) & high;
}

/* Little-endian with a count-trailing-zeros builtin: the lowest flag is
 * the first byte in memory. Elsewhere the byte loop finds it. */
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define TF_JSON_CTZ 1
#else
#define TF_JSON_CTZ 0
#endif

/* 1 for the bytes a JSON string cannot hold as they are (or that need
 * UTF-8 checking). */
static const unsigned char needs_escape[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

/* The two-character escapes; 0: none (a control character gets \u00XX). */
static const char short_escape[128] = {
    ['"'] = '"', ['\\'] = '\\', ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't', ['\b'] = 'b', ['\f'] = 'f',
};

void tf_json_write_string(tf_buf *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    if (len == 0) { /* s may be NULL then (an empty tf_str): no pointer arithmetic on it */
        tf_buf_append(out, "\"\"", 2);
        return;
    }
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    /* Written in place: room is kept for what is left of the input as it
     * is (plain bytes are copied one for one) plus the closing quote, and
     * grown before an escape, which writes at most 6 bytes for 1. */
    tf_buf_reserve(out, len + 2);
    char *o = out->p + out->len;
    *o++ = '"';
    while (p < end) {
        /* The run of bytes that need no escaping, eight at a time (stored
         * whole; a word's bytes after its first special one are written
         * over) while no byte in a word needs attention. */
        while (end - p >= 8) {
            uint64_t w;
            memcpy(&w, p, 8);
            memcpy(o, &w, 8); /* room: what is left, and the quote */
            uint64_t m = special_bytes(w);
            if (m) {
#if TF_JSON_CTZ
                size_t k = (size_t)__builtin_ctzll(m) / 8; /* the first byte that needs attention */
                p += k;
                o += k;
#endif
                break;
            }
            p += 8;
            o += 8;
        }
        while (p < end && !needs_escape[*p])
            *o++ = (char)*p++;
        if (p == end)
            break;
        size_t need = (size_t)(end - p) + 8;
        if (TF_UNLIKELY((size_t)(out->p + out->cap - o) < need)) {
            out->len = (size_t)(o - out->p);
            tf_buf_reserve(out, need + (size_t)(end - p) / 2 + 64);
            o = out->p + out->len;
        }
        unsigned c = *p;
        if (c >= 0x80) {
            size_t n = tf_utf8_seq(p, (size_t)(end - p));
            if (n) {
                memcpy(o, p, n);
                o += n;
                p += n;
            } else {
                memcpy(o, "\xef\xbf\xbd", 3); /* U+FFFD for an invalid byte */
                o += 3;
                p++;
            }
            continue;
        }
        p++;
        o[0] = '\\';
        if (short_escape[c]) {
            o[1] = short_escape[c];
            o += 2;
        } else {
            memcpy(o + 1, "u00", 3);
            o[4] = hex[c >> 4];
            o[5] = hex[c & 15];
            o += 6;
        }
    }
    *o++ = '"';
    out->len = (size_t)(o - out->p);
}

void tf_json_write(tf_buf *out, const tf_json *v)
{
    switch (v->type) {
    case TF_JSON_NULL: tf_buf_append(out, "null", 4); break;
    case TF_JSON_BOOL: tf_buf_puts(out, v->boolean ? "true" : "false"); break;
    case TF_JSON_NUMBER: tf_buf_append(out, v->str.p, v->str.len); break;
    case TF_JSON_STRING: tf_json_write_string(out, v->str.p, v->str.len); break;
    case TF_JSON_ARRAY:
    case TF_JSON_OBJECT:
        tf_buf_putc(out, v->type == TF_JSON_ARRAY ? '[' : '{');
        for (size_t i = 0; i < v->n; i++) {
            if (i)
                tf_buf_putc(out, ',');
            if (v->type == TF_JSON_OBJECT) {
                tf_json_write_string(out, v->keys[i].p, v->keys[i].len);
                tf_buf_putc(out, ':');
            }
            tf_json_write(out, v->items[i]);
        }
        tf_buf_putc(out, v->type == TF_JSON_ARRAY ? ']' : '}');
        break;
    }
}
