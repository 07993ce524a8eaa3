/* report_html.c: the usage report as one self-contained HTML page
 * (report.h): inline CSS, inline SVG bar charts per UTC day (requests,
 * tokens, cost, stacked by model) with a legend, and tables with the
 * numbers. No script, no web font, nothing fetched: every reference is
 * inside the page. Every string from the logs is escaped (tf_html_escape),
 * the page has no generation time: the same input gives the same bytes. */
#include "config.h"
#include "usage/report.h"
#include "common/timefmt.h"

#include <stdio.h>
#include <string.h>

/* Colours of the series: distinct for 8 models, grey for "other". */
static const char *const palette[] = { "#2f6fb0", "#e07b28", "#3a9a4a", "#c23b3b", "#7d5bb5",
                                       "#8c5a44", "#d161a8", "#17a2b8" };
#define OTHER_COLOUR "#9a9a9a"

static const char css[] =
    "*{box-sizing:border-box}"
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0 auto;max-width:1100px;"
    "padding:12px;color:#1d1d1f;background:#fff;line-height:1.4}"
    "h1{font-size:1.5em;margin:.3em 0}h2{font-size:1.15em;margin:1.4em 0 .4em;border-bottom:1px solid #ddd}"
    ".cards{display:flex;flex-wrap:wrap;gap:8px}"
    ".card{flex:1 1 150px;border:1px solid #ddd;border-radius:6px;padding:8px}"
    ".card b{display:block;font-size:1.25em}.card span{color:#555;font-size:.85em}"
    ".scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;max-width:100%}"
    "table{border-collapse:collapse;font-size:.85em;margin:.3em 0}"
    "th,td{border:1px solid #ddd;padding:3px 6px;white-space:nowrap}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f3f3f3;text-align:left}"
    "svg.chart{width:100%;height:auto;max-width:900px;display:block}figure{margin:0 0 1em}"
    ".legend{display:flex;flex-wrap:wrap;gap:4px 14px;font-size:.85em;margin:.3em 0;padding:0;list-style:none}"
    ".sw{display:inline-block;width:.9em;height:.9em;margin-right:4px;vertical-align:-.1em;border-radius:2px}"
    ".note{color:#6b4d00;background:#fff7df;border:1px solid #f0d98c;padding:4px 8px;border-radius:4px;"
    "font-size:.9em}"
    "@media (max-width:600px){body{padding:6px}.card{flex-basis:45%}h1{font-size:1.25em}svg.chart{min-width:560px}}"
    "@media print{body{max-width:none;padding:0}.scroll{overflow:visible}h2{break-after:avoid}"
    "table,svg,figure{break-inside:avoid}a{color:inherit}}";

void tf_html_escape(tf_buf *out, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        unsigned char c = p[i];
        if (c >= 0x80) {
            size_t n = tf_utf8_seq(p + i, len - i);
            if (n) {
                tf_buf_append(out, p + i, n);
                i += n;
            } else {
                tf_buf_puts(out, "\xEF\xBF\xBD");
                i++;
            }
            continue;
        }
        switch (c) {
        case '&': tf_buf_puts(out, "&amp;"); break;
        case '<': tf_buf_puts(out, "&lt;"); break;
        case '>': tf_buf_puts(out, "&gt;"); break;
        case '"': tf_buf_puts(out, "&quot;"); break;
        case '\'': tf_buf_puts(out, "&#39;"); break;
        default: tf_buf_putc(out, c < 0x20 || c == 0x7f ? ' ' : (char)c);
        }
        i++;
    }
}

static void esc(tf_buf *b, const char *s)
{
    tf_html_escape(b, s, strlen(s));
}

/* A model's name as shown: "(no model)" when the requests named none. */
static void model_name(tf_buf *b, const tf_report_model *m)
{
    if (m->other)
        tf_buf_puts(b, "<i>other</i>");
    else if (!m->name[0])
        tf_buf_puts(b, "<i>(no model)</i>");
    else
        esc(b, m->name);
}

static void model_plain(tf_buf *b, const tf_report_model *m)
{
    esc(b, m->other ? "other" : m->name[0] ? m->name : "(no model)");
}

/* 1234567 → "1,234,567". */
static void num(tf_buf *b, uint64_t v)
{
    char d[24];
    size_t n = tf_fmt_u64(d, v);
    for (size_t i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0)
            tf_buf_putc(b, ',');
        tf_buf_putc(b, d[i]);
    }
}

static void money(tf_buf *b, double v)
{
    tf_buf_printf(b, v >= 100 || v == 0 ? "$%.2f" : "$%.4f", v);
}

static void ms(tf_buf *b, uint64_t us)
{
    if (us >= 10000000)
        tf_buf_printf(b, "%.1f s", (double)us / 1e6);
    else
        tf_buf_printf(b, "%.1f ms", (double)us / 1e3);
}

static void percent(tf_buf *b, uint64_t part, uint64_t whole)
{
    tf_buf_printf(b, "%.2f%%", whole ? 100.0 * (double)part / (double)whole : 0.0);
}

static void td_num(tf_buf *b, uint64_t v)
{
    tf_buf_puts(b, "<td class=\"n\">");
    num(b, v);
    tf_buf_puts(b, "</td>");
}

static void td_money(tf_buf *b, double v)
{
    tf_buf_puts(b, "<td class=\"n\">");
    money(b, v);
    tf_buf_puts(b, "</td>");
}

static void td_ms(tf_buf *b, uint64_t us)
{
    tf_buf_puts(b, "<td class=\"n\">");
    ms(b, us);
    tf_buf_puts(b, "</td>");
}

static const char *colour(const tf_report_summary *s, size_t i)
{
    return s->series[i].other ? OTHER_COLOUR : palette[i % TF_ARRAY_LEN(palette)];
}

static void card(tf_buf *b, const char *label, const char *value_html)
{
    tf_buf_printf(b, "<div class=\"card\"><span>%s</span><b>%s</b></div>", label, value_html);
}

static void cards(tf_buf *b, const tf_report_summary *s)
{
    tf_buf v = { 0 };
    tf_buf_puts(b, "<div class=\"cards\">");
#define CARD(label, code)            \
    do {                             \
        v.len = 0;                   \
        code;                        \
        card(b, label, tf_buf_cstr(&v)); \
    } while (0)
    CARD("Requests", num(&v, s->total.requests));
    CARD("Errors", (num(&v, s->total.errors), tf_buf_puts(&v, " ("), percent(&v, s->total.errors, s->total.requests),
                    tf_buf_puts(&v, ")")));
    CARD("Cost", money(&v, s->total.cost));
    CARD("Input tokens", num(&v, s->total.tokens[TF_TOK_INPUT]));
    CARD("Output tokens", num(&v, s->total.tokens[TF_TOK_OUTPUT]));
    CARD("Cached input tokens", num(&v, s->total.tokens[TF_TOK_CACHED]));
    CARD("Reasoning tokens", num(&v, s->total.tokens[TF_TOK_REASONING]));
    CARD(s->traces_exact ? "Traces" : "Traces (estimate)", num(&v, s->traces));
    CARD("Latency p50", ms(&v, s->p50_us));
    CARD("Latency p90", ms(&v, s->p90_us));
    CARD("Latency p99", ms(&v, s->p99_us));
    CARD("Latency max", ms(&v, s->max_us));
    if (s->has_run) {
        CARD("Records read", num(&v, s->run.records));
        CARD("Spans", num(&v, s->run.spans));
        CARD("Records rejected", num(&v, s->run.rejected));
    }
#undef CARD
    tf_buf_puts(b, "</div>");
    tf_buf_free(&v);
}

static void legend(tf_buf *b, const tf_report_summary *s)
{
    tf_buf_puts(b, "<ul class=\"legend\">");
    for (size_t i = 0; i < s->n_series; i++) {
        tf_buf_printf(b, "<li><span class=\"sw\" style=\"background:%s\"></span>", colour(s, i));
        model_name(b, &s->series[i]);
        tf_buf_puts(b, "</li>");
    }
    tf_buf_puts(b, "</ul>");
}

enum { M_REQUESTS, M_TOKENS, M_COST };

static double measure(const tf_report_cell *c, int what)
{
    switch (what) {
    case M_REQUESTS: return (double)c->requests;
    case M_TOKENS: return (double)(c->tokens[TF_TOK_INPUT] + c->tokens[TF_TOK_OUTPUT]);
    default: return c->cost;
    }
}

static void measure_text(tf_buf *b, double v, int what)
{
    if (what == M_COST)
        money(b, v);
    else
        num(b, (uint64_t)v);
}

#define CW 900.0
#define CH 260.0
#define PL 70.0 /* left margin: the axis labels */
#define PB 30.0 /* bottom margin: the dates */
#define PT 10.0

/* One stacked bar per day; a <title> on each piece says what it is. */
static void chart(tf_buf *b, const tf_report_summary *s, int what, const char *title)
{
    double top = 0;
    for (size_t d = 0; d < s->n_days; d++) {
        double sum = 0;
        for (size_t i = 0; i < s->n_series; i++)
            sum += measure(&s->days[d].by[i], what);
        if (sum > top)
            top = sum;
    }
    tf_buf_printf(b, "<figure><div class=\"scroll\"><svg class=\"chart\" viewBox=\"0 0 %.0f %.0f\" "
                     "role=\"img\" aria-label=\"%s per day\"><title>%s per day</title>",
                  CW, CH, title, title);
    double pw = CW - PL - 10, ph = CH - PT - PB;
    tf_buf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#888\"/>", PL, PT + ph,
                  PL + pw, PT + ph);
    tf_buf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#888\"/>", PL, PT, PL, PT + ph);
    tf_buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">", PL - 4, PT + 8);
    measure_text(b, top, what);
    tf_buf_printf(b, "</text><text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">0</text>", PL - 4,
                  PT + ph);
    double slot = s->n_days ? pw / (double)s->n_days : pw;
    double bw = slot > 3 ? TF_MIN(slot * 0.8, 60.0) : slot;
    for (size_t d = 0; d < s->n_days && top > 0; d++) {
        double x = PL + slot * (double)d + (slot - bw) / 2, y = PT + ph;
        for (size_t i = 0; i < s->n_series; i++) {
            double v = measure(&s->days[d].by[i], what);
            if (v <= 0)
                continue;
            double h = v / top * ph;
            y -= h;
            tf_buf_printf(b, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\"><title>%s ", x,
                          y, bw, h, colour(s, i), s->days[d].date);
            model_plain(b, &s->series[i]);
            tf_buf_puts(b, ": ");
            measure_text(b, v, what);
            tf_buf_puts(b, "</title></rect>");
        }
    }
    /* Dates under the axis: at most about 8 of them. */
    size_t every = s->n_days > 8 ? (s->n_days + 7) / 8 : 1;
    for (size_t d = 0; d < s->n_days; d += every)
        tf_buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\">%s</text>",
                      PL + slot * ((double)d + 0.5), CH - 10, s->days[d].date);
    tf_buf_printf(b, "</svg></div><figcaption>%s per UTC day, stacked by model</figcaption></figure>", title);
}

static void model_table(tf_buf *b, const tf_report_summary *s)
{
    tf_buf_puts(b, "<h2>Models</h2><div class=\"scroll\"><table><thead><tr><th>Model</th><th>Requests</th>"
                   "<th>Errors</th><th>Error rate</th><th>Input tokens</th><th>Output tokens</th><th>Cached</th>"
                   "<th>Reasoning</th><th>Cost</th><th>p50</th><th>p90</th><th>p99</th><th>Max</th></tr></thead>"
                   "<tbody>");
    for (size_t i = 0; i < s->n_models; i++) {
        const tf_report_model *m = &s->models[i];
        tf_buf_puts(b, "<tr><td>");
        model_name(b, m);
        tf_buf_puts(b, "</td>");
        td_num(b, m->c.requests);
        td_num(b, m->c.errors);
        tf_buf_puts(b, "<td class=\"n\">");
        percent(b, m->c.errors, m->c.requests);
        tf_buf_puts(b, "</td>");
        for (int t = 0; t < TF_TOK_TYPES; t++)
            td_num(b, m->c.tokens[t]);
        td_money(b, m->c.cost);
        td_ms(b, m->p50_us);
        td_ms(b, m->p90_us);
        td_ms(b, m->p99_us);
        td_ms(b, m->max_us);
        tf_buf_puts(b, "</tr>");
    }
    tf_buf_puts(b, "</tbody></table></div>");
    if (s->models_capped)
        tf_buf_printf(b, "<p class=\"note\">More than %d models: the ones seen after the first %d are counted "
                         "together as <i>other</i>.</p>",
                      TF_REPORT_MODELS, TF_REPORT_MODELS);
}

static void day_table(tf_buf *b, const tf_report_summary *s)
{
    tf_buf_puts(b, "<h2>Per day and model</h2><div class=\"scroll\"><table><thead><tr><th>Day (UTC)</th>"
                   "<th>Model</th><th>Requests</th><th>Errors</th><th>Input tokens</th><th>Output tokens</th>"
                   "<th>Cost</th></tr></thead><tbody>");
    for (size_t d = 0; d < s->n_days; d++) {
        const tf_report_day *day = &s->days[d];
        for (size_t i = 0; i < s->n_series; i++) {
            const tf_report_cell *c = &day->by[i];
            if (!c->requests)
                continue;
            tf_buf_printf(b, "<tr><td>%s</td><td><span class=\"sw\" style=\"background:%s\"></span>", day->date,
                          colour(s, i));
            model_name(b, &s->series[i]);
            tf_buf_puts(b, "</td>");
            td_num(b, c->requests);
            td_num(b, c->errors);
            td_num(b, c->tokens[TF_TOK_INPUT]);
            td_num(b, c->tokens[TF_TOK_OUTPUT]);
            td_money(b, c->cost);
            tf_buf_puts(b, "</tr>");
        }
        tf_buf_printf(b, "<tr><th>%s</th><th>all</th>", day->date);
        td_num(b, day->total.requests);
        td_num(b, day->total.errors);
        td_num(b, day->total.tokens[TF_TOK_INPUT]);
        td_num(b, day->total.tokens[TF_TOK_OUTPUT]);
        td_money(b, day->total.cost);
        tf_buf_puts(b, "</tr>");
    }
    tf_buf_puts(b, "</tbody></table></div>");
}

static void top_table(tf_buf *b, const char *what, const tf_report_top *t, size_t n, bool exact, uint64_t max_over,
                      uint64_t seen, uint64_t none)
{
    tf_buf_printf(b, "<h2>Top %ss</h2>", what);
    if (!n) {
        tf_buf_printf(b, "<p>No request named a %s.</p>", what);
        return;
    }
    tf_buf_printf(b, "<div class=\"scroll\"><table><thead><tr><th>#</th><th>%s</th><th>Requests</th>"
                     "<th>Errors</th><th>Tokens (in+out)</th><th>Cost</th></tr></thead><tbody>",
                  what);
    for (size_t i = 0; i < n; i++) {
        tf_buf_printf(b, "<tr><td class=\"n\">%zu</td><td>", i + 1);
        esc(b, t[i].key);
        tf_buf_puts(b, "</td>");
        td_num(b, t[i].requests);
        td_num(b, t[i].errors);
        td_num(b, t[i].tokens);
        td_money(b, t[i].cost);
        tf_buf_puts(b, "</tr>");
    }
    tf_buf_puts(b, "</tbody></table></div><p>");
    if (exact)
        tf_buf_printf(b, "%llu distinct %ss; exact figures.", (unsigned long long)seen, what);
    else
        tf_buf_printf(b, "<span class=\"note\">Approximate: more distinct %ss than the %d tracked; a request "
                         "count may be over by at most %llu, and errors, tokens and cost count only while the %s "
                         "was tracked.</span>",
                      what, TF_REPORT_TOPK_CAP, (unsigned long long)max_over, what);
    if (none)
        tf_buf_printf(b, " %llu requests named no %s.", (unsigned long long)none, what);
    tf_buf_puts(b, "</p>");
}

static void rejects_table(tf_buf *b, const tf_report_summary *s)
{
    if (!s->has_run)
        return;
    const tf_report_run *r = &s->run;
    tf_buf_puts(b, "<h2>Records</h2><p>");
    num(b, r->records);
    tf_buf_puts(b, " records read from ");
    num(b, r->streams);
    tf_buf_puts(b, " streams: ");
    num(b, r->filtered);
    tf_buf_puts(b, " filtered out, ");
    num(b, r->rejected);
    tf_buf_puts(b, " rejected, ");
    num(b, r->spans);
    tf_buf_puts(b, " spans built.");
    if (r->input_errors) {
        tf_buf_puts(b, " <span class=\"note\">");
        num(b, r->input_errors);
        tf_buf_puts(b, " inputs were unreadable or corrupt part-way.</span>");
    }
    tf_buf_puts(b, "</p>");
    if (!r->n_reasons)
        return;
    tf_buf_puts(b, "<div class=\"scroll\"><table><thead><tr><th>Reject reason</th><th>Records</th></tr></thead>"
                   "<tbody>");
    for (size_t i = 0; i < r->n_reasons; i++) {
        tf_buf_puts(b, "<tr><td>");
        esc(b, r->reasons[i].reason);
        tf_buf_puts(b, "</td>");
        td_num(b, r->reasons[i].n);
        tf_buf_puts(b, "</tr>");
    }
    tf_buf_puts(b, "</tbody></table></div>");
}

static void head(tf_buf *b, const tf_report_summary *s)
{
    tf_buf_printf(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                     "<meta name=\"generator\" content=\"tracefill %s\">"
                     "<title>LLM usage report</title><style>%s</style></head><body>",
                  PACKAGE_VERSION, css);
    tf_buf_puts(b, "<h1>LLM usage report</h1><p>");
    if (s->total.requests) {
        char from[31], to[31];
        tf_time_format(s->first_start_ns, from);
        tf_time_format(s->last_start_ns, to);
        from[19] = to[19] = '\0';
        from[10] = to[10] = ' ';
        tf_buf_printf(b, "Requests started from %s to %s UTC.", from, to);
    } else {
        tf_buf_puts(b, "No request in the inputs.");
    }
    tf_buf_puts(b, " Nothing was sent anywhere: this report was made from the logs alone.</p>");
}

void tf_usage_report_html(const tf_usage_report *r, tf_buf *b)
{
    tf_report_summary s;
    tf_usage_report_summarize(r, &s);
    head(b, &s);
    cards(b, &s);
    if (s.n_days) {
        tf_buf_puts(b, "<h2>Per day</h2>");
        legend(b, &s);
        chart(b, &s, M_REQUESTS, "Requests");
        chart(b, &s, M_TOKENS, "Tokens (input + output)");
        chart(b, &s, M_COST, "Cost (USD)");
        if (s.n_series && s.series[s.n_series - 1].other)
            tf_buf_printf(b, "<p>The charts and the table below show the %zu models with the most requests; "
                             "the others are summed as <i>other</i>.</p>",
                          s.n_series - 1);
    }
    if (s.days_dropped_requests)
        tf_buf_printf(b, "<p class=\"note\">The requests span more than %d days: %llu requests from %s to %s are "
                         "in the totals but not per day.</p>",
                      TF_REPORT_DAYS, (unsigned long long)s.days_dropped_requests, s.dropped_from, s.dropped_to);
    model_table(b, &s);
    if (s.n_days)
        day_table(b, &s);
    top_table(b, "user", s.users, s.n_users, s.users_exact, s.users_max_over, s.users_seen, s.no_user);
    top_table(b, "session", s.sessions, s.n_sessions, s.sessions_exact, s.sessions_max_over, s.sessions_seen,
              s.no_session);
    rejects_table(b, &s);
    tf_buf_puts(b, "<p><small>Latency quantiles are within 3.2% above the exact value (a log-linear "
                   "histogram); the maximum is exact. Costs are the logs' own figures in USD.</small></p>"
                   "</body></html>\n");
    tf_report_summary_free(&s);
}
