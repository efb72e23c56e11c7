/*
 * realtime_openai sessions: one OpenAI Realtime WebSocket per call (GA
 * protocol, PROTOCOLS.md §5-§8). Caller audio (audio.in) goes out as
 * input_audio_buffer.append in append_ms batches once session.updated has
 * confirmed mu-law; model audio comes back as audio.out on the call's agent
 * audio timeline, with a ledger per item so a barge-in truncates exactly
 * what the caller heard (audio.played). Transcripts, tools (end_call,
 * transfer_call, tool.call/tool.result), errors, reconnects with an apology
 * and renewal before the session cap live here too. Core thread only.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <voicegate/bus.h>
#include <voicegate/call.h>
#include <voicegate/log.h>
#include <voicegate/loop.h>
#include <voicegate/util.h>
#include <voicegate/ws.h>

#include "realtime_openai.h"

#define RT_APPEND_MAX		1600	/* one append batch: 200 ms */
#define RT_APPEND_MSG		(((RT_APPEND_MAX + 2) / 3) * 4 + 64)
#define RT_MARK_END		"rt:end"	/* our audio.mark name */
#define RT_APPEND_HEAD		"{\"type\":\"input_audio_buffer.append\",\"audio\":\""
#define RT_APPEND_TAIL		"\"}"

/* One delta's decoded audio, reused (the core thread is the only user);
 * only the pages deltas actually reach become resident. */
static uint8_t	rt_delta_audio[RT_MAX_AUDIO];

/* What happens once the agent's last words have played. */
enum rt_action {
	RT_ACT_NONE = 0,
	RT_ACT_HANGUP,
	RT_ACT_TRANSFER,
};

enum rt_state {
	RT_ST_CONNECTING = 0,	/* socket opening, or waiting to retry */
	RT_ST_CONFIGURING,	/* session.update sent */
	RT_ST_READY,		/* session.updated: audio flows */
	RT_ST_FAILED,		/* gave up: the call is being hung up */
};

/* One socket's link to its call; outlives the call until on_close. */
struct rt_link {
	struct rt_call		*rc;		/* NULL once detached */
	struct rt_ctx		*ctx;
	struct vg_ws_conn	*conn;		/* borrowed from the core */
	struct rt_link		*next;		/* ctx->closing, once detached */
};

/* A tool call waiting for its tool.result. */
struct rt_tool_wait {
	struct rt_call		*rc;
	char			 call_id[RT_ID_MAX];
	char			 name[RT_ID_MAX];
	struct vg_timer		*timer;
	struct rt_tool_wait	*next;
};

/* One call's session. Owned by the context's list. */
struct rt_call {
	struct rt_ctx		*ctx;
	struct rt_call		*next;
	struct rt_call		*hnext;		/* ctx->byid chain */
	char			 call_id[VG_CALL_ID_MAX];
	struct rt_resolved	 res;
	struct rt_link		*link;
	enum rt_state		 state;
	unsigned		 connects;
	unsigned		 failures;	/* since the last good session */
	unsigned		 greeted:1;
	unsigned		 apologise:1;	/* after a reconnect */
	unsigned		 renew_wanted:1;	/* once no response runs */
	unsigned		 response_wanted:1;	/* response.create queued */
	unsigned		 resp_audio:1;	/* the active response spoke */
	unsigned		 goodbye_asked:1;
	unsigned		 end_mark_sent:1;
	unsigned		 acted:1;	/* hang-up / transfer published */
	enum rt_action		 action;
	struct vg_timer		*connect_timer;
	struct vg_timer		*retry_timer;
	struct vg_timer		*renew_timer;
	struct vg_sub		*subs[3];
	/* caller audio */
	uint8_t			*in;		/* grows up to RT_HOLD_MAX */
	size_t			 inlen;
	size_t			 insize;
	uint64_t		 held_dropped;
	/* agent audio: the timeline and its ledger (§6.6) */
	uint64_t		 timeline;	/* bytes of audio.out */
	uint64_t		 played_ms;
	struct rt_entry		 ledger[RT_LEDGER_MAX];
	size_t			 nledger;
	char			 active[RT_ID_MAX];
	char			 discarded[RT_DISCARD_MAX][RT_ID_MAX];
	unsigned		 ndiscarded;	/* ring position */
	uint64_t		 late_dropped;
	/* transcripts */
	char			 caller_item[RT_ID_MAX];
	char			*caller_text;
	char			 agent_item[RT_ID_MAX];
	char			*agent_text;
	char			*history;
	size_t			 history_len;
	struct rt_tool_wait	*waits;
};

static void	rc_connect(struct rt_call *rc);
static void	rc_dropped(struct rt_call *rc, const char *why);
static void	rc_response_create(struct rt_call *rc, const char *instr);

/* ---- helpers ---- */

/* FNV-1a of the call id S: its ctx->byid bucket, modulo. */
static uint32_t
call_hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s != '\0')
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return (h);
}

/* Copy S into the id buffer DST (truncated if absurdly long). */
static void
id_copy(char *dst, const char *s)
{
	vg_strlcpy(dst, s != NULL ? s : "", RT_ID_MAX);
}

/* A string member of O, or NULL. */
static const char *
jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return (NULL);
	return (json_object_get_string(v));
}

/* Send TEXT on RC's socket; dropped quietly without one. */
static void
rc_send(struct rt_call *rc, const char *text, size_t len)
{
	if (rc->link != NULL)
		vg_ws_send(rc->link->conn, text, len, 0);
}

/* Send the JSON object O (taken). */
static void
rc_send_json(struct rt_call *rc, struct json_object *o)
{
	const char *s;
	size_t len;

	s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len);
	rc_send(rc, s, len);
	json_object_put(o);
}

/* Publish a control event of TYPE for RC's call with PAYLOAD (taken). */
static void
rc_emit(struct rt_call *rc, const char *type, struct json_object *payload)
{
	vg_bus_emit(type, rc->call_id, payload);
}

/* Append "WHO: TEXT\n" to the conversation carried over on reconnect,
 * keeping the most recent RT_HISTORY_MAX bytes. */
static void
history_add(struct rt_call *rc, const char *who, const char *text)
{
	char *line;
	size_t n, cut;

	if (text == NULL || text[0] == '\0')
		return;
	line = vg_asprintf("%s: %s\n", who, text);
	n = strlen(line);
	rc->history = vg_xrealloc(rc->history, rc->history_len + n + 1);
	memcpy(rc->history + rc->history_len, line, n + 1);
	rc->history_len += n;
	free(line);
	if (rc->history_len > RT_HISTORY_MAX) {
		cut = rc->history_len - RT_HISTORY_MAX / 2;
		memmove(rc->history, rc->history + cut,
		    rc->history_len - cut + 1);
		rc->history_len -= cut;
	}
}

/* session.update text. */
char *
rt_msg_session_update(const struct json_object *s, const char *history)
{
	struct json_object *msg, *copy = NULL;
	const char *instr;
	char *text, *full;

	if (json_object_deep_copy((struct json_object *)s, &copy, NULL) != 0)
		return (NULL);
	if (history != NULL && history[0] != '\0') {
		instr = jstr(copy, "instructions");
		full = vg_asprintf("%s\n\nThe call is already under way; this "
		    "is the conversation so far. Continue it, do not greet "
		    "again:\n%s", instr != NULL ? instr : "", history);
		json_object_object_add(copy, "instructions",
		    json_object_new_string(full));
		free(full);
	}
	msg = json_object_new_object();
	json_object_object_add(msg, "type",
	    json_object_new_string("session.update"));
	json_object_object_add(msg, "session", copy);
	text = vg_xstrdup(json_object_to_json_string_ext(msg,
	    JSON_C_TO_STRING_PLAIN));
	json_object_put(msg);
	return (text);
}

/* Send response.create, with INSTR as this response's instructions when
 * not NULL; queued while a response is active (§7.4). */
static void
rc_response_create(struct rt_call *rc, const char *instr)
{
	struct json_object *o, *r;

	if (rc->active[0] != '\0' || rc->state != RT_ST_READY) {
		rc->response_wanted = 1;
		return;
	}
	rc->response_wanted = 0;
	o = json_object_new_object();
	json_object_object_add(o, "type",
	    json_object_new_string("response.create"));
	if (instr != NULL) {
		r = json_object_new_object();
		json_object_object_add(r, "instructions",
		    json_object_new_string(instr));
		json_object_object_add(o, "response", r);
	}
	rc_send_json(rc, o);
}

/* ---- caller audio ---- */

/* Send the held caller audio in append_ms batches; a partial batch waits
 * unless ALL. */
static void
rc_flush_in(struct rt_call *rc, int all)
{
	char msg[RT_APPEND_MSG];
	size_t batch = rc->ctx->cfg->append_ms * 8, n, off = 0, len;

	while (rc->inlen - off >= batch || (all && rc->inlen > off)) {
		n = rc->inlen - off < batch ? rc->inlen - off : batch;
		len = sizeof(RT_APPEND_HEAD) - 1;
		memcpy(msg, RT_APPEND_HEAD, len);
		len += vg_b64_encode(rc->in + off, n, msg + len);
		memcpy(msg + len, RT_APPEND_TAIL, sizeof(RT_APPEND_TAIL));
		len += sizeof(RT_APPEND_TAIL) - 1;
		rc_send(rc, msg, len);
		off += n;
	}
	memmove(rc->in, rc->in + off, rc->inlen - off);
	rc->inlen -= off;
}

/* audio.in of any call (one module-wide subscription, so that the frame
 * published with media.started, before a per-call subscription could
 * exist, is not lost): batch it, or hold it until the session is ready. */
void
rt_on_audio_in(const struct vg_event *ev, void *arg)
{
	const struct vg_audio_frame *f = vg_event_audio(ev);
	struct rt_call *rc;
	size_t n;

	if ((rc = rt_call_find(arg, vg_event_call_id(ev))) == NULL)
		return;
	if (f == NULL || f->codec != VG_CODEC_PCMU || f->len == 0)
		return;
	n = f->len;
	if (rc->inlen + n > RT_HOLD_MAX) {
		if (rc->held_dropped++ == 0)
			vg_log_call(VG_LOG_WARN, rc->call_id, "caller audio "
			    "dropped: the Realtime session is not ready");
		return;
	}
	if (rc->inlen + n > rc->insize) {
		/* a batch or two once the session runs; more only while
		 * audio is held for a session being set up */
		while (rc->insize < rc->inlen + n)
			rc->insize *= 2;
		if (rc->insize > RT_HOLD_MAX)
			rc->insize = RT_HOLD_MAX;
		rc->in = vg_xrealloc(rc->in, rc->insize);
	}
	memcpy(rc->in + rc->inlen, f->data, n);
	rc->inlen += n;
	if (rc->state == RT_ST_READY)
		rc_flush_in(rc, 0);
}

/* ---- agent audio and barge-in ---- */

/* True when RESPONSE_ID was discarded by a barge-in. */
static int
rc_discarded(const struct rt_call *rc, const char *response_id)
{
	size_t i;

	for (i = 0; i < RT_DISCARD_MAX; i++)
		if (rc->discarded[i][0] != '\0' &&
		    strcmp(rc->discarded[i], response_id) == 0)
			return (1);
	return (0);
}

/* Remember RESPONSE_ID as discarded. */
static void
rc_discard(struct rt_call *rc, const char *response_id)
{
	if (response_id[0] == '\0' || rc_discarded(rc, response_id))
		return;
	id_copy(rc->discarded[rc->ndiscarded++ % RT_DISCARD_MAX], response_id);
}

/* Drop ledger entries heard in full whose response is over. */
static void
rc_ledger_prune(struct rt_call *rc)
{
	uint64_t played = rc->played_ms * 8;
	size_t i = 0;

	while (i < rc->nledger) {
		struct rt_entry *e = &rc->ledger[i];

		if (played >= e->start + e->sent &&
		    strcmp(e->response_id, rc->active) != 0) {
			memmove(e, e + 1,
			    (rc->nledger - i - 1) * sizeof(*e));
			rc->nledger--;
		} else
			i++;
	}
}

/* response.output_audio.delta for RESP/ITEM with the base64 audio B64 of
 * LEN bytes: publish audio.out now and count it. Returns -1 if B64 does
 * not decode (nothing done), else 0. */
static int
rc_on_delta(struct rt_call *rc, const char *resp, const char *item,
    const char *b64, size_t len)
{
	struct rt_entry *e = NULL;
	struct vg_event *ev;
	ssize_t n;
	size_t i;

	if (rc_discarded(rc, resp)) {
		rc->late_dropped++;
		return (0);
	}
	if (len > (RT_MAX_AUDIO / 3) * 4)
		return (0);
	n = vg_b64_decode(b64, len, rt_delta_audio, sizeof(rt_delta_audio));
	if (n <= 0)
		return (n == 0 ? 0 : -1);
	for (i = 0; i < rc->nledger; i++)
		if (strcmp(rc->ledger[i].item_id, item) == 0)
			e = &rc->ledger[i];
	if (e == NULL) {
		if (rc->nledger == RT_LEDGER_MAX) {
			memmove(rc->ledger, rc->ledger + 1,
			    (RT_LEDGER_MAX - 1) * sizeof(*e));
			rc->nledger--;
		}
		e = &rc->ledger[rc->nledger++];
		id_copy(e->response_id, resp);
		id_copy(e->item_id, item);
		e->start = rc->timeline;
		e->sent = 0;
	}
	ev = vg_event_new_audio("audio.out", rc->call_id, VG_CODEC_PCMU, 8000,
	    rc->timeline / 8, rt_delta_audio, (size_t)n);
	if (ev != NULL)
		vg_bus_publish(ev);
	e->sent += (uint64_t)n;
	rc->timeline += (uint64_t)n;
	if (strcmp(resp, rc->active) == 0)
		rc->resp_audio = 1;
	return (0);
}

/* The audio delta as json-c parsed it. */
static void
rc_on_delta_json(struct rt_call *rc, struct json_object *o)
{
	const char *resp = jstr(o, "response_id"), *item = jstr(o, "item_id");
	struct json_object *v;

	if (resp == NULL || item == NULL ||
	    !json_object_object_get_ex(o, "delta", &v) ||
	    !json_object_is_type(v, json_type_string))
		return;
	rc_on_delta(rc, resp, item, json_object_get_string(v),
	    (size_t)json_object_get_string_len(v));
}

/* The audio delta in TEXT/LEN without json-c (rt_delta_scan). Returns 1
 * when handled, 0 when json-c must parse it. */
static int
rc_on_delta_fast(struct rt_call *rc, const char *text, size_t len)
{
	char resp[RT_ID_MAX], item[RT_ID_MAX];
	struct rt_delta d;

	if (!rt_delta_scan(text, len, &d))
		return (0);
	memcpy(resp, d.response_id, d.response_id_len);
	resp[d.response_id_len] = '\0';
	memcpy(item, d.item_id, d.item_id_len);
	item[d.item_id_len] = '\0';
	return (rc_on_delta(rc, resp, item, d.delta, d.delta_len) == 0);
}

/* speech_started: stop the agent where the caller cut in (§6.6). */
static void
rc_on_speech_started(struct rt_call *rc)
{
	struct rt_cut cuts[RT_LEDGER_MAX];
	struct json_object *o;
	size_t i, n;
	int unplayed;

	rc_ledger_prune(rc);
	unplayed = rc->timeline > rc->played_ms * 8;
	if (rc->active[0] == '\0' && (rc->nledger == 0 || !unplayed))
		return;		/* the agent is not speaking */
	n = rt_barge_cuts(rc->ledger, rc->nledger, rc->played_ms, rc->active,
	    cuts);
	rc_discard(rc, rc->active);
	for (i = 0; i < rc->nledger; i++)
		rc_discard(rc, rc->ledger[i].response_id);
	if (unplayed)
		rc_emit(rc, "audio.clear", NULL);
	if (rc->active[0] != '\0' && !rc->res.interrupt_response) {
		o = json_object_new_object();
		json_object_object_add(o, "type",
		    json_object_new_string("response.cancel"));
		rc_send_json(rc, o);
	}
	for (i = 0; i < n; i++) {
		o = json_object_new_object();
		json_object_object_add(o, "type", json_object_new_string(
		    "conversation.item.truncate"));
		json_object_object_add(o, "item_id",
		    json_object_new_string(cuts[i].item_id));
		json_object_object_add(o, "content_index",
		    json_object_new_int(0));
		json_object_object_add(o, "audio_end_ms",
		    json_object_new_int64((int64_t)cuts[i].audio_end_ms));
		rc_send_json(rc, o);
		o = json_object_new_object();
		json_object_object_add(o, "item_id",
		    json_object_new_string(cuts[i].item_id));
		json_object_object_add(o, "heard_ms",
		    json_object_new_int64((int64_t)cuts[i].audio_end_ms));
		rc_emit(rc, "agent.interrupted", o);
	}
	rc->nledger = 0;
}

/* audio.played: how far the caller has heard the agent timeline. */
static void
rc_on_played(const struct vg_event *ev, void *arg)
{
	struct rt_call *rc = arg;
	struct json_object *v;
	int64_t ms;

	if (!json_object_object_get_ex(vg_event_json(ev), "played_ms", &v))
		return;
	ms = json_object_get_int64(v);
	if (ms > 0 && (uint64_t)ms > rc->played_ms)
		rc->played_ms = (uint64_t)ms;
	rc_ledger_prune(rc);
}

/* ---- transcripts ---- */

/* Publish TYPE {speaker, item_id, text} for RC. */
static void
rc_transcript(struct rt_call *rc, const char *type, const char *speaker,
    const char *item, const char *text)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "speaker", json_object_new_string(speaker));
	json_object_object_add(o, "item_id", json_object_new_string(item));
	json_object_object_add(o, "text", json_object_new_string(text));
	rc_emit(rc, type, o);
}

/* A transcript delta for ITEM: grow *TEXT (reset when ITEM changes) and
 * publish the whole text so far. */
static void
rc_partial(struct rt_call *rc, const char *speaker, char *cur_item,
    char **text, const char *item, const char *delta)
{
	size_t len;

	if (strcmp(cur_item, item) != 0) {
		id_copy(cur_item, item);
		free(*text);
		*text = NULL;
	}
	len = *text != NULL ? strlen(*text) : 0;
	if (len + strlen(delta) > RT_HISTORY_MAX)
		return;
	*text = vg_xrealloc(*text, len + strlen(delta) + 1);
	memcpy(*text + len, delta, strlen(delta) + 1);
	rc_transcript(rc, "transcript.partial", speaker, item, *text);
}

/* The final text of ITEM: publish it and keep it for the history. */
static void
rc_final(struct rt_call *rc, const char *speaker, char *cur_item,
    char **text, const char *item, const char *final)
{
	if (strcmp(cur_item, item) == 0) {
		free(*text);
		*text = NULL;
		cur_item[0] = '\0';
	}
	rc_transcript(rc, "transcript.final", speaker, item, final);
	history_add(rc, strcmp(speaker, "caller") == 0 ? "Caller" : "Agent",
	    final);
}

/* ---- tools ---- */

/* Send function_call_output OUTPUT for CALL_ID. */
static void
rc_tool_output(struct rt_call *rc, const char *call_id, const char *output)
{
	struct json_object *o, *item;

	item = json_object_new_object();
	json_object_object_add(item, "type",
	    json_object_new_string("function_call_output"));
	json_object_object_add(item, "call_id",
	    json_object_new_string(call_id));
	json_object_object_add(item, "output", json_object_new_string(output));
	o = json_object_new_object();
	json_object_object_add(o, "type",
	    json_object_new_string("conversation.item.create"));
	json_object_object_add(o, "item", item);
	rc_send_json(rc, o);
}

/* Forget W (its timer is stopped or has fired). */
static void
wait_remove(struct rt_tool_wait *w)
{
	struct rt_tool_wait **pp;

	for (pp = &w->rc->waits; *pp != NULL; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	free(w);
}

/* A tool did not answer in time: tell the model, go on. */
static void
wait_timeout(struct vg_timer *t, void *arg)
{
	struct rt_tool_wait *w = arg;
	struct rt_call *rc = w->rc;
	char out[160];

	vg_log_call(VG_LOG_WARN, rc->call_id, "tool %s did not answer in "
	    "time", w->name);
	snprintf(out, sizeof(out), "{\"error\":\"the tool %s did not answer "
	    "in time\"}", w->name);
	rc_tool_output(rc, w->call_id, out);
	w->timer = NULL;
	wait_remove(w);
	rc_response_create(rc, NULL);
}

/* tool.result: the answer goes back to the model, which then speaks. */
static void
rc_on_tool_result(const struct vg_event *ev, void *arg)
{
	struct rt_call *rc = arg;
	struct json_object *o = vg_event_json(ev), *err;
	struct rt_tool_wait *w;
	const char *id = jstr(o, "tool_call_id"), *out = jstr(o, "output");
	char *text = NULL;

	if (id == NULL)
		return;
	for (w = rc->waits; w != NULL; w = w->next)
		if (strcmp(w->call_id, id) == 0)
			break;
	if (w == NULL)
		return;		/* not ours, or too late */
	if (json_object_object_get_ex(o, "error", &err) &&
	    !json_object_is_type(err, json_type_null)) {
		struct json_object *e = json_object_new_object();

		json_object_object_add(e, "error", json_object_get(err));
		text = vg_xstrdup(json_object_to_json_string_ext(e,
		    JSON_C_TO_STRING_PLAIN));
		json_object_put(e);
	}
	rc_tool_output(rc, id, text != NULL ? text : out != NULL ? out :
	    "{}");
	free(text);
	vg_timer_cancel(w->timer);
	wait_remove(w);
	rc_response_create(rc, NULL);
}

/* True when the session declared tool NAME. */
static int
rc_tool_declared(const struct rt_call *rc, const char *name)
{
	struct json_object *tools, *t;
	size_t i;

	if (!json_object_object_get_ex(rc->res.session, "tools", &tools))
		return (0);
	for (i = 0; i < json_object_array_length(tools); i++) {
		t = json_object_array_get_idx(tools, i);
		if (jstr(t, "name") != NULL && strcmp(jstr(t, "name"),
		    name) == 0)
			return (1);
	}
	return (0);
}

/* A completed function_call item: run the tool. */
static void
rc_function_call(struct rt_call *rc, struct json_object *item)
{
	const char *name = jstr(item, "name"), *call_id = jstr(item, "call_id");
	const char *args = jstr(item, "arguments");
	struct rt_tool_wait *w;
	struct json_object *o;

	if (name == NULL || call_id == NULL)
		return;
	if (!rc_tool_declared(rc, name)) {
		rc_tool_output(rc, call_id, "{\"error\":\"no such tool\"}");
		rc_response_create(rc, NULL);
		return;
	}
	if (strcmp(name, "end_call") == 0) {
		rc->action = RT_ACT_HANGUP;
		rc_tool_output(rc, call_id, "{\"status\":\"the call ends after "
		    "your goodbye\"}");
		return;
	}
	if (strcmp(name, "transfer_call") == 0) {
		if (rc->res.transfer_to[0] == '\0') {
			rc_tool_output(rc, call_id, "{\"error\":\"no transfer "
			    "number is configured\"}");
			rc_response_create(rc, NULL);
			return;
		}
		rc->action = RT_ACT_TRANSFER;
		rc_tool_output(rc, call_id, "{\"status\":\"transferring\"}");
		return;
	}
	w = vg_xcalloc(1, sizeof(*w));
	w->rc = rc;
	id_copy(w->call_id, call_id);
	id_copy(w->name, name);
	w->timer = vg_timer_add(rc->ctx->self, rc->ctx->cfg->tool_timeout_ms,
	    0, wait_timeout, w);
	w->next = rc->waits;
	rc->waits = w;
	o = json_object_new_object();
	json_object_object_add(o, "tool_call_id",
	    json_object_new_string(call_id));
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "arguments",
	    json_object_new_string(args != NULL ? args : "{}"));
	rc_emit(rc, "tool.call", o);
}

/* Publish the pending hang-up or transfer. */
static void
rc_act(struct rt_call *rc)
{
	struct json_object *o = json_object_new_object();

	if (rc->acted)
		return;
	rc->acted = 1;
	if (rc->action == RT_ACT_TRANSFER) {
		json_object_object_add(o, "to",
		    json_object_new_string(rc->res.transfer_to));
		rc_emit(rc, "call.transfer", o);
	} else {
		json_object_object_add(o, "reason",
		    json_object_new_string("the agent ended the call"));
		rc_emit(rc, "call.hangup", o);
	}
}

/* audio.marked: our end mark means the goodbye has been heard. */
static void
rc_on_marked(const struct vg_event *ev, void *arg)
{
	struct rt_call *rc = arg;
	const char *name = jstr(vg_event_json(ev), "name");

	if (name != NULL && strcmp(name, RT_MARK_END) == 0 &&
	    rc->action != RT_ACT_NONE)
		rc_act(rc);
}

/* A response ended with an action pending: make sure a goodbye was said,
 * then mark the end of the audio. */
static void
rc_action_after_response(struct rt_call *rc)
{
	struct json_object *o;
	char *instr;

	if (rc->end_mark_sent || rc->acted)
		return;
	if (!rc->resp_audio && !rc->goodbye_asked) {
		rc->goodbye_asked = 1;
		instr = vg_asprintf("Say only this, then stop: %s",
		    rc->ctx->cfg->goodbye);
		rc_response_create(rc, instr);
		free(instr);
		return;
	}
	rc->end_mark_sent = 1;
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(RT_MARK_END));
	rc_emit(rc, "audio.mark", o);
}

/* ---- server events ---- */

/* error: log it, publish it; only session_expired changes anything. */
static void
rc_on_error(struct rt_call *rc, struct json_object *o)
{
	struct json_object *e, *p;
	const char *code = NULL, *msg = NULL, *type = NULL;
	int benign;

	if (json_object_object_get_ex(o, "error", &e)) {
		code = jstr(e, "code");
		msg = jstr(e, "message");
		type = jstr(e, "type");
	}
	benign = code != NULL && (strcmp(code, "response_cancel_not_active") ==
	    0 || strcmp(code, "conversation_already_has_active_response") == 0 ||
	    strcmp(code, "input_audio_buffer_commit_empty") == 0);
	vg_log_call(benign ? VG_LOG_INFO : VG_LOG_WARN, rc->call_id,
	    "realtime error %s: %s", code != NULL ? code : "(no code)",
	    msg != NULL ? msg : "");
	p = json_object_new_object();
	json_object_object_add(p, "code", code != NULL ?
	    json_object_new_string(code) : NULL);
	json_object_object_add(p, "type", type != NULL ?
	    json_object_new_string(type) : NULL);
	json_object_object_add(p, "message",
	    json_object_new_string(msg != NULL ? msg : ""));
	json_object_object_add(p, "benign", json_object_new_boolean(benign));
	rc_emit(rc, "agent.error", p);
	if (code != NULL &&
	    strcmp(code, "conversation_already_has_active_response") == 0)
		rc->response_wanted = 1;
	if (code != NULL && strcmp(code, "session_expired") == 0)
		rt_call_renew(rc);
}

/* Renewal timer. */
static void
rc_renew_due(struct vg_timer *t, void *arg)
{
	struct rt_call *rc = arg;

	rc->renew_timer = NULL;
	rt_call_renew(rc);
}

/* session.updated: the format is ours; audio flows; the agent speaks. */
static void
rc_on_session_updated(struct rt_call *rc, struct json_object *o)
{
	struct json_object *s = NULL, *v;
	const char *fmt = NULL;
	char *instr;

	if (json_object_object_get_ex(o, "session", &s) &&
	    json_object_object_get_ex(s, "audio", &v) &&
	    json_object_object_get_ex(v, "output", &v) &&
	    json_object_object_get_ex(v, "format", &v))
		fmt = jstr(v, "type");
	if (fmt != NULL && strcmp(fmt, "audio/pcmu") != 0)
		vg_log_call(VG_LOG_ERROR, rc->call_id, "the Realtime session "
		    "answers with %s, not audio/pcmu", fmt);
	if (s != NULL && json_object_object_get_ex(s, "audio", &v) &&
	    json_object_object_get_ex(v, "input", &v) &&
	    json_object_object_get_ex(v, "turn_detection", &v) &&
	    json_object_object_get_ex(v, "interrupt_response", &v))
		rc->res.interrupt_response = json_object_get_boolean(v);
	if (rc->state != RT_ST_CONFIGURING)
		return;
	rc->state = RT_ST_READY;
	rc->failures = 0;
	if (rc->renew_timer == NULL && rc->ctx->cfg->session_max_minutes > 0)
		rc->renew_timer = vg_timer_add(rc->ctx->self,
		    (uint64_t)rc->ctx->cfg->session_max_minutes * 60000, 0,
		    rc_renew_due, rc);
	rc_flush_in(rc, 0);
	if (!rc->greeted) {
		rc->greeted = 1;
		rc_response_create(rc, rc->res.greeting);
	} else if (rc->apologise) {
		rc->apologise = 0;
		instr = vg_asprintf("The line dropped for a moment. Say briefly:"
		    " \"%s\", then continue the conversation.",
		    rc->ctx->cfg->apology);
		rc_response_create(rc, instr);
		free(instr);
	} else if (rc->response_wanted)
		rc_response_create(rc, NULL);
}

/* response.done: the response is over; usage; what waited for it. */
static void
rc_on_response_done(struct rt_call *rc, struct json_object *o)
{
	struct json_object *r = NULL, *p, *v;
	const char *id = NULL, *status = NULL;
	size_t i;

	if (json_object_object_get_ex(o, "response", &r)) {
		id = jstr(r, "id");
		status = jstr(r, "status");
	}
	if (id != NULL) {
		for (i = 0; i < RT_DISCARD_MAX; i++)
			if (strcmp(rc->discarded[i], id) == 0)
				rc->discarded[i][0] = '\0';
	}
	if (id == NULL || strcmp(id, rc->active) == 0)
		rc->active[0] = '\0';
	if (r != NULL && json_object_object_get_ex(r, "usage", &v) &&
	    !json_object_is_type(v, json_type_null)) {
		p = json_object_new_object();
		json_object_object_add(p, "response_id",
		    json_object_new_string(id != NULL ? id : ""));
		json_object_object_add(p, "status",
		    json_object_new_string(status != NULL ? status : ""));
		json_object_object_add(p, "usage", json_object_get(v));
		rc_emit(rc, "usage", p);
	}
	rc_ledger_prune(rc);
	if (rc->action != RT_ACT_NONE)
		rc_action_after_response(rc);
	else if (rc->response_wanted)
		rc_response_create(rc, NULL);
	rc->resp_audio = 0;
	if (rc->renew_wanted && rc->active[0] == '\0')
		rt_call_renew(rc);
}

/* Dispatch one parsed server event. */
static void
rc_dispatch(struct rt_call *rc, const char *type, struct json_object *o)
{
	struct json_object *v, *p;
	const char *s, *item = jstr(o, "item_id");
	char *text;

	if (strcmp(type, "response.output_audio.delta") == 0 ||
	    strcmp(type, "response.audio.delta") == 0)
		rc_on_delta_json(rc, o);
	else if (strcmp(type, "input_audio_buffer.speech_started") == 0)
		rc_on_speech_started(rc);
	else if (strcmp(type, "response.output_audio_transcript.delta") == 0 ||
	    strcmp(type, "response.audio_transcript.delta") == 0) {
		if (item != NULL && (s = jstr(o, "delta")) != NULL &&
		    !rc_discarded(rc, jstr(o, "response_id") != NULL ?
		    jstr(o, "response_id") : ""))
			rc_partial(rc, "agent", rc->agent_item,
			    &rc->agent_text, item, s);
	} else if (strcmp(type, "response.output_audio_transcript.done") == 0 ||
	    strcmp(type, "response.audio_transcript.done") == 0) {
		if (item != NULL && (s = jstr(o, "transcript")) != NULL)
			rc_final(rc, "agent", rc->agent_item, &rc->agent_text,
			    item, s);
	} else if (strcmp(type,
	    "conversation.item.input_audio_transcription.delta") == 0) {
		if (item != NULL && (s = jstr(o, "delta")) != NULL)
			rc_partial(rc, "caller", rc->caller_item,
			    &rc->caller_text, item, s);
	} else if (strcmp(type,
	    "conversation.item.input_audio_transcription.completed") == 0) {
		if (item != NULL && (s = jstr(o, "transcript")) != NULL)
			rc_final(rc, "caller", rc->caller_item,
			    &rc->caller_text, item, s);
	} else if (strcmp(type, "response.created") == 0) {
		if (json_object_object_get_ex(o, "response", &v) &&
		    (s = jstr(v, "id")) != NULL) {
			id_copy(rc->active, s);
			rc->resp_audio = 0;
		}
	} else if (strcmp(type, "response.output_item.done") == 0) {
		if (json_object_object_get_ex(o, "item", &v) &&
		    (s = jstr(v, "type")) != NULL &&
		    strcmp(s, "function_call") == 0 &&
		    jstr(v, "status") != NULL &&
		    strcmp(jstr(v, "status"), "completed") == 0)
			rc_function_call(rc, v);
	} else if (strcmp(type, "response.done") == 0)
		rc_on_response_done(rc, o);
	else if (strcmp(type, "session.created") == 0) {
		if (rc->state != RT_ST_CONNECTING)
			return;
		if (rc->connect_timer != NULL) {
			vg_timer_cancel(rc->connect_timer);
			rc->connect_timer = NULL;
		}
		rc->state = RT_ST_CONFIGURING;
		text = rt_msg_session_update(rc->res.session, rc->history);
		if (text != NULL)
			rc_send(rc, text, strlen(text));
		free(text);
	} else if (strcmp(type, "session.updated") == 0)
		rc_on_session_updated(rc, o);
	else if (strcmp(type, "error") == 0)
		rc_on_error(rc, o);
	else if (strcmp(type, "rate_limits.updated") == 0) {
		if (json_object_object_get_ex(o, "rate_limits", &v)) {
			p = json_object_new_object();
			json_object_object_add(p, "rate_limits",
			    json_object_get(v));
			rc_emit(rc, "usage", p);
		}
	}
}

/* Handle one server event's text. */
int
rt_call_server_event(struct rt_call *rc, const char *text, size_t len)
{
	struct json_tokener *tok;
	struct json_object *o;
	const char *type;

	if (len == 0 || len > 4 * 1024 * 1024)
		return (-1);
	if (rc_on_delta_fast(rc, text, len))
		return (0);
	tok = json_tokener_new();
	o = json_tokener_parse_ex(tok, text, (int)len);
	json_tokener_free(tok);
	if (o == NULL || !json_object_is_type(o, json_type_object) ||
	    (type = jstr(o, "type")) == NULL) {
		json_object_put(o);
		return (-1);
	}
	rc_dispatch(rc, type, o);
	json_object_put(o);
	return (0);
}

/* ---- the socket ---- */

/* A whole server event. */
static void
link_message(struct vg_ws_conn *conn, const void *data, size_t len,
    int binary, void *arg)
{
	struct rt_link *l = arg;

	if (l->rc == NULL || binary)
		return;
	if (rt_call_server_event(l->rc, data, len) == -1)
		vg_log_call(VG_LOG_INFO, l->rc->call_id, "bad Realtime event "
		    "ignored");
}

/* The socket is gone. */
static void
link_close(struct vg_ws_conn *conn, int code, const char *reason, void *arg)
{
	struct rt_link *l = arg, **pp;
	struct rt_call *rc = l->rc;

	for (pp = &l->ctx->closing; *pp != NULL; pp = &(*pp)->next)
		if (*pp == l) {
			*pp = l->next;
			break;
		}
	free(l);
	if (rc == NULL)
		return;		/* we closed it on purpose */
	rc->link = NULL;
	vg_log_call(VG_LOG_WARN, rc->call_id, "Realtime socket closed (%d %s)",
	    code, reason != NULL ? reason : "");
	rc_dropped(rc, "closed");
}

static const struct vg_ws_handlers rt_link_handlers = {
	NULL, link_message, link_close,
};

/* Close RC's socket now (no reconnect follows). */
static void
rc_detach(struct rt_call *rc, int code, const char *why)
{
	if (rc->link == NULL)
		return;
	rc->link->rc = NULL;
	rc->link->next = rc->ctx->closing;
	rc->ctx->closing = rc->link;
	vg_ws_close(rc->link->conn, code, why);
	rc->link = NULL;
}

/* Free the links of sockets still closing: after unload no on_close comes
 * for them. */
void
rt_ctx_forget(struct rt_ctx *ctx)
{
	struct rt_link *l;

	while ((l = ctx->closing) != NULL) {
		ctx->closing = l->next;
		free(l);
	}
}

/* The session did not start in time. */
static void
rc_connect_timeout(struct vg_timer *t, void *arg)
{
	struct rt_call *rc = arg;

	rc->connect_timer = NULL;
	vg_log_call(VG_LOG_WARN, rc->call_id, "Realtime session did not start "
	    "in time");
	rc_detach(rc, VG_WS_CLOSE_GOING_AWAY, "timeout");
	rc_dropped(rc, "timeout");
}

/* Retry timer. */
static void
rc_retry(struct vg_timer *t, void *arg)
{
	struct rt_call *rc = arg;

	rc->retry_timer = NULL;
	rc_connect(rc);
}

/* Forget what the lost session knew: its responses and pending tools. */
static void
rc_session_reset(struct rt_call *rc)
{
	struct rt_tool_wait *w;

	if (rc->connect_timer != NULL) {
		vg_timer_cancel(rc->connect_timer);
		rc->connect_timer = NULL;
	}
	while ((w = rc->waits) != NULL) {
		vg_timer_cancel(w->timer);
		wait_remove(w);
	}
	rc->active[0] = '\0';
	rc->nledger = 0;
	rc->response_wanted = 0;
	rc->state = RT_ST_CONNECTING;
}

/* The socket dropped or never came up: retry with backoff, or end the
 * call politely after too many failures. */
static void
rc_dropped(struct rt_call *rc, const char *why)
{
	struct json_object *o;
	unsigned delay;

	rc_session_reset(rc);
	rc->failures++;
	if (rc->failures > rc->ctx->cfg->reconnect_attempts) {
		vg_log_call(VG_LOG_ERROR, rc->call_id, "Realtime session lost "
		    "(%s) %u times: hanging up", why, rc->failures);
		rc->state = RT_ST_FAILED;
		o = json_object_new_object();
		json_object_object_add(o, "code",
		    json_object_new_string("session_lost"));
		json_object_object_add(o, "message",
		    json_object_new_string("the Realtime API is unreachable"));
		json_object_object_add(o, "benign",
		    json_object_new_boolean(0));
		rc_emit(rc, "agent.error", o);
		o = json_object_new_object();
		json_object_object_add(o, "reason",
		    json_object_new_string("the AI agent is unavailable"));
		rc_emit(rc, "call.hangup", o);
		return;
	}
	if (rc->greeted)
		rc->apologise = 1;
	delay = rc->ctx->cfg->reconnect_backoff_ms << (rc->failures - 1);
	rc->retry_timer = vg_timer_add(rc->ctx->self, delay, 0, rc_retry, rc);
}

/* Open a socket for RC's session. */
static void
rc_connect(struct rt_call *rc)
{
	const struct rt_config *cfg = rc->ctx->cfg;
	const char *hdrs[2];
	char *url, *auth;
	struct rt_link *l;

	url = vg_asprintf("%s?model=%s", cfg->url, cfg->model);
	auth = vg_asprintf("Authorization: Bearer %s", cfg->api_key);
	hdrs[0] = auth;
	hdrs[1] = NULL;
	l = vg_xcalloc(1, sizeof(*l));
	l->rc = rc;
	l->ctx = rc->ctx;
	rc->state = RT_ST_CONNECTING;
	rc->connects++;
	l->conn = vg_ws_connect(rc->ctx->self, url, hdrs, &rt_link_handlers, l);
	explicit_bzero(auth, strlen(auth));
	free(auth);
	free(url);
	if (l->conn == NULL) {
		free(l);
		rc_dropped(rc, "connect");
		return;
	}
	rc->link = l;
	rc->connect_timer = vg_timer_add(rc->ctx->self,
	    cfg->connect_timeout_ms, 0, rc_connect_timeout, rc);
}

/* ---- the call ---- */

/* Start a call's session. */
struct rt_call *
rt_call_start(struct rt_ctx *ctx, const char *call_id, const char *task)
{
	struct rt_call *rc, **h;
	char err[RT_ERR_MAX];

	rc = vg_xcalloc(1, sizeof(*rc));
	rc->ctx = ctx;
	vg_strlcpy(rc->call_id, call_id, sizeof(rc->call_id));
	if (rt_task_resolve(ctx->agents, task, &rc->res, err,
	    sizeof(err)) == -1) {
		vg_log_call(VG_LOG_WARN, call_id, "%s: using the default agent",
		    err);
		if (rt_task_resolve(ctx->agents, NULL, &rc->res, err,
		    sizeof(err)) == -1) {
			vg_log_call(VG_LOG_ERROR, call_id, "%s", err);
			free(rc);
			return (NULL);
		}
	}
	rc->insize = 512;
	rc->in = vg_xmalloc(rc->insize);
	rc->subs[0] = vg_bus_subscribe(ctx->self, "audio.played", call_id,
	    rc_on_played, rc);
	rc->subs[1] = vg_bus_subscribe(ctx->self, "audio.marked", call_id,
	    rc_on_marked, rc);
	rc->subs[2] = vg_bus_subscribe(ctx->self, "tool.result", call_id,
	    rc_on_tool_result, rc);
	rc->next = ctx->calls;
	ctx->calls = rc;
	h = &ctx->byid[call_hash(call_id) % RT_CALL_BUCKETS];
	rc->hnext = *h;
	*h = rc;
	vg_log_call(VG_LOG_NOTICE, call_id, "agent %s: opening a Realtime "
	    "session", rc->res.agent);
	rc_connect(rc);
	return (rc);
}

/* End a call's session now. */
void
rt_call_end(struct rt_call *rc)
{
	struct rt_call **pp;
	size_t i;

	for (pp = &rc->ctx->calls; *pp != NULL; pp = &(*pp)->next)
		if (*pp == rc) {
			*pp = rc->next;
			break;
		}
	for (pp = &rc->ctx->byid[call_hash(rc->call_id) % RT_CALL_BUCKETS];
	    *pp != NULL; pp = &(*pp)->hnext)
		if (*pp == rc) {
			*pp = rc->hnext;
			break;
		}
	for (i = 0; i < VG_NELEM(rc->subs); i++)
		vg_bus_unsubscribe(rc->subs[i]);
	rc_detach(rc, VG_WS_CLOSE_NORMAL, "call ended");
	rc_session_reset(rc);
	if (rc->retry_timer != NULL)
		vg_timer_cancel(rc->retry_timer);
	if (rc->renew_timer != NULL)
		vg_timer_cancel(rc->renew_timer);
	if (rc->late_dropped > 0)
		vg_log_call(VG_LOG_INFO, rc->call_id, "%llu late audio deltas "
		    "dropped", (unsigned long long)rc->late_dropped);
	rt_resolved_free(&rc->res);
	free(rc->in);
	free(rc->caller_text);
	free(rc->agent_text);
	free(rc->history);
	free(rc);
}

/* Find a session by call id. */
struct rt_call *
rt_call_find(struct rt_ctx *ctx, const char *call_id)
{
	struct rt_call *rc;

	for (rc = ctx->byid[call_hash(call_id) % RT_CALL_BUCKETS]; rc != NULL;
	    rc = rc->hnext)
		if (strcmp(rc->call_id, call_id) == 0)
			return (rc);
	return (NULL);
}

/* The call's id. */
const char *
rt_call_id(const struct rt_call *rc)
{
	return (rc->call_id);
}

/* Open a fresh session carrying the conversation over. */
void
rt_call_renew(struct rt_call *rc)
{
	if (rc->state == RT_ST_FAILED)
		return;
	if (rc->active[0] != '\0') {
		rc->renew_wanted = 1;	/* after this response */
		return;
	}
	rc->renew_wanted = 0;
	vg_log_call(VG_LOG_NOTICE, rc->call_id, "renewing the Realtime "
	    "session");
	if (rc->renew_timer != NULL) {
		vg_timer_cancel(rc->renew_timer);
		rc->renew_timer = NULL;
	}
	if (rc->retry_timer != NULL) {
		vg_timer_cancel(rc->retry_timer);
		rc->retry_timer = NULL;
	}
	rc_detach(rc, VG_WS_CLOSE_NORMAL, "renewing");
	rc_session_reset(rc);
	rc_connect(rc);
}

/* Connects made. */
unsigned
rt_call_connects(const struct rt_call *rc)
{
	return (rc->connects);
}
