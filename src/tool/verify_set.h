/* verify_set.h: the traces `tracefill verify` expects to find: each trace ID
 * with the span IDs it must hold and where it came from (input file, archive
 * member, record offset; from a manifest also the root span's name and start).
 * Built from the spans the feed produces (tool/cmd_verify.c) or from a
 * manifest (`run --manifest FILE`: one JSON object a line, plain, gzip or
 * zstd, detected by content):
 *   {"trace_id": "<32 hex>", "root": "<name>", "start": "<RFC 3339>",
 *    "spans": N, "span_ids": ["<16 hex>", ...], "source": "<file>",
 *    "member": "<member>" | null, "offset": <decoded byte offset>}
 * With a sample size k only the k traces with the smallest sampling key (a
 * hash of the trace ID) are kept, all their spans included, whatever order
 * the records come in (a bottom-k sample: even, and the same on every run).
 * No printing: errors go to the caller (err, or the bad_line hook).
 * Ownership: the set owns everything in it; pointers into it stay valid until
 * the next add or tf_vset_free. One thread. */
#ifndef TF_VERIFY_SET_H
#define TF_VERIFY_SET_H

#include "common/err.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    uint8_t id[16];
    uint64_t key;       /* sampling key */
    uint8_t *spans;     /* 8 bytes per span ID; sorted and unique after tf_vset_seal */
    uint32_t n, cap;
    const char *source; /* input file, or NULL */
    const char *member; /* archive member, or NULL */
    const char *root;   /* the root span's name (manifest only), or NULL */
    const char *start;  /* its start time as the manifest wrote it, or NULL */
    uint64_t offset;
    bool has_offset;
    bool dead;          /* dropped from the sample */
} tf_vtrace;

typedef struct tf_vset tf_vset;

/* sample: keep at most that many traces; 0 keeps all. */
tf_vset *tf_vset_new(size_t sample);
void tf_vset_free(tf_vset *s);

/* One span of trace id; the strings are copied (the first span of a trace
 * sets where it came from). */
void tf_vset_add(tf_vset *s, const uint8_t id[16], const uint8_t span_id[8], const char *source,
                 const char *member, uint64_t offset);

/* Reads a manifest. A line that is no manifest object goes to bad_line
 * ("FILE: line 7: trace_id is not 32 hex digits") and is skipped; -1 with err
 * when the file cannot be read at all (or fails part-way). */
int tf_vset_read_manifest(tf_vset *s, const char *path, void (*bad_line)(void *ctx, const char *msg), void *ctx,
                          tf_err *err);

/* Drops the sampled-out traces, sorts and dedupes each trace's span IDs.
 * After it: tf_vset_count traces, in the order they were first seen. */
void tf_vset_seal(tf_vset *s);
size_t tf_vset_count(const tf_vset *s);
tf_vtrace *tf_vset_at(tf_vset *s, size_t i);
/* Traces and spans offered (before sampling), and spans kept (after seal). */
uint64_t tf_vset_traces_seen(const tf_vset *s);
uint64_t tf_vset_spans_seen(const tf_vset *s);
uint64_t tf_vset_spans_kept(const tf_vset *s);

/* The sampling key of a trace ID (splitmix64 of its halves). */
uint64_t tf_vset_key(const uint8_t id[16]);

#endif
