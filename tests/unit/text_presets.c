/* unit-text_presets.c: every preset on lines written for these tests, with
 * every field's exact value (expected records written by hand from the
 * line: CLF times converted with `date -u -d '15 Jul 2024 23:33:19 +0000'`,
 * durations in seconds), the variants each log format has (absent values,
 * garbage request lines, older and newer ALB layouts, CloudFront's #Fields:),
 * and bad lines with their reasons. */
#include "config.h"
#include "textlib.h"

#include <stdio.h>
#include <stdlib.h>

static bool open_preset(tt *t, const char *name)
{
    tf_text_spec s = tt_spec(NULL, name);
    return ok(tt_open(t, &s), "preset %s compiles", name);
}

static void test_nginx(void)
{
    tt t;
    if (!open_preset(&t, "nginx-combined"))
        return;
    tt_is(&t,
          "203.0.113.7 - alice [15/Jul/2024:23:33:19 +0000] \"GET /api/v1/orders?page=2&limit=50 HTTP/1.1\" "
          "200 5120 \"https://shop.example.com/orders\" \"Mozilla/5.0 (X11; Linux x86_64) \\x22q\\x22\"",
          "{\"remote_addr\":\"203.0.113.7\",\"remote_user\":\"alice\",\"time_local\":\"2024-07-15T23:33:19.000000000Z\","
          "\"request\":\"GET /api/v1/orders?page=2&limit=50 HTTP/1.1\",\"request_method\":\"GET\","
          "\"request_uri\":\"/api/v1/orders?page=2&limit=50\",\"request_path\":\"/api/v1/orders\","
          "\"request_query\":\"page=2&limit=50\",\"server_protocol\":\"HTTP/1.1\",\"status\":200,"
          "\"body_bytes_sent\":5120,\"http_referer\":\"https://shop.example.com/orders\","
          "\"http_user_agent\":\"Mozilla/5.0 (X11; Linux x86_64) \\\"q\\\"\"}",
          "nginx combined: every field");
    tt_is(&t, "2001:db8::5 - - [14/Jul/2024:10:15:31 +0200] \"POST /api/v1/login HTTP/2.0\" 500 86 \"-\" \"-\"",
          "{\"remote_addr\":\"2001:db8::5\",\"remote_user\":null,\"time_local\":\"2024-07-14T08:15:31.000000000Z\","
          "\"request\":\"POST /api/v1/login HTTP/2.0\",\"request_method\":\"POST\",\"request_uri\":\"/api/v1/login\","
          "\"request_path\":\"/api/v1/login\",\"request_query\":null,\"server_protocol\":\"HTTP/2.0\","
          "\"status\":500,\"body_bytes_sent\":86,\"http_referer\":null,\"http_user_agent\":null}",
          "nginx combined: '-' is null, no query, IPv6, an offset");
    tt_is(&t, "198.51.100.9 - - [15/Jul/2024:23:33:20 +0000] \"-\" 400 0 \"-\" \"-\"",
          "{\"remote_addr\":\"198.51.100.9\",\"remote_user\":null,\"time_local\":\"2024-07-15T23:33:20.000000000Z\","
          "\"request\":null,\"request_method\":null,\"request_uri\":null,\"request_path\":null,"
          "\"request_query\":null,\"server_protocol\":null,\"status\":400,\"body_bytes_sent\":0,"
          "\"http_referer\":null,\"http_user_agent\":null}",
          "nginx combined: no request line");
    tt_is(&t, "198.51.100.9 - - [15/Jul/2024:23:33:21 +0000] \"\\x16\\x03\\x01\\x00\\xF4\" 400 157 \"-\" \"-\"",
          "{\"remote_addr\":\"198.51.100.9\",\"remote_user\":null,\"time_local\":\"2024-07-15T23:33:21.000000000Z\","
          "\"request\":\"\\u0016\\u0003\\u0001\\u0000\xef\xbf\xbd\",\"request_method\":null,\"request_uri\":null,"
          "\"request_path\":null,\"request_query\":null,\"server_protocol\":null,\"status\":400,"
          "\"body_bytes_sent\":157,\"http_referer\":null,\"http_user_agent\":null}",
          "nginx combined: a TLS handshake on a plain port, unescaped and repaired");
    tt_is(&t, "10.0.0.1 - - [15/Jul/2024:23:33:22 +0000] \"GET /a b HTTP/1.1\" 400 0 \"-\" \"curl\"",
          "{\"remote_addr\":\"10.0.0.1\",\"remote_user\":null,\"time_local\":\"2024-07-15T23:33:22.000000000Z\","
          "\"request\":\"GET /a b HTTP/1.1\",\"request_method\":null,\"request_uri\":null,\"request_path\":null,"
          "\"request_query\":null,\"server_protocol\":null,\"status\":400,\"body_bytes_sent\":0,"
          "\"http_referer\":null,\"http_user_agent\":\"curl\"}",
          "nginx combined: a request line of four parts stays whole");
    /* Bad lines. */
    tt_is(&t, "10.0.0.1 - - [15/Jul/2024:23:33:22 +0000] \"GET / HTTP/1.1\" 2OO 0 \"-\" \"curl\"",
          "NOMATCH: does not match nginx-combined from byte 61: \"OO 0 \\\"-\\\" \\\"curl\\\"\"",
          "a status that is no number: where it stops fitting");
    tt_is(&t, "{\"time_local\":\"15/Jul/2024:23:33:19 +0000\",\"status\":200}",
          "NOMATCH: does not match nginx-combined from byte 37: \"+0000\\\",\\\"status\\\":200}\"",
          "a JSON line: \\S+ takes its first 35 bytes as remote_addr");
    tt_is(&t, "10.0.0.1 - - [15/Jul/2024:23:33:22 +0000] \"GET / HTTP/1.1\" 200 0 \"-\"",
          "NOMATCH: does not match nginx-combined: the line ends early (after byte 68)", "a truncated line");
    tt_is(&t, "10.0.0.1 - - [15/Jul/2024:25:33:22 +0000] \"GET / HTTP/1.1\" 200 0 \"-\" \"-\"",
          "BADVALUE: field \"time_local\": \"15/Jul/2024:25:33:22 +0000\" is not a time (time:clf)",
          "an impossible time");
    tt_is(&t, "10.0.0.1 - - [15/Jul/2024:23:33:22 +0000] \"GET / HTTP/1.1\" 200 0 \"-\" \"-\" 0.005",
          "NOMATCH: does not match nginx-combined from byte 73: \" 0.005\"",
          "an extended line is not stock combined");
    tt_close(&t);

    /* combined extended: the preset's pattern with more fields; their types
     * come from the preset's table of nginx variables. */
    tf_text_spec s = tt_spec(NULL, "nginx-combined");
    s.append = " (?<request_time>\\S+) \"(?<http_traceparent>[^\"]*)\"";
    if (ok(tt_open(&t, &s), "nginx combined + append")) {
        tt_is(&t,
              "203.0.113.7 - - [15/Jul/2024:23:33:19 +0000] \"GET /api/v1/orders HTTP/1.1\" 200 5120 \"-\" "
              "\"curl/8.5.0\" 0.087 \"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\"",
              "{\"remote_addr\":\"203.0.113.7\",\"remote_user\":null,\"time_local\":\"2024-07-15T23:33:19.000000000Z\","
              "\"request\":\"GET /api/v1/orders HTTP/1.1\",\"request_method\":\"GET\",\"request_uri\":\"/api/v1/orders\","
              "\"request_path\":\"/api/v1/orders\",\"request_query\":null,\"server_protocol\":\"HTTP/1.1\","
              "\"status\":200,\"body_bytes_sent\":5120,\"http_referer\":null,\"http_user_agent\":\"curl/8.5.0\","
              "\"request_time\":0.087,\"http_traceparent\":{\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\","
              "\"parent_span_id\":\"00f067aa0ba902b7\",\"sampled\":true,"
              "\"traceparent\":\"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\"}}",
              "combined extended with $request_time and $http_traceparent");
        tt_is(&t,
              "203.0.113.7 - - [15/Jul/2024:23:33:19 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"-\" 0.000 \"-\"",
              "{\"remote_addr\":\"203.0.113.7\",\"remote_user\":null,\"time_local\":\"2024-07-15T23:33:19.000000000Z\","
              "\"request\":\"GET / HTTP/1.1\",\"request_method\":\"GET\",\"request_uri\":\"/\",\"request_path\":\"/\","
              "\"request_query\":null,\"server_protocol\":\"HTTP/1.1\",\"status\":200,\"body_bytes_sent\":1,"
              "\"http_referer\":null,\"http_user_agent\":null,\"request_time\":0.0,\"http_traceparent\":null}",
              "no traceparent header");
        tt_close(&t);
    }
    tf_text_field retype[] = { { "request_time", "string", NULL } };
    s.fields = retype;
    s.n_fields = 1;
    if (ok(tt_open(&t, &s), "retyping a preset field")) {
        const char *r = tt_line(&t, "1.2.3.4 - - [15/Jul/2024:23:33:19 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"-\" 0.010 \"-\"");
        ok(strstr(r, "\"request_time\":\"0.010\"") != NULL, "request_time kept as text: %s", r);
        tt_close(&t);
    }
}

static void test_apache(void)
{
    tt t;
    if (open_preset(&t, "apache-combined")) {
        tt_is(&t,
              "198.51.100.23 - bob [04/Mar/2024:08:15:02 +0100] \"POST /login?next=%2F HTTP/1.1\" 302 - "
              "\"https://www.example.org/\" \"Wget/1.21 \\\"x\\\"\"",
              "{\"remote_host\":\"198.51.100.23\",\"remote_logname\":null,\"remote_user\":\"bob\","
              "\"time\":\"2024-03-04T07:15:02.000000000Z\",\"request\":\"POST /login?next=%2F HTTP/1.1\","
              "\"request_method\":\"POST\",\"request_uri\":\"/login?next=%2F\",\"request_path\":\"/login\","
              "\"request_query\":\"next=%2F\",\"request_protocol\":\"HTTP/1.1\",\"status\":302,\"bytes\":0,"
              "\"referer\":\"https://www.example.org/\",\"user_agent\":\"Wget/1.21 \\\"x\\\"\"}",
              "apache combined: %%b '-' is 0, \\\" unescaped");
        tt_is(&t, "198.51.100.23 - - [04/Mar/2024:08:15:02 +0100] \"GET / HTTP/1.0\" 200 1043",
              "NOMATCH: does not match apache-combined: the line ends early (after byte 72)",
              "a common line is not combined");
        tt_close(&t);
    }
    if (open_preset(&t, "common")) {
        tt_is(&t, "198.51.100.23 ident - [04/Mar/2024:08:15:02 +0100] \"GET / HTTP/1.0\" 200 1043",
              "{\"remote_host\":\"198.51.100.23\",\"remote_logname\":\"ident\",\"remote_user\":null,"
              "\"time\":\"2024-03-04T07:15:02.000000000Z\",\"request\":\"GET / HTTP/1.0\",\"request_method\":\"GET\","
              "\"request_uri\":\"/\",\"request_path\":\"/\",\"request_query\":null,\"request_protocol\":\"HTTP/1.0\","
              "\"status\":200,\"bytes\":1043}",
              "common log format");
        tt_is(&t, "198.51.100.23 - - [04/Mar/2024:08:15:02 +0100] \"GET / HTTP/1.0\" 200 1043 \"-\" \"-\"",
              "NOMATCH: does not match common from byte 73: \" \\\"-\\\" \\\"-\\\"\"", "a combined line is not common");
        tt_close(&t);
    }
}

#define ALB_TG "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/shop/4c6e8a0b2d4f6a81"
#define ALB_CERT "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-1234-4cde-9f00-123456789abc"

static void test_alb(void)
{
    tt t;
    if (!open_preset(&t, "aws-alb"))
        return;
    tt_is(&t,
          "h2 2024-07-15T23:33:19.433273Z app/shop-lb/8a1f3c5e7b9d0f24 203.0.113.7:52114 10.0.3.21:8080 0.001 "
          "0.085 0.000 200 201 412 5120 \"GET https://shop.example.com:443/api/v1/orders?page=2 HTTP/2.0\" "
          "\"curl/8.5.0\" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 " ALB_TG " "
          "\"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1\" \"shop.example.com\" "
          "\"" ALB_CERT "\" 0 2024-07-15T23:33:19.347000Z \"forward\" \"-\" \"-\" \"10.0.3.21:8080\" \"201\" "
          "\"-\" \"-\" TID_9f8e7d6c5b4a3f2e1d0c",
          "{\"type\":\"h2\",\"time\":\"2024-07-15T23:33:19.433273000Z\",\"elb\":\"app/shop-lb/8a1f3c5e7b9d0f24\","
          "\"client_ip\":\"203.0.113.7\",\"client_port\":52114,\"target_ip\":\"10.0.3.21\",\"target_port\":8080,"
          "\"request_processing_time\":0.001,\"target_processing_time\":0.085,\"response_processing_time\":0.0,"
          "\"elb_status_code\":200,\"target_status_code\":201,\"received_bytes\":412,\"sent_bytes\":5120,"
          "\"request\":\"GET https://shop.example.com:443/api/v1/orders?page=2 HTTP/2.0\",\"request_method\":\"GET\","
          "\"request_url\":\"https://shop.example.com:443/api/v1/orders?page=2\",\"url_scheme\":\"https\","
          "\"url_host\":\"shop.example.com\",\"url_port\":443,\"request_path\":\"/api/v1/orders\","
          "\"request_query\":\"page=2\",\"request_protocol\":\"HTTP/2.0\",\"user_agent\":\"curl/8.5.0\","
          "\"ssl_cipher\":\"ECDHE-RSA-AES128-GCM-SHA256\",\"ssl_protocol\":\"TLSv1.2\",\"target_group_arn\":\"" ALB_TG
          "\",\"trace_id\":{\"trace_id\":\"5759e988bd862e3fe1be46a994272793\",\"parent_span_id\":\"53995c3f42cd8ad8\","
          "\"sampled\":true,\"traceparent\":\"00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01\"},"
          "\"domain_name\":\"shop.example.com\",\"chosen_cert_arn\":\"" ALB_CERT "\",\"matched_rule_priority\":0,"
          "\"request_creation_time\":\"2024-07-15T23:33:19.347000000Z\",\"actions_executed\":\"forward\","
          "\"redirect_url\":null,\"error_reason\":null,\"target_port_list\":\"10.0.3.21:8080\","
          "\"target_status_code_list\":\"201\",\"classification\":null,\"classification_reason\":null,"
          "\"conn_trace_id\":\"TID_9f8e7d6c5b4a3f2e1d0c\"}",
          "ALB: every field, X-Ray ids");
    tt_is(&t,
          "https 2024-07-15T23:33:20.000001Z app/shop-lb/8a1f3c5e7b9d0f24 [2001:db8::7]:40000 - -1 -1 -1 503 - "
          "220 367 \"GET https://[2001:db8::1]:443/ HTTP/1.1\" \"Mozilla/5.0\" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.3 "
          ALB_TG " \"Root=1-669530cf-7d3e2a1b9c8f4e6d5a4b3c2d\" \"-\" \"-\" 0 2024-07-15T23:33:19.990000Z "
          "\"forward\" \"-\" \"-\" \"-\" \"-\" \"-\" \"-\" - \"a-new-field\" 7",
          "{\"type\":\"https\",\"time\":\"2024-07-15T23:33:20.000001000Z\",\"elb\":\"app/shop-lb/8a1f3c5e7b9d0f24\","
          "\"client_ip\":\"[2001:db8::7]\",\"client_port\":40000,\"target_ip\":null,\"target_port\":null,"
          "\"request_processing_time\":null,\"target_processing_time\":null,\"response_processing_time\":null,"
          "\"elb_status_code\":503,\"target_status_code\":null,\"received_bytes\":220,\"sent_bytes\":367,"
          "\"request\":\"GET https://[2001:db8::1]:443/ HTTP/1.1\",\"request_method\":\"GET\","
          "\"request_url\":\"https://[2001:db8::1]:443/\",\"url_scheme\":\"https\",\"url_host\":\"[2001:db8::1]\","
          "\"url_port\":443,\"request_path\":\"/\",\"request_query\":null,\"request_protocol\":\"HTTP/1.1\","
          "\"user_agent\":\"Mozilla/5.0\",\"ssl_cipher\":\"ECDHE-RSA-AES128-GCM-SHA256\",\"ssl_protocol\":\"TLSv1.3\","
          "\"target_group_arn\":\"" ALB_TG "\",\"trace_id\":{\"trace_id\":\"669530cf7d3e2a1b9c8f4e6d5a4b3c2d\"},"
          "\"domain_name\":null,\"chosen_cert_arn\":null,\"matched_rule_priority\":0,"
          "\"request_creation_time\":\"2024-07-15T23:33:19.990000000Z\",\"actions_executed\":\"forward\","
          "\"redirect_url\":null,\"error_reason\":null,\"target_port_list\":null,\"target_status_code_list\":null,"
          "\"classification\":null,\"classification_reason\":null,\"conn_trace_id\":null}",
          "ALB: not dispatched (-1 times, no target), Root only, fields AWS added later ignored");
    tt_is(&t,
          "http 2019-03-11T08:01:02.500000Z app/old-lb/1234567890abcdef 192.0.2.44:3001 10.0.0.9:80 0.000 "
          "0.002 0.000 200 200 40 350 \"GET http://www.example.net:80/ HTTP/1.1\" \"curl/7.64.0\" - - " ALB_TG
          " \"Root=1-5c8615ce-0123456789abcdef01234567\" \"-\" \"-\" 0 2019-03-11T08:01:02.497000Z \"forward\" \"-\" \"-\"",
          "{\"type\":\"http\",\"time\":\"2019-03-11T08:01:02.500000000Z\",\"elb\":\"app/old-lb/1234567890abcdef\","
          "\"client_ip\":\"192.0.2.44\",\"client_port\":3001,\"target_ip\":\"10.0.0.9\",\"target_port\":80,"
          "\"request_processing_time\":0.0,\"target_processing_time\":0.002,\"response_processing_time\":0.0,"
          "\"elb_status_code\":200,\"target_status_code\":200,\"received_bytes\":40,\"sent_bytes\":350,"
          "\"request\":\"GET http://www.example.net:80/ HTTP/1.1\",\"request_method\":\"GET\","
          "\"request_url\":\"http://www.example.net:80/\",\"url_scheme\":\"http\",\"url_host\":\"www.example.net\","
          "\"url_port\":80,\"request_path\":\"/\",\"request_query\":null,\"request_protocol\":\"HTTP/1.1\","
          "\"user_agent\":\"curl/7.64.0\",\"ssl_cipher\":null,\"ssl_protocol\":null,\"target_group_arn\":\"" ALB_TG
          "\",\"trace_id\":{\"trace_id\":\"5c8615ce0123456789abcdef01234567\"},\"domain_name\":null,"
          "\"chosen_cert_arn\":null,\"matched_rule_priority\":0,\"request_creation_time\":\"2019-03-11T08:01:02.497000000Z\","
          "\"actions_executed\":\"forward\",\"redirect_url\":null,\"error_reason\":null,\"target_port_list\":null,"
          "\"target_status_code_list\":null,\"classification\":null,\"classification_reason\":null,"
          "\"conn_trace_id\":null}",
          "ALB: an older layout that ends at error_reason");
    tt_is(&t, "h2 2024-07-15T23:33:19Z app/x/1 203.0.113.7:1 - x -1 -1 200 - 1 2 \"-\" \"-\" - - - \"-\"",
          "BADVALUE: field \"request_processing_time\": \"x\" is not a duration (duration:s)",
          "ALB: a processing time that is no number");
    tt_is(&t, "h2 2024-07-15T23:33:19Z app/x/1 203.0.113.7 - -1 -1 -1 200 - 1 2",
          "NOMATCH: does not match aws-alb from byte 44: \" - -1 -1 -1 200 - 1 2\"", "ALB: client without a port");
    tt_close(&t);

    tf_text_spec s = tt_spec(NULL, "aws-alb");
    s.append = " (?<x>\\S+)";
    tf_err err;
    tf_text_format *f = tf_text_format_new(&s, &err);
    ok(!f, "aws-alb does not take append");
    is_str(err.msg, "\"format.append\": the preset aws-alb has a fixed layout", "its message");
    tf_text_format_free(f);
}

#define CF_FIELDS                                                                                  \
    "#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status "   \
    "cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id "     \
    "x-host-header cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher "       \
    "x-edge-response-result-type cs-protocol-version fle-status fle-encrypted-fields c-port "      \
    "time-to-first-byte x-edge-detailed-result-type sc-content-type sc-content-len "               \
    "sc-range-start sc-range-end"
#define CF_LINE                                                                                    \
    "2024-07-15\t23:33:19\tFRA56-P1\t5120\t203.0.113.7\tGET\tdk4q7w2e9r1t3y.cloudfront.net\t"      \
    "/api/v1/orders\t200\t-\tMozilla/5.0%20(X11;%20Linux%20x86_64)\tpage=2\t-\tMiss\t"             \
    "kXhB2mJ1Zr9pQ0vTt7LsYw8cN3eF6gH4aD5bC1dE2fG3hI4jK5lM6n==\tshop.example.com\thttps\t412\t"      \
    "0.087\t-\tTLSv1.3\tTLS_AES_128_GCM_SHA256\tMiss\tHTTP/2.0\t-\t-\t52114\t0.085\tMiss\t"        \
    "application/json\t5120\t-\t-"
#define CF_JSON                                                                                    \
    "{\"date\":\"2024-07-15\",\"time\":\"23:33:19\",\"x-edge-location\":\"FRA56-P1\",\"sc-bytes\":5120," \
    "\"c-ip\":\"203.0.113.7\",\"cs-method\":\"GET\",\"cs(Host)\":\"dk4q7w2e9r1t3y.cloudfront.net\","  \
    "\"cs-uri-stem\":\"/api/v1/orders\",\"sc-status\":200,\"cs(Referer)\":null,"                    \
    "\"cs(User-Agent)\":\"Mozilla/5.0 (X11; Linux x86_64)\",\"cs-uri-query\":\"page=2\","            \
    "\"cs(Cookie)\":null,\"x-edge-result-type\":\"Miss\","                                           \
    "\"x-edge-request-id\":\"kXhB2mJ1Zr9pQ0vTt7LsYw8cN3eF6gH4aD5bC1dE2fG3hI4jK5lM6n==\","            \
    "\"x-host-header\":\"shop.example.com\",\"cs-protocol\":\"https\",\"cs-bytes\":412,"              \
    "\"time-taken\":0.087,\"x-forwarded-for\":null,\"ssl-protocol\":\"TLSv1.3\","                    \
    "\"ssl-cipher\":\"TLS_AES_128_GCM_SHA256\",\"x-edge-response-result-type\":\"Miss\","             \
    "\"cs-protocol-version\":\"HTTP/2.0\",\"fle-status\":null,\"fle-encrypted-fields\":null,"        \
    "\"c-port\":52114,\"time-to-first-byte\":0.085,\"x-edge-detailed-result-type\":\"Miss\","         \
    "\"sc-content-type\":\"application/json\",\"sc-content-len\":5120,\"sc-range-start\":null,"      \
    "\"sc-range-end\":null,\"timestamp\":\"2024-07-15T23:33:19.000000000Z\"}"

static void test_cloudfront(void)
{
    tt t;
    if (!open_preset(&t, "aws-cloudfront"))
        return;
    is_str(tt_line(&t, "#Version: 1.0"), "HEADER", "#Version:");
    is_str(tt_line(&t, CF_FIELDS), "HEADER", "#Fields:");
    tt_is(&t, CF_LINE, CF_JSON, "CloudFront: every field, the user agent decoded, the timestamp");
    tt_is(&t, "2024-07-15\t23:33:19\tFRA56-P1", "NOMATCH: 3 fields, but 33 columns",
          "a short line");
    /* An older log with fewer fields: its own #Fields: rules. */
    is_str(tt_line(&t, "#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status"),
           "HEADER", "a shorter #Fields:");
    tt_is(&t, "2016-02-29\t04:05:06\tLHR3\t1977\t192.0.2.77\tHEAD\tdk4q7w2e9r1t3y.cloudfront.net\t/static/app.css\t304",
          "{\"date\":\"2016-02-29\",\"time\":\"04:05:06\",\"x-edge-location\":\"LHR3\",\"sc-bytes\":1977,"
          "\"c-ip\":\"192.0.2.77\",\"cs-method\":\"HEAD\",\"cs(Host)\":\"dk4q7w2e9r1t3y.cloudfront.net\","
          "\"cs-uri-stem\":\"/static/app.css\",\"sc-status\":304,\"timestamp\":\"2016-02-29T04:05:06.000000000Z\"}",
          "CloudFront: the columns of the later #Fields:");
    /* A new stream without directives uses the documented 33 columns. */
    tf_text_stream_reset(t.st);
    tt_is(&t, CF_LINE, CF_JSON, "CloudFront without #Fields: (the default columns)");
    tt_is(&t, "2024-07-15\t23:33:19\tFRA56-P1\tlots\t203.0.113.7\tGET\tdk4q7w2e9r1t3y.cloudfront.net\t/\t200\t-\t-\t-\t-\t"
              "Hit\tx\tshop.example.com\thttps\t1\t0.001\t-\t-\t-\tHit\tHTTP/1.1\t-\t-\t1\t0.001\tHit\t-\t-\t-\t-",
          "BADVALUE: field \"sc-bytes\": \"lots\" is not an integer", "a bad number");
    tt_close(&t);
}

static void test_envoy(void)
{
    tt t;
    if (!open_preset(&t, "envoy"))
        return;
    tt_is(&t,
          "[2024-07-15T23:33:19.433Z] \"GET /api/v1/orders?page=2 HTTP/1.1\" 200 - 0 5120 87 85 \"203.0.113.7\" "
          "\"curl/8.5.0\" \"5f0c9a7e-3b2d-4e61-8a9f-c0d1e2f3a4b5\" \"shop.example.com\" \"10.0.3.21:8080\"",
          "{\"start_time\":\"2024-07-15T23:33:19.433000000Z\",\"method\":\"GET\",\"path\":\"/api/v1/orders?page=2\","
          "\"request_path\":\"/api/v1/orders\",\"request_query\":\"page=2\",\"protocol\":\"HTTP/1.1\","
          "\"response_code\":200,\"response_flags\":null,\"bytes_received\":0,\"bytes_sent\":5120,"
          "\"duration\":0.087,\"upstream_service_time\":0.085,\"x_forwarded_for\":\"203.0.113.7\","
          "\"user_agent\":\"curl/8.5.0\",\"request_id\":\"5f0c9a7e-3b2d-4e61-8a9f-c0d1e2f3a4b5\","
          "\"authority\":\"shop.example.com\",\"upstream_host\":\"10.0.3.21:8080\"}",
          "envoy: every field");
    tt_is(&t,
          "[2024-07-15T23:33:20.001Z] \"POST /api/v1/pay HTTP/2\" 503 UH 310 91 2 - \"-\" \"-\" "
          "\"8d3b0e52-7a4f-4f9e-9c1d-2b6f8a9e0c11\" \"shop.example.com\" \"-\"",
          "{\"start_time\":\"2024-07-15T23:33:20.001000000Z\",\"method\":\"POST\",\"path\":\"/api/v1/pay\","
          "\"request_path\":\"/api/v1/pay\",\"request_query\":null,\"protocol\":\"HTTP/2\",\"response_code\":503,"
          "\"response_flags\":\"UH\",\"bytes_received\":310,\"bytes_sent\":91,\"duration\":0.002,"
          "\"upstream_service_time\":null,\"x_forwarded_for\":null,\"user_agent\":null,"
          "\"request_id\":\"8d3b0e52-7a4f-4f9e-9c1d-2b6f8a9e0c11\",\"authority\":\"shop.example.com\","
          "\"upstream_host\":null}",
          "envoy: no healthy upstream");
    tt_is(&t, "[2024-07-15T23:33:20.001Z] \"POST /x HTTP/2\" 503 UH 310 91 2",
          "NOMATCH: does not match envoy: the line ends early (after byte 59)", "envoy: cut short");
    tt_close(&t);
}

/* Every field a preset's pattern or columns produce is in its table with a
 * type and a line of documentation (doc/mapping.md is checked against the
 * same table by tests/cli/docs.sh). */
static void test_tables(void)
{
    size_t n;
    const tf_text_preset *pr = tf_text_presets(&n);
    is_int(n, 6, "six presets");
    const char *names[] = { "nginx-combined", "apache-combined", "common", "aws-alb", "aws-cloudfront", "envoy" };
    for (size_t i = 0; i < n && i < TF_ARRAY_LEN(names); i++)
        is_str(pr[i].name, names[i], "preset %zu", i);
    for (size_t i = 0; i < n; i++) {
        tf_text_spec s = tt_spec(NULL, pr[i].name);
        tf_err err;
        tf_text_format *f = tf_text_format_new(&s, &err);
        const tf_text_columns *c = f ? tf_text_format_columns(f) : NULL;
        int missing = 0;
        for (size_t k = 0; k < tf_text_columns_count(c); k++) {
            const char *col = tf_text_columns_name(c, k);
            bool found = false;
            for (size_t j = 0; j < pr[i].n_fields && !found; j++)
                found = !strcmp(pr[i].fields[j].name, col) && pr[i].fields[j].doc && pr[i].fields[j].doc[0];
            if (!found && missing++ < 3)
                diag("%s: field %s is not documented", pr[i].name, col);
        }
        ok(c && tf_text_columns_count(c) > 0 && missing == 0, "%s: every field documented (%zu)", pr[i].name,
           tf_text_columns_count(c));
        ok(pr[i].doc && pr[i].doc[0], "%s: has a description", pr[i].name);
        tf_text_format_free(f);
    }
    ok(tf_text_preset_find("envoy") == &pr[5], "find by name");
    ok(tf_text_preset_find("nginx") == NULL, "unknown name");
    tf_text_spec s = tt_spec(NULL, "nginx");
    tf_err err;
    ok(!tf_text_format_new(&s, &err), "unknown preset rejected");
    is_str(err.msg, "\"format.preset\": unknown preset \"nginx\" (one of: nginx-combined, apache-combined, common, "
                    "aws-alb, aws-cloudfront, envoy)", "its message");
    s = tt_spec("csv", "nginx-combined");
    ok(!tf_text_format_new(&s, &err), "a preset of another format rejected");
    is_str(err.msg, "\"format\": the preset nginx-combined is a regex format, not csv", "its message");
}

/* doc/mapping.md documents every preset field with its type, in the
 * preset's own section: a row "| `name` | `type` |". */
static void test_doc(void)
{
    const char *top = getenv("top_srcdir");
    char path[4096];
    snprintf(path, sizeof path, "%s/doc/mapping.md", top ? top : ".");
    FILE *fp = fopen(path, "rb");
    if (!ok(fp != NULL, "doc/mapping.md opens (%s)", path))
        return;
    tf_buf doc = { 0 };
    char buf[65536];
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, fp)) > 0)
        tf_buf_append(&doc, buf, k);
    fclose(fp);
    const char *text = tf_buf_cstr(&doc);
    size_t n;
    const tf_text_preset *pr = tf_text_presets(&n);
    for (size_t i = 0; i < n; i++) {
        char head[64], row[256];
        snprintf(head, sizeof head, "\n#### %s\n", pr[i].name);
        const char *sec = strstr(text, head);
        if (!ok(sec != NULL, "doc has a section for %s", pr[i].name))
            continue;
        sec += strlen(head);
        const char *end = strstr(sec, "\n###");
        size_t len = end ? (size_t)(end - sec) : strlen(sec);
        int missing = 0;
        for (size_t j = 0; j < pr[i].n_fields; j++) {
            snprintf(row, sizeof row, "| `%s` | `%s` |", pr[i].fields[j].name, pr[i].fields[j].type);
            bool found = false;
            for (const char *q = sec; !found && (q = strstr(q, row)) && q < sec + len; q++)
                found = true;
            if (!found && missing++ < 3)
                diag("doc section %s lacks the row %s", pr[i].name, row);
        }
        ok(missing == 0, "doc lists every field of %s with its type (%zu)", pr[i].name, pr[i].n_fields);
    }
    tf_buf_free(&doc);
}

int main(void)
{
    test_nginx();
    test_apache();
    test_alb();
    test_cloudfront();
    test_envoy();
    test_tables();
    test_doc();
    return done_testing();
}
