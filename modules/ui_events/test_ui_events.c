/*
 * ui_events tests. Pure parts (file names, cookies, the outbox) directly;
 * the rest with the real core: the module is loaded with a hand-made
 * module record, the listener runs on 127.0.0.1 with an ephemeral port, a
 * stand-in for twilio_http's outbound-call route answers on the same
 * listener, and feed clients are the core's own WebSocket client or a raw
 * socket that never reads. The test thread is the core thread and drives
 * the loop in short slices; every wait has a deadline.
 */
#include "config.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <event2/event.h>
#include <json-c/json.h>

#include <voicegate/voicegate.h>

#include "core.h"
#include "ui_events.h"
#include "vg_test.h"
#include "vg_testlib.h"

#define WAIT_MS		5000
#define API_KEY		"ui-test-key-5b2e91c7"
#define QUEUE_MAX	64
#define MSGS_MAX	8192

/* ---- the core, the module, a stand-in for twilio_http ---- */

static struct vg_module uimod = {
	.name = "ui_events", .state = VG_MOD_RUNNING,
};
static struct vg_module fakemod = {
	.name = "fake", .state = VG_MOD_RUNNING,
};
static int up;			/* 1 running, -1 could not start */
static char confdir[64];
static char wwwdir[96];

/* What the stand-in outbound-call route saw last. */
static struct {
	int	 n;
	char	 auth[256];
	char	 body[1024];
} outbound;

/* Stand-in for POST /twilio/outbound-call: record, answer like it. */
static void
fake_outbound(struct vg_http_req *req, void *arg)
{
	static const char ok[] = "{\"call_id\":\"vgc_00000000000000aa\","
	    "\"call_sid\":\"CA00000000000000000000000000000001\","
	    "\"status\":\"queued\"}";
	static const char bad[] = "{\"error\":\"\\\"to\\\" must be an E.164 "
	    "number\"}";
	const char *a = vg_http_req_header(req, "authorization");
	const char *body;
	size_t len;

	body = vg_http_req_body(req, &len);
	outbound.n++;
	snprintf(outbound.auth, sizeof(outbound.auth), "%s", a ? a : "");
	snprintf(outbound.body, sizeof(outbound.body), "%s", body);
	if (strstr(body, "\"+") == NULL)
		vg_http_respond(req, 400, "application/json", bad,
		    sizeof(bad) - 1);
	else
		vg_http_respond(req, 201, "application/json", ok,
		    sizeof(ok) - 1);
}

/* Write TEXT to DIR/NAME. Returns 0 or -1. */
static int
write_file(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL)
		return (-1);
	fputs(text, f);
	return (fclose(f));
}

/* Core, listener, stand-in route, a page folder and the module, once.
 * Returns 0 or -1. */
static int
bring_up(void)
{
	struct vg_settings s;
	char path[128];
	FILE *f;

	if (up != 0)
		return (up == 1 ? 0 : -1);
	up = -1;
	if (getenv("VG_TEST_DEBUG") != NULL)
		vg_log_set_level(VG_LOG_DEBUG);
	if (vg_core_init() == -1)
		return (-1);
	vg_settings_defaults(&s);
	vg_strlcpy(s.listen_addr, "127.0.0.1", sizeof(s.listen_addr));
	s.listen_port = 0;
	s.max_send_queue = 256 * 1024;
	vg_strlcpy(s.public_url, "http://127.0.0.1", sizeof(s.public_url));
	vg_settings_set(&s);
	if (vg_net_start(&s) == -1)
		return (-1);
	if (vg_http_route(&fakemod, "POST", "/twilio/outbound-call",
	    fake_outbound, NULL) == -1)
		return (-1);
	snprintf(confdir, sizeof(confdir), "/tmp/vg-ui.XXXXXX");
	if (mkdtemp(confdir) == NULL)
		return (-1);
	snprintf(wwwdir, sizeof(wwwdir), "%s/www", confdir);
	if (mkdir(wwwdir, 0700) == -1 ||
	    write_file(wwwdir, "index.html", "<!doctype html><p>page") ||
	    write_file(wwwdir, "app.js", "\"use strict\";\n") ||
	    write_file(wwwdir, "style.css", "body{color:#fff}\n") ||
	    write_file(wwwdir, ".secret", "hidden"))
		return (-1);
	snprintf(path, sizeof(path), "%s/ui_events.conf", confdir);
	if ((f = fopen(path, "w")) == NULL)
		return (-1);
	fprintf(f, "[ui_events]\napi_key = %s\nwww_dir = %s\n"
	    "self_url = http://127.0.0.1:%d/\nfeed_queue_max = %d\n"
	    "cookie_secure = auto\n", API_KEY, wwwdir, vg_net_port(),
	    QUEUE_MAX);
	fclose(f);
	if ((uimod.conf = vg_conf_parse(path, conf_err, NULL)) == NULL)
		return (-1);
	if (vg_module_info.load(&uimod) != VG_LOAD_OK)
		return (-1);
	up = 1;
	return (0);
}

/* ---- an HTTP client ---- */

/* Send one request; wait for the answer in R. EXTRA holds whole header
 * lines. Returns 0 or -1. */
static int
http_do(const char *method, const char *path, const char *extra,
    const char *ctype, const char *body, struct http_resp *r)
{
	char *req;
	int rc;

	req = vg_asprintf("%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%s"
	    "%s%s%sContent-Length: %zu\r\n\r\n%s", method, path,
	    vg_net_port(), extra != NULL ? extra : "",
	    ctype != NULL ? "Content-Type: " : "", ctype != NULL ? ctype : "",
	    ctype != NULL ? "\r\n" : "", strlen(body), body);
	rc = http_exchange(req, r);
	free(req);
	return (rc);
}

/* GET PATH with the key. */
static int
get_auth(const char *path, struct http_resp *r)
{
	return (http_do("GET", path, "Authorization: Bearer " API_KEY "\r\n",
	    NULL, "", r));
}

/* Header NAME's value in R, copied into OUT ("" when absent). */
static const char *
hdr(const struct http_resp *r, const char *name, char *out, size_t size)
{
	return (http_header(r->head, name, out, size));
}

/* ---- a feed client ---- */

struct feed {
	struct vg_ws_conn *conn;
	int		 open;
	int		 closed;
	int		 code;
	int		 n;
	char		*msgs[MSGS_MAX];
};

/* Feed client opened. */
static int
feed_open(struct vg_ws_conn *conn, void *arg)
{
	((struct feed *)arg)->open = 1;
	return (0);
}

/* Feed client message: keep it. */
static void
feed_msg(struct vg_ws_conn *conn, const void *data, size_t len, int binary,
    void *arg)
{
	struct feed *f = arg;
	const char *n;

	if (f->n >= MSGS_MAX)
		return;
	if (len > 4096 && (n = strstr(data, "\"n\":")) != NULL)
		f->msgs[f->n++] = vg_asprintf("{\"n\":%d}", atoi(n + 4));
	else
		f->msgs[f->n++] = vg_xstrndup(data, len);
}

/* Feed client closed: keep the code. */
static void
feed_close(struct vg_ws_conn *conn, int code, const char *reason, void *arg)
{
	struct feed *f = arg;

	f->closed = 1;
	f->code = code;
	f->conn = NULL;
}

static const struct vg_ws_handlers feed_handlers = {
	feed_open, feed_msg, feed_close,
};

/* Connect F to the feed with QUERY ("" none) and header line HDR (NULL
 * none). Returns 0 or -1. */
static int
feed_connect(struct feed *f, const char *query, const char *hdr_line)
{
	const char *hdrs[2] = { hdr_line, NULL };
	char url[128];

	memset(f, 0, sizeof(*f));
	snprintf(url, sizeof(url), "ws://127.0.0.1:%d%s%s", vg_net_port(),
	    UI_FEED_PATH, query);
	f->conn = vg_ws_connect(&fakemod, url, hdr_line != NULL ? hdrs : NULL,
	    &feed_handlers, f);
	return (f->conn != NULL ? 0 : -1);
}

/* Pump predicates. */
static int
feed_has_msg(void *arg)
{
	struct feed *f = arg;

	return (f->n > 0 || f->closed);
}

static int
feed_is_closed(void *arg)
{
	return (((struct feed *)arg)->closed);
}

struct want {
	struct feed	*f;
	int		 n;
};

static int
feed_has_n(void *arg)
{
	struct want *w = arg;

	return (w->f->n >= w->n || w->f->closed);
}

/* Close F and forget its messages. */
static void
feed_done(struct feed *f)
{
	int i;

	if (f->conn != NULL) {
		vg_ws_close(f->conn, VG_WS_CLOSE_NORMAL, "done");
		pump_until_cb(feed_is_closed, f);
	}
	for (i = 0; i < f->n; i++)
		free(f->msgs[i]);
	f->n = 0;
}

/* A field of message I of F, as a string ("" when absent). */
static const char *
msg_field(struct feed *f, int i, const char *key, char *out, size_t size)
{
	struct json_object *o, *v;

	out[0] = '\0';
	if (i >= f->n || (o = json_tokener_parse(f->msgs[i])) == NULL)
		return (out);
	if (json_object_object_get_ex(o, key, &v))
		vg_strlcpy(out, json_object_get_string(v), size);
	json_object_put(o);
	return (out);
}

/* Publish a transcript.final numbered N for CALL_ID. */
static void
emit_final(const char *call_id, int n)
{
	struct json_object *p = json_object_new_object();
	char text[32];

	snprintf(text, sizeof(text), "line %d", n);
	json_object_object_add(p, "speaker", json_object_new_string("agent"));
	json_object_object_add(p, "item_id", json_object_new_string("it"));
	json_object_object_add(p, "text", json_object_new_string(text));
	vg_bus_emit("transcript.final", call_id, p);
}

/* ---- pure parts ---- */

/* Only plain names are served; everything else is refused. */
static void
t_www_names(void)
{
	static const struct {
		const char	*path;
		int		 found;
	} cases[] = {
		{ "/", 1 }, { "/index.html", 1 }, { "/app.js", 1 },
		{ "/../app.js", 0 }, { "/..", 0 }, { "/.secret", 0 },
		{ "/a/app.js", 0 }, { "/%2e%2e/app.js", 0 }, { "app.js", 0 },
		{ "/app.js/", 0 }, { "//app.js", 0 }, { "/app.js\\", 0 },
		{ "", 0 },
	};
	struct ui_file files[2];
	size_t i;

	memset(files, 0, sizeof(files));
	vg_strlcpy(files[0].name, "index.html", sizeof(files[0].name));
	vg_strlcpy(files[1].name, "app.js", sizeof(files[1].name));
	for (i = 0; i < VG_NELEM(cases); i++) {
		if ((ui_www_find(files, 2, cases[i].path) != NULL) !=
		    cases[i].found) {
			fprintf(stderr, "  path \"%s\"\n", cases[i].path);
			VG_CHECK(0);
		}
	}
	VG_CHECK(ui_www_find(files, 2, NULL) == NULL);
	VG_CHECK_STR(ui_www_type("index.html"), "text/html; charset=utf-8");
	VG_CHECK_STR(ui_www_type("app.js"), "text/javascript; charset=utf-8");
	VG_CHECK_STR(ui_www_type("style.css"), "text/css; charset=utf-8");
	VG_CHECK_STR(ui_www_type("x.bin"), "application/octet-stream");
	VG_CHECK(!ui_www_name_ok("a..b"));
	VG_CHECK(ui_www_name_ok("icon-2_x.svg"));
}

/* The session cookie is found among others, and nothing else is. */
static void
t_cookie_parse(void)
{
	char v[80];

	VG_CHECK_INT(ui_auth_cookie("a=1; vg_session=abc; b=2", "vg_session",
	    v, sizeof(v)), 0);
	VG_CHECK_STR(v, "abc");
	VG_CHECK_INT(ui_auth_cookie("vg_session=xyz", "vg_session", v,
	    sizeof(v)), 0);
	VG_CHECK_STR(v, "xyz");
	VG_CHECK_INT(ui_auth_cookie("xvg_session=1; vg_sessionx=2",
	    "vg_session", v, sizeof(v)), -1);
	VG_CHECK_INT(ui_auth_cookie("", "vg_session", v, sizeof(v)), -1);
	VG_CHECK_INT(ui_auth_cookie("vg_session=0123456789", "vg_session", v,
	    4), -1);
	VG_CHECK(ui_auth_same_origin(NULL, "h:1"));
	VG_CHECK(ui_auth_same_origin("http://h:1", "h:1"));
	VG_CHECK(!ui_auth_same_origin("http://evil.example", "h:1"));
	VG_CHECK(!ui_auth_same_origin("http://h:1", NULL));
}

/* The outbox keeps its bounds, and a newer partial replaces a queued one
 * in place. */
static void
t_outbox(void)
{
	struct ui_outbox box = { .max_count = 3, .max_bytes = 20 };
	struct ui_msg *m;

	VG_CHECK_INT(ui_outbox_push(&box, "aaaa", 4, ""), 0);
	VG_CHECK_INT(ui_outbox_push(&box, "p1", 2, "c/i1"), 0);
	VG_CHECK_INT(ui_outbox_push(&box, "p1-longer", 9, "c/i1"), 0);
	VG_CHECK_INT(box.count, 2);
	VG_CHECK_INT(box.bytes, 13);
	VG_CHECK_INT(ui_outbox_push(&box, "bb", 2, ""), 0);
	VG_CHECK_INT(ui_outbox_push(&box, "c", 1, ""), -1);	/* count */
	m = ui_outbox_pop(&box);
	VG_CHECK_STR(m->text, "aaaa");
	ui_msg_free(m);
	/* over the byte bound */
	VG_CHECK_INT(ui_outbox_push(&box, "0123456789", 10, ""), -1);
	m = ui_outbox_pop(&box);
	VG_CHECK_STR(m->text, "p1-longer");
	ui_outbox_unpop(&box, m);
	VG_CHECK_INT(box.count, 2);
	VG_CHECK_STR(box.head->text, "p1-longer");
	ui_outbox_clear(&box);
	VG_CHECK_INT(box.count, 0);
	VG_CHECK_INT(box.bytes, 0);
	VG_CHECK(ui_outbox_pop(&box) == NULL);
}

/* ---- access ---- */

/* No key, a wrong key: 401 for the page, the files, the API. */
static void
t_refused(void)
{
	static const char *const paths[] = {
		"/", "/app.js", "/style.css", "/api/calls", "/api/presets",
		"/api/settings-schema", "/api/session",
	};
	static const char *const creds[] = {
		NULL, "Authorization: Bearer wrong-key\r\n",
		"Authorization: Bearer " API_KEY "x\r\n",
		"Cookie: vg_session=00000000000000000000000000000000000000"
		    "00000000000000000000000000\r\n",
	};
	int64_t before;
	struct http_resp r;
	size_t i, j;
	char v[128];

	if (bring_up() == -1) {
		VG_CHECK(!"core up");
		return;
	}
	before = vg_metric_value(ui_g.m_auth_fail);
	for (i = 0; i < VG_NELEM(paths); i++) {
		for (j = 0; j < VG_NELEM(creds); j++) {
			VG_CHECK_INT(http_do("GET", paths[i], creds[j], NULL,
			    "", &r), 0);
			if (r.status != 401)
				fprintf(stderr, "  %s with %s: %d\n",
				    paths[i], creds[j] ? creds[j] : "none",
				    r.status);
			VG_CHECK_INT(r.status, 401);
			VG_CHECK(strstr(r.body, "page") == NULL);
		}
	}
	/* the page's files answer with the login form */
	VG_CHECK_INT(http_do("GET", "/", NULL, NULL, "", &r), 0);
	VG_CHECK(strncmp(hdr(&r, "Content-Type", v, sizeof(v)),
	    "text/html", 9) == 0);
	VG_CHECK(strstr(r.body, "id=\"login-form\"") != NULL);
	VG_CHECK(strstr(r.body, "action=\"/api/login\"") != NULL);
	/* the API answers JSON */
	VG_CHECK_INT(http_do("POST", "/api/calls", NULL, "application/json",
	    "{\"to\":\"+15551234567\"}", &r), 0);
	VG_CHECK_INT(r.status, 401);
	VG_CHECK_STR(hdr(&r, "Content-Type", v, sizeof(v)),
	    "application/json");
	VG_CHECK_INT(outbound.n, 0);
	VG_CHECK(vg_metric_value(ui_g.m_auth_fail) >=
	    before + (int64_t)(VG_NELEM(paths) * VG_NELEM(creds)));
}

/* A wrong key at login: 401, no cookie. */
static void
t_login_wrong(void)
{
	struct http_resp r;
	char v[256];

	if (bring_up() == -1)
		return;
	VG_CHECK_INT(http_do("POST", "/api/login", NULL,
	    "application/x-www-form-urlencoded", "key=nope", &r), 0);
	VG_CHECK_INT(r.status, 401);
	VG_CHECK_STR(hdr(&r, "Set-Cookie", v, sizeof(v)), "");
	VG_CHECK(strstr(r.body, "Wrong key") != NULL);
	VG_CHECK_INT(http_do("POST", "/api/login", NULL, "application/json",
	    "{\"key\":\"" API_KEY "-\"}", &r), 0);
	VG_CHECK_INT(r.status, 401);
	VG_CHECK_STR(hdr(&r, "Set-Cookie", v, sizeof(v)), "");
	VG_CHECK_INT(http_do("POST", "/api/login", NULL, "application/json",
	    "not json", &r), 0);
	VG_CHECK_INT(r.status, 400);
	/* the right key from a foreign page is refused too */
	VG_CHECK_INT(http_do("POST", "/api/login",
	    "Origin: http://evil.example\r\n",
	    "application/x-www-form-urlencoded", "key=" API_KEY, &r), 0);
	VG_CHECK_INT(r.status, 401);
}

/* The login form sets a session cookie that then opens the page and the
 * API; logout ends it. */
static void
t_login_cookie(void)
{
	char v[256], cookie[160], line[200];
	struct http_resp r;
	char *p;

	if (bring_up() == -1)
		return;
	VG_CHECK_INT(http_do("POST", "/api/login", NULL,
	    "application/x-www-form-urlencoded", "key=" API_KEY, &r), 0);
	VG_CHECK_INT(r.status, 303);
	VG_CHECK_STR(hdr(&r, "Location", v, sizeof(v)), "/");
	hdr(&r, "Set-Cookie", v, sizeof(v));
	VG_CHECK(strncmp(v, "vg_session=", 11) == 0);
	VG_CHECK(strstr(v, "; HttpOnly") != NULL);
	VG_CHECK(strstr(v, "; SameSite=Strict") != NULL);
	VG_CHECK(strstr(v, "; Path=/") != NULL);
	VG_CHECK(strstr(v, "Secure") == NULL);	/* public_url is http */
	VG_CHECK(strstr(v, API_KEY) == NULL);
	vg_strlcpy(cookie, v, sizeof(cookie));
	if ((p = strchr(cookie, ';')) != NULL)
		*p = '\0';
	VG_CHECK_INT(strlen(cookie), 11 + 2 * UI_TOKEN_BYTES);
	snprintf(line, sizeof(line), "Cookie: a=b; %s\r\n", cookie);
	VG_CHECK_INT(http_do("GET", "/api/calls", line, NULL, "", &r), 0);
	VG_CHECK_INT(r.status, 200);
	VG_CHECK_INT(http_do("GET", "/", line, NULL, "", &r), 0);
	VG_CHECK_INT(r.status, 200);
	VG_CHECK(strstr(r.body, "<p>page") != NULL);
	VG_CHECK_INT(http_do("GET", "/api/session", line, NULL, "", &r), 0);
	VG_CHECK_INT(r.status, 200);
	/* a cookie-borne POST from a foreign page is refused */
	snprintf(line, sizeof(line), "Cookie: %s\r\nOrigin: http://evil."
	    "example\r\n", cookie);
	VG_CHECK_INT(http_do("POST", "/api/calls", line, "application/json",
	    "{\"to\":\"+15551234567\"}", &r), 0);
	VG_CHECK_INT(r.status, 401);
	/* JSON login works the same */
	VG_CHECK_INT(http_do("POST", "/api/login", NULL, "application/json",
	    "{\"key\":\"" API_KEY "\"}", &r), 0);
	VG_CHECK_INT(r.status, 200);
	VG_CHECK(strncmp(hdr(&r, "Set-Cookie", v, sizeof(v)), "vg_session=",
	    11) == 0);
	/* logout ends the first session */
	snprintf(line, sizeof(line), "Cookie: %s\r\n", cookie);
	VG_CHECK_INT(http_do("POST", "/api/logout", line, NULL, "", &r), 0);
	VG_CHECK_INT(r.status, 200);
	VG_CHECK(strstr(hdr(&r, "Set-Cookie", v, sizeof(v)), "Max-Age=0") !=
	    NULL);
	VG_CHECK_INT(http_do("GET", "/api/calls", line, NULL, "", &r), 0);
	VG_CHECK_INT(r.status, 401);
}

/* ---- static files ---- */

/* Types, caching headers, revalidation. */
static void
t_static_files(void)
{
	static const struct {
		const char	*path;
		const char	*type;
		const char	*body;
	} cases[] = {
		{ "/", "text/html; charset=utf-8", "<!doctype html><p>page" },
		{ "/index.html", "text/html; charset=utf-8",
		    "<!doctype html><p>page" },
		{ "/app.js", "text/javascript; charset=utf-8",
		    "\"use strict\";\n" },
		{ "/style.css", "text/css; charset=utf-8",
		    "body{color:#fff}\n" },
	};
	static struct ui_file src[UI_WWW_FILES_MAX];
	char v[256], etag[64], line[128];
	struct http_resp r;
	size_t i;
	int n;

	if (bring_up() == -1)
		return;
	for (i = 0; i < VG_NELEM(cases); i++) {
		VG_CHECK_INT(get_auth(cases[i].path, &r), 0);
		VG_CHECK_INT(r.status, 200);
		VG_CHECK_STR(hdr(&r, "Content-Type", v, sizeof(v)),
		    cases[i].type);
		VG_CHECK_STR(r.body, cases[i].body);
		VG_CHECK_STR(hdr(&r, "Cache-Control", v, sizeof(v)),
		    "no-cache");
		VG_CHECK(strstr(hdr(&r, "Last-Modified", v, sizeof(v)),
		    " GMT") != NULL);
		VG_CHECK_STR(hdr(&r, "X-Content-Type-Options", v, sizeof(v)),
		    "nosniff");
		hdr(&r, "ETag", etag, sizeof(etag));
		VG_CHECK_INT(strlen(etag), 18);
		snprintf(line, sizeof(line), "Authorization: Bearer %s\r\n"
		    "If-None-Match: %s\r\n", API_KEY, etag);
		VG_CHECK_INT(http_do("GET", cases[i].path, line, NULL, "",
		    &r), 0);
		VG_CHECK_INT(r.status, 304);
	}
	VG_CHECK_INT(get_auth("/", &r), 0);
	VG_CHECK(strstr(hdr(&r, "Content-Security-Policy", v, sizeof(v)),
	    "default-src 'self'") != NULL);
	/* the real page in the source folder loads too */
	n = ui_www_load(UI_WWW_SRCDIR, src, UI_WWW_FILES_MAX);
	VG_CHECK(n >= 3);
	VG_CHECK(ui_www_find(src, (size_t)n, "/app.js") != NULL);
	VG_CHECK(ui_www_find(src, (size_t)n, "/style.css") != NULL);
	if (n > 0)
		ui_www_free(src, (size_t)n);
}

/* Nothing outside the folder, and no hidden file, is served. */
static void
t_static_traversal(void)
{
	static const char *const paths[] = {
		"/../ui_events.conf", "/..%2fui_events.conf",
		"/%2e%2e/ui_events.conf", "/.secret", "/www/index.html",
		"/./.secret", "/ui_events.conf", "/..\\ui_events.conf",
	};
	struct http_resp r;
	size_t i;

	if (bring_up() == -1)
		return;
	for (i = 0; i < VG_NELEM(paths); i++) {
		VG_CHECK_INT(get_auth(paths[i], &r), 0);
		if (r.status == 200)
			fprintf(stderr, "  %s: 200\n", paths[i]);
		VG_CHECK(r.status == 404 || r.status == 400 ||
		    r.status == 403);
		VG_CHECK(strstr(r.body, "hidden") == NULL);
		VG_CHECK(strstr(r.body, "api_key") == NULL);
	}
}

/* ---- the API ---- */

static struct json_object *
fake_presets(void)
{
	return (json_tokener_parse("[{\"name\":\"from_service\","
	    "\"description\":\"d\"}]"));
}

static struct json_object *
fake_schema(void)
{
	return (json_tokener_parse("{\"voice\":{\"type\":\"string\","
	    "\"enum\":[\"a\"]},\"eagerness\":{\"type\":\"string\"}}"));
}

static int
fake_validate(const struct json_object *task, char *err, size_t size)
{
	return (0);
}

static const struct vg_agents_service fake_agents = {
	fake_validate, fake_presets, fake_schema,
};

/* Without an agents service: the built-in presets and schema (no
 * temperature); with one: the service's. */
static void
t_presets(void)
{
	struct json_object *o, *v, *e;
	const char *want[] = { "transit_booking", "appointment_reminder",
	    "survey", "custom" };
	struct http_resp r;
	size_t i;

	if (bring_up() == -1)
		return;
	VG_CHECK_INT(get_auth("/api/presets", &r), 0);
	VG_CHECK_INT(r.status, 200);
	o = json_tokener_parse(r.body);
	VG_CHECK(o != NULL);
	VG_CHECK(json_object_object_get_ex(o, "source", &v) &&
	    strcmp(json_object_get_string(v), "builtin") == 0);
	VG_CHECK(json_object_object_get_ex(o, "presets", &v) &&
	    json_object_array_length(v) == 4);
	for (i = 0; v != NULL && i < 4 && i < json_object_array_length(v);
	    i++) {
		json_object_object_get_ex(json_object_array_get_idx(v, i),
		    "name", &e);
		VG_CHECK_STR(json_object_get_string(e), want[i]);
	}
	json_object_put(o);
	VG_CHECK_INT(get_auth("/api/settings-schema", &r), 0);
	VG_CHECK_INT(r.status, 200);
	o = json_tokener_parse(r.body);
	VG_CHECK(o != NULL && json_object_object_get_ex(o, "settings", &v));
	VG_CHECK(json_object_object_get_ex(v, "voice", &e));
	VG_CHECK(json_object_object_get_ex(v, "speed", &e));
	VG_CHECK(!json_object_object_get_ex(v, "temperature", &e));
	json_object_put(o);
	/* a provider offers its own */
	VG_CHECK_INT(vg_service_register(&fakemod, VG_SERVICE_AGENTS,
	    &fake_agents), 0);
	VG_CHECK_INT(get_auth("/api/presets", &r), 0);
	VG_CHECK(strstr(r.body, "\"source\":\"agents\"") != NULL);
	VG_CHECK(strstr(r.body, "from_service") != NULL);
	VG_CHECK_INT(get_auth("/api/settings-schema", &r), 0);
	VG_CHECK(strstr(r.body, "eagerness") != NULL);
	vg_service_unregister(&fakemod, VG_SERVICE_AGENTS);
	VG_CHECK_INT(get_auth("/api/presets", &r), 0);
	VG_CHECK(strstr(r.body, "\"source\":\"builtin\"") != NULL);
}

/* POST /api/calls goes to the outbound-call API with the key, and its
 * answer comes back as it was. */
static void
t_place_call(void)
{
	static const char body[] = "{\"to\":\"+15551234567\",\"task\":"
	    "{\"type\":\"survey\",\"speed\":1.1}}";
	struct http_resp r;
	char v[128];
	int n0;

	if (bring_up() == -1)
		return;
	n0 = outbound.n;
	VG_CHECK_INT(http_do("POST", "/api/calls", "Authorization: Bearer "
	    API_KEY "\r\n", "application/json", body, &r), 0);
	VG_CHECK_INT(r.status, 201);
	VG_CHECK(strstr(r.body, "\"call_sid\":\"CA0000") != NULL);
	VG_CHECK_STR(hdr(&r, "Content-Type", v, sizeof(v)),
	    "application/json");
	VG_CHECK_INT(outbound.n, n0 + 1);
	VG_CHECK_STR(outbound.auth, "Bearer " API_KEY);
	VG_CHECK_STR(outbound.body, body);
	/* its refusals pass through */
	VG_CHECK_INT(http_do("POST", "/api/calls", "Authorization: Bearer "
	    API_KEY "\r\n", "application/json", "{\"to\":\"555\"}", &r), 0);
	VG_CHECK_INT(r.status, 400);
	VG_CHECK(strstr(r.body, "E.164") != NULL);
	/* without twilio_http, a clear 503 */
	vg_http_unroute(&fakemod, "POST", "/twilio/outbound-call");
	VG_CHECK_INT(http_do("POST", "/api/calls", "Authorization: Bearer "
	    API_KEY "\r\n", "application/json", body, &r), 0);
	VG_CHECK_INT(r.status, 503);
	VG_CHECK(strstr(r.body, "twilio_http") != NULL);
	vg_http_route(&fakemod, "POST", "/twilio/outbound-call",
	    fake_outbound, NULL);
}

/* ---- the feed ---- */

/* Without the key (or with a wrong one) the feed closes with 4401. */
static void
t_feed_refused(void)
{
	struct feed f;

	if (bring_up() == -1)
		return;
	VG_CHECK_INT(feed_connect(&f, "", NULL), 0);
	VG_CHECK(pump_until_cb(feed_is_closed, &f));
	VG_CHECK_INT(f.code, 4401);
	VG_CHECK_INT(f.n, 0);
	feed_done(&f);
	VG_CHECK_INT(feed_connect(&f, "", "Authorization: Bearer nope"), 0);
	VG_CHECK(pump_until_cb(feed_is_closed, &f));
	VG_CHECK_INT(f.code, 4401);
	VG_CHECK_INT(f.n, 0);
	feed_done(&f);
	VG_CHECK_INT(feed_connect(&f, "", "Cookie: vg_session=123"), 0);
	VG_CHECK(pump_until_cb(feed_is_closed, &f));
	VG_CHECK_INT(f.code, 4401);
	feed_done(&f);
	VG_CHECK_INT(ui_g.nclients, 0);
}

/* Calls made for the feed tests. */
static struct vg_call *call_a, *call_b;

/* Make two calls once. */
static void
make_calls(void)
{
	if (call_a != NULL)
		return;
	call_a = vg_call_create(&fakemod, VG_CALL_INBOUND, "+14155550100",
	    "+15005550006");
	vg_call_set_attr(call_a, "task", "{\"type\":\"survey\"}");
	vg_call_set_attr(call_a, "call_sid",
	    "CA0000000000000000000000000000000a");
	vg_call_set_state(call_a, VG_CALL_IN_PROGRESS);
	call_b = vg_call_create(&fakemod, VG_CALL_OUTBOUND, "+15005550006",
	    "+15551234567");
	vg_bus_drain();
	pump_ms(10);
}

/* A client first gets a snapshot of the active calls. */
static void
t_feed_snapshot(void)
{
	struct json_object *o, *calls, *c, *v;
	struct feed f;
	size_t i;
	int seen = 0;

	if (bring_up() == -1)
		return;
	make_calls();
	VG_CHECK_INT(feed_connect(&f, "", "Authorization: Bearer " API_KEY),
	    0);
	VG_CHECK(pump_until_cb(feed_has_msg, &f));
	VG_CHECK(!f.closed);
	VG_CHECK(f.n >= 1);
	if (f.n < 1) {
		feed_done(&f);
		return;
	}
	o = json_tokener_parse(f.msgs[0]);
	VG_CHECK(o != NULL && json_object_object_get_ex(o, "type", &v) &&
	    strcmp(json_object_get_string(v), "snapshot") == 0);
	VG_CHECK(json_object_object_get_ex(o, "calls", &calls));
	VG_CHECK_INT(json_object_array_length(calls), 2);
	for (i = 0; i < json_object_array_length(calls); i++) {
		c = json_object_array_get_idx(calls, i);
		json_object_object_get_ex(c, "call_id", &v);
		if (strcmp(json_object_get_string(v), vg_call_id(call_a)) ==
		    0) {
			seen++;
			json_object_object_get_ex(c, "direction", &v);
			VG_CHECK_STR(json_object_get_string(v), "inbound");
			json_object_object_get_ex(c, "from", &v);
			VG_CHECK_STR(json_object_get_string(v),
			    "+14155550100");
			json_object_object_get_ex(c, "to", &v);
			VG_CHECK_STR(json_object_get_string(v),
			    "+15005550006");
			json_object_object_get_ex(c, "state", &v);
			VG_CHECK_STR(json_object_get_string(v),
			    "in-progress");
			VG_CHECK(json_object_object_get_ex(c, "task_type",
			    &v) && strcmp(json_object_get_string(v),
			    "survey") == 0);
			VG_CHECK(json_object_object_get_ex(c, "started", &v) &&
			    json_object_get_int64(v) > 0);
		} else {
			json_object_object_get_ex(c, "direction", &v);
			VG_CHECK_STR(json_object_get_string(v), "outbound");
		}
	}
	VG_CHECK_INT(seen, 1);
	json_object_put(o);
	VG_CHECK_INT(ui_g.nclients, 1);
	feed_done(&f);
	VG_CHECK_INT(ui_g.nclients, 0);
}

/* Live events arrive in publish order, as vg_event_to_json renders them;
 * audio never does. */
static void
t_feed_live_order(void)
{
	struct want w;
	struct feed f;
	char v[64], exp[32];
	int i;

	if (bring_up() == -1)
		return;
	make_calls();
	VG_CHECK_INT(feed_connect(&f, "", "Authorization: Bearer " API_KEY),
	    0);
	VG_CHECK(pump_until_cb(feed_has_msg, &f));
	for (i = 0; i < 30; i++) {
		emit_final(vg_call_id(call_a), i);
		vg_bus_publish(vg_event_new_audio("audio.in",
		    vg_call_id(call_a), VG_CODEC_PCMU, 8000, 0, "xxxx", 4));
	}
	vg_bus_emit("call.dtmf", vg_call_id(call_b), json_tokener_parse(
	    "{\"digit\":\"5\"}"));
	w.f = &f;
	w.n = 32;
	VG_CHECK(pump_until_cb(feed_has_n, &w));
	pump_ms(30);
	VG_CHECK_INT(f.n, 32);		/* snapshot, 30 finals, dtmf */
	for (i = 0; i < 30 && i + 1 < f.n; i++) {
		VG_CHECK_STR(msg_field(&f, i + 1, "type", v, sizeof(v)),
		    "transcript.final");
		snprintf(exp, sizeof(exp), "line %d", i);
		VG_CHECK_STR(msg_field(&f, i + 1, "text", v, sizeof(v)), exp);
		VG_CHECK_STR(msg_field(&f, i + 1, "call_id", v, sizeof(v)),
		    vg_call_id(call_a));
		VG_CHECK(*msg_field(&f, i + 1, "seq", v, sizeof(v)) != '\0');
	}
	VG_CHECK_STR(msg_field(&f, 31, "type", v, sizeof(v)), "call.dtmf");
	VG_CHECK_STR(msg_field(&f, 31, "digit", v, sizeof(v)), "5");
	feed_done(&f);
}

/* ?call_id= gives only that call, snapshot included. */
static void
t_feed_filter(void)
{
	struct json_object *o, *calls;
	struct feed f, all;
	struct want w;
	char q[96], v[64];

	if (bring_up() == -1)
		return;
	make_calls();
	snprintf(q, sizeof(q), "?call_id=%s", vg_call_id(call_b));
	VG_CHECK_INT(feed_connect(&f, q, "Authorization: Bearer " API_KEY),
	    0);
	VG_CHECK(pump_until_cb(feed_has_msg, &f));
	VG_CHECK_INT(feed_connect(&all, "", "Authorization: Bearer "
	    API_KEY), 0);
	VG_CHECK(pump_until_cb(feed_has_msg, &all));
	o = f.n > 0 ? json_tokener_parse(f.msgs[0]) : NULL;
	VG_CHECK(o != NULL && json_object_object_get_ex(o, "calls", &calls) &&
	    json_object_array_length(calls) == 1);
	json_object_put(o);
	emit_final(vg_call_id(call_a), 1);
	emit_final(vg_call_id(call_b), 2);
	emit_final(vg_call_id(call_a), 3);
	emit_final(NULL, 4);
	emit_final(vg_call_id(call_b), 5);
	w.f = &all;
	w.n = 6;
	VG_CHECK(pump_until_cb(feed_has_n, &w));
	pump_ms(30);
	VG_CHECK_INT(all.n, 6);
	VG_CHECK_INT(f.n, 3);
	VG_CHECK_STR(msg_field(&f, 1, "text", v, sizeof(v)), "line 2");
	VG_CHECK_STR(msg_field(&f, 2, "text", v, sizeof(v)), "line 5");
	VG_CHECK_STR(msg_field(&f, 2, "call_id", v, sizeof(v)),
	    vg_call_id(call_b));
	feed_done(&f);
	feed_done(&all);
}

/* A partial still queued is replaced by its newer text: a burst of
 * partials for one item reaches the client as the last one. */
static void
t_feed_partials_coalesced(void)
{
	struct json_object *p;
	struct feed f;
	struct want w;
	char text[32], v[64];
	int i;

	if (bring_up() == -1)
		return;
	make_calls();
	VG_CHECK_INT(feed_connect(&f, "", "Authorization: Bearer " API_KEY),
	    0);
	VG_CHECK(pump_until_cb(feed_has_msg, &f));
	for (i = 1; i <= 10; i++) {
		p = json_object_new_object();
		snprintf(text, sizeof(text), "partial %d", i);
		json_object_object_add(p, "speaker",
		    json_object_new_string("caller"));
		json_object_object_add(p, "item_id",
		    json_object_new_string("item_c"));
		json_object_object_add(p, "text", json_object_new_string(text));
		vg_bus_emit("transcript.partial", vg_call_id(call_a), p);
	}
	vg_bus_drain();		/* one burst */
	w.f = &f;
	w.n = 2;
	VG_CHECK(pump_until_cb(feed_has_n, &w));
	pump_ms(30);
	VG_CHECK_INT(f.n, 2);
	VG_CHECK_STR(msg_field(&f, 1, "text", v, sizeof(v)), "partial 10");
	feed_done(&f);
}

/* A client whose outbox overflows in one burst is dropped (1008); the
 * others carry on. */
static void
t_feed_outbox_drop(void)
{
	struct feed slow, fast;
	struct want w;
	int64_t before;
	char q[96];
	int i;

	if (bring_up() == -1)
		return;
	make_calls();
	before = vg_metric_value(ui_g.m_dropped);
	VG_CHECK_INT(feed_connect(&slow, "", "Authorization: Bearer "
	    API_KEY), 0);
	VG_CHECK(pump_until_cb(feed_has_msg, &slow));
	snprintf(q, sizeof(q), "?call_id=%s", vg_call_id(call_b));
	VG_CHECK_INT(feed_connect(&fast, q, "Authorization: Bearer " API_KEY),
	    0);
	VG_CHECK(pump_until_cb(feed_has_msg, &fast));
	for (i = 0; i < QUEUE_MAX + 10; i++)
		emit_final(vg_call_id(call_a), i);
	emit_final(vg_call_id(call_b), 99);
	vg_bus_drain();		/* all in one burst, before any flush */
	VG_CHECK(pump_until_cb(feed_is_closed, &slow));
	VG_CHECK_INT(slow.code, VG_WS_CLOSE_POLICY);
	VG_CHECK_INT(vg_metric_value(ui_g.m_dropped), before + 1);
	w.f = &fast;
	w.n = 2;
	VG_CHECK(pump_until_cb(feed_has_n, &w));
	VG_CHECK(!fast.closed);
	VG_CHECK_INT(fast.n, 2);
	VG_CHECK_INT(ui_g.nclients, 1);
	feed_done(&slow);
	feed_done(&fast);
}

/* A client that never reads is dropped once its queue fills, while a
 * fast one gets every event, in order. */
static void
t_feed_slow_reader(void)
{
	static const char req[] = "GET " UI_FEED_PATH " HTTP/1.1\r\n"
	    "Host: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	    "Sec-WebSocket-Version: 13\r\n"
	    "Authorization: Bearer " API_KEY "\r\n\r\n";
	struct json_object *p;
	struct feed fast;
	struct http_client raw;
	char *big, v[64];
	uint64_t end;
	int i, sent = 0, ok = 1;

	if (bring_up() == -1)
		return;
	make_calls();
	memset(&raw, 0, sizeof(raw));
	VG_CHECK((raw.fd = tcp_open(2048)) != -1);
	VG_CHECK(write(raw.fd, req, sizeof(req) - 1) ==
	    (ssize_t)sizeof(req) - 1);
	end = vg_now_ms() + WAIT_MS;
	while (ui_g.nclients < 1 && vg_now_ms() < end)
		pump_ms(5);
	VG_CHECK_INT(ui_g.nclients, 1);
	VG_CHECK_INT(feed_connect(&fast, "", "Authorization: Bearer "
	    API_KEY), 0);
	VG_CHECK(pump_until_cb(feed_has_msg, &fast));
	VG_CHECK_INT(ui_g.nclients, 2);
	big = malloc(8193);
	memset(big, 'x', 8192);
	big[8192] = '\0';
	end = vg_now_ms() + WAIT_MS;
	/* paced like real traffic: a few events a loop turn */
	while (ui_g.nclients > 1 && vg_now_ms() < end && sent < 6000) {
		for (i = 0; i < 4; i++) {
			p = json_object_new_object();
			json_object_object_add(p, "n",
			    json_object_new_int(sent++));
			json_object_object_add(p, "pad",
			    json_object_new_string(big));
			vg_bus_emit("tool.result", vg_call_id(call_a), p);
		}
		pump_ms(2);
	}
	free(big);
	VG_CHECK_INT(ui_g.nclients, 1);	/* the slow one is gone */
	VG_CHECK(sent < 6000);
	VG_CHECK(sent + 1 < MSGS_MAX);
	/* the fast one got all, in order */
	end = vg_now_ms() + WAIT_MS;
	while (fast.n < sent + 1 && !fast.closed && vg_now_ms() < end)
		pump_ms(5);
	VG_CHECK(!fast.closed);
	VG_CHECK_INT(fast.n, sent + 1);
	for (i = 1; i < fast.n && ok; i++) {
		snprintf(v, sizeof(v), "%d", i - 1);
		if (strcmp(msg_field(&fast, i, "n", v + 16, 32), v) != 0)
			ok = 0;
	}
	VG_CHECK(ok);
	close(raw.fd);
	feed_done(&fast);
}

/* Unload closes feed clients (1001) and removes the routes. */
static void
t_unload(void)
{
	struct feed f;
	struct http_resp r;

	if (bring_up() == -1)
		return;
	VG_CHECK_INT(feed_connect(&f, "", "Authorization: Bearer " API_KEY),
	    0);
	VG_CHECK(pump_until_cb(feed_has_msg, &f));
	vg_module_info.unload(&uimod);
	VG_CHECK(pump_until_cb(feed_is_closed, &f));
	VG_CHECK_INT(f.code, VG_WS_CLOSE_GOING_AWAY);
	feed_done(&f);
	VG_CHECK_INT(get_auth("/api/calls", &r), 0);
	VG_CHECK_INT(r.status, 404);
	VG_CHECK_INT(get_auth("/", &r), 0);
	VG_CHECK_INT(r.status, 404);
	/* nothing forgotten */
	VG_CHECK_INT(vg_core_release_owner(&uimod), 0);
	vg_conf_free(uimod.conf);
	uimod.conf = NULL;
	up = -1;		/* later cases have no module */
}

static const struct vg_test cases[] = {
	{ "www/names_and_types",		t_www_names },
	{ "auth/cookie_parse",			t_cookie_parse },
	{ "feed/outbox_bounds",			t_outbox },
	{ "auth/refused_without_key",		t_refused },
	{ "auth/login_wrong_key_401",		t_login_wrong },
	{ "auth/login_cookie_works",		t_login_cookie },
	{ "static/types_and_caching",		t_static_files },
	{ "static/traversal_refused",		t_static_traversal },
	{ "api/presets_fallback",		t_presets },
	{ "api/place_call_forwarded",		t_place_call },
	{ "feed/refused_without_key",		t_feed_refused },
	{ "feed/snapshot_on_connect",		t_feed_snapshot },
	{ "feed/live_events_in_order",		t_feed_live_order },
	{ "feed/call_id_filter",		t_feed_filter },
	{ "feed/partials_coalesced",		t_feed_partials_coalesced },
	{ "feed/outbox_full_dropped",		t_feed_outbox_drop },
	{ "feed/slow_reader_dropped",		t_feed_slow_reader },
	{ "module/unload_releases_all",		t_unload },
};
VG_TEST_MAIN(cases)
