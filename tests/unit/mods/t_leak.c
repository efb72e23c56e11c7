/* Test module: registers a timer, a bus subscription and a service in load
 * and releases none of them in unload; the loader must sweep all three. */
#include "config.h"

#include <voicegate/voicegate.h>

#include "mods.h"

static const int t_leak_iface = 1;

/* Never expected to fire: the test does not run the loop that long. */
static void
t_leak_tick(struct vg_timer *t, void *arg)
{
}

/* Never expected to be called. */
static void
t_leak_event(const struct vg_event *ev, void *arg)
{
}

/* Register three things and keep no record of them. */
static int
t_leak_load(struct vg_module *self)
{
	if (vg_timer_add(self, 3600 * 1000, 1, t_leak_tick, NULL) == NULL)
		return (VG_LOAD_FAILURE);
	if (vg_bus_subscribe(self, "call.*", NULL, t_leak_event, NULL) == NULL)
		return (VG_LOAD_FAILURE);
	if (vg_service_register(self, "t_leak.svc", &t_leak_iface) == -1)
		return (VG_LOAD_FAILURE);
	return (VG_LOAD_OK);
}

/* Forget to release anything. */
static void
t_leak_unload(struct vg_module *self)
{
	t_trace_note(self, "unload");
}

VG_MODULE_DEFINE(
	.name = "t_leak",
	.description = "test: forgets to release what it registered",
	.load = t_leak_load,
	.unload = t_leak_unload,
);
