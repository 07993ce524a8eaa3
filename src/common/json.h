/* json.h: a read-only JSON tree for one record, parsed with yajl.
 * Ownership: every node and string lives in the tf_arena given to the parser
 * and dies with it. Strings are NUL-terminated copies (they may contain NULs
 * from \u0000 escapes; use len). Numbers keep their source text so callers
 * can convert exactly (epoch nanoseconds, 64-bit counters). */
#ifndef TF_JSON_H
#define TF_JSON_H

#include "common/err.h"
#include "common/util.h"

#include <stdbool.h>

typedef enum {
    TF_JSON_NULL,
    TF_JSON_BOOL,
    TF_JSON_NUMBER,
    TF_JSON_STRING,
    TF_JSON_ARRAY,
    TF_JSON_OBJECT,
} tf_json_type;

typedef struct tf_json tf_json;
struct tf_json {
    tf_json_type type;
    bool boolean;
    tf_str str;          /* STRING: the value; NUMBER: the source text */
    size_t n;            /* ARRAY/OBJECT: number of items */
    tf_json **items;     /* ARRAY/OBJECT: values */
    tf_str *keys;        /* OBJECT: keys, parallel to items */
};

typedef struct tf_json_parser tf_json_parser;

/* Containers nest at most this deep: a deeper value is a syntax error
 * ("invalid JSON at byte 1000 of the record: nesting deeper than 1000
 * levels"), so every consumer may walk a tree recursively (a log record
 * 100,000 arrays deep would otherwise overflow the stack of whatever walks
 * it: tf_json_write, the profiles' attribute conversion). */
#define TF_JSON_MAX_DEPTH 1000

tf_json_parser *tf_json_parser_new(void);
void tf_json_parser_free(tf_json_parser *p);

/* Parses text holding one or more JSON values; calls emit for each complete
 * top-level value in order. On a syntax error returns -1 with err (common/err.h)
 * saying what and at which byte of text ("invalid JSON at byte 12 of the
 * record: ..."); values already emitted stay valid. The tree lives in arena. */
typedef int (*tf_json_emit_fn)(void *ctx, tf_json *value, size_t start, size_t end);
int tf_json_parse(tf_json_parser *p, tf_arena *arena, const char *text, size_t len,
                  tf_json_emit_fn emit, void *ctx, tf_err *err);

/* Convenience for a text that must hold exactly one value; NULL on error. */
tf_json *tf_json_parse_one(tf_json_parser *p, tf_arena *arena, const char *text, size_t len, tf_err *err);

/* Lookups. NULL when absent or not an object. A JSON null is returned as a
 * node of type TF_JSON_NULL; tf_json_get_nn treats null as absent. */
const tf_json *tf_json_get(const tf_json *obj, const char *key);
const tf_json *tf_json_get_nn(const tf_json *obj, const char *key);
const tf_json *tf_json_getn(const tf_json *obj, const char *key, size_t keylen);

/* Path lookup: "a.b[2].c"; a key containing dots can be quoted: a["x.y"].c */
const tf_json *tf_json_path(const tf_json *root, const char *path);

/* Conversions; return false when the node is absent, null or of another kind. */
bool tf_json_as_int64(const tf_json *v, int64_t *out);   /* integral number or numeric string */
bool tf_json_as_double(const tf_json *v, double *out);   /* number or numeric string */
bool tf_json_as_bool(const tf_json *v, bool *out);
bool tf_json_is_integral(const tf_json *v);              /* NUMBER without fraction/exponent */

/* Without parsing: finds the string value of the one top-level key among
 * keys that occurs in text (also one level down inside a top-level "data"
 * object). Returns false, meaning "parse it properly", unless exactly one
 * occurrence of any of the keys exists in the whole text, it sits at that
 * depth outside strings, and its value is a string without escapes. Used to
 * drop records outside --since/--until before parsing them. */
bool tf_json_raw_top_string(const char *text, size_t len, const char *const *keys, size_t n_keys,
                            tf_str *value);

/* Writes v back as compact JSON. */
void tf_json_write(tf_buf *out, const tf_json *v);
/* Appends s as a JSON string literal (quotes included). */
void tf_json_write_string(tf_buf *out, const char *s, size_t len);

#endif
