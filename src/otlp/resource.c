/* resource.c: content-addressed interning of resources and scopes.
 * The key is the protobuf encoding of the content, compared byte for byte. */
#include "config.h"
#include "otlp/resource.h"
#include "otlp/encode.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct entry {
    struct entry *next;  /* every entry, for freeing */
    struct entry *hnext; /* same hash bucket */
    uint64_t hash;
    tf_buf key;
    int is_scope;
    void *obj;
} entry;

struct tf_interner {
    tf_arena arena;
    entry *head;
    entry **tab; /* hash buckets over the keys: per-record resources make */
    size_t cap, n; /* a linear search quadratic */
    pthread_mutex_t mu; /* workers intern concurrently */
};

tf_interner *tf_interner_new(void)
{
    tf_interner *in = tf_xcalloc(1, sizeof *in);
    tf_arena_init(&in->arena, 16 * 1024);
    pthread_mutex_init(&in->mu, NULL);
    return in;
}

void tf_interner_free(tf_interner *in)
{
    if (!in)
        return;
    for (entry *e = in->head, *n; e; e = n) {
        n = e->next;
        tf_buf_free(&e->key);
        free(e);
    }
    free(in->tab);
    tf_arena_free(&in->arena);
    pthread_mutex_destroy(&in->mu);
    free(in);
}

tf_arena *tf_interner_arena(tf_interner *in)
{
    return &in->arena;
}

static tf_str copy_str(tf_arena *a, tf_str s)
{
    return (tf_str){ tf_arena_strndup(a, s.p ? s.p : "", s.len), s.len };
}

static uint64_t key_hash(const tf_buf *key, int is_scope)
{
    uint64_t h = 0xcbf29ce484222325ull ^ (uint64_t)is_scope; /* FNV-1a */
    for (size_t i = 0; i < key->len; i++)
        h = (h ^ (unsigned char)key->p[i]) * 0x100000001b3ull;
    return h;
}

static void *lookup(tf_interner *in, const tf_buf *key, int is_scope, uint64_t h)
{
    if (!in->cap)
        return NULL;
    for (entry *e = in->tab[h & (in->cap - 1)]; e; e = e->hnext)
        if (e->hash == h && e->is_scope == is_scope && e->key.len == key->len &&
            memcmp(e->key.p, key->p, key->len) == 0)
            return e->obj;
    return NULL;
}

static void remember(tf_interner *in, tf_buf *key, int is_scope, void *obj, uint64_t h)
{
    if (in->n + 1 > in->cap) { /* keep the load factor at most 1 */
        size_t cap = in->cap ? in->cap * 2 : 64;
        entry **tab = tf_xcalloc(cap, sizeof *tab);
        for (entry *e = in->head; e; e = e->next) {
            e->hnext = tab[e->hash & (cap - 1)];
            tab[e->hash & (cap - 1)] = e;
        }
        free(in->tab);
        in->tab = tab;
        in->cap = cap;
    }
    entry *e = tf_xcalloc(1, sizeof *e);
    e->key = *key;
    e->is_scope = is_scope;
    e->obj = obj;
    e->hash = h;
    e->next = in->head;
    in->head = e;
    e->hnext = in->tab[h & (in->cap - 1)];
    in->tab[h & (in->cap - 1)] = e;
    in->n++;
}

const tf_resource *tf_intern_resource(tf_interner *in, const tf_attrs *attrs, tf_str schema_url,
                                      uint32_t dropped)
{
    tf_resource tmp = { 0 };
    if (attrs)
        tmp.attrs = *attrs;
    tmp.attrs.dropped = dropped;
    tmp.schema_url = schema_url;
    tf_buf key = { 0 };
    tf_encode_group g = { &tmp, NULL, NULL, 0 };
    tf_encode_pb_request(&key, &g, 1);
    uint64_t h = key_hash(&key, 0);
    pthread_mutex_lock(&in->mu);
    tf_resource *r = lookup(in, &key, 0, h);
    if (r) {
        pthread_mutex_unlock(&in->mu);
        tf_buf_free(&key);
        return r;
    }
    r = tf_arena_calloc(&in->arena, sizeof *r);
    tf_attrs_copy(&r->attrs, attrs, &in->arena);
    r->attrs.dropped = dropped;
    r->schema_url = copy_str(&in->arena, schema_url);
    r->interned = true;
    remember(in, &key, 0, r, h);
    pthread_mutex_unlock(&in->mu);
    return r;
}

const tf_scope *tf_intern_scope(tf_interner *in, tf_str name, tf_str version, const tf_attrs *attrs,
                                tf_str schema_url, uint32_t dropped)
{
    tf_scope tmp = { .name = name, .version = version, .schema_url = schema_url };
    if (attrs)
        tmp.attrs = *attrs;
    tmp.attrs.dropped = dropped;
    tf_buf key = { 0 };
    tf_encode_group g = { NULL, &tmp, NULL, 0 };
    tf_encode_pb_request(&key, &g, 1);
    uint64_t h = key_hash(&key, 1);
    pthread_mutex_lock(&in->mu);
    tf_scope *s = lookup(in, &key, 1, h);
    if (s) {
        pthread_mutex_unlock(&in->mu);
        tf_buf_free(&key);
        return s;
    }
    s = tf_arena_calloc(&in->arena, sizeof *s);
    s->name = copy_str(&in->arena, name);
    s->version = copy_str(&in->arena, version);
    tf_attrs_copy(&s->attrs, attrs, &in->arena);
    s->attrs.dropped = dropped;
    s->schema_url = copy_str(&in->arena, schema_url);
    remember(in, &key, 1, s, h);
    pthread_mutex_unlock(&in->mu);
    return s;
}
