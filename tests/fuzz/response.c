/* response.c: what a backend answers: OTLP partial success (protobuf and
 * JSON), google.rpc.Status messages (otlp/response.c) and Retry-After
 * (output/retry.c).
 * Input: one selector byte, then the body (or the header value).
 *   [0] % 5: 0 partial_success protobuf, 1 partial_success JSON,
 *       2 rpc status protobuf, 3 rpc status JSON, 4 Retry-After
 * Invariants (response.h, retry.h): partial_success returns -1, 0 or 1;
 * unless 1, *rejected is 0 and msg is untouched; -1 comes with a message;
 * 1 means spans were rejected or there is a message. A status message
 * returned is one the body holds (non-empty). Retry-After: digits are
 * seconds exactly (saturating); otherwise it agrees with the HTTP-date
 * parser relative to now (0 for the past). */
#include "tests/fuzz/fuzz.h"
#include "common/timefmt.h"
#include "otlp/response.h"
#include "output/retry.h"

#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

#define NOW_NS 1748736000000000000ull /* 2025-06-01T00:00:00Z */

static void retry_after(const uint8_t *p, size_t n)
{
    char *v = tf_fuzz_cstr(p, n);
    uint64_t delay = 12345;
    bool ok = tf_retry_after_parse(v, NOW_NS, &delay);
    /* The value as the parser sees it: up to a NUL, blanks trimmed. */
    size_t len = strlen(v), a = 0;
    while (a < len && (v[a] == ' ' || v[a] == '\t'))
        a++;
    while (len > a && (v[len - 1] == ' ' || v[len - 1] == '\t'))
        len--;
    bool digits = len > a;
    for (size_t i = a; i < len; i++)
        digits = digits && v[i] >= '0' && v[i] <= '9';
    if (digits) {
        TF_FUZZ_CHECK(ok);
        uint64_t secs = 0;
        bool big = false;
        for (size_t i = a; i < len && !big; i++) {
            if (secs > (UINT64_MAX / 1000000000u - 9) / 10)
                big = true;
            secs = secs * 10 + (uint64_t)(v[i] - '0');
        }
        if (!big)
            TF_FUZZ_CHECK(delay == secs * 1000000000u);
    } else {
        uint64_t at;
        bool date = len > a && tf_time_parse_http_date(v + a, len - a, NOW_NS, &at);
        TF_FUZZ_CHECK(ok == date);
        if (date)
            TF_FUZZ_CHECK(delay == (at > NOW_NS ? at - NOW_NS : 0));
    }
    free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned sel = data[0] % 5u;
    /* The body in a buffer of its own size, so over-reads are caught. */
    size_t n = size - 1;
    uint8_t *body = tf_xmalloc(n ? n : 1);
    if (n)
        memcpy(body, data + 1, n);
    tf_buf msg = { 0 };
    TF_BUF_LIT(&msg, "prefix:");
    if (sel <= 1) {
        int64_t rejected = 777;
        tf_err err;
        tf_err_clear(&err);
        int rc = tf_otlp_partial_success(sel == 1, body, n, &rejected, &msg, &err);
        TF_FUZZ_CHECK(rc >= -1 && rc <= 1);
        if (rc != 1) {
            TF_FUZZ_CHECK(rejected == 0);
            TF_FUZZ_CHECK(msg.len == 7);
        } else {
            TF_FUZZ_CHECK(rejected != 0 || msg.len > 7);
        }
        if (rc == -1)
            TF_FUZZ_CHECK(err.msg[0] != '\0');
    } else if (sel <= 3) {
        bool ok = tf_rpc_status_message(sel == 3, body, n, &msg);
        TF_FUZZ_CHECK(ok ? msg.len > 7 : msg.len == 7);
    } else {
        retry_after(body, n);
    }
    tf_buf_free(&msg);
    free(body);
    return 0;
}
