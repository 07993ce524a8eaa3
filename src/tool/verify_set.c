/* verify_set.c: the expected traces (see verify_set.h): a vector of traces,
 * an open-addressing index by trace ID, and for sampling a max-heap of the
 * kept traces' keys. */
#include "config.h"
#include "tool/verify_set.h"
#include "common/json.h"
#include "input/source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOT_EMPTY UINT32_MAX
#define SLOT_TOMB (UINT32_MAX - 1)

struct tf_vset {
    size_t sample;
    tf_vtrace *v;        /* every trace ever kept, in first-seen order */
    size_t n, cap, live;
    uint32_t *slots;     /* index into v, SLOT_EMPTY or SLOT_TOMB */
    size_t n_slots, used; /* used: live entries plus tombstones */
    uint32_t *heap;      /* sampling: live traces, the largest key on top */
    size_t n_heap;
    tf_arena strings;
    const char *last_source, *last_member; /* arena copies of the last strings added */
    uint8_t last_offered[16];
    bool offered_any;
    uint64_t traces_seen, spans_seen, spans_kept;
};

uint64_t tf_vset_key(const uint8_t id[16])
{
    uint64_t a = 0, b = 0;
    for (int i = 0; i < 8; i++) {
        a = a << 8 | id[i];
        b = b << 8 | id[8 + i];
    }
    uint64_t z = a ^ (b * 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

tf_vset *tf_vset_new(size_t sample)
{
    tf_vset *s = tf_xcalloc(1, sizeof *s);
    s->sample = sample;
    s->n_slots = 1024;
    s->slots = tf_xmalloc(s->n_slots * sizeof *s->slots);
    for (size_t i = 0; i < s->n_slots; i++)
        s->slots[i] = SLOT_EMPTY;
    tf_arena_init(&s->strings, 64 * 1024);
    return s;
}

void tf_vset_free(tf_vset *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i].spans);
    free(s->v);
    free(s->slots);
    free(s->heap);
    tf_arena_free(&s->strings);
    free(s);
}

/* The slot holding id, or the empty slot where it would go (*found false). */
static size_t find_slot(const tf_vset *s, const uint8_t id[16], uint64_t key, bool *found)
{
    size_t mask = s->n_slots - 1, i = (size_t)key & mask, tomb = SIZE_MAX;
    for (;;) {
        uint32_t x = s->slots[i];
        if (x == SLOT_EMPTY) {
            *found = false;
            return tomb != SIZE_MAX ? tomb : i;
        }
        if (x == SLOT_TOMB) {
            if (tomb == SIZE_MAX)
                tomb = i;
        } else if (s->v[x].key == key && !memcmp(s->v[x].id, id, 16)) {
            *found = true;
            return i;
        }
        i = (i + 1) & mask;
    }
}

static void rehash(tf_vset *s)
{
    size_t want = s->n_slots;
    while (s->live * 2 >= want)
        want *= 2;
    free(s->slots);
    s->n_slots = want;
    s->slots = tf_xmalloc(want * sizeof *s->slots);
    for (size_t i = 0; i < want; i++)
        s->slots[i] = SLOT_EMPTY;
    s->used = 0;
    for (size_t k = 0; k < s->n; k++) {
        if (s->v[k].dead)
            continue;
        bool found;
        size_t i = find_slot(s, s->v[k].id, s->v[k].key, &found);
        s->slots[i] = (uint32_t)k;
        s->used++;
    }
}

/* ---- the sample's heap (largest key first) ------------------------------------- */

static uint64_t hkey(const tf_vset *s, size_t i)
{
    return s->v[s->heap[i]].key;
}

static void heap_push(tf_vset *s, uint32_t idx)
{
    s->heap = tf_xrealloc(s->heap, (s->n_heap + 1) * sizeof *s->heap);
    size_t i = s->n_heap++;
    s->heap[i] = idx;
    while (i && hkey(s, (i - 1) / 2) < hkey(s, i)) {
        uint32_t t = s->heap[i];
        s->heap[i] = s->heap[(i - 1) / 2];
        s->heap[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
}

static uint32_t heap_pop(tf_vset *s)
{
    uint32_t top = s->heap[0];
    s->heap[0] = s->heap[--s->n_heap];
    for (size_t i = 0;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < s->n_heap && hkey(s, l) > hkey(s, m))
            m = l;
        if (r < s->n_heap && hkey(s, r) > hkey(s, m))
            m = r;
        if (m == i)
            break;
        uint32_t t = s->heap[i];
        s->heap[i] = s->heap[m];
        s->heap[m] = t;
        i = m;
    }
    return top;
}

static void evict(tf_vset *s, uint32_t idx)
{
    tf_vtrace *t = &s->v[idx];
    bool found;
    size_t i = find_slot(s, t->id, t->key, &found);
    if (found)
        s->slots[i] = SLOT_TOMB;
    s->spans_kept -= t->n;
    free(t->spans);
    t->spans = NULL;
    t->n = t->cap = 0;
    t->dead = true;
    s->live--;
}

/* ---- adding ---------------------------------------------------------------------- */

static const char *keep_str(tf_vset *s, const char **last, const char *str)
{
    if (!str)
        return NULL;
    if (!*last || strcmp(*last, str) != 0)
        *last = tf_arena_strndup(&s->strings, str, strlen(str));
    return *last;
}

static void add_span_id(tf_vset *s, tf_vtrace *t, const uint8_t span_id[8])
{
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 4;
        t->spans = tf_xrealloc(t->spans, (size_t)t->cap * 8);
    }
    memcpy(t->spans + (size_t)t->n * 8, span_id, 8);
    t->n++;
    s->spans_kept++;
}

/* The trace for id, created when new and inside the sample; NULL when not kept. */
static tf_vtrace *trace_for(tf_vset *s, const uint8_t id[16])
{
    uint64_t key = tf_vset_key(id);
    bool found;
    size_t slot = find_slot(s, id, key, &found);
    if (found)
        return &s->v[s->slots[slot]];
    if (s->sample && s->live >= s->sample) {
        if (key >= hkey(s, 0))
            return NULL; /* outside the sample, now and for good */
        evict(s, heap_pop(s));
        slot = find_slot(s, id, key, &found);
    }
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 1024;
        s->v = tf_xrealloc(s->v, s->cap * sizeof *s->v);
    }
    uint32_t idx = (uint32_t)s->n++;
    tf_vtrace *t = &s->v[idx];
    memset(t, 0, sizeof *t);
    memcpy(t->id, id, 16);
    t->key = key;
    if (s->slots[slot] == SLOT_EMPTY)
        s->used++;
    s->slots[slot] = idx;
    s->live++;
    if (s->sample)
        heap_push(s, idx);
    if (s->used * 10 >= s->n_slots * 7)
        rehash(s);
    return &s->v[idx];
}

void tf_vset_add(tf_vset *s, const uint8_t id[16], const uint8_t span_id[8], const char *source,
                 const char *member, uint64_t offset)
{
    s->spans_seen++;
    if (!s->offered_any || memcmp(s->last_offered, id, 16) != 0) {
        s->traces_seen++;
        memcpy(s->last_offered, id, 16);
        s->offered_any = true;
    }
    tf_vtrace *t = trace_for(s, id);
    if (!t)
        return;
    if (!t->n && !t->source) {
        t->source = keep_str(s, &s->last_source, source);
        t->member = keep_str(s, &s->last_member, member);
        t->offset = offset;
        t->has_offset = true;
    }
    add_span_id(s, t, span_id);
}

static int cmp8(const void *a, const void *b)
{
    return memcmp(a, b, 8);
}

void tf_vset_seal(tf_vset *s)
{
    size_t w = 0;
    for (size_t r = 0; r < s->n; r++) {
        if (s->v[r].dead)
            continue;
        tf_vtrace *t = &s->v[w++];
        if (t != &s->v[r])
            *t = s->v[r];
        qsort(t->spans, t->n, 8, cmp8);
        uint32_t u = 0;
        for (uint32_t i = 0; i < t->n; i++)
            if (!u || memcmp(t->spans + (size_t)(u - 1) * 8, t->spans + (size_t)i * 8, 8) != 0)
                memmove(t->spans + (size_t)u++ * 8, t->spans + (size_t)i * 8, 8);
        s->spans_kept -= t->n - u;
        t->n = u;
    }
    s->n = s->live = w;
    free(s->heap);
    s->heap = NULL;
    s->n_heap = 0;
    s->sample = 0; /* the sample is final: nothing is evicted any more */
    rehash(s);
}

size_t tf_vset_count(const tf_vset *s)
{
    return s->n;
}

tf_vtrace *tf_vset_at(tf_vset *s, size_t i)
{
    return &s->v[i];
}

uint64_t tf_vset_traces_seen(const tf_vset *s)
{
    return s->traces_seen;
}

uint64_t tf_vset_spans_seen(const tf_vset *s)
{
    return s->spans_seen;
}

uint64_t tf_vset_spans_kept(const tf_vset *s)
{
    return s->spans_kept;
}

/* ---- manifests ------------------------------------------------------------------- */

static tf_vtrace *lookup(tf_vset *s, const uint8_t id[16])
{
    bool found;
    size_t slot = find_slot(s, id, tf_vset_key(id), &found);
    return found ? &s->v[s->slots[slot]] : NULL;
}

static bool hex_id(const tf_json *v, uint8_t *out, size_t n)
{
    return v && v->type == TF_JSON_STRING && v->str.len == n * 2 && tf_hex_decode(out, v->str.p, n) == 0;
}

static const char *opt_str(tf_vset *s, const tf_json *obj, const char *key)
{
    const tf_json *v = tf_json_get_nn(obj, key);
    if (!v || v->type != TF_JSON_STRING)
        return NULL;
    return tf_arena_strndup(&s->strings, v->str.p, v->str.len);
}

/* One manifest line; NULL, or why it is no manifest object. */
static const char *manifest_line(tf_vset *s, tf_json_parser *p, tf_arena *a, const char *text, size_t len,
                                 tf_err *why)
{
    const tf_json *o = tf_json_parse_one(p, a, text, len, why);
    if (!o)
        return why->msg;
    if (o->type != TF_JSON_OBJECT)
        return "not a JSON object";
    uint8_t id[16];
    if (!hex_id(tf_json_get_nn(o, "trace_id"), id, 16))
        return "trace_id is not 32 hex digits";
    const tf_json *ids = tf_json_get_nn(o, "span_ids");
    if (!ids || ids->type != TF_JSON_ARRAY || !ids->n)
        return "span_ids is not a non-empty array";
    uint8_t (*spans)[8] = tf_xmalloc(ids->n * 8);
    for (size_t i = 0; i < ids->n; i++)
        if (!hex_id(ids->items[i], spans[i], 8)) {
            free(spans);
            tf_err_set(why, "span_ids[%zu] is not 16 hex digits", i);
            return why->msg;
        }
    int64_t n = 0, off = 0;
    const tf_json *nv = tf_json_get_nn(o, "spans"), *ov = tf_json_get_nn(o, "offset");
    if (nv && (!tf_json_as_int64(nv, &n) || n != (int64_t)ids->n)) {
        free(spans);
        tf_err_set(why, "spans is not the number of span_ids (%zu)", ids->n);
        return why->msg;
    }
    if (ov && (!tf_json_as_int64(ov, &off) || off < 0)) {
        free(spans);
        return "offset is not a byte offset";
    }
    const tf_json *src = tf_json_get_nn(o, "source"), *mem = tf_json_get_nn(o, "member");
    char *source = src && src->type == TF_JSON_STRING ? tf_xstrndup(src->str.p, src->str.len) : NULL;
    char *member = mem && mem->type == TF_JSON_STRING ? tf_xstrndup(mem->str.p, mem->str.len) : NULL;
    bool fresh = false;
    for (size_t i = 0; i < ids->n; i++) {
        size_t before = tf_vset_count(s);
        tf_vset_add(s, id, spans[i], source, member, (uint64_t)off);
        fresh = fresh || tf_vset_count(s) != before;
    }
    tf_vtrace *t = lookup(s, id);
    if (t && fresh) {
        t->has_offset = ov != NULL;
        t->root = opt_str(s, o, "root");
        t->start = opt_str(s, o, "start");
    }
    free(source);
    free(member);
    free(spans);
    return NULL;
}

typedef struct {
    tf_vset *s;
    const char *path;
    tf_json_parser *p;
    tf_arena a;
    uint64_t lineno;
    void (*bad_line)(void *ctx, const char *msg);
    void *ctx;
} mf_reader;

static void one_line(mf_reader *r, const char *text, size_t n)
{
    r->lineno++;
    while (n && (text[n - 1] == '\r' || text[n - 1] == ' ' || text[n - 1] == '\t'))
        n--;
    while (n && (*text == ' ' || *text == '\t')) {
        text++;
        n--;
    }
    if (!n)
        return;
    tf_err why;
    const char *bad = manifest_line(r->s, r->p, &r->a, text, n, &why);
    tf_arena_reset(&r->a);
    if (bad && r->bad_line) {
        tf_buf m = { 0 };
        tf_buf_printf(&m, "%s: line %llu: %s", r->path, (unsigned long long)r->lineno, bad);
        r->bad_line(r->ctx, tf_buf_cstr(&m));
        tf_buf_free(&m);
    }
}

int tf_vset_read_manifest(tf_vset *s, const char *path, void (*bad_line)(void *ctx, const char *msg), void *ctx,
                          tf_err *err)
{
    tf_stream *st = tf_stream_open_file(path, err);
    if (!st)
        return -1;
    mf_reader r = { .s = s, .path = path, .p = tf_json_parser_new(), .bad_line = bad_line, .ctx = ctx };
    tf_arena_init(&r.a, 16 * 1024);
    tf_buf line = { 0 };
    char buf[64 * 1024];
    int rc = 0;
    for (;;) {
        ssize_t got = tf_stream_read(st, buf, sizeof buf, err);
        if (got < 0) {
            tf_err_prefix(err, "%s", path);
            rc = -1;
            break;
        }
        if (got == 0) {
            if (line.len)
                one_line(&r, line.p, line.len);
            break;
        }
        size_t start = 0;
        for (size_t i = 0; i < (size_t)got; i++) {
            if (buf[i] != '\n')
                continue;
            if (line.len) {
                tf_buf_append(&line, buf + start, i - start);
                one_line(&r, line.p, line.len);
                line.len = 0;
            } else {
                one_line(&r, buf + start, i - start);
            }
            start = i + 1;
        }
        tf_buf_append(&line, buf + start, (size_t)got - start);
    }
    tf_buf_free(&line);
    tf_arena_free(&r.a);
    tf_json_parser_free(r.p);
    tf_stream_close(st);
    return rc;
}
