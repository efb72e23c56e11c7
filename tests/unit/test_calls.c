/*
 * Tests for the call registry (calls.c) and the metrics registry
 * (metrics.c), driven directly on the core thread.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <voicegate/voicegate.h>

#include "core.h"
#include "vg_test.h"

static struct vg_module carrier = {
	.name = "carrier", .state = VG_MOD_RUNNING,
};
static struct vg_module other = {
	.name = "other", .state = VG_MOD_RUNNING,
};

#define MAX_SEEN	32

/* What the bus delivered to the test. */
static struct {
	int	 n;
	char	 type[MAX_SEEN][VG_EVENT_TYPE_MAX];
	char	 call[MAX_SEEN][VG_CALL_ID_MAX];
	char	 payload[MAX_SEEN][256];
} seen;

/* Record one call event. */
static void
t_on_event(const struct vg_event *ev, void *arg)
{
	struct json_object *p = vg_event_json(ev);

	if (seen.n == MAX_SEEN)
		return;
	vg_strlcpy(seen.type[seen.n], vg_event_type(ev), VG_EVENT_TYPE_MAX);
	vg_strlcpy(seen.call[seen.n], vg_event_call_id(ev), VG_CALL_ID_MAX);
	vg_strlcpy(seen.payload[seen.n], p != NULL ?
	    json_object_to_json_string_ext(p, JSON_C_TO_STRING_PLAIN) : "",
	    sizeof(seen.payload[0]));
	seen.n++;
}

/* Core up, and a subscriber for call events. */
static void
setup(void)
{
	memset(&seen, 0, sizeof(seen));
	if (vg_core_init() == -1)
		abort();
	vg_bus_subscribe(&other, "call.*", NULL, t_on_event, NULL);
}

/* Core down. */
static void
teardown(void)
{
	vg_core_release_owner(&other);
	vg_core_release_owner(&carrier);
	vg_core_free();
}

/* Counting free function for module data. */
static int freed;

/* Free one piece of module data and count it. */
static void
t_free(void *data)
{
	freed++;
	free(data);
}

/* ---- calls ---- */

/* A new call has a fresh id, its parties, and is found by id. */
static void
t_create_find(void)
{
	struct vg_call *a, *b;
	const char *id;
	size_t i;

	setup();
	a = vg_call_create(&carrier, VG_CALL_INBOUND, "+15551230001",
	    "+15559870002");
	b = vg_call_create(&carrier, VG_CALL_OUTBOUND, "+1", "+2");
	VG_CHECK(a != NULL && b != NULL);
	id = vg_call_id(a);
	VG_CHECK_INT(strlen(id), 20);
	VG_CHECK(strncmp(id, "vgc_", 4) == 0);
	for (i = 4; i < strlen(id); i++)
		VG_CHECK(strchr("0123456789abcdef", id[i]) != NULL);
	VG_CHECK(strcmp(vg_call_id(a), vg_call_id(b)) != 0);
	VG_CHECK(vg_call_find(id) == a);
	VG_CHECK(vg_call_find(vg_call_id(b)) == b);
	VG_CHECK(vg_call_find("vgc_0000000000000000") == NULL);
	VG_CHECK_STR(vg_call_from(a), "+15551230001");
	VG_CHECK_STR(vg_call_to(a), "+15559870002");
	VG_CHECK_INT(vg_call_direction(b), VG_CALL_OUTBOUND);
	VG_CHECK_INT(vg_call_state(a), VG_CALL_QUEUED);
	VG_CHECK(vg_call_started_ms(a) > 1600000000000ULL);
	VG_CHECK_INT(vg_call_count(), 2);
	vg_bus_drain();
	VG_CHECK_INT(seen.n, 2);
	VG_CHECK_STR(seen.type[0], "call.created");
	VG_CHECK_STR(seen.call[0], id);
	VG_CHECK(strstr(seen.payload[0], "\"direction\":\"inbound\"") != NULL);
	VG_CHECK(strstr(seen.payload[0], "\"from\":\"+15551230001\"") != NULL);
	VG_CHECK(strstr(seen.payload[0], "\"to\":\"+15559870002\"") != NULL);
	teardown();
}

/* Attributes are set, replaced, removed, and found by. */
static void
t_attrs(void)
{
	struct vg_call *a, *b;

	setup();
	a = vg_call_create(&carrier, VG_CALL_INBOUND, "x", "y");
	b = vg_call_create(&carrier, VG_CALL_INBOUND, "x", "y");
	vg_call_set_attr(a, "call_sid", "CA111");
	vg_call_set_attr(b, "call_sid", "CA222");
	vg_call_set_attr(b, "task", "support");
	VG_CHECK_STR(vg_call_attr(a, "call_sid"), "CA111");
	VG_CHECK(vg_call_attr(a, "task") == NULL);
	VG_CHECK(vg_call_find_by("call_sid", "CA222") == b);
	VG_CHECK(vg_call_find_by("call_sid", "CA333") == NULL);
	vg_call_set_attr(b, "call_sid", "CA333");
	VG_CHECK(vg_call_find_by("call_sid", "CA333") == b);
	VG_CHECK(vg_call_find_by("call_sid", "CA222") == NULL);
	vg_call_set_attr(b, "call_sid", NULL);
	VG_CHECK(vg_call_attr(b, "call_sid") == NULL);
	VG_CHECK_STR(vg_call_attr(b, "task"), "support");
	teardown();
}

/* States publish call.state; an ended call publishes call.ended and goes,
 * freeing its module data. */
static void
t_states(void)
{
	struct vg_call *a;
	char id[VG_CALL_ID_MAX];

	setup();
	freed = 0;
	a = vg_call_create(&carrier, VG_CALL_INBOUND, "x", "y");
	vg_strlcpy(id, vg_call_id(a), sizeof(id));
	vg_call_set_data(a, &carrier, malloc(8), t_free);
	vg_call_set_data(a, &other, malloc(8), t_free);
	VG_CHECK(vg_call_data(a, &carrier) != NULL);
	vg_call_set_state(a, VG_CALL_RINGING);
	vg_call_set_state(a, VG_CALL_IN_PROGRESS);
	VG_CHECK_INT(vg_call_state(a), VG_CALL_IN_PROGRESS);
	VG_CHECK_INT(freed, 0);
	vg_call_set_state(a, VG_CALL_COMPLETED);
	VG_CHECK_INT(freed, 2);
	VG_CHECK(vg_call_find(id) == NULL);
	VG_CHECK_INT(vg_call_count(), 0);
	vg_bus_drain();
	VG_CHECK_INT(seen.n, 5);
	VG_CHECK_STR(seen.type[1], "call.state");
	VG_CHECK(strstr(seen.payload[1], "\"state\":\"ringing\"") != NULL);
	VG_CHECK(strstr(seen.payload[1], "\"previous\":\"queued\"") != NULL);
	VG_CHECK(strstr(seen.payload[2], "\"state\":\"in-progress\"") != NULL);
	VG_CHECK_STR(seen.type[3], "call.state");
	VG_CHECK(strstr(seen.payload[3], "\"state\":\"completed\"") != NULL);
	VG_CHECK_STR(seen.type[4], "call.ended");
	VG_CHECK_STR(seen.call[4], id);
	VG_CHECK(strstr(seen.payload[4], "\"duration_ms\":") != NULL);
	teardown();
}

/* Twilio's state names both ways. */
static void
t_state_names(void)
{
	static const char *const names[] = { "queued", "ringing",
	    "in-progress", "completed", "failed", "busy", "no-answer",
	    "canceled" };
	size_t i;

	for (i = 0; i < VG_NELEM(names); i++) {
		VG_CHECK_STR(vg_call_state_name((enum vg_call_state)i),
		    names[i]);
		VG_CHECK_INT(vg_call_state_parse(names[i]), (int)i);
	}
	VG_CHECK_INT(vg_call_state_parse("answered"), -1);
	VG_CHECK_INT(vg_call_state_parse(NULL), -1);
}

/* A module's data is freed when it unloads; others' stays. Replacing data
 * frees the old. */
static void
t_data_release(void)
{
	struct vg_call *a;
	void *mine;

	setup();
	freed = 0;
	a = vg_call_create(&carrier, VG_CALL_INBOUND, "x", "y");
	vg_call_set_data(a, &other, malloc(8), t_free);
	vg_call_set_data(a, &other, malloc(8), t_free);	/* replaces */
	VG_CHECK_INT(freed, 1);
	mine = malloc(8);
	vg_call_set_data(a, &carrier, mine, t_free);
	VG_CHECK_INT(vg_calls_release_owner(&other), 1);
	VG_CHECK_INT(freed, 2);
	VG_CHECK(vg_call_data(a, &other) == NULL);
	VG_CHECK(vg_call_data(a, &carrier) == mine);
	VG_CHECK(vg_call_find(vg_call_id(a)) == a);	/* the call lives on */
	vg_calls_free();				/* shutdown frees */
	VG_CHECK_INT(freed, 3);
	teardown();
}

/* During shutdown no new call is taken; live calls go on. */
static void
t_stop_new(void)
{
	struct vg_call *a;

	setup();
	a = vg_call_create(&carrier, VG_CALL_INBOUND, "x", "y");
	vg_calls_stop_new();
	VG_CHECK(vg_call_create(&carrier, VG_CALL_INBOUND, "x", "y") == NULL);
	VG_CHECK(vg_call_find(vg_call_id(a)) == a);
	vg_call_set_state(a, VG_CALL_FAILED);
	VG_CHECK_INT(vg_call_count(), 0);
	teardown();
	/* A fresh core takes calls again. */
	setup();
	VG_CHECK(vg_call_create(&carrier, VG_CALL_INBOUND, "x", "y") != NULL);
	teardown();
}

/* foreach callback: count, and end every call. */
static void
t_end_each(struct vg_call *call, void *arg)
{
	(*(unsigned *)arg)++;
	vg_call_set_state(call, VG_CALL_CANCELED);
}

/* vg_calls_json describes every live call; foreach may end them. */
static void
t_foreach_json(void)
{
	struct json_object *arr, *o, *v;
	struct vg_call *a, *b;
	unsigned n = 0;

	setup();
	a = vg_call_create(&carrier, VG_CALL_INBOUND, "+1", "+2");
	b = vg_call_create(&carrier, VG_CALL_OUTBOUND, "+3", "+4");
	vg_call_set_attr(b, "call_sid", "CA9");
	vg_call_set_state(b, VG_CALL_RINGING);
	arr = vg_calls_json();
	VG_CHECK_INT(json_object_array_length(arr), 2);
	o = json_object_array_get_idx(arr, 1);
	VG_CHECK(json_object_object_get_ex(o, "id", &v) &&
	    strcmp(json_object_get_string(v), vg_call_id(b)) == 0);
	VG_CHECK(json_object_object_get_ex(o, "state", &v) &&
	    strcmp(json_object_get_string(v), "ringing") == 0);
	VG_CHECK(json_object_object_get_ex(o, "direction", &v) &&
	    strcmp(json_object_get_string(v), "outbound") == 0);
	VG_CHECK(json_object_object_get_ex(o, "attrs", &v) &&
	    json_object_object_get_ex(v, "call_sid", NULL));
	json_object_put(arr);
	VG_CHECK(vg_call_find(vg_call_id(a)) == a);
	vg_call_foreach(t_end_each, &n);
	VG_CHECK_INT(n, 2);
	VG_CHECK_INT(vg_call_count(), 0);
	arr = vg_calls_json();
	VG_CHECK_INT(json_object_array_length(arr), 0);
	json_object_put(arr);
	teardown();
}

/* A thousand calls: every one found by id, and all gone when ended. */
static void
t_many(void)
{
	static char ids[1000][VG_CALL_ID_MAX];
	struct vg_call *c;
	int i, found = 0;

	setup();
	for (i = 0; i < 1000; i++) {
		c = vg_call_create(&carrier, VG_CALL_INBOUND, "x", "y");
		vg_strlcpy(ids[i], vg_call_id(c), VG_CALL_ID_MAX);
	}
	VG_CHECK_INT(vg_call_count(), 1000);
	for (i = 0; i < 1000; i++)
		if ((c = vg_call_find(ids[i])) != NULL &&
		    strcmp(vg_call_id(c), ids[i]) == 0)
			found++;
	VG_CHECK_INT(found, 1000);
	for (i = 0; i < 1000; i += 2)
		vg_call_set_state(vg_call_find(ids[i]), VG_CALL_COMPLETED);
	VG_CHECK_INT(vg_call_count(), 500);
	VG_CHECK(vg_call_find(ids[0]) == NULL);
	VG_CHECK(vg_call_find(ids[1]) != NULL);
	teardown();
}

/* ---- metrics ---- */

/* The rendered text has HELP and TYPE lines and the values. */
static void
t_metrics_render(void)
{
	struct vg_metric *m, *g;
	char *text;
	size_t len;

	setup();
	m = vg_metric_add(&carrier, "carrier_frames_total", VG_METRIC_COUNTER,
	    "Frames seen");
	g = vg_metric_add(&carrier, "carrier_depth", VG_METRIC_GAUGE,
	    "Queue depth");
	VG_CHECK(m != NULL && g != NULL);
	vg_metric_inc(m, 5);
	vg_metric_inc(m, -3);		/* a counter never goes down */
	vg_metric_set(g, 7);
	vg_metric_inc(g, -2);
	VG_CHECK_INT(vg_metric_value(m), 5);
	VG_CHECK_INT(vg_metric_value(g), 5);
	vg_call_create(&carrier, VG_CALL_INBOUND, "x", "y");
	text = vg_metrics_render(&len);
	VG_CHECK(text != NULL && strlen(text) == len);
	VG_CHECK(strstr(text, "# HELP voicegate_carrier_frames_total Frames "
	    "seen\n# TYPE voicegate_carrier_frames_total counter\n"
	    "voicegate_carrier_frames_total 5\n") != NULL);
	VG_CHECK(strstr(text, "# TYPE voicegate_carrier_depth gauge\n"
	    "voicegate_carrier_depth 5\n") != NULL);
	VG_CHECK(strstr(text, "\nvoicegate_calls_active 1\n") != NULL);
	VG_CHECK(strstr(text, "# TYPE voicegate_uptime_seconds gauge") !=
	    NULL);
	VG_CHECK(strstr(text, "# TYPE voicegate_bus_events_published_total "
	    "counter") != NULL);
	VG_CHECK(strstr(text, "voicegate_modules_running ") != NULL);
	free(text);
	teardown();
}

/* A taken or bad name is refused; release_owner removes a module's. */
static void
t_metrics_owner(void)
{
	char *text;
	size_t len;

	setup();
	VG_CHECK(vg_metric_add(&carrier, "carrier_x", VG_METRIC_GAUGE,
	    "x") != NULL);
	VG_CHECK(vg_metric_add(&other, "carrier_x", VG_METRIC_GAUGE,
	    "again") == NULL);
	VG_CHECK(vg_metric_add(&other, "uptime_seconds", VG_METRIC_GAUGE,
	    "core's") == NULL);
	VG_CHECK(vg_metric_add(&other, "bad name", VG_METRIC_GAUGE,
	    "space") == NULL);
	VG_CHECK(vg_metric_add(&other, "other_y", VG_METRIC_COUNTER,
	    "y") != NULL);
	VG_CHECK_INT(vg_metrics_release_owner(&carrier), 1);
	text = vg_metrics_render(&len);
	VG_CHECK(strstr(text, "carrier_x") == NULL);
	VG_CHECK(strstr(text, "voicegate_other_y 0\n") != NULL);
	free(text);
	/* The name is free again, and a NULL metric is ignored. */
	VG_CHECK(vg_metric_add(&other, "carrier_x", VG_METRIC_GAUGE,
	    "x") != NULL);
	vg_metric_inc(NULL, 1);
	VG_CHECK_INT(vg_metric_value(NULL), 0);
	teardown();
}

/* vg_metric_remove takes one metric out, first, middle or last, and the
 * list stays whole for the next addition. */
static void
t_metrics_remove(void)
{
	struct vg_metric *a, *b, *c;
	char *text;
	size_t len;

	setup();
	a = vg_metric_add(&carrier, "rm_a", VG_METRIC_GAUGE, "a");
	b = vg_metric_add(&carrier, "rm_b", VG_METRIC_GAUGE, "b");
	c = vg_metric_add(&carrier, "rm_c", VG_METRIC_GAUGE, "c");
	VG_CHECK(a != NULL && b != NULL && c != NULL);
	vg_metric_remove(b);
	vg_metric_remove(c);
	VG_CHECK(vg_metric_add(&carrier, "rm_d", VG_METRIC_GAUGE, "d") != NULL);
	vg_metric_remove(a);
	vg_metric_remove(NULL);
	text = vg_metrics_render(&len);
	VG_CHECK(strstr(text, "rm_a") == NULL);
	VG_CHECK(strstr(text, "rm_b") == NULL);
	VG_CHECK(strstr(text, "rm_c") == NULL);
	VG_CHECK(strstr(text, "voicegate_rm_d 0\n") != NULL);
	free(text);
	VG_CHECK_INT(vg_metrics_release_owner(&carrier), 1);	/* rm_d */
	teardown();
}

static const struct vg_test cases[] = {
	{ "calls/create_and_find",		t_create_find },
	{ "calls/attributes",			t_attrs },
	{ "calls/states_published_and_ended",	t_states },
	{ "calls/state_names",			t_state_names },
	{ "calls/data_released_with_module",	t_data_release },
	{ "calls/stop_new_refuses",		t_stop_new },
	{ "calls/json_and_foreach",		t_foreach_json },
	{ "calls/thousand_found_by_id",		t_many },
	{ "metrics/render_help_type_values",	t_metrics_render },
	{ "metrics/clash_and_release_owner",	t_metrics_owner },
	{ "metrics/remove_one",			t_metrics_remove },
};
VG_TEST_MAIN(cases)
