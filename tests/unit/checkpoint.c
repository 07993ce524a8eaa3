/* unit-checkpoint.c: the acknowledgement low-watermark. Batches are closed in
 * order and acknowledged in any order; the checkpoint file must only ever
 * show positions (and rejects/output sizes) at the end of a batch whose
 * predecessors were all acknowledged. */
#include "config.h"
#include "run/checkpoint.h"
#include "common/json.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static tf_stream_info info_for(const char *path)
{
    tf_stream_info i = { 0 };
    i.name = i.path = path;
    i.size = 1000;
    i.container = i.compression = i.outer = "none";
    i.fp_len = 16;
    return i;
}

/* Reads the checkpoint file back: offset of stream `path`, done flag, rejects size. */
static int read_back(const char *file, const char *path, int64_t *offset, bool *done, int64_t *rejects)
{
    FILE *f = fopen(file, "rb");
    if (!f)
        return -1;
    char buf[65536];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    tf_json_parser *p = tf_json_parser_new();
    tf_arena a;
    tf_arena_init(&a, 4096);
    tf_json *root = tf_json_parse_one(p, &a, buf, n, NULL);
    int rc = -1;
    const tf_json *streams = root ? tf_json_get(root, "streams") : NULL;
    for (size_t i = 0; streams && i < streams->n; i++) {
        const tf_json *s = streams->items[i];
        const tf_json *name = tf_json_get(s, "name");
        if (name && tf_str_eqc(name->str, path)) {
            tf_json_as_int64(tf_json_get(s, "offset"), offset);
            tf_json_as_bool(tf_json_get(s, "done"), done);
            rc = 0;
        }
    }
    const tf_json *rj = root ? tf_json_get(root, "rejects") : NULL;
    if (!rj || !tf_json_as_int64(tf_json_get(rj, "size"), rejects))
        *rejects = -1;
    tf_arena_free(&a);
    tf_json_parser_free(p);
    return rc;
}

int main(void)
{
    char dir[] = "/tmp/tf-unit-ckpt.XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    char file[256];
    snprintf(file, sizeof file, "%s/ck.json", dir);
    tf_err err = { "" };
    tf_ckpt *c = tf_ckpt_open(file, 0, &err);
    ok(c != NULL, "a new checkpoint opens (and is written once) %s", err.msg);
    tf_ckpt_set_files(c, NULL, "/tmp/rejects.jsonl");
    tf_stream_info ia = info_for("/nonexistent/a.jsonl"), ib = info_for("/nonexistent/b.jsonl");
    uint64_t off;
    tf_err why = { "" };
    is_int(tf_ckpt_stream_begin(c, 0, &ia, &off, &why), TF_CKPT_START, "stream a starts from 0");
    is_int(tf_ckpt_stream_begin(c, 1, &ib, &off, &why), TF_CKPT_START, "stream b starts from 0");

    /* Five batches: a up to 100, 200, 300 (eof), then b up to 50 (eof) and an empty one. */
    tf_batch *b[5];
    for (int i = 0; i < 5; i++)
        b[i] = tf_batch_new(TF_ENC_PROTOBUF, (uint64_t)i);
    tf_batch_mark(b[0], 0, 100, false);
    b[0]->rejects_size = 10;
    tf_batch_mark(b[1], 0, 200, false);
    b[1]->rejects_size = 20;
    tf_batch_mark(b[2], 0, 300, true);
    tf_batch_mark(b[2], 1, 10, false);
    b[2]->rejects_size = 30;
    tf_batch_mark(b[3], 1, 50, true);
    b[3]->rejects_size = 40;
    b[4]->rejects_size = 40;
    for (int i = 0; i < 5; i++)
        tf_ckpt_batch_closed(c, b[i]);

    int64_t o = -1, rj = -1;
    bool done = false;
    /* Out of order: 2 and 1 acknowledged, 0 not yet: nothing may move. */
    tf_ckpt_batch_acked(c, 2, 0);
    tf_ckpt_batch_acked(c, 1, 0);
    tf_ckpt_maybe_write(c, true, NULL, NULL, NULL);
    read_back(file, ia.name, &o, &done, &rj);
    ok(o == 0 && !done && rj == 0, "acks of batches 1 and 2 do not move it while batch 0 is out (offset %lld)",
       (long long)o);
    /* 0 arrives: the watermark jumps to the end of batch 2. */
    tf_ckpt_batch_acked(c, 0, 0);
    tf_ckpt_maybe_write(c, true, NULL, NULL, NULL);
    read_back(file, ia.name, &o, &done, &rj);
    ok(o == 300 && done, "with 0, 1, 2 acknowledged stream a is done at 300 (offset %lld)", (long long)o);
    is_int(rj, 30, "the rejects size is the one recorded with batch 2");
    read_back(file, ib.name, &o, &done, &rj);
    ok(o == 10 && !done, "stream b is at the mark batch 2 carried (offset %lld)", (long long)o);
    /* 4 before 3: still 10; then 3: done. */
    tf_ckpt_batch_acked(c, 4, 0);
    tf_ckpt_maybe_write(c, true, NULL, NULL, NULL);
    read_back(file, ib.name, &o, &done, &rj);
    ok(o == 10 && !done, "batch 4 acknowledged before 3 changes nothing");
    tf_ckpt_batch_acked(c, 3, 0);
    tf_ckpt_maybe_write(c, true, NULL, NULL, NULL);
    read_back(file, ib.name, &o, &done, &rj);
    ok(o == 50 && done && rj == 40, "batch 3 completes stream b");
    tf_ckpt_free(c);
    for (int i = 0; i < 5; i++)
        tf_batch_free(b[i]);

    /* Resuming: done streams are skipped; a changed stream is reported. */
    c = tf_ckpt_open(file, 0, &err);
    ok(c != NULL, "the checkpoint opens again");
    is_int(tf_ckpt_stream_begin(c, 0, &ia, &off, &why), TF_CKPT_SKIP, "a finished stream is skipped");
    tf_stream_info grown = ia;
    grown.size = 2000;
    is_int(tf_ckpt_stream_begin(c, 1, &grown, &off, &why), TF_CKPT_CHANGED, "a stream whose size changed is reported");
    ok(strstr(why.msg, "size is 2000 bytes, the checkpoint saw 1000") != NULL, "with what changed: %s", why.msg);
    tf_stream_info replaced = ib;
    replaced.fingerprint[0] = 1;
    is_int(tf_ckpt_stream_begin(c, 2, &replaced, &off, &why), TF_CKPT_CHANGED, "a stream whose first bytes changed is reported");

    /* Opening writes the file once, before the run names its output and
     * rejects files: that write must keep the earlier run's sizes, or a
     * kill right then resumes the streams but starts the output over. */
    {
        char out_file[300];
        snprintf(out_file, sizeof out_file, "%s/ck2.json", dir);
        tf_ckpt *c2 = tf_ckpt_open(out_file, 0, &err);
        tf_ckpt_set_files(c2, "/tmp/out.jsonl", "/tmp/rej.jsonl");
        tf_batch *bb = tf_batch_new(TF_ENC_JSON, 0);
        tf_ckpt_batch_closed(c2, bb);
        tf_ckpt_batch_acked(c2, 0, 4242);
        tf_ckpt_maybe_write(c2, true, NULL, NULL, NULL);
        tf_ckpt_free(c2);
        tf_batch_free(bb);
        c2 = tf_ckpt_open(out_file, 0, &err); /* and killed before tf_ckpt_set_files */
        FILE *ff = fopen(out_file, "r");
        char body[4096] = "";
        size_t got = ff ? fread(body, 1, sizeof body - 1, ff) : 0;
        body[got] = '\0';
        if (ff)
            fclose(ff);
        ok(strstr(body, "\"output\": {\"path\": \"/tmp/out.jsonl\", \"size\": 4242}") != NULL,
           "the first write of a reopened checkpoint keeps the output size the earlier run reached");
        is_int(tf_ckpt_output_size(c2, "/tmp/out.jsonl"), 4242, "and the run resuming reads it");
        tf_ckpt_free(c2);
        unlink(out_file);
        snprintf(out_file, sizeof out_file, "%s/ck2.json.lock", dir);
        unlink(out_file);
    }

    /* A second holder of the same checkpoint is refused. */
    tf_ckpt *other = tf_ckpt_open(file, 0, &err);
    ok(other == NULL && strstr(err.msg, "in use by another tracefill run"), "a second open is refused: %s",
       err.msg);
    tf_ckpt_free(other);
    tf_ckpt_free(c);

    /* A fingerprint that is not 64 hex digits is dropped on loading, not
     * written back as it is (a quote in it made the next file unloadable). */
    {
        char qfile[300];
        snprintf(qfile, sizeof qfile, "%s/ckq.json", dir);
        FILE *qf = fopen(qfile, "w");
        fprintf(qf, "{\"version\": 1, \"streams\": [{\"key\": \"/x\", \"name\": \"/x\", \"path\": \"/x\", "
                    "\"size\": 5, \"fingerprint\": \"%s\", \"offset\": 1, \"done\": false}]}\n",
                "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\\\"");
        fclose(qf);
        tf_ckpt *cq = tf_ckpt_open(qfile, 0, &err);
        ok(cq != NULL, "a checkpoint with a bad fingerprint opens");
        tf_ckpt_free(cq);
        cq = tf_ckpt_open(qfile, 0, &err);
        ok(cq != NULL, "and the file it wrote back opens again: %s", cq ? "" : err.msg);
        tf_ckpt_free(cq);
        unlink(qfile);
        snprintf(qfile, sizeof qfile, "%s/ckq.json.lock", dir);
        unlink(qfile);
    }

    /* Garbage in the file is an error, not a silent restart. */
    FILE *f = fopen(file, "w");
    fputs("{\"version\": 1, \"streams\": [", f);
    fclose(f);
    tf_err_clear(&err);
    c = tf_ckpt_open(file, 0, &err);
    ok(c == NULL && strstr(err.msg, "not valid JSON"), "a torn checkpoint is refused: %s", err.msg);
    tf_ckpt_free(c);
    unlink(file);
    char lock[300];
    snprintf(lock, sizeof lock, "%s.lock", file);
    unlink(lock);
    rmdir(dir);
    return done_testing();
}
