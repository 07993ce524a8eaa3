/* util.c: buffers, arenas, hex, globbing, clocks. */
#include "config.h"
#include "common/util.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <errno.h>

static TF_NORETURN void oom(size_t n)
{
    fprintf(stderr, "tracefill: out of memory allocating %zu bytes\n", n);
    abort();
}

void *tf_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom(n);
    return p;
}

void *tf_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        oom(n * size);
    return p;
}

void *tf_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(n);
    return q;
}

char *tf_xstrdup(const char *s)
{
    return tf_xstrndup(s, strlen(s));
}

char *tf_xstrndup(const char *s, size_t n)
{
    char *p = tf_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *tf_xasprintf(const char *fmt, ...)
{
    tf_buf b = { 0 };
    va_list ap;
    va_start(ap, fmt);
    tf_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    tf_buf_cstr(&b);
    return b.p;
}

tf_str tf_str_c(const char *s)
{
    return (tf_str){ s, s ? strlen(s) : 0 };
}

int tf_str_eq(tf_str a, tf_str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

int tf_str_eqc(tf_str a, const char *c)
{
    return tf_str_eq(a, tf_str_c(c));
}

void tf_buf_grow(tf_buf *b, size_t extra)
{
    if (b->len + extra <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra)
        cap *= 2;
    b->p = tf_xrealloc(b->p, cap);
    b->cap = cap;
}

void tf_buf_append(tf_buf *b, const void *p, size_t n)
{
    if (n == 0)
        return;
    tf_buf_reserve(b, n);
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

void tf_buf_puts(tf_buf *b, const char *s)
{
    tf_buf_append(b, s, strlen(s));
}

void tf_buf_vprintf(tf_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    char tmp[256];
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return;
    if ((size_t)n < sizeof tmp) {
        tf_buf_append(b, tmp, (size_t)n);
        return;
    }
    tf_buf_reserve(b, (size_t)n + 1);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void tf_buf_printf(tf_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tf_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

const char *tf_buf_cstr(tf_buf *b)
{
    tf_buf_reserve(b, 1);
    b->p[b->len] = '\0';
    return b->p;
}

void tf_buf_free(tf_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

struct tf_arena_chunk {
    tf_arena_chunk *next;
    size_t size;
    size_t used;
    _Alignas(16) unsigned char data[];
};

void tf_arena_init(tf_arena *a, size_t chunk_size)
{
    a->head = NULL;
    a->chunk_size = chunk_size ? chunk_size : 64 * 1024;
}

void *tf_arena_alloc(tf_arena *a, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    tf_arena_chunk *c = a->head;
    if (TF_UNLIKELY(!c || c->size - c->used < n)) {
        size_t size = a->chunk_size;
        if (size < n)
            size = n;
        c = tf_xmalloc(sizeof *c + size);
        c->size = size;
        c->used = 0;
        c->next = a->head;
        a->head = c;
    }
    void *p = c->data + c->used;
    c->used += n;
    return p;
}

void *tf_arena_calloc(tf_arena *a, size_t n)
{
    void *p = tf_arena_alloc(a, n);
    memset(p, 0, n);
    return p;
}

char *tf_arena_strndup(tf_arena *a, const char *s, size_t n)
{
    char *p = tf_arena_alloc(a, n + 1);
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *tf_arena_printf(tf_arena *a, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return tf_arena_strndup(a, "", 0);
    if ((size_t)n < sizeof tmp)
        return tf_arena_strndup(a, tmp, (size_t)n);
    char *p = tf_arena_alloc(a, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void tf_arena_reset(tf_arena *a)
{
    /* Keep the oldest standard-size chunk; free the rest. */
    tf_arena_chunk *c = a->head, *keep = NULL;
    while (c) {
        tf_arena_chunk *next = c->next;
        if (!keep && c->size == a->chunk_size)
            keep = c;
        else
            free(c);
        c = next;
    }
    if (keep) {
        keep->next = NULL;
        keep->used = 0;
    }
    a->head = keep;
}

void tf_arena_free(tf_arena *a)
{
    tf_arena_chunk *c = a->head;
    while (c) {
        tf_arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    a->head = NULL;
}

size_t tf_fmt_u64(char *out, uint64_t v)
{
    static const char pairs[201] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                                   "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                                   "8081828384858687888990919293949596979899";
    char tmp[20];
    size_t n = sizeof tmp;
    while (v >= 100) { /* two digits per division */
        unsigned r = (unsigned)(v % 100);
        v /= 100;
        n -= 2;
        memcpy(tmp + n, pairs + 2 * r, 2);
    }
    if (v >= 10) {
        n -= 2;
        memcpy(tmp + n, pairs + 2 * v, 2);
    } else {
        tmp[--n] = (char)('0' + v);
    }
    memcpy(out, tmp + n, sizeof tmp - n);
    return sizeof tmp - n;
}

size_t tf_fmt_i64(char *out, int64_t v)
{
    if (v >= 0)
        return tf_fmt_u64(out, (uint64_t)v);
    out[0] = '-';
    return 1 + tf_fmt_u64(out + 1, (uint64_t)0 - (uint64_t)v);
}

tf_str tf_arena_concat(tf_arena *a, tf_str s1, tf_str s2, tf_str s3, tf_str s4)
{
    size_t n = s1.len + s2.len + s3.len + s4.len;
    char *p = tf_arena_alloc(a, n + 1), *q = p;
    const tf_str parts[4] = { s1, s2, s3, s4 };
    for (int i = 0; i < 4; i++) {
        if (parts[i].len)
            memcpy(q, parts[i].p, parts[i].len);
        q += parts[i].len;
    }
    *q = '\0';
    return (tf_str){ p, n };
}

void tf_hex_encode(char *out, const uint8_t *in, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int tf_hex_decode(uint8_t *out, const char *in, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int hi = hexval(in[2 * i]), lo = hexval(in[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

size_t tf_utf8_seq(const unsigned char *p, size_t n)
{
    unsigned c = p[0];
    size_t need;
    unsigned min;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        need = 2;
        min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        need = 3;
        min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        need = 4;
        min = 0x10000;
    } else
        return 0;
    if (n < need)
        return 0;
    unsigned cp = c & (0x7f >> need);
    for (size_t i = 1; i < need; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (p[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return need;
}

bool tf_utf8_valid(const void *data, size_t n)
{
    const unsigned char *p = data;
    size_t i = 0;
    while (i < n) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        size_t k = tf_utf8_seq(p + i, n - i);
        if (!k)
            return false;
        i += k;
    }
    return true;
}

void tf_base64_encode(tf_buf *out, const void *data, size_t n)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *p = data;
    tf_buf_reserve(out, (n + 2) / 3 * 4);
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) |
                     (i + 2 < n ? p[i + 2] : 0);
        char q[4] = { tbl[v >> 18 & 63], tbl[v >> 12 & 63], i + 1 < n ? tbl[v >> 6 & 63] : '=',
                      i + 2 < n ? tbl[v & 63] : '=' };
        tf_buf_append(out, q, 4);
    }
}

int tf_glob_match(const char *pattern, const char *name)
{
    return fnmatch(pattern, name, 0) == 0;
}

int tf_write_all(int fd, const void *data, size_t n)
{
    const char *p = data;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static uint64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t tf_now_mono_ns(void)
{
    return clock_ns(CLOCK_MONOTONIC);
}

uint64_t tf_now_wall_ns(void)
{
    return clock_ns(CLOCK_REALTIME);
}
