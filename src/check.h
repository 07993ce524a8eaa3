/* check.h: `tracefill check`, a one-span connectivity and credentials test. */
#ifndef TF_CHECK_H
#define TF_CHECK_H

#include "opts.h"

int tf_check(const tf_opts *o);

#endif
