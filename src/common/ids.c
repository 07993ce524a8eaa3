/* ids.c: deterministic trace/span id derivation and parsing of the id forms
 * found in logs (W3C traceparent, hex, UUID, 64-bit B3) and of the trace
 * context headers proxies log (B3 single and multi, AWS X-Ray). */
#include "config.h"
#include "common/ids.h"

#include "common/hash.h"
#include "common/util.h"

#include <string.h>

/* "tracefill:v1" and its terminating NUL: 13 bytes. Changing this changes
 * every derived id, so it is versioned and pinned by golden tests. */
static const char id_prefix[] = "tracefill:v1";
#define ID_PREFIX_LEN sizeof(id_prefix)

bool tf_id_is_zero(const uint8_t *id, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= id[i];
    return acc == 0;
}

void tf_id_from_digest(const uint8_t digest[32], uint8_t trace_id[16], uint8_t span_id[8])
{
    memcpy(trace_id, digest, 16);
    memcpy(span_id, digest + 16, 8);
    if (tf_id_is_zero(trace_id, 16))
        trace_id[15] = 1;
    if (tf_id_is_zero(span_id, 8))
        span_id[7] = 1;
}

static void id_finish(tf_sha256 *c, uint8_t trace_id[16], uint8_t span_id[8])
{
    uint8_t d[32];
    tf_sha256_final(c, d);
    tf_id_from_digest(d, trace_id, span_id);
}

void tf_id_derive(const void *key, size_t len, uint8_t trace_id[16], uint8_t span_id[8])
{
    tf_sha256 c;
    tf_sha256_init(&c);
    tf_sha256_update(&c, id_prefix, ID_PREFIX_LEN);
    tf_sha256_update(&c, key, len);
    id_finish(&c, trace_id, span_id);
}

void tf_id_derive_parts(const char *const *parts, const size_t *lens, size_t n,
                        uint8_t trace_id[16], uint8_t span_id[8])
{
    tf_sha256 c;
    tf_sha256_init(&c);
    tf_sha256_update(&c, id_prefix, ID_PREFIX_LEN);
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            tf_sha256_update(&c, "", 1); /* the NUL separator */
        tf_sha256_update(&c, parts[i], lens[i]);
    }
    id_finish(&c, trace_id, span_id);
}

static bool is_lower_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
            return false;
    }
    return true;
}

static bool is_blank(char ch)
{
    return ch == ' ' || ch == '\t';
}

bool tf_traceparent_parse(const char *s, size_t len, uint8_t trace_id[16], uint8_t span_id[8],
                          uint8_t *flags)
{
    if (!s)
        return false;
    /* A header value carries no surrounding optional whitespace. */
    while (len > 0 && is_blank(*s)) {
        s++;
        len--;
    }
    while (len > 0 && is_blank(s[len - 1]))
        len--;
    /* version "-" trace-id "-" parent-id "-" trace-flags */
    if (len < 55 || s[2] != '-' || s[35] != '-' || s[52] != '-')
        return false;
    if (!is_lower_hex(s, 2) || !is_lower_hex(s + 3, 32) || !is_lower_hex(s + 36, 16) ||
        !is_lower_hex(s + 53, 2))
        return false;
    if (s[0] == 'f' && s[1] == 'f')
        return false; /* version ff is invalid */
    if (s[0] == '0' && s[1] == '0') {
        if (len != 55)
            return false;
    } else if (len > 55 && s[55] != '-') {
        return false; /* a future version appends "-"-separated fields */
    }
    uint8_t t[16], p[8], f;
    if (tf_hex_decode(t, s + 3, 16) != 0 || tf_hex_decode(p, s + 36, 8) != 0 ||
        tf_hex_decode(&f, s + 53, 1) != 0)
        return false;
    if (tf_id_is_zero(t, 16) || tf_id_is_zero(p, 8))
        return false;
    memcpy(trace_id, t, 16);
    memcpy(span_id, p, 8);
    if (flags)
        *flags = f;
    return true;
}

bool tf_trace_id_parse(const char *s, size_t len, uint8_t out[16])
{
    if (!s)
        return false;
    uint8_t id[16];
    if (len == 32) {
        if (tf_hex_decode(id, s, 16) != 0)
            return false;
    } else if (len == 16) {
        memset(id, 0, 8);
        if (tf_hex_decode(id + 8, s, 8) != 0)
            return false;
    } else {
        if (len == 38) {
            if (s[0] != '{' || s[37] != '}')
                return false;
            s++;
            len -= 2;
        }
        if (len != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-')
            return false;
        if (tf_hex_decode(id, s, 4) != 0 || tf_hex_decode(id + 4, s + 9, 2) != 0 ||
            tf_hex_decode(id + 6, s + 14, 2) != 0 || tf_hex_decode(id + 8, s + 19, 2) != 0 ||
            tf_hex_decode(id + 10, s + 24, 6) != 0)
            return false;
    }
    if (tf_id_is_zero(id, 16))
        return false;
    memcpy(out, id, 16);
    return true;
}

bool tf_span_id_parse(const char *s, size_t len, uint8_t out[8])
{
    uint8_t id[8];
    if (!s || len != 16 || tf_hex_decode(id, s, 8) != 0 || tf_id_is_zero(id, 8))
        return false;
    memcpy(out, id, 8);
    return true;
}

/* ------------------------------------------------------------------------ */
/* Trace context headers: B3 and AWS X-Ray */

static void trim_blanks(const char **s, size_t *len)
{
    while (*len > 0 && is_blank(**s)) {
        (*s)++;
        (*len)--;
    }
    while (*len > 0 && is_blank((*s)[*len - 1]))
        (*len)--;
}

/* A B3 trace id: 32 or 16 hex digits (either case), not all zero. */
static bool b3_trace_id(const char *s, size_t len, uint8_t out[16])
{
    uint8_t id[16] = { 0 };
    if (len == 32) {
        if (tf_hex_decode(id, s, 16) != 0)
            return false;
    } else if (len != 16 || tf_hex_decode(id + 8, s, 8) != 0) {
        return false;
    }
    if (tf_id_is_zero(id, 16))
        return false;
    memcpy(out, id, 16);
    return true;
}

bool tf_traceparent_ctx(const char *s, size_t len, tf_trace_ctx *out)
{
    tf_trace_ctx c;
    uint8_t flags;
    memset(&c, 0, sizeof c);
    if (!tf_traceparent_parse(s, len, c.trace_id, c.span_id, &flags))
        return false;
    c.has_span_id = true;
    c.sampled = flags & 1;
    *out = c;
    return true;
}

bool tf_b3_parse(const char *s, size_t len, tf_trace_ctx *out)
{
    if (!s)
        return false;
    trim_blanks(&s, &len);
    /* Up to four '-'-separated fields. */
    tf_str f[4];
    size_t n = 0;
    const char *p = s, *end = s + len;
    while (n < 4) {
        const char *dash = memchr(p, '-', (size_t)(end - p));
        const char *stop = dash ? dash : end;
        f[n++] = (tf_str){ p, (size_t)(stop - p) };
        if (!dash)
            break;
        p = dash + 1;
        if (n == 4)
            return false; /* a fifth field */
    }
    if (n < 2)
        return false; /* a sampling decision alone, or nothing */
    tf_trace_ctx c;
    memset(&c, 0, sizeof c);
    c.sampled = -1;
    if (!b3_trace_id(f[0].p, f[0].len, c.trace_id) || !tf_span_id_parse(f[1].p, f[1].len, c.span_id))
        return false;
    c.has_span_id = true;
    if (n >= 3) {
        if (f[2].len != 1)
            return false;
        switch (f[2].p[0]) {
        case '0':
            c.sampled = 0;
            break;
        case '1':
            c.sampled = 1;
            break;
        case 'd':
            c.sampled = 1;
            c.debug = true;
            break;
        default:
            return false;
        }
    }
    if (n == 4) {
        if (!tf_span_id_parse(f[3].p, f[3].len, c.parent_span_id))
            return false;
        c.has_parent_span_id = true;
    }
    *out = c;
    return true;
}

static bool eq_nocase(const char *s, size_t len, const char *word)
{
    size_t n = strlen(word);
    if (len != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (ch >= 'A' && ch <= 'Z')
            ch = (char)(ch - 'A' + 'a');
        if (ch != word[i])
            return false;
    }
    return true;
}

bool tf_b3_multi_parse(const tf_b3_headers *h, tf_trace_ctx *out)
{
    tf_trace_ctx c;
    memset(&c, 0, sizeof c);
    c.sampled = -1;
    tf_str v = h->trace_id;
    trim_blanks(&v.p, &v.len);
    if (!v.len || !b3_trace_id(v.p, v.len, c.trace_id))
        return false;
    v = h->span_id;
    trim_blanks(&v.p, &v.len);
    if (!v.len || !tf_span_id_parse(v.p, v.len, c.span_id))
        return false;
    c.has_span_id = true;
    v = h->parent_span_id;
    trim_blanks(&v.p, &v.len);
    if (v.len) {
        if (!tf_span_id_parse(v.p, v.len, c.parent_span_id))
            return false;
        c.has_parent_span_id = true;
    }
    v = h->sampled;
    trim_blanks(&v.p, &v.len);
    if (v.len) {
        if (eq_nocase(v.p, v.len, "1") || eq_nocase(v.p, v.len, "true"))
            c.sampled = 1;
        else if (eq_nocase(v.p, v.len, "0") || eq_nocase(v.p, v.len, "false"))
            c.sampled = 0;
        else
            return false;
    }
    v = h->flags;
    trim_blanks(&v.p, &v.len);
    if (v.len) {
        if (v.len != 1 || (v.p[0] != '0' && v.p[0] != '1'))
            return false;
        if (v.p[0] == '1') {
            c.debug = true;
            c.sampled = 1;
        }
    }
    *out = c;
    return true;
}

/* "1-<8 hex>-<24 hex>" */
static bool xray_root(const char *s, size_t len, uint8_t out[16])
{
    uint8_t id[16];
    if (len != 35 || s[0] != '1' || s[1] != '-' || s[10] != '-')
        return false;
    if (tf_hex_decode(id, s + 2, 4) != 0 || tf_hex_decode(id + 4, s + 11, 12) != 0)
        return false;
    if (tf_id_is_zero(id, 16))
        return false;
    memcpy(out, id, 16);
    return true;
}

bool tf_xray_parse(const char *s, size_t len, tf_trace_ctx *out)
{
    if (!s)
        return false;
    tf_trace_ctx c;
    memset(&c, 0, sizeof c);
    c.sampled = -1;
    bool root = false, parent = false, sampled = false;
    const char *p = s, *end = s + len;
    while (p < end) {
        const char *semi = memchr(p, ';', (size_t)(end - p));
        const char *stop = semi ? semi : end;
        const char *f = p;
        size_t flen = (size_t)(stop - p);
        p = semi ? semi + 1 : end;
        trim_blanks(&f, &flen);
        if (flen == 0)
            continue;
        const char *eq = memchr(f, '=', flen);
        if (!eq)
            return false;
        const char *k = f, *v = eq + 1;
        size_t klen = (size_t)(eq - f), vlen = flen - klen - 1;
        trim_blanks(&k, &klen);
        trim_blanks(&v, &vlen);
        if (eq_nocase(k, klen, "root") && !root) {
            if (!xray_root(v, vlen, c.trace_id))
                return false;
            root = true;
        } else if (eq_nocase(k, klen, "parent") && !parent) {
            if (!tf_span_id_parse(v, vlen, c.span_id))
                return false;
            parent = c.has_span_id = true;
        } else if (eq_nocase(k, klen, "sampled") && !sampled) {
            if (vlen != 1 || (v[0] != '0' && v[0] != '1' && v[0] != '?'))
                return false;
            c.sampled = v[0] == '?' ? -1 : v[0] - '0';
            sampled = true;
        }
    }
    if (!root)
        return false;
    *out = c;
    return true;
}

bool tf_trace_ctx_traceparent(const tf_trace_ctx *c, char out[56])
{
    if (!c->has_span_id)
        return false;
    memcpy(out, "00-", 3);
    tf_hex_encode(out + 3, c->trace_id, 16);
    out[35] = '-';
    tf_hex_encode(out + 36, c->span_id, 8);
    memcpy(out + 52, c->sampled == 1 ? "-01" : "-00", 3);
    out[55] = '\0';
    return true;
}
