/* tally.c: per-stream counts and reject reasons. */
#include "config.h"
#include "run/tally.h"

#include <stdlib.h>
#include <string.h>

#define MAX_REASONS 64        /* distinct reasons kept in all */
#define MAX_STREAM_REASONS 16 /* and per stream */
#define OTHER "other reasons"

struct tf_tally {
    tf_run_stream *s; /* by slot */
    size_t n, cap;
    tf_run_reason *reasons;
    size_t n_reasons;
};

tf_tally *tf_tally_new(void)
{
    return tf_xcalloc(1, sizeof(tf_tally));
}

static void free_reasons(tf_run_reason *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(r[i].reason);
    free(r);
}

static void free_streams(tf_run_stream *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(s[i].name);
        free(s[i].error);
        free_reasons(s[i].reasons, s[i].n_reasons);
    }
    free(s);
}

void tf_tally_free(tf_tally *t)
{
    if (!t)
        return;
    free_streams(t->s, t->n);
    free_reasons(t->reasons, t->n_reasons);
    free(t);
}

tf_run_stream *tf_tally_stream(tf_tally *t, uint32_t slot, const char *name)
{
    if (slot >= t->cap) {
        size_t cap = TF_MAX((size_t)slot + 1, t->cap * 2);
        t->s = tf_xrealloc(t->s, cap * sizeof *t->s);
        memset(t->s + t->cap, 0, (cap - t->cap) * sizeof *t->s);
        t->cap = cap;
    }
    if (slot >= t->n)
        t->n = (size_t)slot + 1;
    tf_run_stream *s = &t->s[slot];
    if (!s->name && name)
        s->name = tf_xstrdup(name);
    return s;
}

/* Counts reason in (r, n), keeping at most cap distinct ones. */
static void count(tf_run_reason **r, size_t *n, size_t cap, const char *reason)
{
    for (size_t i = 0; i < *n; i++)
        if (!strcmp((*r)[i].reason, reason)) {
            (*r)[i].n++;
            return;
        }
    if (*n == cap - 1 && strcmp(reason, OTHER)) { /* the last place is for the rest */
        count(r, n, cap, OTHER);
        return;
    }
    if (*n == cap) { /* only OTHER can get here, and it is there already */
        (*r)[*n - 1].n++;
        return;
    }
    *r = tf_xrealloc(*r, (*n + 1) * sizeof **r);
    (*r)[*n] = (tf_run_reason){ tf_xstrdup(reason), 1 };
    (*n)++;
}

void tf_tally_reject(tf_tally *t, uint32_t slot, const char *reason)
{
    tf_run_stream *s = tf_tally_stream(t, slot, NULL);
    count(&s->reasons, &s->n_reasons, MAX_STREAM_REASONS, reason);
    count(&t->reasons, &t->n_reasons, MAX_REASONS, reason);
}

static int by_count(const void *a, const void *b)
{
    const tf_run_reason *x = a, *y = b;
    if (x->n != y->n)
        return x->n < y->n ? 1 : -1;
    return strcmp(x->reason, y->reason);
}

void tf_tally_export(tf_tally *t, tf_run_result *res)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->s[i].n_reasons > 1)
            qsort(t->s[i].reasons, t->s[i].n_reasons, sizeof *t->s[i].reasons, by_count);
    if (t->n_reasons > 1)
        qsort(t->reasons, t->n_reasons, sizeof *t->reasons, by_count);
    res->streams = t->s;
    res->n_streams = t->n;
    res->reasons = t->reasons;
    res->n_reasons = t->n_reasons;
    memset(t, 0, sizeof *t);
}

void tf_tally_result_free(tf_run_result *res)
{
    free_streams(res->streams, res->n_streams);
    free_reasons(res->reasons, res->n_reasons);
    res->streams = NULL;
    res->reasons = NULL;
    res->n_streams = res->n_reasons = 0;
}
