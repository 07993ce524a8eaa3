/* presets.c: the built-in text formats: for each, the format it builds on,
 * its pattern (regex presets) or default columns (w3c), its fields with
 * their types and a line of documentation each, and its null token. A
 * mapping names a preset and may adjust it: "append" more groups to an
 * extensible pattern, retype fields. doc/mapping.md lists the same tables
 * (tests/cli/docs.sh checks that every field named here is documented). */
#include "config.h"
#include "map/text/text_int.h"

#include <string.h>

/* A quoted string with backslash escapes (nginx writes \x22, Apache \"),
 * as an unrolled loop (no alternation per character). */
#define QSTR "[^\"\\\\]*(?:\\\\.[^\"\\\\]*)*"
/* The request line, split when it has the usual three parts; a request
 * that does not (garbage, HTTP/0.9) is kept whole in "request" alone. */
#define REQUEST(proto)                                                                             \
    "(?<request>(?<request_method>[^\\s\"]+) (?<request_uri>(?<request_path>[^\\s\"?]*)"           \
    "(?:\\?(?<request_query>[^\\s\"]*))?) (?<" proto ">[^\\s\"]+)|" QSTR ")"

static const char *const dash[] = { "-" };

/* ---- nginx ------------------------------------------------------------------ */

#define REQUEST_FIELDS(proto, proto_doc)                                                           \
    { "request", "escaped", "the request line, as received (\"GET /a?b=1 HTTP/1.1\")" },          \
        { "request_method", "escaped", "its method" },                                             \
        { "request_uri", "escaped", "its target: the path and query as sent" },                    \
        { "request_path", "escaped", "the target up to '?'" },                                     \
        { "request_query", "escaped", "the target after '?' (absent without one)" },               \
        { proto, "escaped", proto_doc }

static const tf_text_field nginx_fields[] = {
    { "remote_addr", "string", "$remote_addr: the client address" },
    { "remote_user", "escaped", "$remote_user: the user from basic authentication" },
    { "time_local", "time:clf", "$time_local: when the log line was written (the end)" },
    REQUEST_FIELDS("server_protocol", "$server_protocol (\"HTTP/1.1\")"),
    { "status", "int", "$status: the response status" },
    { "body_bytes_sent", "int", "$body_bytes_sent: response body bytes" },
    { "http_referer", "escaped", "$http_referer" },
    { "http_user_agent", "escaped", "$http_user_agent" },
    /* Types for variables often appended to combined (format.append). */
    { "request_time", "duration:s", "$request_time: seconds from the first byte read" },
    { "msec", "time:epoch:s", "$msec: the time in seconds, with milliseconds" },
    { "time_iso8601", "time:iso8601", "$time_iso8601" },
    { "request_length", "int", "$request_length: request bytes" },
    { "bytes_sent", "int", "$bytes_sent: response bytes" },
    { "connection", "int", "$connection: the connection serial number" },
    { "connection_requests", "int", "$connection_requests" },
    { "http_traceparent", "traceparent", "$http_traceparent: the W3C trace context" },
    { "http_b3", "b3", "$http_b3: a B3 single header" },
    { "http_x_amzn_trace_id", "xray", "$http_x_amzn_trace_id: an AWS X-Ray header" },
};

/* ---- Apache ------------------------------------------------------------------ */

#define APACHE_COMMON                                                                              \
    "^(?<remote_host>\\S+) (?<remote_logname>\\S+) (?<remote_user>\\S+) \\[(?<time>[^\\]]*)\\] "  \
    "\"" REQUEST("request_protocol") "\" (?<status>\\d+) (?<bytes>\\d+|-)"

#define APACHE_COMMON_FIELDS                                                                       \
    { "remote_host", "string", "%h: the client host" },                                            \
        { "remote_logname", "escaped", "%l: identd's name (almost always absent)" },               \
        { "remote_user", "escaped", "%u: the user from authentication" },                          \
        { "time", "time:clf", "%t: when the request was received (the start)" },                   \
        REQUEST_FIELDS("request_protocol", "%H (\"HTTP/1.1\")"),                                   \
        { "status", "int", "%>s: the final status" },                                              \
        { "bytes", "size", "%b: response bytes without headers ('-' is 0)" }

static const tf_text_field common_fields[] = { APACHE_COMMON_FIELDS };
static const tf_text_field apache_fields[] = {
    APACHE_COMMON_FIELDS,
    { "referer", "escaped", "%{Referer}i" },
    { "user_agent", "escaped", "%{User-agent}i" },
};

/* ---- Envoy ---------------------------------------------------------------------- */

static const tf_text_field envoy_fields[] = {
    { "start_time", "time:iso8601", "%START_TIME%: when the request started" },
    { "method", "string", "%REQ(:METHOD)%" },
    { "path", "string", "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%: path and query" },
    { "request_path", "string", "the path up to '?'" },
    { "request_query", "string", "the path after '?' (absent without one)" },
    { "protocol", "string", "%PROTOCOL% (\"HTTP/1.1\", \"HTTP/2\")" },
    { "response_code", "int", "%RESPONSE_CODE% (0: no response was sent)" },
    { "response_flags", "string", "%RESPONSE_FLAGS% (\"UH\", \"UF\", ...)" },
    { "bytes_received", "int", "%BYTES_RECEIVED%: request body bytes" },
    { "bytes_sent", "int", "%BYTES_SENT%: response body bytes" },
    { "duration", "duration:ms", "%DURATION%: milliseconds from start to last byte out" },
    { "upstream_service_time", "duration:ms", "%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%: milliseconds" },
    { "x_forwarded_for", "string", "%REQ(X-FORWARDED-FOR)%" },
    { "user_agent", "string", "%REQ(USER-AGENT)%" },
    { "request_id", "string", "%REQ(X-REQUEST-ID)%" },
    { "authority", "string", "%REQ(:AUTHORITY)%: the host" },
    { "upstream_host", "string", "%UPSTREAM_HOST%: the upstream address" },
    /* Types for headers often appended. */
    { "traceparent", "traceparent", "%REQ(TRACEPARENT)%" },
    { "b3", "b3", "%REQ(B3)%" },
    { "x_amzn_trace_id", "xray", "%REQ(X-AMZN-TRACE-ID)%" },
};

#define ENVOY                                                                                      \
    "^\\[(?<start_time>[^\\]]*)\\] \"(?<method>[^\\s\"]+) (?<path>(?<request_path>[^\\s\"?]*)"    \
    "(?:\\?(?<request_query>[^\\s\"]*))?) (?<protocol>[^\\s\"]+)\" (?<response_code>\\d+) "       \
    "(?<response_flags>\\S+) (?<bytes_received>\\d+) (?<bytes_sent>\\d+) (?<duration>\\d+|-) "    \
    "(?<upstream_service_time>\\S+) \"(?<x_forwarded_for>[^\"]*)\" \"(?<user_agent>[^\"]*)\" "    \
    "\"(?<request_id>[^\"]*)\" \"(?<authority>[^\"]*)\" \"(?<upstream_host>[^\"]*)\"$"

/* ---- AWS Application Load Balancer ---------------------------------------------- */

static const tf_text_field alb_fields[] = {
    { "type", "string", "http, https, h2, grpcs, ws or wss" },
    { "time", "time:iso8601", "when the response was sent (the end)" },
    { "elb", "string", "the load balancer's resource id" },
    { "client_ip", "string", "client:port, the address" },
    { "client_port", "int", "client:port, the port" },
    { "target_ip", "string", "target:port, the address (absent when not forwarded)" },
    { "target_port", "int", "target:port, the port" },
    { "request_processing_time", "duration:s", "seconds until sent to the target (-1: none)" },
    { "target_processing_time", "duration:s", "seconds the target took (-1: none)" },
    { "response_processing_time", "duration:s", "seconds to send the response (-1: none)" },
    { "elb_status_code", "int", "the status the load balancer sent" },
    { "target_status_code", "int", "the status the target sent" },
    { "received_bytes", "int", "request bytes, headers included" },
    { "sent_bytes", "int", "response bytes, headers included" },
    { "request", "string", "the request line (\"GET https://host:443/p?q HTTP/1.1\")" },
    { "request_method", "string", "its method" },
    { "request_url", "string", "its absolute URL" },
    { "url_scheme", "string", "the URL's scheme" },
    { "url_host", "string", "the URL's host" },
    { "url_port", "int", "the URL's port" },
    { "request_path", "string", "the URL's path" },
    { "request_query", "string", "the URL's query (absent without one)" },
    { "request_protocol", "string", "its protocol (\"HTTP/1.1\")" },
    { "user_agent", "string", "the User-Agent header" },
    { "ssl_cipher", "string", "the TLS cipher" },
    { "ssl_protocol", "string", "the TLS protocol" },
    { "target_group_arn", "string", "the target group" },
    { "trace_id", "xray", "the X-Amzn-Trace-Id header (Root=1-...)" },
    { "domain_name", "string", "the TLS SNI domain" },
    { "chosen_cert_arn", "string", "the certificate presented" },
    { "matched_rule_priority", "int", "the priority of the rule that matched" },
    { "request_creation_time", "time:iso8601", "when the request was received (the start)" },
    { "actions_executed", "string", "the actions taken (\"forward\", \"waf,forward\")" },
    { "redirect_url", "string", "a redirect's target" },
    { "error_reason", "string", "the error reason code" },
    { "target_port_list", "string", "target:port list" },
    { "target_status_code_list", "string", "the targets' status codes" },
    { "classification", "string", "desync mitigation classification" },
    { "classification_reason", "string", "its reason code" },
    { "conn_trace_id", "string", "the connection's traceability id" },
};

#define ALB_REQUEST                                                                                \
    "\"(?<request>(?<request_method>\\S+) (?<request_url>(?:(?<url_scheme>[A-Za-z][A-Za-z0-9+.-]*)" \
    "://(?<url_host>\\[[^\\]\\s\"]*\\]|[^/:\\s\"?]*)(?::(?<url_port>\\d+))?)?"                    \
    "(?<request_path>[^\\s\"?]*)(?:\\?(?<request_query>[^\\s\"]*))?) "                            \
    "(?<request_protocol>[^\\s\"]+)|[^\"]*)\""

/* Fields AWS added over the years are optional at the end, and so is
 * anything after them ("ignore any fields at the end that you were not
 * expecting"). */
#define ALB                                                                                        \
    "^(?<type>\\S+) (?<time>\\S+) (?<elb>\\S+) (?<client_ip>\\S+?):(?<client_port>\\d+) "          \
    "(?:(?<target_ip>\\S+?):(?<target_port>\\d+)|-) (?<request_processing_time>\\S+) "             \
    "(?<target_processing_time>\\S+) (?<response_processing_time>\\S+) (?<elb_status_code>\\S+) "  \
    "(?<target_status_code>\\S+) (?<received_bytes>\\S+) (?<sent_bytes>\\S+) " ALB_REQUEST " "     \
    "\"(?<user_agent>[^\"]*)\" (?<ssl_cipher>\\S+) (?<ssl_protocol>\\S+) (?<target_group_arn>\\S+) " \
    "\"(?<trace_id>[^\"]*)\"(?: \"(?<domain_name>[^\"]*)\" \"(?<chosen_cert_arn>[^\"]*)\")?"       \
    "(?: (?<matched_rule_priority>\\S+) (?<request_creation_time>\\S+) "                           \
    "\"(?<actions_executed>[^\"]*)\" \"(?<redirect_url>[^\"]*)\"(?: \"(?<error_reason>[^\"]*)\")?)?" \
    "(?: \"(?<target_port_list>[^\"]*)\" \"(?<target_status_code_list>[^\"]*)\")?"                 \
    "(?: \"(?<classification>[^\"]*)\" \"(?<classification_reason>[^\"]*)\")?"                    \
    "(?: (?<conn_trace_id>[^\\s\"]+))?(?: .*)?$"

/* ---- AWS CloudFront (standard logs, W3C) ------------------------------------------ */

static const char *const cloudfront_columns[] = {
    "date", "time", "x-edge-location", "sc-bytes", "c-ip", "cs-method", "cs(Host)", "cs-uri-stem",
    "sc-status", "cs(Referer)", "cs(User-Agent)", "cs-uri-query", "cs(Cookie)", "x-edge-result-type",
    "x-edge-request-id", "x-host-header", "cs-protocol", "cs-bytes", "time-taken", "x-forwarded-for",
    "ssl-protocol", "ssl-cipher", "x-edge-response-result-type", "cs-protocol-version", "fle-status",
    "fle-encrypted-fields", "c-port", "time-to-first-byte", "x-edge-detailed-result-type",
    "sc-content-type", "sc-content-len", "sc-range-start", "sc-range-end",
};

static const tf_text_field cloudfront_fields[] = {
    { "date", "string", "the date (UTC) the response was finished" },
    { "time", "string", "the time (UTC) the response was finished" },
    { "timestamp", "time", "date and time together (added by the w3c format)" },
    { "x-edge-location", "string", "the edge location (\"IAD89-C1\")" },
    { "sc-bytes", "int", "response bytes, headers included" },
    { "c-ip", "string", "the client address" },
    { "cs-method", "string", "the method" },
    { "cs(Host)", "string", "the distribution's domain" },
    { "cs-uri-stem", "string", "the path" },
    { "sc-status", "int", "the status (000: the client went away)" },
    { "cs(Referer)", "string", "the Referer header" },
    { "cs(User-Agent)", "urlencoded", "the User-Agent header (decoded)" },
    { "cs-uri-query", "string", "the query" },
    { "cs(Cookie)", "string", "the Cookie header" },
    { "x-edge-result-type", "string", "Hit, Miss, Error, ..." },
    { "x-edge-request-id", "string", "the request's id" },
    { "x-host-header", "string", "the Host header" },
    { "cs-protocol", "string", "http, https, ws or wss" },
    { "cs-bytes", "int", "request bytes, headers included" },
    { "time-taken", "duration:s", "seconds from request received to last byte out" },
    { "x-forwarded-for", "string", "the X-Forwarded-For header" },
    { "ssl-protocol", "string", "the TLS protocol" },
    { "ssl-cipher", "string", "the TLS cipher" },
    { "x-edge-response-result-type", "string", "the result type of the response" },
    { "cs-protocol-version", "string", "HTTP/1.1, HTTP/2.0, ..." },
    { "fle-status", "string", "field-level encryption status" },
    { "fle-encrypted-fields", "int", "fields encrypted" },
    { "c-port", "int", "the client port" },
    { "time-to-first-byte", "duration:s", "seconds to the first response byte" },
    { "x-edge-detailed-result-type", "string", "the detailed result type" },
    { "sc-content-type", "string", "the response Content-Type" },
    { "sc-content-len", "int", "the response Content-Length" },
    { "sc-range-start", "int", "a range response's first byte" },
    { "sc-range-end", "int", "a range response's last byte" },
};

/* ---- the table ------------------------------------------------------------------------ */

#define FIELDS(a) a, TF_ARRAY_LEN(a)

static const tf_text_preset presets[] = {
    { "nginx-combined", "regex",
      "^(?<remote_addr>\\S+) - (?<remote_user>\\S+) \\[(?<time_local>[^\\]]*)\\] \"" REQUEST(
          "server_protocol") "\" (?<status>\\d+) (?<body_bytes_sent>\\d+) \"(?<http_referer>" QSTR
                             ")\" \"(?<http_user_agent>" QSTR ")\"$",
      true, 0, NULL, 0, FIELDS(nginx_fields), FIELDS(dash),
      "nginx's stock combined log_format" },
    { "apache-combined", "regex",
      APACHE_COMMON " \"(?<referer>" QSTR ")\" \"(?<user_agent>" QSTR ")\"$", true, 0, NULL, 0,
      FIELDS(apache_fields), FIELDS(dash), "Apache's combined LogFormat" },
    { "common", "regex", APACHE_COMMON "$", true, 0, NULL, 0, FIELDS(common_fields), FIELDS(dash),
      "the Common Log Format (CLF) of Apache, nginx and others" },
    { "aws-alb", "regex", ALB, false, 0, NULL, 0, FIELDS(alb_fields), FIELDS(dash),
      "AWS Application Load Balancer access logs" },
    { "aws-cloudfront", "w3c", NULL, false, '\t', FIELDS(cloudfront_columns), FIELDS(cloudfront_fields),
      FIELDS(dash), "AWS CloudFront standard logs (W3C extended; #Fields: is honoured)" },
    { "envoy", "regex", ENVOY, true, 0, NULL, 0, FIELDS(envoy_fields), FIELDS(dash),
      "Envoy's default access log format" },
};

const tf_text_preset *tf_text_presets(size_t *n)
{
    *n = TF_ARRAY_LEN(presets);
    return presets;
}

const tf_text_preset *tf_text_preset_find(const char *name)
{
    for (size_t i = 0; i < TF_ARRAY_LEN(presets); i++)
        if (!strcmp(presets[i].name, name))
            return &presets[i];
    return NULL;
}
