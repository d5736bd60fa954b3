"""The host page against the real ZAF SDK (npm ``zendesk_app_framework_sdk``) in headless
Chromium: the signed POST, the handshake, get/set/invoke/request, and the origin check.

A stand-in app server plays our sidebar: it records the launch POST and serves a page that
loads the SDK's own ``lib/`` files (CommonJS, wrapped for the browser) and calls the client.
Skipped when Chromium, Playwright or the npm package is missing.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest

from connectors.zendesk.sandbox import ZendeskSandbox

from .conftest import ORDER_FIELD, Start

SDK = Path(__file__).resolve().parents[3] / "node_modules" / "zendesk_app_framework_sdk" / "lib"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
playwright = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None or not (SDK / "client.js").is_file(),
    reason="needs Debian's chromium and `npm install` (zendesk_app_framework_sdk)",
)

APP_SCRIPT = """
var client = ZAFClient.init(function (context) { window.registeredWith = context; });
(async function () {
  var r = {};
  r.context = await client.context();
  r.metadata = await client.metadata();
  r.got = await client.get(["ticket.id", "ticket.subject", "ticket.description",
    "ticket.requester", "ticket.customField:custom_field_FIELD", "requirement:order_id",
    "currentUser", "ticket.tags", "ticket.requester.email"]);
  try { await client.get("ticket.nonexistent"); } catch (e) { r.singleError = e.message; }
  r.manyErrors = (await client.get(["ticket.nope", "ticket.id"])).errors;
  await client.invoke("ticket.editor.insert",
    '<a href="https://track.example/1Z999">1Z999</a><img src=x onerror="parent.pwned=1">');
  await client.invoke("comment.appendText", " & more");
  await client.invoke("resize", { width: "100%", height: "321px" });
  await client.invoke("notify", "Saved <b>note</b>", "notice", 60000);
  await client.set("comment.type", "internalNote");
  await client.set("ticket.customField:custom_field_FIELD", "111-0000000-0000000");
  r.commentText = (await client.get("comment.text"))["comment.text"];
  r.me = await client.request("/api/v2/users/me.json");
  try { await client.request("https://elsewhere.example/x"); }
  catch (e) { r.proxyRefused = e.status; }
  window.results = r;
  document.title = "done";
})().catch(function (e) { window.failure = String(e); document.title = "failed"; });
""".replace("FIELD", str(ORDER_FIELD))


class AppServer:
    """Our app's stand-in: POST /sidebar records the launch and answers the test page."""

    def __init__(self) -> None:
        self.launches: list[dict[str, Any]] = []
        sdk = "".join(
            f'define("./{name}", function (require, module, exports) {{\n'
            f"{(SDK / (name + '.js')).read_text(encoding='utf-8')}\n}});\n"
            for name in ("utils", "client", "index")
        )
        self.sdk = (
            "var registry = {};\n"
            "function define(name, body) { registry[name] = { body: body, module: null }; }\n"
            "function require(name) {\n"
            "  var entry = registry[name];\n"
            "  if (!entry.module) { entry.module = { exports: {} };\n"
            "    entry.body(require, entry.module, entry.module.exports); }\n"
            "  return entry.module.exports;\n}\n" + sdk + 'window.ZAFClient = require("./index");\n'
        )
        box = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode())
                parts = urlsplit(self.path)
                box.launches.append(
                    {
                        "path": parts.path,
                        "query": parse_qs(parts.query),
                        "token": form.get("token", [""])[0],
                    }
                )
                page = (
                    '<!doctype html><meta charset="utf-8"><title>app</title>'
                    f'<script src="/sdk.js"></script><script>{APP_SCRIPT}</script>'
                )
                self._send(page.encode(), "text/html; charset=utf-8")

            def do_GET(self) -> None:
                self._send(box.sdk.encode(), "text/javascript; charset=utf-8")

            def _send(self, body: bytes, kind: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # "localhost": another origin than the sandbox's 127.0.0.1, as Zendesk and our app are
        self.url = f"http://localhost:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def app_server() -> Iterator[AppServer]:
    server = AppServer()
    yield server
    server.stop()


def open_ticket(browser: Any, sandbox: ZendeskSandbox, ticket_id: int, query: str = "") -> Any:
    page = browser.new_page()
    page.goto(f"{sandbox.url}/agent/tickets/{ticket_id}{query}")
    page.wait_for_function("window.zafHost && window.zafHost.registered > 0", timeout=15_000)
    return page


def app_results(page: Any) -> dict[str, Any]:
    frame = page.frame(name="app-sidebar")
    frame.wait_for_function(
        "document.title === 'done' || document.title === 'failed'", timeout=15_000
    )
    assert frame.evaluate("window.failure || null") is None
    return dict(frame.evaluate("window.results"))


def test_the_real_sdk_talks_to_the_host(
    make_sandbox: Start, app_server: AppServer, browser: Any
) -> None:
    sandbox = make_sandbox(app_url=app_server.url)
    page = open_ticket(browser, sandbox, 2, "?agent=2&locale=fr&tz=Europe/Paris")
    results = app_results(page)

    (launch,) = app_server.launches
    assert launch["path"] == "/sidebar"
    assert launch["query"]["origin"] == [sandbox.url]
    claims = jwt.decode(
        launch["token"],
        sandbox.public_key_pem,
        algorithms=["RS256"],
        audience=sandbox.audience(),
        issuer="acme.zendesk.com",
    )
    assert claims["sub"].endswith("/users/2.json")
    assert launch["query"]["app_guid"] == [results["context"]["instanceGuid"]]

    assert results["context"]["location"] == "ticket_sidebar"
    assert results["context"]["ticketId"] == 2
    assert results["metadata"]["installationId"] == sandbox.installation_id
    got = results["got"]
    assert got["errors"] == {}
    assert (got["ticket.id"], got["ticket.subject"]) == (2, "Item arrived broken")
    assert got["ticket.description"] == "The mug is cracked."
    assert got["ticket.requester"]["email"] == got["ticket.requester.email"] == "lea@example.net"
    assert got[f"ticket.customField:custom_field_{ORDER_FIELD}"] == "113-8760632-7699197"
    assert got["requirement:order_id"] == {"requirement_id": ORDER_FIELD}
    assert got["currentUser"]["locale"] == "fr"
    assert got["currentUser"]["timeZone"]["ianaName"] == "Europe/Paris"
    assert got["ticket.tags"] == []
    assert results["singleError"].startswith('"ticket.nonexistent"')
    assert set(results["manyErrors"]) == {"ticket.nope"}
    assert results["me"]["user"]["id"] == 2  # client.request as the agent, on this account
    assert results["proxyRefused"] == 0

    editor = page.inner_html("#reply-editor")
    assert '<a href="https://track.example/1Z999">1Z999</a>' in editor
    assert "onerror" not in editor and " &amp; more" in editor
    assert results["commentText"] == editor
    assert page.evaluate("window.pwned === undefined")
    assert page.eval_on_selector("#app-sidebar", "f => f.style.height") == "321px"
    assert page.inner_text("#notifications") == "Saved <b>note</b>"
    assert page.is_checked("input[name=visibility][value=internal]")
    assert page.input_value(f"#custom-field-{ORDER_FIELD}") == "111-0000000-0000000"
    assert page.evaluate("window.zafHost.rejected") == 0


def test_plain_text_mode_inserts_text(
    make_sandbox: Start, app_server: AppServer, browser: Any
) -> None:
    sandbox = make_sandbox(app_url=app_server.url)
    page = open_ticket(browser, sandbox, 1, "?editor=plain")
    app_results(page)
    assert page.input_value("#reply-plain") == "1Z999 (https://track.example/1Z999) & more"
    assert page.inner_html("#reply-editor") == ""


def test_messages_from_another_origin_are_ignored(
    make_sandbox: Start, app_server: AppServer, browser: Any
) -> None:
    sandbox = make_sandbox(app_url=app_server.url)
    page = open_ticket(browser, sandbox, 1)
    app_results(page)
    before = len(page.evaluate("window.zafHost.log"))
    forged = json.dumps(
        {"id": 99, "request": "invoke", "params": {"comment.appendText": ["forged"]}}
    )
    page.evaluate("m => window.postMessage(m, '*')", forged)
    page.wait_for_function("window.zafHost.rejected > 0")
    assert len(page.evaluate("window.zafHost.log")) == before
    assert "forged" not in page.inner_html("#reply-editor")


def test_submitting_the_reply_stores_the_inserted_link(
    make_sandbox: Start, app_server: AppServer, browser: Any
) -> None:
    sandbox = make_sandbox(app_url=app_server.url)
    page = open_ticket(browser, sandbox, 1)
    app_results(page)
    page.click("#reply-submit")
    page.wait_for_url(f"{sandbox.url}/agent/tickets/1")
    comment = sandbox.tickets[1].comments[-1]
    assert comment.public is False  # the app set comment.type to internalNote
    assert (
        comment.html_body is not None and 'href="https://track.example/1Z999"' in comment.html_body
    )
    assert "onerror" not in comment.html_body
    assert comment.body.startswith("1Z999")
