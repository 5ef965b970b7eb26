// The page of `cogvideox serve`: the form, the queue with live progress (server-sent events) and the gallery.
'use strict';

const $ = (id) => document.getElementById(id);
const state = { models: [], jobs: new Map(), image: null, token: localStorage.getItem('cogvideox-token') || '' };
const ACTIVE = new Set(['queued', 'running']);
const NUMBERS = ['frames', 'height', 'width', 'steps', 'guidance', 'seed', 'fps'];

function withToken(url) {
  return state.token ? url + (url.includes('?') ? '&' : '?') + 'access_token=' + encodeURIComponent(state.token) : url;
}

async function api(path, options = {}) {
  const headers = Object.assign({}, options.headers || {});
  if (state.token) headers['Authorization'] = 'Bearer ' + state.token;
  const res = await fetch(path, Object.assign({}, options, { headers }));
  if (res.status === 401) {
    $('token-form').hidden = false;
    $('status').textContent = 'this service needs a token';
  }
  if (res.status === 204) return null;
  const body = await res.json().catch(() => null);
  if (!res.ok) {
    const err = new Error(body && body.error ? body.error.message : res.status + ' ' + res.statusText);
    err.field = body && body.error ? body.error.field : null;
    throw err;
  }
  return body;
}

function model() {
  return state.models.find((m) => m.name === $('model').value) || state.models[0];
}

function fillDefaults() {
  const m = model();
  if (!m) return;
  const d = m.defaults, l = m.limits;
  for (const k of NUMBERS) $(k).value = d[k];
  $('dynamicCfg').checked = d.dynamicCfg;
  $('frames').step = l.frameStep; $('frames').min = 1; $('frames').max = l.maxFrames;
  for (const k of ['height', 'width']) { $(k).step = l.sizeMultiple; $(k).min = 16; $(k).max = l.maxSide; }
  $('steps').min = 1; $('steps').max = l.maxSteps;
  $('prompt').maxLength = l.maxPromptChars; $('prompt-max').textContent = l.maxPromptChars;
  $('model-info').textContent = `${m.variant}${m.imageToVideo ? ' · image-to-video' : ' · text-to-video'} · frames ${l.frameStep}N+1 up to ${l.maxFrames}`
    + ` · sizes multiples of ${l.sizeMultiple} up to ${l.maxSide} · the text encoder reads ${l.maxTextTokens} tokens`;
  $('drop').hidden = !m.imageToVideo;
}

function settingsFromForm() {
  const s = { model: $('model').value, prompt: $('prompt').value };
  if ($('negativePrompt').value) s.negativePrompt = $('negativePrompt').value;
  for (const k of NUMBERS) if ($(k).value !== '') s[k] = Number($(k).value);
  s.dynamicCfg = $('dynamicCfg').checked;
  s.vaeTiling = $('vaeTiling').checked;
  if (model().imageToVideo && state.image) s.image = state.image;
  return s;
}

async function submit(settings) {
  $('form-error').textContent = '';
  try {
    const job = await api('/api/jobs', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(settings) });
    upsert(job);
  } catch (e) {
    $('form-error').textContent = e.message;
    if (e.field && $(e.field)) $(e.field).focus();
  }
}

async function upload(file) {
  $('form-error').textContent = '';
  try {
    const r = await api('/api/uploads', { method: 'POST', headers: { 'Content-Type': file.type }, body: file });
    state.image = r.name;
    const img = $('image-preview');
    img.src = URL.createObjectURL(file);
    img.hidden = false;
  } catch (e) {
    $('form-error').textContent = e.message;
  }
}

function progressText(job) {
  const p = job.progress;
  if (job.state === 'queued') return `queued · #${job.queuePosition || '?'} for ${job.model}`;
  if (!p) return 'starting';
  const parts = [p.stage];
  if (p.steps) parts[0] += ` step ${p.step}/${p.steps}`; else if (p.total) parts[0] += ` ${p.done}/${p.total}`;
  if (p.blocks) parts.push(`block ${p.block}/${p.blocks}`);
  parts.push(`frames ${p.framesDecoded}/${p.framesTotal}`);
  if (p.etaSeconds !== undefined) parts.push(`ETA ${formatSeconds(p.etaSeconds)}`);
  return parts.join(' · ');
}

function formatSeconds(s) {
  s = Math.round(s);
  return s < 60 ? s + ' s' : Math.floor(s / 60) + ' min ' + (s % 60) + ' s';
}

function describe(s) {
  const parts = [`${s.model}`, `${s.frames} frames ${s.width}x${s.height}`, `${s.steps} steps`, `guidance ${s.guidance}`, `seed ${s.seed}`, `${s.fps} fps`];
  if (s.dynamicCfg) parts.push('dynamic CFG');
  if (s.vaeTiling) parts.push('VAE tiling');
  if (s.negativePrompt) parts.push(`negative: ${s.negativePrompt}`);
  if (s.image) parts.push('image-to-video');
  if (s.lora) parts.push(`LoRA ${s.lora} x${s.loraScale}`);
  return parts.join(' · ');
}

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v; else if (k.startsWith('on')) e.addEventListener(k.slice(2), v); else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

function queueItem(job) {
  let li = document.querySelector(`#queue li[data-id="${job.id}"]`);
  if (!li) {
    li = el('li', { class: 'job', 'data-id': job.id },
      el('div', { class: 'prompt' }),
      el('div', { class: 'bar', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100' }, el('div', { class: 'fill' })),
      el('div', { class: 'detail' }),
      el('div', { class: 'actions' }, el('button', { class: 'danger cancel', type: 'button', onclick: () => cancel(job.id) }, 'Cancel')));
    $('queue').append(li);
  }
  li.dataset.state = job.state;
  li.querySelector('.prompt').textContent = job.settings.prompt;
  const pct = job.progress ? Math.round(job.progress.fraction * 1000) / 10 : 0;
  const bar = li.querySelector('.bar');
  bar.setAttribute('aria-valuenow', String(pct));
  bar.querySelector('.fill').style.width = pct + '%';
  li.querySelector('.detail').textContent = progressText(job);
  return li;
}

function galleryCard(job) {
  let card = document.querySelector(`#gallery .card[data-id="${job.id}"]`);
  if (card && card.dataset.state === job.state) return card;
  if (card) card.remove();
  const media = job.state === 'succeeded'
    ? el('video', { src: withToken(job.results.mp4), poster: withToken(job.results.poster), controls: '', loop: '', muted: '', playsinline: '', preload: 'auto' })
    : el('div', { class: 'placeholder' }, job.state);
  const actions = el('div', { class: 'actions' },
    el('button', { class: 'secondary rerun', type: 'button', onclick: () => rerun(job) }, 'Re-run, new seed'),
    el('button', { class: 'danger delete', type: 'button', onclick: () => remove(job.id) }, 'Delete'));
  if (job.state === 'succeeded') actions.append(el('a', { href: withToken(job.results.gif), download: `cogvideox-${job.id}.gif` }, 'GIF'));
  const took = job.startedAt && job.finishedAt ? ` · ${formatSeconds((job.finishedAt - job.startedAt) / 1000)}` : '';
  card = el('article', { class: 'card', 'data-id': job.id, 'data-state': job.state }, media,
    el('div', { class: 'body' },
      el('div', {}, el('span', { class: `badge ${job.state}` }, job.state), took),
      el('div', { class: 'prompt' }, job.settings.prompt),
      el('div', { class: 'settings' }, describe(job.settings)),
      job.error ? el('div', { class: 'error' }, job.error) : '',
      actions));
  // newest first
  const next = [...document.querySelectorAll('#gallery .card')].find((c) => Number(c.dataset.seq) < job.seq);
  card.dataset.seq = job.seq;
  $('gallery').insertBefore(card, next || null);
  return card;
}

function render(job) {
  const active = ACTIVE.has(job.state);
  if (active) {
    queueItem(job);
  } else {
    const li = document.querySelector(`#queue li[data-id="${job.id}"]`);
    if (li) li.remove();
    galleryCard(job);
  }
  // keep the queue in submission order
  const items = [...document.querySelectorAll('#queue li')];
  items.sort((a, b) => state.jobs.get(a.dataset.id).seq - state.jobs.get(b.dataset.id).seq).forEach((li) => $('queue').append(li));
  $('queue-empty').hidden = items.length > 0;
  $('gallery-empty').hidden = document.querySelectorAll('#gallery .card').length > 0;
}

function upsert(job) {
  const old = state.jobs.get(job.id);
  // a reply can arrive after a newer event (a cancel's reply after the event of the job's end): a finished job never runs again
  if (old && !ACTIVE.has(old.state) && ACTIVE.has(job.state)) return;
  if (old && old.state === job.state && job.queuePosition === undefined && old.queuePosition !== undefined && job.state === 'queued') {
    job.queuePosition = old.queuePosition;
  }
  state.jobs.set(job.id, job);
  render(job);
}

function forget(id) {
  state.jobs.delete(id);
  document.querySelectorAll(`[data-id="${id}"]`).forEach((e) => e.remove());
  $('queue-empty').hidden = document.querySelectorAll('#queue li').length > 0;
  $('gallery-empty').hidden = document.querySelectorAll('#gallery .card').length > 0;
}

async function cancel(id) {
  try { upsert(await api(`/api/jobs/${id}/cancel`, { method: 'POST' })); } catch (e) { $('form-error').textContent = e.message; }
}

async function remove(id) {
  try { await api(`/api/jobs/${id}`, { method: 'DELETE' }); forget(id); } catch (e) { $('form-error').textContent = e.message; }
}

function rerun(job) {
  const s = Object.assign({}, job.settings, { seed: Math.floor(Math.random() * 2 ** 31) });
  submit(s);
}

function listen() {
  const es = new EventSource(withToken('/api/events'));
  es.addEventListener('open', () => { $('status').textContent = 'connected'; refresh(); });
  es.addEventListener('job', (e) => upsert(JSON.parse(e.data)));
  es.addEventListener('deleted', (e) => forget(JSON.parse(e.data).id));
  es.addEventListener('error', () => { $('status').textContent = 'reconnecting…'; });
}

async function refresh() {
  const jobs = await api('/api/jobs');
  for (const j of jobs) upsert(j);
}

async function start() {
  try {
    state.models = await api('/api/models');
  } catch (e) {
    $('status').textContent = e.message;
    return;
  }
  for (const m of state.models) $('model').append(el('option', { value: m.name }, `${m.name} (${m.variant})`));
  fillDefaults();
  $('model').addEventListener('change', fillDefaults);
  $('prompt').addEventListener('input', () => { $('prompt-count').textContent = $('prompt').value.length; });
  $('job-form').addEventListener('submit', (e) => { e.preventDefault(); submit(settingsFromForm()); });
  const drop = $('drop');
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => { e.preventDefault(); drop.classList.remove('over'); if (e.dataTransfer.files[0]) upload(e.dataTransfer.files[0]); });
  $('image-file').addEventListener('change', (e) => { if (e.target.files[0]) upload(e.target.files[0]); });
  await refresh();
  listen();
}

$('token-form').addEventListener('submit', (e) => {
  e.preventDefault();
  state.token = $('token').value;
  localStorage.setItem('cogvideox-token', state.token);
  location.reload();
});

start();
