/* batch.c: incremental span batches and request assembly. */
#include "config.h"
#include "otlp/batch.h"

#include <stdlib.h>
#include <string.h>

tf_batch *tf_batch_new(tf_encoding enc, uint64_t seq)
{
    tf_batch *b = tf_xcalloc(1, sizeof *b);
    b->enc = enc;
    b->seq = seq;
    return b;
}

void tf_batch_free(tf_batch *b)
{
    if (!b)
        return;
    tf_buf_free(&b->span_bytes);
    if (b->arena) {
        tf_arena_free(b->arena);
        free(b->arena);
    }
    free(b->spans);
    free(b->counts);
    tf_buf_free(&b->sidecar);
    free(b->groups);
    free(b->marks);
    free(b);
}

static uint32_t group_of(tf_batch *b, const tf_resource *r, const tf_scope *s)
{
    if (r && !r->interned) {
        /* One record's resource: the caller's copy may be gone by the next
         * record, so keep a copy; consecutive equal ones share a group. */
        size_t last = b->n_groups - 1;
        if (b->n_groups && b->groups[last].scope == s && b->groups[last].resource &&
            !b->groups[last].resource->interned &&
            tf_resource_eq(b->groups[last].resource, r))
            return (uint32_t)last;
        if (!b->arena) {
            b->arena = tf_xmalloc(sizeof *b->arena);
            tf_arena_init(b->arena, 16 * 1024);
        }
        r = tf_resource_copy(r, b->arena);
    } else {
        /* Almost always one group; search from the newest. */
        for (size_t i = b->n_groups; i-- > 0;)
            if (b->groups[i].resource == r && b->groups[i].scope == s)
                return (uint32_t)i;
    }
    if (b->n_groups == b->cap_groups) {
        b->cap_groups = b->cap_groups ? b->cap_groups * 2 : 4;
        b->groups = tf_xrealloc(b->groups, b->cap_groups * sizeof *b->groups);
    }
    b->groups[b->n_groups].resource = r;
    b->groups[b->n_groups].scope = s;
    b->est_bytes += tf_encode_overhead(b->enc, r, s);
    return (uint32_t)b->n_groups++;
}

size_t tf_batch_span_cost(tf_encoding enc, size_t encoded_len)
{
    /* protobuf: tag + length varint (<= 6 bytes); JSON: a comma. */
    return encoded_len + (enc == TF_ENC_JSON ? 1 : 6);
}

void tf_batch_add_encoded(tf_batch *b, const tf_resource *r, const tf_scope *s, const char *p,
                          size_t len)
{
    uint32_t g = group_of(b, r, s);
    size_t off = b->span_bytes.len;
    tf_buf_append(&b->span_bytes, p, len);
    if (b->n_spans == b->cap_spans) {
        b->cap_spans = b->cap_spans ? b->cap_spans * 2 : 256;
        b->spans = tf_xrealloc(b->spans, b->cap_spans * sizeof *b->spans);
    }
    b->spans[b->n_spans++] = (tf_batch_span){ off, len, g };
    b->est_bytes += tf_batch_span_cost(b->enc, len);
}

void tf_batch_count(tf_batch *b, uint32_t stream, size_t n)
{
    if (b->n_counts && b->counts[b->n_counts - 1].stream == stream) {
        b->counts[b->n_counts - 1].n += (uint32_t)n;
        return;
    }
    if (b->n_counts == b->cap_counts) {
        b->cap_counts = b->cap_counts ? b->cap_counts * 2 : 4;
        b->counts = tf_xrealloc(b->counts, b->cap_counts * sizeof *b->counts);
    }
    b->counts[b->n_counts].stream = stream;
    b->counts[b->n_counts].n = (uint32_t)n;
    b->n_counts++;
}

void tf_batch_mark_at(tf_batch *b, uint32_t stream, uint64_t end, uint64_t raw, uint64_t records, bool eof)
{
    if (b->n_marks && b->marks[b->n_marks - 1].stream == stream) {
        tf_mark *m = &b->marks[b->n_marks - 1];
        if (end > m->end)
            m->end = end;
        if (raw > m->raw)
            m->raw = raw;
        m->records += records;
        m->eof = m->eof || eof;
        return;
    }
    if (b->n_marks == b->cap_marks) {
        b->cap_marks = b->cap_marks ? b->cap_marks * 2 : 4;
        b->marks = tf_xrealloc(b->marks, b->cap_marks * sizeof *b->marks);
    }
    b->marks[b->n_marks++] = (tf_mark){ stream, end, eof, raw, records };
}

void tf_batch_mark(tf_batch *b, uint32_t stream, uint64_t end, bool eof)
{
    tf_batch_mark_at(b, stream, end, 0, 0, eof);
}

void tf_batch_request(const tf_batch *b, size_t from, size_t to, tf_buf *out)
{
    /* Gather the range's spans per group, keeping their order within a group:
     * a counting sort, linear in spans + groups (per-record resources make
     * about one group per record). */
    size_t n = to - from;
    tf_str *slices = tf_xmalloc((n ? n : 1) * sizeof *slices);
    tf_encode_group *groups = tf_xmalloc((b->n_groups ? b->n_groups : 1) * sizeof *groups);
    size_t *at = tf_xcalloc(b->n_groups + 1, sizeof *at); /* spans per group, then each group's first slot */
    for (size_t i = from; i < to; i++)
        at[b->spans[i].group + 1]++;
    for (size_t g = 0; g < b->n_groups; g++)
        at[g + 1] += at[g];
    size_t n_groups = 0;
    for (size_t g = 0; g < b->n_groups; g++)
        if (at[g + 1] > at[g])
            groups[n_groups++] = (tf_encode_group){ b->groups[g].resource, b->groups[g].scope, slices + at[g],
                                                    at[g + 1] - at[g] };
    for (size_t i = from; i < to; i++)
        slices[at[b->spans[i].group]++] = (tf_str){ b->span_bytes.p + b->spans[i].off, b->spans[i].len };
    free(at);
    tf_encode_request(b->enc, out, groups, n_groups);
    free(groups);
    free(slices);
}
