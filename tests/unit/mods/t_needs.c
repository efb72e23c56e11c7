/* Test module: requires a module that does not exist. */
#include "config.h"

#include <voicegate/voicegate.h>

#include "mods.h"

/* Note the load. */
static int
t_needs_load(struct vg_module *self)
{
	t_trace_note(self, "load");
	return (VG_LOAD_OK);
}

/* Note the unload. */
static void
t_needs_unload(struct vg_module *self)
{
	t_trace_note(self, "unload");
}

VG_MODULE_DEFINE(
	.name = "t_needs",
	.description = "test: requires a module that does not exist",
	.requires = { "t_absent", NULL },
	.after = { NULL },
	.load = t_needs_load,
	.unload = t_needs_unload,
);
