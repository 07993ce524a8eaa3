/* util.h: growable buffers, arenas and small string helpers.
 * Ownership: a tf_buf owns its bytes until tf_buf_free; everything allocated
 * from a tf_arena lives until tf_arena_reset/tf_arena_free. Allocation failure
 * aborts the process (tracefill cannot make progress without memory). */
#ifndef TF_UTIL_H
#define TF_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdbool.h>

#define TF_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define TF_MIN(a, b) ((a) < (b) ? (a) : (b))
#define TF_MAX(a, b) ((a) > (b) ? (a) : (b))

#if defined(__has_attribute)
#if __has_attribute(fallthrough)
#define TF_FALLTHROUGH __attribute__((fallthrough))
#endif
#endif
#ifndef TF_FALLTHROUGH
#define TF_FALLTHROUGH ((void)0)
#endif
#if defined(__GNUC__)
#define TF_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define TF_NORETURN __attribute__((noreturn))
#define TF_LIKELY(x) __builtin_expect(!!(x), 1)
#define TF_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define TF_PRINTF(f, a)
#define TF_NORETURN
#define TF_LIKELY(x) (x)
#define TF_UNLIKELY(x) (x)
#endif

void *tf_xmalloc(size_t n);
void *tf_xcalloc(size_t n, size_t size);
void *tf_xrealloc(void *p, size_t n);
char *tf_xstrdup(const char *s);
char *tf_xstrndup(const char *s, size_t n);
char *tf_xasprintf(const char *fmt, ...) TF_PRINTF(1, 2);

/* A string slice: not NUL-terminated unless stated. */
typedef struct {
    const char *p;
    size_t len;
} tf_str;

#define TF_STR(lit) ((tf_str){ (lit), sizeof(lit) - 1 })
tf_str tf_str_c(const char *s);
int tf_str_eq(tf_str a, tf_str b);
int tf_str_eqc(tf_str a, const char *c);

/* Growable byte buffer. */
typedef struct {
    char *p;
    size_t len;
    size_t cap;
} tf_buf;

void tf_buf_grow(tf_buf *b, size_t extra); /* the slow path of reserve */
static inline void tf_buf_reserve(tf_buf *b, size_t extra)
{
    if (TF_UNLIKELY(b->len + extra > b->cap))
        tf_buf_grow(b, extra);
}
void tf_buf_append(tf_buf *b, const void *p, size_t n);
/* Appends a string literal (its length known at compile time). */
#define TF_BUF_LIT(b, lit) tf_buf_append((b), (lit), sizeof(lit) - 1)
void tf_buf_puts(tf_buf *b, const char *s);
void tf_buf_printf(tf_buf *b, const char *fmt, ...) TF_PRINTF(2, 3);
void tf_buf_vprintf(tf_buf *b, const char *fmt, va_list ap) TF_PRINTF(2, 0);
void tf_buf_free(tf_buf *b);
const char *tf_buf_cstr(tf_buf *b); /* NUL-terminates (not counted in len) */
static inline void tf_buf_putc(tf_buf *b, char c)
{
    tf_buf_reserve(b, 1);
    b->p[b->len++] = c;
}

/* Bump allocator in chunks; reset keeps the first chunk for reuse. */
typedef struct tf_arena_chunk tf_arena_chunk;
typedef struct {
    tf_arena_chunk *head;
    size_t chunk_size;
} tf_arena;

void tf_arena_init(tf_arena *a, size_t chunk_size);
void *tf_arena_alloc(tf_arena *a, size_t n); /* 8-byte aligned, uninitialised */
void *tf_arena_calloc(tf_arena *a, size_t n);
char *tf_arena_strndup(tf_arena *a, const char *s, size_t n);
char *tf_arena_printf(tf_arena *a, const char *fmt, ...) TF_PRINTF(2, 3);
void tf_arena_reset(tf_arena *a);
void tf_arena_free(tf_arena *a);

/* Decimal formatting without printf (hot paths): writes the digits (no NUL)
 * and returns their count; out needs 20 (u64) or 21 (i64) bytes. */
size_t tf_fmt_u64(char *out, uint64_t v);
size_t tf_fmt_i64(char *out, int64_t v);
/* Concatenation of up to 4 slices into the arena (NUL-terminated). */
tf_str tf_arena_concat(tf_arena *a, tf_str s1, tf_str s2, tf_str s3, tf_str s4);

/* Hex helpers: out must hold 2*n bytes (no NUL added). */
void tf_hex_encode(char *out, const uint8_t *in, size_t n);
/* Decodes exactly 2*n hex digits; returns 0 on success, -1 on a bad digit. */
int tf_hex_decode(uint8_t *out, const char *in, size_t n);

/* UTF-8: length of the valid sequence at p (1..4), 0 when invalid (overlong,
 * surrogate, beyond U+10FFFF, truncated); and whole-buffer validation. */
size_t tf_utf8_seq(const unsigned char *p, size_t n);
bool tf_utf8_valid(const void *p, size_t n);

/* Standard base64 (RFC 4648, with padding), appended to out. */
void tf_base64_encode(tf_buf *out, const void *p, size_t n);

/* Glob match (fnmatch semantics without FNM_PATHNAME): '*' also crosses '/'. */
int tf_glob_match(const char *pattern, const char *name);

/* write(2) until all n bytes are written, retrying EINTR; 0 or -1 (errno). */
int tf_write_all(int fd, const void *p, size_t n);

/* Monotonic and wall clocks. */
uint64_t tf_now_mono_ns(void);
uint64_t tf_now_wall_ns(void);

#endif
