/* mapping_compile.c: the mapping compiler (map/mapfile/compile*.c, load.c).
 * The input is a mapping file, opened as `--profile FILE` opens it
 * (tf_profiles_open: read once, compiled into a program). A mapping that
 * compiles is then run over a few fixed records (the samples' first lines
 * and one with every JSON type), so every program the compiler accepts is
 * one the evaluator can walk.
 * Invariants: a refused mapping has an error naming the file; an accepted
 * one maps the records without crashing, every reject with a reason and
 * valid OTLP/JSON for every span. */
#include "tests/fuzz/fuzz.h"

#include <string.h>

static tf_buf records;
static char *path;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    tf_fuzz_logs();
    path = tf_fuzz_tmpfile("mapping.json");
    static const char *const files[] = { "samples/nginx/access.jsonl", "samples/agent/steps.jsonl",
                                         "samples/otlp/collector-export.jsonl" };
    for (size_t i = 0; i < TF_ARRAY_LEN(files); i++) {
        tf_buf b = { 0 };
        tf_fuzz_read_src(files[i], &b);
        const char *nl = memchr(b.p, '\n', b.len);
        tf_buf_append(&records, b.p, nl ? (size_t)(nl - b.p) : b.len);
        tf_buf_putc(&records, '\n');
        tf_buf_free(&b);
    }
    TF_BUF_LIT(&records, "{\"a\":[1,\"x\",null,true,{\"b\":2.5}],\"t\":\"2024-07-15T23:33:19Z\",\"n\":-3,\"s\":\"\","
                         "\"meta\":{\"k\":{\"l\":[{}]}}}\n");
    (void)argc;
    (void)argv;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tf_fuzz_write_file(path, data, size);
    tf_fuzz_env e;
    tf_fuzz_env_init(&e);
    e.opts.profile = path;
    tf_err err;
    tf_err_clear(&err);
    tf_profiles *ps = tf_profiles_open(&e.env, path, &err);
    if (!ps) {
        if (strncmp(err.msg, path, strlen(path)) != 0)
            fprintf(stderr, "error without the file name: %s\n", err.msg);
        TF_FUZZ_CHECK(strncmp(err.msg, path, strlen(path)) == 0);
    } else {
        const char *p = records.p, *end = records.p + records.len;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            tf_fuzz_map_text(&e.env, ps, p, (size_t)(nl - p), NULL);
            p = nl + 1;
        }
        tf_profiles_free(ps);
    }
    tf_fuzz_env_free(&e);
    return 0;
}
