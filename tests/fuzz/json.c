/* json.c: the JSON record parser (common/json.c) as the mapper drives it:
 * tf_json_parse over a frame holding one or more values.
 * Invariants:
 *   - every emitted value lies inside the text (start <= end <= len);
 *   - writing a value back (tf_json_write) gives JSON that parses to one
 *     value whose writing is the same text (a fixed point);
 *   - an integral number converts with tf_json_as_int64 to exactly its text
 *     (when it fits), and a numeric string converts like the number;
 *   - tf_json_getn finds each key of an object (its last occurrence);
 *   - tf_json_raw_top_string (the --since/--until shortcut) says true only
 *     when the parsed record agrees: the key's value, at the top level or
 *     in a top-level "data" object, is that very string. */
#include "tests/fuzz/fuzz.h"
#include "common/json.h"

#include <inttypes.h>
#include <string.h>

static tf_json_parser *parser;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    tf_fuzz_logs();
    parser = tf_json_parser_new();
    (void)argc;
    (void)argv;
    return 0;
}

typedef struct {
    tf_arena *a;
    size_t len;
    size_t n;
    tf_json *first;
} ctx;

/* Every node, walked without recursion (the harness must not be the one to
 * overflow the stack on deep input). */
static void check_nodes(const tf_json *root)
{
    const tf_json **stack = tf_xmalloc(64 * sizeof *stack);
    size_t n = 0, cap = 64;
    stack[n++] = root;
    while (n) {
        const tf_json *v = stack[--n];
        if (v->type == TF_JSON_NUMBER && tf_json_is_integral(v)) {
            int64_t x;
            if (tf_json_as_int64(v, &x)) {
                char buf[32];
                int k = snprintf(buf, sizeof buf, "%" PRId64, x);
                bool minus_zero = v->str.len == 2 && memcmp(v->str.p, "-0", 2) == 0;
                TF_FUZZ_CHECK(minus_zero || ((size_t)k == v->str.len && memcmp(buf, v->str.p, (size_t)k) == 0));
            }
        }
        if (v->type == TF_JSON_OBJECT) {
            for (size_t i = 0; i < v->n; i++) {
                const tf_json *got = tf_json_getn(v, v->keys[i].p, v->keys[i].len);
                TF_FUZZ_CHECK(got != NULL);
                /* A key given twice: the last one wins (doc/mapping.md, "Field paths"). */
                size_t last = v->n - 1;
                while (!tf_str_eq(v->keys[last], v->keys[i]))
                    last--;
                TF_FUZZ_CHECK(got == v->items[last]);
            }
        }
        if (v->type == TF_JSON_OBJECT || v->type == TF_JSON_ARRAY) {
            if (n + v->n > cap) {
                cap = (n + v->n) * 2;
                stack = tf_xrealloc(stack, cap * sizeof *stack);
            }
            for (size_t i = 0; i < v->n; i++)
                stack[n++] = v->items[i];
        }
    }
    free(stack);
}

static int emit(void *vctx, tf_json *v, size_t start, size_t end)
{
    ctx *c = vctx;
    TF_FUZZ_CHECK(start <= end && end <= c->len);
    if (!c->n)
        c->first = v;
    c->n++;
    check_nodes(v);

    tf_buf w1 = { 0 }, w2 = { 0 };
    tf_json_write(&w1, v);
    tf_err err;
    tf_json_parser *p2 = tf_json_parser_new();
    tf_json *again = tf_json_parse_one(p2, c->a, w1.p, w1.len, &err);
    if (!again)
        fprintf(stderr, "written back: %.*s\nerror: %s\n", (int)TF_MIN(w1.len, 2000), w1.p, err.msg);
    TF_FUZZ_CHECK(again != NULL);
    tf_json_write(&w2, again);
    TF_FUZZ_CHECK(w1.len == w2.len && memcmp(w1.p, w2.p, w1.len) == 0);
    tf_json_parser_free(p2);
    tf_buf_free(&w1);
    tf_buf_free(&w2);
    return 0;
}

static void check_raw(const uint8_t *data, size_t size, const tf_json *obj)
{
    static const char *const keys[] = { "created_at", "t" };
    tf_str val;
    if (!tf_json_raw_top_string((const char *)data, size, keys, 2, &val))
        return;
    TF_FUZZ_CHECK(val.p >= (const char *)data && val.p + val.len <= (const char *)data + size);
    if (!obj || obj->type != TF_JSON_OBJECT)
        return; /* not one object: the shortcut's answer is not checked */
    const tf_json *found = NULL;
    for (size_t k = 0; k < 2 && !found; k++) {
        found = tf_json_get(obj, keys[k]);
        if (!found) {
            const tf_json *d = tf_json_get(obj, "data");
            found = d && d->type == TF_JSON_OBJECT ? tf_json_get(d, keys[k]) : NULL;
        }
    }
    if (!found)
        fprintf(stderr, "raw_top_string found \"%.*s\" but the parsed record has no such key\n", (int)val.len,
                val.p);
    TF_FUZZ_CHECK(found != NULL);
    TF_FUZZ_CHECK(found->type == TF_JSON_STRING);
    TF_FUZZ_CHECK(found->str.len == val.len && memcmp(found->str.p, val.p, val.len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tf_arena a;
    tf_arena_init(&a, 64 * 1024);
    ctx c = { .a = &a, .len = size };
    tf_err err;
    tf_err_clear(&err);
    int rc = tf_json_parse(parser, &a, (const char *)data, size, emit, &c, &err);
    if (rc != 0)
        TF_FUZZ_CHECK(err.msg[0] != '\0');
    check_raw(data, size, rc == 0 && c.n == 1 ? c.first : NULL);
    tf_arena_free(&a);
    return 0;
}
