/* lines.c: the reader's side of a text run (text.h, tf_text_lines): each
 * line in stream order goes through the stream state (headers) and, until
 * the first line that matches, through the early-stop gate. */
#include "config.h"
#include "map/text/text.h"

#include <stdlib.h>

struct tf_text_lines {
    const tf_text_format *f;
    tf_text_stream *st;
    tf_text_parser *p; /* the gate's own: the workers have theirs */
    tf_arena arena;
    tf_text_gate gate;
    bool decided; /* a line matched, or the gate has seen its lines */
};

tf_text_lines *tf_text_lines_new(const tf_text_format *f)
{
    tf_text_lines *l = tf_xcalloc(1, sizeof *l);
    l->f = f;
    l->st = tf_text_stream_new(f);
    l->p = tf_text_parser_new(f);
    tf_arena_init(&l->arena, 16 * 1024);
    return l;
}

void tf_text_lines_free(tf_text_lines *l)
{
    if (!l)
        return;
    tf_text_stream_free(l->st);
    tf_text_parser_free(l->p);
    tf_arena_free(&l->arena);
    free(l);
}

void tf_text_lines_begin(tf_text_lines *l)
{
    tf_text_stream_reset(l->st);
    l->gate = (tf_text_gate){ 0 };
    l->decided = false;
}

/* Counts one data line for the gate; -1 with err when it stops the stream. */
static int judge(tf_text_lines *l, const tf_text_columns *cols, const char *line, size_t len, tf_err *err)
{
    tf_json *rec;
    tf_err why;
    tf_arena_reset(&l->arena);
    bool matched = !l->p || tf_text_parse(l->p, cols, &l->arena, line, len, &rec, &why) != TF_TEXT_NOMATCH;
    if (tf_text_gate_count(&l->gate, l->f, matched, err))
        return -1;
    l->decided = l->gate.matched > 0 || l->gate.seen >= TF_TEXT_GATE_LINES;
    return 0;
}

int tf_text_lines_next(tf_text_lines *l, const char *line, size_t len, uint64_t line_no, bool skipped,
                       const tf_text_columns **cols, bool *undecided, tf_err *err)
{
    tf_err why;
    int rc = tf_text_stream_line(l->st, line, len, cols, &why);
    if (rc < 0) {
        tf_err_set(err, "line %llu: %s", (unsigned long long)line_no, why.msg);
        return -1;
    }
    if (rc == TF_TEXT_DATA && !skipped && !l->decided && judge(l, *cols, line, len, err) != 0)
        return -1;
    *undecided = !l->decided;
    return rc;
}
