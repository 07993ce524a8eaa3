/* openrouter.c: the OpenRouter profile: which shape a record has (judged per
 * record), the generation object's fields, and the profile's lifetime. The
 * generation object may be snake_case (as GET /api/v1/generation returns
 * it), wrapped as {"data": {...}}, or camelCase as the SDKs serialise it.
 * What becomes of each field is doc/spans.md; the spans are built in
 * openrouter_spans.c, chat-completion responses read in openrouter_chat.c. */
#include "config.h"
#include "map/openrouter.h"
#include "common/timefmt.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

const char *const or_live_meta_names[OR_META_COUNT] = {
    "source", "api_key_name", "entity_id", "creator_user_id", "router_latency_ms", "provider_request_ms",
    "provider_headers_ms", "first_token_ms", "provider_body_end_ms", "provider_time_to_first_token_ms",
    "inter_token_latency_ms", "input_unit_price", "output_unit_price",
};

enum field {
    F_OTHER = 0, /* becomes trace.metadata.openrouter_generation.<key> */
    F_API_TYPE,
    F_CANCELLED,
    F_CHOICES,
    F_COMPLETION,
    F_CREATED_AT,
    F_ERROR,
    F_EXTERNAL_USER,
    F_FINISH_REASON,
    F_GENERATION_TIME,
    F_ID,
    F_INPUT_COST,
    F_LATENCY,
    F_MESSAGES,
    F_MODEL,
    F_MODERATION_LATENCY,
    F_NATIVE_FINISH_REASON,
    F_NATIVE_TOKENS_CACHED,
    F_NATIVE_TOKENS_COMPLETION,
    F_NATIVE_TOKENS_PROMPT,
    F_NATIVE_TOKENS_REASONING,
    F_OUTPUT,
    F_OUTPUT_COST,
    F_PROMPT,
    F_PROVIDER_NAME,
    F_PROVIDER_RESPONSES,
    F_PROVIDER_SLUG,
    F_REASONING,
    F_ROUTER,
    F_SESSION_ID,
    F_STATUS,
    F_TOOL_CALLS,
    F_TOTAL_COST,
    F_TRACE,
    F_TRACEPARENT,
    F_USER,
    F_META, /* F_META + OR_META_*: trace.metadata.openrouter.<name> */
    F_COUNT = F_META + OR_META_COUNT
};

/* Fields that are read for the span tree but have no live attribute of
 * their own: they also go to the openrouter_generation namespace. */
static bool kept_in_namespace(enum field f)
{
    switch (f) {
    case F_OTHER: case F_API_TYPE: case F_CANCELLED: case F_CREATED_AT: case F_ERROR: case F_GENERATION_TIME:
    case F_LATENCY: case F_MODERATION_LATENCY: case F_STATUS:
        return true;
    default:
        return false;
    }
}

static const struct known {
    const char *name;
    enum field f;
} known_fields[] = {
    { "api_type", F_API_TYPE },
    { "cancelled", F_CANCELLED },
    { "choices", F_CHOICES },
    { "completion", F_COMPLETION },
    { "created_at", F_CREATED_AT },
    { "error", F_ERROR },
    { "external_user", F_EXTERNAL_USER },
    { "finish_reason", F_FINISH_REASON },
    { "generation_time", F_GENERATION_TIME },
    { "id", F_ID },
    { "input_cost", F_INPUT_COST },
    { "latency", F_LATENCY },
    { "messages", F_MESSAGES },
    { "model", F_MODEL },
    { "moderation_latency", F_MODERATION_LATENCY },
    { "native_finish_reason", F_NATIVE_FINISH_REASON },
    { "native_tokens_cached", F_NATIVE_TOKENS_CACHED },
    { "native_tokens_completion", F_NATIVE_TOKENS_COMPLETION },
    { "native_tokens_prompt", F_NATIVE_TOKENS_PROMPT },
    { "native_tokens_reasoning", F_NATIVE_TOKENS_REASONING },
    { "output", F_OUTPUT },
    { "output_cost", F_OUTPUT_COST },
    { "prompt", F_PROMPT },
    { "provider_name", F_PROVIDER_NAME },
    { "provider_responses", F_PROVIDER_RESPONSES },
    { "provider_slug", F_PROVIDER_SLUG },
    { "reasoning", F_REASONING },
    { "router", F_ROUTER },
    { "session_id", F_SESSION_ID },
    { "status", F_STATUS },
    { "tool_calls", F_TOOL_CALLS },
    { "total_cost", F_TOTAL_COST },
    { "trace", F_TRACE },
    { "traceparent", F_TRACEPARENT },
    { "user", F_USER },
};

/* Open-addressed table over known_fields and or_live_meta_names. */
#define KNOWN_SLOTS 256
static uint8_t known_slot[KNOWN_SLOTS]; /* enum field; 0 = empty */
static const char *known_name[F_COUNT];

static unsigned known_hash(const char *p, size_t n)
{
    unsigned h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 16777619u;
    return h;
}

static void known_put(const char *name, enum field f)
{
    unsigned s = known_hash(name, strlen(name)) % KNOWN_SLOTS;
    while (known_slot[s])
        s = (s + 1) % KNOWN_SLOTS;
    known_slot[s] = (uint8_t)f;
    known_name[f] = name;
}

static void known_fill(void)
{
    for (size_t i = 0; i < TF_ARRAY_LEN(known_fields); i++)
        known_put(known_fields[i].name, known_fields[i].f);
    for (int i = 0; i < OR_META_COUNT; i++)
        known_put(or_live_meta_names[i], (enum field)(F_META + i));
}

/* Fill the table exactly once, whichever thread opens a profile first. */
static void known_init(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, known_fill);
}

static enum field classify(tf_str snake)
{
    for (unsigned s = known_hash(snake.p, snake.len) % KNOWN_SLOTS; known_slot[s]; s = (s + 1) % KNOWN_SLOTS) {
        const char *k = known_name[known_slot[s]];
        if (!strncmp(k, snake.p, snake.len) && k[snake.len] == '\0')
            return (enum field)known_slot[s];
    }
    return F_OTHER;
}

/* ---- helpers shared with the other parts ------------------------------------ */

/* Writes key in snake_case into out (room for len + capitals); returns the length. */
static size_t snake_into(char *out, tf_str key)
{
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
    return n;
}

/* Any ASCII capital in the 8 bytes of w (bytes >= 0x80 never count)? */
static inline bool word_has_capital(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    uint64_t x = w & ~high; /* no carries out of a byte below */
    uint64_t ge_a = x + ones * (0x80 - 'A'), gt_z = x + ones * (0x80 - 'Z' - 1);
    return (ge_a & ~gt_z & ~w & high) != 0;
}

static size_t capitals(tf_str key)
{
    if (key.len >= 8) { /* snake_case keys: no capital, one pass of words */
        bool any = false;
        for (size_t i = 0; i + 8 <= key.len && !any; i += 8) {
            uint64_t w;
            memcpy(&w, key.p + i, 8);
            any = word_has_capital(w);
        }
        uint64_t last; /* the tail, as the last 8 bytes (overlapping) */
        memcpy(&last, key.p + key.len - 8, 8);
        if (!any && !word_has_capital(last))
            return 0;
    }
    size_t upper = 0;
    for (size_t i = 0; i < key.len; i++)
        upper += key.p[i] >= 'A' && key.p[i] <= 'Z';
    return upper;
}

tf_str or_snake_case(tf_arena *a, tf_str key)
{
    size_t upper = capitals(key);
    if (!upper)
        return key;
    char *out = tf_arena_alloc(a, key.len + upper + 1);
    size_t n = snake_into(out, key);
    out[n] = '\0';
    return (tf_str){ out, n };
}

bool or_key_is(tf_str key, const char *snake)
{
    size_t i = 0, j = 0;
    while (i < key.len && snake[j]) {
        char c = key.p[i];
        if (c == snake[j]) {
            i++, j++;
        } else if (snake[j] == '_' && c >= 'A' && c <= 'Z' && snake[j + 1] == c - 'A' + 'a') {
            i++, j += 2;
        } else {
            return false;
        }
    }
    return i == key.len && !snake[j];
}

bool or_ms_to_ns(const tf_json *v, uint64_t *ns)
{
    if (!v || (v->type != TF_JSON_NUMBER && v->type != TF_JSON_STRING))
        return false;
    int64_t d;
    if (!tf_duration_parse_number(v->str.p, v->str.len, 1000, &d) || d < 0)
        return false;
    *ns = (uint64_t)d;
    return true;
}

bool or_is_cost_field(tf_str k)
{
    return tf_str_eqc(k, "usage") || tf_str_eqc(k, "upstream_inference_cost") || tf_str_eqc(k, "cache_discount") ||
           tf_str_eqc(k, "total_cost") || tf_str_eqc(k, "input_cost") || tf_str_eqc(k, "output_cost");
}

static void write_key(tf_buf *b, tf_str k, bool snake)
{
    size_t upper = snake ? capitals(k) : 0;
    if (!upper) {
        tf_json_write_string(b, k.p, k.len);
        return;
    }
    char stack[256];
    char *s = k.len + upper <= sizeof stack ? stack : tf_xmalloc(k.len + upper);
    tf_json_write_string(b, s, snake_into(s, k));
    if (s != stack)
        free(s);
}

static void write_json(tf_buf *b, const tf_json *v, bool snake)
{
    if (v->type != TF_JSON_OBJECT && v->type != TF_JSON_ARRAY) {
        tf_json_write(b, v);
        return;
    }
    tf_buf_putc(b, v->type == TF_JSON_ARRAY ? '[' : '{');
    for (size_t i = 0; i < v->n; i++) {
        if (i)
            tf_buf_putc(b, ',');
        if (v->type == TF_JSON_OBJECT) {
            write_key(b, v->keys[i], snake);
            tf_buf_putc(b, ':');
        }
        write_json(b, v->items[i], snake);
    }
    tf_buf_putc(b, v->type == TF_JSON_ARRAY ? ']' : '}');
}

tf_str or_json_string(tf_arena *a, tf_buf *scratch, const tf_json *v, bool snake)
{
    scratch->len = 0;
    write_json(scratch, v, snake);
    return (tf_str){ tf_arena_strndup(a, scratch->p, scratch->len), scratch->len };
}

static size_t key_hash(const char *prefix, char sep, tf_str key)
{
    uint64_t h = (1469598103934665603ull ^ (uint64_t)(uintptr_t)prefix) * 1099511628211ull ^ (unsigned char)sep;
    for (size_t i = 0; i < key.len; i++)
        h = (h ^ (unsigned char)key.p[i]) * 1099511628211ull;
    return (size_t)(h ^ (h >> 29));
}

tf_str or_prefixed(tf_profile_state *st, tf_arena *a, tf_str prefix, char sep, tf_str key, bool *cached)
{
    tf_str s1 = sep ? (tf_str){ &sep, 1 } : TF_STR("");
    size_t s = key_hash(prefix.p, sep, key) % OR_KEY_SLOTS;
    for (; st->slots[s].prefix; s = (s + 1) % OR_KEY_SLOTS) {
        or_key_slot *k = &st->slots[s];
        if (k->prefix == prefix.p && k->sep == sep && k->key.len == key.len && !memcmp(k->key.p, key.p, key.len)) {
            *cached = true;
            return k->full;
        }
    }
    *cached = st->n_keys < OR_KEYS_MAX && key.len <= OR_KEY_MAX_LEN;
    if (!*cached)
        return tf_arena_concat(a, prefix, s1, key, TF_STR(""));
    tf_str full = tf_arena_concat(&st->keys, prefix, s1, key, TF_STR(""));
    st->slots[s] = (or_key_slot){ prefix.p, sep, { full.p + prefix.len + s1.len, key.len }, full };
    st->n_keys++;
    return full;
}

void or_add_flat(tf_attrs *at, tf_arena *a, tf_profile_state *st, tf_str key, bool key_cached, const tf_json *v)
{
    if (v->type == TF_JSON_NULL)
        return;
    if (v->type == TF_JSON_OBJECT) {
        for (size_t i = 0; i < v->n; i++) {
            bool cached = false;
            tf_str sub = key_cached ? or_prefixed(st, a, key, '.', v->keys[i], &cached)
                                    : tf_arena_concat(a, key, TF_STR("."), v->keys[i], TF_STR(""));
            or_add_flat(at, a, st, sub, cached, v->items[i]);
        }
        return;
    }
    tf_kv *kv = tf_attrs_add(at, a, key);
    if (v->type == TF_JSON_ARRAY) {
        kv->value.type = TF_VAL_STRING;
        kv->value.u.s = or_json_string(a, &st->scratch, v, false);
    } else {
        tf_value_from_json(&kv->value, v, a);
    }
}

void or_add_generation_field(or_req *r, tf_arena *a, tf_profile_state *st, tf_str key, const tf_json *v)
{
    if (v->type == TF_JSON_NULL)
        return;
    bool cached;
    tf_str full = or_prefixed(st, a, TF_STR("trace.metadata.openrouter_generation."), 0, key, &cached);
    or_add_flat(&r->generation, a, st, full, cached, v);
}

static tf_str error_message(const tf_json *e)
{
    if (e->type == TF_JSON_STRING)
        return e->str;
    const tf_json *m = e->type == TF_JSON_OBJECT ? tf_json_get_nn(e, "message") : NULL;
    return m && m->type == TF_JSON_STRING ? m->str : (tf_str){ NULL, 0 };
}

void or_judge_failure(or_req *r, tf_arena *a, const tf_json *error, const tf_json *status, const tf_json *cancelled)
{
    int64_t code = 0;
    bool bad_status = status && tf_json_as_int64(status, &code) && code >= 400;
    bool is_error = error && error->type != TF_JSON_NULL && !(error->type == TF_JSON_BOOL && !error->boolean);
    bool is_cancelled = cancelled && cancelled->type == TF_JSON_BOOL && cancelled->boolean;
    bool error_finish = r->finish_reason && tf_str_eqc(r->finish_reason->str, "error");
    if (!is_error && !is_cancelled && !bad_status && !error_finish)
        return;
    r->failed = true;
    tf_str msg = is_error ? error_message(error) : (tf_str){ NULL, 0 };
    if (msg.len) {
        r->fail_msg = msg;
    } else if (is_cancelled) {
        r->fail_msg = TF_STR("The client has disconnected");
    } else if (bad_status) {
        char num[24];
        r->fail_msg = tf_arena_concat(a, TF_STR("HTTP "), (tf_str){ num, tf_fmt_i64(num, code) }, TF_STR(""), TF_STR(""));
    } else if (error_finish) {
        r->fail_msg = TF_STR("The generation finished with an error");
    } else {
        r->fail_msg = TF_STR("The request failed");
    }
}

/* ---- the generation object ---------------------------------------------------- */

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

static const tf_json *str_or_null(const tf_json *v)
{
    return v && v->type == TF_JSON_STRING ? v : NULL;
}

static int read_generation(const or_profile *p, tf_profile_state *st, const tf_json *g, or_req *r, tf_arena *a,
                           tf_err *why)
{
    const tf_opts *opts = p->base.env->opts;
    const tf_json *f[F_COUNT] = { 0 };
    tf_str *keys = tf_arena_alloc(a, (g->n ? g->n : 1) * sizeof *keys);
    uint8_t *fls = tf_arena_alloc(a, g->n ? g->n : 1);
    for (size_t i = 0; i < g->n; i++) {
        keys[i] = or_snake_case(a, g->keys[i]);
        enum field fl = classify(keys[i]);
        fls[i] = (uint8_t)fl;
        if (fl != F_OTHER && g->items[i]->type != TF_JSON_NULL)
            f[fl] = g->items[i];
    }
    const tf_json *c = f[F_CREATED_AT]; /* the caller checked id and that a created_at is there */
    if (!(c->type == TF_JSON_STRING || c->type == TF_JSON_NUMBER) || !tf_time_parse_any(c->str.p, c->str.len, &r->start_ns)) {
        tf_err_set(why, "created_at is not a valid timestamp");
        return -1;
    }
    /* A duration that is there (not null) but no milliseconds >= 0 would
     * silently make a zero-length span: the record is rejected instead. */
    static const struct { enum field f; const char *name; } durs[] = {
        { F_LATENCY, "latency" }, { F_GENERATION_TIME, "generation_time" },
        { F_MODERATION_LATENCY, "moderation_latency" } };
    bool *has[] = { &r->has_latency, &r->has_generation_time, &r->has_moderation };
    uint64_t *ns[] = { &r->latency_ns, &r->generation_ns, &r->moderation_ns };
    for (size_t i = 0; i < sizeof durs / sizeof *durs; i++) {
        const tf_json *v = f[durs[i].f];
        *has[i] = or_ms_to_ns(v, ns[i]);
        if (v && !*has[i]) {
            tf_err_set(why, "%s is not a duration in milliseconds (a number, 0 or more)", durs[i].name);
            return -1;
        }
    }
    const char *op = operation_for(f[F_API_TYPE]);
    r->operation = op ? tf_str_c(op) : f[F_API_TYPE]->str;
    const tf_json *model = str_or_null(f[F_MODEL]), *router = str_or_null(f[F_ROUTER]);
    if (model)
        r->response_model = model->str;
    r->request_model = router ? router->str : r->response_model;
    r->tok_in = f[F_NATIVE_TOKENS_PROMPT];
    r->tok_out = f[F_NATIVE_TOKENS_COMPLETION];
    r->tok_cached = f[F_NATIVE_TOKENS_CACHED];
    r->tok_reasoning = f[F_NATIVE_TOKENS_REASONING];
    r->total_cost = f[F_TOTAL_COST];
    r->input_cost = f[F_INPUT_COST];
    r->output_cost = f[F_OUTPUT_COST];
    r->finish_reason = str_or_null(f[F_FINISH_REASON]);
    r->native_finish = f[F_NATIVE_FINISH_REASON];
    r->provider_name = f[F_PROVIDER_NAME];
    r->provider_slug = f[F_PROVIDER_SLUG];
    r->provider_responses = f[F_PROVIDER_RESPONSES] && f[F_PROVIDER_RESPONSES]->type == TF_JSON_ARRAY
                                ? f[F_PROVIDER_RESPONSES]
                                : NULL;
    r->user = f[F_USER] ? f[F_USER] : f[F_EXTERNAL_USER];
    r->session = f[F_SESSION_ID];
    r->trace = f[F_TRACE] && f[F_TRACE]->type == TF_JSON_OBJECT ? f[F_TRACE] : NULL;
    r->traceparent = opts->join_trace_names ? str_or_null(f[F_TRACEPARENT]) : NULL;
    for (int i = 0; i < OR_META_COUNT; i++)
        r->live_meta[i] = f[F_META + i];
    r->messages = f[F_MESSAGES];
    r->prompt = f[F_PROMPT];
    r->completion = f[F_COMPLETION];
    r->reasoning = f[F_REASONING];
    r->tool_calls = f[F_TOOL_CALLS];
    /* content in another shape: a chat response's choices, a responses
     * API output (never metadata: --privacy must be able to drop it) */
    if (!r->completion && !r->reasoning && !r->tool_calls) {
        if (f[F_CHOICES] && f[F_CHOICES]->type == TF_JSON_ARRAY && f[F_CHOICES]->n)
            or_choice_content(r, f[F_CHOICES]->items[0]);
        else
            r->completion = f[F_OUTPUT];
    }
    or_judge_failure(r, a, f[F_ERROR], f[F_STATUS], f[F_CANCELLED]);
    /* The fields without a live name, in record order: also a router that
     * is not a model slug, and external_user when user is user.id. */
    for (size_t i = 0; i < g->n; i++) {
        enum field fl = (enum field)fls[i];
        bool keep = kept_in_namespace(fl) || (fl == F_TRACEPARENT && !opts->join_trace_names) ||
                    (fl == F_ROUTER && g->items[i]->type != TF_JSON_STRING) ||
                    (fl == F_EXTERNAL_USER && f[F_USER]);
        if (keep && !(r->failed && or_is_cost_field(keys[i])))
            or_add_generation_field(r, a, st, keys[i], g->items[i]);
    }
    return 0;
}

/* ---- the profile -------------------------------------------------------------- */

static bool has_created(const tf_json *g)
{
    const tf_json *c = tf_json_get(g, "created");
    return (c && c->type != TF_JSON_NULL) || tf_json_get_nn(g, "choices");
}

static int or_map(const tf_profile *pp, tf_profile_state *st, const tf_record *rec, tf_map_out *out, tf_err *why)
{
    const or_profile *p = (const or_profile *)pp;
    tf_arena *a = out->arena;
    const tf_json *g = rec->json;
    if (!g || g->type != TF_JSON_OBJECT) {
        tf_err_set(why, "record is not a JSON object");
        return TF_MAP_REJECT;
    }
    if (tf_json_get(g, "resourceSpans") || tf_json_get(g, "resource_spans")) /* Broadcast's own delivery */
        return tf_profile_map(p->otlp, NULL, rec, out, why);
    const tf_json *data = tf_json_get(g, "data");
    if (data && data->type == TF_JSON_OBJECT && !tf_json_get(g, "id"))
        g = data;
    const tf_json *id = tf_json_get(g, "id");
    if (!id || id->type != TF_JSON_STRING || id->str.len == 0) {
        tf_err_set(why, "no generation id (\"id\" missing, null or not a string)");
        return TF_MAP_REJECT;
    }
    or_req r;
    memset(&r, 0, sizeof r);
    r.gen_id = id->str;
    int rc;
    if (tf_json_get_nn(g, "created_at") || tf_json_get_nn(g, "createdAt")) {
        rc = read_generation(p, st, g, &r, a, why);
    } else if (has_created(g)) {
        rc = or_read_chat(p, st, g, &r, a, why);
    } else {
        tf_err_set(why, "no created_at timestamp");
        return TF_MAP_REJECT;
    }
    if (rc != 0)
        return TF_MAP_REJECT;
    or_build(p, st, &r, out);
    return TF_MAP_OK;
}

static bool or_raw_start(const tf_profile *p, const char *text, size_t len, uint64_t *start_ns)
{
    static const char *const keys[] = { "created_at", "createdAt" };
    tf_str v;
    return tf_json_raw_top_string(text, len, keys, 2, &v) && tf_time_parse_any(v.p, v.len, start_ns);
}

static tf_profile_state *or_state_new(const tf_profile *p)
{
    (void)p;
    tf_profile_state *st = tf_xcalloc(1, sizeof *st);
    tf_arena_init(&st->keys, 16 * 1024);
    st->slots = tf_xcalloc(OR_KEY_SLOTS, sizeof *st->slots);
    return st;
}

static void or_state_free(tf_profile_state *st)
{
    tf_buf_free(&st->scratch);
    tf_arena_free(&st->keys);
    free(st->slots);
    free(st);
}

static void or_destroy(tf_profile *pp)
{
    or_profile *p = (or_profile *)pp;
    tf_profile_free(p->otlp);
    tf_arena_free(&p->arena);
    free(p);
}

static const tf_profile_ops or_ops = {
    .map = or_map,
    .raw_start = or_raw_start,
    .state_new = or_state_new,
    .state_free = or_state_free,
    .destroy = or_destroy,
};

tf_profile *tf_profile_openrouter_new(const tf_map_env *env)
{
    known_init();
    or_profile *p = tf_xcalloc(1, sizeof *p);
    p->base.ops = &or_ops;
    p->base.name = "openrouter";
    p->base.env = env;
    tf_arena_init(&p->arena, 1024);
    /* The resource: every record gets its own (openrouter.trace.id is the
     * generation id); this template is copied per record. */
    tf_attrs *t = &p->resource_tmpl;
    tf_attrs_cstr(t, &p->arena, "service.name", "openrouter");
    tf_attrs_cstr(t, &p->arena, "service.version", "1.0.0");
    tf_attrs_cstr(t, &p->arena, "openrouter.trace.id", "");
    tf_profile_add_resource_opts(env, t, &p->arena);
    p->trace_id_slot = t->kv[2].value.type == TF_VAL_STRING && t->kv[2].value.u.s.len == 0 ? 2 : -1;
    tf_attrs none = { 0 };
    p->scope = tf_intern_scope(env->interner, TF_STR("openrouter"), TF_STR(""), &none, TF_STR(""), 0);
    p->otlp = tf_profile_otlp_new(env);
    return &p->base;
}
