/* Test module: load fails, leaving a service behind for the loader. */
#include "config.h"

#include <voicegate/voicegate.h>

#include "mods.h"

static const int t_fail_iface = 1;

/* Offer a service, then fail. */
static int
t_fail_load(struct vg_module *self)
{
	t_trace_note(self, "load");
	vg_service_register(self, "t_fail.svc", &t_fail_iface);
	return (VG_LOAD_FAILURE);
}

VG_MODULE_DEFINE(
	.name = "t_fail",
	.description = "test: fails",
	.load = t_fail_load,
);
