/*
 * voicegate: the daemon's entry point. Parses the command line, reads
 * voicegate.conf, starts the core loop, the listener, the control socket
 * and the modules listed in modules.conf, and stops them in reverse on
 * SIGTERM/SIGINT after active calls finish (or the grace period ends).
 * SIGHUP re-reads configuration. Everything here runs on the core thread.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include <voicegate/voicegate.h>

#include "core.h"

#define MAIN_STOP_POLL_MS	100	/* how often a stopping daemon looks */

static struct {
	const char		*confdir;
	const char		*moddir;
	int			 foreground;
	int			 verbose;
	struct event		*sig_term;
	struct event		*sig_int;
	struct event		*sig_hup;
	struct vg_timer		*stop_timer;
	uint64_t		 stop_deadline_ms;
	int			 stopping;
} g = {
	.confdir = VG_CONF_DIR,
};

static void	main_stop(int now);

/* Print usage to FP. */
static void
main_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: voicegate [-c CONFDIR] [-f] [-v...] [-M MODULEDIR]"
	    " [--check-config] [--version]\n"
	    "  -c CONFDIR       configuration folder (default %s)\n"
	    "  -f               stay in the foreground\n"
	    "  -v               more verbose logging (repeat for more)\n"
	    "  -M MODULEDIR     load modules from MODULEDIR (default %s)\n"
	    "  --check-config   check every configuration file and exit\n"
	    "  --version        print the version and exit\n",
	    VG_CONF_DIR, VG_MODULE_DIR);
}

/* Print one configuration error as FILE:LINE: MESSAGE and count it. */
static void
main_conf_error(const struct vg_conf_error *err, void *arg)
{
	unsigned *count = arg;

	if (err->line > 0)
		fprintf(stderr, "%s:%d: %s\n", err->file, err->line,
		    err->message);
	else
		fprintf(stderr, "%s: %s\n", err->file, err->message);
	(*count)++;
}

/* Read CONFDIR/voicegate.conf into S. Returns the number of errors. */
static unsigned
main_read_settings(struct vg_settings *s)
{
	struct vg_conf *conf;
	unsigned errors = 0;
	char *path;

	path = vg_asprintf("%s/voicegate.conf", g.confdir);
	conf = vg_conf_parse(path, main_conf_error, &errors);
	free(path);
	if (conf == NULL) {
		return (errors > 0 ? errors : 1);
	}
	vg_settings_read(conf, s, main_conf_error, &errors);
	vg_conf_free(conf);
	return (errors);
}

/* Raise the configured log level by one step per -v. */
static void
main_apply_verbose(struct vg_settings *s)
{
	int level = (int)s->log_level + g.verbose;

	s->log_level = level > VG_LOG_DEBUG ? VG_LOG_DEBUG : level;
}

/* --check-config: parse everything, load nothing. */
static int
main_check_config(void)
{
	struct vg_settings s;
	unsigned errors;

	errors = main_read_settings(&s);
	if (vg_loader_check(g.confdir, main_conf_error, &errors) == -1 &&
	    errors == 0)
		errors = 1;
	if (errors > 0) {
		fprintf(stderr, "voicegate: %u configuration error%s in %s\n",
		    errors, errors == 1 ? "" : "s", g.confdir);
		return (1);
	}
	printf("voicegate: configuration in %s is valid\n", g.confdir);
	return (0);
}

/* The module folder: -M, then module_dir from voicegate.conf, then the
 * built-in default. */
static const char *
main_module_dir(void)
{
	if (g.moddir != NULL)
		return (g.moddir);
	if (vg_settings()->module_dir[0] != '\0')
		return (vg_settings()->module_dir);
	return (VG_MODULE_DIR);
}

/* ---- stopping and reloading ---- */

/* Finish the stop: unload modules in reverse order, close the sockets and
 * leave the loop. */
static void
main_finish_stop(void)
{
	if (g.stop_timer != NULL) {
		vg_timer_cancel(g.stop_timer);
		g.stop_timer = NULL;
	}
	vg_log(VG_LOG_NOTICE, "stopping: unloading modules");
	vg_loader_stop();
	vg_core_break();
}

/* Polled while stopping: finish once no call is active or grace ran out. */
static void
main_stop_poll(struct vg_timer *t, void *arg)
{
	unsigned active = vg_call_count();

	if (active == 0) {
		vg_log(VG_LOG_NOTICE, "stopping: no active calls left");
		main_finish_stop();
	} else if (vg_now_ms() >= g.stop_deadline_ms) {
		vg_log(VG_LOG_WARN, "stopping: grace period over with %u "
		    "active call%s", active, active == 1 ? "" : "s");
		main_finish_stop();
	}
}

/* Begin stopping: refuse new calls and connections, let active calls
 * finish within the grace period (skipped when NOW). A second request
 * stops at once. */
static void
main_stop(int now)
{
	unsigned grace = vg_settings()->shutdown_grace_s;

	if (g.stopping && !now) {
		vg_log(VG_LOG_NOTICE, "second stop request: stopping now");
		now = 1;
	}
	if (g.stopping && g.stop_timer == NULL)
		return;		/* already finishing */
	g.stopping = 1;
	vg_calls_stop_new();
	vg_net_stop_accepting();
	if (now || grace == 0 || vg_call_count() == 0) {
		main_finish_stop();
		return;
	}
	vg_log(VG_LOG_NOTICE, "stopping: waiting up to %u s for %u active "
	    "call%s", grace, vg_call_count(), vg_call_count() == 1 ? "" : "s");
	g.stop_deadline_ms = vg_now_ms() + (uint64_t)grace * 1000;
	if (g.stop_timer == NULL)
		g.stop_timer = vg_timer_add(vg_core_module(), MAIN_STOP_POLL_MS,
		    1, main_stop_poll, NULL);
}

/* Re-read voicegate.conf (the log level applies at once; listener and
 * socket changes need a restart) and every module's configuration. */
static void
main_reload(void)
{
	struct vg_settings s;
	const struct vg_settings *cur = vg_settings();
	unsigned errors;

	vg_log(VG_LOG_NOTICE, "reloading configuration from %s", g.confdir);
	errors = main_read_settings(&s);
	if (errors > 0) {
		vg_log(VG_LOG_ERROR, "voicegate.conf has %u error%s: keeping "
		    "the settings in force", errors, errors == 1 ? "" : "s");
	} else {
		if (strcmp(s.listen_addr, cur->listen_addr) != 0 ||
		    s.listen_port != cur->listen_port ||
		    strcmp(s.control_socket, cur->control_socket) != 0)
			vg_log(VG_LOG_WARN, "listener or control socket "
			    "changed: takes effect at restart");
		/* Keep what only a restart can change. */
		vg_strlcpy(s.listen_addr, cur->listen_addr,
		    sizeof(s.listen_addr));
		s.listen_port = cur->listen_port;
		vg_strlcpy(s.control_socket, cur->control_socket,
		    sizeof(s.control_socket));
		main_apply_verbose(&s);
		vg_settings_set(&s);
		vg_log_set_level(s.log_level);
	}
	vg_loader_reload_all();
}

/* libevent signal callback. */
static void
main_signal(evutil_socket_t sig, short what, void *arg)
{
	switch (sig) {
	case SIGTERM:
	case SIGINT:
		vg_log(VG_LOG_NOTICE, "%s received", strsignal(sig));
		main_stop(0);
		break;
	case SIGHUP:
		main_reload();
		break;
	}
}

/* Watch SIG on the core loop. */
static struct event *
main_watch_signal(int sig)
{
	struct event *ev;

	ev = evsignal_new(vg_core_base(), sig, main_signal, NULL);
	if (ev == NULL || evsignal_add(ev, NULL) == -1) {
		vg_log(VG_LOG_ERROR, "cannot watch signal %d", sig);
		if (ev != NULL)
			event_free(ev);
		return (NULL);
	}
	return (ev);
}

/* ---- start-up ---- */

/* Parse the command line into g. Returns -1 to exit with *RC. */
static int
main_args(int argc, char **argv, int *check, int *rc)
{
	static const struct option longopts[] = {
		{ "check-config",	no_argument,	NULL, 'C' },
		{ "version",		no_argument,	NULL, 'V' },
		{ "help",		no_argument,	NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "c:fvM:h", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			g.confdir = optarg;
			break;
		case 'f':
			g.foreground = 1;
			break;
		case 'v':
			g.verbose++;
			break;
		case 'M':
			g.moddir = optarg;
			break;
		case 'C':
			*check = 1;
			break;
		case 'V':
			printf("voicegate %s (module ABI %d.%d)\n",
			    PACKAGE_VERSION, VG_ABI_MAJOR, VG_ABI_MINOR);
			*rc = 0;
			return (-1);
		case 'h':
			main_usage(stdout);
			*rc = 0;
			return (-1);
		default:
			main_usage(stderr);
			*rc = 2;
			return (-1);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "voicegate: unexpected argument: %s\n",
		    argv[optind]);
		main_usage(stderr);
		*rc = 2;
		return (-1);
	}
	return (0);
}

int
main(int argc, char **argv)
{
	struct vg_settings s;
	char confdir[PATH_MAX];
	int check = 0, rc = 1;

	if (main_args(argc, argv, &check, &rc) == -1)
		return (rc);
	/* Modules and reloads need the folder after a daemon's chdir("/"). */
	if (realpath(g.confdir, confdir) == NULL) {
		fprintf(stderr, "voicegate: configuration folder %s: %s\n",
		    g.confdir, strerror(errno));
		return (1);
	}
	g.confdir = confdir;
	vg_core_set_confdir(confdir);
	if (check)
		return (main_check_config());

	if (main_read_settings(&s) > 0) {
		fprintf(stderr, "voicegate: not starting: fix %s/voicegate.conf"
		    " (voicegate --check-config -c %s lists every error)\n",
		    g.confdir, g.confdir);
		return (1);
	}
	main_apply_verbose(&s);
	if (!g.foreground && strcmp(s.log_target, "stderr") == 0)
		vg_strlcpy(s.log_target, "syslog", sizeof(s.log_target));
	vg_settings_set(&s);
	if (vg_log_open(s.log_target, s.log_level) == -1) {
		fprintf(stderr, "voicegate: bad log target %s\n", s.log_target);
		return (1);
	}
	if (!g.foreground && daemon(0, 0) == -1) {
		fprintf(stderr, "voicegate: daemon: %s\n", strerror(errno));
		return (1);
	}
	signal(SIGPIPE, SIG_IGN);

	vg_log(VG_LOG_NOTICE, "voicegate %s starting (config %s)",
	    PACKAGE_VERSION, g.confdir);
	if (vg_core_init() == -1)
		goto out;
	vg_core_set_hooks(main_stop, main_reload);
	if ((g.sig_term = main_watch_signal(SIGTERM)) == NULL ||
	    (g.sig_int = main_watch_signal(SIGINT)) == NULL ||
	    (g.sig_hup = main_watch_signal(SIGHUP)) == NULL)
		goto out_core;
	if (vg_net_start(vg_settings()) == -1)
		goto out_core;
	if (vg_metrics_routes() == -1 || vg_cli_core_commands() == -1)
		goto out_net;
	if (vg_control_start(vg_settings()->control_socket) == -1)
		goto out_net;
	if (vg_loader_start(g.confdir, main_module_dir()) == -1) {
		vg_log(VG_LOG_ERROR, "a required module did not load: "
		    "stopping");
		vg_loader_stop();
		goto out_control;
	}
	vg_log(VG_LOG_NOTICE, "voicegate ready on %s:%d", s.listen_addr,
	    vg_net_port());

	vg_core_run();
	vg_log(VG_LOG_NOTICE, "voicegate stopped");
	rc = 0;

out_control:
	vg_control_stop();
out_net:
	vg_net_stop();
out_core:
	if (g.sig_term != NULL)
		event_free(g.sig_term);
	if (g.sig_int != NULL)
		event_free(g.sig_int);
	if (g.sig_hup != NULL)
		event_free(g.sig_hup);
	vg_core_release_owner(vg_core_module());
	vg_core_free();
out:
	vg_log_close();
	return (rc);
}
