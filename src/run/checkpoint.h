/* checkpoint.h: acknowledged progress per input stream, and resuming from it.
 *
 * Batches are numbered in the order they are closed. The checkpoint only
 * moves to the end of batch S once every batch <= S was acknowledged (a
 * low-watermark: requests complete out of order); stream positions, the
 * rejects file size and the output file size are all taken at that same
 * point, so a resumed run neither loses nor duplicates records, rejects or
 * output lines; only batches acked beyond the watermark (at most the
 * in-flight window) are sent again.
 * The file is JSON, replaced atomically (temp file, fsync, rename, fsync of
 * the directory). A lock file beside it (flock) keeps two runs apart.
 * Ownership: tf_ckpt owns its state; it copies what it needs from batches and
 * stream infos. Not thread-safe: callers serialise every call (in `run`,
 * stream_begin runs on the reader's thread and the rest on the pipeline
 * thread, all under one mutex).
 * Example error: "checkpoint state/run.json is in use by another tracefill run
 * (pid 4242); wait for it to finish or stop it first". */
#ifndef TF_CHECKPOINT_H
#define TF_CHECKPOINT_H

#include "common/err.h"
#include "otlp/batch.h"
#include "input/source.h"

typedef struct tf_ckpt tf_ckpt;

/* path NULL: track in memory only (no file, no lock). Takes the lock, loads
 * an existing file, and proves the directory is writable by writing the file
 * once; NULL with *err on any problem (before anything is sent). */
tf_ckpt *tf_ckpt_open(const char *path, uint64_t interval_ns, tf_err *err);
void tf_ckpt_free(tf_ckpt *c);

/* What a previous run recorded for the output file and the rejects file:
 * their sizes at the watermark (-1 when not recorded). */
int64_t tf_ckpt_output_size(const tf_ckpt *c, const char *output_path);
int64_t tf_ckpt_rejects_size(const tf_ckpt *c, const char *rejects_path);
void tf_ckpt_set_files(tf_ckpt *c, const char *output_path, const char *rejects_path);
/* The manifest (run --manifest): its size as an earlier run left it (-1: not
 * recorded), and its size now, which the caller keeps at the watermark (it
 * appends a batch's lines when the batch passes it). */
int64_t tf_ckpt_manifest_size(const tf_ckpt *c, const char *manifest_path);
void tf_ckpt_set_manifest(tf_ckpt *c, const char *path, uint64_t size);

typedef enum {
    TF_CKPT_START,   /* new stream: read from the beginning */
    TF_CKPT_RESUME,  /* read from *offset (frames before it were acknowledged) */
    TF_CKPT_SKIP,    /* finished in an earlier run */
    TF_CKPT_CHANGED, /* the input differs from what the checkpoint saw; why says how */
} tf_ckpt_verdict;

/* Registers a stream about to be read as `slot` (0, 1, 2 ... in order). */
tf_ckpt_verdict tf_ckpt_stream_begin(tf_ckpt *c, uint32_t slot, const tf_stream_info *info,
                                     uint64_t *offset, tf_err *why);
/* Forget the old position and identity (--on-changed restart); read from 0. */
void tf_ckpt_stream_restart(tf_ckpt *c, uint32_t slot, const tf_stream_info *info);
/* The stream ended with an error after `offset`; remembered when it is done. */
void tf_ckpt_stream_error(tf_ckpt *c, uint32_t slot, const char *error);

/* Batch lifecycle: closed (in seq order) then acknowledged (any order). */
void tf_ckpt_batch_closed(tf_ckpt *c, const tf_batch *b);
void tf_ckpt_batch_acked(tf_ckpt *c, uint64_t seq, uint64_t output_size);

/* Writes the file when `force` or when the watermark moved and the interval
 * given to tf_ckpt_open passed since the last write. Syncing output/rejects
 * first is the caller's job (sync_fn, called only when a write happens).
 * -1 with err on a sync or write error. */
int tf_ckpt_maybe_write(tf_ckpt *c, bool force, int (*sync_fn)(void *, tf_err *), void *sync_ctx, tf_err *err);

/* `tracefill status`: the file read without the lock (NULL with err when it
 * is missing or unreadable), its streams, and for inputs registered with
 * tf_ckpt_stream_begin, whether an earlier run made progress on them. */
tf_ckpt *tf_ckpt_load(const char *path, tf_err *err);
typedef struct {
    const char *name;
    const char *path;    /* the input file (or URL) it is in */
    int64_t size;        /* raw size the checkpoint saw, -1 unknown */
    uint64_t offset;     /* acknowledged decoded offset */
    uint64_t raw;        /* about where that is in the raw bytes (same units as size) */
    uint64_t records;    /* records acknowledged, over every run */
    bool done;
    const char *error;   /* the stream ended with this error, or NULL */
    uint64_t updated_ns; /* wall clock of the last advance, 0 never */
} tf_ckpt_entry;
size_t tf_ckpt_count(const tf_ckpt *c);
void tf_ckpt_entry_get(const tf_ckpt *c, size_t i, tf_ckpt_entry *e);
/* Records of the slot's stream acknowledged by earlier runs (as loaded). */
uint64_t tf_ckpt_slot_records(const tf_ckpt *c, uint32_t slot);
bool tf_ckpt_slot_started(const tf_ckpt *c, uint32_t slot);

#endif
