/* Porting assistant loader: a launcher button; the chat loads on click. docs/embedding.md */
(() => {
  "use strict";
  const VERSION = 1;
  const script = document.currentScript;
  if (!script) return;

  const data = script.dataset;
  let origin;
  try {
    origin = new URL(data.origin || script.src, location.href).origin;
  } catch (error) {
    return;
  }

  // One global API; a host's stub may have queued calls in it before we arrived.
  const existing = window.PortingAssistant;
  const api = existing && existing.widgets ? existing : { widgets: [] };
  window.PortingAssistant = api;
  const name = (data.instance || "w" + (api.widgets.length + 1)).replace(/[^\w-]/g, "");
  const listeners = {};
  let opened = false;
  let chatReady = false;
  let readyFired = false;
  let frame;

  const host = document.createElement("div");
  host.setAttribute("data-porting-assistant", name);
  const root = host.attachShadow({ mode: "open" });
  const side = data.position === "left" ? "left" : "right";
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(`
:host{all:initial;--b:#1f5fbf;--o:#fff;color-scheme:light dark}
button{position:fixed;bottom:16px;${side}:16px;z-index:2147483000;min-height:48px;padding:0 20px;border:2px solid transparent;border-radius:24px;background:var(--b);color:var(--o);font:600 16px/1.2 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;cursor:pointer;box-shadow:0 2px 12px rgba(0,0,0,.25)}
button:focus-visible{outline:3px solid var(--b);outline-offset:3px;border-color:var(--o)}
.p{position:fixed;bottom:80px;${side}:16px;z-index:2147483000;width:min(400px,calc(100vw - 32px));height:min(640px,calc(100vh - 104px));border-radius:12px;overflow:hidden;background:Canvas;box-shadow:0 8px 32px rgba(0,0,0,.3)}
.p[hidden]{display:none}
iframe{display:block;width:100%;height:100%;border:0}
@media (max-width:480px){.p{inset:auto 0 auto 0;top:var(--t,0);width:100%;height:var(--h,100%);border-radius:0}.open button{display:none}}`);
  root.adoptedStyleSheets = [sheet];

  const wrap = document.createElement("div");
  const launcher = document.createElement("button");
  launcher.type = "button";
  launcher.setAttribute("aria-expanded", "false");
  const label = document.createElement("span");
  label.textContent = "Porting help";
  launcher.append(label);
  const panel = document.createElement("div");
  panel.className = "p";
  panel.hidden = true;
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", "Porting help chat");
  wrap.append(panel, launcher);
  root.append(wrap);

  // A failing host handler is reported but doesn't stop the others.
  const fire = (event, detail) =>
    (listeners[event] || []).forEach((fn) => setTimeout(fn, 0, detail || {}));

  const post = (type, extra) =>
    frame && frame.contentWindow.postMessage({ type, version: VERSION, ...extra }, origin);

  // Where browsers block the chat frame's own storage (third-party storage off), the
  // chat keeps its conversation here instead, under this widget's name.
  const key = "porting-assistant:" + name;
  const stored = (value) => {
    try {
      if (value === undefined) return JSON.parse(localStorage.getItem(key));
      if (value) localStorage.setItem(key, JSON.stringify(value));
      else localStorage.removeItem(key);
    } catch (error) {
      return null;
    }
  };

  function open() {
    if (opened) return;
    opened = true;
    if (!frame) {
      frame = document.createElement("iframe");
      frame.title = "Porting help chat";
      const query = new URLSearchParams({ w: name, parent: location.origin });
      if (data.brandColor) query.set("color", data.brandColor);
      frame.src = origin + "/chat?" + query;
      panel.append(frame);
    }
    panel.hidden = false;
    wrap.className = "open";
    launcher.setAttribute("aria-expanded", "true");
    label.textContent = "Close chat";
    fit();
    frame.focus();
    if (chatReady) post("open");
    fire("opened");
  }

  function close() {
    if (!opened) return;
    opened = false;
    panel.hidden = true;
    wrap.className = "";
    launcher.setAttribute("aria-expanded", "false");
    label.textContent = "Porting help";
    launcher.focus();
    fire("closed");
  }

  // On a phone the panel covers the visual viewport, so it stays above the keyboard.
  const viewport = window.visualViewport;
  function fit() {
    if (!viewport || !opened) return;
    host.style.setProperty("--t", viewport.offsetTop + "px");
    host.style.setProperty("--h", viewport.height + "px");
  }
  if (viewport) {
    viewport.addEventListener("resize", fit);
    viewport.addEventListener("scroll", fit);
  }

  launcher.addEventListener("click", () => (opened ? close() : open()));
  root.addEventListener("keydown", (event) => {
    if (event.key === "Escape") close();
  });
  window.addEventListener("message", (event) => {
    const message = event.data;
    // Only our own frame, from the chat's exact origin, speaking our schema.
    if (!frame || event.source !== frame.contentWindow || event.origin !== origin) return;
    if (!message || message.version !== VERSION) return;
    if (message.type === "ready") {
      chatReady = true;
      if (opened) post("open");
    } else if (message.type === "close") {
      close();
    } else if (message.type === "load") {
      post("stored", { conversation: stored() });
    } else if (message.type === "store") {
      stored(message.conversation || null);
    } else if (message.type === "submitted" && typeof message.reference === "string") {
      fire("submitted", { reference: message.reference });
    }
  });

  const widget = {
    name,
    open,
    close,
    on(event, fn) {
      if (typeof fn !== "function") return widget;
      (listeners[event] = listeners[event] || []).push(fn);
      if (event === "ready" && readyFired) fn({});
      return widget;
    },
  };
  api.widgets.push(widget);
  if (api.widgets.length === 1) {
    api.open = open;
    api.close = close;
    api.on = widget.on;
    // Calls a host queued with the stub, in the order it made them.
    for (const [method, ...args] of existing && existing.q ? existing.q : []) {
      if (typeof widget[method] === "function") widget[method](...args);
    }
    document.addEventListener("click", (event) => {
      const trigger = event.target.closest && event.target.closest("[data-porting-assistant-open]");
      if (trigger) {
        event.preventDefault();
        open();
      }
    });
  }

  function mount() {
    document.body.append(host);
    if (data.brandColor && CSS.supports("color", data.brandColor)) {
      host.style.setProperty("--b", data.brandColor);
      host.style.setProperty("--o", textOn(getComputedStyle(launcher).backgroundColor));
    }
    readyFired = true;
    fire("ready");
    if (data.open === "true" || data.open === "") open();
  }

  // Black or white text, whichever reads better on the brand colour.
  function textOn(rgb) {
    const [r, g, b] = rgb.match(/[\d.]+/g);
    return r * 0.299 + g * 0.587 + b * 0.114 > 150 ? "#111" : "#fff";
  }

  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
