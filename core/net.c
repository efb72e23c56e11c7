/*
 * The network layer: one listener serving HTTP/1.1 and WebSocket upgrades
 * on one port, and the WebSocket client connections modules open (ws://
 * and wss://), all on the core thread's libevent loop.
 *
 * Why not libwebsockets on a thread of its own, as voicegate first did:
 * every audio frame then crossed between two threads twice (a wake-up and,
 * on a busy core, a context switch each way), and lws 4.1 spent ~28,000
 * instructions receiving one frame on a client socket and two epoll_ctl
 * calls sending one. A call relays 100 to 200 small messages a second, so
 * that overhead was most of the daemon's CPU (doc/performance.md). Here a
 * message costs one read, in-place parsing and unmasking, the module's
 * callback, and one write: bytes are written the moment they are sent and
 * only what the socket does not take waits for EV_WRITE.
 *
 * The protocol parsing lives in httpparse.c and wsproto.c (pure, fuzzed);
 * this file does the I/O and the connection states. Modules never see it:
 * http.c and ws.c hold what they see, and name connections by id.
 *
 * A connection is freed only by the reaper, never inside a callback that
 * may still use it: net_drop() closes the socket and queues it; the reaper
 * (an event made active, so it runs after the current callback) tells the
 * core side and frees it. Module callbacks therefore never see a close
 * arrive in the middle of their own call.
 */
#include "config.h"

#include <sys/random.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <voicegate/voicegate.h>

#include "core.h"
#include "httpparse.h"
#include "net.h"
#include "wsproto.h"

#define NET_HEAD_MAX		16384	/* a request or handshake head */
#define NET_READ_MIN		16384	/* room asked for before a read */
#define NET_RBUF		65536	/* the shared read buffer */
#define NET_SEGS		8	/* staged pieces per connection */
#define NET_IDLE_SECS		30	/* HTTP: a request not whole this long
					 * after the last answer (or the accept)
					 * is dropped: slow senders hold nothing */
#define NET_CONNECT_SECS	10	/* client: resolve .. handshake */
#define NET_CLOSE_SECS		2	/* wait for the peer's close */
#define NET_LINGER_SECS		2	/* read and drop after an error */
#define NET_BACKLOG		1024
#define NET_REASON_MAX		123	/* a close reason's bytes */

/* What a connection is. */
enum net_kind {
	NET_KIND_HTTP,		/* accepted; may become a WebSocket */
	NET_KIND_WS_SERVER,	/* upgraded on our listener */
	NET_KIND_WS_CLIENT,	/* opened by vg_ws_connect() */
};

/* Where a connection is. */
enum net_state {
	NS_RESOLVING,		/* client: looking up the host */
	NS_CONNECTING,		/* client: TCP connect in progress */
	NS_TLS,			/* client: TLS handshake */
	NS_HANDSHAKE,		/* client: upgrade sent, awaiting 101 */
	NS_HEAD,		/* HTTP: reading a request head */
	NS_BODY,		/* HTTP: reading its body */
	NS_AT_CORE,		/* HTTP: the core holds the request */
	NS_SKIP,		/* HTTP: dropping a refused body */
	NS_LINGER,		/* HTTP: answered an error, dropping input */
	NS_OPEN,		/* WebSocket: open */
	NS_CLOSING,		/* WebSocket: our close sent */
	NS_DEAD,		/* waiting for the reaper */
};

struct net_conn {
	uint64_t		 id;		/* current id (0: none) */
	int			 fd;
	enum net_kind		 kind;
	enum net_state		 state;
	struct event		*rev;		/* EV_READ, persistent */
	struct event		*wev;		/* EV_WRITE, while out waits */
	struct event		*tev;		/* the state's timeout */
	SSL			*ssl;
	unsigned		 busy;		/* calls in progress */
	unsigned		 wev_on:1;
	unsigned		 at_core:1;	/* the core knows this id */
	unsigned		 counted:1;	/* in the ws_open gauge */
	unsigned		 keep_alive:1;	/* HTTP: after this answer */
	unsigned		 close_after:1;	/* when out is written */
	unsigned		 close_sent:1;	/* WebSocket close frame */
	unsigned		 tls_read_wants_write:1;
	unsigned		 head_only:1;	/* HTTP: a HEAD request */
	unsigned		 chunked:1;	/* HTTP: the body is chunked */
	unsigned		 continue_sent:1;
	unsigned		 in_frag:1;	/* WebSocket: a message is split */
	unsigned		 read_paused:1;	/* rev off until an answer */
	unsigned		 in_shared:1;	/* in is g.rbuf, for this read */
	unsigned		 dirty:1;	/* on g.dirty: staged bytes */
	/* bytes sent during this loop pass, in g.stage (see net_stage()) */
	uint32_t		 seg_off[NET_SEGS];
	uint32_t		 seg_len[NET_SEGS];
	unsigned		 nseg;
	size_t			 staged;
	struct net_conn		*dirty_next;
	void			*upper;		/* ws.c's connection object */
	/* input: bytes [in_off, in_len) are unread; in_cap > in_len */
	char			*in;
	size_t			 in_off;
	size_t			 in_len;
	size_t			 in_cap;
	/* output not taken by the socket yet: [out_off, out_len) */
	char			*out;
	size_t			 out_off;
	size_t			 out_len;
	size_t			 out_cap;
	/* HTTP: the request being read */
	struct net_msg		*req;
	uint64_t		 body_need;
	struct hp_chunked	 chunk;
	/* WebSocket: a fragmented message being joined */
	char			*msg;
	size_t			 msg_len;
	size_t			 msg_cap;
	int			 msg_binary;
	/* how it ended, for the core: ours, or the peer's */
	int			 code;
	char			*reason;
	/* client */
	struct net_msg		*connect;	/* scheme, host, port, path */
	char			*early;		/* frames sent before the 101 */
	size_t			 early_len;
	struct addrinfo		*ai;		/* addresses to try */
	struct addrinfo		*ai_next;
	char			 accept[29];	/* expected in the 101 */
	struct net_conn		*reap_next;
	struct net_conn		*prev;		/* every connection */
	struct net_conn		*next;
};

static struct {
	struct evconnlistener	*lis;
	struct event		*relisten;	/* after EMFILE */
	struct event		*reap_ev;
	struct net_conn		*reap;		/* dead, to free */
	struct net_conn		*all;		/* every connection */
	int			 running;
	int			 accepting;
	int			 stopping;
	int			 port;
	size_t			 max_body;
	size_t			 max_ws_message;
	size_t			 max_send_queue;
	uint64_t		 next_id;
	uint64_t		 rng;		/* client masks */
	struct vg_net_stats	 st;
	struct net_idmap	 conns;		/* id -> conn */
	SSL_CTX			*tls;		/* clients' (made when needed) */
	char			*rbuf;		/* reads land here (see net_in_room) */
	char			*stage;		/* this pass's sends (net_stage()) */
	size_t			 stage_len;
	size_t			 stage_cap;
	struct net_conn		*dirty;		/* connections with staged bytes */
	struct event		*flush_ev;	/* writes them, end of the pass */
	char			*scratch;	/* a masked frame being built */
	size_t			 scratch_cap;
} g;

static void	net_process(struct net_conn *nc);
static void	net_unstage(struct net_conn *nc);
static void	net_flush(struct net_conn *nc);
static void	net_client_next(struct net_conn *nc);
static void	net_client_handshake(struct net_conn *nc);

/* ---- ids, counters, limits ---- */

/* A fresh id: never 0, never reused. */
uint64_t
net_new_id(void)
{
	return (++g.next_id);
}

/* Count one 413 or 1009. */
void
net_count_oversize(void)
{
	g.st.oversize++;
}

/* True while the listener runs. */
int
net_running(void)
{
	return (g.running);
}

/* Every header is kept: only check that NAME is one. */
int
net_keep_header(struct vg_module *mod, const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 64 || strpbrk(name, ": \t\r\n") != NULL) {
		vg_log(VG_LOG_ERROR, "keep_header: bad header name \"%s\"",
		    name);
		return (-1);
	}
	return (0);
}

/* Give NC a new id (dropping its old one). */
static void
net_set_id(struct net_conn *nc)
{
	if (nc->id != 0)
		net_idmap_del(&g.conns, nc->id);
	nc->id = net_new_id();
	net_idmap_put(&g.conns, nc->id, nc);
}

/* A new connection record, on the list of all. */
static struct net_conn *
net_conn_new(int fd, enum net_kind kind, enum net_state state)
{
	struct net_conn *nc;

	nc = vg_xcalloc(1, sizeof(*nc));
	nc->fd = fd;
	nc->kind = kind;
	nc->state = state;
	nc->next = g.all;
	if (g.all != NULL)
		g.all->prev = nc;
	g.all = nc;
	return (nc);
}

/* ---- timers ---- */

static void	net_on_timeout(evutil_socket_t fd, short what, void *arg);

/* Run NC's state timeout in SECS seconds (0: none). */
static void
net_timeout(struct net_conn *nc, int secs)
{
	struct timeval tv = { secs, 0 };

	if (secs == 0) {
		if (nc->tev != NULL)
			evtimer_del(nc->tev);
		return;
	}
	if (nc->tev == NULL)
		nc->tev = evtimer_new(vg_core_base(), net_on_timeout, nc);
	evtimer_add(nc->tev, &tv);
}

/* ---- ending connections ---- */

/* The reaper: tell the core about every dead connection, then free it. */
static void
net_reap(evutil_socket_t fd, short what, void *arg)
{
	struct net_conn *nc, *keep = NULL, *next;
	struct net_msg *m;

	nc = g.reap;
	g.reap = NULL;
	for (; nc != NULL; nc = next) {
		next = nc->reap_next;
		if (nc->busy > 0) {
			/* still on a caller's stack: next round */
			nc->reap_next = keep;
			keep = nc;
			continue;
		}
		if (nc->id != 0)
			net_idmap_del(&g.conns, nc->id);
		if (nc->prev != NULL)
			nc->prev->next = nc->next;
		else
			g.all = nc->next;
		if (nc->next != NULL)
			nc->next->prev = nc->prev;
		if (nc->at_core && nc->kind == NET_KIND_HTTP) {
			http_dispatch(net_msg_new(NET_HTTP_GONE, nc->id));
		} else if (nc->at_core) {
			m = net_msg_new(NET_WS_CLOSED, nc->id);
			m->code = nc->code != 0 ? nc->code :
			    VG_WS_CLOSE_ABNORMAL;
			m->reason = nc->reason;
			nc->reason = NULL;
			if (m->reason == NULL)
				m->reason = vg_xstrdup("");
			ws_dispatch(m);
		}
		if (nc->counted)
			g.st.ws_open--;
		net_msg_free(nc->req);
		net_msg_free(nc->connect);
		if (nc->ai != NULL)
			freeaddrinfo(nc->ai);
		free(nc->in);
		free(nc->out);
		free(nc->msg);
		free(nc->early);
		free(nc->reason);
		free(nc);
	}
	if (keep != NULL) {
		for (nc = keep; nc->reap_next != NULL; nc = nc->reap_next)
			;
		nc->reap_next = g.reap;
		g.reap = keep;
		event_active(g.reap_ev, EV_TIMEOUT, 0);
	}
}

/* Close NC's socket and events now; the reaper tells the core (CODE and
 * REASON, unless an earlier end already set them) and frees it. */
static void
net_drop(struct net_conn *nc, int code, const char *reason)
{
	if (nc->state == NS_DEAD)
		return;
	nc->state = NS_DEAD;
	net_unstage(nc);
	if (nc->code == 0) {
		nc->code = code;
		free(nc->reason);
		nc->reason = vg_xstrdup(reason != NULL ? reason : "");
	}
	if (nc->rev != NULL)
		event_free(nc->rev);
	if (nc->wev != NULL)
		event_free(nc->wev);
	if (nc->tev != NULL)
		event_free(nc->tev);
	nc->rev = nc->wev = nc->tev = NULL;
	if (nc->ssl != NULL) {
		SSL_free(nc->ssl);
		nc->ssl = NULL;
	}
	if (nc->fd != -1) {
		close(nc->fd);
		nc->fd = -1;
	}
	nc->reap_next = g.reap;
	g.reap = nc;
	if (g.reap_ev != NULL)
		event_active(g.reap_ev, EV_TIMEOUT, 0);
}

/* ---- bytes out ---- */

/* Append N bytes at P to NC's output buffer. */
static void
net_out_append(struct net_conn *nc, const void *p, size_t n)
{
	size_t cap;

	if (n == 0)
		return;
	if (nc->out_off > 0 && nc->out_off == nc->out_len)
		nc->out_off = nc->out_len = 0;
	if (nc->out_len + n > nc->out_cap) {
		if (nc->out_off > 0) {
			memmove(nc->out, nc->out + nc->out_off,
			    nc->out_len - nc->out_off);
			nc->out_len -= nc->out_off;
			nc->out_off = 0;
		}
		if (nc->out_len + n > nc->out_cap) {
			cap = nc->out_cap * 2;
			if (cap < nc->out_len + n)
				cap = nc->out_len + n;
			if (cap < 1024)
				cap = 1024;
			nc->out = vg_xrealloc(nc->out, cap);
			nc->out_cap = cap;
		}
	}
	memcpy(nc->out + nc->out_len, p, n);
	nc->out_len += n;
}

/* Bytes waiting in NC's output buffer. */
static size_t
net_out_pending(const struct net_conn *nc)
{
	return (nc->out_len - nc->out_off);
}

/* Ask for EV_WRITE on NC (on), or stop asking (off). */
static void
net_want_write(struct net_conn *nc, int on)
{
	if (nc->wev == NULL || nc->wev_on == (unsigned)on)
		return;
	nc->wev_on = on;
	if (on)
		event_add(nc->wev, NULL);
	else
		event_del(nc->wev);
}

/* Everything was written: what NC's state does next. */
static void
net_written(struct net_conn *nc)
{
	free(nc->out);
	nc->out = NULL;
	nc->out_off = nc->out_len = nc->out_cap = 0;
	net_want_write(nc, 0);
	if (!nc->close_after)
		return;
	nc->close_after = 0;
	if (nc->state == NS_LINGER) {
		/* the peer may still be sending: read and drop it for a while,
		 * so that our answer is not lost to a reset */
		shutdown(nc->fd, SHUT_WR);
		net_timeout(nc, NET_LINGER_SECS);
	} else
		net_drop(nc, 0, NULL);
}

/* The socket failed while writing (ERR: an errno value). */
static void
net_write_failed(struct net_conn *nc, int err)
{
	nc->close_after = 0;
	net_drop(nc, VG_WS_CLOSE_ABNORMAL, err == EPIPE || err == ECONNRESET ?
	    "connection lost" : strerror(err));
}

/* Write what NC's output buffer holds, as much as the socket takes. */
static void
net_flush(struct net_conn *nc)
{
	ssize_t w;
	int e;

	while (nc->state != NS_DEAD && net_out_pending(nc) > 0) {
		if (nc->ssl != NULL) {
			ERR_clear_error();
			w = SSL_write(nc->ssl, nc->out + nc->out_off,
			    (int)net_out_pending(nc));
			if (w <= 0) {
				e = SSL_get_error(nc->ssl, (int)w);
				if (e == SSL_ERROR_WANT_WRITE) {
					net_want_write(nc, 1);
					return;
				}
				if (e == SSL_ERROR_WANT_READ)
					return;	/* the next read resumes it */
				net_write_failed(nc, e == SSL_ERROR_SYSCALL &&
				    errno != 0 ? errno : EPIPE);
				return;
			}
		} else {
			w = send(nc->fd, nc->out + nc->out_off,
			    net_out_pending(nc), MSG_NOSIGNAL);
			if (w == -1) {
				if (errno == EINTR)
					continue;
				if (errno == EAGAIN || errno == EWOULDBLOCK) {
					net_want_write(nc, 1);
					return;
				}
				net_write_failed(nc, errno);
				return;
			}
		}
		nc->out_off += (size_t)w;
	}
	if (nc->state != NS_DEAD && net_out_pending(nc) == 0)
		net_written(nc);
}

/* Bytes NC has been given and the socket has not taken yet. */
static size_t
net_unsent(const struct net_conn *nc)
{
	return (net_out_pending(nc) + nc->staged);
}

/* Write NC's staged bytes with one sendmsg(); what the socket does not
 * take moves to NC's output buffer and waits for EV_WRITE. */
static void
net_stage_write(struct net_conn *nc)
{
	struct iovec iov[NET_SEGS];
	struct msghdr mh;
	size_t i, k, total = nc->staged;
	ssize_t w;

	for (i = 0; i < nc->nseg; i++) {
		iov[i].iov_base = g.stage + nc->seg_off[i];
		iov[i].iov_len = nc->seg_len[i];
	}
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = iov;
	mh.msg_iovlen = nc->nseg;
	nc->nseg = 0;
	nc->staged = 0;
	do
		w = sendmsg(nc->fd, &mh, MSG_NOSIGNAL);
	while (w == -1 && errno == EINTR);
	if (w == -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			net_write_failed(nc, errno);
			return;
		}
		w = 0;
	}
	if ((size_t)w == total) {
		if (nc->close_after)
			net_written(nc);
		return;
	}
	for (k = 0; k < mh.msg_iovlen; k++) {
		if ((size_t)w >= iov[k].iov_len) {
			w -= (ssize_t)iov[k].iov_len;
			continue;
		}
		net_out_append(nc, (char *)iov[k].iov_base + w,
		    iov[k].iov_len - (size_t)w);
		w = 0;
	}
	net_want_write(nc, 1);
}

/* Take NC off the list of connections with staged bytes (dropped). */
static void
net_unstage(struct net_conn *nc)
{
	struct net_conn **pp;

	if (!nc->dirty)
		return;
	for (pp = &g.dirty; *pp != NULL; pp = &(*pp)->dirty_next)
		if (*pp == nc) {
			*pp = nc->dirty_next;
			break;
		}
	nc->dirty = 0;
	nc->nseg = 0;
	nc->staged = 0;
}

/* Write every connection's staged bytes (the end of a read callback, or
 * of the loop pass). */
static void
net_flush_staged(evutil_socket_t fd, short what, void *arg)
{
	struct net_conn *nc;

	while ((nc = g.dirty) != NULL) {
		g.dirty = nc->dirty_next;
		nc->dirty = 0;
		nc->busy++;
		if (nc->state != NS_DEAD && nc->nseg > 0)
			net_stage_write(nc);
		nc->busy--;
	}
	g.stage_len = 0;
	if (g.stage_cap > 4 * NET_RBUF) {
		free(g.stage);
		g.stage = NULL;
		g.stage_cap = 0;
	}
}

/*
 * Stage N1 bytes at P1 then N2 at P2 for NC: they are written when the
 * read callback that set them off ends (net_on_read()), or else at the end
 * of this loop pass, with whatever else NC is sent meanwhile, in one
 * sendmsg(). A media message and the mark that follows it, or the
 * answers to several events handled at once, then cost one system call
 * instead of several (the kernel's share of a relayed message is most of
 * its cost).
 */
static void
net_stage(struct net_conn *nc, const void *p1, size_t n1, const void *p2,
    size_t n2)
{
	size_t cap, n = n1 + n2;

	if (nc->nseg == NET_SEGS)
		net_stage_write(nc);	/* full: out with it now */
	if (nc->state == NS_DEAD)
		return;
	if (net_out_pending(nc) > 0) {
		/* the socket is full: join what waits */
		net_out_append(nc, p1, n1);
		net_out_append(nc, p2, n2);
		return;
	}
	if (g.stage_len + n > g.stage_cap) {
		cap = g.stage_cap * 2;
		if (cap < g.stage_len + n)
			cap = g.stage_len + n;
		if (cap < NET_RBUF)
			cap = NET_RBUF;
		g.stage = vg_xrealloc(g.stage, cap);
		g.stage_cap = cap;
	}
	memcpy(g.stage + g.stage_len, p1, n1);
	if (n2 > 0)
		memcpy(g.stage + g.stage_len + n1, p2, n2);
	if (nc->nseg > 0 && nc->seg_off[nc->nseg - 1] +
	    nc->seg_len[nc->nseg - 1] == g.stage_len)
		nc->seg_len[nc->nseg - 1] += (uint32_t)n;
	else {
		nc->seg_off[nc->nseg] = (uint32_t)g.stage_len;
		nc->seg_len[nc->nseg] = (uint32_t)n;
		nc->nseg++;
	}
	g.stage_len += n;
	nc->staged += n;
	if (!nc->dirty) {
		nc->dirty = 1;
		nc->dirty_next = g.dirty;
		if (g.dirty == NULL)
			event_active(g.flush_ev, EV_TIMEOUT, 0);
		g.dirty = nc;
	}
}

/*
 * Send N1 bytes at P1 then N2 at P2 on NC: staged for the end of the loop
 * pass (plain sockets), or queued behind what waits (TLS, a full socket).
 * Returns 0, or -1 when NC has failed.
 */
static int
net_send2(struct net_conn *nc, const void *p1, size_t n1, const void *p2,
    size_t n2)
{
	if (nc->state == NS_DEAD || nc->fd == -1)
		return (-1);
	if (nc->ssl == NULL && nc->state != NS_CONNECTING &&
	    net_out_pending(nc) == 0) {
		net_stage(nc, p1, n1, p2, n2);
		return (nc->state == NS_DEAD ? -1 : 0);
	}
	net_out_append(nc, p1, n1);
	net_out_append(nc, p2, n2);
	if (nc->state != NS_CONNECTING && !nc->wev_on)
		net_flush(nc);
	return (nc->state == NS_DEAD ? -1 : 0);
}

/* Send N bytes at P on NC. */
static int
net_send(struct net_conn *nc, const void *p, size_t n)
{
	return (net_send2(nc, p, n, NULL, 0));
}

/* ---- bytes in ---- */

/* Make room for a read in NC's input buffer. A connection with nothing
 * left over reads into the shared buffer: most reads hold whole messages,
 * which are handled before the next read, so no connection needs memory
 * of its own for input, and no read costs a malloc(). */
static void
net_in_room(struct net_conn *nc)
{
	size_t cap;
	char *p;

	if (nc->in == NULL) {
		nc->in = g.rbuf;
		nc->in_cap = NET_RBUF + 1;
		nc->in_off = nc->in_len = 0;
		nc->in_shared = 1;
	}
	if (nc->in_off > 0 && nc->in_off == nc->in_len)
		nc->in_off = nc->in_len = 0;
	if (nc->in_cap - nc->in_len >= NET_READ_MIN / 4 + 1)
		return;
	cap = nc->in_cap * 2;
	if (cap < nc->in_len + NET_READ_MIN + 1)
		cap = nc->in_len + NET_READ_MIN + 1;
	if (nc->in_shared) {
		p = vg_xmalloc(cap);
		memcpy(p, nc->in, nc->in_len);
		nc->in = p;
		nc->in_shared = 0;
	} else
		nc->in = vg_xrealloc(nc->in, cap);
	nc->in_cap = cap;
}

/* Drop what NC has consumed; give the shared buffer back (what is left
 * moves to a buffer of NC's own), and free NC's own when it is empty, so
 * that an idle connection holds no input memory. */
static void
net_in_compact(struct net_conn *nc)
{
	size_t left = nc->in_len - nc->in_off;
	char *p = NULL;

	if (nc->in_shared) {
		if (left > 0 && nc->state != NS_DEAD) {
			p = vg_xmalloc(left + NET_READ_MIN + 1);
			memcpy(p, nc->in + nc->in_off, left);
			nc->in_cap = left + NET_READ_MIN + 1;
		} else {
			left = 0;
			nc->in_cap = 0;
		}
		nc->in = p;
		nc->in_off = 0;
		nc->in_len = left;
		nc->in_shared = 0;
	} else if (left == 0) {
		free(nc->in);
		nc->in = NULL;
		nc->in_off = nc->in_len = nc->in_cap = 0;
	} else if (nc->in_off > 0) {
		memmove(nc->in, nc->in + nc->in_off, left);
		nc->in_len = left;
		nc->in_off = 0;
	}
}

/* Read once into NC's buffer. Returns the bytes read, 0 at the end of the
 * stream, -1 on error (why in *WHY), or -2 when nothing is ready. */
static ssize_t
net_read(struct net_conn *nc, const char **why)
{
	ssize_t r;
	size_t room;
	int e;

	net_in_room(nc);
	room = nc->in_cap - nc->in_len - 1;	/* keep one for a NUL */
	if (nc->ssl != NULL) {
		ERR_clear_error();
		r = SSL_read(nc->ssl, nc->in + nc->in_len, (int)room);
		if (r > 0) {
			nc->in_len += (size_t)r;
			return (r);
		}
		e = SSL_get_error(nc->ssl, (int)r);
		if (e == SSL_ERROR_WANT_READ)
			return (-2);
		if (e == SSL_ERROR_WANT_WRITE) {
			nc->tls_read_wants_write = 1;
			net_want_write(nc, 1);
			return (-2);
		}
		if (e == SSL_ERROR_ZERO_RETURN ||
		    (e == SSL_ERROR_SYSCALL && errno == 0))
			return (0);
		*why = e == SSL_ERROR_SYSCALL ? strerror(errno) :
		    "TLS error";
		return (-1);
	}
	do
		r = recv(nc->fd, nc->in + nc->in_len, room, 0);
	while (r == -1 && errno == EINTR);
	if (r > 0) {
		nc->in_len += (size_t)r;
		return (r);
	}
	if (r == 0)
		return (0);
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return (-2);
	*why = strerror(errno);
	return (-1);
}

/* ---- HTTP ---- */

/* The reason phrase for STATUS. */
static const char *
net_reason_phrase(int status)
{
	static const struct {
		int		 status;
		const char	*text;
	} phrases[] = {
		{ 100, "Continue" }, { 101, "Switching Protocols" },
		{ 200, "OK" }, { 201, "Created" }, { 202, "Accepted" },
		{ 204, "No Content" }, { 301, "Moved Permanently" },
		{ 302, "Found" }, { 303, "See Other" },
		{ 304, "Not Modified" }, { 307, "Temporary Redirect" },
		{ 400, "Bad Request" }, { 401, "Unauthorized" },
		{ 403, "Forbidden" }, { 404, "Not Found" },
		{ 405, "Method Not Allowed" }, { 408, "Request Timeout" },
		{ 409, "Conflict" }, { 410, "Gone" },
		{ 411, "Length Required" }, { 413, "Content Too Large" },
		{ 415, "Unsupported Media Type" },
		{ 422, "Unprocessable Content" }, { 426, "Upgrade Required" },
		{ 429, "Too Many Requests" },
		{ 431, "Request Header Fields Too Large" },
		{ 500, "Internal Server Error" }, { 501, "Not Implemented" },
		{ 502, "Bad Gateway" }, { 503, "Service Unavailable" },
		{ 504, "Gateway Timeout" },
	};
	size_t i;

	for (i = 0; i < VG_NELEM(phrases); i++)
		if (phrases[i].status == status)
			return (phrases[i].text);
	return (status < 300 ? "OK" : status < 400 ? "Redirect" :
	    status < 500 ? "Client Error" : "Server Error");
}

/* Write an HTTP answer on NC: STATUS, headers HDRS, LEN bytes of BODY.
 * Keeps the connection when NC->keep_alive; else nothing more is read as
 * a request (RFC 9112 9.6) and the connection closes once the answer is
 * written, after a linger: the client may still be sending, and a reset
 * could lose the answer. */
static void
net_http_answer(struct net_conn *nc, int status, const struct net_hdr *hdrs,
    size_t nhdrs, const char *body, size_t len)
{
	char *head;
	size_t i, n, cap;

	cap = 160;
	for (i = 0; i < nhdrs; i++)
		cap += strlen(hdrs[i].name) + strlen(hdrs[i].value) + 4;
	head = vg_xmalloc(cap);
	n = (size_t)snprintf(head, cap, "HTTP/1.1 %d %s\r\n", status,
	    net_reason_phrase(status));
	for (i = 0; i < nhdrs; i++)
		n += (size_t)snprintf(head + n, cap - n, "%s: %s\r\n",
		    hdrs[i].name, hdrs[i].value);
	n += (size_t)snprintf(head + n, cap - n,
	    "Content-Length: %zu\r\nConnection: %s\r\n\r\n", len,
	    nc->keep_alive ? "keep-alive" : "close");
	if (!nc->keep_alive) {
		nc->close_after = 1;
		nc->state = NS_LINGER;
	}
	net_send2(nc, head, n, body, nc->head_only ? 0 : len);
	free(head);
}

static const struct net_hdr net_json_hdr = {
	(char *)"Content-Type", (char *)"application/json" };
static const char net_413[] = "{\"error\":\"request body too large\"}";

/* Answer NC's request ourselves with STATUS and {"error": MSG}, then
 * close: the request was refused before any module saw it. */
static void
net_http_refuse(struct net_conn *nc, int status, const char *msg,
    const struct net_hdr *extra)
{
	struct net_hdr h[2];
	char *body;
	size_t nh = 0;

	h[nh++] = net_json_hdr;
	if (extra != NULL)
		h[nh++] = *extra;
	body = vg_asprintf("{\"error\":\"%s\"}", msg);
	net_msg_free(nc->req);
	nc->req = NULL;
	nc->keep_alive = 0;
	nc->state = NS_LINGER;
	net_http_answer(nc, status, h, nh, body, strlen(body));
	free(body);
}

/* The peer's address of NC as text, into BUF. */
static void
net_peer_name(const struct net_conn *nc, char *buf, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	const char *p;

	buf[0] = '\0';
	if (getpeername(nc->fd, (struct sockaddr *)&ss, &sl) == -1)
		return;
	if (ss.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr,
		    buf, (socklen_t)size);
	else if (ss.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr,
		    buf, (socklen_t)size);
		/* an IPv4 peer on a dual-stack socket: show it plainly */
		if (strncmp(buf, "::ffff:", 7) == 0 &&
		    strchr(buf + 7, ':') == NULL) {
			p = buf + 7;
			memmove(buf, p, strlen(p) + 1);
		}
	}
}

/* Add header NAME: VALUE to M, joined to an earlier one of the same name
 * with ", " (RFC 9110 5.3). A header that may appear once (Content-Length,
 * Authorization, ...) then reads as one invalid value and is refused,
 * rather than either copy being believed. */
static void
net_hdr_merge(struct net_msg *m, const char *name, const char *value)
{
	char *joined;
	size_t i;

	for (i = 0; i < m->nhdrs; i++) {
		if (strcasecmp(m->hdrs[i].name, name) != 0)
			continue;
		joined = vg_asprintf("%s, %s", m->hdrs[i].value, value);
		free(m->hdrs[i].value);
		m->hdrs[i].value = joined;
		return;
	}
	net_msg_add_hdr(m, name, value);
}

/* Methods we serve. */
static int
net_method_ok(const char *method)
{
	static const char *const methods[] = {
		"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS",
	};
	size_t i;

	for (i = 0; i < VG_NELEM(methods); i++)
		if (strcmp(methods[i], method) == 0)
			return (1);
	return (0);
}

/* Hand NC's whole request to the core. */
static void
net_http_deliver(struct net_conn *nc)
{
	struct net_msg *m = nc->req;

	nc->req = NULL;
	if (m->data == NULL)
		m->data = vg_xstrdup("");
	m->data[m->len] = '\0';
	g.st.http_requests++;
	nc->state = NS_AT_CORE;
	nc->at_core = 1;
	net_timeout(nc, 0);
	m->id = nc->id;
	http_dispatch(m);	/* may answer before it returns */
}

/* The upgrade request H (path PATH, message M taken) on NC: refuse it or
 * switch NC to a WebSocket and tell the core. */
static void
net_ws_upgrade(struct net_conn *nc, const struct hp_head *h,
    struct net_msg *m)
{
	static const struct net_hdr ver = {
		(char *)"Sec-WebSocket-Version", (char *)"13" };
	const char *v, *key;
	char accept[29], resp[160];
	int n;

	nc->req = m;		/* freed by a refusal */
	if (!g.accepting) {
		net_http_refuse(nc, 503, "shutting down", NULL);
		return;
	}
	if (!ws_endpoint_exists(m->path)) {
		net_http_refuse(nc, 404, "not found", NULL);
		return;
	}
	if ((v = net_msg_hdr(m, "connection")) == NULL ||
	    !hp_has_token(v, "upgrade") || h->minor != 1) {
		net_http_refuse(nc, 400, "bad upgrade request", NULL);
		return;
	}
	if ((v = net_msg_hdr(m, "sec-websocket-version")) == NULL ||
	    strcmp(v, "13") != 0) {
		net_http_refuse(nc, 426, "WebSocket version 13 only", &ver);
		return;
	}
	if ((key = net_msg_hdr(m, "sec-websocket-key")) == NULL ||
	    wsp_accept_key(key, accept) == -1) {
		net_http_refuse(nc, 400, "bad Sec-WebSocket-Key", NULL);
		return;
	}
	nc->req = NULL;
	n = snprintf(resp, sizeof(resp), "HTTP/1.1 101 Switching Protocols\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: %s\r\n\r\n", accept);
	nc->kind = NET_KIND_WS_SERVER;
	nc->state = NS_OPEN;
	net_timeout(nc, 0);
	if (net_send(nc, resp, (size_t)n) == -1) {
		net_msg_free(m);
		return;
	}
	nc->counted = 1;
	g.st.ws_open++;
	nc->at_core = 1;
	m->type = NET_WS_OPEN;
	m->id = nc->id;
	ws_dispatch(m);
}

/* NS_HEAD: parse a request head if one is in. Returns 1 when it moved
 * NC on, 0 when it needs more bytes. */
static int
net_http_head(struct net_conn *nc)
{
	struct hp_head h;
	struct net_msg *m;
	const char *why, *query, *te, *cl, *v;
	char *p, path[4096], peer[64];
	uint64_t clen = 0;
	size_t i, n;
	int rc;

	/* empty lines before a request are allowed (RFC 9112 2.2) */
	while (nc->in_off < nc->in_len && (nc->in[nc->in_off] == '\r' ||
	    nc->in[nc->in_off] == '\n'))
		nc->in_off++;
	p = nc->in + nc->in_off;
	n = nc->in_len - nc->in_off;
	if (n == 0)
		return (0);
	nc->head_only = 0;	/* a refusal may come before the method */
	if ((rc = hp_parse_head(p, n, 0, &h, &why)) == 0) {
		if (n > NET_HEAD_MAX)
			net_http_refuse(nc, 431, "request head too large",
			    NULL);
		return (0);
	}
	if (rc == 1 && h.len > NET_HEAD_MAX) {
		/* the same whether it came in one segment or many */
		net_http_refuse(nc, 431, "request head too large", NULL);
		return (0);
	}
	if (rc == -1) {
		net_http_refuse(nc, 400, why, NULL);
		return (0);
	}
	nc->in_off += h.len;
	net_set_id(nc);
	nc->req = m = net_msg_new(NET_HTTP_REQ, nc->id);
	if (hp_split_target(h.target, path, sizeof(path), &query) == -1) {
		net_http_refuse(nc, 400, "bad request target", NULL);
		return (0);
	}
	m->method = vg_xstrdup(h.method);
	m->path = vg_xstrdup(path);
	m->query = vg_xstrdup(query);
	for (i = 0; i < h.nhdrs; i++)
		net_hdr_merge(m, h.hdrs[i].name, h.hdrs[i].value);
	net_peer_name(nc, peer, sizeof(peer));
	m->peer = vg_xstrdup(peer);
	v = net_msg_hdr(m, "connection");
	nc->keep_alive = h.minor == 1 ? v == NULL || !hp_has_token(v, "close") :
	    v != NULL && hp_has_token(v, "keep-alive");
	nc->head_only = strcmp(h.method, "HEAD") == 0;
	if (strcmp(h.method, "GET") == 0 &&
	    (v = net_msg_hdr(m, "upgrade")) != NULL &&
	    hp_has_token(v, "websocket")) {
		nc->req = NULL;
		net_ws_upgrade(nc, &h, m);
		return (1);
	}
	if (!net_method_ok(h.method)) {
		net_http_refuse(nc, 405, "method not allowed", NULL);
		return (0);
	}
	te = net_msg_hdr(m, "transfer-encoding");
	cl = net_msg_hdr(m, "content-length");
	if (te != NULL && cl != NULL) {
		net_http_refuse(nc, 400, "both Content-Length and "
		    "Transfer-Encoding", NULL);
		return (0);
	}
	if (te != NULL && strcasecmp(te, "chunked") != 0) {
		net_http_refuse(nc, 501, "unsupported transfer encoding",
		    NULL);
		return (0);
	}
	if (cl != NULL && hp_content_length(cl, &clen) == -1) {
		net_http_refuse(nc, 400, "bad Content-Length", NULL);
		return (0);
	}
	if (clen > g.max_body) {
		g.st.http_requests++;
		net_count_oversize();
		if (!nc->keep_alive) {
			net_http_refuse(nc, 413, "request body too large",
			    NULL);
			return (0);
		}
		/* answer now, then read the body past: the connection
		 * serves the next request */
		net_msg_free(nc->req);
		nc->req = NULL;
		net_http_answer(nc, 413, &net_json_hdr, 1, net_413,
		    strlen(net_413));
		if (nc->state == NS_DEAD)
			return (0);
		nc->body_need = clen;
		nc->state = NS_SKIP;
		return (1);
	}
	nc->chunked = te != NULL;
	memset(&nc->chunk, 0, sizeof(nc->chunk));
	nc->body_need = clen;
	nc->continue_sent = 0;
	if (nc->chunked || clen > 0) {
		if ((v = net_msg_hdr(m, "expect")) != NULL &&
		    strcasecmp(v, "100-continue") == 0 &&
		    nc->in_len - nc->in_off < clen + (nc->chunked ? 5 : 0)) {
			nc->continue_sent = 1;
			net_send(nc, "HTTP/1.1 100 Continue\r\n\r\n", 25);
		}
		m->data = vg_xmalloc(nc->chunked ? 1024 : (size_t)clen + 1);
		nc->state = NS_BODY;
		return (1);
	}
	net_http_deliver(nc);
	return (1);
}

/* NS_BODY: take the body's bytes that are in. Returns 1 when the whole
 * body is in (and delivered), 0 when it needs more. */
static int
net_http_body(struct net_conn *nc)
{
	struct net_msg *m = nc->req;
	char *p = nc->in + nc->in_off;
	size_t n = nc->in_len - nc->in_off, used;
	const char *why;
	ssize_t got;

	if (!nc->chunked) {
		if (n < nc->body_need)
			return (0);
		memcpy(m->data, p, (size_t)nc->body_need);
		m->len = (size_t)nc->body_need;
		nc->in_off += (size_t)nc->body_need;
		net_http_deliver(nc);
		return (1);
	}
	if (n == 0)
		return (0);
	if ((got = hp_chunked_decode(&nc->chunk, p, n, &used, &why)) == -1) {
		net_http_refuse(nc, 400, why, NULL);
		return (0);
	}
	nc->in_off += used;
	if (m->len + (size_t)got > g.max_body) {
		g.st.http_requests++;
		net_count_oversize();
		net_http_refuse(nc, 413, "request body too large", NULL);
		return (0);
	}
	if (got > 0) {
		m->data = vg_xrealloc(m->data, m->len + (size_t)got + 1);
		memcpy(m->data + m->len, p, (size_t)got);
		m->len += (size_t)got;
	}
	if (!nc->chunk.done)
		return (0);
	net_http_deliver(nc);
	return (1);
}

/* The core's answer M (taken) to request M->id. */
static void
net_http_respond(struct net_msg *m)
{
	struct net_conn *nc;

	nc = net_idmap_get(&g.conns, m->id);
	if (nc == NULL || nc->state != NS_AT_CORE || nc->id != m->id) {
		net_msg_free(m);	/* the client went away */
		return;
	}
	nc->at_core = 0;
	net_idmap_del(&g.conns, nc->id);
	nc->id = 0;
	nc->state = NS_HEAD;
	if (nc->read_paused) {
		nc->read_paused = 0;
		event_add(nc->rev, NULL);
	}
	nc->busy++;
	net_http_answer(nc, m->code, m->hdrs, m->nhdrs, m->data, m->len);
	net_msg_free(m);
	if (nc->state == NS_HEAD) {
		net_timeout(nc, NET_IDLE_SECS);
		if (nc->busy == 1)
			net_process(nc);	/* a request may wait behind */
	}
	nc->busy--;
}

/* ---- WebSocket ---- */

/* Send a frame (OPCODE, LEN bytes of DATA) on NC: masked for a client.
 * A client's frames sent before its handshake is done wait in EARLY (the
 * RFC forbids sending them before the server's answer). */
static int
net_ws_frame(struct net_conn *nc, unsigned opcode, const void *data,
    size_t len)
{
	uint8_t hdr[WSP_HDR_MAX], key[4];
	uint64_t r;
	size_t hl;

	if (nc->kind != NET_KIND_WS_CLIENT) {
		hl = wsp_build_header(hdr, opcode, 1, len, NULL);
		return (net_send2(nc, hdr, hl, data, len));
	}
	/* xorshift64*: the mask only has to defeat proxies that a browser
	 * script could fool (RFC 6455 10.3); no browser runs here */
	g.rng ^= g.rng >> 12;
	g.rng ^= g.rng << 25;
	g.rng ^= g.rng >> 27;
	r = g.rng * 0x2545F4914F6CDD1DULL;
	memcpy(key, &r, 4);
	hl = wsp_build_header(hdr, opcode, 1, len, key);
	if (nc->state != NS_OPEN && nc->state != NS_CLOSING) {
		nc->early = vg_xrealloc(nc->early, nc->early_len + hl + len);
		memcpy(nc->early + nc->early_len, hdr, hl);
		if (len > 0)
			memcpy(nc->early + nc->early_len + hl, data, len);
		wsp_mask((uint8_t *)nc->early + nc->early_len + hl, len, key,
		    0);
		nc->early_len += hl + len;
		return (0);
	}
	if (len > g.scratch_cap) {
		g.scratch_cap = len < 4096 ? 4096 : len;
		g.scratch = vg_xrealloc(g.scratch, g.scratch_cap);
	}
	if (len > 0)
		memcpy(g.scratch, data, len);
	wsp_mask((uint8_t *)g.scratch, len, key, 0);
	return (net_send2(nc, hdr, hl, g.scratch, len));
}

/* Send a close frame (CODE, REASON) on NC and wait for the peer's. */
static void
net_ws_send_close(struct net_conn *nc, int code, const char *reason)
{
	uint8_t payload[WSP_CTRL_MAX];
	size_t n;

	if (nc->close_sent)
		return;
	nc->close_sent = 1;
	if (nc->code == 0) {
		nc->code = code;
		free(nc->reason);
		nc->reason = vg_xstrdup(reason != NULL ? reason : "");
		if (strlen(nc->reason) > NET_REASON_MAX)
			nc->reason[NET_REASON_MAX] = '\0';
	}
	n = wsp_close_build(payload, code == VG_WS_CLOSE_ABNORMAL ||
	    code == 1005 ? 0 : code, reason);
	nc->state = NS_CLOSING;
	net_timeout(nc, NET_CLOSE_SECS);
	net_ws_frame(nc, WSP_OP_CLOSE, payload, n);
}

/* NC broke the protocol: close with CODE, say WHY. */
static void
net_ws_fail(struct net_conn *nc, int code, const char *why)
{
	vg_log(VG_LOG_INFO, "net: connection %llu: %s: closing with %d",
	    (unsigned long long)nc->id, why, code);
	if (code == VG_WS_CLOSE_TOO_BIG)
		net_count_oversize();
	net_ws_send_close(nc, code, why);
	nc->close_after = 1;
	if (net_unsent(nc) == 0)
		net_drop(nc, code, why);
}

/* A whole message of LEN bytes at DATA (one spare byte after it). */
static void
net_ws_message(struct net_conn *nc, char *data, size_t len, int binary)
{
	char save;

	if (!binary && !wsp_utf8_valid((const uint8_t *)data, len)) {
		net_ws_fail(nc, 1007, "invalid UTF-8 in a text message");
		return;
	}
	g.st.ws_msgs_in++;
	if (nc->state != NS_OPEN)
		return;		/* we are closing: the core has let go */
	if (nc->upper == NULL)
		return;		/* the core side has not taken it */
	save = data[len];
	data[len] = '\0';
	ws_deliver(nc->upper, data, len, binary);
	data[len] = save;
}

/* Join a fragment of LEN bytes at P to NC's message. Returns 0, or -1
 * when it grows too big (NC failed). */
static int
net_ws_join(struct net_conn *nc, const char *p, size_t len)
{
	if (nc->msg_len + len > g.max_ws_message) {
		net_ws_fail(nc, VG_WS_CLOSE_TOO_BIG, "message too big");
		return (-1);
	}
	if (nc->msg_len + len + 1 > nc->msg_cap) {
		nc->msg_cap = (nc->msg_len + len + 1) * 2;
		if (nc->msg_cap > g.max_ws_message + 1)
			nc->msg_cap = g.max_ws_message + 1;
		nc->msg = vg_xrealloc(nc->msg, nc->msg_cap);
	}
	memcpy(nc->msg + nc->msg_len, p, len);
	nc->msg_len += len;
	return (0);
}

/* The peer's close frame (N bytes at P). */
static void
net_ws_peer_close(struct net_conn *nc, const uint8_t *p, size_t n)
{
	const char *reason;
	size_t rlen;
	int code;

	if (wsp_close_parse(p, n, &code, &reason, &rlen) == -1) {
		net_ws_fail(nc, code, "bad close frame");
		return;
	}
	if (nc->code == 0) {
		nc->code = code;
		free(nc->reason);
		nc->reason = vg_xstrndup(reason, rlen < NET_REASON_MAX ? rlen :
		    NET_REASON_MAX);
	}
	/* echo it (RFC 6455 5.5.1) unless ours is sent already, then
	 * close the socket once what is said has gone: our own close may
	 * still be staged, the peer's having come right behind the message
	 * that made a module close */
	if (!nc->close_sent)
		net_ws_send_close(nc, code, "");
	if (net_unsent(nc) > 0) {
		nc->close_after = 1;
		nc->state = NS_LINGER;	/* nothing more is read as frames */
		return;
	}
	net_drop(nc, code, NULL);
}

/* NS_OPEN / NS_CLOSING: act on every whole frame that is in. */
static void
net_ws_frames(struct net_conn *nc)
{
	struct wsp_frame f;
	const char *why;
	uint8_t *p;
	size_t n;
	int code;

	while (nc->state == NS_OPEN || nc->state == NS_CLOSING) {
		p = (uint8_t *)nc->in + nc->in_off;
		n = nc->in_len - nc->in_off;
		switch (wsp_parse_header(p, n, nc->kind == NET_KIND_WS_CLIENT ?
		    WSP_CLIENT : WSP_SERVER, g.max_ws_message, &f, &code,
		    &why)) {
		case 0:
			return;
		case -1:
			net_ws_fail(nc, code, why);
			return;
		}
		if (n - f.hdr_len < f.len)
			return;		/* the payload is still coming */
		p += f.hdr_len;
		if (f.masked)
			wsp_mask(p, (size_t)f.len, f.mask, 0);
		nc->in_off += f.hdr_len + (size_t)f.len;
		switch (f.opcode) {
		case WSP_OP_TEXT:
		case WSP_OP_BINARY:
			if (nc->in_frag) {
				net_ws_fail(nc, VG_WS_CLOSE_PROTOCOL,
				    "new message inside a fragmented one");
				return;
			}
			if (f.fin) {
				net_ws_message(nc, (char *)p, (size_t)f.len,
				    f.opcode == WSP_OP_BINARY);
				break;
			}
			nc->in_frag = 1;
			nc->msg_len = 0;
			nc->msg_binary = f.opcode == WSP_OP_BINARY;
			if (net_ws_join(nc, (char *)p, (size_t)f.len) == -1)
				return;
			break;
		case WSP_OP_CONT:
			if (!nc->in_frag) {
				net_ws_fail(nc, VG_WS_CLOSE_PROTOCOL,
				    "continuation without a message");
				return;
			}
			if (net_ws_join(nc, (char *)p, (size_t)f.len) == -1)
				return;
			if (!f.fin)
				break;
			nc->in_frag = 0;
			net_ws_message(nc, nc->msg, nc->msg_len,
			    nc->msg_binary);
			if (nc->msg_cap > 65536) {
				free(nc->msg);
				nc->msg = NULL;
				nc->msg_cap = 0;
			}
			break;
		case WSP_OP_PING:
			if (!nc->close_sent)
				net_ws_frame(nc, WSP_OP_PONG, p, (size_t)f.len);
			break;
		case WSP_OP_PONG:
			break;
		case WSP_OP_CLOSE:
			net_ws_peer_close(nc, p, (size_t)f.len);
			return;
		}
	}
}

/* Take the core side's object UPPER for WebSocket ID. */
void *
net_ws_attach(uint64_t id, void *upper)
{
	struct net_conn *nc;

	if ((nc = net_idmap_get(&g.conns, id)) == NULL ||
	    nc->state == NS_DEAD)
		return (NULL);
	nc->upper = upper;
	return (nc);
}

/* Send one message on the connection NET (from net_ws_attach()). */
int
net_ws_send_to(void *net, const void *data, size_t len, int binary)
{
	struct net_conn *nc = net;

	if (nc->state == NS_DEAD || nc->close_sent)
		return (-1);
	if (nc->state != NS_OPEN && nc->kind != NET_KIND_WS_CLIENT)
		return (-1);	/* not a WebSocket (yet) */
	if (net_unsent(nc) + nc->early_len + len > g.max_send_queue) {
		g.st.ws_dropped_slow++;
		vg_log(VG_LOG_WARN, "net: connection %llu reads too slowly "
		    "(%zu bytes queued): dropped", (unsigned long long)nc->id,
		    net_unsent(nc) + nc->early_len);
		net_drop(nc, VG_WS_CLOSE_POLICY, "slow reader");
		return (-1);
	}
	g.st.ws_msgs_out++;
	return (net_ws_frame(nc, binary ? WSP_OP_BINARY : WSP_OP_TEXT, data,
	    len));
}

/* Send one message on WebSocket ID. */
int
net_ws_send(uint64_t id, const void *data, size_t len, int binary)
{
	struct net_conn *nc;

	if ((nc = net_idmap_get(&g.conns, id)) == NULL)
		return (-1);
	return (net_ws_send_to(nc, data, len, binary));
}

/* ---- client connections ---- */

/* NC could not open: report WHY (code 1006). */
static void
net_client_failed(struct net_conn *nc, const char *why)
{
	vg_log(VG_LOG_WARN, "net: connection %llu to %s:%d failed: %s",
	    (unsigned long long)nc->id, nc->connect->peer, nc->connect->port,
	    why);
	net_drop(nc, VG_WS_CLOSE_ABNORMAL, why);
}

/* The client context, made the first time a wss:// URL is opened:
 * certificates checked against the system's store (or $SSL_CERT_FILE /
 * $SSL_CERT_DIR), TLS 1.2 at least. */
static SSL_CTX *
net_tls_ctx(void)
{
	if (g.tls != NULL)
		return (g.tls);
	if ((g.tls = SSL_CTX_new(TLS_client_method())) == NULL)
		return (NULL);
	SSL_CTX_set_min_proto_version(g.tls, TLS1_2_VERSION);
	SSL_CTX_set_verify(g.tls, SSL_VERIFY_PEER, NULL);
	if (SSL_CTX_set_default_verify_paths(g.tls) != 1)
		vg_log(VG_LOG_WARN, "net: no default certificate store");
	/* partial writes from a buffer that moves (net_out_append()), and
	 * no idle buffers held per connection */
	SSL_CTX_set_mode(g.tls, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
	return (g.tls);
}

/* Why NC's TLS handshake failed, in words. */
static void
net_tls_failed(struct net_conn *nc)
{
	char buf[256];
	long vr;

	vr = SSL_get_verify_result(nc->ssl);
	if (vr != X509_V_OK) {
		snprintf(buf, sizeof(buf), "TLS: certificate verify failed: "
		    "%s", X509_verify_cert_error_string(vr));
	} else if (ERR_peek_error() != 0) {
		snprintf(buf, sizeof(buf), "TLS handshake failed: ");
		ERR_error_string_n(ERR_get_error(), buf + strlen(buf),
		    sizeof(buf) - strlen(buf));
	} else
		snprintf(buf, sizeof(buf), "TLS handshake failed: "
		    "connection closed");
	ERR_clear_error();
	net_client_failed(nc, buf);
}

/* NS_TLS: drive the handshake. */
static void
net_tls_step(struct net_conn *nc)
{
	int rc;

	ERR_clear_error();
	if ((rc = SSL_connect(nc->ssl)) == 1) {
		net_want_write(nc, 0);
		net_client_handshake(nc);
		return;
	}
	switch (SSL_get_error(nc->ssl, rc)) {
	case SSL_ERROR_WANT_READ:
		net_want_write(nc, 0);
		return;
	case SSL_ERROR_WANT_WRITE:
		net_want_write(nc, 1);
		return;
	default:
		net_tls_failed(nc);
	}
}

/* Start TLS on NC's connected socket. */
static void
net_tls_start(struct net_conn *nc)
{
	struct in6_addr a6;
	struct in_addr a4;
	const char *host = nc->connect->peer;
	SSL_CTX *ctx;
	static const unsigned char alpn[] = "\x08http/1.1";

	if ((ctx = net_tls_ctx()) == NULL ||
	    (nc->ssl = SSL_new(ctx)) == NULL) {
		net_client_failed(nc, "TLS: cannot make a context");
		return;
	}
	SSL_set_fd(nc->ssl, nc->fd);
	if (inet_pton(AF_INET, host, &a4) == 1 ||
	    inet_pton(AF_INET6, host, &a6) == 1) {
		X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(nc->ssl), host);
	} else {
		SSL_set_tlsext_host_name(nc->ssl, host);
		SSL_set1_host(nc->ssl, host);
	}
	SSL_set_alpn_protos(nc->ssl, alpn, sizeof(alpn) - 1);
	nc->state = NS_TLS;
	net_tls_step(nc);
}

/* The socket is connected (plain, or TLS done): send the upgrade. */
static void
net_client_handshake(struct net_conn *nc)
{
	struct net_msg *c = nc->connect;
	unsigned char raw[16];
	char key[32], *req;
	size_t i, n, cap;
	int tls = strcmp(c->method, "wss") == 0;

	if (getrandom(raw, sizeof(raw), 0) != sizeof(raw)) {
		net_client_failed(nc, "no randomness for the key");
		return;
	}
	EVP_EncodeBlock((unsigned char *)key, raw, sizeof(raw));
	wsp_accept_key(key, nc->accept);
	cap = 512 + strlen(c->path) + strlen(c->peer);
	for (i = 0; i < c->nhdrs; i++)
		cap += strlen(c->hdrs[i].name) + strlen(c->hdrs[i].value) + 4;
	req = vg_xmalloc(cap);
	n = (size_t)snprintf(req, cap, "GET %s HTTP/1.1\r\n", c->path);
	if ((tls && c->port == 443) || (!tls && c->port == 80))
		n += (size_t)snprintf(req + n, cap - n, "Host: %s%s%s\r\n",
		    strchr(c->peer, ':') != NULL ? "[" : "", c->peer,
		    strchr(c->peer, ':') != NULL ? "]" : "");
	else
		n += (size_t)snprintf(req + n, cap - n, "Host: %s%s%s:%d\r\n",
		    strchr(c->peer, ':') != NULL ? "[" : "", c->peer,
		    strchr(c->peer, ':') != NULL ? "]" : "", c->port);
	n += (size_t)snprintf(req + n, cap - n, "Upgrade: websocket\r\n"
	    "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
	    "Sec-WebSocket-Version: 13\r\n", key);
	for (i = 0; i < c->nhdrs; i++)
		n += (size_t)snprintf(req + n, cap - n, "%s: %s\r\n",
		    c->hdrs[i].name, c->hdrs[i].value);
	n += (size_t)snprintf(req + n, cap - n, "\r\n");
	nc->state = NS_HANDSHAKE;
	net_send(nc, req, n);
	free(req);
}

/* NS_HANDSHAKE: read the server's answer to the upgrade. Returns 1 when
 * NC moved on. */
static int
net_client_head(struct net_conn *nc)
{
	struct hp_head h;
	const char *why, *v;
	char buf[160];
	size_t n = nc->in_len - nc->in_off;
	int rc;

	rc = hp_parse_head(nc->in + nc->in_off, n, 1, &h, &why);
	if (rc == 0) {
		if (n > NET_HEAD_MAX)
			net_client_failed(nc, "handshake answer too large");
		return (0);
	}
	if (rc == -1) {
		snprintf(buf, sizeof(buf), "bad handshake answer: %s", why);
		net_client_failed(nc, buf);
		return (0);
	}
	nc->in_off += h.len;
	if (h.status != 101) {
		snprintf(buf, sizeof(buf), "the server answered %d %.80s",
		    h.status, h.reason);
		net_client_failed(nc, buf);
		return (0);
	}
	if ((v = hp_header(&h, "upgrade")) == NULL ||
	    !hp_has_token(v, "websocket") ||
	    (v = hp_header(&h, "connection")) == NULL ||
	    !hp_has_token(v, "upgrade")) {
		net_client_failed(nc, "the server did not upgrade");
		return (0);
	}
	if ((v = hp_header(&h, "sec-websocket-accept")) == NULL ||
	    strcmp(v, nc->accept) != 0) {
		net_client_failed(nc, "bad Sec-WebSocket-Accept");
		return (0);
	}
	nc->state = NS_OPEN;
	net_timeout(nc, 0);
	nc->counted = 1;
	g.st.ws_open++;
	if (nc->early != NULL) {
		net_send(nc, nc->early, nc->early_len);
		free(nc->early);
		nc->early = NULL;
		nc->early_len = 0;
	}
	ws_dispatch(net_msg_new(NET_WS_CONNECTED, nc->id));
	return (1);
}

static void	net_on_read(evutil_socket_t fd, short what, void *arg);
static void	net_on_write(evutil_socket_t fd, short what, void *arg);

/* Make NC's I/O events for its socket. */
static void
net_events(struct net_conn *nc)
{
	nc->rev = event_new(vg_core_base(), nc->fd, EV_READ | EV_PERSIST,
	    net_on_read, nc);
	nc->wev = event_new(vg_core_base(), nc->fd, EV_WRITE | EV_PERSIST,
	    net_on_write, nc);
	nc->wev_on = 0;
}

/* NS_CONNECTING: the connect finished, one way or the other. */
static void
net_client_connected(struct net_conn *nc)
{
	socklen_t sl = sizeof(int);
	int err = 0, one = 1;

	if (getsockopt(nc->fd, SOL_SOCKET, SO_ERROR, &err, &sl) == -1)
		err = errno;
	if (err != 0) {
		event_free(nc->rev);
		event_free(nc->wev);
		nc->rev = nc->wev = NULL;
		close(nc->fd);
		nc->fd = -1;
		if (nc->ai_next != NULL) {
			net_client_next(nc);
			return;
		}
		net_client_failed(nc, strerror(err));
		return;
	}
	setsockopt(nc->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	nc->wev_on = 1;		/* the connect's write event is on */
	net_want_write(nc, 0);
	event_add(nc->rev, NULL);
	if (strcmp(nc->connect->method, "wss") == 0)
		net_tls_start(nc);
	else
		net_client_handshake(nc);
}

/* Try NC's next address. */
static void
net_client_next(struct net_conn *nc)
{
	struct addrinfo *ai;
	int err = 0;

	while ((ai = nc->ai_next) != NULL) {
		nc->ai_next = ai->ai_next;
		nc->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
		if (nc->fd == -1) {
			err = errno;
			continue;
		}
		if (connect(nc->fd, ai->ai_addr, ai->ai_addrlen) == -1 &&
		    errno != EINPROGRESS) {
			err = errno;
			close(nc->fd);
			nc->fd = -1;
			continue;
		}
		nc->state = NS_CONNECTING;
		net_events(nc);
		nc->wev_on = 1;
		event_add(nc->wev, NULL);
		return;
	}
	net_client_failed(nc, err != 0 ? strerror(err) : "no address");
}

/* Look up NC's host (numeric, or through the system's resolver) and start
 * connecting. The resolver may block: it runs on the worker pool when
 * there is one. */
struct net_lookup {
	uint64_t	 id;
	char		*host;
	char		 port[8];
	struct addrinfo	*res;
	int		 err;
};

/* Worker: getaddrinfo(). */
static void
net_lookup_work(void *arg)
{
	struct net_lookup *l = arg;
	struct addrinfo hints;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	l->err = getaddrinfo(l->host, l->port, &hints, &l->res);
}

/* Core thread: the lookup is done. */
static void
net_lookup_done(void *arg)
{
	struct net_lookup *l = arg;
	struct net_conn *nc;
	char buf[300];

	nc = net_idmap_get(&g.conns, l->id);
	if (nc == NULL || nc->state != NS_RESOLVING) {
		if (l->res != NULL)
			freeaddrinfo(l->res);
	} else if (l->err != 0) {
		snprintf(buf, sizeof(buf), "cannot resolve %s: %s", l->host,
		    gai_strerror(l->err));
		net_client_failed(nc, buf);
	} else {
		nc->ai = nc->ai_next = l->res;
		net_client_next(nc);
	}
	free(l->host);
	free(l);
}

/* The lookup answered without the pool: finish it from the loop. */
static void
net_lookup_once(evutil_socket_t fd, short what, void *arg)
{
	net_lookup_done(arg);
}

/* Start looking up NC's host: later, never before vg_ws_connect()
 * returns (its caller has not kept the connection yet). */
static void
net_client_start(struct net_conn *nc)
{
	static const struct timeval now = { 0, 0 };
	struct net_lookup *l;
	struct addrinfo hints;

	l = vg_xcalloc(1, sizeof(*l));
	l->id = nc->id;
	l->host = vg_xstrdup(nc->connect->peer);
	snprintf(l->port, sizeof(l->port), "%d", nc->connect->port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST;
	l->err = getaddrinfo(l->host, l->port, &hints, &l->res);
	if (l->err == 0 ||
	    vg_work_submit(NULL, net_lookup_work, net_lookup_done, l) == -1) {
		if (l->err != 0)
			net_lookup_work(l);	/* no pool (tests): block */
		event_base_once(vg_core_base(), -1, EV_TIMEOUT,
		    net_lookup_once, l, &now);
	}
}

/* ---- events ---- */

/* Act on what NC's input holds, as far as its state allows. */
static void
net_process(struct net_conn *nc)
{
	size_t n;
	int moved;

	nc->busy++;
	do {
		moved = 0;
		switch (nc->state) {
		case NS_HEAD:
			moved = net_http_head(nc);
			break;
		case NS_BODY:
			moved = net_http_body(nc);
			break;
		case NS_HANDSHAKE:
			moved = net_client_head(nc);
			break;
		case NS_OPEN:
		case NS_CLOSING:
			net_ws_frames(nc);
			break;
		case NS_LINGER:
			nc->in_off = nc->in_len;	/* dropped */
			break;
		case NS_SKIP:
			n = nc->in_len - nc->in_off;
			if (n > nc->body_need)
				n = (size_t)nc->body_need;
			nc->in_off += n;
			nc->body_need -= n;
			if (nc->body_need == 0) {
				nc->state = NS_HEAD;
				moved = 1;
			}
			break;
		default:
			break;	/* at the core, or not reading */
		}
	} while (moved && nc->state != NS_DEAD);
	net_in_compact(nc);
	nc->busy--;
}

/* The read side ended (R: 0 at the end of the stream, -1 an error). */
static void
net_read_ended(struct net_conn *nc, ssize_t r, const char *why)
{
	switch (nc->state) {
	case NS_TLS:
		net_tls_failed(nc);
		break;
	case NS_HANDSHAKE:
		net_client_failed(nc, r == 0 ? "the server closed the "
		    "connection during the handshake" : why);
		break;
	case NS_OPEN:
		net_drop(nc, g.stopping ? VG_WS_CLOSE_GOING_AWAY :
		    VG_WS_CLOSE_ABNORMAL, r == 0 ? "connection lost" : why);
		break;
	default:
		/* HTTP (a request at the core is reported gone), a close
		 * handshake cut short, a linger done */
		net_drop(nc, VG_WS_CLOSE_ABNORMAL, r == 0 ? "connection lost" :
		    why);
		break;
	}
}

/* EV_READ on NC's socket. */
static void
net_on_read(evutil_socket_t fd, short what, void *arg)
{
	struct net_conn *nc = arg;
	const char *why = NULL;
	ssize_t r;

	nc->busy++;
	if (nc->state == NS_TLS) {
		net_tls_step(nc);
		goto out;
	}
	if (nc->tls_read_wants_write || (nc->ssl != NULL &&
	    net_out_pending(nc) > 0 && !nc->wev_on))
		net_flush(nc);	/* a write waited for this read */
	for (;;) {
		if (nc->state == NS_AT_CORE &&
		    nc->in_len - nc->in_off > NET_HEAD_MAX) {
			/* pipelined requests pile up: stop reading until
			 * the answer (a hang-up goes unseen meanwhile) */
			event_del(nc->rev);
			nc->read_paused = 1;
			break;
		}
		r = net_read(nc, &why);
		if (r == -2)
			break;
		if (r <= 0) {
			net_in_compact(nc);
			net_read_ended(nc, r, why);
			break;
		}
		net_process(nc);
		if (nc->state == NS_DEAD)
			break;
		/* TLS may hold decrypted bytes the socket no longer shows */
		if (nc->ssl == NULL || SSL_pending(nc->ssl) == 0)
			break;
	}
out:
	nc->busy--;
	/* What these bytes set off goes out now, not after everything else
	 * that is ready this pass: the events they published are delivered
	 * (the bus's own delivery event then finds its queue empty) and the
	 * answers written, a frame and the mark after it in one sendmsg().
	 * A message's latency is then its own work, not the whole pass's. */
	if (nc->busy == 0) {
		vg_bus_drain();
		net_flush_staged(-1, 0, NULL);
	}
}

/* EV_WRITE on NC's socket. */
static void
net_on_write(evutil_socket_t fd, short what, void *arg)
{
	struct net_conn *nc = arg;

	nc->busy++;
	switch (nc->state) {
	case NS_CONNECTING:
		net_client_connected(nc);
		break;
	case NS_TLS:
		net_tls_step(nc);
		break;
	default:
		if (nc->tls_read_wants_write) {
			nc->tls_read_wants_write = 0;
			net_on_read(fd, EV_READ, nc);
		}
		if (nc->state != NS_DEAD)
			net_flush(nc);
		break;
	}
	nc->busy--;
}

/* NC's state timer fired. */
static void
net_on_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct net_conn *nc = arg;

	switch (nc->state) {
	case NS_RESOLVING:
	case NS_CONNECTING:
	case NS_TLS:
	case NS_HANDSHAKE:
		net_client_failed(nc, "timed out");
		break;
	case NS_HEAD:
	case NS_BODY:
	case NS_SKIP:
		net_drop(nc, VG_WS_CLOSE_ABNORMAL, "idle");
		break;
	case NS_CLOSING:
		net_drop(nc, 0, NULL);	/* the peer never answered our close */
		break;
	case NS_LINGER:
		net_drop(nc, 0, NULL);
		break;
	default:
		break;
	}
}

/* ---- the core side's requests ---- */

/* Close WebSocket M->id with M->code and M->reason. */
static void
net_ws_close_req(struct net_msg *m)
{
	struct net_conn *nc;

	nc = net_idmap_get(&g.conns, m->id);
	if (nc == NULL || nc->state == NS_DEAD || nc->close_sent ||
	    nc->kind == NET_KIND_HTTP)
		return;
	if (nc->state != NS_OPEN) {
		/* a client not open yet: give up on it */
		net_drop(nc, m->code, m->reason);
		return;
	}
	nc->busy++;
	net_ws_send_close(nc, m->code, m->reason != NULL ? m->reason : "");
	nc->busy--;
}

/* Open the client connection M asks for (M taken). */
static void
net_ws_connect(struct net_msg *m)
{
	struct net_conn *nc;

	nc = net_conn_new(-1, NET_KIND_WS_CLIENT, NS_RESOLVING);
	nc->id = m->id;
	nc->at_core = 1;
	nc->connect = m;
	net_idmap_put(&g.conns, nc->id, nc);
	net_timeout(nc, NET_CONNECT_SECS);
	net_client_start(nc);
}

/* Act on M from the core side. */
int
net_act(struct net_msg *m)
{
	if (!g.running) {
		net_msg_free(m);
		return (-1);
	}
	switch (m->type) {
	case NET_HTTP_RESP:
		net_http_respond(m);
		return (0);
	case NET_WS_CONNECT:
		net_ws_connect(m);
		return (0);
	case NET_WS_CLOSE:
		net_ws_close_req(m);
		break;
	default:
		break;
	}
	net_msg_free(m);
	return (0);
}

/* ---- the listener ---- */

/* A new connection on the listener. */
static void
net_on_accept(struct evconnlistener *lis, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct net_conn *nc;
	int one = 1;

	if (!g.accepting) {
		close(fd);
		return;
	}
	/* small messages must leave at once, not wait for Nagle */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	nc = net_conn_new(fd, NET_KIND_HTTP, NS_HEAD);
	net_events(nc);
	event_add(nc->rev, NULL);
	net_timeout(nc, NET_IDLE_SECS);
}

/* Accepting again after running out of descriptors. */
static void
net_relisten(evutil_socket_t fd, short what, void *arg)
{
	if (g.lis != NULL && g.accepting)
		evconnlistener_enable(g.lis);
}

/* accept() failed: out of descriptors, most likely. Pause a little
 * rather than spin on a listener that stays readable. */
static void
net_on_accept_error(struct evconnlistener *lis, void *arg)
{
	static const struct timeval pause = { 0, 200000 };
	int err = EVUTIL_SOCKET_ERROR();

	vg_log(VG_LOG_WARN, "net: accept: %s: pausing 200 ms",
	    evutil_socket_error_to_string(err));
	evconnlistener_disable(lis);
	evtimer_add(g.relisten, &pause);
}

/* Bind and listen per S. Returns 0 or -1 (logged). */
static int
net_listen(const struct vg_settings *s)
{
	struct addrinfo hints, *ai;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	const char *addr = s->listen_addr;
	char port[16];
	int rc;

	if (addr[0] == '\0' || strcmp(addr, "*") == 0)
		addr = "0.0.0.0";
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%d", s->listen_port);
	if ((rc = getaddrinfo(addr, port, &hints, &ai)) != 0) {
		vg_log(VG_LOG_ERROR, "net: cannot listen on %s:%d: %s",
		    s->listen_addr, s->listen_port, gai_strerror(rc));
		return (-1);
	}
	g.lis = evconnlistener_new_bind(vg_core_base(), net_on_accept, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE,
	    NET_BACKLOG, ai->ai_addr, (int)ai->ai_addrlen);
	freeaddrinfo(ai);
	if (g.lis == NULL) {
		vg_log(VG_LOG_ERROR, "net: cannot listen on %s:%d: %s",
		    s->listen_addr, s->listen_port, strerror(errno));
		return (-1);
	}
	evconnlistener_set_error_cb(g.lis, net_on_accept_error);
	if (getsockname(evconnlistener_get_fd(g.lis), (struct sockaddr *)&ss,
	    &sl) == 0)
		g.port = ntohs(ss.ss_family == AF_INET6 ?
		    ((struct sockaddr_in6 *)&ss)->sin6_port :
		    ((struct sockaddr_in *)&ss)->sin_port);
	return (0);
}

/* Start listening. */
int
vg_net_start(const struct vg_settings *s)
{
	if (g.running) {
		vg_log(VG_LOG_ERROR, "net: already started");
		return (-1);
	}
	/* a peer that goes away must not kill the daemon with SIGPIPE
	 * (OpenSSL writes with write(2), without MSG_NOSIGNAL) */
	signal(SIGPIPE, SIG_IGN);
	g.max_body = s->max_body > 0 ? s->max_body : 1024 * 1024;
	g.max_ws_message = s->max_ws_message > 0 ? s->max_ws_message :
	    1024 * 1024;
	g.max_send_queue = s->max_send_queue > 0 ? s->max_send_queue :
	    4 * 1024 * 1024;
	memset(&g.st, 0, sizeof(g.st));
	net_idmap_init(&g.conns);
	/* getrandom(), not RAND_bytes(): OpenSSL is not started until a
	 * wss:// connection needs it */
	if (getrandom(&g.rng, sizeof(g.rng), 0) != sizeof(g.rng) ||
	    g.rng == 0)
		g.rng = 0x9E3779B97F4A7C15ULL;
	if (g.rbuf == NULL)
		g.rbuf = vg_xmalloc(NET_RBUF + 1);
	g.reap_ev = event_new(vg_core_base(), -1, 0, net_reap, NULL);
	g.flush_ev = event_new(vg_core_base(), -1, 0, net_flush_staged, NULL);
	g.relisten = evtimer_new(vg_core_base(), net_relisten, NULL);
	if (g.reap_ev == NULL || g.relisten == NULL || g.flush_ev == NULL ||
	    net_listen(s) == -1) {
		if (g.reap_ev != NULL)
			event_free(g.reap_ev);
		if (g.relisten != NULL)
			event_free(g.relisten);
		if (g.flush_ev != NULL)
			event_free(g.flush_ev);
		g.reap_ev = g.relisten = g.flush_ev = NULL;
		net_idmap_free(&g.conns);
		return (-1);
	}
	g.running = 1;
	g.accepting = 1;
	g.stopping = 0;
	vg_log(VG_LOG_NOTICE, "net: listening on %s:%d", s->listen_addr,
	    g.port);
	return (0);
}

/* The port bound. */
int
vg_net_port(void)
{
	return (g.port);
}

/* Refuse new connections from now on: accepted and hung up at once, so
 * that a client (or a load balancer) learns it without waiting. */
void
vg_net_stop_accepting(void)
{
	g.accepting = 0;
}

/* Close everything (the core side hears of every connection), free. */
void
vg_net_stop(void)
{
	struct net_conn *nc;

	if (!g.running)
		return;
	g.stopping = 1;
	g.accepting = 0;
	for (nc = g.all; nc != NULL; nc = nc->next) {
		if (nc->state == NS_OPEN) {
			/* one try at a polite close: no waiting for it */
			nc->busy++;
			net_ws_send_close(nc, VG_WS_CLOSE_GOING_AWAY,
			    "shutting down");
			nc->busy--;
		}
	}
	net_flush_staged(-1, 0, NULL);	/* what was said last goes out */
	for (nc = g.all; nc != NULL; nc = nc->next)
		net_drop(nc, VG_WS_CLOSE_GOING_AWAY, "shutting down");
	g.running = 0;		/* on_close handlers cannot open more */
	net_reap(-1, 0, NULL);	/* the core side hears of each */
	http_free();
	ws_free();
	if (g.lis != NULL)
		evconnlistener_free(g.lis);
	g.lis = NULL;
	event_free(g.reap_ev);
	event_free(g.relisten);
	event_free(g.flush_ev);
	g.reap_ev = g.relisten = g.flush_ev = NULL;
	free(g.stage);
	g.stage = NULL;
	g.stage_len = g.stage_cap = 0;
	net_idmap_free(&g.conns);
	free(g.scratch);
	g.scratch = NULL;
	free(g.rbuf);
	g.rbuf = NULL;
	g.scratch_cap = 0;
	if (g.tls != NULL)
		SSL_CTX_free(g.tls);
	g.tls = NULL;
	g.port = 0;
}

/* Release MOD's routes, endpoints and connections. */
unsigned
vg_net_release_owner(struct vg_module *mod)
{
	return (http_release_owner(mod) + ws_release_owner(mod));
}

/* A snapshot of the counters. */
void
vg_net_stats(struct vg_net_stats *st)
{
	*st = g.st;
}
