/*
 * twilio_http's pure parts: webhook form bodies into parameters, TwiML for
 * the Media Stream and for transfers, and checking an outbound-call
 * request and its task. No module state: any thread.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <voicegate/http.h>
#include <voicegate/util.h>

#include "twilio_http.h"
#include "twilio_text.h"

/* Task fields that are strings. */
static const char *const th_task_strings[] = {
	"type", "prompt", "context", "voice", "instructions",
};

/* Append one decoded pair to the form in ARG; stop when it is full. */
static int
form_add(const char *key, const char *value, void *arg)
{
	struct twilio_form *form = arg;

	if (form->n == TH_FORM_MAX_PARAMS) {
		form->cap = 0;		/* marks the overflow */
		return (1);
	}
	if (form->n == form->cap) {
		form->cap = form->cap == 0 ? 16 : form->cap * 2;
		form->params = vg_xrealloc(form->params,
		    form->cap * sizeof(*form->params));
	}
	form->params[form->n].name = vg_xstrdup(key);
	form->params[form->n].value = vg_xstrdup(value);
	form->n++;
	return (0);
}

/* Decode a form body into FORM. */
int
twilio_http_form_parse(const char *body, size_t len, struct twilio_form *form)
{
	if (vg_form_parse(body, len, form_add, form) == -1 ||
	    (form->n == TH_FORM_MAX_PARAMS && form->cap == 0)) {
		twilio_http_form_free(form);
		return (-1);
	}
	return (0);
}

/* The first value of NAME in FORM. */
const char *
twilio_http_form_get(const struct twilio_form *form, const char *name)
{
	size_t i;

	for (i = 0; i < form->n; i++)
		if (strcmp(form->params[i].name, name) == 0)
			return (form->params[i].value);
	return (NULL);
}

/* Free FORM's parameters. */
void
twilio_http_form_free(struct twilio_form *form)
{
	size_t i;

	for (i = 0; i < form->n; i++) {
		free((char *)form->params[i].name);
		free((char *)form->params[i].value);
	}
	free(form->params);
	memset(form, 0, sizeof(*form));
}

/* Build the Connect/Stream TwiML. */
char *
twilio_http_twiml_stream(const char *stream_url, const char *greeting,
    const char *call_id, const char *token)
{
	char *url, *say = NULL, *id, *tok, *out;

	url = twilio_xml_escape(stream_url);
	id = twilio_xml_escape(call_id);
	tok = twilio_xml_escape(token);
	if (greeting != NULL && *greeting != '\0')
		say = twilio_xml_escape(greeting);
	out = vg_asprintf("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
	    "<Response>%s%s%s<Connect><Stream url=\"%s\">"
	    "<Parameter name=\"call_id\" value=\"%s\"/>"
	    "<Parameter name=\"token\" value=\"%s\"/>"
	    "</Stream></Connect></Response>", say != NULL ? "<Say>" : "",
	    say != NULL ? say : "", say != NULL ? "</Say>" : "", url, id, tok);
	free(say);
	free(tok);
	free(id);
	free(url);
	return (out);
}

/* Build the TwiML that dials TO. */
char *
twilio_http_twiml_dial(const char *to)
{
	char *num, *out;

	num = twilio_xml_escape(to);
	out = vg_asprintf("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
	    "<Response><Dial>%s</Dial></Response>", num);
	free(num);
	return (out);
}

/* Check one task field KEY = VAL. */
static int
task_field_check(const char *key, struct json_object *val, char *err,
    size_t err_size)
{
	double d;
	size_t i;

	/* The context fills the agent's {placeholders}: an object of
	 * name/value pairs, or free text. */
	if (strcmp(key, "context") == 0 &&
	    json_object_is_type(val, json_type_object)) {
		if (strlen(json_object_to_json_string(val)) >
		    TH_TASK_FIELD_MAX) {
			snprintf(err, err_size, "task.context is longer than "
			    "%d bytes", TH_TASK_FIELD_MAX);
			return (-1);
		}
		return (0);
	}
	for (i = 0; i < VG_NELEM(th_task_strings); i++) {
		if (strcmp(key, th_task_strings[i]) != 0)
			continue;
		if (!json_object_is_type(val, json_type_string)) {
			snprintf(err, err_size, "task.%s must be a string",
			    key);
			return (-1);
		}
		if (json_object_get_string_len(val) > TH_TASK_FIELD_MAX) {
			snprintf(err, err_size, "task.%s is longer than %d "
			    "bytes", key, TH_TASK_FIELD_MAX);
			return (-1);
		}
		return (0);
	}
	if (strcmp(key, "speed") == 0) {
		if (!json_object_is_type(val, json_type_double) &&
		    !json_object_is_type(val, json_type_int)) {
			snprintf(err, err_size, "task.speed must be a number");
			return (-1);
		}
		d = json_object_get_double(val);
		if (!(d >= TH_SPEED_MIN && d <= TH_SPEED_MAX)) {
			snprintf(err, err_size, "task.speed must be between "
			    "%.2f and %.2f", TH_SPEED_MIN, TH_SPEED_MAX);
			return (-1);
		}
		return (0);
	}
	snprintf(err, err_size, "task.%.64s is not a known field (known: "
	    "type, prompt, context, voice, instructions, speed)", key);
	return (-1);
}

/* Check a task object. */
int
twilio_http_task_check(struct json_object *task, char *err, size_t err_size)
{
	if (!json_object_is_type(task, json_type_object)) {
		snprintf(err, err_size, "task must be an object");
		return (-1);
	}
	json_object_object_foreach(task, key, val) {
		if (task_field_check(key, val, err, err_size) == -1)
			return (-1);
	}
	return (0);
}

/* Take a number field KEY of OBJ into *OUT; 0 when absent is allowed. */
static int
outbound_number(struct json_object *obj, const char *key, int required,
    char **out, char *err, size_t err_size)
{
	struct json_object *v;
	const char *s;

	if (!json_object_object_get_ex(obj, key, &v) ||
	    json_object_is_type(v, json_type_null)) {
		if (!required)
			return (0);
		snprintf(err, err_size, "\"%s\" is required", key);
		return (-1);
	}
	if (!json_object_is_type(v, json_type_string)) {
		snprintf(err, err_size, "\"%s\" must be a string", key);
		return (-1);
	}
	s = json_object_get_string(v);
	if (!twilio_e164_valid(s)) {
		snprintf(err, err_size, "\"%s\" must be an E.164 number "
		    "('+' then 8 to 15 digits)", key);
		return (-1);
	}
	*out = vg_xstrdup(s);
	return (0);
}

/* Parse and check an outbound-call request body. */
int
twilio_http_outbound_parse(const char *body, size_t len,
    struct twilio_http_outbound *out, char *err, size_t err_size)
{
	struct json_tokener *tok;
	struct json_object *obj, *task;
	size_t end;

	memset(out, 0, sizeof(*out));
	if (body == NULL || len == 0) {
		snprintf(err, err_size, "a JSON body is required");
		return (-1);
	}
	tok = json_tokener_new();
	obj = json_tokener_parse_ex(tok, body, (int)len);
	end = json_tokener_get_parse_end(tok);
	while (end < len && (body[end] == ' ' || body[end] == '\t' ||
	    body[end] == '\r' || body[end] == '\n'))
		end++;
	if (obj == NULL ||
	    json_tokener_get_error(tok) != json_tokener_success || end != len) {
		snprintf(err, err_size, "the body is not valid JSON");
		json_object_put(obj);
		json_tokener_free(tok);
		return (-1);
	}
	json_tokener_free(tok);
	if (!json_object_is_type(obj, json_type_object)) {
		snprintf(err, err_size, "the body must be a JSON object");
		goto fail;
	}
	json_object_object_foreach(obj, key, val) {
		(void)val;
		if (strcmp(key, "to") != 0 && strcmp(key, "from") != 0 &&
		    strcmp(key, "task") != 0) {
			snprintf(err, err_size, "\"%.64s\" is not a known "
			    "field (known: to, from, task)", key);
			goto fail;
		}
	}
	if (outbound_number(obj, "to", 1, &out->to, err, err_size) == -1 ||
	    outbound_number(obj, "from", 0, &out->from, err, err_size) == -1)
		goto fail;
	if (json_object_object_get_ex(obj, "task", &task) &&
	    !json_object_is_type(task, json_type_null)) {
		if (twilio_http_task_check(task, err, err_size) == -1)
			goto fail;
		out->task = json_object_get(task);
	}
	json_object_put(obj);
	return (0);

fail:
	twilio_http_outbound_free(out);
	json_object_put(obj);
	return (-1);
}

/* Free an outbound request. */
void
twilio_http_outbound_free(struct twilio_http_outbound *out)
{
	free(out->to);
	free(out->from);
	json_object_put(out->task);
	memset(out, 0, sizeof(*out));
}
