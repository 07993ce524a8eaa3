/* unit/openrouter.c: the OpenRouter profile through its interface, as a
 * mapping worker uses it: Broadcast's IDs against sha256sum vectors (the
 * worked example, a two-digit attempt index, a generation id longer than
 * the stack key buffer, the guessed moderation and grouping spans), the
 * per-record resource (not interned) and the shared scope, hex trace
 * context and --join-trace-names, the per-thread key cache past its bound,
 * camelCase keys, record-shape dispatch and the reject reasons.
 * Records are written with ` for " to keep them readable. */
#include "config.h"
#include "map/profile.h"
#include "otlp/resource.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static tf_opts opts;
static tf_map_env env;
static tf_json_parser *parser;
static tf_arena arena;

typedef struct {
    int rc;
    tf_map_out out;
    char why[TF_ERR_MAX];
} result;

static result map_with(const tf_profile *p, tf_profile_state *st, const char *record)
{
    char *text = tf_xstrdup(record);
    for (char *c = text; *c; c++)
        if (*c == '`')
            *c = '"';
    result r = { .out = { .arena = &arena } };
    tf_err err;
    tf_json *v = tf_json_parse_one(parser, &arena, text, strlen(text), &err);
    tf_record rec = { .json = v, .text = text, .len = strlen(text), .stream = "test" };
    tf_err why;
    tf_err_clear(&why);
    r.rc = v ? tf_profile_map(p, st, &rec, &r.out, &why) : -1;
    snprintf(r.why, sizeof r.why, "%s", v ? why.msg : err.msg);
    free(text); /* the tree holds copies */
    return r;
}

static char hexbuf[8][40];
static int hexi;
static const char *hex(const uint8_t *id, size_t n)
{
    char *b = hexbuf[hexi++ % 8];
    tf_hex_encode(b, id, n);
    b[2 * n] = '\0';
    return b;
}

static const tf_span *named(const result *r, const char *name)
{
    for (size_t i = 0; i < r->out.n; i++)
        if (tf_str_eqc(r->out.spans[i]->name, name))
            return r->out.spans[i];
    return NULL;
}

static const char *str_attr(const tf_attrs *a, const char *key)
{
    const tf_kv *kv = tf_attrs_find(a, key);
    static char buf[512];
    if (!kv)
        return "(none)";
    if (kv->value.type != TF_VAL_STRING)
        return "(not a string)";
    snprintf(buf, sizeof buf, "%.*s", (int)kv->value.u.s.len, kv->value.u.s.p);
    return buf;
}

static void test_ids(const tf_profile *p, tf_profile_state *st)
{
    /* printf '%s' gen-1790606272-klALDjkN7Ke6rbM52aHZ | sha256sum (doc/ids.md) */
    result r = map_with(p, st, "{`id`: `gen-1790606272-klALDjkN7Ke6rbM52aHZ`, `created_at`: `2026-09-28T14:11:12Z`}");
    is_int(r.rc, TF_MAP_OK, "the worked example maps");
    is_str(hex(r.out.spans[0]->trace_id, 16), "7195c25a8068522385c817c8cb73fd1d", "worked example: trace id");
    is_str(hex(r.out.spans[0]->span_id, 8), "7195c25a80685223", "worked example: root span id");
    is_int(r.out.n, 1, "no latency, attempts or generation time: the root alone");
    is_u64(r.out.spans[0]->end_ns, r.out.spans[0]->start_ns, "and it has zero length");
    tf_arena_reset(&arena);

    /* eleven attempts: the last is gen-u1:attempt-10 (b6ace132023d6861) */
    char rec[2048];
    size_t n = (size_t)snprintf(rec, sizeof rec, "{`id`: `gen-u1`, `created_at`: 1, `moderation_latency`: 5, "
                                                 "`trace`: {`span_name`: `group`}, `provider_responses`: [");
    for (int i = 0; i < 11; i++)
        n += (size_t)snprintf(rec + n, sizeof rec - n, "%s{`provider_name`: `P%d`, `latency`: 1}", i ? "," : "", i);
    snprintf(rec + n, sizeof rec - n, "]}");
    r = map_with(p, st, rec);
    is_int(r.out.n, 14, "root, grouping span, moderation and eleven attempts");
    const tf_span *a10 = named(&r, "provider attempt 11: P10");
    is_str(a10 ? hex(a10->span_id, 8) : "", "b6ace132023d6861", "attempt index 10: sha256(gen-u1:attempt-10)");
    is_u64(a10 ? a10->start_ns - r.out.spans[0]->start_ns : 0, 10000000, "it starts after the ten before it, 1 ms each");
    const tf_span *m = named(&r, "moderation");
    is_str(m ? hex(m->span_id, 8) : "", "8013fa83634c96b2", "moderation: sha256(gen-u1:moderation) (a guess)");
    const tf_span *g = named(&r, "group");
    is_str(g ? hex(g->span_id, 8) : "", "c3dda3a0018c1c02", "grouping span: sha256(gen-u1:span) (a guess)");
    ok(g && !g->has_parent, "the grouping span takes the request's parent (none)");
    is_str(hex(r.out.spans[0]->parent_span_id, 8), g ? hex(g->span_id, 8) : "-", "the root sits under it");
    is_str(hex(r.out.spans[0]->trace_id, 16), "d13e7498219bb0b6eabf6e22c091069c", "trace: sha256(gen-u1)");
    tf_arena_reset(&arena);

    /* a 300-byte generation id: the child key no longer fits the stack buffer */
    char longid[301];
    memcpy(longid, "gen-", 4);
    memset(longid + 4, 'x', 296);
    longid[300] = '\0';
    snprintf(rec, sizeof rec, "{`id`: `%s`, `created_at`: 1, `generation_time`: 2}", longid);
    r = map_with(p, st, rec);
    is_str(hex(r.out.spans[0]->trace_id, 16), "c53e7631ca57321d4b9f01bdc2803555", "a 300-byte id: trace id");
    const tf_span *gen = named(&r, "generation");
    is_str(gen ? hex(gen->span_id, 8) : "", "ce6c257462a29b46", "a 300-byte id: generation span id");
    tf_arena_reset(&arena);
}

static void test_resource(const tf_profile *p, tf_profile_state *st)
{
    result r1 = map_with(p, st, "{`id`: `gen-r1`, `created_at`: 1, `generation_time`: 1}");
    const tf_resource *res1 = r1.out.spans[0]->resource;
    const tf_scope *sc1 = r1.out.spans[0]->scope;
    ok(!res1->interned, "a record's resource is not interned");
    is_str(str_attr(&res1->attrs, "openrouter.trace.id"), "gen-r1", "it carries the generation id");
    ok(r1.out.spans[1]->resource == res1, "the record's spans share it");
    is_str(sc1 ? tf_arena_strndup(&arena, sc1->name.p, sc1->name.len) : "", "openrouter", "scope openrouter");
    is_int(sc1->version.len, 0, "without a version");
    result r2 = map_with(p, st, "{`id`: `gen-r2`, `created_at`: 1}");
    ok(r2.out.spans[0]->resource != res1, "the next record has a resource of its own");
    is_str(str_attr(&r2.out.spans[0]->resource->attrs, "openrouter.trace.id"), "gen-r2", "with its own id");
    is_str(str_attr(&res1->attrs, "openrouter.trace.id"), "gen-r1", "the first is unchanged (no shared template written)");
    ok(r2.out.spans[0]->scope == sc1, "the scope is interned once and shared");
    tf_arena_reset(&arena);
}

static void test_context(const tf_profile *p, tf_profile_state *st, const tf_profile *joiner, tf_profile_state *jst)
{
    const char *rec = "{`id`: `gen-c1`, `created_at`: 1, `trace`: {`trace_id`: `4BF92F3577B34DA6A3CE929D0E0E4736`, "
                      "`parent_span_id`: `00f067aa0ba902b7`}}";
    result r = map_with(p, st, rec);
    is_str(hex(r.out.spans[0]->trace_id, 16), "4bf92f3577b34da6a3ce929d0e0e4736", "a hex trace_id (either case) is the trace");
    ok(r.out.spans[0]->has_parent, "a hex parent_span_id is the parent");
    is_str(hex(r.out.spans[0]->parent_span_id, 8), "00f067aa0ba902b7", "as given");
    tf_arena_reset(&arena);
    rec = "{`id`: `gen-u1`, `created_at`: 1, `trace`: {`trace_id`: `agent-run-42`, `parent_span_id`: `step-7`}}";
    r = map_with(p, st, rec);
    is_str(hex(r.out.spans[0]->trace_id, 16), "d13e7498219bb0b6eabf6e22c091069c", "a non-hex trace_id joins nothing (own trace)");
    ok(!r.out.spans[0]->has_parent, "a non-hex parent_span_id is ignored");
    tf_arena_reset(&arena);
    /* printf 'tracefill:v1\000%s\000%s' trace agent-run-42 | sha256sum | cut -c1-32, span step-7 | cut -c33-48 */
    r = map_with(joiner, jst, rec);
    is_str(hex(r.out.spans[0]->trace_id, 16), "dbcc8706d563efb78095c20c4482dd2f", "--join-trace-names: the name is hashed");
    is_str(hex(r.out.spans[0]->parent_span_id, 8), "ac5a12eaf52648f8", "--join-trace-names: so is the parent's");
    is_str(hex(r.out.spans[0]->span_id, 8), "d13e7498219bb0b6", "the root's own span id stays Broadcast's");
    tf_arena_reset(&arena);
    r = map_with(joiner, jst, "{`id`: `gen-u1`, `created_at`: 1, `trace`: {`trace_id`: `{4BF92F35-77B3-4DA6-A3CE-929D0E0E4736}`}}");
    is_str(hex(r.out.spans[0]->trace_id, 16), "4bf92f3577b34da6a3ce929d0e0e4736", "--join-trace-names: a UUID is used as given");
    tf_arena_reset(&arena);
}

static void test_key_cache(const tf_profile *p, tf_profile_state *st)
{
    /* 1500 distinct fields: more than the cache keeps; two records in a row */
    size_t cap = 64 * 1500 + 128, n = 0;
    char *rec = malloc(cap);
    n += (size_t)snprintf(rec + n, cap - n, "{`id`: `gen-k`, `created_at`: 1");
    for (int i = 0; i < 1500; i++)
        n += (size_t)snprintf(rec + n, cap - n, ", `field_%04d`: {`n`: %d}", i, i);
    snprintf(rec + n, cap - n, "}");
    for (int round = 0; round < 2; round++) {
        result r = map_with(p, st, rec);
        size_t right = 0;
        for (int i = 0; i < 1500; i++) {
            char key[96];
            snprintf(key, sizeof key, "trace.metadata.openrouter_generation.field_%04d.n", i);
            const tf_kv *kv = tf_attrs_find(&r.out.spans[0]->attrs, key);
            right += kv && kv->value.type == TF_VAL_INT && kv->value.u.i == i;
        }
        is_int(right, 1500, "record %d: all 1500 flattened fields under their names, past the key cache's bound", round + 1);
        tf_arena_reset(&arena);
    }
    free(rec);
}

static void test_shapes(const tf_profile *p, tf_profile_state *st)
{
    result r = map_with(p, st, "{`id`: `gen-s`, `createdAt`: `2026-01-01T00:00:00Z`, `nativeTokensPrompt`: 3, "
                               "`isByok`: true, `providerResponses`: [{`providerName`: `X`, `endpointId`: `e`, `isByok`: false, `status`: 200}]}");
    is_int(r.rc, TF_MAP_OK, "camelCase maps");
    const tf_kv *kv = tf_attrs_find(&r.out.spans[0]->attrs, "gen_ai.usage.input_tokens");
    ok(kv && kv->value.type == TF_VAL_INT && kv->value.u.i == 3, "nativeTokensPrompt is the input token count");
    is_str(str_attr(&r.out.spans[0]->attrs, "trace.metadata.provider_responses"),
           "[{\"provider_name\":\"X\",\"endpoint_id\":\"e\",\"is_byok\":false,\"status\":200}]",
           "provider_responses keys are written in snake_case");
    kv = tf_attrs_find(&r.out.spans[0]->attrs, "trace.metadata.openrouter_generation.is_byok");
    ok(kv && kv->value.type == TF_VAL_BOOL && kv->value.u.b, "isByok is trace.metadata.openrouter_generation.is_byok");
    const tf_span *a = named(&r, "provider attempt 1: X");
    kv = a ? tf_attrs_find(&a->attrs, "span.metadata.is_byok") : NULL;
    ok(kv && kv->value.type == TF_VAL_BOOL && !kv->value.u.b, "the attempt's isByok is span.metadata.is_byok");
    is_str(a ? str_attr(&a->attrs, "span.metadata.endpoint_id") : "", "e", "and endpointId its endpoint_id");
    tf_arena_reset(&arena);

    r = map_with(p, st, "{`id`: `gen-ch`, `created_at`: 1, `choices`: [{`message`: {`content`: `the answer`}}], "
                        "`output`: `ignored`, `x`: 1}");
    is_str(str_attr(&r.out.spans[0]->attrs, "gen_ai.completion"), "{\"completion\":\"the answer\"}",
           "a generation record's choices give the completion");
    ok(!tf_attrs_find(&r.out.spans[0]->attrs, "trace.metadata.openrouter_generation.choices") &&
           !tf_attrs_find(&r.out.spans[0]->attrs, "trace.metadata.openrouter_generation.output") &&
           tf_attrs_find(&r.out.spans[0]->attrs, "trace.metadata.openrouter_generation.x"),
       "content fields never become metadata (other fields do)");
    tf_arena_reset(&arena);

    r = map_with(p, st, "{`resourceSpans`: [{`scopeSpans`: [{`spans`: [{`traceId`: `0102030405060708090a0b0c0d0e0f10`, "
                        "`spanId`: `0102030405060708`, `startTimeUnixNano`: `5`}]}]}]}");
    is_int(r.rc, TF_MAP_OK, "an OTLP delivery is replayed");
    ok(r.out.independent && r.out.n == 1 && r.out.spans[0]->start_ns == 5, "as the OTLP profile does (independent spans)");
    tf_arena_reset(&arena);

    static const struct {
        const char *rec, *why;
    } rejects[] = {
        { "[1]", "record is not a JSON object" },
        { "{`created_at`: 1}", "no generation id (\"id\" missing, null or not a string)" },
        { "{`id`: `gen-x`, `model`: `m`}", "no created_at timestamp" },
        { "{`id`: `gen-x`, `created_at`: `soon`}", "created_at is not a valid timestamp" },
        { "{`id`: `gen-x`, `choices`: []}", "no created timestamp (a chat-completion response needs \"created\")" },
        { "{`id`: `gen-x`, `created`: `soon`}", "created is not a valid timestamp" },
        { "{`resourceSpans`: [{`scopeSpans`: [{`spans`: [{`spanId`: `0102030405060708`}]}]}]}",
          "span without a valid traceId (32 hex digits)" },
    };
    for (size_t i = 0; i < TF_ARRAY_LEN(rejects); i++) {
        r = map_with(p, st, rejects[i].rec);
        is_int(r.rc, TF_MAP_REJECT, "rejected: %s", rejects[i].rec);
        is_str(r.why, rejects[i].why, "with the reason");
        tf_arena_reset(&arena);
    }
}

int main(void)
{
    tf_opts_defaults(&opts);
    env.opts = &opts;
    env.interner = tf_interner_new();
    parser = tf_json_parser_new();
    tf_arena_init(&arena, 64 * 1024);
    tf_profile *p = tf_profile_openrouter_new(&env);
    tf_profile_state *st = tf_profile_state_new(p);
    ok(st != NULL, "the profile gives each thread a state");

    tf_opts jopts = opts;
    jopts.join_trace_names = true;
    tf_map_env jenv = env;
    jenv.opts = &jopts;
    tf_profile *joiner = tf_profile_openrouter_new(&jenv);
    tf_profile_state *jst = tf_profile_state_new(joiner);

    test_ids(p, st);
    test_resource(p, st);
    test_context(p, st, joiner, jst);
    test_key_cache(p, st);
    test_shapes(p, st);

    tf_profile_state_free(joiner, jst);
    tf_profile_free(joiner);
    tf_profile_state_free(p, st);
    tf_profile_free(p);
    tf_json_parser_free(parser);
    tf_arena_free(&arena);
    tf_interner_free(env.interner);
    return done_testing();
}
