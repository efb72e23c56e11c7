// The operator's page end to end in headless Chromium, driven by
// playwright-core; run by tests/e2e/ui_browser.sh, which starts the fakes
// and the daemon and passes everything in UIB_* variables. Prints one
// "ok   NAME" / "FAIL NAME" / "skip NAME: why" line per check; the wrapper
// counts them. Screenshots: $UIB_ARTIFACTS/ui_browser-NN-step.png; the
// feed messages the page got: $UIB_ARTIFACTS/ui_browser-feed.jsonl.
// Selectors are the ids and data-testids of doc/ui-events.md.
import { createRequire } from 'node:module';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const env = (k, d) => process.env[k] ?? d;
const BASE = env('UIB_BASE');
const KEY = env('UIB_KEY');
const FAKE_TWILIO = env('UIB_FAKE_TWILIO');
const FAKE_RT = env('UIB_FAKE_RT', '');
const REALTIME = env('UIB_REALTIME') === '1';
const ART = env('UIB_ARTIFACTS');
const SIM = env('UIB_SIM');
const DCTL = env('UIB_DAEMONCTL');
const TMP = env('UIB_TMP');
const ACCOUNT = env('UIB_ACCOUNT');
const CALLER = '+14155550100';
const CALLED = '+15005550006';
const OUT_TO = '+15551234567';
const OUT_FROM = env('UIB_FROM');
const GREETING = 'Hello, this is the transit desk. How can I help?';
const CALLER_SAYS = 'I need a ticket to Boston tomorrow';
const ANSWER = 'Sure, let me look up the departures.';

// playwright-core from tests/node_modules: $VG_NODE_MODULES, the usual
// resolution, or a tests/node_modules above (as tests/fakes/twilio_lib.mjs).
function loadPlaywright() {
	const here = dirname(fileURLToPath(import.meta.url));
	const dirs = [];
	if (process.env.VG_NODE_MODULES)
		dirs.push(resolve(process.env.VG_NODE_MODULES));
	for (let d = here; ; d = dirname(d)) {
		dirs.push(join(d, 'tests', 'node_modules'), join(d, 'node_modules'));
		if (dirname(d) === d)
			break;
	}
	for (const nm of dirs) {
		if (existsSync(join(nm, 'playwright-core', 'package.json')))
			return createRequire(join(nm, 'noop.js'))('playwright-core');
	}
	throw new Error('playwright-core is not installed: run `npm ci ' +
	    '--prefix tests --no-audit --no-fund` in the source tree');
}

// ---- checks ----
let failed = 0;
function check(name, ok, why) {
	console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}`);
	if (!ok) {
		failed++;
		if (why)
			console.log(`  ${String(why).split('\n')[0].slice(0, 300)}`);
	}
	return ok;
}
function skip(name, why) {
	console.log(`skip ${name}: ${why}`);
}
// step NAME FN: FN must not throw.
async function step(name, fn) {
	try {
		await fn();
		return check(name, true);
	} catch (e) {
		return check(name, false, e && e.message);
	}
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// until DESC FN [MS]: FN's value once it is truthy, else an error.
async function until(desc, fn, ms = 5000) {
	const end = Date.now() + ms;
	let last;
	for (;;) {
		try {
			const v = await fn();
			if (v)
				return v;
		} catch (e) {
			last = e;
		}
		if (Date.now() > end)
			break;
		await sleep(100);
	}
	throw new Error(`${desc}: not within ${ms} ms` +
	    (last ? ` (${last.message.split('\n')[0]})` : ''));
}
function assert(ok, what) {
	if (!ok)
		throw new Error(what);
}

let shot = 0;
async function screenshot(page, name) {
	shot++;
	const f = join(ART, `ui_browser-${String(shot).padStart(2, '0')}-` +
	    `${name}.png`);
	try {
		await page.evaluate(() => window.scrollTo(0, 0));
		await page.screenshot({ path: f, fullPage: true, timeout: 5000 });
	} catch (e) {
		console.log(`  (screenshot ${name}: ${e.message.split('\n')[0]})`);
	}
}

async function getJson(url, opt) {
	const r = await fetch(url, { signal: AbortSignal.timeout(5000), ...opt });
	return r.json();
}
async function fakeRequests() {
	return getJson(`${FAKE_TWILIO}/_fake/requests`);
}
function dctl(cmd) {
	const r = spawnSync(DCTL, [cmd], { encoding: 'utf8', timeout: 15000 });
	if (r.status !== 0)
		throw new Error(`daemonctl ${cmd}: ${r.stderr || r.status}`);
}
// m:ss or h:mm:ss as seconds
function secs(t) {
	return String(t).trim().split(':').reduce((a, x) => a * 60 + Number(x),
	    0);
}

// ---- the run ----
async function login(page, key) {
	await page.locator('#login-key').fill(key);
	await Promise.all([
	    page.waitForNavigation({ waitUntil: 'load', timeout: 8000 }),
	    page.locator('#login-submit').click()]);
}
const feedState = (page) => page.locator('#feed-status')
    .getAttribute('data-state', { timeout: 1000 });

async function main() {
	const { chromium } = loadPlaywright();
	const host = new URL(BASE).host;
	const browser = await chromium.launch({
		executablePath: env('UIB_CHROMIUM', '/usr/bin/chromium'),
		headless: true,
		chromiumSandbox: false,
		timeout: 20000,
		args: ['--no-sandbox', '--disable-gpu', '--disable-quic',
		    '--no-first-run', '--disable-background-networking',
		    '--disable-component-update', '--disable-sync'],
	});
	const context = await browser.newContext({
		viewport: { width: 1366, height: 900 }, acceptDownloads: true,
		colorScheme: 'dark' });
	context.setDefaultTimeout(5000);
	const page = await context.newPage();
	const foreign = [], pageErrors = [], cspErrors = [];
	page.on('request', (r) => {
		const u = new URL(r.url());
		if (!['data:', 'blob:'].includes(u.protocol) && u.host !== host)
			foreign.push(r.url());
	});
	// Every feed message the page got, kept as an artifact.
	const feed = [];
	page.on('websocket', (ws) => {
		if (new URL(ws.url()).host !== host)
			foreign.push(ws.url());
		ws.on('framereceived', (f) => feed.push(String(f.payload)));
	});
	page.on('pageerror', (e) => pageErrors.push(e.message));
	page.on('console', (m) => {
		if (m.type() === 'error' && /Content.Security.Policy/i.test(m.text()))
			cspErrors.push(m.text());
	});

	// ---- sign in: a wrong key first ----
	let resp = await page.goto(`${BASE}/`, { timeout: 10000 });
	check('login/page_answers_401_with_form', resp.status() === 401 &&
	    await page.locator('#login-form').isVisible(),
	    `status ${resp.status()}`);
	await step('login/wrong_key_refused_with_message', async () => {
		await login(page, 'not-the-key');
		const err = page.locator('#login-error');
		await err.waitFor({ state: 'visible' });
		assert(/wrong key/i.test(await err.textContent()),
		    `message "${await err.textContent()}"`);
		assert(await page.locator('#call-form').count() === 0,
		    'the page is shown');
	});
	await screenshot(page, 'login-wrong-key');
	await step('login/right_key_opens_page', async () => {
		await login(page, KEY);
		await page.locator('#call-form').waitFor({ state: 'visible' });
	});
	await step('feed/status_live', async () => {
		await until('feed live', async () =>
		    await feedState(page) === 'live');
	});

	// ---- the empty state ----
	await step('calls/empty_state', async () => {
		await page.locator('#calls-empty').waitFor({ state: 'visible' });
		assert(await page.locator('#calls-count').textContent() === '0',
		    'count is not 0');
		assert(await page.locator('[data-testid="call-row"]').count() === 0,
		    'rows shown');
	});
	await step('form/presets_loaded', async () => {
		for (const p of ['transit_booking', 'appointment_reminder',
		    'survey', 'custom']) {
			await page.locator(`[data-testid="preset-${p}"]`)
			    .waitFor({ state: 'visible' });
		}
	});
	await screenshot(page, 'empty');

	// ---- a simulated inbound call ----
	if (REALTIME) {
		// greet (real time, 3 s), the caller cuts in 1.2 s into it,
		// is transcribed, and the agent answers.
		const script = [
			{ on: 'response.create', do: [{ respond: {
			    text: GREETING, audio_ms: 3000, chunk_ms: 100,
			    interval_ms: 100 } }] },
			{ after_ms: 1200, do: [{ speech_started:
			    { leak_chunks: 1 } }] },
			{ on: 'response.done', do: ['speech_stopped',
			    { transcribe_caller: CALLER_SAYS },
			    { respond: { text: ANSWER, audio_ms: 1500 } }] },
		];
		const r = await fetch(`${FAKE_RT}/_fake/script`, {
			method: 'POST', body: JSON.stringify(script),
			headers: { 'Content-Type': 'application/json' },
			signal: AbortSignal.timeout(5000) });
		check('realtime/script_queued', r.ok, `HTTP ${r.status}`);
	}
	const simArgs = ['--url', BASE, '--public-url', BASE, '--from', CALLER,
	    '--to', CALLED, '--duration', REALTIME ? '6' : '5', '--timeout', '5',
	    '--json'];
	if (!REALTIME)
		simArgs.push('--echo');
	let simOut = '';
	const sim = spawn(SIM, simArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
	sim.stdout.on('data', (d) => { simOut += d; });
	sim.stderr.on('data', (d) => { simOut += d; });
	const simDone = new Promise((res) => sim.on('exit', (code) => res(code)));
	const simKill = setTimeout(() => sim.kill('SIGKILL'), 25000);

	const row = page.locator('[data-testid="call-row"]').first();
	let callId = null;
	await step('call/inbound_appears', async () => {
		await row.waitFor({ state: 'visible', timeout: 5000 });
		callId = await row.getAttribute('data-call-id');
		assert(/^vgc_/.test(callId || ''), `call id ${callId}`);
	});
	await step('call/from_to_direction_state', async () => {
		const parties = await row.locator('[data-testid="call-parties"]')
		    .textContent();
		assert(parties.includes(CALLER) && parties.includes(CALLED),
		    `parties "${parties}"`);
		assert(await row.locator('[data-testid="call-direction"]')
		    .textContent() === 'in', 'direction');
		const st = await until('a live state', async () => {
			const s = await row.locator('[data-testid="call-state"]')
			    .getAttribute('data-state');
			return s && s !== 'queued' ? s : null;
		});
		assert(await row.getAttribute('data-ended') === 'false',
		    'row ended');
		assert(['ringing', 'in-progress', 'answered', 'connected']
		    .includes(st), `state ${st}`);
		assert(await page.locator('#calls-count').textContent() === '1',
		    'count');
		assert(await page.locator('#calls-empty').isHidden(),
		    'empty note shown');
	});
	await step('call/duration_timer_advances', async () => {
		const dur = row.locator('[data-testid="call-duration"]');
		const d1 = secs(await dur.textContent());
		await until('the timer ticks', async () =>
		    secs(await dur.textContent()) >= d1 + 2, 3500);
	});
	await screenshot(page, 'call-live');

	if (REALTIME) {
		const lines = page.locator('#transcript [data-testid=' +
		    '"transcript-line"]');
		const agent = lines.and(page.locator('[data-speaker="agent"]'));
		const caller = lines.and(page.locator('[data-speaker="caller"]'));
		await step('transcript/selected_automatically', async () => {
			await until('the call selected', async () =>
			    await row.getAttribute('aria-selected') === 'true');
			const h = await page.locator('#transcript-call')
			    .textContent();
			assert(h.includes(CALLER), `header "${h}"`);
		});
		// The greeting is cut: its final keeps the words said so far.
		await step('transcript/agent_greeting_final', async () => {
			const text = agent.first()
			    .locator('[data-testid="transcript-text"]');
			await until('final', async () => await agent.first()
			    .getAttribute('data-final') === 'true', 6000);
			const t = (await text.textContent()).trim();
			assert(t.length > 0 && GREETING.startsWith(t),
			    `text "${t}"`);
		});
		await step('transcript/interruption_marked', async () => {
			const mark = page.locator('#transcript ' +
			    '[data-testid="interruption"]').first();
			await mark.waitFor({ state: 'visible', timeout: 6000 });
			const item = await mark.getAttribute('data-item-id');
			const cut = page.locator(`#transcript [data-testid=` +
			    `"transcript-line"][data-item-id="${item}"]`);
			assert(await cut.getAttribute('data-speaker') === 'agent',
			    'the marker is not under an agent line');
			assert(await cut.getAttribute('data-interrupted') === 'true',
			    'the agent line is not marked interrupted');
		});
		await step('transcript/caller_line_final', async () => {
			await until('the caller line', async () => {
				const n = await caller.count();
				for (let i = 0; i < n; i++) {
					const l = caller.nth(i);
					if (await l.getAttribute('data-final') ===
					    'true' && (await l.locator(
					    '[data-testid="transcript-text"]')
					    .textContent()) === CALLER_SAYS)
						return true;
				}
				return false;
			}, 6000);
		});
		await step('transcript/agent_answer_final', async () => {
			await until('the answer', async () => {
				const n = await agent.count();
				for (let i = 0; i < n; i++) {
					const l = agent.nth(i);
					if (await l.getAttribute('data-final') ===
					    'true' && (await l.locator(
					    '[data-testid="transcript-text"]')
					    .textContent()) === ANSWER)
						return true;
				}
				return false;
			}, 6000);
		});
		await step('transcript/partials_replaced_by_finals', async () => {
			const ids = await lines.evaluateAll((ls) => ls.map((l) =>
			    `${l.dataset.speaker}/${l.dataset.itemId}`));
			assert(new Set(ids).size === ids.length,
			    `duplicate lines: ${ids.join(' ')}`);
		});
		await step('transcript/speakers_look_different', async () => {
			const style = (l) => l.evaluate((e) => {
				const s = getComputedStyle(e);
				const w = getComputedStyle(e.querySelector('.who'));
				return [s.color, s.backgroundColor, s.borderLeftColor,
				    s.textAlign, s.marginLeft, w.color].join('|');
			});
			const a = await style(agent.first());
			const c = await style(caller.first());
			assert(a !== c, `both ${a}`);
		});
		await screenshot(page, 'transcript');
	} else {
		for (const n of ['agent_greeting_final', 'interruption_marked',
		    'caller_line_final', 'agent_answer_final'])
			skip(`transcript/${n}`, 'realtime_openai not built or ' +
			    'not loaded: no agent publishes transcripts');
	}

	// ---- the call ends ----
	await step('call/leaves_active_list', async () => {
		await until('ended', async () =>
		    await row.getAttribute('data-ended') === 'true', 15000);
		assert(await page.locator('#calls-count').textContent() === '0',
		    'count is not 0');
		const st = await row.locator('[data-testid="call-state"]')
		    .getAttribute('data-state');
		assert(st === 'completed', `state ${st}`);
	});
	await step('call/timer_stops', async () => {
		const dur = row.locator('[data-testid="call-duration"]');
		const d1 = await dur.textContent();
		await sleep(1200);
		assert(await dur.textContent() === d1, 'still ticking');
	});
	const code = await simDone;
	clearTimeout(simKill);
	check('sim/call_ok', code === 0 && /"ok":1,"failed":0/.test(simOut),
	    `exit ${code}: ${simOut.replace(/\s+/g, ' ').slice(0, 300)}`);
	await step('activity/lifecycle_logged', async () => {
		const types = await page.locator('#activity [data-testid=' +
		    '"activity-item"]').evaluateAll((ls) => ls.map((l) =>
		    l.dataset.type));
		const want = ['call.created', 'media.started', 'media.stopped',
		    'call.ended'];
		if (REALTIME)
			want.push('transcript.final', 'agent.interrupted');
		const missing = want.filter((t) => !types.includes(t));
		assert(!missing.length, `missing ${missing.join(', ')}; have ` +
		    [...new Set(types)].join(', '));
		const errs = await page.locator('#activity [data-level="error"]')
		    .evaluateAll((ls) => ls.map((l) => l.textContent));
		assert(!errs.length, `error items: ${errs.join(' / ')}`);
	});
	await screenshot(page, 'call-ended');
	if (REALTIME) {
		await step('export/json_download', async () => {
			const [dl] = await Promise.all([
			    page.waitForEvent('download'),
			    page.locator('#export-json').click()]);
			assert(dl.suggestedFilename() === `transcript-${callId}.json`,
			    `file ${dl.suggestedFilename()}`);
			const f = join(TMP, 'export.json');
			await dl.saveAs(f);
			const j = JSON.parse(readFileSync(f, 'utf8'));
			assert(j.call.call_id === callId, 'call id');
			assert(j.transcript.some((l) => l.kind === 'interruption'),
			    'no interruption in the export');
			assert(j.transcript.some((l) => l.speaker === 'caller' &&
			    l.text === CALLER_SAYS), 'no caller line');
		});
	}

	// ---- place a call from the form ----
	const before = (await fakeRequests()).length;
	await step('form/bad_number_shows_error', async () => {
		await page.locator('#call-to').fill('12345');
		await page.locator('#call-submit').click();
		const e = page.locator('#error-to');
		await until('an error under the number', async () =>
		    (await e.textContent()).length > 0);
		assert((await page.locator('#call-errors').textContent())
		    .length > 0, 'no summary');
	});
	await sleep(500);
	check('form/bad_number_sends_nothing',
	    (await fakeRequests()).length === before, 'the fake got a request');
	await screenshot(page, 'validation-error');

	let placed = null;
	await step('form/preset_number_prompt_submitted', async () => {
		const b = page.locator('[data-testid="preset-survey"]');
		await b.click();
		assert(await b.getAttribute('aria-pressed') === 'true',
		    'preset not pressed');
		assert((await page.locator('#preset-description').textContent())
		    .length > 0, 'no description');
		await page.locator('#call-to').fill(OUT_TO);
		await page.locator('#task-prompt')
		    .fill('Ask about the new timetable.');
		await page.locator('#call-submit').click();
		await until('the result', async () => await page
		    .locator('#call-result').getAttribute('data-ok') === 'true',
		    8000);
		assert(await page.locator('#error-to').textContent() === '',
		    'the old error stayed');
	});
	await step('form/fake_twilio_received_call', async () => {
		const reqs = await until('the request at the fake', async () => {
			const r = (await fakeRequests()).filter((q) =>
			    q.method === 'POST' && q.path ===
			    `/2010-04-01/Accounts/${ACCOUNT}/Calls.json`);
			return r.length ? r : null;
		});
		assert(reqs.length === 1, `${reqs.length} requests`);
		const p = Object.fromEntries(reqs[0].params);
		assert(p.To === OUT_TO, `To ${p.To}`);
		assert(reqs[0].response.status === 201,
		    `answered ${reqs[0].response.status}`);
		placed = reqs[0].call_sid;
	});
	const outRow = page.locator(`[data-testid="call-row"]` +
	    `:has([data-testid="call-parties"]:text("${OUT_TO}"))`);
	await step('form/page_shows_placed_call', async () => {
		await outRow.waitFor({ state: 'visible' });
		assert(await outRow.locator('[data-testid="call-direction"]')
		    .textContent() === 'out', 'direction');
		assert(/survey/.test(await outRow.locator('[data-testid=' +
		    '"call-task"]').textContent()), 'task');
		assert(await outRow.getAttribute('data-ended') === 'false',
		    'ended');
		// the from number comes with call.created, before or after
		// the answer to the POST
		await until('the from number', async () => (await outRow
		    .locator('[data-testid="call-parties"]').textContent())
		    .startsWith(`${OUT_FROM} `));
		assert((await page.locator('#transcript-call').textContent())
		    .startsWith(`${OUT_FROM} `), 'transcript header');
		assert(await page.locator('#calls-count').textContent() === '1',
		    'count');
	});
	await screenshot(page, 'call-placed');
	if (placed) {
		await step('form/placed_call_ends_on_page', async () => {
			const r = await fetch(`${FAKE_TWILIO}/_fake/end/${placed}`, {
			    method: 'POST', body: '{"status": "no-answer"}',
			    headers: { 'Content-Type': 'application/json' },
			    signal: AbortSignal.timeout(5000) });
			assert(r.ok, `fake end: HTTP ${r.status}`);
			await until('ended', async () =>
			    await outRow.getAttribute('data-ended') === 'true');
			assert(await outRow.locator('[data-testid="call-state"]')
			    .getAttribute('data-state') === 'no-answer', 'state');
			assert(await page.locator('#calls-count').textContent() ===
			    '0', 'count');
		});
	}

	// ---- the daemon restarts: the feed reconnects ----
	// A second page whose requests carry the key as a bearer token (as
	// behind a proxy that adds it): its access survives the restart.
	const bctx = await browser.newContext({
		viewport: { width: 1366, height: 900 }, colorScheme: 'dark',
		extraHTTPHeaders: { Authorization: `Bearer ${KEY}` } });
	bctx.setDefaultTimeout(5000);
	const bpage = await bctx.newPage();
	bpage.on('pageerror', (e) => pageErrors.push(e.message));
	let bloads = 0;
	bpage.on('load', () => bloads++);
	await step('feed/bearer_page_live', async () => {
		const r = await bpage.goto(`${BASE}/`, { timeout: 10000 });
		assert(r.status() === 200, `HTTP ${r.status()}`);
		await until('feed live', async () =>
		    await feedState(bpage) === 'live');
	});
	await step('feed/reconnecting_while_daemon_down', async () => {
		dctl('stop');
		await until('reconnecting', async () =>
		    await feedState(page) === 'reconnecting' &&
		    await feedState(bpage) === 'reconnecting', 3000);
	});
	await screenshot(page, 'reconnecting');
	await sleep(1000);
	dctl('start');
	await step('feed/reconnects_by_itself_after_restart', async () => {
		await until('live again', async () =>
		    await feedState(bpage) === 'live', 12000);
		assert(bloads === 1, `the page was reloaded (${bloads} loads)`);
	});
	await bctx.close();
	// Sessions live in memory: after a restart the page asks for the key
	// again (doc/ui-events.md), then its feed is live.
	await step('feed/after_restart_asks_to_sign_in', async () => {
		await page.locator('#login-form').waitFor({ state: 'visible',
		    timeout: 15000 });
	});
	await step('feed/live_again_after_sign_in', async () => {
		await login(page, KEY);
		await until('feed live', async () =>
		    await feedState(page) === 'live', 5000);
		await page.locator('#calls-empty').waitFor({ state: 'visible' });
	});
	await screenshot(page, 'reconnected');

	check('page/no_script_errors', pageErrors.length === 0,
	    pageErrors.join(' / '));
	check('page/no_csp_violations', cspErrors.length === 0,
	    cspErrors.join(' / '));
	check('page/nothing_leaves_the_host', foreign.length === 0,
	    foreign.join(' '));
	writeFileSync(join(ART, 'ui_browser-feed.jsonl'), feed.join('\n') +
	    '\n');
	await browser.close();
}

const watchdog = setTimeout(() => {
	console.log('FAIL browser/finished_in_time');
	process.exit(1);
}, 100000);
main().then(() => {
	clearTimeout(watchdog);
	process.exit(0);
}, (e) => {
	console.log(`FAIL browser/run: ${e && e.stack ? e.stack : e}`);
	process.exit(1);
});
