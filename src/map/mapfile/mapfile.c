/* profile_map.c: a profile driven by a JSON mapping file (doc/mapping.md).
 *
 * Loading compiles the mapping into a program: every field path is split
 * into steps, every template into literal and placeholder segments, every
 * condition into a tree, the fields left for "remaining" into a trie, and
 * every top-level key the program reads gets a slot. Mapping a record
 * classifies its keys into those slots in one pass, then only walks the
 * program: no parsing, no malloc (strings, attributes and spans go into the
 * record's arena; resources are cached by value).
 *
 * Every slot of the span (name, times, ids, attributes...) is a "getter": a
 * list of alternatives tried in order, each one a field path (or several),
 * a constant, a template or (ids only) a derivation, with an optional
 * condition, default, value map and conversion. The first alternative that
 * yields a usable value wins. */
#include "config.h"
#include "map/mapfile/mapfile.h"
#include "common/ids.h"
#include "common/timefmt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the compiled program ------------------------------------------------ */

typedef struct {
    const char *key; /* key steps: not NUL-terminated */
    size_t len;
    long idx; /* index steps; negative counts from the end */
    bool index;
    int slot; /* first step of a path from the record: its top-level key's slot, else -1 */
} mstep;

typedef struct {
    mstep *steps;
    size_t n;
    bool root;       /* "$.a": from the record even inside an event */
    const char *src; /* as written, for messages */
} mpath;

typedef struct {
    tf_str lit;       /* a literal segment when npaths == 0 and !has_fb */
    mpath *paths;     /* a placeholder: candidates, first present wins */
    size_t npaths;
    bool has_fb;      /* a quoted fallback: {route|'-'} */
    tf_str fb;
} mseg;

typedef struct {
    const mseg *segs;
    size_t n;
    const char *src;
} mtmpl;

enum cop {
    OP_ALL, OP_ANY, OP_NOT, OP_EQ, OP_NE, OP_GT, OP_GE, OP_LT, OP_LE, OP_IN, OP_EXISTS,
    OP_PREFIX, OP_SUFFIX, OP_CONTAINS,
};

typedef struct mcond mcond;
struct mcond {
    enum cop op;
    const mpath *paths; /* leaf conditions: the field (candidates) */
    size_t npaths;
    const tf_json *arg; /* the constant compared with */
    bool want;          /* exists */
    const mcond *subs;  /* all/any/not */
    size_t nsubs;
};

enum src_kind { S_PATH, S_CONST, S_TMPL, S_DERIVE };
enum slot { SL_VALUE, SL_TEXT, SL_KIND, SL_CODE, SL_TIME, SL_DUR, SL_TRACE_ID, SL_SPAN_ID, SL_PART };
enum conv { C_AUTO, C_STRING, C_INT, C_DOUBLE, C_BOOL, C_JSON };
enum tfmt { TM_AUTO, TM_RFC3339, TM_CLF, TM_HTTP, TM_EPOCH, TM_STRF };

typedef struct mget mget;

typedef struct {
    enum src_kind kind;
    const mcond *when;
    const mpath *paths; /* S_PATH */
    size_t npaths;
    const tf_json *cst;  /* S_CONST */
    const mtmpl *tmpl;   /* S_TMPL */
    const mget *parts;   /* S_DERIVE */
    size_t nparts;
    const tf_json *deflt;
    const tf_json *map;  /* object: value text -> replacement */
    enum conv conv;
    enum tfmt tfmt;
    uint64_t unit; /* units per second; 0: auto (times) or none (durations) */
    const char *strf;
} malt;

struct mget {
    const malt *alts;
    size_t n;
    bool required, private;
    const char *where; /* "span.start", for reject reasons */
};

typedef struct {
    tf_str key;
    mget get;
} mattr;

typedef struct {
    mattr *v;
    size_t n;
    uint64_t lens; /* bit (len & 63) set for each name: a quick "not one of them" */
} mattrs;

typedef struct mtrie mtrie;
struct mtrie {
    const char *key;
    size_t len;
    bool leaf;
    mtrie *kids;
    size_t n, cap;
};

typedef struct {
    const mpath *from; /* NULL: the record (or the event element) itself */
    tf_str prefix;
    mtrie excl;
    const mtrie **slot_kid; /* span-level blocks without "from": excl's kid per key slot */
    bool flatten, private;
    const tf_json *raw; /* compiled after everything else */
    const char *where;
} mrest;

typedef struct {
    const mpath *from;
    const mcond *when;
    mget name;
    bool has_time, has_offset;
    mget time, offset;
    mattrs attrs;
    mrest *rest;
    size_t nrest;
    size_t max;
} mevent;

typedef struct {
    const mcond *when;
    mget code;
    bool has_msg;
    mget msg;
} mstatus;

typedef struct {
    uint64_t h;
    char *key;
    size_t len;
    const tf_resource *r;
} rcache_ent;

typedef struct {
    tf_profile base;
    tf_arena arena; /* the program; may be built on a worker thread */
    const char *file;
    const mcond *skip;
    const tf_json *nulls; /* "null_values": strings that mean "no value" */
    bool null_empty_object, null_empty_array;
    size_t null_maxlen;
    /* Top-level keys the program reads, classified in one pass per record:
     * ktab maps a key's hash to its slot; slotv holds this record's values. */
    const tf_str *slot_keys;
    size_t nslots;
    int16_t *ktab;
    size_t ktab_mask;
    const tf_json **slotv;
    int16_t *kcls;
    size_t kcls_cap;
    mget name, kind, start, end, dur, trace_id, span_id, parent, traceparent, trace_state;
    bool has_kind, has_start, has_end, has_dur, has_trace_id, has_span_id, has_parent,
        has_traceparent, has_trace_state;
    mstatus *status;
    size_t nstatus;
    mattrs attrs;
    mrest *rest;
    size_t nrest;
    mevent *events;
    size_t nevents;
    mattrs res;
    bool res_dynamic;
    const tf_resource *resource; /* when res is constant */
    const tf_scope *scope;
    uint64_t now_ns;
    size_t attr_hint;
    tf_buf tbuf, jbuf, rbuf; /* template, JSON text, resource key scratch */
    tf_buf dkey, dlast;      /* derivation keys: this one, the last one hashed */
    uint8_t dtrace[16], dspan[8];
    rcache_ent *cache;
    size_t cache_cap, cache_n;
} mp_profile;

/* ---- compiling ----------------------------------------------------------- */

typedef struct {
    const mpath **v;
    size_t n, cap;
} pathvec;

typedef struct {
    const char *file;
    tf_arena *a;
    char *err;
    tf_buf where;
    pathvec root_used; /* paths read from the record */
    pathvec *used;     /* where relative paths go (root_used, or an event's) */
} cc;

static bool cfail(cc *c, const char *fmt, ...) TF_PRINTF(2, 3);
static bool cfail(cc *c, const char *fmt, ...)
{
    if (c->err)
        return false;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (c->where.len)
        c->err = tf_xasprintf("%s: \"%.*s\": %s", c->file, (int)c->where.len, c->where.p, msg);
    else
        c->err = tf_xasprintf("%s: %s", c->file, msg);
    return false;
}

static const char *jtype(const tf_json *v)
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
static const char *got(cc *c, const tf_json *v)
{
    if (v->type != TF_JSON_STRING)
        return jtype(v);
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

static size_t push_key(cc *c, const char *k, size_t len)
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

static size_t push_idx(cc *c, size_t i)
{
    size_t old = c->where.len;
    tf_buf_printf(&c->where, "[%zu]", i);
    return old;
}

static void pop_key(cc *c, size_t old)
{
    c->where.len = old;
}

static const char *where_dup(cc *c)
{
    return tf_arena_strndup(c->a, c->where.p ? c->where.p : "", c->where.len);
}

static bool is_comment(tf_str k)
{
    return k.len >= 2 && k.p[0] == '/' && k.p[1] == '/';
}

/* Every key of obj must be one of names (or a "//" comment), once. */
static bool known_keys(cc *c, const tf_json *obj, const char *const *names, size_t n)
{
    for (size_t i = 0; i < obj->n; i++) {
        tf_str k = obj->keys[i];
        if (is_comment(k))
            continue;
        bool ok = false;
        for (size_t j = 0; j < n && !ok; j++)
            ok = tf_str_eqc(k, names[j]);
        size_t old = push_key(c, k.p, k.len);
        if (!ok) {
            tf_buf list = { 0 };
            for (size_t j = 0; j < n; j++)
                tf_buf_printf(&list, "%s%s", j ? ", " : "", names[j]);
            cfail(c, "unknown key (expected one of: %s)", tf_buf_cstr(&list));
            tf_buf_free(&list);
            return false;
        }
        for (size_t j = 0; j < i; j++)
            if (tf_str_eq(obj->keys[j], k))
                return cfail(c, "duplicate key");
        pop_key(c, old);
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
    return cfail(c, "bad field path \"%.*s\": %s", (int)len, s, why);
}

/* tf_json_path syntax: a.b[2].c, a["x.y"], a['x'], [-1] from the end; a
 * leading "$" means the record root (inside events); "" or "." is the base
 * value itself. Keys point into s, which lives as long as the program. */
static bool compile_path(cc *c, const char *s, size_t len, mpath *out, bool track)
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
        if (!compile_path(c, v->str.p, v->str.len, p, true))
            return false;
        *out = p;
        *n = 1;
        return true;
    }
    if (v->type != TF_JSON_ARRAY || !v->n)
        return cfail(c, "expected a field path or a non-empty array of field paths, got %s", got(c, v));
    mpath *ps = tf_arena_alloc(c->a, v->n * sizeof *ps);
    for (size_t i = 0; i < v->n; i++) {
        size_t old = push_idx(c, i);
        if (v->items[i]->type != TF_JSON_STRING)
            return cfail(c, "expected a field path, got %s", got(c, v->items[i]));
        if (!compile_path(c, v->items[i]->str.p, v->items[i]->str.len, &ps[i], true))
            return false;
        pop_key(c, old);
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
                ok = cfail(c, "unmatched \"}\" in template \"%.*s\" (write \"}}\" for a brace)", (int)s.len, s.p);
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
                ok = cfail(c, "unterminated \"{\" in template \"%.*s\"", (int)s.len, s.p);
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
                    ok = cfail(c, "empty placeholder in template \"%.*s\"", (int)s.len, s.p);
                } else if (s.p[b] == '\'') {
                    if (z - b < 2 || s.p[z - 1] != '\'' || memchr(s.p + b + 1, '\'', z - b - 2))
                        ok = cfail(c, "bad fallback %.*s in template \"%.*s\" (expected 'text')", (int)(z - b),
                                   s.p + b, (int)s.len, s.p);
                    else if (e < j)
                        ok = cfail(c, "the quoted fallback must come last in \"{%.*s}\"", (int)(j - i - 1), s.p + i + 1);
                    else {
                        sg->has_fb = true;
                        sg->fb = (tf_str){ tf_arena_strndup(c->a, s.p + b + 1, z - b - 2), z - b - 2 };
                    }
                } else if (nc == TF_ARRAY_LEN(cand)) {
                    ok = cfail(c, "more than 16 candidates in \"{%.*s}\"", (int)(j - i - 1), s.p + i + 1);
                } else {
                    ok = compile_path(c, s.p + b, z - b, &cand[nc++], true);
                }
                if (e >= j)
                    break;
                k = e + 1;
            }
            if (ok && !nc)
                ok = cfail(c, "placeholder \"{%.*s}\" names no field", (int)(j - i - 1), s.p + i + 1);
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

static bool is_scalar(const tf_json *v)
{
    return v->type == TF_JSON_STRING || v->type == TF_JSON_NUMBER || v->type == TF_JSON_BOOL;
}

static bool compile_cond(cc *c, const tf_json *v, mcond *out);

static bool compile_conds(cc *c, const tf_json *arr, mcond *out, enum cop op)
{
    if (arr->type != TF_JSON_ARRAY || !arr->n)
        return cfail(c, "expected a non-empty array of conditions, got %s", got(c, arr));
    mcond *subs = tf_arena_calloc(c->a, arr->n * sizeof *subs);
    for (size_t i = 0; i < arr->n; i++) {
        size_t old = push_idx(c, i);
        if (!compile_cond(c, arr->items[i], &subs[i]))
            return false;
        pop_key(c, old);
    }
    out->op = op;
    out->subs = subs;
    out->nsubs = arr->n;
    return true;
}

static const char *const cond_expect =
    "expected a condition like {\"field\": \"status\", \">=\": 500} (or an array of them, all of "
    "which must hold, or {\"any\": [...]}, {\"all\": [...]}, {\"not\": {...}})";

static bool compile_cond(cc *c, const tf_json *v, mcond *out)
{
    memset(out, 0, sizeof *out);
    if (v->type == TF_JSON_ARRAY)
        return compile_conds(c, v, out, OP_ALL);
    if (v->type != TF_JSON_OBJECT)
        return cfail(c, "%s, got %s", cond_expect, got(c, v));
    static const char *const logic[] = { "all", "any", "not" };
    for (size_t i = 0; i < TF_ARRAY_LEN(logic); i++) {
        const tf_json *sub = tf_json_get(v, logic[i]);
        if (!sub)
            continue;
        if (!known_keys(c, v, &logic[i], 1))
            return false;
        size_t old = push_key(c, logic[i], strlen(logic[i]));
        bool ok;
        if (i == 2) {
            mcond *one = tf_arena_calloc(c->a, sizeof *one);
            ok = compile_cond(c, sub, one);
            out->op = OP_NOT;
            out->subs = one;
            out->nsubs = 1;
        } else {
            ok = compile_conds(c, sub, out, i == 0 ? OP_ALL : OP_ANY);
        }
        pop_key(c, old);
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
    if (!known_keys(c, v, keys, TF_ARRAY_LEN(keys)))
        return false;
    const tf_json *field = tf_json_get(v, "field");
    if (!field)
        return cfail(c, "%s: missing \"field\"", cond_expect);
    size_t old = push_key(c, "field", 5);
    if (!compile_paths(c, field, &out->paths, &out->npaths))
        return false;
    pop_key(c, old);
    const tf_json *arg = NULL;
    for (size_t i = 0; i < TF_ARRAY_LEN(ops); i++) {
        const tf_json *a = tf_json_get(v, ops[i].name);
        if (!a)
            continue;
        if (arg)
            return cfail(c, "a condition has exactly one operator (==, !=, >, >=, <, <=, in, exists, "
                            "prefix, suffix or contains), got more");
        arg = a;
        out->op = ops[i].op;
        out->arg = a;
        old = push_key(c, ops[i].name, strlen(ops[i].name));
        switch (ops[i].op) {
        case OP_EQ:
        case OP_NE:
            if (!is_scalar(a) && a->type != TF_JSON_NULL)
                return cfail(c, "expected a string, number, boolean or null, got %s", got(c, a));
            break;
        case OP_GT:
        case OP_GE:
        case OP_LT:
        case OP_LE: {
            double d;
            if (a->type != TF_JSON_NUMBER || !tf_json_as_double(a, &d))
                return cfail(c, "expected a number, got %s", got(c, a));
            break;
        }
        case OP_IN:
            if (a->type != TF_JSON_ARRAY || !a->n)
                return cfail(c, "expected a non-empty array of strings, numbers or booleans, got %s", got(c, a));
            for (size_t k = 0; k < a->n; k++)
                if (!is_scalar(a->items[k])) {
                    push_idx(c, k);
                    return cfail(c, "expected a string, number or boolean, got %s", got(c, a->items[k]));
                }
            break;
        case OP_EXISTS:
            if (a->type != TF_JSON_BOOL)
                return cfail(c, "expected true or false, got %s", got(c, a));
            out->want = a->boolean;
            break;
        default:
            if (a->type != TF_JSON_STRING)
                return cfail(c, "expected a string, got %s", got(c, a));
            break;
        }
        pop_key(c, old);
    }
    if (!arg)
        return cfail(c, "missing the operator: one of ==, !=, >, >=, <, <=, in, exists, prefix, suffix, contains");
    return true;
}

static const char *const kind_names[] = { "unspecified", "internal", "server", "client", "producer", "consumer" };
static const char *const code_names[] = { "unset", "ok", "error" };

static bool ieq(tf_str a, const char *b)
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
static int enum_from(const tf_json *v, const char *const *names, size_t n, const char *prefix)
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
        if (ieq(head, prefix)) {
            s.p += pl;
            s.len -= pl;
        }
    }
    for (size_t i = 0; i < n; i++)
        if (ieq(s, names[i]))
            return (int)i;
    return -1;
}

static bool check_enum(cc *c, const tf_json *v, enum slot sl)
{
    const char *const *names = sl == SL_KIND ? kind_names : code_names;
    size_t n = sl == SL_KIND ? TF_ARRAY_LEN(kind_names) : TF_ARRAY_LEN(code_names);
    if (enum_from(v, names, n, sl == SL_KIND ? "span_kind_" : "status_code_") >= 0)
        return true;
    tf_buf list = { 0 };
    for (size_t i = 0; i < n; i++)
        tf_buf_printf(&list, "%s\"%s\"", i ? (i + 1 == n ? " or " : ", ") : "", names[i]);
    cfail(c, "expected %s, got %s", tf_buf_cstr(&list), got(c, v));
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
static bool compile_opt_if(cc *c, const tf_json *o, const mcond **when)
{
    const tf_json *w = tf_json_get(o, "if");
    if (!w)
        return true;
    size_t old = push_key(c, "if", 2);
    mcond *mc = tf_arena_calloc(c->a, sizeof *mc);
    if (!compile_cond(c, w, mc))
        return false;
    *when = mc;
    pop_key(c, old);
    return true;
}

static bool compile_get(cc *c, const tf_json *v, enum slot sl, mget *g);

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
    if (!known_keys(c, v, keys, nk))
        return false;

    const tf_json *src = NULL;
    const char *src_name = NULL;
    static const char *const sources[] = { "field", "const", "template", "derive" };
    for (size_t i = 0; i < TF_ARRAY_LEN(sources); i++) {
        const tf_json *x = tf_json_get(v, sources[i]);
        if (!x)
            continue;
        if (src)
            return cfail(c, "\"%s\" and \"%s\" cannot be used together", src_name, sources[i]);
        src = x;
        src_name = sources[i];
    }
    if (!src)
        return cfail(c, "expected %s, got an object without \"field\", \"const\" or \"template\"", slot_expect(sl));
    size_t old = push_key(c, src_name, strlen(src_name));
    if (!strcmp(src_name, "field")) {
        al->kind = S_PATH;
        if (!compile_paths(c, src, &al->paths, &al->npaths))
            return false;
    } else if (!strcmp(src_name, "const")) {
        al->kind = S_CONST;
        al->cst = src;
        if (src->type == TF_JSON_NULL)
            return cfail(c, "expected a constant, got null");
        if (sl == SL_TEXT && !is_scalar(src))
            return cfail(c, "expected a string, got %s", got(c, src));
        if ((sl == SL_KIND || sl == SL_CODE) && !check_enum(c, src, sl))
            return false;
        if ((sl == SL_TIME || sl == SL_DUR || sl == SL_TRACE_ID || sl == SL_SPAN_ID || sl == SL_PART) &&
            !is_scalar(src))
            return cfail(c, "expected a string or a number, got %s", got(c, src));
    } else if (!strcmp(src_name, "template")) {
        if (src->type != TF_JSON_STRING)
            return cfail(c, "expected a template string, got %s", got(c, src));
        mtmpl *t = tf_arena_calloc(c->a, sizeof *t);
        const tf_json *k;
        if (!compile_tmpl(c, src->str, t, &k))
            return false;
        al->kind = k ? S_CONST : S_TMPL;
        al->cst = k;
        al->tmpl = t;
    } else { /* derive */
        if (src->type != TF_JSON_ARRAY || !src->n || src->n > 16)
            return cfail(c, "expected an array of 1 to 16 parts (field paths or {\"const\": ...}), got %s",
                         got(c, src));
        mget *parts = tf_arena_calloc(c->a, src->n * sizeof *parts);
        for (size_t i = 0; i < src->n; i++) {
            size_t o2 = push_idx(c, i);
            if (!compile_get(c, src->items[i], SL_PART, &parts[i]))
                return false;
            pop_key(c, o2);
        }
        al->kind = S_DERIVE;
        al->parts = parts;
        al->nparts = src->n;
    }
    pop_key(c, old);

    for (size_t i = 0; i < v->n; i++) {
        tf_str k = v->keys[i];
        const tf_json *x = v->items[i];
        if (is_comment(k))
            continue;
        old = push_key(c, k.p, k.len);
        if (tf_str_eqc(k, "if")) {
            mcond *w = tf_arena_calloc(c->a, sizeof *w);
            if (!compile_cond(c, x, w))
                return false;
            al->when = w;
        } else if (tf_str_eqc(k, "default")) {
            if (!is_scalar(x))
                return cfail(c, "expected a string, number or boolean, got %s", got(c, x));
            if ((sl == SL_KIND || sl == SL_CODE) && !check_enum(c, x, sl))
                return false;
            al->deflt = x;
        } else if (tf_str_eqc(k, "required")) {
            if (x->type != TF_JSON_BOOL)
                return cfail(c, "expected true or false, got %s", got(c, x));
            g->required = g->required || x->boolean;
        } else if (tf_str_eqc(k, "private")) {
            if (x->type != TF_JSON_BOOL)
                return cfail(c, "expected true or false, got %s", got(c, x));
            g->private = g->private || x->boolean;
        } else if (tf_str_eqc(k, "map")) {
            if (x->type != TF_JSON_OBJECT || !x->n)
                return cfail(c, "expected an object mapping values to replacements, got %s", got(c, x));
            for (size_t j = 0; j < x->n; j++) {
                if (is_comment(x->keys[j]))
                    continue;
                size_t o2 = push_key(c, x->keys[j].p, x->keys[j].len);
                if (!is_scalar(x->items[j]))
                    return cfail(c, "expected a string, number or boolean, got %s", got(c, x->items[j]));
                if ((sl == SL_KIND || sl == SL_CODE) && !check_enum(c, x->items[j], sl))
                    return false;
                pop_key(c, o2);
            }
            al->map = x;
        } else if (tf_str_eqc(k, "type")) {
            static const char *const convs[] = { "auto", "string", "int", "double", "bool", "json" };
            size_t j = 0;
            while (x->type == TF_JSON_STRING && j < TF_ARRAY_LEN(convs) && !tf_str_eqc(x->str, convs[j]))
                j++;
            if (x->type != TF_JSON_STRING || j == TF_ARRAY_LEN(convs))
                return cfail(c, "expected \"auto\", \"string\", \"int\", \"double\", \"bool\" or \"json\", got %s",
                             got(c, x));
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
                return cfail(c, "expected \"auto\", \"rfc3339\", \"clf\", \"http\", \"epoch\" or a strptime "
                                "format such as \"%%d/%%b/%%Y:%%H:%%M:%%S %%z\", got %s",
                             got(c, x));
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
                return cfail(c, "expected \"s\", \"ms\", \"us\"%s or \"ns\"%s, got %s", "",
                             sl == SL_TIME ? " (or \"auto\")" : "", got(c, x));
        }
        pop_key(c, old);
    }
    if (sl == SL_TIME && tf_json_get(v, "unit")) {
        const tf_json *f = tf_json_get(v, "format");
        if (!f)
            al->tfmt = TM_EPOCH;
        else if (al->tfmt != TM_EPOCH) {
            old = push_key(c, "unit", 4);
            return cfail(c, "\"unit\" only applies to \"format\": \"epoch\"");
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
        return cfail(c, "expected %s, got %s", slot_expect(sl), got(c, v));
    case TF_JSON_ARRAY: return cfail(c, "alternatives cannot be nested, got an array inside an array");
    case TF_JSON_NULL: break;
    }
    return cfail(c, "expected %s, got %s", slot_expect(sl), got(c, v));
}

static bool compile_get(cc *c, const tf_json *v, enum slot sl, mget *g)
{
    memset(g, 0, sizeof *g);
    g->where = where_dup(c);
    if (v->type != TF_JSON_ARRAY) {
        malt *al = tf_arena_alloc(c->a, sizeof *al);
        g->alts = al;
        g->n = 1;
        return compile_alt(c, v, sl, al, g);
    }
    if (!v->n)
        return cfail(c, "expected %s or a non-empty array of alternatives, got an empty array", slot_expect(sl));
    malt *alts = tf_arena_alloc(c->a, v->n * sizeof *alts);
    for (size_t i = 0; i < v->n; i++) {
        size_t old = push_idx(c, i);
        if (!compile_alt(c, v->items[i], sl, &alts[i], g))
            return false;
        pop_key(c, old);
    }
    g->alts = alts;
    g->n = v->n;
    return true;
}

/* Compiles obj[key] into g when present; *has says whether it was. */
static bool opt_get(cc *c, const tf_json *obj, const char *key, enum slot sl, mget *g, bool *has)
{
    const tf_json *v = tf_json_get(obj, key);
    if (has)
        *has = v != NULL;
    if (!v)
        return true;
    size_t old = push_key(c, key, strlen(key));
    bool ok = compile_get(c, v, sl, g);
    pop_key(c, old);
    return ok;
}

static bool compile_attrs(cc *c, const tf_json *obj, mattrs *out)
{
    if (obj->type != TF_JSON_OBJECT)
        return cfail(c, "expected an object of attribute name: value spec, got %s", got(c, obj));
    out->v = tf_arena_calloc(c->a, (obj->n ? obj->n : 1) * sizeof *out->v);
    out->n = 0;
    for (size_t i = 0; i < obj->n; i++) {
        tf_str k = obj->keys[i];
        if (is_comment(k))
            continue;
        size_t old = push_key(c, k.p, k.len);
        if (!k.len)
            return cfail(c, "an attribute name cannot be empty");
        for (size_t j = 0; j < i; j++)
            if (tf_str_eq(obj->keys[j], k))
                return cfail(c, "duplicate attribute");
        mattr *m = &out->v[out->n++];
        m->key = k;
        out->lens |= (uint64_t)1 << (k.len & 63);
        if (!compile_get(c, obj->items[i], SL_VALUE, &m->get))
            return false;
        pop_key(c, old);
    }
    return true;
}

/* "remaining": its "from" is compiled now (so other blocks skip that object);
 * the exclusion trie later, once every path the mapping reads is known. */
static bool pre_rest(cc *c, const tf_json *v, mrest **out, size_t *n)
{
    size_t cnt = v->type == TF_JSON_ARRAY ? v->n : 1;
    if (v->type != TF_JSON_ARRAY && v->type != TF_JSON_OBJECT)
        return cfail(c, "expected an object like {\"prefix\": \"app.\"} or an array of them, got %s", got(c, v));
    mrest *r = tf_arena_calloc(c->a, (cnt ? cnt : 1) * sizeof *r);
    for (size_t i = 0; i < cnt; i++) {
        const tf_json *o = v->type == TF_JSON_ARRAY ? v->items[i] : v;
        size_t old = v->type == TF_JSON_ARRAY ? push_idx(c, i) : c->where.len;
        if (o->type != TF_JSON_OBJECT)
            return cfail(c, "expected an object like {\"prefix\": \"app.\"}, got %s", got(c, o));
        static const char *const keys[] = { "prefix", "from", "exclude", "flatten", "private" };
        if (!known_keys(c, o, keys, TF_ARRAY_LEN(keys)))
            return false;
        r[i].raw = o;
        r[i].where = where_dup(c);
        r[i].flatten = true;
        r[i].prefix = TF_STR("");
        for (size_t k = 0; k < o->n; k++) {
            tf_str key = o->keys[k];
            const tf_json *x = o->items[k];
            if (is_comment(key))
                continue;
            size_t o2 = push_key(c, key.p, key.len);
            if (tf_str_eqc(key, "prefix")) {
                if (x->type != TF_JSON_STRING)
                    return cfail(c, "expected a string, got %s", got(c, x));
                r[i].prefix = x->str;
            } else if (tf_str_eqc(key, "from")) {
                if (x->type != TF_JSON_STRING)
                    return cfail(c, "expected a field path, got %s", got(c, x));
                mpath *p = tf_arena_alloc(c->a, sizeof *p);
                if (!compile_path(c, x->str.p, x->str.len, p, true))
                    return false;
                r[i].from = p;
            } else if (tf_str_eqc(key, "flatten") || tf_str_eqc(key, "private")) {
                if (x->type != TF_JSON_BOOL)
                    return cfail(c, "expected true or false, got %s", got(c, x));
                if (tf_str_eqc(key, "flatten"))
                    r[i].flatten = x->boolean;
                else
                    r[i].private = x->boolean;
            } else if (tf_str_eqc(key, "exclude")) {
                if (x->type != TF_JSON_ARRAY)
                    return cfail(c, "expected an array of field paths, got %s", got(c, x));
                for (size_t j = 0; j < x->n; j++)
                    if (x->items[j]->type != TF_JSON_STRING) {
                        push_idx(c, j);
                        return cfail(c, "expected a field path, got %s", got(c, x->items[j]));
                    }
            }
            pop_key(c, o2);
        }
        pop_key(c, old);
    }
    *out = r;
    *n = cnt;
    return true;
}

static mtrie *trie_kid(cc *c, mtrie *t, const char *k, size_t len)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->kids[i].len == len && !memcmp(t->kids[i].key, k, len))
            return &t->kids[i];
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 8;
        mtrie *nk = tf_arena_calloc(c->a, cap * sizeof *nk);
        if (t->n)
            memcpy(nk, t->kids, t->n * sizeof *nk);
        t->kids = nk;
        t->cap = cap;
    }
    mtrie *kid = &t->kids[t->n++];
    memset(kid, 0, sizeof *kid);
    kid->key = k;
    kid->len = len;
    return kid;
}

static bool step_eq(const mstep *a, const mstep *b)
{
    if (a->index != b->index)
        return false;
    return a->index ? a->idx == b->idx : a->len == b->len && !memcmp(a->key, b->key, a->len);
}

/* Marks path p (steps from `skip` on) as excluded; stops at an index step
 * (remaining never looks inside arrays). */
static void trie_add(cc *c, mtrie *t, const mpath *p, size_t skip)
{
    for (size_t i = skip; i < p->n; i++) {
        if (p->steps[i].index)
            return;
        t = trie_kid(c, t, p->steps[i].key, p->steps[i].len);
    }
    t->leaf = true;
}

static bool finish_rest(cc *c, mrest *r, const pathvec *used)
{
    size_t fn = r->from ? r->from->n : 0;
    for (size_t i = 0; i < used->n; i++) {
        const mpath *u = used->v[i];
        if (r->from && u->n == r->from->n && u->src == r->from->src)
            continue; /* its own "from" */
        bool under = true;
        size_t k;
        for (k = 0; k < fn && k < u->n && under; k++)
            under = step_eq(&u->steps[k], &r->from->steps[k]);
        if (under)
            trie_add(c, &r->excl, u, k);
    }
    const tf_json *ex = tf_json_get(r->raw, "exclude");
    if (!ex)
        return true;
    const char *saved = where_dup(c);
    c->where.len = 0;
    tf_buf_puts(&c->where, r->where);
    push_key(c, "exclude", 7);
    size_t base = c->where.len;
    for (size_t j = 0; j < ex->n; j++) {
        push_idx(c, j);
        mpath p;
        if (!compile_path(c, ex->items[j]->str.p, ex->items[j]->str.len, &p, false))
            return false;
        pop_key(c, base);
        trie_add(c, &r->excl, &p, 0);
    }
    c->where.len = 0;
    tf_buf_puts(&c->where, saved);
    return true;
}

static bool compile_events(cc *c, mp_profile *p, const tf_json *v)
{
    size_t cnt = v->type == TF_JSON_ARRAY ? v->n : 1;
    if (v->type != TF_JSON_ARRAY && v->type != TF_JSON_OBJECT)
        return cfail(c, "expected an event spec (an object with \"name\") or an array of them, got %s", got(c, v));
    p->events = tf_arena_calloc(c->a, (cnt ? cnt : 1) * sizeof *p->events);
    p->nevents = cnt;
    pathvec *saved = c->used;
    for (size_t i = 0; i < cnt; i++) {
        const tf_json *o = v->type == TF_JSON_ARRAY ? v->items[i] : v;
        size_t old = v->type == TF_JSON_ARRAY ? push_idx(c, i) : c->where.len;
        mevent *e = &p->events[i];
        if (o->type != TF_JSON_OBJECT)
            return cfail(c, "expected an event spec (an object with \"name\"), got %s", got(c, o));
        static const char *const keys[] = { "from", "if", "name", "time", "offset", "attributes", "remaining", "max" };
        if (!known_keys(c, o, keys, TF_ARRAY_LEN(keys)))
            return false;
        pathvec *ev_used = tf_arena_calloc(c->a, sizeof *ev_used);
        const tf_json *from = tf_json_get(o, "from");
        if (from) {
            size_t o2 = push_key(c, "from", 4);
            if (from->type != TF_JSON_STRING)
                return cfail(c, "expected a field path (an array of events, or one object), got %s", got(c, from));
            mpath *fp = tf_arena_alloc(c->a, sizeof *fp);
            c->used = saved;
            if (!compile_path(c, from->str.p, from->str.len, fp, true))
                return false;
            e->from = fp;
            pop_key(c, o2);
            c->used = ev_used; /* paths below are relative to each element */
        }
        if (!compile_opt_if(c, o, &e->when))
            return false;
        bool has_name;
        if (!opt_get(c, o, "name", SL_TEXT, &e->name, &has_name))
            return false;
        if (!has_name) {
            size_t o2 = push_key(c, "name", 4);
            cfail(c, "missing (expected a string or a template for the event's name)");
            pop_key(c, o2);
            return false;
        }
        if (!opt_get(c, o, "time", SL_TIME, &e->time, &e->has_time) ||
            !opt_get(c, o, "offset", SL_DUR, &e->offset, &e->has_offset))
            return false;
        if (e->has_time && e->has_offset)
            return cfail(c, "\"time\" and \"offset\" cannot be used together");
        const tf_json *at = tf_json_get(o, "attributes");
        if (at) {
            size_t o2 = push_key(c, "attributes", 10);
            if (!compile_attrs(c, at, &e->attrs))
                return false;
            pop_key(c, o2);
        }
        e->max = 128;
        const tf_json *mx = tf_json_get(o, "max");
        if (mx) {
            int64_t m;
            size_t o2 = push_key(c, "max", 3);
            if (!tf_json_is_integral(mx) || !tf_json_as_int64(mx, &m) || m < 0 || m > 1000000)
                return cfail(c, "expected a whole number from 0 to 1000000, got %s", got(c, mx));
            e->max = (size_t)m;
            pop_key(c, o2);
        }
        const tf_json *rest = tf_json_get(o, "remaining");
        if (rest) {
            size_t o2 = push_key(c, "remaining", 9);
            if (!pre_rest(c, rest, &e->rest, &e->nrest))
                return false;
            for (size_t k = 0; k < e->nrest; k++)
                if (!finish_rest(c, &e->rest[k], from ? ev_used : &c->root_used))
                    return false;
            pop_key(c, o2);
        }
        c->used = saved;
        pop_key(c, old);
    }
    return true;
}

static bool compile_status(cc *c, mp_profile *p, const tf_json *v)
{
    size_t cnt = v->type == TF_JSON_ARRAY ? v->n : 1;
    if (v->type != TF_JSON_ARRAY && v->type != TF_JSON_OBJECT)
        return cfail(c, "expected a status rule like {\"if\": {\"field\": \"status\", \">=\": 500}, \"code\": "
                        "\"error\"} or an array of them, got %s",
                     got(c, v));
    p->status = tf_arena_calloc(c->a, (cnt ? cnt : 1) * sizeof *p->status);
    p->nstatus = cnt;
    for (size_t i = 0; i < cnt; i++) {
        const tf_json *o = v->type == TF_JSON_ARRAY ? v->items[i] : v;
        size_t old = v->type == TF_JSON_ARRAY ? push_idx(c, i) : c->where.len;
        if (o->type != TF_JSON_OBJECT)
            return cfail(c, "expected a status rule (an object with \"code\"), got %s", got(c, o));
        static const char *const keys[] = { "if", "code", "message" };
        if (!known_keys(c, o, keys, TF_ARRAY_LEN(keys)))
            return false;
        mstatus *s = &p->status[i];
        if (!compile_opt_if(c, o, &s->when))
            return false;
        bool has_code;
        if (!opt_get(c, o, "code", SL_CODE, &s->code, &has_code) ||
            !opt_get(c, o, "message", SL_TEXT, &s->msg, &s->has_msg))
            return false;
        if (!has_code) {
            size_t o2 = push_key(c, "code", 4);
            cfail(c, "missing (expected \"error\", \"ok\" or \"unset\")");
            pop_key(c, o2);
            return false;
        }
        pop_key(c, old);
    }
    return true;
}

static bool all_const(const mattrs *a)
{
    for (size_t i = 0; i < a->n; i++)
        for (size_t j = 0; j < a->v[i].get.n; j++) {
            const malt *al = &a->v[i].get.alts[j];
            if (al->kind != S_CONST || al->when)
                return false;
        }
    return true;
}

static const tf_scope *compile_scope(cc *c, const tf_map_env *env, const tf_json *v)
{
    if (v->type != TF_JSON_OBJECT) {
        cfail(c, "expected an object with \"name\" (and \"version\", \"attributes\"), got %s", got(c, v));
        return NULL;
    }
    static const char *const keys[] = { "name", "version", "attributes" };
    if (!known_keys(c, v, keys, TF_ARRAY_LEN(keys)))
        return NULL;
    tf_str sv[2] = { TF_STR(""), TF_STR("") };
    for (int i = 0; i < 2; i++) {
        const tf_json *x = tf_json_get(v, keys[i]);
        if (!x)
            continue;
        size_t old = push_key(c, keys[i], strlen(keys[i]));
        if (x->type != TF_JSON_STRING) {
            cfail(c, "expected a string, got %s", got(c, x));
            return NULL;
        }
        sv[i] = x->str;
        pop_key(c, old);
    }
    if (!tf_json_get(v, "name")) {
        size_t old = push_key(c, "name", 4);
        cfail(c, "missing (expected the instrumentation scope's name)");
        pop_key(c, old);
        return NULL;
    }
    tf_attrs attrs = { 0 };
    const tf_json *at = tf_json_get(v, "attributes");
    if (at) {
        size_t old = push_key(c, "attributes", 10);
        if (at->type != TF_JSON_OBJECT) {
            cfail(c, "expected an object of constants, got %s", got(c, at));
            return NULL;
        }
        for (size_t i = 0; i < at->n; i++) {
            if (is_comment(at->keys[i]))
                continue;
            size_t o2 = push_key(c, at->keys[i].p, at->keys[i].len);
            if (!is_scalar(at->items[i])) {
                cfail(c, "expected a string, number or boolean, got %s", got(c, at->items[i]));
                return NULL;
            }
            tf_attrs_add_json_flat(&attrs, c->a, at->keys[i].p, at->keys[i].len, at->items[i]);
            pop_key(c, o2);
        }
        pop_key(c, old);
    }
    return tf_intern_scope(env->interner, sv[0], sv[1], &attrs, TF_STR(""), 0);
}

static bool compile_span(cc *c, mp_profile *p, const tf_json *s)
{
    if (s->type != TF_JSON_OBJECT)
        return cfail(c, "expected an object (name, start, attributes, ...), got %s", got(c, s));
    static const char *const keys[] = { "name",        "kind",          "start",          "end",
                                        "duration",    "trace_id",      "span_id",        "parent_span_id",
                                        "traceparent", "trace_state",   "status",         "attributes",
                                        "remaining",   "events" };
    if (!known_keys(c, s, keys, TF_ARRAY_LEN(keys)))
        return false;
    bool has_name;
    if (!opt_get(c, s, "name", SL_TEXT, &p->name, &has_name))
        return false;
    if (!has_name) {
        size_t old = push_key(c, "name", 4);
        cfail(c, "missing (expected a string or a template for the span's name)");
        pop_key(c, old);
        return false;
    }
    if (!opt_get(c, s, "kind", SL_KIND, &p->kind, &p->has_kind) ||
        !opt_get(c, s, "start", SL_TIME, &p->start, &p->has_start) ||
        !opt_get(c, s, "end", SL_TIME, &p->end, &p->has_end) ||
        !opt_get(c, s, "duration", SL_DUR, &p->dur, &p->has_dur) ||
        !opt_get(c, s, "trace_id", SL_TRACE_ID, &p->trace_id, &p->has_trace_id) ||
        !opt_get(c, s, "span_id", SL_SPAN_ID, &p->span_id, &p->has_span_id) ||
        !opt_get(c, s, "parent_span_id", SL_SPAN_ID, &p->parent, &p->has_parent) ||
        !opt_get(c, s, "traceparent", SL_VALUE, &p->traceparent, &p->has_traceparent) ||
        !opt_get(c, s, "trace_state", SL_VALUE, &p->trace_state, &p->has_trace_state))
        return false;
    if (!p->has_start && !p->has_end)
        return cfail(c, "expected \"start\" or \"end\" (when the span happened), got neither");
    const tf_json *st = tf_json_get(s, "status");
    if (st) {
        size_t old = push_key(c, "status", 6);
        if (!compile_status(c, p, st))
            return false;
        pop_key(c, old);
    }
    const tf_json *at = tf_json_get(s, "attributes");
    if (at) {
        size_t old = push_key(c, "attributes", 10);
        if (!compile_attrs(c, at, &p->attrs))
            return false;
        pop_key(c, old);
    }
    const tf_json *ev = tf_json_get(s, "events");
    if (ev) {
        size_t old = push_key(c, "events", 6);
        if (!compile_events(c, p, ev))
            return false;
        pop_key(c, old);
    }
    return true;
}

static inline size_t key_hash(const char *k, size_t len)
{
    size_t h = len * 0x9e3779b1u;
    if (len)
        h ^= (size_t)(unsigned char)k[0] * 0x85ebca6bu ^ (size_t)(unsigned char)k[len - 1] * 0xc2b2ae35u ^
             (size_t)(unsigned char)k[len / 2] * 0x27d4eb2fu;
    return h ^ (h >> 15);
}

static int slot_find(const mp_profile *p, const char *k, size_t len)
{
    for (size_t h = key_hash(k, len) & p->ktab_mask;; h = (h + 1) & p->ktab_mask) {
        int s = p->ktab[h];
        if (s < 0 || (p->slot_keys[s].len == len && !memcmp(p->slot_keys[s].p, k, len)))
            return s;
    }
}

/* Gives every top-level key the program reads a slot, so that mapping a
 * record classifies its keys once instead of searching it per path. */
static void build_slots(cc *c, mp_profile *p)
{
    size_t n = 0;
    tf_str *keys = tf_arena_alloc(c->a, 256 * sizeof *keys);
    size_t tabn = 1024;
    int16_t *tab = tf_arena_alloc(c->a, tabn * sizeof *tab);
    memset(tab, 0xff, tabn * sizeof *tab);
    p->slot_keys = keys;
    p->ktab = tab;
    p->ktab_mask = tabn - 1;
    /* at most 255 keys keep the table at most a quarter full; a path whose
     * key gets no slot (slot -1) searches the record as usual */
    for (size_t i = 0; i < c->root_used.n; i++) {
        const mpath *u = c->root_used.v[i];
        if (!u->n || u->steps[0].index)
            continue;
        mstep *st = &u->steps[0];
        int sl = slot_find(p, st->key, st->len);
        if (sl < 0 && n < 255) {
            keys[n] = (tf_str){ st->key, st->len };
            size_t h = key_hash(st->key, st->len) & p->ktab_mask;
            while (tab[h] >= 0)
                h = (h + 1) & p->ktab_mask;
            tab[h] = (int16_t)n;
            sl = (int)n++;
        }
        st->slot = sl;
    }
    /* keys only "remaining" excludes still need slots to be recognised */
    for (size_t i = 0; i < p->nrest; i++) {
        if (p->rest[i].from)
            continue;
        for (size_t k = 0; k < p->rest[i].excl.n; k++) {
            const mtrie *kid = &p->rest[i].excl.kids[k];
            if (slot_find(p, kid->key, kid->len) < 0 && n < 255) {
                keys[n] = (tf_str){ kid->key, kid->len };
                size_t h = key_hash(kid->key, kid->len) & p->ktab_mask;
                while (tab[h] >= 0)
                    h = (h + 1) & p->ktab_mask;
                tab[h] = (int16_t)n++;
            }
        }
    }
    p->nslots = n;
    p->slotv = tf_arena_calloc(c->a, (n ? n : 1) * sizeof *p->slotv);
    bool complete = true;
    for (size_t i = 0; i < p->nrest; i++) {
        mrest *r = &p->rest[i];
        if (r->from)
            continue;
        const mtrie **sk = tf_arena_calloc(c->a, (n ? n : 1) * sizeof *sk);
        for (size_t k = 0; k < r->excl.n; k++) {
            int sl = slot_find(p, r->excl.kids[k].key, r->excl.kids[k].len);
            if (sl < 0)
                complete = false;
            else
                sk[sl] = &r->excl.kids[k];
        }
        r->slot_kid = complete ? sk : NULL;
    }
}

static bool compile(cc *c, mp_profile *p, const tf_map_env *env, const tf_json *m)
{
    if (m->type != TF_JSON_OBJECT)
        return cfail(c, "expected a JSON object (the mapping), got %s", jtype(m));
    static const char *const keys[] = { "version", "name", "null_values", "resource", "scope", "skip", "span" };
    if (!known_keys(c, m, keys, TF_ARRAY_LEN(keys)))
        return false;
    const tf_json *v = tf_json_get(m, "version");
    if (v) {
        int64_t ver;
        size_t old = push_key(c, "version", 7);
        if (!tf_json_is_integral(v) || !tf_json_as_int64(v, &ver) || ver != 1)
            return cfail(c, "expected 1 (this tracefill reads mapping version 1), got %s",
                         v->type == TF_JSON_NUMBER ? v->str.p : got(c, v));
        pop_key(c, old);
    }
    v = tf_json_get(m, "name");
    if (v) {
        size_t old = push_key(c, "name", 4);
        if (v->type != TF_JSON_STRING || !v->str.len)
            return cfail(c, "expected a non-empty string, got %s", got(c, v));
        p->base.name = v->str.p;
        pop_key(c, old);
    }
    v = tf_json_get(m, "null_values");
    if (v) {
        size_t old = push_key(c, "null_values", 11);
        if (v->type != TF_JSON_ARRAY)
            return cfail(c, "expected an array of strings (such as [\"\", \"-\"]), got %s", got(c, v));
        for (size_t i = 0; i < v->n; i++) {
            const tf_json *x = v->items[i];
            if (x->type == TF_JSON_OBJECT && !x->n)
                p->null_empty_object = true;
            else if (x->type == TF_JSON_ARRAY && !x->n)
                p->null_empty_array = true;
            else if (x->type != TF_JSON_STRING) {
                push_idx(c, i);
                return cfail(c, "expected a string, {} or [], got %s", got(c, x));
            }
        }
        p->nulls = v->n ? v : NULL;
        for (size_t i = 0; i < v->n; i++)
            if (v->items[i]->type == TF_JSON_STRING && v->items[i]->str.len > p->null_maxlen)
                p->null_maxlen = v->items[i]->str.len;
        pop_key(c, old);
    }
    const tf_json *span = tf_json_get(m, "span");
    if (!span) {
        size_t old = push_key(c, "span", 4);
        cfail(c, "missing (expected an object with at least \"name\" and \"start\" or \"end\")");
        pop_key(c, old);
        return false;
    }
    size_t old = push_key(c, "span", 4);
    if (!compile_span(c, p, span))
        return false;
    pop_key(c, old);
    v = tf_json_get(m, "skip");
    if (v) {
        old = push_key(c, "skip", 4);
        mcond *mc = tf_arena_calloc(c->a, sizeof *mc);
        if (!compile_cond(c, v, mc))
            return false;
        p->skip = mc;
        pop_key(c, old);
    }
    v = tf_json_get(m, "resource");
    if (v) {
        old = push_key(c, "resource", 8);
        if (!compile_attrs(c, v, &p->res))
            return false;
        pop_key(c, old);
    }
    v = tf_json_get(m, "scope");
    p->scope = env->scope;
    if (v) {
        old = push_key(c, "scope", 5);
        p->scope = compile_scope(c, env, v);
        if (!p->scope)
            return false;
        pop_key(c, old);
    }
    /* "remaining" last: every other path the mapping reads is known now. */
    v = tf_json_get(span, "remaining");
    if (v) {
        old = push_key(c, "span", 4);
        push_key(c, "remaining", 9);
        if (!pre_rest(c, v, &p->rest, &p->nrest))
            return false;
        for (size_t i = 0; i < p->nrest; i++)
            if (!finish_rest(c, &p->rest[i], &c->root_used))
                return false;
        pop_key(c, old);
    }
    p->res_dynamic = !all_const(&p->res);
    build_slots(c, p);
    return true;
}

/* ---- mapping a record ---------------------------------------------------- */

typedef struct {
    const tf_json *base, *root;
    tf_arena *a;
    mp_profile *p;
    const tf_json *const *slots; /* the record's top-level values by slot, or NULL */
} ev;

static inline const tf_json *get_key(const tf_json *o, const char *k, size_t len)
{
    if (o->type != TF_JSON_OBJECT)
        return NULL;
    for (size_t i = o->n; i-- > 0;) /* the last duplicate wins, as in tf_json_get */
        if (o->keys[i].len == len && (len == 0 || (o->keys[i].p[0] == k[0] && !memcmp(o->keys[i].p, k, len))))
            return o->items[i];
    return NULL;
}

static bool is_null_value(const mp_profile *p, const tf_json *v)
{
    switch (v->type) {
    case TF_JSON_NULL: return true;
    case TF_JSON_OBJECT: return !v->n && p->null_empty_object;
    case TF_JSON_ARRAY: return !v->n && p->null_empty_array;
    case TF_JSON_STRING: break;
    default: return false;
    }
    if (!p->nulls || v->str.len > p->null_maxlen)
        return false;
    for (size_t i = 0; i < p->nulls->n; i++) {
        const tf_json *x = p->nulls->items[i];
        if (x->type == TF_JSON_STRING && x->str.len == v->str.len && !memcmp(x->str.p, v->str.p, v->str.len))
            return true;
    }
    return false;
}

/* NULL when absent, null or one of "null_values". */
static const tf_json *path_get(const mpath *p, const ev *e)
{
    const tf_json *cur = p->root ? e->root : e->base;
    size_t i = 0;
    if (p->n && p->steps[0].slot >= 0 && e->slots) {
        cur = e->slots[p->steps[0].slot];
        i = 1;
    }
    for (; i < p->n && cur; i++) {
        const mstep *s = &p->steps[i];
        if (s->index) {
            if (cur->type != TF_JSON_ARRAY)
                return NULL;
            long idx = s->idx < 0 ? s->idx + (long)cur->n : s->idx;
            if (idx < 0 || (size_t)idx >= cur->n)
                return NULL;
            cur = cur->items[idx];
        } else {
            cur = get_key(cur, s->key, s->len);
        }
    }
    return cur && !is_null_value(e->p, cur) ? cur : NULL;
}

static const tf_json *paths_get(const mpath *ps, size_t n, const ev *e)
{
    for (size_t i = 0; i < n; i++) {
        const tf_json *v = path_get(&ps[i], e);
        if (v)
            return v;
    }
    return NULL;
}

static tf_str text_of(const ev *e, const tf_json *v)
{
    switch (v->type) {
    case TF_JSON_STRING:
    case TF_JSON_NUMBER: return v->str;
    case TF_JSON_BOOL: return v->boolean ? TF_STR("true") : TF_STR("false");
    case TF_JSON_NULL: return TF_STR("null");
    default: break;
    }
    tf_buf *b = &e->p->jbuf;
    b->len = 0;
    tf_json_write(b, v);
    return (tf_str){ tf_arena_strndup(e->a, b->p, b->len), b->len };
}

static const tf_json *render(const mtmpl *t, const ev *e)
{
    tf_buf *b = &e->p->tbuf;
    b->len = 0;
    for (size_t i = 0; i < t->n; i++) {
        const mseg *s = &t->segs[i];
        if (!s->npaths) {
            tf_buf_append(b, s->lit.p, s->lit.len);
            continue;
        }
        const tf_json *v = paths_get(s->paths, s->npaths, e);
        if (!v) {
            if (!s->has_fb)
                return NULL;
            tf_buf_append(b, s->fb.p, s->fb.len);
        } else if (v->type == TF_JSON_STRING || v->type == TF_JSON_NUMBER) {
            tf_buf_append(b, v->str.p, v->str.len);
        } else if (v->type == TF_JSON_BOOL) {
            tf_buf_puts(b, v->boolean ? "true" : "false");
        } else {
            tf_json_write(b, v);
        }
    }
    tf_json *n = tf_arena_alloc(e->a, sizeof *n);
    memset(n, 0, sizeof *n);
    n->type = TF_JSON_STRING;
    n->str.p = tf_arena_strndup(e->a, b->p ? b->p : "", b->len);
    n->str.len = b->len;
    return n;
}

/* tf_json_as_int64 with a fast path for plain [-]digits (status codes,
 * sizes), which gives the same results. */
static bool as_int(const tf_json *v, int64_t *out)
{
    if (v->type == TF_JSON_NUMBER || v->type == TF_JSON_STRING) {
        const char *s = v->str.p;
        size_t n = v->str.len, i = s[0] == '-';
        if (n > i && n - i <= 18) {
            int64_t x = 0;
            for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
                x = x * 10 + (s[i] - '0');
            if (i == n) {
                *out = s[0] == '-' ? -x : x;
                return true;
            }
        }
    }
    return tf_json_as_int64(v, out);
}

/* Numbers (and numeric strings) compared exactly as integers when both are
 * integral, else as doubles; -2 when v is not numeric. */
static int num_cmp(const tf_json *v, const tf_json *arg)
{
    int64_t a, b;
    if (as_int(v, &a) && as_int(arg, &b))
        return a < b ? -1 : a > b;
    double x, y;
    if (!tf_json_as_double(v, &x) || !tf_json_as_double(arg, &y))
        return -2;
    return x < y ? -1 : x > y;
}

static bool val_eq(const ev *e, const tf_json *v, const tf_json *arg)
{
    switch (arg->type) {
    case TF_JSON_NULL: return false; /* v is present */
    case TF_JSON_NUMBER: return num_cmp(v, arg) == 0;
    case TF_JSON_BOOL:
        if (v->type == TF_JSON_BOOL)
            return v->boolean == arg->boolean;
        return v->type == TF_JSON_STRING && tf_str_eqc(v->str, arg->boolean ? "true" : "false");
    default: break;
    }
    if (v->type == TF_JSON_OBJECT || v->type == TF_JSON_ARRAY)
        return false;
    return tf_str_eq(text_of(e, v), arg->str);
}

static bool cond_eval(const mcond *c, const ev *e)
{
    switch (c->op) {
    case OP_ALL:
        for (size_t i = 0; i < c->nsubs; i++)
            if (!cond_eval(&c->subs[i], e))
                return false;
        return true;
    case OP_ANY:
        for (size_t i = 0; i < c->nsubs; i++)
            if (cond_eval(&c->subs[i], e))
                return true;
        return false;
    case OP_NOT: return !cond_eval(&c->subs[0], e);
    default: break;
    }
    const tf_json *v = paths_get(c->paths, c->npaths, e);
    if (c->op == OP_EXISTS)
        return (v != NULL) == c->want;
    if (!v)
        return c->op == OP_NE ? c->arg->type != TF_JSON_NULL : c->op == OP_EQ && c->arg->type == TF_JSON_NULL;
    switch (c->op) {
    case OP_EQ: return val_eq(e, v, c->arg);
    case OP_NE: return !val_eq(e, v, c->arg);
    case OP_GT: return num_cmp(v, c->arg) == 1;
    case OP_GE: {
        int r = num_cmp(v, c->arg);
        return r == 0 || r == 1;
    }
    case OP_LT: return num_cmp(v, c->arg) == -1;
    case OP_LE: {
        int r = num_cmp(v, c->arg);
        return r == 0 || r == -1;
    }
    case OP_IN:
        for (size_t i = 0; i < c->arg->n; i++)
            if (val_eq(e, v, c->arg->items[i]))
                return true;
        return false;
    default: break;
    }
    if (v->type == TF_JSON_OBJECT || v->type == TF_JSON_ARRAY)
        return false;
    tf_str s = text_of(e, v), a = c->arg->str;
    if (a.len > s.len)
        return false;
    if (c->op == OP_PREFIX)
        return !memcmp(s.p, a.p, a.len);
    if (c->op == OP_SUFFIX)
        return !memcmp(s.p + s.len - a.len, a.p, a.len);
    if (!a.len)
        return true;
    for (size_t i = 0; i + a.len <= s.len; i++)
        if (s.p[i] == a.p[0] && !memcmp(s.p + i, a.p, a.len))
            return true;
    return false;
}

static const tf_json derive_marker = { .type = TF_JSON_NULL };

/* One alternative's value before conversion; NULL when absent. */
static const tf_json *alt_value(const malt *al, const ev *e)
{
    if (al->when && !cond_eval(al->when, e))
        return NULL;
    const tf_json *v = NULL;
    switch (al->kind) {
    case S_PATH: v = paths_get(al->paths, al->npaths, e); break;
    case S_CONST: v = al->cst; break;
    case S_TMPL: v = render(al->tmpl, e); break;
    case S_DERIVE: return &derive_marker;
    }
    if (!v)
        v = al->deflt;
    if (v && al->map && v->type != TF_JSON_OBJECT && v->type != TF_JSON_ARRAY) {
        tf_str t = text_of(e, v);
        const tf_json *r = tf_json_getn(al->map, t.p, t.len);
        if (r)
            v = r;
    }
    return v;
}

typedef bool (*conv_fn)(const malt *al, const tf_json *v, const ev *e, void *out);

static bool get_conv(const mget *g, const ev *e, conv_fn conv, void *out)
{
    for (size_t i = 0; i < g->n; i++) {
        const tf_json *v = alt_value(&g->alts[i], e);
        if (v && conv(&g->alts[i], v, e, out))
            return true;
    }
    return false;
}

static bool conv_text(const malt *al, const tf_json *v, const ev *e, void *out)
{
    *(tf_str *)out = text_of(e, v);
    return true;
}

static bool conv_part(const malt *al, const tf_json *v, const ev *e, void *out)
{
    if (v->type == TF_JSON_OBJECT || v->type == TF_JSON_ARRAY)
        return false;
    tf_str t = text_of(e, v);
    *(tf_str *)out = t;
    return t.len > 0;
}

static bool conv_time(const malt *al, const tf_json *v, const ev *e, void *out)
{
    if (v->type != TF_JSON_STRING && v->type != TF_JSON_NUMBER)
        return false;
    const char *s = v->str.p;
    size_t n = v->str.len;
    uint64_t *ns = out;
    switch (al->tfmt) {
    case TM_AUTO: return tf_time_parse_any(s, n, ns);
    case TM_RFC3339: return tf_time_parse_iso8601(s, n, ns);
    case TM_CLF: return tf_time_parse_clf(s, n, ns);
    case TM_HTTP: return tf_time_parse_http_date(s, n, e->p->now_ns, ns);
    case TM_EPOCH: return al->unit ? tf_time_parse_epoch(s, n, al->unit, ns) : tf_time_parse_epoch_auto(s, n, ns);
    case TM_STRF: return tf_time_parse_format(al->strf, s, n, ns);
    }
    return false;
}

static bool conv_dur(const malt *al, const tf_json *v, const ev *e, void *out)
{
    if (v->type != TF_JSON_STRING && v->type != TF_JSON_NUMBER)
        return false;
    int64_t d;
    bool ok = (al->unit && tf_duration_parse_number(v->str.p, v->str.len, al->unit, &d)) ||
              (v->type == TF_JSON_STRING && tf_duration_parse(v->str.p, v->str.len, &d));
    if (!ok || d < 0)
        return false;
    *(int64_t *)out = d;
    return true;
}

static bool conv_kind(const malt *al, const tf_json *v, const ev *e, void *out)
{
    int k = enum_from(v, kind_names, TF_ARRAY_LEN(kind_names), "span_kind_");
    *(int *)out = k;
    return k >= 0;
}

static bool conv_code(const malt *al, const tf_json *v, const ev *e, void *out)
{
    int k = enum_from(v, code_names, TF_ARRAY_LEN(code_names), "status_code_");
    *(int *)out = k;
    return k >= 0;
}

typedef struct {
    uint8_t trace[16];
    uint8_t span[8];
    bool derived;
} idout;

/* The parts joined by NUL bytes are the key (as tf_id_derive_parts joins
 * them); the last key's digest is kept, since trace and span ids are often
 * derived from the same key. */
static bool derive(const malt *al, const ev *e, idout *o)
{
    mp_profile *p = e->p;
    p->dkey.len = 0;
    for (size_t i = 0; i < al->nparts; i++) {
        tf_str t;
        if (!get_conv(&al->parts[i], e, conv_part, &t))
            return false;
        if (i)
            tf_buf_putc(&p->dkey, '\0');
        tf_buf_append(&p->dkey, t.p, t.len);
    }
    if (p->dlast.p == NULL || p->dlast.len != p->dkey.len || memcmp(p->dlast.p, p->dkey.p, p->dkey.len)) {
        tf_id_derive(p->dkey.p ? p->dkey.p : "", p->dkey.len, p->dtrace, p->dspan);
        p->dlast.len = 0;
        tf_buf_append(&p->dlast, p->dkey.p ? p->dkey.p : "", p->dkey.len);
        tf_buf_putc(&p->dlast, 0);
        p->dlast.len--; /* a non-NULL p marks it valid, even for the empty key */
    }
    memcpy(o->trace, p->dtrace, 16);
    memcpy(o->span, p->dspan, 8);
    o->derived = true;
    return true;
}

static bool conv_trace_id(const malt *al, const tf_json *v, const ev *e, void *out)
{
    idout *o = out;
    if (al->kind == S_DERIVE)
        return derive(al, e, o);
    o->derived = false;
    return v->type == TF_JSON_STRING && tf_trace_id_parse(v->str.p, v->str.len, o->trace);
}

static bool conv_span_id(const malt *al, const tf_json *v, const ev *e, void *out)
{
    idout *o = out;
    if (al->kind == S_DERIVE)
        return derive(al, e, o);
    o->derived = false;
    return v->type == TF_JSON_STRING && tf_span_id_parse(v->str.p, v->str.len, o->span);
}

static bool to_int(const tf_json *v, int64_t *out)
{
    if (v->type == TF_JSON_BOOL) {
        *out = v->boolean;
        return true;
    }
    if (v->type != TF_JSON_NUMBER && v->type != TF_JSON_STRING)
        return false;
    if (as_int(v, out))
        return true;
    double d;
    if (!tf_json_as_double(v, &d) || d != d || d < -9.2e18 || d > 9.2e18 || (double)(int64_t)d != d)
        return false;
    *out = (int64_t)d;
    return true;
}

static bool to_bool(const tf_json *v, bool *out)
{
    switch (v->type) {
    case TF_JSON_BOOL: *out = v->boolean; return true;
    case TF_JSON_NUMBER: {
        double d;
        if (!tf_json_as_double(v, &d))
            return false;
        *out = d != 0;
        return true;
    }
    case TF_JSON_STRING:
        if (ieq(v->str, "true") || tf_str_eqc(v->str, "1")) {
            *out = true;
            return true;
        }
        if (ieq(v->str, "false") || tf_str_eqc(v->str, "0")) {
            *out = false;
            return true;
        }
        return false;
    default: return false;
    }
}

typedef struct {
    tf_attrs *at;
    tf_str key;
} attr_out;

/* Adds v under key; objects become key.sub attributes, skipping null values. */
static void add_flat(const ev *e, tf_attrs *at, const char *key, size_t keylen, const tf_json *v, int depth)
{
    if (v->type != TF_JSON_OBJECT || depth >= 32) {
        tf_value_from_json(&tf_attrs_add(at, e->a, (tf_str){ key, keylen })->value, v, e->a);
        return;
    }
    for (size_t i = 0; i < v->n; i++) {
        if (is_null_value(e->p, v->items[i]))
            continue;
        size_t kl = keylen + 1 + v->keys[i].len;
        char *k = tf_arena_alloc(e->a, kl + 1);
        memcpy(k, key, keylen);
        k[keylen] = '.';
        memcpy(k + keylen + 1, v->keys[i].p, v->keys[i].len);
        k[kl] = '\0';
        add_flat(e, at, k, kl, v->items[i], depth + 1);
    }
}

static bool conv_attr(const malt *al, const tf_json *v, const ev *e, void *out)
{
    attr_out *o = out;
    tf_value val;
    memset(&val, 0, sizeof val);
    switch (al->conv) {
    case C_AUTO: add_flat(e, o->at, o->key.p, o->key.len, v, 0); return true;
    case C_STRING:
        val.type = TF_VAL_STRING;
        val.u.s = text_of(e, v);
        break;
    case C_INT:
        if (!to_int(v, &val.u.i))
            return false;
        val.type = TF_VAL_INT;
        break;
    case C_DOUBLE:
        if (v->type != TF_JSON_NUMBER && v->type != TF_JSON_STRING)
            return false;
        if (!tf_json_as_double(v, &val.u.d))
            return false;
        val.type = TF_VAL_DOUBLE;
        break;
    case C_BOOL:
        if (!to_bool(v, &val.u.b))
            return false;
        val.type = TF_VAL_BOOL;
        break;
    case C_JSON: {
        tf_buf *b = &e->p->jbuf;
        b->len = 0;
        tf_json_write(b, v);
        val.type = TF_VAL_STRING;
        val.u.s = (tf_str){ tf_arena_strndup(e->a, b->p, b->len), b->len };
        break;
    }
    }
    tf_attrs_add(o->at, e->a, o->key)->value = val;
    return true;
}

/* ---- reject reasons (slow path: only when a record is rejected) ---------- */

static void describe_value(tf_buf *b, const tf_json *v)
{
    if (v->type == TF_JSON_STRING) {
        size_t n = TF_MIN(v->str.len, (size_t)48);
        tf_json_write_string(b, v->str.p, n);
        if (n < v->str.len)
            tf_buf_puts(b, "...");
    } else if (v->type == TF_JSON_NUMBER) {
        tf_buf_append(b, v->str.p, TF_MIN(v->str.len, (size_t)48));
    } else {
        tf_buf_puts(b, jtype(v));
    }
}

static void list_paths(tf_buf *b, const mpath *ps, size_t n)
{
    for (size_t i = 0; i < n; i++)
        tf_buf_printf(b, "%s\"%s\"", i ? (i + 1 == n ? " and " : ", ") : "", ps[i].src);
}

static bool explain_get(tf_buf *b, const mget *g, const ev *e, const char *what);

/* Why alternative al gave nothing usable (appended to b). */
static void explain_alt(tf_buf *b, const malt *al, const ev *e, const char *what)
{
    if (al->when && !cond_eval(al->when, e)) {
        tf_buf_puts(b, "its \"if\" does not hold");
        return;
    }
    const tf_json *v = NULL;
    switch (al->kind) {
    case S_PATH:
        v = paths_get(al->paths, al->npaths, e);
        if (!v && !al->deflt) {
            list_paths(b, al->paths, al->npaths);
            tf_buf_puts(b, al->npaths > 1 ? " are missing" : " is missing");
            return;
        }
        break;
    case S_TMPL:
        for (size_t i = 0; i < al->tmpl->n; i++) {
            const mseg *s = &al->tmpl->segs[i];
            if (s->npaths && !s->has_fb && !paths_get(s->paths, s->npaths, e)) {
                list_paths(b, s->paths, s->npaths);
                tf_buf_printf(b, "%s (in template \"%s\")", s->npaths > 1 ? " are missing" : " is missing",
                              al->tmpl->src);
                return;
            }
        }
        break;
    case S_DERIVE:
        for (size_t i = 0; i < al->nparts; i++) {
            tf_str t;
            if (!get_conv(&al->parts[i], e, conv_part, &t)) {
                tf_buf_printf(b, "derive part %zu: ", i + 1);
                explain_get(b, &al->parts[i], e, "a non-empty string or number");
                return;
            }
        }
        return;
    case S_CONST: break;
    }
    v = alt_value(al, e);
    if (!v) {
        tf_buf_puts(b, "no value");
        return;
    }
    if (al->kind == S_PATH && paths_get(al->paths, al->npaths, e)) {
        for (size_t i = 0; i < al->npaths; i++)
            if (path_get(&al->paths[i], e)) {
                tf_buf_printf(b, "\"%s\" ", al->paths[i].src);
                break;
            }
    } else if (al->kind == S_PATH) {
        tf_buf_puts(b, "the default ");
    } else if (al->kind == S_CONST) {
        tf_buf_puts(b, "the constant ");
    } else {
        tf_buf_printf(b, "template \"%s\" ", al->tmpl->src);
    }
    tf_buf_puts(b, "is not ");
    tf_buf_puts(b, what);
    tf_buf_puts(b, ": ");
    describe_value(b, v);
}

static bool explain_get(tf_buf *b, const mget *g, const ev *e, const char *what)
{
    for (size_t i = 0; i < g->n; i++) {
        if (i)
            tf_buf_puts(b, "; ");
        if (g->n > 1)
            tf_buf_printf(b, "[%zu] ", i);
        explain_alt(b, &g->alts[i], e, what);
    }
    return false;
}

static const char *reason(const ev *e, const mget *g, const char *what)
{
    tf_buf b = { 0 };
    tf_buf_printf(&b, "%s: ", g->where);
    explain_get(&b, g, e, what);
    if (b.len > 400) {
        b.len = 397;
        tf_buf_puts(&b, "...");
    }
    const char *r = tf_arena_strndup(e->a, b.p, b.len);
    tf_buf_free(&b);
    return r;
}

/* ---- attributes, remaining, events, resource ----------------------------- */

static bool add_attrs(const mattrs *m, const ev *e, tf_attrs *at, bool privacy, const char **why)
{
    for (size_t i = 0; i < m->n; i++) {
        const mattr *a = &m->v[i];
        if (a->get.private && privacy)
            continue;
        attr_out o = { at, a->key };
        if (!get_conv(&a->get, e, conv_attr, &o) && a->get.required) {
            *why = reason(e, &a->get, "a usable value");
            return false;
        }
    }
    return true;
}

static bool explicit_key(const mattrs *m, const char *k, size_t len)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->v[i].key.len == len && !memcmp(m->v[i].key.p, k, len))
            return true;
    return false;
}

static const mtrie *trie_find(const mtrie *t, tf_str k)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->kids[i].len == k.len && (!k.len || (t->kids[i].key[0] == k.p[0] && !memcmp(t->kids[i].key, k.p, k.len))))
            return &t->kids[i];
    return NULL;
}

/* kcls: the record's key slots when obj is the record (then r->slot_kid
 * replaces the trie search), else NULL. */
static void rest_walk(const mrest *r, const mtrie *t, const tf_json *obj, const char *prefix, size_t plen,
                      const ev *e, tf_attrs *at, const mattrs *explicit, int depth, const int16_t *kcls)
{
    for (size_t i = 0; i < obj->n; i++) {
        tf_str k = obj->keys[i];
        const tf_json *v = obj->items[i];
        if (is_null_value(e->p, v))
            continue;
        const mtrie *kid;
        if (kcls)
            kid = kcls[i] >= 0 ? r->slot_kid[kcls[i]] : NULL;
        else
            kid = t && t->n ? trie_find(t, k) : NULL;
        if (kid && kid->leaf)
            continue;
        size_t kl = plen + k.len;
        char *key = tf_arena_alloc(e->a, kl + 2);
        memcpy(key, prefix, plen);
        memcpy(key + plen, k.p, k.len);
        key[kl] = '\0';
        if (v->type == TF_JSON_OBJECT && r->flatten && depth < 32) {
            key[kl] = '.';
            key[kl + 1] = '\0';
            rest_walk(r, kid, v, key, kl + 1, e, at, explicit, depth + 1, NULL);
            continue;
        }
        if (explicit && (explicit->lens >> (kl & 63) & 1) && explicit_key(explicit, key, kl))
            continue;
        tf_kv *kv = tf_attrs_add(at, e->a, (tf_str){ key, kl });
        tf_value_from_json(&kv->value, v, e->a);
    }
}

static void add_rest(const mrest *rs, size_t n, const ev *e, tf_attrs *at, bool privacy, const mattrs *explicit)
{
    for (size_t i = 0; i < n; i++) {
        const mrest *r = &rs[i];
        if (r->private && privacy)
            continue;
        const tf_json *obj = r->from ? path_get(r->from, e) : e->base;
        if (!obj || obj->type != TF_JSON_OBJECT || r->excl.leaf)
            continue;
        const int16_t *kcls = r->slot_kid && e->slots && obj == e->root ? e->p->kcls : NULL;
        rest_walk(r, &r->excl, obj, r->prefix.p, r->prefix.len, e, at, explicit, 0, kcls);
    }
}

static void add_events(const mp_profile *p, const ev *e, tf_span *s, bool privacy)
{
    for (size_t i = 0; i < p->nevents; i++) {
        const mevent *me = &p->events[i];
        const tf_json *src = e->root;
        size_t n = 1;
        if (me->from) {
            src = path_get(me->from, e);
            if (!src)
                continue;
            n = src->type == TF_JSON_ARRAY ? src->n : 1;
        }
        for (size_t k = 0; k < n; k++) {
            ev ee = *e;
            ee.base = me->from && src->type == TF_JSON_ARRAY ? src->items[k] : src;
            if (ee.base->type == TF_JSON_NULL || (me->when && !cond_eval(me->when, &ee)))
                continue;
            if (s->n_events >= me->max) {
                s->dropped_events++;
                continue;
            }
            tf_str name;
            uint64_t t = s->start_ns;
            int64_t off;
            if (!get_conv(&me->name, &ee, conv_text, &name) ||
                (me->has_time && !get_conv(&me->time, &ee, conv_time, &t)) ||
                (me->has_offset && !get_conv(&me->offset, &ee, conv_dur, &off))) {
                s->dropped_events++;
                continue;
            }
            if (me->has_offset)
                t = s->start_ns + (uint64_t)off;
            tf_event *ev_ = tf_span_add_event(s, e->a);
            ev_->name = name;
            ev_->time_ns = t;
            const char *why;
            if (!add_attrs(&me->attrs, &ee, &ev_->attrs, privacy, &why)) {
                s->n_events--;
                s->dropped_events++;
                continue;
            }
            add_rest(me->rest, me->nrest, &ee, &ev_->attrs, privacy, &me->attrs);
        }
    }
}

static uint64_t fnv1a(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ s[i]) * 0x100000001b3ull;
    return h;
}

static void cache_clear(mp_profile *p)
{
    for (size_t i = 0; i < p->cache_cap; i++)
        free(p->cache[i].key);
    memset(p->cache, 0, p->cache_cap * sizeof *p->cache);
    p->cache_n = 0;
}

static void cache_put(mp_profile *p, uint64_t h, const char *k, size_t len, const tf_resource *r)
{
    if (!p->cache_cap) {
        p->cache_cap = 256;
        p->cache = tf_xcalloc(p->cache_cap, sizeof *p->cache);
    } else if ((p->cache_n + 1) * 2 > p->cache_cap) {
        if (p->cache_cap >= 65536) {
            cache_clear(p); /* bounded memory; the interner still dedups */
        } else {
            rcache_ent *old = p->cache;
            size_t oc = p->cache_cap;
            p->cache_cap *= 2;
            p->cache = tf_xcalloc(p->cache_cap, sizeof *p->cache);
            for (size_t i = 0; i < oc; i++) {
                if (!old[i].key)
                    continue;
                size_t j = old[i].h & (p->cache_cap - 1);
                while (p->cache[j].key)
                    j = (j + 1) & (p->cache_cap - 1);
                p->cache[j] = old[i];
            }
            free(old);
        }
    }
    size_t j = h & (p->cache_cap - 1);
    while (p->cache[j].key)
        j = (j + 1) & (p->cache_cap - 1);
    p->cache[j].h = h;
    p->cache[j].key = tf_xmalloc(len ? len : 1);
    memcpy(p->cache[j].key, k, len);
    p->cache[j].len = len;
    p->cache[j].r = r;
    p->cache_n++;
}

static void ser_value(tf_buf *b, const tf_value *v)
{
    tf_buf_putc(b, (char)('a' + (int)v->type));
    switch (v->type) {
    case TF_VAL_STRING:
    case TF_VAL_BYTES:
        tf_buf_append(b, &v->u.s.len, sizeof v->u.s.len);
        tf_buf_append(b, v->u.s.p, v->u.s.len);
        break;
    case TF_VAL_BOOL: tf_buf_putc(b, v->u.b ? 't' : 'f'); break;
    case TF_VAL_INT: tf_buf_append(b, &v->u.i, sizeof v->u.i); break;
    case TF_VAL_DOUBLE: tf_buf_append(b, &v->u.d, sizeof v->u.d); break;
    case TF_VAL_ARRAY:
        tf_buf_append(b, &v->u.arr.n, sizeof v->u.arr.n);
        for (size_t i = 0; i < v->u.arr.n; i++)
            ser_value(b, &v->u.arr.v[i]);
        break;
    case TF_VAL_KVLIST:
        tf_buf_append(b, &v->u.kvl.n, sizeof v->u.kvl.n);
        for (size_t i = 0; i < v->u.kvl.n; i++) {
            tf_buf_append(b, &v->u.kvl.kv[i].key.len, sizeof(size_t));
            tf_buf_append(b, v->u.kvl.kv[i].key.p, v->u.kvl.kv[i].key.len);
            ser_value(b, &v->u.kvl.kv[i].value);
        }
        break;
    case TF_VAL_NONE: break;
    }
}

/* The record's resource. Its attributes are built in the arena and their
 * bytes are the cache key, so records with equal resources reuse one
 * interned resource without encoding or mallocs. */
static const tf_resource *record_resource(mp_profile *p, const ev *e, bool privacy, const char **why)
{
    tf_attrs attrs = { 0 };
    if (!add_attrs(&p->res, e, &attrs, privacy, why))
        return NULL;
    tf_buf *b = &p->rbuf;
    b->len = 0;
    for (size_t i = 0; i < attrs.n; i++) {
        tf_buf_append(b, &attrs.kv[i].key.len, sizeof(size_t));
        tf_buf_append(b, attrs.kv[i].key.p, attrs.kv[i].key.len);
        ser_value(b, &attrs.kv[i].value);
    }
    uint64_t h = fnv1a(b->p, b->len);
    if (p->cache_cap) {
        size_t j = h & (p->cache_cap - 1);
        while (p->cache[j].key) {
            if (p->cache[j].h == h && p->cache[j].len == b->len && !memcmp(p->cache[j].key, b->p, b->len))
                return p->cache[j].r;
            j = (j + 1) & (p->cache_cap - 1);
        }
    }
    tf_profile_add_resource_opts(p->base.env, &attrs, e->a);
    const tf_resource *r = tf_intern_resource(p->base.env->interner, &attrs, TF_STR(""), 0);
    cache_put(p, h, b->p, b->len, r);
    return r;
}

/* ---- the span ------------------------------------------------------------ */

static bool span_times(mp_profile *p, const ev *e, uint64_t *start, uint64_t *end, const char **why)
{
    bool hs = p->has_start && get_conv(&p->start, e, conv_time, start);
    bool he = p->has_end && get_conv(&p->end, e, conv_time, end);
    int64_t d = 0;
    bool hd = !(hs && he) && p->has_dur && get_conv(&p->dur, e, conv_dur, &d);
    if (hs && he) {
        /* both given */
    } else if (hs) {
        if (hd && (uint64_t)d > TF_TIME_MAX_NS - *start) {
            *why = tf_arena_printf(e->a, "%s: start + duration is beyond the year 2262", p->dur.where);
            return false;
        }
        *end = *start + (uint64_t)d;
    } else if (he) {
        if (hd && (uint64_t)d > *end) {
            *why = tf_arena_printf(e->a, "%s: the duration is longer than the time since 1970 at the end", p->dur.where);
            return false;
        }
        *start = *end - (uint64_t)d;
    } else {
        tf_buf b = { 0 };
        tf_buf_puts(&b, "no time: ");
        if (p->has_start) {
            tf_buf_printf(&b, "%s: ", p->start.where);
            explain_get(&b, &p->start, e, "a timestamp");
        }
        if (p->has_end) {
            tf_buf_printf(&b, "%s%s: ", p->has_start ? "; " : "", p->end.where);
            explain_get(&b, &p->end, e, "a timestamp");
        }
        if (b.len > 400) {
            b.len = 397;
            tf_buf_puts(&b, "...");
        }
        *why = tf_arena_strndup(e->a, b.p, b.len);
        tf_buf_free(&b);
        return false;
    }
    if (*end < *start) {
        char s1[31], s2[31];
        tf_time_format(*start, s1);
        tf_time_format(*end, s2);
        *why = tf_arena_printf(e->a, "the span ends (%s) before it starts (%s)", s2, s1);
        return false;
    }
    return true;
}

static bool span_ids(mp_profile *p, const tf_record *rec, const ev *e, tf_span *s, const char **why)
{
    idout own = { .derived = false };
    if (p->has_span_id) {
        if (!get_conv(&p->span_id, e, conv_span_id, &own)) {
            *why = reason(e, &p->span_id, "a 16-hex span id");
            return false;
        }
    }
    memcpy(s->span_id, own.span, 8);
    if (!own.derived) { /* the default key: the record's exact bytes */
        uint8_t sid[8];
        tf_id_derive(rec->text ? rec->text : "", rec->text ? rec->len : 0, own.trace, sid);
        if (!p->has_span_id)
            memcpy(s->span_id, sid, 8);
    }
    bool have_trace = false;
    if (p->has_traceparent) {
        tf_str tp;
        uint8_t pid[8], flags;
        if (get_conv(&p->traceparent, e, conv_text, &tp) &&
            tf_traceparent_parse(tp.p, tp.len, s->trace_id, pid, &flags)) {
            have_trace = true;
            memcpy(s->parent_span_id, pid, 8);
            s->has_parent = true;
            s->flags = flags;
        }
    }
    if (!have_trace && p->has_trace_id) {
        idout t;
        if (!get_conv(&p->trace_id, e, conv_trace_id, &t)) {
            *why = reason(e, &p->trace_id, "a trace id (32 hex digits or a UUID)");
            return false;
        }
        memcpy(s->trace_id, t.trace, 16);
        have_trace = true;
    }
    if (!have_trace)
        memcpy(s->trace_id, own.trace, 16);
    if (p->has_parent) {
        idout par;
        if (get_conv(&p->parent, e, conv_span_id, &par)) {
            memcpy(s->parent_span_id, par.span, 8);
            s->has_parent = true;
        }
    }
    if (p->has_trace_state) {
        tf_str ts;
        if (get_conv(&p->trace_state, e, conv_text, &ts))
            s->trace_state = ts;
    }
    return true;
}

static int mp_map(tf_profile *pp, const tf_record *rec, tf_map_out *out, const char **why)
{
    mp_profile *p = (mp_profile *)pp;
    const tf_json *r = rec->json;
    if (!r || r->type != TF_JSON_OBJECT) {
        *why = "record is not a JSON object";
        return TF_MAP_REJECT;
    }
    const bool privacy = pp->env->opts->privacy;
    ev e = { r, r, out->arena, p, NULL };
    if (p->nslots) {
        memset(p->slotv, 0, p->nslots * sizeof *p->slotv);
        if (r->n > p->kcls_cap) {
            free(p->kcls);
            p->kcls_cap = r->n * 2;
            p->kcls = tf_xmalloc(p->kcls_cap * sizeof *p->kcls);
        }
        for (size_t i = 0; i < r->n; i++) {
            int sl = slot_find(p, r->keys[i].p, r->keys[i].len);
            p->kcls[i] = (int16_t)sl;
            if (sl >= 0)
                p->slotv[sl] = r->items[i]; /* a later duplicate wins */
        }
        e.slots = p->slotv;
    }
    if (p->skip && cond_eval(p->skip, &e))
        return TF_MAP_OK;
    uint64_t start = 0, end = 0;
    if (!span_times(p, &e, &start, &end, why))
        return TF_MAP_REJECT;
    tf_str name;
    if (!get_conv(&p->name, &e, conv_text, &name)) {
        *why = reason(&e, &p->name, "text");
        return TF_MAP_REJECT;
    }
    size_t n0 = out->n;
    tf_span *s = tf_map_new_span(out);
    if (!span_ids(p, rec, &e, s, why)) {
        out->n = n0;
        return TF_MAP_REJECT;
    }
    s->name = name;
    s->start_ns = start;
    s->end_ns = end;
    int kind = TF_KIND_INTERNAL;
    if (p->has_kind && !get_conv(&p->kind, &e, conv_kind, &kind))
        kind = TF_KIND_INTERNAL;
    s->kind = (tf_span_kind)kind;
    for (size_t i = 0; i < p->nstatus; i++) {
        const mstatus *st = &p->status[i];
        int code;
        if ((st->when && !cond_eval(st->when, &e)) || !get_conv(&st->code, &e, conv_code, &code))
            continue;
        s->status = (tf_status_code)code;
        tf_str msg;
        if (st->has_msg && get_conv(&st->msg, &e, conv_text, &msg))
            s->status_message = msg;
        break;
    }
    s->attrs.cap = p->attr_hint;
    s->attrs.kv = tf_arena_alloc(out->arena, p->attr_hint * sizeof *s->attrs.kv);
    if (!add_attrs(&p->attrs, &e, &s->attrs, privacy, why)) {
        out->n = n0;
        return TF_MAP_REJECT;
    }
    add_rest(p->rest, p->nrest, &e, &s->attrs, privacy, &p->attrs);
    if (s->attrs.n > p->attr_hint)
        p->attr_hint = s->attrs.n;
    add_events(p, &e, s, privacy);
    s->scope = p->scope;
    s->resource = p->res_dynamic ? record_resource(p, &e, privacy, why) : p->resource;
    if (!s->resource) {
        out->n = n0;
        return TF_MAP_REJECT;
    }
    return TF_MAP_OK;
}

static void mp_destroy(tf_profile *pp)
{
    mp_profile *p = (mp_profile *)pp;
    if (!p)
        return;
    if (p->cache)
        cache_clear(p);
    free(p->cache);
    tf_buf_free(&p->tbuf);
    tf_buf_free(&p->jbuf);
    tf_buf_free(&p->rbuf);
    tf_buf_free(&p->dkey);
    tf_buf_free(&p->dlast);
    free(p->kcls);
    tf_arena_free(&p->arena);
    free(p);
}

tf_profile *tf_profile_mapping_new(const tf_map_env *env, const char *name, const char *text, size_t len,
                                   char **err)
{
    mp_profile *p = tf_xcalloc(1, sizeof *p);
    tf_arena_init(&p->arena, 16 * 1024);
    tf_arena *a = &p->arena;
    cc c = { .file = name, .a = a };
    c.used = &c.root_used;
    p->base.name = tf_arena_strndup(a, name, strlen(name));
    p->base.map = mp_map;
    p->base.destroy = mp_destroy;
    p->base.env = env;
    p->file = p->base.name;
    p->now_ns = tf_now_wall_ns();
    p->attr_hint = 16;

    tf_json_parser *jp = tf_json_parser_new();
    char jerr[256];
    size_t blank = 0;
    while (blank < len && strchr(" \t\r\n", text[blank]))
        blank++;
    tf_json *m = blank < len ? tf_json_parse_one(jp, a, text, len, jerr, sizeof jerr) : NULL;
    tf_json_parser_free(jp);
    bool ok;
    if (blank == len) {
        c.err = tf_xasprintf("%s: the mapping file is empty (expected a JSON object)", name);
        ok = false;
    } else if (!m) {
        size_t at;
        const char *rest = strstr(jerr, ": ");
        if (sscanf(jerr, "invalid JSON at byte %zu", &at) == 1 && rest) {
            size_t line = 1, col = 1;
            if (at > 0) /* yajl counts the offending byte as consumed */
                at--;
            for (size_t i = 0; i < at && i < len; i++) {
                if (text[i] == '\n') {
                    line++;
                    col = 1;
                } else {
                    col++;
                }
            }
            c.err = tf_xasprintf("%s:%zu:%zu: invalid JSON%s", name, line, col, rest);
        } else {
            c.err = tf_xasprintf("%s: %s", name, jerr);
        }
        ok = false;
    } else {
        ok = compile(&c, p, env, m);
    }
    if (ok && !p->res_dynamic) {
        tf_attrs attrs = { 0 };
        ev e = { m, m, a, p, NULL };
        const char *why;
        add_attrs(&p->res, &e, &attrs, env->opts->privacy, &why);
        tf_profile_add_resource_opts(env, &attrs, a);
        p->resource = tf_intern_resource(env->interner, &attrs, TF_STR(""), 0);
    }
    tf_buf_free(&c.where);
    if (!ok) {
        *err = c.err ? c.err : tf_xasprintf("%s: invalid mapping", name);
        mp_destroy(&p->base);
        return NULL;
    }
    return &p->base;
}

tf_profile *tf_profile_mapfile_new(const tf_map_env *env, const char *path, char **err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        *err = tf_xasprintf("%s: cannot open the mapping file: %s", path, strerror(errno));
        return NULL;
    }
    tf_buf b = { 0 };
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        tf_buf_append(&b, chunk, n);
        if (b.len > 16 * 1024 * 1024)
            break;
    }
    int rerr = ferror(f) ? errno : 0;
    fclose(f);
    if (rerr || b.len > 16 * 1024 * 1024) {
        *err = rerr ? tf_xasprintf("%s: cannot read the mapping file: %s", path, strerror(rerr))
                    : tf_xasprintf("%s: the mapping file is larger than 16 MiB", path);
        tf_buf_free(&b);
        return NULL;
    }
    tf_profile *p = tf_profile_mapping_new(env, path, b.p ? b.p : "", b.len, err);
    tf_buf_free(&b);
    return p;
}
