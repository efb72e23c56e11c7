/*
 * The network layer's internals shared by net.c (the listener and every
 * connection's bytes: HTTP/1.1, WebSocket framing, TLS for clients),
 * http.c (routes and requests), ws.c (WebSocket endpoints and the
 * connections modules hold) and net_msg.c (messages and id maps). All of
 * it runs on the core thread, on the core's libevent loop. Never
 * installed.
 *
 * net.c and the core side name connections by id, never by pointer: an id
 * that has gone away is dropped quietly, so neither side can hold the
 * other's freed memory.
 */
#ifndef VG_NET_H
#define VG_NET_H

#include <stddef.h>
#include <stdint.h>

struct vg_module;

/* What a message asks for. */
enum net_msg_type {
	/* net.c -> core side */
	NET_HTTP_REQ,		/* a whole request to dispatch */
	NET_HTTP_GONE,		/* the client of request ID went away */
	NET_WS_OPEN,		/* server connection ID upgraded */
	NET_WS_CONNECTED,	/* client connection ID handshake done */
	NET_WS_CLOSED,		/* ID is gone: CODE, REASON */
	/* core side -> net.c */
	NET_HTTP_RESP,		/* the answer to request ID */
	NET_WS_CLOSE,		/* close ID with CODE, REASON */
	NET_WS_CONNECT,		/* open client connection ID */
};

/* One header, name and value both owned by whoever holds the array. */
struct net_hdr {
	char		*name;
	char		*value;
};

/*
 * One message. Every pointer is owned by the message; a consumer may
 * steal one by setting it to NULL before net_msg_free().
 */
struct net_msg {
	enum net_msg_type type;
	uint64_t	 id;
	int		 code;		/* HTTP status, or close code */
	char		*reason;	/* close reason */
	char		*method;	/* request, or connect: "ws"/"wss" */
	char		*path;
	char		*query;
	char		*peer;		/* request; connect: host name */
	int		 port;		/* connect */
	struct net_hdr	*hdrs;		/* request or response headers */
	size_t		 nhdrs;
	char		*data;		/* the request's or answer's body */
	size_t		 len;		/* its bytes */
};

/* Build and free messages. */
struct net_msg	*net_msg_new(enum net_msg_type type, uint64_t id);
void		 net_msg_free(struct net_msg *m);
/* Append a copy of NAME: VALUE to M's headers. */
void		 net_msg_add_hdr(struct net_msg *m, const char *name,
		    const char *value);
/* A header of M by case-insensitive name, or NULL. */
const char	*net_msg_hdr(const struct net_msg *m, const char *name);

/* A map from connection id to pointer. */
struct net_idmap_ent;
struct net_idmap {
	struct net_idmap_ent **buckets;
	size_t		 nbuckets;
	size_t		 count;
};

void		 net_idmap_init(struct net_idmap *map);
void		 net_idmap_free(struct net_idmap *map);
void		 net_idmap_put(struct net_idmap *map, uint64_t id, void *p);
void		*net_idmap_get(const struct net_idmap *map, uint64_t id);
/* Remove ID; returns what it mapped to, or NULL. */
void		*net_idmap_del(struct net_idmap *map, uint64_t id);
/* Every pointer in the map, as a new array of *N (caller frees). */
void		**net_idmap_all(const struct net_idmap *map, size_t *n);

/* ---- net.c ---- */

/* A fresh process-unique connection id (never 0). */
uint64_t	 net_new_id(void);
/* Act on M (taken) from the core side: an HTTP answer, a close, a client
 * connection to open. Returns 0, or -1 when the listener is not running
 * (M freed). May call back into http.c or ws.c (a connection that fails
 * at once is reported closed before this returns). */
int		 net_act(struct net_msg *m);
/* Give WebSocket ID the core side's object UPPER: its messages go to
 * ws_deliver(UPPER, ...). Returns the connection's handle for
 * net_ws_send_to() (valid until ws_dispatch() reports ID closed), or NULL
 * when ID is gone. The hot path then needs no lookup either way. */
void		*net_ws_attach(uint64_t id, void *upper);
/* Send LEN bytes of DATA as one message on the connection NET (copied or
 * written at once). Returns 0, or -1 when it is gone or closing. */
int		 net_ws_send_to(void *net, const void *data, size_t len,
		    int binary);
/* The same by id (-1 when ID is unknown). */
int		 net_ws_send(uint64_t id, const void *data, size_t len,
		    int binary);
/* True while the listener runs. */
int		 net_running(void);
/* Count one request answered 413 or one message closed 1009. */
void		 net_count_oversize(void);
/* Check header NAME for vg_http_keep_header() (every header is kept).
 * Returns 0, or -1 (logged) when NAME is not a header name. */
int		 net_keep_header(struct vg_module *mod, const char *name);

/* ---- http.c ---- */

/* Dispatch a NET_HTTP_REQ (taken) or NET_HTTP_GONE. */
void		 http_dispatch(struct net_msg *m);
unsigned	 http_release_owner(struct vg_module *mod);
/* The listener has stopped: pending requests are marked gone (a late
 * answer is dropped); the routes stay until their owners release them. */
void		 http_free(void);

/* ---- ws.c ---- */

/* Dispatch a NET_WS_OPEN, NET_WS_CONNECTED or NET_WS_CLOSED (taken). */
void		 ws_dispatch(struct net_msg *m);
/* One whole message (LEN bytes at DATA, NUL-terminated, borrowed) for
 * UPPER, the object given to net_ws_attach(). */
void		 ws_deliver(void *upper, const void *data, size_t len,
		    int binary);
unsigned	 ws_release_owner(struct vg_module *mod);
/* True when PATH has an endpoint. */
int		 ws_endpoint_exists(const char *path);
/* Forget every connection, without callbacks (stop). */
void		 ws_free(void);

#endif /* VG_NET_H */
