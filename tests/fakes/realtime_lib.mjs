// Helpers of the fake OpenAI Realtime server (realtime.mjs) and its test
// driver (realtime_client.mjs): loading the `ws` npm package, G.711 audio,
// ids.
//
// `ws` is installed in tests/node_modules by run-tests (`npm ci --prefix
// tests`). Looked for like the twilio library (twilio_lib.mjs): in
// $VG_NODE_MODULES, by the usual resolution from this file, then in a
// tests/node_modules of any folder above this one.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';

const here = dirname(fileURLToPath(import.meta.url));

// loadWs(): the `ws` module object; throws an Error saying how to install it.
export function loadWs() {
	const dirs = [];
	if (process.env.VG_NODE_MODULES)
		dirs.push(resolve(process.env.VG_NODE_MODULES));
	dirs.push(null);
	for (let d = here; ; d = dirname(d)) {
		dirs.push(join(d, 'tests', 'node_modules'), join(d, 'node_modules'));
		if (dirname(d) === d)
			break;
	}
	for (const nm of dirs) {
		try {
			if (nm === null)
				return createRequire(import.meta.url)('ws');
			if (existsSync(join(nm, 'ws', 'package.json')))
				return createRequire(join(nm, 'noop.js'))('ws');
		} catch {
			// next candidate
		}
	}
	throw new Error('the ws npm package is not installed; run ' +
	    '`npm ci --prefix tests --no-audit --no-fund` in the source tree ' +
	    '(or set VG_NODE_MODULES)');
}

// id(prefix): an opaque id like the server's (`item_` + 20 characters).
export function id(prefix) {
	return prefix + '_' + randomBytes(15).toString('base64')
	    .replace(/[+/=]/g, 'x').slice(0, 20);
}

// G.711 μ-law encoding of a 16-bit linear sample (the usual table-free
// algorithm: bias 0x84, clip 32635, inverted bits).
export function linearToUlaw(s) {
	let sign = 0;
	if (s < 0) {
		s = -s;
		sign = 0x80;
	}
	if (s > 32635)
		s = 32635;
	s += 0x84;
	let exp = 7;
	for (let m = 0x4000; (s & m) === 0 && exp > 0; m >>= 1)
		exp--;
	const mant = (s >> (exp + 3)) & 0x0f;
	return ~(sign | (exp << 4) | mant) & 0xff;
}

// G.711 A-law encoding of a 16-bit linear sample.
export function linearToAlaw(s) {
	let sign = 0x80;
	if (s < 0) {
		s = -s - 1;
		sign = 0;
	}
	if (s > 32767)
		s = 32767;
	let out;
	if (s < 256) {
		out = s >> 4;
	} else {
		let exp = 1;
		for (let v = s >> 8; v > 1; v >>= 1)
			exp++;
		out = (exp << 4) | ((s >> (exp + 3)) & 0x0f);
	}
	return (out | sign) ^ 0x55;
}

// Bytes per millisecond of audio in a GA format object.
export function bytesPerMs(format) {
	return format && format.type === 'audio/pcm' ? 48 : 8;
}

// A tone generator: next(ms) returns the next ms of audio in `format`
// (a sine of `hz` at amplitude 8000; hz 0 is digital silence), phase kept
// from one call to the next so the chunks join seamlessly.
export function toneGenerator(format, hz) {
	const pcm = format.type === 'audio/pcm';
	const rate = pcm ? 24000 : 8000;
	let n = 0;
	return {
		next(ms) {
			const samples = Math.round(ms * rate / 1000);
			const out = Buffer.alloc(pcm ? samples * 2 : samples);
			for (let i = 0; i < samples; i++, n++) {
				const v = hz ? Math.round(8000 *
				    Math.sin(2 * Math.PI * hz * n / rate)) : 0;
				if (pcm)
					out.writeInt16LE(v, i * 2);
				else if (format.type === 'audio/pcma')
					out[i] = linearToAlaw(v);
				else
					out[i] = linearToUlaw(v);
			}
			return out;
		},
	};
}
