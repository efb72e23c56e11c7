/*
 * HTTP routes on the daemon's listener, core side: the route table, the
 * request objects handed to handlers and their answers. Requests arrive
 * whole from net.c; answers go back to it by request id.
 * Core thread only.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include <voicegate/voicegate.h>

#include "core.h"
#include "net.h"

/* One route: METHOD ("*": any) and PATH (exact, or a prefix). */
struct http_route {
	struct http_route	*next;
	struct vg_module	*mod;
	char			*method;
	char			*path;		/* prefix without the '*' */
	int			 prefix;
	vg_http_fn		 fn;
	void			*arg;
};

/* One request to answer; owned by the core until answered. */
struct vg_http_req {
	uint64_t		 id;		/* net.c's id */
	struct vg_module	*mod;		/* the route's owner */
	struct net_msg		*m;		/* method, path, headers, body */
	struct net_hdr		*rh;		/* response headers */
	size_t			 nrh;
	int			 gone;		/* the client went away */
};

static struct {
	struct http_route	*routes;
	struct net_idmap	 pending;	/* id -> request */
} g_http;

/* Find the route for METHOD and PATH: exact first, then the longest
 * prefix. Returns it or NULL. */
static struct http_route *
http_match(const char *method, const char *path)
{
	struct http_route *r, *best = NULL;
	size_t n, best_n = 0;

	for (r = g_http.routes; r != NULL; r = r->next) {
		if (strcmp(r->method, "*") != 0 &&
		    strcasecmp(r->method, method) != 0)
			continue;
		if (!r->prefix) {
			if (strcmp(r->path, path) == 0)
				return (r);
			continue;
		}
		n = strlen(r->path);
		if (strncmp(r->path, path, n) == 0 && n >= best_n) {
			best = r;
			best_n = n;
		}
	}
	return (best);
}

/* Route METHOD and PATH to FN for MOD. */
int
vg_http_route(struct vg_module *mod, const char *method, const char *path,
    vg_http_fn fn, void *arg)
{
	struct http_route *r;
	size_t n = strlen(path);
	int prefix;

	if (path[0] != '/' || fn == NULL) {
		vg_log(VG_LOG_ERROR, "http: bad route %s %s", method, path);
		return (-1);
	}
	prefix = n >= 2 && path[n - 1] == '*' && path[n - 2] == '/';
	for (r = g_http.routes; r != NULL; r = r->next) {
		if (strcasecmp(r->method, method) == 0 &&
		    r->prefix == prefix &&
		    strncmp(r->path, path, prefix ? n - 1 : n + 1) == 0 &&
		    strlen(r->path) == (prefix ? n - 1 : n)) {
			vg_log(VG_LOG_ERROR, "http: route %s %s is taken",
			    method, path);
			return (-1);
		}
	}
	r = vg_xcalloc(1, sizeof(*r));
	r->mod = mod;
	r->method = vg_xstrdup(method);
	r->path = prefix ? vg_xstrndup(path, n - 1) : vg_xstrdup(path);
	r->prefix = prefix;
	r->fn = fn;
	r->arg = arg;
	r->next = g_http.routes;
	g_http.routes = r;
	return (0);
}

/* Free route R. */
static void
http_route_free(struct http_route *r)
{
	free(r->method);
	free(r->path);
	free(r);
}

/* Remove MOD's route for METHOD and PATH. */
void
vg_http_unroute(struct vg_module *mod, const char *method, const char *path)
{
	struct http_route **rp, *r;
	size_t n = strlen(path);
	int prefix = n >= 2 && path[n - 1] == '*' && path[n - 2] == '/';

	for (rp = &g_http.routes; (r = *rp) != NULL; rp = &r->next) {
		if (r->mod != mod || strcasecmp(r->method, method) != 0 ||
		    r->prefix != prefix ||
		    strlen(r->path) != (prefix ? n - 1 : n) ||
		    strncmp(r->path, path, strlen(r->path)) != 0)
			continue;
		*rp = r->next;
		http_route_free(r);
		return;
	}
}

/* Keep request header NAME for MOD. */
int
vg_http_keep_header(struct vg_module *mod, const char *name)
{
	return (net_keep_header(mod, name));
}

/* Free REQ and what it holds. */
static void
http_req_free(struct vg_http_req *req)
{
	size_t i;

	for (i = 0; i < req->nrh; i++) {
		free(req->rh[i].name);
		free(req->rh[i].value);
	}
	free(req->rh);
	net_msg_free(req->m);
	free(req);
}

/* Dispatch a request or a client gone (taken). */
void
http_dispatch(struct net_msg *m)
{
	struct vg_http_req *req;
	struct http_route *r;

	if (g_http.pending.buckets == NULL)
		net_idmap_init(&g_http.pending);
	if (m->type == NET_HTTP_GONE) {
		if ((req = net_idmap_get(&g_http.pending, m->id)) != NULL)
			req->gone = 1;
		net_msg_free(m);
		return;
	}
	req = vg_xcalloc(1, sizeof(*req));
	req->id = m->id;
	req->m = m;
	net_idmap_put(&g_http.pending, req->id, req);
	if ((r = http_match(m->method, m->path)) != NULL) {
		req->mod = r->mod;
		r->fn(req, r->arg);
	} else if (ws_endpoint_exists(m->path)) {
		vg_http_add_header(req, "Upgrade", "websocket");
		vg_http_respond_error(req, 426, "upgrade required");
	} else
		vg_http_respond_error(req, 404, "not found");
}

/* The request's method. */
const char *
vg_http_req_method(const struct vg_http_req *req)
{
	return (req->m->method);
}

/* The request's path, without the query. */
const char *
vg_http_req_path(const struct vg_http_req *req)
{
	return (req->m->path);
}

/* The raw query string, "" when none. */
const char *
vg_http_req_query(const struct vg_http_req *req)
{
	return (req->m->query != NULL ? req->m->query : "");
}

/* A request header by case-insensitive name, or NULL. */
const char *
vg_http_req_header(const struct vg_http_req *req, const char *name)
{
	return (net_msg_hdr(req->m, name));
}

/* The body and its length (never NULL). */
const char *
vg_http_req_body(const struct vg_http_req *req, size_t *len)
{
	if (len != NULL)
		*len = req->m->len;
	return (req->m->data != NULL ? req->m->data : "");
}

/* The peer's address as text. */
const char *
vg_http_req_peer(const struct vg_http_req *req)
{
	return (req->m->peer != NULL ? req->m->peer : "");
}

/* Add a response header (copied). */
void
vg_http_add_header(struct vg_http_req *req, const char *name,
    const char *value)
{
	if (strpbrk(name, "\r\n:") != NULL || strpbrk(value, "\r\n") != NULL) {
		vg_log(VG_LOG_WARN, "http: refused header \"%s\"", name);
		return;
	}
	req->rh = vg_xrealloc(req->rh, (req->nrh + 1) * sizeof(*req->rh));
	req->rh[req->nrh].name = vg_xstrdup(name);
	req->rh[req->nrh].value = vg_xstrdup(value);
	req->nrh++;
}

/* Answer REQ and free it. */
int
vg_http_respond(struct vg_http_req *req, int status,
    const char *content_type, const void *body, size_t len)
{
	struct net_msg *m;
	int gone = req->gone;

	net_idmap_del(&g_http.pending, req->id);
	if (gone) {
		http_req_free(req);
		return (-1);
	}
	m = net_msg_new(NET_HTTP_RESP, req->id);
	m->code = status;
	m->hdrs = req->rh;
	m->nhdrs = req->nrh;
	req->rh = NULL;
	req->nrh = 0;
	if (content_type != NULL)
		net_msg_add_hdr(m, "Content-Type", content_type);
	m->data = vg_xmalloc(len + 1);
	if (len > 0)
		memcpy(m->data, body, len);
	m->len = len;
	http_req_free(req);
	return (net_act(m));
}

/* Answer with {"error": MESSAGE}. */
int
vg_http_respond_error(struct vg_http_req *req, int status,
    const char *message)
{
	struct json_object *o;
	const char *s;
	int rc;

	o = json_object_new_object();
	json_object_object_add(o, "error", json_object_new_string(message));
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	rc = vg_http_respond(req, status, "application/json", s, strlen(s));
	json_object_put(o);
	return (rc);
}

/* Remove MOD's routes and answer its pending requests 503. */
unsigned
http_release_owner(struct vg_module *mod)
{
	struct http_route **rp, *r;
	struct vg_http_req *req;
	void **all;
	size_t i, n;
	unsigned count = 0;

	for (rp = &g_http.routes; (r = *rp) != NULL;) {
		if (r->mod != mod) {
			rp = &r->next;
			continue;
		}
		*rp = r->next;
		http_route_free(r);
		count++;
	}
	all = net_idmap_all(&g_http.pending, &n);
	for (i = 0; i < n; i++) {
		req = all[i];
		if (req->mod != mod)
			continue;
		vg_http_respond_error(req, 503, "service unloaded");
		count++;
	}
	free(all);
	return (count);
}

/* The net has stopped: pending requests stay valid, marked gone, until
 * their handlers answer (which then returns -1 and frees them). */
void
http_free(void)
{
	struct vg_http_req *req;
	void **all;
	size_t i, n;

	all = net_idmap_all(&g_http.pending, &n);
	for (i = 0; i < n; i++) {
		req = all[i];
		req->gone = 1;
	}
	free(all);
	net_idmap_free(&g_http.pending);
}
