/*
 * Metrics: the modules' counters and gauges, plus the core's own figures
 * computed when rendered, in the Prometheus text format (GET /metrics);
 * and a small health answer (GET /healthz). Core thread only.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <voicegate/voicegate.h>

#include "core.h"

#define METRIC_PREFIX	"voicegate_"
#define METRIC_NAME_MAX	128

struct vg_metric {
	struct vg_module	*mod;		/* owner, borrowed */
	const char		*name;		/* borrowed, without prefix */
	const char		*help;		/* borrowed */
	enum vg_metric_kind	 kind;
	int64_t			 value;
	struct vg_metric	*next;
};

/* One of the core's figures, computed at render time. */
struct core_metric {
	const char		*name;
	enum vg_metric_kind	 kind;
	const char		*help;
};

static const struct core_metric core_metrics[] = {
	{ "uptime_seconds", VG_METRIC_GAUGE, "Seconds since the core started" },
	{ "modules_running", VG_METRIC_GAUGE, "Modules loaded and running" },
	{ "calls_active", VG_METRIC_GAUGE, "Calls that have not ended" },
	{ "bus_events_published_total", VG_METRIC_COUNTER,
	    "Events published on the bus" },
	{ "bus_events_delivered_total", VG_METRIC_COUNTER,
	    "Event deliveries to subscribers" },
	{ "bus_queue_depth", VG_METRIC_GAUGE, "Events waiting for delivery" },
	{ "bus_queue_high_water", VG_METRIC_GAUGE,
	    "Most events ever waiting for delivery" },
	{ "http_requests_total", VG_METRIC_COUNTER,
	    "HTTP requests received" },
	{ "ws_connections_open", VG_METRIC_GAUGE, "Open WebSocket connections" },
	{ "ws_messages_in_total", VG_METRIC_COUNTER,
	    "WebSocket messages received" },
	{ "ws_messages_out_total", VG_METRIC_COUNTER,
	    "WebSocket messages sent" },
	{ "ws_dropped_slow_total", VG_METRIC_COUNTER,
	    "WebSocket peers dropped for reading too slowly" },
	{ "oversize_total", VG_METRIC_COUNTER,
	    "HTTP bodies and WebSocket messages refused as too large" },
};

static struct {
	struct vg_metric	*head, *tail;
} g_met;

/* Start with no module metrics. */
int
vg_metrics_init(void)
{
	memset(&g_met, 0, sizeof(g_met));
	return (0);
}

/* Drop every metric. */
void
vg_metrics_free(void)
{
	struct vg_metric *m;

	while ((m = g_met.head) != NULL) {
		g_met.head = m->next;
		free(m);
	}
	g_met.tail = NULL;
}

/* Drop MOD's metrics. Returns how many. */
unsigned
vg_metrics_release_owner(struct vg_module *mod)
{
	struct vg_metric **pp = &g_met.head, *m;
	unsigned n = 0;

	g_met.tail = NULL;
	while ((m = *pp) != NULL) {
		if (m->mod == mod) {
			*pp = m->next;
			free(m);
			n++;
		} else {
			g_met.tail = m;
			pp = &m->next;
		}
	}
	return (n);
}

/* Remove M (a module's metric); NULL is fine. */
void
vg_metric_remove(struct vg_metric *m)
{
	struct vg_metric **pp, *last = NULL;

	if (m == NULL)
		return;
	for (pp = &g_met.head; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == m)
			*pp = m->next;
		if (*pp == NULL)
			break;
		last = *pp;
	}
	g_met.tail = last;
	free(m);
}

/* True when NAME is a valid Prometheus metric name. */
static int
metric_name_ok(const char *name)
{
	const char *p;

	if (name == NULL || *name == '\0' ||
	    strlen(name) > METRIC_NAME_MAX ||
	    isdigit((unsigned char)*name))
		return (0);
	for (p = name; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != ':')
			return (0);
	return (1);
}

/* True when NAME is taken by the core or a module. */
static int
metric_taken(const char *name)
{
	const struct vg_metric *m;
	size_t i;

	for (i = 0; i < VG_NELEM(core_metrics); i++)
		if (strcmp(core_metrics[i].name, name) == 0)
			return (1);
	for (m = g_met.head; m != NULL; m = m->next)
		if (strcmp(m->name, name) == 0)
			return (1);
	return (0);
}

/* Register NAME for MOD. */
struct vg_metric *
vg_metric_add(struct vg_module *mod, const char *name,
    enum vg_metric_kind kind, const char *help)
{
	struct vg_metric *m;

	if (mod == NULL || !metric_name_ok(name) ||
	    (kind != VG_METRIC_COUNTER && kind != VG_METRIC_GAUGE)) {
		vg_log(VG_LOG_ERROR, "metric \"%s\": bad name or kind",
		    name ? name : "(null)");
		return (NULL);
	}
	if (metric_taken(name)) {
		vg_log(VG_LOG_ERROR, "%s: metric %s%s is taken",
		    vg_module_name(mod), METRIC_PREFIX, name);
		return (NULL);
	}
	m = vg_xcalloc(1, sizeof(*m));
	m->mod = mod;
	m->name = name;
	m->help = help != NULL ? help : "";
	m->kind = kind;
	if (g_met.tail != NULL)
		g_met.tail->next = m;
	else
		g_met.head = m;
	g_met.tail = m;
	return (m);
}

/* Add N to M; a counter never goes down. */
void
vg_metric_inc(struct vg_metric *m, int64_t n)
{
	if (m == NULL || (m->kind == VG_METRIC_COUNTER && n < 0))
		return;
	m->value += n;
}

/* Set gauge M to V. */
void
vg_metric_set(struct vg_metric *m, int64_t v)
{
	if (m == NULL || m->kind != VG_METRIC_GAUGE)
		return;
	m->value = v;
}

/* M's value; 0 for NULL. */
int64_t
vg_metric_value(const struct vg_metric *m)
{
	return (m != NULL ? m->value : 0);
}

/* Write one metric, HELP escaped as Prometheus wants. */
static void
metric_write(FILE *f, const char *name, enum vg_metric_kind kind,
    const char *help, long long value)
{
	const char *p;

	fprintf(f, "# HELP " METRIC_PREFIX "%s ", name);
	for (p = help; *p != '\0'; p++) {
		if (*p == '\\')
			fputs("\\\\", f);
		else if (*p == '\n')
			fputs("\\n", f);
		else
			fputc(*p, f);
	}
	fprintf(f, "\n# TYPE " METRIC_PREFIX "%s %s\n" METRIC_PREFIX "%s %lld\n",
	    name, kind == VG_METRIC_COUNTER ? "counter" : "gauge", name, value);
}

/* Running modules, counted from the loader's list. */
static long long
metrics_modules_running(void)
{
	struct json_object *arr, *o, *st;
	long long n = 0;
	size_t i;

	if ((arr = vg_loader_json()) == NULL)
		return (0);
	for (i = 0; i < json_object_array_length(arr); i++) {
		o = json_object_array_get_idx(arr, i);
		if (json_object_object_get_ex(o, "state", &st) &&
		    strcmp(json_object_get_string(st), "running") == 0)
			n++;
	}
	json_object_put(arr);
	return (n);
}

/* Render every metric in the Prometheus text format. */
char *
vg_metrics_render(size_t *len)
{
	struct vg_bus_stats bs;
	struct vg_net_stats ns;
	const struct vg_metric *m;
	long long v[VG_NELEM(core_metrics)];
	char *buf = NULL;
	size_t size = 0, i;
	FILE *f;

	vg_bus_stats(&bs);
	vg_net_stats(&ns);
	v[0] = (long long)vg_core_uptime_s();
	v[1] = metrics_modules_running();
	v[2] = vg_call_count();
	v[3] = (long long)bs.published;
	v[4] = (long long)bs.delivered;
	v[5] = (long long)bs.queue_depth;
	v[6] = (long long)bs.queue_high_water;
	v[7] = (long long)ns.http_requests;
	v[8] = (long long)ns.ws_open;
	v[9] = (long long)ns.ws_msgs_in;
	v[10] = (long long)ns.ws_msgs_out;
	v[11] = (long long)ns.ws_dropped_slow;
	v[12] = (long long)ns.oversize;

	if ((f = open_memstream(&buf, &size)) == NULL) {
		vg_log(VG_LOG_ERROR, "metrics: open_memstream failed");
		abort();
	}
	for (i = 0; i < VG_NELEM(core_metrics); i++)
		metric_write(f, core_metrics[i].name, core_metrics[i].kind,
		    core_metrics[i].help, v[i]);
	for (m = g_met.head; m != NULL; m = m->next)
		metric_write(f, m->name, m->kind, m->help,
		    (long long)m->value);
	fclose(f);
	if (len != NULL)
		*len = size;
	return (buf);
}

/* GET /metrics. */
static void
metrics_serve(struct vg_http_req *req, void *arg)
{
	size_t len;
	char *body = vg_metrics_render(&len);

	vg_http_respond(req, 200, "text/plain; version=0.0.4; charset=utf-8",
	    body, len);
	free(body);
}

/* GET /healthz: {"status":"ok","uptime_s":N,"calls":N}. */
static void
metrics_health(struct vg_http_req *req, void *arg)
{
	struct json_object *o = json_object_new_object();
	const char *s;
	size_t len;

	json_object_object_add(o, "status", json_object_new_string("ok"));
	json_object_object_add(o, "uptime_s",
	    json_object_new_int64((int64_t)vg_core_uptime_s()));
	json_object_object_add(o, "calls",
	    json_object_new_int64(vg_call_count()));
	s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len);
	vg_http_respond(req, 200, "application/json", s, len);
	json_object_put(o);
}

/* Register GET /metrics and GET /healthz for the core. */
int
vg_metrics_routes(void)
{
	if (vg_http_route(vg_core_module(), "GET", "/metrics", metrics_serve,
	    NULL) == -1)
		return (-1);
	if (vg_http_route(vg_core_module(), "GET", "/healthz", metrics_health,
	    NULL) == -1) {
		vg_http_unroute(vg_core_module(), "GET", "/metrics");
		return (-1);
	}
	return (0);
}
