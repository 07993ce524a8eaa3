/* standalone.c: a main for the harnesses when libFuzzer is not linked (every
 * build but --enable-fuzzing): runs each FILE given once, in order, as
 * libFuzzer does when given files, and exits 0 when none crashed; libFuzzer
 * flags (arguments starting with '-') are accepted and ignored. Used by
 * tests/fuzz/regress.sh to replay the seed corpora and the kept findings
 * under whatever sanitizers the build has. Directories are refused: with
 * libFuzzer a directory means "fuzz this corpus", which a replay must not do. */
#include "tests/fuzz/fuzz.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

int main(int argc, char **argv)
{
    LLVMFuzzerInitialize(&argc, &argv);
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-') /* a libFuzzer flag (-rss_limit_mb=...): nothing to do here */
            continue;
        struct stat st;
        if (stat(argv[i], &st) != 0 || !S_ISREG(st.st_mode)) {
            fprintf(stderr, "%s: %s: not a regular file\n", argv[0], argv[i]);
            return 2;
        }
        FILE *f = fopen(argv[i], "rb");
        if (!f) {
            fprintf(stderr, "%s: %s: %s\n", argv[0], argv[i], strerror(errno));
            return 2;
        }
        tf_buf b = { 0 };
        char chunk[65536];
        size_t n;
        while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
            tf_buf_append(&b, chunk, n);
        fclose(f);
        /* A copy of exactly the file's size, so ASan sees reads past its end. */
        uint8_t *copy = tf_xmalloc(b.len ? b.len : 1);
        if (b.len)
            memcpy(copy, b.p, b.len);
        LLVMFuzzerTestOneInput(copy, b.len);
        free(copy);
        tf_buf_free(&b);
    }
    return 0;
}
