/* encode.c: dispatch between the protobuf and JSON encoders. */
#include "config.h"
#include "otlp/encode.h"

void tf_encode_span(tf_encoding enc, tf_buf *out, const tf_span *s)
{
    if (enc == TF_ENC_JSON)
        tf_encode_json_span(out, s);
    else
        tf_encode_pb_span(out, s);
}

void tf_encode_request(tf_encoding enc, tf_buf *out, const tf_encode_group *groups, size_t n_groups)
{
    if (enc == TF_ENC_JSON)
        tf_encode_json_request(out, groups, n_groups);
    else
        tf_encode_pb_request(out, groups, n_groups);
}

size_t tf_encode_overhead_cached(tf_overhead_cache *c, tf_encoding enc, const tf_resource *r, const tf_scope *s)
{
    if (!c->bytes || c->r != r || c->s != s) {
        c->r = r;
        c->s = s;
        c->bytes = tf_encode_overhead(enc, r, s);
    }
    return c->bytes;
}

size_t tf_encode_overhead(tf_encoding enc, const tf_resource *r, const tf_scope *s)
{
    /* Encode the wrapper once with no spans; per-span framing is at most 6
     * bytes (protobuf tag + length varint, or a JSON comma) and is added by
     * the caller per span. */
    tf_buf b = { 0 };
    tf_encode_group g = { r, s, NULL, 0 };
    tf_encode_request(enc, &b, &g, 1);
    size_t n = b.len + 16;
    tf_buf_free(&b);
    return n;
}
