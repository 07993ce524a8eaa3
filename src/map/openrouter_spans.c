/* openrouter_spans.c: one request (or_req) → the spans Broadcast sends for
 * it: the "LLM Generation" root, one span per provider attempt, the
 * "generation" span, and the documented guesses (moderation, the grouping
 * span of trace.span_name). IDs follow Broadcast's public rule
 * (doc/ids.md): SHA-256 of the generation id, plus ":attempt-<i>",
 * ":generation" (and, guessed, ":moderation", ":span") for the children.
 * The resource is the record's own (openrouter.trace.id is the generation
 * id), built in the record's arena and not interned. */
#include "config.h"
#include "map/openrouter.h"
#include "common/hash.h"
#include "common/ids.h"

#include <string.h>

/* ---- attributes ---------------------------------------------------------------- */

static tf_kv *put(tf_attrs *at, tf_arena *a, tf_str key)
{
    return tf_attrs_add(at, a, key);
}

static void put_s(tf_attrs *at, tf_arena *a, tf_str key, tf_str v)
{
    tf_kv *kv = put(at, a, key);
    kv->value.type = TF_VAL_STRING;
    kv->value.u.s = v;
}

static void put_i(tf_attrs *at, tf_arena *a, tf_str key, int64_t v)
{
    tf_kv *kv = put(at, a, key);
    kv->value.type = TF_VAL_INT;
    kv->value.u.i = v;
}

/* An integer attribute from a count (left out unless it is one). */
static void put_count(tf_attrs *at, tf_arena *a, tf_str key, const tf_json *v)
{
    int64_t x;
    if (v && tf_json_as_int64(v, &x))
        put_i(at, a, key, x);
}

/* A double attribute, whatever the JSON spelling ("0" too). */
static void put_money(tf_attrs *at, tf_arena *a, tf_str key, const tf_json *v)
{
    double d;
    if (v && tf_json_as_double(v, &d)) {
        tf_kv *kv = put(at, a, key);
        kv->value.type = TF_VAL_DOUBLE;
        kv->value.u.d = d;
    }
}

/* A scalar with its JSON type (objects and arrays as JSON strings). */
static void put_json(tf_attrs *at, tf_arena *a, tf_buf *scratch, tf_str key, const tf_json *v)
{
    if (!v || v->type == TF_JSON_NULL)
        return;
    tf_kv *kv = put(at, a, key);
    if (v->type == TF_JSON_OBJECT || v->type == TF_JSON_ARRAY) {
        kv->value.type = TF_VAL_STRING;
        kv->value.u.s = or_json_string(a, scratch, v, false);
    } else {
        tf_value_from_json(&kv->value, v, a);
    }
}

static void reserve(tf_attrs *at, tf_arena *a, size_t cap)
{
    at->kv = tf_arena_alloc(a, cap * sizeof *at->kv);
    at->cap = cap;
    at->n = 0;
}

static void put_level(tf_span *s, tf_arena *a, bool failed, tf_str msg)
{
    put_s(&s->attrs, a, TF_STR("span.level"), failed ? TF_STR("ERROR") : TF_STR("DEFAULT"));
    s->status = failed ? TF_STATUS_ERROR : TF_STATUS_OK;
    if (failed) {
        s->status_message = msg;
        put_s(&s->attrs, a, TF_STR("span.status_message"), msg);
    }
}

/* ---- ids ------------------------------------------------------------------------- */

static void nonzero(uint8_t *id, size_t n)
{
    if (tf_id_is_zero(id, n))
        id[n - 1] = 1;
}

/* First 8 bytes of SHA-256(gen_id || suffix). */
static void child_id(tf_arena *a, tf_str gen_id, tf_str suffix, uint8_t out[8])
{
    char stack[256];
    size_t n = gen_id.len + suffix.len;
    char *key = n <= sizeof stack ? stack : tf_arena_alloc(a, n);
    memcpy(key, gen_id.p, gen_id.len);
    memcpy(key + gen_id.len, suffix.p, suffix.len);
    uint8_t d[32];
    tf_sha256_oneshot(key, n, d);
    memcpy(out, d, 8);
    nonzero(out, 8);
}

/* Exactly n bytes of hex (either case), not all zero. */
static bool hex_id(const tf_json *v, uint8_t *out, size_t n)
{
    return v && v->type == TF_JSON_STRING && v->str.len == 2 * n && tf_hex_decode(out, v->str.p, n) == 0 &&
           !tf_id_is_zero(out, n);
}

/* --join-trace-names: tracefill's own recipe (doc/ids.md), key part NUL name. */
static void joined(const char *part, tf_str name, uint8_t trace_id[16], uint8_t span_id[8])
{
    const char *parts[2] = { part, name.p };
    size_t lens[2] = { strlen(part), name.len };
    tf_id_derive_parts(parts, lens, 2, trace_id, span_id);
}

/* ---- the request's trace object ---------------------------------------------------- */

typedef struct {
    tf_str trace_name, span_name, generation_name;
} trace_names;

static void from_traceparent(tf_span *root, const tf_json *tp)
{
    uint8_t tid[16], sid[8], flags;
    if (tp && tp->type == TF_JSON_STRING && tf_traceparent_parse(tp->str.p, tp->str.len, tid, sid, &flags)) {
        memcpy(root->trace_id, tid, 16);
        memcpy(root->parent_span_id, sid, 8);
        root->has_parent = true;
        root->flags = flags;
    }
}

/* The trace context: hex trace_id / parent_span_id used as they are (what
 * live does); with --join-trace-names also traceparent and hashed names. */
static void trace_context(const tf_opts *o, const or_req *r, tf_span *root, trace_names *names)
{
    const tf_json *t = r->trace;
    if (o->join_trace_names) {
        from_traceparent(root, r->traceparent);
        from_traceparent(root, t ? tf_json_get_nn(t, "traceparent") : NULL);
    }
    for (size_t i = 0; t && i < t->n; i++) {
        tf_str k = t->keys[i];
        const tf_json *v = t->items[i];
        if (v->type != TF_JSON_STRING || !v->str.len)
            continue;
        uint8_t tid[16], sid[8];
        if (or_key_is(k, "trace_id")) {
            if (hex_id(v, tid, 16))
                memcpy(root->trace_id, tid, 16);
            else if (o->join_trace_names && !tf_trace_id_parse(v->str.p, v->str.len, root->trace_id))
                joined("trace", v->str, root->trace_id, sid);
        } else if (or_key_is(k, "parent_span_id")) {
            if (hex_id(v, sid, 8)) {
                memcpy(root->parent_span_id, sid, 8);
                root->has_parent = true;
            } else if (o->join_trace_names) {
                if (!tf_span_id_parse(v->str.p, v->str.len, root->parent_span_id))
                    joined("span", v->str, tid, root->parent_span_id);
                root->has_parent = true;
            }
        } else if (or_key_is(k, "trace_name")) {
            names->trace_name = v->str;
        } else if (or_key_is(k, "span_name")) {
            names->span_name = v->str;
        } else if (or_key_is(k, "generation_name")) {
            names->generation_name = v->str;
        }
    }
}

static bool is_known_trace_key(const tf_opts *o, tf_str k)
{
    return or_key_is(k, "trace_id") || or_key_is(k, "parent_span_id") || or_key_is(k, "trace_name") ||
           or_key_is(k, "span_name") || or_key_is(k, "generation_name") ||
           (o->join_trace_names && or_key_is(k, "traceparent"));
}

/* Custom keys: trace.metadata.<key>, then span.metadata.<key>. */
static void custom_trace_keys(const tf_opts *o, const tf_json *t, tf_attrs *at, tf_arena *a, tf_profile_state *st)
{
    for (int pass = 0; pass < 2 && t; pass++)
        for (size_t i = 0; i < t->n; i++) {
            if (is_known_trace_key(o, t->keys[i]) || t->items[i]->type == TF_JSON_NULL)
                continue;
            bool cached;
            tf_str key = or_prefixed(st, a, pass ? TF_STR("span.metadata.") : TF_STR("trace.metadata."), 0, t->keys[i],
                                     &cached);
            or_add_flat(at, a, st, key, cached, t->items[i]);
        }
}

/* ---- content ------------------------------------------------------------------------ */

static tf_str finish_copy(tf_arena *a, tf_buf *b)
{
    return (tf_str){ tf_arena_strndup(a, b->p, b->len), b->len };
}

static void json_into(tf_buf *b, const tf_json *v)
{
    tf_json_write(b, v);
}

/* gen_ai.prompt: {"messages": [...]}; a prompt string is one user message. */
static void put_prompt(tf_attrs *at, tf_arena *a, tf_buf *b, const or_req *r)
{
    const tf_json *m = r->messages ? r->messages : r->prompt && r->prompt->type == TF_JSON_ARRAY ? r->prompt : NULL;
    if (!m && !r->prompt)
        return;
    b->len = 0;
    tf_buf_puts(b, "{\"messages\":");
    if (m) {
        json_into(b, m);
    } else {
        tf_buf_puts(b, "[{\"role\":\"user\",\"content\":");
        json_into(b, r->prompt);
        tf_buf_puts(b, "}]");
    }
    tf_buf_putc(b, '}');
    put_s(at, a, TF_STR("gen_ai.prompt"), finish_copy(a, b));
}

/* gen_ai.completion: {"completion": ..., "reasoning": ..., "toolCalls": [...]}. */
static void put_completion(tf_attrs *at, tf_arena *a, tf_buf *b, const or_req *r)
{
    const tf_json *parts[3] = { r->completion, r->reasoning, r->tool_calls };
    static const char *const names[3] = { "\"completion\":", "\"reasoning\":", "\"toolCalls\":" };
    b->len = 0;
    tf_buf_putc(b, '{');
    for (int i = 0; i < 3; i++) {
        if (!parts[i] || parts[i]->type == TF_JSON_NULL)
            continue;
        if (b->len > 1)
            tf_buf_putc(b, ',');
        tf_buf_puts(b, names[i]);
        json_into(b, parts[i]);
    }
    if (b->len == 1)
        return;
    tf_buf_putc(b, '}');
    put_s(at, a, TF_STR("gen_ai.completion"), finish_copy(a, b));
}

/* gen_ai.response.finish_reasons: a string holding a JSON array. */
static void put_finish_reasons(tf_attrs *at, tf_arena *a, tf_buf *b, const or_req *r)
{
    b->len = 0;
    tf_buf_putc(b, '[');
    if (r->finish_reasons) {
        for (size_t i = 0; i < r->finish_reasons->n; i++) {
            const tf_json *fr = tf_json_get_nn(r->finish_reasons->items[i], "finish_reason");
            if (!fr)
                fr = tf_json_get_nn(r->finish_reasons->items[i], "finishReason");
            if (!fr || fr->type != TF_JSON_STRING)
                continue;
            if (b->len > 1)
                tf_buf_putc(b, ',');
            tf_json_write_string(b, fr->str.p, fr->str.len);
        }
    } else if (r->finish_reason) {
        tf_json_write_string(b, r->finish_reason->str.p, r->finish_reason->str.len);
    }
    if (b->len == 1)
        return;
    tf_buf_putc(b, ']');
    put_s(at, a, TF_STR("gen_ai.response.finish_reasons"), finish_copy(a, b));
}

/* ---- the spans ------------------------------------------------------------------------ */

static const tf_resource *make_resource(const or_profile *p, tf_str gen_id, tf_arena *a)
{
    tf_resource *res = tf_arena_calloc(a, sizeof *res);
    size_t n = p->resource_tmpl.n;
    res->attrs.kv = tf_arena_alloc(a, n * sizeof(tf_kv));
    memcpy(res->attrs.kv, p->resource_tmpl.kv, n * sizeof(tf_kv));
    res->attrs.n = res->attrs.cap = n;
    if (p->trace_id_slot >= 0)
        res->attrs.kv[p->trace_id_slot].value.u.s = gen_id;
    return res;
}

static tf_span *child(tf_map_out *out, const tf_span *root, tf_str gen_id, tf_str suffix, size_t n_attrs)
{
    tf_span *c = tf_map_new_span(out);
    memcpy(c->trace_id, root->trace_id, 16);
    child_id(out->arena, gen_id, suffix, c->span_id);
    memcpy(c->parent_span_id, root->span_id, 8);
    c->has_parent = true;
    c->flags = root->flags;
    c->resource = root->resource;
    c->scope = root->scope;
    c->kind = TF_KIND_SERVER;
    reserve(&c->attrs, out->arena, n_attrs);
    put_s(&c->attrs, out->arena, TF_STR("span.type"), TF_STR("span"));
    return c;
}

static tf_str model_author(tf_str model)
{
    const char *slash = model.len ? memchr(model.p, '/', model.len) : NULL;
    return slash ? (tf_str){ model.p, (size_t)(slash - model.p) } : (tf_str){ NULL, 0 };
}

static void root_attrs(const or_profile *p, tf_profile_state *st, const or_req *r, const trace_names *names,
                       tf_span *root, tf_arena *a)
{
    const tf_opts *o = p->base.env->opts;
    tf_buf *b = &st->scratch;
    tf_attrs *at = &root->attrs;
    reserve(at, a, 40 + (r->trace ? 2 * r->trace->n : 0) + r->generation.n);
    put_s(at, a, TF_STR("trace.name"), names->trace_name.len ? names->trace_name : TF_STR("OpenRouter Request"));
    put_s(at, a, TF_STR("span.type"), TF_STR("generation"));
    put_level(root, a, r->failed, r->fail_msg);
    put_s(at, a, TF_STR("gen_ai.operation.name"), r->operation);
    tf_str author = model_author(r->response_model.len ? r->response_model : r->request_model);
    if (author.len) {
        put_s(at, a, TF_STR("gen_ai.system"), author);
        put_s(at, a, TF_STR("gen_ai.provider.name"), author);
    }
    if (r->request_model.len)
        put_s(at, a, TF_STR("gen_ai.request.model"), r->request_model);
    if (r->response_model.len)
        put_s(at, a, TF_STR("gen_ai.response.model"), r->response_model);
    put_s(at, a, TF_STR("gen_ai.response.id"), r->gen_id);
    put_count(at, a, TF_STR("gen_ai.usage.input_tokens"), r->tok_in);
    put_count(at, a, TF_STR("gen_ai.usage.output_tokens"), r->tok_out);
    int64_t tin, tout;
    if (r->tok_total)
        put_count(at, a, TF_STR("gen_ai.usage.total_tokens"), r->tok_total);
    else if (r->tok_in && r->tok_out && tf_json_as_int64(r->tok_in, &tin) && tf_json_as_int64(r->tok_out, &tout))
        put_i(at, a, TF_STR("gen_ai.usage.total_tokens"), tin + tout);
    put_count(at, a, TF_STR("gen_ai.usage.input_tokens.cached"), r->tok_cached);
    put_count(at, a, TF_STR("gen_ai.usage.output_tokens.reasoning"), r->tok_reasoning);
    put_count(at, a, TF_STR("gen_ai.usage.input_tokens.cache_write"), r->tok_cache_write);
    if (!r->failed) {
        put_money(at, a, TF_STR("gen_ai.usage.total_cost"), r->total_cost);
        put_money(at, a, TF_STR("gen_ai.usage.input_cost"), r->input_cost);
        put_money(at, a, TF_STR("gen_ai.usage.output_cost"), r->output_cost);
    }
    if (r->finish_reason)
        put_s(at, a, TF_STR("gen_ai.response.finish_reason"), r->finish_reason->str);
    put_finish_reasons(at, a, b, r);
    if (!o->privacy) {
        put_prompt(at, a, b, r);
        put_completion(at, a, b, r);
    }
    put_json(at, a, b, TF_STR("trace.metadata.openrouter.provider_name"), r->provider_name);
    put_json(at, a, b, TF_STR("trace.metadata.openrouter.provider_slug"), r->provider_slug);
    put_json(at, a, b, TF_STR("trace.metadata.openrouter.finish_reason"), r->native_finish);
    for (int i = 0; i < OR_META_COUNT; i++) {
        if (!r->live_meta[i])
            continue;
        bool cached;
        tf_str key = or_prefixed(st, a, TF_STR("trace.metadata.openrouter."), 0, tf_str_c(or_live_meta_names[i]), &cached);
        if (i == OR_META_INPUT_UNIT_PRICE || i == OR_META_OUTPUT_UNIT_PRICE)
            put_money(at, a, key, r->live_meta[i]);
        else
            put_json(at, a, b, key, r->live_meta[i]);
    }
    if (r->provider_responses) {
        tf_str pr = or_json_string(a, b, r->provider_responses, true);
        put_s(at, a, TF_STR("trace.metadata.provider_responses"), pr);
        put_s(at, a, TF_STR("span.metadata.provider_responses"), pr);
    }
    put_json(at, a, b, TF_STR("user.id"), r->user);
    put_json(at, a, b, TF_STR("session.id"), r->session);
    custom_trace_keys(o, r->trace, at, a, st);
    for (size_t i = 0; i < r->generation.n; i++)
        *tf_attrs_add(at, a, r->generation.kv[i].key) = r->generation.kv[i];
}

static const tf_json *member(const tf_json *o, const char *snake)
{
    for (size_t i = 0; i < o->n; i++)
        if (o->items[i]->type != TF_JSON_NULL && or_key_is(o->keys[i], snake))
            return o->items[i];
    return NULL;
}

/* One span per provider_responses entry, one after the other from start;
 * returns when the last one ends. */
static uint64_t attempts(const or_req *r, const tf_span *root, tf_map_out *out, tf_buf *b)
{
    tf_arena *a = out->arena;
    uint64_t cursor = root->start_ns;
    const tf_json *pr = r->provider_responses;
    for (size_t i = 0; pr && i < pr->n; i++) {
        const tf_json *e = pr->items[i];
        if (e->type != TF_JSON_OBJECT)
            continue;
        char num[24], one[24];
        tf_str idx = { num, tf_fmt_u64(num, i) };
        tf_str suffix = tf_arena_concat(a, TF_STR(":attempt-"), idx, TF_STR(""), TF_STR(""));
        tf_span *s = child(out, root, r->gen_id, suffix, 12);
        const tf_json *name = member(e, "provider_name");
        tf_str label = tf_arena_concat(a, TF_STR("provider attempt "), (tf_str){ one, tf_fmt_u64(one, i + 1) },
                                       name && name->type == TF_JSON_STRING ? TF_STR(": ") : TF_STR(""),
                                       name && name->type == TF_JSON_STRING ? name->str : TF_STR(""));
        s->name = label;
        uint64_t dur = 0;
        or_ms_to_ns(member(e, "latency"), &dur);
        s->start_ns = cursor;
        s->end_ns = cursor + dur;
        cursor = s->end_ns;
        int64_t code = 0;
        const tf_json *status = member(e, "status");
        bool bad = status && tf_json_as_int64(status, &code) && code >= 400;
        tf_str msg = { NULL, 0 };
        if (bad) {
            char c[24];
            msg = tf_arena_concat(a, TF_STR("Provider returned HTTP "), (tf_str){ c, tf_fmt_i64(c, code) }, TF_STR(""),
                                  TF_STR(""));
        }
        put_level(s, a, bad, msg);
        put_i(&s->attrs, a, TF_STR("span.metadata.attempt_index"), (int64_t)i);
        put_count(&s->attrs, a, TF_STR("span.metadata.status_code"), status);
        bool byok;
        const tf_json *bv = member(e, "is_byok");
        if (bv && tf_json_as_bool(bv, &byok)) {
            tf_kv *kv = put(&s->attrs, a, TF_STR("span.metadata.is_byok"));
            kv->value.type = TF_VAL_BOOL;
            kv->value.u.b = byok;
        }
        put_json(&s->attrs, a, b, TF_STR("span.metadata.endpoint_id"), member(e, "endpoint_id"));
        put_json(&s->attrs, a, b, TF_STR("span.metadata.model_permaslug"), member(e, "model_permaslug"));
        put_s(&s->attrs, a, TF_STR("gen_ai.operation.name"), r->operation);
        put_s(&s->attrs, a, TF_STR("gen_ai.response.id"), tf_arena_concat(a, r->gen_id, suffix, TF_STR(""), TF_STR("")));
        put_json(&s->attrs, a, b, TF_STR("trace.metadata.openrouter.provider_name"), name);
    }
    return cursor;
}

/* generation, moderation, the grouping span: span.type, span.level,
 * gen_ai.operation.name, gen_ai.response.id = "<id><suffix>". */
static tf_span *plain_child(const or_req *r, const tf_span *root, tf_map_out *out, tf_str suffix, tf_str name,
                            bool failed)
{
    tf_arena *a = out->arena;
    tf_span *s = child(out, root, r->gen_id, suffix, 6);
    s->name = name;
    put_level(s, a, failed, r->fail_msg);
    put_s(&s->attrs, a, TF_STR("gen_ai.operation.name"), r->operation);
    put_s(&s->attrs, a, TF_STR("gen_ai.response.id"), tf_arena_concat(a, r->gen_id, suffix, TF_STR(""), TF_STR("")));
    return s;
}

void or_build(const or_profile *p, tf_profile_state *st, const or_req *r, tf_map_out *out)
{
    const tf_opts *o = p->base.env->opts;
    tf_arena *a = out->arena;
    tf_span *root = tf_map_new_span(out);
    uint8_t d[32];
    tf_sha256_oneshot(r->gen_id.p, r->gen_id.len, d);
    memcpy(root->trace_id, d, 16);
    memcpy(root->span_id, d, 8);
    nonzero(root->trace_id, 16);
    nonzero(root->span_id, 8);
    root->resource = make_resource(p, r->gen_id, a);
    root->scope = p->scope;
    root->kind = TF_KIND_CLIENT;
    root->start_ns = r->start_ns;
    root->end_ns = r->start_ns + (r->has_latency ? r->latency_ns : 0);
    trace_names names = { { NULL, 0 }, { NULL, 0 }, { NULL, 0 } };
    trace_context(o, r, root, &names);
    root->name = names.generation_name.len ? names.generation_name : TF_STR("LLM Generation");
    root_attrs(p, st, r, &names, root, a);

    if (names.span_name.len) { /* a documented guess: a grouping span above the root */
        tf_span *g = plain_child(r, root, out, TF_STR(":span"), names.span_name, r->failed);
        g->kind = TF_KIND_INTERNAL;
        g->start_ns = root->start_ns;
        g->end_ns = root->end_ns;
        memcpy(g->parent_span_id, root->parent_span_id, 8);
        g->has_parent = root->has_parent;
        memcpy(root->parent_span_id, g->span_id, 8);
        root->has_parent = true;
    }
    if (r->has_moderation && r->moderation_ns > 0) { /* a documented guess */
        tf_span *m = plain_child(r, root, out, TF_STR(":moderation"), TF_STR("moderation"), false);
        m->start_ns = root->start_ns;
        m->end_ns = root->start_ns + r->moderation_ns;
    }
    uint64_t after = attempts(r, root, out, &st->scratch);
    if (r->has_generation_time) {
        tf_span *g = plain_child(r, root, out, TF_STR(":generation"), TF_STR("generation"), r->failed);
        g->start_ns = after;
        g->end_ns = after + r->generation_ns;
    }
}
