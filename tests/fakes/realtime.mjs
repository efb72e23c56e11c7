#!/usr/bin/env node
// A strict fake of the OpenAI Realtime API, GA, over WebSocket
// (PROTOCOLS.md §5, §6.7, §7, §8, §10), for the tests of realtime_openai.
// Written from PROTOCOLS.md. Every client event is checked against the GA
// schema; what the real server refuses gets the real server's `error`
// event, and all of it, plus a few things the server tolerates but our
// bridge must never do (audio before session.update, a beta header...), is
// recorded as a violation. Scripted per connection: greet, speak N ms of
// audio, transcribe the caller, detect speech start mid-response, call a
// tool, send an error, drop the connection, expire the session.
//
//   node realtime.mjs [--host 127.0.0.1] [--port 0] [--script FILE.json]
//       [--api-key KEY] [--max-lifetime SECONDS]
//       [--tls-cert FILE.pem --tls-key FILE.pem]
//
// Prints "listening on PORT" once it listens. WebSocket on any path ending
// in /realtime (and /), `?model=` required; HTTP control endpoints under
// /_fake/ on the same port. With --tls-cert and --tls-key (PEM; both or
// neither), all of it is served over TLS instead: wss:// and https://.
// See README.md.
import { createServer } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadWs, id, bytesPerMs, toneGenerator } from './realtime_lib.mjs';
import { validateClientEvent, SchemaError } from './realtime_schema.mjs';

let WebSocketServer;
try {
	({ WebSocketServer } = loadWs());
} catch (e) {
	process.stderr.write(`realtime: ${e.message}\n`);
	process.exit(2);
}

// ---- command line ----
const opt = { host: '127.0.0.1', port: 0, script: null, apiKey: null,
	maxLifetime: 900, tlsCert: null, tlsKey: null };
function usage(msg) {
	process.stderr.write(`realtime: ${msg}\nusage: realtime.mjs [--host H] ` +
	    '[--port N] [--script FILE.json] [--api-key KEY] ' +
	    '[--max-lifetime S] [--tls-cert FILE --tls-key FILE]\n');
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
		case '--script': opt.script = need(); break;
		case '--api-key': opt.apiKey = need(); break;
		case '--max-lifetime': opt.maxLifetime = Number(need()); break;
		case '--tls-cert': opt.tlsCert = need(); break;
		case '--tls-key': opt.tlsKey = need(); break;
		default: usage(`unknown argument ${a}`);
		}
	}
	if (!Number.isInteger(opt.port) || opt.port < 0 || opt.port > 65535)
		usage('bad --port');
	if (!(opt.maxLifetime > 0))
		usage('bad --max-lifetime');
	if ((opt.tlsCert === null) !== (opt.tlsKey === null))
		usage('--tls-cert and --tls-key go together');
}

// The certificate chain and key for TLS, or null for plain HTTP.
let tlsFiles = null;
if (opt.tlsCert !== null) {
	try {
		tlsFiles = { cert: readFileSync(opt.tlsCert),
			key: readFileSync(opt.tlsKey) };
	} catch (e) {
		usage(`--tls-cert/--tls-key: ${e.message}`);
	}
}

// ---- scripts (README.md "Scripts") ----
const ACTION_KEYS = {
	respond: ['text', 'audio_ms', 'chunk_ms', 'interval_ms', 'tone_hz'],
	call_tool: ['name', 'arguments', 'call_id'],
	transcribe_caller: null,
	error: ['type', 'code', 'message', 'param'],
	expire_session: null,
	close: ['code', 'reason'],
	send: null,
	speech_started: ['leak_chunks', 'audio_start_ms'],
	speech_stopped: ['respond'],
};
const BARE_ACTIONS = ['speech_started', 'speech_stopped', 'drop'];
const STEP_KEYS = ['on', 'after_ms', 'after_audio_ms', 'do', 'comment'];

function checkRespond(r, where) {
	if (r === null || typeof r !== 'object' || Array.isArray(r))
		throw new Error(`${where}: an object expected`);
	for (const k of Object.keys(r))
		if (!ACTION_KEYS.respond.includes(k))
			throw new Error(`${where}: unknown key ${k}`);
	if (r.text !== undefined && typeof r.text !== 'string')
		throw new Error(`${where}.text: a string expected`);
	for (const k of ['audio_ms', 'chunk_ms', 'interval_ms', 'tone_hz'])
		if (r[k] !== undefined && !(Number.isInteger(r[k]) && r[k] >= 0))
			throw new Error(`${where}.${k}: an integer >= 0 expected`);
	if (r.chunk_ms === 0)
		throw new Error(`${where}.chunk_ms: must be > 0`);
}

// checkScript(x): the list of steps, or throws an Error saying what is wrong.
function checkScript(x) {
	const steps = Array.isArray(x) ? x : x && x.steps;
	if (!Array.isArray(steps))
		throw new Error('a script is a list of steps (or {"steps": [...]})');
	steps.forEach((s, i) => {
		const w = `step ${i}`;
		if (s === null || typeof s !== 'object' || Array.isArray(s))
			throw new Error(`${w}: an object expected`);
		for (const k of Object.keys(s))
			if (!STEP_KEYS.includes(k))
				throw new Error(`${w}: unknown key ${k}`);
		if (s.on !== undefined && (typeof s.on !== 'string' || !s.on))
			throw new Error(`${w}.on: an event type expected`);
		for (const k of ['after_ms', 'after_audio_ms'])
			if (s[k] !== undefined &&
			    !(Number.isInteger(s[k]) && s[k] >= 0))
				throw new Error(`${w}.${k}: an integer >= 0 expected`);
		if (!Array.isArray(s.do) || s.do.length === 0)
			throw new Error(`${w}.do: a non-empty list of actions expected`);
		s.do.forEach((a, j) => {
			const wa = `${w}.do[${j}]`;
			if (typeof a === 'string') {
				if (!BARE_ACTIONS.includes(a))
					throw new Error(`${wa}: unknown action ${a}`);
				return;
			}
			if (a === null || typeof a !== 'object' ||
			    Object.keys(a).length !== 1)
				throw new Error(`${wa}: a name or {name: arguments}`);
			const [k, v] = Object.entries(a)[0];
			if (!Object.hasOwn(ACTION_KEYS, k))
				throw new Error(`${wa}: unknown action ${k}`);
			if (k === 'respond')
				return checkRespond(v, `${wa}.respond`);
			if (k === 'transcribe_caller') {
				if (typeof v !== 'string')
					throw new Error(`${wa}: a string expected`);
				return;
			}
			if (k === 'expire_session')
				return;
			if (v === null || typeof v !== 'object' || Array.isArray(v))
				throw new Error(`${wa}.${k}: an object expected`);
			if (ACTION_KEYS[k])
				for (const kk of Object.keys(v))
					if (!ACTION_KEYS[k].includes(kk))
						throw new Error(`${wa}.${k}: unknown key ${kk}`);
			if (k === 'call_tool' && typeof v.name !== 'string')
				throw new Error(`${wa}.call_tool.name: a string expected`);
			if (k === 'error' && (typeof v.message !== 'string'))
				throw new Error(`${wa}.error.message: a string expected`);
			if (k === 'send' && typeof v.type !== 'string')
				throw new Error(`${wa}.send.type: a string expected`);
			if (k === 'speech_stopped' && v.respond !== undefined)
				checkRespond(v.respond, `${wa}.speech_stopped.respond`);
		});
	});
	return steps;
}

let defaultScript = [];
if (opt.script) {
	try {
		defaultScript = checkScript(JSON.parse(readFileSync(opt.script,
		    'utf8')));
	} catch (e) {
		usage(`--script ${opt.script}: ${e.message}`);
	}
}
let scriptQueue = []; // POST /_fake/script: one entry per next connection

// ---- log ----
let connections = []; // one record per WebSocket (and refused upgrade)
let violations = [];  // all of them, each with its `conn`
const t0 = Date.now();

function violation(conn, kind, detail) {
	const v = { conn: conn ? conn.n : null, t_ms: Date.now() - t0, kind,
		...detail };
	violations.push(v);
	if (conn)
		conn.rec.violations.push(v);
	process.stderr.write(`realtime: violation ${kind} (conn ${v.conn}): ` +
	    `${detail.message ?? ''}\n`);
}

// ---- the default session (what session.created shows) ----
function defaultSession(model) {
	return {
		id: id('sess'), object: 'realtime.session', type: 'realtime',
		model, output_modalities: ['audio'],
		instructions: 'Your knowledge cutoff is 2023-10. You are a ' +
		    'helpful, witty, and friendly AI.',
		audio: {
			input: {
				format: { type: 'audio/pcm', rate: 24000 },
				transcription: null, noise_reduction: null,
				turn_detection: vadDefaults({ type: 'server_vad' }),
			},
			output: { format: { type: 'audio/pcm', rate: 24000 },
			    voice: 'alloy', speed: 1.0 },
		},
		tools: [], tool_choice: 'auto', max_output_tokens: 'inf',
		tracing: null, truncation: 'auto', prompt: null,
		expires_at: Math.floor(Date.now() / 1000) + 3600, include: null,
	};
}
function vadDefaults(td) {
	if (td === null)
		return null;
	if (td.type === 'server_vad')
		return { type: 'server_vad', threshold: 0.5,
		    prefix_padding_ms: 300, silence_duration_ms: 500,
		    idle_timeout_ms: null, create_response: true,
		    interrupt_response: true, ...td };
	return { type: 'semantic_vad', eagerness: 'auto', create_response: true,
	    interrupt_response: true, ...td };
}
function fmtDefaults(f) {
	return f.type === 'audio/pcm' ? { type: 'audio/pcm', rate: 24000 } :
	    { type: f.type };
}

const clone = (x) => JSON.parse(JSON.stringify(x));

// ---- one connection ----
class Conn {
	constructor(ws, rec, model, steps) {
		this.ws = ws;
		this.rec = rec;
		this.n = rec.id;
		this.session = defaultSession(model);
		this.configured = false;   // a session.update was accepted
		this.hadAudioOut = false;
		this.inputBytes = 0;       // all appended audio
		this.inputMs = 0;
		this.bufferMs = 0;         // since the last commit/clear
		this.items = new Map();    // id → item (ours: with audio bytes)
		this.lastItemId = null;
		this.userItemId = null;    // the caller's current/future item
		this.active = null;        // the response in progress
		this.queued = [];          // server responses waiting for it
		this.calls = new Map();    // call_id → tool call record
		this.timers = new Set();
		this.closed = false;
		this.seq = 0;
		this.steps = steps;
		this.cursor = 0;
		this.stepArmed = null;
		rec.script = steps;
	}

	// ---- sending ----
	send(ev) {
		if (this.closed)
			return;
		const out = { type: ev.type, event_id: id('event'), ...ev };
		if (ev.event_id)
			out.event_id = ev.event_id;
		this.ws.send(JSON.stringify(out));
		const r = { seq: ++this.seq, t_ms: Date.now() - t0, type: out.type };
		for (const k of ['response_id', 'item_id', 'call_id'])
			if (out[k] !== undefined)
				r[k] = out[k];
		if (out.type === 'response.output_audio.delta')
			r.bytes = Buffer.from(out.delta, 'base64').length;
		if (out.type === 'error')
			r.error = out.error;
		this.rec.sent.push(r);
		this.trigger(out.type, null);
	}
	error(code, message, param, eventId, type = 'invalid_request_error') {
		const error = { type, code, message, param: param ?? null,
			event_id: eventId ?? null };
		this.rec.errors.push(error);
		this.send({ type: 'error', error });
	}
	later(ms, f) {
		const t = setTimeout(() => {
			this.timers.delete(t);
			if (!this.closed)
				f();
		}, ms);
		this.timers.add(t);
		return t;
	}
	stop() {
		this.closed = true;
		for (const t of this.timers)
			clearTimeout(t);
		this.timers.clear();
	}

	// ---- receiving ----
	onMessage(data, isBinary) {
		const rec = { seq: ++this.seq, t_ms: Date.now() - t0 };
		if (isBinary) {
			rec.type = '(binary)';
			rec.bytes = data.length;
			this.rec.received.push(rec);
			violation(this, 'schema', { code: 'invalid_json',
			    message: 'binary frame' });
			return this.error('invalid_json', 'Binary frames are not ' +
			    'supported; send JSON text frames.', null, null);
		}
		const text = data.toString('utf8');
		let ev;
		try {
			ev = JSON.parse(text);
		} catch {
			rec.type = '(invalid json)';
			rec.text = text.slice(0, 200);
			this.rec.received.push(rec);
			violation(this, 'schema', { code: 'invalid_json',
			    message: 'not JSON' });
			return this.error('invalid_json', "We could not parse the " +
			    "JSON body of your request. (HINT: This likely means you " +
			    "aren't using your HTTP library correctly.)", null, null);
		}
		const logged = { ...rec, ...(ev && typeof ev === 'object' &&
		    !Array.isArray(ev) ? clone(ev) : { type: '(not an object)' }) };
		if (ev && ev.type === 'input_audio_buffer.append' &&
		    typeof ev.audio === 'string') {
			delete logged.audio;
			logged.audio_bytes = Buffer.from(ev.audio, 'base64').length;
		}
		this.rec.received.push(logged);
		const eid = ev && typeof ev.event_id === 'string' ? ev.event_id :
		    null;
		try {
			validateClientEvent(ev);
		} catch (e) {
			if (!(e instanceof SchemaError))
				throw e;
			violation(this, e.beta ? 'beta_shape' : 'schema', {
			    event_type: ev && ev.type, event_id: eid, code: e.code,
			    param: e.param, message: e.message,
			    ...(e.beta ? { ga: e.beta } : {}) });
			return this.error(e.code, e.message, e.param, eid);
		}
		const h = HANDLERS[ev.type];
		h.call(this, ev, eid);
		if (ev.type !== 'response.create')
			this.trigger(ev.type, null);
	}

	// A refusal of a valid-looking event that our bridge must never cause.
	refuse(kind, code, message, param, eid) {
		violation(this, kind, { code, param: param ?? null, message,
		    event_id: eid });
		this.error(code, message, param, eid);
	}

	addItem(item) {
		const prev = this.lastItemId;
		this.items.set(item.id, item);
		this.lastItemId = item.id;
		return prev;
	}

	// ---- responses (§5.5, §5.6, §7) ----
	startResponse(spec, request) {
		if (this.active) {
			this.queued.push([spec, request]);
			return;
		}
		const p = request?.response ?? {};
		const s = this.session;
		const resp = {
			id: id('resp'), spec, status: 'in_progress', leak: null,
			output_modalities: p.output_modalities ?? s.output_modalities,
			format: fmtDefaults(p.audio?.output?.format ??
			    s.audio.output.format),
			voice: p.audio?.output?.voice ?? s.audio.output.voice,
			max_output_tokens: p.max_output_tokens ?? s.max_output_tokens,
			metadata: p.metadata ?? null,
			conversation: p.conversation ?? 'auto',
			items: [],
		};
		this.active = resp;
		this.send({ type: 'response.created',
		    response: this.responseJson(resp, null) });
		this.send({ type: 'rate_limits.updated', rate_limits: [
			{ name: 'requests', limit: 1000, remaining: 999,
			    reset_seconds: 60 },
			{ name: 'tokens', limit: 40000, remaining: 35520,
			    reset_seconds: 6.72 }] });
		if (spec.call_tool)
			this.toolResponse(resp, spec.call_tool);
		else
			this.speakResponse(resp, spec.respond ?? {});
	}
	responseJson(resp, usage) {
		return {
			id: resp.id, object: 'realtime.response', status: resp.status,
			status_details: resp.status_details ?? null,
			output: resp.items.map((it) => this.itemJson(it)),
			conversation_id: resp.conversation === 'none' ? null :
			    'conv_fake',
			output_modalities: resp.output_modalities,
			max_output_tokens: resp.max_output_tokens,
			audio: { output: { format: resp.format, voice: resp.voice } },
			usage, metadata: resp.metadata,
		};
	}
	itemJson(it) {
		if (it.type === 'function_call')
			return { id: it.id, object: 'realtime.item',
			    type: 'function_call', status: it.status, name: it.name,
			    call_id: it.call_id, arguments: it.arguments };
		if (it.type === 'function_call_output')
			return { id: it.id, object: 'realtime.item',
			    type: 'function_call_output', call_id: it.call_id,
			    output: it.output };
		return { id: it.id, object: 'realtime.item', type: 'message',
		    status: it.status, role: it.role, content: clone(it.content) };
	}
	speakResponse(resp, r) {
		const audio = resp.output_modalities[0] === 'audio';
		const text = r.text ?? 'Hello from the fake Realtime server.';
		const totalMs = audio ? r.audio_ms ?? 1000 : 0;
		const chunkMs = r.chunk_ms ?? 100;
		const interval = r.interval_ms ?? 10;
		const bpm = bytesPerMs(resp.format);
		const gen = toneGenerator(resp.format, r.tone_hz ?? 440);
		const item = { id: id('item'), type: 'message', role: 'assistant',
			status: 'in_progress', content: [], audioBytes: 0, bpm,
			said: '', sha: createHash('sha256'), audio };
		resp.items.push(item);
		const prev = this.addItem(item);
		const base = { response_id: resp.id, item_id: item.id,
			output_index: 0, content_index: 0 };
		this.send({ type: 'response.output_item.added', response_id: resp.id,
		    output_index: 0, item: this.itemJson(item) });
		this.send({ type: 'conversation.item.added', previous_item_id: prev,
		    item: this.itemJson(item) });
		this.send({ type: 'response.content_part.added', ...base,
		    part: audio ? { type: 'audio', transcript: '' } :
		    { type: 'text', text: '' } });
		const words = text.split(/(?<= )/).filter((w) => w);
		const chunks = audio ? Math.max(1, Math.ceil(totalMs / chunkMs)) :
		    words.length;
		let i = 0, w = 0, sentMs = 0;
		const step = () => {
			if (resp.status !== 'in_progress')
				return;
			if (resp.leak !== null && resp.leak <= 0)
				return this.finishResponse(resp, 'cancelled',
				    'turn_detected');
			if (resp.leak !== null)
				resp.leak--;
			if (audio) {
				const ms = Math.min(chunkMs, totalMs - sentMs);
				if (ms > 0) {
					const buf = gen.next(ms);
					sentMs += ms;
					item.audioBytes += buf.length;
					item.sha.update(buf);
					this.hadAudioOut = true;
					this.send({ type: 'response.output_audio.delta',
					    ...base, delta: buf.toString('base64') });
				}
			}
			// The transcript keeps pace with the audio.
			const upto = Math.ceil(words.length * (i + 1) / chunks);
			for (; w < upto; w++) {
				item.said += words[w];
				this.send({ type: audio ?
				    'response.output_audio_transcript.delta' :
				    'response.output_text.delta', ...base,
				    delta: words[w] });
			}
			i++;
			if (i >= chunks)
				return this.finishResponse(resp, 'completed');
			this.later(interval, step);
		};
		this.later(interval, step);
	}
	toolResponse(resp, t) {
		const args = typeof t.arguments === 'string' ? t.arguments :
		    JSON.stringify(t.arguments ?? {});
		const item = { id: id('item'), type: 'function_call',
			status: 'in_progress', name: t.name,
			call_id: t.call_id ?? id('call'), arguments: '' };
		resp.items.push(item);
		const prev = this.addItem(item);
		this.send({ type: 'response.output_item.added', response_id: resp.id,
		    output_index: 0, item: this.itemJson(item) });
		this.send({ type: 'conversation.item.added', previous_item_id: prev,
		    item: this.itemJson(item) });
		const base = { response_id: resp.id, item_id: item.id,
			output_index: 0, call_id: item.call_id };
		const half = Math.ceil(args.length / 2);
		for (const d of [args.slice(0, half), args.slice(half)])
			if (d)
				this.send({ type: 'response.function_call_arguments.delta',
				    ...base, delta: d });
		item.arguments = args;
		this.send({ type: 'response.function_call_arguments.done', ...base,
		    name: item.name, arguments: args });
		item.status = 'completed';
		const call = { call_id: item.call_id, name: item.name,
			arguments: args, item_id: item.id, response_id: resp.id,
			output: null, answered_t_ms: null };
		this.calls.set(item.call_id, call);
		this.rec.tool_calls.push(call);
		this.finishResponse(resp, 'completed');
	}
	// Every *.done, then response.done (also when cancelled, §5.5).
	finishResponse(resp, status, reason) {
		if (resp.status !== 'in_progress')
			return;
		resp.status = status;
		if (status === 'cancelled')
			resp.status_details = { type: 'cancelled', reason };
		for (const [index, item] of resp.items.entries()) {
			if (item.type === 'message') {
				const base = { response_id: resp.id, item_id: item.id,
					output_index: index, content_index: 0 };
				item.status = status === 'completed' ? 'completed' :
				    'incomplete';
				if (item.audio) {
					this.send({ type: 'response.output_audio.done',
					    ...base });
					this.send({ type:
					    'response.output_audio_transcript.done', ...base,
					    transcript: item.said });
					item.content = [{ type: 'output_audio',
					    transcript: item.said }];
				} else {
					this.send({ type: 'response.output_text.done', ...base,
					    text: item.said });
					item.content = [{ type: 'output_text',
					    text: item.said }];
				}
				this.send({ type: 'response.content_part.done', ...base,
				    part: item.audio ? { type: 'audio',
				    transcript: item.said } : { type: 'text',
				    text: item.said } });
			}
			this.send({ type: 'response.output_item.done',
			    response_id: resp.id, output_index: index,
			    item: this.itemJson(item) });
			this.send({ type: 'conversation.item.done',
			    item: this.itemJson(item) });
		}
		const audioMs = resp.items.reduce((a, it) =>
		    a + (it.audioBytes ? it.audioBytes / it.bpm : 0), 0);
		const textTok = resp.items.reduce((a, it) =>
		    a + (it.said ? it.said.split(' ').length : 0) +
		    (it.arguments ? Math.ceil(it.arguments.length / 4) : 0), 0);
		const audioTok = Math.ceil(audioMs / 50);
		const usage = {
			total_tokens: 120 + textTok + audioTok, input_tokens: 120,
			output_tokens: textTok + audioTok,
			input_token_details: { text_tokens: 110, audio_tokens: 10,
			    image_tokens: 0, cached_tokens: 0,
			    cached_tokens_details: { text_tokens: 0,
				audio_tokens: 0, image_tokens: 0 } },
			output_token_details: { text_tokens: textTok,
			    audio_tokens: audioTok },
		};
		this.rec.responses.push({ id: resp.id, status,
		    reason: reason ?? null, items: resp.items.map((it) => ({
			id: it.id, type: it.type, transcript: it.said ?? null,
			audio_bytes: it.audioBytes ?? 0,
			audio_ms: it.audioBytes ? it.audioBytes / it.bpm : 0,
			audio_sha256: it.sha ? it.sha.copy().digest('hex') : null,
		    })), usage });
		this.active = null;
		this.send({ type: 'response.done',
		    response: this.responseJson(resp, usage) });
		const next = this.queued.shift();
		if (next)
			this.startResponse(...next);
	}

	// ---- scripts ----
	// The current step waits for its trigger from arm() on; a step with
	// no `on`/`after_audio_ms` runs once the previous step's actions have
	// (schedule()). Triggers without `after_ms` fire synchronously, so
	// that no event is missed by the step after.
	arm() {
		const step = this.steps[this.cursor];
		this.stepArmed = step ? { step, audioFrom: this.inputMs,
			matched: false } : null;
	}
	schedule() {
		const a = this.stepArmed;
		if (!a || a.matched || a.step.on !== undefined ||
		    a.step.after_audio_ms !== undefined)
			return;
		a.matched = true;
		if (a.step.after_ms)
			this.later(a.step.after_ms, () => this.fire(a.step, null));
		else
			this.fire(a.step, null);
	}
	// trigger(type, ctx): an event of `type` was received or sent (ctx: a
	// response.create being handled, which the step's actions answer).
	trigger(type, ctx) {
		const a = this.stepArmed;
		if (!a || a.matched || a.step.on !== type)
			return;
		a.matched = true;
		if (a.step.after_ms)
			this.later(a.step.after_ms, () => this.fire(a.step, null));
		else
			this.fire(a.step, ctx);
	}
	audioTrigger() {
		const a = this.stepArmed;
		if (!a || a.matched || a.step.after_audio_ms === undefined ||
		    this.inputMs - a.audioFrom < a.step.after_audio_ms)
			return;
		a.matched = true;
		if (a.step.after_ms)
			this.later(a.step.after_ms, () => this.fire(a.step, null));
		else
			this.fire(a.step, null);
	}
	fire(step, ctx) {
		if (this.closed || this.steps[this.cursor] !== step)
			return;
		this.rec.steps_done = ++this.cursor;
		this.arm();
		for (const a of step.do) {
			if (this.closed)
				return;
			const [k, v] = typeof a === 'string' ? [a, {}] :
			    Object.entries(a)[0];
			ACTIONS[k].call(this, v, ctx);
		}
		if (!this.closed)
			this.schedule();
	}
}

// ---- the actions of a script step ----
const ACTIONS = {
	respond(r, ctx) {
		if (ctx)
			ctx.used = true;
		this.startResponse({ respond: r }, ctx?.request);
	},
	call_tool(t, ctx) {
		if (ctx)
			ctx.used = true;
		this.startResponse({ call_tool: t }, ctx?.request);
	},
	speech_started(o) {
		this.userItemId ??= id('item');
		const pad = this.session.audio.input.turn_detection
		    ?.prefix_padding_ms ?? 0;
		this.send({ type: 'input_audio_buffer.speech_started',
		    audio_start_ms: o.audio_start_ms ??
		    Math.max(0, Math.floor(this.inputMs) - pad),
		    item_id: this.userItemId });
		// interrupt_response: the server cancels the response itself, a
		// few deltas "leaking" after speech_started (§10).
		if (this.active && this.session.audio.input.turn_detection
		    ?.interrupt_response)
			this.active.leak = o.leak_chunks ?? 2;
	},
	speech_stopped(o) {
		const itemId = this.userItemId ?? id('item');
		this.userItemId = null;
		this.send({ type: 'input_audio_buffer.speech_stopped',
		    audio_end_ms: Math.floor(this.inputMs), item_id: itemId });
		this.commitUser(itemId);
		if (o.respond)
			this.startResponse({ respond: o.respond }, null);
	},
	transcribe_caller(text) {
		let itemId = this.lastUserItemId;
		if (!itemId) {
			itemId = this.userItemId ?? id('item');
			this.userItemId = null;
			this.commitUser(itemId);
		}
		const words = text.split(/(?<= )/);
		const n = Math.ceil(words.length / 2);
		for (const d of [words.slice(0, n).join(''),
		    words.slice(n).join('')])
			if (d)
				this.send({ type:
				    'conversation.item.input_audio_transcription.delta',
				    item_id: itemId, content_index: 0, delta: d });
		this.send({ type:
		    'conversation.item.input_audio_transcription.completed',
		    item_id: itemId, content_index: 0, transcript: text,
		    usage: { type: 'tokens', input_tokens: 40,
			output_tokens: words.length,
			total_tokens: 40 + words.length } });
		const it = this.items.get(itemId);
		if (it)
			it.content = [{ type: 'input_audio', transcript: text }];
		this.lastUserItemId = null;
	},
	error(e) {
		const error = { type: e.type ?? 'invalid_request_error',
			code: e.code ?? null, message: e.message,
			param: e.param ?? null, event_id: null };
		this.rec.errors.push(error);
		this.send({ type: 'error', error });
	},
	drop() {
		this.rec.closed_by_script = 'drop';
		this.ws.terminate();
		this.stop();
	},
	expire_session() {
		this.rec.closed_by_script = 'expire_session';
		this.error('session_expired', 'Your session hit the maximum ' +
		    'duration of 60 minutes.', null, null);
		this.ws.close(1001, 'session expired');
		this.stop();
	},
	close(c) {
		this.rec.closed_by_script = 'close';
		this.ws.close(c.code ?? 1000, c.reason ?? '');
		this.stop();
	},
	send(ev) {
		this.send(clone(ev));
	},
};

// A committed caller item (speech_stopped, commit): committed, then
// conversation.item.added/done.
Conn.prototype.commitUser = function (itemId) {
	const item = { id: itemId, type: 'message', role: 'user',
		status: 'completed',
		content: [{ type: 'input_audio', transcript: null }] };
	const prev = this.addItem(item);
	this.lastUserItemId = itemId;
	this.bufferMs = 0;
	this.send({ type: 'input_audio_buffer.committed', item_id: itemId,
	    previous_item_id: prev });
	this.send({ type: 'conversation.item.added', previous_item_id: prev,
	    item: this.itemJson(item) });
	this.send({ type: 'conversation.item.done', previous_item_id: prev,
	    item: this.itemJson(item) });
};

function mergeSession(s, u) {
	for (const k of Object.keys(u)) {
		if (k === 'audio') {
			for (const dir of ['input', 'output'])
				for (const [kk, vv] of Object.entries(u.audio[dir] ?? {}))
					s.audio[dir][kk] = kk === 'turn_detection' ?
					    vadDefaults(clone(vv)) : kk === 'format' ?
					    fmtDefaults(vv) : clone(vv);
		} else {
			s[k] = clone(u[k]);
		}
	}
}

// ---- the client events (§5.4), already schema-checked ----
const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const HANDLERS = {
	'session.update'(ev, eid) {
		const u = ev.session, s = this.session;
		if (u.model !== undefined && u.model !== s.model)
			return this.refuse('schema', 'invalid_value', 'The model ' +
			    'cannot be changed with session.update (it is ' +
			    `'${s.model}').`, 'session.model', eid);
		const v = u.audio?.output?.voice;
		if (v !== undefined && this.hadAudioOut &&
		    JSON.stringify(v) !== JSON.stringify(s.audio.output.voice))
			return this.refuse('protocol', 'cannot_update_voice',
			    "Cannot update a conversation's voice if assistant " +
			    'audio is present.', 'session.audio.output.voice', eid);
		mergeSession(s, u);
		this.configured = true;
		this.rec.session = s;
		this.rec.session_updates++;
		this.send({ type: 'session.updated', session: clone(s) });
	},
	'input_audio_buffer.append'(ev, eid) {
		if (!B64.test(ev.audio))
			return this.refuse('schema', 'invalid_value', "Invalid " +
			    "'audio': the audio is not valid base64.", 'audio', eid);
		const bytes = Buffer.from(ev.audio, 'base64').length;
		if (bytes > 15 * 1024 * 1024)
			return this.refuse('schema', 'invalid_value', "Invalid " +
			    "'audio': more than 15 MiB in one event.", 'audio', eid);
		const ai = this.rec.audio_in;
		if (!this.configured) {
			if (ai.before_session_update++ === 0)
				violation(this, 'audio_before_session_update', {
				    event_id: eid, message: 'input_audio_buffer.append ' +
				    'before any session.update (the format would be ' +
				    'PCM16 24 kHz)' });
		}
		const ms = bytes / bytesPerMs(this.session.audio.input.format);
		ai.events++;
		ai.bytes += bytes;
		ai.ms += ms;
		this.inputBytes += bytes;
		this.inputMs += ms;
		this.bufferMs += ms;
		this.audioTrigger();
	},
	'input_audio_buffer.commit'(ev, eid) {
		if (this.bufferMs < 100)
			return this.refuse('protocol', 'input_audio_buffer_commit_empty',
			    'Error committing input audio buffer: buffer too small. ' +
			    'Expected at least 100ms of audio, but buffer only has ' +
			    `${this.bufferMs.toFixed(2)}ms of audio.`, null, eid);
		const itemId = this.userItemId ?? id('item');
		this.userItemId = null;
		this.commitUser(itemId);
	},
	'input_audio_buffer.clear'() {
		this.bufferMs = 0;
		this.send({ type: 'input_audio_buffer.cleared' });
	},
	'conversation.item.create'(ev, eid) {
		const it = ev.item;
		if (ev.previous_item_id && ev.previous_item_id !== 'root' &&
		    !this.items.has(ev.previous_item_id))
			return this.refuse('protocol', 'invalid_value', 'Previous ' +
			    `item with id '${ev.previous_item_id}' not found.`,
			    'previous_item_id', eid);
		if (it.id !== undefined && this.items.has(it.id))
			return this.refuse('protocol', 'invalid_value', `Item with ` +
			    `id '${it.id}' already exists.`, 'item.id', eid);
		if (it.type === 'function_call_output') {
			const call = this.calls.get(it.call_id);
			if (!call)
				return this.refuse('protocol', 'invalid_value', 'Tool ' +
				    `call ID '${it.call_id}' not found in conversation.`,
				    'item.call_id', eid);
			if (call.output !== null)
				violation(this, 'protocol', { event_id: eid,
				    message: `second function_call_output for ${
				    it.call_id}` });
			call.output = it.output;
			call.answered_t_ms = Date.now() - t0;
		}
		const item = { ...clone(it), id: it.id ?? id('item'),
			status: 'completed' };
		const prev = this.addItem(item);
		this.send({ type: 'conversation.item.added', previous_item_id: prev,
		    item: this.itemJson(item) });
		this.send({ type: 'conversation.item.done', previous_item_id: prev,
		    item: this.itemJson(item) });
	},
	'conversation.item.truncate'(ev, eid) {
		const item = this.items.get(ev.item_id);
		const tr = { t_ms: Date.now() - t0, item_id: ev.item_id,
			audio_end_ms: ev.audio_end_ms, item_audio_ms: null, ok: false };
		this.rec.truncations.push(tr);
		if (!item)
			return this.refuse('protocol', 'invalid_value', `Item with ` +
			    `item_id '${ev.item_id}' not found.`, 'item_id', eid);
		if (item.role !== 'assistant' || !item.audio)
			return this.refuse('protocol', 'unsupported_content_type',
			    'Only model output audio messages can be truncated',
			    null, eid);
		if (ev.content_index !== 0)
			return this.refuse('protocol', 'invalid_value', "Invalid " +
			    `'content_index': the item has no content part ${
			    ev.content_index}.`, 'content_index', eid);
		const len = Math.floor(item.audioBytes / item.bpm);
		tr.item_audio_ms = len;
		if (ev.audio_end_ms > len) {
			violation(this, 'truncate_too_long', { event_id: eid,
			    code: null, message: `Audio content of ${len}ms is ` +
			    `already shorter than ${ev.audio_end_ms}ms` });
			return this.error(null, `Audio content of ${len}ms is ` +
			    `already shorter than ${ev.audio_end_ms}ms`, null, eid);
		}
		tr.ok = true;
		item.audioBytes = ev.audio_end_ms * item.bpm;
		item.said = '';
		item.content = [{ type: 'output_audio', transcript: '' }];
		this.send({ type: 'conversation.item.truncated', item_id: item.id,
		    content_index: 0, audio_end_ms: ev.audio_end_ms });
	},
	'conversation.item.delete'(ev, eid) {
		if (!this.items.delete(ev.item_id))
			return this.refuse('protocol', 'invalid_value', `Item with ` +
			    `item_id '${ev.item_id}' not found.`, 'item_id', eid);
		this.send({ type: 'conversation.item.deleted', item_id: ev.item_id });
	},
	'conversation.item.retrieve'(ev, eid) {
		const item = this.items.get(ev.item_id);
		if (!item)
			return this.refuse('protocol', 'invalid_value', `Item with ` +
			    `item_id '${ev.item_id}' not found.`, 'item_id', eid);
		this.send({ type: 'conversation.item.retrieved',
		    item: this.itemJson(item) });
	},
	'response.create'(ev, eid) {
		if (!this.configured)
			violation(this, 'response_before_session_update', {
			    event_id: eid, message: 'response.create before any ' +
			    'session.update (the audio would be PCM16 24 kHz)' });
		if (this.active && ev.response?.conversation !== 'none')
			return this.refuse('protocol',
			    'conversation_already_has_active_response', 'Conversation ' +
			    'already has an active response in progress: ' +
			    `${this.active.id}. Wait until the response is finished ` +
			    'before creating a new one.', null, eid);
		const ctx = { request: ev, used: false };
		this.trigger('response.create', ctx);
		if (!ctx.used)
			this.startResponse({ respond: {} }, ev);
	},
	'response.cancel'(ev, eid) {
		if (!this.active || (ev.response_id &&
		    ev.response_id !== this.active.id)) {
			// Benign (§5.4): recorded in `errors`, not a violation.
			return this.error('response_cancel_not_active',
			    'Cancellation failed: no active response found', null,
			    eid);
		}
		this.finishResponse(this.active, 'cancelled', 'client_cancelled');
	},
};

// ---- HTTP: control endpoints ----
function sendJson(res, status, body) {
	const b = JSON.stringify(body);
	res.writeHead(status, { 'Content-Type': 'application/json',
	    'Content-Length': Buffer.byteLength(b) });
	res.end(b);
}
function readBody(req) {
	return new Promise((ok, ko) => {
		const parts = [];
		let n = 0;
		req.on('data', (d) => {
			n += d.length;
			if (n > 1 << 20) {
				ko(new Error('body too large'));
				req.destroy();
			}
			parts.push(d);
		});
		req.on('end', () => ok(Buffer.concat(parts).toString('utf8')));
		req.on('error', ko);
	});
}

// Every HTTP(S) request that is not an upgrade: the control endpoints.
async function onRequest(req, res) {
	const u = new URL(req.url, 'http://x');
	try {
		if (u.pathname === '/_fake/log' && req.method === 'GET')
			return sendJson(res, 200, { connections, violations });
		if (u.pathname === '/_fake/reset' && req.method === 'POST') {
			await readBody(req);
			connections = [];
			violations = [];
			scriptQueue = [];
			return sendJson(res, 200, { reset: true });
		}
		if (u.pathname === '/_fake/script' && req.method === 'GET')
			return sendJson(res, 200, { queue: scriptQueue,
			    default: defaultScript });
		if (u.pathname === '/_fake/script' && req.method === 'POST') {
			let steps;
			try {
				steps = checkScript(JSON.parse(await readBody(req)));
			} catch (e) {
				process.stderr.write(`realtime: bad script: ${e.message}\n`);
				return sendJson(res, 400, { error: e.message });
			}
			scriptQueue.push(steps);
			return sendJson(res, 200, { queued: scriptQueue.length });
		}
	} catch (e) {
		return sendJson(res, 400, { error: e.message });
	}
	sendJson(res, 404, { error: { type: 'invalid_request_error',
	    code: 'not_found', message: `Unknown path ${u.pathname}`,
	    param: null } });
}
const server = tlsFiles ? createTlsServer(tlsFiles, onRequest) :
    createServer(onRequest);

// ---- WebSocket upgrades (§5.1) ----
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false,
	maxPayload: 32 * 1024 * 1024 });

function refuseUpgrade(sock, rec, status, code, message) {
	rec.refused = { status, code, message };
	violation(null, 'upgrade_refused', { conn_record: rec.id, code,
	    message });
	const body = JSON.stringify({ error: { type: 'invalid_request_error',
	    code, message, param: null } });
	const reason = { 400: 'Bad Request', 401: 'Unauthorized',
	    404: 'Not Found' }[status];
	sock.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: ` +
	    `application/json\r\nContent-Length: ${Buffer.byteLength(body)}` +
	    `\r\nConnection: close\r\n\r\n${body}`);
}

server.on('upgrade', (req, sock, head) => {
	const u = new URL(req.url, 'http://x');
	const headers = { ...req.headers };
	if (headers.authorization)
		headers.authorization = headers.authorization.replace(
		    /^(\S+)\s.*$/s, '$1 <redacted>');
	const rec = {
		id: connections.length + 1, t_ms: Date.now() - t0,
		path: u.pathname, query: Object.fromEntries(u.searchParams),
		headers, refused: null, session: null, session_updates: 0,
		received: [], sent: [], violations: [], errors: [],
		audio_in: { events: 0, bytes: 0, ms: 0, before_session_update: 0 },
		responses: [], truncations: [], tool_calls: [], script: [],
		steps_done: 0, closed: null, closed_by_script: null,
	};
	connections.push(rec);
	sock.on('error', () => {});
	if (u.pathname !== '/' && !u.pathname.endsWith('/realtime'))
		return refuseUpgrade(sock, rec, 404, 'not_found',
		    `Unknown path ${u.pathname}; the Realtime API is /v1/realtime`);
	const auth = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
	if (!auth)
		return refuseUpgrade(sock, rec, 401, 'missing_api_key', 'You ' +
		    "didn't provide an API key. You need to provide your API key " +
		    'in an Authorization header using Bearer auth (i.e. ' +
		    'Authorization: Bearer YOUR_KEY).');
	if (opt.apiKey) {
		const a = Buffer.from(auth[1]), b = Buffer.from(opt.apiKey);
		if (a.length !== b.length || !timingSafeEqual(a, b))
			return refuseUpgrade(sock, rec, 401, 'invalid_api_key',
			    'Incorrect API key provided.');
	}
	const model = u.searchParams.get('model');
	if (!model)
		return refuseUpgrade(sock, rec, 400, 'missing_required_parameter',
		    "Missing required parameter: 'model'.");
	const steps = scriptQueue.length ? scriptQueue.shift() :
	    clone(defaultScript);
	wss.handleUpgrade(req, sock, head, (ws) => {
		const conn = new Conn(ws, rec, model, steps);
		ws.on('close', (code, reason) => {
			conn.stop();
			rec.closed = { code, reason: reason.toString('utf8'),
			    t_ms: Date.now() - t0 };
		});
		ws.on('error', () => {});
		for (const k of u.searchParams.keys())
			if (k !== 'model' && k !== 'call_id')
				violation(conn, 'protocol', { message: `query parameter ` +
				    `'${k}' is not documented (only model, call_id)` });
		// The beta interface is shut off (§5.1, §8).
		if (/realtime\s*=\s*v1/i.test(req.headers['openai-beta'] ?? '')) {
			violation(conn, 'beta_header', { code:
			    'beta_api_shape_disabled', message: `OpenAI-Beta: ${
			    req.headers['openai-beta']}` });
			conn.error('beta_api_shape_disabled', 'The Realtime Beta API ' +
			    'is no longer supported. Please use /v1/realtime for the ' +
			    'GA API.', null, null);
			conn.stop();
			ws.close(4000, 'beta_api_shape_disabled');
			return;
		}
		ws.on('message', (data, isBinary) => {
			try {
				conn.onMessage(data, isBinary);
			} catch (e) {
				process.stderr.write(`realtime: ${e.stack}\n`);
				violation(conn, 'fake_bug', { message: e.message });
			}
		});
		rec.session = conn.session;
		conn.arm();
		conn.send({ type: 'session.created',
		    session: clone(conn.session) });
		conn.schedule();
	});
});

server.on('clientError', (err, sock) => {
	sock.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
});
// A client that refuses our certificate (or speaks no TLS) never reaches
// the upgrade: say so on stderr, log nothing.
server.on('tlsClientError', (err, sock) => {
	process.stderr.write('realtime: TLS handshake failed: ' +
	    `${err.message.trim()}\n`);
	sock.destroy();
});
server.listen(opt.port, opt.host, () => {
	process.stdout.write(`listening on ${server.address().port}\n`);
});
// Never outlive a forgetful test.
setTimeout(() => process.exit(3), opt.maxLifetime * 1000).unref();
for (const sig of ['SIGTERM', 'SIGINT'])
	process.on(sig, () => {
		for (const ws of wss.clients)
			ws.terminate();
		server.close();
		process.exit(0);
	});
