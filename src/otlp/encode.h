/* encode.h: OTLP trace encodings, protobuf (wire format written by hand from
 * the opentelemetry-proto field numbers) and JSON (the OTLP/JSON mapping:
 * hex ids, lowerCamelCase keys, integer enums, 64-bit integers as strings).
 * A request is written from spans already encoded one by one, so batches can
 * be built incrementally and split without re-encoding.
 * Ownership: encoders append to the caller's tf_buf; nothing is retained. */
#ifndef TF_ENCODE_H
#define TF_ENCODE_H

#include "otlp/span.h"

typedef enum {
    TF_ENC_PROTOBUF = 0,
    TF_ENC_JSON = 1,
} tf_encoding;

/* Appends one encoded Span message (protobuf: the message body without tag and
 * length; JSON: one object). */
void tf_encode_span(tf_encoding enc, tf_buf *out, const tf_span *s);

/* One (resource, scope) group of already-encoded spans. */
typedef struct {
    const tf_resource *resource;
    const tf_scope *scope;
    const tf_str *spans; /* encoded span bodies, in order */
    size_t n_spans;
} tf_encode_group;

/* Appends a whole ExportTraceServiceRequest (JSON: one line, no newline). */
void tf_encode_request(tf_encoding enc, tf_buf *out, const tf_encode_group *groups, size_t n_groups);

/* Upper bound of the bytes a request adds around its spans, for batch sizing. */
size_t tf_encode_overhead(tf_encoding enc, const tf_resource *r, const tf_scope *s);
/* The same, remembering the last (resource, scope) asked about: callers ask
 * once per span and resources/scopes are interned, so it almost always hits.
 * It compares pointers: a cache must not outlive the resources it saw. */
typedef struct {
    const tf_resource *r;
    const tf_scope *s;
    size_t bytes;
} tf_overhead_cache;
size_t tf_encode_overhead_cached(tf_overhead_cache *c, tf_encoding enc, const tf_resource *r, const tf_scope *s);

/* The two backends behind the dispatchers above. */
void tf_encode_pb_span(tf_buf *out, const tf_span *s);
void tf_encode_pb_request(tf_buf *out, const tf_encode_group *groups, size_t n_groups);
void tf_encode_json_span(tf_buf *out, const tf_span *s);
void tf_encode_json_request(tf_buf *out, const tf_encode_group *groups, size_t n_groups);

/* Protobuf primitives, shared with the response decoder. */
void tf_pb_varint_slow(tf_buf *out, uint64_t v);
static inline void tf_pb_varint(tf_buf *out, uint64_t v)
{
    if (TF_LIKELY(v < 0x80 && out->len < out->cap)) {
        out->p[out->len++] = (char)v;
        return;
    }
    tf_pb_varint_slow(out, v);
}
void tf_pb_tag(tf_buf *out, uint32_t field, unsigned wire_type);
size_t tf_pb_begin(tf_buf *out, uint32_t field); /* opens a length-delimited field */
void tf_pb_end(tf_buf *out, size_t mark);         /* closes it, fixing the length */
/* Reads a varint at *p (< end); returns false on truncation/overflow. */
int tf_pb_read_varint(const uint8_t **p, const uint8_t *end, uint64_t *v);

/* OTLP/JSON AnyValue and attribute lists, shared with the profiles' output. */
void tf_json_write_value(tf_buf *out, const tf_value *v);
void tf_json_write_attrs(tf_buf *out, const tf_attrs *a);

#endif
