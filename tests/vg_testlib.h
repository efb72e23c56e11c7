/*
 * Helpers shared by the C test programs (tests/libvgtest.la, built for
 * `make check` only): driving the core loop from the test thread, printing
 * configuration errors, and a raw-socket HTTP client for the core's
 * listener on 127.0.0.1. The test thread is the core thread; every wait
 * has a deadline of VG_TEST_WAIT_MS.
 */
#ifndef VG_TESTLIB_H
#define VG_TESTLIB_H

#include <stddef.h>

#include <voicegate/ws.h>

#define VG_TEST_WAIT_MS	5000	/* the longest a pump_until may take */

struct vg_conf_error;

/* A raw client connection and what it has read so far. */
struct http_client {
	int	 fd;
	char	 buf[32768];
	size_t	 len;
	int	 eof;
};

/* One HTTP response as http_exchange saw it. */
struct http_resp {
	int	 status;
	char	 ctype[64];		/* the Content-Type header */
	char	 head[4096];		/* status line and headers */
	char	 body[16384];
};

/* Run the core loop for about MS milliseconds. */
void	pump_ms(int ms);

/* Run the core loop in 5 ms slices until DONE(ARG) or VG_TEST_WAIT_MS.
 * Returns DONE's last answer (1 when done, 0 on the deadline). */
int	pump_until_cb(int (*done)(void *), void *arg);

/* Run the core loop in SLICE_MS slices until *P >= N or VG_TEST_WAIT_MS.
 * Returns 1 when reached, 0 on the deadline. */
int	pump_until_count(const int *p, int n, int slice_ms);

/* A vg_conf_parse error callback that prints E to stderr. */
void	conf_err(const struct vg_conf_error *e, void *arg);

/* Bind a TCP socket to 127.0.0.1 on an ephemeral port (not listening);
 * PORT gets the port. Returns the fd or -1. */
int	listen_loopback(int *port);

/* Connect to the core's listener on 127.0.0.1, with SO_RCVBUF RCVBUF when
 * positive (blocking connect, then non-blocking). Returns the fd or -1. */
int	tcp_open(int rcvbuf);

/* Copy header NAME's value in the response or request head HEAD into OUT
 * ("" when absent). Returns OUT. */
const char *http_header(const char *head, const char *name, char *out,
	    size_t size);

/* Read what has arrived on C; true when it holds a whole response (by
 * Content-Length, a 304 head, or the peer closing). */
int	http_client_done(void *arg);

/* Send the whole request REQ to the listener and wait for the answer in R.
 * Returns 0 or -1. */
int	http_exchange(const char *req, struct http_resp *r);

/* What one WebSocket end saw, through wsrec_handlers (ARG: the wsrec);
 * the fields above conn are set by the test to steer the handlers. */
struct wsrec {
	int			 opens;
	int			 closes;
	int			 close_code;
	char			 close_reason[128];
	int			 msgs;
	char			 last[256];	/* the last message, cut */
	size_t			 last_len;
	int			 last_binary;
	char			 header[128];	/* the x-test-token header */
	char			 path[128];
	char			 query[128];
	char			 peer[64];
	int			 refuse;	/* on_open returns -1 */
	int			 echo;		/* on_message echoes */
	const char		*greet;		/* sent from on_open */
	int			 close_on_msg;	/* on_message closes so */
	struct vg_ws_conn	*conn;		/* until its on_close */
};

extern const struct vg_ws_handlers wsrec_handlers;

/* Pump predicates on a wsrec: on_open came, on_close came, a message
 * came. */
int	wsrec_opened(void *arg);
int	wsrec_closed(void *arg);
int	wsrec_has_msg(void *arg);

#endif /* VG_TESTLIB_H */
