/* claimdesk ticket sidebar: read the ticket through the ZAF SDK, fetch the panels rendered by
 * the server (escaped HTML) with the page's app token, and keep each panel independent.
 * No framework; the only global used is ZAFClient (Zendesk's SDK). */
(function () {
  "use strict";

  var body = document.body;
  var appToken = body.getAttribute("data-app-token") || "";
  var panelsUrl = body.getAttribute("data-panels-url") || "/sidebar/panels";
  var allMessages = JSON.parse(body.getAttribute("data-messages") || "{}");
  var locale = body.getAttribute("data-locale") || "en";
  var PANELS = ["timeline", "tracking", "eligibility"];
  var POLL_MS = 4000;
  var POLL_LIMIT = 15; // about a minute of "refreshing…", then the stored data stays shown
  var client = null;
  var ticket = null;
  var polls = 0;
  var orderFieldId = null;
  var pollTimer = null;

  function message(key) {
    var strings = allMessages[locale] || allMessages.en || {};
    return strings[key] || (allMessages.en || {})[key] || key;
  }

  function localeOf(tag) {
    var value = String(tag || "").toLowerCase().replace("_", "-");
    if (value === "zh-cn" || value === "zh" || value === "zh-hans" || value === "zh-sg") { return "zh-cn"; }
    var language = value.split("-")[0];
    return language === "fr" ? "fr" : "en";
  }

  function setStatus(text, isError) {
    var status = document.getElementById("status");
    if (!status) { return; }
    status.hidden = !text;
    status.textContent = text || "";
    status.className = isError ? "panel-error" : "muted";
    if (isError) { status.setAttribute("role", "alert"); }
  }

  function resize() {
    if (!client) { return; }
    var height = Math.min(Math.max(document.documentElement.scrollHeight, 80), 2000);
    client.invoke("resize", { width: "100%", height: height + "px" });
  }

  function replaceById(id, html) {
    var current = document.getElementById(id);
    if (!current) { return; }
    var holder = document.createElement("div");
    holder.innerHTML = html; // server-rendered with Jinja autoescaping
    var fresh = holder.firstElementChild;
    if (fresh && fresh.id === id) {
      current.parentNode.replaceChild(fresh, current);
    }
  }

  function panelFailed(name) {
    var section = document.getElementById("panel-" + name);
    if (!section) { return; }
    section.hidden = false;
    section.textContent = "";
    var p = document.createElement("p");
    p.className = "panel-error";
    p.setAttribute("role", "alert");
    p.textContent = message("panel.failed");
    section.appendChild(p);
  }

  function request(panel) {
    var payload = {
      ticket_id: ticket.id == null ? "" : String(ticket.id),
      subject: ticket.subject || "",
      description: (ticket.description || "").slice(0, 20000),
      requester_email: ticket.requesterEmail || "",
      requester_name: ticket.requesterName || "",
      requester_locale: ticket.requesterLocale || "",
      order_id: ticket.orderField || "",
      tz: ticket.timeZone || "UTC",
      locale: locale
    };
    if (panel) { payload.panel = panel; }
    return fetch(panelsUrl, {
      method: "POST",
      headers: { "Authorization": "Bearer " + appToken, "Content-Type": "application/json" },
      body: JSON.stringify(payload),
      credentials: "omit"
    }).then(function (response) {
      if (!response.ok) {
        var error = new Error("HTTP " + response.status);
        error.status = response.status;
        throw error;
      }
      return response.json();
    });
  }

  function showAll(data) {
    var empty = data.empty;
    replaceById("orders", data.orders || '<div id="orders"></div>');
    var slot = document.getElementById("empty-slot");
    slot.innerHTML = empty && data.empty_state ? data.empty_state : "";
    PANELS.forEach(function (name) {
      var html = data.panels && data.panels[name];
      var section = document.getElementById("panel-" + name);
      if (empty) { if (section) { section.hidden = true; } return; }
      if (typeof html === "string") { replaceById("panel-" + name, html); } else { panelFailed(name); }
    });
    schedulePoll(data.refreshing);
  }

  function schedulePoll(refreshing) {
    if (pollTimer) { clearTimeout(pollTimer); pollTimer = null; }
    if (!refreshing || polls >= POLL_LIMIT) { return; }
    polls += 1;
    pollTimer = setTimeout(function () {
      request("tracking").then(function (data) {
        if (data.panels && typeof data.panels.tracking === "string") {
          replaceById("panel-tracking", data.panels.tracking);
        }
        schedulePoll(data.refreshing);
        resize();
      }).catch(function () { panelFailed("tracking"); resize(); });
    }, POLL_MS);
  }

  function load() {
    polls = 0;
    setStatus(message("app.loading"));
    return request(null).then(function (data) {
      locale = data.locale || locale;
      setStatus("");
      showAll(data);
      resize();
    }).catch(function (error) {
      setStatus(message(error && error.status === 401 ? "app.expired" : "app.unreachable"), true);
      resize();
    });
  }

  function insertTracking(button) {
    var html = button.getAttribute("data-insert-html") || "";
    var text = button.getAttribute("data-insert-text") || "";
    client.invoke("ticket.editor.insert", html).catch(function () {
      return client.invoke("comment.appendText", text);
    }).then(function () {
      recordInsert(button);
    }, function () {
      client.invoke("notify", message("panel.failed"), "error");
    });
  }

  function recordInsert(button) {
    // The audit trail: which parcel the agent put into the reply (the server adds who and
    // the tracking snapshot as proof). A failure here never touches the reply.
    var block = button.closest ? button.closest(".order-block") : null;
    var orderId = block ? block.getAttribute("data-order-id") : "";
    var number = button.getAttribute("data-tracking-number") || "";
    if (!orderId || !number) { return; }
    fetch("/api/v1/audit/reply-insert", {
      method: "POST",
      headers: { "Authorization": "Bearer " + appToken, "Content-Type": "application/json" },
      body: JSON.stringify({
        ticket_id: ticket && ticket.id != null ? String(ticket.id) : "",
        order_id: orderId,
        tracking_number: number,
        carrier: button.getAttribute("data-carrier") || ""
      }),
      credentials: "omit"
    }).catch(function () { /* not retried: the reply itself is what the agent needs */ });
  }

  function readTicket() {
    var paths = ["ticket.id", "ticket.subject", "ticket.description", "ticket.requester",
      "currentUser", "requirement:order_id"];
    return client.get(paths).then(function (data) {
      var user = data.currentUser || {};
      var requester = data["ticket.requester"] || {};
      var zone = (user.timeZone && user.timeZone.ianaName) ||
        (Intl.DateTimeFormat().resolvedOptions().timeZone) || "UTC";
      ticket = {
        id: data["ticket.id"],
        subject: data["ticket.subject"],
        description: data["ticket.description"],
        requesterEmail: requester.email || "",
        requesterName: requester.name || "",
        requesterLocale: requester.locale || "",
        timeZone: zone,
        orderField: ""
      };
      locale = localeOf(user.locale || locale);
      var requirement = data["requirement:order_id"];
      orderFieldId = (requirement && (requirement.requirement_id || requirement.id)) || null;
      if (!orderFieldId) { return ticket; }
      var path = "ticket.customField:custom_field_" + orderFieldId;
      return client.get(path).then(function (field) {
        ticket.orderField = field[path] || "";
        return ticket;
      }, function () { return ticket; });
    });
  }

  function refresh() {
    return readTicket().then(load).catch(function () {
      setStatus(message("app.unreachable"), true);
      resize();
    });
  }

  var refreshTimer = null;
  function refreshSoon() {
    // The Order ID field fires on every keystroke: wait until the agent pauses.
    if (refreshTimer) { clearTimeout(refreshTimer); }
    refreshTimer = setTimeout(refresh, 600);
  }

  function subscribe() {
    if (orderFieldId) {
      client.on("ticket.custom_field_" + orderFieldId + ".changed", refreshSoon);
    }
    client.on("ticket.requester.id.changed", refreshSoon);
    client.on("ticket.submit.done", refreshSoon);
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    var button = target && target.closest ? target.closest("button.insert-tracking") : null;
    if (button && client) { insertTracking(button); return; }
    var link = target && target.closest ? target.closest("a.claim-link, a.dossier-link") : null;
    if (link) {
      // The claims view and the dossier download are standalone: they read ?token=.
      event.preventDefault();
      var url = new URL(link.getAttribute("href"), window.location.href);
      url.searchParams.set("token", appToken);
      window.open(url.toString(), "_blank", "noopener");
    }
  });

  function start() {
    if (typeof window.ZAFClient === "undefined") {
      setStatus(message("app.no_sdk"), true);
      return;
    }
    client = window.ZAFClient.init();
    if (!client) {
      setStatus(message("app.no_sdk"), true);
      return;
    }
    refresh().then(subscribe);
  }

  start();
})();
