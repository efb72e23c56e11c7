/*
 * Text helpers for the Twilio modules: E.164 numbers, XML escaping for
 * TwiML, and the Media Stream URL derived from the public URL. Pure
 * functions: any thread.
 */
#ifndef VG_TWILIO_TEXT_H
#define VG_TWILIO_TEXT_H

/* True when S is an E.164 number: '+', then 8 to 15 digits, the first not
 * zero. Borrows S; NULL is not a number. */
int	 twilio_e164_valid(const char *s);

/*
 * S escaped for XML text and attribute values alike: & < > " ' become
 * entities, tab/newline/carriage return become character references (so an
 * attribute keeps them), and the other control characters XML 1.0 forbids
 * are dropped. Borrows S (NULL is ""). Returns new (free()).
 */
char	*twilio_xml_escape(const char *s);

/*
 * The WebSocket URL for PATH ("/twilio/media-stream") under PUBLIC_URL:
 * https:// becomes wss://, http:// becomes ws:// (local tests only), and a
 * trailing '/' of PUBLIC_URL is dropped. This is the URL Twilio signs on
 * the upgrade. Borrows both. Returns new (free()), or NULL when PUBLIC_URL
 * is not http(s).
 */
char	*twilio_ws_url(const char *public_url, const char *path);

#endif /* VG_TWILIO_TEXT_H */
