/* service.c: stub, to be replaced by the real implementation. */
#include "config.h"

#include "core.h"

unsigned
vg_service_release_owner(struct vg_module *mod)
{
	return (0);
}

int
vg_service_in_use(const struct vg_module *mod, char *user, size_t user_size)
{
	return (0);
}
