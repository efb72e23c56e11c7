/* bus.c: stub, to be replaced by the real implementation. */
#include "config.h"

#include "core.h"

int
vg_bus_init(void)
{
	return (0);
}

void
vg_bus_free(void)
{
}

unsigned
vg_bus_release_owner(struct vg_module *mod)
{
	return (0);
}

