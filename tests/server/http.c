/* http.c: connections: HTTP/1.1 parsing (keep-alive, pipelining, chunked
 * bodies, Expect: 100-continue), sending answers, lingering close. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "receiver.h"

/* ------------------------------------------------------------------------ */
/* Connections                                                               */

rx_conn **conns;
size_t nconns, conns_cap;

void conn_close(rx_conn *c)
{
    if (c->closed)
        return;
    ans_end(c, rx.stopping ? "stopped" : "peer-closed");
    close(c->fd);
    c->closed = true;
    buf_free(&c->in);
    buf_free(&c->out);
    buf_free(&c->body);
}

static void req_reset(rx_conn *c)
{
    memset(&c->r, 0, sizeof c->r);
    c->stage = ST_HEAD;
    c->body.len = 0;
    if (c->body.cap > (8u << 20))
        buf_free(&c->body);
}

const char *reason(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return status < 300 ? "OK" : status < 500 ? "Client Error" : "Server Error";
    }
}

/* --- request parsing ----------------------------------------------------- */

/* Returns the next line in [p, end) without its CR LF; NULL if incomplete. */
static const char *next_line(const char *p, const char *end, size_t *len, const char **next)
{
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    if (!nl)
        return NULL;
    size_t n = (size_t)(nl - p);
    if (n && p[n - 1] == '\r')
        n--;
    *len = n;
    *next = nl + 1;
    return p;
}

static void check_auth(rx_req *r, const char *v, size_t n)
{
    size_t sp = 0;
    while (sp < n && v[sp] != ' ')
        sp++;
    const char *tok = v + sp;
    size_t tn = n - sp;
    while (tn && *tok == ' ') {
        tok++;
        tn--;
    }
    bool ok = false;
    if (rx.basic_expect && ascii_ieq(v, sp, "Basic") && tn == strlen(rx.basic_expect) &&
        memcmp(tok, rx.basic_expect, tn) == 0)
        ok = true;
    if (rx.bearer_expect && ascii_ieq(v, sp, "Bearer") && tn == strlen(rx.bearer_expect) &&
        memcmp(tok, rx.bearer_expect, tn) == 0)
        ok = true;
    r->auth = ok ? AUTH_OK : AUTH_BAD;
}

static bool has_token(const char *v, size_t n, const char *tok)
{
    size_t tl = strlen(tok);
    size_t i = 0;
    while (i < n) {
        while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
            i++;
        size_t s = i;
        while (i < n && v[i] != ',' && v[i] != ';')
            i++;
        size_t e = i;
        while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
            e--;
        if (e - s == tl && strncasecmp(v + s, tok, tl) == 0)
            return true;
        while (i < n && v[i] != ',')
            i++;
    }
    return false;
}

/* Keeps the value of a header some script rule echoes (echo=). */
static void capture_echo(rx_req *r, const char *name, size_t nl, const char *v, size_t vn)
{
    for (size_t e = 0; e < rx.necho; e++)
        if (ascii_ieq(name, nl, rx.echo_names[e])) {
            size_t k = vn < RX_ECHO_LEN ? vn : RX_ECHO_LEN;
            memcpy(r->echo[e], v, k);
            r->echo_len[e] = k;
        }
}

/* Finds the whole head in the input: *headp = its first line, *endp = just
 * past its empty line. Skips empty lines before it (RFC 9112 2.2).
 * 1: found, 0: need more, -1: too long. */
static int find_head(rx_conn *c, const char **headp, const char **endp)
{
    const char *start = (const char *)c->in.p + c->in_off;
    const char *end = (const char *)c->in.p + c->in.len;
    const char *p = start, *line, *next;
    size_t len;
    while ((line = next_line(p, end, &len, &next)) && len == 0)
        p = next;
    c->in_off += (size_t)(p - start);
    if (!line)
        return (size_t)(end - p) > RX_HEADER_MAX ? -1 : 0;
    const char *q = p;
    for (;;) {
        if (!next_line(q, end, &len, &next))
            return (size_t)(end - p) > RX_HEADER_MAX ? -1 : 0;
        q = next;
        if (len == 0)
            break;
    }
    if ((size_t)(q - p) > RX_HEADER_MAX)
        return -1;
    *headp = p;
    *endp = q;
    return 1;
}

/* METHOD SP TARGET SP HTTP/1.x (an absolute http:// target is cut to its path). */
static bool parse_request_line(rx_req *r, const char *line, size_t len)
{
    const char *sp1 = memchr(line, ' ', len);
    const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', len - (size_t)(sp1 + 1 - line)) : NULL;
    if (!sp1 || !sp2 || (size_t)(sp1 - line) >= sizeof r->method ||
        (size_t)(sp2 - sp1 - 1) >= sizeof r->path || sp1 == line)
        return false;
    memcpy(r->method, line, (size_t)(sp1 - line));
    const char *target = sp1 + 1;
    size_t tlen = (size_t)(sp2 - target);
    if (tlen > 7 && strncasecmp(target, "http://", 7) == 0) {
        const char *slash = memchr(target + 7, '/', tlen - 7);
        size_t skip = slash ? (size_t)(slash - target) : tlen;
        target += skip;
        tlen -= skip;
    }
    memcpy(r->path, target, tlen);
    const char *ver = sp2 + 1;
    size_t vlen = len - (size_t)(ver - line);
    if (vlen != 8 || memcmp(ver, "HTTP/1.", 7) != 0 || (ver[7] != '0' && ver[7] != '1'))
        return false;
    r->minor = ver[7] - '0';
    r->keep_alive = r->minor == 1;
    return true;
}

static void parse_content_type(rx_req *r, const char *v, size_t vn)
{
    size_t base = 0;
    while (base < vn && v[base] != ';' && v[base] != ' ')
        base++;
    if (ascii_ieq(v, base, "application/x-protobuf"))
        r->ctype = CT_PROTOBUF;
    else if (ascii_ieq(v, base, "application/json"))
        r->ctype = CT_JSON;
    else
        r->ctype = CT_OTHER;
}

static void parse_content_encoding(rx_req *r, const char *v, size_t vn)
{
    if (vn == 0 || ascii_ieq(v, vn, "identity"))
        r->cenc = CE_IDENTITY;
    else if (ascii_ieq(v, vn, "gzip") || ascii_ieq(v, vn, "x-gzip"))
        r->cenc = CE_GZIP;
    else if (ascii_ieq(v, vn, "zstd"))
        r->cenc = CE_ZSTD;
    else
        r->cenc = CE_OTHER;
}

/* One "Name: value" line of the head. false: malformed. */
static bool parse_field(rx_req *r, const char *line, size_t len, bool *te_seen)
{
    const char *colon = memchr(line, ':', len);
    if (!colon || colon == line)
        return false;
    size_t nl = (size_t)(colon - line);
    const char *v = colon + 1;
    size_t vn = len - nl - 1;
    while (vn && (*v == ' ' || *v == '\t')) {
        v++;
        vn--;
    }
    while (vn && (v[vn - 1] == ' ' || v[vn - 1] == '\t'))
        vn--;
    capture_echo(r, line, nl, v, vn);
    if (ascii_ieq(line, nl, "Content-Length")) {
        uint64_t cl;
        if (!parse_u64(v, vn, &cl) || cl > (UINT64_C(1) << 62) || (r->has_clen && cl != r->clen))
            return false;
        r->clen = cl;
        r->has_clen = true;
    } else if (ascii_ieq(line, nl, "Transfer-Encoding")) {
        *te_seen = true;
        if (has_token(v, vn, "chunked"))
            r->chunked = true;
        else if (!ascii_ieq(v, vn, "identity"))
            r->bad_te = true;
    } else if (ascii_ieq(line, nl, "Content-Type")) {
        parse_content_type(r, v, vn);
    } else if (ascii_ieq(line, nl, "Content-Encoding")) {
        parse_content_encoding(r, v, vn);
    } else if (ascii_ieq(line, nl, "Expect")) {
        if (ascii_ieq(v, vn, "100-continue"))
            r->expect_continue = true;
    } else if (ascii_ieq(line, nl, "Connection")) {
        if (has_token(v, vn, "close"))
            r->keep_alive = false;
        else if (has_token(v, vn, "keep-alive"))
            r->keep_alive = true;
    } else if (ascii_ieq(line, nl, "Authorization")) {
        /* compared, never printed or logged (kept only for an echo= answer) */
        if (rx.basic_expect || rx.bearer_expect)
            check_auth(r, v, vn);
    } else if (ascii_ieq(line, nl, "X-Scope-OrgID")) {
        size_t k = 0;
        for (size_t i = 0; i < vn && k + 1 < sizeof r->tenant; i++) {
            unsigned char ch = (unsigned char)v[i];
            r->tenant[k++] = ch > 0x20 && ch < 0x7f ? (char)ch : '_';
        }
        r->tenant[k] = '\0';
    }
    return true;
}

/* Parses the request head. 1: done, 0: need more, -1: bad request. */
static int parse_head(rx_conn *c)
{
    rx_req *r = &c->r;
    const char *p, *q, *line, *next = NULL;
    size_t len = 0;
    int rc = find_head(c, &p, &q);
    if (rc <= 0)
        return rc;
    memset(r, 0, sizeof *r);
    r->ctype = CT_OTHER;
    r->cenc = CE_IDENTITY;
    r->auth = rx.basic_expect || rx.bearer_expect ? AUTH_MISSING : AUTH_NA;
    c->in_off += (size_t)(q - p);
    line = next_line(p, q, &len, &next);
    if (!line || !parse_request_line(r, line, len))
        return -1;
    p = next;
    bool te_seen = false;
    while ((line = next_line(p, q, &len, &next)) && len) {
        p = next;
        if (!parse_field(r, line, len, &te_seen))
            return -1;
    }
    if (te_seen && r->minor == 0)
        r->chunked = false; /* HTTP/1.0 has no chunked coding */
    if (r->bad_te)
        return -1;
    if (r->chunked)
        r->has_clen = false; /* Transfer-Encoding wins (RFC 9112 6.3) */
    return 1;
}

/* Moves body bytes from the input to the body buffer. */
static void take_body(rx_conn *c, size_t n)
{
    rx_req *r = &c->r;
    const uint8_t *p = c->in.p + c->in_off;
    c->in_off += n;
    if (r->raw + n > rx.max_body) {
        r->too_large = true;
        c->body.len = 0;
    }
    r->raw += n;
    if (!r->too_large)
        buf_add(&c->body, p, n);
}

/* Advances the current request. 1: complete, 0: need more, -1: bad request. */
static int parse_step(rx_conn *c)
{
    rx_req *r = &c->r;
    for (;;) {
        size_t avail = c->in.len - c->in_off;
        const char *p = (const char *)c->in.p + c->in_off;
        const char *next, *line;
        size_t len;
        switch (c->stage) {
        case ST_HEAD: {
            int rc = parse_head(c);
            if (rc <= 0)
                return rc;
            if (r->chunked) {
                c->stage = ST_CHUNK_SIZE;
            } else if (r->has_clen) {
                c->stage = ST_BODY_LEN;
                if (r->clen > rx.max_body)
                    r->too_large = true;
                else
                    buf_reserve(&c->body, (size_t)r->clen);
            } else {
                c->stage = ST_DONE;
            }
            if (c->stage != ST_DONE && r->expect_continue) {
                if (r->has_clen && r->clen > rx.max_body) {
                    /* refuse before the body is sent: 413 and close */
                    r->raw = r->clen;
                    r->keep_alive = false;
                    return 1;
                }
                if (c->in.len == c->in_off)
                    buf_adds(&c->out, "HTTP/1.1 100 Continue\r\n\r\n");
            }
            break;
        }
        case ST_BODY_LEN: {
            uint64_t left = r->clen - r->raw;
            size_t n = avail < left ? avail : (size_t)left;
            take_body(c, n);
            if (r->raw < r->clen)
                return 0;
            c->stage = ST_DONE;
            break;
        }
        case ST_CHUNK_SIZE: {
            if (!(line = next_line(p, p + avail, &len, &next))) {
                return avail > 4096 ? -1 : 0;
            }
            uint64_t sz = 0;
            size_t i = 0;
            for (; i < len && hexval((unsigned char)line[i]) >= 0; i++) {
                if (i >= 15)
                    return -1;
                sz = sz << 4 | (uint64_t)hexval((unsigned char)line[i]);
            }
            if (i == 0 || (i < len && line[i] != ';' && line[i] != ' ' && line[i] != '\t'))
                return -1;
            c->in_off += (size_t)(next - p);
            r->chunk_left = sz;
            c->stage = sz ? ST_CHUNK_DATA : ST_TRAILER;
            break;
        }
        case ST_CHUNK_DATA: {
            size_t n = avail < r->chunk_left ? avail : (size_t)r->chunk_left;
            take_body(c, n);
            r->chunk_left -= n;
            if (r->chunk_left)
                return 0;
            c->stage = ST_CHUNK_CRLF;
            break;
        }
        case ST_CHUNK_CRLF:
            if (!(line = next_line(p, p + avail, &len, &next)))
                return avail > 2 ? -1 : 0;
            if (len)
                return -1;
            c->in_off += (size_t)(next - p);
            c->stage = ST_CHUNK_SIZE;
            break;
        case ST_TRAILER:
            if (!(line = next_line(p, p + avail, &len, &next)))
                return avail > RX_HEADER_MAX ? -1 : 0;
            c->in_off += (size_t)(next - p);
            if (len == 0)
                c->stage = ST_DONE;
            break;
        case ST_DONE:
            return 1;
        }
    }
}

void touch(void)
{
    rx.last_activity = mono_ms();
}

static void start_linger(rx_conn *c)
{
    shutdown(c->fd, SHUT_WR);
    c->lingering = true;
    c->linger_until = mono_ms() + RX_LINGER_MS;
    c->in.len = c->in_off = 0;
}

/* Sends c->out as far as the socket takes it. false if the connection died. */
static bool send_out(rx_conn *c)
{
    if (c->out_off < c->out.len && c->ans.active && c->ans.queued && !c->ans.begin_ms)
        c->ans.begin_ms = clock_ms(CLOCK_REALTIME);
    while (c->out_off < c->out.len) {
        ssize_t w = send(c->fd, c->out.p + c->out_off, c->out.len - c->out_off, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return true;
        if (w <= 0) {
            conn_close(c);
            return false;
        }
        c->out_off += (size_t)w;
        touch();
    }
    c->out.len = c->out_off = 0;
    if (c->out.cap > (1u << 20))
        buf_free(&c->out);
    return true;
}

/* Sends what is queued, refilling from the answer being sent. false if the
 * connection died (or was reset on purpose). */
static bool conn_flush(rx_conn *c)
{
    for (;;) {
        if (!send_out(c))
            return false;
        if (c->out_off < c->out.len)
            return true; /* the socket is full */
        int rc = ans_refill(c);
        if (rc < 0)
            return false;
        if (rc == 0)
            return true;
    }
}

bool out_pending(const rx_conn *c)
{
    return c->out_off < c->out.len || (c->ans.active && c->ans.streaming);
}

/* The hold of a drop or reset rule ended: close without an answer. */
static void release_drop(rx_conn *c)
{
    c->ans.begin_ms = clock_ms(CLOCK_REALTIME);
    ans_end(c, c->reset_on_release ? "reset" : "dropped");
    if (c->reset_on_release)
        conn_reset(c);
    else
        conn_close(c);
}

/* Drives a connection as far as it can go without blocking. */
void conn_service(rx_conn *c)
{
    for (;;) {
        if (c->closed || c->lingering || c->hanging)
            return;
        if (c->hold_until) {
            if (mono_ms() < c->hold_until)
                return;
            c->hold_until = 0;
            if (c->drop_on_release) {
                release_drop(c);
                return;
            }
        }
        if (out_pending(c)) {
            if (!conn_flush(c) || out_pending(c))
                return;
        }
        if (c->close_after && c->stage == ST_HEAD) {
            start_linger(c);
            return;
        }
        if (c->in_off == c->in.len) {
            c->in.len = c->in_off = 0;
            if (c->in.cap > (4u << 20))
                buf_free(&c->in);
        }
        int rc = parse_step(c);
        if (rc < 0) {
            rx.seq++;
            ans_begin(c, rx.seq, NULL);
            c->close_after = true;
            c->r.keep_alive = false;
            respond_status(c, 400, CT_OTHER, -1, "malformed HTTP request", NULL);
            log_request(400, &c->r, 0, 0);
            c->stage = ST_HEAD;
            continue;
        }
        if (rc == 0) {
            if (out_pending(c) && !conn_flush(c))
                return; /* the 100 Continue */
            break;
        }
        handle_request(c);
        req_reset(c);
    }
    if (!c->closed && c->peer_eof && !out_pending(c) && !c->hold_until)
        conn_close(c);
}

void conn_read(rx_conn *c)
{
    for (int rounds = 0; rounds < 8; rounds++) {
        if (c->in_off && c->in_off == c->in.len)
            c->in.len = c->in_off = 0;
        else if (c->in_off > (1u << 20) || (c->in_off && c->in.cap - c->in.len < RX_READ_CHUNK / 4)) {
            memmove(c->in.p, c->in.p + c->in_off, c->in.len - c->in_off);
            c->in.len -= c->in_off;
            c->in_off = 0;
        }
        buf_reserve(&c->in, RX_READ_CHUNK);
        size_t room = c->in.cap - c->in.len;
        ssize_t n = recv(c->fd, c->in.p + c->in.len, room, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n <= 0) {
            if (c->lingering || c->hanging || n < 0) {
                conn_close(c);
                return;
            }
            c->peer_eof = true;
            break;
        }
        touch();
        if (c->lingering || c->hanging) {
            c->in.len = c->in_off = 0; /* draining after our answer, or hanging: discard */
            continue;
        }
        c->in.len += (size_t)n;
        if ((size_t)n < room)
            break; /* short read: the socket is empty */
    }
    if (!c->lingering && !c->hanging)
        conn_service(c);
}

void accept_all(void)
{
    for (;;) {
        int fd = accept(rx.listen_fd, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNABORTED)
                rx_warn("accept: %s", strerror(errno));
            return;
        }
        touch();
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        fcntl(fd, F_SETFD, FD_CLOEXEC);
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        rx_conn *c = calloc(1, sizeof *c);
        if (!c)
            rx_fatal("out of memory");
        c->fd = fd;
        if (nconns == conns_cap) {
            conns_cap = conns_cap ? conns_cap * 2 : 32;
            rx_conn **nc = realloc(conns, conns_cap * sizeof *nc);
            if (!nc)
                rx_fatal("out of memory");
            conns = nc;
        }
        conns[nconns++] = c;
    }
}
