/* cmd_check.c: `tracefill check`: send one small, clearly labelled span to the
 * endpoint and explain the answer in plain words. Exit 0 only when the
 * backend accepted it. */
#include "config.h"
#include "tool/cmd_check.h"
#include "output/body_compress.h"
#include "otlp/encode.h"
#include "common/ids.h"
#include "tool/msg.h"
#include "otlp/resource.h"
#include "output/retry.h"
#include "tool/exit.h"
#include "common/timefmt.h"
#include "output/http.h"
#include "otlp/response.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Fresh random ids: a check span must never collide with real data. */
static void random_ids(uint8_t trace_id[16], uint8_t span_id[8])
{
    uint8_t buf[24];
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    ssize_t got = fd >= 0 ? read(fd, buf, sizeof buf) : -1;
    if (fd >= 0)
        close(fd);
    if (got == (ssize_t)sizeof buf) {
        memcpy(trace_id, buf, 16);
        memcpy(span_id, buf + 16, 8);
    } else { /* fall back to the clock: uniqueness is all we need */
        uint64_t t = tf_now_wall_ns() ^ ((uint64_t)getpid() << 32);
        tf_id_derive(&t, sizeof t, trace_id, span_id);
    }
    if (tf_id_is_zero(trace_id, 16))
        trace_id[15] = 1;
    if (tf_id_is_zero(span_id, 8))
        span_id[7] = 1;
}

const char *tf_check_hint(const char *url, long status, bool html, const char *backend_message)
{
    if ((status == 404 || status == 405 || html) && tf_retry_grafana_dashboard(url))
        return TF_HINT_GRAFANA_DASHBOARD;
    if (html)
        return tf_retry_not_otlp_hint(url);
    const char *h = tf_retry_message_hint(backend_message);
    return h ? h : tf_retry_hint(status);
}

static const char *transport_hint(tf_http_outcome why)
{
    switch (why) {
    case TF_HTTP_FAIL_RESOLVE: return "the host name does not resolve: check the endpoint URL";
    case TF_HTTP_FAIL_CONNECT: return "nothing accepts connections there: check the host and port, and that the backend is running";
    case TF_HTTP_FAIL_TIMEOUT: return "no answer in time: check firewalls/proxies, or raise --timeout";
    case TF_HTTP_FAIL_TLS_VERIFY:
        return "the TLS certificate could not be verified: for a private CA pass --cacert FILE (or set OTEL_EXPORTER_OTLP_CERTIFICATE); --insecure only for testing";
    case TF_HTTP_FAIL_TLS: return "the TLS handshake failed: is the endpoint really https (or really http)?";
    case TF_HTTP_FAIL_SCHEME: return "the URL scheme is not http or https";
    case TF_HTTP_ANSWERED:
    case TF_HTTP_FAIL_OTHER: return NULL;
    }
    return NULL;
}

static bool ctype_has(const tf_http_answer *a, const char *what)
{
    return a->content_type && strstr(a->content_type, what);
}

/* A 2xx answer: accepted only when it is an OTLP answer that does not say the
 * span was dropped. */
static int report_accepted(const tf_http *h, const tf_http_answer *a)
{
    tf_buf said = { 0 }, safe = { 0 };
    int64_t rejected = 0;
    tf_err why = { "" };
    tf_answer_kind k = tf_otlp_answer(a->content_type, a->body.p, a->body.len, 1, &rejected, &said, &why);
    tf_http_redact(h, &said);
    int result = TF_EXIT_OK;
    switch (k) {
    case TF_ANSWER_NOT_OTLP:
        printf("result:    FAILED: this endpoint is not an OTLP receiver (it answered with %s; %s, %zu bytes)\n",
               why.msg, a->content_type ? a->content_type : "no Content-Type", a->body.len);
        printf("hint:      %s\n", tf_check_hint(tf_http_url(h), a->status, true, ""));
        result = TF_EXIT_FAILURE;
        break;
    case TF_ANSWER_MALFORMED:
        printf("result:    FAILED: the answer is malformed: %s\n", why.msg);
        result = TF_EXIT_FAILURE;
        break;
    case TF_ANSWER_PARTIAL:
        if (rejected > 0) {
            printf("result:    REJECTED: the backend dropped the span: %s\n", tf_msg_safe(&safe, said.p, said.len));
            result = TF_EXIT_FAILURE;
        } else {
            printf("result:    OK: the backend accepted the test span (it said: %s)\n", tf_msg_safe(&safe, said.p, said.len));
        }
        break;
    case TF_ANSWER_OK:
        printf("result:    OK: the backend accepted the test span\n");
        break;
    }
    tf_buf_free(&said);
    tf_buf_free(&safe);
    return result;
}

/* Any other status: the backend's own words (credentials it echoed hidden)
 * and a hint. */
static int report_refused(const tf_http *h, const tf_http_answer *a)
{
    tf_buf said = { 0 };
    bool html = ctype_has(a, "html");
    if (!html && tf_rpc_status_message(ctype_has(a, "json"), a->body.p, a->body.len, &said)) {
        tf_http_redact(h, &said);
        tf_buf safe = { 0 };
        printf("backend:   %s\n", tf_msg_safe(&safe, said.p, said.len));
        tf_buf_free(&safe);
    }
    printf("result:    FAILED\n");
    const char *hint = tf_check_hint(tf_http_url(h), a->status, html, said.len ? tf_buf_cstr(&said) : "");
    if (hint)
        printf("hint:      %s\n", hint);
    tf_buf_free(&said);
    return TF_EXIT_FAILURE;
}

int tf_check(const tf_opts *o)
{
    tf_err err;
    tf_http *h = tf_http_new(o, &err);
    if (!h) {
        tf_errorf("%s", err.msg);
        return TF_EXIT_USAGE;
    }
    /* The span: service.name=tracefill-check, name "tracefill check". */
    tf_interner *in = tf_interner_new();
    tf_arena *a = tf_interner_arena(in);
    tf_attrs rattrs = { 0 };
    tf_attrs_cstr(&rattrs, a, "service.name", "tracefill-check");
    tf_attrs_cstr(&rattrs, a, "service.version", PACKAGE_VERSION);
    tf_span s = { 0 };
    s.resource = tf_intern_resource(in, &rattrs, TF_STR(""), 0);
    s.scope = tf_intern_scope(in, TF_STR("tracefill"), TF_STR(PACKAGE_VERSION), NULL, TF_STR(""), 0);
    random_ids(s.trace_id, s.span_id);
    s.name = TF_STR("tracefill check");
    s.kind = TF_KIND_INTERNAL;
    s.end_ns = tf_now_wall_ns();
    s.start_ns = s.end_ns - 1000000;
    tf_attrs_bool(&s.attrs, a, "tracefill.check", true);
    tf_attrs_cstr(&s.attrs, a, "tracefill.note", "connectivity test span sent by `tracefill check`; safe to ignore");

    tf_buf span = { 0 }, raw = { 0 }, body = { 0 };
    tf_encode_span(o->protocol, &span, &s);
    tf_encode_group g = { s.resource, s.scope, &(tf_str){ span.p, span.len }, 1 };
    tf_encode_request(o->protocol, &raw, &g, 1);
    tf_compressor *c = tf_compressor_new(o->compression);
    tf_compress(c, raw.p, raw.len, &body);
    tf_compressor_free(c);

    tf_http_answer ans;
    uint64_t t0 = tf_now_mono_ns();
    int rc = tf_http_post(h, body.p, body.len, &ans, &err);
    double ms = (double)(tf_now_mono_ns() - t0) / 1e6;

    char tid[33];
    tf_hex_encode(tid, s.trace_id, 16);
    tid[32] = '\0';
    printf("endpoint:  %s\n", tf_http_url(h));
    printf("protocol:  %s, compression %s\n", o->protocol == TF_ENC_JSON ? "http/json" : "http/protobuf",
           tf_compression_name(o->compression) ? tf_compression_name(o->compression) : "none");
    printf("trace id:  %s (span \"tracefill check\", service.name=tracefill-check)\n", tid);
    int result = TF_EXIT_FAILURE;
    if (rc != 0) {
        printf("result:    FAILED after %.0f ms: %s\n", ms, err.msg);
        const char *hint = transport_hint(ans.outcome);
        if (hint)
            printf("hint:      %s\n", hint);
    } else {
        printf("status:    HTTP %ld in %.0f ms\n", ans.status, ms);
        result = ans.status >= 200 && ans.status < 300 ? report_accepted(h, &ans) : report_refused(h, &ans);
    }
    tf_http_answer_free(&ans);
    tf_buf_free(&span);
    tf_buf_free(&raw);
    tf_buf_free(&body);
    tf_interner_free(in);
    tf_http_free(h);
    return result;
}
