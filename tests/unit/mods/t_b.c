/* Test module: requires t_a. */
#include "config.h"

#include <voicegate/voicegate.h>

#include "mods.h"

/* Note the load. */
static int
t_b_load(struct vg_module *self)
{
	t_trace_note(self, "load");
	return (VG_LOAD_OK);
}

/* Note the unload. */
static void
t_b_unload(struct vg_module *self)
{
	t_trace_note(self, "unload");
}

VG_MODULE_DEFINE(
	.name = "t_b",
	.description = "test: requires t_a",
	.requires = { "t_a", NULL },
	.after = { NULL },
	.load = t_b_load,
	.unload = t_b_unload,
);
