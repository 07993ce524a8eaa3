/* decode.c: every decoder of input/decode.c on arbitrary bytes, chosen by
 * name as source.c chooses it after tf_magic_compression (so a decoder is
 * also fuzzed on input its magic would never select), through the pull
 * interface of a memory source.
 *
 * Input: 2 option bytes, then the compressed bytes.
 *   [0] decoder: none, gzip, zstd, bzip2, xz, lz4, lzip, lzma, compress,
 *       lzop (mod 10); bit 4: through libarchive (gzip and zstd)
 *   [1] chunk size fed to the decoder and read size (0 unlimited)
 * Invariants: a read returns > 0, 0 (then 0 for ever) or -1 (then -1 for
 * ever, with a message naming the compression); never more than asked.
 * The decoded output is capped at 8 MiB per input (a small input may
 * legitimately expand far more: that is not a bug, just slow). Also checks
 * that tf_magic_compression/tf_magic_container never read past n. */
#include "tests/fuzz/fuzz.h"
#include "input/decode.h"

#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    tf_fuzz_logs();
    (void)argc;
    (void)argv;
    return 0;
}

static const char *const names[] = { "none", "gzip", "zstd", "bzip2", "xz", "lz4", "lzip", "lzma", "compress", "lzop" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    const char *name = names[(data[0] & 15u) % TF_ARRAY_LEN(names)];
    unsigned flags = data[0] & 16u ? TF_DECODER_VIA_LIBARCHIVE : 0;
    size_t chunk = data[1];
    const uint8_t *p = data + 2;
    size_t n = size - 2;

    /* Magic detection on exactly the bytes there are (ASan catches over-reads). */
    uint8_t *head = tf_xmalloc(n ? n : 1);
    if (n)
        memcpy(head, p, n);
    const char *magic = tf_magic_compression(head, n);
    TF_FUZZ_CHECK(magic != NULL);
    (void)tf_magic_container(head, n);
    free(head);

    tf_pull pl;
    tf_memsrc ms;
    tf_memsrc_init(&ms, &pl, p, n, chunk);
    tf_decoder *d = tf_decoder_new(name, &pl, flags);
    static uint8_t buf[64 * 1024];
    size_t total = 0, want = chunk ? chunk : sizeof buf;
    for (;;) {
        tf_err err;
        tf_err_clear(&err);
        ssize_t r = tf_decoder_read(d, buf, want, &err);
        TF_FUZZ_CHECK(r >= -1 && r <= (ssize_t)want);
        if (r == 0) {
            TF_FUZZ_CHECK(tf_decoder_read(d, buf, want, &err) == 0);
            break;
        }
        if (r < 0) {
            TF_FUZZ_CHECK(err.msg[0] != '\0');
            tf_err again;
            tf_err_clear(&again);
            TF_FUZZ_CHECK(tf_decoder_read(d, buf, want, &again) == -1);
            TF_FUZZ_CHECK(strcmp(again.msg, err.msg) == 0);
            break;
        }
        total += (size_t)r;
        if (total > 8u * 1024 * 1024)
            break;
    }
    tf_decoder_free(d);
    return 0;
}
