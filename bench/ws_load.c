/*
 * ws_load: a WebSocket echo load generator for the benchmarks. One thread,
 * one epoll loop, raw sockets, so that it stays far cheaper than the server
 * it measures. It opens N client connections (RFC 6455 handshake, checked
 * Sec-WebSocket-Accept), then sends masked text frames of SIZE bytes at RATE
 * per second on each, phases spread evenly across the connections. Every
 * payload starts with its send time (monotonic ns, 16 hex digits), so the
 * echoed copy gives the round trip. RTTs after the warm-up go into a 1 us
 * histogram; the summary is text or one flat JSON object (--json).
 *
 * With --server-pid it also samples the server's CPU time and RSS from
 * /proc around the measured window. --self-test runs a short load against
 * an in-process echo server (a second thread) and prints one
 * "N passed, N failed" line. --echo-server serves that same raw echo on
 * its own, as the floor a benchmark compares the daemon against.
 *
 * Buffers, framing, handshake keys and the clock come from wsc
 * (tools/sim/wsc.h, linked as tools/sim/libwsc.la), shared with
 * voicegate-sim. Only the client thread masks frames (wsc's mask generator
 * is not thread-safe); the self-test server thread sends unmasked.
 */
#include "config.h"

#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "wsc.h"

#define WL_HIST_US	100000		/* 1 us buckets up to 100 ms */
#define WL_HEAD_LEN	24		/* 16 hex ns + 8 hex sequence */
#define WL_MAX_FRAME	(1024 * 1024)	/* largest frame accepted */
#define WL_MAX_OUT	(1024 * 1024)	/* bytes queued per connection */
#define WL_MAX_EVENTS	256
#define WL_MAX_HTTP	8192		/* handshake response bound */

#define NS_PER_MS	1000000ULL

/* Where one client connection stands. */
enum wl_state {
	WL_IDLE = 0,		/* not yet started */
	WL_CONNECTING,		/* TCP connect in progress */
	WL_HANDSHAKE,		/* upgrade request sent, awaiting 101 */
	WL_OPEN,		/* frames flow */
	WL_CLOSING,		/* close frame sent */
	WL_DONE,		/* closed after being open */
	WL_FAILED,		/* never opened */
};

/* One client connection; owned by the run that opened it. */
struct wl_conn {
	int		 fd;
	enum wl_state	 state;
	int		 want_out;	/* EPOLLOUT registered */
	char		 key[32];	/* Sec-WebSocket-Key sent */
	char		 accept[32];	/* the answer we expect */
	struct wsc_buf	 in;
	struct wsc_buf	 out;
	uint32_t	 seq;		/* messages sent */
	unsigned char	 head[WL_HEAD_LEN]; /* start of the message read */
	size_t		 head_len;
	size_t		 msg_len;	/* bytes of that message so far */
	int		 in_msg;	/* a fragmented message is open */
};

/* Command line options of one run. */
struct wl_opts {
	char		 host[64];
	int		 port;
	char		 path[256];
	int		 conns;
	double		 rate;		/* messages per second per connection */
	int		 size;		/* payload bytes */
	double		 seconds;	/* measured window */
	double		 warmup;	/* before it, not recorded */
	double		 drain;		/* wait for echoes after sending */
	double		 connect_timeout;
	int		 ramp;		/* handshakes in flight at once */
	int		 tick_us;	/* send timer period */
	pid_t		 server_pid;	/* sample CPU and RSS of this, or 0 */
	int		 json;
	int		 quiet;
};

/* What one run measured. */
struct wl_result {
	int		 opened;
	int		 failed;
	int		 closed_early;	/* open connections the peer closed */
	uint64_t	 sent;
	uint64_t	 received;
	uint64_t	 measured_sent;
	uint64_t	 measured_received;
	uint64_t	 send_blocked;	/* skipped: send queue full */
	uint64_t	 bad_echo;	/* wrong length or unreadable stamp */
	uint64_t	 pings;		/* pings answered */
	uint64_t	 fragmented;	/* messages that came in pieces */
	uint64_t	 late;		/* sent over 1 ms after their slot */
	uint64_t	 lag_max_ns;
	uint64_t	 hist_count;
	uint64_t	 hist_over;	/* RTTs beyond the histogram */
	uint64_t	 rtt_max_ns;
	double		 rtt_sum_us;
	uint32_t	*hist;		/* WL_HIST_US buckets of 1 us */
	double		 window_s;	/* measured window, as run */
	double		 client_cpu_pct;
	double		 server_cpu_pct;
	long		 server_rss_idle_kb;
	long		 server_rss_connected_kb;
	long		 server_rss_loaded_kb;
};

/* The in-process echo server of --self-test. */
struct wl_srv {
	int		 lfd;
	int		 port;
	int		 stop_fd[2];
	int		 bad_accept;	/* answer a wrong accept key */
	int		 split_every;	/* fragment every Nth echo, or 0 */
	pthread_t	 thread;
	uint64_t	 pongs;		/* seen by the server thread */
	uint64_t	 echoed;
	uint64_t	 split;		/* messages echoed in two fragments */
};

static volatile sig_atomic_t wl_interrupted;

/* ---- small helpers ---- */

/* Print a message on stderr and exit with status 2. */
static void
wl_fatal(const char *msg)
{
	fprintf(stderr, "ws_load: %s\n", msg);
	exit(2);
}

/* Allocate zeroed memory or exit. */
static void *
wl_calloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (p == NULL)
		wl_fatal("out of memory");
	return (p);
}

/* Write V as exactly N lower-case hex digits at P. */
static void
wl_hex(unsigned char *p, uint64_t v, int n)
{
	static const char digits[] = "0123456789abcdef";
	int i;

	for (i = n - 1; i >= 0; i--) {
		p[i] = (unsigned char)digits[v & 0xf];
		v >>= 4;
	}
}

/* Read N hex digits at P into *V. Returns 0, or -1 on a non-hex byte. */
static int
wl_unhex(const unsigned char *p, int n, uint64_t *v)
{
	uint64_t x = 0;
	int i, d;

	for (i = 0; i < n; i++) {
		if (p[i] >= '0' && p[i] <= '9')
			d = p[i] - '0';
		else if (p[i] >= 'a' && p[i] <= 'f')
			d = p[i] - 'a' + 10;
		else
			return (-1);
		x = (x << 4) | (uint64_t)d;
	}
	*v = x;
	return (0);
}

/* ---- /proc sampling ---- */

/* Return the CPU time (user + system) of PID in seconds, or -1. */
static double
wl_proc_cpu(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut, st;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return (-1);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* Fields after the command name, which may hold spaces. */
	if ((p = strrchr(buf, ')')) == NULL)
		return (-1);
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
	    &ut, &st) != 2)
		return (-1);
	return ((double)(ut + st) / (double)sysconf(_SC_CLK_TCK));
}

/* Return VmRSS of PID in KiB, or -1. */
static long
wl_proc_rss(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return (-1);
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(f);
	return (kb);
}

/* Return this process's CPU time in seconds. */
static double
wl_self_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ((double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
}

/* ---- the client run ---- */

/* Everything one run of the load shares. */
struct wl_run {
	const struct wl_opts	*o;
	struct wl_result	*r;
	int			 ep;
	struct wl_conn		*c;
	int			*open_idx;	/* open connections, in order */
	int			 nopen;
	unsigned char		*payload;	/* template, SIZE bytes */
	uint64_t		 t0;		/* first send slot */
	uint64_t		 t_measure;	/* start of measured window */
	uint64_t		 t_end;		/* no sends from here */
	uint64_t		 next_k;	/* next global send slot */
	uint64_t		 slot_ns;	/* between two slots */
	struct sockaddr_in	 sa;
};

/* Register or change the epoll interest of connection I. */
static void
wl_conn_watch(struct wl_run *w, int i, int op)
{
	struct wl_conn *c = &w->c[i];
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | (c->want_out ? EPOLLOUT : 0);
	ev.data.u64 = (uint64_t)i;
	if (epoll_ctl(w->ep, op, c->fd, &ev) == -1 && op != EPOLL_CTL_DEL)
		wl_fatal("epoll_ctl failed");
}

/* Close connection I and mark it STATE. */
static void
wl_conn_close(struct wl_run *w, int i, enum wl_state state)
{
	struct wl_conn *c = &w->c[i];

	if (c->fd != -1) {
		epoll_ctl(w->ep, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
		c->fd = -1;
	}
	if (c->state == WL_CONNECTING || c->state == WL_HANDSHAKE)
		w->r->failed++;
	else if (c->state == WL_OPEN && state == WL_DONE)
		w->r->closed_early++;
	c->state = state;
	wsc_buf_free(&c->in);
	wsc_buf_free(&c->out);
}

/* Flush connection I's output and keep EPOLLOUT registered only while
 * bytes wait. Returns 0, or -1 if the connection was closed. */
static int
wl_conn_flush(struct wl_run *w, int i)
{
	struct wl_conn *c = &w->c[i];
	int want;

	if (wsc_buf_flush(&c->out, c->fd) == -1) {
		wl_conn_close(w, i, c->state == WL_OPEN ? WL_DONE : WL_FAILED);
		return (-1);
	}
	want = wsc_buf_avail(&c->out) > 0;
	if (want != c->want_out) {
		c->want_out = want;
		wl_conn_watch(w, i, EPOLL_CTL_MOD);
	}
	return (0);
}

/* Start the TCP connect of connection I. */
static void
wl_conn_start(struct wl_run *w, int i)
{
	struct wl_conn *c = &w->c[i];
	int one = 1;

	c->state = WL_CONNECTING;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd == -1) {
		if (!w->o->quiet)
			fprintf(stderr, "ws_load: socket: %s\n",
			    strerror(errno));
		wl_conn_close(w, i, WL_FAILED);
		return;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&w->sa, sizeof(w->sa)) == -1 &&
	    errno != EINPROGRESS) {
		wl_conn_close(w, i, WL_FAILED);
		return;
	}
	c->want_out = 1;
	wl_conn_watch(w, i, EPOLL_CTL_ADD);
}

/* The TCP connect of connection I finished: send the upgrade request. */
static void
wl_conn_connected(struct wl_run *w, int i)
{
	struct wl_conn *c = &w->c[i];
	int err = 0, n;
	socklen_t len = sizeof(err);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1 ||
	    err != 0) {
		wl_conn_close(w, i, WL_FAILED);
		return;
	}
	if (wsc_make_key(c->key, c->accept) == -1)
		wl_fatal("cannot make a handshake key");
	wsc_buf_reserve(&c->out, 512);
	n = snprintf((char *)c->out.data + c->out.len, c->out.cap - c->out.len,
	    "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
	    "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
	    "Sec-WebSocket-Version: 13\r\n\r\n", w->o->path, w->o->host,
	    w->o->port, c->key);
	c->out.len += (size_t)n;
	c->state = WL_HANDSHAKE;
	wl_conn_flush(w, i);
}

/* Check the 101 response at the front of connection I's input. Returns 1
 * once open, 0 if more bytes are needed, -1 if the connection failed. */
static int
wl_conn_handshake(struct wl_run *w, int i)
{
	struct wl_conn *c = &w->c[i];
	char head[WL_MAX_HTTP + 1], got[64];
	unsigned char *end;
	size_t hlen;

	wsc_buf_reserve(&c->in, 1);
	c->in.data[c->in.len] = '\0';
	end = (unsigned char *)strstr((char *)c->in.data + c->in.off,
	    "\r\n\r\n");
	if (end == NULL) {
		if (wsc_buf_avail(&c->in) > WL_MAX_HTTP)
			goto fail;
		return (0);
	}
	hlen = (size_t)(end - (c->in.data + c->in.off)) + 4;
	if (hlen > WL_MAX_HTTP)
		goto fail;
	memcpy(head, c->in.data + c->in.off, hlen);
	head[hlen] = '\0';
	if (strncmp(head, "HTTP/1.1 101", 12) != 0)
		goto fail;
	if (wsc_http_header(head, "Sec-WebSocket-Accept", got,
	    sizeof(got)) == -1 || strcmp(got, c->accept) != 0)
		goto fail;
	c->in.off += hlen;
	c->state = WL_OPEN;
	w->r->opened++;
	return (1);

fail:
	if (!w->o->quiet && w->r->failed == 0)
		fprintf(stderr, "ws_load: handshake refused: %.*s\n",
		    (int)strcspn((char *)c->in.data + c->in.off, "\r\n"),
		    (char *)c->in.data + c->in.off);
	wl_conn_close(w, i, WL_FAILED);
	return (-1);
}

/* Account for one complete echoed message on connection C, received at NOW. */
static void
wl_conn_message(struct wl_run *w, struct wl_conn *c, uint64_t now)
{
	struct wl_result *r = w->r;
	uint64_t ts, rtt, us;

	r->received++;
	if (c->msg_len != (size_t)w->o->size || c->head_len < WL_HEAD_LEN ||
	    wl_unhex(c->head, 16, &ts) == -1 || ts > now) {
		r->bad_echo++;
		return;
	}
	if (ts < w->t_measure || ts >= w->t_end)
		return;
	r->measured_received++;
	rtt = now - ts;
	us = rtt / 1000;
	if (us < WL_HIST_US)
		r->hist[us]++;
	else
		r->hist_over++;
	r->hist_count++;
	r->rtt_sum_us += (double)rtt / 1000.0;
	if (rtt > r->rtt_max_ns)
		r->rtt_max_ns = rtt;
}

/* Handle the frames waiting in connection I's input. Returns 0, or -1 if
 * the connection was closed. */
static int
wl_conn_frames(struct wl_run *w, int i, uint64_t now)
{
	struct wl_conn *c = &w->c[i];
	struct wsc_frame f;
	size_t take;
	int rc;

	while ((rc = wsc_frame_get(&c->in, &f, WL_MAX_FRAME)) == 1) {
		switch (f.opcode) {
		case WSC_OP_CONT:
		case WSC_OP_TEXT:
		case WSC_OP_BINARY:
			if (f.opcode != WSC_OP_CONT || !c->in_msg)
				c->head_len = c->msg_len = 0;
			else if (f.fin)
				w->r->fragmented++;
			take = WL_HEAD_LEN - c->head_len;
			if (take > f.len)
				take = f.len;
			memcpy(c->head + c->head_len, f.payload, take);
			c->head_len += take;
			c->msg_len += f.len;
			c->in_msg = !f.fin;
			if (f.fin)
				wl_conn_message(w, c, now);
			break;
		case WSC_OP_CLOSE:	/* answer it unless we sent ours */
			if (c->state == WL_OPEN)
				wsc_frame_put(&c->out, WSC_OP_CLOSE, f.payload,
				    f.len >= 2 ? 2 : 0, 1);
			wsc_buf_flush(&c->out, c->fd);
			wl_conn_close(w, i, WL_DONE);
			return (-1);
		case WSC_OP_PING:
			wsc_frame_put(&c->out, WSC_OP_PONG, f.payload, f.len,
			    1);
			w->r->pings++;
			break;
		default:	/* pong and reserved: ignore */
			break;
		}
		c->in.off += f.total;
	}
	if (rc == -1) {
		wl_conn_close(w, i, WL_DONE);
		return (-1);
	}
	return (wsc_buf_avail(&c->out) > 0 ? wl_conn_flush(w, i) : 0);
}

/* Handle epoll events EVS on connection I at NOW. */
static void
wl_conn_event(struct wl_run *w, int i, uint32_t evs, uint64_t now)
{
	struct wl_conn *c = &w->c[i];
	ssize_t n;

	if (c->state == WL_CONNECTING) {
		if (evs & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			wl_conn_connected(w, i);
		return;
	}
	if ((evs & EPOLLOUT) && wl_conn_flush(w, i) == -1)
		return;
	if (!(evs & (EPOLLIN | EPOLLERR | EPOLLHUP)))
		return;
	n = wsc_buf_read(&c->in, c->fd);
	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK)) {
		wl_conn_close(w, i, c->state == WL_CLOSING ? WL_DONE :
		    c->state == WL_OPEN ? WL_DONE : WL_FAILED);
		return;
	}
	if (n == -1)
		return;
	if (c->state == WL_HANDSHAKE && wl_conn_handshake(w, i) != 1)
		return;
	if (c->state == WL_OPEN || c->state == WL_CLOSING)
		wl_conn_frames(w, i, now);
}

/* Send one message on connection I, stamped with NOW. */
static void
wl_conn_send(struct wl_run *w, int i, uint64_t now)
{
	struct wl_conn *c = &w->c[i];
	struct wl_result *r = w->r;

	if (c->state != WL_OPEN)
		return;
	if (wsc_buf_avail(&c->out) > WL_MAX_OUT) {
		r->send_blocked++;
		return;
	}
	wl_hex(w->payload, now, 16);
	wl_hex(w->payload + 16, c->seq++, 8);
	wsc_frame_put(&c->out, WSC_OP_TEXT, w->payload, (size_t)w->o->size,
	    1);
	r->sent++;
	if (now >= w->t_measure && now < w->t_end)
		r->measured_sent++;
	wl_conn_flush(w, i);
}

/* Send every message whose slot has come by now. */
static void
wl_send_due(struct wl_run *w)
{
	uint64_t now = wsc_now(), due, lag;

	for (;;) {
		due = w->t0 + w->next_k * w->slot_ns;
		if (due > now || due >= w->t_end)
			break;
		lag = now - due;
		if (lag > w->r->lag_max_ns)
			w->r->lag_max_ns = lag;
		if (lag > NS_PER_MS)
			w->r->late++;
		wl_conn_send(w, w->open_idx[w->next_k % (uint64_t)w->nopen],
		    now);
		w->next_k++;
		now = wsc_now();
	}
}

/* Wait for events for at most TIMEOUT_MS and dispatch them; the timer fd
 * TFD, if not -1, is drained. */
static void
wl_poll(struct wl_run *w, int tfd, int timeout_ms)
{
	struct epoll_event evs[WL_MAX_EVENTS];
	uint64_t now, exp;
	int n, k;

	n = epoll_wait(w->ep, evs, WL_MAX_EVENTS, timeout_ms);
	if (n <= 0)
		return;
	now = wsc_now();
	for (k = 0; k < n; k++) {
		if (evs[k].data.u64 == UINT64_MAX) {
			/* The send timer: only its wakeup matters. */
			(void)!read(tfd, &exp, sizeof(exp));
			continue;
		}
		wl_conn_event(w, (int)evs[k].data.u64, evs[k].events, now);
	}
}

/* Open every connection, at most RAMP handshakes in flight, until all have
 * opened or failed or the connect timeout passes. */
static void
wl_open_all(struct wl_run *w)
{
	const struct wl_opts *o = w->o;
	uint64_t deadline = wsc_now() + (uint64_t)(o->connect_timeout * 1e9);
	int next = 0, pending, i;

	for (;;) {
		pending = 0;
		for (i = 0; i < next; i++)
			if (w->c[i].state == WL_CONNECTING ||
			    w->c[i].state == WL_HANDSHAKE)
				pending++;
		while (next < o->conns && pending < o->ramp) {
			wl_conn_start(w, next++);
			pending++;
		}
		if ((next == o->conns && pending == 0) || wl_interrupted)
			break;
		if (wsc_now() > deadline) {
			for (i = 0; i < o->conns; i++)
				if (w->c[i].state == WL_CONNECTING ||
				    w->c[i].state == WL_HANDSHAKE ||
				    w->c[i].state == WL_IDLE) {
					if (w->c[i].state == WL_IDLE)
						w->r->failed++;
					wl_conn_close(w, i, WL_FAILED);
				}
			break;
		}
		wl_poll(w, -1, 10);
	}
}

/* Return the value below which fraction P of the recorded RTTs fall, in us. */
static double
wl_percentile(const struct wl_result *r, double p)
{
	uint64_t want, acc = 0;
	size_t i;

	if (r->hist_count == 0)
		return (0);
	want = (uint64_t)(p * (double)r->hist_count + 0.999999);
	if (want == 0)
		want = 1;
	for (i = 0; i < WL_HIST_US; i++) {
		acc += r->hist[i];
		if (acc >= want)
			return ((double)i);
	}
	return ((double)r->rtt_max_ns / 1000.0);
}

/* Run one load as O says and fill R. Returns 0, or -1 if it could not
 * start (bad address, no memory for epoll). */
static int
wl_run_load(const struct wl_opts *o, struct wl_result *r)
{
	struct wl_run w;
	struct itimerspec its;
	struct epoll_event ev;
	uint64_t interval_ns, stop, cpu_t0 = 0;
	double srv_cpu0 = -1, srv_cpu1, self_cpu0 = 0, wall0;
	int tfd, i, measuring = 0;

	memset(&w, 0, sizeof(w));
	memset(r, 0, sizeof(*r));
	r->hist = wl_calloc(WL_HIST_US, sizeof(*r->hist));
	r->server_cpu_pct = -1;
	r->server_rss_idle_kb = r->server_rss_connected_kb =
	    r->server_rss_loaded_kb = -1;
	w.o = o;
	w.r = r;
	w.sa.sin_family = AF_INET;
	w.sa.sin_port = htons((uint16_t)o->port);
	if (inet_pton(AF_INET, o->host, &w.sa.sin_addr) != 1) {
		fprintf(stderr, "ws_load: not an IPv4 address: %s\n", o->host);
		return (-1);
	}
	if ((w.ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		return (-1);
	w.c = wl_calloc((size_t)o->conns, sizeof(*w.c));
	w.open_idx = wl_calloc((size_t)o->conns, sizeof(*w.open_idx));
	for (i = 0; i < o->conns; i++)
		w.c[i].fd = -1;
	w.payload = wl_calloc(1, (size_t)o->size);
	memset(w.payload, 'x', (size_t)o->size);
	if (o->server_pid > 0)
		r->server_rss_idle_kb = wl_proc_rss(o->server_pid);

	wl_open_all(&w);
	for (i = 0; i < o->conns; i++)
		if (w.c[i].state == WL_OPEN)
			w.open_idx[w.nopen++] = i;
	if (!o->quiet && !o->json)
		fprintf(stderr, "ws_load: %d open, %d failed\n", r->opened,
		    r->failed);
	/* Let the server settle, then sample its RSS with every connection
	 * open and quiet. */
	stop = wsc_now() + 200 * NS_PER_MS;
	while (wsc_now() < stop)
		wl_poll(&w, -1, 20);
	if (o->server_pid > 0)
		r->server_rss_connected_kb = wl_proc_rss(o->server_pid);

	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (tfd == -1)
		wl_fatal("timerfd_create failed");
	memset(&its, 0, sizeof(its));
	its.it_interval.tv_nsec = (long)o->tick_us * 1000;
	its.it_value.tv_nsec = (long)o->tick_us * 1000;
	timerfd_settime(tfd, 0, &its, NULL);
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u64 = UINT64_MAX;
	epoll_ctl(w.ep, EPOLL_CTL_ADD, tfd, &ev);

	interval_ns = (uint64_t)(1e9 / o->rate);
	w.slot_ns = w.nopen > 0 ? interval_ns / (uint64_t)w.nopen : 1;
	if (w.slot_ns == 0)
		w.slot_ns = 1;
	w.t0 = wsc_now() + NS_PER_MS;
	w.t_measure = w.t0 + (uint64_t)(o->warmup * 1e9);
	w.t_end = w.t_measure + (uint64_t)(o->seconds * 1e9);
	wall0 = 0;
	while (w.nopen > 0 && !wl_interrupted) {
		uint64_t now = wsc_now();

		if (!measuring && now >= w.t_measure) {
			measuring = 1;
			cpu_t0 = now;
			self_cpu0 = wl_self_cpu();
			if (o->server_pid > 0)
				srv_cpu0 = wl_proc_cpu(o->server_pid);
		}
		if (now >= w.t_end)
			break;
		wl_send_due(&w);
		wl_poll(&w, tfd, 100);
	}
	if (measuring) {
		uint64_t now = wsc_now();

		wall0 = (double)(now - cpu_t0) / 1e9;
		r->window_s = wall0;
		if (wall0 > 0)
			r->client_cpu_pct = 100.0 * (wl_self_cpu() -
			    self_cpu0) / wall0;
		if (o->server_pid > 0 && srv_cpu0 >= 0) {
			srv_cpu1 = wl_proc_cpu(o->server_pid);
			if (srv_cpu1 >= 0 && wall0 > 0)
				r->server_cpu_pct = 100.0 *
				    (srv_cpu1 - srv_cpu0) / wall0;
			r->server_rss_loaded_kb = wl_proc_rss(o->server_pid);
		}
	}
	close(tfd);

	/* Drain: wait for the echoes still in flight. */
	stop = wsc_now() + (uint64_t)(o->drain * 1e9);
	while (r->received < r->sent && wsc_now() < stop && !wl_interrupted)
		wl_poll(&w, -1, 10);

	/* Close politely; give the server a moment to answer. */
	for (i = 0; i < o->conns; i++) {
		struct wl_conn *c = &w.c[i];

		if (c->state != WL_OPEN)
			continue;
		wsc_frame_put(&c->out, WSC_OP_CLOSE, "\x03\xe8", 2, 1);
		c->state = WL_CLOSING;
		wl_conn_flush(&w, i);
	}
	stop = wsc_now() + 500 * NS_PER_MS;
	for (;;) {
		int left = 0;

		for (i = 0; i < o->conns; i++)
			if (w.c[i].state == WL_CLOSING)
				left++;
		if (left == 0 || wsc_now() >= stop)
			break;
		wl_poll(&w, -1, 10);
	}
	for (i = 0; i < o->conns; i++)
		if (w.c[i].fd != -1)
			wl_conn_close(&w, i, WL_DONE);
	close(w.ep);
	free(w.payload);
	free(w.open_idx);
	free(w.c);
	return (0);
}

/* Print R as text or, with O->json, as one flat JSON object. */
static void
wl_report(const struct wl_opts *o, const struct wl_result *r)
{
	uint64_t lost = r->sent > r->received ? r->sent - r->received : 0;

	if (o->json) {
		printf("{\"conns\":%d,\"opened\":%d,\"failed\":%d,"
		    "\"closed_early\":%d,\"rate\":%g,\"size\":%d,"
		    "\"window_s\":%.3f,\"sent\":%" PRIu64 ",\"received\":%"
		    PRIu64 ",\"lost\":%" PRIu64 ",\"measured_sent\":%" PRIu64
		    ",\"measured_received\":%" PRIu64 ",\"send_blocked\":%"
		    PRIu64 ",\"bad_echo\":%" PRIu64 ",\"late_sends\":%" PRIu64
		    ",\"sched_lag_max_us\":%.0f,"
		    "\"rtt_p50_us\":%.0f,\"rtt_p90_us\":%.0f,"
		    "\"rtt_p99_us\":%.0f,\"rtt_p999_us\":%.0f,"
		    "\"rtt_max_us\":%.0f,\"rtt_mean_us\":%.1f,"
		    "\"client_cpu_pct\":%.1f,\"server_cpu_pct\":%.1f,"
		    "\"server_rss_idle_kb\":%ld,"
		    "\"server_rss_connected_kb\":%ld,"
		    "\"server_rss_loaded_kb\":%ld}\n",
		    o->conns, r->opened, r->failed, r->closed_early, o->rate,
		    o->size, r->window_s, r->sent, r->received, lost,
		    r->measured_sent, r->measured_received, r->send_blocked,
		    r->bad_echo, r->late, (double)r->lag_max_ns / 1000.0,
		    wl_percentile(r, 0.50), wl_percentile(r, 0.90),
		    wl_percentile(r, 0.99), wl_percentile(r, 0.999),
		    (double)r->rtt_max_ns / 1000.0,
		    r->hist_count ? r->rtt_sum_us / (double)r->hist_count : 0,
		    r->client_cpu_pct, r->server_cpu_pct,
		    r->server_rss_idle_kb, r->server_rss_connected_kb,
		    r->server_rss_loaded_kb);
		return;
	}
	printf("connections: %d opened, %d failed, %d closed by peer\n",
	    r->opened, r->failed, r->closed_early);
	printf("messages:    %" PRIu64 " sent, %" PRIu64 " received, %" PRIu64
	    " lost, %" PRIu64 " not sent (queue full), %" PRIu64 " bad\n",
	    r->sent, r->received, lost, r->send_blocked, r->bad_echo);
	printf("measured:    %.1f s, %" PRIu64 " sent, %" PRIu64
	    " RTTs recorded\n", r->window_s, r->measured_sent, r->hist_count);
	printf("rtt (us):    p50 %.0f  p90 %.0f  p99 %.0f  p99.9 %.0f  "
	    "max %.0f  mean %.1f\n", wl_percentile(r, 0.50),
	    wl_percentile(r, 0.90), wl_percentile(r, 0.99),
	    wl_percentile(r, 0.999), (double)r->rtt_max_ns / 1000.0,
	    r->hist_count ? r->rtt_sum_us / (double)r->hist_count : 0);
	printf("schedule:    %" PRIu64 " sends over 1 ms late, max lag %.0f us"
	    "\n", r->late, (double)r->lag_max_ns / 1000.0);
	printf("client cpu:  %.1f%% of one core\n", r->client_cpu_pct);
	if (o->server_pid > 0)
		printf("server:      cpu %.1f%% of one core, rss idle %ld KiB, "
		    "connected %ld KiB, loaded %ld KiB\n", r->server_cpu_pct,
		    r->server_rss_idle_kb, r->server_rss_connected_kb,
		    r->server_rss_loaded_kb);
}

/* ---- self-test echo server (a thread) ---- */

/* One connection of the test server. */
struct wl_sconn {
	int		 fd;
	int		 open;
	int		 want_out;	/* EPOLLOUT registered */
	struct wsc_buf	 in;
	struct wsc_buf	 out;
};

/* Answer the upgrade request at the front of SC's input. Returns 1 once
 * answered, 0 if more bytes are needed, -1 on a bad request. */
static int
wl_srv_handshake(struct wl_srv *s, struct wl_sconn *sc)
{
	char head[WL_MAX_HTTP + 1], key[64], acc[32], resp[256];
	char *end;
	size_t hlen;
	int n;

	wsc_buf_reserve(&sc->in, 1);
	sc->in.data[sc->in.len] = '\0';
	end = strstr((char *)sc->in.data + sc->in.off, "\r\n\r\n");
	if (end == NULL)
		return (wsc_buf_avail(&sc->in) > WL_MAX_HTTP ? -1 : 0);
	hlen = (size_t)(end - (char *)sc->in.data - sc->in.off) + 4;
	if (hlen > WL_MAX_HTTP)
		return (-1);
	memcpy(head, sc->in.data + sc->in.off, hlen);
	head[hlen] = '\0';
	sc->in.off += hlen;
	if (wsc_http_header(head, "Sec-WebSocket-Key", key, sizeof(key)) ==
	    -1 || wsc_accept_key(key, acc) == -1)
		return (-1);
	if (s->bad_accept)
		acc[0] = acc[0] == 'A' ? 'B' : 'A';
	n = snprintf(resp, sizeof(resp), "HTTP/1.1 101 Switching Protocols\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: %s\r\n\r\n", acc);
	wsc_buf_add(&sc->out, resp, (size_t)n);
	/* A ping straight away: the client must answer it. */
	wsc_frame_put(&sc->out, WSC_OP_PING, "hi", 2, 0);
	sc->open = 1;
	return (1);
}

/* Echo the frames at the front of SC's input; with split_every, every Nth
 * message goes back in two fragments. Returns 0, or -1 to close. */
static int
wl_srv_frames(struct wl_srv *s, struct wl_sconn *sc)
{
	struct wsc_frame f;
	unsigned char *h;
	size_t half;
	int rc;

	while ((rc = wsc_frame_get(&sc->in, &f, WL_MAX_FRAME)) == 1) {
		sc->in.off += f.total;
		switch (f.opcode) {
		case WSC_OP_TEXT:
		case WSC_OP_BINARY:
			__atomic_add_fetch(&s->echoed, 1, __ATOMIC_RELAXED);
			if (s->split_every == 0 || s->echoed %
			    (uint64_t)s->split_every != 0 || f.len < 2 ||
			    !f.fin) {
				wsc_frame_put(&sc->out, f.opcode, f.payload,
				    f.len, 0);
				break;
			}
			half = f.len / 2;
			wsc_frame_put(&sc->out, f.opcode, f.payload, half, 0);
			h = sc->out.data + sc->out.len - half - (half < 126 ?
			    2 : 4);
			h[0] &= 0x7f;	/* not the last fragment */
			wsc_frame_put(&sc->out, WSC_OP_CONT, f.payload + half,
			    f.len - half, 0);
			__atomic_add_fetch(&s->split, 1, __ATOMIC_RELAXED);
			break;
		case WSC_OP_CLOSE:
			wsc_frame_put(&sc->out, WSC_OP_CLOSE, f.payload,
			    f.len >= 2 ? 2 : 0, 0);
			wsc_buf_flush(&sc->out, sc->fd);
			return (-1);
		case WSC_OP_PING:
			wsc_frame_put(&sc->out, WSC_OP_PONG, f.payload, f.len,
			    0);
			break;
		case WSC_OP_PONG:
			__atomic_add_fetch(&s->pongs, 1, __ATOMIC_RELAXED);
			break;
		default:
			break;
		}
	}
	return (rc == -1 ? -1 : 0);
}

/* Close server connection SC and free it. */
static void
wl_srv_drop(int ep, struct wl_sconn *sc)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, sc->fd, NULL);
	close(sc->fd);
	wsc_buf_free(&sc->in);
	wsc_buf_free(&sc->out);
	free(sc);
}

/* Handle epoll events EVS on server connection SC: read, answer, echo,
 * and wait for EPOLLOUT only while output is queued. Returns 0, or -1 to
 * drop the connection. */
static int
wl_srv_event(struct wl_srv *s, int ep, struct wl_sconn *sc, uint32_t evs)
{
	struct epoll_event ev;
	ssize_t rd;
	int want;

	if (evs & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
		rd = wsc_buf_read(&sc->in, sc->fd);
		if (rd == 0 || (rd == -1 && errno != EAGAIN &&
		    errno != EWOULDBLOCK))
			return (-1);
		if (rd > 0 && !sc->open && wl_srv_handshake(s, sc) == -1)
			return (-1);
		if (rd > 0 && sc->open && wl_srv_frames(s, sc) == -1)
			return (-1);
	}
	if (wsc_buf_flush(&sc->out, sc->fd) == -1)
		return (-1);
	want = wsc_buf_avail(&sc->out) > 0;
	if (want != sc->want_out) {
		sc->want_out = want;
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN | (want ? EPOLLOUT : 0);
		ev.data.ptr = sc;
		epoll_ctl(ep, EPOLL_CTL_MOD, sc->fd, &ev);
	}
	return (0);
}

/* The test server's thread: accept, answer handshakes, echo, until the
 * stop pipe is written. */
static void *
wl_srv_main(void *arg)
{
	struct wl_srv *s = arg;
	struct epoll_event ev, evs[64];
	struct wl_sconn *sc;
	int ep, n, k, fd, stop = 0;

	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		return (NULL);
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	epoll_ctl(ep, EPOLL_CTL_ADD, s->lfd, &ev);
	ev.data.ptr = s;
	epoll_ctl(ep, EPOLL_CTL_ADD, s->stop_fd[0], &ev);
	while (!stop) {
		if ((n = epoll_wait(ep, evs, 64, 1000)) == -1 && errno != EINTR)
			break;
		for (k = 0; k < n; k++) {
			if (evs[k].data.ptr == s) {
				stop = 1;
				continue;
			}
			if (evs[k].data.ptr == NULL) {
				while ((fd = accept4(s->lfd, NULL, NULL,
				    SOCK_NONBLOCK | SOCK_CLOEXEC)) != -1) {
					sc = wl_calloc(1, sizeof(*sc));
					sc->fd = fd;
					ev.events = EPOLLIN;
					ev.data.ptr = sc;
					epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
				}
				continue;
			}
			sc = evs[k].data.ptr;
			if (wl_srv_event(s, ep, sc, evs[k].events) == -1)
				wl_srv_drop(ep, sc);
		}
	}
	/* Connections still open leak their fds to process exit: the thread
	 * keeps no list, and the self-test exits right after. */
	close(ep);
	return (NULL);
}

/* Start the echo server on loopback PORT (0: ephemeral). Returns 0 or -1. */
static int
wl_srv_start(struct wl_srv *s, int port, int bad_accept, int split_every)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int one = 1;

	memset(s, 0, sizeof(*s));
	s->bad_accept = bad_accept;
	s->split_every = split_every;
	if ((s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	if (bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    listen(s->lfd, 4096) == -1 ||
	    getsockname(s->lfd, (struct sockaddr *)&sa, &len) == -1 ||
	    wsc_nonblock(s->lfd) == -1 || pipe(s->stop_fd) == -1) {
		close(s->lfd);
		return (-1);
	}
	s->port = ntohs(sa.sin_port);
	if (pthread_create(&s->thread, NULL, wl_srv_main, s) != 0) {
		close(s->lfd);
		close(s->stop_fd[0]);
		close(s->stop_fd[1]);
		return (-1);
	}
	return (0);
}

/* Stop the test server and wait for its thread. */
static void
wl_srv_stop(struct wl_srv *s)
{
	if (write(s->stop_fd[1], "x", 1) == -1)
		perror("ws_load: write");
	pthread_join(s->thread, NULL);
	close(s->lfd);
	close(s->stop_fd[0]);
	close(s->stop_fd[1]);
}

/* Count one named check: print it and bump the totals. */
static void
wl_check(const char *name, int ok, int *passed, int *failed)
{
	printf("%s %s\n", ok ? "ok  " : "FAIL", name);
	if (ok)
		(*passed)++;
	else
		(*failed)++;
}

/* Run the self-test: a short load against the in-process server, then a
 * server that answers a wrong accept key. Returns the exit status. */
static int
wl_self_test(void)
{
	struct wl_opts o;
	struct wl_result r;
	struct wl_srv s;
	int passed = 0, failed = 0;

	memset(&o, 0, sizeof(o));
	snprintf(o.host, sizeof(o.host), "127.0.0.1");
	snprintf(o.path, sizeof(o.path), "/echo");
	o.conns = 50;
	o.rate = 100;
	o.size = 300;
	o.seconds = 1.5;
	o.warmup = 0.3;
	o.drain = 2;
	o.connect_timeout = 10;
	o.ramp = 20;
	o.tick_us = 200;
	o.quiet = 1;

	if (wl_srv_start(&s, 0, 0, 7) == -1)
		wl_fatal("cannot start the test server");
	o.port = s.port;
	if (wl_run_load(&o, &r) == -1)
		wl_fatal("the load did not start");
	wl_srv_stop(&s);
	wl_check("handshake/all_connections_open", r.opened == o.conns &&
	    r.failed == 0, &passed, &failed);
	wl_check("echo/messages_sent", r.sent > (uint64_t)(o.conns * o.rate *
	    o.seconds * 0.8), &passed, &failed);
	wl_check("echo/none_lost", r.sent > 0 && r.received == r.sent &&
	    s.echoed == r.sent, &passed, &failed);
	wl_check("echo/stamps_intact", r.bad_echo == 0, &passed, &failed);
	wl_check("echo/fragments_reassembled", s.split > 0 &&
	    r.fragmented == s.split, &passed, &failed);
	wl_check("rtt/recorded_after_warmup", r.hist_count > 0 &&
	    r.hist_count == r.measured_received && r.hist_count < r.received,
	    &passed, &failed);
	wl_check("rtt/percentiles_ordered", wl_percentile(&r, 0.5) <=
	    wl_percentile(&r, 0.99) && wl_percentile(&r, 0.99) <=
	    (double)r.rtt_max_ns / 1000.0 + 1, &passed, &failed);
	wl_check("ping/answered_with_pong", r.pings == (uint64_t)o.conns &&
	    s.pongs == (uint64_t)o.conns, &passed, &failed);
	wl_check("schedule/no_queue_full", r.send_blocked == 0, &passed,
	    &failed);
	if (failed > 0)
		wl_report(&o, &r);
	free(r.hist);

	o.conns = 5;
	o.seconds = 0.2;
	o.warmup = 0;
	if (wl_srv_start(&s, 0, 1, 0) == -1)
		wl_fatal("cannot start the test server");
	o.port = s.port;
	if (wl_run_load(&o, &r) == -1)
		wl_fatal("the load did not start");
	wl_srv_stop(&s);
	wl_check("handshake/wrong_accept_refused", r.opened == 0 &&
	    r.failed == o.conns && r.sent == 0, &passed, &failed);
	free(r.hist);

	printf("%d passed, %d failed\n", passed, failed);
	return (failed == 0 ? 0 : 1);
}

/* Serve WebSocket echo on loopback PORT until SIGINT/SIGTERM: the floor
 * that the daemon is compared against. Returns the exit status. */
static int
wl_echo_server(int port)
{
	struct wl_srv s;

	if (wl_srv_start(&s, port, 0, 0) == -1) {
		fprintf(stderr, "ws_load: cannot listen on 127.0.0.1:%d: %s\n",
		    port, strerror(errno));
		return (1);
	}
	fprintf(stderr, "ws_load echo server on 127.0.0.1:%d\n", s.port);
	while (!wl_interrupted)
		usleep(100000);
	wl_srv_stop(&s);
	fprintf(stderr, "ws_load echo server: %" PRIu64 " messages echoed\n",
	    s.echoed);
	return (0);
}

/* ---- command line ---- */

/* Parse ws://HOST:PORT/PATH into O. Returns 0 or -1. */
static int
wl_parse_url(const char *url, struct wl_opts *o)
{
	const char *p, *colon, *slash;
	size_t hl;

	if (strncmp(url, "ws://", 5) != 0)
		return (-1);
	p = url + 5;
	slash = strchr(p, '/');
	if (slash == NULL)
		slash = p + strlen(p);
	colon = memchr(p, ':', (size_t)(slash - p));
	if (colon == NULL)
		return (-1);
	hl = (size_t)(colon - p);
	if (hl == 0 || hl >= sizeof(o->host))
		return (-1);
	memcpy(o->host, p, hl);
	o->host[hl] = '\0';
	if (strcmp(o->host, "localhost") == 0)
		snprintf(o->host, sizeof(o->host), "127.0.0.1");
	o->port = atoi(colon + 1);
	if (o->port <= 0 || o->port > 65535)
		return (-1);
	snprintf(o->path, sizeof(o->path), "%s", *slash ? slash : "/");
	return (0);
}

/* Print how to call ws_load on F. */
static void
wl_usage(FILE *f)
{
	fprintf(f, "usage: ws_load --url ws://127.0.0.1:PORT/PATH [--conns N] "
	    "[--rate MSG_PER_S]\n"
	    "               [--size BYTES] [--seconds S] [--warmup S] "
	    "[--drain S]\n"
	    "               [--ramp N] [--tick-us US] [--connect-timeout S]\n"
	    "               [--server-pid PID] [--json] [--quiet]\n"
	    "       ws_load --self-test\n"
	    "       ws_load --echo-server PORT   (0: any free port)\n");
}

/* Raise the open-file limit to fit N connections. Returns 0 or -1. */
static int
wl_raise_nofile(int n)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)n + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return (-1);
	if (rl.rlim_cur >= want)
		return (0);
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want)
		return (-1);
	rl.rlim_cur = want;
	return (setrlimit(RLIMIT_NOFILE, &rl));
}

/* Stop a run early on SIGINT/SIGTERM; the summary is still printed. */
static void
wl_on_signal(int sig)
{
	wl_interrupted = 1;
}

/* Parse the options, then run the load, the self-test or the echo server. */
int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "url",		required_argument, NULL, 'u' },
		{ "conns",		required_argument, NULL, 'c' },
		{ "rate",		required_argument, NULL, 'r' },
		{ "size",		required_argument, NULL, 's' },
		{ "seconds",		required_argument, NULL, 't' },
		{ "warmup",		required_argument, NULL, 'w' },
		{ "drain",		required_argument, NULL, 'd' },
		{ "ramp",		required_argument, NULL, 'R' },
		{ "tick-us",		required_argument, NULL, 'T' },
		{ "connect-timeout",	required_argument, NULL, 'C' },
		{ "server-pid",		required_argument, NULL, 'p' },
		{ "json",		no_argument,	   NULL, 'j' },
		{ "quiet",		no_argument,	   NULL, 'q' },
		{ "self-test",		no_argument,	   NULL, 'S' },
		{ "echo-server",	required_argument, NULL, 'E' },
		{ "help",		no_argument,	   NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct wl_opts o;
	struct wl_result r;
	struct sigaction sa;
	const char *url = NULL;
	int ch, self_test = 0, echo_port = -1;
	uint64_t seed;

	memset(&o, 0, sizeof(o));
	o.conns = 100;
	o.rate = 50;
	o.size = 300;
	o.seconds = 10;
	o.warmup = 2;
	o.drain = 2;
	o.connect_timeout = 30;
	o.ramp = 100;
	o.tick_us = 250;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'u': url = optarg; break;
		case 'c': o.conns = atoi(optarg); break;
		case 'r': o.rate = atof(optarg); break;
		case 's': o.size = atoi(optarg); break;
		case 't': o.seconds = atof(optarg); break;
		case 'w': o.warmup = atof(optarg); break;
		case 'd': o.drain = atof(optarg); break;
		case 'R': o.ramp = atoi(optarg); break;
		case 'T': o.tick_us = atoi(optarg); break;
		case 'C': o.connect_timeout = atof(optarg); break;
		case 'p': o.server_pid = (pid_t)atoi(optarg); break;
		case 'j': o.json = 1; break;
		case 'q': o.quiet = 1; break;
		case 'S': self_test = 1; break;
		case 'E': echo_port = atoi(optarg); break;
		case 'h': wl_usage(stdout); return (0);
		default: wl_usage(stderr); return (2);
		}
	}
	if (RAND_bytes((unsigned char *)&seed, sizeof(seed)) == 1)
		wsc_seed(seed);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = wl_on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (self_test)
		return (wl_self_test());
	if (echo_port >= 0) {
		if (echo_port > 65535) {
			wl_usage(stderr);
			return (2);
		}
		(void)wl_raise_nofile(8192);	/* best effort */
		return (wl_echo_server(echo_port));
	}
	if (url == NULL || wl_parse_url(url, &o) == -1) {
		wl_usage(stderr);
		return (2);
	}
	if (o.conns < 1 || o.conns > 1000000 || o.rate <= 0 || o.rate > 1e6 ||
	    o.size < WL_HEAD_LEN || o.size > WL_MAX_FRAME || o.seconds <= 0 ||
	    o.warmup < 0 || o.drain < 0 || o.ramp < 1 || o.tick_us < 10 ||
	    o.tick_us > 999999 || o.connect_timeout <= 0) {
		fprintf(stderr, "ws_load: bad option value (size must be at "
		    "least %d)\n", WL_HEAD_LEN);
		return (2);
	}
	if (wl_raise_nofile(o.conns) == -1)
		fprintf(stderr, "ws_load: cannot raise the open-file limit "
		    "to %d; raise ulimit -n\n", o.conns + 64);
	if (wl_run_load(&o, &r) == -1)
		return (2);
	wl_report(&o, &r);
	free(r.hist);
	return (r.opened == o.conns && r.sent > 0 ? 0 : 1);
}
