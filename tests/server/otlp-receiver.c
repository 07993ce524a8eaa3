/* otlp-receiver.c: a test OTLP/HTTP trace receiver for tracefill's tests.
 *
 * An independent implementation (it includes nothing from src/) so that it
 * checks tracefill's encoders instead of sharing their bugs: its own HTTP/1.1
 * server (one thread, poll; keep-alive, pipelining, chunked bodies, Expect:
 * 100-continue), its own protobuf walker and an OTLP/JSON reader on yajl's
 * callback parser. It binds port 0 on loopback, writes the pid file and then
 * the port file (each through temp + rename, in the manner of curl's
 * tests/server/sws.c), and serves until SIGTERM/SIGINT/SIGHUP or until no
 * connection activity for --idle-exit seconds (default 60; 0 = never).
 *
 * POST /v1/traces: Content-Type application/x-protobuf or application/json
 * (else 415), Content-Encoding gzip, zstd or identity (else 415). The body is
 * checked strictly: wire types, lengths, UTF-8 of string fields, trace_id 16
 * bytes and span_id 8 bytes (not all zero), parent_span_id empty or 8 bytes,
 * links likewise; in JSON lowerCamelCase keys, hex ids, enums as integers,
 * 64-bit integers as strings or numbers; unknown fields and keys are skipped.
 * A body that does not decode gets 400 with the reason in a google.rpc.Status.
 * With --discard the protobuf walk stops at the Span fields (attribute
 * contents are not checked) and gzip's CRC-32 is not verified.
 *
 * The answer is chosen in this order: the script rule `drop` (close, no
 * answer); 401 for --require-basic/--require-bearer ("missing credentials" /
 * "bad credentials"); 401 "no org id" for --require-tenant; 413 over
 * --max-body (default 512 MiB; with Expect: 100-continue before the body is
 * sent, then the connection closes); 415; 400; the script rule's status;
 * `partial`; 200. Error bodies are google.rpc.Status in the request's
 * encoding (text/plain for other content types) with code = the gRPC code an
 * OTLP server maps the HTTP status to (400/415->3, 401->16, 403->7, 404->5,
 * 408/504->4, 409->10, 413/429->8, 500->13, 501->12, 502/503->14, other->2;
 * a script rule may set code=G). Other paths answer 404 with an HTML page,
 * GET /v1/traces 405.
 *
 * Files in --out DIR (logs are appended; each line is one write):
 *   spans.log     per span of every 2xx-answered request (partial included):
 *                 <trace_id hex32> <span_id hex16> <parent hex16|-> <start_ns> <end_ns> <name>
 *                 (name last; backslash, newline, CR, tab as \\ \n \r \t, other control bytes as \xHH)
 *   requests.log  per request, any path and outcome, written before the answer:
 *                 seq=N status=S ctype=json|protobuf|other cenc=gzip|zstd|identity|other
 *                 raw=B decoded=B spans=N tenant=ORG|- auth=ok|missing|bad|- ms=UNIX_MS
 *                 (status=0: dropped unanswered; seq counts every request)
 *   req-<seq>.pb|.json  every body that decompressed, whatever the answer
 *                 (not with --discard)
 *   summary       "requests=N spans=N bytes=N" on every exit: POSTs to
 *                 /v1/traces, spans accepted (2xx), raw body bytes received
 * Script rules (--script FILE, one per POST /v1/traces, then `ok`): see usage().
 * Ownership: connections own their buffers until conn_close; the decode
 * buffers and the log fds belong to the one global receiver state. */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <yajl/yajl_parse.h>
#include <zlib.h>
#include <zstd.h>

#if defined(__GNUC__)
#define RX_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define RX_NORETURN __attribute__((noreturn))
#else
#define RX_PRINTF(f, a)
#define RX_NORETURN
#endif

#define RX_HEADER_MAX (64 * 1024)          /* request line + headers */
#define RX_DEFAULT_MAX_BODY (512u << 20)   /* raw body, without --max-body */
#define RX_DECODED_MAX ((size_t)1 << 30)   /* after decompression */
#define RX_MAX_DEPTH 64                    /* protobuf / JSON nesting */
#define RX_LINGER_MS 2000                  /* drain time after a closing answer */
#define RX_READ_CHUNK (256 * 1024)

/* ------------------------------------------------------------------------ */
/* Buffers and small helpers                                                 */

typedef struct {
    uint8_t *p;
    size_t len, cap;
} rx_buf;

static void rx_fatal(const char *fmt, ...) RX_PRINTF(1, 2) RX_NORETURN;

static void buf_reserve(rx_buf *b, size_t extra)
{
    if (b->cap - b->len >= extra)
        return;
    size_t need = b->len + extra;
    if (need < b->len)
        rx_fatal("buffer size overflow");
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    uint8_t *p = realloc(b->p, cap);
    if (!p)
        rx_fatal("out of memory (%zu bytes)", cap);
    b->p = p;
    b->cap = cap;
}

static void buf_add(rx_buf *b, const void *d, size_t n)
{
    if (!n)
        return;
    buf_reserve(b, n);
    memcpy(b->p + b->len, d, n);
    b->len += n;
}

static void buf_adds(rx_buf *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

static void buf_addc(rx_buf *b, uint8_t c)
{
    buf_reserve(b, 1);
    b->p[b->len++] = c;
}

static void buf_addf(rx_buf *b, const char *fmt, ...) RX_PRINTF(2, 3);
static void buf_addf(rx_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        rx_fatal("vsnprintf failed");
    buf_reserve(b, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf((char *)b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

static void buf_free(rx_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

static char *xstrndup(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (!d)
        rx_fatal("out of memory");
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

static int64_t clock_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t mono_ms(void)
{
    return clock_ms(CLOCK_MONOTONIC);
}

static bool parse_u64(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    if (n == 0 || n > 20)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

/* Parses a whole NUL-terminated decimal option value. */
static bool parse_ulong_arg(const char *s, unsigned long long max, unsigned long long *out)
{
    uint64_t v;
    if (!parse_u64(s, strlen(s), &v) || v > max)
        return false;
    *out = v;
    return true;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool ascii_ieq(const char *a, size_t alen, const char *b)
{
    size_t blen = strlen(b);
    return alen == blen && strncasecmp(a, b, blen) == 0;
}

/* Strict UTF-8 check (no overlongs, surrogates or code points past U+10FFFF),
 * as proto3 requires of string fields. */
static bool utf8_ok(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (!(w & UINT64_C(0x8080808080808080))) {
                i += 8;
                continue;
            }
        }
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t k;
        uint32_t cp;
        if (c >= 0xc2 && c <= 0xdf) {
            k = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            k = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            k = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (n - i <= k)
            return false;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + j] & 0x3f);
        }
        if ((k == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
            (k == 3 && (cp < 0x10000 || cp > 0x10ffff)))
            return false;
        i += k + 1;
    }
    return true;
}

/* ------------------------------------------------------------------------ */
/* Global state                                                              */

enum rule_kind { RULE_OK, RULE_STATUS, RULE_DROP, RULE_PARTIAL };

typedef struct {
    enum rule_kind kind;
    int status;             /* RULE_STATUS */
    int grpc_code;          /* RULE_STATUS: -1 = derived from status */
    long delay_ms;
    long retry_after;       /* -1 = none */
    long retry_after_date;  /* -1 = none; seconds from now */
    char *message;          /* NULL = default */
    uint64_t rejected;      /* RULE_PARTIAL */
    unsigned long repeat;   /* how many requests the rule applies to */
    int line;
} rx_rule;

static struct {
    /* options */
    const char *port_file, *pid_file, *out_dir, *bind_addr, *script_file;
    uint64_t max_body;
    char *basic_expect;  /* "Basic <base64>" token part */
    char *bearer_expect;
    bool require_tenant, discard;
    long delay_ms;
    long idle_exit_s;
    /* script */
    rx_rule *rules;
    size_t nrules, rule_at;
    unsigned long rule_used;
    rx_rule default_rule;
    /* runtime */
    int listen_fd;
    int sig_pipe[2];
    volatile sig_atomic_t stop_signal;
    int spans_fd, requests_fd;
    uint64_t seq;
    uint64_t total_requests, total_spans, total_bytes;
    int64_t last_activity;
    rx_buf dec;     /* decompressed body */
    rx_buf lines;   /* spans.log lines of the current request */
    z_stream zs;
    bool zs_ready;
    ZSTD_DCtx *zd;
    bool summary_written;
} rx;

static void write_summary(void);

static void rx_fatal(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("otlp-receiver: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    write_summary();
    exit(1);
}

static void rx_warn(const char *fmt, ...) RX_PRINTF(1, 2);
static void rx_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("otlp-receiver: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* Writes DATA to PATH through PATH.tmp.<pid> and rename, so that readers
 * never see a partial file. */
static bool write_file_atomic(const char *path, const void *data, size_t n)
{
    char tmp[PATH_MAX];
    int k = snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    if (k < 0 || (size_t)k >= sizeof tmp)
        return false;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return false;
    const uint8_t *p = data;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            close(fd);
            unlink(tmp);
            return false;
        }
        p += w;
        n -= (size_t)w;
    }
    if (close(fd) != 0 || rename(tmp, path) != 0) {
        unlink(tmp);
        return false;
    }
    return true;
}

static void write_all_fd(int fd, const void *data, size_t n)
{
    const uint8_t *p = data;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            rx_fatal("write failed: %s", strerror(errno));
        p += w;
        n -= (size_t)w;
    }
}

static void out_path(char *dst, size_t cap, const char *name)
{
    int k = snprintf(dst, cap, "%s/%s", rx.out_dir, name);
    if (k < 0 || (size_t)k >= cap) {
        fprintf(stderr, "otlp-receiver: path too long: %s/%s\n", rx.out_dir, name);
        exit(2);
    }
}

static void write_summary(void)
{
    if (rx.summary_written || !rx.out_dir)
        return;
    rx.summary_written = true;
    char path[PATH_MAX], text[128];
    out_path(path, sizeof path, "summary");
    int n = snprintf(text, sizeof text, "requests=%" PRIu64 " spans=%" PRIu64 " bytes=%" PRIu64 "\n",
                     rx.total_requests, rx.total_spans, rx.total_bytes);
    if (!write_file_atomic(path, text, (size_t)n))
        fprintf(stderr, "otlp-receiver: cannot write %s: %s\n", path, strerror(errno));
}

/* ------------------------------------------------------------------------ */
/* Script                                                                    */

typedef struct {
    char word[64];      /* the word, or the key of key=value */
    char *value;        /* NULL for a plain word; owned */
} rx_tok;

static void script_error(int line, const char *fmt, ...) RX_PRINTF(2, 3) RX_NORETURN;
static void script_error(int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "otlp-receiver: %s:%d: ", rx.script_file, line);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(2);
}

/* Splits LINE into words and key=value / key="quoted value" tokens. */
static size_t tokenize(const char *s, rx_tok *toks, size_t max, int line)
{
    size_t n = 0;
    for (;;) {
        while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
            s++;
        if (!*s || *s == '#')
            return n;
        if (n == max)
            script_error(line, "too many words");
        rx_tok *t = &toks[n++];
        t->value = NULL;
        size_t wl = 0;
        while (*s && *s != ' ' && *s != '\t' && *s != '=' && *s != '\r' && *s != '\n') {
            if (wl + 1 >= sizeof t->word)
                script_error(line, "word too long");
            t->word[wl++] = *s++;
        }
        t->word[wl] = '\0';
        if (*s != '=')
            continue;
        s++;
        rx_buf v = {0};
        if (*s == '"') {
            s++;
            while (*s && *s != '"') {
                if (*s == '\\' && s[1])
                    s++;
                buf_addc(&v, (uint8_t)*s++);
            }
            if (*s != '"')
                script_error(line, "unterminated quoted value for %s", t->word);
            s++;
        } else {
            while (*s && *s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
                buf_addc(&v, (uint8_t)*s++);
        }
        t->value = xstrndup(v.p ? (const char *)v.p : "", v.len);
        buf_free(&v);
    }
}

static long tok_num(const rx_tok *toks, size_t n, size_t i, const char *what, long max, int line)
{
    unsigned long long v;
    if (i >= n || toks[i].value || !parse_ulong_arg(toks[i].word, (unsigned long long)max, &v))
        script_error(line, "%s needs a number (0..%ld)", what, max);
    return (long)v;
}

static void script_parse_line(const char *text, int line)
{
    rx_tok toks[16];
    size_t n = tokenize(text, toks, 16, line);
    if (n == 0)
        return;
    rx_rule r = {.kind = RULE_OK, .retry_after = -1, .retry_after_date = -1, .grpc_code = -1,
                 .repeat = 1, .line = line};
    size_t i = 0;
    bool had_delay = false;
    if (!toks[i].value && strcmp(toks[i].word, "repeat") == 0) {
        r.repeat = (unsigned long)tok_num(toks, n, i + 1, "repeat", 1000000000L, line);
        if (r.repeat == 0)
            script_error(line, "repeat needs a count of at least 1");
        i += 2;
    }
    if (i < n && !toks[i].value && strcmp(toks[i].word, "delay") == 0) {
        r.delay_ms = tok_num(toks, n, i + 1, "delay", 3600000L, line);
        had_delay = true;
        i += 2;
    }
    if (i == n) {
        if (!had_delay)
            script_error(line, "missing rule after repeat");
    } else if (toks[i].value) {
        script_error(line, "unexpected %s=...", toks[i].word);
    } else if (strcmp(toks[i].word, "ok") == 0) {
        i++;
    } else if (strcmp(toks[i].word, "drop") == 0) {
        r.kind = RULE_DROP;
        i++;
    } else if (strcmp(toks[i].word, "status") == 0) {
        r.kind = RULE_STATUS;
        r.status = (int)tok_num(toks, n, i + 1, "status", 599, line);
        if (r.status < 100)
            script_error(line, "status must be 100..599");
        i += 2;
    } else if (strcmp(toks[i].word, "partial") == 0) {
        r.kind = RULE_PARTIAL;
        r.rejected = (uint64_t)tok_num(toks, n, i + 1, "partial", LONG_MAX, line);
        i += 2;
    } else {
        script_error(line, "unknown rule '%s' (ok, status, drop, delay, partial, repeat)", toks[i].word);
    }
    for (; i < n; i++) {
        rx_tok *t = &toks[i];
        if (!t->value)
            script_error(line, "unexpected word '%s'", t->word);
        unsigned long long v;
        if (strcmp(t->word, "message") == 0 && (r.kind == RULE_STATUS || r.kind == RULE_PARTIAL)) {
            free(r.message);
            r.message = t->value;
            t->value = NULL;
        } else if (strcmp(t->word, "retry-after") == 0 && r.kind == RULE_STATUS) {
            if (!parse_ulong_arg(t->value, 1000000000ULL, &v))
                script_error(line, "retry-after needs a number of seconds");
            r.retry_after = (long)v;
        } else if (strcmp(t->word, "retry-after-date") == 0 && r.kind == RULE_STATUS) {
            if (t->value[0] != '+' || !parse_ulong_arg(t->value + 1, 1000000000ULL, &v))
                script_error(line, "retry-after-date needs +SECONDS");
            r.retry_after_date = (long)v;
        } else if (strcmp(t->word, "code") == 0 && r.kind == RULE_STATUS) {
            if (!parse_ulong_arg(t->value, 16, &v))
                script_error(line, "code needs a google.rpc.Code (0..16)");
            r.grpc_code = (int)v;
        } else {
            script_error(line, "option %s= is not valid here", t->word);
        }
    }
    for (size_t k = 0; k < n; k++)
        free(toks[k].value);
    if (r.retry_after >= 0 && r.retry_after_date >= 0)
        script_error(line, "give retry-after or retry-after-date, not both");
    rx_rule *nr = realloc(rx.rules, (rx.nrules + 1) * sizeof *nr);
    if (!nr)
        rx_fatal("out of memory");
    rx.rules = nr;
    rx.rules[rx.nrules++] = r;
}

static void script_load(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "otlp-receiver: cannot open script %s: %s\n", path, strerror(errno));
        exit(2);
    }
    char line[4096];
    int no = 0;
    while (fgets(line, sizeof line, f)) {
        no++;
        if (!strchr(line, '\n') && !feof(f))
            script_error(no, "line too long");
        script_parse_line(line, no);
    }
    fclose(f);
}

/* The rule for the next POST /v1/traces; after the script, `ok`. */
static const rx_rule *script_next(void)
{
    while (rx.rule_at < rx.nrules) {
        const rx_rule *r = &rx.rules[rx.rule_at];
        if (rx.rule_used < r->repeat) {
            if (++rx.rule_used == r->repeat) {
                rx.rule_at++;
                rx.rule_used = 0;
            }
            return r;
        }
        rx.rule_at++;
        rx.rule_used = 0;
    }
    return &rx.default_rule;
}

/* ------------------------------------------------------------------------ */
/* Decoding: spans                                                           */

/* One decoded span, as both readers hand it over. */
typedef struct {
    const uint8_t *trace_id, *span_id, *parent;
    size_t trace_len, span_len, parent_len;
    uint64_t start, end;
    const uint8_t *name;
    size_t name_len;
} rx_span;

typedef struct {
    rx_buf *lines;      /* spans.log lines; NULL when not recording */
    uint64_t nspans;
    const uint8_t *base; /* protobuf: start of the body, for offsets */
    bool shallow;        /* protobuf: check down to Span fields only (--discard) */
    char err[256];
} rx_decode;

static bool derr(rx_decode *d, const char *fmt, ...) RX_PRINTF(2, 3);
static bool derr(rx_decode *d, const char *fmt, ...)
{
    if (d->err[0])
        return false;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->err, sizeof d->err, fmt, ap);
    va_end(ap);
    return false;
}

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

static bool check_id(rx_decode *d, const char *what, uint64_t span_no, const char *field,
                     const uint8_t *id, size_t len, size_t want, bool optional)
{
    if (optional && len == 0)
        return true;
    if (len != want)
        return derr(d, "%s %" PRIu64 ": %s must be %zu bytes, got %zu", what, span_no, field, want, len);
    if (all_zero(id, len))
        return derr(d, "%s %" PRIu64 ": %s is all zeroes (invalid)", what, span_no, field);
    return true;
}

static const char hexdig[] = "0123456789abcdef";

static void add_hex(rx_buf *b, const uint8_t *p, size_t n)
{
    buf_reserve(b, 2 * n);
    for (size_t i = 0; i < n; i++) {
        b->p[b->len++] = (uint8_t)hexdig[p[i] >> 4];
        b->p[b->len++] = (uint8_t)hexdig[p[i] & 15];
    }
}

/* Span names go last on their line; escape what would break the line. */
static void add_escaped_name(rx_buf *b, const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        if (c == '\\')
            buf_add(b, "\\\\", 2);
        else if (c == '\n')
            buf_add(b, "\\n", 2);
        else if (c == '\r')
            buf_add(b, "\\r", 2);
        else if (c == '\t')
            buf_add(b, "\\t", 2);
        else if (c < 0x20 || c == 0x7f)
            buf_addf(b, "\\x%02x", c);
        else
            buf_addc(b, c);
    }
}

static bool span_done(rx_decode *d, const rx_span *s)
{
    uint64_t no = d->nspans + 1;
    if (!check_id(d, "span", no, "trace_id", s->trace_id, s->trace_len, 16, false) ||
        !check_id(d, "span", no, "span_id", s->span_id, s->span_len, 8, false) ||
        !check_id(d, "span", no, "parent_span_id", s->parent, s->parent_len, 8, true))
        return false;
    d->nspans = no;
    if (!d->lines)
        return true;
    rx_buf *b = d->lines;
    add_hex(b, s->trace_id, 16);
    buf_addc(b, ' ');
    add_hex(b, s->span_id, 8);
    buf_addc(b, ' ');
    if (s->parent_len)
        add_hex(b, s->parent, 8);
    else
        buf_addc(b, '-');
    buf_addf(b, " %" PRIu64 " %" PRIu64 " ", s->start, s->end);
    add_escaped_name(b, s->name, s->name_len);
    buf_addc(b, '\n');
    return true;
}

/* ------------------------------------------------------------------------ */
/* Protobuf walker                                                           */

enum pb_kind { PK_VARINT, PK_FIXED64, PK_FIXED32, PK_STRING, PK_BYTES, PK_MSG };

enum pb_msg {
    M_REQUEST, M_RSPANS, M_RESOURCE, M_SSPANS, M_SCOPE, M_SPAN, M_EVENT, M_LINK,
    M_STATUS, M_KV, M_ANY, M_ARRAY, M_KVLIST, M_COUNT
};

typedef struct {
    uint32_t num;
    uint8_t kind;
    uint8_t sub;
    const char *name;
} pb_field;

typedef struct {
    const char *name;
    const pb_field *fields;
    size_t nfields;
} pb_message;

#define PBF(n, k, s, nm) {n, k, s, nm}
static const pb_field f_request[] = {PBF(1, PK_MSG, M_RSPANS, "resource_spans")};
static const pb_field f_rspans[] = {
    PBF(1, PK_MSG, M_RESOURCE, "resource"), PBF(2, PK_MSG, M_SSPANS, "scope_spans"),
    PBF(3, PK_STRING, 0, "schema_url")};
static const pb_field f_resource[] = {
    PBF(1, PK_MSG, M_KV, "attributes"), PBF(2, PK_VARINT, 0, "dropped_attributes_count")};
static const pb_field f_sspans[] = {
    PBF(1, PK_MSG, M_SCOPE, "scope"), PBF(2, PK_MSG, M_SPAN, "spans"),
    PBF(3, PK_STRING, 0, "schema_url")};
static const pb_field f_scope[] = {
    PBF(1, PK_STRING, 0, "name"), PBF(2, PK_STRING, 0, "version"),
    PBF(3, PK_MSG, M_KV, "attributes"), PBF(4, PK_VARINT, 0, "dropped_attributes_count")};
static const pb_field f_span[] = {
    PBF(1, PK_BYTES, 0, "trace_id"), PBF(2, PK_BYTES, 0, "span_id"),
    PBF(3, PK_STRING, 0, "trace_state"), PBF(4, PK_BYTES, 0, "parent_span_id"),
    PBF(5, PK_STRING, 0, "name"), PBF(6, PK_VARINT, 0, "kind"),
    PBF(7, PK_FIXED64, 0, "start_time_unix_nano"), PBF(8, PK_FIXED64, 0, "end_time_unix_nano"),
    PBF(9, PK_MSG, M_KV, "attributes"), PBF(10, PK_VARINT, 0, "dropped_attributes_count"),
    PBF(11, PK_MSG, M_EVENT, "events"), PBF(12, PK_VARINT, 0, "dropped_events_count"),
    PBF(13, PK_MSG, M_LINK, "links"), PBF(14, PK_VARINT, 0, "dropped_links_count"),
    PBF(15, PK_MSG, M_STATUS, "status"), PBF(16, PK_FIXED32, 0, "flags")};
static const pb_field f_event[] = {
    PBF(1, PK_FIXED64, 0, "time_unix_nano"), PBF(2, PK_STRING, 0, "name"),
    PBF(3, PK_MSG, M_KV, "attributes"), PBF(4, PK_VARINT, 0, "dropped_attributes_count")};
static const pb_field f_link[] = {
    PBF(1, PK_BYTES, 0, "trace_id"), PBF(2, PK_BYTES, 0, "span_id"),
    PBF(3, PK_STRING, 0, "trace_state"), PBF(4, PK_MSG, M_KV, "attributes"),
    PBF(5, PK_VARINT, 0, "dropped_attributes_count"), PBF(6, PK_FIXED32, 0, "flags")};
static const pb_field f_status[] = {PBF(2, PK_STRING, 0, "message"), PBF(3, PK_VARINT, 0, "code")};
static const pb_field f_kv[] = {PBF(1, PK_STRING, 0, "key"), PBF(2, PK_MSG, M_ANY, "value")};
static const pb_field f_any[] = {
    PBF(1, PK_STRING, 0, "string_value"), PBF(2, PK_VARINT, 0, "bool_value"),
    PBF(3, PK_VARINT, 0, "int_value"), PBF(4, PK_FIXED64, 0, "double_value"),
    PBF(5, PK_MSG, M_ARRAY, "array_value"), PBF(6, PK_MSG, M_KVLIST, "kvlist_value"),
    PBF(7, PK_BYTES, 0, "bytes_value")};
static const pb_field f_array[] = {PBF(1, PK_MSG, M_ANY, "values")};
static const pb_field f_kvlist[] = {PBF(1, PK_MSG, M_KV, "values")};
#undef PBF

#define PBM(nm, f) {nm, f, sizeof f / sizeof f[0]}
static const pb_message pb_messages[M_COUNT] = {
    [M_REQUEST] = PBM("ExportTraceServiceRequest", f_request),
    [M_RSPANS] = PBM("ResourceSpans", f_rspans),
    [M_RESOURCE] = PBM("Resource", f_resource),
    [M_SSPANS] = PBM("ScopeSpans", f_sspans),
    [M_SCOPE] = PBM("InstrumentationScope", f_scope),
    [M_SPAN] = PBM("Span", f_span),
    [M_EVENT] = PBM("Span.Event", f_event),
    [M_LINK] = PBM("Span.Link", f_link),
    [M_STATUS] = PBM("Status", f_status),
    [M_KV] = PBM("KeyValue", f_kv),
    [M_ANY] = PBM("AnyValue", f_any),
    [M_ARRAY] = PBM("ArrayValue", f_array),
    [M_KVLIST] = PBM("KeyValueList", f_kvlist),
};
#undef PBM

static const unsigned pb_wire_of_kind[] = {
    [PK_VARINT] = 0, [PK_FIXED64] = 1, [PK_FIXED32] = 5,
    [PK_STRING] = 2, [PK_BYTES] = 2, [PK_MSG] = 2,
};

/* pb_slot[msg][num]: 1 + index into the message's fields, 0 = unknown field. */
#define PB_MAX_FIELD 16
static uint8_t pb_slot[M_COUNT][PB_MAX_FIELD + 1];

static void pb_init(void)
{
    for (size_t m = 0; m < M_COUNT; m++)
        for (size_t i = 0; i < pb_messages[m].nfields; i++) {
            uint32_t num = pb_messages[m].fields[i].num;
            if (num > PB_MAX_FIELD)
                rx_fatal("pb_init: field number %u too large", (unsigned)num);
            pb_slot[m][num] = (uint8_t)(i + 1);
        }
}

static inline bool pb_varint(const uint8_t **pp, const uint8_t *end, uint64_t *out)
{
    if (*pp < end && **pp < 0x80) {
        *out = *(*pp)++;
        return true;
    }
    const uint8_t *p = *pp;
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 70; shift += 7) {
        if (p == end)
            return false;
        uint8_t b = *p++;
        if (shift == 63 && b > 1)
            return false;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *pp = p;
            *out = v;
            return true;
        }
    }
    return false;
}

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* Walks one message of type ID over [p, end), checking wire types, lengths,
 * UTF-8 and ids; hands every Span to span_done. */
static bool pb_walk(rx_decode *d, enum pb_msg id, const uint8_t *p, const uint8_t *end, int depth)
{
    const pb_message *m = &pb_messages[id];
    rx_span sp = {0};
    const uint8_t *link_trace = NULL, *link_span = NULL;
    size_t link_trace_len = 0, link_span_len = 0;
    if (depth > RX_MAX_DEPTH)
        return derr(d, "protobuf: nesting deeper than %d at offset %zu", RX_MAX_DEPTH,
                    (size_t)(p - d->base));
    while (p < end) {
        size_t off = (size_t)(p - d->base);
        uint64_t tag, v = 0;
        if (!pb_varint(&p, end, &tag))
            return derr(d, "protobuf: bad or truncated tag in %s at offset %zu", m->name, off);
        uint64_t num = tag >> 3;
        unsigned wt = (unsigned)(tag & 7);
        if (num == 0 || num > 0x1fffffff)
            return derr(d, "protobuf: invalid field number %" PRIu64 " in %s at offset %zu", num,
                        m->name, off);
        const uint8_t *val = NULL;
        size_t vlen = 0;
        switch (wt) {
        case 0:
            if (!pb_varint(&p, end, &v))
                return derr(d, "protobuf: bad or truncated varint (field %" PRIu64 " of %s) at offset %zu",
                            num, m->name, off);
            break;
        case 1:
            if (end - p < 8)
                return derr(d, "protobuf: truncated fixed64 (field %" PRIu64 " of %s) at offset %zu",
                            num, m->name, off);
            v = le64(p);
            p += 8;
            break;
        case 5:
            if (end - p < 4)
                return derr(d, "protobuf: truncated fixed32 (field %" PRIu64 " of %s) at offset %zu",
                            num, m->name, off);
            v = (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24;
            p += 4;
            break;
        case 2:
            if (!pb_varint(&p, end, &v) || v > (uint64_t)(end - p))
                return derr(d, "protobuf: length of field %" PRIu64 " of %s runs past its message at offset %zu",
                            num, m->name, off);
            val = p;
            vlen = (size_t)v;
            p += vlen;
            break;
        default:
            return derr(d, "protobuf: unsupported wire type %u (field %" PRIu64 " of %s) at offset %zu",
                        wt, num, m->name, off);
        }
        unsigned slot = num <= PB_MAX_FIELD ? pb_slot[id][num] : 0;
        if (!slot)
            continue; /* unknown fields are skipped, as proto3 readers do */
        const pb_field *f = &m->fields[slot - 1];
        if (wt != pb_wire_of_kind[f->kind])
            return derr(d, "protobuf: %s.%s has wire type %u, want %u, at offset %zu", m->name,
                        f->name, wt, pb_wire_of_kind[f->kind], off);
        if (f->kind == PK_STRING && !utf8_ok(val, vlen))
            return derr(d, "protobuf: %s.%s is not valid UTF-8 at offset %zu", m->name, f->name, off);
        if (f->kind == PK_MSG && (!d->shallow || f->sub <= M_SSPANS || f->sub == M_SPAN) &&
            !pb_walk(d, (enum pb_msg)f->sub, val, val + vlen, depth + 1))
            return false;
        if (id == M_SPAN) {
            switch (num) {
            case 1: sp.trace_id = val; sp.trace_len = vlen; break;
            case 2: sp.span_id = val; sp.span_len = vlen; break;
            case 4: sp.parent = val; sp.parent_len = vlen; break;
            case 5: sp.name = val; sp.name_len = vlen; break;
            case 7: sp.start = v; break;
            case 8: sp.end = v; break;
            default: break;
            }
        } else if (id == M_LINK) {
            if (num == 1) {
                link_trace = val;
                link_trace_len = vlen;
            } else if (num == 2) {
                link_span = val;
                link_span_len = vlen;
            }
        }
    }
    if (id == M_SPAN)
        return span_done(d, &sp);
    if (id == M_LINK)
        return check_id(d, "link in span", d->nspans + 1, "trace_id", link_trace, link_trace_len, 16, false) &&
               check_id(d, "link in span", d->nspans + 1, "span_id", link_span, link_span_len, 8, false);
    return true;
}

/* ------------------------------------------------------------------------ */
/* OTLP/JSON reader (yajl callbacks, one pass, no tree)                      */

enum jkind {
    J_ROOT, J_RS, J_RESOURCE, J_SS, J_SCOPE, J_SPAN, J_EVENT, J_LINK, J_STATUS,
    J_KV, J_ANY, J_ARRVAL, J_KVLIST, J_ARRAY, J_SKIP
};

enum jval {
    V_STR, V_TRACEID, V_SPANID, V_PARENTID, V_U64, V_I64, V_U32, V_ENUM, V_BOOL,
    V_DOUBLE, V_BYTES, V_ARRAY, V_OBJECT
};

enum jtag { JT_NONE, JT_START, JT_END, JT_NAME }; /* span fields kept for spans.log */

typedef struct {
    uint8_t frame;   /* enum jkind of the object holding the key */
    const char *key;
    uint8_t val;     /* enum jval */
    uint8_t child;   /* V_ARRAY: element kind; V_OBJECT: object kind */
    uint8_t tag;     /* enum jtag */
} jkey;

static const jkey jkeys[] = {
    {J_ROOT, "resourceSpans", V_ARRAY, J_RS, JT_NONE},
    {J_RS, "resource", V_OBJECT, J_RESOURCE, JT_NONE},
    {J_RS, "scopeSpans", V_ARRAY, J_SS, JT_NONE},
    {J_RS, "schemaUrl", V_STR, 0, JT_NONE},
    {J_RESOURCE, "attributes", V_ARRAY, J_KV, JT_NONE},
    {J_RESOURCE, "droppedAttributesCount", V_U32, 0, JT_NONE},
    {J_SS, "scope", V_OBJECT, J_SCOPE, JT_NONE},
    {J_SS, "spans", V_ARRAY, J_SPAN, JT_NONE},
    {J_SS, "schemaUrl", V_STR, 0, JT_NONE},
    {J_SCOPE, "name", V_STR, 0, JT_NONE},
    {J_SCOPE, "version", V_STR, 0, JT_NONE},
    {J_SCOPE, "attributes", V_ARRAY, J_KV, JT_NONE},
    {J_SCOPE, "droppedAttributesCount", V_U32, 0, JT_NONE},
    {J_SPAN, "traceId", V_TRACEID, 0, JT_NONE},
    {J_SPAN, "spanId", V_SPANID, 0, JT_NONE},
    {J_SPAN, "traceState", V_STR, 0, JT_NONE},
    {J_SPAN, "parentSpanId", V_PARENTID, 0, JT_NONE},
    {J_SPAN, "flags", V_U32, 0, JT_NONE},
    {J_SPAN, "name", V_STR, 0, JT_NAME},
    {J_SPAN, "kind", V_ENUM, 0, JT_NONE},
    {J_SPAN, "startTimeUnixNano", V_U64, 0, JT_START},
    {J_SPAN, "endTimeUnixNano", V_U64, 0, JT_END},
    {J_SPAN, "attributes", V_ARRAY, J_KV, JT_NONE},
    {J_SPAN, "droppedAttributesCount", V_U32, 0, JT_NONE},
    {J_SPAN, "events", V_ARRAY, J_EVENT, JT_NONE},
    {J_SPAN, "droppedEventsCount", V_U32, 0, JT_NONE},
    {J_SPAN, "links", V_ARRAY, J_LINK, JT_NONE},
    {J_SPAN, "droppedLinksCount", V_U32, 0, JT_NONE},
    {J_SPAN, "status", V_OBJECT, J_STATUS, JT_NONE},
    {J_EVENT, "timeUnixNano", V_U64, 0, JT_NONE},
    {J_EVENT, "name", V_STR, 0, JT_NONE},
    {J_EVENT, "attributes", V_ARRAY, J_KV, JT_NONE},
    {J_EVENT, "droppedAttributesCount", V_U32, 0, JT_NONE},
    {J_LINK, "traceId", V_TRACEID, 0, JT_NONE},
    {J_LINK, "spanId", V_SPANID, 0, JT_NONE},
    {J_LINK, "traceState", V_STR, 0, JT_NONE},
    {J_LINK, "attributes", V_ARRAY, J_KV, JT_NONE},
    {J_LINK, "droppedAttributesCount", V_U32, 0, JT_NONE},
    {J_LINK, "flags", V_U32, 0, JT_NONE},
    {J_STATUS, "message", V_STR, 0, JT_NONE},
    {J_STATUS, "code", V_ENUM, 0, JT_NONE},
    {J_KV, "key", V_STR, 0, JT_NONE},
    {J_KV, "value", V_OBJECT, J_ANY, JT_NONE},
    {J_ANY, "stringValue", V_STR, 0, JT_NONE},
    {J_ANY, "boolValue", V_BOOL, 0, JT_NONE},
    {J_ANY, "intValue", V_I64, 0, JT_NONE},
    {J_ANY, "doubleValue", V_DOUBLE, 0, JT_NONE},
    {J_ANY, "arrayValue", V_OBJECT, J_ARRVAL, JT_NONE},
    {J_ANY, "kvlistValue", V_OBJECT, J_KVLIST, JT_NONE},
    {J_ANY, "bytesValue", V_BYTES, 0, JT_NONE},
    {J_ARRVAL, "values", V_ARRAY, J_ANY, JT_NONE},
    {J_KVLIST, "values", V_ARRAY, J_KV, JT_NONE},
};

/* The keys of each object kind are contiguous in jkeys: [jkey_first, jkey_end). */
static uint8_t jkey_first[J_SKIP + 1], jkey_end[J_SKIP + 1];
static uint8_t jkey_len[sizeof jkeys / sizeof jkeys[0]];
static int8_t hex_of[256];

static void json_init(void)
{
    for (size_t i = sizeof jkeys / sizeof jkeys[0]; i-- > 0;) {
        uint8_t f = jkeys[i].frame;
        if (jkey_end[f] == 0)
            jkey_end[f] = (uint8_t)(i + 1);
        else if (jkey_first[f] != i + 1)
            rx_fatal("json_init: keys of one object kind must be contiguous");
        jkey_first[f] = (uint8_t)i;
        jkey_len[i] = (uint8_t)strlen(jkeys[i].key);
    }
    for (int c = 0; c < 256; c++)
        hex_of[c] = (int8_t)hexval(c);
}

typedef struct {
    uint8_t kind;      /* enum jkind */
    uint8_t elem;      /* J_ARRAY: kind of its elements */
    const jkey *key;   /* object frames: the key being read, NULL if unknown */
} jframe;

typedef struct {
    rx_decode *d;
    jframe stack[RX_MAX_DEPTH + 2];
    int top;           /* -1 before the root object */
    bool root_seen;
    /* the span being read (spans do not nest) */
    uint8_t trace[16], span[8], parent[8], link_trace[16], link_span[8];
    size_t trace_len, span_len, parent_len, link_trace_len, link_span_len;
    uint64_t start, end;
    rx_buf name;
} jctx;

static const char *jkind_name(int k)
{
    static const char *const names[] = {"request", "resourceSpans[]", "resource", "scopeSpans[]",
                                        "scope", "spans[]", "events[]", "links[]", "status",
                                        "attribute", "AnyValue", "arrayValue", "kvlistValue",
                                        "array", "value"};
    return names[k];
}

static bool jerr_key(jctx *j, const jkey *k, const char *want)
{
    return derr(j->d, "json: %s.%s must be %s", jkind_name(k->frame), k->key, want);
}

/* Decodes a hex id of N bytes into OUT (empty allowed: *len = 0). */
static bool jhex(const unsigned char *s, size_t n, uint8_t *out, size_t want, size_t *len)
{
    if (n == 0) {
        *len = 0;
        return true;
    }
    if (n != 2 * want)
        return false;
    for (size_t i = 0; i < want; i++) {
        int hi = hex_of[s[2 * i]], lo = hex_of[s[2 * i + 1]];
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    *len = want;
    return true;
}

static bool is_base64(const unsigned char *s, size_t n)
{
    size_t i = 0, pad = 0;
    for (; i < n; i++) {
        unsigned char c = s[i];
        if (c == '=') {
            pad++;
            continue;
        }
        if (pad || !(isalnum(c) || c == '+' || c == '/' || c == '-' || c == '_'))
            return false;
    }
    return pad <= 2;
}

/* Which key descriptor (and frame) a scalar belongs to; false if the value is
 * not allowed where it stands. *k = NULL means "unknown key, anything goes". */
static bool jslot(jctx *j, const jkey **k, const char *what)
{
    *k = NULL;
    if (j->top < 0)
        return derr(j->d, "json: the request must be an object, not %s", what);
    jframe *f = &j->stack[j->top];
    if (f->kind == J_SKIP)
        return true;
    if (f->kind == J_ARRAY) {
        if (f->elem == J_SKIP)
            return true;
        return derr(j->d, "json: %s may hold only objects, not %s", jkind_name(f->elem), what);
    }
    *k = f->key;
    return true;
}

static int j_null(void *ctx)
{
    const jkey *k;
    return jslot(ctx, &k, "null");
}

static int j_boolean(void *ctx, int b)
{
    (void)b;
    jctx *j = ctx;
    const jkey *k;
    if (!jslot(j, &k, "a boolean"))
        return 0;
    if (k && k->val != V_BOOL)
        return jerr_key(j, k, "a boolean");
    return 1;
}

/* A 64-bit integer given as a JSON string or number: decimal digits only. */
static bool jint(const char *s, size_t n, bool sign, uint64_t *out)
{
    if (sign && n > 0 && s[0] == '-') {
        s++;
        n--;
    }
    return parse_u64(s, n, out);
}

static bool jscalar_number(jctx *j, const jkey *k, const char *s, size_t n, bool quoted)
{
    uint64_t v = 0;
    switch (k->val) {
    case V_U64:
        if (!jint(s, n, false, &v))
            return jerr_key(j, k, "an unsigned 64-bit integer (a decimal string)");
        if (k->tag == JT_START)
            j->start = v;
        else if (k->tag == JT_END)
            j->end = v;
        return true;
    case V_I64:
        if (!jint(s, n, true, &v))
            return jerr_key(j, k, "a 64-bit integer (a decimal string)");
        return true;
    case V_U32:
        if (!jint(s, n, false, &v) || v > UINT32_MAX)
            return jerr_key(j, k, "an unsigned 32-bit integer");
        return true;
    case V_ENUM:
        if (quoted || !jint(s, n, true, &v))
            return jerr_key(j, k, "an integer (OTLP/JSON enums are integers)");
        return true;
    case V_DOUBLE:
        if (quoted && !(ascii_ieq(s, n, "NaN") || ascii_ieq(s, n, "Infinity") ||
                        ascii_ieq(s, n, "-Infinity")))
            return jerr_key(j, k, "a number");
        return true;
    default:
        return jerr_key(j, k, quoted ? "not a string" : "not a number");
    }
}

static int j_number(void *ctx, const char *s, size_t n)
{
    jctx *j = ctx;
    const jkey *k;
    if (!jslot(j, &k, "a number"))
        return 0;
    if (!k)
        return 1;
    if (k->val == V_STR || k->val == V_TRACEID || k->val == V_SPANID || k->val == V_PARENTID ||
        k->val == V_BYTES)
        return jerr_key(j, k, "a string");
    return jscalar_number(j, k, s, n, false);
}

static int j_string(void *ctx, const unsigned char *s, size_t n)
{
    jctx *j = ctx;
    const jkey *k;
    if (!jslot(j, &k, "a string"))
        return 0;
    if (!k)
        return 1;
    int frame = j->stack[j->top].kind;
    switch (k->val) {
    case V_STR:
        if (k->tag == JT_NAME) {
            j->name.len = 0;
            buf_add(&j->name, s, n);
        }
        return 1;
    case V_TRACEID:
        if (n == 0 || !jhex(s, n, frame == J_SPAN ? j->trace : j->link_trace, 16,
                            frame == J_SPAN ? &j->trace_len : &j->link_trace_len))
            return jerr_key(j, k, "32 hex digits");
        return 1;
    case V_SPANID:
        if (n == 0 || !jhex(s, n, frame == J_SPAN ? j->span : j->link_span, 8,
                            frame == J_SPAN ? &j->span_len : &j->link_span_len))
            return jerr_key(j, k, "16 hex digits");
        return 1;
    case V_PARENTID:
        if (!jhex(s, n, j->parent, 8, &j->parent_len))
            return jerr_key(j, k, "16 hex digits or empty");
        return 1;
    case V_BYTES:
        if (!is_base64(s, n))
            return jerr_key(j, k, "base64");
        return 1;
    case V_BOOL:
        return jerr_key(j, k, "a boolean");
    case V_ARRAY:
        return jerr_key(j, k, "an array");
    case V_OBJECT:
        return jerr_key(j, k, "an object");
    default:
        return jscalar_number(j, k, (const char *)s, n, true);
    }
}

static bool jpush(jctx *j, uint8_t kind, uint8_t elem)
{
    if (j->top + 1 > RX_MAX_DEPTH)
        return derr(j->d, "json: nesting deeper than %d", RX_MAX_DEPTH);
    jframe *f = &j->stack[++j->top];
    f->kind = kind;
    f->elem = elem;
    f->key = NULL;
    if (kind == J_SPAN) {
        j->trace_len = j->span_len = j->parent_len = 0;
        j->start = j->end = 0;
        j->name.len = 0;
    } else if (kind == J_LINK) {
        j->link_trace_len = j->link_span_len = 0;
    }
    return true;
}

static int j_start_map(void *ctx)
{
    jctx *j = ctx;
    if (j->top < 0) {
        if (j->root_seen)
            return derr(j->d, "json: more than one value at the top level");
        j->root_seen = true;
        return jpush(j, J_ROOT, 0);
    }
    jframe *f = &j->stack[j->top];
    if (f->kind == J_SKIP)
        return jpush(j, J_SKIP, 0);
    if (f->kind == J_ARRAY)
        return jpush(j, f->elem, 0);
    const jkey *k = f->key;
    if (!k)
        return jpush(j, J_SKIP, 0);
    if (k->val != V_OBJECT)
        return jerr_key(j, k, k->val == V_ARRAY ? "an array" : "a scalar, not an object");
    return jpush(j, k->child, 0);
}

static int j_start_array(void *ctx)
{
    jctx *j = ctx;
    const jkey *k;
    if (!jslot(j, &k, "an array"))
        return 0;
    if (j->stack[j->top].kind == J_SKIP || (j->stack[j->top].kind == J_ARRAY) || !k)
        return jpush(j, J_ARRAY, J_SKIP);
    if (k->val != V_ARRAY)
        return jerr_key(j, k, k->val == V_OBJECT ? "an object" : "a scalar, not an array");
    return jpush(j, J_ARRAY, k->child);
}

static int j_map_key(void *ctx, const unsigned char *s, size_t n)
{
    jctx *j = ctx;
    jframe *f = &j->stack[j->top];
    f->key = NULL;
    if (f->kind == J_SKIP)
        return 1;
    for (size_t i = jkey_first[f->kind]; i < jkey_end[f->kind]; i++)
        if (jkey_len[i] == n && memcmp(jkeys[i].key, s, n) == 0) {
            f->key = &jkeys[i];
            break;
        }
    return 1;
}

static int j_end_map(void *ctx)
{
    jctx *j = ctx;
    int kind = j->stack[j->top].kind;
    j->top--;
    if (kind == J_SPAN) {
        rx_span sp = {.trace_id = j->trace, .trace_len = j->trace_len,
                      .span_id = j->span, .span_len = j->span_len,
                      .parent = j->parent, .parent_len = j->parent_len,
                      .start = j->start, .end = j->end,
                      .name = j->name.p ? j->name.p : (const uint8_t *)"", .name_len = j->name.len};
        return span_done(j->d, &sp);
    }
    if (kind == J_LINK)
        return check_id(j->d, "link in span", j->d->nspans + 1, "traceId", j->link_trace,
                        j->link_trace_len, 16, false) &&
               check_id(j->d, "link in span", j->d->nspans + 1, "spanId", j->link_span,
                        j->link_span_len, 8, false);
    return 1;
}

static int j_end_array(void *ctx)
{
    jctx *j = ctx;
    j->top--;
    return 1;
}

static const yajl_callbacks jcallbacks = {
    .yajl_null = j_null,
    .yajl_boolean = j_boolean,
    .yajl_number = j_number,
    .yajl_string = j_string,
    .yajl_start_map = j_start_map,
    .yajl_map_key = j_map_key,
    .yajl_end_map = j_end_map,
    .yajl_start_array = j_start_array,
    .yajl_end_array = j_end_array,
};

static bool json_walk(rx_decode *d, const uint8_t *body, size_t n)
{
    jctx j;
    memset(&j, 0, sizeof j);
    j.d = d;
    j.top = -1;
    yajl_handle h = yajl_alloc(&jcallbacks, NULL, &j);
    if (!h)
        rx_fatal("out of memory");
    yajl_status st = yajl_parse(h, body, n);
    if (st == yajl_status_ok)
        st = yajl_complete_parse(h);
    bool ok = st == yajl_status_ok;
    if (!ok && !d->err[0]) {
        unsigned char *msg = yajl_get_error(h, 0, body, n);
        size_t at = yajl_get_bytes_consumed(h);
        derr(d, "json: %s (near byte %zu)", msg ? (const char *)msg : "parse error", at);
        /* yajl's messages end with a newline; keep the answer on one line */
        for (char *c = d->err; *c; c++)
            if (*c == '\n')
                *c = ' ';
        if (msg)
            yajl_free_error(h, msg);
    }
    if (ok && !j.root_seen) {
        ok = false;
        derr(d, "json: empty body");
    }
    yajl_free(h);
    buf_free(&j.name);
    return ok;
}

/* ------------------------------------------------------------------------ */
/* Decompression                                                             */

enum cenc { CE_IDENTITY, CE_GZIP, CE_ZSTD, CE_OTHER };
enum ctype { CT_OTHER, CT_PROTOBUF, CT_JSON };

static const char *cenc_name[] = {"identity", "gzip", "zstd", "other"};
static const char *ctype_name[] = {"other", "protobuf", "json"};

static bool dec_room(rx_buf *out, size_t hint)
{
    if (out->len >= RX_DECODED_MAX)
        return false;
    if (hint > (16u << 20))
        hint = 16u << 20;
    if (hint < 65536)
        hint = 65536;
    if (out->cap - out->len < 65536)
        buf_reserve(out, hint);
    return true;
}

static bool gunzip_body(const uint8_t *in, size_t n, rx_buf *out, char *err, size_t errlen)
{
    z_stream *zs = &rx.zs;
    if (!rx.zs_ready) {
        memset(zs, 0, sizeof *zs);
        if (inflateInit2(zs, 16 + MAX_WBITS) != Z_OK)
            rx_fatal("inflateInit2 failed");
        rx.zs_ready = true;
    } else {
        inflateReset(zs);
    }
#if ZLIB_VERNUM >= 0x1290
    /* --discard is for throughput: skip the CRC-32 (a sixth of the time) */
    if (rx.discard)
        inflateValidate(zs, 0);
#endif
    if (n == 0) {
        snprintf(err, errlen, "gzip: empty body");
        return false;
    }
    zs->next_in = (Bytef *)(uintptr_t)in;
    zs->avail_in = 0;
    size_t left = n;
    for (;;) {
        if (zs->avail_in == 0 && left) {
            uInt chunk = left > UINT_MAX ? UINT_MAX : (uInt)left;
            zs->avail_in = chunk;
            left -= chunk;
        }
        if (!dec_room(out, n * 4)) {
            snprintf(err, errlen, "gzip: decoded body larger than %zu bytes", RX_DECODED_MAX);
            return false;
        }
        size_t room = out->cap - out->len;
        zs->next_out = out->p + out->len;
        zs->avail_out = room > UINT_MAX ? UINT_MAX : (uInt)room;
        uInt before = zs->avail_out;
        int rc = inflate(zs, Z_NO_FLUSH);
        out->len += before - zs->avail_out;
        if (rc == Z_STREAM_END) {
            if (zs->avail_in == 0 && left == 0)
                return true;
            /* another gzip member may follow */
            if (zs->avail_in >= 2 && zs->next_in[0] == 0x1f && zs->next_in[1] == 0x8b) {
                inflateReset(zs);
#if ZLIB_VERNUM >= 0x1290
                if (rx.discard)
                    inflateValidate(zs, 0);
#endif
                continue;
            }
            snprintf(err, errlen, "gzip: trailing garbage after the stream");
            return false;
        }
        if (rc == Z_BUF_ERROR && zs->avail_in == 0 && left == 0) {
            snprintf(err, errlen, "gzip: premature end of the stream");
            return false;
        }
        if (rc != Z_OK && rc != Z_BUF_ERROR) {
            snprintf(err, errlen, "gzip: %s", zs->msg ? zs->msg : "corrupt stream");
            return false;
        }
    }
}

static bool unzstd_body(const uint8_t *in, size_t n, rx_buf *out, char *err, size_t errlen)
{
    if (!rx.zd && !(rx.zd = ZSTD_createDCtx()))
        rx_fatal("ZSTD_createDCtx failed");
    ZSTD_DCtx_reset(rx.zd, ZSTD_reset_session_only);
    if (n == 0) {
        snprintf(err, errlen, "zstd: empty body");
        return false;
    }
    unsigned long long fsize = ZSTD_getFrameContentSize(in, n);
    if (fsize != ZSTD_CONTENTSIZE_UNKNOWN && fsize != ZSTD_CONTENTSIZE_ERROR && fsize < RX_DECODED_MAX)
        buf_reserve(out, (size_t)fsize + 1);
    ZSTD_inBuffer ib = {in, n, 0};
    size_t rc = 1;
    while (ib.pos < ib.size || rc != 0) {
        if (!dec_room(out, n * 4)) {
            snprintf(err, errlen, "zstd: decoded body larger than %zu bytes", RX_DECODED_MAX);
            return false;
        }
        ZSTD_outBuffer ob = {out->p + out->len, out->cap - out->len, 0};
        size_t in_before = ib.pos;
        rc = ZSTD_decompressStream(rx.zd, &ob, &ib);
        out->len += ob.pos;
        if (ZSTD_isError(rc)) {
            snprintf(err, errlen, "zstd: %s", ZSTD_getErrorName(rc));
            return false;
        }
        if (ib.pos == ib.size && rc != 0 && ob.pos == 0 && in_before == ib.pos) {
            snprintf(err, errlen, "zstd: premature end of the stream");
            return false;
        }
    }
    return true;
}

/* ------------------------------------------------------------------------ */
/* Connections                                                               */

enum stage { ST_HEAD, ST_BODY_LEN, ST_CHUNK_SIZE, ST_CHUNK_DATA, ST_CHUNK_CRLF, ST_TRAILER, ST_DONE };
enum auth { AUTH_NA, AUTH_OK, AUTH_MISSING, AUTH_BAD };
static const char *auth_name[] = {"-", "ok", "missing", "bad"};

typedef struct {
    char method[16];
    char path[1024];
    int minor;
    bool keep_alive, chunked, has_clen, expect_continue, too_large, bad_te;
    uint64_t clen, raw, chunk_left;
    enum ctype ctype;
    enum cenc cenc;
    enum auth auth;
    char tenant[128];
} rx_req;

typedef struct {
    int fd;
    rx_buf in;
    size_t in_off;
    rx_buf out;
    size_t out_off;
    rx_buf body;
    enum stage stage;
    rx_req r;
    int64_t hold_until;   /* 0: not holding the answer */
    bool drop_on_release; /* close without answering when the hold ends */
    bool close_after;     /* Connection: close after the answer */
    bool peer_eof;
    bool lingering;
    int64_t linger_until;
    bool closed;
} rx_conn;

static rx_conn **conns;
static size_t nconns, conns_cap;

static void conn_close(rx_conn *c)
{
    if (c->closed)
        return;
    close(c->fd);
    c->closed = true;
    buf_free(&c->in);
    buf_free(&c->out);
    buf_free(&c->body);
}

static void req_reset(rx_conn *c)
{
    memset(&c->r, 0, sizeof c->r);
    c->stage = ST_HEAD;
    c->body.len = 0;
    if (c->body.cap > (8u << 20))
        buf_free(&c->body);
}

static const char *reason(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return status < 300 ? "OK" : status < 500 ? "Client Error" : "Server Error";
    }
}

/* The google.rpc.Code an OTLP/HTTP server puts in the Status of an answer. */
static int grpc_code_for(int status)
{
    switch (status) {
    case 400: return 3;  /* INVALID_ARGUMENT */
    case 401: return 16; /* UNAUTHENTICATED */
    case 403: return 7;  /* PERMISSION_DENIED */
    case 404: return 5;  /* NOT_FOUND */
    case 408: return 4;  /* DEADLINE_EXCEEDED */
    case 409: return 10; /* ABORTED */
    case 413: return 8;  /* RESOURCE_EXHAUSTED */
    case 415: return 3;  /* INVALID_ARGUMENT */
    case 429: return 8;  /* RESOURCE_EXHAUSTED */
    case 500: return 13; /* INTERNAL */
    case 501: return 12; /* UNIMPLEMENTED */
    case 502: return 14; /* UNAVAILABLE */
    case 503: return 14; /* UNAVAILABLE */
    case 504: return 4;  /* DEADLINE_EXCEEDED */
    default: return 2;   /* UNKNOWN */
    }
}

static void pb_add_varint(rx_buf *b, uint64_t v)
{
    while (v >= 0x80) {
        buf_addc(b, (uint8_t)(v | 0x80));
        v >>= 7;
    }
    buf_addc(b, (uint8_t)v);
}

static void json_add_string(rx_buf *b, const char *s)
{
    buf_addc(b, '"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            buf_addc(b, '\\');
            buf_addc(b, c);
        } else if (c < 0x20) {
            buf_addf(b, "\\u%04x", c);
        } else {
            buf_addc(b, c);
        }
    }
    buf_addc(b, '"');
}

static void respond(rx_conn *c, int status, const char *ctype, const void *body, size_t blen,
                    const char *extra)
{
    buf_addf(&c->out, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s%s\r\n",
             status, reason(status), ctype, blen, extra ? extra : "",
             c->close_after ? "Connection: close\r\n" : "");
    buf_add(&c->out, body, blen);
}

/* An error answer: google.rpc.Status in the request's encoding. */
static void respond_status(rx_conn *c, int status, enum ctype ct, int code, const char *msg,
                           const char *extra)
{
    rx_buf b = {0};
    if (code < 0)
        code = grpc_code_for(status);
    if (ct == CT_PROTOBUF) {
        if (code) {
            buf_addc(&b, 0x08);
            pb_add_varint(&b, (uint64_t)code);
        }
        size_t ml = strlen(msg);
        if (ml) {
            buf_addc(&b, 0x12);
            pb_add_varint(&b, ml);
            buf_add(&b, msg, ml);
        }
        respond(c, status, "application/x-protobuf", b.p, b.len, extra);
    } else if (ct == CT_JSON) {
        buf_addf(&b, "{\"code\":%d,\"message\":", code);
        json_add_string(&b, msg);
        buf_addc(&b, '}');
        respond(c, status, "application/json", b.p, b.len, extra);
    } else {
        buf_addf(&b, "%s\n", msg);
        respond(c, status, "text/plain; charset=utf-8", b.p, b.len, extra);
    }
    buf_free(&b);
}

static void respond_ok(rx_conn *c, enum ctype ct, const rx_rule *rule)
{
    rx_buf b = {0};
    const char *msg = rule->kind == RULE_PARTIAL && rule->message ? rule->message : "";
    if (ct == CT_JSON) {
        if (rule->kind == RULE_PARTIAL) {
            buf_addf(&b, "{\"partialSuccess\":{\"rejectedSpans\":\"%" PRIu64 "\"", rule->rejected);
            if (*msg) {
                buf_adds(&b, ",\"errorMessage\":");
                json_add_string(&b, msg);
            }
            buf_adds(&b, "}}");
        } else {
            buf_adds(&b, "{}");
        }
        respond(c, 200, "application/json", b.p, b.len, NULL);
    } else {
        if (rule->kind == RULE_PARTIAL) {
            rx_buf ps = {0};
            if (rule->rejected) {
                buf_addc(&ps, 0x08);
                pb_add_varint(&ps, rule->rejected);
            }
            if (*msg) {
                buf_addc(&ps, 0x12);
                pb_add_varint(&ps, strlen(msg));
                buf_adds(&ps, msg);
            }
            buf_addc(&b, 0x0a);
            pb_add_varint(&b, ps.len);
            buf_add(&b, ps.p, ps.len);
            buf_free(&ps);
        }
        respond(c, 200, "application/x-protobuf", b.p, b.len, NULL);
    }
    buf_free(&b);
}

static void respond_html(rx_conn *c, int status, const char *extra)
{
    char page[512];
    int n = snprintf(page, sizeof page,
                     "<!DOCTYPE html>\n<html><head><title>%d %s</title></head>\n"
                     "<body><h1>%s</h1><p>This is the tracefill test OTLP receiver; "
                     "send traces to POST /v1/traces.</p></body></html>\n",
                     status, reason(status), reason(status));
    respond(c, status, "text/html; charset=utf-8", page, (size_t)n, extra);
}

static void log_request(int status, const rx_req *r, uint64_t decoded, uint64_t spans)
{
    char line[512];
    int n = snprintf(line, sizeof line,
                     "seq=%" PRIu64 " status=%d ctype=%s cenc=%s raw=%" PRIu64 " decoded=%" PRIu64
                     " spans=%" PRIu64 " tenant=%s auth=%s ms=%lld\n",
                     rx.seq, status, ctype_name[r->ctype], cenc_name[r->cenc], r->raw, decoded,
                     spans, r->tenant[0] ? r->tenant : "-", auth_name[r->auth],
                     (long long)clock_ms(CLOCK_REALTIME));
    write_all_fd(rx.requests_fd, line, (size_t)n);
}

static void save_body(enum ctype ct, const uint8_t *p, size_t n)
{
    char name[64], path[PATH_MAX];
    snprintf(name, sizeof name, "req-%" PRIu64 ".%s", rx.seq, ct == CT_JSON ? "json" : "pb");
    out_path(path, sizeof path, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        rx_fatal("cannot create %s: %s", path, strerror(errno));
    write_all_fd(fd, p, n);
    close(fd);
}

/* Answers one complete request. */
static void handle_request(rx_conn *c)
{
    rx_req *r = &c->r;
    const uint8_t *body = c->body.p ? c->body.p : (const uint8_t *)"";
    rx.seq++;
    c->close_after = !r->keep_alive;
    char *q = strchr(r->path, '?');
    if (q)
        *q = '\0';
    if (strcmp(r->path, "/v1/traces") != 0) {
        respond_html(c, 404, NULL);
        log_request(404, r, 0, 0);
        return;
    }
    if (strcmp(r->method, "POST") != 0) {
        respond_status(c, 405, CT_OTHER, -1, "use POST", "Allow: POST\r\n");
        log_request(405, r, 0, 0);
        return;
    }

    const rx_rule *rule = script_next();
    rx.total_requests++;
    rx.total_bytes += r->raw;

    /* Decode whatever can be decoded, then pick the answer by precedence. */
    char derrbuf[300] = "";
    rx_decode d;
    memset(&d, 0, sizeof d);
    rx.lines.len = 0;
    d.lines = rx.discard ? NULL : &rx.lines;
    d.shallow = rx.discard;
    bool decoded_ok = false;
    const uint8_t *plain = NULL;
    size_t plain_len = 0;
    if (!r->too_large && r->ctype != CT_OTHER && r->cenc != CE_OTHER) {
        rx.dec.len = 0;
        bool ok = true;
        if (r->cenc == CE_IDENTITY) {
            plain = body;
            plain_len = c->body.len;
        } else {
            ok = r->cenc == CE_GZIP ? gunzip_body(body, c->body.len, &rx.dec, derrbuf, sizeof derrbuf)
                                    : unzstd_body(body, c->body.len, &rx.dec, derrbuf, sizeof derrbuf);
            plain = rx.dec.p ? rx.dec.p : (const uint8_t *)"";
            plain_len = rx.dec.len;
        }
        if (ok) {
            decoded_ok = true;
            d.base = plain;
            bool parsed = r->ctype == CT_PROTOBUF
                              ? pb_walk(&d, M_REQUEST, plain, plain + plain_len, 0)
                              : json_walk(&d, plain, plain_len);
            if (!parsed)
                snprintf(derrbuf, sizeof derrbuf, "%s", d.err[0] ? d.err : "cannot decode the request");
        }
    }
    if (decoded_ok && !rx.discard)
        save_body(r->ctype, plain, plain_len);

    int status;
    const char *msg = NULL;
    int code = -1;
    char extra[128] = "";
    if (rule->kind == RULE_DROP) {
        status = 0;
    } else if (r->auth == AUTH_MISSING || r->auth == AUTH_BAD) {
        status = 401;
        msg = r->auth == AUTH_MISSING ? "missing credentials" : "bad credentials";
        if (rx.basic_expect)
            snprintf(extra, sizeof extra, "WWW-Authenticate: Basic realm=\"otlp\"\r\n");
        else
            snprintf(extra, sizeof extra, "WWW-Authenticate: Bearer\r\n");
    } else if (rx.require_tenant && !r->tenant[0]) {
        status = 401;
        msg = "no org id";
    } else if (r->too_large) {
        status = 413;
        msg = "request body too large";
    } else if (r->ctype == CT_OTHER) {
        status = 415;
        msg = "unsupported Content-Type (want application/x-protobuf or application/json)";
    } else if (r->cenc == CE_OTHER) {
        status = 415;
        msg = "unsupported Content-Encoding (want gzip, zstd or identity)";
    } else if (derrbuf[0]) {
        status = 400;
        msg = derrbuf;
    } else if (rule->kind == RULE_STATUS) {
        status = rule->status;
        msg = rule->message ? rule->message : reason(status);
        code = rule->grpc_code;
        if (rule->retry_after >= 0) {
            snprintf(extra, sizeof extra, "Retry-After: %ld\r\n", rule->retry_after);
        } else if (rule->retry_after_date >= 0) {
            time_t t = time(NULL) + rule->retry_after_date;
            struct tm tm;
            char date[64];
            gmtime_r(&t, &tm);
            strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
            snprintf(extra, sizeof extra, "Retry-After: %s\r\n", date);
        }
    } else {
        status = 200;
    }

    bool accepted = status >= 200 && status < 300;
    uint64_t spans = d.nspans;
    if (accepted) {
        rx.total_spans += spans;
        if (!rx.discard && rx.lines.len)
            write_all_fd(rx.spans_fd, rx.lines.p, rx.lines.len);
    }
    log_request(status, r, decoded_ok ? plain_len : 0, spans);
    if (rx.dec.cap > (64u << 20))
        buf_free(&rx.dec);
    if (rx.lines.cap > (64u << 20))
        buf_free(&rx.lines);

    if (status == 0) {
        c->drop_on_release = true;
    } else if (accepted && status == 200) {
        respond_ok(c, r->ctype, rule);
    } else if (accepted) {
        bool json = r->ctype == CT_JSON && status != 204;
        respond(c, status, r->ctype == CT_JSON ? "application/json" : "application/x-protobuf",
                json ? "{}" : "", json ? 2 : 0, NULL);
    } else {
        respond_status(c, status, r->ctype, code, msg, extra[0] ? extra : NULL);
    }
    long delay = rx.delay_ms + rule->delay_ms;
    if (delay > 0)
        c->hold_until = mono_ms() + delay;
    else if (status == 0)
        c->hold_until = mono_ms(); /* released (dropped) on the next turn */
}

/* --- request parsing ----------------------------------------------------- */

/* Returns the next line in [p, end) without its CR LF; NULL if incomplete. */
static const char *next_line(const char *p, const char *end, size_t *len, const char **next)
{
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    if (!nl)
        return NULL;
    size_t n = (size_t)(nl - p);
    if (n && p[n - 1] == '\r')
        n--;
    *len = n;
    *next = nl + 1;
    return p;
}

static void check_auth(rx_req *r, const char *v, size_t n)
{
    size_t sp = 0;
    while (sp < n && v[sp] != ' ')
        sp++;
    const char *tok = v + sp;
    size_t tn = n - sp;
    while (tn && *tok == ' ') {
        tok++;
        tn--;
    }
    bool ok = false;
    if (rx.basic_expect && ascii_ieq(v, sp, "Basic") && tn == strlen(rx.basic_expect) &&
        memcmp(tok, rx.basic_expect, tn) == 0)
        ok = true;
    if (rx.bearer_expect && ascii_ieq(v, sp, "Bearer") && tn == strlen(rx.bearer_expect) &&
        memcmp(tok, rx.bearer_expect, tn) == 0)
        ok = true;
    r->auth = ok ? AUTH_OK : AUTH_BAD;
}

static bool has_token(const char *v, size_t n, const char *tok)
{
    size_t tl = strlen(tok);
    size_t i = 0;
    while (i < n) {
        while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
            i++;
        size_t s = i;
        while (i < n && v[i] != ',' && v[i] != ';')
            i++;
        size_t e = i;
        while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
            e--;
        if (e - s == tl && strncasecmp(v + s, tok, tl) == 0)
            return true;
        while (i < n && v[i] != ',')
            i++;
    }
    return false;
}

/* Parses the request head. 1: done, 0: need more, -1: bad request. */
static int parse_head(rx_conn *c)
{
    rx_req *r = &c->r;
    const char *start = (const char *)c->in.p + c->in_off;
    const char *end = (const char *)c->in.p + c->in.len;
    const char *p = start, *line, *next;
    size_t len;
    /* tolerate empty lines before the request line (RFC 9112 2.2) */
    while ((line = next_line(p, end, &len, &next)) && len == 0)
        p = next;
    c->in_off += (size_t)(p - start);
    start = p;
    if (!line) {
        if ((size_t)(end - p) > RX_HEADER_MAX)
            return -1;
        return 0;
    }
    /* need the whole head before parsing */
    const char *q = p;
    for (;;) {
        const char *l = next_line(q, end, &len, &next);
        if (!l) {
            if ((size_t)(end - start) > RX_HEADER_MAX)
                return -1;
            return 0;
        }
        q = next;
        if (len == 0)
            break;
    }
    if ((size_t)(q - start) > RX_HEADER_MAX)
        return -1;
    memset(r, 0, sizeof *r);
    r->ctype = CT_OTHER;
    r->cenc = CE_IDENTITY;
    r->auth = rx.basic_expect || rx.bearer_expect ? AUTH_MISSING : AUTH_NA;

    line = next_line(p, end, &len, &next);
    p = next;
    const char *sp1 = memchr(line, ' ', len);
    const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', len - (size_t)(sp1 + 1 - line)) : NULL;
    c->in_off += (size_t)(q - start);
    if (!sp1 || !sp2 || (size_t)(sp1 - line) >= sizeof r->method ||
        (size_t)(sp2 - sp1 - 1) >= sizeof r->path || sp1 == line)
        return -1;
    memcpy(r->method, line, (size_t)(sp1 - line));
    const char *target = sp1 + 1;
    size_t tlen = (size_t)(sp2 - target);
    if (tlen > 7 && strncasecmp(target, "http://", 7) == 0) {
        const char *slash = memchr(target + 7, '/', tlen - 7);
        size_t skip = slash ? (size_t)(slash - target) : tlen;
        target += skip;
        tlen -= skip;
    }
    memcpy(r->path, target, tlen);
    const char *ver = sp2 + 1;
    size_t vlen = len - (size_t)(ver - line);
    if (vlen != 8 || memcmp(ver, "HTTP/1.", 7) != 0 || (ver[7] != '0' && ver[7] != '1'))
        return -1;
    r->minor = ver[7] - '0';
    r->keep_alive = r->minor == 1;

    bool te_seen = false;
    while ((line = next_line(p, end, &len, &next)) && len) {
        p = next;
        const char *colon = memchr(line, ':', len);
        if (!colon || colon == line)
            return -1;
        size_t nl = (size_t)(colon - line);
        const char *v = colon + 1;
        size_t vn = len - nl - 1;
        while (vn && (*v == ' ' || *v == '\t')) {
            v++;
            vn--;
        }
        while (vn && (v[vn - 1] == ' ' || v[vn - 1] == '\t'))
            vn--;
        if (ascii_ieq(line, nl, "Content-Length")) {
            uint64_t cl;
            if (!parse_u64(v, vn, &cl) || cl > (UINT64_C(1) << 62) || (r->has_clen && cl != r->clen))
                return -1;
            r->clen = cl;
            r->has_clen = true;
        } else if (ascii_ieq(line, nl, "Transfer-Encoding")) {
            te_seen = true;
            if (has_token(v, vn, "chunked"))
                r->chunked = true;
            else if (!ascii_ieq(v, vn, "identity"))
                r->bad_te = true;
        } else if (ascii_ieq(line, nl, "Content-Type")) {
            size_t base = 0;
            while (base < vn && v[base] != ';' && v[base] != ' ')
                base++;
            if (ascii_ieq(v, base, "application/x-protobuf"))
                r->ctype = CT_PROTOBUF;
            else if (ascii_ieq(v, base, "application/json"))
                r->ctype = CT_JSON;
            else
                r->ctype = CT_OTHER;
        } else if (ascii_ieq(line, nl, "Content-Encoding")) {
            if (vn == 0 || ascii_ieq(v, vn, "identity"))
                r->cenc = CE_IDENTITY;
            else if (ascii_ieq(v, vn, "gzip") || ascii_ieq(v, vn, "x-gzip"))
                r->cenc = CE_GZIP;
            else if (ascii_ieq(v, vn, "zstd"))
                r->cenc = CE_ZSTD;
            else
                r->cenc = CE_OTHER;
        } else if (ascii_ieq(line, nl, "Expect")) {
            if (ascii_ieq(v, vn, "100-continue"))
                r->expect_continue = true;
        } else if (ascii_ieq(line, nl, "Connection")) {
            if (has_token(v, vn, "close"))
                r->keep_alive = false;
            else if (has_token(v, vn, "keep-alive"))
                r->keep_alive = true;
        } else if (ascii_ieq(line, nl, "Authorization")) {
            /* the value is compared and never kept or printed */
            if (rx.basic_expect || rx.bearer_expect)
                check_auth(r, v, vn);
        } else if (ascii_ieq(line, nl, "X-Scope-OrgID")) {
            size_t k = 0;
            for (size_t i = 0; i < vn && k + 1 < sizeof r->tenant; i++) {
                unsigned char ch = (unsigned char)v[i];
                r->tenant[k++] = ch > 0x20 && ch < 0x7f ? (char)ch : '_';
            }
            r->tenant[k] = '\0';
        }
    }
    if (te_seen && r->minor == 0)
        r->chunked = false; /* HTTP/1.0 has no chunked coding */
    if (r->bad_te)
        return -1;
    if (r->chunked)
        r->has_clen = false; /* Transfer-Encoding wins (RFC 9112 6.3) */
    return 1;
}

/* Moves body bytes from the input to the body buffer. */
static void take_body(rx_conn *c, size_t n)
{
    rx_req *r = &c->r;
    const uint8_t *p = c->in.p + c->in_off;
    c->in_off += n;
    if (r->raw + n > rx.max_body) {
        r->too_large = true;
        c->body.len = 0;
    }
    r->raw += n;
    if (!r->too_large)
        buf_add(&c->body, p, n);
}

/* Advances the current request. 1: complete, 0: need more, -1: bad request. */
static int parse_step(rx_conn *c)
{
    rx_req *r = &c->r;
    for (;;) {
        size_t avail = c->in.len - c->in_off;
        const char *p = (const char *)c->in.p + c->in_off;
        const char *next, *line;
        size_t len;
        switch (c->stage) {
        case ST_HEAD: {
            int rc = parse_head(c);
            if (rc <= 0)
                return rc;
            if (r->chunked) {
                c->stage = ST_CHUNK_SIZE;
            } else if (r->has_clen) {
                c->stage = ST_BODY_LEN;
                if (r->clen > rx.max_body)
                    r->too_large = true;
                else
                    buf_reserve(&c->body, (size_t)r->clen);
            } else {
                c->stage = ST_DONE;
            }
            if (c->stage != ST_DONE && r->expect_continue) {
                if (r->has_clen && r->clen > rx.max_body) {
                    /* refuse before the body is sent: 413 and close */
                    r->raw = r->clen;
                    r->keep_alive = false;
                    return 1;
                }
                if (c->in.len == c->in_off)
                    buf_adds(&c->out, "HTTP/1.1 100 Continue\r\n\r\n");
            }
            break;
        }
        case ST_BODY_LEN: {
            uint64_t left = r->clen - r->raw;
            size_t n = avail < left ? avail : (size_t)left;
            take_body(c, n);
            if (r->raw < r->clen)
                return 0;
            c->stage = ST_DONE;
            break;
        }
        case ST_CHUNK_SIZE: {
            if (!(line = next_line(p, p + avail, &len, &next))) {
                return avail > 4096 ? -1 : 0;
            }
            uint64_t sz = 0;
            size_t i = 0;
            for (; i < len && hexval((unsigned char)line[i]) >= 0; i++) {
                if (i >= 15)
                    return -1;
                sz = sz << 4 | (uint64_t)hexval((unsigned char)line[i]);
            }
            if (i == 0 || (i < len && line[i] != ';' && line[i] != ' ' && line[i] != '\t'))
                return -1;
            c->in_off += (size_t)(next - p);
            r->chunk_left = sz;
            c->stage = sz ? ST_CHUNK_DATA : ST_TRAILER;
            break;
        }
        case ST_CHUNK_DATA: {
            size_t n = avail < r->chunk_left ? avail : (size_t)r->chunk_left;
            take_body(c, n);
            r->chunk_left -= n;
            if (r->chunk_left)
                return 0;
            c->stage = ST_CHUNK_CRLF;
            break;
        }
        case ST_CHUNK_CRLF:
            if (!(line = next_line(p, p + avail, &len, &next)))
                return avail > 2 ? -1 : 0;
            if (len)
                return -1;
            c->in_off += (size_t)(next - p);
            c->stage = ST_CHUNK_SIZE;
            break;
        case ST_TRAILER:
            if (!(line = next_line(p, p + avail, &len, &next)))
                return avail > RX_HEADER_MAX ? -1 : 0;
            c->in_off += (size_t)(next - p);
            if (len == 0)
                c->stage = ST_DONE;
            break;
        case ST_DONE:
            return 1;
        }
    }
}

static void touch(void)
{
    rx.last_activity = mono_ms();
}

static void start_linger(rx_conn *c)
{
    shutdown(c->fd, SHUT_WR);
    c->lingering = true;
    c->linger_until = mono_ms() + RX_LINGER_MS;
    c->in.len = c->in_off = 0;
}

/* Sends what is queued. false if the connection died. */
static bool conn_flush(rx_conn *c)
{
    while (c->out_off < c->out.len) {
        ssize_t w = send(c->fd, c->out.p + c->out_off, c->out.len - c->out_off, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return true;
        if (w <= 0) {
            conn_close(c);
            return false;
        }
        c->out_off += (size_t)w;
        touch();
    }
    c->out.len = c->out_off = 0;
    if (c->out.cap > (1u << 20))
        buf_free(&c->out);
    return true;
}

static bool out_pending(const rx_conn *c)
{
    return c->out_off < c->out.len;
}

/* Drives a connection as far as it can go without blocking. */
static void conn_service(rx_conn *c)
{
    for (;;) {
        if (c->closed || c->lingering)
            return;
        if (c->hold_until) {
            if (mono_ms() < c->hold_until)
                return;
            c->hold_until = 0;
            if (c->drop_on_release) {
                conn_close(c);
                return;
            }
        }
        if (out_pending(c)) {
            if (!conn_flush(c) || out_pending(c))
                return;
        }
        if (c->close_after && c->stage == ST_HEAD) {
            start_linger(c);
            return;
        }
        if (c->in_off == c->in.len) {
            c->in.len = c->in_off = 0;
            if (c->in.cap > (4u << 20))
                buf_free(&c->in);
        }
        int rc = parse_step(c);
        if (rc < 0) {
            rx.seq++;
            c->close_after = true;
            c->r.keep_alive = false;
            respond_status(c, 400, CT_OTHER, -1, "malformed HTTP request", NULL);
            log_request(400, &c->r, 0, 0);
            c->stage = ST_HEAD;
            continue;
        }
        if (rc == 0) {
            if (out_pending(c) && !conn_flush(c))
                return; /* the 100 Continue */
            break;
        }
        handle_request(c);
        req_reset(c);
    }
    if (!c->closed && c->peer_eof && !out_pending(c) && !c->hold_until)
        conn_close(c);
}

static void conn_read(rx_conn *c)
{
    for (int rounds = 0; rounds < 8; rounds++) {
        if (c->in_off && c->in_off == c->in.len)
            c->in.len = c->in_off = 0;
        else if (c->in_off > (1u << 20) || (c->in_off && c->in.cap - c->in.len < RX_READ_CHUNK / 4)) {
            memmove(c->in.p, c->in.p + c->in_off, c->in.len - c->in_off);
            c->in.len -= c->in_off;
            c->in_off = 0;
        }
        buf_reserve(&c->in, RX_READ_CHUNK);
        size_t room = c->in.cap - c->in.len;
        ssize_t n = recv(c->fd, c->in.p + c->in.len, room, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n <= 0) {
            if (c->lingering || n < 0) {
                conn_close(c);
                return;
            }
            c->peer_eof = true;
            break;
        }
        touch();
        if (c->lingering) {
            c->in.len = 0; /* draining after our answer: discard */
            continue;
        }
        c->in.len += (size_t)n;
        if ((size_t)n < room)
            break; /* short read: the socket is empty */
    }
    if (!c->lingering)
        conn_service(c);
}

static void accept_all(void)
{
    for (;;) {
        int fd = accept(rx.listen_fd, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNABORTED)
                rx_warn("accept: %s", strerror(errno));
            return;
        }
        touch();
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        fcntl(fd, F_SETFD, FD_CLOEXEC);
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        rx_conn *c = calloc(1, sizeof *c);
        if (!c)
            rx_fatal("out of memory");
        c->fd = fd;
        if (nconns == conns_cap) {
            conns_cap = conns_cap ? conns_cap * 2 : 32;
            rx_conn **nc = realloc(conns, conns_cap * sizeof *nc);
            if (!nc)
                rx_fatal("out of memory");
            conns = nc;
        }
        conns[nconns++] = c;
    }
}

/* ------------------------------------------------------------------------ */
/* Setup and main loop                                                       */

static void on_signal(int sig)
{
    int saved = errno;
    rx.stop_signal = sig;
    ssize_t w = write(rx.sig_pipe[1], "x", 1);
    (void)w;
    errno = saved;
}

static char *base64(const char *s)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = strlen(s);
    char *out = malloc(4 * ((n + 2) / 3) + 1);
    if (!out)
        rx_fatal("out of memory");
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)(unsigned char)s[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)(unsigned char)s[i + 1] << 8;
        if (i + 2 < n)
            v |= (unsigned char)s[i + 2];
        out[o++] = tab[v >> 18 & 63];
        out[o++] = tab[v >> 12 & 63];
        out[o++] = i + 1 < n ? tab[v >> 6 & 63] : '=';
        out[o++] = i + 2 < n ? tab[v & 63] : '=';
    }
    out[o] = '\0';
    return out;
}

static void usage(FILE *f)
{
    fputs("usage: otlp-receiver --port-file FILE --pid-file FILE --out DIR\n"
          "         [--bind 127.0.0.1|::1] [--script FILE] [--max-body BYTES]\n"
          "         [--require-basic USER:PASS] [--require-bearer TOKEN] [--require-tenant]\n"
          "         [--delay-ms N] [--discard] [--idle-exit SECONDS]\n"
          "A test OTLP/HTTP trace receiver: POST /v1/traces on a free loopback port.\n"
          "Script: one rule a line, each used by the next POST /v1/traces, then `ok`;\n"
          "blank lines and # comments are skipped. A line is [repeat K] [delay MS] RULE:\n"
          "  ok\n"
          "  status N [retry-after=SECONDS | retry-after-date=+SECONDS] [message=\"TEXT\"] [code=G]\n"
          "  drop                  close the connection without an answer\n"
          "  partial N [message=\"TEXT\"]   200 with partial_success.rejected_spans = N\n"
          "  delay MS              alone: ok after MS milliseconds\n"
          "--delay-ms adds to every /v1/traces answer; in \"TEXT\", \\\" and \\\\ escape.\n",
          f);
}

static int listen_loopback(const char *addr)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
        if ((ntohl(s4->sin_addr.s_addr) >> 24) != 127) {
            fprintf(stderr, "otlp-receiver: --bind must be a loopback address\n");
            exit(2);
        }
        s4->sin_family = AF_INET;
        sl = sizeof *s4;
    } else if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
        if (!IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr)) {
            fprintf(stderr, "otlp-receiver: --bind must be a loopback address\n");
            exit(2);
        }
        s6->sin6_family = AF_INET6;
        sl = sizeof *s6;
    } else {
        fprintf(stderr, "otlp-receiver: --bind: not an address: %s\n", addr);
        exit(2);
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        rx_fatal("socket: %s", strerror(errno));
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ss.ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&ss, sl) != 0)
        rx_fatal("bind %s: %s", addr, strerror(errno));
    if (listen(fd, 256) != 0)
        rx_fatal("listen: %s", strerror(errno));
    return fd;
}

static int bound_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0)
        rx_fatal("getsockname: %s", strerror(errno));
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static int open_log(const char *name)
{
    char path[PATH_MAX];
    out_path(path, sizeof path, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        fprintf(stderr, "otlp-receiver: cannot open %s: %s\n", path, strerror(errno));
        exit(2);
    }
    return fd;
}

static void parse_args(int argc, char **argv)
{
    enum { O_PORT = 256, O_PID, O_OUT, O_BIND, O_SCRIPT, O_MAXBODY, O_BASIC, O_BEARER,
           O_TENANT, O_DELAY, O_DISCARD, O_IDLE, O_HELP };
    static const struct option opts[] = {
        {"port-file", required_argument, NULL, O_PORT},
        {"pid-file", required_argument, NULL, O_PID},
        {"out", required_argument, NULL, O_OUT},
        {"bind", required_argument, NULL, O_BIND},
        {"script", required_argument, NULL, O_SCRIPT},
        {"max-body", required_argument, NULL, O_MAXBODY},
        {"require-basic", required_argument, NULL, O_BASIC},
        {"require-bearer", required_argument, NULL, O_BEARER},
        {"require-tenant", no_argument, NULL, O_TENANT},
        {"delay-ms", required_argument, NULL, O_DELAY},
        {"discard", no_argument, NULL, O_DISCARD},
        {"idle-exit", required_argument, NULL, O_IDLE},
        {"help", no_argument, NULL, O_HELP},
        {NULL, 0, NULL, 0},
    };
    rx.bind_addr = "127.0.0.1";
    rx.max_body = RX_DEFAULT_MAX_BODY;
    rx.idle_exit_s = 60;
    int o;
    unsigned long long v;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case O_PORT: rx.port_file = optarg; break;
        case O_PID: rx.pid_file = optarg; break;
        case O_OUT: rx.out_dir = optarg; break;
        case O_BIND: rx.bind_addr = optarg; break;
        case O_SCRIPT: rx.script_file = optarg; break;
        case O_MAXBODY:
            if (!parse_ulong_arg(optarg, UINT64_C(1) << 40, &v))
                goto bad;
            rx.max_body = v;
            break;
        case O_BASIC:
            if (!strchr(optarg, ':'))
                goto bad;
            free(rx.basic_expect);
            rx.basic_expect = base64(optarg);
            break;
        case O_BEARER:
            rx.bearer_expect = optarg;
            break;
        case O_TENANT: rx.require_tenant = true; break;
        case O_DELAY:
            if (!parse_ulong_arg(optarg, 3600000, &v))
                goto bad;
            rx.delay_ms = (long)v;
            break;
        case O_DISCARD: rx.discard = true; break;
        case O_IDLE:
            if (!parse_ulong_arg(optarg, 86400, &v))
                goto bad;
            rx.idle_exit_s = (long)v;
            break;
        case O_HELP: usage(stdout); exit(0);
        default: usage(stderr); exit(2);
        }
        continue;
    bad:
        fprintf(stderr, "otlp-receiver: bad value for option: %s\n", optarg);
        exit(2);
    }
    if (optind != argc || !rx.port_file || !rx.pid_file || !rx.out_dir) {
        usage(stderr);
        exit(2);
    }
}

int main(int argc, char **argv)
{
    parse_args(argc, argv);
    pb_init();
    json_init();
    rx.default_rule = (rx_rule){.kind = RULE_OK, .retry_after = -1, .retry_after_date = -1,
                                .grpc_code = -1, .repeat = 1};
    if (rx.script_file)
        script_load(rx.script_file);
    if (mkdir(rx.out_dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "otlp-receiver: cannot create %s: %s\n", rx.out_dir, strerror(errno));
        exit(2);
    }
    rx.requests_fd = open_log("requests.log");
    rx.spans_fd = rx.discard ? -1 : open_log("spans.log");

    if (pipe(rx.sig_pipe) != 0)
        rx_fatal("pipe: %s", strerror(errno));
    for (int i = 0; i < 2; i++) {
        fcntl(rx.sig_pipe[i], F_SETFL, fcntl(rx.sig_pipe[i], F_GETFL) | O_NONBLOCK);
        fcntl(rx.sig_pipe[i], F_SETFD, FD_CLOEXEC);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    rx.listen_fd = listen_loopback(rx.bind_addr);
    char text[32];
    int n = snprintf(text, sizeof text, "%ld\n", (long)getpid());
    if (!write_file_atomic(rx.pid_file, text, (size_t)n))
        rx_fatal("cannot write %s: %s", rx.pid_file, strerror(errno));
    n = snprintf(text, sizeof text, "%d\n", bound_port(rx.listen_fd));
    if (!write_file_atomic(rx.port_file, text, (size_t)n))
        rx_fatal("cannot write %s: %s", rx.port_file, strerror(errno));

    struct pollfd *pfds = NULL;
    size_t pfds_cap = 0;
    const char *why = NULL;
    touch();
    while (!why) {
        int64_t now = mono_ms();
        int64_t wake = -1; /* earliest deadline, -1 = none */
        bool busy = false;
        for (size_t i = 0; i < nconns; i++) {
            rx_conn *c = conns[i];
            if (c->hold_until && now >= c->hold_until)
                conn_service(c);
            if (c->lingering && now >= c->linger_until)
                conn_close(c);
        }
        /* forget closed connections */
        size_t k = 0;
        for (size_t i = 0; i < nconns; i++) {
            if (conns[i]->closed)
                free(conns[i]);
            else
                conns[k++] = conns[i];
        }
        nconns = k;

        if (pfds_cap < nconns + 2) {
            pfds_cap = (nconns + 2) * 2;
            struct pollfd *np = realloc(pfds, pfds_cap * sizeof *np);
            if (!np)
                rx_fatal("out of memory");
            pfds = np;
        }
        pfds[0] = (struct pollfd){.fd = rx.sig_pipe[0], .events = POLLIN};
        pfds[1] = (struct pollfd){.fd = rx.listen_fd, .events = POLLIN};
        for (size_t i = 0; i < nconns; i++) {
            rx_conn *c = conns[i];
            short ev = 0;
            int fd = c->fd;
            if (c->hold_until) {
                busy = true;
                fd = -1; /* not polled while the answer is held back */
                if (wake < 0 || c->hold_until < wake)
                    wake = c->hold_until;
            } else if (out_pending(c)) {
                ev = POLLOUT;
                busy = true;
            } else if (!c->peer_eof) {
                ev = POLLIN;
            } else {
                fd = -1;
            }
            if (c->lingering) {
                fd = c->fd;
                ev = POLLIN;
                if (wake < 0 || c->linger_until < wake)
                    wake = c->linger_until;
            }
            pfds[i + 2] = (struct pollfd){.fd = fd, .events = ev};
        }
        if (rx.idle_exit_s > 0 && !busy) {
            int64_t idle_at = rx.last_activity + rx.idle_exit_s * 1000;
            if (now >= idle_at) {
                why = "idle";
                break;
            }
            if (wake < 0 || idle_at < wake)
                wake = idle_at;
        }
        int timeout = -1;
        if (wake >= 0)
            timeout = wake <= now ? 0 : (int)(wake - now > 60000 ? 60000 : wake - now);
        int pr = poll(pfds, nconns + 2, timeout);
        if (pr < 0) {
            if (errno == EINTR) {
                if (rx.stop_signal)
                    why = "signal";
                continue;
            }
            rx_fatal("poll: %s", strerror(errno));
        }
        if (rx.stop_signal || (pfds[0].revents & POLLIN)) {
            why = "signal";
            break;
        }
        size_t polled = nconns;
        for (size_t i = 0; i < polled; i++) {
            rx_conn *c = conns[i];
            short re = pfds[i + 2].revents;
            if (!re || c->closed)
                continue;
            if (re & (POLLIN | POLLHUP | POLLERR))
                conn_read(c);
            if (!c->closed && (re & POLLOUT))
                conn_service(c);
        }
        if (pfds[1].revents & POLLIN)
            accept_all();
    }
    if (rx.stop_signal)
        rx_warn("stopping on signal %d", (int)rx.stop_signal);
    else
        rx_warn("stopping: no activity for %ld s", rx.idle_exit_s);
    write_summary();
    for (size_t i = 0; i < nconns; i++) {
        conn_close(conns[i]);
        free(conns[i]);
    }
    free(conns);
    free(pfds);
    close(rx.listen_fd);
    close(rx.requests_fd);
    if (rx.spans_fd >= 0)
        close(rx.spans_fd);
    buf_free(&rx.dec);
    buf_free(&rx.lines);
    if (rx.zs_ready)
        inflateEnd(&rx.zs);
    ZSTD_freeDCtx(rx.zd);
    for (size_t i = 0; i < rx.nrules; i++)
        free(rx.rules[i].message);
    free(rx.rules);
    free(rx.basic_expect);
    return 0;
}
