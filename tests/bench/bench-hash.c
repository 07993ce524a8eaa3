/* bench-hash.c: not a test. `tests/bench-hash [N]` times N (default 2e6)
 * one-block SHA-256 digests shaped like an id derivation (13-byte prefix +
 * 32-byte key through init/update/final), plus one-shot 45-byte and 4 KiB
 * digests, with each block function this CPU offers. Built by `make check`,
 * not run by it. */
#include "config.h"
#include "common/hash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static uint8_t sink;

static void bench(const char *what, long n)
{
    static uint8_t big[4096];
    uint8_t key[32], msg[45], d[32];
    memset(key, 'k', sizeof key);
    memcpy(msg, "tracefill:v1", 13);
    memcpy(msg + 13, key, sizeof key);
    memset(big, 'b', sizeof big);

    double t0 = now_ns();
    for (long i = 0; i < n; i++) {
        tf_sha256 c;
        key[0] = (uint8_t)i;
        tf_sha256_init(&c);
        tf_sha256_update(&c, "tracefill:v1", 13);
        tf_sha256_update(&c, key, sizeof key);
        tf_sha256_final(&c, d);
        sink ^= d[0];
    }
    double t1 = now_ns();
    for (long i = 0; i < n; i++) {
        msg[13] = (uint8_t)i;
        tf_sha256_oneshot(msg, sizeof msg, d);
        sink ^= d[0];
    }
    double t2 = now_ns();
    long nbig = n / 64 + 1;
    for (long i = 0; i < nbig; i++) {
        big[0] = (uint8_t)i;
        tf_sha256_oneshot(big, sizeof big, d);
        sink ^= d[0];
    }
    double t3 = now_ns();
    printf("%-9s init/update/final 45 B: %6.1f ns   oneshot 45 B: %6.1f ns   4 KiB: %6.0f MB/s\n",
           what, (t1 - t0) / (double)n, (t2 - t1) / (double)n,
           (double)nbig * sizeof big / ((t3 - t2) / 1e9) / 1e6);
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 2000000;
    const char *best = tf_sha256_impl();
    if (strcmp(best, "portable") != 0)
        bench(best, n);
    tf_sha256_force_portable(true);
    bench("portable", n);
    printf("(checksum %02x)\n", sink);
    return 0;
}
