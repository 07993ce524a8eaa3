/* script.c: the --script file: one answer rule a line, handed out in order. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "receiver.h"

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
