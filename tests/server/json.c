/* json.c: the OTLP/JSON reader (yajl callbacks, one pass, no tree). */
#include "config.h"

#include <ctype.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "receiver.h"

/* ------------------------------------------------------------------------ */
/* OTLP/JSON reader (yajl callbacks, one pass, no tree)                      */

enum jkind {
    J_ROOT, J_RS, J_RESOURCE, J_SS, J_SCOPE, J_SPAN, J_EVENT, J_LINK, J_STATUS,
    J_KV, J_ANY, J_ARRVAL, J_KVLIST, J_ARRAY, J_SKIP
};

enum jval {
    V_STR, V_TRACEID, V_SPANID, V_PARENTID, V_U64, V_I64, V_U32, V_ENUM, V_BOOL,
    V_DOUBLE, V_BYTES, V_ARRAY, V_OBJECT
};

enum jtag { JT_NONE, JT_START, JT_END, JT_NAME }; /* span fields kept for spans.log */

typedef struct {
    uint8_t frame;   /* enum jkind of the object holding the key */
    const char *key;
    uint8_t val;     /* enum jval */
    uint8_t child;   /* V_ARRAY: element kind; V_OBJECT: object kind */
    uint8_t tag;     /* enum jtag */
} jkey;

static const jkey jkeys[] = {
    {J_ROOT, "resourceSpans", V_ARRAY, J_RS, JT_NONE},
    {J_RS, "resource", V_OBJECT, J_RESOURCE, JT_NONE},
    {J_RS, "scopeSpans", V_ARRAY, J_SS, JT_NONE},
    {J_RS, "schemaUrl", V_STR, 0, JT_NONE},
    {J_RESOURCE, "attributes", V_ARRAY, J_KV, JT_NONE},
    {J_RESOURCE, "droppedAttributesCount", V_U32, 0, JT_NONE},
    {J_SS, "scope", V_OBJECT, J_SCOPE, JT_NONE},
    {J_SS, "spans", V_ARRAY, J_SPAN, JT_NONE},
    {J_SS, "schemaUrl", V_STR, 0, JT_NONE},
    {J_SCOPE, "name", V_STR, 0, JT_NONE},
    {J_SCOPE, "version", V_STR, 0, JT_NONE},
    {J_SCOPE, "attributes", V_ARRAY, J_KV, JT_NONE},
    {J_SCOPE, "droppedAttributesCount", V_U32, 0, JT_NONE},
    {J_SPAN, "traceId", V_TRACEID, 0, JT_NONE},
    {J_SPAN, "spanId", V_SPANID, 0, JT_NONE},
    {J_SPAN, "traceState", V_STR, 0, JT_NONE},
    {J_SPAN, "parentSpanId", V_PARENTID, 0, JT_NONE},
    {J_SPAN, "flags", V_U32, 0, JT_NONE},
    {J_SPAN, "name", V_STR, 0, JT_NAME},
    {J_SPAN, "kind", V_ENUM, 0, JT_NONE},
    {J_SPAN, "startTimeUnixNano", V_U64, 0, JT_START},
    {J_SPAN, "endTimeUnixNano", V_U64, 0, JT_END},
    {J_SPAN, "attributes", V_ARRAY, J_KV, JT_NONE},
    {J_SPAN, "droppedAttributesCount", V_U32, 0, JT_NONE},
    {J_SPAN, "events", V_ARRAY, J_EVENT, JT_NONE},
    {J_SPAN, "droppedEventsCount", V_U32, 0, JT_NONE},
    {J_SPAN, "links", V_ARRAY, J_LINK, JT_NONE},
    {J_SPAN, "droppedLinksCount", V_U32, 0, JT_NONE},
    {J_SPAN, "status", V_OBJECT, J_STATUS, JT_NONE},
    {J_EVENT, "timeUnixNano", V_U64, 0, JT_NONE},
    {J_EVENT, "name", V_STR, 0, JT_NONE},
    {J_EVENT, "attributes", V_ARRAY, J_KV, JT_NONE},
    {J_EVENT, "droppedAttributesCount", V_U32, 0, JT_NONE},
    {J_LINK, "traceId", V_TRACEID, 0, JT_NONE},
    {J_LINK, "spanId", V_SPANID, 0, JT_NONE},
    {J_LINK, "traceState", V_STR, 0, JT_NONE},
    {J_LINK, "attributes", V_ARRAY, J_KV, JT_NONE},
    {J_LINK, "droppedAttributesCount", V_U32, 0, JT_NONE},
    {J_LINK, "flags", V_U32, 0, JT_NONE},
    {J_STATUS, "message", V_STR, 0, JT_NONE},
    {J_STATUS, "code", V_ENUM, 0, JT_NONE},
    {J_KV, "key", V_STR, 0, JT_NONE},
    {J_KV, "value", V_OBJECT, J_ANY, JT_NONE},
    {J_ANY, "stringValue", V_STR, 0, JT_NONE},
    {J_ANY, "boolValue", V_BOOL, 0, JT_NONE},
    {J_ANY, "intValue", V_I64, 0, JT_NONE},
    {J_ANY, "doubleValue", V_DOUBLE, 0, JT_NONE},
    {J_ANY, "arrayValue", V_OBJECT, J_ARRVAL, JT_NONE},
    {J_ANY, "kvlistValue", V_OBJECT, J_KVLIST, JT_NONE},
    {J_ANY, "bytesValue", V_BYTES, 0, JT_NONE},
    {J_ARRVAL, "values", V_ARRAY, J_ANY, JT_NONE},
    {J_KVLIST, "values", V_ARRAY, J_KV, JT_NONE},
};

/* The keys of each object kind are contiguous in jkeys: [jkey_first, jkey_end). */
static uint8_t jkey_first[J_SKIP + 1], jkey_end[J_SKIP + 1];
static uint8_t jkey_len[sizeof jkeys / sizeof jkeys[0]];
static int8_t hex_of[256];

void json_init(void)
{
    for (size_t i = sizeof jkeys / sizeof jkeys[0]; i-- > 0;) {
        uint8_t f = jkeys[i].frame;
        if (jkey_end[f] == 0)
            jkey_end[f] = (uint8_t)(i + 1);
        else if (jkey_first[f] != i + 1)
            rx_fatal("json_init: keys of one object kind must be contiguous");
        jkey_first[f] = (uint8_t)i;
        jkey_len[i] = (uint8_t)strlen(jkeys[i].key);
    }
    for (int c = 0; c < 256; c++)
        hex_of[c] = (int8_t)hexval(c);
}

typedef struct {
    uint8_t kind;      /* enum jkind */
    uint8_t elem;      /* J_ARRAY: kind of its elements */
    const jkey *key;   /* object frames: the key being read, NULL if unknown */
} jframe;

typedef struct {
    rx_decode *d;
    jframe stack[RX_MAX_DEPTH + 2];
    int top;           /* -1 before the root object */
    bool root_seen;
    /* the span being read (spans do not nest) */
    uint8_t trace[16], span[8], parent[8], link_trace[16], link_span[8];
    size_t trace_len, span_len, parent_len, link_trace_len, link_span_len;
    uint64_t start, end;
    rx_buf name;
} jctx;

static const char *jkind_name(int k)
{
    static const char *const names[] = {"request", "resourceSpans[]", "resource", "scopeSpans[]",
                                        "scope", "spans[]", "events[]", "links[]", "status",
                                        "attribute", "AnyValue", "arrayValue", "kvlistValue",
                                        "array", "value"};
    return names[k];
}

static bool jerr_key(jctx *j, const jkey *k, const char *want)
{
    return derr(j->d, "json: %s.%s must be %s", jkind_name(k->frame), k->key, want);
}

/* Decodes a hex id of N bytes into OUT (empty allowed: *len = 0). */
static bool jhex(const unsigned char *s, size_t n, uint8_t *out, size_t want, size_t *len)
{
    if (n == 0) {
        *len = 0;
        return true;
    }
    if (n != 2 * want)
        return false;
    for (size_t i = 0; i < want; i++) {
        int hi = hex_of[s[2 * i]], lo = hex_of[s[2 * i + 1]];
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    *len = want;
    return true;
}

static bool is_base64(const unsigned char *s, size_t n)
{
    size_t i = 0, pad = 0;
    for (; i < n; i++) {
        unsigned char c = s[i];
        if (c == '=') {
            pad++;
            continue;
        }
        if (pad || !(isalnum(c) || c == '+' || c == '/' || c == '-' || c == '_'))
            return false;
    }
    return pad <= 2;
}

/* Which key descriptor (and frame) a scalar belongs to; false if the value is
 * not allowed where it stands. *k = NULL means "unknown key, anything goes". */
static bool jslot(jctx *j, const jkey **k, const char *what)
{
    *k = NULL;
    if (j->top < 0)
        return derr(j->d, "json: the request must be an object, not %s", what);
    jframe *f = &j->stack[j->top];
    if (f->kind == J_SKIP)
        return true;
    if (f->kind == J_ARRAY) {
        if (f->elem == J_SKIP)
            return true;
        return derr(j->d, "json: %s may hold only objects, not %s", jkind_name(f->elem), what);
    }
    *k = f->key;
    return true;
}

static int j_null(void *ctx)
{
    const jkey *k;
    return jslot(ctx, &k, "null");
}

static int j_boolean(void *ctx, int b)
{
    (void)b;
    jctx *j = ctx;
    const jkey *k;
    if (!jslot(j, &k, "a boolean"))
        return 0;
    if (k && k->val != V_BOOL)
        return jerr_key(j, k, "a boolean");
    return 1;
}

/* A 64-bit integer given as a JSON string or number: decimal digits only. */
static bool jint(const char *s, size_t n, bool sign, uint64_t *out)
{
    if (sign && n > 0 && s[0] == '-') {
        s++;
        n--;
    }
    return parse_u64(s, n, out);
}

static bool jscalar_number(jctx *j, const jkey *k, const char *s, size_t n, bool quoted)
{
    uint64_t v = 0;
    switch (k->val) {
    case V_U64:
        if (!jint(s, n, false, &v))
            return jerr_key(j, k, "an unsigned 64-bit integer (a decimal string)");
        if (k->tag == JT_START)
            j->start = v;
        else if (k->tag == JT_END)
            j->end = v;
        return true;
    case V_I64:
        if (!jint(s, n, true, &v))
            return jerr_key(j, k, "a 64-bit integer (a decimal string)");
        return true;
    case V_U32:
        if (!jint(s, n, false, &v) || v > UINT32_MAX)
            return jerr_key(j, k, "an unsigned 32-bit integer");
        return true;
    case V_ENUM:
        if (quoted || !jint(s, n, true, &v))
            return jerr_key(j, k, "an integer (OTLP/JSON enums are integers)");
        return true;
    case V_DOUBLE:
        if (quoted && !(ascii_ieq(s, n, "NaN") || ascii_ieq(s, n, "Infinity") ||
                        ascii_ieq(s, n, "-Infinity")))
            return jerr_key(j, k, "a number");
        return true;
    default:
        return jerr_key(j, k, quoted ? "not a string" : "not a number");
    }
}

static int j_number(void *ctx, const char *s, size_t n)
{
    jctx *j = ctx;
    const jkey *k;
    if (!jslot(j, &k, "a number"))
        return 0;
    if (!k)
        return 1;
    if (k->val == V_STR || k->val == V_TRACEID || k->val == V_SPANID || k->val == V_PARENTID ||
        k->val == V_BYTES)
        return jerr_key(j, k, "a string");
    return jscalar_number(j, k, s, n, false);
}

static int j_string(void *ctx, const unsigned char *s, size_t n)
{
    jctx *j = ctx;
    const jkey *k;
    if (!jslot(j, &k, "a string"))
        return 0;
    if (!k)
        return 1;
    int frame = j->stack[j->top].kind;
    switch (k->val) {
    case V_STR:
        if (k->tag == JT_NAME) {
            j->name.len = 0;
            buf_add(&j->name, s, n);
        }
        return 1;
    case V_TRACEID:
        if (n == 0 || !jhex(s, n, frame == J_SPAN ? j->trace : j->link_trace, 16,
                            frame == J_SPAN ? &j->trace_len : &j->link_trace_len))
            return jerr_key(j, k, "32 hex digits");
        return 1;
    case V_SPANID:
        if (n == 0 || !jhex(s, n, frame == J_SPAN ? j->span : j->link_span, 8,
                            frame == J_SPAN ? &j->span_len : &j->link_span_len))
            return jerr_key(j, k, "16 hex digits");
        return 1;
    case V_PARENTID:
        if (!jhex(s, n, j->parent, 8, &j->parent_len))
            return jerr_key(j, k, "16 hex digits or empty");
        return 1;
    case V_BYTES:
        if (!is_base64(s, n))
            return jerr_key(j, k, "base64");
        return 1;
    case V_BOOL:
        return jerr_key(j, k, "a boolean");
    case V_ARRAY:
        return jerr_key(j, k, "an array");
    case V_OBJECT:
        return jerr_key(j, k, "an object");
    default:
        return jscalar_number(j, k, (const char *)s, n, true);
    }
}

static bool jpush(jctx *j, uint8_t kind, uint8_t elem)
{
    if (j->top + 1 > RX_MAX_DEPTH)
        return derr(j->d, "json: nesting deeper than %d", RX_MAX_DEPTH);
    jframe *f = &j->stack[++j->top];
    f->kind = kind;
    f->elem = elem;
    f->key = NULL;
    if (kind == J_SPAN) {
        j->trace_len = j->span_len = j->parent_len = 0;
        j->start = j->end = 0;
        j->name.len = 0;
    } else if (kind == J_LINK) {
        j->link_trace_len = j->link_span_len = 0;
    }
    return true;
}

static int j_start_map(void *ctx)
{
    jctx *j = ctx;
    if (j->top < 0) {
        if (j->root_seen)
            return derr(j->d, "json: more than one value at the top level");
        j->root_seen = true;
        return jpush(j, J_ROOT, 0);
    }
    jframe *f = &j->stack[j->top];
    if (f->kind == J_SKIP)
        return jpush(j, J_SKIP, 0);
    if (f->kind == J_ARRAY)
        return jpush(j, f->elem, 0);
    const jkey *k = f->key;
    if (!k)
        return jpush(j, J_SKIP, 0);
    if (k->val != V_OBJECT)
        return jerr_key(j, k, k->val == V_ARRAY ? "an array" : "a scalar, not an object");
    return jpush(j, k->child, 0);
}

static int j_start_array(void *ctx)
{
    jctx *j = ctx;
    const jkey *k;
    if (!jslot(j, &k, "an array"))
        return 0;
    if (j->stack[j->top].kind == J_SKIP || (j->stack[j->top].kind == J_ARRAY) || !k)
        return jpush(j, J_ARRAY, J_SKIP);
    if (k->val != V_ARRAY)
        return jerr_key(j, k, k->val == V_OBJECT ? "an object" : "a scalar, not an array");
    return jpush(j, J_ARRAY, k->child);
}

static int j_map_key(void *ctx, const unsigned char *s, size_t n)
{
    jctx *j = ctx;
    jframe *f = &j->stack[j->top];
    f->key = NULL;
    if (f->kind == J_SKIP)
        return 1;
    for (size_t i = jkey_first[f->kind]; i < jkey_end[f->kind]; i++)
        if (jkey_len[i] == n && memcmp(jkeys[i].key, s, n) == 0) {
            f->key = &jkeys[i];
            break;
        }
    return 1;
}

static int j_end_map(void *ctx)
{
    jctx *j = ctx;
    int kind = j->stack[j->top].kind;
    j->top--;
    if (kind == J_SPAN) {
        rx_span sp = {.trace_id = j->trace, .trace_len = j->trace_len,
                      .span_id = j->span, .span_len = j->span_len,
                      .parent = j->parent, .parent_len = j->parent_len,
                      .start = j->start, .end = j->end,
                      .name = j->name.p ? j->name.p : (const uint8_t *)"", .name_len = j->name.len};
        return span_done(j->d, &sp);
    }
    if (kind == J_LINK)
        return check_id(j->d, "link in span", j->d->nspans + 1, "traceId", j->link_trace,
                        j->link_trace_len, 16, false) &&
               check_id(j->d, "link in span", j->d->nspans + 1, "spanId", j->link_span,
                        j->link_span_len, 8, false);
    return 1;
}

static int j_end_array(void *ctx)
{
    jctx *j = ctx;
    j->top--;
    return 1;
}

static const yajl_callbacks jcallbacks = {
    .yajl_null = j_null,
    .yajl_boolean = j_boolean,
    .yajl_number = j_number,
    .yajl_string = j_string,
    .yajl_start_map = j_start_map,
    .yajl_map_key = j_map_key,
    .yajl_end_map = j_end_map,
    .yajl_start_array = j_start_array,
    .yajl_end_array = j_end_array,
};

bool json_walk(rx_decode *d, const uint8_t *body, size_t n)
{
    jctx j;
    memset(&j, 0, sizeof j);
    j.d = d;
    j.top = -1;
    yajl_handle h = yajl_alloc(&jcallbacks, NULL, &j);
    if (!h)
        rx_fatal("out of memory");
    yajl_status st = yajl_parse(h, body, n);
    if (st == yajl_status_ok)
        st = yajl_complete_parse(h);
    bool ok = st == yajl_status_ok;
    if (!ok && !d->err[0]) {
        unsigned char *msg = yajl_get_error(h, 0, body, n);
        size_t at = yajl_get_bytes_consumed(h);
        derr(d, "json: %s (near byte %zu)", msg ? (const char *)msg : "parse error", at);
        /* yajl's messages end with a newline; keep the answer on one line */
        for (char *c = d->err; *c; c++)
            if (*c == '\n')
                *c = ' ';
        if (msg)
            yajl_free_error(h, msg);
    }
    if (ok && !j.root_seen) {
        ok = false;
        derr(d, "json: empty body");
    }
    yajl_free(h);
    buf_free(&j.name);
    return ok;
}
