/* profile.c: a built-in profile (TF_FUZZ_PROFILE: "openrouter" or "otlp",
 * set by the build) mapping one frame of text, as a worker does: opened with
 * tf_profiles_open, records through tf_mapper (parse, map, filters, time
 * shift), every span encoded as protobuf and OTLP/JSON. --profile auto's
 * detector judges the same frame.
 * Input: the frame's text; a first byte 0x01..0x08 is not text but options:
 *   bit 0 --privacy, bit 1 --time-shift -1h, bit 2 --since/--until and a
 *   --where, 0x08 --resource-attr.
 * Invariants: every reject has a reason; the OTLP/JSON request is valid
 * JSON; every span has a resource and a scope; when the profile reads the
 * start time from the raw text (the --since/--until shortcut), it is the
 * root span's start as mapping finds it; the detector's answer is a
 * built-in profile or NULL, with a reason whenever it judged a record. */
#include "tests/fuzz/fuzz.h"
#include "map/detect.h"

#include <string.h>

#ifndef TF_FUZZ_PROFILE
#error "TF_FUZZ_PROFILE names the built-in profile"
#endif

static tf_detector *detector;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    tf_fuzz_logs();
    detector = tf_detector_new();
    (void)argc;
    (void)argv;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned flags = 0;
    if (size && data[0] >= 1 && data[0] <= 8) {
        flags = data[0];
        data++;
        size--;
    }
    const char *text = (const char *)data;
    const char *why = NULL;
    const char *det = tf_detector_frame(detector, text, size, &why);
    TF_FUZZ_CHECK(!det || strcmp(det, "openrouter") == 0 || strcmp(det, "otlp") == 0);
    TF_FUZZ_CHECK(!det || why != NULL);

    tf_fuzz_env e;
    tf_fuzz_env_init(&e);
    e.opts.profile = TF_FUZZ_PROFILE;
    static tf_keyval res[] = { { "service.name", "fuzz" }, { "deployment.environment", "test" } };
    static tf_keyval where[] = { { "gen_ai.request.model", "openai/gpt-4o" } };
    if (flags & 1)
        e.opts.privacy = true;
    if (flags & 2)
        e.opts.time_shift_ns = -3600 * (int64_t)1000000000;
    if (flags & 4) {
        e.opts.has_since = e.opts.has_until = true;
        e.opts.since_ns = 1700000000ull * 1000000000u;
        e.opts.until_ns = 1800000000ull * 1000000000u;
        e.opts.where = where;
        e.opts.n_where = 1;
    }
    if (flags & 8) {
        e.opts.resource_attrs = res;
        e.opts.n_resource_attrs = 2;
    }
    tf_err err;
    tf_err_clear(&err);
    tf_profiles *ps = tf_profiles_open(&e.env, TF_FUZZ_PROFILE, &err);
    TF_FUZZ_CHECK(ps != NULL);
    uint64_t root = UINT64_MAX;
    size_t n = tf_fuzz_map_text(&e.env, ps, text, size, &root);
    uint64_t raw;
    if (!flags && n && tf_profile_raw_start(tf_profiles_at(ps, 0), text, size, &raw)) {
        if (raw != root)
            fprintf(stderr, "raw start %llu, mapped root start %llu\n", (unsigned long long)raw,
                    (unsigned long long)root);
        TF_FUZZ_CHECK(raw == root);
    }
    tf_profiles_free(ps);
    e.opts.resource_attrs = NULL;
    e.opts.n_resource_attrs = 0;
    e.opts.where = NULL;
    e.opts.n_where = 0;
    tf_fuzz_env_free(&e);
    return 0;
}
