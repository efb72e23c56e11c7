/*
 * Unit tests for the asynchronous HTTP client, against a tiny scripted
 * HTTP/1.1 server on 127.0.0.1 (an ephemeral port) that runs in a thread
 * of this test. Every wait has a timeout.
 *
 * Server paths: /ok (200 text), /missing (404), /status/NNN, /redirect
 * (302 to /ok), /slow (never answers), /huge (2 MiB with Content-Length),
 * /huge-nolen (2 MiB until close), /echo (the raw request back).
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/event.h>

#include <voicegate/voicegate.h>

#include "core.h"
#include "vg_test.h"
#include "vg_testlib.h"

#define SRV_MAX_SLOW	16
#define SRV_HUGE	(2 * 1024 * 1024)

static struct {
	int		 lfd;
	int		 port;
	pthread_t	 thread;
	pthread_mutex_t	 lock;
	int		 stop;			/* under lock */
	int		 slow[SRV_MAX_SLOW];	/* server thread only */
	int		 nslow;
} srv = { .lfd = -1, .lock = PTHREAD_MUTEX_INITIALIZER };

/* Send all of BUF, ignoring a client that went away. */
static void
srv_send(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = send(fd, buf, len, MSG_NOSIGNAL)) <= 0) {
			if (n == -1 && errno == EINTR)
				continue;
			return;
		}
		buf += n;
		len -= (size_t)n;
	}
}

/* Send a whole response with BODY. */
static void
srv_respond(int fd, int status, const char *extra, const char *body,
    size_t len)
{
	char head[512];
	int n;

	n = snprintf(head, sizeof(head), "HTTP/1.1 %d X\r\n"
	    "Content-Type: text/plain\r\nContent-Length: %zu\r\n%s"
	    "Connection: close\r\n\r\n", status, len, extra);
	srv_send(fd, head, (size_t)n);
	srv_send(fd, body, len);
}

/* Read one request (head and Content-Length body) into BUF. Returns its
 * length, or -1. */
static ssize_t
srv_read_request(int fd, char *buf, size_t size)
{
	size_t have = 0, need = 0;
	char *end, *cl;
	ssize_t n;

	for (;;) {
		if (have + 1 >= size)
			return (-1);
		if ((n = recv(fd, buf + have, size - have - 1, 0)) <= 0)
			return (-1);
		have += (size_t)n;
		buf[have] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")) == NULL)
			continue;
		if (need == 0) {
			need = (size_t)(end - buf) + 4;
			if ((cl = strcasestr(buf, "\r\nContent-Length:")) !=
			    NULL && cl < end)
				need += strtoul(cl + 17, NULL, 10);
		}
		if (have >= need)
			return ((ssize_t)have);
	}
}

/* Answer one connection according to its path. */
static void
srv_serve(int fd)
{
	char req[65536], path[256], *big;
	struct timeval tv = { 2, 0 };
	ssize_t len;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if ((len = srv_read_request(fd, req, sizeof(req))) == -1 ||
	    sscanf(req, "%*s %255s", path) != 1) {
		close(fd);
		return;
	}
	if (strcmp(path, "/slow") == 0 && srv.nslow < SRV_MAX_SLOW) {
		srv.slow[srv.nslow++] = fd;	/* never answered */
		return;
	}
	if (strcmp(path, "/ok") == 0)
		srv_respond(fd, 200, "", "hello", 5);
	else if (strncmp(path, "/status/", 8) == 0)
		srv_respond(fd, atoi(path + 8), "", "s", 1);
	else if (strcmp(path, "/redirect") == 0)
		srv_respond(fd, 302, "Location: /ok\r\n", "", 0);
	else if (strcmp(path, "/echo") == 0)
		srv_respond(fd, 200, "", req, (size_t)len);
	else if (strcmp(path, "/huge") == 0) {
		big = calloc(1, SRV_HUGE);
		srv_respond(fd, 200, "", big, SRV_HUGE);
		free(big);
	} else if (strcmp(path, "/huge-nolen") == 0) {
		static const char head[] = "HTTP/1.1 200 OK\r\n"
		    "Connection: close\r\n\r\n";

		big = calloc(1, SRV_HUGE);
		srv_send(fd, head, sizeof(head) - 1);
		srv_send(fd, big, SRV_HUGE);
		free(big);
	} else
		srv_respond(fd, 404, "", "nope", 4);
	close(fd);
}

/* The server thread: accept and answer until told to stop. */
static void *
srv_main(void *unused)
{
	struct pollfd pfd;
	int fd, stop, i;

	for (;;) {
		pthread_mutex_lock(&srv.lock);
		stop = srv.stop;
		pthread_mutex_unlock(&srv.lock);
		if (stop)
			break;
		pfd.fd = srv.lfd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 50) <= 0)
			continue;
		if ((fd = accept(srv.lfd, NULL, NULL)) == -1)
			continue;
		srv_serve(fd);
	}
	for (i = 0; i < srv.nslow; i++)
		close(srv.slow[i]);
	srv.nslow = 0;
	return (NULL);
}

/* Start the core and the server. Returns 0 or -1. */
static int
setup(void)
{
	if (vg_core_init() == -1)
		return (-1);
	if ((srv.lfd = listen_loopback(&srv.port)) == -1 ||
	    listen(srv.lfd, 16) == -1)
		return (-1);
	srv.stop = 0;
	if (pthread_create(&srv.thread, NULL, srv_main, NULL) != 0)
		return (-1);
	return (0);
}

/* Stop the server and the core. */
static void
teardown(void)
{
	pthread_mutex_lock(&srv.lock);
	srv.stop = 1;
	pthread_mutex_unlock(&srv.lock);
	pthread_join(srv.thread, NULL);
	close(srv.lfd);
	srv.lfd = -1;
	vg_core_free();
}

/* ---- results ---- */

struct got {
	int		 calls;
	int		 status;
	int		 timed_out;
	int		 on_core;
	char		 error[256];
	int		 has_error;
	char		*body;
	size_t		 body_len;
	char		 ctype[64];
	int		*stop_when;	/* break the loop when *stop_when hits 0 */
};

/* Copy the result out; stop the loop when everyone is back. */
static void
got_cb(const struct vg_http_result *res, void *arg)
{
	struct got *g = arg;

	g->calls++;
	g->status = res->status;
	g->timed_out = res->timed_out;
	g->on_core = vg_core_is_core_thread();
	g->has_error = res->error != NULL;
	if (res->error != NULL)
		vg_strlcpy(g->error, res->error, sizeof(g->error));
	free(g->body);
	g->body = vg_xstrndup(res->body, res->body_len);
	g->body_len = res->body_len;
	if (res->content_type != NULL)
		vg_strlcpy(g->ctype, res->content_type, sizeof(g->ctype));
	if (g->stop_when != NULL && --*g->stop_when == 0)
		event_base_loopbreak(vg_core_base());
}

/* Run the loop for at most MS. */
static void
run_for(unsigned ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	event_base_loopexit(vg_core_base(), &tv);
	event_base_dispatch(vg_core_base());
}

/* Fetch PATH on the test server with REQ's settings; wait for the result
 * (up to five seconds). G is zeroed or holds a previous result. */
static void
fetch_and_wait(struct vg_http_request *req, const char *path, struct got *g)
{
	struct vg_http_fetch *f;
	char *url;
	int left = 1;

	free(g->body);		/* from the previous fetch, or NULL */
	memset(g, 0, sizeof(*g));
	g->stop_when = &left;
	url = vg_asprintf("http://127.0.0.1:%d%s", srv.port, path);
	req->url = url;
	f = vg_http_fetch(vg_core_module(), req, got_cb, g);
	VG_CHECK(f != NULL);
	VG_CHECK_INT(g->calls, 0);		/* never synchronous */
	if (f != NULL)
		run_for(5000);
	VG_CHECK_INT(g->calls, 1);
	VG_CHECK_INT(g->on_core, 1);
	req->url = NULL;
	free(url);
}

static struct vg_module mod_a = { .name = "mod_a" };
static struct vg_module mod_b = { .name = "mod_b" };

/* ---- cases ---- */

static void
t_get(void)
{
	struct vg_http_request req = { 0 };
	struct got g = { 0 };

	VG_CHECK_INT(setup(), 0);
	fetch_and_wait(&req, "/ok", &g);
	VG_CHECK_INT(g.status, 200);
	VG_CHECK_INT(g.has_error, 0);
	VG_CHECK_INT(g.timed_out, 0);
	VG_CHECK_STR(g.body, "hello");
	VG_CHECK_INT(g.body_len, 5);
	VG_CHECK_STR(g.ctype, "text/plain");
	/* What curl sent: a GET, with no body. */
	fetch_and_wait(&req, "/echo", &g);
	VG_CHECK(strncmp(g.body, "GET /echo HTTP/1.1\r\n", 20) == 0);
	VG_CHECK(strcasestr(g.body, "Content-Length") == NULL);
	free(g.body);
	teardown();
}

static void
t_post_body_headers(void)
{
	static const char *const hdrs[] = {
		"X-Test: yes",
		"Content-Type: application/x-www-form-urlencoded",
		NULL,
	};
	struct vg_http_request req = { 0 };
	struct got g = { 0 };

	VG_CHECK_INT(setup(), 0);
	req.headers = hdrs;
	req.body = "a=1&b=two";
	req.body_len = 9;
	fetch_and_wait(&req, "/echo", &g);
	VG_CHECK_INT(g.status, 200);
	VG_CHECK(g.body != NULL && strncmp(g.body, "POST /echo HTTP/1.1\r\n",
	    21) == 0);
	VG_CHECK(strstr(g.body, "\r\nX-Test: yes\r\n") != NULL);
	VG_CHECK(strstr(g.body, "\r\nContent-Type: "
	    "application/x-www-form-urlencoded\r\n") != NULL);
	VG_CHECK(strstr(g.body, "\r\nContent-Length: 9\r\n") != NULL);
	VG_CHECK(strcasestr(g.body, "Expect:") == NULL);
	VG_CHECK(g.body_len > 13 &&
	    strcmp(g.body + g.body_len - 13, "\r\n\r\na=1&b=two") == 0);
	VG_CHECK(strcasestr(g.body, "Authorization") == NULL);

	/* Another method with a body. */
	req.method = "PUT";
	req.headers = NULL;
	fetch_and_wait(&req, "/echo", &g);
	VG_CHECK(g.body != NULL && strncmp(g.body, "PUT /echo ", 10) == 0);
	VG_CHECK(g.body_len > 9 &&
	    strcmp(g.body + g.body_len - 9, "a=1&b=two") == 0);

	/* A body bigger than curl's Expect threshold goes straight. */
	req.method = NULL;
	req.body = calloc(1, 40000);
	req.body_len = 40000;
	fetch_and_wait(&req, "/echo", &g);
	VG_CHECK_INT(g.status, 200);
	VG_CHECK(strstr(g.body, "\r\nContent-Length: 40000\r\n") != NULL);
	free((void *)req.body);
	free(g.body);
	teardown();
}

static void
t_basic_auth(void)
{
	struct vg_http_request req = { 0 };
	struct got g = { 0 };

	VG_CHECK_INT(setup(), 0);
	req.userpwd = "user:pass";
	fetch_and_wait(&req, "/echo", &g);
	VG_CHECK_INT(g.status, 200);
	/* base64("user:pass") */
	VG_CHECK(strstr(g.body, "\r\nAuthorization: Basic dXNlcjpwYXNz\r\n")
	    != NULL);
	free(g.body);
	teardown();
}

static void
t_status_codes(void)
{
	struct vg_http_request req = { 0 };
	struct got g = { 0 };

	VG_CHECK_INT(setup(), 0);
	fetch_and_wait(&req, "/missing", &g);
	VG_CHECK_INT(g.status, 404);
	VG_CHECK_INT(g.has_error, 0);
	VG_CHECK_STR(g.body, "nope");
	fetch_and_wait(&req, "/status/503", &g);
	VG_CHECK_INT(g.status, 503);
	fetch_and_wait(&req, "/status/201", &g);
	VG_CHECK_INT(g.status, 201);
	/* Redirects are not followed. */
	fetch_and_wait(&req, "/redirect", &g);
	VG_CHECK_INT(g.status, 302);
	free(g.body);
	teardown();
}

static void
t_timeout(void)
{
	struct vg_http_request req = { 0 };
	struct got g = { 0 };
	uint64_t t0, dt;

	VG_CHECK_INT(setup(), 0);
	req.timeout_ms = 300;
	t0 = vg_now_ms();
	fetch_and_wait(&req, "/slow", &g);
	dt = vg_now_ms() - t0;
	VG_CHECK_INT(g.status, 0);
	VG_CHECK_INT(g.timed_out, 1);
	VG_CHECK_INT(g.has_error, 1);
	VG_CHECK(dt >= 250 && dt < 3000);
	free(g.body);
	teardown();
}

static void
t_response_cap(void)
{
	struct vg_http_request req = { 0 };
	struct got g = { 0 };

	VG_CHECK_INT(setup(), 0);
	/* Default cap (1 MiB) against a declared 2 MiB. */
	fetch_and_wait(&req, "/huge", &g);
	VG_CHECK_INT(g.status, 0);
	VG_CHECK_INT(g.timed_out, 0);
	VG_CHECK(strstr(g.error, "larger than 1048576 bytes") != NULL);
	VG_CHECK_INT(g.body_len, 0);
	/* A small cap against a body of unknown length. */
	req.max_response = 1000;
	fetch_and_wait(&req, "/huge-nolen", &g);
	VG_CHECK_INT(g.status, 0);
	VG_CHECK(strstr(g.error, "larger than 1000 bytes") != NULL);
	/* Under the cap is fine. */
	req.max_response = 5;
	fetch_and_wait(&req, "/ok", &g);
	VG_CHECK_INT(g.status, 200);
	VG_CHECK_STR(g.body, "hello");
	free(g.body);
	teardown();
}

static void
t_refused(void)
{
	struct vg_http_request req = { 0 };
	struct got g = { 0 };
	char *url;
	int fd, port, left = 1;

	VG_CHECK_INT(vg_core_init(), 0);
	/* A port that was just free and has nobody listening. */
	VG_CHECK((fd = listen_loopback(&port)) != -1);
	close(fd);
	memset(&g, 0, sizeof(g));
	g.stop_when = &left;
	url = vg_asprintf("http://127.0.0.1:%d/ok", port);
	req.url = url;
	VG_CHECK(vg_http_fetch(&mod_a, &req, got_cb, &g) != NULL);
	VG_CHECK_INT(g.calls, 0);
	run_for(5000);
	VG_CHECK_INT(g.calls, 1);
	VG_CHECK_INT(g.status, 0);
	VG_CHECK_INT(g.timed_out, 0);
	VG_CHECK_INT(g.has_error, 1);
	free(url);
	free(g.body);
	vg_core_free();
}

static void
t_cancel(void)
{
	struct vg_http_request req = { 0 };
	struct vg_http_fetch *f;
	struct got g = { 0 };
	char *url;

	VG_CHECK_INT(setup(), 0);
	memset(&g, 0, sizeof(g));
	url = vg_asprintf("http://127.0.0.1:%d/ok", srv.port);
	req.url = url;
	/* Cancelled at once. */
	VG_CHECK((f = vg_http_fetch(&mod_a, &req, got_cb, &g)) != NULL);
	vg_http_fetch_cancel(f);
	/* Cancelled in flight, once the server holds the request. */
	free(url);
	url = vg_asprintf("http://127.0.0.1:%d/slow", srv.port);
	req.url = url;
	VG_CHECK((f = vg_http_fetch(&mod_a, &req, got_cb, &g)) != NULL);
	run_for(200);
	vg_http_fetch_cancel(f);
	/* Cancelled before a deferred error is reported. */
	req.url = "ftp://127.0.0.1/x";
	VG_CHECK((f = vg_http_fetch(&mod_a, &req, got_cb, &g)) != NULL);
	vg_http_fetch_cancel(f);
	run_for(300);
	VG_CHECK_INT(g.calls, 0);
	VG_CHECK_INT(vg_httpc_release_owner(&mod_a), 0);
	free(url);
	teardown();
}

static void
t_never_synchronous(void)
{
	static const char *bad[] = {
		"ftp://127.0.0.1/x", "file:///etc/passwd", "nonsense",
	};
	struct vg_http_request req = { 0 };
	struct got g[3];
	size_t i;
	int left = VG_NELEM(bad);

	VG_CHECK_INT(vg_core_init(), 0);
	for (i = 0; i < VG_NELEM(bad); i++) {
		memset(&g[i], 0, sizeof(g[i]));
		g[i].stop_when = &left;
		req.url = bad[i];
		/* Started, with the failure reported later. */
		VG_CHECK(vg_http_fetch(&mod_a, &req, got_cb, &g[i]) != NULL);
		VG_CHECK_INT(g[i].calls, 0);
	}
	run_for(5000);
	for (i = 0; i < VG_NELEM(bad); i++) {
		VG_CHECK_INT(g[i].calls, 1);
		VG_CHECK_INT(g[i].status, 0);
		VG_CHECK_INT(g[i].has_error, 1);
		free(g[i].body);
	}
	/* No URL at all cannot start. */
	req.url = NULL;
	VG_CHECK(vg_http_fetch(&mod_a, &req, got_cb, &g[0]) == NULL);
	vg_core_free();
}

/* Chain a second fetch from inside the first one's callback. */
static void
chain_cb(const struct vg_http_result *res, void *arg)
{
	struct got *g = arg;
	struct vg_http_request req = { 0 };
	char *url;

	url = vg_asprintf("http://127.0.0.1:%d/missing", srv.port);
	req.url = url;
	VG_CHECK_INT(res->status, 200);
	VG_CHECK(vg_http_fetch(&mod_b, &req, got_cb, g) != NULL);
	free(url);
}

static void
t_fetch_from_callback(void)
{
	struct vg_http_request req = { 0 };
	struct got g = { 0 };
	char *url;
	int left = 1;

	VG_CHECK_INT(setup(), 0);
	memset(&g, 0, sizeof(g));
	g.stop_when = &left;
	url = vg_asprintf("http://127.0.0.1:%d/ok", srv.port);
	req.url = url;
	VG_CHECK(vg_http_fetch(&mod_b, &req, chain_cb, &g) != NULL);
	run_for(5000);
	VG_CHECK_INT(g.calls, 1);
	VG_CHECK_INT(g.status, 404);
	free(url);
	free(g.body);
	teardown();
}

static void
t_release_owner(void)
{
	struct vg_http_request req = { 0 };
	struct got ga[2], gb;
	char *slow, *ok;
	int left = 1;

	VG_CHECK_INT(setup(), 0);
	memset(ga, 0, sizeof(ga));
	memset(&gb, 0, sizeof(gb));
	gb.stop_when = &left;
	slow = vg_asprintf("http://127.0.0.1:%d/slow", srv.port);
	ok = vg_asprintf("http://127.0.0.1:%d/ok", srv.port);
	req.url = slow;
	VG_CHECK(vg_http_fetch(&mod_a, &req, got_cb, &ga[0]) != NULL);
	req.url = "ftp://127.0.0.1/x";	/* a deferred error counts too */
	VG_CHECK(vg_http_fetch(&mod_a, &req, got_cb, &ga[1]) != NULL);
	req.url = ok;
	VG_CHECK(vg_http_fetch(&mod_b, &req, got_cb, &gb) != NULL);
	VG_CHECK_INT(vg_httpc_release_owner(&mod_a), 2);
	VG_CHECK_INT(vg_httpc_release_owner(&mod_a), 0);
	run_for(5000);
	VG_CHECK_INT(gb.calls, 1);
	VG_CHECK_INT(gb.status, 200);
	run_for(100);
	VG_CHECK_INT(ga[0].calls, 0);
	VG_CHECK_INT(ga[1].calls, 0);
	free(gb.body);
	free(slow);
	free(ok);
	teardown();
}

static void
t_free_in_flight(void)
{
	struct vg_http_request req = { 0 };
	struct got g = { 0 };
	char *url;

	VG_CHECK_INT(setup(), 0);
	memset(&g, 0, sizeof(g));
	url = vg_asprintf("http://127.0.0.1:%d/slow", srv.port);
	req.url = url;
	VG_CHECK(vg_http_fetch(&mod_a, &req, got_cb, &g) != NULL);
	run_for(100);
	/* Freed without a callback; ASan checks for leaks. */
	teardown();
	VG_CHECK_INT(g.calls, 0);
	free(url);
}

static const struct vg_test cases[] = {
	{ "httpc/get",				t_get },
	{ "httpc/post_body_and_headers",	t_post_body_headers },
	{ "httpc/basic_auth_sent",		t_basic_auth },
	{ "httpc/status_codes_passed",		t_status_codes },
	{ "httpc/timeout_reported",		t_timeout },
	{ "httpc/response_cap",			t_response_cap },
	{ "httpc/connection_refused",		t_refused },
	{ "httpc/cancel_means_no_callback",	t_cancel },
	{ "httpc/never_synchronous",		t_never_synchronous },
	{ "httpc/fetch_from_callback",		t_fetch_from_callback },
	{ "httpc/release_owner",		t_release_owner },
	{ "httpc/free_in_flight",		t_free_in_flight },
};
VG_TEST_MAIN(cases)
