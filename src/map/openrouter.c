/* openrouter.c: OpenRouter generation records → spans that look like
 * the ones OpenRouter Broadcast sends live (service.name=openrouter, gen_ai.*).
 * The record may be the generation object itself (snake_case, as the
 * generation API returns it), wrapped as {"data": {...}}, or camelCase as the
 * SDKs serialise it. The span tree is documented in doc/spans.md. */
#include "config.h"
#include "common/ids.h"
#include "map/profile.h"
#include "common/timefmt.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum field {
    F_OTHER = 0, /* becomes openrouter.<key> */
    F_API_TYPE,
    F_CHOICES,
    F_COMPLETION,
    F_CREATED_AT,
    F_DATA,
    F_EXTERNAL_USER,
    F_FINISH_REASON,
    F_GENERATION_TIME,
    F_ID,
    F_LATENCY,
    F_MESSAGES,
    F_METADATA,
    F_MODEL,
    F_MODERATION_LATENCY,
    F_OUTPUT,
    F_PROMPT,
    F_PROVIDER_NAME,
    F_PROVIDER_RESPONSES,
    F_ROUTER,
    F_SESSION_ID,
    F_TOKENS_COMPLETION,
    F_TOKENS_PROMPT,
    F_TOTAL_COST,
    F_TRACE,
    F_TRACEPARENT,
    F_USER,
    F_COUNT
};

/* The fields the profile treats specially (all other keys become
 * openrouter.<key>), looked up through a small open-addressed hash table. */
static const struct known {
    const char *name;
    enum field f;
} known_fields[] = {
    { "api_type", F_API_TYPE },
    { "choices", F_CHOICES },
    { "completion", F_COMPLETION },
    { "created_at", F_CREATED_AT },
    { "external_user", F_EXTERNAL_USER },
    { "finish_reason", F_FINISH_REASON },
    { "generation_time", F_GENERATION_TIME },
    { "id", F_ID },
    { "latency", F_LATENCY },
    { "messages", F_MESSAGES },
    { "metadata", F_METADATA },
    { "model", F_MODEL },
    { "moderation_latency", F_MODERATION_LATENCY },
    { "output", F_OUTPUT },
    { "prompt", F_PROMPT },
    { "provider_name", F_PROVIDER_NAME },
    { "provider_responses", F_PROVIDER_RESPONSES },
    { "router", F_ROUTER },
    { "session_id", F_SESSION_ID },
    { "tokens_completion", F_TOKENS_COMPLETION },
    { "tokens_prompt", F_TOKENS_PROMPT },
    { "total_cost", F_TOTAL_COST },
    { "trace", F_TRACE },
    { "traceparent", F_TRACEPARENT },
    { "user", F_USER },
};

typedef struct {
    tf_profile base;
    const tf_resource *resource;
} or_profile;

#define KNOWN_SLOTS 128
static int8_t known_slot[KNOWN_SLOTS]; /* index into known_fields + 1; 0 = empty */

static unsigned known_hash(const char *p, size_t n)
{
    unsigned h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 16777619u;
    return h;
}

static void known_fill(void)
{
    for (size_t i = 0; i < TF_ARRAY_LEN(known_fields); i++) {
        const char *k = known_fields[i].name;
        unsigned s = known_hash(k, strlen(k)) % KNOWN_SLOTS;
        while (known_slot[s])
            s = (s + 1) % KNOWN_SLOTS;
        known_slot[s] = (int8_t)(i + 1);
    }
}

/* Fill the table exactly once, whichever thread opens a profile first. */
static void known_init(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, known_fill);
}

/* "nativeTokensPrompt" → "native_tokens_prompt"; snake_case passes through. */
static tf_str snake_case(tf_arena *a, tf_str key)
{
    size_t upper = 0;
    for (size_t i = 0; i < key.len; i++)
        if (key.p[i] >= 'A' && key.p[i] <= 'Z')
            upper++;
    if (!upper)
        return key;
    char *out = tf_arena_alloc(a, key.len + upper + 1);
    size_t n = 0;
    for (size_t i = 0; i < key.len; i++) {
        char c = key.p[i];
        if (c >= 'A' && c <= 'Z') {
            if (n && out[n - 1] != '_')
                out[n++] = '_';
            c = (char)(c - 'A' + 'a');
        }
        out[n++] = c;
    }
    out[n] = '\0';
    return (tf_str){ out, n };
}

static enum field classify(tf_str snake)
{
    for (unsigned s = known_hash(snake.p, snake.len) % KNOWN_SLOTS; known_slot[s]; s = (s + 1) % KNOWN_SLOTS) {
        const char *k = known_fields[known_slot[s] - 1].name;
        if (!strncmp(k, snake.p, snake.len) && k[snake.len] == '\0')
            return known_fields[known_slot[s] - 1].f;
    }
    return F_OTHER;
}

static const char *prefixed(tf_arena *a, const char *prefix, tf_str key)
{
    size_t pl = strlen(prefix);
    char *k = tf_arena_alloc(a, pl + key.len + 1);
    memcpy(k, prefix, pl);
    memcpy(k + pl, key.p, key.len);
    k[pl + key.len] = '\0';
    return k;
}

/* Milliseconds (JSON number or numeric string, fractions allowed) → ns. */
static bool ms_to_ns(const tf_json *v, uint64_t *ns)
{
    if (!v || (v->type != TF_JSON_NUMBER && v->type != TF_JSON_STRING))
        return false;
    int64_t d;
    if (!tf_duration_parse_number(v->str.p, v->str.len, 1000, &d) || d < 0)
        return false;
    *ns = (uint64_t)d;
    return true;
}

static const char *operation_for(const tf_json *api_type)
{
    if (!api_type || api_type->type != TF_JSON_STRING)
        return "chat";
    tf_str t = api_type->str;
    if (tf_str_eqc(t, "completions") || tf_str_eqc(t, "chat") || tf_str_eqc(t, "responses") ||
        tf_str_eqc(t, "messages"))
        return "chat";
    if (tf_str_eqc(t, "embeddings"))
        return "embeddings";
    if (tf_str_eqc(t, "text_completion"))
        return "text_completion";
    return NULL; /* use the api_type as given */
}

/* Both ids of the two-part key a NUL b (doc/ids.md); callers keep one. */
static void derive2(tf_str a, tf_str b, uint8_t trace_id[16], uint8_t span_id[8])
{
    const char *parts[2] = { a.p, b.p };
    size_t lens[2] = { a.len, b.len };
    tf_id_derive_parts(parts, lens, 2, trace_id, span_id);
}

/* A trace context given as a string: hex/UUID ids are used as they are;
 * anything else ("trace-abc123") is hashed so equal strings join one trace. */
static void trace_id_from(tf_str s, uint8_t out[16])
{
    uint8_t unused[8];
    if (!tf_trace_id_parse(s.p, s.len, out))
        derive2(TF_STR("trace"), s, out, unused);
}

static void span_id_from(tf_str s, uint8_t out[8])
{
    uint8_t unused[16];
    if (!tf_span_id_parse(s.p, s.len, out))
        derive2(TF_STR("span"), s, unused, out);
}

static void child_id(tf_str gen_id, tf_str label, uint8_t span_id[8])
{
    uint8_t unused[16];
    derive2(gen_id, label, unused, span_id);
}

static tf_span *child(tf_map_out *out, const tf_span *root, tf_str gen_id, tf_str label)
{
    tf_span *c = tf_map_new_span(out);
    memcpy(c->trace_id, root->trace_id, 16);
    child_id(gen_id, label, c->span_id);
    memcpy(c->parent_span_id, root->span_id, 8);
    c->has_parent = true;
    c->flags = root->flags;
    c->resource = root->resource;
    c->scope = root->scope;
    return c;
}

static uint64_t clamp(uint64_t v, uint64_t lo, uint64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* Message content in the gen_ai.{input,output}.messages JSON shape. */
static tf_str content_json(tf_arena *a, const tf_json *v, const char *role, const tf_json *finish)
{
    tf_buf b = { 0 };
    if (v->type == TF_JSON_STRING) {
        tf_buf_puts(&b, "[{\"role\":\"");
        tf_buf_puts(&b, role);
        tf_buf_puts(&b, "\",\"parts\":[{\"type\":\"text\",\"content\":");
        tf_json_write_string(&b, v->str.p, v->str.len);
        tf_buf_puts(&b, "}]");
        if (finish && finish->type == TF_JSON_STRING) {
            tf_buf_puts(&b, ",\"finish_reason\":");
            tf_json_write_string(&b, finish->str.p, finish->str.len);
        }
        tf_buf_puts(&b, "}]");
    } else {
        tf_json_write(&b, v);
    }
    tf_str s = { tf_arena_strndup(a, b.p ? b.p : "", b.len), b.len };
    tf_buf_free(&b);
    return s;
}

static void add_provider_attempts(tf_map_out *out, const tf_span *root, tf_str gen_id,
                                  const tf_json *responses, uint64_t start, uint64_t end,
                                  tf_arena *a)
{
    uint64_t cursor = start;
    for (size_t i = 0; i < responses->n; i++) {
        const tf_json *r = responses->items[i];
        if (r->type != TF_JSON_OBJECT)
            continue;
        char num[20];
        tf_str label = tf_arena_concat(a, TF_STR("attempt/"), (tf_str){ num, tf_fmt_u64(num, i) }, TF_STR(""),
                                       TF_STR(""));
        tf_span *s = child(out, root, gen_id, label);
        const tf_json *pn = tf_json_get_nn(r, "provider_name");
        if (!pn)
            pn = tf_json_get_nn(r, "providerName");
        s->kind = TF_KIND_CLIENT;
        s->name = pn && pn->type == TF_JSON_STRING
                      ? tf_arena_concat(a, TF_STR("provider "), pn->str, TF_STR(""), TF_STR(""))
                      : TF_STR("provider");
        uint64_t dur = 0;
        const tf_json *lat = tf_json_get_nn(r, "latency");
        bool timed = ms_to_ns(lat, &dur);
        s->start_ns = clamp(cursor, start, end);
        s->end_ns = clamp(cursor + dur, s->start_ns, end);
        cursor = s->end_ns;
        if (!timed)
            tf_attrs_bool(&s->attrs, a, "tracefill.duration_unknown", true);
        tf_attrs_int(&s->attrs, a, "openrouter.attempt", (int64_t)i);
        for (size_t k = 0; k < r->n; k++) {
            tf_str key = snake_case(a, r->keys[k]);
            const tf_json *v = r->items[k];
            if (tf_str_eqc(key, "status")) {
                int64_t st;
                if (tf_json_as_int64(v, &st)) {
                    tf_attrs_int(&s->attrs, a, "http.response.status_code", st);
                    if (st >= 400) {
                        s->status = TF_STATUS_ERROR;
                        s->status_message =
                            tf_str_c(tf_arena_printf(a, "provider returned HTTP %lld", (long long)st));
                    }
                }
                continue;
            }
            if (tf_str_eqc(key, "id")) {
                if (v->type == TF_JSON_STRING)
                    tf_attrs_str(&s->attrs, a, "gen_ai.response.id", v->str);
                continue;
            }
            const char *k2 = prefixed(a, "openrouter.", key);
            tf_attrs_add_json_flat(&s->attrs, a, k2, strlen(k2), v);
        }
    }
}

static int or_map(const tf_profile *pp, tf_profile_state *st, const tf_record *rec, tf_map_out *out, tf_err *why)
{
    const or_profile *p = (const or_profile *)pp;
    const tf_opts *opts = pp->env->opts;
    tf_arena *a = out->arena;
    const tf_json *g = rec->json;
    if (!g || g->type != TF_JSON_OBJECT) {
        tf_err_set(why, "record is not a JSON object");
        return TF_MAP_REJECT;
    }
    const tf_json *data = tf_json_get(g, "data");
    if (data && data->type == TF_JSON_OBJECT && !tf_json_get(g, "id"))
        g = data;

    /* One pass over the members: known fields are kept for later, the rest
     * become openrouter.* attributes in record order. */
    const tf_json *f[F_COUNT] = { 0 };
    tf_attrs extra = { 0 };
    for (size_t i = 0; i < g->n; i++) {
        tf_str key = snake_case(a, g->keys[i]);
        enum field fl = classify(key);
        if (fl != F_OTHER) {
            if (g->items[i]->type != TF_JSON_NULL)
                f[fl] = g->items[i];
            continue;
        }
        const char *k2 = prefixed(a, "openrouter.", key);
        tf_attrs_add_json_flat(&extra, a, k2, strlen(k2), g->items[i]);
    }

    if (!f[F_ID] || f[F_ID]->type != TF_JSON_STRING || f[F_ID]->str.len == 0) {
        tf_err_set(why, "no generation id (\"id\" missing, null or not a string)");
        return TF_MAP_REJECT;
    }
    tf_str gen_id = f[F_ID]->str;
    uint64_t start;
    if (!f[F_CREATED_AT]) {
        tf_err_set(why, "no created_at timestamp");
        return TF_MAP_REJECT;
    }
    if (!(f[F_CREATED_AT]->type == TF_JSON_STRING || f[F_CREATED_AT]->type == TF_JSON_NUMBER) ||
        !tf_time_parse_any(f[F_CREATED_AT]->str.p, f[F_CREATED_AT]->str.len, &start)) {
        tf_err_set(why, "created_at is not a valid timestamp");
        return TF_MAP_REJECT;
    }

    /* Duration: latency, else moderation latency + generation time. */
    uint64_t dur = 0, mod = 0, gen = 0;
    bool has_mod = ms_to_ns(f[F_MODERATION_LATENCY], &mod);
    bool has_gen = ms_to_ns(f[F_GENERATION_TIME], &gen);
    const char *latency_source = NULL;
    if (ms_to_ns(f[F_LATENCY], &dur)) {
        latency_source = NULL;
    } else if (has_mod || has_gen) {
        dur = mod + gen;
        latency_source = has_mod && has_gen ? "moderation_latency+generation_time"
                         : has_mod         ? "moderation_latency"
                                           : "generation_time";
    } else {
        latency_source = "unknown";
    }

    tf_span *root = tf_map_new_span(out);
    root->resource = p->resource;
    root->scope = pp->env->scope;
    root->kind = TF_KIND_CLIENT;
    root->start_ns = start;
    root->end_ns = start + dur;
    tf_id_derive(gen_id.p, gen_id.len, root->trace_id, root->span_id);

    /* Trace context carried by the record joins that trace. */
    tf_str user_trace = { NULL, 0 };
    const tf_json *trace = f[F_TRACE];
    const tf_json *span_name = NULL, *generation_name = NULL, *trace_name = NULL;
    if (f[F_TRACEPARENT] && f[F_TRACEPARENT]->type == TF_JSON_STRING) {
        uint8_t tid[16], sid[8], flags;
        if (tf_traceparent_parse(f[F_TRACEPARENT]->str.p, f[F_TRACEPARENT]->str.len, tid, sid, &flags)) {
            memcpy(root->trace_id, tid, 16);
            memcpy(root->parent_span_id, sid, 8);
            root->has_parent = true;
            root->flags = flags;
        }
    }
    if (trace && trace->type == TF_JSON_OBJECT) {
        const tf_json *tp = tf_json_get_nn(trace, "traceparent");
        uint8_t tid[16], sid[8], flags;
        if (tp && tp->type == TF_JSON_STRING && tf_traceparent_parse(tp->str.p, tp->str.len, tid, sid, &flags)) {
            memcpy(root->trace_id, tid, 16);
            memcpy(root->parent_span_id, sid, 8);
            root->has_parent = true;
            root->flags = flags;
        }
        for (size_t i = 0; i < trace->n; i++) {
            tf_str key = snake_case(a, trace->keys[i]);
            const tf_json *v = trace->items[i];
            if (v->type == TF_JSON_NULL || tf_str_eqc(key, "traceparent"))
                continue;
            if (tf_str_eqc(key, "trace_id") && v->type == TF_JSON_STRING && v->str.len) {
                user_trace = v->str;
                trace_id_from(v->str, root->trace_id);
            } else if (tf_str_eqc(key, "parent_span_id") && v->type == TF_JSON_STRING && v->str.len) {
                span_id_from(v->str, root->parent_span_id);
                root->has_parent = true;
            } else if (tf_str_eqc(key, "span_name") && v->type == TF_JSON_STRING) {
                span_name = v;
            } else if (tf_str_eqc(key, "generation_name") && v->type == TF_JSON_STRING) {
                generation_name = v;
            } else if (tf_str_eqc(key, "trace_name") && v->type == TF_JSON_STRING) {
                trace_name = v;
            } else {
                const char *k2 = prefixed(a, "trace.metadata.", key);
                tf_attrs_add_json_flat(&extra, a, k2, strlen(k2), v);
            }
        }
    }

    const char *op = operation_for(f[F_API_TYPE]);
    tf_str op_s = op ? tf_str_c(op) : f[F_API_TYPE]->str;
    tf_str model = f[F_MODEL] && f[F_MODEL]->type == TF_JSON_STRING ? f[F_MODEL]->str : TF_STR("");
    if (span_name)
        root->name = span_name->str;
    else if (model.len)
        root->name = tf_arena_concat(a, op_s, TF_STR(" "), model, TF_STR(""));
    else
        root->name = op_s;

    tf_attrs *at = &root->attrs;
    if (user_trace.len) {
        tf_attrs_str(at, a, "openrouter.trace.id", user_trace);
    } else {
        char *hex = tf_arena_alloc(a, 33);
        tf_hex_encode(hex, root->trace_id, 16);
        hex[32] = '\0';
        tf_attrs_str(at, a, "openrouter.trace.id", (tf_str){ hex, 32 });
    }
    if (trace_name)
        tf_attrs_str(at, a, "openrouter.trace.name", trace_name->str);
    tf_attrs_str(at, a, "gen_ai.operation.name", op_s);
    tf_attrs_cstr(at, a, "gen_ai.system", "openrouter");
    tf_attrs_cstr(at, a, "gen_ai.provider.name", "openrouter");
    const tf_json *router = f[F_ROUTER];
    if (router && router->type == TF_JSON_STRING)
        tf_attrs_str(at, a, "gen_ai.request.model", router->str);
    else if (model.len)
        tf_attrs_str(at, a, "gen_ai.request.model", model);
    if (model.len)
        tf_attrs_str(at, a, "gen_ai.response.model", model);
    tf_attrs_str(at, a, "gen_ai.response.id", gen_id);
    int64_t tin = 0, tout = 0;
    bool has_in = tf_json_as_int64(f[F_TOKENS_PROMPT], &tin);
    bool has_out = tf_json_as_int64(f[F_TOKENS_COMPLETION], &tout);
    if (has_in)
        tf_attrs_int(at, a, "gen_ai.usage.input_tokens", tin);
    if (has_out)
        tf_attrs_int(at, a, "gen_ai.usage.output_tokens", tout);
    if (has_in || has_out)
        tf_attrs_int(at, a, "gen_ai.usage.total_tokens", tin + tout);
    const tf_json *fr = f[F_FINISH_REASON];
    if (fr && fr->type == TF_JSON_STRING) {
        tf_attrs_str(at, a, "gen_ai.response.finish_reason", fr->str);
        tf_kv *kv = tf_attrs_add(at, a, TF_STR("gen_ai.response.finish_reasons"));
        kv->value.type = TF_VAL_ARRAY;
        kv->value.u.arr.n = 1;
        kv->value.u.arr.v = tf_arena_calloc(a, sizeof(tf_value));
        kv->value.u.arr.v[0].type = TF_VAL_STRING;
        kv->value.u.arr.v[0].u.s = fr->str;
        if (tf_str_eqc(fr->str, "error")) {
            root->status = TF_STATUS_ERROR;
            root->status_message = TF_STR("generation finished with an error");
        }
    }
    double cost;
    if (tf_json_as_double(f[F_TOTAL_COST], &cost))
        tf_attrs_double(at, a, "gen_ai.usage.cost", cost);
    const tf_json *user = f[F_USER] ? f[F_USER] : f[F_EXTERNAL_USER];
    if (user && user->type == TF_JSON_STRING)
        tf_attrs_str(at, a, "user.id", user->str);
    if (f[F_EXTERNAL_USER])
        tf_attrs_add_json_flat(at, a, "openrouter.external_user", 24, f[F_EXTERNAL_USER]);
    if (f[F_SESSION_ID] && f[F_SESSION_ID]->type != TF_JSON_OBJECT)
        tf_attrs_add_json_flat(at, a, "session.id", 10, f[F_SESSION_ID]);
    if (f[F_METADATA])
        tf_attrs_add_json_flat(at, a, "trace.metadata", 14, f[F_METADATA]);
    /* Known fields that are also worth keeping verbatim. */
    static const struct {
        enum field f;
        const char *key;
    } verbatim[] = {
        { F_API_TYPE, "openrouter.api_type" },
        { F_PROVIDER_NAME, "openrouter.provider_name" },
        { F_ROUTER, "openrouter.router" },
        { F_LATENCY, "openrouter.latency" },
        { F_MODERATION_LATENCY, "openrouter.moderation_latency" },
        { F_GENERATION_TIME, "openrouter.generation_time" },
    };
    for (size_t i = 0; i < TF_ARRAY_LEN(verbatim); i++)
        if (f[verbatim[i].f])
            tf_attrs_add_json_flat(at, a, verbatim[i].key, strlen(verbatim[i].key), f[verbatim[i].f]);
    for (size_t i = 0; i < extra.n; i++)
        *tf_attrs_add(at, a, extra.kv[i].key) = extra.kv[i];
    if (latency_source)
        tf_attrs_cstr(at, a, "tracefill.latency_source", latency_source);

    if (!opts->privacy) {
        const tf_json *in = f[F_MESSAGES] ? f[F_MESSAGES] : f[F_PROMPT];
        if (in)
            tf_attrs_str(at, a, "gen_ai.input.messages", content_json(a, in, "user", NULL));
        const tf_json *outc = f[F_COMPLETION] ? f[F_COMPLETION] : f[F_CHOICES] ? f[F_CHOICES] : f[F_OUTPUT];
        if (outc)
            tf_attrs_str(at, a, "gen_ai.output.messages", content_json(a, outc, "assistant", fr));
    }

    /* Children, each inside the root's interval. */
    uint64_t end = root->end_ns;
    if (has_mod && mod > 0) {
        tf_span *m = child(out, root, gen_id, TF_STR("moderation"));
        m->name = TF_STR("moderation");
        m->kind = TF_KIND_INTERNAL;
        m->start_ns = start;
        m->end_ns = clamp(start + mod, start, end);
    }
    const tf_json *pr = f[F_PROVIDER_RESPONSES];
    if (pr && pr->type == TF_JSON_ARRAY && pr->n)
        add_provider_attempts(out, root, gen_id, pr, clamp(start + (has_mod ? mod : 0), start, end), end, a);
    if (has_gen && gen > 0) {
        tf_span *gs = child(out, root, gen_id, TF_STR("generation"));
        gs->name = generation_name ? generation_name->str
                   : model.len ? tf_arena_concat(a, TF_STR("generation "), model, TF_STR(""), TF_STR(""))
                               : TF_STR("generation");
        gs->kind = TF_KIND_INTERNAL;
        gs->end_ns = end;
        gs->start_ns = end > start + gen ? end - gen : start;
        if (model.len)
            tf_attrs_str(&gs->attrs, a, "gen_ai.response.model", model);
        if (has_out)
            tf_attrs_int(&gs->attrs, a, "gen_ai.usage.output_tokens", tout);
    }
    return TF_MAP_OK;
}

static bool or_raw_start(const tf_profile *p, const char *text, size_t len, uint64_t *start_ns)
{
    static const char *const keys[] = { "created_at", "createdAt" };
    tf_str v;
    return tf_json_raw_top_string(text, len, keys, 2, &v) && tf_time_parse_any(v.p, v.len, start_ns);
}

static void or_destroy(tf_profile *p)
{
    free(p);
}

static const tf_profile_ops or_ops = {
    .map = or_map,
    .raw_start = or_raw_start,
    .destroy = or_destroy,
};

/* Stateless: one profile serves every thread (st is NULL). */
tf_profile *tf_profile_openrouter_new(const tf_map_env *env)
{
    known_init();
    or_profile *p = tf_xcalloc(1, sizeof *p);
    p->base.ops = &or_ops;
    p->base.name = "openrouter";
    p->base.env = env;
    /* Built in a private arena; interning copies. */
    tf_arena a;
    tf_arena_init(&a, 4096);
    tf_attrs attrs = { 0 };
    tf_attrs_cstr(&attrs, &a, "service.name", "openrouter");
    tf_attrs_cstr(&attrs, &a, "service.version", "1.0.0");
    tf_profile_add_resource_opts(env, &attrs, &a);
    p->resource = tf_intern_resource(env->interner, &attrs, TF_STR(""), 0);
    tf_arena_free(&a);
    return &p->base;
}
