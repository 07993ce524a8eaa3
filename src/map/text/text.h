/* text.h: text log formats: one line of an access log, a CSV export or a
 * logfmt stream becomes one record, a tf_json object, so that a mapping
 * file's paths, templates, conditions and "remaining" work on text logs as
 * they do on JSON (doc/mapping.md, "Text logs").
 *
 * Formats: "regex" (a PCRE2 pattern whose named groups are the fields),
 * "csv" and "tsv" (RFC 4180 quoting; a header row or explicit columns),
 * "logfmt", "w3c" (W3C extended, the "#Fields:" directive names the
 * columns); and presets on top of them (tf_text_presets): nginx-combined,
 * apache-combined, common, aws-alb, aws-cloudfront, envoy.
 *
 * Values are typed per field (tf_text_field): strings (as logged, or with
 * the log's escapes decoded), integers and numbers (a NUMBER node keeping
 * the exact decimal text), times (an RFC 3339 UTC string with nine fraction
 * digits: "2024-07-15T23:33:19.433000000Z"), durations (a NUMBER of seconds:
 * 57 ms is 0.057; negative, as ALB's -1, means none), trace context headers
 * (traceparent, b3, xray: an object {trace_id, parent_span_id, sampled,
 * traceparent}). A null token ("-" in the presets) is JSON null. Strings are
 * valid UTF-8: an invalid byte becomes U+FFFD.
 *
 * Threads and ownership, in the run's pattern "compiled once, immutable and
 * shared; per-worker state separate":
 *   tf_text_format  compiled once per run from a tf_text_spec; shared
 *                   read-only by every thread (the PCRE2 code, JIT-compiled
 *                   when the library can). It also owns the column sets that
 *                   header lines produce: they are interned under a lock and
 *                   live as long as the format, so records may point at them.
 *   tf_text_stream  one per input stream, fed every line in stream order by
 *                   one thread: a CSV header row, W3C "#" directives (and
 *                   "#Fields:") are consumed there and set the columns for the
 *                   lines after them.
 *   tf_text_parser  one per worker thread (PCRE2 match data, JIT stack,
 *                   scratch): a data line and its columns -> a record.
 * A record and its strings live in the caller's arena. Messages are one line
 * and name no line number (the caller knows it and adds it):
 *     "does not match nginx-combined from byte 58: \"abc \\\"-\\\" ...\""
 *     "field \"status\": \"2xx\" is not an integer"
 *     "7 fields, but the header row names 6 columns"
 * Nothing here prints. */
#ifndef TF_TEXT_H
#define TF_TEXT_H

#include "common/err.h"
#include "common/json.h"

typedef struct tf_text_format tf_text_format;
typedef struct tf_text_columns tf_text_columns;

/* ---- the spec: what a mapping file's "format" says ----------------------- */

/* A field's type, by name: "string" (default), "escaped" (backslash escapes
 * as nginx and Apache write them: \xHH \" \\ \n \r \t), "urlencoded" (%HH),
 * "int", "size" (an int where the null token means 0: CLF's %b), "number",
 * "auto" (a JSON number, else a string), "bool", "time[:FORMAT]" (FORMAT:
 * auto, iso8601, rfc3339, clf, http, epoch, epoch:s|ms|us|ns, or a strptime
 * format with '%'), "duration[:s|ms|us|ns]" (without a unit: suffixed,
 * "250ms"), "traceparent", "b3", "xray". The name "*" sets the type of
 * fields without one. */
typedef struct {
    const char *name;
    const char *type;
    const char *doc; /* presets: what the field is (NULL in user specs) */
} tf_text_field;

typedef struct {
    const char *format;  /* "regex", "csv", "tsv", "logfmt", "w3c"; NULL: the preset's */
    const char *preset;  /* NULL or a name from tf_text_presets */
    const char *pattern; /* regex: the pattern (replaces the preset's) */
    const char *append;  /* regex: more pattern after the preset's last field */
    const char *const *columns; /* csv, tsv, w3c: column names (n_columns > 0) */
    size_t n_columns;
    int header;    /* csv, tsv: 1 the first line is a header row (skipped when columns
                      are given), 0 there is none, -1 default (1 without columns) */
    int delimiter; /* csv, w3c: one byte, -1 default (',' csv, '\t' tsv, ' ' w3c) */
    int quote;     /* csv, tsv: one byte, 0 no quoting, -1 default '"' */
    const tf_text_field *fields; /* types, over the preset's */
    size_t n_fields;
    const char *const *nulls; /* tokens meaning "no value" (has_nulls: replaces the preset's) */
    size_t n_nulls;
    bool has_nulls;
    uint64_t now_ns; /* resolves two-digit years of "time:http" (RFC 850) */
} tf_text_spec;

/* A mapping file's "format": "json" (the default), a format or preset name
 * ("csv", "nginx-combined"), or an object {"type", "preset", "pattern",
 * "append", "columns", "header", "delimiter", "quote", "fields": {name:
 * type}, "null": [tokens]} (doc/mapping.md, "Text logs"). Returns 0 for
 * JSON (*out NULL), 1 with *out compiled, -1 with err naming the key:
 * "\"format.delimiter\": expected one ASCII character, got \";;\"". */
int tf_text_format_from_json(const tf_json *v, uint64_t now_ns, tf_text_format **out, tf_err *err);

/* ---- presets --------------------------------------------------------------- */

typedef struct {
    const char *name;
    const char *format;  /* the format it builds on */
    const char *pattern; /* regex presets */
    bool extensible;     /* regex: "append" may add fields after the last one */
    int delimiter;       /* w3c presets */
    const char *const *columns; /* w3c presets: the columns until a "#Fields:" says otherwise */
    size_t n_columns;
    const tf_text_field *fields; /* name, type, doc: every field of the pattern or
                                    columns, then types for well-known extra names */
    size_t n_fields;
    const char *const *nulls;
    size_t n_nulls;
    const char *doc; /* one line: what logs it reads */
} tf_text_preset;

const tf_text_preset *tf_text_presets(size_t *n);
const tf_text_preset *tf_text_preset_find(const char *name);

/* ---- the compiled format (shared, read-only) ---------------------------------- */

/* NULL with err naming the mapping key: "\"format.pattern\": at character
 * 17: missing closing parenthesis", "\"format.fields.request_tme\": the
 * pattern has no group of that name", "\"format.preset\": unknown preset
 * \"nginx\" (one of: ...)". */
tf_text_format *tf_text_format_new(const tf_text_spec *spec, tf_err *err);
void tf_text_format_free(tf_text_format *f);
/* The preset's name, else the format's ("nginx-combined", "csv"). */
const char *tf_text_format_name(const tf_text_format *f);
/* "regex", "csv", "tsv", "logfmt" or "w3c". */
const char *tf_text_format_kind(const tf_text_format *f);
/* One line for inspect: "regex, preset nginx-combined, 13 fields, PCRE2 JIT". */
void tf_text_format_describe(const tf_text_format *f, tf_buf *out);
/* The columns known before any line (regex groups, explicit columns, a w3c
 * preset's defaults); NULL when a header row or "#Fields:" must name them,
 * and for logfmt (whose keys are on each line). */
const tf_text_columns *tf_text_format_columns(const tf_text_format *f);

size_t tf_text_columns_count(const tf_text_columns *c);
const char *tf_text_columns_name(const tf_text_columns *c, size_t i);
/* The type of column i as written in the spec ("time:clf"). */
const char *tf_text_columns_type(const tf_text_columns *c, size_t i);

/* ---- per stream (one thread, every line in order) ------------------------------ */

typedef struct tf_text_stream tf_text_stream;

enum {
    TF_TEXT_DATA = 0,   /* a data line: parse it with *cols (may be NULL: see tf_text_parse) */
    TF_TEXT_HEADER = 1, /* a header row, "#" directive or comment: no record */
};

tf_text_stream *tf_text_stream_new(const tf_text_format *f);
void tf_text_stream_free(tf_text_stream *s);
/* Forgets the header: the next line starts a new stream. */
void tf_text_stream_reset(tf_text_stream *s);
/* Looks at the stream's next line. *cols is valid for the format's lifetime.
 * -1 with err on a header that cannot name columns ("header row: column 3
 * has no name", "header row: \"id\" twice (columns 1 and 4)"). */
int tf_text_stream_line(tf_text_stream *s, const char *line, size_t len,
                        const tf_text_columns **cols, tf_err *err);

/* ---- per worker ----------------------------------------------------------------- */

typedef struct tf_text_parser tf_text_parser;

enum {
    TF_TEXT_OK = 0,
    TF_TEXT_NOMATCH = 1,  /* the line is not of the format: no pattern match, bad
                             quoting, a field count that disagrees with the columns */
    TF_TEXT_BADVALUE = 2, /* it is, but a typed field does not convert */
};

tf_text_parser *tf_text_parser_new(const tf_text_format *f);
void tf_text_parser_free(tf_text_parser *p);
/* One data line (without its line end) -> *out, an object in arena. cols
 * comes from tf_text_stream_line; NULL for a csv/w3c stream before any header
 * is a NOMATCH ("no header row / #Fields: directive before this line"). */
int tf_text_parse(tf_text_parser *p, const tf_text_columns *cols, tf_arena *arena,
                  const char *line, size_t len, tf_json **out, tf_err *why);

/* ---- the early stop --------------------------------------------------------------- */

/* Counts a stream's data lines; when the first TF_TEXT_GATE_LINES of them all
 * failed, the stream is probably of another format: tf_text_gate_count
 * returns true once, with err "0 of the first 1000 lines match
 * nginx-combined: is this the right format?". */
#define TF_TEXT_GATE_LINES 1000
typedef struct {
    uint64_t seen, matched;
} tf_text_gate;
bool tf_text_gate_count(tf_text_gate *g, const tf_text_format *f, bool matched, tf_err *err);

/* ---- the reader's side of a run ------------------------------------------------------ */

/* What a run does with each line of a text stream in stream order, on the
 * reader's thread, before the line goes to a worker: header rows and "#"
 * directives (they name the columns of the lines after them, and are no
 * record), and the early stop (the gate above, judged by a parser of its
 * own). One per run, used by that one thread; the format must outlive it. */
typedef struct tf_text_lines tf_text_lines;

tf_text_lines *tf_text_lines_new(const tf_text_format *f);
void tf_text_lines_free(tf_text_lines *l);
/* A new stream starts: no header seen, the gate counts again. */
void tf_text_lines_begin(tf_text_lines *l);
/* The stream's next line (line_no: its 1-based line number, for messages).
 * skipped: a line before a resume point, looked at only for headers.
 * Returns TF_TEXT_DATA or TF_TEXT_HEADER, with *cols the columns for a data
 * line (as tf_text_stream_line) and *undecided true while the gate has not
 * yet seen a line that matches; -1 with err when the stream must stop:
 * "line 1: header row: \"id\" twice (columns 1 and 4)", or the gate's "0 of
 * the first 1000 lines match nginx-combined: is this the right format?". */
int tf_text_lines_next(tf_text_lines *l, const char *line, size_t len, uint64_t line_no, bool skipped,
                       const tf_text_columns **cols, bool *undecided, tf_err *err);

#endif
