/* regex.c: the regex format on PCRE2 (8-bit code units, no UTF mode: the
 * pattern works on bytes, so a line with invalid UTF-8 still matches).
 * The code is compiled once, anchored at the start of the line, JIT-compiled
 * when the library supports it, and then only read by every worker; each
 * worker has its own match data, match context and JIT stack. A line that
 * does not match is diagnosed with partial matching: the longest prefix of
 * the line that could still begin a match tells where it stops fitting. */
#include "config.h"
#include "map/text/text_int.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *name;
    size_t len;
    uint32_t group;
} gname;

static int by_group(const void *a, const void *b)
{
    const gname *x = a, *y = b;
    return x->group < y->group ? -1 : x->group > y->group;
}

/* The named groups as columns, in the order of their first group; a name
 * used twice (alternatives, with duplicate names allowed) takes whichever
 * of its groups is set. */
static int build_columns(tf_text_format *f, tf_err *err)
{
    uint32_t count = 0, esize = 0;
    PCRE2_SPTR table = NULL;
    pcre2_pattern_info(f->re, PCRE2_INFO_NAMECOUNT, &count);
    pcre2_pattern_info(f->re, PCRE2_INFO_NAMEENTRYSIZE, &esize);
    pcre2_pattern_info(f->re, PCRE2_INFO_NAMETABLE, &table);
    uint32_t cap = 0;
    pcre2_pattern_info(f->re, PCRE2_INFO_CAPTURECOUNT, &cap);
    f->ngroups = cap;
    if (count == 0)
        return tf_err_set(err, "\"format.pattern\": no named groups: write (?<name>...) for each field");
    gname *g = tf_xcalloc(count, sizeof *g);
    for (uint32_t i = 0; i < count; i++) {
        PCRE2_SPTR e = table + (size_t)i * esize;
        g[i].group = (uint32_t)e[0] << 8 | e[1];
        g[i].name = (const char *)e + 2;
        g[i].len = strlen(g[i].name);
    }
    qsort(g, count, sizeof *g, by_group);
    /* Distinct names in order of first appearance. */
    tf_str *names = tf_xcalloc(count, sizeof *names);
    size_t n = 0;
    for (uint32_t i = 0; i < count; i++) {
        bool seen = false;
        for (size_t j = 0; j < n && !seen; j++)
            seen = names[j].len == g[i].len && !memcmp(names[j].p, g[i].name, g[i].len);
        if (!seen)
            names[n++] = (tf_str){ g[i].name, g[i].len };
    }
    tf_text_columns *c = tf_arena_calloc(&f->arena, sizeof *c);
    c->n = n;
    c->names = tf_arena_alloc(&f->arena, n * sizeof *c->names);
    c->types = tf_arena_alloc(&f->arena, n * sizeof *c->types);
    c->first = tf_arena_alloc(&f->arena, (n + 1) * sizeof *c->first);
    c->groups = tf_arena_alloc(&f->arena, count * sizeof *c->groups);
    c->date_col = c->time_col = -1;
    uint32_t k = 0;
    for (size_t j = 0; j < n; j++) {
        c->names[j] = (tf_str){ tf_arena_strndup(&f->arena, names[j].p, names[j].len), names[j].len };
        c->types[j] = tf_text_type_for(f, names[j].p, names[j].len);
        c->first[j] = k;
        for (uint32_t i = 0; i < count; i++)
            if (g[i].len == names[j].len && !memcmp(g[i].name, names[j].p, g[i].len))
                c->groups[k++] = g[i].group;
    }
    c->first[n] = k;
    f->fixed = c;
    free(names);
    free(g);
    return 0;
}

int tf_text_regex_compile(tf_text_format *f, const char *pattern, tf_err *err)
{
    int ec;
    PCRE2_SIZE eo;
    f->re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, PCRE2_ANCHORED | PCRE2_DUPNAMES,
                          &ec, &eo, NULL);
    if (!f->re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(ec, msg, sizeof msg);
        return tf_err_set(err, "\"format.pattern\": at character %zu: %s", (size_t)eo + 1, (const char *)msg);
    }
    /* Without JIT support in the library, PCRE2's interpreter does the same work. */
    f->jit = pcre2_jit_compile(f->re, PCRE2_JIT_COMPLETE | PCRE2_JIT_PARTIAL_HARD) == 0;
    return build_columns(f, err);
}

int tf_text_regex_parser_init(tf_text_parser *p, tf_err *err)
{
    p->md = pcre2_match_data_create_from_pattern(p->f->re, NULL);
    p->mctx = pcre2_match_context_create(NULL);
    if (!p->md || !p->mctx)
        return tf_err_set(err, "out of memory for PCRE2 match data");
    /* Access-log patterns need a few hundred steps a line; a pattern that
     * backtracks without end is cut off (the line is rejected). */
    pcre2_set_match_limit(p->mctx, 1000000);
    if (p->f->jit) {
        p->jit_stack = pcre2_jit_stack_create(32 * 1024, 1024 * 1024, NULL);
        if (p->jit_stack)
            pcre2_jit_stack_assign(p->mctx, NULL, p->jit_stack);
    }
    return 0;
}

void tf_text_regex_parser_free(tf_text_parser *p)
{
    if (p->md)
        pcre2_match_data_free(p->md);
    if (p->mctx)
        pcre2_match_context_free(p->mctx);
    if (p->jit_stack)
        pcre2_jit_stack_free(p->jit_stack);
    p->md = NULL;
    p->mctx = NULL;
    p->jit_stack = NULL;
}

static int match(tf_text_parser *p, const char *s, size_t len, uint32_t opts)
{
    return pcre2_match(p->f->re, (PCRE2_SPTR)s, len, 0, opts, p->md, p->mctx);
}

static bool limit_hit(int rc)
{
    return rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
           rc == PCRE2_ERROR_JIT_STACKLIMIT || rc == PCRE2_ERROR_HEAPLIMIT;
}

/* Could line[0..k) begin a match? 1 yes, 0 no, -1 a PCRE2 limit says nothing. */
static int fits(tf_text_parser *p, const char *line, size_t k)
{
    int rc = match(p, line, k, PCRE2_PARTIAL_HARD);
    if (limit_hit(rc))
        return -1;
    return rc >= 0 || rc == PCRE2_ERROR_PARTIAL;
}

static int no_match(tf_text_parser *p, const char *line, size_t len, tf_err *why)
{
    const char *name = p->f->name;
    int r = fits(p, line, len);
    if (r == 1) {
        tf_err_set(why, "does not match %s: the line ends early (after byte %zu)", name, len);
        return TF_TEXT_NOMATCH;
    }
    /* The longest prefix that fits: fits() is true for every prefix of one
     * that fits, so a binary search finds it in log2(len) matches. */
    size_t lo = 0, hi = len; /* fits(lo) assumed (the empty prefix), !fits(hi) */
    while (r >= 0 && hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        r = fits(p, line, mid);
        if (r == 1)
            lo = mid;
        else
            hi = mid;
    }
    if (r < 0) {
        tf_err_set(why, "does not match %s", name);
        return TF_TEXT_NOMATCH;
    }
    /* line[0..lo) fits, byte lo (0-based) does not. */
    tf_buf b = { 0 };
    tf_text_excerpt(&b, line + lo, len - lo, 32);
    tf_err_set(why, "does not match %s from byte %zu: %s", name, lo + 1, tf_buf_cstr(&b));
    tf_buf_free(&b);
    return TF_TEXT_NOMATCH;
}

int tf_text_regex_parse(tf_text_parser *p, const tf_text_columns *cols, tf_arena *a,
                        const char *line, size_t len, tf_json **out, tf_err *why)
{
    int rc = match(p, line, len, 0);
    if (rc == PCRE2_ERROR_NOMATCH)
        return no_match(p, line, len, why);
    if (limit_hit(rc)) {
        tf_err_set(why, "%s: the pattern backtracks too much on this line (PCRE2 limit reached)",
                   p->f->name);
        return TF_TEXT_NOMATCH;
    }
    if (rc < 0) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(rc, msg, sizeof msg);
        tf_err_set(why, "%s: PCRE2 error: %s", p->f->name, (const char *)msg);
        return TF_TEXT_NOMATCH;
    }
    const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(p->md);
    uint32_t top = (uint32_t)rc; /* groups >= rc are unset */
    for (size_t i = 0; i < cols->n; i++) {
        p->set[i] = false;
        for (uint32_t k = cols->first[i]; k < cols->first[i + 1]; k++) {
            uint32_t g = cols->groups[k];
            if (g < top && ov[2 * g] != PCRE2_UNSET) {
                p->vals[i] = (tf_str){ line + ov[2 * g], ov[2 * g + 1] - ov[2 * g] };
                p->set[i] = true;
                break;
            }
        }
    }
    return tf_text_build(p, cols, a, out, why);
}
