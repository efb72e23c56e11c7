/*
 * The core loop: one libevent base on the core thread, where every line of
 * module code runs, and the set-up and tear-down of the subsystems that
 * live on it.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <event2/thread.h>

#include <voicegate/voicegate.h>

#include "core.h"

static struct {
	struct event_base	*base;
	pthread_t		 thread;
	struct vg_module	 self;
	char			 confdir[512];
	char			 listen_url[128];
	uint64_t		 started_ms;
	vg_core_stop_fn		 stop_hook;
	vg_core_reload_fn	 reload_hook;
} g = {
	.self = { .name = "core", .state = VG_MOD_RUNNING },
};

/* Make the base and every subsystem that needs no sockets. */
int
vg_core_init(void)
{
	if (evthread_use_pthreads() == -1) {
		vg_log(VG_LOG_ERROR, "evthread_use_pthreads failed");
		return (-1);
	}
	if ((g.base = event_base_new()) == NULL) {
		vg_log(VG_LOG_ERROR, "event_base_new failed");
		return (-1);
	}
	g.thread = pthread_self();
	g.started_ms = vg_now_ms();
	if (vg_bus_init() == -1)
		goto fail;
	if (vg_loop_init() == -1)
		goto fail_bus;
	if (vg_httpc_init() == -1)
		goto fail_loop;
	if (vg_calls_init() == -1)
		goto fail_httpc;
	if (vg_metrics_init() == -1)
		goto fail_calls;
	return (0);

fail_calls:
	vg_calls_free();
fail_httpc:
	vg_httpc_free();
fail_loop:
	vg_loop_free();
fail_bus:
	vg_bus_free();
fail:
	event_base_free(g.base);
	g.base = NULL;
	return (-1);
}

/* Run until vg_core_break(). */
int
vg_core_run(void)
{
	return (event_base_loop(g.base, EVLOOP_NO_EXIT_ON_EMPTY));
}

/* Make vg_core_run() return; safe from any thread (evthread). */
void
vg_core_break(void)
{
	if (g.base != NULL)
		event_base_loopbreak(g.base);
}

/* Tear down in reverse order of vg_core_init(). */
void
vg_core_free(void)
{
	if (g.base == NULL)
		return;
	vg_metrics_free();
	vg_calls_free();
	vg_httpc_free();
	vg_loop_free();
	vg_bus_free();
	event_base_free(g.base);
	g.base = NULL;
}

struct event_base *
vg_core_base(void)
{
	return (g.base);
}

struct vg_module *
vg_core_module(void)
{
	return (&g.self);
}

/* Remember the configuration directory for vg_confdir(). */
void
vg_core_set_confdir(const char *dir)
{
	vg_strlcpy(g.confdir, dir, sizeof(g.confdir));
}

/* The configuration directory the daemon runs with. */
const char *
vg_confdir(void)
{
	return (g.confdir);
}

/* The public URL from voicegate.conf. */
const char *
vg_public_url(void)
{
	return (vg_settings()->public_url);
}

/* The listener's URL, loopback for a wildcard address. */
const char *
vg_listen_url(void)
{
	const char *addr = vg_settings()->listen_addr;

	if (addr[0] == '\0' || strcmp(addr, "*") == 0 ||
	    strcmp(addr, "0.0.0.0") == 0)
		addr = "127.0.0.1";
	else if (strcmp(addr, "::") == 0)
		addr = "::1";
	snprintf(g.listen_url, sizeof(g.listen_url),
	    strchr(addr, ':') != NULL ? "http://[%s]:%d" : "http://%s:%d",
	    addr, vg_net_port());
	return (g.listen_url);
}

/* True on the thread that called vg_core_init(). */
int
vg_core_is_core_thread(void)
{
	return (g.base != NULL && pthread_equal(pthread_self(), g.thread));
}

/* Sweep every registry for what MOD still owns. */
unsigned
vg_core_release_owner(struct vg_module *mod)
{
	unsigned n = 0;

	n += vg_cli_release_owner(mod);
	n += vg_net_release_owner(mod);
	n += vg_httpc_release_owner(mod);
	n += vg_bus_release_owner(mod);
	n += vg_loop_release_owner(mod);
	n += vg_metrics_release_owner(mod);
	n += vg_calls_release_owner(mod);
	n += vg_service_release_owner(mod);
	return (n);
}

/* Set what "core stop" and "core reload" do. */
void
vg_core_set_hooks(vg_core_stop_fn stop, vg_core_reload_fn reload)
{
	g.stop_hook = stop;
	g.reload_hook = reload;
}

/* Ask the daemon to stop, after the grace period unless NOW. */
int
vg_core_request_stop(int now)
{
	if (g.stop_hook == NULL)
		return (-1);
	g.stop_hook(now);
	return (0);
}

/* Ask the daemon to re-read its configuration. */
int
vg_core_request_reload(void)
{
	if (g.reload_hook == NULL)
		return (-1);
	g.reload_hook();
	return (0);
}

/* Seconds the core has been up. */
uint64_t
vg_core_uptime_s(void)
{
	return ((vg_now_ms() - g.started_ms) / 1000);
}
