/* filter.c: time-window and attribute filters, and time shifting. */
#include "config.h"
#include "map/filter.h"

#include <stdio.h>
#include <string.h>

bool tf_filter_active(const tf_opts *o)
{
    return o->has_since || o->has_until || o->n_where;
}

bool tf_value_matches(const tf_value *v, const char *want)
{
    char tmp[64];
    switch (v->type) {
    case TF_VAL_STRING: return tf_str_eqc(v->u.s, want);
    case TF_VAL_BOOL: return !strcmp(want, v->u.b ? "true" : "false");
    case TF_VAL_INT:
        snprintf(tmp, sizeof tmp, "%lld", (long long)v->u.i);
        return !strcmp(tmp, want);
    case TF_VAL_DOUBLE:
        snprintf(tmp, sizeof tmp, "%.17g", v->u.d);
        if (!strcmp(tmp, want))
            return true;
        double w;
        char extra;
        return sscanf(want, "%lf%c", &w, &extra) == 1 && w == v->u.d;
    default: return false;
    }
}

/* Does a have key with the value want? *seen tells whether it has key at all. */
static bool has_attr(const tf_attrs *a, const char *key, const char *want, bool *seen)
{
    for (size_t i = 0; i < a->n; i++)
        if (tf_str_eqc(a->kv[i].key, key)) {
            *seen = true;
            if (tf_value_matches(&a->kv[i].value, want))
                return true;
        }
    return false;
}

bool tf_filter_keep(const tf_opts *o, const tf_span *root, uint64_t *where_seen)
{
    if (o->has_since && root->start_ns < o->since_ns)
        return false;
    if (o->has_until && root->start_ns >= o->until_ns)
        return false;
    bool keep = true;
    for (size_t i = 0; i < o->n_where; i++) {
        const tf_keyval *w = &o->where[i];
        bool seen = false;
        bool match = has_attr(&root->attrs, w->key, w->value, &seen) ||
                     (root->resource && has_attr(&root->resource->attrs, w->key, w->value, &seen));
        if (seen && i < 64)
            *where_seen |= 1ull << i;
        keep = keep && match;
    }
    return keep;
}

static uint64_t shift(uint64_t t, int64_t d)
{
    if (!t)
        return 0;
    if (d < 0 && (uint64_t)(-d) > t)
        return 1;
    return t + (uint64_t)d;
}

void tf_time_shift_spans(const tf_opts *o, tf_span **spans, size_t n, tf_arena *arena)
{
    int64_t d = o->time_shift_ns;
    if (!d)
        return;
    for (size_t i = 0; i < n; i++) {
        tf_span *s = spans[i];
        tf_attrs_int(&s->attrs, arena, "tracefill.original_start_time_unix_nano", (int64_t)s->start_ns);
        s->start_ns = shift(s->start_ns, d);
        s->end_ns = shift(s->end_ns, d);
        for (size_t e = 0; e < s->n_events; e++)
            s->events[e].time_ns = shift(s->events[e].time_ns, d);
    }
}
