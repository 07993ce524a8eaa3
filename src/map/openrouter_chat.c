/* openrouter_chat.c: the chat-completion response OpenRouter returns, as an
 * application logged it (id, created in Unix seconds, model, provider,
 * choices[], usage{...}), read into the same or_req a generation record
 * gives. Its token counts are the native ones. It carries no latency; a log
 * may add one under "latency", "latency_ms" or "duration_ms" (milliseconds,
 * the first of those present wins). doc/spans.md lists every field. */
#include "config.h"
#include "map/openrouter.h"
#include "common/timefmt.h"

#include <string.h>

/* Fields kept for trace.metadata.openrouter_generation.*, emitted once the
 * failure rules have run (a failed request's costs are left out). */
typedef struct {
    tf_str key;
    const tf_json *v;
    bool cost;
} pending;

typedef struct {
    pending *v;
    size_t n, cap;
} pending_list;

static void keep(pending_list *l, tf_str key, const tf_json *v, bool cost)
{
    if (l->n < l->cap && v->type != TF_JSON_NULL)
        l->v[l->n++] = (pending){ key, v, cost };
}

static size_t members(const tf_json *v)
{
    return v && v->type == TF_JSON_OBJECT ? v->n : 0;
}

/* usage.<name>_details: the ones with a live name are taken, the rest kept
 * as usage.<details>.<key>. */
static void read_details(pending_list *l, tf_arena *a, const tf_json *d, tf_str path, const char *live1,
                         const tf_json **out1, const char *live2, const tf_json **out2, bool cost)
{
    for (size_t i = 0; i < members(d); i++) {
        tf_str k = d->keys[i];
        const tf_json *v = d->items[i];
        if (v->type == TF_JSON_NULL)
            continue;
        if (live1 && or_key_is(k, live1))
            *out1 = v;
        else if (live2 && or_key_is(k, live2))
            *out2 = v;
        else if (cost && or_key_is(k, "upstream_inference_cost"))
            keep(l, TF_STR("upstream_inference_cost"), v, true); /* the generation record's name */
        else
            keep(l, tf_arena_concat(a, path, TF_STR("."), or_snake_case(a, k), TF_STR("")), v, cost);
    }
}

static void read_usage(or_req *r, pending_list *l, tf_arena *a, const tf_json *u)
{
    for (size_t i = 0; i < members(u); i++) {
        tf_str k = u->keys[i];
        const tf_json *v = u->items[i];
        if (v->type == TF_JSON_NULL)
            continue;
        if (or_key_is(k, "prompt_tokens"))
            r->tok_in = v;
        else if (or_key_is(k, "completion_tokens"))
            r->tok_out = v;
        else if (or_key_is(k, "total_tokens"))
            r->tok_total = v;
        else if (or_key_is(k, "cost"))
            r->total_cost = v;
        else if (or_key_is(k, "is_byok"))
            keep(l, TF_STR("is_byok"), v, false);
        else if (or_key_is(k, "prompt_tokens_details"))
            read_details(l, a, v, TF_STR("usage.prompt_tokens_details"), "cached_tokens", &r->tok_cached,
                         "cache_write_tokens", &r->tok_cache_write, false);
        else if (or_key_is(k, "completion_tokens_details"))
            read_details(l, a, v, TF_STR("usage.completion_tokens_details"), "reasoning_tokens", &r->tok_reasoning,
                         NULL, NULL, false);
        else if (or_key_is(k, "cost_details"))
            read_details(l, a, v, TF_STR("usage.cost_details"), NULL, NULL, NULL, NULL, true);
        else
            keep(l, tf_arena_concat(a, TF_STR("usage."), or_snake_case(a, k), TF_STR(""), TF_STR("")), v, false);
    }
}

/* choices[0]: finish reasons, the completion, and an error reported in it. */
static const tf_json *read_choice(or_req *r, const tf_json *choices)
{
    r->finish_reasons = choices;
    const tf_json *c = choices->n ? choices->items[0] : NULL;
    if (!c || c->type != TF_JSON_OBJECT)
        return NULL;
    const tf_json *error = NULL;
    for (size_t i = 0; i < c->n; i++) {
        tf_str k = c->keys[i];
        const tf_json *v = c->items[i];
        if (v->type == TF_JSON_NULL)
            continue;
        if (or_key_is(k, "finish_reason") && v->type == TF_JSON_STRING)
            r->finish_reason = v;
        else if (or_key_is(k, "native_finish_reason"))
            r->native_finish = v;
        else if (or_key_is(k, "error"))
            error = v;
    }
    or_choice_content(r, c);
    return error;
}

void or_choice_content(or_req *r, const tf_json *c)
{
    if (!c || c->type != TF_JSON_OBJECT)
        return;
    const tf_json *text = tf_json_get_nn(c, "text"); /* a text completion */
    const tf_json *m = tf_json_get_nn(c, "message");
    if (text) {
        r->completion = text;
    } else if (m && m->type == TF_JSON_OBJECT) {
        r->completion = tf_json_get_nn(m, "content");
        r->reasoning = tf_json_get_nn(m, "reasoning");
        r->tool_calls = tf_json_get_nn(m, "tool_calls");
        if (!r->tool_calls)
            r->tool_calls = tf_json_get_nn(m, "toolCalls");
    }
}

static bool read_created(const tf_json *c, uint64_t *ns)
{
    return c && (c->type == TF_JSON_NUMBER || c->type == TF_JSON_STRING) &&
           tf_time_parse_epoch_auto(c->str.p, c->str.len, ns);
}

int or_read_chat(const or_profile *p, tf_profile_state *st, const tf_json *g, or_req *r, tf_arena *a, tf_err *why)
{
    const tf_opts *opts = p->base.env->opts;
    size_t cap = g->n + 1;
    const tf_json *usage = tf_json_get_nn(g, "usage");
    cap += members(usage);
    for (size_t i = 0; i < members(usage); i++)
        cap += members(usage->items[i]);
    pending_list l = { tf_arena_alloc(a, cap * sizeof(pending)), 0, cap };
    const tf_json *created = NULL, *error = NULL, *status = NULL, *choice_error = NULL;
    r->operation = TF_STR("chat");
    for (size_t i = 0; i < g->n; i++) {
        tf_str k = g->keys[i];
        const tf_json *v = g->items[i];
        if (v->type == TF_JSON_NULL || or_key_is(k, "id"))
            continue;
        if (or_key_is(k, "model") && v->type == TF_JSON_STRING) {
            r->request_model = r->response_model = v->str;
        } else if (or_key_is(k, "provider")) {
            r->provider_name = v;
        } else if (or_key_is(k, "choices") && v->type == TF_JSON_ARRAY) {
            choice_error = read_choice(r, v);
        } else if (or_key_is(k, "usage") && v->type == TF_JSON_OBJECT) {
            read_usage(r, &l, a, v);
        } else if (or_key_is(k, "trace") && v->type == TF_JSON_OBJECT) {
            r->trace = v;
        } else if (or_key_is(k, "user")) {
            r->user = v;
        } else if (or_key_is(k, "session_id")) {
            r->session = v;
        } else if (or_key_is(k, "messages")) {
            r->messages = v;
        } else if (or_key_is(k, "prompt")) {
            r->prompt = v;
        } else if (opts->join_trace_names && or_key_is(k, "traceparent") && v->type == TF_JSON_STRING) {
            r->traceparent = v;
        } else {
            /* no live name: kept under openrouter_generation, some also read */
            if (or_key_is(k, "created"))
                created = v;
            else if (or_key_is(k, "error"))
                error = v;
            else if (or_key_is(k, "status"))
                status = v;
            else if (!r->has_latency &&
                     (or_key_is(k, "latency") || or_key_is(k, "latency_ms") || or_key_is(k, "duration_ms")))
                r->has_latency = or_ms_to_ns(v, &r->latency_ns);
            keep(&l, or_snake_case(a, k), v, false);
        }
    }
    if (!created) {
        tf_err_set(why, "no created timestamp (a chat-completion response needs \"created\")");
        return -1;
    }
    if (!read_created(created, &r->start_ns)) {
        tf_err_set(why, "created is not a valid timestamp");
        return -1;
    }
    or_judge_failure(r, a, error ? error : choice_error, status, NULL);
    for (size_t i = 0; i < l.n; i++)
        if (!(r->failed && l.v[i].cost))
            or_add_generation_field(r, a, st, l.v[i].key, l.v[i].v);
    return 0;
}
