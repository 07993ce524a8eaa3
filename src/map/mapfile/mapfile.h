/* profile_map.h: profiles driven by a JSON mapping file (doc/mapping.md).
 * The mapping is compiled once into a small program (paths pre-split,
 * templates pre-parsed, conditions as trees); mapping a record walks it and
 * allocates only in the record's arena.
 * Ownership: the profile owns its program (in a private arena, so profiles
 * can be built on worker threads), its scratch buffers and resource cache.
 * Spans may point at the program's constants: encode them before
 * destroying the profile. Resources and scopes are interned (copied). */
#ifndef TF_PROFILE_MAP_H
#define TF_PROFILE_MAP_H

#include "map/profile.h"

/* Compiles a mapping given as text. name is what error messages call it
 * (the file name). NULL with *err (malloc'd) when the mapping is malformed:
 * "mapping.json: \"span.name\": expected a string or a template, got a number". */
tf_profile *tf_profile_mapping_new(const tf_map_env *env, const char *name, const char *text,
                                   size_t len, char **err);

#endif
