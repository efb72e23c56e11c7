/*
 * WebSockets for modules: endpoints on the daemon's listener and outbound
 * client connections (ws:// and wss://, the server's certificate checked
 * against the system's store or $SSL_CERT_FILE). Every callback here runs
 * on the core thread and every function is core-thread only. Sends are
 * copied and written at the end of the loop pass; a peer that reads too
 * slowly for its bounded send queue is dropped (close 1008), and a message
 * over the size limit closes with 1009.
 */
#ifndef VG_WS_H
#define VG_WS_H

#include <stddef.h>

struct vg_module;
struct vg_ws_conn;		/* one WebSocket, either direction */

/* Standard close codes used by the core. */
#define VG_WS_CLOSE_NORMAL	1000
#define VG_WS_CLOSE_GOING_AWAY	1001
#define VG_WS_CLOSE_PROTOCOL	1002
#define VG_WS_CLOSE_POLICY	1008
#define VG_WS_CLOSE_TOO_BIG	1009
#define VG_WS_CLOSE_ERROR	1011
#define VG_WS_CLOSE_ABNORMAL	1006	/* never sent: the link died */

/* The connection is open (server: upgraded; client: handshake done).
 * Return 0 to keep it, -1 to close it (policy violation). */
typedef int	(*vg_ws_open_fn)(struct vg_ws_conn *conn, void *arg);
/* One whole message (fragments joined). DATA is borrowed. */
typedef void	(*vg_ws_message_fn)(struct vg_ws_conn *conn, const void *data,
		    size_t len, int binary, void *arg);
/* The connection is gone (CODE from the peer, or VG_WS_CLOSE_ABNORMAL; for
 * a client that never connected, REASON says why). CONN is freed when this
 * returns. Always called once, unless the owner unloads first. */
typedef void	(*vg_ws_close_fn)(struct vg_ws_conn *conn, int code,
		    const char *reason, void *arg);

struct vg_ws_handlers {
	vg_ws_open_fn		 on_open;	/* may be NULL */
	vg_ws_message_fn	 on_message;
	vg_ws_close_fn		 on_close;	/* may be NULL */
};

/* Serve WebSocket upgrades on PATH (exact) for MOD. HANDLERS must outlive
 * the endpoint; PATH is copied. Returns 0, or -1 if PATH is taken. Removed
 * by vg_ws_unendpoint() or MOD's unload (which closes its connections). */
int		 vg_ws_endpoint(struct vg_module *mod, const char *path,
		    const struct vg_ws_handlers *handlers, void *arg);
void		 vg_ws_unendpoint(struct vg_module *mod, const char *path);

/* Open a client connection to URL (ws:// or wss://) with extra HEADERS
 * ("Name: value", NULL-ended, copied). Returns the connection at once;
 * on_open or on_close follows. NULL on a malformed URL (logged). */
struct vg_ws_conn *vg_ws_connect(struct vg_module *mod, const char *url,
		    const char *const *headers,
		    const struct vg_ws_handlers *handlers, void *arg);

/* Queue LEN bytes of DATA (copied) as one text or binary message. Returns 0,
 * or -1 if CONN is closing. */
int		 vg_ws_send(struct vg_ws_conn *conn, const void *data,
		    size_t len, int binary);

/* Start closing CONN with CODE and REASON; on_close follows. */
void		 vg_ws_close(struct vg_ws_conn *conn, int code,
		    const char *reason);

/* The module's own pointer for CONN. */
void		 vg_ws_set_data(struct vg_ws_conn *conn, void *data);
void		*vg_ws_data(const struct vg_ws_conn *conn);

/* Server connections: the upgrade request's path, query ("" if none), a
 * header by case-insensitive name (NULL if absent) and the peer address.
 * Borrowed from CONN. */
const char	*vg_ws_path(const struct vg_ws_conn *conn);
const char	*vg_ws_query(const struct vg_ws_conn *conn);
const char	*vg_ws_header(const struct vg_ws_conn *conn, const char *name);
const char	*vg_ws_peer(const struct vg_ws_conn *conn);

/* A process-unique id for CONN, for logs. */
unsigned long long vg_ws_id(const struct vg_ws_conn *conn);

#endif /* VG_WS_H */
