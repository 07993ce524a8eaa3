/* msg.h: everything the tool says on stderr: "tracefill: error: ...",
 * warnings and notes (its own, and the library's through the log hook), and
 * the progress line. Every message first clears a progress line that is on
 * screen, so the two never share a line. Whole lines are written under one
 * lock; any thread may call these. */
#ifndef TF_MSG_H
#define TF_MSG_H

#include "common/log.h"

/* --quiet, default, -v, -vv. */
enum { TF_MSG_QUIET = 0, TF_MSG_NORMAL = 1, TF_MSG_VERBOSE = 2, TF_MSG_DEBUG = 3 };

/* Sets the level and installs the library's log handler. */
void tf_msg_set_level(int level);

void tf_errorf(const char *fmt, ...) TF_PRINTF(1, 2); /* always shown */

/* The progress line: on a terminal it is redrawn in place with "\r" and
 * erased before any other message; `final` ends it with a newline. */
void tf_msg_progress(const char *line, bool final);

#endif
