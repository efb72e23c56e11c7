/* metrics.c: stub, to be replaced by the real implementation. */
#include "config.h"

#include "core.h"

int
vg_metrics_init(void)
{
	return (0);
}

void
vg_metrics_free(void)
{
}

unsigned
vg_metrics_release_owner(struct vg_module *mod)
{
	return (0);
}

int
vg_metrics_routes(void)
{
	return (0);
}

char *
vg_metrics_render(size_t *len)
{
	*len = 0;
	return (vg_xstrdup(""));
}
