/* The chat page: talks to /api/conversations, renders messages, quick replies,
   form cards and uploads, and keeps the conversation across reloads. */
(() => {
  "use strict";
  const VERSION = 1;
  const LOA_STATES = ["documents", "csr", "review", "sign", "submitted"];
  const LINK_MAX_AGE = 240e3; // the server signs LOA links for 300 s
  const KIND_LABELS = {
    bill: "Bill or statement",
    google_voice_screenshot: "Google Voice settings screenshot",
    receipt: "Purchase receipt",
    portal_screenshot: "Account portal screenshot",
    csr: "Customer Service Record (CSR)",
    number_list: "List of numbers (CSV or text)",
  };
  const AUTOCOMPLETE = {
    business_name: "organization",
    name_on_bill: "organization",
    authorized_name: "name",
    authorized_title: "organization-title",
    signature_name: "name",
    service_street: "address-line1",
    service_unit: "address-line2",
    service_city: "address-level2",
    service_state: "address-level1",
    service_zip: "postal-code",
    contact_email: "email",
    contact_phone: "tel",
    account_number: "off",
    pin: "off",
  };
  // Never echoed, never kept in a draft: a reloaded card asks for them again.
  const SECRET = ["account_number", "pin"];

  const $ = (id) => document.getElementById(id);
  const body = document.body;
  const log = $("log");
  const controls = $("controls");
  const scroller = $("scroller");
  const composer = $("composer");
  const textbox = $("text");
  const alertBox = $("alert");
  const typing = $("typing");
  const loaBox = $("loa");
  const loaLink = $("loa-link");
  const brand = body.dataset.brand || "Assistant";
  const params = new URLSearchParams(location.search);
  const widgetName = (params.get("w") || "page").replace(/[^\w-]/g, "").slice(0, 40);
  const storageKey = "porting-assistant:" + widgetName;
  const parentOrigin = framingOrigin(params.get("parent"));

  let conversation = null;
  let current = { kind: "none", choices: [], fields: [], accept: [] };
  let state = "";
  let busy = false;
  let loaFetchedAt = 0;
  let lastReference = null;
  let draft = null; // {form, values}: typed into a form card, not yet sent
  let cardTitle = "Your details";
  let counter = 0;

  applyBrand(params.get("color") || body.dataset.brandColor);

  // ---- Helpers -------------------------------------------------------------

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = text;
    return node;
  }

  const uid = (prefix) => prefix + "-" + ++counter;

  function applyBrand(color) {
    if (!color || !CSS.supports("color", color)) return;
    const root = document.documentElement.style;
    root.setProperty("--brand", color);
    const probe = el("span");
    probe.hidden = true;
    probe.style.color = color;
    body.append(probe);
    root.setProperty("--on-brand", textOn(getComputedStyle(probe).color));
    probe.remove();
  }

  // Black or white, whichever reads better on the brand colour (WCAG luminance).
  function textOn(rgb) {
    const [r, g, b] = rgb.match(/[\d.]+/g).map((c) => {
      c /= 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    const light = 0.2126 * r + 0.7152 * g + 0.0722 * b;
    return 1.05 / (light + 0.05) >= (light + 0.05) / 0.05 ? "#fff" : "#111";
  }

  // ---- Storage: one {id, token, reference, draft} per widget, in this frame's
  // storage (partitioned per site by modern browsers). Where the browser blocks
  // third-party storage, the loader on the host page keeps it for us; with no
  // storage at all, a reload simply starts a fresh chat.

  const ownStorage = (() => {
    try {
      localStorage.setItem(storageKey + ":probe", "1");
      localStorage.removeItem(storageKey + ":probe");
      return true;
    } catch (error) {
      return false;
    }
  })();
  let answerLoad = null;

  const usable = (saved) =>
    saved && typeof saved.id === "string" && typeof saved.token === "string" ? saved : null;

  function loadSaved() {
    if (ownStorage) {
      try {
        return Promise.resolve(usable(JSON.parse(localStorage.getItem(storageKey))));
      } catch (error) {
        return Promise.resolve(null);
      }
    }
    if (!parentOrigin) return Promise.resolve(null);
    return new Promise((resolve) => {
      answerLoad = resolve;
      tellParent("load");
      // A page that framed us without the loader never answers: start fresh.
      setTimeout(() => resolve(null), 1500);
    });
  }

  // The conversation, its reference and the unsent form draft, kept together so the
  // host page's fallback store needs nothing new.
  const remember = () =>
    save(conversation && { ...conversation, reference: lastReference || undefined, draft });

  function save(value) {
    if (!ownStorage) {
      tellParent("store", { conversation: value });
      return;
    }
    try {
      if (value) localStorage.setItem(storageKey, JSON.stringify(value));
      else localStorage.removeItem(storageKey);
    } catch (error) {
      // Storage full or withdrawn: the chat works, it just can't resume after a reload.
    }
  }

  // ---- The page that framed us: messages go to its exact origin only. ----------

  function framingOrigin(claimed) {
    if (window.parent === window || !claimed) return null;
    let origin;
    try {
      origin = new URL(claimed).origin;
    } catch (error) {
      return null;
    }
    if (origin !== claimed) return null;
    const ancestors = location.ancestorOrigins;
    if (ancestors && ancestors.length && ancestors[0] !== origin) return null;
    return origin;
  }

  function tellParent(type, extra) {
    if (parentOrigin) {
      window.parent.postMessage({ type, version: VERSION, ...extra }, parentOrigin);
    }
  }

  window.addEventListener("message", (event) => {
    const message = event.data;
    if (
      !parentOrigin ||
      event.origin !== parentOrigin ||
      event.source !== window.parent ||
      !message ||
      message.version !== VERSION
    )
      return;
    if (message.type === "open") focusPrimary();
    if (message.type === "stored" && answerLoad) answerLoad(usable(message.conversation));
  });

  // ---- HTTP ------------------------------------------------------------------

  class ChatError extends Error {
    constructor(message, status, code) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  async function api(path, options = {}, retried = false) {
    const headers = { Accept: "application/json" };
    if (conversation) headers.Authorization = "Bearer " + conversation.token;
    if (options.json !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(path, {
        method: options.method || "GET",
        headers,
        body: options.json !== undefined ? JSON.stringify(options.json) : options.form,
        credentials: "omit",
      });
    } catch (error) {
      throw new ChatError(
        "We couldn't reach the assistant. Please check your connection and try again; what you typed is still here.",
        0,
        "offline",
      );
    }
    let data = null;
    try {
      data = await response.json();
    } catch (error) {
      data = null;
    }
    if (response.ok && data) return data;
    const problem = (data && data.error) || {};
    // Another message changed the conversation first: the server asks for a retry.
    if (problem.code === "stale" && !retried) return api(path, options, true);
    let message =
      problem.message ||
      "Something went wrong on our side. Your answers are saved; please try again in a moment.";
    const wait = response.headers.get("Retry-After");
    if (response.status === 429 && wait && !/\d/.test(message)) {
      message += ` You can try again in ${wait} seconds.`;
    }
    throw new ChatError(message, response.status, problem.code || "error");
  }

  const conversationPath = (suffix = "") => `/api/conversations/${conversation.id}${suffix}`;

  // ---- Rendering -------------------------------------------------------------

  function addMessage(message) {
    const mine = message.role === "user";
    const item = el("div", `msg msg-${mine ? "user" : "assistant"} msg-${message.kind || "text"}`);
    item.append(el("span", "visually-hidden", mine ? "You said: " : brand + ": "));
    if (message.kind === "faq") item.append(el("span", "msg-tag", "Help article"));
    item.append(el("p", "msg-text", message.text));
    log.append(item);
    return item;
  }

  function addDocument(doc) {
    const item = el("div", "msg msg-assistant msg-document");
    item.append(el("p", "msg-text", `${KIND_LABELS[doc.kind] || "Document"}: ${doc.filename}`));
    if (doc.findings && doc.findings.length) {
      const list = el("ul", "findings");
      for (const finding of doc.findings) {
        const line = el("li", finding.ok ? "finding-ok" : "finding-check");
        line.append(el("span", "visually-hidden", finding.ok ? "Looks right: " : "Please check: "));
        line.append(document.createTextNode(finding.message));
        list.append(line);
      }
      item.append(list);
    }
    log.append(item);
    return item;
  }

  function showMessages(messages) {
    let first = null;
    for (const message of messages || []) {
      const item = addMessage(message);
      first = first || item;
    }
    return first;
  }

  function showProgress(progress) {
    const box = $("progress");
    const inIntake = progress && progress.step > 1 && !["human", "status", "faq"].includes(state);
    box.hidden = !inIntake;
    if (!inIntake) return;
    $("progress-text").textContent = `Step ${progress.step} of ${progress.of}: ${progress.label}`;
    box.style.setProperty("--done", String(progress.step / progress.of));
  }

  function showLoa() {
    const ready = LOA_STATES.includes(state);
    loaBox.hidden = !ready;
    loaLink.textContent =
      state === "submitted"
        ? "Download your signed Letter of Authorization (PDF)"
        : "Preview your Letter of Authorization (PDF)";
    if (ready) refreshLoaLink().catch(() => {});
  }

  async function refreshLoaLink() {
    const data = await api(conversationPath("/loa-link"), { method: "POST", json: {} });
    loaLink.href = data.url;
    loaFetchedAt = Date.now();
  }

  // A signed link lives a few minutes; fetch a fresh one when it has aged.
  loaLink.addEventListener("click", async (event) => {
    if (Date.now() - loaFetchedAt < LINK_MAX_AGE && loaLink.href.includes("sig=")) return;
    event.preventDefault();
    // Open the tab during the click, so no popup blocker stops it, then point it at
    // the fresh link.
    const opened = window.open("", "_blank");
    if (opened) opened.opener = null;
    try {
      await refreshLoaLink();
      if (opened) opened.location = loaLink.href;
      else showAlert("Your browser kept the letter from opening. Please use the link again.");
    } catch (error) {
      if (opened) opened.close();
      showAlert(error.message);
    }
  });

  function render(reply) {
    state = reply.state;
    current = reply.input || { kind: "none" };
    cardTitle = state === "status" ? "Look up a request" : (reply.progress || {}).label || "Your details";
    showProgress(reply.progress);
    showLoa();
    renderControls(reply.errors || {});
    textbox.placeholder =
      current.kind === "text" && current.field === "numbers"
        ? "Type or paste your numbers"
        : current.kind === "text"
          ? "Type your answer"
          : "Or type a question";
  }

  function renderControls(errors) {
    const form = controls.querySelector("form.card-form");
    const sameForm =
      current.kind === "form" &&
      form &&
      form.dataset.fields === current.fields.map((f) => f.name).join(",");
    if (sameForm && Object.keys(errors).length) {
      markErrors(form, errors);
      return;
    }
    controls.replaceChildren();
    if (current.kind === "form") controls.append(buildForm(errors));
    if (current.kind === "upload") controls.append(buildUpload(false));
    if (current.choices && current.choices.length) controls.append(buildChoices());
    if (current.kind === "text" && current.accept && current.accept.length) {
      controls.append(buildUpload(true));
    }
    const stray = Object.entries(errors)
      .filter(([name]) => current.kind !== "form" || !current.fields.some((f) => f.name === name))
      .flatMap(([, sentences]) => sentences);
    if (stray.length) showAlert(stray.join(" "));
  }

  function buildChoices() {
    const group = el("div", "choices");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", "Quick replies");
    for (const option of current.choices) {
      const button = el("button", "choice", option.label);
      button.type = "button";
      button.addEventListener("click", () =>
        send({ choice: option.id }, option.label, { from: "button" }),
      );
      group.append(button);
    }
    return group;
  }

  function cardHeading(text) {
    const heading = el("h2", "card-title", text);
    heading.tabIndex = -1;
    return heading;
  }

  function buildForm(errors) {
    const form = el("form", "card card-form");
    form.noValidate = true;
    form.dataset.fields = current.fields.map((f) => f.name).join(",");
    const title = cardHeading(cardTitle);
    title.id = uid("card");
    form.setAttribute("aria-labelledby", title.id);
    form.append(title);
    if (current.fields.some((f) => f.required)) {
      form.append(el("p", "card-note", "Fields marked * are required."));
    }
    for (const field of current.fields) form.append(buildField(field));
    // A draft waits for its own card, even across a question asked in between.
    if (draft && draft.form === form.dataset.fields) restoreDraft(form);
    const keep = () => {
      draft = { form: form.dataset.fields, values: formValues(form, true) };
      remember();
    };
    form.addEventListener("input", keep);
    form.addEventListener("change", keep);
    const signing = current.fields.some((f) => f.name === "signature_name");
    const submit = el("button", "primary", signing ? "Sign and send" : "Continue");
    submit.type = "submit";
    form.append(submit);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const values = formValues(form, false);
      send({ form: values }, summarise(values), { from: "form", form });
    });
    markErrors(form, errors, false);
    return form;
  }

  function formValues(form, forDraft) {
    const values = {};
    for (const field of current.fields) {
      const input = form.elements[field.name];
      if (!input || (forDraft && SECRET.includes(field.name))) continue;
      const text = forDraft ? input.value : input.value.trim();
      values[field.name] = field.type === "checkbox" ? input.checked : text;
    }
    return values;
  }

  function restoreDraft(form) {
    for (const [name, value] of Object.entries(draft.values || {})) {
      const input = form.elements[name];
      if (!input || SECRET.includes(name)) continue;
      if (input.type === "checkbox") input.checked = value === true;
      else if (typeof value === "string") input.value = value;
    }
  }

  function buildField(field) {
    const wrap = el("div", "field field-" + field.type);
    const id = "f-" + field.name;
    const label = el("label", null, field.label);
    label.htmlFor = id;
    if (field.required) {
      const star = el("span", "required", " *");
      star.setAttribute("aria-hidden", "true");
      label.append(star);
    }
    let input;
    if (field.type === "select") {
      input = el("select");
      for (const option of field.choices || []) {
        const item = el("option", null, option.label);
        item.value = option.id;
        item.selected = String(field.value) === String(option.id);
        input.append(item);
      }
    } else if (field.type === "textarea") {
      input = el("textarea");
      input.rows = 3;
      input.value = field.value || "";
    } else {
      input = el("input");
      input.type = field.type === "checkbox" ? "checkbox" : field.type || "text";
      if (field.type === "checkbox") input.checked = [true, "y", "yes", "true"].includes(field.value);
      else input.value = field.value == null ? "" : String(field.value);
    }
    input.id = id;
    input.name = field.name;
    if (field.required) input.required = true;
    if (AUTOCOMPLETE[field.name]) input.autocomplete = AUTOCOMPLETE[field.name];
    const described = [];
    let help = null;
    if (field.help) {
      help = el("p", "help", field.help);
      help.id = id + "-help";
      described.push(help.id);
    }
    if (described.length) input.setAttribute("aria-describedby", described.join(" "));
    if (field.type === "checkbox") {
      const row = el("div", "check");
      row.append(input, label);
      wrap.append(row);
      if (help) wrap.append(help);
    } else {
      wrap.append(label);
      if (help) wrap.append(help);
      wrap.append(input);
    }
    return wrap;
  }

  // Errors sit next to their field and are tied to it; focus goes to the first one.
  function markErrors(form, errors, focus = true) {
    let first = null;
    for (const old of form.querySelectorAll(".field-error")) old.remove();
    for (const field of current.fields) {
      const input = form.elements[field.name];
      if (!input) continue;
      const help = field.help ? ["f-" + field.name + "-help"] : [];
      const sentences = errors[field.name];
      if (!sentences || !sentences.length) {
        input.removeAttribute("aria-invalid");
        if (help.length) input.setAttribute("aria-describedby", help.join(" "));
        else input.removeAttribute("aria-describedby");
        continue;
      }
      const message = el("p", "field-error", sentences.join(" "));
      message.id = "f-" + field.name + "-error";
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", [message.id, ...help].join(" "));
      input.closest(".field").append(message);
      first = first || input;
    }
    if (first && focus) first.focus();
    return first;
  }

  function summarise(values) {
    const plain = ["text", "textarea", "email", "tel", "date"];
    const shown = current.fields
      .filter((f) => values[f.name] && plain.includes(f.type))
      .filter((f) => !SECRET.includes(f.name))
      .map((f) => values[f.name]);
    return shown.length ? shown.slice(0, 3).join(", ") + (shown.length > 3 ? ", …" : "") : "Sent the form";
  }

  function buildUpload(compact) {
    const kinds = (current.accept || []).filter((k) => KIND_LABELS[k]);
    const form = el("form", "card card-upload");
    form.noValidate = true;
    const title = cardHeading(compact ? "Or upload a list of numbers" : "Upload a document");
    title.id = uid("card");
    form.setAttribute("aria-labelledby", title.id);
    form.append(title);

    const kindId = uid("kind");
    const kindLabel = el("label", null, "What is it?");
    kindLabel.htmlFor = kindId;
    const select = el("select");
    select.id = kindId;
    select.name = "kind";
    for (const kind of kinds) {
      const option = el("option", null, KIND_LABELS[kind]);
      option.value = kind;
      select.append(option);
    }
    const kindField = el("div", "field");
    kindField.append(kindLabel, select);
    kindField.hidden = kinds.length < 2;

    const fileId = uid("file");
    const fileLabel = el("label", null, "File");
    fileLabel.htmlFor = fileId;
    const file = el("input");
    file.type = "file";
    file.id = fileId;
    file.name = "file";
    const hint = el("p", "help", "");
    hint.id = fileId + "-help";
    file.setAttribute("aria-describedby", hint.id);
    const fitAccept = () => {
      const list = select.value === "number_list";
      file.accept = list ? ".csv,.txt,text/csv,text/plain" : ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg";
      hint.textContent = list ? "A CSV or text file, one number per line." : "A PDF, PNG or JPEG, up to 10 MB.";
    };
    select.addEventListener("change", fitAccept);
    fitAccept();
    const fileField = el("div", "field");
    fileField.append(fileLabel, hint, file);

    const submit = el("button", "primary", "Upload");
    submit.type = "submit";
    form.append(kindField, fileField, submit);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!file.files.length) {
        showAlert("Please choose a file first.");
        file.focus();
        return;
      }
      const data = new FormData();
      data.append("kind", select.value);
      data.append("file", file.files[0]);
      upload(data, file.files[0].name, form);
    });
    if (compact) {
      const details = el("details", "upload-more");
      const summary = el("summary", null, "Upload a list of numbers instead");
      title.remove();
      form.removeAttribute("aria-labelledby");
      form.setAttribute("aria-label", "Upload a list of numbers");
      details.append(summary, form);
      return details;
    }
    return form;
  }

  function focusPrimary() {
    const target =
      controls.querySelector(".card-title") ||
      controls.querySelector(".choice") ||
      textbox;
    target.focus({ preventScroll: true });
  }

  // Short replies: follow the conversation to the end. Long ones: start reading
  // at the customer's own message, so the answer isn't scrolled past.
  function reveal(node) {
    const below = scroller.scrollHeight - node.offsetTop;
    if (below > scroller.clientHeight) node.scrollIntoView({ block: "start" });
    else scroller.scrollTop = scroller.scrollHeight;
  }

  function showAlert(text) {
    alertBox.textContent = text;
    alertBox.hidden = !text;
  }

  function setBusy(on) {
    busy = on;
    typing.hidden = !on;
    log.setAttribute("aria-busy", String(on));
    // Buttons stay enabled (send() ignores clicks while busy) so focus isn't lost.
    controls.classList.toggle("is-busy", on);
    if (on) typing.scrollIntoView({ block: "nearest" });
  }

  // ---- Turns -----------------------------------------------------------------

  // One turn: post, then echo what the customer sent and show the reply. On an
  // error nothing is echoed and nothing the customer typed or picked is cleared.
  async function turn(path, options, echo, origin) {
    if (busy || !conversation) return false;
    showAlert("");
    setBusy(true);
    let reply;
    try {
      reply = await api(conversationPath(path), { method: "POST", ...options });
    } catch (error) {
      setBusy(false);
      return failed(error);
    }
    setBusy(false);
    const echoed = addMessage({ role: "user", kind: "text", text: echo });
    if (reply.document) addDocument(reply.document);
    // A form the server took is sent: its draft goes. One sent back with errors stays.
    const accepted = origin.from === "form" && !Object.keys(reply.errors || {}).length;
    if (accepted && draft) {
      draft = null;
      remember();
    }
    afterTurn(reply, echoed, origin);
    return true;
  }

  const send = (payload, echo, origin) => turn("/messages", { json: payload }, echo, origin);

  const upload = (data, filename, form) =>
    turn("/documents", { form: data }, "Uploaded " + filename, { from: "upload", form });

  function afterTurn(reply, echoed, origin) {
    const before = state;
    showMessages(reply.messages);
    render(reply);
    reveal(echoed);
    if (reply.reference && reply.reference !== lastReference) {
      lastReference = reply.reference;
      remember();
      tellParent("submitted", { reference: reply.reference });
    }
    const errorField = controls.querySelector("[aria-invalid=true]");
    if (errorField) errorField.focus();
    // Typing goes on in the composer unless the next step wants a click or a form.
    else if (origin.from === "composer" && (current.kind === "text" || state === before)) {
      textbox.focus();
    } else focusPrimary();
  }

  function failed(error) {
    if (error.status === 401 || error.status === 404) {
      // The conversation is gone or its key was refused: begin a fresh one.
      save(null);
      conversation = null;
      draft = null;
      addMessage({ role: "assistant", kind: "notice", text: "This chat couldn't be continued, so we've started a new one." });
      startNew();
      return false;
    }
    showAlert(error.message);
    return false;
  }

  composer.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = textbox.value.trim();
    if (!text) {
      textbox.focus();
      return;
    }
    const sent = await send({ text }, text, { from: "composer" });
    // Only clear what was sent; anything typed meanwhile, or after an error, stays.
    if (sent && textbox.value.trim() === text) textbox.value = "";
  });

  textbox.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      composer.requestSubmit();
    }
  });

  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && parentOrigin) tellParent("close");
  });

  const closeButton = $("close");
  if (parentOrigin) {
    closeButton.hidden = false;
    closeButton.addEventListener("click", () => tellParent("close"));
  }

  // ---- Start or resume -------------------------------------------------------

  async function startNew() {
    setBusy(true);
    try {
      const reply = await api("/api/conversations", { method: "POST", json: {} });
      conversation = { id: reply.id, token: reply.token };
      draft = null;
      remember();
      setBusy(false);
      showMessages(reply.messages);
      render(reply);
    } catch (error) {
      setBusy(false);
      showRetry(error.message);
      return;
    }
    ready();
  }

  async function resume(saved) {
    conversation = { id: saved.id, token: saved.token };
    lastReference = saved.reference || null;
    const kept = saved.draft;
    const whole = kept && typeof kept.form === "string" && typeof kept.values === "object";
    draft = whole && kept.values ? kept : null;
    setBusy(true);
    let data;
    try {
      data = await api(conversationPath());
    } catch (error) {
      setBusy(false);
      if (error.status === 401 || error.status === 404) {
        save(null);
        conversation = null;
        return startNew();
      }
      return showRetry(error.message, () => resume(saved));
    }
    setBusy(false);
    showMessages(data.transcript);
    render({ ...data, errors: {} });
    scroller.scrollTop = scroller.scrollHeight;
    ready();
  }

  function showRetry(message, again = startNew) {
    showAlert(message);
    controls.replaceChildren();
    const button = el("button", "primary", "Try again");
    button.type = "button";
    button.addEventListener("click", () => {
      showAlert("");
      controls.replaceChildren();
      again();
    });
    controls.append(button);
  }

  function ready() {
    body.classList.add("is-ready");
    tellParent("ready");
    if (!parentOrigin && document.hasFocus()) focusPrimary();
  }

  loadSaved().then((saved) => (saved ? resume(saved) : startNew()));
})();
