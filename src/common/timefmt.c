/* timefmt.c: exact timestamp and duration parsing with integer arithmetic only.
 *
 * Decimal numbers (epochs, durations) are never converted to a binary
 * fraction: the digits are streamed through a long division, so
 * floor(digits * 10^shift * mul / div) is computed exactly and overflow is
 * detected digit by digit. */
#include "config.h"
#include "common/timefmt.h"
#include "common/util.h"

#include <string.h>

#define NS_PER_SEC 1000000000u
#define SECS_PER_DAY 86400

/* ------------------------------------------------------------------------ */
/* Calendar */

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
    static const unsigned char dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (m < 1 || m > 12)
        return 0;
    return dim[m - 1] + (m == 2 && is_leap(y) ? 1u : 0u);
}

/* Days before the first of month m (1..12) in a common year. */
static const unsigned short cum_days[12] = { 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334 };

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Days from 0001-01-01 to y-01-01 (proleptic Gregorian; negative before). */
static int64_t days_before_year(int64_t y)
{
    int64_t p = y - 1;
    return 365 * p + floor_div(p, 4) - floor_div(p, 100) + floor_div(p, 400);
}

int64_t tf_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    /* Months outside 1..12 are folded into the year so the function is total. */
    int64_t mm = (int64_t)m - 1;
    y += floor_div(mm, 12);
    mm -= floor_div(mm, 12) * 12;
    int64_t days = days_before_year(y) - days_before_year(1970);
    days += cum_days[mm] + (mm >= 2 && is_leap(y) ? 1 : 0);
    return days + (int64_t)d - 1;
}

static void civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
    int64_t yy = 1970 + floor_div(days, 366);
    while (tf_days_from_civil(yy + 1, 1, 1) <= days)
        yy++;
    int64_t doy = days - tf_days_from_civil(yy, 1, 1);
    unsigned mm = 1;
    while (mm < 12 && doy >= (int64_t)days_in_month(yy, mm)) {
        doy -= days_in_month(yy, mm);
        mm++;
    }
    *y = yy;
    *m = mm;
    *d = (unsigned)doy + 1;
}

/* Seconds since the epoch plus a fraction, checked against TF_TIME_MAX_NS. */
static bool secs_to_ns(int64_t secs, uint32_t frac_ns, uint64_t *ns)
{
    const int64_t max_s = (int64_t)(TF_TIME_MAX_NS / NS_PER_SEC);
    const uint32_t max_f = (uint32_t)(TF_TIME_MAX_NS % NS_PER_SEC);
    if (secs < 0 || secs > max_s || (secs == max_s && frac_ns > max_f))
        return false;
    *ns = (uint64_t)secs * NS_PER_SEC + frac_ns;
    return true;
}

/* A validated civil date-time with an offset east of UTC in seconds. The
 * year is range-checked first so the arithmetic stays small. */
static bool civil_to_ns(int64_t y, unsigned mo, unsigned d, unsigned h, unsigned mi, unsigned s,
                        uint32_t frac_ns, int64_t offset_s, uint64_t *ns)
{
    if (y < 1969 || y > 2263)
        return false;
    if (d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 60)
        return false;
    /* A leap second (:60) is folded into the next second. */
    int64_t t = tf_days_from_civil(y, mo, d) * SECS_PER_DAY + (int64_t)h * 3600 + (int64_t)mi * 60 +
                (int64_t)s - offset_s;
    return secs_to_ns(t, frac_ns, ns);
}

/* ------------------------------------------------------------------------ */
/* A cursor over a length-delimited string. */

typedef struct {
    const char *p, *end;
} cur;

static bool c_end(const cur *c)
{
    return c->p >= c->end;
}

static int c_peek(const cur *c)
{
    return c->p < c->end ? (unsigned char)*c->p : -1;
}

static bool is_digit(int ch)
{
    return ch >= '0' && ch <= '9';
}

static bool is_blank(int ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v';
}

static int lower(int ch)
{
    return ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch;
}

static bool c_eat(cur *c, char ch)
{
    if (c_peek(c) == (unsigned char)ch) {
        c->p++;
        return true;
    }
    return false;
}

/* Reads between min and max digits (greedy). */
static bool c_digits(cur *c, unsigned min, unsigned max, unsigned *out)
{
    unsigned v = 0, n = 0;
    while (n < max && is_digit(c_peek(c))) {
        v = v * 10 + (unsigned)(*c->p - '0');
        c->p++;
        n++;
    }
    if (n < min)
        return false;
    *out = v;
    return true;
}

/* A fraction's digits (at least one): the first nine give nanoseconds, the
 * rest are checked and dropped. */
static bool c_fraction(cur *c, uint32_t *frac_ns)
{
    uint32_t v = 0;
    unsigned n = 0;
    while (is_digit(c_peek(c))) {
        if (n < 9)
            v = v * 10 + (uint32_t)(*c->p - '0');
        n++;
        c->p++;
    }
    if (n == 0)
        return false;
    for (unsigned i = n; i < 9; i++)
        v *= 10;
    *frac_ns = v;
    return true;
}

/* Case-insensitive match of word at the cursor; advances on success. */
static bool c_word(cur *c, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(c->end - c->p) < n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)c->p[i]) != word[i])
            return false;
    c->p += n;
    return true;
}

static const char *const month_names[12] = { "january", "february", "march",     "april",
                                             "may",     "june",     "july",      "august",
                                             "september", "october", "november", "december" };
static const char *const day_names[7] = { "monday", "tuesday",  "wednesday", "thursday",
                                          "friday", "saturday", "sunday" };

/* A month name: three-letter abbreviation, or the full name when allow_full. */
static bool c_month(cur *c, bool allow_full, unsigned *m)
{
    for (unsigned i = 0; i < 12; i++) {
        if (allow_full && c_word(c, month_names[i])) {
            *m = i + 1;
            return true;
        }
    }
    for (unsigned i = 0; i < 12; i++) {
        char abbr[4] = { month_names[i][0], month_names[i][1], month_names[i][2], '\0' };
        if (c_word(c, abbr)) {
            *m = i + 1;
            return true;
        }
    }
    return false;
}

static bool c_dayname(cur *c, bool full)
{
    for (unsigned i = 0; i < 7; i++) {
        if (full) {
            if (c_word(c, day_names[i]))
                return true;
        } else {
            char abbr[4] = { day_names[i][0], day_names[i][1], day_names[i][2], '\0' };
            if (c_word(c, abbr))
                return true;
        }
    }
    return false;
}

/* A numeric UTC offset: +hh, +hhmm, +hh:mm (or '-'); hours <= 23, minutes <= 59. */
static bool c_offset(cur *c, int64_t *off_s)
{
    int sign = c_peek(c);
    if (sign != '+' && sign != '-')
        return false;
    c->p++;
    unsigned hh, mm = 0;
    if (!c_digits(c, 2, 2, &hh))
        return false;
    if (c_eat(c, ':')) {
        if (!c_digits(c, 2, 2, &mm))
            return false;
    } else if (is_digit(c_peek(c))) {
        if (!c_digits(c, 2, 2, &mm))
            return false;
    }
    if (hh > 23 || mm > 59)
        return false;
    int64_t v = (int64_t)hh * 3600 + (int64_t)mm * 60;
    *off_s = sign == '-' ? -v : v;
    return true;
}

/* 'Z', 'z' or a numeric offset. */
static bool c_zone(cur *c, int64_t *off_s)
{
    if (c_eat(c, 'Z') || c_eat(c, 'z')) {
        *off_s = 0;
        return true;
    }
    return c_offset(c, off_s);
}

/* ------------------------------------------------------------------------ */
/* RFC 3339 / ISO 8601 */

/* The basic format "20240715T233319.5+0200": the date and the time each
 * without separators, 'T' required (so a plain number stays an epoch). */
static bool iso8601_basic(cur c, uint64_t *ns)
{
    unsigned y, mo, d, h, mi, sec = 0;
    uint32_t frac = 0;
    int64_t off = 0;
    if (!c_digits(&c, 4, 4, &y) || !c_digits(&c, 2, 2, &mo) || !c_digits(&c, 2, 2, &d))
        return false;
    if (!c_eat(&c, 'T') && !c_eat(&c, 't'))
        return false;
    if (!c_digits(&c, 2, 2, &h) || !c_digits(&c, 2, 2, &mi))
        return false;
    if (is_digit(c_peek(&c))) {
        if (!c_digits(&c, 2, 2, &sec))
            return false;
        if ((c_eat(&c, '.') || c_eat(&c, ',')) && !c_fraction(&c, &frac))
            return false;
    }
    if (!c_end(&c) && !c_zone(&c, &off))
        return false;
    if (!c_end(&c))
        return false;
    return civil_to_ns(y, mo, d, h, mi, sec, frac, off, ns);
}

bool tf_time_parse_iso8601(const char *s, size_t len, uint64_t *ns)
{
    if (!s)
        return false;
    cur c = { s, s + len };
    unsigned y, mo, d, h = 0, mi = 0, sec = 0;
    uint32_t frac = 0;
    int64_t off = 0;
    if (len > 8 && is_digit((unsigned char)s[4]))
        return iso8601_basic(c, ns);
    if (!c_digits(&c, 4, 4, &y) || !c_eat(&c, '-') || !c_digits(&c, 2, 2, &mo) || !c_eat(&c, '-') ||
        !c_digits(&c, 2, 2, &d))
        return false;
    if (!c_end(&c)) {
        if (!c_eat(&c, 'T') && !c_eat(&c, 't') && !c_eat(&c, ' '))
            return false;
        if (!c_digits(&c, 2, 2, &h) || !c_eat(&c, ':') || !c_digits(&c, 2, 2, &mi))
            return false;
        if (c_eat(&c, ':')) {
            if (!c_digits(&c, 2, 2, &sec))
                return false;
            if ((c_eat(&c, '.') || c_eat(&c, ',')) && !c_fraction(&c, &frac))
                return false;
        }
        if (!c_end(&c)) {
            /* "2024-07-15 23:33:19 +0000" (a blank before a numeric offset). */
            if (c_peek(&c) == ' ' && c.end - c.p > 1 && (c.p[1] == '+' || c.p[1] == '-'))
                c.p++;
            if (!c_zone(&c, &off))
                return false;
        }
    }
    if (!c_end(&c))
        return false;
    return civil_to_ns(y, mo, d, h, mi, sec, frac, off, ns);
}

/* ------------------------------------------------------------------------ */
/* Exact decimal numbers */

typedef struct {
    const char *ip; /* integer digits */
    size_t ilen;
    const char *fp; /* fraction digits */
    size_t flen;
    int64_t exp; /* decimal exponent, saturated at +-EXP_SAT */
    bool neg;
    bool zero; /* every digit is 0 */
} dec;

#define EXP_SAT 1000000000LL

/* [+-] digits [. digits] [(e|E) [+-] digits], at least one mantissa digit. */
static bool dec_parse(const char *s, size_t len, dec *d)
{
    if (!s || len > (size_t)1 << 30)
        return false;
    cur c = { s, s + len };
    memset(d, 0, sizeof *d);
    if (c_eat(&c, '-'))
        d->neg = true;
    else
        c_eat(&c, '+');
    d->ip = c.p;
    while (is_digit(c_peek(&c)))
        c.p++;
    d->ilen = (size_t)(c.p - d->ip);
    d->fp = c.p;
    if (c_eat(&c, '.')) {
        d->fp = c.p;
        while (is_digit(c_peek(&c)))
            c.p++;
        d->flen = (size_t)(c.p - d->fp);
    }
    if (d->ilen + d->flen == 0)
        return false;
    if (c_eat(&c, 'e') || c_eat(&c, 'E')) {
        bool eneg = false;
        if (c_eat(&c, '-'))
            eneg = true;
        else
            c_eat(&c, '+');
        if (!is_digit(c_peek(&c)))
            return false;
        int64_t e = 0;
        while (is_digit(c_peek(&c))) {
            if (e < EXP_SAT)
                e = e * 10 + (*c.p - '0');
            c.p++;
        }
        if (e > EXP_SAT)
            e = EXP_SAT;
        d->exp = eneg ? -e : e;
    }
    if (!c_end(&c))
        return false;
    d->zero = true;
    for (size_t i = 0; i < d->ilen + d->flen; i++)
        if ((i < d->ilen ? d->ip[i] : d->fp[i - d->ilen]) != '0')
            d->zero = false;
    return true;
}

/* floor(|mantissa| * 10^(exp + shift) * mul / div) <= limit, exactly.
 * mul <= 1e9 and 1 <= div <= 1e18 keep every intermediate inside 64 bits. */
static bool dec_scale(const dec *d, int64_t shift, uint64_t mul, uint64_t div, uint64_t limit,
                      uint64_t *out)
{
    if (div == 0 || div > 1000000000000000000u || mul == 0 || mul > NS_PER_SEC)
        return false;
    if (d->zero) {
        *out = 0;
        return true;
    }
    /* The mantissa digits M (ilen + flen of them) with value M * 10^(exp - flen). */
    int64_t ndig = (int64_t)(d->ilen + d->flen);
    int64_t s = d->exp - (int64_t)d->flen + shift; /* digits to append (< 0: drop) */
    int64_t keep = s >= 0 ? ndig : ndig + s;
    uint64_t q = 0, r = 0;
    for (int64_t i = 0; i < keep; i++) {
        size_t k = (size_t)i;
        unsigned dg = (unsigned)((k < d->ilen ? d->ip[k] : d->fp[k - d->ilen]) - '0');
        uint64_t x = r * 10 + dg * mul;
        uint64_t qd = x / div;
        r = x % div;
        if (qd > limit || q > (limit - qd) / 10)
            return false;
        q = q * 10 + qd;
    }
    /* Appended zeros: the quotient grows tenfold per step once non-zero, so
     * this ends (by overflow) within a few dozen iterations. */
    for (int64_t i = 0; s > 0 && i < s; i++) {
        uint64_t x = r * 10;
        uint64_t qd = x / div;
        r = x % div;
        if (qd > limit || q > (limit - qd) / 10)
            return false;
        q = q * 10 + qd;
    }
    *out = q;
    return true;
}

bool tf_time_parse_epoch(const char *s, size_t len, uint64_t units_per_sec, uint64_t *ns)
{
    dec d;
    if (!dec_parse(s, len, &d) || (d.neg && !d.zero))
        return false;
    return dec_scale(&d, 9, 1, units_per_sec, TF_TIME_MAX_NS, ns);
}

bool tf_time_parse_epoch_auto(const char *s, size_t len, uint64_t *ns)
{
    dec d;
    if (!dec_parse(s, len, &d) || (d.neg && !d.zero))
        return false;
    uint64_t ip, ups;
    if (!dec_scale(&d, 0, 1, 1, UINT64_MAX, &ip))
        return false; /* >= 2^64 in any unit is past 2262 */
    if (ip < 100000000000u)
        ups = 1;
    else if (ip < 100000000000000u)
        ups = 1000;
    else if (ip < 100000000000000000u)
        ups = 1000000;
    else
        ups = NS_PER_SEC;
    return dec_scale(&d, 9, 1, ups, TF_TIME_MAX_NS, ns);
}

/* ------------------------------------------------------------------------ */
/* Durations */

bool tf_duration_parse_number(const char *s, size_t len, uint64_t units_per_sec, int64_t *ns)
{
    dec d;
    uint64_t mag;
    if (!dec_parse(s, len, &d) || !dec_scale(&d, 9, 1, units_per_sec, (uint64_t)INT64_MAX, &mag))
        return false;
    *ns = d.neg ? -(int64_t)mag : (int64_t)mag;
    return true;
}

/* A unit's length in ns written as mul * 10^shift. */
typedef struct {
    const char *name;
    uint64_t mul;
    int shift;
} dur_unit;

/* Longer names first so "ms" wins over "m". */
static const dur_unit dur_units[] = {
    { "ns", 1, 0 },           { "us", 1, 3 },           { "\xc2\xb5s", 1, 3 }, /* U+00B5 micro sign */
    { "\xce\xbcs", 1, 3 },    /* U+03BC Greek mu */     { "ms", 1, 6 },
    { "s", 1, 9 },            { "m", 6, 10 },           { "h", 36, 11 },
    { "d", 864, 11 },
};

bool tf_duration_parse(const char *s, size_t len, int64_t *ns)
{
    if (!s)
        return false;
    cur c = { s, s + len };
    bool neg = false;
    if (c_eat(&c, '-'))
        neg = true;
    else
        c_eat(&c, '+');
    if (c_end(&c))
        return false;
    /* A bare zero needs no unit. */
    if (c.end - c.p == 1 && *c.p == '0') {
        *ns = 0;
        return true;
    }
    uint64_t total = 0;
    while (!c_end(&c)) {
        const char *start = c.p;
        while (is_digit(c_peek(&c)))
            c.p++;
        if (c_eat(&c, '.'))
            while (is_digit(c_peek(&c)))
                c.p++;
        dec d;
        if (c.p == start || !dec_parse(start, (size_t)(c.p - start), &d))
            return false;
        const dur_unit *u = NULL;
        for (size_t i = 0; i < sizeof dur_units / sizeof dur_units[0]; i++) {
            size_t n = strlen(dur_units[i].name);
            if ((size_t)(c.end - c.p) >= n && memcmp(c.p, dur_units[i].name, n) == 0) {
                u = &dur_units[i];
                c.p += n;
                break;
            }
        }
        uint64_t part;
        if (!u || !dec_scale(&d, u->shift, u->mul, 1, (uint64_t)INT64_MAX, &part))
            return false;
        if (part > (uint64_t)INT64_MAX - total)
            return false;
        total += part;
    }
    *ns = neg ? -(int64_t)total : (int64_t)total;
    return true;
}

/* ------------------------------------------------------------------------ */
/* Common Log Format */

bool tf_time_parse_clf(const char *s, size_t len, uint64_t *ns)
{
    if (!s)
        return false;
    cur c = { s, s + len };
    bool bracket = c_eat(&c, '[');
    unsigned d, mo, y, h, mi, sec;
    uint32_t frac = 0;
    int64_t off = 0;
    if (!c_digits(&c, 1, 2, &d) || !c_eat(&c, '/') || !c_month(&c, false, &mo) || !c_eat(&c, '/') ||
        !c_digits(&c, 4, 4, &y) || !c_eat(&c, ':') || !c_digits(&c, 2, 2, &h) || !c_eat(&c, ':') ||
        !c_digits(&c, 2, 2, &mi) || !c_eat(&c, ':') || !c_digits(&c, 2, 2, &sec))
        return false;
    if (c_eat(&c, '.') && !c_fraction(&c, &frac))
        return false;
    if (c_eat(&c, ' ') && !c_zone(&c, &off))
        return false;
    if (bracket && !c_eat(&c, ']'))
        return false;
    if (!c_end(&c))
        return false;
    return civil_to_ns(y, mo, d, h, mi, sec, frac, off, ns);
}

/* ------------------------------------------------------------------------ */
/* strptime-style formats */

typedef struct {
    bool has_year, has_mon, has_mday, has_yday, has_epoch, has_12h, pm;
    unsigned year, mon, mday, yday, hour, min, sec;
    uint32_t frac;
    int64_t off;
    uint64_t epoch;
} fields;

static bool parse_directive(char dir, cur *c, fields *f);

static bool parse_seq(const char *fmt, cur *c, fields *f)
{
    for (const char *p = fmt; *p; p++) {
        if (is_blank((unsigned char)*p)) {
            /* Blanks in the format match any run of blanks, including none. */
            while (is_blank(c_peek(c)))
                c->p++;
        } else if (*p == '%') {
            p++;
            if (!*p || !parse_directive(*p, c, f))
                return false;
        } else if (!c_eat(c, *p)) {
            return false;
        }
    }
    return true;
}

static bool parse_directive(char dir, cur *c, fields *f)
{
    unsigned v;
    switch (dir) {
    case 'Y':
        f->has_year = true;
        return c_digits(c, 4, 4, &f->year);
    case 'y':
        if (!c_digits(c, 2, 2, &v))
            return false;
        f->has_year = true;
        f->year = v < 69 ? 2000 + v : 1900 + v; /* POSIX pivot */
        return true;
    case 'm':
        f->has_mon = true;
        return c_digits(c, 1, 2, &f->mon) && f->mon >= 1 && f->mon <= 12;
    case 'b':
    case 'B':
    case 'h':
        f->has_mon = true;
        return c_month(c, true, &f->mon);
    case 'e':
        if (c_peek(c) == ' ')
            c->p++;
        TF_FALLTHROUGH;
    case 'd':
        f->has_mday = true;
        return c_digits(c, 1, 2, &f->mday) && f->mday >= 1;
    case 'j':
        f->has_yday = true;
        return c_digits(c, 1, 3, &f->yday) && f->yday >= 1 && f->yday <= 366;
    case 'k':
        if (c_peek(c) == ' ')
            c->p++;
        TF_FALLTHROUGH;
    case 'H':
        return c_digits(c, 1, 2, &f->hour) && f->hour <= 23;
    case 'l':
        if (c_peek(c) == ' ')
            c->p++;
        TF_FALLTHROUGH;
    case 'I':
        /* 12 o'clock is hour 0 until %p says PM (as strptime does). */
        if (!c_digits(c, 1, 2, &v) || v < 1 || v > 12)
            return false;
        f->hour = v % 12;
        f->has_12h = true;
        return true;
    case 'p':
        if (c_word(c, "am"))
            f->pm = false;
        else if (c_word(c, "pm"))
            f->pm = true;
        else
            return false;
        return true;
    case 'Z':
        /* Only names that say UTC: any other abbreviation is ambiguous. */
        f->off = 0;
        return c_word(c, "utc") || c_word(c, "gmt") || c_word(c, "ut") || c_eat(c, 'Z') ||
               c_eat(c, 'z');
    case 'u':
        return c_digits(c, 1, 1, &v) && v >= 1 && v <= 7; /* the weekday, ignored */
    case 'w':
        return c_digits(c, 1, 1, &v) && v <= 6;
    case 'n':
    case 't':
        while (is_blank(c_peek(c)))
            c->p++;
        return true;
    case 'D':
        return parse_seq("%m/%d/%y", c, f);
    case 'R':
        return parse_seq("%H:%M", c, f);
    case 'M':
        return c_digits(c, 1, 2, &f->min) && f->min <= 59;
    case 'S':
        return c_digits(c, 1, 2, &f->sec) && f->sec <= 60;
    case 'f':
        return c_fraction(c, &f->frac);
    case 'z':
        return c_zone(c, &f->off);
    case 's': {
        uint64_t e = 0;
        if (!is_digit(c_peek(c)))
            return false;
        while (is_digit(c_peek(c))) {
            unsigned dg = (unsigned)(*c->p - '0');
            if (e > (UINT64_MAX - dg) / 10)
                return false;
            e = e * 10 + dg;
            c->p++;
        }
        f->has_epoch = true;
        f->epoch = e;
        return true;
    }
    case 'a':
    case 'A':
        /* A weekday name, full or abbreviated; checked for form, then ignored. */
        return c_dayname(c, true) || c_dayname(c, false);
    case 'T':
        return parse_seq("%H:%M:%S", c, f);
    case 'F':
        return parse_seq("%Y-%m-%d", c, f);
    case '%':
        return c_eat(c, '%');
    default:
        return false;
    }
}

bool tf_time_parse_format(const char *fmt, const char *s, size_t len, uint64_t *ns)
{
    if (!fmt || !s)
        return false;
    cur c = { s, s + len };
    fields f;
    memset(&f, 0, sizeof f);
    if (!parse_seq(fmt, &c, &f) || !c_end(&c))
        return false;
    if (f.has_epoch) {
        if (f.epoch > (uint64_t)INT64_MAX)
            return false;
        return secs_to_ns((int64_t)f.epoch, f.frac, ns);
    }
    if (f.has_12h && f.pm)
        f.hour += 12;
    if (!f.has_year)
        return false; /* a time without a year cannot be placed */
    unsigned mon = f.has_mon ? f.mon : 1, mday = f.has_mday ? f.mday : 1;
    if (f.has_yday && !f.has_mon && !f.has_mday) {
        if (f.yday > 365u + (is_leap(f.year) ? 1u : 0u))
            return false;
        /* Resolve the day of the year to a month and day. */
        unsigned left = f.yday;
        mon = 1;
        while (left > days_in_month(f.year, mon)) {
            left -= days_in_month(f.year, mon);
            mon++;
        }
        mday = left;
    }
    return civil_to_ns(f.year, mon, mday, f.hour, f.min, f.sec, f.frac, f.off, ns);
}

/* ------------------------------------------------------------------------ */
/* HTTP-date */

static bool c_hms(cur *c, unsigned *h, unsigned *mi, unsigned *s)
{
    return c_digits(c, 2, 2, h) && c_eat(c, ':') && c_digits(c, 2, 2, mi) && c_eat(c, ':') &&
           c_digits(c, 2, 2, s);
}

static bool c_gmt(cur *c)
{
    return c_word(c, "gmt") || c_word(c, "utc");
}

bool tf_time_parse_http_date(const char *s, size_t len, uint64_t now_ns, uint64_t *ns)
{
    if (!s)
        return false;
    unsigned d, mo, y, h, mi, sec;
    /* IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT */
    cur c = { s, s + len };
    if (c_dayname(&c, false) && c_eat(&c, ',') && c_eat(&c, ' ') && c_digits(&c, 1, 2, &d) &&
        c_eat(&c, ' ') && c_month(&c, false, &mo) && c_eat(&c, ' ') && c_digits(&c, 4, 4, &y) &&
        c_eat(&c, ' ') && c_hms(&c, &h, &mi, &sec) && c_eat(&c, ' ') && c_gmt(&c) && c_end(&c))
        return civil_to_ns(y, mo, d, h, mi, sec, 0, 0, ns);
    /* RFC 850: Sunday, 06-Nov-94 08:49:37 GMT */
    c = (cur){ s, s + len };
    if (c_dayname(&c, true) && c_eat(&c, ',') && c_eat(&c, ' ') && c_digits(&c, 1, 2, &d) &&
        c_eat(&c, '-') && c_month(&c, false, &mo) && c_eat(&c, '-') && c_digits(&c, 2, 2, &y) &&
        c_eat(&c, ' ') && c_hms(&c, &h, &mi, &sec) && c_eat(&c, ' ') && c_gmt(&c) && c_end(&c)) {
        int64_t ny;
        unsigned nm, nd;
        civil_from_days((int64_t)(now_ns / NS_PER_SEC / SECS_PER_DAY), &ny, &nm, &nd);
        int64_t full = ny - ny % 100 + y;
        if (full > ny + 50)
            full -= 100;
        return civil_to_ns(full, mo, d, h, mi, sec, 0, 0, ns);
    }
    /* asctime: Sun Nov  6 08:49:37 1994 */
    c = (cur){ s, s + len };
    if (c_dayname(&c, false) && c_eat(&c, ' ') && c_month(&c, false, &mo) && c_eat(&c, ' ')) {
        bool ok = c_eat(&c, ' ') ? c_digits(&c, 1, 1, &d) : c_digits(&c, 2, 2, &d);
        if (ok && c_eat(&c, ' ') && c_hms(&c, &h, &mi, &sec) && c_eat(&c, ' ') &&
            c_digits(&c, 4, 4, &y) && c_end(&c))
            return civil_to_ns(y, mo, d, h, mi, sec, 0, 0, ns);
    }
    return false;
}

/* ------------------------------------------------------------------------ */

bool tf_time_parse_any(const char *s, size_t len, uint64_t *ns)
{
    if (!s)
        return false;
    while (len > 0 && is_blank((unsigned char)*s)) {
        s++;
        len--;
    }
    while (len > 0 && is_blank((unsigned char)s[len - 1]))
        len--;
    return tf_time_parse_iso8601(s, len, ns) || tf_time_parse_clf(s, len, ns) ||
           tf_time_parse_epoch_auto(s, len, ns);
}

size_t tf_duration_format_secs(int64_t ns, char out[32])
{
    size_t n = 0;
    uint64_t mag = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
    if (ns < 0)
        out[n++] = '-';
    n += tf_fmt_u64(out + n, mag / NS_PER_SEC);
    out[n++] = '.';
    uint64_t frac = mag % NS_PER_SEC;
    int digits = 9;
    while (digits > 1 && frac % 10 == 0) {
        frac /= 10;
        digits--;
    }
    for (int i = digits - 1; i >= 0; i--) {
        out[n + (size_t)i] = (char)('0' + frac % 10);
        frac /= 10;
    }
    n += (size_t)digits;
    out[n] = '\0';
    return n;
}

static void put_digits(char *out, uint64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        out[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

void tf_time_format(uint64_t ns, char out[31])
{
    uint64_t secs = ns / NS_PER_SEC, frac = ns % NS_PER_SEC;
    int64_t y;
    unsigned mo, d;
    civil_from_days((int64_t)(secs / SECS_PER_DAY), &y, &mo, &d);
    uint64_t sod = secs % SECS_PER_DAY;
    put_digits(out, (uint64_t)y, 4);
    out[4] = '-';
    put_digits(out + 5, mo, 2);
    out[7] = '-';
    put_digits(out + 8, d, 2);
    out[10] = 'T';
    put_digits(out + 11, sod / 3600, 2);
    out[13] = ':';
    put_digits(out + 14, sod / 60 % 60, 2);
    out[16] = ':';
    put_digits(out + 17, sod % 60, 2);
    out[19] = '.';
    put_digits(out + 20, frac, 9);
    out[29] = 'Z';
    out[30] = '\0';
}
