/* loader.c: to be written. */
#include "config.h"

#include <json-c/json.h>

#include "core.h"

int
vg_loader_start(const char *confdir, const char *moddir)
{
	return (0);
}

void
vg_loader_stop(void)
{
}

int
vg_loader_check(const char *confdir, vg_conf_error_fn err_fn, void *arg)
{
	return (0);
}

int
vg_loader_load(const char *name, char *err, size_t err_size)
{
	vg_strlcpy(err, "not implemented", err_size);
	return (-1);
}

int
vg_loader_unload(const char *name, char *err, size_t err_size)
{
	vg_strlcpy(err, "not implemented", err_size);
	return (-1);
}

int
vg_loader_reload(const char *name, char *err, size_t err_size)
{
	vg_strlcpy(err, "not implemented", err_size);
	return (-1);
}

void
vg_loader_reload_all(void)
{
}

struct json_object *
vg_loader_json(void)
{
	return (json_object_new_array());
}

const char *
vg_module_name(const struct vg_module *mod)
{
	return (mod->name);
}
