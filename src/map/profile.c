/* profile.c: the registry of profiles, the profiles of a run, and helpers
 * every profile shares. */
#include "config.h"
#include "map/profile.h"
#include "map/mapfile/mapfile.h"

#include <stdlib.h>
#include <string.h>

/* ---- the registry ----------------------------------------------------------- */

static const struct {
    const char *name;
    tf_profile *(*create)(const tf_map_env *env);
} builtins[] = {
    { "openrouter", tf_profile_openrouter_new },
    { "otlp", tf_profile_otlp_new },
};

bool tf_profile_is_builtin(const char *name)
{
    for (size_t i = 0; i < TF_ARRAY_LEN(builtins); i++)
        if (!strcmp(name, builtins[i].name))
            return true;
    return false;
}

tf_profile *tf_profile_open(const tf_map_env *env, const char *name, tf_err *err)
{
    for (size_t i = 0; i < TF_ARRAY_LEN(builtins); i++)
        if (!strcmp(name, builtins[i].name))
            return builtins[i].create(env);
    return tf_profile_mapfile_new(env, name, err);
}

void tf_profile_free(tf_profile *p)
{
    if (p)
        p->ops->destroy(p);
}

/* ---- the profiles of one run ------------------------------------------------- */

struct tf_profiles {
    bool is_auto;
    size_t n;
    tf_profile *v[TF_ARRAY_LEN(builtins)];
};

tf_profiles *tf_profiles_open(const tf_map_env *env, const char *spec, tf_err *err)
{
    tf_profiles *ps = tf_xcalloc(1, sizeof *ps);
    if (!spec || !strcmp(spec, "auto")) {
        ps->is_auto = true;
        for (size_t i = 0; i < TF_ARRAY_LEN(builtins); i++)
            ps->v[ps->n++] = builtins[i].create(env);
        return ps;
    }
    ps->v[0] = tf_profile_open(env, spec, err);
    if (!ps->v[0]) {
        free(ps);
        return NULL;
    }
    ps->n = 1;
    return ps;
}

void tf_profiles_free(tf_profiles *ps)
{
    if (!ps)
        return;
    for (size_t i = 0; i < ps->n; i++)
        tf_profile_free(ps->v[i]);
    free(ps);
}

bool tf_profiles_auto(const tf_profiles *ps)
{
    return ps->is_auto;
}

size_t tf_profiles_count(const tf_profiles *ps)
{
    return ps->n;
}

const tf_profile *tf_profiles_at(const tf_profiles *ps, size_t i)
{
    return i < ps->n ? ps->v[i] : NULL;
}

int tf_profiles_find(const tf_profiles *ps, const char *name)
{
    if (!ps->is_auto || !name)
        return -1;
    for (size_t i = 0; i < ps->n; i++)
        if (!strcmp(ps->v[i]->name, name))
            return (int)i;
    return -1;
}

/* ---- helpers ------------------------------------------------------------------ */

tf_span *tf_map_new_span(tf_map_out *out)
{
    if (out->n == out->cap) {
        size_t cap = out->cap ? out->cap * 2 : 8;
        tf_span **v = tf_arena_alloc(out->arena, cap * sizeof *v);
        if (out->n)
            memcpy(v, out->spans, out->n * sizeof *v);
        out->spans = v;
        out->cap = cap;
    }
    tf_span *s = tf_arena_calloc(out->arena, sizeof *s);
    out->spans[out->n++] = s;
    return s;
}

static tf_kv *find_key(tf_attrs *attrs, const char *key)
{
    for (size_t j = 0; j < attrs->n; j++)
        if (tf_str_eqc(attrs->kv[j].key, key))
            return &attrs->kv[j];
    return NULL;
}

void tf_profile_add_resource_opts(const tf_map_env *env, tf_attrs *attrs, tf_arena *arena)
{
    /* The environment's (OTEL_RESOURCE_ATTRIBUTES, OTEL_SERVICE_NAME) only
     * where the profile set nothing: they never override what it fixes. */
    size_t profile_n = attrs->n;
    for (size_t i = 0; i < env->opts->n_env_resource_attrs; i++) {
        const tf_keyval *kv = &env->opts->env_resource_attrs[i];
        tf_kv *slot = find_key(attrs, kv->key);
        if (slot && (size_t)(slot - attrs->kv) < profile_n)
            continue;
        if (!slot)
            slot = tf_attrs_add(attrs, arena, tf_str_c(kv->key));
        slot->value.type = TF_VAL_STRING;
        slot->value.u.s = tf_str_c(kv->value);
    }
    /* --resource-attr wins over everything; a later one over an earlier one. */
    for (size_t i = 0; i < env->opts->n_resource_attrs; i++) {
        const tf_keyval *kv = &env->opts->resource_attrs[i];
        tf_kv *slot = find_key(attrs, kv->key);
        if (!slot)
            slot = tf_attrs_add(attrs, arena, tf_str_c(kv->key));
        slot->value.type = TF_VAL_STRING;
        slot->value.u.s = tf_str_c(kv->value);
    }
    if (env->opts->mark_backfill) {
        tf_kv *slot = NULL;
        for (size_t j = 0; j < attrs->n; j++)
            if (tf_str_eqc(attrs->kv[j].key, "tracefill.backfill"))
                slot = &attrs->kv[j];
        if (!slot)
            slot = tf_attrs_add(attrs, arena, TF_STR("tracefill.backfill"));
        slot->value.type = TF_VAL_BOOL;
        slot->value.u.b = true;
    }
}

void tf_value_from_json(tf_value *out, const tf_json *v, tf_arena *arena)
{
    memset(out, 0, sizeof *out);
    switch (v->type) {
    case TF_JSON_NULL: break;
    case TF_JSON_BOOL:
        out->type = TF_VAL_BOOL;
        out->u.b = v->boolean;
        break;
    case TF_JSON_NUMBER:
        if (tf_json_is_integral(v) && tf_json_as_int64(v, &out->u.i)) {
            out->type = TF_VAL_INT;
        } else if (tf_json_as_double(v, &out->u.d)) {
            out->type = TF_VAL_DOUBLE;
        } else { /* beyond double range: keep the digits */
            out->type = TF_VAL_STRING;
            out->u.s = v->str;
        }
        break;
    case TF_JSON_STRING:
        out->type = TF_VAL_STRING;
        out->u.s = v->str;
        break;
    case TF_JSON_ARRAY:
        out->type = TF_VAL_ARRAY;
        out->u.arr.n = v->n;
        out->u.arr.v = tf_arena_alloc(arena, (v->n ? v->n : 1) * sizeof(tf_value));
        for (size_t i = 0; i < v->n; i++)
            tf_value_from_json(&out->u.arr.v[i], v->items[i], arena);
        break;
    case TF_JSON_OBJECT:
        out->type = TF_VAL_KVLIST;
        out->u.kvl.n = v->n;
        out->u.kvl.kv = tf_arena_alloc(arena, (v->n ? v->n : 1) * sizeof(tf_kv));
        for (size_t i = 0; i < v->n; i++) {
            out->u.kvl.kv[i].key = v->keys[i];
            tf_value_from_json(&out->u.kvl.kv[i].value, v->items[i], arena);
        }
        break;
    }
}

void tf_attrs_add_json_flat(tf_attrs *a, tf_arena *arena, const char *key, size_t keylen,
                            const tf_json *v)
{
    if (v->type == TF_JSON_NULL)
        return;
    if (v->type == TF_JSON_OBJECT) {
        for (size_t i = 0; i < v->n; i++) {
            size_t kl = keylen + 1 + v->keys[i].len;
            char *k = tf_arena_alloc(arena, kl + 1);
            memcpy(k, key, keylen);
            k[keylen] = '.';
            memcpy(k + keylen + 1, v->keys[i].p, v->keys[i].len);
            k[kl] = '\0';
            tf_attrs_add_json_flat(a, arena, k, kl, v->items[i]);
        }
        return;
    }
    tf_kv *kv = tf_attrs_add(a, arena, (tf_str){ key, keylen });
    tf_value_from_json(&kv->value, v, arena);
}

