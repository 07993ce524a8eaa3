/* cli.c: subcommands, the option table, environment variables and --help.
 * Options live in one table sorted by long name and searched with bsearch
 * (as curl's tool_getparam.c does); --help is generated from it. */
#include "config.h"
#include "tool/cli.h"
#include "tool/cmd_check.h"
#include "tool/cmds.h"
#include "tool/exit.h"
#include "tool/msg.h"
#include "tool/opts.h"
#include "common/timefmt.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Registers memory to free with the options; returns it. */
static char *own(tf_opts *o, char *p)
{
    o->owned = tf_xrealloc(o->owned, (o->n_owned + 1) * sizeof *o->owned);
    o->owned[o->n_owned++] = p;
    return p;
}

typedef enum {
    O_ALLOW_EMPTY, O_BASIC_AUTH, O_BATCH_BYTES, O_BATCH_SPANS, O_CACERT, O_CHECKPOINT, O_CHECKPOINT_INTERVAL, O_COMPRESSION,
    O_CONCURRENCY, O_ENDPOINT, O_EXCLUDE, O_FORMAT, O_HEADER, O_HELP, O_INCLUDE, O_INSECURE, O_JOB_NAME, O_JOIN_TRACE_NAMES,
    O_MANIFEST, O_MARK_BACKFILL, O_MAX_RECORD_BYTES, O_MAX_RETRIES, O_MAX_RETRY_TIME, O_METRICS_FILE, O_MISSING,
    O_NO_PROGRESS, O_ON_CHANGED, O_OUTPUT, O_PROGRESS, O_SUMMARY_JSON, O_QUERY_ENDPOINT, O_QUERY_RATE, O_SAMPLE,
    O_PRIVACY, O_PROFILE, O_PROTOCOL, O_QUIET, O_RATE_LIMIT, O_RATE_LIMIT_BYTES, O_REJECTS,
    O_RESOURCE_ATTR, O_S3_ENDPOINT, O_S3_PATH_STYLE, O_SHARD, O_SHARDS, O_SINCE, O_TENANT, O_THREADS, O_TIME_SHIFT, O_TIME_SHIFT_TO, O_TIMEOUT, O_TOKEN_FILE,
    O_UNTIL, O_USAGE_BY, O_USAGE_MAX_SERIES, O_USAGE_METRICS, O_USAGE_ONLY, O_USAGE_STEP, O_USAGE_WINDOW,
    O_VERBOSE, O_VERSION, O_WHERE,
} opt_id;

typedef struct {
    const char *name; /* long name, without -- */
    char short_name;
    const char *arg;  /* NULL: a switch */
    opt_id id;
    const char *help;
} opt_def;

/* Sorted by name for bsearch (tests/unit/cli.c checks it with tf_cli_table_check). */
static const opt_def options[] = {
    { "allow-empty", 0, NULL, O_ALLOW_EMPTY, "reading no record at all is not an error (else exit status 4)" },
    { "basic-auth", 0, "USER", O_BASIC_AUTH, "HTTP basic auth user (Grafana Cloud: the instance ID); the password is the token" },
    { "batch-bytes", 0, "SIZE", O_BATCH_BYTES, "largest request before compression (default 2MiB)" },
    { "batch-spans", 0, "N", O_BATCH_SPANS, "most spans in one request (default 4096)" },
    { "cacert", 0, "FILE", O_CACERT, "CA certificates (PEM) to verify the endpoint with" },
    { "checkpoint", 0, "FILE", O_CHECKPOINT, "record acknowledged progress in FILE and resume from it" },
    { "checkpoint-interval", 0, "DURATION", O_CHECKPOINT_INTERVAL, "how often the checkpoint is saved while running (default 250ms)" },
    { "compression", 0, "ALG", O_COMPRESSION, "request compression: gzip (default), zstd or none" },
    { "concurrency", 0, "N", O_CONCURRENCY, "requests in flight at once (default 4)" },
    { "endpoint", 0, "URL", O_ENDPOINT, "OTLP/HTTP endpoint; /v1/traces is appended to a base URL" },
    { "exclude", 0, "GLOB", O_EXCLUDE, "skip archive members and S3 keys matching GLOB (repeatable)" },
    { "format", 0, "FORMAT", O_FORMAT, "report: html (default) or json" },
    { "header", 'H', "K=V", O_HEADER, "extra HTTP header (repeatable)" },
    { "help", 'h', NULL, O_HELP, "show this help" },
    { "include", 0, "GLOB", O_INCLUDE, "read only archive members, files in directories and S3 keys matching GLOB (repeatable)" },
    { "insecure", 0, NULL, O_INSECURE, "do not verify the endpoint's TLS certificate (unsafe)" },
    { "job-name", 0, "NAME", O_JOB_NAME, "the job label of --metrics-file (default tracefill)" },
    { "join-trace-names", 0, NULL, O_JOIN_TRACE_NAMES, "openrouter: records naming one non-hex trace_id share one trace (not what Broadcast does)" },
    { "manifest", 0, "FILE", O_MANIFEST, "one JSON line per acknowledged trace (gzip/zstd when FILE ends .gz/.zst); verify reads it" },
    { "mark-backfill", 0, NULL, O_MARK_BACKFILL, "add the resource attribute tracefill.backfill=true to every span" },
    { "max-record-bytes", 0, "SIZE", O_MAX_RECORD_BYTES, "reject records longer than SIZE (default 4MiB)" },
    { "max-retries", 0, "N", O_MAX_RETRIES, "retries of one request before giving up (default 10)" },
    { "max-retry-time", 0, "DURATION", O_MAX_RETRY_TIME, "give up retrying a request after DURATION (default 5m)" },
    { "metrics-file", 0, "FILE", O_METRICS_FILE, "Prometheus textfile of the run's counters (node_exporter), every 30s and at the end" },
    { "missing", 0, "FILE", O_MISSING, "verify: write the traces not wholly found, as manifest lines" },
    { "no-progress", 0, NULL, O_NO_PROGRESS, "no progress line on stderr" },
    { "on-changed", 0, "ACTION", O_ON_CHANGED, "an input changed since the checkpoint: fail (default), restart or skip" },
    { "output", 'o', "FILE", O_OUTPUT, "write OTLP/JSON lines to FILE (- for stdout) instead of uploading; report: the report file" },
    { "privacy", 0, NULL, O_PRIVACY, "leave prompt and completion content out" },
    { "profile", 0, "NAME|FILE", O_PROFILE, "openrouter, otlp, or a mapping file (default: detected)" },
    { "progress", 0, "WHEN", O_PROGRESS, "auto (a line on a terminal, else every 30s), plain (every 30s) or none" },
    { "protocol", 0, "PROTO", O_PROTOCOL, "http/protobuf (default) or http/json" },
    { "query-endpoint", 0, "URL", O_QUERY_ENDPOINT, "verify: Tempo's HTTP API to look traces up in (e.g. http://tempo:3200)" },
    { "query-rate", 0, "N", O_QUERY_RATE, "verify: at most N trace lookups per second (default 50)" },
    { "quiet", 'q', NULL, O_QUIET, "only errors on stderr" },
    { "rate-limit", 0, "N", O_RATE_LIMIT, "at most N spans per second" },
    { "rate-limit-bytes", 0, "SIZE", O_RATE_LIMIT_BYTES, "at most SIZE request bytes per second" },
    { "rejects", 0, "FILE", O_REJECTS, "where rejected records go (default beside the checkpoint or output)" },
    { "resource-attr", 0, "K=V", O_RESOURCE_ATTR, "add a resource attribute (repeatable)" },
    { "s3-endpoint", 0, "URL", O_S3_ENDPOINT, "S3-compatible endpoint for s3:// inputs (R2, MinIO ...; else $AWS_ENDPOINT_URL)" },
    { "s3-path-style", 0, NULL, O_S3_PATH_STYLE, "address buckets as ENDPOINT/BUCKET/KEY on AWS too (custom endpoints always are)" },
    { "sample", 0, "N", O_SAMPLE, "verify: look up N traces picked evenly by trace ID, not all" },
    { "shard", 0, "K/N", O_SHARD, "read only shard K (0-based) of N: inputs split by a stable hash of their names" },
    { "shards", 0, "N", O_SHARDS, "as --shard, K from $JOB_COMPLETION_INDEX (a Kubernetes Indexed Job)" },
    { "since", 0, "TIME", O_SINCE, "only records whose span starts at or after TIME" },
    { "summary-json", 0, "FILE", O_SUMMARY_JSON, "write what the run did as JSON to FILE (- for stdout), also on failure" },
    { "tenant", 0, "ID", O_TENANT, "Tempo tenant, sent as X-Scope-OrgID" },
    { "threads", 0, "N", O_THREADS, "worker threads (default: one per core, at most 4)" },
    { "time-shift", 0, "DURATION", O_TIME_SHIFT, "move all span times by DURATION (e.g. 720h, -5m)" },
    { "time-shift-to", 0, "TIME", O_TIME_SHIFT_TO, "move the spans so the latest ends at TIME (now, or a time); reads the inputs twice" },
    { "timeout", 0, "DURATION", O_TIMEOUT, "per-request timeout (default 10s)" },
    { "token-file", 0, "FILE", O_TOKEN_FILE, "read the API token from FILE (else $TRACEFILL_TOKEN)" },
    { "until", 0, "TIME", O_UNTIL, "only records whose span starts before TIME" },
    { "usage-by", 0, "LIST", O_USAGE_BY, "usage metrics: also label by user, session or both (user,session)" },
    { "usage-max-series", 0, "N", O_USAGE_MAX_SERIES, "usage metrics: stop past N series (default 10000)" },
    { "usage-metrics", 0, "FILE", O_USAGE_METRICS, "also write usage as OpenMetrics to FILE, with the records' times (promtool backfill)" },
    { "usage-only", 0, NULL, O_USAGE_ONLY, "with --usage-metrics: send and write no spans, only the usage metrics" },
    { "usage-step", 0, "DURATION", O_USAGE_STEP, "usage metrics: one sample per series per DURATION (default 1m)" },
    { "usage-window", 0, "DURATION", O_USAGE_WINDOW, "usage metrics: records may be out of time order by DURATION (default 1h)" },
    { "verbose", 'v', NULL, O_VERBOSE, "say more (each rejected record, each request)" },
    { "version", 'V', NULL, O_VERSION, "print the version" },
    { "where", 0, "K=V", O_WHERE, "only records with attribute K equal to V (repeatable, all must match)" },
};

static int cmp_opt(const void *key, const void *elem)
{
    return strcmp(key, ((const opt_def *)elem)->name);
}

const char *tf_cli_table_check(void)
{
    for (size_t i = 1; i < TF_ARRAY_LEN(options); i++)
        if (strcmp(options[i - 1].name, options[i].name) >= 0)
            return options[i].name;
    for (size_t i = 0; i < TF_ARRAY_LEN(options); i++)
        for (size_t j = i + 1; j < TF_ARRAY_LEN(options); j++)
            if (options[i].short_name && options[i].short_name == options[j].short_name)
                return options[j].name;
    return NULL;
}

static const opt_def *find_long(const char *name)
{
    return bsearch(name, options, TF_ARRAY_LEN(options), sizeof options[0], cmp_opt);
}

static const opt_def *find_short(char c)
{
    for (size_t i = 0; i < TF_ARRAY_LEN(options); i++)
        if (options[i].short_name == c)
            return &options[i];
    return NULL;
}

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: tracefill run [OPTIONS] INPUT...     backfill logs as traces\n"
            "       tracefill inspect [OPTIONS] INPUT... show what tracefill sees, send nothing\n"
            "       tracefill check [OPTIONS]            send one test span to the endpoint\n"
            "       tracefill verify --query-endpoint URL [OPTIONS] (INPUT... | --manifest FILE)\n"
            "                                            check that Tempo holds every span run sent\n"
            "       tracefill status --checkpoint FILE   show a checkpoint's progress\n"
            "       tracefill report [OPTIONS] INPUT... [-o FILE] [--format json]\n"
            "                                            usage report (HTML or JSON), send nothing\n"
            "INPUT is a file, a directory, - (stdin), s3://BUCKET/PREFIX or an http(s):// URL;\n"
            "compression and archives are detected.\n\n"
            "Options:\n");
    for (size_t i = 0; i < TF_ARRAY_LEN(options); i++) {
        const opt_def *d = &options[i];
        char left[48];
        snprintf(left, sizeof left, "%s%c%s--%s%s%s", d->short_name ? "-" : "   ",
                 d->short_name ? d->short_name : ' ', d->short_name ? ", " : " ", d->name,
                 d->arg ? " " : "", d->arg ? d->arg : "");
        fprintf(out, "  %-30s %s\n", left, d->help);
    }
    fprintf(out, "\nEnvironment: OTEL_EXPORTER_OTLP_{,TRACES_}{ENDPOINT,HEADERS,PROTOCOL,COMPRESSION,\n"
                 "TIMEOUT,CERTIFICATE}, OTEL_RESOURCE_ATTRIBUTES, OTEL_SERVICE_NAME, TRACEFILL_TOKEN,\n"
                 "JOB_COMPLETION_INDEX (--shards); for s3:// inputs AWS_ACCESS_KEY_ID,\n"
                 "AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL\n"
                 "(or ~/.aws/credentials and ~/.aws/config). Flags win over the environment.\n"
                 "See tracefill(1) for exit statuses and examples.\n");
}

/* "4MiB", "4M", "64k", "1G", "4096" → bytes. */
static bool parse_size(const char *s, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s)
        return false;
    unsigned long long mult = 1;
    if (*end) {
        char u = (char)(*end | 0x20);
        mult = u == 'k' ? 1ull << 10 : u == 'm' ? 1ull << 20 : u == 'g' ? 1ull << 30 : u == 'b' ? 1 : 0;
        if (!mult)
            return false;
        end++;
        if (*end == 'i' || *end == 'I')
            end++;
        if (*end == 'b' || *end == 'B')
            end++;
        if (*end)
            return false;
    }
    if (v > SIZE_MAX / mult)
        return false;
    *out = (size_t)(v * mult);
    return true;
}

/* A count: "4096", or with a decimal suffix "20k", "1.5M", "2G". */
static bool parse_int(const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s)
        return false;
    if (*end) {
        long mult = 0;
        const char *u = end;
        long frac = 0, fscale = 1;
        if (*u == '.') { /* "1.5M" */
            for (u++; *u >= '0' && *u <= '9' && fscale < 1000000; u++) {
                frac = frac * 10 + (*u - '0');
                fscale *= 10;
            }
        }
        switch (*u) {
        case 'k': case 'K': mult = 1000; break;
        case 'm': case 'M': mult = 1000000; break;
        case 'g': case 'G': mult = 1000000000; break;
        default: return false;
        }
        if (u[1] || v < 0 || v > LONG_MAX / mult)
            return false;
        v = v * mult + frac * (mult / fscale);
    }
    if (v < min || v > max)
        return false;
    *out = v;
    return true;
}

/* --since/--until: an absolute time, or a duration back from now ("24h", "7d"). */
static bool parse_when(const char *s, uint64_t now_ns, uint64_t *out)
{
    if (tf_time_parse_any(s, strlen(s), out))
        return true;
    int64_t ago;
    if (!tf_duration_parse(s, strlen(s), &ago) || ago <= 0 || (uint64_t)ago > now_ns)
        return false;
    *out = now_ns - (uint64_t)ago;
    return true;
}

static bool parse_keyval(tf_opts *o, const char *s, tf_keyval *kv)
{
    const char *eq = strchr(s, '=');
    const char *colon = strchr(s, ':');
    if (colon && (!eq || colon < eq)) /* "Header: value" form */
        eq = colon;
    if (!eq || eq == s)
        return false;
    kv->key = own(o, tf_xstrndup(s, (size_t)(eq - s)));
    const char *v = eq + 1;
    while (*v == ' ')
        v++;
    kv->value = v;
    return true;
}

static void push_kv(tf_keyval **arr, size_t *n, tf_keyval kv)
{
    *arr = tf_xrealloc(*arr, (*n + 1) * sizeof **arr);
    (*arr)[(*n)++] = kv;
}

static void push_str(const char ***arr, size_t *n, const char *s)
{
    *arr = tf_xrealloc(*arr, (*n + 1) * sizeof **arr);
    (*arr)[(*n)++] = s;
}

/* A base URL gets /v1/traces; a URL already ending in it is used as is. */
static char *traces_url(const char *base, bool append)
{
    size_t n = strlen(base);
    while (n && base[n - 1] == '/')
        n--;
    static const char suffix[] = "/v1/traces";
    if (!append || (n >= sizeof suffix - 1 && !memcmp(base + n - (sizeof suffix - 1), suffix, sizeof suffix - 1)))
        return tf_xstrndup(base, n);
    return tf_xasprintf("%.*s%s", (int)n, base, suffix);
}

static bool set_protocol(tf_opts *o, const char *v)
{
    if (!strcmp(v, "http/protobuf"))
        o->protocol = TF_ENC_PROTOBUF;
    else if (!strcmp(v, "http/json"))
        o->protocol = TF_ENC_JSON;
    else
        return false;
    return true;
}

static bool set_compression(tf_opts *o, const char *v)
{
    if (!strcmp(v, "gzip"))
        o->compression = TF_COMP_GZIP;
    else if (!strcmp(v, "zstd"))
        o->compression = TF_COMP_ZSTD;
    else if (!strcmp(v, "none") || !strcmp(v, "identity"))
        o->compression = TF_COMP_NONE;
    else
        return false;
    return true;
}

/* OTEL_EXPORTER_OTLP_HEADERS: "k1=v1,k2=v2" with %-encoded values. An entry
 * that is not KEY=VALUE, or holds a '%' without two hex digits, is an error
 * (naming the variable and the entry's position, never its value: it may be
 * a credential); blank entries (",,", a trailing comma) are skipped. */
static int env_headers(tf_opts *o, const char *var, const char *spec)
{
    char *copy = tf_xstrdup(spec);
    int rc = 0, idx = 0;
    for (char *tok = copy, *next; tok && rc == 0; tok = next) {
        next = strchr(tok, ',');
        if (next)
            *next++ = '\0';
        idx++;
        char *k = tok + strspn(tok, " \t");
        if (!*k)
            continue;
        char *eq = strchr(k, '=');
        if (!eq) {
            tf_errorf("%s: entry %d is not KEY=VALUE (its text is not shown: it may be a secret)", var, idx);
            rc = -1;
            break;
        }
        *eq = '\0';
        char *ke = eq;
        while (ke > k && (ke[-1] == ' ' || ke[-1] == '\t'))
            *--ke = '\0';
        if (!*k) {
            tf_errorf("%s: entry %d has no header name before '='", var, idx);
            rc = -1;
            break;
        }
        char *v = eq + 1 + strspn(eq + 1, " \t");
        char *dec = tf_xmalloc(strlen(v) + 1), *d = dec;
        for (char *p = v; *p; p++) {
            if (*p == '%') {
                uint8_t byte;
                if (!p[1] || !p[2] || tf_hex_decode(&byte, p + 1, 1) != 0) {
                    tf_errorf("%s: entry %d (header %s): '%%' must be followed by two hex digits", var, idx, k);
                    rc = -1;
                    break;
                }
                *d++ = (char)byte;
                p += 2;
                continue;
            }
            *d++ = *p;
        }
        *d = '\0';
        while (d > dec && (d[-1] == ' ' || d[-1] == '\t'))
            *--d = '\0';
        if (rc == 0)
            push_kv(&o->headers, &o->n_headers, (tf_keyval){ own(o, tf_xstrdup(k)), own(o, dec) });
        else
            free(dec);
    }
    memset(copy, 0, strlen(spec));
    free(copy);
    return rc;
}

/* OTEL_RESOURCE_ATTRIBUTES: "k1=v1,k2=v2", values %-encoded (W3C baggage
 * style). A malformed entry is an error, not silently ignored. */
static int env_resource_attrs(tf_opts *o, const char *spec)
{
    char *copy = tf_xstrdup(spec), *save = NULL;
    int rc = 0;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        char *k = tok;
        while (*k == ' ')
            k++;
        if (!eq || eq == k) {
            tf_errorf("OTEL_RESOURCE_ATTRIBUTES: \"%s\" is not key=value", tok);
            rc = -1;
            break;
        }
        *eq = '\0';
        char *end = eq;
        while (end > k && end[-1] == ' ')
            *--end = '\0';
        char *dec = tf_xmalloc(strlen(eq + 1) + 1), *d = dec;
        for (char *p = eq + 1; *p; p++) {
            uint8_t byte;
            if (*p == '%' && p[1] && p[2] && tf_hex_decode(&byte, p + 1, 1) == 0) {
                *d++ = (char)byte;
                p += 2;
            } else {
                *d++ = *p;
            }
        }
        *d = '\0';
        push_kv(&o->env_resource_attrs, &o->n_env_resource_attrs, (tf_keyval){ own(o, tf_xstrdup(k)), own(o, dec) });
    }
    free(copy);
    return rc;
}

static const char *env2(const char *traces_name, const char *generic_name)
{
    const char *v = getenv(traces_name);
    if (v && *v)
        return v;
    v = getenv(generic_name);
    return v && *v ? v : NULL;
}

/* Environment first; flags parsed afterwards override. */
static int apply_env(tf_opts *o)
{
    const char *v;
    if ((v = getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")) && *v)
        o->endpoint = own(o, traces_url(v, false));
    else if ((v = getenv("OTEL_EXPORTER_OTLP_ENDPOINT")) && *v)
        o->endpoint = own(o, traces_url(v, true));
    if ((v = env2("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL")) && !set_protocol(o, v)) {
        tf_errorf("OTEL_EXPORTER_OTLP_PROTOCOL=%s is not supported (http/protobuf or http/json)", v);
        return -1;
    }
    if ((v = env2("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "OTEL_EXPORTER_OTLP_COMPRESSION")) &&
        !set_compression(o, v)) {
        tf_errorf("OTEL_EXPORTER_OTLP_COMPRESSION=%s is not supported (gzip, zstd or none)", v);
        return -1;
    }
    if ((v = env2("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT"))) {
        long ms;
        if (!parse_int(v, 1, 3600000, &ms)) {
            tf_errorf("OTEL_EXPORTER_OTLP_TIMEOUT=%s is not a number of milliseconds", v);
            return -1;
        }
        o->timeout_ms = ms;
    }
    if ((v = env2("OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE", "OTEL_EXPORTER_OTLP_CERTIFICATE")))
        o->cacert = v;
    if ((v = getenv("OTEL_EXPORTER_OTLP_HEADERS")) && *v && env_headers(o, "OTEL_EXPORTER_OTLP_HEADERS", v) != 0)
        return -1;
    if ((v = getenv("OTEL_EXPORTER_OTLP_TRACES_HEADERS")) && *v &&
        env_headers(o, "OTEL_EXPORTER_OTLP_TRACES_HEADERS", v) != 0)
        return -1;
    if ((v = getenv("TRACEFILL_TOKEN")) && *v)
        o->token = v;
    if ((v = getenv("OTEL_RESOURCE_ATTRIBUTES")) && *v && env_resource_attrs(o, v) != 0)
        return -1;
    if ((v = getenv("OTEL_SERVICE_NAME")) && *v)
        push_kv(&o->env_resource_attrs, &o->n_env_resource_attrs, (tf_keyval){ "service.name", v });
    return 0;
}

static char *read_token_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        tf_errorf("cannot read the token file %s: %s", path, strerror(errno));
        return NULL;
    }
    tf_buf b = { 0 };
    char tmp[4096];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        tf_buf_append(&b, tmp, n);
    fclose(f);
    while (b.len && (b.p[b.len - 1] == '\n' || b.p[b.len - 1] == '\r' || b.p[b.len - 1] == ' '))
        b.len--;
    tf_buf_cstr(&b);
    if (!b.len) {
        tf_errorf("the token file %s is empty", path);
        tf_buf_free(&b);
        return NULL;
    }
    return b.p;
}

/* --usage-by: "user", "session", "user,session" (any order, no repeats). */
static int parse_usage_by(tf_opts *o, const char *v)
{
    o->usage_by_user = o->usage_by_session = false;
    for (const char *p = v; *p;) {
        size_t n = strcspn(p, ",");
        if (n == 4 && !strncmp(p, "user", 4) && !o->usage_by_user)
            o->usage_by_user = true;
        else if (n == 7 && !strncmp(p, "session", 7) && !o->usage_by_session)
            o->usage_by_session = true;
        else
            return -1;
        p += n;
        if (*p == ',' && *++p == '\0')
            return -1;
    }
    return o->usage_by_user || o->usage_by_session ? 0 : -1;
}

static int bad_value(const opt_def *d, const char *v, const char *expected)
{
    tf_errorf("--%s %s: expected %s", d->name, v, expected);
    return -1;
}

static int apply_opt(tf_opts *o, const opt_def *d, const char *v)
{
    long n;
    size_t sz;
    int64_t dur;
    uint64_t t;
    tf_keyval kv;
    switch (d->id) {
    case O_ALLOW_EMPTY: o->allow_empty = true; break;
    case O_BASIC_AUTH: o->basic_user = v; break;
    case O_BATCH_BYTES:
        if (!parse_size(v, &sz) || sz < 1024)
            return bad_value(d, v, "a size of at least 1KiB, e.g. 4MiB");
        o->batch_bytes = sz;
        break;
    case O_BATCH_SPANS:
        if (!parse_int(v, 1, 10000000, &n))
            return bad_value(d, v, "a number of spans >= 1");
        o->batch_spans = (size_t)n;
        break;
    case O_CACERT: o->cacert = v; break;
    case O_CHECKPOINT: o->checkpoint = v; break;
    case O_CHECKPOINT_INTERVAL:
        if (!tf_duration_parse(v, strlen(v), &dur) || dur < 1000000)
            return bad_value(d, v, "a duration of at least 1ms, such as 500ms or 5s");
        o->checkpoint_interval_ns = (uint64_t)dur;
        break;
    case O_COMPRESSION:
        if (!set_compression(o, v))
            return bad_value(d, v, "gzip, zstd or none");
        break;
    case O_CONCURRENCY:
        if (!parse_int(v, 1, 256, &n))
            return bad_value(d, v, "a number from 1 to 256");
        o->concurrency = (int)n;
        break;
    case O_ENDPOINT: o->endpoint = own(o, traces_url(v, true)); break;
    case O_EXCLUDE: push_str(&o->exclude, &o->n_exclude, v); break;
    case O_FORMAT:
        if (strcmp(v, "html") && strcmp(v, "json"))
            return bad_value(d, v, "html or json");
        o->format_json = !strcmp(v, "json");
        break;
    case O_HEADER:
        if (!parse_keyval(o, v, &kv))
            return bad_value(d, "(value hidden)", "NAME=VALUE or 'NAME: VALUE'");
        kv.value = own(o, tf_xstrdup(kv.value)); /* argv is blanked by the caller */
        push_kv(&o->headers, &o->n_headers, kv);
        break;
    case O_INCLUDE: push_str(&o->include, &o->n_include, v); break;
    case O_INSECURE: o->insecure = true; break;
    case O_JOB_NAME: o->job_name = v; break;
    case O_MANIFEST: o->manifest = v; break;
    case O_METRICS_FILE: o->metrics_file = v; break;
    case O_SUMMARY_JSON: o->summary_json = v; break;
    case O_MISSING: o->missing = v; break;
    case O_QUERY_ENDPOINT: o->query_endpoint = v; break;
    case O_QUERY_RATE:
        if (!parse_int(v, 1, 1000000, &n))
            return bad_value(d, v, "lookups per second >= 1");
        o->query_rate = (double)n;
        break;
    case O_SAMPLE:
        if (!parse_int(v, 1, 1000000000, &n))
            return bad_value(d, v, "a number of traces >= 1");
        o->sample = (size_t)n;
        break;
    case O_PROGRESS:
        if (!strcmp(v, "auto")) {
            o->progress = true;
            o->progress_plain = false;
        } else if (!strcmp(v, "plain")) {
            o->progress = o->progress_plain = true;
        } else if (!strcmp(v, "none")) {
            o->progress = false;
        } else {
            return bad_value(d, v, "auto, plain or none");
        }
        break;
    case O_MAX_RECORD_BYTES:
        if (!parse_size(v, &sz) || sz < 64)
            return bad_value(d, v, "a size of at least 64 bytes, e.g. 4MiB");
        o->max_record_bytes = sz;
        break;
    case O_MAX_RETRIES:
        if (!parse_int(v, 0, 1000, &n))
            return bad_value(d, v, "a number from 0 to 1000");
        o->max_retries = (int)n;
        break;
    case O_MAX_RETRY_TIME:
        if (!tf_duration_parse(v, strlen(v), &dur) || dur < 0)
            return bad_value(d, v, "a duration such as 90s or 10m");
        o->max_retry_time_ns = (uint64_t)dur;
        break;
    case O_NO_PROGRESS: o->progress = false; break;
    case O_ON_CHANGED:
        if (!strcmp(v, "fail"))
            o->on_changed = TF_ON_CHANGED_FAIL;
        else if (!strcmp(v, "restart"))
            o->on_changed = TF_ON_CHANGED_RESTART;
        else if (!strcmp(v, "skip"))
            o->on_changed = TF_ON_CHANGED_SKIP;
        else
            return bad_value(d, v, "fail, restart or skip");
        break;
    case O_OUTPUT: o->output = v; break;
    case O_PRIVACY: o->privacy = true; break;
    case O_JOIN_TRACE_NAMES: o->join_trace_names = true; break;
    case O_MARK_BACKFILL: o->mark_backfill = true; break;
    case O_PROFILE: o->profile = v; break;
    case O_PROTOCOL:
        if (!set_protocol(o, v))
            return bad_value(d, v, "http/protobuf or http/json");
        break;
    case O_QUIET: o->msg_level = TF_MSG_QUIET; break;
    case O_RATE_LIMIT:
        if (!parse_int(v, 1, 1000000000, &n))
            return bad_value(d, v, "spans per second >= 1");
        o->rate_spans = (double)n;
        break;
    case O_RATE_LIMIT_BYTES:
        if (!parse_size(v, &sz) || sz < 1)
            return bad_value(d, v, "bytes per second, e.g. 5MiB");
        o->rate_bytes = (double)sz;
        break;
    case O_REJECTS: o->rejects = v; break;
    case O_S3_ENDPOINT:
        if (strncmp(v, "http://", 7) && strncmp(v, "https://", 8)) {
            tf_errorf("--%s: expected an http:// or https:// URL", d->name); /* the value may hold a password */
            return -1;
        }
        o->s3_endpoint = v;
        break;
    case O_S3_PATH_STYLE: o->s3_path_style = true; break;
    case O_RESOURCE_ATTR:
        if (!parse_keyval(o, v, &kv))
            return bad_value(d, v, "KEY=VALUE");
        push_kv(&o->resource_attrs, &o->n_resource_attrs, kv);
        break;
    case O_SHARD: {
        unsigned long k, nn;
        char extra;
        if (sscanf(v, "%lu/%lu%c", &k, &nn, &extra) != 2 || nn < 1 || nn > 100000 || k >= nn)
            return bad_value(d, v, "K/N with 0 <= K < N, e.g. 0/4");
        o->shard_k = (uint32_t)k;
        o->shard_n = (uint32_t)nn;
        break;
    }
    case O_SHARDS: {
        const char *idx = getenv("JOB_COMPLETION_INDEX");
        long k;
        if (!parse_int(v, 1, 100000, &n))
            return bad_value(d, v, "a number of shards from 1 to 100000");
        if (!idx || !parse_int(idx, 0, n - 1, &k)) {
            tf_errorf("--shards %s needs JOB_COMPLETION_INDEX set to 0..%ld (a Kubernetes Indexed Job sets it); "
                      "elsewhere use --shard K/N",
                      v, n - 1);
            return -1;
        }
        o->shard_k = (uint32_t)k;
        o->shard_n = (uint32_t)n;
        break;
    }
    case O_SINCE:
    case O_UNTIL:
        if (!parse_when(v, tf_now_wall_ns(), &t))
            return bad_value(d, v, "a time such as 2024-07-15T23:00:00Z, 2024-07-15 or epoch seconds, or an age such as 24h or 7d");
        if (d->id == O_SINCE) {
            o->since_ns = t;
            o->has_since = true;
        } else {
            o->until_ns = t;
            o->has_until = true;
        }
        break;
    case O_TENANT: o->tenant = v; break;
    case O_THREADS:
        if (!parse_int(v, 1, 64, &n))
            return bad_value(d, v, "a number from 1 to 64");
        o->threads = (int)n;
        break;
    case O_TIME_SHIFT:
        if (!tf_duration_parse(v, strlen(v), &dur))
            return bad_value(d, v, "a duration such as 720h or -90m");
        o->time_shift_ns = dur;
        break;
    case O_TIME_SHIFT_TO:
        if (!strcmp(v, "now"))
            t = tf_now_wall_ns();
        else if (!parse_when(v, tf_now_wall_ns(), &t))
            return bad_value(d, v, "now, a time such as 2024-07-15T23:00:00Z, or an age such as 1h");
        o->has_shift_to = true;
        o->shift_to_ns = t;
        break;
    case O_TIMEOUT:
        if (!tf_duration_parse(v, strlen(v), &dur) || dur <= 0)
            return bad_value(d, v, "a duration such as 10s");
        o->timeout_ms = (long)(dur / 1000000);
        break;
    case O_TOKEN_FILE: {
        char *tok = read_token_file(v);
        if (!tok)
            return -1;
        o->token = own(o, tok);
        break;
    }
    case O_USAGE_BY:
        if (parse_usage_by(o, v) != 0)
            return bad_value(d, v, "user, session or user,session");
        break;
    case O_USAGE_MAX_SERIES:
        if (!parse_int(v, 1, 100000000, &n))
            return bad_value(d, v, "a number of series >= 1");
        o->usage_max_series = (size_t)n;
        break;
    case O_USAGE_METRICS: o->usage_metrics = v; break;
    case O_USAGE_ONLY: o->usage_only = true; break;
    case O_USAGE_STEP:
        if (!tf_duration_parse(v, strlen(v), &dur) || dur < 1000000000 || dur % 1000000 || dur > 31 * 86400000000000ll)
            return bad_value(d, v, "a duration from 1s to 31d in whole milliseconds, such as 1m or 15s");
        o->usage_step_ns = (uint64_t)dur;
        break;
    case O_USAGE_WINDOW:
        if (!tf_duration_parse(v, strlen(v), &dur) || dur < 0 || dur > 3660 * 86400000000000ll)
            return bad_value(d, v, "a duration such as 1h or 30m (at most 3660d)");
        o->usage_window_ns = (uint64_t)dur;
        break;
    case O_VERBOSE: o->msg_level = o->msg_level >= TF_MSG_VERBOSE ? TF_MSG_DEBUG : TF_MSG_VERBOSE; break;
    case O_WHERE:
        if (!parse_keyval(o, v, &kv))
            return bad_value(d, v, "KEY=VALUE");
        push_kv(&o->where, &o->n_where, kv);
        break;
    case O_HELP:
    case O_VERSION: break; /* handled by the caller */
    }
    return 0;
}

/* Edit distance (insertions, deletions, substitutions, transpositions) of
 * two short strings, capped at 9. */
static int distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    if (n > 40 || m > 40)
        return 9;
    int d[41][41];
    for (size_t i = 0; i <= n; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= m; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= n; i++)
        for (size_t j = 1; j <= m; j++) {
            int c = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            c = TF_MIN(c, d[i - 1][j] + 1);
            c = TF_MIN(c, d[i][j - 1] + 1);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                c = TF_MIN(c, d[i - 2][j - 2] + 1);
            d[i][j] = c;
        }
    return TF_MIN(d[n][m], 9);
}

const char *tf_cli_closest(const char *word, const char *const *names, size_t n)
{
    const char *best = NULL;
    int best_d = 3; /* at most 2 edits away */
    size_t wlen = strlen(word);
    for (size_t i = 0; i < n; i++) {
        int d = distance(word, names[i]);
        /* or a unique-looking prefix: --rate for --rate-limit */
        if (wlen >= 4 && !strncmp(names[i], word, wlen))
            d = TF_MIN(d, 2);
        if (d < best_d) {
            best_d = d;
            best = names[i];
        }
    }
    return best;
}

/* The long option closest to a mistyped one, or NULL. */
static const char *closest_option(const char *name)
{
    const char *names[TF_ARRAY_LEN(options)];
    for (size_t i = 0; i < TF_ARRAY_LEN(options); i++)
        names[i] = options[i].name;
    return tf_cli_closest(name, names, TF_ARRAY_LEN(options));
}

/* Options that would put a secret on the command line (and so in `ps`, shell
 * history and cron mail): refused with where the secret goes instead. */
static bool secret_option(const char *name)
{
    static const char *const words[] = { "token", "password", "passwd", "secret", "api-key", "apikey",
                                         "bearer", "auth-token", "access-key" };
    for (size_t i = 0; i < TF_ARRAY_LEN(words); i++)
        if (strstr(name, words[i]) && strcmp(name, "token-file"))
            return true;
    return false;
}

/* "unknown option --NAME", never with the value given after '=': it may be a secret. */
static int unknown_long(const char *name)
{
    if (secret_option(name)) {
        tf_errorf("--%s is not an option: secrets never go on the command line (they show in ps, shell "
                  "history and cron mail); put the token in a file and give --token-file FILE, or set "
                  "TRACEFILL_TOKEN",
                  name);
        return -1;
    }
    const char *near = closest_option(name);
    if (near)
        tf_errorf("unknown option --%s; did you mean --%s? (see tracefill --help)", name, near);
    else
        tf_errorf("unknown option --%s (see tracefill --help)", name);
    return -1;
}

/* Applies option d with value val (NULL for a switch); 1 when --help or
 * --version was handled. */
static int take(tf_opts *o, const opt_def *d, char *val)
{
    if (d->id == O_HELP) {
        usage(stdout);
        return 1;
    }
    if (d->id == O_VERSION) {
        printf("tracefill %s\n", PACKAGE_VERSION);
        return 1;
    }
    if (apply_opt(o, d, val) != 0)
        return -1;
    /* Header values may carry credentials: keep them out of `ps`. */
    if (d->id == O_HEADER) {
        char *colon = strpbrk(val, ":=");
        char *from = colon ? colon + 1 : val;
        memset(from, ' ', strlen(from));
    }
    return 0;
}

/* One argument of short options, bundled or not: "-v", "-vv", "-qo FILE",
 * "-oFILE". *i moves past a value taken from the next argument. */
static int short_opts(tf_opts *o, int argc, char **argv, int *i)
{
    char *a = argv[*i];
    for (char *c = a + 1; *c; c++) {
        const opt_def *d = find_short(*c);
        if (!d) {
            if (c == a + 1)
                tf_errorf("unknown option -%c (see tracefill --help)", *c);
            else
                tf_errorf("unknown option -%c in %.2s... (see tracefill --help)", *c, a);
            return -1;
        }
        char *val = NULL;
        if (d->arg) {
            if (c[1]) {
                val = c + 1;
            } else if (*i + 1 < argc) {
                val = argv[++*i];
            } else {
                tf_errorf("-%c (--%s) needs a value (%s)", *c, d->name, d->arg);
                return -1;
            }
        }
        int rc = take(o, d, val);
        if (rc != 0 || val)
            return rc;
    }
    return 0;
}

/* Returns 0, or 1 when --help/--version was handled, or -1 on a usage error. */
static int parse_args(tf_opts *o, int argc, char **argv)
{
    bool only_inputs = false;
    for (int i = 0; i < argc; i++) {
        char *a = argv[i];
        if (only_inputs || a[0] != '-' || !strcmp(a, "-")) {
            push_str(&o->inputs, &o->n_inputs, a);
            continue;
        }
        if (!strcmp(a, "--")) {
            only_inputs = true;
            continue;
        }
        if (a[1] != '-') {
            int rc = short_opts(o, argc, argv, &i);
            if (rc != 0)
                return rc;
            continue;
        }
        char *val = NULL;
        char name[64];
        char *eq = strchr(a + 2, '=');
        size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
        if (len >= sizeof name) {
            tf_errorf("unknown option --%.40s... (see tracefill --help)", a + 2);
            return -1;
        }
        memcpy(name, a + 2, len);
        name[len] = '\0';
        const opt_def *d = find_long(name);
        if (!d)
            return unknown_long(name);
        if (eq)
            val = eq + 1;
        if (d->arg && !val) {
            if (i + 1 >= argc) {
                tf_errorf("--%s needs a value (%s)", d->name, d->arg);
                return -1;
            }
            val = argv[++i];
        } else if (!d->arg && val) {
            tf_errorf("--%s takes no value", d->name);
            return -1;
        }
        int rc = take(o, d, val);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int dispatch(const char *cmd, tf_opts *o);

/* A --profile that is neither a built-in profile nor an existing file, but
 * close to a built-in name, is a typo: say so before anything runs. */
static int check_profile_name(const char *name)
{
    static const char *const builtin[] = { "auto", "openrouter", "otlp" };
    if (!name || access(name, F_OK) == 0)
        return 0;
    for (size_t i = 0; i < TF_ARRAY_LEN(builtin); i++)
        if (!strcmp(name, builtin[i]))
            return 0;
    const char *near = tf_cli_closest(name, builtin, TF_ARRAY_LEN(builtin));
    if (!near)
        return 0; /* a mapping file that is missing: its loader says so */
    tf_errorf("--profile %s: no such profile or mapping file; did you mean %s? (openrouter, otlp, auto, "
              "or a mapping file)",
              name, near);
    return -1;
}

int tf_cli_main(int argc, char **argv)
{
    /* A closed pipe or a file size limit is a write error to report, not a
     * reason to die silently. */
    signal(SIGPIPE, SIG_IGN);
    signal(SIGXFSZ, SIG_IGN);
    tf_msg_set_level(TF_MSG_NORMAL);
    if (argc < 2) {
        usage(stderr);
        return TF_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        usage(stdout);
        return TF_EXIT_OK;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V") || !strcmp(cmd, "version")) {
        printf("tracefill %s\n", PACKAGE_VERSION);
        return TF_EXIT_OK;
    }
    tf_opts o;
    tf_opts_defaults(&o);
    if (apply_env(&o) != 0) {
        tf_opts_free(&o);
        return TF_EXIT_USAGE;
    }
    int rc = parse_args(&o, argc - 2, argv + 2);
    if (rc) {
        tf_opts_free(&o);
        return rc > 0 ? TF_EXIT_OK : TF_EXIT_USAGE;
    }
    rc = dispatch(cmd, &o);
    tf_opts_free(&o);
    return rc;
}

static int dispatch(const char *cmd, tf_opts *o_)
{
    tf_opts o = *o_; /* dispatch may adjust its copy; ownership stays with o_ */
    tf_msg_set_level(o.msg_level);
    if (o.output && o.endpoint && getenv("OTEL_EXPORTER_OTLP_ENDPOINT") == NULL &&
        getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") == NULL) {
        tf_errorf("use either --output or --endpoint, not both");
        return TF_EXIT_USAGE;
    }
    if (o.usage_only && !o.usage_metrics) {
        tf_errorf("--usage-only writes only the usage metrics: give --usage-metrics FILE");
        return TF_EXIT_USAGE;
    }
    if (o.usage_only && (o.output || (o.endpoint && getenv("OTEL_EXPORTER_OTLP_ENDPOINT") == NULL &&
                                      getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") == NULL))) {
        tf_errorf("--usage-only sends and writes no spans: leave out %s", o.output ? "-o/--output" : "--endpoint");
        return TF_EXIT_USAGE;
    }
    if (o.usage_metrics && o.checkpoint && !strcmp(cmd, "run")) {
        tf_errorf("--usage-metrics cannot be combined with --checkpoint: a resumed run would start its counters "
                  "again from zero; write the usage metrics in a run of their own (--usage-only)");
        return TF_EXIT_USAGE;
    }
    if (o.output || o.usage_only || !strcmp(cmd, "report"))
        o.endpoint = NULL; /* -o (and the modes that send nothing) win over an endpoint from the environment */
    if (o.has_since && o.has_until && o.until_ns <= o.since_ns) {
        tf_errorf("--until is not after --since: no record could be kept");
        return TF_EXIT_USAGE;
    }
    if (check_profile_name(o.profile) != 0)
        return TF_EXIT_USAGE;
    for (size_t i = 0; o.shard_n > 1 && i < o.n_inputs; i++)
        if (!strcmp(o.inputs[i], "-")) {
            tf_errorf("--shard splits files, members and objects: standard input cannot be split (every shard "
                      "would read it)");
            return TF_EXIT_USAGE;
        }
    if (o.has_shift_to && o.time_shift_ns) {
        tf_errorf("use either --time-shift or --time-shift-to, not both");
        return TF_EXIT_USAGE;
    }
    if (!strcmp(cmd, "run") || !strcmp(cmd, "inspect")) {
        if (!o.n_inputs) {
            tf_errorf("%s needs at least one INPUT (a file, a directory, - or a URL)", cmd);
            return TF_EXIT_USAGE;
        }
        return !strcmp(cmd, "run") ? tf_cmd_run(&o) : tf_cmd_inspect(&o);
    }
    if (!strcmp(cmd, "report")) {
        if (!o.n_inputs) {
            tf_errorf("report needs at least one INPUT (a file, a directory, - or a URL)");
            return TF_EXIT_USAGE;
        }
        return tf_cmd_report(&o);
    }
    if (!strcmp(cmd, "check"))
        return tf_check(&o);
    if (!strcmp(cmd, "verify"))
        return tf_cmd_verify(&o);
    if (!strcmp(cmd, "status"))
        return tf_cmd_status(&o);
    static const char *const cmds[] = { "run", "inspect", "check", "status", "verify", "report" };
    const char *near = tf_cli_closest(cmd, cmds, TF_ARRAY_LEN(cmds));
    if (near)
        tf_errorf("unknown command '%s'; did you mean %s? (see tracefill --help)", cmd, near);
    else
        tf_errorf("unknown command '%s' (run, inspect, check, status, verify, report; see tracefill --help)", cmd);
    return TF_EXIT_USAGE;
}
