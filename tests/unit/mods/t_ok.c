/* Test module: loads and unloads cleanly, noting both in the trace. */
#include "config.h"

#include <voicegate/voicegate.h>

#include "mods.h"

/* Note the load and run. */
static int
t_ok_load(struct vg_module *self)
{
	t_trace_note(self, "load");
	return (VG_LOAD_OK);
}

/* Note the unload. */
static void
t_ok_unload(struct vg_module *self)
{
	t_trace_note(self, "unload");
}

VG_MODULE_DEFINE(
	.name = "t_ok",
	.description = "test: loads fine",
	.version = "1.2",
	.load = t_ok_load,
	.unload = t_ok_unload,
);
