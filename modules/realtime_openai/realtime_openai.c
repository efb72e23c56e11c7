/*
 * realtime_openai: each call's AI agent over the OpenAI Realtime API (GA).
 * On media.started it opens one Realtime WebSocket for the call, set up
 * from the call's task (the "task" attribute) and the agent presets of
 * agents.conf; media.stopped and call.ended close it at once. It provides
 * the agents service (voicegate/agent.h) so tasks are checked before a
 * call is placed. Everything runs on the core thread. Configuration:
 * realtime_openai.conf, section [realtime]; without an API key the module
 * declines.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <voicegate/voicegate.h>

#include "realtime_openai.h"

#define RT_SECTION		"realtime"

/* Module state; unload resets it. */
static struct {
	struct vg_module	*self;
	struct rt_config	 cfg;
	struct rt_agents	 agents;
	struct rt_ctx		 ctx;
	struct vg_sub		*sub_started;
	struct vg_sub		*sub_stopped;
	struct vg_sub		*sub_ended;
	struct vg_sub		*sub_audio;
	unsigned		 service:1;
} g;

/* Event types this module publishes. */
static const struct {
	const char	*type;
	const char	*description;
} rt_types[] = {
	{ "audio.out", "agent audio, PCMU 8000 Hz" },
	{ "audio.mark", "a named point after the agent audio so far" },
	{ "audio.clear", "drop the agent audio not yet played" },
	{ "transcript.partial", "the text so far of a caller or agent turn" },
	{ "transcript.final", "the final text of a caller or agent turn" },
	{ "agent.interrupted", "the caller cut the agent off: heard_ms" },
	{ "agent.error", "an error from the AI provider" },
	{ "tool.call", "the agent calls a tool: answer with tool.result" },
	{ "tool.result", "a tool's answer to tool.call" },
	{ "usage", "token usage and rate limits from the AI provider" },
	{ "call.hangup", "request: end the call" },
	{ "call.transfer", "request: transfer the call to a number" },
};

/* ---- the agents service ---- */

/* agents service: check a task. */
static int
rt_svc_validate(const struct json_object *task, char *err, size_t err_size)
{
	return (rt_task_validate(&g.agents, task, err, err_size));
}

/* agents service: the presets. */
static struct json_object *
rt_svc_presets(void)
{
	return (rt_agents_presets(&g.agents));
}

/* agents service: what a task may set. */
static struct json_object *
rt_svc_schema(void)
{
	return (rt_agents_schema());
}

static const struct vg_agents_service rt_agents_service = {
	rt_svc_validate, rt_svc_presets, rt_svc_schema,
};

/* ---- bus handlers ---- */

/* media.started: the call's audio flows; open its Realtime session. */
static void
rt_on_media_started(const struct vg_event *ev, void *arg)
{
	const char *id = vg_event_call_id(ev);
	struct vg_call *call;

	if (id[0] == '\0' || rt_call_find(&g.ctx, id) != NULL)
		return;
	call = vg_call_find(id);
	rt_call_start(&g.ctx, id, call != NULL ? vg_call_attr(call, "task") :
	    NULL);
}

/* media.stopped / call.ended: no session outlives its call. */
static void
rt_on_call_gone(const struct vg_event *ev, void *arg)
{
	struct rt_call *rc;

	if ((rc = rt_call_find(&g.ctx, vg_event_call_id(ev))) != NULL)
		rt_call_end(rc);
}

/* ---- configuration ---- */

/* Parse a duration: "10" or "10s" (seconds) or "250ms". Returns 0 or -1. */
static int
parse_duration(const char *s, unsigned min_ms, unsigned max_ms,
    unsigned *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s)
		return (-1);
	if (strcmp(end, "ms") == 0)
		;
	else if (*end == '\0' || strcmp(end, "s") == 0)
		v *= 1000;
	else
		return (-1);
	if (v < min_ms || v > max_ms)
		return (-1);
	*out = (unsigned)v;
	return (0);
}

/* Read duration KEY into *OUT. Returns 0 or -1 (logged). */
static int
conf_duration(struct vg_conf *conf, const char *key, unsigned min_ms,
    unsigned max_ms, unsigned *out)
{
	const char *v = vg_conf_get(conf, RT_SECTION, key);

	if (v == NULL)
		return (0);
	if (parse_duration(v, min_ms, max_ms, out) == -1) {
		vg_log(VG_LOG_ERROR, "%s: %s = \"%s\": a duration from %ums to "
		    "%ums (\"10\" is seconds, \"250ms\" milliseconds)",
		    vg_conf_path(conf), key, v, min_ms, max_ms);
		return (-1);
	}
	return (0);
}

/* Read string KEY into *OUT (DEF when absent). */
static void
conf_string(struct vg_conf *conf, const char *key, const char *def,
    char **out)
{
	const char *v = vg_conf_get(conf, RT_SECTION, key);

	*out = vg_xstrdup(v != NULL ? v : def);
}

/* Free a configuration. */
static void
config_free(struct rt_config *c)
{
	if (c->api_key != NULL)
		explicit_bzero(c->api_key, strlen(c->api_key));
	free(c->api_key);
	free(c->url);
	free(c->model);
	free(c->agents_path);
	free(c->apology);
	free(c->goodbye);
	memset(c, 0, sizeof(*c));
}

/* Read realtime_openai.conf and agents.conf into C and A. Returns 0, or
 * -1 (logged once) when the module should not run. */
static int
config_read(struct rt_config *c, struct rt_agents *a)
{
	struct vg_conf *conf = vg_module_conf(g.self);
	char err[RT_ERR_MAX], *path;
	long long n;

	memset(c, 0, sizeof(*c));
	if (conf == NULL) {
		vg_log(VG_LOG_NOTICE, "no realtime_openai.conf: not running");
		return (-1);
	}
	conf_string(conf, "api_key", "", &c->api_key);
	conf_string(conf, "url", "wss://api.openai.com/v1/realtime", &c->url);
	conf_string(conf, "model", "gpt-realtime", &c->model);
	conf_string(conf, "agents", "agents.conf", &c->agents_path);
	conf_string(conf, "apology", "Sorry, I lost you for a moment.",
	    &c->apology);
	conf_string(conf, "goodbye", "Thank you for calling. Goodbye!",
	    &c->goodbye);
	c->append_ms = 20;
	c->connect_timeout_ms = 10000;
	c->tool_timeout_ms = 10000;
	c->reconnect_attempts = 3;
	c->reconnect_backoff_ms = 500;
	c->session_max_minutes = 55;
	if (c->api_key[0] == '\0') {
		vg_log(VG_LOG_NOTICE, "no api_key (OPENAI_API_KEY): not "
		    "running");
		goto fail;
	}
	if (strncmp(c->url, "wss://", 6) != 0 &&
	    strncmp(c->url, "ws://", 5) != 0) {
		vg_log(VG_LOG_ERROR, "url must be ws:// or wss://");
		goto fail;
	}
	if (vg_conf_get_int(conf, RT_SECTION, "append_ms", 10, 200, &n) == -1)
		goto fail;
	if (vg_conf_get(conf, RT_SECTION, "append_ms") != NULL)
		c->append_ms = (unsigned)n;
	if (conf_duration(conf, "connect_timeout", 10, 120000,
	    &c->connect_timeout_ms) == -1 ||
	    conf_duration(conf, "tool_timeout", 10, 600000,
	    &c->tool_timeout_ms) == -1 ||
	    conf_duration(conf, "reconnect_backoff", 10, 60000,
	    &c->reconnect_backoff_ms) == -1)
		goto fail;
	n = c->reconnect_attempts;
	if (vg_conf_get_int(conf, RT_SECTION, "reconnect_attempts", 0, 10,
	    &n) == -1)
		goto fail;
	c->reconnect_attempts = (unsigned)n;
	n = c->session_max_minutes;
	if (vg_conf_get_int(conf, RT_SECTION, "session_max_minutes", 0, 59,
	    &n) == -1)
		goto fail;
	c->session_max_minutes = (unsigned)n;
	path = c->agents_path[0] == '/' ? vg_xstrdup(c->agents_path) :
	    vg_asprintf("%s/%s", vg_confdir() != NULL ? vg_confdir() : ".",
	    c->agents_path);
	if (rt_agents_load(path, a, err, sizeof(err)) == -1) {
		vg_log(VG_LOG_ERROR, "agents: %s", err);
		free(path);
		goto fail;
	}
	free(path);
	return (0);

fail:
	config_free(c);
	return (-1);
}

/* Register the event types we publish (another owner is fine). */
static void
rt_register_types(void)
{
	size_t i;

	for (i = 0; i < VG_NELEM(rt_types); i++)
		if (vg_bus_register_type(g.self, rt_types[i].type,
		    rt_types[i].description, NULL) == -1)
			vg_log(VG_LOG_DEBUG, "event type %s has another owner",
			    rt_types[i].type);
}

/* ---- load / reload / unload ---- */

/* Load: read the configuration, offer the agents service, listen. */
static int
realtime_openai_load(struct vg_module *self)
{
	memset(&g, 0, sizeof(g));
	g.self = self;
	if (config_read(&g.cfg, &g.agents) == -1)
		return (VG_LOAD_DECLINE);
	g.ctx.self = self;
	g.ctx.cfg = &g.cfg;
	g.ctx.agents = &g.agents;
	if (vg_service_register(self, VG_SERVICE_AGENTS,
	    &rt_agents_service) == -1) {
		vg_log(VG_LOG_ERROR, "the agents service is taken");
		goto fail_conf;
	}
	g.service = 1;
	rt_register_types();
	if ((g.sub_started = vg_bus_subscribe(self, "media.started", NULL,
	    rt_on_media_started, NULL)) == NULL)
		goto fail_service;
	if ((g.sub_stopped = vg_bus_subscribe(self, "media.stopped", NULL,
	    rt_on_call_gone, NULL)) == NULL)
		goto fail_started;
	if ((g.sub_ended = vg_bus_subscribe(self, "call.ended", NULL,
	    rt_on_call_gone, NULL)) == NULL)
		goto fail_stopped;
	if ((g.sub_audio = vg_bus_subscribe(self, "audio.in", NULL,
	    rt_on_audio_in, &g.ctx)) == NULL)
		goto fail_ended;
	vg_log(VG_LOG_NOTICE, "%zu agents, model %s", g.agents.nagents,
	    g.cfg.model);
	return (VG_LOAD_OK);

fail_ended:
	vg_bus_unsubscribe(g.sub_ended);
fail_stopped:
	vg_bus_unsubscribe(g.sub_stopped);
fail_started:
	vg_bus_unsubscribe(g.sub_started);
fail_service:
	vg_service_unregister(self, VG_SERVICE_AGENTS);
fail_conf:
	rt_agents_free(&g.agents);
	config_free(&g.cfg);
	return (VG_LOAD_DECLINE);
}

/* Reload: new settings and presets for new calls; live calls go on. */
static int
realtime_openai_reload(struct vg_module *self)
{
	struct rt_config c;
	struct rt_agents a;

	if (config_read(&c, &a) == -1)
		return (-1);
	config_free(&g.cfg);
	rt_agents_free(&g.agents);
	g.cfg = c;
	g.agents = a;
	return (0);
}

/* Unload: close every session, then release what load took. */
static void
realtime_openai_unload(struct vg_module *self)
{
	while (g.ctx.calls != NULL)
		rt_call_end(g.ctx.calls);
	rt_ctx_forget(&g.ctx);
	vg_bus_unsubscribe(g.sub_audio);
	vg_bus_unsubscribe(g.sub_ended);
	vg_bus_unsubscribe(g.sub_stopped);
	vg_bus_unsubscribe(g.sub_started);
	if (g.service)
		vg_service_unregister(self, VG_SERVICE_AGENTS);
	rt_agents_free(&g.agents);
	config_free(&g.cfg);
	memset(&g, 0, sizeof(g));
}

VG_MODULE_DEFINE(
	.name = "realtime_openai",
	.description = "each call's AI agent over the OpenAI Realtime API",
	.version = "1.0",
	.load = realtime_openai_load,
	.unload = realtime_openai_unload,
	.reload = realtime_openai_reload,
);
