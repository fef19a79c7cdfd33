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
  let modelRate = null; // the served model's sample rate, from GET model
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
      // Record at the model's rate: the browser resamples the microphone once, sends a third
      // of the data of 48 kHz, and the server has nothing to resample.
      if (Number.isInteger(m.sample_rate_hz) && m.sample_rate_hz > 0) modelRate = m.sample_rate_hz;
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

  // --- live: microphone -> AudioWorklet -> WebSocket /stream -> timeline ------

  const live = {
    button: $('record'),
    mode: $('live-mode'),
    status: $('live-status'),
    timeline: $('timeline'),
    list: $('segments'),
  };
  let rec = null; // { ctx, stream, node, ws, rate, segments }

  // A stable colour per emotion.
  const COLOURS = {
    angry: '#d1453b', happy: '#e8a317', sad: '#3f6fd1', neutral: '#8a93a3', fear: '#7b4fc9',
    disgust: '#4f9a3a', boredom: '#a07a55', calm: '#3aa3a0', surprise: '#e2672c',
  };
  const colour = (e) => COLOURS[e] || '#5b6474';

  function drawTimeline() {
    const segs = rec ? rec.segments : [];
    // Room for the time scale at the right: the last whole second after the last segment.
    const end = Math.max(10, Math.ceil(Math.max(0, ...segs.map((s) => s.end_s))) + 1);
    live.timeline.replaceChildren(
      ...segs.map((s) => {
        const b = el('span', 'tl-seg', s.emotion);
        b.style.left = `${(100 * s.start_s) / end}%`;
        b.style.width = `${(100 * (s.end_s - s.start_s)) / end}%`;
        b.style.background = colour(s.emotion);
        b.title = `${s.start_s.toFixed(2)}\u2013${s.end_s.toFixed(2)} s: ${s.emotion}`;
        return b;
      }),
      el('span', 'tl-end', `${end.toFixed(0)} s`),
    );
  }

  function addSegment(s) {
    rec.segments.push(s);
    const p = s.probabilities && s.probabilities[s.emotion];
    const li = el('li', 'segment');
    li.dataset.start = String(s.start_s);
    li.dataset.end = String(s.end_s);
    li.dataset.emotion = s.emotion;
    const dot = el('span', 'seg-dot');
    dot.style.background = colour(s.emotion);
    li.append(
      dot,
      el('span', 'seg-time', `${s.start_s.toFixed(2)}\u2013${s.end_s.toFixed(2)} s`),
      el('strong', 'seg-emotion', s.emotion),
      el('span', 'seg-p', typeof p === 'number' ? `${(100 * p).toFixed(0)}%` : ''),
    );
    live.list.prepend(li);
    drawTimeline();
  }

  function setLive(state, text) {
    document.body.dataset.live = state; // idle | recording | finishing | done | error
    live.button.setAttribute('aria-pressed', String(state === 'recording'));
    live.button.textContent = state === 'recording' ? '\u25A0 Stop' : '\u25CF Record';
    live.button.disabled = state === 'finishing';
    live.mode.disabled = state === 'recording' || state === 'finishing';
    if (text !== undefined) live.status.textContent = text;
  }

  async function startRecording() {
    clearError();
    live.list.replaceChildren();
    rec = { segments: [] };
    drawTimeline();
    try {
      const stream = await navigator.mediaDevices.getUserMedia({
        audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false },
      });
      let ctx;
      try {
        ctx = modelRate ? new AudioContext({ sampleRate: modelRate }) : new AudioContext();
      } catch {
        ctx = new AudioContext(); // a rate this browser cannot run at: the server resamples
      }
      await ctx.audioWorklet.addModule('recorder-worklet.js');
      const rate = ctx.sampleRate;
      const ws = new WebSocket(
        `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${location.pathname.replace(/[^/]*$/, '')}stream?rate=${rate}&format=f32le&mode=${live.mode.value}`,
      );
      ws.binaryType = 'arraybuffer';
      const node = new AudioWorkletNode(ctx, 'ser-recorder');
      Object.assign(rec, { ctx, stream, node, ws, rate });
      ws.onmessage = (e) => {
        try {
          addSegment(JSON.parse(e.data));
        } catch (err) {
          live.status.textContent = `unreadable message: ${err}`;
        }
      };
      ws.onclose = (e) => {
        if (e.code === 1000) {
          setLive('done', `${rec.segments.length} segment${rec.segments.length === 1 ? '' : 's'}`);
        } else {
          showError(`stream closed (${e.code})`, e.reason || 'the connection was lost');
          setLive('error', '');
        }
        stopAudio();
      };
      await new Promise((resolve, reject) => {
        ws.onopen = resolve;
        ws.onerror = () => reject(new Error('cannot open the WebSocket /stream'));
      });
      node.port.onmessage = (e) => {
        if (e.data === 'flushed') {
          if (ws.readyState === WebSocket.OPEN) ws.send('end');
        } else if (ws.readyState === WebSocket.OPEN && e.data.length) {
          ws.send(e.data.buffer);
        }
      };
      ctx.createMediaStreamSource(stream).connect(node);
      setLive('recording', `Recording at ${rate} Hz\u2026`);
    } catch (err) {
      stopAudio();
      showError('cannot record', err && err.message ? err.message : String(err));
      setLive('error', '');
    }
  }

  function stopAudio() {
    if (!rec) return;
    if (rec.stream) rec.stream.getTracks().forEach((t) => t.stop());
    if (rec.ctx && rec.ctx.state !== 'closed') rec.ctx.close();
  }

  function stopRecording() {
    if (!rec || !rec.node) return;
    setLive('finishing', 'Finishing\u2026');
    rec.stream.getTracks().forEach((t) => t.stop());
    rec.node.port.postMessage('flush'); // the rest, then `end`
  }

  live.button.addEventListener('click', () => {
    if (document.body.dataset.live === 'recording') stopRecording();
    else startRecording();
  });

  setState('idle');
  setLive('idle');
  loadModel();
})();
