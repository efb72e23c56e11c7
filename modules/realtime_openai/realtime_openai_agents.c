/*
 * realtime_openai agents: the presets of agents.conf ([agents],
 * [tool.NAME], [agent.NAME]), task validation for the agents service, and
 * a call's task resolved into the GA session object (§5.3) that
 * session.update carries. Core thread only; no network, no bus.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <voicegate/conf.h>
#include <voicegate/util.h>

#include "realtime_openai.h"

#define RT_AGENT_PREFIX		"agent."
#define RT_TOOL_PREFIX		"tool."

/* Realtime voices (§5.3); fable, onyx and nova are not among them. */
static const char *const rt_voices[] = {
	"alloy", "ash", "ballad", "coral", "echo", "sage", "shimmer",
	"verse", "marin", "cedar",
};

/* The tools every agent may declare without a [tool.NAME] section. */
static const struct {
	const char	*name;
	const char	*description;
	const char	*parameters;
} rt_builtin_tools[] = {
	{ "end_call", "End the phone call. Say goodbye first; the call ends "
	    "once your goodbye has been heard.",
	    "{\"type\":\"object\",\"properties\":{\"reason\":{\"type\":"
	    "\"string\",\"description\":\"Why the call ends.\"}}}" },
	{ "transfer_call", "Transfer the caller to a human colleague. Tell "
	    "the caller first.",
	    "{\"type\":\"object\",\"properties\":{\"reason\":{\"type\":"
	    "\"string\",\"description\":\"Why the caller is transferred.\"}}}" },
};

/* The task fields a call may set; every one but type overrides. */
static const char *const rt_task_fields[] = {
	"type", "prompt", "context", "voice", "instructions", "speed",
};

static int	agent_key(struct rt_agent *ag, const char *key,
		    const char *val, char *why, size_t why_size);

/* ---- parsing agents.conf ---- */

/* Remember the first parse error. */
static void
agents_conf_error(const struct vg_conf_error *e, void *arg)
{
	char **first = arg;

	if (*first == NULL)
		*first = vg_asprintf("%s:%d: %s", e->file, e->line,
		    e->message);
}

/* Parse a long in [MIN, MAX] from S. Returns 0 or -1. */
static int
parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return (-1);
	*out = v;
	return (0);
}

/* Parse a double in [MIN, MAX] from S. Returns 0 or -1. */
static int
parse_double(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v >= min && v <= max))
		return (-1);
	*out = v;
	return (0);
}

/* Parse a boolean from S. Returns 0 or -1. */
static int
parse_bool(const char *s, int *out)
{
	if (strcmp(s, "yes") == 0 || strcmp(s, "true") == 0 ||
	    strcmp(s, "on") == 0 || strcmp(s, "1") == 0)
		*out = 1;
	else if (strcmp(s, "no") == 0 || strcmp(s, "false") == 0 ||
	    strcmp(s, "off") == 0 || strcmp(s, "0") == 0)
		*out = 0;
	else
		return (-1);
	return (0);
}

/* Replace *DST with a copy of S. */
static void
set_str(char **dst, const char *s)
{
	free(*dst);
	*dst = vg_xstrdup(s);
}

/* Split the comma-separated tool list VAL into AG. Returns 0 or -1. */
static int
agent_tools(struct rt_agent *ag, const char *val, char *why, size_t why_size)
{
	const char *p = val, *end;
	size_t n;

	while (ag->ntools > 0)
		free(ag->tools[--ag->ntools]);
	while (*p != '\0') {
		while (*p == ' ' || *p == ',' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		end = p + strcspn(p, ", \t");
		n = (size_t)(end - p);
		if (ag->ntools == RT_TOOLS_MAX) {
			snprintf(why, why_size, "more than %d tools",
			    RT_TOOLS_MAX);
			return (-1);
		}
		ag->tools[ag->ntools++] = vg_xstrndup(p, n);
		p = end;
	}
	return (0);
}

/* Set one [agent.NAME] key. Returns 0, or -1 with WHY. */
static int
agent_key(struct rt_agent *ag, const char *key, const char *val, char *why,
    size_t why_size)
{
	if (strcmp(key, "description") == 0)
		set_str(&ag->description, val);
	else if (strcmp(key, "instructions") == 0)
		set_str(&ag->instructions, val);
	else if (strcmp(key, "greeting") == 0)
		set_str(&ag->greeting, val);
	else if (strcmp(key, "transfer_to") == 0)
		set_str(&ag->transfer_to, val);
	else if (strcmp(key, "voice") == 0) {
		if (!rt_voice_ok(val)) {
			snprintf(why, why_size, "unknown voice \"%.32s\"", val);
			return (-1);
		}
		set_str(&ag->voice, val);
	} else if (strcmp(key, "speed") == 0) {
		if (parse_double(val, RT_SPEED_MIN, RT_SPEED_MAX,
		    &ag->speed) == -1) {
			snprintf(why, why_size, "speed must be a number from "
			    "0.25 to 1.5");
			return (-1);
		}
	} else if (strcmp(key, "turn_detection") == 0) {
		if (strcmp(val, "server_vad") != 0 &&
		    strcmp(val, "semantic_vad") != 0) {
			snprintf(why, why_size, "turn_detection must be "
			    "server_vad or semantic_vad");
			return (-1);
		}
		set_str(&ag->turn_detection, val);
	} else if (strcmp(key, "vad_threshold") == 0) {
		if (parse_double(val, 0, 1, &ag->vad_threshold) == -1) {
			snprintf(why, why_size, "vad_threshold must be 0 to 1");
			return (-1);
		}
	} else if (strcmp(key, "prefix_padding_ms") == 0 ||
	    strcmp(key, "silence_duration_ms") == 0 ||
	    strcmp(key, "idle_timeout_ms") == 0) {
		long *dst = key[0] == 'p' ? &ag->prefix_padding_ms :
		    key[0] == 's' ? &ag->silence_duration_ms :
		    &ag->idle_timeout_ms;

		if (parse_long(val, 0, 60000, dst) == -1) {
			snprintf(why, why_size, "%s must be 0 to 60000", key);
			return (-1);
		}
	} else if (strcmp(key, "eagerness") == 0) {
		if (strcmp(val, "low") != 0 && strcmp(val, "medium") != 0 &&
		    strcmp(val, "high") != 0 && strcmp(val, "auto") != 0) {
			snprintf(why, why_size, "eagerness must be low, "
			    "medium, high or auto");
			return (-1);
		}
		set_str(&ag->eagerness, val);
	} else if (strcmp(key, "create_response") == 0 ||
	    strcmp(key, "interrupt_response") == 0) {
		if (parse_bool(val, key[0] == 'c' ? &ag->create_response :
		    &ag->interrupt_response) == -1) {
			snprintf(why, why_size, "%s must be yes or no", key);
			return (-1);
		}
	} else if (strcmp(key, "noise_reduction") == 0) {
		if (val[0] != '\0' && strcmp(val, "near_field") != 0 &&
		    strcmp(val, "far_field") != 0) {
			snprintf(why, why_size, "noise_reduction must be "
			    "near_field, far_field or empty");
			return (-1);
		}
		set_str(&ag->noise_reduction, val);
	} else if (strcmp(key, "transcription_model") == 0)
		set_str(&ag->transcription_model, val);
	else if (strcmp(key, "transcription_language") == 0)
		set_str(&ag->transcription_language, val);
	else if (strcmp(key, "tools") == 0)
		return (agent_tools(ag, val, why, why_size));
	else if (strcmp(key, "tool_choice") == 0)
		set_str(&ag->tool_choice, val);
	else if (strcmp(key, "max_output_tokens") == 0) {
		if (strcmp(val, "inf") == 0)
			ag->max_output_tokens = 0;
		else if (parse_long(val, 1, 4096,
		    &ag->max_output_tokens) == -1) {
			snprintf(why, why_size, "max_output_tokens must be 1 "
			    "to 4096 or inf");
			return (-1);
		}
	} else {
		snprintf(why, why_size, "unknown key \"%.48s\"", key);
		return (-1);
	}
	return (0);
}

/* Defaults of a preset before its section is read. */
static void
agent_defaults(struct rt_agent *ag, const char *name)
{
	memset(ag, 0, sizeof(*ag));
	ag->name = vg_xstrdup(name);
	ag->description = vg_xstrdup("");
	ag->instructions = vg_xstrdup("You are a helpful phone assistant.");
	ag->voice = vg_xstrdup("marin");
	ag->speed = 1.0;
	ag->turn_detection = vg_xstrdup("server_vad");
	ag->vad_threshold = 0.5;
	ag->prefix_padding_ms = 300;
	ag->silence_duration_ms = 500;
	ag->eagerness = vg_xstrdup("auto");
	ag->create_response = 1;
	ag->interrupt_response = 1;
	ag->noise_reduction = vg_xstrdup("");
	ag->transcription_model = vg_xstrdup("gpt-4o-mini-transcribe");
	ag->transcription_language = vg_xstrdup("");
	ag->tool_choice = vg_xstrdup("auto");
	ag->greeting = vg_xstrdup("Greet the caller briefly.");
	ag->transfer_to = vg_xstrdup("");
}

/* Free one preset. */
static void
agent_free(struct rt_agent *ag)
{
	size_t i;

	free(ag->name);
	free(ag->description);
	free(ag->instructions);
	free(ag->voice);
	free(ag->turn_detection);
	free(ag->eagerness);
	free(ag->noise_reduction);
	free(ag->transcription_model);
	free(ag->transcription_language);
	for (i = 0; i < ag->ntools; i++)
		free(ag->tools[i]);
	free(ag->tool_choice);
	free(ag->greeting);
	free(ag->transfer_to);
}

/* The tool called NAME in A or among the built-ins: 1 if known. */
static int
tool_known(const struct rt_agents *a, const char *name)
{
	size_t i;

	for (i = 0; i < VG_NELEM(rt_builtin_tools); i++)
		if (strcmp(rt_builtin_tools[i].name, name) == 0)
			return (1);
	for (i = 0; i < a->ntools; i++)
		if (strcmp(a->tools[i].name, name) == 0)
			return (1);
	return (0);
}

/* Read one [tool.NAME] section into a new tool of A. Returns 0 or -1. */
static int
agents_read_tool(struct rt_agents *a, const struct vg_conf_section *sec,
    const char *name, char *err, size_t err_size)
{
	const struct vg_conf_entry *e = NULL;
	struct json_object *schema;
	struct rt_tool *t;
	const char *key, *val;

	a->tools = vg_xrealloc(a->tools, (a->ntools + 1) * sizeof(*a->tools));
	t = &a->tools[a->ntools++];
	t->name = vg_xstrdup(name);
	t->description = vg_xstrdup("");
	t->parameters = vg_xstrdup("{\"type\":\"object\",\"properties\":{}}");
	while ((e = vg_conf_next_entry(sec, e)) != NULL) {
		key = vg_conf_entry_key(e);
		val = vg_conf_entry_value(e);
		if (strcmp(key, "description") == 0)
			set_str(&t->description, val);
		else if (strcmp(key, "parameters") == 0) {
			schema = json_tokener_parse(val);
			if (!json_object_is_type(schema, json_type_object)) {
				json_object_put(schema);
				snprintf(err, err_size, "%s:%d: parameters of "
				    "tool %s must be a JSON object",
				    vg_conf_entry_file(e),
				    vg_conf_entry_line(e), name);
				return (-1);
			}
			json_object_put(schema);
			set_str(&t->parameters, val);
		} else {
			snprintf(err, err_size, "%s:%d: unknown key \"%.48s\" "
			    "in [tool.%s]", vg_conf_entry_file(e),
			    vg_conf_entry_line(e), key, name);
			return (-1);
		}
	}
	return (0);
}

/* Read one [agent.NAME] section into a new preset of A. */
static int
agents_read_agent(struct rt_agents *a, const struct vg_conf_section *sec,
    const char *name, char *err, size_t err_size)
{
	const struct vg_conf_entry *e = NULL;
	struct rt_agent *ag;
	char why[RT_ERR_MAX];

	a->agents = vg_xrealloc(a->agents,
	    (a->nagents + 1) * sizeof(*a->agents));
	ag = &a->agents[a->nagents++];
	agent_defaults(ag, name);
	while ((e = vg_conf_next_entry(sec, e)) != NULL) {
		if (agent_key(ag, vg_conf_entry_key(e), vg_conf_entry_value(e),
		    why, sizeof(why)) == -1) {
			snprintf(err, err_size, "%s:%d: [agent.%s] %s",
			    vg_conf_entry_file(e), vg_conf_entry_line(e), name,
			    why);
			return (-1);
		}
	}
	return (0);
}

/* Check the presets' cross references once everything is read. */
static int
agents_check(const struct rt_agents *a, char *err, size_t err_size)
{
	const struct rt_agent *ag;
	size_t i, j;

	if (a->nagents == 0) {
		snprintf(err, err_size, "no [agent.NAME] section");
		return (-1);
	}
	if (rt_agents_find(a, a->default_agent) == NULL) {
		snprintf(err, err_size, "default agent \"%s\" is not defined",
		    a->default_agent);
		return (-1);
	}
	for (i = 0; i < a->nagents; i++) {
		ag = &a->agents[i];
		for (j = 0; j < ag->ntools; j++) {
			if (!tool_known(a, ag->tools[j])) {
				snprintf(err, err_size, "agent %s: unknown "
				    "tool \"%s\" (no [tool.%s])", ag->name,
				    ag->tools[j], ag->tools[j]);
				return (-1);
			}
		}
		if (strcmp(ag->tool_choice, "auto") != 0 &&
		    strcmp(ag->tool_choice, "none") != 0 &&
		    strcmp(ag->tool_choice, "required") != 0 &&
		    !tool_known(a, ag->tool_choice)) {
			snprintf(err, err_size, "agent %s: tool_choice must "
			    "be auto, none, required or a tool", ag->name);
			return (-1);
		}
	}
	return (0);
}

/* Read agents.conf. */
int
rt_agents_load(const char *path, struct rt_agents *a, char *err,
    size_t err_size)
{
	const struct vg_conf_section *sec = NULL;
	struct vg_conf *conf;
	const char *name, *def;
	char *first = NULL;

	memset(a, 0, sizeof(*a));
	if ((conf = vg_conf_parse(path, agents_conf_error, &first)) == NULL) {
		snprintf(err, err_size, "%s", first != NULL ? first : path);
		free(first);
		return (-1);
	}
	while ((sec = vg_conf_next_section(conf, sec)) != NULL) {
		name = vg_conf_section_name(sec);
		if (strncmp(name, RT_TOOL_PREFIX, strlen(RT_TOOL_PREFIX)) == 0 &&
		    agents_read_tool(a, sec, name + strlen(RT_TOOL_PREFIX),
		    err, err_size) == -1)
			goto fail;
	}
	while ((sec = vg_conf_next_section(conf, sec)) != NULL) {
		name = vg_conf_section_name(sec);
		if (strncmp(name, RT_AGENT_PREFIX,
		    strlen(RT_AGENT_PREFIX)) == 0) {
			if (rt_agents_find(a, name +
			    strlen(RT_AGENT_PREFIX)) != NULL) {
				snprintf(err, err_size, "%s: [%s] defined "
				    "twice", path, name);
				goto fail;
			}
			if (agents_read_agent(a, sec, name +
			    strlen(RT_AGENT_PREFIX), err, err_size) == -1)
				goto fail;
		} else if (strcmp(name, "agents") != 0 &&
		    strncmp(name, RT_TOOL_PREFIX,
		    strlen(RT_TOOL_PREFIX)) != 0) {
			snprintf(err, err_size, "%s: unknown section [%s]",
			    path, name);
			goto fail;
		}
	}
	/* no [agents] default: custom, else the first preset */
	def = vg_conf_get(conf, "agents", "default");
	if (def == NULL && a->nagents > 0)
		def = rt_agents_find(a, "custom") != NULL ? "custom" :
		    a->agents[0].name;
	a->default_agent = vg_xstrdup(def != NULL ? def : "");
	if (agents_check(a, err, err_size) == -1)
		goto fail;
	vg_conf_free(conf);
	return (0);

fail:
	vg_conf_free(conf);
	rt_agents_free(a);
	return (-1);
}

/* Free what rt_agents_load() made. */
void
rt_agents_free(struct rt_agents *a)
{
	size_t i;

	for (i = 0; i < a->nagents; i++)
		agent_free(&a->agents[i]);
	free(a->agents);
	for (i = 0; i < a->ntools; i++) {
		free(a->tools[i].name);
		free(a->tools[i].description);
		free(a->tools[i].parameters);
	}
	free(a->tools);
	free(a->default_agent);
	memset(a, 0, sizeof(*a));
}

/* Find a preset by name. */
const struct rt_agent *
rt_agents_find(const struct rt_agents *a, const char *name)
{
	size_t i;

	if ((name == NULL || strcmp(name, "default") == 0) &&
	    (name = a->default_agent) == NULL)
		return (NULL);
	for (i = 0; i < a->nagents; i++)
		if (strcmp(a->agents[i].name, name) == 0)
			return (&a->agents[i]);
	return (NULL);
}

/* True for a Realtime voice. */
int
rt_voice_ok(const char *name)
{
	size_t i;

	for (i = 0; i < VG_NELEM(rt_voices); i++)
		if (strcmp(rt_voices[i], name) == 0)
			return (1);
	return (0);
}

/* ---- tasks ---- */

/* The known presets as "a, b, c" into BUF. */
static void
preset_names(const struct rt_agents *a, char *buf, size_t size)
{
	size_t i, off = 0;
	int n;

	buf[0] = '\0';
	for (i = 0; i < a->nagents && off < size; i++) {
		n = snprintf(buf + off, size - off, "%s%s", i > 0 ? ", " : "",
		    a->agents[i].name);
		if (n < 0)
			break;
		off += (size_t)n;
	}
}

/* Check one task field KEY = VAL. */
static int
task_field(const struct rt_agents *a, const char *key,
    struct json_object *val, char *err, size_t err_size)
{
	char names[160];
	double d;
	size_t i;

	for (i = 0; i < VG_NELEM(rt_task_fields); i++)
		if (strcmp(rt_task_fields[i], key) == 0)
			break;
	if (i == VG_NELEM(rt_task_fields)) {
		snprintf(err, err_size, "task: unknown field \"%.48s\" (known:"
		    " type, prompt, context, voice, instructions, speed)", key);
		return (-1);
	}
	if (strcmp(key, "speed") == 0) {
		if (!json_object_is_type(val, json_type_double) &&
		    !json_object_is_type(val, json_type_int)) {
			snprintf(err, err_size, "task: speed must be a number");
			return (-1);
		}
		d = json_object_get_double(val);
		if (!(d >= RT_SPEED_MIN && d <= RT_SPEED_MAX)) {
			snprintf(err, err_size, "task: speed %g is out of range "
			    "(0.25 to 1.5)", d);
			return (-1);
		}
		return (0);
	}
	if (strcmp(key, "context") == 0 &&
	    json_object_is_type(val, json_type_object)) {
		json_object_object_foreach(val, ck, cv) {
			if (json_object_is_type(cv, json_type_object) ||
			    json_object_is_type(cv, json_type_array)) {
				snprintf(err, err_size, "task: context.%.48s "
				    "must be a string, number or boolean", ck);
				return (-1);
			}
		}
		return (0);
	}
	if (!json_object_is_type(val, json_type_string)) {
		snprintf(err, err_size, "task: %s must be a string%s", key,
		    strcmp(key, "context") == 0 ? " or an object" : "");
		return (-1);
	}
	if (json_object_get_string_len(val) > RT_TEXT_MAX) {
		snprintf(err, err_size, "task: %s is longer than %d bytes",
		    key, RT_TEXT_MAX);
		return (-1);
	}
	if (strcmp(key, "type") == 0 &&
	    rt_agents_find(a, json_object_get_string(val)) == NULL) {
		preset_names(a, names, sizeof(names));
		snprintf(err, err_size, "task: unknown preset \"%.48s\" "
		    "(known: %s)", json_object_get_string(val), names);
		return (-1);
	}
	if (strcmp(key, "voice") == 0 &&
	    !rt_voice_ok(json_object_get_string(val))) {
		snprintf(err, err_size, "task: unknown voice \"%.32s\" (Realtime"
		    " voices: alloy, ash, ballad, coral, echo, sage, shimmer, "
		    "verse, marin, cedar)", json_object_get_string(val));
		return (-1);
	}
	return (0);
}

/* Check a task. */
int
rt_task_validate(const struct rt_agents *a, const struct json_object *task,
    char *err, size_t err_size)
{
	struct json_object *t = (struct json_object *)task;

	if (!json_object_is_type(t, json_type_object)) {
		snprintf(err, err_size, "task must be a JSON object");
		return (-1);
	}
	json_object_object_foreach(t, key, val) {
		if (task_field(a, key, val, err, err_size) == -1)
			return (-1);
	}
	return (0);
}

/* Append N bytes of S to the growing string *BUF of *LEN. */
static void
buf_add(char **buf, size_t *len, const char *s, size_t n)
{
	*buf = vg_xrealloc(*buf, *len + n + 1);
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
}

/* Fill {placeholders}. */
char *
rt_fill(const char *template, const struct json_object *context)
{
	struct json_object *v, *ctx = (struct json_object *)context;
	const char *p = template, *open, *close, *s;
	char key[64], *out = NULL;
	size_t len = 0, n;

	buf_add(&out, &len, "", 0);
	while ((open = strchr(p, '{')) != NULL) {
		buf_add(&out, &len, p, (size_t)(open - p));
		close = strchr(open + 1, '}');
		n = close != NULL ? (size_t)(close - open - 1) : 0;
		if (close == NULL || n == 0 || n >= sizeof(key) ||
		    strspn(open + 1, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != n) {
			buf_add(&out, &len, open, 1);
			p = open + 1;
			continue;
		}
		memcpy(key, open + 1, n);
		key[n] = '\0';
		if (ctx != NULL && json_object_object_get_ex(ctx, key, &v) &&
		    !json_object_is_type(v, json_type_null)) {
			s = json_object_get_string(v);
			buf_add(&out, &len, s, strlen(s));
		} else
			buf_add(&out, &len, open, n + 2);
		p = close + 1;
	}
	buf_add(&out, &len, p, strlen(p));
	return (out);
}

/* The built-in or configured tool NAME as a session tool object. */
static struct json_object *
tool_json(const struct rt_agents *a, const char *name)
{
	struct json_object *o;
	const char *desc = NULL, *params = NULL;
	size_t i;

	for (i = 0; i < a->ntools; i++)
		if (strcmp(a->tools[i].name, name) == 0) {
			desc = a->tools[i].description;
			params = a->tools[i].parameters;
		}
	for (i = 0; desc == NULL && i < VG_NELEM(rt_builtin_tools); i++)
		if (strcmp(rt_builtin_tools[i].name, name) == 0) {
			desc = rt_builtin_tools[i].description;
			params = rt_builtin_tools[i].parameters;
		}
	if (desc == NULL)
		return (NULL);
	o = json_object_new_object();
	json_object_object_add(o, "type", json_object_new_string("function"));
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "description", json_object_new_string(desc));
	json_object_object_add(o, "parameters", json_tokener_parse(params));
	return (o);
}

/* A JSON number for D, written short ("1.1", not 1.1000000000000001). */
static struct json_object *
jdouble(double d)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%.6g", d);
	if (strpbrk(buf, ".e") == NULL)
		strncat(buf, ".0", sizeof(buf) - strlen(buf) - 1);
	return (json_object_new_double_s(d, buf));
}

/* audio.input.turn_detection for AG. */
static struct json_object *
turn_json(const struct rt_agent *ag)
{
	struct json_object *td = json_object_new_object();

	json_object_object_add(td, "type",
	    json_object_new_string(ag->turn_detection));
	if (strcmp(ag->turn_detection, "server_vad") == 0) {
		json_object_object_add(td, "threshold",
		    jdouble(ag->vad_threshold));
		json_object_object_add(td, "prefix_padding_ms",
		    json_object_new_int64(ag->prefix_padding_ms));
		json_object_object_add(td, "silence_duration_ms",
		    json_object_new_int64(ag->silence_duration_ms));
		if (ag->idle_timeout_ms > 0)
			json_object_object_add(td, "idle_timeout_ms",
			    json_object_new_int64(ag->idle_timeout_ms));
	} else
		json_object_object_add(td, "eagerness",
		    json_object_new_string(ag->eagerness));
	json_object_object_add(td, "create_response",
	    json_object_new_boolean(ag->create_response));
	json_object_object_add(td, "interrupt_response",
	    json_object_new_boolean(ag->interrupt_response));
	return (td);
}

/* {"type": T} */
static struct json_object *
type_obj(const char *t)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "type", json_object_new_string(t));
	return (o);
}

/* The session object for AG with INSTRUCTIONS, VOICE and SPEED. */
static struct json_object *
session_json(const struct rt_agents *a, const struct rt_agent *ag,
    const char *instructions, const char *voice, double speed)
{
	struct json_object *s, *audio, *in, *out, *tr, *tools, *t;
	size_t i;

	s = json_object_new_object();
	json_object_object_add(s, "type", json_object_new_string("realtime"));
	json_object_object_add(s, "instructions",
	    json_object_new_string(instructions));
	t = json_object_new_array();
	json_object_array_add(t, json_object_new_string("audio"));
	json_object_object_add(s, "output_modalities", t);

	in = json_object_new_object();
	json_object_object_add(in, "format", type_obj("audio/pcmu"));
	if (ag->noise_reduction[0] != '\0')
		json_object_object_add(in, "noise_reduction",
		    type_obj(ag->noise_reduction));
	if (ag->transcription_model[0] != '\0') {
		tr = json_object_new_object();
		json_object_object_add(tr, "model",
		    json_object_new_string(ag->transcription_model));
		if (ag->transcription_language[0] != '\0')
			json_object_object_add(tr, "language",
			    json_object_new_string(
			    ag->transcription_language));
		json_object_object_add(in, "transcription", tr);
	}
	json_object_object_add(in, "turn_detection", turn_json(ag));
	out = json_object_new_object();
	json_object_object_add(out, "format", type_obj("audio/pcmu"));
	json_object_object_add(out, "voice", json_object_new_string(voice));
	json_object_object_add(out, "speed", jdouble(speed));
	audio = json_object_new_object();
	json_object_object_add(audio, "input", in);
	json_object_object_add(audio, "output", out);
	json_object_object_add(s, "audio", audio);

	tools = json_object_new_array();
	for (i = 0; i < ag->ntools; i++)
		if ((t = tool_json(a, ag->tools[i])) != NULL)
			json_object_array_add(tools, t);
	json_object_object_add(s, "tools", tools);
	if (strcmp(ag->tool_choice, "auto") == 0 ||
	    strcmp(ag->tool_choice, "none") == 0 ||
	    strcmp(ag->tool_choice, "required") == 0)
		t = json_object_new_string(ag->tool_choice);
	else {
		t = type_obj("function");
		json_object_object_add(t, "name",
		    json_object_new_string(ag->tool_choice));
	}
	json_object_object_add(s, "tool_choice", t);
	json_object_object_add(s, "max_output_tokens",
	    ag->max_output_tokens > 0 ?
	    json_object_new_int64(ag->max_output_tokens) :
	    json_object_new_string("inf"));
	return (s);
}

/* Resolve a task into the session to open. */
int
rt_task_resolve(const struct rt_agents *a, const char *text,
    struct rt_resolved *r, char *err, size_t err_size)
{
	struct json_object *task = NULL, *v, *ctx = NULL, *parsed = NULL;
	const struct rt_agent *ag;
	const char *voice, *type = NULL, *extra = NULL;
	char *instr, *full;
	double speed;

	memset(r, 0, sizeof(*r));
	if (text != NULL && text[0] == '{') {
		if ((task = json_tokener_parse(text)) == NULL) {
			snprintf(err, err_size, "task is not JSON");
			return (-1);
		}
	} else {
		task = json_object_new_object();
		json_object_object_add(task, "type", json_object_new_string(
		    text != NULL && text[0] != '\0' ? text : "default"));
	}
	if (rt_task_validate(a, task, err, err_size) == -1)
		goto fail;
	if (json_object_object_get_ex(task, "type", &v))
		type = json_object_get_string(v);
	ag = rt_agents_find(a, type);
	voice = ag->voice;
	speed = ag->speed;
	if (json_object_object_get_ex(task, "voice", &v))
		voice = json_object_get_string(v);
	if (json_object_object_get_ex(task, "speed", &v))
		speed = json_object_get_double(v);
	if (json_object_object_get_ex(task, "context", &v)) {
		if (json_object_is_type(v, json_type_object))
			ctx = v;
		else if ((parsed = json_tokener_parse(
		    json_object_get_string(v))) != NULL &&
		    json_object_is_type(parsed, json_type_object))
			ctx = parsed;
		else
			extra = json_object_get_string(v);
	}
	instr = rt_fill(json_object_object_get_ex(task, "instructions", &v) ?
	    json_object_get_string(v) : ag->instructions, ctx);
	if (json_object_object_get_ex(task, "prompt", &v) &&
	    json_object_get_string_len(v) > 0) {
		full = vg_asprintf("%s\n\n%s", instr, json_object_get_string(v));
		free(instr);
		instr = full;
	}
	if (extra != NULL && extra[0] != '\0') {
		full = vg_asprintf("%s\n\nContext: %s", instr, extra);
		free(instr);
		instr = full;
	}
	r->session = session_json(a, ag, instr, voice, speed);
	free(instr);
	r->agent = vg_xstrdup(ag->name);
	r->greeting = rt_fill(ag->greeting, ctx);
	r->transfer_to = vg_xstrdup(ag->transfer_to);
	r->interrupt_response = ag->interrupt_response;
	json_object_put(parsed);
	json_object_put(task);
	return (0);

fail:
	json_object_put(task);
	return (-1);
}

/* Free a resolved task. */
void
rt_resolved_free(struct rt_resolved *r)
{
	json_object_put(r->session);
	free(r->agent);
	free(r->greeting);
	free(r->transfer_to);
	memset(r, 0, sizeof(*r));
}

/* ---- the agents service's lists ---- */

/* The presets as JSON, each with its settings. */
struct json_object *
rt_agents_presets(const struct rt_agents *a)
{
	struct json_object *arr, *o, *tools;
	const struct rt_agent *ag;
	size_t i, j;

	arr = json_object_new_array();
	for (i = 0; i < a->nagents; i++) {
		ag = &a->agents[i];
		o = json_object_new_object();
		json_object_object_add(o, "name",
		    json_object_new_string(ag->name));
		json_object_object_add(o, "description",
		    json_object_new_string(ag->description));
		json_object_object_add(o, "default", json_object_new_boolean(
		    strcmp(ag->name, a->default_agent) == 0));
		json_object_object_add(o, "instructions",
		    json_object_new_string(ag->instructions));
		json_object_object_add(o, "voice",
		    json_object_new_string(ag->voice));
		json_object_object_add(o, "speed", jdouble(ag->speed));
		json_object_object_add(o, "turn_detection",
		    json_object_new_string(ag->turn_detection));
		tools = json_object_new_array();
		for (j = 0; j < ag->ntools; j++)
			json_object_array_add(tools,
			    json_object_new_string(ag->tools[j]));
		json_object_object_add(o, "tools", tools);
		json_object_array_add(arr, o);
	}
	return (arr);
}

/* One schema entry {"type": T, ...}. */
static struct json_object *
schema_entry(const char *type, const char *desc)
{
	struct json_object *o = type_obj(type);

	json_object_object_add(o, "description", json_object_new_string(desc));
	return (o);
}

/* What a task may override. */
struct json_object *
rt_agents_schema(void)
{
	struct json_object *s, *o, *e;
	size_t i;

	s = json_object_new_object();
	json_object_object_add(s, "type", schema_entry("string",
	    "the agent preset"));
	json_object_object_add(s, "prompt", schema_entry("string",
	    "added to the preset's instructions for this call"));
	json_object_object_add(s, "instructions", schema_entry("string",
	    "replaces the preset's instructions; {name} is filled from "
	    "context"));
	json_object_object_add(s, "context", schema_entry("object",
	    "values for the instructions' {placeholders}"));
	o = schema_entry("string", "the agent's voice");
	e = json_object_new_array();
	for (i = 0; i < VG_NELEM(rt_voices); i++)
		json_object_array_add(e, json_object_new_string(rt_voices[i]));
	json_object_object_add(o, "enum", e);
	json_object_object_add(s, "voice", o);
	o = schema_entry("number", "speech speed");
	json_object_object_add(o, "minimum",
	    json_object_new_double(RT_SPEED_MIN));
	json_object_object_add(o, "maximum",
	    json_object_new_double(RT_SPEED_MAX));
	json_object_object_add(s, "speed", o);
	return (s);
}
