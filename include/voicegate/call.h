/*
 * The call registry. The core owns every call: an id of its own, the
 * carrier's ids, direction, parties, task, state and timestamps. Changes
 * are published on the bus ("call.created", "call.state", "call.ended"), so
 * nothing else invents call state. Core-thread only.
 */
#ifndef VG_CALL_H
#define VG_CALL_H

#include <stdint.h>

struct vg_module;
struct vg_call;

enum vg_call_state {
	VG_CALL_QUEUED = 0,
	VG_CALL_RINGING,
	VG_CALL_IN_PROGRESS,
	VG_CALL_COMPLETED,	/* ended: this and below */
	VG_CALL_FAILED,
	VG_CALL_BUSY,
	VG_CALL_NO_ANSWER,
	VG_CALL_CANCELED,
};

enum vg_call_direction {
	VG_CALL_INBOUND = 0,
	VG_CALL_OUTBOUND,
};

/* Start a call owned by MOD (the carrier module). FROM and TO are copied.
 * Publishes "call.created". Returns the call, or NULL while the daemon is
 * stopping (no new calls). */
struct vg_call	*vg_call_create(struct vg_module *mod,
		    enum vg_call_direction dir, const char *from,
		    const char *to);

/* Find a live call by our id, or by an attribute (e.g. "call_sid"). */
struct vg_call	*vg_call_find(const char *id);
struct vg_call	*vg_call_find_by(const char *attr, const char *value);

const char	*vg_call_id(const struct vg_call *call);
enum vg_call_state vg_call_state(const struct vg_call *call);
enum vg_call_direction vg_call_direction(const struct vg_call *call);
const char	*vg_call_from(const struct vg_call *call);
const char	*vg_call_to(const struct vg_call *call);
uint64_t	 vg_call_started_ms(const struct vg_call *call);	/* wall */

/* Move CALL to STATE: publishes "call.state", and for an ended state
 * "call.ended", after which CALL is removed once every module's data is
 * released. Moving an ended call is ignored. */
void		 vg_call_set_state(struct vg_call *call, enum vg_call_state st);

/* Name of a state ("in-progress"), and the state for a name (-1 if none). */
const char	*vg_call_state_name(enum vg_call_state st);
int		 vg_call_state_parse(const char *name);

/* String attributes (carrier ids, task name...). VALUE copied; NULL
 * removes. Returns NULL when absent. */
void		 vg_call_set_attr(struct vg_call *call, const char *key,
		    const char *value);
const char	*vg_call_attr(const struct vg_call *call, const char *key);

/* A module's private data for CALL; FREE_FN (may be NULL) runs when the call
 * is removed or MOD unloads. */
typedef void	(*vg_call_free_fn)(void *data);
void		 vg_call_set_data(struct vg_call *call, struct vg_module *mod,
		    void *data, vg_call_free_fn free_fn);
void		*vg_call_data(const struct vg_call *call,
		    const struct vg_module *mod);

/* Calls that have not ended. */
unsigned	 vg_call_count(void);
typedef void	(*vg_call_each_fn)(struct vg_call *call, void *arg);
void		 vg_call_foreach(vg_call_each_fn fn, void *arg);

#endif /* VG_CALL_H */
