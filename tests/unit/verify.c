/* unit-verify.c: what `tracefill verify` expects and what it reads back:
 * the expected-trace set (tool/verify_set.h: span IDs merged and deduped per
 * trace, first-seen order, the bottom-k sample checked against an
 * independent sort of the keys and against the input order), manifest lines
 * good and bad, and Tempo's trace answers in JSON (output/tempo_query.h). */
#include "config.h"
#include "tool/verify_set.h"
#include "output/tempo_query.h"
#include "tap.h"

#include <stdlib.h>
#include <unistd.h>

static uint64_t rng = 88172645463325252ull;

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void make_id(uint8_t *id, size_t n, uint64_t seed)
{
    uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
    for (size_t i = 0; i < n; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        id[i] = (uint8_t)(s >> 24);
    }
}

static void test_set_basics(void)
{
    tf_vset *s = tf_vset_new(0);
    uint8_t t[3][16], sp[8];
    for (int i = 0; i < 3; i++)
        make_id(t[i], 16, (uint64_t)i + 100);
    /* trace 1 gets spans 5,3,5 (a duplicate), trace 0 span 9, trace 2 spans 1 and 2 over two records */
    uint8_t ids[][8] = { { 5 }, { 3 }, { 5 }, { 9 }, { 1 }, { 2 } };
    tf_vset_add(s, t[1], ids[0], "a.jsonl", NULL, 10);
    tf_vset_add(s, t[1], ids[1], "a.jsonl", NULL, 10);
    tf_vset_add(s, t[0], ids[3], "b.tar", "m/x.jsonl", 20);
    tf_vset_add(s, t[1], ids[2], "a.jsonl", NULL, 30);
    tf_vset_add(s, t[2], ids[4], "a.jsonl", NULL, 40);
    tf_vset_add(s, t[2], ids[5], "c.jsonl", NULL, 50);
    tf_vset_seal(s);
    is_u64(tf_vset_count(s), 3, "three traces");
    tf_vtrace *a = tf_vset_at(s, 0), *b = tf_vset_at(s, 1), *c = tf_vset_at(s, 2);
    ok(!memcmp(a->id, t[1], 16) && !memcmp(b->id, t[0], 16) && !memcmp(c->id, t[2], 16), "in first-seen order");
    ok(a->n == 2 && a->spans[0] == 3 && a->spans[8] == 5, "a duplicate span ID counts once, IDs sorted");
    ok(a->has_offset && a->offset == 10 && !strcmp(a->source, "a.jsonl") && !a->member,
       "where a trace came from is its first record's");
    ok(!strcmp(b->source, "b.tar") && !strcmp(b->member, "m/x.jsonl"), "archive and member kept");
    ok(c->n == 2 && !strcmp(c->source, "a.jsonl"), "a trace over two records has both spans, from the first's file");
    is_u64(tf_vset_spans_seen(s), 6, "six spans offered");
    is_u64(tf_vset_spans_kept(s), 5, "five kept (one duplicate)");
    (void)sp;
    tf_vset_free(s);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* N traces of 1..3 spans, each span a record of its own, interleaved. */
static tf_vset *sampled(size_t n, size_t k, bool reverse)
{
    tf_vset *s = tf_vset_new(k);
    for (size_t j = 0; j < 3; j++)
        for (size_t r = 0; r < n; r++) {
            size_t i = reverse ? n - 1 - r : r;
            if (j >= 1 + i % 3)
                continue;
            uint8_t id[16], sp[8];
            make_id(id, 16, i);
            make_id(sp, 8, i * 7 + j + 1000000);
            tf_vset_add(s, id, sp, "in", NULL, i);
        }
    tf_vset_seal(s);
    return s;
}

static void test_sample(void)
{
    const size_t n = 20000, k = 250;
    uint64_t *keys = tf_xmalloc(n * sizeof *keys);
    for (size_t i = 0; i < n; i++) {
        uint8_t id[16];
        make_id(id, 16, i);
        keys[i] = tf_vset_key(id);
    }
    qsort(keys, n, sizeof *keys, cmp_u64);
    tf_vset *s = sampled(n, k, false), *r = sampled(n, k, true);
    is_u64(tf_vset_count(s), k, "--sample %zu of %zu traces keeps %zu", k, n, k);
    int wrong = 0, partial = 0;
    uint64_t *got = tf_xmalloc(k * sizeof *got), *got_r = tf_xmalloc(k * sizeof *got_r);
    for (size_t i = 0; i < tf_vset_count(s); i++) {
        tf_vtrace *t = tf_vset_at(s, i);
        got[i] = t->key;
        /* which trace is it: its spans say how many it must have */
        size_t idx = (size_t)t->offset;
        if (t->n != 1 + idx % 3)
            partial++;
    }
    for (size_t i = 0; i < tf_vset_count(r); i++)
        got_r[i] = tf_vset_at(r, i)->key;
    qsort(got, k, sizeof *got, cmp_u64);
    qsort(got_r, k, sizeof *got_r, cmp_u64);
    for (size_t i = 0; i < k; i++)
        if (got[i] != keys[i])
            wrong++;
    ok(wrong == 0, "the kept traces are the %zu with the smallest keys (by an independent sort)", k);
    ok(partial == 0, "each kept trace has all its spans, though they came in separate records");
    ok(!memcmp(got, got_r, k * sizeof *got), "the same sample when the records come in reverse order");
    free(keys);
    free(got);
    free(got_r);
    tf_vset_free(s);
    tf_vset_free(r);
    s = sampled(100, 1000, false);
    is_u64(tf_vset_count(s), 100, "a sample larger than the traces keeps them all");
    tf_vset_free(s);
}

static char bad_msgs[2048];
static int n_bad;

static void on_bad(void *ctx, const char *msg)
{
    (void)ctx;
    n_bad++;
    strncat(bad_msgs, msg, sizeof bad_msgs - strlen(bad_msgs) - 2);
    strcat(bad_msgs, "\n");
}

static void test_manifest(void)
{
    char path[] = "/tmp/tracefill-unit-manifest-XXXXXX";
    int fd = mkstemp(path);
    static const char text[] =
        "{\"trace_id\": \"0123456789abcdef0123456789abcdef\", \"root\": \"chat m\", \"start\": "
        "\"2025-01-01T00:00:01.374487000Z\", \"spans\": 2, \"span_ids\": [\"00000000000000aa\", \"00000000000000bb\"], "
        "\"source\": \"logs/a.jsonl.gz\", \"member\": null, \"offset\": 1234}\r\n"
        "\n"
        "   {\"trace_id\": \"ffffffffffffffffffffffffffffffff\", \"span_ids\": [\"0000000000000001\"]}  \n"
        "{\"trace_id\": \"0123\", \"span_ids\": [\"0000000000000001\"]}\n"
        "{\"trace_id\": \"0123456789abcdef0123456789abcdef\", \"span_ids\": []}\n"
        "{\"trace_id\": \"0123456789abcdef0123456789abcdef\", \"span_ids\": [\"xyz\"]}\n"
        "{\"trace_id\": \"0123456789abcdef0123456789abcdef\", \"spans\": 3, \"span_ids\": [\"0000000000000001\"]}\n"
        "[1, 2]\n"
        "{\"trace_id\": \"eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee\", \"span_ids\": [\"0000000000000002\"], \"source\": \"b\", "
        "\"member\": \"x/y.jsonl\", \"offset\": -1}\n"
        "{\"trace_id\": \"dddddddddddddddddddddddddddddddd\", \"span_ids\": [\"0000000000000003\"], \"member\": \"z\"}";
    ok(fd >= 0 && write(fd, text, sizeof text - 1) == (ssize_t)(sizeof text - 1), "manifest written");
    close(fd);
    tf_vset *s = tf_vset_new(0);
    tf_err err;
    int rc = tf_vset_read_manifest(s, path, on_bad, NULL, &err);
    tf_vset_seal(s);
    ok(rc == 0, "the manifest reads");
    is_u64(tf_vset_count(s), 3, "three good lines, three traces");
    is_int(n_bad, 6, "six bad lines reported");
    ok(strstr(bad_msgs, ": line 4: trace_id is not 32 hex digits") && strstr(bad_msgs, ": line 5: span_ids is not")
           && strstr(bad_msgs, ": line 6: span_ids[0] is not 16 hex digits")
           && strstr(bad_msgs, ": line 7: spans is not the number of span_ids (1)")
           && strstr(bad_msgs, ": line 8: not a JSON object") && strstr(bad_msgs, ": line 9: offset is not"),
       "each named by its line and what is wrong");
    if (n_bad != 6)
        diag("%s", bad_msgs);
    tf_vtrace *a = tf_vset_at(s, 0), *d = tf_vset_at(s, 2);
    ok(a->n == 2 && a->spans[7] == 0xaa && a->spans[15] == 0xbb, "span IDs decoded");
    ok(!strcmp(a->root, "chat m") && !strcmp(a->start, "2025-01-01T00:00:01.374487000Z") &&
           !strcmp(a->source, "logs/a.jsonl.gz") && !a->member && a->has_offset && a->offset == 1234,
       "root, start, source, member null, offset");
    ok(!strcmp(d->member, "z") && !d->source && !d->has_offset, "a line without source or offset (last line, no newline)");
    tf_vset_free(s);
    s = tf_vset_new(0);
    rc = tf_vset_read_manifest(s, "/nonexistent/manifest.jsonl", on_bad, NULL, &err);
    ok(rc == -1 && strstr(err.msg, "/nonexistent/manifest.jsonl"), "a missing manifest: error naming it (%s)", err.msg);
    tf_vset_free(s);
    unlink(path);
}

static void test_trace_json(void)
{
    uint8_t tid[16];
    tf_hex_decode(tid, "457679ba2b886e68935a0f0d97991d6f", 16);
    /* RXZ5uiuIbmiTWg8Nl5kdbw== is base64 of that trace ID; npJgKiFZlM4= of 9e92602a215994ce */
    static const char tempo[] =
        "{\"batches\":[{\"resource\":{},\"scopeSpans\":[{\"scope\":{\"name\":\"t\"},\"spans\":["
        "{\"traceId\":\"RXZ5uiuIbmiTWg8Nl5kdbw==\",\"spanId\":\"npJgKiFZlM4=\",\"name\":\"a\"},"
        "{\"traceId\":\"RXZ5uiuIbmiTWg8Nl5kdbw==\",\"spanId\":\"0000000000000001\"},"
        "{\"traceId\":\"AAAAAAAAAAAAAAAAAAAAAA==\",\"spanId\":\"AAAAAAAAAAI=\"}]}]},"
        "{\"instrumentationLibrarySpans\":[{\"spans\":[{\"spanId\":\"npJgKiFZlM4\"}]}]}]}";
    tf_buf ids = { 0 };
    tf_err err;
    long n = tf_tempo_trace_span_ids(tempo, sizeof tempo - 1, tid, &ids, &err);
    ok(n == 3 && ids.len == 24, "Tempo's JSON: 3 spans of the trace (one of another trace skipped) (%ld)", n);
    static const uint8_t want0[8] = { 0x9e, 0x92, 0x60, 0x2a, 0x21, 0x59, 0x94, 0xce };
    ok(n == 3 && !memcmp(ids.p, want0, 8) && ids.p[15] == 1 && !memcmp(ids.p + 16, want0, 8),
       "base64 (padded or not) and hex span IDs decode");
    ids.len = 0;
    static const char wrapped[] = "{\"trace\":{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"spanId\":\"npJgKiFZlM4=\"}]}]}]}}";
    ok(tf_tempo_trace_span_ids(wrapped, sizeof wrapped - 1, tid, &ids, &err) == 1, "newer Tempo's {\"trace\": ...} wrapper");
    ids.len = 0;
    ok(tf_tempo_trace_span_ids("{}", 2, tid, &ids, &err) == 0, "an empty object: no spans");
    static const char *const bad[] = { "not json", "[]", "{\"batches\":{}}", "{\"batches\":[{\"scopeSpans\":7}]}",
                                       "{\"batches\":[{\"scopeSpans\":[{\"spans\":[{\"spanId\":\"short\"}]}]}]}",
                                       "{\"batches\":[{\"scopeSpans\":[{\"spans\":[{}]}]}]}" };
    int wrong = 0;
    for (size_t i = 0; i < TF_ARRAY_LEN(bad); i++) {
        ids.len = 0;
        if (tf_tempo_trace_span_ids(bad[i], strlen(bad[i]), tid, &ids, &err) != -1 || ids.len || !err.msg[0])
            wrong++;
    }
    ok(wrong == 0, "malformed answers: -1 with a reason, nothing appended");
    tf_buf_free(&ids);
    (void)next;
}

int main(void)
{
    test_set_basics();
    test_sample();
    test_manifest();
    test_trace_json();
    return done_testing();
}
