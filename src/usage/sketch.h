/* sketch.h: bounded-memory summaries for the usage report.
 *
 * tf_lat_hist: latencies in whole microseconds in log-linear buckets: exact
 * below 32 us, then 32 buckets per power of two (each at most 1/32 of its
 * lower bound wide), up to 2^46 us (about 2 years; longer ones count there).
 * A quantile is the largest value of the bucket holding the nearest-rank
 * element (rank = ceil(q * n)): never below the exact value, at most 3.2%
 * above it. 1,376 counters, whatever the number of values.
 *
 * tf_topk: the heaviest keys of a stream by count (requests), with the
 * space-saving algorithm (Metwally et al., 2005): at most `cap` keys are
 * kept; a new key when full replaces the one with the smallest count and
 * starts from that count (its `over`, the most it may be overcounted by).
 * Any key with more than n/cap requests is kept. While no key was ever
 * replaced every figure is exact (tf_topk_exact). Tokens, cost and errors
 * are what a key accumulated while it was kept.
 *
 * tf_distinct: how many distinct 16-byte ids (trace ids): exact up to
 * 65,536 of them (a set of their first 8 bytes), then a HyperLogLog
 * estimate with 2^14 registers (standard error about 0.8%).
 *
 * Ownership: each owns its memory until its free; strings given to
 * tf_topk_add are copied. One thread. Nothing here fails or prints. */
#ifndef TF_USAGE_SKETCH_H
#define TF_USAGE_SKETCH_H

#include "common/util.h"

/* --- latency histogram --------------------------------------------------- */

#define TF_LAT_SUB 32
#define TF_LAT_MAX_EXP 46
#define TF_LAT_BUCKETS (TF_LAT_SUB + (TF_LAT_MAX_EXP - 5 + 1) * TF_LAT_SUB)

typedef struct {
    uint64_t n;
    uint64_t count[TF_LAT_BUCKETS];
} tf_lat_hist;

void tf_lat_add(tf_lat_hist *h, uint64_t us);
/* The quantile of permille/1000 (1..1000: 500 is the median) in
 * microseconds as described above; 0 when empty. */
uint64_t tf_lat_quantile(const tf_lat_hist *h, unsigned permille);
/* Bucket arithmetic, for tests: the index of us, and a bucket's bounds. */
size_t tf_lat_index(uint64_t us);
void tf_lat_bounds(size_t idx, uint64_t *lo, uint64_t *hi_incl);

/* --- heavy hitters ------------------------------------------------------- */

typedef struct {
    char *key;
    uint64_t count; /* requests, perhaps over by `over` */
    uint64_t over;
    uint64_t errors, tokens; /* accumulated while kept */
    double cost;
} tf_topk_entry;

typedef struct tf_topk tf_topk;

tf_topk *tf_topk_new(size_t cap);
void tf_topk_free(tf_topk *t);
void tf_topk_add(tf_topk *t, const char *key, size_t len, bool error, uint64_t tokens, double cost);
/* True while no key was ever replaced: every figure is exact. */
bool tf_topk_exact(const tf_topk *t);
/* The largest `over` of any key kept (0 when exact). */
uint64_t tf_topk_max_over(const tf_topk *t);
/* Keys kept, heaviest first (count, then key bytes); at most max of them
 * copied into out (pointers into the sketch, valid until the next add). */
size_t tf_topk_sorted(const tf_topk *t, const tf_topk_entry **out, size_t max);
/* How many distinct keys were seen while exact; else the keys kept. */
size_t tf_topk_size(const tf_topk *t);

/* --- distinct ids -------------------------------------------------------- */

typedef struct tf_distinct tf_distinct;

tf_distinct *tf_distinct_new(void);
void tf_distinct_free(tf_distinct *d);
void tf_distinct_add(tf_distinct *d, const uint8_t id[16]);
uint64_t tf_distinct_count(const tf_distinct *d);
bool tf_distinct_exact(const tf_distinct *d);

#endif
