/*
 * Tests for realtime_openai: the agent presets and task validation, the
 * GA session.update per preset and with overrides, base64, the barge-in
 * arithmetic (§6.7 scenarios), and the module end to end: the core and its
 * listener on an ephemeral loopback port, a fake OpenAI Realtime endpoint
 * registered on the same daemon, the module loaded with a fake handle, and
 * the test playing media_ws on the bus. Every wait has a deadline.
 */
#include "config.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <event2/event.h>
#include <json-c/json.h>

#include <voicegate/voicegate.h>

#include "core.h"
#include "realtime_openai.h"
#include "vg_test.h"
#include "vg_testlib.h"

#define WAIT_MS		5000
#define KEY		"sk-test-0123456789SECRETabcdef"
#define MSG_MAX		512
#define SEEN_MAX	512

/* ---- agents ---- */

static struct rt_agents agents;

/* Load the sample etc/agents.conf into AGENTS. Returns 0 or -1. */
static int
agents_up(void)
{
	char path[512], err[RT_ERR_MAX];
	const char *top = getenv("VG_TOP_SRCDIR");

	snprintf(path, sizeof(path), "%s/etc/agents.conf",
	    top != NULL ? top : "../..");
	rt_agents_free(&agents);
	if (rt_agents_load(path, &agents, err, sizeof(err)) == -1) {
		fprintf(stderr, "  %s\n", err);
		return (-1);
	}
	return (0);
}

/* The sample has the four presets, custom by default. */
static void
t_agents_sample(void)
{
	VG_CHECK(agents_up() == 0);
	VG_CHECK_INT(agents.nagents, 4);
	VG_CHECK(rt_agents_find(&agents, "transit_booking") != NULL);
	VG_CHECK(rt_agents_find(&agents, "appointment_reminder") != NULL);
	VG_CHECK(rt_agents_find(&agents, "survey") != NULL);
	VG_CHECK(rt_agents_find(&agents, "custom") != NULL);
	VG_CHECK(rt_agents_find(&agents, "default") ==
	    rt_agents_find(&agents, "custom"));
	VG_CHECK(rt_agents_find(&agents, "nope") == NULL);
}

/* The JSON object at dotted PATH of O, or NULL. */
static struct json_object *
jget(struct json_object *o, const char *path)
{
	char buf[128], *p, *dot;

	vg_strlcpy(buf, path, sizeof(buf));
	for (p = buf; o != NULL && p != NULL; p = dot) {
		if ((dot = strchr(p, '.')) != NULL)
			*dot++ = '\0';
		if (!json_object_object_get_ex(o, p, &o))
			return (NULL);
	}
	return (o);
}

/* String at PATH, or "". */
static const char *
jgets(struct json_object *o, const char *path)
{
	struct json_object *v = jget(o, path);

	return (v != NULL && json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) : "");
}

/* True when O has exactly the N keys of KEYS. */
static int
keys_are(struct json_object *o, const char *const *keys, size_t n)
{
	size_t i;

	if (o == NULL || (size_t)json_object_object_length(o) != n)
		return (0);
	for (i = 0; i < n; i++)
		if (!json_object_object_get_ex(o, keys[i], NULL))
			return (0);
	return (1);
}

/* Resolve TASK and build session.update; returns the parsed message. */
static struct json_object *
update_for(const char *task)
{
	struct rt_resolved r;
	struct json_object *o;
	char err[RT_ERR_MAX], *text;

	if (rt_task_resolve(&agents, task, &r, err, sizeof(err)) == -1) {
		fprintf(stderr, "  %s\n", err);
		return (NULL);
	}
	text = rt_msg_session_update(r.session, NULL);
	o = json_tokener_parse(text);
	free(text);
	rt_resolved_free(&r);
	return (o);
}

/* The tool names of session S as "a,b,c". */
static void
tool_names(struct json_object *s, char *buf, size_t size)
{
	struct json_object *tools = jget(s, "tools"), *t;
	size_t i;

	buf[0] = '\0';
	for (i = 0; tools != NULL && i < json_object_array_length(tools);
	    i++) {
		t = json_object_array_get_idx(tools, i);
		if (i > 0)
			strncat(buf, ",", size - strlen(buf) - 1);
		strncat(buf, jgets(t, "name"), size - strlen(buf) - 1);
		VG_CHECK_STR(jgets(t, "type"), "function");
		VG_CHECK(json_object_is_type(jget(t, "parameters"),
		    json_type_object));
	}
}

/* session.update per preset: GA shape, exact fields, no temperature. */
static void
t_session_update_presets(void)
{
	static const char *const top[] = { "type", "session" };
	static const char *const sess[] = { "type", "instructions",
	    "output_modalities", "audio", "tools", "tool_choice",
	    "max_output_tokens" };
	static const char *const vad[] = { "type", "threshold",
	    "prefix_padding_ms", "silence_duration_ms", "create_response",
	    "interrupt_response" };
	static const char *const sem[] = { "type", "eagerness",
	    "create_response", "interrupt_response" };
	struct json_object *m, *s;
	char names[256];

	VG_CHECK(agents_up() == 0);
	m = update_for("{\"type\":\"transit_booking\",\"context\":"
	    "{\"company\":\"Metro Lines\"}}");
	VG_CHECK(m != NULL);
	s = jget(m, "session");
	VG_CHECK(keys_are(m, top, 2));
	VG_CHECK_STR(jgets(m, "type"), "session.update");
	VG_CHECK(keys_are(s, sess, VG_NELEM(sess)));
	VG_CHECK_STR(jgets(s, "type"), "realtime");
	VG_CHECK(jget(s, "temperature") == NULL);
	VG_CHECK(jget(s, "voice") == NULL);	/* beta shape */
	VG_CHECK(jget(s, "modalities") == NULL);
	VG_CHECK(strstr(jgets(s, "instructions"), "assistant of Metro "
	    "Lines.") != NULL);
	VG_CHECK(strchr(jgets(s, "instructions"), '{') == NULL);
	VG_CHECK_STR(json_object_to_json_string_ext(jget(s,
	    "output_modalities"), JSON_C_TO_STRING_PLAIN), "[\"audio\"]");
	VG_CHECK_STR(jgets(s, "audio.input.format.type"), "audio/pcmu");
	VG_CHECK_STR(jgets(s, "audio.output.format.type"), "audio/pcmu");
	VG_CHECK_INT(json_object_object_length(jget(s, "audio.input.format")),
	    1);
	VG_CHECK_STR(jgets(s, "audio.output.voice"), "marin");
	VG_CHECK(json_object_get_double(jget(s, "audio.output.speed")) == 1.0);
	VG_CHECK_STR(jgets(s, "audio.input.noise_reduction.type"),
	    "near_field");
	VG_CHECK_STR(jgets(s, "audio.input.transcription.model"),
	    "gpt-4o-mini-transcribe");
	VG_CHECK(keys_are(jget(s, "audio.input.turn_detection"), vad,
	    VG_NELEM(vad)));
	VG_CHECK_STR(jgets(s, "audio.input.turn_detection.type"), "server_vad");
	VG_CHECK(json_object_get_double(jget(s,
	    "audio.input.turn_detection.threshold")) == 0.5);
	VG_CHECK_INT(json_object_get_int(jget(s,
	    "audio.input.turn_detection.silence_duration_ms")), 500);
	VG_CHECK(json_object_get_boolean(jget(s,
	    "audio.input.turn_detection.interrupt_response")));
	tool_names(s, names, sizeof(names));
	VG_CHECK_STR(names, "end_call,transfer_call,lookup_departures,"
	    "book_trip");
	VG_CHECK_STR(jgets(s, "tool_choice"), "auto");
	VG_CHECK_STR(jgets(s, "max_output_tokens"), "inf");
	json_object_put(m);

	m = update_for("{\"type\":\"appointment_reminder\",\"context\":"
	    "{\"customer_name\":\"Ann\",\"business\":\"Dr Lee\","
	    "\"appointment_time\":\"Monday 9am\"}}");
	s = jget(m, "session");
	VG_CHECK(keys_are(s, sess, VG_NELEM(sess)));
	VG_CHECK(strstr(jgets(s, "instructions"), "calling Ann on behalf of "
	    "Dr Lee") != NULL);
	VG_CHECK_STR(jgets(s, "audio.output.voice"), "cedar");
	VG_CHECK(keys_are(jget(s, "audio.input.turn_detection"), sem,
	    VG_NELEM(sem)));
	VG_CHECK_STR(jgets(s, "audio.input.turn_detection.eagerness"),
	    "medium");
	VG_CHECK(jget(s, "audio.input.noise_reduction") == NULL);
	VG_CHECK_INT(json_object_get_int(jget(s, "max_output_tokens")), 1024);
	tool_names(s, names, sizeof(names));
	VG_CHECK_STR(names, "end_call,confirm_appointment");
	json_object_put(m);

	m = update_for("survey");	/* a bare preset name */
	s = jget(m, "session");
	VG_CHECK_STR(jgets(s, "audio.output.voice"), "coral");
	VG_CHECK(json_object_get_double(jget(s, "audio.output.speed")) == 1.1);
	VG_CHECK(strstr(json_object_to_json_string_ext(m,
	    JSON_C_TO_STRING_PLAIN), "\"speed\":1.1}") != NULL);
	VG_CHECK(strstr(json_object_to_json_string_ext(m,
	    JSON_C_TO_STRING_PLAIN), "\"threshold\":0.6,") != NULL);
	VG_CHECK(json_object_get_double(jget(s,
	    "audio.input.turn_detection.threshold")) == 0.6);
	VG_CHECK(strstr(jgets(s, "instructions"), "{company}") != NULL);
	json_object_put(m);

	m = update_for(NULL);	/* no task: the default, custom */
	s = jget(m, "session");
	tool_names(s, names, sizeof(names));
	VG_CHECK_STR(names, "end_call");
	VG_CHECK(jget(s, "temperature") == NULL);
	json_object_put(m);
}

/* A task's overrides: voice, speed, instructions with context, prompt. */
static void
t_session_update_overrides(void)
{
	struct json_object *m, *s;
	struct rt_resolved r;
	char err[RT_ERR_MAX];

	VG_CHECK(agents_up() == 0);
	m = update_for("{\"type\":\"custom\",\"voice\":\"cedar\",\"speed\":"
	    "1.25,\"instructions\":\"Call {name} about {thing}.\",\"context\":"
	    "{\"name\":\"Bo\",\"thing\":42},\"prompt\":\"Be kind.\"}");
	s = jget(m, "session");
	VG_CHECK_STR(jgets(s, "audio.output.voice"), "cedar");
	VG_CHECK(json_object_get_double(jget(s, "audio.output.speed")) == 1.25);
	VG_CHECK_STR(jgets(s, "instructions"), "Call Bo about 42.\n\nBe kind.");
	json_object_put(m);
	/* context as JSON text (twilio_http keeps it a string) */
	m = update_for("{\"type\":\"survey\",\"context\":\"{\\\"company\\\":"
	    "\\\"Acme\\\",\\\"topic\\\":\\\"trains\\\"}\"}");
	s = jget(m, "session");
	VG_CHECK(strstr(jgets(s, "instructions"), "survey for Acme about "
	    "trains.") != NULL);
	json_object_put(m);
	/* free-text context is appended */
	m = update_for("{\"type\":\"custom\",\"context\":\"VIP customer\"}");
	s = jget(m, "session");
	VG_CHECK(strstr(jgets(s, "instructions"), "\n\nContext: VIP "
	    "customer") != NULL);
	json_object_put(m);
	/* the greeting is filled too */
	VG_CHECK(rt_task_resolve(&agents, "{\"type\":\"survey\",\"context\":"
	    "{\"company\":\"Acme\",\"topic\":\"buses\"}}", &r, err,
	    sizeof(err)) == 0);
	VG_CHECK(strstr(r.greeting, "calling for Acme, say the survey about "
	    "buses") != NULL);
	VG_CHECK(r.interrupt_response);
	rt_resolved_free(&r);
	/* history goes into the instructions on a reconnect */
	VG_CHECK(rt_task_resolve(&agents, NULL, &r, err, sizeof(err)) == 0);
	{
		char *t = rt_msg_session_update(r.session, "Caller: hi\n");

		m = json_tokener_parse(t);
		free(t);
		VG_CHECK(strstr(jgets(m, "session.instructions"),
		    "conversation so far") != NULL);
		VG_CHECK(strstr(jgets(m, "session.instructions"),
		    "\nCaller: hi\n") != NULL);
		json_object_put(m);
	}
	rt_resolved_free(&r);
}

/* Validation: each bad task is refused with a message naming the fault. */
static void
t_agents_validate(void)
{
	static const struct {
		const char	*task;
		const char	*want;
	} bad[] = {
		{ "{\"type\":\"pizza\"}", "unknown preset \"pizza\"" },
		{ "{\"type\":\"survey\",\"colour\":\"red\"}",
		    "unknown field \"colour\"" },
		{ "{\"speed\":\"fast\"}", "speed must be a number" },
		{ "{\"speed\":2.0}", "out of range" },
		{ "{\"speed\":0.1}", "out of range" },
		{ "{\"voice\":\"nova\"}", "unknown voice \"nova\"" },
		{ "{\"voice\":5}", "voice must be a string" },
		{ "{\"context\":[1]}", "context must be" },
		{ "{\"context\":{\"a\":{}}}", "context.a" },
		{ "[1]", "must be a JSON object" },
	};
	struct json_object *t;
	char err[RT_ERR_MAX];
	size_t i;

	VG_CHECK(agents_up() == 0);
	for (i = 0; i < VG_NELEM(bad); i++) {
		t = json_tokener_parse(bad[i].task);
		err[0] = '\0';
		if (rt_task_validate(&agents, t, err, sizeof(err)) != -1 ||
		    strstr(err, bad[i].want) == NULL) {
			fprintf(stderr, "  %s: \"%s\"\n", bad[i].task, err);
			vg_test_case_failed = 1;
		}
		json_object_put(t);
	}
	t = json_tokener_parse("{\"type\":\"survey\",\"voice\":\"marin\","
	    "\"speed\":1,\"prompt\":\"x\",\"instructions\":\"y\","
	    "\"context\":{\"a\":1}}");
	VG_CHECK(rt_task_validate(&agents, t, err, sizeof(err)) == 0);
	json_object_put(t);
	t = json_tokener_parse("{\"type\":\"default\"}");
	VG_CHECK(rt_task_validate(&agents, t, err, sizeof(err)) == 0);
	json_object_put(t);
}

/* Write TEXT to a temporary agents file; returns its path (static). */
static const char *
agents_file(const char *text)
{
	static char path[64];
	FILE *fp;

	snprintf(path, sizeof(path), "/tmp/vg-rt-agents-%d.conf",
	    (int)getpid());
	fp = fopen(path, "w");
	fputs(text, fp);
	fclose(fp);
	return (path);
}

/* Bad agents.conf files are refused with file:line and the reason. */
static void
t_agents_conf_errors(void)
{
	static const struct {
		const char	*text;
		const char	*want;
	} bad[] = {
		{ "[agent.a]\nvoice = nova\n", ":2: [agent.a] unknown voice" },
		{ "[agent.a]\nspeed = 3\n", "speed must be" },
		{ "[agent.a]\ncolour = red\n", "unknown key \"colour\"" },
		{ "[agent.a]\ntools = end_call, fly\n", "unknown tool \"fly\"" },
		{ "[agent.a]\nturn_detection = magic\n", "turn_detection" },
		{ "[agents]\ndefault = b\n[agent.a]\n", "default agent \"b\"" },
		{ "[tool.t]\nparameters = [1]\n[agent.a]\n", "JSON object" },
		{ "[agentz]\n", "unknown section" },
		{ "[agents]\n", "no [agent.NAME]" },
	};
	struct rt_agents a;
	char err[RT_ERR_MAX];
	size_t i;

	for (i = 0; i < VG_NELEM(bad); i++) {
		err[0] = '\0';
		if (rt_agents_load(agents_file(bad[i].text), &a, err,
		    sizeof(err)) != -1 || strstr(err, bad[i].want) == NULL) {
			fprintf(stderr, "  %s: \"%s\"\n", bad[i].want, err);
			vg_test_case_failed = 1;
		}
	}
	VG_CHECK(rt_agents_load(agents_file("[agents]\ndefault = a\n"
	    "[tool.t]\ndescription = d\n[agent.a]\ntools = t, end_call\n"),
	    &a, err, sizeof(err)) == 0);
	rt_agents_free(&a);
	unlink(agents_file(""));
}

/* Placeholders: known ones filled, unknown and malformed left alone. */
static void
t_fill(void)
{
	struct json_object *ctx = json_tokener_parse("{\"a\":\"X\",\"n\":3,"
	    "\"b\":true}");
	char *s;

	s = rt_fill("{a}-{n}-{b}-{c}-{ a}-{}-{a", ctx);
	VG_CHECK_STR(s, "X-3-true-{c}-{ a}-{}-{a");
	free(s);
	s = rt_fill("no {x}", NULL);
	VG_CHECK_STR(s, "no {x}");
	free(s);
	json_object_put(ctx);
}

/* The service's lists: presets with settings, the override schema. */
static void
t_presets_schema(void)
{
	struct json_object *p, *s;

	VG_CHECK(agents_up() == 0);
	p = rt_agents_presets(&agents);
	VG_CHECK_INT(json_object_array_length(p), 4);
	VG_CHECK_STR(jgets(json_object_array_get_idx(p, 0), "name"),
	    "transit_booking");
	VG_CHECK_STR(jgets(json_object_array_get_idx(p, 3), "voice"), "marin");
	VG_CHECK(json_object_get_boolean(jget(json_object_array_get_idx(p, 3),
	    "default")));
	json_object_put(p);
	s = rt_agents_schema();
	VG_CHECK_STR(jgets(s, "speed.type"), "number");
	VG_CHECK(json_object_get_double(jget(s, "speed.maximum")) == 1.5);
	VG_CHECK_INT(json_object_array_length(jget(s, "voice.enum")), 10);
	VG_CHECK(jget(s, "context") != NULL);
	json_object_put(s);
}

/* ---- audio helpers ---- */

/* base64 both ways, strictly. */
static void
t_b64(void)
{
	uint8_t in[401], out[420];
	char enc[600];
	size_t i;

	for (i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 13 + 1);
	VG_CHECK_INT(vg_b64_encode(in, sizeof(in), enc), 536);
	VG_CHECK_INT(vg_b64_decode(enc, strlen(enc), out, sizeof(out)), 401);
	VG_CHECK(memcmp(in, out, sizeof(in)) == 0);
	VG_CHECK_INT(vg_b64_encode((const uint8_t *)"ab", 2, enc), 4);
	VG_CHECK_STR(enc, "YWI=");
	VG_CHECK_INT(vg_b64_decode("YWI=", 4, out, 2), 2);
	VG_CHECK_INT(vg_b64_decode("YWI", 3, out, 8), -1);
	VG_CHECK_INT(vg_b64_decode("YW=I", 4, out, 8), -1);
	VG_CHECK_INT(vg_b64_decode("YWJ=", 4, out, 8), -1);	/* bits */
	VG_CHECK_INT(vg_b64_decode("YW\nI", 4, out, 8), -1);
	VG_CHECK_INT(vg_b64_decode("YWJj", 4, out, 2), -1);	/* room */
}

/* json-c's view of TEXT: 1 with the three strings if it is an object of
 * a delta type with them, else 0. */
static int
delta_by_jsonc(const char *text, size_t len, char *resp, char *item,
    char **delta, size_t *dlen)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o, *t, *r, *i, *d;
	int ok = 0;

	o = json_tokener_parse_ex(tok, text, (int)len);
	json_tokener_free(tok);
	if (o != NULL && json_object_is_type(o, json_type_object) &&
	    json_object_object_get_ex(o, "type", &t) &&
	    json_object_is_type(t, json_type_string) &&
	    (strcmp(json_object_get_string(t), "response.output_audio.delta")
	    == 0 || strcmp(json_object_get_string(t),
	    "response.audio.delta") == 0) &&
	    json_object_object_get_ex(o, "response_id", &r) &&
	    json_object_is_type(r, json_type_string) &&
	    json_object_object_get_ex(o, "item_id", &i) &&
	    json_object_is_type(i, json_type_string) &&
	    json_object_object_get_ex(o, "delta", &d) &&
	    json_object_is_type(d, json_type_string)) {
		vg_strlcpy(resp, json_object_get_string(r), RT_ID_MAX);
		vg_strlcpy(item, json_object_get_string(i), RT_ID_MAX);
		*dlen = (size_t)json_object_get_string_len(d);
		*delta = vg_xstrndup(json_object_get_string(d), *dlen);
		ok = 1;
	}
	json_object_put(o);
	return (ok);
}

/* Compare the fast path with json-c on TEXT; returns what the fast path
 * said (1: taken), counting a disagreement in *BAD. */
static int
delta_agree(const char *text, size_t len, unsigned *bad)
{
	char resp[RT_ID_MAX], item[RT_ID_MAX], *delta = NULL;
	struct rt_delta d;
	uint8_t out[256];
	size_t dlen = 0;
	int fast, slow;

	fast = rt_delta_scan(text, len, &d);
	slow = delta_by_jsonc(text, len, resp, item, &delta, &dlen);
	/* a delta that does not decode sends the caller to json-c anyway */
	if (fast && !slow && vg_b64_decode(d.delta, d.delta_len, out,
	    sizeof(out)) == -1)
		slow = fast = 0;
	if (fast && (!slow || d.response_id_len != strlen(resp) ||
	    memcmp(d.response_id, resp, d.response_id_len) != 0 ||
	    d.item_id_len != strlen(item) ||
	    memcmp(d.item_id, item, d.item_id_len) != 0 ||
	    d.delta_len != dlen || memcmp(d.delta, delta, dlen) != 0)) {
		fprintf(stderr, "  fast path disagrees with json-c on: %.*s\n",
		    (int)len, text);
		(*bad)++;
	}
	free(delta);
	return (fast);
}

/* The audio delta fast path: named cases (taken or left to json-c), then
 * random corruptions of real deltas; whenever the fast path takes one,
 * json-c must read the same response_id, item_id and delta. */
static void
t_delta_fast_path(void)
{
	static const struct {
		const char	*name;
		int		 fast;
		const char	*text;
	} c[] = {
		{ "ga_compact", 1, "{\"type\":\"response.output_audio.delta\","
		    "\"event_id\":\"event_1\",\"response_id\":\"resp_1\","
		    "\"item_id\":\"item_1\",\"output_index\":0,"
		    "\"content_index\":0,\"delta\":\"YWJj\"}" },
		{ "beta_name", 1, "{\"type\":\"response.audio.delta\","
		    "\"response_id\":\"r\",\"item_id\":\"i\",\"delta\":\"\"}" },
		{ "spaces_any_order", 1, " {\n \"delta\" : \"YWI=\" ,\t"
		    "\"item_id\":\"i\", \"x\": -1.5e+3, \"y\": true, \"z\":"
		    "null,\"response_id\":\"r\",\"type\":\"response.output_"
		    "audio.delta\" }\r\n" },
		{ "other_type", 0, "{\"type\":\"response.output_audio.done\","
		    "\"response_id\":\"r\",\"item_id\":\"i\",\"delta\":\"\"}" },
		{ "no_type", 0, "{\"response_id\":\"r\",\"item_id\":\"i\","
		    "\"delta\":\"YWJj\"}" },
		{ "no_delta", 0, "{\"type\":\"response.audio.delta\","
		    "\"response_id\":\"r\",\"item_id\":\"i\"}" },
		{ "delta_number", 0, "{\"type\":\"response.audio.delta\","
		    "\"response_id\":\"r\",\"item_id\":\"i\",\"delta\":5}" },
		{ "escape_in_delta", 0, "{\"type\":\"response.audio.delta\","
		    "\"response_id\":\"r\",\"item_id\":\"i\",\"delta\":"
		    "\"YW\\/j\"}" },
		{ "escape_in_id", 0, "{\"type\":\"response.audio.delta\","
		    "\"response_id\":\"r\\u0041\",\"item_id\":\"i\","
		    "\"delta\":\"YWJj\"}" },
		{ "escape_elsewhere", 0, "{\"type\":\"response.audio.delta\","
		    "\"response_id\":\"r\",\"item_id\":\"i\",\"n\":\"\\\"\","
		    "\"delta\":\"YWJj\"}" },
		{ "nested_object", 0, "{\"type\":\"response.audio.delta\","
		    "\"response_id\":\"r\",\"item_id\":\"i\",\"o\":{},"
		    "\"delta\":\"YWJj\"}" },
		{ "array", 0, "{\"type\":\"response.audio.delta\","
		    "\"response_id\":\"r\",\"item_id\":\"i\",\"a\":[1],"
		    "\"delta\":\"YWJj\"}" },
		{ "duplicate_delta", 0, "{\"type\":\"response.audio.delta\","
		    "\"response_id\":\"r\",\"item_id\":\"i\",\"delta\":\"YWJj\","
		    "\"delta\":\"YWI=\"}" },
		{ "duplicate_type", 0, "{\"type\":\"response.audio.delta\","
		    "\"response_id\":\"r\",\"item_id\":\"i\",\"delta\":\"YWJj\","
		    "\"type\":\"error\"}" },
		{ "trailing_junk", 0, "{\"type\":\"response.audio.delta\","
		    "\"response_id\":\"r\",\"item_id\":\"i\",\"delta\":"
		    "\"YWJj\"}x" },
		{ "trailing_comma", 0, "{\"type\":\"response.audio.delta\","
		    "\"response_id\":\"r\",\"item_id\":\"i\",\"delta\":"
		    "\"YWJj\",}" },
		{ "truncated", 0, "{\"type\":\"response.audio.delta\","
		    "\"response_id\":\"r\",\"item_id\":\"i\",\"delta\":\"YWJj" },
		{ "bad_number", 0, "{\"type\":\"response.audio.delta\","
		    "\"response_id\":\"r\",\"item_id\":\"i\",\"n\":01,"
		    "\"delta\":\"YWJj\"}" },
		{ "bad_literal", 0, "{\"type\":\"response.audio.delta\","
		    "\"response_id\":\"r\",\"item_id\":\"i\",\"n\":tru,"
		    "\"delta\":\"YWJj\"}" },
		{ "long_id", 0, "{\"type\":\"response.audio.delta\","
		    "\"response_id\":\"r0123456789012345678901234567890123456789"
		    "0123456789012345678901234\",\"item_id\":\"i\",\"delta\":"
		    "\"YWJj\"}" },
		{ "eight_bit_id", 0, "{\"type\":\"response.audio.delta\","
		    "\"response_id\":\"r\xc3\xa9\",\"item_id\":\"i\","
		    "\"delta\":\"YWJj\"}" },
		{ "not_object", 0, "[\"response.audio.delta\"]" },
		{ "empty_object", 0, "{}" },
	};
	static const char real[] = "{\"type\":\"response.output_audio.delta\","
	    "\"event_id\":\"event_9\",\"response_id\":\"resp_1_2\","
	    "\"item_id\":\"item_1_3\",\"output_index\":0,\"content_index\":"
	    "0,\"delta\":\"////+/7+/n5+fn5+/v7+//8=\"}";
	static const char junk[] = "\"\\{}[],:0-e. \x80\n\x01aZ=";
	char buf[sizeof(real) + 8];
	unsigned bad = 0, i, taken = 0, seed = 99;
	size_t len, pos;

	for (i = 0; i < VG_NELEM(c); i++)
		if (delta_agree(c[i].text, strlen(c[i].text), &bad) !=
		    c[i].fast) {
			fprintf(stderr, "  case %s: fast path %s\n", c[i].name,
			    c[i].fast ? "not taken" : "taken");
			bad++;
		}
	VG_CHECK_INT(bad, 0);
	for (i = 0; i < 50000; i++) {
		memcpy(buf, real, sizeof(real));
		len = sizeof(real) - 1;
		seed = seed * 1103515245 + 12345;
		pos = (seed >> 8) % len;
		switch ((seed >> 4) % 3) {
		case 0:		/* replace a byte */
			buf[pos] = junk[(seed >> 20) % (sizeof(junk) - 1)];
			break;
		case 1:		/* drop a byte */
			memmove(buf + pos, buf + pos + 1, len - pos);
			len--;
			break;
		default:	/* insert a byte */
			memmove(buf + pos + 1, buf + pos, len - pos + 1);
			buf[pos] = junk[(seed >> 20) % (sizeof(junk) - 1)];
			len++;
			break;
		}
		taken += delta_agree(buf, len, &bad);
	}
	VG_CHECK_INT(bad, 0);
	VG_CHECK(taken > 1000);	/* the corruptions it may take: in strings */
}

static void
entry(struct rt_entry *e, const char *resp, const char *item,
    uint64_t start_ms, uint64_t sent_ms)
{
	memset(e, 0, sizeof(*e));
	vg_strlcpy(e->response_id, resp, sizeof(e->response_id));
	vg_strlcpy(e->item_id, item, sizeof(e->item_id));
	e->start = start_ms * 8;
	e->sent = sent_ms * 8;
}

/* §6.7: truncation points on the timeline. */
static void
t_barge_arithmetic(void)
{
	struct rt_entry l[3];
	struct rt_cut c[3];

	/* 3 s sent, 1.2 s heard: cut at 1250, never beyond 3000 */
	entry(&l[0], "r1", "A", 0, 3000);
	VG_CHECK_INT(rt_barge_cuts(l, 1, 1200, "r1", c), 1);
	VG_CHECK_STR(c[0].item_id, "A");
	VG_CHECK_INT(c[0].audio_end_ms, 1250);
	/* the item began at 5000 on the timeline */
	entry(&l[0], "r1", "A", 5000, 3000);
	VG_CHECK_INT(rt_barge_cuts(l, 1, 6200, "r1", c), 1);
	VG_CHECK_INT(c[0].audio_end_ms, 1250);
	/* nothing heard yet: the first item still gets the cushion */
	VG_CHECK_INT(rt_barge_cuts(l, 1, 4000, "r1", c), 1);
	VG_CHECK_INT(c[0].audio_end_ms, 50);
	/* heard almost all: clamped to what was sent */
	VG_CHECK_INT(rt_barge_cuts(l, 1, 7990, "r1", c), 1);
	VG_CHECK_INT(c[0].audio_end_ms, 3000);
	/* heard in full, response over: nothing to truncate */
	VG_CHECK_INT(rt_barge_cuts(l, 1, 8000, "", c), 0);
	VG_CHECK_INT(rt_barge_cuts(l, 1, 8000, NULL, c), 0);
	/* two responses back to back: the second, unheard, at 0 */
	entry(&l[0], "r1", "A", 0, 2000);
	entry(&l[1], "r2", "B", 2000, 1000);
	VG_CHECK_INT(rt_barge_cuts(l, 2, 1500, "r2", c), 2);
	VG_CHECK_STR(c[0].item_id, "A");
	VG_CHECK_INT(c[0].audio_end_ms, 1550);
	VG_CHECK_STR(c[1].item_id, "B");
	VG_CHECK_INT(c[1].audio_end_ms, 0);
	/* the first heard in full: only the second, from its heard part */
	VG_CHECK_INT(rt_barge_cuts(l, 2, 2300, "r2", c), 1);
	VG_CHECK_STR(c[0].item_id, "B");
	VG_CHECK_INT(c[0].audio_end_ms, 350);
	/* an item without audio is never truncated */
	entry(&l[2], "r3", "C", 3000, 0);
	VG_CHECK_INT(rt_barge_cuts(l + 2, 1, 0, "r3", c), 0);
}

/* ---- end to end ---- */

static struct vg_module mod = {
	.name = "realtime_openai", .state = VG_MOD_RUNNING,
};
static struct vg_module fakemod = { .name = "fakeai", .state = VG_MOD_RUNNING };
static struct vg_module carrier = { .name = "carrier", .state = VG_MOD_RUNNING };
static struct vg_module spy = { .name = "spy", .state = VG_MOD_RUNNING };

/* The fake OpenAI Realtime server: what it received. */
static struct {
	struct vg_ws_conn	*conn;		/* the latest */
	int			 opens, closes;
	char			 auth[128];
	char			 query[128];
	int			 beta_header;
	int			 n;
	char			*msg[MSG_MAX];
	char			 type[MSG_MAX][64];
} fake;

/* Bus events the spy saw. */
static struct {
	int		 n;
	char		 type[SEEN_MAX][VG_EVENT_TYPE_MAX];
	char		*json[SEEN_MAX];
	uint8_t		*audio[SEEN_MAX];
	size_t		 len[SEEN_MAX];
	uint64_t	 ts[SEEN_MAX];
} seen;

static char e2e_dir[64];

/* Fake server: a client connected. */
static int
fake_open(struct vg_ws_conn *conn, void *arg)
{
	const char *a = vg_ws_header(conn, "Authorization");

	fake.conn = conn;
	fake.opens++;
	vg_strlcpy(fake.auth, a != NULL ? a : "", sizeof(fake.auth));
	vg_strlcpy(fake.query, vg_ws_query(conn), sizeof(fake.query));
	if (vg_ws_header(conn, "OpenAI-Beta") != NULL)
		fake.beta_header = 1;
	return (0);
}

/* Fake server: keep each client event with its type. */
static void
fake_msg(struct vg_ws_conn *conn, const void *data, size_t len, int binary,
    void *arg)
{
	struct json_object *o;

	if (fake.n == MSG_MAX)
		return;
	fake.msg[fake.n] = vg_xstrndup(data, len);
	o = json_tokener_parse(fake.msg[fake.n]);
	vg_strlcpy(fake.type[fake.n], o != NULL ? jgets(o, "type") : "?",
	    sizeof(fake.type[0]));
	json_object_put(o);
	fake.n++;
}

/* Fake server: a client left. */
static void
fake_close(struct vg_ws_conn *conn, int code, const char *reason, void *arg)
{
	fake.closes++;
	if (fake.conn == conn)
		fake.conn = NULL;
}

static const struct vg_ws_handlers fake_handlers = { fake_open, fake_msg,
    fake_close };

/* The spy: record every event. */
static void
spy_event(const struct vg_event *ev, void *arg)
{
	const struct vg_audio_frame *f = vg_event_audio(ev);
	struct json_object *o;

	if (seen.n == SEEN_MAX)
		return;
	vg_strlcpy(seen.type[seen.n], vg_event_type(ev), VG_EVENT_TYPE_MAX);
	if (f != NULL) {
		seen.audio[seen.n] = vg_xmalloc(f->len + 1);
		memcpy(seen.audio[seen.n], f->data, f->len);
		seen.len[seen.n] = f->len;
		seen.ts[seen.n] = f->media_ts_ms;
	}
	o = vg_event_to_json(ev);
	seen.json[seen.n] = vg_xstrdup(json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	seen.n++;
}

/* Forget what the fake and the spy saw. */
static void
records_reset(void)
{
	int i;

	for (i = 0; i < fake.n; i++)
		free(fake.msg[i]);
	for (i = 0; i < seen.n; i++) {
		free(seen.json[i]);
		free(seen.audio[i]);
	}
	memset(&fake, 0, sizeof(fake));
	memset(&seen, 0, sizeof(seen));
}

/* Index of the first client event of TYPE from FROM on, waiting for it;
 * -1 if none came. */
static int
wait_msg(const char *type, int from)
{
	uint64_t end = vg_now_ms() + WAIT_MS;
	int i;

	for (;;) {
		for (i = from; i < fake.n; i++)
			if (strcmp(fake.type[i], type) == 0)
				return (i);
		if (vg_now_ms() > end)
			return (-1);
		pump_ms(2);
	}
}

/* Index of the first bus event of TYPE from FROM on, waiting; or -1. */
static int
wait_event(const char *type, int from)
{
	uint64_t end = vg_now_ms() + WAIT_MS;
	int i;

	for (;;) {
		for (i = from; i < seen.n; i++)
			if (strcmp(seen.type[i], type) == 0)
				return (i);
		if (vg_now_ms() > end)
			return (-1);
		pump_ms(2);
	}
}

/* Count client events of TYPE from FROM on (no waiting). */
static int
count_msg(const char *type, int from)
{
	int i, n = 0;

	for (i = from; i < fake.n; i++)
		if (strcmp(fake.type[i], type) == 0)
			n++;
	return (n);
}

/* Count bus events of TYPE from FROM on (no waiting). */
static int
count_event(const char *type, int from)
{
	int i, n = 0;

	for (i = from; i < seen.n; i++)
		if (strcmp(seen.type[i], type) == 0)
			n++;
	return (n);
}

/* Send server event S to the module. */
static void
fake_send(const char *s)
{
	if (fake.conn != NULL)
		vg_ws_send(fake.conn, s, strlen(s), 0);
}

/* Send a formatted server event. */
static void
fake_sendf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Send a formatted server event. */
static void
fake_sendf(const char *fmt, ...)
{
	char buf[32768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fake_send(buf);
}

/* Core, listener, fake endpoint, spy, and the module with EXTRA config. */
static int
e2e_up(const char *extra)
{
	static int net_up;
	struct vg_settings s;
	char path[128];
	const char *top = getenv("VG_TOP_SRCDIR");
	FILE *fp;

	records_reset();
	if (!net_up) {
		if (vg_core_init() == -1)
			return (-1);
		vg_settings_defaults(&s);
		vg_strlcpy(s.listen_addr, "127.0.0.1", sizeof(s.listen_addr));
		s.listen_port = 0;
		vg_settings_set(&s);
		if (vg_net_start(vg_settings()) == -1)
			return (-1);
		net_up = 1;
		snprintf(e2e_dir, sizeof(e2e_dir), "/tmp/vg-rt-XXXXXX");
		if (mkdtemp(e2e_dir) == NULL)
			return (-1);
	}
	if (vg_ws_endpoint(&fakemod, "/realtime", &fake_handlers, NULL) == -1)
		return (-1);
	snprintf(path, sizeof(path), "%s/realtime_openai.conf", e2e_dir);
	if ((fp = fopen(path, "w")) == NULL)
		return (-1);
	fprintf(fp, "[realtime]\napi_key = " KEY "\nurl = ws://127.0.0.1:%d/"
	    "realtime\nagents = %s/etc/agents.conf\nconnect_timeout = 2\n"
	    "tool_timeout = 300ms\nreconnect_backoff = 20ms\n%s",
	    vg_net_port(), top != NULL ? top : "../..",
	    extra != NULL ? extra : "");
	fclose(fp);
	if ((mod.conf = vg_conf_parse(path, NULL, NULL)) == NULL)
		return (-1);
	vg_bus_subscribe(&spy, "*", NULL, spy_event, NULL);
	return (vg_module_info.load(&mod) == VG_LOAD_OK ? 0 : -1);
}

/* Unload the module and release the test's owners. */
static void
e2e_down(void)
{
	vg_module_info.unload(&mod);
	vg_core_release_owner(&mod);
	vg_core_release_owner(&spy);
	vg_core_release_owner(&fakemod);
	vg_core_release_owner(&carrier);
	vg_conf_free(mod.conf);
	mod.conf = NULL;
	pump_ms(20);
	records_reset();
}

/* A call with TASK, its media started, the session set up to the point
 * where the greeting was asked for. Returns 0 or -1. */
static int
call_up(char *id, size_t size, const char *task)
{
	struct vg_call *call;
	int i;

	call = vg_call_create(&carrier, VG_CALL_INBOUND, "+15550001",
	    "+15550002");
	if (call == NULL)
		return (-1);
	if (task != NULL)
		vg_call_set_attr(call, "task", task);
	vg_strlcpy(id, vg_call_id(call), size);
	vg_bus_emit("media.started", id, NULL);
	if (!pump_until_count(&fake.opens, 1, 2))
		return (-1);
	fake_send("{\"type\":\"session.created\",\"event_id\":\"e1\","
	    "\"session\":{\"id\":\"sess_1\",\"type\":\"realtime\"}}");
	if ((i = wait_msg("session.update", 0)) == -1)
		return (-1);
	fake_send("{\"type\":\"session.updated\",\"event_id\":\"e2\","
	    "\"session\":{\"id\":\"sess_1\",\"type\":\"realtime\",\"audio\":"
	    "{\"input\":{\"format\":{\"type\":\"audio/pcmu\"},"
	    "\"turn_detection\":{\"type\":\"server_vad\","
	    "\"interrupt_response\":true}},\"output\":{\"format\":{\"type\":"
	    "\"audio/pcmu\"},\"voice\":\"marin\"}}}}");
	return (wait_msg("response.create", i) == -1 ? -1 : 0);
}

/* Publish N bytes of caller audio (value V) as one audio.in frame. */
static void
caller_audio(const char *id, size_t n, uint8_t v)
{
	uint8_t buf[1600];

	memset(buf, v, n);
	vg_bus_publish(vg_event_new_audio("audio.in", id, VG_CODEC_PCMU, 8000,
	    0, buf, n));
}

/* Send one audio delta of MS ms for RESP/ITEM, bytes from SEED. */
static void
agent_delta(const char *resp, const char *item, unsigned ms, uint8_t seed)
{
	uint8_t buf[8000];
	char b64[10700];
	size_t i, n = ms * 8;

	for (i = 0; i < n; i++)
		buf[i] = (uint8_t)(seed + i);
	vg_b64_encode(buf, n, b64);
	fake_sendf("{\"type\":\"response.output_audio.delta\",\"event_id\":"
	    "\"ev\",\"response_id\":\"%s\",\"item_id\":\"%s\","
	    "\"output_index\":0,\"content_index\":0,\"delta\":\"%s\"}", resp,
	    item, b64);
}

/* Publish audio.played at MS, as media_ws does. */
static void
played(const char *id, int64_t ms)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "played_ms", json_object_new_int64(ms));
	vg_bus_emit("audio.played", id, o);
}

/* The parsed client event I (free with json_object_put). */
static struct json_object *
msg_json(int i)
{
	return (i >= 0 && i < fake.n ? json_tokener_parse(fake.msg[i]) : NULL);
}

/* Set-up: URL, key header, GA session.update, greeting, held audio. */
static void
t_e2e_session_setup(void)
{
	char id[VG_CALL_ID_MAX], want[64];
	struct json_object *m;
	int i, j;

	VG_CHECK(e2e_up(NULL) == 0);
	VG_CHECK(call_up(id, sizeof(id), "{\"type\":\"survey\",\"context\":"
	    "{\"company\":\"Acme\",\"topic\":\"trains\"}}") == 0);
	VG_CHECK_STR(fake.auth, "Bearer " KEY);
	VG_CHECK_STR(fake.query, "model=gpt-realtime");
	VG_CHECK(!fake.beta_header);
	i = wait_msg("session.update", 0);
	VG_CHECK_INT(i, 0);	/* nothing before session.update */
	m = msg_json(i);
	VG_CHECK_STR(jgets(m, "session.type"), "realtime");
	VG_CHECK(jget(m, "session.temperature") == NULL);
	VG_CHECK_STR(jgets(m, "session.audio.output.voice"), "coral");
	VG_CHECK(strstr(jgets(m, "session.instructions"), "for Acme about "
	    "trains") != NULL);
	json_object_put(m);
	j = wait_msg("response.create", 0);
	m = msg_json(j);
	VG_CHECK(strstr(jgets(m, "response.instructions"), "calling for "
	    "Acme") != NULL);
	json_object_put(m);
	VG_CHECK_INT(count_msg("input_audio_buffer.append", 0), 0);
	snprintf(want, sizeof(want), "%s", id);
	VG_CHECK(strncmp(want, "vgc_", 4) == 0);
	e2e_down();
}

/* Caller audio: held until session.updated, then batched to append_ms
 * (160 bytes), byte-exact base64. */
static void
t_e2e_append_batching(void)
{
	char id[VG_CALL_ID_MAX], b64[300];
	struct json_object *m;
	struct vg_call *call;
	uint8_t frame[160];
	int i;

	VG_CHECK(e2e_up(NULL) == 0);
	call = vg_call_create(&carrier, VG_CALL_INBOUND, "+1555", "+1556");
	vg_strlcpy(id, vg_call_id(call), sizeof(id));
	vg_bus_emit("media.started", id, NULL);
	VG_CHECK(pump_until_count(&fake.opens, 1, 2));
	caller_audio(id, 160, 0x11);	/* held: no session yet */
	pump_ms(20);
	fake_send("{\"type\":\"session.created\",\"event_id\":\"e1\","
	    "\"session\":{}}");
	VG_CHECK(wait_msg("session.update", 0) >= 0);
	caller_audio(id, 80, 0x22);	/* still held */
	pump_ms(20);
	VG_CHECK_INT(count_msg("input_audio_buffer.append", 0), 0);
	fake_send("{\"type\":\"session.updated\",\"event_id\":\"e2\","
	    "\"session\":{}}");
	i = wait_msg("input_audio_buffer.append", 0);
	VG_CHECK(i >= 0);
	memset(frame, 0x11, sizeof(frame));
	vg_b64_encode(frame, 160, b64);
	m = msg_json(i);
	VG_CHECK_STR(jgets(m, "audio"), b64);
	VG_CHECK_INT(json_object_object_length(m), 2);
	json_object_put(m);
	/* 80 held + 80 new make one 20 ms batch */
	pump_ms(20);
	VG_CHECK_INT(count_msg("input_audio_buffer.append", 0), 1);
	caller_audio(id, 80, 0x33);
	i = wait_msg("input_audio_buffer.append", i + 1);
	VG_CHECK(i >= 0);
	memset(frame, 0x22, 80);
	memset(frame + 80, 0x33, 80);
	vg_b64_encode(frame, 160, b64);
	m = msg_json(i);
	VG_CHECK_STR(jgets(m, "audio"), b64);
	json_object_put(m);
	e2e_down();
}

/* Model audio: each delta is one audio.out, byte-exact, on the timeline;
 * transcripts of both sides as partial and final. */
static void
t_e2e_audio_out_transcripts(void)
{
	char id[VG_CALL_ID_MAX];
	int i, k;
	size_t b;

	VG_CHECK(e2e_up(NULL) == 0);
	VG_CHECK(call_up(id, sizeof(id), NULL) == 0);
	fake_send("{\"type\":\"response.created\",\"event_id\":\"e\","
	    "\"response\":{\"id\":\"resp_1\",\"status\":\"in_progress\"}}");
	agent_delta("resp_1", "item_A", 50, 7);
	agent_delta("resp_1", "item_A", 30, 9);
	i = wait_event("audio.out", 0);
	VG_CHECK(i >= 0);
	if (i >= 0) {
		VG_CHECK_INT(seen.len[i], 400);
		VG_CHECK_INT(seen.ts[i], 0);
		for (b = 0; b < 400 && seen.audio[i] != NULL; b++)
			if (seen.audio[i][b] != (uint8_t)(7 + b))
				break;
		VG_CHECK_INT(b, 400);
	}
	k = wait_event("audio.out", i + 1);
	VG_CHECK(k >= 0);
	if (k >= 0) {
		VG_CHECK_INT(seen.len[k], 240);
		VG_CHECK_INT(seen.ts[k], 50);
		VG_CHECK(seen.audio[k][0] == 9 && seen.audio[k][239] ==
		    (uint8_t)(9 + 239));
	}
	fake_send("{\"type\":\"conversation.item.input_audio_transcription."
	    "delta\",\"event_id\":\"e\",\"item_id\":\"item_U\","
	    "\"content_index\":0,\"delta\":\"Where is\"}");
	fake_send("{\"type\":\"conversation.item.input_audio_transcription."
	    "delta\",\"event_id\":\"e\",\"item_id\":\"item_U\","
	    "\"content_index\":0,\"delta\":\" my bus\"}");
	fake_send("{\"type\":\"conversation.item.input_audio_transcription."
	    "completed\",\"event_id\":\"e\",\"item_id\":\"item_U\","
	    "\"content_index\":0,\"transcript\":\"Where is my bus?\"}");
	fake_send("{\"type\":\"response.output_audio_transcript.delta\","
	    "\"event_id\":\"e\",\"response_id\":\"resp_1\",\"item_id\":"
	    "\"item_A\",\"output_index\":0,\"content_index\":0,\"delta\":"
	    "\"Hi\"}");
	fake_send("{\"type\":\"response.output_audio_transcript.done\","
	    "\"event_id\":\"e\",\"response_id\":\"resp_1\",\"item_id\":"
	    "\"item_A\",\"output_index\":0,\"content_index\":0,\"transcript\":"
	    "\"Hi there.\"}");
	i = wait_event("transcript.partial", 0);
	VG_CHECK(i >= 0 && strstr(seen.json[i], "\"speaker\":\"caller\","
	    "\"item_id\":\"item_U\",\"text\":\"Where is\"") != NULL);
	i = wait_event("transcript.partial", i + 1);
	VG_CHECK(i >= 0 && strstr(seen.json[i], "\"text\":\"Where is my "
	    "bus\"") != NULL);
	i = wait_event("transcript.final", 0);
	VG_CHECK(i >= 0 && strstr(seen.json[i], "\"speaker\":\"caller\","
	    "\"item_id\":\"item_U\",\"text\":\"Where is my bus?\"") != NULL);
	i = wait_event("transcript.final", i + 1);
	VG_CHECK(i >= 0 && strstr(seen.json[i], "\"speaker\":\"agent\","
	    "\"item_id\":\"item_A\",\"text\":\"Hi there.\"") != NULL);
	fake_send("{\"type\":\"response.done\",\"event_id\":\"e\",\"response\":"
	    "{\"id\":\"resp_1\",\"status\":\"completed\",\"usage\":"
	    "{\"total_tokens\":253,\"input_tokens\":132,\"output_tokens\":121}}}");
	fake_send("{\"type\":\"rate_limits.updated\",\"event_id\":\"e\","
	    "\"rate_limits\":[{\"name\":\"tokens\",\"limit\":40000,"
	    "\"remaining\":35520,\"reset_seconds\":6.72}]}");
	i = wait_event("usage", 0);
	VG_CHECK(i >= 0 && strstr(seen.json[i], "\"total_tokens\":253") !=
	    NULL);
	i = wait_event("usage", i + 1);
	VG_CHECK(i >= 0 && strstr(seen.json[i], "\"remaining\":35520") !=
	    NULL);
	e2e_down();
}

/* Barge-in at 1.2 s of 3 s: audio.clear, truncate at 1250, interrupted;
 * late deltas dropped; no cancel (the server cancels itself). */
static void
t_e2e_barge_in(void)
{
	char id[VG_CALL_ID_MAX];
	struct json_object *m;
	int i, outs, mark;

	VG_CHECK(e2e_up(NULL) == 0);
	VG_CHECK(call_up(id, sizeof(id), NULL) == 0);
	fake_send("{\"type\":\"response.created\",\"event_id\":\"e\","
	    "\"response\":{\"id\":\"resp_1\"}}");
	for (i = 0; i < 3; i++)
		agent_delta("resp_1", "item_A", 1000, (uint8_t)i);
	VG_CHECK(pump_until_count(&seen.n, 0, 2) &&
	    wait_event("audio.out", 0) >= 0);
	pump_ms(30);
	VG_CHECK_INT(count_event("audio.out", 0), 3);
	played(id, 1200);
	mark = fake.n;
	fake_send("{\"type\":\"input_audio_buffer.speech_started\","
	    "\"event_id\":\"e\",\"audio_start_ms\":15320,\"item_id\":"
	    "\"item_U\"}");
	i = wait_msg("conversation.item.truncate", mark);
	VG_CHECK(i >= 0);
	m = msg_json(i);
	VG_CHECK_STR(jgets(m, "item_id"), "item_A");
	VG_CHECK_INT(json_object_get_int(jget(m, "content_index")), 0);
	VG_CHECK_INT(json_object_get_int(jget(m, "audio_end_ms")), 1250);
	VG_CHECK_INT(json_object_object_length(m), 4);
	json_object_put(m);
	VG_CHECK(wait_event("audio.clear", 0) >= 0);
	i = wait_event("agent.interrupted", 0);
	VG_CHECK(i >= 0 && strstr(seen.json[i], "\"item_id\":\"item_A\","
	    "\"heard_ms\":1250") != NULL);
	VG_CHECK_INT(count_msg("response.cancel", 0), 0);
	/* a late delta of the cancelled response is not forwarded */
	outs = count_event("audio.out", 0);
	agent_delta("resp_1", "item_A", 100, 1);
	fake_send("{\"type\":\"response.done\",\"event_id\":\"e\",\"response\":"
	    "{\"id\":\"resp_1\",\"status\":\"cancelled\"}}");
	pump_ms(50);
	VG_CHECK_INT(count_event("audio.out", 0), outs);
	/* after playback ended: no clear, no truncate */
	fake_send("{\"type\":\"response.created\",\"event_id\":\"e\","
	    "\"response\":{\"id\":\"resp_2\"}}");
	agent_delta("resp_2", "item_B", 500, 1);
	fake_send("{\"type\":\"response.done\",\"event_id\":\"e\",\"response\":"
	    "{\"id\":\"resp_2\",\"status\":\"completed\"}}");
	pump_ms(30);
	VG_CHECK_INT(count_event("audio.out", 0), outs + 1);
	played(id, 3500);
	pump_ms(10);
	mark = fake.n;
	i = count_event("audio.clear", 0);
	fake_send("{\"type\":\"input_audio_buffer.speech_started\","
	    "\"event_id\":\"e\",\"audio_start_ms\":1,\"item_id\":\"U2\"}");
	pump_ms(50);
	VG_CHECK_INT(count_event("audio.clear", 0), i);
	VG_CHECK_INT(count_msg("conversation.item.truncate", mark), 0);
	e2e_down();
}

/* Two responses queued; interrupt_response off in session.updated: the
 * module cancels, truncates the first at its heard part and the second
 * at 0. */
static void
t_e2e_barge_two_cancel(void)
{
	char id[VG_CALL_ID_MAX];
	struct json_object *m;
	int i;

	VG_CHECK(e2e_up(NULL) == 0);
	VG_CHECK(call_up(id, sizeof(id), NULL) == 0);
	fake_send("{\"type\":\"session.updated\",\"event_id\":\"e\","
	    "\"session\":{\"audio\":{\"input\":{\"turn_detection\":"
	    "{\"type\":\"server_vad\",\"interrupt_response\":false}}}}}");
	fake_send("{\"type\":\"response.created\",\"event_id\":\"e\","
	    "\"response\":{\"id\":\"r1\"}}");
	agent_delta("r1", "A", 1000, 0);
	fake_send("{\"type\":\"response.done\",\"event_id\":\"e\",\"response\":"
	    "{\"id\":\"r1\",\"status\":\"completed\"}}");
	fake_send("{\"type\":\"response.created\",\"event_id\":\"e\","
	    "\"response\":{\"id\":\"r2\"}}");
	agent_delta("r2", "B", 800, 0);
	pump_ms(30);
	VG_CHECK_INT(count_event("audio.out", 0), 2);
	played(id, 400);
	fake_send("{\"type\":\"input_audio_buffer.speech_started\","
	    "\"event_id\":\"e\",\"audio_start_ms\":1,\"item_id\":\"U\"}");
	VG_CHECK((i = wait_msg("response.cancel", 0)) >= 0);
	i = wait_msg("conversation.item.truncate", 0);
	m = msg_json(i);
	VG_CHECK_STR(jgets(m, "item_id"), "A");
	VG_CHECK_INT(json_object_get_int(jget(m, "audio_end_ms")), 450);
	json_object_put(m);
	i = wait_msg("conversation.item.truncate", i + 1);
	m = msg_json(i);
	VG_CHECK_STR(jgets(m, "item_id"), "B");
	VG_CHECK_INT(json_object_get_int(jget(m, "audio_end_ms")), 0);
	json_object_put(m);
	/* the server says there was nothing to cancel: benign */
	fake_send("{\"type\":\"error\",\"event_id\":\"e\",\"error\":{\"type\":"
	    "\"invalid_request_error\",\"code\":\"response_cancel_not_active\","
	    "\"message\":\"Cancellation failed: no active response found\"}}");
	i = wait_event("agent.error", 0);
	VG_CHECK(i >= 0 && strstr(seen.json[i], "\"benign\":true") != NULL);
	pump_ms(20);
	VG_CHECK(fake.conn != NULL);	/* the session goes on */
	VG_CHECK_INT(fake.closes, 0);
	e2e_down();
}

/* Send a completed function_call NAME (call CALL_ID) in response RESP. */
static void
function_call(const char *resp, const char *name, const char *call_id,
    const char *args)
{
	fake_sendf("{\"type\":\"response.output_item.done\",\"event_id\":\"e\","
	    "\"response_id\":\"%s\",\"output_index\":0,\"item\":{\"id\":"
	    "\"item_F\",\"object\":\"realtime.item\",\"type\":\"function_call\","
	    "\"status\":\"completed\",\"name\":\"%s\",\"call_id\":\"%s\","
	    "\"arguments\":\"%s\"}}", resp, name, call_id, args);
}

/* tool.call out, tool.result back as function_call_output, then
 * response.create once the response is done; a silent tool times out. */
static void
t_e2e_tools(void)
{
	char id[VG_CALL_ID_MAX];
	struct json_object *m, *o;
	int i, mark;

	VG_CHECK(e2e_up(NULL) == 0);
	VG_CHECK(call_up(id, sizeof(id), "{\"type\":\"transit_booking\"}") ==
	    0);
	mark = fake.n;
	fake_send("{\"type\":\"response.created\",\"event_id\":\"e\","
	    "\"response\":{\"id\":\"r1\"}}");
	function_call("r1", "lookup_departures", "call_1",
	    "{\\\"origin\\\":\\\"A\\\",\\\"destination\\\":\\\"B\\\"}");
	i = wait_event("tool.call", 0);
	VG_CHECK(i >= 0 && strstr(seen.json[i], "\"tool_call_id\":\"call_1\","
	    "\"name\":\"lookup_departures\",\"arguments\":\"{\\\"origin\\\":"
	    "\\\"A\\\",\\\"destination\\\":\\\"B\\\"}\"") != NULL);
	o = json_object_new_object();
	json_object_object_add(o, "tool_call_id",
	    json_object_new_string("call_1"));
	json_object_object_add(o, "output",
	    json_object_new_string("{\"departures\":[\"10:15\"]}"));
	vg_bus_emit("tool.result", id, o);
	i = wait_msg("conversation.item.create", mark);
	m = msg_json(i);
	VG_CHECK_STR(jgets(m, "item.type"), "function_call_output");
	VG_CHECK_STR(jgets(m, "item.call_id"), "call_1");
	VG_CHECK_STR(jgets(m, "item.output"), "{\"departures\":[\"10:15\"]}");
	json_object_put(m);
	pump_ms(20);
	VG_CHECK_INT(count_msg("response.create", mark), 0);	/* r1 runs */
	fake_send("{\"type\":\"response.done\",\"event_id\":\"e\",\"response\":"
	    "{\"id\":\"r1\",\"status\":\"completed\"}}");
	VG_CHECK(wait_msg("response.create", i) > i);

	/* a tool that never answers: an error output after tool_timeout */
	mark = fake.n;
	fake_send("{\"type\":\"response.created\",\"event_id\":\"e\","
	    "\"response\":{\"id\":\"r2\"}}");
	function_call("r2", "book_trip", "call_2", "{}");
	fake_send("{\"type\":\"response.done\",\"event_id\":\"e\",\"response\":"
	    "{\"id\":\"r2\",\"status\":\"completed\"}}");
	VG_CHECK(wait_event("tool.call", i + 1) >= 0);
	pump_ms(100);
	VG_CHECK_INT(count_msg("conversation.item.create", mark), 0);
	i = wait_msg("conversation.item.create", mark);
	m = msg_json(i);
	VG_CHECK_STR(jgets(m, "item.call_id"), "call_2");
	VG_CHECK(strstr(jgets(m, "item.output"), "did not answer") != NULL);
	json_object_put(m);
	VG_CHECK(wait_msg("response.create", i) > i);
	/* an undeclared tool gets an error, not a tool.call */
	mark = seen.n;
	function_call("r3", "launch_rockets", "call_3", "{}");
	i = wait_msg("conversation.item.create", i + 1);
	m = msg_json(i);
	VG_CHECK_STR(jgets(m, "item.call_id"), "call_3");
	json_object_put(m);
	VG_CHECK_INT(count_event("tool.call", mark), 0);
	e2e_down();
}

/* end_call: the goodbye plays, then an audio.mark, and its audio.marked
 * brings call.hangup; transfer_call without a number is refused. */
static void
t_e2e_end_call(void)
{
	char id[VG_CALL_ID_MAX];
	struct json_object *o, *m;
	int i, k;

	VG_CHECK(e2e_up(NULL) == 0);
	VG_CHECK(call_up(id, sizeof(id), "{\"type\":\"transit_booking\"}") ==
	    0);
	fake_send("{\"type\":\"response.created\",\"event_id\":\"e\","
	    "\"response\":{\"id\":\"r1\"}}");
	function_call("r1", "transfer_call", "call_t", "{}");
	i = wait_msg("conversation.item.create", 0);
	m = msg_json(i);
	VG_CHECK(strstr(jgets(m, "item.output"), "no transfer number") !=
	    NULL);
	json_object_put(m);
	fake_send("{\"type\":\"response.done\",\"event_id\":\"e\",\"response\":"
	    "{\"id\":\"r1\",\"status\":\"completed\"}}");
	fake_send("{\"type\":\"response.created\",\"event_id\":\"e\","
	    "\"response\":{\"id\":\"r2\"}}");
	agent_delta("r2", "item_G", 600, 0);
	function_call("r2", "end_call", "call_e", "{}");
	pump_ms(30);
	VG_CHECK_INT(count_event("audio.mark", 0), 0);	/* r2 still runs */
	fake_send("{\"type\":\"response.done\",\"event_id\":\"e\",\"response\":"
	    "{\"id\":\"r2\",\"status\":\"completed\"}}");
	i = wait_event("audio.mark", 0);
	VG_CHECK(i >= 0 && strstr(seen.json[i], "\"name\":\"rt:end\"") !=
	    NULL);
	k = wait_event("audio.out", 0);
	VG_CHECK(k >= 0 && k < i);	/* the mark follows the goodbye */
	VG_CHECK_INT(count_event("call.hangup", 0), 0);
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string("rt:end"));
	json_object_object_add(o, "played", json_object_new_boolean(1));
	vg_bus_emit("audio.marked", id, o);
	i = wait_event("call.hangup", 0);
	VG_CHECK(i >= 0);
	e2e_down();
}

/* A dropped socket: reconnect, session.update with the conversation so
 * far, an apology; the key never appears in the logs. */
static void
t_e2e_reconnect_no_key_logged(void)
{
	char id[VG_CALL_ID_MAX], logpath[64], buf[65536];
	struct json_object *m;
	int fd, saved, i, mark;
	ssize_t n;

	snprintf(logpath, sizeof(logpath), "/tmp/vg-rt-log-%d", (int)getpid());
	fd = open(logpath, O_RDWR | O_CREAT | O_TRUNC, 0600);
	saved = dup(2);
	dup2(fd, 2);
	vg_log_set_level(VG_LOG_DEBUG);

	VG_CHECK(e2e_up(NULL) == 0);
	VG_CHECK(call_up(id, sizeof(id), NULL) == 0);
	fake_send("{\"type\":\"conversation.item.input_audio_transcription."
	    "completed\",\"event_id\":\"e\",\"item_id\":\"U1\","
	    "\"content_index\":0,\"transcript\":\"I need a taxi\"}");
	fake_send("{\"type\":\"error\",\"event_id\":\"e\",\"error\":{\"type\":"
	    "\"server_error\",\"code\":null,\"message\":\"oops\"}}");
	VG_CHECK(wait_event("agent.error", 0) >= 0);
	mark = fake.n;
	vg_ws_close(fake.conn, VG_WS_CLOSE_ERROR, "boom");
	VG_CHECK(pump_until_count(&fake.opens, 2, 2));
	VG_CHECK_STR(fake.auth, "Bearer " KEY);
	fake_send("{\"type\":\"session.created\",\"event_id\":\"e\","
	    "\"session\":{}}");
	i = wait_msg("session.update", mark);
	m = msg_json(i);
	VG_CHECK(strstr(jgets(m, "session.instructions"),
	    "Caller: I need a taxi") != NULL);
	VG_CHECK_STR(jgets(m, "session.audio.output.format.type"),
	    "audio/pcmu");
	json_object_put(m);
	fake_send("{\"type\":\"session.updated\",\"event_id\":\"e\","
	    "\"session\":{}}");
	i = wait_msg("response.create", i);
	m = msg_json(i);
	VG_CHECK(strstr(jgets(m, "response.instructions"), "Sorry, I lost "
	    "you for a moment.") != NULL);
	json_object_put(m);
	/* renewal: the old socket closes, a fresh one carries on */
	vg_ws_close(fake.conn, VG_WS_CLOSE_NORMAL, "x");	/* drop again */
	VG_CHECK(pump_until_count(&fake.opens, 3, 2));
	e2e_down();

	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	vg_log_set_level(VG_LOG_NOTICE);
	lseek(fd, 0, SEEK_SET);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	unlink(logpath);
	VG_CHECK(n > 0);
	buf[n > 0 ? n : 0] = '\0';
	VG_CHECK(strstr(buf, "realtime_openai") != NULL);	/* it logged */
	VG_CHECK(strstr(buf, "SECRET") == NULL);
	VG_CHECK(strstr(buf, KEY) == NULL);
}

/* The endpoint is gone: a few retries, then call.hangup. */
static void
t_e2e_repeated_failure(void)
{
	char id[VG_CALL_ID_MAX];
	int i;

	VG_CHECK(e2e_up("reconnect_attempts = 2\n") == 0);
	VG_CHECK(call_up(id, sizeof(id), NULL) == 0);
	vg_ws_unendpoint(&fakemod, "/realtime");
	vg_ws_close(fake.conn, VG_WS_CLOSE_ERROR, "gone");
	i = wait_event("call.hangup", 0);
	VG_CHECK(i >= 0);
	VG_CHECK(i >= 0 && strstr(seen.json[i], "unavailable") != NULL);
	VG_CHECK(count_event("agent.error", 0) >= 1);
	e2e_down();
}

/* call.ended closes the socket at once; renewal opens a fresh session
 * carrying the transcript, with no greeting. */
static void
t_e2e_end_and_renew(void)
{
	char id[VG_CALL_ID_MAX];
	struct json_object *m;
	int i, mark;

	VG_CHECK(e2e_up(NULL) == 0);
	VG_CHECK(call_up(id, sizeof(id), NULL) == 0);
	fake_send("{\"type\":\"response.output_audio_transcript.done\","
	    "\"event_id\":\"e\",\"response_id\":\"r\",\"item_id\":\"A\","
	    "\"output_index\":0,\"content_index\":0,\"transcript\":"
	    "\"Hello, how can I help?\"}");
	VG_CHECK(wait_event("transcript.final", 0) >= 0);
	mark = fake.n;
	fake_send("{\"type\":\"error\",\"event_id\":\"e\",\"error\":{\"type\":"
	    "\"invalid_request_error\",\"code\":\"session_expired\","
	    "\"message\":\"Your session hit the maximum duration of 60 "
	    "minutes.\"}}");
	VG_CHECK(pump_until_count(&fake.opens, 2, 2));
	VG_CHECK(pump_until_count(&fake.closes, 1, 2));
	fake_send("{\"type\":\"session.created\",\"event_id\":\"e\","
	    "\"session\":{}}");
	i = wait_msg("session.update", mark);
	m = msg_json(i);
	VG_CHECK(strstr(jgets(m, "session.instructions"),
	    "Agent: Hello, how can I help?") != NULL);
	json_object_put(m);
	fake_send("{\"type\":\"session.updated\",\"event_id\":\"e\","
	    "\"session\":{}}");
	pump_ms(50);
	VG_CHECK_INT(count_msg("response.create", mark), 0);	/* silent */
	vg_call_set_state(vg_call_find(id), VG_CALL_COMPLETED);
	VG_CHECK(pump_until_count(&fake.closes, 2, 2));
	e2e_down();
}

/* The first caller frame, published right behind media.started (before
 * any per-call subscription could exist), still reaches the model, and
 * so does all the audio held while the session is set up; a
 * delta json-c has to read (escapes, pretty-printed) gives the same
 * audio.out as the fast path. */
static void
t_e2e_first_frame_and_slow_delta(void)
{
	char id[VG_CALL_ID_MAX], b64[300];
	struct json_object *m;
	struct vg_call *call;
	uint8_t frame[160];
	int i, k;

	VG_CHECK(e2e_up(NULL) == 0);
	call = vg_call_create(&carrier, VG_CALL_INBOUND, "+1555", "+1556");
	vg_strlcpy(id, vg_call_id(call), sizeof(id));
	vg_bus_emit("media.started", id, NULL);
	caller_audio(id, 160, 0x44);	/* same batch as media.started */
	VG_CHECK(pump_until_count(&fake.opens, 1, 2));
	for (k = 1; k < 6; k++)		/* 960 bytes held: the buffer grows */
		caller_audio(id, 160, (uint8_t)(0x44 + k));
	pump_ms(20);
	fake_send("{\"type\":\"session.created\",\"event_id\":\"e1\","
	    "\"session\":{}}");
	VG_CHECK(wait_msg("session.update", 0) >= 0);
	fake_send("{\"type\":\"session.updated\",\"event_id\":\"e2\","
	    "\"session\":{}}");
	for (i = -1, k = 0; k < 6; k++) {
		i = wait_msg("input_audio_buffer.append", i + 1);
		VG_CHECK(i >= 0);
		if (i < 0)
			break;
		memset(frame, 0x44 + k, sizeof(frame));
		vg_b64_encode(frame, 160, b64);
		m = msg_json(i);
		VG_CHECK_STR(jgets(m, "audio"), b64);
		json_object_put(m);
	}
	/* "////" with its slashes escaped: json-c only */
	fake_send("{ \"type\": \"response.output_audio.delta\", \"event_id\":"
	    " \"e3\", \"response_id\": \"resp_1\", \"item_id\": \"item_A\","
	    " \"output_index\": 0, \"content_index\": 0, \"delta\": "
	    "\"\\/\\/\\/\\/\" }");
	fake_send("{\"type\":\"response.output_audio.delta\",\"event_id\":"
	    "\"e4\",\"response_id\":\"resp_1\",\"item_id\":\"item_A\","
	    "\"output_index\":0,\"content_index\":0,\"delta\":\"////\"}");
	i = wait_event("audio.out", 0);
	VG_CHECK(i >= 0);
	k = i >= 0 ? wait_event("audio.out", i + 1) : -1;
	VG_CHECK(k >= 0);
	if (i >= 0 && k >= 0) {
		VG_CHECK_INT(seen.len[i], 3);
		VG_CHECK_INT(seen.len[k], 3);
		VG_CHECK(memcmp(seen.audio[i], "\xff\xff\xff", 3) == 0);
		VG_CHECK(memcmp(seen.audio[k], "\xff\xff\xff", 3) == 0);
		VG_CHECK_INT(seen.ts[i], 0);
		VG_CHECK_INT(seen.ts[k], 0);	/* 3 bytes: still ms 0 */
	}
	e2e_down();
}

/* No API key: decline. */
static void
t_conf_decline(void)
{
	char path[128];
	FILE *fp;

	VG_CHECK(e2e_up(NULL) == 0);
	e2e_down();
	snprintf(path, sizeof(path), "%s/realtime_openai.conf", e2e_dir);
	fp = fopen(path, "w");
	fputs("[realtime]\napi_key = ${RT_TEST_NO_SUCH_KEY:-}\n", fp);
	fclose(fp);
	mod.conf = vg_conf_parse(path, NULL, NULL);
	VG_CHECK(mod.conf != NULL);
	VG_CHECK_INT(vg_module_info.load(&mod), VG_LOAD_DECLINE);
	vg_core_release_owner(&mod);
	vg_conf_free(mod.conf);
	fp = fopen(path, "w");
	fputs("[realtime]\napi_key = k\nappend_ms = 5\n", fp);
	fclose(fp);
	mod.conf = vg_conf_parse(path, NULL, NULL);
	VG_CHECK_INT(vg_module_info.load(&mod), VG_LOAD_DECLINE);
	vg_core_release_owner(&mod);
	vg_conf_free(mod.conf);
	mod.conf = NULL;
	vg_ws_unendpoint(&fakemod, "/realtime");
}

static const struct vg_test cases[] = {
	{ "agents/sample_presets",		t_agents_sample },
	{ "agents/session_update_per_preset",	t_session_update_presets },
	{ "agents/session_update_overrides",	t_session_update_overrides },
	{ "agents/validate_errors",		t_agents_validate },
	{ "agents/conf_errors",			t_agents_conf_errors },
	{ "agents/fill_placeholders",		t_fill },
	{ "agents/presets_and_schema",		t_presets_schema },
	{ "audio/b64_strict",			t_b64 },
	{ "audio/delta_fast_path_matches_jsonc", t_delta_fast_path },
	{ "barge/truncate_arithmetic",		t_barge_arithmetic },
	{ "e2e/session_setup_greeting",		t_e2e_session_setup },
	{ "e2e/append_held_and_batched",	t_e2e_append_batching },
	{ "e2e/audio_out_exact_transcripts_usage", t_e2e_audio_out_transcripts },
	{ "e2e/first_frame_and_jsonc_delta",	t_e2e_first_frame_and_slow_delta },
	{ "e2e/barge_in_truncate_late_delta",	t_e2e_barge_in },
	{ "e2e/barge_in_two_responses_cancel",	t_e2e_barge_two_cancel },
	{ "e2e/tool_round_trip_timeout",	t_e2e_tools },
	{ "e2e/end_call_after_goodbye",		t_e2e_end_call },
	{ "e2e/reconnect_apology_no_key_logged", t_e2e_reconnect_no_key_logged },
	{ "e2e/repeated_failure_hangs_up",	t_e2e_repeated_failure },
	{ "e2e/renew_and_call_ended",		t_e2e_end_and_renew },
	{ "conf/decline_without_key",		t_conf_decline },
};
VG_TEST_MAIN(cases)
