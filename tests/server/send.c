/* send.c: the answer a connection is sending. The head and a plain body go
 * into the connection's output at once; a body the script shapes (trickle=,
 * truncate=, reset-after=) or generates (huge=) goes piece by piece as the
 * output drains, so a huge body is never held in memory. When the answer
 * ends, answers.log gets one line (see receiver.h). */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "receiver.h"

#define RX_PIECE (64 * 1024) /* body bytes queued at a time */
#define RX_RESET_WAIT_MS 2000

/* 63 characters and a newline; 64 divides RX_PIECE. */
const char rx_huge_line[] = "otlp-receiver huge body: this 64-byte line repeats to the end..\n";

void ans_begin(rx_conn *c, uint64_t seq, const rx_rule *rule)
{
    rx_answer *a = &c->ans;
    buf_free(&a->own);
    memset(a, 0, sizeof *a);
    a->active = true;
    a->seq = seq;
    a->rule = rule;
}

void ans_end(rx_conn *c, const char *how)
{
    rx_answer *a = &c->ans;
    if (!a->active)
        return;
    int64_t now = clock_ms(CLOCK_REALTIME);
    uint64_t unsent = c->out.len - c->out_off;
    uint64_t sent = a->body_queued - (unsent < a->body_queued ? unsent : a->body_queued);
    char line[256];
    int n = snprintf(line, sizeof line,
                     "seq=%" PRIu64 " status=%d line=%d begin_ms=%lld end_ms=%lld head=%" PRIu64
                     " body=%" PRIu64 " sent=%" PRIu64 " end=%s\n",
                     a->seq, a->status, a->rule ? a->rule->line : 0,
                     (long long)(a->begin_ms ? a->begin_ms : now), (long long)now, a->head_len,
                     a->body_len, sent, how);
    write_all_fd(rx.answers_fd, line, (size_t)n);
    a->active = false;
    buf_free(&a->own);
}

/* Closes with a RST instead of a FIN. */
void conn_reset(rx_conn *c)
{
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    conn_close(c);
}

static bool shaped(const rx_rule *r)
{
    return r && (r->trickle_bytes || r->truncate != RX_NO_LIMIT || r->reset_after != RX_NO_LIMIT);
}

/* Queues an answer: the head, then BODY (BLEN bytes; NULL = BLEN bytes of
 * rx_huge_line, made while sending), shaped by the answer's rule. */
void respond_stream(rx_conn *c, int status, const char *ctype, const uint8_t *body, uint64_t blen,
                    const char *extra)
{
    rx_answer *a = &c->ans;
    size_t before = c->out.len;
    buf_addf(&c->out, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %" PRIu64 "\r\n%s%s\r\n",
             status, reason(status), ctype, blen, extra ? extra : "",
             c->close_after ? "Connection: close\r\n" : "");
    a->queued = true;
    a->status = status;
    a->head_len = c->out.len - before;
    a->body_len = blen;
    const rx_rule *r = a->rule;
    if (body && !shaped(r)) {
        buf_add(&c->out, body, (size_t)blen);
        a->body_queued = blen;
        return;
    }
    a->streaming = true;
    a->generated = !body;
    if (body)
        buf_add(&a->own, body, (size_t)blen);
    a->stop_at = blen;
    a->at_stop = AS_DONE;
    if (r && r->truncate != RX_NO_LIMIT) {
        a->stop_at = r->truncate < blen ? r->truncate : blen;
        a->at_stop = AS_CLOSE;
    } else if (r && r->reset_after != RX_NO_LIMIT) {
        a->stop_at = r->reset_after < blen ? r->reset_after : blen;
        a->at_stop = AS_RESET;
    }
}

void respond(rx_conn *c, int status, const char *ctype, const void *body, size_t blen,
             const char *extra)
{
    respond_stream(c, status, ctype, body, blen, extra);
}

static void add_pattern(rx_buf *b, uint64_t off, size_t n)
{
    static uint8_t block[RX_PIECE + 64];
    if (!block[0])
        for (size_t i = 0; i < sizeof block; i += 64)
            memcpy(block + i, rx_huge_line, 64);
    buf_add(b, block + off % 64, n);
}

/* Queues the next piece of a streamed body. 1: queued, 0: not yet (trickle). */
static int queue_piece(rx_conn *c)
{
    rx_answer *a = &c->ans;
    const rx_rule *r = a->rule;
    uint64_t n = a->stop_at - a->body_queued;
    if (r && r->trickle_bytes) {
        int64_t now = mono_ms();
        if (a->next_at && now < a->next_at) {
            c->hold_until = a->next_at;
            return 0;
        }
        if (n > r->trickle_bytes)
            n = r->trickle_bytes;
        a->next_at = now + r->trickle_ms;
    }
    if (n > RX_PIECE)
        n = RX_PIECE;
    if (a->generated)
        add_pattern(&c->out, a->body_queued, (size_t)n);
    else
        buf_add(&c->out, a->own.p + a->body_queued, (size_t)n);
    a->body_queued += n;
    return 1;
}

/* Bytes the kernel still holds for the peer (a RST would throw them away). */
static bool kernel_unsent(const rx_conn *c)
{
#ifdef TIOCOUTQ
    int q = 0;
    return ioctl(c->fd, TIOCOUTQ, &q) == 0 && q > 0;
#else
    (void)c;
    return false;
#endif
}

/* Called when the output has drained: queues more of the answer or ends it.
 * 1: queued more, 0: nothing to send now, -1: the connection was reset. */
int ans_refill(rx_conn *c)
{
    rx_answer *a = &c->ans;
    if (!a->active || !a->queued)
        return 0;
    if (!a->streaming) {
        ans_end(c, "sent");
        return 0;
    }
    if (a->body_queued < a->stop_at)
        return queue_piece(c);
    switch (a->at_stop) {
    case AS_DONE:
        ans_end(c, "sent");
        return 0;
    case AS_CLOSE:
        ans_end(c, a->stop_at < a->body_len ? "truncated" : "closed");
        c->close_after = true;
        return 0;
    case AS_RESET:
        break;
    }
    int64_t now = mono_ms();
    if (!a->reset_wait_until)
        a->reset_wait_until = now + RX_RESET_WAIT_MS;
    if (kernel_unsent(c) && now < a->reset_wait_until) {
        c->hold_until = now + 5;
        return 0;
    }
    ans_end(c, "reset");
    conn_reset(c);
    return -1;
}
