/* openrouter.h: the OpenRouter profile's parts (internal to src/map/).
 *
 * The profile turns one record into the spans OpenRouter Broadcast sends
 * live for that request (the rules: /work/shared/broadcast.md, summed up in
 * doc/spans.md and doc/ids.md). Three record shapes are accepted, judged per
 * record: the generation object (openrouter.c reads it), the chat-completion
 * response an application logged (openrouter_chat.c), and Broadcast's own
 * OTLP deliveries (handed unchanged to the OTLP replay profile). Both
 * readers fill one or_req; openrouter_spans.c builds the tree from it.
 *
 * Ownership: an or_req points into the parsed record and the record's arena
 * (out->arena); it lives as long as the record. The profile (or_profile) is
 * immutable once built and shared by every mapping thread; or_state is one
 * thread's scratch buffer. Nothing here prints; a record that cannot become
 * a span is rejected with a one-line reason, e.g.
 *   "no created_at (generation record) or created (chat-completion response) timestamp" */
#ifndef TF_MAP_OPENROUTER_H
#define TF_MAP_OPENROUTER_H

#include "map/profile.h"

/* trace.metadata.openrouter.<name> attributes live sends and a record may
 * carry under the same name (index into or_live_meta_names). */
enum {
    OR_META_SOURCE,
    OR_META_API_KEY_NAME,
    OR_META_ENTITY_ID,
    OR_META_CREATOR_USER_ID,
    OR_META_ROUTER_LATENCY_MS,
    OR_META_PROVIDER_REQUEST_MS,
    OR_META_PROVIDER_HEADERS_MS,
    OR_META_FIRST_TOKEN_MS,
    OR_META_PROVIDER_BODY_END_MS,
    OR_META_PROVIDER_TTFT_MS,
    OR_META_INTER_TOKEN_LATENCY_MS,
    OR_META_INPUT_UNIT_PRICE,
    OR_META_OUTPUT_UNIT_PRICE,
    OR_META_COUNT
};
extern const char *const or_live_meta_names[OR_META_COUNT];

/* What one request says, whatever shape the record had. NULL / zero-length
 * members are absent (JSON nulls count as absent). */
typedef struct {
    tf_str gen_id;
    uint64_t start_ns;
    bool has_latency, has_generation_time, has_moderation;
    uint64_t latency_ns, generation_ns, moderation_ns;
    tf_str operation;         /* gen_ai.operation.name */
    tf_str request_model, response_model;
    const tf_json *tok_in, *tok_out, *tok_total; /* tok_total: given (chat); else the sum */
    const tf_json *tok_cached, *tok_reasoning, *tok_cache_write;
    const tf_json *total_cost, *input_cost, *output_cost;
    const tf_json *finish_reason;  /* string */
    const tf_json *finish_reasons; /* chat: the choices array (each finish_reason); else NULL */
    const tf_json *native_finish;
    const tf_json *provider_name, *provider_slug;
    const tf_json *provider_responses; /* array */
    const tf_json *user, *session;
    const tf_json *trace; /* the request's trace object */
    const tf_json *traceparent; /* top-level traceparent (only under --join-trace-names) */
    const tf_json *live_meta[OR_META_COUNT];
    /* content: request messages (array) or a prompt string; the completion
     * text, reasoning and tool calls */
    const tf_json *messages, *prompt, *completion, *reasoning, *tool_calls;
    /* a failed request: the message for the root's status */
    bool failed;
    tf_str fail_msg;
    /* trace.metadata.openrouter_generation.<field>, in record order (a
     * failed request's cost fields are left out) */
    tf_attrs generation;
} or_req;

typedef struct {
    tf_profile base;
    const tf_scope *scope;   /* "openrouter", no version: interned once */
    tf_attrs resource_tmpl;  /* the resource's attributes, openrouter.trace.id blank */
    int trace_id_slot;       /* its index in resource_tmpl, -1 when --resource-attr replaced it */
    tf_arena arena;          /* resource_tmpl's memory */
    tf_profile *otlp;        /* replays Broadcast's OTLP deliveries */
} or_profile;

/* One thread's cache of attribute keys made of a prefix and a record's key
 * ("trace.metadata.openrouter_generation." + "streamed"): records repeat
 * their field names, so each is built once. Bounded (OR_KEYS_MAX keys of
 * at most OR_KEY_MAX_LEN bytes); others are built in the record's arena. */
#define OR_KEY_SLOTS 2048
#define OR_KEYS_MAX 1024
#define OR_KEY_MAX_LEN 128 /* longer record keys are not cached */
typedef struct {
    const char *prefix; /* identity: a constant or a key of this cache */
    char sep;
    tf_str key;
    tf_str full;
} or_key_slot;

struct tf_profile_state {
    tf_buf scratch; /* JSON strings being built (prompt, completion, ...) */
    tf_arena keys;  /* the cached keys */
    or_key_slot *slots;
    size_t n_keys;
};

/* ---- openrouter.c: record fields ------------------------------------------ */

/* Key comparison that accepts the snake_case name in snake_case or
 * lowerCamelCase ("is_byok" matches "is_byok" and "isByok"). */
bool or_key_is(tf_str key, const char *snake);
/* "nativeTokensPrompt" → "native_tokens_prompt" (in a; snake_case as is). */
tf_str or_snake_case(tf_arena *a, tf_str key);
/* Milliseconds (JSON number or numeric string, fractions exact) → ns. */
bool or_ms_to_ns(const tf_json *v, uint64_t *ns);
/* Adds v as trace.metadata.openrouter_generation.<key> (key: snake_case,
 * without the prefix; objects flattened with dots, arrays as JSON strings,
 * nulls left out). */
void or_add_generation_field(or_req *r, tf_arena *a, tf_profile_state *st, tf_str key, const tf_json *v);
/* prefix + sep + key (sep 0: none), from the thread's cache when it can be:
 * prefix must be a string constant or a key this function returned with
 * *cached set (its identity is its address); a cached result lives as long
 * as st, any other is built in a. */
tf_str or_prefixed(tf_profile_state *st, tf_arena *a, tf_str prefix, char sep, tf_str key, bool *cached);
/* Adds v under key: objects flattened into key.sub, arrays as JSON strings,
 * scalars with their JSON type, nulls left out. key_cached: key came from
 * or_prefixed with *cached set (so the flattened keys are cached too). */
void or_add_flat(tf_attrs *at, tf_arena *a, tf_profile_state *st, tf_str key, bool key_cached, const tf_json *v);
/* True for the fields that hold a cost (left out of a failed request). */
bool or_is_cost_field(tf_str snake_key);
/* v as compact JSON in a (object keys snake_cased when snake is set). */
tf_str or_json_string(tf_arena *a, tf_buf *scratch, const tf_json *v, bool snake);
/* The failure rules shared by both shapes (error member, cancelled,
 * finish reason "error"); sets r->failed and r->fail_msg. */
void or_judge_failure(or_req *r, tf_arena *a, const tf_json *error, const tf_json *status, const tf_json *cancelled);

/* ---- openrouter_chat.c ------------------------------------------------------ */

/* Reads a chat-completion response (g: the object, r->gen_id already set)
 * into r; 0, or -1 with why. */
int or_read_chat(const or_profile *p, tf_profile_state *st, const tf_json *g, or_req *r, tf_arena *a, tf_err *why);

/* The content of a choice (choices[0]): message.content, .reasoning,
 * .tool_calls, or text. */
void or_choice_content(or_req *r, const tf_json *choice);

/* ---- openrouter_spans.c ----------------------------------------------------- */

/* Builds the request's spans into out (the root first). */
void or_build(const or_profile *p, tf_profile_state *st, const or_req *r, tf_map_out *out);

#endif
