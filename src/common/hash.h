/* hash.h: SHA-256 (FIPS 180-4), used for deterministic IDs and stream
 * fingerprints, and HMAC-SHA256 (RFC 2104), used to sign S3 requests. Plain value types; no allocation. Safe to call from several
 * threads at once (each with its own tf_sha256). */
#ifndef TF_HASH_H
#define TF_HASH_H

#include <stdbool.h>
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
/* The digest of one buffer, without a context: whole blocks are hashed in
 * place and a message under 56 bytes takes a single block-function call. */
void tf_sha256_oneshot(const void *data, size_t n, uint8_t out[32]);

/* HMAC-SHA256 of msg under key (any length; a key over 64 bytes is hashed
 * first). The caller wipes key material it no longer needs. */
void tf_hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len, uint8_t out[32]);

/* The block function is chosen on first use: x86-64 SHA extensions when the
 * CPU has them, otherwise portable C. tf_sha256_impl() names the one in use
 * ("sha-ni" or "portable"). tf_sha256_force_portable(true) pins the portable
 * code and (false) returns to the best one; it is a test and benchmark hook,
 * to be called while no other thread is hashing. */
const char *tf_sha256_impl(void);
void tf_sha256_force_portable(bool on);

#endif
