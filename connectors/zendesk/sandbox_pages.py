"""The sandbox's agent UI: ticket list, ticket page with our sidebar app, nav_bar page.

Every string a customer wrote goes through ``html.escape``; the data the host script needs
(``host.js``) travels as JSON in a ``<script type="application/json">`` with ``<``, ``>``
and ``&`` escaped, so no ticket text can close the element. Stable ids for browser tests:
``#ticket-list a.ticket``, ``#ticket-subject``, ``#reply-editor``, ``iframe#app-sidebar``,
``iframe#app-nav-bar``, ``#notifications``.

Query options on agent pages: ``agent`` (user id), ``locale`` and ``tz`` (IANA) override the
agent's, ``editor=plain`` starts the reply editor in plain-text mode.
"""

from __future__ import annotations

import html
import json
import re
import uuid
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from connectors.zendesk.sandbox_data import Ticket, User, iso

if TYPE_CHECKING:
    from connectors.zendesk.sandbox import Reply, ZendeskSandbox

SESSION_HEADER = "X-Zendesk-Sandbox-Session"
HOST_SCRIPT = Path(__file__).with_name("host.js")
_LOCALE = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})?")
_STYLE = """
body{font:14px system-ui,sans-serif;margin:0;color:#2f3941;background:#f8f9f9}
header{background:#03363d;color:#fff;padding:8px 16px}header a{color:#fff}
main{display:flex;gap:16px;padding:16px}#ticket{flex:1;min-width:0}
#apps{width:340px;flex:none}#apps iframe{width:100%;height:480px;border:1px solid #d8dcde;
background:#fff}.comment{background:#fff;border:1px solid #d8dcde;margin:8px 0;padding:8px}
.comment.internal{background:#fff6e0}.meta{color:#68737d;font-size:12px}
.body{white-space:pre-wrap}#reply-editor{min-height:90px;background:#fff;border:1px solid
#87929d;padding:8px}#reply-plain{width:100%;min-height:90px}.hidden{display:none}
#notifications div{padding:6px;margin:4px 0;border-radius:4px;background:#e9ebed}
#notifications .error{background:#f5d5d8}#notifications .alert{background:#fff0b3}
#ticket-list td{padding:4px 8px}table{border-collapse:collapse}
"""


def handle(
    sandbox: ZendeskSandbox,
    method: str,
    path: str,
    query: dict[str, list[str]],
    headers: dict[str, str],
    body: bytes,
) -> Reply:
    """Answer one agent-UI request."""
    from connectors.zendesk.sandbox import Reply

    if method in ("GET", "HEAD") and path in ("/", "/agent", "/agent/", "/agent/tickets"):
        return _page(200, "Tickets", _ticket_list(sandbox, query))
    if method == "GET" and path == "/_assets/host.js":
        return Reply(
            200,
            HOST_SCRIPT.read_bytes(),
            "text/javascript; charset=utf-8",
            (("Cache-Control", "no-store"),),
        )
    ticket_page = re.fullmatch(r"/agent/tickets/(\d+)", path)
    if ticket_page and method in ("GET", "HEAD"):
        return _ticket_page(sandbox, int(ticket_page[1]), query)
    reply = re.fullmatch(r"/agent/tickets/(\d+)/reply", path)
    if reply and method == "POST":
        return _post_reply(sandbox, int(reply[1]), query, body)
    if method == "GET" and path == "/agent/apps/claimdesk":
        return _nav_bar_page(sandbox, query)
    return _page(404, "Not found", "<p>There is no page here.</p>")


# --- who is looking


class _BadOption(ValueError):
    pass


def _viewer(sandbox: ZendeskSandbox, query: dict[str, list[str]]) -> tuple[User, str, str]:
    """The agent, locale and IANA time zone the page is shown for."""
    raw = (query.get("agent") or [""])[-1]
    if raw:
        user = sandbox.users.get(int(raw)) if raw.isdigit() else None
        if user is None or user.role not in ("agent", "admin"):
            raise _BadOption(f"agent {raw!r} is not an agent of this account")
    else:
        user = sandbox.default_agent()
    locale = (query.get("locale") or [""])[-1] or user.locale
    if not _LOCALE.fullmatch(locale):
        raise _BadOption(f"locale {locale!r} is not a locale like fr or pt-BR")
    zone = (query.get("tz") or [""])[-1] or user.time_zone
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise _BadOption(f"tz {zone!r} is not an IANA time zone") from None
    return user, locale, zone


def _carry(query: dict[str, list[str]]) -> str:
    """The viewer options, to keep on links."""
    kept = {k: v[-1] for k, v in query.items() if k in ("agent", "locale", "tz", "editor") and v}
    return ("?" + urlencode(kept)) if kept else ""


# --- ZAF data


def zaf_user(user: User, locale: str | None = None, zone: str | None = None) -> dict[str, Any]:
    """A user as the ZAF SDK returns it (``currentUser``, ``ticket.requester``)."""
    iana = zone or user.time_zone
    offset = datetime.now(ZoneInfo(iana)).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "+" if minutes >= 0 else "-"
    formatted = f"GMT{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "locale": locale or user.locale,
        "role": user.role,
        "timeZone": {
            "name": iana,
            "ianaName": iana,
            "offset": minutes,
            "formattedOffset": formatted,
        },
        "avatarUrl": None,
        "alias": "",
        "groups": [],
        "externalId": None,
        "tags": [],
    }


def zaf_ticket(sandbox: ZendeskSandbox, ticket: Ticket) -> dict[str, Any]:
    """A ticket as the ZAF SDK returns it (``ticket``)."""
    requester = sandbox.users[ticket.requester_id]
    assignee = sandbox.users.get(ticket.assignee_id) if ticket.assignee_id else None
    conversation = []
    for comment in ticket.comments:
        author = sandbox.users.get(comment.author_id)
        conversation.append(
            {
                "author": {
                    "id": comment.author_id,
                    "name": author.name if author else "",
                    "email": author.email if author else "",
                    "role": author.role if author else "end-user",
                },
                "channel": {"name": comment.channel},
                "message": {
                    "content": sandbox.comment_json(comment)["html_body"],
                    "contentType": "text/html",
                },
                "timestamp": iso(comment.created_at),
                "public": comment.public,
            }
        )
    return {
        "id": ticket.id,
        "subject": ticket.subject,
        "description": ticket.comments[0].body,
        "status": ticket.status,
        "priority": ticket.priority,
        "type": ticket.type,
        "tags": list(ticket.tags),
        "createdAt": iso(ticket.created_at),
        "updatedAt": iso(ticket.updated_at),
        "externalId": None,
        "via": {"channel": ticket.channel, "source": {}},
        "requester": zaf_user(requester),
        "assignee": {"user": zaf_user(assignee) if assignee else None, "group": None},
        "brand": {"id": 1, "name": sandbox.subdomain},
        "conversation": conversation,
    }


def _launch(
    sandbox: ZendeskSandbox,
    location: str,
    path: str,
    user: User,
    locale: str,
    zone: str,
    ticket: Ticket | None,
) -> dict[str, Any]:
    guid = str(uuid.uuid4())
    context: dict[str, Any] = {
        "product": "support",
        "location": location,
        "instanceGuid": guid,
        "account": {"subdomain": sandbox.subdomain},
    }
    data: dict[str, Any] = {
        "currentUser": zaf_user(user, locale, zone),
        "currentAccount": {
            "subdomain": sandbox.subdomain,
            "planName": "enterprise",
            "timeZone": {"ianaName": zone},
        },
    }
    fields: dict[str, str | None] = {}
    if ticket is not None:
        context["ticketId"] = ticket.id
        data["ticket"] = zaf_ticket(sandbox, ticket)
        fields = {str(f.id): ticket.custom_fields.get(f.id) for f in sandbox.fields}
    return {
        "appUrl": sandbox.app_url,
        "appPath": path,
        "appGuid": guid,
        "location": location,
        "token": sandbox.mint_token(user.id, location),
        "context": context,
        "metadata": {
            "appId": sandbox.app_id,
            "installationId": sandbox.installation_id,
            "name": sandbox.app_name,
            "version": "1.0.0",
            "settings": {"title": sandbox.app_name},
            "plan": {"name": None},
        },
        "data": data,
        "customFields": fields,
        "requirements": {k: {"requirement_id": v} for k, v in sandbox.requirements.items()},
        "session": sandbox.session_token(user.id),
        "sessionHeader": SESSION_HEADER,
    }


def _json_script(element_id: str, value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    for raw, escaped in (
        ("&", "\\u0026"),
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(raw, escaped)
    return f'<script type="application/json" id="{element_id}">{text}</script>'


# --- pages


def _page(status: int, title: str, content: str, *, script: bool = False) -> Reply:
    from connectors.zendesk.sandbox import Reply

    tail = '<script src="/_assets/host.js"></script>' if script else ""
    document = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)} – Zendesk sandbox</title><style>{_STYLE}</style></head>"
        '<body><header><a href="/agent">Zendesk sandbox</a> · '
        '<a href="/agent/apps/claimdesk">claimdesk</a></header>'
        f"{content}{tail}</body></html>"
    )
    headers = (("Cache-Control", "no-store"), ("X-Content-Type-Options", "nosniff"))
    return Reply(status, document.encode(), "text/html; charset=utf-8", headers)


def _error_page(status: int, message: str) -> Reply:
    return _page(status, "Error", f'<p id="error" role="alert">{html.escape(message)}</p>')


def _ticket_list(sandbox: ZendeskSandbox, query: dict[str, list[str]]) -> str:
    carry = html.escape(_carry(query))
    with sandbox._lock:
        tickets = sorted(sandbox.tickets.values(), key=lambda t: t.id, reverse=True)
        rows = []
        for ticket in tickets:
            requester = sandbox.users[ticket.requester_id]
            rows.append(
                f'<tr data-ticket-id="{ticket.id}"><td>#{ticket.id}</td>'
                f'<td><a class="ticket" href="/agent/tickets/{ticket.id}{carry}">'
                f"{html.escape(ticket.subject)}</a></td>"
                f"<td>{html.escape(requester.name)}</td><td>{html.escape(ticket.status)}</td>"
                f"<td>{html.escape(iso(ticket.updated_at))}</td></tr>"
            )
    return (
        f"<main><section><h1>Tickets ({len(tickets)})</h1>"
        '<table id="ticket-list"><thead><tr><th>ID</th><th>Subject</th><th>Requester</th>'
        f"<th>Status</th><th>Updated</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
        "</section></main>"
    )


def _ticket_page(sandbox: ZendeskSandbox, ticket_id: int, query: dict[str, list[str]]) -> Reply:
    try:
        user, locale, zone = _viewer(sandbox, query)
    except _BadOption as problem:
        return _error_page(400, str(problem))
    with sandbox._lock:
        ticket = sandbox.tickets.get(ticket_id)
        if ticket is None:
            return _error_page(404, f"There is no ticket #{ticket_id}.")
        requester = sandbox.users[ticket.requester_id]
        launch = _launch(sandbox, "ticket_sidebar", "/sidebar", user, locale, zone, ticket)
        comments = "".join(_comment_html(sandbox, c) for c in ticket.comments)
        fields = "".join(
            f'<label>{html.escape(f.title)} <input id="custom-field-{f.id}" '
            f'name="custom_field_{f.id}" form="reply-form" '
            f'value="{html.escape(ticket.custom_fields.get(f.id) or "")}"></label>'
            for f in sandbox.fields
        )
        tags = "".join(f'<li class="tag">{html.escape(t)}</li>' for t in ticket.tags)
        plain = (query.get("editor") or [""])[-1] == "plain"
        content = f"""
<main><section id="ticket" data-ticket-id="{ticket.id}">
<h1 id="ticket-subject">{html.escape(ticket.subject)}</h1>
<p class="meta">#{ticket.id} · <span id="ticket-status">{html.escape(ticket.status)}</span> ·
<span id="ticket-priority">{html.escape(ticket.priority or "-")}</span> · requester
<span id="ticket-requester">{html.escape(requester.name)}</span>
&lt;<span id="ticket-requester-email">{html.escape(requester.email)}</span>&gt; ·
viewed by <span id="current-agent">{html.escape(user.name)}</span></p>
<div id="ticket-fields">{fields}</div><ul id="ticket-tags">{tags}</ul>
<div id="conversation">{comments}</div>
<form id="reply-form" method="post"
 action="/agent/tickets/{ticket.id}/reply{html.escape(_carry(query))}">
<p><label><input type="radio" name="visibility" value="public" checked> Public reply</label>
<label><input type="radio" name="visibility" value="internal"> Internal note</label>
<button type="button" id="editor-mode">{"Rich text" if plain else "Plain text"}</button></p>
<div id="reply-editor" contenteditable="true" role="textbox" aria-multiline="true"
 class="{"hidden" if plain else ""}"></div>
<textarea id="reply-plain" class="{"" if plain else "hidden"}"></textarea>
<input type="hidden" name="html_body" id="reply-html">
<input type="hidden" name="body" id="reply-text">
<input type="hidden" name="mode" id="reply-mode" value="{"plain" if plain else "rich"}">
<p><button type="submit" id="reply-submit">Submit</button></p></form>
</section>
<aside id="apps"><div id="notifications" aria-live="polite"></div>
<iframe id="app-sidebar" name="app-sidebar" title="{html.escape(sandbox.app_name)}"></iframe>
</aside></main>{_json_script("zaf-host-data", launch)}"""
    return _page(200, f"#{ticket.id} {ticket.subject}", content, script=True)


def _nav_bar_page(sandbox: ZendeskSandbox, query: dict[str, list[str]]) -> Reply:
    try:
        user, locale, zone = _viewer(sandbox, query)
    except _BadOption as problem:
        return _error_page(400, str(problem))
    with sandbox._lock:
        launch = _launch(sandbox, "nav_bar", "/claims", user, locale, zone, None)
    content = (
        '<main><section id="ticket"><div id="notifications" aria-live="polite"></div>'
        f'<iframe id="app-nav-bar" name="app-nav-bar" title="{html.escape(sandbox.app_name)}"'
        ' style="width:100%;height:80vh"></iframe></section></main>'
        + _json_script("zaf-host-data", launch)
    )
    return _page(200, sandbox.app_name, content, script=True)


def _comment_html(sandbox: ZendeskSandbox, comment: Any) -> str:
    author = sandbox.users.get(comment.author_id)
    name = author.name if author else f"user {comment.author_id}"
    kind = "public" if comment.public else "internal"
    return (
        f'<article class="comment {kind}" data-comment-id="{comment.id}">'
        f'<p class="meta"><span class="author">{html.escape(name)}</span> · '
        f"{html.escape(iso(comment.created_at))} · {kind}</p>"
        f'<div class="body">{html.escape(comment.body)}</div></article>'
    )


def _post_reply(
    sandbox: ZendeskSandbox, ticket_id: int, query: dict[str, list[str]], body: bytes
) -> Reply:
    from connectors.zendesk.sandbox import ApiError, Reply

    try:
        user, _locale, _zone = _viewer(sandbox, query)
    except _BadOption as problem:
        return _error_page(400, str(problem))
    form = {
        k: v[-1]
        for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()
    }
    with sandbox._lock:
        ticket = sandbox.tickets.get(ticket_id)
        if ticket is None:
            return _error_page(404, f"There is no ticket #{ticket_id}.")
        change: dict[str, Any] = {}
        text, markup = form.get("body", "").strip(), form.get("html_body", "").strip()
        if text or markup:
            comment: dict[str, Any] = {"public": form.get("visibility") != "internal"}
            if form.get("mode") == "rich" and markup:
                comment["html_body"] = markup
            comment["body"] = text or None
            change["comment"] = {k: v for k, v in comment.items() if v is not None}
        fields = [
            {"id": f.id, "value": form[f"custom_field_{f.id}"]}
            for f in sandbox.fields
            if f"custom_field_{f.id}" in form
        ]
        if fields:
            change["custom_fields"] = fields
        wait = sandbox.ui_update_allowed(user.id, ticket_id) if change else None
        if wait is not None:
            return _error_page(429, f"Too many updates to this ticket; try again in {wait} s.")
        try:
            if change:
                sandbox.update_ticket(ticket, change, user, "web")
        except ApiError as error:
            return _error_page(error.status, error.description)
    location = f"/agent/tickets/{ticket_id}{_carry(query)}"
    return Reply(303, b"", "text/plain", (("Location", location),))
