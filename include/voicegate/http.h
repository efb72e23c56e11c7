/*
 * HTTP for modules: routes on the daemon's listener (one port serves HTTP
 * and WebSocket), and an asynchronous HTTP client. Every callback here
 * runs on the core thread, and every function is core-thread only.
 */
#ifndef VG_HTTP_H
#define VG_HTTP_H

#include <stddef.h>

struct vg_module;
struct vg_http_req;		/* one request to answer */
struct vg_http_fetch;		/* one outbound request in flight */

/* A route handler. Answer REQ now or later with vg_http_respond(); until
 * then REQ stays valid (even if the client has gone: the answer is then
 * dropped). */
typedef void	(*vg_http_fn)(struct vg_http_req *req, void *arg);

/*
 * Route METHOD ("GET", "POST", ...; "*" for any) and PATH to FN for MOD.
 * PATH is exact, or a prefix when its last character is a '*' following a
 * '/': "/ui/" then '*' serves "/ui/" and everything below it. Borrows
 * the strings. Returns 0, or -1 if the route is taken. Removed by
 * vg_http_unroute() or MOD's unload.
 */
int		 vg_http_route(struct vg_module *mod, const char *method,
		    const char *path, vg_http_fn fn, void *arg);
void		 vg_http_unroute(struct vg_module *mod, const char *method,
		    const char *path);

/* Ask the listener to keep request header NAME (beyond the standard ones,
 * which are always kept), e.g. "X-Twilio-Signature", until MOD unloads.
 * Returns 0 or -1. */
int		 vg_http_keep_header(struct vg_module *mod, const char *name);

/* Request accessors. Borrowed from REQ. */
const char	*vg_http_req_method(const struct vg_http_req *req);
const char	*vg_http_req_path(const struct vg_http_req *req);
/* The raw query string without '?', "" when none. */
const char	*vg_http_req_query(const struct vg_http_req *req);
/* A header by case-insensitive name, or NULL. */
const char	*vg_http_req_header(const struct vg_http_req *req,
		    const char *name);
/* The body (NUL-terminated for convenience) and its length. */
const char	*vg_http_req_body(const struct vg_http_req *req, size_t *len);
/* The peer's address as text. */
const char	*vg_http_req_peer(const struct vg_http_req *req);

/* Add a response header before answering. Copies. */
void		 vg_http_add_header(struct vg_http_req *req, const char *name,
		    const char *value);

/* Answer REQ with STATUS, CONTENT_TYPE (NULL: none) and LEN bytes of BODY
 * (copied). Frees REQ. Returns 0, or -1 when the client had gone. */
int		 vg_http_respond(struct vg_http_req *req, int status,
		    const char *content_type, const void *body, size_t len);

/* Answer with a short JSON error body {"error": MESSAGE}. Frees REQ. */
int		 vg_http_respond_error(struct vg_http_req *req, int status,
		    const char *message);

/* Decode one application/x-www-form-urlencoded or query string: calls FN
 * for each pair, decoded; stops when FN returns non-zero. Returns 0, or -1 on
 * malformed input. */
typedef int	(*vg_form_fn)(const char *key, const char *value, void *arg);
int		 vg_form_parse(const char *s, size_t len, vg_form_fn fn,
		    void *arg);

/* Percent-encode S for a form or query (space as %20). Returns new. */
char		*vg_url_encode(const char *s);

/* ---- the client ---- */

/* What came back. Borrowed for the duration of the callback. */
struct vg_http_result {
	int		 status;	/* HTTP status, 0 if none arrived */
	const char	*error;		/* NULL, or why no status arrived */
	int		 timed_out;	/* the timeout fired */
	const char	*body;		/* NUL-terminated */
	size_t		 body_len;
	const char	*content_type;	/* NULL if none */
};

/* Called once per fetch, on the core thread, unless cancelled first. */
typedef void	(*vg_http_fetch_fn)(const struct vg_http_result *res,
		    void *arg);

/* An outbound request. Strings are borrowed for the call only. */
struct vg_http_request {
	const char		*method;	/* NULL: GET, or POST if body */
	const char		*url;
	const char *const	*headers;	/* "Name: value", NULL-ended */
	const void		*body;
	size_t			 body_len;
	const char		*userpwd;	/* "user:password" basic auth */
	long			 timeout_ms;	/* 0: 30 s */
	size_t			 max_response;	/* 0: 1 MiB */
};

/* Start REQ for MOD. FN gets the result later (never before this returns).
 * Returns the fetch (owned by the core until FN returns or it is
 * cancelled), or NULL when it could not start (logged). */
struct vg_http_fetch *vg_http_fetch(struct vg_module *mod,
		    const struct vg_http_request *req, vg_http_fetch_fn fn,
		    void *arg);

/* Abandon FETCH: FN will not be called. */
void		 vg_http_fetch_cancel(struct vg_http_fetch *fetch);

#endif /* VG_HTTP_H */
