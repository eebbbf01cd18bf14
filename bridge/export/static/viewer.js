/* Bridge's exported briefing: one step at a time, its 360° view in pannellum.
 *
 * Each step's view is a JPEG held as a data: URI in steps/step-NN.js, loaded with a <script>
 * when the step is shown (and the next one ahead of time): opened from disk (file://), a
 * browser treats image files as another origin and WebGL may not draw them; a data: URI it
 * will.  Keys: → or Page Down next step, ← or Page Up previous, Home / End first / last.
 * While the view has focus the arrow keys look around it (pannellum's own keys); Page Up and
 * Page Down still change step.
 */
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.remove("no-js");
  root.classList.add("js");

  var steps = Array.prototype.slice.call(document.querySelectorAll("section.step"));
  var count = steps.length;
  var box = document.getElementById("viewer");
  var status = document.getElementById("status");
  var prev = document.getElementById("prev");
  var next = document.getElementById("next");
  var links = Array.prototype.slice.call(document.querySelectorAll("nav.contents a[data-step]"));
  var error = document.getElementById("viewer-error");
  var views = window.BRIDGE_VIEWS = window.BRIDGE_VIEWS || {};
  var waiting = {};
  var current = -1;
  var viewer = null;
  var look = { yaw: 0, pitch: 0, hfov: 100 };

  function fail(message) {
    error.textContent = message;
    error.hidden = false;
  }

  function load(i, done) {
    if (views[i]) { if (done) { done(); } return; }
    if (waiting[i]) { if (done) { waiting[i].push(done); } return; }
    waiting[i] = done ? [done] : [];
    var script = document.createElement("script");
    script.src = steps[i].getAttribute("data-view");
    script.onload = function () {
      var callbacks = waiting[i] || [];
      delete waiting[i];
      callbacks.forEach(function (f) { f(); });
    };
    script.onerror = function () {
      delete waiting[i];
      fail("The 360° view of step " + (i + 1) + " could not be loaded (" + script.src +
           "); the step's content is below as text.");
    };
    document.body.appendChild(script);
  }

  function draw(i) {
    if (typeof window.pannellum === "undefined") {
      fail("The 360° viewer (pannellum/pannellum.js) could not be loaded; every step's content is below as text.");
      return;
    }
    if (viewer) {
      look = { yaw: viewer.getYaw(), pitch: viewer.getPitch(), hfov: viewer.getHfov() };
      viewer.destroy();
    }
    box.removeAttribute("data-loaded-step");
    viewer = window.pannellum.viewer(box, {
      type: "equirectangular",
      panorama: views[i],
      autoLoad: true,
      yaw: look.yaw,
      pitch: look.pitch,
      hfov: look.hfov,
      minHfov: 30,
      maxHfov: 120,
      mouseZoom: "fullscreenonly",
      showFullscreenCtrl: true,
      showZoomCtrl: true,
      compass: false,
      backgroundColor: [0, 0, 0]
    });
    viewer.on("load", function () {
      if (current === i) { box.setAttribute("data-loaded-step", String(i + 1)); }
    });
    viewer.on("error", function (message) {
      fail("The 360° view could not be shown (" + message + "); the step's content is below as text.");
    });
  }

  function show(i) {
    i = Math.max(0, Math.min(count - 1, i));
    if (i === current) { return; }
    current = i;
    error.hidden = true;
    steps.forEach(function (section, k) { section.hidden = k !== i; });
    links.forEach(function (link, k) {
      if (k === i) { link.setAttribute("aria-current", "step"); } else { link.removeAttribute("aria-current"); }
    });
    var title = steps[i].getAttribute("data-title");
    status.textContent = "Step " + (i + 1) + " of " + count + ": " + title;
    document.title = title + " — " + root.getAttribute("data-briefing");
    prev.setAttribute("aria-disabled", i === 0 ? "true" : "false");
    next.setAttribute("aria-disabled", i === count - 1 ? "true" : "false");
    box.setAttribute("aria-label", "360° view of step " + (i + 1) + ": " + title);
    if (window.history && window.history.replaceState) {
      try { window.history.replaceState(null, "", "#step-" + (i + 1)); } catch (e) { /* some file:// set-ups refuse */ }
    }
    load(i, function () { if (current === i) { draw(i); } });
    if (i + 1 < count) { load(i + 1); }
  }

  function fromHash() {
    var m = /^#step-(\d+)$/.exec(window.location.hash);
    return m ? parseInt(m[1], 10) - 1 : 0;
  }

  prev.addEventListener("click", function () { show(current - 1); });
  next.addEventListener("click", function () { show(current + 1); });
  window.addEventListener("hashchange", function () { show(fromHash()); });
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) { return; }
    var inView = box.contains(target);
    var key = event.key;
    if (key === "PageDown" || (key === "ArrowRight" && !inView)) {
      show(current + 1);
    } else if (key === "PageUp" || (key === "ArrowLeft" && !inView)) {
      show(current - 1);
    } else if (key === "Home") {
      show(0);
    } else if (key === "End") {
      show(count - 1);
    } else {
      return;
    }
    event.preventDefault();
  });
  show(fromHash());
}());
