/*
 * The call registry: every live call, found by our id through a small hash
 * and by attribute through a scan, with string attributes and per-module
 * data. Lifecycle changes are published on the bus (call.created,
 * call.state, call.ended); an ended call leaves the registry at once.
 * Core thread only.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <voicegate/voicegate.h>

#include "core.h"

#define CALLS_BUCKETS	1024		/* id hash size, a power of two */
#define CALL_ID_PREFIX	"vgc_"

/* One attribute: key and value, both owned. */
struct call_attr {
	char			*key;
	char			*value;
	struct call_attr	*next;
};

/* One module's private data for a call. */
struct call_data {
	struct vg_module	*mod;		/* borrowed */
	void			*data;		/* the module's */
	vg_call_free_fn		 free_fn;
	struct call_data	*next;
};

struct vg_call {
	char			 id[VG_CALL_ID_MAX];
	struct vg_module	*owner;		/* the carrier module, or NULL */
	enum vg_call_direction	 dir;
	enum vg_call_state	 state;
	char			*from;		/* owned */
	char			*to;		/* owned */
	uint64_t		 started_ms;	/* wall */
	uint64_t		 started_mono_ms;
	struct call_attr	*attrs;
	struct call_data	*data;
	struct vg_call		*hnext;		/* hash chain */
	struct vg_call		*prev, *next;	/* creation order */
};

static struct {
	struct vg_call		*buckets[CALLS_BUCKETS];
	struct vg_call		*head, *tail;
	unsigned		 count;
	int			 stop_new;
} g_calls;

static const char *const state_names[] = {
	[VG_CALL_QUEUED] = "queued",
	[VG_CALL_RINGING] = "ringing",
	[VG_CALL_IN_PROGRESS] = "in-progress",
	[VG_CALL_COMPLETED] = "completed",
	[VG_CALL_FAILED] = "failed",
	[VG_CALL_BUSY] = "busy",
	[VG_CALL_NO_ANSWER] = "no-answer",
	[VG_CALL_CANCELED] = "canceled",
};

/* FNV-1a of ID, reduced to a bucket. */
static unsigned
calls_hash(const char *id)
{
	uint32_t h = 2166136261u;

	while (*id != '\0') {
		h ^= (unsigned char)*id++;
		h *= 16777619u;
	}
	return (h & (CALLS_BUCKETS - 1));
}

/* Prepare an empty registry. */
int
vg_calls_init(void)
{
	memset(&g_calls, 0, sizeof(g_calls));
	return (0);
}

/* Run and drop every module's data on CALL. Returns how many. */
static unsigned
calls_free_data(struct vg_call *call)
{
	struct call_data *d;
	unsigned n = 0;

	while ((d = call->data) != NULL) {
		call->data = d->next;
		if (d->free_fn != NULL)
			d->free_fn(d->data);
		free(d);
		n++;
	}
	return (n);
}

/* Take CALL out of the registry and free it. */
static void
calls_remove(struct vg_call *call)
{
	struct vg_call **pp;
	struct call_attr *a;

	for (pp = &g_calls.buckets[calls_hash(call->id)]; *pp != NULL;
	    pp = &(*pp)->hnext) {
		if (*pp == call) {
			*pp = call->hnext;
			break;
		}
	}
	if (call->prev != NULL)
		call->prev->next = call->next;
	else
		g_calls.head = call->next;
	if (call->next != NULL)
		call->next->prev = call->prev;
	else
		g_calls.tail = call->prev;
	g_calls.count--;
	calls_free_data(call);
	while ((a = call->attrs) != NULL) {
		call->attrs = a->next;
		free(a->key);
		free(a->value);
		free(a);
	}
	free(call->from);
	free(call->to);
	free(call);
}

/* Drop every call, without events (the daemon is going). */
void
vg_calls_free(void)
{
	while (g_calls.head != NULL)
		calls_remove(g_calls.head);
	memset(&g_calls, 0, sizeof(g_calls));
}

/* Release MOD's data on every call and forget it as any call's owner. */
unsigned
vg_calls_release_owner(struct vg_module *mod)
{
	struct vg_call *call;
	struct call_data **pp, *d;
	unsigned n = 0;

	for (call = g_calls.head; call != NULL; call = call->next) {
		if (call->owner == mod)
			call->owner = NULL;
		pp = &call->data;
		while ((d = *pp) != NULL) {
			if (d->mod != mod) {
				pp = &d->next;
				continue;
			}
			*pp = d->next;
			if (d->free_fn != NULL)
				d->free_fn(d->data);
			free(d);
			n++;
		}
	}
	return (n);
}

/* Refuse new calls from now on. */
void
vg_calls_stop_new(void)
{
	g_calls.stop_new = 1;
}

/* The name of a direction. */
static const char *
calls_dir_name(enum vg_call_direction dir)
{
	return (dir == VG_CALL_OUTBOUND ? "outbound" : "inbound");
}

/* One call as JSON. Returns new. */
static struct json_object *
calls_one_json(const struct vg_call *call)
{
	struct json_object *o, *attrs;
	struct call_attr *a;

	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(call->id));
	json_object_object_add(o, "direction",
	    json_object_new_string(calls_dir_name(call->dir)));
	json_object_object_add(o, "from", json_object_new_string(call->from));
	json_object_object_add(o, "to", json_object_new_string(call->to));
	json_object_object_add(o, "state",
	    json_object_new_string(vg_call_state_name(call->state)));
	json_object_object_add(o, "started_ms",
	    json_object_new_int64((int64_t)call->started_ms));
	json_object_object_add(o, "duration_ms", json_object_new_int64(
	    (int64_t)(vg_now_ms() - call->started_mono_ms)));
	json_object_object_add(o, "module", json_object_new_string(
	    call->owner != NULL ? vg_module_name(call->owner) : ""));
	attrs = json_object_new_object();
	for (a = call->attrs; a != NULL; a = a->next)
		json_object_object_add(attrs, a->key,
		    json_object_new_string(a->value));
	json_object_object_add(o, "attrs", attrs);
	return (o);
}

/* Active calls as a JSON array, oldest first. */
struct json_object *
vg_calls_json(void)
{
	struct json_object *arr = json_object_new_array();
	struct vg_call *call;

	for (call = g_calls.head; call != NULL; call = call->next)
		json_object_array_add(arr, calls_one_json(call));
	return (arr);
}

/* Start a call for MOD and publish call.created. */
struct vg_call *
vg_call_create(struct vg_module *mod, enum vg_call_direction dir,
    const char *from, const char *to)
{
	struct json_object *p;
	struct vg_call *call;
	unsigned char rnd[8];
	unsigned b, i, tries;

	if (g_calls.stop_new) {
		vg_log(VG_LOG_NOTICE, "no new calls: the daemon is stopping");
		return (NULL);
	}
	call = vg_xcalloc(1, sizeof(*call));
	for (tries = 0;; tries++) {
		if (tries == 8 || vg_random(rnd, sizeof(rnd)) == -1) {
			vg_log(VG_LOG_ERROR, "cannot make a call id");
			free(call);
			return (NULL);
		}
		memcpy(call->id, CALL_ID_PREFIX, sizeof(CALL_ID_PREFIX) - 1);
		for (i = 0; i < sizeof(rnd); i++)
			snprintf(call->id + sizeof(CALL_ID_PREFIX) - 1 + 2 * i,
			    3, "%02x", rnd[i]);
		if (vg_call_find(call->id) == NULL)
			break;
	}
	call->owner = mod;
	call->dir = dir;
	call->state = VG_CALL_QUEUED;
	call->from = vg_xstrdup(from != NULL ? from : "");
	call->to = vg_xstrdup(to != NULL ? to : "");
	call->started_ms = vg_wall_ms();
	call->started_mono_ms = vg_now_ms();
	b = calls_hash(call->id);
	call->hnext = g_calls.buckets[b];
	g_calls.buckets[b] = call;
	call->prev = g_calls.tail;
	if (g_calls.tail != NULL)
		g_calls.tail->next = call;
	else
		g_calls.head = call;
	g_calls.tail = call;
	g_calls.count++;

	p = json_object_new_object();
	json_object_object_add(p, "direction",
	    json_object_new_string(calls_dir_name(dir)));
	json_object_object_add(p, "from", json_object_new_string(call->from));
	json_object_object_add(p, "to", json_object_new_string(call->to));
	vg_bus_emit("call.created", call->id, p);
	return (call);
}

/* Find a live call by our id. */
struct vg_call *
vg_call_find(const char *id)
{
	struct vg_call *call;

	if (id == NULL)
		return (NULL);
	for (call = g_calls.buckets[calls_hash(id)]; call != NULL;
	    call = call->hnext)
		if (strcmp(call->id, id) == 0)
			return (call);
	return (NULL);
}

/* Find the oldest live call whose attribute ATTR is VALUE. */
struct vg_call *
vg_call_find_by(const char *attr, const char *value)
{
	struct vg_call *call;
	const char *v;

	if (attr == NULL || value == NULL)
		return (NULL);
	for (call = g_calls.head; call != NULL; call = call->next)
		if ((v = vg_call_attr(call, attr)) != NULL &&
		    strcmp(v, value) == 0)
			return (call);
	return (NULL);
}

/* Our id for CALL. */
const char *
vg_call_id(const struct vg_call *call)
{
	return (call->id);
}

/* CALL's state. */
enum vg_call_state
vg_call_state(const struct vg_call *call)
{
	return (call->state);
}

/* CALL's direction. */
enum vg_call_direction
vg_call_direction(const struct vg_call *call)
{
	return (call->dir);
}

/* The calling party. */
const char *
vg_call_from(const struct vg_call *call)
{
	return (call->from);
}

/* The called party. */
const char *
vg_call_to(const struct vg_call *call)
{
	return (call->to);
}

/* When CALL was created, wall clock ms. */
uint64_t
vg_call_started_ms(const struct vg_call *call)
{
	return (call->started_ms);
}

/* Move CALL to ST, publish it, and remove CALL if it ended. */
void
vg_call_set_state(struct vg_call *call, enum vg_call_state st)
{
	struct json_object *p;
	enum vg_call_state prev = call->state;

	if (prev >= VG_CALL_COMPLETED || prev == st ||
	    (unsigned)st >= VG_NELEM(state_names))
		return;
	call->state = st;
	p = json_object_new_object();
	json_object_object_add(p, "state",
	    json_object_new_string(vg_call_state_name(st)));
	json_object_object_add(p, "previous",
	    json_object_new_string(vg_call_state_name(prev)));
	vg_bus_emit("call.state", call->id, p);
	if (st < VG_CALL_COMPLETED)
		return;
	p = json_object_new_object();
	json_object_object_add(p, "state",
	    json_object_new_string(vg_call_state_name(st)));
	json_object_object_add(p, "duration_ms", json_object_new_int64(
	    (int64_t)(vg_now_ms() - call->started_mono_ms)));
	vg_bus_emit("call.ended", call->id, p);
	calls_remove(call);
}

/* The Twilio name of a state. */
const char *
vg_call_state_name(enum vg_call_state st)
{
	if ((unsigned)st >= VG_NELEM(state_names))
		return ("unknown");
	return (state_names[st]);
}

/* The state named NAME, or -1. */
int
vg_call_state_parse(const char *name)
{
	size_t i;

	if (name == NULL)
		return (-1);
	for (i = 0; i < VG_NELEM(state_names); i++)
		if (strcmp(state_names[i], name) == 0)
			return ((int)i);
	return (-1);
}

/* Set (or with NULL remove) attribute KEY of CALL. */
void
vg_call_set_attr(struct vg_call *call, const char *key, const char *value)
{
	struct call_attr **pp, *a;

	if (key == NULL)
		return;
	for (pp = &call->attrs; (a = *pp) != NULL; pp = &a->next)
		if (strcmp(a->key, key) == 0)
			break;
	if (value == NULL) {
		if (a != NULL) {
			*pp = a->next;
			free(a->key);
			free(a->value);
			free(a);
		}
		return;
	}
	if (a != NULL) {
		free(a->value);
		a->value = vg_xstrdup(value);
		return;
	}
	a = vg_xcalloc(1, sizeof(*a));
	a->key = vg_xstrdup(key);
	a->value = vg_xstrdup(value);
	*pp = a;
}

/* Attribute KEY of CALL, or NULL. */
const char *
vg_call_attr(const struct vg_call *call, const char *key)
{
	const struct call_attr *a;

	if (key == NULL)
		return (NULL);
	for (a = call->attrs; a != NULL; a = a->next)
		if (strcmp(a->key, key) == 0)
			return (a->value);
	return (NULL);
}

/* Set MOD's data on CALL; replacing data frees the old through its
 * free function, and NULL data removes the entry. */
void
vg_call_set_data(struct vg_call *call, struct vg_module *mod, void *data,
    vg_call_free_fn free_fn)
{
	struct call_data **pp, *d;

	for (pp = &call->data; (d = *pp) != NULL; pp = &d->next)
		if (d->mod == mod)
			break;
	if (d != NULL) {
		if (d->data == data) {
			d->free_fn = free_fn;
			return;
		}
		*pp = d->next;
		if (d->free_fn != NULL)
			d->free_fn(d->data);
		free(d);
	}
	if (data == NULL)
		return;
	d = vg_xcalloc(1, sizeof(*d));
	d->mod = mod;
	d->data = data;
	d->free_fn = free_fn;
	d->next = call->data;
	call->data = d;
}

/* MOD's data on CALL, or NULL. */
void *
vg_call_data(const struct vg_call *call, const struct vg_module *mod)
{
	const struct call_data *d;

	for (d = call->data; d != NULL; d = d->next)
		if (d->mod == mod)
			return (d->data);
	return (NULL);
}

/* How many calls have not ended. */
unsigned
vg_call_count(void)
{
	return (g_calls.count);
}

/* Call FN for every live call, oldest first; FN may end the call it gets. */
void
vg_call_foreach(vg_call_each_fn fn, void *arg)
{
	struct vg_call *call, *next;

	for (call = g_calls.head; call != NULL; call = next) {
		next = call->next;
		fn(call, arg);
	}
}
