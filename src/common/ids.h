/* ids.h: trace and span identifiers: parsing the forms logs carry and the
 * deterministic derivation that makes re-runs produce identical IDs.
 * Pure functions; no allocation, thread-safe.
 *
 * Derivation (documented in doc/ids.md, pinned by golden vectors):
 *   d = SHA-256("tracefill:v1\0" || key)
 *   trace id = d[0..16), span id = d[16..24)
 *   an all-zero id (probability 2^-128 / 2^-64) gets its last byte set to 1.
 * This is tracefill's own recipe, used by mapping files (map/mapfile/): keys
 * are built from the record's identity for the root span and
 * "<identity>\0<child label>" for child spans. The openrouter profile does
 * not use it: it follows Broadcast's rule (SHA-256 of the generation id
 * itself, no prefix; map/openrouter_spans.c, doc/ids.md), so backfilled
 * spans get the ids live Broadcast gave them. */
#ifndef TF_IDS_H
#define TF_IDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/util.h"

void tf_id_derive(const void *key, size_t len, uint8_t trace_id[16], uint8_t span_id[8]);
/* Splits a derivation digest into the two ids, applying the all-zero rule
 * (exposed so tests can exercise that rule directly). */
void tf_id_from_digest(const uint8_t digest[32], uint8_t trace_id[16], uint8_t span_id[8]);
/* Derives with a key made of parts joined by a NUL byte. */
void tf_id_derive_parts(const char *const *parts, const size_t *lens, size_t n,
                        uint8_t trace_id[16], uint8_t span_id[8]);

/* W3C traceparent "00-<32 hex>-<16 hex>-<2 hex>": version 00 (exactly 55
 * characters) or a future version (01..fe) with at least those fields, more
 * only after a '-'. Lowercase hex only; version ff and all-zero ids are
 * rejected. Blanks around the value are ignored. flags may be NULL. */
bool tf_traceparent_parse(const char *s, size_t len, uint8_t trace_id[16], uint8_t span_id[8],
                          uint8_t *flags);

/* Trace context from a request header a proxy logged, as a parent for the
 * span the log line becomes. span_id is the sender's span (the parent of a
 * span for this request); B3 also names the sender's own parent. */
typedef struct {
    uint8_t trace_id[16];
    uint8_t span_id[8];        /* valid when has_span_id */
    uint8_t parent_span_id[8]; /* B3 only; valid when has_parent_span_id */
    bool has_span_id;          /* false: X-Ray without Parent (only the trace is known) */
    bool has_parent_span_id;
    int sampled;               /* 1, 0, or -1 when the header leaves it open */
    bool debug;                /* B3 "d" or X-B3-Flags: 1 (sampled is then 1) */
} tf_trace_ctx;

/* W3C traceparent (tf_traceparent_parse) as a context: sampled is flag bit 0. */
bool tf_traceparent_ctx(const char *s, size_t len, tf_trace_ctx *out);

/* B3 single header "{trace}-{span}[-{sampling}[-{parent}]]": trace 32 or 16
 * hex (16 is left-padded with zeros), span and parent 16 hex, sampling 0, 1
 * or d (debug). Hex of either case; all-zero ids rejected; blanks around the
 * value ignored. A header with only a sampling decision ("0", "1", "d")
 * carries no ids and returns false, like any malformed value. */
bool tf_b3_parse(const char *s, size_t len, tf_trace_ctx *out);

/* B3 multiple headers; a member with len 0 is absent. X-B3-TraceId and
 * X-B3-SpanId are required (forms as above); X-B3-ParentSpanId optional;
 * X-B3-Sampled "1", "0", "true" or "false" (any case); X-B3-Flags "1"
 * (debug) or "0". A value present but malformed makes the whole false. */
typedef struct {
    tf_str trace_id, span_id, parent_span_id, sampled, flags;
} tf_b3_headers;
bool tf_b3_multi_parse(const tf_b3_headers *h, tf_trace_ctx *out);

/* AWS X-Ray X-Amzn-Trace-Id "Root=1-5759e988-bd862e3fe1be46a994272793;
 * Parent=53995c3f42cd8ad8;Sampled=1": trace id 5759e988bd862e3fe1be46a994272793
 * (the 8-hex epoch and the 24-hex id joined), parent 53995c3f42cd8ad8.
 * Fields in any order, ';'-separated, blanks around them ignored, keys of any
 * case; Root (version 1) is required, Parent optional (an ALB adds only
 * Root), Sampled 1, 0 or ? (open); other fields (Self, Lineage, an
 * application's own) are ignored; the first of a repeated key counts. */
bool tf_xray_parse(const char *s, size_t len, tf_trace_ctx *out);

/* Writes "00-<trace>-<span>-<flags>" (55 chars and a NUL) for a context
 * with a span id (flags 01 when sampled is 1, else 00); false without one. */
bool tf_trace_ctx_traceparent(const tf_trace_ctx *c, char out[56]);

/* A 32-hex trace id, or a UUID (8-4-4-4-12 hex, braces optional), or a
 * 16-hex id which is left-padded with zeros (as Zipkin/B3 64-bit ids are).
 * Hex digits of either case. All-zero ids are rejected. */
bool tf_trace_id_parse(const char *s, size_t len, uint8_t out[16]);
/* A 16-hex span id (either case); all zeros rejected. */
bool tf_span_id_parse(const char *s, size_t len, uint8_t out[8]);

bool tf_id_is_zero(const uint8_t *id, size_t n);

#endif
