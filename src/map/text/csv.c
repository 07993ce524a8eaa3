/* csv.c: CSV and TSV lines with RFC 4180 quoting: a field that starts with
 * the quote character runs to the matching quote, a doubled quote inside it
 * is one quote, and it may hold the delimiter. Blanks after the closing
 * quote are tolerated; anything else there is an error, as is a quote that
 * is never closed on the line (records spanning lines are not supported).
 * A quote inside an unquoted field is an ordinary character. */
#include "config.h"
#include "map/text/text_int.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    tf_str *v;
    size_t n, cap;
} fields;

static void push(fields *fs, tf_text_parser *p, tf_str s)
{
    if (p) {
        tf_text_parser_reserve(p, fs->n + 1);
        fs->v = p->vals;
    } else if (fs->n == fs->cap) {
        fs->cap = fs->cap ? fs->cap * 2 : 16;
        fs->v = tf_xrealloc(fs->v, fs->cap * sizeof *fs->v);
    }
    fs->v[fs->n++] = s;
}

/* out must have room for len bytes (unescaped text is never longer), so
 * slices into it stay valid while the line is split. */
static int split(int d, int q, const char *line, size_t len, char *out, fields *fs,
                 tf_text_parser *p, tf_err *why)
{
    size_t i = 0, o = 0;
    for (;;) {
        size_t col = fs->n + 1;
        if (q && i < len && line[i] == q) {
            size_t start = o;
            i++;
            for (;;) {
                const char *e = memchr(line + i, q, len - i);
                if (!e) {
                    tf_err_set(why, "column %zu: the quoted field is not closed on this line "
                                    "(records over several lines are not supported)", col);
                    return TF_TEXT_NOMATCH;
                }
                size_t k = (size_t)(e - (line + i));
                memcpy(out + o, line + i, k);
                o += k;
                i += k + 1;
                if (i < len && line[i] == q) { /* "" is one quote */
                    out[o++] = (char)q;
                    i++;
                    continue;
                }
                break;
            }
            push(fs, p, (tf_str){ out + start, o - start });
            while (i < len && (line[i] == ' ' || line[i] == '\t') && line[i] != d)
                i++;
            if (i < len && line[i] != d) {
                tf_buf b = { 0 };
                tf_text_excerpt(&b, line + i, len - i, 16);
                tf_err_set(why, "column %zu: %s after the closing quote (byte %zu)", col,
                           tf_buf_cstr(&b), i + 1);
                tf_buf_free(&b);
                return TF_TEXT_NOMATCH;
            }
        } else {
            const char *e = memchr(line + i, d, len - i);
            size_t k = e ? (size_t)(e - (line + i)) : len - i;
            push(fs, p, (tf_str){ line + i, k });
            i += k;
        }
        if (i >= len)
            return TF_TEXT_OK;
        i++; /* the delimiter */
        if (i == len) {
            push(fs, p, (tf_str){ line + i, 0 }); /* a trailing delimiter: one more, empty */
            return TF_TEXT_OK;
        }
    }
}

int tf_text_csv_split(tf_text_parser *p, const char *line, size_t len, size_t *n, tf_err *why)
{
    p->scratch.len = 0;
    tf_buf_reserve(&p->scratch, len + 1);
    fields fs = { p->vals, 0, 0 };
    int rc = split(p->f->delim, p->f->quote, line, len, p->scratch.p, &fs, p, why);
    *n = fs.n;
    return rc;
}

static bool blank(char c)
{
    return c == ' ' || c == '\t';
}

int tf_text_csv_header(const tf_text_format *f, const char *line, size_t len, tf_buf *buf,
                       tf_str **names, size_t *n, tf_err *err)
{
    buf->len = 0;
    tf_buf_reserve(buf, len + 1);
    fields fs = { NULL, 0, 0 };
    tf_err why;
    if (split(f->delim, f->quote, line, len, buf->p, &fs, NULL, &why) != TF_TEXT_OK) {
        free(fs.v);
        return tf_err_set(err, "header row: %s", why.msg);
    }
    /* Names lose the blanks around them ("id, name" names "name"). */
    for (size_t i = 0; i < fs.n; i++) {
        tf_str *s = &fs.v[i];
        while (s->len && blank(s->p[0])) {
            s->p++;
            s->len--;
        }
        while (s->len && blank(s->p[s->len - 1]))
            s->len--;
    }
    *names = fs.v;
    *n = fs.n;
    return 0;
}
