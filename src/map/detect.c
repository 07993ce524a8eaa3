/* detect.c: --profile auto: judging records and frames (and, in the mapper,
 * a record the stream's profile rejected). */
#include "config.h"
#include "map/detect.h"

#include <stdlib.h>
#include <string.h>

struct tf_detector {
    tf_json_parser *parser;
    tf_arena arena;
    /* the frame being judged */
    const char *name, *why;
};

/* True when the first resource says service.name = openrouter. */
static bool from_broadcast(const tf_json *rss)
{
    const tf_json *rs = rss->type == TF_JSON_ARRAY && rss->n ? rss->items[0] : NULL;
    const tf_json *res = rs ? tf_json_get_nn(rs, "resource") : NULL;
    const tf_json *attrs = res ? tf_json_get_nn(res, "attributes") : NULL;
    for (size_t i = 0; attrs && attrs->type == TF_JSON_ARRAY && i < attrs->n; i++) {
        const tf_json *k = tf_json_get_nn(attrs->items[i], "key");
        const tf_json *v = tf_json_get_nn(attrs->items[i], "value");
        const tf_json *s = v ? tf_json_get_nn(v, "stringValue") : NULL;
        if (!s && v)
            s = tf_json_get_nn(v, "string_value");
        if (k && k->type == TF_JSON_STRING && tf_str_eqc(k->str, "service.name"))
            return s && s->type == TF_JSON_STRING && tf_str_eqc(s->str, "openrouter");
    }
    return false;
}

const char *tf_profile_detect(const tf_json *rec, const char **why)
{
    if (!rec || rec->type != TF_JSON_OBJECT) {
        *why = "the first record is not a JSON object";
        return NULL;
    }
    const tf_json *rss = tf_json_get(rec, "resourceSpans");
    if (!rss)
        rss = tf_json_get(rec, "resource_spans");
    if (rss) {
        *why = from_broadcast(rss) ? "the first record has resourceSpans from OpenRouter Broadcast (service.name openrouter)"
                                   : "the first record has resourceSpans, like an OTLP/JSON export request";
        return "otlp";
    }
    const tf_json *g = rec;
    const tf_json *data = tf_json_get(rec, "data");
    if (data && data->type == TF_JSON_OBJECT && !tf_json_get(rec, "id"))
        g = data;
    const tf_json *id = tf_json_get(g, "id");
    bool gen_id = id && id->type == TF_JSON_STRING && id->str.len > 4 && !memcmp(id->str.p, "gen-", 4);
    const tf_json *choices = tf_json_get(g, "choices");
    if (id && id->type == TF_JSON_STRING && choices && choices->type == TF_JSON_ARRAY && tf_json_get_nn(g, "created") &&
        !tf_json_get(g, "created_at") && !tf_json_get(g, "createdAt")) {
        *why = "the first record has id, created and choices, like an OpenRouter chat-completion response";
        return "openrouter";
    }
    if (id && (gen_id || tf_json_get(g, "created_at") || tf_json_get(g, "createdAt"))) {
        *why = g != rec ? "the first record wraps an OpenRouter generation in \"data\""
               : gen_id ? "the first record has a gen-… id, like an OpenRouter generation"
                        : "the first record has id and created_at, like an OpenRouter generation";
        return "openrouter";
    }
    *why = "the first record matches no built-in profile (use --profile with a mapping file)";
    return NULL;
}

tf_detector *tf_detector_new(void)
{
    tf_detector *d = tf_xcalloc(1, sizeof *d);
    d->parser = tf_json_parser_new();
    tf_arena_init(&d->arena, 64 * 1024);
    return d;
}

void tf_detector_free(tf_detector *d)
{
    if (!d)
        return;
    tf_json_parser_free(d->parser);
    tf_arena_free(&d->arena);
    free(d);
}

static int judge(void *ctx, tf_json *v, size_t start, size_t end)
{
    tf_detector *d = ctx;
    if (!d->name)
        d->name = tf_profile_detect(v, &d->why);
    return 0;
}

const char *tf_detector_frame(tf_detector *d, const char *text, size_t len, const char **why)
{
    d->name = d->why = NULL;
    tf_json_parse(d->parser, &d->arena, text, len, judge, d, NULL); /* not JSON: no profile */
    tf_arena_reset(&d->arena);
    *why = d->why;
    return d->name;
}
