/* manifest.h: `run --manifest FILE`: one JSON line per acknowledged record's
 * trace, so a later `verify`, an audit or a re-run can find exactly what was
 * delivered:
 *   {"trace_id":"7195c25a...","root":"LLM Generation","start":"2025-06-01T00:00:00.796425000Z",
 *    "spans":3,"span_ids":["7195c25a80685223",...],"source":"logs/a.tar.zst","member":"a.jsonl","offset":1234}
 * Lines are appended only once the batch holding the record's last span is
 * below the checkpoint's watermark (in order), and the file's size there is
 * what the checkpoint records, so a resumed run neither loses nor repeats a
 * line. A name ending in .gz or .zst is compressed: each append is a gzip
 * member or a zstd frame of its own, so the file can be cut between them.
 * Ownership: the manifest owns its descriptor. One thread (the pipeline's).
 * Example error: "the manifest out.manifest.jsonl is 120 bytes, the checkpoint
 * says 4096: it was replaced or cut; move it away (or the checkpoint) to start over". */
#ifndef TF_MANIFEST_H
#define TF_MANIFEST_H

#include "common/err.h"

#include <stdint.h>

typedef struct tf_manifest tf_manifest;

/* truncate_to >= 0 resumes the file at that size (which it must have at
 * least); -1 starts a new file. */
tf_manifest *tf_manifest_open(const char *path, int64_t truncate_to, tf_err *err);
int tf_manifest_append(tf_manifest *m, const char *p, size_t n, tf_err *err);
uint64_t tf_manifest_size(const tf_manifest *m);
int tf_manifest_sync(tf_manifest *m, tf_err *err);
void tf_manifest_free(tf_manifest *m);

#endif
