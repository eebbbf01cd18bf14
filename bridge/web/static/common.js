/* Shared by the remote and the watch page: the show's WebSocket, kept open.
 *
 * The token comes from the page's own address (?token=…).  A dropped network or a
 * stopped server is retried with exponential backoff (0.5 s doubling to 8 s, with jitter);
 * the page is told at once when the phone comes back online or is looked at again.  A
 * server that no longer knows the token (the show was restarted: new links were printed)
 * closes with code 4401, and the page says so plainly instead of retrying for ever.  A show
 * that has not answered for LOST_MS is said to be gone from this address (the page keeps
 * trying): a show started again with port 0 takes the same port, but one started with
 * another --port is only found through its new link.
 */
"use strict";

const Bridge = (() => {
  const token = new URLSearchParams(window.location.search).get("token") || "";
  const CLOSE_BAD_TOKEN = 4401;
  const SILENT_MS = 6000; // the show pushes its clock every second: silence means a dead link
  const LOST_MS = 10000; // after this long without the show, the page says where to look

  function connect(handlers) {
    let socket = null;
    let delay = 500;
    let timer = null;
    let watchdog = null;
    let stale = false;
    let heard = 0;
    let lostAt = null; // when the link went down (null while connected)

    function status(kind, text) {
      if (handlers.status) handlers.status(kind, text);
    }

    function schedule() {
      if (stale || timer) return;
      const wait = delay * (0.8 + Math.random() * 0.4);
      const seconds = Math.max(1, Math.round(wait / 1000));
      if (lostAt === null) lostAt = Date.now();
      if (Date.now() - lostAt >= LOST_MS) {
        status("lost", "The show is not answering at this address. If it was stopped and started again " +
                               "with a new link, open that link from the presenter's screen; this page keeps " +
                               `trying (again in ${seconds} s)…`);
      } else status("reconnecting", `Connection lost; trying again in ${seconds} s…`);
      timer = setTimeout(() => { timer = null; open(); }, wait);
      delay = Math.min(delay * 2, 8000);
    }

    function open() {
      if (stale) return;
      if (socket && socket.readyState <= 1) return;
      const scheme = window.location.protocol === "https:" ? "wss" : "ws";
      let ws;
      try {
        ws = new WebSocket(`${scheme}://${window.location.host}/ws?token=${encodeURIComponent(token)}`);
      } catch (e) {
        schedule();
        return;
      }
      socket = ws;
      ws.onopen = () => {
        delay = 500;
        lostAt = null;
        heard = Date.now();
        status("connected", "Connected to the show");
      };
      ws.onmessage = (event) => {
        heard = Date.now();
        let message;
        try { message = JSON.parse(event.data); } catch (e) { return; }
        if (message.type === "state" && handlers.state) handlers.state(message.state);
        else if (message.type === "error") {
          if (message.code === "token") {
            stale = true;
            status("stale", message.message);
          } else if (handlers.error) handlers.error(message.message);
        } else if (message.type === "ok" && handlers.ok) handlers.ok(message.do);
      };
      ws.onclose = (event) => {
        if (socket === ws) socket = null;
        if (event.code === CLOSE_BAD_TOKEN) {
          stale = true;
          status("stale", "This link is from an earlier show: the show was restarted and printed new links. " +
                          "Open the new link from the presenter's screen.");
          return;
        }
        schedule();
      };
      ws.onerror = () => { /* onclose follows and retries */ };
    }

    function now() {
      if (timer) { clearTimeout(timer); timer = null; }
      delay = 500;
      open();
    }

    window.addEventListener("online", now);
    document.addEventListener("visibilitychange", () => { if (!document.hidden) now(); });
    watchdog = setInterval(() => {
      if (socket && socket.readyState === 1 && Date.now() - heard > SILENT_MS) socket.close();
    }, 1000);
    open();

    return {
      send(command) {
        if (!socket || socket.readyState !== 1) {
          if (handlers.error) handlers.error("Not connected to the show: the command was not sent.");
          return false;
        }
        socket.send(JSON.stringify(command));
        return true;
      },
      get connected() { return !!socket && socket.readyState === 1; },
    };
  }

  function text(el, value) {
    if (el && el.textContent !== value) el.textContent = value;
  }

  return { token, connect, text };
})();
