/* response.h: decoding what an OTLP/HTTP backend answers, in protobuf or
 * JSON (the encoding of the request, or what the answer's Content-Type says):
 *   - on 2xx, ExportTraceServiceResponse.partial_success
 *     {rejected_spans = 1 (int64), error_message = 2 (string)};
 *   - on an error status, google.rpc.Status.message (field 2), falling back to
 *     the body itself when it is short plain text (proxies, gateways).
 * Pure functions on the bytes given; nothing is retained and any thread may
 * call them. Text is appended to the caller's tf_buf exactly as decoded
 * (callers make it one line before showing it); a count is reported as
 * decoded, even when negative or absurd: the caller decides what to believe.
 * Example error: "byte 0: partial_success has wire type 0, not 2 (length-delimited)". */
#ifndef TF_RESPONSE_H
#define TF_RESPONSE_H

#include "common/err.h"
#include "common/util.h"

#include <stdbool.h>

/* 1: a partial_success with rejected spans or a message is present (*rejected
 * and msg hold them); 0: there is none (an empty body, no partial_success, or
 * one with zero spans and no message); -1: the body does not decode (a field
 * with the wrong wire type counts as malformed), err says where; *rejected is
 * 0 and msg is left as it was whenever the result is not 1. JSON accepts the
 * lowerCamelCase and the original field names, a count as number or string. */
int tf_otlp_partial_success(bool json, const void *body, size_t n, int64_t *rejected, tf_buf *msg,
                            tf_err *err);

/* What a 2xx answer is. Only an empty body or an ExportTraceServiceResponse
 * in the encoding its Content-Type names (application/x-protobuf or
 * application/protobuf; application/json) is an OTLP answer: anything else
 * (an HTML page from a web UI, plain text from a proxy) means the request
 * never reached an OTLP receiver, whatever the status said. */
typedef enum {
    TF_ANSWER_OK = 0,    /* accepted whole */
    TF_ANSWER_PARTIAL,   /* partial_success: *rejected in 0..sent, and/or a message */
    TF_ANSWER_MALFORMED, /* claims to be OTLP but does not decode, or rejected_spans is
                            negative or more than the request held; err says which */
    TF_ANSWER_NOT_OTLP,  /* no OTLP answer at all; err says what it looked like:
                            "a web page", "text: \"OK\"", "an answer of another kind" */
} tf_answer_kind;

/* content_type may be NULL (none); sent: spans in the request. *rejected and
 * msg as for tf_otlp_partial_success (set only for TF_ANSWER_PARTIAL). */
tf_answer_kind tf_otlp_answer(const char *content_type, const void *body, size_t n, uint64_t sent,
                              int64_t *rejected, tf_buf *msg, tf_err *err);

/* google.rpc.Status.message from an error answer; false when there is none.
 * When the body holds no Status message but is short (<= 512 bytes) printable
 * UTF-8 without markup, that text is used instead, line breaks as spaces. */
bool tf_rpc_status_message(bool json, const void *body, size_t n, tf_buf *msg);

#endif
