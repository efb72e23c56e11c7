/* calls.c: stub, to be replaced by the real implementation. */
#include "config.h"

#include <json-c/json.h>

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

void
vg_calls_stop_new(void)
{
}

struct json_object *
vg_calls_json(void)
{
	return (json_object_new_array());
}

unsigned
vg_call_count(void)
{
	return (0);
}
