// ser web page: upload an audio file, POST it to `predict`, show the result.
// Plain ES2020, no dependencies. All URLs are relative to the page.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const ui = {
    main: $('main'),
    model: $('model'),
    drop: $('drop'),
    file: $('file'),
    status: $('status'),
    error: $('error'),
    result: $('result'),
    emotion: $('emotion'),
    meta: $('meta'),
    bars: $('bars'),
    noProbabilities: $('no-probabilities'),
    chosen: $('chosen'),
    fileName: $('file-name'),
    fileSize: $('file-size'),
    player: $('player'),
  };

  const DOT = ' \u00b7 '; // " · "
  let objectUrl = null; // object URL of the file in the player
  let inflight = null; // AbortController of the running request

  // idle | busy | done | error; tests wait on body[data-state=...].
  function setState(state) {
    document.body.dataset.state = state;
    ui.main.setAttribute('aria-busy', String(state === 'busy'));
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function formatBytes(n) {
    if (n < 1024) return `${n} B`;
    if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
    return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
  }

  // Body as JSON, or null when it is not JSON; `text` keeps the raw body.
  async function readBody(res) {
    const text = await res.text();
    try {
      return { json: JSON.parse(text), text };
    } catch {
      return { json: null, text };
    }
  }

  // --- model info ---------------------------------------------------------

  async function loadModel() {
    try {
      const res = await fetch('model', { headers: { Accept: 'application/json' } });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const m = await res.json();
      const labels = Array.isArray(m.labels) ? m.labels.map(String) : [];
      const n = labels.length;
      ui.model.textContent =
        `model: ${m.feature_set ?? 'unknown'}${DOT}${n} class${n === 1 ? '' : 'es'}` +
        `${DOT}labels ${labels.join(', ')}`;
      const details = [m.model, m.n_features && `${m.n_features} features`, m.hash].filter(Boolean);
      if (details.length) ui.model.title = details.join(DOT);
    } catch (err) {
      ui.model.textContent = 'model info unavailable';
      ui.model.title = String(err);
      ui.model.classList.add('unavailable');
    }
  }

  // --- rendering ----------------------------------------------------------

  function showFile(file) {
    if (objectUrl) URL.revokeObjectURL(objectUrl);
    objectUrl = URL.createObjectURL(file);
    ui.player.src = objectUrl;
    ui.fileName.textContent = file.name || 'unnamed file';
    ui.fileSize.textContent = `(${formatBytes(file.size)})`;
    ui.chosen.hidden = false;
  }

  function clearResult() {
    ui.result.hidden = true;
    ui.emotion.textContent = '';
    ui.meta.textContent = '';
    ui.bars.replaceChildren();
    ui.noProbabilities.hidden = true;
  }

  function clearError() {
    ui.error.hidden = true;
    ui.error.replaceChildren();
  }

  function showError(title, detail) {
    clearResult();
    ui.error.hidden = false;
    ui.error.replaceChildren(el('p', 'error-title', title));
    if (detail) ui.error.append(el('p', 'error-detail', detail));
  }

  function barRow(label, p, top) {
    const row = el('li', top ? 'bar top' : 'bar');
    row.dataset.label = label;
    row.dataset.p = String(p);
    const pct = Math.min(1, Math.max(0, p)) * 100;
    const track = el('span', 'bar-track');
    track.setAttribute('aria-hidden', 'true');
    const fill = el('span', 'bar-fill');
    fill.style.width = `${pct}%`;
    track.append(fill);
    row.append(el('span', 'bar-label', label), track, el('span', 'bar-value', `${pct.toFixed(1)}%`));
    return row;
  }

  function showResult(r, file) {
    clearError();
    ui.emotion.textContent = String(r.emotion ?? '');

    const meta = [];
    if (typeof r.duration_s === 'number') meta.push(`${r.duration_s.toFixed(2)} s of audio`);
    if (r.model) meta.push(`model ${r.model}`);
    if (file.name) meta.push(file.name);
    // The server flags input a prediction should not be trusted on (silent, clipped).
    if (Array.isArray(r.quality) && r.quality.length) meta.push(`input is ${r.quality.join(' and ')}`);
    ui.meta.textContent = meta.join(DOT);

    // probabilities may be null/absent: then only the label is shown.
    const probs = r.probabilities && typeof r.probabilities === 'object' ? r.probabilities : {};
    const entries = Object.entries(probs)
      .filter(([, p]) => typeof p === 'number' && Number.isFinite(p))
      .sort((a, b) => b[1] - a[1]);
    ui.bars.replaceChildren(...entries.map(([label, p], i) => barRow(label, p, i === 0)));
    ui.bars.hidden = entries.length === 0;
    ui.noProbabilities.hidden = entries.length > 0;

    ui.result.hidden = false;
  }

  // --- prediction ---------------------------------------------------------

  async function predict(file) {
    if (!file) return;
    if (inflight) inflight.abort(); // a newer file wins
    const ctrl = new AbortController();
    inflight = ctrl;

    showFile(file);
    clearError();
    clearResult();
    setState('busy');
    ui.status.textContent = `Analysing ${file.name || 'file'}\u2026`;

    try {
      const res = await fetch('predict', {
        method: 'POST',
        body: file,
        headers: {
          'Content-Type': file.type || 'application/octet-stream',
          Accept: 'application/json',
        },
        signal: ctrl.signal,
      });
      const body = await readBody(res);
      if (ctrl !== inflight) return; // superseded meanwhile
      if (!res.ok) {
        const j = body.json;
        const title = j && j.error ? String(j.error) : `HTTP ${res.status} ${res.statusText}`.trim();
        const detail = j ? (j.detail != null ? String(j.detail) : '') : body.text.trim().slice(0, 500);
        showError(title, detail);
        setState('error');
        return;
      }
      if (!body.json || typeof body.json !== 'object') {
        showError('unexpected response', 'the server did not answer JSON');
        setState('error');
        return;
      }
      showResult(body.json, file);
      setState('done');
    } catch (err) {
      if (err && err.name === 'AbortError') return;
      if (ctrl !== inflight) return;
      showError('request failed', err && err.message ? err.message : String(err));
      setState('error');
    } finally {
      if (ctrl === inflight) {
        inflight = null;
        ui.status.textContent = '';
      }
    }
  }

  // --- wiring -------------------------------------------------------------

  ui.file.addEventListener('change', () => {
    const file = ui.file.files && ui.file.files[0];
    if (file) predict(file);
    ui.file.value = ''; // so choosing the same file again fires `change`
  });

  ['dragenter', 'dragover'].forEach((type) =>
    ui.drop.addEventListener(type, (e) => {
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
      ui.drop.classList.add('dragging');
    }),
  );
  ['dragleave', 'dragend'].forEach((type) =>
    ui.drop.addEventListener(type, (e) => {
      if (!ui.drop.contains(e.relatedTarget)) ui.drop.classList.remove('dragging');
    }),
  );
  ui.drop.addEventListener('drop', (e) => {
    e.preventDefault();
    ui.drop.classList.remove('dragging');
    const file = e.dataTransfer && e.dataTransfer.files && e.dataTransfer.files[0];
    if (file) predict(file);
  });
  // A file dropped next to the zone must not make the browser navigate to it.
  window.addEventListener('dragover', (e) => e.preventDefault());
  window.addEventListener('drop', (e) => e.preventDefault());

  setState('idle');
  loadModel();
})();
