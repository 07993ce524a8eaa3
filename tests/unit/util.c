/* unit-util.c: buffers, arenas, hex, SHA-256 vectors, globbing. */
#include "config.h"
#include "common/hash.h"
#include "tap.h"
#include "common/util.h"

#include <stdio.h>

static void sha_hex(const void *p, size_t n, char out[65])
{
    uint8_t d[32];
    tf_sha256_oneshot(p, n, d);
    tf_hex_encode(out, d, 32);
    out[64] = '\0';
}

int main(void)
{
    tf_buf b = { 0 };
    for (int i = 0; i < 1000; i++)
        tf_buf_printf(&b, "%d,", i);
    ok(b.len == 3890, "tf_buf grows across many appends (len %zu)", b.len);
    is_mem(b.p + b.len - 4, 4, "999,", 4, "tf_buf keeps the last bytes");
    tf_buf_free(&b);

    tf_arena a;
    tf_arena_init(&a, 128);
    char *s1 = tf_arena_strndup(&a, "hello", 5);
    void *big = tf_arena_alloc(&a, 1000); /* larger than a chunk */
    char *s2 = tf_arena_printf(&a, "%s-%d", s1, 42);
    ok(big != NULL && ((uintptr_t)big & 7) == 0, "arena serves oversize aligned blocks");
    is_str(s2, "hello-42", "arena printf");
    tf_arena_reset(&a);
    char *s3 = tf_arena_strndup(&a, "again", 5);
    is_str(s3, "again", "arena usable after reset");
    tf_arena_free(&a);

    uint8_t raw[4] = { 0x00, 0xab, 0x10, 0xff }, back[4];
    char hex[9] = { 0 };
    tf_hex_encode(hex, raw, 4);
    is_str(hex, "00ab10ff", "hex encode");
    ok(tf_hex_decode(back, "00AB10ff", 4) == 0 && memcmp(back, raw, 4) == 0, "hex decode, any case");
    ok(tf_hex_decode(back, "00ab1g00", 4) == -1, "hex decode rejects a bad digit");

    /* FIPS 180-4 / NIST example vectors. */
    char h[65];
    sha_hex("", 0, h);
    is_str(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "sha256('')");
    sha_hex("abc", 3, h);
    is_str(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "sha256('abc')");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    sha_hex(two, strlen(two), h);
    is_str(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
           "sha256 of the two-block NIST message");
    /* Incremental updates in odd sizes equal the one-shot digest. */
    char million[1000];
    memset(million, 'a', sizeof million);
    tf_sha256 c;
    tf_sha256_init(&c);
    for (int i = 0; i < 1000; i++)
        tf_sha256_update(&c, million, (size_t)(i % 7 == 0 ? 1000 : 1000));
    uint8_t d[32];
    tf_sha256_final(&c, d);
    tf_hex_encode(h, d, 32);
    is_str(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
           "sha256 of one million 'a' fed in 1000-byte pieces");
    tf_sha256_init(&c);
    for (size_t i = 0; i < strlen(two); i++)
        tf_sha256_update(&c, two + i, 1);
    tf_sha256_final(&c, d);
    tf_hex_encode(h, d, 32);
    is_str(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
           "sha256 fed one byte at a time");

    /* Decimal formatting against snprintf, across digit-pair boundaries. */
    {
        static const uint64_t u[] = { 0, 9, 10, 11, 99, 100, 101, 999, 1000, 1001, 65535, 1721086399433273000ull,
                                      UINT64_MAX };
        static const int64_t s[] = { 0, -1, -9, -10, -100, 42, INT64_MAX, INT64_MIN };
        int bad = 0;
        char got[24], want[24];
        for (size_t i = 0; i < TF_ARRAY_LEN(u); i++) {
            size_t n = tf_fmt_u64(got, u[i]);
            got[n] = '\0';
            snprintf(want, sizeof want, "%llu", (unsigned long long)u[i]);
            bad += strcmp(got, want) != 0;
        }
        for (size_t i = 0; i < TF_ARRAY_LEN(s); i++) {
            size_t n = tf_fmt_i64(got, s[i]);
            got[n] = '\0';
            snprintf(want, sizeof want, "%lld", (long long)s[i]);
            bad += strcmp(got, want) != 0;
        }
        for (uint64_t v = 1; v < UINT64_MAX / 7; v = v * 7 + 3) {
            size_t n = tf_fmt_u64(got, v);
            got[n] = '\0';
            snprintf(want, sizeof want, "%llu", (unsigned long long)v);
            bad += strcmp(got, want) != 0;
        }
        is_int(bad, 0, "tf_fmt_u64/tf_fmt_i64 agree with snprintf (edges, INT64_MIN, UINT64_MAX, a sweep)");
    }

    ok(tf_glob_match("*.json*", "logs/2024/a.jsonl.gz"), "glob: * crosses directories");
    ok(!tf_glob_match("*.log*", "data/a.csv"), "glob: no match");
    return done_testing();
}
