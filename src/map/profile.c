/* profile.c: helpers every profile shares, profile creation and detection. */
#include "config.h"
#include "map/profile.h"

#include <string.h>

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

void tf_profile_add_resource_opts(const tf_map_env *env, tf_attrs *attrs, tf_arena *arena)
{
    for (size_t i = 0; i < env->opts->n_resource_attrs; i++) {
        const tf_keyval *kv = &env->opts->resource_attrs[i];
        /* A later --resource-attr with the same key replaces an earlier value. */
        tf_kv *slot = NULL;
        for (size_t j = 0; j < attrs->n; j++)
            if (tf_str_eqc(attrs->kv[j].key, kv->key))
                slot = &attrs->kv[j];
        if (!slot)
            slot = tf_attrs_add(attrs, arena, tf_str_c(kv->key));
        slot->value.type = TF_VAL_STRING;
        slot->value.u.s = tf_str_c(kv->value);
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

tf_profile *tf_profile_create(const tf_map_env *env, const char *name, char **err)
{
    if (!strcmp(name, "openrouter"))
        return tf_profile_openrouter_new(env);
    if (!strcmp(name, "otlp"))
        return tf_profile_otlp_new(env);
    return tf_profile_mapfile_new(env, name, err);
}

const char *tf_profile_detect(const tf_json *rec, const char **why)
{
    if (!rec || rec->type != TF_JSON_OBJECT) {
        *why = "the first record is not a JSON object";
        return NULL;
    }
    if (tf_json_get(rec, "resourceSpans") || tf_json_get(rec, "resource_spans")) {
        *why = "the first record has resourceSpans, like an OTLP/JSON export request";
        return "otlp";
    }
    const tf_json *g = rec;
    const tf_json *data = tf_json_get(rec, "data");
    if (data && data->type == TF_JSON_OBJECT && !tf_json_get(rec, "id"))
        g = data;
    const tf_json *id = tf_json_get(g, "id");
    bool gen_id = id && id->type == TF_JSON_STRING && id->str.len > 4 && !memcmp(id->str.p, "gen-", 4);
    if (id && (gen_id || tf_json_get(g, "created_at") || tf_json_get(g, "createdAt"))) {
        *why = g != rec ? "the first record wraps an OpenRouter generation in \"data\""
               : gen_id ? "the first record has a gen-… id, like an OpenRouter generation"
                        : "the first record has id and created_at, like an OpenRouter generation";
        return "openrouter";
    }
    *why = "the first record matches no built-in profile (use --profile with a mapping file)";
    return NULL;
}
