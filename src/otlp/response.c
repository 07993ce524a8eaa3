/* response.c: ExportTraceServiceResponse and google.rpc.Status, read with
 * the project's protobuf primitives (otlp/encode.h) and JSON tree
 * (common/json.h). The protobuf walker checks every field's wire type before
 * using its value: a field of the expected number but another wire type is
 * malformed, never read as if it were the expected one. */
#include "config.h"
#include "otlp/response.h"
#include "otlp/encode.h"
#include "common/json.h"

#include <string.h>
#include <strings.h>

/* ---- protobuf ------------------------------------------------------------ */

enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_I32 = 5 };

typedef struct {
    const uint8_t *base; /* start of the whole body: errors give offsets from it */
    const uint8_t *p, *end;
} pb_reader;

typedef struct {
    uint32_t field;
    unsigned wire;
    size_t at;          /* offset of the field's key in the body */
    uint64_t num;       /* WT_VARINT, WT_I64, WT_I32 */
    const uint8_t *val; /* WT_LEN */
    size_t len;
} pb_field;

static uint64_t read_le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = n; i-- > 0;)
        v = v << 8 | p[i];
    return v;
}

/* 1: *f is the next field; 0: the message ends here; -1: malformed. */
static int pb_next(pb_reader *r, pb_field *f, tf_err *err)
{
    if (r->p >= r->end)
        return 0;
    memset(f, 0, sizeof *f);
    f->at = (size_t)(r->p - r->base);
    uint64_t key, len;
    if (!tf_pb_read_varint(&r->p, r->end, &key))
        return tf_err_set(err, "byte %zu: truncated or overlong field key", f->at);
    if (key >> 3 == 0 || key >> 3 > 0x1fffffff)
        return tf_err_set(err, "byte %zu: invalid field number %llu", f->at, (unsigned long long)(key >> 3));
    f->field = (uint32_t)(key >> 3);
    f->wire = (unsigned)(key & 7);
    size_t left;
    switch (f->wire) {
    case WT_VARINT:
        if (!tf_pb_read_varint(&r->p, r->end, &f->num))
            return tf_err_set(err, "byte %zu: field %u: truncated or overlong varint", f->at, f->field);
        return 1;
    case WT_I64:
    case WT_I32: {
        unsigned n = f->wire == WT_I64 ? 8 : 4;
        if ((size_t)(r->end - r->p) < n)
            return tf_err_set(err, "byte %zu: field %u: truncated %u-byte value", f->at, f->field, n);
        f->num = read_le(r->p, n);
        r->p += n;
        return 1;
    }
    case WT_LEN:
        if (!tf_pb_read_varint(&r->p, r->end, &len))
            return tf_err_set(err, "byte %zu: field %u: truncated length", f->at, f->field);
        left = (size_t)(r->end - r->p);
        if (len > left)
            return tf_err_set(err, "byte %zu: field %u: length %llu runs past the end (%zu bytes left)", f->at,
                              f->field, (unsigned long long)len, left);
        f->val = r->p;
        f->len = (size_t)len;
        r->p += len;
        return 1;
    default:
        return tf_err_set(err, "byte %zu: field %u: unsupported wire type %u", f->at, f->field, f->wire);
    }
}

static int wrong_wire(tf_err *err, const pb_field *f, const char *name, unsigned want)
{
    static const char *const names[] = { "varint", "64-bit", "length-delimited", "", "", "32-bit" };
    return tf_err_set(err, "byte %zu: %s has wire type %u, not %u (%s)", f->at, name, f->wire, want, names[want]);
}

/* One ExportTracePartialSuccess; proto3 merging: the last value of each field wins. */
static int pb_partial_body(const uint8_t *base, const pb_field *outer, int64_t *rejected, tf_buf *msg,
                           size_t msg_start, tf_err *err)
{
    pb_reader r = { base, outer->val, outer->val + outer->len };
    pb_field f;
    int rc;
    while ((rc = pb_next(&r, &f, err)) > 0) {
        if (f.field == 1) {
            if (f.wire != WT_VARINT)
                return wrong_wire(err, &f, "partial_success.rejected_spans", WT_VARINT);
            *rejected = (int64_t)f.num; /* int64: two's complement on the wire */
        } else if (f.field == 2) {
            if (f.wire != WT_LEN)
                return wrong_wire(err, &f, "partial_success.error_message", WT_LEN);
            if (!tf_utf8_valid(f.val, f.len))
                return tf_err_set(err, "byte %zu: partial_success.error_message is not valid UTF-8", f.at);
            msg->len = msg_start;
            tf_buf_append(msg, f.val, f.len);
        }
    }
    return rc;
}

static int pb_partial_success(const uint8_t *body, size_t n, int64_t *rejected, tf_buf *msg, tf_err *err)
{
    pb_reader r = { body, body, n ? body + n : body }; /* NULL + 0 is undefined */
    size_t msg_start = msg->len;
    pb_field f;
    int rc;
    while ((rc = pb_next(&r, &f, err)) > 0) {
        if (f.field != 1)
            continue; /* unknown fields are skipped */
        if (f.wire != WT_LEN)
            return wrong_wire(err, &f, "partial_success", WT_LEN);
        if (pb_partial_body(body, &f, rejected, msg, msg_start, err) < 0)
            return -1;
    }
    return rc;
}

/* google.rpc.Status {int32 code = 1; string message = 2; repeated Any details = 3}. */
static bool pb_status_message(const uint8_t *body, size_t n, tf_str *out)
{
    pb_reader r = { body, body, n ? body + n : body }; /* NULL + 0 is undefined */
    pb_field f;
    int rc;
    tf_str m = { NULL, 0 };
    while ((rc = pb_next(&r, &f, NULL)) > 0) {
        if (f.field != 2)
            continue;
        if (f.wire != WT_LEN)
            return false;
        m = (tf_str){ (const char *)f.val, f.len };
    }
    if (rc < 0 || !m.len || !tf_utf8_valid(m.p, m.len))
        return false;
    *out = m;
    return true;
}

/* ---- JSON ---------------------------------------------------------------- */

static bool all_space(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return false;
    return true;
}

/* The first of two spellings of a key that is present and not null. */
static const tf_json *get2(const tf_json *obj, const char *camel, const char *snake, const char **used)
{
    const tf_json *v = tf_json_get_nn(obj, camel);
    *used = camel;
    if (!v) {
        v = tf_json_get_nn(obj, snake);
        *used = snake;
    }
    return v;
}

static int json_partial_fields(const tf_json *ps, const char *ps_key, int64_t *rejected, tf_buf *msg, tf_err *err)
{
    const char *key;
    const tf_json *r = get2(ps, "rejectedSpans", "rejected_spans", &key);
    if (r && !tf_json_as_int64(r, rejected))
        return tf_err_set(err, "%s.%s is not a 64-bit integer", ps_key, key);
    const tf_json *m = get2(ps, "errorMessage", "error_message", &key);
    if (m && m->type != TF_JSON_STRING)
        return tf_err_set(err, "%s.%s is not a string", ps_key, key);
    if (m)
        tf_buf_append(msg, m->str.p, m->str.len);
    return 0;
}

static int json_partial_success(const char *text, size_t n, int64_t *rejected, tf_buf *msg, tf_err *err)
{
    if (all_space(text, n))
        return 0; /* an empty answer: nothing was rejected */
    tf_json_parser *p = tf_json_parser_new();
    tf_arena a;
    tf_arena_init(&a, 4096);
    int rc = 0;
    const tf_json *root = tf_json_parse_one(p, &a, text, n, err);
    const tf_json *ps = NULL;
    const char *key = NULL;
    if (!root)
        rc = -1;
    else if (root->type != TF_JSON_OBJECT)
        rc = tf_err_set(err, "the answer is not a JSON object");
    else if ((ps = get2(root, "partialSuccess", "partial_success", &key)) && ps->type != TF_JSON_OBJECT)
        rc = tf_err_set(err, "%s is not an object", key);
    else if (ps)
        rc = json_partial_fields(ps, key, rejected, msg, err);
    tf_arena_free(&a);
    tf_json_parser_free(p);
    return rc;
}

static bool json_status_message(const char *text, size_t n, tf_buf *msg)
{
    if (all_space(text, n))
        return false;
    tf_json_parser *p = tf_json_parser_new();
    tf_arena a;
    tf_arena_init(&a, 4096);
    const tf_json *root = tf_json_parse_one(p, &a, text, n, NULL); /* not JSON: no message */
    const tf_json *m = tf_json_get_nn(root, "message");
    bool ok = m && m->type == TF_JSON_STRING && m->str.len;
    if (ok)
        tf_buf_append(msg, m->str.p, m->str.len);
    tf_arena_free(&a);
    tf_json_parser_free(p);
    return ok;
}

/* ---- the API --------------------------------------------------------------- */

int tf_otlp_partial_success(bool json, const void *body, size_t n, int64_t *rejected, tf_buf *msg, tf_err *err)
{
    *rejected = 0;
    size_t msg_start = msg->len;
    int rc = json ? json_partial_success(body, n, rejected, msg, err)
                  : pb_partial_success(body, n, rejected, msg, err);
    if (rc == 0 && (*rejected != 0 || msg->len != msg_start))
        return 1;
    *rejected = 0;
    msg->len = msg_start;
    return rc;
}

/* Short printable text: UTF-8 without control characters but line breaks and
 * tabs, and without '<' (an HTML page says nothing useful on one line). */
static bool plain_text(const char *s, size_t n)
{
    if (!n || n > 512 || !tf_utf8_valid(s, n) || memchr(s, '<', n))
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
            return false;
    }
    return true;
}

bool tf_rpc_status_message(bool json, const void *body, size_t n, tf_buf *msg)
{
    tf_str m;
    if (json && json_status_message(body, n, msg))
        return true;
    if (!json && pb_status_message(body, n, &m)) {
        tf_buf_append(msg, m.p, m.len);
        return true;
    }
    const char *s = body;
    if (!plain_text(s, n))
        return false;
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        n--;
    for (size_t i = 0; i < n; i++)
        tf_buf_putc(msg, s[i] == '\n' || s[i] == '\r' ? ' ' : s[i]);
    return n > 0;
}

/* ---- what a 2xx answer is ---------------------------------------------------- */

/* The media type of a Content-Type value ("application/json; charset=utf-8"
 * -> "application/json") compared without case. */
static bool media_is(const char *ctype, const char *want)
{
    if (!ctype)
        return false;
    while (*ctype == ' ')
        ctype++;
    size_t n = strcspn(ctype, "; \t");
    return n == strlen(want) && !strncasecmp(ctype, want, n);
}

static bool looks_like_markup(const char *s, size_t n)
{
    size_t i = 0;
    if (n >= 3 && !memcmp(s, "\xef\xbb\xbf", 3))
        i = 3;
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
        i++;
    return i < n && s[i] == '<';
}

/* Says what a body that is no OTLP answer looked like: "a web page",
 * "text: \"OK\"", or "an answer of another kind". */
static tf_answer_kind not_otlp(const char *ctype, const char *body, size_t n, tf_err *err)
{
    if (media_is(ctype, "text/html") || media_is(ctype, "application/xhtml+xml") || looks_like_markup(body, n)) {
        tf_err_set(err, "a web page");
    } else if (plain_text(body, n) && n <= 80) {
        size_t k = n;
        while (k && (body[k - 1] == '\n' || body[k - 1] == '\r'))
            k--;
        tf_err_set(err, "text: \"%.*s\"", (int)k, body);
        for (char *p = err->msg; *p; p++)
            if (*p == '\n' || *p == '\r' || *p == '\t')
                *p = ' ';
    } else {
        tf_err_set(err, "an answer of another kind");
    }
    return TF_ANSWER_NOT_OTLP;
}

tf_answer_kind tf_otlp_answer(const char *ctype, const void *body, size_t n, uint64_t sent, int64_t *rejected,
                              tf_buf *msg, tf_err *err)
{
    *rejected = 0;
    if (n == 0)
        return TF_ANSWER_OK;
    bool json = media_is(ctype, "application/json");
    bool pb = media_is(ctype, "application/x-protobuf") || media_is(ctype, "application/protobuf");
    if (!json && !pb)
        return not_otlp(ctype, body, n, err);
    if (json && looks_like_markup(body, n))
        return not_otlp(ctype, body, n, err);
    size_t start = msg->len;
    tf_err why;
    int rc = tf_otlp_partial_success(json, body, n, rejected, msg, &why);
    if (rc < 0) {
        tf_err_set(err, "the %s answer does not decode as an ExportTraceServiceResponse: %s", json ? "JSON" : "protobuf",
                   why.msg);
        return TF_ANSWER_MALFORMED;
    }
    if (rc > 0 && (*rejected < 0 || (uint64_t)*rejected > sent)) {
        if (*rejected < 0)
            tf_err_set(err, "partial_success.rejected_spans is %lld, a negative count", (long long)*rejected);
        else
            tf_err_set(err, "partial_success.rejected_spans is %lld, more than the %llu spans the request held",
                       (long long)*rejected, (unsigned long long)sent);
        *rejected = 0;
        msg->len = start;
        return TF_ANSWER_MALFORMED;
    }
    return rc > 0 ? TF_ANSWER_PARTIAL : TF_ANSWER_OK;
}
