/*
 * voicegate page: places calls through /api/calls and shows the live feed
 * (/twilio/events, doc/ui-events.md): calls, transcripts, activity. Plain
 * browser JavaScript, no build step, nothing fetched from elsewhere. Every
 * value from the server is shown with textContent, never as HTML.
 */
"use strict";

(function () {
  const E164 = /^\+[1-9][0-9]{7,14}$/;
  const KNOWN = ["type", "prompt", "context", "voice", "speed",
    "instructions"];
  const MAX_CALLS = 50;          // ended calls kept for export
  const MAX_ACTIVITY = 500;
  const $ = (id) => document.getElementById(id);

  const state = {
    calls: new Map(),            // call_id -> call
    selected: null,
    presets: [],
    presetSource: "builtin",
    preset: null,
    schema: {},
    schemaSource: "builtin",
    ws: null,
    backoff: 500,
    reconnectTimer: null,
  };

  // ---- helpers ----

  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    if (attrs) {
      for (const [k, v] of Object.entries(attrs)) {
        if (v !== undefined && v !== null) e.setAttribute(k, String(v));
      }
    }
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function clock(ms) {
    const d = new Date(ms);
    return d.toLocaleTimeString([], { hour12: false });
  }

  function duration(ms) {
    const s = Math.max(0, Math.floor(ms / 1000));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    const ss = String(s % 60).padStart(2, "0");
    return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}`
      : `${m}:${ss}`;
  }

  function shortId(id) {
    return id ? id.slice(-6) : "";
  }

  function isEnded(st) {
    return ["completed", "failed", "busy", "no-answer", "canceled",
      "ended"].includes(st);
  }

  async function api(method, path, body) {
    const opt = { method, credentials: "same-origin", headers: {} };
    if (body !== undefined) {
      opt.headers["Content-Type"] = "application/json";
      opt.body = JSON.stringify(body);
    }
    const r = await fetch(path, opt);
    if (r.status === 401) {
      window.location.reload();   // the server answers the login form
      throw new Error("signed out");
    }
    let data = null;
    try { data = await r.json(); } catch (e) { data = null; }
    return { status: r.status, ok: r.ok, data };
  }

  // ---- activity log ----

  function activity(ev, detail, level) {
    const list = $("activity");
    const li = el("li", { "data-testid": "activity-item",
      "data-type": ev.type, "data-level": level || "info" });
    li.append(el("span", { class: "t" }, clock(ev.time || Date.now())),
      el("span", { class: "y" }, ev.type),
      el("span", { class: "c" }, ev.call_id ? "call " + shortId(ev.call_id)
        : ""),
      el("span", { class: "d" }, detail || ""));
    list.prepend(li);
    while (list.children.length > MAX_ACTIVITY) list.lastChild.remove();
  }

  function describe(ev) {
    switch (ev.type) {
    case "call.created":
      return `${ev.direction || ""} ${ev.from || "?"} → ${ev.to || "?"}`;
    case "call.state":
      return `${ev.previous || "?"} → ${ev.state}`;
    case "call.ended":
      return `${ev.state}, ${duration(ev.duration_ms || 0)}`;
    case "call.dtmf":
      return `digit ${ev.digit}`;
    case "call.hangup":
      return ev.reason ? `hang-up: ${ev.reason}` : "hang-up requested";
    case "call.transfer":
      return `transfer to ${ev.to}`;
    case "media.started":
      return `stream ${ev.stream_sid || ""}`;
    case "media.stopped":
      return `stream stopped (${ev.reason || "?"})`;
    case "agent.interrupted":
      return `caller interrupted after ${((ev.heard_ms || 0) / 1000)
        .toFixed(1)} s`;
    case "tool.call":
      return `${ev.name}(${ev.arguments || ""})`;
    case "tool.result":
      return ev.error ? `error: ${ev.error}` : String(ev.output || "");
    case "usage":
      if (ev.usage)
        return `${ev.status || "response"}: ${ev.usage.total_tokens ?? "?"}` +
          ` tokens (in ${ev.usage.input_tokens ?? "?"},` +
          ` out ${ev.usage.output_tokens ?? "?"})`;
      if (Array.isArray(ev.rate_limits))
        return "rate limits: " + ev.rate_limits.map((r) =>
          `${r.name} ${r.remaining}/${r.limit}`).join(", ");
      break;
    default:
      break;
    }
    // Anything else: its payload as it came.
    const rest = Object.assign({}, ev);
    for (const k of ["type", "call_id", "seq", "time"]) delete rest[k];
    const s = JSON.stringify(rest);
    return s === "{}" ? "" : s;
  }

  // ---- calls ----

  function callOf(id, init) {
    let c = state.calls.get(id);
    if (!c) {
      c = { call_id: id, direction: "", from: "", to: "", state: "queued",
        started: Date.now(), ended: false, duration_ms: null,
        task_type: "", lines: [], items: new Map(), row: null };
      state.calls.set(id, c);
    }
    if (init) {
      for (const k of ["direction", "from", "to", "state", "started",
        "task_type", "call_sid"]) {
        if (init[k] !== undefined && init[k] !== null) c[k] = init[k];
      }
    }
    return c;
  }

  function renderCall(c) {
    if (!c.row) {
      c.row = el("li", { class: "call-row", "data-testid": "call-row",
        "data-call-id": c.call_id, tabindex: "0", role: "button" });
      c.row.append(
        el("span", { class: "call-dir", "data-testid": "call-direction" }),
        el("span", { class: "call-parties", "data-testid": "call-parties" }),
        el("span", { class: "call-state", "data-testid": "call-state" }),
        el("span", { class: "call-duration",
          "data-testid": "call-duration" }),
        el("span", { class: "call-task", "data-testid": "call-task" }));
      c.row.addEventListener("click", () => select(c.call_id));
      c.row.addEventListener("keydown", (e) => {
        if (e.key === "Enter" || e.key === " ") {
          e.preventDefault();
          select(c.call_id);
        }
      });
      $("calls").prepend(c.row);
    }
    const q = (t) => c.row.querySelector(`[data-testid="${t}"]`);
    q("call-direction").textContent = c.direction === "outbound" ? "out"
      : c.direction === "inbound" ? "in" : "";
    q("call-parties").textContent = `${c.from || "?"} → ${c.to || "?"}`;
    q("call-state").textContent = c.state;
    q("call-state").setAttribute("data-state", c.state);
    q("call-task").textContent = c.task_type ? `agent: ${c.task_type}` : "";
    c.row.setAttribute("data-state", c.state);
    c.row.setAttribute("data-ended", c.ended ? "true" : "false");
    c.row.setAttribute("aria-selected",
      state.selected === c.call_id ? "true" : "false");
    if (state.selected === c.call_id) {
      $("transcript-call").textContent = `${c.from || "?"} → ${c.to || "?"}`;
    }
    tickCall(c);
    updateCount();
  }

  function tickCall(c) {
    if (!c.row) return;
    const ms = c.ended && c.duration_ms !== null ? c.duration_ms
      : Date.now() - (c.started || Date.now());
    c.row.querySelector('[data-testid="call-duration"]').textContent =
      duration(ms);
  }

  function updateCount() {
    let live = 0;
    for (const c of state.calls.values()) if (!c.ended) live++;
    $("calls-count").textContent = String(live);
    $("calls-empty").hidden = state.calls.size > 0;
  }

  function pruneCalls() {
    const ended = [...state.calls.values()].filter((c) => c.ended);
    while (ended.length > MAX_CALLS) {
      const c = ended.shift();
      if (c.call_id === state.selected) continue;
      if (c.row) c.row.remove();
      state.calls.delete(c.call_id);
    }
  }

  function endCall(c, st, durationMs) {
    c.ended = true;
    c.state = st || "ended";
    if (durationMs !== undefined && durationMs !== null) {
      c.duration_ms = durationMs;
    } else if (c.duration_ms === null) {
      c.duration_ms = Date.now() - c.started;
    }
    renderCall(c);
    pruneCalls();
  }

  // ---- transcript ----

  function select(id) {
    state.selected = id;
    for (const c of state.calls.values()) {
      if (c.row) c.row.setAttribute("aria-selected",
        c.call_id === id ? "true" : "false");
    }
    const c = state.calls.get(id);
    $("transcript-call").textContent = c
      ? `${c.from || "?"} → ${c.to || "?"}` : "";
    $("export-json").disabled = !c;
    $("export-text").disabled = !c;
    const box = $("transcript");
    box.replaceChildren();
    if (c) for (const ln of c.lines) box.append(ln.node);
    $("transcript-empty").hidden = !!(c && c.lines.length);
    box.scrollTop = box.scrollHeight;
  }

  function addNode(c, entry) {
    if (!c.row) renderCall(c);
    c.lines.push(entry);
    if (state.selected === null) select(c.call_id);
    if (state.selected === c.call_id) {
      const box = $("transcript");
      const stick = box.scrollTop + box.clientHeight >= box.scrollHeight - 40;
      box.append(entry.node);
      $("transcript-empty").hidden = true;
      if (stick) box.scrollTop = box.scrollHeight;
    }
  }

  function transcript(ev, final) {
    const c = callOf(ev.call_id);
    const key = `${ev.speaker}/${ev.item_id || ""}`;
    let entry = ev.item_id ? c.items.get(key) : null;
    if (!entry) {
      const node = el("div", { class: "line", "data-testid": "transcript-line",
        "data-speaker": ev.speaker, "data-item-id": ev.item_id || "" });
      node.append(el("span", { class: "who" },
        ev.speaker === "agent" ? "Agent" : "Caller"),
        el("span", { class: "text", "data-testid": "transcript-text" }));
      entry = { kind: "line", speaker: ev.speaker, item_id: ev.item_id,
        text: "", final: false, interrupted: false, heard_ms: null,
        time: ev.time, node };
      if (ev.item_id) c.items.set(key, entry);
      addNode(c, entry);
    }
    if (entry.final && !final) return;  // a late partial: keep the final
    // An empty final after partials (an agent turn cut by the caller: the
    // provider drops its transcript at truncation) keeps what was shown.
    if (!(final && !ev.text && entry.text)) entry.text = ev.text || "";
    entry.final = final;
    entry.node.setAttribute("data-final", final ? "true" : "false");
    entry.node.querySelector(".text").textContent = entry.text;
  }

  function interrupted(ev) {
    const c = callOf(ev.call_id);
    const entry = c.items.get(`agent/${ev.item_id || ""}`);
    const secs = ((ev.heard_ms || 0) / 1000).toFixed(1);
    const node = el("div", { class: "interruption",
      "data-testid": "interruption", "data-item-id": ev.item_id || "" },
      `interrupted by the caller after ${secs} s`);
    const marker = { kind: "interruption", item_id: ev.item_id,
      heard_ms: ev.heard_ms, time: ev.time, node };
    if (entry) {
      entry.interrupted = true;
      entry.heard_ms = ev.heard_ms;
      entry.node.setAttribute("data-interrupted", "true");
    }
    addNode(c, marker);
  }

  function note(ev, text, testid) {
    const c = callOf(ev.call_id);
    addNode(c, { kind: "note", type: ev.type, text, time: ev.time,
      node: el("div", { class: "note", "data-testid": testid }, text) });
  }

  // ---- export ----

  function download(name, type, text) {
    const url = URL.createObjectURL(new Blob([text], { type }));
    const a = el("a", { href: url, download: name });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  function exportCall(fmt) {
    const c = state.calls.get(state.selected);
    if (!c) return;
    const lines = c.lines.map((l) => l.kind === "line"
      ? { kind: "line", speaker: l.speaker, item_id: l.item_id,
        text: l.text, final: l.final, interrupted: l.interrupted,
        heard_ms: l.heard_ms, time: l.time }
      : l.kind === "interruption"
        ? { kind: "interruption", item_id: l.item_id, heard_ms: l.heard_ms,
          time: l.time }
        : { kind: "note", type: l.type, text: l.text, time: l.time });
    const base = `transcript-${c.call_id}`;
    if (fmt === "json") {
      download(`${base}.json`, "application/json", JSON.stringify({
        call: { call_id: c.call_id, direction: c.direction, from: c.from,
          to: c.to, state: c.state, started: c.started,
          duration_ms: c.duration_ms, task_type: c.task_type },
        transcript: lines }, null, 2));
      return;
    }
    const out = [`Call ${c.call_id}: ${c.from} → ${c.to} (${c.direction}),` +
      ` ${c.state}`, ""];
    for (const l of lines) {
      const t = l.time ? `[${clock(l.time)}] ` : "";
      if (l.kind === "line") {
        out.push(`${t}${l.speaker === "agent" ? "Agent" : "Caller"}: ` +
          `${l.text}${l.interrupted ? " [interrupted]" : ""}` +
          `${l.final ? "" : " …"}`);
      } else if (l.kind === "interruption") {
        out.push(`${t}-- interrupted after ${((l.heard_ms || 0) / 1000)
          .toFixed(1)} s --`);
      } else {
        out.push(`${t}(${l.text})`);
      }
    }
    download(`${base}.txt`, "text/plain", out.join("\n") + "\n");
  }

  // ---- the feed ----

  function setStatus(st, text) {
    const s = $("feed-status");
    s.setAttribute("data-state", st);
    s.textContent = text;
  }

  function onSnapshot(msg) {
    const seen = new Set();
    for (const k of msg.calls || []) {
      seen.add(k.call_id);
      const c = callOf(k.call_id, k);
      c.ended = false;
      renderCall(c);
    }
    // calls we showed as live that ended while we were away
    for (const c of state.calls.values()) {
      if (!c.ended && !seen.has(c.call_id)) endCall(c, "ended");
    }
  }

  function onEvent(ev) {
    if (ev.type === "snapshot") {
      onSnapshot(ev);
      return;
    }
    if (ev.type === "pong") return;
    let level = /error|failed/.test(ev.type) ? "error" : "info";
    const t = ev.type;
    if (t === "transcript.partial" || t === "transcript.final") {
      if (ev.call_id) transcript(ev, t === "transcript.final");
      if (t === "transcript.partial") return;  // too chatty for the log
      activity(ev, `${ev.speaker}: ${ev.text || ""}`, level);
      return;
    }
    if (ev.call_id) {
      const c = callOf(ev.call_id);
      if (t === "call.created") {
        callOf(ev.call_id, { direction: ev.direction, from: ev.from,
          to: ev.to, started: ev.time });
        renderCall(c);
      } else if (t === "call.state") {
        if (!c.ended) {
          c.state = ev.state;
          renderCall(c);
        }
      } else if (t === "call.ended") {
        endCall(c, ev.state, ev.duration_ms);
        if (["failed", "busy", "no-answer"].includes(ev.state)) {
          level = "error";
        }
      } else if (t === "agent.interrupted") {
        interrupted(ev);
      } else if (t === "call.dtmf") {
        note(ev, `caller pressed ${ev.digit}`, "dtmf-note");
      } else if (t === "tool.call") {
        note(ev, `tool ${ev.name}(${ev.arguments || ""})`, "tool-note");
      } else if (t === "tool.result" && ev.error) {
        level = "error";
      } else if (!c.row && !t.startsWith("call.")) {
        renderCall(c);     // events of a call we had not heard of
      }
    }
    activity(ev, describe(ev), level);
  }

  function connect() {
    clearTimeout(state.reconnectTimer);
    const proto = window.location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${proto}//${window.location.host}` +
      "/twilio/events");
    state.ws = ws;
    setStatus(state.backoff > 500 ? "reconnecting" : "connecting",
      state.backoff > 500 ? "reconnecting…" : "connecting…");
    ws.onopen = () => {
      state.backoff = 500;
      setStatus("live", "live");
    };
    ws.onmessage = (m) => {
      let ev;
      try { ev = JSON.parse(m.data); } catch (e) { return; }
      if (ev && typeof ev.type === "string") onEvent(ev);
    };
    ws.onclose = (e) => {
      if (state.ws !== ws) return;
      state.ws = null;
      if (e.code === 4401) {
        // The session ended: sign in again. If it has not (a proxy that
        // changes Host makes our Origin look foreign), retry slowly rather
        // than reload in a loop.
        fetch("/api/session", { credentials: "same-origin" }).then((r) => {
          if (r.status === 401) {
            setStatus("offline", "signed out");
            window.location.reload();
            return;
          }
          state.backoff = 10000;
          setStatus("offline", "feed refused: check the proxy passes Host");
          state.reconnectTimer = setTimeout(connect, state.backoff);
        }, () => {
          setStatus("offline", "offline");
          state.reconnectTimer = setTimeout(connect, 10000);
        });
        return;
      }
      const wait = state.backoff;
      state.backoff = Math.min(state.backoff * 2, 10000);
      setStatus("reconnecting", `reconnecting in ${Math.round(wait / 1000
        * 10) / 10} s`);
      state.reconnectTimer = setTimeout(connect, wait);
    };
  }

  // ---- the call form ----

  function schemaFields() {
    const s = state.schema || {};
    return s.properties && typeof s.properties === "object"
      ? s.properties : s;
  }

  function setupVoice() {
    const f = schemaFields().voice;
    const sel = $("task-voice");
    $("voice-field").hidden = !f;
    sel.replaceChildren(el("option", { value: "" }, "agent's default"));
    for (const v of (f && Array.isArray(f.enum)) ? f.enum : []) {
      sel.append(el("option", { value: v }, v));
    }
  }

  function setupSpeed() {
    const f = schemaFields().speed;
    const r = $("task-speed");
    $("speed-field").hidden = !f;
    if (!f) return;
    const min = f.minimum ?? f.min ?? 0.25, max = f.maximum ?? f.max ?? 1.5;
    r.min = String(min);
    r.max = String(max);
    r.step = String(f.step ?? 0.05);
    r.value = String(f.default ?? 1);
    showSpeed();
  }

  function showSpeed() {
    $("task-speed-value").textContent =
      Number($("task-speed").value).toFixed(2);
  }

  function setupExtras() {
    const box = $("task-extra");
    box.replaceChildren();
    for (const [name, f] of Object.entries(schemaFields())) {
      if (KNOWN.includes(name) || !f || typeof f !== "object") continue;
      const id = `setting-${name}`;
      const wrap = el("div", { class: "field" });
      wrap.append(el("label", { for: id },
        f.title || f.label || name.replace(/_/g, " ")));
      let input;
      const type = Array.isArray(f.type) ? f.type[0] : f.type;
      if (Array.isArray(f.enum)) {
        input = el("select", { id });
        input.append(el("option", { value: "" }, "default"));
        for (const v of f.enum) input.append(el("option", { value: v }, v));
      } else if (type === "boolean") {
        input = el("select", { id });
        input.append(el("option", { value: "" }, "default"),
          el("option", { value: "true" }, "yes"),
          el("option", { value: "false" }, "no"));
      } else if (type === "number" || type === "integer") {
        input = el("input", { id, type: "number",
          min: f.minimum ?? f.min, max: f.maximum ?? f.max,
          step: f.step ?? (type === "integer" ? 1 : "any"),
          placeholder: f.default !== undefined ? `default ${f.default}`
            : "default" });
      } else if (type === "object" || type === "array") {
        input = el("textarea", { id, rows: 3, spellcheck: "false",
          placeholder: "JSON" });
      } else {
        input = el("input", { id, type: "text",
          placeholder: f.default !== undefined ? String(f.default) : "" });
      }
      input.setAttribute("data-testid", id);
      input.setAttribute("data-setting", name);
      input.setAttribute("data-type", type || "string");
      wrap.append(input);
      if (f.description) wrap.append(el("p", { class: "hint" },
        f.description));
      wrap.append(el("p", { class: "err", id: `error-${name}`,
        "data-testid": `error-${name}` }));
      box.append(wrap);
    }
  }

  function addContextRow(k, v) {
    const row = el("div", { class: "ctx-row", "data-testid": "context-row" });
    const key = el("input", { type: "text", placeholder: "name",
      class: "ctx-key", "data-testid": "context-key" });
    const val = el("input", { type: "text", placeholder: "value",
      class: "ctx-value", "data-testid": "context-value" });
    key.value = k || "";
    val.value = v || "";
    const del = el("button", { type: "button", class: "ghost",
      "aria-label": "remove", "data-testid": "context-remove" }, "×");
    del.addEventListener("click", () => row.remove());
    row.append(key, val, del);
    $("task-context").append(row);
  }

  function choosePreset(p) {
    state.preset = p;
    for (const b of $("presets").children) {
      b.setAttribute("aria-pressed",
        b.getAttribute("data-preset") === p.name ? "true" : "false");
    }
    $("preset-description").textContent = p.description || "";
    $("task-prompt").value = p.prompt || "";
    $("task-instructions").value = "";
    $("task-voice").value = p.voice || "";
    if (p.speed !== undefined) $("task-speed").value = String(p.speed);
    else setupSpeed();
    showSpeed();
    state.speedTouched = false;
    $("task-context").replaceChildren();
    const ctx = p.context && typeof p.context === "object" ? p.context : {};
    for (const [k, v] of Object.entries(ctx)) addContextRow(k, String(v));
    if (!Object.keys(ctx).length) addContextRow();
    $("error-preset").textContent = "";
  }

  function renderPresets() {
    const box = $("presets");
    box.replaceChildren();
    for (const p of state.presets) {
      const b = el("button", { type: "button", class: "preset",
        "data-testid": `preset-${p.name}`, "data-preset": p.name,
        "aria-pressed": "false", title: p.description || "" },
        (p.label || p.name).replace(/_/g, " "));
      b.addEventListener("click", () => choosePreset(p));
      box.append(b);
    }
  }

  function clearErrors() {
    for (const e of document.querySelectorAll("#call-form .err")) {
      e.textContent = "";
    }
    for (const e of document.querySelectorAll("#call-form .invalid")) {
      e.classList.remove("invalid");
    }
    $("call-result").textContent = "";
    $("call-result").removeAttribute("data-ok");
  }

  function fail(field, msg, input) {
    const e = $(`error-${field}`);
    if (e) e.textContent = msg;
    if (input) input.classList.add("invalid");
    return false;
  }

  // Build the request from the form, or null after showing what is wrong.
  function buildRequest() {
    let ok = true;
    const to = $("call-to").value.trim(), from = $("call-from").value.trim();
    if (!E164.test(to)) {
      ok = fail("to", "Give the number in E.164 form: + then 8 to 15 " +
        "digits, e.g. +15551234567.", $("call-to"));
    }
    if (from && !E164.test(from)) {
      ok = fail("from", "E.164 form, or leave empty for the default.",
        $("call-from"));
    }
    const p = state.preset;
    if (!p) ok = fail("preset", "Choose an agent.");
    const task = { type: p ? p.name : "" };
    const prompt = $("task-prompt").value.trim();
    const instructions = $("task-instructions").value.trim();
    if (p && (prompt !== (p.prompt || "") ||
      state.presetSource === "builtin") && prompt) task.prompt = prompt;
    if (instructions) task.instructions = instructions;
    if (p && p.name === "custom" && !prompt && !instructions) {
      ok = fail("prompt", "A custom agent needs a prompt or instructions.",
        $("task-prompt"));
    }
    const ctx = {};
    for (const row of $("task-context").children) {
      const k = row.querySelector(".ctx-key").value.trim();
      const v = row.querySelector(".ctx-value").value;
      if (!k && !v) continue;
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) {
        ok = fail("context", "Context names are letters, digits and _ " +
          "(not starting with a digit).", row.querySelector(".ctx-key"));
        continue;
      }
      ctx[k] = v;
    }
    if (Object.keys(ctx).length) {
      const f = schemaFields().context;
      const asObject = f ? (f.type === "object")
        : state.schemaSource !== "builtin";
      task.context = asObject ? ctx : Object.entries(ctx)
        .map(([k, v]) => `${k}: ${v}`).join("\n");
    }
    const voice = $("task-voice").value;
    if (voice && !$("voice-field").hidden) task.voice = voice;
    if (state.speedTouched && !$("speed-field").hidden) {
      task.speed = Number($("task-speed").value);
    }
    for (const input of $("task-extra").querySelectorAll("[data-setting]")) {
      const name = input.getAttribute("data-setting");
      const type = input.getAttribute("data-type");
      const raw = input.value.trim();
      if (raw === "") continue;
      if (type === "number" || type === "integer") {
        const n = Number(raw);
        if (!Number.isFinite(n) || (type === "integer" &&
          !Number.isInteger(n))) {
          ok = fail(name, `${name} must be a${type === "integer" ? "n integer"
            : " number"}.`, input);
          continue;
        }
        const f = schemaFields()[name] || {};
        const min = f.minimum ?? f.min, max = f.maximum ?? f.max;
        if ((min !== undefined && n < min) || (max !== undefined && n > max)) {
          ok = fail(name, `${name} must be between ${min ?? "-∞"} and ` +
            `${max ?? "∞"}.`, input);
          continue;
        }
        task[name] = n;
      } else if (type === "boolean") {
        task[name] = raw === "true";
      } else if (type === "object" || type === "array") {
        try {
          task[name] = JSON.parse(raw);
        } catch (e) {
          ok = fail(name, `${name} must be valid JSON.`, input);
        }
      } else {
        task[name] = raw;
      }
    }
    if (!ok) return null;
    const req = { to, task };
    if (from) req.from = from;
    return req;
  }

  async function submit(e) {
    e.preventDefault();
    clearErrors();
    const req = buildRequest();
    if (!req) {
      $("call-errors").textContent = "Please fix the fields marked above.";
      return;
    }
    const btn = $("call-submit");
    btn.disabled = true;
    $("call-result").textContent = "placing the call…";
    try {
      const r = await api("POST", "/api/calls", req);
      if (r.ok) {
        $("call-result").textContent = `Calling ${req.to}` +
          (r.data && r.data.call_id ? ` (call ${shortId(r.data.call_id)})`
            : "");
        $("call-result").setAttribute("data-ok", "true");
        if (r.data && r.data.call_id) {
          // call.created may have come first: keep the from it gave
          const c = callOf(r.data.call_id, { direction: "outbound",
            to: req.to, from: req.from || undefined });
          c.task_type = c.task_type || req.task.type;
          renderCall(c);
          select(c.call_id);
        }
      } else {
        $("call-result").textContent = "";
        $("call-errors").textContent = (r.data && r.data.error) ||
          `The call could not be placed (HTTP ${r.status}).`;
      }
    } catch (err) {
      $("call-result").textContent = "";
      $("call-errors").textContent = `The call could not be placed: ${err
        .message}`;
    } finally {
      btn.disabled = false;
    }
  }

  async function loadForm() {
    try {
      const [p, s] = await Promise.all([api("GET", "/api/presets"),
        api("GET", "/api/settings-schema")]);
      if (p.ok && p.data) {
        state.presets = Array.isArray(p.data.presets) ? p.data.presets
          .filter((x) => x && typeof x.name === "string") : [];
        state.presetSource = p.data.source || "builtin";
      }
      if (s.ok && s.data && s.data.settings) {
        state.schema = s.data.settings;
        state.schemaSource = s.data.source || "builtin";
      }
    } catch (err) {
      $("call-errors").textContent = "Could not load the agents: " +
        err.message;
    }
    setupVoice();
    setupSpeed();
    setupExtras();
    renderPresets();
    if (state.presets.length) choosePreset(state.presets[0]);
  }

  // ---- start ----

  function start() {
    $("call-form").addEventListener("submit", submit);
    $("context-add").addEventListener("click", () => addContextRow());
    $("task-speed").addEventListener("input", () => {
      state.speedTouched = true;
      showSpeed();
    });
    $("export-json").addEventListener("click", () => exportCall("json"));
    $("export-text").addEventListener("click", () => exportCall("text"));
    $("logout").addEventListener("click", async () => {
      try {
        await fetch("/api/logout", { method: "POST",
          credentials: "same-origin" });
      } finally {
        window.location.reload();
      }
    });
    setInterval(() => {
      for (const c of state.calls.values()) if (!c.ended) tickCall(c);
    }, 1000);
    updateCount();
    loadForm();
    connect();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
