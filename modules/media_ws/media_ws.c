/*
 * media_ws: the Twilio Media Streams WebSocket (/twilio/media-stream). It
 * checks the upgrade's X-Twilio-Signature over the wss:// stream URL, binds
 * each stream to its call on `start` (our call-id parameter, else the
 * CallSid, and the per-call token twilio_http placed in the TwiML),
 * publishes caller audio as audio.in, DTMF as call.dtmf, and plays the
 * call's audio.out / audio.mark / audio.clear back to Twilio with marks
 * that report how much of the agent's audio the caller heard
 * (audio.played). Agent audio published before the stream starts is held
 * per call. Core thread only. Configuration: media_ws.conf, [media_ws].
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <voicegate/voicegate.h>

#include "media_ws.h"
#include "twilio_sig.h"
#include "twilio_text.h"

#define MWS_PATH		"/twilio/media-stream"
#define MWS_TOKEN_MAX		128	/* longest media_token we compare */
#define MWS_WHY_MAX		512

/*
 * One call that may get (or has) a Media Stream: from call.created (or the
 * stream's start) until call.ended. Holds the call's agent audio even
 * before the stream exists. Owned by g.calls.
 */
struct mws_call {
	struct mws_call		*next;
	char			 call_id[VG_CALL_ID_MAX];
	struct vg_sub		*sub;		/* audio.* of this call */
	struct mws_stream	*stream;	/* bound stream, or NULL */
	struct mws_play		 play;
	struct vg_timer		*wait_timer;	/* answered, no stream yet */
	unsigned		 quiet:1;	/* call ended: publish nothing */
};

/* One live Media Streams socket. Owned by g.streams; freed in on_close
 * (or unload). */
struct mws_stream {
	struct mws_stream	*next;
	struct vg_ws_conn	*conn;		/* borrowed from the core */
	struct mws_call		*mc;		/* bound call, or NULL */
	struct vg_timer		*start_timer;	/* until start, or NULL */
	char			 stream_sid[MWS_SID_MAX];
	char			 call_id[VG_CALL_ID_MAX];	/* for logs */
	unsigned		 garbage;
	unsigned		 garbage_told:1;	/* logged once */
	unsigned		 started:1;
	unsigned		 ended:1;	/* media.stopped done */
};

static struct {
	struct vg_module	*self;
	/* configuration */
	char			*auth_token;
	int			 validate;
	unsigned		 start_timeout_s;
	unsigned		 stream_wait_s;	/* 0: wait forever */
	unsigned		 max_garbage;
	unsigned		 chunk_ms;
	unsigned		 mark_every_ms;
	unsigned		 max_held_ms;
	/* state */
	struct mws_call		*calls;
	struct mws_stream	*streams;
	struct vg_sub		*sub_created;
	struct vg_sub		*sub_state;
	struct vg_sub		*sub_ended;
	/* metrics */
	struct vg_metric	*m_streams;
	struct vg_metric	*m_frames_in;
	struct vg_metric	*m_frames_out;
	struct vg_metric	*m_garbage;
	struct vg_metric	*m_held_dropped;
	struct vg_metric	*m_marks;
	struct vg_metric	*m_rejected;
} g;

static void	mws_stream_end(struct mws_stream *st, const char *reason,
		    int code, const char *close_reason);

/* ---- calls ---- */

/* The call state for CALL_ID, or NULL. */
static struct mws_call *
mws_call_find(const char *call_id)
{
	struct mws_call *mc;

	for (mc = g.calls; mc != NULL; mc = mc->next) {
		if (strcmp(mc->call_id, call_id) == 0)
			return (mc);
	}
	return (NULL);
}

/* play ops: send a message to the bound stream, if any. */
static void
mws_play_send(void *arg, enum mws_out_kind kind, const char *msg, size_t len)
{
	struct mws_call *mc = arg;

	if (mc->stream == NULL || mc->stream->ended)
		return;
	if (vg_ws_send(mc->stream->conn, msg, len, 0) == -1)
		return;
	if (kind == MWS_OUT_MEDIA)
		vg_metric_inc(g.m_frames_out, 1);
	else if (kind == MWS_OUT_MARK)
		vg_metric_inc(g.m_marks, 1);
}

/* play ops: publish audio.played. */
static void
mws_play_played(void *arg, uint64_t played_ms)
{
	struct mws_call *mc = arg;
	struct json_object *o;

	if (mc->quiet)
		return;
	o = json_object_new_object();
	json_object_object_add(o, "played_ms",
	    json_object_new_int64((int64_t)played_ms));
	vg_bus_emit("audio.played", mc->call_id, o);
}

/* play ops: publish audio.marked. */
static void
mws_play_marked(void *arg, const char *name, int played)
{
	struct mws_call *mc = arg;
	struct json_object *o;

	if (mc->quiet)
		return;
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "played", json_object_new_boolean(played));
	vg_bus_emit("audio.marked", mc->call_id, o);
}

/* play ops: count held audio dropped because the hold was full. */
static void
mws_play_dropped(void *arg, size_t bytes)
{
	struct mws_call *mc = arg;

	vg_metric_inc(g.m_held_dropped, (int64_t)bytes);
	vg_log_call(VG_LOG_DEBUG, mc->call_id, "held audio full: dropped "
	    "%zu bytes", bytes);
}

static const struct mws_play_ops mws_ops = {
	.send = mws_play_send,
	.played = mws_play_played,
	.marked = mws_play_marked,
	.dropped = mws_play_dropped,
};

/* Agent audio for one call: audio.out, audio.mark, audio.clear. */
static void
mws_on_call_audio(const struct vg_event *ev, void *arg)
{
	struct mws_call *mc = arg;
	const struct vg_audio_frame *f;
	struct json_object *p, *v;
	const char *type = vg_event_type(ev);

	if (strcmp(type, "audio.out") == 0) {
		if ((f = vg_event_audio(ev)) == NULL || f->codec !=
		    VG_CODEC_PCMU || f->rate != 8000)
			return;	/* only what Twilio plays */
		mws_play_audio(&mc->play, f->data, f->len);
	} else if (strcmp(type, "audio.clear") == 0)
		mws_play_clear(&mc->play);
	else if (strcmp(type, "audio.mark") == 0) {
		if ((p = vg_event_json(ev)) == NULL ||
		    !json_object_object_get_ex(p, "name", &v) ||
		    !json_object_is_type(v, json_type_string))
			return;
		mws_play_mark(&mc->play, json_object_get_string(v));
	}
}

/* Start keeping CALL_ID's agent audio. Returns the state (existing or
 * new), or NULL if the bus refused the subscription. */
static struct mws_call *
mws_call_add(const char *call_id)
{
	struct mws_call *mc;

	if ((mc = mws_call_find(call_id)) != NULL)
		return (mc);
	mc = vg_xcalloc(1, sizeof(*mc));
	vg_strlcpy(mc->call_id, call_id, sizeof(mc->call_id));
	mws_play_init(&mc->play, g.chunk_ms, g.mark_every_ms, g.max_held_ms,
	    &mws_ops, mc);
	if ((mc->sub = vg_bus_subscribe(g.self, "audio.*", call_id,
	    mws_on_call_audio, mc)) == NULL) {
		free(mc);
		return (NULL);
	}
	mc->next = g.calls;
	g.calls = mc;
	return (mc);
}

/* Forget MC (its stream must be unbound first). */
static void
mws_call_free(struct mws_call *mc)
{
	struct mws_call **mp;

	for (mp = &g.calls; *mp != NULL; mp = &(*mp)->next) {
		if (*mp == mc) {
			*mp = mc->next;
			break;
		}
	}
	if (mc->wait_timer != NULL)
		vg_timer_cancel(mc->wait_timer);
	vg_bus_unsubscribe(mc->sub);
	mws_play_free(&mc->play);
	free(mc);
}

/* ---- bus ---- */

/* call.created: keep the agent audio of calls that expect a stream. */
static void
mws_on_call_created(const struct vg_event *ev, void *arg)
{
	struct vg_call *call = vg_call_find(vg_event_call_id(ev));

	if (call != NULL && vg_call_attr(call, "media_token") != NULL)
		mws_call_add(vg_event_call_id(ev));
}

/* An answered call's stream never started: without it nobody hears the
 * caller, so ask the carrier to hang up (Twilio would keep the line open,
 * and the call would never end here). */
static void
mws_stream_wait_over(struct vg_timer *t, void *arg)
{
	struct mws_call *mc = arg;
	struct json_object *o;

	mc->wait_timer = NULL;
	if (mc->stream != NULL)
		return;
	vg_log_call(VG_LOG_WARN, mc->call_id, "answered %u s ago but no media "
	    "stream started: hanging up (is public_url reachable by Twilio "
	    "as wss://?)", g.stream_wait_s);
	o = json_object_new_object();
	json_object_object_add(o, "reason",
	    json_object_new_string("no media stream"));
	vg_bus_emit("call.hangup", mc->call_id, o);
}

/* call.state: once a call that expects a stream is answered, its stream
 * must start within stream_wait. */
static void
mws_on_call_state(const struct vg_event *ev, void *arg)
{
	struct mws_call *mc = mws_call_find(vg_event_call_id(ev));
	struct json_object *p = vg_event_json(ev), *v;

	if (mc == NULL || mc->stream != NULL || mc->wait_timer != NULL ||
	    g.stream_wait_s == 0 || p == NULL ||
	    !json_object_object_get_ex(p, "state", &v) ||
	    strcmp(json_object_get_string(v), "in-progress") != 0)
		return;
	mc->wait_timer = vg_timer_add(g.self, (uint64_t)g.stream_wait_s *
	    1000, 0, mws_stream_wait_over, mc);
}

/* call.ended: close the call's stream and forget the call, quietly:
 * call.ended is the call's last event. */
static void
mws_on_call_ended(const struct vg_event *ev, void *arg)
{
	struct mws_call *mc = mws_call_find(vg_event_call_id(ev));

	if (mc == NULL)
		return;
	mc->quiet = 1;
	if (mc->stream != NULL)
		mws_stream_end(mc->stream, NULL, VG_WS_CLOSE_NORMAL,
		    "call ended");
	mws_call_free(mc);
}

/* ---- streams ---- */

/* The call named in LOG lines for ST. */
static const char *
mws_stream_call(const struct mws_stream *st)
{
	return (st->call_id[0] != '\0' ? st->call_id : NULL);
}

/*
 * End ST once: publish media.stopped with REASON (NULL: publish nothing,
 * the call has ended) when it was bound, end the call unless it already
 * ended, unbind, and close the socket with CODE (0: it is already closed).
 */
static void
mws_stream_end(struct mws_stream *st, const char *reason, int code,
    const char *close_reason)
{
	struct json_object *o;
	struct vg_call *call;

	if (st->ended)
		return;
	st->ended = 1;
	if (st->start_timer != NULL) {
		vg_timer_cancel(st->start_timer);
		st->start_timer = NULL;
	}
	if (st->mc != NULL) {
		if (reason != NULL) {
			o = json_object_new_object();
			json_object_object_add(o, "reason",
			    json_object_new_string(reason));
			vg_bus_emit("media.stopped", st->call_id, o);
		}
		mws_play_stop(&st->mc->play);
		st->mc->stream = NULL;
		st->mc = NULL;
		vg_log_call(VG_LOG_NOTICE, st->call_id, "media stream %s "
		    "ended (%s), %u bad messages", st->stream_sid,
		    reason != NULL ? reason : "call ended", st->garbage);
		if ((call = vg_call_find(st->call_id)) != NULL &&
		    vg_call_state(call) < VG_CALL_COMPLETED)
			vg_call_set_state(call, VG_CALL_COMPLETED);
	}
	if (code != 0)
		vg_ws_close(st->conn, code, close_reason);
}

/* Refuse ST (policy): log WHY, count, close 1008 with SHORT. */
static void
mws_stream_refuse(struct mws_stream *st, const char *short_reason,
    const char *why)
{
	vg_log_call(VG_LOG_WARN, mws_stream_call(st), "media stream from %s "
	    "refused: %s", vg_ws_peer(st->conn), why);
	vg_metric_inc(g.m_rejected, 1);
	mws_stream_end(st, "error", VG_WS_CLOSE_POLICY, short_reason);
}

/* Count one bad message on ST; log the first; close after too many. */
static void
mws_stream_garbage(struct mws_stream *st, const char *why)
{
	st->garbage++;
	vg_metric_inc(g.m_garbage, 1);
	if (!st->garbage_told) {
		st->garbage_told = 1;
		vg_log_call(VG_LOG_WARN, mws_stream_call(st), "media stream "
		    "from %s: bad message (%s); further ones are only "
		    "counted", vg_ws_peer(st->conn), why);
	}
	if (st->garbage > g.max_garbage) {
		vg_log_call(VG_LOG_WARN, mws_stream_call(st), "media stream "
		    "from %s: %u bad messages, closing", vg_ws_peer(st->conn),
		    st->garbage);
		mws_stream_end(st, "error", VG_WS_CLOSE_POLICY,
		    "too many bad messages");
	}
}

/* No start in time: close. */
static void
mws_start_timeout(struct vg_timer *t, void *arg)
{
	struct mws_stream *st = arg;

	st->start_timer = NULL;	/* one-shot: gone once fired */
	vg_log(VG_LOG_WARN, "media stream from %s sent no start within %u s, "
	    "closing", vg_ws_peer(st->conn), g.start_timeout_s);
	vg_metric_inc(g.m_rejected, 1);
	mws_stream_end(st, "timeout", VG_WS_CLOSE_POLICY, "no start");
}

/* The call a start message names: our call_id parameter, else the
 * CallSid. */
static struct vg_call *
mws_start_call(const struct mws_msg *m)
{
	const char *id = mws_msg_param(m, "call_id");

	if (id != NULL)
		return (vg_call_find(id));
	return (vg_call_find_by("call_sid", m->call_sid));
}

/* True when the start's token parameter matches CALL's media_token. */
static int
mws_token_ok(const struct mws_msg *m, struct vg_call *call)
{
	const char *want = vg_call_attr(call, "media_token");
	const char *got = mws_msg_param(m, "token");
	size_t len;

	if (want == NULL || got == NULL || (len = strlen(want)) == 0 ||
	    len > MWS_TOKEN_MAX || strlen(got) != len)
		return (0);
	return (vg_memcmp_const(want, got, len) == 0);
}

/* media.started's parameters: customParameters minus secrets. Returns
 * new. */
static struct json_object *
mws_public_params(const struct mws_msg *m)
{
	struct json_object *o = json_object_new_object();

	if (m->params == NULL)
		return (o);
	json_object_object_foreach(m->params, key, val) {
		if (strcmp(key, "token") == 0)
			continue;
		json_object_object_add(o, key, json_object_get(val));
	}
	return (o);
}

/* start: authenticate and bind ST to its call, then flush held audio. */
static void
mws_on_start(struct mws_stream *st, const struct mws_msg *m)
{
	struct json_object *o;
	struct vg_call *call;
	struct mws_call *mc;
	const char *sid;

	if (st->started) {
		mws_stream_garbage(st, "second start");
		return;
	}
	if ((call = mws_start_call(m)) == NULL) {
		mws_stream_refuse(st, "unknown call", "start names no live call "
		    "(call_id parameter / CallSid)");
		return;
	}
	vg_strlcpy(st->call_id, vg_call_id(call), sizeof(st->call_id));
	if (!mws_token_ok(m, call)) {
		mws_stream_refuse(st, "bad token", "the token parameter does "
		    "not match the call's media token");
		return;
	}
	sid = vg_call_attr(call, "call_sid");
	if (sid != NULL && strcmp(sid, m->call_sid) != 0) {
		mws_stream_refuse(st, "wrong call", "start.callSid differs "
		    "from the call's CallSid");
		return;
	}
	if ((mc = mws_call_add(st->call_id)) == NULL) {
		mws_stream_end(st, "error", VG_WS_CLOSE_ERROR, "internal");
		return;
	}
	if (mc->stream != NULL) {
		mws_stream_refuse(st, "duplicate stream", "the call already "
		    "has a media stream");
		return;
	}
	if (st->start_timer != NULL) {
		vg_timer_cancel(st->start_timer);
		st->start_timer = NULL;
	}
	st->started = 1;
	st->mc = mc;
	mc->stream = st;
	if (mc->wait_timer != NULL) {
		vg_timer_cancel(mc->wait_timer);
		mc->wait_timer = NULL;
	}
	vg_strlcpy(st->stream_sid, m->stream_sid, sizeof(st->stream_sid));
	vg_call_set_attr(call, "stream_sid", st->stream_sid);
	if (vg_call_state(call) != VG_CALL_IN_PROGRESS)
		vg_call_set_state(call, VG_CALL_IN_PROGRESS);
	o = json_object_new_object();
	json_object_object_add(o, "stream_sid",
	    json_object_new_string(st->stream_sid));
	json_object_object_add(o, "call_sid",
	    json_object_new_string(m->call_sid));
	json_object_object_add(o, "parameters", mws_public_params(m));
	vg_bus_emit("media.started", st->call_id, o);
	vg_log_call(VG_LOG_NOTICE, st->call_id, "media stream %s started",
	    st->stream_sid);
	mws_play_start(&mc->play, st->stream_sid);
}

/* media: decode and publish the caller's audio. */
static void
mws_on_media(struct mws_stream *st, const struct mws_msg *m)
{
	uint8_t audio[MWS_MAX_AUDIO];
	struct vg_event *ev;
	ssize_t n;

	if ((n = vg_b64_decode(m->payload, m->payload_len, audio,
	    sizeof(audio))) <= 0) {
		mws_stream_garbage(st, n == 0 ? "empty payload" :
		    "bad or oversized base64 payload");
		return;
	}
	ev = vg_event_new_audio("audio.in", st->call_id, VG_CODEC_PCMU, 8000,
	    m->timestamp, audio, (size_t)n);
	if (ev != NULL && vg_bus_publish(ev) == 0)
		vg_metric_inc(g.m_frames_in, 1);
}

/* dtmf: publish the digit. */
static void
mws_on_dtmf(struct mws_stream *st, const struct mws_msg *m)
{
	struct json_object *o = json_object_new_object();
	char digit[2] = { m->digit, '\0' };

	json_object_object_add(o, "digit", json_object_new_string(digit));
	vg_bus_emit("call.dtmf", st->call_id, o);
}

/* ---- WebSocket ---- */

/* Check the upgrade's signature over the wss:// stream URL. Returns 0 or
 * -1 with the reason in WHY. */
static int
mws_check_signature(struct vg_ws_conn *conn, char *why, size_t why_size)
{
	char *url;
	int rc;

	if ((url = twilio_ws_url(vg_public_url(), MWS_PATH)) == NULL) {
		snprintf(why, why_size, "public_url %s is not http(s)",
		    vg_public_url());
		return (-1);
	}
	rc = twilio_sig_validate(g.auth_token, url, NULL, 0,
	    vg_ws_header(conn, "X-Twilio-Signature"), why, why_size);
	free(url);
	return (rc);
}

/* A socket opened: check the signature, wait for start. */
static int
mws_ws_open(struct vg_ws_conn *conn, void *arg)
{
	char why[MWS_WHY_MAX];
	struct mws_stream *st;

	if (g.validate && mws_check_signature(conn, why, sizeof(why)) == -1) {
		vg_log(VG_LOG_WARN, "media stream from %s refused: bad "
		    "X-Twilio-Signature: %s", vg_ws_peer(conn), why);
		vg_metric_inc(g.m_rejected, 1);
		vg_ws_close(conn, VG_WS_CLOSE_POLICY, "bad signature");
		return (0);
	}
	st = vg_xcalloc(1, sizeof(*st));
	st->conn = conn;
	st->start_timer = vg_timer_add(g.self,
	    (uint64_t)g.start_timeout_s * 1000, 0, mws_start_timeout, st);
	st->next = g.streams;
	g.streams = st;
	vg_ws_set_data(conn, st);
	vg_metric_inc(g.m_streams, 1);
	return (0);
}

/* One message from Twilio. */
static void
mws_ws_message(struct vg_ws_conn *conn, const void *data, size_t len,
    int binary, void *arg)
{
	struct mws_stream *st = vg_ws_data(conn);
	const char *why = NULL;
	struct mws_msg m;

	if (st == NULL || st->ended)
		return;
	if (binary) {
		mws_stream_garbage(st, "binary frame");
		return;
	}
	if (mws_msg_parse(data, len, &m, &why) == -1) {
		mws_stream_garbage(st, why);
		return;
	}
	if (m.ev == MWS_EV_CONNECTED || m.ev == MWS_EV_START) {
		if (m.ev == MWS_EV_START)
			mws_on_start(st, &m);
		goto done;
	}
	if (!st->started) {
		mws_stream_garbage(st, "message before start");
		goto done;
	}
	if (strcmp(m.stream_sid, st->stream_sid) != 0) {
		mws_stream_garbage(st, "wrong streamSid");
		goto done;
	}
	switch (m.ev) {
	case MWS_EV_MEDIA:
		mws_on_media(st, &m);
		break;
	case MWS_EV_MARK:
		if (mws_play_echo(&st->mc->play, m.mark_name) == -1)
			vg_log_call(VG_LOG_DEBUG, st->call_id, "mark echo "
			    "not ours: %s", m.mark_name);
		break;
	case MWS_EV_DTMF:
		mws_on_dtmf(st, &m);
		break;
	case MWS_EV_STOP:
		mws_stream_end(st, "stop", VG_WS_CLOSE_NORMAL, "stopped");
		break;
	default:
		break;
	}
done:
	mws_msg_free(&m);
}

/* Forget ST (ended first). */
static void
mws_stream_free(struct mws_stream *st)
{
	struct mws_stream **sp;

	for (sp = &g.streams; *sp != NULL; sp = &(*sp)->next) {
		if (*sp == st) {
			*sp = st->next;
			break;
		}
	}
	vg_metric_inc(g.m_streams, -1);
	free(st);
}

/* The socket is gone: end the stream if that was not done yet. */
static void
mws_ws_close(struct vg_ws_conn *conn, int code, const char *reason,
    void *arg)
{
	struct mws_stream *st = vg_ws_data(conn);

	if (st == NULL)
		return;
	mws_stream_end(st, "closed", 0, NULL);
	mws_stream_free(st);
}

static const struct vg_ws_handlers mws_ws_handlers = {
	.on_open = mws_ws_open,
	.on_message = mws_ws_message,
	.on_close = mws_ws_close,
};

/* ---- control ---- */

/* "media_ws show": streams and settings. */
static int
mws_cli_show(struct vg_cli *cli, int argc, char **argv)
{
	struct mws_stream *st;
	struct json_object *o, *a;

	if (vg_cli_wants_json(cli)) {
		o = json_object_new_object();
		a = json_object_new_array();
		for (st = g.streams; st != NULL; st = st->next) {
			struct json_object *s = json_object_new_object();

			json_object_object_add(s, "call_id",
			    json_object_new_string(st->call_id));
			json_object_object_add(s, "stream_sid",
			    json_object_new_string(st->stream_sid));
			json_object_object_add(s, "garbage",
			    json_object_new_int64(st->garbage));
			json_object_array_add(a, s);
		}
		json_object_object_add(o, "streams", a);
		json_object_object_add(o, "validate_signatures",
		    json_object_new_boolean(g.validate));
		vg_cli_set_json(cli, o);
	}
	vg_cli_printf(cli, "signatures: %s\n", g.validate ? "checked" :
	    "NOT CHECKED");
	for (st = g.streams; st != NULL; st = st->next)
		vg_cli_printf(cli, "%-22s %-36s %s, %u bad\n",
		    st->call_id[0] != '\0' ? st->call_id : "-",
		    st->stream_sid[0] != '\0' ? st->stream_sid : "-",
		    st->started ? "streaming" : "waiting for start",
		    st->garbage);
	return (VG_CLI_OK);
}

static const struct vg_cli_cmd mws_cli[] = {
	{ "media_ws show", "media_ws show", "Twilio media streams",
	    mws_cli_show },
};

/* ---- configuration and lifecycle ---- */

/* Read media_ws.conf (every key optional). Returns 0, or -1 to decline. */
static int
mws_config_load(void)
{
	struct vg_conf *conf = vg_module_conf(g.self);
	long long v;
	const char *s;
	int validate = 1;

	g.start_timeout_s = 5;
	g.stream_wait_s = 15;
	g.max_garbage = 20;
	g.chunk_ms = 20;
	g.mark_every_ms = 100;
	g.max_held_ms = 2000;
	free(g.auth_token);
	g.auth_token = NULL;
	if (conf == NULL)
		s = getenv("TWILIO_AUTH_TOKEN");
	else
		s = vg_conf_get(conf, "media_ws", "auth_token");
	if (s != NULL && s[0] != '\0')
		g.auth_token = vg_xstrdup(s);
	if (conf != NULL) {
		if (vg_conf_get_bool(conf, "media_ws", "validate_signatures",
		    &validate) == -1)
			return (-1);
#define MWS_INT(key, min, max, field) do {				\
		v = (long long)(field);					\
		if (vg_conf_get_int(conf, "media_ws", (key), (min), (max), \
		    &v) == -1)						\
			return (-1);					\
		(field) = (unsigned)v;					\
	} while (0)
		MWS_INT("start_timeout", 1, 300, g.start_timeout_s);
		MWS_INT("stream_wait", 0, 600, g.stream_wait_s);
		MWS_INT("max_garbage", 0, 1000000, g.max_garbage);
		MWS_INT("chunk_ms", MWS_CHUNK_MS_MIN, MWS_CHUNK_MS_MAX,
		    g.chunk_ms);
		MWS_INT("mark_every_ms", 20, 10000, g.mark_every_ms);
		MWS_INT("max_held_ms", 0, 60000, g.max_held_ms);
#undef MWS_INT
	}
	g.validate = validate;
	if (g.auth_token == NULL && g.validate) {
		vg_log(VG_LOG_ERROR, "media_ws: no auth_token (TWILIO_AUTH_TOKEN)"
		    " to check stream signatures with; set it, or "
		    "validate_signatures = no for local tests only");
		return (-1);
	}
	if (!g.validate)
		vg_log(VG_LOG_WARN, "media_ws: validate_signatures = no: ANYONE "
		    "can open a media stream (the per-call token still "
		    "applies). Never run like this in production");
	return (0);
}

/* The events this module publishes (doc/events.md). */
static const struct {
	const char	*type;
	const char	*description;
} mws_types[] = {
	{ "media.started", "a call's Twilio Media Stream started" },
	{ "media.stopped", "a call's Twilio Media Stream ended" },
	{ "audio.in", "caller audio, PCMU 8000 Hz, Twilio's timestamp" },
	{ "audio.played", "agent audio timeline heard by the caller" },
	{ "audio.marked", "answer to audio.mark: played or flushed" },
	{ "call.dtmf", "a key pressed by the caller" },
};

/* Register the event types we publish; one taken elsewhere is only
 * logged. */
static void
mws_register_types(void)
{
	size_t i;

	for (i = 0; i < VG_NELEM(mws_types); i++) {
		if (vg_bus_register_type(g.self, mws_types[i].type,
		    mws_types[i].description, NULL) == -1)
			vg_log(VG_LOG_WARN, "event type %s is registered by "
			    "another module", mws_types[i].type);
	}
}

/* Start keeping agent audio for a call that already exists. */
static void
mws_adopt_call(struct vg_call *call, void *arg)
{
	if (vg_call_attr(call, "media_token") != NULL)
		mws_call_add(vg_call_id(call));
}

/* Release metrics (NULL ones are ignored). */
static void
mws_metrics_remove(void)
{
	vg_metric_remove(g.m_rejected);
	vg_metric_remove(g.m_marks);
	vg_metric_remove(g.m_held_dropped);
	vg_metric_remove(g.m_garbage);
	vg_metric_remove(g.m_frames_out);
	vg_metric_remove(g.m_frames_in);
	vg_metric_remove(g.m_streams);
}

static int
media_ws_load(struct vg_module *self)
{
	g.self = self;
	if (mws_config_load() == -1)
		goto fail_conf;
	g.m_streams = vg_metric_add(self, "media_ws_streams", VG_METRIC_GAUGE,
	    "open Media Streams sockets");
	g.m_frames_in = vg_metric_add(self, "media_ws_frames_in_total",
	    VG_METRIC_COUNTER, "caller audio frames received");
	g.m_frames_out = vg_metric_add(self, "media_ws_frames_out_total",
	    VG_METRIC_COUNTER, "agent audio messages sent");
	g.m_garbage = vg_metric_add(self, "media_ws_garbage_total",
	    VG_METRIC_COUNTER, "bad messages from Twilio");
	g.m_held_dropped = vg_metric_add(self,
	    "media_ws_held_dropped_bytes_total", VG_METRIC_COUNTER,
	    "agent audio bytes dropped while waiting for start");
	g.m_marks = vg_metric_add(self, "media_ws_marks_total",
	    VG_METRIC_COUNTER, "marks sent to Twilio");
	g.m_rejected = vg_metric_add(self, "media_ws_rejected_total",
	    VG_METRIC_COUNTER, "streams refused (signature, token, timeout)");
	if (vg_http_keep_header(self, "X-Twilio-Signature") == -1)
		goto fail;
	if ((g.sub_created = vg_bus_subscribe(self, "call.created", NULL,
	    mws_on_call_created, NULL)) == NULL)
		goto fail;
	if ((g.sub_state = vg_bus_subscribe(self, "call.state", NULL,
	    mws_on_call_state, NULL)) == NULL)
		goto fail_created;
	if ((g.sub_ended = vg_bus_subscribe(self, "call.ended", NULL,
	    mws_on_call_ended, NULL)) == NULL)
		goto fail_state;
	if (vg_ws_endpoint(self, MWS_PATH, &mws_ws_handlers, NULL) == -1)
		goto fail_ended;
	if (vg_cli_add(self, mws_cli, VG_NELEM(mws_cli)) == -1)
		goto fail_ws;
	mws_register_types();
	vg_call_foreach(mws_adopt_call, NULL);
	return (VG_LOAD_OK);

fail_ws:
	vg_ws_unendpoint(self, MWS_PATH);
fail_ended:
	vg_bus_unsubscribe(g.sub_ended);
fail_state:
	vg_bus_unsubscribe(g.sub_state);
fail_created:
	vg_bus_unsubscribe(g.sub_created);
fail:
	mws_metrics_remove();
	free(g.auth_token);
	memset(&g, 0, sizeof(g));
	return (VG_LOAD_FAILURE);
fail_conf:
	free(g.auth_token);
	memset(&g, 0, sizeof(g));
	return (VG_LOAD_DECLINE);
}

/* Re-read media_ws.conf; new streams and calls use the new values. */
static int
media_ws_reload(struct vg_module *self)
{
	return (mws_config_load());
}

static void
media_ws_unload(struct vg_module *self)
{
	struct mws_stream *st;

	vg_cli_remove(self, mws_cli, VG_NELEM(mws_cli));
	while ((st = g.streams) != NULL) {
		mws_stream_end(st, "closed", VG_WS_CLOSE_GOING_AWAY,
		    "unloading");
		vg_ws_set_data(st->conn, NULL);
		mws_stream_free(st);
	}
	vg_ws_unendpoint(self, MWS_PATH);
	while (g.calls != NULL)
		mws_call_free(g.calls);
	vg_bus_unsubscribe(g.sub_ended);
	vg_bus_unsubscribe(g.sub_state);
	vg_bus_unsubscribe(g.sub_created);
	mws_metrics_remove();
	free(g.auth_token);
	memset(&g, 0, sizeof(g));
}

VG_MODULE_DEFINE(
	.name = "media_ws",
	.description = "Twilio Media Streams WebSocket endpoint",
	.version = PACKAGE_VERSION,
	.after = { "twilio_http" },
	.load = media_ws_load,
	.unload = media_ws_unload,
	.reload = media_ws_reload,
);
