// A UI client for tests/e2e/acceptance.sh: connects to the live feed
// (WS /twilio/events, doc/ui-events.md) with the operator's key as a
// Bearer and appends every message it gets to OUT, one JSON object a line,
// as it arrives. Lines it adds itself start with "_": {"_open": true} once
// upgraded, {"_closed": {code, reason}} at the end. Exits 0 once the feed
// closes or on SIGTERM, 1 if it could not connect within 5 s.
//
//   VOICEGATE_API_KEY=... node acceptance_feed.mjs ws://127.0.0.1:PORT/twilio/events OUT
import { appendFileSync, writeFileSync } from 'node:fs';
import { loadWs } from '../fakes/realtime_lib.mjs';

const [url, out] = process.argv.slice(2);
if (!url || !out) {
	console.error('usage: acceptance_feed.mjs WS_URL OUT');
	process.exit(2);
}
const WebSocket = loadWs();
const line = (o) => appendFileSync(out, JSON.stringify(o) + '\n');
writeFileSync(out, '');

const ws = new WebSocket(url, {
	headers: { Authorization: 'Bearer ' + (process.env.VOICEGATE_API_KEY ||
	    '') },
	handshakeTimeout: 5000,
});
ws.on('open', () => line({ _open: true }));
ws.on('message', (data, binary) => {
	let msg;
	try {
		msg = JSON.parse(data.toString());
	} catch {
		msg = { _not_json: data.toString().slice(0, 200), binary };
	}
	line(msg);
});
ws.on('unexpected-response', (req, res) => {
	line({ _unexpected_response: res.statusCode });
	process.exit(1);
});
ws.on('error', (e) => {
	line({ _error: e.message });
	process.exit(1);
});
ws.on('close', (code, reason) => {
	line({ _closed: { code, reason: reason.toString() } });
	process.exit(0);
});
process.on('SIGTERM', () => {
	line({ _closed: { code: null, reason: 'SIGTERM' } });
	process.exit(0);
});
