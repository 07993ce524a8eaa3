/* batch.h: spans grouped into export requests bounded by span count and bytes.
 * Spans are encoded as they are added; a request is assembled from them when
 * the batch is sent, and any contiguous range of a batch's spans can be
 * re-assembled on its own (413 splitting). A batch also carries the stream
 * positions it completes ("marks"), so the checkpoint can advance when the
 * backend acknowledges it.
 * Ownership: a batch owns its encoded bytes; interned resources and scopes
 * are borrowed (they live for the whole run), a resource that is not
 * interned (one record's) is copied into the batch. */
#ifndef TF_BATCH_H
#define TF_BATCH_H

#include "otlp/encode.h"

typedef struct {
    uint32_t stream;  /* run-wide stream slot */
    uint64_t end;     /* decoded offset up to which the stream is done once acked */
    bool eof;         /* the stream was read to its end (or its error) */
    uint64_t raw;     /* about where that is in the raw (compressed) bytes */
    uint64_t records; /* records (frames) the mark completes */
} tf_mark;

typedef struct {
    size_t off, len;  /* in span_bytes */
    uint32_t group;
} tf_batch_span;

typedef struct tf_batch {
    uint64_t seq;
    tf_encoding enc;
    tf_buf span_bytes;
    tf_batch_span *spans;
    size_t n_spans, cap_spans;
    struct {
        const tf_resource *resource;
        const tf_scope *scope;
    } *groups;
    size_t n_groups, cap_groups;
    tf_arena *arena;  /* copies of resources that are not interned; NULL until one comes */
    size_t est_bytes; /* encoded request size estimate (exact to within a few bytes) */
    tf_mark *marks;
    size_t n_marks, cap_marks;
    struct {
        uint32_t stream, n;
    } *counts;        /* spans per stream slot, consecutive runs merged */
    size_t n_counts, cap_counts;
    tf_buf sidecar;   /* the caller's bytes that travel with the batch (the run's manifest lines) */
    uint64_t rejects_size; /* rejects file size when the batch was closed */
} tf_batch;

tf_batch *tf_batch_new(tf_encoding enc, uint64_t seq);
void tf_batch_free(tf_batch *b);
/* Appends one span already encoded with tf_encode_span in b->enc. Spans of
 * one interned resource share a group; a resource that is not interned is
 * copied and shares the last group only when equal to its resource. */
void tf_batch_add_encoded(tf_batch *b, const tf_resource *r, const tf_scope *s, const char *p,
                          size_t len);
/* Size a span would add, without adding it (for limit checks). */
size_t tf_batch_span_cost(tf_encoding enc, size_t encoded_len);
/* Records that stream `stream` is complete up to `end` once this batch is acked.
 * Consecutive marks of the same stream are merged. */
void tf_batch_mark(tf_batch *b, uint32_t stream, uint64_t end, bool eof);
/* The same, with the raw position and the number of records it completes
 * (consecutive marks: the latest position, the records added up). */
void tf_batch_mark_at(tf_batch *b, uint32_t stream, uint64_t end, uint64_t raw, uint64_t records, bool eof);
/* Counts n spans just added as stream's (for per-stream acknowledgements). */
void tf_batch_count(tf_batch *b, uint32_t stream, size_t n);
/* Writes the request for spans [from, to) into out (appending). */
void tf_batch_request(const tf_batch *b, size_t from, size_t to, tf_buf *out);

#endif
