/* The watch page: what the room shows, to look at from a laptop (drag to look round).
 *
 * The show's state says which picture the room shows (`frame`, a version that changes
 * with every new picture, live answers included) and where the step's content is (`look`:
 * its highlighted panels, or the middle of what it shows).  A new version is fetched as a
 * JPEG and handed to pannellum as a new scene: a new step turns the view to its content,
 * unless the viewer has looked round during the step (drag, touch or arrow keys), when it
 * keeps their direction; a new picture of the same step keeps the direction too.  The
 * viewer's own buttons (zoom, full screen) are made keyboard buttons.  Blackout and
 * white-out cover the view with a note; the step's title, the questions' values and the
 * step's content as text are plain HTML. */
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
  const framed = {}; // frame version -> {step, look}: which step it shows, where its content is
  let sceneStep = null; // the step whose picture is on screen
  let lookedRound = false; // the viewer has turned the view during this step
  const LOOK_KEYS = new Set(["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "a", "d", "w", "s", "A", "D", "W", "S"]);
  const CONTROLS = [[".pnlm-zoom-in", "Zoom in"], [".pnlm-zoom-out", "Zoom out"],
                    [".pnlm-fullscreen-toggle-button", "Full screen"], [".pnlm-orientation-button", "Follow this device's turning"]];

  const pano = $("pano");
  pano.addEventListener("pointerdown", (e) => { if (!e.target.closest(".pnlm-control")) lookedRound = true; }, true);
  pano.addEventListener("touchstart", (e) => { if (!e.target.closest(".pnlm-control")) lookedRound = true; }, true);
  pano.addEventListener("keydown", (e) => { if (LOOK_KEYS.has(e.key)) lookedRound = true; }, true);

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
    text($("position"), `Step ${s.shown_step} of ${s.steps}` + (s.data_as_of ? ` · data as of ${s.data_as_of}` : ""));
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
    framed[s.frame] = { step: s.shown_step, look: s.look || null };
    wanted = s.frame;
    load();
  }

  function renderParams(params) {
    $("questions").hidden = params.length === 0;
    const key = JSON.stringify(params.map((p) => [p.name, p.label, p.live, p.shown_used]));
    const list = $("params");
    if (list.dataset.key === key) return;
    list.dataset.key = key;
    const nodes = [];
    for (const p of params) {
      const dt = document.createElement("dt");
      dt.textContent = p.name;
      const dd = document.createElement("dd");
      dd.textContent = p.label + (p.live ? " (asked live)" : "") + (p.shown_used === false ? "; this step does not use it" : "");
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
      const { step, look } = framed[frame] || { step: null, look: null };
      pending = { frame, id, url, resolve, step };
      setTimeout(() => { if (pending && pending.id === id) finish(false); }, LOAD_TIMEOUT_MS);
      if (!viewer) {
        viewer = pannellum.viewer("pano", {
          default: { firstScene: id, sceneFadeDuration: 0, autoLoad: true, compass: false, hfov: 100,
                     yaw: look ? look[0] : 0, pitch: look ? look[1] : 0, showFullscreenCtrl: true, showZoomCtrl: true },
          scenes: { [id]: scene },
        });
        window.bridgeViewer = viewer; // for a look from the console (and the tests): getYaw(), getPitch()
        viewer.on("load", () => finish(true));
        viewer.on("error", () => finish(false));
        viewer.on("fullscreenchange", (on) => {
          const button = pano.querySelector(".pnlm-fullscreen-toggle-button");
          if (button) button.setAttribute("aria-pressed", on ? "true" : "false");
        });
        keyboardControls();
      } else {
        viewer.addScene(id, scene);
        const turn = look && step !== sceneStep && !lookedRound; // a new step: face its content
        viewer.loadScene(id, turn ? look[1] : "same", turn ? look[0] : "same", "same");
      }
    });
  }

  // pannellum's zoom and full-screen controls are plain divs: make them buttons a keyboard reaches.
  function keyboardControls() {
    for (const [selector, label] of CONTROLS) {
      const control = pano.querySelector(selector);
      if (!control) continue;
      control.setAttribute("role", "button");
      control.setAttribute("tabindex", "0");
      control.setAttribute("aria-label", label);
      if (selector.includes("fullscreen")) control.setAttribute("aria-pressed", "false");
      control.addEventListener("keydown", (e) => {
        if (e.key !== "Enter" && e.key !== " ") return;
        e.preventDefault();
        e.stopPropagation();
        control.click();
      });
    }
  }

  function finish(ok) {
    if (!pending) return;
    const { frame, id, url, resolve, step } = pending;
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
    if (step !== sceneStep) lookedRound = false; // each step starts facing its content
    sceneStep = step;
    for (const older of Object.keys(framed)) if (Number(older) < frame) delete framed[older];
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
