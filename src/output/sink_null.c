/* sink_null.c: the sink of `run --usage-only`: every batch is acknowledged
 * at once and goes nowhere, so the pipeline (mapping, rejects, counts, the
 * usage metrics) runs as it would for a real destination. */
#include "config.h"
#include "output/sink.h"

#include <stdlib.h>

static int null_submit(tf_sink *s, tf_batch *b, tf_err *err)
{
    (void)err;
    s->stats.spans += b->n_spans;
    s->done(s->done_ctx, b, true, 0);
    return 0;
}

static int null_ok(tf_sink *s, tf_err *err)
{
    (void)s;
    (void)err;
    return 0;
}

static int null_finish(tf_sink *s, uint64_t deadline_ns, tf_err *err)
{
    (void)deadline_ns;
    return null_ok(s, err);
}

static void null_destroy(tf_sink *s)
{
    free(s);
}

tf_sink *tf_sink_null_new(void)
{
    tf_sink *s = tf_xcalloc(1, sizeof *s);
    s->describe = "no destination (--usage-only)";
    s->encoding = TF_ENC_JSON;
    s->submit = null_submit;
    s->poll = null_ok;
    s->finish = null_finish;
    s->sync = null_ok;
    s->destroy = null_destroy;
    return s;
}
