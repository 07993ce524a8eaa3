/* otlp_replay.c: OTLP/JSON export requests (as the Collector's file
 * exporter writes them, one per line, or one pretty-printed document) are
 * re-sent unchanged: ids, times, attributes, events, links, status, flags,
 * resources and scopes as they were. Both the OTLP lowerCamelCase keys and
 * the proto field names (snake_case) are accepted; ids in hex (the OTLP
 * rule) or base64 (the generic protobuf JSON rule). */
#include "config.h"
#include "common/ids.h"
#include "map/profile.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    tf_profile base;
} otlp_profile;

/* Looks a key up in its lowerCamelCase or snake_case spelling. */
static const tf_json *get2(const tf_json *o, const char *camel, const char *snake)
{
    const tf_json *v = tf_json_get_nn(o, camel);
    return v ? v : snake ? tf_json_get_nn(o, snake) : NULL;
}

static bool u64_of(const tf_json *v, uint64_t *out)
{
    if (!v || (v->type != TF_JSON_NUMBER && v->type != TF_JSON_STRING) || v->str.len == 0 || v->str.len > 20)
        return false;
    char tmp[24];
    memcpy(tmp, v->str.p, v->str.len);
    tmp[v->str.len] = '\0';
    if (tmp[0] == '-')
        return false;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(tmp, &end, 10);
    if (errno || *end)
        return false;
    *out = x;
    return true;
}

static int b64val(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

/* Decodes base64 (standard or URL alphabet, padding optional) into out;
 * returns the decoded length or -1. */
static long b64_decode(const char *s, size_t n, uint8_t *out, size_t cap)
{
    while (n && s[n - 1] == '=')
        n--;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64val(s[i]);
        if (v < 0)
            return -1;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o == cap)
                return -1;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    return (long)o;
}

/* An id of exactly n bytes: hex (2n digits) or base64. */
static bool id_of(const tf_json *v, uint8_t *out, size_t n)
{
    if (!v || v->type != TF_JSON_STRING)
        return false;
    if (v->str.len == 2 * n)
        return tf_hex_decode(out, v->str.p, n) == 0;
    uint8_t tmp[32];
    return b64_decode(v->str.p, v->str.len, tmp, sizeof tmp) == (long)n && (memcpy(out, tmp, n), true);
}

static bool parse_anyvalue(tf_value *out, const tf_json *v, tf_arena *a, int depth);

static void parse_kvs(tf_attrs *attrs, const tf_json *list, tf_arena *a, int depth)
{
    memset(attrs, 0, sizeof *attrs);
    if (!list || list->type != TF_JSON_ARRAY || !list->n)
        return;
    attrs->kv = tf_arena_alloc(a, list->n * sizeof *attrs->kv);
    attrs->cap = list->n;
    for (size_t i = 0; i < list->n; i++) {
        const tf_json *kv = list->items[i];
        const tf_json *k = tf_json_get_nn(kv, "key");
        if (!k || k->type != TF_JSON_STRING)
            continue;
        tf_kv *d = &attrs->kv[attrs->n++];
        d->key = k->str;
        if (!parse_anyvalue(&d->value, tf_json_get_nn(kv, "value"), a, depth + 1))
            memset(&d->value, 0, sizeof d->value);
    }
}

static bool parse_anyvalue(tf_value *out, const tf_json *v, tf_arena *a, int depth)
{
    memset(out, 0, sizeof *out);
    if (!v || v->type != TF_JSON_OBJECT || depth > 32)
        return false;
    const tf_json *x;
    if ((x = get2(v, "stringValue", "string_value")) && x->type == TF_JSON_STRING) {
        out->type = TF_VAL_STRING;
        out->u.s = x->str;
    } else if ((x = get2(v, "boolValue", "bool_value"))) {
        out->type = TF_VAL_BOOL;
        if (!tf_json_as_bool(x, &out->u.b))
            return false;
    } else if ((x = get2(v, "intValue", "int_value"))) {
        out->type = TF_VAL_INT;
        if (!tf_json_as_int64(x, &out->u.i))
            return false;
    } else if ((x = get2(v, "doubleValue", "double_value"))) {
        out->type = TF_VAL_DOUBLE;
        if (x->type == TF_JSON_STRING && tf_str_eqc(x->str, "NaN"))
            out->u.d = NAN;
        else if (x->type == TF_JSON_STRING && tf_str_eqc(x->str, "Infinity"))
            out->u.d = INFINITY;
        else if (x->type == TF_JSON_STRING && tf_str_eqc(x->str, "-Infinity"))
            out->u.d = -INFINITY;
        else if (!tf_json_as_double(x, &out->u.d))
            return false;
    } else if ((x = get2(v, "arrayValue", "array_value"))) {
        const tf_json *vals = tf_json_get_nn(x, "values");
        out->type = TF_VAL_ARRAY;
        size_t n = vals && vals->type == TF_JSON_ARRAY ? vals->n : 0;
        out->u.arr.v = tf_arena_alloc(a, (n ? n : 1) * sizeof(tf_value));
        for (size_t i = 0; i < n; i++)
            parse_anyvalue(&out->u.arr.v[out->u.arr.n++], vals->items[i], a, depth + 1);
    } else if ((x = get2(v, "kvlistValue", "kvlist_value"))) {
        tf_attrs kv;
        parse_kvs(&kv, tf_json_get_nn(x, "values"), a, depth + 1);
        out->type = TF_VAL_KVLIST;
        out->u.kvl.kv = kv.kv;
        out->u.kvl.n = kv.n;
    } else if ((x = get2(v, "bytesValue", "bytes_value")) && x->type == TF_JSON_STRING) {
        uint8_t *buf = tf_arena_alloc(a, x->str.len + 1);
        long n = b64_decode(x->str.p, x->str.len, buf, x->str.len + 1);
        if (n < 0)
            return false;
        out->type = TF_VAL_BYTES;
        out->u.s = (tf_str){ (const char *)buf, (size_t)n };
    }
    return true; /* {} is an empty AnyValue */
}

static uint32_t u32_of(const tf_json *v)
{
    uint64_t x;
    return u64_of(v, &x) && x <= UINT32_MAX ? (uint32_t)x : 0;
}

static int enum_of(const tf_json *v, const char *const *names, int n_names)
{
    if (!v)
        return 0;
    if (v->type == TF_JSON_STRING)
        for (int i = 0; i < n_names; i++)
            if (tf_str_eqc(v->str, names[i]))
                return i;
    int64_t x;
    return tf_json_as_int64(v, &x) && x >= 0 && x < n_names ? (int)x : 0;
}

static const char *const kinds[] = { "SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL", "SPAN_KIND_SERVER",
                                     "SPAN_KIND_CLIENT", "SPAN_KIND_PRODUCER", "SPAN_KIND_CONSUMER" };
static const char *const codes[] = { "STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR" };

static const char *parse_span(tf_span *s, const tf_json *j, tf_arena *a)
{
    if (!id_of(get2(j, "traceId", "trace_id"), s->trace_id, 16))
        return "span without a valid traceId (32 hex digits)";
    if (!id_of(get2(j, "spanId", "span_id"), s->span_id, 8))
        return "span without a valid spanId (16 hex digits)";
    const tf_json *p = get2(j, "parentSpanId", "parent_span_id");
    if (p && p->type == TF_JSON_STRING && p->str.len) {
        if (!id_of(p, s->parent_span_id, 8))
            return "span with an invalid parentSpanId";
        s->has_parent = !tf_id_is_zero(s->parent_span_id, 8);
    }
    const tf_json *x;
    if ((x = get2(j, "traceState", "trace_state")) && x->type == TF_JSON_STRING)
        s->trace_state = x->str;
    s->flags = u32_of(get2(j, "flags", NULL));
    if ((x = get2(j, "name", NULL)) && x->type == TF_JSON_STRING)
        s->name = x->str;
    s->kind = (tf_span_kind)enum_of(get2(j, "kind", NULL), kinds, 6);
    if (!u64_of(get2(j, "startTimeUnixNano", "start_time_unix_nano"), &s->start_ns))
        return "span without a valid startTimeUnixNano";
    if (!u64_of(get2(j, "endTimeUnixNano", "end_time_unix_nano"), &s->end_ns))
        s->end_ns = s->start_ns;
    parse_kvs(&s->attrs, get2(j, "attributes", NULL), a, 0);
    s->attrs.dropped = u32_of(get2(j, "droppedAttributesCount", "dropped_attributes_count"));
    const tf_json *evs = get2(j, "events", NULL);
    for (size_t i = 0; evs && evs->type == TF_JSON_ARRAY && i < evs->n; i++) {
        tf_event *e = tf_span_add_event(s, a);
        const tf_json *ej = evs->items[i];
        u64_of(get2(ej, "timeUnixNano", "time_unix_nano"), &e->time_ns);
        if ((x = get2(ej, "name", NULL)) && x->type == TF_JSON_STRING)
            e->name = x->str;
        parse_kvs(&e->attrs, get2(ej, "attributes", NULL), a, 0);
        e->attrs.dropped = u32_of(get2(ej, "droppedAttributesCount", "dropped_attributes_count"));
    }
    s->dropped_events = u32_of(get2(j, "droppedEventsCount", "dropped_events_count"));
    const tf_json *links = get2(j, "links", NULL);
    for (size_t i = 0; links && links->type == TF_JSON_ARRAY && i < links->n; i++) {
        tf_link *l = tf_span_add_link(s, a);
        const tf_json *lj = links->items[i];
        if (!id_of(get2(lj, "traceId", "trace_id"), l->trace_id, 16) ||
            !id_of(get2(lj, "spanId", "span_id"), l->span_id, 8))
            return "link without valid traceId/spanId";
        if ((x = get2(lj, "traceState", "trace_state")) && x->type == TF_JSON_STRING)
            l->trace_state = x->str;
        parse_kvs(&l->attrs, get2(lj, "attributes", NULL), a, 0);
        l->attrs.dropped = u32_of(get2(lj, "droppedAttributesCount", "dropped_attributes_count"));
        l->flags = u32_of(get2(lj, "flags", NULL));
    }
    s->dropped_links = u32_of(get2(j, "droppedLinksCount", "dropped_links_count"));
    const tf_json *st = get2(j, "status", NULL);
    if (st) {
        s->status = (tf_status_code)enum_of(get2(st, "code", NULL), codes, 3);
        if ((x = get2(st, "message", NULL)) && x->type == TF_JSON_STRING)
            s->status_message = x->str;
    }
    return NULL;
}

static tf_str str_of(const tf_json *v)
{
    return v && v->type == TF_JSON_STRING ? v->str : (tf_str){ "", 0 };
}

/* Interned, unless it is one request's own: OpenRouter Broadcast puts the
 * generation id on the resource (openrouter.trace.id), so each delivery has
 * a resource of its own, which stays with the record (in its arena) instead
 * of growing the run-wide interner without bound. */
static const tf_resource *resource_of(const tf_map_env *env, const tf_attrs *attrs, tf_str schema_url,
                                      uint32_t dropped, tf_arena *a)
{
    bool per_request = false;
    for (size_t i = 0; i < attrs->n && !per_request; i++)
        per_request = tf_str_eqc(attrs->kv[i].key, "openrouter.trace.id");
    if (!per_request)
        return tf_intern_resource(env->interner, attrs, schema_url, dropped);
    tf_resource *r = tf_arena_calloc(a, sizeof *r);
    r->attrs = *attrs;
    r->attrs.dropped = dropped;
    r->schema_url = schema_url;
    return r;
}

static int otlp_map(const tf_profile *pp, tf_profile_state *st, const tf_record *rec, tf_map_out *out, tf_err *why)
{
    const tf_map_env *env = pp->env;
    tf_arena *a = out->arena;
    const tf_json *req = rec->json;
    const tf_json *rss = req ? get2(req, "resourceSpans", "resource_spans") : NULL;
    if (!rss || rss->type != TF_JSON_ARRAY) {
        tf_err_set(why, "not an OTLP/JSON export request (no resourceSpans array)");
        return TF_MAP_REJECT;
    }
    out->independent = true;
    for (size_t r = 0; r < rss->n; r++) {
        const tf_json *rs = rss->items[r];
        const tf_json *res = get2(rs, "resource", NULL);
        tf_attrs rattrs;
        parse_kvs(&rattrs, get2(res, "attributes", NULL), a, 0);
        if (env->opts->n_resource_attrs || env->opts->mark_backfill) {
            /* make room: parse_kvs sized the array exactly */
            tf_attrs grown = { 0 };
            for (size_t i = 0; i < rattrs.n; i++)
                *tf_attrs_add(&grown, a, rattrs.kv[i].key) = rattrs.kv[i];
            tf_profile_add_resource_opts(env, &grown, a);
            rattrs.kv = grown.kv;
            rattrs.n = grown.n;
        }
        const tf_resource *resource = resource_of(env, &rattrs, str_of(get2(rs, "schemaUrl", "schema_url")),
                                                  u32_of(get2(res, "droppedAttributesCount", "dropped_attributes_count")), a);
        const tf_json *sss = get2(rs, "scopeSpans", "scope_spans");
        if (!sss) /* pre-1.0 name */
            sss = get2(rs, "instrumentationLibrarySpans", "instrumentation_library_spans");
        for (size_t k = 0; sss && sss->type == TF_JSON_ARRAY && k < sss->n; k++) {
            const tf_json *ss = sss->items[k];
            const tf_json *sc = get2(ss, "scope", NULL);
            if (!sc)
                sc = get2(ss, "instrumentationLibrary", "instrumentation_library");
            tf_attrs sattrs;
            parse_kvs(&sattrs, get2(sc, "attributes", NULL), a, 0);
            const tf_scope *scope = tf_intern_scope(
                env->interner, str_of(get2(sc, "name", NULL)), str_of(get2(sc, "version", NULL)), &sattrs,
                str_of(get2(ss, "schemaUrl", "schema_url")),
                u32_of(get2(sc, "droppedAttributesCount", "dropped_attributes_count")));
            const tf_json *spans = get2(ss, "spans", NULL);
            for (size_t i = 0; spans && spans->type == TF_JSON_ARRAY && i < spans->n; i++) {
                tf_span *s = tf_map_new_span(out);
                const char *bad = parse_span(s, spans->items[i], a);
                if (bad) {
                    tf_err_set(why, "%s", bad);
                    return TF_MAP_REJECT;
                }
                s->resource = resource;
                s->scope = scope;
            }
        }
    }
    return TF_MAP_OK;
}

static void otlp_destroy(tf_profile *p)
{
    free(p);
}

static const tf_profile_ops otlp_ops = {
    .map = otlp_map,
    .destroy = otlp_destroy,
};

/* Stateless: one profile serves every thread (st is NULL). */
tf_profile *tf_profile_otlp_new(const tf_map_env *env)
{
    otlp_profile *p = tf_xcalloc(1, sizeof *p);
    p->base.ops = &otlp_ops;
    p->base.name = "otlp";
    p->base.env = env;
    return &p->base;
}
