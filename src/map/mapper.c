/* mapper.c: parse (JSON, or the mapping's text format) → profile → filter →
 * time shift, per frame. */
#include "config.h"
#include "map/mapper.h"
#include "common/timefmt.h"
#include "map/detect.h"
#include "map/filter.h"
#include "map/mapfile/mapfile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tf_mapper {
    const tf_map_env *env;
    const tf_profiles *ps;
    tf_json_parser *parser;
    tf_arena arena;
    bool auto_detect;
    tf_profile_state **states; /* one per profile of ps */
    const tf_profile *fixed;   /* --profile NAME|FILE */
    const tf_text_format *tfmt; /* the fixed profile reads text lines in this format */
    tf_text_parser *text;       /* this thread's parser for it */
    char *text_why;            /* its profile line, with the format */
    int current;               /* index into ps, -1: none */
    const char *why;
    const char *stream;
    tf_mapper_stats stats;
    /* per-frame call state */
    const tf_frame *frame;
    const tf_mapper_cb *cb;
};

tf_mapper *tf_mapper_new(const tf_map_env *env, const tf_profiles *profiles)
{
    tf_mapper *m = tf_xcalloc(1, sizeof *m);
    m->env = env;
    m->ps = profiles;
    m->parser = tf_json_parser_new();
    tf_arena_init(&m->arena, 64 * 1024);
    size_t n = tf_profiles_count(profiles);
    m->states = tf_xcalloc(n ? n : 1, sizeof *m->states);
    for (size_t i = 0; i < n; i++)
        m->states[i] = tf_profile_state_new(tf_profiles_at(profiles, i));
    m->auto_detect = tf_profiles_auto(profiles);
    m->current = -1;
    if (!m->auto_detect) {
        m->fixed = tf_profiles_at(profiles, 0);
        const char *name = env->opts->profile;
        m->why = !tf_profile_is_builtin(name) ? "given by --profile (mapping file)" : "given by --profile";
        const tf_text_format *tf = tf_profile_text_format(m->fixed);
        if (tf) {
            m->tfmt = tf;
            m->text = tf_text_parser_new(tf);
            tf_buf b = { 0 };
            tf_buf_puts(&b, "given by --profile (mapping file), format ");
            tf_text_format_describe(tf, &b);
            m->text_why = tf_xstrdup(tf_buf_cstr(&b));
            m->why = m->text_why;
            tf_buf_free(&b);
        }
    }
    return m;
}

void tf_mapper_free(tf_mapper *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < tf_profiles_count(m->ps); i++)
        tf_profile_state_free(tf_profiles_at(m->ps, i), m->states[i]);
    free(m->states);
    tf_text_parser_free(m->text);
    free(m->text_why);
    tf_json_parser_free(m->parser);
    tf_arena_free(&m->arena);
    free(m);
}

void tf_mapper_begin_stream(tf_mapper *m, const char *stream)
{
    m->stream = stream;
    m->current = m->fixed ? 0 : -1;
    if (m->auto_detect)
        m->why = NULL;
}

void tf_mapper_use_detected(tf_mapper *m, const char *profile, const char *why)
{
    if (!m->auto_detect)
        return;
    m->why = why;
    m->current = profile ? tf_profiles_find(m->ps, profile) : -1;
}

const char *tf_mapper_profile(const tf_mapper *m, const char **why)
{
    if (why)
        *why = m->why;
    return m->current >= 0 ? tf_profile_name(tf_profiles_at(m->ps, (size_t)m->current)) : NULL;
}

const tf_mapper_stats *tf_mapper_stats_get(const tf_mapper *m)
{
    return &m->stats;
}

/* --profile auto, a record the stream's profile rejected: when the record
 * itself looks like another built-in profile's (a stream mixing shapes),
 * that one maps it; its reason replaces why when it rejects it too. */
static bool map_detected(tf_mapper *m, const tf_record *rec, tf_map_out *out, tf_err *why)
{
    const char *unused;
    const char *name = m->auto_detect ? tf_profile_detect(rec->json, &unused) : NULL;
    int i = name ? tf_profiles_find(m->ps, name) : -1;
    if (i < 0 || i == m->current)
        return false;
    out->n = 0;
    out->independent = false;
    why->msg[0] = '\0';
    return tf_profile_map(tf_profiles_at(m->ps, (size_t)i), m->states[i], rec, out, why) == TF_MAP_OK;
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
    if (m->current < 0) {
        m->stats.rejected++;
        m->cb->reject(m->cb->ctx, &rec, m->why ? m->why : "no profile matches this record");
        return 0;
    }
    tf_map_out out = { .arena = &m->arena };
    tf_err why;
    why.msg[0] = '\0';
    if (tf_profile_map(tf_profiles_at(m->ps, (size_t)m->current), m->states[m->current], &rec, &out, &why) !=
            TF_MAP_OK &&
        !map_detected(m, &rec, &out, &why)) {
        m->stats.rejected++;
        m->cb->reject(m->cb->ctx, &rec, why.msg[0] ? why.msg : "record rejected");
        return 0;
    }
    const tf_opts *o = m->env->opts;
    if (out.independent && tf_filter_active(o)) {
        size_t kept = 0;
        for (size_t i = 0; i < out.n; i++)
            if (tf_filter_keep(o, out.spans[i], &m->stats.where_seen))
                out.spans[kept++] = out.spans[i];
        out.n = kept;
    }
    if (out.n && !out.independent && tf_filter_active(o) && !tf_filter_keep(o, out.spans[0], &m->stats.where_seen))
        out.n = 0;
    if (!out.n && tf_filter_active(o)) {
        m->stats.filtered++;
        if (m->cb->filtered)
            m->cb->filtered(m->cb->ctx, &rec);
        return 0;
    }
    tf_time_shift_spans(o, out.spans, out.n, &m->arena);
    for (size_t i = 0; i < out.n; i++)
        if (out.spans[i]->end_ns > TF_TIME_MAX_NS || out.spans[i]->start_ns > TF_TIME_MAX_NS) {
            /* A start near 2262 plus a duration: past what backends take (a
             * signed 64-bit count of nanoseconds). */
            m->stats.rejected++;
            m->cb->reject(m->cb->ctx, &rec,
                          "a span ends after 2262-04-11T23:47:16.854775807Z, the latest time OTLP backends take");
            return 0;
        }
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
    if (!(o->has_since || o->has_until) || m->current < 0 ||
        !tf_profile_raw_start(tf_profiles_at(m->ps, (size_t)m->current), f->p, f->len, &t))
        return false;
    return (o->has_since && t < o->since_ns) || (o->has_until && t >= o->until_ns);
}

/* A text line: the reader's hook said whether it is a header (no record)
 * and tagged it with its columns; the format makes it a record. */
static void text_frame(tf_mapper *m, const tf_frame *f, const tf_mapper_cb *cb)
{
    if (f->header)
        return;
    tf_json *v = NULL;
    tf_err why;
    tf_err_clear(&why);
    if (!m->text)
        tf_err_set(&why, "cannot make a parser for %s", tf_text_format_name(m->tfmt));
    if (!m->text || tf_text_parse(m->text, f->tag, &m->arena, f->p, f->len, &v, &why) != TF_TEXT_OK) {
        tf_record rec = { .text = f->p, .len = f->len, .stream = m->stream, .offset = f->offset,
                          .line = f->line };
        m->stats.records++;
        m->stats.rejected++;
        cb->reject(cb->ctx, &rec, why.msg[0] ? why.msg : "the line does not match the format");
        return;
    }
    on_value(m, v, 0, f->len);
}

void tf_mapper_frame(tf_mapper *m, const tf_frame *f, const tf_mapper_cb *cb)
{
    m->frame = f;
    m->cb = cb;
    if (m->tfmt) {
        text_frame(m, f, cb);
        return;
    }
    if (outside_window(m, f)) {
        tf_record rec = { .text = f->p, .len = f->len, .stream = m->stream, .offset = f->offset,
                          .line = f->line };
        m->stats.records++;
        m->stats.filtered++;
        if (cb->filtered)
            cb->filtered(cb->ctx, &rec);
        return;
    }
    tf_err err;
    if (tf_json_parse(m->parser, &m->arena, f->p, f->len, on_value, m, &err) != 0) {
        tf_record rec = { .text = f->p, .len = f->len, .stream = m->stream, .offset = f->offset,
                          .line = f->line };
        m->stats.records++;
        m->stats.rejected++;
        cb->reject(cb->ctx, &rec, err.msg);
    }
}

void tf_mapper_end_frame(tf_mapper *m)
{
    tf_arena_reset(&m->arena);
}
