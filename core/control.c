/* control.c: to be written. */
#include "config.h"

#include "core.h"

int
vg_control_start(const char *path)
{
	return (0);
}

void
vg_control_stop(void)
{
}
