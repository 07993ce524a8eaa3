/* compress.c: gzip via zlib (fast level; the body is compressed once and
 * kept for retries) and zstd via libzstd. */
#include "config.h"
#include "output/body_compress.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#define TF_GZIP_LEVEL 1
#define TF_ZSTD_LEVEL 1

struct tf_compressor {
    tf_compression alg;
    z_stream z;
    bool z_ready;
    ZSTD_CCtx *zc;
};

tf_compressor *tf_compressor_new(tf_compression alg)
{
    tf_compressor *c = tf_xcalloc(1, sizeof *c);
    c->alg = alg;
    if (alg == TF_COMP_GZIP) {
        /* windowBits 15 + 16: a gzip wrapper instead of zlib's. */
        if (deflateInit2(&c->z, TF_GZIP_LEVEL, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK)
            c->z_ready = true;
    } else if (alg == TF_COMP_ZSTD) {
        c->zc = ZSTD_createCCtx();
    }
    return c;
}

void tf_compressor_free(tf_compressor *c)
{
    if (!c)
        return;
    if (c->z_ready)
        deflateEnd(&c->z);
    ZSTD_freeCCtx(c->zc);
    free(c);
}

const char *tf_compression_name(tf_compression alg)
{
    return alg == TF_COMP_GZIP ? "gzip" : alg == TF_COMP_ZSTD ? "zstd" : NULL;
}

static int gzip_body(tf_compressor *c, const void *in, size_t n, tf_buf *out)
{
    if (!c->z_ready || deflateReset(&c->z) != Z_OK)
        return -1;
    size_t old = out->len;
    tf_buf_reserve(out, deflateBound(&c->z, (uLong)n) + 32);
    c->z.next_in = (Bytef *)(uintptr_t)in;
    c->z.avail_in = (uInt)n;
    c->z.next_out = (Bytef *)out->p + out->len;
    c->z.avail_out = (uInt)(out->cap - out->len);
    int rc = deflate(&c->z, Z_FINISH);
    if (rc != Z_STREAM_END) {
        out->len = old;
        return -1;
    }
    out->len = out->cap - c->z.avail_out;
    return 0;
}

static int zstd_body(tf_compressor *c, const void *in, size_t n, tf_buf *out)
{
    if (!c->zc)
        return -1;
    size_t bound = ZSTD_compressBound(n);
    tf_buf_reserve(out, bound);
    size_t r = ZSTD_compressCCtx(c->zc, out->p + out->len, bound, in, n, TF_ZSTD_LEVEL);
    if (ZSTD_isError(r))
        return -1;
    out->len += r;
    return 0;
}

int tf_compress(tf_compressor *c, const void *in, size_t n, tf_buf *out)
{
    switch (c->alg) {
    case TF_COMP_GZIP: return gzip_body(c, in, n, out);
    case TF_COMP_ZSTD: return zstd_body(c, in, n, out);
    case TF_COMP_NONE: tf_buf_append(out, in, n); return 0;
    }
    return -1;
}
