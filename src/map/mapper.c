/* mapper.c: parse → profile → filter → time shift, per frame. */
#include "config.h"
#include "map/mapper.h"
#include "map/filter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tf_mapper {
    const tf_map_env *env;
    tf_json_parser *parser;
    tf_arena arena;
    bool auto_detect;
    tf_profile *fixed;                /* --profile NAME|FILE */
    tf_profile *openrouter, *otlp;    /* auto: created on first use */
    tf_profile *current;
    const char *why;
    const char *stream;
    tf_mapper_stats stats;
    /* per-frame call state */
    const tf_frame *frame;
    const tf_mapper_cb *cb;
};

tf_mapper *tf_mapper_new(const tf_map_env *env, char **err)
{
    tf_mapper *m = tf_xcalloc(1, sizeof *m);
    m->env = env;
    m->parser = tf_json_parser_new();
    tf_arena_init(&m->arena, 64 * 1024);
    const char *name = env->opts->profile;
    if (!name || !strcmp(name, "auto")) {
        m->auto_detect = true;
    } else {
        m->fixed = tf_profile_create(env, name, err);
        if (!m->fixed) {
            tf_mapper_free(m);
            return NULL;
        }
        m->why = strcmp(name, "openrouter") && strcmp(name, "otlp") ? "given by --profile (mapping file)"
                                                                      : "given by --profile";
    }
    return m;
}

void tf_mapper_free(tf_mapper *m)
{
    if (!m)
        return;
    tf_profile *ps[3] = { m->fixed, m->openrouter, m->otlp };
    for (int i = 0; i < 3; i++)
        if (ps[i])
            ps[i]->destroy(ps[i]);
    tf_json_parser_free(m->parser);
    tf_arena_free(&m->arena);
    free(m);
}

void tf_mapper_begin_stream(tf_mapper *m, const char *stream)
{
    m->stream = stream;
    m->current = m->fixed;
    if (m->auto_detect)
        m->why = NULL;
}

void tf_mapper_use_detected(tf_mapper *m, const char *profile, const char *why)
{
    if (!m->auto_detect)
        return;
    m->why = why;
    m->current = NULL;
    if (!profile)
        return;
    tf_profile **slot = !strcmp(profile, "otlp") ? &m->otlp : &m->openrouter;
    if (!*slot) {
        char *err = NULL;
        *slot = tf_profile_create(m->env, profile, &err);
        free(err); /* built-in profiles cannot fail */
    }
    m->current = *slot;
}

const char *tf_mapper_profile(const tf_mapper *m, const char **why)
{
    if (why)
        *why = m->why;
    return m->current ? m->current->name : NULL;
}

const tf_mapper_stats *tf_mapper_stats_get(const tf_mapper *m)
{
    return &m->stats;
}

static int on_value(void *ctx, tf_json *v, size_t start, size_t end)
{
    tf_mapper *m = ctx;
    const tf_frame *f = m->frame;
    tf_record rec = {
        .json = v,
        .text = f->p + start,
        .len = end > start ? end - start : f->len,
        .stream = m->stream,
        .offset = f->offset + start,
        .line = f->line,
    };
    if (end <= start || end > f->len) { /* scalars: the whole frame */
        rec.text = f->p;
        rec.offset = f->offset;
    }
    m->stats.records++;
    if (!m->current) {
        m->stats.rejected++;
        m->cb->reject(m->cb->ctx, &rec, m->why ? m->why : "no profile matches this record");
        return 0;
    }
    tf_map_out out = { .arena = &m->arena };
    const char *why = NULL;
    if (m->current->map(m->current, &rec, &out, &why) != TF_MAP_OK) {
        m->stats.rejected++;
        m->cb->reject(m->cb->ctx, &rec, why ? why : "record rejected");
        return 0;
    }
    const tf_opts *o = m->env->opts;
    if (out.independent && tf_filter_active(o)) {
        size_t kept = 0;
        for (size_t i = 0; i < out.n; i++)
            if (tf_filter_keep(o, out.spans[i]))
                out.spans[kept++] = out.spans[i];
        out.n = kept;
    }
    if (out.n && !out.independent && tf_filter_active(o) && !tf_filter_keep(o, out.spans[0]))
        out.n = 0;
    if (!out.n && tf_filter_active(o)) {
        m->stats.filtered++;
        if (m->cb->filtered)
            m->cb->filtered(m->cb->ctx, &rec);
        return 0;
    }
    tf_time_shift_spans(o, out.spans, out.n, &m->arena);
    m->stats.spans += out.n;
    m->cb->spans(m->cb->ctx, &rec, out.spans, out.n);
    return 0;
}

/* True when the record is certainly outside --since/--until (judged on the
 * raw text, so it need not be parsed). */
static bool outside_window(tf_mapper *m, const tf_frame *f)
{
    const tf_opts *o = m->env->opts;
    uint64_t t;
    if (!(o->has_since || o->has_until) || !m->current || !m->current->raw_start ||
        !m->current->raw_start(m->current, f->p, f->len, &t))
        return false;
    return (o->has_since && t < o->since_ns) || (o->has_until && t >= o->until_ns);
}

void tf_mapper_frame(tf_mapper *m, const tf_frame *f, const tf_mapper_cb *cb)
{
    m->frame = f;
    m->cb = cb;
    if (outside_window(m, f)) {
        tf_record rec = { .text = f->p, .len = f->len, .stream = m->stream, .offset = f->offset,
                          .line = f->line };
        m->stats.records++;
        m->stats.filtered++;
        if (cb->filtered)
            cb->filtered(cb->ctx, &rec);
        return;
    }
    char err[256];
    if (tf_json_parse(m->parser, &m->arena, f->p, f->len, on_value, m, err, sizeof err) != 0) {
        tf_record rec = { .text = f->p, .len = f->len, .stream = m->stream, .offset = f->offset,
                          .line = f->line };
        m->stats.records++;
        m->stats.rejected++;
        cb->reject(cb->ctx, &rec, err);
    }
}

void tf_mapper_end_frame(tf_mapper *m)
{
    tf_arena_reset(&m->arena);
}
