/*
 * The call engine of voicegate-sim: every call, from the signed webhook to
 * the closing of its Media Stream, driven from one thread by one epoll loop
 * and a min-heap of deadlines, so that thousands of calls fit on one core.
 * Caller frames are encoded once and shared by all calls; each call plays
 * what it receives in real time like Twilio (a playback cursor, marks
 * echoed when it reaches them, clear) and checks every message strictly.
 */
#include "config.h"

#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "sim.h"
#include "wsc.h"

#define NS_MS		1000000ULL
#define NS_S		1000000000ULL
#define SR_MAX_HTTP	65536		/* webhook answer bound */
#define SR_MAX_MSG	(1024 * 1024)	/* one message from voicegate */
#define SR_HIST_BUCKETS	200000		/* 10 us buckets: up to 2 s */
#define SR_HIST_US	10
#define SR_MAX_EVENTS	512
#define SR_TAG_BYTES	16		/* LSBs that carry the frame number */

/* Where one call stands. */
enum sr_state {
	SR_IDLE = 0,
	SR_HOOK_CONNECT,	/* TCP connect for the webhook */
	SR_HOOK_WAIT,		/* request sent, reading the answer */
	SR_WS_CONNECT,		/* TCP connect for the media stream */
	SR_WS_HANDSHAKE,	/* upgrade sent, awaiting 101 */
	SR_STREAM,		/* sending caller audio */
	SR_DRAIN,		/* audio done, waiting for what is owed */
	SR_CLOSING,		/* stop and close sent */
	SR_DONE,
	SR_FAILED,
};

/* One mark waiting for the playback cursor. */
struct sr_mark {
	char		*name;
	uint64_t	 fire_at;	/* when the audio before it ends */
	uint64_t	 got_at;
};

/* One simulated call; owned by the run. */
struct sr_call {
	int		 idx;
	int		 fd;
	enum sr_state	 state;
	int		 want_out;
	struct wsc_buf	 in;
	struct wsc_buf	 out;
	struct wsc_buf	 msg;		/* a fragmented message being joined */
	int		 in_msg;
	char		 call_sid[35];
	char		 stream_sid[35];
	char		 accept[32];
	char		*params_json;	/* customParameters object */
	char		*ws_path;
	char		*ws_host;	/* Host header of the upgrade */
	char		 ws_sig[32];
	int		 says;
	uint64_t	 deadline;	/* next wake-up, or 0 */
	uint64_t	 step_deadline;	/* set-up step timeout */
	uint64_t	 t_begin;
	uint64_t	 t_hook;	/* webhook answered */
	uint64_t	 t_ws;		/* upgrade started */
	uint64_t	 t_open;	/* 101 received */
	uint64_t	 t_start;	/* start sent */
	uint64_t	 t_first_audio;
	uint64_t	 t_drain_end;
	uint32_t	 seq;		/* last sequenceNumber sent */
	uint32_t	 frames_sent;
	uint32_t	*sent_at_us;	/* per frame, since t_start */
	uint64_t	 rx_off;	/* echo: next expected byte of ours */
	uint32_t	 echoed;	/* frames that came back intact */
	uint32_t	 skipped;	/* frames passed over on resync */
	uint64_t	 garbled;	/* bytes back that matched nothing */
	int		 dtmf_i;
	uint64_t	 audio_bytes;
	uint64_t	 play_end;	/* when the queued agent audio ends */
	struct sr_mark	*marks;		/* pending, in order */
	int		 nmarks;
	int		 marks_cap;
	int		 marks_got;
	int		 marks_echoed;
	int		 clears;
	double		 mark_wait_max_ms;
	int		 perrors;	/* protocol errors */
	int		 peer_closed;	/* voicegate closed the stream */
	int		 http_status;
	char		 err[200];	/* first failure or protocol error */
};

/* A heap entry: wake call IDX at AT (stale if the call moved on). */
struct sr_wake {
	uint64_t	 at;
	int		 idx;
};

/* Everything one run shares. */
struct sr_run {
	const struct sim_opts *o;
	int		 ep;
	struct sr_call	*c;
	struct sockaddr_in hook_sa;
	struct sockaddr_in ws_sa;
	int		 ws_override;
	char		 ws_path[SIM_MAX_URL];
	uint32_t	 nframes;	/* frames per call */
	uint8_t		*frames;	/* nframes * 160 bytes, tagged */
	char		*frames_b64;	/* nframes * 217, NUL-separated */
	struct sr_wake	*heap;
	size_t		 nheap;
	size_t		 heap_cap;
	int		 started;
	int		 finished;
	uint32_t	*hist_hook;	/* webhook answer times */
	uint32_t	*hist_rtt;	/* echo round trips */
	uint64_t	 n_hook;
	uint64_t	 n_rtt;
	struct wsc_buf	 record;	/* heard audio of call 0 */
};

static void	sr_call_fail(struct sr_run *, struct sr_call *, const char *,
		    ...) __attribute__((format(printf, 3, 4)));
static void	sr_perror(struct sr_call *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static int	sr_hook_twiml(struct sr_run *, struct sr_call *,
		    const struct sim_twiml *);

/* ---- heap of deadlines ---- */

/* Push a wake-up for call IDX at AT. */
static void
sr_heap_push(struct sr_run *r, uint64_t at, int idx)
{
	size_t i, p;
	struct sr_wake t;

	if (r->nheap == r->heap_cap) {
		r->heap_cap = r->heap_cap ? r->heap_cap * 2 : 1024;
		r->heap = realloc(r->heap, r->heap_cap * sizeof(*r->heap));
		if (r->heap == NULL) {
			fprintf(stderr, "voicegate-sim: out of memory\n");
			exit(2);
		}
	}
	i = r->nheap++;
	r->heap[i].at = at;
	r->heap[i].idx = idx;
	while (i > 0) {
		p = (i - 1) / 2;
		if (r->heap[p].at <= r->heap[i].at)
			break;
		t = r->heap[p];
		r->heap[p] = r->heap[i];
		r->heap[i] = t;
		i = p;
	}
}

/* Remove the earliest wake-up from the heap. */
static void
sr_heap_pop(struct sr_run *r)
{
	size_t i = 0, l, m;
	struct sr_wake t;

	r->heap[0] = r->heap[--r->nheap];
	for (;;) {
		l = 2 * i + 1;
		m = i;
		if (l < r->nheap && r->heap[l].at < r->heap[m].at)
			m = l;
		if (l + 1 < r->nheap && r->heap[l + 1].at < r->heap[m].at)
			m = l + 1;
		if (m == i)
			break;
		t = r->heap[m];
		r->heap[m] = r->heap[i];
		r->heap[i] = t;
		i = m;
	}
}

/* Wake call C at AT (earlier than any wake-up already set, or replacing a
 * passed one). */
static void
sr_wake_at(struct sr_run *r, struct sr_call *c, uint64_t at)
{
	if (c->deadline != 0 && c->deadline <= at && c->deadline > wsc_now())
		return;
	c->deadline = at;
	sr_heap_push(r, at, c->idx);
}

/* ---- small helpers ---- */

/* Write N random bytes as 2N lower-case hex digits after PREFIX in OUT. */
static void
sr_sid(char *out, const char *prefix, int n)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[32];
	int i;

	if (RAND_bytes(raw, n) != 1) {
		fprintf(stderr, "voicegate-sim: no random bytes\n");
		exit(2);
	}
	strcpy(out, prefix);
	out += strlen(prefix);
	for (i = 0; i < n; i++) {
		*out++ = hex[raw[i] >> 4];
		*out++ = hex[raw[i] & 15];
	}
	*out = '\0';
}

/* Append S to B as a JSON string, quotes included. */
static void
sr_json_str(struct wsc_buf *b, const char *s)
{
	char esc[8];

	wsc_buf_add(b, "\"", 1);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\') {
			esc[0] = '\\';
			esc[1] = *s;
			wsc_buf_add(b, esc, 2);
		} else if ((unsigned char)*s < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", (unsigned)*s);
			wsc_buf_add(b, esc, 6);
		} else
			wsc_buf_add(b, s, 1);
	}
	wsc_buf_add(b, "\"", 1);
}

/* Record a protocol error on call C (the first message is kept). */
static void
sr_perror(struct sr_call *c, const char *fmt, ...)
{
	va_list ap;

	c->perrors++;
	if (c->err[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
}

/* Close call C's socket, if open. */
static void
sr_close_fd(struct sr_run *r, struct sr_call *c)
{
	if (c->fd == -1)
		return;
	epoll_ctl(r->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	c->want_out = 0;
	wsc_buf_free(&c->in);
	wsc_buf_free(&c->out);
	wsc_buf_free(&c->msg);
}

/* End call C with STATE and release what it holds but its report. */
static void
sr_call_end(struct sr_run *r, struct sr_call *c, enum sr_state state)
{
	int i;

	sr_close_fd(r, c);
	c->state = state;
	c->deadline = 0;
	for (i = 0; i < c->nmarks; i++)
		free(c->marks[i].name);
	free(c->marks);
	c->marks = NULL;
	c->nmarks = c->marks_cap = 0;
	free(c->sent_at_us);
	c->sent_at_us = NULL;
	r->finished++;
}

/* Fail call C with a message. */
static void
sr_call_fail(struct sr_run *r, struct sr_call *c, const char *fmt, ...)
{
	va_list ap;

	if (c->err[0] == '\0' || c->perrors > 0) {
		va_start(ap, fmt);
		vsnprintf(c->err, sizeof(c->err), fmt, ap);
		va_end(ap);
	}
	sr_call_end(r, c, SR_FAILED);
}

/* Register or update the epoll interest of call C. */
static void
sr_watch(struct sr_run *r, struct sr_call *c, int op)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | (c->want_out ? EPOLLOUT : 0);
	ev.data.u64 = (uint64_t)c->idx;
	if (epoll_ctl(r->ep, op, c->fd, &ev) == -1) {
		fprintf(stderr, "voicegate-sim: epoll_ctl: %s\n",
		    strerror(errno));
		exit(2);
	}
}

/* Flush call C's output; keep EPOLLOUT only while bytes wait. Returns 0,
 * or -1 if the call failed. */
static int
sr_flush(struct sr_run *r, struct sr_call *c)
{
	int want;

	if (wsc_buf_flush(&c->out, c->fd) == -1) {
		if (c->state == SR_CLOSING) {
			sr_call_end(r, c, SR_DONE);
			return (-1);
		}
		sr_call_fail(r, c, "send: %s", strerror(errno));
		return (-1);
	}
	want = wsc_buf_avail(&c->out) > 0;
	if (want != c->want_out) {
		c->want_out = want;
		sr_watch(r, c, EPOLL_CTL_MOD);
	}
	return (0);
}

/* Open a non-blocking TCP connection for call C to SA. Returns 0 or -1. */
static int
sr_connect(struct sr_run *r, struct sr_call *c, struct sockaddr_in *sa)
{
	int one = 1;

	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd == -1) {
		sr_call_fail(r, c, "socket: %s", strerror(errno));
		return (-1);
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)sa, sizeof(*sa)) == -1 &&
	    errno != EINPROGRESS) {
		sr_call_fail(r, c, "connect: %s", strerror(errno));
		return (-1);
	}
	c->want_out = 1;
	sr_watch(r, c, EPOLL_CTL_ADD);
	c->step_deadline = wsc_now() + (uint64_t)(r->o->timeout * NS_S);
	sr_wake_at(r, c, c->step_deadline);
	return (0);
}

/* Return 0 if the pending connect of call C succeeded, -1 (failed) if not. */
static int
sr_connected(struct sr_run *r, struct sr_call *c)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1 ||
	    err != 0) {
		sr_call_fail(r, c, "connect: %s", strerror(err ? err : errno));
		return (-1);
	}
	return (0);
}

/* ---- the webhook ---- */

/* Start call C: connect for its webhook, or with --twiml (a call Twilio
 * placed, whose TwiML is known) straight to its media stream. */
static void
sr_hook_start(struct sr_run *r, struct sr_call *c)
{
	if (r->o->call_sid != NULL)
		snprintf(c->call_sid, sizeof(c->call_sid), "%s",
		    r->o->call_sid);
	else
		sr_sid(c->call_sid, "CA", 16);
	c->t_begin = wsc_now();
	c->fd = -1;
	r->started++;
	if (r->o->twiml != NULL) {
		c->t_hook = c->t_begin;
		if (sr_hook_twiml(r, c, r->o->twiml) == -1) {
			sr_call_fail(r, c, "out of memory");
			return;
		}
		c->state = SR_WS_CONNECT;
		c->t_ws = c->t_begin;
		(void)sr_connect(r, c, &r->ws_sa);
		return;
	}
	c->state = SR_HOOK_CONNECT;
	(void)sr_connect(r, c, &r->hook_sa);
}

/* Send call C's signed webhook request. */
static void
sr_hook_send(struct sr_run *r, struct sr_call *c)
{
	const struct sim_opts *o = r->o;
	struct sim_param p[9];
	char body[2048], url[SIM_MAX_URL + 256], sig[32], host[256];
	const char *h;
	size_t hl;
	int i, n;

	snprintf(p[0].name, SIM_MAX_NAME, "AccountSid");
	snprintf(p[0].value, SIM_MAX_VALUE, "%s", o->account_sid);
	snprintf(p[1].name, SIM_MAX_NAME, "ApiVersion");
	snprintf(p[1].value, SIM_MAX_VALUE, "2010-04-01");
	snprintf(p[2].name, SIM_MAX_NAME, "CallSid");
	snprintf(p[2].value, SIM_MAX_VALUE, "%s", c->call_sid);
	snprintf(p[3].name, SIM_MAX_NAME, "CallStatus");
	snprintf(p[3].value, SIM_MAX_VALUE, "ringing");
	snprintf(p[4].name, SIM_MAX_NAME, "Called");
	snprintf(p[4].value, SIM_MAX_VALUE, "%s", o->to);
	snprintf(p[5].name, SIM_MAX_NAME, "Caller");
	snprintf(p[5].value, SIM_MAX_VALUE, "%s", o->from);
	snprintf(p[6].name, SIM_MAX_NAME, "Direction");
	snprintf(p[6].value, SIM_MAX_VALUE, "inbound");
	snprintf(p[7].name, SIM_MAX_NAME, "From");
	snprintf(p[7].value, SIM_MAX_VALUE, "%s", o->from);
	snprintf(p[8].name, SIM_MAX_NAME, "To");
	snprintf(p[8].value, SIM_MAX_VALUE, "%s", o->to);
	body[0] = '\0';
	for (i = 0; i < 9; i++) {
		if (i > 0)
			strcat(body, "&");
		strcat(body, p[i].name);
		strcat(body, "=");
		if (sim_form_encode(body, sizeof(body), p[i].value) == -1) {
			sr_call_fail(r, c, "webhook body too long");
			return;
		}
	}
	snprintf(url, sizeof(url), "%s%s", o->public_url, o->webhook_path);
	if (sim_sign(o->token, url, p, 9, sig) == -1) {
		sr_call_fail(r, c, "cannot compute the signature");
		return;
	}
	/* Host: the public URL's authority, as Twilio would send it. */
	h = strstr(o->public_url, "://");
	h = h != NULL ? h + 3 : o->public_url;
	hl = strcspn(h, "/?#");
	snprintf(host, sizeof(host), "%.*s", (int)hl, h);
	wsc_buf_reserve(&c->out, 4096);
	n = snprintf((char *)c->out.data + c->out.len, c->out.cap - c->out.len,
	    "POST %s%s HTTP/1.1\r\nHost: %s\r\nUser-Agent: TwilioProxy/1.1\r\n"
	    "Accept: */*\r\nContent-Type: application/x-www-form-urlencoded\r\n"
	    "X-Twilio-Signature: %s\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n\r\n%s", o->prefix, o->webhook_path, host,
	    sig, strlen(body), body);
	if (n < 0 || (size_t)n >= c->out.cap - c->out.len) {
		sr_call_fail(r, c, "webhook request too long");
		return;
	}
	c->out.len += (size_t)n;
	c->state = SR_HOOK_WAIT;
	(void)sr_flush(r, c);
}

/* Decode the chunked body at P/LEN in place. Returns its length, -1 if
 * malformed, -2 if incomplete. */
static long
sr_unchunk(char *p, size_t len)
{
	size_t r = 0, w = 0, sz;
	char *e;

	for (;;) {
		e = memchr(p + r, '\n', len - r);
		if (e == NULL)
			return (-2);
		sz = strtoul(p + r, NULL, 16);
		r = (size_t)(e - p) + 1;
		if (sz == 0)
			return ((long)w);
		if (sz > len || len - r < sz + 2)
			return (-2);
		memmove(p + w, p + r, sz);
		w += sz;
		r += sz;
		if (p[r] != '\r' || p[r + 1] != '\n')
			return (-1);
		r += 2;
	}
}

/* Build the ws target of call C from the TwiML T. Returns 0 or -1. */
static int
sr_hook_twiml(struct sr_run *r, struct sr_call *c, const struct sim_twiml *t)
{
	const char *u = t->stream_url, *h, *path;
	struct wsc_buf b;
	int i;

	h = strstr(u, "://") + 3;
	path = h + strcspn(h, "/");
	c->ws_host = strndup(h, (size_t)(path - h));
	c->ws_path = strdup(r->ws_override ? r->ws_path : *path ? path : "/");
	if (c->ws_host == NULL || c->ws_path == NULL)
		return (-1);
	/* §2.3: the URL as written in the TwiML, no parameters. */
	if (sim_sign(r->o->token, u, NULL, 0, c->ws_sig) == -1)
		return (-1);
	memset(&b, 0, sizeof(b));
	wsc_buf_add(&b, "{", 1);
	for (i = 0; i < t->nparams; i++) {
		if (i > 0)
			wsc_buf_add(&b, ",", 1);
		sr_json_str(&b, t->params[i].name);
		wsc_buf_add(&b, ":", 1);
		sr_json_str(&b, t->params[i].value);
	}
	wsc_buf_add(&b, "}", 2);	/* with the NUL */
	c->params_json = (char *)b.data;
	c->says = t->says;
	return (0);
}

/* Read call C's webhook answer; once whole, parse the TwiML and go on to
 * the media stream. EOF says whether the peer closed. */
static void
sr_hook_read(struct sr_run *r, struct sr_call *c, int eof)
{
	static struct sim_twiml tw;
	char *head, *end, *body, val[64], err[256];
	size_t hlen, avail;
	long blen;
	int chunked;

	wsc_buf_reserve(&c->in, 1);
	head = (char *)c->in.data + c->in.off;
	avail = wsc_buf_avail(&c->in);
	head[avail] = '\0';
	if (avail > SR_MAX_HTTP) {
		sr_call_fail(r, c, "webhook answer over %d bytes", SR_MAX_HTTP);
		return;
	}
	if ((end = strstr(head, "\r\n\r\n")) == NULL) {
		if (eof)
			sr_call_fail(r, c, "webhook: connection closed in "
			    "the headers");
		return;
	}
	hlen = (size_t)(end - head) + 4;
	end[2] = '\0';
	if (sscanf(head, "HTTP/1.%*c %d", &c->http_status) != 1) {
		sr_call_fail(r, c, "webhook: bad status line");
		return;
	}
	chunked = wsc_http_header(head, "Transfer-Encoding", val,
	    sizeof(val)) == 0 && strcasecmp(val, "chunked") == 0;
	body = head + hlen;
	blen = (long)(avail - hlen);
	if (chunked) {
		if ((blen = sr_unchunk(body, avail - hlen)) == -2) {
			if (eof)
				sr_call_fail(r, c, "webhook: truncated body");
			end[2] = '\r';
			return;
		}
		if (blen < 0) {
			sr_call_fail(r, c, "webhook: bad chunked body");
			return;
		}
	} else if (wsc_http_header(head, "Content-Length", val,
	    sizeof(val)) == 0) {
		if ((long)(avail - hlen) < atol(val)) {
			if (eof)
				sr_call_fail(r, c, "webhook: truncated body");
			end[2] = '\r';
			return;
		}
		blen = atol(val);
	} else if (!eof) {
		end[2] = '\r';
		return;		/* the body ends with the connection */
	}
	c->t_hook = wsc_now();
	body[blen] = '\0';
	if (c->http_status != 200) {
		sr_call_fail(r, c, "webhook answered %d", c->http_status);
		return;
	}
	if (wsc_http_header(head, "Content-Type", val, sizeof(val)) == -1 ||
	    (strncasecmp(val, "text/xml", 8) != 0 &&
	    strncasecmp(val, "application/xml", 15) != 0)) {
		sr_call_fail(r, c, "webhook: Content-Type is not text/xml");
		return;
	}
	if (sim_twiml_parse(body, (size_t)blen, &tw, err, sizeof(err)) ==
	    -1) {
		c->perrors++;
		sr_call_fail(r, c, "%s", err);
		return;
	}
	if (sr_hook_twiml(r, c, &tw) == -1) {
		sr_call_fail(r, c, "out of memory");
		return;
	}
	sr_close_fd(r, c);
	c->state = SR_WS_CONNECT;
	c->t_ws = wsc_now();
	(void)sr_connect(r, c, &r->ws_sa);
}

/* ---- the media stream: sending ---- */

/* Send the upgrade request of call C, signed over the TwiML's URL. */
static void
sr_ws_send_upgrade(struct sr_run *r, struct sr_call *c)
{
	char key[32];
	int n;

	if (wsc_make_key(key, c->accept) == -1) {
		sr_call_fail(r, c, "cannot make a key");
		return;
	}
	wsc_buf_reserve(&c->out, 1024 + strlen(c->ws_path));
	n = snprintf((char *)c->out.data + c->out.len, c->out.cap - c->out.len,
	    "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
	    "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
	    "Sec-WebSocket-Version: 13\r\nX-Twilio-Signature: %s\r\n"
	    "User-Agent: Twilio.TmeWs/1.0\r\n\r\n", c->ws_path, c->ws_host,
	    key, c->ws_sig);
	c->out.len += (size_t)n;
	c->state = SR_WS_HANDSHAKE;
	(void)sr_flush(r, c);
}

/* Queue text message P/LEN on call C. */
static void
sr_send_text(struct sr_call *c, const char *p, size_t len)
{
	wsc_frame_put(&c->out, WSC_OP_TEXT, p, len, 1);
}

/* Send `connected` and `start` on call C and schedule its first frame. */
static void
sr_ws_begin(struct sr_run *r, struct sr_call *c)
{
	const struct sim_opts *o = r->o;
	static const char connected[] = "{\"event\":\"connected\","
	    "\"protocol\":\"Call\",\"version\":\"1.0.0\"}";
	struct wsc_buf b;

	sr_sid(c->stream_sid, "MZ", 16);
	sr_send_text(c, connected, sizeof(connected) - 1);
	memset(&b, 0, sizeof(b));
	wsc_buf_reserve(&b, 512 + strlen(c->params_json));
	b.len = (size_t)snprintf((char *)b.data, b.cap, "{\"event\":\"start\","
	    "\"sequenceNumber\":\"1\",\"start\":{\"accountSid\":\"%s\","
	    "\"streamSid\":\"%s\",\"callSid\":\"%s\",\"tracks\":[\"inbound\"],"
	    "\"customParameters\":%s,\"mediaFormat\":{\"encoding\":"
	    "\"audio/x-mulaw\",\"sampleRate\":8000,\"channels\":1}},"
	    "\"streamSid\":\"%s\"}", o->account_sid, c->stream_sid,
	    c->call_sid, c->params_json, c->stream_sid);
	sr_send_text(c, (char *)b.data, b.len);
	wsc_buf_free(&b);
	c->seq = 1;
	c->state = SR_STREAM;
	c->t_start = wsc_now();
	c->play_end = c->t_start;
	c->sent_at_us = calloc(r->nframes + 1, sizeof(*c->sent_at_us));
	if (c->sent_at_us == NULL) {
		sr_call_fail(r, c, "out of memory");
		return;
	}
	if (sr_flush(r, c) == 0)
		sr_wake_at(r, c, c->t_start);
}

/* Send the frames and digits of call C that are due at NOW. */
static void
sr_ws_send_due(struct sr_run *r, struct sr_call *c, uint64_t now)
{
	const struct sim_opts *o = r->o;
	char m[512];
	uint64_t due, dtmf_due;
	uint32_t k;
	int n;

	while (c->frames_sent < r->nframes) {
		k = c->frames_sent;
		due = c->t_start + (uint64_t)k * SIM_FRAME_MS * NS_MS;
		if (due > now)
			break;
		n = snprintf(m, sizeof(m), "{\"event\":\"media\","
		    "\"sequenceNumber\":\"%u\",\"media\":{\"track\":"
		    "\"inbound\",\"chunk\":\"%u\",\"timestamp\":\"%u\","
		    "\"payload\":\"%s\"},\"streamSid\":\"%s\"}", ++c->seq,
		    k + 1, k * SIM_FRAME_MS, r->frames_b64 + (size_t)k * 217,
		    c->stream_sid);
		sr_send_text(c, m, (size_t)n);
		c->sent_at_us[k] = (uint32_t)((now - c->t_start) / 1000);
		c->frames_sent++;
	}
	while (o->dtmf != NULL && o->dtmf[c->dtmf_i] != '\0') {
		dtmf_due = c->t_start + (uint64_t)(o->dtmf_at * NS_S) +
		    (uint64_t)c->dtmf_i * 250 * NS_MS;
		if (dtmf_due > now)
			break;
		n = snprintf(m, sizeof(m), "{\"event\":\"dtmf\","
		    "\"sequenceNumber\":\"%u\",\"streamSid\":\"%s\","
		    "\"dtmf\":{\"track\":\"inbound_track\",\"digit\":\"%c\"}}",
		    ++c->seq, c->stream_sid, o->dtmf[c->dtmf_i]);
		sr_send_text(c, m, (size_t)n);
		c->dtmf_i++;
	}
}

/* Send `stop` and a close frame on call C. */
static void
sr_ws_stop(struct sr_run *r, struct sr_call *c)
{
	char m[512];
	int n;

	n = snprintf(m, sizeof(m), "{\"event\":\"stop\",\"sequenceNumber\":"
	    "\"%u\",\"streamSid\":\"%s\",\"stop\":{\"accountSid\":\"%s\","
	    "\"callSid\":\"%s\"}}", ++c->seq, c->stream_sid,
	    r->o->account_sid, c->call_sid);
	sr_send_text(c, m, (size_t)n);
	wsc_frame_put(&c->out, WSC_OP_CLOSE, "\x03\xe8", 2, 1);
	c->state = SR_CLOSING;
	c->step_deadline = wsc_now() + NS_S;
	if (sr_flush(r, c) == 0)
		sr_wake_at(r, c, c->step_deadline);
}

/* ---- the media stream: playing what voicegate sends ---- */

/* Echo the pending marks of call C whose audio has played by NOW (all of
 * them if ALL). */
static void
sr_marks_fire(struct sr_call *c, uint64_t now, int all)
{
	struct wsc_buf b;
	double wait;
	int i, done = 0;

	for (i = 0; i < c->nmarks; i++) {
		if (!all && c->marks[i].fire_at > now)
			break;
		memset(&b, 0, sizeof(b));
		wsc_buf_reserve(&b, 128);
		b.len = (size_t)snprintf((char *)b.data, b.cap, "{\"event\":"
		    "\"mark\",\"sequenceNumber\":\"%u\",\"streamSid\":\"%s\","
		    "\"mark\":{\"name\":", ++c->seq, c->stream_sid);
		sr_json_str(&b, c->marks[i].name);
		wsc_buf_add(&b, "}}", 2);
		sr_send_text(c, (char *)b.data, b.len);
		wsc_buf_free(&b);
		wait = (double)(now - c->marks[i].got_at) / 1e6;
		if (wait > c->mark_wait_max_ms)
			c->mark_wait_max_ms = wait;
		free(c->marks[i].name);
		c->marks_echoed++;
		done++;
	}
	if (done > 0) {
		memmove(c->marks, c->marks + done, (size_t)(c->nmarks - done) *
		    sizeof(*c->marks));
		c->nmarks -= done;
	}
}

/* Match the agent audio P/LEN of call C against what it sent (echo mode):
 * round trips for the frames it completes, resync on a loss. */
static void
sr_echo_match(struct sr_run *r, struct sr_call *c, const uint8_t *p,
    size_t len, uint64_t now)
{
	uint64_t total = (uint64_t)c->frames_sent * SIM_FRAME_BYTES, off;
	uint32_t j, k, us;
	size_t i, n;

	while (len > 0) {
		off = c->rx_off;
		n = len;
		if (off + n > total || memcmp(p, r->frames + off, n) != 0) {
			/* Resync on the first later frame this chunk starts. */
			n = len < SIM_FRAME_BYTES ? len : SIM_FRAME_BYTES;
			for (j = (uint32_t)(off / SIM_FRAME_BYTES) + 1;
			    j < c->frames_sent; j++)
				if (memcmp(p, r->frames + (size_t)j *
				    SIM_FRAME_BYTES, n) == 0)
					break;
			if (j >= c->frames_sent) {
				c->garbled += len;
				return;
			}
			c->skipped += j - (uint32_t)((off + SIM_FRAME_BYTES -
			    1) / SIM_FRAME_BYTES);
			c->rx_off = (uint64_t)j * SIM_FRAME_BYTES;
			continue;
		}
		/* Frames whose last byte this chunk carries came back. */
		for (i = 0; i < n; i++) {
			if ((off + i) % SIM_FRAME_BYTES != SIM_FRAME_BYTES - 1)
				continue;
			k = (uint32_t)((off + i) / SIM_FRAME_BYTES);
			c->echoed++;
			us = (uint32_t)((now - c->t_start) / 1000);
			us = us > c->sent_at_us[k] ? us - c->sent_at_us[k] : 0;
			us /= SR_HIST_US;
			r->hist_rtt[us < SR_HIST_BUCKETS ? us :
			    SR_HIST_BUCKETS - 1]++;
			r->n_rtt++;
		}
		c->rx_off += n;
		p += n;
		len -= n;
	}
}

/* Play outbound media PAYLOAD (base64, SLEN) on call C at NOW. */
static void
sr_on_media(struct sr_run *r, struct sr_call *c, const char *payload,
    size_t slen, uint64_t now)
{
	static uint8_t buf[SR_MAX_MSG];
	long n;

	if (slen == 0 || (n = sim_b64_decode(payload, slen, buf)) <= 0) {
		sr_perror(c, "media payload is not base64 audio (31951)");
		return;
	}
	if (c->t_first_audio == 0)
		c->t_first_audio = now;
	c->audio_bytes += (uint64_t)n;
	if (c->play_end < now)
		c->play_end = now;
	c->play_end += (uint64_t)n * NS_MS / 8;
	if (c->idx == 0 && r->o->record != NULL)
		wsc_buf_add(&r->record, buf, (size_t)n);
	if (r->o->echo)
		sr_echo_match(r, c, buf, (size_t)n, now);
}

/* Queue mark NAME on call C at NOW: echoed once the audio before it has
 * played. */
static void
sr_on_mark(struct sr_run *r, struct sr_call *c, const char *name,
    uint64_t now)
{
	struct sr_mark *m;

	c->marks_got++;
	if (c->nmarks == c->marks_cap) {
		c->marks_cap = c->marks_cap ? c->marks_cap * 2 : 8;
		c->marks = realloc(c->marks, (size_t)c->marks_cap *
		    sizeof(*c->marks));
		if (c->marks == NULL) {
			fprintf(stderr, "voicegate-sim: out of memory\n");
			exit(2);
		}
	}
	m = &c->marks[c->nmarks++];
	if ((m->name = strdup(name)) == NULL) {
		fprintf(stderr, "voicegate-sim: out of memory\n");
		exit(2);
	}
	m->fire_at = c->play_end > now ? c->play_end : now;
	m->got_at = now;
	if (m->fire_at <= now)
		sr_marks_fire(c, now, 0);
	else
		sr_wake_at(r, c, m->fire_at);
}

/* Drop the audio call C has queued at NOW and echo every pending mark. */
static void
sr_on_clear(struct sr_run *r, struct sr_call *c, uint64_t now)
{
	uint64_t unplayed;

	c->clears++;
	if (c->play_end > now) {
		unplayed = (c->play_end - now) * 8 / NS_MS;
		if (c->idx == 0 && r->o->record != NULL) {
			if (unplayed > wsc_buf_avail(&r->record))
				unplayed = wsc_buf_avail(&r->record);
			r->record.len -= (size_t)unplayed;
		}
	}
	c->play_end = now;
	sr_marks_fire(c, now, 1);
}

/* Check one complete message P/LEN from voicegate on call C strictly
 * (PROTOCOLS.md §4.4) and act on it. */
static void
sr_on_message(struct sr_run *r, struct sr_call *c, char *p, size_t len,
    uint64_t now)
{
	struct sim_jobj root, sub[2];
	const struct sim_jobj *o;
	const char *ev;
	int iev, isid, iobj;

	if (sim_json_parse(p, len, &root, sub, 2) == -1) {
		sr_perror(c, "message is not a JSON object of strings "
		    "(31951)");
		return;
	}
	if ((iev = sim_json_find(&root, "event")) == -1 ||
	    root.str[iev] == NULL) {
		sr_perror(c, "message without an event string (31951)");
		return;
	}
	ev = root.str[iev];
	isid = sim_json_find(&root, "streamSid");
	if (isid == -1 || root.str[isid] == NULL ||
	    strcmp(root.str[isid], c->stream_sid) != 0) {
		sr_perror(c, "%s: missing or wrong streamSid (31951)", ev);
		return;
	}
	if (strcmp(ev, "clear") == 0) {
		if (root.n != 2)
			sr_perror(c, "clear: extra fields (31951)");
		else
			sr_on_clear(r, c, now);
		return;
	}
	if (strcmp(ev, "media") != 0 && strcmp(ev, "mark") != 0) {
		sr_perror(c, "unsupported event \"%s\" (31951)", ev);
		return;
	}
	if (root.n != 3 || (iobj = sim_json_find(&root, ev)) == -1 ||
	    (o = root.obj[iobj]) == NULL || o->n != 1) {
		sr_perror(c, "%s: fields are not exactly event, streamSid, "
		    "%s{1 field} (31951)", ev, ev);
		return;
	}
	if (ev[1] == 'e') {	/* media */
		if (sim_json_find(o, "payload") != 0 || o->str[0] == NULL) {
			sr_perror(c, "media: media must hold only payload "
			    "(31951)");
			return;
		}
		sr_on_media(r, c, o->str[0], o->slen[0], now);
		return;
	}
	if (sim_json_find(o, "name") != 0 || o->str[0] == NULL ||
	    o->slen[0] == 0) {
		sr_perror(c, "mark: mark must hold only a non-empty name "
		    "(31951)");
		return;
	}
	sr_on_mark(r, c, o->str[0], now);
}

/* Handle the frames in call C's input at NOW. Returns 0, or -1 if the call
 * ended. */
static int
sr_ws_frames(struct sr_run *r, struct sr_call *c, uint64_t now)
{
	struct wsc_frame f;
	int rc;

	while ((rc = wsc_frame_get(&c->in, &f, SR_MAX_MSG)) == 1) {
		if (f.masked || f.rsv != 0)
			sr_perror(c, "server frame masked or with RSV bits "
			    "(31924)");
		switch (f.opcode) {
		case WSC_OP_TEXT:
		case WSC_OP_CONT:
			if ((f.opcode == WSC_OP_TEXT) == (c->in_msg != 0)) {
				sr_perror(c, "bad fragmentation (31924)");
				c->in_msg = 0;
				c->msg.off = c->msg.len = 0;
				break;
			}
			if (f.fin && !c->in_msg) {
				sr_on_message(r, c, (char *)f.payload, f.len,
				    now);
				break;
			}
			wsc_buf_add(&c->msg, f.payload, f.len);
			c->in_msg = !f.fin;
			if (wsc_buf_avail(&c->msg) > SR_MAX_MSG) {
				sr_perror(c, "message too large");
				c->in_msg = 0;
				c->msg.off = c->msg.len = 0;
			} else if (f.fin) {
				sr_on_message(r, c, (char *)c->msg.data +
				    c->msg.off, wsc_buf_avail(&c->msg), now);
				c->msg.off = c->msg.len = 0;
			}
			break;
		case WSC_OP_BINARY:
			sr_perror(c, "binary frame (31950)");
			break;
		case WSC_OP_CLOSE:
			if (c->state != SR_CLOSING) {
				c->peer_closed = 1;
				wsc_frame_put(&c->out, WSC_OP_CLOSE, f.payload,
				    f.len >= 2 ? 2 : 0, 1);
				(void)wsc_buf_flush(&c->out, c->fd);
			}
			sr_call_end(r, c, SR_DONE);
			return (-1);
		case WSC_OP_PING:
			if (!f.fin || f.len > 125)
				sr_perror(c, "bad ping frame (31924)");
			wsc_frame_put(&c->out, WSC_OP_PONG, f.payload, f.len,
			    1);
			break;
		case WSC_OP_PONG:
			break;
		default:
			sr_perror(c, "reserved opcode %d (31924)", f.opcode);
			break;
		}
		c->in.off += f.total;
	}
	if (rc == -1) {
		sr_perror(c, "frame over %d bytes", SR_MAX_MSG);
		sr_call_fail(r, c, "frame over %d bytes", SR_MAX_MSG);
		return (-1);
	}
	if (c->nmarks > 0)
		sr_wake_at(r, c, c->marks[0].fire_at);
	return (wsc_buf_avail(&c->out) > 0 ? sr_flush(r, c) : 0);
}

/* Check the 101 answer at the front of call C's input. Returns 1 once
 * open, 0 if more bytes are needed, -1 if the call failed. */
static int
sr_ws_handshake(struct sr_run *r, struct sr_call *c)
{
	char *head, *end, got[64];
	size_t hlen;
	int status = 0;

	wsc_buf_reserve(&c->in, 1);
	head = (char *)c->in.data + c->in.off;
	head[wsc_buf_avail(&c->in)] = '\0';
	if ((end = strstr(head, "\r\n\r\n")) == NULL) {
		if (wsc_buf_avail(&c->in) > SR_MAX_HTTP) {
			sr_call_fail(r, c, "upgrade answer too long");
			return (-1);
		}
		return (0);
	}
	hlen = (size_t)(end - head) + 4;
	end[2] = '\0';
	if (sscanf(head, "HTTP/1.1 %d", &status) != 1 || status != 101) {
		sr_call_fail(r, c, "upgrade answered %d, not 101 (31920)",
		    status);
		return (-1);
	}
	if (wsc_http_header(head, "Sec-WebSocket-Accept", got,
	    sizeof(got)) == -1 || strcmp(got, c->accept) != 0) {
		sr_call_fail(r, c, "upgrade: wrong Sec-WebSocket-Accept");
		return (-1);
	}
	c->in.off += hlen;
	c->t_open = wsc_now();
	sr_ws_begin(r, c);
	return (c->state == SR_STREAM ? 1 : -1);
}

/* ---- dispatch ---- */

/* Handle epoll events EVS on call C at NOW. */
static void
sr_event(struct sr_run *r, struct sr_call *c, uint32_t evs, uint64_t now)
{
	ssize_t n;
	int eof = 0;

	if (c->state == SR_HOOK_CONNECT || c->state == SR_WS_CONNECT) {
		if (!(evs & (EPOLLOUT | EPOLLERR | EPOLLHUP)) ||
		    sr_connected(r, c) == -1)
			return;
		if (c->state == SR_HOOK_CONNECT)
			sr_hook_send(r, c);
		else
			sr_ws_send_upgrade(r, c);
		return;
	}
	if ((evs & EPOLLOUT) && sr_flush(r, c) == -1)
		return;
	if (!(evs & (EPOLLIN | EPOLLERR | EPOLLHUP)))
		return;
	n = wsc_buf_read(&c->in, c->fd);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (n <= 0)
		eof = 1;
	switch (c->state) {
	case SR_HOOK_WAIT:
		sr_hook_read(r, c, eof);
		return;
	case SR_WS_HANDSHAKE:
		if (eof) {
			sr_call_fail(r, c, "upgrade: connection closed");
			return;
		}
		if (sr_ws_handshake(r, c) != 1)
			return;
		/* Frames may follow the 101 in the same read. */
		/* FALLTHROUGH */
	default:
		if (sr_ws_frames(r, c, now) == -1)
			return;
		if (!eof)
			return;
		if (c->state == SR_CLOSING)
			sr_call_end(r, c, SR_DONE);
		else {
			c->peer_closed = 1;
			sr_call_fail(r, c, "media stream closed without a "
			    "close frame");
		}
	}
}

/* Return whether call C (echo mode) has all its audio back. */
static int
sr_all_echoed(const struct sr_call *c)
{
	return (c->echoed + c->skipped >= c->frames_sent);
}

/* Wake-up of call C at NOW: timeouts, frames, marks, end of the audio. */
static void
sr_wake(struct sr_run *r, struct sr_call *c, uint64_t now)
{
	const struct sim_opts *o = r->o;
	uint64_t next = 0, t;

	c->deadline = 0;
	switch (c->state) {
	case SR_HOOK_CONNECT:
	case SR_HOOK_WAIT:
	case SR_WS_CONNECT:
	case SR_WS_HANDSHAKE:
		if (now >= c->step_deadline) {
			sr_call_fail(r, c, "timed out (%s)", c->state <=
			    SR_HOOK_WAIT ? "webhook" : "media upgrade");
			return;
		}
		next = c->step_deadline;
		break;
	case SR_CLOSING:
		if (now >= c->step_deadline) {
			sr_call_end(r, c, SR_DONE);	/* no close answer */
			return;
		}
		next = c->step_deadline;
		break;
	case SR_STREAM:
	case SR_DRAIN:
		sr_marks_fire(c, now, 0);
		if (c->state == SR_STREAM) {
			sr_ws_send_due(r, c, now);
			if (c->frames_sent < r->nframes)
				next = c->t_start + (uint64_t)c->frames_sent *
				    SIM_FRAME_MS * NS_MS;
			else {
				c->state = SR_DRAIN;
				c->t_drain_end = now +
				    (uint64_t)(o->drain * NS_S);
			}
			if (o->dtmf != NULL && o->dtmf[c->dtmf_i] != '\0') {
				t = c->t_start + (uint64_t)(o->dtmf_at * NS_S) +
				    (uint64_t)c->dtmf_i * 250 * NS_MS;
				if (next == 0 || t < next)
					next = t;
			}
		}
		if (c->state == SR_DRAIN) {
			/* With an echo, hang up once it is all back and
			 * heard (marks that follow it have come too). */
			if (now >= c->t_drain_end || (o->echo &&
			    sr_all_echoed(c) && c->nmarks == 0 &&
			    c->play_end <= now)) {
				sr_ws_stop(r, c);
				return;
			}
			next = c->t_drain_end;
			if (o->echo)	/* poll for the echo's completion */
				next = now + 5 * NS_MS < next ? now + 5 *
				    NS_MS : next;
		}
		if (c->nmarks > 0 && c->marks[0].fire_at < next)
			next = c->marks[0].fire_at;
		if (sr_flush(r, c) == -1)
			return;
		break;
	default:
		return;
	}
	if (next != 0)
		sr_wake_at(r, c, next);
}

/* ---- set-up and report ---- */

/* Resolve HOST (IPv4) and PORT into SA. Returns 0 or -1. */
static int
sr_resolve(const char *host, int port, struct sockaddr_in *sa)
{
	struct addrinfo hints, *ai;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, NULL, &hints, &ai) != 0)
		return (-1);
	memcpy(sa, ai->ai_addr, sizeof(*sa));
	sa->sin_port = htons((uint16_t)port);
	freeaddrinfo(ai);
	return (0);
}

/* Encode every caller frame once: tagged μ-law and its base64. Returns 0
 * or -1. */
static int
sr_frames_make(struct sr_run *r)
{
	const struct sim_opts *o = r->o;
	uint8_t *f;
	uint32_t k;
	size_t i, src = 0;

	r->nframes = (uint32_t)(o->duration * 1000 / SIM_FRAME_MS + 0.5);
	r->frames = malloc((size_t)r->nframes * SIM_FRAME_BYTES + 1);
	r->frames_b64 = malloc((size_t)r->nframes * 217 + 1);
	if (r->frames == NULL || r->frames_b64 == NULL)
		return (-1);
	for (k = 0; k < r->nframes; k++) {
		f = r->frames + (size_t)k * SIM_FRAME_BYTES;
		for (i = 0; i < SIM_FRAME_BYTES; i++) {
			f[i] = o->audio_len > 0 ? o->audio[src] : 0xff;
			if (o->audio_len > 0 && ++src == o->audio_len)
				src = 0;
		}
		if (o->tag)
			for (i = 0; i < SR_TAG_BYTES; i++)
				f[i] = (uint8_t)((f[i] & 0xfe) |
				    ((k >> i) & 1));
		EVP_EncodeBlock((unsigned char *)r->frames_b64 +
		    (size_t)k * 217, f, SIM_FRAME_BYTES);
	}
	return (0);
}

/* Return the value (ms) below which fraction P of histogram H (N
 * entries) falls. */
static double
sr_pct(const uint32_t *h, uint64_t n, double p)
{
	uint64_t want, acc = 0;
	size_t i;

	if (n == 0)
		return (0);
	want = (uint64_t)(p * (double)n + 0.999999);
	if (want == 0)
		want = 1;
	for (i = 0; i < SR_HIST_BUCKETS; i++) {
		acc += h[i];
		if (acc >= want)
			return ((double)(i * SR_HIST_US) / 1000.0);
	}
	return ((double)SR_HIST_BUCKETS * SR_HIST_US / 1000.0);
}

/* Return the time from A to B in ms, or -1 if either is unset. */
static double
sr_ms(uint64_t a, uint64_t b)
{
	if (a == 0 || b == 0 || b < a)
		return (-1);
	return ((double)(b - a) / 1e6);
}

/* Return whether call C ended well. */
static int
sr_call_ok(const struct sr_run *r, const struct sr_call *c)
{
	if (c->state != SR_DONE || c->perrors > 0)
		return (0);
	if (r->o->echo && (c->echoed < c->frames_sent || c->garbled > 0))
		return (0);
	return (1);
}

/* Print one JSON string value S (escaped) on stdout. */
static void
sr_print_jstr(const char *s)
{
	struct wsc_buf b;

	memset(&b, 0, sizeof(b));
	sr_json_str(&b, s);
	fwrite(b.data, 1, b.len, stdout);
	wsc_buf_free(&b);
}

/* Print call C's line or object. */
static void
sr_print_call(const struct sr_run *r, const struct sr_call *c, int first)
{
	const struct sim_opts *o = r->o;
	double lost = c->frames_sent > c->echoed ? c->frames_sent - c->echoed :
	    0;

	if (o->json) {
		printf("%s{\"call\":%d,\"call_sid\":\"%s\",\"stream_sid\":"
		    "\"%s\",\"ok\":%s,\"webhook_ms\":%.3f,\"upgrade_ms\":%.3f,"
		    "\"first_audio_ms\":%.3f,\"says\":%d,\"frames_sent\":%u,"
		    "\"audio_bytes\":%" PRIu64 ",\"marks\":%d,\"marks_echoed\""
		    ":%d,\"clears\":%d,\"protocol_errors\":%d", first ? "" :
		    ",", c->idx, c->call_sid, c->stream_sid, sr_call_ok(r, c) ?
		    "true" : "false", sr_ms(c->t_begin, c->t_hook),
		    sr_ms(c->t_ws, c->t_open), sr_ms(c->t_start,
		    c->t_first_audio), c->says, c->frames_sent,
		    c->audio_bytes, c->marks_got, c->marks_echoed, c->clears,
		    c->perrors);
		if (o->echo)
			printf(",\"frames_echoed\":%u,\"frames_lost\":%.0f,"
			    "\"garbled_bytes\":%" PRIu64, c->echoed, lost,
			    c->garbled);
		if (c->err[0] != '\0') {
			printf(",\"error\":");
			sr_print_jstr(c->err);
		}
		printf("}");
		return;
	}
	printf("call %d %s %s: %s\n", c->idx, c->call_sid, c->stream_sid,
	    sr_call_ok(r, c) ? "ok" : "FAILED");
	printf("  webhook answer %.1f ms, upgrade %.1f ms, first agent audio "
	    "%.1f ms after start\n", sr_ms(c->t_begin, c->t_hook),
	    sr_ms(c->t_ws, c->t_open), sr_ms(c->t_start, c->t_first_audio));
	printf("  sent %u frames; received %" PRIu64 " bytes of agent audio "
	    "(%.2f s), %d marks (%d echoed), %d clears, %d protocol "
	    "errors\n", c->frames_sent, c->audio_bytes,
	    (double)c->audio_bytes / 8000.0, c->marks_got, c->marks_echoed,
	    c->clears, c->perrors);
	if (o->echo)
		printf("  echo: %u frames back, %.0f lost, %" PRIu64
		    " bytes garbled\n", c->echoed, lost, c->garbled);
	if (c->err[0] != '\0')
		printf("  error: %s\n", c->err);
}

/* Print the summary of the run R over WALL seconds; fill T. */
static void
sr_report(struct sr_run *r, double wall, struct sim_totals *t)
{
	const struct sim_opts *o = r->o;
	struct sim_totals z;
	int i;

	if (t == NULL)
		t = &z;
	memset(t, 0, sizeof(*t));
	for (i = 0; i < o->calls; i++) {
		const struct sr_call *c = &r->c[i];

		if (sr_call_ok(r, c))
			t->ok++;
		else
			t->failed++;
		t->protocol_errors += c->perrors;
		t->frames_sent += c->frames_sent;
		t->frames_echoed += c->echoed;
		t->audio_bytes += (long)c->audio_bytes;
		t->marks += c->marks_got;
		t->clears += c->clears;
		if (c->mark_wait_max_ms > t->mark_wait_max_ms)
			t->mark_wait_max_ms = c->mark_wait_max_ms;
	}
	t->frames_lost = o->echo ? t->frames_sent - t->frames_echoed : 0;
	t->record_bytes = (long)wsc_buf_avail(&r->record);
	t->webhook_p50_ms = sr_pct(r->hist_hook, r->n_hook, 0.5);
	t->rtt_p50_ms = sr_pct(r->hist_rtt, r->n_rtt, 0.5);
	t->rtt_p99_ms = sr_pct(r->hist_rtt, r->n_rtt, 0.99);
	if (o->quiet)
		return;
	if (o->json) {
		printf("{\"calls\":%d,\"ok\":%d,\"failed\":%d,"
		    "\"protocol_errors\":%ld,\"wall_s\":%.3f,"
		    "\"webhook_p50_ms\":%.3f,\"webhook_p99_ms\":%.3f,"
		    "\"frames_sent\":%ld,\"audio_bytes\":%ld,\"marks\":%ld,"
		    "\"clears\":%ld", o->calls, t->ok, t->failed,
		    t->protocol_errors, wall, t->webhook_p50_ms,
		    sr_pct(r->hist_hook, r->n_hook, 0.99), t->frames_sent,
		    t->audio_bytes, t->marks, t->clears);
		if (o->echo)
			printf(",\"frames_echoed\":%ld,\"frames_lost\":%ld,"
			    "\"rtt_p50_ms\":%.3f,\"rtt_p90_ms\":%.3f,"
			    "\"rtt_p99_ms\":%.3f", t->frames_echoed,
			    t->frames_lost, t->rtt_p50_ms,
			    sr_pct(r->hist_rtt, r->n_rtt, 0.9), t->rtt_p99_ms);
		if (o->per_call) {
			printf(",\"per_call\":[");
			for (i = 0; i < o->calls; i++)
				sr_print_call(r, &r->c[i], i == 0);
			printf("]");
		}
		printf("}\n");
		return;
	}
	if (o->per_call)
		for (i = 0; i < o->calls; i++)
			sr_print_call(r, &r->c[i], i == 0);
	else
		for (i = 0; i < o->calls; i++)
			if (!sr_call_ok(r, &r->c[i]) && r->c[i].err[0])
				printf("call %d failed: %s\n", i,
				    r->c[i].err);
	printf("calls:    %d ok, %d failed, %ld protocol errors (%.1f s)\n",
	    t->ok, t->failed, t->protocol_errors, wall);
	printf("webhook:  p50 %.2f ms, p99 %.2f ms\n", t->webhook_p50_ms,
	    sr_pct(r->hist_hook, r->n_hook, 0.99));
	printf("audio:    %ld frames sent, %ld bytes of agent audio, %ld "
	    "marks, %ld clears\n", t->frames_sent, t->audio_bytes, t->marks,
	    t->clears);
	if (o->echo)
		printf("echo:     %ld frames back, %ld lost; round trip p50 "
		    "%.2f ms, p90 %.2f ms, p99 %.2f ms\n", t->frames_echoed,
		    t->frames_lost, t->rtt_p50_ms,
		    sr_pct(r->hist_rtt, r->n_rtt, 0.9), t->rtt_p99_ms);
}

/* Raise the open-file limit to fit N calls (best effort). */
static void
sr_raise_nofile(int n)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)n * 2 + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want ?
	    rl.rlim_max : want;
	(void)setrlimit(RLIMIT_NOFILE, &rl);
}

/* Place the calls O describes. */
int
sim_run(const struct sim_opts *o, struct sim_totals *t)
{
	struct sr_run r;
	struct epoll_event evs[SR_MAX_EVENTS];
	struct sr_call *c;
	uint64_t now, t0, next_start, us;
	int n, k, timeout, rc = 2, i;
	char whost[128];
	int wport;

	memset(&r, 0, sizeof(r));
	r.o = o;
	r.ep = -1;
	if (sr_resolve(o->host, o->port, &r.hook_sa) == -1) {
		fprintf(stderr, "voicegate-sim: cannot resolve %s\n", o->host);
		return (2);
	}
	r.ws_sa = r.hook_sa;
	if (o->ws_url != NULL) {
		if (sscanf(o->ws_url, "ws://%127[^:/]:%d", whost,
		    &wport) != 2 ||
		    sr_resolve(whost, wport, &r.ws_sa) == -1) {
			fprintf(stderr, "voicegate-sim: bad --ws-url %s\n",
			    o->ws_url);
			return (2);
		}
		snprintf(r.ws_path, sizeof(r.ws_path), "%s",
		    strchr(o->ws_url + 5, '/') ? strchr(o->ws_url + 5, '/') :
		    "/");
		r.ws_override = 1;
	}
	sr_raise_nofile(o->calls);
	if (sr_frames_make(&r) == -1 ||
	    (r.ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		goto out;
	r.c = calloc((size_t)o->calls, sizeof(*r.c));
	r.hist_hook = calloc(SR_HIST_BUCKETS, sizeof(*r.hist_hook));
	r.hist_rtt = calloc(SR_HIST_BUCKETS, sizeof(*r.hist_rtt));
	if (r.c == NULL || r.hist_hook == NULL || r.hist_rtt == NULL)
		goto out;
	for (i = 0; i < o->calls; i++) {
		r.c[i].idx = i;
		r.c[i].fd = -1;
	}
	t0 = next_start = wsc_now();
	while (r.finished < o->calls) {
		now = wsc_now();
		/* Start the calls that are due (--ramp per second). */
		while (r.started < o->calls && next_start <= now) {
			sr_hook_start(&r, &r.c[r.started]);
			next_start = o->ramp > 0 ? t0 + (uint64_t)((double)
			    r.started * NS_S / o->ramp) : now;
		}
		/* Run the due wake-ups. */
		while (r.nheap > 0 && r.heap[0].at <= now) {
			c = &r.c[r.heap[0].idx];
			k = c->deadline == r.heap[0].at;
			sr_heap_pop(&r);
			if (k)
				sr_wake(&r, c, now);
		}
		timeout = 1000;
		if (r.nheap > 0)
			timeout = (int)((r.heap[0].at - now + NS_MS - 1) /
			    NS_MS);
		if (r.started < o->calls && next_start > now &&
		    (int)((next_start - now) / NS_MS) < timeout)
			timeout = (int)((next_start - now) / NS_MS);
		n = epoll_wait(r.ep, evs, SR_MAX_EVENTS, timeout);
		if (n == -1 && errno != EINTR) {
			fprintf(stderr, "voicegate-sim: epoll_wait: %s\n",
			    strerror(errno));
			goto out;
		}
		now = wsc_now();
		for (k = 0; k < n; k++) {
			c = &r.c[evs[k].data.u64];
			if (c->fd == -1)
				continue;
			i = c->state == SR_HOOK_WAIT;
			sr_event(&r, c, evs[k].events, now);
			if (i && c->t_hook != 0 && c->state != SR_HOOK_WAIT) {
				us = (c->t_hook - c->t_begin) / 1000 /
				    SR_HIST_US;
				r.hist_hook[us < SR_HIST_BUCKETS ? us :
				    SR_HIST_BUCKETS - 1]++;
				r.n_hook++;
			}
		}
	}
	if (o->record != NULL && sim_audio_save(o->record, r.record.data,
	    wsc_buf_avail(&r.record)) == -1)
		fprintf(stderr, "voicegate-sim: %s: %s\n", o->record,
		    strerror(errno));
	sr_report(&r, (double)(wsc_now() - t0) / 1e9, t);
	rc = 0;
	for (i = 0; i < o->calls; i++)
		if (!sr_call_ok(&r, &r.c[i]))
			rc = 1;
out:
	if (rc == 2)
		fprintf(stderr, "voicegate-sim: cannot run (out of memory?)\n");
	for (i = 0; r.c != NULL && i < o->calls; i++) {
		free(r.c[i].params_json);
		free(r.c[i].ws_path);
		free(r.c[i].ws_host);
	}
	if (r.ep != -1)
		close(r.ep);
	free(r.c);
	free(r.heap);
	free(r.frames);
	free(r.frames_b64);
	free(r.hist_hook);
	free(r.hist_rtt);
	wsc_buf_free(&r.record);
	return (rc);
}
