/* cli.c: stub, to be replaced by the real implementation. */
#include "config.h"

#include "core.h"

unsigned
vg_cli_release_owner(struct vg_module *mod)
{
	return (0);
}

int
vg_cli_core_commands(void)
{
	return (0);
}
