/*
 * Shared by the loader's test modules and test_loader: the test offers a
 * trace record as the service "test.trace", and the modules write what
 * happened to them into it, so the record outlives their unload.
 */
#ifndef VG_TEST_MODS_H
#define VG_TEST_MODS_H

#include <stdio.h>
#include <string.h>

#include <voicegate/module.h>

#define T_TRACE_SERVICE	"test.trace"

/* What the modules did, in order. */
struct t_trace {
	char	log[1024];	/* "load t_a;load t_b;unload t_b;" */
	int	loads;
	int	unloads;
	int	reloads;
	char	greeting[64];	/* t_rec: [general] greeting at (re)load */
};

/* Append "WHAT NAME;" to the test's trace, if the test offers one. */
static inline void
t_trace_note(struct vg_module *self, const char *what)
{
	struct t_trace *t;
	size_t len;

	t = (struct t_trace *)vg_service_get(self, T_TRACE_SERVICE);
	if (t == NULL)
		return;
	len = strlen(t->log);
	snprintf(t->log + len, sizeof(t->log) - len, "%s %s;", what,
	    vg_module_name(self));
	vg_service_release(self, T_TRACE_SERVICE);
}

#endif /* VG_TEST_MODS_H */
