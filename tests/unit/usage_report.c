/* usage_report.c: the usage report's accumulator (usage/report.h) on
 * hand-made facts: totals, per day and model, top users, latency quantiles,
 * the bounds (models, days, heavy hitters), HTML escaping of hostile names,
 * JSON that parses and agrees, and deterministic output. Expected figures
 * are computed here from the facts as they are made. */
#include "config.h"
#include "usage/report.h"
#include "common/json.h"
#include "tap.h"

#include <math.h>

#define DAY_NS 86400000000000ull
#define T0 (20240ull * DAY_NS) /* 2025-06-01T00:00:00Z */

static tf_usage_fact fact(const char *model, const char *user, uint64_t start_ns, uint64_t dur_us, bool error,
                          uint64_t in, uint64_t out, double cost, uint32_t trace)
{
    tf_usage_fact f = { .start_ns = start_ns, .duration_ns = dur_us * 1000, .error = error, .has_cost = cost >= 0,
                        .cost = cost >= 0 ? cost : 0 };
    f.model = tf_str_c(model);
    if (user)
        f.user = tf_str_c(user);
    f.tokens[TF_TOK_INPUT] = in;
    f.tokens[TF_TOK_OUTPUT] = out;
    f.tokens[TF_TOK_CACHED] = in / 4;
    memcpy(f.trace_id, &trace, sizeof trace);
    f.trace_id[15] = 1;
    return f;
}

static const tf_json *jpath(const tf_json *root, const char *p)
{
    return tf_json_path(root, p);
}

static int64_t jint(const tf_json *root, const char *p)
{
    int64_t v = -1;
    const tf_json *x = jpath(root, p);
    if (!x || !tf_json_as_int64(x, &v))
        return -1;
    return v;
}

static double jdbl(const tf_json *root, const char *p)
{
    double v = -1;
    const tf_json *x = jpath(root, p);
    if (!x || !tf_json_as_double(x, &v))
        return -1;
    return v;
}

/* Three models over two days; every figure expected from the loop itself. */
static void test_figures(void)
{
    static const char *const models[] = { "m/a", "m/b", "m/c" };
    static const char *const users[] = { "alice", "bob", NULL };
    tf_usage_report *r = tf_usage_report_new(NULL);
    uint64_t req[2][3] = { { 0 } }, in_tot = 0, out_tot = 0, errors = 0, a_req = 0;
    double cost = 0, cost_day[2] = { 0 };
    uint64_t lat[300];
    size_t nlat = 0;
    for (uint32_t i = 0; i < 300; i++) {
        int day = i % 2, m = (int)(i % 3);
        const char *u = users[i % 7 == 0 ? 0 : i % 7 < 3 ? 1 : 2];
        bool err = i % 10 == 0;
        uint64_t in = 100 + i, out = 10 + i % 50;
        double c = i % 11 == 0 ? -1 : 0.001 * (i % 5);
        uint64_t dur = 1000 + 37 * i;
        tf_usage_fact f = fact(models[m], u, T0 + (uint64_t)day * DAY_NS + i * 1000000000ull, dur, err, in, out, c,
                               i % 250); /* traces 0..249: 50 repeated */
        tf_usage_report_add(r, &f);
        req[day][m]++;
        in_tot += in;
        out_tot += out;
        errors += err;
        if (c >= 0) {
            cost += c;
            cost_day[day] += c;
        }
        if (u && !strcmp(u, "bob"))
            a_req++;
        lat[nlat++] = dur;
    }
    tf_report_summary s;
    tf_usage_report_summarize(r, &s);
    is_int(s.total.requests, 300, "300 requests");
    is_int(s.total.errors, errors, "errors counted");
    is_int(s.total.tokens[TF_TOK_INPUT], in_tot, "input tokens summed");
    is_int(s.total.tokens[TF_TOK_OUTPUT], out_tot, "output tokens summed");
    ok(fabs(s.total.cost - cost) < 1e-9, "cost summed (%g, expected %g)", s.total.cost, cost);
    is_int(s.has_cost, 300 - 28, "requests with a cost (i %% 11 != 0)");
    is_int(s.traces, 250, "250 distinct traces");
    ok(s.traces_exact, "traces exact");
    is_int(s.first_start_ns, T0, "first start");
    is_int(s.last_start_ns, T0 + DAY_NS + 299 * 1000000000ull, "last start");
    is_int(s.n_days, 2, "two days");
    is_str(s.days[0].date, "2025-06-01", "day 1 date");
    is_str(s.days[1].date, "2025-06-02", "day 2 date");
    is_int(s.n_models, 3, "three models");
    is_int(s.n_series, 3, "three series, no other");
    for (size_t i = 0; i < s.n_series; i++) {
        int m = s.series[i].name[2] - 'a';
        is_int(s.days[0].by[i].requests, req[0][m], "day 1 %s requests", s.series[i].name);
        is_int(s.days[1].by[i].requests, req[1][m], "day 2 %s requests", s.series[i].name);
    }
    ok(fabs(s.days[1].total.cost - cost_day[1]) < 1e-9, "day 2 cost");
    is_str(s.users[0].key, "bob", "top user");
    is_int(s.users[0].requests, a_req, "top user's requests");
    ok(s.users_exact, "users exact");
    is_int(s.no_user, 300 - a_req - (300 + 6) / 7, "requests without a user");
    /* The exact nearest-rank median of the latencies, and the sketch's within 3.2% above. */
    uint64_t sorted[300];
    memcpy(sorted, lat, sizeof sorted);
    for (size_t i = 1; i < 300; i++)
        for (size_t j = i; j > 0 && sorted[j - 1] > sorted[j]; j--) {
            uint64_t t = sorted[j];
            sorted[j] = sorted[j - 1];
            sorted[j - 1] = t;
        }
    uint64_t exact50 = sorted[149], exact99 = sorted[296];
    ok(s.p50_us >= exact50 && (double)s.p50_us <= exact50 * 1.032, "p50 %llu within 3.2%% above %llu",
       (unsigned long long)s.p50_us, (unsigned long long)exact50);
    ok(s.p99_us >= exact99 && (double)s.p99_us <= exact99 * 1.032, "p99 %llu within 3.2%% above %llu",
       (unsigned long long)s.p99_us, (unsigned long long)exact99);
    is_int(s.max_us, sorted[299], "max exact");
    tf_report_summary_free(&s);

    /* The JSON says the same. */
    tf_report_reason rs[] = { { "not JSON", 3 }, { "no created_at", 1 } };
    tf_report_run run = { .records = 304, .rejected = 4, .spans = 1200, .streams = 1, .reasons = rs, .n_reasons = 2 };
    tf_usage_report_set_run(r, &run);
    tf_buf b = { 0 };
    tf_usage_report_json(r, &b);
    tf_json_parser *p = tf_json_parser_new();
    tf_arena a;
    tf_arena_init(&a, 1 << 16);
    tf_err err;
    tf_json *root = tf_json_parse_one(p, &a, b.p, b.len, &err);
    ok(root != NULL, "the JSON parses");
    if (root) {
        is_int(jint(root, "totals.requests"), 300, "json: requests");
        is_int(jint(root, "totals.tokens.input"), (int64_t)in_tot, "json: input tokens");
        ok(fabs(jdbl(root, "totals.cost") - cost) < 1e-9, "json: cost");
        ok(fabs(jdbl(root, "totals.error_rate") - (double)errors / 300) < 1e-9, "json: error rate");
        is_int(jint(root, "run.rejected"), 4, "json: rejected");
        is_int(jint(root, "run.rejects[0].count"), 3, "json: first reason's count");
        const tf_json *reason = jpath(root, "run.rejects[0].reason");
        ok(reason && tf_str_eqc(reason->str, "not JSON"), "json: first reason");
        is_int(jint(root, "users.top[0].requests"), (int64_t)a_req, "json: top user");
        const tf_json *d = jpath(root, "daily[1].date");
        ok(d && tf_str_eqc(d->str, "2025-06-02"), "json: second day");
    }
    tf_arena_free(&a);
    tf_json_parser_free(p);
    tf_buf_free(&b);
    tf_usage_report_free(r);
}

/* More models than kept by name, more than shown per day. */
static void test_model_bounds(void)
{
    tf_usage_report *r = tf_usage_report_new(NULL);
    char name[32];
    uint64_t want_other = 0;
    for (int m = 0; m < 200; m++) {
        snprintf(name, sizeof name, "model-%03d", m);
        int n = m < 10 ? 20 - m : 1; /* the first ten are the heaviest */
        for (int i = 0; i < n; i++) {
            tf_usage_fact f = fact(name, "u", T0 + (uint64_t)i, 10, false, 1, 1, 0.5, (uint32_t)(m * 100 + i));
            tf_usage_report_add(r, &f);
        }
        if (m >= TF_REPORT_MODELS)
            want_other += (uint64_t)n;
    }
    tf_report_summary s;
    tf_usage_report_summarize(r, &s);
    ok(s.models_capped, "models capped");
    is_int(s.n_models, TF_REPORT_MODELS + 1, "128 models and other");
    ok(s.models[s.n_models - 1].other, "other last");
    is_int(s.models[s.n_models - 1].c.requests, want_other, "other holds the models past 128");
    is_str(s.models[0].name, "model-000", "heaviest model first");
    is_int(s.n_series, 9, "8 series and other");
    is_str(s.series[7].name, "model-007", "the 8th series");
    uint64_t top8 = 0;
    for (int m = 0; m < 8; m++)
        top8 += (uint64_t)(20 - m);
    is_int(s.days[0].by[8].requests, s.total.requests - top8, "the day's other = all but the top 8");
    tf_report_summary_free(&s);
    tf_usage_report_free(r);
}

static void test_day_bounds(void)
{
    tf_usage_report *r = tf_usage_report_new(NULL);
    for (uint64_t d = 0; d < TF_REPORT_DAYS + 100; d++) {
        tf_usage_fact f = fact("m", NULL, T0 + d * DAY_NS, 5, false, 1, 1, 0.01, (uint32_t)d);
        tf_usage_report_add(r, &f);
    }
    tf_report_summary s;
    tf_usage_report_summarize(r, &s);
    is_int(s.n_days, TF_REPORT_DAYS, "days capped");
    is_int(s.days_dropped_requests, 100, "requests past the cap counted");
    is_int(s.total.requests, TF_REPORT_DAYS + 100, "but in the totals");
    tf_report_summary_free(&s);
    tf_buf b = { 0 };
    tf_usage_report_html(r, &b);
    ok(strstr(tf_buf_cstr(&b), "in the totals but not per day") != NULL, "the HTML says days were dropped");
    tf_buf_free(&b);
    tf_usage_report_free(r);
}

static void test_topk_bounds(void)
{
    tf_usage_report *r = tf_usage_report_new(NULL);
    char user[32];
    for (uint32_t i = 0; i < 5000; i++) {
        snprintf(user, sizeof user, "user-%u", i % 7 == 0 ? 0 : i);
        tf_usage_fact f = fact("m", user, T0 + i, 5, false, 1, 1, 0.01, i);
        tf_usage_report_add(r, &f);
    }
    tf_report_summary s;
    tf_usage_report_summarize(r, &s);
    ok(!s.users_exact, "5000 users: approximate");
    ok(s.users_max_over > 0, "the largest overcount is said (%llu)", (unsigned long long)s.users_max_over);
    is_str(s.users[0].key, "user-0", "the heavy user is still first");
    ok(s.users[0].requests >= 715 && s.users[0].requests <= 715 + s.users[0].over, "its count within its over");
    is_int(s.n_users, 20, "20 listed");
    tf_report_summary_free(&s);
    tf_buf b = { 0 };
    tf_usage_report_json(r, &b);
    ok(strstr(tf_buf_cstr(&b), "\"users\":{\"exact\":false") != NULL, "the JSON says approximate");
    b.len = 0;
    tf_usage_report_html(r, &b);
    ok(strstr(tf_buf_cstr(&b), "Approximate") != NULL, "the HTML says approximate");
    tf_buf_free(&b);
    tf_usage_report_free(r);
}

static void test_escaping(void)
{
    static const char hostile[] = "<script>alert(1)</script>&\"'";
    tf_buf b = { 0 };
    tf_html_escape(&b, hostile, strlen(hostile));
    is_str(tf_buf_cstr(&b), "&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;&#39;", "escaped");
    b.len = 0;
    tf_html_escape(&b, "a\x01\xff" "b\xc3\xa9", 6);
    is_str(tf_buf_cstr(&b), "a \xEF\xBF\xBD" "b\xc3\xa9", "control byte → space, invalid UTF-8 → U+FFFD, é kept");
    b.len = 0;

    tf_usage_report *r = tf_usage_report_new(NULL);
    tf_usage_report *r2 = tf_usage_report_new(NULL);
    for (uint32_t i = 0; i < 10; i++) {
        tf_usage_fact f = fact(i % 2 ? hostile : "ok/model", hostile, T0 + i, 100, false, 1, 2, 0.1, i);
        f.session = tf_str_c("<b>s</b>");
        tf_usage_report_add(r, &f);
        tf_usage_report_add(r2, &f);
    }
    tf_report_reason rs[] = { { "bad <tag> & \"quote\"", 1 } };
    tf_report_run run = { .records = 11, .rejected = 1, .reasons = rs, .n_reasons = 1 };
    tf_usage_report_set_run(r, &run);
    tf_usage_report_set_run(r2, &run);
    tf_usage_report_html(r, &b);
    const char *h = tf_buf_cstr(&b);
    ok(strstr(h, "<script") == NULL, "no <script in the HTML");
    ok(strstr(h, hostile) == NULL, "the raw hostile name is not in the HTML");
    ok(strstr(h, "&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;&#39;") != NULL, "the escaped name is");
    ok(strstr(h, "<b>s</b>") == NULL && strstr(h, "&lt;b&gt;s&lt;/b&gt;") != NULL, "sessions escaped");
    ok(strstr(h, "bad &lt;tag&gt; &amp; &quot;quote&quot;") != NULL, "reject reasons escaped");
    ok(strstr(h, "http://") == NULL && strstr(h, "https://") == NULL && strstr(h, "src=") == NULL &&
           strstr(h, "href=") == NULL && strstr(h, "@import") == NULL && strstr(h, "url(") == NULL,
       "nothing outside the page is referenced");
    ok(strstr(h, "name=\"viewport\"") != NULL && strstr(h, "@media print") != NULL, "viewport and print CSS");
    tf_buf b2 = { 0 };
    tf_usage_report_html(r2, &b2);
    ok(b.len == b2.len && !memcmp(b.p, b2.p, b.len), "the same facts give the same HTML bytes");
    b.len = b2.len = 0;
    tf_usage_report_json(r, &b);
    tf_usage_report_json(r2, &b2);
    ok(b.len == b2.len && !memcmp(b.p, b2.p, b.len), "and the same JSON bytes");
    ok(strstr(tf_buf_cstr(&b), "\"<script>alert(1)</script>&\\\"'\"") != NULL, "JSON keeps the name, quoted");
    tf_buf_free(&b);
    tf_buf_free(&b2);
    tf_usage_report_free(r);
    tf_usage_report_free(r2);
}

static void test_empty(void)
{
    tf_usage_report *r = tf_usage_report_new(NULL);
    tf_buf b = { 0 };
    tf_usage_report_json(r, &b);
    ok(strstr(tf_buf_cstr(&b), "\"first_start\":null") != NULL, "no request: no range");
    b.len = 0;
    tf_usage_report_html(r, &b);
    ok(strstr(tf_buf_cstr(&b), "No request in the inputs.") != NULL, "no request: said");
    tf_buf_free(&b);
    tf_usage_report_free(r);
}

int main(void)
{
    test_figures();
    test_model_bounds();
    test_day_bounds();
    test_topk_bounds();
    test_escaping();
    test_empty();
    return done_testing();
}
