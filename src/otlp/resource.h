/* resource.h: interning of OTLP resources and scopes for the whole run, so
 * spans can point at them and batches group by pointer identity.
 * Ownership: the interner owns every resource/scope it returns until
 * tf_interner_free; callers pass attribute lists that are deep-copied. */
#ifndef TF_RESOURCE_H
#define TF_RESOURCE_H

#include "otlp/span.h"

typedef struct tf_interner tf_interner;

tf_interner *tf_interner_new(void);
void tf_interner_free(tf_interner *in);
/* Returns the interned resource equal to (attrs, schema_url) in content. */
const tf_resource *tf_intern_resource(tf_interner *in, const tf_attrs *attrs, tf_str schema_url,
                                      uint32_t dropped);
const tf_scope *tf_intern_scope(tf_interner *in, tf_str name, tf_str version, const tf_attrs *attrs,
                                tf_str schema_url, uint32_t dropped);
/* The arena for long-lived strings (options, profile constants). Not
 * locked: use it only before worker threads start. Interning is locked. */
tf_arena *tf_interner_arena(tf_interner *in);

#endif
