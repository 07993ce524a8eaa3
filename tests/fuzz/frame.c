/* frame.c: framing (input/frame.c) over every decoder (input/decode.c), fed
 * as the tool feeds it: tf_stream_open_memory (compression detected by
 * content) + tf_framer.
 *
 * Input: 4 option bytes, then the stream's bytes.
 *   [0] read size: 0 unlimited, else 1..255 bytes per read
 *   [1] codec: the data is compressed in the harness before framing:
 *       0 none, 1 gzip, 2 zstd, 3 bzip2, 4 xz, 5 lzma, 6 lz4, 7 lzip,
 *       8 compress (mod 9); bit 4: in two members/frames; bit 5: gzip and
 *       zstd decoded through libarchive
 *   [2] record limit: 0 the default (1 MiB), else 1 + [2] * 7 bytes
 *   [3] which frame's end to resume from (skip_to)
 * Invariants (the framer's contract, frame.h):
 *   - the frames are the same whatever the read size (for corrupt
 *     compressed data: up to where the stream fails, see same_frames);
 *   - the frames are the same when the bytes arrive compressed (any codec,
 *     one member or two), decoded offsets included;
 *   - resuming at a frame's end gives exactly the frames after it (streams
 *     that do not fail);
 *   - JSON lines whose first line is broken still give every later line
 *     (each a JSON object) as a record of its own;
 *   - a RECORD's bytes lie inside the stream at its offset, offsets and
 *     ends never go backwards and end <= the stream's length. */
#include "tests/fuzz/fuzz.h"
#include "input/frame.h"
#include "input/decode.h"
#include "common/json.h"

#include <archive.h>
#include <archive_entry.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    tf_fuzz_logs();
    (void)argc;
    (void)argv;
    return 0;
}

typedef struct {
    tf_buf text; /* one line per frame, then the end */
    uint64_t *ends;
    size_t *line_at; /* where frame i's line starts in text */
    size_t n;
    size_t end_at; /* where the END or ERROR line starts */
    bool failed;   /* it ends with ERROR */
} frames;

/* The same frames: equal, except that where a stream fails (corrupt data)
 * the failure's offset and how much decoded before it may depend on how the
 * compressed bytes were fed (decoders read ahead): then the frames of one
 * run are a prefix of the other's, and both fail. */
static bool same_frames(const frames *a, const frames *b)
{
    if (!a->failed && !b->failed)
        return a->text.len == b->text.len && memcmp(a->text.p, b->text.p, a->text.len) == 0;
    if (a->failed != b->failed)
        return false;
    size_t n = TF_MIN(a->end_at, b->end_at);
    return n == 0 || memcmp(a->text.p, b->text.p, n) == 0;
}

static void frames_free(frames *f)
{
    tf_buf_free(&f->text);
    free(f->ends);
    free(f->line_at);
}

static void frame_all(frames *out, const uint8_t *data, size_t n, size_t max_read, size_t max_rec,
                      uint64_t skip_to, const uint8_t *plain, size_t plain_len)
{
    /* plain: the decoded bytes when known (NULL when the input is itself compressed). */
    memset(out, 0, sizeof *out);
    tf_stream *s = tf_stream_open_memory(data, n, max_read, "fuzz");
    tf_framer *f = tf_framer_new(max_rec);
    tf_framer_start(f, s, skip_to);
    uint64_t last_off = 0, last_end = 0;
    size_t cap = 0;
    for (;;) {
        tf_frame fr;
        tf_err why;
        tf_err_clear(&why);
        int r = tf_framer_next(f, &fr, &why);
        out->end_at = out->text.len;
        if (r == TF_FRAME_END) {
            tf_buf_printf(&out->text, "END %s\n", tf_framer_mode(f));
            break;
        }
        if (r == TF_FRAME_ERROR) {
            TF_FUZZ_CHECK(why.msg[0] != '\0');
            out->failed = true;
            tf_buf_printf(&out->text, "ERROR %s\n", why.msg);
            break;
        }
        TF_FUZZ_CHECK(r == TF_FRAME_RECORD || r == TF_FRAME_BAD);
        TF_FUZZ_CHECK(fr.offset >= last_off && fr.end >= last_end);
        TF_FUZZ_CHECK(!plain || fr.end <= plain_len);
        TF_FUZZ_CHECK(fr.offset <= fr.end);
        last_off = fr.offset;
        last_end = fr.end;
        if (r == TF_FRAME_RECORD) {
            TF_FUZZ_CHECK(fr.p != NULL || fr.len == 0);
            TF_FUZZ_CHECK(!plain || fr.offset + fr.len <= plain_len);
            if (plain && fr.len && memcmp(fr.p, plain + fr.offset, fr.len) != 0)
                fprintf(stderr, "record at %llu (%zu bytes) is not the stream's bytes there: %.*s\n",
                        (unsigned long long)fr.offset, fr.len, (int)TF_MIN(fr.len, 200), fr.p);
            TF_FUZZ_CHECK(!plain || fr.len == 0 || memcmp(fr.p, plain + fr.offset, fr.len) == 0);
        } else {
            TF_FUZZ_CHECK(why.msg[0] != '\0');
        }
        if (out->n == cap) {
            cap = cap ? cap * 2 : 16;
            out->ends = tf_xrealloc(out->ends, cap * sizeof *out->ends);
            out->line_at = tf_xrealloc(out->line_at, cap * sizeof *out->line_at);
        }
        out->ends[out->n] = fr.end;
        out->line_at[out->n] = out->text.len;
        out->n++;
        tf_buf_printf(&out->text, "%s %llu+%zu end=%llu L%llu #%llu ", r == TF_FRAME_RECORD ? "R" : "BAD",
                      (unsigned long long)fr.offset, fr.len, (unsigned long long)fr.end,
                      (unsigned long long)fr.line, (unsigned long long)fr.index);
        if (r == TF_FRAME_RECORD)
            tf_buf_append(&out->text, fr.p, fr.len);
        else
            tf_buf_printf(&out->text, "[%s]", why.msg);
        tf_buf_putc(&out->text, '\n');
    }
    tf_framer_free(f);
    tf_stream_close(s);
}

/* ---- compressors (the inverse of every decoder the stream may stack) ---- */

static void gzip_member(tf_buf *out, const uint8_t *p, size_t n)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    TF_FUZZ_CHECK(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    size_t bound = deflateBound(&z, (uLong)n) + 32;
    tf_buf_reserve(out, bound);
    z.next_in = (Bytef *)(uintptr_t)p;
    z.avail_in = (uInt)n;
    z.next_out = (Bytef *)out->p + out->len;
    z.avail_out = (uInt)bound;
    TF_FUZZ_CHECK(deflate(&z, Z_FINISH) == Z_STREAM_END);
    out->len += bound - z.avail_out;
    deflateEnd(&z);
}

static void zstd_frame(tf_buf *out, const uint8_t *p, size_t n)
{
    size_t bound = ZSTD_compressBound(n);
    tf_buf_reserve(out, bound);
    size_t r = ZSTD_compress(out->p + out->len, bound, p, n, 3);
    TF_FUZZ_CHECK(!ZSTD_isError(r));
    out->len += r;
}

static void la_member(tf_buf *out, const char *filter, const uint8_t *p, size_t n)
{
    struct archive *a = archive_write_new();
    TF_FUZZ_CHECK(archive_write_set_format_raw(a) == ARCHIVE_OK);
    TF_FUZZ_CHECK(archive_write_add_filter_by_name(a, filter) == ARCHIVE_OK);
    archive_write_set_bytes_in_last_block(a, 1);
    size_t cap = n + n / 2 + 4096, used = 0;
    tf_buf_reserve(out, cap);
    TF_FUZZ_CHECK(archive_write_open_memory(a, out->p + out->len, cap, &used) == ARCHIVE_OK);
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_pathname(e, "fuzz");
    archive_entry_set_size(e, (la_int64_t)n);
    TF_FUZZ_CHECK(archive_write_header(a, e) == ARCHIVE_OK);
    if (n)
        TF_FUZZ_CHECK(archive_write_data(a, p, n) == (la_ssize_t)n);
    TF_FUZZ_CHECK(archive_write_close(a) == ARCHIVE_OK);
    archive_entry_free(e);
    archive_write_free(a);
    out->len += used;
}

static const char *const codecs[] = { "none", "gzip", "zstd", "bzip2", "xz", "lzma", "lz4", "lzip", "compress" };

static void compress_as(tf_buf *out, unsigned codec, const uint8_t *p, size_t n)
{
    switch (codec) {
    case 1: gzip_member(out, p, n); break;
    case 2: zstd_frame(out, p, n); break;
    default: la_member(out, codecs[codec], p, n); break;
    }
}

/* JSON lines with a broken first line: when every non-blank line after the
 * first is a JSON object on its own (at least two of them) and the first is
 * not, each of those lines is a record of its own (a bad line must not take
 * the good ones after it down with it). */
static tf_str trim_line(const char *p, size_t n)
{
    while (n && (p[0] == ' ' || p[0] == '\t'))
        p++, n--;
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r'))
        n--;
    return (tf_str){ p, n };
}

static bool alone_object(tf_json_parser *jp, tf_str l)
{
    tf_arena a;
    tf_arena_init(&a, 4096);
    tf_json *v = tf_json_parse_one(jp, &a, l.p, l.len, NULL);
    bool ok = v && v->type == TF_JSON_OBJECT;
    tf_arena_free(&a);
    return ok;
}

static void check_broken_first_line(const frames *ref, const uint8_t *p, size_t n)
{
    if (n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
        return;
    tf_json_parser *jp = tf_json_parser_new();
    tf_str lines[64];
    size_t nl = 0;
    bool all = true;
    const char *s = (const char *)p, *end = s + n;
    while (s < end && all) {
        const char *e = memchr(s, '\n', (size_t)(end - s));
        tf_str l = trim_line(s, (size_t)((e ? e : end) - s));
        s = e ? e + 1 : end;
        if (!l.len)
            continue;
        if (nl == TF_ARRAY_LEN(lines) || memchr(l.p, '\0', l.len)) {
            all = false;
            break;
        }
        lines[nl] = l;
        all = nl == 0 ? !alone_object(jp, l) : alone_object(jp, l);
        nl++;
    }
    tf_json_parser_free(jp);
    if (!all || nl < 3)
        return;
    for (size_t i = 1; i < nl; i++) {
        bool found = false;
        for (size_t k = 0; k < ref->n && !found; k++) {
            const char *line = ref->text.p + ref->line_at[k];
            if (line[0] != 'R')
                continue;
            const char *rec = memchr(line, ' ', 64); /* "R off+len end=E L #I TEXT" */
            for (int sp = 0; rec && sp < 4; sp++)
                rec = memchr(rec + 1, ' ', (size_t)(ref->text.p + ref->text.len - rec - 1));
            if (rec && (size_t)(ref->text.p + ref->text.len - rec - 1) >= lines[i].len + 1 &&
                memcmp(rec + 1, lines[i].p, lines[i].len) == 0 && rec[1 + lines[i].len] == '\n')
                found = true;
        }
        if (!found)
            fprintf(stderr, "line \"%.*s\" is no record of its own:\n%.*s\n", (int)TF_MIN(lines[i].len, 200),
                    lines[i].p, (int)TF_MIN(ref->text.len, 2000), ref->text.p);
        TF_FUZZ_CHECK(found);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    size_t max_read = data[0];
    unsigned codec = (data[1] & 15u) % TF_ARRAY_LEN(codecs);
    bool two = data[1] & 16u, via_la = data[1] & 32u;
    size_t max_rec = data[2] ? 1 + (size_t)data[2] * 7 : 0;
    unsigned pick = data[3];
    const uint8_t *p = data + 4;
    size_t n = size - 4;

    bool is_plain = strcmp(tf_detect_compression(p, n), "none") == 0;
    const uint8_t *plain = is_plain ? p : NULL;
    frames ref, got;
    frame_all(&ref, p, n, 0, max_rec, 0, plain, n);
    if (plain && !max_rec)
        check_broken_first_line(&ref, p, n);

    frame_all(&got, p, n, max_read, max_rec, 0, plain, n);
    if (!same_frames(&got, &ref)) {
        fprintf(stderr, "read size %zu:\n%.*s\nunlimited:\n%.*s\n", max_read, (int)got.text.len, got.text.p,
                (int)ref.text.len, ref.text.p);
        TF_FUZZ_CHECK(!"the same frames whatever the read size");
    }
    frames_free(&got);

    /* Resuming at a frame's end: the frames after it, unchanged. */
    if (ref.n && !ref.failed) {
        size_t i = pick % ref.n;
        uint64_t skip = ref.ends[i];
        size_t first = i + 1;
        while (first < ref.n && ref.ends[first] <= skip)
            first++;
        frame_all(&got, p, n, max_read, max_rec, skip, plain, n);
        size_t from = first < ref.n ? ref.line_at[first] : ref.end_at;
        size_t want_len = ref.text.len - from;
        if (got.text.len != want_len || memcmp(got.text.p, ref.text.p + from, want_len) != 0) {
            fprintf(stderr, "skip_to %llu:\n%.*s\nwanted:\n%.*s\n", (unsigned long long)skip, (int)got.text.len,
                    got.text.p, (int)want_len, ref.text.p + from);
            TF_FUZZ_CHECK(!"resuming at a frame's end gives the frames after it");
        }
        frames_free(&got);
    }

    /* The same bytes compressed: the same frames (when the plain bytes do not
     * themselves look compressed, which would be decoded once more). */
    /* (Not for no bytes at all: libarchive's lz4 writer crashes closing an empty entry.) */
    if (codec && is_plain && n > 0) {
        tf_buf z = { 0 };
        /* Formats with members (cat a.gz b.gz): gzip, zstd, bzip2, xz, lz4, lzip. */
        if (two && n >= 2 && codec != 5 && codec != 8) {
            compress_as(&z, codec, p, n / 2);
            compress_as(&z, codec, p + n / 2, n - n / 2);
        } else {
            compress_as(&z, codec, p, n);
        }
        tf_decompress_force_libarchive(via_la);
        frame_all(&got, (const uint8_t *)z.p, z.len, max_read, max_rec, 0, p, n);
        tf_decompress_force_libarchive(false);
        if (got.text.len != ref.text.len || memcmp(got.text.p, ref.text.p, ref.text.len) != 0) {
            fprintf(stderr, "%s%s%s:\n%.*s\nplain:\n%.*s\n", codecs[codec], two ? " (two members)" : "",
                    via_la ? " via libarchive" : "", (int)got.text.len, got.text.p, (int)ref.text.len,
                    ref.text.p);
            TF_FUZZ_CHECK(!"the same frames from the compressed bytes");
        }
        frames_free(&got);
        tf_buf_free(&z);
    }
    frames_free(&ref);
    return 0;
}
