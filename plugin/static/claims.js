/* claimdesk reimbursements view: the claim wizard and the case actions.
 *
 * The page is complete without this script (server-rendered, links and GET forms). The script
 * opens the wizard in place, calls the JSON API with the page's app token as a Bearer header,
 * and after each change swaps in freshly rendered sections of the page. Text from the server
 * is only ever set with textContent; HTML comes only from our own server-rendered page.
 */
(function () {
  "use strict";

  const meta = (name) => {
    const found = document.querySelector(`meta[name="${name}"]`);
    return found ? found.content : "";
  };
  const token = meta("claimdesk-token");
  const pageUrl = meta("claimdesk-page");
  const $ = (selector) => document.querySelector(selector);

  async function api(method, path, body) {
    const options = { method, headers: { Authorization: `Bearer ${token}`, Accept: "application/json" } };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(path, options);
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      throw new Error(data.message || `${response.status} ${response.statusText}`);
    }
    return data;
  }

  function say(element, text, isError) {
    if (!element) return;
    element.textContent = text;
    element.classList.toggle("error", Boolean(isError));
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? values[name] : whole));
  }

  // --- refresh: the server renders; we swap whole sections ---------------------------------

  async function refresh() {
    const response = await fetch(pageUrl, { headers: { Authorization: `Bearer ${token}` } });
    if (!response.ok) return;
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
    for (const id of ["summary", "chart", "claims-section", "cases"]) {
      const now = document.getElementById(id);
      const next = fresh.getElementById(id);
      if (now && next) now.replaceWith(document.importNode(next, true));
    }
    updateSelection();
    loadTotals();
  }

  // --- reimbursement totals: a fragment loaded after the page (it reads every row) --------

  async function loadTotals() {
    const box = document.getElementById("reimbursement-totals");
    if (!box || !box.dataset.src) return;
    const response = await fetch(box.dataset.src, { headers: { Authorization: `Bearer ${token}` } });
    if (!response.ok) return; // the link stays: it opens the totals on their own
    const fragment = new DOMParser().parseFromString(await response.text(), "text/html");
    box.replaceChildren(...[...fragment.body.childNodes].map((node) => document.importNode(node, true)));
  }

  // --- selection of several claims (one SKU and kind) ---------------------------------------

  function selectedRows() {
    return [...document.querySelectorAll("tr.claim-row")].filter((row) => {
      const box = row.querySelector("input.claim-select");
      return box && box.checked;
    });
  }

  function updateSelection() {
    const button = $("#file-selected");
    if (!button) return;
    const rows = selectedRows();
    const groups = new Set(rows.map((row) => `${row.dataset.kind}\u0000${row.dataset.sku}`));
    button.disabled = rows.length === 0 || groups.size !== 1;
  }

  // --- the wizard ---------------------------------------------------------------------------

  function wizardKeys() {
    const wizard = $("#wizard");
    return wizard.dataset.claims ? wizard.dataset.claims.split(" ") : [];
  }

  function claimPath(keys, what, language) {
    const query = new URLSearchParams({ lang: language });
    keys.slice(1).forEach((key) => query.append("also", key));
    return `/api/v1/claims/${encodeURIComponent(keys[0])}/${what}?${query}`;
  }

  function updateDownload(keys, language) {
    const link = $("#wizard-download");
    const url = new URL(claimPath(keys, "workbook", language), window.location.href);
    url.searchParams.set("token", token); // a download link cannot send a header
    link.href = url.pathname + url.search;
  }

  async function loadText() {
    const keys = wizardKeys();
    const language = $("#case-lang").value;
    const status = $("#wizard-status");
    updateDownload(keys, language);
    say(status, status.dataset.loading);
    try {
      const data = await api("GET", claimPath(keys, "case-text", language));
      $("#case-title").textContent = data.title;
      $("#case-text").textContent = data.body;
      $("#seller-central").href = data.seller_central_url;
      const list = $("#case-checklist");
      list.replaceChildren(
        ...data.checklist.map((entry) => {
          const item = document.createElement("li");
          item.textContent = entry;
          return item;
        })
      );
      const hint = $("#wizard-open-case");
      const openCase = data.in_open_case ? data.open_case : null;
      $("#wizard").dataset.openCase = openCase ? String(openCase.id) : "";
      hint.hidden = !openCase;
      hint.textContent = openCase ? fill(status.dataset.openCaseTemplate, { reference: openCase.reference }) : "";
      $("#case-id-input").value = openCase && openCase.amazon_case_id ? openCase.amazon_case_id : "";
      say(status, "");
    } catch (error) {
      say(status, error.message, true);
    }
  }

  function openWizard(keys) {
    const wizard = $("#wizard");
    wizard.dataset.claims = keys.join(" ");
    wizard.dataset.openCase = "";
    $("#wizard-claims").textContent = keys.join(", ");
    $("#case-title").textContent = "";
    $("#case-text").textContent = "";
    $("#case-checklist").replaceChildren();
    $("#case-id-input").value = "";
    wizard.hidden = false;
    loadText();
    wizard.scrollIntoView({ behavior: "smooth", block: "start" });
  }

  async function saveCaseId(event) {
    event.preventDefault();
    const wizard = $("#wizard");
    const status = $("#wizard-status");
    const amazonCaseId = $("#case-id-input").value.trim();
    const openCase = wizard.dataset.openCase;
    try {
      const found = openCase
        ? await api("POST", `/api/v1/cases/${openCase}/case-id`, { amazon_case_id: amazonCaseId })
        : await api("POST", "/api/v1/cases", { claims: wizardKeys(), amazon_case_id: amazonCaseId });
      wizard.dataset.openCase = found.status === "open" ? String(found.id) : "";
      say(status, fill(status.dataset.saved, { reference: found.reference, case_id: found.amazon_case_id }));
      await refresh();
    } catch (error) {
      say(status, error.message, true);
    }
  }

  async function copyText() {
    const button = $("#case-copy");
    const text = $("#case-text").textContent;
    try {
      await navigator.clipboard.writeText(text);
    } catch (error) {
      // No clipboard permission (e.g. inside an iframe): select the text for Ctrl+C.
      const range = document.createRange();
      range.selectNodeContents($("#case-text"));
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      document.execCommand("copy");
    }
    const label = button.textContent;
    button.textContent = button.dataset.done;
    setTimeout(() => (button.textContent = label), 1500);
  }

  // --- cases --------------------------------------------------------------------------------

  async function caseAction(run) {
    const status = $("#cases-status");
    try {
      await run();
      await refresh();
    } catch (error) {
      say($("#cases-status") || status, error.message, true);
    }
  }

  // --- wiring (delegated: sections are swapped after each change) ---------------------------

  document.addEventListener("click", (event) => {
    const target = event.target.closest("a, button");
    if (!target) return;
    if (target.matches("a.file-claim")) {
      event.preventDefault();
      openWizard([target.dataset.claim]);
    } else if (target.id === "file-selected") {
      openWizard(selectedRows().map((row) => row.dataset.claim));
    } else if (target.id === "wizard-close") {
      event.preventDefault();
      $("#wizard").hidden = true;
    } else if (target.id === "case-copy") {
      copyText();
    } else if (target.matches("button.case-delete")) {
      if (window.confirm(target.dataset.confirm)) {
        caseAction(() => api("DELETE", `/api/v1/cases/${target.dataset.case}`));
      }
    }
  });

  document.addEventListener("change", (event) => {
    if (event.target.matches("input.claim-select")) updateSelection();
    if (event.target.id === "case-lang" && wizardKeys().length) loadText();
  });

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form.id === "case-id-form") {
      saveCaseId(event);
    } else if (form.matches("form.case-close")) {
      event.preventDefault();
      const reason = form.elements.reason.value;
      caseAction(() => api("POST", `/api/v1/cases/${form.dataset.case}/close`, { reason }));
    } else if (form.matches("form.case-record")) {
      event.preventDefault();
      const amazonCaseId = form.elements.amazon_case_id.value.trim();
      caseAction(() =>
        api("POST", `/api/v1/cases/${form.dataset.case}/case-id`, { amazon_case_id: amazonCaseId })
      );
    } else if (form.classList.contains("case-lang-form")) {
      event.preventDefault();
      if (wizardKeys().length) loadText();
    }
  });

  updateSelection();
  loadTotals();
})();
