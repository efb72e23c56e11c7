/*
 * ui_events: who may see the page, the feed and the API. The operator's
 * API key (Authorization: Bearer, or once at login), and sessions: random
 * tokens kept in memory only, carried by an HttpOnly SameSite=Strict
 * cookie. Keys are compared as digests in constant time and never logged.
 * Core thread.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include <voicegate/voicegate.h>

#include "ui_events.h"

/* True when A (LA bytes) equals B (LB bytes), in time independent of
 * either's content and length. */
static int
ui_auth_equal(const char *a, size_t la, const char *b, size_t lb)
{
	unsigned char da[EVP_MAX_MD_SIZE], db[EVP_MAX_MD_SIZE];
	unsigned int na = 0, nb = 0;

	if (EVP_Digest(a, la, da, &na, EVP_sha256(), NULL) != 1 ||
	    EVP_Digest(b, lb, db, &nb, EVP_sha256(), NULL) != 1 || na != nb)
		return (0);
	return (vg_memcmp_const(da, db, na) == 0);
}

/* Compare KEY with the configured key. */
int
ui_auth_key_ok(const char *key)
{
	const char *want = ui_g.conf.api_key;

	if (want == NULL || *want == '\0' || key == NULL)
		return (0);
	return (ui_auth_equal(key, strlen(key), want, strlen(want)));
}

/* Find cookie NAME in HEADER ("a=1; b=2"). */
int
ui_auth_cookie(const char *header, const char *name, char *out, size_t size)
{
	const char *p = header, *v;
	size_t n = strlen(name), vl;

	while (p != NULL && *p != '\0') {
		while (*p == ' ' || *p == ';')
			p++;
		if (strncmp(p, name, n) == 0 && p[n] == '=') {
			v = p + n + 1;
			vl = strcspn(v, ";");
			while (vl > 0 && v[vl - 1] == ' ')
				vl--;
			if (vl >= size)
				return (-1);
			memcpy(out, v, vl);
			out[vl] = '\0';
			return (0);
		}
		p = strchr(p, ';');
	}
	return (-1);
}

/* The live session of TOKEN, or NULL; expired ones are freed on the way.
 * Every live slot is compared, so the time taken does not tell which. */
static struct ui_session *
ui_session_find(const char *token)
{
	struct ui_session *s, *found = NULL;
	uint64_t now = vg_now_ms();
	size_t i, tl = strlen(token);

	for (i = 0; i < UI_SESSIONS_MAX; i++) {
		s = &ui_g.sessions[i];
		if (s->token[0] == '\0')
			continue;
		if (s->expires_ms <= now) {
			explicit_bzero(s, sizeof(*s));
			continue;
		}
		if (ui_auth_equal(token, tl, s->token, strlen(s->token)))
			found = s;
	}
	return (found);
}

/* Check a request's credentials. */
int
ui_auth_check(const char *authorization, const char *cookie)
{
	char token[2 * UI_TOKEN_BYTES + 1];

	if (ui_g.conf.api_key == NULL || *ui_g.conf.api_key == '\0')
		return (0);
	if (authorization != NULL) {
		if (strncasecmp(authorization, "Bearer ", 7) == 0 &&
		    ui_auth_key_ok(authorization + 7))
			return (1);
		return (0);	/* a wrong key is not saved by a cookie */
	}
	if (cookie != NULL && ui_auth_cookie(cookie, UI_COOKIE, token,
	    sizeof(token)) == 0 && strlen(token) == 2 * UI_TOKEN_BYTES)
		return (ui_session_find(token) != NULL);
	return (0);
}

/* Start a session. */
int
ui_session_new(char token[2 * UI_TOKEN_BYTES + 1])
{
	unsigned char raw[UI_TOKEN_BYTES];
	struct ui_session *s, *oldest = NULL;
	uint64_t now = vg_now_ms();
	size_t i;

	if (vg_random(raw, sizeof(raw)) == -1) {
		vg_log(VG_LOG_ERROR, "login: no random bytes for a session");
		return (-1);
	}
	for (i = 0; i < UI_SESSIONS_MAX; i++) {
		s = &ui_g.sessions[i];
		if (s->token[0] == '\0' || s->expires_ms <= now) {
			oldest = s;
			break;
		}
		if (oldest == NULL || s->expires_ms < oldest->expires_ms)
			oldest = s;	/* full: the oldest makes room */
	}
	for (i = 0; i < UI_TOKEN_BYTES; i++)
		snprintf(token + 2 * i, 3, "%02x", raw[i]);
	explicit_bzero(raw, sizeof(raw));
	vg_strlcpy(oldest->token, token, sizeof(oldest->token));
	oldest->expires_ms = now + (uint64_t)ui_g.conf.session_ttl_s * 1000;
	return (0);
}

/* End TOKEN's session. */
void
ui_session_end(const char *token)
{
	struct ui_session *s;

	if (token != NULL && (s = ui_session_find(token)) != NULL)
		explicit_bzero(s, sizeof(*s));
}

/* Forget every session. */
void
ui_session_clear(void)
{
	explicit_bzero(ui_g.sessions, sizeof(ui_g.sessions));
}

/* Count live sessions. */
unsigned
ui_session_count(void)
{
	uint64_t now = vg_now_ms();
	unsigned n = 0;
	size_t i;

	for (i = 0; i < UI_SESSIONS_MAX; i++) {
		if (ui_g.sessions[i].token[0] != '\0' &&
		    ui_g.sessions[i].expires_ms > now)
			n++;
	}
	return (n);
}

/* Is ORIGIN ("http://host:port") the same host as HOST ("host:port")? */
int
ui_auth_same_origin(const char *origin, const char *host)
{
	const char *p;

	if (origin == NULL)
		return (1);	/* not a browser's cross-site request */
	if (host == NULL)
		return (0);
	if ((p = strstr(origin, "://")) == NULL)
		return (0);
	return (strcasecmp(p + 3, host) == 0);
}
