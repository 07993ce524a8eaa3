/* unit/usage_facts.c: usage facts from spans built by hand: each attribute's
 * fallback order (response over request model, the hosting provider over
 * gen_ai.provider.name over gen_ai.system, user.id over enduser.id,
 * total_cost over cost in either order), numbers as ints, doubles and
 * strings, negative numbers as 0, which spans count (the first; for "otlp"
 * every parentless one), the family (profile or service.name), strings cut
 * at a UTF-8 boundary, seal and reset. */
#include "config.h"
#include "usage/facts.h"
#include "tap.h"

#include <string.h>

static tf_arena arena;

static tf_span *span(const char *name, uint64_t start_ns, uint64_t end_ns)
{
    tf_span *s = tf_arena_calloc(&arena, sizeof *s);
    s->name = tf_str_c(name);
    s->start_ns = start_ns;
    s->end_ns = end_ns;
    return s;
}

static void str(tf_span *s, const char *k, const char *v)
{
    tf_attrs_cstr(&s->attrs, &arena, k, v);
}

static bool eq(tf_str s, const char *c)
{
    return s.len == strlen(c) && !memcmp(s.p, c, s.len);
}

static void test_openrouter_first_choices(void)
{
    tf_usage_facts f = { 0 };
    tf_span *root = span("chat openai/gpt-4o", 1000000000ull, 3500000000ull);
    str(root, "gen_ai.request.model", "req-model");
    str(root, "gen_ai.response.model", "resp-model");
    str(root, "gen_ai.system", "sys");
    str(root, "gen_ai.provider.name", "prov-name");
    str(root, "trace.metadata.openrouter.provider_name", "Hosting");
    str(root, "gen_ai.operation.name", "chat");
    str(root, "enduser.id", "end-1");
    str(root, "user.id", "user-1");
    str(root, "session.id", "sess-1");
    tf_attrs_int(&root->attrs, &arena, "gen_ai.usage.input_tokens", 120);
    tf_attrs_double(&root->attrs, &arena, "gen_ai.usage.output_tokens", 30.0);
    tf_attrs_cstr(&root->attrs, &arena, "gen_ai.usage.input_tokens.cached", "7");
    tf_attrs_double(&root->attrs, &arena, "gen_ai.usage.total_cost", 0.25);
    tf_attrs_double(&root->attrs, &arena, "gen_ai.usage.cost", 9.0); /* after total_cost: loses */
    root->status = TF_STATUS_ERROR;
    for (int i = 0; i < 16; i++)
        root->trace_id[i] = (uint8_t)(0xa0 + i);
    tf_span *child = span("child", 1100000000ull, 1200000000ull);
    str(child, "gen_ai.response.model", "child-model");
    tf_span *spans[] = { root, child };
    is_int(tf_usage_extract(&f, "openrouter", spans, 2), 1, "openrouter: one fact, from the first span");
    tf_usage_facts_seal(&f);
    const tf_usage_fact *u = &f.v[0];
    ok(eq(u->model, "resp-model"), "model: gen_ai.response.model over gen_ai.request.model");
    ok(eq(u->provider, "Hosting"), "provider: the hosting provider over provider.name and system");
    ok(eq(u->operation, "chat"), "operation");
    ok(eq(u->user, "user-1"), "user: user.id over enduser.id");
    ok(eq(u->session, "sess-1"), "session");
    ok(eq(u->span, "chat openai/gpt-4o"), "span: the span's name");
    ok(u->family == TF_USAGE_OPENROUTER, "family: openrouter by profile");
    is_u64(u->start_ns, 1000000000ull, "start");
    is_u64(u->duration_ns, 2500000000ull, "duration = end - start");
    is_u64(u->tokens[TF_TOK_INPUT], 120, "input tokens from an int");
    is_u64(u->tokens[TF_TOK_OUTPUT], 30, "output tokens from a double");
    is_u64(u->tokens[TF_TOK_CACHED], 7, "cached tokens from a numeric string");
    is_int(u->tokens_seen, (1 << TF_TOK_INPUT) | (1 << TF_TOK_OUTPUT) | (1 << TF_TOK_CACHED),
           "tokens_seen: reasoning absent");
    ok(u->has_cost && u->cost == 0.25, "cost: total_cost before cost wins");
    ok(u->error, "error: status ERROR");
    ok(u->trace_id[0] == 0xa0 && u->trace_id[15] == 0xaf, "trace id copied");
    tf_usage_facts_free(&f);
}

static void test_fallbacks(void)
{
    tf_usage_facts f = { 0 };
    tf_span *root = span("r", 5, 4); /* ends before it starts: duration 0 */
    tf_attrs_double(&root->attrs, &arena, "gen_ai.usage.cost", 1.5);
    tf_attrs_double(&root->attrs, &arena, "gen_ai.usage.total_cost", 0.5); /* after cost: still wins */
    str(root, "gen_ai.request.model", "only-request");
    str(root, "gen_ai.system", "only-system");
    str(root, "enduser.id", "only-enduser");
    tf_attrs_int(&root->attrs, &arena, "gen_ai.usage.output_tokens", -4);
    tf_attrs_cstr(&root->attrs, &arena, "gen_ai.usage.input_tokens", "many");
    tf_attrs_int(&root->attrs, &arena, "gen_ai.usage.output_tokens.reasoning", 0);
    tf_span *spans[] = { root };
    tf_usage_extract(&f, "openrouter", spans, 1);
    tf_usage_facts_seal(&f);
    const tf_usage_fact *u = &f.v[0];
    ok(eq(u->model, "only-request"), "model falls back to gen_ai.request.model");
    ok(eq(u->provider, "only-system"), "provider falls back to gen_ai.system");
    ok(eq(u->user, "only-enduser"), "user falls back to enduser.id");
    ok(u->session.len == 0 && u->operation.len == 0, "absent strings are empty");
    ok(u->has_cost && u->cost == 0.5, "total_cost wins over cost in either order");
    is_u64(u->duration_ns, 0, "negative duration is 0");
    is_u64(u->tokens[TF_TOK_OUTPUT], 0, "negative tokens count as 0");
    is_int(u->tokens_seen, (1 << TF_TOK_OUTPUT) | (1 << TF_TOK_REASONING),
           "a non-numeric string is not seen; a 0 is");
    ok(!u->error, "no error without status ERROR");

    tf_usage_facts_reset(&f);
    is_int(f.n, 0, "reset empties the list");
    tf_span *r2 = span("r2", 1, 2);
    tf_attrs_double(&r2->attrs, &arena, "gen_ai.usage.cost", -3.0);
    str(r2, "gen_ai.provider.name", "pname");
    str(r2, "gen_ai.system", "psys");
    spans[0] = r2;
    tf_usage_extract(&f, "openrouter", spans, 1);
    tf_usage_facts_seal(&f);
    ok(f.v[0].has_cost && f.v[0].cost == 0, "a negative cost counts as 0 (counters never go down)");
    ok(eq(f.v[0].provider, "pname"), "gen_ai.provider.name over gen_ai.system");
    ok(eq(f.v[0].model, ""), "absent model is empty after seal");
    tf_usage_facts_free(&f);
}

static void test_families_and_roots(void)
{
    tf_usage_facts f = { 0 };
    tf_attrs ra = { 0 };
    tf_attrs_cstr(&ra, &arena, "service.name", "checkout");
    tf_resource res = { .attrs = ra };
    tf_span *a = span("GET /a", 1, 2), *b = span("db", 1, 2), *c = span("GET /c", 3, 4);
    a->resource = b->resource = c->resource = &res;
    b->has_parent = true;
    tf_span *spans[] = { a, b, c };
    is_int(tf_usage_extract(&f, "otlp", spans, 3), 2, "otlp: every parentless span is a request");
    is_int(tf_usage_extract(&f, "nginx", spans, 3), 1, "other profiles: the first span only");
    is_int(tf_usage_extract(&f, NULL, spans, 0), 0, "no spans, no facts");
    tf_usage_facts_seal(&f);
    is_int(f.n, 3, "three facts in all");
    ok(f.v[0].family == TF_USAGE_TRACEFILL && eq(f.v[0].service, "checkout"), "tracefill family, service.name");
    ok(eq(f.v[1].span, "GET /c"), "the second root of the otlp record");
    ok(eq(f.v[2].span, "GET /a"), "the first span of the other record");

    tf_usage_facts_reset(&f);
    tf_attrs rb = { 0 };
    tf_attrs_cstr(&rb, &arena, "service.name", "openrouter");
    tf_resource res2 = { .attrs = rb };
    a->resource = &res2;
    spans[0] = a;
    tf_usage_extract(&f, "otlp", spans, 1);
    tf_usage_facts_seal(&f);
    ok(f.v[0].family == TF_USAGE_OPENROUTER, "service.name openrouter replayed: openrouter family");
    tf_usage_facts_free(&f);
}

static void test_cut(void)
{
    tf_usage_facts f = { 0 };
    char longname[TF_USAGE_STR_MAX + 8];
    memset(longname, 'a', TF_USAGE_STR_MAX - 1);
    memcpy(longname + TF_USAGE_STR_MAX - 1, "\xc3\xa9zz", 5); /* é straddles byte 200 */
    tf_span *root = span("r", 1, 2);
    str(root, "gen_ai.response.model", longname);
    char longuser[TF_USAGE_STR_MAX + 2];
    memset(longuser, 'u', TF_USAGE_STR_MAX + 1);
    longuser[TF_USAGE_STR_MAX + 1] = '\0';
    str(root, "user.id", longuser);
    tf_span *spans[] = { root };
    /* a second record: the storage grows, offsets must survive the seal */
    tf_usage_extract(&f, "openrouter", spans, 1);
    tf_usage_extract(&f, "openrouter", spans, 1);
    tf_usage_facts_seal(&f);
    tf_usage_facts_seal(&f); /* twice is harmless */
    is_int(f.v[0].model.len, TF_USAGE_STR_MAX - 1, "cut before a UTF-8 sequence that crosses the limit");
    is_int(f.v[1].user.len, TF_USAGE_STR_MAX, "ASCII cut at the limit");
    ok(f.v[1].model.p[0] == 'a' && f.v[1].model.p[TF_USAGE_STR_MAX - 2] == 'a', "the kept bytes are the first");
    tf_usage_facts_free(&f);
}

int main(void)
{
    tf_arena_init(&arena, 4096);
    test_openrouter_first_choices();
    test_fallbacks();
    test_families_and_roots();
    test_cut();
    tf_arena_free(&arena);
    return done_testing();
}
