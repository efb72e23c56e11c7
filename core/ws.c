/*
 * WebSockets, core side: endpoints on the daemon's listener, the
 * connection objects modules hold (server and client), and the callbacks.
 * The bytes are net.c's; here we only see whole messages, opens and
 * closes, by connection id. Core thread only.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <voicegate/voicegate.h>

#include "core.h"
#include "net.h"

/* One endpoint: upgrades on PATH go to HANDLERS. */
struct ws_endpoint {
	struct ws_endpoint		*next;
	struct vg_module		*mod;
	char				*path;
	const struct vg_ws_handlers	*h;
	void				*arg;
};

/* One WebSocket as a module sees it. Owned by the core: valid until
 * on_close returns (or its owner is released). */
struct vg_ws_conn {
	uint64_t			 id;
	struct vg_module		*mod;
	const struct vg_ws_handlers	*h;
	void				*arg;
	void				*data;		/* the module's */
	struct net_msg			*info;		/* path, query, ... */
	void				*net;		/* net.c's handle */
	unsigned			 client:1;
	unsigned			 closing:1;	/* vg_ws_close() called */
	unsigned			 released:1;	/* no more callbacks */
};

static struct {
	struct ws_endpoint	*eps;
	struct net_idmap	 conns;		/* id -> conn */
} g_ws;

/* The endpoint for PATH, or NULL. */
static struct ws_endpoint *
ws_endpoint_find(const char *path)
{
	struct ws_endpoint *ep;

	for (ep = g_ws.eps; ep != NULL; ep = ep->next)
		if (strcmp(ep->path, path) == 0)
			return (ep);
	return (NULL);
}

/* True when PATH has an endpoint. */
int
ws_endpoint_exists(const char *path)
{
	return (ws_endpoint_find(path) != NULL);
}

/* Serve upgrades on PATH for MOD. */
int
vg_ws_endpoint(struct vg_module *mod, const char *path,
    const struct vg_ws_handlers *handlers, void *arg)
{
	struct ws_endpoint *ep;

	if (path[0] != '/' || handlers == NULL) {
		vg_log(VG_LOG_ERROR, "ws: bad endpoint %s", path);
		return (-1);
	}
	if (ws_endpoint_find(path) != NULL) {
		vg_log(VG_LOG_ERROR, "ws: endpoint %s is taken", path);
		return (-1);
	}
	ep = vg_xcalloc(1, sizeof(*ep));
	ep->mod = mod;
	ep->path = vg_xstrdup(path);
	ep->h = handlers;
	ep->arg = arg;
	ep->next = g_ws.eps;
	g_ws.eps = ep;
	return (0);
}

/* Remove MOD's endpoint on PATH (open connections stay). */
void
vg_ws_unendpoint(struct vg_module *mod, const char *path)
{
	struct ws_endpoint **epp, *ep;

	for (epp = &g_ws.eps; (ep = *epp) != NULL; epp = &ep->next) {
		if (ep->mod != mod || strcmp(ep->path, path) != 0)
			continue;
		*epp = ep->next;
		free(ep->path);
		free(ep);
		break;
	}
}

/* Make sure the connection map exists. */
static void
ws_init(void)
{
	if (g_ws.conns.buckets == NULL)
		net_idmap_init(&g_ws.conns);
}

/* Free CONN (no callbacks). */
static void
ws_conn_free(struct vg_ws_conn *conn)
{
	net_msg_free(conn->info);
	free(conn);
}

/* Ask net.c to close ID with CODE and REASON. */
static int
ws_post_close(uint64_t id, int code, const char *reason)
{
	struct net_msg *m;

	m = net_msg_new(NET_WS_CLOSE, id);
	m->code = code;
	m->reason = vg_xstrdup(reason != NULL ? reason : "");
	return (net_act(m));
}

/* A server connection opened: find its endpoint and call on_open. */
static void
ws_opened(struct net_msg *m)
{
	struct ws_endpoint *ep;
	struct vg_ws_conn *conn;

	conn = vg_xcalloc(1, sizeof(*conn));
	if ((ep = ws_endpoint_find(m->path)) != NULL) {
		conn->mod = ep->mod;
		conn->h = ep->h;
		conn->arg = ep->arg;
	}
	conn->id = m->id;
	conn->info = m;
	if (ep == NULL) {
		/* the endpoint went away during the upgrade */
		ws_post_close(conn->id, VG_WS_CLOSE_GOING_AWAY, "no endpoint");
		ws_conn_free(conn);
		return;
	}
	net_idmap_put(&g_ws.conns, conn->id, conn);
	conn->net = net_ws_attach(conn->id, conn);
	if (conn->h->on_open != NULL && conn->h->on_open(conn, conn->arg) ==
	    -1)
		vg_ws_close(conn, VG_WS_CLOSE_POLICY, "refused");
}

/* Dispatch an open, a client's handshake done, or a close (taken). */
void
ws_dispatch(struct net_msg *m)
{
	struct vg_ws_conn *conn;

	ws_init();
	if (m->type == NET_WS_OPEN) {
		ws_opened(m);
		return;
	}
	if (m->type == NET_WS_CLOSED) {
		conn = net_idmap_del(&g_ws.conns, m->id);
		if (conn != NULL && !conn->released &&
		    conn->h->on_close != NULL)
			conn->h->on_close(conn, m->code,
			    m->reason != NULL ? m->reason : "", conn->arg);
		if (conn != NULL)
			ws_conn_free(conn);
		net_msg_free(m);
		return;
	}
	conn = net_idmap_get(&g_ws.conns, m->id);
	if (conn == NULL || conn->released || conn->closing) {
		net_msg_free(m);	/* stale: dropped quietly */
		return;
	}
	if (m->type == NET_WS_CONNECTED && conn->h->on_open != NULL &&
	    conn->h->on_open(conn, conn->arg) == -1)
		vg_ws_close(conn, VG_WS_CLOSE_POLICY, "refused");
	net_msg_free(m);
}

/* One whole message for CONN: the hot path, no lookup, no allocation. */
void
ws_deliver(void *upper, const void *data, size_t len, int binary)
{
	struct vg_ws_conn *conn = upper;

	if (conn->released || conn->closing || conn->h->on_message == NULL)
		return;		/* stale: dropped quietly */
	conn->h->on_message(conn, data, len, binary, conn->arg);
}

/* Split URL into scheme, host, port and path (with query) in M. Returns 0
 * or -1 if malformed. */
static int
ws_parse_url(const char *url, struct net_msg *m)
{
	const char *p, *host, *hend, *slash;
	char *end;
	long port;
	int tls;

	if (strncmp(url, "ws://", 5) == 0) {
		tls = 0;
		p = url + 5;
	} else if (strncmp(url, "wss://", 6) == 0) {
		tls = 1;
		p = url + 6;
	} else
		return (-1);
	slash = p + strcspn(p, "/?");
	if (*p == '[') {
		host = p + 1;
		if ((hend = memchr(host, ']', (size_t)(slash - host))) == NULL)
			return (-1);
		p = hend + 1;
	} else {
		host = p;
		hend = memchr(p, ':', (size_t)(slash - p));
		if (hend == NULL)
			hend = slash;
		p = hend;
	}
	if (hend == host)
		return (-1);
	port = tls ? 443 : 80;
	if (*p == ':') {
		port = strtol(p + 1, &end, 10);
		if (end != slash || port <= 0 || port > 65535)
			return (-1);
	} else if (p != slash)
		return (-1);
	m->method = vg_xstrdup(tls ? "wss" : "ws");
	m->peer = vg_xstrndup(host, (size_t)(hend - host));
	m->port = (int)port;
	if (*slash == '/')
		m->path = vg_xstrdup(slash);
	else
		m->path = vg_asprintf("/%s", slash);
	return (0);
}

/* Open a client connection to URL for MOD. */
struct vg_ws_conn *
vg_ws_connect(struct vg_module *mod, const char *url,
    const char *const *headers, const struct vg_ws_handlers *handlers,
    void *arg)
{
	struct vg_ws_conn *conn;
	struct net_msg *m;
	const char *colon;
	char *name;
	size_t i;

	ws_init();
	m = net_msg_new(NET_WS_CONNECT, 0);
	if (ws_parse_url(url, m) == -1) {
		vg_log(VG_LOG_ERROR, "ws: bad url \"%s\"", url);
		goto fail;
	}
	for (i = 0; headers != NULL && headers[i] != NULL; i++) {
		if ((colon = strchr(headers[i], ':')) == NULL ||
		    strpbrk(headers[i], "\r\n") != NULL) {
			vg_log(VG_LOG_ERROR, "ws: bad header for %s", url);
			goto fail;
		}
		name = vg_xstrndup(headers[i], (size_t)(colon - headers[i]));
		colon++;
		while (*colon == ' ')
			colon++;
		net_msg_add_hdr(m, name, colon);
		free(name);
	}
	conn = vg_xcalloc(1, sizeof(*conn));
	conn->id = m->id = net_new_id();
	conn->mod = mod;
	conn->h = handlers;
	conn->arg = arg;
	conn->client = 1;
	conn->info = net_msg_new(NET_WS_CONNECT, conn->id);
	conn->info->path = vg_xstrndup(m->path, strcspn(m->path, "?"));
	conn->info->query = vg_xstrdup(m->path[strcspn(m->path, "?")] ==
	    '?' ? m->path + strcspn(m->path, "?") + 1 : "");
	conn->info->peer = vg_xstrdup(m->peer);
	if (!net_running()) {
		vg_log(VG_LOG_ERROR, "ws: cannot connect to %s: the listener "
		    "is not running", url);
		net_msg_free(m);
		ws_conn_free(conn);
		return (NULL);
	}
	/* known before net.c can report on it (it never does so before
	 * this returns) */
	net_idmap_put(&g_ws.conns, conn->id, conn);
	net_act(m);
	conn->net = net_ws_attach(conn->id, conn);
	return (conn);

fail:
	net_msg_free(m);
	return (NULL);
}

/* Queue a copy of DATA on CONN. */
int
vg_ws_send(struct vg_ws_conn *conn, const void *data, size_t len,
    int binary)
{
	if (conn->closing || conn->released || conn->net == NULL)
		return (-1);
	return (net_ws_send_to(conn->net, data, len, binary != 0));
}

/* Start closing CONN; on_close follows. */
void
vg_ws_close(struct vg_ws_conn *conn, int code, const char *reason)
{
	if (conn->closing)
		return;
	conn->closing = 1;
	ws_post_close(conn->id, code, reason);
}

/* Set the module's pointer on CONN. */
void
vg_ws_set_data(struct vg_ws_conn *conn, void *data)
{
	conn->data = data;
}

/* The module's pointer on CONN. */
void *
vg_ws_data(const struct vg_ws_conn *conn)
{
	return (conn->data);
}

/* The upgrade request's path (client: the URL's). */
const char *
vg_ws_path(const struct vg_ws_conn *conn)
{
	return (conn->info->path != NULL ? conn->info->path : "");
}

/* The upgrade request's query, "" if none. */
const char *
vg_ws_query(const struct vg_ws_conn *conn)
{
	return (conn->info->query != NULL ? conn->info->query : "");
}

/* An upgrade request header by case-insensitive name, or NULL. */
const char *
vg_ws_header(const struct vg_ws_conn *conn, const char *name)
{
	return (net_msg_hdr(conn->info, name));
}

/* The peer's address (client: the host connected to). */
const char *
vg_ws_peer(const struct vg_ws_conn *conn)
{
	return (conn->info->peer != NULL ? conn->info->peer : "");
}

/* CONN's process-unique id. */
unsigned long long
vg_ws_id(const struct vg_ws_conn *conn)
{
	return ((unsigned long long)conn->id);
}

/* Remove MOD's endpoints and close its connections without callbacks. */
unsigned
ws_release_owner(struct vg_module *mod)
{
	struct ws_endpoint **epp, *ep;
	struct vg_ws_conn *conn;
	void **all;
	size_t i, n;
	unsigned count = 0;
	int rc;

	for (epp = &g_ws.eps; (ep = *epp) != NULL;) {
		if (ep->mod != mod) {
			epp = &ep->next;
			continue;
		}
		*epp = ep->next;
		free(ep->path);
		free(ep);
		count++;
	}
	all = net_idmap_all(&g_ws.conns, &n);
	for (i = 0; i < n; i++) {
		conn = all[i];
		if (conn->mod != mod || conn->released)
			continue;
		conn->released = 1;
		/* One the module closed itself is not left behind: only its
		 * on_close is still to come, and is dropped. */
		if (!conn->closing)
			count++;
		rc = net_running() ? 0 : -1;
		if (!conn->closing) {
			conn->closing = 1;
			rc = ws_post_close(conn->id, VG_WS_CLOSE_GOING_AWAY,
			    "module unloaded");
		}
		if (rc == -1) {
			/* no listener to report the close: free it now */
			net_idmap_del(&g_ws.conns, conn->id);
			ws_conn_free(conn);
		}
	}
	free(all);
	return (count);
}

/* The net has stopped: free what is left, without callbacks. */
void
ws_free(void)
{
	void **all;
	size_t i, n;

	all = net_idmap_all(&g_ws.conns, &n);
	for (i = 0; i < n; i++)
		ws_conn_free(all[i]);
	free(all);
	net_idmap_free(&g_ws.conns);
}
