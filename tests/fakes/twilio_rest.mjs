#!/usr/bin/env node
// A strict fake of Twilio's REST API, Calls resource (PROTOCOLS.md §3), for
// the tests of twilio_http. Written from PROTOCOLS.md; stricter than Twilio
// where our client must not rely on leniency (an unknown parameter, a
// repeated single-valued one, both Url and Twiml: 400). Loopback only.
//
//   node twilio_rest.mjs [--host 127.0.0.1] [--port 0] --account AC... \
//       --token TOKEN [--api-key SK...:SECRET] [--state-file F] \
//       [--max-lifetime SECONDS]
//
// Prints "listening on PORT" once it listens. See README.md for the API,
// the control endpoints under /_fake/ and how tests use them.
import { createServer, request } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import { loadTwilio } from './twilio_lib.mjs';

let twilio;
try {
	twilio = loadTwilio();
} catch (e) {
	process.stderr.write(`twilio_rest: ${e.message}\n`);
	process.exit(2);
}

// ---- command line ----
const opt = {
	host: '127.0.0.1', port: 0, account: null, token: null, apiKey: null,
	stateFile: null, maxLifetime: 900,
};
function usage(msg) {
	process.stderr.write(`twilio_rest: ${msg}\nusage: twilio_rest.mjs ` +
	    '[--host H] [--port N] --account AC... --token TOKEN ' +
	    '[--api-key SK...:SECRET] [--state-file F] [--max-lifetime S]\n');
	process.exit(2);
}
{
	const argv = process.argv.slice(2);
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i], v = argv[i + 1];
		const need = () => {
			if (v === undefined)
				usage(`${a} needs a value`);
			i++;
			return v;
		};
		switch (a) {
		case '--host': opt.host = need(); break;
		case '--port': opt.port = Number(need()); break;
		case '--account': opt.account = need(); break;
		case '--token': opt.token = need(); break;
		case '--api-key': opt.apiKey = need(); break;
		case '--state-file': opt.stateFile = need(); break;
		case '--max-lifetime': opt.maxLifetime = Number(need()); break;
		default: usage(`unknown argument ${a}`);
		}
	}
	if (!opt.account || !/^AC[0-9a-f]{32}$/.test(opt.account))
		usage('--account must be AC followed by 32 lower-case hex digits');
	if (!opt.token)
		usage('--token is required');
	if (!Number.isInteger(opt.port) || opt.port < 0 || opt.port > 65535)
		usage('bad --port');
	if (opt.apiKey && !/^SK[0-9a-f]{32}:.+$/.test(opt.apiKey))
		usage('--api-key must be SK + 32 hex digits, a colon, the secret');
}

// ---- state ----
const API = '/2010-04-01';
const ACCOUNT_PREFIX = `${API}/Accounts/${opt.account}`;
let requests = [];     // every API request (not /_fake/), in order
let callbacks = [];    // every request the fake made (status callbacks, Url)
let calls = new Map(); // sid → call record
let script = { delay_ms: 0, fail_next: [], callback_order: 'normal' };
let reqSeq = 0;

function saveState() {
	if (!opt.stateFile)
		return;
	const tmp = `${opt.stateFile}.tmp`;
	writeFileSync(tmp, JSON.stringify({
		requests, callbacks, calls: [...calls.values()].map(callJson),
	}, null, 1));
	renameSync(tmp, opt.stateFile);
}

function hex(n) {
	return randomBytes(n).toString('hex');
}

// RFC 2822 in UTC, as Twilio writes dates: "Mon, 01 Sep 2025 12:00:05 +0000".
function rfc2822(ms) {
	return new Date(ms).toUTCString().replace(/GMT$/, '+0000');
}

// ---- error bodies (PROTOCOLS §3.5) ----
function twilioError(status, code, message) {
	return {
		status,
		body: {
			code, message,
			more_info: `https://www.twilio.com/docs/errors/${code}`,
			status,
		},
	};
}
// Answers the fake gives for what Twilio would accept but we forbid.
function strictError(message) {
	return twilioError(400, 20001, `${message} (strict fake)`);
}

// ---- validation helpers ----
// E.164: "+", country code, subscriber number, 15 digits at most; North
// American numbers (+1) have exactly 10 digits after the 1.
const isE164 = (s) => /^\+[1-9][0-9]{6,14}$/.test(s) &&
    (!s.startsWith('+1') || /^\+1[2-9][0-9]{9}$/.test(s));
const isTo = (s) => isE164(s) || /^client:[A-Za-z0-9_.-]+$/.test(s) ||
    /^sip:[^\s@]+@[^\s]+$/.test(s);

function isAbsoluteUrl(s) {
	try {
		const u = new URL(s);
		return (u.protocol === 'http:' || u.protocol === 'https:') &&
		    u.host !== '' && s === s.trim();
	} catch {
		return false;
	}
}
const isMethod = (s) => s === 'GET' || s === 'POST';
const isBool = (s) => s === 'true' || s === 'false';
const intIn = (lo, hi) => (s) => /^[0-9]+$/.test(s) &&
    Number(s) >= lo && Number(s) <= hi;
const isTwiml = (s) => s.length <= 4000 &&
    /^\s*(<\?xml[^>]*\?>\s*)?<Response\s*(\/>|>[\s\S]*<\/Response>)\s*$/.test(s);

// Parameter tables: name → [validator or null, repeatable, error code].
const CREATE_PARAMS = {
	To: [isTo, false, 21211],
	From: [isTo, false, 21212],
	Url: [isAbsoluteUrl, false, 21205],
	Twiml: [isTwiml, false, 12100],
	ApplicationSid: [(s) => /^AP[0-9a-f]{32}$/.test(s), false, 21218],
	Method: [isMethod, false, 21207],
	FallbackUrl: [isAbsoluteUrl, false, 21208],
	FallbackMethod: [isMethod, false, 21209],
	StatusCallback: [isAbsoluteUrl, false, 21609],
	StatusCallbackEvent: [(s) => ['initiated', 'ringing', 'answered',
	    'completed'].includes(s), true, 21626],
	StatusCallbackMethod: [isMethod, false, 21610],
	Timeout: [intIn(1, 600), false, 21210],
	Record: [isBool, false, 20001],
	RecordingChannels: [(s) => s === 'mono' || s === 'dual', false, 20001],
	RecordingStatusCallback: [isAbsoluteUrl, false, 20001],
	RecordingStatusCallbackMethod: [isMethod, false, 20001],
	RecordingStatusCallbackEvent: [(s) => ['in-progress', 'completed',
	    'absent'].includes(s), true, 20001],
	RecordingTrack: [(s) => ['inbound', 'outbound', 'both'].includes(s),
	    false, 20001],
	Trim: [(s) => s === 'trim-silence' || s === 'do-not-trim', false, 20001],
	MachineDetection: [(s) => s === 'Enable' || s === 'DetectMessageEnd',
	    false, 20001],
	MachineDetectionTimeout: [intIn(3, 59), false, 20001],
	MachineDetectionSpeechThreshold: [intIn(1000, 6000), false, 20001],
	MachineDetectionSpeechEndThreshold: [intIn(500, 5000), false, 20001],
	MachineDetectionSilenceTimeout: [intIn(2000, 10000), false, 20001],
	AsyncAmd: [isBool, false, 20001],
	AsyncAmdStatusCallback: [isAbsoluteUrl, false, 20001],
	AsyncAmdStatusCallbackMethod: [isMethod, false, 20001],
	TimeLimit: [intIn(1, 14400), false, 20001],
	SendDigits: [(s) => /^[0-9A-Dw W#*]{1,32}$/.test(s), false, 20001],
	CallerId: [null, false, 20001],
	CallReason: [null, false, 20001],
	Byoc: [null, false, 20001],
	CallToken: [null, false, 20001],
	SipAuthUsername: [null, false, 20001],
	SipAuthPassword: [null, false, 20001],
	ClientNotificationUrl: [isAbsoluteUrl, false, 20001],
};
const UPDATE_PARAMS = {
	Status: [(s) => s === 'completed' || s === 'canceled', false, 20001],
	Url: CREATE_PARAMS.Url,
	Twiml: CREATE_PARAMS.Twiml,
	Method: CREATE_PARAMS.Method,
	FallbackUrl: CREATE_PARAMS.FallbackUrl,
	FallbackMethod: CREATE_PARAMS.FallbackMethod,
	StatusCallback: CREATE_PARAMS.StatusCallback,
	StatusCallbackMethod: CREATE_PARAMS.StatusCallbackMethod,
	TimeLimit: CREATE_PARAMS.TimeLimit,
};

// checkParams(pairs, table): null, or the error for the first parameter
// the table does not allow, repeats without being repeatable, or whose value
// is malformed. Returns also the parameters as name → value(s).
function checkParams(pairs, table) {
	const map = {};
	for (const [k, v] of pairs) {
		if (!Object.hasOwn(table, k))
			return { err: strictError(`Unknown parameter: ${k}`) };
		const [valid, repeatable, code] = table[k];
		if (Object.hasOwn(map, k) && !repeatable)
			return { err: strictError(`Parameter ${k} given more than once`) };
		if (valid && !valid(v)) {
			let msg = `Invalid value for ${k}: ${JSON.stringify(v)}`;
			if (repeatable && /\s/.test(v))
				msg += '; a list is sent by repeating the parameter';
			else if (k === 'To')
				msg = `The 'To' number ${v} is not a valid phone number.`;
			else if (k === 'From')
				msg = `The 'From' number ${v} is not a valid phone ` +
				    'number, shortcode, or alphanumeric sender ID.';
			return { err: twilioError(400, code, msg) };
		}
		if (repeatable)
			(map[k] ??= []).push(v);
		else
			map[k] = v;
	}
	return { map };
}

// ---- calls ----
function formatNumber(n) {
	const m = /^\+1([2-9][0-9]{2})([0-9]{3})([0-9]{4})$/.exec(n) ??
	    /^\+1([0-9]{3})([0-9]{3})([0-9]{4})$/.exec(n);
	return m ? `(${m[1]}) ${m[2]}-${m[3]}` : n;
}

function callJson(c) {
	const uri = `${ACCOUNT_PREFIX}/Calls/${c.sid}`;
	return {
		sid: c.sid,
		account_sid: opt.account,
		parent_call_sid: null,
		to: c.to,
		to_formatted: formatNumber(c.to),
		from: c.from,
		from_formatted: formatNumber(c.from),
		phone_number_sid: c.phoneNumberSid,
		status: c.status,
		start_time: c.startTime === null ? null : rfc2822(c.startTime),
		end_time: c.endTime === null ? null : rfc2822(c.endTime),
		duration: c.endTime === null || c.startTime === null ? null :
		    String(Math.round((c.endTime - c.startTime) / 1000)),
		price: null,
		price_unit: 'USD',
		direction: 'outbound-api',
		answered_by: c.answeredBy,
		api_version: '2010-04-01',
		forwarded_from: null,
		group_sid: null,
		caller_name: null,
		queue_time: '0',
		trunk_sid: null,
		date_created: rfc2822(c.created),
		date_updated: rfc2822(c.updated),
		uri: `${uri}.json`,
		subresource_uris: {
			recordings: `${uri}/Recordings.json`,
			streams: `${uri}/Streams.json`,
		},
	};
}

const LIVE = ['queued', 'ringing', 'in-progress'];

function createCall(p) {
	const now = Date.now();
	const c = {
		sid: `CA${hex(16)}`,
		phoneNumberSid: `PN${hex(16)}`,
		to: p.To, from: p.From,
		url: p.Url ?? null, method: p.Method ?? 'POST',
		twiml: p.Twiml ?? null, applicationSid: p.ApplicationSid ?? null,
		statusCallback: p.StatusCallback ?? null,
		statusCallbackMethod: p.StatusCallbackMethod ?? 'POST',
		events: p.StatusCallbackEvent ?? [],
		machineDetection: p.MachineDetection ?? null,
		status: 'queued', answeredBy: null,
		created: now, updated: now, startTime: null, endTime: null,
		seq: 0, redirects: [],
	};
	calls.set(c.sid, c);
	return c;
}

// ---- outgoing requests: status callbacks and the TwiML Url ----
function isLoopback(u) {
	const h = u.hostname;
	return h === '127.0.0.1' || h === 'localhost' || h === '[::1]' ||
	    h === '::1' || /^127\./.test(h);
}

// httpRequest(u, method, headers, body, ms): one HTTP request with a
// bounded wait; resolves to {status, body}.
function httpRequest(u, method, headers, body, ms) {
	return new Promise((resolve, reject) => {
		const r = request(u, { method, headers, timeout: ms }, (resp) => {
			const chunks = [];
			resp.on('data', (d) => chunks.push(d));
			resp.on('end', () => resolve({ status: resp.statusCode,
			    body: Buffer.concat(chunks).toString('utf8') }));
			resp.on('error', reject);
		});
		r.on('timeout', () => r.destroy(Object.assign(
		    new Error('timeout'), { code: 'ETIMEDOUT' })));
		r.on('error', reject);
		r.end(body);
	});
}

// signedRequest(url, method, params, kind, sid): sends a request signed
// as Twilio signs it (§2.1, with the official library) and records it.
// Resolves to the record; never rejects.
async function signedRequest(url, method, params, kind, sid) {
	const rec = {
		kind, call_sid: sid, method, url,
		params: Object.entries(params), signature: null,
		status: null, body: null, error: null, time: Date.now(),
	};
	callbacks.push(rec);
	let target = url;
	let body;
	if (method === 'GET') {
		const u = new URL(url);
		for (const [k, v] of Object.entries(params))
			u.searchParams.append(k, v);
		target = u.toString();
		rec.url = target;
		rec.signature = twilio.getExpectedTwilioSignature(opt.token,
		    target, {});
	} else {
		body = new URLSearchParams(Object.entries(params)).toString();
		rec.signature = twilio.getExpectedTwilioSignature(opt.token, url,
		    params);
	}
	let u;
	try {
		u = new URL(target);
	} catch {
		rec.error = 'bad URL';
		saveState();
		return rec;
	}
	if (!isLoopback(u)) {
		rec.error = 'not sent: the fake only calls loopback addresses';
		saveState();
		return rec;
	}
	const headers = {
		'X-Twilio-Signature': rec.signature,
		'User-Agent': 'TwilioProxy/1.1',
		'I-Twilio-Idempotency-Token': hex(16),
	};
	if (body !== undefined) {
		headers['Content-Type'] =
		    'application/x-www-form-urlencoded; charset=utf-8';
		headers['Content-Length'] = Buffer.byteLength(body);
	}
	try {
		const r = await httpRequest(u, method, headers, body, 5000);
		rec.status = r.status;
		rec.body = r.body;
	} catch (e) {
		rec.error = e.code ?? e.message;
	}
	saveState();
	return rec;
}

function voiceParams(c, callStatus) {
	const p = {
		AccountSid: opt.account,
		ApiVersion: '2010-04-01',
		CallSid: c.sid,
		CallStatus: callStatus,
		Called: c.to,
		Caller: c.from,
		Direction: 'outbound-api',
		From: c.from,
		To: c.to,
	};
	if (c.answeredBy)
		p.AnsweredBy = c.answeredBy;
	return p;
}

// buildStatus(c, event, callStatus): the status callback for one event,
// numbered now, or null if the call did not ask for it (§1.4: without
// StatusCallbackEvent only `completed` is sent).
function buildStatus(c, event, callStatus) {
	if (!c.statusCallback)
		return null;
	const wanted = c.events.length ? c.events.includes(event) :
	    event === 'completed';
	if (!wanted)
		return null;
	const p = {
		...voiceParams(c, callStatus),
		CallbackSource: 'call-progress-events',
		SequenceNumber: String(c.seq++),
		Timestamp: rfc2822(Date.now()),
	};
	if (event === 'completed') {
		p.CallDuration = c.startTime === null ? '0' :
		    String(Math.round((c.endTime - c.startTime) / 1000));
		p.Duration = String(Math.ceil(Number(p.CallDuration) / 60));
	}
	return { url: c.statusCallback, method: c.statusCallbackMethod,
	    params: p, kind: `status:${event}`, sid: c.sid };
}

// deliver(b): sends a callback built by buildStatus; resolves to its
// record, or null for none.
function deliver(b) {
	return b ? signedRequest(b.url, b.method, b.params, b.kind, b.sid) :
	    Promise.resolve(null);
}

// statusCallback(c, event, callStatus): build and deliver.
function statusCallback(c, event, callStatus) {
	return deliver(buildStatus(c, event, callStatus));
}

// endCall(c, status): the call reaches a final status; sends `completed`.
function endCall(c, status) {
	c.status = status;
	c.endTime = Date.now();
	c.updated = c.endTime;
	saveState();
	return statusCallback(c, 'completed', status);
}

// ---- HTTP plumbing ----
function send(res, status, body, extra = {}) {
	const text = typeof body === 'string' ? body : JSON.stringify(body);
	res.writeHead(status, {
		'Content-Type': typeof body === 'string' ?
		    'text/plain; charset=utf-8' : 'application/json; charset=utf-8',
		'Content-Length': Buffer.byteLength(text),
		...extra,
	});
	res.end(text);
}

function readBody(req, limit) {
	return new Promise((resolve, reject) => {
		const chunks = [];
		let n = 0;
		req.on('data', (d) => {
			n += d.length;
			if (n > limit) {
				reject(new Error('too large'));
				req.destroy();
				return;
			}
			chunks.push(d);
		});
		req.on('end', () => resolve(Buffer.concat(chunks)));
		req.on('error', reject);
	});
}

function sleep(ms) {
	return new Promise((r) => setTimeout(r, ms));
}

function safeEqual(a, b) {
	const x = Buffer.from(a), y = Buffer.from(b);
	return x.length === y.length && timingSafeEqual(x, y);
}

// checkAuth(req): [ok, username]. AccountSid:AuthToken, or the API key.
function checkAuth(req) {
	const h = req.headers.authorization ?? '';
	const m = /^Basic ([A-Za-z0-9+/=]+)$/.exec(h);
	if (!m)
		return [false, null];
	const cred = Buffer.from(m[1], 'base64').toString('utf8');
	const colon = cred.indexOf(':');
	if (colon < 0)
		return [false, null];
	const user = cred.slice(0, colon);
	if (safeEqual(cred, `${opt.account}:${opt.token}`))
		return [true, user];
	if (opt.apiKey && safeEqual(cred, opt.apiKey))
		return [true, user];
	return [false, user];
}

function redactHeaders(h) {
	const out = {};
	for (const [k, v] of Object.entries(h))
		out[k] = k === 'authorization' ?
		    String(v).replace(/^(\S+)\s.*$/, '$1 <redacted>') : v;
	return out;
}

// ---- the REST API ----
async function api(req, res, rec, body) {
	const url = new URL(req.url, 'http://fake');
	const path = url.pathname;
	const [authOk, user] = checkAuth(req);
	rec.auth_user = user;
	rec.auth_ok = authOk;
	if (!authOk) {
		const e = twilioError(401, 20003, 'Authenticate');
		return { ...e, headers: { 'WWW-Authenticate':
		    'Basic realm="Twilio API"' } };
	}
	if (script.fail_next.length) {
		const f = script.fail_next.shift();
		return twilioError(f.status, f.code, f.message);
	}

	const m = /^\/2010-04-01\/Accounts\/([^/]+)\/Calls(?:\/([^/]+))?\.json$/
	    .exec(path);
	if (!m)
		return twilioError(404, 20404, `The requested resource ${path} ` +
		    'was not found');
	if (m[1] !== opt.account)
		return twilioError(401, 20003, 'Authenticate');
	if (url.search !== '')
		return strictError(`Query string on ${req.method} ${path}`);

	let pairs = [];
	if (req.method === 'POST') {
		const ct = req.headers['content-type'] ?? '';
		if (!/^application\/x-www-form-urlencoded\s*(;\s*charset=utf-8\s*)?$/i
		    .test(ct))
			return strictError('Content-Type must be ' +
			    `application/x-www-form-urlencoded, not ${JSON.stringify(ct)}`);
		pairs = rec.params;
	} else if (body.length) {
		return strictError(`A body on ${req.method}`);
	}

	const sid = m[2];
	if (sid === undefined) {
		if (req.method !== 'POST')
			return twilioError(405, 20004, 'Method not allowed ' +
			    '(the fake implements only POST on Calls.json)');
		const { err, map } = checkParams(pairs, CREATE_PARAMS);
		if (err)
			return err;
		if (map.To === undefined)
			return twilioError(400, 21201, "No 'To' number is specified");
		if (map.From === undefined)
			return twilioError(400, 21213, "No 'From' number is specified");
		if (isE164(map.To) && !isE164(map.From))
			return twilioError(400, 21212, `The 'From' number ${map.From} ` +
			    'is not a valid phone number, shortcode, or alphanumeric ' +
			    'sender ID.');
		const sources = ['Url', 'Twiml', 'ApplicationSid'].filter((k) =>
		    map[k] !== undefined);
		if (sources.length === 0)
			return twilioError(400, 21205, 'Url parameter is required. ' +
			    'Please provide a Url, Twiml or ApplicationSid.');
		if (sources.length > 1)
			return strictError(`Give exactly one of Url, Twiml, ` +
			    `ApplicationSid, not ${sources.join(' and ')}`);
		if (map.StatusCallbackEvent && !map.StatusCallback)
			return strictError('StatusCallbackEvent without StatusCallback');
		const c = createCall(map);
		rec.call_sid = c.sid;
		// Twilio sends `initiated` once the call leaves the queue.
		setImmediate(() => statusCallback(c, 'initiated', 'initiated'));
		return { status: 201, body: callJson(c) };
	}

	const c = calls.get(sid);
	if (!c)
		return twilioError(404, 20404, `The requested resource ${path} ` +
		    'was not found');
	rec.call_sid = sid;
	if (req.method === 'GET')
		return { status: 200, body: callJson(c) };
	if (req.method === 'DELETE')
		return strictError('DELETE removes the call record; voicegate ' +
		    'has no reason to');
	if (req.method !== 'POST')
		return twilioError(405, 20004, 'Method not allowed');

	const { err, map } = checkParams(pairs, UPDATE_PARAMS);
	if (err)
		return err;
	if (Object.keys(map).length === 0)
		return strictError('An update with no parameters');
	if (map.Url !== undefined && map.Twiml !== undefined)
		return strictError('Give Url or Twiml, not both');
	if (map.Status !== undefined && (map.Url !== undefined ||
	    map.Twiml !== undefined))
		return strictError('Give Status or new TwiML, not both');
	if (!LIVE.includes(c.status))
		return twilioError(400, 21220,
		    'Call is not in-progress. Cannot redirect.');
	if (map.StatusCallback !== undefined)
		c.statusCallback = map.StatusCallback;
	if (map.StatusCallbackMethod !== undefined)
		c.statusCallbackMethod = map.StatusCallbackMethod;
	c.updated = Date.now();
	if (map.Url !== undefined || map.Twiml !== undefined)
		c.redirects.push(map.Url !== undefined ?
		    { url: map.Url, method: map.Method ?? 'POST' } :
		    { twiml: map.Twiml });
	let after = null;
	if (map.Status === 'completed') {
		// Hangs up a live call; a call not yet answered ends as canceled.
		after = c.status === 'in-progress' ? 'completed' : 'canceled';
	} else if (map.Status === 'canceled' && c.status !== 'in-progress') {
		after = 'canceled';
	}
	if (after) {
		c.status = after;
		c.endTime = Date.now();
		const body = callJson(c);
		setImmediate(() => statusCallback(c, 'completed', after));
		return { status: 200, body };
	}
	return { status: 200, body: callJson(c) };
}

// ---- the control endpoints for tests ----
const SCRIPT_KEYS = ['delay_ms', 'fail_next', 'callback_order', 'reset'];

async function control(req, res, path, body) {
	let json = {};
	if (req.method === 'POST' && body.length) {
		try {
			json = JSON.parse(body.toString('utf8'));
		} catch {
			return send(res, 400, { error: 'body is not JSON' });
		}
		if (typeof json !== 'object' || json === null || Array.isArray(json))
			return send(res, 400, { error: 'body must be a JSON object' });
	}
	if (req.method === 'GET' && path === '/_fake/requests')
		return send(res, 200, requests);
	if (req.method === 'GET' && path === '/_fake/callbacks')
		return send(res, 200, callbacks);
	if (req.method === 'GET' && path === '/_fake/calls')
		return send(res, 200, [...calls.values()].map(callJson));
	if (req.method === 'GET' && path === '/_fake/script')
		return send(res, 200, script);
	if (req.method === 'POST' && path === '/_fake/script') {
		for (const k of Object.keys(json))
			if (!SCRIPT_KEYS.includes(k))
				return send(res, 400, { error: `unknown script key ${k}` });
		if (json.reset) {
			requests = [];
			callbacks = [];
			calls = new Map();
			script = { delay_ms: 0, fail_next: [], callback_order: 'normal' };
		}
		if (json.delay_ms !== undefined) {
			if (!Number.isInteger(json.delay_ms) || json.delay_ms < 0 ||
			    json.delay_ms > 60000)
				return send(res, 400, { error: 'delay_ms: 0..60000' });
			script.delay_ms = json.delay_ms;
		}
		if (json.fail_next !== undefined) {
			const list = [].concat(json.fail_next);
			for (const f of list) {
				if (typeof f !== 'object' || f === null ||
				    !Number.isInteger(f.status) || f.status < 400 ||
				    f.status > 599 || !Number.isInteger(f.code) ||
				    typeof f.message !== 'string' ||
				    Object.keys(f).some((k) =>
				    !['status', 'code', 'message'].includes(k)))
					return send(res, 400, { error: 'fail_next: ' +
					    '{"status":4xx|5xx,"code":N,"message":"..."}' });
			}
			script.fail_next.push(...list);
		}
		if (json.callback_order !== undefined) {
			if (!['normal', 'reverse'].includes(json.callback_order))
				return send(res, 400,
				    { error: 'callback_order: normal|reverse' });
			script.callback_order = json.callback_order;
		}
		saveState();
		return send(res, 200, script);
	}
	let m;
	if (req.method === 'POST' &&
	    (m = /^\/_fake\/answer\/([^/]+)$/.exec(path)))
		return answer(res, m[1], json);
	if (req.method === 'POST' && (m = /^\/_fake\/end\/([^/]+)$/.exec(path)))
		return end(res, m[1], json);
	return send(res, 404, { error: `no control endpoint ${req.method} ` +
	    `${path}` });
}

// POST /_fake/answer/{CallSid} {"answered_by"?}: the callee picks up.
// Sends `ringing` and `answered` (in-progress) status callbacks, fetches
// the call's Url when it has one, and answers with the call, the callbacks
// sent and the TwiML the call now runs.
async function answer(res, sid, json) {
	for (const k of Object.keys(json))
		if (k !== 'answered_by')
			return send(res, 400, { error: `unknown key ${k}` });
	const c = calls.get(sid);
	if (!c)
		return send(res, 404, { error: `no call ${sid}` });
	if (c.status !== 'queued')
		return send(res, 409, { error: `call is ${c.status}` });
	if (json.answered_by !== undefined) {
		if (!['human', 'machine_start', 'machine_end_beep',
		    'machine_end_silence', 'machine_end_other', 'fax', 'unknown']
		    .includes(json.answered_by))
			return send(res, 400, { error: 'bad answered_by' });
		if (!c.machineDetection)
			return send(res, 400, { error: 'answered_by needs a call ' +
			    'created with MachineDetection' });
	}
	c.status = 'ringing';
	c.updated = Date.now();
	const ringing = buildStatus(c, 'ringing', 'ringing');
	c.status = 'in-progress';
	c.startTime = Date.now();
	c.updated = c.startTime;
	c.answeredBy = json.answered_by ?? null;
	const answered = buildStatus(c, 'answered', 'in-progress');
	// Numbered in event order; "reverse" delivers the later one first, as
	// Twilio may (callbacks are separate requests).
	const order = script.callback_order === 'reverse' ?
	    [answered, ringing] : [ringing, answered];
	const sent = [];
	for (const b of order)
		sent.push(await deliver(b));
	let twiml = c.twiml;
	let fetched = null;
	if (c.url) {
		fetched = await signedRequest(c.url, c.method,
		    voiceParams(c, 'in-progress'), 'twiml', c.sid);
		twiml = fetched.status === 200 ? fetched.body : null;
	}
	saveState();
	send(res, 200, {
		call: callJson(c),
		callbacks: sent.filter((x) => x !== null),
		twiml_request: fetched,
		twiml,
	});
}

// POST /_fake/end/{CallSid} {"status"}: the call ends on the callee's side
// (completed: hung up after answering; busy, no-answer, failed, canceled
// before). Sends the `completed` status callback and answers with it.
async function end(res, sid, json) {
	for (const k of Object.keys(json))
		if (k !== 'status')
			return send(res, 400, { error: `unknown key ${k}` });
	const c = calls.get(sid);
	if (!c)
		return send(res, 404, { error: `no call ${sid}` });
	if (!LIVE.includes(c.status))
		return send(res, 409, { error: `call is ${c.status}` });
	const status = json.status ?? (c.status === 'in-progress' ? 'completed' :
	    'no-answer');
	const ok = c.status === 'in-progress' ? status === 'completed' :
	    ['busy', 'no-answer', 'failed', 'canceled'].includes(status);
	if (!ok)
		return send(res, 400, { error: `a ${c.status} call cannot end ` +
		    `as ${status}` });
	const cb = await endCall(c, status);
	send(res, 200, { call: callJson(c), callbacks: cb ? [cb] : [] });
}

// ---- server ----
const server = createServer(async (req, res) => {
	const path = new URL(req.url, 'http://fake').pathname;
	let body;
	try {
		body = await readBody(req, 64 * 1024);
	} catch {
		if (!res.headersSent)
			send(res, 413, twilioError(413, 20001, 'Request too large').body);
		return;
	}
	if (path.startsWith('/_fake/'))
		return control(req, res, path, body);

	const rec = {
		seq: ++reqSeq,
		time: new Date().toISOString(),
		method: req.method,
		path: req.url,
		headers: redactHeaders(req.headers),
		body: body.toString('utf8'),
		params: [...new URLSearchParams(body.toString('utf8'))],
		response: null,
		aborted: false,
	};
	requests.push(rec);
	let out;
	try {
		out = await api(req, res, rec, body);
	} catch (e) {
		out = { status: 500, body: { code: 20500, message: `fake: ${e.stack}`,
		    more_info: 'https://www.twilio.com/docs/errors/20500',
		    status: 500 } };
	}
	rec.response = { status: out.status, code: out.body.code ?? null };
	// Refusals are loud: the test's log shows why.
	if (out.status >= 400)
		process.stderr.write(`twilio_rest: ${req.method} ${req.url} -> ` +
		    `${out.status} ${out.body.code}: ${out.body.message}\n`);
	saveState();
	if (script.delay_ms > 0) {
		let closed = false;
		res.on('close', () => { closed = !res.writableFinished; });
		await sleep(script.delay_ms);
		if (closed || req.socket.destroyed) {
			rec.aborted = true;
			saveState();
			return;
		}
	}
	send(res, out.status, out.body, {
		'Twilio-Request-Id': `RQ${hex(16)}`,
		...(out.headers ?? {}),
	});
});

server.on('clientError', (err, sock) => {
	sock.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
});
server.listen(opt.port, opt.host, () => {
	saveState();
	process.stdout.write(`listening on ${server.address().port}\n`);
});
// Never outlive a forgetful test.
setTimeout(() => process.exit(3), opt.maxLifetime * 1000).unref();
for (const sig of ['SIGTERM', 'SIGINT'])
	process.on(sig, () => {
		server.close();
		process.exit(0);
	});
