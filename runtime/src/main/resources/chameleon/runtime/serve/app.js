// The live page: chooses photos, starts a session, plays its server-sent JPEG frames at 24 fps and
// switches garments. Plain browser JavaScript, no build step.
'use strict';

const $ = (id) => document.getElementById(id);
const state = {
  reference: 'person-demo', garment: null, session: null, events: null,
  queue: [], shown: 0, player: null, fps: 24, pendingGarment: null, pendingRequest: 0,
  prompt: null, pendingPrompt: null, pendingPromptRequest: 0, textPrompts: false, textLen: 0,
};

function showMessage(text) {
  const m = $('message');
  m.textContent = text || '';
  m.hidden = !text;
}

function setState(text, pending) {
  $('state').textContent = text;
  $('state').className = pending ? 'pending' : '';
}

async function errorOf(response) {
  try { return (await response.json()).error || response.statusText; } catch { return response.statusText; }
}

function thumb(entry, selected, onClick) {
  const b = document.createElement('button');
  b.className = 'thumb' + (selected ? ' selected' : '');
  b.dataset.id = entry.id;
  b.title = entry.name;
  const img = document.createElement('img');
  img.src = '/api/images/' + encodeURIComponent(entry.id);
  img.alt = entry.name;
  b.appendChild(img);
  b.addEventListener('click', () => onClick(entry.id));
  return b;
}

async function loadImages() {
  const list = await (await fetch('/api/images')).json();
  const garments = list.filter((e) => e.kind === 'garment');
  if (!state.garment && garments.length) state.garment = garments[0].id;
  $('references').replaceChildren(...list.filter((e) => e.kind === 'reference')
    .map((e) => thumb(e, e.id === state.reference, chooseReference)));
  $('garments').replaceChildren(...garments.map((e) => thumb(e, e.id === state.garment, chooseGarment)));
  markPending();
}

function markSelected(stripId, id) {
  for (const b of $(stripId).children) b.classList.toggle('selected', b.dataset.id === id);
}

function markPending() {
  for (const b of $('garments').children) b.classList.toggle('pending', b.dataset.id === state.pendingGarment);
}

function chooseReference(id) {
  state.reference = id;
  markSelected('references', id);
  if (state.session) showMessage('the person is used from the next start; press stop, then start');
}

async function chooseGarment(id) {
  showMessage('');
  if (!state.session) {
    state.garment = id;
    markSelected('garments', id);
    return;
  }
  const r = await fetch('/api/sessions/' + state.session + '/garment', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ garment: id }),
  });
  if (!r.ok) { showMessage(await errorOf(r)); return; }
  state.pendingGarment = id;
  state.pendingRequest = (await r.json()).request;
  markPending();
  setState('switch pending: takes effect at the next chunk', true);
}

async function upload(kind, input) {
  const file = input.files[0];
  input.value = '';
  if (!file) return;
  showMessage('');
  const r = await fetch('/api/images?kind=' + kind + '&name=' + encodeURIComponent(file.name), {
    method: 'POST', body: file,
  });
  if (!r.ok) { showMessage(await errorOf(r)); return; }
  const entry = await r.json();
  await loadImages();
  if (kind === 'reference') chooseReference(entry.id); else await chooseGarment(entry.id);
}

function play() {
  const frame = state.queue.shift();
  if (!frame) return;
  $('video').src = 'data:image/jpeg;base64,' + frame;
  $('idle').hidden = true;
  state.shown++;
  $('shown').textContent = state.shown;
}

function quoted(text) {
  return '"' + (text.length > 120 ? text.slice(0, 117) + '…' : text) + '"';
}

// What the prompt line says: the prompt a chunk used and where it took effect, or the one waiting.
function showPrompt(text, pending, note) {
  const p = $('prompt-state');
  p.textContent = text + (note ? ' · ' + note : '');
  p.className = 'prompt-state' + (pending ? ' pending' : '');
}

function truncationNote(kept, tokens) {
  return 'kept ' + kept + ' of ' + tokens + ' tokens: longer prompts are cut to the text length ('
    + state.textLen + '), as Wan\'s pipeline cuts them';
}

async function setPrompt(event) {
  event.preventDefault();
  showMessage('');
  const text = $('prompt').value;
  if (!state.textPrompts) { showMessage('this server has no text encoder: the prompt box is off'); return; }
  if (!state.session) {
    state.prompt = text;
    showPrompt('prompt: ' + quoted(text) + ' from the next start', false);
    return;
  }
  const r = await fetch('/api/sessions/' + state.session + '/prompt', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ prompt: text }),
  });
  if (!r.ok) { showMessage(await errorOf(r)); return; }
  const reply = await r.json();
  state.prompt = text;
  state.pendingPrompt = text;
  state.pendingPromptRequest = reply.request;
  showPrompt('prompt: ' + quoted(text) + ' pending: takes effect at the next chunk', true,
    reply.truncated ? truncationNote(reply.kept, reply.tokens) : '');
}

function onPrompt(c) {
  if (state.pendingPrompt !== null && c.promptsApplied < state.pendingPromptRequest) return; // still waiting
  state.pendingPrompt = null;
  const label = c.promptIsText ? quoted(c.prompt) : (c.prompt.startsWith('embedding') ? c.prompt : 'none');
  showPrompt('prompt: ' + label + ' active at chunk ' + c.promptChunk, false,
    c.promptTruncated ? truncationNote(c.promptKept, c.promptTokens) : '');
}

function onChunk(c) {
  onPrompt(c);
  $('chunk').textContent = c.chunk + ' (' + c.frames + ' frames)';
  $('spc').textContent = c.secondsPerChunk.toFixed(2);
  $('fps').textContent = c.fps.toFixed(1);
  $('switch').textContent = c.switchChunk == null ? '–' : 'chunk ' + c.switchChunk;
  if (state.pendingGarment && c.switchesApplied >= state.pendingRequest) {
    state.garment = state.pendingGarment;
    state.pendingGarment = null;
    markSelected('garments', state.garment);
    markPending();
    setState('playing · switched at chunk ' + c.switchChunk, false);
  } else if (!state.pendingGarment) {
    setState('playing', false);
  }
}

async function start() {
  showMessage('');
  const r = await fetch('/api/sessions', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(Object.assign({ reference: state.reference, garment: state.garment },
      state.textPrompts && state.prompt !== null ? { prompt: state.prompt } : {})),
  });
  if (!r.ok) { showMessage(await errorOf(r)); return; }
  state.session = (await r.json()).id;
  state.queue = [];
  state.shown = 0;
  $('start').disabled = true;
  $('stop').disabled = false;
  setState('starting: encoding the photos and making the first chunk…', false);
  const events = new EventSource('/api/sessions/' + state.session + '/stream');
  state.events = events;
  events.addEventListener('ready', (e) => {
    state.fps = JSON.parse(e.data).fps;
    clearInterval(state.player);
    state.player = setInterval(play, 1000 / state.fps);
  });
  events.addEventListener('frame', (e) => state.queue.push(e.data));
  events.addEventListener('chunk', (e) => onChunk(JSON.parse(e.data)));
  events.addEventListener('failure', (e) => { showMessage(JSON.parse(e.data).error); ended(); });
  events.addEventListener('stopped', () => ended());
  events.onerror = () => { if (state.events === events) { showMessage('the stream ended'); ended(); } };
}

function ended() {
  if (state.events) state.events.close();
  state.events = null;
  state.session = null;
  state.pendingGarment = null;
  state.pendingPrompt = null;
  markPending();
  $('start').disabled = false;
  $('stop').disabled = true;
  setState('stopped', false);
}

function stop() {
  const id = state.session;
  ended();
  if (id) fetch('/api/sessions/' + id + '/close', { method: 'POST' });
}

$('start').addEventListener('click', start);
$('prompt-form').addEventListener('submit', setPrompt);
$('stop').addEventListener('click', stop);
$('upload-reference').addEventListener('change', (e) => upload('reference', e.target));
$('upload-garment').addEventListener('change', (e) => upload('garment', e.target));
// A closed tab drops its stream (the server notices on its next write); the beacon frees it at once.
window.addEventListener('pagehide', () => {
  if (state.session) navigator.sendBeacon('/api/sessions/' + state.session + '/close');
});
loadImages().catch((e) => showMessage('cannot load the photos: ' + e));
fetch('/api/sessions').then((r) => r.json()).then((s) => {
  $('notice').textContent = s.notice;
  $('notice').hidden = !s.notice;
  state.textPrompts = s.textPrompts;
  state.textLen = s.textLen;
  $('prompt').disabled = $('set-prompt').disabled = !s.textPrompts;
  if (!s.textPrompts) {
    showPrompt('prompt: off (the server has no text encoder: start it with --t5 and --tokenizer)', false);
  } else if (s.prompt) {
    $('prompt').value = s.prompt;
    showPrompt('prompt: ' + quoted(s.prompt) + ' from the next start', false);
  }
}).catch(() => {});
