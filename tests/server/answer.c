/* answer.c: answering one complete request: decode, choose the answer by
 * precedence (script rule, credentials, limits, decoding), log, respond. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "receiver.h"

/* ------------------------------------------------------------------------ */
/* Answers                                                                   */

static const char *cenc_name[] = {"identity", "gzip", "zstd", "other"};
static const char *ctype_name[] = {"other", "protobuf", "json"};
static const char *auth_name[] = {"-", "ok", "missing", "bad"};

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

/* An error answer: google.rpc.Status in the request's encoding. */
void respond_status(rx_conn *c, int status, enum ctype ct, int code, const char *msg,
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

static void respond_ok(rx_conn *c, enum ctype ct, const rx_rule *rule, const char *extra)
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
        respond(c, 200, "application/json", b.p, b.len, extra);
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
        respond(c, 200, "application/x-protobuf", b.p, b.len, extra);
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

void log_request(int status, const rx_req *r, uint64_t decoded, uint64_t spans)
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

/* What a request's body decoded to. */
typedef struct {
    rx_decode d;
    char err[300];          /* why the body is refused; "" = it decoded and checked out */
    bool decoded;           /* it decompressed (the walk may still have failed) */
    const uint8_t *plain;
    size_t plain_len;
} rx_decoded;

/* Decompresses and walks the body, whatever the answer will be. */
static void decode_request(rx_conn *c, rx_decoded *x)
{
    rx_req *r = &c->r;
    const uint8_t *body = c->body.p ? c->body.p : (const uint8_t *)"";
    memset(x, 0, sizeof *x);
    rx.lines.len = 0;
    x->d.lines = rx.discard ? NULL : &rx.lines;
    x->d.shallow = rx.discard;
    if (r->too_large || r->ctype == CT_OTHER || r->cenc == CE_OTHER)
        return;
    rx.dec.len = 0;
    bool ok = true;
    if (r->cenc == CE_IDENTITY) {
        x->plain = body;
        x->plain_len = c->body.len;
    } else {
        ok = r->cenc == CE_GZIP ? gunzip_body(body, c->body.len, &rx.dec, x->err, sizeof x->err)
                                : unzstd_body(body, c->body.len, &rx.dec, x->err, sizeof x->err);
        x->plain = rx.dec.p ? rx.dec.p : (const uint8_t *)"";
        x->plain_len = rx.dec.len;
    }
    if (!ok)
        return;
    x->decoded = true;
    x->d.base = x->plain;
    bool parsed = r->ctype == CT_PROTOBUF
                      ? pb_walk(&x->d, M_REQUEST, x->plain, x->plain + x->plain_len, 0)
                      : json_walk(&x->d, x->plain, x->plain_len);
    if (!parsed)
        snprintf(x->err, sizeof x->err, "%s", x->d.err[0] ? x->d.err : "cannot decode the request");
}

/* The answer chosen for a request. */
typedef struct {
    int status;             /* 0: none (drop, reset, hang) */
    const char *msg;
    int code;               /* google.rpc.Code; -1 = derived from status */
    bool rule_answer;       /* the rule's own status / reply answer */
    rx_buf extra;           /* extra header lines (NUL-terminated when not empty) */
    rx_buf text;            /* a message or reply body with an echoed header */
} rx_choice;

/* The header lines a status or reply rule adds to its answer. */
static void rule_headers(const rx_rule *rule, rx_buf *extra)
{
    if (rule->retry_after >= 0) {
        buf_addf(extra, "Retry-After: %ld\r\n", rule->retry_after);
    } else if (rule->retry_after_date >= 0) {
        time_t t = time(NULL) + (rule->retry_after_past ? -rule->retry_after_date : rule->retry_after_date);
        struct tm tm;
        char date[64];
        gmtime_r(&t, &tm);
        strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        buf_addf(extra, "Retry-After: %s\r\n", date);
    } else if (rule->retry_after_raw) {
        buf_addf(extra, "Retry-After: %s\r\n", rule->retry_after_raw);
    }
    if (rule->kind == RULE_REPLY && rule->gzip)
        buf_adds(extra, "Content-Encoding: gzip\r\n");
    if (rule->headers)
        buf_adds(extra, rule->headers);
}

/* TEXT followed by the value of the header the rule echoes. */
static void add_echo(rx_buf *out, const rx_req *r, const rx_rule *rule, const void *text, size_t n)
{
    buf_add(out, text, n);
    buf_add(out, r->echo[rule->echo], r->echo_len[rule->echo]);
}

/* Picks the answer by precedence (see receiver.h). */
static void choose_answer(const rx_req *r, const rx_rule *rule, const rx_decoded *x, rx_choice *ch)
{
    memset(ch, 0, sizeof *ch);
    ch->code = -1;
    if (rule->kind == RULE_DROP || rule->kind == RULE_RESET || rule->kind == RULE_HANG) {
        ch->status = 0;
    } else if (r->auth == AUTH_MISSING || r->auth == AUTH_BAD) {
        ch->status = 401;
        ch->msg = r->auth == AUTH_MISSING ? "missing credentials" : "bad credentials";
        if (rx.basic_expect)
            buf_adds(&ch->extra, "WWW-Authenticate: Basic realm=\"otlp\"\r\n");
        else
            buf_adds(&ch->extra, "WWW-Authenticate: Bearer\r\n");
    } else if (rx.require_tenant && !r->tenant[0]) {
        ch->status = 401;
        ch->msg = "no org id";
    } else if (r->too_large) {
        ch->status = 413;
        ch->msg = "request body too large";
    } else if (r->ctype == CT_OTHER) {
        ch->status = 415;
        ch->msg = "unsupported Content-Type (want application/x-protobuf or application/json)";
    } else if (r->cenc == CE_OTHER) {
        ch->status = 415;
        ch->msg = "unsupported Content-Encoding (want gzip, zstd or identity)";
    } else if (x->err[0]) {
        ch->status = 400;
        ch->msg = x->err;
    } else if (rule->kind == RULE_STATUS || rule->kind == RULE_REPLY) {
        ch->status = rule->status;
        ch->rule_answer = true;
        ch->msg = rule->message ? rule->message : reason(ch->status);
        ch->code = rule->grpc_code;
        rule_headers(rule, &ch->extra);
        if (rule->kind == RULE_STATUS && rule->echo >= 0) {
            const char *m = rule->message ? rule->message : "";
            add_echo(&ch->text, r, rule, m, strlen(m));
            buf_addc(&ch->text, '\0');
            ch->msg = (const char *)ch->text.p;
        }
    } else {
        ch->status = 200;
    }
    if (ch->extra.len) {
        buf_addc(&ch->extra, '\0');
        ch->extra.len--;
    }
}

/* Records the request: spans.log (2xx only), requests.log, the totals. */
static void record_request(const rx_req *r, const rx_decoded *x, int status)
{
    bool accepted = status >= 200 && status < 300;
    uint64_t spans = x->d.nspans;
    if (accepted) {
        rx.total_spans += spans;
        if (!rx.discard && rx.lines.len)
            write_all_fd(rx.spans_fd, rx.lines.p, rx.lines.len);
    }
    log_request(status, r, x->decoded ? x->plain_len : 0, spans);
    if (rx.dec.cap > (64u << 20))
        buf_free(&rx.dec);
    if (rx.lines.cap > (64u << 20))
        buf_free(&rx.lines);
}

/* The verbatim answer of a reply rule. */
static void send_reply(rx_conn *c, const rx_rule *rule, rx_choice *ch, const char *extra)
{
    if (rule->huge) {
        respond_stream(c, ch->status, rule->ctype, NULL, rule->huge, extra);
        return;
    }
    const uint8_t *body = rule->body.p ? rule->body.p : (const uint8_t *)"";
    size_t blen = rule->body.len;
    if (rule->echo >= 0) {
        add_echo(&ch->text, &c->r, rule, body, blen);
        body = ch->text.p;
        blen = ch->text.len;
    }
    respond_stream(c, ch->status, rule->ctype, body, blen, extra);
}

/* An answer of no bytes: drop, reset or hang. */
static void send_nothing(rx_conn *c, const rx_rule *rule)
{
    if (rule->kind == RULE_HANG) {
        c->hanging = true;
        c->ans.begin_ms = clock_ms(CLOCK_REALTIME);
        return;
    }
    c->drop_on_release = true;
    c->reset_on_release = rule->kind == RULE_RESET;
}

static void send_answer(rx_conn *c, const rx_rule *rule, rx_choice *ch)
{
    const rx_req *r = &c->r;
    int status = ch->status;
    bool accepted = status >= 200 && status < 300;
    const char *extra = ch->extra.len ? (const char *)ch->extra.p : NULL;
    if (status == 0) {
        send_nothing(c, rule);
        if (c->hanging)
            return; /* no delay: the answer never comes */
    } else if (ch->rule_answer && rule->kind == RULE_REPLY) {
        send_reply(c, rule, ch, extra);
    } else if (accepted && status == 200) {
        respond_ok(c, r->ctype, rule, extra);
    } else if (accepted) {
        bool json = r->ctype == CT_JSON && status != 204;
        respond(c, status, r->ctype == CT_JSON ? "application/json" : "application/x-protobuf",
                json ? "{}" : "", json ? 2 : 0, extra);
    } else {
        respond_status(c, status, r->ctype, ch->code, ch->msg, extra);
    }
    long delay = rx.delay_ms + rule->delay_ms;
    if (delay > 0)
        c->hold_until = mono_ms() + delay;
    else if (status == 0)
        c->hold_until = mono_ms(); /* released (dropped) on the next turn */
}

/* Answers one complete request. */
void handle_request(rx_conn *c)
{
    rx_req *r = &c->r;
    rx.seq++;
    ans_begin(c, rx.seq, NULL);
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
    c->ans.rule = rule;
    rx.total_requests++;
    rx.total_bytes += r->raw;

    /* Decode whatever can be decoded, then pick the answer by precedence. */
    rx_decoded x;
    decode_request(c, &x);
    if (x.decoded && !rx.discard)
        save_body(r->ctype, x.plain, x.plain_len);
    rx_choice ch;
    choose_answer(r, rule, &x, &ch);
    record_request(r, &x, ch.status);
    send_answer(c, rule, &ch);
    buf_free(&ch.extra);
    buf_free(&ch.text);
}
