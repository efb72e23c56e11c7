#!/usr/bin/env node
// A small HTTP server that stands where the fakes send their webhooks and
// status callbacks, for the fakes' own tests: it records every request and
// checks its X-Twilio-Signature with the official library's validateRequest
// over the URL it was requested at (http://HOST:PORT/path?query).
//
//   node callback_sink.mjs --token TOKEN [--port 0] [--reply TWIML]
//
// Prints "listening on PORT". Answers every request but GET /_sink/requests
// with 200 and --reply as text/xml (default: an empty <Response/>).
// GET /_sink/requests gives the records as JSON: method, url, params (list
// of pairs), signature, valid.
import { createServer } from 'node:http';
import { loadTwilio } from './twilio_lib.mjs';

let twilio;
try {
	twilio = loadTwilio();
} catch (e) {
	process.stderr.write(`callback_sink: ${e.message}\n`);
	process.exit(2);
}
let token = null, port = 0;
let reply = '<?xml version="1.0" encoding="UTF-8"?><Response/>';
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) {
	const v = argv[i + 1];
	if (v === undefined) {
		process.stderr.write(`callback_sink: ${argv[i]} needs a value\n`);
		process.exit(2);
	}
	if (argv[i] === '--token') token = v;
	else if (argv[i] === '--port') port = Number(v);
	else if (argv[i] === '--reply') reply = v;
	else {
		process.stderr.write(`callback_sink: unknown argument ${argv[i]}\n`);
		process.exit(2);
	}
}
if (token === null) {
	process.stderr.write('usage: callback_sink.mjs --token TOKEN ' +
	    '[--port N] [--reply TWIML]\n');
	process.exit(2);
}

const records = [];
const server = createServer((req, res) => {
	const chunks = [];
	req.on('data', (d) => chunks.push(d));
	req.on('end', () => {
		if (req.method === 'GET' && req.url === '/_sink/requests') {
			res.writeHead(200, { 'Content-Type': 'application/json' });
			res.end(JSON.stringify(records));
			return;
		}
		const body = Buffer.concat(chunks).toString('utf8');
		const url = `http://${req.headers.host}${req.url}`;
		// A GET is signed over its URL alone; its query parameters are
		// listed in the record all the same.
		const pairs = req.method === 'POST' ?
		    [...new URLSearchParams(body)] : [];
		const params = {};
		const shown = req.method === 'POST' ? pairs :
		    [...new URL(url).searchParams];
		for (const [k, v] of pairs)
			params[k] = Object.hasOwn(params, k) ?
			    [].concat(params[k], v) : v;
		const sig = req.headers['x-twilio-signature'] ?? null;
		records.push({
			method: req.method, url, params: shown,
			content_type: req.headers['content-type'] ?? null,
			signature: sig,
			valid: sig !== null &&
			    twilio.validateRequest(token, sig, url, params),
		});
		res.writeHead(200, { 'Content-Type': 'text/xml' });
		res.end(reply);
	});
});
server.listen(port, '127.0.0.1', () => {
	process.stdout.write(`listening on ${server.address().port}\n`);
});
setTimeout(() => process.exit(3), 900 * 1000).unref();
process.on('SIGTERM', () => process.exit(0));
