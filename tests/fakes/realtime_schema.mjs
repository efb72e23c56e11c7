// The GA schema of the OpenAI Realtime client events (PROTOCOLS.md §5.3,
// §5.4, §7, §8) as small validators, for the strict fake realtime.mjs.
// validateClientEvent(ev) throws a SchemaError shaped like the server's
// `error` object (type invalid_request_error, code, message, param) for the
// first problem found; beta-only fields are refused as unknown parameters
// and marked `beta`.

export class SchemaError extends Error {
	constructor(code, message, param, extra = {}) {
		super(message);
		this.code = code;
		this.param = param;
		Object.assign(this, extra);
	}
}

function typeName(v) {
	if (v === null)
		return 'null';
	if (Array.isArray(v))
		return 'an array';
	if (typeof v === 'number')
		return Number.isInteger(v) ? 'an integer' : 'a decimal';
	if (typeof v === 'string')
		return 'a string';
	if (typeof v === 'boolean')
		return 'a boolean';
	return 'an object';
}
function badType(path, want, v) {
	return new SchemaError('invalid_type', `Invalid type for '${path}': ` +
	    `expected ${want}, but got ${typeName(v)} instead.`, path);
}
function badValue(path, v, allowed) {
	return new SchemaError('invalid_value', `Invalid value: '${
	    typeof v === 'string' ? v : JSON.stringify(v)}'. Supported values ` +
	    `are: ${allowed.map((a) => `'${a}'`).join(', ')}.`, path);
}

// ---- validators: (value, path) → throws SchemaError ----
const str = (o = {}) => (v, p) => {
	if (typeof v !== 'string')
		throw badType(p, 'a string', v);
	if (o.enum && !o.enum.includes(v))
		throw badValue(p, v, o.enum);
	if (o.nonEmpty && v.length === 0)
		throw new SchemaError('empty_string', `Invalid '${p}': empty ` +
		    'string. Expected a string with minimum length 1, but got ' +
		    'an empty string instead.', p);
	if (o.max !== undefined && v.length > o.max)
		throw new SchemaError('string_above_max_length', `Invalid '${p}'` +
		    `: string too long. Expected a string with maximum length ${
		    o.max}, but got a string with length ${v.length} instead.`, p);
};
const konst = (c) => str({ enum: [c] });
function range(p, v, o, kind) {
	if (o.min !== undefined && v < o.min)
		throw new SchemaError(`${kind}_below_min_value`, `Invalid '${p}': ` +
		    `${kind} below minimum value. Expected a value >= ${o.min}, ` +
		    `but got ${v} instead.`, p);
	if (o.max !== undefined && v > o.max)
		throw new SchemaError(`${kind}_above_max_value`, `Invalid '${p}': ` +
		    `${kind} above maximum value. Expected a value <= ${o.max}, ` +
		    `but got ${v} instead.`, p);
}
const int = (o = {}) => (v, p) => {
	if (typeof v !== 'number' || !Number.isInteger(v))
		throw badType(p, 'an integer', v);
	range(p, v, o, 'integer');
};
const num = (o = {}) => (v, p) => {
	if (typeof v !== 'number' || !Number.isFinite(v))
		throw badType(p, 'a number', v);
	range(p, v, o, 'decimal');
};
const bool = () => (v, p) => {
	if (typeof v !== 'boolean')
		throw badType(p, 'a boolean', v);
};
const nullable = (f) => (v, p) => {
	if (v !== null)
		f(v, p);
};
const anyObject = () => (v, p) => {
	if (v === null || typeof v !== 'object' || Array.isArray(v))
		throw badType(p, 'an object', v);
};
const arr = (f, o = {}) => (v, p) => {
	if (!Array.isArray(v))
		throw badType(p, 'an array', v);
	if (o.min !== undefined && v.length < o.min)
		throw new SchemaError('array_below_min_length', `Invalid '${p}': ` +
		    `array too short. Expected an array with minimum length ${
		    o.min}, but got an array with length ${v.length} instead.`, p);
	if (o.max !== undefined && v.length > o.max)
		throw new SchemaError('array_above_max_length', `Invalid '${p}': ` +
		    `array too long. Expected an array with maximum length ${
		    o.max}, but got an array with length ${v.length} instead.`, p);
	v.forEach((x, i) => f(x, `${p}[${i}]`));
};
// alt(a, b...): the first that accepts; else the error of the last one.
const alt = (...fs) => (v, p) => {
	let err;
	for (const f of fs) {
		try {
			f(v, p);
			return;
		} catch (e) {
			err = e;
		}
	}
	throw err;
};
// obj(fields, beta): fields is {name: [validator, required]}; beta is
// {name: 'what GA has instead'} for the beta-only fields.
const obj = (fields, beta = {}) => (v, p) => {
	anyObject()(v, p);
	for (const k of Object.keys(v)) {
		const q = p ? `${p}.${k}` : k;
		if (!Object.hasOwn(fields, k))
			throw new SchemaError('unknown_parameter',
			    `Unknown parameter: '${q}'.`, q,
			    Object.hasOwn(beta, k) ? { beta: beta[k] } : {});
	}
	for (const [k, [f, req]] of Object.entries(fields)) {
		const q = p ? `${p}.${k}` : k;
		if (!Object.hasOwn(v, k)) {
			if (req)
				throw new SchemaError('missing_required_parameter',
				    `Missing required parameter: '${q}'.`, q);
			continue;
		}
		f(v[k], q);
	}
};
// union(tag, {value: obj-validator}): discriminated by v[tag].
const union = (tag, variants) => (v, p) => {
	anyObject()(v, p);
	const q = p ? `${p}.${tag}` : tag;
	if (!Object.hasOwn(v, tag))
		throw new SchemaError('missing_required_parameter',
		    `Missing required parameter: '${q}'.`, q);
	if (typeof v[tag] !== 'string')
		throw badType(q, 'a string', v[tag]);
	if (!Object.hasOwn(variants, v[tag]))
		throw badValue(q, v[tag], Object.keys(variants));
	variants[v[tag]](v, p);
};
const R = (f) => [f, true];   // required field
const O = (f) => [f, false];  // optional field

// ---- GA session (§5.3) ----
export const VOICES = ['alloy', 'ash', 'ballad', 'coral', 'echo', 'sage',
	'shimmer', 'verse', 'marin', 'cedar'];
const audioFormat = union('type', {
	'audio/pcmu': obj({ type: R(konst('audio/pcmu')) }),
	'audio/pcma': obj({ type: R(konst('audio/pcma')) }),
	'audio/pcm': obj({ type: R(konst('audio/pcm')),
	    rate: O(int({ min: 24000, max: 24000 })) }),
});
const turnDetection = union('type', {
	server_vad: obj({
		type: R(konst('server_vad')),
		threshold: O(num({ min: 0, max: 1 })),
		prefix_padding_ms: O(int({ min: 0 })),
		silence_duration_ms: O(int({ min: 0 })),
		idle_timeout_ms: O(nullable(int({ min: 0 }))),
		create_response: O(bool()),
		interrupt_response: O(bool()),
	}),
	semantic_vad: obj({
		type: R(konst('semantic_vad')),
		eagerness: O(str({ enum: ['low', 'medium', 'high', 'auto'] })),
		create_response: O(bool()),
		interrupt_response: O(bool()),
	}),
});
const transcription = obj({
	model: O(str({ nonEmpty: true })),
	language: O(str()),
	prompt: O(str()),
});
const noiseReduction = obj({
	type: R(str({ enum: ['near_field', 'far_field'] })),
});
const voice = alt(obj({ id: R(str({ nonEmpty: true })) }),
    str({ enum: VOICES }));
const audioOutput = obj({
	format: O(audioFormat),
	voice: O(voice),
	speed: O(num({ min: 0.25, max: 1.5 })),
});
const functionTool = obj({
	type: R(konst('function')),
	name: R(str({ nonEmpty: true, max: 64 })),
	description: O(str()),
	parameters: O(anyObject()),
});
const mcpTool = obj({
	type: R(konst('mcp')),
	server_label: R(str({ nonEmpty: true })),
	server_url: O(str()),
	connector_id: O(str()),
	authorization: O(str()),
	headers: O(nullable(anyObject())),
	allowed_tools: O(nullable(alt(arr(str()), anyObject()))),
	require_approval: O(nullable(alt(str({ enum: ['always', 'never'] }),
	    anyObject()))),
	server_description: O(str()),
});
const tools = arr(union('type', { function: functionTool, mcp: mcpTool }));
const toolChoice = alt(
    union('type', {
	    function: obj({ type: R(konst('function')),
		name: R(str({ nonEmpty: true })) }),
	    mcp: obj({ type: R(konst('mcp')),
		server_label: R(str({ nonEmpty: true })), name: O(str()) }),
    }),
    str({ enum: ['auto', 'none', 'required'] }));
const maxTokens = alt(int({ min: 1, max: 4096 }), konst('inf'));
const outputModalities = arr(str({ enum: ['audio', 'text'] }),
    { min: 1, max: 1 });
const prompt = nullable(obj({
	id: R(str({ nonEmpty: true })),
	version: O(nullable(str())),
	variables: O(nullable(anyObject())),
}));
const BETA_SESSION = {
	modalities: 'output_modalities',
	input_audio_format: 'audio.input.format',
	output_audio_format: 'audio.output.format',
	turn_detection: 'audio.input.turn_detection',
	input_audio_transcription: 'audio.input.transcription',
	input_audio_noise_reduction: 'audio.input.noise_reduction',
	voice: 'audio.output.voice',
	speed: 'audio.output.speed',
	max_response_output_tokens: 'max_output_tokens',
	temperature: '(nothing: not in GA)',
};
export const validateSession = obj({
	type: R(konst('realtime')),
	model: O(str({ nonEmpty: true })),
	instructions: O(str()),
	output_modalities: O(outputModalities),
	audio: O(obj({
		input: O(obj({
			format: O(audioFormat),
			turn_detection: O(nullable(turnDetection)),
			transcription: O(nullable(transcription)),
			noise_reduction: O(nullable(noiseReduction)),
		})),
		output: O(audioOutput),
	})),
	tools: O(tools),
	tool_choice: O(toolChoice),
	max_output_tokens: O(maxTokens),
	tracing: O(nullable(alt(konst('auto'), obj({
		workflow_name: O(str()), group_id: O(str()),
		metadata: O(anyObject()),
	})))),
	truncation: O(alt(str({ enum: ['auto', 'disabled'] }), obj({
		type: R(konst('retention_ratio')),
		retention_ratio: R(num({ min: 0, max: 1 })),
		token_limits: O(obj({ post_instructions: O(int({ min: 0 })) })),
	}))),
	include: O(nullable(arr(str({
	    enum: ['item.input_audio_transcription.logprobs'] })))),
	prompt: O(prompt),
	parallel_tool_calls: O(bool()),
	reasoning: O(nullable(obj({ effort: O(str({
	    enum: ['minimal', 'low', 'medium', 'high'] })) }))),
}, BETA_SESSION);

// ---- conversation items (§5.4) ----
const contentPart = (role) => (v, p) => {
	const parts = {
		user: {
			input_text: obj({ type: R(konst('input_text')),
			    text: R(str()) }),
			input_audio: obj({ type: R(konst('input_audio')),
			    audio: O(str()), transcript: O(nullable(str())) }),
			input_image: obj({ type: R(konst('input_image')),
			    image_url: R(str()), detail: O(str({
				enum: ['auto', 'low', 'high'] })) }),
		},
		system: {
			input_text: obj({ type: R(konst('input_text')),
			    text: R(str()) }),
		},
		assistant: {
			output_text: obj({ type: R(konst('output_text')),
			    text: R(str()) }),
			// Only the model makes audio: refused below.
			output_audio: obj({ type: R(konst('output_audio')),
			    audio: O(str()), transcript: O(nullable(str())) }),
			text: null, audio: null,
		},
	}[role];
	anyObject()(v, p);
	if (role === 'assistant' && (v.type === 'text' || v.type === 'audio'))
		throw new SchemaError('invalid_value', `Invalid value: '${v.type}'` +
		    `. Supported values are: 'output_text', 'output_audio'.`,
		    `${p}.type`, { beta: v.type === 'text' ? 'output_text' :
		    'output_audio' });
	union('type', Object.fromEntries(Object.entries(parts)
	    .filter(([, f]) => f)))(v, p);
	if (role === 'assistant' && v.type === 'output_audio')
		throw new SchemaError('invalid_value', 'Assistant audio items ' +
		    'cannot be created by the client.', `${p}.type`);
};
const itemCommon = {
	id: O(str({ nonEmpty: true, max: 32 })),
	object: O(konst('realtime.item')),
	status: O(str({ enum: ['completed', 'incomplete', 'in_progress'] })),
};
const messageItem = (v, p) => {
	anyObject()(v, p);
	const role = v.role;
	obj({ ...itemCommon, type: R(konst('message')),
	    role: R(str({ enum: ['user', 'assistant', 'system'] })),
	    content: R(arr(contentPart(['assistant', 'system']
		.includes(role) ? role : 'user'))) })(v, p);
};
export const validateItem = union('type', {
	message: messageItem,
	function_call: obj({ ...itemCommon, type: R(konst('function_call')),
	    name: R(str({ nonEmpty: true })), arguments: R(str()),
	    call_id: R(str({ nonEmpty: true })) }),
	function_call_output: obj({ ...itemCommon,
	    type: R(konst('function_call_output')),
	    call_id: R(str({ nonEmpty: true })), output: R(str()) }),
});

// ---- response.create's `response` (§5.4) ----
const BETA_RESPONSE = {
	modalities: 'output_modalities', voice: 'audio.output.voice',
	output_audio_format: 'audio.output.format',
	max_response_output_tokens: 'max_output_tokens',
	temperature: '(nothing: not in GA)',
};
const responseParams = obj({
	instructions: O(str()),
	output_modalities: O(outputModalities),
	tools: O(tools),
	tool_choice: O(toolChoice),
	max_output_tokens: O(maxTokens),
	audio: O(obj({ output: O(obj({ format: O(audioFormat),
	    voice: O(voice) })) })),
	metadata: O(nullable(anyObject())),
	conversation: O(str({ enum: ['auto', 'none'] })),
	input: O(arr(alt(obj({ type: R(konst('item_reference')),
	    id: R(str({ nonEmpty: true })) }), validateItem))),
	prompt: O(prompt),
}, BETA_RESPONSE);

// ---- the client events (§5.4) ----
const eventId = O(str({ max: 512 }));
const EVENTS = {
	'session.update': obj({ type: R(str()), event_id: eventId,
	    session: R(validateSession) }),
	'input_audio_buffer.append': obj({ type: R(str()), event_id: eventId,
	    audio: R(str()) }),
	'input_audio_buffer.commit': obj({ type: R(str()),
	    event_id: eventId }),
	'input_audio_buffer.clear': obj({ type: R(str()), event_id: eventId }),
	'conversation.item.create': obj({ type: R(str()), event_id: eventId,
	    previous_item_id: O(nullable(str())), item: R(validateItem) }),
	'conversation.item.truncate': obj({ type: R(str()), event_id: eventId,
	    item_id: R(str({ nonEmpty: true })),
	    content_index: R(int({ min: 0 })),
	    audio_end_ms: R(int({ min: 0 })) }),
	'conversation.item.delete': obj({ type: R(str()), event_id: eventId,
	    item_id: R(str({ nonEmpty: true })) }),
	'conversation.item.retrieve': obj({ type: R(str()), event_id: eventId,
	    item_id: R(str({ nonEmpty: true })) }),
	'response.create': obj({ type: R(str()), event_id: eventId,
	    response: O(responseParams) }),
	'response.cancel': obj({ type: R(str()), event_id: eventId,
	    response_id: O(str({ nonEmpty: true })) }),
};
export const CLIENT_EVENTS = Object.keys(EVENTS);

// WebRTC/SIP-only client events: refused over WebSocket (§5.4).
const NOT_OVER_WS = ['output_audio_buffer.clear'];

// validateClientEvent(ev): ev is the parsed JSON of one text frame.
export function validateClientEvent(ev) {
	if (ev === null || typeof ev !== 'object' || Array.isArray(ev))
		throw new SchemaError('invalid_type', 'Invalid type for the ' +
		    `event: expected an object, but got ${typeName(ev)} instead.`,
		    null);
	if (!Object.hasOwn(ev, 'type'))
		throw new SchemaError('missing_required_parameter',
		    "Missing required parameter: 'type'.", 'type');
	if (typeof ev.type !== 'string')
		throw badType('type', 'a string', ev.type);
	if (NOT_OVER_WS.includes(ev.type))
		throw new SchemaError('invalid_value', `'${ev.type}' is only ` +
		    'supported for WebRTC and SIP sessions.', 'type');
	if (!Object.hasOwn(EVENTS, ev.type))
		throw badValue('type', ev.type, CLIENT_EVENTS);
	EVENTS[ev.type](ev, '');
}
