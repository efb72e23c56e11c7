/*
 * twilio_common tests: every worked signature vector of PROTOCOLS.md 2.5,
 * both port variants, the failure explanations, E.164 numbers, XML
 * escaping and the stream URL.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <voicegate/util.h>

#include "twilio_sig.h"
#include "twilio_text.h"
#include "vg_test.h"

#define TOKEN	"0123456789abcdef0123456789abcdef"
#define URL_A	"https://voice.example.com/twilio/voice?tenant=acme"

/* The inbound webhook parameters of vector A, decoded. */
static const struct twilio_param params_a[] = {
	{ "AccountSid", "AC00000000000000000000000000000001" },
	{ "ApiVersion", "2010-04-01" },
	{ "CallSid", "CA00000000000000000000000000000002" },
	{ "CallStatus", "ringing" },
	{ "Called", "+15005550006" },
	{ "Caller", "+14155550100" },
	{ "Direction", "inbound" },
	{ "From", "+14155550100" },
	{ "To", "+15005550006" },
};

/* Compute a signature, or "" on error (a static buffer). */
static const char *
sig(const char *token, const char *url, const struct twilio_param *p,
    size_t n)
{
	static char out[TWILIO_SIG_LEN + 1];

	if (twilio_sig_compute(token, url, p, n, out) == -1)
		return ("");
	return (out);
}

/* Vector A, plus the same parameters in another order. */
static void
t_vector_a(void)
{
	struct twilio_param rev[VG_NELEM(params_a)];
	size_t i, n = VG_NELEM(params_a);

	VG_CHECK_STR(sig(TOKEN, URL_A, params_a, n),
	    "eWoH6ZSlEk1sqNbGe28tyWAMv8c=");
	for (i = 0; i < n; i++)
		rev[i] = params_a[n - 1 - i];
	VG_CHECK_STR(sig(TOKEN, URL_A, rev, n),
	    "eWoH6ZSlEk1sqNbGe28tyWAMv8c=");
	VG_CHECK_INT(twilio_sig_validate(TOKEN, URL_A, rev, n,
	    "eWoH6ZSlEk1sqNbGe28tyWAMv8c=", NULL, 0), 0);
}

/* Vector A signed with :443 validates against the URL without a port, and
 * the other way round. */
static void
t_vector_a_port(void)
{
	size_t n = VG_NELEM(params_a);

	VG_CHECK_STR(sig(TOKEN,
	    "https://voice.example.com:443/twilio/voice?tenant=acme", params_a,
	    n), "fdjZbmVykmPurfq5FwCjEypCk9E=");
	VG_CHECK_INT(twilio_sig_validate(TOKEN, URL_A, params_a, n,
	    "fdjZbmVykmPurfq5FwCjEypCk9E=", NULL, 0), 0);
	VG_CHECK_INT(twilio_sig_validate(TOKEN,
	    "https://voice.example.com:443/twilio/voice?tenant=acme", params_a,
	    n, "eWoH6ZSlEk1sqNbGe28tyWAMv8c=", NULL, 0), 0);
}

/* Vector A with To changed: its own signature, and the original refused. */
static void
t_vector_a_tampered(void)
{
	struct twilio_param p[VG_NELEM(params_a)];
	size_t n = VG_NELEM(params_a);
	char why[512];

	memcpy(p, params_a, sizeof(p));
	p[n - 1].value = "+15005550007";
	VG_CHECK_STR(sig(TOKEN, URL_A, p, n), "VeEb4XbgIaGehR4CLzAY5oC44BE=");
	VG_CHECK_INT(twilio_sig_validate(TOKEN, URL_A, p, n,
	    "eWoH6ZSlEk1sqNbGe28tyWAMv8c=", why, sizeof(why)), -1);
	VG_CHECK(strstr(why, "https://voice.example.com/twilio/voice?tenant="
	    "acme") != NULL);
	VG_CHECK(strstr(why, "https://voice.example.com:443/twilio/voice")
	    != NULL);
	VG_CHECK(strstr(why, TOKEN) == NULL);
	VG_CHECK(strstr(why, "eWoH6ZSlEk1sqNbGe28tyWAMv8c=") == NULL);
}

/* Vector B: the JSON variant signs the URL alone. */
static void
t_vector_b(void)
{
	VG_CHECK_STR(sig(TOKEN, "https://voice.example.com/twilio/events?"
	    "bodySHA256=88782db250308f42647493116ad852bba8679abafc477205de806"
	    "dddcea948cf", NULL, 0), "R4rZOa4gg6b+awkr8zF4xK3NthY=");
}

/* Vector C: the WebSocket upgrade is signed over the wss:// URL. */
static void
t_vector_c(void)
{
	VG_CHECK_STR(sig(TOKEN, "wss://voice.example.com/media", NULL, 0),
	    "ttk+kVY3Kdi/BWVnuJguRoi2Bjs=");
	VG_CHECK_STR(sig(TOKEN, "https://voice.example.com/media", NULL, 0),
	    "uokm48ntBNlk5PPDctw38CH3GGk=");
	VG_CHECK_INT(twilio_sig_validate(TOKEN, "wss://voice.example.com/media",
	    NULL, 0, "ttk+kVY3Kdi/BWVnuJguRoi2Bjs=", NULL, 0), 0);
	VG_CHECK_INT(twilio_sig_validate(TOKEN,
	    "wss://voice.example.com:443/media", NULL, 0,
	    "ttk+kVY3Kdi/BWVnuJguRoi2Bjs=", NULL, 0), 0);
	VG_CHECK_INT(twilio_sig_validate(TOKEN, "wss://voice.example.com/media",
	    NULL, 0, "uokm48ntBNlk5PPDctw38CH3GGk=", NULL, 0), -1);
}

/* Vector D: a repeated name, its values sorted, duplicates once. */
static void
t_vector_d(void)
{
	static const struct twilio_param p[] = {
		{ "Digits", "5678" }, { "Digits", "1234" },
		{ "Digits", "1234" }, { "Sid", "CA123" },
		{ "SidAccount", "AC123" },
	};

	VG_CHECK_STR(sig(TOKEN, URL_A, p, VG_NELEM(p)),
	    "tXwAymlB2PKimrgHx3XTb4/39ow=");
}

/* Vector E: twilio-python's own test vector. */
static void
t_vector_e(void)
{
	static const struct twilio_param p[] = {
		{ "CallSid", "CA1234567890ABCDE" },
		{ "Caller", "+14158675309" },
		{ "Digits", "1234" }, { "From", "+14158675309" },
		{ "To", "+18005551212" },
	};

	VG_CHECK_STR(sig("12345", "https://mycompany.com/myapp.php?foo=1&bar=2",
	    p, VG_NELEM(p)), "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
}

/* Vector F: a GET webhook signs the URL as written. */
static void
t_vector_f(void)
{
	const char *url = "https://voice.example.com/twilio/voice?CallSid="
	    "CA00000000000000000000000000000002&From=%2B14155550100";

	VG_CHECK_STR(sig(TOKEN, url, NULL, 0), "mp0/M9w4RsnKT+wp/ge2oyYvBIg=");
	VG_CHECK_INT(twilio_sig_validate(TOKEN, url, NULL, 0,
	    "mp0/M9w4RsnKT+wp/ge2oyYvBIg=", NULL, 0), 0);
}

/* Vector G: a stream status callback. */
static void
t_vector_g(void)
{
	static const struct twilio_param p[] = {
		{ "Timestamp", "2025-09-01T12:00:00.000Z" },
		{ "StreamSid", "MZ00000000000000000000000000000003" },
		{ "StreamName", "MZ00000000000000000000000000000003" },
		{ "StreamEvent", "stream-started" },
		{ "CallSid", "CA00000000000000000000000000000002" },
		{ "AccountSid", "AC00000000000000000000000000000001" },
	};

	VG_CHECK_INT(twilio_sig_validate(TOKEN,
	    "https://voice.example.com/twilio/stream-status", p, VG_NELEM(p),
	    "pSqgFcZf60TKv4tckh095PWk2+8=", NULL, 0), 0);
}

/* A wrong token, a missing and a malformed header are refused. */
static void
t_refused(void)
{
	size_t n = VG_NELEM(params_a);
	char why[512];

	VG_CHECK_INT(twilio_sig_validate("another-token", URL_A, params_a, n,
	    "eWoH6ZSlEk1sqNbGe28tyWAMv8c=", NULL, 0), -1);
	VG_CHECK_INT(twilio_sig_validate(TOKEN, URL_A, params_a, n, NULL, why,
	    sizeof(why)), -1);
	VG_CHECK(strstr(why, "no X-Twilio-Signature") != NULL);
	VG_CHECK_INT(twilio_sig_validate(TOKEN, URL_A, params_a, n, "abc", why,
	    sizeof(why)), -1);
	VG_CHECK(strstr(why, "not a Twilio signature") != NULL);
	VG_CHECK(strstr(why, "abc") == NULL);
	VG_CHECK_INT(twilio_sig_validate(TOKEN, URL_A, params_a, n,
	    "eWoH6ZSlEk1sqNbGe28tyWAMv8d=", NULL, 0), -1);
}

/* Signed over http:// but configured as https://: the reason says so. */
static void
t_explain_scheme(void)
{
	char s[TWILIO_SIG_LEN + 1], why[512];

	twilio_sig_compute(TOKEN, "http://voice.example.com/twilio/voice?"
	    "tenant=acme", params_a, VG_NELEM(params_a), s);
	VG_CHECK_INT(twilio_sig_validate(TOKEN, URL_A, params_a,
	    VG_NELEM(params_a), s, why, sizeof(why)), -1);
	VG_CHECK(strstr(why, "fix the scheme") != NULL);
	VG_CHECK(strstr(why, "http://voice.example.com") != NULL);
	VG_CHECK(strstr(why, s) == NULL);
}

/* Port variants: removed, added, kept, IPv6, user info. */
static void
t_url_variants(void)
{
	char out[256];

	VG_CHECK_INT(twilio_sig_url_variant("https://h.example:8443/p?q=1", 0,
	    out, sizeof(out)), 0);
	VG_CHECK_STR(out, "https://h.example/p?q=1");
	VG_CHECK_INT(twilio_sig_url_variant("https://h.example:8443/p?q=1", 1,
	    out, sizeof(out)), 0);
	VG_CHECK_STR(out, "https://h.example:8443/p?q=1");
	VG_CHECK_INT(twilio_sig_url_variant("http://h.example/p", 1, out,
	    sizeof(out)), 0);
	VG_CHECK_STR(out, "http://h.example:80/p");
	VG_CHECK_INT(twilio_sig_url_variant("wss://h.example", 1, out,
	    sizeof(out)), 0);
	VG_CHECK_STR(out, "wss://h.example:443");
	VG_CHECK_INT(twilio_sig_url_variant("http://[::1]:5050/x", 0, out,
	    sizeof(out)), 0);
	VG_CHECK_STR(out, "http://[::1]/x");
	VG_CHECK_INT(twilio_sig_url_variant("https://u:p@h:1/x", 0, out,
	    sizeof(out)), 0);
	VG_CHECK_STR(out, "https://u:p@h/x");
	VG_CHECK_INT(twilio_sig_url_variant("nourl", 0, out, sizeof(out)), -1);
	VG_CHECK_INT(twilio_sig_url_variant("https:///x", 0, out,
	    sizeof(out)), -1);
	VG_CHECK_INT(twilio_sig_url_variant("https://h.example/p", 1, out, 8),
	    -1);
}

/* E.164: '+', 8..15 digits, no leading zero. */
static void
t_e164(void)
{
	static const struct {
		const char	*s;
		int		 ok;
	} cases[] = {
		{ "+15551234567", 1 }, { "+12345678", 1 },
		{ "+123456789012345", 1 }, { "+1234567", 0 },
		{ "+1234567890123456", 0 }, { "15551234567", 0 },
		{ "+05551234567", 0 }, { "+1555123456a", 0 },
		{ "+1 5551234567", 0 }, { "", 0 }, { "+", 0 },
		{ "client:alice", 0 }, { "+15551234567\n", 0 },
	};
	size_t i;

	for (i = 0; i < VG_NELEM(cases); i++) {
		if (twilio_e164_valid(cases[i].s) != cases[i].ok) {
			fprintf(stderr, "  e164 \"%s\"\n", cases[i].s);
			VG_CHECK(0);
		}
	}
	VG_CHECK(!twilio_e164_valid(NULL));
}

/* XML escaping of every special character; controls dropped. */
static void
t_xml_escape(void)
{
	char *s;

	s = twilio_xml_escape("a&b<c>d\"e'f");
	VG_CHECK_STR(s, "a&amp;b&lt;c&gt;d&quot;e&apos;f");
	free(s);
	s = twilio_xml_escape("x\ty\nz\r\001\033w");
	VG_CHECK_STR(s, "x&#9;y&#10;z&#13;w");
	free(s);
	s = twilio_xml_escape(NULL);
	VG_CHECK_STR(s, "");
	free(s);
	s = twilio_xml_escape("caf\xc3\xa9");
	VG_CHECK_STR(s, "caf\xc3\xa9");
	free(s);
}

/* The stream URL follows the public URL's scheme. */
static void
t_ws_url(void)
{
	char *s;

	s = twilio_ws_url("https://voice.example.com", "/twilio/media-stream");
	VG_CHECK_STR(s, "wss://voice.example.com/twilio/media-stream");
	free(s);
	s = twilio_ws_url("http://127.0.0.1:5050/", "/twilio/media-stream");
	VG_CHECK_STR(s, "ws://127.0.0.1:5050/twilio/media-stream");
	free(s);
	VG_CHECK(twilio_ws_url("ftp://x", "/a") == NULL);
	VG_CHECK(twilio_ws_url("https://", "/a") == NULL);
}

static const struct vg_test cases[] = {
	{ "sig/vector_a", t_vector_a },
	{ "sig/vector_a_port_variant", t_vector_a_port },
	{ "sig/vector_a_tampered_to", t_vector_a_tampered },
	{ "sig/vector_b_json_url_only", t_vector_b },
	{ "sig/vector_c_websocket", t_vector_c },
	{ "sig/vector_d_repeated", t_vector_d },
	{ "sig/vector_e_helper_library", t_vector_e },
	{ "sig/vector_f_get", t_vector_f },
	{ "sig/vector_g_stream_status", t_vector_g },
	{ "sig/refused", t_refused },
	{ "sig/explain_scheme", t_explain_scheme },
	{ "sig/url_variants", t_url_variants },
	{ "text/e164", t_e164 },
	{ "text/xml_escape", t_xml_escape },
	{ "text/ws_url", t_ws_url },
};
VG_TEST_MAIN(cases)
