/* Test module: requires t_b. */
#include "config.h"

#include <voicegate/voicegate.h>

#include "mods.h"

/* Note the load. */
static int
t_c_load(struct vg_module *self)
{
	t_trace_note(self, "load");
	return (VG_LOAD_OK);
}

/* Note the unload. */
static void
t_c_unload(struct vg_module *self)
{
	t_trace_note(self, "unload");
}

VG_MODULE_DEFINE(
	.name = "t_c",
	.description = "test: requires t_b",
	.requires = { "t_b", NULL },
	.after = { NULL },
	.load = t_c_load,
	.unload = t_c_unload,
);
