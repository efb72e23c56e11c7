/*
 * Conversation scripts of voicegate-sim --realtime-server: the step format
 * of tests/fakes/realtime.mjs (README "Scripts"), read with json-c into
 * plain structs once at start, and the built-in demo.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "sim_rt.h"

/* The demo: greeting, a caller turn, an answer the caller interrupts, a
 * goodbye and the end_call tool in one response (a spoken item, then the
 * function call: "say", an extension of tests/fakes/realtime.mjs's
 * format). The answers are paced at real time (chunk_ms = interval_ms)
 * so the interruption lands while the agent is still sending. */
const char sim_rt_demo_script[] =
"[{\"on\": \"response.create\", \"do\": [{\"respond\": {"
"  \"text\": \"Hello, this is the transit line. How can I help you today?\","
"  \"audio_ms\": 2500, \"chunk_ms\": 100, \"interval_ms\": 100,"
"  \"tone_hz\": 400}}]},"
" {\"after_audio_ms\": 3500, \"do\": [\"speech_started\"]},"
" {\"after_ms\": 1200, \"do\": [\"speech_stopped\","
"  {\"transcribe_caller\": \"I need a ticket to Central Station "
"tomorrow morning.\"},"
"  {\"respond\": {\"text\": \"Sure. There is a train at eight fifteen and "
"another at nine forty; the eight fifteen is usually less crowded, and "
"a return ticket is cheaper if you come back the same day.\","
"  \"audio_ms\": 6000, \"chunk_ms\": 100, \"interval_ms\": 100,"
"  \"tone_hz\": 500}}]},"
" {\"after_ms\": 1500, \"do\": [{\"speech_started\": {\"leak_chunks\": 2}}]},"
" {\"on\": \"response.done\", \"after_ms\": 1000, \"do\": ["
"  \"speech_stopped\","
"  {\"transcribe_caller\": \"The eight fifteen is fine, that's all. "
"Thanks, bye!\"},"
"  {\"call_tool\": {\"name\": \"end_call\", \"arguments\": {},"
"   \"say\": {\"text\": \"You're welcome. Have a good trip, goodbye!\","
"   \"audio_ms\": 2000, \"chunk_ms\": 100, \"interval_ms\": 100,"
"   \"tone_hz\": 400}}}]}]";

/* Print a message into ERR and return -1. */
static int
rs_fail(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
	return (-1);
}

/* Return a new copy of S, or NULL for NULL; exits on out of memory. */
static char *
rs_strdup(const char *s)
{
	char *d;

	if (s == NULL)
		return (NULL);
	if ((d = strdup(s)) == NULL) {
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
	return (d);
}

/* Read integer KEY of O into *V (kept when absent); MIN bounds it.
 * Returns 0 or -1. */
static int
rs_int(struct json_object *o, const char *key, int *v, int min)
{
	struct json_object *x;
	int64_t n;

	if (!json_object_object_get_ex(o, key, &x))
		return (0);
	if (!json_object_is_type(x, json_type_int))
		return (-1);
	n = json_object_get_int64(x);
	if (n < min || n > 86400000)
		return (-1);
	*v = (int)n;
	return (0);
}

/* Return string KEY of O, or NULL. */
static const char *
rs_str(struct json_object *o, const char *key)
{
	struct json_object *x;

	if (!json_object_object_get_ex(o, key, &x) ||
	    !json_object_is_type(x, json_type_string))
		return (NULL);
	return (json_object_get_string(x));
}

/* Read a "respond" object O into R. Returns 0 or -1. */
static int
rs_respond(struct json_object *o, struct sim_rt_respond *r)
{
	r->text = NULL;
	r->audio_ms = 1000;
	r->chunk_ms = 100;
	r->interval_ms = 10;
	r->tone_hz = 440;
	if (o == NULL)
		return (0);
	if (!json_object_is_type(o, json_type_object))
		return (-1);
	if (rs_int(o, "audio_ms", &r->audio_ms, 0) == -1 ||
	    rs_int(o, "chunk_ms", &r->chunk_ms, 1) == -1 || r->chunk_ms > 1000 ||
	    rs_int(o, "interval_ms", &r->interval_ms, 0) == -1 ||
	    rs_int(o, "tone_hz", &r->tone_hz, 0) == -1 || r->tone_hz > 3999)
		return (-1);
	r->text = rs_strdup(rs_str(o, "text"));
	return (0);
}

/* Read action A (a bare name or {name: arguments}) into ACT. Returns 0
 * or -1 with ERR. */
static int
rs_action(struct json_object *a, struct sim_rt_action *act, char *err,
    size_t errsz, const char *where)
{
	struct json_object *v = NULL, *x;
	const char *name = NULL;

	memset(act, 0, sizeof(*act));
	act->leak_chunks = 2;
	act->audio_start_ms = -1;
	act->close_code = 1000;
	if (json_object_is_type(a, json_type_string))
		name = json_object_get_string(a);
	else if (json_object_is_type(a, json_type_object) &&
	    json_object_object_length(a) == 1) {
		json_object_object_foreach(a, k, val) {
			name = k;
			v = val;
		}
	} else
		return (rs_fail(err, errsz, "%s: a name or {name: arguments}",
		    where));
	if (strcmp(name, "respond") == 0) {
		act->kind = SIM_RT_RESPOND;
		if (v == NULL || rs_respond(v, &act->respond) == -1)
			return (rs_fail(err, errsz, "%s: bad respond", where));
	} else if (strcmp(name, "call_tool") == 0) {
		act->kind = SIM_RT_CALL_TOOL;
		if (v == NULL || rs_str(v, "name") == NULL)
			return (rs_fail(err, errsz, "%s: call_tool needs a name",
			    where));
		act->tool.name = rs_strdup(rs_str(v, "name"));
		act->tool.call_id = rs_strdup(rs_str(v, "call_id"));
		if (json_object_object_get_ex(v, "say", &x)) {
			act->tool.has_say = 1;
			if (rs_respond(x, &act->tool.say) == -1)
				return (rs_fail(err, errsz, "%s: bad say",
				    where));
		}
		if (!json_object_object_get_ex(v, "arguments", &x))
			act->tool.arguments = rs_strdup("{}");
		else if (json_object_is_type(x, json_type_string))
			act->tool.arguments = rs_strdup(
			    json_object_get_string(x));
		else
			act->tool.arguments = rs_strdup(
			    json_object_to_json_string_ext(x,
			    JSON_C_TO_STRING_PLAIN));
	} else if (strcmp(name, "speech_started") == 0) {
		act->kind = SIM_RT_SPEECH_STARTED;
		if (v != NULL && (rs_int(v, "leak_chunks", &act->leak_chunks,
		    0) == -1 || rs_int(v, "audio_start_ms",
		    &act->audio_start_ms, 0) == -1))
			return (rs_fail(err, errsz, "%s: bad speech_started",
			    where));
	} else if (strcmp(name, "speech_stopped") == 0) {
		act->kind = SIM_RT_SPEECH_STOPPED;
		if (v != NULL && json_object_object_get_ex(v, "respond", &x)) {
			act->has_respond = 1;
			if (rs_respond(x, &act->respond) == -1)
				return (rs_fail(err, errsz, "%s: bad respond",
				    where));
		}
	} else if (strcmp(name, "transcribe_caller") == 0) {
		act->kind = SIM_RT_TRANSCRIBE;
		if (v == NULL || !json_object_is_type(v, json_type_string))
			return (rs_fail(err, errsz, "%s: transcribe_caller "
			    "takes a string", where));
		act->text = rs_strdup(json_object_get_string(v));
	} else if (strcmp(name, "error") == 0) {
		act->kind = SIM_RT_ERROR;
		if (v == NULL || rs_str(v, "message") == NULL)
			return (rs_fail(err, errsz, "%s: error needs a message",
			    where));
		act->text = rs_strdup(rs_str(v, "message"));
		act->code = rs_strdup(rs_str(v, "code"));
		act->type = rs_strdup(rs_str(v, "type"));
		act->param = rs_strdup(rs_str(v, "param"));
	} else if (strcmp(name, "drop") == 0)
		act->kind = SIM_RT_DROP;
	else if (strcmp(name, "expire_session") == 0)
		act->kind = SIM_RT_EXPIRE;
	else if (strcmp(name, "close") == 0) {
		act->kind = SIM_RT_CLOSE;
		if (v != NULL && rs_int(v, "code", &act->close_code, 1000) == -1)
			return (rs_fail(err, errsz, "%s: bad close code", where));
		act->text = rs_strdup(v != NULL ? rs_str(v, "reason") : NULL);
	} else if (strcmp(name, "send") == 0) {
		act->kind = SIM_RT_SEND;
		if (v == NULL || rs_str(v, "type") == NULL)
			return (rs_fail(err, errsz, "%s: send needs an event "
			    "with a type", where));
		act->text = rs_strdup(json_object_to_json_string_ext(v,
		    JSON_C_TO_STRING_PLAIN));
	} else
		return (rs_fail(err, errsz, "%s: unknown action %s", where,
		    name));
	return (0);
}

/* Parse the script in TEXT into S. */
int
sim_rt_script_parse(const char *text, struct sim_rt_script *s, char *err,
    size_t errsz)
{
	struct json_object *root, *steps, *st, *x, *acts;
	struct sim_rt_step *p;
	char where[64];
	size_t i, j, n;
	int rc = -1;

	memset(s, 0, sizeof(*s));
	if ((root = json_tokener_parse(text)) == NULL)
		return (rs_fail(err, errsz, "not JSON"));
	steps = root;
	if (json_object_is_type(root, json_type_object) &&
	    !json_object_object_get_ex(root, "steps", &steps))
		steps = NULL;
	if (steps == NULL || !json_object_is_type(steps, json_type_array)) {
		rs_fail(err, errsz, "a script is a list of steps (or "
		    "{\"steps\": [...]})");
		goto out;
	}
	n = json_object_array_length(steps);
	if ((s->steps = calloc(n + 1, sizeof(*s->steps))) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		st = json_object_array_get_idx(steps, i);
		p = &s->steps[i];
		s->nsteps = (int)i + 1;
		p->after_audio_ms = -1;
		if (!json_object_is_type(st, json_type_object)) {
			rs_fail(err, errsz, "step %zu: an object expected", i);
			goto out;
		}
		if (json_object_object_get_ex(st, "on", &x)) {
			if (!json_object_is_type(x, json_type_string)) {
				rs_fail(err, errsz, "step %zu.on: an event type "
				    "expected", i);
				goto out;
			}
			p->on = rs_strdup(json_object_get_string(x));
		}
		if (rs_int(st, "after_ms", &p->after_ms, 0) == -1 ||
		    rs_int(st, "after_audio_ms", &p->after_audio_ms, 0) == -1) {
			rs_fail(err, errsz, "step %zu: after_ms and "
			    "after_audio_ms are integers >= 0", i);
			goto out;
		}
		if (!json_object_object_get_ex(st, "do", &acts) ||
		    !json_object_is_type(acts, json_type_array) ||
		    json_object_array_length(acts) == 0) {
			rs_fail(err, errsz, "step %zu.do: a non-empty list of "
			    "actions expected", i);
			goto out;
		}
		p->acts = calloc(json_object_array_length(acts),
		    sizeof(*p->acts));
		if (p->acts == NULL)
			goto out;
		for (j = 0; j < json_object_array_length(acts); j++) {
			snprintf(where, sizeof(where), "step %zu.do[%zu]", i, j);
			p->nacts = (int)j + 1;
			if (rs_action(json_object_array_get_idx(acts, j),
			    &p->acts[j], err, errsz, where) == -1)
				goto out;
		}
	}
	rc = 0;
out:
	json_object_put(root);
	if (rc == -1)
		sim_rt_script_free(s);
	return (rc);
}

/* Load the script at PATH, or the demo. */
int
sim_rt_script_load(const char *path, struct sim_rt_script *s, char *err,
    size_t errsz)
{
	char *buf;
	size_t n;
	long sz;
	FILE *f;
	int rc;

	if (strcmp(path, "demo") == 0)
		return (sim_rt_script_parse(sim_rt_demo_script, s, err, errsz));
	if ((f = fopen(path, "rb")) == NULL)
		return (rs_fail(err, errsz, "%s: %s", path, strerror(errno)));
	if (fseek(f, 0, SEEK_END) == -1 || (sz = ftell(f)) < 0 ||
	    sz > 4 * 1024 * 1024 || fseek(f, 0, SEEK_SET) == -1 ||
	    (buf = malloc((size_t)sz + 1)) == NULL) {
		fclose(f);
		return (rs_fail(err, errsz, "%s: cannot read it (at most "
		    "4 MiB)", path));
	}
	n = fread(buf, 1, (size_t)sz, f);
	fclose(f);
	buf[n] = '\0';
	rc = sim_rt_script_parse(buf, s, err, errsz);
	free(buf);
	if (rc == -1) {
		char tmp[256];

		snprintf(tmp, sizeof(tmp), "%s", err);
		snprintf(err, errsz, "%s: %s", path, tmp);
	}
	return (rc);
}

/* Release what the action A holds. */
static void
rs_action_free(struct sim_rt_action *a)
{
	free(a->respond.text);
	free(a->tool.name);
	free(a->tool.arguments);
	free(a->tool.call_id);
	free(a->tool.say.text);
	free(a->text);
	free(a->code);
	free(a->type);
	free(a->param);
}

/* Release what S holds. */
void
sim_rt_script_free(struct sim_rt_script *s)
{
	int i, j;

	for (i = 0; i < s->nsteps; i++) {
		for (j = 0; j < s->steps[i].nacts; j++)
			rs_action_free(&s->steps[i].acts[j]);
		free(s->steps[i].acts);
		free(s->steps[i].on);
	}
	free(s->steps);
	memset(s, 0, sizeof(*s));
}
