// The vmb studio page: plain JavaScript over the REST API (/docs), nothing from the internet.
"use strict";

const $ = (id) => document.getElementById(id);
const MULTI = ["genre", "mood", "instrument", "without"];
const STORE = "vmb-studio-jobs";
let jobs = [];          // {id, token, label, kind, status, stage, progress, error}
let selected = null;    // the id of the job shown
let waveform = null;    // {peaks, duration} of the shown audio

function el(tag, attrs = {}, text = "") {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text) node.textContent = text;
  return node;
}

async function call(url, options = {}) {
  const response = await fetch(url, options);
  const body = await response.json().catch(() => ({ error: response.statusText }));
  if (!response.ok) throw new Error(body.error || response.statusText);
  return body;
}

const auth = (job) => ({ headers: { Authorization: "Bearer " + job.token } });

// ------------------------------------------------------------------ the controls, from the vocabulary

async function loadVocabulary() {
  const v = await call("/api/vocab");
  const fill = (select, values) => values.forEach((x) => select.append(el("option", { value: x }, x)));
  fill($("genre"), v.genres);
  fill($("mood"), v.moods);
  fill($("instrument"), Object.keys(v.instruments));
  fill($("without"), Object.keys(v.instruments));
  fill($("meter"), v.meters);
  fill($("tonic"), v.tonics);
  fill($("format"), v.formats);
  for (const [name, [low, high]] of Object.entries(v.tempo_classes)) {
    $("tempo-classes").append(el("option", { value: name }, `${low}-${high} BPM`));
  }
  for (const [name, what] of Object.entries(v.generators)) {
    const option = el("option", { value: name, title: what }, name);
    if (name === v.default_generator) option.selected = true;
    $("generator").append(option);
  }
  $("duration").min = v.duration_s.min;
  $("duration").max = v.duration_s.max;
  $("duration").value = v.duration_s.default;
  $("seed").max = v.max_seed;
}

function inputKind() {
  return document.querySelector("input[name=kind]:checked").value;
}

function showInputKind() {
  const kind = inputKind();
  $("text-input").hidden = kind !== "text";
  $("file-input").hidden = kind === "text";
  $("file").accept = kind + "/*";
  $("duration").disabled = kind === "video"; // a video's music takes its own length
}

// The options with the CLI's names; only what the user set (the server fills the rest).
function options() {
  const out = {};
  for (const name of MULTI) {
    const values = [...$(name).selectedOptions].map((o) => o.value);
    if (values.length) out[name] = values;
  }
  const tempo = $("tempo").value.trim();
  if (tempo) out.tempo = tempo;
  if ($("tonic").value) out.key = `${$("tonic").value} ${$("mode").value}`;
  if ($("meter").value) out.meter = $("meter").value;
  if (inputKind() !== "video" && $("duration").value) out.duration = Number($("duration").value);
  out.seed = Number($("seed").value || 0);
  out.generator = $("generator").value;
  out.format = $("format").value;
  if ($("loop").checked) out.loop = true;
  if ($("stems").checked) out.stems = true;
  return out;
}

// A JSON body for a text, a multipart form with the file for an image or a video.
function requestBody(extra = {}) {
  const kind = inputKind();
  const opts = Object.assign(options(), extra);
  if (kind === "text") {
    return { body: JSON.stringify(Object.assign({ text: $("text").value }, opts)),
             headers: { "Content-Type": "application/json" }, label: $("text").value };
  }
  const file = $("file").files[0];
  if (!file) throw new Error(`choose ${kind === "image" ? "an image" : "a video"} first`);
  const form = new FormData();
  form.append(kind, file);
  for (const [name, value] of Object.entries(opts)) {
    for (const v of [].concat(value)) form.append(name, String(v));
  }
  return { body: form, headers: {}, label: file.name };
}

// ------------------------------------------------------------------ jobs

function save() {
  localStorage.setItem(STORE, JSON.stringify(jobs.map(({ id, token, label, kind }) => ({ id, token, label, kind }))));
}

function addJob(created, label, kind) {
  const job = { id: created.id, token: created.token, label, kind, status: "queued", progress: 0 };
  jobs.unshift(job);
  save();
  watch(job);
  select(job.id);
}

async function submit(event) {
  event.preventDefault();
  $("form-error").textContent = "";
  try {
    const { body, headers, label } = requestBody();
    const created = await call("/api/jobs", { method: "POST", body, headers });
    addJob(created, label || "(text)", inputKind());
  } catch (err) {
    $("form-error").textContent = err.message;
  }
}

function update(job, status) {
  Object.assign(job, { status: status.status, stage: status.stage, progress: status.progress,
                       error: status.error, files: status.files, options: status.options });
  renderList();
  if (job.id === selected) showJob(job);
}

// Server-sent events while the job runs; one status read if the stream breaks.
function watch(job) {
  const source = new EventSource(`/api/jobs/${job.id}/events?token=${encodeURIComponent(job.token)}`);
  source.addEventListener("status", (e) => {
    const status = JSON.parse(e.data);
    update(job, status);
    if (status.status === "done" || status.status === "failed") source.close();
  });
  source.onerror = () => {
    source.close();
    call(`/api/jobs/${job.id}`, auth(job)).then((s) => {
      update(job, s);
      if (s.status !== "done" && s.status !== "failed") setTimeout(() => watch(job), 1000);
    }).catch(() => { // expired or removed on the server: forget it
      jobs = jobs.filter((j) => j.id !== job.id);
      save();
      renderList();
    });
  };
}

function renderList() {
  const list = $("job-list");
  list.replaceChildren();
  for (const job of jobs) {
    const item = el("li", { "data-id": job.id, class: `${job.status} ${job.id === selected ? "selected" : ""}` });
    item.append(el("span", { class: "label" }, `${job.kind}: ${job.label}`));
    const state = job.status === "running" ? `${job.stage || "running"} …` : job.status;
    item.append(el("span", { class: "state" }, job.error ? `${state}: ${job.error}` : state));
    if (job.status === "queued" || job.status === "running") {
      const bar = el("progress", { max: "1" });
      bar.value = job.progress || 0;
      item.append(bar);
    }
    item.onclick = () => select(job.id);
    list.append(item);
  }
}

function select(id) {
  selected = id;
  renderList();
  const job = jobs.find((j) => j.id === id);
  if (job) showJob(job, true);
}

// ------------------------------------------------------------------ the shown job

let shown = null; // "id:status" of what the detail shows, so progress events do not reload the player

async function showJob(job, fresh = false) {
  $("job").hidden = false;
  $("job-title").textContent = `${job.kind}: ${job.label}`;
  $("job-state").textContent = job.status === "done" ? "done" :
    job.error ? `${job.status}: ${job.error}` : `${job.status}${job.stage ? ": " + job.stage : ""}`;
  $("job-state").className = job.status === "failed" || job.status === "gone" ? "error" : "";
  const key = `${job.id}:${job.status}`;
  if (!fresh && key === shown) return;
  shown = key;
  for (const id of ["audio", "video", "waveform", "job-actions", "description", "references",
                    "pianoroll-figure", "beatmap-figure"]) $(id).hidden = true;
  if (job.status !== "done") return;
  const files = job.files || (await call(`/api/jobs/${job.id}`, auth(job))).files;
  const url = (kind) => (files.find((f) => f.kind === kind) || {}).url;
  const audio = $("audio");
  audio.src = url("audio");
  audio.hidden = false;
  if (url("video")) {
    $("video").src = url("video");
    $("video").hidden = false;
  }
  for (const [kind, img] of [["piano roll", "pianoroll"], ["beat map", "beatmap"]]) {
    if (url(kind)) {
      $(img).src = url(kind);
      $(img + "-figure").hidden = false;
    }
  }
  const downloads = $("downloads");
  downloads.replaceChildren(...files.map((f) => el("a", { href: f.url, download: f.name }, `${f.kind} (${f.name})`)));
  $("job-actions").hidden = false;
  drawWaveform(url("audio"));
  showResult(await call(`/api/jobs/${job.id}/result`, auth(job)));
}

function showResult(result) {
  const d = result.description;
  $("sentence").textContent = d.sentence;
  $("reasoning").replaceChildren(...d.reasoning.map((line) => el("li", {}, line)));
  const a = result.attributes;
  $("music-facts").textContent = `${Math.round(a.tempo_bpm)} BPM, ${result.key}, ${result.meter}, ` +
    `${(a.genres || []).join(", ") || "no genre"}; moods ${(a.moods || []).join(", ") || "-"}; ` +
    `${result.duration_s.toFixed(2)} s; seed ${result.seed}`;
  $("description").hidden = false;
  $("reference-rows").replaceChildren(...result.references.map((r) => {
    const row = el("tr");
    for (const cell of [r.track, r.title || r.id, r.score.toFixed(3), (r.matched || []).join(", ") || "-", r.key]) {
      row.append(el("td", {}, cell));
    }
    return row;
  }));
  $("references").hidden = result.references.length === 0;
}

// ------------------------------------------------------------------ the waveform

async function drawWaveform(url) {
  const canvas = $("waveform");
  try {
    const data = await (await fetch(url)).arrayBuffer();
    const buffer = await new OfflineAudioContext(1, 1, 44100).decodeAudioData(data);
    const samples = buffer.getChannelData(0);
    const columns = canvas.width;
    const step = Math.max(1, Math.floor(samples.length / columns));
    const peaks = [];
    for (let c = 0; c < columns; c++) {
      let low = 0, high = 0;
      for (let i = c * step; i < Math.min(samples.length, (c + 1) * step); i++) {
        if (samples[i] < low) low = samples[i];
        if (samples[i] > high) high = samples[i];
      }
      peaks.push([low, high]);
    }
    waveform = { peaks, duration: buffer.duration };
    canvas.hidden = false;
    paintWaveform();
  } catch (err) {
    waveform = null; // the player still plays; only the picture is missing
  }
}

function paintWaveform() {
  const canvas = $("waveform");
  if (!waveform || canvas.hidden) return;
  const g = canvas.getContext("2d");
  const { width, height } = canvas;
  const played = $("audio").currentTime / (waveform.duration || 1) * width;
  g.clearRect(0, 0, width, height);
  waveform.peaks.forEach(([low, high], x) => {
    g.fillStyle = x < played ? "#2f6fdf" : "#9fb3d6";
    g.fillRect(x, (1 - high) * height / 2, 1, Math.max(1, (high - low) * height / 2));
  });
}

function seek(event) {
  if (!waveform) return;
  const box = $("waveform").getBoundingClientRect();
  $("audio").currentTime = (event.clientX - box.left) / box.width * waveform.duration;
}

// ------------------------------------------------------------------ again, describe

async function again() {
  const job = jobs.find((j) => j.id === selected);
  if (!job) return;
  try {
    const created = await call(`/api/jobs/${job.id}/again`, Object.assign({ method: "POST" }, auth(job)));
    const seed = Number((job.options && job.options.seed) || 0) + 1; // a form sent it as text
    addJob(created, `${job.label} (seed ${seed})`, job.kind);
  } catch (err) {
    $("job-state").textContent = err.message;
  }
}

async function describeOnly() {
  $("form-error").textContent = "";
  try {
    const kind = inputKind();
    let request;
    if (kind === "text") {
      request = { method: "POST", headers: { "Content-Type": "application/json" },
                  body: JSON.stringify({ text: $("text").value, seed: Number($("seed").value || 0) }) };
    } else {
      const file = $("file").files[0];
      if (!file) throw new Error(`choose ${kind === "image" ? "an image" : "a video"} first`);
      const form = new FormData();
      form.append(kind, file);
      form.append("seed", $("seed").value || "0");
      request = { method: "POST", body: form };
    }
    const d = await call("/api/describe", request);
    $("described-sentence").textContent = d.sentence;
    $("described-reasoning").replaceChildren(...d.reasoning.map((line) => el("li", {}, line)));
    $("described").hidden = false;
  } catch (err) {
    $("form-error").textContent = err.message;
  }
}

// ------------------------------------------------------------------ start

function start() {
  document.querySelectorAll("input[name=kind]").forEach((r) => r.addEventListener("change", showInputKind));
  $("job-form").addEventListener("submit", submit);
  $("describe").addEventListener("click", describeOnly);
  $("again").addEventListener("click", again);
  $("waveform").addEventListener("click", seek);
  $("audio").addEventListener("timeupdate", paintWaveform);
  $("audio").addEventListener("seeked", paintWaveform);
  loadVocabulary().catch((err) => { $("form-error").textContent = "vocabulary: " + err.message; });
  showInputKind();
  try {
    jobs = JSON.parse(localStorage.getItem(STORE) || "[]").map((j) => Object.assign(j, { status: "queued" }));
  } catch (err) {
    jobs = [];
  }
  jobs.forEach(watch); // jobs of an earlier visit: their status again (or "gone" once expired)
  renderList();
}

start();
