/* compress.h: request body compression (gzip, zstd) for OTLP/HTTP.
 * A tf_compressor keeps its codec state between calls so repeated requests
 * do not reallocate; one per thread. Output is appended to the caller's buf. */
#ifndef TF_COMPRESS_H
#define TF_COMPRESS_H

#include "tool/opts.h"

typedef struct tf_compressor tf_compressor;

tf_compressor *tf_compressor_new(tf_compression alg);
void tf_compressor_free(tf_compressor *c);
/* 0 on success, -1 on a codec failure (out untouched beyond its old length). */
int tf_compress(tf_compressor *c, const void *in, size_t n, tf_buf *out);
/* "gzip", "zstd" or NULL for none: the Content-Encoding value. */
const char *tf_compression_name(tf_compression alg);

#endif
