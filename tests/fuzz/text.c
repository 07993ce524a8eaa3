/* text.c: the text log formats (map/text/): a stream of lines through a
 * format, as a mapping with "format" reads a text log: every line through
 * the stream (CSV header rows, W3C directives), every data line parsed into
 * a record. Not in the tool's pipeline yet, but these parsers read raw,
 * untrusted log lines.
 * Input: one byte choosing the format, then the lines ('\n'-separated):
 *   [0] mod (presets + 5): each preset (nginx-combined, apache-combined,
 *       common, aws-alb, aws-cloudfront, envoy, ...), then csv (header
 *       row), tsv (explicit columns, every field type), logfmt, w3c, and a
 *       regex with every field type.
 * The presets are compiled once (immutable, shared, as in a run); the
 * others per input (their header rows intern columns into the format).
 * Invariants (text.h): a parse returns OK, NOMATCH or BADVALUE, the last
 * two with a reason; an OK record is a JSON object whose strings are valid
 * UTF-8, written back it parses as JSON; a header error has a reason. */
#include "tests/fuzz/fuzz.h"
#include "common/json.h"
#include "map/text/text.h"

#include <string.h>

#define NOW_NS 1748736000000000000ull
static const tf_text_preset *presets;
static size_t n_presets;
static tf_text_format **compiled;

static const tf_text_field all_types[] = {
    { "s", "string", NULL },      { "e", "escaped", NULL }, { "u", "urlencoded", NULL },
    { "i", "int", NULL },         { "z", "size", NULL },    { "n", "number", NULL },
    { "a", "auto", NULL },        { "b", "bool", NULL },    { "t", "time", NULL },
    { "c", "time:clf", NULL },    { "h", "time:http", NULL }, { "f", "time:%Y%m%d %H%M%S.%f", NULL },
    { "p", "time:epoch:ms", NULL }, { "d", "duration:ms", NULL }, { "x", "duration", NULL },
    { "tp", "traceparent", NULL }, { "b3", "b3", NULL },   { "xr", "xray", NULL },
};
static const char *const all_columns[] = { "s", "e", "u", "i", "z", "n", "a", "b", "t",
                                           "c", "h", "f", "p", "d", "x", "tp", "b3", "xr" };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    tf_fuzz_logs();
    presets = tf_text_presets(&n_presets);
    compiled = tf_xcalloc(n_presets ? n_presets : 1, sizeof *compiled);
    for (size_t i = 0; i < n_presets; i++) {
        tf_text_spec s = { .preset = presets[i].name, .header = -1, .delimiter = -1, .quote = -1, .now_ns = NOW_NS };
        tf_err err;
        compiled[i] = tf_text_format_new(&s, &err);
        if (!compiled[i]) {
            fprintf(stderr, "preset %s: %s\n", presets[i].name, err.msg);
            exit(2);
        }
    }
    (void)argc;
    (void)argv;
    return 0;
}

static tf_text_format *own_format(unsigned k)
{
    tf_text_spec s = { .header = -1, .delimiter = -1, .quote = -1, .now_ns = NOW_NS };
    switch (k) {
    case 0: s.format = "csv"; s.header = 1; break;
    case 1:
        s.format = "tsv";
        s.columns = all_columns;
        s.n_columns = TF_ARRAY_LEN(all_columns);
        s.fields = all_types;
        s.n_fields = TF_ARRAY_LEN(all_types);
        break;
    case 2: s.format = "logfmt"; s.fields = all_types; s.n_fields = TF_ARRAY_LEN(all_types); break;
    case 3: s.format = "w3c"; break;
    default:
        s.format = "regex";
        s.pattern = "^(?<s>\\S*) (?<e>\\S*) (?<u>\\S*) (?<i>\\S*) (?<z>\\S*) (?<n>\\S*) (?<a>\\S*) (?<b>\\S*) "
                    "\\[(?<t>[^\\]]*)\\] \\[(?<c>[^\\]]*)\\] \"(?<h>[^\"]*)\" \"(?<f>[^\"]*)\" (?<p>\\S*) (?<d>\\S*) "
                    "(?<x>\\S*) (?<tp>\\S*) (?<b3>\\S*) (?<xr>.*)$";
        s.fields = all_types;
        s.n_fields = TF_ARRAY_LEN(all_types);
        break;
    }
    tf_err err;
    tf_text_format *f = tf_text_format_new(&s, &err);
    if (!f)
        fprintf(stderr, "format %u: %s\n", k, err.msg);
    TF_FUZZ_CHECK(f != NULL);
    return f;
}

static void check_record(const tf_json *rec)
{
    TF_FUZZ_CHECK(rec != NULL && rec->type == TF_JSON_OBJECT);
    tf_buf b = { 0 };
    tf_json_write(&b, rec);
    TF_FUZZ_CHECK(tf_utf8_valid(b.p, b.len));
    tf_json_parser *p = tf_json_parser_new();
    tf_arena a;
    tf_arena_init(&a, 16 * 1024);
    TF_FUZZ_CHECK(tf_json_parse_one(p, &a, b.p, b.len, NULL) != NULL);
    tf_arena_free(&a);
    tf_json_parser_free(p);
    tf_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned k = data[0] % (unsigned)(n_presets + 5);
    tf_text_format *own = k >= n_presets ? own_format(k - (unsigned)n_presets) : NULL;
    const tf_text_format *f = own ? own : compiled[k];
    tf_text_stream *st = tf_text_stream_new(f);
    tf_text_parser *tp = tf_text_parser_new(f);
    tf_arena a;
    tf_arena_init(&a, 16 * 1024);
    const char *p = (const char *)data + 1, *end = (const char *)data + size;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = (size_t)((nl ? nl : end) - p);
        const tf_text_columns *cols = NULL;
        tf_err err;
        tf_err_clear(&err);
        int r = tf_text_stream_line(st, p, len, &cols, &err);
        TF_FUZZ_CHECK(r == TF_TEXT_DATA || r == TF_TEXT_HEADER || r == -1);
        if (r < 0) {
            TF_FUZZ_CHECK(err.msg[0] != '\0');
        } else if (r == TF_TEXT_DATA) {
            tf_json *rec = NULL;
            tf_err why;
            tf_err_clear(&why);
            int pr = tf_text_parse(tp, cols, &a, p, len, &rec, &why);
            TF_FUZZ_CHECK(pr == TF_TEXT_OK || pr == TF_TEXT_NOMATCH || pr == TF_TEXT_BADVALUE);
            if (pr == TF_TEXT_OK)
                check_record(rec);
            else
                TF_FUZZ_CHECK(why.msg[0] != '\0');
        }
        p = nl ? nl + 1 : end;
    }
    tf_arena_free(&a);
    tf_text_parser_free(tp);
    tf_text_stream_free(st);
    tf_text_format_free(own);
    return 0;
}
