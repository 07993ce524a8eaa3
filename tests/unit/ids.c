/* unit-ids.c: deterministic id derivation (golden vectors computed outside
 * tracefill with `printf 'tracefill:v1\0<key>' | sha256sum` and cross-checked
 * with Python's hashlib), W3C traceparent, trace/span id forms, and the B3
 * (single and multi) and AWS X-Ray trace context headers. */
#include "config.h"
#include "common/ids.h"
#include "tap.h"
#include "common/util.h"

static void hex(char *out, const uint8_t *id, size_t n)
{
    tf_hex_encode(out, id, n);
    out[2 * n] = '\0';
}

struct golden {
    const char *what;
    const char *key;
    size_t len;
    const char *trace, *span;
};

/* Keys with embedded NULs are written with explicit lengths. */
static const struct golden goldens[] = {
    { "gen-123", "gen-123", 7, "10c01ff0f1bf15405dd60c6c2deecf0a", "aa9de714d51f2773" },
    { "empty key", "", 0, "cb08d80fd1edc6b2547ef1a94be22bf1", "514bb9f0413009fa" },
    { "gen-123\\0llm (child span)", "gen-123\0llm", 11, "bc69ee08a46ce78dfd4b5a33e2c36aa9",
      "1f8882e3f06dab2a" },
    { "req-7f3a\\0db\\0query", "req-7f3a\0db\0query", 17, "99334e1b205b05b57203fc7de6e94780",
      "8418493109085979" },
    { "gen-123\\0generation", "gen-123\0generation", 18, "40408fd4471164bedd25f3ec62aa85bd",
      "5be414e30f18cc75" },
    { "gen-123\\0moderation", "gen-123\0moderation", 18, "bb1b204cdfb902b30a505a84182732ec",
      "285e380058753d74" },
    { "gen-123\\0attempt/0", "gen-123\0attempt/0", 17, "3f39143eb04129fb919b01d1e0401ece",
      "29bb48aa83927f12" },
    { "trace\\0trace-abc123 (hashed trace id)", "trace\0trace-abc123", 18,
      "cec8ad0a2f6398ad47e019604dd68173", "3d890db6277e2f17" },
    { "span\\0span-xyz (hashed span id)", "span\0span-xyz", 13, "de4be99f62726f1d98e15ad7df5fee6d",
      "64bf8050f26d5d26" },
    { "digits-only key 123", "123", 3, "bc41641999cc84c0291e1f1ec06e977c", "a0f8af3dc70ff1cf" },
    { "UTF-8 key caf\\u00e9-\\u2615", "caf\xc3\xa9-\xe2\x98\x95", 9,
      "01e78401c4f329ae464efb38db0c1507", "69d6b4c2815787bf" },
};

static void test_derive(void)
{
    char th[33], sh[17];
    uint8_t t[16], s[8];
    for (size_t i = 0; i < TF_ARRAY_LEN(goldens); i++) {
        const struct golden *g = &goldens[i];
        tf_id_derive(g->key, g->len, t, s);
        hex(th, t, 16);
        hex(sh, s, 8);
        is_str(th, g->trace, "golden trace id for %s", g->what);
        is_str(sh, g->span, "golden span id for %s", g->what);
    }
    /* A 100-byte key spans two SHA-256 blocks once the prefix is added. */
    char k[100];
    memset(k, 'k', sizeof k);
    tf_id_derive(k, sizeof k, t, s);
    hex(th, t, 16);
    hex(sh, s, 8);
    is_str(th, "2f79a3fc1778c07cc6d20ed1d1ed1e42", "golden trace id for 'k' x 100");
    is_str(sh, "d4db5b4caea438f7", "golden span id for 'k' x 100");

    /* Parts joined by NUL equal the joined key. */
    const char *parts[] = { "req-7f3a", "db", "query" };
    const size_t lens[] = { 8, 2, 5 };
    uint8_t t2[16], s2[8];
    tf_id_derive_parts(parts, lens, 3, t2, s2);
    hex(th, t2, 16);
    hex(sh, s2, 8);
    is_str(th, "99334e1b205b05b57203fc7de6e94780", "derive_parts joins with NUL (trace)");
    is_str(sh, "8418493109085979", "derive_parts joins with NUL (span)");
    tf_id_derive_parts(parts, lens, 1, t2, s2);
    tf_id_derive("req-7f3a", 8, t, s);
    ok(memcmp(t, t2, 16) == 0 && memcmp(s, s2, 8) == 0, "one part equals the plain key");
    tf_id_derive_parts(NULL, NULL, 0, t2, s2);
    hex(th, t2, 16);
    is_str(th, "cb08d80fd1edc6b2547ef1a94be22bf1", "zero parts equal the empty key");
    /* Parts are not just concatenated: "ab" + "c" differs from "a" + "bc". */
    const char *p1[] = { "ab", "c" }, *p2[] = { "a", "bc" };
    const size_t l1[] = { 2, 1 }, l2[] = { 1, 2 };
    tf_id_derive_parts(p1, l1, 2, t, s);
    tf_id_derive_parts(p2, l2, 2, t2, s2);
    ok(memcmp(t, t2, 16) != 0, "part boundaries matter");
    /* Determinism and sensitivity. */
    tf_id_derive("gen-123", 7, t, s);
    tf_id_derive("gen-123", 7, t2, s2);
    ok(memcmp(t, t2, 16) == 0 && memcmp(s, s2, 8) == 0, "same key, same ids");
    tf_id_derive("gen-124", 7, t2, s2);
    ok(memcmp(t, t2, 16) != 0 && memcmp(s, s2, 8) != 0, "one changed byte, different ids");

    /* The all-zero rule, exercised through the digest splitter. */
    uint8_t d[32] = { 0 };
    tf_id_from_digest(d, t, s);
    hex(th, t, 16);
    hex(sh, s, 8);
    is_str(th, "00000000000000000000000000000001", "an all-zero trace id gets its last byte set");
    is_str(sh, "0000000000000001", "an all-zero span id gets its last byte set");
    for (int i = 0; i < 32; i++)
        d[i] = (uint8_t)(i + 1);
    d[16] = d[17] = d[18] = d[19] = d[20] = d[21] = d[22] = d[23] = 0;
    tf_id_from_digest(d, t, s);
    hex(th, t, 16);
    hex(sh, s, 8);
    is_str(th, "0102030405060708090a0b0c0d0e0f10", "trace id is digest[0..16)");
    is_str(sh, "0000000000000001", "span id is digest[16..24), zero rule applies alone");
    d[16] = 0x80;
    tf_id_from_digest(d, t, s);
    hex(sh, s, 8);
    is_str(sh, "8000000000000000", "a non-zero span id is untouched");
}

static void test_traceparent(void)
{
    uint8_t t[16], s[8], f = 0;
    char th[33], sh[17];
    const char *tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    ok(tf_traceparent_parse(tp, strlen(tp), t, s, &f), "W3C example traceparent");
    hex(th, t, 16);
    hex(sh, s, 8);
    is_str(th, "4bf92f3577b34da6a3ce929d0e0e4736", "traceparent trace id");
    is_str(sh, "00f067aa0ba902b7", "traceparent parent id");
    is_int(f, 1, "traceparent flags");
    const char *tp0 = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00";
    ok(tf_traceparent_parse(tp0, strlen(tp0), t, s, NULL), "flags 00, NULL flags pointer");
    const char *tpf = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-ff";
    ok(tf_traceparent_parse(tpf, strlen(tpf), t, s, &f) && f == 0xff,
       "unknown flag bits are carried");
    const char *ows = " \t00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 ";
    ok(tf_traceparent_parse(ows, strlen(ows), t, s, &f), "surrounding blanks ignored");
    ok(tf_traceparent_parse(tp, 55, t, s, &f), "length is honoured (no NUL needed)");

    struct {
        const char *s;
        bool ok;
        const char *why;
    } cases[] = {
        { "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-", false,
          "version 00 with a trailing '-' (56 chars)" },
        { "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra", false,
          "version 00 with extra fields" },
        { "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0", false, "54 chars" },
        { "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", false, "uppercase trace id" },
        { "00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01", false, "uppercase span id" },
        { "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0A", false, "uppercase flags" },
        { "0A-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", false, "uppercase version" },
        { "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", false, "version ff" },
        { "00-00000000000000000000000000000000-00f067aa0ba902b7-01", false, "all-zero trace id" },
        { "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", false, "all-zero parent id" },
        { "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01", false, "non-hex digit" },
        { "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", false, "wrong separator" },
        { "004bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-", false, "missing separator" },
        { "", false, "empty" },
        { "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", true, "version 01, 55 chars" },
        { "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-09-what-the-future-holds", true,
          "future version with more fields" },
        { "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-09.what", false,
          "future version: extra data must follow a '-'" },
        { "fe-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", true, "version fe" },
    };
    for (size_t i = 0; i < TF_ARRAY_LEN(cases); i++)
        ok(tf_traceparent_parse(cases[i].s, strlen(cases[i].s), t, s, &f) == cases[i].ok,
           "traceparent %s: %s", cases[i].ok ? "accepts" : "rejects", cases[i].why);
    ok(!tf_traceparent_parse(NULL, 0, t, s, &f), "NULL rejected");

    /* Rejection leaves the outputs alone. */
    memset(t, 0xaa, 16);
    const char *bad = "00-00000000000000000000000000000000-00f067aa0ba902b7-01";
    tf_traceparent_parse(bad, strlen(bad), t, s, &f);
    ok(t[0] == 0xaa && t[15] == 0xaa, "outputs untouched on rejection");
}

static void test_id_forms(void)
{
    uint8_t t[16], s[8];
    char th[33], sh[17];
    struct {
        const char *in;
        const char *want; /* NULL: rejected */
    } cases[] = {
        { "4bf92f3577b34da6a3ce929d0e0e4736", "4bf92f3577b34da6a3ce929d0e0e4736" },
        { "4BF92F3577B34DA6A3CE929D0E0E4736", "4bf92f3577b34da6a3ce929d0e0e4736" },
        { "123e4567-e89b-12d3-a456-426614174000", "123e4567e89b12d3a456426614174000" },
        { "{123E4567-E89B-12D3-A456-426614174000}", "123e4567e89b12d3a456426614174000" },
        { "463ac35c9f6413ad", "0000000000000000463ac35c9f6413ad" },
        { "00000000000000000000000000000001", "00000000000000000000000000000001" },
        { "00000000000000000000000000000000", NULL },
        { "0000000000000000", NULL },
        { "00000000-0000-0000-0000-000000000000", NULL },
        { "{123e4567-e89b-12d3-a456-426614174000", NULL },
        { "123e4567-e89b-12d3-a456-426614174000}", NULL },
        { "(123e4567-e89b-12d3-a456-426614174000)", NULL },
        { "123e4567e-89b-12d3-a456-426614174000", NULL },
        { "123e4567-e89b-12d3-a456-42661417400g", NULL },
        { "4bf92f3577b34da6a3ce929d0e0e473", NULL },
        { "4bf92f3577b34da6a3ce929d0e0e47366", NULL },
        { "463ac35c9f6413a", NULL },
        { "463ac35c9f6413ad0", NULL },
        { "", NULL },
        { "0x463ac35c9f6413", NULL },
    };
    for (size_t i = 0; i < TF_ARRAY_LEN(cases); i++) {
        memset(t, 0xee, sizeof t);
        bool r = tf_trace_id_parse(cases[i].in, strlen(cases[i].in), t);
        if (cases[i].want) {
            hex(th, t, 16);
            ok(r && strcmp(th, cases[i].want) == 0, "trace id '%s' -> %s", cases[i].in, th);
        } else {
            ok(!r && t[0] == 0xee, "trace id '%s' rejected", cases[i].in);
        }
    }
    ok(tf_span_id_parse("00f067aa0ba902b7", 16, s), "span id");
    hex(sh, s, 8);
    is_str(sh, "00f067aa0ba902b7", "span id value");
    ok(tf_span_id_parse("00F067AA0BA902B7", 16, s), "span id, uppercase");
    ok(!tf_span_id_parse("0000000000000000", 16, s), "all-zero span id rejected");
    ok(!tf_span_id_parse("00f067aa0ba902b", 15, s), "short span id rejected");
    ok(!tf_span_id_parse("00f067aa0ba902b77", 17, s), "long span id rejected");
    ok(!tf_span_id_parse("00f067aa0ba902bz", 16, s), "non-hex span id rejected");
    ok(!tf_span_id_parse(NULL, 0, s), "NULL span id rejected");

    uint8_t z[16] = { 0 };
    ok(tf_id_is_zero(z, 16), "is_zero on zeros");
    z[15] = 1;
    ok(!tf_id_is_zero(z, 16), "is_zero sees the last byte");
    ok(tf_id_is_zero(z, 0), "is_zero of nothing");
}

/* Expected ids are the header's own hex digits rearranged as the B3
 * propagation spec and the AWS X-Ray documentation describe (X-Ray: the
 * 8-hex epoch and the 24-hex id joined; B3: a 64-bit trace id left-padded). */
static void ctx_is(const tf_trace_ctx *c, const char *trace, const char *span, const char *parent,
                   int sampled, bool debug, const char *what)
{
    char th[33], sh[17], ph[17];
    hex(th, c->trace_id, 16);
    hex(sh, c->span_id, 8);
    hex(ph, c->parent_span_id, 8);
    is_str(th, trace, "%s: trace id", what);
    if (span)
        is_str(sh, span, "%s: span id", what);
    ok(c->has_span_id == (span != NULL), "%s: span id %s", what, span ? "present" : "absent");
    if (parent)
        is_str(ph, parent, "%s: parent span id", what);
    ok(c->has_parent_span_id == (parent != NULL), "%s: parent %s", what, parent ? "present" : "absent");
    is_int(c->sampled, sampled, "%s: sampled", what);
    ok(c->debug == debug, "%s: debug %d", what, debug);
}

static void test_b3_single(void)
{
    tf_trace_ctx c;
    const char *full = "a3c5e7f90b1d2f4a6c8e0a2b4d6f8a0c-5b7d9f1a3c5e7b9d-1-0e2c4a6b8d0f2e4a";
    ok(tf_b3_parse(full, strlen(full), &c), "b3 with all four fields");
    ctx_is(&c, "a3c5e7f90b1d2f4a6c8e0a2b4d6f8a0c", "5b7d9f1a3c5e7b9d", "0e2c4a6b8d0f2e4a", 1, false,
           "b3 full");
    const char *pair = " a3c5e7f90b1d2f4a6c8e0a2b4d6f8a0c-5b7d9f1a3c5e7b9d\t";
    ok(tf_b3_parse(pair, strlen(pair), &c), "b3 trace-span, blanks around");
    ctx_is(&c, "a3c5e7f90b1d2f4a6c8e0a2b4d6f8a0c", "5b7d9f1a3c5e7b9d", NULL, -1, false, "b3 pair");
    const char *short_id = "6c8e0a2b4d6f8a0c-5b7d9f1a3c5e7b9d-d";
    ok(tf_b3_parse(short_id, strlen(short_id), &c), "b3 64-bit trace id, debug");
    ctx_is(&c, "00000000000000006c8e0a2b4d6f8a0c", "5b7d9f1a3c5e7b9d", NULL, 1, true, "b3 64-bit");
    const char *deny = "A3C5E7F90B1D2F4A6C8E0A2B4D6F8A0C-5B7D9F1A3C5E7B9D-0";
    ok(tf_b3_parse(deny, strlen(deny), &c), "b3 in upper case, sampling 0");
    ctx_is(&c, "a3c5e7f90b1d2f4a6c8e0a2b4d6f8a0c", "5b7d9f1a3c5e7b9d", NULL, 0, false, "b3 deny");

    const char *bad[] = {
        "0", "1", "d", "", "-",
        "a3c5e7f90b1d2f4a6c8e0a2b4d6f8a0c",
        "a3c5e7f90b1d2f4a6c8e0a2b4d6f8a0c-",
        "a3c5e7f90b1d2f4a6c8e0a2b4d6f8a0c-5b7d9f1a3c5e7b9d-",
        "a3c5e7f90b1d2f4a6c8e0a2b4d6f8a0c-5b7d9f1a3c5e7b9d-2",
        "a3c5e7f90b1d2f4a6c8e0a2b4d6f8a0c-5b7d9f1a3c5e7b9d-10",
        "a3c5e7f90b1d2f4a6c8e0a2b4d6f8a0c-5b7d9f1a3c5e7b9d--0e2c4a6b8d0f2e4a",
        "a3c5e7f90b1d2f4a6c8e0a2b4d6f8a0c-5b7d9f1a3c5e7b9d-1-0e2c4a6b8d0f2e4",
        "a3c5e7f90b1d2f4a6c8e0a2b4d6f8a0c-5b7d9f1a3c5e7b9d-1-0e2c4a6b8d0f2e4a-x",
        "a3c5e7f90b1d2f4a6c8e0a2b4d6f8a0-5b7d9f1a3c5e7b9d",
        "a3c5e7f90b1d2f4a6c8e0a2b4d6f8a0c-5b7d9f1a3c5e7b9",
        "00000000000000000000000000000000-5b7d9f1a3c5e7b9d",
        "a3c5e7f90b1d2f4a6c8e0a2b4d6f8a0c-0000000000000000",
        "a3c5e7f90b1d2f4a6c8e0a2b4d6f8a0c-5b7d9f1a3c5e7b9g",
        "a3c5e7f90b1d2f4a6c8e0a2b4d6f8a0c 5b7d9f1a3c5e7b9d",
    };
    for (size_t i = 0; i < TF_ARRAY_LEN(bad); i++) {
        memset(&c, 0xee, sizeof c);
        ok(!tf_b3_parse(bad[i], strlen(bad[i]), &c) && c.trace_id[0] == 0xee, "b3 rejects '%s'",
           bad[i]);
    }
    ok(!tf_b3_parse(NULL, 0, &c), "b3 NULL rejected");
    char tp[56];
    ok(tf_b3_parse(full, strlen(full), &c) && tf_trace_ctx_traceparent(&c, tp), "b3 to traceparent");
    is_str(tp, "00-a3c5e7f90b1d2f4a6c8e0a2b4d6f8a0c-5b7d9f1a3c5e7b9d-01", "b3 as a traceparent");
}

#define S(lit) ((tf_str){ (lit), sizeof(lit) - 1 })
static void test_b3_multi(void)
{
    tf_trace_ctx c;
    tf_b3_headers h = { S("a3c5e7f90b1d2f4a6c8e0a2b4d6f8a0c"), S("5b7d9f1a3c5e7b9d"),
                        S("0e2c4a6b8d0f2e4a"), S("1"), { NULL, 0 } };
    ok(tf_b3_multi_parse(&h, &c), "b3 multi, all headers");
    ctx_is(&c, "a3c5e7f90b1d2f4a6c8e0a2b4d6f8a0c", "5b7d9f1a3c5e7b9d", "0e2c4a6b8d0f2e4a", 1, false,
           "b3 multi");
    tf_b3_headers h2 = { S(" 6c8e0a2b4d6f8a0c "), S("5B7D9F1A3C5E7B9D"), { NULL, 0 }, S("False"),
                         { NULL, 0 } };
    ok(tf_b3_multi_parse(&h2, &c), "b3 multi, 64-bit trace, sampled False");
    ctx_is(&c, "00000000000000006c8e0a2b4d6f8a0c", "5b7d9f1a3c5e7b9d", NULL, 0, false, "b3 multi 64");
    tf_b3_headers h3 = { S("a3c5e7f90b1d2f4a6c8e0a2b4d6f8a0c"), S("5b7d9f1a3c5e7b9d"), { NULL, 0 },
                         { NULL, 0 }, S("1") };
    ok(tf_b3_multi_parse(&h3, &c), "b3 multi, flags 1");
    ctx_is(&c, "a3c5e7f90b1d2f4a6c8e0a2b4d6f8a0c", "5b7d9f1a3c5e7b9d", NULL, 1, true, "b3 multi debug");
    tf_b3_headers h4 = { S("a3c5e7f90b1d2f4a6c8e0a2b4d6f8a0c"), S("5b7d9f1a3c5e7b9d"), { NULL, 0 },
                         S("true"), S("0") };
    ok(tf_b3_multi_parse(&h4, &c) && c.sampled == 1 && !c.debug, "b3 multi, sampled true, flags 0");

    tf_b3_headers bad[] = {
        { { NULL, 0 }, S("5b7d9f1a3c5e7b9d"), { NULL, 0 }, { NULL, 0 }, { NULL, 0 } },
        { S("a3c5e7f90b1d2f4a6c8e0a2b4d6f8a0c"), { NULL, 0 }, { NULL, 0 }, { NULL, 0 }, { NULL, 0 } },
        { S("a3c5e7f90b1d2f4a6c8e0a2b4d6f8a0"), S("5b7d9f1a3c5e7b9d"), { NULL, 0 }, { NULL, 0 }, { NULL, 0 } },
        { S("a3c5e7f90b1d2f4a6c8e0a2b4d6f8a0c"), S("5b7d9f1a3c5e7b9"), { NULL, 0 }, { NULL, 0 }, { NULL, 0 } },
        { S("a3c5e7f90b1d2f4a6c8e0a2b4d6f8a0c"), S("5b7d9f1a3c5e7b9d"), S("05e3"), { NULL, 0 }, { NULL, 0 } },
        { S("a3c5e7f90b1d2f4a6c8e0a2b4d6f8a0c"), S("5b7d9f1a3c5e7b9d"), { NULL, 0 }, S("yes"), { NULL, 0 } },
        { S("a3c5e7f90b1d2f4a6c8e0a2b4d6f8a0c"), S("5b7d9f1a3c5e7b9d"), { NULL, 0 }, { NULL, 0 }, S("2") },
        { S("00000000000000000000000000000000"), S("5b7d9f1a3c5e7b9d"), { NULL, 0 }, { NULL, 0 }, { NULL, 0 } },
    };
    const char *why[] = { "no trace id", "no span id", "31-hex trace id", "15-hex span id",
                          "short parent", "sampled yes", "flags 2", "all-zero trace id" };
    for (size_t i = 0; i < TF_ARRAY_LEN(bad); i++)
        ok(!tf_b3_multi_parse(&bad[i], &c), "b3 multi rejects: %s", why[i]);
}

static void test_xray(void)
{
    tf_trace_ctx c;
    const char *doc = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
    ok(tf_xray_parse(doc, strlen(doc), &c), "X-Ray header from the issue");
    ctx_is(&c, "5759e988bd862e3fe1be46a994272793", "53995c3f42cd8ad8", NULL, 1, false, "X-Ray");
    char tp[56];
    ok(tf_trace_ctx_traceparent(&c, tp), "X-Ray with a parent makes a traceparent");
    is_str(tp, "00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01", "X-Ray as a traceparent");

    const char *alb = "Root=1-669530cf-7d3e2a1b9c8f4e6d5a4b3c2d";
    ok(tf_xray_parse(alb, strlen(alb), &c), "X-Ray Root only (what an ALB adds)");
    ctx_is(&c, "669530cf7d3e2a1b9c8f4e6d5a4b3c2d", NULL, NULL, -1, false, "X-Ray root only");
    ok(!tf_trace_ctx_traceparent(&c, tp), "no traceparent without a parent");

    const char *self = "Self=1-66953100-0a0b0c0d0e0f101112131415;Root=1-66953100-f1e2d3c4b5a6978877665544;Requester=billing";
    ok(tf_xray_parse(self, strlen(self), &c), "X-Ray with Self and a custom field");
    ctx_is(&c, "66953100f1e2d3c4b5a6978877665544", NULL, NULL, -1, false, "X-Ray self");

    const char *loose = " sampled=? ; parent=53995C3F42CD8AD8 ;; root=1-5759E988-BD862E3FE1BE46A994272793 ;";
    ok(tf_xray_parse(loose, strlen(loose), &c), "X-Ray any order, any case, blanks, empty fields");
    ctx_is(&c, "5759e988bd862e3fe1be46a994272793", "53995c3f42cd8ad8", NULL, -1, false, "X-Ray loose");
    ok(tf_trace_ctx_traceparent(&c, tp), "open sampling still makes a traceparent");
    is_str(tp, "00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-00", "open sampling: flags 00");
    const char *twice = "Root=1-5759e988-bd862e3fe1be46a994272793;Root=1-00000000-000000000000000000000001;Sampled=0";
    ok(tf_xray_parse(twice, strlen(twice), &c), "X-Ray repeated Root");
    ctx_is(&c, "5759e988bd862e3fe1be46a994272793", NULL, NULL, 0, false, "X-Ray first Root counts");

    const char *bad[] = {
        "", "-", "Parent=53995c3f42cd8ad8;Sampled=1",
        "Root=2-5759e988-bd862e3fe1be46a994272793",
        "Root=1-5759e98-bd862e3fe1be46a994272793",
        "Root=1-5759e988-bd862e3fe1be46a99427279",
        "Root=1-5759e988bd862e3fe1be46a994272793",
        "Root=1-00000000-000000000000000000000000",
        "Root=1-5759e988-bd862e3fe1be46a99427279g",
        "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad",
        "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=0000000000000000",
        "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=yes",
        "Root=1-5759e988-bd862e3fe1be46a994272793;garbage",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    };
    for (size_t i = 0; i < TF_ARRAY_LEN(bad); i++) {
        memset(&c, 0xee, sizeof c);
        ok(!tf_xray_parse(bad[i], strlen(bad[i]), &c) && c.trace_id[0] == 0xee, "X-Ray rejects '%s'",
           bad[i]);
    }
    ok(!tf_xray_parse(NULL, 0, &c), "X-Ray NULL rejected");

    const char *w3c = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    ok(tf_traceparent_ctx(w3c, strlen(w3c), &c), "traceparent as a context");
    ctx_is(&c, "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", NULL, 1, false, "traceparent ctx");
    const char *w3c0 = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-02";
    ok(tf_traceparent_ctx(w3c0, strlen(w3c0), &c) && c.sampled == 0, "flags 02: not sampled");
    ok(!tf_traceparent_ctx("00-x", 4, &c), "bad traceparent rejected");
}

int main(void)
{
    test_derive();
    test_traceparent();
    test_id_forms();
    test_b3_single();
    test_b3_multi();
    test_xray();
    return done_testing();
}
