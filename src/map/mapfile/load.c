/* load.c: reading a mapping file and creating its profile. */
#include "config.h"
#include "map/mapfile/compile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void mp_destroy(tf_profile *pp)
{
    mp_profile *p = (mp_profile *)pp;
    if (!p)
        return;
    tf_text_format_free(p->text);
    tf_arena_free(&p->arena);
    free(p);
}

static const tf_profile_ops mp_ops = {
    .map = mf_mp_map,
    .state_new = mf_state_new,
    .state_free = mf_state_free,
    .destroy = mp_destroy,
};

/* A constant "resource" is built once, here, and shared by every span. */
static void intern_constant_resource(mp_profile *p, const tf_map_env *env, const tf_json *m)
{
    tf_attrs attrs = { 0 };
    tf_profile_state *st = mf_state_new(&p->base);
    ev e = { m, m, &p->arena, p, (mf_state *)st, NULL };
    mf_add_attrs(&p->res, &e, &attrs, env->opts->privacy, NULL);
    tf_profile_add_resource_opts(env, &attrs, &p->arena);
    p->resource = tf_intern_resource(env->interner, &attrs, TF_STR(""), 0);
    mf_state_free(st);
}

tf_profile *tf_profile_mapping_new(const tf_map_env *env, const char *name, const char *text, size_t len,
                                   tf_err *err)
{
    mp_profile *p = tf_xcalloc(1, sizeof *p);
    tf_arena_init(&p->arena, 16 * 1024);
    tf_arena *a = &p->arena;
    tf_err why; /* the first failure, copied to err at the end */
    tf_err_clear(&why);
    cc c = { .file = name, .a = a, .err = &why };
    c.used = &c.root_used;
    p->base.ops = &mp_ops;
    p->base.name = tf_arena_strndup(a, name, strlen(name));
    p->base.env = env;
    p->file = p->base.name;
    p->now_ns = tf_now_wall_ns();

    tf_json_parser *jp = tf_json_parser_new();
    tf_err jerr;
    size_t blank = 0;
    while (blank < len && strchr(" \t\r\n", text[blank]))
        blank++;
    tf_json *m = blank < len ? tf_json_parse_one(jp, a, text, len, &jerr) : NULL;
    tf_json_parser_free(jp);
    bool ok;
    if (blank == len) {
        tf_err_set(&why, "%s: the mapping file is empty (expected a JSON object)", name);
        ok = false;
    } else if (!m) {
        size_t at;
        const char *rest = strstr(jerr.msg, ": ");
        if (sscanf(jerr.msg, "invalid JSON at byte %zu", &at) == 1 && rest) {
            size_t line = 1, col = 1;
            if (at > 0) /* yajl counts the offending byte as consumed */
                at--;
            for (size_t i = 0; i < at && i < len; i++) {
                if (text[i] == '\n') {
                    line++;
                    col = 1;
                } else {
                    col++;
                }
            }
            tf_err_set(&why, "%s:%zu:%zu: invalid JSON%s", name, line, col, rest);
        } else {
            tf_err_set(&why, "%s: %s", name, jerr.msg);
        }
        ok = false;
    } else {
        ok = mf_compile(&c, p, env, m);
    }
    if (ok && !p->res_dynamic)
        intern_constant_resource(p, env, m);
    tf_buf_free(&c.where);
    if (!ok) {
        if (!why.msg[0])
            tf_err_set(&why, "%s: invalid mapping", name);
        if (err)
            *err = why;
        mp_destroy(&p->base);
        return NULL;
    }
    return &p->base;
}

const tf_text_format *tf_profile_text_format(const tf_profile *p)
{
    return p && p->ops == &mp_ops ? ((const mp_profile *)p)->text : NULL;
}

tf_profile *tf_profile_mapfile_new(const tf_map_env *env, const char *path, tf_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        tf_err_set(err, "%s: cannot open the mapping file: %s", path, strerror(errno));
        return NULL;
    }
    tf_buf b = { 0 };
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        tf_buf_append(&b, chunk, n);
        if (b.len > 16 * 1024 * 1024)
            break;
    }
    int rerr = ferror(f) ? errno : 0;
    fclose(f);
    if (rerr || b.len > 16 * 1024 * 1024) {
        if (rerr)
            tf_err_set(err, "%s: cannot read the mapping file: %s", path, strerror(rerr));
        else
            tf_err_set(err, "%s: the mapping file is larger than 16 MiB", path);
        tf_buf_free(&b);
        return NULL;
    }
    tf_profile *p = tf_profile_mapping_new(env, path, b.p ? b.p : "", b.len, err);
    tf_buf_free(&b);
    return p;
}
