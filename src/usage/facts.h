/* facts.h: the usage facts of a record: what one request was (when, how
 * long, which model, provider, operation, user and session, tokens by type,
 * cost, error, trace id), read from the spans a profile built, so that the
 * usage metrics (usage/metrics.h) and the report (usage/report.h) count the
 * same thing from one extraction.
 *
 * Which spans are requests: the record's first span (its root) for every
 * profile but "otlp"; for "otlp" (a replay of OTLP data) each span without
 * a parent. Attributes (OpenTelemetry GenAI conventions, as Broadcast sends
 * them): model = gen_ai.response.model, else gen_ai.request.model; provider
 * = trace.metadata.openrouter.provider_name (the hosting provider), else
 * gen_ai.provider.name, else gen_ai.system; operation = gen_ai.operation.name;
 * user = user.id, else enduser.id; session = session.id; tokens =
 * gen_ai.usage.input_tokens, .output_tokens, .input_tokens.cached,
 * .output_tokens.reasoning; cost = gen_ai.usage.total_cost, else
 * gen_ai.usage.cost (USD); numbers may be ints, doubles or numeric strings,
 * negative ones count as 0 (counters never go down); error = status ERROR; service = the resource's
 * service.name; span = the span's name. The family is "openrouter" for the
 * openrouter profile and for spans whose service.name is "openrouter"
 * (Broadcast's own deliveries replayed), "tracefill" otherwise.
 * Strings are cut to TF_USAGE_STR_MAX bytes (at a UTF-8 boundary).
 *
 * Ownership: a tf_usage_facts owns the facts and their strings; they stay
 * valid until the next reset or free, and their strings are readable only
 * after tf_usage_facts_seal. One thread at a time (each mapping worker has
 * its own per result slot). Nothing here fails or prints. */
#ifndef TF_USAGE_FACTS_H
#define TF_USAGE_FACTS_H

#include "otlp/span.h"

#define TF_USAGE_STR_MAX 200

typedef enum { TF_USAGE_OPENROUTER = 0, TF_USAGE_TRACEFILL = 1, TF_USAGE_FAMILIES } tf_usage_family;

enum { TF_TOK_INPUT, TF_TOK_OUTPUT, TF_TOK_CACHED, TF_TOK_REASONING, TF_TOK_TYPES };

/* The names of the token types, as the "type" label says them. */
extern const char *const tf_usage_token_types[TF_TOK_TYPES];

typedef struct {
    uint64_t start_ns, duration_ns;
    tf_usage_family family;
    tf_str model, provider, operation, service, span, user, session; /* len 0: absent */
    uint64_t tokens[TF_TOK_TYPES];
    uint8_t tokens_seen;  /* bit i: the attribute of type i was there (perhaps 0) */
    bool has_cost, error;
    double cost;          /* USD */
    uint8_t trace_id[16];
} tf_usage_fact;

typedef struct {
    tf_usage_fact *v;
    size_t n, cap;
    tf_buf strs;
    bool sealed;
} tf_usage_facts;

/* Empties the list, keeping its memory. */
void tf_usage_facts_reset(tf_usage_facts *f);
/* Appends the facts of one record's spans (profile: the name of the profile
 * that mapped it, NULL when unknown); returns how many were added. */
size_t tf_usage_extract(tf_usage_facts *f, const char *profile, tf_span *const *spans, size_t n);
/* Makes every fact's strings point into the list's storage; call once the
 * record's facts are all added, before reading them. */
void tf_usage_facts_seal(tf_usage_facts *f);
void tf_usage_facts_free(tf_usage_facts *f);

#endif
