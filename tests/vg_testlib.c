/*
 * Helpers shared by the C test programs; vg_testlib.h says what each does.
 */
#include "config.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <event2/event.h>

#include <voicegate/voicegate.h>

#include "core.h"
#include "vg_testlib.h"

/* Run the core loop for about MS milliseconds. */
void
pump_ms(int ms)
{
	struct timeval tv = { 0, ms * 1000 };

	event_base_loopexit(vg_core_base(), &tv);
	event_base_loop(vg_core_base(), 0);
}

/* Run the loop until DONE(ARG) or the deadline. */
int
pump_until_cb(int (*done)(void *), void *arg)
{
	uint64_t end = vg_now_ms() + VG_TEST_WAIT_MS;

	while (!done(arg)) {
		if (vg_now_ms() > end)
			return (0);
		pump_ms(5);
	}
	return (1);
}

/* Run the loop until *P >= N or the deadline. */
int
pump_until_count(const int *p, int n, int slice_ms)
{
	uint64_t end = vg_now_ms() + VG_TEST_WAIT_MS;

	while (*p < n) {
		if (vg_now_ms() > end)
			return (0);
		pump_ms(slice_ms);
	}
	return (1);
}

/* Print one configuration error. */
void
conf_err(const struct vg_conf_error *e, void *arg)
{
	(void)arg;
	fprintf(stderr, "  conf %s:%d: %s\n", e->file, e->line, e->message);
}

/* Bind a loopback socket on port 0. */
int
listen_loopback(int *port)
{
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);
	int fd;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return (-1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &slen) == -1) {
		close(fd);
		return (-1);
	}
	*port = ntohs(sin.sin_port);
	return (fd);
}

/* Connect to the listener. */
int
tcp_open(int rcvbuf)
{
	struct sockaddr_in sin;
	int fd;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return (-1);
	if (rcvbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
		    sizeof(rcvbuf));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)vg_net_port());
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		close(fd);
		return (-1);
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return (fd);
}

/* Header NAME's value in HEAD. */
const char *
http_header(const char *head, const char *name, char *out, size_t size)
{
	char pat[64];
	const char *p;
	size_t n;

	out[0] = '\0';
	snprintf(pat, sizeof(pat), "\r\n%s: ", name);
	if ((p = strcasestr(head, pat)) == NULL)
		return (out);
	p += strlen(pat);
	n = strcspn(p, "\r\n");
	if (n >= size)
		n = size - 1;
	memcpy(out, p, n);
	out[n] = '\0';
	return (out);
}

/* True when the client holds a whole response. */
int
http_client_done(void *arg)
{
	struct http_client *c = arg;
	char *end, *cl;
	ssize_t n = -1;

	while (c->len < sizeof(c->buf) - 1 &&
	    (n = read(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len)) >
	    0)
		c->len += (size_t)n;
	c->buf[c->len] = '\0';
	if (n == 0)
		c->eof = 1;
	if (c->eof)
		return (1);
	if ((end = strstr(c->buf, "\r\n\r\n")) == NULL)
		return (0);
	if (strncmp(c->buf, "HTTP/1.1 304", 12) == 0)
		return (1);
	if ((cl = strcasestr(c->buf, "\r\ncontent-length:")) == NULL ||
	    cl > end)
		return (0);
	return (c->len >= (size_t)(end - c->buf) + 4 +
	    strtoul(cl + 17, NULL, 10));
}

/* Send REQ, wait for the whole answer and split it into R. */
int
http_exchange(const char *req, struct http_resp *r)
{
	struct http_client *c;
	char *end;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	c = vg_xcalloc(1, sizeof(*c));
	if ((c->fd = tcp_open(0)) == -1)
		goto out;
	if (write(c->fd, req, strlen(req)) != (ssize_t)strlen(req))
		goto out;
	if (!pump_until_cb(http_client_done, c) ||
	    sscanf(c->buf, "HTTP/1.1 %d", &r->status) != 1)
		goto out;
	if ((end = strstr(c->buf, "\r\n\r\n")) != NULL) {
		snprintf(r->head, sizeof(r->head), "%.*s",
		    (int)(end - c->buf + 2), c->buf);
		http_header(r->head, "Content-Type", r->ctype,
		    sizeof(r->ctype));
		snprintf(r->body, sizeof(r->body), "%s", end + 4);
	}
	rc = 0;
out:
	if (c->fd != -1)
		close(c->fd);
	free(c);
	return (rc);
}

/* ---- WebSocket ends that record what they see ---- */

/* on_open: record, maybe greet, maybe refuse. */
static int
wsrec_open(struct vg_ws_conn *conn, void *arg)
{
	struct wsrec *w = arg;
	const char *v;

	w->opens++;
	w->conn = conn;
	v = vg_ws_header(conn, "x-test-token");
	vg_strlcpy(w->header, v != NULL ? v : "", sizeof(w->header));
	vg_strlcpy(w->path, vg_ws_path(conn), sizeof(w->path));
	vg_strlcpy(w->query, vg_ws_query(conn), sizeof(w->query));
	vg_strlcpy(w->peer, vg_ws_peer(conn), sizeof(w->peer));
	if (w->greet != NULL)
		vg_ws_send(conn, w->greet, strlen(w->greet), 0);
	return (w->refuse ? -1 : 0);
}

/* on_message: record the last message, maybe echo it, maybe close. */
static void
wsrec_msg(struct vg_ws_conn *conn, const void *data, size_t len, int binary,
    void *arg)
{
	struct wsrec *w = arg;
	size_t n = len < sizeof(w->last) - 1 ? len : sizeof(w->last) - 1;

	w->msgs++;
	w->last_len = len;
	w->last_binary = binary;
	memcpy(w->last, data, n);
	w->last[n] = '\0';
	if (w->echo)
		vg_ws_send(conn, data, len, binary);
	if (w->close_on_msg != 0)
		vg_ws_close(conn, w->close_on_msg, "on message");
}

/* on_close: record the code and reason. */
static void
wsrec_close(struct vg_ws_conn *conn, int code, const char *reason,
    void *arg)
{
	struct wsrec *w = arg;

	w->closes++;
	w->close_code = code;
	vg_strlcpy(w->close_reason, reason, sizeof(w->close_reason));
	if (w->conn == conn)
		w->conn = NULL;
}

const struct vg_ws_handlers wsrec_handlers = {
	wsrec_open, wsrec_msg, wsrec_close,
};

/* Pump predicate: on_open came. */
int
wsrec_opened(void *arg)
{
	return (((struct wsrec *)arg)->opens > 0);
}

/* Pump predicate: on_close came. */
int
wsrec_closed(void *arg)
{
	return (((struct wsrec *)arg)->closes > 0);
}

/* Pump predicate: a message came. */
int
wsrec_has_msg(void *arg)
{
	return (((struct wsrec *)arg)->msgs > 0);
}
