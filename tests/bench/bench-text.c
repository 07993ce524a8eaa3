/* bench-text.c: measures the text formats' parsers (not a test).
 *   tests/bench/bench-text [--lines N] [--threads T] [--preset NAME] [FILE]
 *   tests/bench/bench-text --lines N --print
 * Parses lines into records with one shared format and one parser (and
 * arena) per thread, the threads taking interleaved blocks of lines as the
 * run's workers do, and prints lines/s on stderr. Without FILE it makes N
 * (default 1000000) varied nginx combined lines in memory; with FILE it
 * parses FILE's lines (a preset other than nginx-combined needs one).
 * --print writes the N generated lines to stdout instead (the corpus of
 * make bench's end-to-end text rows). */
#include "config.h"
#include "map/text/text.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *p;
    size_t len;
} line;

static line *lines;
static size_t n_lines;
static const tf_text_format *fmt;
static int n_threads = 2;
#define BLOCK 256

typedef struct {
    int id;
    size_t ok, rejected;
} job;

static void *run(void *arg)
{
    job *j = arg;
    tf_text_parser *p = tf_text_parser_new(fmt);
    tf_text_stream *st = tf_text_stream_new(fmt);
    tf_arena a;
    tf_arena_init(&a, 16384);
    for (size_t b = (size_t)j->id * BLOCK; b < n_lines; b += (size_t)n_threads * BLOCK) {
        for (size_t i = b; i < b + BLOCK && i < n_lines; i++) {
            const tf_text_columns *c;
            tf_err why;
            tf_json *rec;
            tf_arena_reset(&a);
            if (tf_text_stream_line(st, lines[i].p, lines[i].len, &c, &why) != TF_TEXT_DATA)
                continue;
            if (tf_text_parse(p, c, &a, lines[i].p, lines[i].len, &rec, &why) == TF_TEXT_OK)
                j->ok++;
            else
                j->rejected++;
        }
    }
    tf_arena_free(&a);
    tf_text_stream_free(st);
    tf_text_parser_free(p);
    return NULL;
}

static const char *const paths[] = { "/api/v1/orders", "/api/v1/orders/8812", "/static/app.3f9c1.js",
                                     "/login", "/api/v1/search", "/healthz", "/img/logo.png" };
static const char *const agents[] = {
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
    "curl/8.5.0", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15", "-",
};

static char *generate(size_t n, size_t *size)
{
    tf_buf b = { 0 };
    uint64_t x = 0x2545f4914f6cdd1du;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        unsigned s = (unsigned)(i % 86400);
        tf_buf_printf(&b, "203.0.%u.%u - %s [15/Jul/2024:%02u:%02u:%02u +0000] \"%s %s%s HTTP/1.1\" %u %u "
                          "\"%s\" \"%s\"\n",
                      (unsigned)(x >> 8 & 255), (unsigned)(x & 255), x % 9 ? "-" : "alice", s / 3600, s / 60 % 60,
                      s % 60, x % 5 ? "GET" : "POST", paths[x % TF_ARRAY_LEN(paths)], x % 3 ? "" : "?page=2&limit=50",
                      x % 11 ? 200 : 502, (unsigned)(x % 100000), x % 4 ? "-" : "https://shop.example.com/orders",
                      agents[x % TF_ARRAY_LEN(agents)]);
    }
    *size = b.len;
    return b.p;
}

static char *slurp(const char *path, size_t *size)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    tf_buf b = { 0 };
    char buf[65536];
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, fp)) > 0)
        tf_buf_append(&b, buf, k);
    fclose(fp);
    *size = b.len;
    return b.p;
}

int main(int argc, char **argv)
{
    size_t want = 1000000;
    const char *preset = "nginx-combined", *file = NULL;
    bool print = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--lines") && i + 1 < argc)
            want = (size_t)strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            n_threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--preset") && i + 1 < argc)
            preset = argv[++i];
        else if (!strcmp(argv[i], "--print"))
            print = true;
        else if (argv[i][0] != '-' && !file)
            file = argv[i];
        else {
            fprintf(stderr, "usage: bench-text [--lines N] [--threads T] [--preset NAME] [FILE] | --lines N --print\n");
            return 2;
        }
    }
    if (n_threads < 1 || n_threads > 64)
        n_threads = 1;
    size_t size = 0;
    char *text = file ? slurp(file, &size) : generate(want, &size);
    if (!text) {
        fprintf(stderr, "bench-text: cannot read %s\n", file);
        return 1;
    }
    if (print) {
        int rc = fwrite(text, 1, size, stdout) == size && fflush(stdout) == 0 ? 0 : 1;
        free(text);
        return rc;
    }
    for (size_t i = 0; i < size; i++)
        n_lines += text[i] == '\n';
    lines = tf_xcalloc(n_lines + 1, sizeof *lines);
    n_lines = 0;
    for (char *p = text, *end = text + size; p < end;) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (len)
            lines[n_lines++] = (line){ p, len };
        p += len + 1;
    }
    tf_text_spec spec;
    memset(&spec, 0, sizeof spec);
    spec.preset = preset;
    spec.header = spec.delimiter = spec.quote = -1;
    tf_err err;
    tf_text_format *f = tf_text_format_new(&spec, &err);
    if (!f) {
        fprintf(stderr, "bench-text: %s\n", err.msg);
        return 2;
    }
    fmt = f;
    pthread_t th[64];
    job jobs[64];
    uint64_t t0 = tf_now_mono_ns();
    for (int i = 0; i < n_threads; i++) {
        jobs[i] = (job){ i, 0, 0 };
        pthread_create(&th[i], NULL, run, &jobs[i]);
    }
    size_t okn = 0, rej = 0;
    for (int i = 0; i < n_threads; i++) {
        pthread_join(th[i], NULL);
        okn += jobs[i].ok;
        rej += jobs[i].rejected;
    }
    double secs = (double)(tf_now_mono_ns() - t0) / 1e9;
    tf_buf d = { 0 };
    tf_text_format_describe(f, &d);
    fprintf(stderr, "bench-text: %s; %zu lines (%.0f MB), %d thread%s: %.3f s, %.0f lines/s (%zu records, %zu rejected)\n",
            tf_buf_cstr(&d), n_lines, (double)size / 1e6, n_threads, n_threads == 1 ? "" : "s", secs,
            secs > 0 ? (double)n_lines / secs : 0.0, okn, rej);
    tf_buf_free(&d);
    tf_text_format_free(f);
    free(lines);
    free(text);
    return rej && !file ? 1 : 0;
}
