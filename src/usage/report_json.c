/* report_json.c: the usage report as JSON (report.h; the schema, version 1,
 * is in doc/report.md). Keys come in a fixed order, numbers are integers
 * but for cost (USD) and error_rate: the same input gives the same bytes. */
#include "config.h"
#include "usage/report.h"
#include "common/json.h"
#include "common/timefmt.h"

#include <stdio.h>
#include <string.h>

static void put_str(tf_buf *b, const char *s)
{
    tf_json_write_string(b, s, strlen(s));
}

/* 12 significant digits: sums of logged costs carry float noise past that. */
static void put_double(tf_buf *b, double v)
{
    char tmp[40];
    snprintf(tmp, sizeof tmp, "%.12g", v);
    tf_buf_puts(b, tmp);
}

static void put_u64(tf_buf *b, uint64_t v)
{
    tf_buf_printf(b, "%llu", (unsigned long long)v);
}

static void put_time(tf_buf *b, uint64_t ns, bool have)
{
    if (!have) {
        tf_buf_puts(b, "null");
        return;
    }
    char t[31];
    tf_time_format(ns, t);
    put_str(b, t);
}

static void put_tokens(tf_buf *b, const uint64_t *tok)
{
    tf_buf_putc(b, '{');
    for (int t = 0; t < TF_TOK_TYPES; t++) {
        tf_buf_printf(b, "%s\"%s\":", t ? "," : "", tf_usage_token_types[t]);
        put_u64(b, tok[t]);
    }
    tf_buf_putc(b, '}');
}

static void put_cell(tf_buf *b, const tf_report_cell *c)
{
    tf_buf_puts(b, "\"requests\":");
    put_u64(b, c->requests);
    tf_buf_puts(b, ",\"errors\":");
    put_u64(b, c->errors);
    tf_buf_puts(b, ",\"error_rate\":");
    put_double(b, c->requests ? (double)c->errors / (double)c->requests : 0);
    tf_buf_puts(b, ",\"tokens\":");
    put_tokens(b, c->tokens);
    tf_buf_puts(b, ",\"cost\":");
    put_double(b, c->cost);
}

static void put_latency(tf_buf *b, uint64_t n, uint64_t p50, uint64_t p90, uint64_t p99, uint64_t max)
{
    tf_buf_printf(b, "{\"count\":%llu,\"p50\":%llu,\"p90\":%llu,\"p99\":%llu,\"max\":%llu}", (unsigned long long)n, (unsigned long long)p50,
                  (unsigned long long)p90, (unsigned long long)p99, (unsigned long long)max);
}

static void put_models(tf_buf *b, const tf_report_summary *s)
{
    tf_buf_puts(b, ",\"models\":[");
    for (size_t i = 0; i < s->n_models; i++) {
        const tf_report_model *m = &s->models[i];
        tf_buf_puts(b, i ? ",{\"name\":" : "{\"name\":");
        put_str(b, m->name);
        tf_buf_printf(b, ",\"other\":%s,", m->other ? "true" : "false");
        put_cell(b, &m->c);
        tf_buf_puts(b, ",\"latency_us\":");
        put_latency(b, m->latencies, m->p50_us, m->p90_us, m->p99_us, m->max_us);
        tf_buf_putc(b, '}');
    }
    tf_buf_printf(b, "],\"models_capped\":%s,\"models_limit\":%d", s->models_capped ? "true" : "false",
                  TF_REPORT_MODELS);
}

static void put_days(tf_buf *b, const tf_report_summary *s)
{
    tf_buf_puts(b, ",\"series\":[");
    for (size_t i = 0; i < s->n_series; i++) {
        if (i)
            tf_buf_putc(b, ',');
        put_str(b, s->series[i].name);
    }
    tf_buf_puts(b, "],\"daily\":[");
    for (size_t d = 0; d < s->n_days; d++) {
        const tf_report_day *day = &s->days[d];
        tf_buf_printf(b, "%s{\"date\":\"%s\",", d ? "," : "", day->date);
        put_cell(b, &day->total);
        tf_buf_puts(b, ",\"models\":[");
        bool first = true;
        for (size_t i = 0; i < s->n_series; i++) {
            if (!day->by[i].requests)
                continue;
            tf_buf_puts(b, first ? "{\"model\":" : ",{\"model\":");
            first = false;
            put_str(b, s->series[i].name);
            tf_buf_printf(b, ",\"other\":%s,", s->series[i].other ? "true" : "false");
            put_cell(b, &day->by[i]);
            tf_buf_putc(b, '}');
        }
        tf_buf_puts(b, "]}");
    }
    tf_buf_printf(b, "],\"days_limit\":%d,\"days_dropped\":{\"requests\":", TF_REPORT_DAYS);
    put_u64(b, s->days_dropped_requests);
    tf_buf_puts(b, ",\"from\":");
    if (s->days_dropped_requests)
        put_str(b, s->dropped_from);
    else
        tf_buf_puts(b, "null");
    tf_buf_puts(b, ",\"to\":");
    if (s->days_dropped_requests)
        put_str(b, s->dropped_to);
    else
        tf_buf_puts(b, "null");
    tf_buf_putc(b, '}');
}

static void put_top(tf_buf *b, const char *name, const tf_report_top *t, size_t n, bool exact, uint64_t max_over,
                    uint64_t seen, uint64_t none)
{
    tf_buf_printf(b, ",\"%s\":{\"exact\":%s,\"max_over\":", name, exact ? "true" : "false");
    put_u64(b, max_over);
    tf_buf_printf(b, ",\"%s\":", exact ? "distinct" : "tracked");
    put_u64(b, seen);
    tf_buf_puts(b, ",\"requests_without\":");
    put_u64(b, none);
    tf_buf_puts(b, ",\"top\":[");
    for (size_t i = 0; i < n; i++) {
        tf_buf_puts(b, i ? ",{\"key\":" : "{\"key\":");
        put_str(b, t[i].key);
        tf_buf_printf(b, ",\"requests\":%llu,\"over\":%llu,\"errors\":%llu,\"tokens\":%llu,\"cost\":",
                      (unsigned long long)t[i].requests, (unsigned long long)t[i].over,
                      (unsigned long long)t[i].errors, (unsigned long long)t[i].tokens);
        put_double(b, t[i].cost);
        tf_buf_putc(b, '}');
    }
    tf_buf_puts(b, "]}");
}

static void put_run(tf_buf *b, const tf_report_summary *s)
{
    const tf_report_run *r = &s->run;
    if (!s->has_run) {
        tf_buf_puts(b, ",\"run\":null");
        return;
    }
    tf_buf_printf(b, ",\"run\":{\"streams\":%llu,\"input_errors\":%llu,\"records\":%llu,\"filtered\":%llu,"
                     "\"rejected\":%llu,\"spans\":%llu,\"profile\":",
                  (unsigned long long)r->streams, (unsigned long long)r->input_errors,
                  (unsigned long long)r->records, (unsigned long long)r->filtered, (unsigned long long)r->rejected,
                  (unsigned long long)r->spans);
    if (r->profile)
        put_str(b, r->profile);
    else
        tf_buf_puts(b, "null");
    tf_buf_puts(b, ",\"rejects\":[");
    for (size_t i = 0; i < r->n_reasons; i++) {
        tf_buf_puts(b, i ? ",{\"reason\":" : "{\"reason\":");
        put_str(b, r->reasons[i].reason);
        tf_buf_printf(b, ",\"count\":%llu}", (unsigned long long)r->reasons[i].n);
    }
    tf_buf_puts(b, "]}");
}

void tf_usage_report_json(const tf_usage_report *r, tf_buf *b)
{
    tf_report_summary s;
    tf_usage_report_summarize(r, &s);
    bool any = s.total.requests > 0;
    tf_buf_puts(b, "{\"schema\":\"tracefill.report/1\",\"range\":{\"first_start\":");
    put_time(b, s.first_start_ns, any);
    tf_buf_puts(b, ",\"last_start\":");
    put_time(b, s.last_start_ns, any);
    tf_buf_puts(b, "},\"totals\":{");
    put_cell(b, &s.total);
    tf_buf_puts(b, ",\"requests_with_cost\":");
    put_u64(b, s.has_cost);
    tf_buf_puts(b, ",\"traces\":");
    put_u64(b, s.traces);
    tf_buf_printf(b, ",\"traces_exact\":%s,\"latency_us\":", s.traces_exact ? "true" : "false");
    put_latency(b, s.latencies, s.p50_us, s.p90_us, s.p99_us, s.max_us);
    tf_buf_putc(b, '}');
    put_run(b, &s);
    put_models(b, &s);
    put_days(b, &s);
    put_top(b, "users", s.users, s.n_users, s.users_exact, s.users_max_over, s.users_seen, s.no_user);
    put_top(b, "sessions", s.sessions, s.n_sessions, s.sessions_exact, s.sessions_max_over, s.sessions_seen,
            s.no_session);
    tf_buf_puts(b, "}\n");
    tf_report_summary_free(&s);
}
