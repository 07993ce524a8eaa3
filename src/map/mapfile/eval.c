/* eval.c: evaluating a program's pieces on one record: field paths,
 * templates, conditions, getters and their conversions. */
#include "config.h"
#include "map/mapfile/program.h"
#include "common/ids.h"
#include "common/timefmt.h"

#include <string.h>

/* ---- mapping a record ---------------------------------------------------- */

static inline const tf_json *get_key(const tf_json *o, const char *k, size_t len)
{
    if (o->type != TF_JSON_OBJECT)
        return NULL;
    for (size_t i = o->n; i-- > 0;) /* the last duplicate wins, as in tf_json_get */
        if (o->keys[i].len == len && (len == 0 || (o->keys[i].p[0] == k[0] && !memcmp(o->keys[i].p, k, len))))
            return o->items[i];
    return NULL;
}

bool mf_is_null_value(const mp_profile *p, const tf_json *v)
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
const tf_json *mf_path_get(const mpath *p, const ev *e)
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
    return cur && !mf_is_null_value(e->p, cur) ? cur : NULL;
}

const tf_json *mf_paths_get(const mpath *ps, size_t n, const ev *e)
{
    for (size_t i = 0; i < n; i++) {
        const tf_json *v = mf_path_get(&ps[i], e);
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
    tf_buf *b = &e->st->jbuf;
    b->len = 0;
    tf_json_write(b, v);
    return (tf_str){ tf_arena_strndup(e->a, b->p, b->len), b->len };
}

static const tf_json *render(const mtmpl *t, const ev *e)
{
    tf_buf *b = &e->st->tbuf;
    b->len = 0;
    for (size_t i = 0; i < t->n; i++) {
        const mseg *s = &t->segs[i];
        if (!s->npaths) {
            tf_buf_append(b, s->lit.p, s->lit.len);
            continue;
        }
        const tf_json *v = mf_paths_get(s->paths, s->npaths, e);
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

bool mf_cond_eval(const mcond *c, const ev *e)
{
    switch (c->op) {
    case OP_ALL:
        for (size_t i = 0; i < c->nsubs; i++)
            if (!mf_cond_eval(&c->subs[i], e))
                return false;
        return true;
    case OP_ANY:
        for (size_t i = 0; i < c->nsubs; i++)
            if (mf_cond_eval(&c->subs[i], e))
                return true;
        return false;
    case OP_NOT: return !mf_cond_eval(&c->subs[0], e);
    default: break;
    }
    const tf_json *v = mf_paths_get(c->paths, c->npaths, e);
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
const tf_json *mf_alt_value(const malt *al, const ev *e)
{
    if (al->when && !mf_cond_eval(al->when, e))
        return NULL;
    const tf_json *v = NULL;
    switch (al->kind) {
    case S_PATH: v = mf_paths_get(al->paths, al->npaths, e); break;
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

bool mf_conv_text(const malt *al, const tf_json *v, const ev *e, void *out)
{
    *(tf_str *)out = text_of(e, v);
    return true;
}

bool mf_conv_part(const malt *al, const tf_json *v, const ev *e, void *out)
{
    if (v->type == TF_JSON_OBJECT || v->type == TF_JSON_ARRAY)
        return false;
    tf_str t = text_of(e, v);
    *(tf_str *)out = t;
    return t.len > 0;
}

bool mf_conv_time(const malt *al, const tf_json *v, const ev *e, void *out)
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

bool mf_conv_dur(const malt *al, const tf_json *v, const ev *e, void *out)
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

bool mf_conv_kind(const malt *al, const tf_json *v, const ev *e, void *out)
{
    int k = mf_enum_from(v, mf_kind_names, TF_ARRAY_LEN(mf_kind_names), "span_kind_");
    *(int *)out = k;
    return k >= 0;
}

bool mf_conv_code(const malt *al, const tf_json *v, const ev *e, void *out)
{
    int k = mf_enum_from(v, mf_code_names, TF_ARRAY_LEN(mf_code_names), "status_code_");
    *(int *)out = k;
    return k >= 0;
}

/* The parts joined by NUL bytes are the key (as tf_id_derive_parts joins
 * them); the last key's digest is kept, since trace and span ids are often
 * derived from the same key. */
static bool derive(const malt *al, const ev *e, idout *o)
{
    mf_state *st = e->st;
    st->dkey.len = 0;
    for (size_t i = 0; i < al->nparts; i++) {
        tf_str t;
        if (!mf_get_conv(&al->parts[i], e, mf_conv_part, &t))
            return false;
        if (i)
            tf_buf_putc(&st->dkey, '\0');
        tf_buf_append(&st->dkey, t.p, t.len);
    }
    if (st->dlast.p == NULL || st->dlast.len != st->dkey.len || memcmp(st->dlast.p, st->dkey.p, st->dkey.len)) {
        tf_id_derive(st->dkey.p ? st->dkey.p : "", st->dkey.len, st->dtrace, st->dspan);
        st->dlast.len = 0;
        tf_buf_append(&st->dlast, st->dkey.p ? st->dkey.p : "", st->dkey.len);
        tf_buf_putc(&st->dlast, 0);
        st->dlast.len--; /* a non-NULL p marks it valid, even for the empty key */
    }
    memcpy(o->trace, st->dtrace, 16);
    memcpy(o->span, st->dspan, 8);
    o->derived = true;
    return true;
}

bool mf_conv_trace_id(const malt *al, const tf_json *v, const ev *e, void *out)
{
    idout *o = out;
    if (al->kind == S_DERIVE)
        return derive(al, e, o);
    o->derived = false;
    return v->type == TF_JSON_STRING && tf_trace_id_parse(v->str.p, v->str.len, o->trace);
}

bool mf_conv_span_id(const malt *al, const tf_json *v, const ev *e, void *out)
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
        if (mf_ieq(v->str, "true") || tf_str_eqc(v->str, "1")) {
            *out = true;
            return true;
        }
        if (mf_ieq(v->str, "false") || tf_str_eqc(v->str, "0")) {
            *out = false;
            return true;
        }
        return false;
    default: return false;
    }
}

/* Adds v under key; objects become key.sub attributes, skipping null values. */
static void add_flat(const ev *e, tf_attrs *at, const char *key, size_t keylen, const tf_json *v, int depth)
{
    if (v->type != TF_JSON_OBJECT || depth >= 32) {
        tf_value_from_json(&tf_attrs_add(at, e->a, (tf_str){ key, keylen })->value, v, e->a);
        return;
    }
    for (size_t i = 0; i < v->n; i++) {
        if (mf_is_null_value(e->p, v->items[i]))
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

bool mf_conv_attr(const malt *al, const tf_json *v, const ev *e, void *out)
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
        tf_buf *b = &e->st->jbuf;
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
