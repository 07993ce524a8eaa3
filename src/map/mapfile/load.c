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
    if (p->cache)
        mf_cache_clear(p);
    free(p->cache);
    tf_buf_free(&p->tbuf);
    tf_buf_free(&p->jbuf);
    tf_buf_free(&p->rbuf);
    tf_buf_free(&p->dkey);
    tf_buf_free(&p->dlast);
    free(p->kcls);
    tf_arena_free(&p->arena);
    free(p);
}

tf_profile *tf_profile_mapping_new(const tf_map_env *env, const char *name, const char *text, size_t len,
                                   char **err)
{
    mp_profile *p = tf_xcalloc(1, sizeof *p);
    tf_arena_init(&p->arena, 16 * 1024);
    tf_arena *a = &p->arena;
    cc c = { .file = name, .a = a };
    c.used = &c.root_used;
    p->base.name = tf_arena_strndup(a, name, strlen(name));
    p->base.map = mf_mp_map;
    p->base.destroy = mp_destroy;
    p->base.env = env;
    p->file = p->base.name;
    p->now_ns = tf_now_wall_ns();
    p->attr_hint = 16;

    tf_json_parser *jp = tf_json_parser_new();
    char jerr[256];
    size_t blank = 0;
    while (blank < len && strchr(" \t\r\n", text[blank]))
        blank++;
    tf_json *m = blank < len ? tf_json_parse_one(jp, a, text, len, jerr, sizeof jerr) : NULL;
    tf_json_parser_free(jp);
    bool ok;
    if (blank == len) {
        c.err = tf_xasprintf("%s: the mapping file is empty (expected a JSON object)", name);
        ok = false;
    } else if (!m) {
        size_t at;
        const char *rest = strstr(jerr, ": ");
        if (sscanf(jerr, "invalid JSON at byte %zu", &at) == 1 && rest) {
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
            c.err = tf_xasprintf("%s:%zu:%zu: invalid JSON%s", name, line, col, rest);
        } else {
            c.err = tf_xasprintf("%s: %s", name, jerr);
        }
        ok = false;
    } else {
        ok = mf_compile(&c, p, env, m);
    }
    if (ok && !p->res_dynamic) {
        tf_attrs attrs = { 0 };
        ev e = { m, m, a, p, NULL };
        const char *why;
        mf_add_attrs(&p->res, &e, &attrs, env->opts->privacy, &why);
        tf_profile_add_resource_opts(env, &attrs, a);
        p->resource = tf_intern_resource(env->interner, &attrs, TF_STR(""), 0);
    }
    tf_buf_free(&c.where);
    if (!ok) {
        *err = c.err ? c.err : tf_xasprintf("%s: invalid mapping", name);
        mp_destroy(&p->base);
        return NULL;
    }
    return &p->base;
}

tf_profile *tf_profile_mapfile_new(const tf_map_env *env, const char *path, char **err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        *err = tf_xasprintf("%s: cannot open the mapping file: %s", path, strerror(errno));
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
        *err = rerr ? tf_xasprintf("%s: cannot read the mapping file: %s", path, strerror(rerr))
                    : tf_xasprintf("%s: the mapping file is larger than 16 MiB", path);
        tf_buf_free(&b);
        return NULL;
    }
    tf_profile *p = tf_profile_mapping_new(env, path, b.p ? b.p : "", b.len, err);
    tf_buf_free(&b);
    return p;
}
