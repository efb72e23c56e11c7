/* net.c: stub, to be replaced by the real implementation. */
#include "config.h"

#include <string.h>

#include "core.h"

unsigned
vg_net_release_owner(struct vg_module *mod)
{
	return (0);
}

int
vg_net_start(const struct vg_settings *s)
{
	return (0);
}

int
vg_net_port(void)
{
	return (0);
}

void
vg_net_stop_accepting(void)
{
}

void
vg_net_stop(void)
{
}

void
vg_net_stats(struct vg_net_stats *st)
{
	memset(st, 0, sizeof(*st));
}
