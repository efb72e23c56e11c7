/*
 * echo: a loopback module for tests and benchmarks, and the smallest
 * complete example of the module API in this tree. It serves a WebSocket
 * endpoint that sends every message back, an HTTP route that answers the
 * request body back, and, when enabled, plays every call's caller audio
 * (audio.in) back to the same call (audio.out). Core thread only.
 * Configuration: echo.conf, section [echo].
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include <voicegate/voicegate.h>

#define ECHO_PATH_MAX	128

static struct {
	struct vg_module	*self;
	char			 ws_path[ECHO_PATH_MAX];
	char			 http_path[ECHO_PATH_MAX];
	int			 audio_loopback;
	struct vg_sub		*audio_sub;
	struct vg_metric	*ws_messages;
	struct vg_metric	*audio_frames;
} g;

/* ---- WebSocket ---- */

/* Send every message back as it came. */
static void
echo_ws_message(struct vg_ws_conn *conn, const void *data, size_t len,
    int binary, void *arg)
{
	vg_metric_inc(g.ws_messages, 1);
	vg_ws_send(conn, data, len, binary);
}

static const struct vg_ws_handlers echo_ws_handlers = {
	.on_message = echo_ws_message,
};

/* ---- HTTP ---- */

/* Answer the request body back with its content type. */
static void
echo_http(struct vg_http_req *req, void *arg)
{
	const char *type = vg_http_req_header(req, "content-type");
	const char *body;
	size_t len;

	body = vg_http_req_body(req, &len);
	vg_http_respond(req, 200, type != NULL ? type : "text/plain", body,
	    len);
}

/* ---- bus ---- */

/* Publish the caller's frame back to the same call. */
static void
echo_audio(const struct vg_event *ev, void *arg)
{
	const struct vg_audio_frame *f = vg_event_audio(ev);
	struct vg_event *out;

	if (f == NULL)
		return;
	out = vg_event_new_audio("audio.out", vg_event_call_id(ev), f->codec,
	    f->rate, f->media_ts_ms, f->data, f->len);
	if (out != NULL && vg_bus_publish(out) == 0)
		vg_metric_inc(g.audio_frames, 1);
}

/* ---- control ---- */

/* "echo show": what the module serves. */
static int
echo_cli_show(struct vg_cli *cli, int argc, char **argv)
{
	if (vg_cli_wants_json(cli)) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "ws_path",
		    json_object_new_string(g.ws_path));
		json_object_object_add(o, "http_path",
		    json_object_new_string(g.http_path));
		json_object_object_add(o, "audio_loopback",
		    json_object_new_boolean(g.audio_loopback));
		json_object_object_add(o, "ws_messages",
		    json_object_new_int64(vg_metric_value(g.ws_messages)));
		vg_cli_set_json(cli, o);
	}
	vg_cli_printf(cli, "WebSocket echo: %s\nHTTP echo:      %s\n"
	    "audio loopback: %s\nmessages:       %lld\n", g.ws_path,
	    g.http_path, g.audio_loopback ? "on" : "off",
	    (long long)vg_metric_value(g.ws_messages));
	return (VG_CLI_OK);
}

static const struct vg_cli_cmd echo_cli[] = {
	{ "echo show", "echo show", "what the echo module serves",
	    echo_cli_show },
};

/* ---- configuration and lifecycle ---- */

/* Read echo.conf (every key optional). Returns 0 or -1. */
static int
echo_config_load(void)
{
	struct vg_conf *conf = vg_module_conf(g.self);
	const char *v;

	vg_strlcpy(g.ws_path, "/echo", sizeof(g.ws_path));
	vg_strlcpy(g.http_path, "/echo", sizeof(g.http_path));
	g.audio_loopback = 1;
	if (conf == NULL)
		return (0);
	if ((v = vg_conf_get(conf, "echo", "ws_path")) != NULL)
		vg_strlcpy(g.ws_path, v, sizeof(g.ws_path));
	if ((v = vg_conf_get(conf, "echo", "http_path")) != NULL)
		vg_strlcpy(g.http_path, v, sizeof(g.http_path));
	if (g.ws_path[0] != '/' || g.http_path[0] != '/') {
		vg_log(VG_LOG_ERROR, "echo.conf: paths must start with /");
		return (-1);
	}
	return (vg_conf_get_bool(conf, "echo", "audio_loopback",
	    &g.audio_loopback));
}

static int
echo_load(struct vg_module *self)
{
	g.self = self;
	if (echo_config_load() == -1)
		return (VG_LOAD_DECLINE);
	g.ws_messages = vg_metric_add(self, "echo_ws_messages_total",
	    VG_METRIC_COUNTER, "WebSocket messages echoed");
	g.audio_frames = vg_metric_add(self, "echo_audio_frames_total",
	    VG_METRIC_COUNTER, "audio frames played back");
	if (vg_ws_endpoint(self, g.ws_path, &echo_ws_handlers, NULL) == -1)
		goto fail;
	if (vg_http_route(self, "POST", g.http_path, echo_http, NULL) == -1)
		goto fail_ws;
	if (g.audio_loopback && (g.audio_sub = vg_bus_subscribe(self,
	    "audio.in", NULL, echo_audio, NULL)) == NULL)
		goto fail_route;
	if (vg_cli_add(self, echo_cli, VG_NELEM(echo_cli)) == -1)
		goto fail_sub;
	return (VG_LOAD_OK);

fail_sub:
	if (g.audio_sub != NULL)
		vg_bus_unsubscribe(g.audio_sub);
	g.audio_sub = NULL;
fail_route:
	vg_http_unroute(self, "POST", g.http_path);
fail_ws:
	vg_ws_unendpoint(self, g.ws_path);
fail:
	vg_metric_remove(g.audio_frames);
	vg_metric_remove(g.ws_messages);
	return (VG_LOAD_FAILURE);
}

static void
echo_unload(struct vg_module *self)
{
	vg_cli_remove(self, echo_cli, VG_NELEM(echo_cli));
	if (g.audio_sub != NULL)
		vg_bus_unsubscribe(g.audio_sub);
	vg_http_unroute(self, "POST", g.http_path);
	vg_ws_unendpoint(self, g.ws_path);
	vg_metric_remove(g.audio_frames);
	vg_metric_remove(g.ws_messages);
	memset(&g, 0, sizeof(g));
}

VG_MODULE_DEFINE(
	.name = "echo",
	.description = "Loopback for tests and benchmarks: WebSocket, HTTP "
	    "and call audio echo",
	.version = PACKAGE_VERSION,
	.load = echo_load,
	.unload = echo_unload,
);
