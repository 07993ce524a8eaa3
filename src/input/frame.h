/* frame.h: splits a decoded stream into records (JSON texts, or text lines).
 * Framing is detected from the content: JSON lines (one value per line, CRLF
 * and blank lines fine), a top-level array of records (streamed, never held
 * whole), or concatenated / pretty-printed values. A UTF-8 BOM is skipped.
 * In text mode (tf_framer_set_text: the run reads a text log format) there
 * is no detection: every line is a record, exactly as written.
 * Ownership: the framer keeps one record buffer of at most max_record_bytes;
 * a frame's bytes are valid until the next tf_framer_next call. */
#ifndef TF_FRAME_H
#define TF_FRAME_H

#include "input/source.h"

typedef struct tf_framer tf_framer;

typedef struct {
    const char *p;   /* record text (no trailing newline); NULL for TF_FRAME_BAD of an oversize record */
    size_t len;      /* bytes in p; for an oversize record its full length */
    uint64_t offset; /* decoded byte offset of the record's first byte */
    uint64_t end;    /* decoded byte offset just past the record and its line end:
                        resuming at `end` continues with the next record (in array and
                        values modes: just past the record's last byte, or the CR
                        stripped from a stray line) */
    uint64_t line;   /* 1-based line of the record's first byte; 0 (unknown) after a
                        resume that jumped over the start (tf_stream_skip_to) */
    uint64_t index;  /* 0-based record (or bad frame) number in this stream */
    /* Set by whoever looks at frames in order before they are mapped (the
     * reader's frame hook); the framer leaves them NULL and false. */
    const void *tag; /* opaque to input/: a text stream's column set */
    bool header;     /* no record: a header row or directive (its bytes are kept) */
} tf_frame;

enum {
    TF_FRAME_END = 0,    /* stream finished cleanly */
    TF_FRAME_RECORD = 1, /* *out holds one record */
    TF_FRAME_BAD = 2,    /* *out describes a region that cannot be a record; err says why */
    TF_FRAME_SKIPPED = 3, /* text mode only: a line before skip_to, framed but not for mapping */
    TF_FRAME_ERROR = -1, /* the stream failed (err says how); earlier frames stand */
};

/* max_record_bytes bounds one record (and the framer's memory); 0 selects
 * TF_FRAME_DEFAULT_MAX_RECORD_BYTES. */
#define TF_FRAME_DEFAULT_MAX_RECORD_BYTES ((size_t)1 << 20)
tf_framer *tf_framer_new(size_t max_record_bytes);
void tf_framer_free(tf_framer *f);
/* Starts framing a new stream. skip_to > 0 fast-forwards: frames whose end
 * is <= skip_to are framed as usual (so the framing state stays right) but
 * not returned; skip_to is normally a frame's `end` from an earlier run.
 * In lines mode, a stream that can jump (tf_stream_skip_to: an uncompressed
 * remote object) jumps to skip_to instead of being read up to it. */
void tf_framer_start(tf_framer *f, tf_stream *s, uint64_t skip_to);
/* Text mode for the streams started from now on (true) or detection again
 * (false). A text line is a record with its leading blanks (a TSV line's
 * empty first field) and without its LF and one trailing CR; only empty
 * lines are skipped; a BOM at the start is skipped. Lines before skip_to are
 * returned as TF_FRAME_SKIPPED (when not oversize), so that a caller that
 * must see every line (a CSV header row, W3C "#Fields:") still sees them;
 * for the same reason a text stream is read up to skip_to, never jumped. */
void tf_framer_set_text(tf_framer *f, bool text);
/* err (may be NULL) is filled for TF_FRAME_BAD and TF_FRAME_ERROR. */
int tf_framer_next(tf_framer *f, tf_frame *out, tf_err *err);
/* "lines", "array" or "values" once detected, "unknown" before; "text
 * lines" in text mode. In lines
 * mode a frame is one line without its LF, trailing CR and leading blanks;
 * lines of blanks are skipped. In values mode a stray byte that cannot start
 * a value makes a RECORD up to the end of its line, for the parser to reject.
 * A record longer than the limit is TF_FRAME_BAD with p NULL; a truncated
 * final record is returned as it is. An empty stream is "lines". */
const char *tf_framer_mode(const tf_framer *f);

#endif
