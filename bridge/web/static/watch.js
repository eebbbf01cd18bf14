/* The watch page: what the room shows, to look at from a laptop (drag to look round).
 *
 * The show's state says which picture the room shows (`frame`, a version that changes
 * with every new picture, live answers included).  A new version is fetched as a JPEG and
 * handed to pannellum as a new scene loaded at the same yaw, pitch and zoom, so the viewer
 * keeps looking where it was.  Blackout and white-out cover the view with a note; the
 * step's title, the questions' values and the step's content as text are plain HTML. */
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const text = Bridge.text;
  const LOAD_TIMEOUT_MS = 20000;
  let viewer = null;
  let wanted = null; // the frame version the room shows
  let busy = false; // fetching or loading one
  let shown = null; // the version on screen
  let pending = null; // {frame, id, url, resolve} while pannellum loads a scene
  const scenes = {}; // scene id -> its blob URL
  let announced = null;
  let retry = null;

  Bridge.connect({ state: render, status: setStatus });

  function setStatus(kind, message) {
    const el = $("connection");
    el.className = `connection ${kind}`;
    text(el, message);
    document.body.dataset.connection = kind;
  }

  function render(s) {
    document.body.dataset.step = String(s.shown_step);
    document.title = `${s.shown_title} · Bridge — watching the room`;
    text($("show-title"), s.title);
    text($("position"), `Step ${s.shown_step} of ${s.steps}`);
    text($("now"), s.shown_title);
    const cover = $("cover");
    if (s.view === "black") {
      cover.hidden = false;
      cover.className = "pano-cover";
      text(cover, "Blackout: the room is dark");
    } else if (s.view === "white") {
      cover.hidden = false;
      cover.className = "pano-cover white";
      text(cover, "White-out: the room is lit white");
    } else {
      cover.hidden = true;
    }
    document.body.dataset.view = s.view;
    renderParams(s.params || []);
    renderContent(s);
    const line = `Step ${s.shown_step} of ${s.steps}: ${s.shown_title}` +
                 (s.view === "black" ? ". Blackout: the room is dark." : "") +
                 (s.view === "white" ? ". White-out." : "");
    if (line !== announced) {
      if (announced !== null) text($("announce"), line);
      announced = line;
    }
    wanted = s.frame;
    load();
  }

  function renderParams(params) {
    $("questions").hidden = params.length === 0;
    const key = JSON.stringify(params.map((p) => [p.name, p.label, p.live]));
    const list = $("params");
    if (list.dataset.key === key) return;
    list.dataset.key = key;
    const nodes = [];
    for (const p of params) {
      const dt = document.createElement("dt");
      dt.textContent = p.name;
      const dd = document.createElement("dd");
      dd.textContent = p.label + (p.live ? " (asked live)" : "");
      nodes.push(dt, dd);
    }
    list.replaceChildren(...nodes);
  }

  function renderContent(s) {
    const lines = [];
    if (s.shown_text && s.shown_text.length) lines.push(...s.shown_text);
    else {
      lines.push(s.shown_title);
      if (s.shown_notes && s.shown_notes.trim()) lines.push(`Notes: ${s.shown_notes.trim()}`);
    }
    const key = JSON.stringify(lines);
    const box = $("content");
    if (box.dataset.key === key) return;
    box.dataset.key = key;
    box.replaceChildren(...lines.map((line) => {
      const p = document.createElement("p");
      p.textContent = line;
      return p;
    }));
  }

  function note(message) {
    text($("pano-note"), message);
  }

  async function load() {
    if (busy || wanted === null || wanted === shown) return;
    const frame = wanted;
    busy = true;
    let failed = false;
    try {
      const response = await fetch(`/view.jpg?token=${encodeURIComponent(Bridge.token)}&v=${frame}`, { cache: "no-store" });
      if (response.status === 404) {
        note("No 360° view for this step.");
        shown = frame;
        return;
      }
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const blob = await response.blob();
      if (wanted !== frame) return; // the room has moved on: fetch the newer picture instead
      note("");
      await showScene(frame, URL.createObjectURL(blob));
    } catch (e) {
      failed = true;
      note("Could not load the room's view; trying again…");
    } finally {
      busy = false;
      if (wanted !== shown) {
        clearTimeout(retry);
        retry = setTimeout(load, failed ? 1000 : 0);
      }
    }
  }

  function showScene(frame, url) {
    return new Promise((resolve) => {
      const id = `f${frame}`;
      const scene = { type: "equirectangular", panorama: url };
      pending = { frame, id, url, resolve };
      setTimeout(() => { if (pending && pending.id === id) finish(false); }, LOAD_TIMEOUT_MS);
      if (!viewer) {
        viewer = pannellum.viewer("pano", {
          default: { firstScene: id, sceneFadeDuration: 0, autoLoad: true, compass: false, hfov: 100, yaw: 0, pitch: 0,
                     showFullscreenCtrl: true, showZoomCtrl: true },
          scenes: { [id]: scene },
        });
        window.bridgeViewer = viewer; // for a look from the console (and the tests): getYaw(), getPitch()
        viewer.on("load", () => finish(true));
        viewer.on("error", () => finish(false));
      } else {
        viewer.addScene(id, scene);
        viewer.loadScene(id, "same", "same", "same");
      }
    });
  }

  function finish(ok) {
    if (!pending) return;
    const { frame, id, url, resolve } = pending;
    pending = null;
    if (!ok) {
      URL.revokeObjectURL(url);
      note("The room's view could not be shown here.");
      resolve();
      return;
    }
    for (const old of Object.keys(scenes)) {
      if (old !== id && viewer.removeScene(old)) {
        URL.revokeObjectURL(scenes[old]);
        delete scenes[old];
      }
    }
    scenes[id] = url;
    shown = frame;
    const pano = $("pano");
    pano.classList.add("loaded");
    pano.dataset.frame = String(frame);
    // Two animation frames: the new picture has been painted by the second.
    requestAnimationFrame(() => requestAnimationFrame(() => {
      window.bridgeShown = { frame, at: performance.timeOrigin + performance.now() };
      pano.dataset.shown = String(frame);
    }));
    resolve();
  }
})();
