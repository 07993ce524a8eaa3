/* ids.h: trace and span identifiers: parsing the forms logs carry and the
 * deterministic derivation that makes re-runs produce identical IDs.
 * Pure functions; no allocation, thread-safe.
 *
 * Derivation (documented in doc/ids.md, pinned by golden vectors):
 *   d = SHA-256("tracefill:v1\0" || key)
 *   trace id = d[0..16), span id = d[16..24)
 *   an all-zero id (probability 2^-128 / 2^-64) gets its last byte set to 1.
 * Keys are built by the profiles: the record's identity (e.g. generation id)
 * for the root span; "<identity>\0<child label>" for child spans. */
#ifndef TF_IDS_H
#define TF_IDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/* A 32-hex trace id, or a UUID (8-4-4-4-12 hex, braces optional), or a
 * 16-hex id which is left-padded with zeros (as Zipkin/B3 64-bit ids are).
 * Hex digits of either case. All-zero ids are rejected. */
bool tf_trace_id_parse(const char *s, size_t len, uint8_t out[16]);
/* A 16-hex span id (either case); all zeros rejected. */
bool tf_span_id_parse(const char *s, size_t len, uint8_t out[8]);

bool tf_id_is_zero(const uint8_t *id, size_t n);

#endif
