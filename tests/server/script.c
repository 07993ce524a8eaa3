/* script.c: the --script file: one answer rule a line, handed out in order.
 *
 * Each POST /v1/traces takes the next rule; after the last one every request
 * gets `ok`. Blank lines and # comments are skipped. A line is
 *
 *     [repeat K] [delay MS] RULE [OPTION=VALUE ...]
 *
 *   repeat K       the rule serves the next K requests (1..1000000000)
 *   delay MS       hold the answer back MS ms (0..3600000); alone: `ok` late
 *
 * Rules:
 *   ok             200, an empty ExportTraceServiceResponse
 *   status N       N (100..599) with a google.rpc.Status in the request's
 *                  encoding (a 2xx: an empty response, like ok)
 *   partial N      200 with partial_success.rejected_spans = N
 *   reply N        N (100..599) with a body given verbatim (body=, body-file=,
 *                  page=, huge=, gzip-bomb=; none: empty), not an OTLP message
 *   drop           close the connection (FIN) without an answer
 *   reset          reset the connection (RST: SO_LINGER 0) without an answer
 *   hang           never answer: read and discard until the client gives up
 *                  or the receiver stops (a hanging connection does not
 *                  hold off --idle-exit); takes no delay
 * The rule's answer is sent only when the request earns no other (401 for
 * credentials or tenant, 413, 415, 400 come first); drop, reset and hang
 * always apply. In requests.log drop, reset and hang are status=0.
 *
 * Options (VALUE: a word or "quoted"; in quotes \" \\ \n \r \t \xHH escape):
 *   message=TEXT         status, partial: Status.message / error_message
 *   code=G               status: the google.rpc.Code (0..16; default from N)
 *   echo=HEADER          status, reply: append the value of the request's
 *                        header HEADER (empty if absent) to message= / body=;
 *                        e.g. message="invalid token: " echo=Authorization.
 *                        The value goes into that answer only, never a log.
 *   retry-after=SECONDS  status, reply: Retry-After: SECONDS (0..1000000000)
 *   retry-after-date=+S | -S   status, reply: Retry-After as an IMF-fixdate
 *                        S seconds from now (+) or ago (-)
 *   retry-after-raw=VALUE  status, reply: Retry-After: VALUE verbatim
 *                        ("0", "-5", "abc", "99999999999", any date)
 *   header="Name: value"   status, reply: one more response header (up to 8)
 *   type=CTYPE           reply: Content-Type (default text/plain;
 *                        charset=utf-8; page=: text/html; charset=utf-8;
 *                        huge=, gzip-bomb=: application/x-protobuf)
 *   body=TEXT            reply: the body
 *   body-file=PATH       reply: the body, read from PATH at start
 *   page=grafana         reply: an HTML page like a Grafana web UI's (what an
 *                        OTLP client gets when given a Grafana web URL)
 *   huge=BYTES           reply: a body of BYTES (1..2^40) bytes made while it
 *                        is sent, never held in memory: the 63 characters
 *                        "otlp-receiver huge body: this 64-byte line repeats
 *                        to the end.." and a newline, over and over (what
 *                        `yes LINE | head -c BYTES` prints)
 *   gzip-bomb=BYTES      reply: Content-Encoding: gzip; one gzip member that
 *                        inflates to BYTES (1..2^36) zero bytes, about a
 *                        thousandth of that on the wire; built at start
 * Transport options, on every rule that answers (ok, status, partial, reply);
 * like delay they shape whatever answer the request gets:
 *   trickle=N/MS         send the body N bytes at a time, a piece every MS ms
 *                        (the head goes at once)
 *   truncate=N           send only N bytes of the body (Content-Length stays
 *                        the whole length), then close (FIN)
 *   reset-after=N        send N bytes of the body, then reset (RST) once the
 *                        kernel has passed them on (at most 2 s later)
 * answers.log records when each answer began and ended, how many body bytes
 * went out and how it ended (see receiver.h).
 *
 * A bad script stops the receiver at start: exit status 2 and
 * "otlp-receiver: FILE:LINE: what is wrong" on stderr. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "receiver.h"

/* ------------------------------------------------------------------------ */
/* Script                                                                    */

#define RX_MAX_TOKENS 32
#define RX_MAX_HEADERS 8

typedef struct {
    char word[64];      /* the word, or the key of key=value */
    char *value;        /* NULL for a plain word; owned */
    size_t vlen;        /* bytes in value (it may hold NUL bytes from \x00) */
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

/* One escaped character of a quoted value at *S (after the backslash). */
static uint8_t unescape(const char **s, int line)
{
    char c = *(*s)++;
    switch (c) {
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    case 'x': {
        int hi = hexval((unsigned char)(*s)[0]), lo = hi < 0 ? -1 : hexval((unsigned char)(*s)[1]);
        if (lo < 0)
            script_error(line, "\\x needs two hex digits");
        *s += 2;
        return (uint8_t)(hi << 4 | lo);
    }
    default: return (uint8_t)c;
    }
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
        t->vlen = 0;
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
                if (*s == '\\' && s[1]) {
                    s++;
                    buf_addc(&v, unescape(&s, line));
                } else {
                    buf_addc(&v, (uint8_t)*s++);
                }
            }
            if (*s != '"')
                script_error(line, "unterminated quoted value for %s", t->word);
            s++;
        } else {
            while (*s && *s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
                buf_addc(&v, (uint8_t)*s++);
        }
        t->value = xstrndup(v.p ? (const char *)v.p : "", v.len);
        t->vlen = v.len;
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

static uint64_t opt_u64(const rx_tok *t, uint64_t min, uint64_t max, int line)
{
    unsigned long long v;
    if (!parse_ulong_arg(t->value, max, &v) || v < min)
        script_error(line, "%s needs a number (%" PRIu64 "..%" PRIu64 ")", t->word, min, max);
    return v;
}

/* Header names and values: no control characters (no header injection). */
static void check_header_text(const rx_tok *t, int line)
{
    for (size_t i = 0; i < t->vlen; i++) {
        unsigned char c = (unsigned char)t->value[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            script_error(line, "%s may not hold control characters", t->word);
    }
}

static bool is_header_name(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!strchr("!#$%&'*+-.^_`|~", s[i]) && !((s[i] >= '0' && s[i] <= '9') ||
                                                   ((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z')))
            return false;
    return true;
}

/* Takes the token's value (the token no longer owns it). */
static char *take_value(rx_tok *t)
{
    char *v = t->value;
    t->value = NULL;
    return v;
}

static void set_default_ctype(rx_rule *r, const char *ct)
{
    if (!r->ctype)
        r->ctype = xstrndup(ct, strlen(ct));
}

/* --- the gzip bomb ------------------------------------------------------- */

static void deflate_into(z_stream *zs, const uint8_t *in, size_t n, int flush, rx_buf *out)
{
    zs->next_in = (Bytef *)(uintptr_t)in;
    zs->avail_in = (uInt)n;
    for (;;) {
        buf_reserve(out, 65536);
        size_t room = out->cap - out->len;
        zs->next_out = out->p + out->len;
        zs->avail_out = room > UINT_MAX ? UINT_MAX : (uInt)room;
        uInt before = zs->avail_out;
        int rc = deflate(zs, flush);
        if (rc == Z_STREAM_ERROR)
            rx_fatal("deflate failed");
        out->len += before - zs->avail_out;
        if (flush == Z_FINISH ? rc == Z_STREAM_END : zs->avail_out != 0)
            return;
    }
}

static void put_le32(rx_buf *b, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        buf_addc(b, (uint8_t)(v >> (8 * i)));
}

/* One gzip member inflating to N zero bytes without deflating all of them:
 * a 1 MiB piece compressed with a full flush leaves the compressor as it
 * started, so the same bytes encode every further MiB; CRC-32 by combining. */
static void gzip_bomb(rx_buf *out, uint64_t n)
{
    enum { PIECE = 1 << 20 };
    static const uint8_t head[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 3};
    uint8_t *zeros = calloc(1, PIECE);
    if (!zeros)
        rx_fatal("out of memory");
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, 9, Z_DEFLATED, -MAX_WBITS, 9, Z_DEFAULT_STRATEGY) != Z_OK)
        rx_fatal("deflateInit2 failed");
    rx_buf piece = {0};
    deflate_into(&zs, zeros, PIECE, Z_FULL_FLUSH, &piece);
    uLong crc_piece = crc32(0L, zeros, PIECE), crc = crc32(0L, Z_NULL, 0);
    uint64_t k = n / PIECE, rest = n % PIECE;
    buf_add(out, head, sizeof head);
    for (uint64_t i = 0; i < k; i++) {
        buf_add(out, piece.p, piece.len);
        crc = crc32_combine(crc, crc_piece, PIECE);
    }
    deflate_into(&zs, zeros, (size_t)rest, Z_FINISH, out);
    crc = crc32(crc, zeros, (uInt)rest);
    put_le32(out, (uint32_t)crc);
    put_le32(out, (uint32_t)n);
    deflateEnd(&zs);
    buf_free(&piece);
    free(zeros);
}

/* --- options ---------------------------------------------------------------- */

static int line_bodies; /* body sources given on the line being parsed */

static void opt_message(rx_rule *r, rx_tok *t, int line)
{
    (void)line;
    free(r->message);
    r->message = take_value(t);
}

static void opt_code(rx_rule *r, rx_tok *t, int line)
{
    unsigned long long v;
    if (!parse_ulong_arg(t->value, 16, &v))
        script_error(line, "code needs a google.rpc.Code (0..16)");
    r->grpc_code = (int)v;
}

static void opt_retry_after(rx_rule *r, rx_tok *t, int line)
{
    unsigned long long v;
    if (!parse_ulong_arg(t->value, 1000000000ULL, &v))
        script_error(line, "retry-after needs a number of seconds");
    r->retry_after = (long)v;
}

static void opt_retry_after_date(rx_rule *r, rx_tok *t, int line)
{
    unsigned long long v;
    if ((t->value[0] != '+' && t->value[0] != '-') || !parse_ulong_arg(t->value + 1, 1000000000ULL, &v))
        script_error(line, "retry-after-date needs +SECONDS or -SECONDS");
    r->retry_after_date = (long)v;
    r->retry_after_past = t->value[0] == '-';
}

static void opt_retry_after_raw(rx_rule *r, rx_tok *t, int line)
{
    check_header_text(t, line);
    free(r->retry_after_raw);
    r->retry_after_raw = take_value(t);
}

static void opt_header(rx_rule *r, rx_tok *t, int line)
{
    int count = 0;
    for (const char *h = r->headers; h && (h = strstr(h, "\r\n")); h += 2)
        count++;
    if (count == RX_MAX_HEADERS)
        script_error(line, "at most %d header= options on a line", RX_MAX_HEADERS);
    check_header_text(t, line);
    const char *colon = strchr(t->value, ':');
    if (!colon || !is_header_name(t->value, (size_t)(colon - t->value)))
        script_error(line, "header needs \"Name: value\"");
    size_t old = r->headers ? strlen(r->headers) : 0;
    char *h = realloc(r->headers, old + t->vlen + 3);
    if (!h)
        rx_fatal("out of memory");
    memcpy(h + old, t->value, t->vlen);
    memcpy(h + old + t->vlen, "\r\n", 3);
    r->headers = h;
}

static void opt_echo(rx_rule *r, rx_tok *t, int line)
{
    if (!is_header_name(t->value, t->vlen))
        script_error(line, "echo needs a header name");
    size_t i = 0;
    while (i < rx.necho && strcasecmp(rx.echo_names[i], t->value) != 0)
        i++;
    if (i == rx.necho) {
        if (rx.necho == RX_ECHO_MAX)
            script_error(line, "at most %d different echo= headers in a script", RX_ECHO_MAX);
        rx.echo_names[rx.necho++] = take_value(t);
    }
    r->echo = (int)i;
}

static void opt_type(rx_rule *r, rx_tok *t, int line)
{
    check_header_text(t, line);
    free(r->ctype);
    r->ctype = take_value(t);
}

static void opt_body(rx_rule *r, rx_tok *t, int line)
{
    (void)line;
    line_bodies++;
    buf_add(&r->body, t->value, t->vlen);
}

static void opt_body_file(rx_rule *r, rx_tok *t, int line)
{
    line_bodies++;
    FILE *f = fopen(t->value, "rb");
    if (!f)
        script_error(line, "cannot open body-file %s: %s", t->value, strerror(errno));
    uint8_t chunk[65536];
    size_t k;
    while ((k = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (r->body.len + k > (256u << 20))
            script_error(line, "body-file %s is larger than 256 MiB", t->value);
        buf_add(&r->body, chunk, k);
    }
    bool bad = ferror(f);
    fclose(f);
    if (bad)
        script_error(line, "cannot read body-file %s", t->value);
}

/* Like a Grafana web UI's first page: a script-driven single-page app shell. */
static const char grafana_page[] =
    "<!DOCTYPE html>\n"
    "<html lang=\"en-US\">\n"
    "  <head>\n"
    "    <meta charset=\"utf-8\" />\n"
    "    <meta name=\"viewport\" content=\"width=device-width\" />\n"
    "    <title>Grafana</title>\n"
    "    <base href=\"/\" />\n"
    "    <link rel=\"icon\" type=\"image/png\" href=\"public/img/fav32.png\" />\n"
    "  </head>\n"
    "  <body class=\"theme-dark app-grafana\">\n"
    "    <div id=\"reactRoot\">\n"
    "      <div class=\"preloader\"><div class=\"preloader__text\">Loading Grafana</div></div>\n"
    "    </div>\n"
    "    <script nonce=\"\">\n"
    "      window.grafanaBootData = { user: { isSignedIn: false }, settings: { appSubUrl: \"\" } };\n"
    "    </script>\n"
    "    <script src=\"public/build/runtime.js\" type=\"text/javascript\"></script>\n"
    "  </body>\n"
    "</html>\n";

static void opt_page(rx_rule *r, rx_tok *t, int line)
{
    if (strcmp(t->value, "grafana") != 0)
        script_error(line, "page knows only grafana");
    line_bodies++;
    buf_adds(&r->body, grafana_page);
    set_default_ctype(r, "text/html; charset=utf-8");
}

static void opt_huge(rx_rule *r, rx_tok *t, int line)
{
    line_bodies++;
    r->huge = opt_u64(t, 1, UINT64_C(1) << 40, line);
    set_default_ctype(r, "application/x-protobuf");
}

static void opt_gzip_bomb(rx_rule *r, rx_tok *t, int line)
{
    line_bodies++;
    gzip_bomb(&r->body, opt_u64(t, 1, UINT64_C(1) << 36, line));
    r->gzip = true;
    set_default_ctype(r, "application/x-protobuf");
}

static void opt_trickle(rx_rule *r, rx_tok *t, int line)
{
    const char *slash = strchr(t->value, '/');
    uint64_t b;
    unsigned long long ms;
    if (!slash || !parse_u64(t->value, (size_t)(slash - t->value), &b) ||
        !parse_ulong_arg(slash + 1, 3600000, &ms) || b < 1 || b > (1u << 30) || ms < 1)
        script_error(line, "trickle needs BYTES/MS (1..2^30 bytes every 1..3600000 ms), e.g. 10/100");
    r->trickle_bytes = (size_t)b;
    r->trickle_ms = (long)ms;
}

static void opt_truncate(rx_rule *r, rx_tok *t, int line)
{
    r->truncate = opt_u64(t, 0, UINT64_C(1) << 62, line);
}

static void opt_reset_after(rx_rule *r, rx_tok *t, int line)
{
    r->reset_after = opt_u64(t, 0, UINT64_C(1) << 62, line);
}

#define K(kind) (1u << (kind))
#define K_STATUS_REPLY (K(RULE_STATUS) | K(RULE_REPLY))
#define K_ANSWERS (K(RULE_OK) | K(RULE_STATUS) | K(RULE_PARTIAL) | K(RULE_REPLY))

static const struct {
    const char *key;
    unsigned kinds;
    void (*fn)(rx_rule *r, rx_tok *t, int line);
} options[] = {
    {"message", K(RULE_STATUS) | K(RULE_PARTIAL), opt_message},
    {"code", K(RULE_STATUS), opt_code},
    {"echo", K_STATUS_REPLY, opt_echo},
    {"retry-after", K_STATUS_REPLY, opt_retry_after},
    {"retry-after-date", K_STATUS_REPLY, opt_retry_after_date},
    {"retry-after-raw", K_STATUS_REPLY, opt_retry_after_raw},
    {"header", K_STATUS_REPLY, opt_header},
    {"type", K(RULE_REPLY), opt_type},
    {"body", K(RULE_REPLY), opt_body},
    {"body-file", K(RULE_REPLY), opt_body_file},
    {"page", K(RULE_REPLY), opt_page},
    {"huge", K(RULE_REPLY), opt_huge},
    {"gzip-bomb", K(RULE_REPLY), opt_gzip_bomb},
    {"trickle", K_ANSWERS, opt_trickle},
    {"truncate", K_ANSWERS, opt_truncate},
    {"reset-after", K_ANSWERS, opt_reset_after},
};

static void parse_option(rx_rule *r, rx_tok *t, int line)
{
    if (!t->value)
        script_error(line, "unexpected word '%s'", t->word);
    for (size_t i = 0; i < sizeof options / sizeof options[0]; i++)
        if (strcmp(t->word, options[i].key) == 0 && (options[i].kinds & K(r->kind))) {
            options[i].fn(r, t, line);
            return;
        }
    script_error(line, "option %s= is not valid here", t->word);
}

/* --- rules ------------------------------------------------------------------- */

void rule_init(rx_rule *r, int line)
{
    *r = (rx_rule){.kind = RULE_OK, .retry_after = -1, .retry_after_date = -1, .grpc_code = -1,
                   .repeat = 1, .line = line, .echo = -1, .truncate = RX_NO_LIMIT,
                   .reset_after = RX_NO_LIMIT};
}

/* The rule word and its number; returns the index after them. */
static size_t parse_kind(const rx_tok *toks, size_t n, size_t i, rx_rule *r, bool had_delay, int line)
{
    if (i == n) {
        if (!had_delay)
            script_error(line, "missing rule after repeat");
        return i;
    }
    const char *w = toks[i].word;
    if (toks[i].value)
        script_error(line, "unexpected %s=...", w);
    static const struct {
        const char *word;
        enum rule_kind kind;
    } plain[] = {{"ok", RULE_OK}, {"drop", RULE_DROP}, {"reset", RULE_RESET}, {"hang", RULE_HANG}};
    for (size_t k = 0; k < sizeof plain / sizeof plain[0]; k++)
        if (strcmp(w, plain[k].word) == 0) {
            r->kind = plain[k].kind;
            return i + 1;
        }
    if (strcmp(w, "status") == 0 || strcmp(w, "reply") == 0) {
        r->kind = w[0] == 's' ? RULE_STATUS : RULE_REPLY;
        r->status = (int)tok_num(toks, n, i + 1, w, 599, line);
        if (r->status < 100)
            script_error(line, "%s must be 100..599", w);
        return i + 2;
    }
    if (strcmp(w, "partial") == 0) {
        r->kind = RULE_PARTIAL;
        r->rejected = (uint64_t)tok_num(toks, n, i + 1, "partial", LONG_MAX, line);
        return i + 2;
    }
    script_error(line, "unknown rule '%s' (ok, status, partial, reply, drop, reset, hang, delay, repeat)", w);
}

/* Options that do not go together. */
static void rule_check(rx_rule *r, bool had_delay, int line)
{
    int ra = (r->retry_after >= 0) + (r->retry_after_date >= 0) + (r->retry_after_raw != NULL);
    if (ra > 1)
        script_error(line, "give one of retry-after, retry-after-date and retry-after-raw");
    if (r->truncate != RX_NO_LIMIT && r->reset_after != RX_NO_LIMIT)
        script_error(line, "give truncate or reset-after, not both");
    if (line_bodies > 1)
        script_error(line, "give one body source (body, body-file, page, huge or gzip-bomb)");
    if (r->echo >= 0 && (r->huge || r->gzip))
        script_error(line, "echo does not go with huge or gzip-bomb");
    if (r->kind == RULE_HANG && had_delay)
        script_error(line, "hang does not take a delay");
    if (r->kind == RULE_REPLY)
        set_default_ctype(r, "text/plain; charset=utf-8");
}

static void script_parse_line(const char *text, int line)
{
    rx_tok toks[RX_MAX_TOKENS];
    size_t n = tokenize(text, toks, RX_MAX_TOKENS, line);
    if (n == 0)
        return;
    rx_rule r;
    rule_init(&r, line);
    line_bodies = 0;
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
    for (i = parse_kind(toks, n, i, &r, had_delay, line); i < n; i++)
        parse_option(&r, &toks[i], line);
    for (size_t k = 0; k < n; k++)
        free(toks[k].value);
    rule_check(&r, had_delay, line);
    rx_rule *nr = realloc(rx.rules, (rx.nrules + 1) * sizeof *nr);
    if (!nr)
        rx_fatal("out of memory");
    rx.rules = nr;
    rx.rules[rx.nrules++] = r;
}

void script_load(const char *path)
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
const rx_rule *script_next(void)
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

void script_free(void)
{
    for (size_t i = 0; i < rx.nrules; i++) {
        rx_rule *r = &rx.rules[i];
        free(r->message);
        free(r->retry_after_raw);
        free(r->headers);
        free(r->ctype);
        buf_free(&r->body);
    }
    free(rx.rules);
    rx.rules = NULL;
    rx.nrules = 0;
    for (size_t i = 0; i < rx.necho; i++)
        free(rx.echo_names[i]);
    rx.necho = 0;
}
