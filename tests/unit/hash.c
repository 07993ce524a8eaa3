/* unit-hash.c: SHA-256 against the NIST example vectors and digests made by
 * coreutils' sha256sum, fed whole, in one call and in pieces that straddle
 * block boundaries, with every block function this CPU offers; SHA-NI and
 * portable code compared on random data; first use from several threads. */
#include "config.h"
#include "common/hash.h"
#include "tap.h"
#include "common/util.h"

#include <pthread.h>

/* The test message of length n is pat(0) .. pat(n-1). */
static uint8_t pat(size_t i)
{
    return (uint8_t)((i * 167 + 13) % 251);
}

/* SHA-256 of the concatenated digests of the messages of length 0..300, from
 *   python3 -c 'import sys; sys.stdout.buffer.write(bytes((i*167+13)%251
 *               for i in range(300)))' > pat300
 *   for n in $(seq 0 300); do head -c $n pat300 | sha256sum | cut -c1-64 |
 *       xxd -r -p; done | sha256sum */
#define LENGTHS_MAX 300
static const char lengths_digest[] =
    "a8f391f16a0d2d979cea00df6adc6bd766d60a189efb53ffd19f37af26995c2d";

#define VEC(name, msg, want) { name, msg, sizeof(msg) - 1, want }
static const struct {
    const char *name, *msg;
    size_t len;
    const char *want;
} vectors[] = {
    VEC("empty", "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    VEC("abc", "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    VEC("448-bit", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    VEC("896-bit",
        "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqr"
        "lmnopqrsmnopqrstnopqrstu",
        "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
    /* doc/ids.md: printf 'tracefill:v1\000%s' 'gen-123' | sha256sum */
    VEC("id recipe", "tracefill:v1\0gen-123",
        "10c01ff0f1bf15405dd60c6c2deecf0aaa9de714d51f2773bccd90e644971b4f"),
};

static const char million_a[] = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";

/* Ways to feed a message. */
enum feed { ONESHOT, WHOLE, BYTES, ODD, NFEEDS };
static const char *const feed_name[NFEEDS] = { "one-shot", "one update", "byte at a time",
                                               "pieces of 1..70 bytes" };

static void digest(const uint8_t *p, size_t n, enum feed how, uint8_t out[32])
{
    tf_sha256 c;
    if (how == ONESHOT) {
        tf_sha256_oneshot(p, n, out);
        return;
    }
    tf_sha256_init(&c);
    if (how == WHOLE) {
        tf_sha256_update(&c, p, n);
    } else {
        size_t step = 1, off = 0;
        while (off < n) {
            size_t k = how == BYTES ? 1 : step;
            if (k > n - off)
                k = n - off;
            tf_sha256_update(&c, p + off, k);
            off += k;
            step = step % 70 + 1;
        }
    }
    tf_sha256_final(&c, out);
}

static void to_hex(const uint8_t d[32], char out[65])
{
    tf_hex_encode(out, d, 32);
    out[64] = '\0';
}

/* The digest of the digests of the pattern messages of length 0..300. */
static void lengths(enum feed how, char hex[65])
{
    uint8_t msg[LENGTHS_MAX], d[32];
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = pat(i);
    tf_sha256 all;
    tf_sha256_init(&all);
    for (size_t n = 0; n <= LENGTHS_MAX; n++) {
        digest(msg, n, how, d);
        tf_sha256_update(&all, d, sizeof d);
    }
    tf_sha256_final(&all, d);
    to_hex(d, hex);
}

static void check_impl(const char *impl)
{
    char hex[65];
    uint8_t d[32];

    ok(strcmp(tf_sha256_impl(), impl) == 0, "block function in use is %s", impl);
    for (size_t v = 0; v < sizeof vectors / sizeof vectors[0]; v++) {
        size_t n = vectors[v].len;
        for (int how = 0; how < NFEEDS; how++) {
            digest((const uint8_t *)vectors[v].msg, n, (enum feed)how, d);
            to_hex(d, hex);
            is_str(hex, vectors[v].want, "%s: %s, %s", impl, vectors[v].name, feed_name[how]);
        }
    }

    size_t mn = 1000000;
    uint8_t *m = tf_xmalloc(mn);
    memset(m, 'a', mn);
    tf_sha256_oneshot(m, mn, d);
    to_hex(d, hex);
    is_str(hex, million_a, "%s: one million 'a', one-shot", impl);
    static const size_t pieces[] = { 1000, 4097, 63, 65 };
    for (size_t k = 0; k < sizeof pieces / sizeof pieces[0]; k++) {
        tf_sha256 c;
        tf_sha256_init(&c);
        for (size_t off = 0; off < mn; off += pieces[k])
            tf_sha256_update(&c, m + off, off + pieces[k] <= mn ? pieces[k] : mn - off);
        tf_sha256_final(&c, d);
        to_hex(d, hex);
        is_str(hex, million_a, "%s: one million 'a' in %zu-byte pieces", impl, pieces[k]);
    }
    free(m);

    for (int how = 0; how < NFEEDS; how++) {
        lengths((enum feed)how, hex);
        is_str(hex, lengths_digest, "%s: every length 0..%d, %s", impl, LENGTHS_MAX,
               feed_name[how]);
    }

    /* A message split in two at every point gives the one-shot digest. */
    uint8_t msg[200], want[32];
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = pat(i * 3);
    int bad = 0;
    for (size_t n = 0; n <= sizeof msg; n++) {
        tf_sha256_oneshot(msg, n, want);
        for (size_t cut = 0; cut <= n; cut++) {
            tf_sha256 c;
            tf_sha256_init(&c);
            tf_sha256_update(&c, msg, cut);
            tf_sha256_update(&c, NULL, 0);
            tf_sha256_update(&c, msg + cut, n - cut);
            tf_sha256_final(&c, d);
            bad += memcmp(d, want, 32) != 0;
        }
    }
    is_int(bad, 0, "%s: every two-piece split of lengths 0..200 matches one-shot", impl);
}

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* SHA-NI against portable on random messages of every length up to 1100
 * (1..17 blocks in one call to the block function) and random splits. */
static void cross_check(void)
{
    size_t max = 1100;
    uint8_t *m = tf_xmalloc(max);
    int bad = 0, badsplit = 0;
    for (size_t n = 0; n <= max; n++) {
        for (size_t i = 0; i < n; i++)
            m[i] = (uint8_t)next_rand();
        uint8_t a[32], b[32], c2[32];
        tf_sha256_force_portable(true);
        tf_sha256_oneshot(m, n, a);
        tf_sha256_force_portable(false);
        tf_sha256_oneshot(m, n, b);
        bad += memcmp(a, b, 32) != 0;

        tf_sha256 c;
        tf_sha256_init(&c);
        size_t off = 0;
        while (off < n) {
            size_t k = (size_t)(next_rand() % 200);
            if (k > n - off)
                k = n - off;
            tf_sha256_update(&c, m + off, k);
            off += k;
        }
        tf_sha256_final(&c, c2);
        badsplit += memcmp(a, c2, 32) != 0;
    }
    is_int(bad, 0, "sha-ni and portable agree on random messages of length 0..%zu", max);
    is_int(badsplit, 0, "sha-ni, random splits, agrees with portable one-shot");
    free(m);
}

/* First use races on the choice of block function; every thread must still
 * get the right digests. */
struct job {
    enum feed how;
    char hex[65];
};

static void *worker(void *arg)
{
    struct job *j = arg;
    lengths(j->how, j->hex);
    return NULL;
}

static void threads_first(void)
{
    enum { N = 4 };
    pthread_t t[N];
    struct job jobs[N];
    int started = 0;
    for (int i = 0; i < N; i++) {
        jobs[i].how = i % 2 ? ODD : ONESHOT;
        jobs[i].hex[0] = '\0';
        if (pthread_create(&t[i], NULL, worker, &jobs[i]) == 0)
            started++;
        else
            break;
    }
    int good = 0;
    for (int i = 0; i < started; i++) {
        pthread_join(t[i], NULL);
        good += strcmp(jobs[i].hex, lengths_digest) == 0;
    }
    ok(started == N && good == N, "%d threads hashing from first use all right (%d/%d)", N, good,
       started);
}

/* Whether /proc/cpuinfo lists sha_ni, outside valgrind (which hides it from
 * CPUID and would make the expectation wrong), in a build that has the SHA-NI
 * code (src/hash.c leaves it out for TF_SHA256_PORTABLE_ONLY). */
static bool cpuinfo_has_sha_ni(void)
{
#if defined(__x86_64__) && !defined(TF_SHA256_PORTABLE_ONLY)
    const char *pre = getenv("LD_PRELOAD");
    if (pre && strstr(pre, "vgpreload"))
        return false;
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return false;
    char line[4096];
    bool found = false;
    while (!found && fgets(line, sizeof line, f))
        if (strncmp(line, "flags", 5) == 0 && strstr(line, " sha_ni"))
            found = true;
    fclose(f);
    return found;
#else
    return false;
#endif
}

/* HMAC-SHA256: RFC 4231 section 4 test cases 1, 2, 3, 6 and 7 (the ones with
 * full-length output), and a key of exactly one block (64 bytes), whose value
 * is from Python's hmac module:
 *   python3 -c "import hmac,hashlib; print(hmac.new(b'k'*64,b'',hashlib.sha256).hexdigest())" */
static void check_hmac(void)
{
    uint8_t k0b[20], kaa20[20], kaa131[131], dd[50], k64[64];
    memset(k0b, 0x0b, sizeof k0b);
    memset(kaa20, 0xaa, sizeof kaa20);
    memset(kaa131, 0xaa, sizeof kaa131);
    memset(dd, 0xdd, sizeof dd);
    memset(k64, 'k', sizeof k64);
    static const char big_msg[] = "This is a test using a larger than block-size key and a larger than "
                                  "block-size data. The key needs to be hashed before being used by the "
                                  "HMAC algorithm.";
    static const char big_key_msg[] = "Test Using Larger Than Block-Size Key - Hash Key First";
    const struct {
        const char *name;
        const void *key;
        size_t key_len;
        const void *msg;
        size_t msg_len;
        const char *want;
    } cases[] = {
        { "RFC 4231 case 1", k0b, sizeof k0b, "Hi There", 8,
          "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7" },
        { "RFC 4231 case 2 (short key)", "Jefe", 4, "what do ya want for nothing?", 28,
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
        { "RFC 4231 case 3", kaa20, sizeof kaa20, dd, sizeof dd,
          "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe" },
        { "RFC 4231 case 6 (131-byte key)", kaa131, sizeof kaa131, big_key_msg, sizeof big_key_msg - 1,
          "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54" },
        { "RFC 4231 case 7 (long key and data)", kaa131, sizeof kaa131, big_msg, sizeof big_msg - 1,
          "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2" },
        { "64-byte key, empty message", k64, sizeof k64, "", 0,
          "83026a325aaee70e36cfe607536aa1054104ad1077c36134810d4ccded1ccd3b" },
    };
    for (size_t i = 0; i < TF_ARRAY_LEN(cases); i++) {
        uint8_t mac[32];
        char hex[65];
        tf_hmac_sha256(cases[i].key, cases[i].key_len, cases[i].msg, cases[i].msg_len, mac);
        tf_hex_encode(hex, mac, 32);
        hex[64] = '\0';
        is_str(hex, cases[i].want, "HMAC-SHA256 %s", cases[i].name);
    }
}

int main(void)
{
    threads_first();
    check_hmac();

    const char *best = tf_sha256_impl();
    diag("best SHA-256 block function here: %s", best);
    if (cpuinfo_has_sha_ni())
        is_str(best, "sha-ni", "/proc/cpuinfo lists sha_ni, and SHA-NI is chosen");

    bool accel = strcmp(best, "portable") != 0;
    if (accel)
        check_impl(best);
    else
        ok(1, "accelerated block function # SKIP none on this CPU or architecture");

    tf_sha256_force_portable(true);
    check_impl("portable");
    tf_sha256_force_portable(false);
    ok(strcmp(tf_sha256_impl(), best) == 0, "force_portable(false) restores %s", best);

    if (accel)
        cross_check();
    else
        ok(1, "sha-ni against portable # SKIP no SHA-NI");
    return done_testing();
}
