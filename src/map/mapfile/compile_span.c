/* compile_span.c: compiling the mapping itself: the span, its attributes,
 * "remaining" blocks, events and status rules, the resource and scope, and
 * the slots of the top-level keys the program reads. */
#include "config.h"
#include "map/mapfile/compile.h"

#include <string.h>

static bool compile_attrs(cc *c, const tf_json *obj, mattrs *out)
{
    if (obj->type != TF_JSON_OBJECT)
        return mf_cfail(c, "expected an object of attribute name: value spec, got %s", mf_got(c, obj));
    out->v = tf_arena_calloc(c->a, (obj->n ? obj->n : 1) * sizeof *out->v);
    out->n = 0;
    for (size_t i = 0; i < obj->n; i++) {
        tf_str k = obj->keys[i];
        if (mf_is_comment(k))
            continue;
        size_t old = mf_push_key(c, k.p, k.len);
        if (!k.len)
            return mf_cfail(c, "an attribute name cannot be empty");
        for (size_t j = 0; j < i; j++)
            if (tf_str_eq(obj->keys[j], k))
                return mf_cfail(c, "duplicate attribute");
        mattr *m = &out->v[out->n++];
        m->key = k;
        out->lens |= (uint64_t)1 << (k.len & 63);
        if (!mf_compile_get(c, obj->items[i], SL_VALUE, &m->get))
            return false;
        mf_pop_key(c, old);
    }
    return true;
}

/* "remaining": its "from" is compiled now (so other blocks skip that object);
 * the exclusion trie later, once every path the mapping reads is known. */
static bool pre_rest(cc *c, const tf_json *v, mrest **out, size_t *n)
{
    size_t cnt = v->type == TF_JSON_ARRAY ? v->n : 1;
    if (v->type != TF_JSON_ARRAY && v->type != TF_JSON_OBJECT)
        return mf_cfail(c, "expected an object like {\"prefix\": \"app.\"} or an array of them, got %s", mf_got(c, v));
    mrest *r = tf_arena_calloc(c->a, (cnt ? cnt : 1) * sizeof *r);
    for (size_t i = 0; i < cnt; i++) {
        const tf_json *o = v->type == TF_JSON_ARRAY ? v->items[i] : v;
        size_t old = v->type == TF_JSON_ARRAY ? mf_push_idx(c, i) : c->where.len;
        if (o->type != TF_JSON_OBJECT)
            return mf_cfail(c, "expected an object like {\"prefix\": \"app.\"}, got %s", mf_got(c, o));
        static const char *const keys[] = { "prefix", "from", "exclude", "flatten", "private" };
        if (!mf_known_keys(c, o, keys, TF_ARRAY_LEN(keys)))
            return false;
        r[i].raw = o;
        r[i].where = mf_where_dup(c);
        r[i].flatten = true;
        r[i].prefix = TF_STR("");
        for (size_t k = 0; k < o->n; k++) {
            tf_str key = o->keys[k];
            const tf_json *x = o->items[k];
            if (mf_is_comment(key))
                continue;
            size_t o2 = mf_push_key(c, key.p, key.len);
            if (tf_str_eqc(key, "prefix")) {
                if (x->type != TF_JSON_STRING)
                    return mf_cfail(c, "expected a string, got %s", mf_got(c, x));
                r[i].prefix = x->str;
            } else if (tf_str_eqc(key, "from")) {
                if (x->type != TF_JSON_STRING)
                    return mf_cfail(c, "expected a field path, got %s", mf_got(c, x));
                mpath *p = tf_arena_alloc(c->a, sizeof *p);
                if (!mf_compile_path(c, x->str.p, x->str.len, p, true))
                    return false;
                r[i].from = p;
            } else if (tf_str_eqc(key, "flatten") || tf_str_eqc(key, "private")) {
                if (x->type != TF_JSON_BOOL)
                    return mf_cfail(c, "expected true or false, got %s", mf_got(c, x));
                if (tf_str_eqc(key, "flatten"))
                    r[i].flatten = x->boolean;
                else
                    r[i].private = x->boolean;
            } else if (tf_str_eqc(key, "exclude")) {
                if (x->type != TF_JSON_ARRAY)
                    return mf_cfail(c, "expected an array of field paths, got %s", mf_got(c, x));
                for (size_t j = 0; j < x->n; j++)
                    if (x->items[j]->type != TF_JSON_STRING) {
                        mf_push_idx(c, j);
                        return mf_cfail(c, "expected a field path, got %s", mf_got(c, x->items[j]));
                    }
            }
            mf_pop_key(c, o2);
        }
        mf_pop_key(c, old);
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
    const char *saved = mf_where_dup(c);
    c->where.len = 0;
    tf_buf_puts(&c->where, r->where);
    mf_push_key(c, "exclude", 7);
    size_t base = c->where.len;
    for (size_t j = 0; j < ex->n; j++) {
        mf_push_idx(c, j);
        mpath p;
        if (!mf_compile_path(c, ex->items[j]->str.p, ex->items[j]->str.len, &p, false))
            return false;
        mf_pop_key(c, base);
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
        return mf_cfail(c, "expected an event spec (an object with \"name\") or an array of them, got %s", mf_got(c, v));
    p->events = tf_arena_calloc(c->a, (cnt ? cnt : 1) * sizeof *p->events);
    p->nevents = cnt;
    pathvec *saved = c->used;
    for (size_t i = 0; i < cnt; i++) {
        const tf_json *o = v->type == TF_JSON_ARRAY ? v->items[i] : v;
        size_t old = v->type == TF_JSON_ARRAY ? mf_push_idx(c, i) : c->where.len;
        mevent *e = &p->events[i];
        if (o->type != TF_JSON_OBJECT)
            return mf_cfail(c, "expected an event spec (an object with \"name\"), got %s", mf_got(c, o));
        static const char *const keys[] = { "from", "if", "name", "time", "offset", "attributes", "remaining", "max" };
        if (!mf_known_keys(c, o, keys, TF_ARRAY_LEN(keys)))
            return false;
        pathvec *ev_used = tf_arena_calloc(c->a, sizeof *ev_used);
        const tf_json *from = tf_json_get(o, "from");
        if (from) {
            size_t o2 = mf_push_key(c, "from", 4);
            if (from->type != TF_JSON_STRING)
                return mf_cfail(c, "expected a field path (an array of events, or one object), got %s", mf_got(c, from));
            mpath *fp = tf_arena_alloc(c->a, sizeof *fp);
            c->used = saved;
            if (!mf_compile_path(c, from->str.p, from->str.len, fp, true))
                return false;
            e->from = fp;
            mf_pop_key(c, o2);
            c->used = ev_used; /* paths below are relative to each element */
        }
        if (!mf_compile_opt_if(c, o, &e->when))
            return false;
        bool has_name;
        if (!mf_opt_get(c, o, "name", SL_TEXT, &e->name, &has_name))
            return false;
        if (!has_name) {
            size_t o2 = mf_push_key(c, "name", 4);
            mf_cfail(c, "missing (expected a string or a template for the event's name)");
            mf_pop_key(c, o2);
            return false;
        }
        if (!mf_opt_get(c, o, "time", SL_TIME, &e->time, &e->has_time) ||
            !mf_opt_get(c, o, "offset", SL_DUR, &e->offset, &e->has_offset))
            return false;
        if (e->has_time && e->has_offset)
            return mf_cfail(c, "\"time\" and \"offset\" cannot be used together");
        const tf_json *at = tf_json_get(o, "attributes");
        if (at) {
            size_t o2 = mf_push_key(c, "attributes", 10);
            if (!compile_attrs(c, at, &e->attrs))
                return false;
            mf_pop_key(c, o2);
        }
        e->max = 128;
        const tf_json *mx = tf_json_get(o, "max");
        if (mx) {
            int64_t m;
            size_t o2 = mf_push_key(c, "max", 3);
            if (!tf_json_is_integral(mx) || !tf_json_as_int64(mx, &m) || m < 0 || m > 1000000)
                return mf_cfail(c, "expected a whole number from 0 to 1000000, got %s", mf_got(c, mx));
            e->max = (size_t)m;
            mf_pop_key(c, o2);
        }
        const tf_json *rest = tf_json_get(o, "remaining");
        if (rest) {
            size_t o2 = mf_push_key(c, "remaining", 9);
            if (!pre_rest(c, rest, &e->rest, &e->nrest))
                return false;
            for (size_t k = 0; k < e->nrest; k++)
                if (!finish_rest(c, &e->rest[k], from ? ev_used : &c->root_used))
                    return false;
            mf_pop_key(c, o2);
        }
        c->used = saved;
        mf_pop_key(c, old);
    }
    return true;
}

static bool compile_status(cc *c, mp_profile *p, const tf_json *v)
{
    size_t cnt = v->type == TF_JSON_ARRAY ? v->n : 1;
    if (v->type != TF_JSON_ARRAY && v->type != TF_JSON_OBJECT)
        return mf_cfail(c, "expected a status rule like {\"if\": {\"field\": \"status\", \">=\": 500}, \"code\": "
                        "\"error\"} or an array of them, got %s",
                     mf_got(c, v));
    p->status = tf_arena_calloc(c->a, (cnt ? cnt : 1) * sizeof *p->status);
    p->nstatus = cnt;
    for (size_t i = 0; i < cnt; i++) {
        const tf_json *o = v->type == TF_JSON_ARRAY ? v->items[i] : v;
        size_t old = v->type == TF_JSON_ARRAY ? mf_push_idx(c, i) : c->where.len;
        if (o->type != TF_JSON_OBJECT)
            return mf_cfail(c, "expected a status rule (an object with \"code\"), got %s", mf_got(c, o));
        static const char *const keys[] = { "if", "code", "message" };
        if (!mf_known_keys(c, o, keys, TF_ARRAY_LEN(keys)))
            return false;
        mstatus *s = &p->status[i];
        if (!mf_compile_opt_if(c, o, &s->when))
            return false;
        bool has_code;
        if (!mf_opt_get(c, o, "code", SL_CODE, &s->code, &has_code) ||
            !mf_opt_get(c, o, "message", SL_TEXT, &s->msg, &s->has_msg))
            return false;
        if (!has_code) {
            size_t o2 = mf_push_key(c, "code", 4);
            mf_cfail(c, "missing (expected \"error\", \"ok\" or \"unset\")");
            mf_pop_key(c, o2);
            return false;
        }
        mf_pop_key(c, old);
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
        mf_cfail(c, "expected an object with \"name\" (and \"version\", \"attributes\"), got %s", mf_got(c, v));
        return NULL;
    }
    static const char *const keys[] = { "name", "version", "attributes" };
    if (!mf_known_keys(c, v, keys, TF_ARRAY_LEN(keys)))
        return NULL;
    tf_str sv[2] = { TF_STR(""), TF_STR("") };
    for (int i = 0; i < 2; i++) {
        const tf_json *x = tf_json_get(v, keys[i]);
        if (!x)
            continue;
        size_t old = mf_push_key(c, keys[i], strlen(keys[i]));
        if (x->type != TF_JSON_STRING) {
            mf_cfail(c, "expected a string, got %s", mf_got(c, x));
            return NULL;
        }
        sv[i] = x->str;
        mf_pop_key(c, old);
    }
    if (!tf_json_get(v, "name")) {
        size_t old = mf_push_key(c, "name", 4);
        mf_cfail(c, "missing (expected the instrumentation scope's name)");
        mf_pop_key(c, old);
        return NULL;
    }
    tf_attrs attrs = { 0 };
    const tf_json *at = tf_json_get(v, "attributes");
    if (at) {
        size_t old = mf_push_key(c, "attributes", 10);
        if (at->type != TF_JSON_OBJECT) {
            mf_cfail(c, "expected an object of constants, got %s", mf_got(c, at));
            return NULL;
        }
        for (size_t i = 0; i < at->n; i++) {
            if (mf_is_comment(at->keys[i]))
                continue;
            size_t o2 = mf_push_key(c, at->keys[i].p, at->keys[i].len);
            if (!mf_is_scalar(at->items[i])) {
                mf_cfail(c, "expected a string, number or boolean, got %s", mf_got(c, at->items[i]));
                return NULL;
            }
            tf_attrs_add_json_flat(&attrs, c->a, at->keys[i].p, at->keys[i].len, at->items[i]);
            mf_pop_key(c, o2);
        }
        mf_pop_key(c, old);
    }
    return tf_intern_scope(env->interner, sv[0], sv[1], &attrs, TF_STR(""), 0);
}

static bool compile_span(cc *c, mp_profile *p, const tf_json *s)
{
    if (s->type != TF_JSON_OBJECT)
        return mf_cfail(c, "expected an object (name, start, attributes, ...), got %s", mf_got(c, s));
    static const char *const keys[] = { "name",        "kind",          "start",          "end",
                                        "duration",    "trace_id",      "span_id",        "parent_span_id",
                                        "traceparent", "trace_state",   "status",         "attributes",
                                        "remaining",   "events" };
    if (!mf_known_keys(c, s, keys, TF_ARRAY_LEN(keys)))
        return false;
    bool has_name;
    if (!mf_opt_get(c, s, "name", SL_TEXT, &p->name, &has_name))
        return false;
    if (!has_name) {
        size_t old = mf_push_key(c, "name", 4);
        mf_cfail(c, "missing (expected a string or a template for the span's name)");
        mf_pop_key(c, old);
        return false;
    }
    if (!mf_opt_get(c, s, "kind", SL_KIND, &p->kind, &p->has_kind) ||
        !mf_opt_get(c, s, "start", SL_TIME, &p->start, &p->has_start) ||
        !mf_opt_get(c, s, "end", SL_TIME, &p->end, &p->has_end) ||
        !mf_opt_get(c, s, "duration", SL_DUR, &p->dur, &p->has_dur) ||
        !mf_opt_get(c, s, "trace_id", SL_TRACE_ID, &p->trace_id, &p->has_trace_id) ||
        !mf_opt_get(c, s, "span_id", SL_SPAN_ID, &p->span_id, &p->has_span_id) ||
        !mf_opt_get(c, s, "parent_span_id", SL_SPAN_ID, &p->parent, &p->has_parent) ||
        !mf_opt_get(c, s, "traceparent", SL_VALUE, &p->traceparent, &p->has_traceparent) ||
        !mf_opt_get(c, s, "trace_state", SL_VALUE, &p->trace_state, &p->has_trace_state))
        return false;
    if (!p->has_start && !p->has_end)
        return mf_cfail(c, "expected \"start\" or \"end\" (when the span happened), got neither");
    const tf_json *st = tf_json_get(s, "status");
    if (st) {
        size_t old = mf_push_key(c, "status", 6);
        if (!compile_status(c, p, st))
            return false;
        mf_pop_key(c, old);
    }
    const tf_json *at = tf_json_get(s, "attributes");
    if (at) {
        size_t old = mf_push_key(c, "attributes", 10);
        if (!compile_attrs(c, at, &p->attrs))
            return false;
        mf_pop_key(c, old);
    }
    const tf_json *evs = tf_json_get(s, "events");
    if (evs) {
        size_t old = mf_push_key(c, "events", 6);
        if (!compile_events(c, p, evs))
            return false;
        mf_pop_key(c, old);
    }
    return true;
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

/* "format": a text log format (doc/mapping.md, "Text logs"), compiled once
 * here and shared read-only like the rest of the program; absent or "json":
 * the records are JSON. */
static bool compile_format(cc *c, mp_profile *p, const tf_json *m)
{
    const tf_json *v = tf_json_get(m, "format");
    if (!v)
        return true;
    tf_err e;
    tf_err_clear(&e);
    if (tf_text_format_from_json(v, p->now_ns, &p->text, &e) >= 0)
        return true;
    c->failed = true;
    tf_err_set(c->err, "%s: %s", c->file, e.msg);
    return false;
}

bool mf_compile(cc *c, mp_profile *p, const tf_map_env *env, const tf_json *m)
{
    if (m->type != TF_JSON_OBJECT)
        return mf_cfail(c, "expected a JSON object (the mapping), got %s", mf_jtype(m));
    static const char *const keys[] = { "version", "name", "format", "null_values", "resource", "scope", "skip",
                                        "span" };
    if (!mf_known_keys(c, m, keys, TF_ARRAY_LEN(keys)))
        return false;
    if (!compile_format(c, p, m))
        return false;
    const tf_json *v = tf_json_get(m, "version");
    if (v) {
        int64_t ver;
        size_t old = mf_push_key(c, "version", 7);
        if (!tf_json_is_integral(v) || !tf_json_as_int64(v, &ver) || ver != 1)
            return mf_cfail(c, "expected 1 (this tracefill reads mapping version 1), got %s",
                         v->type == TF_JSON_NUMBER ? v->str.p : mf_got(c, v));
        mf_pop_key(c, old);
    }
    v = tf_json_get(m, "name");
    if (v) {
        size_t old = mf_push_key(c, "name", 4);
        if (v->type != TF_JSON_STRING || !v->str.len)
            return mf_cfail(c, "expected a non-empty string, got %s", mf_got(c, v));
        p->base.name = v->str.p;
        mf_pop_key(c, old);
    }
    v = tf_json_get(m, "null_values");
    if (v) {
        size_t old = mf_push_key(c, "null_values", 11);
        if (v->type != TF_JSON_ARRAY)
            return mf_cfail(c, "expected an array of strings (such as [\"\", \"-\"]), got %s", mf_got(c, v));
        for (size_t i = 0; i < v->n; i++) {
            const tf_json *x = v->items[i];
            if (x->type == TF_JSON_OBJECT && !x->n)
                p->null_empty_object = true;
            else if (x->type == TF_JSON_ARRAY && !x->n)
                p->null_empty_array = true;
            else if (x->type != TF_JSON_STRING) {
                mf_push_idx(c, i);
                return mf_cfail(c, "expected a string, {} or [], got %s", mf_got(c, x));
            }
        }
        p->nulls = v->n ? v : NULL;
        for (size_t i = 0; i < v->n; i++)
            if (v->items[i]->type == TF_JSON_STRING && v->items[i]->str.len > p->null_maxlen)
                p->null_maxlen = v->items[i]->str.len;
        mf_pop_key(c, old);
    }
    const tf_json *span = tf_json_get(m, "span");
    if (!span) {
        size_t old = mf_push_key(c, "span", 4);
        mf_cfail(c, "missing (expected an object with at least \"name\" and \"start\" or \"end\")");
        mf_pop_key(c, old);
        return false;
    }
    size_t old = mf_push_key(c, "span", 4);
    if (!compile_span(c, p, span))
        return false;
    mf_pop_key(c, old);
    v = tf_json_get(m, "skip");
    if (v) {
        old = mf_push_key(c, "skip", 4);
        mcond *mc = tf_arena_calloc(c->a, sizeof *mc);
        if (!mf_compile_cond(c, v, mc))
            return false;
        p->skip = mc;
        mf_pop_key(c, old);
    }
    v = tf_json_get(m, "resource");
    if (v) {
        old = mf_push_key(c, "resource", 8);
        if (!compile_attrs(c, v, &p->res))
            return false;
        mf_pop_key(c, old);
    }
    v = tf_json_get(m, "scope");
    p->scope = env->scope;
    if (v) {
        old = mf_push_key(c, "scope", 5);
        p->scope = compile_scope(c, env, v);
        if (!p->scope)
            return false;
        mf_pop_key(c, old);
    }
    /* "remaining" last: every other path the mapping reads is known now. */
    v = tf_json_get(span, "remaining");
    if (v) {
        old = mf_push_key(c, "span", 4);
        mf_push_key(c, "remaining", 9);
        if (!pre_rest(c, v, &p->rest, &p->nrest))
            return false;
        for (size_t i = 0; i < p->nrest; i++)
            if (!finish_rest(c, &p->rest[i], &c->root_used))
                return false;
        mf_pop_key(c, old);
    }
    p->res_dynamic = !all_const(&p->res);
    build_slots(c, p);
    return true;
}
