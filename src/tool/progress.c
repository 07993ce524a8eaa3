/* progress.c: formatting the progress line. */
#include "config.h"
#include "tool/progress.h"

#include <math.h>
#include <string.h>

#define SMOOTH_S 5.0

void tf_fmt_count(tf_buf *out, double v)
{
    if (v < 1000)
        tf_buf_printf(out, "%.0f", v);
    else if (v < 1e6)
        tf_buf_printf(out, "%.1fk", v / 1e3);
    else if (v < 1e9)
        tf_buf_printf(out, "%.1fM", v / 1e6);
    else
        tf_buf_printf(out, "%.1fG", v / 1e9);
}

void tf_fmt_bytes(tf_buf *out, uint64_t v)
{
    static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
    double x = (double)v;
    size_t u = 0;
    while (x >= 1024 && u + 1 < TF_ARRAY_LEN(units)) {
        x /= 1024;
        u++;
    }
    tf_buf_printf(out, u ? "%.1f %s" : "%.0f %s", x, units[u]);
}

void tf_fmt_duration(tf_buf *out, uint64_t s)
{
    if (s < 60)
        tf_buf_printf(out, "%llus", (unsigned long long)s);
    else if (s < 3600)
        tf_buf_printf(out, "%llum%02llus", (unsigned long long)(s / 60), (unsigned long long)(s % 60));
    else
        tf_buf_printf(out, "%lluh%02llum", (unsigned long long)(s / 3600), (unsigned long long)(s / 60 % 60));
}

static double smooth(double rate, double inst, double dt)
{
    return rate + (inst - rate) * (1.0 - exp(-dt / SMOOTH_S));
}

/* The input done: read and delivered. Reading runs ahead of a slow backend by
 * the pipeline's buffers, so the bytes read are scaled by the share of the
 * spans built so far that the destination acknowledged. */
static uint64_t bytes_done(const tf_run_counts *c)
{
    if (!c->spans || c->spans_acked >= c->spans)
        return c->bytes_read;
    return (uint64_t)((double)c->bytes_read * (double)c->spans_acked / (double)c->spans);
}

void tf_progress_update(tf_progress *st, const tf_run_progress *p, uint64_t now_ns)
{
    uint64_t records = p->c.records, spans = p->c.spans, bytes = bytes_done(&p->c);
    if (!st->started) {
        st->started = true;
        /* Rates from the run's start for the first reading. */
        double dt = p->elapsed_ns ? (double)p->elapsed_ns / 1e9 : 0;
        if (dt > 0) {
            st->rec_rate = (double)records / dt;
            st->span_rate = (double)spans / dt;
            st->byte_rate = (double)bytes / dt;
        }
    } else if (now_ns > st->last_ns) {
        double dt = (double)(now_ns - st->last_ns) / 1e9;
        st->rec_rate = smooth(st->rec_rate, (double)(records - st->records) / dt, dt);
        st->span_rate = smooth(st->span_rate, (double)(spans - st->spans) / dt, dt);
        st->byte_rate = smooth(st->byte_rate, (double)(bytes - st->bytes) / dt, dt);
    }
    st->last_ns = now_ns;
    st->records = records;
    st->spans = spans;
    st->bytes = bytes;
}

/* Seconds left at the current byte rate; false when it cannot be said. */
static bool eta(const tf_progress *st, const tf_run_progress *p, uint64_t *s)
{
    uint64_t done = bytes_done(&p->c);
    if (!p->c.bytes_total || st->byte_rate <= 0 || done > p->c.bytes_total)
        return false;
    double left = (double)(p->c.bytes_total - done) / st->byte_rate;
    if (left > 1e8)
        return false;
    *s = (uint64_t)(left + 0.5);
    return true;
}

static void sep(tf_buf *b)
{
    if (b->len)
        tf_buf_puts(b, " \xc2\xb7 "); /* U+00B7 MIDDLE DOT */
}

/* Display columns of UTF-8 text (one per code point: no wide characters here). */
static size_t columns(const char *p, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)p[i] & 0xC0) != 0x80;
    return c;
}

/* The fields of the terminal line, most important first: what does not fit
 * the width is left out from the end (the input's name, last, is shortened
 * from the left rather than left out when there is room for 8 columns). */
void tf_progress_line(const tf_progress *st, const tf_run_progress *p, int width, tf_buf *out)
{
    const tf_run_counts *c = &p->c;
    tf_buf f[12] = { { 0 } };
    size_t n = 0;
    if (c->bytes_total)
        tf_buf_printf(&f[n++], "%.0f%%",
                      floor(100.0 * (double)TF_MIN(bytes_done(c), c->bytes_total) / (double)c->bytes_total));
    uint64_t left;
    if (eta(st, p, &left)) {
        tf_buf_puts(&f[n], "ETA ");
        tf_fmt_duration(&f[n++], left);
    }
    tf_buf_puts(&f[n], "acked ");
    tf_fmt_count(&f[n++], (double)c->spans_acked);
    tf_buf_puts(&f[n], "sent ");
    tf_fmt_count(&f[n++], (double)c->spans_sent);
    tf_fmt_count(&f[n], st->rec_rate);
    tf_buf_puts(&f[n++], " rec/s");
    tf_fmt_count(&f[n], st->span_rate);
    tf_buf_puts(&f[n++], " spans/s");
    const struct {
        const char *name;
        uint64_t v;
    } extra[] = { { "rejected", c->rejected }, { "retried", c->retries }, { "throttled", c->throttles } };
    for (size_t i = 0; i < TF_ARRAY_LEN(extra); i++) {
        if (!extra[i].v)
            continue;
        tf_buf_printf(&f[n], "%s ", extra[i].name);
        tf_fmt_count(&f[n++], (double)extra[i].v);
    }
    if (p->send_rate > 0) {
        tf_fmt_count(&f[n], p->send_rate);
        tf_buf_puts(&f[n++], " spans/s allowed");
    }
    tf_fmt_bytes(&f[n], bytes_done(c));
    if (c->bytes_total) {
        tf_buf_puts(&f[n], " of ");
        tf_fmt_bytes(&f[n], c->bytes_total);
    } else {
        tf_buf_puts(&f[n], " read");
    }
    n++;
    size_t used = 0;
    tf_buf b = { 0 };
    for (size_t i = 0; i < n; i++) {
        size_t w = columns(f[i].p, f[i].len) + (b.len ? 3 : 0);
        if (width <= 0 || used + w <= (size_t)width) {
            sep(&b);
            tf_buf_append(&b, f[i].p, f[i].len);
            used += w;
        }
        tf_buf_free(&f[i]);
    }
    size_t name_len = strlen(p->current);
    if (name_len) {
        size_t room = width <= 0 ? name_len : (size_t)width > used + 3 ? (size_t)width - used - 3 : 0;
        if (room >= 8) {
            sep(&b);
            const char *nm = p->current;
            if (columns(nm, name_len) > room) {
                size_t skip = name_len - (room - 3);
                while (skip < name_len && ((unsigned char)nm[skip] & 0xC0) == 0x80)
                    skip++;
                tf_buf_puts(&b, "...");
                nm += skip;
            }
            tf_buf_puts(&b, nm);
        }
    }
    tf_buf_append(out, b.p, b.len);
    tf_buf_free(&b);
}

void tf_progress_plain(const tf_progress *st, const tf_run_progress *p, tf_buf *out)
{
    const tf_run_counts *c = &p->c;
    tf_buf_puts(out, "progress: ");
    if (c->bytes_total)
        tf_buf_printf(out, "%.0f%% of ",
                      floor(100.0 * (double)TF_MIN(bytes_done(c), c->bytes_total) / (double)c->bytes_total));
    tf_fmt_bytes(out, c->bytes_total ? c->bytes_total : c->bytes_read);
    tf_buf_printf(out, c->bytes_total ? " read, " : " read so far, ");
    tf_buf_printf(out, "%llu records, %llu spans sent, %llu acknowledged, %llu rejected, ",
                  (unsigned long long)c->records, (unsigned long long)c->spans_sent,
                  (unsigned long long)c->spans_acked, (unsigned long long)c->rejected);
    if (c->retries || c->throttles)
        tf_buf_printf(out, "%llu retried, %llu throttled, ", (unsigned long long)c->retries,
                      (unsigned long long)c->throttles);
    tf_fmt_count(out, st->rec_rate);
    tf_buf_puts(out, " records/s");
    uint64_t left;
    if (eta(st, p, &left)) {
        tf_buf_puts(out, ", ETA ");
        tf_fmt_duration(out, left);
    }
    if (p->current[0])
        tf_buf_printf(out, ", reading %s", p->current);
}
