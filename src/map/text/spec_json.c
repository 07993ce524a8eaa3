/* spec_json.c: a mapping file's "format" value (a parsed tf_json) -> a
 * compiled tf_text_format. Keys are checked as strictly as the rest of a
 * mapping: an unknown key or a value of the wrong kind is an error naming
 * the key; keys starting with "//" are comments. */
#include "config.h"
#include "map/text/text_int.h"

#include <stdlib.h>
#include <string.h>

static bool is_kind(const char *s)
{
    static const char *const k[] = { "regex", "csv", "tsv", "logfmt", "w3c" };
    for (size_t i = 0; i < TF_ARRAY_LEN(k); i++)
        if (!strcmp(s, k[i]))
            return true;
    return false;
}

static int expected_name(const char *got, tf_err *err)
{
    tf_buf b = { 0 };
    size_t n;
    const tf_text_preset *p = tf_text_presets(&n);
    for (size_t i = 0; i < n; i++)
        tf_buf_printf(&b, "%s%s", i ? ", " : "", p[i].name);
    tf_err_set(err, "\"format\": expected \"json\", a format (regex, csv, tsv, logfmt, w3c) or a preset (%s), "
                    "got \"%s\"", tf_buf_cstr(&b), got);
    tf_buf_free(&b);
    return -1;
}

static const char *kind_of(const tf_json *v)
{
    switch (v->type) {
    case TF_JSON_NULL: return "null";
    case TF_JSON_BOOL: return "a boolean";
    case TF_JSON_NUMBER: return "a number";
    case TF_JSON_STRING: return "a string";
    case TF_JSON_ARRAY: return "an array";
    case TF_JSON_OBJECT: return "an object";
    }
    return "?";
}

static int want(tf_err *err, const char *key, const char *what, const tf_json *v)
{
    return tf_err_set(err, "\"format.%s\": expected %s, got %s", key, what, kind_of(v));
}

/* An array of strings (or, when one_ok, a single string) -> a malloc'd
 * array of pointers into the tree. */
static int strings(const tf_json *v, const char *key, bool one_ok, const char ***out, size_t *n,
                   tf_err *err)
{
    if (one_ok && v->type == TF_JSON_STRING) {
        *out = tf_xcalloc(1, sizeof **out);
        (*out)[0] = v->str.p;
        *n = 1;
        return 0;
    }
    if (v->type != TF_JSON_ARRAY)
        return want(err, key, "an array of strings", v);
    *out = tf_xcalloc(v->n ? v->n : 1, sizeof **out);
    for (size_t i = 0; i < v->n; i++) {
        if (v->items[i]->type != TF_JSON_STRING)
            return tf_err_set(err, "\"format.%s[%zu]\": expected a string, got %s", key, i,
                              kind_of(v->items[i]));
        (*out)[i] = v->items[i]->str.p;
    }
    *n = v->n;
    return 0;
}

/* One byte, given as a one-character string ("\t" for a tab). */
static int one_char(const tf_json *v, const char *key, bool none_ok, int *out, tf_err *err)
{
    if (none_ok && ((v->type == TF_JSON_BOOL && !v->boolean) || (v->type == TF_JSON_STRING && v->str.len == 0))) {
        *out = 0;
        return 0;
    }
    if (v->type != TF_JSON_STRING)
        return want(err, key, none_ok ? "one character, or \"\" for none" : "one character", v);
    if (v->str.len != 1 || v->str.p[0] == '\n' || v->str.p[0] == '\r' || (unsigned char)v->str.p[0] >= 0x80)
        return tf_err_set(err, "\"format.%s\": expected one ASCII character, got \"%s\"", key, v->str.p);
    *out = (unsigned char)v->str.p[0];
    return 0;
}

typedef struct {
    tf_text_spec s;
    const char **columns, **nulls;
    tf_text_field *fields;
    bool json;
} parsed;

static int member(parsed *ps, const char *k, const tf_json *v, tf_err *err)
{
    tf_text_spec *s = &ps->s;
    const char **str = !strcmp(k, "type")      ? &s->format
                       : !strcmp(k, "preset")  ? &s->preset
                       : !strcmp(k, "pattern") ? &s->pattern
                       : !strcmp(k, "append")  ? &s->append
                                               : NULL;
    if (str) {
        if (v->type != TF_JSON_STRING)
            return want(err, k, "a string", v);
        if (str == &s->format && !strcmp(v->str.p, "json")) {
            ps->json = true;
            return 0;
        }
        if (str == &s->format && !is_kind(v->str.p))
            return tf_err_set(err, "\"format.type\": expected json, regex, csv, tsv, logfmt or w3c, got \"%s\"",
                              v->str.p);
        *str = v->str.p;
        return 0;
    }
    if (!strcmp(k, "columns")) {
        if (strings(v, k, false, &ps->columns, &s->n_columns, err) != 0)
            return -1;
        if (s->n_columns == 0)
            return tf_err_set(err, "\"format.columns\": expected at least one name");
        s->columns = ps->columns;
        return 0;
    }
    if (!strcmp(k, "null")) {
        if (strings(v, k, true, &ps->nulls, &s->n_nulls, err) != 0)
            return -1;
        s->nulls = ps->nulls;
        s->has_nulls = true;
        return 0;
    }
    if (!strcmp(k, "header")) {
        if (v->type != TF_JSON_BOOL)
            return want(err, k, "true or false", v);
        s->header = v->boolean;
        return 0;
    }
    if (!strcmp(k, "delimiter"))
        return one_char(v, k, false, &s->delimiter, err);
    if (!strcmp(k, "quote"))
        return one_char(v, k, true, &s->quote, err);
    if (!strcmp(k, "fields")) {
        if (v->type != TF_JSON_OBJECT)
            return want(err, k, "an object of field names and types", v);
        ps->fields = tf_xcalloc(v->n ? v->n : 1, sizeof *ps->fields);
        for (size_t i = 0; i < v->n; i++) {
            if (v->keys[i].len >= 2 && !memcmp(v->keys[i].p, "//", 2))
                continue;
            char key[160];
            if (v->items[i]->type != TF_JSON_STRING)
                return tf_err_set(err, "\"%s\": expected a type name, got %s",
                                  tf_text_field_key(key, sizeof key, v->keys[i].p), kind_of(v->items[i]));
            ps->fields[s->n_fields++] = (tf_text_field){ v->keys[i].p, v->items[i]->str.p, NULL };
        }
        s->fields = ps->fields;
        return 0;
    }
    return tf_err_set(err, "\"format.%s\": unknown key (expected type, preset, pattern, append, columns, "
                           "header, delimiter, quote, fields or null)", k);
}

static int from_object(parsed *ps, const tf_json *v, tf_err *err)
{
    size_t real = 0;
    for (size_t i = 0; i < v->n; i++) {
        const char *k = v->keys[i].p;
        if (v->keys[i].len >= 2 && !memcmp(k, "//", 2))
            continue;
        real++;
        if (member(ps, k, v->items[i], err) != 0)
            return -1;
    }
    if (ps->json && real > 1)
        return tf_err_set(err, "\"format.type\": json takes no other keys");
    return 0;
}

int tf_text_format_from_json(const tf_json *v, uint64_t now_ns, tf_text_format **out, tf_err *err)
{
    *out = NULL;
    parsed ps;
    memset(&ps, 0, sizeof ps);
    ps.s.header = ps.s.delimiter = ps.s.quote = -1;
    ps.s.now_ns = now_ns;
    int rc = 0;
    if (v->type == TF_JSON_STRING) {
        if (!strcmp(v->str.p, "json"))
            return 0;
        if (is_kind(v->str.p))
            ps.s.format = v->str.p;
        else if (tf_text_preset_find(v->str.p))
            ps.s.preset = v->str.p;
        else
            return expected_name(v->str.p, err);
    } else if (v->type == TF_JSON_OBJECT) {
        rc = from_object(&ps, v, err);
    } else {
        rc = tf_err_set(err, "\"format\": expected a string or an object, got %s", kind_of(v));
    }
    if (rc == 0 && !ps.json) {
        *out = tf_text_format_new(&ps.s, err);
        rc = *out ? 1 : -1;
    }
    free(ps.columns);
    free(ps.nulls);
    free(ps.fields);
    return rc;
}
