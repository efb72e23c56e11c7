/*
 * voicegate module descriptor and loader contract.
 *
 * A module is a shared object that exports exactly one data symbol,
 * vg_module_info, made with VG_MODULE_DEFINE() at the end of its main file.
 * The loader reads the ABI word first and refuses a module whose major
 * differs from the host's or whose minor is newer. Every function here runs
 * on the core thread.
 */
#ifndef VG_MODULE_H
#define VG_MODULE_H

#include <stdint.h>

/* ABI of this header set: bump the minor for additions, the major for
 * anything that breaks a built module. */
#define VG_ABI_MAJOR	1
#define VG_ABI_MINOR	0
#define VG_ABI_WORD(maj, min)	(((uint32_t)(maj) << 16) | ((min) & 0xffff))
#define VG_ABI_CURRENT	VG_ABI_WORD(VG_ABI_MAJOR, VG_ABI_MINOR)

/* What load() returns. */
#define VG_LOAD_OK	0	/* running */
#define VG_LOAD_DECLINE	1	/* not configured: skipped, said once */
#define VG_LOAD_FAILURE	2	/* broken: an error, fatal if required */

/* Room for requirement lists in the descriptor. */
#define VG_MODULE_MAX_DEPS	8

/* The loader's record of one loaded module: the handle every registration
 * takes, so the core knows who owns what. Opaque to modules. */
struct vg_module;

typedef int	(*vg_module_load_fn)(struct vg_module *self);
typedef void	(*vg_module_unload_fn)(struct vg_module *self);
typedef int	(*vg_module_reload_fn)(struct vg_module *self);

/* The one exported descriptor. Fields after 'reload' may only be added at
 * the end, consuming 'reserved', with a minor ABI bump. */
struct vg_module_info {
	uint32_t		 abi;		/* VG_ABI_CURRENT: read first */
	uint32_t		 flags;		/* none defined yet: 0 */
	const char		*name;		/* "media_ws": file is name.so */
	const char		*description;	/* one line */
	const char		*version;	/* free form, e.g. "1.0" */
	/* Modules that must be loaded first and stay loaded; NULL-ended. */
	const char		*requires[VG_MODULE_MAX_DEPS];
	/* Modules to load first when present; not needed. NULL-ended. */
	const char		*after[VG_MODULE_MAX_DEPS];
	vg_module_load_fn	 load;		/* required */
	vg_module_unload_fn	 unload;	/* may be NULL */
	vg_module_reload_fn	 reload;	/* may be NULL: 0 ok, -1 error */
	void			*reserved[8];
};

/*
 * Define this module's descriptor. Use once, at the end of the module's main
 * file, with designated initialisers:
 *   VG_MODULE_DEFINE(.name = "echo", .description = "...", .load = echo_load);
 */
#define VG_MODULE_DEFINE(...)						\
	__attribute__((visibility("default")))				\
	const struct vg_module_info vg_module_info = {			\
		.abi = VG_ABI_CURRENT,					\
		__VA_ARGS__						\
	}

/* Inside a module this names the module's own descriptor (for logging). */
extern const struct vg_module_info vg_module_info;

/* Name of a loaded module. Borrows; never NULL. Core thread. */
const char	*vg_module_name(const struct vg_module *mod);

/* The module's own configuration file, CONFDIR/<name>.conf, parsed; NULL
 * when there is none. Borrowed: valid until the module's next reload or
 * unload. Core thread. */
struct vg_conf	*vg_module_conf(struct vg_module *mod);

/* Path of the configuration directory the daemon was started with.
 * Borrowed, constant for the process. Any thread. */
const char	*vg_confdir(void);

/* The public base URL of this instance ("https://voice.example.com", no
 * trailing slash): what Twilio reaches, for signatures and stream URLs.
 * Borrowed; may change on reload. Core thread. */
const char	*vg_public_url(void);

/* This daemon's own listener as a URL a module can call itself on
 * ("http://127.0.0.1:5050": a wildcard address becomes loopback), e.g. to
 * reach another module's HTTP API. Borrowed. Core thread. */
const char	*vg_listen_url(void);

/*
 * Services: how one module offers something to others without linking to it.
 * The provider registers a named pointer (usually a const table of
 * functions); a user looks it up, and the core records the use so it refuses
 * to unload the provider while a user holds it.
 */

/* Offer IFACE under NAME. Borrows both; IFACE must outlive the registration
 * (it is removed at unload). Returns 0, or -1 if NAME is taken. */
int		 vg_service_register(struct vg_module *mod, const char *name,
		    const void *iface);

/* Withdraw MOD's service NAME (call it in unload; what is left is removed
 * for MOD and counted as forgotten). Borrows NAME. */
void		 vg_service_unregister(struct vg_module *mod, const char *name);

/* Look NAME up for USER. Returns the provider's pointer, or NULL. The use
 * lasts until vg_service_release() or USER's unload. */
const void	*vg_service_get(struct vg_module *user, const char *name);

/* End USER's use of NAME. */
void		 vg_service_release(struct vg_module *user, const char *name);

#endif /* VG_MODULE_H */
