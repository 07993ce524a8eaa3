/* textlib.h: helpers for the text format tests: run lines through a format
 * (stream state and parser, as the pipeline will) and compare the record,
 * written back as compact JSON, with the expected text written by hand. */
#ifndef TF_TEST_TEXTLIB_H
#define TF_TEST_TEXTLIB_H

#include "map/text/text.h"
#include "tap.h"

typedef struct {
    tf_text_format *f;
    tf_text_stream *st;
    tf_text_parser *p;
    tf_arena arena;
    tf_buf out;
    tf_err why;
} tt;

TAP_UNUSED static bool tt_open(tt *t, const tf_text_spec *spec)
{
    memset(t, 0, sizeof *t);
    t->f = tf_text_format_new(spec, &t->why);
    if (!t->f) {
        diag("format: %s", t->why.msg);
        return false;
    }
    t->st = tf_text_stream_new(t->f);
    t->p = tf_text_parser_new(t->f);
    tf_arena_init(&t->arena, 4096);
    return t->p != NULL;
}

TAP_UNUSED static void tt_close(tt *t)
{
    tf_text_parser_free(t->p);
    tf_text_stream_free(t->st);
    tf_text_format_free(t->f);
    tf_arena_free(&t->arena);
    tf_buf_free(&t->out);
}

/* A preset with no adjustments. */
TAP_UNUSED static tf_text_spec tt_spec(const char *format, const char *preset)
{
    tf_text_spec s;
    memset(&s, 0, sizeof s);
    s.format = format;
    s.preset = preset;
    s.header = s.delimiter = s.quote = -1;
    return s;
}

/* Feeds one line: the record as JSON, "HEADER" for a header line, or
 * "NOMATCH: why" / "BADVALUE: why" / "STREAM: err". */
TAP_UNUSED static const char *tt_line(tt *t, const char *line)
{
    const tf_text_columns *cols;
    tf_err_clear(&t->why);
    t->out.len = 0;
    tf_arena_reset(&t->arena);
    size_t len = strlen(line);
    int k = tf_text_stream_line(t->st, line, len, &cols, &t->why);
    if (k < 0) {
        tf_buf_printf(&t->out, "STREAM: %s", t->why.msg);
        return tf_buf_cstr(&t->out);
    }
    if (k == TF_TEXT_HEADER)
        return "HEADER";
    tf_json *rec = NULL;
    int rc = tf_text_parse(t->p, cols, &t->arena, line, len, &rec, &t->why);
    if (rc == TF_TEXT_OK)
        tf_json_write(&t->out, rec);
    else
        tf_buf_printf(&t->out, "%s: %s", rc == TF_TEXT_NOMATCH ? "NOMATCH" : "BADVALUE", t->why.msg);
    return tf_buf_cstr(&t->out);
}

/* The whole record must equal want (compact JSON in field order). */
#define tt_is(t, line, want, ...) is_str(tt_line((t), (line)), (want), __VA_ARGS__)

#endif
