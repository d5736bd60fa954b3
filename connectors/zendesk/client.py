"""Calls to a Zendesk account's REST API. Only I/O lives here.

- ``fetch_app_public_key``: the key that verifies signed-URL launch tokens
  (``GET /api/v2/apps/{app_id}/public_key.pem``, research/zendesk.md §2.3), plain requests.
- ``ZendeskClient``: tickets, comments, audits, users and fields, and the write-back's one
  update per ticket (note + tags + priority + fields, ``safe_update``), on zenpy. Its session
  points zenpy at ``settings.base_url``, paces requests through an injected ``Pacer`` and
  bounds 429 waits by a budget (research §4.6, §5).
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry
from zenpy import Zenpy
from zenpy.lib.api_objects import Comment, Ticket
from zenpy.lib.exception import APIException, RecordNotFoundException, ZenpyException

from connectors.errors import AuthError, NotFound, RateLimited, UpstreamError
from connectors.http import TimeoutSession, build_session
from connectors.zendesk.models import (
    AuditData,
    CommentData,
    NewComment,
    TicketData,
    TicketFieldData,
    UpdateResult,
    UserData,
)
from connectors.zendesk.settings import ZendeskSettings

USER_AGENT = "claimdesk (+https://github.com/claimdesk/claimdesk)"
PEM_START = "-----BEGIN PUBLIC KEY-----"


def fetch_app_public_key(settings: ZendeskSettings, app_id: int) -> str:
    """The PEM public key Zendesk signs app ``app_id``'s launch tokens with.

    Raises:
        AuthError: the API token was refused.
        NotFound: no such app on this account.
        UpstreamError: anything else (no answer, 5xx, an answer that is not a PEM key).
    """
    if not settings.email or not settings.api_token:
        raise AuthError("no Zendesk API credentials to fetch the app's public key with")
    url = f"{settings.base_url.rstrip('/')}/api/v2/apps/{app_id}/public_key.pem"
    with build_session(USER_AGENT, timeout=settings.timeout) as session:
        try:
            response = session.get(url, auth=(f"{settings.email}/token", settings.api_token))
        except requests.RequestException as error:
            raise UpstreamError(
                f"Zendesk did not answer for the app public key: {type(error).__name__}",
                status=0,
            ) from None
    if response.status_code in (401, 403):
        raise AuthError("Zendesk refused the API token", status=response.status_code)
    if response.status_code == 404:
        raise NotFound(f"Zendesk has no app {app_id} on {settings.subdomain}")
    text = response.text.strip()
    if response.status_code != 200 or not text.startswith(PEM_START):
        raise UpstreamError(
            f"Zendesk answered {response.status_code} without a PEM public key",
            status=response.status_code,
        )
    return text + "\n"


# --- the ticket API, on zenpy --------------------------------------------------------------------

# What a ticket update may wait on 429s (Retry-After) in total before giving up with RateLimited:
# an RQ job should be re-enqueued rather than sleep through long waits (research §5).
DEFAULT_BUDGET = 30.0
# A 429 without Retry-After: Zendesk's limits are per minute.
DEFAULT_RETRY_AFTER = 60.0
# 409s (safe_update refused a stale stamp) one update retries, re-reading the ticket each time.
MAX_CONFLICTS = 3
_TICKET_WRITE = re.compile(r"/api/v2/tickets/(?P<id>\d+)(?:/tags)?(?:\.json)?")
_WRITE_METHODS = frozenset({"PUT", "POST", "DELETE"})


class Pacer(Protocol):
    """Pacing shared by every worker writing to one Zendesk account (the plugin's Redis token
    buckets). Each method returns the seconds to wait before sending."""

    def request(self, subdomain: str) -> float:
        """Any API request (the plan's requests per minute)."""
        ...

    def ticket_update(self, subdomain: str, ticket_id: int) -> float:
        """An update of ``ticket_id`` (100 a minute per account, 30 per ticket per 10 min)."""
        ...

    def throttled(self, subdomain: str, seconds: float) -> None:
        """Zendesk answered 429 with ``Retry-After: seconds``: hold every worker back."""
        ...


class _Conflict(Exception):
    """A 409: safe_update refused the stamp (internal: update_ticket retries)."""


class ZendeskSession(TimeoutSession):
    """The session zenpy sends through.

    - zenpy builds ``https://{subdomain}.zendesk.com/api/v2/…``; this session sends to
      ``settings.base_url`` instead (a sandbox in tests) and shows zenpy its own URL back, so
      nothing depends on zenpy's process-global ``ZENPY_FORCE_*`` variables.
    - Pacing: before each request (and each ticket write) it asks the ``Pacer`` how long to
      wait.
    - 429: it waits ``Retry-After`` and retries, within ``budget`` seconds per operation, then
      raises ``RateLimited(retry_after)``. zenpy never sees a 429 (its own loop is unbounded).
    """

    def __init__(
        self,
        settings: ZendeskSettings,
        *,
        budget: float,
        pacer: Pacer | None,
        sleep: Callable[[float], None],
    ):
        super().__init__(settings.timeout)
        self.headers["User-Agent"] = USER_AGENT
        self.auth = (f"{settings.email}/token", settings.api_token or "")
        adapter = HTTPAdapter(
            max_retries=Retry(total=None, connect=2, read=0, status=0, other=0, redirect=0),
            pool_connections=4,
            pool_maxsize=4,
        )
        self.mount("http://", adapter)
        self.mount("https://", adapter)
        self.subdomain = settings.subdomain
        self.origin = ZendeskSettings.production_url(settings.subdomain)
        self.target = settings.base_url.rstrip("/")
        self.budget = budget
        self.pacer = pacer
        self.sleep = sleep
        self.left = budget
        self.sent = 0  # requests sent (429s included): the benchmark's count

    def reset_budget(self) -> None:
        self.left = self.budget

    def request(
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        verb = method.decode() if isinstance(method, bytes) else method
        address = url.decode() if isinstance(url, bytes) else url
        if address.startswith(self.origin):
            address = self.target + address[len(self.origin) :]
        written = _TICKET_WRITE.fullmatch(urlsplit(address).path)
        ticket_id = int(written["id"]) if written and verb.upper() in _WRITE_METHODS else None
        while True:
            self._pace(ticket_id)
            try:
                response = super().request(verb, address, *args, **kwargs)
            except requests.RequestException as error:
                raise UpstreamError(
                    f"Zendesk did not answer: {type(error).__name__}", status=0
                ) from None
            self.sent += 1
            if response.status_code != 429:
                break
            wait = _retry_after(response)
            if self.pacer is not None:
                self.pacer.throttled(self.subdomain, wait)
            self._spend(wait, "Zendesk answered 429")
        if self.target != self.origin and response.request.url:
            response.request.url = _swap(response.request.url, self.target, self.origin)
        return response

    def _pace(self, ticket_id: int | None) -> None:
        if self.pacer is None:
            return
        wait = self.pacer.request(self.subdomain)
        if ticket_id is not None:
            wait = max(wait, self.pacer.ticket_update(self.subdomain, ticket_id))
        if wait > 0:
            self._spend(wait, "the account's pace")

    def _spend(self, seconds: float, why: str) -> None:
        """Wait ``seconds`` out of the budget, or raise RateLimited when it cannot cover them."""
        if seconds > self.left:
            raise RateLimited(
                f"{why}: waiting {seconds:.1f}s is over the {self.budget:.0f}s budget",
                retry_after=seconds,
            )
        self.left -= seconds
        self.sleep(seconds)


class ZendeskClient:
    """One Zendesk account's ticket API, on zenpy (research/zendesk.md §4-§5).

    Every method raises only ``connectors.errors``: ``AuthError`` (401/403), ``NotFound``,
    ``RateLimited`` (429s past the budget), ``UpstreamError`` (anything else, with the status
    and Zendesk's error code).
    """

    def __init__(
        self,
        settings: ZendeskSettings,
        *,
        ratelimit_budget: float = DEFAULT_BUDGET,
        pacer: Pacer | None = None,
        max_conflicts: int = MAX_CONFLICTS,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if not settings.email or not settings.api_token:
            raise AuthError(f"no Zendesk API credentials for {settings.subdomain}")
        self.settings = settings
        self.max_conflicts = max_conflicts
        self.session = ZendeskSession(settings, budget=ratelimit_budget, pacer=pacer, sleep=sleep)
        # anonymous: zenpy keeps our session's auth instead of overwriting it (research §5).
        self._zenpy = Zenpy(
            subdomain=settings.subdomain,
            session=self.session,
            anonymous=True,
            disable_cache=True,
            timeout=settings.timeout,  # zenpy passes its own (60 s) to every call otherwise
        )

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> ZendeskClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def requests_sent(self) -> int:
        return self.session.sent

    # --- reads -----------------------------------------------------------------------------------

    def ticket(self, ticket_id: int) -> TicketData:
        found = self._call(f"ticket {ticket_id}", lambda: self._zenpy.tickets(id=ticket_id))
        return _ticket(found.to_dict())

    def comments(self, ticket_id: int) -> list[CommentData]:
        """Every comment of the ticket, oldest first."""
        found = self._call(
            f"comments of ticket {ticket_id}",
            lambda: [c.to_dict() for c in self._zenpy.tickets.comments(ticket=ticket_id)],
        )
        return [_comment(item) for item in found]

    def audits(self, ticket_id: int) -> list[AuditData]:
        """Every audit of the ticket, oldest first."""
        found = self._call(
            f"audits of ticket {ticket_id}",
            lambda: [a.to_dict() for a in self._zenpy.tickets.audits(ticket=ticket_id)],
        )
        return [_audit(item) for item in found]

    def tickets_by_external_id(self, external_id: str) -> list[TicketData]:
        """Every ticket carrying ``external_id`` (``GET /tickets.json?external_id=``), oldest
        first: Zendesk does not keep external ids unique."""
        found = self._call(
            "tickets by external id",
            lambda: [t.to_dict() for t in self._zenpy.tickets(external_id=external_id)],
        )
        return sorted((_ticket(t) for t in found), key=lambda t: t.id)

    def me(self) -> UserData:
        """The user the API token belongs to."""
        found = self._call("the API user", lambda: self._zenpy.users.me())
        return _user(found.to_dict())

    def user(self, user_id: int) -> UserData:
        found = self._call(f"user {user_id}", lambda: self._zenpy.users(id=user_id))
        return _user(found.to_dict())

    def find_user_by_email(self, email: str) -> UserData | None:
        found = self._call(
            "a user by email",
            lambda: [u.to_dict() for u in self._zenpy.search(type="user", email=email)],
        )
        wanted = email.strip().lower()
        return next((_user(u) for u in found if str(u.get("email") or "").lower() == wanted), None)

    def ticket_fields(self) -> list[TicketFieldData]:
        found = self._call(
            "ticket fields", lambda: [f.to_dict() for f in self._zenpy.ticket_fields()]
        )
        return [
            TicketFieldData(
                id=int(f["id"]),
                title=str(f.get("title") or ""),
                type=str(f.get("type") or ""),
                active=bool(f.get("active", True)),
                key=f.get("key"),
            )
            for f in found
        ]

    # --- writes ----------------------------------------------------------------------------------

    def update_ticket(
        self,
        ticket_id: int,
        *,
        comment: NewComment | None = None,
        add_tags: Sequence[str] = (),
        priority: str | None = None,
        custom_fields: Mapping[int, Any] | None = None,
        status: str | None = None,
        updated_stamp: str | None = None,
    ) -> UpdateResult:
        """One update carrying the note, the tags, priority, fields and status together.

        It reads the ticket (unless ``updated_stamp`` is given and there are no tags to merge),
        sends ``safe_update`` with the ticket's ``updated_at`` and, on 409, reads it again and
        retries, at most ``max_conflicts`` times. Tags are only ever added: the update sends
        the ticket's tags plus the missing ones, and safe_update refuses it if anyone changed
        the ticket since it was read (research §4.1). An update with nothing to change sends
        nothing (``audit_id`` None).
        """
        wanted = _normal_tags(add_tags)
        self.session.reset_budget()
        conflicts = attempts = 0
        current: TicketData | None = None
        stamp = updated_stamp
        while True:
            if current is None and (stamp is None or wanted):
                current = self.ticket(ticket_id)
                stamp = current.updated_at if stamp is None else stamp
            missing = tuple(t for t in wanted if current is None or t not in current.tags)
            values: dict[str, Any] = {}
            if comment is not None:
                values["comment"] = Comment(
                    **({"html_body": comment.html_body} if comment.html_body else {}),
                    body=comment.body,
                    public=comment.public,
                )
            if missing and current is not None:
                values["tags"] = [*current.tags, *missing]
            if priority is not None and (current is None or current.priority != priority):
                values["priority"] = priority
            if status is not None and (current is None or current.status != status):
                values["status"] = status
            fields = {
                int(k): v
                for k, v in (custom_fields or {}).items()
                if current is None or current.custom_fields.get(int(k)) != v
            }
            if fields:
                values["custom_fields"] = [{"id": k, "value": v} for k, v in fields.items()]
            if not values and current is not None:
                return UpdateResult(current, None, attempts, conflicts, ())
            change = Ticket(id=ticket_id, **values)
            change.safe_update = True
            change.updated_stamp = stamp  # the ISO string: zenpy cuts datetimes to a date
            attempts += 1
            try:
                answer = self._call(
                    f"update of ticket {ticket_id}",
                    functools.partial(self._zenpy.tickets.update, change),
                    conflict=True,
                )
            except _Conflict:
                conflicts += 1
                if conflicts > self.max_conflicts:
                    raise UpstreamError(
                        f"ticket {ticket_id} kept changing: {conflicts} update conflicts",
                        status=409,
                        code="UpdateConflict",
                    ) from None
                current, stamp = None, None
                continue
            document = answer.to_dict()
            ticket = _ticket(document["ticket"])
            audit = document.get("audit") or {}
            return UpdateResult(ticket, _int(audit.get("id")), attempts, conflicts, missing)

    def create_ticket(
        self,
        *,
        subject: str,
        comment: NewComment,
        requester_id: int | None = None,
        tags: Sequence[str] = (),
        priority: str | None = None,
        custom_fields: Mapping[int, Any] | None = None,
        external_id: str | None = None,
    ) -> TicketData:
        """A new ticket (its requester defaults to the API user). ``external_id`` lets a
        later ``tickets_by_external_id`` find it, even when the creator died before saving
        the ticket's id."""
        self.session.reset_budget()
        ticket = Ticket(subject=subject, comment=Comment(body=comment.body, public=comment.public))
        if external_id is not None:
            ticket.external_id = external_id
        if requester_id is not None:
            ticket.requester_id = requester_id
        if tags:
            ticket.tags = list(_normal_tags(tags))
        if priority is not None:
            ticket.priority = priority
        if custom_fields:
            ticket.custom_fields = [{"id": int(k), "value": v} for k, v in custom_fields.items()]
        answer = self._call("a new ticket", lambda: self._zenpy.tickets.create(ticket))
        return _ticket(answer.to_dict()["ticket"])

    # --- errors ----------------------------------------------------------------------------------

    def _call(self, what: str, call: Callable[[], _T], *, conflict: bool = False) -> _T:
        """``call()`` with zenpy's and requests' errors turned into connector errors."""
        try:
            return call()
        except RecordNotFoundException:
            raise NotFound(f"Zendesk has no {what} on {self.settings.subdomain}") from None
        except APIException as error:
            status, code, text = _error_of(error.response)
            if status == 409 and conflict:
                raise _Conflict() from None
            raise _status_error(what, status, code, text) from None
        except requests.HTTPError as error:
            status, code, text = _error_of(error.response)
            raise _status_error(what, status, code, text) from None
        except ZenpyException as error:
            raise UpstreamError(f"Zendesk {what}: {error}", status=0) from None


_T = TypeVar("_T")


def _status_error(what: str, status: int, code: str, text: str) -> Exception:
    if status in (401, 403):
        return AuthError(f"Zendesk refused the API token ({what})", status=status, code=code)
    if status == 404:
        return NotFound(f"Zendesk has no {what}", code=code)
    detail = f": {text}" if text else ""
    return UpstreamError(f"Zendesk answered {status} to {what}{detail}", status=status, code=code)


def _error_of(response: requests.Response | None) -> tuple[int, str, str]:
    if response is None:
        return 0, "", ""
    try:
        body = response.json()
    except ValueError:
        return response.status_code, "", ""
    if not isinstance(body, dict):
        return response.status_code, "", ""
    error = body.get("error")
    code = error if isinstance(error, str) else str((error or {}).get("title") or "")
    text = str(body.get("description") or "")
    details = body.get("details")
    if isinstance(details, dict):  # RecordInvalid: {"status": [{"description": …}], …}
        reasons = [
            str(item.get("description") or item.get("error"))
            for items in details.values()
            if isinstance(items, list)
            for item in items
            if isinstance(item, dict)
        ]
        text = "; ".join([text, *reasons]) if reasons else text
    return response.status_code, code, text[:300]


def _retry_after(response: requests.Response) -> float:
    raw = response.headers.get("Retry-After")
    try:
        seconds = float(raw) if raw is not None else DEFAULT_RETRY_AFTER
    except ValueError:
        seconds = DEFAULT_RETRY_AFTER
    return max(0.0, min(seconds, 3600.0))


def _swap(url: str, prefix: str, replacement: str) -> str:
    return replacement + url[len(prefix) :] if url.startswith(prefix) else url


def _normal_tags(tags: Sequence[str]) -> tuple[str, ...]:
    """Zendesk's tag form (lower case, no spaces), in order, without repeats."""
    seen: list[str] = []
    for tag in tags:
        value = str(tag).strip().lower().replace(" ", "_")
        if not value:
            raise ValueError("a tag cannot be empty")
        if value not in seen:
            seen.append(value)
    return tuple(seen)


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | str) and str(value).isdigit() else None


def _channel(document: Mapping[str, Any]) -> str | None:
    via = document.get("via")
    return str(via.get("channel")) if isinstance(via, dict) and via.get("channel") else None


def _ticket(document: Mapping[str, Any]) -> TicketData:
    fields = document.get("custom_fields") or document.get("fields") or []
    return TicketData(
        id=int(document["id"]),
        subject=str(document.get("subject") or ""),
        status=str(document.get("status") or ""),
        priority=document.get("priority"),
        tags=tuple(str(t) for t in document.get("tags") or ()),
        updated_at=str(document.get("updated_at") or ""),
        created_at=str(document.get("created_at") or ""),
        requester_id=_int(document.get("requester_id")),
        assignee_id=_int(document.get("assignee_id")),
        description=str(document.get("description") or ""),
        custom_fields={
            int(f["id"]): f.get("value") for f in fields if isinstance(f, dict) and "id" in f
        },
        channel=_channel(document),
        external_id=None if document.get("external_id") is None else str(document["external_id"]),
    )


def _comment(document: Mapping[str, Any]) -> CommentData:
    return CommentData(
        id=int(document["id"]),
        author_id=_int(document.get("author_id")),
        body=str(document.get("body") or document.get("plain_body") or ""),
        html_body=document.get("html_body"),
        public=bool(document.get("public", True)),
        created_at=str(document.get("created_at") or ""),
        audit_id=_int(document.get("audit_id")),
        channel=_channel(document),
    )


def _audit(document: Mapping[str, Any]) -> AuditData:
    return AuditData(
        id=int(document["id"]),
        ticket_id=int(document["ticket_id"]),
        author_id=_int(document.get("author_id")),
        created_at=str(document.get("created_at") or ""),
        events=tuple(e for e in document.get("events") or () if isinstance(e, dict)),
        metadata=dict(document.get("metadata") or {}),
        channel=_channel(document),
    )


def _user(document: Mapping[str, Any]) -> UserData:
    return UserData(
        id=int(document["id"]),
        name=str(document.get("name") or ""),
        email=document.get("email"),
        role=document.get("role"),
        locale=document.get("locale"),
        time_zone=document.get("time_zone"),
    )
