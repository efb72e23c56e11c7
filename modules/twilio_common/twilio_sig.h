/*
 * Twilio request signatures (X-Twilio-Signature): HMAC-SHA1 with the
 * account's auth token over the URL Twilio requested followed by the sorted
 * POST parameters, base64-encoded (PROTOCOLS.md section 2). Shared by
 * twilio_http (webhooks) and media_ws (the WebSocket upgrade, signed over
 * the wss:// URL alone). Pure functions of their arguments: any thread.
 */
#ifndef VG_TWILIO_SIG_H
#define VG_TWILIO_SIG_H

#include <stddef.h>

/* A signature: base64 of a 20-byte digest, with padding. */
#define TWILIO_SIG_LEN	28

/* One decoded POST parameter. Both strings are borrowed. */
struct twilio_param {
	const char	*name;
	const char	*value;
};

/*
 * Compute the signature of URL followed by the N parameters in PARAMS
 * (sorted by name in byte order, a repeated name's distinct values sorted,
 * exact duplicates counted once) with TOKEN as key, into OUT (room for
 * TWILIO_SIG_LEN + 1 bytes). N may be 0 (GET requests and the WebSocket
 * upgrade). Borrows everything. Returns 0, or -1 on a bad argument.
 */
int	 twilio_sig_compute(const char *token, const char *url,
	    const struct twilio_param *params, size_t n, char *out);

/*
 * Check SIG (the header's value; NULL when absent) against URL and PARAMS
 * as twilio_sig_compute() does, accepting both port variants: URL with its
 * port removed and with the scheme's default port added (as the helper
 * libraries do). Compares in constant time. When it fails and WHY is not
 * NULL, WHY (WHY_SIZE bytes) says why for the log: which URLs were tried
 * and what to check. WHY never contains TOKEN or SIG. Borrows everything.
 * Returns 0 when valid, -1 otherwise.
 */
int	 twilio_sig_validate(const char *token, const char *url,
	    const struct twilio_param *params, size_t n, const char *sig,
	    char *why, size_t why_size);

/*
 * URL with its port removed (VARIANT 0) or with the scheme's default port
 * added when it has none (VARIANT 1: 443 for https/wss, 80 for http/ws),
 * into OUT (OUT_SIZE bytes). Returns 0, or -1 if URL has no scheme://host
 * or OUT is too small.
 */
int	 twilio_sig_url_variant(const char *url, int variant, char *out,
	    size_t out_size);

#endif /* VG_TWILIO_SIG_H */
