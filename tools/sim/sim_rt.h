/*
 * voicegate-sim --realtime-server: a cheap stand-in for the OpenAI Realtime
 * API (GA) for load tests and the demo. One thread, epoll; an echoing
 * "model" or a conversation script (the script format of
 * tests/fakes/realtime.mjs). The strict schema checker is the Node fake;
 * this one is lenient and fast. See doc/simulator.md.
 */
#ifndef VG_SIM_RT_H
#define VG_SIM_RT_H

#include <stddef.h>

/* What a spoken response says and sends (script "respond"). */
struct sim_rt_respond {
	char		*text;		/* transcript; NULL: the default */
	int		 audio_ms;	/* of μ-law audio */
	int		 chunk_ms;	/* audio per delta */
	int		 interval_ms;	/* between deltas; 0: all at once */
	int		 tone_hz;	/* 0: μ-law silence with a tiny pattern */
};

/* A function call response (script "call_tool"). */
struct sim_rt_tool {
	char		*name;
	char		*arguments;	/* a JSON text */
	char		*call_id;	/* NULL: made up */
	struct sim_rt_respond say;	/* spoken first, same response */
	int		 has_say;
};

enum sim_rt_act_kind {
	SIM_RT_RESPOND,
	SIM_RT_CALL_TOOL,
	SIM_RT_SPEECH_STARTED,
	SIM_RT_SPEECH_STOPPED,
	SIM_RT_TRANSCRIBE,
	SIM_RT_ERROR,
	SIM_RT_DROP,
	SIM_RT_EXPIRE,
	SIM_RT_CLOSE,
	SIM_RT_SEND
};

/* One action of a step. */
struct sim_rt_action {
	enum sim_rt_act_kind kind;
	struct sim_rt_respond respond;	/* RESPOND, SPEECH_STOPPED */
	int		 has_respond;	/* SPEECH_STOPPED answers */
	struct sim_rt_tool tool;
	int		 leak_chunks;	/* SPEECH_STARTED (default 2) */
	int		 audio_start_ms;	/* SPEECH_STARTED; -1: computed */
	char		*text;		/* TRANSCRIBE; ERROR message; SEND
					 * JSON; CLOSE reason */
	char		*code;		/* ERROR */
	char		*type;		/* ERROR */
	char		*param;		/* ERROR */
	int		 close_code;	/* CLOSE */
};

/* One step: fires on an event (received or sent), after some caller audio
 * or at once, then after_ms later; runs its actions. */
struct sim_rt_step {
	char		*on;		/* event type, or NULL */
	int		 after_ms;
	int		 after_audio_ms;	/* -1: none */
	struct sim_rt_action *acts;
	int		 nacts;
};

struct sim_rt_script {
	struct sim_rt_step *steps;
	int		 nsteps;
};

/* How to serve; everything borrowed for the run. */
struct sim_rt_opts {
	char		 host[64];	/* listen address (loopback default) */
	int		 port;		/* 0: any; printed when listening */
	int		 echo;		/* echo mode (else script) */
	const struct sim_rt_script *script;
	int		 max_sessions;	/* concurrent; 0: unlimited */
	int		 greet_ms;	/* echo mode's answer to response.create */
	double		 time_scale;	/* script times are divided by it */
	double		 lifetime;	/* exit after S seconds; 0: never */
	int		 quiet;		/* no conversation lines */
	int		 port_fd;	/* also write the port here; -1: no */
};

/* ---- sim_rt_script.c ---- */

/* Load the script at PATH ("demo": the built-in demo) into S. Returns 0,
 * or -1 with a message in ERR. */
int	sim_rt_script_load(const char *path, struct sim_rt_script *s,
	    char *err, size_t errsz);

/* Parse the script in the JSON text TEXT into S. Returns 0 or -1 (ERR). */
int	sim_rt_script_parse(const char *text, struct sim_rt_script *s,
	    char *err, size_t errsz);

/* Release what S holds. */
void	sim_rt_script_free(struct sim_rt_script *s);

/* The built-in demo script's JSON text. */
extern const char sim_rt_demo_script[];

/* ---- sim_rt.c ---- */

/* Serve until SIGINT/SIGTERM or the lifetime ends. Returns 0, or 2 if it
 * could not start. */
int	sim_rt_serve(const struct sim_rt_opts *o);

/* ---- sim_rt_test.c ---- */

/* --realtime-self-test: drive an echo server and the demo script in child
 * processes and check what they send. Returns 0 if all checks pass. */
int	sim_rt_self_test(void);

#endif /* VG_SIM_RT_H */
