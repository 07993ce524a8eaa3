/* unit-text.c: the text formats (regex, csv, tsv, logfmt, w3c) and the
 * field types, line by line: each record is compared whole, as JSON, with
 * text written by hand from the input line; times were computed with
 * `date -u -d @N` / Python's datetime, and bad lines must give their reason. */
#include "config.h"
#include "textlib.h"

#include "common/json.h"

#include <pthread.h>

static tf_text_spec regex_spec(const char *pattern, const tf_text_field *fields, size_t n)
{
    tf_text_spec s = tt_spec("regex", NULL);
    s.pattern = pattern;
    s.fields = fields;
    s.n_fields = n;
    return s;
}

/* One field "v" of the given type, the whole line. */
static const char *typed(const char *type, const char *text)
{
    static tt t;
    static char buf[512];
    tf_text_field fl[] = { { "v", type, NULL } };
    tf_text_spec s = regex_spec("(?<v>.*)$", fl, 1);
    const char *nulls[] = { "-" };
    s.nulls = nulls;
    s.n_nulls = 1;
    s.has_nulls = true;
    if (!tt_open(&t, &s))
        return "FORMAT";
    snprintf(buf, sizeof buf, "%s", tt_line(&t, text));
    tt_close(&t);
    return buf;
}

static void test_types(void)
{
    struct {
        const char *type, *in, *want;
    } c[] = {
        { "string", "a b \\x22", "{\"v\":\"a b \\\\x22\"}" },
        { "string", "-", "{\"v\":null}" },
        { "string", "", "{\"v\":\"\"}" },
        { "escaped", "say \\x22hi\\x22 \\\"x\\\" a\\\\b\\tc", "{\"v\":\"say \\\"hi\\\" \\\"x\\\" a\\\\b\\tc\"}" },
        { "escaped", "\\xE2\\x98\\x95 \\q \\x4", "{\"v\":\"\xe2\x98\x95 \\\\q \\\\x4\"}" },
        { "urlencoded", "Mozilla/5.0%20(X11;%20Linux)%zz%4", "{\"v\":\"Mozilla/5.0 (X11; Linux)%zz%4\"}" },
        { "int", "200", "{\"v\":200}" },
        { "int", "-0042", "{\"v\":-42}" },
        { "int", "+7", "{\"v\":7}" },
        { "int", "9223372036854775807", "{\"v\":9223372036854775807}" },
        { "int", "9223372036854775808", "BADVALUE: field \"v\": \"9223372036854775808\" is not an integer" },
        { "int", "2xx", "BADVALUE: field \"v\": \"2xx\" is not an integer" },
        { "int", "1.5", "BADVALUE: field \"v\": \"1.5\" is not an integer" },
        { "int", "-", "{\"v\":null}" },
        { "int", "", "{\"v\":null}" },
        { "size", "-", "{\"v\":0}" },
        { "size", "512", "{\"v\":512}" },
        { "size", "x", "BADVALUE: field \"v\": \"x\" is not a size" },
        { "number", "0.087", "{\"v\":0.087}" },
        { "number", "1718000000.123456789", "{\"v\":1718000000.123456789}" },
        { "number", ".5", "{\"v\":0.5}" },
        { "number", "5.", "{\"v\":5}" },
        { "number", "+00012.50e-3", "{\"v\":12.50e-3}" },
        { "number", "1e", "BADVALUE: field \"v\": \"1e\" is not a number" },
        { "number", ".", "BADVALUE: field \"v\": \".\" is not a number" },
        { "auto", "42", "{\"v\":42}" },
        { "auto", "-1.5e3", "{\"v\":-1.5e3}" },
        { "auto", "0042", "{\"v\":\"0042\"}" },
        { "auto", "1.", "{\"v\":\"1.\"}" },
        { "auto", "abc", "{\"v\":\"abc\"}" },
        { "bool", "TRUE", "{\"v\":true}" },
        { "bool", "no", "{\"v\":false}" },
        { "bool", "0", "{\"v\":false}" },
        { "bool", "maybe", "BADVALUE: field \"v\": \"maybe\" is not a boolean" },
        /* 1721086399 = 2024-07-15T23:33:19Z */
        { "time:clf", "15/Jul/2024:23:33:19 +0000", "{\"v\":\"2024-07-15T23:33:19.000000000Z\"}" },
        { "time:clf", "16/Jul/2024:01:33:19.5 +0200", "{\"v\":\"2024-07-15T23:33:19.500000000Z\"}" },
        { "time:clf", "15/Jul/2024 23:33:19",
          "BADVALUE: field \"v\": \"15/Jul/2024 23:33:19\" is not a time (time:clf)" },
        { "time:iso8601", "2024-07-15T23:33:19.123456789123Z", "{\"v\":\"2024-07-15T23:33:19.123456789Z\"}" },
        { "time:epoch", "1721086399.433", "{\"v\":\"2024-07-15T23:33:19.433000000Z\"}" },
        { "time:epoch:ms", "1721086399433.5", "{\"v\":\"2024-07-15T23:33:19.433500000Z\"}" },
        { "time:%d/%b/%Y:%H:%M:%S %z", "15/Jul/2024:16:33:19 -0700", "{\"v\":\"2024-07-15T23:33:19.000000000Z\"}" },
        { "time", "2024-07-15 23:33:19", "{\"v\":\"2024-07-15T23:33:19.000000000Z\"}" },
        { "time", "soon", "BADVALUE: field \"v\": \"soon\" is not a time" },
        { "time:http", "Mon, 15 Jul 2024 23:33:19 GMT", "{\"v\":\"2024-07-15T23:33:19.000000000Z\"}" },
        { "duration:s", "0.087", "{\"v\":0.087}" },
        { "duration:s", "2", "{\"v\":2.0}" },
        { "duration:ms", "57", "{\"v\":0.057}" },
        { "duration:us", "1234", "{\"v\":0.001234}" },
        { "duration:ns", "7", "{\"v\":0.000000007}" },
        { "duration:s", "-1", "{\"v\":null}" },
        { "duration", "1h30m", "{\"v\":5400.0}" },
        { "duration", "250", "BADVALUE: field \"v\": \"250\" is not a duration" },
        { "duration:ms", "fast", "BADVALUE: field \"v\": \"fast\" is not a duration (duration:ms)" },
        { "traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
          "{\"v\":{\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\",\"parent_span_id\":\"00f067aa0ba902b7\","
          "\"sampled\":true,\"traceparent\":\"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\"}}" },
        { "traceparent", "00-garbage", "{\"v\":\"00-garbage\"}" },
        { "b3", "a3c5e7f90b1d2f4a6c8e0a2b4d6f8a0c-5b7d9f1a3c5e7b9d-0-0e2c4a6b8d0f2e4a",
          "{\"v\":{\"trace_id\":\"a3c5e7f90b1d2f4a6c8e0a2b4d6f8a0c\",\"parent_span_id\":\"5b7d9f1a3c5e7b9d\","
          "\"sampled\":false,\"traceparent\":\"00-a3c5e7f90b1d2f4a6c8e0a2b4d6f8a0c-5b7d9f1a3c5e7b9d-00\"}}" },
        { "b3", "1", "{\"v\":\"1\"}" },
        { "xray", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
          "{\"v\":{\"trace_id\":\"5759e988bd862e3fe1be46a994272793\",\"parent_span_id\":\"53995c3f42cd8ad8\","
          "\"sampled\":true,\"traceparent\":\"00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01\"}}" },
        { "xray", "Root=1-669530cf-7d3e2a1b9c8f4e6d5a4b3c2d",
          "{\"v\":{\"trace_id\":\"669530cf7d3e2a1b9c8f4e6d5a4b3c2d\"}}" },
        { "xray", "-", "{\"v\":null}" },
    };
    for (size_t i = 0; i < TF_ARRAY_LEN(c); i++)
        is_str(typed(c[i].type, c[i].in), c[i].want, "%s of '%s'", c[i].type, c[i].in);

    /* Bad type specs. */
    tf_err err;
    const char *bad[][2] = {
        { "integer", "\"format.fields.v\": expected a type (string, escaped, urlencoded, int, size, number, "
                     "auto, bool, time, duration, traceparent, b3 or xray), got \"integer\"" },
        { "time:weekly", "\"format.fields.v\": \"time:weekly\": expected time:auto, time:iso8601, time:clf, "
                         "time:http, time:epoch[:s|ms|us|ns] or a strptime format with %" },
        { "duration:m", "\"format.fields.v\": \"duration:m\": expected duration, or duration:s, :ms, :us or :ns" },
        { "int:8", "\"format.fields.v\": \"int:8\": the type int takes no argument" },
    };
    for (size_t i = 0; i < TF_ARRAY_LEN(bad); i++) {
        tf_text_field fl[] = { { "v", bad[i][0], NULL } };
        tf_text_spec s = regex_spec("(?<v>.*)", fl, 1);
        tf_text_format *f = tf_text_format_new(&s, &err);
        ok(f == NULL, "type '%s' rejected", bad[i][0]);
        is_str(err.msg, bad[i][1], "its message");
        tf_text_format_free(f);
    }
}

/* Invalid UTF-8 becomes U+FFFD in the node itself (the JSON writer would
 * hide it, so the bytes are checked directly). */
static void test_utf8(void)
{
    tt t;
    tf_text_spec s = regex_spec("(?<a>\\S*) (?<b>\\S*)$", NULL, 0);
    if (!ok(tt_open(&t, &s), "format for UTF-8"))
        return;
    const char *line = "caf\xe9 \xe2\x98\x95\xff";
    const tf_text_columns *cols;
    tf_text_stream_line(t.st, line, strlen(line), &cols, &t.why);
    tf_json *rec = NULL;
    ok(tf_text_parse(t.p, cols, &t.arena, line, strlen(line), &rec, &t.why) == TF_TEXT_OK,
       "a line with invalid UTF-8 still matches");
    const tf_json *a = tf_json_get(rec, "a"), *b = tf_json_get(rec, "b");
    ok(a && a->str.len == 6 && !memcmp(a->str.p, "caf\xef\xbf\xbd", 6), "a Latin-1 byte becomes U+FFFD");
    ok(b && b->str.len == 6 && !memcmp(b->str.p, "\xe2\x98\x95\xef\xbf\xbd", 6),
       "valid sequences stay, the stray byte is replaced");
    ok(a && a->str.p[a->str.len] == '\0', "strings are NUL-terminated");
    tt_close(&t);
}

static void test_regex(void)
{
    tt t;
    tf_text_field fl[] = { { "status", "int", NULL }, { "ms", "duration:ms", NULL } };
    tf_text_spec s = regex_spec("(?<method>[A-Z]+) (?<path>\\S+) (?<status>\\d+)(?: (?<ms>\\d+)ms)?$", fl, 2);
    if (!ok(tt_open(&t, &s), "a user pattern"))
        return;
    is_int(tf_text_columns_count(tf_text_format_columns(t.f)), 4, "four named groups");
    is_str(tf_text_columns_name(tf_text_format_columns(t.f), 3), "ms", "in pattern order");
    is_str(tf_text_columns_type(tf_text_format_columns(t.f), 2), "int", "typed as given");
    tt_is(&t, "GET /a 200 12ms", "{\"method\":\"GET\",\"path\":\"/a\",\"status\":200,\"ms\":0.012}",
          "all groups");
    tt_is(&t, "GET /a 200", "{\"method\":\"GET\",\"path\":\"/a\",\"status\":200,\"ms\":null}",
          "an optional group that did not take part is null");
    tt_is(&t, "GET /a 2x0", "NOMATCH: does not match regex from byte 9: \"x0\"",
          "the first byte that cannot fit is named");
    tt_is(&t, "GET /a", "NOMATCH: does not match regex: the line ends early (after byte 6)",
          "a truncated line");
    tt_is(&t, "get /a 200", "NOMATCH: does not match regex from byte 1: \"get /a 200\"",
          "wrong from the start");
    tt_is(&t, "x GET /a 200", "NOMATCH: does not match regex from byte 1: \"x GET /a 200\"",
          "patterns are anchored at the start of the line");
    tt_is(&t, "GET /a 200 12ms trailing", "NOMATCH: does not match regex from byte 16: \" trailing\"",
          "the pattern's $ holds");
    tt_close(&t);

    /* Duplicate names: alternatives that fill the same field. */
    s = regex_spec("(?:(?<user>\\w+)@(?<host>\\S+)|(?<host>\\S+))$", NULL, 0);
    if (ok(tt_open(&t, &s), "duplicate names")) {
        is_int(tf_text_columns_count(tf_text_format_columns(t.f)), 2, "one column per name");
        tt_is(&t, "ann@db1", "{\"user\":\"ann\",\"host\":\"db1\"}", "first alternative");
        tt_is(&t, "db2", "{\"user\":null,\"host\":\"db2\"}", "second alternative fills host");
        tt_close(&t);
    }

    /* Backtracking limits end in a reason, not a hang. */
    s = regex_spec("(?<x>(a|aa)+)+$", NULL, 0);
    if (ok(tt_open(&t, &s), "a catastrophic pattern")) {
        char line[80];
        memset(line, 'a', sizeof line - 2);
        line[sizeof line - 2] = 'b';
        line[sizeof line - 1] = '\0';
        const char *r = tt_line(&t, line);
        ok(!strncmp(r, "NOMATCH: regex: the pattern backtracks too much", 47) ||
               !strncmp(r, "NOMATCH: does not match", 23),
           "ends with a reason: %s", r);
        tt_close(&t);
    }

    struct {
        const char *pat;
        const char *field;
        const char *want;
    } bad[] = {
        { "(?<a>x", NULL, "\"format.pattern\": at character 7: missing closing parenthesis" },
        { "(\\d+) (\\S+)", NULL, "\"format.pattern\": no named groups: write (?<name>...) for each field" },
        { "(?<a>x)", "b", "\"format.fields.b\": the pattern has no group of that name" },
    };
    for (size_t i = 0; i < TF_ARRAY_LEN(bad); i++) {
        tf_text_field f1[] = { { bad[i].field, "int", NULL } };
        tf_text_spec bs = regex_spec(bad[i].pat, f1, bad[i].field ? 1 : 0);
        tf_err err;
        tf_text_format *f = tf_text_format_new(&bs, &err);
        ok(!f, "pattern '%s' rejected", bad[i].pat);
        is_str(err.msg, bad[i].want, "its message");
        tf_text_format_free(f);
    }
}

static void test_csv(void)
{
    tt t;
    tf_text_field fl[] = { { "status", "int", NULL }, { "ms", "number", NULL } };
    tf_text_spec s = tt_spec("csv", NULL);
    s.fields = fl;
    s.n_fields = 2;
    if (!ok(tt_open(&t, &s), "csv with a header row"))
        return;
    is_str(tt_line(&t, "id, path ,status,ms,note"), "HEADER", "the first line is the header");
    tt_is(&t, "r1,/a,200,12.5,plain", "{\"id\":\"r1\",\"path\":\"/a\",\"status\":200,\"ms\":12.5,\"note\":\"plain\"}",
          "blanks around header names are dropped");
    tt_is(&t, "r2,\"/a,b\",500,1,\"she said \"\"no\"\"\"",
          "{\"id\":\"r2\",\"path\":\"/a,b\",\"status\":500,\"ms\":1,\"note\":\"she said \\\"no\\\"\"}",
          "quoted delimiter and doubled quotes");
    tt_is(&t, "r3,,200,,", "{\"id\":\"r3\",\"path\":\"\",\"status\":200,\"ms\":null,\"note\":\"\"}",
          "empty fields: empty strings, null numbers; a trailing delimiter ends an empty field");
    tt_is(&t, "\"\",\"\"\"\",200,0,\"\" ", "{\"id\":\"\",\"path\":\"\\\"\",\"status\":200,\"ms\":0,\"note\":\"\"}",
          "an empty quoted field, a lone quote, blanks after a closing quote");
    tt_is(&t, "r4,a\"b,200,0,x", "{\"id\":\"r4\",\"path\":\"a\\\"b\",\"status\":200,\"ms\":0,\"note\":\"x\"}",
          "a quote inside an unquoted field is kept");
    tt_is(&t, "r5, \"x\",200,0,x", "{\"id\":\"r5\",\"path\":\" \\\"x\\\"\",\"status\":200,\"ms\":0,\"note\":\"x\"}",
          "a field starting with a blank is unquoted");
    tt_is(&t, "r6,\"open,200,0,x",
          "NOMATCH: column 2: the quoted field is not closed on this line (records over several lines "
          "are not supported)",
          "an unclosed quote");
    tt_is(&t, "r7,\"a\"b,200,0,x", "NOMATCH: column 2: \"b,200,0,x\" after the closing quote (byte 7)",
          "text after a closing quote");
    tt_is(&t, "r8,/a,200,0", "NOMATCH: 4 fields, but the header row names 5 columns", "too few fields");
    tt_is(&t, "r9,/a,200,0,x,y", "NOMATCH: 6 fields, but the header row names 5 columns", "too many fields");
    tt_is(&t, "r10,/a,OK,0,x", "BADVALUE: field \"status\": \"OK\" is not an integer", "a bad typed value");
    /* A new stream reads its own header. */
    tf_text_stream_reset(t.st);
    is_str(tt_line(&t, "a,b"), "HEADER", "second stream's header");
    tt_is(&t, "1,2", "{\"a\":\"1\",\"b\":\"2\"}", "its columns");
    tf_text_stream_reset(t.st);
    is_str(tt_line(&t, "a,,c"), "STREAM: header row: column 2 has no name", "a header with an empty name");
    tf_text_stream_reset(t.st);
    is_str(tt_line(&t, "a,b,a"), "STREAM: header row: \"a\" twice (columns 1 and 3)", "a repeated name");
    tf_text_stream_reset(t.st);
    is_str(tt_line(&t, "\"a,b"),
           "STREAM: header row: column 1: the quoted field is not closed on this line (records over "
           "several lines are not supported)",
           "a broken header");
    tt_close(&t);

    /* Interning: two streams with the same header share one column set. */
    if (tt_open(&t, &s)) {
        const tf_text_columns *c1, *c2;
        tf_text_stream_line(t.st, "x,y", 3, &c1, &t.why);
        tf_text_stream *st2 = tf_text_stream_new(t.f);
        tf_text_stream_line(st2, "x, y", 4, &c2, &t.why);
        ok(c1 && c1 == c2, "equal headers give the same columns");
        tf_text_stream_free(st2);
        tt_close(&t);
    }

    /* Explicit columns, a semicolon, no header; and with header: skipped. */
    const char *cols[] = { "when", "who", "n" };
    tf_text_field f2[] = { { "when", "time", NULL }, { "n", "int", NULL } };
    s = tt_spec("csv", NULL);
    s.columns = cols;
    s.n_columns = 3;
    s.delimiter = ';';
    s.fields = f2;
    s.n_fields = 2;
    if (ok(tt_open(&t, &s), "csv with columns and ';'")) {
        tt_is(&t, "2024-07-15T23:33:19Z;\"a;b\";3",
              "{\"when\":\"2024-07-15T23:33:19.000000000Z\",\"who\":\"a;b\",\"n\":3}", "semicolons");
        tt_is(&t, "2024-07-15T23:33:19Z,x,3", "NOMATCH: 1 field, but \"columns\" names 3",
              "commas are not delimiters here");
        tt_close(&t);
    }
    s.header = 1;
    if (ok(tt_open(&t, &s), "columns given, header row present")) {
        is_str(tt_line(&t, "When;Who;N"), "HEADER", "the header row is skipped");
        tt_is(&t, "1721086399;z;1", "{\"when\":\"2024-07-15T23:33:19.000000000Z\",\"who\":\"z\",\"n\":1}",
              "names from columns");
        tt_close(&t);
    }

    /* TSV: tabs; quoting works the same. */
    s = tt_spec("tsv", NULL);
    if (ok(tt_open(&t, &s), "tsv")) {
        is_str(tt_line(&t, "a\tb\tc"), "HEADER", "tsv header");
        tt_is(&t, "1\t\"x\ty\"\t", "{\"a\":\"1\",\"b\":\"x\\ty\",\"c\":\"\"}", "a quoted tab");
        tt_is(&t, "1,2\t3\t4", "{\"a\":\"1,2\",\"b\":\"3\",\"c\":\"4\"}", "commas are text");
        tt_close(&t);
    }
    s = tt_spec("tsv", NULL);
    s.quote = 0;
    if (ok(tt_open(&t, &s), "tsv without quoting")) {
        tt_line(&t, "a\tb");
        tt_is(&t, "\"x\t\"y\"", "{\"a\":\"\\\"x\",\"b\":\"\\\"y\\\"\"}", "quotes are text");
        tt_close(&t);
    }

    struct {
        tf_text_spec s;
        const char *want;
    } bad[4];
    bad[0].s = tt_spec("csv", NULL);
    bad[0].s.header = 0;
    bad[0].want = "\"format\": csv without a header row needs \"columns\"";
    bad[1].s = tt_spec("csv", NULL);
    bad[1].s.pattern = "x";
    bad[1].want = "\"format.pattern\": only a regex format has a pattern (this is csv)";
    bad[2].s = tt_spec("csv", NULL);
    bad[2].s.delimiter = '"';
    bad[2].want = "\"format.quote\": the same character as the delimiter";
    const char *dup[] = { "a", "a" };
    bad[3].s = tt_spec("csv", NULL);
    bad[3].s.columns = dup;
    bad[3].s.n_columns = 2;
    bad[3].want = "\"format.columns\": \"a\" twice (columns 1 and 2)";
    for (size_t i = 0; i < TF_ARRAY_LEN(bad); i++) {
        tf_err err;
        tf_text_format *f = tf_text_format_new(&bad[i].s, &err);
        ok(!f, "bad csv spec %zu rejected", i);
        is_str(err.msg, bad[i].want, "its message");
        tf_text_format_free(f);
    }
}

static void test_logfmt(void)
{
    tt t;
    tf_text_field fl[] = { { "status", "int", NULL }, { "dur", "duration", NULL } };
    tf_text_spec s = tt_spec("logfmt", NULL);
    s.fields = fl;
    s.n_fields = 2;
    if (!ok(tt_open(&t, &s), "logfmt"))
        return;
    tt_is(&t, "level=info msg=\"request done\" status=200 dur=1.5ms http.path=/a?b=c",
          "{\"level\":\"info\",\"msg\":\"request done\",\"status\":200,\"dur\":0.0015,\"http.path\":\"/a?b=c\"}",
          "pairs, a quoted value, dotted keys stay flat, '=' inside a value");
    tt_is(&t, "  cached err= x=\"\"  ", "{\"cached\":true,\"err\":\"\",\"x\":\"\"}",
          "a bare key is true, key= and \"\" are empty");
    tt_is(&t, "msg=\"a \\\"q\\\" \\\\ \\n \\u00e9 \\ud83d\\ude00 \\ud800 \\z\"",
          "{\"msg\":\"a \\\"q\\\" \\\\ \\n \xc3\xa9 \xf0\x9f\x98\x80 \xef\xbf\xbd \\\\z\"}",
          "escapes, a surrogate pair, a lone surrogate, an unknown escape");
    tt_is(&t, "status=\"404\"", "{\"status\":404}", "a quoted value is typed too");
    tt_is(&t, "a=1 a=2", "{\"a\":\"1\",\"a\":\"2\"}", "repeated keys are kept (the last one wins in paths)");
    tt_is(&t, "msg=\"open", "NOMATCH: not logfmt: a quoted value that is not closed at byte 5: \"\\\"open\"",
          "unterminated quote");
    tt_is(&t, "a=1 =2", "NOMATCH: not logfmt: a value without a key at byte 5: \"=2\"", "a value without a key");
    tt_is(&t, "msg=\"x\"y", "NOMATCH: not logfmt: text right after a quoted value at byte 8: \"y\"",
          "text after a quoted value");
    tt_is(&t, "\"quoted\"", "NOMATCH: not logfmt: a quote where a key should be at byte 1: \"\\\"quoted\\\"\"",
          "a quoted string alone");
    tt_is(&t, "ab\"c=1", "NOMATCH: not logfmt: a quote inside a key at byte 3: \"\\\"c=1\"", "a quote in a key");
    tt_is(&t, "   ", "NOMATCH: not logfmt: no key=value pairs at byte 1: \"   \"", "blanks only");
    tt_is(&t, "status=ok", "BADVALUE: field \"status\": \"ok\" is not an integer", "a bad typed value");
    tt_close(&t);
}

static void test_w3c(void)
{
    tt t;
    tf_text_field fl[] = { { "sc-status", "int", NULL }, { "time-taken", "duration:ms", NULL } };
    tf_text_spec s = tt_spec("w3c", NULL);
    s.fields = fl;
    s.n_fields = 2;
    if (!ok(tt_open(&t, &s), "w3c (IIS style, blanks)"))
        return;
    is_str(tt_line(&t, "#Software: Microsoft Internet Information Services 10.0"), "HEADER", "a directive");
    tt_is(&t, "2024-07-15 23:33:19 GET /a 200", "NOMATCH: no #Fields: directive before this line",
          "data before #Fields:");
    is_str(tt_line(&t, "#Fields: date time cs-method cs-uri-stem sc-status time-taken"), "HEADER",
           "#Fields:");
    tt_is(&t, "2024-07-15 23:33:19 GET /a 200 15",
          "{\"date\":\"2024-07-15\",\"time\":\"23:33:19\",\"cs-method\":\"GET\",\"cs-uri-stem\":\"/a\","
          "\"sc-status\":200,\"time-taken\":0.015,\"timestamp\":\"2024-07-15T23:33:19.000000000Z\"}",
          "columns from #Fields:, date and time give the timestamp");
    tt_is(&t, "2024-07-15   23:33:20 GET  /b 404 7",
          "{\"date\":\"2024-07-15\",\"time\":\"23:33:20\",\"cs-method\":\"GET\",\"cs-uri-stem\":\"/b\","
          "\"sc-status\":404,\"time-taken\":0.007,\"timestamp\":\"2024-07-15T23:33:20.000000000Z\"}",
          "runs of blanks separate");
    tt_is(&t, "2024-07-15 23:33:20 GET /b 404", "NOMATCH: 5 fields, but 6 columns",
          "a missing field");
    tt_is(&t, "2024-07-15 25:33:20 GET /b 404 7",
          "BADVALUE: field \"date\": \"2024-07-15T25:33:20\" is not a date followed by a time", "a bad time");
    is_str(tt_line(&t, "#fields: a b"), "HEADER", "a later #Fields: (any case) ...");
    tt_is(&t, "1 2", "{\"a\":\"1\",\"b\":\"2\"}", "... names the columns after it");
    is_str(tt_line(&t, "#Fields: a a"), "STREAM: #Fields: directive: \"a\" twice (columns 1 and 2)", "repeated names");
    tt_close(&t);
}

static void test_gate(void)
{
    tf_text_spec s = tt_spec(NULL, "nginx-combined");
    tf_err err;
    tf_text_format *f = tf_text_format_new(&s, &err);
    tf_text_gate g = { 0, 0 };
    bool stop = false;
    int at = 0;
    for (int i = 1; i <= 1500 && !stop; i++) {
        err.msg[0] = '\0';
        if (tf_text_gate_count(&g, f, false, &err)) {
            stop = true;
            at = i;
        }
    }
    ok(stop && at == 1000, "1000 failed lines stop the stream (at %d)", at);
    is_str(err.msg, "0 of the first 1000 lines match nginx-combined: is this the right format?",
           "the early-stop message");
    ok(!tf_text_gate_count(&g, f, false, &err), "and only once");
    tf_text_gate g2 = { 0, 0 };
    stop = false;
    for (int i = 1; i <= 3000 && !stop; i++)
        stop = tf_text_gate_count(&g2, f, i == 1000, &err);
    ok(!stop, "one match in the first 1000 keeps the stream going");
    tf_text_gate g3 = { 0, 0 };
    stop = false;
    for (int i = 1; i <= 3000 && !stop; i++)
        stop = tf_text_gate_count(&g3, f, i == 1001, &err);
    ok(stop, "a match only at line 1001 comes too late");
    tf_text_format_free(f);
}

static void test_describe(void)
{
    struct {
        tf_text_spec s;
        const char *want;
    } c[4];
    c[0].s = tt_spec(NULL, "nginx-combined");
    c[0].want = "regex, preset nginx-combined, 13 fields, PCRE2 JIT";
    c[1].s = tt_spec("csv", NULL);
    c[1].want = "csv, delimiter ',', columns from the header row";
    c[2].s = tt_spec(NULL, "aws-cloudfront");
    c[2].want = "w3c, preset aws-cloudfront, tab-separated, 33 columns until a #Fields: directive";
    c[3].s = tt_spec("logfmt", NULL);
    c[3].want = "logfmt";
    for (size_t i = 0; i < TF_ARRAY_LEN(c); i++) {
        tf_err err;
        tf_text_format *f = tf_text_format_new(&c[i].s, &err);
        tf_buf b = { 0 };
        if (f)
            tf_text_format_describe(f, &b);
        const char *got = f ? tf_buf_cstr(&b) : err.msg;
        /* A PCRE2 built without JIT says so instead. */
        const char *want = i == 0 && strstr(got, "(no JIT)")
                               ? "regex, preset nginx-combined, 13 fields, PCRE2 (no JIT)"
                               : c[i].want;
        is_str(got, want, "describe %zu", i);
        tf_buf_free(&b);
        tf_text_format_free(f);
    }
}

/* A mapping's "format" value, from JSON text. */
static int from_json(const char *json, tf_text_format **f, tf_err *err)
{
    static tf_json_parser *jp;
    static tf_arena a;
    if (!jp) {
        jp = tf_json_parser_new();
        tf_arena_init(&a, 4096);
    }
    tf_err perr;
    tf_json *v = tf_json_parse_one(jp, &a, json, strlen(json), &perr);
    if (!v) {
        tf_err_set(err, "bad test JSON: %s", perr.msg);
        return -2;
    }
    return tf_text_format_from_json(v, 0, f, err);
}

static const char *line_with(tf_text_format *f, const char *const *lines, size_t n)
{
    static tf_buf out;
    tf_text_stream *st = tf_text_stream_new(f);
    tf_text_parser *p = tf_text_parser_new(f);
    tf_arena a;
    tf_arena_init(&a, 4096);
    out.len = 0;
    for (size_t i = 0; i < n; i++) {
        const tf_text_columns *c;
        tf_err why;
        tf_json *rec;
        if (tf_text_stream_line(st, lines[i], strlen(lines[i]), &c, &why) != TF_TEXT_DATA)
            continue;
        if (tf_text_parse(p, c, &a, lines[i], strlen(lines[i]), &rec, &why) == TF_TEXT_OK)
            tf_json_write(&out, rec);
        else
            tf_buf_printf(&out, "reject: %s", why.msg);
    }
    tf_arena_free(&a);
    tf_text_parser_free(p);
    tf_text_stream_free(st);
    return tf_buf_cstr(&out);
}

static void test_from_json(void)
{
    tf_text_format *f = NULL;
    tf_err err;
    is_int(from_json("\"json\"", &f, &err), 0, "\"json\" is no text format");
    ok(f == NULL, "and compiles nothing");
    is_int(from_json("{\"type\": \"json\", \"//\": \"the default\"}", &f, &err), 0, "{type: json}");
    is_int(from_json("\"nginx-combined\"", &f, &err), 1, "a preset by name");
    is_str(f ? tf_text_format_name(f) : err.msg, "nginx-combined", "its name");
    tf_text_format_free(f);
    is_int(from_json("\"logfmt\"", &f, &err), 1, "a format by name");
    is_str(f ? tf_text_format_kind(f) : err.msg, "logfmt", "its kind");
    tf_text_format_free(f);

    const char *l1[] = { "1.2.3.4 - - [15/Jul/2024:23:33:19 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"-\" 0.010" };
    is_int(from_json("{\"preset\": \"nginx-combined\", \"append\": \" (?<request_time>\\\\S+)\", "
                     "\"fields\": {\"request_time\": \"duration:s\", \"status\": \"string\"}}", &f, &err), 1,
           "preset, append and fields");
    if (f) {
        const char *r = line_with(f, l1, 1);
        ok(strstr(r, "\"status\":\"200\"") && strstr(r, "\"request_time\":0.01}"), "retyped and appended: %s", r);
        tf_text_format_free(f);
    } else {
        diag("%s", err.msg);
    }
    const char *l2[] = { "x;NA;\"q\"", "y;7;'q'" };
    is_int(from_json("{\"type\": \"csv\", \"delimiter\": \";\", \"columns\": [\"a\", \"b\", \"c\"], "
                     "\"quote\": \"'\", \"fields\": {\"b\": \"int\"}, \"null\": \"NA\"}", &f, &err), 1,
           "csv options");
    if (f) {
        is_str(line_with(f, l2, 2), "{\"a\":\"x\",\"b\":null,\"c\":\"\\\"q\\\"\"}{\"a\":\"y\",\"b\":7,\"c\":\"q\"}",
               "delimiter, quote, null token, columns");
        tf_text_format_free(f);
    } else {
        diag("%s", err.msg);
    }
    const char *l3[] = { "a\tb", "\"1\t2" };
    is_int(from_json("{\"type\": \"tsv\", \"quote\": false}", &f, &err), 1, "tsv, quote false");
    if (f) {
        is_str(line_with(f, l3, 2), "{\"a\":\"\\\"1\",\"b\":\"2\"}", "no quoting");
        tf_text_format_free(f);
    }

    struct {
        const char *json, *want;
    } bad[] = {
        { "\"nginx\"", "\"format\": expected \"json\", a format (regex, csv, tsv, logfmt, w3c) or a preset "
                       "(nginx-combined, apache-combined, common, aws-alb, aws-cloudfront, envoy), got \"nginx\"" },
        { "42", "\"format\": expected a string or an object, got a number" },
        { "{\"type\": \"xml\"}", "\"format.type\": expected json, regex, csv, tsv, logfmt or w3c, got \"xml\"" },
        { "{\"type\": \"json\", \"preset\": \"envoy\"}", "\"format.type\": json takes no other keys" },
        { "{\"type\": \"csv\", \"delimiter\": \";;\"}", "\"format.delimiter\": expected one ASCII character, got \";;\"" },
        { "{\"type\": \"csv\", \"delimiter\": 9}", "\"format.delimiter\": expected one character, got a number" },
        { "{\"type\": \"csv\", \"quote\": true}", "\"format.quote\": expected one character, or \"\" for none, got a boolean" },
        { "{\"type\": \"csv\", \"columns\": [\"a\", 1]}", "\"format.columns[1]\": expected a string, got a number" },
        { "{\"type\": \"csv\", \"columns\": []}", "\"format.columns\": expected at least one name" },
        { "{\"type\": \"csv\", \"colums\": [\"a\"]}", "\"format.colums\": unknown key (expected type, preset, "
                                                       "pattern, append, columns, header, delimiter, quote, fields or null)" },
        { "{\"type\": \"csv\", \"header\": \"yes\"}", "\"format.header\": expected true or false, got a string" },
        { "{\"type\": \"logfmt\", \"fields\": {\"a\": 5}}", "\"format.fields.a\": expected a type name, got a number" },
        { "{\"type\": \"logfmt\", \"fields\": []}", "\"format.fields\": expected an object of field names and types, got an array" },
        { "{\"type\": \"logfmt\", \"null\": [\"-\", null]}", "\"format.null[1]\": expected a string, got null" },
        { "{\"preset\": \"aws-cloudfront\", \"fields\": {\"cs(User-Agent)\": \"text\"}}",
          "\"format.fields.cs(User-Agent)\": expected a type (string, escaped, urlencoded, int, size, number, "
          "auto, bool, time, duration, traceparent, b3 or xray), got \"text\"" },
        { "{\"type\": \"logfmt\", \"fields\": {\"http.status\": \"integer\"}}",
          "\"format.fields['http.status']\": expected a type (string, escaped, urlencoded, int, size, number, "
          "auto, bool, time, duration, traceparent, b3 or xray), got \"integer\"" },
        { "{\"type\": \"logfmt\", \"header\": true}", "\"format.header\": only csv and tsv have a header row (this is logfmt)" },
        { "{\"type\": \"regex\"}", "\"format.pattern\": a regex format needs a pattern" },
        { "{\"type\": \"regex\", \"pattern\": \"(?<a>x)\", \"append\": \"y\"}",
          "\"format.append\": adds to a preset's pattern; with your own pattern, write the whole of it" },
    };
    for (size_t i = 0; i < TF_ARRAY_LEN(bad); i++) {
        f = NULL;
        is_int(from_json(bad[i].json, &f, &err), -1, "rejected: %s", bad[i].json);
        is_str(err.msg, bad[i].want, "its message");
        tf_text_format_free(f);
    }
}

/* One format shared by four threads, each with its own parser and arena
 * (and its own stream, interning equal CSV headers concurrently), gives
 * exactly what one thread gives for the same lines. */
#define TH_LINES 3000
static tf_text_format *th_fmt, *th_csv;
static char th_lines[TH_LINES][160];
static char *th_want[TH_LINES];

static char *parse_to_json(tf_text_parser *p, tf_arena *a, const char *line)
{
    tf_json *rec;
    tf_err why;
    tf_arena_reset(a);
    tf_buf b = { 0 };
    if (tf_text_parse(p, NULL, a, line, strlen(line), &rec, &why) == TF_TEXT_OK)
        tf_json_write(&b, rec);
    else
        tf_buf_printf(&b, "reject: %s", why.msg);
    char *r = tf_xstrdup(tf_buf_cstr(&b));
    tf_buf_free(&b);
    return r;
}

static void *th_run(void *arg)
{
    size_t id = (size_t)(uintptr_t)arg, *bad = tf_xcalloc(1, sizeof *bad);
    tf_text_parser *p = tf_text_parser_new(th_fmt);
    tf_text_stream *st = tf_text_stream_new(th_csv);
    tf_arena a;
    tf_arena_init(&a, 4096);
    const tf_text_columns *c0, *c1;
    tf_err e;
    tf_text_stream_line(st, "a,b,c", 5, &c0, &e);
    tf_text_stream_line(st, "x,y,z", 5, &c1, &e);
    if (!c0 || c0 != c1 || tf_text_columns_count(c0) != 3)
        (*bad)++;
    for (int round = 0; round < 3; round++)
        for (size_t i = (id * 577) % TH_LINES, k = 0; k < TH_LINES; k++, i = (i + 1) % TH_LINES) {
            char *got = parse_to_json(p, &a, th_lines[i]);
            if (strcmp(got, th_want[i]) != 0)
                (*bad)++;
            free(got);
        }
    tf_arena_free(&a);
    tf_text_stream_free(st);
    tf_text_parser_free(p);
    return bad;
}

static void test_threads(void)
{
    tf_text_spec s = tt_spec(NULL, "nginx-combined");
    s.append = "(?: (?<request_time>\\S+))?";
    tf_err err;
    th_fmt = tf_text_format_new(&s, &err);
    tf_text_spec cs = tt_spec("csv", NULL);
    th_csv = tf_text_format_new(&cs, &err);
    if (!ok(th_fmt && th_csv, "formats for the threads"))
        return;
    for (size_t i = 0; i < TH_LINES; i++) {
        if (i % 7 == 3)
            snprintf(th_lines[i], sizeof th_lines[i], "garbage line %zu", i);
        else
            snprintf(th_lines[i], sizeof th_lines[i],
                     "10.0.%zu.%zu - u%zu [15/Jul/2024:%02zu:%02zu:%02zu +0000] \"GET /p/%zu?q=%zu HTTP/1.1\" "
                     "%zu %zu \"-\" \"agent %zu\" 0.%03zu",
                     i / 256 % 256, i % 256, i, i / 3600 % 24, i / 60 % 60, i % 60, i, i * 7, 200 + i % 4 * 100,
                     i * 13, i % 5, i % 1000);
    }
    tf_text_parser *p = tf_text_parser_new(th_fmt);
    tf_arena a;
    tf_arena_init(&a, 4096);
    for (size_t i = 0; i < TH_LINES; i++)
        th_want[i] = parse_to_json(p, &a, th_lines[i]);
    tf_arena_free(&a);
    tf_text_parser_free(p);
    ok(strstr(th_want[1], "\"request_time\":0.001") && !strncmp(th_want[3], "reject: ", 8),
       "single-threaded reference has records and rejects");
    pthread_t th[4];
    for (size_t i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, th_run, (void *)(uintptr_t)i);
    size_t bad = 0;
    for (size_t i = 0; i < 4; i++) {
        void *r;
        pthread_join(th[i], &r);
        bad += *(size_t *)r;
        free(r);
    }
    is_int(bad, 0, "4 threads x 3 rounds x %d lines: identical records and rejects, one column set", TH_LINES);
    for (size_t i = 0; i < TH_LINES; i++)
        free(th_want[i]);
    tf_text_format_free(th_fmt);
    tf_text_format_free(th_csv);
}

/* Mutated lines (bytes flipped, cut, duplicated) through every format:
 * each gives a record or a reason, never a crash (run under ASan+UBSan with
 * --enable-sanitizers), and a record is always a valid object. */
static void test_mutations(void)
{
    static const char *const seeds[] = {
        "203.0.113.7 - - [15/Jul/2024:23:33:19 +0000] \"GET /a?b=1 HTTP/1.1\" 200 5 \"-\" \"c\\x22url\"",
        ("h2 2024-07-15T23:33:19Z app/x/1 1.2.3.4:5 - -1 -1 -1 200 - 1 2 \"GET https://h:443/ HTTP/2.0\" \"-\" - - "
         "arn \"Root=1-5759e988-bd862e3fe1be46a994272793\" \"-\" \"-\" 0 2024-07-15T23:33:19Z \"forward\" \"-\" \"-\""),
        "a,\"b,\"\"c\"\"\",3,,\"\"",
        "level=info msg=\"a \\\"b\\\" \\u00e9\" n=1 flag",
        "2024-07-15\t23:33:19\tFRA\t5\t1.2.3.4\tGET",
        "[2024-07-15T23:33:19.433Z] \"GET / HTTP/1.1\" 200 - 0 1 2 - \"-\" \"-\" \"-\" \"-\" \"-\"",
    };
    tf_text_spec specs[7];
    specs[0] = tt_spec(NULL, "nginx-combined");
    specs[1] = tt_spec(NULL, "aws-alb");
    specs[2] = tt_spec("csv", NULL);
    specs[3] = tt_spec("logfmt", NULL);
    specs[4] = tt_spec(NULL, "aws-cloudfront");
    specs[5] = tt_spec(NULL, "envoy");
    specs[6] = tt_spec(NULL, "apache-combined");
    tf_text_field star[] = { { "*", "auto", NULL } };
    specs[2].fields = specs[3].fields = star;
    specs[2].n_fields = specs[3].n_fields = 1;
    uint64_t x = 0x9e3779b97f4a7c15u;
    size_t records = 0, rejects = 0, badmsg = 0, badrec = 0;
    char line[512];
    for (size_t k = 0; k < TF_ARRAY_LEN(specs); k++) {
        tt t;
        if (!tt_open(&t, &specs[k]))
            continue;
        for (int i = 0; i < 3000; i++) {
            const char *seed = seeds[(size_t)i % TF_ARRAY_LEN(seeds)];
            size_t n = strlen(seed);
            memcpy(line, seed, n);
            for (int m = 0; m < 1 + i % 4; m++) {
                x = x * 6364136223846793005u + 1442695040888963407u;
                size_t at = (size_t)(x >> 33) % (n ? n : 1);
                switch ((x >> 20) % 4) {
                case 0: line[at] = (char)(x >> 40); break;               /* any byte */
                case 1: n = at; break;                                   /* cut */
                case 2: if (n + 8 < sizeof line) { memmove(line + at + 8, line + at, n - at); n += 8; } break;
                default: line[at] = "\"\\,=\t -[]#%"[(x >> 44) % 12]; break; /* a delimiter */
                }
            }
            const tf_text_columns *cols;
            tf_json *rec = NULL;
            tf_err why;
            tf_err_clear(&why);
            if (tf_text_stream_line(t.st, line, n, &cols, &why) != TF_TEXT_DATA)
                continue;
            tf_arena_reset(&t.arena);
            int rc = tf_text_parse(t.p, cols, &t.arena, line, n, &rec, &why);
            if (rc == TF_TEXT_OK) {
                records++;
                if (!rec || rec->type != TF_JSON_OBJECT)
                    badrec++;
            } else {
                rejects++;
                if ((rc != TF_TEXT_NOMATCH && rc != TF_TEXT_BADVALUE) || !why.msg[0])
                    badmsg++;
            }
        }
        tt_close(&t);
    }
    ok(records > 100 && rejects > 100, "mutations give records (%zu) and rejects (%zu)", records, rejects);
    is_int(badrec, 0, "every record is an object");
    is_int(badmsg, 0, "every reject has a reason");
}

int main(void)
{
    test_types();
    test_utf8();
    test_regex();
    test_csv();
    test_logfmt();
    test_w3c();
    test_gate();
    test_describe();
    test_from_json();
    test_threads();
    test_mutations();
    return done_testing();
}
