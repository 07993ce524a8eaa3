/* unit-mapfile.c: mapping files: every malformed mapping is refused with the
 * file, the key and what was expected; and records mapped through small
 * mappings (times to the nanosecond, derived ids against sha256sum vectors,
 * conditions, conversions, remaining fields, events, resources, rejects).
 * Mappings are written with ` for " to keep them readable. */
#include "config.h"
#include "map/mapfile/mapfile.h"
#include "common/ids.h"
#include "otlp/encode.h"
#include "tap.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static tf_opts opts;
static tf_map_env env;
static tf_json_parser *parser;
static tf_arena arena;

static char *unquote(const char *s)
{
    char *r = tf_xstrdup(s);
    for (char *p = r; *p; p++)
        if (*p == '`')
            *p = '"';
    return r;
}

/* The error of a failed load, malloc'd (NULL when it loaded). */
static tf_profile *loaded(tf_profile *p, const tf_err *e, char **err)
{
    *err = p ? NULL : tf_xstrdup(e->msg);
    return p;
}

static tf_profile *load(const char *mapping, char **err)
{
    char *m = unquote(mapping);
    tf_err e;
    tf_profile *p = tf_profile_mapping_new(&env, "mapping.json", m, strlen(m), &e);
    free(m);
    return loaded(p, &e, err);
}

static tf_profile *load_file(const char *path, char **err)
{
    tf_err e;
    tf_profile *p = tf_profile_mapfile_new(&env, path, &e);
    return loaded(p, &e, err);
}

/* Records are mapped as a worker does: through a state of its own, made
 * for the profile in use (one at a time here). */
static const tf_profile *state_of;
static tf_profile_state *state;

static tf_profile_state *state_for(const tf_profile *p)
{
    if (state_of != p) {
        if (state_of)
            tf_profile_state_free(state_of, state);
        state = tf_profile_state_new(p);
        state_of = p;
    }
    return state;
}

static void drop(tf_profile *p)
{
    if (p && state_of == p) {
        tf_profile_state_free(p, state);
        state_of = NULL;
        state = NULL;
    }
    tf_profile_free(p);
}

/* The error a mapping gets ("" when it loads). */
static void bad(const char *mapping, const char *want)
{
    char *err;
    tf_profile *p = load(mapping, &err);
    if (p)
        drop(p);
    char *w = unquote(want);
    is_str(err ? err : "", w, "refused: %s", want);
    free(w);
    free(err);
}

typedef struct {
    int rc;
    const char *why;
    tf_map_out out;
} result;

static result map(tf_profile *p, const char *record)
{
    result r = { 0 };
    char *text = unquote(record);
    size_t len = strlen(text);
    char *keep = tf_arena_strndup(&arena, text, len);
    free(text);
    tf_record rec = { .text = keep, .len = len, .stream = "test", .line = 1 };
    rec.json = tf_json_parse_one(parser, &arena, keep, len, NULL);
    if (!rec.json) {
        r.rc = -1;
        r.why = "record is not JSON";
        return r;
    }
    r.out.arena = &arena;
    tf_err why;
    tf_err_clear(&why);
    r.rc = tf_profile_map(p, state_for(p), &rec, &r.out, &why);
    if (r.rc != TF_MAP_OK)
        r.why = tf_arena_strndup(&arena, why.msg, strlen(why.msg));
    return r;
}

static tf_span *map1(tf_profile *p, const char *record)
{
    result r = map(p, record);
    if (r.rc != TF_MAP_OK || r.out.n != 1) {
        diag("mapping failed: rc %d, %zu spans, %s", r.rc, r.out.n, r.why ? r.why : "");
        return NULL;
    }
    return r.out.spans[0];
}

static const char *reject(tf_profile *p, const char *record)
{
    result r = map(p, record);
    return r.rc == TF_MAP_REJECT ? r.why : "(not rejected)";
}

/* An attribute rendered as text: "s:abc", "i:42", "d:1.5", "b:true",
 * "[...]" arrays, "{...}" kvlists; "(none)" when absent. */
static const char *attr(const tf_attrs *a, const char *key)
{
    static char buf[512];
    const tf_kv *kv = tf_attrs_find(a, key);
    if (!kv)
        return "(none)";
    const tf_value *v = &kv->value;
    switch (v->type) {
    case TF_VAL_STRING: snprintf(buf, sizeof buf, "s:%.*s", (int)v->u.s.len, v->u.s.p); break;
    case TF_VAL_INT: snprintf(buf, sizeof buf, "i:%lld", (long long)v->u.i); break;
    case TF_VAL_DOUBLE: snprintf(buf, sizeof buf, "d:%.17g", v->u.d); break;
    case TF_VAL_BOOL: snprintf(buf, sizeof buf, "b:%s", v->u.b ? "true" : "false"); break;
    case TF_VAL_ARRAY: snprintf(buf, sizeof buf, "array:%zu", v->u.arr.n); break;
    case TF_VAL_KVLIST: snprintf(buf, sizeof buf, "kvlist:%zu", v->u.kvl.n); break;
    default: snprintf(buf, sizeof buf, "other"); break;
    }
    return buf;
}

static const char *hex(const uint8_t *id, size_t n)
{
    static char buf[4][33];
    static int k;
    char *b = buf[k++ & 3];
    tf_hex_encode(b, id, n);
    b[2 * n] = '\0';
    return b;
}

static const char *name_of(const tf_span *s)
{
    static char buf[256];
    if (!s)
        return "(no span)";
    snprintf(buf, sizeof buf, "%.*s", (int)s->name.len, s->name.p);
    return buf;
}

static const char *keys_of(const tf_attrs *a)
{
    static char buf[1024];
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < a->n && n + a->kv[i].key.len + 2 < sizeof buf; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%.*s", i ? " " : "", (int)a->kv[i].key.len,
                              a->kv[i].key.p);
    return buf;
}

#define SPAN(extra) "{`span`: {`name`: `n`, `start`: `t`" extra "}}"

static void test_errors(void)
{
    bad("[]", "mapping.json: expected a JSON object (the mapping), got an array");
    bad("{}", "mapping.json: `span`: missing (expected an object with at least `name` and `start` or `end`)");
    bad("{`span`: []}", "mapping.json: `span`: expected an object (name, start, attributes, ...), got an array");
    bad("{`span`: {`name`: 5, `start`: `t`}}",
        "mapping.json: `span.name`: expected a string or a template (or an object with `template`, `field` or "
        "`const`), got a number");
    bad("{`span`: {`start`: `t`}}",
        "mapping.json: `span.name`: missing (expected a string or a template for the span's name)");
    bad("{`span`: {`name`: `x`}}",
        "mapping.json: `span`: expected `start` or `end` (when the span happened), got neither");
    bad("{`span`: {`nmae`: `x`, `start`: `t`}}",
        "mapping.json: `span.nmae`: unknown key (expected one of: name, kind, start, end, duration, trace_id, "
        "span_id, parent_span_id, traceparent, trace_state, status, attributes, remaining, events)");
    bad("{`span`: {`name`: `a`, `name`: `b`, `start`: `t`}}", "mapping.json: `span.name`: duplicate key");
    bad("{`spam`: {}}",
        "mapping.json: `spam`: unknown key (expected one of: version, name, format, null_values, resource, scope, skip, span)");
    bad("{`version`: 2, `span`: {}}",
        "mapping.json: `version`: expected 1 (this tracefill reads mapping version 1), got 2");
    bad("{`name`: ``, `span`: {}}", "mapping.json: `name`: expected a non-empty string, got ``");
    bad("{`null_values`: [``, 0], `span`: {}}", "mapping.json: `null_values[1]`: expected a string, {} or [], got a number");
    bad(SPAN(", `kind`: `srv`"),
        "mapping.json: `span.kind`: expected `unspecified`, `internal`, `server`, `client`, `producer` or "
        "`consumer`, got `srv`");
    bad(SPAN(", `kind`: {`field`: `k`, `map`: {`a`: `nope`}}"),
        "mapping.json: `span.kind.map.a`: expected `unspecified`, `internal`, `server`, `client`, `producer` or "
        "`consumer`, got `nope`");
    bad(SPAN(", `kind`: {`field`: `k`, `map`: {`a`: {}}}"),
        "mapping.json: `span.kind.map.a`: expected a string, number or boolean, got an object");
    bad("{`span`: {`name`: `n`, `start`: {`field`: `t`, `format`: `isoo`}}}",
        "mapping.json: `span.start.format`: expected `auto`, `rfc3339`, `clf`, `http`, `epoch` or a strptime "
        "format such as `%d/%b/%Y:%H:%M:%S %z`, got `isoo`");
    bad("{`span`: {`name`: `n`, `start`: {`field`: `t`, `format`: `rfc3339`, `unit`: `ms`}}}",
        "mapping.json: `span.start.unit`: `unit` only applies to `format`: `epoch`");
    bad("{`span`: {`name`: `n`, `start`: {`field`: `t`, `unit`: `days`}}}",
        "mapping.json: `span.start.unit`: expected `s`, `ms`, `us` or `ns` (or `auto`), got `days`");
    bad(SPAN(", `duration`: {`field`: `d`, `unit`: `sec`}"),
        "mapping.json: `span.duration.unit`: expected `s`, `ms`, `us` or `ns`, got `sec`");
    bad(SPAN(", `duration`: {`field`: `d`, `format`: `clf`}"),
        "mapping.json: `span.duration.format`: unknown key (expected one of: field, const, template, if, default, "
        "required, map, unit)");
    bad("{`span`: {`name`: `n`, `start`: 5}}",
        "mapping.json: `span.start`: expected a field path or an object with `field` (and `format` or `unit`), got "
        "a number");
    bad("{`span`: {`name`: `n`, `start`: null}}",
        "mapping.json: `span.start`: expected a field path or an object with `field` (and `format` or `unit`), got "
        "null");
    bad("{`span`: {`name`: [], `start`: `t`}}",
        "mapping.json: `span.name`: expected a string or a template (or an object with `template`, `field` or "
        "`const`) or a non-empty array of alternatives, got an empty array");
    bad("{`span`: {`name`: [[`a`]], `start`: `t`}}",
        "mapping.json: `span.name[0]`: alternatives cannot be nested, got an array inside an array");
    bad("{`span`: {`name`: {`if`: {`field`: `a`, `exists`: true}}, `start`: `t`}}",
        "mapping.json: `span.name`: expected a string or a template (or an object with `template`, `field` or "
        "`const`), got an object without `field`, `const` or `template`");
    bad("{`span`: {`name`: {`const`: [1]}, `start`: `t`}}", "mapping.json: `span.name.const`: expected a string, got an array");

    /* field paths */
    bad(SPAN(", `attributes`: {`a`: `x[1`}"),
        "mapping.json: `span.attributes.a`: bad field path `x[1`: expected `]` after an index");
    bad(SPAN(", `attributes`: {`a`: `x[y]`}"),
        "mapping.json: `span.attributes.a`: bad field path `x[y]`: expected an index (up to 9 digits) or a quoted key "
        "after `[`");
    bad(SPAN(", `attributes`: {`a`: `x..y`}"),
        "mapping.json: `span.attributes.a`: bad field path `x..y`: empty key (quote keys like [`a.b`])");
    bad(SPAN(", `attributes`: {`a`: `x.`}"), "mapping.json: `span.attributes.a`: bad field path `x.`: ends with `.`");
    bad(SPAN(", `attributes`: {`a`: `x['y`}"),
        "mapping.json: `span.attributes.a`: bad field path `x['y`: unterminated quoted key");
    bad(SPAN(", `attributes`: {`a`: `x['y'z`}"),
        "mapping.json: `span.attributes.a`: bad field path `x['y'z`: expected `]` after a quoted key");
    bad(SPAN(", `attributes`: {`a`: `x[0]y`}"),
        "mapping.json: `span.attributes.a`: bad field path `x[0]y`: expected `.` or `[` after `]`");
    bad(SPAN(", `attributes`: {`a`: {`field`: [`a`, 3]}}"),
        "mapping.json: `span.attributes.a.field[1]`: expected a field path, got a number");
    bad(SPAN(", `attributes`: {`a`: {`field`: []}}"),
        "mapping.json: `span.attributes.a.field`: expected a field path or a non-empty array of field paths, got an "
        "array");

    /* attributes */
    bad(SPAN(", `attributes`: {`http.status`: null}"),
        "mapping.json: `span.attributes['http.status']`: expected a field path, a number, a boolean or an object "
        "with `field`, `const` or `template`, got null");
    bad(SPAN(", `attributes`: []"),
        "mapping.json: `span.attributes`: expected an object of attribute name: value spec, got an array");
    bad(SPAN(", `attributes`: {``: `a`}"), "mapping.json: `span.attributes['']`: an attribute name cannot be empty");
    bad(SPAN(", `attributes`: {`a`: {`field`: `x`, `const`: 1}}"),
        "mapping.json: `span.attributes.a`: `field` and `const` cannot be used together");
    bad(SPAN(", `attributes`: {`a`: {`field`: `x`, `type`: `integer`}}"),
        "mapping.json: `span.attributes.a.type`: expected `auto`, `string`, `int`, `double`, `bool` or `json`, got "
        "`integer`");
    bad(SPAN(", `attributes`: {`a`: {`field`: `x`, `format`: `clf`}}"),
        "mapping.json: `span.attributes.a.format`: unknown key (expected one of: field, const, template, if, "
        "default, required, map, type, private)");
    bad(SPAN(", `attributes`: {`a`: {`field`: `x`, `required`: 1}}"),
        "mapping.json: `span.attributes.a.required`: expected true or false, got a number");
    bad(SPAN(", `attributes`: {`a`: {`field`: `x`, `default`: {}}}"),
        "mapping.json: `span.attributes.a.default`: expected a string, number or boolean, got an object");
    bad(SPAN(", `attributes`: {`a`: {`field`: `x`, `map`: []}}"),
        "mapping.json: `span.attributes.a.map`: expected an object mapping values to replacements, got an array");
    bad(SPAN(", `attributes`: {`a`: {`const`: null}}"), "mapping.json: `span.attributes.a.const`: expected a constant, got null");

    /* templates */
    bad("{`span`: {`name`: `{a`, `start`: `t`}}", "mapping.json: `span.name`: unterminated `{` in template `{a`");
    bad("{`span`: {`name`: `a}`, `start`: `t`}}",
        "mapping.json: `span.name`: unmatched `}` in template `a}` (write `}}` for a brace)");
    bad("{`span`: {`name`: `x {} y`, `start`: `t`}}", "mapping.json: `span.name`: empty placeholder in template `x {} y`");
    bad("{`span`: {`name`: `{'-'|a}`, `start`: `t`}}",
        "mapping.json: `span.name`: the quoted fallback must come last in `{'-'|a}`");
    bad("{`span`: {`name`: `{a|'x}`, `start`: `t`}}", "mapping.json: `span.name`: unterminated `{` in template `{a|'x}`");
    bad("{`span`: {`name`: `{'x'}`, `start`: `t`}}", "mapping.json: `span.name`: placeholder `{'x'}` names no field");
    bad("{`span`: {`name`: {`template`: 3}, `start`: `t`}}",
        "mapping.json: `span.name.template`: expected a template string, got a number");

    /* ids */
    bad(SPAN(", `span_id`: {`derive`: `a`}"),
        "mapping.json: `span.span_id.derive`: expected an array of 1 to 16 parts (field paths or {`const`: ...}), got "
        "`a`");
    bad(SPAN(", `span_id`: {`derive`: [`a`, null]}"),
        "mapping.json: `span.span_id.derive[1]`: expected a field path or an object with `field`, `const` or "
        "`template`, got null");
    bad(SPAN(", `trace_id`: 7"),
        "mapping.json: `span.trace_id`: expected a field path or an object with `field` or `derive`, got a number");
    bad(SPAN(", `attributes`: {`a`: {`derive`: [`x`]}}"),
        "mapping.json: `span.attributes.a.derive`: unknown key (expected one of: field, const, template, if, default, "
        "required, map, type, private)");

    /* conditions */
    bad("{`skip`: {`field`: `a`}, `span`: {`name`: `n`, `start`: `t`}}",
        "mapping.json: `skip`: missing the operator: one of ==, !=, >, >=, <, <=, in, exists, prefix, suffix, contains");
    bad("{`skip`: {`field`: `a`, `==`: 1, `!=`: 2}, `span`: {`name`: `n`, `start`: `t`}}",
        "mapping.json: `skip`: a condition has exactly one operator (==, !=, >, >=, <, <=, in, exists, prefix, suffix "
        "or contains), got more");
    bad("{`skip`: {`field`: `a`, `>=`: `500`}, `span`: {`name`: `n`, `start`: `t`}}",
        "mapping.json: `skip['>=']`: expected a number, got `500`");
    bad("{`skip`: {`field`: `a`, `in`: []}, `span`: {`name`: `n`, `start`: `t`}}",
        "mapping.json: `skip.in`: expected a non-empty array of strings, numbers or booleans, got an array");
    bad("{`skip`: {`field`: `a`, `exists`: `yes`}, `span`: {`name`: `n`, `start`: `t`}}",
        "mapping.json: `skip.exists`: expected true or false, got `yes`");
    bad("{`skip`: {`==`: 1}, `span`: {`name`: `n`, `start`: `t`}}",
        "mapping.json: `skip`: expected a condition like {`field`: `status`, `>=`: 500} (or an array of them, all of "
        "which must hold, or {`any`: [...]}, {`all`: [...]}, {`not`: {...}}): missing `field`");
    bad("{`skip`: {`any`: [{`field`: `a`, `==`: 1}, 3]}, `span`: {`name`: `n`, `start`: `t`}}",
        "mapping.json: `skip.any[1]`: expected a condition like {`field`: `status`, `>=`: 500} (or an array of them, "
        "all of which must hold, or {`any`: [...]}, {`all`: [...]}, {`not`: {...}}), got a number");
    bad("{`skip`: {`not`: {`field`: `a`, `==`: 1}, `field`: `b`}, `span`: {`name`: `n`, `start`: `t`}}",
        "mapping.json: `skip.field`: unknown key (expected one of: not)");
    bad("{`skip`: {`field`: `a`, `prefix`: 1}, `span`: {`name`: `n`, `start`: `t`}}",
        "mapping.json: `skip.prefix`: expected a string, got a number");
    bad("{`skip`: {`field`: `a`, `==`: [1]}, `span`: {`name`: `n`, `start`: `t`}}",
        "mapping.json: `skip['==']`: expected a string, number, boolean or null, got an array");

    /* status */
    bad(SPAN(", `status`: {`if`: {`field`: `s`, `>=`: 500}}"),
        "mapping.json: `span.status.code`: missing (expected `error`, `ok` or `unset`)");
    bad(SPAN(", `status`: [{`code`: `failed`}]"),
        "mapping.json: `span.status[0].code`: expected `unset`, `ok` or `error`, got `failed`");
    bad(SPAN(", `status`: `error`"),
        "mapping.json: `span.status`: expected a status rule like {`if`: {`field`: `status`, `>=`: 500}, `code`: "
        "`error`} or an array of them, got `error`");
    bad(SPAN(", `status`: {`code`: `error`, `msg`: `x`}"),
        "mapping.json: `span.status.msg`: unknown key (expected one of: if, code, message)");

    /* events and remaining */
    bad(SPAN(", `events`: {`from`: `ev`}"),
        "mapping.json: `span.events.name`: missing (expected a string or a template for the event's name)");
    bad(SPAN(", `events`: [{`name`: `x`}, {`from`: 1, `name`: `y`}]"),
        "mapping.json: `span.events[1].from`: expected a field path (an array of events, or one object), got a number");
    bad(SPAN(", `events`: {`name`: `x`, `time`: `t`, `offset`: {`field`: `o`, `unit`: `ms`}}"),
        "mapping.json: `span.events`: `time` and `offset` cannot be used together");
    bad(SPAN(", `events`: {`name`: `x`, `max`: -1}"),
        "mapping.json: `span.events.max`: expected a whole number from 0 to 1000000, got a number");
    bad(SPAN(", `remaining`: {`prefx`: `a.`}"),
        "mapping.json: `span.remaining.prefx`: unknown key (expected one of: prefix, from, exclude, flatten, private)");
    bad(SPAN(", `remaining`: [{`prefix`: `a.`}, {`exclude`: [1]}]"),
        "mapping.json: `span.remaining[1].exclude[0]`: expected a field path, got a number");
    bad(SPAN(", `remaining`: {`exclude`: [`a[`]}"),
        "mapping.json: `span.remaining.exclude[0]`: bad field path `a[`: expected an index (up to 9 digits) or a quoted key after "
        "`[`");
    bad(SPAN(", `remaining`: true"),
        "mapping.json: `span.remaining`: expected an object like {`prefix`: `app.`} or an array of them, got true");

    /* resource and scope */
    bad("{`resource`: {`service.name`: null}, `span`: {`name`: `n`, `start`: `t`}}",
        "mapping.json: `resource['service.name']`: expected a field path, a number, a boolean or an object with "
        "`field`, `const` or `template`, got null");
    bad("{`scope`: {`version`: `1`}, `span`: {`name`: `n`, `start`: `t`}}",
        "mapping.json: `scope.name`: missing (expected the instrumentation scope's name)");
    bad("{`scope`: {`name`: `s`, `attributes`: {`a`: [1]}}, `span`: {`name`: `n`, `start`: `t`}}",
        "mapping.json: `scope.attributes.a`: expected a string, number or boolean, got an array");

    /* JSON syntax errors point at line and column */
    char *err;
    tf_profile *p = load("{`span`: {\n  `name`: `x`,,\n}}", &err);
    ok(!p && err && !strncmp(err, "mapping.json:2:15: invalid JSON: ", 33), "a syntax error names line:column (%s)",
       err ? err : "");
    free(err);
    p = load("", &err);
    is_str(err ? err : "", "mapping.json: the mapping file is empty (expected a JSON object)", "an empty mapping file");
    free(err);

    p = load_file("/nonexistent/mapping.json", &err);
    is_str(err ? err : "", "/nonexistent/mapping.json: cannot open the mapping file: No such file or directory",
           "a missing mapping file names the path and the system error");
    free(err);
}

static void test_times(void)
{
    char *err;
    tf_profile *p = load("{`span`: {`name`: `{kind}`, `start`: [{`if`: {`field`: `kind`, `==`: `iso`}, `field`: `t`},"
                         "{`if`: {`field`: `kind`, `==`: `ns`}, `field`: `t`, `unit`: `ns`},"
                         "{`if`: {`field`: `kind`, `==`: `ms`}, `field`: `t`, `unit`: `ms`},"
                         "{`if`: {`field`: `kind`, `==`: `us`}, `field`: `t`, `format`: `epoch`, `unit`: `us`},"
                         "{`if`: {`field`: `kind`, `==`: `auto`}, `field`: `t`, `format`: `epoch`},"
                         "{`if`: {`field`: `kind`, `==`: `clf`}, `field`: `t`, `format`: `clf`},"
                         "{`if`: {`field`: `kind`, `==`: `http`}, `field`: `t`, `format`: `http`},"
                         "{`if`: {`field`: `kind`, `==`: `strf`}, `field`: `t`, `format`: `%Y%m%d %H%M%S.%f %z`},"
                         "{`if`: {`field`: `kind`, `==`: `tmpl`}, `template`: `{date}T{time}Z`}],"
                         "`duration`: {`field`: `d`, `unit`: `ms`}}}",
                         &err);
    ok(p != NULL, "a mapping with one start alternative per time form loads (%s)", err ? err : "");
    if (!p)
        return;
    static const struct {
        const char *rec;
        uint64_t start, end;
    } cases[] = {
        { "{`kind`: `iso`, `t`: `2024-07-15T23:33:19.433273+05:30`, `d`: 1250.5}", 1721066599433273000ull,
          1721066600683773000ull },
        { "{`kind`: `ns`, `t`: `1721086399433273001`, `d`: `0.000001`}", 1721086399433273001ull, 1721086399433273002ull },
        { "{`kind`: `ns`, `t`: 1721086399433273001}", 1721086399433273001ull, 1721086399433273001ull },
        { "{`kind`: `ms`, `t`: 1721086399433.273001, `d`: 0}", 1721086399433273001ull, 1721086399433273001ull },
        { "{`kind`: `us`, `t`: 1721086399433273}", 1721086399433273000ull, 1721086399433273000ull },
        { "{`kind`: `auto`, `t`: `1721086399.433273001`}", 1721086399433273001ull, 1721086399433273001ull },
        { "{`kind`: `auto`, `t`: 1721086399433}", 1721086399433000000ull, 1721086399433000000ull },
        { "{`kind`: `clf`, `t`: `15/Jul/2024:16:33:19 -0700`, `d`: `1.5s`}", 1721086399000000000ull,
          1721086400500000000ull },
        { "{`kind`: `http`, `t`: `Mon, 15 Jul 2024 23:33:19 GMT`}", 1721086399000000000ull, 1721086399000000000ull },
        { "{`kind`: `strf`, `t`: `20240715 233319.5 +0000`}", 1721086399500000000ull, 1721086399500000000ull },
        { "{`kind`: `tmpl`, `date`: `2024-07-15`, `time`: `23:33:19.25`}", 1721086399250000000ull,
          1721086399250000000ull },
    };
    for (size_t i = 0; i < TF_ARRAY_LEN(cases); i++) {
        tf_span *s = map1(p, cases[i].rec);
        is_u64(s ? s->start_ns : 0, cases[i].start, "start, %s", cases[i].rec);
        is_u64(s ? s->end_ns : 0, cases[i].end, "end, %s", cases[i].rec);
    }
    is_str(reject(p, "{`kind`: `iso`, `t`: `yesterday`}"),
           "no time: span.start: [0] \"t\" is not a timestamp: \"yesterday\"; [1] its \"if\" does not hold; [2] its "
           "\"if\" does not hold; [3] its \"if\" does not hold; [4] its \"if\" does not hold; [5] its \"if\" does not "
           "hold; [6] its \"if\" does not hold; [7] its \"if\" does not hold; [8] its \"if\" does not hold",
           "an unparseable time rejects the record, naming the field and the value");
    is_str(reject(p, "{`kind`: `ms`, `t`: 1, `d`: `1.5`}"), "(not rejected)",
           "a duration number with a unit converts");
    const char *why = reject(p, "{`kind`: `tmpl`, `date`: `x`, `time`: `y`}");
    const char *tail = "[8] template \"{date}T{time}Z\" is not a timestamp: \"xTyZ\"";
    ok(strlen(why) > strlen(tail) && !strcmp(why + strlen(why) - strlen(tail), tail),
       "a template that builds no timestamp is named with its result (%s)", why);
    drop(p);
    p = load("{`span`: {`name`: `n`, `start`: {`const`: `soon`}}}", &err);
    is_str(reject(p, "{}"), "no time: span.start: the constant is not a timestamp: \"soon\"",
           "a constant that is no timestamp");
    drop(p);

    p = load("{`span`: {`name`: `n`, `end`: [{`field`: `msec`, `unit`: `s`}, {`field`: `tl`, `format`: `clf`}],"
             "`duration`: {`field`: `rt`, `unit`: `s`}, `start`: `start`}}",
             &err);
    ok(p != NULL, "end + duration mapping loads");
    tf_span *s = map1(p, "{`msec`: `1721086399.433`, `rt`: `0.123`}");
    is_u64(s ? s->start_ns : 0, 1721086399310000000ull, "end - duration gives the start exactly");
    is_u64(s ? s->end_ns : 0, 1721086399433000000ull, "end from $msec (epoch seconds as a string)");
    s = map1(p, "{`msec`: `-`, `tl`: `15/Jul/2024:23:33:19 +0000`, `rt`: `0.5`}");
    is_u64(s ? s->start_ns : 0, 1721086398500000000ull, "an unparseable first alternative falls to the next");
    s = map1(p, "{`start`: `2024-07-15T23:33:19Z`, `msec`: `1721086400`, `rt`: `9`}");
    is_u64(s ? s->end_ns - s->start_ns : 0, 1000000000ull, "start and end both present: the duration is ignored");
    s = map1(p, "{`start`: `2024-07-15T23:33:19Z`, `rt`: `2.5`}");
    is_u64(s ? s->end_ns : 0, 1721086401500000000ull, "start + duration");
    is_str(reject(p, "{`start`: `2024-07-15T23:33:19Z`, `msec`: `1721086398`}"),
           "the span ends (2024-07-15T23:33:18.000000000Z) before it starts (2024-07-15T23:33:19.000000000Z)",
           "an end before the start is rejected with both times");
    is_str(reject(p, "{`msec`: `5`, `rt`: `6`}"),
           "span.duration: the duration is longer than the time since 1970 at the end", "a duration beyond the epoch");
    is_str(reject(p, "{`x`: 1}"),
           "no time: span.start: \"start\" is missing; span.end: [0] \"msec\" is missing; [1] \"tl\" is missing",
           "no time at all names every field that was tried");
    drop(p);

    p = load("{`span`: {`name`: `n`, `start`: `t`, `duration`: `d`}}", &err);
    s = map1(p, "{`t`: 1721086399, `d`: `250ms`}");
    is_u64(s ? s->end_ns - s->start_ns : 0, 250000000ull, "a duration without a unit takes a suffixed string");
    s = map1(p, "{`t`: 1721086399, `d`: 250}");
    is_u64(s ? s->end_ns - s->start_ns : 1, 0, "a bare number without a unit is not a duration (zero-length span)");
    drop(p);
}

static void test_ids(void)
{
    char *err;
    tf_profile *p = load("{`span`: {`name`: `step`, `start`: `t`, `trace_id`: {`derive`: [`run`]},"
                         "`span_id`: {`derive`: [`run`, `step`]}, `parent_span_id`: {`derive`: [`run`, `parent`]}}}",
                         &err);
    ok(p != NULL, "derived-id mapping loads");
    /* printf 'tracefill:v1\000%s' run-7 | sha256sum; ...\000%s\000%s' run-7 s3 */
    tf_span *s = map1(p, "{`t`: 1, `run`: `run-7`, `step`: `s3`, `parent`: `s1`}");
    is_str(s ? hex(s->trace_id, 16) : "", "6e49561e762e9465c2c5e9a715468446", "trace id = SHA-256 of the run id");
    is_str(s ? hex(s->span_id, 8) : "", "33b510daa0e21e8f", "span id = SHA-256 of run NUL step");
    is_str(s && s->has_parent ? hex(s->parent_span_id, 8) : "", "2d23f3dbdc4419e9",
           "parent span id = the same recipe applied to the parent's step id");
    tf_span *parent = map1(p, "{`t`: 1, `run`: `run-7`, `step`: `s1`}");
    is_str(parent ? hex(parent->span_id, 8) : "", "2d23f3dbdc4419e9", "the parent record gets exactly that span id");
    ok(parent && !parent->has_parent, "a record without a parent key is a root");
    s = map1(p, "{`t`: 1, `run`: `run-7`, `step`: 3, `parent`: ``}");
    ok(s && !s->has_parent, "an empty parent key means no parent");
    tf_span *s2 = map1(p, "{`t`: 1, `run`: `run-7`, `step`: `3`}");
    ok(s && s2 && !memcmp(s->span_id, s2->span_id, 8), "a number part hashes as its text (3 and \"3\" agree)");
    is_str(reject(p, "{`t`: 1, `run`: `run-7`}"),
           "span.span_id: derive part 2: \"step\" is missing", "a missing derive part rejects, naming the field");
    is_str(reject(p, "{`t`: 1, `step`: `s1`}"), "span.span_id: derive part 1: \"run\" is missing",
           "a missing first part");
    drop(p);

    p = load("{`span`: {`name`: `n`, `start`: `t`, `traceparent`: `tp`, `trace_id`: [`tid`, {`derive`: [`rid`]}],"
             "`span_id`: [`sid`, {`derive`: [`rid`]}], `parent_span_id`: `psid`, `trace_state`: `ts`}}",
             &err);
    ok(p != NULL, "id-field mapping loads (%s)", err ? err : "");
    s = map1(p, "{`t`: 1, `tp`: `00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01`, `rid`: `gen-123`, `ts`: `a=b`}");
    is_str(s ? hex(s->trace_id, 16) : "", "4bf92f3577b34da6a3ce929d0e0e4736", "traceparent gives the trace id");
    is_str(s ? hex(s->parent_span_id, 8) : "", "00f067aa0ba902b7", "and the parent");
    is_int(s ? s->flags : 0, 1, "and the flags");
    is_str(s ? hex(s->span_id, 8) : "", "aa9de714d51f2773", "own span id derived (golden vector gen-123)");
    ok(s && tf_str_eqc(s->trace_state, "a=b"), "trace_state from a field");
    s = map1(p, "{`t`: 1, `tp`: `00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01`, `psid`: `1111111111111111`,"
                "`sid`: `AAAAAAAAAAAAAAAA`}");
    is_str(s ? hex(s->parent_span_id, 8) : "", "1111111111111111", "an explicit parent_span_id wins over traceparent's");
    is_str(s ? hex(s->span_id, 8) : "", "aaaaaaaaaaaaaaaa", "a 16-hex span id is used as given");
    s = map1(p, "{`t`: 1, `tp`: `00-bad`, `tid`: `{4BF92F35-77B3-4DA6-A3CE-929D0E0E4736}`, `rid`: `gen-123`}");
    is_str(s ? hex(s->trace_id, 16) : "", "4bf92f3577b34da6a3ce929d0e0e4736", "invalid traceparent: a UUID trace id");
    ok(s && !s->has_parent, "no parent without one");
    s = map1(p, "{`t`: 1, `tid`: `not-hex`, `rid`: `gen-123`}");
    is_str(s ? hex(s->trace_id, 16) : "", "10c01ff0f1bf15405dd60c6c2deecf0a", "a non-id falls to the derive alternative");
    is_str(reject(p, "{`t`: 1, `tid`: `x`}"),
           "span.span_id: [0] \"sid\" is missing; [1] derive part 1: \"rid\" is missing",
           "no usable span id: every alternative explained");
    drop(p);

    /* Without ids in the mapping, both derive from the record's exact bytes. */
    p = load(SPAN(""), &err);
    s = map1(p, "{`t`: 1}");
    uint8_t t[16], sp[8];
    tf_id_derive("{\"t\": 1}", 8, t, sp);
    ok(s && !memcmp(s->trace_id, t, 16) && !memcmp(s->span_id, sp, 8), "default ids: SHA-256 of the record text");
    drop(p);
}

static void test_values(void)
{
    char *err;
    tf_profile *p = load(
        "{`span`: {`name`: [{`if`: {`field`: `m`, `in`: [`GET`, `HEAD`]}, `template`: `read {path|'/'}`},"
        "  `{m} {path} {{literal}} {obj} {flag}`], `start`: `t`,"
        " `kind`: {`field`: `k`, `map`: {`in`: `server`, `out`: `SPAN_KIND_CLIENT`}},"
        " `status`: [{`if`: {`field`: `code`, `>=`: 500}, `code`: `error`, `message`: `HTTP {code}`},"
        "            {`if`: {`any`: [{`field`: `err`, `exists`: true}, {`not`: {`field`: `ok`, `==`: true}}]},"
        "             `code`: `error`, `message`: `{err.msg}`},"
        "            {`code`: {`field`: `otel`}}],"
        " `attributes`: {"
        "  `s`: `code`, `i`: {`field`: `code`, `type`: `int`}, `d`: {`field`: `lat`, `type`: `double`},"
        "  `b`: {`field`: `hit`, `type`: `bool`}, `j`: {`field`: `obj`, `type`: `json`},"
        "  `str`: {`field`: `lat`, `type`: `string`}, `flat`: `obj`, `arr`: `tags`,"
        "  `idx`: `tags[-1]`, `q`: `obj['x.y']`, `deep`: `list[1].name`,"
        "  `c1`: {`const`: `prod`}, `c2`: 7, `c3`: false, `tpl`: {`template`: `{m}:{code}`},"
        "  `alt`: [`nope`, `also.nope`, {`const`: `fallback`}], `def`: {`field`: `nope`, `default`: 0},"
        "  `bad`: {`field`: `m`, `type`: `int`}, `cond`: {`if`: {`field`: `code`, `<`: 400}, `const`: `ok`},"
        "  `mapped`: {`field`: `m`, `map`: {`GET`: `read`}}, `secret`: {`field`: `m`, `private`: true},"
        "  `pre`: {`if`: {`field`: `path`, `prefix`: `/api/`}, `const`: 1},"
        "  `suf`: {`if`: {`field`: `path`, `suffix`: `.js`}, `const`: 1},"
        "  `has`: {`if`: {`field`: `path`, `contains`: `v1`}, `const`: 1},"
        "  `ne`: {`if`: {`field`: `m`, `!=`: `GET`}, `const`: 1},"
        "  `num`: {`if`: {`field`: `code`, `==`: 502.0}, `const`: 1}}}}",
        &err);
    ok(p != NULL, "value mapping loads (%s)", err ? err : "");
    if (!p)
        return;
    tf_span *s = map1(p, "{`t`: 1, `m`: `POST`, `path`: `/api/v1/x`, `code`: `502`, `lat`: 0.25, `hit`: `True`,"
                         "`obj`: {`a`: 1, `x.y`: `q`, `n`: {`b`: true}}, `flag`: true, `tags`: [`a`, `b`],"
                         "`list`: [{`name`: `zero`}, {`name`: `one`}], `k`: `in`}");
    is_str(name_of(s), "POST /api/v1/x {literal} {\"a\":1,\"x.y\":\"q\",\"n\":{\"b\":true}} true",
           "template: fields, {{ }} braces, objects as JSON, booleans");
    is_int(s ? (long long)s->kind : -1, TF_KIND_SERVER, "kind through a value map");
    is_int(s ? (long long)s->status : -1, TF_STATUS_ERROR, "status rule: a numeric string >= 500 is an error");
    ok(s && tf_str_eqc(s->status_message, "HTTP 502"), "status message template");
    if (s) {
        const tf_attrs *a = &s->attrs;
        is_str(attr(a, "s"), "s:502", "a plain path keeps the value's type");
        is_str(attr(a, "i"), "i:502", "type int converts a numeric string");
        is_str(attr(a, "d"), "d:0.25", "type double");
        is_str(attr(a, "b"), "b:true", "type bool takes True");
        is_str(attr(a, "j"), "s:{\"a\":1,\"x.y\":\"q\",\"n\":{\"b\":true}}", "type json writes the object");
        is_str(attr(a, "str"), "s:0.25", "type string keeps a number's text");
        is_str(attr(a, "flat.a"), "i:1", "an object is flattened (a)");
        is_str(attr(a, "flat.n.b"), "b:true", "an object is flattened (n.b)");
        is_str(attr(a, "arr"), "array:2", "an array stays an array");
        is_str(attr(a, "idx"), "s:b", "negative index counts from the end");
        is_str(attr(a, "q"), "s:q", "quoted key with a dot");
        is_str(attr(a, "deep"), "s:one", "path into an array of objects");
        is_str(attr(a, "c1"), "s:prod", "string constant");
        is_str(attr(a, "c2"), "i:7", "number constant");
        is_str(attr(a, "c3"), "b:false", "boolean constant");
        is_str(attr(a, "tpl"), "s:POST:502", "template attribute");
        is_str(attr(a, "alt"), "s:fallback", "alternatives: first present wins");
        is_str(attr(a, "def"), "i:0", "default when absent");
        is_str(attr(a, "bad"), "(none)", "a failed conversion leaves the attribute out");
        is_str(attr(a, "cond"), "(none)", "a false if leaves the attribute out");
        is_str(attr(a, "mapped"), "s:POST", "a value not in the map passes unchanged");
        is_str(attr(a, "secret"), "s:POST", "a private attribute is kept without --privacy");
        is_str(attr(a, "pre"), "i:1", "prefix");
        is_str(attr(a, "suf"), "(none)", "suffix");
        is_str(attr(a, "has"), "i:1", "contains");
        is_str(attr(a, "ne"), "i:1", "!=");
        is_str(attr(a, "num"), "i:1", "== with a number compares numerically (\"502\" == 502.0)");
    }
    s = map1(p, "{`t`: 1, `m`: `GET`, `code`: 200, `ok`: false, `k`: `out`, `hit`: 0}");
    is_str(name_of(s), "read /", "conditional alternative with a quoted fallback");
    is_int(s ? (long long)s->kind : -1, TF_KIND_CLIENT, "SPAN_KIND_CLIENT through the map");
    is_int(s ? (long long)s->status : -1, TF_STATUS_ERROR, "any/not: ok != true is an error");
    ok(s && s->status_message.len == 0, "a message template with a missing field gives no message");
    if (s) {
        is_str(attr(&s->attrs, "cond"), "s:ok", "a true if keeps the attribute");
        is_str(attr(&s->attrs, "mapped"), "s:read", "value map");
        is_str(attr(&s->attrs, "b"), "b:false", "bool from 0");
        is_str(attr(&s->attrs, "def"), "i:0", "default");
    }
    s = map1(p, "{`t`: 1, `m`: `PUT`, `path`: `/a`, `code`: 200, `ok`: true, `otel`: `STATUS_CODE_OK`, `obj`: 1, `flag`: 0}");
    is_int(s ? (long long)s->status : -1, TF_STATUS_OK, "status code from a field");
    is_int(s ? (long long)s->kind : -1, TF_KIND_INTERNAL, "no kind value: internal");
    is_str(reject(p, "{`t`: 1, `m`: `PUT`, `code`: 200}"),
           "span.name: [0] its \"if\" does not hold; [1] \"path\" is missing (in template \"{m} {path} {{literal}} {obj} "
           "{flag}\")",
           "a name that cannot be built rejects the record, naming the missing field");
    opts.privacy = true;
    s = map1(p, "{`t`: 1, `m`: `GET`, `code`: 200}");
    is_str(s ? attr(&s->attrs, "secret") : "", "(none)", "--privacy leaves private attributes out");
    opts.privacy = false;
    is_str(reject(p, "[1]"), "record is not a JSON object", "a non-object record is rejected");
    drop(p);

    p = load("{`span`: {`name`: `n`, `start`: `t`, `attributes`: {`id`: {`field`: `id`, `required`: true}}}}", &err);
    is_str(reject(p, "{`t`: 1}"), "span.attributes.id: \"id\" is missing", "a required attribute names its field");
    is_str(reject(p, "{`t`: 1, `id`: null}"), "span.attributes.id: \"id\" is missing", "null is missing");
    drop(p);
}

static void test_remaining(void)
{
    char *err;
    tf_profile *p = load("{`null_values`: [``, `-`, [], {}], `skip`: {`field`: `path`, `in`: [`/healthz`]},"
                         "`span`: {`name`: `{m}`, `start`: `t`, `attributes`: {`a.b`: `a.b`, `x`: `y`, `keep`: `a.c`},"
                         "`remaining`: [{`prefix`: `app.`, `exclude`: [`secret`, `meta.token`]},"
                         "{`from`: `meta`, `prefix`: `m.`, `flatten`: false},"
                         "{`from`: `priv`, `prefix`: `p.`, `private`: true}]}}",
                         &err);
    ok(p != NULL, "remaining mapping loads (%s)", err ? err : "");
    if (!p)
        return;
    tf_span *s = map1(p, "{`t`: 1, `m`: `GET`, `a`: {`b`: 1, `c`: 2, `d`: 3}, `y`: 4, `z`: `-`, `e`: ``, `n`: null,"
                         "`secret`: `s`, `meta`: {`token`: `x`, `o`: {`p`: 1}}, `priv`: {`q`: 1}, `w`: [1], `v`: 5,"
                         "`ea`: [], `eo`: {}}");
    is_str(s ? keys_of(&s->attrs) : "", "a.b x keep app.a.d app.w app.v m.token m.o p.q",
           "remaining: used fields, null values ([] too), excludes and other blocks' objects are left out");
    if (s) {
        is_str(attr(&s->attrs, "m.o"), "kvlist:1", "flatten false keeps objects as kvlists");
        is_str(attr(&s->attrs, "x"), "i:4", "explicit attribute");
    }
    opts.privacy = true;
    s = map1(p, "{`t`: 1, `m`: `GET`, `priv`: {`q`: 1}}");
    is_str(s ? keys_of(&s->attrs) : "", "", "--privacy drops a private remaining block");
    opts.privacy = false;
    s = map1(p, "{`t`: 1, `m`: `GET`, `app.v`: 1, `v`: 2}");
    is_str(s ? attr(&s->attrs, "app.v") : "", "i:2", "remaining keys are prefixed (v is app.v)");
    is_str(s ? attr(&s->attrs, "app.app.v") : "", "i:1", "remaining keys are prefixed (app.v is app.app.v)");
    result r = map(p, "{`t`: 1, `m`: `GET`, `path`: `/healthz`}");
    ok(r.rc == TF_MAP_OK && r.out.n == 0, "skip: no span, not a reject");
    is_str(reject(p, "{`t`: 1, `m`: `-`}"), "span.name: \"m\" is missing (in template \"{m}\")",
           "null_values make fields absent");
    drop(p);

    p = load("{`null_values`: [`-`], `span`: {`name`: `n`, `start`: `t`, `attributes`: {`o`: `obj`}}}", &err);
    s = map1(p, "{`t`: 1, `obj`: {`x`: `-`, `y`: 1, `z`: {`w`: `-`}}}");
    is_str(s ? keys_of(&s->attrs) : "", "o.y", "null_values are skipped inside flattened objects too");
    drop(p);

    /* collision: an explicit attribute named like a remaining key wins */
    p = load("{`span`: {`name`: `n`, `start`: `t`, `attributes`: {`status`: `code`}, `remaining`: {}}}", &err);
    s = map1(p, "{`t`: 1, `code`: 1, `status`: `x`}");
    is_str(s ? keys_of(&s->attrs) : "", "status", "explicit attributes win over remaining keys");
    drop(p);
}

static void test_events(void)
{
    char *err;
    tf_profile *p = load("{`span`: {`name`: `n`, `start`: `t`, `duration`: {`field`: `d`, `unit`: `ms`},"
                         "`events`: [{`from`: `ev`, `name`: `{kind|'event'}`, `time`: `at`, `max`: 3,"
                         "  `if`: {`field`: `skip`, `exists`: false},"
                         "  `attributes`: {`run`: `$.run`, `n`: {`field`: `n`, `type`: `int`}},"
                         "  `remaining`: {`prefix`: `e.`}},"
                         " {`from`: `marks`, `name`: `mark`, `offset`: {`field`: `ms`, `unit`: `ms`}},"
                         " {`name`: `first_token`, `time`: `ft`}]}}",
                         &err);
    ok(p != NULL, "event mapping loads (%s)", err ? err : "");
    if (!p)
        return;
    tf_span *s = map1(p, "{`t`: `2024-07-15T23:33:19Z`, `d`: 1000, `run`: `r1`, `ft`: `2024-07-15T23:33:19.5Z`,"
                         "`ev`: [{`kind`: `retry`, `at`: `2024-07-15T23:33:19.1Z`, `n`: `1`, `why`: `429`},"
                         "{`at`: `2024-07-15T23:33:19.2Z`}, {`kind`: `x`, `at`: `bad`}, {`skip`: 1},"
                         "{`kind`: `y`, `at`: `2024-07-15T23:33:19.3Z`}, {`kind`: `z`, `at`: `2024-07-15T23:33:19.4Z`}],"
                         "`marks`: {`ms`: 250}}");
    is_int(s ? (long long)s->n_events : -1, 5, "3 array events (max), 1 from an object, 1 from the record");
    is_int(s ? (long long)s->dropped_events : -1, 2, "an unparseable time and one over max are counted as dropped");
    if (s && s->n_events == 5) {
        tf_event *e = s->events;
        ok(tf_str_eqc(e[0].name, "retry") && e[0].time_ns == 1721086399100000000ull, "event name and time");
        is_str(attr(&e[0].attrs, "run"), "s:r1", "$. reaches the record from inside an event");
        is_str(attr(&e[0].attrs, "n"), "i:1", "event attribute conversion");
        is_str(keys_of(&e[0].attrs), "run n e.why", "event remaining excludes used fields");
        ok(tf_str_eqc(e[1].name, "event"), "event name fallback");
        ok(tf_str_eqc(e[2].name, "y"), "an element whose if fails is skipped (not dropped)");
        ok(tf_str_eqc(e[3].name, "mark") && e[3].time_ns == 1721086399250000000ull, "offset after the span start");
        ok(tf_str_eqc(e[4].name, "first_token") && e[4].time_ns == 1721086399500000000ull, "event from the record");
    }
    s = map1(p, "{`t`: `2024-07-15T23:33:19Z`}");
    is_int(s ? (long long)s->n_events : -1, 0, "no event sources: no events");
    is_int(s ? (long long)s->dropped_events : -1, 1, "a record event whose time is missing is dropped");
    drop(p);
}

static void test_resources(void)
{
    char *err;
    tf_keyval ra[] = { { "deployment.environment.name", "prod" }, { "service.name", "override" } };
    opts.resource_attrs = ra;
    opts.n_resource_attrs = 1;
    tf_profile *p = load("{`resource`: {`service.name`: {`const`: `web`}, `host.name`: `host`},"
                         "`scope`: {`name`: `my.scope`, `version`: `2`},"
                         "`span`: {`name`: `n`, `start`: `t`}}",
                         &err);
    ok(p != NULL, "resource mapping loads");
    tf_span *a = map1(p, "{`t`: 1, `host`: `web-1`}");
    tf_span *b = map1(p, "{`t`: 2, `host`: `web-2`}");
    tf_span *c = map1(p, "{`t`: 3, `host`: `web-1`}");
    tf_span *d = map1(p, "{`t`: 4}");
    ok(a && b && c && d && a->resource == c->resource && a->resource != b->resource && d->resource != a->resource,
       "resources from fields: equal values share one interned resource");
    if (a && d) {
        is_str(keys_of(&a->resource->attrs), "service.name host.name deployment.environment.name",
               "constant, field, then --resource-attr");
        is_str(attr(&a->resource->attrs, "host.name"), "s:web-1", "host from the record");
        is_str(keys_of(&d->resource->attrs), "service.name deployment.environment.name", "a missing field is left out");
        ok(a->scope && tf_str_eqc(a->scope->name, "my.scope") && tf_str_eqc(a->scope->version, "2"), "scope");
    }
    drop(p);
    opts.n_resource_attrs = 2;
    p = load("{`resource`: {`service.name`: {`const`: `web`}}, `span`: {`name`: `n`, `start`: `t`}}", &err);
    a = map1(p, "{`t`: 1}");
    if (a) {
        is_str(attr(&a->resource->attrs, "service.name"), "s:override", "--resource-attr replaces a mapping constant");
        ok(a->scope == env.scope, "default scope: the run's");
    }
    drop(p);
    opts.n_resource_attrs = 0;
    opts.resource_attrs = NULL;
}

/* ---- one profile shared by threads ------------------------------------------ */

#define SHARED_RECORDS 2000
#define SHARED_THREADS 4

static tf_profile *shared;
static char *shared_rec[SHARED_RECORDS];
static char *shared_want[SHARED_RECORDS];

/* Record i: a span (JSON), its resource and scope, or the reject reason. */
static char *map_text(tf_json_parser *jp, tf_arena *a, tf_profile_state *st, size_t i)
{
    tf_err err;
    const char *text = shared_rec[i];
    tf_record rec = { .text = text, .len = strlen(text), .stream = "test", .line = i + 1 };
    rec.json = tf_json_parse_one(jp, a, text, rec.len, &err);
    tf_map_out out = { .arena = a };
    tf_err why;
    tf_err_clear(&why);
    tf_buf b = { 0 };
    if (!rec.json)
        tf_buf_printf(&b, "not JSON: %s", err.msg);
    else if (tf_profile_map(shared, st, &rec, &out, &why) != TF_MAP_OK)
        tf_buf_printf(&b, "reject: %s", why.msg);
    for (size_t k = 0; k < out.n; k++) {
        tf_encode_json_span(&b, out.spans[k]);
        tf_buf_printf(&b, " resource %p scope %p\n", (const void *)out.spans[k]->resource,
                      (const void *)out.spans[k]->scope);
    }
    tf_arena_reset(a);
    char *r = tf_xstrdup(tf_buf_cstr(&b));
    tf_buf_free(&b);
    return r;
}

static void *shared_worker(void *arg)
{
    size_t *mismatches = arg;
    tf_json_parser *jp = tf_json_parser_new();
    tf_arena a;
    tf_arena_init(&a, 16 * 1024);
    tf_profile_state *st = tf_profile_state_new(shared);
    for (size_t i = 0; i < SHARED_RECORDS; i++) {
        char *got = map_text(jp, &a, st, i);
        if (strcmp(got, shared_want[i]))
            ++*mismatches;
        free(got);
    }
    tf_profile_state_free(shared, st);
    tf_arena_free(&a);
    tf_json_parser_free(jp);
    return NULL;
}

/* A profile is immutable once loaded: threads mapping through it at once,
 * each with its own state (memo, caches, scratch), get exactly what one
 * thread gets. Records vary so that the derived-id memo, the resource
 * cache and the template and JSON scratch buffers change all the time. */
static void test_shared(void)
{
    char *err;
    shared = load("{`resource`: {`service.name`: {`const`: `svc`}, `host.name`: `host`},"
                  " `span`: {`name`: `{m} {rid}`, `start`: `t`, `duration`: {`field`: `dur`, `unit`: `s`},"
                  "  `trace_id`: {`derive`: [`host`, `batch`]}, `span_id`: {`derive`: [`rid`]},"
                  "  `status`: {`if`: {`field`: `code`, `>=`: 500}, `code`: `error`, `message`: `HTTP {code}`},"
                  "  `attributes`: {`code`: {`field`: `code`, `type`: `int`}, `x`: {`field`: `extra`, `type`: `json`}},"
                  "  `remaining`: {`prefix`: `r.`}}}",
                  &err);
    ok(shared != NULL, "the shared mapping loads (%s)", err ? err : "");
    free(err);
    if (!shared)
        return;
    for (size_t i = 0; i < SHARED_RECORDS; i++) {
        tf_buf b = { 0 };
        if (i % 97 == 5) /* no time: rejected */
            tf_buf_printf(&b, "{\"rid\": \"r%zu\", \"m\": \"GET\"}", i);
        else
            tf_buf_printf(&b,
                          "{\"t\": \"2024-07-15T10:%02zu:%02zu.%03zuZ\", \"rid\": \"r%zu\", \"host\": \"h%zu\","
                          " \"batch\": %zu, \"m\": \"%s\", \"code\": %zu, \"dur\": \"0.%03zu\","
                          " \"extra\": {\"k\": %zu, \"s\": \"%zu\"}, \"tag%zu\": true}",
                          i / 60 % 60, i % 60, i % 1000, i, i % 7, i / 3, i % 2 ? "GET" : "POST",
                          200 + i % 4 * 100, i % 1000, i, i * 31 % 1000, i % 5);
        shared_rec[i] = tf_xstrdup(tf_buf_cstr(&b));
        tf_buf_free(&b);
    }
    tf_json_parser *jp = tf_json_parser_new();
    tf_arena a;
    tf_arena_init(&a, 16 * 1024);
    tf_profile_state *st = tf_profile_state_new(shared);
    size_t rejects = 0, errors = 0, want_rejects = 0, want_errors = 0;
    for (size_t i = 0; i < SHARED_RECORDS; i++) {
        shared_want[i] = map_text(jp, &a, st, i);
        rejects += !strncmp(shared_want[i], "reject: ", 8);
        errors += strstr(shared_want[i], "\"message\":\"HTTP 500\"") != NULL;
        want_rejects += i % 97 == 5;
        want_errors += i % 97 != 5 && i % 4 == 3;
    }
    tf_profile_state_free(shared, st);
    tf_arena_free(&a);
    tf_json_parser_free(jp);
    is_int(rejects, want_rejects, "one thread: the records without a time are rejected");
    is_str(shared_want[5], "reject: no time: span.start: \"t\" is missing", "one thread: the reject reason");
    is_int(errors, want_errors, "one thread: code 500 gives an error status with its message");

    pthread_t th[SHARED_THREADS];
    size_t mismatches[SHARED_THREADS] = { 0 };
    for (int t = 0; t < SHARED_THREADS; t++)
        pthread_create(&th[t], NULL, shared_worker, &mismatches[t]);
    size_t total = 0;
    for (int t = 0; t < SHARED_THREADS; t++) {
        pthread_join(th[t], NULL);
        total += mismatches[t];
    }
    is_int(total, 0, "%d threads sharing one profile, each with its own state, map %d records as one thread does",
           SHARED_THREADS, SHARED_RECORDS);
    for (size_t i = 0; i < SHARED_RECORDS; i++) {
        free(shared_rec[i]);
        free(shared_want[i]);
    }
    drop(shared);
}

int main(void)
{
    tf_opts_defaults(&opts);
    env.opts = &opts;
    env.interner = tf_interner_new();
    env.scope = tf_intern_scope(env.interner, TF_STR("tracefill"), TF_STR("test"), NULL, TF_STR(""), 0);
    parser = tf_json_parser_new();
    tf_arena_init(&arena, 64 * 1024);

    test_errors();
    test_times();
    test_ids();
    test_values();
    test_remaining();
    test_events();
    test_resources();
    test_shared();

    tf_json_parser_free(parser);
    tf_arena_free(&arena);
    tf_interner_free(env.interner);
    return done_testing();
}
