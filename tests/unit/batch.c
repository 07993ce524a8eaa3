/* unit/batch.c: batches keep what they need of per-record resources (not
 * interned): the caller's copy may be overwritten right after the span is
 * added, the request still carries each record's own resource; equal
 * consecutive ones share a group, interned ones group by identity. */
#include "config.h"
#include "tap.h"
#include "otlp/batch.h"
#include "otlp/resource.h"

#include <string.h>

static void one_attr(tf_resource *r, tf_arena *a, const char *key, const char *val)
{
    memset(r, 0, sizeof *r);
    tf_attrs_cstr(&r->attrs, a, key, tf_arena_strndup(a, val, strlen(val)));
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

int main(void)
{
    tf_interner *in = tf_interner_new();
    tf_attrs svc = { 0 };
    tf_arena a;
    tf_arena_init(&a, 4096);
    tf_attrs_cstr(&svc, &a, "service.name", "svc");
    const tf_resource *shared = tf_intern_resource(in, &svc, TF_STR(""), 0);
    const tf_scope *scope = tf_intern_scope(in, TF_STR("s"), TF_STR("1"), NULL, TF_STR(""), 0);
    ok(shared->interned, "an interned resource says so");

    tf_batch *b = tf_batch_new(TF_ENC_JSON, 0);
    tf_span sp = { .name = TF_STR("x"), .start_ns = 1, .end_ns = 2, .scope = scope };
    memset(sp.trace_id, 1, 16);
    memset(sp.span_id, 2, 8);
    tf_buf enc = { 0 };
    tf_encode_span(TF_ENC_JSON, &enc, &sp);
    /* One scratch resource reused (and rewritten) for every record, as a
     * profile's record arena is. */
    tf_arena rec;
    tf_arena_init(&rec, 1024);
    tf_resource scratch;
    const char *ids[] = { "gen-a", "gen-a", "gen-b", "gen-c" };
    for (size_t i = 0; i < 4; i++) {
        one_attr(&scratch, &rec, "openrouter.trace.id", ids[i]);
        ok(!scratch.interned, "a record's resource is not interned");
        tf_batch_add_encoded(b, &scratch, scope, enc.p, enc.len);
        tf_arena_reset(&rec);
        memset(&scratch, 0x5a, sizeof scratch); /* gone: the batch must not look at it again */
    }
    tf_batch_add_encoded(b, shared, scope, enc.p, enc.len);
    tf_batch_add_encoded(b, shared, scope, enc.p, enc.len);
    is_int(b->n_groups, 4, "gen-a twice in a row shares a group; gen-b, gen-c and the interned one get theirs");
    tf_buf req = { 0 };
    tf_batch_request(b, 0, b->n_spans, &req);
    tf_buf_cstr(&req);
    is_int(count(req.p, "\"resource\":"), 4, "the request has four resources");
    is_int(count(req.p, "{\"stringValue\":\"gen-a\"}"), 1, "gen-a once, kept after its record was overwritten");
    is_int(count(req.p, "{\"stringValue\":\"gen-b\"}") + count(req.p, "{\"stringValue\":\"gen-c\"}"), 2,
           "gen-b and gen-c as they were");
    is_int(count(req.p, "{\"stringValue\":\"svc\"}"), 1, "the interned resource once, for both of its spans");
    is_int(count(req.p, "\"spanId\":"), 6, "all six spans");
    tf_buf_free(&req);
    tf_buf_free(&enc);
    tf_batch_free(b);
    tf_arena_free(&rec);
    tf_arena_free(&a);
    tf_interner_free(in);
    return done_testing();
}
