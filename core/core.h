/*
 * Internals shared by the core's files. Never installed; modules see only
 * include/voicegate/. Everything here runs on the core thread unless said.
 */
#ifndef VG_CORE_H
#define VG_CORE_H

#include <stddef.h>
#include <stdint.h>

#include <voicegate/voicegate.h>

struct event_base;
struct json_object;

/* ---- modules (loader.c) ---- */

enum vg_module_state {
	VG_MOD_NEW = 0,		/* known, not yet loaded */
	VG_MOD_RUNNING,		/* load() returned OK */
	VG_MOD_DECLINED,	/* load() declined, or a requirement did */
	VG_MOD_FAILED,		/* could not open, wrong ABI, load() failed */
	VG_MOD_UNLOADED,
};

/* The loader's record of one module; the handle registrations take. The
 * core's own handle (name "core", INFO NULL) owns the core's routes. */
struct vg_module {
	char			 name[64];
	char			 path[512];	/* the .so, "" for the core */
	const struct vg_module_info *info;	/* NULL for the core */
	void			*dl;		/* dlopen handle */
	enum vg_module_state	 state;
	int			 required;	/* listed with require => */
	struct vg_conf		*conf;		/* <name>.conf, or NULL */
	unsigned		 load_order;	/* 1, 2, ... when running */
	struct vg_module	*next;		/* the loader's list */
};

/* ---- configuration values (conf.c) ---- */

/* Parse one configuration value; each returns 0 (storing *OUT) or -1.
 * Booleans: yes/no, true/false, on/off, 1/0. Integers: decimal in
 * [MIN, MAX]. Sizes: bytes with an optional k/m/g suffix (1024-based). */
int	 vg_conf_bool_parse(const char *s, int *out);
int	 vg_conf_int_parse(const char *s, long long min, long long max,
	    long long *out);
int	 vg_conf_size_parse(const char *s, size_t min, size_t max,
	    size_t *out);

/* ---- settings (settings.c): voicegate.conf ---- */

struct vg_settings {
	char		 listen_addr[64];	/* "127.0.0.1" */
	int		 listen_port;		/* 5050 */
	char		 public_url[256];	/* what Twilio reaches */
	enum vg_log_level log_level;
	char		 log_target[16];	/* "stderr" | "syslog" */
	char		 control_socket[256];
	size_t		 max_body;		/* request body bytes */
	size_t		 max_ws_message;	/* one WebSocket message */
	size_t		 max_send_queue;	/* bytes queued per connection */
	unsigned	 shutdown_grace_s;
	char		 module_dir[256];	/* "" : the built-in default */
};

/* Defaults for every setting. */
void	 vg_settings_defaults(struct vg_settings *s);
/* Read the [general] section of CONF into S (defaults first). Every bad
 * value is reported through ERR_FN. Returns 0, or -1 if any was bad. */
int	 vg_settings_read(const struct vg_conf *conf, struct vg_settings *s,
	    vg_conf_error_fn err_fn, void *arg);
/* The settings in force. */
const struct vg_settings *vg_settings(void);
void	 vg_settings_set(const struct vg_settings *s);

/* ---- the core loop (core.c) ---- */

/* Make the event base and every subsystem that needs no sockets (bus,
 * loop, http client, calls, metrics, services). Returns 0 or -1. */
int	 vg_core_init(void);
/* Run the loop until vg_core_break(). */
int	 vg_core_run(void);
/* Make vg_core_run() return. Any thread. */
void	 vg_core_break(void);
/* Tear down what vg_core_init() made. */
void	 vg_core_free(void);
struct event_base *vg_core_base(void);
/* The core's own module handle: owner of the core's routes and commands. */
struct vg_module *vg_core_module(void);
/* Set the configuration directory vg_confdir() reports. */
void	 vg_core_set_confdir(const char *dir);
/* True on the core thread. Any thread. */
int	 vg_core_is_core_thread(void);

/* What the daemon does on "core stop [now]" and "core reload" (main.c sets
 * them; tests may). NOW is 1 to skip the grace period. */
typedef void	(*vg_core_stop_fn)(int now);
typedef void	(*vg_core_reload_fn)(void);
void	 vg_core_set_hooks(vg_core_stop_fn stop, vg_core_reload_fn reload);
/* Ask for a stop / reload: returns -1 when nobody set the hook. */
int	 vg_core_request_stop(int now);
int	 vg_core_request_reload(void);
/* Seconds since vg_core_init(). */
uint64_t vg_core_uptime_s(void);

/* Release everything MOD registered, in every area. Returns how many
 * things were released (the loader logs it when non-zero). */
unsigned vg_core_release_owner(struct vg_module *mod);

/* ---- logging (log.c) ---- */

int	 vg_log_open(const char *target, enum vg_log_level level);
void	 vg_log_set_level(enum vg_log_level level);
int	 vg_log_level_parse(const char *name);	/* -1 if unknown */
const char *vg_log_level_name(enum vg_log_level level);
void	 vg_log_close(void);

/* ---- the bus (bus.c) ---- */

int	 vg_bus_init(void);
void	 vg_bus_free(void);
unsigned vg_bus_release_owner(struct vg_module *mod);
/* Deliver everything queued now (tests; the loop does this itself). */
void	 vg_bus_drain(void);

struct vg_bus_stats {
	uint64_t	 published;
	uint64_t	 delivered;
	uint64_t	 queue_depth;
	uint64_t	 queue_high_water;
	unsigned	 subscribers;
	unsigned	 types;
};
void	 vg_bus_stats(struct vg_bus_stats *st);
/* Registered types as a JSON array of {type, module, description}. */
struct json_object *vg_bus_types_json(void);

/* ---- loop helpers (loop.c): timers, fd watches, workers ---- */

int	 vg_loop_init(void);
void	 vg_loop_free(void);
unsigned vg_loop_release_owner(struct vg_module *mod);

/* ---- http client (httpc.c) ---- */

int	 vg_httpc_init(void);
void	 vg_httpc_free(void);
unsigned vg_httpc_release_owner(struct vg_module *mod);

/* ---- the listener, HTTP routes, WebSockets (net.c, http.c, ws.c) ---- */

/* Start listening per S. Returns 0, or -1 (logged) if the listener could
 * not be opened. */
int	 vg_net_start(const struct vg_settings *s);
/* The port actually bound (when the setting was 0). */
int	 vg_net_port(void);
/* Stop listening for new connections (shutdown begins). */
void	 vg_net_stop_accepting(void);
/* Close every connection (the core side hears of each) and the listener. */
void	 vg_net_stop(void);
unsigned vg_net_release_owner(struct vg_module *mod);

struct vg_net_stats {
	uint64_t	 http_requests;
	uint64_t	 ws_open;		/* gauge */
	uint64_t	 ws_msgs_in;
	uint64_t	 ws_msgs_out;
	uint64_t	 ws_dropped_slow;
	uint64_t	 oversize;		/* 413s and 1009s */
};
void	 vg_net_stats(struct vg_net_stats *st);

/* ---- calls (calls.c) ---- */

int	 vg_calls_init(void);
void	 vg_calls_free(void);
unsigned vg_calls_release_owner(struct vg_module *mod);
/* Refuse new calls from now on (shutdown). */
void	 vg_calls_stop_new(void);
/* Active calls as a JSON array. Returns new. */
struct json_object *vg_calls_json(void);

/* ---- metrics and health (metrics.c) ---- */

int	 vg_metrics_init(void);
void	 vg_metrics_free(void);
unsigned vg_metrics_release_owner(struct vg_module *mod);
/* Register GET /metrics and GET /healthz on the listener. */
int	 vg_metrics_routes(void);
/* Render all metrics, core and modules', in Prometheus text. Returns new. */
char	*vg_metrics_render(size_t *len);

/* ---- services (service.c) ---- */

unsigned vg_service_release_owner(struct vg_module *mod);
/* True when some other module uses a service MOD provides. */
int	 vg_service_in_use(const struct vg_module *mod, char *user,
	    size_t user_size);

/* ---- control socket and commands (control.c, cli.c) ---- */

int	 vg_control_start(const char *path);
void	 vg_control_stop(void);
unsigned vg_cli_release_owner(struct vg_module *mod);
/* Register the core's own commands (module, calls, bus, core). */
int	 vg_cli_core_commands(void);
/* A command's answer: OK true on success, TEXT for people (borrowed),
 * JSON for scripts (taken). */
typedef void	(*vg_cli_done_fn)(int ok, const char *text,
		    struct json_object *json, void *arg);
/* Run ARGV[0..ARGC) (borrowed) as a client's command; DONE gets the answer
 * once, now or later. Returns the command while it is pending (for
 * vg_cli_abandon), or NULL when DONE has already run. */
struct vg_cli *vg_cli_exec(int argc, char **argv, int wants_json,
	    vg_cli_done_fn done, void *arg);
/* The client of pending CLI is gone: its answer will be dropped. */
void	 vg_cli_abandon(struct vg_cli *cli);

/* ---- the loader (loader.c) ---- */

/*
 * Read CONFDIR/modules.conf and load modules from MODDIR in dependency
 * order. Returns 0, or -1 if a "require"d module could not be loaded (the
 * caller then stops). Every problem is logged.
 */
int	 vg_loader_start(const char *confdir, const char *moddir);
/* Unload every module, in reverse load order. */
void	 vg_loader_stop(void);
/* Check modules.conf only (--check-config): errors through ERR_FN.
 * Returns 0 or -1. */
int	 vg_loader_check(const char *confdir, vg_conf_error_fn err_fn,
	    void *arg);
/* Run-time control. Each returns 0, or -1 with a reason in ERR. */
int	 vg_loader_load(const char *name, char *err, size_t err_size);
int	 vg_loader_unload(const char *name, char *err, size_t err_size);
int	 vg_loader_reload(const char *name, char *err, size_t err_size);
/* Re-read every module's configuration and call its reload. */
void	 vg_loader_reload_all(void);
/* Modules as a JSON array of {name, description, version, state,
 * load_order, requires, after, path, required, reason}. Returns new. */
struct json_object *vg_loader_json(void);

#endif /* VG_CORE_H */
