/*
 * Protocol tests for the network layer over real loopback sockets: the
 * listener's HTTP/1.1 (pipelining, keep-alive, chunked bodies,
 * 100-continue, refusals, repeated headers, HEAD), its WebSocket upgrades
 * and frames from a raw client written by hand, and our WebSocket client
 * against a fake server run in this process on a raw listening socket.
 * The test thread is the core thread: it drives the core loop in short
 * slices, and every wait has a deadline. The two cases that wait for the
 * daemon's own timers (30 s idle, 10 s connect) run only when
 * VG_TEST_SLOW is set.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <voicegate/voicegate.h>

#include "core.h"
#include "net.h"
#include "vg_test.h"
#include "vg_testlib.h"

#define MAX_BODY	1000	/* the listener's body limit here */
#define MAX_MSG		1000	/* and its WebSocket message limit */
#define NCONNS		200	/* connections at once */
#define IDLE_WAIT_MS	40000	/* the 30 s idle timeout, and some */
#define CONNECT_WAIT_MS	15000	/* the 10 s connect timeout, and some */
#define RFC_KEY		"dGhlIHNhbXBsZSBub25jZQ=="	/* RFC 6455 1.3 */
#define RFC_ACCEPT	"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

static struct vg_module mod_a = { .name = "mod_a", .state = VG_MOD_RUNNING };
static struct vg_module mod_b = { .name = "mod_b", .state = VG_MOD_RUNNING };

/* ---- the core and the listener ---- */

/* Start the core (once) and the listener on an ephemeral port. */
static int
net_up(size_t max_body, size_t max_msg)
{
	static int core_up;
	struct vg_settings s;

	if (!core_up) {
		if (getenv("VG_TEST_DEBUG") != NULL)
			vg_log_set_level(VG_LOG_DEBUG);
		if (vg_core_init() == -1)
			return (-1);
		core_up = 1;
	}
	vg_settings_defaults(&s);
	vg_strlcpy(s.listen_addr, "127.0.0.1", sizeof(s.listen_addr));
	s.listen_port = 0;
	s.max_body = max_body;
	s.max_ws_message = max_msg;
	s.max_send_queue = 1 << 20;
	if (vg_net_start(&s) == -1)
		return (-1);
	return (vg_net_port() > 0 ? 0 : -1);
}

/* Release both test modules and stop the listener. */
static void
net_down(void)
{
	vg_net_release_owner(&mod_a);
	vg_net_release_owner(&mod_b);
	vg_net_stop();
}

/* Run the core loop until DONE(ARG) or MS milliseconds (for the cases
 * that outlast VG_TEST_WAIT_MS). Returns 1 when done. */
static int
pump_until_ms(int (*done)(void *), void *arg, int ms)
{
	uint64_t end = vg_now_ms() + (uint64_t)ms;

	while (!done(arg)) {
		if (vg_now_ms() > end)
			return (0);
		pump_ms(20);
	}
	return (1);
}

/* True when the slow cases should run; says so when they do not. */
static int
slow_ok(const char *what)
{
	if (getenv("VG_TEST_SLOW") != NULL)
		return (1);
	fprintf(stderr, "  skipped (%s): set VG_TEST_SLOW=1 to run\n", what);
	return (0);
}

/* ---- raw sockets ---- */

struct raw {
	int	 fd;
	char	 buf[1 << 16];
	size_t	 len;
	int	 eof;
	int	 no_body;	/* the next answer is to a HEAD */
};

/* One HTTP response as raw_recv() took it. */
struct resp {
	int	 status;
	char	 head[4096];	/* status line and headers, CRLF-ended */
	char	 body[4096];
	size_t	 body_len;	/* bytes of body that arrived */
	size_t	 clen;		/* its Content-Length */
};

/* Connect R to the listener (blocking connect, then non-blocking). */
static int
raw_open(struct raw *r)
{
	int one = 1;

	memset(r, 0, sizeof(*r));
	if ((r->fd = tcp_open(0)) == -1)
		return (-1);
	setsockopt(r->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return (0);
}

/* Write all N bytes at P, running the loop while the socket is full. */
static int
raw_send(struct raw *r, const void *p, size_t n)
{
	const char *s = p;
	uint64_t end = vg_now_ms() + VG_TEST_WAIT_MS;
	ssize_t w;

	while (n > 0) {
		w = write(r->fd, s, n);
		if (w > 0) {
			s += w;
			n -= (size_t)w;
			continue;
		}
		if (w == -1 && (errno == EAGAIN || errno == EINTR) &&
		    vg_now_ms() < end) {
			pump_ms(1);
			continue;
		}
		return (-1);
	}
	return (0);
}

/* Write the string S. */
static int
raw_puts(struct raw *r, const char *s)
{
	return (raw_send(r, s, strlen(s)));
}

/* Read what has arrived into R's buffer. */
static void
raw_fill(struct raw *r)
{
	ssize_t n;

	while (r->len < sizeof(r->buf) - 1) {
		n = read(r->fd, r->buf + r->len, sizeof(r->buf) - 1 - r->len);
		if (n > 0) {
			r->len += (size_t)n;
			r->buf[r->len] = '\0';
			continue;
		}
		if (n == 0)
			r->eof = 1;
		break;
	}
}

/* Drop the first N bytes of R's buffer. */
static void
raw_consume(struct raw *r, size_t n)
{
	memmove(r->buf, r->buf + n, r->len - n);
	r->len -= n;
	r->buf[r->len] = '\0';
}

/* Pump predicate: the peer closed R. */
static int
raw_eof(void *arg)
{
	struct raw *r = arg;

	raw_fill(r);
	return (r->eof);
}

/* The length of the first response head in R (0: not all in), and its
 * Content-Length in *CLEN (0 when absent or the answer is to a HEAD). */
static size_t
raw_head_len(const struct raw *r, size_t *clen)
{
	const char *end, *cl;

	*clen = 0;
	if ((end = strstr(r->buf, "\r\n\r\n")) == NULL)
		return (0);
	if (!r->no_body && (cl = strcasestr(r->buf, "\r\ncontent-length:")) !=
	    NULL && cl < end)
		*clen = strtoul(cl + 17, NULL, 10);
	return ((size_t)(end - r->buf) + 4);
}

/* Pump predicate: a whole response is in, or the peer closed. */
static int
raw_resp_done(void *arg)
{
	struct raw *r = arg;
	size_t h, cl;

	raw_fill(r);
	h = raw_head_len(r, &cl);
	return ((h > 0 && r->len >= h + cl) || r->eof);
}

/* Wait for one response on R and take it into RS (as much of its body as
 * came, if the peer closed first). Returns its status, or -1. */
static int
raw_recv(struct raw *r, struct resp *rs)
{
	size_t h, cl, n;

	memset(rs, 0, sizeof(*rs));
	rs->status = -1;
	if (!pump_until_cb(raw_resp_done, r) ||
	    (h = raw_head_len(r, &cl)) == 0 ||
	    sscanf(r->buf, "HTTP/1.%*d %d", &rs->status) != 1)
		return (-1);
	rs->clen = cl;
	snprintf(rs->head, sizeof(rs->head), "%.*s", (int)(h - 2), r->buf);
	n = r->len - h < cl ? r->len - h : cl;
	rs->body_len = n;
	memcpy(rs->body, r->buf + h, n < sizeof(rs->body) - 1 ? n :
	    sizeof(rs->body) - 1);
	raw_consume(r, h + n);
	r->no_body = 0;
	return (rs->status);
}

/* Send REQ on R and take one response into RS. Returns its status. */
static int
raw_ask(struct raw *r, const char *req, struct resp *rs)
{
	if (raw_puts(r, req) == -1)
		return (-1);
	return (raw_recv(r, rs));
}

/* Header NAME of response RS ("" when absent), in a static buffer. */
static const char *
resp_hdr(const struct resp *rs, const char *name)
{
	static char v[256];

	return (http_header(rs->head, name, v, sizeof(v)));
}

/* ---- WebSocket frames by hand ---- */

/* One frame as ws_get() took it, unmasked. */
struct frame {
	int		 fin;
	int		 op;
	int		 masked;
	unsigned char	 key[4];
	size_t		 len;
	unsigned char	 data[70000];
};

/* Write one frame: first byte B0 (FIN, RSV, opcode), LEN bytes of DATA,
 * masked with a fixed non-zero key when MASKED. */
static int
ws_put(struct raw *r, unsigned b0, const void *data, size_t len, int masked)
{
	static const unsigned char key[4] = { 0x37, 0xfa, 0x21, 0x3d };
	const unsigned char *d = data;
	unsigned char *f, m = masked ? 0x80 : 0;
	size_t h = 0, i;
	int rc;

	f = vg_xmalloc(len + 14);
	f[h++] = (unsigned char)b0;
	if (len < 126)
		f[h++] = m | (unsigned char)len;
	else if (len <= 0xffff) {
		f[h++] = m | 126;
		f[h++] = (unsigned char)(len >> 8);
		f[h++] = (unsigned char)len;
	} else {
		f[h++] = m | 127;
		for (i = 0; i < 8; i++)
			f[h++] = (unsigned char)((uint64_t)len >> (56 - 8 * i));
	}
	if (masked) {
		memcpy(f + h, key, 4);
		h += 4;
	}
	for (i = 0; i < len; i++)
		f[h + i] = d[i] ^ (masked ? key[i & 3] : 0);
	rc = raw_send(r, f, h + len);
	free(f);
	return (rc);
}

/* A close frame's payload: CODE then REASON, into OUT. Returns its
 * length. */
static size_t
close_payload(unsigned char *out, int code, const char *reason)
{
	out[0] = (unsigned char)(code >> 8);
	out[1] = (unsigned char)code;
	memcpy(out + 2, reason, strlen(reason));
	return (2 + strlen(reason));
}

/* True when a whole frame is at the start of R: its header's length in
 * *HL and its payload's in *PL. */
static int
frame_whole(const struct raw *r, size_t *hl, uint64_t *pl)
{
	const unsigned char *p = (const unsigned char *)r->buf;
	uint64_t n;
	size_t h = 2, i;

	if (r->len < 2)
		return (0);
	n = p[1] & 0x7f;
	if (n == 126)
		h += 2;
	else if (n == 127)
		h += 8;
	if (p[1] & 0x80)
		h += 4;
	if (r->len < h)
		return (0);
	if (n == 126)
		n = (uint64_t)p[2] << 8 | p[3];
	else if (n == 127)
		for (n = 0, i = 2; i < 10; i++)
			n = n << 8 | p[i];
	*hl = h;
	*pl = n;
	return (r->len >= h + n);
}

/* Pump predicate: a whole frame is in R, or the peer closed. */
static int
frame_ready(void *arg)
{
	struct raw *r = arg;
	size_t hl;
	uint64_t pl;

	raw_fill(r);
	return (frame_whole(r, &hl, &pl) || r->eof);
}

/* Wait for the next frame on R and take it into F, unmasked. Returns 1,
 * or 0 when none came (the deadline, or the peer closed). */
static int
ws_get(struct raw *r, struct frame *f)
{
	const unsigned char *p = (const unsigned char *)r->buf;
	size_t hl, i;
	uint64_t pl;

	if (!pump_until_cb(frame_ready, r) || !frame_whole(r, &hl, &pl) ||
	    pl > sizeof(f->data))
		return (0);
	f->fin = p[0] >> 7;
	f->op = p[0] & 0x0f;
	f->masked = p[1] >> 7;
	if (f->masked)
		memcpy(f->key, p + hl - 4, 4);
	f->len = (size_t)pl;
	for (i = 0; i < f->len; i++)
		f->data[i] = p[hl + i] ^ (f->masked ? f->key[i & 3] : 0);
	raw_consume(r, hl + f->len);
	return (1);
}

/* The close code in close frame F (1005 when it carries none). */
static int
frame_code(const struct frame *f)
{
	return (f->len >= 2 ? f->data[0] << 8 | f->data[1] : 1005);
}

/* Upgrade R to a WebSocket on PATH with the RFC's sample key. Returns the
 * answer's status (the bytes after the answer stay in R). */
static int
raw_ws_open(struct raw *r, const char *path)
{
	struct resp rs;
	char req[512];

	if (raw_open(r) == -1)
		return (-1);
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: t\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: " RFC_KEY "\r\n"
	    "Sec-WebSocket-Version: 13\r\n\r\n", path);
	return (raw_ask(r, req, &rs));
}

/* ---- HTTP handlers ---- */

/* What a route handler saw. */
struct seen {
	int			 calls;
	char			 method[16];
	char			 path[256];
	char			 xtest[256];
	char			 auth[256];
	char			 body[2048];
	size_t			 body_len;
	struct vg_http_req	*held;
};

/* Record REQ into S. */
static void
seen_record(struct seen *s, struct vg_http_req *req)
{
	const char *v, *b;
	size_t n;

	s->calls++;
	vg_strlcpy(s->method, vg_http_req_method(req), sizeof(s->method));
	vg_strlcpy(s->path, vg_http_req_path(req), sizeof(s->path));
	v = vg_http_req_header(req, "x-test");
	vg_strlcpy(s->xtest, v != NULL ? v : "(none)", sizeof(s->xtest));
	v = vg_http_req_header(req, "authorization");
	vg_strlcpy(s->auth, v != NULL ? v : "(none)", sizeof(s->auth));
	b = vg_http_req_body(req, &n);
	s->body_len = n;
	memcpy(s->body, b, n < sizeof(s->body) - 1 ? n : sizeof(s->body) - 1);
	s->body[n < sizeof(s->body) - 1 ? n : sizeof(s->body) - 1] = '\0';
}

/* Record, and answer 200 with the body, or the path when none. */
static void
h_rec(struct vg_http_req *req, void *arg)
{
	struct seen *s = arg;
	const char *b;
	size_t n;

	seen_record(s, req);
	b = vg_http_req_body(req, &n);
	if (n == 0) {
		b = vg_http_req_path(req);
		n = strlen(b);
	}
	vg_http_respond(req, 200, "text/plain", b, n);
}

/* Record, and keep the request to answer later. */
static void
h_hold(struct vg_http_req *req, void *arg)
{
	struct seen *s = arg;

	seen_record(s, req);
	s->held = req;
}

/* Record; 200 for "Authorization: Bearer secret", else 401. */
static void
h_auth(struct vg_http_req *req, void *arg)
{
	struct seen *s = arg;

	seen_record(s, req);
	if (strcmp(s->auth, "Bearer secret") == 0)
		vg_http_respond(req, 200, "text/plain", "ok", 2);
	else
		vg_http_respond_error(req, 401, "unauthorized");
}

/* Answer 200 with ten bytes. */
static void
h_doc(struct vg_http_req *req, void *arg)
{
	seen_record(arg, req);
	vg_http_respond(req, 200, "text/plain", "0123456789", 10);
}

/* Pump predicate: a handler ran. */
static int
seen_called(void *arg)
{
	return (((struct seen *)arg)->calls > 0);
}

/* ---- WebSocket handlers ---- */

/* ---- cases: HTTP/1.1 connections ---- */

/* Two requests in one write get two answers, in order. */
static void
t_pipelined(void)
{
	struct seen s = { 0 };
	struct resp rs;
	struct raw r;

	VG_CHECK(net_up(MAX_BODY, MAX_MSG) == 0);
	VG_CHECK(vg_http_route(&mod_a, "GET", "/n/*", h_rec, &s) == 0);
	VG_CHECK(raw_open(&r) == 0);
	VG_CHECK(raw_puts(&r, "GET /n/one HTTP/1.1\r\nHost: t\r\n\r\n"
	    "GET /n/two HTTP/1.1\r\nHost: t\r\n\r\n") == 0);
	VG_CHECK_INT(raw_recv(&r, &rs), 200);
	VG_CHECK_STR(rs.body, "/n/one");
	VG_CHECK_STR(resp_hdr(&rs, "Connection"), "keep-alive");
	VG_CHECK_INT(raw_recv(&r, &rs), 200);
	VG_CHECK_STR(rs.body, "/n/two");
	VG_CHECK_INT(s.calls, 2);
	/* and the connection still serves */
	VG_CHECK_INT(raw_ask(&r, "GET /n/three HTTP/1.1\r\nHost: t\r\n\r\n",
	    &rs), 200);
	VG_CHECK_STR(rs.body, "/n/three");
	close(r.fd);
	net_down();
}

/* A request pipelined behind one the handler answers later waits for
 * that answer, and the answers keep their order. */
static void
t_pipelined_deferred(void)
{
	struct seen s1 = { 0 }, s2 = { 0 };
	struct resp rs;
	struct raw r;

	VG_CHECK(net_up(MAX_BODY, MAX_MSG) == 0);
	VG_CHECK(vg_http_route(&mod_a, "GET", "/hold", h_hold, &s1) == 0);
	VG_CHECK(vg_http_route(&mod_a, "GET", "/next", h_rec, &s2) == 0);
	VG_CHECK(raw_open(&r) == 0);
	VG_CHECK(raw_puts(&r, "GET /hold HTTP/1.1\r\nHost: t\r\n\r\n"
	    "GET /next HTTP/1.1\r\nHost: t\r\n\r\n") == 0);
	VG_CHECK(pump_until_cb(seen_called, &s1));
	pump_ms(100);
	raw_fill(&r);
	VG_CHECK_INT(s2.calls, 0);	/* not dispatched yet */
	VG_CHECK_INT(r.len, 0);		/* nothing answered yet */
	VG_CHECK(s1.held != NULL);
	if (s1.held != NULL)
		VG_CHECK_INT(vg_http_respond(s1.held, 200, "text/plain",
		    "held", 4), 0);
	VG_CHECK_INT(raw_recv(&r, &rs), 200);
	VG_CHECK_STR(rs.body, "held");
	VG_CHECK_INT(raw_recv(&r, &rs), 200);
	VG_CHECK_STR(rs.body, "/next");
	VG_CHECK_INT(s2.calls, 1);
	close(r.fd);
	net_down();
}

/*
 * "Connection: close" closes after the answer; a request pipelined after
 * it is never read (RFC 9112 9.6: no further requests are processed).
 * The listener used to go on to the next request and answer it too.
 */
static void
t_connection_close(void)
{
	struct seen s = { 0 };
	struct resp rs;
	struct raw r;

	VG_CHECK(net_up(MAX_BODY, MAX_MSG) == 0);
	VG_CHECK(vg_http_route(&mod_a, "GET", "/n/*", h_rec, &s) == 0);
	VG_CHECK(raw_open(&r) == 0);
	VG_CHECK(raw_puts(&r, "GET /n/one HTTP/1.1\r\nHost: t\r\n"
	    "Connection: close\r\n\r\n"
	    "GET /n/two HTTP/1.1\r\nHost: t\r\n\r\n") == 0);
	VG_CHECK_INT(raw_recv(&r, &rs), 200);
	VG_CHECK_STR(rs.body, "/n/one");
	VG_CHECK_STR(resp_hdr(&rs, "Connection"), "close");
	VG_CHECK(pump_until_cb(raw_eof, &r));
	VG_CHECK_INT(r.len, 0);		/* no second answer */
	VG_CHECK_INT(s.calls, 1);
	close(r.fd);
	net_down();
}

/* HTTP/1.0 closes after the answer unless it asks for keep-alive. */
static void
t_http10(void)
{
	struct seen s = { 0 };
	struct resp rs;
	struct raw r;

	VG_CHECK(net_up(MAX_BODY, MAX_MSG) == 0);
	VG_CHECK(vg_http_route(&mod_a, "GET", "/n/*", h_rec, &s) == 0);
	VG_CHECK(raw_open(&r) == 0);
	VG_CHECK_INT(raw_ask(&r, "GET /n/old HTTP/1.0\r\n\r\n", &rs), 200);
	VG_CHECK_STR(rs.body, "/n/old");
	VG_CHECK_STR(resp_hdr(&rs, "Connection"), "close");
	VG_CHECK(pump_until_cb(raw_eof, &r));
	close(r.fd);
	/* with keep-alive it stays open */
	VG_CHECK(raw_open(&r) == 0);
	VG_CHECK_INT(raw_ask(&r, "GET /n/a HTTP/1.0\r\n"
	    "Connection: keep-alive\r\n\r\n", &rs), 200);
	VG_CHECK_STR(resp_hdr(&rs, "Connection"), "keep-alive");
	VG_CHECK_INT(raw_ask(&r, "GET /n/b HTTP/1.0\r\n"
	    "Connection: keep-alive\r\n\r\n", &rs), 200);
	VG_CHECK_STR(rs.body, "/n/b");
	VG_CHECK_INT(s.calls, 3);
	close(r.fd);
	net_down();
}

/* ---- cases: request bodies ---- */

static const char chunked_req[] =
    "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
    "5;name=value\r\nhello\r\n"
    "7\r\n, world\r\n"
    "1 ;x\r\n!\r\n"
    "0\r\nX-Trailer: yes\r\n\r\n";

/* A chunked body (extensions, a trailer) reaches the handler whole, sent
 * at once or a few bytes at a time, and the connection serves on. */
static void
t_chunked(void)
{
	struct seen s = { 0 };
	struct resp rs;
	struct raw r;
	size_t i, n = strlen(chunked_req), step;

	VG_CHECK(net_up(MAX_BODY, MAX_MSG) == 0);
	VG_CHECK(vg_http_route(&mod_a, "POST", "/echo", h_rec, &s) == 0);
	VG_CHECK(vg_http_route(&mod_a, "GET", "/n/*", h_rec, &s) == 0);
	VG_CHECK(raw_open(&r) == 0);
	VG_CHECK_INT(raw_ask(&r, chunked_req, &rs), 200);
	VG_CHECK_STR(s.body, "hello, world!");
	VG_CHECK_INT(s.body_len, 13);
	VG_CHECK_STR(rs.body, "hello, world!");
	/* three bytes at a time, each read on its own */
	for (i = 0; i < n; i += step) {
		step = n - i < 3 ? n - i : 3;
		VG_CHECK(raw_send(&r, chunked_req + i, step) == 0);
		pump_ms(2);
	}
	VG_CHECK_INT(raw_recv(&r, &rs), 200);
	VG_CHECK_STR(rs.body, "hello, world!");
	VG_CHECK_INT(s.body_len, 13);
	/* the body ended where it should: the next request is read */
	VG_CHECK_INT(raw_ask(&r, "GET /n/after HTTP/1.1\r\nHost: t\r\n\r\n",
	    &rs), 200);
	VG_CHECK_STR(rs.body, "/n/after");
	VG_CHECK_INT(s.calls, 3);
	close(r.fd);
	net_down();
}

/* Send REQ on a fresh connection; expect STATUS with a JSON error body,
 * "Connection: close", and the connection closed. */
static void
expect_refusal(const char *req, int status)
{
	struct resp rs;
	struct raw r;
	int got;

	VG_CHECK(raw_open(&r) == 0);
	got = raw_ask(&r, req, &rs);
	if (got != status)
		fprintf(stderr, "  request \"%.60s\": %d, not %d\n", req, got,
		    status);
	VG_CHECK_INT(got, status);
	VG_CHECK_STR(resp_hdr(&rs, "Content-Type"), "application/json");
	VG_CHECK_STR(resp_hdr(&rs, "Connection"), "close");
	VG_CHECK(strncmp(rs.body, "{\"error\":\"", 10) == 0);
	VG_CHECK_INT(rs.body_len, rs.clen);
	VG_CHECK(pump_until_cb(raw_eof, &r));
	close(r.fd);
}

/* A malformed chunked body gets 400 and is never delivered. */
static void
t_chunked_bad(void)
{
	struct seen s = { 0 };

	VG_CHECK(net_up(MAX_BODY, MAX_MSG) == 0);
	VG_CHECK(vg_http_route(&mod_a, "POST", "/echo", h_rec, &s) == 0);
	expect_refusal("POST /echo HTTP/1.1\r\nHost: t\r\n"
	    "Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", 400);
	/* no CRLF after the chunk's data */
	expect_refusal("POST /echo HTTP/1.1\r\nHost: t\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n3\r\nabcdef\r\n0\r\n\r\n", 400);
	VG_CHECK_INT(s.calls, 0);
	net_down();
}

/* A chunked body over max_body gets 413 (counted); one of exactly
 * max_body is delivered. */
static void
t_chunked_413(void)
{
	struct seen s = { 0 };
	struct vg_net_stats st;
	struct resp rs;
	struct raw r;
	char *req;
	size_t n;

	VG_CHECK(net_up(MAX_BODY, MAX_MSG) == 0);
	VG_CHECK(vg_http_route(&mod_a, "POST", "/echo", h_rec, &s) == 0);
	req = vg_xmalloc(4096);
	n = (size_t)snprintf(req, 4096, "POST /echo HTTP/1.1\r\nHost: t\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n%x\r\n", MAX_BODY + 24);
	memset(req + n, 'c', MAX_BODY + 24);
	n += MAX_BODY + 24;
	snprintf(req + n, 4096 - n, "\r\n0\r\n\r\n");
	expect_refusal(req, 413);
	VG_CHECK_INT(s.calls, 0);
	vg_net_stats(&st);
	VG_CHECK_INT(st.oversize, 1);
	/* over the limit only across chunks */
	n = (size_t)snprintf(req, 4096, "POST /echo HTTP/1.1\r\nHost: t\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n%x\r\n", MAX_BODY);
	memset(req + n, 'c', MAX_BODY);
	n += MAX_BODY;
	snprintf(req + n, 4096 - n, "\r\n1\r\nc\r\n0\r\n\r\n");
	expect_refusal(req, 413);
	VG_CHECK_INT(s.calls, 0);
	/* exactly the limit is fine */
	n = (size_t)snprintf(req, 4096, "POST /echo HTTP/1.1\r\nHost: t\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n%x\r\n", MAX_BODY);
	memset(req + n, 'c', MAX_BODY);
	n += MAX_BODY;
	snprintf(req + n, 4096 - n, "\r\n0\r\n\r\n");
	VG_CHECK(raw_open(&r) == 0);
	VG_CHECK_INT(raw_ask(&r, req, &rs), 200);
	VG_CHECK_INT(s.body_len, MAX_BODY);
	close(r.fd);
	free(req);
	net_down();
}

/* "Expect: 100-continue" without the body gets 100 Continue first, then
 * the answer once the body came; with the body already there, no 100. */
static void
t_expect_continue(void)
{
	struct seen s = { 0 };
	struct resp rs;
	struct raw r;

	VG_CHECK(net_up(MAX_BODY, MAX_MSG) == 0);
	VG_CHECK(vg_http_route(&mod_a, "POST", "/echo", h_rec, &s) == 0);
	VG_CHECK(raw_open(&r) == 0);
	VG_CHECK_INT(raw_ask(&r, "POST /echo HTTP/1.1\r\nHost: t\r\n"
	    "Content-Length: 5\r\nExpect: 100-continue\r\n\r\n", &rs), 100);
	VG_CHECK(strncmp(rs.head, "HTTP/1.1 100 Continue\r\n", 23) == 0);
	VG_CHECK_INT(rs.body_len, 0);
	VG_CHECK_INT(s.calls, 0);
	VG_CHECK_INT(raw_ask(&r, "hello", &rs), 200);
	VG_CHECK_STR(rs.body, "hello");
	VG_CHECK_INT(s.calls, 1);
	/* the body in the same write: the answer comes straight */
	VG_CHECK_INT(raw_ask(&r, "POST /echo HTTP/1.1\r\nHost: t\r\n"
	    "Content-Length: 5\r\nExpect: 100-continue\r\n\r\nagain", &rs),
	    200);
	VG_CHECK_STR(rs.body, "again");
	/* chunked, body not sent yet */
	VG_CHECK_INT(raw_ask(&r, "POST /echo HTTP/1.1\r\nHost: t\r\n"
	    "Transfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n",
	    &rs), 100);
	VG_CHECK_INT(raw_ask(&r, "3\r\nabc\r\n0\r\n\r\n", &rs), 200);
	VG_CHECK_STR(rs.body, "abc");
	VG_CHECK_INT(s.calls, 3);
	close(r.fd);
	net_down();
}

/* ---- cases: refusals ---- */

/* A garbage request line: 400 {"error":"bad request line"}, closed. */
static void
t_bad_request_line(void)
{
	struct resp rs;
	struct raw r;

	VG_CHECK(net_up(MAX_BODY, MAX_MSG) == 0);
	expect_refusal("HELLO\r\n\r\n", 400);
	expect_refusal("GET /x HTTP/9.9\r\n\r\n", 400);
	expect_refusal("GET /x HTTP/1.1\r\nNo colon here\r\n\r\n", 400);
	VG_CHECK(raw_open(&r) == 0);
	VG_CHECK_INT(raw_ask(&r, "GARBAGE\r\n\r\n", &rs), 400);
	VG_CHECK_STR(rs.body, "{\"error\":\"bad request line\"}");
	close(r.fd);
	net_down();
}

/* A head over 16 KiB that has not ended: 431. */
static void
t_head_431(void)
{
	char *req;
	size_t n;

	VG_CHECK(net_up(MAX_BODY, MAX_MSG) == 0);
	req = vg_xmalloc(20000);
	n = (size_t)snprintf(req, 20000, "GET / HTTP/1.1\r\nX-Big: ");
	memset(req + n, 'a', 17000);
	req[n + 17000] = '\0';
	expect_refusal(req, 431);
	free(req);
	net_down();
}

/*
 * A head over NET_HEAD_MAX that arrives whole gets 431 too, the same as
 * one that arrives in pieces (the size used to be checked only while the
 * head was incomplete).
 */
static void
t_head_431_complete(void)
{
	struct seen s = { 0 };
	char *req;
	size_t n;

	VG_CHECK(net_up(MAX_BODY, MAX_MSG) == 0);
	VG_CHECK(vg_http_route(&mod_a, "GET", "/doc", h_doc, &s) == 0);
	req = vg_xmalloc(24000);
	n = (size_t)snprintf(req, 24000, "GET /doc HTTP/1.1\r\nX-Big: ");
	memset(req + n, 'a', 20000);
	n += 20000;
	snprintf(req + n, 24000 - n, "\r\n\r\n");
	expect_refusal(req, 431);
	VG_CHECK_INT(s.calls, 0);
	free(req);
	net_down();
}

/* A method we do not serve: 405. */
static void
t_method_405(void)
{
	VG_CHECK(net_up(MAX_BODY, MAX_MSG) == 0);
	expect_refusal("BREW /pot HTTP/1.1\r\nHost: t\r\n\r\n", 405);
	net_down();
}

/* A transfer coding other than chunked: 501. */
static void
t_te_501(void)
{
	VG_CHECK(net_up(MAX_BODY, MAX_MSG) == 0);
	expect_refusal("POST /echo HTTP/1.1\r\nHost: t\r\n"
	    "Transfer-Encoding: gzip\r\n\r\n", 501);
	expect_refusal("POST /echo HTTP/1.1\r\nHost: t\r\n"
	    "Transfer-Encoding: gzip, chunked\r\n\r\n", 501);
	net_down();
}

/* Both Content-Length and Transfer-Encoding: 400. */
static void
t_cl_and_te_400(void)
{
	struct seen s = { 0 };

	VG_CHECK(net_up(MAX_BODY, MAX_MSG) == 0);
	VG_CHECK(vg_http_route(&mod_a, "POST", "/echo", h_rec, &s) == 0);
	expect_refusal("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 400);
	VG_CHECK_INT(s.calls, 0);
	net_down();
}

/* Two Content-Length headers are joined into one invalid value: 400,
 * whether they differ or not; so is a bad one. */
static void
t_two_content_lengths(void)
{
	struct seen s = { 0 };

	VG_CHECK(net_up(MAX_BODY, MAX_MSG) == 0);
	VG_CHECK(vg_http_route(&mod_a, "POST", "/echo", h_rec, &s) == 0);
	expect_refusal("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
	    "Content-Length: 6\r\n\r\nhello!", 400);
	expect_refusal("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
	    "Content-Length: 5\r\n\r\nhello", 400);
	expect_refusal("POST /echo HTTP/1.1\r\nHost: t\r\n"
	    "Content-Length: +5\r\n\r\nhello", 400);
	VG_CHECK_INT(s.calls, 0);
	net_down();
}

/* A bad percent escape, a ".." segment (plain or escaped) or a target
 * that is not a path: 400, never routed. */
static void
t_bad_path(void)
{
	struct seen s = { 0 };

	VG_CHECK(net_up(MAX_BODY, MAX_MSG) == 0);
	VG_CHECK(vg_http_route(&mod_a, "GET", "/*", h_rec, &s) == 0);
	expect_refusal("GET /a%zz HTTP/1.1\r\nHost: t\r\n\r\n", 400);
	expect_refusal("GET /a%4 HTTP/1.1\r\nHost: t\r\n\r\n", 400);
	expect_refusal("GET /a/../b HTTP/1.1\r\nHost: t\r\n\r\n", 400);
	expect_refusal("GET /a/%2e%2e/b HTTP/1.1\r\nHost: t\r\n\r\n", 400);
	expect_refusal("GET /.. HTTP/1.1\r\nHost: t\r\n\r\n", 400);
	expect_refusal("GET /a%00b HTTP/1.1\r\nHost: t\r\n\r\n", 400);
	expect_refusal("GET relative HTTP/1.1\r\nHost: t\r\n\r\n", 400);
	VG_CHECK_INT(s.calls, 0);
	net_down();
}

/* ---- cases: headers and HEAD ---- */

/* A repeated header reads as "a, b"; two Authorization headers are joined
 * too, so a Bearer check fails. */
static void
t_repeated_headers(void)
{
	struct seen s = { 0 }, a = { 0 };
	struct resp rs;
	struct raw r;

	VG_CHECK(net_up(MAX_BODY, MAX_MSG) == 0);
	VG_CHECK(vg_http_route(&mod_a, "GET", "/n/*", h_rec, &s) == 0);
	VG_CHECK(vg_http_route(&mod_a, "GET", "/auth", h_auth, &a) == 0);
	VG_CHECK(raw_open(&r) == 0);
	VG_CHECK_INT(raw_ask(&r, "GET /n/x HTTP/1.1\r\nHost: t\r\n"
	    "X-Test: a\r\nx-test: b\r\n\r\n", &rs), 200);
	VG_CHECK_STR(s.xtest, "a, b");
	VG_CHECK_INT(raw_ask(&r, "GET /auth HTTP/1.1\r\nHost: t\r\n"
	    "Authorization: Bearer secret\r\n\r\n", &rs), 200);
	VG_CHECK_STR(a.auth, "Bearer secret");
	VG_CHECK_INT(raw_ask(&r, "GET /auth HTTP/1.1\r\nHost: t\r\n"
	    "Authorization: Bearer secret\r\n"
	    "Authorization: Bearer secret\r\n\r\n", &rs), 401);
	VG_CHECK_STR(a.auth, "Bearer secret, Bearer secret");
	VG_CHECK_INT(raw_ask(&r, "GET /auth HTTP/1.1\r\nHost: t\r\n"
	    "Authorization: Bearer wrong\r\n"
	    "Authorization: Bearer secret\r\n\r\n", &rs), 401);
	VG_CHECK_INT(a.calls, 3);
	close(r.fd);
	net_down();
}

/* HEAD: the body's Content-Length, no body bytes; the connection then
 * serves a GET whose answer starts where it should. */
static void
t_head(void)
{
	struct seen s = { 0 };
	struct resp rs;
	struct raw r;

	VG_CHECK(net_up(MAX_BODY, MAX_MSG) == 0);
	VG_CHECK(vg_http_route(&mod_a, "*", "/doc", h_doc, &s) == 0);
	VG_CHECK(raw_open(&r) == 0);
	r.no_body = 1;
	VG_CHECK_INT(raw_ask(&r, "HEAD /doc HTTP/1.1\r\nHost: t\r\n\r\n",
	    &rs), 200);
	VG_CHECK_STR(resp_hdr(&rs, "Content-Length"), "10");
	VG_CHECK_STR(s.method, "HEAD");
	pump_ms(100);
	raw_fill(&r);
	VG_CHECK_INT(r.len, 0);		/* no body bytes */
	VG_CHECK_INT(raw_ask(&r, "GET /doc HTTP/1.1\r\nHost: t\r\n\r\n", &rs),
	    200);
	VG_CHECK_STR(rs.body, "0123456789");
	/* HEAD of a path with no route: the 404's length, no body */
	r.no_body = 1;
	VG_CHECK_INT(raw_ask(&r, "HEAD /none HTTP/1.1\r\nHost: t\r\n\r\n",
	    &rs), 404);
	VG_CHECK(atoi(resp_hdr(&rs, "Content-Length")) > 0);
	pump_ms(100);
	raw_fill(&r);
	VG_CHECK_INT(r.len, 0);
	close(r.fd);
	net_down();
}

/*
 * The listener's own error answer to a bad request that follows a HEAD on
 * the same connection carries its body (a HEAD's "no body" used to stick
 * to the connection when the next request was refused before its method
 * was read).
 */
static void
t_error_after_head(void)
{
	struct seen s = { 0 };
	struct resp rs;
	struct raw r;

	VG_CHECK(net_up(MAX_BODY, MAX_MSG) == 0);
	VG_CHECK(vg_http_route(&mod_a, "*", "/doc", h_doc, &s) == 0);
	VG_CHECK(raw_open(&r) == 0);
	r.no_body = 1;
	VG_CHECK_INT(raw_ask(&r, "HEAD /doc HTTP/1.1\r\nHost: t\r\n\r\n",
	    &rs), 200);
	VG_CHECK_INT(raw_ask(&r, "GET /a%zz HTTP/1.1\r\nHost: t\r\n\r\n",
	    &rs), 400);
	VG_CHECK(rs.clen > 0);
	VG_CHECK_INT(rs.body_len, rs.clen);
	VG_CHECK(strncmp(rs.body, "{\"error\":", 9) == 0);
	close(r.fd);
	net_down();
}

/* ---- cases: WebSocket upgrades ---- */

/* The 101 carries the RFC's accept value for the RFC's sample key. */
static void
t_ws_upgrade_ok(void)
{
	struct wsrec w = { 0 };
	struct resp rs;
	struct raw r;

	VG_CHECK(net_up(MAX_BODY, MAX_MSG) == 0);
	VG_CHECK(vg_ws_endpoint(&mod_a, "/ws", &wsrec_handlers, &w) == 0);
	VG_CHECK(raw_open(&r) == 0);
	/* Firefox's Connection: keep-alive, Upgrade */
	VG_CHECK_INT(raw_ask(&r, "GET /ws HTTP/1.1\r\nHost: t\r\n"
	    "Upgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\n"
	    "Sec-WebSocket-Key: " RFC_KEY "\r\n"
	    "Sec-WebSocket-Version: 13\r\n\r\n", &rs), 101);
	VG_CHECK_STR(resp_hdr(&rs, "Sec-WebSocket-Accept"), RFC_ACCEPT);
	VG_CHECK(strcasecmp(resp_hdr(&rs, "Upgrade"), "websocket") == 0);
	VG_CHECK(strcasecmp(resp_hdr(&rs, "Connection"), "upgrade") == 0);
	VG_CHECK(pump_until_cb(wsrec_opened, &w));
	close(r.fd);
	VG_CHECK(pump_until_cb(wsrec_closed, &w));
	VG_CHECK_INT(w.close_code, VG_WS_CLOSE_ABNORMAL);
	net_down();
}

/* A wrong Sec-WebSocket-Version: 426 naming version 13. */
static void
t_ws_upgrade_version(void)
{
	struct wsrec w = { 0 };
	struct resp rs;
	struct raw r;

	VG_CHECK(net_up(MAX_BODY, MAX_MSG) == 0);
	VG_CHECK(vg_ws_endpoint(&mod_a, "/ws", &wsrec_handlers, &w) == 0);
	VG_CHECK(raw_open(&r) == 0);
	VG_CHECK_INT(raw_ask(&r, "GET /ws HTTP/1.1\r\nHost: t\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: " RFC_KEY "\r\n"
	    "Sec-WebSocket-Version: 8\r\n\r\n", &rs), 426);
	VG_CHECK_STR(resp_hdr(&rs, "Sec-WebSocket-Version"), "13");
	VG_CHECK(pump_until_cb(raw_eof, &r));
	close(r.fd);
	expect_refusal("GET /ws HTTP/1.1\r\nHost: t\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: " RFC_KEY "\r\n\r\n", 426);
	VG_CHECK_INT(w.opens, 0);
	net_down();
}

/* A bad Sec-WebSocket-Key, or none: 400. */
static void
t_ws_upgrade_key(void)
{
	struct wsrec w = { 0 };

	VG_CHECK(net_up(MAX_BODY, MAX_MSG) == 0);
	VG_CHECK(vg_ws_endpoint(&mod_a, "/ws", &wsrec_handlers, &w) == 0);
	expect_refusal("GET /ws HTTP/1.1\r\nHost: t\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: abc\r\nSec-WebSocket-Version: 13\r\n\r\n",
	    400);
	/* 24 characters, but not the base64 of 16 bytes */
	expect_refusal("GET /ws HTTP/1.1\r\nHost: t\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZR==\r\n"
	    "Sec-WebSocket-Version: 13\r\n\r\n", 400);
	expect_refusal("GET /ws HTTP/1.1\r\nHost: t\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Version: 13\r\n\r\n", 400);
	VG_CHECK_INT(w.opens, 0);
	net_down();
}

/* No "Connection: Upgrade", or HTTP/1.0: 400. */
static void
t_ws_upgrade_connection(void)
{
	struct wsrec w = { 0 };

	VG_CHECK(net_up(MAX_BODY, MAX_MSG) == 0);
	VG_CHECK(vg_ws_endpoint(&mod_a, "/ws", &wsrec_handlers, &w) == 0);
	expect_refusal("GET /ws HTTP/1.1\r\nHost: t\r\n"
	    "Upgrade: websocket\r\nSec-WebSocket-Key: " RFC_KEY "\r\n"
	    "Sec-WebSocket-Version: 13\r\n\r\n", 400);
	expect_refusal("GET /ws HTTP/1.1\r\nHost: t\r\n"
	    "Upgrade: websocket\r\nConnection: keep-alive\r\n"
	    "Sec-WebSocket-Key: " RFC_KEY "\r\n"
	    "Sec-WebSocket-Version: 13\r\n\r\n", 400);
	expect_refusal("GET /ws HTTP/1.0\r\nHost: t\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: " RFC_KEY "\r\n"
	    "Sec-WebSocket-Version: 13\r\n\r\n", 400);
	VG_CHECK_INT(w.opens, 0);
	net_down();
}

/* An upgrade on a path with no endpoint: 404. */
static void
t_ws_upgrade_404(void)
{
	struct wsrec w = { 0 };

	VG_CHECK(net_up(MAX_BODY, MAX_MSG) == 0);
	VG_CHECK(vg_ws_endpoint(&mod_a, "/ws", &wsrec_handlers, &w) == 0);
	expect_refusal("GET /other HTTP/1.1\r\nHost: t\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: " RFC_KEY "\r\n"
	    "Sec-WebSocket-Version: 13\r\n\r\n", 404);
	VG_CHECK_INT(w.opens, 0);
	net_down();
}

/* After stop_accepting a new connection is hung up unanswered; one
 * accepted before that is refused 503 when it asks to upgrade. */
static void
t_ws_upgrade_stop_accepting(void)
{
	static const char up[] = "GET /ws HTTP/1.1\r\nHost: t\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: " RFC_KEY "\r\n"
	    "Sec-WebSocket-Version: 13\r\n\r\n";
	struct wsrec w = { 0 };
	struct resp rs;
	struct raw early, late;

	VG_CHECK(net_up(MAX_BODY, MAX_MSG) == 0);
	VG_CHECK(vg_ws_endpoint(&mod_a, "/ws", &wsrec_handlers, &w) == 0);
	VG_CHECK(raw_open(&early) == 0);
	pump_ms(50);			/* accepted */
	vg_net_stop_accepting();
	VG_CHECK(raw_open(&late) == 0);
	VG_CHECK(raw_puts(&late, up) == 0);
	VG_CHECK(pump_until_cb(raw_eof, &late));
	VG_CHECK_INT(late.len, 0);
	close(late.fd);
	VG_CHECK_INT(raw_ask(&early, up, &rs), 503);
	VG_CHECK(strstr(rs.body, "error") != NULL);
	VG_CHECK(pump_until_cb(raw_eof, &early));
	close(early.fd);
	VG_CHECK_INT(w.opens, 0);
	net_down();
}

/* ---- cases: WebSocket frames from a raw client ---- */

/* Open a raw WebSocket R on /ws, the endpoint recording into W. */
static int
wsv_open(struct raw *r, struct wsrec *w)
{
	if (net_up(MAX_BODY, MAX_MSG) == -1 ||
	    vg_ws_endpoint(&mod_a, "/ws", &wsrec_handlers, w) == -1 ||
	    raw_ws_open(r, "/ws") != 101 || !pump_until_cb(wsrec_opened, w))
		return (-1);
	return (0);
}

/* Expect the server to close R with CODE: a close frame carrying it
 * (after any other frames), the socket closed, and the endpoint's
 * on_close with CODE. Then close R and stop. */
static void
wsv_expect(struct raw *r, struct wsrec *w, int code)
{
	struct frame *f;
	int got = 0;

	f = vg_xmalloc(sizeof(*f));
	while (!got && ws_get(r, f))
		got = f->op == 0x8;
	VG_CHECK(got);
	if (got) {
		VG_CHECK(f->fin);
		VG_CHECK(!f->masked);
		VG_CHECK_INT(frame_code(f), code);
	}
	VG_CHECK(pump_until_cb(raw_eof, r));
	VG_CHECK(pump_until_cb(wsrec_closed, w));
	VG_CHECK_INT(w->close_code, code);
	VG_CHECK_INT(w->closes, 1);
	free(f);
	close(r->fd);
	net_down();
}

/* A ping gets a pong with the same payload; the endpoint sees nothing. */
static void
t_ws_ping(void)
{
	struct wsrec w = { 0 };
	struct frame *f;
	struct raw r;

	f = vg_xmalloc(sizeof(*f));
	VG_CHECK(wsv_open(&r, &w) == 0);
	VG_CHECK(ws_put(&r, 0x89, "ping-123", 8, 1) == 0);
	VG_CHECK(ws_get(&r, f));
	VG_CHECK_INT(f->op, 0xa);
	VG_CHECK(f->fin);
	VG_CHECK(!f->masked);
	VG_CHECK_INT(f->len, 8);
	VG_CHECK(memcmp(f->data, "ping-123", 8) == 0);
	VG_CHECK(ws_put(&r, 0x89, "", 0, 1) == 0);
	VG_CHECK(ws_get(&r, f));
	VG_CHECK_INT(f->op, 0xa);
	VG_CHECK_INT(f->len, 0);
	/* a pong from the client is ignored */
	VG_CHECK(ws_put(&r, 0x8a, "x", 1, 1) == 0);
	pump_ms(50);
	raw_fill(&r);
	VG_CHECK_INT(r.len, 0);
	VG_CHECK_INT(w.msgs, 0);
	VG_CHECK_INT(w.closes, 0);
	free(f);
	close(r.fd);
	net_down();
}

/* A text message in three frames, a ping between them and a UTF-8
 * character split across two, arrives whole; so does a binary one. */
static void
t_ws_fragmented(void)
{
	struct wsrec w = { 0 };
	struct frame *f;
	struct raw r;

	f = vg_xmalloc(sizeof(*f));
	VG_CHECK(wsv_open(&r, &w) == 0);
	VG_CHECK(ws_put(&r, 0x01, "Hel", 3, 1) == 0);
	VG_CHECK(ws_put(&r, 0x89, "mid", 3, 1) == 0);
	VG_CHECK(ws_put(&r, 0x00, "lo \xc3", 4, 1) == 0);
	pump_ms(20);
	VG_CHECK_INT(w.msgs, 0);	/* not whole yet */
	VG_CHECK(ws_put(&r, 0x80, "\xa9!", 2, 1) == 0);
	VG_CHECK(pump_until_cb(wsrec_has_msg, &w));
	VG_CHECK_INT(w.msgs, 1);
	VG_CHECK_STR(w.last, "Hello \xc3\xa9!");
	VG_CHECK_INT(w.last_len, 9);
	VG_CHECK_INT(w.last_binary, 0);
	VG_CHECK(ws_get(&r, f));	/* the ping's pong */
	VG_CHECK_INT(f->op, 0xa);
	VG_CHECK(f->len == 3 && memcmp(f->data, "mid", 3) == 0);
	w.msgs = 0;
	VG_CHECK(ws_put(&r, 0x02, "\x00\x01", 2, 1) == 0);
	VG_CHECK(ws_put(&r, 0x80, "\xff", 1, 1) == 0);
	VG_CHECK(pump_until_cb(wsrec_has_msg, &w));
	VG_CHECK_INT(w.last_len, 3);
	VG_CHECK_INT(w.last_binary, 1);
	VG_CHECK(memcmp(w.last, "\x00\x01\xff", 3) == 0);
	VG_CHECK_INT(w.closes, 0);
	free(f);
	close(r.fd);
	net_down();
}

/* A frame sent in the same write as the upgrade request is delivered,
 * and a message sent from on_open follows the 101. */
static void
t_ws_frame_with_upgrade(void)
{
	static const unsigned char frame[] = {
		0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d,
		'f' ^ 0x37, 'i' ^ 0xfa, 'r' ^ 0x21, 's' ^ 0x3d, 't' ^ 0x37,
	};
	struct wsrec w = { .greet = "welcome" };
	struct frame *f;
	struct resp rs;
	struct raw r;
	char req[1024];
	size_t n;

	f = vg_xmalloc(sizeof(*f));
	VG_CHECK(net_up(MAX_BODY, MAX_MSG) == 0);
	VG_CHECK(vg_ws_endpoint(&mod_a, "/ws", &wsrec_handlers, &w) == 0);
	VG_CHECK(raw_open(&r) == 0);
	n = (size_t)snprintf(req, sizeof(req), "GET /ws HTTP/1.1\r\nHost: t\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: " RFC_KEY "\r\n"
	    "Sec-WebSocket-Version: 13\r\n\r\n");
	memcpy(req + n, frame, sizeof(frame));
	VG_CHECK(raw_send(&r, req, n + sizeof(frame)) == 0);
	VG_CHECK_INT(raw_recv(&r, &rs), 101);
	VG_CHECK(ws_get(&r, f));
	VG_CHECK_INT(f->op, 0x1);
	VG_CHECK(f->len == 7 && memcmp(f->data, "welcome", 7) == 0);
	VG_CHECK(pump_until_cb(wsrec_has_msg, &w));
	VG_CHECK_STR(w.last, "first");
	free(f);
	close(r.fd);
	net_down();
}

/* An unmasked frame from a client: close 1002, socket closed. */
static void
t_ws_unmasked(void)
{
	struct wsrec w = { 0 };
	struct raw r;

	VG_CHECK(wsv_open(&r, &w) == 0);
	VG_CHECK(ws_put(&r, 0x81, "plain", 5, 0) == 0);
	wsv_expect(&r, &w, VG_WS_CLOSE_PROTOCOL);
	VG_CHECK_INT(w.msgs, 0);
}

/* A text message that is not UTF-8: 1007 (whole, or fragmented). */
static void
t_ws_bad_utf8(void)
{
	struct wsrec w = { 0 };
	struct raw r;

	VG_CHECK(wsv_open(&r, &w) == 0);
	VG_CHECK(ws_put(&r, 0x81, "ab\xc0\xaf", 4, 1) == 0);	/* overlong */
	wsv_expect(&r, &w, 1007);
	VG_CHECK_INT(w.msgs, 0);
	memset(&w, 0, sizeof(w));
	VG_CHECK(wsv_open(&r, &w) == 0);
	VG_CHECK(ws_put(&r, 0x01, "ok", 2, 1) == 0);
	VG_CHECK(ws_put(&r, 0x80, "\xed\xa0\x80", 3, 1) == 0); /* surrogate */
	wsv_expect(&r, &w, 1007);
	VG_CHECK_INT(w.msgs, 0);
}

/* RSV bits set (no extension was negotiated): 1002. */
static void
t_ws_rsv(void)
{
	struct wsrec w = { 0 };
	struct raw r;

	VG_CHECK(wsv_open(&r, &w) == 0);
	VG_CHECK(ws_put(&r, 0xc1, "x", 1, 1) == 0);
	wsv_expect(&r, &w, VG_WS_CLOSE_PROTOCOL);
	VG_CHECK_INT(w.msgs, 0);
}

/* A continuation frame with no message started: 1002. */
static void
t_ws_cont_no_start(void)
{
	struct wsrec w = { 0 };
	struct raw r;

	VG_CHECK(wsv_open(&r, &w) == 0);
	VG_CHECK(ws_put(&r, 0x80, "x", 1, 1) == 0);
	wsv_expect(&r, &w, VG_WS_CLOSE_PROTOCOL);
	VG_CHECK_INT(w.msgs, 0);
}

/* A new data frame inside a fragmented message: 1002. */
static void
t_ws_new_inside_fragmented(void)
{
	struct wsrec w = { 0 };
	struct raw r;

	VG_CHECK(wsv_open(&r, &w) == 0);
	VG_CHECK(ws_put(&r, 0x01, "a", 1, 1) == 0);
	VG_CHECK(ws_put(&r, 0x81, "b", 1, 1) == 0);
	wsv_expect(&r, &w, VG_WS_CLOSE_PROTOCOL);
	VG_CHECK_INT(w.msgs, 0);
}

/* An unknown opcode, a control frame over 125 bytes, a fragmented
 * control frame: 1002 each. */
static void
t_ws_bad_frames(void)
{
	static const unsigned bad[] = { 0x83, 0x8b, 0x09 };
	struct wsrec w;
	struct raw r;
	char big[126];
	size_t i;

	memset(big, 'p', sizeof(big));
	for (i = 0; i < VG_NELEM(bad); i++) {
		memset(&w, 0, sizeof(w));
		VG_CHECK(wsv_open(&r, &w) == 0);
		VG_CHECK(ws_put(&r, bad[i], "x", 1, 1) == 0);
		wsv_expect(&r, &w, VG_WS_CLOSE_PROTOCOL);
	}
	memset(&w, 0, sizeof(w));
	VG_CHECK(wsv_open(&r, &w) == 0);
	VG_CHECK(ws_put(&r, 0x89, big, sizeof(big), 1) == 0);
	wsv_expect(&r, &w, VG_WS_CLOSE_PROTOCOL);
}

/* Fragments that add up to more than the message limit: 1009. */
static void
t_ws_fragments_too_big(void)
{
	struct wsrec w = { 0 };
	struct raw r;
	char part[600];

	memset(part, 'f', sizeof(part));
	VG_CHECK(wsv_open(&r, &w) == 0);
	VG_CHECK(ws_put(&r, 0x02, part, sizeof(part), 1) == 0);
	VG_CHECK(ws_put(&r, 0x80, part, sizeof(part), 1) == 0);
	wsv_expect(&r, &w, VG_WS_CLOSE_TOO_BIG);
	VG_CHECK_INT(w.msgs, 0);
}

/* The client closes with 1000 and a reason: the server echoes a close
 * frame with 1000, then closes; on_close has the code and the reason. */
static void
t_ws_client_close(void)
{
	struct wsrec w = { 0 };
	unsigned char p[64];
	struct raw r;

	VG_CHECK(wsv_open(&r, &w) == 0);
	VG_CHECK(ws_put(&r, 0x88, p, close_payload(p, 1000, "bye now"), 1) ==
	    0);
	wsv_expect(&r, &w, VG_WS_CLOSE_NORMAL);
	VG_CHECK_STR(w.close_reason, "bye now");
	/* a code from the private range comes through as is */
	memset(&w, 0, sizeof(w));
	VG_CHECK(wsv_open(&r, &w) == 0);
	VG_CHECK(ws_put(&r, 0x88, p, close_payload(p, 4000, "custom"), 1) ==
	    0);
	wsv_expect(&r, &w, 4000);
	VG_CHECK_STR(w.close_reason, "custom");
}

/* An empty close frame: echoed empty, on_close gets 1005. */
static void
t_ws_client_close_empty(void)
{
	struct wsrec w = { 0 };
	struct frame *f;
	struct raw r;

	f = vg_xmalloc(sizeof(*f));
	VG_CHECK(wsv_open(&r, &w) == 0);
	VG_CHECK(ws_put(&r, 0x88, "", 0, 1) == 0);
	VG_CHECK(ws_get(&r, f));
	VG_CHECK_INT(f->op, 0x8);
	VG_CHECK_INT(f->len, 0);
	VG_CHECK(pump_until_cb(raw_eof, &r));
	VG_CHECK(pump_until_cb(wsrec_closed, &w));
	VG_CHECK_INT(w.close_code, 1005);
	free(f);
	close(r.fd);
	net_down();
}

/* Close payloads that break the rules: a code that may not be sent
 * (1005, 999, 2000), one byte, a reason that is not UTF-8. */
static void
t_ws_client_close_bad(void)
{
	static const int codes[] = { 1005, 1006, 999, 2000, 5000 };
	struct wsrec w;
	unsigned char p[64];
	struct raw r;
	size_t i, n;

	for (i = 0; i < VG_NELEM(codes); i++) {
		memset(&w, 0, sizeof(w));
		VG_CHECK(wsv_open(&r, &w) == 0);
		VG_CHECK(ws_put(&r, 0x88, p, close_payload(p, codes[i], ""),
		    1) == 0);
		wsv_expect(&r, &w, VG_WS_CLOSE_PROTOCOL);
	}
	memset(&w, 0, sizeof(w));
	VG_CHECK(wsv_open(&r, &w) == 0);
	VG_CHECK(ws_put(&r, 0x88, "\x03", 1, 1) == 0);
	wsv_expect(&r, &w, VG_WS_CLOSE_PROTOCOL);
	memset(&w, 0, sizeof(w));
	VG_CHECK(wsv_open(&r, &w) == 0);
	n = close_payload(p, 1000, "bad \xff");
	VG_CHECK(ws_put(&r, 0x88, p, n, 1) == 0);
	wsv_expect(&r, &w, 1007);
}

/* ---- cases: idle and load ---- */

/* Half a request head and nothing more: closed after the 30 s idle
 * timeout, unanswered. */
static void
t_idle(void)
{
	struct raw r;
	uint64_t t0, dt;

	if (!slow_ok("waits for the 30 s idle timeout"))
		return;
	VG_CHECK(net_up(MAX_BODY, MAX_MSG) == 0);
	VG_CHECK(raw_open(&r) == 0);
	t0 = vg_now_ms();
	VG_CHECK(raw_puts(&r, "GET /x HTTP/1.1\r\nHost:") == 0);
	VG_CHECK(pump_until_ms(raw_eof, &r, IDLE_WAIT_MS));
	dt = vg_now_ms() - t0;
	VG_CHECK(dt >= 29000 && dt <= 35000);
	VG_CHECK_INT(r.len, 0);
	close(r.fd);
	net_down();
}

/* All of many clients. */
struct many {
	struct http_client	*c;
	int			 n;
};

/* Pump predicate: every client of M holds a whole answer. */
static int
many_done(void *arg)
{
	struct many *m = arg;
	int i, done = 0;

	for (i = 0; i < m->n; i++)
		done += http_client_done(&m->c[i]);
	return (done == m->n);
}

/* 200 connections at once, a request on each: every one gets its own
 * answer, and the counters add up. */
static void
t_many(void)
{
	struct seen s = { 0 };
	struct vg_net_stats st;
	struct many m;
	char req[128], want[64];
	const char *b;
	int i, right = 0;

	VG_CHECK(net_up(MAX_BODY, MAX_MSG) == 0);
	VG_CHECK(vg_http_route(&mod_a, "GET", "/n/*", h_rec, &s) == 0);
	m.n = NCONNS;
	m.c = vg_xcalloc(NCONNS, sizeof(*m.c));
	for (i = 0; i < NCONNS; i++)
		m.c[i].fd = -1;
	for (i = 0; i < NCONNS; i++) {
		if ((m.c[i].fd = tcp_open(0)) == -1)
			break;
		snprintf(req, sizeof(req),
		    "GET /n/%d HTTP/1.1\r\nHost: t\r\n\r\n", i);
		if (write(m.c[i].fd, req, strlen(req)) != (ssize_t)strlen(req))
			break;
	}
	VG_CHECK_INT(i, NCONNS);
	VG_CHECK(pump_until_cb(many_done, &m));
	for (i = 0; i < NCONNS; i++) {
		snprintf(want, sizeof(want), "/n/%d", i);
		b = strstr(m.c[i].buf, "\r\n\r\n");
		if (strncmp(m.c[i].buf, "HTTP/1.1 200 ", 13) == 0 &&
		    b != NULL && strcmp(b + 4, want) == 0)
			right++;
	}
	VG_CHECK_INT(right, NCONNS);
	VG_CHECK_INT(s.calls, NCONNS);
	vg_net_stats(&st);
	VG_CHECK_INT(st.http_requests, NCONNS);
	VG_CHECK_INT(st.oversize, 0);
	VG_CHECK_INT(st.ws_open, 0);
	for (i = 0; i < NCONNS; i++)
		if (m.c[i].fd != -1)
			close(m.c[i].fd);
	free(m.c);
	pump_ms(50);
	net_down();
}

/* ---- cases: our client against a fake server ---- */

/* A server run here on a raw listening socket. */
struct fake {
	int		 lfd;
	int		 port;
	struct raw	 r;		/* the connection accepted */
	char		 req[4096];	/* the upgrade request's head */
	char		 url[256];	/* ws://127.0.0.1:port/rt?x=1 */
};

/* Listen on 127.0.0.1, an ephemeral port. */
static int
fake_listen(struct fake *fk)
{
	memset(fk, 0, sizeof(*fk));
	fk->r.fd = -1;
	if ((fk->lfd = listen_loopback(&fk->port)) == -1 ||
	    listen(fk->lfd, 8) == -1)
		return (-1);
	fcntl(fk->lfd, F_SETFL, O_NONBLOCK);
	snprintf(fk->url, sizeof(fk->url),
	    "ws://127.0.0.1:%d/rt/v1?model=x&y=1", fk->port);
	return (0);
}

/* Pump predicate: the fake accepted a connection. */
static int
fake_accepted(void *arg)
{
	struct fake *fk = arg;
	int one = 1;

	if (fk->r.fd == -1 && (fk->r.fd = accept(fk->lfd, NULL, NULL)) !=
	    -1) {
		fcntl(fk->r.fd, F_SETFL, O_NONBLOCK);
		setsockopt(fk->r.fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
	}
	return (fk->r.fd != -1);
}

/* Pump predicate: a whole head is in R, or the peer closed. */
static int
head_in(void *arg)
{
	struct raw *r = arg;

	raw_fill(r);
	return (strstr(r->buf, "\r\n\r\n") != NULL || r->eof);
}

/* Accept our client and take its upgrade request's head into FK->req.
 * Returns 0 or -1. */
static int
fake_accept(struct fake *fk)
{
	char *end;
	size_t n;

	if (!pump_until_cb(fake_accepted, fk) ||
	    !pump_until_cb(head_in, &fk->r) ||
	    (end = strstr(fk->r.buf, "\r\n\r\n")) == NULL)
		return (-1);
	n = (size_t)(end - fk->r.buf) + 4;
	snprintf(fk->req, sizeof(fk->req), "%.*s", (int)(n - 2), fk->r.buf);
	raw_consume(&fk->r, n);
	return (0);
}

/* The Sec-WebSocket-Accept for KEY, computed here (RFC 6455 4.2.2). */
static void
accept_for(const char *key, char out[29])
{
	unsigned char md[SHA_DIGEST_LENGTH];
	char buf[128];

	snprintf(buf, sizeof(buf), "%s258EAFA5-E914-47DA-95CA-C5AB0DC85B11",
	    key);
	SHA1((const unsigned char *)buf, strlen(buf), md);
	EVP_EncodeBlock((unsigned char *)out, md, sizeof(md));
}

/* Answer the upgrade with a 101 (the right accept when GOOD, else a
 * wrong one), then N bytes of MORE in the same write. */
static int
fake_101(struct fake *fk, int good, const void *more, size_t n)
{
	char key[64], acc[29], buf[1024];
	size_t len;

	http_header(fk->req, "Sec-WebSocket-Key", key, sizeof(key));
	accept_for(good ? key : "AAAAAAAAAAAAAAAAAAAAAA==", acc);
	len = (size_t)snprintf(buf, sizeof(buf),
	    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
	    "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n", acc);
	if (n > 0)
		memcpy(buf + len, more, n);
	return (raw_send(&fk->r, buf, len + n));
}

/* Close the fake's sockets. */
static void
fake_close(struct fake *fk)
{
	if (fk->r.fd != -1)
		close(fk->r.fd);
	close(fk->lfd);
}

/* The upgrade request: Host, Upgrade, Connection, a 24-character key of
 * 16 bytes, version 13, the module's headers, the URL's path and query. */
static void
t_client_request(void)
{
	static const char *const hdrs[] = {
		"Authorization: Bearer k1", "OpenAI-Beta: realtime=v1", NULL,
	};
	struct wsrec cli = { 0 };
	struct vg_ws_conn *c;
	struct fake fk;
	unsigned char raw[32];
	char v[256], want[64];

	VG_CHECK(net_up(MAX_BODY, MAX_MSG) == 0);
	VG_CHECK(fake_listen(&fk) == 0);
	VG_CHECK((c = vg_ws_connect(&mod_b, fk.url, hdrs, &wsrec_handlers,
	    &cli)) != NULL);
	VG_CHECK(fake_accept(&fk) == 0);
	VG_CHECK(strncmp(fk.req, "GET /rt/v1?model=x&y=1 HTTP/1.1\r\n", 33) ==
	    0);
	snprintf(want, sizeof(want), "127.0.0.1:%d", fk.port);
	VG_CHECK_STR(http_header(fk.req, "Host", v, sizeof(v)), want);
	VG_CHECK(strcasecmp(http_header(fk.req, "Upgrade", v, sizeof(v)),
	    "websocket") == 0);
	VG_CHECK(strcasestr(http_header(fk.req, "Connection", v, sizeof(v)),
	    "upgrade") != NULL);
	http_header(fk.req, "Sec-WebSocket-Key", v, sizeof(v));
	VG_CHECK_INT(strlen(v), 24);
	VG_CHECK(strlen(v) == 24 && strcmp(v + 22, "==") == 0 &&
	    EVP_DecodeBlock(raw, (unsigned char *)v, 24) == 18);
	VG_CHECK_STR(http_header(fk.req, "Sec-WebSocket-Version", v,
	    sizeof(v)), "13");
	VG_CHECK_STR(http_header(fk.req, "Authorization", v, sizeof(v)),
	    "Bearer k1");
	VG_CHECK_STR(http_header(fk.req, "OpenAI-Beta", v, sizeof(v)),
	    "realtime=v1");
	/* a good answer opens it */
	VG_CHECK(fake_101(&fk, 1, NULL, 0) == 0);
	VG_CHECK(pump_until_cb(wsrec_opened, &cli));
	VG_CHECK_INT(cli.closes, 0);
	if (c != NULL) {
		VG_CHECK_STR(vg_ws_path(c), "/rt/v1");
		VG_CHECK_STR(vg_ws_query(c), "model=x&y=1");
	}
	net_down();
	fake_close(&fk);
}

/* Answer the client's upgrade with ANSWER (NULL: a 101 with a wrong
 * accept) and expect on_close(1006) with a reason holding WHY, no
 * on_open, and the socket closed. */
static void
client_refused(const char *answer, const char *why)
{
	struct wsrec cli = { 0 };
	struct fake fk;

	VG_CHECK(net_up(MAX_BODY, MAX_MSG) == 0);
	VG_CHECK(fake_listen(&fk) == 0);
	VG_CHECK(vg_ws_connect(&mod_b, fk.url, NULL, &wsrec_handlers, &cli) !=
	    NULL);
	VG_CHECK(fake_accept(&fk) == 0);
	if (answer == NULL)
		VG_CHECK(fake_101(&fk, 0, NULL, 0) == 0);
	else
		VG_CHECK(raw_puts(&fk.r, answer) == 0);
	VG_CHECK(pump_until_cb(wsrec_closed, &cli));
	VG_CHECK_INT(cli.opens, 0);
	VG_CHECK_INT(cli.close_code, VG_WS_CLOSE_ABNORMAL);
	if (strcasestr(cli.close_reason, why) == NULL)
		fprintf(stderr, "  reason \"%s\" lacks \"%s\"\n",
		    cli.close_reason, why);
	VG_CHECK(strcasestr(cli.close_reason, why) != NULL);
	VG_CHECK(pump_until_cb(raw_eof, &fk.r));
	net_down();
	fake_close(&fk);
}

/* A 101 with a wrong Sec-WebSocket-Accept: 1006, "accept". */
static void
t_client_bad_accept(void)
{
	client_refused(NULL, "accept");
}

/* A 401: 1006, "401". */
static void
t_client_401(void)
{
	client_refused("HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n",
	    "401");
}

/* A 101 without Upgrade and Connection: 1006. */
static void
t_client_no_upgrade(void)
{
	client_refused("HTTP/1.1 101 Switching Protocols\r\n"
	    "Sec-WebSocket-Accept: " RFC_ACCEPT "\r\n\r\n", "upgrade");
}

/* The client's frames are masked; messages sent before the handshake
 * ended leave only after the 101, in order, then later ones. */
static void
t_client_frames(void)
{
	struct wsrec cli = { 0 };
	struct vg_ws_conn *c;
	struct frame *f;
	struct fake fk;
	unsigned char key1[4];
	char *big;
	size_t i;

	f = vg_xmalloc(sizeof(*f));
	big = vg_xmalloc(50000);
	for (i = 0; i < 50000; i++)
		big[i] = (char)('a' + i % 26);
	VG_CHECK(net_up(MAX_BODY, 100000) == 0);
	VG_CHECK(fake_listen(&fk) == 0);
	VG_CHECK((c = vg_ws_connect(&mod_b, fk.url, NULL, &wsrec_handlers,
	    &cli)) != NULL);
	VG_CHECK(c != NULL && vg_ws_send(c, "early-1", 7, 0) == 0);
	VG_CHECK(c != NULL && vg_ws_send(c, "\x01\x02\x03", 3, 1) == 0);
	VG_CHECK(fake_accept(&fk) == 0);
	pump_ms(50);
	raw_fill(&fk.r);
	VG_CHECK_INT(fk.r.len, 0);	/* nothing before our 101 */
	VG_CHECK_INT(cli.opens, 0);
	VG_CHECK(fake_101(&fk, 1, NULL, 0) == 0);
	VG_CHECK(pump_until_cb(wsrec_opened, &cli));
	VG_CHECK(ws_get(&fk.r, f));
	VG_CHECK(f->masked);
	VG_CHECK(f->fin);
	VG_CHECK_INT(f->op, 0x1);
	VG_CHECK(f->len == 7 && memcmp(f->data, "early-1", 7) == 0);
	memcpy(key1, f->key, 4);
	VG_CHECK(ws_get(&fk.r, f));
	VG_CHECK(f->masked);
	VG_CHECK_INT(f->op, 0x2);
	VG_CHECK(f->len == 3 && memcmp(f->data, "\x01\x02\x03", 3) == 0);
	VG_CHECK(memcmp(key1, f->key, 4) != 0);	/* a fresh key each */
	VG_CHECK(c != NULL && vg_ws_send(c, "late", 4, 0) == 0);
	VG_CHECK(ws_get(&fk.r, f));
	VG_CHECK(f->masked);
	VG_CHECK(f->len == 4 && memcmp(f->data, "late", 4) == 0);
	/* a long one (16-bit length), unmasked whole */
	VG_CHECK(c != NULL && vg_ws_send(c, big, 50000, 1) == 0);
	VG_CHECK(ws_get(&fk.r, f));
	VG_CHECK(f->masked);
	VG_CHECK_INT(f->op, 0x2);
	VG_CHECK(f->len == 50000 && memcmp(f->data, big, 50000) == 0);
	/* the server's frames reach on_message */
	VG_CHECK(ws_put(&fk.r, 0x81, "from server", 11, 0) == 0);
	VG_CHECK(pump_until_cb(wsrec_has_msg, &cli));
	VG_CHECK_STR(cli.last, "from server");
	free(big);
	free(f);
	net_down();
	fake_close(&fk);
}

/* A frame in the same write as the 101 is delivered after on_open. */
static void
t_client_101_and_frame(void)
{
	static const unsigned char frame[] = {
		0x81, 0x07, 'w', 'e', 'l', 'c', 'o', 'm', 'e',
	};
	struct wsrec cli = { 0 };
	struct fake fk;

	VG_CHECK(net_up(MAX_BODY, MAX_MSG) == 0);
	VG_CHECK(fake_listen(&fk) == 0);
	VG_CHECK(vg_ws_connect(&mod_b, fk.url, NULL, &wsrec_handlers, &cli) !=
	    NULL);
	VG_CHECK(fake_accept(&fk) == 0);
	VG_CHECK(fake_101(&fk, 1, frame, sizeof(frame)) == 0);
	VG_CHECK(pump_until_cb(wsrec_has_msg, &cli));
	VG_CHECK_INT(cli.opens, 1);
	VG_CHECK_STR(cli.last, "welcome");
	VG_CHECK_INT(cli.closes, 0);
	net_down();
	fake_close(&fk);
}

/* A masked frame from the server: the client closes with 1002 (its
 * close frame masked too) and reports 1002. */
static void
t_client_masked_from_server(void)
{
	struct wsrec cli = { 0 };
	struct frame *f;
	struct fake fk;

	f = vg_xmalloc(sizeof(*f));
	VG_CHECK(net_up(MAX_BODY, MAX_MSG) == 0);
	VG_CHECK(fake_listen(&fk) == 0);
	VG_CHECK(vg_ws_connect(&mod_b, fk.url, NULL, &wsrec_handlers, &cli) !=
	    NULL);
	VG_CHECK(fake_accept(&fk) == 0);
	VG_CHECK(fake_101(&fk, 1, NULL, 0) == 0);
	VG_CHECK(pump_until_cb(wsrec_opened, &cli));
	VG_CHECK(ws_put(&fk.r, 0x81, "hello", 5, 1) == 0);
	VG_CHECK(ws_get(&fk.r, f));
	VG_CHECK_INT(f->op, 0x8);
	VG_CHECK(f->masked);
	VG_CHECK_INT(frame_code(f), VG_WS_CLOSE_PROTOCOL);
	VG_CHECK(pump_until_cb(raw_eof, &fk.r));
	VG_CHECK(pump_until_cb(wsrec_closed, &cli));
	VG_CHECK_INT(cli.close_code, VG_WS_CLOSE_PROTOCOL);
	VG_CHECK_INT(cli.msgs, 0);
	free(f);
	net_down();
	fake_close(&fk);
}

/* The server closes with 1000 and a reason: the client echoes 1000
 * (masked) and reports the server's code and reason. */
static void
t_client_server_close(void)
{
	struct wsrec cli = { 0 };
	unsigned char p[64];
	struct frame *f;
	struct fake fk;

	f = vg_xmalloc(sizeof(*f));
	VG_CHECK(net_up(MAX_BODY, MAX_MSG) == 0);
	VG_CHECK(fake_listen(&fk) == 0);
	VG_CHECK(vg_ws_connect(&mod_b, fk.url, NULL, &wsrec_handlers, &cli) !=
	    NULL);
	VG_CHECK(fake_accept(&fk) == 0);
	VG_CHECK(fake_101(&fk, 1, NULL, 0) == 0);
	VG_CHECK(pump_until_cb(wsrec_opened, &cli));
	VG_CHECK(ws_put(&fk.r, 0x88, p, close_payload(p, 1000, "done"), 0) ==
	    0);
	VG_CHECK(ws_get(&fk.r, f));
	VG_CHECK_INT(f->op, 0x8);
	VG_CHECK(f->masked);
	VG_CHECK_INT(frame_code(f), VG_WS_CLOSE_NORMAL);
	VG_CHECK(pump_until_cb(wsrec_closed, &cli));
	VG_CHECK_INT(cli.close_code, VG_WS_CLOSE_NORMAL);
	VG_CHECK_STR(cli.close_reason, "done");
	VG_CHECK(pump_until_cb(raw_eof, &fk.r));
	free(f);
	net_down();
	fake_close(&fk);
}

/* A message and the server's close in one read, the module closing on the
 * message: our close frame still goes out before the socket closes (it
 * was once staged, then thrown away when the peer's close came right
 * behind it, and the server saw 1006). */
static void
t_client_close_crosses_server_close(void)
{
	struct wsrec cli = { .close_on_msg = VG_WS_CLOSE_NORMAL };
	unsigned char buf[64], p[32];
	struct frame *f;
	struct fake fk;
	size_t n;

	f = vg_xmalloc(sizeof(*f));
	VG_CHECK(net_up(MAX_BODY, MAX_MSG) == 0);
	VG_CHECK(fake_listen(&fk) == 0);
	VG_CHECK(vg_ws_connect(&mod_b, fk.url, NULL, &wsrec_handlers, &cli) !=
	    NULL);
	VG_CHECK(fake_accept(&fk) == 0);
	/* "bye" then close 1001, behind the 101 in one write */
	n = 0;
	buf[n++] = 0x81;
	buf[n++] = 3;
	memcpy(buf + n, "bye", 3);
	n += 3;
	buf[n++] = 0x88;
	buf[n] = (unsigned char)close_payload(p, 1001, "expired");
	memcpy(buf + n + 1, p, buf[n]);
	n += 1 + buf[n];
	VG_CHECK(fake_101(&fk, 1, buf, n) == 0);
	VG_CHECK(ws_get(&fk.r, f));
	VG_CHECK_INT(f->op, 0x8);
	VG_CHECK(f->masked);
	VG_CHECK_INT(frame_code(f), VG_WS_CLOSE_NORMAL);
	VG_CHECK(pump_until_cb(raw_eof, &fk.r));
	VG_CHECK(pump_until_cb(wsrec_closed, &cli));
	VG_CHECK_INT(cli.msgs, 1);
	VG_CHECK_INT(cli.close_code, VG_WS_CLOSE_NORMAL);
	free(f);
	net_down();
	fake_close(&fk);
}

/*
 * Garbage from many clients: random bytes, valid request heads followed by
 * random bytes, upgrades followed by random frames (masked and not), cut
 * off at random points. The listener must survive every one (ASan and
 * valgrind watch the memory) and then still answer a request and a ping.
 * The seed is fixed, so a failure repeats.
 */
static void
t_garbage(void)
{
	static const char *const heads[] = {
		"GET /doc HTTP/1.1\r\nHost: t\r\n",
		"POST /doc HTTP/1.1\r\nHost: t\r\nContent-Length: 40\r\n\r\n",
		"POST /doc HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
		"GET /ws HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\n"
		    "Connection: Upgrade\r\nSec-WebSocket-Key: " RFC_KEY "\r\n"
		    "Sec-WebSocket-Version: 13\r\n\r\n",
	};
	struct wsrec w = { 0 };
	struct seen sn = { 0 };
	struct frame *f;
	struct resp rs;
	struct raw r;
	unsigned char junk[1500];
	unsigned seed = 20261127;
	size_t i, k, n;
	int round, mode;

	f = vg_xmalloc(sizeof(*f));
	VG_CHECK(net_up(MAX_BODY, MAX_MSG) == 0);
	VG_CHECK(vg_ws_endpoint(&mod_a, "/ws", &wsrec_handlers, &w) == 0);
	VG_CHECK(vg_http_route(&mod_a, "*", "/doc", h_doc, &sn) == 0);
	for (round = 0; round < 300; round++) {
		if (raw_open(&r) == -1) {
			VG_CHECK(!"raw_open");
			break;
		}
		mode = rand_r(&seed) % 4;
		n = (size_t)(rand_r(&seed) % (int)sizeof(junk));
		for (i = 0; i < n; i++)
			junk[i] = (unsigned char)rand_r(&seed);
		if (mode == 1 || mode == 2) {
			/* a head cut anywhere, or whole */
			k = (size_t)rand_r(&seed) % VG_NELEM(heads);
			(void)raw_send(&r, heads[k], (size_t)rand_r(&seed) %
			    (strlen(heads[k]) + 1));
		}
		if (mode == 3) {
			(void)raw_puts(&r, heads[3]);
			/* frames with random first bytes, some masked */
			for (i = 0; i + 6 < n; i += 6 + (junk[i] & 0x3f))
				junk[i + 1] = (unsigned char)((junk[i + 1] &
				    0x80) | (junk[i] & 0x3f));
		}
		(void)raw_send(&r, junk, n);
		pump_ms(rand_r(&seed) % 3);
		if (rand_r(&seed) % 2)
			raw_fill(&r);
		close(r.fd);
	}
	pump_ms(100);
	/* still serving: a request, and a ping on a fresh WebSocket */
	VG_CHECK(raw_open(&r) == 0);
	VG_CHECK_INT(raw_ask(&r, "GET /doc HTTP/1.1\r\nHost: t\r\n\r\n",
	    &rs), 200);
	VG_CHECK_STR(rs.body, "0123456789");
	close(r.fd);
	VG_CHECK_INT(raw_ws_open(&r, "/ws"), 101);
	VG_CHECK(ws_put(&r, 0x89, "alive", 5, 1) == 0);
	VG_CHECK(ws_get(&r, f));
	VG_CHECK_INT(f->op, 0xa);
	close(r.fd);
	free(f);
	net_down();
}

/* A server that accepts the TCP connection but never answers: on_close
 * 1006 after the 10 s connect timeout. */
static void
t_client_timeout(void)
{
	struct wsrec cli = { 0 };
	struct fake fk;
	uint64_t t0, dt;

	if (!slow_ok("waits for the 10 s connect timeout"))
		return;
	VG_CHECK(net_up(MAX_BODY, MAX_MSG) == 0);
	VG_CHECK(fake_listen(&fk) == 0);
	t0 = vg_now_ms();
	VG_CHECK(vg_ws_connect(&mod_b, fk.url, NULL, &wsrec_handlers, &cli) !=
	    NULL);
	VG_CHECK(fake_accept(&fk) == 0);	/* the request came */
	VG_CHECK(pump_until_ms(wsrec_closed, &cli, CONNECT_WAIT_MS));
	dt = vg_now_ms() - t0;
	VG_CHECK(dt >= 9500 && dt <= 12000);
	VG_CHECK_INT(cli.opens, 0);
	VG_CHECK_INT(cli.close_code, VG_WS_CLOSE_ABNORMAL);
	VG_CHECK(strstr(cli.close_reason, "timed out") != NULL);
	net_down();
	fake_close(&fk);
}

static const struct vg_test cases[] = {
	{ "proto/garbage_from_300_clients",	t_garbage },
	{ "proto/client_close_crosses_server_close",
	    t_client_close_crosses_server_close },
	{ "proto/http_pipelined_in_order",	t_pipelined },
	{ "proto/http_pipelined_behind_deferred", t_pipelined_deferred },
	{ "proto/http_connection_close",	t_connection_close },
	{ "proto/http10_closes_unless_keep_alive", t_http10 },
	{ "proto/http_chunked_body_whole",	t_chunked },
	{ "proto/http_chunked_malformed_400",	t_chunked_bad },
	{ "proto/http_chunked_over_max_413",	t_chunked_413 },
	{ "proto/http_expect_100_continue",	t_expect_continue },
	{ "proto/http_bad_request_line_400",	t_bad_request_line },
	{ "proto/http_head_too_large_431",	t_head_431 },
	{ "proto/http_whole_head_too_large_431", t_head_431_complete },
	{ "proto/http_unknown_method_405",	t_method_405 },
	{ "proto/http_transfer_encoding_501",	t_te_501 },
	{ "proto/http_cl_and_te_400",		t_cl_and_te_400 },
	{ "proto/http_two_content_lengths_400",	t_two_content_lengths },
	{ "proto/http_bad_path_400",		t_bad_path },
	{ "proto/http_repeated_headers_joined",	t_repeated_headers },
	{ "proto/http_head_no_body",		t_head },
	{ "proto/http_error_after_head_has_body", t_error_after_head },
	{ "proto/ws_upgrade_accept",		t_ws_upgrade_ok },
	{ "proto/ws_upgrade_version_426",	t_ws_upgrade_version },
	{ "proto/ws_upgrade_key_400",		t_ws_upgrade_key },
	{ "proto/ws_upgrade_connection_400",	t_ws_upgrade_connection },
	{ "proto/ws_upgrade_unknown_path_404",	t_ws_upgrade_404 },
	{ "proto/ws_upgrade_stop_accepting",	t_ws_upgrade_stop_accepting },
	{ "proto/ws_ping_pong",			t_ws_ping },
	{ "proto/ws_fragmented_whole",		t_ws_fragmented },
	{ "proto/ws_frame_with_upgrade",	t_ws_frame_with_upgrade },
	{ "proto/ws_unmasked_1002",		t_ws_unmasked },
	{ "proto/ws_bad_utf8_1007",		t_ws_bad_utf8 },
	{ "proto/ws_rsv_bits_1002",		t_ws_rsv },
	{ "proto/ws_continuation_alone_1002",	t_ws_cont_no_start },
	{ "proto/ws_new_inside_fragmented_1002", t_ws_new_inside_fragmented },
	{ "proto/ws_bad_frames_1002",		t_ws_bad_frames },
	{ "proto/ws_fragments_too_big_1009",	t_ws_fragments_too_big },
	{ "proto/ws_client_close_echoed",	t_ws_client_close },
	{ "proto/ws_client_close_empty_1005",	t_ws_client_close_empty },
	{ "proto/ws_client_close_invalid_1002",	t_ws_client_close_bad },
	{ "proto/http_idle_head_dropped",	t_idle },
	{ "proto/http_200_connections",		t_many },
	{ "proto/client_upgrade_request",	t_client_request },
	{ "proto/client_bad_accept_1006",	t_client_bad_accept },
	{ "proto/client_401_1006",		t_client_401 },
	{ "proto/client_no_upgrade_1006",	t_client_no_upgrade },
	{ "proto/client_frames_masked_early_after_101", t_client_frames },
	{ "proto/client_101_and_frame_together", t_client_101_and_frame },
	{ "proto/client_masked_server_frame_1002",
	    t_client_masked_from_server },
	{ "proto/client_server_close_echoed",	t_client_server_close },
	{ "proto/client_connect_timeout_1006",	t_client_timeout },
};
VG_TEST_MAIN(cases)
