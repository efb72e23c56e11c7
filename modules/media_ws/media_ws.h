/*
 * media_ws internals shared by its files and its tests: the Media Streams
 * message parser and builders (media_ws_msg.c) and the outbound playback
 * queue with its marks and timeline (media_ws_play.c). Core thread only;
 * nothing here touches the network or the bus directly.
 */
#ifndef VG_MEDIA_WS_H
#define VG_MEDIA_WS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct json_object;

/* Longest streamSid / callSid / accountSid we keep, with the terminator. */
#define MWS_SID_MAX		64
/* Largest caller frame we decode (1 s of mu-law); larger is garbage. */
#define MWS_MAX_AUDIO		8000
/* Outbound chunk limits (ms of 8 kHz mu-law: 8 bytes a ms). */
#define MWS_CHUNK_MS_MIN	10
#define MWS_CHUNK_MS_MAX	200
#define MWS_CHUNK_MAX		(MWS_CHUNK_MS_MAX * 8)
/* Longest mark name the fast parser copies (longer ones go to json-c). */
#define MWS_MARK_FAST_MAX	128
/* Room for one outbound message: base64 of a chunk plus the envelope. */
#define MWS_OUT_MAX		(((MWS_CHUNK_MAX + 2) / 3) * 4 + 256)

/* The Twilio message kinds we understand. */
enum mws_event {
	MWS_EV_CONNECTED = 1,
	MWS_EV_START,
	MWS_EV_MEDIA,
	MWS_EV_MARK,
	MWS_EV_DTMF,
	MWS_EV_STOP,
};

/*
 * One parsed message from Twilio. Strings and objects are borrowed from
 * ROOT, which the parser makes and mws_msg_free() releases.
 */
struct mws_msg {
	enum mws_event		 ev;
	struct json_object	*root;		/* owned */
	const char		*stream_sid;	/* NULL for connected */
	uint64_t		 seq;		/* sequenceNumber, 0 if none */
	/* start */
	const char		*account_sid;
	const char		*call_sid;
	struct json_object	*params;	/* customParameters or NULL */
	/* media */
	uint64_t		 timestamp;	/* ms since the stream began */
	uint64_t		 chunk;
	const char		*payload;	/* base64 */
	size_t			 payload_len;
	/* mark */
	const char		*mark_name;
	/* dtmf */
	char			 digit;
	/* the fast path's copies of streamSid and mark.name (json-c's
	 * otherwise) */
	char			 sid_buf[MWS_SID_MAX];
	char			 mark_buf[MWS_MARK_FAST_MAX];
};

/* Parse LEN bytes of DATA (borrowed) as one Twilio message into M. Returns
 * 0, or -1 with a short reason (a literal) in *WHY. Free M with
 * mws_msg_free() after success only. */
int	 mws_msg_parse(const char *data, size_t len, struct mws_msg *m,
	    const char **why);
/* Release what M holds. */
void	 mws_msg_free(struct mws_msg *m);
/* A customParameters value by NAME (string values only), or NULL. */
const char *mws_msg_param(const struct mws_msg *m, const char *name);

/* Build the messages we send (§4.4: exactly these fields) into BUF of SIZE.
 * SID and NAME must be JSON-safe (checked by the callers). Each returns the
 * length, or -1 if BUF is too small. */
int	 mws_build_media(char *buf, size_t size, const char *sid,
	    const uint8_t *audio, size_t len);
int	 mws_build_mark(char *buf, size_t size, const char *sid,
	    const char *name);
int	 mws_build_clear(char *buf, size_t size, const char *sid);

/* True when S (a streamSid or callSid) is 1..MWS_SID_MAX-1 characters of
 * [A-Za-z0-9_-]: safe to copy and to put in JSON unescaped. */
int	 mws_sid_ok(const char *s);

/* ---- outbound playback (media_ws_play.c) ---- */

/* What a message sent by the play queue is, for metrics. */
enum mws_out_kind {
	MWS_OUT_MEDIA = 1,
	MWS_OUT_MARK,
	MWS_OUT_CLEAR,
};

/* Where the play queue's results go. ARG is the queue's owner. */
struct mws_play_ops {
	/* Send one text message to Twilio (MSG borrowed). */
	void	(*send)(void *arg, enum mws_out_kind kind, const char *msg,
		    size_t len);
	/* The caller has heard the agent timeline up to PLAYED_MS. */
	void	(*played)(void *arg, uint64_t played_ms);
	/* The named mark NAME was reached (PLAYED 1) or flushed (0). */
	void	(*marked)(void *arg, const char *name, int played);
	/* BYTES of held audio were dropped: the hold was full. */
	void	(*dropped)(void *arg, size_t bytes);
};

struct mws_item;
struct mws_pending;

/*
 * One call's agent audio on its way to Twilio. Every audio.out advances
 * the timeline by its duration; audio is cut into chunks of CHUNK bytes
 * (the remainder of a frame goes at once, shorter), a timeline mark
 * "t:<end_ms>:g<gen>" follows every MARK_EVERY bytes sent, and a named mark
 * goes as "n:<id>:<pos_ms>:g<gen>". Before the streamSid is known, audio and
 * marks are held (audio up to MAX_HELD bytes, oldest dropped first).
 */
struct mws_play {
	const struct mws_play_ops *ops;
	void			*arg;
	char			 sid[MWS_SID_MAX];
	unsigned		 started:1;	/* sid known: sending */
	size_t			 chunk;		/* bytes a chunk */
	uint64_t		 mark_every;	/* bytes between marks */
	size_t			 max_held;	/* bytes of audio held */
	uint64_t		 timeline;	/* bytes of audio.out ever */
	uint64_t		 since_mark;	/* bytes sent since a mark */
	uint64_t		 played_ms;	/* reported, monotonic */
	uint32_t		 gen;		/* bumped by every clear */
	uint64_t		 next_id;	/* named mark ids */
	struct mws_item		*held, *held_tail;
	size_t			 held_bytes;
	struct mws_pending	*pending;	/* named marks sent */
};

/* Set P up (no allocation). CHUNK_MS, MARK_EVERY_MS and MAX_HELD_MS are in
 * ms of 8 kHz mu-law. OPS is borrowed and must outlive P. */
void	 mws_play_init(struct mws_play *p, unsigned chunk_ms,
	    unsigned mark_every_ms, unsigned max_held_ms,
	    const struct mws_play_ops *ops, void *arg);
/* The streamSid is known (SID borrowed, checked by the caller): send what
 * was held, in order. */
void	 mws_play_start(struct mws_play *p, const char *sid);
/* The stream is gone: answer pending named marks as flushed and hold again
 * (bounded) from now on. */
void	 mws_play_stop(struct mws_play *p);
/* Queue LEN bytes of agent audio (borrowed). */
void	 mws_play_audio(struct mws_play *p, const uint8_t *data, size_t len);
/* Queue the named mark NAME (copied) after the audio queued so far. */
void	 mws_play_mark(struct mws_play *p, const char *name);
/* Drop everything queued: send clear, start a new generation. */
void	 mws_play_clear(struct mws_play *p);
/* Twilio echoed mark NAME. Returns 0, or -1 when NAME is not one of ours. */
int	 mws_play_echo(struct mws_play *p, const char *name);
/* Free what P holds, answering pending named marks as flushed. */
void	 mws_play_free(struct mws_play *p);

#endif /* VG_MEDIA_WS_H */
