#!/usr/bin/env node
// Checks that the official `twilio` helper library reproduces the worked
// signature vectors of PROTOCOLS.md §2.5 (A, C, D, E, F, G; B, the JSON-body
// variant, is checked through validateRequestWithBody too). The C
// implementation is tested against the same vectors, so both agree with
// Twilio's own code. Prints one line per check and "N passed, N failed".
import { loadTwilio, twilioVersion } from './twilio_lib.mjs';

let twilio;
try {
	twilio = loadTwilio();
} catch (e) {
	console.log(`FAIL load_library: ${e.message}`);
	console.log('0 passed, 1 failed');
	process.exit(1);
}
console.log(`# twilio npm library ${twilioVersion()}`);

let passed = 0, failed = 0;
function check(name, cond, detail) {
	if (cond) {
		console.log(`ok   ${name}`);
		passed++;
	} else {
		console.log(`FAIL ${name}${detail ? ': ' + detail : ''}`);
		failed++;
	}
}
function sig(name, token, url, params, want) {
	const got = twilio.getExpectedTwilioSignature(token, url, params);
	check(name, got === want, `got ${got}, want ${want}`);
}

const T = '0123456789abcdef0123456789abcdef';
const urlA = 'https://voice.example.com/twilio/voice?tenant=acme';
const paramsA = {
	AccountSid: 'AC00000000000000000000000000000001',
	ApiVersion: '2010-04-01',
	CallSid: 'CA00000000000000000000000000000002',
	CallStatus: 'ringing',
	Called: '+15005550006',
	Caller: '+14155550100',
	Direction: 'inbound',
	From: '+14155550100',
	To: '+15005550006',
};

// A: inbound voice webhook, its port variant and a tampered To.
sig('A/signature', T, urlA, paramsA, 'eWoH6ZSlEk1sqNbGe28tyWAMv8c=');
sig('A/port_443_variant', T,
    'https://voice.example.com:443/twilio/voice?tenant=acme', paramsA,
    'fdjZbmVykmPurfq5FwCjEypCk9E=');
sig('A/changed_to', T, urlA, { ...paramsA, To: '+15005550007' },
    'VeEb4XbgIaGehR4CLzAY5oC44BE=');
check('A/validate_accepts', twilio.validateRequest(T,
    'eWoH6ZSlEk1sqNbGe28tyWAMv8c=', urlA, paramsA));
check('A/validate_accepts_port_variant', twilio.validateRequest(T,
    'fdjZbmVykmPurfq5FwCjEypCk9E=', urlA, paramsA));
check('A/validate_rejects_changed_to', !twilio.validateRequest(T,
    'eWoH6ZSlEk1sqNbGe28tyWAMv8c=', urlA, { ...paramsA, To: '+15005550007' }));
check('A/validate_rejects_other_token', !twilio.validateRequest(
    'fedcba9876543210fedcba9876543210', 'eWoH6ZSlEk1sqNbGe28tyWAMv8c=', urlA,
    paramsA));

// B: JSON body, bodySHA256 in the query string.
const bodyB = '{"CallSid":"CA00000000000000000000000000000002","event":"test"}';
const urlB = 'https://voice.example.com/twilio/events?bodySHA256=' +
    '88782db250308f42647493116ad852bba8679abafc477205de806dddcea948cf';
sig('B/signature', T, urlB, {}, 'R4rZOa4gg6b+awkr8zF4xK3NthY=');
check('B/validate_with_body', twilio.validateRequestWithBody(T,
    'R4rZOa4gg6b+awkr8zF4xK3NthY=', urlB, bodyB));
check('B/validate_rejects_other_body', !twilio.validateRequestWithBody(T,
    'R4rZOa4gg6b+awkr8zF4xK3NthY=', urlB, bodyB.replace('test', 'tesT')));

// C: WebSocket upgrade, the wss:// URL alone.
sig('C/wss_url', T, 'wss://voice.example.com/media', {},
    'ttk+kVY3Kdi/BWVnuJguRoi2Bjs=');
sig('C/https_url_differs', T, 'https://voice.example.com/media', {},
    'uokm48ntBNlk5PPDctw38CH3GGk=');

// D: a repeated parameter (distinct values sorted, duplicates removed).
sig('D/repeated_param', T, urlA, {
	Digits: ['5678', '1234', '1234'],
	Sid: 'CA123',
	SidAccount: 'AC123',
}, 'tXwAymlB2PKimrgHx3XTb4/39ow=');

// E: the helper libraries' own test vector.
sig('E/library_vector', '12345', 'https://mycompany.com/myapp.php?foo=1&bar=2', {
	CallSid: 'CA1234567890ABCDE',
	Caller: '+14158675309',
	Digits: '1234',
	From: '+14158675309',
	To: '+18005551212',
}, 'RSOYDt4T1cUTdK1PDd93/VVr8B8=');

// F: GET webhook, the URL as written, percent-encoding included.
sig('F/get_url', T, 'https://voice.example.com/twilio/voice?CallSid=' +
    'CA00000000000000000000000000000002&From=%2B14155550100', {},
    'mp0/M9w4RsnKT+wp/ge2oyYvBIg=');

// G: stream status callback.
sig('G/stream_status', T, 'https://voice.example.com/twilio/stream-status', {
	AccountSid: 'AC00000000000000000000000000000001',
	CallSid: 'CA00000000000000000000000000000002',
	StreamEvent: 'stream-started',
	StreamName: 'MZ00000000000000000000000000000003',
	StreamSid: 'MZ00000000000000000000000000000003',
	Timestamp: '2025-09-01T12:00:00.000Z',
}, 'pSqgFcZf60TKv4tckh095PWk2+8=');

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
