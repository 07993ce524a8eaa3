/* check.h: `tracefill check`, a one-span connectivity and credentials test. */
#ifndef TF_CHECK_H
#define TF_CHECK_H

#include "tool/opts.h"

#include <stdbool.h>

int tf_check(const tf_opts *o);
/* The plain-language hint for an HTTP answer (NULL when none applies). */
const char *tf_check_hint(const char *url, long status, bool html, const char *backend_message);

#endif
