/*
 * The event bus: immutable, reference-counted events queued in publish order
 * and delivered on the core thread to every matching subscriber, never
 * re-entrantly. Publishing, subscribing and the type registry are core-thread
 * only; vg_event_ref/unref and the accessors are safe from any thread that
 * holds a reference (the count is atomic, nothing else changes after
 * publish).
 *
 * Delivery: a publish that makes the queue non-empty activates one libevent
 * event on the core base; its callback drains the queue in batches. A
 * subscription made during delivery sees only events published after it; an
 * unsubscribed one is marked dead, skipped, and freed once no delivery is in
 * progress.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/event.h>
#include <json-c/json.h>

#include <voicegate/voicegate.h>

#include "core.h"

/* Largest audio frame an event may carry. */
#define BUS_AUDIO_MAX	(1024 * 1024)
/* Buckets of the per-call subscription index (a power of two). */
#define BUS_CALL_BUCKETS	1024
/* Events delivered by one loop callback before yielding to other events. */
#define BUS_BATCH	4096

/* How a subscription's pattern matches a type. */
enum bus_kind {
	BUS_EXACT = 0,		/* the whole type */
	BUS_PREFIX,		/* the pattern before its final '*' */
	BUS_ALL,		/* "*" */
};

/* One event. Immutable once published; NEXT and SEQ are the bus's. */
struct vg_event {
	unsigned		 refs;		/* atomic */
	uint32_t		 hash;		/* of type, for exact matches */
	uint8_t			 type_len;
	uint8_t			 call_len;
	uint8_t			 pooled;	/* a bus_pool block */
	uint64_t		 seq;		/* assigned at publish */
	uint64_t		 time_ns;	/* monotonic, at creation */
	uint64_t		 wall_ms;	/* epoch ms, at creation */
	struct vg_event		*next;		/* the bus queue */
	struct json_object	*json;		/* owned; NULL for audio */
	struct vg_audio_frame	*audio;		/* in this allocation, or NULL */
	char			 type[VG_EVENT_TYPE_MAX];
	char			 call_id[VG_CALL_ID_MAX];
};

/* Audio events of up to BUS_POOL_AUDIO bytes made on the core thread come
 * from fixed blocks, kept (at most BUS_POOL_MAX) when the core thread drops
 * them: one frame in, one out, for every call, with no malloc. Core thread
 * only; outside g, which vg_bus_free() clears while events may live on. */
#define BUS_POOL_AUDIO	1024
#define BUS_POOL_MAX	256
static struct {
	struct vg_event		*free;
	unsigned		 n;
} bus_pool;

/* One subscription: owned by the bus, freed by unsubscribe or release. */
struct vg_sub {
	TAILQ_ENTRY(vg_sub)	 entry;
	TAILQ_ENTRY(vg_sub)	 lentry;	/* in anycall or a call bucket */
	uint64_t		 order;		/* subscription order */
	struct vg_module	*owner;		/* borrowed */
	vg_bus_fn		 cb;
	void			*arg;
	uint64_t		 min_seq;	/* sees events from this seq on */
	uint32_t		 hash;		/* of pattern, when exact */
	uint8_t			 kind;		/* enum bus_kind */
	uint8_t			 len;		/* pattern or prefix length */
	uint8_t			 call_len;	/* 0: every call */
	uint8_t			 dead;		/* unsubscribed, not yet freed */
	char			 pattern[VG_EVENT_TYPE_MAX];
	char			 call_id[VG_CALL_ID_MAX];
};
TAILQ_HEAD(bus_subs, vg_sub);

/* One registered event type. */
struct bus_type {
	struct bus_type		*next;		/* sorted by type */
	struct vg_module	*owner;		/* borrowed */
	uint32_t		 hash;
	vg_event_json_fn	 to_json;
	char			*description;	/* owned */
	char			 type[VG_EVENT_TYPE_MAX];
};

static struct {
	int			 ready;
	pthread_t		 thread;	/* the core thread */
	struct event		*deliver;	/* on vg_core_base() */
	struct vg_event		*head;		/* queue, oldest first */
	struct vg_event		*tail;
	struct bus_subs		 subs;		/* all, in subscription order */
	/* the same, split for delivery, each list in subscription order:
	 * subscriptions to every call, and those to one call, bucketed by
	 * its id's hash, so that an event is offered only to subscriptions
	 * that can match its call (not to one per call in progress) */
	struct bus_subs		 anycall;
	struct bus_subs		 bycall[BUS_CALL_BUCKETS];
	uint64_t		 next_order;
	struct bus_type		*types;
	unsigned		 delivering;	/* nesting guard */
	unsigned		 nsubs;		/* live subscriptions */
	unsigned		 ndead;		/* dead, awaiting free */
	unsigned		 ntypes;
	uint64_t		 next_seq;
	uint64_t		 published;
	uint64_t		 delivered;
	uint64_t		 depth;
	uint64_t		 high_water;
} g;

static void	bus_deliver_cb(evutil_socket_t fd, short what, void *arg);

/* FNV-1a over LEN bytes of S. */
static uint32_t
bus_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return (h);
}

/* The delivery list S belongs on. */
static struct bus_subs *
bus_sub_list(struct vg_sub *s)
{
	if (s->call_len == 0)
		return (&g.anycall);
	return (&g.bycall[bus_hash(s->call_id, s->call_len) &
	    (BUS_CALL_BUCKETS - 1)]);
}

/* Take S off every list (not freed). */
static void
bus_sub_unlink(struct vg_sub *s)
{
	TAILQ_REMOVE(&g.subs, s, entry);
	TAILQ_REMOVE(bus_sub_list(s), s, lentry);
}

/* Make the subscription lists empty. */
static void
bus_lists_init(void)
{
	size_t i;

	TAILQ_INIT(&g.subs);
	TAILQ_INIT(&g.anycall);
	for (i = 0; i < BUS_CALL_BUCKETS; i++)
		TAILQ_INIT(&g.bycall[i]);
}

/* Check an event type or pattern body: printable, no space, no '*' unless
 * STAR_OK. Returns its length, or -1 when bad or too long. */
static int
bus_name_check(const char *s, int star_ok)
{
	size_t i;

	if (s == NULL || *s == '\0')
		return (-1);
	for (i = 0; s[i] != '\0'; i++) {
		if (i >= VG_EVENT_TYPE_MAX - 1)
			return (-1);
		if (s[i] <= ' ' || s[i] >= 0x7f)
			return (-1);
		if (s[i] == '*' && (!star_ok || s[i + 1] != '\0'))
			return (-1);
	}
	return ((int)i);
}

/* Check a call id (NULL and "" mean none). Returns its length, or -1. */
static int
bus_call_check(const char *call_id)
{
	size_t len;

	if (call_id == NULL)
		return (0);
	len = strnlen(call_id, VG_CALL_ID_MAX);
	if (len >= VG_CALL_ID_MAX)
		return (-1);
	return ((int)len);
}

/* True on the core thread of a running bus. */
static int
bus_on_core(void)
{
	return (g.ready && pthread_equal(pthread_self(), g.thread));
}

/* Allocate an event with EXTRA bytes after it, type and call id filled,
 * from the pool when POOL and it fits. Returns new (one reference), or
 * NULL on a bad type or call id. */
static struct vg_event *
bus_event_alloc(const char *type, const char *call_id, size_t extra,
    int pool)
{
	struct vg_event *ev;
	int tlen, clen;

	if ((tlen = bus_name_check(type, 0)) == -1) {
		vg_log(VG_LOG_WARN, "bus: bad event type");
		return (NULL);
	}
	if ((clen = bus_call_check(call_id)) == -1) {
		vg_log(VG_LOG_WARN, "bus: call id too long for %s", type);
		return (NULL);
	}
	if (pool && extra <= sizeof(struct vg_audio_frame) + BUS_POOL_AUDIO &&
	    bus_on_core()) {
		if ((ev = bus_pool.free) != NULL) {
			bus_pool.free = ev->next;
			bus_pool.n--;
		} else
			ev = vg_xmalloc(sizeof(*ev) +
			    sizeof(struct vg_audio_frame) + BUS_POOL_AUDIO);
		ev->pooled = 1;
	} else {
		ev = vg_xmalloc(sizeof(*ev) + extra);
		ev->pooled = 0;
	}
	ev->refs = 1;
	ev->hash = bus_hash(type, (size_t)tlen);
	ev->type_len = (uint8_t)tlen;
	ev->call_len = (uint8_t)clen;
	ev->seq = 0;
	ev->time_ns = vg_now_ns();
	ev->wall_ms = vg_wall_ms();
	ev->next = NULL;
	ev->json = NULL;
	ev->audio = NULL;
	memcpy(ev->type, type, (size_t)tlen + 1);
	if (clen > 0)
		memcpy(ev->call_id, call_id, (size_t)clen);
	ev->call_id[clen] = '\0';
	return (ev);
}

/* Make a control event; takes PAYLOAD even on failure. */
struct vg_event *
vg_event_new(const char *type, const char *call_id,
    struct json_object *payload)
{
	struct vg_event *ev;

	if (payload != NULL && !json_object_is_type(payload, json_type_object)) {
		vg_log(VG_LOG_WARN, "bus: payload of %s is not an object",
		    type != NULL ? type : "(null)");
		json_object_put(payload);
		return (NULL);
	}
	if ((ev = bus_event_alloc(type, call_id, 0, 0)) == NULL) {
		json_object_put(payload);
		return (NULL);
	}
	if (payload == NULL)
		payload = json_object_new_object();
	ev->json = payload;
	return (ev);
}

/* Make an audio event: header and bytes in one allocation. */
struct vg_event *
vg_event_new_audio(const char *type, const char *call_id,
    enum vg_codec codec, uint32_t rate, uint64_t media_ts_ms,
    const void *data, size_t len)
{
	struct vg_event *ev;
	struct vg_audio_frame *af;

	if (codec < VG_CODEC_PCMU || codec > VG_CODEC_L16 || rate == 0 ||
	    len > BUS_AUDIO_MAX || (data == NULL && len != 0)) {
		vg_log(VG_LOG_WARN, "bus: bad audio event");
		return (NULL);
	}
	ev = bus_event_alloc(type, call_id, sizeof(*af) + len, 1);
	if (ev == NULL)
		return (NULL);
	af = (struct vg_audio_frame *)(ev + 1);
	af->codec = codec;
	af->rate = rate;
	af->media_ts_ms = media_ts_ms;
	af->len = len;
	if (len != 0)
		memcpy(af->data, data, len);
	ev->audio = af;
	return (ev);
}

/* Take a reference; any thread. */
struct vg_event *
vg_event_ref(const struct vg_event *cev)
{
	struct vg_event *ev = (struct vg_event *)cev;

	if (ev != NULL)
		__atomic_fetch_add(&ev->refs, 1, __ATOMIC_RELAXED);
	return (ev);
}

/* Drop a reference, freeing the event with the last; any thread. */
void
vg_event_unref(const struct vg_event *cev)
{
	struct vg_event *ev = (struct vg_event *)cev;

	if (ev == NULL)
		return;
	if (__atomic_fetch_sub(&ev->refs, 1, __ATOMIC_ACQ_REL) != 1)
		return;
	if (ev->json != NULL)
		json_object_put(ev->json);
	if (ev->pooled && bus_pool.n < BUS_POOL_MAX && bus_on_core()) {
		ev->next = bus_pool.free;
		bus_pool.free = ev;
		bus_pool.n++;
		return;
	}
	free(ev);
}

/* The event's type. */
const char *
vg_event_type(const struct vg_event *ev)
{
	return (ev->type);
}

/* The event's call id, "" if none. */
const char *
vg_event_call_id(const struct vg_event *ev)
{
	return (ev->call_id);
}

/* The sequence number, 0 until published. */
uint64_t
vg_event_seq(const struct vg_event *ev)
{
	return (ev->seq);
}

/* Monotonic nanoseconds at creation. */
uint64_t
vg_event_time_ns(const struct vg_event *ev)
{
	return (ev->time_ns);
}

/* Wall-clock milliseconds at creation. */
uint64_t
vg_event_wall_ms(const struct vg_event *ev)
{
	return (ev->wall_ms);
}

/* The JSON payload, NULL for audio. */
struct json_object *
vg_event_json(const struct vg_event *ev)
{
	return (ev->json);
}

/* The audio frame, NULL for a control event. */
const struct vg_audio_frame *
vg_event_audio(const struct vg_event *ev)
{
	return (ev->audio);
}

/* Find registered TYPE of LEN bytes with HASH, or NULL. */
static struct bus_type *
bus_type_find(const char *type, size_t len, uint32_t hash)
{
	struct bus_type *t;

	for (t = g.types; t != NULL; t = t->next) {
		if (t->hash == hash && strncmp(t->type, type, len) == 0 &&
		    t->type[len] == '\0')
			return (t);
	}
	return (NULL);
}

/* Name of a codec for JSON. */
static const char *
bus_codec_name(enum vg_codec codec)
{
	switch (codec) {
	case VG_CODEC_PCMU:
		return ("pcmu");
	case VG_CODEC_PCMA:
		return ("pcma");
	case VG_CODEC_L16:
		return ("l16");
	}
	return ("unknown");
}

/* Add deep copies of SRC's members to DST, skipping keys DST has. */
static void
bus_json_merge(struct json_object *dst, struct json_object *src)
{
	struct json_object *copy;

	if (src == NULL || !json_object_is_type(src, json_type_object))
		return;
	json_object_object_foreach(src, key, val) {
		if (json_object_object_get_ex(dst, key, NULL))
			continue;
		copy = NULL;
		if (val != NULL && json_object_deep_copy(val, &copy, NULL) != 0)
			continue;
		json_object_object_add(dst, key, copy);
	}
}

/* The event as one JSON object; payload values are copied, never shared,
 * so the event stays untouched for other threads. */
struct json_object *
vg_event_to_json(const struct vg_event *ev)
{
	struct json_object *o, *ser;
	struct bus_type *t;

	o = json_object_new_object();
	json_object_object_add(o, "type", json_object_new_string(ev->type));
	json_object_object_add(o, "call_id", ev->call_len == 0 ? NULL :
	    json_object_new_string(ev->call_id));
	json_object_object_add(o, "seq", json_object_new_int64((int64_t)ev->seq));
	json_object_object_add(o, "time",
	    json_object_new_int64((int64_t)ev->wall_ms));
	t = bus_type_find(ev->type, ev->type_len, ev->hash);
	if (t != NULL && t->to_json != NULL) {
		if ((ser = t->to_json(ev)) != NULL) {
			bus_json_merge(o, ser);
			json_object_put(ser);
		}
	} else if (ev->audio != NULL) {
		json_object_object_add(o, "codec",
		    json_object_new_string(bus_codec_name(ev->audio->codec)));
		json_object_object_add(o, "rate",
		    json_object_new_int64(ev->audio->rate));
		json_object_object_add(o, "media_ts_ms",
		    json_object_new_int64((int64_t)ev->audio->media_ts_ms));
		json_object_object_add(o, "bytes",
		    json_object_new_int64((int64_t)ev->audio->len));
	} else
		bus_json_merge(o, ev->json);
	return (o);
}

/* ---- queue and delivery ---- */

/* True when SUB wants EV. */
static inline int
bus_match(const struct vg_sub *s, const struct vg_event *ev)
{
	if (ev->seq < s->min_seq)
		return (0);
	switch (s->kind) {
	case BUS_EXACT:
		if (s->hash != ev->hash || s->len != ev->type_len ||
		    memcmp(s->pattern, ev->type, s->len) != 0)
			return (0);
		break;
	case BUS_PREFIX:
		if (ev->type_len < s->len ||
		    memcmp(s->pattern, ev->type, s->len) != 0)
			return (0);
		break;
	default:
		break;
	}
	if (s->call_len != 0 && (s->call_len != ev->call_len ||
	    memcmp(s->call_id, ev->call_id, s->call_len) != 0))
		return (0);
	return (1);
}

/* Queue EV; takes the caller's reference. */
int
vg_bus_publish(struct vg_event *ev)
{
	if (ev == NULL)
		return (-1);
	if (!g.ready) {
		vg_event_unref(ev);
		return (-1);
	}
	if (!pthread_equal(pthread_self(), g.thread)) {
		vg_log(VG_LOG_ERROR, "bus: %s published off the core thread",
		    ev->type);
		vg_event_unref(ev);
		return (-1);
	}
	if (ev->seq != 0) {
		vg_log(VG_LOG_ERROR, "bus: %s seq %llu published twice",
		    ev->type, (unsigned long long)ev->seq);
		vg_event_unref(ev);
		return (-1);
	}
	ev->seq = ++g.next_seq;
	ev->next = NULL;
	if (g.tail == NULL) {
		g.head = g.tail = ev;
		if (g.deliver != NULL && !g.delivering)
			event_active(g.deliver, EV_TIMEOUT, 1);
	} else {
		g.tail->next = ev;
		g.tail = ev;
	}
	g.published++;
	if (++g.depth > g.high_water)
		g.high_water = g.depth;
	return (0);
}

/* Make and publish a control event. */
int
vg_bus_emit(const char *type, const char *call_id, struct json_object *payload)
{
	struct vg_event *ev;

	if ((ev = vg_event_new(type, call_id, payload)) == NULL)
		return (-1);
	return (vg_bus_publish(ev));
}

/* Free the subscriptions marked dead; only when nothing is delivering. */
static void
bus_sweep(void)
{
	struct vg_sub *s, *next;

	for (s = TAILQ_FIRST(&g.subs); s != NULL && g.ndead > 0; s = next) {
		next = TAILQ_NEXT(s, entry);
		if (!s->dead)
			continue;
		bus_sub_unlink(s);
		free(s);
		g.ndead--;
	}
}

/* Deliver up to MAX queued events (0: until the queue is empty). Returns
 * how many were delivered. */
static unsigned
bus_deliver(unsigned max)
{
	struct vg_event *ev;
	struct vg_sub *s, *a, *b;
	unsigned n = 0;

	if (g.delivering)
		return (0);	/* never re-entrant: the outer drain goes on */
	g.delivering = 1;
	while ((ev = g.head) != NULL && (max == 0 || n < max)) {
		if ((g.head = ev->next) == NULL)
			g.tail = NULL;
		g.depth--;
		n++;
		/* the subscriptions to every call and those in the event's
		 * call's bucket, merged back into subscription order; the
		 * next of each is taken before the callback, which may
		 * subscribe (tail, and too late for EV) or unsubscribe (only
		 * marked dead while delivering) */
		a = TAILQ_FIRST(&g.anycall);
		b = ev->call_len == 0 ? NULL : TAILQ_FIRST(&g.bycall[
		    bus_hash(ev->call_id, ev->call_len) &
		    (BUS_CALL_BUCKETS - 1)]);
		while (a != NULL || b != NULL) {
			if (b == NULL || (a != NULL && a->order < b->order)) {
				s = a;
				a = TAILQ_NEXT(a, lentry);
			} else {
				s = b;
				b = TAILQ_NEXT(b, lentry);
			}
			if (s->dead || !bus_match(s, ev))
				continue;
			g.delivered++;
			s->cb(ev, s->arg);
		}
		vg_event_unref(ev);
	}
	g.delivering = 0;
	if (g.ndead > 0)
		bus_sweep();
	return (n);
}

/* The loop's delivery callback: one batch, then yield if more is queued. */
static void
bus_deliver_cb(evutil_socket_t fd, short what, void *arg)
{
	bus_deliver(BUS_BATCH);
	if (g.head != NULL && g.deliver != NULL)
		event_active(g.deliver, EV_TIMEOUT, 1);
}

/* Deliver everything queued now. */
void
vg_bus_drain(void)
{
	bus_deliver(0);
}

/* ---- subscriptions ---- */

/* Subscribe MOD's CB to PATTERN, optionally for one call. */
struct vg_sub *
vg_bus_subscribe(struct vg_module *mod, const char *pattern,
    const char *call_id, vg_bus_fn cb, void *arg)
{
	struct vg_sub *s;
	int len, clen;

	if (!g.ready || cb == NULL)
		return (NULL);
	if ((len = bus_name_check(pattern, 1)) == -1) {
		vg_log(VG_LOG_WARN, "bus: bad subscription pattern \"%s\"",
		    pattern != NULL ? pattern : "(null)");
		return (NULL);
	}
	if ((clen = bus_call_check(call_id)) == -1) {
		vg_log(VG_LOG_WARN, "bus: subscription call id too long");
		return (NULL);
	}
	s = vg_xcalloc(1, sizeof(*s));
	s->owner = mod != NULL ? mod : vg_core_module();
	s->cb = cb;
	s->arg = arg;
	s->min_seq = g.next_seq + 1;
	memcpy(s->pattern, pattern, (size_t)len + 1);
	if (len == 1 && pattern[0] == '*') {
		s->kind = BUS_ALL;
		s->len = 0;
	} else if (pattern[len - 1] == '*') {
		s->kind = BUS_PREFIX;
		s->len = (uint8_t)(len - 1);
	} else {
		s->kind = BUS_EXACT;
		s->len = (uint8_t)len;
		s->hash = bus_hash(pattern, (size_t)len);
	}
	if (clen > 0)
		memcpy(s->call_id, call_id, (size_t)clen);
	s->call_len = (uint8_t)clen;
	s->order = ++g.next_order;
	TAILQ_INSERT_TAIL(&g.subs, s, entry);
	TAILQ_INSERT_TAIL(bus_sub_list(s), s, lentry);
	g.nsubs++;
	return (s);
}

/* Kill S now; free it now or after the delivery in progress. */
static void
bus_sub_kill(struct vg_sub *s)
{
	s->dead = 1;
	s->cb = NULL;
	g.nsubs--;
	if (g.delivering) {
		g.ndead++;
		return;
	}
	bus_sub_unlink(s);
	free(s);
}

/* End SUB: no callback comes through it once this returns. */
void
vg_bus_unsubscribe(struct vg_sub *sub)
{
	if (sub == NULL || sub->dead)
		return;
	bus_sub_kill(sub);
}

/* ---- type registry ---- */

/* Register TYPE for MOD; the same owner may register again (updates). */
int
vg_bus_register_type(struct vg_module *mod, const char *type,
    const char *description, vg_event_json_fn to_json)
{
	struct bus_type *t, **pp;
	int len;
	uint32_t hash;

	if (!g.ready)
		return (-1);
	if ((len = bus_name_check(type, 0)) == -1) {
		vg_log(VG_LOG_WARN, "bus: bad event type to register");
		return (-1);
	}
	if (mod == NULL)
		mod = vg_core_module();
	hash = bus_hash(type, (size_t)len);
	if ((t = bus_type_find(type, (size_t)len, hash)) != NULL) {
		if (t->owner != mod) {
			vg_log(VG_LOG_ERROR, "bus: %s wants event type %s, "
			    "registered by %s", mod->name, type,
			    t->owner->name);
			return (-1);
		}
		free(t->description);
		t->description = vg_xstrdup(description != NULL ?
		    description : "");
		t->to_json = to_json;
		return (0);
	}
	t = vg_xcalloc(1, sizeof(*t));
	t->owner = mod;
	t->hash = hash;
	t->to_json = to_json;
	t->description = vg_xstrdup(description != NULL ? description : "");
	memcpy(t->type, type, (size_t)len + 1);
	for (pp = &g.types; *pp != NULL && strcmp((*pp)->type, type) < 0;
	    pp = &(*pp)->next)
		;
	t->next = *pp;
	*pp = t;
	g.ntypes++;
	return (0);
}

/* Registered types as a JSON array of {type, module, description}. */
struct json_object *
vg_bus_types_json(void)
{
	struct json_object *a, *o;
	struct bus_type *t;

	a = json_object_new_array();
	for (t = g.types; t != NULL; t = t->next) {
		o = json_object_new_object();
		json_object_object_add(o, "type",
		    json_object_new_string(t->type));
		json_object_object_add(o, "module",
		    json_object_new_string(t->owner->name));
		json_object_object_add(o, "description",
		    json_object_new_string(t->description));
		json_object_array_add(a, o);
	}
	return (a);
}

/* ---- life cycle ---- */

/* Remove MOD's subscriptions and types; returns how many. */
unsigned
vg_bus_release_owner(struct vg_module *mod)
{
	struct vg_sub *s, *snext;
	struct bus_type *t, **pp;
	unsigned n = 0;

	for (s = TAILQ_FIRST(&g.subs); s != NULL; s = snext) {
		snext = TAILQ_NEXT(s, entry);
		if (s->dead || s->owner != mod)
			continue;
		bus_sub_kill(s);
		n++;
	}
	for (pp = &g.types; (t = *pp) != NULL; ) {
		if (t->owner != mod) {
			pp = &t->next;
			continue;
		}
		/* A declaration for the module's lifetime: not counted as
		 * something the module forgot to release. */
		*pp = t->next;
		free(t->description);
		free(t);
		g.ntypes--;
	}
	return (n);
}

/* Counters for "bus show" and metrics. */
void
vg_bus_stats(struct vg_bus_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->published = g.published;
	st->delivered = g.delivered;
	st->queue_depth = g.depth;
	st->queue_high_water = g.high_water;
	st->subscribers = g.nsubs;
	st->types = g.ntypes;
}

/* Set up the bus on the core base; the calling thread is the core's. */
int
vg_bus_init(void)
{
	struct event_base *base;

	memset(&g, 0, sizeof(g));
	bus_lists_init();
	g.thread = pthread_self();
	if ((base = vg_core_base()) != NULL) {
		g.deliver = event_new(base, -1, 0, bus_deliver_cb, NULL);
		if (g.deliver == NULL) {
			vg_log(VG_LOG_ERROR, "bus: event_new failed");
			return (-1);
		}
	}
	g.ready = 1;
	return (0);
}

/* Drop queued events, subscriptions and types. */
void
vg_bus_free(void)
{
	struct vg_event *ev;
	struct vg_sub *s;
	struct bus_type *t;

	g.ready = 0;
	if (g.deliver != NULL) {
		event_free(g.deliver);
		g.deliver = NULL;
	}
	while ((ev = g.head) != NULL) {
		g.head = ev->next;
		vg_event_unref(ev);
	}
	g.tail = NULL;
	while ((s = TAILQ_FIRST(&g.subs)) != NULL) {
		bus_sub_unlink(s);
		free(s);
	}
	while ((t = g.types) != NULL) {
		g.types = t->next;
		free(t->description);
		free(t);
	}
	memset(&g, 0, sizeof(g));
	bus_lists_init();
	while ((ev = bus_pool.free) != NULL) {
		bus_pool.free = ev->next;
		free(ev);
	}
	bus_pool.n = 0;
}
