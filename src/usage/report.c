/* report.c: the usage report's accumulator and its summary (report.h). */
#include "config.h"
#include "usage/report.h"
#include "usage/sketch.h"
#include "common/timefmt.h"

#include <stdlib.h>
#include <string.h>

#define OTHER_IDX TF_REPORT_MODELS
#define NS_PER_DAY 86400000000000ull

typedef struct {
    char *name;
    size_t len;
    uint64_t hash;
    tf_report_cell c;
    tf_lat_hist *lat;
    uint64_t max_us, lat_n;
} model_acc;

typedef struct {
    int64_t day;
    tf_report_cell total;
    tf_report_cell *by; /* by model index, n_by of them */
    size_t n_by;
} day_acc;

struct tf_usage_report {
    tf_usage_report_opts o;
    tf_report_cell total;
    uint64_t has_cost, first_ns, last_ns;
    tf_lat_hist lat;
    uint64_t max_us;
    tf_distinct *traces;
    model_acc models[TF_REPORT_MODELS + 1]; /* [OTHER_IDX]: the rest */
    size_t n_models;
    bool models_capped;
    uint32_t mtab[TF_REPORT_MODELS * 4]; /* open addressing: model index + 1, 0 empty */
    day_acc *days;  /* sorted by day */
    size_t n_days, cap_days;
    uint64_t dropped_requests;
    int64_t dropped_min, dropped_max;
    tf_topk *users, *sessions;
    uint64_t no_user, no_session;
    tf_report_run run;  /* its strings and reasons point into the copies below */
    tf_report_reason *reasons;
    char **reason_strs, *profile;
    bool has_run;
};

tf_usage_report *tf_usage_report_new(const tf_usage_report_opts *opts)
{
    tf_usage_report *r = tf_xcalloc(1, sizeof *r);
    if (opts)
        r->o = *opts;
    if (!r->o.series)
        r->o.series = 8;
    if (!r->o.top)
        r->o.top = 20;
    r->traces = tf_distinct_new();
    r->users = tf_topk_new(TF_REPORT_TOPK_CAP);
    r->sessions = tf_topk_new(TF_REPORT_TOPK_CAP);
    r->models[OTHER_IDX].name = tf_xstrdup("other");
    r->models[OTHER_IDX].lat = tf_xcalloc(1, sizeof(tf_lat_hist));
    return r;
}

static void free_run(tf_usage_report *r)
{
    for (size_t i = 0; i < r->run.n_reasons; i++)
        free(r->reason_strs[i]);
    free(r->reason_strs);
    free(r->reasons);
    free(r->profile);
    r->reason_strs = NULL;
    r->reasons = NULL;
    r->profile = NULL;
}

void tf_usage_report_free(tf_usage_report *r)
{
    if (!r)
        return;
    for (size_t i = 0; i <= TF_REPORT_MODELS; i++) {
        free(r->models[i].name);
        free(r->models[i].lat);
    }
    for (size_t i = 0; i < r->n_days; i++)
        free(r->days[i].by);
    free(r->days);
    tf_distinct_free(r->traces);
    tf_topk_free(r->users);
    tf_topk_free(r->sessions);
    free_run(r);
    free(r);
}

static uint64_t fnv1a(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
    return h;
}

/* The index of the fact's model: a new one while there is room, else "other". */
static size_t model_index(tf_usage_report *r, tf_str name)
{
    uint64_t h = fnv1a(name.p, name.len);
    size_t mask = TF_ARRAY_LEN(r->mtab) - 1, j = (size_t)h & mask;
    for (; r->mtab[j]; j = (j + 1) & mask) {
        model_acc *m = &r->models[r->mtab[j] - 1];
        if (m->hash == h && m->len == name.len && !memcmp(m->name, name.p, name.len))
            return r->mtab[j] - 1;
    }
    if (r->n_models == TF_REPORT_MODELS) {
        r->models_capped = true;
        return OTHER_IDX;
    }
    size_t i = r->n_models++;
    model_acc *m = &r->models[i];
    m->name = tf_xstrndup(name.p ? name.p : "", name.len);
    m->len = name.len;
    m->hash = h;
    m->lat = tf_xcalloc(1, sizeof(tf_lat_hist));
    r->mtab[j] = (uint32_t)(i + 1);
    return i;
}

/* The day's entry, created in order while fewer than TF_REPORT_DAYS; NULL past that. */
static day_acc *day_entry(tf_usage_report *r, int64_t day)
{
    size_t lo = 0, hi = r->n_days;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->days[mid].day < day)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < r->n_days && r->days[lo].day == day)
        return &r->days[lo];
    if (r->n_days == TF_REPORT_DAYS)
        return NULL;
    if (r->n_days == r->cap_days) {
        r->cap_days = r->cap_days ? r->cap_days * 2 : 16;
        r->days = tf_xrealloc(r->days, r->cap_days * sizeof *r->days);
    }
    memmove(&r->days[lo + 1], &r->days[lo], (r->n_days - lo) * sizeof *r->days);
    r->n_days++;
    memset(&r->days[lo], 0, sizeof r->days[lo]);
    r->days[lo].day = day;
    return &r->days[lo];
}

static void cell_add(tf_report_cell *c, const tf_usage_fact *f)
{
    c->requests++;
    c->errors += f->error;
    for (int t = 0; t < TF_TOK_TYPES; t++)
        c->tokens[t] += f->tokens[t];
    if (f->has_cost)
        c->cost += f->cost;
}

static void add_to_day(tf_usage_report *r, const tf_usage_fact *f, size_t mi)
{
    int64_t day = (int64_t)(f->start_ns / NS_PER_DAY);
    day_acc *d = day_entry(r, day);
    if (!d) {
        if (!r->dropped_requests || day < r->dropped_min)
            r->dropped_min = day;
        if (!r->dropped_requests || day > r->dropped_max)
            r->dropped_max = day;
        r->dropped_requests++;
        return;
    }
    cell_add(&d->total, f);
    if (mi >= d->n_by) {
        size_t n = mi + 1;
        d->by = tf_xrealloc(d->by, n * sizeof *d->by);
        memset(d->by + d->n_by, 0, (n - d->n_by) * sizeof *d->by);
        d->n_by = n;
    }
    cell_add(&d->by[mi], f);
}

static void add_top(tf_topk *t, uint64_t *none, tf_str key, const tf_usage_fact *f)
{
    if (!key.len) {
        (*none)++;
        return;
    }
    double cost = f->has_cost ? f->cost : 0;
    tf_topk_add(t, key.p, key.len, f->error, f->tokens[TF_TOK_INPUT] + f->tokens[TF_TOK_OUTPUT], cost);
}

void tf_usage_report_add(tf_usage_report *r, const tf_usage_fact *f)
{
    if (!r->total.requests || f->start_ns < r->first_ns)
        r->first_ns = f->start_ns;
    if (!r->total.requests || f->start_ns > r->last_ns)
        r->last_ns = f->start_ns;
    cell_add(&r->total, f);
    r->has_cost += f->has_cost;
    uint64_t us = f->duration_ns / 1000;
    if (f->duration_ns) { /* 0: the record gave no latency */
        tf_lat_add(&r->lat, us);
        r->max_us = TF_MAX(r->max_us, us);
    }
    tf_distinct_add(r->traces, f->trace_id);
    size_t mi = model_index(r, f->model);
    model_acc *m = &r->models[mi];
    cell_add(&m->c, f);
    if (f->duration_ns) {
        tf_lat_add(m->lat, us);
        m->max_us = TF_MAX(m->max_us, us);
        m->lat_n++;
    }
    add_to_day(r, f, mi);
    add_top(r->users, &r->no_user, f->user, f);
    add_top(r->sessions, &r->no_session, f->session, f);
}

void tf_usage_report_set_run(tf_usage_report *r, const tf_report_run *run)
{
    free_run(r);
    r->run = *run;
    r->reasons = tf_xcalloc(run->n_reasons + 1, sizeof *r->reasons);
    r->reason_strs = tf_xcalloc(run->n_reasons + 1, sizeof *r->reason_strs);
    for (size_t i = 0; i < run->n_reasons; i++) {
        r->reason_strs[i] = tf_xstrdup(run->reasons[i].reason ? run->reasons[i].reason : "");
        r->reasons[i] = (tf_report_reason){ r->reason_strs[i], run->reasons[i].n };
    }
    r->profile = run->profile ? tf_xstrdup(run->profile) : NULL;
    r->run.reasons = r->reasons;
    r->run.profile = r->profile;
    r->has_run = true;
}

/* --- summary ------------------------------------------------------------- */

static void quantiles(const tf_lat_hist *h, uint64_t max_us, tf_report_model *m)
{
    m->p50_us = tf_lat_quantile(h, 500);
    m->p90_us = tf_lat_quantile(h, 900);
    m->p99_us = tf_lat_quantile(h, 990);
    /* A quantile is its bucket's upper bound: never above the largest value seen. */
    m->p50_us = TF_MIN(m->p50_us, max_us);
    m->p90_us = TF_MIN(m->p90_us, max_us);
    m->p99_us = TF_MIN(m->p99_us, max_us);
    m->max_us = max_us;
}

static const tf_usage_report *sort_ctx;

static int by_requests(const void *a, const void *b)
{
    const model_acc *x = &sort_ctx->models[*(const size_t *)a], *y = &sort_ctx->models[*(const size_t *)b];
    if (x->c.requests != y->c.requests)
        return x->c.requests > y->c.requests ? -1 : 1;
    return strcmp(x->name, y->name);
}

static void cell_sum(tf_report_cell *to, const tf_report_cell *c)
{
    to->requests += c->requests;
    to->errors += c->errors;
    for (int t = 0; t < TF_TOK_TYPES; t++)
        to->tokens[t] += c->tokens[t];
    to->cost += c->cost;
}

static tf_report_model model_view(const tf_usage_report *r, size_t idx)
{
    const model_acc *m = &r->models[idx];
    tf_report_model v = { .name = tf_xstrdup(m->name), .other = idx == OTHER_IDX, .c = m->c, .latencies = m->lat_n };
    quantiles(m->lat, m->max_us, &v);
    return v;
}

static void summarize_models(const tf_usage_report *r, tf_report_summary *s, size_t *order)
{
    for (size_t i = 0; i < r->n_models; i++)
        order[i] = i;
    sort_ctx = r;
    qsort(order, r->n_models, sizeof *order, by_requests);
    sort_ctx = NULL;
    bool other = r->models[OTHER_IDX].c.requests > 0;
    s->models = tf_xcalloc(r->n_models + 1, sizeof *s->models);
    for (size_t i = 0; i < r->n_models; i++)
        s->models[s->n_models++] = model_view(r, order[i]);
    if (other)
        s->models[s->n_models++] = model_view(r, OTHER_IDX);
    s->models_capped = r->models_capped;
}

static void day_date(int64_t day, char out[11])
{
    char when[31];
    tf_time_format((uint64_t)day * NS_PER_DAY, when);
    memcpy(out, when, 10);
    out[10] = 0;
}

/* The per-day series: the top models, then "other" for every model past them. */
static void summarize_days(const tf_usage_report *r, tf_report_summary *s, const size_t *order)
{
    size_t named = TF_MIN(r->o.series, r->n_models);
    bool other = named < r->n_models || r->models[OTHER_IDX].c.requests > 0;
    s->n_series = named + other;
    s->series = tf_xcalloc(s->n_series + 1, sizeof *s->series);
    for (size_t i = 0; i < named; i++)
        s->series[i] = model_view(r, order[i]);
    if (other) {
        tf_report_model *o = &s->series[named];
        o->name = tf_xstrdup("other");
        o->other = true;
        for (size_t i = named; i < r->n_models; i++)
            cell_sum(&o->c, &r->models[order[i]].c);
        cell_sum(&o->c, &r->models[OTHER_IDX].c);
    }
    s->days = tf_xcalloc(r->n_days + 1, sizeof *s->days);
    s->n_days = r->n_days;
    for (size_t d = 0; d < r->n_days; d++) {
        const day_acc *a = &r->days[d];
        tf_report_day *v = &s->days[d];
        v->day = a->day;
        v->total = a->total;
        day_date(a->day, v->date);
        v->by = tf_xcalloc(s->n_series + 1, sizeof *v->by);
        for (size_t i = 0; i < named; i++)
            if (order[i] < a->n_by)
                v->by[i] = a->by[order[i]];
        for (size_t i = named; other && i <= r->n_models; i++) {
            size_t mi = i == r->n_models ? OTHER_IDX : order[i];
            if (mi < a->n_by)
                cell_sum(&v->by[named], &a->by[mi]);
        }
    }
    s->days_dropped_requests = r->dropped_requests;
    if (r->dropped_requests) {
        day_date(r->dropped_min, s->dropped_from);
        day_date(r->dropped_max, s->dropped_to);
    }
}

static tf_report_top *top_view(const tf_topk *t, size_t max, size_t *n)
{
    const tf_topk_entry **e = tf_xcalloc(max + 1, sizeof *e);
    *n = tf_topk_sorted(t, e, max);
    tf_report_top *v = tf_xcalloc(*n + 1, sizeof *v);
    for (size_t i = 0; i < *n; i++)
        v[i] = (tf_report_top){ .key = tf_xstrdup(e[i]->key), .requests = e[i]->count, .over = e[i]->over,
                                .errors = e[i]->errors, .tokens = e[i]->tokens, .cost = e[i]->cost };
    free(e);
    return v;
}

void tf_usage_report_summarize(const tf_usage_report *r, tf_report_summary *s)
{
    memset(s, 0, sizeof *s);
    s->total = r->total;
    s->has_cost = r->has_cost;
    s->first_start_ns = r->total.requests ? r->first_ns : 0;
    s->last_start_ns = r->total.requests ? r->last_ns : 0;
    s->traces = tf_distinct_count(r->traces);
    s->traces_exact = tf_distinct_exact(r->traces);
    tf_report_model all = { 0 };
    quantiles(&r->lat, r->max_us, &all);
    s->p50_us = all.p50_us;
    s->p90_us = all.p90_us;
    s->p99_us = all.p99_us;
    s->max_us = all.max_us;
    s->latencies = r->lat.n;
    size_t *order = tf_xcalloc(r->n_models + 1, sizeof *order);
    summarize_models(r, s, order);
    summarize_days(r, s, order);
    free(order);
    s->users = top_view(r->users, r->o.top, &s->n_users);
    s->sessions = top_view(r->sessions, r->o.top, &s->n_sessions);
    s->users_exact = tf_topk_exact(r->users);
    s->sessions_exact = tf_topk_exact(r->sessions);
    s->users_max_over = tf_topk_max_over(r->users);
    s->sessions_max_over = tf_topk_max_over(r->sessions);
    s->users_seen = tf_topk_size(r->users);
    s->sessions_seen = tf_topk_size(r->sessions);
    s->no_user = r->no_user;
    s->no_session = r->no_session;
    s->has_run = r->has_run;
    s->run = r->run; /* the strings stay the report's: the summary lives shorter */
}

void tf_report_summary_free(tf_report_summary *s)
{
    for (size_t i = 0; i < s->n_models; i++)
        free(s->models[i].name);
    free(s->models);
    for (size_t i = 0; i < s->n_series; i++)
        free(s->series[i].name);
    free(s->series);
    for (size_t i = 0; i < s->n_days; i++)
        free(s->days[i].by);
    free(s->days);
    for (size_t i = 0; i < s->n_users; i++)
        free(s->users[i].key);
    for (size_t i = 0; i < s->n_sessions; i++)
        free(s->sessions[i].key);
    free(s->users);
    free(s->sessions);
    memset(s, 0, sizeof *s);
}
