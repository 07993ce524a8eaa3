/* unit-textread.c: reading text logs: the framer's text mode (every line a
 * record as written, whatever the read size; lines before a resume point
 * shown as skipped) and the reader's frame hook (every frame in order on
 * the reader's side, header flags and tags handed to the consumer, a held
 * block dropped when the hook ends the stream, the hold's limits), inline
 * and threaded alike; and tf_text_lines, the run's reader-side state. */
#include "config.h"
#include "input/reader.h"
#include "map/text/text.h"
#include "tap.h"

#include <unistd.h>

/* ---- the framer's text mode --------------------------------------------------- */

static char *text_frames(const void *data, size_t n, size_t max_read, size_t max_rec, uint64_t skip_to,
                         const char **mode)
{
    tf_stream *s = tf_stream_open_memory(data, n, max_read, "case");
    tf_framer *f = tf_framer_new(max_rec);
    tf_framer_set_text(f, true);
    tf_framer_start(f, s, skip_to);
    tf_buf out = { 0 };
    for (;;) {
        tf_frame fr;
        tf_err why;
        int r = tf_framer_next(f, &fr, &why);
        if (r == TF_FRAME_END || r == TF_FRAME_ERROR) {
            tf_buf_puts(&out, r == TF_FRAME_END ? "END" : "ERROR");
            break;
        }
        const char *k = r == TF_FRAME_RECORD ? "R" : r == TF_FRAME_SKIPPED ? "SKIP" : "BAD";
        tf_buf_printf(&out, "%s %llu+%zu end=%llu L%llu%s%s |", k, (unsigned long long)fr.offset, fr.len,
                      (unsigned long long)fr.end, (unsigned long long)fr.line, fr.tag ? " tag!" : "",
                      fr.header ? " header!" : "");
        if (fr.p)
            tf_buf_append(&out, fr.p, fr.len);
        tf_buf_puts(&out, "|\n");
    }
    if (mode)
        *mode = tf_framer_mode(f);
    tf_framer_free(f);
    tf_stream_close(s);
    tf_buf_cstr(&out);
    return out.p;
}

static void text_case(const char *label, const char *data, size_t max_rec, uint64_t skip_to, const char *want)
{
    size_t n = strlen(data);
    const char *mode;
    char *full = text_frames(data, n, 0, max_rec, skip_to, &mode);
    is_str(full, want, "%s: frames", label);
    is_str(mode, "text lines", "%s: mode", label);
    size_t bad = 0;
    for (size_t rs = 1; rs <= 40; rs++) {
        char *got = text_frames(data, n, rs, max_rec, skip_to, NULL);
        if (strcmp(got, full) != 0 && !bad++)
            diag("read size %zu gave:\n%s", rs, got);
        free(got);
    }
    ok(bad == 0, "%s: same frames with reads of 1..40 bytes", label);
    free(full);
}

static void test_framer(void)
{
    text_case("leading blanks, CRLF, empty lines",
              "\tb\tc\r\n\n  x \r\n\r\n{\"a\":\n1}\n[1,\n", 0, 0,
              "R 0+4 end=6 L1 |\tb\tc|\n"
              "R 7+4 end=13 L3 |  x |\n"
              "R 15+5 end=21 L5 |{\"a\":|\n"
              "R 21+2 end=24 L6 |1}|\n"
              "R 24+3 end=28 L7 |[1,|\n"
              "END");
    text_case("a BOM, no final newline", "\xef\xbb\xbfid,a\n1,x", 0, 0,
              "R 3+4 end=8 L1 |id,a|\n"
              "R 8+3 end=11 L2 |1,x|\n"
              "END");
    text_case("a line of blanks is a record (TSV of empty fields)", "\t\t\n \n", 0, 0,
              "R 0+2 end=3 L1 |\t\t|\n"
              "R 3+1 end=5 L2 | |\n"
              "END");
    text_case("skip_to: earlier lines are shown as skipped", "#Fields: a b\n1 2\n3 4\n5 6\n", 0, 17,
              "SKIP 0+12 end=13 L1 |#Fields: a b|\n"
              "SKIP 13+3 end=17 L2 |1 2|\n"
              "R 17+3 end=21 L3 |3 4|\n"
              "R 21+3 end=25 L4 |5 6|\n"
              "END");
    text_case("oversize lines are BAD, also before skip_to they are not shown", "0123456789\nab\n0123456789\nc\n",
              4, 14,
              "SKIP 11+2 end=14 L2 |ab|\n"
              "BAD 14+10 end=25 L3 ||\n"
              "R 25+1 end=27 L4 |c|\n"
              "END");
    text_case("only a BOM", "\xef\xbb\xbf", 0, 0, "END");
    text_case("empty", "", 0, 0, "END");
    /* set_text(false) goes back to detection for the next stream */
    tf_framer *f = tf_framer_new(0);
    tf_framer_set_text(f, true);
    tf_framer_set_text(f, false);
    tf_stream *s = tf_stream_open_memory("{\"a\":1}\n", 8, 0, "j");
    tf_framer_start(f, s, 0);
    tf_frame fr;
    tf_err why;
    int r = tf_framer_next(f, &fr, &why);
    ok(r == TF_FRAME_RECORD && !strcmp(tf_framer_mode(f), "lines"), "text mode off: JSON lines detected again");
    tf_stream_close(s);
    tf_framer_free(f);
}

/* ---- the reader's frame hook ------------------------------------------------------ */

typedef struct {
    tf_buf seen;     /* what the hook saw, in order */
    int streams;
    uint64_t hold_until_line; /* HOLD for lines before it */
    uint64_t fail_at_line;    /* end the stream at this line (0: never) */
    const char *tag;
} hook_state;

static void h_stream(void *ctx, const tf_stream_info *info)
{
    hook_state *h = ctx;
    h->streams++;
    tf_buf_printf(&h->seen, "[%s]", strrchr(info->name, '/') ? strrchr(info->name, '/') + 1 : info->name);
}

static int h_frame(void *ctx, tf_frame *f, bool skipped, tf_err *err)
{
    hook_state *h = ctx;
    tf_buf_printf(&h->seen, " %s%llu", skipped ? "s" : "", (unsigned long long)f->line);
    if (f->line == h->fail_at_line) {
        tf_err_set(err, "stopped at line %llu", (unsigned long long)f->line);
        return -1;
    }
    f->header = f->len && f->p[0] == '#';
    f->tag = h->tag;
    return f->line < h->hold_until_line ? TF_RD_FRAME_HOLD : TF_RD_FRAME_OK;
}

static bool begin_all(void *ctx, uint32_t slot, const tf_stream_info *info, uint64_t *offset)
{
    (void)slot;
    (void)info;
    *offset = *(const uint64_t *)ctx;
    return true;
}

/* Reads inputs with the hook; renders the consumer's side. */
static char *read_with_hook(const char *const *inputs, size_t n, bool threaded, hook_state *h, uint64_t skip,
                            size_t *max_block)
{
    tf_reader_opts o = { .inputs = inputs, .n_inputs = n, .threaded = threaded, .begin = begin_all,
                         .begin_ctx = &skip, .text_lines = true,
                         .hook = { .stream = h_stream, .frame = h_frame, .ctx = h } };
    tf_reader *r = tf_reader_new(&o);
    tf_buf out = { 0 };
    if (max_block)
        *max_block = 0;
    for (;;) {
        tf_rd_msg *m = tf_reader_next(r);
        if (m->kind == TF_RD_DONE) {
            tf_reader_release(r, m);
            break;
        }
        if (m->kind == TF_RD_FRAMES) {
            tf_buf_puts(&out, "F");
            for (size_t i = 0; i < m->n_frames; i++) {
                const tf_frame *f = &m->frames[i].f;
                tf_buf_printf(&out, " %llu%s%s", (unsigned long long)f->line, f->header ? "h" : "",
                              f->tag == h->tag && h->tag ? "t" : "");
            }
            if (max_block && m->n_frames > *max_block)
                *max_block = m->n_frames;
            tf_buf_putc(&out, '\n');
        } else if (m->kind == TF_RD_END) {
            tf_buf_printf(&out, "END %s end=%llu %s\n", m->framing, (unsigned long long)m->end,
                          m->error ? m->error : "ok");
        }
        tf_reader_release(r, m);
    }
    tf_reader_free(r);
    tf_buf_cstr(&out);
    return out.p;
}

static char tmpdir[64];

static const char *write_file(const char *name, const char *text)
{
    static char paths[8][128];
    static int k;
    char *p = paths[k++ % 8];
    snprintf(p, 128, "%s/%s", tmpdir, name);
    FILE *f = fopen(p, "wb");
    fputs(text, f);
    fclose(f);
    return p;
}

static void test_hook(void)
{
    const char *a = write_file("a.log", "#Fields: x\n1\n2\n#c\n3\n");
    const char *b = write_file("b.log", "4\n5\n");
    const char *in[] = { a, b };
    for (int th = 0; th < 2; th++) {
        const char *how = th ? "threaded" : "inline";
        hook_state h = { .tag = "cols" };
        char *got = read_with_hook(in, 2, th, &h, 0, NULL);
        is_str(tf_buf_cstr(&h.seen), "[a.log] 1 2 3 4 5[b.log] 1 2", "%s: the hook sees every line in order, a stream start before each", how);
        is_str(got, "F 1ht 2t 3t 4ht 5t\nEND text lines end=20 ok\nF 1t 2t\nEND text lines end=4 ok\n",
               "%s: header flags and tags reach the consumer with the frames", how);
        free(got);
        tf_buf_free(&h.seen);

        /* hold lines 1..3, fail at 3: the held block goes with the stream */
        h = (hook_state){ .hold_until_line = 4, .fail_at_line = 3 };
        got = read_with_hook(in, 2, th, &h, 0, NULL);
        is_str(got, "END text lines end=13 stopped at line 3\nF 1 2\nEND text lines end=4 ok\n",
               "%s: ending the stream drops what the hook held; END has its error and the line's offset", how);
        free(got);
        tf_buf_free(&h.seen);

        /* hold only line 1, fail at 3: line 2 released the hold, 1 and 2 are kept */
        h = (hook_state){ .hold_until_line = 2, .fail_at_line = 3 };
        got = read_with_hook(in, 1, th, &h, 0, NULL);
        is_str(got, "F 1h 2\nEND text lines end=13 stopped at line 3\n", "%s: frames after the hold is released stay", how);
        free(got);
        tf_buf_free(&h.seen);

        /* resuming at byte 13 (after "#Fields: x\n1\n"): the hook sees 1 and 2 as skipped */
        h = (hook_state){ .tag = "cols" };
        got = read_with_hook(in, 1, th, &h, 13, NULL);
        is_str(tf_buf_cstr(&h.seen), "[a.log] s1 s2 3 4 5", "%s: lines before the resume point are shown as skipped", how);
        is_str(got, "F 3t 4ht 5t\nEND text lines end=20 ok\n", "%s: and not handed on", how);
        free(got);
        tf_buf_free(&h.seen);
    }
    /* a hold does not grow a block without bound */
    tf_buf big = { 0 };
    for (int i = 0; i < TF_READER_HOLD_FRAMES + 500; i++)
        tf_buf_puts(&big, "line\n");
    const char *c = write_file("c.log", tf_buf_cstr(&big));
    tf_buf_free(&big);
    hook_state h = { .hold_until_line = (uint64_t)-1 };
    size_t maxb;
    char *got = read_with_hook(&c, 1, false, &h, 0, &maxb);
    ok(maxb == TF_READER_HOLD_FRAMES, "a held block closes at TF_READER_HOLD_FRAMES (%zu)", maxb);
    ok(strstr(got, "END text lines end=") && strstr(got, " ok\n"), "and every frame is handed on");
    free(got);
    tf_buf_free(&h.seen);
    unlink(a);
    unlink(b);
    unlink(c);
}

/* ---- tf_text_lines ------------------------------------------------------------------ */

static void test_lines(void)
{
    tf_text_spec spec = { .format = "csv", .header = -1, .delimiter = -1, .quote = -1 };
    tf_err err;
    tf_text_format *f = tf_text_format_new(&spec, &err);
    ok(f != NULL, "a csv format");
    tf_text_lines *l = tf_text_lines_new(f);
    const tf_text_columns *cols = NULL;
    bool und = false;
    tf_text_lines_begin(l);
    ok(tf_text_lines_next(l, "id,op", 5, 1, true, &cols, &und, &err) == TF_TEXT_HEADER && cols &&
           tf_text_columns_count(cols) == 2 && und,
       "a skipped header row still names the columns (undecided: nothing matched yet)");
    ok(tf_text_lines_next(l, "1,2,3", 5, 2, false, &cols, &und, &err) == TF_TEXT_DATA && und,
       "a line that does not match leaves the gate undecided");
    ok(tf_text_lines_next(l, "1,read", 6, 3, false, &cols, &und, &err) == TF_TEXT_DATA && !und &&
           !strcmp(tf_text_columns_name(cols, 1), "op"),
       "a matching line decides it");
    tf_text_lines_begin(l);
    int rc = tf_text_lines_next(l, "a,,b", 4, 1, false, &cols, &und, &err);
    ok(rc == -1, "a new stream: its header row is read again, and a bad one ends the stream");
    is_str(err.msg, "line 1: header row: column 2 has no name", "with the line number");
    tf_text_lines_begin(l);
    tf_text_lines_next(l, "x", 1, 1, false, &cols, &und, &err);
    int stop = 0;
    uint64_t i;
    for (i = 2; i <= 2000 && !stop; i++)
        stop = tf_text_lines_next(l, "1,2", 3, i, false, &cols, &und, &err) < 0;
    ok(stop && i - 1 == 1001, "1000 data lines that do not match stop the stream (at line %llu)",
       (unsigned long long)(i - 1));
    is_str(err.msg, "0 of the first 1000 lines match csv: is this the right format?", "the early-stop message");
    tf_text_lines_free(l);
    tf_text_format_free(f);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "%s", "/tmp/tf-textread.XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    test_framer();
    test_hook();
    test_lines();
    rmdir(tmpdir);
    plan_lazy_end();
    return tap_failed ? 1 : 0;
}
