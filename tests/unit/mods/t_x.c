/* Test module: requires t_y, which requires it. */
#include "config.h"

#include <voicegate/voicegate.h>

#include "mods.h"

/* Note the load. */
static int
t_x_load(struct vg_module *self)
{
	t_trace_note(self, "load");
	return (VG_LOAD_OK);
}

/* Note the unload. */
static void
t_x_unload(struct vg_module *self)
{
	t_trace_note(self, "unload");
}

VG_MODULE_DEFINE(
	.name = "t_x",
	.description = "test: requires t_y, which requires it",
	.requires = { "t_y", NULL },
	.after = { NULL },
	.load = t_x_load,
	.unload = t_x_unload,
);
