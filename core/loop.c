/* loop.c: stub, to be replaced by the real implementation. */
#include "config.h"

#include "core.h"

int
vg_loop_init(void)
{
	return (0);
}

void
vg_loop_free(void)
{
}

unsigned
vg_loop_release_owner(struct vg_module *mod)
{
	return (0);
}

