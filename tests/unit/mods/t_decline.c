/* Test module: registers a service, then declines without undoing it, so
 * the loader must release it. */
#include "config.h"

#include <voicegate/voicegate.h>

#include "mods.h"

static const int t_decline_iface = 1;

/* Offer a service, then say "not configured". */
static int
t_decline_load(struct vg_module *self)
{
	t_trace_note(self, "load");
	vg_service_register(self, "t_decline.svc", &t_decline_iface);
	return (VG_LOAD_DECLINE);
}

VG_MODULE_DEFINE(
	.name = "t_decline",
	.description = "test: declines",
	.load = t_decline_load,
);
