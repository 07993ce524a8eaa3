/* explain.c: why a getter gave nothing usable, for reject reasons. */
#include "config.h"
#include "map/mapfile/program.h"

#include <string.h>

/* ---- reject reasons (slow path: only when a record is rejected) ---------- */

static void describe_value(tf_buf *b, const tf_json *v)
{
    if (v->type == TF_JSON_STRING) {
        size_t n = TF_MIN(v->str.len, (size_t)48);
        tf_json_write_string(b, v->str.p, n);
        if (n < v->str.len)
            tf_buf_puts(b, "...");
    } else if (v->type == TF_JSON_NUMBER) {
        tf_buf_append(b, v->str.p, TF_MIN(v->str.len, (size_t)48));
    } else {
        tf_buf_puts(b, mf_jtype(v));
    }
}

static void list_paths(tf_buf *b, const mpath *ps, size_t n)
{
    for (size_t i = 0; i < n; i++)
        tf_buf_printf(b, "%s\"%s\"", i ? (i + 1 == n ? " and " : ", ") : "", ps[i].src);
}

/* Why alternative al gave nothing usable (appended to b). */
static void explain_alt(tf_buf *b, const malt *al, const ev *e, const char *what)
{
    if (al->when && !mf_cond_eval(al->when, e)) {
        tf_buf_puts(b, "its \"if\" does not hold");
        return;
    }
    const tf_json *v = NULL;
    switch (al->kind) {
    case S_PATH:
        v = mf_paths_get(al->paths, al->npaths, e);
        if (!v && !al->deflt) {
            list_paths(b, al->paths, al->npaths);
            tf_buf_puts(b, al->npaths > 1 ? " are missing" : " is missing");
            return;
        }
        break;
    case S_TMPL:
        for (size_t i = 0; i < al->tmpl->n; i++) {
            const mseg *s = &al->tmpl->segs[i];
            if (s->npaths && !s->has_fb && !mf_paths_get(s->paths, s->npaths, e)) {
                list_paths(b, s->paths, s->npaths);
                tf_buf_printf(b, "%s (in template \"%s\")", s->npaths > 1 ? " are missing" : " is missing",
                              al->tmpl->src);
                return;
            }
        }
        break;
    case S_DERIVE:
        for (size_t i = 0; i < al->nparts; i++) {
            tf_str t;
            if (!mf_get_conv(&al->parts[i], e, mf_conv_part, &t)) {
                tf_buf_printf(b, "derive part %zu: ", i + 1);
                mf_explain_get(b, &al->parts[i], e, "a non-empty string or number");
                return;
            }
        }
        return;
    case S_CONST: break;
    }
    v = mf_alt_value(al, e);
    if (!v) {
        tf_buf_puts(b, "no value");
        return;
    }
    if (al->kind == S_PATH && mf_paths_get(al->paths, al->npaths, e)) {
        for (size_t i = 0; i < al->npaths; i++)
            if (mf_path_get(&al->paths[i], e)) {
                tf_buf_printf(b, "\"%s\" ", al->paths[i].src);
                break;
            }
    } else if (al->kind == S_PATH) {
        tf_buf_puts(b, "the default ");
    } else if (al->kind == S_CONST) {
        tf_buf_puts(b, "the constant ");
    } else {
        tf_buf_printf(b, "template \"%s\" ", al->tmpl->src);
    }
    tf_buf_puts(b, "is not ");
    tf_buf_puts(b, what);
    tf_buf_puts(b, ": ");
    describe_value(b, v);
}

bool mf_explain_get(tf_buf *b, const mget *g, const ev *e, const char *what)
{
    for (size_t i = 0; i < g->n; i++) {
        if (i)
            tf_buf_puts(b, "; ");
        if (g->n > 1)
            tf_buf_printf(b, "[%zu] ", i);
        explain_alt(b, &g->alts[i], e, what);
    }
    return false;
}

void mf_why_from_buf(tf_err *why, tf_buf *b)
{
    if (b->len > 400) {
        b->len = 397;
        tf_buf_puts(b, "...");
    }
    tf_err_set(why, "%.*s", (int)b->len, b->p ? b->p : "");
    tf_buf_free(b);
}

void mf_reason(tf_err *why, const ev *e, const mget *g, const char *what)
{
    tf_buf b = { 0 };
    tf_buf_printf(&b, "%s: ", g->where);
    mf_explain_get(&b, g, e, what);
    mf_why_from_buf(why, &b);
}
