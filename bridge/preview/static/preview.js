/* The preview page's own part (the 360° view is the watch page's viewer, /static/watch.js).
 *
 * The preview's state comes over the same WebSocket as the show's (Bridge.connect): on each new
 * picture (`frame`) the flat frame and the projectors' images are fetched again; the overlay of the
 * room (lit band, projector areas, blend seams) is fetched once and the panels' boxes are drawn over
 * it from the state, a panel with a layout fault in red.  Choosing a panel shows its lines of YAML;
 * the step and parameter pickers send the remote's own commands (go, set, reset).  When the scene
 * cannot be drawn as saved, its errors are listed with file:line and the last good picture stays. */
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const text = Bridge.text;
  const SVG = "http://www.w3.org/2000/svg";
  const token = encodeURIComponent(Bridge.token);
  let state = null;
  let room = null;
  let selected = null;
  let flatWanted = null;
  let flatBusy = false;
  let pickersKey = null;
  let savedAt = null;

  const link = Bridge.connect({
    state: render,
    status: (kind) => { document.body.dataset.link = kind; $("live").hidden = kind !== "connected"; },
    error: (message) => text($("updated"), message),
  });

  fetch(`/preview/overlay.json?token=${token}`, { cache: "no-store" })
    .then((r) => (r.ok ? r.json() : null))
    .then((o) => { room = o; crop(); drawOverlay(); })
    .catch(() => {});

  $("show-overlay").addEventListener("change", (e) => { $("overlay").style.display = e.target.checked ? "" : "none"; });
  $("step-picker").addEventListener("change", (e) => link.send({ do: "go", step: Number(e.target.value) }));

  function render(s) {
    state = s;
    const p = s.preview || {};
    document.body.dataset.frame = String(s.frame);
    requestAnimationFrame(() => { document.title = `${s.shown_title || s.title} · Bridge preview`; }); // after watch.js's own
    document.body.dataset.errors = String((p.errors || []).length);
    renderPickers(s);
    renderErrors(p.errors || []);
    renderProblems(p.problems || []);
    renderPanelList(p.panels || []);
    drawOverlay();
    if (selected) showPanel(selected, false);
    if (p.ready) {
      text($("updated"), p.how ? `Last update: ${p.how} in ${p.ms} ms` : "");
      flatWanted = s.frame;
      loadFlat();
      loadRoom(p.rooms || 0, p.rooms_version);
    }
  }

  function option(value, label, chosen) {
    const o = document.createElement("option");
    o.value = String(value);
    o.textContent = label;
    if (chosen) o.selected = true;
    return o;
  }

  function renderPickers(s) {
    const key = JSON.stringify([s.titles, s.shown_step, (s.params || []).map((q) => [q.name, q.values, q.value])]);
    if (key === pickersKey) return;
    pickersKey = key;
    $("step-picker").replaceChildren(...(s.titles || []).map((t, k) => option(k + 1, `${k + 1}. ${t}`, k + 1 === s.shown_step)));
    const params = (s.params || []).map((q) => {
      const label = document.createElement("label");
      label.append(`${q.name} `);
      const select = document.createElement("select");
      select.dataset.param = q.name;
      select.append(...q.values.map((v, k) => option(k, q.labels[k], JSON.stringify(v) === JSON.stringify(q.value))));
      select.addEventListener("change", () => link.send({ do: "set", name: q.name, value: q.values[Number(select.value)] }));
      label.append(select);
      return label;
    });
    $("param-pickers").replaceChildren(...params);
  }

  function where(e) {
    return `${e.file ? e.file.split("/").pop() : ""}${e.line ? `:${e.line}` : ""}${e.key ? ` ${e.key}` : ""}`;
  }

  function renderErrors(errors) {
    $("errors").hidden = errors.length === 0;
    $("error-list").replaceChildren(...errors.map((e) => {
      const li = document.createElement("li");
      li.textContent = `${where(e)}: ${e.message}`;
      return li;
    }));
  }

  function renderProblems(problems) {
    const list = $("problems");
    if (!problems.length) {
      const li = document.createElement("li");
      li.textContent = "No layout faults or warnings in this step.";
      list.replaceChildren(li);
      return;
    }
    list.replaceChildren(...problems.map((e) => {
      const li = document.createElement("li");
      li.className = e.kind;
      const at = document.createElement("span");
      at.className = "where";
      at.textContent = `${e.kind} · ${where(e)}: `;
      li.append(at, e.message);
      if (e.panel) {
        const b = document.createElement("button");
        b.type = "button";
        b.textContent = `show ${e.panel}`;
        b.addEventListener("click", () => showPanel(e.panel, true));
        li.append(" ", b);
      }
      return li;
    }));
  }

  function renderPanelList(panels) {
    $("panel-list").replaceChildren(...panels.filter((p) => p.shown).map((p) => {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = p.id;
      b.className = p.fault ? "fault" : p.warned ? "warned" : "";
      b.setAttribute("aria-pressed", p.id === selected ? "true" : "false");
      b.addEventListener("click", () => showPanel(p.id, true));
      return b;
    }));
  }

  function el(name, attrs, parent) {
    const node = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
    if (parent) parent.append(node);
    return node;
  }

  const points = (shape) => shape.map(([x, y]) => `${x},${y}`).join(" ");

  // Show the part of the frame round the lit band (10° above and below it): panels are read there.
  function crop() {
    const ys = room.band.flat().map((q) => q[1]);
    if (!ys.length) return;
    const y0 = Math.max(0, Math.min(...ys) - 10);
    const y1 = Math.min(180, Math.max(...ys) + 10);
    const tall = y1 - y0;
    $("flat-wrap").style.aspectRatio = `${360 / tall}`;
    const img = $("flat");
    img.style.height = `${(180 / tall) * 100}%`;
    img.style.top = `${(-y0 / tall) * 100}%`;
    $("overlay").setAttribute("viewBox", `0 ${y0} 360 ${tall}`);
  }

  function drawOverlay() {
    const svg = $("overlay");
    const nodes = [];
    if (room) {
      for (const band of room.band) nodes.push(el("polygon", { class: "band", points: points(band) }));
      for (const seam of room.seams) {
        for (const shape of seam.shapes) {
          const poly = el("polygon", { class: "seam", points: points(shape) });
          el("title", {}, poly).textContent = `blend seam: ${seam.what}`;
          nodes.push(poly);
        }
      }
      for (const p of room.projectors) {
        for (const shape of p.shapes) {
          nodes.push(el("polygon", { class: "proj", points: points(shape) }));
          const top = Math.min(...shape.map((q) => q[1]));
          const xs = shape.map((q) => q[0]);
          const label = el("text", { class: "proj-label", x: (Math.min(...xs) + Math.max(...xs)) / 2, y: top - 1, "text-anchor": "middle" });
          label.textContent = `${p.number} · ${p.name}`;
          nodes.push(label);
        }
      }
    }
    const panels = (state && state.preview && state.preview.panels) || [];
    for (const p of panels) {
      if (!p.shown) continue;
      for (const shape of p.boxes) {
        const cls = `panel${p.fault ? " fault" : p.warned ? " warned" : ""}${p.hidden ? " off" : ""}${p.id === selected ? " selected" : ""}`;
        const poly = el("polygon", { class: cls, points: points(shape), tabindex: 0, role: "button",
                                     "data-panel": p.id, "aria-label": `panel ${p.id}${p.fault ? ", with a layout fault" : p.warned ? ", with a warning" : ""}` });
        poly.addEventListener("click", () => showPanel(p.id, true));
        poly.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); showPanel(p.id, true); } });
        nodes.push(poly);
        const label = el("text", { class: `panel-label${p.fault ? " fault" : p.warned ? " warned" : ""}`, x: shape[0][0], y: shape[0][1] - 0.8 });
        label.textContent = p.id;
        nodes.push(label);
      }
    }
    svg.replaceChildren(...nodes);
  }

  function showPanel(id, chosen) {
    const panels = (state && state.preview && state.preview.panels) || [];
    const p = panels.find((q) => q.id === id);
    if (!p) return;
    if (chosen && selected !== id) {
      selected = id;
      drawOverlay();
      renderPanelList(panels);
    }
    const where = p.lines ? `${p.file.split("/").pop()}:${p.lines[0]}–${p.lines[1]}` : "";
    text($("panel-heading"), `Panel ${p.id} (${p.type}) · ${where}`);
    const lines = p.yaml.split("\n").map((line, k) => `${String(p.lines ? p.lines[0] + k : k + 1).padStart(4)}  ${line}`);
    text($("yaml"), lines.join("\n"));
  }

  function loadFlat() {
    if (flatBusy || flatWanted === null) return;
    const frame = flatWanted;
    const img = $("flat");
    if (img.dataset.shown === String(frame)) return;
    flatBusy = true;
    const next = new Image();
    next.onload = () => {
      img.src = next.src;
      requestAnimationFrame(() => requestAnimationFrame(() => {
        img.dataset.shown = String(frame);
        window.bridgeFlatShown = { frame, at: performance.timeOrigin + performance.now() };
        flatBusy = false;
        if (flatWanted !== frame) loadFlat();
      }));
    };
    next.onerror = () => { flatBusy = false; setTimeout(loadFlat, 500); };
    next.src = `/view.jpg?token=${token}&v=${frame}`;
  }

  function loadRoom(count, version) {
    const box = $("room-images");
    if (box.children.length !== count) {
      box.replaceChildren(...Array.from({ length: count }, (_, k) => {
        const fig = document.createElement("figure");
        const img = document.createElement("img");
        img.alt = `Projector ${k + 1}'s image`;
        const cap = document.createElement("figcaption");
        cap.textContent = room && room.projectors[k] ? `${room.projectors[k].number} · ${room.projectors[k].name}` : `projector ${k + 1}`;
        fig.append(img, cap);
        return fig;
      }));
    }
    Array.from(box.querySelectorAll("img")).forEach((img, k) => {
      if (img.dataset.version !== String(version)) {
        img.dataset.version = String(version);
        img.src = `/preview/room/${k}?token=${token}&v=${version}`;
      }
    });
  }
  window.bridgePreview = { get state() { return state; }, get savedAt() { return savedAt; } };
})();
