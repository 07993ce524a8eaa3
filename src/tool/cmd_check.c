/* check.c: `tracefill check`: send one small, clearly labelled span to the
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
#include "output/upload.h"

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

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
    tf_buf *b = ud;
    size_t n = size * nmemb;
    if (b->len < 65536)
        tf_buf_append(b, ptr, TF_MIN(n, 65536 - b->len));
    return n;
}

/* The Grafana dashboard URL looks like https://<stack>.grafana.net; the OTLP
 * gateway is https://otlp-gateway-prod-<region>.grafana.net/otlp. */
static bool looks_like_grafana_dashboard(const char *url)
{
    const char *host = strstr(url, "://");
    host = host ? host + 3 : url;
    size_t n = strcspn(host, "/:");
    static const char sfx[] = ".grafana.net";
    return n > sizeof sfx - 1 && !memcmp(host + n - (sizeof sfx - 1), sfx, sizeof sfx - 1) &&
           strncmp(host, "otlp-gateway", 12) != 0;
}

const char *tf_check_hint(const char *url, long status, bool html, const char *backend_message)
{
    if ((status == 404 || status == 405 || html) && looks_like_grafana_dashboard(url))
        return "this looks like the Grafana dashboard URL; use the OTLP gateway instead, e.g. "
               "https://otlp-gateway-prod-<region>.grafana.net/otlp (Grafana Cloud portal > "
               "your stack > OpenTelemetry)";
    if (status == 401 && strstr(backend_message, "org id"))
        return "this Tempo is multi-tenant: pass --tenant ID (sent as X-Scope-OrgID)";
    return tf_retry_hint(status);
}

static const char *transport_hint(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST: return "the host name does not resolve: check the endpoint URL";
    case CURLE_COULDNT_CONNECT: return "nothing accepts connections there: check the host and port, and that the backend is running";
    case CURLE_OPERATION_TIMEDOUT: return "no answer in time: check firewalls/proxies, or raise --timeout";
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
        return "the TLS certificate could not be verified: for a private CA pass --cacert FILE (or set OTEL_EXPORTER_OTLP_CERTIFICATE); --insecure only for testing";
    case CURLE_SSL_CONNECT_ERROR: return "the TLS handshake failed: is the endpoint really https (or really http)?";
    case CURLE_UNSUPPORTED_PROTOCOL: return "the URL scheme is not http or https";
    default: return NULL;
    }
}

int tf_check(const tf_opts *o)
{
    char *err = NULL;
    tf_http *h = tf_http_new(o, &err);
    if (!h) {
        tf_errorf("%s", err);
        free(err);
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

    tf_buf span = { 0 }, raw = { 0 }, body = { 0 }, resp = { 0 };
    tf_encode_span(o->protocol, &span, &s);
    tf_encode_group g = { s.resource, s.scope, &(tf_str){ span.p, span.len }, 1 };
    tf_encode_request(o->protocol, &raw, &g, 1);
    tf_compressor *c = tf_compressor_new(o->compression);
    tf_compress(c, raw.p, raw.len, &body);
    tf_compressor_free(c);

    CURL *e = curl_easy_init();
    char errbuf[CURL_ERROR_SIZE] = "";
    tf_http_setup(h, e);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, body.p);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body.len);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &resp);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
    uint64_t t0 = tf_now_mono_ns();
    CURLcode rc = curl_easy_perform(e);
    double ms = (double)(tf_now_mono_ns() - t0) / 1e6;
    long status = 0;
    char *ctype = NULL;
    if (rc == CURLE_OK) {
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_getinfo(e, CURLINFO_CONTENT_TYPE, &ctype);
    }

    char tid[33];
    tf_hex_encode(tid, s.trace_id, 16);
    tid[32] = '\0';
    printf("endpoint:  %s\n", tf_http_url(h));
    printf("protocol:  %s, compression %s\n", o->protocol == TF_ENC_JSON ? "http/json" : "http/protobuf",
           tf_compression_name(o->compression) ? tf_compression_name(o->compression) : "none");
    printf("trace id:  %s (span \"tracefill check\", service.name=tracefill-check)\n", tid);
    int result = TF_EXIT_FAILURE;
    if (rc != CURLE_OK) {
        printf("result:    FAILED after %.0f ms: %s\n", ms, errbuf[0] ? errbuf : curl_easy_strerror(rc));
        const char *hint = transport_hint(rc);
        if (hint)
            printf("hint:      %s\n", hint);
    } else {
        bool json_resp = ctype && strstr(ctype, "json");
        bool html = ctype && strstr(ctype, "html");
        tf_buf said = { 0 };
        int64_t rejected = 0;
        printf("status:    HTTP %ld in %.0f ms\n", status, ms);
        if (status >= 200 && status < 300) {
            if (tf_otlp_partial_success(json_resp || o->protocol == TF_ENC_JSON, resp.p, resp.len,
                                        &rejected, &said) && rejected > 0) {
                printf("result:    REJECTED: the backend dropped the span: %.*s\n", (int)said.len,
                       said.p ? said.p : "");
            } else {
                printf("result:    OK: the backend accepted the test span%s%.*s\n", said.len ? " (it said: " : "",
                       (int)said.len, said.p ? said.p : "");
                if (said.len)
                    printf(")\n");
                result = TF_EXIT_OK;
            }
        } else {
            if (!html && tf_rpc_status_message(json_resp, resp.p, resp.len, &said))
                printf("backend:   %.*s\n", (int)said.len, said.p);
            printf("result:    FAILED\n");
            const char *hint = tf_check_hint(tf_http_url(h), status, html, said.len ? tf_buf_cstr(&said) : "");
            if (hint)
                printf("hint:      %s\n", hint);
        }
        tf_buf_free(&said);
    }
    curl_easy_cleanup(e);
    tf_buf_free(&span);
    tf_buf_free(&raw);
    tf_buf_free(&body);
    tf_buf_free(&resp);
    tf_interner_free(in);
    tf_http_free(h);
    return result;
}
