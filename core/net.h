/*
 * Net thread internals shared by net.c (the libwebsockets thread and the
 * hand-off), http.c (routes and requests, core side), ws.c (WebSocket
 * endpoints and connections, core side) and net_queue.c (the queues and
 * the id map). Never installed.
 *
 * The two threads share only: the two message queues, the table of kept
 * header names and the set of WebSocket endpoint paths (each under its own
 * mutex), and the counters (atomics). Messages name connections by id;
 * nothing holding a struct lws * ever leaves the net thread.
 */
#ifndef VG_NET_H
#define VG_NET_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

struct vg_module;

/* What a message asks for. */
enum net_msg_type {
	/* net thread -> core thread */
	NET_HTTP_REQ,		/* a whole request to dispatch */
	NET_HTTP_GONE,		/* the client of request ID went away */
	NET_WS_OPEN,		/* server connection ID upgraded */
	NET_WS_CONNECTED,	/* client connection ID handshake done */
	NET_WS_MSG,		/* one whole message on ID */
	NET_WS_CLOSED,		/* ID is gone: CODE, REASON */
	/* core thread -> net thread */
	NET_HTTP_RESP,		/* the answer to request ID */
	NET_WS_SEND,		/* queue DATA on ID */
	NET_WS_CLOSE,		/* close ID with CODE, REASON */
	NET_WS_CONNECT,		/* open client connection ID */
};

/* One header, name and value both owned by whoever holds the array. */
struct net_hdr {
	char		*name;
	char		*value;
};

struct net_pool;

/*
 * One queue entry. Every pointer is owned by the message; a consumer may
 * steal one by setting it to NULL before net_msg_free().
 */
struct net_msg {
	struct net_msg	*next;
	struct net_pool	*pool;		/* where it goes back, or NULL */
	enum net_msg_type type;
	uint64_t	 id;
	int		 code;		/* HTTP status, or close code */
	int		 binary;	/* WebSocket message type */
	char		*reason;	/* close reason */
	char		*method;	/* request, or connect: "ws"/"wss" */
	char		*path;
	char		*query;
	char		*peer;		/* request; connect: host name */
	int		 port;		/* connect */
	struct net_hdr	*hdrs;		/* request or response headers */
	size_t		 nhdrs;
	char		*data;		/* body or payload (see off) */
	size_t		 off;		/* payload starts at data + off */
	size_t		 len;		/* payload bytes */
};

/*
 * A pool of message blocks with room for NET_POOL_DATA bytes of data, for
 * one thread's messages (net_pool_use()): that thread takes blocks, any
 * thread gives them back (a lock-free stack the owner empties all at
 * once, so no ABA). A message freed on the other thread thus returns to
 * the allocating thread's pool instead of crossing malloc arenas. At most
 * NET_POOL_MAX blocks wait in a pool; beyond, they are freed.
 */
#define NET_POOL_DATA	1024
#define NET_POOL_MAX	512
struct net_pool {
	struct net_msg	*shared;	/* given back; atomic */
	size_t		 shared_n;	/* atomic */
	struct net_msg	*priv;		/* the owner's */
	size_t		 priv_n;
};

/* Take blocks from P in this thread from now on (NULL: plain malloc). */
void		 net_pool_use(struct net_pool *p);
/* Free the blocks waiting in P. Only once no thread uses it. */
void		 net_pool_drain(struct net_pool *p);

/* Build and free messages. */
struct net_msg	*net_msg_new(enum net_msg_type type, uint64_t id);
/* A message whose DATA is in the same allocation: OFF + LEN + 1 bytes,
 * payload at DATA + OFF (LEN set; the bytes are the caller's to fill).
 * Such a DATA cannot be stolen. */
struct net_msg	*net_msg_new_data(enum net_msg_type type, uint64_t id,
		    size_t off, size_t len);
void		 net_msg_free(struct net_msg *m);
/* Free M and every message after it (linked by next). */
void		 net_msg_free_list(struct net_msg *m);
/* Append a copy of NAME: VALUE to M's headers. */
void		 net_msg_add_hdr(struct net_msg *m, const char *name,
		    const char *value);
/* A header of M by case-insensitive name, or NULL. */
const char	*net_msg_hdr(const struct net_msg *m, const char *name);

/* A bounded FIFO of messages between the threads. */
struct net_queue {
	pthread_mutex_t	 lock;
	struct net_msg	*head;
	struct net_msg	*tail;
	size_t		 depth;		/* written under lock, atomically */
	size_t		 max;
	size_t		 high_water;
	int		 waiting;	/* the taker sleeps; atomic */
};

void		 net_queue_init(struct net_queue *q, size_t max);
/* Drop everything queued and the lock. */
void		 net_queue_destroy(struct net_queue *q);
/* Append M (taken on success); FORCE ignores the bound. Sets *WAKE when
 * the taker must be woken (see net_queue_arm()). Returns 0, or -1 when the
 * queue is full (M stays the caller's). Any thread. */
int		 net_queue_push(struct net_queue *q, struct net_msg *m,
		    int force, int *wake);
/* Append the N messages HEAD..TAIL (linked by next, taken) whatever the
 * bound, with one lock. Returns 1 when the taker was armed and must now be
 * woken (it has been disarmed), else 0. Any thread. */
int		 net_queue_push_list(struct net_queue *q, struct net_msg *head,
		    struct net_msg *tail, size_t n);
/* The wake-up handshake. The taker calls net_queue_arm() when it has
 * taken everything and is about to sleep until woken; a pusher that finds
 * it armed disarms it and must wake it (net_queue_push_list() returns 1).
 * Both sides fence between their write and their read, so either the
 * pusher sees the taker armed or the taker sees the message: none is
 * stranded, and a busy taker is never woken. */
/* Arm Q's taker. Returns 0: sleep (a wake-up will come for anything
 * pushed from now on), or 1: messages are queued and no wake-up will come
 * for them, take them now. Taker's thread. */
int		 net_queue_arm(struct net_queue *q);
/* Take the whole queue as a list, oldest first (NULL when empty). */
struct net_msg	*net_queue_take(struct net_queue *q);
/* The number of messages queued, read without the lock: a hint for the
 * bound, exact only to the thread that alone takes. Any thread. */
size_t		 net_queue_depth(struct net_queue *q);
size_t		 net_queue_high_water(struct net_queue *q);

/* A map from connection id to pointer, owned by one thread. */
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

/* A fresh process-unique connection id. Any thread. */
uint64_t	 net_new_id(void);
/* Hand M to the net thread (taken, even on failure). Core thread.
 * Returns 0, or -1 when the net thread is not running or is saturated. */
int		 net_to_net(struct net_msg *m);
/* True while the net thread runs. Core thread. */
int		 net_running(void);
/* The limits in force (copied at vg_net_start()). */
size_t		 net_max_body(void);
/* Count one request answered 413 or one message closed 1009. */
void		 net_count_oversize(void);
/* Keep header NAME for MOD's sake / forget MOD's. Core thread. */
int		 net_keep_header(struct vg_module *mod, const char *name);
unsigned	 net_unkeep_headers(struct vg_module *mod);

/* ---- http.c (core thread) ---- */

/* Dispatch a NET_HTTP_REQ (taken) or NET_HTTP_GONE. */
void		 http_dispatch(struct net_msg *m);
unsigned	 http_release_owner(struct vg_module *mod);
/* Answer every pending request 503 and forget the routes (stop). */
void		 http_free(void);

/* ---- ws.c ---- */

/* Dispatch a NET_WS_* message (taken). Core thread. */
void		 ws_dispatch(struct net_msg *m);
unsigned	 ws_release_owner(struct vg_module *mod);
/* True when PATH has an endpoint. Any thread. */
int		 ws_endpoint_exists(const char *path);
/* Forget every connection, without callbacks (stop). Core thread. */
void		 ws_free(void);

#endif /* VG_NET_H */
