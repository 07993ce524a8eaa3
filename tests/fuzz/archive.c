/* archive.c: the archive reader (input/source.c over libarchive) as `run`
 * uses it: the input is written to a file, which tf_source opens (its
 * compression and container told by content: tar, zip, cpio, 7z, rar, each
 * possibly compressed), and every stream it yields is framed (tf_framer)
 * to the end, as the reader thread does.
 * Invariants: every stream has a name, a container and compression names;
 * an error reported for an input or member says something; a stream that
 * fails says what failed; decoded offsets only grow. At most 8 MiB is
 * decoded per input (a small archive may legitimately expand much more). */
#include "tests/fuzz/fuzz.h"
#include "input/frame.h"
#include "input/source.h"

#include <string.h>

static char *path;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    tf_fuzz_logs();
    path = tf_fuzz_tmpfile("input");
    (void)argc;
    (void)argv;
    return 0;
}

static void on_error(void *ctx, const tf_err *err)
{
    TF_FUZZ_CHECK(err->msg[0] != '\0');
    (*(unsigned *)ctx)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tf_fuzz_write_file(path, data, size);

    unsigned errors = 0;
    tf_source_opts so = { .logs = TF_LOGS_JSON, .on_error = on_error, .on_error_ctx = &errors };
    const char *inputs[] = { path };
    tf_source *src = tf_source_new(inputs, 1, &so);
    tf_framer *fr = tf_framer_new(0);
    uint64_t decoded = 0;
    tf_stream *s;
    while (decoded < 8u * 1024 * 1024 && tf_source_next(src, &s) == 1) {
        const tf_stream_info *info = tf_stream_get_info(s);
        TF_FUZZ_CHECK(info->name && info->path && info->container && info->compression && info->outer);
        TF_FUZZ_CHECK(info->fp_len <= TF_FINGERPRINT_BYTES);
        tf_framer_start(fr, s, 0);
        uint64_t last = 0;
        for (;;) {
            tf_frame fm;
            tf_err err;
            tf_err_clear(&err);
            int r = tf_framer_next(fr, &fm, &err);
            if (r == TF_FRAME_END)
                break;
            if (r == TF_FRAME_ERROR) {
                TF_FUZZ_CHECK(err.msg[0] != '\0');
                break;
            }
            TF_FUZZ_CHECK(fm.end >= last);
            last = fm.end;
            if (decoded + fm.end > 8u * 1024 * 1024)
                break;
        }
        TF_FUZZ_CHECK(tf_stream_decoded_offset(s) >= last);
        decoded += tf_stream_decoded_offset(s);
        tf_stream_close(s);
    }
    const tf_source_stats *st = tf_source_stats_get(src);
    TF_FUZZ_CHECK(st->errors == errors);
    tf_framer_free(fr);
    tf_source_free(src);
    return 0;
}
