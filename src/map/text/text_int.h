/* text_int.h: what the text format modules share (not for other callers).
 * format.c compiles specs and owns columns; types.c converts values to
 * tf_json nodes; regex.c, csv.c, logfmt.c and w3c.c split lines. */
#ifndef TF_TEXT_INT_H
#define TF_TEXT_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <pthread.h>

#include "map/text/text.h"

/* ---- types ------------------------------------------------------------------ */

typedef enum {
    TK_STRING, TK_ESCAPED, TK_URLENC, TK_INT, TK_SIZE, TK_NUMBER, TK_AUTO, TK_BOOL,
    TK_TIME, TK_DURATION, TK_TRACEPARENT, TK_B3, TK_XRAY,
} tf_tkind;

typedef enum { TT_AUTO, TT_ISO, TT_CLF, TT_HTTP, TT_EPOCH, TT_STRF } tf_ttime;

typedef struct {
    tf_tkind kind;
    tf_ttime time;
    uint64_t units;   /* epoch and duration units per second; 0: guessed or suffixed */
    const char *strf; /* TT_STRF: the strptime format */
    const char *spec; /* as written ("time:clf") */
} tf_text_type;

/* Parses a type spec into *out (strings copied into a). false with err:
 * "expected a type (string, escaped, ...), got \"integer\"". */
bool tf_text_type_parse(const char *spec, tf_text_type *out, tf_arena *a, tf_err *err);

/* ---- columns ------------------------------------------------------------------- */

struct tf_text_columns {
    size_t n;
    tf_str *names; /* NUL-terminated, owned by the format */
    const tf_text_type **types;
    /* regex: column i takes the first set group of groups[first[i] .. first[i+1]) */
    uint32_t *first, *groups;
    /* w3c: both "date" and "time" present and no "timestamp": the record gains
     * "timestamp" (a time) built from them */
    long date_col, time_col;
    /* interning (format-owned) */
    tf_text_columns *next;
    const char *key;
    size_t keylen;
};

/* ---- the format ----------------------------------------------------------------- */

typedef enum { FK_REGEX, FK_CSV, FK_TSV, FK_LOGFMT, FK_W3C } tf_fkind;

typedef struct {
    tf_str name;
    const tf_text_type *type;
} tf_named_type;

struct tf_text_format {
    tf_fkind kind;
    const char *name;             /* preset or kind, for messages */
    const tf_text_preset *preset; /* or NULL */
    int delim, quote;
    bool header;                  /* csv: the first line is a header row */
    tf_named_type *named;         /* field name -> type, later entries win */
    size_t n_named;
    const tf_text_type *deftype;
    tf_str *nulls;
    size_t n_nulls;
    uint64_t now_ns;
    tf_text_columns *fixed; /* or NULL */
    /* regex */
    pcre2_code *re;
    bool jit;
    size_t ngroups;
    tf_arena arena; /* everything above */
    /* Column sets from header lines: the one part that changes after
     * compiling, behind its own lock. */
    struct tf_text_interner {
        pthread_mutex_t lock;
        tf_arena arena;
        tf_text_columns *list;
    } *interner;
};

/* "format.fields.status", or "format.fields['x.y']" for a name a path
 * would split; returns out. */
const char *tf_text_field_key(char *out, size_t n, const char *name);

/* The type for a field name (the named table, else the default). */
const tf_text_type *tf_text_type_for(const tf_text_format *f, const char *name, size_t len);

/* Columns from names (copied), typed by name; interned: equal name lists
 * give the same pointer. NULL with err for an empty or repeated name
 * (what: "header row", "#Fields:"). Thread-safe. */
const tf_text_columns *tf_text_columns_intern(const tf_text_format *f, const tf_str *names, size_t n,
                                              const char *what, tf_err *err);

/* ---- the parser --------------------------------------------------------------------- */

struct tf_text_parser {
    const tf_text_format *f;
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    pcre2_jit_stack *jit_stack;
    tf_str *vals; /* field slices of the current line */
    bool *set;
    size_t cap;
    tf_buf scratch; /* unquoted CSV fields, decoded logfmt values */
};

/* Makes room for n field slices. */
void tf_text_parser_reserve(tf_text_parser *p, size_t n);

/* ---- values and nodes ------------------------------------------------------------------ */

tf_json *tf_text_node(tf_arena *a, tf_json_type t);
/* A string node: a NUL-terminated copy, invalid UTF-8 replaced by U+FFFD. */
tf_json *tf_text_string(tf_arena *a, const char *p, size_t len);
/* An object with room for n members (n set to 0; add with tf_text_put). */
tf_json *tf_text_object(tf_arena *a, size_t cap);
void tf_text_put(tf_json *obj, const char *key, size_t keylen, tf_json *v);

/* Converts one field's text: *out is a node (JSON null for a null token or
 * an absent field). TF_TEXT_BADVALUE with why naming the field. */
int tf_text_value(const tf_text_format *f, const tf_text_type *t, tf_arena *a, const char *name,
                  const char *p, size_t len, bool present, tf_json **out, tf_err *why);

/* Builds the record from p->vals / p->set against cols (values for each column). */
int tf_text_build(tf_text_parser *p, const tf_text_columns *cols, tf_arena *a, tf_json **out,
                  tf_err *why);

/* Appends up to max bytes of s as a quoted excerpt for a message ("..." when cut). */
void tf_text_excerpt(tf_buf *out, const char *s, size_t len, size_t max);

/* ---- the formats ------------------------------------------------------------------------ */

int tf_text_regex_compile(tf_text_format *f, const char *pattern, tf_err *err);
int tf_text_regex_parser_init(tf_text_parser *p, tf_err *err);
void tf_text_regex_parser_free(tf_text_parser *p);
int tf_text_regex_parse(tf_text_parser *p, const tf_text_columns *cols, tf_arena *a,
                        const char *line, size_t len, tf_json **out, tf_err *why);

/* Splits a CSV line into p->vals (quoted fields unescaped into p->scratch);
 * *n gets the field count. NOMATCH with why on bad quoting. */
int tf_text_csv_split(tf_text_parser *p, const char *line, size_t len, size_t *n, tf_err *why);
/* The same for a header line, without a parser; names go to out (malloc'd
 * array in *names, texts in *buf). */
int tf_text_csv_header(const tf_text_format *f, const char *line, size_t len, tf_buf *buf,
                       tf_str **names, size_t *n, tf_err *err);

int tf_text_logfmt_parse(tf_text_parser *p, tf_arena *a, const char *line, size_t len,
                         tf_json **out, tf_err *why);

int tf_text_w3c_split(tf_text_parser *p, const char *line, size_t len, size_t *n);
/* "#Fields: a b c" -> names (slices of line, malloc'd array); false for other
 * directives. */
bool tf_text_w3c_fields(const char *line, size_t len, tf_str **names, size_t *n);

#endif
