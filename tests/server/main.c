/* main.c: options, the port and pid files, the output files, the summary and
 * the main poll loop. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "receiver.h"

/* The one receiver state (see receiver.h). */
struct rx_state rx;

/* ------------------------------------------------------------------------ */
/* Output files                                                              */

/* Writes DATA to PATH through PATH.tmp.<pid> and rename, so that readers
 * never see a partial file. */
static bool write_file_atomic(const char *path, const void *data, size_t n)
{
    char tmp[PATH_MAX];
    int k = snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    if (k < 0 || (size_t)k >= sizeof tmp)
        return false;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return false;
    const uint8_t *p = data;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            close(fd);
            unlink(tmp);
            return false;
        }
        p += w;
        n -= (size_t)w;
    }
    if (close(fd) != 0 || rename(tmp, path) != 0) {
        unlink(tmp);
        return false;
    }
    return true;
}

void write_all_fd(int fd, const void *data, size_t n)
{
    const uint8_t *p = data;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            rx_fatal("write failed: %s", strerror(errno));
        p += w;
        n -= (size_t)w;
    }
}

void out_path(char *dst, size_t cap, const char *name)
{
    int k = snprintf(dst, cap, "%s/%s", rx.out_dir, name);
    if (k < 0 || (size_t)k >= cap) {
        fprintf(stderr, "otlp-receiver: path too long: %s/%s\n", rx.out_dir, name);
        exit(2);
    }
}

void write_summary(void)
{
    if (rx.summary_written || !rx.out_dir)
        return;
    rx.summary_written = true;
    char path[PATH_MAX], text[128];
    out_path(path, sizeof path, "summary");
    int n = snprintf(text, sizeof text, "requests=%" PRIu64 " spans=%" PRIu64 " bytes=%" PRIu64 "\n",
                     rx.total_requests, rx.total_spans, rx.total_bytes);
    if (!write_file_atomic(path, text, (size_t)n))
        fprintf(stderr, "otlp-receiver: cannot write %s: %s\n", path, strerror(errno));
}


/* ------------------------------------------------------------------------ */
/* Setup and main loop                                                       */

static void on_signal(int sig)
{
    int saved = errno;
    rx.stop_signal = sig;
    ssize_t w = write(rx.sig_pipe[1], "x", 1);
    (void)w;
    errno = saved;
}

static char *base64(const char *s)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = strlen(s);
    char *out = malloc(4 * ((n + 2) / 3) + 1);
    if (!out)
        rx_fatal("out of memory");
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)(unsigned char)s[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)(unsigned char)s[i + 1] << 8;
        if (i + 2 < n)
            v |= (unsigned char)s[i + 2];
        out[o++] = tab[v >> 18 & 63];
        out[o++] = tab[v >> 12 & 63];
        out[o++] = i + 1 < n ? tab[v >> 6 & 63] : '=';
        out[o++] = i + 2 < n ? tab[v & 63] : '=';
    }
    out[o] = '\0';
    return out;
}

static void usage(FILE *f)
{
    fputs("usage: otlp-receiver --port-file FILE --pid-file FILE --out DIR\n"
          "         [--bind 127.0.0.1|::1] [--script FILE] [--max-body BYTES]\n"
          "         [--require-basic USER:PASS] [--require-bearer TOKEN] [--require-tenant]\n"
          "         [--delay-ms N] [--discard] [--idle-exit SECONDS]\n"
          "A test OTLP/HTTP trace receiver: POST /v1/traces on a free loopback port.\n"
          "Script: one rule a line, each used by the next POST /v1/traces, then `ok`;\n"
          "blank lines and # comments are skipped. A line is [repeat K] [delay MS] RULE:\n"
          "  ok\n"
          "  status N [message=TEXT] [code=G] [echo=HEADER] [RETRY] [header=\"Name: value\"]...\n"
          "  partial N [message=TEXT]   200 with partial_success.rejected_spans = N\n"
          "  reply N [type=CTYPE] [body=TEXT | body-file=PATH | page=grafana | huge=BYTES |\n"
          "          gzip-bomb=BYTES] [echo=HEADER] [RETRY] [header=\"Name: value\"]...\n"
          "                        N with a verbatim body\n"
          "  drop | reset          close (FIN) | reset (RST) without an answer\n"
          "  hang                  never answer\n"
          "  delay MS              alone: ok after MS milliseconds\n"
          "RETRY: retry-after=SECONDS | retry-after-date=+S|-S | retry-after-raw=VALUE\n"
          "ok, status, partial, reply also take trickle=N/MS, truncate=N, reset-after=N.\n"
          "--delay-ms adds to every /v1/traces answer; in \"TEXT\", \\\" \\\\ \\n \\r \\t \\xHH escape.\n"
          "See tests/server/script.c for the whole language.\n",
          f);
}

static int listen_loopback(const char *addr)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
        if ((ntohl(s4->sin_addr.s_addr) >> 24) != 127) {
            fprintf(stderr, "otlp-receiver: --bind must be a loopback address\n");
            exit(2);
        }
        s4->sin_family = AF_INET;
        sl = sizeof *s4;
    } else if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
        if (!IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr)) {
            fprintf(stderr, "otlp-receiver: --bind must be a loopback address\n");
            exit(2);
        }
        s6->sin6_family = AF_INET6;
        sl = sizeof *s6;
    } else {
        fprintf(stderr, "otlp-receiver: --bind: not an address: %s\n", addr);
        exit(2);
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        rx_fatal("socket: %s", strerror(errno));
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ss.ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&ss, sl) != 0)
        rx_fatal("bind %s: %s", addr, strerror(errno));
    if (listen(fd, 256) != 0)
        rx_fatal("listen: %s", strerror(errno));
    return fd;
}

static int bound_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0)
        rx_fatal("getsockname: %s", strerror(errno));
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static int open_log(const char *name)
{
    char path[PATH_MAX];
    out_path(path, sizeof path, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        fprintf(stderr, "otlp-receiver: cannot open %s: %s\n", path, strerror(errno));
        exit(2);
    }
    return fd;
}

static void parse_args(int argc, char **argv)
{
    enum { O_PORT = 256, O_PID, O_OUT, O_BIND, O_SCRIPT, O_MAXBODY, O_BASIC, O_BEARER,
           O_TENANT, O_DELAY, O_DISCARD, O_IDLE, O_HELP };
    static const struct option opts[] = {
        {"port-file", required_argument, NULL, O_PORT},
        {"pid-file", required_argument, NULL, O_PID},
        {"out", required_argument, NULL, O_OUT},
        {"bind", required_argument, NULL, O_BIND},
        {"script", required_argument, NULL, O_SCRIPT},
        {"max-body", required_argument, NULL, O_MAXBODY},
        {"require-basic", required_argument, NULL, O_BASIC},
        {"require-bearer", required_argument, NULL, O_BEARER},
        {"require-tenant", no_argument, NULL, O_TENANT},
        {"delay-ms", required_argument, NULL, O_DELAY},
        {"discard", no_argument, NULL, O_DISCARD},
        {"idle-exit", required_argument, NULL, O_IDLE},
        {"help", no_argument, NULL, O_HELP},
        {NULL, 0, NULL, 0},
    };
    rx.bind_addr = "127.0.0.1";
    rx.max_body = RX_DEFAULT_MAX_BODY;
    rx.idle_exit_s = 60;
    int o;
    unsigned long long v;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case O_PORT: rx.port_file = optarg; break;
        case O_PID: rx.pid_file = optarg; break;
        case O_OUT: rx.out_dir = optarg; break;
        case O_BIND: rx.bind_addr = optarg; break;
        case O_SCRIPT: rx.script_file = optarg; break;
        case O_MAXBODY:
            if (!parse_ulong_arg(optarg, UINT64_C(1) << 40, &v))
                goto bad;
            rx.max_body = v;
            break;
        case O_BASIC:
            if (!strchr(optarg, ':'))
                goto bad;
            free(rx.basic_expect);
            rx.basic_expect = base64(optarg);
            break;
        case O_BEARER:
            rx.bearer_expect = optarg;
            break;
        case O_TENANT: rx.require_tenant = true; break;
        case O_DELAY:
            if (!parse_ulong_arg(optarg, 3600000, &v))
                goto bad;
            rx.delay_ms = (long)v;
            break;
        case O_DISCARD: rx.discard = true; break;
        case O_IDLE:
            if (!parse_ulong_arg(optarg, 86400, &v))
                goto bad;
            rx.idle_exit_s = (long)v;
            break;
        case O_HELP: usage(stdout); exit(0);
        default: usage(stderr); exit(2);
        }
        continue;
    bad:
        fprintf(stderr, "otlp-receiver: bad value for option: %s\n", optarg);
        exit(2);
    }
    if (optind != argc || !rx.port_file || !rx.pid_file || !rx.out_dir) {
        usage(stderr);
        exit(2);
    }
}

static void open_outputs(void)
{
    if (mkdir(rx.out_dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "otlp-receiver: cannot create %s: %s\n", rx.out_dir, strerror(errno));
        exit(2);
    }
    rx.requests_fd = open_log("requests.log");
    rx.answers_fd = open_log("answers.log");
    rx.spans_fd = rx.discard ? -1 : open_log("spans.log");
}

static void setup_signals(void)
{
    if (pipe(rx.sig_pipe) != 0)
        rx_fatal("pipe: %s", strerror(errno));
    for (int i = 0; i < 2; i++) {
        fcntl(rx.sig_pipe[i], F_SETFL, fcntl(rx.sig_pipe[i], F_GETFL) | O_NONBLOCK);
        fcntl(rx.sig_pipe[i], F_SETFD, FD_CLOEXEC);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* Listens, then writes the pid file and the port file (in that order). */
static void announce(void)
{
    rx.listen_fd = listen_loopback(rx.bind_addr);
    char text[32];
    int n = snprintf(text, sizeof text, "%ld\n", (long)getpid());
    if (!write_file_atomic(rx.pid_file, text, (size_t)n))
        rx_fatal("cannot write %s: %s", rx.pid_file, strerror(errno));
    n = snprintf(text, sizeof text, "%d\n", bound_port(rx.listen_fd));
    if (!write_file_atomic(rx.port_file, text, (size_t)n))
        rx_fatal("cannot write %s: %s", rx.port_file, strerror(errno));
}

/* Ends holds and lingers that are due; forgets closed connections. */
static void run_timers(int64_t now)
{
    for (size_t i = 0; i < nconns; i++) {
        rx_conn *c = conns[i];
        if (c->hold_until && now >= c->hold_until)
            conn_service(c);
        if (c->lingering && now >= c->linger_until)
            conn_close(c);
    }
    size_t k = 0;
    for (size_t i = 0; i < nconns; i++) {
        if (conns[i]->closed)
            free(conns[i]);
        else
            conns[k++] = conns[i];
    }
    nconns = k;
}

static void earliest(int64_t *wake, int64_t t)
{
    if (*wake < 0 || t < *wake)
        *wake = t;
}

/* The poll set: [0] the signal pipe, [1] the listener, [2 + i] connection i.
 * Returns the earliest deadline (-1 = none); *busy: some answer is going. */
static int64_t fill_pollset(struct pollfd *pfds, bool *busy)
{
    int64_t wake = -1;
    *busy = false;
    pfds[0] = (struct pollfd){.fd = rx.sig_pipe[0], .events = POLLIN};
    pfds[1] = (struct pollfd){.fd = rx.listen_fd, .events = POLLIN};
    for (size_t i = 0; i < nconns; i++) {
        rx_conn *c = conns[i];
        short ev = 0;
        int fd = c->fd;
        if (c->hold_until) {
            *busy = true;
            fd = -1; /* not polled while the answer is held back */
            earliest(&wake, c->hold_until);
        } else if (out_pending(c)) {
            ev = POLLOUT;
            *busy = true;
        } else if (!c->peer_eof) {
            ev = POLLIN;
        } else {
            fd = -1;
        }
        if (c->lingering || c->hanging) {
            fd = c->fd;
            ev = POLLIN;
            if (c->lingering)
                earliest(&wake, c->linger_until);
        }
        pfds[i + 2] = (struct pollfd){.fd = fd, .events = ev};
    }
    return wake;
}

static void dispatch(const struct pollfd *pfds, size_t polled)
{
    for (size_t i = 0; i < polled; i++) {
        rx_conn *c = conns[i];
        short re = pfds[i + 2].revents;
        if (!re || c->closed)
            continue;
        if (re & (POLLIN | POLLHUP | POLLERR))
            conn_read(c);
        if (!c->closed && (re & POLLOUT))
            conn_service(c);
    }
    if (pfds[1].revents & POLLIN)
        accept_all();
}

/* Serves until a signal (rx.stop_signal) or --idle-exit. */
static void serve(void)
{
    struct pollfd *pfds = NULL;
    size_t pfds_cap = 0;
    const char *why = NULL;
    touch();
    while (!why) {
        int64_t now = mono_ms();
        run_timers(now);
        if (pfds_cap < nconns + 2) {
            pfds_cap = (nconns + 2) * 2;
            struct pollfd *np = realloc(pfds, pfds_cap * sizeof *np);
            if (!np)
                rx_fatal("out of memory");
            pfds = np;
        }
        bool busy;
        int64_t wake = fill_pollset(pfds, &busy);
        if (rx.idle_exit_s > 0 && !busy) {
            int64_t idle_at = rx.last_activity + rx.idle_exit_s * 1000;
            if (now >= idle_at) {
                why = "idle";
                break;
            }
            earliest(&wake, idle_at);
        }
        int timeout = -1;
        if (wake >= 0)
            timeout = wake <= now ? 0 : (int)(wake - now > 60000 ? 60000 : wake - now);
        int pr = poll(pfds, nconns + 2, timeout);
        if (pr < 0) {
            if (errno == EINTR) {
                if (rx.stop_signal)
                    why = "signal";
                continue;
            }
            rx_fatal("poll: %s", strerror(errno));
        }
        if (rx.stop_signal || (pfds[0].revents & POLLIN)) {
            why = "signal";
            break;
        }
        dispatch(pfds, nconns);
    }
    free(pfds);
}

static void teardown(void)
{
    rx.stopping = true;
    for (size_t i = 0; i < nconns; i++) {
        conn_close(conns[i]);
        free(conns[i]);
    }
    free(conns);
    close(rx.listen_fd);
    close(rx.requests_fd);
    close(rx.answers_fd);
    if (rx.spans_fd >= 0)
        close(rx.spans_fd);
    buf_free(&rx.dec);
    buf_free(&rx.lines);
    if (rx.zs_ready)
        inflateEnd(&rx.zs);
    ZSTD_freeDCtx(rx.zd);
    script_free();
    free(rx.basic_expect);
}

int main(int argc, char **argv)
{
    parse_args(argc, argv);
    pb_init();
    json_init();
    rule_init(&rx.default_rule, 0);
    if (rx.script_file)
        script_load(rx.script_file);
    open_outputs();
    setup_signals();
    announce();
    serve();
    if (rx.stop_signal)
        rx_warn("stopping on signal %d", (int)rx.stop_signal);
    else
        rx_warn("stopping: no activity for %ld s", rx.idle_exit_s);
    write_summary();
    teardown();
    return 0;
}
