/* ids.c: the trace context and id parsers of common/ids.c.
 * Input: one selector byte, then the text.
 *   [0] % 7: 0 W3C traceparent, 1 B3 single header, 2 B3 multiple headers
 *       (five values separated by '\n'), 3 AWS X-Ray, 4 trace id (32 hex,
 *       UUID, 16 hex), 5 span id, 6 id derivation
 * Invariants: parsed ids are never all zero; a context written back as a
 * traceparent parses to the same ids and sampled flag; a trace id written
 * as 32 hex parses back to itself; a traceparent of version 00 is the
 * input itself (blanks aside); the derivation is a pure function. */
#include "tests/fuzz/fuzz.h"
#include "common/ids.h"

#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

static void check_ctx(const tf_trace_ctx *c)
{
    TF_FUZZ_CHECK(!tf_id_is_zero(c->trace_id, 16));
    TF_FUZZ_CHECK(!c->has_span_id || !tf_id_is_zero(c->span_id, 8));
    TF_FUZZ_CHECK(!c->has_parent_span_id || !tf_id_is_zero(c->parent_span_id, 8));
    TF_FUZZ_CHECK(c->sampled >= -1 && c->sampled <= 1);
    TF_FUZZ_CHECK(!c->debug || c->sampled == 1);
    char tp[56];
    bool wrote = tf_trace_ctx_traceparent(c, tp);
    TF_FUZZ_CHECK(wrote == c->has_span_id);
    if (!wrote)
        return;
    TF_FUZZ_CHECK(strlen(tp) == 55);
    tf_trace_ctx back;
    TF_FUZZ_CHECK(tf_traceparent_ctx(tp, 55, &back));
    TF_FUZZ_CHECK(memcmp(back.trace_id, c->trace_id, 16) == 0 && memcmp(back.span_id, c->span_id, 8) == 0);
    TF_FUZZ_CHECK(back.sampled == (c->sampled == 1 ? 1 : 0));
}

static tf_str field(const char **p, const char *end)
{
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    const char *stop = nl ? nl : end;
    tf_str f = { *p, (size_t)(stop - *p) };
    *p = nl ? nl + 1 : end;
    return f;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *s = (const char *)data + 1;
    size_t n = size - 1;
    tf_trace_ctx c;
    uint8_t tid[16], sid[8];
    switch (data[0] % 7u) {
    case 0: {
        uint8_t flags;
        if (tf_traceparent_parse(s, n, tid, sid, &flags)) {
            TF_FUZZ_CHECK(!tf_id_is_zero(tid, 16) && !tf_id_is_zero(sid, 8));
            TF_FUZZ_CHECK(tf_traceparent_ctx(s, n, &c));
            check_ctx(&c);
            size_t a = 0, b = n;
            while (a < b && (s[a] == ' ' || s[a] == '\t'))
                a++;
            while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t'))
                b--;
            if (b - a == 55 && s[a] == '0' && s[a + 1] == '0') {
                char tp[56];
                TF_FUZZ_CHECK(tf_trace_ctx_traceparent(&c, tp));
                /* Only the sampled bit survives the context; the rest of the flags do not. */
                TF_FUZZ_CHECK(memcmp(tp, s + a, 53) == 0);
            }
        }
        break;
    }
    case 1:
        if (tf_b3_parse(s, n, &c))
            check_ctx(&c);
        break;
    case 2: {
        const char *p = s, *end = s + n;
        tf_b3_headers h;
        h.trace_id = field(&p, end);
        h.span_id = field(&p, end);
        h.parent_span_id = field(&p, end);
        h.sampled = field(&p, end);
        h.flags = field(&p, end);
        if (tf_b3_multi_parse(&h, &c))
            check_ctx(&c);
        break;
    }
    case 3:
        if (tf_xray_parse(s, n, &c))
            check_ctx(&c);
        break;
    case 4:
        if (tf_trace_id_parse(s, n, tid)) {
            TF_FUZZ_CHECK(!tf_id_is_zero(tid, 16));
            char hex[32];
            tf_hex_encode(hex, tid, 16);
            uint8_t back[16];
            TF_FUZZ_CHECK(tf_trace_id_parse(hex, 32, back) && memcmp(back, tid, 16) == 0);
        }
        break;
    case 5:
        if (tf_span_id_parse(s, n, sid)) {
            TF_FUZZ_CHECK(!tf_id_is_zero(sid, 8));
            char hex[16];
            tf_hex_encode(hex, sid, 8);
            uint8_t back[8];
            TF_FUZZ_CHECK(tf_span_id_parse(hex, 16, back) && memcmp(back, sid, 8) == 0);
        }
        break;
    case 6: {
        uint8_t t2[16], s2[8];
        tf_id_derive(s, n, tid, sid);
        tf_id_derive(s, n, t2, s2);
        TF_FUZZ_CHECK(memcmp(tid, t2, 16) == 0 && memcmp(sid, s2, 8) == 0);
        TF_FUZZ_CHECK(!tf_id_is_zero(tid, 16) && !tf_id_is_zero(sid, 8));
        /* Parts joined by NUL are the key with NULs in it. */
        const char *nul = memchr(s, '\0', n);
        if (nul) {
            const char *parts[2] = { s, nul + 1 };
            size_t lens[2] = { (size_t)(nul - s), n - (size_t)(nul + 1 - s) };
            tf_id_derive_parts(parts, lens, 2, t2, s2);
            TF_FUZZ_CHECK(memcmp(tid, t2, 16) == 0 && memcmp(sid, s2, 8) == 0);
        }
        break;
    }
    }
    return 0;
}
