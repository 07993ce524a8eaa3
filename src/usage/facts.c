/* facts.c: one pass over a root span's attributes → a usage fact. */
#include "config.h"
#include "usage/facts.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const tf_usage_token_types[TF_TOK_TYPES] = { "input", "output", "cached", "reasoning" };

/* The string fields, in tf_usage_fact order. */
enum { F_MODEL, F_PROVIDER, F_OPERATION, F_SERVICE, F_SPAN, F_USER, F_SESSION, F_N };

/* Attribute → (field, priority): a lower rank wins when several are there. */
typedef struct {
    const char *key;
    int field, rank;
} str_key;

static const str_key str_keys[] = {
    { "gen_ai.response.model", F_MODEL, 0 },
    { "gen_ai.request.model", F_MODEL, 1 },
    { "trace.metadata.openrouter.provider_name", F_PROVIDER, 0 },
    { "gen_ai.provider.name", F_PROVIDER, 1 },
    { "gen_ai.system", F_PROVIDER, 2 },
    { "gen_ai.operation.name", F_OPERATION, 0 },
    { "user.id", F_USER, 0 },
    { "enduser.id", F_USER, 1 },
    { "session.id", F_SESSION, 0 },
};

static const char *const token_keys[TF_TOK_TYPES] = {
    "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens", "gen_ai.usage.input_tokens.cached",
    "gen_ai.usage.output_tokens.reasoning",
};

void tf_usage_facts_reset(tf_usage_facts *f)
{
    f->n = 0;
    f->strs.len = 0;
    f->sealed = false;
}

void tf_usage_facts_free(tf_usage_facts *f)
{
    free(f->v);
    tf_buf_free(&f->strs);
    memset(f, 0, sizeof *f);
}

static bool key_is(tf_str k, const char *c)
{
    size_t n = strlen(c);
    return k.len == n && !memcmp(k.p, c, n);
}

/* A number from an int, a double or a numeric string; false otherwise. */
static bool as_double(const tf_value *v, double *out)
{
    char tmp[64], *end;
    switch (v->type) {
    case TF_VAL_INT: *out = (double)v->u.i; return true;
    case TF_VAL_DOUBLE: *out = v->u.d; return isfinite(v->u.d);
    case TF_VAL_STRING:
        if (!v->u.s.len || v->u.s.len >= sizeof tmp)
            return false;
        memcpy(tmp, v->u.s.p, v->u.s.len);
        tmp[v->u.s.len] = '\0';
        *out = strtod(tmp, &end);
        return *end == '\0' && isfinite(*out);
    default: return false;
    }
}

static bool as_count(const tf_value *v, uint64_t *out)
{
    if (v->type == TF_VAL_INT) {
        *out = v->u.i > 0 ? (uint64_t)v->u.i : 0;
        return true;
    }
    double d;
    if (!as_double(v, &d))
        return false;
    *out = d > 0 && d < 1.8e19 ? (uint64_t)d : 0;
    return true;
}

/* Keeps at most TF_USAGE_STR_MAX bytes, never cutting a UTF-8 sequence. */
static tf_str cut(tf_str s)
{
    if (s.len <= TF_USAGE_STR_MAX)
        return s;
    size_t n = TF_USAGE_STR_MAX;
    while (n && ((unsigned char)s.p[n] & 0xC0) == 0x80)
        n--;
    return (tf_str){ s.p, n };
}

/* Stores s in the list's strings; p holds the offset until sealed. */
static tf_str keep(tf_usage_facts *f, tf_str s)
{
    if (!s.len)
        return (tf_str){ NULL, 0 };
    s = cut(s);
    size_t off = f->strs.len;
    tf_buf_append(&f->strs, s.p, s.len);
    return (tf_str){ (const char *)(uintptr_t)(off + 1), s.len };
}

static void extract_one(tf_usage_facts *f, const char *profile, const tf_span *sp)
{
    tf_str str[F_N] = { { 0 } };
    int rank[F_N];
    for (int i = 0; i < F_N; i++)
        rank[i] = 99;
    tf_usage_fact fact = { .start_ns = sp->start_ns, .duration_ns = sp->end_ns > sp->start_ns ? sp->end_ns - sp->start_ns : 0 };
    bool cost_rank0 = false;
    for (size_t i = 0; i < sp->attrs.n; i++) {
        const tf_kv *kv = &sp->attrs.kv[i];
        tf_str k = kv->key;
        if (k.len > 13 && !memcmp(k.p, "gen_ai.usage.", 13)) {
            for (int t = 0; t < TF_TOK_TYPES; t++)
                if (key_is(k, token_keys[t]) && as_count(&kv->value, &fact.tokens[t]))
                    fact.tokens_seen |= (uint8_t)(1u << t);
            double c;
            if (!as_double(&kv->value, &c))
                continue;
            c = c > 0 ? c : 0; /* a counter never goes down */
            if (key_is(k, "gen_ai.usage.total_cost")) {
                fact.cost = c;
                fact.has_cost = cost_rank0 = true;
            } else if (!cost_rank0 && key_is(k, "gen_ai.usage.cost")) {
                fact.cost = c;
                fact.has_cost = true;
            }
            continue;
        }
        if (kv->value.type != TF_VAL_STRING || !kv->value.u.s.len)
            continue;
        for (size_t j = 0; j < TF_ARRAY_LEN(str_keys); j++)
            if (str_keys[j].rank < rank[str_keys[j].field] && key_is(k, str_keys[j].key)) {
                str[str_keys[j].field] = kv->value.u.s;
                rank[str_keys[j].field] = str_keys[j].rank;
            }
    }
    str[F_SPAN] = sp->name;
    if (sp->resource) {
        const tf_kv *svc = tf_attrs_find(&sp->resource->attrs, "service.name");
        if (svc && svc->value.type == TF_VAL_STRING)
            str[F_SERVICE] = svc->value.u.s;
    }
    bool openrouter = (profile && !strcmp(profile, "openrouter")) || key_is(str[F_SERVICE], "openrouter");
    fact.family = openrouter ? TF_USAGE_OPENROUTER : TF_USAGE_TRACEFILL;
    fact.error = sp->status == TF_STATUS_ERROR;
    memcpy(fact.trace_id, sp->trace_id, 16);
    fact.model = keep(f, str[F_MODEL]);
    fact.provider = keep(f, str[F_PROVIDER]);
    fact.operation = keep(f, str[F_OPERATION]);
    fact.service = keep(f, str[F_SERVICE]);
    fact.span = keep(f, str[F_SPAN]);
    fact.user = keep(f, str[F_USER]);
    fact.session = keep(f, str[F_SESSION]);
    if (f->n == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 256;
        f->v = tf_xrealloc(f->v, f->cap * sizeof *f->v);
    }
    f->v[f->n++] = fact;
}

size_t tf_usage_extract(tf_usage_facts *f, const char *profile, tf_span *const *spans, size_t n)
{
    size_t before = f->n;
    bool replay = profile && !strcmp(profile, "otlp");
    for (size_t i = 0; i < n; i++)
        if (replay ? !spans[i]->has_parent : i == 0)
            extract_one(f, profile, spans[i]);
    return f->n - before;
}

static void fix(tf_usage_facts *f, tf_str *s)
{
    if (s->len)
        s->p = f->strs.p + ((uintptr_t)s->p - 1);
    else
        s->p = "";
}

void tf_usage_facts_seal(tf_usage_facts *f)
{
    if (f->sealed)
        return;
    for (size_t i = 0; i < f->n; i++) {
        tf_usage_fact *u = &f->v[i];
        fix(f, &u->model);
        fix(f, &u->provider);
        fix(f, &u->operation);
        fix(f, &u->service);
        fix(f, &u->span);
        fix(f, &u->user);
        fix(f, &u->session);
    }
    f->sealed = true;
}
