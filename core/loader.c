/*
 * The module loader. It reads CONFDIR/modules.conf (Asterisk's rules:
 * autoload, load, noload, require), opens each module with dlopen, checks
 * its descriptor (ABI word first), sorts the modules by what they require
 * and load after, and calls load() in that order; at stop it unloads them in
 * reverse, sweeping up whatever a module forgot to release. It also loads,
 * unloads and reloads single modules at run time. Core-thread only.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <json-c/json.h>

#include <voicegate/voicegate.h>

#include "core.h"

#define LD_NAME_MAX	64	/* as struct vg_module's name */
#define LD_MAX_MODULES	512	/* more than this in one folder is a mistake */

/*
 * Under AddressSanitizer keep modules mapped after dlclose, so that leak
 * reports can still name their functions.
 */
#if defined(__SANITIZE_ADDRESS__)
#define LD_DLFLAGS	(RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE)
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LD_DLFLAGS	(RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE)
#endif
#endif
#ifndef LD_DLFLAGS
#define LD_DLFLAGS	(RTLD_NOW | RTLD_LOCAL)
#endif

/* Topological sort marks. */
enum ld_mark {
	LD_WHITE = 0,
	LD_GREY,
	LD_BLACK,
};

/* The loader's record: the public handle first, then what the loader keeps
 * about the module even after it is closed (for "module show"). */
struct ld_mod {
	struct vg_module	 mod;		/* must stay first */
	char			 description[128];
	char			 version[32];
	char			 requires[VG_MODULE_MAX_DEPS][LD_NAME_MAX];
	char			 after[VG_MODULE_MAX_DEPS][LD_NAME_MAX];
	unsigned		 nrequires;
	unsigned		 nafter;
	char			 reason[256];	/* why declined or failed */
	enum ld_mark		 mark;
	unsigned		 cyclic:1;	/* in a dependency cycle */
};

/* One name modules.conf mentions, with what it says about it. */
struct plan_item {
	char			 name[LD_NAME_MAX];
	unsigned		 load:1;
	unsigned		 noload:1;
	unsigned		 require:1;
};

/* What modules.conf asks for. */
struct plan {
	int			 autoload;
	struct plan_item	*items;		/* owned */
	size_t			 n;
	size_t			 cap;
};

/* Counts the errors an error callback sees and passes them on. */
struct err_ctx {
	vg_conf_error_fn	 fn;		/* NULL: log them */
	void			*arg;
	const char		*module;	/* for log lines, or NULL */
	unsigned		 errors;
};

static struct {
	struct vg_module	*mods;		/* owned ld_mods, found order */
	char			 confdir[512];
	char			 moddir[512];
	unsigned		 next_order;
	int			 started;
} g_ld;

static void	ld_unload_one(struct ld_mod *m);

/* ---- helpers ---- */

/* The loader record behind a module handle. */
static struct ld_mod *
ld_of(struct vg_module *mod)
{
	return ((struct ld_mod *)mod);
}

/* Format into BUF of SIZE bytes, cut short if need be (reasons, paths). */
static void __attribute__((format(printf, 3, 4)))
ld_fmt(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
}

/* Error callback: count the error, then report it (or log it). */
static void
ld_conf_error(const struct vg_conf_error *err, void *arg)
{
	struct err_ctx *ec = arg;

	ec->errors++;
	if (ec->fn != NULL)
		ec->fn(err, ec->arg);
	else if (ec->module != NULL)
		vg_log(VG_LOG_ERROR, "module %s: %s:%d: %s", ec->module,
		    err->file, err->line, err->message);
	else
		vg_log(VG_LOG_ERROR, "%s:%d: %s", err->file, err->line,
		    err->message);
}

/* Report a problem at ENT (or in FILE when ENT is NULL) through EC. */
static void __attribute__((format(printf, 4, 5)))
ld_report(struct err_ctx *ec, const struct vg_conf_entry *ent,
    const char *file, const char *fmt, ...)
{
	struct vg_conf_error err;
	va_list ap;

	memset(&err, 0, sizeof(err));
	vg_strlcpy(err.file, ent != NULL ? vg_conf_entry_file(ent) : file,
	    sizeof(err.file));
	err.line = ent != NULL ? vg_conf_entry_line(ent) : 0;
	va_start(ap, fmt);
	vsnprintf(err.message, sizeof(err.message), fmt, ap);
	va_end(ap);
	ld_conf_error(&err, ec);
}

/* Copy a module name from S into OUT, dropping a ".so" suffix. Returns 0,
 * or -1 if what is left is not a plain module name. */
static int
ld_norm_name(const char *s, char *out, size_t out_size)
{
	size_t len, i;

	len = strlen(s);
	if (len > 3 && strcmp(s + len - 3, ".so") == 0)
		len -= 3;
	if (len == 0 || len >= out_size || len >= LD_NAME_MAX)
		return (-1);
	for (i = 0; i < len; i++) {
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' &&
		    s[i] != '-')
			return (-1);
	}
	memcpy(out, s, len);
	out[len] = '\0';
	if (strcmp(out, "core") == 0)
		return (-1);
	return (0);
}

/* Parse a boolean as the configuration files spell it. */
static int
ld_parse_bool(const char *v, int *out)
{
	if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0 ||
	    strcasecmp(v, "on") == 0 || strcmp(v, "1") == 0)
		*out = 1;
	else if (strcasecmp(v, "no") == 0 || strcasecmp(v, "false") == 0 ||
	    strcasecmp(v, "off") == 0 || strcmp(v, "0") == 0)
		*out = 0;
	else
		return (-1);
	return (0);
}

/* The loaded-or-known module called NAME, or NULL. */
static struct ld_mod *
ld_find(const char *name)
{
	struct vg_module *mod;

	for (mod = g_ld.mods; mod != NULL; mod = mod->next)
		if (strcmp(mod->name, name) == 0)
			return (ld_of(mod));
	return (NULL);
}

/* Make a record for NAME, appended to the list. Returns new (the list
 * owns it). */
static struct ld_mod *
ld_new(const char *name)
{
	struct vg_module **tail;
	struct ld_mod *m;

	m = vg_xcalloc(1, sizeof(*m));
	vg_strlcpy(m->mod.name, name, sizeof(m->mod.name));
	ld_fmt(m->mod.path, sizeof(m->mod.path), "%s/%s.so", g_ld.moddir,
	    name);
	m->mod.state = VG_MOD_NEW;
	for (tail = &g_ld.mods; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = &m->mod;
	return (m);
}

/* A state as "module show" spells it. */
static const char *
ld_state_name(enum vg_module_state state)
{
	switch (state) {
	case VG_MOD_RUNNING:
		return ("running");
	case VG_MOD_DECLINED:
		return ("declined");
	case VG_MOD_FAILED:
		return ("failed");
	case VG_MOD_NEW:
	case VG_MOD_UNLOADED:
		break;
	}
	return ("unloaded");
}

/* Close M's shared object and forget its descriptor. */
static void
ld_close(struct ld_mod *m)
{
	if (m->mod.dl != NULL)
		dlclose(m->mod.dl);
	m->mod.dl = NULL;
	m->mod.info = NULL;
}

/* Release what M registered and its configuration, then close it. WHY is
 * for the log line when something was left behind. */
static void
ld_release(struct ld_mod *m, const char *why)
{
	unsigned n;

	if ((n = vg_core_release_owner(&m->mod)) != 0)
		vg_log(VG_LOG_WARN, "module %s: %s left %u registration%s "
		    "behind; released", m->mod.name, why, n, n == 1 ? "" : "s");
	vg_conf_free(m->mod.conf);
	m->mod.conf = NULL;
	ld_close(m);
}

/* Open M's shared object and check its descriptor. Returns 0, or -1 with
 * the reason in M (the object is closed again). */
static int
ld_open(struct ld_mod *m)
{
	const struct vg_module_info *info;
	uint32_t abi, maj, min;
	unsigned i;

	dlerror();
	if ((m->mod.dl = dlopen(m->mod.path, LD_DLFLAGS)) == NULL) {
		const char *e = dlerror();

		ld_fmt(m->reason, sizeof(m->reason), "cannot open: %s",
		    e != NULL ? e : m->mod.path);
		return (-1);
	}
	info = dlsym(m->mod.dl, "vg_module_info");
	if (info == NULL) {
		ld_fmt(m->reason, sizeof(m->reason),
		    "%s exports no vg_module_info", m->mod.path);
		goto fail;
	}
	/* The ABI word first: nothing else may be read from a foreign ABI. */
	abi = info->abi;
	maj = abi >> 16;
	min = abi & 0xffff;
	if (maj != VG_ABI_MAJOR || min > VG_ABI_MINOR) {
		ld_fmt(m->reason, sizeof(m->reason), "built for module ABI "
		    "%u.%u, this host has ABI %u.%u (%s)", (unsigned)maj,
		    (unsigned)min, VG_ABI_MAJOR, VG_ABI_MINOR,
		    maj != VG_ABI_MAJOR ? "major differs" : "minor is newer");
		goto fail;
	}
	if (info->name == NULL || strcmp(info->name, m->mod.name) != 0) {
		ld_fmt(m->reason, sizeof(m->reason), "descriptor names "
		    "\"%s\" but the file is %s.so",
		    info->name != NULL ? info->name : "", m->mod.name);
		goto fail;
	}
	if (info->load == NULL) {
		ld_fmt(m->reason, sizeof(m->reason),
		    "descriptor has no load function");
		goto fail;
	}
	m->mod.info = info;
	vg_strlcpy(m->description, info->description != NULL ?
	    info->description : "", sizeof(m->description));
	vg_strlcpy(m->version, info->version != NULL ? info->version : "",
	    sizeof(m->version));
	m->nrequires = m->nafter = 0;
	for (i = 0; i < VG_MODULE_MAX_DEPS && info->requires[i] != NULL; i++)
		vg_strlcpy(m->requires[m->nrequires++], info->requires[i],
		    LD_NAME_MAX);
	for (i = 0; i < VG_MODULE_MAX_DEPS && info->after[i] != NULL; i++)
		vg_strlcpy(m->after[m->nafter++], info->after[i], LD_NAME_MAX);
	return (0);

fail:
	ld_close(m);
	return (-1);
}

/* Parse CONFDIR/<name>.conf into *OUT (NULL when there is no file).
 * Returns 0, or -1 after logging every error. */
static int
ld_read_module_conf(struct ld_mod *m, struct vg_conf **out)
{
	struct err_ctx ec = { NULL, NULL, m->mod.name, 0 };
	char path[1024];

	*out = NULL;
	ld_fmt(path, sizeof(path), "%s/%s.conf", g_ld.confdir, m->mod.name);
	if (access(path, F_OK) == -1 && errno == ENOENT)
		return (0);
	if ((*out = vg_conf_parse(path, ld_conf_error, &ec)) == NULL) {
		ld_fmt(m->reason, sizeof(m->reason), "errors in %s", path);
		return (-1);
	}
	return (0);
}

/* Mark M declined for the reason given, and log it once. */
static void __attribute__((format(printf, 2, 3)))
ld_decline(struct ld_mod *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->reason, sizeof(m->reason), fmt, ap);
	va_end(ap);
	m->mod.state = VG_MOD_DECLINED;
	vg_log(VG_LOG_NOTICE, "module %s: declined (%s)", m->mod.name,
	    m->reason);
	ld_close(m);
}

/* Mark M failed with the reason already in M, and log it. */
static void
ld_fail(struct ld_mod *m)
{
	m->mod.state = VG_MOD_FAILED;
	vg_log(VG_LOG_ERROR, "module %s: %s", m->mod.name, m->reason);
	ld_close(m);
}

/* Check that everything M requires is running. Returns 0, or -1 after
 * declining M with the missing requirement named. */
static int
ld_check_requires(struct ld_mod *m)
{
	struct ld_mod *d;
	unsigned i;

	for (i = 0; i < m->nrequires; i++) {
		d = ld_find(m->requires[i]);
		if (d != NULL && d->mod.state == VG_MOD_RUNNING)
			continue;
		ld_decline(m, "requires %s, which is %s", m->requires[i],
		    d == NULL ? "not available" :
		    d->cyclic ? "in a dependency cycle" :
		    d->mod.state == VG_MOD_NEW ? "not loaded" :
		    ld_state_name(d->mod.state));
		return (-1);
	}
	return (0);
}

/* Read M's configuration and call its load(); M is open and its
 * requirements run. Returns the VG_LOAD_* outcome; on anything but OK,
 * what M registered is released and M is closed. */
static int
ld_start(struct ld_mod *m)
{
	struct vg_conf *conf;
	char why[256];
	int rc;

	if (ld_read_module_conf(m, &conf) == -1) {
		vg_strlcpy(why, m->reason, sizeof(why));
		ld_decline(m, "%s", why);
		return (VG_LOAD_DECLINE);
	}
	m->mod.conf = conf;
	rc = m->mod.info->load(&m->mod);
	switch (rc) {
	case VG_LOAD_OK:
		m->mod.state = VG_MOD_RUNNING;
		m->mod.load_order = ++g_ld.next_order;
		m->reason[0] = '\0';
		vg_log(VG_LOG_NOTICE, "module %s: loaded (%s)", m->mod.name,
		    m->version[0] != '\0' ? m->version : "no version");
		return (VG_LOAD_OK);
	case VG_LOAD_DECLINE:
		ld_release(m, "declining load");
		ld_decline(m, "not configured");
		return (VG_LOAD_DECLINE);
	default:
		ld_release(m, "failed load");
		ld_fmt(m->reason, sizeof(m->reason), "load failed%s",
		    rc == VG_LOAD_FAILURE ? "" : " (bad return value)");
		ld_fail(m);
		return (VG_LOAD_FAILURE);
	}
}

/* Call M's unload, sweep up what it forgot, and close it. */
static void
ld_unload_one(struct ld_mod *m)
{
	if (m->mod.info != NULL && m->mod.info->unload != NULL)
		m->mod.info->unload(&m->mod);
	ld_release(m, "unload");
	m->mod.state = VG_MOD_UNLOADED;
	m->mod.load_order = 0;
	vg_log(VG_LOG_NOTICE, "module %s: unloaded", m->mod.name);
}

/* ---- modules.conf ---- */

/* The plan item for NAME, made if missing. */
static struct plan_item *
plan_item(struct plan *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->items[i].name, name) == 0)
			return (&p->items[i]);
	if (p->n == p->cap) {
		p->cap = p->cap == 0 ? 16 : p->cap * 2;
		p->items = vg_xrealloc(p->items, p->cap * sizeof(*p->items));
	}
	memset(&p->items[p->n], 0, sizeof(p->items[p->n]));
	vg_strlcpy(p->items[p->n].name, name, sizeof(p->items[p->n].name));
	return (&p->items[p->n++]);
}

/* Read the [modules] section of CONF into P, reporting every problem
 * through EC. Returns 0, or -1 if there was any. */
static int
plan_read(const struct vg_conf *conf, struct plan *p, struct err_ctx *ec)
{
	const struct vg_conf_section *sec = NULL;
	const struct vg_conf_entry *ent;
	struct plan_item *it;
	unsigned before = ec->errors;
	char name[LD_NAME_MAX];
	const char *key, *val;

	p->autoload = 0;
	while ((sec = vg_conf_next_section(conf, sec)) != NULL) {
		if (strcmp(vg_conf_section_name(sec), "modules") != 0) {
			ent = vg_conf_next_entry(sec, NULL);
			ld_report(ec, ent, vg_conf_path(conf),
			    "unknown section [%s]", vg_conf_section_name(sec));
			continue;
		}
		ent = NULL;
		while ((ent = vg_conf_next_entry(sec, ent)) != NULL) {
			key = vg_conf_entry_key(ent);
			val = vg_conf_entry_value(ent);
			if (strcmp(key, "autoload") == 0) {
				if (ld_parse_bool(val, &p->autoload) == -1)
					ld_report(ec, ent, NULL, "autoload: "
					    "\"%s\" is not yes or no", val);
				continue;
			}
			if (strcmp(key, "load") != 0 &&
			    strcmp(key, "noload") != 0 &&
			    strcmp(key, "require") != 0) {
				ld_report(ec, ent, NULL, "unknown key \"%s\" "
				    "(autoload, load, noload, require)", key);
				continue;
			}
			if (ld_norm_name(val, name, sizeof(name)) == -1) {
				ld_report(ec, ent, NULL, "%s: \"%s\" is not a "
				    "module name", key, val);
				continue;
			}
			it = plan_item(p, name);
			if (strcmp(key, "load") == 0)
				it->load = 1;
			else if (strcmp(key, "noload") == 0)
				it->noload = 1;
			else
				it->require = 1;
			if (it->noload && it->require)
				ld_report(ec, ent, NULL, "%s is both required "
				    "and noload", name);
		}
	}
	return (ec->errors == before ? 0 : -1);
}

/* Compare two strings for qsort. */
static int
ld_strcmp(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/* Add every NAME.so in the module folder that P does not mention, sorted
 * by name. */
static void
plan_autoload(struct plan *p)
{
	char *names[LD_MAX_MODULES], name[LD_NAME_MAX];
	struct dirent *de;
	size_t n = 0, i, len;
	DIR *dir;

	if ((dir = opendir(g_ld.moddir)) == NULL) {
		vg_log(VG_LOG_ERROR, "module folder %s: %s", g_ld.moddir,
		    strerror(errno));
		return;
	}
	while ((de = readdir(dir)) != NULL && n < LD_MAX_MODULES) {
		len = strlen(de->d_name);
		if (len <= 3 || strcmp(de->d_name + len - 3, ".so") != 0)
			continue;
		if (ld_norm_name(de->d_name, name, sizeof(name)) == -1)
			continue;
		names[n++] = vg_xstrdup(name);
	}
	closedir(dir);
	qsort(names, n, sizeof(names[0]), ld_strcmp);
	for (i = 0; i < n; i++) {
		plan_item(p, names[i])->load = 1;
		free(names[i]);
	}
}

/* ---- ordering ---- */

/* An open, not yet started module called NAME, or NULL. */
static struct ld_mod *
topo_node(const char *name)
{
	struct ld_mod *m;

	if ((m = ld_find(name)) == NULL || m->mod.info == NULL ||
	    m->mod.state != VG_MOD_NEW)
		return (NULL);
	return (m);
}

/* Mark the cycle PATH[FROM..DEPTH) and log it, naming its modules. */
static void
topo_cycle(struct ld_mod **path, size_t from, size_t depth)
{
	char names[512];
	size_t i, off = 0;

	names[0] = '\0';
	for (i = from; i < depth; i++) {
		path[i]->cyclic = 1;
		off += snprintf(names + off, off < sizeof(names) ?
		    sizeof(names) - off : 0, "%s -> ", path[i]->mod.name);
		if (off >= sizeof(names))
			off = sizeof(names) - 1;
	}
	snprintf(names + off, sizeof(names) - off, "%s",
	    path[from]->mod.name);
	vg_log(VG_LOG_ERROR, "dependency cycle: %s; declining these modules",
	    names);
}

/* Depth-first visit of M: append M to OUT after what it depends on. */
static void
topo_visit(struct ld_mod *m, struct ld_mod **path, size_t depth,
    struct ld_mod **out, size_t *nout)
{
	struct ld_mod *d;
	const char *dep;
	unsigned i, n;
	size_t k;

	m->mark = LD_GREY;
	path[depth++] = m;
	n = m->nrequires + m->nafter;
	for (i = 0; i < n; i++) {
		dep = i < m->nrequires ? m->requires[i] :
		    m->after[i - m->nrequires];
		if ((d = topo_node(dep)) == NULL)
			continue;
		if (d->mark == LD_GREY) {
			for (k = 0; k < depth && path[k] != d; k++)
				;
			topo_cycle(path, k, depth);
		} else if (d->mark == LD_WHITE)
			topo_visit(d, path, depth, out, nout);
	}
	m->mark = LD_BLACK;
	out[(*nout)++] = m;
}

/* ---- start and stop ---- */

/* Load every module of the plan: open, sort, start. Returns 0, or -1 when
 * a required module did not come up. */
static int
ld_load_plan(const struct plan *p)
{
	struct ld_mod **order = NULL, **path = NULL, *m;
	struct vg_module *mod;
	size_t i, n = 0, count = 0;
	int rc = 0;

	for (i = 0; i < p->n; i++) {
		if (p->items[i].noload || (!p->items[i].load &&
		    !p->items[i].require))
			continue;
		m = ld_new(p->items[i].name);
		m->mod.required = p->items[i].require;
		count++;
		if (ld_open(m) == -1) {
			ld_fail(m);
			if (m->mod.required) {
				vg_log(VG_LOG_ERROR, "required module %s did "
				    "not load: start-up aborted", m->mod.name);
				rc = -1;
			}
		}
	}
	if (rc == -1 || count == 0)
		return (rc);

	order = vg_xcalloc(count, sizeof(*order));
	path = vg_xcalloc(count, sizeof(*path));
	for (mod = g_ld.mods; mod != NULL; mod = mod->next) {
		m = ld_of(mod);
		if (m->mod.info != NULL && m->mod.state == VG_MOD_NEW &&
		    m->mark == LD_WHITE)
			topo_visit(m, path, 0, order, &n);
	}
	for (i = 0; i < n; i++) {
		m = order[i];
		if (m->cyclic)
			ld_decline(m, "in a dependency cycle");
		else if (ld_check_requires(m) == 0)
			ld_start(m);
		if (m->mod.required && m->mod.state != VG_MOD_RUNNING) {
			vg_log(VG_LOG_ERROR, "required module %s did not load: "
			    "start-up aborted", m->mod.name);
			rc = -1;
			break;
		}
	}
	/* Anything left open after an abort is closed, not started. */
	for (; i < n; i++)
		if (order[i]->mod.state == VG_MOD_NEW)
			ld_close(order[i]);
	free(path);
	free(order);
	return (rc);
}

/* Read modules.conf from CONFDIR and load modules from MODDIR. */
int
vg_loader_start(const char *confdir, const char *moddir)
{
	struct err_ctx ec = { NULL, NULL, NULL, 0 };
	struct plan p = { 0, NULL, 0, 0 };
	struct vg_conf *conf;
	char path[1024];
	int rc;

	if (g_ld.started) {
		vg_log(VG_LOG_ERROR, "loader already started");
		return (-1);
	}
	vg_strlcpy(g_ld.confdir, confdir, sizeof(g_ld.confdir));
	vg_strlcpy(g_ld.moddir, moddir, sizeof(g_ld.moddir));
	g_ld.next_order = 0;
	g_ld.started = 1;

	ld_fmt(path, sizeof(path), "%s/modules.conf", confdir);
	if ((conf = vg_conf_parse(path, ld_conf_error, &ec)) == NULL)
		return (-1);
	rc = plan_read(conf, &p, &ec);
	vg_conf_free(conf);
	if (rc == -1)
		goto out;
	if (p.autoload)
		plan_autoload(&p);
	if ((rc = ld_load_plan(&p)) == -1)
		vg_loader_stop();
out:
	free(p.items);
	return (rc);
}

/* Unload every running module, last loaded first, and forget them all. */
void
vg_loader_stop(void)
{
	struct vg_module *mod, *next, *last;
	struct ld_mod *m;

	for (;;) {
		last = NULL;
		for (mod = g_ld.mods; mod != NULL; mod = mod->next)
			if (mod->state == VG_MOD_RUNNING && (last == NULL ||
			    mod->load_order > last->load_order))
				last = mod;
		if (last == NULL)
			break;
		ld_unload_one(ld_of(last));
	}
	for (mod = g_ld.mods; mod != NULL; mod = next) {
		next = mod->next;
		m = ld_of(mod);
		ld_close(m);
		vg_conf_free(m->mod.conf);
		free(m);
	}
	g_ld.mods = NULL;
	g_ld.started = 0;
	g_ld.next_order = 0;
}

/* ---- --check-config ---- */

/* Check modules.conf and every module .conf in CONFDIR; load nothing. */
int
vg_loader_check(const char *confdir, vg_conf_error_fn err_fn, void *arg)
{
	struct err_ctx ec = { err_fn, arg, NULL, 0 };
	struct plan p = { 0, NULL, 0, 0 };
	struct vg_conf *conf;
	struct dirent *de;
	char path[1024];
	size_t len;
	DIR *dir;

	ld_fmt(path, sizeof(path), "%s/modules.conf", confdir);
	if ((conf = vg_conf_parse(path, ld_conf_error, &ec)) != NULL) {
		plan_read(conf, &p, &ec);
		vg_conf_free(conf);
		free(p.items);
	}
	if ((dir = opendir(confdir)) == NULL) {
		ld_report(&ec, NULL, confdir, "cannot read the folder: %s",
		    strerror(errno));
		return (-1);
	}
	while ((de = readdir(dir)) != NULL) {
		len = strlen(de->d_name);
		if (len <= 5 || strcmp(de->d_name + len - 5, ".conf") != 0 ||
		    de->d_name[0] == '.' ||
		    strcmp(de->d_name, "modules.conf") == 0 ||
		    strcmp(de->d_name, "voicegate.conf") == 0)
			continue;
		ld_fmt(path, sizeof(path), "%s/%s", confdir, de->d_name);
		vg_conf_free(vg_conf_parse(path, ld_conf_error, &ec));
	}
	closedir(dir);
	return (ec.errors == 0 ? 0 : -1);
}

/* ---- run-time control ---- */

/* Find the module NAME names for a run-time command. Returns it, or NULL
 * with the reason in ERR. */
static struct ld_mod *
ld_lookup(const char *name, char *norm, char *err, size_t err_size)
{
	struct ld_mod *m;

	if (ld_norm_name(name, norm, LD_NAME_MAX) == -1) {
		ld_fmt(err, err_size, "\"%s\" is not a module name", name);
		return (NULL);
	}
	if ((m = ld_find(norm)) == NULL)
		ld_fmt(err, err_size, "unknown module %s", norm);
	return (m);
}

/* Find the running module NAME names (unload, reload). Returns it, or NULL
 * with the reason in ERR. */
static struct ld_mod *
ld_lookup_running(const char *name, char *norm, char *err, size_t err_size)
{
	struct ld_mod *m;

	if ((m = ld_lookup(name, norm, err, err_size)) == NULL)
		return (NULL);
	if (m->mod.state != VG_MOD_RUNNING) {
		ld_fmt(err, err_size, "module %s is not loaded (%s)", norm,
		    ld_state_name(m->mod.state));
		return (NULL);
	}
	return (m);
}

/* Load NAME now. */
int
vg_loader_load(const char *name, char *err, size_t err_size)
{
	char norm[LD_NAME_MAX], path[1024];
	struct ld_mod *m;
	int rc;

	if (ld_norm_name(name, norm, sizeof(norm)) == -1) {
		ld_fmt(err, err_size, "\"%s\" is not a module name", name);
		return (-1);
	}
	if (!g_ld.started) {
		ld_fmt(err, err_size, "the loader is not running");
		return (-1);
	}
	if ((m = ld_find(norm)) != NULL) {
		if (m->mod.state == VG_MOD_RUNNING) {
			ld_fmt(err, err_size, "module %s is already loaded",
			    norm);
			return (-1);
		}
	} else {
		ld_fmt(path, sizeof(path), "%s/%s.so", g_ld.moddir, norm);
		if (access(path, F_OK) == -1) {
			ld_fmt(err, err_size, "unknown module %s (no %s)",
			    norm, path);
			return (-1);
		}
		m = ld_new(norm);
	}
	m->reason[0] = '\0';
	m->cyclic = 0;
	m->mod.state = VG_MOD_NEW;
	if (ld_open(m) == -1) {
		ld_fail(m);
		ld_fmt(err, err_size, "module %s: %s", norm, m->reason);
		return (-1);
	}
	if (ld_check_requires(m) == -1) {
		ld_fmt(err, err_size, "module %s declined: %s", norm,
		    m->reason);
		return (-1);
	}
	if ((rc = ld_start(m)) != VG_LOAD_OK) {
		ld_fmt(err, err_size, "module %s %s: %s", norm,
		    rc == VG_LOAD_DECLINE ? "declined" : "failed", m->reason);
		return (-1);
	}
	return (0);
}

/* Name in USER a running module other than M that needs M. Returns 1 if
 * there is one. */
static int
ld_in_use(const struct ld_mod *m, char *user, size_t user_size)
{
	struct vg_module *mod;
	struct ld_mod *o;
	unsigned i;

	for (mod = g_ld.mods; mod != NULL; mod = mod->next) {
		o = ld_of(mod);
		if (o == m || mod->state != VG_MOD_RUNNING)
			continue;
		for (i = 0; i < o->nrequires; i++) {
			if (strcmp(o->requires[i], m->mod.name) == 0) {
				vg_strlcpy(user, mod->name, user_size);
				return (1);
			}
		}
	}
	return (vg_service_in_use(&m->mod, user, user_size));
}

/* Unload NAME now, unless another module needs it. */
int
vg_loader_unload(const char *name, char *err, size_t err_size)
{
	char norm[LD_NAME_MAX], user[LD_NAME_MAX];
	struct ld_mod *m;

	if ((m = ld_lookup_running(name, norm, err, err_size)) == NULL)
		return (-1);
	if (ld_in_use(m, user, sizeof(user))) {
		ld_fmt(err, err_size, "module %s is in use by %s", norm,
		    user);
		return (-1);
	}
	ld_unload_one(m);
	return (0);
}

/* Re-read NAME's configuration and call its reload. */
int
vg_loader_reload(const char *name, char *err, size_t err_size)
{
	char norm[LD_NAME_MAX];
	struct vg_conf *conf;
	struct ld_mod *m;

	if ((m = ld_lookup_running(name, norm, err, err_size)) == NULL)
		return (-1);
	if (ld_read_module_conf(m, &conf) == -1) {
		ld_fmt(err, err_size, "module %s: %s; the old configuration "
		    "stays", norm, m->reason);
		m->reason[0] = '\0';
		return (-1);
	}
	vg_conf_free(m->mod.conf);
	m->mod.conf = conf;
	if (m->mod.info->reload != NULL && m->mod.info->reload(&m->mod) != 0) {
		ld_fmt(err, err_size, "module %s: reload failed", norm);
		vg_log(VG_LOG_ERROR, "module %s: reload failed", norm);
		return (-1);
	}
	vg_log(VG_LOG_NOTICE, "module %s: reloaded", norm);
	return (0);
}

/* Reload every running module, in load order. */
void
vg_loader_reload_all(void)
{
	struct vg_module *mod;
	unsigned order;
	char err[512];

	for (order = 1; order <= g_ld.next_order; order++) {
		for (mod = g_ld.mods; mod != NULL; mod = mod->next) {
			if (mod->state != VG_MOD_RUNNING ||
			    mod->load_order != order)
				continue;
			if (vg_loader_reload(mod->name, err, sizeof(err)) == -1)
				vg_log(VG_LOG_WARN, "%s", err);
		}
	}
}

/* Every known module as JSON: what "module show" prints. */
struct json_object *
vg_loader_json(void)
{
	struct json_object *arr, *obj, *deps;
	struct vg_module *mod;
	struct ld_mod *m;
	unsigned i;

	arr = json_object_new_array();
	for (mod = g_ld.mods; mod != NULL; mod = mod->next) {
		m = ld_of(mod);
		obj = json_object_new_object();
		json_object_object_add(obj, "name",
		    json_object_new_string(mod->name));
		json_object_object_add(obj, "description",
		    json_object_new_string(m->description));
		json_object_object_add(obj, "version",
		    json_object_new_string(m->version));
		json_object_object_add(obj, "state",
		    json_object_new_string(ld_state_name(mod->state)));
		json_object_object_add(obj, "load_order",
		    json_object_new_int((int)mod->load_order));
		deps = json_object_new_array();
		for (i = 0; i < m->nrequires; i++)
			json_object_array_add(deps,
			    json_object_new_string(m->requires[i]));
		json_object_object_add(obj, "requires", deps);
		deps = json_object_new_array();
		for (i = 0; i < m->nafter; i++)
			json_object_array_add(deps,
			    json_object_new_string(m->after[i]));
		json_object_object_add(obj, "after", deps);
		json_object_object_add(obj, "path",
		    json_object_new_string(mod->path));
		json_object_object_add(obj, "required",
		    json_object_new_boolean(mod->required));
		if (m->reason[0] != '\0')
			json_object_object_add(obj, "reason",
			    json_object_new_string(m->reason));
		json_object_array_add(arr, obj);
	}
	return (arr);
}

/* ---- the module API ---- */

/* Name of a loaded module. */
const char *
vg_module_name(const struct vg_module *mod)
{
	return (mod->name);
}

/* MOD's parsed configuration file, or NULL. */
struct vg_conf *
vg_module_conf(struct vg_module *mod)
{
	return (mod != NULL ? mod->conf : NULL);
}
