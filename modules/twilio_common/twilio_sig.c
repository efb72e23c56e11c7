/*
 * Twilio request signatures: HMAC-SHA1 over the requested URL and the
 * sorted POST parameters, base64 with padding, compared in constant time
 * against both port variants of the URL (PROTOCOLS.md 2.1, 2.3). Any
 * thread: no state.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <voicegate/util.h>

#include "twilio_sig.h"

#define SIG_URL_MAX	2048	/* longest URL variant we build */
#define SIG_DIGEST_LEN	20	/* SHA-1 */

/* Order two parameters by name, then value, in plain byte order. */
static int
sig_param_cmp(const void *a, const void *b)
{
	const struct twilio_param *pa = *(const struct twilio_param *const *)a;
	const struct twilio_param *pb = *(const struct twilio_param *const *)b;
	int c;

	if ((c = strcmp(pa->name, pb->name)) != 0)
		return (c);
	return (strcmp(pa->value, pb->value));
}

/* The default port of SCHEME (LEN bytes), or NULL when unknown. */
static const char *
sig_default_port(const char *scheme, size_t len)
{
	if ((len == 5 && strncasecmp(scheme, "https", 5) == 0) ||
	    (len == 3 && strncasecmp(scheme, "wss", 3) == 0))
		return ("443");
	if ((len == 4 && strncasecmp(scheme, "http", 4) == 0) ||
	    (len == 2 && strncasecmp(scheme, "ws", 2) == 0))
		return ("80");
	return (NULL);
}

/* Build URL with its port removed (VARIANT 0) or the default one added. */
int
twilio_sig_url_variant(const char *url, int variant, char *out,
    size_t out_size)
{
	const char *sep, *auth, *end, *host_end, *port, *dflt;
	int n;

	if (url == NULL || (sep = strstr(url, "://")) == NULL || sep == url)
		return (-1);
	auth = sep + 3;
	end = auth + strcspn(auth, "/?#");
	if ((port = memchr(auth, '@', end - auth)) != NULL)
		auth = port + 1;		/* skip user info */
	if (auth == end)
		return (-1);
	if (*auth == '[') {
		if ((host_end = memchr(auth, ']', end - auth)) == NULL)
			return (-1);
		host_end++;
	} else if ((host_end = memchr(auth, ':', end - auth)) == NULL)
		host_end = end;
	port = host_end < end && *host_end == ':' ? host_end + 1 : NULL;
	if (variant == 0)
		n = snprintf(out, out_size, "%.*s%s", (int)(host_end - url),
		    url, end);
	else if (port != NULL)
		n = snprintf(out, out_size, "%s", url);
	else {
		if ((dflt = sig_default_port(url, sep - url)) == NULL)
			n = snprintf(out, out_size, "%s", url);
		else
			n = snprintf(out, out_size, "%.*s:%s%s",
			    (int)(end - url), url, dflt, end);
	}
	return (n < 0 || (size_t)n >= out_size ? -1 : 0);
}

/* Compute the signature of URL and PARAMS with TOKEN into OUT. */
int
twilio_sig_compute(const char *token, const char *url,
    const struct twilio_param *params, size_t n, char *out)
{
	const struct twilio_param **sorted = NULL, *prev = NULL;
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	size_t i, len, off;
	char *buf;

	if (token == NULL || url == NULL || out == NULL ||
	    (n > 0 && params == NULL))
		return (-1);
	len = strlen(url);
	if (n > 0) {
		sorted = vg_xcalloc(n, sizeof(*sorted));
		for (i = 0; i < n; i++) {
			if (params[i].name == NULL || params[i].value == NULL) {
				free(sorted);
				return (-1);
			}
			sorted[i] = &params[i];
			len += strlen(params[i].name) +
			    strlen(params[i].value);
		}
		qsort(sorted, n, sizeof(*sorted), sig_param_cmp);
	}
	buf = vg_xmalloc(len + 1);
	off = strlen(url);
	memcpy(buf, url, off);
	for (i = 0; i < n; i++) {
		if (prev != NULL && sig_param_cmp(&prev, &sorted[i]) == 0)
			continue;		/* the same pair again */
		prev = sorted[i];
		memcpy(buf + off, prev->name, strlen(prev->name));
		off += strlen(prev->name);
		memcpy(buf + off, prev->value, strlen(prev->value));
		off += strlen(prev->value);
	}
	buf[off] = '\0';
	free(sorted);
	if (HMAC(EVP_sha1(), token, (int)strlen(token), (unsigned char *)buf,
	    off, digest, &dlen) == NULL || dlen != SIG_DIGEST_LEN) {
		free(buf);
		return (-1);
	}
	free(buf);
	EVP_EncodeBlock((unsigned char *)out, digest, (int)dlen);
	out[TWILIO_SIG_LEN] = '\0';
	return (0);
}

/* True when SIG (TWILIO_SIG_LEN bytes) signs URL and PARAMS. */
static int
sig_matches(const char *token, const char *url,
    const struct twilio_param *params, size_t n, const char *sig)
{
	char want[TWILIO_SIG_LEN + 1];

	if (twilio_sig_compute(token, url, params, n, want) == -1)
		return (0);
	return (vg_memcmp_const(want, sig, TWILIO_SIG_LEN) == 0);
}

/* URL with http<->https and ws<->wss swapped into OUT; -1 if neither. */
static int
sig_swap_scheme(const char *url, char *out, size_t out_size)
{
	static const char *const swap[][2] = {
		{ "https://", "http://" }, { "http://", "https://" },
		{ "wss://", "ws://" }, { "ws://", "wss://" },
	};
	size_t i, l;
	int n;

	for (i = 0; i < VG_NELEM(swap); i++) {
		l = strlen(swap[i][0]);
		if (strncasecmp(url, swap[i][0], l) != 0)
			continue;
		n = snprintf(out, out_size, "%s%s", swap[i][1], url + l);
		return (n < 0 || (size_t)n >= out_size ? -1 : 0);
	}
	return (-1);
}

/* Explain in WHY why no variant of URL matched SIG. */
static void
sig_explain(const char *token, const char *url,
    const struct twilio_param *params, size_t n, const char *sig,
    const char *v0, const char *v1, char *why, size_t why_size)
{
	char other[SIG_URL_MAX], ov[SIG_URL_MAX];
	int k;

	if (sig == NULL || *sig == '\0') {
		snprintf(why, why_size, "no X-Twilio-Signature header");
		return;
	}
	if (strlen(sig) != TWILIO_SIG_LEN) {
		snprintf(why, why_size, "X-Twilio-Signature is %zu characters, "
		    "not %d: not a Twilio signature", strlen(sig),
		    TWILIO_SIG_LEN);
		return;
	}
	if (v0 == NULL) {
		snprintf(why, why_size, "signature does not match %s (%zu "
		    "parameters); check public_url and the auth token", url,
		    n);
		return;
	}
	if (sig_swap_scheme(url, other, sizeof(other)) == 0) {
		for (k = 0; k < 2; k++) {
			if (twilio_sig_url_variant(other, k, ov,
			    sizeof(ov)) == 0 &&
			    sig_matches(token, ov, params, n, sig)) {
				snprintf(why, why_size, "signature matches %s, "
				    "not %s: fix the scheme of public_url (a "
				    "TLS-terminating proxy?)", ov, v0);
				return;
			}
		}
	}
	snprintf(why, why_size, "signature matches neither %s nor %s (%zu "
	    "parameters); check public_url scheme/host/port, that the proxy "
	    "does not rewrite the path or query, that the body is not "
	    "re-encoded, and that the auth token is this account's", v0, v1,
	    n);
}

/* Check SIG against both port variants of URL with PARAMS. */
int
twilio_sig_validate(const char *token, const char *url,
    const struct twilio_param *params, size_t n, const char *sig,
    char *why, size_t why_size)
{
	char v0[SIG_URL_MAX], v1[SIG_URL_MAX];
	int have;

	if (why != NULL && why_size > 0)
		why[0] = '\0';
	if (token == NULL || url == NULL)
		return (-1);
	have = twilio_sig_url_variant(url, 0, v0, sizeof(v0)) == 0 &&
	    twilio_sig_url_variant(url, 1, v1, sizeof(v1)) == 0;
	if (sig != NULL && strlen(sig) == TWILIO_SIG_LEN) {
		if (have) {
			if (sig_matches(token, v0, params, n, sig) ||
			    sig_matches(token, v1, params, n, sig))
				return (0);
		} else if (sig_matches(token, url, params, n, sig))
			return (0);
	}
	if (why != NULL && why_size > 0)
		sig_explain(token, url, params, n, sig, have ? v0 : NULL,
		    have ? v1 : NULL, why, why_size);
	return (-1);
}
