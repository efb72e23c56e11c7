/*
 * Network layer tests: HTTP routes, WebSocket endpoints and clients,
 * limits and owner release, on 127.0.0.1 with an ephemeral
 * port. The test thread is the core thread: it drives the core loop in
 * short slices while raw non-blocking sockets (or our own WebSocket client)
 * talk to the listener. Every wait has a deadline.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include <voicegate/voicegate.h>

#include "core.h"
#include "net.h"
#include "vg_test.h"
#include "vg_testlib.h"

#define WAIT_MS		5000	/* the longest any step may take */

static struct vg_module mod_a = { .name = "mod_a", .state = VG_MOD_RUNNING };
static struct vg_module mod_b = { .name = "mod_b", .state = VG_MOD_RUNNING };

/* ---- driving the core loop ---- */

/* Start the core (once) and the listener on an ephemeral port. */
static int
net_up(size_t max_body, size_t max_msg, size_t max_sq)
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
	s.max_send_queue = max_sq;
	if (vg_net_start(&s) == -1)
		return (-1);
	return (vg_net_port() > 0 ? 0 : -1);
}

/* ---- raw sockets ---- */

struct raw {
	int	 fd;
	char	 buf[1 << 16];
	size_t	 len;
	int	 eof;
};

/* Connect R to the listener (blocking connect, then non-blocking). */
static int
raw_open(struct raw *r, int rcvbuf)
{
	memset(r, 0, sizeof(*r));
	return ((r->fd = tcp_open(rcvbuf)) == -1 ? -1 : 0);
}

/* Write all of S (small: the kernel takes it at once). */
static int
raw_send(struct raw *r, const void *s, size_t n)
{
	return (write(r->fd, s, n) == (ssize_t)n ? 0 : -1);
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

/* Length of the first whole HTTP response in R, or 0. */
static size_t
raw_http_len(struct raw *r)
{
	const char *end, *cl;
	size_t hlen, blen = 0;

	if ((end = strstr(r->buf, "\r\n\r\n")) == NULL)
		return (0);
	hlen = (size_t)(end - r->buf) + 4;
	if ((cl = strcasestr(r->buf, "content-length:")) != NULL && cl < end)
		blen = strtoul(cl + 15, NULL, 10);
	return (r->len >= hlen + blen ? hlen + blen : 0);
}

/* Pump predicate: a whole HTTP response is in. */
static int
raw_http_done(void *arg)
{
	struct raw *r = arg;

	raw_fill(r);
	return (raw_http_len(r) > 0 || r->eof);
}

/* Pump predicate: a close frame (with its code) arrived, or EOF. */
static int
raw_close_frame(void *arg)
{
	struct raw *r = arg;

	raw_fill(r);
	return ((r->len >= 4 && (unsigned char)r->buf[0] == 0x88) || r->eof);
}

/* Send REQ on R and wait for one response: status, and its body in BODY
 * (BODYSZ). The response is consumed from R. Returns the status or -1. */
static int
raw_http(struct raw *r, const char *req, size_t reqlen, char *body,
    size_t bodysz)
{
	size_t n;
	const char *b;
	int status;

	if (raw_send(r, req, reqlen) == -1 || !pump_until_cb(raw_http_done, r))
		return (-1);
	if ((n = raw_http_len(r)) == 0 || sscanf(r->buf, "HTTP/1.%*d %d",
	    &status) != 1)
		return (-1);
	b = strstr(r->buf, "\r\n\r\n") + 4;
	if (body != NULL)
		snprintf(body, bodysz, "%.*s", (int)(n - (size_t)(b - r->buf)),
		    b);
	memmove(r->buf, r->buf + n, r->len - n);
	r->len -= n;
	r->buf[r->len] = '\0';
	return (status);
}

/* One GET on a fresh connection. */
static int
http_get(const char *path, char *body, size_t bodysz)
{
	struct raw r;
	char req[512];
	int status;

	if (raw_open(&r, 0) == -1)
		return (-1);
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: t\r\n\r\n",
	    path);
	status = raw_http(&r, req, strlen(req), body, bodysz);
	close(r.fd);
	return (status);
}

/* Upgrade R to a WebSocket on PATH; returns the status line's code. */
static int
raw_ws_open(struct raw *r, const char *path, int rcvbuf)
{
	char req[512];
	char *end;
	int status;

	if (raw_open(r, rcvbuf) == -1)
		return (-1);
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: t\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	    "Sec-WebSocket-Version: 13\r\n\r\n", path);
	if (raw_send(r, req, strlen(req)) == -1 ||
	    !pump_until_cb(raw_http_done, r) ||
	    sscanf(r->buf, "HTTP/1.%*d %d", &status) != 1) {
		fprintf(stderr, "  upgrade answer: eof %d \"%s\"\n", r->eof,
		    r->buf);
		return (-1);
	}
	if ((end = strstr(r->buf, "\r\n\r\n")) != NULL) {
		r->len -= (size_t)(end + 4 - r->buf);
		memmove(r->buf, end + 4, r->len);
	}
	return (status);
}

/* Send one masked binary frame of LEN bytes of 'x'. */
static int
raw_ws_frame(struct raw *r, size_t len)
{
	unsigned char *f;
	size_t h = 0, i;
	int rc;

	f = malloc(len + 14);
	f[h++] = 0x82;
	if (len < 126)
		f[h++] = 0x80 | (unsigned char)len;
	else {
		f[h++] = 0x80 | 126;
		f[h++] = (unsigned char)(len >> 8);
		f[h++] = (unsigned char)len;
	}
	memset(f + h, 0, 4);		/* mask key 0: payload as is */
	h += 4;
	for (i = 0; i < len; i++)
		f[h + i] = 'x';
	rc = raw_send(r, f, h + len);
	free(f);
	return (rc);
}

/* ---- handlers ---- */

struct seen {
	int		 calls;
	char		 query[256];
	char		 header[256];
	char		 body[256];
	size_t		 body_len;
	struct vg_http_req *held;
};

/* GET /hello: answer with what we saw. */
static void
h_hello(struct vg_http_req *req, void *arg)
{
	struct seen *s = arg;
	const char *v;

	s->calls++;
	vg_strlcpy(s->query, vg_http_req_query(req), sizeof(s->query));
	v = vg_http_req_header(req, "x-test-token");
	vg_strlcpy(s->header, v != NULL ? v : "(none)", sizeof(s->header));
	vg_http_add_header(req, "X-Answer", "42");
	vg_http_respond(req, 200, "text/plain", "hello", 5);
}

/* POST /echo-body: answer with the body. */
static void
h_post(struct vg_http_req *req, void *arg)
{
	struct seen *s = arg;
	const char *b;
	size_t n;

	s->calls++;
	b = vg_http_req_body(req, &n);
	s->body_len = n;
	vg_strlcpy(s->body, b, sizeof(s->body));
	vg_http_respond(req, 201, "text/plain", b, n);
}

/* GET /later: keep the request for later. */
static void
h_later(struct vg_http_req *req, void *arg)
{
	struct seen *s = arg;

	s->calls++;
	s->held = req;
}

/* Pump predicate: a handler ran. */
static int
seen_called(void *arg)
{
	return (((struct seen *)arg)->calls > 0);
}

/* Timer: answer the held request. */
static void
later_fire(evutil_socket_t fd, short what, void *arg)
{
	struct seen *s = arg;

	vg_http_respond(s->held, 202, "text/plain", "later", 5);
	s->held = NULL;
}

/* Connect our own client to PATH on the listener. */
static struct vg_ws_conn *
client(const char *path, const char *const *hdrs, struct wsrec *w)
{
	char url[256];

	snprintf(url, sizeof(url), "ws://127.0.0.1:%d%s", vg_net_port(),
	    path);
	return (vg_ws_connect(&mod_b, url, hdrs, &wsrec_handlers, w));
}

/* ---- cases: HTTP ---- */

/* GET with a query and a kept custom header, twice on one connection. */
static void
t_get_query_header(void)
{
	struct seen s = { 0 };
	struct raw r;
	char body[256];
	const char *req = "GET /hello?a=1&b=two%20words HTTP/1.1\r\n"
	    "Host: t\r\nX-Test-Token: tok123\r\n\r\n";
	int status;

	VG_CHECK(net_up(1000, 1000, 1 << 20) == 0);
	VG_CHECK(vg_http_route(&mod_a, "GET", "/hello", h_hello, &s) == 0);
	VG_CHECK(vg_http_route(&mod_a, "GET", "/hello", h_hello, &s) == -1);
	VG_CHECK(vg_http_keep_header(&mod_a, "X-Test-Token") == 0);
	VG_CHECK(raw_open(&r, 0) == 0);
	status = raw_http(&r, req, strlen(req), body, sizeof(body));
	VG_CHECK_INT(status, 200);
	VG_CHECK_STR(body, "hello");
	VG_CHECK(strcasestr(r.buf, "x-answer") == NULL);	/* consumed */
	VG_CHECK_INT(s.calls, 1);
	VG_CHECK_STR(s.query, "a=1&b=two%20words");
	VG_CHECK_STR(s.header, "tok123");
	/* keep-alive: a second request on the same connection */
	status = raw_http(&r, req, strlen(req), body, sizeof(body));
	VG_CHECK_INT(status, 200);
	VG_CHECK_INT(s.calls, 2);
	close(r.fd);
	vg_net_release_owner(&mod_a);
	vg_net_stop();
}

/* POST delivers the body whole. */
static void
t_post_body(void)
{
	struct seen s = { 0 };
	struct raw r;
	char body[256];
	const char *req = "POST /echo-body HTTP/1.1\r\nHost: t\r\n"
	    "Content-Type: application/x-www-form-urlencoded\r\n"
	    "Content-Length: 11\r\n\r\nFrom=%2B123";
	int status;

	VG_CHECK(net_up(1000, 1000, 1 << 20) == 0);
	VG_CHECK(vg_http_route(&mod_a, "POST", "/echo-body", h_post, &s) ==
	    0);
	VG_CHECK(raw_open(&r, 0) == 0);
	status = raw_http(&r, req, strlen(req), body, sizeof(body));
	VG_CHECK_INT(status, 201);
	VG_CHECK_STR(body, "From=%2B123");
	VG_CHECK_STR(s.body, "From=%2B123");
	VG_CHECK_INT(s.body_len, 11);
	close(r.fd);
	/* GET on a POST-only route: 404 */
	VG_CHECK_INT(http_get("/echo-body", body, sizeof(body)), 404);
	vg_net_release_owner(&mod_a);
	vg_net_stop();
}

/* A prefix route for any method, and unroute. */
static void
t_prefix_and_any(void)
{
	struct seen s = { 0 };
	char body[256];

	VG_CHECK(net_up(1000, 1000, 1 << 20) == 0);
	VG_CHECK(vg_http_route(&mod_a, "*", "/ui/*", h_hello, &s) == 0);
	VG_CHECK_INT(http_get("/ui/", body, sizeof(body)), 200);
	VG_CHECK_INT(http_get("/ui/app.js", body, sizeof(body)), 200);
	VG_CHECK_INT(http_get("/uix", body, sizeof(body)), 404);
	VG_CHECK_INT(s.calls, 2);
	vg_http_unroute(&mod_a, "*", "/ui/*");
	VG_CHECK_INT(http_get("/ui/", body, sizeof(body)), 404);
	vg_net_stop();
}

/* A handler may answer later, from a timer. */
static void
t_deferred(void)
{
	struct seen s = { 0 };
	struct timeval tv = { 0, 100 * 1000 };
	struct event *ev;
	char body[256];
	uint64_t t0;

	VG_CHECK(net_up(1000, 1000, 1 << 20) == 0);
	VG_CHECK(vg_http_route(&mod_a, "GET", "/later", h_later, &s) == 0);
	ev = event_new(vg_core_base(), -1, 0, later_fire, &s);
	evtimer_add(ev, &tv);
	t0 = vg_now_ms();
	VG_CHECK_INT(http_get("/later", body, sizeof(body)), 202);
	VG_CHECK(vg_now_ms() - t0 >= 90);
	VG_CHECK_STR(body, "later");
	event_free(ev);
	vg_net_release_owner(&mod_a);
	vg_net_stop();
}

/* Answering a request whose client hung up returns -1. */
static void
t_client_gone(void)
{
	struct seen s = { 0 };
	struct raw r;
	const char *req = "GET /later HTTP/1.1\r\nHost: t\r\n\r\n";

	VG_CHECK(net_up(1000, 1000, 1 << 20) == 0);
	VG_CHECK(vg_http_route(&mod_a, "GET", "/later", h_later, &s) == 0);
	VG_CHECK(raw_open(&r, 0) == 0);
	VG_CHECK(raw_send(&r, req, strlen(req)) == 0);
	VG_CHECK(pump_until_cb(seen_called, &s));
	VG_CHECK(s.held != NULL);
	close(r.fd);
	pump_ms(200);		/* the listener sees the hang-up */
	if (s.held != NULL)
		VG_CHECK_INT(vg_http_respond(s.held, 200, NULL, "", 0), -1);
	vg_net_release_owner(&mod_a);
	vg_net_stop();
}

/* No route: 404; a WebSocket-only path without upgrade: 426. */
static void
t_404_426(void)
{
	struct wsrec w = { 0 };
	char body[256];

	VG_CHECK(net_up(1000, 1000, 1 << 20) == 0);
	VG_CHECK(vg_ws_endpoint(&mod_a, "/ws", &wsrec_handlers, &w) == 0);
	VG_CHECK_INT(http_get("/nothing", body, sizeof(body)), 404);
	VG_CHECK_STR(body, "{\"error\":\"not found\"}");
	VG_CHECK_INT(http_get("/ws", body, sizeof(body)), 426);
	vg_net_release_owner(&mod_a);
	vg_net_stop();
}

/* A body over the limit gets 413, is never delivered, and the connection
 * still serves. */
static void
t_413(void)
{
	struct seen s = { 0 };
	struct raw r;
	char body[256], *req;
	size_t n;
	int status;

	VG_CHECK(net_up(1000, 1000, 1 << 20) == 0);
	VG_CHECK(vg_http_route(&mod_a, "POST", "/echo-body", h_post, &s) ==
	    0);
	VG_CHECK(vg_http_route(&mod_a, "GET", "/hello", h_hello, &s) == 0);
	req = malloc(4096);
	n = (size_t)snprintf(req, 4096, "POST /echo-body HTTP/1.1\r\n"
	    "Host: t\r\nContent-Length: 2000\r\n\r\n");
	memset(req + n, 'y', 2000);
	VG_CHECK(raw_open(&r, 0) == 0);
	status = raw_http(&r, req, n + 2000, body, sizeof(body));
	VG_CHECK_INT(status, 413);
	VG_CHECK(strstr(body, "error") != NULL);
	VG_CHECK_INT(s.calls, 0);	/* never delivered */
	/* the same connection still serves */
	n = (size_t)snprintf(req, 4096,
	    "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
	VG_CHECK_INT(raw_http(&r, req, n, body, sizeof(body)), 200);
	close(r.fd);
	VG_CHECK_INT(http_get("/hello", body, sizeof(body)), 200);
	{
		struct vg_net_stats st;

		vg_net_stats(&st);
		VG_CHECK_INT(st.oversize, 1);
		VG_CHECK(st.http_requests >= 3);
	}
	free(req);
	vg_net_release_owner(&mod_a);
	vg_net_stop();
}

/* ---- cases: WebSockets ---- */

/* Echo text and binary through our client and our endpoint. */
static void
t_echo(void)
{
	struct wsrec srv = { .echo = 1 }, cli = { 0 };
	struct vg_ws_conn *c;
	unsigned char bin[4] = { 0, 1, 2, 255 };

	VG_CHECK(net_up(1000, 100000, 1 << 20) == 0);
	VG_CHECK(vg_ws_endpoint(&mod_a, "/echo", &wsrec_handlers, &srv) == 0);
	VG_CHECK(vg_ws_endpoint(&mod_a, "/echo", &wsrec_handlers, &srv) == -1);
	VG_CHECK((c = client("/echo", NULL, &cli)) != NULL);
	VG_CHECK(pump_until_cb(wsrec_opened, &cli));
	VG_CHECK(pump_until_cb(wsrec_opened, &srv));
	VG_CHECK(vg_ws_send(c, "hello", 5, 0) == 0);
	VG_CHECK(pump_until_cb(wsrec_has_msg, &cli));
	VG_CHECK_STR(cli.last, "hello");
	VG_CHECK_INT(cli.last_binary, 0);
	cli.msgs = 0;
	VG_CHECK(vg_ws_send(c, bin, sizeof(bin), 1) == 0);
	VG_CHECK(pump_until_cb(wsrec_has_msg, &cli));
	VG_CHECK_INT(cli.last_len, 4);
	VG_CHECK_INT(cli.last_binary, 1);
	VG_CHECK(memcmp(cli.last, bin, 4) == 0);
	/* a big message goes through whole */
	{
		char *big = malloc(60000);

		memset(big, 'z', 60000);
		cli.msgs = 0;
		VG_CHECK(vg_ws_send(c, big, 60000, 0) == 0);
		VG_CHECK(pump_until_cb(wsrec_has_msg, &cli));
		VG_CHECK_INT(cli.last_len, 60000);
		free(big);
	}
	vg_ws_close(c, VG_WS_CLOSE_NORMAL, "bye");
	VG_CHECK(vg_ws_send(c, "x", 1, 0) == -1);
	VG_CHECK(pump_until_cb(wsrec_closed, &cli));
	VG_CHECK(pump_until_cb(wsrec_closed, &srv));
	VG_CHECK_INT(cli.closes, 1);
	VG_CHECK_INT(srv.close_code, VG_WS_CLOSE_NORMAL);
	VG_CHECK_STR(srv.close_reason, "bye");
	vg_net_release_owner(&mod_a);
	vg_net_stop();
	VG_CHECK_INT(cli.closes, 1);	/* once */
}

/* The endpoint sees the client's extra header, path, query and peer. */
static void
t_client_header(void)
{
	struct wsrec srv = { 0 }, cli = { 0 };
	const char *hdrs[] = { "X-Test-Token: abc", NULL };
	struct vg_ws_conn *c;

	VG_CHECK(net_up(1000, 1000, 1 << 20) == 0);
	VG_CHECK(vg_ws_endpoint(&mod_a, "/hdr", &wsrec_handlers, &srv) == 0);
	VG_CHECK(vg_http_keep_header(&mod_a, "X-Test-Token") == 0);
	VG_CHECK((c = client("/hdr?call=7&x=a%20b", hdrs, &cli)) != NULL);
	VG_CHECK(pump_until_cb(wsrec_opened, &srv));
	VG_CHECK(pump_until_cb(wsrec_opened, &cli));
	VG_CHECK_STR(srv.header, "abc");
	VG_CHECK_STR(srv.path, "/hdr");
	VG_CHECK_STR(srv.query, "call=7&x=a%20b");
	VG_CHECK_STR(srv.peer, "127.0.0.1");
	VG_CHECK_STR(vg_ws_path(c), "/hdr");
	vg_net_release_owner(&mod_a);
	VG_CHECK(pump_until_cb(wsrec_closed, &cli));
	VG_CHECK_INT(srv.closes, 0);	/* released: no callbacks */
	vg_net_stop();
}

/* on_open returning -1 closes with 1008; an unknown path is refused with
 * 404. */
static void
t_refused(void)
{
	struct wsrec srv = { .refuse = 1 }, cli = { 0 }, none = { 0 };
	struct raw r;

	VG_CHECK(net_up(1000, 1000, 1 << 20) == 0);
	VG_CHECK(vg_ws_endpoint(&mod_a, "/no", &wsrec_handlers, &srv) == 0);
	VG_CHECK(client("/no", NULL, &cli) != NULL);
	VG_CHECK(pump_until_cb(wsrec_closed, &cli));
	VG_CHECK_INT(cli.close_code, VG_WS_CLOSE_POLICY);
	VG_CHECK(pump_until_cb(wsrec_closed, &srv));
	/* unknown path: refused before the upgrade */
	VG_CHECK(client("/unknown", NULL, &none) != NULL);
	VG_CHECK(pump_until_cb(wsrec_closed, &none));
	VG_CHECK_INT(none.opens, 0);
	VG_CHECK_INT(none.close_code, VG_WS_CLOSE_ABNORMAL);
	VG_CHECK_INT(raw_ws_open(&r, "/unknown", 0), 404);
	close(r.fd);
	vg_net_release_owner(&mod_a);
	vg_net_stop();
}

/* Connecting to a closed port gives on_close(1006); bad URLs give NULL. */
static void
t_connect_refused(void)
{
	struct wsrec cli = { 0 };
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	char url[128];
	int fd;

	VG_CHECK(net_up(1000, 1000, 1 << 20) == 0);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	VG_CHECK(bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	VG_CHECK(getsockname(fd, (struct sockaddr *)&sin, &sl) == 0);
	close(fd);			/* nobody listens there now */
	snprintf(url, sizeof(url), "ws://127.0.0.1:%d/x",
	    ntohs(sin.sin_port));
	VG_CHECK(vg_ws_connect(&mod_b, url, NULL, &wsrec_handlers, &cli) !=
	    NULL);
	VG_CHECK(pump_until_cb(wsrec_closed, &cli));
	VG_CHECK_INT(cli.opens, 0);
	VG_CHECK_INT(cli.close_code, VG_WS_CLOSE_ABNORMAL);
	VG_CHECK(cli.close_reason[0] != '\0');
	VG_CHECK(vg_ws_connect(&mod_b, "http://x/", NULL, &wsrec_handlers,
	    &cli) == NULL);
	VG_CHECK(vg_ws_connect(&mod_b, "ws://:80/", NULL, &wsrec_handlers,
	    &cli) == NULL);
	VG_CHECK(vg_ws_connect(&mod_b, "ws://h:99999/", NULL, &wsrec_handlers,
	    &cli) == NULL);
	vg_net_stop();
}

/* A message over the limit closes with 1009; another connection is
 * unaffected. */
static void
t_oversize_message(void)
{
	struct wsrec srv = { .echo = 1 }, cli = { 0 };
	struct vg_ws_conn *c;
	struct vg_net_stats st;
	struct raw r;
	const unsigned char *f;

	VG_CHECK(net_up(1000, 1000, 1 << 20) == 0);
	VG_CHECK(vg_ws_endpoint(&mod_a, "/echo", &wsrec_handlers, &srv) == 0);
	VG_CHECK((c = client("/echo", NULL, &cli)) != NULL);
	VG_CHECK(pump_until_cb(wsrec_opened, &cli));
	VG_CHECK_INT(raw_ws_open(&r, "/echo", 0), 101);
	VG_CHECK(raw_ws_frame(&r, 2000) == 0);
	VG_CHECK(pump_until_cb(raw_close_frame, &r));
	/* the server's close frame: 0x88, length, code 1009 */
	f = (const unsigned char *)r.buf;
	VG_CHECK(r.len >= 4 && f[0] == 0x88 && ((f[2] << 8) | f[3]) == 1009);
	close(r.fd);
	VG_CHECK(pump_until_cb(wsrec_closed, &srv));
	VG_CHECK_INT(srv.close_code, VG_WS_CLOSE_TOO_BIG);
	vg_net_stats(&st);
	VG_CHECK_INT(st.oversize, 1);
	/* the other connection is unaffected */
	VG_CHECK(vg_ws_send(c, "still", 5, 0) == 0);
	VG_CHECK(pump_until_cb(wsrec_has_msg, &cli));
	VG_CHECK_STR(cli.last, "still");
	VG_CHECK_INT(cli.closes, 0);
	vg_net_release_owner(&mod_a);
	vg_net_stop();
}

/* Endpoint for the slow reader: remember each connection in order. */
struct flood {
	struct vg_ws_conn	*conns[4];
	int			 n;
	int			 closes;
	int			 code[4];
};

/* Flood endpoint on_open: remember the connection. */
static int
f_open(struct vg_ws_conn *conn, void *arg)
{
	struct flood *fl = arg;

	if (fl->n < 4)
		fl->conns[fl->n++] = conn;
	return (0);
}

/* Flood endpoint on_message: echo. */
static void
f_msg(struct vg_ws_conn *conn, const void *data, size_t len, int binary,
    void *arg)
{
	vg_ws_send(conn, data, len, binary);
}

/* Flood endpoint on_close: record the code. */
static void
f_close(struct vg_ws_conn *conn, int code, const char *reason, void *arg)
{
	struct flood *fl = arg;
	int i;

	for (i = 0; i < fl->n; i++)
		if (fl->conns[i] == conn) {
			fl->code[i] = code;
			fl->conns[i] = NULL;
		}
	fl->closes++;
}

static const struct vg_ws_handlers f_handlers = { f_open, f_msg, f_close };

/* Pump predicate: one flood connection is open. */
static int
f_one(void *arg)
{
	return (((struct flood *)arg)->n >= 1);
}

/* Pump predicate: two flood connections are open. */
static int
f_two(void *arg)
{
	return (((struct flood *)arg)->n >= 2);
}

/* A reader that never reads is dropped with 1008; another connection keeps
 * working. */
static void
t_slow_reader(void)
{
	struct flood fl = { 0 };
	struct wsrec cli = { 0 };
	struct vg_ws_conn *c;
	struct vg_net_stats st;
	struct raw r;
	char *chunk;
	uint64_t end;
	int sends = 0;

	VG_CHECK(net_up(1000, 100000, 256 * 1024) == 0);
	VG_CHECK(vg_ws_endpoint(&mod_a, "/flood", &f_handlers, &fl) == 0);
	VG_CHECK_INT(raw_ws_open(&r, "/flood", 4096), 101);
	VG_CHECK(pump_until_cb(f_one, &fl));
	VG_CHECK((c = client("/flood", NULL, &cli)) != NULL);
	VG_CHECK(pump_until_cb(wsrec_opened, &cli));
	VG_CHECK(pump_until_cb(f_two, &fl));
	chunk = malloc(65536);
	memset(chunk, 's', 65536);
	end = vg_now_ms() + WAIT_MS;
	while (fl.conns[0] != NULL && vg_now_ms() < end) {
		if (vg_ws_send(fl.conns[0], chunk, 65536, 1) == 0)
			sends++;
		event_base_loop(vg_core_base(), EVLOOP_NONBLOCK);
		usleep(300);
	}
	free(chunk);
	VG_CHECK(fl.conns[0] == NULL);
	VG_CHECK_INT(fl.code[0], VG_WS_CLOSE_POLICY);
	VG_CHECK(sends > 4);
	vg_net_stats(&st);
	VG_CHECK_INT(st.ws_dropped_slow, 1);
	/* the other connection keeps working */
	VG_CHECK(vg_ws_send(c, "alive", 5, 0) == 0);
	VG_CHECK(pump_until_cb(wsrec_has_msg, &cli));
	VG_CHECK_STR(cli.last, "alive");
	VG_CHECK_INT(cli.closes, 0);
	close(r.fd);
	vg_net_release_owner(&mod_a);
	vg_net_stop();
}

/* Releasing a module removes its routes and endpoints and closes its
 * connections silently. */
static void
t_release_owner(void)
{
	struct seen s = { 0 };
	struct wsrec srv = { 0 }, cli = { 0 }, own = { 0 }, late = { 0 };
	struct vg_net_stats st;
	char body[256];
	unsigned n;

	VG_CHECK(net_up(1000, 1000, 1 << 20) == 0);
	VG_CHECK(vg_http_route(&mod_a, "GET", "/a/x", h_hello, &s) == 0);
	VG_CHECK(vg_ws_endpoint(&mod_a, "/a/ws", &wsrec_handlers, &srv) == 0);
	VG_CHECK(vg_ws_endpoint(&mod_b, "/b/ws", &wsrec_handlers, &own) == 0);
	VG_CHECK_INT(http_get("/a/x", body, sizeof(body)), 200);
	/* B's client on A's endpoint */
	VG_CHECK(client("/a/ws", NULL, &cli) != NULL);
	VG_CHECK(pump_until_cb(wsrec_opened, &srv));
	VG_CHECK(pump_until_cb(wsrec_opened, &cli));
	vg_net_stats(&st);
	VG_CHECK_INT(st.ws_open, 2);
	n = vg_net_release_owner(&mod_a);
	VG_CHECK_INT(n, 3);		/* route, endpoint, connection */
	VG_CHECK(pump_until_cb(wsrec_closed, &cli));
	VG_CHECK_INT(cli.close_code, VG_WS_CLOSE_GOING_AWAY);
	pump_ms(50);
	VG_CHECK_INT(srv.closes, 0);	/* no callback into A */
	VG_CHECK_INT(http_get("/a/x", body, sizeof(body)), 404);
	VG_CHECK(client("/a/ws", NULL, &late) != NULL);
	VG_CHECK(pump_until_cb(wsrec_closed, &late));
	VG_CHECK_INT(late.opens, 0);
	VG_CHECK_INT(srv.opens, 1);
	vg_net_stats(&st);
	VG_CHECK_INT(st.ws_open, 0);
	vg_net_release_owner(&mod_b);
	vg_net_stop();
}

/* A connection the module closed itself before unloading is not counted
 * as left behind, and its late on_close never reaches the module. */
static void
t_release_after_close(void)
{
	struct wsrec srv = { 0 }, cli = { 0 };

	VG_CHECK(net_up(1000, 1000, 1 << 20) == 0);
	VG_CHECK(vg_ws_endpoint(&mod_a, "/a/ws", &wsrec_handlers, &srv) == 0);
	VG_CHECK(client("/a/ws", NULL, &cli) != NULL);
	VG_CHECK(pump_until_cb(wsrec_opened, &srv));
	VG_CHECK(srv.conn != NULL);
	vg_ws_close(srv.conn, VG_WS_CLOSE_GOING_AWAY, "unloading");
	vg_ws_unendpoint(&mod_a, "/a/ws");
	VG_CHECK_INT(vg_net_release_owner(&mod_a), 0);
	VG_CHECK(pump_until_cb(wsrec_closed, &cli));
	pump_ms(50);
	VG_CHECK_INT(srv.closes, 0);
	vg_net_release_owner(&mod_b);
	vg_net_stop();
}

/* Messages for ids that are gone are dropped quietly, both ways. */
static void
t_stale_id(void)
{
	struct wsrec srv = { .echo = 1 }, cli = { 0 };
	struct vg_ws_conn *c;
	struct net_msg *m;

	VG_CHECK(net_up(1000, 1000, 1 << 20) == 0);
	VG_CHECK(vg_ws_endpoint(&mod_a, "/echo", &wsrec_handlers, &srv) == 0);
	/* to net.c: ids that never were */
	VG_CHECK(net_ws_send(999999999, "x", 1, 0) == -1);
	m = net_msg_new(NET_HTTP_RESP, 999999998);
	m->code = 200;
	VG_CHECK(net_act(m) == 0);
	VG_CHECK(net_act(net_msg_new(NET_WS_CLOSE, 999999997)) == 0);
	/* to the core side: ids it does not know */
	ws_dispatch(net_msg_new(NET_WS_CLOSED, 999999995));
	http_dispatch(net_msg_new(NET_HTTP_GONE, 999999994));
	/* everything still works */
	VG_CHECK((c = client("/echo", NULL, &cli)) != NULL);
	VG_CHECK(pump_until_cb(wsrec_opened, &cli));
	VG_CHECK(vg_ws_send(c, "ok", 2, 0) == 0);
	VG_CHECK(pump_until_cb(wsrec_has_msg, &cli));
	VG_CHECK_STR(cli.last, "ok");
	VG_CHECK_INT(cli.closes, 0);
	vg_net_release_owner(&mod_a);
	vg_net_stop();
	VG_CHECK_INT(cli.closes, 1);	/* stop closes, on_close once */
}

/* A second start, or a busy port, fails with -1. */
static void
t_listen_fails(void)
{
	struct vg_settings s;
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int fd, one = 1;

	VG_CHECK(net_up(1000, 1000, 1 << 20) == 0);
	vg_settings_defaults(&s);
	VG_CHECK(vg_net_start(&s) == -1);	/* already running */
	vg_net_stop();
	VG_CHECK(vg_net_port() == 0);
	/* a port somebody else holds */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	VG_CHECK(bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	VG_CHECK(listen(fd, 1) == 0);
	VG_CHECK(getsockname(fd, (struct sockaddr *)&sin, &sl) == 0);
	vg_strlcpy(s.listen_addr, "127.0.0.1", sizeof(s.listen_addr));
	s.listen_port = ntohs(sin.sin_port);
	VG_CHECK(vg_net_start(&s) == -1);
	close(fd);
}

/* After stop_accepting new connections are hung up, open ones keep working. */
static void
t_stop_accepting(void)
{
	struct wsrec srv = { .echo = 1 }, cli = { 0 };
	struct vg_ws_conn *c;
	struct raw r;

	VG_CHECK(net_up(1000, 1000, 1 << 20) == 0);
	VG_CHECK(vg_ws_endpoint(&mod_a, "/echo", &wsrec_handlers, &srv) == 0);
	VG_CHECK((c = client("/echo", NULL, &cli)) != NULL);
	VG_CHECK(pump_until_cb(wsrec_opened, &cli));
	vg_net_stop_accepting();
	/* a new connection is hung up without an answer */
	VG_CHECK(raw_open(&r, 0) == 0);
	VG_CHECK(raw_send(&r, "GET / HTTP/1.1\r\nHost: t\r\n\r\n", 27) == 0);
	VG_CHECK(pump_until_cb(raw_http_done, &r));
	VG_CHECK(r.eof && r.len == 0);
	close(r.fd);
	/* the open one still works */
	VG_CHECK(vg_ws_send(c, "on", 2, 0) == 0);
	VG_CHECK(pump_until_cb(wsrec_has_msg, &cli));
	VG_CHECK_STR(cli.last, "on");
	vg_net_release_owner(&mod_a);
	vg_net_stop();
	VG_CHECK_INT(cli.closes, 1);
	VG_CHECK_INT(cli.close_code, VG_WS_CLOSE_GOING_AWAY);
}

static const struct vg_test cases[] = {
	{ "net/http_get_query_kept_header",	t_get_query_header },
	{ "net/http_post_body",			t_post_body },
	{ "net/http_prefix_and_any_method",	t_prefix_and_any },
	{ "net/http_deferred_answer",		t_deferred },
	{ "net/http_client_gone",		t_client_gone },
	{ "net/http_404_and_426",		t_404_426 },
	{ "net/http_413_then_serves",		t_413 },
	{ "net/ws_echo",			t_echo },
	{ "net/ws_client_header_query_peer",	t_client_header },
	{ "net/ws_refused_open_and_path",	t_refused },
	{ "net/ws_connect_refused_1006",	t_connect_refused },
	{ "net/ws_oversize_1009",		t_oversize_message },
	{ "net/ws_slow_reader_1008",		t_slow_reader },
	{ "net/release_owner",			t_release_owner },
	{ "net/release_owner_after_own_close",	t_release_after_close },
	{ "net/stale_ids_dropped",		t_stale_id },
	{ "net/start_twice_and_busy_port",	t_listen_fails },
	{ "net/stop_accepting",			t_stop_accepting },
};
VG_TEST_MAIN(cases)
