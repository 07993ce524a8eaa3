/* span.h: the in-memory OTLP trace model that profiles build and encoders write.
 * Ownership: a tf_span and everything it points to (strings, attributes,
 * events, links) live in the tf_arena the builder was given; resources and
 * scopes are interned for the whole run (otlp/resource.h) and outlive the
 * spans. Fields mirror opentelemetry/proto/trace/v1/trace.proto. */
#ifndef TF_SPAN_H
#define TF_SPAN_H

#include "common/util.h"

#include <stdbool.h>

typedef enum {
    TF_VAL_NONE = 0, /* unset AnyValue */
    TF_VAL_STRING,
    TF_VAL_BOOL,
    TF_VAL_INT,
    TF_VAL_DOUBLE,
    TF_VAL_ARRAY,
    TF_VAL_KVLIST,
    TF_VAL_BYTES,
} tf_val_type;

typedef struct tf_value tf_value;
typedef struct tf_kv tf_kv;

struct tf_value {
    tf_val_type type;
    union {
        tf_str s;      /* STRING, BYTES */
        bool b;
        int64_t i;
        double d;
        struct {
            tf_value *v;
            size_t n;
        } arr;
        struct {
            tf_kv *kv;
            size_t n;
        } kvl;
    } u;
};

struct tf_kv {
    tf_str key;
    tf_value value;
};

/* A growable attribute list in an arena. */
typedef struct {
    tf_kv *kv;
    size_t n, cap;
    uint32_t dropped;
} tf_attrs;

typedef enum {
    TF_KIND_UNSPECIFIED = 0,
    TF_KIND_INTERNAL = 1,
    TF_KIND_SERVER = 2,
    TF_KIND_CLIENT = 3,
    TF_KIND_PRODUCER = 4,
    TF_KIND_CONSUMER = 5,
} tf_span_kind;

typedef enum {
    TF_STATUS_UNSET = 0,
    TF_STATUS_OK = 1,
    TF_STATUS_ERROR = 2,
} tf_status_code;

typedef struct {
    uint64_t time_ns;
    tf_str name;
    tf_attrs attrs;
} tf_event;

typedef struct {
    uint8_t trace_id[16];
    uint8_t span_id[8];
    tf_str trace_state;
    tf_attrs attrs;
    uint32_t flags;
} tf_link;

/* Resource + scope. Most are interned for the run (otlp/resource.h), so
 * batching groups by pointer identity; a profile may also build a resource
 * for one record (OpenRouter's carries the generation id) in the record's
 * arena: not interned, it is copied by whoever keeps it longer (the mapping
 * worker's result, then the batch), so memory stays bounded. */
typedef struct tf_resource {
    tf_attrs attrs;
    tf_str schema_url;
    uint64_t hash;
    bool interned; /* lives for the whole run */
} tf_resource;

typedef struct tf_scope {
    tf_str name, version;
    tf_attrs attrs;
    tf_str schema_url;
} tf_scope;

typedef struct tf_span {
    uint8_t trace_id[16];
    uint8_t span_id[8];
    uint8_t parent_span_id[8];
    bool has_parent;
    tf_str trace_state;
    uint32_t flags;
    tf_str name;
    tf_span_kind kind;
    uint64_t start_ns, end_ns;
    tf_attrs attrs;
    tf_event *events;
    size_t n_events;
    uint32_t dropped_events;
    tf_link *links;
    size_t n_links;
    uint32_t dropped_links;
    tf_status_code status;
    tf_str status_message;
    const tf_resource *resource;
    const tf_scope *scope;
} tf_span;

/* Attribute builders. They never copy: keys and string values must outlive
 * the span (string literals, or memory in the same arena as the span, such as
 * the parsed record's tree). The arena only holds the growing kv array. */
tf_kv *tf_attrs_add(tf_attrs *a, tf_arena *arena, tf_str key);
void tf_attrs_str(tf_attrs *a, tf_arena *arena, const char *key, tf_str val);
void tf_attrs_cstr(tf_attrs *a, tf_arena *arena, const char *key, const char *val);
void tf_attrs_int(tf_attrs *a, tf_arena *arena, const char *key, int64_t val);
void tf_attrs_double(tf_attrs *a, tf_arena *arena, const char *key, double val);
void tf_attrs_bool(tf_attrs *a, tf_arena *arena, const char *key, bool val);
const tf_kv *tf_attrs_find(const tf_attrs *a, const char *key);
/* Deep copy of a value into an arena. */
void tf_value_copy(tf_value *dst, const tf_value *src, tf_arena *arena);
bool tf_value_eq(const tf_value *a, const tf_value *b);
/* Deep copies into an arena (a copied resource is not interned). */
void tf_attrs_copy(tf_attrs *dst, const tf_attrs *src, tf_arena *arena);
tf_resource *tf_resource_copy(const tf_resource *r, tf_arena *arena);
/* Same attributes (in order), dropped count and schema URL. */
bool tf_resource_eq(const tf_resource *a, const tf_resource *b);

tf_event *tf_span_add_event(tf_span *s, tf_arena *arena);
tf_link *tf_span_add_link(tf_span *s, tf_arena *arena);

#endif
