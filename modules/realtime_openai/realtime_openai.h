/*
 * realtime_openai internals shared by its files and its tests: agent
 * presets and task resolution (realtime_openai_agents.c), strict base64 and
 * the barge-in arithmetic (realtime_openai_audio.c), and one call's Realtime
 * session (realtime_openai_session.c). Core thread only.
 */
#ifndef VG_REALTIME_OPENAI_H
#define VG_REALTIME_OPENAI_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct json_object;
struct vg_event;
struct vg_module;
struct vg_timer;
struct vg_ws_conn;

/* Limits. */
#define RT_ID_MAX		64	/* item / response / call ids we keep */
#define RT_ERR_MAX		256	/* one error message */
#define RT_TEXT_MAX		16384	/* one task string, bytes */
#define RT_MAX_AUDIO		(64 * 1024)	/* one decoded delta, bytes */
#define RT_HOLD_MAX		16000	/* caller audio held, bytes (2 s) */
#define RT_HISTORY_MAX		(32 * 1024)	/* transcript carried over */
#define RT_LEDGER_MAX		16	/* agent items being played */
#define RT_DISCARD_MAX		8	/* cancelled responses remembered */
#define RT_TOOLS_MAX		16	/* tools one agent declares */
#define RT_SPEED_MIN		0.25
#define RT_SPEED_MAX		1.5
#define RT_CUSHION_MS		50	/* heard beyond the last played mark */
#define RT_CALL_BUCKETS		1024	/* sessions by call id */

/* ---- agents (realtime_openai_agents.c) ---- */

/* A function tool from [tool.NAME] (or built in). */
struct rt_tool {
	char		*name;
	char		*description;
	char		*parameters;	/* JSON Schema text */
};

/* One [agent.NAME] preset. */
struct rt_agent {
	char		*name;
	char		*description;
	char		*instructions;	/* with {placeholders} */
	char		*voice;
	double		 speed;
	char		*turn_detection;	/* server_vad | semantic_vad */
	double		 vad_threshold;
	long		 prefix_padding_ms;
	long		 silence_duration_ms;
	long		 idle_timeout_ms;	/* 0: none */
	char		*eagerness;	/* semantic_vad */
	int		 create_response;
	int		 interrupt_response;
	char		*noise_reduction;	/* near_field | far_field | "" */
	char		*transcription_model;	/* "": no transcription */
	char		*transcription_language;	/* "" : any */
	char		*tools[RT_TOOLS_MAX];
	size_t		 ntools;
	char		*tool_choice;	/* auto | none | required | a tool */
	long		 max_output_tokens;	/* 0: "inf" */
	char		*greeting;	/* instruction for the first words */
	char		*transfer_to;	/* E.164 for transfer_call, or "" */
};

/* Every preset and tool of one agents.conf. */
struct rt_agents {
	struct rt_agent	*agents;
	size_t		 nagents;
	struct rt_tool	*tools;
	size_t		 ntools;
	char		*default_agent;	/* what type "default" means */
};

/* What a call's task resolves to: the session object to send, and what the
 * module needs besides. Owned by the caller: rt_resolved_free(). */
struct rt_resolved {
	struct json_object *session;	/* session.update's "session" */
	char		*agent;		/* preset name */
	char		*greeting;
	char		*transfer_to;
	int		 interrupt_response;
};

/* Read agents from PATH into A (zeroed first). Returns 0, or -1 with the
 * reason (file:line) in ERR. */
int	 rt_agents_load(const char *path, struct rt_agents *a, char *err,
	    size_t err_size);
void	 rt_agents_free(struct rt_agents *a);
/* The preset called NAME ("default" names the default), or NULL. */
const struct rt_agent *rt_agents_find(const struct rt_agents *a,
	    const char *name);
/* True when NAME is a Realtime voice. */
int	 rt_voice_ok(const char *name);
/* Check TASK (borrowed) against A. Returns 0, or -1 with ERR. */
int	 rt_task_validate(const struct rt_agents *a,
	    const struct json_object *task, char *err, size_t err_size);
/* The task in TEXT (JSON object, or a bare preset name; NULL: default)
 * resolved against A into R. Returns 0, or -1 with ERR. */
int	 rt_task_resolve(const struct rt_agents *a, const char *text,
	    struct rt_resolved *r, char *err, size_t err_size);
void	 rt_resolved_free(struct rt_resolved *r);
/* The presets as a JSON array (returns new). */
struct json_object *rt_agents_presets(const struct rt_agents *a);
/* What a task may override, as a JSON object (returns new). */
struct json_object *rt_agents_schema(void);
/* Fill {name} placeholders of TEMPLATE from CONTEXT (an object, or NULL).
 * Unknown placeholders stay as written. Returns new. */
char	*rt_fill(const char *template, const struct json_object *context);

/* ---- audio helpers (realtime_openai_audio.c) ---- */

/* The fields of an audio delta event, pointing into its text (not
 * terminated). */
struct rt_delta {
	const char	*response_id;
	size_t		 response_id_len;
	const char	*item_id;
	size_t		 item_id_len;
	const char	*delta;		/* base64 */
	size_t		 delta_len;
};

/* The fast path for the event that carries the agent's audio: read TEXT
 * (LEN bytes, borrowed) without json-c when it is one flat JSON object,
 * each key once, its strings printable ASCII with no escape (the delta:
 * no escape), its other values numbers or literals, whose "type" is
 * response.output_audio.delta (or the beta response.audio.delta) and
 * whose response_id, item_id (shorter than RT_ID_MAX) and delta are
 * strings. Fills D and returns 1; returns 0 for anything else, which
 * json-c then parses. On 1, json-c reads the same three strings, unless
 * the delta has bytes that are not base64 (then it does not decode: the
 * caller falls back to json-c). */
int	 rt_delta_scan(const char *text, size_t len, struct rt_delta *d);

/* One agent audio item on the call's timeline (§6.6's ledger). */
struct rt_entry {
	char		 response_id[RT_ID_MAX];
	char		 item_id[RT_ID_MAX];
	uint64_t	 start;		/* timeline position, bytes */
	uint64_t	 sent;		/* bytes published */
};

/* A truncation decided by a barge-in. */
struct rt_cut {
	char		 item_id[RT_ID_MAX];
	uint64_t	 audio_end_ms;
};

/* §6.6 a: the truncations for the LEDGER of N entries when the caller has
 * heard the timeline up to PLAYED_MS: the first unfinished entry at
 * min(sent, heard + cushion), later ones at their heard part (+ cushion)
 * or 0; entries fully heard and not ACTIVE_RESPONSE's are skipped. Writes
 * up to N cuts to OUT. Returns how many. */
size_t	 rt_barge_cuts(const struct rt_entry *ledger, size_t n,
	    uint64_t played_ms, const char *active_response,
	    struct rt_cut *out);

/* ---- client events (realtime_openai_session.c) ---- */

/* session.update with the session object S (borrowed) and, when HISTORY
 * is not empty, the conversation so far appended to its instructions.
 * Returns new text. */
char	*rt_msg_session_update(const struct json_object *s,
	    const char *history);

/* ---- the per-call session (realtime_openai_session.c) ---- */

/* The module's settings. */
struct rt_config {
	char		*api_key;
	char		*url;
	char		*model;
	char		*agents_path;
	unsigned	 append_ms;
	unsigned	 connect_timeout_ms;
	unsigned	 tool_timeout_ms;
	unsigned	 reconnect_attempts;
	unsigned	 reconnect_backoff_ms;
	unsigned	 session_max_minutes;
	char		*apology;
	char		*goodbye;
};

struct rt_call;
struct rt_link;

/* The module-wide state the session code reads. */
struct rt_ctx {
	struct vg_module	*self;
	struct rt_config	*cfg;
	struct rt_agents	*agents;
	struct rt_call		*calls;		/* live sessions */
	struct rt_call		*byid[RT_CALL_BUCKETS];	/* by call id hash */
	struct rt_link		*closing;	/* sockets closed, not yet gone */
};

/* Start the session of CALL_ID with TASK (JSON text or NULL). Returns the
 * call, or NULL (logged). */
struct rt_call *rt_call_start(struct rt_ctx *ctx, const char *call_id,
	    const char *task);
/* The call is over: close the socket now and free RC. */
void	 rt_call_end(struct rt_call *rc);
/* The session of CALL_ID, or NULL. */
struct rt_call *rt_call_find(struct rt_ctx *ctx, const char *call_id);
/* Bus callback for audio.in of every call, ARG the context: the caller's
 * audio goes to the call's session, if it has one. */
void	 rt_on_audio_in(const struct vg_event *ev, void *arg);
/* Unload: forget the sockets still closing (no callback will come). */
void	 rt_ctx_forget(struct rt_ctx *ctx);
/* The call's id. Borrowed. */
const char *rt_call_id(const struct rt_call *rc);
/* Renew RC's session (as before the server's time cap). */
void	 rt_call_renew(struct rt_call *rc);
/* Handle one server event (TEXT of LEN bytes) for RC; for tests and the
 * fuzz harness RC may have no socket. Returns 0, or -1 if it was not a
 * valid event. */
int	 rt_call_server_event(struct rt_call *rc, const char *text,
	    size_t len);
/* How many socket connects RC has made (tests). */
unsigned rt_call_connects(const struct rt_call *rc);

#endif /* VG_REALTIME_OPENAI_H */
