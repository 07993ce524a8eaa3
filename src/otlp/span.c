/* span.c: attribute lists, events, links and value helpers for tf_span. */
#include "config.h"
#include "otlp/span.h"

#include <string.h>

tf_kv *tf_attrs_add(tf_attrs *a, tf_arena *arena, tf_str key)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 16;
        tf_kv *kv = tf_arena_alloc(arena, cap * sizeof *kv);
        if (a->n)
            memcpy(kv, a->kv, a->n * sizeof *kv);
        a->kv = kv;
        a->cap = cap;
    }
    tf_kv *kv = &a->kv[a->n++];
    kv->key = key;
    memset(&kv->value, 0, sizeof kv->value);
    return kv;
}

void tf_attrs_str(tf_attrs *a, tf_arena *arena, const char *key, tf_str val)
{
    tf_kv *kv = tf_attrs_add(a, arena, tf_str_c(key));
    kv->value.type = TF_VAL_STRING;
    kv->value.u.s = val;
}

void tf_attrs_cstr(tf_attrs *a, tf_arena *arena, const char *key, const char *val)
{
    tf_attrs_str(a, arena, key, tf_str_c(val));
}

void tf_attrs_int(tf_attrs *a, tf_arena *arena, const char *key, int64_t val)
{
    tf_kv *kv = tf_attrs_add(a, arena, tf_str_c(key));
    kv->value.type = TF_VAL_INT;
    kv->value.u.i = val;
}

void tf_attrs_double(tf_attrs *a, tf_arena *arena, const char *key, double val)
{
    tf_kv *kv = tf_attrs_add(a, arena, tf_str_c(key));
    kv->value.type = TF_VAL_DOUBLE;
    kv->value.u.d = val;
}

void tf_attrs_bool(tf_attrs *a, tf_arena *arena, const char *key, bool val)
{
    tf_kv *kv = tf_attrs_add(a, arena, tf_str_c(key));
    kv->value.type = TF_VAL_BOOL;
    kv->value.u.b = val;
}

const tf_kv *tf_attrs_find(const tf_attrs *a, const char *key)
{
    size_t len = strlen(key);
    for (size_t i = 0; i < a->n; i++)
        if (a->kv[i].key.len == len && memcmp(a->kv[i].key.p, key, len) == 0)
            return &a->kv[i];
    return NULL;
}

void tf_value_copy(tf_value *dst, const tf_value *src, tf_arena *arena)
{
    *dst = *src;
    switch (src->type) {
    case TF_VAL_STRING:
    case TF_VAL_BYTES:
        dst->u.s.p = tf_arena_strndup(arena, src->u.s.p, src->u.s.len);
        break;
    case TF_VAL_ARRAY:
        dst->u.arr.v = tf_arena_alloc(arena, (src->u.arr.n ? src->u.arr.n : 1) * sizeof(tf_value));
        for (size_t i = 0; i < src->u.arr.n; i++)
            tf_value_copy(&dst->u.arr.v[i], &src->u.arr.v[i], arena);
        break;
    case TF_VAL_KVLIST:
        dst->u.kvl.kv = tf_arena_alloc(arena, (src->u.kvl.n ? src->u.kvl.n : 1) * sizeof(tf_kv));
        for (size_t i = 0; i < src->u.kvl.n; i++) {
            const tf_kv *s = &src->u.kvl.kv[i];
            tf_kv *d = &dst->u.kvl.kv[i];
            d->key.p = tf_arena_strndup(arena, s->key.p, s->key.len);
            d->key.len = s->key.len;
            tf_value_copy(&d->value, &s->value, arena);
        }
        break;
    default:
        break;
    }
}

bool tf_value_eq(const tf_value *a, const tf_value *b)
{
    if (a->type != b->type)
        return false;
    switch (a->type) {
    case TF_VAL_NONE: return true;
    case TF_VAL_STRING:
    case TF_VAL_BYTES: return tf_str_eq(a->u.s, b->u.s);
    case TF_VAL_BOOL: return a->u.b == b->u.b;
    case TF_VAL_INT: return a->u.i == b->u.i;
    case TF_VAL_DOUBLE: return memcmp(&a->u.d, &b->u.d, sizeof(double)) == 0;
    case TF_VAL_ARRAY:
        if (a->u.arr.n != b->u.arr.n)
            return false;
        for (size_t i = 0; i < a->u.arr.n; i++)
            if (!tf_value_eq(&a->u.arr.v[i], &b->u.arr.v[i]))
                return false;
        return true;
    case TF_VAL_KVLIST:
        if (a->u.kvl.n != b->u.kvl.n)
            return false;
        for (size_t i = 0; i < a->u.kvl.n; i++)
            if (!tf_str_eq(a->u.kvl.kv[i].key, b->u.kvl.kv[i].key) ||
                !tf_value_eq(&a->u.kvl.kv[i].value, &b->u.kvl.kv[i].value))
                return false;
        return true;
    }
    return false;
}

/* Events and links grow by doubling inside the arena (spans rarely have many). */
#define GROW(arr, n, arena)                                                                       \
    do {                                                                                          \
        if (((n) & ((n)-1)) == 0) {                                                               \
            size_t cap_ = (n) ? (n)*2 : 2;                                                        \
            void *nv_ = tf_arena_alloc((arena), cap_ * sizeof *(arr));                            \
            if (n)                                                                                \
                memcpy(nv_, (arr), (n) * sizeof *(arr));                                          \
            (arr) = nv_;                                                                          \
        }                                                                                         \
    } while (0)

tf_event *tf_span_add_event(tf_span *s, tf_arena *arena)
{
    GROW(s->events, s->n_events, arena);
    tf_event *e = &s->events[s->n_events++];
    memset(e, 0, sizeof *e);
    return e;
}

tf_link *tf_span_add_link(tf_span *s, tf_arena *arena)
{
    GROW(s->links, s->n_links, arena);
    tf_link *l = &s->links[s->n_links++];
    memset(l, 0, sizeof *l);
    return l;
}

void tf_attrs_copy(tf_attrs *dst, const tf_attrs *src, tf_arena *arena)
{
    memset(dst, 0, sizeof *dst);
    dst->dropped = src ? src->dropped : 0;
    if (!src || !src->n)
        return;
    dst->kv = tf_arena_alloc(arena, src->n * sizeof *dst->kv);
    dst->n = dst->cap = src->n;
    for (size_t i = 0; i < src->n; i++) {
        dst->kv[i].key.p = tf_arena_strndup(arena, src->kv[i].key.p, src->kv[i].key.len);
        dst->kv[i].key.len = src->kv[i].key.len;
        tf_value_copy(&dst->kv[i].value, &src->kv[i].value, arena);
    }
}

tf_resource *tf_resource_copy(const tf_resource *r, tf_arena *arena)
{
    tf_resource *c = tf_arena_calloc(arena, sizeof *c);
    tf_attrs_copy(&c->attrs, &r->attrs, arena);
    c->hash = r->hash;
    c->schema_url.p = tf_arena_strndup(arena, r->schema_url.p ? r->schema_url.p : "", r->schema_url.len);
    c->schema_url.len = r->schema_url.len;
    return c;
}

bool tf_resource_eq(const tf_resource *a, const tf_resource *b)
{
    if (a == b)
        return true;
    if (a->attrs.n != b->attrs.n || a->attrs.dropped != b->attrs.dropped || !tf_str_eq(a->schema_url, b->schema_url))
        return false;
    for (size_t i = 0; i < a->attrs.n; i++)
        if (!tf_str_eq(a->attrs.kv[i].key, b->attrs.kv[i].key) ||
            !tf_value_eq(&a->attrs.kv[i].value, &b->attrs.kv[i].value))
            return false;
    return true;
}
