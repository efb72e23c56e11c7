/* Test module: counts load, unload and reload in the test's trace, and
 * copies the greeting from its own t_rec.conf there each time it reads it.
 * Declines when t_rec.conf says enabled = no. */
#include "config.h"

#include <voicegate/voicegate.h>

#include "mods.h"

/* Count one call of WHAT and copy the configured greeting. */
static void
t_rec_note(struct vg_module *self, int what)
{
	struct t_trace *t;
	const char *greeting;

	t = (struct t_trace *)vg_service_get(self, T_TRACE_SERVICE);
	if (t == NULL)
		return;
	if (what == 0)
		t->loads++;
	else if (what == 1)
		t->unloads++;
	else
		t->reloads++;
	greeting = vg_conf_get(vg_module_conf(self), "general", "greeting");
	vg_strlcpy(t->greeting, greeting != NULL ? greeting : "(none)",
	    sizeof(t->greeting));
	vg_service_release(self, T_TRACE_SERVICE);
}

/* Count the load; decline when switched off. */
static int
t_rec_load(struct vg_module *self)
{
	const char *on;

	on = vg_conf_get(vg_module_conf(self), "general", "enabled");
	if (on != NULL && strcmp(on, "no") == 0)
		return (VG_LOAD_DECLINE);
	t_rec_note(self, 0);
	return (VG_LOAD_OK);
}

/* Count the unload. */
static void
t_rec_unload(struct vg_module *self)
{
	t_rec_note(self, 1);
}

/* Count the reload. */
static int
t_rec_reload(struct vg_module *self)
{
	t_rec_note(self, 2);
	return (0);
}

VG_MODULE_DEFINE(
	.name = "t_rec",
	.description = "test: records its lifecycle",
	.version = "0.1",
	.load = t_rec_load,
	.unload = t_rec_unload,
	.reload = t_rec_reload,
);
