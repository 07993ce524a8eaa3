/* opts.c: the options' defaults, and freeing what the parser allocated. */
#include "config.h"
#include "tool/opts.h"
#include "tool/msg.h"

#include <stdlib.h>
#include <string.h>

void tf_opts_defaults(tf_opts *o)
{
    memset(o, 0, sizeof *o);
    o->max_record_bytes = 4u << 20;
    o->protocol = TF_ENC_PROTOBUF;
    o->compression = TF_COMP_GZIP;
    o->timeout_ms = 10000;
    o->concurrency = 4;
    o->batch_spans = 4096;
    o->batch_bytes = 2u << 20;
    o->max_retries = 10;
    o->max_retry_time_ns = 300ull * 1000000000u;
    o->progress = true;
    o->checkpoint_interval_ns = 250000000ull;
    o->msg_level = TF_MSG_NORMAL;
    o->query_rate = 50;
    o->usage_step_ns = 60ull * 1000000000u;
    o->usage_window_ns = 3600ull * 1000000000u;
    o->usage_max_series = 10000;
}

void tf_opts_free(tf_opts *o)
{
    for (size_t i = 0; i < o->n_owned; i++)
        free(o->owned[i]);
    free(o->owned);
    free(o->inputs);
    free(o->include);
    free(o->exclude);
    free(o->headers);
    free(o->resource_attrs);
    free(o->env_resource_attrs);
    free(o->where);
    memset(o, 0, sizeof *o);
}
