/* mapfile.h: profiles driven by a JSON mapping file (doc/mapping.md).
 * The mapping is read and compiled once into a small program (paths
 * pre-split, templates pre-parsed, conditions as trees); mapping a record
 * walks it and allocates only in the record's arena.
 * Ownership and threads: the profile owns its program (in a private arena)
 * and is immutable once created, so every thread may map through it at
 * once; each thread's scratch buffers, key slots, last derived id and
 * resource cache are its tf_profile_state (tf_profile_state_new). Spans may
 * point at the program's constants: encode them before freeing the
 * profile. Resources and scopes are interned (copied), up to a bound per
 * thread; past it, a record's resource lives in the record's arena (not
 * interned: whoever keeps the span longer copies it). Nothing here prints.
 * A mapping with a text "format" maps records that the format parsed from
 * a line (tf_profile_text_format); the mapping itself is the same. */
#ifndef TF_MAPFILE_H
#define TF_MAPFILE_H

#include "map/profile.h"
#include "map/text/text.h"

/* Compiles a mapping given as text. name is what error messages call it
 * (the file name). NULL with err when the mapping is malformed:
 * "mapping.json: \"span.name\": expected a string or a template, got a number"
 * "mapping.json:2:15: invalid JSON: parse error: ..." */
tf_profile *tf_profile_mapping_new(const tf_map_env *env, const char *name, const char *text,
                                   size_t len, tf_err *err);
/* Reads the mapping file at path (opened once) and compiles it; NULL with
 * err: "m.json: cannot open the mapping file: No such file or directory". */
tf_profile *tf_profile_mapfile_new(const tf_map_env *env, const char *path, tf_err *err);
/* The text format of a mapping file's profile ("format"), owned by the
 * profile; NULL for JSON mappings and for other profiles. */
const tf_text_format *tf_profile_text_format(const tf_profile *p);

#endif
