/* Test module: offers the service "t_prov.api" and withdraws it in
 * unload. */
#include "config.h"

#include <voicegate/voicegate.h>

#include "mods.h"

static const int t_prov_api = 42;

/* Offer the service. */
static int
t_prov_load(struct vg_module *self)
{
	if (vg_service_register(self, "t_prov.api", &t_prov_api) == -1)
		return (VG_LOAD_FAILURE);
	return (VG_LOAD_OK);
}

/* Withdraw it. */
static void
t_prov_unload(struct vg_module *self)
{
	vg_service_unregister(self, "t_prov.api");
	t_trace_note(self, "unload");
}

VG_MODULE_DEFINE(
	.name = "t_prov",
	.description = "test: offers a service",
	.load = t_prov_load,
	.unload = t_prov_unload,
);
