/* The phone remote: the show's state in, the presenter's commands out (through the keys' own
 * entry points in the show, so the keyboard and every remote agree).  Parameters slot in by
 * kind: a choice is a searchable list, a number a slider over its values, a toggle a switch;
 * each says when the current step does not use it.  Focus never falls back to the page: a
 * button that is disabled or hidden while focused hands focus to its neighbour, and a jump
 * from the list brings the new step's title into view. */
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const text = Bridge.text;
  let state = null;
  let stepsKey = null;
  let paramsKey = null;
  let announced = null;
  let stale = false;
  let jumping = null; // the step this page asked the jump list for, until the show is there
  const wasLive = {}; // parameter name -> picked live in the last state

  const link = Bridge.connect({
    state: render,
    status: setStatus,
    error: showError,
    ok: () => showError(""),
  });

  function send(command) {
    showError("");
    link.send(command);
  }

  function showError(message) {
    text($("error"), message || "");
  }

  function setStatus(kind, message) {
    const el = $("connection");
    el.className = `connection ${kind}`;
    text(el, message);
    document.body.dataset.connection = kind;
    stale = kind === "stale";
    const focused = document.activeElement;
    for (const button of document.querySelectorAll("main button, main input, main select")) {
      if (stale) button.disabled = true;
    }
    if (stale && focused && focused.disabled) focusOn(el); // read out, not lost
  }

  // Focus on `target` (made focusable if it is not a control), never on the page itself.
  function focusOn(target) {
    if (!target.matches("button, input, select")) target.setAttribute("tabindex", "-1");
    target.focus({ preventScroll: true });
  }

  // Disable (or hide) `control`; if it had focus, hand it to the first of `others` that can take it.
  function withdraw(control, off, others, how = "disabled") {
    const had = document.activeElement === control;
    control[how] = off;
    if (!off || !had) return;
    const next = others.find((o) => o && !o.disabled && !o.hidden);
    focusOn(next || $("now"));
  }

  $("next").addEventListener("click", () => send({ do: "next" }));
  $("previous").addEventListener("click", () => send({ do: "previous" }));
  $("blackout").addEventListener("click", () => send({ do: "blackout" }));

  function render(s) {
    state = s;
    document.body.dataset.step = String(s.step);
    document.title = `Step ${s.step} of ${s.steps} · Bridge remote`;
    text($("show-title"), s.title);
    text($("position"), `Step ${s.step} of ${s.steps}`);
    text($("now"), s.current);
    renderFlags(s);
    const back = s.blackout || s.whiteout; // a next/previous press first brings the picture back
    const previousOff = stale || (s.step <= 1 && !back);
    const nextOff = stale || (s.step >= s.steps && !back);
    withdraw($("previous"), previousOff, [nextOff ? null : $("next")]);
    withdraw($("next"), nextOff, [previousOff ? null : $("previous")]);
    $("blackout").setAttribute("aria-pressed", s.blackout ? "true" : "false");
    text($("elapsed"), s.elapsed);
    text($("notes"), (s.notes || "").trim() || "(no notes)");
    text($("next-title"), s.next ? `${s.step + 1}. ${s.next}` : "(this is the last step)");
    let status = "";
    if (s.problems && s.problems.length) status = `The room keeps the last good picture: ${s.problems[0]}`;
    else if (s.status && s.status !== "ready") status = s.status;
    text($("status"), status);
    renderSteps(s);
    renderParams(s);
    if (jumping === s.step) { // the jump this page asked for: its title into view, and focus on it
      jumping = null;
      $("position").scrollIntoView({ block: "start" });
      focusOn($("now"));
    }
    const line = `Step ${s.step} of ${s.steps}: ${s.current}` + (s.blackout ? ". Blackout on." : "") +
                 (s.whiteout ? ". White-out on." : "");
    if (line !== announced) {
      if (announced !== null) text($("announce"), line);
      announced = line;
    }
  }

  function renderFlags(s) {
    const flags = [];
    if (s.blackout) flags.push("Blackout: the room is dark");
    if (s.whiteout) flags.push("White-out");
    if (s.frozen) flags.push(`Frozen on step ${s.frozen_at}`);
    const key = flags.join("|");
    const box = $("flags");
    if (box.dataset.key === key) return;
    box.dataset.key = key;
    box.replaceChildren(...flags.map((f) => {
      const span = document.createElement("span");
      span.className = "flag";
      span.textContent = f;
      return span;
    }));
  }

  function renderSteps(s) {
    const list = $("steps");
    if (s.titles.length !== stepsKey) { // built once per number of steps; titles change in place
      stepsKey = s.titles.length;
      list.replaceChildren(...s.titles.map((title, i) => {
        const item = document.createElement("li");
        const button = document.createElement("button");
        button.type = "button";
        button.dataset.step = String(i + 1);
        button.addEventListener("click", () => {
          jumping = i + 1;
          send({ do: "go", step: i + 1 });
        });
        item.appendChild(button);
        return item;
      }));
    }
    list.querySelectorAll("button").forEach((button, i) => text(button, `${i + 1}. ${s.titles[i]}`));
    for (const button of list.querySelectorAll("button")) {
      const current = Number(button.dataset.step) === s.step;
      if (current) button.setAttribute("aria-current", "step");
      else button.removeAttribute("aria-current");
      button.disabled = stale;
    }
  }

  // -- parameters ----------------------------------------------------------------------
  function renderParams(s) {
    const params = s.params || [];
    $("questions").hidden = params.length === 0;
    const key = JSON.stringify(params.map((p) => [p.name, p.kind, p.values, p.labels]));
    const box = $("params");
    if (key !== paramsKey) {
      paramsKey = key;
      box.replaceChildren(...params.map((p, i) => build(p, i)));
    }
    params.forEach((p, i) => update(p, i));
  }

  function el(tag, attrs = {}, content = null) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (content !== null) node.textContent = content;
    return node;
  }

  function currentParam(name) {
    return state && state.params.find((p) => p.name === name);
  }

  function build(p, i) {
    const id = `p${i}`;
    const box = el("div", { class: "param", role: "group", "aria-labelledby": `${id}-name`, "data-name": p.name });
    box.appendChild(el("p", { class: "label", id: `${id}-name` }, p.name));
    box.appendChild(el("p", { class: "now", id: `${id}-now` }));
    box.appendChild(el("p", { class: "use", id: `${id}-use` }));
    if (p.kind === "toggle") {
      const row = el("div", { class: "switch" });
      const input = el("input", { type: "checkbox", role: "switch", id: `${id}-input` });
      const label = el("label", { for: `${id}-input` });
      input.addEventListener("change", () => {
        const now = currentParam(p.name);
        const value = now.values.find((v) => v === input.checked);
        if (value !== undefined) send({ do: "set", name: p.name, value });
      });
      row.append(input, label);
      box.appendChild(row);
    } else if (p.kind === "number") {
      box.appendChild(el("label", { for: `${id}-input`, class: "visually-hidden" }, `${p.name}: pick a value`));
      const input = el("input", { type: "range", id: `${id}-input`, min: "0", max: String(p.values.length - 1), step: "1" });
      input.addEventListener("input", () => {
        const now = currentParam(p.name);
        const label = now.labels[Number(input.value)];
        input.setAttribute("aria-valuetext", label);
        text(box.querySelector(".now"), `${label} (let go to ask the room)`);
      });
      input.addEventListener("change", () => {
        const now = currentParam(p.name);
        send({ do: "set", name: p.name, value: now.values[Number(input.value)] });
      });
      input.addEventListener("blur", () => state && update(currentParam(p.name), i));
      box.appendChild(input);
    } else {
      box.appendChild(el("label", { for: `${id}-search` }, `Search ${p.name}`));
      const search = el("input", { type: "search", id: `${id}-search`, autocomplete: "off", spellcheck: "false" });
      box.appendChild(search);
      box.appendChild(el("label", { for: `${id}-input`, class: "visually-hidden" }, `${p.name}: pick a value`));
      const select = el("select", { id: `${id}-input`, size: String(Math.min(6, Math.max(2, p.values.length))) });
      search.addEventListener("input", () => fill(select, currentParam(p.name), search.value));
      select.addEventListener("change", () => {
        const now = currentParam(p.name);
        const k = Number(select.value);
        if (Number.isInteger(k) && k >= 0 && k < now.values.length) send({ do: "set", name: p.name, value: now.values[k] });
      });
      select.addEventListener("blur", () => state && update(currentParam(p.name), i));
      box.appendChild(select);
      fill(select, p, "");
    }
    const reset = el("button", { type: "button", class: "reset", id: `${id}-reset` }, "Back to the step's value");
    reset.addEventListener("click", () => {
      clearSearch(i);
      send({ do: "reset", name: p.name });
    });
    box.appendChild(reset);
    return box;
  }

  function fill(select, p, query) {
    const q = query.trim().toLowerCase();
    const options = [];
    p.labels.forEach((label, k) => {
      if (!q || String(label).toLowerCase().includes(q)) options.push(el("option", { value: String(k) }, label));
    });
    if (!options.length) {
      const none = el("option", { value: "", disabled: "" }, "(nothing matches)");
      options.push(none);
    }
    select.replaceChildren(...options);
    const k = p.values.findIndex((v) => v === p.value);
    select.value = String(k);
  }

  // A search that hid the value the room shows is cleared: the whole list, with it picked.
  function clearSearch(i) {
    const search = $(`p${i}-search`);
    if (!search || !search.value) return;
    search.value = "";
    const p = state && state.params[i];
    if (p) fill($(`p${i}-input`), p, "");
  }

  function stepList(numbers) {
    const all = numbers.map(String);
    if (all.length <= 1) return `step ${all.join("")}`;
    return `steps ${all.slice(0, -1).join(", ")} and ${all[all.length - 1]}`;
  }

  function update(p, i) {
    const id = `p${i}`;
    const input = $(`${id}-input`);
    if (!input) return;
    if (wasLive[p.name] && !p.live) clearSearch(i); // back to the step's value, from here or elsewhere
    wasLive[p.name] = p.live;
    const k = p.values.findIndex((v) => v === p.value);
    const focused = document.activeElement === input;
    text($(`${id}-now`), `Now: ${p.label}` + (p.live ? " (picked live)" : " (the step's value)"));
    const used = p.used !== false;
    text($(`${id}-use`), used ? "" : (p.used_on && p.used_on.length
      ? `Step ${state.step} does not use ${p.name}: it changes ${stepList(p.used_on)}.`
      : `No step uses ${p.name}.`));
    if (p.kind === "toggle") {
      input.checked = p.value === true;
      input.disabled = stale;
      text(document.querySelector(`label[for="${id}-input"]`), p.label);
    } else if (p.kind === "number") {
      if (!focused) {
        input.value = String(Math.max(0, k));
        input.setAttribute("aria-valuetext", p.label);
      }
      input.disabled = stale;
    } else if (!focused && k >= 0) {
      input.value = String(k);
      input.disabled = stale;
    }
    withdraw($(`${id}-reset`), !p.live, [input], "hidden");
  }
})();
