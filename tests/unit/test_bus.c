/*
 * Unit tests for the event bus (core/bus.c): ordering, filters, re-entrancy,
 * unsubscribe and subscribe inside callbacks, reference counts, audio
 * frames, JSON, the type registry, owner release and the counters. Every
 * case runs on a fresh core (vg_core_init / vg_core_free).
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <event2/event.h>
#include <json-c/json.h>

#include <voicegate/voicegate.h>

#include "core.h"
#include "vg_test.h"

#define LOG_MAX		64
#define LOG_LINE	96

/* What the recording subscribers saw, in order. */
static struct {
	char		 line[LOG_MAX][LOG_LINE];
	unsigned	 n;
	unsigned	 depth;		/* callbacks in progress */
	unsigned	 max_depth;
} rec;

static struct vg_module mod_a = { .name = "mod_a", .state = VG_MOD_RUNNING };
static struct vg_module mod_b = { .name = "mod_b", .state = VG_MOD_RUNNING };

/* Start each case on a fresh core and an empty log. */
static int
setup(void)
{
	memset(&rec, 0, sizeof(rec));
	if (vg_core_init() == -1) {
		fprintf(stderr, "  vg_core_init failed\n");
		return (-1);
	}
	return (0);
}

/* Tear the core down. */
static void
teardown(void)
{
	vg_core_free();
}

/* Record "ARG:type" for every event; ARG is the subscriber's name. */
static void
record_cb(const struct vg_event *ev, void *arg)
{
	rec.depth++;
	if (rec.depth > rec.max_depth)
		rec.max_depth = rec.depth;
	if (rec.n < LOG_MAX)
		snprintf(rec.line[rec.n++], LOG_LINE, "%s:%s",
		    (const char *)arg, vg_event_type(ev));
	rec.depth--;
}

/* Count calls into the unsigned ARG points at. */
static void
count_cb(const struct vg_event *ev, void *arg)
{
	(*(unsigned *)arg)++;
}

/* The log joined with spaces, for one comparison. */
static const char *
rec_joined(void)
{
	static char buf[LOG_MAX * LOG_LINE];
	unsigned i;

	buf[0] = '\0';
	for (i = 0; i < rec.n; i++) {
		if (i > 0)
			strcat(buf, " ");
		strcat(buf, rec.line[i]);
	}
	return (buf);
}

/* ---- ordering and delivery ---- */

static int order_next;
static int order_bad;
static uint64_t order_seq;

/* Check payload "i" counts up from 0 and seq rises. */
static void
order_cb(const struct vg_event *ev, void *arg)
{
	struct json_object *v;

	if (!json_object_object_get_ex(vg_event_json(ev), "i", &v) ||
	    json_object_get_int(v) != order_next)
		order_bad++;
	if (vg_event_seq(ev) <= order_seq)
		order_bad++;
	order_seq = vg_event_seq(ev);
	order_next++;
}

/* Events arrive in publish order with rising sequence numbers. */
static void
t_order_kept(void)
{
	struct json_object *o;
	int i;

	if (setup() == -1) {
		VG_CHECK(0);
		return;
	}
	order_next = order_bad = 0;
	order_seq = 0;
	VG_CHECK(vg_bus_subscribe(&mod_a, "t.order", NULL, order_cb,
	    NULL) != NULL);
	for (i = 0; i < 1000; i++) {
		o = json_object_new_object();
		json_object_object_add(o, "i", json_object_new_int(i));
		VG_CHECK_INT(vg_bus_emit("t.order", NULL, o), 0);
	}
	VG_CHECK_INT(order_next, 0);	/* nothing before delivery */
	vg_bus_drain();
	VG_CHECK_INT(order_next, 1000);
	VG_CHECK_INT(order_bad, 0);
	teardown();
}

/* Stop the loop once the third event arrives. */
static void
loop_break_cb(const struct vg_event *ev, void *arg)
{
	if (++*(unsigned *)arg == 3)
		event_base_loopbreak(vg_core_base());
}

/* The core loop delivers on its own, after publish returns. */
static void
t_loop_delivers(void)
{
	struct timeval tv = { 2, 0 };
	unsigned n = 0;

	if (setup() == -1) {
		VG_CHECK(0);
		return;
	}
	VG_CHECK(vg_bus_subscribe(&mod_a, "t.loop", NULL, loop_break_cb,
	    &n) != NULL);
	VG_CHECK_INT(vg_bus_emit("t.loop", NULL, NULL), 0);
	VG_CHECK_INT(vg_bus_emit("t.loop", NULL, NULL), 0);
	VG_CHECK_INT(vg_bus_emit("t.loop", NULL, NULL), 0);
	VG_CHECK_INT(n, 0);
	event_base_loopexit(vg_core_base(), &tv);	/* never hang */
	event_base_loop(vg_core_base(), 0);
	VG_CHECK_INT(n, 3);
	teardown();
}

#define MANY_EVENTS	10000

static unsigned many_n, many_bad;

/* Check payload "i" counts up; stop the loop at the last event. */
static void
many_cb(const struct vg_event *ev, void *arg)
{
	struct json_object *v;

	if (!json_object_object_get_ex(vg_event_json(ev), "i", &v) ||
	    json_object_get_int(v) != (int)many_n)
		many_bad++;
	if (++many_n == MANY_EVENTS)
		event_base_loopbreak(vg_core_base());
}

/* More events than one loop batch are all delivered, in order. */
static void
t_loop_batches(void)
{
	struct timeval tv = { 5, 0 };
	struct json_object *o;
	int i;

	if (setup() == -1) {
		VG_CHECK(0);
		return;
	}
	many_n = many_bad = 0;
	VG_CHECK(vg_bus_subscribe(&mod_a, "t.many", NULL, many_cb,
	    NULL) != NULL);
	for (i = 0; i < MANY_EVENTS; i++) {
		o = json_object_new_object();
		json_object_object_add(o, "i", json_object_new_int(i));
		vg_bus_emit("t.many", NULL, o);
	}
	event_base_loopexit(vg_core_base(), &tv);	/* never hang */
	event_base_loop(vg_core_base(), 0);
	VG_CHECK_INT(many_n, MANY_EVENTS);
	VG_CHECK_INT(many_bad, 0);
	teardown();
}

/* Exact, prefix and star patterns match what they should. */
static void
t_patterns(void)
{
	if (setup() == -1) {
		VG_CHECK(0);
		return;
	}
	VG_CHECK(vg_bus_subscribe(&mod_a, "call.started", NULL, record_cb,
	    "exact") != NULL);
	VG_CHECK(vg_bus_subscribe(&mod_a, "call.*", NULL, record_cb,
	    "prefix") != NULL);
	VG_CHECK(vg_bus_subscribe(&mod_a, "*", NULL, record_cb,
	    "all") != NULL);
	VG_CHECK(vg_bus_subscribe(&mod_a, "audio*", NULL, record_cb,
	    "bare") != NULL);
	vg_bus_emit("call.started", NULL, NULL);
	vg_bus_emit("call.startedx", NULL, NULL);
	vg_bus_emit("call", NULL, NULL);
	vg_bus_emit("audio.in", NULL, NULL);
	vg_bus_emit("calls.x", NULL, NULL);
	vg_bus_drain();
	VG_CHECK_STR(rec_joined(),
	    "exact:call.started prefix:call.started all:call.started "
	    "prefix:call.startedx all:call.startedx "
	    "all:call "
	    "all:audio.in bare:audio.in "
	    "all:calls.x");
	teardown();
}

/* A call-id filter passes that call's events only. */
static void
t_call_filter(void)
{
	unsigned one = 0, all = 0;

	if (setup() == -1) {
		VG_CHECK(0);
		return;
	}
	VG_CHECK(vg_bus_subscribe(&mod_a, "call.*", "CA1", count_cb,
	    &one) != NULL);
	VG_CHECK(vg_bus_subscribe(&mod_a, "call.*", "", count_cb,
	    &all) != NULL);
	vg_bus_emit("call.started", "CA1", NULL);
	vg_bus_emit("call.started", "CA2", NULL);
	vg_bus_emit("call.started", "CA10", NULL);
	vg_bus_emit("call.started", "CA", NULL);
	vg_bus_emit("call.started", NULL, NULL);
	vg_bus_emit("call.ended", "CA1", NULL);
	vg_bus_emit("audio.in", "CA1", NULL);
	vg_bus_drain();
	VG_CHECK_INT(one, 2);
	VG_CHECK_INT(all, 6);
	teardown();
}

/* Malformed patterns, call ids and callbacks are refused. */
static void
t_bad_patterns(void)
{
	static const char *bad[] = {
		"", "a*b", "**", "*a", "call.**", "has space", "tab\there",
		"0123456789012345678901234567890123456789012345678901234",
	};
	struct vg_bus_stats st;
	unsigned n = 0;
	size_t i;

	if (setup() == -1) {
		VG_CHECK(0);
		return;
	}
	VG_CHECK(vg_bus_subscribe(&mod_a, NULL, NULL, count_cb, &n) == NULL);
	for (i = 0; i < VG_NELEM(bad); i++) {
		if (vg_bus_subscribe(&mod_a, bad[i], NULL, count_cb,
		    &n) != NULL) {
			fprintf(stderr, "  accepted \"%s\"\n", bad[i]);
			VG_CHECK(0);
		}
	}
	VG_CHECK(vg_bus_subscribe(&mod_a, "call.*",
	    "0123456789012345678901234567890123456789", count_cb,
	    &n) == NULL);
	VG_CHECK(vg_bus_subscribe(&mod_a, "call.*", NULL, NULL, NULL) == NULL);
	vg_bus_stats(&st);
	VG_CHECK_INT(st.subscribers, 0);
	teardown();
}

/* ---- re-entrancy ---- */

/* On "a", publish "b1" and "b2" from inside the handler. */
static void
republish_cb(const struct vg_event *ev, void *arg)
{
	record_cb(ev, arg);
	rec.depth++;
	vg_bus_emit("b1", NULL, NULL);
	vg_bus_emit("b2", NULL, NULL);
	vg_bus_drain();		/* must not deliver from in here */
	rec.depth--;
}

/* Events published by a handler come after the current one, in order. */
static void
t_reentrant_publish(void)
{
	if (setup() == -1) {
		VG_CHECK(0);
		return;
	}
	VG_CHECK(vg_bus_subscribe(&mod_a, "a", NULL, republish_cb,
	    "pub") != NULL);
	VG_CHECK(vg_bus_subscribe(&mod_a, "*", NULL, record_cb,
	    "all") != NULL);
	vg_bus_emit("a", NULL, NULL);
	vg_bus_emit("c", NULL, NULL);
	vg_bus_drain();
	VG_CHECK_STR(rec_joined(), "pub:a all:a all:c all:b1 all:b2");
	VG_CHECK_INT(rec.max_depth, 1);
	teardown();
}

/* The same, through the loop: handler-published events come in the same
 * run. */
static void
t_reentrant_loop(void)
{
	struct timeval tv = { 0, 200000 };

	if (setup() == -1) {
		VG_CHECK(0);
		return;
	}
	VG_CHECK(vg_bus_subscribe(&mod_a, "a", NULL, republish_cb,
	    "pub") != NULL);
	VG_CHECK(vg_bus_subscribe(&mod_a, "b*", NULL, record_cb,
	    "b") != NULL);
	vg_bus_emit("a", NULL, NULL);
	event_base_loopexit(vg_core_base(), &tv);
	event_base_loop(vg_core_base(), 0);
	VG_CHECK_STR(rec_joined(), "pub:a b:b1 b:b2");
	teardown();
}

/* ---- unsubscribe and subscribe inside callbacks ---- */

static struct vg_sub *sub_self, *sub_other;
static unsigned calls_self, calls_other, calls_new;

/* Count, then unsubscribe myself. */
static void
unsub_self_cb(const struct vg_event *ev, void *arg)
{
	calls_self++;
	vg_bus_unsubscribe(sub_self);
}

/* Unsubscribing oneself in the callback stops further calls. */
static void
t_unsubscribe_self(void)
{
	struct vg_bus_stats st;
	unsigned other = 0;

	if (setup() == -1) {
		VG_CHECK(0);
		return;
	}
	calls_self = 0;
	sub_self = vg_bus_subscribe(&mod_a, "x", NULL, unsub_self_cb, NULL);
	VG_CHECK(sub_self != NULL);
	VG_CHECK(vg_bus_subscribe(&mod_a, "x", NULL, count_cb,
	    &other) != NULL);
	vg_bus_emit("x", NULL, NULL);
	vg_bus_emit("x", NULL, NULL);
	vg_bus_emit("x", NULL, NULL);
	vg_bus_drain();
	VG_CHECK_INT(calls_self, 1);
	VG_CHECK_INT(other, 3);
	vg_bus_stats(&st);
	VG_CHECK_INT(st.subscribers, 1);
	teardown();
}

/* Count, then unsubscribe the other subscription. */
static void
unsub_other_cb(const struct vg_event *ev, void *arg)
{
	calls_self++;
	vg_bus_unsubscribe(sub_other);
}

/* Count calls through the other subscription. */
static void
other_cb(const struct vg_event *ev, void *arg)
{
	calls_other++;
}

/* Unsubscribing another subscription in a callback stops it at once, even
 * for the event being delivered. */
static void
t_unsubscribe_other(void)
{
	if (setup() == -1) {
		VG_CHECK(0);
		return;
	}
	calls_self = calls_other = 0;
	VG_CHECK(vg_bus_subscribe(&mod_a, "x", NULL, unsub_other_cb,
	    NULL) != NULL);
	sub_other = vg_bus_subscribe(&mod_b, "x", NULL, other_cb, NULL);
	VG_CHECK(sub_other != NULL);
	vg_bus_emit("x", NULL, NULL);
	vg_bus_emit("x", NULL, NULL);
	vg_bus_drain();
	VG_CHECK_INT(calls_self, 2);
	VG_CHECK_INT(calls_other, 0);
	teardown();
}

/* Count calls to the subscription made inside a callback. */
static void
new_cb(const struct vg_event *ev, void *arg)
{
	calls_new++;
	record_cb(ev, arg);
}

/* On the first event, subscribe another callback and publish "late". */
static void
sub_inside_cb(const struct vg_event *ev, void *arg)
{
	if (calls_self++ == 0) {
		VG_CHECK(vg_bus_subscribe(&mod_a, "*", NULL, new_cb,
		    "new") != NULL);
		vg_bus_emit("late", NULL, NULL);
	}
}

/* A subscription made in a callback sees events published after it, not
 * the one being delivered nor those already queued. */
static void
t_subscribe_inside(void)
{
	if (setup() == -1) {
		VG_CHECK(0);
		return;
	}
	calls_self = calls_new = 0;
	VG_CHECK(vg_bus_subscribe(&mod_a, "first", NULL, sub_inside_cb,
	    NULL) != NULL);
	vg_bus_emit("first", NULL, NULL);
	vg_bus_emit("queued", NULL, NULL);
	vg_bus_drain();
	VG_CHECK_INT(calls_new, 1);
	VG_CHECK_STR(rec_joined(), "new:late");
	vg_bus_emit("after", NULL, NULL);
	vg_bus_drain();
	VG_CHECK_STR(rec_joined(), "new:late new:after");
	teardown();
}

/* ---- references ---- */

static const struct vg_event *kept;

/* Keep a reference to the event. */
static void
keep_cb(const struct vg_event *ev, void *arg)
{
	kept = vg_event_ref(ev);
}

/* An event a subscriber keeps outlives delivery and the bus itself. */
static void
t_ref_survives(void)
{
	struct json_object *o, *v;
	uint64_t before;

	if (setup() == -1) {
		VG_CHECK(0);
		return;
	}
	kept = NULL;
	VG_CHECK(vg_bus_subscribe(&mod_a, "keep", NULL, keep_cb,
	    NULL) != NULL);
	o = json_object_new_object();
	json_object_object_add(o, "text", json_object_new_string("hello"));
	before = vg_now_ns();
	VG_CHECK_INT(vg_bus_emit("keep", "CA9", o), 0);
	vg_bus_drain();
	teardown();		/* the bus lets go of everything */
	VG_CHECK(kept != NULL);
	if (kept == NULL)
		return;
	VG_CHECK_STR(vg_event_type(kept), "keep");
	VG_CHECK_STR(vg_event_call_id(kept), "CA9");
	VG_CHECK_INT(vg_event_seq(kept), 1);
	VG_CHECK(vg_event_time_ns(kept) >= before - 1000000000ull);
	VG_CHECK(vg_event_time_ns(kept) <= vg_now_ns());
	VG_CHECK(vg_event_wall_ms(kept) > 1600000000000ull);
	VG_CHECK(vg_event_audio(kept) == NULL);
	VG_CHECK(json_object_object_get_ex(vg_event_json(kept), "text", &v));
	VG_CHECK_STR(json_object_get_string(v), "hello");
	vg_event_unref(kept);	/* ASan reports a leak if this is not last */
	kept = NULL;
}

#define REF_EVENTS	2000

static const struct vg_event *refs[REF_EVENTS];
static unsigned nrefs;

/* Take two references to each event, for two threads to drop. */
static void
ref_twice_cb(const struct vg_event *ev, void *arg)
{
	if (nrefs < REF_EVENTS) {
		refs[nrefs++] = vg_event_ref(ev);
		vg_event_ref(ev);
	}
}

/* Read each kept event, then drop one reference to it. */
static void *
unref_thread(void *arg)
{
	unsigned i, *bad = arg;

	for (i = 0; i < nrefs; i++) {
		if (vg_event_audio(refs[i]) == NULL ||
		    vg_event_audio(refs[i])->len != 160 ||
		    vg_event_seq(refs[i]) != i + 1)
			(*bad)++;
		vg_event_unref(refs[i]);
	}
	return (NULL);
}

/* References may be dropped on other threads, concurrently. */
static void
t_ref_threads(void)
{
	unsigned char frame[160];
	unsigned bad1 = 0, bad2 = 0, i;
	pthread_t t1, t2;

	if (setup() == -1) {
		VG_CHECK(0);
		return;
	}
	nrefs = 0;
	memset(frame, 0x7f, sizeof(frame));
	VG_CHECK(vg_bus_subscribe(&mod_a, "audio.in", NULL, ref_twice_cb,
	    NULL) != NULL);
	for (i = 0; i < REF_EVENTS; i++)
		vg_bus_publish(vg_event_new_audio("audio.in", "CA1",
		    VG_CODEC_PCMU, 8000, i * 20, frame, sizeof(frame)));
	vg_bus_drain();
	VG_CHECK_INT(nrefs, REF_EVENTS);
	VG_CHECK_INT(pthread_create(&t1, NULL, unref_thread, &bad1), 0);
	VG_CHECK_INT(pthread_create(&t2, NULL, unref_thread, &bad2), 0);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	VG_CHECK_INT(bad1, 0);
	VG_CHECK_INT(bad2, 0);
	teardown();
}

/* ---- audio, JSON, bad arguments ---- */

/* Small audio events dropped on the core thread are kept and reused
 * (bytes exact each time); big ones are not; one that outlives the bus
 * is freed, not kept. */
static void
t_audio_pool(void)
{
	unsigned char frame[160], big[2000];
	const struct vg_audio_frame *af;
	struct vg_event *a, *b, *c;

	if (setup() == -1) {
		VG_CHECK(0);
		return;
	}
	memset(frame, 0x11, sizeof(frame));
	memset(big, 0x22, sizeof(big));
	a = vg_event_new_audio("audio.in", "CA1", VG_CODEC_PCMU, 8000, 20,
	    frame, sizeof(frame));
	VG_CHECK(a != NULL);
	vg_event_unref(a);
	frame[0] = 0x33;
	b = vg_event_new_audio("audio.out", "CA2", VG_CODEC_PCMU, 8000, 40,
	    frame, 100);
	VG_CHECK(b == a);		/* the same block, reused */
	VG_CHECK_STR(vg_event_type(b), "audio.out");
	VG_CHECK_STR(vg_event_call_id(b), "CA2");
	af = vg_event_audio(b);
	VG_CHECK(af != NULL && af->len == 100 && af->media_ts_ms == 40 &&
	    af->data[0] == 0x33 && af->data[99] == 0x11);
	VG_CHECK_INT(vg_event_seq(b), 0);
	c = vg_event_new_audio("audio.in", "CA1", VG_CODEC_PCMU, 8000, 60,
	    big, sizeof(big));
	VG_CHECK(c != NULL && c != a);
	vg_event_unref(c);
	vg_event_unref(b);
	c = vg_event_new_audio("audio.in", NULL, VG_CODEC_PCMU, 8000, 0,
	    frame, sizeof(frame));
	VG_CHECK(c == a);
	teardown();
	vg_event_unref(c);		/* after the bus: freed (ASan) */
}

/* An audio event carries its frame bytes exactly. */
static void
t_audio_exact(void)
{
	unsigned char frame[320];
	const struct vg_audio_frame *af;
	struct vg_event *ev;
	size_t i;

	for (i = 0; i < sizeof(frame); i++)
		frame[i] = (unsigned char)(i * 7 + 3);
	ev = vg_event_new_audio("audio.in", "CA1", VG_CODEC_L16, 16000,
	    123456, frame, sizeof(frame));
	VG_CHECK(ev != NULL);
	if (ev == NULL)
		return;
	memset(frame, 0, sizeof(frame));	/* the event has its copy */
	af = vg_event_audio(ev);
	VG_CHECK(af != NULL);
	VG_CHECK(vg_event_json(ev) == NULL);
	VG_CHECK_INT(af->codec, VG_CODEC_L16);
	VG_CHECK_INT(af->rate, 16000);
	VG_CHECK_INT(af->media_ts_ms, 123456);
	VG_CHECK_INT(af->len, 320);
	for (i = 0; i < af->len; i++) {
		if (af->data[i] != (unsigned char)(i * 7 + 3)) {
			VG_CHECK(0);
			break;
		}
	}
	VG_CHECK_INT(vg_event_seq(ev), 0);
	vg_event_unref(ev);

	VG_CHECK(vg_event_new_audio("audio.in", NULL, 0, 8000, 0, frame,
	    160) == NULL);
	VG_CHECK(vg_event_new_audio("audio.in", NULL, VG_CODEC_PCMU, 0, 0,
	    frame, 160) == NULL);
	VG_CHECK(vg_event_new_audio("audio.in", NULL, VG_CODEC_PCMU, 8000, 0,
	    NULL, 160) == NULL);
	VG_CHECK(vg_event_new_audio("audio.in", NULL, VG_CODEC_PCMU, 8000, 0,
	    frame, (size_t)64 << 20) == NULL);
	VG_CHECK(vg_event_new_audio("audio*", NULL, VG_CODEC_PCMU, 8000, 0,
	    frame, 160) == NULL);
}

/* Bad types, call ids and payloads make no event (and free the payload). */
static void
t_new_bad_args(void)
{
	struct vg_event *ev;

	VG_CHECK(vg_event_new(NULL, NULL, NULL) == NULL);
	VG_CHECK(vg_event_new("", NULL, json_object_new_object()) == NULL);
	VG_CHECK(vg_event_new("x*", NULL, NULL) == NULL);
	VG_CHECK(vg_event_new(
	    "0123456789012345678901234567890123456789012345678", NULL,
	    NULL) == NULL);
	VG_CHECK(vg_event_new("x", "0123456789012345678901234567890123456789",
	    json_object_new_object()) == NULL);
	VG_CHECK(vg_event_new("x", NULL, json_object_new_array()) == NULL);
	/* The longest allowed type and call id. */
	ev = vg_event_new("012345678901234567890123456789012345678901234567"
	    + 1, "012345678901234567890123456789012345678" , NULL);
	VG_CHECK(ev != NULL);
	if (ev != NULL) {
		VG_CHECK_INT(strlen(vg_event_type(ev)), VG_EVENT_TYPE_MAX - 1);
		VG_CHECK_INT(strlen(vg_event_call_id(ev)), VG_CALL_ID_MAX - 1);
		VG_CHECK(vg_event_json(ev) != NULL);
		vg_event_unref(ev);
	}
	vg_event_unref(NULL);
}

/* A registered serialiser's fields, for "x.custom". */
static struct json_object *
custom_json(const struct vg_event *ev)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "custom", json_object_new_int(7));
	json_object_object_add(o, "seq", json_object_new_int(-1));
	return (o);
}

/* Look up KEY in O; NULL when absent. */
static struct json_object *
jget(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (!json_object_object_get_ex(o, key, &v))
		return (NULL);
	return (v);
}

/* vg_event_to_json has the header, then payload or serialiser fields;
 * audio events show the frame's shape, never its bytes. */
static void
t_to_json(void)
{
	unsigned char frame[160] = { 0 };
	struct json_object *p, *j;
	struct vg_event *ev;

	if (setup() == -1) {
		VG_CHECK(0);
		return;
	}
	p = json_object_new_object();
	json_object_object_add(p, "text", json_object_new_string("hi"));
	json_object_object_add(p, "n", json_object_new_int(3));
	json_object_object_add(p, "type", json_object_new_string("spoof"));
	ev = vg_event_new("transcript.final", "CA1", p);
	vg_event_ref(ev);
	VG_CHECK_INT(vg_bus_publish(ev), 0);
	j = vg_event_to_json(ev);
	VG_CHECK_STR(json_object_get_string(jget(j, "type")),
	    "transcript.final");
	VG_CHECK_STR(json_object_get_string(jget(j, "call_id")), "CA1");
	VG_CHECK_INT(json_object_get_int64(jget(j, "seq")), 1);
	VG_CHECK_INT(json_object_get_int64(jget(j, "time")),
	    vg_event_wall_ms(ev));
	VG_CHECK_STR(json_object_get_string(jget(j, "text")), "hi");
	VG_CHECK_INT(json_object_get_int(jget(j, "n")), 3);
	VG_CHECK_INT(json_object_object_length(j), 6);
	/* Copies, not shared: the event's payload is untouched. */
	json_object_set_string(jget(j, "text"), "changed");
	VG_CHECK_STR(json_object_get_string(jget(vg_event_json(ev), "text")),
	    "hi");
	json_object_put(j);
	vg_event_unref(ev);

	ev = vg_event_new_audio("audio.in", NULL, VG_CODEC_PCMU, 8000, 40,
	    frame, sizeof(frame));
	j = vg_event_to_json(ev);
	VG_CHECK(jget(j, "call_id") == NULL);
	VG_CHECK(json_object_object_get_ex(j, "call_id", NULL));
	VG_CHECK_INT(json_object_get_int64(jget(j, "seq")), 0);
	VG_CHECK_STR(json_object_get_string(jget(j, "codec")), "pcmu");
	VG_CHECK_INT(json_object_get_int(jget(j, "rate")), 8000);
	VG_CHECK_INT(json_object_get_int64(jget(j, "media_ts_ms")), 40);
	VG_CHECK_INT(json_object_get_int64(jget(j, "bytes")), 160);
	VG_CHECK_INT(json_object_object_length(j), 8);
	json_object_put(j);
	vg_event_unref(ev);

	VG_CHECK_INT(vg_bus_register_type(&mod_a, "x.custom", "custom",
	    custom_json), 0);
	ev = vg_event_new("x.custom", "CA2", NULL);
	j = vg_event_to_json(ev);
	VG_CHECK_INT(json_object_get_int(jget(j, "custom")), 7);
	VG_CHECK_INT(json_object_get_int64(jget(j, "seq")), 0);
	VG_CHECK_STR(json_object_get_string(jget(j, "call_id")), "CA2");
	VG_CHECK_INT(json_object_object_length(j), 5);
	json_object_put(j);
	vg_event_unref(ev);
	teardown();
}

/* ---- types, owners, counters ---- */

/* A type belongs to the first module that registers it. */
static void
t_type_conflict(void)
{
	struct json_object *a, *o;
	struct vg_bus_stats st;

	if (setup() == -1) {
		VG_CHECK(0);
		return;
	}
	VG_CHECK_INT(vg_bus_register_type(&mod_a, "call.started",
	    "a call began", NULL), 0);
	VG_CHECK_INT(vg_bus_register_type(&mod_b, "call.started",
	    "mine", NULL), -1);
	VG_CHECK_INT(vg_bus_register_type(&mod_a, "call.started",
	    "a call has begun", NULL), 0);
	VG_CHECK_INT(vg_bus_register_type(&mod_b, "audio.in",
	    "caller audio", NULL), 0);
	VG_CHECK_INT(vg_bus_register_type(&mod_b, "audio.*", "x", NULL), -1);
	VG_CHECK_INT(vg_bus_register_type(&mod_b, "", "x", NULL), -1);
	vg_bus_stats(&st);
	VG_CHECK_INT(st.types, 2);
	a = vg_bus_types_json();
	VG_CHECK_INT(json_object_array_length(a), 2);
	o = json_object_array_get_idx(a, 0);	/* sorted by type */
	VG_CHECK_STR(json_object_get_string(jget(o, "type")), "audio.in");
	VG_CHECK_STR(json_object_get_string(jget(o, "module")), "mod_b");
	o = json_object_array_get_idx(a, 1);
	VG_CHECK_STR(json_object_get_string(jget(o, "type")), "call.started");
	VG_CHECK_STR(json_object_get_string(jget(o, "module")), "mod_a");
	VG_CHECK_STR(json_object_get_string(jget(o, "description")),
	    "a call has begun");
	json_object_put(a);
	teardown();
}

static unsigned released_a1, released_a2, released_b;

/* mod_b's handler: unload mod_a in the middle of a delivery. */
static void
release_a_cb(const struct vg_event *ev, void *arg)
{
	released_b++;
	if (released_b == 1)
		VG_CHECK_INT(vg_bus_release_owner(&mod_a), 2);
}

/* release_owner counts the subscriptions it removed (registered types go
 * too, uncounted: they last the module's lifetime), and the module's
 * callbacks stop, even from inside a delivery. */
static void
t_release_owner(void)
{
	struct vg_bus_stats st;

	if (setup() == -1) {
		VG_CHECK(0);
		return;
	}
	released_a1 = released_a2 = released_b = 0;
	VG_CHECK(vg_bus_subscribe(&mod_a, "x", NULL, count_cb,
	    &released_a1) != NULL);
	VG_CHECK(vg_bus_subscribe(&mod_a, "*", NULL, count_cb,
	    &released_a2) != NULL);
	VG_CHECK_INT(vg_bus_register_type(&mod_a, "x", "x", NULL), 0);
	VG_CHECK_INT(vg_bus_register_type(&mod_b, "y", "y", NULL), 0);
	vg_bus_emit("x", NULL, NULL);
	vg_bus_drain();
	VG_CHECK_INT(released_a1, 1);
	VG_CHECK_INT(released_a2, 1);
	VG_CHECK_INT(vg_bus_release_owner(&mod_a), 2);
	VG_CHECK_INT(vg_bus_release_owner(&mod_a), 0);
	vg_bus_emit("x", NULL, NULL);
	vg_bus_drain();
	VG_CHECK_INT(released_a1, 1);
	VG_CHECK_INT(released_a2, 1);
	vg_bus_stats(&st);
	VG_CHECK_INT(st.subscribers, 0);
	VG_CHECK_INT(st.types, 1);

	/* Now from inside a callback that runs before mod_a's. */
	released_a1 = released_a2 = 0;
	VG_CHECK(vg_bus_subscribe(&mod_b, "x", NULL, release_a_cb,
	    NULL) != NULL);
	VG_CHECK(vg_bus_subscribe(&mod_a, "x", NULL, count_cb,
	    &released_a1) != NULL);
	VG_CHECK(vg_bus_subscribe(&mod_a, "*", NULL, count_cb,
	    &released_a2) != NULL);
	vg_bus_emit("x", NULL, NULL);
	vg_bus_emit("x", NULL, NULL);
	vg_bus_drain();
	VG_CHECK_INT(released_b, 2);
	VG_CHECK_INT(released_a1, 0);
	VG_CHECK_INT(released_a2, 0);
	vg_bus_stats(&st);
	VG_CHECK_INT(st.subscribers, 1);
	VG_CHECK_INT(vg_bus_release_owner(&mod_b), 1);
	vg_bus_stats(&st);
	VG_CHECK_INT(st.types, 0);
	teardown();
}

/* published, delivered, depth and high-water count what happened. */
static void
t_stats(void)
{
	struct vg_bus_stats st;
	unsigned n = 0;
	int i;

	if (setup() == -1) {
		VG_CHECK(0);
		return;
	}
	vg_bus_stats(&st);
	VG_CHECK_INT(st.published, 0);
	VG_CHECK_INT(st.delivered, 0);
	VG_CHECK(vg_bus_subscribe(&mod_a, "call.*", NULL, count_cb,
	    &n) != NULL);
	VG_CHECK(vg_bus_subscribe(&mod_a, "*", NULL, count_cb, &n) != NULL);
	VG_CHECK(vg_bus_subscribe(&mod_a, "none", NULL, count_cb,
	    &n) != NULL);
	for (i = 0; i < 5; i++)
		vg_bus_emit(i < 3 ? "call.x" : "audio.x", NULL, NULL);
	vg_bus_stats(&st);
	VG_CHECK_INT(st.published, 5);
	VG_CHECK_INT(st.queue_depth, 5);
	VG_CHECK_INT(st.queue_high_water, 5);
	VG_CHECK_INT(st.delivered, 0);
	VG_CHECK_INT(st.subscribers, 3);
	vg_bus_drain();
	vg_bus_emit("call.y", NULL, NULL);
	vg_bus_drain();
	vg_bus_stats(&st);
	VG_CHECK_INT(st.published, 6);
	VG_CHECK_INT(st.queue_depth, 0);
	VG_CHECK_INT(st.queue_high_water, 5);
	VG_CHECK_INT(st.delivered, 3 * 2 + 2 * 1 + 2);
	VG_CHECK_INT(n, 10);
	teardown();
}

/* Publishing twice, or after the bus is gone, is refused; queued events
 * are released by vg_bus_free (ASan checks). */
static void
t_refusals(void)
{
	struct vg_event *ev;
	unsigned n = 0;

	if (setup() == -1) {
		VG_CHECK(0);
		return;
	}
	VG_CHECK(vg_bus_subscribe(&mod_a, "*", NULL, count_cb, &n) != NULL);
	ev = vg_event_new("x", NULL, NULL);
	vg_event_ref(ev);
	VG_CHECK_INT(vg_bus_publish(ev), 0);
	VG_CHECK_INT(vg_bus_publish(ev), -1);	/* takes the extra ref */
	VG_CHECK_INT(vg_bus_publish(NULL), -1);
	vg_bus_emit("queued", NULL, NULL);
	teardown();		/* never delivered, but freed */
	VG_CHECK_INT(n, 0);
	VG_CHECK_INT(vg_bus_emit("x", NULL, NULL), -1);
	VG_CHECK(vg_bus_subscribe(&mod_a, "*", NULL, count_cb, &n) == NULL);
}

/* Try to publish from a thread that is not the core's. */
static void *
publish_thread(void *arg)
{
	*(int *)arg = vg_bus_emit("x", NULL, NULL);
	return (NULL);
}

/* Publishing off the core thread is refused (and the event freed). */
static void
t_off_thread_refused(void)
{
	struct vg_bus_stats st;
	pthread_t t;
	int rc = 0;

	if (setup() == -1) {
		VG_CHECK(0);
		return;
	}
	VG_CHECK_INT(pthread_create(&t, NULL, publish_thread, &rc), 0);
	pthread_join(t, NULL);
	VG_CHECK_INT(rc, -1);
	vg_bus_stats(&st);
	VG_CHECK_INT(st.published, 0);
	VG_CHECK_INT(st.queue_depth, 0);
	teardown();
}

static const struct vg_test cases[] = {
	{ "bus/order_kept",			t_order_kept },
	{ "bus/loop_delivers",			t_loop_delivers },
	{ "bus/loop_delivers_past_one_batch",	t_loop_batches },
	{ "bus/patterns_exact_prefix_star",	t_patterns },
	{ "bus/call_id_filter",			t_call_filter },
	{ "bus/bad_patterns_refused",		t_bad_patterns },
	{ "bus/reentrant_publish_after_current", t_reentrant_publish },
	{ "bus/reentrant_publish_loop",		t_reentrant_loop },
	{ "bus/unsubscribe_self_in_callback",	t_unsubscribe_self },
	{ "bus/unsubscribe_other_in_callback",	t_unsubscribe_other },
	{ "bus/subscribe_in_callback",		t_subscribe_inside },
	{ "bus/ref_survives_delivery",		t_ref_survives },
	{ "bus/unref_on_other_threads",		t_ref_threads },
	{ "bus/audio_bytes_exact",		t_audio_exact },
	{ "bus/audio_blocks_reused",		t_audio_pool },
	{ "bus/new_bad_args",			t_new_bad_args },
	{ "bus/to_json_shape",			t_to_json },
	{ "bus/type_conflict",			t_type_conflict },
	{ "bus/release_owner",			t_release_owner },
	{ "bus/stats",				t_stats },
	{ "bus/refusals",			t_refusals },
	{ "bus/publish_off_thread_refused",	t_off_thread_refused },
};
VG_TEST_MAIN(cases)
