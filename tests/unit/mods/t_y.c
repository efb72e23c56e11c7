/* Test module: requires t_x, which requires it. */
#include "config.h"

#include <voicegate/voicegate.h>

#include "mods.h"

/* Note the load. */
static int
t_y_load(struct vg_module *self)
{
	t_trace_note(self, "load");
	return (VG_LOAD_OK);
}

/* Note the unload. */
static void
t_y_unload(struct vg_module *self)
{
	t_trace_note(self, "unload");
}

VG_MODULE_DEFINE(
	.name = "t_y",
	.description = "test: requires t_x, which requires it",
	.requires = { "t_x", NULL },
	.after = { NULL },
	.load = t_y_load,
	.unload = t_y_unload,
);
