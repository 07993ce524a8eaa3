/* reader.h: the reading stage of `run`: source → decompress → framer, as a
 * stream of messages (a stream begins, blocks of frames, a stream ends).
 * Threaded, it runs on its own thread with a bounded pool of messages, so
 * reading and decompressing overlap with parsing and mapping; inline, the
 * same code runs on the caller's thread. Either way the messages, and so the
 * output, are identical.
 * Given a detect callback (--profile auto), the reader also picks each
 * stream's profile: the first record the callback recognises decides, and
 * every block carries the choice made by the time the block was closed.
 * Given a frame hook, the reader shows it every frame of a stream in order
 * before the frame is handed on: the hook may mark a frame as no record (a
 * header line), tag it with one opaque pointer the consumers receive with
 * it, hold the block open while it is still judging the stream, or end the
 * stream with an error (reported like a corrupt gzip: the END's error).
 * Ownership: a message and everything it points to stay valid until
 * tf_reader_release. The callbacks (begin, detect, the frame hook, the
 * source's on_error) run on the reader's thread when it is threaded. */
#ifndef TF_READER_H
#define TF_READER_H

#include "input/frame.h"

#include <signal.h>

typedef struct tf_reader tf_reader;

typedef enum {
    TF_RD_BEGIN,  /* a stream starts: slot, name, skip */
    TF_RD_FRAMES, /* frames of the current stream, in order */
    TF_RD_END,    /* the stream ended: end offset, error (NULL when clean) */
    TF_RD_DONE,   /* no more streams (or stopped) */
} tf_rd_kind;

typedef struct {
    tf_frame f;      /* f.p points into the message's bytes (NULL for an oversize BAD frame) */
    bool bad;        /* TF_FRAME_BAD: why says why */
    const char *why;
    uint64_t raw;    /* about where the frame ends in the raw (compressed) bytes */
} tf_rd_frame;

typedef struct {
    tf_rd_kind kind;
    uint32_t slot;
    const char *name;  /* the stream's display name (all kinds but DONE) */
    /* BEGIN */
    bool skip;         /* the begin callback said not to read it */
    const char *container, *compression, *outer; /* static names from the source */
    const char *path, *member; /* the input file (or URL) and the archive member (NULL: none) */
    /* FRAMES */
    const tf_rd_frame *frames;
    size_t n_frames;
    const char *profile;     /* auto-detected profile ("openrouter", "otlp") or NULL */
    const char *profile_why; /* why, or why none matched */
    /* END */
    const char *framing; /* "lines", "array", "values" */
    uint64_t end;      /* decoded offset where the stream ended (or failed) */
    uint64_t raw_end;  /* and the raw bytes pulled by then */
    const char *error; /* "corrupt gzip data at ..." or NULL */
} tf_rd_msg;

/* Decides, for a stream about to be read as `slot`, whether to read it and
 * from which decoded offset (frames ending at or before it are skipped). */
typedef bool (*tf_reader_begin_fn)(void *ctx, uint32_t slot, const tf_stream_info *info, uint64_t *offset);
/* Names the profile for a record's text, or NULL (and *why) when it
 * recognises none. */
typedef const char *(*tf_reader_detect_fn)(void *ctx, const char *text, size_t len, const char **why);

/* The frame hook (see above). stream: a stream is about to be framed (after
 * begin said to read it). frame: the stream's next frame, in order; skipped
 * frames (before the begin offset, text mode only) are shown too, with
 * skipped set, and never handed on. It may set f->header and f->tag, and
 * returns TF_RD_FRAME_OK, TF_RD_FRAME_HOLD (keep this frame and the next ones
 * in one block: the hook may still end the stream, and then the frames it
 * held are dropped with it) or -1 with err (the stream ends with err; the
 * frame is not handed on). */
enum { TF_RD_FRAME_OK = 0, TF_RD_FRAME_HOLD = 1 };
typedef struct {
    void (*stream)(void *ctx, const tf_stream_info *info);
    int (*frame)(void *ctx, tf_frame *f, bool skipped, tf_err *err);
    void *ctx;
} tf_reader_frame_hook;

/* A block held open by the frame hook closes anyway at these limits (the
 * frames are then handed on, and the hook's verdict ends the stream later). */
#define TF_READER_HOLD_BYTES ((size_t)8 << 20)
#define TF_READER_HOLD_FRAMES 4096

typedef struct {
    const char *const *inputs;
    size_t n_inputs;
    tf_source_opts source;   /* globs and the on_error callback */
    size_t max_record_bytes; /* 0: the framer's default */
    bool threaded;           /* read on a thread of its own */
    tf_reader_begin_fn begin; /* required */
    void *begin_ctx;
    tf_reader_detect_fn detect; /* NULL: no detection (a fixed profile) */
    void *detect_ctx;
    bool text_lines; /* frame every stream as text lines (tf_framer_set_text) */
    tf_reader_frame_hook hook; /* optional (hook.frame NULL: none) */
    /* Set asynchronously (a signal handler) to stop reading: also ends a wait
     * on a silent pipe. May be NULL. */
    const volatile sig_atomic_t *stop_request;
} tf_reader_opts;

/* The options are copied (the strings they point to must outlive the reader). */
tf_reader *tf_reader_new(const tf_reader_opts *opts);
/* The next message, in order. Thread-safe: several consumers may call it. */
tf_rd_msg *tf_reader_next(tf_reader *r);
void tf_reader_release(tf_reader *r, tf_rd_msg *m);
/* Asks the reader to stop early; tf_reader_next then soon returns DONE. */
void tf_reader_stop(tf_reader *r);
/* For a progress line, from any thread: the raw bytes of input gone through
 * (tf_source_raw_read as of the last message) and the stream being read
 * ("" between streams). */
uint64_t tf_reader_raw_read(tf_reader *r);
void tf_reader_current(tf_reader *r, char *buf, size_t n);
/* Joins the thread; the source's statistics stay readable until free. */
const tf_source_stats *tf_reader_stats(tf_reader *r);
void tf_reader_free(tf_reader *r);

#endif
