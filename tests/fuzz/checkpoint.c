/* checkpoint.c: the checkpoint loader (run/checkpoint.c) on arbitrary file
 * contents, both ways the tool reads one: tf_ckpt_load (`tracefill status`)
 * and tf_ckpt_open (`run --checkpoint`: lock, load, write it back at once).
 * The input is the checkpoint file's text.
 * Invariants: a file that loads gives entries with names; a stream it
 * lists is recognised again by key (resume, skip or changed, never a new
 * start when size and fingerprint match); and what tf_ckpt_open writes back
 * loads again, with the same streams in the same order. */
#include "tests/fuzz/fuzz.h"
#include "common/json.h"
#include "run/checkpoint.h"

#include <string.h>
#include <unistd.h>

static char *path, *path2;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    tf_fuzz_logs();
    path = tf_fuzz_tmpfile("status.json");
    path2 = tf_fuzz_tmpfile("run.json");
    (void)argc;
    (void)argv;
    return 0;
}

/* The first stream's key, size and fingerprint as the file gives them, to
 * present the same stream again. */
static bool first_stream(const uint8_t *data, size_t size, tf_arena *a, tf_stream_info *info)
{
    tf_json_parser *p = tf_json_parser_new();
    tf_json *root = tf_json_parse_one(p, a, (const char *)data, size, NULL);
    tf_json_parser_free(p);
    const tf_json *streams = root ? tf_json_get(root, "streams") : NULL;
    if (!streams || streams->type != TF_JSON_ARRAY || !streams->n)
        return false;
    const tf_json *key = tf_json_get(streams->items[0], "key");
    if (!key || key->type != TF_JSON_STRING || memchr(key->str.p, '\0', key->str.len) || key->str.p[0] != '/')
        return false;
    int64_t sz = -1, fplen = 0;
    (void)tf_json_as_int64(tf_json_get(streams->items[0], "size"), &sz);
    (void)tf_json_as_int64(tf_json_get(streams->items[0], "fingerprint_bytes"), &fplen);
    const tf_json *fp = tf_json_get(streams->items[0], "fingerprint");
    memset(info, 0, sizeof *info);
    info->name = "fuzz";
    info->path = key->str.p; /* realpath() of a path that does not exist keeps it as it is */
    info->size = sz;
    info->container = info->compression = info->outer = "none";
    info->fp_len = (size_t)fplen;
    if (fp && fp->type == TF_JSON_STRING && fp->str.len == 64)
        (void)tf_hex_decode(info->fingerprint, fp->str.p, 32);
    return access(key->str.p, F_OK) != 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tf_fuzz_write_file(path, data, size);
    tf_err err;
    tf_err_clear(&err);
    tf_ckpt *c = tf_ckpt_load(path, &err);
    if (!c) {
        TF_FUZZ_CHECK(err.msg[0] != '\0');
        return 0;
    }
    size_t n = tf_ckpt_count(c);
    for (size_t i = 0; i < n; i++) {
        tf_ckpt_entry e;
        tf_ckpt_entry_get(c, i, &e);
        TF_FUZZ_CHECK(e.name != NULL);
    }
    (void)tf_ckpt_output_size(c, "/out/spans.jsonl");
    (void)tf_ckpt_rejects_size(c, "/out/spans.jsonl.rejects");
    tf_arena a;
    tf_arena_init(&a, 16 * 1024);
    tf_stream_info info;
    if (first_stream(data, size, &a, &info)) {
        uint64_t off = 0;
        tf_err why;
        tf_err_clear(&why);
        tf_ckpt_verdict v = tf_ckpt_stream_begin(c, 0, &info, &off, &why);
        TF_FUZZ_CHECK(v != TF_CKPT_CHANGED || why.msg[0] != '\0');
        (void)tf_ckpt_slot_started(c, 0);
        (void)tf_ckpt_slot_started(c, 3);
    }
    tf_arena_free(&a);
    tf_ckpt_free(c);

    /* Opened for a run: locked, loaded and written back at once. */
    tf_fuzz_write_file(path2, data, size);
    tf_err_clear(&err);
    c = tf_ckpt_open(path2, 0, &err);
    TF_FUZZ_CHECK(c != NULL || err.msg[0] != '\0');
    if (!c)
        return 0;
    TF_FUZZ_CHECK(tf_ckpt_count(c) == n);
    tf_ckpt_free(c);
    tf_ckpt *again = tf_ckpt_load(path2, &err);
    if (!again)
        fprintf(stderr, "the checkpoint written back does not load: %s\n", err.msg);
    TF_FUZZ_CHECK(again != NULL);
    TF_FUZZ_CHECK(tf_ckpt_count(again) == n);
    tf_ckpt_free(again);
    return 0;
}
