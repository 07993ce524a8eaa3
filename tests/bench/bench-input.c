/* bench-input.c: measures the input stage (not a test).
 *   tests/bench-input [--libarchive] [--frame] [--list] [--max-record N] INPUT...
 * Reads every stream of the inputs to the end (and frames it with --frame),
 * then prints decoded MB/s and records/s on stderr. --libarchive routes gzip
 * and zstd through libarchive instead of zlib/libzstd; --list prints one line
 * per stream (identity, bytes, frames, error) on stdout. */
#include "config.h"
#include "input/decode.h"
#include "input/frame.h"
#include "tool/msg.h"
#include "input/source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    bool do_frame = false, list = false;
    size_t max_record = 0;
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
        if (strcmp(argv[i], "--libarchive") == 0)
            tf_decompress_force_libarchive(true);
        else if (strcmp(argv[i], "--frame") == 0)
            do_frame = true;
        else if (strcmp(argv[i], "--list") == 0)
            list = true;
        else if (strcmp(argv[i], "--max-record") == 0 && i + 1 < argc)
            max_record = (size_t)strtoull(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "usage: bench-input [--libarchive] [--frame] [--list] [--max-record N] INPUT...\n");
            return 2;
        }
    }
    if (i == argc) {
        fprintf(stderr, "bench-input: no inputs\n");
        return 2;
    }
    tf_source *src = tf_source_new((const char *const *)argv + i, (size_t)(argc - i), NULL);
    tf_framer *fr = tf_framer_new(max_record);
    char *buf = tf_xmalloc(TF_INPUT_BUFSIZE);
    uint64_t bytes = 0, records = 0, bad = 0, t0 = tf_now_mono_ns();
    int status = 0;
    tf_stream *s;
    while (tf_source_next(src, &s) == 1) {
        const tf_stream_info *in = tf_stream_get_info(s);
        uint64_t sb = 0, sr = 0, sbad = 0;
        const char *err = NULL;
        tf_err e;
        if (do_frame) {
            tf_framer_start(fr, s, 0);
            tf_frame f;
            int r;
            while ((r = tf_framer_next(fr, &f, &e)) > 0) {
                if (r == TF_FRAME_RECORD)
                    sr++;
                else
                    sbad++;
            }
            if (r < 0)
                err = e.msg;
            sb = tf_stream_decoded_offset(s);
        } else {
            ssize_t n;
            while ((n = tf_stream_read(s, buf, TF_INPUT_BUFSIZE, &e)) > 0)
                sb += (uint64_t)n;
            if (n < 0)
                err = e.msg;
        }
        if (list) {
            char fp[17];
            tf_hex_encode(fp, in->fingerprint, 8);
            fp[16] = '\0';
            printf("%s container=%s compression=%s outer=%s size=%lld fp=%s/%zu bytes=%llu", in->name,
                   in->container, in->compression, in->outer, (long long)in->size, fp, in->fp_len,
                   (unsigned long long)sb);
            if (do_frame)
                printf(" mode=%s records=%llu bad=%llu", tf_framer_mode(fr), (unsigned long long)sr,
                       (unsigned long long)sbad);
            printf("%s%s\n", err ? " error=" : "", err ? err : "");
        } else if (err) {
            tf_errorf("%s: %s", in->name, err);
        }
        if (err)
            status = 1;
        bytes += sb;
        records += sr;
        bad += sbad;
        tf_stream_close(s);
    }
    double secs = (double)(tf_now_mono_ns() - t0) / 1e9;
    const tf_source_stats *st = tf_source_stats_get(src);
    fprintf(stderr,
            "%llu streams, %llu decoded bytes in %.3f s: %.1f MB/s", (unsigned long long)st->streams,
            (unsigned long long)bytes, secs, secs > 0 ? (double)bytes / 1e6 / secs : 0.0);
    if (do_frame)
        fprintf(stderr, ", %llu records (%llu bad): %.0f records/s", (unsigned long long)records,
                (unsigned long long)bad, secs > 0 ? (double)records / secs : 0.0);
    fprintf(stderr, "; skipped members %llu, skipped files %llu, errors %llu\n",
            (unsigned long long)st->skipped_members, (unsigned long long)st->skipped_files,
            (unsigned long long)st->errors);
    if (st->errors)
        status = 1;
    free(buf);
    tf_framer_free(fr);
    tf_source_free(src);
    return status;
}
