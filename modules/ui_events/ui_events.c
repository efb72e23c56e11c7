/*
 * ui_events: the operator's window on the daemon. A live event feed
 * (WS /twilio/events: a snapshot of the active calls, then every non-audio
 * bus event as JSON), the web page that shows calls, transcripts and
 * activity and places calls (static files from www_dir, held in memory),
 * and the small JSON API behind it. Everything wants the operator's API key:
 * as a bearer token, or once at the login form for a session cookie.
 * Core thread only. Configuration: ui_events.conf, section [ui_events].
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include <voicegate/voicegate.h>

#include "ui_events.h"

#ifndef UI_WWW_DIR
#define UI_WWW_DIR	"/usr/local/share/voicegate/www"
#endif

#define UI_SECTION		"ui_events"

struct ui_state ui_g;

/* ---- control ---- */

/* "ui show": clients, sessions, files. */
static int
ui_cli_show(struct vg_cli *cli, int argc, char **argv)
{
	struct json_object *o, *arr;
	struct ui_client *c;

	if (vg_cli_wants_json(cli)) {
		o = json_object_new_object();
		arr = json_object_new_array();
		for (c = ui_g.clients; c != NULL; c = c->next) {
			struct json_object *x = json_object_new_object();

			json_object_object_add(x, "id", json_object_new_int64(
			    (int64_t)vg_ws_id(c->conn)));
			json_object_object_add(x, "peer",
			    json_object_new_string(vg_ws_peer(c->conn)));
			json_object_object_add(x, "call_id",
			    json_object_new_string(c->call_id));
			json_object_object_add(x, "queued",
			    json_object_new_int64((int64_t)c->box.count));
			json_object_object_add(x, "sent",
			    json_object_new_int64((int64_t)c->sent));
			json_object_array_add(arr, x);
		}
		json_object_object_add(o, "clients", arr);
		json_object_object_add(o, "sessions",
		    json_object_new_int64(ui_session_count()));
		json_object_object_add(o, "www_dir",
		    json_object_new_string(ui_g.conf.www_dir));
		json_object_object_add(o, "files",
		    json_object_new_int64((int64_t)ui_g.nfiles));
		json_object_object_add(o, "key_set", json_object_new_boolean(
		    *ui_g.conf.api_key != '\0'));
		vg_cli_set_json(cli, o);
	}
	vg_cli_printf(cli, "feed:     %s, %u client(s), %lld dropped\n"
	    "sessions: %u\npage:     %s (%zu files)\nkey:      %s\n",
	    UI_FEED_PATH, ui_g.nclients,
	    (long long)vg_metric_value(ui_g.m_dropped), ui_session_count(),
	    ui_g.conf.www_dir, ui_g.nfiles, *ui_g.conf.api_key != '\0' ?
	    "set" : "NOT SET: everyone is refused");
	for (c = ui_g.clients; c != NULL; c = c->next)
		vg_cli_printf(cli, "  client %llu %s%s%s: %llu sent, %zu "
		    "queued\n", vg_ws_id(c->conn), vg_ws_peer(c->conn),
		    c->call_id[0] ? " call " : "", c->call_id,
		    (unsigned long long)c->sent, c->box.count);
	return (VG_CLI_OK);
}

static const struct vg_cli_cmd ui_cli[] = {
	{ "ui show", "ui show", "web page and event feed: clients, sessions",
	    ui_cli_show },
};

/* ---- configuration ---- */

/* Free what C holds. */
static void
config_free(struct ui_conf *c)
{
	if (c->api_key != NULL) {
		explicit_bzero(c->api_key, strlen(c->api_key));
		free(c->api_key);
	}
	memset(c, 0, sizeof(*c));
}

#ifdef UI_WWW_SRCDIR
/* True when DIR holds an index.html. */
static int
ui_dir_has_index(const char *dir)
{
	char path[UI_PATH_MAX + 16];

	snprintf(path, sizeof(path), "%s/index.html", dir);
	return (access(path, R_OK) == 0);
}
#endif

/* Read ui_events.conf into C (every key optional). Returns 0 or -1. */
static int
config_load(struct ui_conf *c)
{
	struct vg_conf *conf = vg_module_conf(ui_g.self);
	const char *v;
	long long n;
	size_t sz;

	memset(c, 0, sizeof(*c));
	c->queue_max = 1000;
	c->queue_max_bytes = 1024 * 1024;
	c->max_clients = 64;
	c->session_ttl_s = 12 * 3600;
	c->cookie_secure = -1;
	v = conf != NULL ? vg_conf_get(conf, UI_SECTION, "api_key") :
	    getenv("VOICEGATE_API_KEY");
	c->api_key = vg_xstrdup(v != NULL ? v : "");
	v = conf != NULL ? vg_conf_get(conf, UI_SECTION, "www_dir") : NULL;
	if (v != NULL && *v != '\0')
		vg_strlcpy(c->www_dir, v, sizeof(c->www_dir));
	else {
		vg_strlcpy(c->www_dir, UI_WWW_DIR, sizeof(c->www_dir));
#ifdef UI_WWW_SRCDIR
		/* Not installed: run from the build tree's sources. */
		if (!ui_dir_has_index(c->www_dir) &&
		    ui_dir_has_index(UI_WWW_SRCDIR))
			vg_strlcpy(c->www_dir, UI_WWW_SRCDIR,
			    sizeof(c->www_dir));
#endif
	}
	v = conf != NULL ? vg_conf_get(conf, UI_SECTION, "self_url") : NULL;
	vg_strlcpy(c->self_url, v != NULL && *v != '\0' ? v : vg_listen_url(),
	    sizeof(c->self_url));
	sz = strlen(c->self_url);
	if (sz > 0 && c->self_url[sz - 1] == '/')
		c->self_url[sz - 1] = '\0';
	if (conf == NULL)
		return (0);
	n = (long long)c->queue_max;
	if (vg_conf_get_int(conf, UI_SECTION, "feed_queue_max", 1, 1000000,
	    &n) == -1 ||
	    vg_conf_get_size(conf, UI_SECTION, "feed_queue_max_bytes", 1024,
	    (size_t)256 * 1024 * 1024, &c->queue_max_bytes) == -1 ||
	    vg_conf_get_int(conf, UI_SECTION, "feed_max_clients", 1, 10000,
	    &c->max_clients) == -1 ||
	    vg_conf_get_int(conf, UI_SECTION, "session_ttl", 60,
	    30LL * 24 * 3600, &c->session_ttl_s) == -1)
		goto fail;
	c->queue_max = (size_t)n;
	if ((v = vg_conf_get(conf, UI_SECTION, "cookie_secure")) != NULL &&
	    strcmp(v, "auto") != 0) {
		if (vg_conf_get_bool(conf, UI_SECTION, "cookie_secure",
		    &c->cookie_secure) == -1)
			goto fail;
	}
	if (strncmp(c->self_url, "http://", 7) != 0 &&
	    strncmp(c->self_url, "https://", 8) != 0) {
		vg_log(VG_LOG_ERROR, "ui_events.conf: self_url must be an "
		    "http:// URL of this daemon's own listener");
		goto fail;
	}
	return (0);

fail:
	config_free(c);
	return (-1);
}

/* Say once what the key means for who gets in. */
static void
ui_key_notice(void)
{
	if (*ui_g.conf.api_key == '\0')
		vg_log(VG_LOG_NOTICE, "api_key not set (VOICEGATE_API_KEY): "
		    "the page, the feed and the API refuse everyone");
}

/* Read www_dir and route its files. Returns 0 or -1. */
static int
ui_page_start(void)
{
	int n;

	if ((n = ui_www_load(ui_g.conf.www_dir, ui_g.files,
	    UI_WWW_FILES_MAX)) == -1)
		return (-1);
	ui_g.nfiles = (size_t)n;
	if (ui_http_start() == -1) {
		ui_www_free(ui_g.files, ui_g.nfiles);
		ui_g.nfiles = 0;
		return (-1);
	}
	return (0);
}

/* Unroute and free the page. */
static void
ui_page_stop(void)
{
	ui_http_stop();
	ui_www_free(ui_g.files, ui_g.nfiles);
	ui_g.nfiles = 0;
}

/* ---- lifecycle ---- */

static int
ui_events_load(struct vg_module *self)
{
	ui_g.self = self;
	if (config_load(&ui_g.conf) == -1)
		return (VG_LOAD_DECLINE);
	ui_key_notice();
	ui_g.m_clients = vg_metric_add(self, "ui_events_clients",
	    VG_METRIC_GAUGE, "feed clients connected");
	ui_g.m_messages = vg_metric_add(self, "ui_events_messages_total",
	    VG_METRIC_COUNTER, "feed messages sent");
	ui_g.m_dropped = vg_metric_add(self, "ui_events_dropped_total",
	    VG_METRIC_COUNTER, "feed clients dropped for reading too slowly");
	ui_g.m_auth_fail = vg_metric_add(self, "ui_events_auth_failed_total",
	    VG_METRIC_COUNTER, "requests refused for want of the key");
	if (ui_page_start() == -1)
		goto fail;
	if (ui_feed_start() == -1)
		goto fail_page;
	if (vg_cli_add(self, ui_cli, VG_NELEM(ui_cli)) == -1)
		goto fail_feed;
	ui_g.cli_added = 1;
	vg_log(VG_LOG_NOTICE, "page from %s, feed on %s", ui_g.conf.www_dir,
	    UI_FEED_PATH);
	return (VG_LOAD_OK);

fail_feed:
	ui_feed_stop();
fail_page:
	ui_page_stop();
fail:
	vg_metric_remove(ui_g.m_auth_fail);
	vg_metric_remove(ui_g.m_dropped);
	vg_metric_remove(ui_g.m_messages);
	vg_metric_remove(ui_g.m_clients);
	config_free(&ui_g.conf);
	memset(&ui_g, 0, sizeof(ui_g));
	return (VG_LOAD_DECLINE);
}

/* Re-read the configuration and the page; a new key ends every session
 * and closes every feed client. */
static int
ui_events_reload(struct vg_module *self)
{
	struct ui_conf c, old;
	struct ui_client *cl;
	int rekey;

	if (config_load(&c) == -1)
		return (-1);	/* the old configuration stays */
	rekey = strcmp(c.api_key, ui_g.conf.api_key) != 0;
	old = ui_g.conf;
	ui_page_stop();
	ui_g.conf = c;
	config_free(&old);
	if (rekey) {
		ui_session_clear();
		for (cl = ui_g.clients; cl != NULL; cl = cl->next)
			vg_ws_close(cl->conn, VG_WS_CLOSE_POLICY,
			    "key changed");
		ui_key_notice();
	}
	if (ui_page_start() == -1)
		return (-1);
	return (0);
}

static void
ui_events_unload(struct vg_module *self)
{
	if (ui_g.cli_added)
		vg_cli_remove(self, ui_cli, VG_NELEM(ui_cli));
	ui_feed_stop();
	ui_page_stop();
	ui_session_clear();
	vg_metric_remove(ui_g.m_auth_fail);
	vg_metric_remove(ui_g.m_dropped);
	vg_metric_remove(ui_g.m_messages);
	vg_metric_remove(ui_g.m_clients);
	config_free(&ui_g.conf);
	memset(&ui_g, 0, sizeof(ui_g));
}

VG_MODULE_DEFINE(
	.name = "ui_events",
	.description = "Web page and live event feed: calls, transcripts, "
	    "placing calls",
	.version = PACKAGE_VERSION,
	.after = { "twilio_http", "realtime_openai" },
	.load = ui_events_load,
	.unload = ui_events_unload,
	.reload = ui_events_reload,
);
