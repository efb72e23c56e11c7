/*
 * twilio_http internals shared by its files and its tests: webhook form
 * bodies, TwiML, and the outbound-call request. Pure functions: any thread
 * (they allocate with the core's x-allocators).
 */
#ifndef VG_TWILIO_HTTP_H
#define VG_TWILIO_HTTP_H

#include <stddef.h>

#include "twilio_sig.h"

struct json_object;

#define TH_FORM_MAX_PARAMS	256	/* parameters in one webhook */
#define TH_TASK_FIELD_MAX	16384	/* one task string, bytes */
#define TH_TWIML_MAX		4000	/* Twilio's limit on inline Twiml */
#define TH_SPEED_MIN		0.25	/* task "speed" bounds */
#define TH_SPEED_MAX		1.5

/* A decoded form body: the parameters in body order, owned. */
struct twilio_form {
	struct twilio_param	*params;
	size_t			 n;
	size_t			 cap;
};

/* Decode BODY (LEN bytes, form-encoded) into FORM, which must be zeroed.
 * Returns 0, or -1 when malformed or over TH_FORM_MAX_PARAMS (FORM is then
 * empty). Borrows BODY. */
int	 twilio_http_form_parse(const char *body, size_t len,
	    struct twilio_form *form);
/* The first value of NAME in FORM, or NULL. Borrowed from FORM. */
const char *twilio_http_form_get(const struct twilio_form *form,
	    const char *name);
/* Release what FORM holds; it is zeroed again. */
void	 twilio_http_form_free(struct twilio_form *form);

/*
 * The TwiML that connects a call to our Media Stream: an optional <Say> of
 * GREETING (NULL or "" for none), then <Connect><Stream url=STREAM_URL> with
 * <Parameter>s call_id = CALL_ID and token = TOKEN. Every value escaped.
 * Borrows all. Returns new (free()).
 */
char	*twilio_http_twiml_stream(const char *stream_url, const char *greeting,
	    const char *call_id, const char *token);
/* The TwiML that dials TO: <Response><Dial>TO</Dial></Response>. Returns
 * new. */
char	*twilio_http_twiml_dial(const char *to);

/*
 * Check that TASK is an object whose fields are all known: type, prompt,
 * context, voice, instructions (strings of at most TH_TASK_FIELD_MAX
 * bytes) and speed (a number in [TH_SPEED_MIN, TH_SPEED_MAX]). Borrows
 * TASK. Returns 0, or -1 with a message for the client in ERR.
 */
int	 twilio_http_task_check(struct json_object *task, char *err,
	    size_t err_size);

/* A parsed outbound-call request. */
struct twilio_http_outbound {
	char			*to;		/* E.164 */
	char			*from;		/* E.164, or NULL: default */
	struct json_object	*task;		/* checked, or NULL: default */
};

/*
 * Parse the JSON body of POST /twilio/outbound-call: {"to", "from"?,
 * "task"?}, numbers E.164, task per twilio_http_task_check(), no other
 * field. Fills OUT (zeroed first). Borrows BODY. Returns 0, or -1 with a
 * message for the client in ERR (OUT then holds nothing).
 */
int	 twilio_http_outbound_parse(const char *body, size_t len,
	    struct twilio_http_outbound *out, char *err, size_t err_size);
/* Release what OUT holds. */
void	 twilio_http_outbound_free(struct twilio_http_outbound *out);

#endif /* VG_TWILIO_HTTP_H */
