/* compile.c: compiling the values of a mapping: field paths, templates,
 * conditions and getters (alternatives with their options). */
#include "config.h"
#include "map/mapfile/compile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool mf_cfail(cc *c, const char *fmt, ...)
{
    if (c->failed)
        return false;
    c->failed = true;
    char msg[TF_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (c->where.len)
        tf_err_set(c->err, "%s: \"%.*s\": %s", c->file, (int)c->where.len, c->where.p, msg);
    else
        tf_err_set(c->err, "%s: %s", c->file, msg);
    return false;
}

const char *mf_jtype(const tf_json *v)
{
    switch (v->type) {
    case TF_JSON_NULL: return "null";
    case TF_JSON_BOOL: return v->boolean ? "true" : "false";
    case TF_JSON_NUMBER: return "a number";
    case TF_JSON_STRING: return "a string";
    case TF_JSON_ARRAY: return "an array";
    case TF_JSON_OBJECT: return "an object";
    }
    return "a value";
}

/* "got ..." text: strings are shown (shortened), other kinds named. */
const char *mf_got(cc *c, const tf_json *v)
{
    if (v->type != TF_JSON_STRING)
        return mf_jtype(v);
    if (v->str.len > 40)
        return tf_arena_printf(c->a, "\"%.37s...\"", v->str.p);
    return tf_arena_printf(c->a, "\"%.*s\"", (int)v->str.len, v->str.p);
}

static bool plain_key(const char *k, size_t len)
{
    if (!len)
        return false;
    for (size_t i = 0; i < len; i++) {
        char ch = k[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
              ch == '-'))
            return false;
    }
    return true;
}

size_t mf_push_key(cc *c, const char *k, size_t len)
{
    size_t old = c->where.len;
    if (plain_key(k, len)) {
        if (c->where.len)
            tf_buf_putc(&c->where, '.');
        tf_buf_append(&c->where, k, len);
    } else {
        tf_buf_puts(&c->where, "['");
        tf_buf_append(&c->where, k, len);
        tf_buf_puts(&c->where, "']");
    }
    return old;
}

size_t mf_push_idx(cc *c, size_t i)
{
    size_t old = c->where.len;
    tf_buf_printf(&c->where, "[%zu]", i);
    return old;
}

void mf_pop_key(cc *c, size_t old)
{
    c->where.len = old;
}

const char *mf_where_dup(cc *c)
{
    return tf_arena_strndup(c->a, c->where.p ? c->where.p : "", c->where.len);
}

bool mf_is_comment(tf_str k)
{
    return k.len >= 2 && k.p[0] == '/' && k.p[1] == '/';
}

/* Every key of obj must be one of names (or a "//" comment), once. */
bool mf_known_keys(cc *c, const tf_json *obj, const char *const *names, size_t n)
{
    for (size_t i = 0; i < obj->n; i++) {
        tf_str k = obj->keys[i];
        if (mf_is_comment(k))
            continue;
        bool ok = false;
        for (size_t j = 0; j < n && !ok; j++)
            ok = tf_str_eqc(k, names[j]);
        size_t old = mf_push_key(c, k.p, k.len);
        if (!ok) {
            tf_buf list = { 0 };
            for (size_t j = 0; j < n; j++)
                tf_buf_printf(&list, "%s%s", j ? ", " : "", names[j]);
            mf_cfail(c, "unknown key (expected one of: %s)", tf_buf_cstr(&list));
            tf_buf_free(&list);
            return false;
        }
        for (size_t j = 0; j < i; j++)
            if (tf_str_eq(obj->keys[j], k))
                return mf_cfail(c, "duplicate key");
        mf_pop_key(c, old);
    }
    return true;
}

static void pathvec_add(cc *c, pathvec *v, const mpath *p)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 16;
        const mpath **nv = tf_arena_alloc(c->a, cap * sizeof *nv);
        if (v->n)
            memcpy(nv, v->v, v->n * sizeof *nv);
        v->v = nv;
        v->cap = cap;
    }
    v->v[v->n++] = p;
}

static bool bad_path(cc *c, const char *s, size_t len, const char *why)
{
    return mf_cfail(c, "bad field path \"%.*s\": %s", (int)len, s, why);
}

/* tf_json_path syntax: a.b[2].c, a["x.y"], a['x'], [-1] from the end; a
 * leading "$" means the record root (inside events); "" or "." is the base
 * value itself. Keys point into s, which lives as long as the program. */
bool mf_compile_path(cc *c, const char *s, size_t len, mpath *out, bool track)
{
    mstep tmp[64];
    size_t n = 0, i = 0;
    memset(out, 0, sizeof *out);
    if (i < len && s[i] == '$') {
        out->root = true;
        i++;
    }
    if (i < len && s[i] == '.')
        i++;
    while (i < len) {
        if (n == TF_ARRAY_LEN(tmp))
            return bad_path(c, s, len, "more than 64 steps");
        mstep *st = &tmp[n++];
        memset(st, 0, sizeof *st);
        st->slot = -1;
        if (s[i] == '[') {
            i++;
            if (i < len && (s[i] == '"' || s[i] == '\'')) {
                char q = s[i++];
                size_t k = i;
                while (i < len && s[i] != q)
                    i++;
                if (i >= len)
                    return bad_path(c, s, len, "unterminated quoted key");
                if (i + 1 >= len || s[i + 1] != ']')
                    return bad_path(c, s, len, "expected \"]\" after a quoted key");
                st->key = s + k;
                st->len = i - k;
                i += 2;
            } else {
                bool neg = i < len && s[i] == '-';
                if (neg)
                    i++;
                long v = 0;
                size_t digits = 0;
                while (i < len && s[i] >= '0' && s[i] <= '9' && digits < 9) {
                    v = v * 10 + (s[i++] - '0');
                    digits++;
                }
                if (!digits || (i < len && s[i] >= '0' && s[i] <= '9'))
                    return bad_path(c, s, len, "expected an index (up to 9 digits) or a quoted key after \"[\"");
                if (i >= len || s[i] != ']')
                    return bad_path(c, s, len, "expected \"]\" after an index");
                st->index = true;
                st->idx = neg ? -v : v;
                i++;
            }
            if (i < len && s[i] != '.' && s[i] != '[')
                return bad_path(c, s, len, "expected \".\" or \"[\" after \"]\"");
        } else {
            size_t k = i;
            while (i < len && s[i] != '.' && s[i] != '[')
                i++;
            if (i == k)
                return bad_path(c, s, len, "empty key (quote keys like [\"a.b\"])");
            st->key = s + k;
            st->len = i - k;
        }
        if (i < len && s[i] == '.') {
            i++;
            if (i == len)
                return bad_path(c, s, len, "ends with \".\"");
        }
    }
    mstep *steps = tf_arena_alloc(c->a, (n ? n : 1) * sizeof *steps);
    memcpy(steps, tmp, n * sizeof *steps);
    out->steps = steps;
    out->n = n;
    out->src = tf_arena_strndup(c->a, s, len);
    if (track) {
        mpath *keep = tf_arena_alloc(c->a, sizeof *keep);
        *keep = *out;
        pathvec_add(c, out->root ? &c->root_used : c->used, keep);
    }
    return true;
}

/* "field": a path or an array of candidate paths. */
static bool compile_paths(cc *c, const tf_json *v, const mpath **out, size_t *n)
{
    if (v->type == TF_JSON_STRING) {
        mpath *p = tf_arena_alloc(c->a, sizeof *p);
        if (!mf_compile_path(c, v->str.p, v->str.len, p, true))
            return false;
        *out = p;
        *n = 1;
        return true;
    }
    if (v->type != TF_JSON_ARRAY || !v->n)
        return mf_cfail(c, "expected a field path or a non-empty array of field paths, got %s", mf_got(c, v));
    mpath *ps = tf_arena_alloc(c->a, v->n * sizeof *ps);
    for (size_t i = 0; i < v->n; i++) {
        size_t old = mf_push_idx(c, i);
        if (v->items[i]->type != TF_JSON_STRING)
            return mf_cfail(c, "expected a field path, got %s", mf_got(c, v->items[i]));
        if (!mf_compile_path(c, v->items[i]->str.p, v->items[i]->str.len, &ps[i], true))
            return false;
        mf_pop_key(c, old);
    }
    *out = ps;
    *n = v->n;
    return true;
}

static const tf_json *str_const(tf_arena *a, const char *p, size_t len)
{
    tf_json *n = tf_arena_calloc(a, sizeof *n);
    n->type = TF_JSON_STRING;
    n->str.p = tf_arena_strndup(a, p, len);
    n->str.len = len;
    return n;
}

/* Templates: literal text with {path} placeholders; {a|b} takes the first
 * present, {a|'text'} falls back to text; {{ and }} are literal braces. */
static bool compile_tmpl(cc *c, tf_str s, mtmpl *out, const tf_json **as_const)
{
    size_t cap = 8, n = 0;
    mseg *segs = tf_arena_calloc(c->a, cap * sizeof *segs);
    tf_buf lit = { 0 };
    bool ok = true;
    *as_const = NULL;
    for (size_t i = 0; i < s.len && ok;) {
        char ch = s.p[i];
        if (ch == '{' && i + 1 < s.len && s.p[i + 1] == '{') {
            tf_buf_putc(&lit, '{');
            i += 2;
        } else if (ch == '}') {
            if (i + 1 < s.len && s.p[i + 1] == '}') {
                tf_buf_putc(&lit, '}');
                i += 2;
            } else {
                ok = mf_cfail(c, "unmatched \"}\" in template \"%.*s\" (write \"}}\" for a brace)", (int)s.len, s.p);
            }
        } else if (ch != '{') {
            tf_buf_putc(&lit, ch);
            i++;
        } else {
            /* the placeholder's end, skipping quoted parts */
            size_t j = i + 1;
            char q = 0;
            for (; j < s.len; j++) {
                if (q) {
                    if (s.p[j] == q)
                        q = 0;
                } else if (s.p[j] == '\'' || s.p[j] == '"') {
                    q = s.p[j];
                } else if (s.p[j] == '}') {
                    break;
                }
            }
            if (j >= s.len) {
                ok = mf_cfail(c, "unterminated \"{\" in template \"%.*s\"", (int)s.len, s.p);
                break;
            }
            if (n + 2 > cap) {
                mseg *ns = tf_arena_calloc(c->a, cap * 2 * sizeof *ns);
                memcpy(ns, segs, n * sizeof *ns);
                segs = ns;
                cap *= 2;
            }
            if (lit.len) {
                segs[n++].lit = (tf_str){ tf_arena_strndup(c->a, lit.p, lit.len), lit.len };
                lit.len = 0;
            }
            mseg *sg = &segs[n++];
            /* candidates split on '|' outside quotes */
            mpath cand[16];
            size_t nc = 0;
            size_t k = i + 1;
            while (ok) {
                size_t e = k;
                q = 0;
                for (; e < j; e++) {
                    if (q) {
                        if (s.p[e] == q)
                            q = 0;
                    } else if (s.p[e] == '\'' || s.p[e] == '"') {
                        q = s.p[e];
                    } else if (s.p[e] == '|') {
                        break;
                    }
                }
                size_t b = k, z = e;
                while (b < z && (s.p[b] == ' ' || s.p[b] == '\t'))
                    b++;
                while (z > b && (s.p[z - 1] == ' ' || s.p[z - 1] == '\t'))
                    z--;
                if (b == z) {
                    ok = mf_cfail(c, "empty placeholder in template \"%.*s\"", (int)s.len, s.p);
                } else if (s.p[b] == '\'') {
                    if (z - b < 2 || s.p[z - 1] != '\'' || memchr(s.p + b + 1, '\'', z - b - 2))
                        ok = mf_cfail(c, "bad fallback %.*s in template \"%.*s\" (expected 'text')", (int)(z - b),
                                   s.p + b, (int)s.len, s.p);
                    else if (e < j)
                        ok = mf_cfail(c, "the quoted fallback must come last in \"{%.*s}\"", (int)(j - i - 1), s.p + i + 1);
                    else {
                        sg->has_fb = true;
                        sg->fb = (tf_str){ tf_arena_strndup(c->a, s.p + b + 1, z - b - 2), z - b - 2 };
                    }
                } else if (nc == TF_ARRAY_LEN(cand)) {
                    ok = mf_cfail(c, "more than 16 candidates in \"{%.*s}\"", (int)(j - i - 1), s.p + i + 1);
                } else {
                    ok = mf_compile_path(c, s.p + b, z - b, &cand[nc++], true);
                }
                if (e >= j)
                    break;
                k = e + 1;
            }
            if (ok && !nc)
                ok = mf_cfail(c, "placeholder \"{%.*s}\" names no field", (int)(j - i - 1), s.p + i + 1);
            if (ok) {
                mpath *ps = tf_arena_alloc(c->a, nc * sizeof *ps);
                memcpy(ps, cand, nc * sizeof *ps);
                sg->paths = ps;
                sg->npaths = nc;
            }
            i = j + 1;
        }
    }
    if (ok && n == 0) { /* no placeholder: a constant */
        *as_const = str_const(c->a, lit.p ? lit.p : "", lit.len);
    } else if (ok && lit.len) {
        if (n + 1 > cap) {
            mseg *ns = tf_arena_calloc(c->a, (cap + 1) * sizeof *ns);
            memcpy(ns, segs, n * sizeof *ns);
            segs = ns;
        }
        segs[n++].lit = (tf_str){ tf_arena_strndup(c->a, lit.p, lit.len), lit.len };
    }
    tf_buf_free(&lit);
    out->segs = segs;
    out->n = n;
    out->src = tf_arena_strndup(c->a, s.p, s.len);
    return ok;
}

bool mf_is_scalar(const tf_json *v)
{
    return v->type == TF_JSON_STRING || v->type == TF_JSON_NUMBER || v->type == TF_JSON_BOOL;
}

static bool compile_conds(cc *c, const tf_json *arr, mcond *out, enum cop op)
{
    if (arr->type != TF_JSON_ARRAY || !arr->n)
        return mf_cfail(c, "expected a non-empty array of conditions, got %s", mf_got(c, arr));
    mcond *subs = tf_arena_calloc(c->a, arr->n * sizeof *subs);
    for (size_t i = 0; i < arr->n; i++) {
        size_t old = mf_push_idx(c, i);
        if (!mf_compile_cond(c, arr->items[i], &subs[i]))
            return false;
        mf_pop_key(c, old);
    }
    out->op = op;
    out->subs = subs;
    out->nsubs = arr->n;
    return true;
}

static const char *const cond_expect =
    "expected a condition like {\"field\": \"status\", \">=\": 500} (or an array of them, all of "
    "which must hold, or {\"any\": [...]}, {\"all\": [...]}, {\"not\": {...}})";

bool mf_compile_cond(cc *c, const tf_json *v, mcond *out)
{
    memset(out, 0, sizeof *out);
    if (v->type == TF_JSON_ARRAY)
        return compile_conds(c, v, out, OP_ALL);
    if (v->type != TF_JSON_OBJECT)
        return mf_cfail(c, "%s, got %s", cond_expect, mf_got(c, v));
    static const char *const logic[] = { "all", "any", "not" };
    for (size_t i = 0; i < TF_ARRAY_LEN(logic); i++) {
        const tf_json *sub = tf_json_get(v, logic[i]);
        if (!sub)
            continue;
        if (!mf_known_keys(c, v, &logic[i], 1))
            return false;
        size_t old = mf_push_key(c, logic[i], strlen(logic[i]));
        bool ok;
        if (i == 2) {
            mcond *one = tf_arena_calloc(c->a, sizeof *one);
            ok = mf_compile_cond(c, sub, one);
            out->op = OP_NOT;
            out->subs = one;
            out->nsubs = 1;
        } else {
            ok = compile_conds(c, sub, out, i == 0 ? OP_ALL : OP_ANY);
        }
        mf_pop_key(c, old);
        return ok;
    }
    static const struct {
        const char *name;
        enum cop op;
    } ops[] = {
        { "==", OP_EQ },         { "!=", OP_NE },         { ">", OP_GT },       { ">=", OP_GE },
        { "<", OP_LT },          { "<=", OP_LE },         { "in", OP_IN },      { "exists", OP_EXISTS },
        { "prefix", OP_PREFIX }, { "suffix", OP_SUFFIX }, { "contains", OP_CONTAINS },
    };
    static const char *const keys[] = { "field", "==", "!=", ">", ">=", "<", "<=", "in", "exists",
                                        "prefix", "suffix", "contains" };
    if (!mf_known_keys(c, v, keys, TF_ARRAY_LEN(keys)))
        return false;
    const tf_json *field = tf_json_get(v, "field");
    if (!field)
        return mf_cfail(c, "%s: missing \"field\"", cond_expect);
    size_t old = mf_push_key(c, "field", 5);
    if (!compile_paths(c, field, &out->paths, &out->npaths))
        return false;
    mf_pop_key(c, old);
    const tf_json *arg = NULL;
    for (size_t i = 0; i < TF_ARRAY_LEN(ops); i++) {
        const tf_json *a = tf_json_get(v, ops[i].name);
        if (!a)
            continue;
        if (arg)
            return mf_cfail(c, "a condition has exactly one operator (==, !=, >, >=, <, <=, in, exists, "
                            "prefix, suffix or contains), got more");
        arg = a;
        out->op = ops[i].op;
        out->arg = a;
        old = mf_push_key(c, ops[i].name, strlen(ops[i].name));
        switch (ops[i].op) {
        case OP_EQ:
        case OP_NE:
            if (!mf_is_scalar(a) && a->type != TF_JSON_NULL)
                return mf_cfail(c, "expected a string, number, boolean or null, got %s", mf_got(c, a));
            break;
        case OP_GT:
        case OP_GE:
        case OP_LT:
        case OP_LE: {
            double d;
            if (a->type != TF_JSON_NUMBER || !tf_json_as_double(a, &d))
                return mf_cfail(c, "expected a number, got %s", mf_got(c, a));
            break;
        }
        case OP_IN:
            if (a->type != TF_JSON_ARRAY || !a->n)
                return mf_cfail(c, "expected a non-empty array of strings, numbers or booleans, got %s", mf_got(c, a));
            for (size_t k = 0; k < a->n; k++)
                if (!mf_is_scalar(a->items[k])) {
                    mf_push_idx(c, k);
                    return mf_cfail(c, "expected a string, number or boolean, got %s", mf_got(c, a->items[k]));
                }
            break;
        case OP_EXISTS:
            if (a->type != TF_JSON_BOOL)
                return mf_cfail(c, "expected true or false, got %s", mf_got(c, a));
            out->want = a->boolean;
            break;
        default:
            if (a->type != TF_JSON_STRING)
                return mf_cfail(c, "expected a string, got %s", mf_got(c, a));
            break;
        }
        mf_pop_key(c, old);
    }
    if (!arg)
        return mf_cfail(c, "missing the operator: one of ==, !=, >, >=, <, <=, in, exists, prefix, suffix, contains");
    return true;
}

const char *const mf_kind_names[] = { "unspecified", "internal", "server", "client", "producer", "consumer" };
const char *const mf_code_names[] = { "unset", "ok", "error" };

bool mf_ieq(tf_str a, const char *b)
{
    size_t n = strlen(b);
    if (a.len != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        char x = a.p[i];
        if (x >= 'A' && x <= 'Z')
            x = (char)(x - 'A' + 'a');
        if (x != b[i])
            return false;
    }
    return true;
}

/* "server", "SERVER", "SPAN_KIND_SERVER", 2 → 2; -1 when unknown. */
int mf_enum_from(const tf_json *v, const char *const *names, size_t n, const char *prefix)
{
    if (v->type == TF_JSON_NUMBER) {
        int64_t i;
        if (tf_json_as_int64(v, &i) && i >= 0 && (uint64_t)i < n)
            return (int)i;
        return -1;
    }
    if (v->type != TF_JSON_STRING)
        return -1;
    tf_str s = v->str;
    size_t pl = strlen(prefix);
    if (s.len > pl) {
        tf_str head = { s.p, pl };
        if (mf_ieq(head, prefix)) {
            s.p += pl;
            s.len -= pl;
        }
    }
    for (size_t i = 0; i < n; i++)
        if (mf_ieq(s, names[i]))
            return (int)i;
    return -1;
}

static bool check_enum(cc *c, const tf_json *v, enum slot sl)
{
    const char *const *names = sl == SL_KIND ? mf_kind_names : mf_code_names;
    size_t n = sl == SL_KIND ? TF_ARRAY_LEN(mf_kind_names) : TF_ARRAY_LEN(mf_code_names);
    if (mf_enum_from(v, names, n, sl == SL_KIND ? "span_kind_" : "status_code_") >= 0)
        return true;
    tf_buf list = { 0 };
    for (size_t i = 0; i < n; i++)
        tf_buf_printf(&list, "%s\"%s\"", i ? (i + 1 == n ? " or " : ", ") : "", names[i]);
    mf_cfail(c, "expected %s, got %s", tf_buf_cstr(&list), mf_got(c, v));
    tf_buf_free(&list);
    return false;
}

static const char *slot_expect(enum slot sl)
{
    switch (sl) {
    case SL_TEXT: return "a string or a template (or an object with \"template\", \"field\" or \"const\")";
    case SL_KIND: return "a span kind (\"server\", \"client\", ...) or an object with \"field\"";
    case SL_CODE: return "a status code (\"error\", \"ok\", \"unset\") or an object with \"field\"";
    case SL_TIME: return "a field path or an object with \"field\" (and \"format\" or \"unit\")";
    case SL_DUR: return "a field path or an object with \"field\" and \"unit\"";
    case SL_TRACE_ID:
    case SL_SPAN_ID: return "a field path or an object with \"field\" or \"derive\"";
    case SL_PART: return "a field path or an object with \"field\", \"const\" or \"template\"";
    case SL_VALUE: break;
    }
    return "a field path, a number, a boolean or an object with \"field\", \"const\" or \"template\"";
}

/* An optional "if" condition of object o (event and status rules). */
bool mf_compile_opt_if(cc *c, const tf_json *o, const mcond **when)
{
    const tf_json *w = tf_json_get(o, "if");
    if (!w)
        return true;
    size_t old = mf_push_key(c, "if", 2);
    mcond *mc = tf_arena_calloc(c->a, sizeof *mc);
    if (!mf_compile_cond(c, w, mc))
        return false;
    *when = mc;
    mf_pop_key(c, old);
    return true;
}

static bool compile_alt_obj(cc *c, const tf_json *v, enum slot sl, malt *al, mget *g)
{
    const char *keys[16];
    size_t nk = 0;
    static const char *const common[] = { "field", "const", "template", "if", "default", "required", "map" };
    for (size_t i = 0; i < TF_ARRAY_LEN(common); i++)
        keys[nk++] = common[i];
    if (sl == SL_VALUE) {
        keys[nk++] = "type";
        keys[nk++] = "private";
    }
    if (sl == SL_TIME) {
        keys[nk++] = "format";
        keys[nk++] = "unit";
    }
    if (sl == SL_DUR)
        keys[nk++] = "unit";
    if (sl == SL_TRACE_ID || sl == SL_SPAN_ID)
        keys[nk++] = "derive";
    if (!mf_known_keys(c, v, keys, nk))
        return false;

    const tf_json *src = NULL;
    const char *src_name = NULL;
    static const char *const sources[] = { "field", "const", "template", "derive" };
    for (size_t i = 0; i < TF_ARRAY_LEN(sources); i++) {
        const tf_json *x = tf_json_get(v, sources[i]);
        if (!x)
            continue;
        if (src)
            return mf_cfail(c, "\"%s\" and \"%s\" cannot be used together", src_name, sources[i]);
        src = x;
        src_name = sources[i];
    }
    if (!src)
        return mf_cfail(c, "expected %s, got an object without \"field\", \"const\" or \"template\"", slot_expect(sl));
    size_t old = mf_push_key(c, src_name, strlen(src_name));
    if (!strcmp(src_name, "field")) {
        al->kind = S_PATH;
        if (!compile_paths(c, src, &al->paths, &al->npaths))
            return false;
    } else if (!strcmp(src_name, "const")) {
        al->kind = S_CONST;
        al->cst = src;
        if (src->type == TF_JSON_NULL)
            return mf_cfail(c, "expected a constant, got null");
        if (sl == SL_TEXT && !mf_is_scalar(src))
            return mf_cfail(c, "expected a string, got %s", mf_got(c, src));
        if ((sl == SL_KIND || sl == SL_CODE) && !check_enum(c, src, sl))
            return false;
        if ((sl == SL_TIME || sl == SL_DUR || sl == SL_TRACE_ID || sl == SL_SPAN_ID || sl == SL_PART) &&
            !mf_is_scalar(src))
            return mf_cfail(c, "expected a string or a number, got %s", mf_got(c, src));
    } else if (!strcmp(src_name, "template")) {
        if (src->type != TF_JSON_STRING)
            return mf_cfail(c, "expected a template string, got %s", mf_got(c, src));
        mtmpl *t = tf_arena_calloc(c->a, sizeof *t);
        const tf_json *k;
        if (!compile_tmpl(c, src->str, t, &k))
            return false;
        al->kind = k ? S_CONST : S_TMPL;
        al->cst = k;
        al->tmpl = t;
    } else { /* derive */
        if (src->type != TF_JSON_ARRAY || !src->n || src->n > 16)
            return mf_cfail(c, "expected an array of 1 to 16 parts (field paths or {\"const\": ...}), got %s",
                         mf_got(c, src));
        mget *parts = tf_arena_calloc(c->a, src->n * sizeof *parts);
        for (size_t i = 0; i < src->n; i++) {
            size_t o2 = mf_push_idx(c, i);
            if (!mf_compile_get(c, src->items[i], SL_PART, &parts[i]))
                return false;
            mf_pop_key(c, o2);
        }
        al->kind = S_DERIVE;
        al->parts = parts;
        al->nparts = src->n;
    }
    mf_pop_key(c, old);

    for (size_t i = 0; i < v->n; i++) {
        tf_str k = v->keys[i];
        const tf_json *x = v->items[i];
        if (mf_is_comment(k))
            continue;
        old = mf_push_key(c, k.p, k.len);
        if (tf_str_eqc(k, "if")) {
            mcond *w = tf_arena_calloc(c->a, sizeof *w);
            if (!mf_compile_cond(c, x, w))
                return false;
            al->when = w;
        } else if (tf_str_eqc(k, "default")) {
            if (!mf_is_scalar(x))
                return mf_cfail(c, "expected a string, number or boolean, got %s", mf_got(c, x));
            if ((sl == SL_KIND || sl == SL_CODE) && !check_enum(c, x, sl))
                return false;
            al->deflt = x;
        } else if (tf_str_eqc(k, "required")) {
            if (x->type != TF_JSON_BOOL)
                return mf_cfail(c, "expected true or false, got %s", mf_got(c, x));
            g->required = g->required || x->boolean;
        } else if (tf_str_eqc(k, "private")) {
            if (x->type != TF_JSON_BOOL)
                return mf_cfail(c, "expected true or false, got %s", mf_got(c, x));
            g->private = g->private || x->boolean;
        } else if (tf_str_eqc(k, "map")) {
            if (x->type != TF_JSON_OBJECT || !x->n)
                return mf_cfail(c, "expected an object mapping values to replacements, got %s", mf_got(c, x));
            for (size_t j = 0; j < x->n; j++) {
                if (mf_is_comment(x->keys[j]))
                    continue;
                size_t o2 = mf_push_key(c, x->keys[j].p, x->keys[j].len);
                if (!mf_is_scalar(x->items[j]))
                    return mf_cfail(c, "expected a string, number or boolean, got %s", mf_got(c, x->items[j]));
                if ((sl == SL_KIND || sl == SL_CODE) && !check_enum(c, x->items[j], sl))
                    return false;
                mf_pop_key(c, o2);
            }
            al->map = x;
        } else if (tf_str_eqc(k, "type")) {
            static const char *const convs[] = { "auto", "string", "int", "double", "bool", "json" };
            size_t j = 0;
            while (x->type == TF_JSON_STRING && j < TF_ARRAY_LEN(convs) && !tf_str_eqc(x->str, convs[j]))
                j++;
            if (x->type != TF_JSON_STRING || j == TF_ARRAY_LEN(convs))
                return mf_cfail(c, "expected \"auto\", \"string\", \"int\", \"double\", \"bool\" or \"json\", got %s",
                             mf_got(c, x));
            al->conv = (enum conv)j;
        } else if (tf_str_eqc(k, "format")) {
            static const struct {
                const char *name;
                enum tfmt f;
            } fmts[] = { { "auto", TM_AUTO }, { "rfc3339", TM_RFC3339 }, { "iso8601", TM_RFC3339 },
                         { "clf", TM_CLF },   { "http", TM_HTTP },       { "epoch", TM_EPOCH } };
            bool ok = false;
            for (size_t j = 0; x->type == TF_JSON_STRING && j < TF_ARRAY_LEN(fmts) && !ok; j++)
                if (tf_str_eqc(x->str, fmts[j].name)) {
                    al->tfmt = fmts[j].f;
                    ok = true;
                }
            if (!ok && x->type == TF_JSON_STRING && memchr(x->str.p, '%', x->str.len)) {
                al->tfmt = TM_STRF;
                al->strf = x->str.p;
                ok = true;
            }
            if (!ok)
                return mf_cfail(c, "expected \"auto\", \"rfc3339\", \"clf\", \"http\", \"epoch\" or a strptime "
                                "format such as \"%%d/%%b/%%Y:%%H:%%M:%%S %%z\", got %s",
                             mf_got(c, x));
        } else if (tf_str_eqc(k, "unit")) {
            static const struct {
                const char *name;
                uint64_t ups;
            } units[] = { { "s", 1 }, { "ms", 1000 }, { "us", 1000000 }, { "ns", 1000000000 }, { "auto", 0 } };
            size_t nu = sl == SL_TIME ? 5 : 4;
            bool ok = false;
            for (size_t j = 0; x->type == TF_JSON_STRING && j < nu && !ok; j++)
                if (tf_str_eqc(x->str, units[j].name)) {
                    al->unit = units[j].ups;
                    ok = true;
                }
            if (!ok)
                return mf_cfail(c, "expected \"s\", \"ms\", \"us\"%s or \"ns\"%s, got %s", "",
                             sl == SL_TIME ? " (or \"auto\")" : "", mf_got(c, x));
        }
        mf_pop_key(c, old);
    }
    if (sl == SL_TIME && tf_json_get(v, "unit")) {
        const tf_json *f = tf_json_get(v, "format");
        if (!f)
            al->tfmt = TM_EPOCH;
        else if (al->tfmt != TM_EPOCH) {
            old = mf_push_key(c, "unit", 4);
            return mf_cfail(c, "\"unit\" only applies to \"format\": \"epoch\"");
        }
    }
    return true;
}

static bool compile_alt(cc *c, const tf_json *v, enum slot sl, malt *al, mget *g)
{
    memset(al, 0, sizeof *al);
    switch (v->type) {
    case TF_JSON_OBJECT: return compile_alt_obj(c, v, sl, al, g);
    case TF_JSON_STRING:
        if (sl == SL_TEXT) {
            mtmpl *t = tf_arena_calloc(c->a, sizeof *t);
            const tf_json *k;
            if (!compile_tmpl(c, v->str, t, &k))
                return false;
            al->kind = k ? S_CONST : S_TMPL;
            al->cst = k;
            al->tmpl = t;
            return true;
        }
        if (sl == SL_KIND || sl == SL_CODE) {
            al->kind = S_CONST;
            al->cst = v;
            return check_enum(c, v, sl);
        }
        al->kind = S_PATH;
        return compile_paths(c, v, &al->paths, &al->npaths);
    case TF_JSON_NUMBER:
    case TF_JSON_BOOL:
        if (sl == SL_VALUE || sl == SL_PART || (sl == SL_DUR && v->type == TF_JSON_NUMBER)) {
            al->kind = S_CONST;
            al->cst = v;
            return true;
        }
        if (sl == SL_KIND || sl == SL_CODE) {
            al->kind = S_CONST;
            al->cst = v;
            return check_enum(c, v, sl);
        }
        return mf_cfail(c, "expected %s, got %s", slot_expect(sl), mf_got(c, v));
    case TF_JSON_ARRAY: return mf_cfail(c, "alternatives cannot be nested, got an array inside an array");
    case TF_JSON_NULL: break;
    }
    return mf_cfail(c, "expected %s, got %s", slot_expect(sl), mf_got(c, v));
}

bool mf_compile_get(cc *c, const tf_json *v, enum slot sl, mget *g)
{
    memset(g, 0, sizeof *g);
    g->where = mf_where_dup(c);
    if (v->type != TF_JSON_ARRAY) {
        malt *al = tf_arena_alloc(c->a, sizeof *al);
        g->alts = al;
        g->n = 1;
        return compile_alt(c, v, sl, al, g);
    }
    if (!v->n)
        return mf_cfail(c, "expected %s or a non-empty array of alternatives, got an empty array", slot_expect(sl));
    malt *alts = tf_arena_alloc(c->a, v->n * sizeof *alts);
    for (size_t i = 0; i < v->n; i++) {
        size_t old = mf_push_idx(c, i);
        if (!compile_alt(c, v->items[i], sl, &alts[i], g))
            return false;
        mf_pop_key(c, old);
    }
    g->alts = alts;
    g->n = v->n;
    return true;
}

/* Compiles obj[key] into g when present; *has says whether it was. */
bool mf_opt_get(cc *c, const tf_json *obj, const char *key, enum slot sl, mget *g, bool *has)
{
    const tf_json *v = tf_json_get(obj, key);
    if (has)
        *has = v != NULL;
    if (!v)
        return true;
    size_t old = mf_push_key(c, key, strlen(key));
    bool ok = mf_compile_get(c, v, sl, g);
    mf_pop_key(c, old);
    return ok;
}
