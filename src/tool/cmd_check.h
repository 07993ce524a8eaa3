/* check.h: `tracefill check`, a one-span connectivity and credentials test.
 * Tool code: tf_check prints its report on stdout (setup errors through
 * tool/msg.h) and returns the exit status, 0 only when the backend accepted
 * the span. It sends through output/http.h and decodes the answer with
 * otlp/response.h, so it needs no libcurl. Main thread only.
 * tf_check_hint is pure: a static string or NULL. */
#ifndef TF_CHECK_H
#define TF_CHECK_H

#include "tool/opts.h"

#include <stdbool.h>

int tf_check(const tf_opts *o);
/* The plain-language hint for an HTTP answer (NULL when none applies). */
const char *tf_check_hint(const char *url, long status, bool html, const char *backend_message);

#endif
