/* sketch.c: the latency histogram, space-saving heavy hitters, distinct ids. */
#include "config.h"
#include "usage/sketch.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* --- latency histogram --------------------------------------------------- */

size_t tf_lat_index(uint64_t us)
{
    if (us < TF_LAT_SUB)
        return (size_t)us;
    uint64_t top = (2ull << TF_LAT_MAX_EXP) - 1;
    if (us > top)
        us = top;
    unsigned e = 63u - (unsigned)__builtin_clzll(us); /* >= 5 */
    unsigned sub = (unsigned)(us >> (e - 5)) - TF_LAT_SUB;
    return TF_LAT_SUB + (size_t)(e - 5) * TF_LAT_SUB + sub;
}

void tf_lat_bounds(size_t idx, uint64_t *lo, uint64_t *hi_incl)
{
    if (idx < TF_LAT_SUB) {
        *lo = *hi_incl = idx;
        return;
    }
    size_t k = idx - TF_LAT_SUB;
    unsigned shift = (unsigned)(k / TF_LAT_SUB);
    uint64_t sub = k % TF_LAT_SUB;
    *lo = (TF_LAT_SUB + sub) << shift;
    *hi_incl = *lo + (1ull << shift) - 1;
}

void tf_lat_add(tf_lat_hist *h, uint64_t us)
{
    h->count[tf_lat_index(us)]++;
    h->n++;
}

uint64_t tf_lat_quantile(const tf_lat_hist *h, unsigned permille)
{
    if (!h->n || !permille)
        return 0;
    if (permille > 1000)
        permille = 1000;
    /* nearest rank: the smallest r with r >= n * q, exactly in integers */
    uint64_t rank = (h->n * permille + 999) / 1000, seen = 0;
    for (size_t i = 0; i < TF_LAT_BUCKETS; i++) {
        seen += h->count[i];
        if (seen >= rank) {
            uint64_t lo, hi;
            tf_lat_bounds(i, &lo, &hi);
            return hi;
        }
    }
    return 0; /* not reached: the counts add up to n */
}

/* --- heavy hitters ------------------------------------------------------- */

struct tf_topk {
    size_t cap, n;
    tf_topk_entry *e;
    uint64_t *hash; /* per entry */
    size_t *heap;   /* entry indices, a min-heap by (count, index) */
    size_t *pos;    /* entry → heap position */
    uint32_t *tab;  /* open addressing: entry index + 1, 0 empty */
    size_t tab_mask;
    bool replaced;
};

static uint64_t fnv1a(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 1099511628211ull;
    }
    return h;
}

tf_topk *tf_topk_new(size_t cap)
{
    tf_topk *t = tf_xcalloc(1, sizeof *t);
    t->cap = cap ? cap : 1;
    t->e = tf_xcalloc(t->cap, sizeof *t->e);
    t->hash = tf_xcalloc(t->cap, sizeof *t->hash);
    t->heap = tf_xcalloc(t->cap, sizeof *t->heap);
    t->pos = tf_xcalloc(t->cap, sizeof *t->pos);
    size_t sz = 16;
    while (sz < t->cap * 2)
        sz *= 2;
    t->tab = tf_xcalloc(sz, sizeof *t->tab);
    t->tab_mask = sz - 1;
    return t;
}

void tf_topk_free(tf_topk *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        free(t->e[i].key);
    free(t->e);
    free(t->hash);
    free(t->heap);
    free(t->pos);
    free(t->tab);
    free(t);
}

static bool heap_less(const tf_topk *t, size_t a, size_t b)
{
    return t->e[a].count != t->e[b].count ? t->e[a].count < t->e[b].count : a < b;
}

static void heap_swap(tf_topk *t, size_t i, size_t j)
{
    size_t a = t->heap[i], b = t->heap[j];
    t->heap[i] = b;
    t->heap[j] = a;
    t->pos[b] = i;
    t->pos[a] = j;
}

static void sift_up(tf_topk *t, size_t i)
{
    while (i && heap_less(t, t->heap[i], t->heap[(i - 1) / 2])) {
        heap_swap(t, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static void sift_down(tf_topk *t, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < t->n && heap_less(t, t->heap[l], t->heap[m]))
            m = l;
        if (r < t->n && heap_less(t, t->heap[r], t->heap[m]))
            m = r;
        if (m == i)
            return;
        heap_swap(t, i, m);
        i = m;
    }
}

/* The table slot holding key, or the empty slot where it would go. */
static size_t tab_find(const tf_topk *t, uint64_t h, const char *key, size_t len)
{
    for (size_t i = h & t->tab_mask;; i = (i + 1) & t->tab_mask) {
        uint32_t v = t->tab[i];
        if (!v)
            return i;
        const tf_topk_entry *e = &t->e[v - 1];
        if (t->hash[v - 1] == h && strlen(e->key) == len && !memcmp(e->key, key, len))
            return i;
    }
}

/* Removes slot i, moving later entries of the probe run back (no tombstones). */
static void tab_delete(tf_topk *t, size_t i)
{
    size_t j = i;
    for (;;) {
        t->tab[i] = 0;
        for (;;) {
            j = (j + 1) & t->tab_mask;
            if (!t->tab[j])
                return;
            size_t home = t->hash[t->tab[j] - 1] & t->tab_mask;
            /* stays when its home lies cyclically in (i, j] */
            if (i <= j ? (home <= i || home > j) : (home <= i && home > j))
                break;
        }
        t->tab[i] = t->tab[j];
        i = j;
    }
}

void tf_topk_add(tf_topk *t, const char *key, size_t len, bool error, uint64_t tokens, double cost)
{
    uint64_t h = fnv1a(key, len);
    size_t slot = tab_find(t, h, key, len);
    size_t idx;
    if (t->tab[slot]) {
        idx = t->tab[slot] - 1;
        t->e[idx].count++;
    } else if (t->n < t->cap) {
        idx = t->n++;
        t->e[idx] = (tf_topk_entry){ .key = tf_xstrndup(key, len), .count = 1 };
        t->hash[idx] = h;
        t->tab[slot] = (uint32_t)idx + 1;
        t->heap[idx] = idx;
        t->pos[idx] = idx;
        sift_up(t, idx);
    } else { /* replace the lightest */
        idx = t->heap[0];
        tab_delete(t, tab_find(t, t->hash[idx], t->e[idx].key, strlen(t->e[idx].key)));
        uint64_t min = t->e[idx].count;
        free(t->e[idx].key);
        t->e[idx] = (tf_topk_entry){ .key = tf_xstrndup(key, len), .count = min + 1, .over = min };
        t->hash[idx] = h;
        t->tab[tab_find(t, h, key, len)] = (uint32_t)idx + 1;
        t->replaced = true;
    }
    tf_topk_entry *e = &t->e[idx];
    e->errors += error;
    e->tokens += tokens;
    e->cost += cost;
    sift_down(t, t->pos[idx]);
}

bool tf_topk_exact(const tf_topk *t)
{
    return !t->replaced;
}

uint64_t tf_topk_max_over(const tf_topk *t)
{
    uint64_t m = 0;
    for (size_t i = 0; i < t->n; i++)
        m = TF_MAX(m, t->e[i].over);
    return m;
}

size_t tf_topk_size(const tf_topk *t)
{
    return t->n;
}

static int cmp_entry(const void *a, const void *b)
{
    const tf_topk_entry *x = *(const tf_topk_entry *const *)a, *y = *(const tf_topk_entry *const *)b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return strcmp(x->key, y->key);
}

size_t tf_topk_sorted(const tf_topk *t, const tf_topk_entry **out, size_t max)
{
    const tf_topk_entry **all = tf_xmalloc((t->n ? t->n : 1) * sizeof *all);
    for (size_t i = 0; i < t->n; i++)
        all[i] = &t->e[i];
    qsort(all, t->n, sizeof *all, cmp_entry);
    size_t k = TF_MIN(max, t->n);
    memcpy(out, all, k * sizeof *out);
    free(all);
    return k;
}

/* --- distinct ids -------------------------------------------------------- */

#define EXACT_MAX 65536u
#define EXACT_SLOTS (EXACT_MAX * 2u)
#define HLL_P 14
#define HLL_M (1u << HLL_P)

struct tf_distinct {
    uint64_t *set; /* EXACT_SLOTS, 0 empty; NULL once estimating */
    uint64_t n;
    uint8_t *reg;  /* HLL_M registers once estimating */
};

static uint64_t mix(const uint8_t id[16])
{
    uint64_t a, b;
    memcpy(&a, id, 8);
    memcpy(&b, id + 8, 8);
    uint64_t z = a ^ (b * 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

tf_distinct *tf_distinct_new(void)
{
    tf_distinct *d = tf_xcalloc(1, sizeof *d);
    d->set = tf_xcalloc(EXACT_SLOTS, sizeof *d->set);
    return d;
}

void tf_distinct_free(tf_distinct *d)
{
    if (!d)
        return;
    free(d->set);
    free(d->reg);
    free(d);
}

static void hll_add(tf_distinct *d, uint64_t h)
{
    uint32_t i = (uint32_t)(h >> (64 - HLL_P));
    uint64_t rest = (h << HLL_P) | (1ull << (HLL_P - 1)); /* a sentinel bit bounds the rank */
    uint8_t rank = (uint8_t)(__builtin_clzll(rest) + 1);
    if (rank > d->reg[i])
        d->reg[i] = rank;
}

void tf_distinct_add(tf_distinct *d, const uint8_t id[16])
{
    uint64_t h = mix(id);
    if (!d->set) {
        hll_add(d, h);
        return;
    }
    uint64_t v = h ? h : 1;
    for (size_t i = v & (EXACT_SLOTS - 1);; i = (i + 1) & (EXACT_SLOTS - 1)) {
        if (d->set[i] == v)
            return;
        if (!d->set[i]) {
            d->set[i] = v;
            break;
        }
    }
    if (++d->n <= EXACT_MAX)
        return;
    d->reg = tf_xcalloc(HLL_M, 1); /* too many to keep: estimate from here on */
    for (size_t i = 0; i < EXACT_SLOTS; i++)
        if (d->set[i])
            hll_add(d, d->set[i]);
    free(d->set);
    d->set = NULL;
}

bool tf_distinct_exact(const tf_distinct *d)
{
    return d->set != NULL;
}

uint64_t tf_distinct_count(const tf_distinct *d)
{
    if (d->set)
        return d->n;
    double sum = 0;
    unsigned zeros = 0;
    for (size_t i = 0; i < HLL_M; i++) {
        sum += ldexp(1.0, -(int)d->reg[i]);
        zeros += d->reg[i] == 0;
    }
    double m = HLL_M, e = 0.7213 / (1 + 1.079 / m) * m * m / sum;
    if (e <= 2.5 * m && zeros)
        e = m * log(m / zeros);
    return (uint64_t)llround(e);
}
