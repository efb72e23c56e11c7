/* Test module: uses t_prov's service without requiring t_prov, so only the
 * service registry knows t_prov is in use. */
#include "config.h"

#include <voicegate/voicegate.h>

#include "mods.h"

/* Take the service, or decline without it. */
static int
t_user_load(struct vg_module *self)
{
	const int *api;

	if ((api = vg_service_get(self, "t_prov.api")) == NULL ||
	    *api != 42)
		return (VG_LOAD_DECLINE);
	return (VG_LOAD_OK);
}

/* Give the service back. */
static void
t_user_unload(struct vg_module *self)
{
	vg_service_release(self, "t_prov.api");
	t_trace_note(self, "unload");
}

VG_MODULE_DEFINE(
	.name = "t_user",
	.description = "test: uses t_prov's service",
	.after = { "t_prov", NULL },
	.load = t_user_load,
	.unload = t_user_unload,
);
