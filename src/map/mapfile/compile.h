/* compile.h: compiling a mapping (JSON) into a program (program.h): the
 * compiler's state and the helpers compile.c gives compile_span.c. Internal
 * to src/map/mapfile/; runs once per profile, on the thread that opens it.
 * Errors: the first failure is written to *cc.err and later ones are
 * ignored (each helper returns false once one failed), e.g.
 *   "mapping.json: \"span.kind\": expected \"unspecified\", ... or \"consumer\", got \"srv\"" */
#ifndef TF_MAPFILE_COMPILE_H
#define TF_MAPFILE_COMPILE_H

#include "map/mapfile/program.h"

typedef struct {
    const mpath **v;
    size_t n, cap;
} pathvec;

typedef struct {
    const char *file;
    tf_arena *a;
    tf_err *err;
    bool failed;
    tf_buf where;
    pathvec root_used; /* paths read from the record */
    pathvec *used;     /* where relative paths go (root_used, or an event's) */
} cc;

/* compile.c */
bool mf_cfail(cc *c, const char *fmt, ...) TF_PRINTF(2, 3);
const char *mf_got(cc *c, const tf_json *v);
size_t mf_push_key(cc *c, const char *k, size_t len);
size_t mf_push_idx(cc *c, size_t i);
void mf_pop_key(cc *c, size_t old);
const char *mf_where_dup(cc *c);
bool mf_is_comment(tf_str k);
bool mf_known_keys(cc *c, const tf_json *obj, const char *const *names, size_t n);
bool mf_compile_path(cc *c, const char *s, size_t len, mpath *out, bool track);
bool mf_is_scalar(const tf_json *v);
bool mf_compile_cond(cc *c, const tf_json *v, mcond *out);
bool mf_compile_opt_if(cc *c, const tf_json *o, const mcond **when);
bool mf_compile_get(cc *c, const tf_json *v, enum slot sl, mget *g);
bool mf_opt_get(cc *c, const tf_json *obj, const char *key, enum slot sl, mget *g, bool *has);

/* compile_span.c */
bool mf_compile(cc *c, mp_profile *p, const tf_map_env *env, const tf_json *m);

#endif
