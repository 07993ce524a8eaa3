/* hash.c: SHA-256, written from FIPS 180-4 section 6.2.
 *
 * Two block functions compute the same thing: portable C (all 64 rounds
 * unrolled, a 16-word rolling message schedule) and, on x86-64, the SHA
 * extensions (sha256rnds2/msg1/msg2, written from the instruction
 * descriptions in Intel's SDM). The choice is made once, on first use, from
 * CPUID; the SHA-NI code is compiled with a function target attribute so the
 * rest of the build stays baseline x86-64. */
#include "config.h"
#include "common/hash.h"

#include <stdatomic.h>
#include <string.h>

#if defined(__x86_64__) && !defined(TF_SHA256_PORTABLE_ONLY) &&                                   \
    (defined(__clang__) || (defined(__GNUC__) && __GNUC__ >= 5))
#define TF_SHA256_X86 1
#include <cpuid.h>
#include <immintrin.h>
#else
#define TF_SHA256_X86 0
#endif

/* Round constants (FIPS 180-4 4.2.2). Aligned so the SIMD code can add them
 * straight from memory, four at a time. */
static _Alignas(16) const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2,
};

/* Initial hash value (FIPS 180-4 5.3.3). */
static const uint32_t IV[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };

/* A block function hashes nblocks consecutive 64-byte blocks into st. */
typedef void (*blocks_fn)(uint32_t st[8], const uint8_t *p, size_t nblocks);

static uint32_t load_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void store_be32(uint8_t *p, uint32_t v)
{
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* Spelled out, because gcc vectorises the byte-by-byte loop over the
     * eight digest words into some 80 instructions. */
    v = __builtin_bswap32(v);
    memcpy(p, &v, 4);
#else
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
#endif
}

static void store_be64(uint8_t *p, uint64_t v)
{
    store_be32(p, (uint32_t)(v >> 32));
    store_be32(p + 4, (uint32_t)v);
}

/* --- portable -------------------------------------------------------------------------------- */

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))
/* Most sigma functions have their rotations nested, e.g.
 * ROR(ROR(ROR(x,9)^x,11)^x,2) = ROR(x,22)^ROR(x,13)^ROR(x,2): one copy of x
 * instead of three, which x86's two-operand instructions reward. BSIG1 is
 * not: it lies on the longest dependency chain (e to the next e), where the
 * three independent rotations are two steps shorter. */
#define BSIG0(x) ROR(ROR(ROR(x, 9) ^ (x), 11) ^ (x), 2)
#define BSIG1(x) (ROR(x, 6) ^ ROR(x, 11) ^ ROR(x, 25))
#define SSIG0(x) (ROR(ROR(x, 11) ^ (x), 7) ^ ((x) >> 3))
#define SSIG1(x) (ROR(ROR(x, 2) ^ (x), 17) ^ ((x) >> 10))
#define CH(e, f, g) ((g) ^ ((e) & ((f) ^ (g))))

/* Message word i: the first 16 come from the block, later ones overwrite the
 * slot of w[i-16] in a 16-word ring (the 64-word array is never built). */
#define W_LOAD(i) (w[i] = load_be32(p + 4 * (i)))
#define W_NEXT(i)                                                                                 \
    (w[(i)&15] += SSIG1(w[((i)-2) & 15]) + w[((i)-7) & 15] + SSIG0(w[((i)-15) & 15]))

/* One round. The names rotate at each call instead of the values moving.
 * Maj(a,b,c) = b ^ ((a^b) & (b^c)), and this round's a^b is the next
 * round's b^c, so it is carried in bc. */
#define RND(a, b, c, d, e, f, g, h, i, W)                                                         \
    do {                                                                                          \
        uint32_t t1_ = h + BSIG1(e) + CH(e, f, g) + K[i] + W(i);                                  \
        uint32_t ab_ = a ^ b;                                                                     \
        uint32_t t2_ = BSIG0(a) + (b ^ (ab_ & bc));                                               \
        bc = ab_;                                                                                 \
        d += t1_;                                                                                 \
        h = t1_ + t2_;                                                                            \
    } while (0)

#define RND8(i, W)                                                                                \
    do {                                                                                          \
        RND(a, b, c, d, e, f, g, h, (i) + 0, W);                                                  \
        RND(h, a, b, c, d, e, f, g, (i) + 1, W);                                                  \
        RND(g, h, a, b, c, d, e, f, (i) + 2, W);                                                  \
        RND(f, g, h, a, b, c, d, e, (i) + 3, W);                                                  \
        RND(e, f, g, h, a, b, c, d, (i) + 4, W);                                                  \
        RND(d, e, f, g, h, a, b, c, (i) + 5, W);                                                  \
        RND(c, d, e, f, g, h, a, b, (i) + 6, W);                                                  \
        RND(b, c, d, e, f, g, h, a, (i) + 7, W);                                                  \
    } while (0)

static void blocks_portable(uint32_t st[8], const uint8_t *p, size_t nblocks)
{
    uint32_t w[16];
    for (; nblocks > 0; nblocks--, p += 64) {
        uint32_t a = st[0], b = st[1], c = st[2], d = st[3];
        uint32_t e = st[4], f = st[5], g = st[6], h = st[7];
        uint32_t bc = b ^ c;
        RND8(0, W_LOAD);
        RND8(8, W_LOAD);
        RND8(16, W_NEXT);
        RND8(24, W_NEXT);
        RND8(32, W_NEXT);
        RND8(40, W_NEXT);
        RND8(48, W_NEXT);
        RND8(56, W_NEXT);
        st[0] += a;
        st[1] += b;
        st[2] += c;
        st[3] += d;
        st[4] += e;
        st[5] += f;
        st[6] += g;
        st[7] += h;
    }
}

/* --- x86-64 SHA extensions ------------------------------------------------------------------- */
#if TF_SHA256_X86

/* sha256rnds2 keeps the working variables as two vectors, named here by
 * their lanes from the high dword down: ABEF = {A,B,E,F} (F in the low lane)
 * and CDGH = {C,D,G,H}. It takes CDGH, ABEF and two W+K values in the low
 * half of a third vector, runs two rounds and returns the new ABEF; the old
 * ABEF is then exactly the new CDGH. So four rounds are two calls with the
 * roles of the two registers swapped, the second one fed the upper half of
 * W+K. Message words sit one per lane, W[i] in the low lane. */
#define SHA_ATTR __attribute__((target("sha,sse4.1")))
#define LOADU(ptr) _mm_loadu_si128((const __m128i *)(const void *)(ptr))
#define STOREU(ptr, v) _mm_storeu_si128((__m128i *)(void *)(ptr), v)

/* Four rounds from the message vector m (words 4q..4q+3). */
#define QROUNDS(m, q)                                                                             \
    do {                                                                                          \
        __m128i k_ = _mm_load_si128((const __m128i *)(const void *)&K[4 * (q)]);                  \
        __m128i wk_ = _mm_add_epi32(m, k_);                                                       \
        cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk_);                                            \
        wk_ = _mm_shuffle_epi32(wk_, 0x0e);                                                       \
        abef = _mm_sha256rnds2_epu32(abef, cdgh, wk_);                                            \
    } while (0)

/* m0..m3 hold W[i-16..i-13], W[i-12..i-9], W[i-8..i-5], W[i-4..i-1] for
 * i = 4q. msg1 adds sigma0 of the following word to each of m0's words,
 * alignr supplies W[i-7..i-4], and msg2 adds sigma1 of W[i-2], W[i-1] and,
 * for the upper two lanes, of the two words it has just made. The result
 * W[i..i+3] replaces m0. */
#define SCHED_QROUNDS(m0, m1, m2, m3, q)                                                          \
    do {                                                                                          \
        m0 = _mm_sha256msg1_epu32(m0, m1);                                                        \
        m0 = _mm_add_epi32(m0, _mm_alignr_epi8(m3, m2, 4));                                       \
        m0 = _mm_sha256msg2_epu32(m0, m3);                                                        \
        QROUNDS(m0, q);                                                                           \
    } while (0)

SHA_ATTR static void blocks_shani(uint32_t st[8], const uint8_t *p, size_t nblocks)
{
    /* Byte-reverse each dword: the message is big-endian. */
    const __m128i bswap = _mm_set_epi8(12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3);
    /* Lanes are listed from the high dword down. */
    __m128i abcd = LOADU(&st[0]);                 /* D C B A */
    __m128i efgh = LOADU(&st[4]);                 /* H G F E */
    __m128i t0 = _mm_shuffle_epi32(abcd, 0xb1);   /* C D A B */
    __m128i t1 = _mm_shuffle_epi32(efgh, 0x1b);   /* E F G H */
    __m128i abef = _mm_alignr_epi8(t0, t1, 8);    /* A B E F */
    __m128i cdgh = _mm_blend_epi16(t1, t0, 0xf0); /* C D G H */

    for (; nblocks > 0; nblocks--, p += 64) {
        __m128i abef0 = abef, cdgh0 = cdgh;
        __m128i m0 = _mm_shuffle_epi8(LOADU(p + 0), bswap);
        __m128i m1 = _mm_shuffle_epi8(LOADU(p + 16), bswap);
        __m128i m2 = _mm_shuffle_epi8(LOADU(p + 32), bswap);
        __m128i m3 = _mm_shuffle_epi8(LOADU(p + 48), bswap);
        QROUNDS(m0, 0);
        QROUNDS(m1, 1);
        QROUNDS(m2, 2);
        QROUNDS(m3, 3);
        SCHED_QROUNDS(m0, m1, m2, m3, 4);
        SCHED_QROUNDS(m1, m2, m3, m0, 5);
        SCHED_QROUNDS(m2, m3, m0, m1, 6);
        SCHED_QROUNDS(m3, m0, m1, m2, 7);
        SCHED_QROUNDS(m0, m1, m2, m3, 8);
        SCHED_QROUNDS(m1, m2, m3, m0, 9);
        SCHED_QROUNDS(m2, m3, m0, m1, 10);
        SCHED_QROUNDS(m3, m0, m1, m2, 11);
        SCHED_QROUNDS(m0, m1, m2, m3, 12);
        SCHED_QROUNDS(m1, m2, m3, m0, 13);
        SCHED_QROUNDS(m2, m3, m0, m1, 14);
        SCHED_QROUNDS(m3, m0, m1, m2, 15);
        abef = _mm_add_epi32(abef, abef0);
        cdgh = _mm_add_epi32(cdgh, cdgh0);
    }

    t0 = _mm_shuffle_epi32(abef, 0x1b);   /* F E B A */
    t1 = _mm_shuffle_epi32(cdgh, 0xb1);   /* D C H G */
    abcd = _mm_blend_epi16(t0, t1, 0xf0); /* D C B A */
    efgh = _mm_alignr_epi8(t1, t0, 8);    /* H G F E */
    STOREU(&st[0], abcd);
    STOREU(&st[4], efgh);
}

static bool cpu_has_shani(void)
{
    unsigned int eax, ebx, ecx, edx;
    /* Not __builtin_cpu_supports("sha"): clang 14 rejects that name. */
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx))
        return false;
    if (!(ecx & bit_SSSE3) || !(ecx & bit_SSE4_1))
        return false;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx))
        return false;
    return (ebx & bit_SHA) != 0;
}

#endif /* TF_SHA256_X86 */

/* --- dispatch -------------------------------------------------------------------------------- */

static void blocks_first(uint32_t st[8], const uint8_t *p, size_t nblocks);

/* Relaxed atomics: every thread that races on first use stores the same
 * value, and the functions need no data published alongside the pointer. */
static _Atomic(blocks_fn) blocks_impl = blocks_first;

static blocks_fn blocks_best(void)
{
#if TF_SHA256_X86
    if (cpu_has_shani())
        return blocks_shani;
#endif
    return blocks_portable;
}

static void blocks_first(uint32_t st[8], const uint8_t *p, size_t nblocks)
{
    blocks_fn f = blocks_best();
    atomic_store_explicit(&blocks_impl, f, memory_order_relaxed);
    f(st, p, nblocks);
}

static void blocks(uint32_t st[8], const uint8_t *p, size_t nblocks)
{
    blocks_fn f = atomic_load_explicit(&blocks_impl, memory_order_relaxed);
    f(st, p, nblocks);
}

const char *tf_sha256_impl(void)
{
    blocks_fn f = atomic_load_explicit(&blocks_impl, memory_order_relaxed);
    if (f == blocks_first) {
        f = blocks_best();
        atomic_store_explicit(&blocks_impl, f, memory_order_relaxed);
    }
#if TF_SHA256_X86
    if (f == blocks_shani)
        return "sha-ni";
#endif
    return "portable";
}

void tf_sha256_force_portable(bool on)
{
    atomic_store_explicit(&blocks_impl, on ? blocks_portable : blocks_best(),
                          memory_order_relaxed);
}

/* --- interface ------------------------------------------------------------------------------- */

void tf_sha256_init(tf_sha256 *c)
{
    memcpy(c->h, IV, sizeof IV);
    c->total = 0;
    c->used = 0;
}

void tf_sha256_update(tf_sha256 *c, const void *data, size_t n)
{
    const uint8_t *p = data;
    if (n == 0)
        return;
    c->total += n;
    if (c->used) {
        size_t room = 64 - c->used;
        if (n < room) {
            memcpy(c->block + c->used, p, n);
            c->used += n;
            return;
        }
        memcpy(c->block + c->used, p, room);
        blocks(c->h, c->block, 1);
        c->used = 0;
        p += room;
        n -= room;
    }
    if (n >= 64) {
        size_t nb = n / 64;
        blocks(c->h, p, nb);
        p += nb * 64;
        n -= nb * 64;
    }
    if (n) {
        memcpy(c->block, p, n);
        c->used = n;
    }
}

/* Pad the u (< 64) bytes at the start of the 64-byte buffer b in place
 * (FIPS 180-4 5.1.1: 0x80, zeros up to 56 mod 64, the message length in bits
 * as a big-endian 64-bit number), hash them and write the digest. */
static void finish(uint32_t st[8], uint8_t b[64], size_t u, uint64_t total, uint8_t out[32])
{
    b[u++] = 0x80;
    if (u > 56) {
        memset(b + u, 0, 64 - u);
        blocks(st, b, 1);
        u = 0;
    }
    memset(b + u, 0, 56 - u);
    store_be64(b + 56, total * 8);
    blocks(st, b, 1);
    for (int i = 0; i < 8; i++)
        store_be32(out + 4 * i, st[i]);
}

void tf_sha256_final(tf_sha256 *c, uint8_t out[32])
{
    finish(c->h, c->block, c->used, c->total, out);
}

void tf_sha256_oneshot(const void *data, size_t n, uint8_t out[32])
{
    const uint8_t *p = data;
    uint32_t st[8];
    uint8_t b[64];
    memcpy(st, IV, sizeof IV);
    size_t nb = n / 64, rem = n % 64;
    if (nb) {
        blocks(st, p, nb);
        p += nb * 64;
    }
    if (rem)
        memcpy(b, p, rem);
    finish(st, b, rem, n, out);
}

void tf_hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len, uint8_t out[32])
{
    uint8_t k[64] = { 0 }, pad[64], inner[32];
    if (key_len > sizeof k)
        tf_sha256_oneshot(key, key_len, k);
    else if (key_len)
        memcpy(k, key, key_len);
    tf_sha256 c;
    for (int i = 0; i < 64; i++)
        pad[i] = k[i] ^ 0x36;
    tf_sha256_init(&c);
    tf_sha256_update(&c, pad, sizeof pad);
    tf_sha256_update(&c, msg, msg_len);
    tf_sha256_final(&c, inner);
    for (int i = 0; i < 64; i++)
        pad[i] = k[i] ^ 0x5c;
    tf_sha256_init(&c);
    tf_sha256_update(&c, pad, sizeof pad);
    tf_sha256_update(&c, inner, sizeof inner);
    tf_sha256_final(&c, out);
    /* The padded key is derived from a secret: do not leave it on the stack. */
    volatile uint8_t *vk = k, *vp = pad;
    for (size_t i = 0; i < 64; i++)
        vk[i] = vp[i] = 0;
}
