/* hash.h: SHA-256 (FIPS 180-4), used for deterministic IDs and stream
 * fingerprints. Plain value types; no allocation. */
#ifndef TF_HASH_H
#define TF_HASH_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t h[8];
    uint64_t total;
    uint8_t block[64];
    size_t used;
} tf_sha256;

void tf_sha256_init(tf_sha256 *c);
void tf_sha256_update(tf_sha256 *c, const void *data, size_t n);
void tf_sha256_final(tf_sha256 *c, uint8_t out[32]);
void tf_sha256_oneshot(const void *data, size_t n, uint8_t out[32]);

#endif
