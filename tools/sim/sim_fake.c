/*
 * The fake voicegate of `voicegate-sim --self-test`: on a loopback port it
 * answers the signed webhook with TwiML, accepts the signed media upgrade,
 * checks what the simulator sends, echoes caller audio back as agent audio
 * and sends marks, a clear and (on request) a bad event. One thread
 * accepts; each connection gets a thread of blocking I/O: a test fake, not
 * a server.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "sim.h"
#include "wsc.h"

#define SF_MAX_CONNS	2048
#define SF_MAX_HEAD	8192

/* The fake's state; its counters are under the lock. */
static struct {
	const struct sim_fake_opts *o;
	int		 lfd;
	int		 stop;
	char		 stream_url[SIM_MAX_URL];
	pthread_t	 acceptor;
	pthread_t	 conns[SF_MAX_CONNS];
	int		 nconns;
	pthread_mutex_t	 lock;
	struct sim_fake_stats st;
} sf;

/* Add D to the counter at FIELD under the lock. */
static void
sf_count(int *field, int d)
{
	pthread_mutex_lock(&sf.lock);
	*field += d;
	pthread_mutex_unlock(&sf.lock);
}

/* Send all of P/LEN on FD. Returns 0 or -1. */
static int
sf_send(int fd, const void *p, size_t len)
{
	const char *s = p;
	ssize_t n;

	while (len > 0) {
		n = send(fd, s, len, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return (-1);
		s += n;
		len -= (size_t)n;
	}
	return (0);
}

/* Read more bytes from FD into B, waking every 100 ms to check the stop
 * flag. Returns bytes read, or -1 at EOF, error or stop. */
static ssize_t
sf_read(int fd, struct wsc_buf *b)
{
	ssize_t n;

	for (;;) {
		n = wsc_buf_read(b, fd);
		if (n > 0)
			return (n);
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
		    !__atomic_load_n(&sf.stop, __ATOMIC_RELAXED))
			continue;
		return (-1);
	}
}

/* Decode the form-url-encoded S in place. */
static void
sf_unform(char *s)
{
	char *w = s, h[3];

	for (; *s != '\0'; s++) {
		if (*s == '+')
			*w++ = ' ';
		else if (*s == '%' && s[1] != '\0' && s[2] != '\0') {
			h[0] = s[1];
			h[1] = s[2];
			h[2] = '\0';
			*w++ = (char)strtol(h, NULL, 16);
			s += 2;
		} else
			*w++ = *s;
	}
	*w = '\0';
}

/* Answer the webhook whose head is HEAD and body BODY on FD. */
static void
sf_webhook(int fd, const char *head, char *body)
{
	struct sim_param p[SIM_MAX_PARAMS];
	char sig[64], want[32], url[SIM_MAX_URL], resp[2048], twiml[1024];
	char *tok, *save = NULL, *eq;
	int np = 0, n;

	sf_count(&sf.st.webhooks, 1);
	for (tok = strtok_r(body, "&", &save); tok != NULL && np <
	    SIM_MAX_PARAMS; tok = strtok_r(NULL, "&", &save)) {
		if ((eq = strchr(tok, '=')) == NULL)
			continue;
		*eq = '\0';
		sf_unform(tok);
		sf_unform(eq + 1);
		snprintf(p[np].name, SIM_MAX_NAME, "%s", tok);
		snprintf(p[np].value, SIM_MAX_VALUE, "%s", eq + 1);
		np++;
	}
	snprintf(url, sizeof(url), "%s/twilio/incoming-call",
	    sf.o->public_url);
	if (wsc_http_header(head, "X-Twilio-Signature", sig, sizeof(sig)) ==
	    -1 || sim_sign(sf.o->token, url, p, np, want) == -1 ||
	    strcmp(sig, want) != 0) {
		sf_count(&sf.st.bad_signatures, 1);
		n = snprintf(resp, sizeof(resp), "HTTP/1.1 403 Forbidden\r\n"
		    "Content-Length: 0\r\nConnection: close\r\n\r\n");
		(void)sf_send(fd, resp, (size_t)n);
		return;
	}
	n = snprintf(twiml, sizeof(twiml), "<?xml version=\"1.0\" "
	    "encoding=\"UTF-8\"?>\n<Response>\n  <Say>Hello &amp; "
	    "welcome</Say>\n  <Connect>\n    <Stream url=\"%s\">\n"
	    "      <Parameter name=\"call_id\" value=\"vgc_0123456789abcdef\"/>"
	    "\n      <Parameter name=\"token\" value=\"a&amp;b&quot;c\"/>\n"
	    "    </Stream>\n  </Connect>\n</Response>\n", sf.stream_url);
	/* Chunked, to exercise the simulator's HTTP reader. */
	n = snprintf(resp, sizeof(resp), "HTTP/1.1 200 OK\r\nContent-Type: "
	    "text/xml; charset=utf-8\r\nTransfer-Encoding: chunked\r\n"
	    "Connection: close\r\n\r\n%x\r\n%s\r\n0\r\n\r\n", n, twiml);
	(void)sf_send(fd, resp, (size_t)n);
}

/* Send the text message S (unmasked) on FD. Returns 0 or -1. */
static int
sf_text(int fd, const char *s)
{
	struct wsc_buf b;
	int rc;

	memset(&b, 0, sizeof(b));
	wsc_frame_put(&b, WSC_OP_TEXT, s, strlen(s), 0);
	rc = sf_send(fd, b.data, b.len);
	wsc_buf_free(&b);
	return (rc);
}

/* Check the message P/LEN the simulator sent; act on it. Returns 0, 1 on
 * stop, -1 to drop the connection. */
static int
sf_ws_message(int fd, char *p, size_t len, char *sid, long *media,
    unsigned *seq)
{
	const struct sim_fake_opts *o = sf.o;
	struct sim_jobj root, sub[2];
	char out[1024], *copy;
	const char *ev;
	int i, k, rc = 0;
	unsigned num;

	if (len > 9 && strstr(p, "\"event\":\"start\"") != NULL) {
		/* start holds an array and numbers: check it by its text. */
		copy = strndup(p, len);
		if (copy == NULL || strstr(copy, "\"sequenceNumber\":\"1\"") ==
		    NULL || strstr(copy, "\"tracks\":[\"inbound\"]") == NULL ||
		    strstr(copy, "\"customParameters\":{\"call_id\":"
		    "\"vgc_0123456789abcdef\",\"token\":\"a&b\\\"c\"}") ==
		    NULL || strstr(copy, "\"mediaFormat\":{\"encoding\":"
		    "\"audio/x-mulaw\",\"sampleRate\":8000,\"channels\":1}") ==
		    NULL || strstr(copy, "\"callSid\":\"CA") == NULL ||
		    strstr(copy, "\"accountSid\":\"AC") == NULL)
			sf_count(&sf.st.protocol_errors, 1);
		if (copy != NULL && (ev = strstr(copy, "\"streamSid\":\"MZ")) !=
		    NULL)
			snprintf(sid, 35, "%.34s", ev + 13);
		free(copy);
		sf_count(&sf.st.starts, 1);
		*seq = 1;
		return (0);
	}
	if (sim_json_parse(p, len, &root, sub, 2) == -1 ||
	    (i = sim_json_find(&root, "event")) == -1 ||
	    (ev = root.str[i]) == NULL) {
		sf_count(&sf.st.protocol_errors, 1);
		return (0);
	}
	if (strcmp(ev, "connected") == 0)
		return (0);
	k = sim_json_find(&root, "sequenceNumber");
	if (k == -1 || root.str[k] == NULL || sscanf(root.str[k], "%u",
	    &num) != 1 || num != *seq + 1 || (i = sim_json_find(&root,
	    "streamSid")) == -1 || root.str[i] == NULL ||
	    strcmp(root.str[i], sid) != 0)
		sf_count(&sf.st.protocol_errors, 1);
	*seq = num;
	if (strcmp(ev, "media") == 0) {
		if ((i = sim_json_find(&root, "media")) == -1 ||
		    root.obj[i] == NULL || root.obj[i]->n != 4 ||
		    (k = sim_json_find(root.obj[i], "payload")) == -1 ||
		    root.obj[i]->slen[k] != 216) {
			sf_count(&sf.st.protocol_errors, 1);
			return (0);
		}
		(*media)++;
		pthread_mutex_lock(&sf.lock);
		sf.st.media_in++;
		pthread_mutex_unlock(&sf.lock);
		snprintf(out, sizeof(out), "{\"event\":\"media\",\"streamSid\":"
		    "\"%s\",\"media\":{\"payload\":\"%s\"}}", sid,
		    root.obj[i]->str[k]);
		rc |= sf_text(fd, out);
		if (o->mark_every > 0 && *media % o->mark_every == 0) {
			snprintf(out, sizeof(out), "{\"event\":\"mark\","
			    "\"streamSid\":\"%s\",\"mark\":{\"name\":"
			    "\"m%ld\"}}",
			    sid, *media);
			rc |= sf_text(fd, out);
		}
		if (o->bad_event && *media == 1) {
			snprintf(out, sizeof(out), "{\"event\":\"bogus\","
			    "\"streamSid\":\"%s\"}", sid);
			rc |= sf_text(fd, out);
		}
		if (o->clear_at > 0 && *media == o->clear_at) {
			/* One second of agent audio, a mark, then clear. */
			memset(out, 0, sizeof(out));
			snprintf(out, sizeof(out), "{\"event\":\"media\","
			    "\"streamSid\":\"%s\",\"media\":{\"payload\":\"",
			    sid);
			for (k = 0; k < 53; k++)
				strcat(out, "////");
			strcat(out, "/w==\"}}");
			for (k = 0; k < 50; k++)
				rc |= sf_text(fd, out);
			snprintf(out, sizeof(out), "{\"event\":\"mark\","
			    "\"streamSid\":\"%s\",\"mark\":{\"name\":"
			    "\"before-clear\"}}", sid);
			rc |= sf_text(fd, out);
			snprintf(out, sizeof(out), "{\"event\":\"clear\","
			    "\"streamSid\":\"%s\"}", sid);
			rc |= sf_text(fd, out);
		}
		return (rc == 0 ? 0 : -1);
	}
	if (strcmp(ev, "mark") == 0) {
		sf_count(&sf.st.marks_echoed, 1);
		return (0);
	}
	if (strcmp(ev, "dtmf") == 0) {
		if ((i = sim_json_find(&root, "dtmf")) == -1 ||
		    root.obj[i] == NULL || (k = sim_json_find(root.obj[i],
		    "track")) == -1 || strcmp(root.obj[i]->str[k],
		    "inbound_track") != 0)
			sf_count(&sf.st.protocol_errors, 1);
		sf_count(&sf.st.dtmf, 1);
		return (0);
	}
	if (strcmp(ev, "stop") == 0) {
		sf_count(&sf.st.stops, 1);
		return (1);
	}
	sf_count(&sf.st.protocol_errors, 1);
	return (0);
}

/* Serve the media stream on FD after a checked upgrade (head in HEAD). */
static void
sf_media(int fd, const char *head, struct wsc_buf *in)
{
	struct wsc_buf out;
	struct wsc_frame f;
	char sig[64], want[32], key[64], acc[32], resp[256], sid[40] = "";
	unsigned seq = 0;
	long media = 0;
	int n, rc;

	if (wsc_http_header(head, "X-Twilio-Signature", sig, sizeof(sig)) ==
	    -1 || sim_sign(sf.o->token, sf.stream_url, NULL, 0, want) == -1 ||
	    strcmp(sig, want) != 0 || wsc_http_header(head,
	    "Sec-WebSocket-Key", key, sizeof(key)) == -1 ||
	    wsc_accept_key(key, acc) == -1) {
		sf_count(&sf.st.bad_signatures, 1);
		n = snprintf(resp, sizeof(resp), "HTTP/1.1 403 Forbidden\r\n"
		    "Content-Length: 0\r\n\r\n");
		(void)sf_send(fd, resp, (size_t)n);
		return;
	}
	sf_count(&sf.st.upgrades, 1);
	n = snprintf(resp, sizeof(resp), "HTTP/1.1 101 Switching Protocols\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: %s\r\n\r\n", acc);
	if (sf_send(fd, resp, (size_t)n) == -1)
		return;
	memset(&out, 0, sizeof(out));
	for (;;) {
		while ((rc = wsc_frame_get(in, &f, 65536)) == 1) {
			in->off += f.total;
			if (!f.masked || !f.fin)
				sf_count(&sf.st.protocol_errors, 1);
			if (f.opcode == WSC_OP_CLOSE) {
				wsc_frame_put(&out, WSC_OP_CLOSE, f.payload,
				    f.len >= 2 ? 2 : 0, 0);
				(void)sf_send(fd, out.data, out.len);
				goto done;
			}
			if (f.opcode != WSC_OP_TEXT) {
				sf_count(&sf.st.protocol_errors, 1);
				continue;
			}
			rc = sf_ws_message(fd, (char *)f.payload, f.len, sid,
			    &media, &seq);
			if (rc == -1)
				goto done;
		}
		if (rc == -1 || sf_read(fd, in) == -1)
			break;
	}
done:
	wsc_buf_free(&out);
}

/* One connection's thread: a webhook or a media stream. */
static void *
sf_conn(void *arg)
{
	int fd = (int)(intptr_t)arg;
	struct wsc_buf in;
	char head[SF_MAX_HEAD + 1], len_s[32], *end, *body;
	size_t hlen, blen;

	memset(&in, 0, sizeof(in));
	for (;;) {
		wsc_buf_reserve(&in, 1);
		in.data[in.len] = '\0';
		if ((end = strstr((char *)in.data, "\r\n\r\n")) != NULL)
			break;
		if (in.len > SF_MAX_HEAD || sf_read(fd, &in) == -1)
			goto out;
	}
	hlen = (size_t)(end - (char *)in.data) + 4;
	memcpy(head, in.data, hlen);
	head[hlen] = '\0';
	in.off = hlen;
	if (strncmp(head, "POST /twilio/incoming-call ", 27) == 0) {
		blen = wsc_http_header(head, "Content-Length", len_s,
		    sizeof(len_s)) == 0 ? (size_t)atol(len_s) : 0;
		while (wsc_buf_avail(&in) < blen)
			if (blen > 65536 || sf_read(fd, &in) == -1)
				goto out;
		wsc_buf_reserve(&in, 1);
		body = (char *)in.data + in.off;
		body[blen] = '\0';
		sf_webhook(fd, head, body);
	} else if (strncmp(head, "GET /twilio/media-stream ", 25) == 0)
		sf_media(fd, head, &in);
out:
	wsc_buf_free(&in);
	close(fd);
	return (NULL);
}

/* The accepting thread: one thread per connection until stopped. */
static void *
sf_accept(void *arg)
{
	struct pollfd pfd;
	struct timeval tv = { 0, 100000 };
	int fd, one = 1;

	pfd.fd = sf.lfd;
	pfd.events = POLLIN;
	while (!__atomic_load_n(&sf.stop, __ATOMIC_RELAXED)) {
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		if ((fd = accept(sf.lfd, NULL, NULL)) == -1)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (sf.nconns == SF_MAX_CONNS || pthread_create(
		    &sf.conns[sf.nconns], NULL, sf_conn,
		    (void *)(intptr_t)fd) != 0) {
			close(fd);
			continue;
		}
		sf.nconns++;
	}
	return (NULL);
}

/* Start the fake on a loopback ephemeral port. */
int
sim_fake_start(const struct sim_fake_opts *o, int *port)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	const char *h;

	memset(&sf, 0, sizeof(sf));
	sf.o = o;
	pthread_mutex_init(&sf.lock, NULL);
	h = strstr(o->public_url, "://");
	h = h != NULL ? h + 3 : o->public_url;
	snprintf(sf.stream_url, sizeof(sf.stream_url),
	    "wss://%.*s/twilio/media-stream", (int)strcspn(h, "/"), h);
	if ((sf.lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(sf.lfd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    listen(sf.lfd, 1024) == -1 ||
	    getsockname(sf.lfd, (struct sockaddr *)&sa, &len) == -1 ||
	    pthread_create(&sf.acceptor, NULL, sf_accept, NULL) != 0) {
		close(sf.lfd);
		return (-1);
	}
	*port = ntohs(sa.sin_port);
	return (0);
}

/* Stop the fake, wait for its threads and copy its counters to S. */
void
sim_fake_stop(struct sim_fake_stats *s)
{
	int i;

	__atomic_store_n(&sf.stop, 1, __ATOMIC_RELAXED);
	pthread_join(sf.acceptor, NULL);
	for (i = 0; i < sf.nconns; i++)
		pthread_join(sf.conns[i], NULL);
	close(sf.lfd);
	*s = sf.st;
	pthread_mutex_destroy(&sf.lock);
}
