/*
 * The daemon's own settings: the [general] section of voicegate.conf, read
 * into a struct vg_settings with defaults for whatever is absent. Other
 * sections belong to someone else and are ignored here. Core thread.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <voicegate/conf.h>
#include <voicegate/log.h>
#include <voicegate/util.h>

#include "core.h"

#define SETTINGS_SECTION	"general"

/* One [general] key: how to check and store its value. */
struct settings_key {
	const char	*name;
	int		(*set)(struct vg_settings *, const char *, char *,
			    size_t);
};

static struct {
	struct vg_settings	 cur;
	int			 ready;
} g_set;

/* Fill S with the defaults. */
void
vg_settings_defaults(struct vg_settings *s)
{
	memset(s, 0, sizeof(*s));
	vg_strlcpy(s->listen_addr, "127.0.0.1", sizeof(s->listen_addr));
	s->listen_port = 5050;
	vg_strlcpy(s->public_url, "http://127.0.0.1:5050",
	    sizeof(s->public_url));
	s->log_level = VG_LOG_NOTICE;
	vg_strlcpy(s->log_target, "stderr", sizeof(s->log_target));
	vg_strlcpy(s->control_socket, "/run/voicegate/voicegate.ctl",
	    sizeof(s->control_socket));
	s->max_body = 1024 * 1024;
	s->max_ws_message = 256 * 1024;
	s->max_send_queue = 1024 * 1024;
	s->shutdown_grace_s = 30;
	s->module_dir[0] = '\0';
}

/* True when S is a plausible host name (letters, digits, '-', '.'). */
static int
settings_hostname_ok(const char *s)
{
	if (*s == '\0' || *s == '.' || *s == '-')
		return (0);
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '.'))
			return (0);
	return (1);
}

/* listen = host:port or [v6]:port; port 0 asks for an ephemeral one. */
static int
settings_listen(struct vg_settings *s, const char *v, char *why, size_t wn)
{
	char host[64];
	const char *colon, *end;
	struct in6_addr a6;
	struct in_addr a4;
	long long port;
	size_t hlen;

	if (*v == '[') {
		if ((end = strchr(v, ']')) == NULL || end[1] != ':') {
			snprintf(why, wn, "expected '[address]:port'");
			return (-1);
		}
		hlen = end - (v + 1);
		colon = end + 1;
		if (hlen == 0 || hlen >= sizeof(host)) {
			snprintf(why, wn, "bad IPv6 address");
			return (-1);
		}
		memcpy(host, v + 1, hlen);
		host[hlen] = '\0';
		if (inet_pton(AF_INET6, host, &a6) != 1) {
			snprintf(why, wn, "'%s' is not an IPv6 address", host);
			return (-1);
		}
	} else {
		if ((colon = strrchr(v, ':')) == NULL) {
			snprintf(why, wn, "expected 'address:port'");
			return (-1);
		}
		hlen = colon - v;
		if (memchr(v, ':', hlen) != NULL) {
			snprintf(why, wn, "put an IPv6 address in brackets: "
			    "'[::1]:5050'");
			return (-1);
		}
		if (hlen == 0 || hlen >= sizeof(host)) {
			snprintf(why, wn, "expected 'address:port'");
			return (-1);
		}
		memcpy(host, v, hlen);
		host[hlen] = '\0';
		if (inet_pton(AF_INET, host, &a4) != 1 &&
		    !settings_hostname_ok(host)) {
			snprintf(why, wn, "'%s' is not an address", host);
			return (-1);
		}
	}
	if (vg_conf_int_parse(colon + 1, 0, 65535, &port) == -1) {
		snprintf(why, wn, "port must be a number from 0 to 65535");
		return (-1);
	}
	vg_strlcpy(s->listen_addr, host, sizeof(s->listen_addr));
	s->listen_port = (int)port;
	return (0);
}

/* public_url = http://... or https://...; a trailing '/' is dropped. */
static int
settings_public_url(struct vg_settings *s, const char *v, char *why,
    size_t wn)
{
	const char *host, *p;
	size_t len;

	if (strncmp(v, "http://", 7) == 0)
		host = v + 7;
	else if (strncmp(v, "https://", 8) == 0)
		host = v + 8;
	else {
		snprintf(why, wn, "must start with http:// or https://");
		return (-1);
	}
	if (*host == '\0' || *host == '/') {
		snprintf(why, wn, "no host after the scheme");
		return (-1);
	}
	for (p = v; *p != '\0'; p++) {
		if (*p <= ' ' || *p == 0x7f) {
			snprintf(why, wn, "white space or control character "
			    "in URL");
			return (-1);
		}
	}
	len = strlen(v);
	while (len > 0 && v[len - 1] == '/')
		len--;
	if (len >= sizeof(s->public_url)) {
		snprintf(why, wn, "longer than %zu bytes",
		    sizeof(s->public_url) - 1);
		return (-1);
	}
	memcpy(s->public_url, v, len);
	s->public_url[len] = '\0';
	return (0);
}

/* log_level = error|warn|notice|info|debug. */
static int
settings_log_level(struct vg_settings *s, const char *v, char *why,
    size_t wn)
{
	int level;

	if ((level = vg_log_level_parse(v)) == -1) {
		snprintf(why, wn, "expected error, warn, notice, info or "
		    "debug");
		return (-1);
	}
	s->log_level = (enum vg_log_level)level;
	return (0);
}

/* log_target = stderr|syslog. */
static int
settings_log_target(struct vg_settings *s, const char *v, char *why,
    size_t wn)
{
	if (strcmp(v, "stderr") != 0 && strcmp(v, "syslog") != 0) {
		snprintf(why, wn, "expected stderr or syslog");
		return (-1);
	}
	vg_strlcpy(s->log_target, v, sizeof(s->log_target));
	return (0);
}

/* control_socket = a path that fits a Unix socket address. */
static int
settings_control_socket(struct vg_settings *s, const char *v, char *why,
    size_t wn)
{
	struct sockaddr_un sun;

	if (*v == '\0') {
		snprintf(why, wn, "empty path");
		return (-1);
	}
	if (strlen(v) >= sizeof(sun.sun_path) ||
	    strlen(v) >= sizeof(s->control_socket)) {
		snprintf(why, wn, "path longer than %zu bytes (the limit for "
		    "a Unix socket)", sizeof(sun.sun_path) - 1);
		return (-1);
	}
	vg_strlcpy(s->control_socket, v, sizeof(s->control_socket));
	return (0);
}

/* Check a size V in [MIN, MAX] into *OUT, explaining a refusal in WHY. */
static int
settings_size(const char *v, size_t min, size_t max, size_t *out, char *why,
    size_t wn)
{
	if (vg_conf_size_parse(v, min, max, out) == -1) {
		snprintf(why, wn, "expected a size from %zuk to %zum (bytes, "
		    "or with a k/m/g suffix)", min / 1024,
		    max / (1024 * 1024));
		return (-1);
	}
	return (0);
}

/* max_body = request body size. */
static int
settings_max_body(struct vg_settings *s, const char *v, char *why, size_t wn)
{
	return (settings_size(v, 1024, (size_t)1024 * 1024 * 1024,
	    &s->max_body, why, wn));
}

/* max_ws_message = one WebSocket message. */
static int
settings_max_ws_message(struct vg_settings *s, const char *v, char *why,
    size_t wn)
{
	return (settings_size(v, 1024, (size_t)64 * 1024 * 1024,
	    &s->max_ws_message, why, wn));
}

/* max_send_queue = bytes queued per connection. */
static int
settings_max_send_queue(struct vg_settings *s, const char *v, char *why,
    size_t wn)
{
	return (settings_size(v, 4096, (size_t)1024 * 1024 * 1024,
	    &s->max_send_queue, why, wn));
}

/* shutdown_grace = seconds, 0 to 3600. */
static int
settings_shutdown_grace(struct vg_settings *s, const char *v, char *why,
    size_t wn)
{
	long long n;

	if (vg_conf_int_parse(v, 0, 3600, &n) == -1) {
		snprintf(why, wn, "expected seconds from 0 to 3600");
		return (-1);
	}
	s->shutdown_grace_s = (unsigned)n;
	return (0);
}

/* module_dir = a folder of modules ("" for the built-in one). */
static int
settings_module_dir(struct vg_settings *s, const char *v, char *why,
    size_t wn)
{
	if (strlen(v) >= sizeof(s->module_dir)) {
		snprintf(why, wn, "path longer than %zu bytes",
		    sizeof(s->module_dir) - 1);
		return (-1);
	}
	vg_strlcpy(s->module_dir, v, sizeof(s->module_dir));
	return (0);
}

/* net_backend: obsolete (the listener has run on the core's own loop
 * since libwebsockets left); accepted so that older files still load. */
static int
settings_net_backend(struct vg_settings *s, const char *v, char *why,
    size_t wn)
{
	vg_log(VG_LOG_WARN, "voicegate.conf: net_backend is obsolete and "
	    "ignored: remove it");
	return (0);
}

/* Every key [general] may hold; anything else is an error. */
static const struct settings_key settings_keys[] = {
	{ "listen",		settings_listen },
	{ "public_url",		settings_public_url },
	{ "log_level",		settings_log_level },
	{ "log_target",		settings_log_target },
	{ "control_socket",	settings_control_socket },
	{ "max_body",		settings_max_body },
	{ "max_ws_message",	settings_max_ws_message },
	{ "max_send_queue",	settings_max_send_queue },
	{ "shutdown_grace",	settings_shutdown_grace },
	{ "module_dir",		settings_module_dir },
	{ "net_backend",	settings_net_backend },
};

/* Report a bad entry ENT through ERR_FN (or the log when there is none). */
static void __attribute__((format(printf, 4, 5)))
settings_error(const struct vg_conf_entry *ent, vg_conf_error_fn err_fn,
    void *arg, const char *fmt, ...)
{
	struct vg_conf_error err;
	va_list ap;

	memset(&err, 0, sizeof(err));
	vg_strlcpy(err.file, vg_conf_entry_file(ent), sizeof(err.file));
	err.line = vg_conf_entry_line(ent);
	va_start(ap, fmt);
	vsnprintf(err.message, sizeof(err.message), fmt, ap);
	va_end(ap);
	if (err_fn != NULL)
		err_fn(&err, arg);
	else
		vg_log(VG_LOG_ERROR, "%s:%d: %s", err.file, err.line,
		    err.message);
}

/* Read [general] of CONF into S; see core.h. */
int
vg_settings_read(const struct vg_conf *conf, struct vg_settings *s,
    vg_conf_error_fn err_fn, void *arg)
{
	const struct vg_conf_section *sec = NULL;
	const struct vg_conf_entry *ent;
	const char *key, *value;
	char why[160];
	size_t i;
	int rc = 0;

	vg_settings_defaults(s);
	while ((sec = vg_conf_next_section(conf, sec)) != NULL) {
		if (strcmp(vg_conf_section_name(sec), SETTINGS_SECTION) != 0)
			continue;
		for (ent = vg_conf_next_entry(sec, NULL); ent != NULL;
		    ent = vg_conf_next_entry(sec, ent)) {
			key = vg_conf_entry_key(ent);
			value = vg_conf_entry_value(ent);
			for (i = 0; i < VG_NELEM(settings_keys); i++)
				if (strcmp(key, settings_keys[i].name) == 0)
					break;
			if (i == VG_NELEM(settings_keys)) {
				settings_error(ent, err_fn, arg, "unknown key "
				    "'%.60s' in [%s]", key, SETTINGS_SECTION);
				rc = -1;
				continue;
			}
			why[0] = '\0';
			if (settings_keys[i].set(s, value, why,
			    sizeof(why)) == -1) {
				settings_error(ent, err_fn, arg, "%s = '%.60s': "
				    "%s", key, value, why);
				rc = -1;
			}
		}
	}
	return (rc);
}

/* The settings in force: the defaults until vg_settings_set(). */
const struct vg_settings *
vg_settings(void)
{
	if (!g_set.ready) {
		vg_settings_defaults(&g_set.cur);
		g_set.ready = 1;
	}
	return (&g_set.cur);
}

/* Make a copy of S the settings in force. Borrows S. */
void
vg_settings_set(const struct vg_settings *s)
{
	g_set.cur = *s;
	g_set.ready = 1;
}
