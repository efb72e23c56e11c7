/*
 * voicegate-sim internals: Twilio signatures, μ-law audio, the TwiML reader,
 * the strict reader of Media Streams messages, the call engine (one thread,
 * epoll) and the in-process fake voicegate of --self-test.
 */
#ifndef VG_SIM_H
#define VG_SIM_H

#include <stddef.h>
#include <stdint.h>

#define SIM_FRAME_BYTES	160		/* 20 ms of μ-law at 8 kHz */
#define SIM_FRAME_MS	20
#define SIM_MAX_PARAMS	16
#define SIM_MAX_URL	512
#define SIM_MAX_NAME	128
#define SIM_MAX_VALUE	512

/* One name/value pair (form parameter or TwiML <Parameter>). */
struct sim_param {
	char		 name[SIM_MAX_NAME];
	char		 value[SIM_MAX_VALUE];
};

/* What a TwiML answer asks for. */
struct sim_twiml {
	char		 stream_url[SIM_MAX_URL];
	struct sim_param params[SIM_MAX_PARAMS];
	int		 nparams;
	int		 says;		/* <Say> verbs before <Connect> */
};

/* ---- sim_sign.c ---- */

/* Compute Twilio's X-Twilio-Signature for URL and the NP parameters P
 * (decoded values; any order) with TOKEN into OUT (29 bytes). Borrows
 * everything. Returns 0 or -1. */
int	sim_sign(const char *token, const char *url,
	    const struct sim_param *p, int np, char *out);

/* Append S to OUT (size OUTSZ) form-url-encoded. Returns 0, or -1 if it
 * does not fit. */
int	sim_form_encode(char *out, size_t outsz, const char *s);

/* ---- sim_audio.c ---- */

/* Return the G.711 μ-law byte for the 16-bit linear sample PCM. */
uint8_t	sim_ulaw_encode(int16_t pcm);

/* Return the 16-bit linear sample of the μ-law byte U. */
int16_t	sim_ulaw_decode(uint8_t u);

/* Load PATH (WAV: μ-law 8 kHz, or 16-bit PCM 8/16 kHz mono; otherwise raw
 * μ-law) into *OUT (returns new, malloc) and *LEN. Returns 0, or -1 with a
 * message in ERR. */
int	sim_audio_load(const char *path, uint8_t **out, size_t *len,
	    char *err, size_t errsz);

/* Make MS milliseconds of a HZ sine (0: silence) at a quarter of full
 * scale into *OUT (returns new) and *LEN. Returns 0 or -1. */
int	sim_audio_tone(double hz, int ms, uint8_t **out, size_t *len);

/* Write the μ-law bytes P/LEN to PATH, as a WAV file if the name ends in
 * ".wav", raw otherwise. Returns 0 or -1 (errno set). */
int	sim_audio_save(const char *path, const uint8_t *p, size_t len);

/* ---- sim_twiml.c ---- */

/* Read the TwiML document TEXT/LEN strictly into T. Returns 0, or -1 with
 * a message in ERR. */
int	sim_twiml_parse(const char *text, size_t len, struct sim_twiml *t,
	    char *err, size_t errsz);

/* ---- sim_json.c ---- */

#define SIM_JSON_MAX_KEYS 8

/* A JSON object whose values are strings or objects of strings (all that a
 * Media Streams message to Twilio may hold); strings point into the parsed
 * text, unescaped in place. */
struct sim_jobj {
	int		 n;
	const char	*key[SIM_JSON_MAX_KEYS];
	const char	*str[SIM_JSON_MAX_KEYS];	/* NULL for an object */
	size_t		 slen[SIM_JSON_MAX_KEYS];
	struct sim_jobj	*obj[SIM_JSON_MAX_KEYS];
};

/* Parse TEXT/LEN (modified in place) into ROOT, using the NSUB objects at
 * SUB for nested objects. Returns 0, or -1 if it is not such an object
 * (anything else: numbers, arrays, duplicate keys, trailing bytes). */
int	sim_json_parse(char *text, size_t len, struct sim_jobj *root,
	    struct sim_jobj *sub, int nsub);

/* Return the index of KEY in O, or -1. */
int	sim_json_find(const struct sim_jobj *o, const char *key);

/* Decode base64 IN/LEN into OUT (room for LEN / 4 * 3 bytes). Returns the
 * decoded length, or -1 if it is not valid padded base64. */
long	sim_b64_decode(const char *in, size_t len, uint8_t *out);

/* ---- sim_fake.c ---- */

/* Options of the in-process fake voicegate (--self-test). */
struct sim_fake_opts {
	const char	*token;		/* auth token to check signatures */
	const char	*public_url;	/* signed webhook base */
	int		 mark_every;	/* send a mark after N echoed frames */
	int		 clear_at;	/* after N frames: burst, clear */
	int		 bad_event;	/* send one unknown event */
};

/* Counters of the fake, read after sim_fake_stop(). */
struct sim_fake_stats {
	int		 webhooks;
	int		 bad_signatures;
	int		 upgrades;
	int		 starts;
	int		 stops;
	int		 dtmf;
	long		 media_in;
	int		 marks_echoed;
	int		 protocol_errors;	/* bad messages from the sim */
};

/* Start the fake on a loopback ephemeral port (a thread); sets *PORT.
 * Borrows O until sim_fake_stop(). Returns 0 or -1. */
int	sim_fake_start(const struct sim_fake_opts *o, int *port);

/* Stop the fake, wait for its threads and copy its counters to S. */
void	sim_fake_stop(struct sim_fake_stats *s);

/* ---- sim_run.c: the call engine ---- */

/* How to place the calls; everything borrowed for the run. */
struct sim_opts {
	char		 host[128];	/* target, resolved once */
	int		 port;
	char		 prefix[256];	/* target URL path before /twilio */
	const char	*public_url;	/* signed webhook base */
	const char	*webhook_path;
	const char	*token;
	const char	*ws_url;	/* ws://host:port/path override */
	const char	*account_sid;
	const char	*from;
	const char	*to;
	const struct sim_twiml *twiml;	/* stream from this, no webhook */
	const char	*call_sid;	/* the CallSid of a --twiml call */
	int		 calls;
	double		 ramp;		/* calls started per second; 0: all */
	double		 duration;	/* seconds of caller audio */
	const uint8_t	*audio;		/* μ-law, looped */
	size_t		 audio_len;
	const char	*dtmf;		/* digits, or NULL */
	double		 dtmf_at;	/* seconds after start */
	const char	*record;	/* heard audio of the first call */
	int		 echo;		/* expect our audio back */
	int		 tag;		/* stamp frame numbers into the LSBs */
	double		 drain;		/* seconds to wait after the audio */
	double		 timeout;	/* per set-up step */
	int		 json;
	int		 per_call;
	int		 quiet;
};

/* Totals of one run, for callers that check them (the self-test). */
struct sim_totals {
	int		 ok;
	int		 failed;
	long		 protocol_errors;
	long		 frames_sent;
	long		 frames_echoed;
	long		 frames_lost;
	long		 audio_bytes;	/* agent audio received */
	long		 marks;
	long		 clears;
	long		 record_bytes;	/* heard audio written to --record */
	double		 webhook_p50_ms;
	double		 rtt_p50_ms;
	double		 rtt_p99_ms;
	double		 mark_wait_max_ms;	/* longest mark echo delay */
};

/* Place the calls O describes, print the report and fill T (may be NULL).
 * Returns 0 if every call succeeded without protocol errors, 1 if not, 2
 * if the run could not start. */
int	sim_run(const struct sim_opts *o, struct sim_totals *t);

#endif /* VG_SIM_H */
