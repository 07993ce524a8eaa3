/* tap.h: a tiny TAP producer for the unit tests (plan/ok/is, in the style of
 * knot's tests/tap/basic.h). Header-only; each test program includes it once.
 * Failures print the expression and both values as TAP diagnostics. */
#ifndef TF_TAP_H
#define TF_TAP_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__)
#define TAP_UNUSED __attribute__((unused))
#define TAP_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define TAP_UNUSED
#define TAP_PRINTF(f, a)
#endif

static int tap_count, tap_failed, tap_planned;

TAP_UNUSED static void plan(int n)
{
    tap_planned = n;
    printf("1..%d\n", n);
}

TAP_UNUSED static void plan_lazy_end(void)
{
    printf("1..%d\n", tap_count);
}

TAP_PRINTF(2, 0) static int tap_vok(int cond, const char *fmt, va_list ap)
{
    tap_count++;
    printf("%s %d - ", cond ? "ok" : "not ok", tap_count);
    vprintf(fmt, ap);
    printf("\n");
    if (!cond)
        tap_failed++;
    fflush(stdout);
    return cond;
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static int ok(int cond, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = tap_vok(cond, fmt, ap);
    va_end(ap);
    return r;
}

TAP_UNUSED TAP_PRINTF(1, 2) static void diag(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("# ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
}

#define is_int(got, want, ...)                                                                    \
    do {                                                                                          \
        long long g_ = (long long)(got), w_ = (long long)(want);                                  \
        if (!ok(g_ == w_, __VA_ARGS__))                                                           \
            diag("  got: %lld\n#   expected: %lld", g_, w_);                                      \
    } while (0)

#define is_u64(got, want, ...)                                                                    \
    do {                                                                                          \
        uint64_t g_ = (uint64_t)(got), w_ = (uint64_t)(want);                                     \
        if (!ok(g_ == w_, __VA_ARGS__))                                                           \
            diag("  got: %" PRIu64 "\n#   expected: %" PRIu64, g_, w_);                          \
    } while (0)

#define is_str(got, want, ...)                                                                    \
    do {                                                                                          \
        const char *g_ = (got), *w_ = (want);                                                     \
        int eq_ = (g_ == NULL && w_ == NULL) || (g_ && w_ && strcmp(g_, w_) == 0);                \
        if (!ok(eq_, __VA_ARGS__))                                                                \
            diag("  got: '%s'\n#   expected: '%s'", g_ ? g_ : "(null)", w_ ? w_ : "(null)");      \
    } while (0)

#define is_mem(got, glen, want, wlen, ...)                                                        \
    do {                                                                                          \
        size_t gl_ = (glen), wl_ = (wlen);                                                        \
        int eq_ = gl_ == wl_ && memcmp((got), (want), gl_) == 0;                                  \
        if (!ok(eq_, __VA_ARGS__))                                                                \
            diag("  got: '%.*s'\n#   expected: '%.*s'", (int)gl_, (const char *)(got), (int)wl_,  \
                 (const char *)(want));                                                           \
    } while (0)

/* Exit status for automake: non-zero when anything failed or the plan was off. */
TAP_UNUSED static int done_testing(void)
{
    if (!tap_planned)
        plan_lazy_end();
    else if (tap_planned != tap_count)
        diag("planned %d tests but ran %d", tap_planned, tap_count);
    return tap_failed || (tap_planned && tap_planned != tap_count) ? 1 : 0;
}

#endif
