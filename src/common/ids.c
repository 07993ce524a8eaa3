/* ids.c: deterministic trace/span id derivation and parsing of the id forms
 * found in logs (W3C traceparent, hex, UUID, 64-bit B3). */
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
