/* cmd_verify.c: `tracefill verify`: are the traces a run sent in Tempo?
 *
 * IDs are deterministic, so the traces a run sends follow from its inputs
 * and options (profile, filters, time shift, the oversize-span reject):
 * verify drives the same feed as run (run/feed.h) and collects each span's
 * trace and span ID, or reads them from a manifest (`run --manifest FILE`),
 * optionally keeps an even sample (--sample N), then looks every trace up in
 * Tempo's HTTP API (output/tempo_query.h, bounded by --concurrency and
 * --query-rate) and checks that every expected span ID is there, looking a
 * second time, 5 s later, at the traces not wholly found. Report on
 * stdout; the traces not wholly found go to --missing FILE as manifest lines
 * (so `verify --manifest FILE` checks them again). Exit 0 only when every
 * trace was found whole. */
#include "config.h"
#include "tool/cmds.h"
#include "tool/exit.h"
#include "tool/msg.h"
#include "tool/verify_set.h"
#include "output/tempo_query.h"
#include "run/feed.h"
#include "common/json.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static atomic_int stop_signal; /* lock-free: the handler stores, the threads load */

/* The pause before the second look at traces not wholly found. */
#define TF_VERIFY_RECHECK_S 5

static void on_signal(int sig)
{
    if (atomic_load(&stop_signal))
        _exit(TF_EXIT_SIGNAL_BASE + sig);
    atomic_store(&stop_signal, sig);
}

/* ---- the expected traces from the inputs ------------------------------------------ */

/* Stream slots to their file and member: the begin hook runs on the reader's
 * thread, the results are handled on this one. */
typedef struct {
    pthread_mutex_t mu;
    char **path, **member;
    size_t n;
    uint64_t input_errors;
} streams;

static bool begin_stream(void *ctx, uint32_t slot, const tf_stream_info *info, uint64_t *offset)
{
    streams *st = ctx;
    pthread_mutex_lock(&st->mu);
    if (slot >= st->n) {
        size_t n = slot + 16;
        st->path = tf_xrealloc(st->path, n * sizeof *st->path);
        st->member = tf_xrealloc(st->member, n * sizeof *st->member);
        memset(st->path + st->n, 0, (n - st->n) * sizeof *st->path);
        memset(st->member + st->n, 0, (n - st->n) * sizeof *st->member);
        st->n = n;
    }
    free(st->path[slot]);
    free(st->member[slot]);
    st->path[slot] = tf_xstrdup(info->path ? info->path : info->name);
    st->member[slot] = info->member ? tf_xstrdup(info->member) : NULL;
    pthread_mutex_unlock(&st->mu);
    *offset = 0;
    return true;
}

static void on_input_error(void *ctx, const tf_err *err)
{
    streams *st = ctx;
    tf_errorf("%s", err->msg);
    pthread_mutex_lock(&st->mu);
    st->input_errors++;
    pthread_mutex_unlock(&st->mu);
}

static void add_record_spans(tf_vset *set, streams *st, const tf_result *res)
{
    pthread_mutex_lock(&st->mu);
    uint32_t slot = res->msg->slot;
    const char *path = slot < st->n ? st->path[slot] : NULL, *member = slot < st->n ? st->member[slot] : NULL;
    pthread_mutex_unlock(&st->mu);
    for (size_t i = 0; i < res->n_ev; i++) {
        const tf_ev *e = &res->ev[i];
        if (e->kind != TF_EV_SPANS)
            continue;
        for (size_t k = 0; k < e->n; k++) {
            const tf_ev_span *sp = &res->spans[e->first + k];
            tf_vset_add(set, sp->trace_id, sp->span_id, path, member, e->offset);
        }
    }
}

/* Maps the inputs as run would (the encoding and batch limits of an upload
 * to --protocol decide which records' spans are too big to send). */
static int collect_inputs(const tf_opts *o, tf_vset *set, streams *st, tf_mapper_stats *ms)
{
    tf_opts ro = *o;
    ro.endpoint = o->query_endpoint;
    tf_feed_opts fo = { .begin = begin_stream, .begin_ctx = st, .on_input_error = on_input_error,
                        .input_error_ctx = st, .stop_request = &stop_signal };
    tf_run_plan_make(&ro, false, &fo.plan);
    tf_err err;
    tf_feed *feed = tf_feed_new(&ro, &fo, &err);
    if (!feed) {
        tf_errorf("%s", err.msg);
        return TF_EXIT_USAGE;
    }
    if (tf_feed_start(feed, &err) != 0) {
        tf_errorf("%s", err.msg);
        tf_feed_free(feed);
        return TF_EXIT_FAILURE;
    }
    for (const tf_result *res; (res = tf_feed_next(feed))->msg->kind != TF_RD_DONE;) {
        const tf_rd_msg *msg = res->msg;
        if (msg->kind == TF_RD_FRAMES)
            add_record_spans(set, st, res);
        else if (msg->kind == TF_RD_END && msg->error) {
            tf_errorf("%s: %s", msg->name, msg->error);
            st->input_errors++;
        }
        tf_feed_release(feed, res);
        if (atomic_load(&stop_signal)) {
            tf_feed_stop(feed);
            break;
        }
    }
    *ms = tf_feed_mapper_stats(feed);
    tf_feed_source_stats(feed); /* joins the reader: inputs it could not open were counted by on_input_error */
    tf_feed_free(feed);
    return TF_EXIT_OK;
}

static void on_bad_line(void *ctx, const char *msg)
{
    uint64_t *bad = ctx;
    tf_errorf("%s", msg);
    (*bad)++;
}

/* ---- the lookups ---------------------------------------------------------------- */

enum { V_PENDING = 0, V_FOUND, V_INCOMPLETE, V_MISSING, V_ERROR };

typedef struct {
    uint8_t *state;     /* per trace */
    uint8_t **absent;   /* V_INCOMPLETE: the span IDs not found (8 bytes each) */
    uint32_t *n_absent;
    char **why;         /* V_ERROR */
    uint64_t counts[5];
    uint64_t spans_absent;
} outcome;

static int cmp8(const void *a, const void *b)
{
    return memcmp(a, b, 8);
}

/* Compares what Tempo holds with what was expected. */
static void judge(outcome *out, size_t i, tf_vtrace *t, const tf_tq_result *r)
{
    if (r->status == TF_TQ_NOT_FOUND || (r->status == TF_TQ_FOUND && !r->n_spans)) {
        out->state[i] = V_MISSING;
        out->spans_absent += t->n;
    } else if (r->status == TF_TQ_FAILED) {
        out->state[i] = V_ERROR;
        out->why[i] = tf_xstrdup(r->why ? r->why : "lookup failed");
    } else {
        uint8_t *got = tf_xmalloc(r->n_spans * 8);
        memcpy(got, r->span_ids, r->n_spans * 8);
        qsort(got, r->n_spans, 8, cmp8);
        uint8_t *absent = NULL;
        uint32_t n_absent = 0;
        size_t g = 0;
        for (uint32_t k = 0; k < t->n; k++) {
            const uint8_t *want = t->spans + (size_t)k * 8;
            while (g < r->n_spans && memcmp(got + g * 8, want, 8) < 0)
                g++;
            if (g < r->n_spans && !memcmp(got + g * 8, want, 8))
                continue;
            absent = tf_xrealloc(absent, ((size_t)n_absent + 1) * 8);
            memcpy(absent + (size_t)n_absent++ * 8, want, 8);
        }
        free(got);
        out->state[i] = n_absent ? V_INCOMPLETE : V_FOUND;
        out->absent[i] = absent;
        out->n_absent[i] = n_absent;
        out->spans_absent += n_absent;
    }
    out->counts[out->state[i]]++;
}

static void progress(const outcome *out, size_t total, bool final)
{
    char line[200];
    uint64_t done = out->counts[V_FOUND] + out->counts[V_INCOMPLETE] + out->counts[V_MISSING] + out->counts[V_ERROR];
    snprintf(line, sizeof line, "verify: %llu of %zu traces looked up: %llu found, %llu missing, %llu incomplete, %llu errors",
             (unsigned long long)done, total, (unsigned long long)out->counts[V_FOUND],
             (unsigned long long)out->counts[V_MISSING], (unsigned long long)out->counts[V_INCOMPLETE],
             (unsigned long long)out->counts[V_ERROR]);
    tf_msg_progress(line, final);
}

/* Forgets trace i's outcome, for a second look. */
static void forget(outcome *out, size_t i, const tf_vtrace *t)
{
    out->counts[out->state[i]]--;
    out->spans_absent -= out->state[i] == V_MISSING ? t->n : out->n_absent[i];
    out->state[i] = V_PENDING;
    free(out->absent[i]);
    free(out->why[i]);
    out->absent[i] = NULL;
    out->why[i] = NULL;
    out->n_absent[i] = 0;
}

/* Runs the queued lookups to the end: -1 when authentication failed
 * (printed), 0 otherwise (stopped or done). */
static int drain(const tf_opts *o, tf_tq *q, tf_vset *set, outcome *out)
{
    size_t n = tf_vset_count(set);
    bool show = o->progress && isatty(STDERR_FILENO) && o->msg_level >= TF_MSG_NORMAL;
    uint64_t last = 0;
    tf_tq_result r;
    tf_err err;
    int rc = 0;
    while (!atomic_load(&stop_signal) && (rc = tf_tq_next(q, &r, &err)) > 0) {
        size_t i = (size_t)(uintptr_t)r.user;
        judge(out, i, tf_vset_at(set, i), &r);
        if (out->state[i] == V_ERROR)
            tf_verbosef("trace %zu: %s", i, r.why ? r.why : "lookup failed");
        uint64_t now = tf_now_mono_ns();
        if (show && now - last > 200000000u) {
            progress(out, n, false);
            last = now;
        }
    }
    if (show)
        progress(out, n, true);
    if (!atomic_load(&stop_signal) && rc < 0) {
        tf_errorf("%s", err.msg);
        return -1;
    }
    return 0;
}

/* Every trace once; then, after a pause, those not wholly found once more:
 * Tempo 2.x answers 404 for a trace while its ingester moves it from the
 * live traces into the head block, and a trace pushed a moment ago may not
 * be complete yet. */
static int look_up(const tf_opts *o, tf_tq *q, tf_vset *set, outcome *out, uint64_t *second_found)
{
    size_t n = tf_vset_count(set);
    for (size_t i = 0; i < n; i++)
        tf_tq_submit(q, tf_vset_at(set, i)->id, (void *)(uintptr_t)i);
    if (drain(o, q, set, out) != 0)
        return -1;
    size_t again = 0;
    for (size_t i = 0; i < n; i++)
        if (out->state[i] == V_MISSING || out->state[i] == V_INCOMPLETE || out->state[i] == V_ERROR)
            again++;
    if (!again || atomic_load(&stop_signal))
        return 0;
    tf_notef("%zu traces not wholly found; looking again in %d s", again, TF_VERIFY_RECHECK_S);
    for (int k = 0; k < TF_VERIFY_RECHECK_S * 10 && !atomic_load(&stop_signal); k++)
        usleep(100000);
    uint64_t found_before = out->counts[V_FOUND];
    for (size_t i = 0; i < n && !atomic_load(&stop_signal); i++)
        if (out->state[i] == V_MISSING || out->state[i] == V_INCOMPLETE || out->state[i] == V_ERROR) {
            forget(out, i, tf_vset_at(set, i));
            tf_tq_submit(q, tf_vset_at(set, i)->id, (void *)(uintptr_t)i);
        }
    int rc = drain(o, q, set, out);
    *second_found = out->counts[V_FOUND] - found_before;
    return rc;
}

/* ---- the report ------------------------------------------------------------------- */

static void put_ids(tf_buf *b, const char *key, const uint8_t *ids, size_t n)
{
    tf_buf_printf(b, ",\"%s\":[", key);
    for (size_t k = 0; k < n; k++) {
        char hex[17];
        tf_hex_encode(hex, ids + k * 8, 8);
        hex[16] = '\0';
        tf_buf_printf(b, "%s\"%s\"", k ? "," : "", hex);
    }
    tf_buf_putc(b, ']');
}

static void put_opt_string(tf_buf *b, const char *key, const char *v)
{
    tf_buf_printf(b, ",\"%s\":", key);
    if (v)
        tf_json_write_string(b, v, strlen(v));
    else
        tf_buf_puts(b, "null");
}

/* A manifest line for a trace not (wholly) found, with what is missing. */
static void missing_line(tf_buf *b, const tf_vtrace *t, const outcome *out, size_t i)
{
    static const char *const names[] = { "pending", "found", "incomplete", "missing", "error" };
    char hex[33];
    tf_hex_encode(hex, t->id, 16);
    hex[32] = '\0';
    b->len = 0;
    tf_buf_printf(b, "{\"trace_id\":\"%s\",\"status\":\"%s\"", hex, names[out->state[i]]);
    if (t->root)
        put_opt_string(b, "root", t->root);
    if (t->start)
        put_opt_string(b, "start", t->start);
    tf_buf_printf(b, ",\"spans\":%u", t->n);
    put_ids(b, "span_ids", t->spans, t->n);
    if (out->state[i] == V_INCOMPLETE)
        put_ids(b, "missing_span_ids", out->absent[i], out->n_absent[i]);
    if (out->state[i] == V_ERROR)
        put_opt_string(b, "error", out->why[i]);
    put_opt_string(b, "source", t->source);
    put_opt_string(b, "member", t->member);
    if (t->has_offset)
        tf_buf_printf(b, ",\"offset\":%llu", (unsigned long long)t->offset);
    tf_buf_puts(b, "}\n");
}

static int write_missing(const char *path, tf_vset *set, const outcome *out)
{
    FILE *f = !strcmp(path, "-") ? stdout : fopen(path, "w");
    if (!f) {
        tf_errorf("cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    tf_buf b = { 0 };
    for (size_t i = 0; i < tf_vset_count(set); i++) {
        if (out->state[i] == V_FOUND || out->state[i] == V_PENDING)
            continue;
        missing_line(&b, tf_vset_at(set, i), out, i);
        fwrite(b.p, 1, b.len, f);
    }
    tf_buf_free(&b);
    int bad = ferror(f);
    if (f != stdout ? fclose(f) != 0 : fflush(f) != 0)
        bad = 1;
    if (bad) {
        tf_errorf("cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

static void print_report(const tf_opts *o, tf_tq *q, tf_vset *set, const outcome *out, size_t n)
{
    printf("query:      %s (GET /api/traces/<trace id>)\n", tf_tq_url(q));
    if (o->sample && tf_vset_traces_seen(set) > n)
        printf("expected:   %zu traces with %llu spans, an even sample of the %llu traces (%llu spans) %s\n", n,
               (unsigned long long)tf_vset_spans_kept(set), (unsigned long long)tf_vset_traces_seen(set),
               (unsigned long long)tf_vset_spans_seen(set), o->manifest ? "in the manifest" : "the inputs give");
    else
        printf("expected:   %zu traces with %llu spans (%s)\n", n, (unsigned long long)tf_vset_spans_kept(set),
               o->manifest ? "from the manifest" : "recomputed from the inputs");
    printf("found:      %llu traces with every span\n", (unsigned long long)out->counts[V_FOUND]);
    printf("incomplete: %llu traces\n", (unsigned long long)out->counts[V_INCOMPLETE]);
    printf("missing:    %llu traces\n", (unsigned long long)out->counts[V_MISSING]);
    if (out->counts[V_ERROR])
        printf("errors:     %llu traces could not be looked up (-v shows why)\n",
               (unsigned long long)out->counts[V_ERROR]);
    if (out->spans_absent)
        printf("spans:      %llu of %llu expected spans are not in Tempo\n", (unsigned long long)out->spans_absent,
               (unsigned long long)tf_vset_spans_kept(set));
}

static void outcome_free(outcome *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(out->absent[i]);
        free(out->why[i]);
    }
    free(out->state);
    free(out->absent);
    free(out->n_absent);
    free(out->why);
}

static int check_usage(const tf_opts *o)
{
    if (!o->query_endpoint) {
        tf_errorf("verify needs --query-endpoint URL: Tempo's HTTP API (port 3200 by default; Grafana Cloud: "
                  "the Tempo data source URL, https://tempo-prod-<n>-prod-<region>.grafana.net/tempo)");
        return -1;
    }
    if (o->manifest && o->n_inputs) {
        tf_errorf("verify takes either INPUT... (the run's inputs, read again) or --manifest FILE, not both");
        return -1;
    }
    if (!o->manifest && !o->n_inputs) {
        tf_errorf("verify needs the run's INPUT... (with the run's options) or --manifest FILE");
        return -1;
    }
    return 0;
}

static int collect(const tf_opts *o, tf_vset *set, uint64_t *input_problems)
{
    if (o->manifest) {
        tf_err err;
        uint64_t bad = 0;
        int rc = tf_vset_read_manifest(set, o->manifest, on_bad_line, &bad, &err);
        *input_problems = bad;
        if (rc != 0) {
            tf_errorf("%s", err.msg);
            return TF_EXIT_FAILURE;
        }
        return TF_EXIT_OK;
    }
    streams st = { .mu = PTHREAD_MUTEX_INITIALIZER };
    tf_mapper_stats ms = { 0 };
    int rc = collect_inputs(o, set, &st, &ms);
    for (size_t i = 0; i < st.n; i++) {
        free(st.path[i]);
        free(st.member[i]);
    }
    free(st.path);
    free(st.member);
    *input_problems = st.input_errors;
    if (rc == TF_EXIT_OK && ms.rejected)
        tf_notef("%llu records were rejected (run does not send them either)", (unsigned long long)ms.rejected);
    return rc;
}

int tf_cmd_verify(const tf_opts *o)
{
    if (check_usage(o) != 0)
        return TF_EXIT_USAGE;
    tf_err err;
    tf_tq_opts qo = { o->query_endpoint, o->concurrency, o->query_rate, o->max_retries };
    tf_tq *q = tf_tq_new(o, &qo, &err);
    if (!q) {
        tf_errorf("%s", err.msg);
        return TF_EXIT_USAGE;
    }
    atomic_store(&stop_signal, 0);
    struct sigaction sa = { .sa_handler = on_signal }, old_int, old_term;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    tf_vset *set = tf_vset_new(o->sample);
    uint64_t input_problems = 0, second = 0;
    int status = collect(o, set, &input_problems);
    tf_vset_seal(set);
    size_t n = tf_vset_count(set);
    outcome out = { 0 };
    out.state = tf_xcalloc(n ? n : 1, 1);
    out.absent = tf_xcalloc(n ? n : 1, sizeof *out.absent);
    out.n_absent = tf_xcalloc(n ? n : 1, sizeof *out.n_absent);
    out.why = tf_xcalloc(n ? n : 1, sizeof *out.why);
    if (status == TF_EXIT_OK && !atomic_load(&stop_signal) && n == 0) {
        tf_errorf("no trace to look up: the %s gave none", o->manifest ? "manifest" : "inputs");
        status = TF_EXIT_INPUT_ERRORS;
    } else if (status == TF_EXIT_OK && !atomic_load(&stop_signal)) {
        if (tf_tq_probe(q, &err) != 0) {
            tf_errorf("%s", err.msg);
            status = TF_EXIT_FAILURE;
        } else if (look_up(o, q, set, &out, &second) != 0) {
            status = TF_EXIT_FAILURE;
        } else {
            print_report(o, q, set, &out, n);
            if (second)
                printf("note:       %llu traces were found only on the second look (%d s later)\n",
                       (unsigned long long)second, TF_VERIFY_RECHECK_S);
            uint64_t bad = out.counts[V_INCOMPLETE] + out.counts[V_MISSING] + out.counts[V_ERROR];
            if (o->missing && write_missing(o->missing, set, &out) != 0)
                status = TF_EXIT_FAILURE;
            if (atomic_load(&stop_signal)) {
                printf("result:     INTERRUPTED after %llu of %zu traces\n",
                       (unsigned long long)(bad + out.counts[V_FOUND]), n);
            } else if (bad) {
                printf("result:     MISSING: %llu of %zu traces are not wholly in Tempo%s%s\n",
                       (unsigned long long)bad, n, o->missing ? "; they are listed in " : "",
                       o->missing ? o->missing : "");
                status = TF_EXIT_FAILURE;
            } else {
                printf("result:     OK: every expected span is in Tempo\n");
                if (input_problems)
                    status = TF_EXIT_INPUT_ERRORS;
            }
        }
    }
    if (atomic_load(&stop_signal))
        status = TF_EXIT_SIGNAL_BASE + atomic_load(&stop_signal);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    outcome_free(&out, n);
    tf_vset_free(set);
    tf_tq_free(q);
    return status;
}
