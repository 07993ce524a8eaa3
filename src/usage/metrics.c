/* metrics.c: usage facts → steps → cumulative series → OpenMetrics text. */
#include "config.h"
#include "usage/metrics.h"
#include "common/timefmt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NB (TF_USAGE_N_BUCKETS + 1) /* and +Inf */

static const uint64_t bucket_ns[TF_USAGE_N_BUCKETS] = {
    100000000ull,  250000000ull,  500000000ull,   1000000000ull,  2500000000ull,   5000000000ull,
    10000000000ull, 20000000000ull, 30000000000ull, 60000000000ull, 120000000000ull, 300000000000ull,
};
/* OpenMetrics' canonical renderings of the bounds (%g, with ".0" when whole). */
static const char *const bucket_le[NB] = { "0.1",  "0.25", "0.5",  "1.0",   "2.5",   "5.0",  "10.0",
                                          "20.0", "30.0", "60.0", "120.0", "300.0", "+Inf" };

/* The metric families, in file order within a prefix. */
enum { K_REQUESTS, K_TOKENS, K_COST, K_ERRORS, K_DURATION, K_N };
static const char *const prefix[TF_USAGE_FAMILIES] = { "openrouter_", "tracefill_" };
static const struct {
    const char *name, *type, *unit, *help;
} kinds[K_N] = {
    { "requests", "counter", NULL, "Requests, by their start time." },
    { "tokens", "counter", NULL, "Tokens by type: input, output, cached (input), reasoning (output)." },
    { "cost_usd", "counter", "usd", "Cost in US dollars." },
    { "errors", "counter", NULL, "Requests that failed (span status ERROR)." },
    { "duration_seconds", "histogram", "seconds", "Request duration (the root span's)." },
};

/* The Metrics (label sets) of a series, one per slot: each gets its samples
 * together in the file (OpenMetrics: Metrics MUST NOT be interleaved). */
enum { S_REQUESTS, S_TOKENS, S_COST = S_TOKENS + TF_TOK_TYPES, S_ERRORS, S_DURATION, S_N };
static const int slot_kind[S_N] = { K_REQUESTS, K_TOKENS, K_TOKENS, K_TOKENS, K_TOKENS, K_COST, K_ERRORS, K_DURATION };

/* Buffered sample text, spilled to the temporary file as a run sorted by
 * group (series * S_N + slot) when the buffer is full. */
#define DEFAULT_BUFFER (8u << 20)

typedef struct {
    uint32_t group, len;
    uint64_t off;
} chunk;

typedef struct {
    uint64_t requests, errors, tokens[TF_TOK_TYPES], dur_ns;
    double cost;
    uint64_t bucket[NB]; /* per bucket, not cumulative */
} acc;

typedef struct {
    bool set;
    uint8_t trace_id[16];
    uint64_t start_ns, dur_ns, tokens[TF_TOK_TYPES];
    double cost;
    bool has_cost;
    int bucket;
} exemplar;

typedef struct {
    uint8_t family;
    char *labels;
    size_t len;
    uint64_t hash;
    bool emitted;
    int64_t last_step; /* its last sample is at this step's end */
    uint8_t tok_seen;
    bool cost_seen;
    acc cum;
} series;

typedef struct {
    uint32_t series;
    uint8_t tok_seen;
    bool cost_seen;
    acc d;
    exemplar ex, ex_err;
} entry;

typedef struct {
    int64_t step;
    entry *e;
    size_t n, cap;
    uint32_t *tab; /* series → entry index + 1 */
    size_t tab_mask;
} open_step;

struct tf_usage_metrics {
    tf_usage_metrics_opts o;
    char *tmp_path; /* NULL: writing FILE itself */
    FILE *out;
    FILE *spill;         /* the runs, unlinked; NULL until the first */
    uint64_t spill_len;
    tf_buf arena;        /* sample text not yet spilled */
    chunk *chunks;       /* where in arena, in writing order */
    size_t n_chunks, cap_chunks;
    uint32_t cur_group;  /* the chunk being written */
    size_t cur_start;
    chunk *segs;         /* where in spill, by run then group */
    size_t n_segs, cap_segs;
    series *s;
    size_t n_series, cap_series;
    uint32_t *stab;
    size_t stab_mask;
    open_step *steps; /* by step, ascending */
    size_t n_steps, cap_steps;
    open_step *pool; /* closed steps kept for their memory */
    size_t n_pool, cap_pool;
    bool have_latest, failed, finished;
    uint64_t latest_ns;
    bool have_last;
    int64_t last_closed;
    tf_usage_metrics_stats st;
    tf_buf scratch;
    tf_err fail_err;
};

/* ---- formatting ------------------------------------------------------------- */

static void put_escaped(tf_buf *b, tf_str v)
{
    const unsigned char *p = (const unsigned char *)v.p;
    for (size_t i = 0; i < v.len;) {
        unsigned char c = p[i];
        if (c == '\\' || c == '"') {
            tf_buf_putc(b, '\\');
            tf_buf_putc(b, (char)c);
        } else if (c == '\n') {
            tf_buf_puts(b, "\\n");
        } else if (c >= 0x80) {
            size_t k = tf_utf8_seq(p + i, v.len - i);
            if (!k) { /* label values must be UTF-8 */
                tf_buf_puts(b, "\xEF\xBF\xBD");
                i++;
                continue;
            }
            tf_buf_append(b, p + i, k);
            i += k;
            continue;
        } else {
            tf_buf_putc(b, (char)c);
        }
        i++;
    }
}

static void put_label(tf_buf *b, const char *name, tf_str v)
{
    if (!v.len)
        return;
    if (b->len)
        tf_buf_putc(b, ',');
    tf_buf_printf(b, "%s=\"", name);
    put_escaped(b, v);
    tf_buf_putc(b, '"');
}

/* Shortest decimal that reads back as the same double. */
static void put_double(tf_buf *b, double v)
{
    char tmp[40];
    snprintf(tmp, sizeof tmp, "%.15g", v);
    if (strtod(tmp, NULL) != v)
        snprintf(tmp, sizeof tmp, "%.17g", v);
    tf_buf_puts(b, tmp);
    if (!strpbrk(tmp, ".eEin")) /* OpenMetrics: a float has a point or an exponent */
        tf_buf_puts(b, ".0");
}

/* Seconds since the epoch, exactly, without trailing zeros. */
static void put_secs(tf_buf *b, uint64_t ns)
{
    char tmp[32];
    size_t n = tf_duration_format_secs((int64_t)ns, tmp);
    if (n >= 2 && !memcmp(tmp + n - 2, ".0", 2))
        n -= 2;
    tf_buf_append(b, tmp, n);
}

static void put_u64(tf_buf *b, uint64_t v)
{
    char tmp[24];
    tf_buf_append(b, tmp, tf_fmt_u64(tmp, v));
}

/* "1h30m0s", "45s", "250ms": for messages. */
static void fmt_dur(uint64_t ns, char out[48])
{
    uint64_t s = ns / 1000000000u, ms = ns / 1000000u % 1000;
    if (s < 60 && ms)
        snprintf(out, 48, "%llums", (unsigned long long)(ns / 1000000u));
    else if (s < 60)
        snprintf(out, 48, "%llus", (unsigned long long)s);
    else if (s < 3600)
        snprintf(out, 48, "%llum%llus", (unsigned long long)(s / 60), (unsigned long long)(s % 60));
    else
        snprintf(out, 48, "%lluh%llum%llus", (unsigned long long)(s / 3600), (unsigned long long)(s / 60 % 60),
                 (unsigned long long)(s % 60));
}

static void fmt_when(uint64_t ns, char out[31])
{
    tf_time_format(ns, out);
    out[19] = 'Z';
    out[20] = '\0';
}

/* ---- the buffer and the spill file ---------------------------------------------- */

/* Starts the text of one Metric (series, slot); chunk_end records it. */
static tf_buf *chunk_begin(tf_usage_metrics *m, const series *se, int slot)
{
    m->cur_group = (uint32_t)(se - m->s) * S_N + (uint32_t)slot;
    m->cur_start = m->arena.len;
    return &m->arena;
}

static void chunk_end(tf_usage_metrics *m)
{
    size_t len = m->arena.len - m->cur_start;
    if (!len)
        return;
    chunk *last = m->n_chunks ? &m->chunks[m->n_chunks - 1] : NULL;
    if (last && last->group == m->cur_group && last->off + last->len == m->cur_start) {
        last->len += (uint32_t)len;
        return;
    }
    if (m->n_chunks == m->cap_chunks) {
        m->cap_chunks = m->cap_chunks ? m->cap_chunks * 2 : 1024;
        m->chunks = tf_xrealloc(m->chunks, m->cap_chunks * sizeof *m->chunks);
    }
    m->chunks[m->n_chunks++] = (chunk){ .group = m->cur_group, .len = (uint32_t)len, .off = m->cur_start };
}

static int cmp_chunk(const void *a, const void *b)
{
    const chunk *x = a, *y = b;
    if (x->group != y->group)
        return x->group < y->group ? -1 : 1;
    return x->off < y->off ? -1 : x->off > y->off; /* writing order within a group */
}

static void push_seg(tf_usage_metrics *m, uint32_t group, uint64_t off, size_t len)
{
    if (m->n_segs && m->segs[m->n_segs - 1].group == group &&
        m->segs[m->n_segs - 1].off + m->segs[m->n_segs - 1].len == off &&
        m->segs[m->n_segs - 1].len <= UINT32_MAX - len) {
        m->segs[m->n_segs - 1].len += (uint32_t)len;
        return;
    }
    if (m->n_segs == m->cap_segs) {
        m->cap_segs = m->cap_segs ? m->cap_segs * 2 : 1024;
        m->segs = tf_xrealloc(m->segs, m->cap_segs * sizeof *m->segs);
    }
    m->segs[m->n_segs++] = (chunk){ .group = group, .len = (uint32_t)len, .off = off };
}

/* Writes the buffer to the spill file as one run, grouped by Metric. */
static int spill(tf_usage_metrics *m, tf_err *err)
{
    if (!m->n_chunks)
        return 0;
    if (!m->spill) {
        const char *dir = getenv("TMPDIR");
        dir = dir && *dir ? dir : "/tmp";
        char *path = tf_xasprintf("%s/tracefill-usage.XXXXXX", dir);
        int fd = mkstemp(path);
        if (fd >= 0)
            unlink(path); /* gone when closed */
        free(path);
        m->spill = fd >= 0 ? fdopen(fd, "w+") : NULL;
        if (!m->spill) {
            int e = errno;
            if (fd >= 0)
                close(fd);
            return tf_err_set(err, "usage metrics: cannot create a temporary file in %s: %s", dir, strerror(e));
        }
    }
    qsort(m->chunks, m->n_chunks, sizeof *m->chunks, cmp_chunk);
    for (size_t i = 0; i < m->n_chunks; i++) {
        const chunk *c = &m->chunks[i];
        if (fwrite(m->arena.p + c->off, 1, c->len, m->spill) != c->len)
            return tf_err_set(err, "usage metrics: cannot write a temporary file: %s", strerror(errno));
        push_seg(m, c->group, m->spill_len, c->len);
        m->spill_len += c->len;
    }
    m->n_chunks = 0;
    m->arena.len = 0;
    return 0;
}

/* name{labels[,extra]} value ts */
static void line_start(tf_buf *b, int fam, const char *name, const char *suffix, const series *se, const char *extra)
{
    tf_buf_puts(b, prefix[fam]);
    tf_buf_puts(b, name);
    tf_buf_puts(b, suffix);
    if (se->len || extra) {
        tf_buf_putc(b, '{');
        tf_buf_append(b, se->labels, se->len);
        if (extra) {
            if (se->len)
                tf_buf_putc(b, ',');
            tf_buf_puts(b, extra);
        }
        tf_buf_putc(b, '}');
    }
    tf_buf_putc(b, ' ');
}

static void line_end(tf_usage_metrics *m, tf_buf *b, uint64_t ts_ns, const exemplar *ex, tf_buf *exval)
{
    tf_buf_putc(b, ' ');
    put_secs(b, ts_ns);
    if (ex && ex->set && exval) {
        char hex[33];
        tf_hex_encode(hex, ex->trace_id, 16);
        hex[32] = '\0';
        tf_buf_printf(b, " # {trace_id=\"%s\"} ", hex);
        tf_buf_append(b, exval->p, exval->len);
        tf_buf_putc(b, ' ');
        put_secs(b, ex->start_ns);
    }
    tf_buf_putc(b, '\n');
    m->st.samples++;
    if (!m->st.first_ns || ts_ns < m->st.first_ns)
        m->st.first_ns = ts_ns;
    m->st.last_ns = TF_MAX(m->st.last_ns, ts_ns);
}

/* ---- one series' sample ------------------------------------------------------- */

typedef struct {
    const exemplar *ex, *ex_err; /* NULL: none */
    uint8_t tok_mask, prev_tok;  /* token types to write; of those, which need a previous sample */
    bool cost, prev_cost;
} sample_spec;

static void write_sample(tf_usage_metrics *m, const series *se, const acc *v, uint64_t ts, const sample_spec *sp)
{
    int f = se->family;
    tf_buf *b, val = { 0 };
    const exemplar *ex = sp->ex;

    b = chunk_begin(m, se, S_REQUESTS);
    line_start(b, f, "requests", "_total", se, NULL);
    put_u64(b, v->requests);
    tf_buf_putc(&val, '1');
    line_end(m, b, ts, ex, &val);
    chunk_end(m);

    for (int t = 0; t < TF_TOK_TYPES; t++) {
        if (!(sp->tok_mask & (1u << t)))
            continue;
        char extra[32];
        snprintf(extra, sizeof extra, "type=\"%s\"", tf_usage_token_types[t]);
        b = chunk_begin(m, se, S_TOKENS + t);
        line_start(b, f, "tokens", "_total", se, extra);
        put_u64(b, v->tokens[t]);
        val.len = 0;
        if (ex && ex->tokens[t])
            put_u64(&val, ex->tokens[t]);
        line_end(m, b, ts, ex, val.len ? &val : NULL);
        chunk_end(m);
    }

    if (sp->cost) {
        b = chunk_begin(m, se, S_COST);
        line_start(b, f, "cost_usd", "_total", se, NULL);
        put_double(b, v->cost);
        val.len = 0;
        if (ex && ex->has_cost)
            put_double(&val, ex->cost);
        line_end(m, b, ts, ex, val.len ? &val : NULL);
        chunk_end(m);
    }

    b = chunk_begin(m, se, S_ERRORS);
    line_start(b, f, "errors", "_total", se, NULL);
    put_u64(b, v->errors);
    val.len = 0;
    tf_buf_putc(&val, '1');
    line_end(m, b, ts, sp->ex_err, &val);
    chunk_end(m);

    b = chunk_begin(m, se, S_DURATION);
    uint64_t cum = 0;
    for (int i = 0; i < NB; i++) {
        char extra[32];
        snprintf(extra, sizeof extra, "le=\"%s\"", bucket_le[i]);
        cum += v->bucket[i];
        line_start(b, f, "duration_seconds", "_bucket", se, extra);
        put_u64(b, cum);
        bool here = ex && ex->set && ex->bucket == i;
        val.len = 0;
        if (here) {
            char secs[32];
            tf_buf_append(&val, secs, tf_duration_format_secs((int64_t)ex->dur_ns, secs));
        }
        line_end(m, b, ts, here ? ex : NULL, here ? &val : NULL);
    }
    line_start(b, f, "duration_seconds", "_count", se, NULL);
    put_u64(b, v->requests);
    line_end(m, b, ts, NULL, NULL);
    line_start(b, f, "duration_seconds", "_sum", se, NULL);
    char secs[32];
    tf_buf_append(b, secs, tf_duration_format_secs((int64_t)v->dur_ns, secs));
    line_end(m, b, ts, NULL, NULL);
    chunk_end(m);
    tf_buf_free(&val);
}

/* The previous value where needed (at the step's start), then the new one. */
static void emit_entry(tf_usage_metrics *m, const entry *e, int64_t step)
{
    series *se = &m->s[e->series];
    uint64_t t0 = (uint64_t)step * m->o.step_ns, t1 = t0 + m->o.step_ns;
    bool gap = !se->emitted || se->last_step < step - 1;
    uint8_t tok_after = se->tok_seen | e->tok_seen;
    bool cost_after = se->cost_seen || e->cost_seen;
    uint8_t tok_new = tok_after & (uint8_t)~se->tok_seen;
    bool cost_new = cost_after && !se->cost_seen;
    if (gap || tok_new || cost_new) {
        /* requests, errors and the histogram only with a gap; new token
         * types and a new cost series start from 0 at the step's start */
        if (gap) {
            sample_spec sp = { .tok_mask = tok_after, .cost = cost_after };
            write_sample(m, se, &se->cum, t0, &sp);
        } else {
            /* only the new ones: write them alone */
            tf_buf *b;
            int f = se->family;
            for (int t = 0; t < TF_TOK_TYPES; t++) {
                if (!(tok_new & (1u << t)))
                    continue;
                char extra[32];
                snprintf(extra, sizeof extra, "type=\"%s\"", tf_usage_token_types[t]);
                b = chunk_begin(m, se, S_TOKENS + t);
                line_start(b, f, "tokens", "_total", se, extra);
                put_u64(b, 0);
                line_end(m, b, t0, NULL, NULL);
                chunk_end(m);
            }
            if (cost_new) {
                b = chunk_begin(m, se, S_COST);
                line_start(b, f, "cost_usd", "_total", se, NULL);
                put_double(b, 0);
                line_end(m, b, t0, NULL, NULL);
                chunk_end(m);
            }
        }
    }
    acc *c = &se->cum;
    c->requests += e->d.requests;
    c->errors += e->d.errors;
    for (int t = 0; t < TF_TOK_TYPES; t++)
        c->tokens[t] += e->d.tokens[t];
    c->dur_ns += e->d.dur_ns;
    c->cost += e->d.cost;
    for (int i = 0; i < NB; i++)
        c->bucket[i] += e->d.bucket[i];
    se->tok_seen = tok_after;
    se->cost_seen = cost_after;
    sample_spec sp = { .ex = &e->ex, .ex_err = e->ex_err.set ? &e->ex_err : NULL, .tok_mask = tok_after,
                       .cost = cost_after };
    write_sample(m, se, c, t1, &sp);
    se->emitted = true;
    se->last_step = step;
}

/* ---- series and steps --------------------------------------------------------- */

static uint64_t hash_labels(int fam, const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ull ^ (uint64_t)fam;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 1099511628211ull;
    }
    return h;
}

static void stab_grow(tf_usage_metrics *m)
{
    size_t sz = m->stab ? (m->stab_mask + 1) * 2 : 1024;
    free(m->stab);
    m->stab = tf_xcalloc(sz, sizeof *m->stab);
    m->stab_mask = sz - 1;
    for (size_t i = 0; i < m->n_series; i++) {
        size_t j = m->s[i].hash & m->stab_mask;
        while (m->stab[j])
            j = (j + 1) & m->stab_mask;
        m->stab[j] = (uint32_t)i + 1;
    }
}

static void build_labels(const tf_usage_metrics *m, const tf_usage_fact *f, tf_buf *b)
{
    b->len = 0;
    if (f->family == TF_USAGE_OPENROUTER) {
        put_label(b, "model", f->model);
        put_label(b, "provider", f->provider);
        put_label(b, "operation", f->operation);
    } else {
        put_label(b, "service", f->service);
        put_label(b, "span", f->span);
        put_label(b, "model", f->model);
    }
    if (m->o.by_user)
        put_label(b, "user", f->user);
    if (m->o.by_session)
        put_label(b, "session", f->session);
    if (m->o.shard)
        put_label(b, "shard", tf_str_c(m->o.shard));
}

/* The series of the fact: its index, or -1 with err past max_series. */
static int64_t find_series(tf_usage_metrics *m, const tf_usage_fact *f, tf_err *err)
{
    tf_buf *b = &m->scratch;
    build_labels(m, f, b);
    uint64_t h = hash_labels(f->family, b->p, b->len);
    if (!m->stab)
        stab_grow(m);
    size_t j = h & m->stab_mask;
    for (; m->stab[j]; j = (j + 1) & m->stab_mask) {
        const series *se = &m->s[m->stab[j] - 1];
        if (se->hash == h && se->family == f->family && se->len == b->len && !memcmp(se->labels, b->p, b->len))
            return m->stab[j] - 1;
    }
    if (m->n_series >= m->o.max_series) {
        return tf_err_set(err,
                          "usage metrics: more than %zu series (--usage-max-series); the next would be "
                          "%srequests_total{%.*s}: raise --usage-max-series or leave user or session out of "
                          "--usage-by",
                          m->o.max_series, prefix[f->family], (int)TF_MIN(b->len, 200), b->p);
    }
    if (m->n_series == m->cap_series) {
        m->cap_series = m->cap_series ? m->cap_series * 2 : 64;
        m->s = tf_xrealloc(m->s, m->cap_series * sizeof *m->s);
    }
    series *se = &m->s[m->n_series];
    *se = (series){ .family = (uint8_t)f->family, .labels = tf_xstrndup(b->p, b->len), .len = b->len, .hash = h };
    m->stab[j] = (uint32_t)++m->n_series;
    if (m->n_series * 2 > m->stab_mask + 1)
        stab_grow(m);
    return (int64_t)m->n_series - 1;
}

static open_step *step_at(tf_usage_metrics *m, int64_t step)
{
    size_t lo = 0, hi = m->n_steps;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (m->steps[mid].step < step)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < m->n_steps && m->steps[lo].step == step)
        return &m->steps[lo];
    if (m->n_steps == m->cap_steps) {
        m->cap_steps = m->cap_steps ? m->cap_steps * 2 : 16;
        m->steps = tf_xrealloc(m->steps, m->cap_steps * sizeof *m->steps);
    }
    memmove(&m->steps[lo + 1], &m->steps[lo], (m->n_steps - lo) * sizeof *m->steps);
    m->n_steps++;
    open_step *os = &m->steps[lo];
    if (m->n_pool)
        *os = m->pool[--m->n_pool];
    else
        *os = (open_step){ 0 };
    os->step = step;
    os->n = 0;
    if (!os->tab) {
        os->tab = tf_xcalloc(64, sizeof *os->tab);
        os->tab_mask = 63;
    } else {
        memset(os->tab, 0, (os->tab_mask + 1) * sizeof *os->tab);
    }
    return os;
}

static void step_tab_grow(open_step *os)
{
    size_t sz = (os->tab_mask + 1) * 2;
    free(os->tab);
    os->tab = tf_xcalloc(sz, sizeof *os->tab);
    os->tab_mask = sz - 1;
    for (size_t i = 0; i < os->n; i++) {
        size_t j = (os->e[i].series * 2654435761u) & os->tab_mask;
        while (os->tab[j])
            j = (j + 1) & os->tab_mask;
        os->tab[j] = (uint32_t)i + 1;
    }
}

static entry *entry_for(open_step *os, uint32_t series_idx)
{
    size_t j = (series_idx * 2654435761u) & os->tab_mask;
    for (; os->tab[j]; j = (j + 1) & os->tab_mask)
        if (os->e[os->tab[j] - 1].series == series_idx)
            return &os->e[os->tab[j] - 1];
    if (os->n == os->cap) {
        os->cap = os->cap ? os->cap * 2 : 16;
        os->e = tf_xrealloc(os->e, os->cap * sizeof *os->e);
    }
    entry *e = &os->e[os->n];
    memset(e, 0, sizeof *e);
    e->series = series_idx;
    os->tab[j] = (uint32_t)++os->n;
    if (os->n * 2 > os->tab_mask + 1)
        step_tab_grow(os);
    return &os->e[os->n - 1];
}

static int bucket_of(uint64_t dur_ns)
{
    for (int i = 0; i < TF_USAGE_N_BUCKETS; i++)
        if (dur_ns <= bucket_ns[i])
            return i;
    return TF_USAGE_N_BUCKETS;
}

static void set_exemplar(exemplar *x, const tf_usage_fact *f, int bucket)
{
    x->set = true;
    memcpy(x->trace_id, f->trace_id, 16);
    x->start_ns = f->start_ns;
    x->dur_ns = f->duration_ns;
    memcpy(x->tokens, f->tokens, sizeof x->tokens);
    x->cost = f->cost;
    x->has_cost = f->has_cost;
    x->bucket = bucket;
}

static void count(entry *e, const tf_usage_fact *f)
{
    int bk = bucket_of(f->duration_ns);
    e->d.requests++;
    e->d.errors += f->error;
    for (int t = 0; t < TF_TOK_TYPES; t++)
        e->d.tokens[t] += f->tokens[t];
    e->tok_seen |= f->tokens_seen;
    if (f->has_cost) {
        e->d.cost += f->cost;
        e->cost_seen = true;
    }
    e->d.dur_ns += f->duration_ns;
    e->d.bucket[bk]++;
    if (!e->ex.set || f->duration_ns > e->ex.dur_ns) /* the slowest; the first of equals */
        set_exemplar(&e->ex, f, bk);
    if (f->error && !e->ex_err.set)
        set_exemplar(&e->ex_err, f, bk);
}

/* ---- closing steps ------------------------------------------------------------ */

static const tf_usage_metrics *sort_ctx;

static int cmp_series(uint32_t a, uint32_t b)
{
    const series *x = &sort_ctx->s[a], *y = &sort_ctx->s[b];
    if (x->family != y->family)
        return x->family < y->family ? -1 : 1;
    size_t n = TF_MIN(x->len, y->len);
    int c = memcmp(x->labels, y->labels, n);
    return c ? c : x->len < y->len ? -1 : x->len > y->len;
}

static int cmp_entry(const void *a, const void *b)
{
    return cmp_series(((const entry *)a)->series, ((const entry *)b)->series);
}

static int cmp_index(const void *a, const void *b)
{
    return cmp_series(*(const uint32_t *)a, *(const uint32_t *)b);
}

/* Spills the buffer once it holds the configured size. */
static int maybe_spill(tf_usage_metrics *m, tf_err *err)
{
    size_t limit = m->o.buffer_bytes ? m->o.buffer_bytes : DEFAULT_BUFFER;
    return m->arena.len >= limit ? spill(m, err) : 0;
}

/* Writes and retires the oldest open step. */
static int close_first(tf_usage_metrics *m, tf_err *err)
{
    open_step os = m->steps[0];
    memmove(&m->steps[0], &m->steps[1], (m->n_steps - 1) * sizeof *m->steps);
    m->n_steps--;
    sort_ctx = m;
    qsort(os.e, os.n, sizeof *os.e, cmp_entry); /* its table is rebuilt when reused */
    for (size_t i = 0; i < os.n; i++)
        emit_entry(m, &os.e[i], os.step);
    m->have_last = true;
    m->last_closed = os.step;
    if (m->n_pool == m->cap_pool) {
        m->cap_pool = m->cap_pool ? m->cap_pool * 2 : 16;
        m->pool = tf_xrealloc(m->pool, m->cap_pool * sizeof *m->pool);
    }
    m->pool[m->n_pool++] = os;
    return maybe_spill(m, err);
}

/* ---- the interface ------------------------------------------------------------- */

tf_usage_metrics *tf_usage_metrics_new(const tf_usage_metrics_opts *o, tf_err *err)
{
    struct stat st;
    bool special = stat(o->path, &st) == 0 && !S_ISREG(st.st_mode);
    char *tmp = special ? NULL : tf_xasprintf("%s.tmp", o->path);
    FILE *out = fopen(special ? o->path : tmp, "w");
    if (!out) {
        tf_err_set(err, "cannot write the usage metrics to %s: %s", special ? o->path : tmp, strerror(errno));
        free(tmp);
        return NULL;
    }
    tf_usage_metrics *m = tf_xcalloc(1, sizeof *m);
    m->o = *o;
    m->tmp_path = tmp;
    m->out = out;
    return m;
}

int tf_usage_metrics_add(tf_usage_metrics *m, const tf_usage_fact *f, tf_err *err)
{
    if (m->failed) {
        *err = m->fail_err;
        return -1;
    }
    if (m->have_latest && f->start_ns < m->latest_ns && m->latest_ns - f->start_ns > m->o.window_ns) {
        char when[31], latest[31], late[48], win[48];
        fmt_when(f->start_ns, when);
        fmt_when(m->latest_ns, latest);
        fmt_dur(m->latest_ns - f->start_ns, late);
        fmt_dur(m->o.window_ns, win);
        tf_err_set(&m->fail_err,
                   "usage metrics: a record starting at %s is %s older than the latest one so far (%s), more "
                   "than --usage-window (%s) allows: sort the input by time or raise --usage-window",
                   when, late, latest, win);
        m->failed = true;
        *err = m->fail_err;
        return -1;
    }
    int64_t si = find_series(m, f, &m->fail_err);
    if (si < 0) {
        m->failed = true;
        *err = m->fail_err;
        return -1;
    }
    if (!m->have_latest || f->start_ns > m->latest_ns)
        m->latest_ns = f->start_ns;
    m->have_latest = true;
    count(entry_for(step_at(m, (int64_t)(f->start_ns / m->o.step_ns)), (uint32_t)si), f);
    /* A step no record can reach any more: its end is a window behind the latest. */
    while (m->n_steps && m->latest_ns >= m->o.window_ns &&
           (uint64_t)(m->steps[0].step + 1) * m->o.step_ns <= m->latest_ns - m->o.window_ns)
        if (close_first(m, &m->fail_err) != 0) {
            m->failed = true;
            *err = m->fail_err;
            return -1;
        }
    return 0;
}

/* Every series not sampled at the last step's end gets its final value there. */
static void write_final(tf_usage_metrics *m)
{
    if (!m->have_last)
        return;
    uint32_t *idx = tf_xmalloc((m->n_series ? m->n_series : 1) * sizeof *idx);
    for (size_t i = 0; i < m->n_series; i++)
        idx[i] = (uint32_t)i;
    sort_ctx = m;
    qsort(idx, m->n_series, sizeof *idx, cmp_index);
    uint64_t t = (uint64_t)(m->last_closed + 1) * m->o.step_ns;
    for (size_t i = 0; i < m->n_series; i++) {
        series *se = &m->s[idx[i]];
        if (se->last_step == m->last_closed)
            continue;
        sample_spec sp = { .tok_mask = se->tok_seen, .cost = se->cost_seen };
        write_sample(m, se, &se->cum, t, &sp);
        se->last_step = m->last_closed;
    }
    free(idx);
}

static int copy_seg(tf_usage_metrics *m, const chunk *c, tf_err *err)
{
    char buf[65536];
    uint64_t off = c->off, left = c->len;
    while (left) {
        size_t want = left < sizeof buf ? (size_t)left : sizeof buf;
        ssize_t n = pread(fileno(m->spill), buf, want, (off_t)off);
        if (n <= 0)
            return tf_err_set(err, "usage metrics: cannot read back a temporary file: %s",
                              n < 0 ? strerror(errno) : "it is shorter than written");
        if (fwrite(buf, 1, (size_t)n, m->out) != (size_t)n)
            return tf_err_set(err, "cannot write the usage metrics to %s: %s", m->o.path, strerror(errno));
        off += (uint64_t)n;
        left -= (uint64_t)n;
    }
    return 0;
}

/* Joins the runs: family by family, then Metric by Metric (series in label
 * order, token types in their order), each Metric's samples in time order. */
static int write_families(tf_usage_metrics *m, tf_err *err)
{
    size_t n_groups = m->n_series * S_N;
    size_t *first = tf_xcalloc(n_groups + 1, sizeof *first); /* CSR over segs by group */
    size_t *order = tf_xmalloc((m->n_segs ? m->n_segs : 1) * sizeof *order);
    for (size_t i = 0; i < m->n_segs; i++)
        first[m->segs[i].group + 1]++;
    for (size_t g = 0; g < n_groups; g++)
        first[g + 1] += first[g];
    size_t *fill = tf_xmalloc((n_groups ? n_groups : 1) * sizeof *fill);
    memcpy(fill, first, n_groups * sizeof *fill);
    for (size_t i = 0; i < m->n_segs; i++)
        order[fill[m->segs[i].group]++] = i; /* run order, i.e. time order */
    free(fill);
    uint32_t *idx = tf_xmalloc((m->n_series ? m->n_series : 1) * sizeof *idx);
    for (size_t i = 0; i < m->n_series; i++)
        idx[i] = (uint32_t)i;
    sort_ctx = m;
    qsort(idx, m->n_series, sizeof *idx, cmp_index);
    int rc = 0;
    for (int f = 0; f < TF_USAGE_FAMILIES && !rc; f++)
        for (int k = 0; k < K_N && !rc; k++) {
            bool head = false;
            for (size_t i = 0; i < m->n_series && !rc; i++) {
                if (m->s[idx[i]].family != f)
                    continue;
                for (int slot = 0; slot < S_N && !rc; slot++) {
                    size_t g = (size_t)idx[i] * S_N + (size_t)slot;
                    if (slot_kind[slot] != k || first[g] == first[g + 1])
                        continue;
                    if (!head) {
                        fprintf(m->out, "# TYPE %s%s %s\n", prefix[f], kinds[k].name, kinds[k].type);
                        if (kinds[k].unit)
                            fprintf(m->out, "# UNIT %s%s %s\n", prefix[f], kinds[k].name, kinds[k].unit);
                        fprintf(m->out, "# HELP %s%s %s\n", prefix[f], kinds[k].name, kinds[k].help);
                        head = true;
                    }
                    for (size_t j = first[g]; j < first[g + 1] && !rc; j++)
                        rc = copy_seg(m, &m->segs[order[j]], err);
                }
            }
        }
    free(idx);
    free(order);
    free(first);
    return rc;
}

int tf_usage_metrics_finish(tf_usage_metrics *m, tf_usage_metrics_stats *st, tf_err *err)
{
    if (m->failed) {
        *err = m->fail_err;
        return -1;
    }
    while (m->n_steps)
        if (close_first(m, err) != 0)
            return -1;
    write_final(m);
    if (spill(m, err) != 0)
        return -1;
    if (m->spill && fflush(m->spill) != 0)
        return tf_err_set(err, "usage metrics: cannot write a temporary file: %s", strerror(errno));
    if (write_families(m, err) != 0)
        return -1;
    fputs("# EOF\n", m->out);
    int rc = fflush(m->out) == 0 && !ferror(m->out) ? 0 : -1;
    int e = errno;
    if (fclose(m->out) != 0)
        rc = -1, e = errno;
    m->out = NULL;
    if (rc != 0)
        return tf_err_set(err, "cannot write the usage metrics to %s: %s", m->o.path, strerror(e));
    if (m->tmp_path && rename(m->tmp_path, m->o.path) != 0)
        return tf_err_set(err, "cannot rename %s to %s: %s", m->tmp_path, m->o.path, strerror(errno));
    m->finished = true;
    m->st.series = m->n_series;
    if (st)
        *st = m->st;
    return 0;
}

void tf_usage_metrics_free(tf_usage_metrics *m)
{
    if (!m)
        return;
    if (m->out)
        fclose(m->out);
    if (!m->finished && m->tmp_path)
        unlink(m->tmp_path);
    free(m->tmp_path);
    if (m->spill)
        fclose(m->spill);
    tf_buf_free(&m->arena);
    free(m->chunks);
    free(m->segs);
    for (size_t i = 0; i < m->n_series; i++)
        free(m->s[i].labels);
    free(m->s);
    free(m->stab);
    for (size_t i = 0; i < m->n_steps; i++) {
        free(m->steps[i].e);
        free(m->steps[i].tab);
    }
    free(m->steps);
    for (size_t i = 0; i < m->n_pool; i++) {
        free(m->pool[i].e);
        free(m->pool[i].tab);
    }
    free(m->pool);
    tf_buf_free(&m->scratch);
    free(m);
}
