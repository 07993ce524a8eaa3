/* unit-response.c: decoding the backend's answers (otlp/response.h):
 * ExportTraceServiceResponse.partial_success in protobuf (bytes written by
 * hand from trace_service.proto and checked with protoc --encode) and JSON
 * (both spellings, counts as strings and numbers), google.rpc.Status.message
 * and its plain-text fallback, fields of the wrong wire type, truncated and
 * random input, and counts that are negative or absurd. */
#include "config.h"
#include "otlp/response.h"
#include "tap.h"

#include <limits.h>

#define B(lit) (lit), sizeof(lit) - 1

typedef struct {
    int rc;
    int64_t rejected;
    tf_buf msg;
    tf_err err;
} ps_result;

static ps_result ps(bool json, const void *body, size_t n)
{
    ps_result r = { 0 };
    r.rejected = 12345; /* must be overwritten */
    r.rc = tf_otlp_partial_success(json, body, n, &r.rejected, &r.msg, &r.err);
    tf_buf_cstr(&r.msg);
    return r;
}

static void expect_ps(bool json, const void *body, size_t n, int rc, int64_t rejected, const char *msg,
                      const char *what)
{
    ps_result r = ps(json, body, n);
    ok(r.rc == rc && r.rejected == rejected && strcmp(r.msg.p ? r.msg.p : "", msg) == 0,
       "%s %s: rc %d, %lld rejected, message '%s'", json ? "json" : "pb", what, rc, (long long)rejected, msg);
    if (r.rc != rc || r.rejected != rejected)
        diag("got rc %d, %lld rejected, message '%s', err '%s'", r.rc, (long long)r.rejected,
             r.msg.p ? r.msg.p : "", r.err.msg);
    tf_buf_free(&r.msg);
}

/* A malformed body: -1, nothing reported, and err says where (contains want). */
static void expect_bad(bool json, const void *body, size_t n, const char *want, const char *what)
{
    ps_result r = ps(json, body, n);
    ok(r.rc == -1 && r.rejected == 0 && r.msg.len == 0 && r.err.msg[0] && strstr(r.err.msg, want) != NULL,
       "%s %s: malformed, error mentions '%s'", json ? "json" : "pb", what, want);
    if (r.rc != -1 || !strstr(r.err.msg, want))
        diag("got rc %d, err '%s'", r.rc, r.err.msg);
    tf_buf_free(&r.msg);
}

static void test_pb_partial(void)
{
    /* partial_success { rejected_spans: 3 error_message: "3 spans too old" } */
    static const char full[] = "\x0a\x13\x08\x03\x12\x0f"
                               "3 spans too old";
    expect_ps(false, B(full), 1, 3, "3 spans too old", "rejected spans and a message");
    expect_ps(false, B("\x0a\x02\x08\x07"), 1, 7, "", "rejected spans only");
    expect_ps(false, B("\x0a\x06\x12\x04note"), 1, 0, "note", "a message only");
    expect_ps(false, "", 0, 0, 0, "", "an empty answer");
    expect_ps(false, B("\x0a\x00"), 0, 0, "", "an empty partial_success");
    expect_ps(false, B("\x0a\x04\x08\x00\x12\x00"), 0, 0, "", "zero spans and an empty message");
    /* unknown fields around it (varint, fixed64, fixed32, bytes) are skipped */
    expect_ps(false,
              B("\x10\x01"
                "\x19\x01\x02\x03\x04\x05\x06\x07\x08"
                "\x0a\x04\x08\x02\x28\x09"
                "\x2d\xaa\xbb\xcc\xdd"
                "\x32\x02zz"),
              1, 2, "", "unknown fields skipped");
    /* proto3 merging: a second partial_success adds to the first, last value wins */
    expect_ps(false, B("\x0a\x05\x08\x02\x12\x01" "a" "\x0a\x03\x12\x01" "b"), 1, 2, "b",
              "two occurrences merge");
    /* int64 -5 is a ten-byte varint; INT64_MAX and 2^64-1 are reported as decoded */
    expect_ps(false, B("\x0a\x0b\x08\xfb\xff\xff\xff\xff\xff\xff\xff\xff\x01"), 1, -5, "",
              "a negative count as decoded");
    expect_ps(false, B("\x0a\x0a\x08\xff\xff\xff\xff\xff\xff\xff\xff\x7f"), 1, INT64_MAX, "",
              "INT64_MAX as decoded");
    expect_ps(false, B("\x0a\x0b\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"), 1, -1, "",
              "2^64-1 reads as int64 -1");

    /* the appended message keeps what the caller's buffer held */
    tf_buf m = { 0 };
    tf_buf_puts(&m, "prefix: ");
    int64_t rej = 0;
    int rc = tf_otlp_partial_success(false, B(full), &rej, &m, NULL);
    ok(rc == 1 && m.len == 8 + 15 && !memcmp(m.p, "prefix: 3 spans too old", m.len),
       "the message is appended to the caller's buffer (err may be NULL)");
    rc = tf_otlp_partial_success(false, B("\x0a\x05"), &rej, &m, NULL);
    ok(rc == -1 && m.len == 23 && rej == 0, "a malformed answer leaves the buffer as it was");
    tf_buf_free(&m);
}

static void test_pb_malformed(void)
{
    /* The known bug: field 1 as a varint was "found" without a value. */
    expect_bad(false, B("\x08\x03\x12\x04oops"), "byte 0: partial_success has wire type 0",
               "08 03 12 04 'oops' (field 1 as a varint)");
    expect_bad(false, B("\x0d\x01\x02\x03\x04"), "wire type 5", "partial_success as fixed32");
    expect_bad(false, B("\x0a\x02\x0a\x00"), "byte 2: partial_success.rejected_spans has wire type 2",
               "rejected_spans as bytes");
    expect_bad(false, B("\x0a\x02\x10\x05"), "partial_success.error_message has wire type 0",
               "error_message as a varint");
    expect_bad(false, B("\x0a\x03\x12\x01\xff"), "not valid UTF-8", "error_message not UTF-8");
    expect_bad(false, B("\x0a\x05\x08\x03"), "length 5 runs past the end", "a length past the end");
    expect_bad(false, B("\x0a\x02\x08\xff"), "byte 2: field 1: truncated or overlong varint", "a truncated varint");
    expect_bad(false, B("\x80"), "byte 0: truncated or overlong field key", "a truncated key");
    expect_bad(false, B("\x0a"), "truncated length", "a key without its length");
    expect_bad(false, B("\x00\x01"), "invalid field number 0", "field number 0");
    expect_bad(false, B("\x0b\x0c"), "unsupported wire type 3", "a group");
    expect_bad(false, B("\x09\x01\x02"), "truncated 8-byte value", "a truncated fixed64");
    expect_bad(false, B("\x10\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"), "overlong varint",
               "a varint longer than ten bytes");
    expect_bad(false, B("OK"), "unsupported wire type 7", "a gateway's plain-text OK");

    /* Every proper prefix of a valid answer is truncated. */
    static const char full[] = "\x0a\x13\x08\x03\x12\x0f"
                               "3 spans too old";
    int bad = 0;
    for (size_t n = 1; n < sizeof full - 1; n++) {
        ps_result r = ps(false, full, n);
        if (r.rc != -1 || r.rejected != 0 || r.msg.len != 0)
            bad++;
        tf_buf_free(&r.msg);
    }
    ok(bad == 0, "all %zu proper prefixes of a valid answer are malformed", sizeof full - 2);
}

static void test_json_partial(void)
{
    expect_ps(true, B("{\"partialSuccess\":{\"rejectedSpans\":\"3\",\"errorMessage\":\"3 spans too old\"}}"), 1, 3,
              "3 spans too old", "camelCase, count as a string");
    expect_ps(true, B("{\"partial_success\":{\"rejected_spans\":4,\"error_message\":\"too big\"}}"), 1, 4,
              "too big", "snake_case, count as a number");
    expect_ps(true, B("{\"partialSuccess\":{\"rejectedSpans\":7}}"), 1, 7, "", "count only");
    expect_ps(true, B(" {\"partialSuccess\": {\"errorMessage\": \"hello\"}} \n"), 1, 0, "hello", "message only");
    expect_ps(true, B("{\"partialSuccess\":{\"rejectedSpans\":\"5\"},\"partial_success\":{\"rejectedSpans\":\"6\"}}"),
              1, 5, "", "camelCase wins over snake_case");
    expect_ps(true, B("{\"partialSuccess\":{\"rejectedSpans\":2e1}}"), 1, 20, "", "an integral exponent form");
    expect_ps(true, "", 0, 0, 0, "", "an empty answer");
    expect_ps(true, B(" \r\n"), 0, 0, "", "a blank answer");
    expect_ps(true, B("{}"), 0, 0, "", "an empty object");
    expect_ps(true, B("{\"partialSuccess\":null}"), 0, 0, "", "partialSuccess null");
    expect_ps(true, B("{\"partialSuccess\":{}}"), 0, 0, "", "an empty partialSuccess");
    expect_ps(true, B("{\"partialSuccess\":{\"rejectedSpans\":\"0\",\"errorMessage\":\"\"}}"), 0, 0, "",
              "zero spans, empty message");
    expect_ps(true, B("{\"other\":[1,2,{\"partialSuccess\":1}]}"), 0, 0, "", "unknown keys are skipped");
    expect_ps(true, B("{\"partialSuccess\":{\"rejectedSpans\":-2}}"), 1, -2, "", "a negative count as decoded");
    expect_ps(true, B("{\"partialSuccess\":{\"rejectedSpans\":\"9223372036854775807\"}}"), 1, INT64_MAX, "",
              "INT64_MAX as decoded");

    expect_bad(true, B("{\"partialSuccess\":{\"rejectedSpans\":\"99999999999999999999\"}}"),
               "partialSuccess.rejectedSpans is not a 64-bit integer", "a count beyond int64");
    expect_bad(true, B("{\"partial_success\":{\"rejected_spans\":\"3x\"}}"),
               "partial_success.rejected_spans is not a 64-bit integer", "a count that is not a number");
    expect_bad(true, B("{\"partialSuccess\":{\"rejectedSpans\":1.5}}"), "not a 64-bit integer", "a fractional count");
    expect_bad(true, B("{\"partialSuccess\":{\"rejectedSpans\":true}}"), "not a 64-bit integer", "a boolean count");
    expect_bad(true, B("{\"partialSuccess\":{\"errorMessage\":3}}"), "partialSuccess.errorMessage is not a string",
               "a message that is a number");
    expect_bad(true, B("{\"partialSuccess\":5}"), "partialSuccess is not an object", "partialSuccess a number");
    expect_bad(true, B("[1]"), "not a JSON object", "an array");
    expect_bad(true, B("{\"partialSuccess\":{\"rejectedSpans\":3"), "", "a truncated object");
    expect_bad(true, B("{} {}"), "", "two values");
    expect_bad(true, B("OK"), "", "plain text");
    expect_bad(true, B("\x08\x03\x12\x04oops"), "", "protobuf bytes read as JSON");
}

static void expect_status(bool json, const void *body, size_t n, bool found, const char *msg, const char *what)
{
    tf_buf m = { 0 };
    bool got = tf_rpc_status_message(json, body, n, &m);
    tf_buf_cstr(&m);
    ok(got == found && strcmp(m.p ? m.p : "", msg) == 0, "status %s %s: %s '%s'", json ? "json" : "pb", what,
       found ? "message" : "none", msg);
    if (got != found || strcmp(m.p ? m.p : "", msg))
        diag("got %d '%s'", got, m.p ? m.p : "");
    tf_buf_free(&m);
}

static void test_status(void)
{
    expect_status(false, B("\x08\x03\x12\x04oops"), true, "oops", "code 3, message");
    expect_status(false, B("\x08\x05\x12\x09not found\x1a\x03\x0a\x01x"), true, "not found", "with details");
    expect_status(false, B("\x12\x01" "a" "\x12\x01" "b"), true, "b", "the last message wins");
    expect_status(false, B("\x08\x03"), false, "", "a code without a message");
    expect_status(false, B("\x08\x03\x10\x04"), false, "", "the message as a varint is no message");
    expect_status(false, B("\x08\x03\x12\x05oo"), false, "", "a truncated message");
    expect_status(false, B("\x12\x02\xc3\x28"), false, "", "a message that is not UTF-8");
    expect_status(false, "", 0, false, "", "an empty body");
    expect_status(true, B("{\"code\":3,\"message\":\"bad span\",\"details\":[]}"), true, "bad span", "JSON Status");
    /* no Status message: the body itself, when it is short plain text */
    expect_status(true, B("{\"code\":3}"), true, "{\"code\":3}", "JSON without a message falls back to the text");
    expect_status(false, B("upstream connect error\r\n"), true, "upstream connect error", "plain text");
    expect_status(true, B("line one\nline two\n"), true, "line one line two", "line breaks become spaces");
    expect_status(false, B("<html><body>502 Bad Gateway</body></html>"), false, "", "HTML is not shown");
    expect_status(false, B("\x01\x02text"), false, "", "control bytes are not text");
    expect_status(false, B("\xff\xfe"), false, "", "not UTF-8");
    expect_status(false, B("\r\n"), false, "", "only a line break");
    char big[601];
    memset(big, 'a', sizeof big - 1);
    big[600] = '\0';
    expect_status(false, big, 600, false, "", "text over 512 bytes is not shown");
    big[512] = '\0';
    expect_status(false, big, 512, true, big, "text of 512 bytes is");
}

/* Random bytes: never a crash (ASan/valgrind watch), and a result that is
 * consistent: 1 only with something to report, otherwise nothing reported. */
static void test_random(void)
{
    uint64_t x = 0x9E3779B97F4A7C15ull;
    int inconsistent = 0, seen[3] = { 0 };
    for (int i = 0; i < 20000; i++) {
        uint8_t buf[48];
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        size_t n = (size_t)(x % sizeof buf);
        for (size_t j = 0; j < n; j++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            buf[j] = (uint8_t)(x >> 32);
            /* bias towards the field keys that matter */
            if ((x & 7) == 0)
                buf[j] = "\x0a\x08\x12\x10"[x >> 8 & 3];
        }
        bool json = i & 1;
        ps_result r = ps(json, buf, n);
        if (r.rc < -1 || r.rc > 1 || (r.rc != 1 && (r.rejected || r.msg.len)) ||
            (r.rc == 1 && !r.rejected && !r.msg.len) || (r.rc == -1 && !r.err.msg[0]))
            inconsistent++;
        seen[r.rc + 1]++;
        tf_buf_free(&r.msg);
        tf_buf m = { 0 };
        tf_rpc_status_message(json, buf, n, &m);
        tf_buf_free(&m);
    }
    /* One byte of a valid answer changed at random. */
    static const char full[] = "\x0a\x13\x08\x03\x12\x0f"
                               "3 spans too old";
    for (int i = 0; i < 20000; i++) {
        uint8_t buf[sizeof full - 1];
        memcpy(buf, full, sizeof buf);
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        buf[(x >> 8) % sizeof buf] = (uint8_t)(x >> 40);
        ps_result r = ps(false, buf, sizeof buf);
        if ((r.rc != 1 && (r.rejected || r.msg.len)) || (r.rc == -1 && !r.err.msg[0]))
            inconsistent++;
        seen[r.rc + 1]++;
        tf_buf_free(&r.msg);
    }
    ok(inconsistent == 0, "40000 random and mutated answers: results consistent (%d malformed, %d none, %d partial)",
       seen[0], seen[1], seen[2]);
    ok(seen[0] && seen[1] && seen[2], "the random answers reached all three results");
}

/* What a 2xx answer is: OTLP only with a matching Content-Type. */
static void expect_answer(const char *ctype, const void *body, size_t n, uint64_t sent, tf_answer_kind want,
                          int64_t want_rejected, const char *want_err, const char *what)
{
    int64_t rejected = 777;
    tf_buf msg = { 0 };
    tf_err err = { "" };
    tf_answer_kind k = tf_otlp_answer(ctype, body, n, sent, &rejected, &msg, &err);
    bool good = k == want && rejected == want_rejected && (!want_err || strstr(err.msg, want_err));
    if (!ok(good, "2xx %s: kind %d", what, want))
        diag("got kind %d, %lld rejected, err '%s'", k, (long long)rejected, err.msg);
    tf_buf_free(&msg);
}

static void test_answer_kind(void)
{
    static const char ps3[] = "\x0a\x02\x08\x03"; /* partial_success { rejected_spans: 3 } */
    static const char neg[] = "\x0a\x0b\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"; /* -1 */
    static const char page[] = "<!DOCTYPE html>\n<html><head><title>Grafana</title></head><body></body></html>\n";
    expect_answer(NULL, "", 0, 10, TF_ANSWER_OK, 0, NULL, "empty body, no Content-Type");
    expect_answer("text/html", "", 0, 10, TF_ANSWER_OK, 0, NULL, "empty body, whatever the type");
    expect_answer("application/x-protobuf", B(ps3), 10, TF_ANSWER_PARTIAL, 3, NULL, "protobuf partial success");
    expect_answer("application/protobuf", B(ps3), 10, TF_ANSWER_PARTIAL, 3, NULL, "application/protobuf too");
    expect_answer("Application/X-Protobuf; charset=binary", B(ps3), 10, TF_ANSWER_PARTIAL, 3, NULL,
                  "media type without case, parameters ignored");
    expect_answer("application/json", B("{}"), 10, TF_ANSWER_OK, 0, NULL, "JSON {}");
    expect_answer("application/json; charset=utf-8", B("{\"partialSuccess\":{\"rejectedSpans\":\"2\"}}"), 10,
                  TF_ANSWER_PARTIAL, 2, NULL, "JSON partial success");
    expect_answer("application/x-protobuf", B(neg), 10, TF_ANSWER_MALFORMED, 0, "is -1, a negative count",
                  "rejected_spans -1");
    expect_answer("application/x-protobuf", B(ps3), 2, TF_ANSWER_MALFORMED, 0, "more than the 2 spans",
                  "rejected_spans 3 of 2");
    expect_answer("application/x-protobuf", B(ps3), 3, TF_ANSWER_PARTIAL, 3, NULL, "rejected_spans 3 of 3");
    expect_answer("application/json", B("{\"partialSuccess\":{\"rejectedSpans\":-5}}"), 10, TF_ANSWER_MALFORMED, 0,
                  "negative", "JSON rejected_spans -5");
    expect_answer("application/x-protobuf", B("\x0a\x05\x08"), 10, TF_ANSWER_MALFORMED, 0,
                  "does not decode as an ExportTraceServiceResponse", "truncated protobuf");
    expect_answer("application/json", B("{\"partialSuccess\":"), 10, TF_ANSWER_MALFORMED, 0, "JSON",
                  "truncated JSON");
    expect_answer("text/html; charset=utf-8", B(page), 10, TF_ANSWER_NOT_OTLP, 0, "a web page", "an HTML page");
    expect_answer("application/json", B(page), 10, TF_ANSWER_NOT_OTLP, 0, "a web page", "HTML labelled JSON");
    expect_answer(NULL, B(page), 10, TF_ANSWER_NOT_OTLP, 0, "a web page", "HTML without a Content-Type");
    expect_answer("text/plain", B("OK\n"), 10, TF_ANSWER_NOT_OTLP, 0, "text: \"OK\"", "plain text OK");
    expect_answer(NULL, B("\x0a\x02\x08\x03"), 10, TF_ANSWER_NOT_OTLP, 0, "another kind",
                  "protobuf bytes without a Content-Type");
    expect_answer("application/octet-stream", B("\x01\x02"), 10, TF_ANSWER_NOT_OTLP, 0, "another kind",
                  "octet-stream");
}

int main(void)
{
    test_answer_kind();
    test_pb_partial();
    test_pb_malformed();
    test_json_partial();
    test_status();
    test_random();
    return done_testing();
}
