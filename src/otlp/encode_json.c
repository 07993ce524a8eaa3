/* encode_json.c: the OTLP/JSON encoding (protobuf JSON mapping with the OTLP
 * exceptions: trace/span ids as lowercase hex, enums as integers).
 * This is the format the OpenTelemetry Collector's file exporter writes. */
#include "config.h"
#include "otlp/encode.h"
#include "common/json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Inlined so strlen of the literal keys folds away. */
static inline void put_key(tf_buf *out, const char *key, int *first)
{
    size_t n = strlen(key);
    tf_buf_reserve(out, n + 4);
    if (!*first)
        out->p[out->len++] = ',';
    *first = 0;
    out->p[out->len++] = '"';
    memcpy(out->p + out->len, key, n);
    out->len += n;
    out->p[out->len++] = '"';
    out->p[out->len++] = ':';
}

static void put_hex(tf_buf *out, const uint8_t *id, size_t n)
{
    tf_buf_reserve(out, 2 * n + 2);
    out->p[out->len++] = '"';
    tf_hex_encode(out->p + out->len, id, n);
    out->len += 2 * n;
    out->p[out->len++] = '"';
}

static void put_u64_string(tf_buf *out, uint64_t v)
{
    tf_buf_reserve(out, 22);
    out->p[out->len++] = '"';
    out->len += tf_fmt_u64(out->p + out->len, v);
    out->p[out->len++] = '"';
}

static void put_double(tf_buf *out, double d)
{
    if (isnan(d)) {
        TF_BUF_LIT(out, "\"NaN\"");
        return;
    }
    if (isinf(d)) {
        tf_buf_puts(out, d > 0 ? "\"Infinity\"" : "\"-Infinity\"");
        return;
    }
    if (d > -9007199254740992.0 && d < 9007199254740992.0 && d == (double)(int64_t)d &&
        !(d == 0 && signbit(d))) { /* integral: no printf, same text as %.15g */
        char num[24];
        size_t n = tf_fmt_i64(num, (int64_t)d);
        if (n <= 15) {
            tf_buf_append(out, num, n);
            return;
        }
    }
    char tmp[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, d);
        if (strtod(tmp, NULL) == d)
            break;
    }
    tf_buf_puts(out, tmp);
}

void tf_json_write_value(tf_buf *out, const tf_value *v)
{
    switch (v->type) {
    case TF_VAL_NONE: tf_buf_append(out, "{}", 2); return;
    case TF_VAL_STRING:
        TF_BUF_LIT(out, "{\"stringValue\":");
        tf_json_write_string(out, v->u.s.p, v->u.s.len);
        break;
    case TF_VAL_BOOL: tf_buf_puts(out, v->u.b ? "{\"boolValue\":true" : "{\"boolValue\":false"); break;
    case TF_VAL_INT:
        tf_buf_reserve(out, 40);
        memcpy(out->p + out->len, "{\"intValue\":\"", 13);
        out->len += 13;
        out->len += tf_fmt_i64(out->p + out->len, v->u.i);
        out->p[out->len++] = '"';
        break;
    case TF_VAL_DOUBLE:
        TF_BUF_LIT(out, "{\"doubleValue\":");
        put_double(out, v->u.d);
        break;
    case TF_VAL_ARRAY:
        TF_BUF_LIT(out, "{\"arrayValue\":{\"values\":[");
        for (size_t i = 0; i < v->u.arr.n; i++) {
            if (i)
                tf_buf_putc(out, ',');
            tf_json_write_value(out, &v->u.arr.v[i]);
        }
        tf_buf_append(out, "]}", 2);
        break;
    case TF_VAL_KVLIST: {
        tf_attrs a = { .kv = v->u.kvl.kv, .n = v->u.kvl.n };
        TF_BUF_LIT(out, "{\"kvlistValue\":{\"values\":");
        tf_json_write_attrs(out, &a);
        tf_buf_putc(out, '}');
        break;
    }
    case TF_VAL_BYTES:
        TF_BUF_LIT(out, "{\"bytesValue\":");
        tf_buf_putc(out, '"');
        tf_base64_encode(out, v->u.s.p, v->u.s.len);
        tf_buf_putc(out, '"');
        break;
    }
    tf_buf_putc(out, '}');
}

void tf_json_write_attrs(tf_buf *out, const tf_attrs *a)
{
    tf_buf_putc(out, '[');
    for (size_t i = 0; i < a->n; i++) {
        if (i)
            tf_buf_putc(out, ',');
        TF_BUF_LIT(out, "{\"key\":");
        tf_json_write_string(out, a->kv[i].key.p, a->kv[i].key.len);
        TF_BUF_LIT(out, ",\"value\":");
        tf_json_write_value(out, &a->kv[i].value);
        tf_buf_putc(out, '}');
    }
    tf_buf_putc(out, ']');
}

static void put_attrs_field(tf_buf *out, const char *key, const tf_attrs *a, int *first)
{
    if (a->n) {
        put_key(out, key, first);
        tf_json_write_attrs(out, a);
    }
}

static void put_uint_field(tf_buf *out, const char *key, uint64_t v, int *first)
{
    if (v) {
        put_key(out, key, first);
        tf_buf_reserve(out, 20);
        out->len += tf_fmt_u64(out->p + out->len, v);
    }
}

static void put_str_field(tf_buf *out, const char *key, tf_str s, int *first)
{
    if (s.len) {
        put_key(out, key, first);
        tf_json_write_string(out, s.p, s.len);
    }
}

void tf_encode_json_span(tf_buf *out, const tf_span *s)
{
    int first = 1;
    tf_buf_putc(out, '{');
    put_key(out, "traceId", &first);
    put_hex(out, s->trace_id, 16);
    put_key(out, "spanId", &first);
    put_hex(out, s->span_id, 8);
    put_str_field(out, "traceState", s->trace_state, &first);
    if (s->has_parent) {
        put_key(out, "parentSpanId", &first);
        put_hex(out, s->parent_span_id, 8);
    }
    put_uint_field(out, "flags", s->flags, &first);
    put_key(out, "name", &first);
    tf_json_write_string(out, s->name.p, s->name.len);
    put_uint_field(out, "kind", s->kind, &first);
    put_key(out, "startTimeUnixNano", &first);
    put_u64_string(out, s->start_ns);
    put_key(out, "endTimeUnixNano", &first);
    put_u64_string(out, s->end_ns);
    put_attrs_field(out, "attributes", &s->attrs, &first);
    put_uint_field(out, "droppedAttributesCount", s->attrs.dropped, &first);
    if (s->n_events) {
        put_key(out, "events", &first);
        tf_buf_putc(out, '[');
        for (size_t i = 0; i < s->n_events; i++) {
            const tf_event *e = &s->events[i];
            int ef = 1;
            tf_buf_append(out, i ? ",{" : "{", i ? 2 : 1);
            put_key(out, "timeUnixNano", &ef);
            put_u64_string(out, e->time_ns);
            put_key(out, "name", &ef);
            tf_json_write_string(out, e->name.p, e->name.len);
            put_attrs_field(out, "attributes", &e->attrs, &ef);
            put_uint_field(out, "droppedAttributesCount", e->attrs.dropped, &ef);
            tf_buf_putc(out, '}');
        }
        tf_buf_putc(out, ']');
    }
    put_uint_field(out, "droppedEventsCount", s->dropped_events, &first);
    if (s->n_links) {
        put_key(out, "links", &first);
        tf_buf_putc(out, '[');
        for (size_t i = 0; i < s->n_links; i++) {
            const tf_link *l = &s->links[i];
            int lf = 1;
            tf_buf_append(out, i ? ",{" : "{", i ? 2 : 1);
            put_key(out, "traceId", &lf);
            put_hex(out, l->trace_id, 16);
            put_key(out, "spanId", &lf);
            put_hex(out, l->span_id, 8);
            put_str_field(out, "traceState", l->trace_state, &lf);
            put_attrs_field(out, "attributes", &l->attrs, &lf);
            put_uint_field(out, "droppedAttributesCount", l->attrs.dropped, &lf);
            put_uint_field(out, "flags", l->flags, &lf);
            tf_buf_putc(out, '}');
        }
        tf_buf_putc(out, ']');
    }
    put_uint_field(out, "droppedLinksCount", s->dropped_links, &first);
    put_key(out, "status", &first);
    int sf = 1;
    tf_buf_putc(out, '{');
    put_str_field(out, "message", s->status_message, &sf);
    put_uint_field(out, "code", s->status, &sf);
    tf_buf_append(out, "}}", 2);
}

void tf_encode_json_request(tf_buf *out, const tf_encode_group *groups, size_t n_groups)
{
    TF_BUF_LIT(out, "{\"resourceSpans\":[");
    for (size_t g = 0; g < n_groups; g++) {
        const tf_encode_group *gr = &groups[g];
        int first = 1;
        tf_buf_append(out, g ? ",{" : "{", g ? 2 : 1);
        if (gr->resource) {
            int rf = 1;
            put_key(out, "resource", &first);
            tf_buf_putc(out, '{');
            put_attrs_field(out, "attributes", &gr->resource->attrs, &rf);
            put_uint_field(out, "droppedAttributesCount", gr->resource->attrs.dropped, &rf);
            tf_buf_putc(out, '}');
        }
        put_key(out, "scopeSpans", &first);
        tf_buf_append(out, "[{", 2);
        int sf = 1;
        if (gr->scope) {
            int cf = 1;
            put_key(out, "scope", &sf);
            tf_buf_putc(out, '{');
            put_str_field(out, "name", gr->scope->name, &cf);
            put_str_field(out, "version", gr->scope->version, &cf);
            put_attrs_field(out, "attributes", &gr->scope->attrs, &cf);
            put_uint_field(out, "droppedAttributesCount", gr->scope->attrs.dropped, &cf);
            tf_buf_putc(out, '}');
        }
        put_key(out, "spans", &sf);
        tf_buf_putc(out, '[');
        for (size_t i = 0; i < gr->n_spans; i++) {
            if (i)
                tf_buf_putc(out, ',');
            tf_buf_append(out, gr->spans[i].p, gr->spans[i].len);
        }
        tf_buf_putc(out, ']');
        if (gr->scope)
            put_str_field(out, "schemaUrl", gr->scope->schema_url, &sf);
        tf_buf_append(out, "}]", 2);
        if (gr->resource)
            put_str_field(out, "schemaUrl", gr->resource->schema_url, &first);
        tf_buf_putc(out, '}');
    }
    tf_buf_append(out, "]}", 2);
}
