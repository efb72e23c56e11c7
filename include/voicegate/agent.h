/*
 * The agents service: how the module that drives calls' AI agents (the
 * provider, e.g. realtime_openai) tells the rest of the daemon which agent
 * presets exist and what a task may say, so a call can be refused before it
 * is placed. The provider registers it with vg_service_register(self,
 * VG_SERVICE_AGENTS, &table); users (twilio_http, ui_events) look it up
 * with vg_service_get(). Core thread only.
 *
 * A task is a JSON object: {"type": PRESET, "prompt": ..., "context":
 * {...}, "voice": ..., "speed": ..., "instructions": ...}; every field but
 * "type" overrides the preset's value for one call. The chosen task is kept
 * on the call as its "task" attribute (JSON text).
 */
#ifndef VG_AGENT_H
#define VG_AGENT_H

#include <stddef.h>

struct json_object;

#define VG_SERVICE_AGENTS	"agents"

struct vg_agents_service {
	/* Check TASK (borrowed). Returns 0, or -1 with a message for the
	 * caller (an unknown preset, a bad value) in ERR. */
	int	(*validate)(const struct json_object *task, char *err,
		    size_t err_size);
	/* The presets, as a JSON array of {"name", "description", and the
	 * preset's settings}, for pages and APIs. Returns new. */
	struct json_object *(*presets)(void);
	/* The settings a task may override, with their type and range, as a
	 * JSON object (for forms: only what this provider accepts). Returns
	 * new. */
	struct json_object *(*settings_schema)(void);
};

#endif /* VG_AGENT_H */
