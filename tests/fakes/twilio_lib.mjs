// Loads the official `twilio` npm helper library for the fakes and the
// signing tools. It is installed in tests/node_modules by run-tests
// (`npm ci --prefix tests`). Looked for, in order: $VG_NODE_MODULES (a
// node_modules folder), the usual resolution from this file, then a
// tests/node_modules in any folder above this one (so a `make distcheck`
// tree unpacked inside a checkout still finds the checkout's copy).
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

function candidates() {
	const out = [];
	if (process.env.VG_NODE_MODULES)
		out.push(resolve(process.env.VG_NODE_MODULES));
	out.push(null); // normal resolution from this file
	for (let d = here; ; d = dirname(d)) {
		out.push(join(d, 'tests', 'node_modules'));
		out.push(join(d, 'node_modules'));
		if (dirname(d) === d)
			break;
	}
	return out;
}

// loadTwilio(): the library's module object; throws an Error that says how
// to install it when it is nowhere to be found.
export function loadTwilio() {
	const tried = [];
	for (const nm of candidates()) {
		try {
			if (nm === null)
				return createRequire(import.meta.url)('twilio');
			if (!existsSync(join(nm, 'twilio', 'package.json')))
				continue;
			return createRequire(join(nm, 'noop.js'))('twilio');
		} catch (e) {
			tried.push(`${nm ?? '(default resolution)'}: ${e.code ?? e.message}`);
		}
	}
	throw new Error('the twilio npm library is not installed; run ' +
	    '`npm ci --prefix tests --no-audit --no-fund` in the source tree ' +
	    '(or set VG_NODE_MODULES)');
}

// twilioVersion(): the installed library's version string.
export function twilioVersion() {
	for (const nm of candidates()) {
		if (nm === null)
			continue;
		const p = join(nm, 'twilio', 'package.json');
		if (existsSync(p))
			return createRequire(import.meta.url)(p).version;
	}
	try {
		return createRequire(import.meta.url)('twilio/package.json').version;
	} catch {
		return 'unknown';
	}
}
