/* resume.h: cutting an append-only file back to the size a checkpoint
 * recorded, so a resumed run continues exactly after what was acknowledged.
 *
 * The output (-o), the rejects file and the manifest are written only by
 * appending; the checkpoint records how long each was when it was saved. On
 * resume the file is cut back to that size (dropping what was written but
 * never acknowledged). A file shorter than the recorded size was replaced or
 * truncated behind tracefill's back: extending it would pad it with NUL
 * bytes, so that is an error, and so is a recorded size that ends in the
 * middle of a line of a JSON-lines file (a torn line). Example message:
 *
 *   cannot resume the output out.json: it is 13 bytes, the checkpoint
 *   recorded 196063: it was replaced or cut since; move it or the checkpoint away
 *   to start over
 *
 * Any thread; no state. */
#ifndef TF_COMMON_RESUME_H
#define TF_COMMON_RESUME_H

#include "common/err.h"

#include <stdint.h>

/* Opens path for writing (named `what` in messages: "the output"). size < 0
 * starts it anew (created or emptied); size >= 0 resumes it: the file must
 * exist (unless size is 0) and be at least size bytes, lines: it is JSON
 * lines, so the byte before size must be a newline; it is cut back to size
 * and the offset moved there (a path that is no regular file, /dev/null or
 * a pipe, is only opened). The descriptor (O_CLOEXEC), or -1 with err set
 * (the file is left as it was). */
int tf_resume_open(const char *what, const char *path, int64_t size, bool lines, tf_err *err);

#endif
