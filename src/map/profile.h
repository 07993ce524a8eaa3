/* profile.h: turning one parsed record into spans. A profile knows one kind
 * of log (OpenRouter generations, OTLP JSON, a user's mapping file); it is a
 * vtable (tf_profile_ops) behind a small registry of names.
 *
 * Lifetime and threads: a run opens its profiles once, before any worker
 * thread starts (tf_profiles_open for --profile; a mapping file is read and
 * compiled exactly once). From then on a profile is immutable and shared
 * read-only: any number of threads may map through it at the same time.
 * Whatever changes while mapping (scratch buffers, caches, the last derived
 * id) lives in a tf_profile_state: each thread makes its own with
 * tf_profile_state_new, uses it alone, and frees it before the profile.
 *
 * Ownership: spans, and everything they point to, are allocated in
 * out->arena and live until the caller resets it; they may also point at the
 * profile's constants or its thread state, so keep both until the spans are
 * encoded. Scopes, and resources shared by many records, come from the
 * run's interner (locked, shared); a resource of one record only (OpenRouter
 * puts the generation id on it) is built in out->arena with interned =
 * false, and whoever keeps it longer copies it (otlp/span.h).
 *
 * Errors (common/err.h; nothing here prints): opening fails with err, e.g.
 *   "mapping.json: \"span.name\": expected a string or a template (...), got a number"
 *   "/etc/m.json: cannot open the mapping file: No such file or directory"
 * A map function that rejects a record returns TF_MAP_REJECT and writes the
 * one-line reason into the caller's why (it leaves why alone on TF_MAP_OK):
 *   "no time: span.end: [0] \"msec\" is missing; [1] \"time_local\" is missing" */
#ifndef TF_PROFILE_H
#define TF_PROFILE_H

#include "common/err.h"
#include "common/json.h"
#include "tool/opts.h"
#include "otlp/resource.h"

typedef struct {
    const tf_json *json;
    const char *text; /* the record's bytes */
    size_t len;
    const char *stream; /* display name of the stream */
    uint64_t offset;    /* decoded byte offset of the record */
    uint64_t line;
} tf_record;

typedef struct {
    tf_span **spans;
    size_t n, cap;
    tf_arena *arena;
    bool independent; /* spans are unrelated (OTLP replay): filters judge each
                         span, not the record by its first span */
} tf_map_out;

enum {
    TF_MAP_OK = 0,     /* zero or more spans appended */
    TF_MAP_REJECT = 1, /* the record is unusable; why says why */
};

/* What every profile gets from the run; must outlive the profiles. */
typedef struct {
    const tf_opts *opts;
    tf_interner *interner;
    const tf_scope *scope; /* tracefill's own instrumentation scope */
} tf_map_env;

typedef struct tf_profile tf_profile;
/* One thread's mutable state for one profile; each profile defines it. */
typedef struct tf_profile_state tf_profile_state;

typedef struct {
    int (*map)(const tf_profile *p, tf_profile_state *st, const tf_record *rec, tf_map_out *out, tf_err *why);
    /* Optional: the root span's start time read from the raw record text
     * without parsing it, when that can be done with certainty (false:
     * unknown, parse it). Lets --since/--until skip records cheaply. */
    bool (*raw_start)(const tf_profile *p, const char *text, size_t len, uint64_t *start_ns);
    /* Optional (NULL: the profile needs no state, st is NULL). */
    tf_profile_state *(*state_new)(const tf_profile *p);
    void (*state_free)(tf_profile_state *st);
    void (*destroy)(tf_profile *p);
} tf_profile_ops;

/* Implementations embed this first in their own struct. */
struct tf_profile {
    const tf_profile_ops *ops;
    const char *name; /* "openrouter", "otlp", or the mapping's name or path */
    const tf_map_env *env;
};

/* --- one profile ---------------------------------------------------------- */

/* A built-in profile by name ("openrouter", "otlp"), else the mapping file
 * at path name (read and compiled now). NULL with err when it is unusable. */
tf_profile *tf_profile_open(const tf_map_env *env, const char *name, tf_err *err);
void tf_profile_free(tf_profile *p);
/* True when name is a built-in profile's. */
bool tf_profile_is_builtin(const char *name);

static inline const char *tf_profile_name(const tf_profile *p)
{
    return p->name;
}
/* NULL for profiles without state; free it with the same profile. */
static inline tf_profile_state *tf_profile_state_new(const tf_profile *p)
{
    return p->ops->state_new ? p->ops->state_new(p) : NULL;
}
static inline void tf_profile_state_free(const tf_profile *p, tf_profile_state *st)
{
    if (st && p->ops->state_free)
        p->ops->state_free(st);
}
/* TF_MAP_OK or TF_MAP_REJECT (with why); st from tf_profile_state_new(p). */
static inline int tf_profile_map(const tf_profile *p, tf_profile_state *st, const tf_record *rec, tf_map_out *out,
                                 tf_err *why)
{
    return p->ops->map(p, st, rec, out, why);
}
static inline bool tf_profile_raw_start(const tf_profile *p, const char *text, size_t len, uint64_t *start_ns)
{
    return p->ops->raw_start && p->ops->raw_start(p, text, len, start_ns);
}

/* The built-in profiles (the registry's entries; mapping files are the rest). */
tf_profile *tf_profile_openrouter_new(const tf_map_env *env);
tf_profile *tf_profile_otlp_new(const tf_map_env *env);

/* --- the profiles of one run ------------------------------------------------ */

/* What --profile names: NULL or "auto" opens every built-in profile, for the
 * reader's detection to choose from per stream; a built-in's name opens that
 * one; anything else is a mapping file. Open it once, before the worker
 * threads, and share it; free it after them. NULL with err when unusable. */
typedef struct tf_profiles tf_profiles;

tf_profiles *tf_profiles_open(const tf_map_env *env, const char *spec, tf_err *err);
void tf_profiles_free(tf_profiles *ps);
/* True for --profile auto. */
bool tf_profiles_auto(const tf_profiles *ps);
/* The profiles, 0 .. count-1 (one when --profile names one). */
size_t tf_profiles_count(const tf_profiles *ps);
const tf_profile *tf_profiles_at(const tf_profiles *ps, size_t i);
/* The index of the built-in profile named name (auto mode), or -1. */
int tf_profiles_find(const tf_profiles *ps, const char *name);

/* --- helpers for profiles ----------------------------------------------------- */

/* A new zeroed span in out (appended to out->spans). */
tf_span *tf_map_new_span(tf_map_out *out);
/* Resource attributes given with --resource-attr, appended to attrs, then
 * tracefill.backfill=true (a bool) under --mark-backfill. */
void tf_profile_add_resource_opts(const tf_map_env *env, tf_attrs *attrs, tf_arena *arena);
/* JSON value → OTLP AnyValue (objects become kvlists). */
void tf_value_from_json(tf_value *out, const tf_json *v, tf_arena *arena);
/* Adds v under key; objects are flattened into key.sub.sub; nulls omitted. */
void tf_attrs_add_json_flat(tf_attrs *a, tf_arena *arena, const char *key, size_t keylen,
                            const tf_json *v);

#endif
