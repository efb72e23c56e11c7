/* calls.c: stub, to be replaced by the real implementation. */
#include "config.h"

#include "core.h"

int
vg_calls_init(void)
{
	return (0);
}

void
vg_calls_free(void)
{
}

unsigned
vg_calls_release_owner(struct vg_module *mod)
{
	return (0);
}

