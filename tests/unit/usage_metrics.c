/* unit/usage_metrics.c: the OpenMetrics writer of run --usage-metrics, on
 * facts built by hand, its file read back: samples at step ends with their
 * cumulative values and a previous value at a step's start (step
 * boundaries: a record at 59.999s is in the first minute, one at 60s in the
 * second), a gap's previous value, token types and cost appearing when
 * first carried, the histogram (cumulative buckets, +Inf = _count, _sum),
 * exemplars (the slowest record's trace id, the first error's, in the
 * bucket of its duration), label escaping, no Metric interleaved and
 * timestamps rising within each, the same bytes twice and with a tiny
 * buffer (many spilled runs), the window and max-series errors naming their
 * options, and an empty run. Expected lines are written out by hand. */
#include "config.h"
#include "usage/metrics.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define T0 1748764800ull /* 2025-06-01T08:00:00Z, a whole minute */
#define S(x) ((uint64_t)(x) * 1000000000ull)
#define MS(x) ((uint64_t)(x) * 1000000ull)

static char dir[] = "/tmp/tf-usage-unit.XXXXXX";
static char path[256];

static tf_usage_fact fact(const char *model, uint64_t start_ns, uint64_t dur_ns, uint8_t id)
{
    tf_usage_fact f = { .start_ns = start_ns, .duration_ns = dur_ns, .family = TF_USAGE_OPENROUTER };
    f.model = tf_str_c(model);
    f.provider = tf_str_c("");
    f.operation = tf_str_c("chat");
    f.service = f.span = f.user = f.session = tf_str_c("");
    memset(f.trace_id, id, 16);
    return f;
}

static tf_usage_metrics_opts defaults(void)
{
    return (tf_usage_metrics_opts){ .path = path, .step_ns = S(60), .window_ns = S(3600), .max_series = 100 };
}

static char *slurp(const char *p)
{
    FILE *fp = fopen(p, "rb");
    if (!fp)
        return NULL;
    tf_buf b = { 0 };
    char tmp[4096];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, fp)) > 0)
        tf_buf_append(&b, tmp, n);
    fclose(fp);
    tf_buf_putc(&b, '\0');
    return b.p;
}

/* Writes the facts and returns the file (NULL when anything failed). */
static char *run(const tf_usage_metrics_opts *o, const tf_usage_fact *f, size_t n, tf_err *err)
{
    tf_err_clear(err);
    unlink(path);
    tf_usage_metrics *m = tf_usage_metrics_new(o, err);
    if (!m)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (tf_usage_metrics_add(m, &f[i], err) != 0) {
            tf_usage_metrics_free(m);
            return NULL;
        }
    int rc = tf_usage_metrics_finish(m, NULL, err);
    tf_usage_metrics_free(m);
    return rc == 0 ? slurp(path) : NULL;
}

static bool has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; p && *p;) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && !memcmp(p, line, n))
            return true;
        p = e ? e + 1 : NULL;
    }
    return false;
}

#define has(text, line, ...)                                                                      \
    do {                                                                                          \
        if (!ok(text && has_line(text, line), __VA_ARGS__))                                       \
            diag("  missing: %s", line);                                                          \
    } while (0)

static size_t count_prefix(const char *text, const char *prefix)
{
    size_t n = 0, k = strlen(prefix);
    for (const char *p = text; p && *p;) {
        if (!strncmp(p, prefix, k))
            n++;
        const char *e = strchr(p, '\n');
        p = e ? e + 1 : NULL;
    }
    return n;
}

/* Every Metric's lines together (the name without _bucket/_count/_sum and
 * the labels without le), samples in rising time, "# EOF" last. */
static bool well_grouped(const char *text, char *why, size_t whylen)
{
    char seen[256][300];
    size_t n_seen = 0;
    char cur[300] = "";
    double last_ts = 0;
    for (const char *p = text; *p;) {
        const char *e = strchr(p, '\n');
        if (!e)
            return snprintf(why, whylen, "no newline at the end"), false;
        char line[1200];
        size_t len = (size_t)(e - p);
        if (len >= sizeof line)
            return snprintf(why, whylen, "line too long"), false;
        memcpy(line, p, len);
        line[len] = '\0';
        p = e + 1;
        if (line[0] == '#') {
            if (!strcmp(line, "# EOF") && *p)
                return snprintf(why, whylen, "text after # EOF"), false;
            continue;
        }
        char key[300];
        char *sp = strchr(line, ' '), *brace = strchr(line, '{');
        if (brace && sp && brace < sp) /* a label value may hold a space */
            sp = strstr(line, "} ") ? strstr(line, "} ") + 1 : NULL;
        if (!sp)
            return snprintf(why, whylen, "no value: %.200s", line), false;
        snprintf(key, sizeof key, "%.*s", (int)(sp - line), line);
        char *le = strstr(key, ",le=\"");
        if (le) /* le is the last label */
            le[0] = '}', le[1] = '\0';
        const char *sfx[] = { "_bucket", "_count", "_sum" };
        for (int i = 0; i < 3; i++) {
            char *s = strstr(key, sfx[i]);
            if (s && (s[strlen(sfx[i])] == '{' || s[strlen(sfx[i])] == '\0'))
                memmove(s, s + strlen(sfx[i]), strlen(s + strlen(sfx[i])) + 1);
        }
        char *ts = strchr(sp + 1, ' ');
        double t = ts ? strtod(ts + 1, NULL) : 0;
        if (strcmp(key, cur) != 0) {
            for (size_t i = 0; i < n_seen; i++)
                if (!strcmp(seen[i], key))
                    return snprintf(why, whylen, "interleaved: %.200s", line), false;
            if (n_seen == 256)
                return snprintf(why, whylen, "too many metrics for the test"), false;
            snprintf(seen[n_seen++], sizeof seen[0], "%s", key);
            snprintf(cur, sizeof cur, "%s", key);
        } else if (t < last_ts) {
            return snprintf(why, whylen, "time goes back: %.200s", line), false;
        }
        last_ts = t;
    }
    const char *eof = strstr(text, "# EOF\n");
    if (!eof || eof[6])
        return snprintf(why, whylen, "not ending with # EOF"), false;
    return true;
}

static void test_steps(void)
{
    tf_err err;
    tf_usage_fact f[4];
    f[0] = fact("m", S(T0), MS(300), 1);
    f[0].tokens[TF_TOK_INPUT] = 10;
    f[0].tokens_seen = 1 << TF_TOK_INPUT;
    f[1] = fact("m", S(T0) + MS(59999), MS(2000), 2); /* the slowest of the first minute */
    f[1].tokens[TF_TOK_INPUT] = 5;
    f[1].tokens_seen = 1 << TF_TOK_INPUT;
    f[1].error = true;
    f[2] = fact("m", S(T0 + 60), MS(100), 3); /* the second minute; carries a cost */
    f[2].has_cost = true;
    f[2].cost = 0.125;
    f[2].tokens[TF_TOK_OUTPUT] = 7;
    f[2].tokens_seen = 1 << TF_TOK_OUTPUT;
    f[3] = fact("m", S(T0 + 300), MS(400000), 4); /* minute 5, after a gap; beyond the last bucket */
    f[3].error = true;
    tf_usage_metrics_opts o = defaults();
    char *t = run(&o, f, 4, &err);
    ok(t != NULL, "written (%s)", err.msg);
    const char *L = "{model=\"m\",operation=\"chat\"}";
    char line[512];
#define LINE(...) (snprintf(line, sizeof line, __VA_ARGS__), line)
    has(t, LINE("openrouter_requests_total%s 0 1748764800", L), "a new series starts from 0 at its step's start");
    has(t, LINE("openrouter_requests_total%s 2 1748764860 # {trace_id=\"02020202020202020202020202020202\"} 1 "
                "1748764859.999", L),
        "59.999s is in the first minute; exemplar: the slowest record, value 1, its start");
    has(t, LINE("openrouter_requests_total%s 3 1748764920 # {trace_id=\"03030303030303030303030303030303\"} 1 "
                "1748764860", L),
        "60s is in the second minute");
    has(t, LINE("openrouter_requests_total%s 3 1748765100", L), "after a gap: the previous value at the step's start");
    has(t, LINE("openrouter_requests_total%s 4 1748765160 # {trace_id=\"04040404040404040404040404040404\"} 1 "
                "1748765100", L),
        "then the new one at its end");
    is_int(count_prefix(t, "openrouter_requests_total"), 5, "five requests samples, no more");
    has(t, LINE("openrouter_errors_total%s 1 1748764860 # {trace_id=\"02020202020202020202020202020202\"} 1 "
                "1748764859.999", L),
        "errors_total with the first error's exemplar");
    has(t, LINE("openrouter_errors_total%s 1 1748764920", L), "no error in the second minute: no exemplar");
    has(t, LINE("openrouter_tokens_total{model=\"m\",operation=\"chat\",type=\"input\"} 15 1748764860 # "
                "{trace_id=\"02020202020202020202020202020202\"} 5 1748764859.999"),
        "input tokens summed; exemplar value: the record's tokens");
    has(t, LINE("openrouter_tokens_total{model=\"m\",operation=\"chat\",type=\"output\"} 0 1748764860"),
        "a token type first seen starts from 0 at its step's start");
    has(t, LINE("openrouter_tokens_total{model=\"m\",operation=\"chat\",type=\"output\"} 7 1748764920 # "
                "{trace_id=\"03030303030303030303030303030303\"} 7 1748764860"),
        "output tokens");
    is_int(count_prefix(t, "openrouter_tokens_total{model=\"m\",operation=\"chat\",type=\"cached\"}"), 0,
           "a token type never carried has no series");
    has(t, LINE("openrouter_cost_usd_total%s 0.0 1748764860", L), "cost starts from 0.0 when first carried");
    has(t, LINE("openrouter_cost_usd_total%s 0.125 1748764920 # {trace_id=\"03030303030303030303030303030303\"} "
                "0.125 1748764860", L),
        "cost, a float");
    has(t, LINE("openrouter_cost_usd_total%s 0.125 1748765160", L), "cost carried on after the gap");
    has(t, LINE("openrouter_duration_seconds_bucket{model=\"m\",operation=\"chat\",le=\"0.5\"} 1 1748764860"),
        "0.3s in le=0.5");
    has(t, LINE("openrouter_duration_seconds_bucket{model=\"m\",operation=\"chat\",le=\"1.0\"} 1 1748764860"),
        "canonical le 1.0, cumulative");
    has(t, LINE("openrouter_duration_seconds_bucket{model=\"m\",operation=\"chat\",le=\"2.5\"} 2 1748764860 # "
                "{trace_id=\"02020202020202020202020202020202\"} 2.0 1748764859.999"),
        "2s in le=2.5 with its exemplar in that bucket");
    has(t, LINE("openrouter_duration_seconds_bucket{model=\"m\",operation=\"chat\",le=\"300.0\"} 3 1748765160"),
        "400s is not in le=300");
    has(t, LINE("openrouter_duration_seconds_bucket{model=\"m\",operation=\"chat\",le=\"+Inf\"} 4 1748765160 # "
                "{trace_id=\"04040404040404040404040404040404\"} 400.0 1748765100"),
        "+Inf holds all, with the exemplar beyond the last bound");
    has(t, LINE("openrouter_duration_seconds_count%s 4 1748765160", L), "_count = +Inf");
    has(t, LINE("openrouter_duration_seconds_sum%s 402.4 1748765160", L), "_sum in seconds: 0.3+2+0.1+400");
    ok(!strstr(t ? t : "", "_count{model=\"m\",operation=\"chat\"} 2 1748764860 #"), "no exemplar on _count");
    has(t, "# TYPE openrouter_requests counter", "TYPE on the family name, without _total");
    has(t, "# TYPE openrouter_duration_seconds histogram", "histogram TYPE");
    has(t, "# UNIT openrouter_duration_seconds seconds", "UNIT, a suffix of the name");
    has(t, "# UNIT openrouter_cost_usd usd", "UNIT usd");
    char why[300] = "";
    ok(t && well_grouped(t, why, sizeof why), "no Metric interleaved, time rising, # EOF last (%s)", why);
    free(t);
}

static void test_escaping_and_order(void)
{
    tf_err err;
    tf_usage_fact f[3];
    f[0] = fact("a\"b\\c\nd", S(T0), MS(10), 1);
    f[1] = fact("bad\xff", S(T0), MS(10), 2);
    f[2] = fact("z", S(T0), MS(10), 3);
    f[2].family = TF_USAGE_TRACEFILL;
    f[2].service = tf_str_c("svc");
    f[2].span = tf_str_c("GET /");
    tf_usage_metrics_opts o = defaults();
    o.by_user = true;
    o.shard = "1/2";
    f[0].user = tf_str_c("u1");
    char *t = run(&o, f, 3, &err);
    ok(t != NULL, "written (%s)", err.msg);
    has(t, "openrouter_requests_total{model=\"a\\\"b\\\\c\\nd\",operation=\"chat\",user=\"u1\",shard=\"1/2\"} 1 "
           "1748764860 # {trace_id=\"01010101010101010101010101010101\"} 1 1748764800",
        "\\, \" and newline escaped; user and shard labels in order");
    has(t, "openrouter_requests_total{model=\"bad\xEF\xBF\xBD\",operation=\"chat\",shard=\"1/2\"} 0 1748764800",
        "invalid UTF-8 becomes U+FFFD; no user label without a user");
    has(t, "tracefill_requests_total{service=\"svc\",span=\"GET /\",model=\"z\",shard=\"1/2\"} 0 1748764800",
        "tracefill_ family: service, span, model");
    const char *a = t ? strstr(t, "# TYPE openrouter_") : NULL, *b = t ? strstr(t, "# TYPE tracefill_") : NULL;
    ok(a && b && a < b, "openrouter_ families before tracefill_");
    char why[300] = "";
    ok(t && well_grouped(t, why, sizeof why), "grouped (%s)", why);
    free(t);
}

/* Many series over many steps, out of order within the window. */
static size_t many(tf_usage_fact *f, size_t cap)
{
    static const char *const models[] = { "m0", "m1", "m2", "m3", "m4", "m5", "m6" };
    size_t n = 0;
    for (unsigned i = 0; i < 400 && n < cap; i++) {
        uint64_t start = S(T0) + (uint64_t)i * MS(7300) - (i % 5 == 3 ? S(600) : 0); /* some 10 min late */
        f[n] = fact(models[(i * 5) % 7], start, MS(50 + (i * 977) % 9000), (uint8_t)i);
        f[n].tokens[i % TF_TOK_TYPES] = i;
        f[n].tokens_seen = (uint8_t)(1u << (i % TF_TOK_TYPES));
        f[n].has_cost = i % 3 == 0;
        f[n].cost = i / 1000.0;
        f[n].error = i % 11 == 0;
        n++;
    }
    return n;
}

static void test_determinism(void)
{
    tf_err err;
    static tf_usage_fact f[400];
    size_t n = many(f, 400);
    tf_usage_metrics_opts o = defaults();
    char *a = run(&o, f, n, &err);
    ok(a != NULL, "many series written (%s)", err.msg);
    char *b = run(&o, f, n, &err);
    ok(a && b && !strcmp(a, b), "the same facts twice: the same bytes");
    o.buffer_bytes = 200; /* a spill every few samples */
    char *c = run(&o, f, n, &err);
    ok(a && c && !strcmp(a, c), "a tiny buffer (hundreds of runs) gives the same bytes");
    char why[300] = "";
    ok(c && well_grouped(c, why, sizeof why), "joined runs: no Metric interleaved (%s)", why);
    /* requests at the end, per model, against a count of the facts */
    unsigned per[7] = { 0 };
    for (size_t i = 0; i < n; i++)
        per[f[i].model.p[1] - '0']++;
    uint64_t last_end = 0;
    for (size_t i = 0; i < n; i++)
        if (f[i].start_ns / S(60) * S(60) + S(60) > last_end)
            last_end = f[i].start_ns / S(60) * S(60) + S(60);
    int good = 0;
    for (int k = 0; k < 7; k++) {
        char line[200];
        snprintf(line, sizeof line, "openrouter_requests_total{model=\"m%d\",operation=\"chat\"} %u %llu", k, per[k],
                 (unsigned long long)(last_end / 1000000000ull));
        char with_ex[220];
        snprintf(with_ex, sizeof with_ex, "\n%s # {", line);
        good += a && (has_line(a, line) || strstr(a, with_ex)); /* with or without an exemplar */
    }
    is_int(good, 7, "every series ends with its total at the last step's end");
    free(a);
    free(b);
    free(c);
}

static void test_errors(void)
{
    tf_err err;
    tf_usage_fact f[3];
    f[0] = fact("m", S(T0 + 7200), MS(1), 1);
    f[1] = fact("m", S(T0 + 3600), MS(1), 2); /* exactly the window late: fine */
    f[2] = fact("m", S(T0), MS(1), 3);       /* 2h late */
    tf_usage_metrics_opts o = defaults();
    char *t = run(&o, f, 2, &err);
    ok(t != NULL, "a record exactly the window late is counted (%s)", err.msg);
    free(t);
    tf_err_clear(&err);
    unlink(path);
    tf_usage_metrics *m = tf_usage_metrics_new(&o, &err);
    int r0 = tf_usage_metrics_add(m, &f[0], &err), r1 = tf_usage_metrics_add(m, &f[2], &err);
    ok(r0 == 0 && r1 == -1, "a record beyond the window is refused");
    ok(strstr(err.msg, "--usage-window") != NULL, "the message names --usage-window: %s", err.msg);
    ok(strstr(err.msg, "2025-06-01T08:00:00Z") && strstr(err.msg, "2h0m0s") && strstr(err.msg, "(1h0m0s)"),
       "and says when, how late and the window");
    tf_err e2;
    tf_err_clear(&e2);
    ok(tf_usage_metrics_add(m, &f[1], &e2) == -1 && !strcmp(e2.msg, err.msg), "failed for good: the same error");
    ok(tf_usage_metrics_finish(m, NULL, &e2) == -1, "finish fails too");
    tf_usage_metrics_free(m);
    ok(access(path, F_OK) != 0, "no file left behind");
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    ok(access(tmp, F_OK) != 0, "no temporary file left behind");

    tf_usage_fact g[3] = { fact("a", S(T0), 1, 1), fact("b", S(T0), 1, 2), fact("c\"q", S(T0), 1, 3) };
    o.max_series = 2;
    t = run(&o, g, 2, &err);
    ok(t != NULL, "two series within --usage-max-series 2");
    free(t);
    t = run(&o, g, 3, &err);
    ok(t == NULL && strstr(err.msg, "--usage-max-series"), "a third is an error naming --usage-max-series: %s",
       err.msg);
    ok(strstr(err.msg, "more than 2 series") && strstr(err.msg, "openrouter_requests_total{model=\"c\\\"q\""),
       "saying the limit and the series that would be next");
    ok(access(path, F_OK) != 0, "no file written");
}

static void test_empty(void)
{
    tf_err err;
    tf_usage_metrics_opts o = defaults();
    char *t = run(&o, NULL, 0, &err);
    is_str(t, "# EOF\n", "no facts: just # EOF");
    free(t);
    o.path = "/nonexistent-dir/usage.om";
    ok(tf_usage_metrics_new(&o, &err) == NULL && strstr(err.msg, "/nonexistent-dir/usage.om.tmp"),
       "an unwritable path: an error naming it: %s", err.msg);
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    snprintf(path, sizeof path, "%s/usage.om", dir);
    test_steps();
    test_escaping_and_order();
    test_determinism();
    test_errors();
    test_empty();
    unlink(path);
    rmdir(dir);
    return done_testing();
}
