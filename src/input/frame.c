/* frame.c: record framing (lines, array, values) over a decoded stream with
 * one bounded buffer. Every decision depends on the bytes only, never on how
 * they arrived, so any read size gives the same frames. */
#include "config.h"
#include "input/frame.h"

#include "input/decode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MODE_UNKNOWN, MODE_LINES, MODE_ARRAY, MODE_VALUES, MODE_TEXT_BOM, MODE_TEXT };
enum { SCAN_MORE, SCAN_FRAME, SCAN_END, SCAN_DETECTED };
enum { RK_COMPOUND, RK_STRING, RK_SCALAR, RK_GARBAGE };

/* Byte classes for the scanners. */
enum {
    C_WS = 1,      /* space, tab, CR */
    C_NL = 2,      /* LF */
    C_OPEN = 4,    /* { [ */
    C_CLOSE = 8,   /* } ] */
    C_QUOTE = 16,  /* " */
    C_BSLASH = 32, /* \ */
    C_DELIM = 64,  /* ends a scalar: whitespace, brackets, quote, comma, colon */
    C_START = 128, /* can start a JSON value */
};
#define D (C_DELIM)
static const uint8_t cls[256] = {
    [' '] = C_WS | D, ['\t'] = C_WS | D, ['\r'] = C_WS | D, ['\n'] = C_NL | D,
    ['{'] = C_OPEN | D | C_START, ['['] = C_OPEN | D | C_START,
    ['}'] = C_CLOSE | D, [']'] = C_CLOSE | D,
    ['"'] = C_QUOTE | D | C_START, ['\\'] = C_BSLASH, [','] = D, [':'] = D,
    ['-'] = C_START, ['0'] = C_START, ['1'] = C_START, ['2'] = C_START, ['3'] = C_START,
    ['4'] = C_START, ['5'] = C_START, ['6'] = C_START, ['7'] = C_START, ['8'] = C_START,
    ['9'] = C_START, ['t'] = C_START, ['f'] = C_START, ['n'] = C_START,
};
#undef D

#define TF_FRAME_MIN_READ (64u * 1024u)

/* Eight bytes at a time: does any byte of v equal the byte repeated in pat? */
#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull
static inline uint64_t swar_has(uint64_t v, uint64_t pat)
{
    uint64_t x = v ^ pat;
    return (x - ONES) & ~x & HIGHS;
}
static inline uint64_t load8(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* The index of the next '"', '\\' or LF at or after p (n if none). Short
 * strings are done byte by byte; long ones eight bytes at a time. */
static inline size_t skip_string_text(const unsigned char *b, size_t p, size_t n)
{
    size_t lim = n - p > 16 ? p + 16 : n;
    while (p < lim && !(cls[b[p]] & (C_QUOTE | C_BSLASH | C_NL)))
        p++;
    if (p < lim || p == n)
        return p;
    while (p + 8 <= n) {
        uint64_t v = load8(b + p);
        if (swar_has(v, ONES * '"') | swar_has(v, ONES * '\\') | swar_has(v, ONES * '\n'))
            break;
        p += 8;
    }
    while (p < n && !(cls[b[p]] & (C_QUOTE | C_BSLASH | C_NL)))
        p++;
    return p;
}

/* The same outside strings: the next quote, bracket or LF. '[' and ']' differ
 * from '{' and '}' only in bit 5, so two compares cover all four. */
static inline size_t skip_structure_text(const unsigned char *b, size_t p, size_t n)
{
    size_t lim = n - p > 16 ? p + 16 : n;
    while (p < lim && !(cls[b[p]] & (C_QUOTE | C_OPEN | C_CLOSE | C_NL)))
        p++;
    if (p < lim || p == n)
        return p;
    while (p + 8 <= n) {
        uint64_t v = load8(b + p), w = v | 0x2020202020202020ull;
        if (swar_has(v, ONES * '"') | swar_has(v, ONES * '\n') | swar_has(w, ONES * '{') |
            swar_has(w, ONES * '}'))
            break;
        p += 8;
    }
    while (p < n && !(cls[b[p]] & (C_QUOTE | C_OPEN | C_CLOSE | C_NL)))
        p++;
    return p;
}

struct tf_framer {
    size_t max;
    tf_stream *s;
    uint64_t skip_to;
    char *buf;
    size_t cap, len, pos;  /* buf[0..len) holds data; pos is the scan position */
    uint64_t base;         /* stream offset of buf[0] */
    uint64_t line;         /* line at buf[pos] */
    uint64_t index;
    int prev_byte;         /* the byte just before buf[0], -1 at the start */
    bool eof, failed, done;
    bool jumped;           /* the stream skipped ahead (tf_stream_skip_to): lines are not counted */
    bool text;             /* tf_framer_set_text: every line is a record, none is jumped over */
    int mode;
    /* detection */
    int dphase, dkind, ddepth;
    bool din_str, desc;
    bool dnl;              /* a raw newline inside the first value (values mode, if it closes) */
    bool dgap;             /* a raw newline since dlast */
    unsigned char dlast;   /* its last byte outside strings and blanks */
    size_t vstart;
    uint64_t vline;
    /* the record being scanned */
    bool in_rec, oversize, inarr, in_str, esc;
    int rk, depth;
    size_t rstart;         /* buffer index of its first byte (unless oversize) */
    uint64_t roff, rline;
    char why[96];
    tf_err err;            /* the stream's failure, once failed */
};

tf_framer *tf_framer_new(size_t max_record_bytes)
{
    tf_framer *f = tf_xcalloc(1, sizeof *f);
    f->max = max_record_bytes ? max_record_bytes : TF_FRAME_DEFAULT_MAX_RECORD_BYTES;
    f->cap = TF_INPUT_BUFSIZE;
    f->buf = tf_xmalloc(f->cap);
    snprintf(f->why, sizeof f->why, "record exceeds --max-record-bytes (%zu)", f->max);
    return f;
}

void tf_framer_free(tf_framer *f)
{
    if (!f)
        return;
    free(f->buf);
    free(f);
}

void tf_framer_start(tf_framer *f, tf_stream *s, uint64_t skip_to)
{
    f->s = s;
    f->skip_to = skip_to;
    f->len = f->pos = 0;
    f->base = 0;
    f->line = 1;
    f->index = 0;
    f->prev_byte = -1;
    f->eof = f->failed = f->done = f->jumped = false;
    f->mode = f->text ? MODE_TEXT_BOM : MODE_UNKNOWN;
    f->dphase = 0;
    f->in_rec = f->oversize = f->inarr = f->in_str = f->esc = false;
    f->depth = 0;
}

void tf_framer_set_text(tf_framer *f, bool text)
{
    f->text = text;
}

const char *tf_framer_mode(const tf_framer *f)
{
    switch (f->mode) {
    case MODE_TEXT_BOM:
    case MODE_TEXT:
        return "text lines";
    case MODE_LINES:
        return "lines";
    case MODE_ARRAY:
        return "array";
    case MODE_VALUES:
        return "values";
    default:
        return "unknown";
    }
}

/* The first buffer index that must be kept across a refill. */
static size_t keep_from(const tf_framer *f)
{
    if (f->mode == MODE_UNKNOWN)
        return f->dphase >= 2 ? f->vstart : f->pos;
    if (f->in_rec && !f->oversize)
        return f->rstart;
    return f->pos;
}

/* Reads more bytes; false when the stream failed. */
static bool refill(tf_framer *f)
{
    size_t keep = keep_from(f);
    if (keep > 0) {
        f->prev_byte = (unsigned char)f->buf[keep - 1];
        memmove(f->buf, f->buf + keep, f->len - keep);
        f->len -= keep;
        f->pos -= keep;
        f->base += keep;
        if (f->rstart >= keep)
            f->rstart -= keep;
        if (f->vstart >= keep)
            f->vstart -= keep;
    }
    if (f->cap - f->len < TF_FRAME_MIN_READ) {
        f->cap = f->len + TF_INPUT_BUFSIZE;
        f->buf = tf_xrealloc(f->buf, f->cap);
    }
    ssize_t r = tf_stream_read(f->s, f->buf + f->len, f->cap - f->len, &f->err);
    if (r < 0) {
        f->failed = true;
        return false;
    }
    if (r == 0)
        f->eof = true;
    f->len += (size_t)r;
    return true;
}

static void begin_record(tf_framer *f, int kind)
{
    f->in_rec = true;
    f->oversize = false;
    f->rk = kind;
    f->rstart = f->pos;
    f->roff = f->base + f->pos;
    f->rline = f->line;
}

/* Ends the record just before buffer index e (the frame resumes at `resume`);
 * strip_cr drops one trailing CR. Returns SCAN_FRAME with out filled. */
static int end_record(tf_framer *f, size_t e, size_t resume, bool strip_cr, tf_frame *out)
{
    uint64_t len = f->base + e - f->roff;
    if (strip_cr && len > 0) {
        int last = e > 0 ? (unsigned char)f->buf[e - 1] : f->prev_byte;
        if (last == '\r')
            len--;
    }
    out->offset = f->roff;
    out->len = (size_t)len;
    out->end = f->base + resume;
    out->line = f->jumped ? 0 : f->rline;
    out->p = (f->oversize || len > f->max) ? NULL : f->buf + f->rstart;
    out->tag = NULL;
    out->header = false;
    f->in_rec = false;
    f->pos = resume;
    return SCAN_FRAME;
}

/* Drops a too-long record's bytes from the buffer while its scan goes on. */
static void check_oversize(tf_framer *f)
{
    if (f->in_rec && !f->oversize && f->pos - f->rstart > f->max + 1)
        f->oversize = true;
}

/* ---- mode detection ------------------------------------------------------ */

/* Can c be the last byte of a JSON value (a string's quote, a closing
 * bracket, a number's digit, the end of true/false/null)? */
static bool value_end(unsigned char c)
{
    return c == '"' || c == '}' || c == ']' || (c >= '0' && c <= '9') || c == 'e' || c == 'l';
}

static int detect(tf_framer *f)
{
    for (;;) {
        if (f->dphase == 0) { /* UTF-8 BOM at the very start */
            if (f->len < 3 && !f->eof && memcmp(f->buf, "\xef\xbb\xbf", f->len) == 0)
                return SCAN_MORE;
            if (f->len >= 3 && memcmp(f->buf, "\xef\xbb\xbf", 3) == 0)
                f->pos = 3;
            f->dphase = 1;
        }
        if (f->dphase == 1) { /* leading whitespace and blank lines */
            while (f->pos < f->len) {
                unsigned char c = (unsigned char)f->buf[f->pos];
                if (c == '\n')
                    f->line++;
                else if (!(cls[c] & C_WS))
                    break;
                f->pos++;
            }
            if (f->pos == f->len) {
                if (f->eof) {
                    f->mode = MODE_LINES;
                    return SCAN_END;
                }
                return SCAN_MORE;
            }
            f->vstart = f->pos;
            f->vline = f->line;
            unsigned char c = (unsigned char)f->buf[f->pos];
            if (c == '[') {
                f->mode = MODE_ARRAY;
                return SCAN_DETECTED;
            }
            if (!(cls[c] & C_START)) {
                f->mode = MODE_LINES; /* not JSON: line by line */
                return SCAN_DETECTED;
            }
            f->dkind = c == '{' ? RK_COMPOUND : c == '"' ? RK_STRING : RK_SCALAR;
            f->ddepth = 1;
            f->din_str = c == '"';
            f->desc = false;
            f->dnl = f->dgap = false;
            f->dlast = c;
            f->pos++;
            f->dphase = 2;
        }
        /* Scan the first value: a raw newline outside strings means values
         * mode (pretty-printed values) when the value closes; one inside a
         * string means a broken line (lines mode), and so does a first value
         * that is cut by the end of the stream or that turns invalid on its
         * next line (a value right after a value: '{"broken": 0' and then
         * '{"a": 1}'), so that a bad first line does not swallow the
         * good lines after it into one record. */
        while (f->dphase == 2 && f->pos < f->len) {
            if (f->pos - f->vstart > f->max + 1) {
                /* Too big to be a record either way; over several lines it
                 * is an oversize pretty-printed value, the rest may be fine. */
                f->mode = f->dnl ? MODE_VALUES : MODE_LINES;
                return SCAN_DETECTED;
            }
            unsigned char c = (unsigned char)f->buf[f->pos];
            if (f->dkind == RK_SCALAR) {
                if (cls[c] & C_DELIM) {
                    /* A bare word that is no JSON literal or number ("this is
                     * not json") means a text line, not concatenated values. */
                    const char *t = f->buf + f->vstart;
                    size_t tl = f->pos - f->vstart;
                    bool literal = (tl == 4 && (!memcmp(t, "true", 4) || !memcmp(t, "null", 4))) ||
                                   (tl == 5 && !memcmp(t, "false", 5)) || *t == '-' ||
                                   (*t >= '0' && *t <= '9');
                    if (!literal) {
                        f->mode = MODE_LINES;
                        return SCAN_DETECTED;
                    }
                    f->dphase = 3;
                    break;
                }
            } else if (f->din_str) {
                if (c == '\n' && !f->dnl) { /* (after one outside: values, as it was) */
                    f->mode = MODE_LINES;
                    return SCAN_DETECTED;
                }
                if (f->desc)
                    f->desc = false;
                else if (c == '\\')
                    f->desc = true;
                else if (c == '"') {
                    f->din_str = false;
                    if (f->dkind == RK_STRING) {
                        f->pos++;
                        f->dphase = 3;
                        break;
                    }
                }
            } else if (c == '\n') {
                f->dnl = f->dgap = true;
            } else if (!(cls[c] & C_WS)) {
                if (f->dgap && value_end(f->dlast) && (cls[c] & C_START)) {
                    f->mode = MODE_LINES; /* two values in a row: not one value over lines */
                    return SCAN_DETECTED;
                }
                if (c == '"') {
                    f->din_str = true;
                } else if (cls[c] & C_OPEN) {
                    f->ddepth++;
                } else if ((cls[c] & C_CLOSE) && --f->ddepth == 0) {
                    if (f->dnl) {
                        f->mode = MODE_VALUES;
                        return SCAN_DETECTED;
                    }
                    f->pos++;
                    f->dphase = 3;
                    break;
                }
                f->dlast = c;
                f->dgap = false;
            }
            f->pos++;
        }
        if (f->dphase == 2) {
            if (f->eof) {
                f->mode = MODE_LINES;
                return SCAN_DETECTED;
            }
            return SCAN_MORE;
        }
        /* After the first value: only blanks to the end of the line means lines mode. */
        while (f->pos < f->len) {
            if (f->pos - f->vstart > f->max + 1) {
                f->mode = MODE_LINES;
                return SCAN_DETECTED;
            }
            unsigned char c = (unsigned char)f->buf[f->pos];
            if (c == '\n') {
                f->mode = MODE_LINES;
                return SCAN_DETECTED;
            }
            if (c != ' ' && c != '\t' && c != '\r') {
                f->mode = MODE_VALUES;
                return SCAN_DETECTED;
            }
            f->pos++;
        }
        if (f->eof) {
            f->mode = MODE_LINES;
            return SCAN_DETECTED;
        }
        return SCAN_MORE;
    }
}

/* ---- lines --------------------------------------------------------------- */

static int scan_lines(tf_framer *f, tf_frame *out)
{
    for (;;) {
        if (!f->in_rec) {
            while (f->pos < f->len && (f->buf[f->pos] == ' ' || f->buf[f->pos] == '\t'))
                f->pos++;
            if (f->pos == f->len)
                return f->eof ? SCAN_END : SCAN_MORE;
            if (f->buf[f->pos] == '\n') {
                f->pos++;
                f->line++;
                continue;
            }
            begin_record(f, RK_GARBAGE);
        }
        char *nl = memchr(f->buf + f->pos, '\n', f->len - f->pos);
        size_t e;
        if (nl) {
            e = (size_t)(nl - f->buf);
        } else if (f->eof) {
            e = f->len;
        } else {
            f->pos = f->len;
            check_oversize(f);
            return SCAN_MORE;
        }
        size_t resume = nl ? e + 1 : e;
        /* A line of only blanks (leading ones are skipped above, so it starts with CR). */
        if (!f->oversize && f->buf[f->rstart] == '\r') {
            size_t i = f->rstart;
            while (i < e && (cls[(unsigned char)f->buf[i]] & C_WS))
                i++;
            if (i == e) {
                f->in_rec = false;
                f->pos = resume;
                if (nl)
                    f->line++;
                continue;
            }
        }
        end_record(f, e, resume, true, out);
        if (nl)
            f->line++;
        return SCAN_FRAME;
    }
}

/* ---- text lines ------------------------------------------------------------ */

/* A UTF-8 BOM at the very start of a text stream is not part of its first line. */
static int text_bom(tf_framer *f)
{
    if (f->len < 3 && !f->eof && memcmp(f->buf, "\xef\xbb\xbf", f->len) == 0)
        return SCAN_MORE;
    if (f->len >= 3 && memcmp(f->buf, "\xef\xbb\xbf", 3) == 0)
        f->pos = 3;
    f->mode = MODE_TEXT;
    return SCAN_DETECTED;
}

/* Every line is a record as written; only empty lines (or a lone CR) are skipped. */
static int scan_text(tf_framer *f, tf_frame *out)
{
    for (;;) {
        if (!f->in_rec) {
            if (f->pos == f->len)
                return f->eof ? SCAN_END : SCAN_MORE;
            begin_record(f, RK_GARBAGE);
        }
        char *nl = memchr(f->buf + f->pos, '\n', f->len - f->pos);
        size_t e;
        if (nl) {
            e = (size_t)(nl - f->buf);
        } else if (f->eof) {
            e = f->len;
        } else {
            f->pos = f->len;
            check_oversize(f);
            return SCAN_MORE;
        }
        size_t resume = nl ? e + 1 : e;
        size_t n = e - f->rstart; /* meaningful unless oversize */
        if (!f->oversize && (n == 0 || (n == 1 && f->buf[f->rstart] == '\r'))) {
            f->in_rec = false;
            f->pos = resume;
            if (nl)
                f->line++;
            continue;
        }
        end_record(f, e, resume, true, out);
        if (nl)
            f->line++;
        return SCAN_FRAME;
    }
}

/* ---- array and values ---------------------------------------------------- */

/* Continues the record in progress; SCAN_FRAME when it ended. */
static int scan_record(tf_framer *f, tf_frame *out)
{
    const unsigned char *b = (const unsigned char *)f->buf;
    size_t p = f->pos, n = f->len;
    uint64_t line = f->line;
    switch (f->rk) {
    case RK_SCALAR:
        while (p < n && !(cls[b[p]] & C_DELIM))
            p++;
        if (p < n) {
            f->pos = p;
            return end_record(f, p, p, false, out);
        }
        break;
    case RK_GARBAGE: {
        const unsigned char *nl = memchr(b + p, '\n', n - p);
        if (nl) {
            size_t e = (size_t)(nl - b);
            f->pos = e;
            return end_record(f, e, e, true, out);
        }
        p = n;
        break;
    }
    default: /* compound or string */
        while (p < n) {
            if (f->in_str) {
                if (f->esc) {
                    f->esc = false;
                    if (b[p] == '\n')
                        line++;
                    p++;
                    continue;
                }
                p = skip_string_text(b, p, n);
                if (p == n)
                    break;
                unsigned char c = b[p++];
                if (c == '\\') {
                    f->esc = true;
                } else if (c == '\n') {
                    line++;
                } else {
                    f->in_str = false;
                    if (f->rk == RK_STRING) {
                        f->line = line;
                        f->pos = p;
                        return end_record(f, p, p, false, out);
                    }
                }
                continue;
            }
            p = skip_structure_text(b, p, n);
            if (p == n)
                break;
            unsigned char c = b[p++];
            if (c == '"') {
                f->in_str = true;
            } else if (c == '\n') {
                line++;
            } else if (cls[c] & C_OPEN) {
                f->depth++;
            } else if (--f->depth == 0) {
                f->line = line;
                f->pos = p;
                return end_record(f, p, p, false, out);
            }
        }
        break;
    }
    f->line = line;
    f->pos = p;
    if (f->eof) /* a truncated final record: the parser will say what is wrong */
        return end_record(f, n, n, f->rk == RK_GARBAGE, out);
    check_oversize(f);
    return SCAN_MORE;
}

static int scan_values(tf_framer *f, tf_frame *out)
{
    for (;;) {
        if (f->in_rec)
            return scan_record(f, out);
        /* Between records. */
        while (f->pos < f->len) {
            unsigned char c = (unsigned char)f->buf[f->pos];
            if (c == '\n')
                f->line++;
            else if (!(cls[c] & C_WS) && !(f->inarr && c == ','))
                break;
            f->pos++;
        }
        if (f->pos == f->len)
            return f->eof ? SCAN_END : SCAN_MORE;
        unsigned char c = (unsigned char)f->buf[f->pos];
        if (f->inarr) {
            if (c == ']') { /* the end of a top-level array */
                f->inarr = false;
                f->pos++;
                continue;
            }
        } else if (f->mode == MODE_ARRAY && c == '[') {
            f->inarr = true;
            f->pos++;
            continue;
        }
        if (cls[c] & C_OPEN) {
            begin_record(f, RK_COMPOUND);
            f->depth = 1;
            f->in_str = f->esc = false;
        } else if (c == '"') {
            begin_record(f, RK_STRING);
            f->in_str = true;
            f->esc = false;
        } else if ((cls[c] & C_START) || f->inarr) {
            begin_record(f, RK_SCALAR); /* inside an array any element is a record */
        } else {
            begin_record(f, RK_GARBAGE); /* not a value: up to the end of the line */
        }
        f->pos++; /* the first byte belongs to the record even if it delimits scalars ("}") */
    }
}

/* TF_FRAME_ERROR, with the stream's error for the caller. */
static int frame_error(const tf_framer *f, tf_err *err)
{
    if (err)
        *err = f->err;
    return TF_FRAME_ERROR;
}

int tf_framer_next(tf_framer *f, tf_frame *out, tf_err *err)
{
    tf_err_clear(err);
    if (!f->s || f->done)
        return TF_FRAME_END;
    if (f->failed)
        return frame_error(f, err);
    for (;;) {
        int r;
        if (f->mode == MODE_UNKNOWN) {
            r = detect(f);
            if (r == SCAN_DETECTED) {
                f->pos = f->vstart;
                f->line = f->vline;
                continue;
            }
        } else if (f->mode == MODE_TEXT_BOM) {
            r = text_bom(f);
            if (r == SCAN_DETECTED)
                continue;
        } else if (f->mode == MODE_TEXT) {
            r = scan_text(f, out);
        } else if (f->mode == MODE_LINES) {
            r = scan_lines(f, out);
        } else {
            r = scan_values(f, out);
        }
        if (r == SCAN_FRAME) {
            out->index = f->index++;
            if (out->end <= f->skip_to && f->skip_to > 0) {
                if (f->mode == MODE_TEXT && out->p)
                    return TF_FRAME_SKIPPED;
                continue;
            }
            if (!out->p) {
                tf_err_set(err, "%s", f->why);
                return TF_FRAME_BAD;
            }
            return TF_FRAME_RECORD;
        }
        if (r == SCAN_END || f->eof) { /* the scanners never ask for more after the end */
            f->done = true;
            if (f->skip_to > f->base + f->len) { /* never silently skip a whole stream */
                tf_err_set(&f->err, "the checkpoint resumes it at byte %llu but it ends at byte %llu: it is not "
                           "the input the checkpoint saw; move the checkpoint away to start over",
                           (unsigned long long)f->skip_to,
                           (unsigned long long)(f->base + f->len));
                f->failed = true;
                return frame_error(f, err);
            }
            return TF_FRAME_END;
        }
        /* The resume point is beyond what was read: a stream that can jump
         * there (a ranged GET) need not be read up to it. In lines mode the
         * resume point starts a line, so a line in progress ends before it and
         * would be skipped anyway. */
        if (f->mode == MODE_LINES && f->pos == f->len && f->skip_to > f->base + f->len) {
            int j = tf_stream_skip_to(f->s, f->skip_to);
            if (j < 0) {
                f->failed = true;
                return TF_FRAME_ERROR;
            }
            if (j == 0) {
                f->base = f->skip_to;
                f->len = f->pos = 0;
                f->prev_byte = '\n';
                f->in_rec = f->oversize = false;
                f->jumped = true;
            }
        }
        if (!refill(f))
            return frame_error(f, err);
    }
}
