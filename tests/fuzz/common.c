/* common.c: helpers shared by the harnesses (fuzz.h). */
#include "tests/fuzz/fuzz.h"
#include "common/json.h"
#include "common/log.h"
#include "map/mapper.h"
#include "otlp/encode.h"
#include "otlp/resource.h"

#include <dirent.h>
#include <string.h>
#include <unistd.h>

static volatile unsigned log_sink;

static void on_log(void *ctx, tf_log_level level, const char *line, size_t len)
{
    unsigned h = (unsigned)level;
    for (size_t i = 0; i < len; i++)
        h = h * 31u + (unsigned char)line[i];
    log_sink = h;
}

void tf_fuzz_logs(void)
{
    tf_log_set(on_log, NULL, TF_LOG_DEBUG);
}

char *tf_fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = tf_xmalloc(size + 1);
    if (size)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

void tf_fuzz_read_src(const char *rel, tf_buf *out)
{
    char *path = tf_xasprintf("%s/%s", TF_FUZZ_SRCDIR, rel);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "fuzz: cannot open %s\n", path);
        exit(2);
    }
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        tf_buf_append(out, chunk, n);
    fclose(f);
    free(path);
    tf_buf_cstr(out);
}

static char *tmpdir;

static void remove_tmpdir(void)
{
    DIR *d = opendir(tmpdir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char *p = tf_xasprintf("%s/%s", tmpdir, e->d_name);
            unlink(p);
            free(p);
        }
        closedir(d);
    }
    rmdir(tmpdir);
    free(tmpdir);
}

const char *tf_fuzz_tmpdir(void)
{
    if (tmpdir)
        return tmpdir;
    const char *base = getenv("TMPDIR");
    if (access("/dev/shm", W_OK) == 0)
        base = "/dev/shm";
    tmpdir = tf_xasprintf("%s/tracefill-fuzz.XXXXXX", base ? base : "/tmp");
    if (!mkdtemp(tmpdir)) {
        perror("fuzz: mkdtemp");
        exit(2);
    }
    atexit(remove_tmpdir);
    return tmpdir;
}

char *tf_fuzz_tmpfile(const char *name)
{
    return tf_xasprintf("%s/%s", tf_fuzz_tmpdir(), name);
}

void tf_fuzz_write_file(const char *path, const void *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    TF_FUZZ_CHECK(f != NULL);
    TF_FUZZ_CHECK(size == 0 || fwrite(data, 1, size, f) == size);
    TF_FUZZ_CHECK(fclose(f) == 0);
}

void tf_fuzz_env_init(tf_fuzz_env *e)
{
    memset(e, 0, sizeof *e);
    tf_opts_defaults(&e->opts);
    e->env.opts = &e->opts;
    e->env.interner = tf_interner_new();
    e->env.scope = tf_intern_scope(e->env.interner, TF_STR("tracefill"), TF_STR("fuzz"), NULL, TF_STR(""), 0);
}

void tf_fuzz_env_free(tf_fuzz_env *e)
{
    tf_interner_free(e->env.interner);
    tf_opts_free(&e->opts);
}

typedef struct {
    size_t spans;
    uint64_t root_start;
} map_ctx;

static void check_json(const tf_buf *b)
{
    tf_json_parser *p = tf_json_parser_new();
    tf_arena a;
    tf_arena_init(&a, 16 * 1024);
    tf_err err;
    tf_json *v = tf_json_parse_one(p, &a, b->p ? b->p : "", b->len, &err);
    if (!v)
        fprintf(stderr, "fuzz: the OTLP/JSON encoding is not JSON: %s\n", err.msg);
    TF_FUZZ_CHECK(v != NULL);
    tf_arena_free(&a);
    tf_json_parser_free(p);
}

static void on_spans(void *ctx, const tf_record *rec, tf_span **spans, size_t n)
{
    map_ctx *m = ctx;
    if (!m->spans && n)
        m->root_start = spans[0]->start_ns;
    m->spans += n;
    for (int enc = 0; enc < 2; enc++) {
        tf_buf one = { 0 }, req = { 0 };
        tf_str *bodies = tf_xcalloc(n ? n : 1, sizeof *bodies);
        size_t *offs = tf_xcalloc(n ? n : 1, sizeof *offs);
        for (size_t i = 0; i < n; i++) {
            offs[i] = one.len;
            tf_encode_span((tf_encoding)enc, &one, spans[i]);
        }
        /* One group per span: spans of a record may differ in resource. */
        tf_encode_group *groups = tf_xcalloc(n ? n : 1, sizeof *groups);
        for (size_t i = 0; i < n; i++) {
            bodies[i] = (tf_str){ one.p + offs[i], (i + 1 < n ? offs[i + 1] : one.len) - offs[i] };
            groups[i] = (tf_encode_group){ spans[i]->resource, spans[i]->scope, &bodies[i], 1 };
            TF_FUZZ_CHECK(spans[i]->resource != NULL && spans[i]->scope != NULL);
        }
        tf_encode_request((tf_encoding)enc, &req, groups, n);
        if (enc == TF_ENC_JSON)
            check_json(&req);
        free(groups);
        free(offs);
        free(bodies);
        tf_buf_free(&one);
        tf_buf_free(&req);
    }
    (void)rec;
}

static void on_reject(void *ctx, const tf_record *rec, const char *why)
{
    TF_FUZZ_CHECK(why != NULL && why[0] != '\0');
    (void)ctx;
    (void)rec;
}

size_t tf_fuzz_map_text(const tf_map_env *env, const tf_profiles *ps, const char *text, size_t len,
                        uint64_t *root_start)
{
    map_ctx m = { 0, UINT64_MAX };
    tf_mapper_cb cb = { .spans = on_spans, .reject = on_reject, .ctx = &m };
    tf_mapper *mp = tf_mapper_new(env, ps);
    tf_mapper_begin_stream(mp, "fuzz");
    tf_frame f = { .p = text, .len = len, .offset = 0, .end = len, .line = 1, .index = 0 };
    tf_mapper_frame(mp, &f, &cb);
    tf_mapper_end_frame(mp);
    tf_mapper_free(mp);
    if (root_start)
        *root_start = m.root_start;
    return m.spans;
}
