/* unit-source.c: inputs to streams. Every compression and container is found
 * by content; members are filtered by globs; identity and fingerprints;
 * stdin (pipe and file); bad inputs: truncated, corrupt, missing, vanished,
 * unreadable (as an unprivileged child when run as root, since chmod 000
 * does not stop root). Fixtures come from tests/data/make-fixtures.sh. */
#include "config.h"
#include "input/decode.h"
#include "common/hash.h"
#include "input/source.h"
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static char fx[PATH_MAX - 64];

/* ---- helpers ------------------------------------------------------------- */

static char *slurp(const char *path, size_t *n)
{
    tf_buf b = { 0 };
    int fd = open(path, O_RDONLY);
    if (fd >= 0) {
        char tmp[65536];
        ssize_t r;
        while ((r = read(fd, tmp, sizeof tmp)) > 0)
            tf_buf_append(&b, tmp, (size_t)r);
        close(fd);
    }
    *n = b.len;
    tf_buf_cstr(&b);
    return b.p;
}

static long long fsize(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

static bool have_file(const char *path)
{
    return access(path, F_OK) == 0;
}

/* Contents the fixtures are made of, recognised by digest. */
static struct {
    const char *label;
    uint8_t sha[32];
} known[8];
static size_t n_known;

static void learn(const char *label, const char *p1, const char *p2)
{
    tf_sha256 c;
    tf_sha256_init(&c);
    const char *ps[2] = { p1, p2 };
    for (int i = 0; i < 2 && ps[i]; i++) {
        size_t n;
        char *d = slurp(ps[i], &n);
        tf_sha256_update(&c, d, n);
        free(d);
    }
    known[n_known].label = label;
    tf_sha256_final(&c, known[n_known].sha);
    n_known++;
}

/* Reads a stream to the end in chunks of `chunk` bytes and describes it:
 * "name container/compression/outer = LABEL" or "... bytes=N error=MSG". */
static void describe(tf_buf *out, tf_stream *s, size_t chunk)
{
    const tf_stream_info *in = tf_stream_get_info(s);
    tf_sha256 all;
    tf_sha256_init(&all);
    uint8_t first[TF_FINGERPRINT_BYTES];
    size_t nfirst = 0;
    uint64_t total = 0;
    char *buf = tf_xmalloc(chunk);
    ssize_t r;
    tf_err err;
    while ((r = tf_stream_read(s, buf, chunk, &err)) > 0) {
        tf_sha256_update(&all, buf, (size_t)r);
        size_t k = TF_MIN((size_t)r, sizeof first - nfirst);
        memcpy(first + nfirst, buf, k);
        nfirst += k;
        total += (uint64_t)r;
    }
    free(buf);
    uint8_t d[32], fp[32];
    tf_sha256_final(&all, d);
    tf_sha256_oneshot(first, nfirst, fp);
    bool fp_ok = in->fp_len == nfirst && memcmp(fp, in->fingerprint, 32) == 0 &&
                 total == tf_stream_decoded_offset(s);
    tf_buf_printf(out, "%s %s/%s/%s", in->name, in->container, in->compression, in->outer);
    if (r < 0) {
        tf_buf_printf(out, " bytes=%llu error=%s", (unsigned long long)total, err.msg);
    } else {
        const char *label = NULL;
        for (size_t i = 0; i < n_known && !label; i++)
            if (memcmp(known[i].sha, d, 32) == 0)
                label = known[i].label;
        if (label)
            tf_buf_printf(out, " = %s", label);
        else
            tf_buf_printf(out, " bytes=%llu (unknown content)", (unsigned long long)total);
    }
    if (!fp_ok)
        tf_buf_puts(out, " FINGERPRINT-MISMATCH");
    tf_buf_putc(out, '\n');
}

/* stderr capture around a run, so the tests can assert the exact messages. */
static char cap_path[PATH_MAX];
static int cap_saved = -1;

static void capture_begin(void)
{
    fflush(stderr);
    cap_saved = dup(STDERR_FILENO);
    int fd = open(cap_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    dup2(fd, STDERR_FILENO);
    close(fd);
}

static char *capture_end(void)
{
    fflush(stderr);
    dup2(cap_saved, STDERR_FILENO);
    close(cap_saved);
    size_t n;
    return slurp(cap_path, &n);
}

/* The source's on_error callback: each input problem as the tool prints it. */
static void collect_error(void *ctx, const tf_err *err)
{
    tf_buf_printf(ctx, "tracefill: error: %s\n", err->msg);
}

/* Runs a source over inputs; returns the description of every stream and the
 * stats; *err gets the input problems it reported and anything said on
 * stderr. Streams are closed explicitly every other time (the source closes
 * the others). */
static char *run_opts(const char *const *inputs, size_t n, const tf_source_opts *o, size_t chunk,
                      char **err)
{
    tf_buf out = { 0 }, errs = { 0 };
    tf_source_opts so = o ? *o : (tf_source_opts){ 0 };
    so.on_error = collect_error;
    so.on_error_ctx = &errs;
    capture_begin();
    tf_source *src = tf_source_new(inputs, n, &so);
    tf_stream *s;
    int i = 0;
    while (tf_source_next(src, &s) == 1) {
        describe(&out, s, chunk);
        if (i++ % 2)
            tf_stream_close(s);
    }
    const tf_source_stats *st = tf_source_stats_get(src);
    tf_buf_printf(&out, "inputs=%llu streams=%llu skipped_members=%llu skipped_files=%llu errors=%llu",
                  (unsigned long long)st->inputs, (unsigned long long)st->streams,
                  (unsigned long long)st->skipped_members, (unsigned long long)st->skipped_files,
                  (unsigned long long)st->errors);
    tf_source_free(src);
    char *said = capture_end();
    tf_buf_puts(&errs, said);
    free(said);
    tf_buf_cstr(&errs);
    *err = errs.p ? errs.p : tf_xstrdup("");
    tf_buf_cstr(&out);
    return out.p;
}

static void check_run(const char *label, const char *const *inputs, size_t n,
                      const tf_source_opts *o, const char *want, const char *want_err)
{
    char *err;
    char *got = run_opts(inputs, n, o, 65536, &err);
    is_str(got, want, "%s: streams", label);
    is_str(err, want_err, "%s: messages", label);
    free(got);
    free(err);
}

#define INPUTS(...) ((const char *const[]){ __VA_ARGS__ }), \
    TF_ARRAY_LEN(((const char *const[]){ __VA_ARGS__ }))

/* ---- plain and compressed files ------------------------------------------ */

static void test_compressed(void)
{
    check_run("bare compressed files", INPUTS("plain.jsonl", "a.jsonl.gz", "a.jsonl.zst",
              "a.jsonl.bz2", "a.jsonl.xz", "a.jsonl.lz4", "a.jsonl.lzma", "no-extension", "looks-plain.txt",
              "multi.jsonl.gz", "pigz.jsonl.gz", "multi.jsonl.zst", "long31.zst", "empty.jsonl",
              "binary.jsonl"), NULL,
              "plain.jsonl none/none/none = A\n"
              "a.jsonl.gz none/gzip/none = A\n"
              "a.jsonl.zst none/zstd/none = A\n"
              "a.jsonl.bz2 none/bzip2/none = A\n"
              "a.jsonl.xz none/xz/none = A\n"
              "a.jsonl.lz4 none/lz4/none = A\n"
              "a.jsonl.lzma none/lzma/none = A\n"
              "no-extension none/xz/none = A\n"
              "looks-plain.txt none/gzip/none = A\n"
              "multi.jsonl.gz none/gzip/none = A+B\n"
              "pigz.jsonl.gz none/gzip/none = A\n"
              "multi.jsonl.zst none/zstd/none = A+B\n"
              "long31.zst none/zstd/none = A\n"
              "empty.jsonl none/none/none = EMPTY\n"
              "binary.jsonl none/none/none = BINARY\n"
              "inputs=15 streams=15 skipped_members=0 skipped_files=0 errors=0",
              "");

    /* The same through libarchive (--long=31 needs our window setting, so it is left out). */
    tf_decompress_force_libarchive(true);
    check_run("gzip and zstd through libarchive", INPUTS("a.jsonl.gz", "multi.jsonl.gz",
              "multi.jsonl.zst", "tar.gz.bin"), NULL,
              "a.jsonl.gz none/gzip/none = A\n"
              "multi.jsonl.gz none/gzip/none = A+B\n"
              "multi.jsonl.zst none/zstd/none = A+B\n"
              "tar.gz.bin:logs/a.jsonl tar/none/gzip = A\n"
              "tar.gz.bin:logs/b.jsonl.gz tar/gzip/gzip = B\n"
              "tar.gz.bin:logs/empty.jsonl tar/none/gzip = EMPTY\n"
              "inputs=4 streams=6 skipped_members=3 skipped_files=0 errors=0",
              "");
    tf_decompress_force_libarchive(false);

    /* Identity of a plain file. */
    tf_source *src = tf_source_new(INPUTS("a.jsonl.gz"), NULL);
    tf_stream *s;
    is_int(tf_source_next(src, &s), 1, "a.jsonl.gz opens");
    const tf_stream_info *in = tf_stream_get_info(s);
    is_str(in->path, "a.jsonl.gz", "plain file: path");
    ok(in->member == NULL, "plain file: no member");
    is_int(in->size, fsize("a.jsonl.gz"), "plain file: size is the raw size");
    struct stat st;
    stat("a.jsonl.gz", &st);
    is_int(in->mtime, st.st_mtime, "plain file: mtime");
    is_int(in->fp_len, 4096, "plain file: fingerprint of the first 4096 decoded bytes");
    is_int(tf_source_next(src, &s), 0, "then no more streams");
    tf_source_free(src);

    /* Every compression fed to the decoders in tiny pieces gives the same bytes. */
    static const char *files[] = { "a.jsonl.gz", "a.jsonl.zst", "a.jsonl.bz2", "a.jsonl.xz",
                                   "a.jsonl.lz4", "a.jsonl.lzma", "multi.jsonl.gz", "multi.jsonl.zst",
                                   "pigz.jsonl.gz", "long31.zst" };
    static const size_t reads[] = { 1, 2, 3, 7, 64, 4093 };
    for (size_t i = 0; i < TF_ARRAY_LEN(files); i++) {
        size_t n;
        char *data = slurp(files[i], &n);
        tf_buf want = { 0 }, got = { 0 };
        tf_stream *ms = tf_stream_open_memory(data, n, 0, files[i]);
        describe(&want, ms, 65536);
        tf_stream_close(ms);
        size_t bad = 0;
        for (size_t j = 0; j < TF_ARRAY_LEN(reads); j++) {
            got.len = 0;
            ms = tf_stream_open_memory(data, n, reads[j], files[i]);
            describe(&got, ms, 65536);
            tf_stream_close(ms);
            if (got.len != want.len || memcmp(got.p, want.p, got.len) != 0)
                bad++;
        }
        tf_buf_cstr(&want);
        char *label = tf_xasprintf(" = %s\n", strncmp(files[i], "multi", 5) == 0 ? "A+B" : "A");
        bool right = strstr(want.p, label) != NULL;
        free(label);
        if (!ok(bad == 0 && right,
                "memory stream %s: same content with 1..4093-byte reads", files[i]))
            diag("unlimited reads: %s", want.p);
        tf_buf_free(&want);
        tf_buf_free(&got);
        free(data);
    }

    /* After the last gzip member: zero padding is fine, anything else is an error. */
    size_t gzn;
    char *gzd = slurp("a.jsonl.gz", &gzn);
    tf_buf padded = { 0 };
    tf_buf_append(&padded, gzd, gzn);
    for (int i = 0; i < 1000; i++)
        tf_buf_putc(&padded, '\0');
    tf_buf d1 = { 0 };
    tf_stream *ps = tf_stream_open_memory(padded.p, padded.len, 100, "padded.gz");
    describe(&d1, ps, 4096);
    tf_stream_close(ps);
    tf_buf_puts(&padded, "junk\n");
    ps = tf_stream_open_memory(padded.p, padded.len, 0, "junk.gz");
    describe(&d1, ps, 4096);
    tf_stream_close(ps);
    tf_buf_cstr(&d1);
    char *want = tf_xasprintf("padded.gz none/gzip/none = A\n"
                              "junk.gz none/gzip/none bytes=7880 error=trailing garbage after gzip "
                              "data at compressed byte %zu (decoded byte 7880)\n",
                              gzn + 1000);
    is_str(d1.p, want, "gzip: zero padding after the last member is accepted, garbage is not");
    free(want);
    tf_buf_free(&d1);
    tf_buf_free(&padded);
    free(gzd);

    /* A memory stream caps each read at max_read. */
    tf_stream *ms = tf_stream_open_memory("hello world", 11, 4, "m");
    char b[16];
    is_int(tf_stream_read(ms, b, sizeof b, NULL), 4, "memory stream: reads capped at max_read");
    is_str(tf_stream_get_info(ms)->name, "m", "memory stream: name");
    tf_stream_close(ms);
}

static void test_detect(void)
{
    is_str(tf_detect_compression("\x1f\x8b\x08\x00", 4), "gzip", "detect gzip");
    is_str(tf_detect_compression("\x28\xb5\x2f\xfd\x00", 5), "zstd", "detect zstd");
    is_str(tf_detect_compression("\x5a\x2a\x4d\x18\x00", 5), "zstd", "detect a zstd skippable frame");
    is_str(tf_detect_compression("BZh91AY&SY", 10), "bzip2", "detect bzip2");
    is_str(tf_detect_compression("BZh9 not bz", 11), "none", "BZh without a block magic is text");
    is_str(tf_detect_compression("\xfd" "7zXZ\0\0", 7), "xz", "detect xz");
    is_str(tf_detect_compression("\x04\x22\x4d\x18", 4), "lz4", "detect lz4");
    is_str(tf_detect_compression("\x1f\x8b", 2), "none", "two bytes are not enough for gzip");
    is_str(tf_detect_compression("{\"a\":1}", 7), "none", "JSON is none");
    is_str(tf_detect_compression("", 0), "none", "empty is none");
}

/* ---- containers ---------------------------------------------------------- */

static char *three(const char *name, const char *kind, const char *outer, int skipped)
{
    return tf_xasprintf("%s:logs/a.jsonl %s/none/%s = A\n"
                        "%s:logs/b.jsonl.gz %s/gzip/%s = B\n"
                        "%s:logs/empty.jsonl %s/none/%s = EMPTY\n"
                        "inputs=1 streams=3 skipped_members=%d skipped_files=0 errors=0",
                        name, kind, outer, name, kind, outer, name, kind, outer, skipped);
}

static void test_containers(void)
{
    static const struct {
        const char *file, *kind, *outer;
        int skipped;
    } cases[] = {
        { "gnu.tar", "tar", "none", 3 },       { "pax.tar", "tar", "none", 3 },
        { "tar.gz.bin", "tar", "gzip", 3 },    { "tar.zst.bin", "tar", "zstd", 3 },
        { "tar.bz2.bin", "tar", "bzip2", 3 },  { "tar.xz.bin", "tar", "xz", 3 },
        { "tar.lz4.bin", "tar", "lz4", 3 },    { "deflate.zip", "zip", "none", 3 },
        { "stored.zip", "zip", "none", 3 },    { "zip.gz.bin", "zip", "gzip", 3 },
        { "newc.cpio", "cpio", "none", 3 },    { "odc.cpio", "cpio", "none", 3 },
        { "bin.cpio", "cpio", "none", 3 },     { "cpio.gz.bin", "cpio", "gzip", 3 },
    };
    for (size_t i = 0; i < TF_ARRAY_LEN(cases); i++) {
        char label[128];
        snprintf(label, sizeof label, "%s (%s, %s)", cases[i].file, cases[i].kind, cases[i].outer);
        if (!have_file(cases[i].file)) {
            ok(1, "# SKIP %s: %s is not installed", label,
               strcmp(cases[i].kind, "zip") == 0 ? "zip" : "cpio");
            ok(1, "# SKIP %s", label);
            continue;
        }
        char *want = three(cases[i].file, cases[i].kind, cases[i].outer, cases[i].skipped);
        check_run(label, &cases[i].file, 1, NULL, want, "");
        free(want);
    }
    check_run("v7 tar (no magic, found by its checksum)", INPUTS("v7.tar"), NULL,
              "v7.tar:logs/a.jsonl tar/none/none = A\n"
              "v7.tar:logs/b.jsonl.gz tar/gzip/none = B\n"
              "inputs=1 streams=2 skipped_members=0 skipped_files=0 errors=0",
              "");
    if (have_file("archive.7z")) {
        check_run("7z", INPUTS("archive.7z"), NULL,
                  "archive.7z:logs/empty.jsonl 7z/none/none = EMPTY\n"
                  "archive.7z:logs/a.jsonl 7z/none/none = A\n"
                  "archive.7z:logs/b.jsonl.gz 7z/gzip/none = B\n"
                  "inputs=1 streams=3 skipped_members=1 skipped_files=0 errors=0",
                  "");
    } else {
        ok(1, "# SKIP 7z: no 7z/7za/7zz is installed");
        ok(1, "# SKIP 7z");
    }

    /* Member identity. */
    tf_source *src = tf_source_new(INPUTS("tar.zst.bin"), NULL);
    tf_stream *s;
    tf_source_next(src, &s);
    const tf_stream_info *in = tf_stream_get_info(s);
    is_str(in->path, "tar.zst.bin", "member: path is the archive");
    is_str(in->member, "logs/a.jsonl", "member: member path");
    is_int(in->size, 7880, "member: size is the member's");
    struct stat st;
    stat("src/logs/a.jsonl", &st);
    is_int(in->mtime, st.st_mtime, "member: mtime is the member's");
    is_int(in->fp_len, 4096, "member: fingerprint length");
    tf_source_free(src); /* with a stream still open */

    /* Globs. */
    const char *gz[] = { "*.gz" }, *noempty[] = { "*empty*" };
    tf_source_opts o1 = { .include = gz, .n_include = 1 }, o2 = { .exclude = noempty, .n_exclude = 1 };
    check_run("include glob", INPUTS("gnu.tar"), &o1,
              "gnu.tar:logs/b.jsonl.gz tar/gzip/none = B\n"
              "inputs=1 streams=1 skipped_members=5 skipped_files=0 errors=0",
              "");
    check_run("exclude glob", INPUTS("gnu.tar"), &o2,
              "gnu.tar:logs/a.jsonl tar/none/none = A\n"
              "gnu.tar:logs/b.jsonl.gz tar/gzip/none = B\n"
              "inputs=1 streams=2 skipped_members=4 skipped_files=0 errors=0",
              "");

    /* Leaving a member half read: the next one still starts right. */
    static const char *cut[] = { "cut.tar", "cut.tar.gz" };
    for (size_t i = 0; i < 2; i++) {
        src = tf_source_new(&cut[i], 1, NULL);
        char b[100];
        int n1 = tf_source_next(src, &s);
        int n2 = tf_source_next(src, &s);
        ssize_t r = tf_stream_read(s, b, sizeof b, NULL);
        bool big = n2 == 1 && strcmp(tf_stream_get_info(s)->member, "logs/big.jsonl") == 0;
        int n3 = tf_source_next(src, &s);
        tf_buf d = { 0 };
        if (n3 == 1)
            describe(&d, s, 4096);
        tf_buf_cstr(&d);
        char *want = tf_xasprintf("%s:logs/c.jsonl tar/none/%s = C\n", cut[i], i ? "gzip" : "none");
        if (!ok(n1 == 1 && big && r == 100 && n3 == 1 && strcmp(d.p, want) == 0,
                "%s: after 100 bytes of big.jsonl the next member is c.jsonl", cut[i]))
            diag("got: %s", d.p);
        free(want);
        tf_buf_free(&d);
        tf_source_free(src);
    }
}

/* ---- bad inputs ---------------------------------------------------------- */

static void test_bad(void)
{
    long long bad_gz = fsize("src/logs/bad.jsonl.gz"), zst = fsize("trunc.jsonl.zst");
    char *want = tf_xasprintf(
        "corrupt.jsonl.gz none/gzip/none bytes=580 error=corrupt gzip data at compressed byte %lld "
        "(decoded byte 580): invalid block type\n"
        "a.jsonl.gz none/gzip/none = A\n"
        "trunc.jsonl.zst none/zstd/none bytes=0 error=unexpected end of zstd data at compressed "
        "byte %lld (decoded byte 0)\n"
        "empty.jsonl none/none/none = EMPTY\n"
        "inputs=5 streams=4 skipped_members=0 skipped_files=0 errors=1",
        bad_gz, zst);
    check_run("corrupt, missing, truncated, empty", INPUTS("corrupt.jsonl.gz", "a.jsonl.gz",
              "does-not-exist.jsonl", "trunc.jsonl.zst", "empty.jsonl"), NULL, want,
              "tracefill: error: does-not-exist.jsonl: cannot open: No such file or directory\n");
    free(want);

    /* The same errors with 1-byte reads into the decoders: same offsets. */
    static const char *files[] = { "corrupt.jsonl.gz", "trunc.jsonl.zst" };
    for (size_t i = 0; i < 2; i++) {
        size_t n;
        char *data = slurp(files[i], &n);
        tf_buf a = { 0 }, b = { 0 };
        tf_stream *s = tf_stream_open_memory(data, n, 0, files[i]);
        describe(&a, s, 65536);
        tf_stream_close(s);
        s = tf_stream_open_memory(data, n, 1, files[i]);
        describe(&b, s, 65536);
        tf_stream_close(s);
        tf_buf_cstr(&a);
        tf_buf_cstr(&b);
        is_str(b.p, a.p, "%s: the same error fed one byte at a time", files[i]);
        tf_buf_free(&a);
        tf_buf_free(&b);
        free(data);
    }

    want = tf_xasprintf("midcorrupt.tar:logs/a.jsonl tar/none/none = A\n"
                        "midcorrupt.tar:logs/bad.jsonl.gz tar/gzip/none bytes=580 error=corrupt gzip "
                        "data at compressed byte %lld (decoded byte 580): invalid block type\n"
                        "midcorrupt.tar:logs/c.jsonl tar/none/none = C\n"
                        "inputs=1 streams=3 skipped_members=0 skipped_files=0 errors=0",
                        bad_gz);
    check_run("corrupt member in the middle of a tar", INPUTS("midcorrupt.tar"), NULL, want, "");
    free(want);

    check_run("damaged tar header in the middle", INPUTS("badheader.tar", "a.jsonl.zst"), NULL,
              "badheader.tar:logs/a.jsonl tar/none/none = A\n"
              "badheader.tar:logs/c.jsonl tar/none/none = C\n"
              "a.jsonl.zst none/zstd/none = A\n"
              "inputs=2 streams=3 skipped_members=0 skipped_files=0 errors=1",
              "tracefill: error: badheader.tar: Damaged tar archive at archive byte 8704; looking "
              "for the next member\n");

    check_run("truncated tar", INPUTS("trunc.tar", "a.jsonl.xz"), NULL,
              "trunc.tar:logs/a.jsonl tar/none/none = A\n"
              "trunc.tar:logs/big.jsonl tar/none/none bytes=199488 error=Truncated tar archive at "
              "member byte 199488\n"
              "a.jsonl.xz none/xz/none = A\n"
              "inputs=2 streams=3 skipped_members=0 skipped_files=0 errors=0",
              "");

    /* The same archive with the broken member left unread: the source reports it. */
    static const char *cuts[] = { "trunc.tar", "trunc.tar.gz" };
    for (size_t i = 0; i < 2; i++) {
        tf_buf reported = { 0 };
        tf_source_opts so = { .on_error = collect_error, .on_error_ctx = &reported };
        tf_source *src = tf_source_new(&cuts[i], 1, &so);
        tf_stream *s;
        tf_buf names = { 0 };
        while (tf_source_next(src, &s) == 1)
            tf_buf_printf(&names, "%s,", tf_stream_get_info(s)->member);
        uint64_t errors = tf_source_stats_get(src)->errors;
        tf_source_free(src);
        tf_buf_cstr(&reported);
        char *msg = reported.p;
        tf_buf_cstr(&names);
        is_str(names.p, "logs/a.jsonl,logs/big.jsonl,", "%s unread: the members up to the break", cuts[i]);
        is_int(errors, 1, "%s unread: one error", cuts[i]);
        /* libarchive skips the unread member, finds the data missing and says so;
         * the offset is where the file (compressed or not) ends. */
        char *w2 = tf_xasprintf("tracefill: error: %s: Truncated input file (needed 290304 bytes, only "
                                "0 available) at %sbyte %lld; skipping the rest of the archive\n",
                                cuts[i], i ? "compressed " : "", fsize(cuts[i]));
        is_str(msg, w2, "%s unread: the error names the archive and where it ends", cuts[i]);
        free(w2);
        free(msg);
        tf_buf_free(&names);
    }

    /* A truncated tar.gz: the member in progress fails where the gzip data ends. */
    char *err;
    char *got = run_opts(INPUTS("trunc.tar.gz", "plain.jsonl"), NULL, 65536, &err);
    unsigned long long mb = 0, cb = 0, bytes = 0;
    const char *p = strstr(got, "trunc.tar.gz:logs/big.jsonl tar/none/gzip bytes=");
    int nf = p ? sscanf(p, "trunc.tar.gz:logs/big.jsonl tar/none/gzip bytes=%llu error=truncated gzip "
                           "input at member byte %llu (compressed byte %llu of the archive)",
                        &bytes, &mb, &cb)
               : 0;
    if (!ok(nf == 3 && mb == bytes && bytes > 0 && bytes < 290000 &&
                (long long)cb == fsize("trunc.tar.gz"),
            "truncated tar.gz: the member fails at its last good byte, at the archive's end"))
        diag("got: %s", got);
    ok(strncmp(got, "trunc.tar.gz:logs/a.jsonl tar/none/gzip = A\n", 43) == 0 &&
           strstr(got, "plain.jsonl none/none/none = A\n"
                       "inputs=2 streams=3 skipped_members=0 skipped_files=0 errors=0") != NULL,
       "truncated tar.gz: the member before is fine, the archive stops, the next input is read");
    is_str(err, "", "truncated tar.gz: reported once, by the stream");
    free(got);
    free(err);

    if (have_file("badcrc.zip")) {
        got = run_opts(INPUTS("badcrc.zip"), NULL, 65536, &err);
        if (!ok(strncmp(got, "badcrc.zip:logs/a.jsonl zip/none/none bytes=7880 error=ZIP bad CRC: ",
                        68) == 0 &&
                    strstr(got, " at member byte 7880\nbadcrc.zip:logs/b.jsonl.gz zip/gzip/none = B\n"
                                "badcrc.zip:logs/empty.jsonl zip/none/none = EMPTY\n") != NULL,
                "zip with a bad CRC: that member fails at its end, the others are read"))
            diag("got: %s", got);
        free(got);
        free(err);
    } else {
        ok(1, "# SKIP zip is not installed");
    }
}

/* ---- directories --------------------------------------------------------- */

static void test_dirs(void)
{
    bool fifo = have_file("junk/pipe.log");
    /* Walked files are judged by their decoded content, not their names:
     * data.bin (gzip'd JSON lines) is read, x.jsonl (binary) and README (text,
     * not JSON) are not; sub/app.log is the file link.log already read. */
    char *want = tf_xasprintf(
        "junk/B/bundle.dat:logs/a.jsonl tar/none/zstd = A\n"
        "junk/B/bundle.dat:logs/b.jsonl.gz tar/gzip/zstd = B\n"
        "junk/B/bundle.dat:logs/empty.jsonl tar/none/zstd = EMPTY\n"
        "junk/_empty.log none/none/none = EMPTY\n"
        "junk/data.bin none/gzip/none = A\n"
        "junk/link.log none/none/none = A\n"
        "junk/sub/app.log.1.zst none/zstd/none = A\n"
        "inputs=1 streams=7 skipped_members=3 skipped_files=%d errors=0",
        fifo ? 4 : 3);
    check_run("a directory of mixed junk, walked in byte order", INPUTS("junk"), NULL, want, "");
    free(want);
    tf_source *dsrc = tf_source_new(INPUTS("junk"), NULL);
    for (tf_stream *ds; tf_source_next(dsrc, &ds) == 1;)
        ;
    is_int(tf_source_stats_get(dsrc)->duplicates, 1, "the file reached again through a symlink is read once");
    tf_source_free(dsrc);
    /* Text logs: README is one now; the binary one still is not. */
    tf_source_opts text = { .logs = TF_LOGS_TEXT, .include = (const char *const[]){ "R*", "x.*" }, .n_include = 2 };
    /* skipped: the six bundle.dat members (globs), _empty.log, data.bin,
     * link.log, sub/app.log, sub/app.log.1.zst (globs), link-to-dir, pipe.log,
     * and x.jsonl (binary) */
    want = tf_xasprintf("junk/README none/none/none bytes=7 (unknown content)\n"
                        "inputs=1 streams=1 skipped_members=6 skipped_files=%d errors=0", fifo ? 8 : 7);
    check_run("text logs, narrowed by --include", INPUTS("junk"), &text, want, "");
    free(want);
    check_run("trailing slash and explicit files are never filtered",
              INPUTS("junk/sub/", "junk/README"), NULL,
              "junk/sub/app.log none/none/none = A\n"
              "junk/sub/app.log.1.zst none/zstd/none = A\n"
              "junk/README none/none/none bytes=7 (unknown content)\n"
              "inputs=2 streams=3 skipped_members=0 skipped_files=0 errors=0",
              "");

    /* A file removed after the directory was listed. */
    mkdir("vanish", 0755);
    static const char *names[] = { "vanish/a.jsonl", "vanish/b.jsonl", "vanish/c.jsonl" };
    for (size_t i = 0; i < 3; i++) {
        FILE *f = fopen(names[i], "w");
        fprintf(f, "{\"n\":%zu}\n", i);
        fclose(f);
    }
    tf_buf reported = { 0 };
    tf_source_opts vso = { .on_error = collect_error, .on_error_ctx = &reported };
    tf_source *src = tf_source_new(INPUTS("vanish"), &vso);
    tf_stream *s;
    tf_buf out = { 0 };
    int r1 = tf_source_next(src, &s);
    tf_buf_puts(&out, tf_stream_get_info(s)->name);
    unlink("vanish/b.jsonl");
    while (tf_source_next(src, &s) == 1)
        tf_buf_printf(&out, ",%s", tf_stream_get_info(s)->name);
    uint64_t errors = tf_source_stats_get(src)->errors;
    tf_source_free(src);
    tf_buf_cstr(&reported);
    char *err = reported.p;
    tf_buf_cstr(&out);
    ok(r1 == 1 && strcmp(out.p, "vanish/a.jsonl,vanish/c.jsonl") == 0 && errors == 1,
       "a file removed after listing is reported and skipped (%s)", out.p);
    is_str(err, "tracefill: error: vanish/b.jsonl: cannot open: No such file or directory\n",
           "the vanished file is named");
    free(err);
    tf_buf_free(&out);
}

/* Unreadable file and directory. As root, chmod 000 changes nothing, so a
 * child drops to nobody (uid 65534) and builds its own private tree. */
static void test_permissions(void)
{
    int pfd[2];
    if (pipe(pfd) != 0) {
        ok(0, "pipe");
        return;
    }
    pid_t pid = fork();
    if (pid == 0) {
        close(pfd[0]);
        if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) {
            dprintf(pfd[1], "SKIP cannot switch to uid 65534");
            _exit(0);
        }
        char dir[] = "/tmp/tracefill-perm.XXXXXX";
        if (!mkdtemp(dir) || chdir(dir) != 0) {
            dprintf(pfd[1], "SKIP no private temp dir");
            _exit(0);
        }
        snprintf(cap_path, sizeof cap_path, "%s/stderr.txt", dir);
        mkdir("perm", 0755);
        mkdir("perm/locked", 0755);
        static const char *files[] = { "perm/locked/in.jsonl", "perm/ok.jsonl", "perm/secret.jsonl" };
        for (int i = 0; i < 3; i++) {
            FILE *f = fopen(files[i], "w");
            fputs("{}\n", f);
            fclose(f);
        }
        chmod("perm/secret.jsonl", 0);
        chmod("perm/locked", 0);
        char *err;
        char *got = run_opts(INPUTS("perm", "perm/secret.jsonl"), NULL, 4096, &err);
        dprintf(pfd[1], "%s\n--\n%s", got, err);
        chmod("perm/locked", 0755);
        unlink("perm/locked/in.jsonl");
        unlink("perm/ok.jsonl");
        unlink("perm/secret.jsonl");
        rmdir("perm/locked");
        rmdir("perm");
        unlink(cap_path);
        rmdir(dir);
        _exit(0);
    }
    close(pfd[1]);
    tf_buf b = { 0 };
    char tmp[4096];
    ssize_t r;
    while ((r = read(pfd[0], tmp, sizeof tmp)) > 0)
        tf_buf_append(&b, tmp, (size_t)r);
    close(pfd[0]);
    int status;
    waitpid(pid, &status, 0);
    tf_buf_cstr(&b);
    if (strncmp(b.p, "SKIP", 4) == 0) {
        ok(1, "# SKIP %s", b.p);
    } else {
        is_str(b.p,
               "perm/ok.jsonl none/none/none bytes=3 (unknown content)\n"
               "inputs=2 streams=1 skipped_members=0 skipped_files=0 errors=3\n--\n"
               "tracefill: error: perm/locked: cannot read the directory: Permission denied\n"
               "tracefill: error: perm/secret.jsonl: cannot open: Permission denied\n"
               "tracefill: error: perm/secret.jsonl: cannot open: Permission denied\n",
               "unreadable directory and file (walked and named) are reported, the rest is read%s",
               geteuid() == 0 ? " (as uid 65534)" : "");
    }
    tf_buf_free(&b);
}

/* ---- stdin --------------------------------------------------------------- */

/* Runs the source on "-" with stdin a pipe fed from `file` by a child (or,
 * with as_file, the file itself). */
static char *run_stdin(const char *file, bool as_file, char **err)
{
    int saved = dup(STDIN_FILENO);
    pid_t pid = -1;
    if (as_file) {
        int fd = open(file, O_RDONLY);
        dup2(fd, STDIN_FILENO);
        close(fd);
    } else {
        int pfd[2];
        if (pipe(pfd) != 0)
            return tf_xstrdup("pipe failed");
        pid = fork();
        if (pid == 0) {
            close(pfd[0]);
            size_t n;
            char *d = slurp(file, &n);
            for (size_t off = 0; off < n;) { /* small writes: the reader sees short reads */
                ssize_t w = write(pfd[1], d + off, TF_MIN(n - off, (size_t)1000));
                if (w <= 0)
                    break;
                off += (size_t)w;
            }
            _exit(0);
        }
        close(pfd[1]);
        dup2(pfd[0], STDIN_FILENO);
        close(pfd[0]);
    }
    char *got = run_opts(INPUTS("-"), NULL, 65536, err);
    dup2(saved, STDIN_FILENO);
    close(saved);
    if (pid > 0) {
        int st;
        waitpid(pid, &st, 0);
    }
    return got;
}

static void test_stdin(void)
{
    static const struct {
        const char *file;
        bool as_file;
        const char *want;
        int skipped;
    } cases[] = {
        { "a.jsonl.gz", false, "<stdin> none/gzip/none = A\n", 0 },
        { "src/logs/big.jsonl", false, "<stdin> none/none/none = BIG\n", 0 },
        { "tar.zst.bin", false,
          "<stdin>:logs/a.jsonl tar/none/zstd = A\n<stdin>:logs/b.jsonl.gz tar/gzip/zstd = B\n"
          "<stdin>:logs/empty.jsonl tar/none/zstd = EMPTY\n", 3 },
        { "cut.tar", false,
          "<stdin>:logs/a.jsonl tar/none/none = A\n<stdin>:logs/big.jsonl tar/none/none = BIG\n"
          "<stdin>:logs/c.jsonl tar/none/none = C\n", 0 },
        { "gnu.tar", true,
          "<stdin>:logs/a.jsonl tar/none/none = A\n<stdin>:logs/b.jsonl.gz tar/gzip/none = B\n"
          "<stdin>:logs/empty.jsonl tar/none/none = EMPTY\n", 3 },
        { "deflate.zip", false,
          "<stdin>:logs/a.jsonl zip/none/none = A\n<stdin>:logs/b.jsonl.gz zip/gzip/none = B\n"
          "<stdin>:logs/empty.jsonl zip/none/none = EMPTY\n", 3 },
    };
    for (size_t i = 0; i < TF_ARRAY_LEN(cases); i++) {
        if (!have_file(cases[i].file)) {
            ok(1, "# SKIP stdin %s: not built (tool missing)", cases[i].file);
            continue;
        }
        char *err;
        char *got = run_stdin(cases[i].file, cases[i].as_file, &err);
        int n = 0;
        for (const char *p = cases[i].want; *p; p++)
            n += *p == '\n';
        char *want = tf_xasprintf("%sinputs=1 streams=%d skipped_members=%d skipped_files=0 errors=0",
                                  cases[i].want, n, cases[i].skipped);
        is_str(got, want, "stdin from %s %s", cases[i].as_file ? "the file" : "a pipe of", cases[i].file);
        free(want);
        free(got);
        free(err);
    }
    if (have_file("archive.7z")) {
        char *err;
        char *got = run_stdin("archive.7z", false, &err);
        is_str(got, "inputs=1 streams=0 skipped_members=0 skipped_files=0 errors=1",
               "stdin: a 7z archive through a pipe is refused");
        is_str(err, "tracefill: error: <stdin>: a 7z archive cannot be read from a pipe; save it to a "
                    "file first\n", "stdin: the 7z refusal says why");
        free(got);
        free(err);
        got = run_stdin("archive.7z", true, &err);
        ok(strstr(got, "<stdin>:logs/a.jsonl 7z/none/none = A\n") != NULL,
           "stdin: a 7z archive as a redirected file is read");
        free(got);
        free(err);
    } else {
        ok(1, "# SKIP 7z is not installed");
        ok(1, "# SKIP 7z is not installed");
        ok(1, "# SKIP 7z is not installed");
    }
    /* Identity of a pipe. */
    int saved = dup(STDIN_FILENO), pfd[2];
    if (pipe(pfd) == 0) {
        ssize_t w = write(pfd[1], "{}\n", 3);
        close(pfd[1]);
        dup2(pfd[0], STDIN_FILENO);
        close(pfd[0]);
        tf_source *src = tf_source_new(INPUTS("-"), NULL);
        tf_stream *s;
        tf_source_next(src, &s);
        const tf_stream_info *in = tf_stream_get_info(s);
        ok(w == 3 && strcmp(in->path, "-") == 0 && strcmp(in->name, "<stdin>") == 0 && in->size == -1 &&
               in->fp_len == 3,
           "stdin pipe: path '-', name <stdin>, size unknown, 3 fingerprint bytes");
        tf_source_free(src);
        dup2(saved, STDIN_FILENO);
    }
    close(saved);
}

static void test_open_file(void)
{
    tf_err err;
    tf_stream *s = tf_stream_open_file("tar.gz.bin", &err);
    tf_buf d = { 0 };
    if (s)
        describe(&d, s, 1000);
    tf_buf_cstr(&d);
    char *want = tf_xasprintf("tar.gz.bin none/gzip/none bytes=%lld (unknown content)\n", fsize("gnu.tar"));
    is_str(d.p, want, "tf_stream_open_file decodes but does not open containers");
    free(want);
    tf_stream_close(s);
    tf_buf_free(&d);
    s = tf_stream_open_file("nope.jsonl", &err);
    ok(s == NULL, "tf_stream_open_file: missing file");
    is_str(err.msg, "nope.jsonl: cannot open: No such file or directory", "tf_stream_open_file: message");
    s = tf_stream_open_file("junk", &err);
    is_str(err.msg, "junk: is a directory", "tf_stream_open_file: a directory");
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const char *top = getenv("top_srcdir");
    char script[PATH_MAX];
    snprintf(script, sizeof script, "%s/tests/data/make-fixtures.sh", top ? top : "..");
    const char *tmp = getenv("TMPDIR");
    snprintf(fx, sizeof fx, "%s/tracefill-unit-source.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(fx)) {
        printf("1..0 # SKIP cannot make a temp dir\n");
        return 0;
    }
    snprintf(cap_path, sizeof cap_path, "%s/stderr.txt", fx);
    char *cmd = tf_xasprintf("sh '%s' '%s' >'%s/make.log' 2>&1", script, fx, fx);
    int rc = system(cmd);
    free(cmd);
    if (rc != 0 || chdir(fx) != 0) {
        printf("not ok 1 - tests/data/make-fixtures.sh failed (see %s/make.log)\n1..1\n", fx);
        return 1;
    }
    size_t n;
    char *missing = slurp("missing-tools", &n);
    if (n)
        diag("tools not installed, their fixtures are skipped: %s", missing);
    free(missing);
    learn("A", "src/logs/a.jsonl", NULL);
    learn("B", "src/logs/b.jsonl", NULL);
    learn("C", "src/logs/c.jsonl", NULL);
    learn("A+B", "src/logs/a.jsonl", "src/logs/b.jsonl");
    learn("BIG", "src/logs/big.jsonl", NULL);
    learn("EMPTY", "empty.jsonl", NULL);
    learn("BINARY", "binary.jsonl", NULL);

    test_detect();
    test_compressed();
    test_containers();
    test_bad();
    test_dirs();
    test_permissions();
    test_stdin();
    test_open_file();

    int status = done_testing();
    if (status == 0) {
        cmd = tf_xasprintf("rm -rf '%s'", fx);
        if (system(cmd) != 0)
            diag("could not remove %s", fx);
        free(cmd);
    } else {
        diag("fixtures kept in %s", fx);
    }
    return status;
}
