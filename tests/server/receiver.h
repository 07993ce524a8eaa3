/* receiver.h: the test OTLP/HTTP trace receiver for tracefill's tests
 * (tests/server/otlp-receiver): internal declarations shared by its files.
 *
 * An independent implementation (it includes nothing from src/) so that it
 * checks tracefill's encoders instead of sharing their bugs: its own HTTP/1.1
 * server (one thread, poll; keep-alive, pipelining, chunked bodies, Expect:
 * 100-continue), its own protobuf walker and an OTLP/JSON reader on yajl's
 * callback parser. It binds port 0 on loopback, writes the pid file and then
 * the port file (each through temp + rename, in the manner of curl's
 * tests/server/sws.c), and serves until SIGTERM/SIGINT/SIGHUP or until no
 * connection activity for --idle-exit seconds (default 60; 0 = never).
 *
 * POST /v1/traces: Content-Type application/x-protobuf or application/json
 * (else 415), Content-Encoding gzip, zstd or identity (else 415). The body is
 * checked strictly: wire types, lengths, UTF-8 of string fields, trace_id 16
 * bytes and span_id 8 bytes (not all zero), parent_span_id empty or 8 bytes,
 * links likewise; in JSON lowerCamelCase keys, hex ids, enums as integers,
 * 64-bit integers as strings or numbers; unknown fields and keys are skipped.
 * A body that does not decode gets 400 with the reason in a google.rpc.Status.
 * With --discard the protobuf walk stops at the Span fields (attribute
 * contents are not checked) and gzip's CRC-32 is not verified.
 *
 * The answer is chosen in this order: the script rules `drop`, `reset`,
 * `hang` (no answer); 401 for --require-basic/--require-bearer ("missing credentials" /
 * "bad credentials"); 401 "no org id" for --require-tenant; 413 over
 * --max-body (default 512 MiB; with Expect: 100-continue before the body is
 * sent, then the connection closes); 415; 400; the script rule's `status`
 * or `reply`; `partial`; 200. The rule's delay and trickle/truncate/reset-after
 * shape whichever answer is sent. Error bodies are google.rpc.Status in the request's
 * encoding (text/plain for other content types) with code = the gRPC code an
 * OTLP server maps the HTTP status to (400/415->3, 401->16, 403->7, 404->5,
 * 408/504->4, 409->10, 413/429->8, 500->13, 501->12, 502/503->14, other->2;
 * a script rule may set code=G). Other paths answer 404 with an HTML page,
 * GET /v1/traces 405.
 *
 * Files in --out DIR (logs are appended; each line is one write):
 *   spans.log     per span of every 2xx-answered request (partial included):
 *                 <trace_id hex32> <span_id hex16> <parent hex16|-> <start_ns> <end_ns> <name>
 *                 (name last; backslash, newline, CR, tab as \\ \n \r \t, other control bytes as \xHH)
 *   requests.log  per request, any path and outcome, written before the answer:
 *                 seq=N status=S ctype=json|protobuf|other cenc=gzip|zstd|identity|other
 *                 raw=B decoded=B spans=N tenant=ORG|- auth=ok|missing|bad|- ms=UNIX_MS
 *                 (status=0: no answer (drop, reset, hang); seq counts every request)
 *   answers.log   per answer, when it has ended (sent, cut, reset, or the client
 *                 gave up; on exit the ones still going):
 *                 seq=N status=S line=L begin_ms=UNIX_MS end_ms=UNIX_MS head=B
 *                 body=B sent=B end=sent|truncated|closed|reset|dropped|peer-closed|stopped
 *                 (line: the script rule's line, 0 = none; begin_ms: the first
 *                 byte sent, or when a drop/reset/hang took effect; body: the
 *                 Content-Length; sent: body bytes sent)
 *   req-<seq>.pb|.json  every body that decompressed, whatever the answer
 *                 (not with --discard)
 *   summary       "requests=N spans=N bytes=N" on every exit: POSTs to
 *                 /v1/traces, spans accepted (2xx), raw body bytes received
 * Script rules (--script FILE, one per POST /v1/traces, then `ok`): see script.c.
 * Header values never reach a file; echo= copies one into that answer only.
 * Ownership: connections own their buffers (the answer in flight's body
 * included) until conn_close; the script's rules own their texts and bodies
 * until script_free at exit; the decode buffers and the log fds belong to the
 * one global receiver state.
 * Messages go to stderr, one line each, e.g. "otlp-receiver: stopping on
 * signal 15" or, for a bad script (exit status 2),
 * "otlp-receiver: hostile.script:3: trickle needs BYTES/MS (1..2^30 bytes every 1..3600000 ms), e.g. 10/100".
 *
 * Files: util.c (buffers, helpers, fatal errors), script.c (the --script
 * rules), decode.c (span checks and spans.log lines; gzip and zstd), pb.c
 * (protobuf walker), json.c (OTLP/JSON reader), http.c (connections, HTTP/1.1
 * parsing, sending), send.c (the answer in flight: streamed and shaped bodies,
 * answers.log), answer.c (choosing and writing the answer to a request),
 * main.c (options, port/pid and output files, summary, the poll loop).
 * One thread: nothing here is thread-safe. */
#ifndef TF_TESTS_SERVER_RECEIVER_H
#define TF_TESTS_SERVER_RECEIVER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <zlib.h>
#include <zstd.h>

#if defined(__GNUC__)
#define RX_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define RX_NORETURN __attribute__((noreturn))
#else
#define RX_PRINTF(f, a)
#define RX_NORETURN
#endif

#define RX_HEADER_MAX (64 * 1024)          /* request line + headers */
#define RX_DEFAULT_MAX_BODY (512u << 20)   /* raw body, without --max-body */
#define RX_DECODED_MAX ((size_t)1 << 30)   /* after decompression */
#define RX_MAX_DEPTH 64                    /* protobuf / JSON nesting */
#define RX_LINGER_MS 2000                  /* drain time after a closing answer */
#define RX_READ_CHUNK (256 * 1024)

typedef struct {
    uint8_t *p;
    size_t len, cap;
} rx_buf;

/* ------------------------------------------------------------------------ */
/* Global state                                                              */

enum rule_kind {
    RULE_OK, RULE_STATUS, RULE_DROP, RULE_PARTIAL,
    RULE_REPLY,  /* status with a verbatim body */
    RULE_RESET,  /* RST without an answer */
    RULE_HANG    /* never answer */
};

#define RX_NO_LIMIT UINT64_MAX   /* rx_rule.truncate / reset_after unset */
#define RX_ECHO_MAX 4            /* distinct echo= headers in one script */
#define RX_ECHO_LEN 1024         /* bytes of an echoed header value kept */

typedef struct {
    enum rule_kind kind;
    int status;             /* RULE_STATUS, RULE_REPLY */
    int grpc_code;          /* RULE_STATUS: -1 = derived from status */
    long delay_ms;
    long retry_after;       /* -1 = none */
    long retry_after_date;  /* -1 = none; seconds from now */
    char *message;          /* NULL = default */
    uint64_t rejected;      /* RULE_PARTIAL */
    unsigned long repeat;   /* how many requests the rule applies to */
    int line;
    /* hostile answers (see script.c) */
    bool retry_after_past;  /* retry_after_date counts back from now */
    char *retry_after_raw;  /* NULL = none; sent verbatim */
    char *headers;          /* extra "Name: value\r\n" lines; NULL = none */
    int echo;               /* index into rx.echo_names; -1 = none */
    char *ctype;            /* RULE_REPLY: Content-Type; NULL = the default */
    rx_buf body;            /* RULE_REPLY: text, file, page or gzip bomb */
    bool gzip;              /* RULE_REPLY: Content-Encoding: gzip (gzip-bomb) */
    uint64_t huge;          /* RULE_REPLY: generated body of this length; 0 = none */
    uint64_t truncate;      /* body bytes sent before a FIN; RX_NO_LIMIT = all */
    uint64_t reset_after;   /* body bytes sent before a RST; RX_NO_LIMIT = none */
    size_t trickle_bytes;   /* 0 = no trickle */
    long trickle_ms;
} rx_rule;

struct rx_state {
    /* options */
    const char *port_file, *pid_file, *out_dir, *bind_addr, *script_file;
    uint64_t max_body;
    char *basic_expect;  /* "Basic <base64>" token part */
    char *bearer_expect;
    bool require_tenant, discard;
    long delay_ms;
    long idle_exit_s;
    /* script */
    rx_rule *rules;
    size_t nrules, rule_at;
    unsigned long rule_used;
    rx_rule default_rule;
    char *echo_names[RX_ECHO_MAX]; /* request headers some rule echoes */
    size_t necho;
    /* runtime */
    int listen_fd;
    int sig_pipe[2];
    volatile sig_atomic_t stop_signal;
    int spans_fd, requests_fd, answers_fd;
    bool stopping;  /* closing every connection on the way out */
    uint64_t seq;
    uint64_t total_requests, total_spans, total_bytes;
    int64_t last_activity;
    rx_buf dec;     /* decompressed body */
    rx_buf lines;   /* spans.log lines of the current request */
    z_stream zs;
    bool zs_ready;
    ZSTD_DCtx *zd;
    bool summary_written;
};

extern struct rx_state rx;

/* ------------------------------------------------------------------------ */
/* Decoding                                                                  */

/* One decoded span, as both readers hand it over. */
typedef struct {
    const uint8_t *trace_id, *span_id, *parent;
    size_t trace_len, span_len, parent_len;
    uint64_t start, end;
    const uint8_t *name;
    size_t name_len;
} rx_span;

typedef struct {
    rx_buf *lines;      /* spans.log lines; NULL when not recording */
    uint64_t nspans;
    const uint8_t *base; /* protobuf: start of the body, for offsets */
    bool shallow;        /* protobuf: check down to Span fields only (--discard) */
    char err[256];
} rx_decode;

enum pb_msg {
    M_REQUEST, M_RSPANS, M_RESOURCE, M_SSPANS, M_SCOPE, M_SPAN, M_EVENT, M_LINK,
    M_STATUS, M_KV, M_ANY, M_ARRAY, M_KVLIST, M_COUNT
};

enum cenc { CE_IDENTITY, CE_GZIP, CE_ZSTD, CE_OTHER };
enum ctype { CT_OTHER, CT_PROTOBUF, CT_JSON };

/* ------------------------------------------------------------------------ */
/* Connections                                                               */

enum stage { ST_HEAD, ST_BODY_LEN, ST_CHUNK_SIZE, ST_CHUNK_DATA, ST_CHUNK_CRLF, ST_TRAILER, ST_DONE };
enum auth { AUTH_NA, AUTH_OK, AUTH_MISSING, AUTH_BAD };

typedef struct {
    char method[16];
    char path[1024];
    int minor;
    bool keep_alive, chunked, has_clen, expect_continue, too_large, bad_te;
    uint64_t clen, raw, chunk_left;
    enum ctype ctype;
    enum cenc cenc;
    enum auth auth;
    char tenant[128];
    char echo[RX_ECHO_MAX][RX_ECHO_LEN]; /* values of rx.echo_names (not NUL-terminated) */
    size_t echo_len[RX_ECHO_MAX];
} rx_req;

/* The answer a connection is sending; answers.log gets a line when it ends. */
enum ans_stop { AS_DONE, AS_CLOSE, AS_RESET };

typedef struct {
    bool active;
    bool queued;            /* the head (and maybe the body) is in the output */
    bool streaming;         /* the body goes out piece by piece after the head */
    uint64_t seq;
    int status;             /* 0: no answer */
    const rx_rule *rule;    /* NULL: not a POST /v1/traces */
    int64_t begin_ms;       /* wall clock of the first byte sent (or of drop/hang) */
    uint64_t head_len, body_len, body_queued;
    /* streaming */
    rx_buf own;             /* the body bytes; unused for a generated body */
    bool generated;
    uint64_t stop_at;       /* body bytes to send */
    enum ans_stop at_stop;
    int64_t next_at;        /* trickle: when the next piece may go (monotonic) */
    int64_t reset_wait_until;
} rx_answer;

typedef struct {
    int fd;
    rx_buf in;
    size_t in_off;
    rx_buf out;
    size_t out_off;
    rx_buf body;
    enum stage stage;
    rx_req r;
    int64_t hold_until;   /* 0: not holding the answer */
    bool drop_on_release; /* close without answering when the hold ends */
    bool reset_on_release; /* ... with a RST */
    bool hanging;         /* never answer; discard input until the peer closes */
    rx_answer ans;
    bool close_after;     /* Connection: close after the answer */
    bool peer_eof;
    bool lingering;
    int64_t linger_until;
    bool closed;
} rx_conn;

extern rx_conn **conns;
extern size_t nconns, conns_cap;

/* ------------------------------------------------------------------------ */
/* Functions, by file                                                        */

/* util.c */
void rx_fatal(const char *fmt, ...) RX_PRINTF(1, 2) RX_NORETURN;
void rx_warn(const char *fmt, ...) RX_PRINTF(1, 2);
void buf_reserve(rx_buf *b, size_t extra);
void buf_add(rx_buf *b, const void *d, size_t n);
void buf_adds(rx_buf *b, const char *s);
void buf_addc(rx_buf *b, uint8_t c);
void buf_addf(rx_buf *b, const char *fmt, ...) RX_PRINTF(2, 3);
void buf_free(rx_buf *b);
char *xstrndup(const char *s, size_t n);
int64_t clock_ms(clockid_t id);
int64_t mono_ms(void);
bool parse_u64(const char *s, size_t n, uint64_t *out);
bool parse_ulong_arg(const char *s, unsigned long long max, unsigned long long *out);
int hexval(int c);
bool ascii_ieq(const char *a, size_t alen, const char *b);
bool utf8_ok(const uint8_t *s, size_t n);

/* main.c */
void write_summary(void);
void write_all_fd(int fd, const void *data, size_t n);
void out_path(char *dst, size_t cap, const char *name);

/* script.c */
void rule_init(rx_rule *r, int line);
void script_load(const char *path);
const rx_rule *script_next(void);
void script_free(void);

/* decode.c */
bool derr(rx_decode *d, const char *fmt, ...) RX_PRINTF(2, 3);
bool check_id(rx_decode *d, const char *what, uint64_t span_no, const char *field,
              const uint8_t *id, size_t len, size_t want, bool optional);
bool span_done(rx_decode *d, const rx_span *s);
bool gunzip_body(const uint8_t *in, size_t n, rx_buf *out, char *err, size_t errlen);
bool unzstd_body(const uint8_t *in, size_t n, rx_buf *out, char *err, size_t errlen);

/* pb.c */
void pb_init(void);
bool pb_walk(rx_decode *d, enum pb_msg id, const uint8_t *p, const uint8_t *end, int depth);

/* json.c */
void json_init(void);
bool json_walk(rx_decode *d, const uint8_t *body, size_t n);

/* http.c */
void conn_close(rx_conn *c);
const char *reason(int status);
void touch(void);
bool out_pending(const rx_conn *c);
void conn_service(rx_conn *c);
void conn_read(rx_conn *c);
void accept_all(void);

/* send.c */
void respond(rx_conn *c, int status, const char *ctype, const void *body, size_t blen,
             const char *extra);
void respond_stream(rx_conn *c, int status, const char *ctype, const uint8_t *body, uint64_t blen,
                    const char *extra);
void ans_begin(rx_conn *c, uint64_t seq, const rx_rule *rule);
void ans_end(rx_conn *c, const char *how);
int ans_refill(rx_conn *c);
void conn_reset(rx_conn *c);
extern const char rx_huge_line[];

/* answer.c */
void respond_status(rx_conn *c, int status, enum ctype ct, int code, const char *msg,
                    const char *extra);
void log_request(int status, const rx_req *r, uint64_t decoded, uint64_t spans);
void handle_request(rx_conn *c);

#endif
