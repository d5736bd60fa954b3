/*
 * The Zendesk sandbox's host side of the ZAF SDK's postMessage protocol (zendesk_app_framework_sdk
 * 2.0.x, lib/client.js), for the app iframe on this page.
 *
 * From the app (JSON strings; data.appGuid/instanceGuid name the app instance):
 *   {key: "iframe.handshake", message: {version}}          -> we answer zaf.app.registered
 *   {key: "iframe.on:<event>" | "iframe.off:<event>", message: {subscriberCount}}
 *   {key: "request:<n>", message: {url, type, ...}}         -> zaf.request:<n>.done | .fail
 *   {id, request: "get", params: [paths]}                   -> {id, result: {<path>: v, errors: {}}}
 *   {id, request: "set", params: {path: value}}             -> {id, result: {<path>: v, errors: {}}}
 *   {id, request: "invoke", params: {name: [args...]}}      -> {id, result: {<name>: r, errors: {}}}
 * To the app: {key: "zaf.<event>", message, appGuid, instanceGuid}; a reply carries the
 * request's id. A path we do not serve is reported in result.errors[path] = {name, message, path}
 * (the SDK throws it for a single path). Messages from any other origin or window are ignored.
 */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("zaf-host-data").textContent);
  var frame = document.getElementById("app-sidebar") || document.getElementById("app-nav-bar");
  var appOrigin = new URL(config.appUrl).origin;
  var editor = document.getElementById("reply-editor");
  var plain = document.getElementById("reply-plain");
  var modeInput = document.getElementById("reply-mode");
  var savedRange = null;
  var subscriptions = {};
  var host = { log: [], registered: 0, rejected: 0, subscriptions: subscriptions };
  window.zafHost = host; // for browser tests: what was said, in order

  // --- the signed load: a form POSTs the token into the iframe, as Zendesk does ---------------
  function launch() {
    var form = document.createElement("form");
    form.method = "POST";
    form.target = frame.name;
    form.style.display = "none";
    form.action = config.appUrl + config.appPath + "?origin=" +
      encodeURIComponent(window.location.origin) + "&app_guid=" + encodeURIComponent(config.appGuid);
    var token = document.createElement("input");
    token.type = "hidden";
    token.name = "token";
    token.value = config.token;
    form.appendChild(token);
    document.body.appendChild(form);
    form.submit();
  }

  function send(message) {
    message.appGuid = config.appGuid;
    message.instanceGuid = config.appGuid;
    host.log.push({ direction: "out", data: message });
    frame.contentWindow.postMessage(JSON.stringify(message), appOrigin);
  }

  function trigger(name, payload) {
    send({ key: "zaf." + name, message: payload });
  }
  host.trigger = trigger;

  // --- the ticket as the agent sees it ------------------------------------------------------------
  function isPlain() { return modeInput && modeInput.value === "plain"; }

  function ticketData() { return config.data.ticket; }

  function pathError(path, message) {
    return { name: "APIUnavailable", message: message || "Could not find handler for: \"" + path + "\"", path: path };
  }

  function walk(value, parts) {
    for (var i = 0; i < parts.length; i++) {
      if (value === null || typeof value !== "object" || !(parts[i] in value)) { return undefined; }
      value = value[parts[i]];
    }
    return value;
  }

  function fieldInput(id) { return document.getElementById("custom-field-" + id); }

  function getPath(path) {
    var match = /^ticket\.customField:custom_field_(\d+)$/.exec(path);
    if (match && ticketData()) {
      var input = fieldInput(match[1]);
      if (!input) { return { error: pathError(path) }; }
      return { value: input.value === "" ? null : input.value };
    }
    match = /^requirement:(.+)$/.exec(path);
    if (match) {
      var requirement = config.requirements[match[1]];
      return requirement ? { value: requirement } : { error: pathError(path) };
    }
    if (path === "comment.text") { return { value: editorText() }; }
    if (path === "comment.type") {
      var internal = document.querySelector("input[name=visibility][value=internal]");
      return { value: internal && internal.checked ? "internalNote" : "publicReply" };
    }
    if (path === "ticket.tags" && ticketData()) { return { value: currentTags() }; }
    var parts = path.split(".");
    var root = parts[0] === "ticket" ? ticketData() : config.data[parts[0]];
    if (root === undefined) { return { error: pathError(path) }; }
    var value = walk(root, parts.slice(1));
    return value === undefined ? { error: pathError(path) } : { value: value };
  }

  function currentTags() {
    return Array.prototype.map.call(document.querySelectorAll("#ticket-tags .tag"), function (li) {
      return li.textContent;
    });
  }

  function setPath(path, value) {
    var match = /^ticket\.customField:custom_field_(\d+)$/.exec(path);
    if (match && fieldInput(match[1])) {
      fieldInput(match[1]).value = value === null || value === undefined ? "" : String(value);
      return { value: value };
    }
    if (path === "comment.text") {
      if (isPlain()) { plain.value = String(value); } else { editor.innerHTML = clean(String(value)); }
      return { value: value };
    }
    if (path === "comment.type") {
      var wanted = value === "internalNote" ? "internal" : "public";
      var radio = document.querySelector("input[name=visibility][value=" + wanted + "]");
      if (radio) { radio.checked = true; return { value: value }; }
    }
    return { error: pathError(path) };
  }

  // --- the reply editor ---------------------------------------------------------------------------
  function clean(markup) {
    // Zendesk sanitises what apps insert; so do we: no script, no handlers, no javascript: URLs.
    var doc = new DOMParser().parseFromString("<body>" + markup + "</body>", "text/html");
    doc.body.querySelectorAll("script,style,iframe,object,embed,link,meta,form").forEach(function (n) {
      n.remove();
    });
    doc.body.querySelectorAll("*").forEach(function (n) {
      Array.prototype.slice.call(n.attributes).forEach(function (attribute) {
        var name = attribute.name.toLowerCase();
        var bad = name.indexOf("on") === 0 ||
          ((name === "href" || name === "src") && /^\s*javascript:/i.test(attribute.value));
        if (bad) { n.removeAttribute(attribute.name); }
      });
    });
    return doc.body.innerHTML;
  }

  function textOf(markup) {
    var doc = new DOMParser().parseFromString("<body>" + markup + "</body>", "text/html");
    doc.body.querySelectorAll("a[href]").forEach(function (a) {
      if (a.textContent.trim() !== a.getAttribute("href")) {
        a.textContent = a.textContent + " (" + a.getAttribute("href") + ")";
      }
    });
    doc.body.querySelectorAll("br").forEach(function (br) { br.replaceWith("\n"); });
    return doc.body.textContent;
  }

  function editorText() { return isPlain() ? plain.value : editor.innerHTML; }

  if (editor) {
    document.addEventListener("selectionchange", function () {
      var selection = window.getSelection();
      if (selection.rangeCount && editor.contains(selection.getRangeAt(0).commonAncestorContainer)) {
        savedRange = selection.getRangeAt(0).cloneRange();
      }
    });
  }

  function insertHtml(markup, atCaret) {
    if (isPlain()) { return insertText(textOf(markup), atCaret); }
    var template = document.createElement("template");
    template.innerHTML = clean(markup);
    var fragment = template.content;
    var last = fragment.lastChild;
    if (atCaret && savedRange) {
      savedRange.deleteContents();
      savedRange.insertNode(fragment);
    } else {
      editor.appendChild(fragment);
    }
    if (last) {
      var range = document.createRange();
      range.setStartAfter(last);
      range.collapse(true);
      savedRange = range;
    }
    return null;
  }

  function insertText(text, atCaret) {
    if (isPlain()) {
      var at = atCaret ? plain.selectionStart : plain.value.length;
      plain.value = plain.value.slice(0, at) + text + plain.value.slice(atCaret ? plain.selectionEnd : at);
      plain.selectionStart = plain.selectionEnd = at + text.length;
      return null;
    }
    var node = document.createTextNode(text);
    if (atCaret && savedRange) {
      savedRange.deleteContents();
      savedRange.insertNode(node);
      savedRange.setStartAfter(node);
    } else {
      editor.appendChild(node);
    }
    return null;
  }

  function notify(message, kind, duration) {
    var box = document.getElementById("notifications");
    var note = document.createElement("div");
    note.className = "notification " + (kind === "error" || kind === "alert" ? kind : "notice");
    note.textContent = String(message);
    box.appendChild(note);
    var ms = typeof duration === "number" ? duration : (duration && duration.sticky ? 0 : 5000);
    if (ms > 0) { setTimeout(function () { note.remove(); }, ms); }
    return null;
  }

  function resize(size) {
    var valid = /^\d+(\.\d+)?(px|%|vh|em)?$/;
    if (!size || typeof size !== "object") { throw new Error("resize expects {width, height}"); }
    ["width", "height"].forEach(function (side) {
      if (size[side] === undefined) { return; }
      var value = String(size[side]);
      if (!valid.test(value)) { throw new Error("invalid " + side + " " + value); }
      frame.style[side] = /^\d+(\.\d+)?$/.test(value) ? value + "px" : value;
    });
    return null;
  }

  var actions = {
    "ticket.editor.insert": function (markup) { return insertHtml(String(markup), true); },
    "comment.appendHtml": function (markup) { return insertHtml(String(markup), false); },
    "comment.appendText": function (text) { return insertText(String(text), false); },
    "comment.appendMarkdown": function (text) { return insertText(String(text), false); },
    "resize": resize,
    "notify": notify,
    "ticket.comment.type": function (type) { return setPath("comment.type", type).value || null; },
  };

  function invoke(name, args) {
    var action = actions[name];
    if (!action) { return { error: pathError(name) }; }
    if (!ticketData() && (name.indexOf("ticket.") === 0 || name.indexOf("comment.") === 0)) {
      return { error: pathError(name) };
    }
    try {
      return { value: action.apply(null, Array.isArray(args) ? args : [args]) };
    } catch (problem) {
      return { error: { name: "InvocationError", message: problem.message, path: name } };
    }
  }

  // --- requests: the agent's own API, as client.request does on the same account ------------------
  function request(n, options) {
    var url = typeof options === "string" ? options : options.url;
    var target = new URL(url, window.location.origin);
    var own = target.origin === window.location.origin && target.pathname.indexOf("/api/v2/") === 0;
    if (!own && !(options && options.cors)) {
      trigger("request:" + n + ".fail", { responseArgs: [{ status: 0, statusText: "error",
        responseText: "The sandbox proxies only this account's /api/v2 URLs; use cors: true" }] });
      return;
    }
    var headers = Object.assign({}, (options && options.headers) || {});
    if (own) { headers[config.sessionHeader] = config.session; }
    var body = options && options.data;
    if (body && typeof body !== "string") { body = JSON.stringify(body); }
    if (body && !headers["Content-Type"]) { headers["Content-Type"] = options.contentType || "application/json"; }
    fetch(target.toString(), { method: (options && options.type) || "GET", headers: headers, body: body })
      .then(function (response) {
        return response.text().then(function (text) {
          var parsed = text;
          try { parsed = JSON.parse(text); } catch (ignored) { /* text */ }
          var xhr = { status: response.status, responseText: text, responseJSON: parsed };
          if (response.ok) {
            trigger("request:" + n + ".done", { responseArgs: [parsed, "success", xhr] });
          } else {
            trigger("request:" + n + ".fail", { responseArgs: [xhr, "error", response.statusText] });
          }
        });
      })
      .catch(function (problem) {
        trigger("request:" + n + ".fail", { responseArgs: [{ status: 0, responseText: String(problem) }, "error"] });
      });
  }

  // --- the message loop ---------------------------------------------------------------------------
  function answer(data) {
    var result = { errors: {} };
    if (data.request === "get") {
      (Array.isArray(data.params) ? data.params : []).forEach(function (path) {
        var got = getPath(String(path));
        if (got.error) { result.errors[path] = got.error; } else { result[path] = got.value; }
      });
    } else if (data.request === "set") {
      Object.keys(data.params || {}).forEach(function (path) {
        var done = setPath(path, data.params[path]);
        if (done.error) { result.errors[path] = done.error; } else { result[path] = done.value; }
      });
    } else if (data.request === "invoke") {
      Object.keys(data.params || {}).forEach(function (name) {
        var done = invoke(name, data.params[name]);
        if (done.error) { result.errors[name] = done.error; } else { result[name] = done.value; }
      });
    } else {
      send({ id: data.id, error: { name: "InvalidRequest", message: "Unknown request " + data.request } });
      return;
    }
    send({ id: data.id, result: result });
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== appOrigin || event.source !== frame.contentWindow) {
      host.rejected += 1;
      return;
    }
    var data = event.data;
    if (typeof data === "string") {
      try { data = JSON.parse(data); } catch (ignored) { return; }
    }
    if (!data || typeof data !== "object") { return; }
    host.log.push({ direction: "in", data: data });
    if (data.request && data.id) { answer(data); return; }
    var key = String(data.key || "");
    if (key === "iframe.handshake") {
      host.registered += 1;
      trigger("app.registered", { context: config.context, metadata: config.metadata });
    } else if (key.indexOf("iframe.on:") === 0) {
      subscriptions[key.slice(10)] = (data.message || {}).subscriberCount || 1;
    } else if (key.indexOf("iframe.off:") === 0) {
      subscriptions[key.slice(11)] = (data.message || {}).subscriberCount || 0;
    } else if (key.indexOf("request:") === 0) {
      request(key.slice(8), data.message || {});
    }
  });

  // --- the reply form -----------------------------------------------------------------------------
  var toggle = document.getElementById("editor-mode");
  if (toggle) {
    toggle.addEventListener("click", function () {
      if (isPlain()) {
        editor.innerHTML = "";
        editor.appendChild(document.createTextNode(plain.value));
        modeInput.value = "rich";
      } else {
        plain.value = editor.innerText;
        modeInput.value = "plain";
      }
      editor.classList.toggle("hidden", isPlain());
      plain.classList.toggle("hidden", !isPlain());
      toggle.textContent = isPlain() ? "Rich text" : "Plain text";
    });
    document.getElementById("reply-form").addEventListener("submit", function () {
      document.getElementById("reply-html").value = isPlain() ? "" : clean(editor.innerHTML);
      document.getElementById("reply-text").value = isPlain() ? plain.value : editor.innerText;
    });
  }

  launch();
})();
