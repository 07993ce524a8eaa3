/* mapping_eval.c: the mapping evaluator (map/mapfile/eval.c, assemble.c,
 * explain.c): fixed, valid mappings (the samples' and tests/fuzz/mappings/,
 * which use every kind of value spec, condition, time format and id source)
 * mapping arbitrary records, as a worker maps them (tf_profiles_open +
 * tf_mapper, spans encoded both ways).
 * Input: one byte choosing the mapping (mod their number), then the frame.
 * Invariants: every reject has a reason; the OTLP/JSON request is valid
 * JSON; every span has a resource and a scope. */
#include "tests/fuzz/fuzz.h"

#include <string.h>

static const char *const mappings[] = {
    "tests/fuzz/mappings/wide.json", "tests/fuzz/mappings/tiny.json", "samples/nginx/mapping.json",
    "samples/litellm/mapping.json",  "samples/agent/mapping.json",
};
static char *paths[TF_ARRAY_LEN(mappings)];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    tf_fuzz_logs();
    for (size_t i = 0; i < TF_ARRAY_LEN(mappings); i++)
        paths[i] = tf_xasprintf("%s/%s", TF_FUZZ_SRCDIR, mappings[i]);
    (void)argc;
    (void)argv;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *path = paths[data[0] % TF_ARRAY_LEN(paths)];
    tf_fuzz_env e;
    tf_fuzz_env_init(&e);
    e.opts.profile = path;
    tf_err err;
    tf_err_clear(&err);
    tf_profiles *ps = tf_profiles_open(&e.env, path, &err);
    if (!ps)
        fprintf(stderr, "%s\n", err.msg);
    TF_FUZZ_CHECK(ps != NULL);
    tf_fuzz_map_text(&e.env, ps, (const char *)data + 1, size - 1, NULL);
    tf_profiles_free(ps);
    tf_fuzz_env_free(&e);
    return 0;
}
