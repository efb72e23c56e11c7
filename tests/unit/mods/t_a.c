/* Test module: the root of a chain. */
#include "config.h"

#include <voicegate/voicegate.h>

#include "mods.h"

/* Note the load. */
static int
t_a_load(struct vg_module *self)
{
	t_trace_note(self, "load");
	return (VG_LOAD_OK);
}

/* Note the unload. */
static void
t_a_unload(struct vg_module *self)
{
	t_trace_note(self, "unload");
}

VG_MODULE_DEFINE(
	.name = "t_a",
	.description = "test: the root of a chain",
	.requires = { NULL },
	.after = { NULL },
	.load = t_a_load,
	.unload = t_a_unload,
);
