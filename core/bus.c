/* bus.c: stub, to be replaced by the real implementation. */
#include "config.h"

#include <string.h>

#include <json-c/json.h>

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

void
vg_bus_drain(void)
{
}

void
vg_bus_stats(struct vg_bus_stats *st)
{
	memset(st, 0, sizeof(*st));
}

struct json_object *
vg_bus_types_json(void)
{
	return (json_object_new_array());
}

int
vg_bus_emit(const char *type, const char *call_id, struct json_object *payload)
{
	json_object_put(payload);
	return (0);
}
