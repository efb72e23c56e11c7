/* Test module: requires t_x, in a cycle. */
#include "config.h"

#include <voicegate/voicegate.h>

#include "mods.h"

/* Note the load. */
static int
t_z_load(struct vg_module *self)
{
	t_trace_note(self, "load");
	return (VG_LOAD_OK);
}

/* Note the unload. */
static void
t_z_unload(struct vg_module *self)
{
	t_trace_note(self, "unload");
}

VG_MODULE_DEFINE(
	.name = "t_z",
	.description = "test: requires t_x, in a cycle",
	.requires = { "t_x", NULL },
	.after = { NULL },
	.load = t_z_load,
	.unload = t_z_unload,
);
