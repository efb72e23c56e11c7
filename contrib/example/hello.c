/*
 * hello: the smallest useful voicegate module, built out of tree against
 * the installed headers. It answers GET /hello with a JSON greeting, logs
 * every call.* event from the bus, and adds the control command "hello".
 * Everything runs on the core thread. Configuration: hello.conf,
 *
 *   [general]
 *   greeting = Hello from voicegate
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <voicegate/voicegate.h>

#define HELLO_DEFAULT_GREETING	"Hello from voicegate"
#define HELLO_GREETING_MAX	256

/* Module state; unload resets it. */
static struct {
	struct vg_module	*self;		/* the loader's handle */
	struct vg_sub		*sub;		/* call.* subscription */
	char			 greeting[HELLO_GREETING_MAX];
} g;

/* ---- helpers ---- */

/* Read the greeting from hello.conf, or keep the default. */
static void
hello_config_load(void)
{
	const char *v;

	v = vg_conf_get(vg_module_conf(g.self), "general", "greeting");
	vg_strlcpy(g.greeting, v != NULL ? v : HELLO_DEFAULT_GREETING,
	    sizeof(g.greeting));
}

/* Write S into OUT of SIZE bytes as a JSON string, quotes included.
 * Returns 0, or -1 if it did not fit. */
static int
hello_json_string(const char *s, char *out, size_t size)
{
	size_t o = 0;
	int n;

	if (size < 3)
		return (-1);
	out[o++] = '"';
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (o + 7 >= size)
			return (-1);
		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c < 0x20) {
			n = snprintf(out + o, size - o, "\\u%04x", c);
			o += (size_t)n;
		} else
			out[o++] = (char)c;
	}
	out[o++] = '"';
	out[o] = '\0';
	return (0);
}

/* ---- HTTP ---- */

/* GET /hello: {"greeting": "..."}. */
static void
hello_http_get(struct vg_http_req *req, void *arg)
{
	char quoted[HELLO_GREETING_MAX * 6 + 3], body[sizeof(quoted) + 32];
	int n;

	if (hello_json_string(g.greeting, quoted, sizeof(quoted)) == -1) {
		vg_http_respond_error(req, 500, "greeting too long");
		return;
	}
	n = snprintf(body, sizeof(body), "{\"greeting\":%s}\n", quoted);
	vg_http_respond(req, 200, "application/json", body, (size_t)n);
}

/* ---- bus ---- */

/* Log each call event as it passes. */
static void
hello_bus_call(const struct vg_event *ev, void *arg)
{
	vg_log_call(VG_LOG_INFO, vg_event_call_id(ev), "saw %s",
	    vg_event_type(ev));
}

/* ---- control commands ---- */

/* "hello": print the greeting. */
static int
hello_cli_hello(struct vg_cli *cli, int argc, char **argv)
{
	vg_cli_printf(cli, "%s\n", g.greeting);
	return (VG_CLI_OK);
}

static const struct vg_cli_cmd hello_cli[] = {
	{ "hello", "hello", "print the hello module's greeting",
	    hello_cli_hello },
};

/* ---- load, reload, unload ---- */

/* Register the route, the subscription and the command. */
static int
hello_load(struct vg_module *self)
{
	g.self = self;
	hello_config_load();
	if (vg_http_route(self, "GET", "/hello", hello_http_get, NULL) == -1)
		goto fail;
	g.sub = vg_bus_subscribe(self, "call.*", NULL, hello_bus_call, NULL);
	if (g.sub == NULL)
		goto fail_route;
	if (vg_cli_add(self, hello_cli, VG_NELEM(hello_cli)) == -1)
		goto fail_sub;
	vg_log(VG_LOG_NOTICE, "greeting: %s", g.greeting);
	return (VG_LOAD_OK);

fail_sub:
	vg_bus_unsubscribe(g.sub);
	g.sub = NULL;
fail_route:
	vg_http_unroute(self, "GET", "/hello");
fail:
	return (VG_LOAD_DECLINE);
}

/* Pick up a changed greeting. */
static int
hello_reload(struct vg_module *self)
{
	hello_config_load();
	return (0);
}

/* Release what load took, in reverse. */
static void
hello_unload(struct vg_module *self)
{
	vg_cli_remove(self, hello_cli, VG_NELEM(hello_cli));
	vg_bus_unsubscribe(g.sub);
	vg_http_unroute(self, "GET", "/hello");
	memset(&g, 0, sizeof(g));
}

VG_MODULE_DEFINE(
	.name = "hello",
	.description = "Example out-of-tree module: GET /hello",
	.version = "1.0",
	.load = hello_load,
	.unload = hello_unload,
	.reload = hello_reload,
);
