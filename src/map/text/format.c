/* format.c: compiling a tf_text_spec (with its preset) into a shared,
 * read-only tf_text_format; interned column sets; the per-stream state
 * (header rows, W3C directives); the per-worker parser's dispatch; the
 * early-stop gate. */
#include "config.h"
#include "map/text/text_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    tf_fkind kind;
} fkinds[] = {
    { "regex", FK_REGEX }, { "csv", FK_CSV }, { "tsv", FK_TSV }, { "logfmt", FK_LOGFMT }, { "w3c", FK_W3C },
};

static const char *kind_name(tf_fkind k)
{
    for (size_t i = 0; i < TF_ARRAY_LEN(fkinds); i++)
        if (fkinds[i].kind == k)
            return fkinds[i].name;
    return "?";
}

/* ---- types by field name ------------------------------------------------- */

const tf_text_type *tf_text_type_for(const tf_text_format *f, const char *name, size_t len)
{
    for (size_t i = f->n_named; i-- > 0;)
        if (f->named[i].name.len == len && !memcmp(f->named[i].name.p, name, len))
            return f->named[i].type;
    return f->deftype;
}

/* "format.fields.status", or "format.fields['x.y']" for a name that a
 * path would split. */
const char *tf_text_field_key(char *out, size_t n, const char *name)
{
    snprintf(out, n, strpbrk(name, ".[]'\"") ? "format.fields['%s']" : "format.fields.%s", name);
    return out;
}

static int add_types(tf_text_format *f, const tf_text_field *fields, size_t n, tf_err *err)
{
    char key[160];
    for (size_t i = 0; i < n; i++) {
        tf_text_type *t = tf_arena_alloc(&f->arena, sizeof *t);
        tf_err e;
        if (!tf_text_type_parse(fields[i].type, t, &f->arena, &e))
            return tf_err_set(err, "\"%s\": %s", tf_text_field_key(key, sizeof key, fields[i].name), e.msg);
        if (!strcmp(fields[i].name, "*")) {
            f->deftype = t;
            continue;
        }
        size_t len = strlen(fields[i].name);
        f->named[f->n_named].name = (tf_str){ tf_arena_strndup(&f->arena, fields[i].name, len), len };
        f->named[f->n_named++].type = t;
    }
    return 0;
}

/* ---- columns --------------------------------------------------------------- */

static tf_text_columns *columns_make(const tf_text_format *f, tf_arena *a, const tf_str *names,
                                     size_t n)
{
    tf_text_columns *c = tf_arena_calloc(a, sizeof *c);
    c->n = n;
    c->names = tf_arena_alloc(a, (n ? n : 1) * sizeof *c->names);
    c->types = tf_arena_alloc(a, (n ? n : 1) * sizeof *c->types);
    c->date_col = c->time_col = -1;
    long ts = -1;
    for (size_t i = 0; i < n; i++) {
        c->names[i] = (tf_str){ tf_arena_strndup(a, names[i].p, names[i].len), names[i].len };
        c->types[i] = tf_text_type_for(f, names[i].p, names[i].len);
        if (tf_str_eqc(names[i], "date"))
            c->date_col = (long)i;
        else if (tf_str_eqc(names[i], "time"))
            c->time_col = (long)i;
        else if (tf_str_eqc(names[i], "timestamp"))
            ts = (long)i;
    }
    if (f->kind != FK_W3C || c->date_col < 0 || c->time_col < 0 || ts >= 0)
        c->date_col = c->time_col = -1;
    return c;
}

static int check_names(const tf_str *names, size_t n, const char *what, tf_err *err)
{
    for (size_t i = 0; i < n; i++) {
        if (names[i].len == 0)
            return tf_err_set(err, "%s: column %zu has no name", what, i + 1);
        for (size_t j = 0; j < i; j++)
            if (tf_str_eq(names[i], names[j]))
                return tf_err_set(err, "%s: \"%.*s\" twice (columns %zu and %zu)", what,
                                  (int)names[i].len, names[i].p, j + 1, i + 1);
    }
    return 0;
}

static bool same_names(const tf_text_columns *c, const tf_str *names, size_t n)
{
    if (c->n != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!tf_str_eq(c->names[i], names[i]))
            return false;
    return true;
}

const tf_text_columns *tf_text_columns_intern(const tf_text_format *f, const tf_str *names, size_t n,
                                              const char *what, tf_err *err)
{
    if (n == 0) {
        tf_err_set(err, "%s: no column names", what);
        return NULL;
    }
    if (check_names(names, n, what, err) != 0)
        return NULL;
    if (f->fixed && same_names(f->fixed, names, n))
        return f->fixed;
    struct tf_text_interner *in = f->interner;
    pthread_mutex_lock(&in->lock);
    tf_text_columns *c = NULL;
    for (tf_text_columns *x = in->list; x && !c; x = x->next)
        if (same_names(x, names, n))
            c = x;
    if (!c) {
        c = columns_make(f, &in->arena, names, n);
        c->next = in->list;
        in->list = c;
    }
    pthread_mutex_unlock(&in->lock);
    return c;
}

size_t tf_text_columns_count(const tf_text_columns *c)
{
    return c ? c->n : 0;
}

const char *tf_text_columns_name(const tf_text_columns *c, size_t i)
{
    return c && i < c->n ? c->names[i].p : NULL;
}

const char *tf_text_columns_type(const tf_text_columns *c, size_t i)
{
    return c && i < c->n ? c->types[i]->spec : NULL;
}

/* ---- compiling ------------------------------------------------------------------ */

static int spec_kind(const tf_text_spec *s, const tf_text_preset *pr, tf_fkind *k, tf_err *err)
{
    const char *name = s->format ? s->format : pr ? pr->format : NULL;
    if (!name)
        return tf_err_set(err, "\"format\": give a format (regex, csv, tsv, logfmt, w3c) or a preset");
    for (size_t i = 0; i < TF_ARRAY_LEN(fkinds); i++) {
        if (!strcmp(fkinds[i].name, name)) {
            *k = fkinds[i].kind;
            if (pr && strcmp(pr->format, name) != 0)
                return tf_err_set(err, "\"format\": the preset %s is a %s format, not %s", pr->name,
                                  pr->format, name);
            return 0;
        }
    }
    return tf_err_set(err, "\"format\": expected regex, csv, tsv, logfmt, w3c or a preset, got \"%s\"", name);
}

static int unknown_preset(const char *name, tf_err *err)
{
    tf_buf b = { 0 };
    size_t n;
    const tf_text_preset *p = tf_text_presets(&n);
    for (size_t i = 0; i < n; i++)
        tf_buf_printf(&b, "%s%s", i ? ", " : "", p[i].name);
    tf_err_set(err, "\"format.preset\": unknown preset \"%s\" (one of: %s)", name, tf_buf_cstr(&b));
    tf_buf_free(&b);
    return -1;
}

/* Options that only some formats take. */
static int check_options(const tf_text_spec *s, tf_fkind k, tf_err *err)
{
    const char *kn = kind_name(k);
    if ((s->pattern || s->append) && k != FK_REGEX)
        return tf_err_set(err, "\"format.%s\": only a regex format has a pattern (this is %s)",
                          s->pattern ? "pattern" : "append", kn);
    if (s->n_columns && k != FK_CSV && k != FK_TSV && k != FK_W3C)
        return tf_err_set(err, "\"format.columns\": %s names its fields itself", kn);
    if (s->header >= 0 && k != FK_CSV && k != FK_TSV)
        return tf_err_set(err, "\"format.header\": only csv and tsv have a header row (this is %s)", kn);
    if (s->delimiter >= 0 && k != FK_CSV && k != FK_TSV && k != FK_W3C)
        return tf_err_set(err, "\"format.delimiter\": %s has no delimiter", kn);
    if (s->quote >= 0 && k != FK_CSV && k != FK_TSV)
        return tf_err_set(err, "\"format.quote\": only csv and tsv quote fields (this is %s)", kn);
    return 0;
}

static int setup_nulls(tf_text_format *f, const tf_text_spec *s, const tf_text_preset *pr)
{
    const char *const *nulls = s->has_nulls ? s->nulls : pr ? pr->nulls : NULL;
    size_t n = s->has_nulls ? s->n_nulls : pr ? pr->n_nulls : 0;
    f->nulls = tf_arena_alloc(&f->arena, (n ? n : 1) * sizeof *f->nulls);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(nulls[i]);
        f->nulls[i] = (tf_str){ tf_arena_strndup(&f->arena, nulls[i], len), len };
    }
    f->n_nulls = n;
    return 0;
}

/* The regex: the preset's pattern with "append" put before its final '$'. */
static int setup_regex(tf_text_format *f, const tf_text_spec *s, const tf_text_preset *pr, tf_err *err)
{
    const char *pat = s->pattern ? s->pattern : pr ? pr->pattern : NULL;
    if (!pat)
        return tf_err_set(err, "\"format.pattern\": a regex format needs a pattern");
    if (!s->append)
        return tf_text_regex_compile(f, pat, err);
    if (s->pattern || !pr)
        return tf_err_set(err, "\"format.append\": adds to a preset's pattern; with your own pattern, "
                               "write the whole of it");
    if (!pr->extensible)
        return tf_err_set(err, "\"format.append\": the preset %s has a fixed layout", pr->name);
    size_t n = strlen(pat);
    if (n > 0 && pat[n - 1] == '$')
        n--;
    char *full = tf_xasprintf("%.*s%s$", (int)n, pat, s->append);
    int rc = tf_text_regex_compile(f, full, err);
    free(full);
    return rc;
}

/* Every type the user named must be a group of the pattern (a typo would
 * otherwise silently do nothing). */
static int check_regex_fields(const tf_text_format *f, const tf_text_spec *s, tf_err *err)
{
    char key[160];
    for (size_t i = 0; i < s->n_fields; i++) {
        const char *name = s->fields[i].name;
        if (!strcmp(name, "*"))
            continue;
        bool found = false;
        for (size_t j = 0; j < f->fixed->n && !found; j++)
            found = tf_str_eqc(f->fixed->names[j], name);
        if (!found)
            return tf_err_set(err, "\"%s\": the pattern has no group of that name",
                              tf_text_field_key(key, sizeof key, name));
    }
    return 0;
}

static int setup_columns(tf_text_format *f, const tf_text_spec *s, const tf_text_preset *pr, tf_err *err)
{
    const char *const *cols = s->n_columns ? s->columns : pr ? pr->columns : NULL;
    size_t n = s->n_columns ? s->n_columns : pr ? pr->n_columns : 0;
    if (f->kind == FK_CSV || f->kind == FK_TSV) {
        f->header = s->header < 0 ? n == 0 : s->header == 1;
        if (n == 0 && !f->header)
            return tf_err_set(err, "\"format\": %s without a header row needs \"columns\"", kind_name(f->kind));
    }
    if (n == 0)
        return 0;
    tf_str *names = tf_xcalloc(n, sizeof *names);
    for (size_t i = 0; i < n; i++)
        names[i] = tf_str_c(cols[i]);
    tf_err e;
    int rc = check_names(names, n, "\"format.columns\"", &e);
    if (rc == 0)
        f->fixed = columns_make(f, &f->arena, names, n);
    else
        tf_err_set(err, "%s", e.msg);
    free(names);
    return rc;
}

static int compile(tf_text_format *f, const tf_text_spec *s, const tf_text_preset *pr, tf_err *err)
{
    if (spec_kind(s, pr, &f->kind, err) != 0 || check_options(s, f->kind, err) != 0)
        return -1;
    f->name = pr ? pr->name : kind_name(f->kind);
    f->delim = s->delimiter >= 0 ? s->delimiter
               : pr && pr->delimiter ? pr->delimiter
               : f->kind == FK_CSV   ? ','
               : f->kind == FK_TSV   ? '\t'
                                     : ' ';
    f->quote = s->quote >= 0 ? s->quote : '"';
    if (f->quote && f->quote == f->delim)
        return tf_err_set(err, "\"format.quote\": the same character as the delimiter");
    f->now_ns = s->now_ns;
    size_t nf = (pr ? pr->n_fields : 0) + s->n_fields;
    f->named = tf_arena_alloc(&f->arena, (nf ? nf : 1) * sizeof *f->named);
    tf_text_type *def = tf_arena_alloc(&f->arena, sizeof *def);
    tf_text_type_parse("string", def, &f->arena, NULL);
    f->deftype = def;
    if ((pr && add_types(f, pr->fields, pr->n_fields, err) != 0) ||
        add_types(f, s->fields, s->n_fields, err) != 0)
        return -1;
    setup_nulls(f, s, pr);
    if (f->kind == FK_REGEX)
        return setup_regex(f, s, pr, err) != 0 ? -1 : check_regex_fields(f, s, err);
    return setup_columns(f, s, pr, err);
}

tf_text_format *tf_text_format_new(const tf_text_spec *spec, tf_err *err)
{
    const tf_text_preset *pr = NULL;
    if (spec->preset && !(pr = tf_text_preset_find(spec->preset))) {
        unknown_preset(spec->preset, err);
        return NULL;
    }
    tf_text_format *f = tf_xcalloc(1, sizeof *f);
    tf_arena_init(&f->arena, 16384);
    f->interner = tf_xcalloc(1, sizeof *f->interner);
    pthread_mutex_init(&f->interner->lock, NULL);
    tf_arena_init(&f->interner->arena, 16384);
    f->preset = pr;
    if (compile(f, spec, pr, err) != 0) {
        tf_text_format_free(f);
        return NULL;
    }
    return f;
}

void tf_text_format_free(tf_text_format *f)
{
    if (!f)
        return;
    if (f->re)
        pcre2_code_free(f->re);
    pthread_mutex_destroy(&f->interner->lock);
    tf_arena_free(&f->interner->arena);
    free(f->interner);
    tf_arena_free(&f->arena);
    free(f);
}

const char *tf_text_format_name(const tf_text_format *f)
{
    return f->name;
}

const char *tf_text_format_kind(const tf_text_format *f)
{
    return kind_name(f->kind);
}

const tf_text_columns *tf_text_format_columns(const tf_text_format *f)
{
    return f->fixed;
}

void tf_text_format_describe(const tf_text_format *f, tf_buf *out)
{
    tf_buf_puts(out, kind_name(f->kind));
    if (f->preset)
        tf_buf_printf(out, ", preset %s", f->preset->name);
    if (f->kind == FK_CSV || f->kind == FK_TSV || f->kind == FK_W3C) {
        if (f->delim == '\t')
            tf_buf_puts(out, ", tab-separated");
        else
            tf_buf_printf(out, ", delimiter '%c'", f->delim);
    }
    if (f->kind == FK_REGEX)
        tf_buf_printf(out, ", %zu fields, PCRE2%s", f->fixed->n, f->jit ? " JIT" : " (no JIT)");
    else if (f->kind == FK_W3C)
        tf_buf_printf(out, f->fixed ? ", %zu columns until a #Fields: directive" : ", columns from #Fields:",
                      f->fixed ? f->fixed->n : 0);
    else if (f->kind != FK_LOGFMT && f->fixed)
        tf_buf_printf(out, ", %zu columns%s", f->fixed->n, f->header ? " (header row skipped)" : "");
    else if (f->kind != FK_LOGFMT)
        tf_buf_puts(out, ", columns from the header row");
}

/* ---- per stream ------------------------------------------------------------------- */

struct tf_text_stream {
    const tf_text_format *f;
    const tf_text_columns *cols;
    bool started;
    tf_buf buf;
};

tf_text_stream *tf_text_stream_new(const tf_text_format *f)
{
    tf_text_stream *s = tf_xcalloc(1, sizeof *s);
    s->f = f;
    s->cols = f->fixed;
    return s;
}

void tf_text_stream_free(tf_text_stream *s)
{
    if (!s)
        return;
    tf_buf_free(&s->buf);
    free(s);
}

void tf_text_stream_reset(tf_text_stream *s)
{
    s->cols = s->f->fixed;
    s->started = false;
}

static int csv_header_line(tf_text_stream *s, const char *line, size_t len, tf_err *err)
{
    tf_str *names = NULL;
    size_t n = 0;
    if (tf_text_csv_header(s->f, line, len, &s->buf, &names, &n, err) != 0)
        return -1;
    s->cols = tf_text_columns_intern(s->f, names, n, "header row", err);
    free(names);
    return s->cols ? TF_TEXT_HEADER : -1;
}

int tf_text_stream_line(tf_text_stream *s, const char *line, size_t len,
                        const tf_text_columns **cols, tf_err *err)
{
    const tf_text_format *f = s->f;
    bool first = !s->started;
    s->started = true;
    *cols = s->cols;
    if ((f->kind == FK_CSV || f->kind == FK_TSV) && first && f->header) {
        if (f->fixed)
            return TF_TEXT_HEADER; /* the columns were given: skip the row */
        int rc = csv_header_line(s, line, len, err);
        *cols = s->cols;
        return rc;
    }
    if (f->kind == FK_W3C && len > 0 && line[0] == '#') {
        tf_str *names = NULL;
        size_t n = 0;
        if (tf_text_w3c_fields(line, len, &names, &n)) {
            const tf_text_columns *c = tf_text_columns_intern(f, names, n, "#Fields: directive", err);
            free(names);
            if (!c)
                return -1;
            s->cols = *cols = c;
        }
        return TF_TEXT_HEADER;
    }
    return TF_TEXT_DATA;
}

/* ---- per worker ---------------------------------------------------------------------- */

void tf_text_parser_reserve(tf_text_parser *p, size_t n)
{
    if (n <= p->cap)
        return;
    size_t cap = p->cap ? p->cap : 32;
    while (cap < n)
        cap *= 2;
    p->vals = tf_xrealloc(p->vals, cap * sizeof *p->vals);
    p->set = tf_xrealloc(p->set, cap * sizeof *p->set);
    p->cap = cap;
}

tf_text_parser *tf_text_parser_new(const tf_text_format *f)
{
    tf_text_parser *p = tf_xcalloc(1, sizeof *p);
    p->f = f;
    tf_text_parser_reserve(p, f->fixed ? f->fixed->n : 32);
    if (f->kind == FK_REGEX && tf_text_regex_parser_init(p, NULL) != 0) {
        tf_text_parser_free(p);
        return NULL;
    }
    return p;
}

void tf_text_parser_free(tf_text_parser *p)
{
    if (!p)
        return;
    tf_text_regex_parser_free(p);
    free(p->vals);
    free(p->set);
    tf_buf_free(&p->scratch);
    free(p);
}

static int split_columns(tf_text_parser *p, const tf_text_columns *cols, tf_arena *a,
                         const char *line, size_t len, tf_json **out, tf_err *why)
{
    const tf_text_format *f = p->f;
    if (!cols) {
        tf_err_set(why, f->kind == FK_W3C ? "no #Fields: directive before this line"
                                          : "no header row before this line");
        return TF_TEXT_NOMATCH;
    }
    size_t n = 0;
    int rc = f->kind == FK_W3C ? tf_text_w3c_split(p, line, len, &n)
                               : tf_text_csv_split(p, line, len, &n, why);
    if (rc != TF_TEXT_OK)
        return rc;
    if (n != cols->n) {
        const char *fs = n == 1 ? "" : "s", *cs = cols->n == 1 ? "" : "s";
        if (f->kind == FK_W3C) /* from #Fields: or the preset's defaults */
            tf_err_set(why, "%zu field%s, but %zu column%s", n, fs, cols->n, cs);
        else if (cols == f->fixed)
            tf_err_set(why, "%zu field%s, but \"columns\" names %zu", n, fs, cols->n);
        else
            tf_err_set(why, "%zu field%s, but the header row names %zu column%s", n, fs, cols->n, cs);
        return TF_TEXT_NOMATCH;
    }
    for (size_t i = 0; i < n; i++)
        p->set[i] = true;
    return tf_text_build(p, cols, a, out, why);
}

int tf_text_parse(tf_text_parser *p, const tf_text_columns *cols, tf_arena *arena,
                  const char *line, size_t len, tf_json **out, tf_err *why)
{
    switch (p->f->kind) {
    case FK_REGEX:
        return tf_text_regex_parse(p, p->f->fixed, arena, line, len, out, why);
    case FK_LOGFMT:
        return tf_text_logfmt_parse(p, arena, line, len, out, why);
    case FK_CSV:
    case FK_TSV:
    case FK_W3C:
        break;
    }
    return split_columns(p, cols, arena, line, len, out, why);
}

/* ---- the early stop ---------------------------------------------------------------------- */

bool tf_text_gate_count(tf_text_gate *g, const tf_text_format *f, bool matched, tf_err *err)
{
    if (g->seen >= TF_TEXT_GATE_LINES)
        return false;
    g->seen++;
    if (matched)
        g->matched++;
    if (g->seen < TF_TEXT_GATE_LINES || g->matched > 0)
        return false;
    tf_err_set(err, "0 of the first %d lines match %s: is this the right format?", TF_TEXT_GATE_LINES,
               f->name);
    return true;
}
