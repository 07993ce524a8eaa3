/* detect.h: --profile auto: which built-in profile a stream's records look
 * like, judged on the first record that one recognises. The mapper also
 * judges, with tf_profile_detect, a record that its stream's profile
 * rejected, so one stream may mix shapes (OpenRouter generations, chat
 * completions and Broadcast's OTLP deliveries in one file).
 *
 * tf_detector is self-contained (its own JSON parser and arena), so the
 * reader can be handed tf_detector_frame as its detection callback without
 * parsing records itself. Threads: a detector is used by one thread at a
 * time; make one per reader. It never prints; its answers are static text.
 *
 * Example answers:
 *   "otlp"        "the first record has resourceSpans, like an OTLP/JSON export request"
 *   "otlp"        "the first record has resourceSpans from OpenRouter Broadcast (service.name openrouter)"
 *   "openrouter"  "the first record has a gen-… id, like an OpenRouter generation"
 *   "openrouter"  "the first record has id, created and choices, like an OpenRouter chat-completion response"
 *   NULL          "the first record matches no built-in profile (use --profile with a mapping file)" */
#ifndef TF_DETECT_H
#define TF_DETECT_H

#include "common/json.h"

typedef struct tf_detector tf_detector;

tf_detector *tf_detector_new(void);
void tf_detector_free(tf_detector *d);

/* Judges the JSON values in one frame's text (a frame may hold several),
 * in order, until one is recognised: returns "openrouter" or "otlp", or
 * NULL when none is, and sets *why to the last judgement's reason (what
 * tf_profile_detect says). When the frame holds no JSON value at all
 * (not JSON), returns NULL and sets *why to NULL: nothing was judged, the
 * caller keeps what it knew. Text before a syntax error is still judged. */
const char *tf_detector_frame(tf_detector *d, const char *text, size_t len, const char **why);

/* The judgement on one parsed record: "openrouter", "otlp" or NULL, with
 * *why ("has id and created_at like an OpenRouter generation"). */
const char *tf_profile_detect(const tf_json *rec, const char **why);

#endif
