/*
 * ui_events: HTTP routes. The page's static files (from memory, with
 * ETag, Last-Modified and Cache-Control), the login form and its cookie,
 * and the small JSON API the page uses: presets and the settings schema
 * (from the agents service when a provider offers it, else built in), the
 * active calls, and placing a call, which is forwarded to twilio_http's
 * POST /twilio/outbound-call on our own listener so it takes the very same
 * checks. Every route but login wants the key or a session. Core thread.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include <voicegate/voicegate.h>

#include "ui_events.h"

#define UI_CSP_PAGE	"default-src 'self'; script-src 'self'; " \
	"style-src 'self'; connect-src 'self'; img-src 'self' data:; " \
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
#define UI_CSP_LOGIN	"default-src 'none'; style-src 'unsafe-inline'; " \
	"img-src data:; form-action 'self'; frame-ancestors 'none'; " \
	"base-uri 'none'"

/* The login form: served, 401, instead of any page file. */
static const char ui_login_head[] =
	"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
	"<meta name=\"viewport\" content=\"width=device-width,"
	"initial-scale=1\"><title>voicegate: sign in</title>"
	"<link rel=\"icon\" href=\"data:,\"><style>"
	"body{margin:0;min-height:100vh;display:flex;align-items:center;"
	"justify-content:center;background:#0f1216;color:#e6e9ee;"
	"font:15px/1.5 system-ui,sans-serif}"
	"form{background:#171b21;border:1px solid #2a313b;border-radius:10px;"
	"padding:28px;width:min(360px,90vw)}"
	"h1{font-size:18px;margin:0 0 16px}"
	"label{display:block;margin-bottom:6px;color:#9aa4b2}"
	"input{width:100%;box-sizing:border-box;padding:10px;border-radius:6px;"
	"border:1px solid #2a313b;background:#0f1216;color:#e6e9ee;"
	"font-size:15px}"
	"button{margin-top:16px;width:100%;padding:10px;border:0;"
	"border-radius:6px;background:#3b82f6;color:#fff;font-size:15px;"
	"cursor:pointer}"
	".err{color:#f87171;margin:12px 0 0}"
	"</style></head><body>"
	"<form method=\"post\" action=\"/api/login\" id=\"login-form\" "
	"data-testid=\"login-form\"><h1>voicegate</h1>"
	"<label for=\"login-key\">API key</label>"
	"<input id=\"login-key\" data-testid=\"login-key\" name=\"key\" "
	"type=\"password\" autocomplete=\"current-password\" required "
	"autofocus>"
	"<button id=\"login-submit\" data-testid=\"login-submit\" "
	"type=\"submit\">Sign in</button>";
static const char ui_login_tail[] = "</form></body></html>";

/* Presets when no agents service is loaded. */
static const struct {
	const char	*name;
	const char	*description;
	const char	*prompt;
} ui_builtin_presets[] = {
	{ "transit_booking", "Book, change or cancel a transit trip",
	    "Help the caller book, change or cancel a trip: origin, "
	    "destination, date, time and number of travellers." },
	{ "appointment_reminder", "Remind of an appointment and confirm it",
	    "Remind the person of their appointment, confirm it, or offer "
	    "to reschedule." },
	{ "survey", "A short customer satisfaction survey",
	    "Ask three short questions about the last visit and thank the "
	    "person." },
	{ "custom", "Your own prompt and instructions", "" },
};

/* Voices offered when no agents service is loaded. */
static const char *const ui_builtin_voices[] = {
	"alloy", "ash", "ballad", "cedar", "coral", "echo", "marin", "sage",
	"shimmer", "verse",
};

/* ---- helpers ---- */

/*
 * Headers every answer of ours carries. Referrer-Policy same-origin, not
 * no-referrer: under no-referrer browsers send "Origin: null" with the
 * login form's POST, which the same-origin check must refuse.
 */
static void
ui_common_headers(struct vg_http_req *req)
{
	vg_http_add_header(req, "X-Content-Type-Options", "nosniff");
	vg_http_add_header(req, "Referrer-Policy", "same-origin");
	vg_http_add_header(req, "X-Frame-Options", "DENY");
}

/* Answer REQ with OBJ (taken) as JSON, never cached. */
static void
ui_respond_json(struct vg_http_req *req, int status, struct json_object *obj)
{
	const char *s = json_object_to_json_string_ext(obj,
	    JSON_C_TO_STRING_PLAIN);

	ui_common_headers(req);
	vg_http_add_header(req, "Cache-Control", "no-store");
	vg_http_respond(req, status, "application/json", s, strlen(s));
	json_object_put(obj);
}

/* Answer {"error": MSG}. */
static void
ui_respond_error(struct vg_http_req *req, int status, const char *msg)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "error", json_object_new_string(msg));
	ui_respond_json(req, status, o);
}

/* Answer the login form, 401, with an optional error line ERR. */
static void
ui_respond_login(struct vg_http_req *req, const char *err)
{
	char *page;

	page = vg_asprintf("%s%s%s%s%s", ui_login_head,
	    err != NULL ? "<p class=\"err\" id=\"login-error\" "
	    "data-testid=\"login-error\" role=\"alert\">" : "",
	    err != NULL ? err : "", err != NULL ? "</p>" : "", ui_login_tail);
	ui_common_headers(req);
	vg_http_add_header(req, "Cache-Control", "no-store");
	vg_http_add_header(req, "Content-Security-Policy", UI_CSP_LOGIN);
	vg_http_respond(req, 401, "text/html; charset=utf-8", page,
	    strlen(page));
	free(page);
}

/* True when REQ carries the key or a session; for a request that changes
 * something (POST), a browser's Origin must also be our own. */
static int
ui_authorised(struct vg_http_req *req)
{
	if (!ui_auth_check(vg_http_req_header(req, "authorization"),
	    vg_http_req_header(req, "cookie")))
		return (0);
	if (strcasecmp(vg_http_req_method(req), "GET") != 0 &&
	    !ui_auth_same_origin(vg_http_req_header(req, "origin"),
	    vg_http_req_header(req, "host")))
		return (0);
	return (1);
}

/* Refuse REQ (401) and say so in the log, without any credential. */
static void
ui_refuse(struct vg_http_req *req, int page)
{
	vg_metric_inc(ui_g.m_auth_fail, 1);
	vg_log(VG_LOG_NOTICE, "%s %s from %s: not authorised",
	    vg_http_req_method(req), vg_http_req_path(req),
	    vg_http_req_peer(req));
	if (page) {
		ui_respond_login(req, NULL);
		return;
	}
	vg_http_add_header(req, "WWW-Authenticate", "Bearer");
	ui_respond_error(req, 401, "a valid API key or session is required");
}

/* The agents service, if a provider offers it (release after use). */
static const struct vg_agents_service *
ui_agents(void)
{
	return (vg_service_get(ui_g.self, VG_SERVICE_AGENTS));
}

/* ---- static files ---- */

/* GET / and the page's files. */
static void
ui_http_static(struct vg_http_req *req, void *arg)
{
	const struct ui_file *f;
	const char *inm;

	if (!ui_authorised(req)) {
		ui_refuse(req, 1);
		return;
	}
	f = ui_www_find(ui_g.files, ui_g.nfiles, vg_http_req_path(req));
	ui_common_headers(req);
	if (f == NULL) {
		vg_http_respond_error(req, 404, "not found");
		return;
	}
	vg_http_add_header(req, "Cache-Control", "no-cache");
	vg_http_add_header(req, "ETag", f->etag);
	vg_http_add_header(req, "Last-Modified", f->last_modified);
	if (strncmp(f->type, "text/html", 9) == 0)
		vg_http_add_header(req, "Content-Security-Policy",
		    UI_CSP_PAGE);
	inm = vg_http_req_header(req, "if-none-match");
	if (inm != NULL && (strcmp(inm, f->etag) == 0 ||
	    strcmp(inm, "*") == 0)) {
		vg_http_respond(req, 304, NULL, NULL, 0);
		return;
	}
	vg_http_respond(req, 200, f->type, f->data, f->len);
}

/* ---- login ---- */

/* Pick "key" out of a login form. */
static int
ui_login_pair(const char *key, const char *value, void *arg)
{
	char *out = arg;

	if (strcmp(key, "key") == 0)
		vg_strlcpy(out, value, UI_KEY_MAX);
	return (0);
}

/* The key a login request gives, into KEY. Returns 0, or -1 when the body
 * is malformed. */
static int
ui_login_key(struct vg_http_req *req, int json, char *key)
{
	struct json_object *o, *v;
	const char *body;
	size_t len;
	int rc = -1;

	key[0] = '\0';
	body = vg_http_req_body(req, &len);
	if (len > UI_BODY_MAX)
		return (-1);
	if (!json)
		return (vg_form_parse(body, len, ui_login_pair, key));
	if ((o = json_tokener_parse(body)) == NULL)
		return (-1);
	if (json_object_object_get_ex(o, "key", &v) &&
	    json_object_is_type(v, json_type_string)) {
		vg_strlcpy(key, json_object_get_string(v), UI_KEY_MAX);
		rc = 0;
	}
	json_object_put(o);
	return (rc);
}

/* True when the session cookie should say Secure. */
static int
ui_cookie_secure(void)
{
	if (ui_g.conf.cookie_secure >= 0)
		return (ui_g.conf.cookie_secure);
	return (strncasecmp(vg_public_url(), "https://", 8) == 0);
}

/* POST /api/login: form or JSON with the key; a session cookie back. */
static void
ui_http_login(struct vg_http_req *req, void *arg)
{
	const char *ct = vg_http_req_header(req, "content-type");
	char key[UI_KEY_MAX], token[2 * UI_TOKEN_BYTES + 1], *cookie;
	int json = ct != NULL && strncasecmp(ct, "application/json", 16) == 0;
	int ok;

	if (ui_login_key(req, json, key) == -1) {
		ui_respond_error(req, 400, "give the key as a form field "
		    "\"key\" or JSON {\"key\": ...}");
		return;
	}
	ok = ui_auth_key_ok(key);
	explicit_bzero(key, sizeof(key));
	if (!ok || !ui_auth_same_origin(vg_http_req_header(req, "origin"),
	    vg_http_req_header(req, "host"))) {
		vg_metric_inc(ui_g.m_auth_fail, 1);
		vg_log(VG_LOG_NOTICE, "login from %s: %s",
		    vg_http_req_peer(req),
		    *ui_g.conf.api_key == '\0' ? "refused, no api_key is "
		    "configured" : ok ? "foreign origin" : "wrong key");
		if (json)
			ui_respond_error(req, 401, "wrong key");
		else
			ui_respond_login(req, "Wrong key.");
		return;
	}
	if (ui_session_new(token) == -1) {
		ui_respond_error(req, 500, "cannot start a session");
		return;
	}
	cookie = vg_asprintf("%s=%s; Path=/; Max-Age=%lld; HttpOnly; "
	    "SameSite=Strict%s", UI_COOKIE, token, ui_g.conf.session_ttl_s,
	    ui_cookie_secure() ? "; Secure" : "");
	explicit_bzero(token, sizeof(token));
	vg_http_add_header(req, "Set-Cookie", cookie);
	explicit_bzero(cookie, strlen(cookie));
	free(cookie);
	vg_log(VG_LOG_NOTICE, "login from %s", vg_http_req_peer(req));
	if (json) {
		ui_respond_json(req, 200, json_tokener_parse("{\"ok\":true}"));
		return;
	}
	ui_common_headers(req);
	vg_http_add_header(req, "Location", "/");
	vg_http_add_header(req, "Cache-Control", "no-store");
	vg_http_respond(req, 303, "text/plain", "", 0);
}

/* POST /api/logout: end the session, expire the cookie. */
static void
ui_http_logout(struct vg_http_req *req, void *arg)
{
	const char *c = vg_http_req_header(req, "cookie");
	char token[2 * UI_TOKEN_BYTES + 1], *cookie;

	if (c != NULL && ui_auth_cookie(c, UI_COOKIE, token,
	    sizeof(token)) == 0)
		ui_session_end(token);
	cookie = vg_asprintf("%s=; Path=/; Max-Age=0; HttpOnly; "
	    "SameSite=Strict%s", UI_COOKIE, ui_cookie_secure() ? "; Secure" :
	    "");
	vg_http_add_header(req, "Set-Cookie", cookie);
	free(cookie);
	ui_respond_json(req, 200, json_tokener_parse("{\"ok\":true}"));
}

/* ---- API ---- */

/* GET /api/session: am I logged in? */
static void
ui_http_session(struct vg_http_req *req, void *arg)
{
	if (!ui_authorised(req)) {
		ui_refuse(req, 0);
		return;
	}
	ui_respond_json(req, 200, json_tokener_parse(
	    "{\"authenticated\":true}"));
}

/* GET /api/presets: the agents service's, or the built-in ones. */
static void
ui_http_presets(struct vg_http_req *req, void *arg)
{
	const struct vg_agents_service *svc;
	struct json_object *o, *arr = NULL, *p;
	size_t i;

	if (!ui_authorised(req)) {
		ui_refuse(req, 0);
		return;
	}
	o = json_object_new_object();
	if ((svc = ui_agents()) != NULL) {
		if (svc->presets != NULL)
			arr = svc->presets();
		vg_service_release(ui_g.self, VG_SERVICE_AGENTS);
	}
	if (arr != NULL && json_object_is_type(arr, json_type_array)) {
		json_object_object_add(o, "source",
		    json_object_new_string("agents"));
	} else {
		json_object_put(arr);
		arr = json_object_new_array();
		for (i = 0; i < VG_NELEM(ui_builtin_presets); i++) {
			p = json_object_new_object();
			json_object_object_add(p, "name",
			    json_object_new_string(ui_builtin_presets[i].name));
			json_object_object_add(p, "description",
			    json_object_new_string(
			    ui_builtin_presets[i].description));
			json_object_object_add(p, "prompt",
			    json_object_new_string(
			    ui_builtin_presets[i].prompt));
			json_object_array_add(arr, p);
		}
		json_object_object_add(o, "source",
		    json_object_new_string("builtin"));
	}
	json_object_object_add(o, "presets", arr);
	ui_respond_json(req, 200, o);
}

/* The settings a task may override when no provider says. */
static struct json_object *
ui_builtin_schema(void)
{
	struct json_object *s = json_object_new_object(), *v, *e;
	size_t i;

	v = json_object_new_object();
	json_object_object_add(v, "type", json_object_new_string("string"));
	e = json_object_new_array();
	for (i = 0; i < VG_NELEM(ui_builtin_voices); i++)
		json_object_array_add(e,
		    json_object_new_string(ui_builtin_voices[i]));
	json_object_object_add(v, "enum", e);
	json_object_object_add(v, "default", json_object_new_string("marin"));
	json_object_object_add(v, "description",
	    json_object_new_string("the agent's voice"));
	json_object_object_add(s, "voice", v);
	v = json_object_new_object();
	json_object_object_add(v, "type", json_object_new_string("number"));
	json_object_object_add(v, "minimum", json_object_new_double(0.25));
	json_object_object_add(v, "maximum", json_object_new_double(1.5));
	json_object_object_add(v, "step", json_object_new_double(0.05));
	json_object_object_add(v, "default", json_object_new_double(1.0));
	json_object_object_add(v, "description",
	    json_object_new_string("speech speed"));
	json_object_object_add(s, "speed", v);
	return (s);
}

/* GET /api/settings-schema: what a task may override. */
static void
ui_http_schema(struct vg_http_req *req, void *arg)
{
	const struct vg_agents_service *svc;
	struct json_object *o, *s = NULL;

	if (!ui_authorised(req)) {
		ui_refuse(req, 0);
		return;
	}
	o = json_object_new_object();
	if ((svc = ui_agents()) != NULL) {
		if (svc->settings_schema != NULL)
			s = svc->settings_schema();
		vg_service_release(ui_g.self, VG_SERVICE_AGENTS);
	}
	if (s != NULL && json_object_is_type(s, json_type_object)) {
		json_object_object_add(o, "source",
		    json_object_new_string("agents"));
	} else {
		json_object_put(s);
		s = ui_builtin_schema();
		json_object_object_add(o, "source",
		    json_object_new_string("builtin"));
	}
	json_object_object_add(o, "settings", s);
	ui_respond_json(req, 200, o);
}

/* GET /api/calls: the active calls. */
static void
ui_http_calls(struct vg_http_req *req, void *arg)
{
	struct json_object *o;

	if (!ui_authorised(req)) {
		ui_refuse(req, 0);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "calls", ui_calls_json(NULL));
	ui_respond_json(req, 200, o);
}

/* Forget F. */
static void
ui_fwd_free(struct ui_fwd *f)
{
	if (f->prev != NULL)
		f->prev->next = f->next;
	else
		ui_g.fwds = f->next;
	if (f->next != NULL)
		f->next->prev = f->prev;
	free(f);
}

/* twilio_http answered a forwarded call: pass its answer on. */
static void
ui_fwd_done(const struct vg_http_result *res, void *arg)
{
	struct ui_fwd *f = arg;
	struct vg_http_req *req = f->req;
	char msg[256];

	ui_fwd_free(f);
	if (res->status == 0) {
		snprintf(msg, sizeof(msg), "could not reach the outbound-call "
		    "API: %s", res->error != NULL ? res->error : "no answer");
		ui_respond_error(req, res->timed_out ? 504 : 502, msg);
		return;
	}
	if (res->status == 404) {
		ui_respond_error(req, 503, "placing calls needs the "
		    "twilio_http module");
		return;
	}
	ui_common_headers(req);
	vg_http_add_header(req, "Cache-Control", "no-store");
	vg_http_respond(req, res->status, res->content_type != NULL ?
	    res->content_type : "application/json", res->body, res->body_len);
}

/* POST /api/calls: place a call through twilio_http's API. */
static void
ui_http_place(struct vg_http_req *req, void *arg)
{
	struct vg_http_request r;
	struct ui_fwd *f;
	const char *body;
	char *url, *auth;
	const char *hdrs[3];
	size_t len;

	if (!ui_authorised(req)) {
		ui_refuse(req, 0);
		return;
	}
	body = vg_http_req_body(req, &len);
	if (len > UI_BODY_MAX) {
		ui_respond_error(req, 413, "request too large");
		return;
	}
	url = vg_asprintf("%s/twilio/outbound-call", ui_g.conf.self_url);
	auth = vg_asprintf("Authorization: Bearer %s", ui_g.conf.api_key);
	hdrs[0] = auth;
	hdrs[1] = "Content-Type: application/json";
	hdrs[2] = NULL;
	memset(&r, 0, sizeof(r));
	r.method = "POST";
	r.url = url;
	r.headers = hdrs;
	r.body = body;
	r.body_len = len;
	r.timeout_ms = 130 * 1000;	/* twilio_http's own limit is 120 s */
	f = vg_xcalloc(1, sizeof(*f));
	f->req = req;
	if ((f->next = ui_g.fwds) != NULL)
		f->next->prev = f;
	ui_g.fwds = f;
	f->fetch = vg_http_fetch(ui_g.self, &r, ui_fwd_done, f);
	explicit_bzero(auth, strlen(auth));
	free(auth);
	free(url);
	if (f->fetch == NULL) {
		ui_fwd_free(f);
		ui_respond_error(req, 502, "cannot reach the outbound-call "
		    "API");
	}
}

/* ---- registration ---- */

static const struct {
	const char	*method;
	const char	*path;
	vg_http_fn	 fn;
} ui_api_routes[] = {
	{ "POST",	"/api/login",		ui_http_login },
	{ "POST",	"/api/logout",		ui_http_logout },
	{ "GET",	"/api/session",		ui_http_session },
	{ "GET",	"/api/presets",		ui_http_presets },
	{ "GET",	"/api/settings-schema",	ui_http_schema },
	{ "GET",	"/api/calls",		ui_http_calls },
	{ "POST",	"/api/calls",		ui_http_place },
};

/* Register the routes. */
int
ui_http_start(void)
{
	size_t i;

	if (vg_http_route(ui_g.self, "GET", "/", ui_http_static, NULL) == -1)
		goto taken;
	ui_g.routed = 1;
	for (i = 0; i < ui_g.nfiles; i++) {
		if (vg_http_route(ui_g.self, "GET", ui_g.files[i].route,
		    ui_http_static, NULL) == -1)
			goto taken;
	}
	for (i = 0; i < VG_NELEM(ui_api_routes); i++) {
		if (vg_http_route(ui_g.self, ui_api_routes[i].method,
		    ui_api_routes[i].path, ui_api_routes[i].fn, NULL) == -1)
			goto taken;
	}
	return (0);

taken:
	vg_log(VG_LOG_ERROR, "a route of ours is taken by another module");
	ui_http_stop();
	return (-1);
}

/* Unregister the routes; pending forwards get 503. */
void
ui_http_stop(void)
{
	struct ui_fwd *f;
	size_t i;

	while ((f = ui_g.fwds) != NULL) {
		vg_http_fetch_cancel(f->fetch);
		vg_http_respond_error(f->req, 503, "unloading");
		ui_fwd_free(f);
	}
	if (!ui_g.routed)
		return;
	vg_http_unroute(ui_g.self, "GET", "/");
	for (i = 0; i < ui_g.nfiles; i++)
		vg_http_unroute(ui_g.self, "GET", ui_g.files[i].route);
	for (i = 0; i < VG_NELEM(ui_api_routes); i++)
		vg_http_unroute(ui_g.self, ui_api_routes[i].method,
		    ui_api_routes[i].path);
	ui_g.routed = 0;
}
