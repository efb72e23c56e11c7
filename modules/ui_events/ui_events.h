/*
 * ui_events internals shared by its files and its tests: the module state,
 * the static file cache, sessions and credentials, and the per-client feed
 * queue. Everything here is core-thread only; the pure helpers (marked)
 * may run anywhere.
 */
#ifndef VG_UI_EVENTS_H
#define VG_UI_EVENTS_H

#include <stddef.h>
#include <stdint.h>

struct json_object;
struct vg_call;
struct vg_http_fetch;
struct vg_http_req;
struct vg_metric;
struct vg_module;
struct vg_sub;
struct vg_timer;
struct vg_ws_conn;

#define UI_FEED_PATH		"/twilio/events"
#define UI_COOKIE		"vg_session"
#define UI_TOKEN_BYTES	32		/* token: 64 hex */
#define UI_SESSIONS_MAX	256		/* live sessions at most */
#define UI_WWW_FILES_MAX 32		/* files served from www_dir */
#define UI_WWW_FILE_MAX	(1024 * 1024)	/* one file, bytes */
#define UI_WWW_NAME_MAX		64		/* one file name */
#define UI_BODY_MAX		(64 * 1024)	/* an API request body */
#define UI_KEY_MAX		512		/* a key given at login */
#define UI_PATH_MAX		512

/* One file of www_dir, read whole at load. */
struct ui_file {
	char		 name[UI_WWW_NAME_MAX];	/* "app.js" */
	char		 route[UI_WWW_NAME_MAX + 1];	/* "/app.js" */
	const char	*type;			/* Content-Type */
	char		*data;
	size_t		 len;
	char		 etag[24];		/* "\"" + 16 hex + "\"" */
	char		 last_modified[40];	/* RFC 7231 date */
};

/* One logged-in browser. */
struct ui_session {
	char		 token[2 * UI_TOKEN_BYTES + 1]; /* "": free */
	uint64_t	 expires_ms;			/* monotonic */
};

/* One queued feed message. */
struct ui_msg {
	struct ui_msg	*next;
	char		*text;
	size_t		 len;
	char		 item[64];	/* a partial's call/item */
};

/* A bounded queue of messages for one feed client. */
struct ui_outbox {
	struct ui_msg	*head;
	struct ui_msg	*tail;
	size_t		 count;
	size_t		 bytes;
	size_t		 max_count;
	size_t		 max_bytes;
};

/* One feed client: a WebSocket on UI_FEED_PATH. */
struct ui_client {
	struct vg_ws_conn *conn;		/* borrowed from the core */
	char		 call_id[64];	/* filter; "" for all */
	struct ui_outbox box;
	uint64_t	 sent;
	unsigned	 dropped:1;	/* closed by us: queue full */
	struct ui_client *prev;
	struct ui_client *next;
};

/* A POST /api/calls forwarded to twilio_http, until its answer. */
struct ui_fwd {
	struct vg_http_req *req;
	struct vg_http_fetch *fetch;
	struct ui_fwd	*prev;
	struct ui_fwd	*next;
};

/* The configuration in force. */
struct ui_conf {
	char		*api_key;		/* "" : refuse everyone */
	char		 www_dir[UI_PATH_MAX];
	char		 self_url[UI_PATH_MAX]; /* our own listener */
	size_t		 queue_max;	/* per client, messages */
	size_t		 queue_max_bytes;	/* per client, bytes */
	long long	 max_clients;
	long long	 session_ttl_s;
	int		 cookie_secure;	/* -1 auto, 0 no, 1 yes */
};

/* The module's state (ui_events.c owns it). */
struct ui_state {
	struct vg_module *self;
	struct ui_conf	 conf;
	struct ui_file	 files[UI_WWW_FILES_MAX];
	size_t		 nfiles;
	struct ui_session sessions[UI_SESSIONS_MAX];
	struct ui_client *clients;
	unsigned	 nclients;
	struct ui_fwd	*fwds;
	struct vg_sub	*sub;
	struct vg_timer	*flush_timer;
	struct vg_metric *m_clients;
	struct vg_metric *m_messages;
	struct vg_metric *m_dropped;
	struct vg_metric *m_auth_fail;
	unsigned	 routed:1;
	unsigned	 endpoint:1;
	unsigned	 cli_added:1;
};

extern struct ui_state ui_g;

/* ---- ui_events_www.c: static files (pure helpers marked) ---- */

/* The Content-Type for file NAME, by its extension. Pure. */
const char	*ui_www_type(const char *name);
/* True when NAME may be served: letters, digits, '.', '-', '_', no
 * leading '.', no "..", at most UI_WWW_NAME_MAX - 1 bytes. Pure. */
int		 ui_www_name_ok(const char *name);
/* Read every servable regular file of DIR (at most UI_WWW_FILES_MAX, each
 * at most UI_WWW_FILE_MAX bytes) into FILES. Returns how many, or -1 when
 * DIR cannot be read or has no index.html (logged). Load time only: plain
 * file I/O. */
int		 ui_www_load(const char *dir, struct ui_file *files,
		    size_t max);
/* Free what ui_www_load() read. */
void		 ui_www_free(struct ui_file *files, size_t n);
/* The file for request PATH ("/" is index.html), or NULL. Pure. */
const struct ui_file *ui_www_find(const struct ui_file *files, size_t n,
		    const char *path);

/* ---- ui_events_auth.c: keys, sessions, cookies ---- */

/* Compare KEY with the configured api_key in constant time (digests, so
 * neither content nor length leaks). False when no key is configured. */
int		 ui_auth_key_ok(const char *key);
/* The value of cookie NAME in a Cookie header, copied into OUT; -1 when
 * absent or too long. Pure. */
int		 ui_auth_cookie(const char *header, const char *name,
		    char *out, size_t size);
/* True when the request headers (Authorization and Cookie values, either
 * may be NULL) carry the key or a live session. */
int		 ui_auth_check(const char *authorization,
		    const char *cookie);
/* Start a session; its token goes into TOKEN. Returns 0, or -1 when no
 * random bytes were available. */
int		 ui_session_new(char token[2 * UI_TOKEN_BYTES + 1]);
/* End the session of TOKEN, if any. */
void		 ui_session_end(const char *token);
/* Forget every session (key changed, unload). */
void		 ui_session_clear(void);
/* Live sessions now. */
unsigned	 ui_session_count(void);
/* True when ORIGIN (an Origin header, may be NULL) is HOST's own or
 * absent. Pure. */
int		 ui_auth_same_origin(const char *origin, const char *host);

/* ---- ui_events_feed.c: the WebSocket feed ---- */

/* Append TEXT (LEN bytes, copied) to BOX; a partial of ITEM ("" none)
 * replaces the queued partial of the same item. Returns 0, or -1 when BOX
 * would exceed its bounds (nothing queued). Pure. */
int		 ui_outbox_push(struct ui_outbox *box, const char *text,
		    size_t len, const char *item);
/* Take the oldest message (caller frees with ui_msg_free), or NULL. */
struct ui_msg	*ui_outbox_pop(struct ui_outbox *box);
/* Put M back at the front (a send that could not be made). */
void		 ui_outbox_unpop(struct ui_outbox *box, struct ui_msg *m);
void		 ui_outbox_clear(struct ui_outbox *box);
void		 ui_msg_free(struct ui_msg *m);

/* A call as the page shows it: {call_id, direction, from, to, state,
 * started, task_type, call_sid}. Returns new. */
struct json_object *ui_call_json(struct vg_call *call);
/* Active calls (only CALL_ID's when not NULL/""), as a JSON array.
 * Returns new. */
struct json_object *ui_calls_json(const char *call_id);
/* Register the endpoint and the bus subscription. Returns 0 or -1. */
int		 ui_feed_start(void);
/* Close every client (1001) and stop. */
void		 ui_feed_stop(void);

/* ---- ui_events_http.c: routes ---- */

/* Register every route (static files, login, API). Returns 0 or -1. */
int		 ui_http_start(void);
/* Unregister them; answer forwarded requests still pending 503. */
void		 ui_http_stop(void);

#endif /* VG_UI_EVENTS_H */
