/* msg.h: everything tracefill says on stderr goes through here.
 * Messages are one line, prefixed "tracefill: "; secrets must never be passed
 * in (callers redact first). Not thread-safe beyond whole-line atomicity. */
#ifndef TF_MSG_H
#define TF_MSG_H

#include "common/util.h"

enum { TF_MSG_QUIET = 0, TF_MSG_NORMAL = 1, TF_MSG_VERBOSE = 2, TF_MSG_DEBUG = 3 };

void tf_msg_set_level(int level);
int tf_msg_level(void);

void tf_errorf(const char *fmt, ...) TF_PRINTF(1, 2);  /* always shown */
void tf_warnf(const char *fmt, ...) TF_PRINTF(1, 2);   /* hidden by --quiet */
void tf_notef(const char *fmt, ...) TF_PRINTF(1, 2);   /* hidden by --quiet */
void tf_verbosef(const char *fmt, ...) TF_PRINTF(1, 2);/* --verbose only */

/* Where in the input a problem is: "name", "name: line L", "name: byte B". */
typedef struct {
    const char *stream;  /* "file" or "archive:member" */
    uint64_t offset;     /* byte offset in the decoded stream */
    uint64_t line;       /* 1-based line, 0 when unknown */
} tf_loc;

#endif
