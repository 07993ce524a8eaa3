/* encode_pb.c: OTLP protobuf encoding of spans and export requests.
 * Field numbers: opentelemetry-proto trace/v1/trace.proto, common/v1,
 * resource/v1, collector/trace/v1/trace_service.proto. proto3 rules: fields
 * with default values are omitted. */
#include "config.h"
#include "otlp/encode.h"

#include <string.h>

enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_I32 = 5 };

void tf_pb_varint_slow(tf_buf *out, uint64_t v)
{
    tf_buf_reserve(out, 10);
    char *p = out->p + out->len;
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (char)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (char)v;
    out->len += n;
}

void tf_pb_tag(tf_buf *out, uint32_t field, unsigned wire_type)
{
    tf_pb_varint(out, (uint64_t)field << 3 | wire_type);
}

size_t tf_pb_begin(tf_buf *out, uint32_t field)
{
    tf_pb_tag(out, field, WT_LEN);
    tf_buf_putc(out, 0); /* one-byte length placeholder, widened in tf_pb_end */
    return out->len;
}

void tf_pb_end(tf_buf *out, size_t mark)
{
    size_t len = out->len - mark;
    if (len < 0x80) {
        out->p[mark - 1] = (char)len;
        return;
    }
    size_t n = 0;
    for (uint64_t v = len; v; v >>= 7)
        n++;
    tf_buf_reserve(out, n - 1);
    memmove(out->p + mark + n - 1, out->p + mark, len);
    char *p = out->p + mark - 1;
    uint64_t v = len;
    for (size_t i = 0; i < n; i++, v >>= 7)
        p[i] = (char)((v & 0x7f) | (i + 1 < n ? 0x80 : 0));
    out->len += n - 1;
}

int tf_pb_read_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    uint64_t x = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (*p >= end)
            return 0;
        uint8_t b = *(*p)++;
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = x;
            return 1;
        }
    }
    return 0;
}

static void pb_bytes(tf_buf *out, uint32_t field, const void *p, size_t n)
{
    tf_pb_tag(out, field, WT_LEN);
    tf_pb_varint(out, n);
    tf_buf_append(out, p, n);
}

static void pb_str(tf_buf *out, uint32_t field, tf_str s)
{
    if (s.len)
        pb_bytes(out, field, s.p, s.len);
}

static void pb_fixed64(tf_buf *out, uint32_t field, uint64_t v)
{
    if (!v)
        return;
    tf_pb_tag(out, field, WT_I64);
    char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (char)(v >> (8 * i));
    tf_buf_append(out, b, 8);
}

static void pb_fixed32(tf_buf *out, uint32_t field, uint32_t v)
{
    if (!v)
        return;
    tf_pb_tag(out, field, WT_I32);
    char b[4];
    for (int i = 0; i < 4; i++)
        b[i] = (char)(v >> (8 * i));
    tf_buf_append(out, b, 4);
}

static void pb_uint(tf_buf *out, uint32_t field, uint64_t v)
{
    if (!v)
        return;
    tf_pb_tag(out, field, WT_VARINT);
    tf_pb_varint(out, v);
}

static void pb_attrs(tf_buf *out, uint32_t field, const tf_attrs *a);

/* AnyValue is a oneof: a set member is written even when it is the default. */
static void pb_anyvalue(tf_buf *out, const tf_value *v)
{
    switch (v->type) {
    case TF_VAL_NONE: break;
    case TF_VAL_STRING: pb_bytes(out, 1, v->u.s.p, v->u.s.len); break;
    case TF_VAL_BOOL:
        tf_pb_tag(out, 2, WT_VARINT);
        tf_pb_varint(out, v->u.b ? 1 : 0);
        break;
    case TF_VAL_INT:
        tf_pb_tag(out, 3, WT_VARINT);
        tf_pb_varint(out, (uint64_t)v->u.i);
        break;
    case TF_VAL_DOUBLE: {
        uint64_t bits;
        memcpy(&bits, &v->u.d, 8);
        tf_pb_tag(out, 4, WT_I64);
        char b[8];
        for (int i = 0; i < 8; i++)
            b[i] = (char)(bits >> (8 * i));
        tf_buf_append(out, b, 8);
        break;
    }
    case TF_VAL_ARRAY: {
        size_t m = tf_pb_begin(out, 5);
        for (size_t i = 0; i < v->u.arr.n; i++) {
            size_t e = tf_pb_begin(out, 1);
            pb_anyvalue(out, &v->u.arr.v[i]);
            tf_pb_end(out, e);
        }
        tf_pb_end(out, m);
        break;
    }
    case TF_VAL_KVLIST: {
        size_t m = tf_pb_begin(out, 6);
        tf_attrs a = { .kv = v->u.kvl.kv, .n = v->u.kvl.n };
        pb_attrs(out, 1, &a);
        tf_pb_end(out, m);
        break;
    }
    case TF_VAL_BYTES: pb_bytes(out, 7, v->u.s.p, v->u.s.len); break;
    }
}

static void pb_attrs(tf_buf *out, uint32_t field, const tf_attrs *a)
{
    for (size_t i = 0; i < a->n; i++) {
        size_t m = tf_pb_begin(out, field);
        pb_str(out, 1, a->kv[i].key);
        size_t v = tf_pb_begin(out, 2);
        pb_anyvalue(out, &a->kv[i].value);
        tf_pb_end(out, v);
        tf_pb_end(out, m);
    }
}

static void pb_span(tf_buf *out, const tf_span *s)
{
    pb_bytes(out, 1, s->trace_id, 16);
    pb_bytes(out, 2, s->span_id, 8);
    pb_str(out, 3, s->trace_state);
    if (s->has_parent)
        pb_bytes(out, 4, s->parent_span_id, 8);
    pb_str(out, 5, s->name);
    pb_uint(out, 6, s->kind);
    pb_fixed64(out, 7, s->start_ns);
    pb_fixed64(out, 8, s->end_ns);
    pb_attrs(out, 9, &s->attrs);
    pb_uint(out, 10, s->attrs.dropped);
    for (size_t i = 0; i < s->n_events; i++) {
        const tf_event *e = &s->events[i];
        size_t m = tf_pb_begin(out, 11);
        pb_fixed64(out, 1, e->time_ns);
        pb_str(out, 2, e->name);
        pb_attrs(out, 3, &e->attrs);
        pb_uint(out, 4, e->attrs.dropped);
        tf_pb_end(out, m);
    }
    pb_uint(out, 12, s->dropped_events);
    for (size_t i = 0; i < s->n_links; i++) {
        const tf_link *l = &s->links[i];
        size_t m = tf_pb_begin(out, 13);
        pb_bytes(out, 1, l->trace_id, 16);
        pb_bytes(out, 2, l->span_id, 8);
        pb_str(out, 3, l->trace_state);
        pb_attrs(out, 4, &l->attrs);
        pb_uint(out, 5, l->attrs.dropped);
        pb_fixed32(out, 6, l->flags);
        tf_pb_end(out, m);
    }
    pb_uint(out, 14, s->dropped_links);
    if (s->status != TF_STATUS_UNSET || s->status_message.len) {
        size_t m = tf_pb_begin(out, 15);
        pb_str(out, 2, s->status_message);
        pb_uint(out, 3, s->status);
        tf_pb_end(out, m);
    }
    pb_fixed32(out, 16, s->flags);
}

void tf_encode_pb_span(tf_buf *out, const tf_span *s)
{
    pb_span(out, s);
}

static size_t varint_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* Bytes of a length-delimited field with a one-byte tag. */
static size_t field_len(size_t body)
{
    return 1 + varint_len(body) + body;
}

/* The request is assembled with every length known up front, so the (large)
 * span data is copied exactly once and nothing is moved afterwards. */
void tf_encode_pb_request(tf_buf *out, const tf_encode_group *groups, size_t n_groups)
{
    tf_buf head = { 0 };
    for (size_t g = 0; g < n_groups; g++) {
        const tf_encode_group *gr = &groups[g];
        /* Resource and scope messages are small: encode them aside. */
        head.len = 0;
        size_t res_len = 0, scope_len = 0;
        if (gr->resource) {
            size_t r = tf_pb_begin(&head, 1); /* ResourceSpans.resource */
            pb_attrs(&head, 1, &gr->resource->attrs);
            pb_uint(&head, 2, gr->resource->attrs.dropped);
            tf_pb_end(&head, r);
            res_len = head.len;
        }
        if (gr->scope) {
            size_t sc = tf_pb_begin(&head, 1); /* ScopeSpans.scope */
            pb_str(&head, 1, gr->scope->name);
            pb_str(&head, 2, gr->scope->version);
            pb_attrs(&head, 3, &gr->scope->attrs);
            pb_uint(&head, 4, gr->scope->attrs.dropped);
            tf_pb_end(&head, sc);
            scope_len = head.len - res_len;
        }
        size_t spans_len = 0;
        for (size_t i = 0; i < gr->n_spans; i++)
            spans_len += field_len(gr->spans[i].len);
        tf_str ss_url = gr->scope ? gr->scope->schema_url : (tf_str){ NULL, 0 };
        tf_str rs_url = gr->resource ? gr->resource->schema_url : (tf_str){ NULL, 0 };
        size_t ss_body = scope_len + spans_len + (ss_url.len ? field_len(ss_url.len) : 0);
        size_t rs_body = res_len + field_len(ss_body) + (rs_url.len ? field_len(rs_url.len) : 0);
        tf_buf_reserve(out, field_len(rs_body));
        tf_pb_tag(out, 1, WT_LEN); /* ExportTraceServiceRequest.resource_spans */
        tf_pb_varint(out, rs_body);
        tf_buf_append(out, head.p, res_len);
        tf_pb_tag(out, 2, WT_LEN); /* ResourceSpans.scope_spans */
        tf_pb_varint(out, ss_body);
        tf_buf_append(out, head.p + res_len, scope_len);
        for (size_t i = 0; i < gr->n_spans; i++) /* ScopeSpans.spans */
            pb_bytes(out, 2, gr->spans[i].p, gr->spans[i].len);
        pb_str(out, 3, ss_url);
        pb_str(out, 3, rs_url);
    }
    tf_buf_free(&head);
}
