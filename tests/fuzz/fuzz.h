/* fuzz.h: what the libFuzzer harnesses of tests/fuzz/ share (doc/fuzzing.md).
 * Each harness defines LLVMFuzzerTestOneInput (and, when it needs set-up,
 * LLVMFuzzerInitialize) over the library's public APIs, the code paths the
 * tool itself takes. Built with --enable-fuzzing they link libFuzzer; in
 * every other build they link standalone.c, a main that runs each file
 * given once (the regression replay of tests/fuzz/regress.sh).
 * Rules for harnesses: deterministic (no clock, no randomness, no state
 * carried from one input to the next), everything allocated for an input
 * freed before returning, and a broken invariant is abort() via TF_FUZZ_CHECK
 * (the fuzzer reports it like a crash). Single-threaded. */
#ifndef TF_FUZZ_H
#define TF_FUZZ_H

#include "config.h"
#include "common/util.h"
#include "map/profile.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Aborts with the failed condition and where (the fuzzer keeps the input). */
#define TF_FUZZ_CHECK(cond)                                                                  \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);     \
            abort();                                                                         \
        }                                                                                    \
    } while (0)

/* Installs a log handler that reads every line (so ASan checks the text the
 * library formats) and drops it; call once from LLVMFuzzerInitialize. */
void tf_fuzz_logs(void);

/* A copy of data with a NUL after it (for APIs that take C strings); free it. */
char *tf_fuzz_cstr(const uint8_t *data, size_t size);

/* A file below the source tree (TF_FUZZ_SRCDIR) read whole into out;
 * exits when it cannot be read (a harness without its fixtures is broken). */
void tf_fuzz_read_src(const char *rel, tf_buf *out);

/* A private temp directory (in /dev/shm when it can, else $TMPDIR or /tmp),
 * made on the first call and removed with what is in it at exit; and the
 * path of a file in it. tf_fuzz_write_file replaces a file's contents. */
const char *tf_fuzz_tmpdir(void);
char *tf_fuzz_tmpfile(const char *name);
void tf_fuzz_write_file(const char *path, const void *data, size_t size);

/* The run environment a profile needs: default options, a fresh interner
 * and tracefill's scope. One per input, so no interned resource carries over. */
typedef struct {
    tf_opts opts;
    tf_map_env env;
} tf_fuzz_env;
void tf_fuzz_env_init(tf_fuzz_env *e);
void tf_fuzz_env_free(tf_fuzz_env *e);

/* Maps one frame of text through the profiles as a worker does (tf_mapper),
 * encodes every span both ways and checks that the OTLP/JSON request is
 * valid JSON. Returns the number of spans; *root_start (may be NULL) is the
 * first span's start, UINT64_MAX without spans. */
size_t tf_fuzz_map_text(const tf_map_env *env, const tf_profiles *ps, const char *text, size_t len,
                        uint64_t *root_start);

#endif
