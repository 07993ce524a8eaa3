/* time.c: every time and duration parser of common/timefmt.c.
 * Input: one selector byte, then the text.
 *   [0] % 10: 0 RFC 3339 / ISO 8601, 1 epoch (unit from the next byte),
 *       2 epoch with the unit guessed, 3 CLF, 4 strptime-style format
 *       ("FORMAT\nTEXT"), 5 HTTP-date, 6 any, 7 duration, 8 duration
 *       number (unit from the next byte), 9 tf_days_from_civil
 * Invariants: a parsed time is <= TF_TIME_MAX_NS; formatting it
 * (tf_time_format) and parsing that again gives the same instant; a parsed
 * duration formatted as seconds (tf_duration_format_secs) parses back to
 * the same nanoseconds; epochs in seconds re-read from their exact decimal
 * form agree. */
#include "tests/fuzz/fuzz.h"
#include "common/timefmt.h"

#include <inttypes.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

static const uint64_t units[] = { 1, 1000, 1000000, 1000000000, 60, 3600, 86400, 1000000000000000000ull, 7 };
/* A fixed "now" (2025-06-01T00:00:00Z), for RFC 850's two-digit years. */
#define NOW_NS 1748736000000000000ull

static void check_time(uint64_t ns)
{
    TF_FUZZ_CHECK(ns <= TF_TIME_MAX_NS);
    char out[31];
    tf_time_format(ns, out);
    TF_FUZZ_CHECK(strlen(out) == 30);
    uint64_t back;
    TF_FUZZ_CHECK(tf_time_parse_iso8601(out, strlen(out), &back));
    TF_FUZZ_CHECK(back == ns);
    /* The same instant as decimal epoch seconds, exactly. */
    char dec[48];
    snprintf(dec, sizeof dec, "%" PRIu64 ".%09" PRIu64, ns / 1000000000u, ns % 1000000000u);
    TF_FUZZ_CHECK(tf_time_parse_epoch(dec, strlen(dec), 1, &back) && back == ns);
}

static void check_duration(int64_t ns)
{
    char out[32];
    size_t n = tf_duration_format_secs(ns, out);
    TF_FUZZ_CHECK(n == strlen(out) && n < 32);
    int64_t back;
    TF_FUZZ_CHECK(tf_duration_parse_number(out, n, 1, &back));
    TF_FUZZ_CHECK(back == ns);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned sel = data[0] % 10u;
    const char *s = (const char *)data + 1;
    size_t n = size - 1;
    uint64_t ns;
    int64_t d;
    switch (sel) {
    case 0:
        if (tf_time_parse_iso8601(s, n, &ns))
            check_time(ns);
        break;
    case 1:
    case 8:
        if (n < 1)
            break;
        {
            uint64_t unit = units[(unsigned char)s[0] % TF_ARRAY_LEN(units)];
            if (sel == 1 && tf_time_parse_epoch(s + 1, n - 1, unit, &ns))
                check_time(ns);
            if (sel == 8 && tf_duration_parse_number(s + 1, n - 1, unit, &d))
                check_duration(d);
        }
        break;
    case 2:
        if (tf_time_parse_epoch_auto(s, n, &ns))
            check_time(ns);
        break;
    case 3:
        if (tf_time_parse_clf(s, n, &ns))
            check_time(ns);
        break;
    case 4: {
        const char *nl = memchr(s, '\n', n);
        if (!nl)
            break;
        char *fmt = tf_fuzz_cstr((const uint8_t *)s, (size_t)(nl - s));
        if (tf_time_parse_format(fmt, nl + 1, n - (size_t)(nl + 1 - s), &ns))
            check_time(ns);
        free(fmt);
        break;
    }
    case 5:
        if (tf_time_parse_http_date(s, n, NOW_NS, &ns))
            check_time(ns);
        break;
    case 6:
        if (tf_time_parse_any(s, n, &ns))
            check_time(ns);
        break;
    case 7:
        if (tf_duration_parse(s, n, &d))
            check_duration(d);
        break;
    case 9:
        if (n >= 10) {
            int64_t y;
            memcpy(&y, s, 8);
            y %= 1000000000000000ll; /* the documented range: |y| < 10^15 */
            unsigned m = (unsigned char)s[8], dd = (unsigned char)s[9];
            int64_t days = tf_days_from_civil(y, m, dd);
            /* Day d + 1 of the same month is one day later. */
            TF_FUZZ_CHECK(tf_days_from_civil(y, m, dd + 1) == days + 1);
        }
        break;
    }
    return 0;
}
