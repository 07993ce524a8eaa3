/* unit-frame.c: framing modes, offsets, lines, oversize records, skip_to, and
 * the same frames whatever the read size (every case re-fed 1..64 bytes at a
 * time and in larger odd sizes). */
#include "config.h"
#include "input/frame.h"
#include "tap.h"

#include <sys/resource.h>
#include <zlib.h>

/* Frames a buffer and renders every frame as one line of text. */
static char *frames_of(const void *data, size_t n, size_t max_read, size_t max_rec,
                       uint64_t skip_to, const char **mode)
{
    tf_stream *s = tf_stream_open_memory(data, n, max_read, "case");
    tf_framer *f = tf_framer_new(max_rec);
    tf_framer_start(f, s, skip_to);
    tf_buf out = { 0 };
    for (;;) {
        tf_frame fr;
        tf_err why;
        int r = tf_framer_next(f, &fr, &why);
        if (r == TF_FRAME_END) {
            tf_buf_puts(&out, "END");
            break;
        }
        if (r == TF_FRAME_ERROR) {
            tf_buf_printf(&out, "ERROR %s", why.msg);
            break;
        }
        tf_buf_printf(&out, "%s %llu+%zu end=%llu L%llu #%llu ", r == TF_FRAME_RECORD ? "R" : "BAD",
                      (unsigned long long)fr.offset, fr.len, (unsigned long long)fr.end,
                      (unsigned long long)fr.line, (unsigned long long)fr.index);
        if (r == TF_FRAME_RECORD)
            tf_buf_append(&out, fr.p, fr.len);
        else
            tf_buf_printf(&out, "[%s]%s", why.msg, fr.p ? " p!=NULL" : "");
        tf_buf_putc(&out, '\n');
    }
    if (mode)
        *mode = tf_framer_mode(f);
    tf_framer_free(f);
    tf_stream_close(s);
    tf_buf_cstr(&out);
    return out.p;
}

/* The unlimited read must give `want`; every small and odd read size the same. */
static void check_case(const char *label, const void *data, size_t n, size_t max_rec,
                       const char *want_mode, const char *want)
{
    const char *mode;
    char *full = frames_of(data, n, 0, max_rec, 0, &mode);
    is_str(full, want, "%s: frames", label);
    is_str(mode, want_mode, "%s: mode", label);
    static const size_t odd[] = { 97, 211, 509, 1021, 4093, 65537 };
    size_t bad = 0, first_bad = 0;
    char *first_got = NULL;
    for (size_t i = 1; i <= 64 + TF_ARRAY_LEN(odd); i++) {
        size_t rs = i <= 64 ? i : odd[i - 65];
        char *got = frames_of(data, n, rs, max_rec, 0, NULL);
        if (strcmp(got, full) != 0) {
            if (!bad++) {
                first_bad = rs;
                first_got = got;
                continue;
            }
        }
        free(got);
    }
    ok(bad == 0, "%s: same frames with reads of 1..64, 97 .. 65537 bytes", label);
    if (bad) {
        diag("read size %zu gave:\n%s", first_bad, first_got);
        free(first_got);
    }
    free(full);
}

#define CASE(label, lit, max, mode, want) check_case(label, lit, sizeof(lit) - 1, max, mode, want)

static void test_lines(void)
{
    CASE("lines", "{\"a\":1}\n{\"b\":2}\n", 0, "lines",
         "R 0+7 end=8 L1 #0 {\"a\":1}\n"
         "R 8+7 end=16 L2 #1 {\"b\":2}\n"
         "END");
    CASE("CRLF and blank lines", "\r\n{\"a\":1}\r\n\r\n  \t\n\n  {\"b\":2} \r\n \r \n", 0, "lines",
         "R 2+7 end=11 L2 #0 {\"a\":1}\n"
         "R 20+8 end=30 L6 #1 {\"b\":2} \n"
         "END");
    CASE("BOM", "\xef\xbb\xbf{\"a\":1}\n{\"b\":2}\n", 0, "lines",
         "R 3+7 end=11 L1 #0 {\"a\":1}\n"
         "R 11+7 end=19 L2 #1 {\"b\":2}\n"
         "END");
    CASE("no final newline", "{\"a\":1}\n{\"b\":2}", 0, "lines",
         "R 0+7 end=8 L1 #0 {\"a\":1}\n"
         "R 8+7 end=15 L2 #1 {\"b\":2}\n"
         "END");
    CASE("final CR without LF", "{\"a\":1}\r\n{\"b\":2}\r", 0, "lines",
         "R 0+7 end=9 L1 #0 {\"a\":1}\n"
         "R 9+7 end=17 L2 #1 {\"b\":2}\n"
         "END");
    CASE("broken line in the middle", "{\"a\":1}\n{\"b\":\"open\n{\"c\":3}\n", 0, "lines",
         "R 0+7 end=8 L1 #0 {\"a\":1}\n"
         "R 8+10 end=19 L2 #1 {\"b\":\"open\n"
         "R 19+7 end=27 L3 #2 {\"c\":3}\n"
         "END");
    CASE("broken first line (newline inside a string)", "{\"b\":\"open\n{\"c\":3}\n", 0, "lines",
         "R 0+10 end=11 L1 #0 {\"b\":\"open\n"
         "R 11+7 end=19 L2 #1 {\"c\":3}\n"
         "END");
    CASE("several values on one line stay one frame", "{\"a\":1} {\"b\":2}\n{\"c\":3}\n", 0,
         "values",
         "R 0+7 end=7 L1 #0 {\"a\":1}\n"
         "R 8+7 end=15 L1 #1 {\"b\":2}\n"
         "R 16+7 end=23 L2 #2 {\"c\":3}\n"
         "END");
    CASE("first value then a second on the next line", "{\"a\":1}\n{\"b\":2} {\"c\":3}\n", 0, "lines",
         "R 0+7 end=8 L1 #0 {\"a\":1}\n"
         "R 8+15 end=24 L2 #1 {\"b\":2} {\"c\":3}\n"
         "END");
    CASE("scalars one per line", "12\n\"x\"\ntrue\n", 0, "lines",
         "R 0+2 end=3 L1 #0 12\nR 3+3 end=7 L2 #1 \"x\"\nR 7+4 end=12 L3 #2 true\nEND");
    CASE("text is framed by lines", "hello world\nsecond line\n", 0, "lines",
         "R 0+11 end=12 L1 #0 hello world\nR 12+11 end=24 L2 #1 second line\nEND");
    CASE("empty stream", "", 0, "lines", "END");
    CASE("only blanks", " \r\n\n\t\n", 0, "lines", "END");
    CASE("only a BOM", "\xef\xbb\xbf", 0, "lines", "END");
    CASE("escaped quote and backslash", "{\"a\":\"x\\\"y\\\\\"}\n{\"b\":\"\\\\\"}\n", 0, "lines",
         "R 0+14 end=15 L1 #0 {\"a\":\"x\\\"y\\\\\"}\n"
         "R 15+10 end=26 L2 #1 {\"b\":\"\\\\\"}\n"
         "END");
}

static void test_array(void)
{
    CASE("array with nested arrays and brackets in strings",
         "[{\"a\":[1,[2]],\"s\":\"]}[{\"},\n {\"b\":\"x\\\"]\"} , 3,\"s\\\\\" ,[4,5] ]\n", 0, "array",
         "R 1+24 end=25 L1 #0 {\"a\":[1,[2]],\"s\":\"]}[{\"}\n"
         "R 28+12 end=40 L2 #1 {\"b\":\"x\\\"]\"}\n"
         "R 43+1 end=44 L2 #2 3\n"
         "R 45+5 end=50 L2 #3 \"s\\\\\"\n"
         "R 52+5 end=57 L2 #4 [4,5]\n"
         "END");
    CASE("several arrays in a row, BOM, pretty-printed",
         "\xef\xbb\xbf\n[\n  {\n    \"a\": 1\n  },\n  {\"b\": 2}\n]\n[{\"c\":3}][]\n[ ]", 0, "array",
         "R 8+16 end=24 L3 #0 {\n    \"a\": 1\n  }\n"
         "R 28+8 end=36 L6 #1 {\"b\": 2}\n"
         "R 40+7 end=47 L8 #2 {\"c\":3}\n"
         "END");
    CASE("array truncated inside a record", "[{\"a\":1},{\"b\":[2,", 0, "array",
         "R 1+7 end=8 L1 #0 {\"a\":1}\n"
         "R 9+8 end=17 L1 #1 {\"b\":[2,\n"
         "END");
    CASE("array missing its closing bracket", "[{\"a\":1},\n{\"b\":2}\n", 0, "array",
         "R 1+7 end=8 L1 #0 {\"a\":1}\n"
         "R 10+7 end=17 L2 #1 {\"b\":2}\n"
         "END");
    CASE("stray closer inside an array is a record", "[{\"a\":1},}]", 0, "array",
         "R 1+7 end=8 L1 #0 {\"a\":1}\nR 9+1 end=10 L1 #1 }\nEND");
}

static void test_values(void)
{
    CASE("concatenated without separators", "{\"a\":1}{\"b\":{}}{\"c\":\"}{\"}", 0, "values",
         "R 0+7 end=7 L1 #0 {\"a\":1}\n"
         "R 7+8 end=15 L1 #1 {\"b\":{}}\n"
         "R 15+10 end=25 L1 #2 {\"c\":\"}{\"}\n"
         "END");
    CASE("pretty-printed values", "{\n  \"a\": 1,\n  \"b\": [\n    1\n  ]\n}\n{\n  \"c\": \"x\"\n}\n", 0,
         "values",
         "R 0+32 end=32 L1 #0 {\n  \"a\": 1,\n  \"b\": [\n    1\n  ]\n}\n"
         "R 33+14 end=47 L7 #1 {\n  \"c\": \"x\"\n}\n"
         "END");
    CASE("garbage at depth 0 is one frame to the end of its line",
         "{\n\"a\":1}\nhello world\r\n{\"b\":2} ]oops\n", 0, "values",
         "R 0+8 end=8 L1 #0 {\n\"a\":1}\n"
         "R 9+11 end=21 L3 #1 hello world\n"
         "R 22+7 end=29 L4 #2 {\"b\":2}\n"
         "R 30+5 end=35 L4 #3 ]oops\n"
         "END");
    CASE("scalars and strings as values", "1 2{}\"x\\\"\"\ntrue", 0, "values",
         "R 0+1 end=1 L1 #0 1\n"
         "R 2+1 end=3 L1 #1 2\n"
         "R 3+2 end=5 L1 #2 {}\n"
         "R 5+5 end=10 L1 #3 \"x\\\"\"\n"
         "R 11+4 end=15 L2 #4 true\n"
         "END");
    CASE("truncated final record", "{\"a\":\n1}\n{\n\"b\": \"x", 0, "values",
         "R 0+8 end=8 L1 #0 {\"a\":\n1}\n"
         "R 9+9 end=18 L3 #1 {\n\"b\": \"x\n"
         "END");
    CASE("newlines inside strings are counted", "{\"a\":\n\"x\ny\"} {\"b\":2}", 0, "values",
         "R 0+12 end=12 L1 #0 {\"a\":\n\"x\ny\"}\n"
         "R 13+7 end=20 L3 #1 {\"b\":2}\n"
         "END");
}

static void test_oversize(void)
{
    CASE("oversize line", "{\"a\":1}\n{\"b\":\"0123456789\"}\r\n{\"c\":3}\n", 10, "lines",
         "R 0+7 end=8 L1 #0 {\"a\":1}\n"
         "BAD 8+18 end=28 L2 #1 [record exceeds --max-record-bytes (10)]\n"
         "R 28+7 end=36 L3 #2 {\"c\":3}\n"
         "END");
    CASE("line of exactly the limit (CR not counted)", "0123456789\r\n01234567890\n", 10, "lines",
         "R 0+10 end=12 L1 #0 0123456789\n"
         "BAD 12+11 end=24 L2 #1 [record exceeds --max-record-bytes (10)]\n"
         "END");
    CASE("oversize final line without newline", "{\"a\":1}\n{\"b\":\"0123456789\"}", 10, "lines",
         "R 0+7 end=8 L1 #0 {\"a\":1}\n"
         "BAD 8+18 end=26 L2 #1 [record exceeds --max-record-bytes (10)]\n"
         "END");
    CASE("oversize first line decides lines mode", "{\"b\":\"0123456789\"}\n{}\n", 10, "lines",
         "BAD 0+18 end=19 L1 #0 [record exceeds --max-record-bytes (10)]\n"
         "R 19+2 end=22 L2 #1 {}\n"
         "END");
    CASE("oversize value", "{\"a\":\n1}\n{\n\"b\":\"0123456789\"\n}\n{\"c\":\n3}", 12, "values",
         "R 0+8 end=8 L1 #0 {\"a\":\n1}\n"
         "BAD 9+20 end=29 L3 #1 [record exceeds --max-record-bytes (12)]\n"
         "R 30+8 end=38 L6 #2 {\"c\":\n3}\n"
         "END");
    CASE("value of exactly the limit", "{\n\"b\":\"0123\"}{\n\"b\":\"01234\"}", 13, "values",
         "R 0+13 end=13 L1 #0 {\n\"b\":\"0123\"}\n"
         "BAD 13+14 end=27 L2 #1 [record exceeds --max-record-bytes (13)]\n"
         "END");
    CASE("oversize array element", "[{\"a\":1},{\"b\":\"]]]0123456789\"},{\"c\":3}]", 12, "array",
         "R 1+7 end=8 L1 #0 {\"a\":1}\n"
         "BAD 9+21 end=30 L1 #1 [record exceeds --max-record-bytes (12)]\n"
         "R 31+7 end=38 L1 #2 {\"c\":3}\n"
         "END");
    CASE("oversize garbage line in values mode", "{\n}\nxxxxxxxxxxxxxxxxxxxx\r\n{\n}", 8, "values",
         "R 0+3 end=3 L1 #0 {\n}\n"
         "BAD 4+20 end=25 L3 #1 [record exceeds --max-record-bytes (8)]\n"
         "R 26+3 end=29 L4 #2 {\n}\n"
         "END");
    CASE("oversize truncated final value", "{\"a\":1}{\"b\":\"01234567890123", 10, "values",
         "R 0+7 end=7 L1 #0 {\"a\":1}\n"
         "BAD 7+20 end=27 L1 #1 [record exceeds --max-record-bytes (10)]\n"
         "END");
}

static void test_binary(void)
{
    /* Binary junk: NULs, high bytes, no structure. Lines mode, nothing hangs. */
    unsigned char junk[3000];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof junk; i++) {
        x = x * 1103515245u + 12345u;
        junk[i] = (unsigned char)(x >> 24);
        if (junk[i] == '\n' || junk[i] == '{' || junk[i] == '[' || junk[i] == '"')
            junk[i] = 0;
    }
    junk[0] = 0x7f; /* cannot start a value */
    junk[1000] = '\n';
    const char *mode;
    char *full = frames_of(junk, sizeof junk, 0, 500, 0, &mode);
    is_str(mode, "lines", "binary: lines mode");
    is_str(full,
           "BAD 0+1000 end=1001 L1 #0 [record exceeds --max-record-bytes (500)]\n"
           "BAD 1001+1999 end=3000 L2 #1 [record exceeds --max-record-bytes (500)]\nEND",
           "binary: two oversize lines");
    char *small = frames_of(junk, sizeof junk, 7, 500, 0, NULL);
    is_str(small, full, "binary: same frames with 7-byte reads");
    free(full);
    free(small);
}

static void test_skip_to(void)
{
    const char *data = "{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n";
    char *got = frames_of(data, strlen(data), 0, 0, 16, NULL);
    is_str(got, "R 16+7 end=24 L3 #2 {\"c\":3}\nEND", "skip_to an end skips the frames before it");
    free(got);
    got = frames_of(data, strlen(data), 3, 0, 12, NULL);
    is_str(got, "R 8+7 end=16 L2 #1 {\"b\":2}\nR 16+7 end=24 L3 #2 {\"c\":3}\nEND",
           "skip_to inside a record keeps that record");
    free(got);
    const char *arr = "[{\"a\":1},\n{\"b\":2},{\"c\":3}]";
    got = frames_of(arr, strlen(arr), 1, 0, 17, NULL);
    is_str(got, "R 18+7 end=25 L2 #2 {\"c\":3}\nEND", "skip_to in array mode keeps indexes and lines");
    free(got);
}

/* Many mixed records: the same frames with many read sizes. */
static void test_generated(void)
{
    tf_buf lines = { 0 }, pretty = { 0 }, arr = { 0 };
    tf_buf_puts(&arr, "[\n");
    for (int i = 0; i < 3000; i++) {
        int pad = (i * 7919) % 300;
        tf_buf_printf(&lines, "%s{\"i\":%d,\"s\":\"%*s\\\"]}\"}%s\n", i % 5 == 0 ? "  " : "", i, pad,
                      "", i % 3 == 0 ? "\r" : "");
        if (i % 11 == 0)
            tf_buf_puts(&lines, "\n \r\n");
        tf_buf_printf(&pretty, "{\n  \"i\": %d,\n  \"a\": [\"%*s\", {\"x\": \"}\"}]\n}%s", i, pad, "",
                      i % 2 ? "\n" : "");
        tf_buf_printf(&arr, "%s{\"i\":%d,\"a\":[[],[\"%*s\"]]}", i ? ",\n  " : "  ", i, pad, "");
    }
    tf_buf_puts(&arr, "\n]\n");
    struct {
        const char *label, *mode;
        tf_buf *b;
        size_t max;
    } cases[] = {
        { "generated lines", "lines", &lines, 0 },
        { "generated lines, small limit", "lines", &lines, 200 },
        { "generated pretty values", "values", &pretty, 0 },
        { "generated pretty values, small limit", "values", &pretty, 150 },
        { "generated array", "array", &arr, 0 },
        { "generated array, small limit", "array", &arr, 180 },
    };
    for (size_t c = 0; c < TF_ARRAY_LEN(cases); c++) {
        const char *mode;
        char *full = frames_of(cases[c].b->p, cases[c].b->len, 0, cases[c].max, 0, &mode);
        is_str(mode, cases[c].mode, "%s: mode", cases[c].label);
        size_t nrec = 0, nbad = 0;
        for (const char *p = full; (p = strchr(p, '\n')) != NULL; p++) {
            if (p[1] == 'R')
                nrec++;
            else if (p[1] == 'B')
                nbad++;
        }
        nrec += full[0] == 'R';
        nbad += full[0] == 'B';
        is_int(nrec + nbad, 3000, "%s: 3000 frames", cases[c].label);
        diag("%s: %zu records, %zu oversize", cases[c].label, nrec, nbad);
        if (cases[c].max)
            ok(nbad > 0 && nrec > 0, "%s: both records and oversize frames", cases[c].label);
        static const size_t sizes[] = { 1, 2, 3, 5, 13, 64, 100, 333, 4095, 65536, 100003 };
        size_t bad = 0;
        for (size_t i = 0; i < TF_ARRAY_LEN(sizes); i++) {
            char *got = frames_of(cases[c].b->p, cases[c].b->len, sizes[i], cases[c].max, 0, NULL);
            if (strcmp(got, full) != 0) {
                bad++;
                diag("read size %zu differs", sizes[i]);
            }
            free(got);
        }
        ok(bad == 0, "%s: identical frames for 11 read sizes", cases[c].label);
        free(full);
    }
    tf_buf_free(&lines);
    tf_buf_free(&pretty);
    tf_buf_free(&arr);
}

static long maxrss_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* A 64 MiB line (gzip-compressed in memory) with a 4 KiB limit: one BAD
 * frame, and the framer never holds the line. */
static void test_bounded_memory(void)
{
    size_t line = 64u << 20;
    z_stream z = { 0 };
    deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY);
    size_t cap = 1u << 20, used = 0;
    unsigned char *gz = tf_xmalloc(cap);
    static unsigned char chunk[1 << 16];
    memset(chunk, 'x', sizeof chunk);
    for (size_t done = 0; done < line; done += sizeof chunk) {
        z.next_in = chunk;
        z.avail_in = sizeof chunk;
        while (z.avail_in) {
            z.next_out = gz + used;
            z.avail_out = (uInt)(cap - used);
            deflate(&z, Z_NO_FLUSH);
            used = cap - z.avail_out;
        }
    }
    const char tail[] = "\n{\"ok\":1}\n";
    z.next_in = (Bytef *)(uintptr_t)tail;
    z.avail_in = sizeof tail - 1;
    z.next_out = gz + used;
    z.avail_out = (uInt)(cap - used);
    int zr = deflate(&z, Z_FINISH);
    used = cap - z.avail_out;
    deflateEnd(&z);
    ok(zr == Z_STREAM_END, "built a %zu-byte gzip of a 64 MiB line", used);

    long before = maxrss_kib();
    tf_stream *s = tf_stream_open_memory(gz, used, 0, "big.gz");
    is_str(tf_stream_get_info(s)->compression, "gzip", "big line: gzip detected");
    tf_framer *f = tf_framer_new(4096);
    tf_framer_start(f, s, 0);
    tf_frame fr;
    tf_err why;
    int r1 = tf_framer_next(f, &fr, &why);
    ok(r1 == TF_FRAME_BAD && fr.p == NULL && fr.len == line && fr.offset == 0 && fr.end == line + 1,
       "big line: one BAD frame of %zu bytes", fr.len);
    int r2 = tf_framer_next(f, &fr, &why);
    ok(r2 == TF_FRAME_RECORD && fr.len == 8 && memcmp(fr.p, "{\"ok\":1}", 8) == 0 && fr.line == 2,
       "big line: the next line is a record");
    is_int(tf_framer_next(f, &fr, &why), TF_FRAME_END, "big line: end");
    long grew = maxrss_kib() - before;
    ok(grew < 8 * 1024, "big line: memory grew by %ld KiB only (bounded)", grew);
    tf_framer_free(f);
    tf_stream_close(s);
    free(gz);
}

/* A stream error after good records: they stand, then TF_FRAME_ERROR. */
static void test_stream_error(void)
{
    const char *text = "{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n";
    unsigned char gz[256];
    z_stream z = { 0 };
    deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY);
    z.next_in = (Bytef *)(uintptr_t)text;
    z.avail_in = (uInt)strlen(text);
    z.next_out = gz;
    z.avail_out = sizeof gz;
    deflate(&z, Z_FINISH);
    size_t n = sizeof gz - z.avail_out;
    deflateEnd(&z);
    /* Cut the trailer: all data decodes, then the end is missing. */
    char *got = frames_of(gz, n - 4, 0, 0, 0, NULL);
    char want[512];
    snprintf(want, sizeof want,
             "R 0+7 end=8 L1 #0 {\"a\":1}\nR 8+7 end=16 L2 #1 {\"b\":2}\nR 16+7 end=24 L3 #2 {\"c\":3}\n"
             "ERROR unexpected end of gzip data at compressed byte %zu (decoded byte 24)",
             n - 4);
    is_str(got, want, "truncated gzip: records, then the error with offsets");
    free(got);
}

int main(void)
{
    test_lines();
    test_array();
    test_values();
    test_oversize();
    test_binary();
    test_skip_to();
    test_generated();
    test_bounded_memory();
    test_stream_error();
    return done_testing();
}
