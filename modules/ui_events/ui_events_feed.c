/*
 * ui_events: the live feed, WS /twilio/events. Each client gets a snapshot
 * of the active calls, then every non-audio bus event as one JSON object a
 * message (doc/ui-events.md), optionally only one call's. Events are
 * rendered once and queued per client in a bounded outbox that a zero-delay
 * timer hands to the core, so a burst goes out together and a partial
 * transcript still queued is replaced by its newer text. A client whose
 * outbox fills is dropped (1008); the core drops one whose socket send
 * queue fills. Neither slows the calls or the other clients. Core thread.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <voicegate/voicegate.h>

#include "ui_events.h"

#define UI_RETRY_MS		20	/* the core's queue was full */
#define UI_CLOSE_UNAUTHORIZED	4401	/* like HTTP 401 */
#define UI_CLOSE_TRY_LATER	1013

static void	ui_feed_flush(struct vg_timer *t, void *arg);

/* ---- the outbox ---- */

/* Free one message. */
void
ui_msg_free(struct ui_msg *m)
{
	if (m == NULL)
		return;
	free(m->text);
	free(m);
}

/* Queue TEXT on BOX, coalescing a partial of ITEM. */
int
ui_outbox_push(struct ui_outbox *box, const char *text, size_t len,
    const char *item)
{
	struct ui_msg *m;

	if (item != NULL && *item != '\0') {
		for (m = box->head; m != NULL; m = m->next) {
			if (strcmp(m->item, item) != 0)
				continue;
			if (box->bytes - m->len + len > box->max_bytes)
				return (-1);
			free(m->text);
			m->text = vg_xstrndup(text, len);
			box->bytes = box->bytes - m->len + len;
			m->len = len;
			return (0);
		}
	}
	if (box->count + 1 > box->max_count ||
	    box->bytes + len > box->max_bytes)
		return (-1);
	m = vg_xcalloc(1, sizeof(*m));
	m->text = vg_xstrndup(text, len);
	m->len = len;
	if (item != NULL)
		vg_strlcpy(m->item, item, sizeof(m->item));
	if (box->tail != NULL)
		box->tail->next = m;
	else
		box->head = m;
	box->tail = m;
	box->count++;
	box->bytes += len;
	return (0);
}

/* Take the oldest message. */
struct ui_msg *
ui_outbox_pop(struct ui_outbox *box)
{
	struct ui_msg *m = box->head;

	if (m == NULL)
		return (NULL);
	if ((box->head = m->next) == NULL)
		box->tail = NULL;
	m->next = NULL;
	box->count--;
	box->bytes -= m->len;
	return (m);
}

/* Put M back in front. */
void
ui_outbox_unpop(struct ui_outbox *box, struct ui_msg *m)
{
	m->next = box->head;
	box->head = m;
	if (box->tail == NULL)
		box->tail = m;
	box->count++;
	box->bytes += m->len;
}

/* Drop everything queued. */
void
ui_outbox_clear(struct ui_outbox *box)
{
	struct ui_msg *m;

	while ((m = ui_outbox_pop(box)) != NULL)
		ui_msg_free(m);
}

/* ---- calls as the page shows them ---- */

/* One call's summary. */
struct json_object *
ui_call_json(struct vg_call *call)
{
	struct json_object *o = json_object_new_object(), *task, *type;
	const char *s;

	json_object_object_add(o, "call_id",
	    json_object_new_string(vg_call_id(call)));
	json_object_object_add(o, "direction", json_object_new_string(
	    vg_call_direction(call) == VG_CALL_OUTBOUND ? "outbound" :
	    "inbound"));
	json_object_object_add(o, "from",
	    json_object_new_string(vg_call_from(call)));
	json_object_object_add(o, "to",
	    json_object_new_string(vg_call_to(call)));
	json_object_object_add(o, "state", json_object_new_string(
	    vg_call_state_name(vg_call_state(call))));
	json_object_object_add(o, "started",
	    json_object_new_int64((int64_t)vg_call_started_ms(call)));
	if ((s = vg_call_attr(call, "call_sid")) != NULL)
		json_object_object_add(o, "call_sid",
		    json_object_new_string(s));
	if ((s = vg_call_attr(call, "task")) != NULL &&
	    (task = json_tokener_parse(s)) != NULL) {
		if (json_object_object_get_ex(task, "type", &type) &&
		    json_object_is_type(type, json_type_string))
			json_object_object_add(o, "task_type",
			    json_object_new_string(
			    json_object_get_string(type)));
		json_object_put(task);
	}
	return (o);
}

struct ui_calls_walk {
	struct json_object	*arr;
	const char		*call_id;
};

/* Add CALL to the walk's array when it matches. */
static void
ui_calls_add(struct vg_call *call, void *arg)
{
	struct ui_calls_walk *w = arg;

	if (w->call_id != NULL && *w->call_id != '\0' &&
	    strcmp(w->call_id, vg_call_id(call)) != 0)
		return;
	json_object_array_add(w->arr, ui_call_json(call));
}

/* The active calls. */
struct json_object *
ui_calls_json(const char *call_id)
{
	struct ui_calls_walk w = { json_object_new_array(), call_id };

	vg_call_foreach(ui_calls_add, &w);
	return (w.arr);
}

/* ---- clients ---- */

/* Make sure the flush runs soon (after MS milliseconds). */
static void
ui_feed_schedule(uint64_t ms)
{
	if (ui_g.flush_timer == NULL)
		ui_g.flush_timer = vg_timer_add(ui_g.self, ms, 0,
		    ui_feed_flush, NULL);
}

/* Drop C: its outbox is full. */
static void
ui_client_drop(struct ui_client *c)
{
	if (c->dropped)
		return;
	c->dropped = 1;
	vg_metric_inc(ui_g.m_dropped, 1);
	vg_log(VG_LOG_WARN, "feed client %llu (%s) reads too slowly: %zu "
	    "messages queued, dropped", vg_ws_id(c->conn),
	    vg_ws_peer(c->conn), c->box.count);
	ui_outbox_clear(&c->box);
	vg_ws_close(c->conn, VG_WS_CLOSE_POLICY, "slow reader");
}

/* Queue TEXT for C (ITEM: a partial's key, or ""). */
static void
ui_client_queue(struct ui_client *c, const char *text, size_t len,
    const char *item)
{
	if (c->dropped)
		return;
	if (ui_outbox_push(&c->box, text, len, item) == -1) {
		ui_client_drop(c);
		return;
	}
	ui_feed_schedule(0);
}

/* Hand each client's outbox to the core. */
static void
ui_feed_flush(struct vg_timer *t, void *arg)
{
	struct ui_client *c;
	struct ui_msg *m;
	int again = 0;

	ui_g.flush_timer = NULL;	/* one-shot: gone after this */
	for (c = ui_g.clients; c != NULL; c = c->next) {
		while (!c->dropped && (m = ui_outbox_pop(&c->box)) != NULL) {
			if (vg_ws_send(c->conn, m->text, m->len, 0) == -1) {
				ui_outbox_unpop(&c->box, m);
				again = 1;
				break;
			}
			c->sent++;
			vg_metric_inc(ui_g.m_messages, 1);
			ui_msg_free(m);
		}
	}
	if (again)
		ui_feed_schedule(UI_RETRY_MS);
}

/* Pick call_id out of a feed URL's query. */
static int
ui_query_pair(const char *key, const char *value, void *arg)
{
	struct ui_client *c = arg;

	if (strcmp(key, "call_id") == 0)
		vg_strlcpy(c->call_id, value, sizeof(c->call_id));
	return (0);
}

/* Send C its snapshot of the active calls. */
static void
ui_client_snapshot(struct ui_client *c)
{
	struct json_object *o = json_object_new_object();
	const char *s;

	json_object_object_add(o, "type", json_object_new_string("snapshot"));
	json_object_object_add(o, "time",
	    json_object_new_int64((int64_t)vg_wall_ms()));
	if (c->call_id[0] != '\0')
		json_object_object_add(o, "call_id",
		    json_object_new_string(c->call_id));
	json_object_object_add(o, "calls", ui_calls_json(c->call_id));
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	ui_client_queue(c, s, strlen(s), "");
	json_object_put(o);
}

/* ---- WebSocket ---- */

/* A feed client connects: check who, then snapshot. */
static int
ui_ws_open(struct vg_ws_conn *conn, void *arg)
{
	struct ui_client *c;
	const char *q = vg_ws_query(conn);

	if (!ui_auth_check(vg_ws_header(conn, "authorization"),
	    vg_ws_header(conn, "cookie")) ||
	    !ui_auth_same_origin(vg_ws_header(conn, "origin"),
	    vg_ws_header(conn, "host"))) {
		vg_metric_inc(ui_g.m_auth_fail, 1);
		vg_log(VG_LOG_NOTICE, "feed from %s: not authorised",
		    vg_ws_peer(conn));
		vg_ws_close(conn, UI_CLOSE_UNAUTHORIZED, "unauthorized");
		return (0);
	}
	if (ui_g.nclients >= (unsigned)ui_g.conf.max_clients) {
		vg_log(VG_LOG_WARN, "feed from %s: %u clients already: "
		    "refused", vg_ws_peer(conn), ui_g.nclients);
		vg_ws_close(conn, UI_CLOSE_TRY_LATER, "too many clients");
		return (0);
	}
	c = vg_xcalloc(1, sizeof(*c));
	c->conn = conn;
	c->box.max_count = ui_g.conf.queue_max;
	c->box.max_bytes = ui_g.conf.queue_max_bytes;
	if (q != NULL && *q != '\0' &&
	    vg_form_parse(q, strlen(q), ui_query_pair, c) == -1) {
		free(c);
		vg_ws_close(conn, VG_WS_CLOSE_POLICY, "bad query");
		return (0);
	}
	if ((c->next = ui_g.clients) != NULL)
		c->next->prev = c;
	ui_g.clients = c;
	ui_g.nclients++;
	vg_metric_set(ui_g.m_clients, ui_g.nclients);
	vg_ws_set_data(conn, c);
	vg_log(VG_LOG_INFO, "feed client %llu from %s%s%s",
	    vg_ws_id(conn), vg_ws_peer(conn), c->call_id[0] ? " for " : "",
	    c->call_id);
	ui_client_snapshot(c);
	return (0);
}

/* Messages from a client: {"type":"ping"} gets a pong; others ignored. */
static void
ui_ws_message(struct vg_ws_conn *conn, const void *data, size_t len,
    int binary, void *arg)
{
	static const char pong[] = "{\"type\":\"pong\"}";
	struct ui_client *c = vg_ws_data(conn);

	if (c != NULL && !binary && len == 15 &&
	    memcmp(data, "{\"type\":\"ping\"}", 15) == 0)
		ui_client_queue(c, pong, sizeof(pong) - 1, "");
}

/* A client is gone. */
static void
ui_ws_close(struct vg_ws_conn *conn, int code, const char *reason,
    void *arg)
{
	struct ui_client *c = vg_ws_data(conn);

	if (c == NULL)
		return;
	if (!c->dropped && code == VG_WS_CLOSE_POLICY && reason != NULL &&
	    strstr(reason, "slow") != NULL) {
		/* the core dropped it: its socket send queue filled */
		vg_metric_inc(ui_g.m_dropped, 1);
		vg_log(VG_LOG_WARN, "feed client %llu (%s) reads too slowly: "
		    "dropped by the core", vg_ws_id(conn), vg_ws_peer(conn));
	}
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		ui_g.clients = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	ui_g.nclients--;
	vg_metric_set(ui_g.m_clients, ui_g.nclients);
	ui_outbox_clear(&c->box);
	free(c);
}

static const struct vg_ws_handlers ui_ws_handlers = {
	.on_open = ui_ws_open,
	.on_message = ui_ws_message,
	.on_close = ui_ws_close,
};

/* ---- bus ---- */

/* Fan one event out to the clients that want it. */
static void
ui_feed_event(const struct vg_event *ev, void *arg)
{
	struct json_object *o, *v;
	struct ui_client *c, *next;
	const char *type = vg_event_type(ev), *cid, *text;
	char item[64] = "";
	size_t len;

	if (vg_event_audio(ev) != NULL || strncmp(type, "audio.", 6) == 0 ||
	    ui_g.clients == NULL)
		return;
	cid = vg_event_call_id(ev);
	if ((o = vg_event_to_json(ev)) == NULL)
		return;
	if (strcmp(type, "transcript.partial") == 0 &&
	    json_object_object_get_ex(o, "item_id", &v) &&
	    json_object_is_type(v, json_type_string))
		snprintf(item, sizeof(item), "%s/%s", cid,
		    json_object_get_string(v));
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	len = strlen(text);
	for (c = ui_g.clients; c != NULL; c = next) {
		next = c->next;
		if (c->call_id[0] != '\0' && strcmp(c->call_id, cid) != 0)
			continue;
		ui_client_queue(c, text, len, item);
	}
	json_object_put(o);
}

/* ---- start and stop ---- */

/* Register the endpoint and subscribe. */
int
ui_feed_start(void)
{
	if (vg_ws_endpoint(ui_g.self, UI_FEED_PATH, &ui_ws_handlers, NULL) ==
	    -1) {
		vg_log(VG_LOG_ERROR, "%s is taken", UI_FEED_PATH);
		return (-1);
	}
	ui_g.endpoint = 1;
	if ((ui_g.sub = vg_bus_subscribe(ui_g.self, "*", NULL, ui_feed_event,
	    NULL)) == NULL) {
		vg_ws_unendpoint(ui_g.self, UI_FEED_PATH);
		ui_g.endpoint = 0;
		return (-1);
	}
	return (0);
}

/* Close every client and stop. */
void
ui_feed_stop(void)
{
	struct ui_client *c;

	if (ui_g.sub != NULL)
		vg_bus_unsubscribe(ui_g.sub);
	ui_g.sub = NULL;
	if (ui_g.flush_timer != NULL)
		vg_timer_cancel(ui_g.flush_timer);
	ui_g.flush_timer = NULL;
	while ((c = ui_g.clients) != NULL) {
		ui_g.clients = c->next;
		vg_ws_set_data(c->conn, NULL);
		vg_ws_close(c->conn, VG_WS_CLOSE_GOING_AWAY, "unloading");
		ui_outbox_clear(&c->box);
		free(c);
	}
	ui_g.nclients = 0;
	if (ui_g.endpoint)
		vg_ws_unendpoint(ui_g.self, UI_FEED_PATH);
	ui_g.endpoint = 0;
}
