/*
 * Fuzz harness for twilio_http's outside input: webhook form bodies
 * (decoded into parameters, signed and validated, every value escaped for
 * TwiML) and outbound-call JSON bodies. Each input is used as both.
 *
 * `make check` links this with tests/fuzz/replay.c, which replays every
 * file of the seed corpus (tests/fuzz/corpus/twilio_form, or the folder in
 * argv[1]); an input passes when it is processed without a crash or a
 * broken property. For libFuzzer (clang only), from a configured build
 * tree, SRC being the source tree:
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -DVG_LIBFUZZER \
 *       -DVG_CORE -I. -I$SRC/include -I$SRC/core \
 *       -I$SRC/modules/twilio_common -I$SRC/modules/twilio_http \
 *       $SRC/tests/fuzz/fuzz_twilio_form.c \
 *       $SRC/modules/twilio_http/twilio_http_twiml.c \
 *       $SRC/modules/twilio_common/twilio_sig.c \
 *       $SRC/modules/twilio_common/twilio_text.c \
 *       $SRC/core/form.c $SRC/core/util.c $SRC/core/log.c \
 *       -ljson-c -lcrypto -o fuzz_twilio_form
 *   ./fuzz_twilio_form -max_len=4096 corpus-work/ \
 *       $SRC/tests/fuzz/corpus/twilio_form
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <voicegate/util.h>

#include "twilio_http.h"
#include "twilio_sig.h"
#include "twilio_text.h"

#define FUZZ_TOKEN	"0123456789abcdef0123456789abcdef"
#define FUZZ_URL	"https://voice.example.com/twilio/incoming-call"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Use DATA as a webhook body and as an outbound-call body. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct twilio_form form = { 0 };
	struct twilio_http_outbound ob;
	char sig[TWILIO_SIG_LEN + 1], why[768], err[256], *s;
	size_t i;

	if (twilio_http_form_parse((const char *)data, size, &form) == 0) {
		/* What we sign, we must accept; a changed URL we refuse. */
		if (twilio_sig_compute(FUZZ_TOKEN, FUZZ_URL, form.params,
		    form.n, sig) == -1 ||
		    twilio_sig_validate(FUZZ_TOKEN, FUZZ_URL, form.params,
		    form.n, sig, why, sizeof(why)) != 0 ||
		    twilio_sig_validate(FUZZ_TOKEN, FUZZ_URL "x", form.params,
		    form.n, sig, why, sizeof(why)) != -1 ||
		    strstr(why, FUZZ_TOKEN) != NULL)
			abort();
		for (i = 0; i < form.n; i++) {
			s = twilio_xml_escape(form.params[i].value);
			if (strpbrk(s, "<>\"'") != NULL)
				abort();
			free(s);
			(void)twilio_e164_valid(form.params[i].value);
		}
		twilio_http_form_free(&form);
	}
	if (twilio_http_outbound_parse((const char *)data, size, &ob, err,
	    sizeof(err)) == 0) {
		if (!twilio_e164_valid(ob.to) ||
		    (ob.from != NULL && !twilio_e164_valid(ob.from)))
			abort();
		twilio_http_outbound_free(&ob);
	} else if (err[0] == '\0')
		abort();
	return (0);
}
