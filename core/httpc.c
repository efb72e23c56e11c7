/* httpc.c: stub, to be replaced by the real implementation. */
#include "config.h"

#include "core.h"

int
vg_httpc_init(void)
{
	return (0);
}

void
vg_httpc_free(void)
{
}

unsigned
vg_httpc_release_owner(struct vg_module *mod)
{
	return (0);
}

