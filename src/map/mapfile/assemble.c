/* assemble.c: mapping one record: the span, its ids and times, attributes,
 * "remaining" fields, events and resource. */
#include "config.h"
#include "map/mapfile/program.h"
#include "common/ids.h"
#include "common/timefmt.h"

#include <stdlib.h>
#include <string.h>

/* ---- attributes, remaining, events, resource ----------------------------- */

bool mf_add_attrs(const mattrs *m, const ev *e, tf_attrs *at, bool privacy, tf_err *why)
{
    for (size_t i = 0; i < m->n; i++) {
        const mattr *a = &m->v[i];
        if (a->get.private && privacy)
            continue;
        attr_out o = { at, a->key };
        if (!mf_get_conv(&a->get, e, mf_conv_attr, &o) && a->get.required) {
            if (why)
                mf_reason(why, e, &a->get, "a usable value");
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
        if (mf_is_null_value(e->p, v))
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
        const tf_json *obj = r->from ? mf_path_get(r->from, e) : e->base;
        if (!obj || obj->type != TF_JSON_OBJECT || r->excl.leaf)
            continue;
        const int16_t *kcls = r->slot_kid && e->slots && obj == e->root ? e->st->kcls : NULL;
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
            src = mf_path_get(me->from, e);
            if (!src)
                continue;
            n = src->type == TF_JSON_ARRAY ? src->n : 1;
        }
        for (size_t k = 0; k < n; k++) {
            ev ee = *e;
            ee.base = me->from && src->type == TF_JSON_ARRAY ? src->items[k] : src;
            if (ee.base->type == TF_JSON_NULL || (me->when && !mf_cond_eval(me->when, &ee)))
                continue;
            if (s->n_events >= me->max) {
                s->dropped_events++;
                continue;
            }
            tf_str name;
            uint64_t t = s->start_ns;
            int64_t off;
            if (!mf_get_conv(&me->name, &ee, mf_conv_text, &name) ||
                (me->has_time && !mf_get_conv(&me->time, &ee, mf_conv_time, &t)) ||
                (me->has_offset && !mf_get_conv(&me->offset, &ee, mf_conv_dur, &off))) {
                s->dropped_events++;
                continue;
            }
            if (me->has_offset)
                t = s->start_ns + (uint64_t)off;
            tf_event *ev_ = tf_span_add_event(s, e->a);
            ev_->name = name;
            ev_->time_ns = t;
            if (!mf_add_attrs(&me->attrs, &ee, &ev_->attrs, privacy, NULL)) {
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

/* Distinct resources one thread interns (they live for the run); past
 * them, a record's resource is its own, in the record's arena, so that a
 * resource built from a per-request field cannot grow memory without bound. */
#define MF_RES_INTERNED 4096

static void cache_put(mf_state *p, uint64_t h, const char *k, size_t len, const tf_resource *r)
{
    if (!p->cache_cap) {
        p->cache_cap = 256;
        p->cache = tf_xcalloc(p->cache_cap, sizeof *p->cache);
    } else if ((p->cache_n + 1) * 2 > p->cache_cap) { /* at most 2 * MF_RES_INTERNED slots */
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
 * interned resource without encoding or mallocs. Once this thread has
 * interned MF_RES_INTERNED of them, a new one stays the record's (not
 * interned, in its arena: the worker and the batch copy it). */
static const tf_resource *record_resource(const mp_profile *p, mf_state *st, const ev *e, bool privacy,
                                          tf_err *why)
{
    tf_attrs attrs = { 0 };
    if (!mf_add_attrs(&p->res, e, &attrs, privacy, why))
        return NULL;
    tf_buf *b = &st->rbuf;
    b->len = 0;
    tf_buf_reserve(b, 1); /* a resource with no attribute is a key too: never a NULL pointer */
    for (size_t i = 0; i < attrs.n; i++) {
        tf_buf_append(b, &attrs.kv[i].key.len, sizeof(size_t));
        tf_buf_append(b, attrs.kv[i].key.p, attrs.kv[i].key.len);
        ser_value(b, &attrs.kv[i].value);
    }
    uint64_t h = fnv1a(b->p, b->len);
    if (st->cache_cap) {
        size_t j = h & (st->cache_cap - 1);
        while (st->cache[j].key) {
            if (st->cache[j].h == h && st->cache[j].len == b->len && !memcmp(st->cache[j].key, b->p, b->len))
                return st->cache[j].r;
            j = (j + 1) & (st->cache_cap - 1);
        }
    }
    tf_profile_add_resource_opts(p->base.env, &attrs, e->a);
    if (st->cache_n >= MF_RES_INTERNED) {
        tf_resource *own = tf_arena_calloc(e->a, sizeof *own);
        own->attrs = attrs;
        own->schema_url = TF_STR("");
        return own;
    }
    const tf_resource *r = tf_intern_resource(p->base.env->interner, &attrs, TF_STR(""), 0);
    cache_put(st, h, b->p, b->len, r);
    return r;
}

/* ---- the span ------------------------------------------------------------ */

static bool span_times(const mp_profile *p, const ev *e, uint64_t *start, uint64_t *end, tf_err *why)
{
    bool hs = p->has_start && mf_get_conv(&p->start, e, mf_conv_time, start);
    bool he = p->has_end && mf_get_conv(&p->end, e, mf_conv_time, end);
    int64_t d = 0;
    bool hd = !(hs && he) && p->has_dur && mf_get_conv(&p->dur, e, mf_conv_dur, &d);
    if (hs && he) {
        /* both given */
    } else if (hs) {
        if (hd && (uint64_t)d > TF_TIME_MAX_NS - *start) {
            tf_err_set(why, "%s: start + duration is beyond the year 2262", p->dur.where);
            return false;
        }
        *end = *start + (uint64_t)d;
    } else if (he) {
        if (hd && (uint64_t)d > *end) {
            tf_err_set(why, "%s: the duration is longer than the time since 1970 at the end", p->dur.where);
            return false;
        }
        *start = *end - (uint64_t)d;
    } else {
        tf_buf b = { 0 };
        tf_buf_puts(&b, "no time: ");
        if (p->has_start) {
            tf_buf_printf(&b, "%s: ", p->start.where);
            mf_explain_get(&b, &p->start, e, "a timestamp");
        }
        if (p->has_end) {
            tf_buf_printf(&b, "%s%s: ", p->has_start ? "; " : "", p->end.where);
            mf_explain_get(&b, &p->end, e, "a timestamp");
        }
        mf_why_from_buf(why, &b);
        return false;
    }
    if (*end < *start) {
        char s1[31], s2[31];
        tf_time_format(*start, s1);
        tf_time_format(*end, s2);
        tf_err_set(why, "the span ends (%s) before it starts (%s)", s2, s1);
        return false;
    }
    return true;
}

static bool span_ids(const mp_profile *p, const tf_record *rec, const ev *e, tf_span *s, tf_err *why)
{
    idout own = { .derived = false };
    if (p->has_span_id) {
        if (!mf_get_conv(&p->span_id, e, mf_conv_span_id, &own)) {
            mf_reason(why, e, &p->span_id, "a 16-hex span id");
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
        if (mf_get_conv(&p->traceparent, e, mf_conv_text, &tp) &&
            tf_traceparent_parse(tp.p, tp.len, s->trace_id, pid, &flags)) {
            have_trace = true;
            memcpy(s->parent_span_id, pid, 8);
            s->has_parent = true;
            s->flags = flags;
        }
    }
    if (!have_trace && p->has_trace_id) {
        idout t;
        if (!mf_get_conv(&p->trace_id, e, mf_conv_trace_id, &t)) {
            mf_reason(why, e, &p->trace_id, "a trace id (32 hex digits or a UUID)");
            return false;
        }
        memcpy(s->trace_id, t.trace, 16);
        have_trace = true;
    }
    if (!have_trace)
        memcpy(s->trace_id, own.trace, 16);
    if (p->has_parent) {
        idout par;
        if (mf_get_conv(&p->parent, e, mf_conv_span_id, &par)) {
            memcpy(s->parent_span_id, par.span, 8);
            s->has_parent = true;
        }
    }
    if (p->has_trace_state) {
        tf_str ts;
        if (mf_get_conv(&p->trace_state, e, mf_conv_text, &ts))
            s->trace_state = ts;
    }
    return true;
}

int mf_mp_map(const tf_profile *pp, tf_profile_state *sp, const tf_record *rec, tf_map_out *out, tf_err *why)
{
    const mp_profile *p = (const mp_profile *)pp;
    mf_state *st = (mf_state *)sp;
    const tf_json *r = rec->json;
    if (!r || r->type != TF_JSON_OBJECT) {
        tf_err_set(why, "record is not a JSON object");
        return TF_MAP_REJECT;
    }
    const bool privacy = pp->env->opts->privacy;
    ev e = { r, r, out->arena, p, st, NULL };
    if (p->nslots) {
        memset(st->slotv, 0, p->nslots * sizeof *st->slotv);
        if (r->n > st->kcls_cap) {
            free(st->kcls);
            st->kcls_cap = r->n * 2;
            st->kcls = tf_xmalloc(st->kcls_cap * sizeof *st->kcls);
        }
        for (size_t i = 0; i < r->n; i++) {
            int sl = slot_find(p, r->keys[i].p, r->keys[i].len);
            st->kcls[i] = (int16_t)sl;
            if (sl >= 0)
                st->slotv[sl] = r->items[i]; /* a later duplicate wins */
        }
        e.slots = st->slotv;
    }
    if (p->skip && mf_cond_eval(p->skip, &e))
        return TF_MAP_OK;
    uint64_t start = 0, end = 0;
    if (!span_times(p, &e, &start, &end, why))
        return TF_MAP_REJECT;
    tf_str name;
    if (!mf_get_conv(&p->name, &e, mf_conv_text, &name)) {
        mf_reason(why, &e, &p->name, "text");
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
    if (p->has_kind && !mf_get_conv(&p->kind, &e, mf_conv_kind, &kind))
        kind = TF_KIND_INTERNAL;
    s->kind = (tf_span_kind)kind;
    for (size_t i = 0; i < p->nstatus; i++) {
        const mstatus *ms = &p->status[i];
        int code;
        if ((ms->when && !mf_cond_eval(ms->when, &e)) || !mf_get_conv(&ms->code, &e, mf_conv_code, &code))
            continue;
        s->status = (tf_status_code)code;
        tf_str msg;
        if (ms->has_msg && mf_get_conv(&ms->msg, &e, mf_conv_text, &msg))
            s->status_message = msg;
        break;
    }
    s->attrs.cap = st->attr_hint;
    s->attrs.kv = tf_arena_alloc(out->arena, st->attr_hint * sizeof *s->attrs.kv);
    if (!mf_add_attrs(&p->attrs, &e, &s->attrs, privacy, why)) {
        out->n = n0;
        return TF_MAP_REJECT;
    }
    add_rest(p->rest, p->nrest, &e, &s->attrs, privacy, &p->attrs);
    if (s->attrs.n > st->attr_hint)
        st->attr_hint = s->attrs.n;
    add_events(p, &e, s, privacy);
    s->scope = p->scope;
    s->resource = p->res_dynamic ? record_resource(p, st, &e, privacy, why) : p->resource;
    if (!s->resource) {
        out->n = n0;
        return TF_MAP_REJECT;
    }
    return TF_MAP_OK;
}

tf_profile_state *mf_state_new(const tf_profile *pp)
{
    const mp_profile *p = (const mp_profile *)pp;
    mf_state *st = tf_xcalloc(1, sizeof *st);
    st->slotv = tf_xcalloc(p->nslots ? p->nslots : 1, sizeof *st->slotv);
    st->attr_hint = 16;
    return (tf_profile_state *)st;
}

void mf_state_free(tf_profile_state *sp)
{
    mf_state *st = (mf_state *)sp;
    if (!st)
        return;
    for (size_t i = 0; i < st->cache_cap; i++)
        free(st->cache[i].key);
    free(st->cache);
    tf_buf_free(&st->tbuf);
    tf_buf_free(&st->jbuf);
    tf_buf_free(&st->rbuf);
    tf_buf_free(&st->dkey);
    tf_buf_free(&st->dlast);
    free(st->kcls);
    free(st->slotv);
    free(st);
}
