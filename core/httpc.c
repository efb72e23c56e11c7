/*
 * The asynchronous HTTP client: libcurl's multi interface driven by the
 * core's libevent base, the "hiperfifo" way (curl tells us which sockets to
 * watch and when to wake it; libevent tells curl what happened). Nothing
 * here blocks, and every callback, curl's and the caller's, runs on the
 * core thread. The caller's callback is never called from inside a curl
 * callback, and never before vg_http_fetch() returns.
 */
#include "config.h"

#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <event2/event.h>

#include <voicegate/voicegate.h>

#include "core.h"

#define HTTPC_TIMEOUT_MS	30000L		/* when the request says 0 */
#define HTTPC_MAX_RESPONSE	(1024 * 1024)	/* likewise */

/*
 * One fetch in flight. Owned by the core from vg_http_fetch() until its
 * callback has returned or it is cancelled. Either EASY is in g.multi, or
 * DEFER holds an error to report from a zero-delay timer.
 */
struct vg_http_fetch {
	struct vg_module	*owner;
	vg_http_fetch_fn	 fn;
	void			*arg;
	CURL			*easy;
	int			 in_multi;
	struct curl_slist	*headers;
	char			*buf;		/* the response, NUL-ended */
	size_t			 len;
	size_t			 cap;
	size_t			 max;		/* response cap */
	int			 too_big;
	struct event		*defer;		/* error reported later */
	char			*defer_error;
	int			 delivering;	/* inside fn */
	char			 errbuf[CURL_ERROR_SIZE];
	TAILQ_ENTRY(vg_http_fetch) link;
};

/* One socket curl asked us to watch. */
struct httpc_sock {
	curl_socket_t		 fd;
	struct event		*ev;
	TAILQ_ENTRY(httpc_sock)	 link;
};

TAILQ_HEAD(httpc_fetches, vg_http_fetch);
TAILQ_HEAD(httpc_socks, httpc_sock);

static struct {
	CURLM			*multi;
	struct event		*timer;		/* curl's timeout */
	struct httpc_fetches	 fetches;
	struct httpc_socks	 socks;
	int			 ready;
} g;

static void	httpc_check_done(void);

/* ---- fetches ---- */

/* Take F out of curl and free it, without a callback. */
static void
httpc_fetch_free(struct vg_http_fetch *f)
{
	TAILQ_REMOVE(&g.fetches, f, link);
	if (f->in_multi)
		curl_multi_remove_handle(g.multi, f->easy);
	if (f->easy != NULL)
		curl_easy_cleanup(f->easy);
	curl_slist_free_all(f->headers);
	if (f->defer != NULL)
		event_free(f->defer);
	free(f->defer_error);
	free(f->buf);
	free(f);
}

/* Call F's owner with RES, then free F. */
static void
httpc_deliver(struct vg_http_fetch *f, struct vg_http_result *res)
{
	f->delivering = 1;
	f->fn(res, f->arg);
	httpc_fetch_free(f);
}

/* curl finished F with CODE: build the result and deliver it. */
static void
httpc_finish(struct vg_http_fetch *f, CURLcode code)
{
	struct vg_http_result res;
	char *ctype = NULL;
	long status = 0;
	char err[CURL_ERROR_SIZE + 64];

	memset(&res, 0, sizeof(res));
	res.body = f->buf != NULL ? f->buf : "";
	res.body_len = f->len;
	if (code == CURLE_OK) {
		curl_easy_getinfo(f->easy, CURLINFO_RESPONSE_CODE, &status);
		curl_easy_getinfo(f->easy, CURLINFO_CONTENT_TYPE, &ctype);
		res.status = (int)status;
		res.content_type = ctype;
	} else {
		/* No complete response: no status, so no one trusts a
		 * truncated body. */
		if (f->too_big || code == CURLE_FILESIZE_EXCEEDED)
			snprintf(err, sizeof(err),
			    "response larger than %zu bytes", f->max);
		else
			snprintf(err, sizeof(err), "%s%s%s",
			    curl_easy_strerror(code),
			    f->errbuf[0] != '\0' ? ": " : "", f->errbuf);
		res.error = err;
		res.timed_out = code == CURLE_OPERATION_TIMEDOUT;
		res.body = "";
		res.body_len = 0;
	}
	httpc_deliver(f, &res);
}

/* The zero-delay timer of a fetch that failed to start: report it. */
static void
httpc_defer_fire(evutil_socket_t fd, short what, void *arg)
{
	struct vg_http_fetch *f = arg;
	struct vg_http_result res;

	memset(&res, 0, sizeof(res));
	res.error = f->defer_error;
	res.body = "";
	httpc_deliver(f, &res);
}

/* curl has bytes of the response body: keep them, up to the cap. */
static size_t
httpc_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct vg_http_fetch *f = arg;
	size_t n = size * nmemb, want;

	if (n > f->max - f->len) {
		f->too_big = 1;
		return (0);		/* curl aborts with a write error */
	}
	if (f->len + n + 1 > f->cap) {
		want = f->cap == 0 ? 4096 : f->cap;
		while (want < f->len + n + 1)
			want *= 2;
		if (want > f->max + 1)
			want = f->max + 1;
		f->buf = vg_xrealloc(f->buf, want);
		f->cap = want;
	}
	memcpy(f->buf + f->len, ptr, n);
	f->len += n;
	f->buf[f->len] = '\0';
	return (n);
}

/* True if one of HEADERS names header NAME. */
static int
httpc_has_header(const char *const *headers, const char *name)
{
	size_t n = strlen(name);

	for (; headers != NULL && *headers != NULL; headers++)
		if (strncasecmp(*headers, name, n) == 0 &&
		    (*headers)[n] == ':')
			return (1);
	return (0);
}

/* Set F's easy handle up for REQ. Returns 0, or -1 with F->defer_error. */
static int
httpc_setup(struct vg_http_fetch *f, const struct vg_http_request *req)
{
	const char *method = req->method;
	const char *const *h;
	int has_body = req->body != NULL || req->body_len > 0;
	CURL *e = f->easy;
	CURLcode rc = CURLE_OK;

	if (method == NULL)
		method = has_body ? "POST" : "GET";
#define HTTPC_SET(opt, val) do {					\
	if (rc == CURLE_OK)						\
		rc = curl_easy_setopt(e, (opt), (val));			\
} while (0)
	HTTPC_SET(CURLOPT_URL, req->url);
	HTTPC_SET(CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500	/* 7.85: the _STR forms */
	HTTPC_SET(CURLOPT_PROTOCOLS_STR, "http,https");
	HTTPC_SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	HTTPC_SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
	HTTPC_SET(CURLOPT_REDIR_PROTOCOLS,
	    (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	HTTPC_SET(CURLOPT_FOLLOWLOCATION, 0L);
	HTTPC_SET(CURLOPT_TIMEOUT_MS, req->timeout_ms > 0 ? req->timeout_ms :
	    HTTPC_TIMEOUT_MS);
	HTTPC_SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)f->max);
	HTTPC_SET(CURLOPT_WRITEFUNCTION, httpc_write);
	HTTPC_SET(CURLOPT_WRITEDATA, f);
	HTTPC_SET(CURLOPT_ERRORBUFFER, f->errbuf);
	HTTPC_SET(CURLOPT_PRIVATE, f);
	if (req->userpwd != NULL) {
		HTTPC_SET(CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		HTTPC_SET(CURLOPT_USERPWD, req->userpwd);
	}
	if (strcmp(method, "HEAD") == 0)
		HTTPC_SET(CURLOPT_NOBODY, 1L);
	else if (has_body || strcmp(method, "POST") == 0) {
		HTTPC_SET(CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)req->body_len);
		HTTPC_SET(CURLOPT_COPYPOSTFIELDS,
		    req->body != NULL ? req->body : "");
		if (strcmp(method, "POST") != 0)
			HTTPC_SET(CURLOPT_CUSTOMREQUEST, method);
	} else if (strcmp(method, "GET") != 0)
		HTTPC_SET(CURLOPT_CUSTOMREQUEST, method);

	for (h = req->headers; h != NULL && *h != NULL; h++)
		f->headers = curl_slist_append(f->headers, *h);
	/* No "Expect: 100-continue" round trip unless asked for. */
	if (!httpc_has_header(req->headers, "Expect"))
		f->headers = curl_slist_append(f->headers, "Expect:");
	if (f->headers == NULL && rc == CURLE_OK)
		rc = CURLE_OUT_OF_MEMORY;
	HTTPC_SET(CURLOPT_HTTPHEADER, f->headers);
#undef HTTPC_SET
	if (rc != CURLE_OK) {
		f->defer_error = vg_asprintf("cannot set the request up: %s",
		    curl_easy_strerror(rc));
		return (-1);
	}
	return (0);
}

static int	httpc_start(void);

/* Start REQ for MOD; FN gets the result later, on the core thread. */
struct vg_http_fetch *
vg_http_fetch(struct vg_module *mod, const struct vg_http_request *req,
    vg_http_fetch_fn fn, void *arg)
{
	struct vg_http_fetch *f;
	struct timeval now = { 0, 0 };
	CURLMcode mrc;

	if (!g.ready || req == NULL || req->url == NULL || fn == NULL ||
	    (req->body == NULL && req->body_len > 0)) {
		vg_log(VG_LOG_ERROR, "%s: bad request or client not ready",
		    __func__);
		return (NULL);
	}
	if (httpc_start() == -1)
		return (NULL);
	f = vg_xcalloc(1, sizeof(*f));
	f->owner = mod != NULL ? mod : vg_core_module();
	f->fn = fn;
	f->arg = arg;
	f->max = req->max_response > 0 ? req->max_response :
	    HTTPC_MAX_RESPONSE;
	TAILQ_INSERT_TAIL(&g.fetches, f, link);

	if ((f->easy = curl_easy_init()) == NULL)
		f->defer_error = vg_xstrdup("curl_easy_init failed");
	else if (httpc_setup(f, req) == 0) {
		mrc = curl_multi_add_handle(g.multi, f->easy);
		if (mrc == CURLM_OK) {
			f->in_multi = 1;
			return (f);
		}
		f->defer_error = vg_asprintf("curl_multi_add_handle: %s",
		    curl_multi_strerror(mrc));
	}

	/* Report the failure from the loop, never from here. */
	if ((f->defer = evtimer_new(vg_core_base(), httpc_defer_fire, f)) ==
	    NULL || evtimer_add(f->defer, &now) == -1) {
		vg_log(VG_LOG_ERROR, "%s: %s; cannot defer the report",
		    __func__, f->defer_error);
		httpc_fetch_free(f);
		return (NULL);
	}
	return (f);
}

/* Abandon F: its callback will not come. */
void
vg_http_fetch_cancel(struct vg_http_fetch *f)
{
	if (f == NULL || f->delivering)
		return;		/* inside its own callback: ends anyway */
	httpc_fetch_free(f);
}

/* ---- curl meets libevent ---- */

/* Hand curl the completed transfers, one at a time. */
static void
httpc_check_done(void)
{
	struct vg_http_fetch *f;
	CURLMsg *msg;
	CURLcode code;
	int left;

	while ((msg = curl_multi_info_read(g.multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		code = msg->data.result;
		f = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
		    (char **)&f);
		if (f == NULL)
			continue;
		/* MSG dies with the handle's removal: done with it. */
		curl_multi_remove_handle(g.multi, f->easy);
		f->in_multi = 0;
		httpc_finish(f, code);
	}
}

/* A watched socket is ready: tell curl, then collect what finished. */
static void
httpc_sock_event(evutil_socket_t fd, short what, void *arg)
{
	int action = 0, running;

	if (what & EV_READ)
		action |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	/* curl's timer callback keeps g.timer right; a callback run by
	 * httpc_check_done() may have started a new fetch. */
	curl_multi_socket_action(g.multi, fd, action, &running);
	httpc_check_done();
}

/* curl's timeout expired: tell curl, then collect what finished. */
static void
httpc_timer_event(evutil_socket_t fd, short what, void *arg)
{
	int running;

	curl_multi_socket_action(g.multi, CURL_SOCKET_TIMEOUT, 0, &running);
	httpc_check_done();
}

/* Free S, which curl no longer needs. */
static void
httpc_sock_free(struct httpc_sock *s)
{
	TAILQ_REMOVE(&g.socks, s, link);
	if (s->ev != NULL)
		event_free(s->ev);
	free(s);
}

/* curl's socket callback: watch FD for WHAT, or stop. */
static int
httpc_sock_cb(CURL *easy, curl_socket_t fd, int what, void *userp,
    void *sockp)
{
	struct httpc_sock *s = sockp;
	short flags = EV_PERSIST;

	if (what == CURL_POLL_REMOVE) {
		if (s != NULL) {
			curl_multi_assign(g.multi, fd, NULL);
			httpc_sock_free(s);
		}
		return (0);
	}
	if (s == NULL) {
		s = vg_xcalloc(1, sizeof(*s));
		s->fd = fd;
		TAILQ_INSERT_TAIL(&g.socks, s, link);
		curl_multi_assign(g.multi, fd, s);
	}
	if (s->ev != NULL) {
		event_free(s->ev);
		s->ev = NULL;
	}
	if (what & CURL_POLL_IN)
		flags |= EV_READ;
	if (what & CURL_POLL_OUT)
		flags |= EV_WRITE;
	if ((s->ev = event_new(vg_core_base(), fd, flags, httpc_sock_event,
	    NULL)) == NULL || event_add(s->ev, NULL) == -1) {
		vg_log(VG_LOG_ERROR, "%s: cannot watch fd %d", __func__,
		    (int)fd);
		return (-1);
	}
	return (0);
}

/* curl's timer callback: wake curl after MS (-1: never). */
static int
httpc_timer_cb(CURLM *multi, long ms, void *userp)
{
	struct timeval tv;

	if (ms < 0) {
		evtimer_del(g.timer);
		return (0);
	}
	/* Even for 0, from the loop: curl may not be re-entered here. */
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	return (evtimer_add(g.timer, &tv));
}

/* ---- set-up, owners, tear-down ---- */

/* Ready the client. libcurl itself starts with the first fetch: its
 * global set-up initialises OpenSSL (and maps in much of libcrypto), which
 * a daemon that has placed no request yet does not need. */
int
vg_httpc_init(void)
{
	if (g.ready)
		return (0);
	TAILQ_INIT(&g.fetches);
	TAILQ_INIT(&g.socks);
	g.ready = 1;
	return (0);
}

/* Start libcurl and the multi handle on the core's base, once. */
static int
httpc_start(void)
{
	CURLcode rc;

	if (g.multi != NULL)
		return (0);
	if ((rc = curl_global_init(CURL_GLOBAL_DEFAULT)) != CURLE_OK) {
		vg_log(VG_LOG_ERROR, "curl_global_init: %s",
		    curl_easy_strerror(rc));
		return (-1);
	}
	if ((g.timer = evtimer_new(vg_core_base(), httpc_timer_event,
	    NULL)) == NULL) {
		vg_log(VG_LOG_ERROR, "%s: evtimer_new failed", __func__);
		goto fail_global;
	}
	if ((g.multi = curl_multi_init()) == NULL) {
		vg_log(VG_LOG_ERROR, "%s: curl_multi_init failed", __func__);
		goto fail_timer;
	}
	curl_multi_setopt(g.multi, CURLMOPT_SOCKETFUNCTION, httpc_sock_cb);
	curl_multi_setopt(g.multi, CURLMOPT_TIMERFUNCTION, httpc_timer_cb);
	return (0);

fail_timer:
	event_free(g.timer);
	g.timer = NULL;
fail_global:
	curl_global_cleanup();
	return (-1);
}

/* Cancel MOD's fetches. Returns how many. */
unsigned
vg_httpc_release_owner(struct vg_module *mod)
{
	struct vg_http_fetch *f, *next;
	unsigned n = 0;

	if (!g.ready || mod == NULL)
		return (0);
	for (f = TAILQ_FIRST(&g.fetches); f != NULL; f = next) {
		next = TAILQ_NEXT(f, link);
		if (f->owner != mod || f->delivering)
			continue;
		httpc_fetch_free(f);
		n++;
	}
	return (n);
}

/* Cancel every fetch and free curl's state. */
void
vg_httpc_free(void)
{
	struct vg_http_fetch *f;
	struct httpc_sock *s;

	if (!g.ready)
		return;
	while ((f = TAILQ_FIRST(&g.fetches)) != NULL)
		httpc_fetch_free(f);
	g.ready = 0;
	if (g.multi == NULL)
		return;		/* never started */
	curl_multi_cleanup(g.multi);
	g.multi = NULL;
	while ((s = TAILQ_FIRST(&g.socks)) != NULL)
		httpc_sock_free(s);
	event_free(g.timer);
	g.timer = NULL;
	curl_global_cleanup();
}
