/*
 * The event bus. Events are immutable and reference-counted: a type
 * ("call.started", "audio.in"), the call they belong to (or none), a
 * sequence number, a monotonic timestamp and a payload: a JSON object for
 * control events, a typed audio frame for audio (the hot path builds no
 * JSON). Publishing queues the event; the core thread delivers queued events
 * in publish order to every matching subscriber, never re-entrantly.
 *
 * Everything here is core-thread only, except vg_event_ref/unref and the
 * accessors, which may be used from any thread that holds a reference.
 */
#ifndef VG_BUS_H
#define VG_BUS_H

#include <stddef.h>
#include <stdint.h>

struct json_object;
struct vg_module;
struct vg_event;
struct vg_sub;

/* Longest call id, with its terminator. */
#define VG_CALL_ID_MAX	40
/* Longest event type, with its terminator. */
#define VG_EVENT_TYPE_MAX 48

/* Audio codecs carried by audio events. */
enum vg_codec {
	VG_CODEC_PCMU = 1,	/* G.711 mu-law, 8 bits a sample */
	VG_CODEC_PCMA,		/* G.711 A-law */
	VG_CODEC_L16,		/* signed 16-bit little-endian PCM */
};

/* One audio frame; the bytes follow the header. */
struct vg_audio_frame {
	enum vg_codec	 codec;
	uint32_t	 rate;		/* samples a second: 8000 */
	uint64_t	 media_ts_ms;	/* the carrier's media timestamp */
	size_t		 len;		/* bytes in data */
	uint8_t		 data[];
};

/* A subscriber's callback. EV is borrowed: take a reference to keep it. */
typedef void	(*vg_bus_fn)(const struct vg_event *ev, void *arg);

/* Serialise a registered event type's payload for sinks (UI, database).
 * Returns new. */
typedef struct json_object *(*vg_event_json_fn)(const struct vg_event *ev);

/* Make a control event. TYPE is copied; CALL_ID may be NULL; PAYLOAD is
 * taken (NULL makes an empty object). Returns new (one reference), or NULL
 * if TYPE or CALL_ID is too long. */
struct vg_event	*vg_event_new(const char *type, const char *call_id,
		    struct json_object *payload);

/* Make an audio event carrying LEN bytes copied from DATA. Returns new, or
 * NULL on a bad argument. */
struct vg_event	*vg_event_new_audio(const char *type, const char *call_id,
		    enum vg_codec codec, uint32_t rate, uint64_t media_ts_ms,
		    const void *data, size_t len);

/* Take / drop a reference. Any thread. unref of NULL is fine. */
struct vg_event	*vg_event_ref(const struct vg_event *ev);
void		 vg_event_unref(const struct vg_event *ev);

/* Accessors. Borrowed from EV. */
const char	*vg_event_type(const struct vg_event *ev);
const char	*vg_event_call_id(const struct vg_event *ev);	/* "" if none */
uint64_t	 vg_event_seq(const struct vg_event *ev);	/* 0 until published */
uint64_t	 vg_event_time_ns(const struct vg_event *ev);	/* monotonic */
uint64_t	 vg_event_wall_ms(const struct vg_event *ev);	/* epoch ms */
/* JSON payload, or NULL for an audio event. Treat as read-only. */
struct json_object *vg_event_json(const struct vg_event *ev);
/* Audio frame, or NULL for a control event. */
const struct vg_audio_frame *vg_event_audio(const struct vg_event *ev);

/* The event as one JSON object {"type","call_id","seq","time", ...payload},
 * using the type's registered serialiser when there is one. Returns new. */
struct json_object *vg_event_to_json(const struct vg_event *ev);

/* Queue EV for delivery, in publish order, on the core thread. Takes the
 * caller's reference to EV, even on failure. Returns 0, or -1 if the bus is
 * stopping. */
int		 vg_bus_publish(struct vg_event *ev);

/* Convenience: make and publish a control event. Takes PAYLOAD. */
int		 vg_bus_emit(const char *type, const char *call_id,
		    struct json_object *payload);

/*
 * Subscribe MOD to events whose type equals PATTERN, or starts with the
 * prefix before a final '*' ("call.*", or "*" for everything), optionally
 * only those of CALL_ID (NULL for all calls). CB runs on the core thread with
 * ARG. Borrows the strings. Returns the subscription (owned by the core,
 * released by unsubscribe or MOD's unload), or NULL on a bad pattern.
 */
struct vg_sub	*vg_bus_subscribe(struct vg_module *mod, const char *pattern,
		    const char *call_id, vg_bus_fn cb, void *arg);

/* End SUB. Safe inside any callback, SUB's own included: once this returns
 * no further callback comes through SUB. */
void		 vg_bus_unsubscribe(struct vg_sub *sub);

/* Register event TYPE for MOD with its description and serialiser (NULL:
 * the JSON payload is used as is). Registration documents the public event
 * catalogue; publishing does not require it. The registration lasts until
 * MOD unloads. Returns 0, or -1 if another module registered TYPE. */
int		 vg_bus_register_type(struct vg_module *mod, const char *type,
		    const char *description, vg_event_json_fn to_json);

#endif /* VG_BUS_H */
