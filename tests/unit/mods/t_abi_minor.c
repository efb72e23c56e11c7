/* Test module: a hand-made descriptor with a newer minor ABI; the loader
 * must refuse it before calling anything. */
#include "config.h"

#include <voicegate/voicegate.h>

#include "mods.h"

/* Must never run. */
static int
t_abi_minor_load(struct vg_module *self)
{
	t_trace_note(self, "load");
	return (VG_LOAD_OK);
}

__attribute__((visibility("default")))
const struct vg_module_info vg_module_info = {
	.abi = VG_ABI_WORD(VG_ABI_MAJOR, VG_ABI_MINOR + 1),
	.name = "t_abi_minor",
	.description = "test: a newer minor ABI",
	.load = t_abi_minor_load,
};
