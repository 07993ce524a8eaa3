/* decode.c: what both readers share: checking and recording decoded spans;
 * decompressing gzip and zstd bodies. */
#include "config.h"

#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "receiver.h"

/* ------------------------------------------------------------------------ */
/* Decoding: spans                                                           */

bool derr(rx_decode *d, const char *fmt, ...)
{
    if (d->err[0])
        return false;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->err, sizeof d->err, fmt, ap);
    va_end(ap);
    return false;
}

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

bool check_id(rx_decode *d, const char *what, uint64_t span_no, const char *field,
                     const uint8_t *id, size_t len, size_t want, bool optional)
{
    if (optional && len == 0)
        return true;
    if (len != want)
        return derr(d, "%s %" PRIu64 ": %s must be %zu bytes, got %zu", what, span_no, field, want, len);
    if (all_zero(id, len))
        return derr(d, "%s %" PRIu64 ": %s is all zeroes (invalid)", what, span_no, field);
    return true;
}

static const char hexdig[] = "0123456789abcdef";

static void add_hex(rx_buf *b, const uint8_t *p, size_t n)
{
    buf_reserve(b, 2 * n);
    for (size_t i = 0; i < n; i++) {
        b->p[b->len++] = (uint8_t)hexdig[p[i] >> 4];
        b->p[b->len++] = (uint8_t)hexdig[p[i] & 15];
    }
}

/* Span names go last on their line; escape what would break the line. */
static void add_escaped_name(rx_buf *b, const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        if (c == '\\')
            buf_add(b, "\\\\", 2);
        else if (c == '\n')
            buf_add(b, "\\n", 2);
        else if (c == '\r')
            buf_add(b, "\\r", 2);
        else if (c == '\t')
            buf_add(b, "\\t", 2);
        else if (c < 0x20 || c == 0x7f)
            buf_addf(b, "\\x%02x", c);
        else
            buf_addc(b, c);
    }
}

bool span_done(rx_decode *d, const rx_span *s)
{
    uint64_t no = d->nspans + 1;
    if (!check_id(d, "span", no, "trace_id", s->trace_id, s->trace_len, 16, false) ||
        !check_id(d, "span", no, "span_id", s->span_id, s->span_len, 8, false) ||
        !check_id(d, "span", no, "parent_span_id", s->parent, s->parent_len, 8, true))
        return false;
    d->nspans = no;
    if (!d->lines)
        return true;
    rx_buf *b = d->lines;
    add_hex(b, s->trace_id, 16);
    buf_addc(b, ' ');
    add_hex(b, s->span_id, 8);
    buf_addc(b, ' ');
    if (s->parent_len)
        add_hex(b, s->parent, 8);
    else
        buf_addc(b, '-');
    buf_addf(b, " %" PRIu64 " %" PRIu64 " ", s->start, s->end);
    add_escaped_name(b, s->name, s->name_len);
    buf_addc(b, '\n');
    return true;
}


/* ------------------------------------------------------------------------ */
/* Decompression                                                             */

static bool dec_room(rx_buf *out, size_t hint)
{
    if (out->len >= RX_DECODED_MAX)
        return false;
    if (hint > (16u << 20))
        hint = 16u << 20;
    if (hint < 65536)
        hint = 65536;
    if (out->cap - out->len < 65536)
        buf_reserve(out, hint);
    return true;
}

bool gunzip_body(const uint8_t *in, size_t n, rx_buf *out, char *err, size_t errlen)
{
    z_stream *zs = &rx.zs;
    if (!rx.zs_ready) {
        memset(zs, 0, sizeof *zs);
        if (inflateInit2(zs, 16 + MAX_WBITS) != Z_OK)
            rx_fatal("inflateInit2 failed");
        rx.zs_ready = true;
    } else {
        inflateReset(zs);
    }
#if ZLIB_VERNUM >= 0x1290
    /* --discard is for throughput: skip the CRC-32 (a sixth of the time) */
    if (rx.discard)
        inflateValidate(zs, 0);
#endif
    if (n == 0) {
        snprintf(err, errlen, "gzip: empty body");
        return false;
    }
    zs->next_in = (Bytef *)(uintptr_t)in;
    zs->avail_in = 0;
    size_t left = n;
    for (;;) {
        if (zs->avail_in == 0 && left) {
            uInt chunk = left > UINT_MAX ? UINT_MAX : (uInt)left;
            zs->avail_in = chunk;
            left -= chunk;
        }
        if (!dec_room(out, n * 4)) {
            snprintf(err, errlen, "gzip: decoded body larger than %zu bytes", RX_DECODED_MAX);
            return false;
        }
        size_t room = out->cap - out->len;
        zs->next_out = out->p + out->len;
        zs->avail_out = room > UINT_MAX ? UINT_MAX : (uInt)room;
        uInt before = zs->avail_out;
        int rc = inflate(zs, Z_NO_FLUSH);
        out->len += before - zs->avail_out;
        if (rc == Z_STREAM_END) {
            if (zs->avail_in == 0 && left == 0)
                return true;
            /* another gzip member may follow */
            if (zs->avail_in >= 2 && zs->next_in[0] == 0x1f && zs->next_in[1] == 0x8b) {
                inflateReset(zs);
#if ZLIB_VERNUM >= 0x1290
                if (rx.discard)
                    inflateValidate(zs, 0);
#endif
                continue;
            }
            snprintf(err, errlen, "gzip: trailing garbage after the stream");
            return false;
        }
        if (rc == Z_BUF_ERROR && zs->avail_in == 0 && left == 0) {
            snprintf(err, errlen, "gzip: premature end of the stream");
            return false;
        }
        if (rc != Z_OK && rc != Z_BUF_ERROR) {
            snprintf(err, errlen, "gzip: %s", zs->msg ? zs->msg : "corrupt stream");
            return false;
        }
    }
}

bool unzstd_body(const uint8_t *in, size_t n, rx_buf *out, char *err, size_t errlen)
{
    if (!rx.zd && !(rx.zd = ZSTD_createDCtx()))
        rx_fatal("ZSTD_createDCtx failed");
    ZSTD_DCtx_reset(rx.zd, ZSTD_reset_session_only);
    if (n == 0) {
        snprintf(err, errlen, "zstd: empty body");
        return false;
    }
    unsigned long long fsize = ZSTD_getFrameContentSize(in, n);
    if (fsize != ZSTD_CONTENTSIZE_UNKNOWN && fsize != ZSTD_CONTENTSIZE_ERROR && fsize < RX_DECODED_MAX)
        buf_reserve(out, (size_t)fsize + 1);
    ZSTD_inBuffer ib = {in, n, 0};
    size_t rc = 1;
    while (ib.pos < ib.size || rc != 0) {
        if (!dec_room(out, n * 4)) {
            snprintf(err, errlen, "zstd: decoded body larger than %zu bytes", RX_DECODED_MAX);
            return false;
        }
        ZSTD_outBuffer ob = {out->p + out->len, out->cap - out->len, 0};
        size_t in_before = ib.pos;
        rc = ZSTD_decompressStream(rx.zd, &ob, &ib);
        out->len += ob.pos;
        if (ZSTD_isError(rc)) {
            snprintf(err, errlen, "zstd: %s", ZSTD_getErrorName(rc));
            return false;
        }
        if (ib.pos == ib.size && rc != 0 && ob.pos == 0 && in_before == ib.pos) {
            snprintf(err, errlen, "zstd: premature end of the stream");
            return false;
        }
    }
    return true;
}
