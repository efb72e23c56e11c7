#!/usr/bin/env node
// Test driver for the fake Realtime server (realtime.mjs): connects, sends a
// JSON list of client events in order and prints every server event, one
// JSON object a line, on stdout.
//
//   node realtime_client.mjs --url ws://127.0.0.1:PORT/v1/realtime?model=M
//       [--key KEY] [--header 'Name: value']... [--timeout-ms 10000]
//       FILE.json|-
//
// Items of the list are sent as they are, except these directives:
//   {"_wait": "TYPE"}        wait for a server event of TYPE (the next one
//                            after the last wait's match, or an earlier one
//                            not yet waited for), {"_wait": "TYPE", "n": 3}
//                            for the third of them
//   {"_sleep_ms": N}         pause (ends early when the socket closes)
//   {"_append_ms": N, "chunk_ms": 20, "byte": 255}  input_audio_buffer.append
//                            of N ms of μ-law (8 bytes/ms), in chunks
//   {"_raw": "text"}         a text frame as is (not JSON)
//   {"_close": 1000}         close and stop
// Any string "${TYPE:path.to.field}" in an event is replaced by that field
// of the last server event of TYPE received (e.g.
// "${response.output_item.added:item.id}").
// The last lines are {"_closed": {code, reason}} when the socket closed (or
// {"_done": true} when the list ended first; the client then closes with
// 1000), and {"_timeout": TYPE} when a wait ran out. Exit 0, or 1 after a
// timeout or a connection failure ({"_error": message} or
// {"_unexpected_response": status, "body": ...}).
import { readFileSync } from 'node:fs';
import { loadWs } from './realtime_lib.mjs';

const { WebSocket } = loadWs();
const opt = { url: null, key: null, headers: {}, timeout: 10000, file: null };
{
	const argv = process.argv.slice(2);
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		if (a === '--url')
			opt.url = argv[++i];
		else if (a === '--key')
			opt.key = argv[++i];
		else if (a === '--header') {
			const m = /^([^:]+):\s*(.*)$/.exec(argv[++i] ?? '');
			if (!m) {
				process.stderr.write('realtime_client: bad --header\n');
				process.exit(2);
			}
			opt.headers[m[1]] = m[2];
		} else if (a === '--timeout-ms')
			opt.timeout = Number(argv[++i]);
		else
			opt.file = a;
	}
	if (!opt.url || !opt.file) {
		process.stderr.write('usage: realtime_client.mjs --url URL ' +
		    "[--key K] [--header 'N: V'] [--timeout-ms N] FILE.json|-\n");
		process.exit(2);
	}
}
const script = JSON.parse(readFileSync(opt.file === '-' ? 0 : opt.file,
    'utf8'));
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');

const headers = { ...opt.headers };
if (opt.key !== null)
	headers.Authorization = `Bearer ${opt.key}`;
const ws = new WebSocket(opt.url, { headers, perMessageDeflate: false });
const received = [];   // server events
const last = new Map(); // type → last event
let waiter = null;
const closedP = new Promise((ok) => ws.once('close', ok));
let closed = false;
let failed = false;
const consumed = new Map(); // type → how many a _wait has used up

function get(obj, path) {
	return path.split('.').reduce((o, k) => (o == null ? undefined : o[k]),
	    obj);
}
function subst(v) {
	if (typeof v === 'string') {
		const m = /^\$\{([^:}]+):([^}]+)\}$/.exec(v);
		return m ? get(last.get(m[1]), m[2]) : v;
	}
	if (Array.isArray(v))
		return v.map(subst);
	if (v && typeof v === 'object')
		return Object.fromEntries(Object.entries(v).map(([k, x]) =>
		    [k, subst(x)]));
	return v;
}

ws.on('message', (data) => {
	const text = data.toString('utf8');
	let ev;
	try {
		ev = JSON.parse(text);
	} catch {
		ev = { _not_json: text };
	}
	out(ev);
	received.push(ev);
	last.set(ev.type, ev);
	if (waiter)
		waiter();
});
ws.on('unexpected-response', (req, res) => {
	let body = '';
	res.on('data', (d) => { body += d; });
	res.on('end', () => {
		out({ _unexpected_response: res.statusCode, body });
		process.exit(1);
	});
});
ws.on('error', (e) => {
	if (!closed) {
		out({ _error: e.message });
		failed = true;
	}
});
ws.on('close', (code, reason) => {
	closed = true;
	out({ _closed: { code, reason: reason.toString('utf8') } });
	if (waiter)
		waiter();
});

function wait(type, n) {
	return new Promise((ok) => {
		const timer = setTimeout(() => {
			waiter = null;
			ok(false);
		}, opt.timeout);
		const check = () => {
			const got = received.filter((e) => e.type === type).length;
			const need = (consumed.get(type) ?? 0) + n;
			if (got >= need) {
				consumed.set(type, need);
			} else if (!closed) {
				return;
			} else {
				clearTimeout(timer);
				waiter = null;
				return ok(false);
			}
			clearTimeout(timer);
			waiter = null;
			ok(true);
		};
		waiter = check;
		check();
	});
}

async function run() {
	await new Promise((ok) => {
		ws.once('open', ok);
		ws.once('close', ok);
	});
	for (const item of script) {
		if (item._wait !== undefined) {
			if (!await wait(item._wait, item.n ?? 1)) {
				out({ _timeout: item._wait });
				failed = true;
				break;
			}
			continue;
		}
		if (closed)
			break;
		if (item._sleep_ms !== undefined) {
			// Cut short when the socket closes.
			let t;
			await Promise.race([closedP, new Promise((ok) => {
				t = setTimeout(ok, item._sleep_ms);
			})]);
			clearTimeout(t);
		} else if (item._append_ms !== undefined) {
			const chunk = item.chunk_ms ?? 20;
			for (let ms = 0; ms < item._append_ms; ms += chunk) {
				const n = Math.min(chunk, item._append_ms - ms) * 8;
				ws.send(JSON.stringify({ type: 'input_audio_buffer.append',
				    audio: Buffer.alloc(n, item.byte ?? 0xff)
					.toString('base64') }));
			}
		} else if (item._raw !== undefined) {
			ws.send(item._raw);
		} else if (item._close !== undefined) {
			ws.close(item._close);
			break;
		} else {
			ws.send(JSON.stringify(subst(item)));
		}
	}
	if (!closed) {
		// Let the last answers arrive, then close.
		await new Promise((ok) => setTimeout(ok, 100));
		if (!closed) {
			out({ _done: true });
			ws.close(1000);
			let t;
			await Promise.race([closedP, new Promise((ok) => {
				t = setTimeout(ok, 2000);
			})]);
			clearTimeout(t);
		}
	}
	process.exit(failed ? 1 : 0);
}
setTimeout(() => {
	out({ _timeout: 'overall' });
	process.exit(1);
}, opt.timeout * 3 + 30000).unref();
run();
