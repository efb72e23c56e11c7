/*
 * The net thread: one libwebsockets context serving HTTP and WebSocket on
 * one port, plus outbound WebSocket clients, on its own loop (libev through
 * lws's event-lib plugin, or lws's own poll). It only moves bytes: whole
 * requests and messages go to the core thread through a bounded queue
 * (woken with event_active() when it goes from empty to non-empty); answers,
 * sends and closes come back through another (woken with
 * lws_cancel_service(), drained on LWS_CALLBACK_EVENT_WAIT_CANCELLED).
 * Entries carry connection ids; an id that has gone away is dropped.
 *
 * Threads: everything named net_lws_* and net_conn_* runs on the net thread
 * only; vg_net_* and net_to_net() on the core thread; the queues, the kept
 * header table and the counters are shared (mutexes and atomics).
 */
#include "config.h"

#include <sys/socket.h>

#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/event.h>
#include <libwebsockets.h>

#include <voicegate/voicegate.h>

#include "core.h"
#include "net.h"

#define NET_TO_CORE_MAX		65536	/* messages waiting for the core */
#define NET_TO_NET_MAX		65536	/* messages waiting for the net */
#define NET_HTTP_CHUNK		16384	/* body bytes per HTTP write */
#define NET_HDR_MAX		8192	/* one header value we keep */
#define NET_REASON_MAX		123	/* a close reason's bytes */
#define NET_HANGUP_CHECK_US	100000	/* look for a gone HTTP client */
#define NET_BATCH		64	/* hand over at most this many at once */

/* What a connection is. */
enum net_kind {
	NET_KIND_HTTP,		/* plain HTTP, maybe keep-alive */
	NET_KIND_WS_SERVER,	/* upgraded on our listener */
	NET_KIND_WS_CLIENT,	/* opened by vg_ws_connect() */
};

/* The net thread's record of one connection, hung on the wsi as its
 * opaque user data. Net thread only. */
struct net_conn {
	uint64_t		 id;		/* current id (0: none) */
	struct lws		*wsi;
	enum net_kind		 kind;
	unsigned		 established:1;	/* WS open, counted in gauge */
	unsigned		 at_core:1;	/* core knows this id */
	unsigned		 close_pending:1;
	unsigned		 dropping:1;	/* being killed */
	/* HTTP: the request being read, then the answer being written */
	struct net_msg		*req;
	size_t			 body_cap;
	unsigned		 body_oversize:1;
	struct net_msg		*resp;
	size_t			 resp_off;
	unsigned		 resp_hdrs_sent:1;
	/* WebSocket: the upgrade request, reassembly, send queue, close */
	struct net_msg		*open;		/* path, query, headers, peer */
	char			*rx;
	size_t			 rx_len;
	size_t			 rx_cap;
	int			 rx_binary;
	struct net_msg		*sq_head;
	struct net_msg		*sq_tail;
	size_t			 sq_bytes;
	int			 close_code;	/* ours, when we close */
	char			*close_reason;
	int			 peer_code;	/* from the peer's close */
	char			*peer_reason;
	struct net_msg		*connect;	/* client: the request */
};

/* A header name some module asked us to keep. */
struct net_kept {
	struct net_kept		*next;
	struct vg_module	*mod;
	char			*name;		/* lower case, with ':' */
};

static struct {
	/* set up by the core thread before the net thread starts */
	struct lws_context	*ctx;
	struct lws_vhost	*vh;
	pthread_t		 thread;
	int			 running;	/* core thread's view */
	int			 port;
	int			 libev;		/* the backend in use */
	int			 destroying;	/* net thread only */
	size_t			 max_body;
	size_t			 max_ws_message;
	size_t			 max_send_queue;
	struct event		*wake;		/* core: drain to_core */
	struct event		*flush;		/* core: hand over core_pend */
	struct net_queue	 to_core;
	struct net_queue	 to_net;
	/* message blocks of each thread (see net.h) */
	struct net_pool		 pool_core;
	struct net_pool		 pool_net;
	/* messages not handed over yet, one batch per loop pass: the
	 * core's for the net thread (core thread only)... */
	struct net_msg		*core_pend;
	struct net_msg		*core_pend_tail;
	size_t			 core_pend_n;
	int			 core_flushing;	/* flush is active */
	/* ...and the net thread's for the core (net thread only) */
	struct net_msg		*net_pend;
	struct net_msg		*net_pend_tail;
	size_t			 net_pend_n;
	int			 net_flushing;	/* net_sul is scheduled */
	lws_sorted_usec_list_t	 net_sul;
	/* shared, atomics */
	int			 stop;
	int			 no_accept;
	uint64_t		 next_id;
	struct vg_net_stats	 st;
	/* net thread only */
	struct net_idmap	 conns;
	/* the core's last lws_cancel_service() ends before the net thread
	 * destroys the context (which closes the fd it writes to) */
	pthread_mutex_t		 stop_lock;
	/* shared, under kept_lock */
	pthread_mutex_t		 kept_lock;
	struct net_kept		*kept;
} g = {
	.stop_lock = PTHREAD_MUTEX_INITIALIZER,
	.kept_lock = PTHREAD_MUTEX_INITIALIZER,
};

/* Standard headers always kept, with their lws tokens. */
static const struct {
	const char		*name;
	enum lws_token_indexes	 tok;
} net_std_hdrs[] = {
	{ "host",			WSI_TOKEN_HOST },
	{ "content-type",		WSI_TOKEN_HTTP_CONTENT_TYPE },
	{ "content-length",		WSI_TOKEN_HTTP_CONTENT_LENGTH },
	{ "authorization",		WSI_TOKEN_HTTP_AUTHORIZATION },
	{ "user-agent",			WSI_TOKEN_HTTP_USER_AGENT },
	{ "cookie",			WSI_TOKEN_HTTP_COOKIE },
	{ "upgrade",			WSI_TOKEN_UPGRADE },
	{ "connection",			WSI_TOKEN_CONNECTION },
	{ "origin",			WSI_TOKEN_ORIGIN },
	{ "sec-websocket-key",		WSI_TOKEN_KEY },
	{ "sec-websocket-version",	WSI_TOKEN_VERSION },
	{ "sec-websocket-protocol",	WSI_TOKEN_PROTOCOL },
	{ "sec-websocket-extensions",	WSI_TOKEN_EXTENSIONS },
	{ "x-forwarded-for",		WSI_TOKEN_X_FORWARDED_FOR },
	{ "accept",			WSI_TOKEN_HTTP_ACCEPT },
	{ "transfer-encoding",		WSI_TOKEN_HTTP_TRANSFER_ENCODING },
	/* lws parses these itself: vg_http_keep_header() cannot reach them */
	{ "if-none-match",		WSI_TOKEN_HTTP_IF_NONE_MATCH },
	{ "if-modified-since",		WSI_TOKEN_HTTP_IF_MODIFIED_SINCE },
};

/* Request methods lws knows, with the token holding the path. */
static const struct {
	const char		*method;
	enum lws_token_indexes	 tok;
} net_methods[] = {
	{ "GET",	WSI_TOKEN_GET_URI },
	{ "POST",	WSI_TOKEN_POST_URI },
	{ "PUT",	WSI_TOKEN_PUT_URI },
	{ "PATCH",	WSI_TOKEN_PATCH_URI },
	{ "DELETE",	WSI_TOKEN_DELETE_URI },
	{ "OPTIONS",	WSI_TOKEN_OPTIONS_URI },
	{ "HEAD",	WSI_TOKEN_HEAD_URI },
};

static int	net_lws_cb(struct lws *wsi, enum lws_callback_reasons reason,
		    void *user, void *in, size_t len);

static const struct lws_protocols net_protocols[] = {
	{ "vg", net_lws_cb, 0, 0, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 },
};

/* ---- counters and ids (any thread) ---- */

/* Add N to the counter at P. */
static void
net_count(uint64_t *p, int64_t n)
{
	__atomic_add_fetch(p, (uint64_t)n, __ATOMIC_RELAXED);
}

/* A fresh id: never 0, never reused. */
uint64_t
net_new_id(void)
{
	return (__atomic_add_fetch(&g.next_id, 1, __ATOMIC_RELAXED));
}

/* Count one 413 or 1009. */
void
net_count_oversize(void)
{
	net_count(&g.st.oversize, 1);
}

/* True while the net thread runs (core thread's view). */
int
net_running(void)
{
	return (g.running);
}

/* The request body limit in force. */
size_t
net_max_body(void)
{
	return (g.max_body);
}

/* ---- kept header names (core writes, net reads) ---- */

/* Keep header NAME on every request from now on, for MOD. */
int
net_keep_header(struct vg_module *mod, const char *name)
{
	struct net_kept *k;
	size_t i, n = strlen(name);

	if (n == 0 || n > 64 || strchr(name, ':') != NULL) {
		vg_log(VG_LOG_ERROR, "keep_header: bad header name \"%s\"",
		    name);
		return (-1);
	}
	k = vg_xcalloc(1, sizeof(*k));
	k->mod = mod;
	k->name = vg_xmalloc(n + 2);
	for (i = 0; i < n; i++)
		k->name[i] = (char)tolower((unsigned char)name[i]);
	k->name[n] = ':';
	k->name[n + 1] = '\0';
	pthread_mutex_lock(&g.kept_lock);
	k->next = g.kept;
	g.kept = k;
	pthread_mutex_unlock(&g.kept_lock);
	return (0);
}

/* Forget MOD's kept headers; return how many. */
unsigned
net_unkeep_headers(struct vg_module *mod)
{
	struct net_kept **kp, *k;
	unsigned n = 0;

	pthread_mutex_lock(&g.kept_lock);
	for (kp = &g.kept; *kp != NULL;) {
		k = *kp;
		if (k->mod != mod) {
			kp = &k->next;
			continue;
		}
		*kp = k->next;
		free(k->name);
		free(k);
		n++;
	}
	pthread_mutex_unlock(&g.kept_lock);
	return (n);
}

/* ---- the hand-off ---- */

/*
 * The hand-off batches. On one core every wake-up of the other thread is a
 * context switch, so neither side wakes the other per message: messages
 * collect on a private list and are handed over as one batch (one lock,
 * one wake-up, and only when the queue was empty: a non-empty queue has a
 * wake-up on its way) once the producer's loop has run what was ready —
 * the net thread from an lws timer of 0 µs, which runs when its loop has
 * no more I/O ready, the core thread from an event it activates, which
 * runs after the callbacks already active. A full batch goes at once.
 */

/* Hand the net thread's pending messages to the core. Net thread. */
static void
net_flush_to_core(void)
{
	int wake;

	if (g.net_pend == NULL)
		return;
	wake = net_queue_push_list(&g.to_core, g.net_pend, g.net_pend_tail,
	    g.net_pend_n);
	g.net_pend = g.net_pend_tail = NULL;
	g.net_pend_n = 0;
	if (wake)
		event_active(g.wake, EV_READ, 0);
}

/* The net loop has run what was ready: hand over the batch. */
static void
net_flush_sul(lws_sorted_usec_list_t *sul)
{
	g.net_flushing = 0;
	net_flush_to_core();
}

/* Queue M for the core thread, in the next batch. FORCE ignores the bound
 * (for messages that end a connection). Net thread. Returns 0, or -1 (M
 * freed) when the queue is full. */
static int
net_to_core(struct net_msg *m, int force)
{
	if (!force && g.net_pend_n + net_queue_depth(&g.to_core) >=
	    g.to_core.max) {
		net_msg_free(m);
		return (-1);
	}
	m->next = NULL;
	if (g.net_pend_tail != NULL)
		g.net_pend_tail->next = m;
	else
		g.net_pend = m;
	g.net_pend_tail = m;
	if (++g.net_pend_n >= NET_BATCH || g.destroying)
		net_flush_to_core();
	else if (!g.net_flushing) {
		g.net_flushing = 1;
		lws_sul_schedule(g.ctx, 0, &g.net_sul, net_flush_sul, 0);
	}
	return (0);
}

/* Hand the core's pending messages to the net thread. Core thread. */
static void
net_flush_to_net(void)
{
	int wake;

	if (g.core_pend == NULL)
		return;
	wake = net_queue_push_list(&g.to_net, g.core_pend, g.core_pend_tail,
	    g.core_pend_n);
	g.core_pend = g.core_pend_tail = NULL;
	g.core_pend_n = 0;
	if (wake)
		lws_cancel_service(g.ctx);
}

/* The flush event: the core's callbacks of this pass have run. */
static void
net_core_flush(evutil_socket_t fd, short what, void *arg)
{
	g.core_flushing = 0;
	net_flush_to_net();
}

/* Queue M for the net thread, in the next batch. Core thread. */
int
net_to_net(struct net_msg *m)
{
	if (!g.running) {
		net_msg_free(m);
		return (-1);
	}
	if (g.core_pend_n + net_queue_depth(&g.to_net) >= g.to_net.max) {
		vg_log(VG_LOG_WARN, "net: queue to the net thread is full");
		net_msg_free(m);
		return (-1);
	}
	m->next = NULL;
	if (g.core_pend_tail != NULL)
		g.core_pend_tail->next = m;
	else
		g.core_pend = m;
	g.core_pend_tail = m;
	if (++g.core_pend_n >= NET_BATCH)
		net_flush_to_net();
	else if (!g.core_flushing) {
		g.core_flushing = 1;
		event_active(g.flush, EV_TIMEOUT, 0);
	}
	return (0);
}

/* Deliver everything the net thread queued. Core thread. */
static void
net_core_drain(void)
{
	struct net_msg *m, *next;

	for (m = net_queue_take(&g.to_core); m != NULL; m = next) {
		next = m->next;
		m->next = NULL;
		switch (m->type) {
		case NET_HTTP_REQ:
		case NET_HTTP_GONE:
			http_dispatch(m);
			break;
		default:
			ws_dispatch(m);
			break;
		}
	}
}

/* The wake event fired: the core has messages. Take them until the queue
 * stays empty once armed; after a few rounds, yield to the rest of the
 * loop and come back. */
static void
net_core_wake(evutil_socket_t fd, short what, void *arg)
{
	int round;

	for (round = 0; round < 8; round++) {
		net_core_drain();
		if (net_queue_arm(&g.to_core) == 0)
			return;
	}
	event_active(g.wake, EV_READ, 0);
}

/* ---- net thread: connections ---- */

/* Give NC a new id and remember it. */
static void
net_conn_set_id(struct net_conn *nc)
{
	if (nc->id != 0)
		net_idmap_del(&g.conns, nc->id);
	nc->id = net_new_id();
	nc->at_core = 0;
	net_idmap_put(&g.conns, nc->id, nc);
}

/* A new record for WSI, hung on it. */
static struct net_conn *
net_conn_new(struct lws *wsi, enum net_kind kind)
{
	struct net_conn *nc;

	nc = vg_xcalloc(1, sizeof(*nc));
	nc->wsi = wsi;
	nc->kind = kind;
	lws_set_opaque_user_data(wsi, nc);
	return (nc);
}

/* Free NC's send queue. */
static void
net_conn_sq_free(struct net_conn *nc)
{
	struct net_msg *m, *next;

	for (m = nc->sq_head; m != NULL; m = next) {
		next = m->next;
		net_msg_free(m);
	}
	nc->sq_head = nc->sq_tail = NULL;
	nc->sq_bytes = 0;
}

/* The connection of NC has ended: tell the core (once), forget it. */
static void
net_conn_gone(struct lws *wsi, struct net_conn *nc, const char *why)
{
	struct net_msg *m;
	int code;

	if (wsi != NULL)
		lws_set_opaque_user_data(wsi, NULL);
	if (nc->id != 0)
		net_idmap_del(&g.conns, nc->id);
	if (nc->kind == NET_KIND_HTTP && nc->at_core) {
		net_to_core(net_msg_new(NET_HTTP_GONE, nc->id), 1);
	} else if (nc->kind != NET_KIND_HTTP && nc->at_core) {
		if (nc->close_code != 0)
			code = nc->close_code;
		else if (nc->peer_code != 0)
			code = nc->peer_code;
		else if (__atomic_load_n(&g.stop, __ATOMIC_RELAXED))
			code = VG_WS_CLOSE_GOING_AWAY;
		else
			code = VG_WS_CLOSE_ABNORMAL;
		m = net_msg_new(NET_WS_CLOSED, nc->id);
		m->code = code;
		if (nc->close_code != 0 && nc->close_reason != NULL)
			m->reason = vg_xstrdup(nc->close_reason);
		else if (nc->peer_reason != NULL)
			m->reason = vg_xstrdup(nc->peer_reason);
		else
			m->reason = vg_xstrdup(why != NULL ? why : "");
		net_to_core(m, 1);
	}
	if (nc->established)
		net_count(&g.st.ws_open, -1);
	net_msg_free(nc->req);
	net_msg_free(nc->resp);
	net_msg_free(nc->open);
	net_msg_free(nc->connect);
	net_conn_sq_free(nc);
	free(nc->rx);
	free(nc->close_reason);
	free(nc->peer_reason);
	free(nc);
}

/* Kill NC's connection now-ish, reporting CODE and REASON to the core. */
static void
net_conn_kill(struct net_conn *nc, int code, const char *reason)
{
	if (nc->dropping)
		return;
	nc->dropping = 1;
	nc->close_code = code;
	free(nc->close_reason);
	nc->close_reason = vg_xstrdup(reason);
	net_conn_sq_free(nc);
	lws_set_timeout(nc->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

/* ---- net thread: reading requests ---- */

/* Copy header token TOK of WSI, or NULL if absent. Returns new. */
static char *
net_hdr_copy(struct lws *wsi, enum lws_token_indexes tok)
{
	char *v;
	int n;

	if ((n = lws_hdr_total_length(wsi, tok)) <= 0 || n > NET_HDR_MAX)
		return (NULL);
	v = vg_xmalloc((size_t)n + 1);
	if (lws_hdr_copy(wsi, v, n + 1, tok) < 0) {
		free(v);
		return (NULL);
	}
	return (v);
}

/* Append S percent-encoded (RFC 3986 unreserved kept) to DST at *K. */
static void
net_pct(char *dst, size_t *k, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char c;
	size_t i;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (isalnum(c) || c == '-' || c == '.' || c == '_' ||
		    c == '~') {
			dst[(*k)++] = (char)c;
		} else {
			dst[(*k)++] = '%';
			dst[(*k)++] = hex[c >> 4];
			dst[(*k)++] = hex[c & 15];
		}
	}
}

/* Rebuild the query string from lws's decoded argument fragments, each
 * name and value percent-encoded again. Returns new ("" when none). */
static char *
net_query(struct lws *wsi)
{
	char frag[NET_HDR_MAX], *q, *eq;
	size_t k = 0, cap = 1;
	int i, n;

	q = vg_xstrdup("");
	for (i = 0; i < 256; i++) {
		n = lws_hdr_copy_fragment(wsi, frag, sizeof(frag),
		    WSI_TOKEN_HTTP_URI_ARGS, i);
		if (n < 0)
			break;
		cap += (size_t)n * 3 + 1;
		q = vg_xrealloc(q, cap);
		if (k > 0)
			q[k++] = '&';
		if ((eq = strchr(frag, '=')) != NULL) {
			net_pct(q, &k, frag, (size_t)(eq - frag));
			q[k++] = '=';
			net_pct(q, &k, eq + 1, strlen(eq + 1));
		} else
			net_pct(q, &k, frag, strlen(frag));
		q[k] = '\0';
	}
	return (q);
}

/* Fill M with WSI's method, path, query, kept headers and peer. Returns 0,
 * or -1 when the method is not one we serve. */
static int
net_collect(struct lws *wsi, struct net_msg *m)
{
	struct net_kept *k;
	char peer[128], *v, *name;
	size_t i;
	int n;

	for (i = 0; i < VG_NELEM(net_methods); i++)
		if ((m->path = net_hdr_copy(wsi, net_methods[i].tok)) != NULL)
			break;
	if (m->path == NULL)
		return (-1);
	m->method = vg_xstrdup(net_methods[i].method);
	m->query = net_query(wsi);
	for (i = 0; i < VG_NELEM(net_std_hdrs); i++) {
		if ((v = net_hdr_copy(wsi, net_std_hdrs[i].tok)) == NULL)
			continue;
		net_msg_add_hdr(m, net_std_hdrs[i].name, v);
		free(v);
	}
	pthread_mutex_lock(&g.kept_lock);
	for (k = g.kept; k != NULL; k = k->next) {
		n = lws_hdr_custom_length(wsi, k->name, (int)strlen(k->name));
		if (n < 0 || n > NET_HDR_MAX)
			continue;
		v = vg_xmalloc((size_t)n + 1);
		name = vg_xstrndup(k->name, strlen(k->name) - 1);
		if (lws_hdr_custom_copy(wsi, v, n + 1, k->name,
		    (int)strlen(k->name)) >= 0 && net_msg_hdr(m, name) == NULL)
			net_msg_add_hdr(m, name, v);
		free(name);
		free(v);
	}
	pthread_mutex_unlock(&g.kept_lock);
	peer[0] = '\0';
	lws_get_peer_simple(wsi, peer, sizeof(peer));
	/* an IPv4 peer on a dual-stack socket: show it plainly */
	m->peer = vg_xstrdup(strncmp(peer, "::ffff:", 7) == 0 &&
	    strchr(peer + 7, ':') == NULL ? peer + 7 : peer);
	return (0);
}

/* Answer WSI at once with STATUS and a JSON error (net thread's own
 * answers: 413, bad method). */
static void
net_http_self_answer(struct net_conn *nc, int status, const char *msg)
{
	struct net_msg *r;

	r = net_msg_new(NET_HTTP_RESP, nc->id);
	r->code = status;
	net_msg_add_hdr(r, "content-type", "application/json");
	r->data = vg_asprintf("{\"error\":\"%s\"}", msg);
	r->len = strlen(r->data);
	net_msg_free(nc->resp);
	nc->resp = r;
	nc->resp_off = 0;
	nc->resp_hdrs_sent = 0;
	lws_callback_on_writable(nc->wsi);
}

/* Hand NC's collected request to the core. */
static void
net_http_deliver(struct net_conn *nc)
{
	struct net_msg *m = nc->req;

	nc->req = NULL;
	if (m->data == NULL)
		m->data = vg_xstrdup("");
	m->data[m->len] = '\0';
	net_count(&g.st.http_requests, 1);
	nc->at_core = 1;
	/* the answer may come late (after an outbound request); meanwhile
	 * lws does not read, so look for a hang-up ourselves */
	lws_set_timeout(nc->wsi, NO_PENDING_TIMEOUT, 0);
	lws_set_timer_usecs(nc->wsi, NET_HANGUP_CHECK_US);
	if (net_to_core(m, 0) == -1) {
		nc->at_core = 0;
		net_http_self_answer(nc, 503, "overloaded");
	}
}

/* LWS_CALLBACK_TIMER: while the core holds NC's request, see whether the
 * client hung up. Returns -1 to close. */
static int
net_http_hangup_check(struct lws *wsi, struct net_conn *nc)
{
	char c;
	ssize_t n;

	if (nc == NULL || nc->kind != NET_KIND_HTTP || !nc->at_core ||
	    nc->resp != NULL)
		return (0);
	n = recv(lws_get_socket_fd(wsi), &c, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK &&
	    errno != EINTR))
		return (-1);	/* CLOSED_HTTP tells the core */
	lws_set_timer_usecs(wsi, NET_HANGUP_CHECK_US);
	return (0);
}

/* LWS_CALLBACK_HTTP: a request's headers are in. */
static int
net_http_begin(struct lws *wsi, struct net_conn *nc)
{
	struct net_msg *m;
	const char *cl;
	unsigned long long clen = 0;

	if (nc == NULL)
		nc = net_conn_new(wsi, NET_KIND_HTTP);
	net_conn_set_id(nc);
	net_msg_free(nc->req);
	net_msg_free(nc->resp);
	nc->resp = NULL;
	nc->body_oversize = 0;
	nc->req = m = net_msg_new(NET_HTTP_REQ, nc->id);
	if (net_collect(wsi, m) == -1) {
		net_http_self_answer(nc, 405, "method not allowed");
		return (0);
	}
	if ((cl = net_msg_hdr(m, "content-length")) != NULL)
		clen = strtoull(cl, NULL, 10);
	if (clen > g.max_body) {
		/* read and discard the body, then answer 413 */
		nc->body_oversize = 1;
		return (0);
	}
	if (clen > 0) {
		nc->body_cap = (size_t)clen + 1;
		m->data = vg_xmalloc(nc->body_cap);
		return (0);		/* the body follows */
	}
	if (net_msg_hdr(m, "transfer-encoding") != NULL) {
		nc->body_cap = 4096;
		m->data = vg_xmalloc(nc->body_cap);
		return (0);
	}
	net_http_deliver(nc);
	return (0);
}

/* LWS_CALLBACK_HTTP_BODY: LEN more bytes of the body. */
static int
net_http_body(struct net_conn *nc, const void *in, size_t len)
{
	struct net_msg *m;

	if (nc == NULL || (m = nc->req) == NULL || nc->body_oversize)
		return (0);
	if (m->len + len > g.max_body) {
		nc->body_oversize = 1;
		return (0);
	}
	if (m->len + len + 1 > nc->body_cap) {
		nc->body_cap = (m->len + len + 1) * 2;
		m->data = vg_xrealloc(m->data, nc->body_cap);
	}
	memcpy(m->data + m->len, in, len);
	m->len += len;
	return (0);
}

/* LWS_CALLBACK_HTTP_BODY_COMPLETION: the whole body is in. */
static int
net_http_body_done(struct net_conn *nc)
{
	if (nc == NULL || nc->req == NULL)
		return (0);
	if (nc->body_oversize) {
		net_msg_free(nc->req);
		nc->req = NULL;
		net_count(&g.st.http_requests, 1);
		net_count_oversize();
		net_http_self_answer(nc, 413, "request body too large");
		return (0);
	}
	net_http_deliver(nc);
	return (0);
}

/* Write NC's answer: headers first, then the body in chunks. Returns -1
 * to close the connection. */
static int
net_http_write(struct lws *wsi, struct net_conn *nc)
{
	struct net_msg *r;
	unsigned char *buf, *start, *p, *end;
	char name[128];
	size_t i, cap, n;
	int final;

	if (nc == NULL || (r = nc->resp) == NULL)
		return (0);
	if (!nc->resp_hdrs_sent) {
		cap = LWS_PRE + 512;
		for (i = 0; i < r->nhdrs; i++)
			cap += strlen(r->hdrs[i].name) +
			    strlen(r->hdrs[i].value) + 8;
		buf = vg_xmalloc(cap);
		start = p = buf + LWS_PRE;
		end = buf + cap - 1;
		if (lws_add_http_header_status(wsi, (unsigned)r->code, &p,
		    end))
			goto fail_buf;
		for (i = 0; i < r->nhdrs; i++) {
			snprintf(name, sizeof(name), "%s:", r->hdrs[i].name);
			if (lws_add_http_header_by_name(wsi,
			    (const unsigned char *)name,
			    (const unsigned char *)r->hdrs[i].value,
			    (int)strlen(r->hdrs[i].value), &p, end))
				goto fail_buf;
		}
		if (lws_add_http_header_content_length(wsi, r->len, &p, end))
			goto fail_buf;
		if (lws_finalize_write_http_header(wsi, start, &p, end))
			goto fail_buf;
		free(buf);
		nc->resp_hdrs_sent = 1;
		if (r->len > 0) {
			lws_callback_on_writable(wsi);
			return (0);
		}
	} else {
		n = r->len - nc->resp_off;
		if (n > NET_HTTP_CHUNK)
			n = NET_HTTP_CHUNK;
		final = (nc->resp_off + n == r->len);
		buf = vg_xmalloc(LWS_PRE + n);
		memcpy(buf + LWS_PRE, r->data + nc->resp_off, n);
		if (lws_write(wsi, buf + LWS_PRE, n, final ?
		    LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) != (int)n)
			goto fail_buf;
		free(buf);
		nc->resp_off += n;
		if (!final) {
			lws_callback_on_writable(wsi);
			return (0);
		}
	}
	net_msg_free(nc->resp);
	nc->resp = NULL;
	nc->at_core = 0;
	if (nc->id != 0) {
		net_idmap_del(&g.conns, nc->id);
		nc->id = 0;
	}
	if (lws_http_transaction_completed(wsi))
		return (-1);
	return (0);

fail_buf:
	free(buf);
	return (-1);
}

/* ---- net thread: WebSockets ---- */

/* LWS_CALLBACK_HTTP_CONFIRM_UPGRADE: refuse paths without an endpoint
 * (404 before upgrading); keep the request for the core. */
static int
net_ws_confirm(struct lws *wsi, struct net_conn *nc)
{
	struct net_msg *m;

	if (__atomic_load_n(&g.no_accept, __ATOMIC_RELAXED))
		return (-1);
	if (nc == NULL)
		nc = net_conn_new(wsi, NET_KIND_WS_SERVER);
	nc->kind = NET_KIND_WS_SERVER;
	if (nc->id != 0) {
		net_idmap_del(&g.conns, nc->id);
		nc->id = 0;
	}
	m = net_msg_new(NET_WS_OPEN, 0);
	if (net_collect(wsi, m) == -1 || !ws_endpoint_exists(m->path)) {
		net_msg_free(m);
		lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, NULL);
		return (1);
	}
	net_msg_free(nc->open);
	nc->open = m;
	return (0);
}

/* LWS_CALLBACK_ESTABLISHED / CLIENT_ESTABLISHED: tell the core. */
static int
net_ws_established(struct lws *wsi, struct net_conn *nc)
{
	struct net_msg *m;

	if (nc == NULL)
		return (-1);
	nc->established = 1;
	net_count(&g.st.ws_open, 1);
	if (nc->kind == NET_KIND_WS_SERVER) {
		if (nc->open == NULL)
			return (-1);
		net_conn_set_id(nc);
		m = nc->open;
		nc->open = NULL;
		m->id = nc->id;
		nc->at_core = 1;
		net_to_core(m, 1);
	} else {
		net_to_core(net_msg_new(NET_WS_CONNECTED, nc->id), 1);
	}
	if (nc->sq_head != NULL || nc->close_pending)
		lws_callback_on_writable(wsi);
	return (0);
}

/* Message M (taken) of NC is whole: count it and hand it to the core.
 * Returns 0. */
static int
net_ws_rx_done(struct net_conn *nc, struct net_msg *m)
{
	net_count(&g.st.ws_msgs_in, 1);
	if (net_to_core(m, 0) == -1) {
		vg_log(VG_LOG_WARN, "net: core queue full, closing %llu",
		    (unsigned long long)nc->id);
		net_conn_kill(nc, VG_WS_CLOSE_ERROR, "core overloaded");
	}
	return (0);
}

/* RECEIVE: LEN more bytes of a message; deliver it when whole. */
static int
net_ws_rx(struct lws *wsi, struct net_conn *nc, const void *in, size_t len)
{
	struct net_msg *m;

	if (nc == NULL || nc->dropping)
		return (0);
	if (lws_is_first_fragment(wsi)) {
		nc->rx_len = 0;
		nc->rx_binary = lws_frame_is_binary(wsi);
		if (len <= g.max_ws_message && lws_is_final_fragment(wsi)) {
			/* the whole message at once (the usual case): one
			 * allocation, one copy */
			m = net_msg_new_data(NET_WS_MSG, nc->id, 0, len);
			m->binary = nc->rx_binary;
			if (len > 0)
				memcpy(m->data, in, len);
			m->data[len] = '\0';
			return (net_ws_rx_done(nc, m));
		}
	}
	if (nc->rx_len + len > g.max_ws_message) {
		net_count_oversize();
		nc->close_code = VG_WS_CLOSE_TOO_BIG;
		free(nc->close_reason);
		nc->close_reason = vg_xstrdup("message too big");
		lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
		    (unsigned char *)nc->close_reason,
		    strlen(nc->close_reason));
		return (-1);
	}
	if (nc->rx_len + len + 1 > nc->rx_cap) {
		nc->rx_cap = (nc->rx_len + len + 1) * 2;
		if (nc->rx_cap > g.max_ws_message + 1)
			nc->rx_cap = g.max_ws_message + 1;
		nc->rx = vg_xrealloc(nc->rx, nc->rx_cap);
	}
	memcpy(nc->rx + nc->rx_len, in, len);
	nc->rx_len += len;
	if (!lws_is_final_fragment(wsi))
		return (0);
	m = net_msg_new_data(NET_WS_MSG, nc->id, 0, nc->rx_len);
	m->binary = nc->rx_binary;
	memcpy(m->data, nc->rx, nc->rx_len);
	m->data[m->len] = '\0';
	nc->rx_len = 0;
	if (nc->rx_cap > 65536) {
		free(nc->rx);
		nc->rx = NULL;
		nc->rx_cap = 0;
	}
	return (net_ws_rx_done(nc, m));
}

/* WRITEABLE: send queued messages while the pipe takes them, then the
 * close if one is pending. Returns -1 to close. */
static int
net_ws_write(struct lws *wsi, struct net_conn *nc)
{
	struct net_msg *m;
	int budget = 16;

	if (nc == NULL || nc->dropping)
		return (0);
	while ((m = nc->sq_head) != NULL && budget-- > 0) {
		if (lws_write(wsi, (unsigned char *)m->data + m->off, m->len,
		    m->binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT) <
		    (int)m->len)
			return (-1);
		nc->sq_head = m->next;
		if (nc->sq_head == NULL)
			nc->sq_tail = NULL;
		nc->sq_bytes -= m->len;
		net_msg_free(m);
		net_count(&g.st.ws_msgs_out, 1);
		if (lws_send_pipe_choked(wsi))
			break;
	}
	if (nc->sq_head != NULL) {
		lws_callback_on_writable(wsi);
		return (0);
	}
	if (nc->close_pending) {
		lws_close_reason(wsi, (enum lws_close_status)nc->close_code,
		    (unsigned char *)nc->close_reason,
		    strlen(nc->close_reason));
		return (-1);
	}
	return (0);
}

/* WS_PEER_INITIATED_CLOSE: remember the peer's code and reason. */
static void
net_ws_peer_close(struct net_conn *nc, const unsigned char *in, size_t len)
{
	size_t n;

	if (nc == NULL || len < 2)
		return;
	nc->peer_code = (in[0] << 8) | in[1];
	n = len - 2;
	if (n > NET_REASON_MAX)
		n = NET_REASON_MAX;
	free(nc->peer_reason);
	nc->peer_reason = vg_xstrndup((const char *)in + 2, n);
}

/* CLIENT_APPEND_HANDSHAKE_HEADER: add the module's extra headers. */
static int
net_ws_client_headers(struct net_conn *nc, void *in, size_t len)
{
	char **p = (char **)in, *end = *p + len;
	struct net_msg *c;
	size_t i;
	int n;

	if (nc == NULL || (c = nc->connect) == NULL)
		return (0);
	for (i = 0; i < c->nhdrs; i++) {
		n = snprintf(*p, (size_t)(end - *p), "%s: %s\r\n",
		    c->hdrs[i].name, c->hdrs[i].value);
		if (n < 0 || n >= end - *p) {
			vg_log(VG_LOG_WARN, "net: client headers too long");
			return (-1);
		}
		*p += n;
	}
	return (0);
}

/* CLIENT_CONNECTION_ERROR: the client never opened; IN says why. */
static void
net_ws_connect_error(struct lws *wsi, struct net_conn *nc, const void *in,
    size_t len)
{
	char *why;

	if (in == NULL)
		why = vg_xstrdup("connect failed");
	else if (len > 0)
		why = vg_xstrndup(in, len);
	else
		why = vg_xstrdup(in);
	net_conn_gone(wsi, nc, why);
	free(why);
}

/* Open the client connection C asks for. */
static void
net_ws_connect(struct net_msg *c)
{
	struct lws_client_connect_info ci;
	struct net_conn *nc;
	char host[300];
	int tls;

	nc = vg_xcalloc(1, sizeof(*nc));
	nc->kind = NET_KIND_WS_CLIENT;
	nc->id = c->id;
	nc->at_core = 1;
	nc->connect = c;
	net_idmap_put(&g.conns, nc->id, nc);
	tls = strcmp(c->method, "wss") == 0;
	if ((tls && c->port == 443) || (!tls && c->port == 80))
		snprintf(host, sizeof(host), "%s", c->peer);
	else
		snprintf(host, sizeof(host), "%s:%d", c->peer, c->port);
	memset(&ci, 0, sizeof(ci));
	ci.context = g.ctx;
	ci.vhost = g.vh;
	ci.address = c->peer;
	ci.port = c->port;
	ci.path = c->path;
	ci.host = host;
	ci.origin = host;
	ci.ssl_connection = tls ? LCCSCF_USE_SSL : 0;
	ci.alpn = "http/1.1";
	ci.local_protocol_name = net_protocols[0].name;
	ci.ietf_version_or_minus_one = -1;
	ci.opaque_user_data = nc;
	ci.pwsi = &nc->wsi;
	if (lws_client_connect_via_info(&ci) == NULL &&
	    net_idmap_get(&g.conns, c->id) == nc)
		net_conn_gone(NULL, nc, "connect failed");
}

/* ---- net thread: the core's messages ---- */

/* Act on one message from the core; M is taken. */
static void
net_handle(struct net_msg *m)
{
	struct net_conn *nc;

	if (m->type == NET_WS_CONNECT) {
		net_ws_connect(m);
		return;
	}
	nc = net_idmap_get(&g.conns, m->id);
	if (nc == NULL || nc->dropping) {
		net_msg_free(m);	/* stale id: dropped quietly */
		return;
	}
	switch (m->type) {
	case NET_HTTP_RESP:
		if (nc->kind != NET_KIND_HTTP || nc->resp != NULL)
			break;
		nc->resp = m;
		nc->resp_off = 0;
		nc->resp_hdrs_sent = 0;
		lws_callback_on_writable(nc->wsi);
		return;
	case NET_WS_SEND:
		if (nc->kind == NET_KIND_HTTP || nc->close_pending)
			break;
		if (nc->sq_bytes + m->len > g.max_send_queue) {
			net_count(&g.st.ws_dropped_slow, 1);
			vg_log(VG_LOG_WARN, "net: connection %llu reads too "
			    "slowly (%zu bytes queued): dropped",
			    (unsigned long long)nc->id, nc->sq_bytes);
			net_conn_kill(nc, VG_WS_CLOSE_POLICY, "slow reader");
			break;
		}
		m->next = NULL;
		nc->sq_bytes += m->len;
		if (nc->sq_tail != NULL) {
			/* a WRITEABLE callback is already asked for (see
			 * net_ws_established() and net_ws_write()) */
			nc->sq_tail->next = m;
			nc->sq_tail = m;
			return;
		}
		nc->sq_head = nc->sq_tail = m;
		if (nc->established)
			lws_callback_on_writable(nc->wsi);
		return;
	case NET_WS_CLOSE:
		if (nc->kind == NET_KIND_HTTP || nc->close_pending)
			break;
		nc->close_pending = 1;
		nc->close_code = m->code;
		free(nc->close_reason);
		nc->close_reason = m->reason != NULL ? m->reason :
		    vg_xstrdup("");
		m->reason = NULL;
		if (strlen(nc->close_reason) > NET_REASON_MAX)
			nc->close_reason[NET_REASON_MAX] = '\0';
		if (nc->established)
			lws_callback_on_writable(nc->wsi);
		else if (nc->wsi != NULL)
			lws_set_timeout(nc->wsi, PENDING_TIMEOUT_USER_OK,
			    LWS_TO_KILL_ASYNC);
		break;
	default:
		break;
	}
	net_msg_free(m);
}

/* The core woke us: act on everything it queued, until the queue stays
 * empty once armed (then the core wakes us for the next); after a few
 * rounds, let the loop run and come back. */
static void
net_drain(void)
{
	struct net_msg *m, *next;
	int round;

	for (round = 0; round < 8; round++) {
		for (m = net_queue_take(&g.to_net); m != NULL; m = next) {
			next = m->next;
			m->next = NULL;
			net_handle(m);
		}
		if (net_queue_arm(&g.to_net) == 0)
			return;
	}
	lws_cancel_service(g.ctx);
}

/* The one protocol callback: HTTP, WebSocket server and client. */
static int
net_lws_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct net_conn *nc = NULL;

	if (wsi != NULL)
		nc = lws_get_opaque_user_data(wsi);
	switch (reason) {
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		net_drain();
		if (g.libev && !g.destroying &&
		    __atomic_load_n(&g.stop, __ATOMIC_ACQUIRE)) {
			/* an event lib's loop only returns when the context
			 * starts being destroyed; net_main() finishes it */
			g.destroying = 1;
			net_flush_to_core();
			pthread_mutex_lock(&g.stop_lock);
			pthread_mutex_unlock(&g.stop_lock);
			lws_context_destroy(g.ctx);
		}
		return (0);
	case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
		return (__atomic_load_n(&g.no_accept, __ATOMIC_RELAXED));
	case LWS_CALLBACK_HTTP:
		return (net_http_begin(wsi, nc));
	case LWS_CALLBACK_HTTP_BODY:
		return (net_http_body(nc, in, len));
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		return (net_http_body_done(nc));
	case LWS_CALLBACK_HTTP_WRITEABLE:
		return (net_http_write(wsi, nc));
	case LWS_CALLBACK_TIMER:
		return (net_http_hangup_check(wsi, nc));
	case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
		return (net_ws_confirm(wsi, nc));
	case LWS_CALLBACK_ESTABLISHED:
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		return (net_ws_established(wsi, nc));
	case LWS_CALLBACK_RECEIVE:
	case LWS_CALLBACK_CLIENT_RECEIVE:
		return (net_ws_rx(wsi, nc, in, len));
	case LWS_CALLBACK_SERVER_WRITEABLE:
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		return (net_ws_write(wsi, nc));
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		net_ws_peer_close(nc, in, len);
		return (0);
	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
		return (net_ws_client_headers(nc, in, len));
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		if (nc != NULL)
			net_ws_connect_error(wsi, nc, in, len);
		return (0);
	case LWS_CALLBACK_CLOSED:
	case LWS_CALLBACK_CLIENT_CLOSED:
	case LWS_CALLBACK_CLOSED_HTTP:
	case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
	case LWS_CALLBACK_WSI_DESTROY:
		if (nc != NULL)
			net_conn_gone(wsi, nc, "connection lost");
		return (0);
	default:
		break;
	}
	return (lws_callback_http_dummy(wsi, reason, user, in, len));
}

/* ---- the thread ---- */

/* lws's own log lines, into ours. */
static void
net_lws_log(int level, const char *line)
{
	size_t n = strlen(line);

	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	vg_log(level == LLL_ERR ? VG_LOG_WARN : VG_LOG_INFO, "lws: %.*s",
	    (int)n, line);
}

/* The net thread: serve until asked to stop, then close everything. */
static void *
net_main(void *arg)
{
	net_pool_use(&g.pool_net);
	while (!__atomic_load_n(&g.stop, __ATOMIC_ACQUIRE)) {
		if (lws_service(g.ctx, 0) < 0)
			break;
		net_flush_to_core();
	}
	/* destroying the context closes every connection (callbacks here,
	 * handed over at once) */
	g.destroying = 1;
	net_flush_to_core();
	pthread_mutex_lock(&g.stop_lock);
	pthread_mutex_unlock(&g.stop_lock);
	lws_context_destroy(g.ctx);
	net_flush_to_core();
	net_idmap_free(&g.conns);
	net_pool_use(NULL);
	return (NULL);
}

/* Make the context and vhost listening per S, with the libev plugin when
 * LIBEV. Returns the context or NULL. */
static struct lws_context *
net_context(const struct vg_settings *s, int libev)
{
	struct lws_context_creation_info info;
	struct lws_context *ctx;
	struct sigaction old_int;

	memset(&info, 0, sizeof(info));
	info.port = s->listen_port;
	if (s->listen_addr[0] != '\0' && strcmp(s->listen_addr, "*") != 0 &&
	    strcmp(s->listen_addr, "0.0.0.0") != 0)
		info.iface = s->listen_addr;
	info.protocols = net_protocols;
	info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	if (libev)
		info.options |= LWS_SERVER_OPTION_LIBEV;
	info.timeout_secs = 30;
	info.connect_timeout_secs = 10;
	info.ka_time = 0;
	info.max_http_header_data = 8192;
	info.pt_serv_buf_size = 32768;
	/* libev would take SIGINT from the daemon: keep the daemon's */
	sigaction(SIGINT, NULL, &old_int);
	ctx = lws_create_context(&info);
	sigaction(SIGINT, &old_int, NULL);
	return (ctx);
}

/* Check that S's address and port can be bound, so that a busy port is
 * reported plainly (and lws's failure path, which leaks, is not taken).
 * Returns 0 or -1 (logged). Addresses that are not numeric are left to
 * lws. */
static int
net_check_listen(const struct vg_settings *s)
{
	struct addrinfo hints, *ai;
	char port[16];
	int fd, one = 1, rc = 0;

	if (s->listen_port == 0)
		return (0);
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%d", s->listen_port);
	if (getaddrinfo(s->listen_addr[0] != '\0' ? s->listen_addr : NULL,
	    port, &hints, &ai) != 0)
		return (0);
	if ((fd = socket(ai->ai_family, SOCK_STREAM, 0)) != -1) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
			vg_log(VG_LOG_ERROR, "net: cannot listen on %s:%d: %s",
			    s->listen_addr, s->listen_port, strerror(errno));
			rc = -1;
		}
		close(fd);
	}
	freeaddrinfo(ai);
	return (rc);
}

/* Start listening and the net thread. */
int
vg_net_start(const struct vg_settings *s)
{
	int libev, err;

	if (g.running) {
		vg_log(VG_LOG_ERROR, "net: already started");
		return (-1);
	}
	lws_set_log_level(LLL_ERR, net_lws_log);
	g.max_body = s->max_body > 0 ? s->max_body : 1024 * 1024;
	g.max_ws_message = s->max_ws_message > 0 ? s->max_ws_message :
	    1024 * 1024;
	g.max_send_queue = s->max_send_queue > 0 ? s->max_send_queue :
	    4 * 1024 * 1024;
	__atomic_store_n(&g.stop, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&g.no_accept, 0, __ATOMIC_RELAXED);
	memset(&g.st, 0, sizeof(g.st));
	net_queue_init(&g.to_core, NET_TO_CORE_MAX);
	net_queue_init(&g.to_net, NET_TO_NET_MAX);
	net_idmap_init(&g.conns);
	g.core_pend = g.core_pend_tail = g.net_pend = g.net_pend_tail = NULL;
	g.core_pend_n = g.net_pend_n = 0;
	g.core_flushing = g.net_flushing = 0;
	memset(&g.net_sul, 0, sizeof(g.net_sul));
	if ((g.wake = event_new(vg_core_base(), -1, 0, net_core_wake,
	    NULL)) == NULL ||
	    (g.flush = event_new(vg_core_base(), -1, 0, net_core_flush,
	    NULL)) == NULL) {
		vg_log(VG_LOG_ERROR, "net: event_new failed");
		goto fail_wake;
	}
	if (net_check_listen(s) == -1)
		goto fail_wake;
	libev = strcmp(s->net_backend, "libev") == 0;
	g.ctx = net_context(s, libev);
	if (g.ctx == NULL && libev) {
		libev = 0;
		if ((g.ctx = net_context(s, 0)) != NULL)
			vg_log(VG_LOG_WARN, "net: the libev backend could not "
			    "start (is libwebsockets-evlib-ev installed?): "
			    "using poll");
	}
	g.libev = libev;
	g.destroying = 0;
	if (g.ctx == NULL) {
		vg_log(VG_LOG_ERROR, "net: cannot listen on %s:%d",
		    s->listen_addr, s->listen_port);
		goto fail_wake;
	}
	g.vh = lws_get_vhost_by_name(g.ctx, "default");
	g.port = g.vh != NULL ? lws_get_vhost_listen_port(g.vh) : -1;
	if (g.port <= 0) {
		vg_log(VG_LOG_ERROR, "net: cannot listen on %s:%d",
		    s->listen_addr, s->listen_port);
		goto fail_ctx;
	}
	if ((err = pthread_create(&g.thread, NULL, net_main, NULL)) != 0) {
		vg_log(VG_LOG_ERROR, "net: pthread_create: %s",
		    strerror(err));
		goto fail_ctx;
	}
	g.running = 1;
	net_pool_use(&g.pool_core);
	vg_log(VG_LOG_NOTICE, "net: listening on %s:%d (%s)",
	    s->listen_addr, g.port, libev ? "libev" : "poll");
	return (0);

fail_ctx:
	lws_context_destroy(g.ctx);
	g.ctx = NULL;
fail_wake:
	if (g.flush != NULL)
		event_free(g.flush);
	if (g.wake != NULL)
		event_free(g.wake);
	g.flush = g.wake = NULL;
	net_idmap_free(&g.conns);
	net_queue_destroy(&g.to_net);
	net_queue_destroy(&g.to_core);
	return (-1);
}

/* The port bound. */
int
vg_net_port(void)
{
	return (g.port);
}

/* Refuse new connections from now on. */
void
vg_net_stop_accepting(void)
{
	__atomic_store_n(&g.no_accept, 1, __ATOMIC_RELAXED);
}

/* Close everything, join the thread, deliver the last closes, free. */
void
vg_net_stop(void)
{
	if (!g.running)
		return;
	net_flush_to_net();		/* what the core said last goes out */
	g.running = 0;
	pthread_mutex_lock(&g.stop_lock);
	__atomic_store_n(&g.stop, 1, __ATOMIC_RELEASE);
	lws_cancel_service(g.ctx);
	pthread_mutex_unlock(&g.stop_lock);
	pthread_join(g.thread, NULL);
	g.ctx = NULL;
	g.vh = NULL;
	net_core_drain();		/* on_close for every connection */
	http_free();
	ws_free();
	net_msg_free_list(g.core_pend);	/* said during the last closes */
	g.core_pend = g.core_pend_tail = NULL;
	g.core_pend_n = 0;
	g.core_flushing = 0;
	event_free(g.flush);
	event_free(g.wake);
	g.flush = g.wake = NULL;
	net_queue_destroy(&g.to_net);
	net_queue_destroy(&g.to_core);
	net_pool_use(NULL);
	net_pool_drain(&g.pool_core);
	net_pool_drain(&g.pool_net);
	g.port = 0;
}

/* Release MOD's routes, endpoints, connections and kept headers. The
 * headers are a declaration for the module's lifetime, not counted. */
unsigned
vg_net_release_owner(struct vg_module *mod)
{
	net_unkeep_headers(mod);
	return (http_release_owner(mod) + ws_release_owner(mod));
}

/* A snapshot of the counters. */
void
vg_net_stats(struct vg_net_stats *st)
{
	st->http_requests = __atomic_load_n(&g.st.http_requests,
	    __ATOMIC_RELAXED);
	st->ws_open = __atomic_load_n(&g.st.ws_open, __ATOMIC_RELAXED);
	st->ws_msgs_in = __atomic_load_n(&g.st.ws_msgs_in, __ATOMIC_RELAXED);
	st->ws_msgs_out = __atomic_load_n(&g.st.ws_msgs_out,
	    __ATOMIC_RELAXED);
	st->ws_dropped_slow = __atomic_load_n(&g.st.ws_dropped_slow,
	    __ATOMIC_RELAXED);
	st->oversize = __atomic_load_n(&g.st.oversize, __ATOMIC_RELAXED);
	if (g.running) {
		st->to_core_high_water = net_queue_high_water(&g.to_core);
		st->to_net_high_water = net_queue_high_water(&g.to_net);
	} else {
		st->to_core_high_water = 0;
		st->to_net_high_water = 0;
	}
}
