/*
 * The service registry: a module offers a named pointer (usually a const
 * table of functions) and others look it up by name instead of linking to
 * it. Every lookup is recorded as a use, so the loader can refuse to unload
 * a provider while another module holds one of its services. Core-thread
 * only; a handful of entries, so plain lists.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <voicegate/voicegate.h>

#include "core.h"

/* One registration: NAME offered by OWNER. */
struct svc_reg {
	struct vg_module	*owner;		/* borrowed: the loader's */
	char			*name;		/* owned */
	const void		*iface;		/* borrowed from OWNER */
	struct svc_reg		*next;
};

/* One use: USER looked NAME up and has not released it. */
struct svc_use {
	struct vg_module	*user;		/* borrowed: the loader's */
	char			*name;		/* owned */
	struct svc_use		*next;
};

static struct {
	struct svc_reg		*regs;
	struct svc_use		*uses;
} g_svc;

/* The registration called NAME, or NULL. */
static struct svc_reg *
svc_find(const char *name)
{
	struct svc_reg *r;

	for (r = g_svc.regs; r != NULL; r = r->next)
		if (strcmp(r->name, name) == 0)
			return (r);
	return (NULL);
}

/* USER's use of NAME, or NULL. */
static struct svc_use *
svc_find_use(const struct vg_module *user, const char *name)
{
	struct svc_use *u;

	for (u = g_svc.uses; u != NULL; u = u->next)
		if (u->user == user && strcmp(u->name, name) == 0)
			return (u);
	return (NULL);
}

/* Offer IFACE under NAME for MOD. */
int
vg_service_register(struct vg_module *mod, const char *name,
    const void *iface)
{
	struct svc_reg *r;

	if (mod == NULL || name == NULL || *name == '\0' || iface == NULL) {
		vg_log(VG_LOG_ERROR, "service register: bad argument");
		return (-1);
	}
	if ((r = svc_find(name)) != NULL) {
		vg_log(VG_LOG_WARN, "module %s: service %s is already offered "
		    "by %s", mod->name, name, r->owner->name);
		return (-1);
	}
	r = vg_xcalloc(1, sizeof(*r));
	r->owner = mod;
	r->name = vg_xstrdup(name);
	r->iface = iface;
	r->next = g_svc.regs;
	g_svc.regs = r;
	return (0);
}

/* Withdraw MOD's service NAME. */
void
vg_service_unregister(struct vg_module *mod, const char *name)
{
	struct svc_reg **rp, *r;

	if (name == NULL)
		return;
	for (rp = &g_svc.regs; (r = *rp) != NULL; rp = &r->next) {
		if (r->owner == mod && strcmp(r->name, name) == 0) {
			*rp = r->next;
			free(r->name);
			free(r);
			return;
		}
	}
}

/* Look NAME up for USER and record the use. */
const void *
vg_service_get(struct vg_module *user, const char *name)
{
	struct svc_reg *r;
	struct svc_use *u;

	if (user == NULL || name == NULL || (r = svc_find(name)) == NULL)
		return (NULL);
	if (r->owner != user && svc_find_use(user, name) == NULL) {
		u = vg_xcalloc(1, sizeof(*u));
		u->user = user;
		u->name = vg_xstrdup(name);
		u->next = g_svc.uses;
		g_svc.uses = u;
	}
	return (r->iface);
}

/* End USER's use of NAME. */
void
vg_service_release(struct vg_module *user, const char *name)
{
	struct svc_use **up, *u;

	if (name == NULL)
		return;
	for (up = &g_svc.uses; (u = *up) != NULL; up = &u->next) {
		if (u->user == user && strcmp(u->name, name) == 0) {
			*up = u->next;
			free(u->name);
			free(u);
			return;
		}
	}
}

/* Remove every registration and use MOD still holds; return how many. */
unsigned
vg_service_release_owner(struct vg_module *mod)
{
	struct svc_reg **rp, *r;
	struct svc_use **up, *u;
	unsigned n = 0;

	for (rp = &g_svc.regs; (r = *rp) != NULL;) {
		if (r->owner == mod) {
			*rp = r->next;
			free(r->name);
			free(r);
			n++;
		} else
			rp = &r->next;
	}
	for (up = &g_svc.uses; (u = *up) != NULL;) {
		if (u->user == mod) {
			*up = u->next;
			free(u->name);
			free(u);
			n++;
		} else
			up = &u->next;
	}
	return (n);
}

/* True when another module uses a service MOD offers; names it in USER. */
int
vg_service_in_use(const struct vg_module *mod, char *user, size_t user_size)
{
	struct svc_reg *r;
	struct svc_use *u;

	for (r = g_svc.regs; r != NULL; r = r->next) {
		if (r->owner != mod)
			continue;
		for (u = g_svc.uses; u != NULL; u = u->next) {
			if (u->user == mod || strcmp(u->name, r->name) != 0)
				continue;
			if (user != NULL && user_size > 0)
				vg_strlcpy(user, u->user->name, user_size);
			return (1);
		}
	}
	return (0);
}
