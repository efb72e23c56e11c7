/*
 * twilio_http tests. Pure parts (TwiML, tasks, outbound requests, form
 * bodies) directly; the HTTP flows with the real core: the module is loaded
 * with a hand-made module record, the listener runs on 127.0.0.1 with an
 * ephemeral port, and a fake Twilio REST server answers from a thread. The
 * test thread is the core thread and drives the loop in short slices;
 * every wait has a deadline.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <event2/event.h>
#include <json-c/json.h>

#include <voicegate/voicegate.h>

#include "core.h"
#include "net.h"
#include "twilio_http.h"
#include "twilio_sig.h"
#include "twilio_text.h"
#include "vg_test.h"
#include "vg_testlib.h"

#define TOKEN		"0123456789abcdef0123456789abcdef"
#define ACCOUNT		"AC00000000000000000000000000000001"
#define API_KEY		"test-api-key-7f3c9a1e"
#define PUBLIC		"https://voice.example.com"
#define SHARED		"https://calls.example.com"	/* webhook_url */
#define FROM_NUMBER	"+15005550006"
#define ROUTED_NUMBER	"+15005550010"
#define ROUTED_NUMBER2	"+15005550011"	/* in a second [routes] */
#define SRV_MAX_REQ	16

/* ---- a tiny XML checker for TwiML ---- */

/* Check that S is well-formed enough: balanced tags, quoted attributes,
 * only known entities, no raw '<' or '&' in text. Returns 0 or -1. */
static int
xml_check(const char *s)
{
	char stack[16][32];
	int depth = 0;
	size_t n;

	if (strncmp(s, "<?xml ", 6) == 0 && (s = strstr(s, "?>")) != NULL)
		s += 2;
	while (s != NULL && *s != '\0') {
		if (*s == '&') {
			if (strncmp(s, "&amp;", 5) && strncmp(s, "&lt;", 4) &&
			    strncmp(s, "&gt;", 4) && strncmp(s, "&quot;", 6) &&
			    strncmp(s, "&apos;", 6) && strncmp(s, "&#", 2))
				return (-1);
			s++;
			continue;
		}
		if (*s != '<') {
			if (*s == '>')
				return (-1);
			s++;
			continue;
		}
		if (s[1] == '/') {
			n = strcspn(s + 2, ">");
			if (depth == 0 || strlen(stack[depth - 1]) != n ||
			    strncmp(stack[depth - 1], s + 2, n) != 0)
				return (-1);
			depth--;
			s += 2 + n + 1;
			continue;
		}
		n = strcspn(s + 1, " />");
		if (n == 0 || n >= sizeof(stack[0]) || depth == 16)
			return (-1);
		memcpy(stack[depth], s + 1, n);
		stack[depth][n] = '\0';
		s += 1 + n;
		for (;;) {	/* attributes */
			while (*s == ' ')
				s++;
			if (*s == '>' || (s[0] == '/' && s[1] == '>'))
				break;
			n = strcspn(s, "=\"<> ");
			if (n == 0 || s[n] != '=' || s[n + 1] != '"')
				return (-1);
			s += n + 2;
			while (*s != '"') {
				if (*s == '\0' || *s == '<')
					return (-1);
				if (*s == '&' && strncmp(s, "&amp;", 5) &&
				    strncmp(s, "&quot;", 6) &&
				    strncmp(s, "&lt;", 4) &&
				    strncmp(s, "&gt;", 4) &&
				    strncmp(s, "&apos;", 6) &&
				    strncmp(s, "&#", 2))
					return (-1);
				s++;
			}
			s++;
		}
		if (*s == '/')
			s += 2;		/* self-closing */
		else {
			depth++;
			s++;
		}
	}
	return (depth == 0 ? 0 : -1);
}

/* The value of <Parameter name="NAME" value="..."/> in TWIML, copied into
 * OUT (escaped as it is), or "" when absent. */
static const char *
twiml_param(const char *twiml, const char *name, char *out, size_t size)
{
	char pat[96];
	const char *p, *q;

	out[0] = '\0';
	snprintf(pat, sizeof(pat), "<Parameter name=\"%s\" value=\"", name);
	if ((p = strstr(twiml, pat)) == NULL)
		return (out);
	p += strlen(pat);
	if ((q = strchr(p, '"')) == NULL || (size_t)(q - p) >= size)
		return (out);
	memcpy(out, p, q - p);
	out[q - p] = '\0';
	return (out);
}

/* ---- pure parts ---- */

/* The stream TwiML: well formed, parameters present, no <Say>. */
static void
t_twiml_stream(void)
{
	char v[128], *x;

	x = twilio_http_twiml_stream("wss://voice.example.com/twilio/"
	    "media-stream", NULL, "vgc_0123456789abcdef", "abcdef0123");
	VG_CHECK_INT(xml_check(x), 0);
	VG_CHECK(strstr(x, "<Response><Connect><Stream url=\"wss://voice."
	    "example.com/twilio/media-stream\">") != NULL);
	VG_CHECK_STR(twiml_param(x, "call_id", v, sizeof(v)),
	    "vgc_0123456789abcdef");
	VG_CHECK_STR(twiml_param(x, "token", v, sizeof(v)), "abcdef0123");
	VG_CHECK(strstr(x, "<Say") == NULL);
	VG_CHECK(strstr(x, "</Stream></Connect></Response>") != NULL);
	free(x);
}

/* A greeting becomes <Say> first; every value is escaped. */
static void
t_twiml_escaped(void)
{
	char v[128], *x;

	x = twilio_http_twiml_stream("wss://h.example/a?b=1&c=\"2\"",
	    "Hello <caller> & \"friends\"", "id&<>\"'", "t");
	VG_CHECK_INT(xml_check(x), 0);
	VG_CHECK(strstr(x, "<Response><Say>Hello &lt;caller&gt; &amp; "
	    "&quot;friends&quot;</Say><Connect>") != NULL);
	VG_CHECK(strstr(x, "url=\"wss://h.example/a?b=1&amp;c=&quot;2&quot;"
	    "\"") != NULL);
	VG_CHECK_STR(twiml_param(x, "call_id", v, sizeof(v)),
	    "id&amp;&lt;&gt;&quot;&apos;");
	free(x);
	x = twilio_http_twiml_dial("+15551234567");
	VG_CHECK_INT(xml_check(x), 0);
	VG_CHECK(strstr(x, "<Response><Dial>+15551234567</Dial></Response>")
	    != NULL);
	free(x);
	VG_CHECK_INT(xml_check("<a><b></a></b>"), -1);	/* the checker */
	VG_CHECK_INT(xml_check("<a x=\"&\"/>"), -1);
}

/* Task checks: known fields and types only. */
static void
t_task_check(void)
{
	static const struct {
		const char	*json;
		int		 ok;
		const char	*msg;
	} cases[] = {
		{ "{}", 0, NULL },
		{ "{\"type\":\"survey\",\"prompt\":\"p\",\"context\":\"c\","
		    "\"voice\":\"marin\",\"instructions\":\"i\",\"speed\":1.2}",
		    0, NULL },
		{ "{\"speed\":1}", 0, NULL },
		{ "{\"colour\":\"red\"}", -1, "task.colour is not a known" },
		{ "{\"prompt\":5}", -1, "task.prompt must be a string" },
		{ "{\"speed\":\"fast\"}", -1, "task.speed must be a number" },
		{ "{\"speed\":3}", -1, "task.speed must be between" },
		{ "[1]", -1, "task must be an object" },
	};
	struct json_object *o;
	char err[256];
	size_t i;
	int rc;

	for (i = 0; i < VG_NELEM(cases); i++) {
		o = json_tokener_parse(cases[i].json);
		err[0] = '\0';
		rc = twilio_http_task_check(o, err, sizeof(err));
		if (rc != cases[i].ok || (cases[i].msg != NULL &&
		    strstr(err, cases[i].msg) == NULL)) {
			fprintf(stderr, "  task %s: %d \"%s\"\n",
			    cases[i].json, rc, err);
			VG_CHECK(0);
		}
		json_object_put(o);
	}
}

/* Outbound request bodies: numbers, fields, JSON. */
static void
t_outbound_parse(void)
{
	static const struct {
		const char	*body;
		int		 ok;
		const char	*msg;
	} cases[] = {
		{ "{\"to\":\"+15551234567\"}", 0, NULL },
		{ "{\"to\":\"+15551234567\",\"from\":\"+15005550006\","
		    "\"task\":{\"type\":\"survey\"}} \n", 0, NULL },
		{ "{\"to\":\"5551234567\"}", -1, "E.164" },
		{ "{\"to\":\"+15551234567\",\"from\":\"+0123\"}", -1,
		    "\"from\" must be an E.164" },
		{ "{\"from\":\"+15005550006\"}", -1, "\"to\" is required" },
		{ "{\"to\":15551234567}", -1, "must be a string" },
		{ "{\"to\":\"+15551234567\",\"x\":1}", -1, "not a known" },
		{ "{\"to\":\"+15551234567\",\"task\":\"survey\"}", -1,
		    "task must be an object" },
		{ "{\"to\":\"+15551234567\"} x", -1, "not valid JSON" },
		{ "[]", -1, "must be a JSON object" },
		{ "", -1, "required" },
	};
	struct twilio_http_outbound ob;
	char err[256];
	size_t i;
	int rc;

	for (i = 0; i < VG_NELEM(cases); i++) {
		err[0] = '\0';
		rc = twilio_http_outbound_parse(cases[i].body,
		    strlen(cases[i].body), &ob, err, sizeof(err));
		if (rc != cases[i].ok || (cases[i].msg != NULL &&
		    strstr(err, cases[i].msg) == NULL)) {
			fprintf(stderr, "  body %s: %d \"%s\"\n",
			    cases[i].body, rc, err);
			VG_CHECK(0);
		}
		if (rc == 0) {
			VG_CHECK_STR(ob.to, "+15551234567");
			twilio_http_outbound_free(&ob);
		} else
			VG_CHECK(ob.to == NULL && ob.task == NULL);
	}
}

/* Form bodies become decoded parameters, repeats kept, in order. */
static void
t_form_params(void)
{
	static const char body[] = "CallSid=CA1&From=%2B14155550100&"
	    "Caller=+14155550100&Digits=1&Digits=2&Empty=&Name=a%26b";
	struct twilio_form f = { 0 };
	size_t i;
	char *big;

	VG_CHECK_INT(twilio_http_form_parse(body, strlen(body), &f), 0);
	VG_CHECK_INT(f.n, 7);
	VG_CHECK_STR(twilio_http_form_get(&f, "From"), "+14155550100");
	VG_CHECK_STR(twilio_http_form_get(&f, "Caller"), " 14155550100");
	VG_CHECK_STR(twilio_http_form_get(&f, "Digits"), "1");
	VG_CHECK_STR(f.params[4].value, "2");
	VG_CHECK_STR(twilio_http_form_get(&f, "Empty"), "");
	VG_CHECK_STR(twilio_http_form_get(&f, "Name"), "a&b");
	VG_CHECK(twilio_http_form_get(&f, "To") == NULL);
	twilio_http_form_free(&f);
	VG_CHECK_INT(twilio_http_form_parse("a=%zz", 5, &f), -1);
	VG_CHECK_INT(f.n, 0);
	big = malloc(8 * (TH_FORM_MAX_PARAMS + 1) + 1);
	big[0] = '\0';
	for (i = 0; i <= TH_FORM_MAX_PARAMS; i++)
		strcat(big, "a=1&");
	VG_CHECK_INT(twilio_http_form_parse(big, strlen(big), &f), -1);
	VG_CHECK_INT(f.n, 0);
	free(big);
}

/* ---- the fake Twilio REST API ---- */

struct srv_req {
	char	 method[8];
	char	 path[256];
	char	 auth[256];
	char	 ctype[128];
	char	 body[8192];
};

static struct {
	int		 lfd;
	int		 port;
	pthread_t	 thread;
	pthread_mutex_t	 lock;
	int		 stop;			/* under lock from here */
	int		 status;		/* answer with this... */
	char		 answer[2048];		/* ...and body */
	int		 hang;			/* never answer */
	struct srv_req	 reqs[SRV_MAX_REQ];
	int		 nreq;
	int		 held[SRV_MAX_REQ];	/* server thread only */
	int		 nheld;
} srv = { .lfd = -1, .lock = PTHREAD_MUTEX_INITIALIZER };

/* Set how the fake answers the next requests. */
static void
srv_mode(int status, const char *answer, int hang)
{
	pthread_mutex_lock(&srv.lock);
	srv.status = status;
	snprintf(srv.answer, sizeof(srv.answer), "%s", answer);
	srv.hang = hang;
	pthread_mutex_unlock(&srv.lock);
}

/* How many requests the fake has seen. */
static int
srv_count(void)
{
	int n;

	pthread_mutex_lock(&srv.lock);
	n = srv.nreq;
	pthread_mutex_unlock(&srv.lock);
	return (n);
}

/* Read, record and answer one request on FD. */
static void
srv_serve(int fd)
{
	char buf[16384], *end, *cl, head[512];
	struct timeval tv = { 2, 0 };
	struct srv_req *r;
	size_t have = 0, need = 0;
	ssize_t n;
	int hang;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (;;) {
		if (have + 1 >= sizeof(buf) ||
		    (n = recv(fd, buf + have, sizeof(buf) - have - 1,
		    0)) <= 0) {
			close(fd);
			return;
		}
		have += (size_t)n;
		buf[have] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")) == NULL)
			continue;
		need = (size_t)(end - buf) + 4;
		if ((cl = strcasestr(buf, "\r\nContent-Length:")) != NULL &&
		    cl < end)
			need += strtoul(cl + 17, NULL, 10);
		if (have >= need)
			break;
	}
	pthread_mutex_lock(&srv.lock);
	if (srv.nreq < SRV_MAX_REQ) {
		r = &srv.reqs[srv.nreq++];
		memset(r, 0, sizeof(*r));
		sscanf(buf, "%7s %255s", r->method, r->path);
		*end = '\0';
		http_header(buf, "Authorization", r->auth, sizeof(r->auth));
		http_header(buf, "Content-Type", r->ctype, sizeof(r->ctype));
		snprintf(r->body, sizeof(r->body), "%s", end + 4);
	}
	hang = srv.hang;
	if (!hang) {
		n = snprintf(head, sizeof(head), "HTTP/1.1 %d X\r\n"
		    "Content-Type: application/json\r\n"
		    "Content-Length: %zu\r\nConnection: close\r\n\r\n",
		    srv.status, strlen(srv.answer));
		send(fd, head, (size_t)n, MSG_NOSIGNAL);
		send(fd, srv.answer, strlen(srv.answer), MSG_NOSIGNAL);
	}
	pthread_mutex_unlock(&srv.lock);
	if (hang && srv.nheld < SRV_MAX_REQ)
		srv.held[srv.nheld++] = fd;
	else
		close(fd);
}

/* The fake's thread: accept and answer until told to stop. */
static void *
srv_main(void *unused)
{
	struct pollfd pfd;
	int fd, stop, i;

	for (;;) {
		pthread_mutex_lock(&srv.lock);
		stop = srv.stop;
		pthread_mutex_unlock(&srv.lock);
		if (stop)
			break;
		pfd.fd = srv.lfd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 20) <= 0)
			continue;
		if ((fd = accept(srv.lfd, NULL, NULL)) != -1)
			srv_serve(fd);
	}
	for (i = 0; i < srv.nheld; i++)
		close(srv.held[i]);
	return (NULL);
}

/* Start the fake on a loopback port. Returns 0 or -1. */
static int
srv_start(void)
{
	if ((srv.lfd = listen_loopback(&srv.port)) == -1 ||
	    listen(srv.lfd, 16) == -1)
		return (-1);
	return (pthread_create(&srv.thread, NULL, srv_main, NULL) == 0 ?
	    0 : -1);
}

/* ---- the core, the module and our HTTP client ---- */

static struct vg_module thmod = {
	.name = "twilio_http", .state = VG_MOD_RUNNING,
};
static int up;			/* 1 running, -1 could not start */
static char confdir[64];

/* Core, listener, fake REST API and the module, once. Returns 0 or -1. */
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
	if (vg_core_init() == -1 || srv_start() == -1)
		return (-1);
	vg_settings_defaults(&s);
	vg_strlcpy(s.listen_addr, "127.0.0.1", sizeof(s.listen_addr));
	s.listen_port = 0;
	vg_strlcpy(s.public_url, PUBLIC "/", sizeof(s.public_url));
	vg_settings_set(&s);
	if (vg_net_start(&s) == -1)
		return (-1);
	snprintf(confdir, sizeof(confdir), "/tmp/vg-twilio.XXXXXX");
	if (mkdtemp(confdir) == NULL)
		return (-1);
	snprintf(path, sizeof(path), "%s/twilio_http.conf", confdir);
	if ((f = fopen(path, "w")) == NULL)
		return (-1);
	fprintf(f, "[twilio]\naccount_sid = %s\nauth_token = %s\n"
	    "from_number = %s\napi_base_url = http://127.0.0.1:%d/\n"
	    "api_key = %s\nrequest_timeout = 1\n"
	    "webhook_url = " SHARED "/\ndefault_task = {\"type\":"
	    "\"default\"}\n[routes]\n%s => survey\n[task.survey]\n"
	    "prompt = Ask three questions.\nspeed = 1.1\n"
	    /* Repeated sections add to the first (as an #include would). */
	    "[routes]\n%s => survey\n[task.survey]\nvoice = coral\n",
	    ACCOUNT, TOKEN, FROM_NUMBER, srv.port, API_KEY, ROUTED_NUMBER,
	    ROUTED_NUMBER2);
	fclose(f);
	if ((thmod.conf = vg_conf_parse(path, conf_err, NULL)) == NULL)
		return (-1);
	if (vg_module_info.load(&thmod) != VG_LOAD_OK)
		return (-1);
	up = 1;
	return (0);
}

/* Send one request to the listener and wait for the answer in R. EXTRA
 * holds whole header lines. Returns 0 or -1. */
static int
http_do(const char *method, const char *path, const char *extra,
    const char *ctype, const char *body, struct http_resp *r)
{
	char *req;
	int rc;

	req = vg_asprintf("%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s"
	    "Content-Type: %s\r\nContent-Length: %zu\r\n\r\n%s", method, path,
	    extra != NULL ? extra : "", ctype, strlen(body), body);
	rc = http_exchange(req, r);
	free(req);
	return (rc);
}

/* Build a form body from P (N pairs), encoded. Returns new. */
static char *
form_body(const struct twilio_param *p, size_t n)
{
	char *out = vg_xstrdup(""), *k, *v, *s;
	size_t i;

	for (i = 0; i < n; i++) {
		k = vg_url_encode(p[i].name);
		v = vg_url_encode(p[i].value);
		s = vg_asprintf("%s%s%s=%s", out, i > 0 ? "&" : "", k, v);
		free(out);
		free(v);
		free(k);
		out = s;
	}
	return (out);
}

/* POST a webhook to PATH with P, signed (SIGN) over BASE + PATH. */
static int
webhook_at(const char *base, const char *path, const struct twilio_param *p,
    size_t n, int sign, struct http_resp *r)
{
	char sig[TWILIO_SIG_LEN + 1], hdr[128], *url, *body;
	int rc;

	url = vg_asprintf("%s%s", base, path);
	twilio_sig_compute(TOKEN, url, p, n, sig);
	if (sign == 2)
		sig[3] ^= 1;		/* tampered */
	snprintf(hdr, sizeof(hdr), "X-Twilio-Signature: %s\r\n", sig);
	body = form_body(p, n);
	rc = http_do("POST", path, sign ? hdr : NULL,
	    "application/x-www-form-urlencoded", body, r);
	free(body);
	free(url);
	return (rc);
}

/* POST a webhook to PATH with P, signed (SIGN) over the public URL. */
static int
webhook(const char *path, const struct twilio_param *p, size_t n, int sign,
    struct http_resp *r)
{
	return (webhook_at(PUBLIC, path, p, n, sign, r));
}

/* The parameters of an incoming call webhook for SID to TO. */
static void
incoming_params(struct twilio_param *p, const char *sid, const char *to)
{
	p[0] = (struct twilio_param){ "AccountSid", ACCOUNT };
	p[1] = (struct twilio_param){ "ApiVersion", "2010-04-01" };
	p[2] = (struct twilio_param){ "CallSid", sid };
	p[3] = (struct twilio_param){ "CallStatus", "ringing" };
	p[4] = (struct twilio_param){ "Direction", "inbound" };
	p[5] = (struct twilio_param){ "From", "+14155550100" };
	p[6] = (struct twilio_param){ "To", to };
}

/* ---- webhooks ---- */

/* A signed incoming call: the call exists, TwiML streams it to us. */
static void
t_incoming_valid(void)
{
	struct twilio_param p[7];
	struct vg_call *call;
	struct http_resp r;
	char v[128];

	if (bring_up() == -1) {
		VG_CHECK(!"core up");
		return;
	}
	incoming_params(p, "CA00000000000000000000000000000002", ROUTED_NUMBER);
	VG_CHECK_INT(webhook("/twilio/incoming-call", p, 7, 1, &r), 0);
	VG_CHECK_INT(r.status, 200);
	VG_CHECK_STR(r.ctype, "text/xml");
	VG_CHECK_INT(xml_check(r.body), 0);
	VG_CHECK(strstr(r.body, "<Stream url=\"wss://voice.example.com/twilio/"
	    "media-stream\">") != NULL);
	VG_CHECK(strstr(r.body, "<Say") == NULL);
	call = vg_call_find_by("call_sid",
	    "CA00000000000000000000000000000002");
	VG_CHECK(call != NULL);
	if (call == NULL)
		return;
	VG_CHECK_STR(twiml_param(r.body, "call_id", v, sizeof(v)),
	    vg_call_id(call));
	VG_CHECK_STR(twiml_param(r.body, "token", v, sizeof(v)),
	    vg_call_attr(call, "media_token"));
	VG_CHECK_INT(strlen(v), 32);
	VG_CHECK_INT(vg_call_direction(call), VG_CALL_INBOUND);
	VG_CHECK_STR(vg_call_from(call), "+14155550100");
	VG_CHECK_STR(vg_call_attr(call, "account_sid"), ACCOUNT);
	VG_CHECK(strstr(vg_call_attr(call, "task"), "\"type\":\"survey\"") !=
	    NULL);
	VG_CHECK(strstr(vg_call_attr(call, "task"), "\"prompt\":\"Ask three "
	    "questions.\"") != NULL);
	VG_CHECK_INT(vg_call_state(call), VG_CALL_IN_PROGRESS);
}

/* A route in a second [routes] section, and a [task.NAME] given twice:
 * both count, as vg_conf_get() reads repeated sections. */
static void
t_incoming_repeated_sections(void)
{
	struct twilio_param p[7];
	struct vg_call *call;
	struct http_resp r;

	if (bring_up() == -1) {
		VG_CHECK(!"core up");
		return;
	}
	incoming_params(p, "CA00000000000000000000000000000009",
	    ROUTED_NUMBER2);
	VG_CHECK_INT(webhook("/twilio/incoming-call", p, 7, 1, &r), 0);
	VG_CHECK_INT(r.status, 200);
	call = vg_call_find_by("call_sid",
	    "CA00000000000000000000000000000009");
	VG_CHECK(call != NULL);
	if (call == NULL)
		return;
	VG_CHECK(strstr(vg_call_attr(call, "task"), "\"type\":\"survey\"") !=
	    NULL);
	VG_CHECK(strstr(vg_call_attr(call, "task"), "\"prompt\":\"Ask three "
	    "questions.\"") != NULL);
	VG_CHECK(strstr(vg_call_attr(call, "task"), "\"voice\":\"coral\"") !=
	    NULL);
}

/* Twilio asks again for the same call (another signature): same TwiML;
 * the very same request again is a replay. */
static void
t_incoming_retry_replay(void)
{
	struct twilio_param p[8];
	struct http_resp r1, r2, r3;

	if (bring_up() == -1)
		return;
	incoming_params(p, "CA00000000000000000000000000000003",
	    "+15005550099");
	VG_CHECK_INT(webhook("/twilio/incoming-call", p, 7, 1, &r1), 0);
	VG_CHECK_INT(r1.status, 200);
	p[7] = (struct twilio_param){ "Retry", "1" };
	VG_CHECK_INT(webhook("/twilio/incoming-call", p, 8, 1, &r2), 0);
	VG_CHECK_INT(r2.status, 200);
	VG_CHECK_STR(r2.body, r1.body);
	VG_CHECK_INT(webhook("/twilio/incoming-call", p, 8, 1, &r3), 0);
	VG_CHECK_INT(r3.status, 403);
	VG_CHECK(strstr(r3.body, "replayed") != NULL);
}

/* Missing and tampered signatures are refused with 403, and no call. */
static void
t_incoming_bad_signature(void)
{
	struct twilio_param p[7];
	struct http_resp r;

	if (bring_up() == -1)
		return;
	incoming_params(p, "CA00000000000000000000000000000004",
	    "+15005550099");
	VG_CHECK_INT(webhook("/twilio/incoming-call", p, 7, 0, &r), 0);
	VG_CHECK_INT(r.status, 403);
	VG_CHECK_INT(webhook("/twilio/incoming-call", p, 7, 2, &r), 0);
	VG_CHECK_INT(r.status, 403);
	VG_CHECK(vg_call_find_by("call_sid",
	    "CA00000000000000000000000000000004") == NULL);
	VG_CHECK_INT(http_do("POST", "/twilio/incoming-call", NULL,
	    "application/x-www-form-urlencoded", "a=%zz", &r), 0);
	VG_CHECK_INT(r.status, 400);
}

/* Several instances behind one name: a webhook signed for the shared
 * webhook_url is accepted, one signed for any other host is not. */
static void
t_incoming_shared_url(void)
{
	struct twilio_param p[7];
	struct http_resp r;

	if (bring_up() == -1)
		return;
	incoming_params(p, "CA00000000000000000000000000000041",
	    "+15005550099");
	VG_CHECK_INT(webhook_at(SHARED, "/twilio/incoming-call", p, 7, 1, &r),
	    0);
	VG_CHECK_INT(r.status, 200);
	incoming_params(p, "CA00000000000000000000000000000042",
	    "+15005550099");
	VG_CHECK_INT(webhook_at("https://other.example.com",
	    "/twilio/incoming-call", p, 7, 1, &r), 0);
	VG_CHECK_INT(r.status, 403);
	VG_CHECK(vg_call_find_by("call_sid",
	    "CA00000000000000000000000000000042") == NULL);
}

/* ---- the outbound API ---- */

#define CREATED	"{\"sid\":\"CA00000000000000000000000000000009\"," \
	"\"account_sid\":\"" ACCOUNT "\",\"status\":\"queued\"}"

/* Count pairs in FORM named NAME; copy the Ith value into OUT. */
static int
form_value(const char *form, const char *name, int i, char *out,
    size_t size)
{
	struct twilio_form f = { 0 };
	size_t k;
	int n = 0;

	out[0] = '\0';
	if (twilio_http_form_parse(form, strlen(form), &f) == -1)
		return (-1);
	for (k = 0; k < f.n; k++) {
		if (strcmp(f.params[k].name, name) != 0)
			continue;
		if (n++ == i)
			snprintf(out, size, "%s", f.params[k].value);
	}
	twilio_http_form_free(&f);
	return (n);
}

/* POST /twilio/outbound-call with BODY and KEY. */
static int
outbound(const char *key, const char *body, struct http_resp *r)
{
	char hdr[128];

	if (key != NULL)
		snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s\r\n",
		    key);
	return (http_do("POST", "/twilio/outbound-call", key != NULL ? hdr :
	    NULL, "application/json", body, r));
}

/* Twilio creates the call: 201 with our id and its sid; the request had
 * exactly the fields, URL and basic auth Twilio needs. */
static void
t_outbound_ok(void)
{
	struct srv_req rq;
	struct json_object *o, *v;
	struct vg_call *call;
	struct http_resp r;
	char val[4096], *auth;
	int base;

	if (bring_up() == -1)
		return;
	srv_mode(201, CREATED, 0);
	base = srv_count();
	VG_CHECK_INT(outbound(API_KEY, "{\"to\":\"+14155550100\",\"task\":"
	    "{\"type\":\"reminder\",\"prompt\":\"Remind <them> & go\"}}", &r),
	    0);
	VG_CHECK_INT(r.status, 201);
	VG_CHECK_INT(srv_count(), base + 1);
	o = json_tokener_parse(r.body);
	VG_CHECK(o != NULL);
	VG_CHECK(json_object_object_get_ex(o, "call_sid", &v) &&
	    strcmp(json_object_get_string(v),
	    "CA00000000000000000000000000000009") == 0);
	VG_CHECK(json_object_object_get_ex(o, "status", &v) &&
	    strcmp(json_object_get_string(v), "queued") == 0);
	call = json_object_object_get_ex(o, "call_id", &v) ?
	    vg_call_find(json_object_get_string(v)) : NULL;
	VG_CHECK(call != NULL);
	json_object_put(o);
	if (call == NULL || srv_count() != base + 1)
		return;
	VG_CHECK_STR(vg_call_attr(call, "call_sid"),
	    "CA00000000000000000000000000000009");
	VG_CHECK_INT(vg_call_direction(call), VG_CALL_OUTBOUND);
	VG_CHECK_STR(vg_call_from(call), FROM_NUMBER);
	VG_CHECK(strstr(vg_call_attr(call, "task"), "Remind <them> & go") !=
	    NULL);
	pthread_mutex_lock(&srv.lock);
	rq = srv.reqs[base];
	pthread_mutex_unlock(&srv.lock);
	VG_CHECK_STR(rq.method, "POST");
	VG_CHECK_STR(rq.path, "/2010-04-01/Accounts/" ACCOUNT "/Calls.json");
	VG_CHECK_STR(rq.ctype, "application/x-www-form-urlencoded");
	/* base64 of ACCOUNT ":" TOKEN (PROTOCOLS 3.1's example header has one
	 * "MDAw" too many for this 34-character sid). */
	auth = "Basic QUMwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMTowMTIzNDU2N"
	    "zg5YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZg==";
	VG_CHECK_STR(rq.auth, auth);
	VG_CHECK_INT(form_value(rq.body, "To", 0, val, sizeof(val)), 1);
	VG_CHECK_STR(val, "+14155550100");
	VG_CHECK_INT(form_value(rq.body, "From", 0, val, sizeof(val)), 1);
	VG_CHECK_STR(val, FROM_NUMBER);
	VG_CHECK_INT(form_value(rq.body, "StatusCallback", 0, val,
	    sizeof(val)), 1);
	VG_CHECK_STR(val, PUBLIC "/twilio/call-status");
	VG_CHECK_INT(form_value(rq.body, "StatusCallbackMethod", 0, val,
	    sizeof(val)), 1);
	VG_CHECK_STR(val, "POST");
	VG_CHECK_INT(form_value(rq.body, "StatusCallbackEvent", 0, val,
	    sizeof(val)), 4);
	VG_CHECK_STR(val, "initiated");
	form_value(rq.body, "StatusCallbackEvent", 1, val, sizeof(val));
	VG_CHECK_STR(val, "ringing");
	form_value(rq.body, "StatusCallbackEvent", 2, val, sizeof(val));
	VG_CHECK_STR(val, "answered");
	form_value(rq.body, "StatusCallbackEvent", 3, val, sizeof(val));
	VG_CHECK_STR(val, "completed");
	VG_CHECK_INT(form_value(rq.body, "Url", 0, val, sizeof(val)), 0);
	VG_CHECK_INT(form_value(rq.body, "Twiml", 0, val, sizeof(val)), 1);
	VG_CHECK_INT(xml_check(val), 0);
	VG_CHECK(strstr(val, "<Stream url=\"wss://voice.example.com/twilio/"
	    "media-stream\">") != NULL);
	VG_CHECK(strstr(val, vg_call_id(call)) != NULL);
	VG_CHECK(strstr(val, vg_call_attr(call, "media_token")) != NULL);
	/* Exactly these fields and no others. */
	VG_CHECK_INT(form_value(rq.body, "To", 0, val, sizeof(val)) +
	    form_value(rq.body, "From", 0, val, sizeof(val)) +
	    form_value(rq.body, "Twiml", 0, val, sizeof(val)) +
	    form_value(rq.body, "StatusCallback", 0, val, sizeof(val)) +
	    form_value(rq.body, "StatusCallbackEvent", 0, val, sizeof(val)) +
	    form_value(rq.body, "StatusCallbackMethod", 0, val, sizeof(val)),
	    9);
}

/* Bad numbers, bad tasks: 400 and nothing sent to Twilio. */
static void
t_outbound_invalid(void)
{
	struct http_resp r;
	int base;

	if (bring_up() == -1)
		return;
	base = srv_count();
	VG_CHECK_INT(outbound(API_KEY, "{\"to\":\"555-1234\"}", &r), 0);
	VG_CHECK_INT(r.status, 400);
	VG_CHECK(strstr(r.body, "E.164") != NULL);
	VG_CHECK_INT(outbound(API_KEY, "{\"to\":\"+14155550100\",\"task\":"
	    "{\"mood\":\"grumpy\"}}", &r), 0);
	VG_CHECK_INT(r.status, 400);
	VG_CHECK(strstr(r.body, "task.mood is not a known field") != NULL);
	VG_CHECK_INT(srv_count(), base);
}

/* A stand-in AI provider's agents service: knows the preset "survey"
 * only. */
static int
fake_agents_validate(const struct json_object *task, char *err,
    size_t err_size)
{
	struct json_object *type;

	if (json_object_object_get_ex(task, "type", &type) &&
	    strcmp(json_object_get_string(type), "survey") == 0)
		return (0);
	snprintf(err, err_size, "unknown preset");
	return (-1);
}

static const struct vg_agents_service fake_agents = {
	.validate = fake_agents_validate,
};

/* With a provider loaded, a task it refuses is a 400 with its reason and
 * nothing reaches Twilio; one it accepts is placed; the provider is not
 * pinned by the check. */
static void
t_outbound_agents(void)
{
	struct vg_module provider = { .name = "provider",
	    .state = VG_MOD_RUNNING };
	struct http_resp r;
	int base;

	if (bring_up() == -1)
		return;
	VG_CHECK_INT(vg_service_register(&provider, VG_SERVICE_AGENTS,
	    &fake_agents), 0);
	base = srv_count();
	VG_CHECK_INT(outbound(API_KEY, "{\"to\":\"+14155550100\",\"task\":"
	    "{\"type\":\"quiz\"}}", &r), 0);
	VG_CHECK_INT(r.status, 400);
	VG_CHECK(strstr(r.body, "unknown preset") != NULL);
	VG_CHECK_INT(srv_count(), base);
	VG_CHECK_INT(outbound(API_KEY, "{\"to\":\"+14155550100\",\"task\":"
	    "{\"type\":\"survey\",\"context\":{\"name\":\"Ada\"}}}", &r),
	    0);
	VG_CHECK_INT(r.status, 201);
	VG_CHECK_INT(srv_count(), base + 1);
	VG_CHECK(!vg_service_in_use(&provider, NULL, 0));
	vg_service_release_owner(&provider);
}

/* A wrong or missing API key: 401, nothing sent to Twilio. */
static void
t_outbound_bad_key(void)
{
	struct http_resp r;
	int base;

	if (bring_up() == -1)
		return;
	base = srv_count();
	VG_CHECK_INT(outbound("wrong", "{\"to\":\"+14155550100\"}", &r), 0);
	VG_CHECK_INT(r.status, 401);
	VG_CHECK_INT(outbound(API_KEY "x", "{\"to\":\"+14155550100\"}", &r),
	    0);
	VG_CHECK_INT(r.status, 401);
	VG_CHECK_INT(outbound(NULL, "{\"to\":\"+14155550100\"}", &r), 0);
	VG_CHECK_INT(r.status, 401);
	VG_CHECK_INT(srv_count(), base);
}

/* Twilio's error comes back with its status, code and message; the call
 * is failed. */
static void
t_outbound_twilio_error(void)
{
	struct json_object *o, *v;
	struct http_resp r;

	if (bring_up() == -1)
		return;
	srv_mode(400, "{\"code\":21211,\"message\":\"The 'To' number "
	    "+14155550100 is not a valid phone number.\",\"more_info\":"
	    "\"https://www.twilio.com/docs/errors/21211\",\"status\":400}", 0);
	VG_CHECK_INT(outbound(API_KEY, "{\"to\":\"+14155550100\"}", &r), 0);
	VG_CHECK_INT(r.status, 400);
	o = json_tokener_parse(r.body);
	VG_CHECK(json_object_object_get_ex(o, "code", &v) &&
	    json_object_get_int(v) == 21211);
	VG_CHECK(json_object_object_get_ex(o, "error", &v) &&
	    strstr(json_object_get_string(v), "not a valid phone") != NULL);
	VG_CHECK(json_object_object_get_ex(o, "call_id", &v) &&
	    vg_call_find(json_object_get_string(v)) == NULL);
	json_object_put(o);
}

/* Twilio does not answer: 504 after request_timeout, once, call failed. */
static void
t_outbound_timeout(void)
{
	struct http_resp r;
	int base;

	if (bring_up() == -1)
		return;
	srv_mode(201, CREATED, 1);
	base = srv_count();
	VG_CHECK_INT(outbound(API_KEY, "{\"to\":\"+14155550100\"}", &r), 0);
	VG_CHECK_INT(r.status, 504);
	VG_CHECK(strstr(r.body, "call_id") != NULL);
	pump_ms(200);
	VG_CHECK_INT(srv_count(), base + 1);	/* never retried */
	srv_mode(201, CREATED, 0);
}

/* ---- status callbacks ---- */

/* Place an outbound call answered with SID; returns the call or NULL. */
static struct vg_call *
placed(const char *sid)
{
	char body[256];
	struct http_resp r;

	snprintf(body, sizeof(body), "{\"sid\":\"%s\",\"status\":\"queued\"}",
	    sid);
	srv_mode(201, body, 0);
	if (outbound(API_KEY, "{\"to\":\"+14155550100\"}", &r) == -1 ||
	    r.status != 201)
		return (NULL);
	return (vg_call_find_by("call_sid", sid));
}

/* Post a status callback for SID. */
static int
status_cb(const char *sid, const char *status, const char *seq,
    const char *duration)
{
	struct twilio_param p[6];
	struct http_resp r;
	size_t n = 0;

	p[n++] = (struct twilio_param){ "AccountSid", ACCOUNT };
	p[n++] = (struct twilio_param){ "CallSid", sid };
	p[n++] = (struct twilio_param){ "CallStatus", status };
	p[n++] = (struct twilio_param){ "CallbackSource",
	    "call-progress-events" };
	p[n++] = (struct twilio_param){ "SequenceNumber", seq };
	if (duration != NULL)
		p[n++] = (struct twilio_param){ "CallDuration", duration };
	if (webhook("/twilio/call-status", p, n, 1, &r) == -1)
		return (-1);
	return (r.status);
}

/* Status callbacks move the call; an older one is ignored; completed ends
 * it with its duration. */
static void
t_call_status(void)
{
	const char *sid = "CA00000000000000000000000000000010";
	struct vg_call *call;

	if (bring_up() == -1 || (call = placed(sid)) == NULL) {
		VG_CHECK(!"placed");
		return;
	}
	VG_CHECK_INT(status_cb(sid, "ringing", "1", NULL), 200);
	VG_CHECK_INT(vg_call_state(call), VG_CALL_RINGING);
	VG_CHECK_INT(status_cb(sid, "initiated", "0", NULL), 200);
	VG_CHECK_INT(vg_call_state(call), VG_CALL_RINGING);
	VG_CHECK_INT(status_cb(sid, "in-progress", "2", NULL), 200);
	VG_CHECK_INT(vg_call_state(call), VG_CALL_IN_PROGRESS);
	VG_CHECK_INT(status_cb(sid, "busy", "2", NULL), 200);	/* same seq */
	VG_CHECK_INT(vg_call_state(call), VG_CALL_IN_PROGRESS);
	VG_CHECK_INT(status_cb(sid, "completed", "3", "42"), 200);
	call = vg_call_find_by("call_sid", sid);
	VG_CHECK(call == NULL || vg_call_state(call) == VG_CALL_COMPLETED);
	VG_CHECK_INT(status_cb("CA0000000000000000000000000000dead", "ringing",
	    "0", NULL), 200);
}

/* ---- hang-up and transfer ---- */

/* Wait until the fake has seen N requests. */
static int
srv_reached(void *arg)
{
	return (srv_count() >= *(int *)arg);
}

/* call.hangup sends Status=completed once; a second request while the
 * first is in flight sends nothing; Twilio's 200 ends the call. */
static void
t_hangup(void)
{
	const char *sid = "CA00000000000000000000000000000011";
	struct vg_call *call;
	struct srv_req rq;
	int base, want;

	if (bring_up() == -1 || (call = placed(sid)) == NULL) {
		VG_CHECK(!"placed");
		return;
	}
	status_cb(sid, "in-progress", "2", NULL);
	srv_mode(200, "{\"sid\":\"CA00000000000000000000000000000011\","
	    "\"status\":\"completed\"}", 0);
	base = srv_count();
	vg_bus_emit("call.hangup", vg_call_id(call), NULL);
	vg_bus_emit("call.hangup", vg_call_id(call), NULL);
	want = base + 1;
	VG_CHECK(pump_until_cb(srv_reached, &want));
	pump_ms(100);
	VG_CHECK_INT(srv_count(), base + 1);
	pthread_mutex_lock(&srv.lock);
	rq = srv.reqs[base < SRV_MAX_REQ ? base : 0];
	pthread_mutex_unlock(&srv.lock);
	VG_CHECK_STR(rq.path, "/2010-04-01/Accounts/" ACCOUNT
	    "/Calls/CA00000000000000000000000000000011.json");
	VG_CHECK_STR(rq.body, "Status=completed");
	VG_CHECK(strncmp(rq.auth, "Basic ", 6) == 0);
	/* Twilio ended it: the call ends here too, callback or not. */
	VG_CHECK(vg_call_find_by("call_sid", sid) == NULL);
}

/* Twilio's "not found" (404 / 20404) to a hang-up is success: the call is
 * over. */
static void
t_hangup_gone(void)
{
	const char *sid = "CA00000000000000000000000000000012";
	struct vg_call *call;
	int base, want;

	if (bring_up() == -1 || (call = placed(sid)) == NULL) {
		VG_CHECK(!"placed");
		return;
	}
	status_cb(sid, "in-progress", "2", NULL);
	srv_mode(404, "{\"code\":20404,\"message\":\"The requested resource "
	    "was not found\",\"status\":404}", 0);
	base = srv_count();
	vg_bus_emit("call.hangup", vg_call_id(call), NULL);
	want = base + 1;
	VG_CHECK(pump_until_cb(srv_reached, &want));
	pump_ms(100);
	call = vg_call_find_by("call_sid", sid);
	VG_CHECK(call == NULL || vg_call_state(call) == VG_CALL_COMPLETED);
}

/* call.transfer redirects the call to TwiML that dials the number; a bad
 * number sends nothing. */
static void
t_transfer(void)
{
	const char *sid = "CA00000000000000000000000000000013";
	struct vg_call *call;
	struct srv_req rq;
	char val[512];
	int base, want;

	if (bring_up() == -1 || (call = placed(sid)) == NULL) {
		VG_CHECK(!"placed");
		return;
	}
	status_cb(sid, "in-progress", "2", NULL);
	srv_mode(200, "{\"sid\":\"CA00000000000000000000000000000013\"}", 0);
	base = srv_count();
	vg_bus_emit("call.transfer", vg_call_id(call),
	    json_tokener_parse("{\"to\":\"not a number\"}"));
	vg_bus_emit("call.transfer", vg_call_id(call),
	    json_tokener_parse("{\"to\":\"+14155550199\"}"));
	want = base + 1;
	VG_CHECK(pump_until_cb(srv_reached, &want));
	pump_ms(100);
	VG_CHECK_INT(srv_count(), base + 1);
	pthread_mutex_lock(&srv.lock);
	rq = srv.reqs[base < SRV_MAX_REQ ? base : 0];
	pthread_mutex_unlock(&srv.lock);
	VG_CHECK_STR(rq.path, "/2010-04-01/Accounts/" ACCOUNT
	    "/Calls/CA00000000000000000000000000000013.json");
	VG_CHECK_INT(form_value(rq.body, "Twiml", 0, val, sizeof(val)), 1);
	VG_CHECK(strstr(val, "<Response><Dial>+14155550199</Dial></Response>")
	    != NULL);
}

/* ---- CLI and health ---- */

struct cli_result {
	int	 done;
	int	 ok;
	char	 text[512];
};

/* Record a command's answer. */
static void
cli_done(int ok, const char *text, struct json_object *json, void *arg)
{
	struct cli_result *cr = arg;

	cr->done = 1;
	cr->ok = ok;
	snprintf(cr->text, sizeof(cr->text), "%s", text != NULL ? text : "");
	json_object_put(json);
}

/* True once the command answered. */
static int
cli_answered(void *arg)
{
	return (((struct cli_result *)arg)->done);
}

/* "call +1... --preset survey --prompt ..." goes the API's way. */
static void
t_cli_call(void)
{
	char *argv[] = { "call", "+14155550123", "--preset", "survey",
	    "--prompt", "Say hi", NULL };
	char *bad[] = { "call", "12345", NULL };
	struct cli_result cr = { 0 };
	struct vg_call *call;
	int base;

	if (bring_up() == -1)
		return;
	srv_mode(201, "{\"sid\":\"CA00000000000000000000000000000014\","
	    "\"status\":\"queued\"}", 0);
	base = srv_count();
	vg_cli_exec(6, argv, 0, cli_done, &cr);
	VG_CHECK(pump_until_cb(cli_answered, &cr));
	VG_CHECK_INT(cr.ok, 1);
	VG_CHECK(strstr(cr.text, "CA00000000000000000000000000000014") != NULL);
	VG_CHECK_INT(srv_count(), base + 1);
	call = vg_call_find_by("call_sid",
	    "CA00000000000000000000000000000014");
	VG_CHECK(call != NULL);
	if (call != NULL) {
		VG_CHECK_STR(vg_call_to(call), "+14155550123");
		VG_CHECK(strstr(vg_call_attr(call, "task"),
		    "\"prompt\":\"Say hi\"") != NULL);
		VG_CHECK(strstr(vg_call_attr(call, "task"),
		    "\"type\":\"survey\"") != NULL);
	}
	memset(&cr, 0, sizeof(cr));
	vg_cli_exec(2, bad, 0, cli_done, &cr);
	VG_CHECK(pump_until_cb(cli_answered, &cr));
	VG_CHECK_INT(cr.ok, 0);
	VG_CHECK(strstr(cr.text, "E.164") != NULL);
}

/* GET /twilio/health answers ok with the active call count. */
static void
t_health(void)
{
	struct json_object *o, *v;
	struct http_resp r;

	if (bring_up() == -1)
		return;
	VG_CHECK_INT(http_do("GET", "/twilio/health", NULL, "text/plain", "",
	    &r), 0);
	VG_CHECK_INT(r.status, 200);
	o = json_tokener_parse(r.body);
	VG_CHECK(json_object_object_get_ex(o, "status", &v) &&
	    strcmp(json_object_get_string(v), "ok") == 0);
	VG_CHECK(json_object_object_get_ex(o, "active_calls", &v) &&
	    json_object_get_int(v) == (int)vg_call_count());
	VG_CHECK(json_object_object_get_ex(o, "module", &v) &&
	    strcmp(json_object_get_string(v), "twilio_http") == 0);
	json_object_put(o);
}

/* The module declines without credentials; unload leaves nothing behind. */
static void
t_decline_and_unload(void)
{
	struct vg_module bare = { .name = "twilio_http",
	    .state = VG_MOD_RUNNING };
	char *metrics;
	struct http_resp r;
	size_t len;

	if (bring_up() == -1)
		return;
	vg_module_info.unload(&thmod);
	VG_CHECK_INT(vg_cli_release_owner(&thmod), 0);
	VG_CHECK_INT(vg_httpc_release_owner(&thmod), 0);
	VG_CHECK_INT(vg_bus_release_owner(&thmod), 0);
	VG_CHECK_INT(vg_loop_release_owner(&thmod), 0);
	VG_CHECK_INT(vg_metrics_release_owner(&thmod), 0);
	VG_CHECK_INT(vg_calls_release_owner(&thmod), 0);
	/* Routes are gone; the kept X-Twilio-Signature header lasts the
	 * module's lifetime and is not counted as left behind. */
	VG_CHECK_INT(vg_net_release_owner(&thmod), 0);
	metrics = vg_metrics_render(&len);
	VG_CHECK(strstr(metrics, "twilio_http_") == NULL);
	free(metrics);
	VG_CHECK_INT(http_do("GET", "/twilio/health", NULL, "text/plain", "",
	    &r), 0);
	VG_CHECK_INT(r.status, 404);
	VG_CHECK_INT(vg_module_info.load(&bare), VG_LOAD_DECLINE);
	VG_CHECK_INT(vg_core_release_owner(&bare), 0);
	vg_conf_free(thmod.conf);
	thmod.conf = NULL;
	vg_net_stop();
	pthread_mutex_lock(&srv.lock);
	srv.stop = 1;
	pthread_mutex_unlock(&srv.lock);
	pthread_join(srv.thread, NULL);
	close(srv.lfd);
	vg_core_free();
	up = 0;
}

static const struct vg_test cases[] = {
	{ "twiml/stream", t_twiml_stream },
	{ "twiml/escaped", t_twiml_escaped },
	{ "task/check", t_task_check },
	{ "outbound/parse", t_outbound_parse },
	{ "form/params", t_form_params },
	{ "webhook/incoming_valid_twiml", t_incoming_valid },
	{ "webhook/repeated_routes_and_task_sections",
	    t_incoming_repeated_sections },
	{ "webhook/retry_same_twiml_replay_403", t_incoming_retry_replay },
	{ "webhook/bad_signature_403", t_incoming_bad_signature },
	{ "webhook/shared_webhook_url", t_incoming_shared_url },
	{ "api/outbound_201_exact_request", t_outbound_ok },
	{ "api/outbound_invalid_400", t_outbound_invalid },
	{ "api/outbound_task_checked_by_agents", t_outbound_agents },
	{ "api/outbound_bad_key_401", t_outbound_bad_key },
	{ "api/outbound_twilio_error", t_outbound_twilio_error },
	{ "api/outbound_timeout_504", t_outbound_timeout },
	{ "status/updates_state", t_call_status },
	{ "bus/hangup_completed_once", t_hangup },
	{ "bus/hangup_404_is_success", t_hangup_gone },
	{ "bus/transfer_dials", t_transfer },
	{ "cli/call", t_cli_call },
	{ "http/health", t_health },
	{ "module/decline_and_unload", t_decline_and_unload },
};
VG_TEST_MAIN(cases)
