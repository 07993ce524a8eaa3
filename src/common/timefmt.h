/* timefmt.h: exact conversions of timestamps and durations to nanoseconds.
 * No floating point anywhere: "1718000000.123456789" seconds is exactly
 * 1718000000123456789 ns. Pure functions; no allocation, thread-safe. */
#ifndef TF_TIMEFMT_H
#define TF_TIMEFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The latest representable instant, 2262-04-11T23:47:16.854775807Z: timestamps
 * are kept below 2^63 ns so they survive int64 consumers. */
#define TF_TIME_MAX_NS ((uint64_t)INT64_MAX)

/* RFC 3339 / ISO 8601: "2024-07-15T23:33:19.433273+00:00", "...Z", any number
 * of fraction digits (beyond 9 truncated), offsets +hh:mm, +hhmm, +hh, a space
 * instead of 'T', a missing offset meaning UTC. Also: 't'/'z' in lower case,
 * ',' as the decimal mark, hh:mm without seconds, a date alone (midnight UTC),
 * one blank before a numeric offset, :60 (a leap second, folded into the
 * next second), and the basic format without separators when it has a time
 * ("20240715T233319.5+0200", "20240715T2333Z"). Returns false when malformed
 * or before 1970 / after TF_TIME_MAX_NS. */
bool tf_time_parse_iso8601(const char *s, size_t len, uint64_t *ns);

/* Epoch numbers as decimal text (from JSON numbers or strings), with an
 * optional fraction and exponent: unit is 1 (s), 1000 (ms), 1000000 (us) or
 * 1000000000 (ns) units per second (any divisor up to 10^18 works). Sub-ns
 * digits are truncated; negative values (other than -0) are rejected. */
bool tf_time_parse_epoch(const char *s, size_t len, uint64_t units_per_sec, uint64_t *ns);

/* Guesses the epoch unit from the magnitude of the integer part
 * (< 1e11: s, < 1e14: ms, < 1e17: us, else ns) and converts. */
bool tf_time_parse_epoch_auto(const char *s, size_t len, uint64_t *ns);

/* nginx $time_local "10/Oct/2000:13:55:36 -0700" and Apache's bracketed form;
 * an optional fraction after the seconds, a missing offset meaning UTC. */
bool tf_time_parse_clf(const char *s, size_t len, uint64_t *ns);

/* strptime-style format: %Y %m %d %H %M %S %f (fraction, any digits) %z
 * (+hhmm, +hh:mm, Z) %b (month name) %j %s (epoch seconds) %e %y %T %F %%
 * and literal characters. Without %z the time is UTC. Also %B/%h (= %b),
 * %a/%A (a weekday name, ignored), %u/%w (a weekday number, ignored), %I and
 * %l (12-hour clock) with %p (AM/PM, any case), %k (= %H, leading blank
 * allowed), %Z (only UTC, GMT, UT or Z: other zone names are ambiguous),
 * %D (= %m/%d/%y), %R (= %H:%M), %n/%t (any blanks). A blank in fmt matches
 * any run of blanks (or none); the whole of s must be consumed. A year (or
 * %s) is required. */
bool tf_time_parse_format(const char *fmt, const char *s, size_t len, uint64_t *ns);

/* HTTP-date (RFC 9110 5.6.7): IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT",
 * RFC 850 "Sunday, 06-Nov-94 08:49:37 GMT" and asctime "Sun Nov  6 08:49:37
 * 1994". now_ns resolves RFC 850's two-digit year (a year more than 50 years
 * after now's means the century before). Returns false before 1970. */
bool tf_time_parse_http_date(const char *s, size_t len, uint64_t now_ns, uint64_t *ns);

/* Any of: ISO 8601, CLF, epoch (auto unit); surrounding blanks are ignored. */
bool tf_time_parse_any(const char *s, size_t len, uint64_t *ns);

/* Durations: a number in the given unit ("1250.5" with units_per_sec=1000 is
 * 1250500000 ns), or with a suffix: "1.5s", "250ms", "10us", "10µs", "7ns",
 * "2m", "1h", "1h30m", "-5m" (negative allowed, for --time-shift). Suffixed
 * form: one leading sign, then number+unit pairs (units ns us µs μs ms s m h
 * d, case-sensitive); a bare "0" is the only number without a unit. The
 * magnitude must fit in int64; sub-ns digits are truncated. */
bool tf_duration_parse_number(const char *s, size_t len, uint64_t units_per_sec, int64_t *ns);
bool tf_duration_parse(const char *s, size_t len, int64_t *ns);

/* Writes a duration as decimal seconds, exactly, with at least one fraction
 * digit and no trailing zeros: 57 ms is "0.057", 2 s is "2.0", -1.5 s is
 * "-1.5". out needs 32 bytes (NUL-terminated); returns the length. */
size_t tf_duration_format_secs(int64_t ns, char out[32]);

/* Formats ns since the epoch as RFC 3339 UTC with 9 fraction digits:
 * "2024-07-15T23:33:19.433273000Z"; out needs 31 bytes. */
void tf_time_format(uint64_t ns, char out[31]);

/* Days since 1970-01-01 for a proleptic Gregorian date (negative before);
 * months outside 1..12 roll into adjacent years. Valid for |y| < 10^15. */
int64_t tf_days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
