/* msg.h: everything the tool says on stderr: "tracefill: error: ...",
 * warnings and notes (its own, and the library's through the log hook), and
 * the progress line. Every message first clears a progress line that is on
 * screen, so the two never share a line. Whole lines are written under one
 * lock; any thread may call these.
 *
 * Messages quote what files and servers said (member names, backend error
 * text); a terminal must not act on control characters in them (an escape
 * sequence, a carriage return, a newline that forges a line), so every
 * message line has them shown as \xHH, and tf_msg_safe does the same for
 * names the commands print on stdout. */
#ifndef TF_MSG_H
#define TF_MSG_H

#include "common/log.h"

/* --quiet, default, -v, -vv. */
enum { TF_MSG_QUIET = 0, TF_MSG_NORMAL = 1, TF_MSG_VERBOSE = 2, TF_MSG_DEBUG = 3 };

/* Sets the level and installs the library's log handler. */
void tf_msg_set_level(int level);

void tf_errorf(const char *fmt, ...) TF_PRINTF(1, 2); /* always shown */

/* s (n bytes) with control characters (C0, DEL, C1) and bytes that are no
 * UTF-8 shown as \xHH, in out (cleared first); returns out's text. */
const char *tf_msg_safe(tf_buf *out, const char *s, size_t n);

/* The progress line: on a terminal it is redrawn in place with "\r" and
 * erased before any other message; `final` ends it with a newline. */
void tf_msg_progress(const char *line, bool final);

#endif
