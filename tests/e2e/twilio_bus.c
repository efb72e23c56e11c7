/*
 * Test module for tests/e2e/twilio.sh (never installed): a window on the
 * bus of the real daemon. "e2e publish TYPE CALL_ID [JSON]" publishes a
 * control event as another module would (call.hangup, audio.clear...);
 * "e2e events" lists the call.*, media.* and audio.marked/played events
 * seen since load, one "TYPE CALL_ID PAYLOAD" line each (--json: an
 * array); for tests/e2e/realtime.sh also what the AI side publishes
 * (transcript.*, agent.*, tool.*, usage). Core thread only, like every
 * module.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <voicegate/voicegate.h>

#define E2E_MAX_EVENTS	4096

static const char *const e2e_patterns[] = {
	"call.*", "media.*", "audio.marked", "audio.played",
	"transcript.*", "agent.*", "tool.*", "usage",
};

static struct {
	struct vg_module	*self;
	struct vg_sub		*subs[VG_NELEM(e2e_patterns)];
	char			*lines[E2E_MAX_EVENTS];
	size_t			 n;
} g;

/* Remember EV as one line. */
static void
e2e_on_event(const struct vg_event *ev, void *arg)
{
	struct json_object *p = vg_event_json(ev);

	(void)arg;
	if (g.n == E2E_MAX_EVENTS)
		return;
	g.lines[g.n++] = vg_asprintf("%s %s %s", vg_event_type(ev),
	    *vg_event_call_id(ev) != '\0' ? vg_event_call_id(ev) : "-",
	    p != NULL ? json_object_to_json_string_ext(p,
	    JSON_C_TO_STRING_PLAIN) : "{}");
}

/* "e2e publish TYPE CALL_ID [JSON]": publish a control event. */
static int
e2e_cli_publish(struct vg_cli *cli, int argc, char **argv)
{
	struct json_object *p = NULL;

	if (argc < 2 || argc > 3) {
		vg_cli_printf(cli, "usage: e2e publish TYPE CALL_ID [JSON]\n");
		return (VG_CLI_ERROR);
	}
	if (argc == 3 && ((p = json_tokener_parse(argv[2])) == NULL ||
	    !json_object_is_type(p, json_type_object))) {
		json_object_put(p);
		vg_cli_printf(cli, "e2e publish: the payload is not a JSON "
		    "object\n");
		return (VG_CLI_ERROR);
	}
	if (vg_bus_emit(argv[0], strcmp(argv[1], "-") == 0 ? NULL : argv[1],
	    p) == -1) {
		vg_cli_printf(cli, "e2e publish: not published\n");
		return (VG_CLI_ERROR);
	}
	vg_cli_printf(cli, "published %s\n", argv[0]);
	return (VG_CLI_OK);
}

/* "e2e say CALL_ID MS": MS ms of a μ-law square wave as audio.out, in
 * 20 ms frames published at once (faster than real time, as a model
 * answers). */
static int
e2e_cli_say(struct vg_cli *cli, int argc, char **argv)
{
	uint8_t frame[160];
	struct vg_event *ev;
	long ms, i;
	char *end;

	if (argc != 2 || (ms = strtol(argv[1], &end, 10)) < 20 ||
	    ms > 60000 || *end != '\0') {
		vg_cli_printf(cli, "usage: e2e say CALL_ID MS (20-60000)\n");
		return (VG_CLI_ERROR);
	}
	for (i = 0; i < (long)sizeof(frame); i++)
		frame[i] = (i / 10) % 2 ? 0x1f : 0x9f;
	for (i = 0; i < ms / 20; i++) {
		ev = vg_event_new_audio("audio.out", argv[0], VG_CODEC_PCMU,
		    8000, (uint64_t)i * 20, frame, sizeof(frame));
		if (ev == NULL || vg_bus_publish(ev) == -1) {
			vg_cli_printf(cli, "e2e say: not published\n");
			return (VG_CLI_ERROR);
		}
	}
	vg_cli_printf(cli, "published %ld frames\n", ms / 20);
	return (VG_CLI_OK);
}

/* "e2e events": what was seen. */
static int
e2e_cli_events(struct vg_cli *cli, int argc, char **argv)
{
	struct json_object *a;
	size_t i;

	(void)argc;
	(void)argv;
	a = json_object_new_array();
	for (i = 0; i < g.n; i++) {
		vg_cli_printf(cli, "%s\n", g.lines[i]);
		json_object_array_add(a, json_object_new_string(g.lines[i]));
	}
	vg_cli_set_json(cli, a);
	return (VG_CLI_OK);
}

static const struct vg_cli_cmd e2e_cli[] = {
	{ "e2e publish", "e2e publish TYPE CALL_ID [JSON]",
	    "test: publish a control event", e2e_cli_publish },
	{ "e2e say", "e2e say CALL_ID MS", "test: publish agent audio",
	    e2e_cli_say },
	{ "e2e events", "e2e events", "test: call/media events seen",
	    e2e_cli_events },
};

/* Free what was recorded and drop the subscriptions. */
static void
e2e_unload(struct vg_module *self)
{
	size_t i;

	vg_cli_remove(self, e2e_cli, VG_NELEM(e2e_cli));
	for (i = 0; i < VG_NELEM(g.subs); i++)
		if (g.subs[i] != NULL)
			vg_bus_unsubscribe(g.subs[i]);
	for (i = 0; i < g.n; i++)
		free(g.lines[i]);
	memset(&g, 0, sizeof(g));
}

static int
e2e_load(struct vg_module *self)
{
	size_t i;

	g.self = self;
	for (i = 0; i < VG_NELEM(e2e_patterns); i++)
		if ((g.subs[i] = vg_bus_subscribe(self, e2e_patterns[i], NULL,
		    e2e_on_event, NULL)) == NULL)
			goto fail;
	if (vg_cli_add(self, e2e_cli, VG_NELEM(e2e_cli)) == -1)
		goto fail;
	return (VG_LOAD_OK);

fail:
	for (i = 0; i < VG_NELEM(g.subs); i++)
		if (g.subs[i] != NULL)
			vg_bus_unsubscribe(g.subs[i]);
	memset(&g, 0, sizeof(g));
	return (VG_LOAD_FAILURE);
}

VG_MODULE_DEFINE(
	.name = "twilio_bus",
	.description = "test: publish control events, list call events",
	.version = "1.0",
	.load = e2e_load,
	.unload = e2e_unload,
);
