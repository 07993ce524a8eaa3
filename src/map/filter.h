/* filter.h: --since/--until/--where record filters and --time-shift.
 * A record's spans are kept or dropped together, judged by its first (root)
 * span on the original, unshifted times. Pure functions over spans. */
#ifndef TF_FILTER_H
#define TF_FILTER_H

#include "tool/opts.h"

#include <stdbool.h>

bool tf_filter_active(const tf_opts *o);
/* where_seen: bit i is set when the record has --where key i at all (so a
 * key no record has can be reported). */
bool tf_filter_keep(const tf_opts *o, const tf_span *root, uint64_t *where_seen);
/* Moves every span and event time by o->time_shift_ns, recording the
 * original start in tracefill.original_start_time_unix_nano. */
void tf_time_shift_spans(const tf_opts *o, tf_span **spans, size_t n, tf_arena *arena);
/* Does the attribute value render as text equal to want? ("42", "true", "x") */
bool tf_value_matches(const tf_value *v, const char *want);

#endif
