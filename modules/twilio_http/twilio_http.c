/*
 * twilio_http: Twilio's HTTP side. Signed webhooks (an incoming call gets
 * TwiML that connects a Media Stream to media_ws; status callbacks move the
 * call's state), the outbound-call API and "voicegatectl call", which place
 * calls through Twilio's REST API, hang-up and transfer requests from the
 * bus, and GET /twilio/health. Core thread only; REST calls go through the
 * core's asynchronous HTTP client. Configuration: twilio_http.conf,
 * sections [twilio], [routes] and [task.NAME].
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include <voicegate/voicegate.h>

#include "twilio_http.h"
#include "twilio_sig.h"
#include "twilio_text.h"

#define TH_REPLAY_MS	(5 * 60 * 1000)	/* a signature is remembered */
#define TH_REPLAY_MAX	8192		/* signatures remembered at most */
#define TH_SID_MAX	64		/* a Twilio sid, with room */
#define TH_WHY_MAX	768		/* a signature failure's reason */
#define TH_ERR_MAX	256		/* a message for the client */
#define TH_TOKEN_BYTES	16		/* media token: 32 hex digits */
#define TH_STREAM_PATH	"/twilio/media-stream"
#define TH_TASK_PREFIX	"task."		/* [task.NAME] sections */

/* The configuration in force; replaced whole on reload. */
struct th_conf {
	char		*account_sid;
	char		*auth_token;
	char		*from_number;
	char		*api_base_url;
	char		*api_key;
	char		*greeting;
	char		*webhook_url;	/* shared webhook base, "" if none */
	char		*default_task;	/* JSON text */
	int		 validate;
	long long	 timeout_s;
	struct th_route	*routes;
	size_t		 nroutes;
};

/* One [routes] line: a called number and the task (JSON text) it gets. */
struct th_route {
	char		*number;
	char		*task;
};

/* A webhook signature seen recently, for the replay guard. */
struct th_seen {
	char		 sig[TWILIO_SIG_LEN + 1];
	char		 call_sid[TH_SID_MAX];
	uint64_t	 expires_ms;
};

/* Our private data on a call (vg_call_set_data). */
struct th_call {
	long long	 last_seq;	/* status callback SequenceNumber */
	unsigned	 hangup_busy:1;	/* a hang-up request is in flight */
	unsigned	 hung_up:1;	/* Twilio took the hang-up */
};

/* How an outbound call request ends: STATUS and the JSON answer (taken). */
typedef void	(*th_outbound_fn)(int status, struct json_object *answer,
		    void *arg);

enum th_op {
	TH_OP_CREATE = 0,
	TH_OP_HANGUP,
	TH_OP_TRANSFER,
};

/* A REST request in flight; on g.fetches until its answer or unload. */
struct th_fetch {
	enum th_op		 op;
	struct vg_http_fetch	*fetch;
	char			 call_id[VG_CALL_ID_MAX];
	th_outbound_fn		 done;		/* TH_OP_CREATE */
	void			*done_arg;
	struct th_fetch		*prev;
	struct th_fetch		*next;
};

static struct {
	struct vg_module	*self;
	struct th_conf		 conf;
	struct th_seen		*seen;
	size_t			 nseen;
	struct th_fetch		*fetches;
	struct vg_sub		*hangup_sub;
	struct vg_sub		*transfer_sub;
	struct vg_metric	*m_webhooks;
	struct vg_metric	*m_sig_fail;
	struct vg_metric	*m_replays;
	struct vg_metric	*m_out_ok;
	struct vg_metric	*m_out_failed;
	struct vg_metric	*m_rest_failed;
	unsigned		 routed:1;
	unsigned		 cli_added:1;
} g;

static void	th_create_done(struct th_fetch *tf,
		    const struct vg_http_result *res);
static void	th_update_done(struct th_fetch *tf,
		    const struct vg_http_result *res);

/* ---- helpers ---- */

/* Answer REQ with OBJ (taken) as JSON. */
static void
th_respond_json(struct vg_http_req *req, int status, struct json_object *obj)
{
	const char *s;

	s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN);
	vg_http_respond(req, status, "application/json", s, strlen(s));
	json_object_put(obj);
}

/* A JSON error object {"error": MSG}, with "code" when CODE is not 0. */
static struct json_object *
th_error_json(const char *msg, long long code)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "error", json_object_new_string(msg));
	if (code != 0)
		json_object_object_add(o, "code", json_object_new_int64(code));
	return (o);
}

/* Fill OUT (2 * TH_TOKEN_BYTES + 1) with a random hex token. */
static int
th_token(char *out)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[TH_TOKEN_BYTES];
	size_t i;

	if (vg_random(b, sizeof(b)) == -1)
		return (-1);
	for (i = 0; i < sizeof(b); i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 0xf];
	}
	out[2 * sizeof(b)] = '\0';
	return (0);
}

/* The public URL without a trailing '/'. Returns new. */
static char *
th_public_base(void)
{
	const char *u = vg_public_url();
	size_t len = u != NULL ? strlen(u) : 0;

	while (len > 0 && u[len - 1] == '/')
		len--;
	return (vg_xstrndup(u != NULL ? u : "", len));
}

/* Our private data on CALL, made on first use. */
static struct th_call *
th_call_data(struct vg_call *call)
{
	struct th_call *tc;

	if ((tc = vg_call_data(call, g.self)) != NULL)
		return (tc);
	tc = vg_xcalloc(1, sizeof(*tc));
	tc->last_seq = -1;
	vg_call_set_data(call, g.self, tc, free);
	return (tc);
}

/* True when CALL has ended. */
static int
th_call_ended(const struct vg_call *call)
{
	return (vg_call_state(call) >= VG_CALL_COMPLETED);
}

/* The TwiML that streams CALL to us. Returns new, or NULL (logged). */
static char *
th_twiml_for(struct vg_call *call)
{
	char *base, *url, *twiml;

	base = th_public_base();
	url = twilio_ws_url(base, TH_STREAM_PATH);
	if (url == NULL) {
		vg_log(VG_LOG_ERROR, "public_url \"%s\" is not http(s): no "
		    "stream URL", base);
		free(base);
		return (NULL);
	}
	twiml = twilio_http_twiml_stream(url, g.conf.greeting,
	    vg_call_id(call), vg_call_attr(call, "media_token"));
	free(url);
	free(base);
	return (twiml);
}

/* ---- tasks ---- */

/* The next section called NAME after PREV (the first when PREV is NULL):
 * a section may be repeated (an #include adds to it), as vg_conf_get()
 * reads it. */
static const struct vg_conf_section *
th_conf_next_named(struct vg_conf *conf, const struct vg_conf_section *prev,
    const char *name)
{
	const struct vg_conf_section *sec = prev;

	while ((sec = vg_conf_next_section(conf, sec)) != NULL)
		if (strcmp(vg_conf_section_name(sec), name) == 0)
			return (sec);
	return (NULL);
}

/* Build the task named NAME: inline JSON, a [task.NAME] section, or
 * {"type": NAME}. Returns new JSON text, or NULL with ERR. */
static char *
th_task_resolve(struct vg_conf *conf, const char *name, char *err,
    size_t err_size)
{
	const struct vg_conf_section *sec = NULL;
	const struct vg_conf_entry *e = NULL;
	struct json_object *task = NULL, *v;
	char secname[128], *end, *text;
	int found = 0;
	double d;

	if (name == NULL || *name == '\0')
		task = json_object_new_object();
	else if (*name == '{') {
		if ((task = json_tokener_parse(name)) == NULL) {
			snprintf(err, err_size, "task %s is not JSON", name);
			return (NULL);
		}
	} else {
		snprintf(secname, sizeof(secname), TH_TASK_PREFIX "%s", name);
		task = json_object_new_object();
		/* Every [task.NAME] section: a repeated one adds to it. */
		while (conf != NULL &&
		    (sec = th_conf_next_named(conf, sec, secname)) != NULL) {
			found = 1;
			e = NULL;
			while ((e = vg_conf_next_entry(sec, e)) != NULL) {
				if (strcmp(vg_conf_entry_key(e),
				    "speed") == 0) {
					d = strtod(vg_conf_entry_value(e),
					    &end);
					v = *end == '\0' ?
					    json_object_new_double(d) :
					    json_object_new_string(
					    vg_conf_entry_value(e));
				} else
					v = json_object_new_string(
					    vg_conf_entry_value(e));
				json_object_object_add(task,
				    vg_conf_entry_key(e), v);
			}
		}
		if (!found || !json_object_object_get_ex(task, "type", NULL))
			json_object_object_add(task, "type",
			    json_object_new_string(name));
	}
	if (twilio_http_task_check(task, err, err_size) == -1) {
		json_object_put(task);
		return (NULL);
	}
	text = vg_xstrdup(json_object_to_json_string_ext(task,
	    JSON_C_TO_STRING_PLAIN));
	json_object_put(task);
	return (text);
}

/* Ask the AI provider, when one offers the agents service, whether TASK
 * (JSON text) names a preset it has, with values it accepts: a call is
 * refused before it is placed. Returns 0, or -1 with ERR. */
static int
th_task_agent_check(const char *task, char *err, size_t err_size)
{
	const struct vg_agents_service *agents;
	struct json_object *obj;
	int rc = 0;

	agents = vg_service_get(g.self, VG_SERVICE_AGENTS);
	if (agents == NULL)
		return (0);	/* no provider loaded: nothing more to ask */
	if ((obj = json_tokener_parse(task)) == NULL) {
		snprintf(err, err_size, "task is not JSON");
		rc = -1;
	} else if (agents->validate(obj, err, err_size) == -1)
		rc = -1;
	json_object_put(obj);
	/* Don't pin the provider: it may be unloaded between calls. */
	vg_service_release(g.self, VG_SERVICE_AGENTS);
	return (rc);
}

/* The task (JSON text) for a call to TO. Borrowed from g.conf. */
static const char *
th_task_for(const char *to)
{
	size_t i;

	for (i = 0; to != NULL && i < g.conf.nroutes; i++)
		if (strcmp(g.conf.routes[i].number, to) == 0)
			return (g.conf.routes[i].task);
	return (g.conf.default_task);
}

/* ---- REST requests ---- */

/* Unlink TF from g.fetches and free it. */
static void
th_fetch_free(struct th_fetch *tf)
{
	if (tf->prev != NULL)
		tf->prev->next = tf->next;
	else
		g.fetches = tf->next;
	if (tf->next != NULL)
		tf->next->prev = tf->prev;
	free(tf);
}

/* The answer to one of our REST requests. */
static void
th_fetch_cb(const struct vg_http_result *res, void *arg)
{
	struct th_fetch *tf = arg;

	tf->fetch = NULL;
	if (tf->op == TH_OP_CREATE)
		th_create_done(tf, res);
	else
		th_update_done(tf, res);
	th_fetch_free(tf);
}

/* POST form BODY to the Calls resource (SID: one call, NULL: create) for
 * TF. Returns 0, or -1 (TF then freed). */
static int
th_rest_post(struct th_fetch *tf, const char *sid, const char *body)
{
	static const char *const headers[] = {
		"Content-Type: application/x-www-form-urlencoded",
		"Accept: application/json",
		NULL,
	};
	struct vg_http_request r;
	char *acct, *csid = NULL, *url, *userpwd;

	acct = vg_url_encode(g.conf.account_sid);
	if (sid != NULL) {
		csid = vg_url_encode(sid);
		url = vg_asprintf("%s/2010-04-01/Accounts/%s/Calls/%s.json",
		    g.conf.api_base_url, acct, csid);
	} else
		url = vg_asprintf("%s/2010-04-01/Accounts/%s/Calls.json",
		    g.conf.api_base_url, acct);
	userpwd = vg_asprintf("%s:%s", g.conf.account_sid,
	    g.conf.auth_token);
	memset(&r, 0, sizeof(r));
	r.method = "POST";
	r.url = url;
	r.headers = headers;
	r.body = body;
	r.body_len = strlen(body);
	r.userpwd = userpwd;
	r.timeout_ms = g.conf.timeout_s * 1000;
	r.max_response = 256 * 1024;
	tf->fetch = vg_http_fetch(g.self, &r, th_fetch_cb, tf);
	explicit_bzero(userpwd, strlen(userpwd));
	free(userpwd);
	free(url);
	free(csid);
	free(acct);
	if (tf->fetch == NULL) {
		free(tf);
		return (-1);
	}
	tf->next = g.fetches;
	if (g.fetches != NULL)
		g.fetches->prev = tf;
	g.fetches = tf;
	return (0);
}

/* Twilio's error code and message from an error body (PROTOCOLS 3.5). */
static void
th_twilio_error(const struct vg_http_result *res, long long *code,
    char *msg, size_t msg_size)
{
	struct json_object *o = NULL, *v;

	*code = 0;
	snprintf(msg, msg_size, "Twilio answered HTTP %d", res->status);
	if (res->body != NULL && res->body_len > 0)
		o = json_tokener_parse(res->body);
	if (o != NULL && json_object_is_type(o, json_type_object)) {
		if (json_object_object_get_ex(o, "code", &v) &&
		    json_object_is_type(v, json_type_int))
			*code = json_object_get_int64(v);
		if (json_object_object_get_ex(o, "message", &v) &&
		    json_object_is_type(v, json_type_string))
			snprintf(msg, msg_size, "%s",
			    json_object_get_string(v));
	}
	json_object_put(o);
}

/* ---- outbound calls (HTTP API and CLI share this) ---- */

/* Fail an outbound call CALL_ID that never reached Twilio or was refused. */
static void
th_outbound_fail(const char *call_id)
{
	struct vg_call *call;

	vg_metric_inc(g.m_out_failed, 1);
	if ((call = vg_call_find(call_id)) != NULL && !th_call_ended(call))
		vg_call_set_state(call, VG_CALL_FAILED);
}

/* Twilio answered a create: finish the caller's request. */
static void
th_create_done(struct th_fetch *tf, const struct vg_http_result *res)
{
	struct json_object *o = NULL, *sid = NULL, *st = NULL, *ans;
	struct vg_call *call;
	char msg[TH_ERR_MAX];
	long long code;
	int status;

	if (res->timed_out || res->status == 0) {
		vg_log_call(VG_LOG_WARN, tf->call_id, "Twilio create call: %s",
		    res->timed_out ? "timed out (not retried)" :
		    res->error != NULL ? res->error : "no answer");
		th_outbound_fail(tf->call_id);
		ans = th_error_json(res->timed_out ? "Twilio did not answer in "
		    "time" : "Twilio could not be reached", 0);
		json_object_object_add(ans, "call_id",
		    json_object_new_string(tf->call_id));
		tf->done(res->timed_out ? 504 : 502, ans, tf->done_arg);
		return;
	}
	if (res->status == 200 || res->status == 201) {
		if (res->body != NULL)
			o = json_tokener_parse(res->body);
		if (o != NULL && json_object_object_get_ex(o, "sid", &sid) &&
		    json_object_is_type(sid, json_type_string) &&
		    json_object_get_string_len(sid) < TH_SID_MAX) {
			call = vg_call_find(tf->call_id);
			if (call != NULL)
				vg_call_set_attr(call, "call_sid",
				    json_object_get_string(sid));
			json_object_object_get_ex(o, "status", &st);
			ans = json_object_new_object();
			json_object_object_add(ans, "call_id",
			    json_object_new_string(tf->call_id));
			json_object_object_add(ans, "call_sid",
			    json_object_new_string(
			    json_object_get_string(sid)));
			json_object_object_add(ans, "status",
			    json_object_new_string(st != NULL &&
			    json_object_is_type(st, json_type_string) ?
			    json_object_get_string(st) : "queued"));
			vg_metric_inc(g.m_out_ok, 1);
			vg_log_call(VG_LOG_NOTICE, tf->call_id, "outbound call "
			    "created: %s", json_object_get_string(sid));
			json_object_put(o);
			tf->done(201, ans, tf->done_arg);
			return;
		}
		json_object_put(o);
		vg_log_call(VG_LOG_WARN, tf->call_id, "Twilio answered %d "
		    "without a call sid", res->status);
		th_outbound_fail(tf->call_id);
		tf->done(502, th_error_json("Twilio answered without a call "
		    "sid", 0), tf->done_arg);
		return;
	}
	th_twilio_error(res, &code, msg, sizeof(msg));
	vg_log_call(VG_LOG_WARN, tf->call_id, "Twilio refused the call: HTTP "
	    "%d, code %lld: %s", res->status, code, msg);
	th_outbound_fail(tf->call_id);
	status = res->status >= 400 && res->status <= 599 ? res->status : 502;
	ans = th_error_json(msg, code);
	json_object_object_add(ans, "call_id",
	    json_object_new_string(tf->call_id));
	tf->done(status, ans, tf->done_arg);
}

/* Append "&NAME=VALUE" (VALUE encoded) to the form in *BUF. */
static void
th_form_add(char **buf, const char *name, const char *value)
{
	char *enc, *s;

	enc = vg_url_encode(value);
	s = vg_asprintf("%s%s%s=%s", *buf, **buf != '\0' ? "&" : "", name,
	    enc);
	free(enc);
	free(*buf);
	*buf = s;
}

/*
 * Place a call to TO from FROM (NULL: from_number) with TASK (JSON text;
 * NULL: the route's or default task) through Twilio. DONE gets the answer
 * later and returns 0; or returns -1 with *STATUS and ERR set now.
 */
static int
th_outbound_start(const char *to, const char *from, const char *task,
    th_outbound_fn done, void *arg, int *status, char *err, size_t err_size)
{
	struct th_fetch *tf;
	struct vg_call *call;
	char token[2 * TH_TOKEN_BYTES + 1], *twiml, *base, *cb, *body;

	if (from == NULL || *from == '\0')
		from = g.conf.from_number;
	if (from == NULL || !twilio_e164_valid(from)) {
		*status = 400;
		snprintf(err, err_size, "no valid \"from\" number: give one or "
		    "set from_number");
		return (-1);
	}
	if (!twilio_e164_valid(to)) {
		*status = 400;
		snprintf(err, err_size, "\"to\" must be an E.164 number");
		return (-1);
	}
	if (task == NULL)
		task = th_task_for(to);
	if (th_task_agent_check(task, err, err_size) == -1) {
		*status = 400;
		return (-1);
	}
	if (th_token(token) == -1 ||
	    (call = vg_call_create(g.self, VG_CALL_OUTBOUND, from, to)) ==
	    NULL) {
		*status = 503;
		snprintf(err, err_size, "not accepting calls now");
		return (-1);
	}
	vg_call_set_attr(call, "account_sid", g.conf.account_sid);
	vg_call_set_attr(call, "task", task);
	vg_call_set_attr(call, "media_token", token);
	if ((twiml = th_twiml_for(call)) == NULL ||
	    strlen(twiml) > TH_TWIML_MAX) {
		free(twiml);
		*status = 500;
		snprintf(err, err_size, "cannot build the TwiML: check "
		    "public_url and greeting");
		th_outbound_fail(vg_call_id(call));
		return (-1);
	}
	base = th_public_base();
	cb = vg_asprintf("%s/twilio/call-status", base);
	body = vg_xstrdup("");
	th_form_add(&body, "To", to);
	th_form_add(&body, "From", from);
	th_form_add(&body, "Twiml", twiml);
	th_form_add(&body, "StatusCallback", cb);
	th_form_add(&body, "StatusCallbackEvent", "initiated");
	th_form_add(&body, "StatusCallbackEvent", "ringing");
	th_form_add(&body, "StatusCallbackEvent", "answered");
	th_form_add(&body, "StatusCallbackEvent", "completed");
	th_form_add(&body, "StatusCallbackMethod", "POST");
	tf = vg_xcalloc(1, sizeof(*tf));
	tf->op = TH_OP_CREATE;
	vg_strlcpy(tf->call_id, vg_call_id(call), sizeof(tf->call_id));
	tf->done = done;
	tf->done_arg = arg;
	if (th_rest_post(tf, NULL, body) == -1) {
		*status = 502;
		snprintf(err, err_size, "cannot start the request to Twilio");
		th_outbound_fail(vg_call_id(call));
		free(body);
		free(cb);
		free(base);
		free(twiml);
		return (-1);
	}
	vg_log_call(VG_LOG_NOTICE, vg_call_id(call), "placing a call to %s",
	    to);
	free(body);
	free(cb);
	free(base);
	free(twiml);
	return (0);
}

/* ---- hang-up and transfer (bus requests) ---- */

/* Twilio answered a call update. */
static void
th_update_done(struct th_fetch *tf, const struct vg_http_result *res)
{
	struct vg_call *call = vg_call_find(tf->call_id);
	struct th_call *tc = call != NULL ? th_call_data(call) : NULL;
	char msg[TH_ERR_MAX];
	long long code = 0;
	int gone;

	if (tf->op == TH_OP_HANGUP && tc != NULL)
		tc->hangup_busy = 0;
	if (res->status == 200 || res->status == 204) {
		vg_log_call(VG_LOG_INFO, tf->call_id, "%s done",
		    tf->op == TH_OP_HANGUP ? "hang-up" : "transfer");
		if (tf->op == TH_OP_HANGUP && tc != NULL)
			tc->hung_up = 1;
		/* Twilio has ended it: a call without a status callback URL
		 * (an inbound number's) would otherwise never end here. */
		if (tf->op == TH_OP_HANGUP && call != NULL &&
		    !th_call_ended(call))
			vg_call_set_state(call, VG_CALL_COMPLETED);
		return;
	}
	if (res->status != 0)
		th_twilio_error(res, &code, msg, sizeof(msg));
	else
		snprintf(msg, sizeof(msg), "%s", res->timed_out ? "timed out" :
		    res->error != NULL ? res->error : "no answer");
	gone = res->status == 404 || code == 20404 || code == 21220;
	if (tf->op == TH_OP_HANGUP && gone) {
		vg_log_call(VG_LOG_INFO, tf->call_id, "hang-up: the call had "
		    "already ended");
		if (tc != NULL)
			tc->hung_up = 1;
		if (call != NULL && !th_call_ended(call))
			vg_call_set_state(call, VG_CALL_COMPLETED);
		return;
	}
	vg_metric_inc(g.m_rest_failed, 1);
	vg_log_call(VG_LOG_WARN, tf->call_id, "%s failed: HTTP %d, code %lld: "
	    "%s", tf->op == TH_OP_HANGUP ? "hang-up" : "transfer",
	    res->status, code, msg);
}

/* Send BODY as an update of the live call EV names; OP says which. */
static void
th_update_call(const struct vg_event *ev, enum th_op op, const char *body)
{
	struct th_fetch *tf;
	struct vg_call *call;
	struct th_call *tc;
	const char *sid;

	if ((call = vg_call_find(vg_event_call_id(ev))) == NULL ||
	    th_call_ended(call))
		return;
	if ((sid = vg_call_attr(call, "call_sid")) == NULL ||
	    vg_call_attr(call, "account_sid") == NULL) {
		vg_log_call(VG_LOG_NOTICE, vg_call_id(call), "%s: the call has "
		    "no Twilio CallSid (yet)", vg_event_type(ev));
		return;
	}
	tc = th_call_data(call);
	if (op == TH_OP_HANGUP) {
		if (tc->hangup_busy || tc->hung_up)
			return;		/* idempotent */
		tc->hangup_busy = 1;
	}
	tf = vg_xcalloc(1, sizeof(*tf));
	tf->op = op;
	vg_strlcpy(tf->call_id, vg_call_id(call), sizeof(tf->call_id));
	if (th_rest_post(tf, sid, body) == -1) {
		vg_metric_inc(g.m_rest_failed, 1);
		if (op == TH_OP_HANGUP)
			tc->hangup_busy = 0;
	}
}

/* "call.hangup": end the call at Twilio. */
static void
th_on_hangup(const struct vg_event *ev, void *arg)
{
	struct vg_call *call = vg_call_find(vg_event_call_id(ev));
	enum vg_call_state st;

	if (call == NULL)
		return;
	st = vg_call_state(call);
	/* A call not yet answered is canceled; "completed" would not end it. */
	th_update_call(ev, TH_OP_HANGUP, st == VG_CALL_QUEUED ||
	    st == VG_CALL_RINGING ? "Status=canceled" : "Status=completed");
}

/* "call.transfer": redirect the call to TwiML that dials "to". */
static void
th_on_transfer(const struct vg_event *ev, void *arg)
{
	struct json_object *p = vg_event_json(ev), *v;
	const char *to = NULL;
	char *twiml, *body = vg_xstrdup("");

	if (p != NULL && json_object_object_get_ex(p, "to", &v) &&
	    json_object_is_type(v, json_type_string))
		to = json_object_get_string(v);
	if (!twilio_e164_valid(to)) {
		vg_log_call(VG_LOG_WARN, vg_event_call_id(ev), "call.transfer "
		    "without an E.164 \"to\": ignored");
		free(body);
		return;
	}
	twiml = twilio_http_twiml_dial(to);
	th_form_add(&body, "Twiml", twiml);
	th_update_call(ev, TH_OP_TRANSFER, body);
	free(twiml);
	free(body);
}

/* ---- HTTP: webhooks ---- */

/* Forget remembered signatures that have expired. */
static void
th_seen_expire(uint64_t now)
{
	size_t i, o = 0;

	for (i = 0; i < g.nseen; i++)
		if (g.seen[i].expires_ms > now)
			g.seen[o++] = g.seen[i];
	g.nseen = o;
}

/* True when SIG was seen for CALL_SID lately; remembers it otherwise. */
static int
th_replayed(const char *sig, const char *call_sid)
{
	uint64_t now = vg_now_ms();
	size_t i;

	th_seen_expire(now);
	for (i = 0; i < g.nseen; i++)
		if (strcmp(g.seen[i].sig, sig) == 0 &&
		    strcmp(g.seen[i].call_sid, call_sid) == 0)
			return (1);
	if (g.seen == NULL)
		g.seen = vg_xcalloc(TH_REPLAY_MAX, sizeof(*g.seen));
	if (g.nseen == TH_REPLAY_MAX) {		/* drop the oldest */
		memmove(g.seen, g.seen + 1, (g.nseen - 1) * sizeof(*g.seen));
		g.nseen--;
	}
	vg_strlcpy(g.seen[g.nseen].sig, sig, sizeof(g.seen[0].sig));
	vg_strlcpy(g.seen[g.nseen].call_sid, call_sid,
	    sizeof(g.seen[0].call_sid));
	g.seen[g.nseen].expires_ms = now + TH_REPLAY_MS;
	g.nseen++;
	return (0);
}

/*
 * Decode REQ's form into FORM and check its signature and freshness. On
 * failure REQ is answered (400 or 403, logged with the reason) and -1
 * returned; FORM is then empty.
 */
static int
th_webhook_check(struct vg_http_req *req, struct twilio_form *form)
{
	const char *body, *sig, *q, *sid;
	char why[TH_WHY_MAX], *base, *url;
	size_t len;
	int bad;

	vg_metric_inc(g.m_webhooks, 1);
	body = vg_http_req_body(req, &len);
	if (twilio_http_form_parse(body, len, form) == -1) {
		vg_log(VG_LOG_WARN, "%s from %s: malformed form body",
		    vg_http_req_path(req), vg_http_req_peer(req));
		vg_http_respond_error(req, 400, "malformed form body");
		return (-1);
	}
	sid = twilio_http_form_get(form, "CallSid");
	if (sid == NULL || *sid == '\0' || strlen(sid) >= TH_SID_MAX) {
		vg_log(VG_LOG_WARN, "%s from %s: no usable CallSid",
		    vg_http_req_path(req), vg_http_req_peer(req));
		twilio_http_form_free(form);
		vg_http_respond_error(req, 400, "CallSid is required");
		return (-1);
	}
	if (!g.conf.validate)
		return (0);
	sig = vg_http_req_header(req, "X-Twilio-Signature");
	q = vg_http_req_query(req);
	base = th_public_base();
	url = vg_asprintf("%s%s%s%s", base, vg_http_req_path(req),
	    *q != '\0' ? "?" : "", q);
	bad = twilio_sig_validate(g.conf.auth_token, url, form->params,
	    form->n, sig, why, sizeof(why)) == -1;
	free(url);
	free(base);
	/* Several instances behind one name: the number's webhook is signed
	 * for that shared name, our own callbacks for our public URL. */
	if (bad && *g.conf.webhook_url != '\0') {
		url = vg_asprintf("%s%s%s%s", g.conf.webhook_url,
		    vg_http_req_path(req), *q != '\0' ? "?" : "", q);
		bad = twilio_sig_validate(g.conf.auth_token, url,
		    form->params, form->n, sig, why, sizeof(why)) == -1;
		free(url);
	}
	if (bad) {
		vg_metric_inc(g.m_sig_fail, 1);
		vg_log(VG_LOG_WARN, "%s from %s refused: %s",
		    vg_http_req_path(req), vg_http_req_peer(req), why);
		twilio_http_form_free(form);
		vg_http_respond_error(req, 403, "invalid signature");
		return (-1);
	}
	if (th_replayed(sig, sid)) {
		vg_metric_inc(g.m_replays, 1);
		vg_log(VG_LOG_WARN, "%s from %s refused: replayed (the same "
		    "signature for CallSid %s within %d minutes)",
		    vg_http_req_path(req), vg_http_req_peer(req), sid,
		    TH_REPLAY_MS / 60000);
		twilio_http_form_free(form);
		vg_http_respond_error(req, 403, "replayed");
		return (-1);
	}
	return (0);
}

/* Answer REQ with the TwiML that streams CALL to us. */
static void
th_respond_twiml(struct vg_http_req *req, struct vg_call *call)
{
	char *twiml;

	if ((twiml = th_twiml_for(call)) == NULL) {
		vg_http_respond_error(req, 500, "no stream URL");
		return;
	}
	vg_http_respond(req, 200, "text/xml", twiml, strlen(twiml));
	free(twiml);
}

/* POST /twilio/incoming-call: a call reached our number. */
static void
th_http_incoming(struct vg_http_req *req, void *arg)
{
	struct twilio_form form = { 0 };
	char token[2 * TH_TOKEN_BYTES + 1];
	const char *sid, *from, *to, *status;
	struct vg_call *call;
	int st;

	if (th_webhook_check(req, &form) == -1)
		return;
	sid = twilio_http_form_get(&form, "CallSid");
	if ((call = vg_call_find_by("call_sid", sid)) != NULL) {
		vg_log_call(VG_LOG_INFO, vg_call_id(call), "webhook again for "
		    "%s: same TwiML", sid);
		th_respond_twiml(req, call);
		twilio_http_form_free(&form);
		return;
	}
	from = twilio_http_form_get(&form, "From");
	to = twilio_http_form_get(&form, "To");
	if (th_token(token) == -1 || (call = vg_call_create(g.self,
	    VG_CALL_INBOUND, from, to)) == NULL) {
		vg_http_respond_error(req, 503, "not accepting calls now");
		twilio_http_form_free(&form);
		return;
	}
	vg_call_set_attr(call, "call_sid", sid);
	vg_call_set_attr(call, "account_sid", g.conf.account_sid);
	vg_call_set_attr(call, "task", th_task_for(to));
	vg_call_set_attr(call, "media_token", token);
	vg_log_call(VG_LOG_NOTICE, vg_call_id(call), "incoming call %s from "
	    "%s to %s", sid, from != NULL ? from : "?", to != NULL ? to : "?");
	status = twilio_http_form_get(&form, "CallStatus");
	if (status != NULL && (st = vg_call_state_parse(status)) ==
	    VG_CALL_RINGING)
		vg_call_set_state(call, VG_CALL_RINGING);
	th_respond_twiml(req, call);
	/* Twilio answers the call to run <Connect>. */
	vg_call_set_state(call, VG_CALL_IN_PROGRESS);
	twilio_http_form_free(&form);
}

/* The state a status callback's CallStatus means, or -1. */
static int
th_status_state(const char *s)
{
	if (s == NULL)
		return (-1);
	if (strcmp(s, "initiated") == 0 || strcmp(s, "queued") == 0)
		return (VG_CALL_QUEUED);
	return (vg_call_state_parse(s));
}

/* POST /twilio/call-status: Twilio reports a call's progress. */
static void
th_http_status(struct vg_http_req *req, void *arg)
{
	struct twilio_form form = { 0 };
	const char *sid, *s;
	struct vg_call *call;
	struct th_call *tc;
	long long seq = -1;
	char *end;
	int st;

	if (th_webhook_check(req, &form) == -1)
		return;
	sid = twilio_http_form_get(&form, "CallSid");
	if ((call = vg_call_find_by("call_sid", sid)) == NULL) {
		vg_log(VG_LOG_NOTICE, "status %s for unknown CallSid %s: "
		    "ignored", (s = twilio_http_form_get(&form,
		    "CallStatus")) != NULL ? s : "?", sid);
		goto answer;
	}
	tc = th_call_data(call);
	if ((s = twilio_http_form_get(&form, "SequenceNumber")) != NULL) {
		seq = strtoll(s, &end, 10);
		if (*s == '\0' || *end != '\0' || seq < 0)
			seq = -1;
	}
	if (seq != -1 && seq <= tc->last_seq) {
		vg_log_call(VG_LOG_INFO, vg_call_id(call), "status callback "
		    "%lld after %lld: out of order, ignored", seq,
		    tc->last_seq);
		goto answer;
	}
	if (seq != -1)
		tc->last_seq = seq;
	s = twilio_http_form_get(&form, "CallStatus");
	if ((st = th_status_state(s)) == -1) {
		vg_log_call(VG_LOG_NOTICE, vg_call_id(call), "unknown "
		    "CallStatus \"%s\": ignored", s != NULL ? s : "");
		goto answer;
	}
	if ((s = twilio_http_form_get(&form, "CallDuration")) != NULL)
		vg_call_set_attr(call, "duration_s", s);
	if ((s = twilio_http_form_get(&form, "AnsweredBy")) != NULL)
		vg_call_set_attr(call, "answered_by", s);
	if ((enum vg_call_state)st != vg_call_state(call))
		vg_call_set_state(call, (enum vg_call_state)st);

answer:
	twilio_http_form_free(&form);
	vg_http_respond(req, 200, "text/xml", "<Response/>", 11);
}

/* ---- HTTP: API ---- */

/* True when REQ carries "Authorization: Bearer <api_key>". */
static int
th_api_authorised(struct vg_http_req *req)
{
	unsigned char a[EVP_MAX_MD_SIZE], b[EVP_MAX_MD_SIZE];
	const char *h = vg_http_req_header(req, "Authorization");
	unsigned int la = 0, lb = 0;

	if (g.conf.api_key == NULL || *g.conf.api_key == '\0' || h == NULL ||
	    strncasecmp(h, "Bearer ", 7) != 0)
		return (0);
	h += 7;
	/* Compare digests, so neither content nor length leaks. */
	if (EVP_Digest(h, strlen(h), a, &la, EVP_sha256(), NULL) != 1 ||
	    EVP_Digest(g.conf.api_key, strlen(g.conf.api_key), b, &lb,
	    EVP_sha256(), NULL) != 1 || la != lb)
		return (0);
	return (vg_memcmp_const(a, b, la) == 0);
}

/* Finish an API request with the outbound result. */
static void
th_api_done(int status, struct json_object *answer, void *arg)
{
	th_respond_json(arg, status, answer);
}

/* POST /twilio/outbound-call: place a call. */
static void
th_http_outbound(struct vg_http_req *req, void *arg)
{
	struct twilio_http_outbound ob;
	char err[TH_ERR_MAX];
	const char *body, *task = NULL;
	size_t len;
	int status;

	if (!th_api_authorised(req)) {
		vg_log(VG_LOG_NOTICE, "outbound-call from %s: not authorised",
		    vg_http_req_peer(req));
		vg_http_add_header(req, "WWW-Authenticate", "Bearer");
		vg_http_respond_error(req, 401, "a valid API key is required");
		return;
	}
	body = vg_http_req_body(req, &len);
	if (twilio_http_outbound_parse(body, len, &ob, err, sizeof(err)) ==
	    -1) {
		vg_http_respond_error(req, 400, err);
		return;
	}
	if (ob.task != NULL)
		task = json_object_to_json_string_ext(ob.task,
		    JSON_C_TO_STRING_PLAIN);
	if (th_outbound_start(ob.to, ob.from, task, th_api_done, req, &status,
	    err, sizeof(err)) == -1)
		vg_http_respond_error(req, status, err);
	twilio_http_outbound_free(&ob);
}

/* GET /twilio/health: are we up, and how busy. */
static void
th_http_health(struct vg_http_req *req, void *arg)
{
	struct json_object *o = json_object_new_object();
	struct th_fetch *tf;
	int n = 0;

	for (tf = g.fetches; tf != NULL; tf = tf->next)
		n++;
	json_object_object_add(o, "status", json_object_new_string("ok"));
	json_object_object_add(o, "module",
	    json_object_new_string("twilio_http"));
	json_object_object_add(o, "active_calls",
	    json_object_new_int64(vg_call_count()));
	json_object_object_add(o, "rest_in_flight", json_object_new_int(n));
	json_object_object_add(o, "validate_signatures",
	    json_object_new_boolean(g.conf.validate));
	json_object_object_add(o, "outbound_api",
	    json_object_new_boolean(g.conf.api_key != NULL &&
	    *g.conf.api_key != '\0'));
	th_respond_json(req, 200, o);
}

/* ---- CLI ---- */

/* Finish "call" with the outbound result. */
static void
th_cli_done(int status, struct json_object *answer, void *arg)
{
	struct vg_cli *cli = arg;
	struct json_object *v;

	if (status == 201) {
		vg_cli_printf(cli, "call %s placed: CallSid %s\n",
		    json_object_get_string(json_object_object_get(answer,
		    "call_id")), json_object_get_string(
		    json_object_object_get(answer, "call_sid")));
		vg_cli_set_json(cli, answer);
		vg_cli_finish(cli, VG_CLI_OK);
		return;
	}
	v = json_object_object_get(answer, "error");
	vg_cli_printf(cli, "call failed (%d): %s\n", status,
	    v != NULL ? json_object_get_string(v) : "?");
	vg_cli_set_json(cli, answer);
	vg_cli_finish(cli, VG_CLI_ERROR);
}

/* "call NUMBER [--preset NAME] [--prompt TEXT] [--from N]". */
static int
th_cli_call(struct vg_cli *cli, int argc, char **argv)
{
	const char *to = NULL, *preset = NULL, *prompt = NULL, *from = NULL;
	struct json_object *task;
	char err[TH_ERR_MAX], *text;
	int i, status, rc;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--preset") == 0 && i + 1 < argc)
			preset = argv[++i];
		else if (strcmp(argv[i], "--prompt") == 0 && i + 1 < argc)
			prompt = argv[++i];
		else if (strcmp(argv[i], "--from") == 0 && i + 1 < argc)
			from = argv[++i];
		else if (to == NULL && argv[i][0] != '-')
			to = argv[i];
		else {
			vg_cli_printf(cli, "usage: call +15551234567 [--preset "
			    "NAME] [--prompt TEXT] [--from NUMBER]\n");
			return (VG_CLI_ERROR);
		}
	}
	if (to == NULL || !twilio_e164_valid(to)) {
		vg_cli_printf(cli, "call: the number must be E.164 "
		    "(+15551234567)\n");
		return (VG_CLI_ERROR);
	}
	if (preset != NULL)
		text = th_task_resolve(vg_module_conf(g.self), preset, err,
		    sizeof(err));
	else
		text = vg_xstrdup(th_task_for(to));
	if (text == NULL) {
		vg_cli_printf(cli, "call: %s\n", err);
		return (VG_CLI_ERROR);
	}
	if (prompt != NULL) {
		task = json_tokener_parse(text);
		json_object_object_add(task, "prompt",
		    json_object_new_string(prompt));
		free(text);
		text = vg_xstrdup(json_object_to_json_string_ext(task,
		    JSON_C_TO_STRING_PLAIN));
		rc = twilio_http_task_check(task, err, sizeof(err));
		json_object_put(task);
		if (rc == -1) {
			vg_cli_printf(cli, "call: %s\n", err);
			free(text);
			return (VG_CLI_ERROR);
		}
	}
	rc = th_outbound_start(to, from, text, th_cli_done, cli, &status, err,
	    sizeof(err));
	free(text);
	if (rc == -1) {
		vg_cli_printf(cli, "call failed (%d): %s\n", status, err);
		return (VG_CLI_ERROR);
	}
	return (VG_CLI_PENDING);
}

static const struct vg_cli_cmd th_cli[] = {
	{ "call", "call NUMBER [--preset NAME] [--prompt TEXT] [--from N]",
	    "place an outbound call through Twilio", th_cli_call },
};

/* ---- configuration ---- */

/* Free what C holds. */
static void
config_free(struct th_conf *c)
{
	size_t i;

	for (i = 0; i < c->nroutes; i++) {
		free(c->routes[i].number);
		free(c->routes[i].task);
	}
	free(c->routes);
	if (c->auth_token != NULL)
		explicit_bzero(c->auth_token, strlen(c->auth_token));
	if (c->api_key != NULL)
		explicit_bzero(c->api_key, strlen(c->api_key));
	free(c->account_sid);
	free(c->auth_token);
	free(c->from_number);
	free(c->api_base_url);
	free(c->api_key);
	free(c->greeting);
	free(c->webhook_url);
	free(c->default_task);
	memset(c, 0, sizeof(*c));
}

/* A string key of [twilio], copied ("" when absent). */
static char *
config_str(struct vg_conf *conf, const char *key, const char *dflt)
{
	const char *v = vg_conf_get(conf, "twilio", key);

	return (vg_xstrdup(v != NULL ? v : dflt));
}

/* Read [routes] into C. Returns 0 or -1 (logged). */
static int
config_routes(struct vg_conf *conf, struct th_conf *c)
{
	const struct vg_conf_section *sec = NULL;
	const struct vg_conf_entry *e;
	char err[TH_ERR_MAX], *task;

	/* Every [routes] section: a repeated one adds to it. */
	while ((sec = th_conf_next_named(conf, sec, "routes")) != NULL) {
		e = NULL;
		while ((e = vg_conf_next_entry(sec, e)) != NULL) {
			if (!twilio_e164_valid(vg_conf_entry_key(e))) {
				vg_log(VG_LOG_ERROR, "%s:%d: route \"%s\" is "
				    "not an E.164 number",
				    vg_conf_entry_file(e),
				    vg_conf_entry_line(e),
				    vg_conf_entry_key(e));
				return (-1);
			}
			if ((task = th_task_resolve(conf,
			    vg_conf_entry_value(e), err, sizeof(err))) ==
			    NULL) {
				vg_log(VG_LOG_ERROR, "%s:%d: %s",
				    vg_conf_entry_file(e),
				    vg_conf_entry_line(e), err);
				return (-1);
			}
			c->routes = vg_xrealloc(c->routes, (c->nroutes + 1) *
			    sizeof(*c->routes));
			c->routes[c->nroutes].number =
			    vg_xstrdup(vg_conf_entry_key(e));
			c->routes[c->nroutes].task = task;
			c->nroutes++;
		}
	}
	return (0);
}

/* Read twilio_http.conf into C. Returns 0, or -1 (said once) to decline. */
static int
config_load(struct th_conf *c)
{
	struct vg_conf *conf = vg_module_conf(g.self);
	char err[TH_ERR_MAX];
	size_t len;

	memset(c, 0, sizeof(*c));
	if (conf == NULL) {
		vg_log(VG_LOG_NOTICE, "no twilio_http.conf: not running");
		return (-1);
	}
	c->account_sid = config_str(conf, "account_sid", "");
	c->auth_token = config_str(conf, "auth_token", "");
	if (*c->account_sid == '\0' || *c->auth_token == '\0') {
		vg_log(VG_LOG_NOTICE, "account_sid or auth_token not set "
		    "(TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN): not running");
		goto fail;
	}
	c->from_number = config_str(conf, "from_number", "");
	c->api_base_url = config_str(conf, "api_base_url",
	    "https://api.twilio.com");
	len = strlen(c->api_base_url);
	while (len > 0 && c->api_base_url[len - 1] == '/')
		c->api_base_url[--len] = '\0';
	c->api_key = config_str(conf, "api_key", "");
	c->greeting = config_str(conf, "greeting", "");
	c->webhook_url = config_str(conf, "webhook_url", "");
	len = strlen(c->webhook_url);
	while (len > 0 && c->webhook_url[len - 1] == '/')
		c->webhook_url[--len] = '\0';
	c->validate = 1;
	c->timeout_s = 10;
	if (vg_conf_get_bool(conf, "twilio", "validate_signatures",
	    &c->validate) == -1 || vg_conf_get_int(conf, "twilio",
	    "request_timeout", 1, 120, &c->timeout_s) == -1)
		goto fail;
	if (*c->from_number != '\0' && !twilio_e164_valid(c->from_number)) {
		vg_log(VG_LOG_ERROR, "from_number \"%s\" is not E.164",
		    c->from_number);
		goto fail;
	}
	if ((c->default_task = th_task_resolve(conf, vg_conf_get(conf,
	    "twilio", "default_task"), err, sizeof(err))) == NULL) {
		vg_log(VG_LOG_ERROR, "default_task: %s", err);
		goto fail;
	}
	if (config_routes(conf, c) == -1)
		goto fail;
	if (!c->validate)
		vg_log(VG_LOG_WARN, "validate_signatures = no: anyone can "
		    "post webhooks; never do this in production");
	if (*c->api_key == '\0')
		vg_log(VG_LOG_NOTICE, "api_key not set (VOICEGATE_API_KEY): "
		    "the outbound-call API refuses everyone");
	return (0);

fail:
	config_free(c);
	return (-1);
}

/* ---- load, reload, unload ---- */

/* Remove our routes. */
static void
th_unroute(void)
{
	vg_http_unroute(g.self, "POST", "/twilio/incoming-call");
	vg_http_unroute(g.self, "POST", "/twilio/call-status");
	vg_http_unroute(g.self, "POST", "/twilio/outbound-call");
	vg_http_unroute(g.self, "GET", "/twilio/health");
}

/* Register routes, subscriptions, the command and metrics. */
static int
th_register(void)
{
	if (vg_http_keep_header(g.self, "X-Twilio-Signature") == -1 ||
	    vg_http_route(g.self, "POST", "/twilio/incoming-call",
	    th_http_incoming, NULL) == -1 ||
	    vg_http_route(g.self, "POST", "/twilio/call-status",
	    th_http_status, NULL) == -1 ||
	    vg_http_route(g.self, "POST", "/twilio/outbound-call",
	    th_http_outbound, NULL) == -1 ||
	    vg_http_route(g.self, "GET", "/twilio/health", th_http_health,
	    NULL) == -1) {
		vg_log(VG_LOG_ERROR, "cannot register the /twilio/ routes");
		return (-1);
	}
	g.routed = 1;
	g.hangup_sub = vg_bus_subscribe(g.self, "call.hangup", NULL,
	    th_on_hangup, NULL);
	g.transfer_sub = vg_bus_subscribe(g.self, "call.transfer", NULL,
	    th_on_transfer, NULL);
	if (g.hangup_sub == NULL || g.transfer_sub == NULL)
		return (-1);
	if (vg_cli_add(g.self, th_cli, VG_NELEM(th_cli)) == -1) {
		vg_log(VG_LOG_ERROR, "cannot register the \"call\" command");
		return (-1);
	}
	g.cli_added = 1;
	g.m_webhooks = vg_metric_add(g.self, "twilio_http_webhooks_total",
	    VG_METRIC_COUNTER, "Twilio webhooks received");
	g.m_sig_fail = vg_metric_add(g.self,
	    "twilio_http_signature_failures_total", VG_METRIC_COUNTER,
	    "Webhooks refused for a missing or invalid signature");
	g.m_replays = vg_metric_add(g.self, "twilio_http_replays_total",
	    VG_METRIC_COUNTER, "Webhooks refused as replays");
	g.m_out_ok = vg_metric_add(g.self, "twilio_http_outbound_ok_total",
	    VG_METRIC_COUNTER, "Outbound calls Twilio accepted");
	g.m_out_failed = vg_metric_add(g.self,
	    "twilio_http_outbound_failed_total", VG_METRIC_COUNTER,
	    "Outbound calls that failed to be placed");
	g.m_rest_failed = vg_metric_add(g.self,
	    "twilio_http_update_failed_total", VG_METRIC_COUNTER,
	    "Hang-up or transfer requests Twilio did not take");
	return (0);
}

/* Drop our data from CALL. */
static void
th_call_release(struct vg_call *call, void *arg)
{
	vg_call_set_data(call, g.self, NULL, NULL);
}

/* Release everything th_register() and the requests took. */
static void
th_release(void)
{
	struct th_fetch *tf;

	while ((tf = g.fetches) != NULL) {
		if (tf->fetch != NULL)
			vg_http_fetch_cancel(tf->fetch);
		tf->fetch = NULL;
		if (tf->op == TH_OP_CREATE) {
			th_outbound_fail(tf->call_id);
			tf->done(503, th_error_json("twilio_http is unloading; "
			    "the call may still be placed", 0), tf->done_arg);
		}
		th_fetch_free(tf);
	}
	vg_call_foreach(th_call_release, NULL);
	vg_metric_remove(g.m_rest_failed);
	vg_metric_remove(g.m_out_failed);
	vg_metric_remove(g.m_out_ok);
	vg_metric_remove(g.m_replays);
	vg_metric_remove(g.m_sig_fail);
	vg_metric_remove(g.m_webhooks);
	if (g.cli_added)
		vg_cli_remove(g.self, th_cli, VG_NELEM(th_cli));
	if (g.transfer_sub != NULL)
		vg_bus_unsubscribe(g.transfer_sub);
	if (g.hangup_sub != NULL)
		vg_bus_unsubscribe(g.hangup_sub);
	if (g.routed)
		th_unroute();
	free(g.seen);
	config_free(&g.conf);
	memset(&g, 0, sizeof(g));
}

/* Read the configuration and register the routes. */
static int
twilio_http_load(struct vg_module *self)
{
	memset(&g, 0, sizeof(g));
	g.self = self;
	if (config_load(&g.conf) == -1)
		return (VG_LOAD_DECLINE);
	if (th_register() == -1)
		goto fail;
	vg_log(VG_LOG_NOTICE, "webhooks on %s/twilio/incoming-call, REST at "
	    "%s", vg_public_url(), g.conf.api_base_url);
	return (VG_LOAD_OK);

fail:
	th_release();
	return (VG_LOAD_DECLINE);
}

/* Re-read the configuration; keep the old one if the new one is bad. */
static int
twilio_http_reload(struct vg_module *self)
{
	struct th_conf c;

	if (config_load(&c) == -1)
		return (-1);
	config_free(&g.conf);
	g.conf = c;
	return (0);
}

/* Release everything load took, in reverse. */
static void
twilio_http_unload(struct vg_module *self)
{
	th_release();
}

VG_MODULE_DEFINE(
	.name = "twilio_http",
	.description = "Twilio webhooks, outbound calls and health",
	.version = "1.0",
	.load = twilio_http_load,
	.unload = twilio_http_unload,
	.reload = twilio_http_reload,
);
