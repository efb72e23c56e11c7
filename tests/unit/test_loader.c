/*
 * Loader tests: each case writes a modules.conf into a fresh temporary
 * folder, links the test modules it wants (built in tests/unit/mods/) into a
 * module folder beside it, starts the loader and checks the outcome through
 * the modules' trace (the service "test.trace", offered here), the loader's
 * JSON and the log, which is captured from fd 2.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include <voicegate/voicegate.h>

#include "core.h"
#include "mods/mods.h"
#include "vg_test.h"

static struct {
	int		 inited;
	char		 dir[256];		/* this case's folder */
	char		 confdir[PATH_MAX];
	char		 moddir[PATH_MAX];
	char		 logpath[PATH_MAX];
	int		 saved_fd;		/* stderr while capturing */
	char		 log[65536];		/* what the last capture saw */
	struct t_trace	 trace;			/* offered as test.trace */
	char		 state[32];
} T;

/* Bring the core up once and offer the trace; make a fresh folder. */
static void
setup(void)
{
	if (!T.inited) {
		if (vg_core_init() == -1) {
			fprintf(stderr, "vg_core_init failed\n");
			exit(1);
		}
		if (vg_service_register(vg_core_module(), T_TRACE_SERVICE,
		    &T.trace) == -1) {
			fprintf(stderr, "cannot offer the trace\n");
			exit(1);
		}
		T.inited = 1;
	}
	memset(&T.trace, 0, sizeof(T.trace));
	snprintf(T.dir, sizeof(T.dir), "/tmp/vg-loader.XXXXXX");
	if (mkdtemp(T.dir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	snprintf(T.confdir, sizeof(T.confdir), "%s/etc", T.dir);
	snprintf(T.moddir, sizeof(T.moddir), "%s/mods", T.dir);
	snprintf(T.logpath, sizeof(T.logpath), "%s/log", T.dir);
	if (mkdir(T.confdir, 0700) == -1 || mkdir(T.moddir, 0700) == -1) {
		perror("mkdir");
		exit(1);
	}
}

/* Remove the case's folder. */
static void
teardown(void)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", T.dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", T.dir);
}

/* Write TEXT to the case's configuration folder as NAME. */
static void
write_conf(const char *name, const char *text)
{
	char path[PATH_MAX * 2];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", T.confdir, name);
	if ((f = fopen(path, "w")) == NULL) {
		perror(path);
		exit(1);
	}
	fputs(text, f);
	fclose(f);
}

/* Link each named test module (NULL-ended) into the module folder. */
static void
link_mods(const char *name, ...)
{
	char src[PATH_MAX * 2], dst[PATH_MAX * 2];
	const char *top;
	va_list ap;

	if ((top = getenv("VG_TOP_BUILDDIR")) == NULL)
		top = ".";
	va_start(ap, name);
	for (; name != NULL; name = va_arg(ap, const char *)) {
		snprintf(dst, sizeof(dst), "%s/tests/unit/mods/.libs/%s.so",
		    top, name);
		if (realpath(dst, src) == NULL) {
			fprintf(stderr, "no test module %s: %s\n", dst,
			    strerror(errno));
			exit(1);
		}
		snprintf(dst, sizeof(dst), "%s/%s.so", T.moddir, name);
		if (symlink(src, dst) == -1) {
			fprintf(stderr, "cannot link %s: %s\n", src,
			    strerror(errno));
			exit(1);
		}
	}
	va_end(ap);
}

/* Send fd 2 (where vg_log writes) to a file from now on. */
static void
capture_start(void)
{
	int fd;

	fflush(stderr);
	T.saved_fd = dup(2);
	fd = open(T.logpath, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (T.saved_fd == -1 || fd == -1 || dup2(fd, 2) == -1) {
		perror("capture");
		exit(1);
	}
	close(fd);
}

/* Restore fd 2, keep what was logged in T.log, and echo it. */
static void
capture_stop(void)
{
	ssize_t n;
	int fd;

	fflush(stderr);
	dup2(T.saved_fd, 2);
	close(T.saved_fd);
	T.log[0] = '\0';
	if ((fd = open(T.logpath, O_RDONLY)) == -1)
		return;
	n = read(fd, T.log, sizeof(T.log) - 1);
	close(fd);
	T.log[n > 0 ? n : 0] = '\0';
	if (getenv("VG_TEST_VERBOSE") != NULL)
		fputs(T.log, stderr);
}

/* True when the captured log has a line containing both A and B. */
static int
log_has(const char *a, const char *b)
{
	const char *p, *end;
	char line[4096];
	size_t len;

	for (p = T.log; *p != '\0'; p = *end != '\0' ? end + 1 : end) {
		if ((end = strchr(p, '\n')) == NULL)
			end = p + strlen(p);
		len = (size_t)(end - p) < sizeof(line) - 1 ?
		    (size_t)(end - p) : sizeof(line) - 1;
		memcpy(line, p, len);
		line[len] = '\0';
		if (strstr(line, a) != NULL && (b == NULL ||
		    strstr(line, b) != NULL))
			return (1);
	}
	fprintf(stderr, "  no log line with \"%s\"%s%s%s; the log:\n%s", a,
	    b != NULL ? " and \"" : "", b != NULL ? b : "",
	    b != NULL ? "\"" : "", T.log);
	return (0);
}

/* Start the loader on the case's folders with log capture. */
static int
start(void)
{
	int rc;

	capture_start();
	rc = vg_loader_start(T.confdir, T.moddir);
	capture_stop();
	return (rc);
}

/* Stop the loader with log capture. */
static void
stop(void)
{
	capture_start();
	vg_loader_stop();
	capture_stop();
}

/* The loader's JSON record for module NAME, or NULL. Returns new. */
static struct json_object *
mod_json(const char *name)
{
	struct json_object *arr, *o, *n, *found = NULL;
	size_t i;

	arr = vg_loader_json();
	for (i = 0; i < json_object_array_length(arr); i++) {
		o = json_object_array_get_idx(arr, i);
		if (json_object_object_get_ex(o, "name", &n) &&
		    strcmp(json_object_get_string(n), name) == 0) {
			found = json_object_get(o);
			break;
		}
	}
	json_object_put(arr);
	return (found);
}

/* Module NAME's state as the JSON says, or "absent". */
static const char *
state(const char *name)
{
	struct json_object *o, *s;

	vg_strlcpy(T.state, "absent", sizeof(T.state));
	if ((o = mod_json(name)) == NULL)
		return (T.state);
	if (json_object_object_get_ex(o, "state", &s))
		vg_strlcpy(T.state, json_object_get_string(s),
		    sizeof(T.state));
	json_object_put(o);
	return (T.state);
}

/* Module NAME's load order, or -1. */
static int
load_order(const char *name)
{
	struct json_object *o, *s;
	int n = -1;

	if ((o = mod_json(name)) == NULL)
		return (-1);
	if (json_object_object_get_ex(o, "load_order", &s))
		n = json_object_get_int(s);
	json_object_put(o);
	return (n);
}

/* Number of modules the loader knows. */
static size_t
nmods(void)
{
	struct json_object *arr;
	size_t n;

	arr = vg_loader_json();
	n = json_object_array_length(arr);
	json_object_put(arr);
	return (n);
}

/* True when service NAME is offered (looked up as the core, released). */
static int
offered(const char *name)
{
	if (vg_service_get(vg_core_module(), name) == NULL)
		return (0);
	vg_service_release(vg_core_module(), name);
	return (1);
}

/* ---- cases ---- */

/* A module that loads is running, described, and unloaded at stop. */
static void
t_ok_loads(void)
{
	struct json_object *o, *v;

	setup();
	link_mods("t_ok", NULL);
	write_conf("modules.conf", "[modules]\nload => t_ok.so\n");
	VG_CHECK_INT(start(), 0);
	VG_CHECK_STR(state("t_ok"), "running");
	VG_CHECK_INT(load_order("t_ok"), 1);
	VG_CHECK(log_has("t_ok: loaded", "1.2"));
	if ((o = mod_json("t_ok")) != NULL) {
		VG_CHECK(json_object_object_get_ex(o, "description", &v));
		VG_CHECK_STR(json_object_get_string(v), "test: loads fine");
		VG_CHECK(json_object_object_get_ex(o, "version", &v));
		VG_CHECK_STR(json_object_get_string(v), "1.2");
		VG_CHECK(json_object_object_get_ex(o, "path", &v));
		VG_CHECK(strstr(json_object_get_string(v), "/t_ok.so") != NULL);
		json_object_put(o);
	}
	VG_CHECK_STR(T.trace.log, "load t_ok;");
	stop();
	VG_CHECK_STR(T.trace.log, "load t_ok;unload t_ok;");
	VG_CHECK_INT(nmods(), 0);
	teardown();
}

/* A name may be given without ".so". */
static void
t_name_without_so(void)
{
	setup();
	link_mods("t_ok", NULL);
	write_conf("modules.conf", "[modules]\nload => t_ok\n");
	VG_CHECK_INT(start(), 0);
	VG_CHECK_STR(state("t_ok"), "running");
	stop();
	teardown();
}

/* A decline is said once, start-up goes on, its registrations go. */
static void
t_decline_goes_on(void)
{
	setup();
	link_mods("t_ok", "t_decline", NULL);
	write_conf("modules.conf",
	    "[modules]\nload => t_decline.so\nload => t_ok.so\n");
	VG_CHECK_INT(start(), 0);
	VG_CHECK_STR(state("t_decline"), "declined");
	VG_CHECK_STR(state("t_ok"), "running");
	VG_CHECK(log_has("NOTICE", "t_decline: declined (not configured)"));
	VG_CHECK(!offered("t_decline.svc"));
	VG_CHECK_STR(T.trace.log, "load t_decline;load t_ok;");
	stop();
	teardown();
}

/* A failing module is an error, not fatal unless required. */
static void
t_fail_not_fatal(void)
{
	setup();
	link_mods("t_ok", "t_fail", NULL);
	write_conf("modules.conf",
	    "[modules]\nload => t_fail.so\nload => t_ok.so\n");
	VG_CHECK_INT(start(), 0);
	VG_CHECK_STR(state("t_fail"), "failed");
	VG_CHECK_STR(state("t_ok"), "running");
	VG_CHECK(log_has("ERROR", "t_fail: load failed"));
	VG_CHECK(!offered("t_fail.svc"));
	stop();
	teardown();
}

/* A required module that fails aborts start-up and unwinds the rest. */
static void
t_require_fail_aborts(void)
{
	setup();
	link_mods("t_ok", "t_fail", NULL);
	write_conf("modules.conf",
	    "[modules]\nload => t_ok.so\nrequire => t_fail.so\n");
	VG_CHECK_INT(start(), -1);
	VG_CHECK(log_has("required module t_fail", "aborted"));
	VG_CHECK_STR(T.trace.log, "load t_ok;load t_fail;unload t_ok;");
	VG_CHECK_INT(nmods(), 0);
	stop();
	teardown();
}

/* A required module that is not there aborts start-up. */
static void
t_require_missing_aborts(void)
{
	setup();
	link_mods("t_ok", NULL);
	write_conf("modules.conf",
	    "[modules]\nload => t_ok.so\nrequire => t_nothere.so\n");
	VG_CHECK_INT(start(), -1);
	VG_CHECK(log_has("t_nothere", "cannot open"));
	VG_CHECK(strstr(T.trace.log, "load t_ok") == NULL);
	stop();
	teardown();
}

/* A module built for another major ABI is refused, naming both. */
static void
t_abi_major(void)
{
	char want[64];

	setup();
	link_mods("t_abi_major", "t_ok", NULL);
	write_conf("modules.conf",
	    "[modules]\nload => t_abi_major\nload => t_ok\n");
	VG_CHECK_INT(start(), 0);
	VG_CHECK_STR(state("t_abi_major"), "failed");
	VG_CHECK_STR(state("t_ok"), "running");
	snprintf(want, sizeof(want), "ABI %d.0, this host has ABI %d.%d",
	    VG_ABI_MAJOR + 1, VG_ABI_MAJOR, VG_ABI_MINOR);
	VG_CHECK(log_has("t_abi_major", want));
	VG_CHECK(strstr(T.trace.log, "t_abi_major") == NULL);
	stop();
	teardown();
}

/* A module built for a newer minor ABI is refused, naming both. */
static void
t_abi_minor(void)
{
	char want[64];

	setup();
	link_mods("t_abi_minor", NULL);
	write_conf("modules.conf", "[modules]\nload => t_abi_minor\n");
	VG_CHECK_INT(start(), 0);
	VG_CHECK_STR(state("t_abi_minor"), "failed");
	snprintf(want, sizeof(want), "ABI %d.%d, this host has ABI %d.%d",
	    VG_ABI_MAJOR, VG_ABI_MINOR + 1, VG_ABI_MAJOR, VG_ABI_MINOR);
	VG_CHECK(log_has("t_abi_minor", want));
	VG_CHECK(log_has("t_abi_minor", "minor is newer"));
	VG_CHECK(strstr(T.trace.log, "t_abi_minor") == NULL);
	stop();
	teardown();
}

/* c requires b requires a: loaded a, b, c and unloaded c, b, a. */
static void
t_chain_order(void)
{
	setup();
	link_mods("t_a", "t_b", "t_c", NULL);
	write_conf("modules.conf", "[modules]\nload => t_c.so\n"
	    "load => t_b\nload => t_a.so\n");
	VG_CHECK_INT(start(), 0);
	VG_CHECK_STR(T.trace.log, "load t_a;load t_b;load t_c;");
	VG_CHECK_INT(load_order("t_a"), 1);
	VG_CHECK_INT(load_order("t_b"), 2);
	VG_CHECK_INT(load_order("t_c"), 3);
	stop();
	VG_CHECK_STR(T.trace.log, "load t_a;load t_b;load t_c;"
	    "unload t_c;unload t_b;unload t_a;");
	teardown();
}

/* A cycle is named and declined, with what requires it; others go on. */
static void
t_cycle_declined(void)
{
	setup();
	link_mods("t_x", "t_y", "t_z", "t_ok", NULL);
	write_conf("modules.conf", "[modules]\nload => t_z\nload => t_x\n"
	    "load => t_y\nload => t_ok\n");
	VG_CHECK_INT(start(), 0);
	VG_CHECK_STR(state("t_x"), "declined");
	VG_CHECK_STR(state("t_y"), "declined");
	VG_CHECK_STR(state("t_z"), "declined");
	VG_CHECK_STR(state("t_ok"), "running");
	VG_CHECK(log_has("dependency cycle", "t_x -> t_y -> t_x"));
	VG_CHECK(log_has("t_z: declined", "requires t_x"));
	VG_CHECK_STR(T.trace.log, "load t_ok;");
	stop();
	teardown();
}

/* A missing requirement declines the module, naming it. */
static void
t_missing_requirement(void)
{
	setup();
	link_mods("t_needs", NULL);
	write_conf("modules.conf", "[modules]\nload => t_needs\n");
	VG_CHECK_INT(start(), 0);
	VG_CHECK_STR(state("t_needs"), "declined");
	VG_CHECK(log_has("t_needs: declined", "requires t_absent"));
	VG_CHECK_STR(T.trace.log, "");
	stop();
	teardown();
}

/* autoload loads every .so in the folder, in dependency order. */
static void
t_autoload(void)
{
	setup();
	link_mods("t_b", "t_a", "t_ok", NULL);
	write_conf("modules.conf", "[modules]\nautoload = yes\n");
	VG_CHECK_INT(start(), 0);
	VG_CHECK_STR(state("t_a"), "running");
	VG_CHECK_STR(state("t_b"), "running");
	VG_CHECK_STR(state("t_ok"), "running");
	VG_CHECK(load_order("t_a") < load_order("t_b"));
	VG_CHECK_INT(nmods(), 3);
	stop();
	teardown();
}

/* Without autoload, nothing is loaded that is not listed. */
static void
t_autoload_off(void)
{
	setup();
	link_mods("t_ok", "t_a", NULL);
	write_conf("modules.conf", "[modules]\nautoload = no\nload => t_a\n");
	VG_CHECK_INT(start(), 0);
	VG_CHECK_STR(state("t_a"), "running");
	VG_CHECK_STR(state("t_ok"), "absent");
	stop();
	teardown();
}

/* noload keeps a module out, even under autoload. */
static void
t_noload(void)
{
	setup();
	link_mods("t_ok", "t_a", "t_decline", NULL);
	write_conf("modules.conf", "[modules]\nautoload = yes\n"
	    "noload => t_decline.so\nnoload => t_ok\n");
	VG_CHECK_INT(start(), 0);
	VG_CHECK_STR(state("t_a"), "running");
	VG_CHECK_STR(state("t_decline"), "absent");
	VG_CHECK_STR(state("t_ok"), "absent");
	VG_CHECK_STR(T.trace.log, "load t_a;");
	stop();
	teardown();
}

/* An unknown key is an error naming file and line; start-up stops. */
static void
t_unknown_key(void)
{
	setup();
	link_mods("t_ok", NULL);
	write_conf("modules.conf",
	    "[modules]\nautoload = no\nlaod => t_ok.so\n");
	VG_CHECK_INT(start(), -1);
	VG_CHECK(log_has("modules.conf:3", "unknown key \"laod\""));
	VG_CHECK_STR(T.trace.log, "");
	stop();
	teardown();
}

/* What a module forgets to release is swept up at unload and counted. */
static void
t_unload_releases(void)
{
	struct vg_bus_stats st;
	unsigned subs;

	setup();
	link_mods("t_leak", NULL);
	write_conf("modules.conf", "[modules]\nload => t_leak\n");
	vg_bus_stats(&st);
	subs = st.subscribers;
	VG_CHECK_INT(start(), 0);
	VG_CHECK_STR(state("t_leak"), "running");
	VG_CHECK(offered("t_leak.svc"));
	vg_bus_stats(&st);
	VG_CHECK_INT(st.subscribers, subs + 1);
	stop();
	VG_CHECK(log_has("WARN", "t_leak: unload left 3 registrations"));
	VG_CHECK(!offered("t_leak.svc"));
	vg_bus_stats(&st);
	VG_CHECK_INT(st.subscribers, subs);
	VG_CHECK_STR(T.trace.log, "unload t_leak;");
	teardown();
}

/* A module another one requires or uses cannot be unloaded. */
static void
t_unload_in_use(void)
{
	char err[256];

	setup();
	link_mods("t_prov", "t_user", "t_a", "t_b", NULL);
	write_conf("modules.conf", "[modules]\nautoload = yes\n");
	VG_CHECK_INT(start(), 0);
	VG_CHECK_STR(state("t_user"), "running");
	VG_CHECK_INT(vg_loader_unload("t_prov", err, sizeof(err)), -1);
	VG_CHECK(strstr(err, "in use by t_user") != NULL);
	VG_CHECK_INT(vg_loader_unload("t_a", err, sizeof(err)), -1);
	VG_CHECK(strstr(err, "in use by t_b") != NULL);
	VG_CHECK_INT(vg_loader_unload("t_nothing", err, sizeof(err)), -1);
	VG_CHECK(strstr(err, "unknown module t_nothing") != NULL);

	capture_start();
	VG_CHECK_INT(vg_loader_unload("t_user.so", err, sizeof(err)), 0);
	VG_CHECK_INT(vg_loader_unload("t_prov", err, sizeof(err)), 0);
	VG_CHECK_INT(vg_loader_unload("t_b", err, sizeof(err)), 0);
	VG_CHECK_INT(vg_loader_unload("t_a", err, sizeof(err)), 0);
	capture_stop();
	VG_CHECK(strstr(T.log, "left") == NULL);	/* they cleaned up */
	VG_CHECK_STR(state("t_prov"), "unloaded");
	VG_CHECK_INT(vg_loader_unload("t_prov", err, sizeof(err)), -1);
	VG_CHECK(strstr(err, "not loaded") != NULL);
	VG_CHECK_STR(T.trace.log, "load t_a;load t_b;"
	    "unload t_user;unload t_prov;unload t_b;unload t_a;");
	stop();
	VG_CHECK_STR(T.trace.log, "load t_a;load t_b;"
	    "unload t_user;unload t_prov;unload t_b;unload t_a;");
	teardown();
}

/* Run-time load: by name, refused twice, and with clear reasons. */
static void
t_runtime_load(void)
{
	char err[256];

	setup();
	link_mods("t_ok", "t_decline", "t_b", "t_a", NULL);
	write_conf("modules.conf", "[modules]\n");
	VG_CHECK_INT(start(), 0);
	VG_CHECK_INT(nmods(), 0);
	capture_start();
	VG_CHECK_INT(vg_loader_load("t_ok", err, sizeof(err)), 0);
	VG_CHECK_INT(vg_loader_load("t_ok.so", err, sizeof(err)), -1);
	VG_CHECK(strstr(err, "already loaded") != NULL);
	VG_CHECK_INT(vg_loader_load("t_nothere", err, sizeof(err)), -1);
	VG_CHECK(strstr(err, "unknown module t_nothere") != NULL);
	VG_CHECK_INT(vg_loader_load("t_decline", err, sizeof(err)), -1);
	VG_CHECK(strstr(err, "declined") != NULL);
	VG_CHECK_INT(vg_loader_load("t_b", err, sizeof(err)), -1);
	VG_CHECK(strstr(err, "requires t_a") != NULL);
	VG_CHECK_INT(vg_loader_load("t_a", err, sizeof(err)), 0);
	VG_CHECK_INT(vg_loader_load("t_b", err, sizeof(err)), 0);
	VG_CHECK_INT(vg_loader_unload("t_ok", err, sizeof(err)), 0);
	VG_CHECK_INT(vg_loader_load("t_ok", err, sizeof(err)), 0);
	capture_stop();
	VG_CHECK_STR(state("t_ok"), "running");
	VG_CHECK_STR(T.trace.log, "load t_ok;load t_decline;load t_a;"
	    "load t_b;unload t_ok;load t_ok;");
	stop();
	VG_CHECK_STR(T.trace.log, "load t_ok;load t_decline;load t_a;"
	    "load t_b;unload t_ok;load t_ok;unload t_ok;unload t_b;"
	    "unload t_a;");
	teardown();
}

/* reload re-reads the module's own .conf and calls its reload. */
static void
t_reload_called(void)
{
	char err[256];

	setup();
	link_mods("t_rec", NULL);
	write_conf("modules.conf", "[modules]\nload => t_rec\n");
	write_conf("t_rec.conf", "[general]\ngreeting = hello\n");
	VG_CHECK_INT(start(), 0);
	VG_CHECK_INT(T.trace.loads, 1);
	VG_CHECK_STR(T.trace.greeting, "hello");
	write_conf("t_rec.conf", "[general]\ngreeting = bonjour\n");
	capture_start();
	VG_CHECK_INT(vg_loader_reload("t_rec", err, sizeof(err)), 0);
	capture_stop();
	VG_CHECK_INT(T.trace.reloads, 1);
	VG_CHECK_STR(T.trace.greeting, "bonjour");
	write_conf("t_rec.conf", "[general]\ngreeting = hej\n");
	capture_start();
	vg_loader_reload_all();
	capture_stop();
	VG_CHECK_INT(T.trace.reloads, 2);
	VG_CHECK_STR(T.trace.greeting, "hej");
	write_conf("t_rec.conf", "[general\n");
	capture_start();
	VG_CHECK_INT(vg_loader_reload("t_rec", err, sizeof(err)), -1);
	capture_stop();
	VG_CHECK(strstr(err, "t_rec.conf") != NULL);
	VG_CHECK(log_has("t_rec.conf:1", NULL));
	VG_CHECK_INT(T.trace.reloads, 2);
	VG_CHECK_INT(vg_loader_reload("t_nothing", err, sizeof(err)), -1);
	VG_CHECK(strstr(err, "unknown module") != NULL);
	stop();
	VG_CHECK_INT(T.trace.unloads, 1);
	VG_CHECK_INT(T.trace.loads, 1);
	teardown();
}

/* The module's own .conf is handed to load; a broken one declines it. */
static void
t_module_conf(void)
{
	setup();
	link_mods("t_rec", NULL);
	write_conf("modules.conf", "[modules]\nload => t_rec\n");
	VG_CHECK_INT(start(), 0);
	VG_CHECK_STR(T.trace.greeting, "(none)");	/* no file: NULL */
	stop();

	write_conf("t_rec.conf", "[general]\nenabled = no\n");
	VG_CHECK_INT(start(), 0);
	VG_CHECK_STR(state("t_rec"), "declined");
	VG_CHECK(log_has("t_rec: declined (not configured)", NULL));
	stop();

	write_conf("t_rec.conf", "[general\ngreeting = hi\n");
	VG_CHECK_INT(start(), 0);
	VG_CHECK_STR(state("t_rec"), "declined");
	VG_CHECK(log_has("t_rec", "t_rec.conf:1"));
	VG_CHECK_INT(T.trace.loads, 1);
	stop();
	teardown();
}

/* Errors --check-config found, one per call. */
struct check_seen {
	unsigned	 n;
	char		 where[8][300];
};

/* Collect one error as "file:line". */
static void
check_err(const struct vg_conf_error *err, void *arg)
{
	struct check_seen *cs = arg;
	const char *base;

	if (cs->n >= VG_NELEM(cs->where))
		return;
	base = strrchr(err->file, '/');
	snprintf(cs->where[cs->n++], sizeof(cs->where[0]), "%s:%d",
	    base != NULL ? base + 1 : err->file, err->line);
}

/* --check-config reports every error in every file and loads nothing. */
static void
t_check_config(void)
{
	struct check_seen cs;

	setup();
	link_mods("t_rec", NULL);
	write_conf("modules.conf", "[modules]\nload => t_rec\n");
	write_conf("t_rec.conf", "[general]\ngreeting = hi\n");
	write_conf("other.conf", "[x]\ny = z\n");
	memset(&cs, 0, sizeof(cs));
	VG_CHECK_INT(vg_loader_check(T.confdir, check_err, &cs), 0);
	VG_CHECK_INT(cs.n, 0);

	write_conf("modules.conf", "[modules]\nload => t_rec\nbogus = 1\n");
	write_conf("t_rec.conf", "[general\n");
	memset(&cs, 0, sizeof(cs));
	VG_CHECK_INT(vg_loader_check(T.confdir, check_err, &cs), -1);
	VG_CHECK_INT(cs.n, 2);
	VG_CHECK((strcmp(cs.where[0], "modules.conf:3") == 0 &&
	    strcmp(cs.where[1], "t_rec.conf:1") == 0));
	VG_CHECK_INT(T.trace.loads, 0);
	VG_CHECK_INT(nmods(), 0);
	teardown();
}

/* The registry: one provider a name, uses recorded and released. */
static void
t_service_registry(void)
{
	struct vg_module a, b;
	static const int ia = 1, ib = 2;
	char user[64];

	setup();
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	vg_strlcpy(a.name, "svc_a", sizeof(a.name));
	vg_strlcpy(b.name, "svc_b", sizeof(b.name));
	capture_start();
	VG_CHECK_INT(vg_service_register(&a, "s.one", &ia), 0);
	VG_CHECK_INT(vg_service_register(&b, "s.one", &ib), -1);
	capture_stop();
	VG_CHECK(log_has("s.one", "already offered by svc_a"));
	VG_CHECK(vg_service_get(&b, "s.none") == NULL);
	VG_CHECK(!vg_service_in_use(&a, user, sizeof(user)));
	VG_CHECK(vg_service_get(&a, "s.one") == &ia);	/* own use: free */
	VG_CHECK(!vg_service_in_use(&a, user, sizeof(user)));
	VG_CHECK(vg_service_get(&b, "s.one") == &ia);
	VG_CHECK(vg_service_get(&b, "s.one") == &ia);	/* one use, twice */
	VG_CHECK(vg_service_in_use(&a, user, sizeof(user)));
	VG_CHECK_STR(user, "svc_b");
	vg_service_release(&b, "s.one");
	VG_CHECK(!vg_service_in_use(&a, user, sizeof(user)));
	VG_CHECK(vg_service_get(&b, "s.one") == &ia);
	VG_CHECK_INT(vg_service_release_owner(&b), 1);	/* the use */
	VG_CHECK(!vg_service_in_use(&a, user, sizeof(user)));
	VG_CHECK_INT(vg_service_register(&a, "s.two", &ib), 0);
	vg_service_unregister(&a, "s.two");
	VG_CHECK(vg_service_get(&b, "s.two") == NULL);
	VG_CHECK_INT(vg_service_release_owner(&a), 1);	/* s.one */
	VG_CHECK(vg_service_get(&b, "s.one") == NULL);
	VG_CHECK_INT(vg_service_release_owner(&a), 0);
	teardown();
}

static const struct vg_test cases[] = {
	{ "service/registry",			t_service_registry },
	{ "loader/ok_loads",			t_ok_loads },
	{ "loader/name_without_so",		t_name_without_so },
	{ "loader/decline_goes_on",		t_decline_goes_on },
	{ "loader/fail_not_fatal",		t_fail_not_fatal },
	{ "loader/require_fail_aborts",		t_require_fail_aborts },
	{ "loader/require_missing_aborts",	t_require_missing_aborts },
	{ "loader/abi_major_refused",		t_abi_major },
	{ "loader/abi_minor_refused",		t_abi_minor },
	{ "loader/chain_order",			t_chain_order },
	{ "loader/cycle_declined",		t_cycle_declined },
	{ "loader/missing_requirement",		t_missing_requirement },
	{ "loader/autoload",			t_autoload },
	{ "loader/autoload_off",		t_autoload_off },
	{ "loader/noload",			t_noload },
	{ "loader/unknown_key",			t_unknown_key },
	{ "loader/unload_releases",		t_unload_releases },
	{ "loader/unload_in_use",		t_unload_in_use },
	{ "loader/runtime_load",		t_runtime_load },
	{ "loader/reload_called",		t_reload_called },
	{ "loader/module_conf",			t_module_conf },
	{ "loader/check_config",		t_check_config },
};
VG_TEST_MAIN(cases)
