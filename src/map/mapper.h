/* mapper.h: the record stage: one frame of text → JSON values → a profile →
 * spans, with the filters and time shift applied. When the profile is a
 * mapping with a text "format", a frame is one line: the format parses it
 * into one record with the columns the reader's hook tagged it with, and a
 * frame marked as a header is no record at all. With --profile auto the
 * reader detects each stream's profile and the caller passes it on with
 * tf_mapper_use_detected; a record that profile rejects is judged on its
 * own and mapped by the built-in profile it looks like, if another. Results come back through callbacks, during the
 * call (a reject's why is valid only then); span memory is valid until
 * tf_mapper_end_frame.
 * Ownership and threads: the profiles are the run's, opened once and shared
 * by every mapper (they must outlive them); a mapper owns only its parser,
 * arena and one tf_profile_state per profile, so each thread has its own
 * mapper and uses it alone. Nothing here prints. */
#ifndef TF_MAPPER_H
#define TF_MAPPER_H

#include "input/frame.h"
#include "map/profile.h"

typedef struct tf_mapper tf_mapper;

typedef struct {
    /* A record became spans that passed the filters. */
    void (*spans)(void *ctx, const tf_record *rec, tf_span **spans, size_t n);
    /* A record (or a frame that is not JSON, or a line that does not fit the
       text format: "does not match nginx-combined from byte 12: ...") is unusable. */
    void (*reject)(void *ctx, const tf_record *rec, const char *why);
    /* A record mapped fine but the filters dropped it (may be NULL). */
    void (*filtered)(void *ctx, const tf_record *rec);
    void *ctx;
} tf_mapper_cb;

typedef struct {
    uint64_t records, filtered, rejected, spans;
    uint64_t where_seen; /* bit i: some record had --where key i (the first 64) */
} tf_mapper_stats;

/* A mapper over the run's profiles (from tf_profiles_open with env). */
tf_mapper *tf_mapper_new(const tf_map_env *env, const tf_profiles *profiles);
void tf_mapper_free(tf_mapper *m);

void tf_mapper_begin_stream(tf_mapper *m, const char *stream);
/* --profile auto: the profile the reader detected for the stream so far
 * (NULL: none yet, records are rejected with why). No-op otherwise. */
void tf_mapper_use_detected(tf_mapper *m, const char *profile, const char *why);
void tf_mapper_frame(tf_mapper *m, const tf_frame *f, const tf_mapper_cb *cb);
void tf_mapper_end_frame(tf_mapper *m);
/* The profile in use for the current stream (NULL before its first record)
 * and why it was chosen. */
const char *tf_mapper_profile(const tf_mapper *m, const char **why);
const tf_mapper_stats *tf_mapper_stats_get(const tf_mapper *m);

#endif
