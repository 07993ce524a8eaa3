/* pb.c: the protobuf walker for ExportTraceServiceRequest. */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "receiver.h"

/* ------------------------------------------------------------------------ */
/* Protobuf walker                                                           */

enum pb_kind { PK_VARINT, PK_FIXED64, PK_FIXED32, PK_STRING, PK_BYTES, PK_MSG };

typedef struct {
    uint32_t num;
    uint8_t kind;
    uint8_t sub;
    const char *name;
} pb_field;

typedef struct {
    const char *name;
    const pb_field *fields;
    size_t nfields;
} pb_message;

#define PBF(n, k, s, nm) {n, k, s, nm}
static const pb_field f_request[] = {PBF(1, PK_MSG, M_RSPANS, "resource_spans")};
static const pb_field f_rspans[] = {
    PBF(1, PK_MSG, M_RESOURCE, "resource"), PBF(2, PK_MSG, M_SSPANS, "scope_spans"),
    PBF(3, PK_STRING, 0, "schema_url")};
static const pb_field f_resource[] = {
    PBF(1, PK_MSG, M_KV, "attributes"), PBF(2, PK_VARINT, 0, "dropped_attributes_count")};
static const pb_field f_sspans[] = {
    PBF(1, PK_MSG, M_SCOPE, "scope"), PBF(2, PK_MSG, M_SPAN, "spans"),
    PBF(3, PK_STRING, 0, "schema_url")};
static const pb_field f_scope[] = {
    PBF(1, PK_STRING, 0, "name"), PBF(2, PK_STRING, 0, "version"),
    PBF(3, PK_MSG, M_KV, "attributes"), PBF(4, PK_VARINT, 0, "dropped_attributes_count")};
static const pb_field f_span[] = {
    PBF(1, PK_BYTES, 0, "trace_id"), PBF(2, PK_BYTES, 0, "span_id"),
    PBF(3, PK_STRING, 0, "trace_state"), PBF(4, PK_BYTES, 0, "parent_span_id"),
    PBF(5, PK_STRING, 0, "name"), PBF(6, PK_VARINT, 0, "kind"),
    PBF(7, PK_FIXED64, 0, "start_time_unix_nano"), PBF(8, PK_FIXED64, 0, "end_time_unix_nano"),
    PBF(9, PK_MSG, M_KV, "attributes"), PBF(10, PK_VARINT, 0, "dropped_attributes_count"),
    PBF(11, PK_MSG, M_EVENT, "events"), PBF(12, PK_VARINT, 0, "dropped_events_count"),
    PBF(13, PK_MSG, M_LINK, "links"), PBF(14, PK_VARINT, 0, "dropped_links_count"),
    PBF(15, PK_MSG, M_STATUS, "status"), PBF(16, PK_FIXED32, 0, "flags")};
static const pb_field f_event[] = {
    PBF(1, PK_FIXED64, 0, "time_unix_nano"), PBF(2, PK_STRING, 0, "name"),
    PBF(3, PK_MSG, M_KV, "attributes"), PBF(4, PK_VARINT, 0, "dropped_attributes_count")};
static const pb_field f_link[] = {
    PBF(1, PK_BYTES, 0, "trace_id"), PBF(2, PK_BYTES, 0, "span_id"),
    PBF(3, PK_STRING, 0, "trace_state"), PBF(4, PK_MSG, M_KV, "attributes"),
    PBF(5, PK_VARINT, 0, "dropped_attributes_count"), PBF(6, PK_FIXED32, 0, "flags")};
static const pb_field f_status[] = {PBF(2, PK_STRING, 0, "message"), PBF(3, PK_VARINT, 0, "code")};
static const pb_field f_kv[] = {PBF(1, PK_STRING, 0, "key"), PBF(2, PK_MSG, M_ANY, "value")};
static const pb_field f_any[] = {
    PBF(1, PK_STRING, 0, "string_value"), PBF(2, PK_VARINT, 0, "bool_value"),
    PBF(3, PK_VARINT, 0, "int_value"), PBF(4, PK_FIXED64, 0, "double_value"),
    PBF(5, PK_MSG, M_ARRAY, "array_value"), PBF(6, PK_MSG, M_KVLIST, "kvlist_value"),
    PBF(7, PK_BYTES, 0, "bytes_value")};
static const pb_field f_array[] = {PBF(1, PK_MSG, M_ANY, "values")};
static const pb_field f_kvlist[] = {PBF(1, PK_MSG, M_KV, "values")};
#undef PBF

#define PBM(nm, f) {nm, f, sizeof f / sizeof f[0]}
static const pb_message pb_messages[M_COUNT] = {
    [M_REQUEST] = PBM("ExportTraceServiceRequest", f_request),
    [M_RSPANS] = PBM("ResourceSpans", f_rspans),
    [M_RESOURCE] = PBM("Resource", f_resource),
    [M_SSPANS] = PBM("ScopeSpans", f_sspans),
    [M_SCOPE] = PBM("InstrumentationScope", f_scope),
    [M_SPAN] = PBM("Span", f_span),
    [M_EVENT] = PBM("Span.Event", f_event),
    [M_LINK] = PBM("Span.Link", f_link),
    [M_STATUS] = PBM("Status", f_status),
    [M_KV] = PBM("KeyValue", f_kv),
    [M_ANY] = PBM("AnyValue", f_any),
    [M_ARRAY] = PBM("ArrayValue", f_array),
    [M_KVLIST] = PBM("KeyValueList", f_kvlist),
};
#undef PBM

static const unsigned pb_wire_of_kind[] = {
    [PK_VARINT] = 0, [PK_FIXED64] = 1, [PK_FIXED32] = 5,
    [PK_STRING] = 2, [PK_BYTES] = 2, [PK_MSG] = 2,
};

/* pb_slot[msg][num]: 1 + index into the message's fields, 0 = unknown field. */
#define PB_MAX_FIELD 16
static uint8_t pb_slot[M_COUNT][PB_MAX_FIELD + 1];

void pb_init(void)
{
    for (size_t m = 0; m < M_COUNT; m++)
        for (size_t i = 0; i < pb_messages[m].nfields; i++) {
            uint32_t num = pb_messages[m].fields[i].num;
            if (num > PB_MAX_FIELD)
                rx_fatal("pb_init: field number %u too large", (unsigned)num);
            pb_slot[m][num] = (uint8_t)(i + 1);
        }
}

static inline bool pb_varint(const uint8_t **pp, const uint8_t *end, uint64_t *out)
{
    if (*pp < end && **pp < 0x80) {
        *out = *(*pp)++;
        return true;
    }
    const uint8_t *p = *pp;
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 70; shift += 7) {
        if (p == end)
            return false;
        uint8_t b = *p++;
        if (shift == 63 && b > 1)
            return false;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *pp = p;
            *out = v;
            return true;
        }
    }
    return false;
}

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* Walks one message of type ID over [p, end), checking wire types, lengths,
 * UTF-8 and ids; hands every Span to span_done. */
bool pb_walk(rx_decode *d, enum pb_msg id, const uint8_t *p, const uint8_t *end, int depth)
{
    const pb_message *m = &pb_messages[id];
    rx_span sp = {0};
    const uint8_t *link_trace = NULL, *link_span = NULL;
    size_t link_trace_len = 0, link_span_len = 0;
    if (depth > RX_MAX_DEPTH)
        return derr(d, "protobuf: nesting deeper than %d at offset %zu", RX_MAX_DEPTH,
                    (size_t)(p - d->base));
    while (p < end) {
        size_t off = (size_t)(p - d->base);
        uint64_t tag, v = 0;
        if (!pb_varint(&p, end, &tag))
            return derr(d, "protobuf: bad or truncated tag in %s at offset %zu", m->name, off);
        uint64_t num = tag >> 3;
        unsigned wt = (unsigned)(tag & 7);
        if (num == 0 || num > 0x1fffffff)
            return derr(d, "protobuf: invalid field number %" PRIu64 " in %s at offset %zu", num,
                        m->name, off);
        const uint8_t *val = NULL;
        size_t vlen = 0;
        switch (wt) {
        case 0:
            if (!pb_varint(&p, end, &v))
                return derr(d, "protobuf: bad or truncated varint (field %" PRIu64 " of %s) at offset %zu",
                            num, m->name, off);
            break;
        case 1:
            if (end - p < 8)
                return derr(d, "protobuf: truncated fixed64 (field %" PRIu64 " of %s) at offset %zu",
                            num, m->name, off);
            v = le64(p);
            p += 8;
            break;
        case 5:
            if (end - p < 4)
                return derr(d, "protobuf: truncated fixed32 (field %" PRIu64 " of %s) at offset %zu",
                            num, m->name, off);
            v = (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24;
            p += 4;
            break;
        case 2:
            if (!pb_varint(&p, end, &v) || v > (uint64_t)(end - p))
                return derr(d, "protobuf: length of field %" PRIu64 " of %s runs past its message at offset %zu",
                            num, m->name, off);
            val = p;
            vlen = (size_t)v;
            p += vlen;
            break;
        default:
            return derr(d, "protobuf: unsupported wire type %u (field %" PRIu64 " of %s) at offset %zu",
                        wt, num, m->name, off);
        }
        unsigned slot = num <= PB_MAX_FIELD ? pb_slot[id][num] : 0;
        if (!slot)
            continue; /* unknown fields are skipped, as proto3 readers do */
        const pb_field *f = &m->fields[slot - 1];
        if (wt != pb_wire_of_kind[f->kind])
            return derr(d, "protobuf: %s.%s has wire type %u, want %u, at offset %zu", m->name,
                        f->name, wt, pb_wire_of_kind[f->kind], off);
        if (f->kind == PK_STRING && !utf8_ok(val, vlen))
            return derr(d, "protobuf: %s.%s is not valid UTF-8 at offset %zu", m->name, f->name, off);
        if (f->kind == PK_MSG && (!d->shallow || f->sub <= M_SSPANS || f->sub == M_SPAN) &&
            !pb_walk(d, (enum pb_msg)f->sub, val, val + vlen, depth + 1))
            return false;
        if (id == M_SPAN) {
            switch (num) {
            case 1: sp.trace_id = val; sp.trace_len = vlen; break;
            case 2: sp.span_id = val; sp.span_len = vlen; break;
            case 4: sp.parent = val; sp.parent_len = vlen; break;
            case 5: sp.name = val; sp.name_len = vlen; break;
            case 7: sp.start = v; break;
            case 8: sp.end = v; break;
            default: break;
            }
        } else if (id == M_LINK) {
            if (num == 1) {
                link_trace = val;
                link_trace_len = vlen;
            } else if (num == 2) {
                link_span = val;
                link_span_len = vlen;
            }
        }
    }
    if (id == M_SPAN)
        return span_done(d, &sp);
    if (id == M_LINK)
        return check_id(d, "link in span", d->nspans + 1, "trace_id", link_trace, link_trace_len, 16, false) &&
               check_id(d, "link in span", d->nspans + 1, "span_id", link_span, link_span_len, 8, false);
    return true;
}
