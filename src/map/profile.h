/* profile.h: turning one parsed record into spans. A profile knows one kind
 * of log (OpenRouter generations, OTLP JSON, a user's mapping file).
 * Ownership: spans, and everything they point to, are allocated in
 * out->arena and live until the caller resets it; resources and scopes come
 * from the run's interner. Profiles are used by one thread at a time. */
#ifndef TF_PROFILE_H
#define TF_PROFILE_H

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
    TF_MAP_REJECT = 1, /* the record is unusable; *why says why */
};

/* What every profile gets from the run. */
typedef struct {
    const tf_opts *opts;
    tf_interner *interner;
    const tf_scope *scope; /* tracefill's own instrumentation scope */
} tf_map_env;

typedef struct tf_profile tf_profile;
struct tf_profile {
    const char *name;
    int (*map)(tf_profile *p, const tf_record *rec, tf_map_out *out, const char **why);
    /* Optional: the root span's start time read from the raw record text
     * without parsing it, when that can be done with certainty (false:
     * unknown, parse it). Lets --since/--until skip records cheaply. */
    bool (*raw_start)(tf_profile *p, const char *text, size_t len, uint64_t *start_ns);
    void (*destroy)(tf_profile *p);
    const tf_map_env *env;
};

/* A new zeroed span in out (appended to out->spans). */
tf_span *tf_map_new_span(tf_map_out *out);

tf_profile *tf_profile_openrouter_new(const tf_map_env *env);
tf_profile *tf_profile_otlp_new(const tf_map_env *env);
/* A mapping file; NULL with *err ("mapping.json: key \"span.name\": expected a string") */
tf_profile *tf_profile_mapfile_new(const tf_map_env *env, const char *path, char **err);

/* Creates the profile named by opts->profile (never "auto"). */
tf_profile *tf_profile_create(const tf_map_env *env, const char *name, char **err);
/* Picks a profile name for a record: "openrouter", "otlp", or NULL; *why
 * explains the choice ("has id and created_at like an OpenRouter generation"). */
const char *tf_profile_detect(const tf_json *rec, const char **why);

/* Resource attributes given with --resource-attr, appended to attrs. */
void tf_profile_add_resource_opts(const tf_map_env *env, tf_attrs *attrs, tf_arena *arena);

/* JSON value → OTLP AnyValue (objects become kvlists). */
void tf_value_from_json(tf_value *out, const tf_json *v, tf_arena *arena);
/* Adds v under key; objects are flattened into key.sub.sub; nulls omitted. */
void tf_attrs_add_json_flat(tf_attrs *a, tf_arena *arena, const char *key, size_t keylen,
                            const tf_json *v);

#endif
