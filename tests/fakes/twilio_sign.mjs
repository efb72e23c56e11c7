#!/usr/bin/env node
// Prints the X-Twilio-Signature Twilio would send for a URL and its form
// parameters, computed by the official `twilio` helper library, so the e2e
// tests sign webhooks exactly as Twilio's own code does.
//
//   node twilio_sign.mjs --token TOKEN --url URL [NAME=VALUE ...]
//   node twilio_sign.mjs --token TOKEN --url URL --check SIG [NAME=VALUE ...]
//
// VALUEs are the decoded values (`To=+14155550100`, not `%2B1415...`); a
// NAME given more than once is a repeated parameter. With no NAME=VALUE the
// URL alone is signed (GET requests, WebSocket upgrades). --check validates
// SIG with the library's validateRequest (which accepts both port variants)
// instead: prints "valid" and exits 0, or "invalid" and exits 1.
// Exit 2 on a usage error or when the library is not installed.
import { loadTwilio } from './twilio_lib.mjs';

function usage(msg) {
	if (msg)
		process.stderr.write(`twilio_sign: ${msg}\n`);
	process.stderr.write('usage: twilio_sign.mjs --token TOKEN --url URL ' +
	    '[--check SIG] [NAME=VALUE ...]\n');
	process.exit(2);
}

let token, url, check;
const params = {};
let nparams = 0;
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
	const a = argv[i];
	if (a === '--token' || a === '--url' || a === '--check') {
		if (i + 1 >= argv.length)
			usage(`${a} needs a value`);
		const v = argv[++i];
		if (a === '--token') token = v;
		else if (a === '--url') url = v;
		else check = v;
	} else if (a === '-h' || a === '--help') {
		usage();
	} else if (a.startsWith('--')) {
		usage(`unknown option ${a}`);
	} else {
		const eq = a.indexOf('=');
		if (eq <= 0)
			usage(`not NAME=VALUE: ${a}`);
		const k = a.slice(0, eq), v = a.slice(eq + 1);
		if (Object.hasOwn(params, k))
			params[k] = [].concat(params[k], v);
		else
			params[k] = v;
		nparams++;
	}
}
if (token === undefined || url === undefined)
	usage('--token and --url are required');

let twilio;
try {
	twilio = loadTwilio();
} catch (e) {
	process.stderr.write(`twilio_sign: ${e.message}\n`);
	process.exit(2);
}
if (check !== undefined) {
	const ok = twilio.validateRequest(token, check, url, params);
	process.stdout.write(ok ? 'valid\n' : 'invalid\n');
	process.exit(ok ? 0 : 1);
}
process.stdout.write(twilio.getExpectedTwilioSignature(token, url, params) +
    '\n');
