"""The Zendesk app package in ``manifest/``: its validator and its packager.

Zendesk validates an uploaded app on its servers with the Ruby gem ``zendesk_apps_support``
(ZAS); ``zcli apps:validate`` only uploads the zip. ``check_package`` mirrors the ZAS rules that
can be checked without Zendesk (``lib/zendesk_apps_support/validations/*.rb`` at f3de3c7, with the
same error texts where ZAS has one), so a broken package fails here, in CI, and not at upload.
It adds claimdesk's own rules: logo sizes (marketplace review), the nav bar icon, safe SVG, the
shape of the triggers in ``requirements.json`` and the webhook body the server expects, and no
secrets anywhere (credentials live on the claimdesk server, never in the app).

ZAS warnings that matter to a marketplace review (secret-looking text, token-named settings) are
errors here. Rules ZAS applies only to v1 apps (templates, stylesheets) and to custom objects v2
are not mirrored: this package uses neither.

Everything but the zip writer and the file reads is pure.
"""

from __future__ import annotations

import json
import re
import stat
import struct
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree

from plugin.errors import PluginError

DEFAULT_PACKAGE = Path(__file__).resolve().parent.parent / "manifest"

FRAMEWORK_VERSIONS = ("2.0",)  # ZAS AppVersion::TO_BE_SERVED
VALID_LOCALE = re.compile(r"^[a-z]{2,3}(-\w{2,3})?$")
TRANSLATION_PATH = re.compile(r"^translations/(.*)\.json$")
PARAMETER_TYPES = ("text", "checkbox", "url", "number", "multiline", "hidden", "oauth")
SECURE_SCOPES = (
    "header", "body", "url", "jwt_secret_key", "jwt_claim",
    "basic_auth_username", "basic_auth_password",
)  # fmt: skip
OAUTH_KEYS = ("client_id", "client_secret", "authorize_uri", "access_token_uri")
MARKETPLACE_EXPERIMENTS = ("hashParams", "newCssCompiler")
PUBLIC_TRANSLATION_KEYS = ("name", "short_description", "installation_instructions",
                           "long_description")  # fmt: skip

# Products (with their legacy names) and the locations each offers: ZAS product.rb, location.rb.
PRODUCT_ALIASES = {"zendesk": "support", "zopim": "chat", "lotus_box": "standalone_chat"}
LOCATIONS = {
    "support": ("top_bar", "nav_bar", "ticket_sidebar", "new_ticket_sidebar", "user_sidebar",
                "organization_sidebar", "background", "modal", "ticket_editor", "system_top_bar"),
    "chat": ("chat_sidebar", "background"),
    "standalone_chat": ("nav_bar", "system_top_bar"),
    "sell": ("deal_card", "person_card", "company_card", "lead_card", "background", "modal",
             "dashboard", "note_editor", "call_log_editor", "email_editor", "top_bar",
             "visit_editor"),
}  # fmt: skip
# Locations Zendesk draws an icon for (ZAS package.rb LOCATIONS_WITH_ICONS_PER_PRODUCT).
ICON_LOCATIONS = {"support": ("top_bar", "nav_bar", "system_top_bar", "ticket_editor"),
                  "sell": ("top_bar",)}  # fmt: skip

REQUIREMENT_TYPES = (
    "automations", "channel_integrations", "custom_objects", "macros", "targets", "views",
    "ticket_fields", "triggers", "user_fields", "organization_fields", "webhooks",
    "custom_objects_v2",
)  # fmt: skip
UNTITLED_REQUIREMENTS = ("channel_integrations", "custom_objects", "webhooks", "custom_objects_v2")
WEBHOOK_KEYS = ("name", "status", "endpoint", "http_method", "request_format")
MAX_REQUIREMENTS = 5000
MAX_CUSTOM_OBJECTS = 50
# Ticket field types of the Ticket Fields API (the requirement is that API's POST payload).
TICKET_FIELD_TYPES = ("text", "textarea", "checkbox", "date", "integer", "decimal", "regexp",
                      "partialcreditcard", "multiselect", "tagger", "lookup")  # fmt: skip
WEBHOOK_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
WEBHOOK_FORMATS = ("json", "xml", "form_encoded")
WEBHOOK_STATUSES = ("active", "inactive")

# ZAS mime.rb: refused by file extension or by sniffed content.
BANNED_TYPES = (
    "vnd.rar", "rar", "zip", "gzip", "pdf", "doc", "docx", "avi", "bin", "bz", "bz2", "csh", "sh",
    "jar", "mp3", "mpeg", "odt", "pptx", "ppt", "xls", "xlsx", "7z",
)  # fmt: skip
MAGIC = (
    (b"PK\x03\x04", "zip"), (b"%PDF", "pdf"), (b"\x1f\x8b", "gzip"), (b"Rar!", "rar"),
    (b"7z\xbc\xaf\x27\x1c", "7z"), (b"BZh", "bz2"), (b"\xd0\xcf\x11\xe0", "doc"),
    (b"#!/bin/sh", "sh"), (b"#!/bin/bash", "sh"), (b"#!/usr/bin/env sh", "sh"),
    (b"#!/usr/bin/env bash", "sh"), (b"#!/bin/csh", "csh"), (b"ID3", "mp3"),
)  # fmt: skip

# ZAS secrets.rb (warnings there, errors here): keywords, then named patterns. Ruby's ``^``
# matches at every line start, hence re.M on the one pattern that uses it.
SECRET_KEYWORDS = re.compile(
    "password|secret|secretToken|secret_token|auth_key|authKey|auth_pass|authPass|auth_user"
    "|AuthUser|api_key"
)
_ASSIGN = r"( [:\"=-]|[:\"=-])"
_VALUE = r".*.[0-9a-zA-Z+_.-]{4,156}"
SECRET_PATTERNS = {
    "Slack token": re.compile(r"(xox[p|b|o|a]-*.[a-z0-9])"),
    "private key": re.compile(
        r"-----BEGIN (RSA |OPENSSH |DSA |EC |PGP )?PRIVATE KEY( BLOCK)?-----"
    ),
    "AWS access key id": re.compile(r"(AKIA[0-9A-Z]{8,24})"),
    "AWS secret access key": re.compile(
        r"(?i:aws[_-]secret[_-]access[_-]key).*.[0-9a-zA-Z]{24,48}"
    ),
    "Google OAuth client secret": re.compile(
        r"(?i:client[-_]secret)" + _ASSIGN + r".*[a-zA-Z0-9\-_]{16,32}"
    ),
    "GitHub token": re.compile(r"(?i:github)" + _ASSIGN + r".*.[0-9a-zA-Z]{30,45}"),
    "app key": re.compile(r"(?i:app[-_]key)" + _ASSIGN + _VALUE),
    "app secret": re.compile(r"(?i:app[-_]secret)" + _ASSIGN + _VALUE),
    "consumer key": re.compile(r"(?i:consumer[-_]key)" + _ASSIGN + _VALUE),
    "consumer secret": re.compile(r"(?i:consumer[-_]secret)" + _ASSIGN + _VALUE),
    "generic secret": re.compile(r"^(?i:secret)" + _ASSIGN + _VALUE, re.M),
    "master key": re.compile(r"(?i:master[-_]key)" + _ASSIGN + _VALUE),
    "token key": re.compile(r"(?i:token[-_]key)" + _ASSIGN + _VALUE),
    "token secret": re.compile(r"(?i:token[-_]secret)" + _ASSIGN + _VALUE),
    "private key setting": re.compile(r"(?i:private[-_]key)" + _ASSIGN + _VALUE),
    "password": re.compile(r"(?i:password)" + _VALUE),
    "token": re.compile(r"(?i:token)" + _ASSIGN + _VALUE),
}  # fmt: skip
SECRET_PARAMETER_NAME = re.compile("token|key|pwd|password", re.I)  # ZAS secure_settings.rb
SECRET_REQUIREMENT_KEYS = ("authentication", "signing_secret", "password", "token", "api_key",
                           "secret")  # fmt: skip

# The webhook body the claimdesk server reads (issue 6): key -> placeholder, "event" aside.
TRIAGE_WEBHOOK = "claimdesk_triage"
TRIAGE_BODY = {
    "ticket_id": "{{ticket.id}}",
    "ticket_url": "{{ticket.url}}",
    "subject": "{{ticket.title}}",
    "description": "{{ticket.description}}",
    "requester_email": "{{ticket.requester.email}}",
    "order_id": "{{ticket.ticket_field_order_id}}",
}
TRIAGE_EVENTS = {"created": "Create", "updated": "Change"}
API_CHANNEL = "5"  # via id of "Web service (API)": claimdesk's own updates arrive this way

UNSAFE_SVG_ELEMENTS = ("script", "foreignObject", "image", "iframe", "embed", "object", "use")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
LOGOS = {"assets/logo.png": 320, "assets/logo-small.png": 128}
BANNER_SIZES = ((830, 200), (1660, 400))
EPOCH = (1980, 1, 1, 0, 0, 0)  # the zip format's earliest timestamp: same bytes on every build


class ManifestError(PluginError):
    """The package cannot be checked or built; ``problems`` lists what the checks found."""

    def __init__(self, message: str, problems: Iterable[Problem] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)


@dataclass(frozen=True)
class Problem:
    """One rule broken by one file of the package."""

    file: str
    message: str
    rule: str

    def __str__(self) -> str:
        return f"{self.file}: {self.message}"


class DuplicateKeyError(ValueError):
    """A JSON object names the same key twice (ZAS refuses it; json.loads keeps the last)."""


@dataclass
class Package:
    """An app folder read once: its files (as ZAS lists them) and its parsed manifest."""

    root: Path
    files: dict[str, Path] = field(default_factory=dict)  # "assets/logo.png" -> file
    symlinks: list[str] = field(default_factory=list)
    manifest: dict[str, Any] | None = None
    manifest_problems: list[Problem] = field(default_factory=list)

    def has(self, name: str) -> bool:
        return name in self.files

    def read(self, name: str) -> bytes:
        return self.files[name].read_bytes()

    def text(self, name: str) -> str | None:
        """The file as UTF-8 text, or None when it is binary."""
        try:
            return self.read(name).decode("utf-8")
        except UnicodeDecodeError:
            return None

    @property
    def private(self) -> bool:
        return bool((self.manifest or {}).get("private", True))  # ZAS: private unless false


Rule = Callable[[Package], Iterator[Problem]]
RULES: list[tuple[str, Rule]] = []


def _rule(name: str) -> Callable[[Rule], Rule]:
    def register(function: Rule) -> Rule:
        RULES.append((name, function))
        return function

    return register


def check_package(path: Path) -> list[Problem]:
    """Every problem of the app folder (or zip) at ``path``; an empty list means it is valid."""
    path = Path(path)
    if path.is_file() and zipfile.is_zipfile(path):
        with tempfile.TemporaryDirectory(prefix="claimdesk-app-") as folder:
            refused = _extract(path, Path(folder))
            return refused + check_package(Path(folder))
    if not path.is_dir():
        raise ManifestError(f"{path} is neither an app folder nor a zip file")
    package = load(path)
    problems: list[Problem] = []
    for _name, rule in RULES:
        problems.extend(rule(package))
    return problems


def rule_names() -> list[str]:
    return [name for name, _rule in RULES]


def load(root: Path) -> Package:
    """Read the folder as ZAS does: dotfiles and ``tmp/`` are not part of the app."""
    package = Package(root=root)
    for item in sorted(root.rglob("*")):
        relative = item.relative_to(root).as_posix()
        if item.is_symlink():
            package.symlinks.append(relative)
            continue
        if _ignored(relative) or not item.is_file():
            continue
        package.files[relative] = item
    if package.has("manifest.json"):
        try:
            parsed = _parse_json(package.read("manifest.json"))
        except DuplicateKeyError as error:
            message = f"Duplicate keys are specified in the manifest.json file. {error}"
            package.manifest_problems.append(Problem("manifest.json", message, "manifest-json"))
        except ValueError as error:
            message = f"manifest is not proper JSON. {error}"
            package.manifest_problems.append(Problem("manifest.json", message, "manifest-json"))
        else:
            if isinstance(parsed, dict):
                package.manifest = parsed
            else:
                message = "manifest is not proper JSON. It must be an object."
                package.manifest_problems.append(Problem("manifest.json", message, "manifest-json"))
    return package


def _ignored(relative: str) -> bool:
    parts = PurePosixPath(relative).parts
    return parts[0] == "tmp" or any(part.startswith(".") for part in parts)


def _parse_json(data: bytes) -> Any:
    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for key, value in items:
            if key in found:
                raise DuplicateKeyError(f"Duplicate key: {key}")
            found[key] = value
        return found

    return json.loads(data.decode("utf-8"), object_pairs_hook=pairs)


def _extract(archive: Path, folder: Path) -> list[Problem]:
    """Unpack a zip for checking; symlinks and paths leaving the folder are refused."""
    problems = []
    with zipfile.ZipFile(archive) as opened:
        for info in opened.infolist():
            name = info.filename
            target = (folder / name).resolve()
            if stat.S_ISLNK(info.external_attr >> 16):
                problems.append(Problem(name, "Symlinks are not allowed in the zip file", "files"))
                continue
            if name.startswith("/") or not target.is_relative_to(folder.resolve()):
                problems.append(Problem(name, "path leaves the package root", "files"))
                continue
            opened.extract(info, folder)
    return problems


# --- manifest.json ------------------------------------------------------------------------------


@_rule("manifest-json")
def _manifest_file(package: Package) -> Iterator[Problem]:
    """manifest.json sits at the root and is one JSON object without duplicate keys."""
    if not package.has("manifest.json"):
        nested = [name for name in package.files if re.fullmatch(r"[^/]+/manifest\.json", name)]
        if nested:
            yield Problem(
                nested[0],
                f"Could not find manifest.json in the root of the zip file, but {nested[0]} "
                "was found. Try re-creating the archive from this directory.",
                "manifest-json",
            )
        else:
            yield Problem("manifest.json", "Could not find manifest.json", "manifest-json")
    yield from package.manifest_problems


def _only_support_locations(manifest: dict[str, Any]) -> bool:
    return bool(manifest.get("requirementsOnly") or manifest.get("marketingOnly"))


@_rule("required-keys")
def _required_keys(package: Package) -> Iterator[Problem]:
    manifest = package.manifest
    if manifest is None:
        return
    wanted = ["author", "defaultLocale"]
    if not _only_support_locations(manifest):
        wanted += ["location", "frameworkVersion"]
    missing = [key for key in wanted if manifest.get(key) in (None, {}, [], "")]
    if missing:
        noun = "field" if len(missing) == 1 else "fields"
        message = f"Missing required {noun} in manifest: {', '.join(missing)}"
        yield Problem("manifest.json", message, "required-keys")


@_rule("field-types")
def _field_types(package: Package) -> Iterator[Problem]:
    manifest = package.manifest
    if manifest is None:
        return
    for key in ("requirementsOnly", "marketingOnly", "singleInstall", "signedUrls", "private"):
        if key in manifest and not isinstance(manifest[key], bool):
            message = f'{key} must be a boolean value, got "{manifest[key]}".'
            yield Problem("manifest.json", message, "field-types")
    strings = (
        "defaultLocale",
        "version",
        "frameworkVersion",
        "remoteInstallationURL",
        "termsConditionsURL",
        "gaID",
    )
    for key in strings:
        if manifest.get(key) is not None and not isinstance(manifest[key], str):
            message = f'{key} must be a string, got "{manifest[key]}".'
            yield Problem("manifest.json", message, "field-types")
    author = manifest.get("author")
    if author is not None and not isinstance(author, dict):
        yield Problem(
            "manifest.json", "author must be an object with name, email and url.", "field-types"
        )
    elif isinstance(author, dict):
        for key in ("name", "email", "url"):
            if author.get(key) is not None and not isinstance(author[key], str):
                message = f'author {key} must be a string, got "{author[key]}".'
                yield Problem("manifest.json", message, "field-types")
    experiments = manifest.get("experiments", {})
    if not isinstance(experiments, dict):
        message = (
            "The manifest field experiments needs to be key-value pairs with string keys, "
            f"but it was {type(experiments).__name__}"
        )
        yield Problem("manifest.json", message, "field-types")
    whitelist = manifest.get("domainWhitelist")
    if whitelist is not None and not (
        isinstance(whitelist, list) and all(isinstance(item, str) for item in whitelist)
    ):
        message = "The manifest field domainWhitelist need to be an array containing strings"
        yield Problem("manifest.json", message, "field-types")
    parameters = manifest.get("parameters")
    if parameters is not None and not isinstance(parameters, list):
        yield Problem("manifest.json", "App parameters must be an array.", "field-types")


def _valid_http_url(value: object) -> bool:
    if not isinstance(value, str) or any(char.isspace() for char in value):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


@_rule("urls")
def _urls(package: Package) -> Iterator[Problem]:
    """The author's URL and termsConditionsURL are http(s) URLs with a host."""
    manifest = package.manifest
    if manifest is None:
        return
    author = manifest.get("author")
    fields = [
        ("author url", author.get("url") if isinstance(author, dict) else None),
        ("terms_conditions_url", manifest.get("termsConditionsURL")),
    ]
    for name, value in fields:
        if value is not None and not _valid_http_url(value):
            yield Problem("manifest.json", f'{name} must be a valid URL, got "{value}".', "urls")


@_rule("framework-version")
def _framework_version(package: Package) -> Iterator[Problem]:
    """frameworkVersion is "2.0"; requirements-only and marketing-only apps have none."""
    manifest = package.manifest
    if manifest is None:
        return
    version = manifest.get("frameworkVersion")
    if _only_support_locations(manifest):
        if version is not None:
            message = "Framework versions can't be set when you specify requirements only"
            yield Problem("manifest.json", message, "framework-version")
        if manifest.get("location"):
            message = "Locations can't be defined when you specify requirements only"
            yield Problem("manifest.json", message, "framework-version")
    elif version is not None and version not in FRAMEWORK_VERSIONS:
        message = (
            f"{version} is not a valid framework version. "
            f"Available versions are: {', '.join(FRAMEWORK_VERSIONS)}."
        )
        yield Problem("manifest.json", message, "framework-version")
    if manifest.get("noTemplate", False) is not False:
        message = (
            "noTemplate is deprecated and cannot be used with framework version 2 or "
            "above. Set the autoLoad or autoHide property for each location instead."
        )
        yield Problem("manifest.json", message, "framework-version")


@_rule("default-locale")
def _default_locale(package: Package) -> Iterator[Problem]:
    manifest = package.manifest
    if manifest is None or not isinstance(manifest.get("defaultLocale"), str):
        return
    locale = manifest["defaultLocale"]
    if not VALID_LOCALE.match(locale):
        yield Problem("manifest.json", f"{locale} is not a valid default locale.", "default-locale")
    elif not package.has(f"translations/{locale}.json"):
        message = f"Missing translation file for locale '{locale}'."
        yield Problem("manifest.json", message, "default-locale")


def _locations(manifest: dict[str, Any]) -> Iterator[tuple[str, str, object]]:
    """(product, location, url-or-options) for every declared location; products unaliased."""
    declared = manifest.get("location")
    if not isinstance(declared, dict):
        return
    for product, locations in declared.items():
        if isinstance(locations, dict):
            for name, options in locations.items():
                yield str(PRODUCT_ALIASES.get(product, product)), str(name), options


@_rule("locations")
def _location_rules(package: Package) -> Iterator[Problem]:
    """Known hosts and locations; every URL https, localhost or an existing assets/ file."""
    manifest = package.manifest
    if manifest is None or _only_support_locations(manifest):
        return
    declared = manifest.get("location")
    if declared is None:
        return
    if not isinstance(declared, dict):  # a list or a string names v1 template locations
        yield Problem(
            "manifest.json",
            "App locations need to be URLs for this framework version.",
            "locations",
        )
        return
    for product, locations in declared.items():
        known = PRODUCT_ALIASES.get(product, product)
        if known not in LOCATIONS:
            yield Problem("manifest.json", f"{product} is an invalid host for apps.", "locations")
        elif not isinstance(locations, dict):
            message = f"location.{product} must map location names to URLs or options."
            yield Problem("manifest.json", message, "locations")
    for product, name, options in _locations(manifest):
        if product not in LOCATIONS:
            continue
        if name not in LOCATIONS[product]:
            message = f"{name} is an invalid location in {product.capitalize()}."
            yield Problem("manifest.json", message, "locations")
            continue
        settings = options if isinstance(options, dict) else {"url": options}
        url = settings.get("url")
        if url == "_legacy":
            message = "App locations need to be URLs for this framework version."
            yield Problem("manifest.json", message, "locations")
        elif isinstance(url, str) and url:
            if not _valid_location_url(package, url):
                message = (
                    f"{url} is either an invalid location URI, refers to a missing asset, "
                    "or does not use HTTPS."
                )
                yield Problem("manifest.json", message, "locations")
        elif settings.get("autoLoad", True):
            message = f"{name} location does not specify a URI."
            yield Problem("manifest.json", message, "locations")
        flexible = settings.get("flexible")
        if flexible is not None and not isinstance(flexible, bool):
            message = f"{flexible} is an invalid type for the flexible location parameter."
            yield Problem("manifest.json", message, "locations")


def _valid_location_url(package: Package, url: str) -> bool:
    """ZAS: https, or host localhost, or a relative path under assets/ that exists."""
    if "{{setting." in url:
        return True
    if any(char.isspace() for char in url):
        return False
    parts = urlsplit(url)
    if parts.scheme:
        return parts.scheme == "https" or parts.hostname == "localhost"
    return parts.path.startswith("assets/") and package.has(parts.path)


def _parameters(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    found = manifest.get("parameters")
    if not isinstance(found, list):
        return []
    return [item for item in found if isinstance(item, dict)]


@_rule("parameters")
def _parameter_rules(package: Package) -> Iterator[Problem]:
    """ZAS validate_parameters: names, booleans, types, hidden, oauth and scopes."""
    manifest = package.manifest
    if manifest is None:
        return
    raw = manifest.get("parameters")
    if isinstance(raw, list) and len(_parameters(manifest)) != len(raw):
        yield Problem("manifest.json", "Every app parameter must be an object.", "parameters")
    parameters = _parameters(manifest)
    if manifest.get("marketingOnly") and parameters:
        message = "Parameters can't be defined for marketing-only apps"
        yield Problem("manifest.json", message, "parameters")
    names = [parameter.get("name") for parameter in parameters]
    for parameter in parameters:
        if not isinstance(parameter.get("name"), str) or not parameter["name"]:
            yield Problem("manifest.json", "Every app parameter needs a name.", "parameters")
    duplicates = sorted({str(name) for name in names if names.count(name) > 1})
    if duplicates:
        message = f"Duplicate app parameters defined: {', '.join(duplicates)}"
        yield Problem("manifest.json", message, "parameters")
    if "name" in names:
        yield Problem("manifest.json", "Can't call a parameter 'name'", "parameters")
    for parameter in parameters:
        name = parameter.get("name")
        for flag in ("required", "secure"):
            if flag in parameter and not isinstance(parameter[flag], bool):
                message = (
                    f'parameters[name="{name}"].{flag} must be a boolean value, '
                    f'got "{parameter[flag]}".'
                )
                yield Problem("manifest.json", message, "parameters")
    kinds = [parameter.get("type", "text") for parameter in parameters]
    invalid = [str(kind) for kind in kinds if kind not in PARAMETER_TYPES]
    if invalid:
        verb = (
            "is an invalid parameter type" if len(invalid) == 1 else "are invalid parameter types"
        )
        yield Problem("manifest.json", f"{', '.join(invalid)} {verb}.", "parameters")
    hidden = [
        str(p.get("name")) for p in parameters if p.get("type") == "hidden" and p.get("required")
    ]
    if hidden:
        verb = "is" if len(hidden) == 1 else "are"
        message = f"{', '.join(hidden)} {verb} set to hidden and cannot be required."
        yield Problem("manifest.json", message, "parameters")
    oauth = [p for p in parameters if p.get("type") == "oauth"]
    if len(oauth) > 1:
        message = "Too many parameters with type 'oauth': one permitted"
        yield Problem("manifest.json", message, "parameters")
    if any(p.get("secure") for p in oauth):
        yield Problem("manifest.json", "oauth parameter cannot be set to be secure.", "parameters")
    for parameter in parameters:
        yield from _scope_problems(parameter)
        yield from _default_problems(parameter)


def _scope_problems(parameter: dict[str, Any]) -> Iterator[Problem]:
    if "scopes" not in parameter or parameter["scopes"] is None:
        return
    where = f'parameters[name="{parameter.get("name")}"].scopes'
    scopes = parameter["scopes"]
    if not parameter.get("secure"):
        yield Problem("manifest.json", f"{where} requires a secure parameter.", "parameters")
    if not isinstance(scopes, list):
        message = (
            f"The manifest field {where} needs to be an array, but it was {type(scopes).__name__}"
        )
        yield Problem("manifest.json", message, "parameters")
        return
    if not scopes:
        yield Problem("manifest.json", f"{where} cannot be empty.", "parameters")
    invalid = [str(scope) for scope in scopes if scope not in SECURE_SCOPES]
    if invalid:
        message = f"{where} contains invalid values: {', '.join(invalid)}"
        yield Problem("manifest.json", message, "parameters")


def _default_problems(parameter: dict[str, Any]) -> Iterator[Problem]:
    """Our rule: a default has the parameter's type, so the settings form starts valid."""
    if "default" not in parameter:
        return
    default, kind = parameter["default"], parameter.get("type", "text")
    expected: tuple[type, ...] = {
        "checkbox": (bool,),
        "number": (int, float),
    }.get(kind, (str,))
    if isinstance(default, bool) and bool not in expected or not isinstance(default, expected):
        message = (
            f'parameters[name="{parameter.get("name")}"].default {default!r} does not fit '
            f"type {kind}."
        )
        yield Problem("manifest.json", message, "parameters")


@_rule("oauth")
def _oauth(package: Package) -> Iterator[Problem]:
    manifest = package.manifest
    if manifest is None or not manifest.get("oauth"):
        return
    oauth = manifest["oauth"]
    if not isinstance(oauth, dict):
        yield Problem("manifest.json", "oauth must be an object.", "oauth")
        return
    missing = [key for key in OAUTH_KEYS if not oauth.get(key)]
    if missing:
        noun = "field" if len(missing) == 1 else "fields"
        message = f"Missing required oauth {noun} in manifest: {', '.join(missing)}"
        yield Problem("manifest.json", message, "oauth")
    if not any(p.get("type") == "oauth" for p in _parameters(manifest)):
        yield Problem("manifest.json", "Missing parameter of type 'oauth'.", "oauth")


@_rule("experiments")
def _experiments(package: Package) -> Iterator[Problem]:
    """Marketplace apps may enable only the whitelisted experiments."""
    manifest = package.manifest
    experiments = (manifest or {}).get("experiments")
    if not isinstance(experiments, dict):
        return
    for name, enabled in experiments.items():
        if enabled and name not in MARKETPLACE_EXPERIMENTS:
            message = f"Manifest specifies unknown or unavailable experiment: {name}"
            yield Problem("manifest.json", message, "experiments")


# --- translations -------------------------------------------------------------------------------


def _translations(package: Package) -> Iterator[tuple[str, str, Any]]:
    """(file, locale, parsed JSON or None) for every translations/*.json file."""
    for name in package.files:
        match = TRANSLATION_PATH.match(name)
        if match:
            try:
                parsed = _parse_json(package.read(name))
            except ValueError:
                parsed = None
            yield name, match.group(1), parsed


@_rule("translation-files")
def _translation_files(package: Package) -> Iterator[Problem]:
    """Locale file names, JSON objects, and a label on every app.parameters leaf."""
    for name, locale, _parsed in _translations(package):
        if not VALID_LOCALE.match(locale):
            yield Problem(name, f"{name} is not a valid locale.", "translation-files")
            continue
        try:
            parsed = _parse_json(package.read(name))
        except ValueError as error:
            yield Problem(name, f"{name} is not valid JSON. {error}", "translation-files")
            continue
        if not isinstance(parsed, dict):
            yield Problem(name, f"{name} is not a JSON object.", "translation-files")
            continue
        app = parsed.get("app")
        parameters = app.get("parameters") if isinstance(app, dict) else None
        if isinstance(parameters, dict):
            for parameter, leaf in parameters.items():
                if not isinstance(leaf, dict) or "label" not in leaf:
                    message = f"Missing required key label on leaf {parameter} from {name}"
                    yield Problem(name, message, "translation-files")


@_rule("translation-keys")
def _translation_keys(package: Package) -> Iterator[Problem]:
    """translations/en.json has the keys a public (or private) app needs."""
    if package.manifest is None or not package.has("translations/en.json"):
        return
    try:
        parsed = _parse_json(package.read("translations/en.json"))
    except ValueError:
        return  # reported by translation-files
    app = parsed.get("app") if isinstance(parsed, dict) else None
    app = app if isinstance(app, dict) else {}
    products = [key for key in app if key in LOCATIONS]
    wanted = ("name",) if package.private else PUBLIC_TRANSLATION_KEYS
    sections: list[tuple[str | None, Any]] = [(None, app)]
    if products:  # product-keyed translations: each product has the keys
        sections = [(product, app[product]) for product in products]
    for product, section in sections:
        keys = {
            "short_description" if key == "description" else key
            for key in (section if isinstance(section, dict) else {})
        }
        missing = [key for key in wanted if key not in keys]
        if missing:
            where = f" for {product.capitalize()}" if product else ""
            message = f"Missing required key from translations/en.json{where}: {', '.join(missing)}"
            yield Problem("translations/en.json", message, "translation-keys")
    declared = {product for product, _name, _options in _locations(package.manifest)}
    extra = [product for product in products if product not in declared]
    if extra:
        message = (
            f"Products in manifest ({', '.join(sorted(declared))}) do not match products "
            f"in translations ({', '.join(extra)})"
        )
        yield Problem("translations/en.json", message, "translation-keys")


def _strings(node: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, f"{prefix}.{key}" if prefix else key)
    else:
        yield prefix, node


@_rule("translation-completeness")
def _translation_completeness(package: Package) -> Iterator[Problem]:
    """Our rule: every locale translates every string of the default locale, none empty."""
    manifest = package.manifest or {}
    default = manifest.get("defaultLocale", "en")
    files = {locale: parsed for _name, locale, parsed in _translations(package)}
    reference = files.get(default)
    if not isinstance(reference, dict):
        return
    wanted = {key for key, _value in _strings(reference)}
    for locale, parsed in sorted(files.items()):
        if not isinstance(parsed, dict):
            continue
        name = f"translations/{locale}.json"
        found = dict(_strings(parsed))
        missing = sorted(wanted - set(found))
        if missing:
            message = f"missing translations of {default}: {', '.join(missing)}"
            yield Problem(name, message, "translation-completeness")
        empty = sorted(
            key for key, value in found.items() if not isinstance(value, str) or not value.strip()
        )
        if empty:
            message = f"empty or non-text translations: {', '.join(empty)}"
            yield Problem(name, message, "translation-completeness")


@_rule("parameter-labels")
def _parameter_labels(package: Package) -> Iterator[Problem]:
    """Our rule: every parameter has a label in every translation file, and no stale labels."""
    manifest = package.manifest
    if manifest is None:
        return
    names = [str(p.get("name")) for p in _parameters(manifest)]
    for name, _locale, parsed in _translations(package):
        app = parsed.get("app") if isinstance(parsed, dict) else None
        labels = app.get("parameters") if isinstance(app, dict) else None
        labels = labels if isinstance(labels, dict) else {}
        for parameter in names:
            leaf = labels.get(parameter)
            if not isinstance(leaf, dict) or not str(leaf.get("label", "")).strip():
                message = f"parameter {parameter} has no label (app.parameters.{parameter}.label)"
                yield Problem(name, message, "parameter-labels")
        for stale in sorted(set(labels) - set(names)):
            message = f"app.parameters.{stale} labels a parameter the manifest does not declare"
            yield Problem(name, message, "parameter-labels")


# --- requirements.json --------------------------------------------------------------------------


def _requirements(package: Package) -> dict[str, Any] | None:
    if not package.has("requirements.json"):
        return None
    try:
        parsed = _parse_json(package.read("requirements.json"))
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


@_rule("requirements")
def _requirement_rules(package: Package) -> Iterator[Problem]:
    """ZAS requirements.rb: JSON, known types, limits and each type's required fields."""
    manifest = package.manifest or {}
    where = "requirements.json"
    if not package.has(where):
        if manifest.get("requirementsOnly"):
            yield Problem(where, "Could not find requirements.json", "requirements")
        return
    products = {product for product, _name, _options in _locations(manifest)}
    if manifest.get("marketingOnly") or products == {"chat"}:
        message = "App requirements are not supported for marketing-only or Chat-only apps"
        yield Problem(where, message, "requirements")
    try:
        requirements = _parse_json(package.read(where))
    except DuplicateKeyError as error:
        yield Problem(where, f"requirements.json contains a duplicate key: {error}", "requirements")
        return
    except ValueError as error:
        yield Problem(where, f"requirements.json is not proper JSON. {error}", "requirements")
        return
    if not isinstance(requirements, dict):
        yield Problem(
            where, "requirements.json is not proper JSON. It must be an object.", "requirements"
        )
        return
    invalid = [key for key in requirements if key not in REQUIREMENT_TYPES]
    if invalid:
        noun = "an invalid type" if len(invalid) == 1 else "invalid types"
        yield Problem(
            where, f"requirements.json contains {noun}: {', '.join(invalid)}", "requirements"
        )
    groups = {kind: entries for kind, entries in requirements.items() if isinstance(entries, dict)}
    for kind in requirements:
        if kind not in groups and kind != "custom_objects_v2":
            message = f"{kind} must map requirement identifiers to objects"
            yield Problem(where, message, "requirements")
    count = sum(len(entries) for entries in groups.values())
    if count > MAX_REQUIREMENTS:
        message = (
            f"The requirements.json file contains too many requirements. The current "
            f"limit is {MAX_REQUIREMENTS} requirements. This app has {count} requirements."
        )
        yield Problem(where, message, "requirements")
    custom_objects = groups.get("custom_objects", {})
    custom_count = sum(len(v) if isinstance(v, list) else 1 for v in custom_objects.values())
    if custom_count > MAX_CUSTOM_OBJECTS:
        message = (
            "The requirements.json file contains too many custom objects requirements. The "
            f"current limit is {MAX_CUSTOM_OBJECTS}. This app has {custom_count}."
        )
        yield Problem(where, message, "requirements")
    for kind, entries in groups.items():
        for identifier, fields in entries.items():
            if not isinstance(fields, dict):
                message = f'Requirement "{identifier}" in {kind} must be an object'
                yield Problem(where, message, "requirements")
                continue
            needed: list[str] = []
            if kind not in UNTITLED_REQUIREMENTS:
                needed.append("title")
            if kind in ("user_fields", "organization_fields"):
                needed.append("key")
            if kind == "webhooks":
                needed.extend(WEBHOOK_KEYS)
            if kind == "channel_integrations":
                needed.append("manifest_url")
            for key in needed:
                if key not in fields:
                    message = (
                        f'Missing required fields in requirements.json: "{key}" is '
                        f'required in "{identifier}"'
                    )
                    yield Problem(where, message, "requirements")
            if kind == "targets" and fields.get("type") in ("http_target", "url_target_v2"):
                message = f"requirements.json contains an invalid type: targets -> {fields['type']}"
                yield Problem(where, message, "requirements")
    if len(groups.get("channel_integrations", {})) > 1:
        message = "Specifying multiple channel integrations in requirements.json is not supported."
        yield Problem(where, message, "requirements")


@_rule("requirements-shape")
def _requirement_shapes(package: Package) -> Iterator[Problem]:
    """Our rule: ticket fields, webhooks and triggers are well-formed Zendesk API payloads."""
    requirements = _requirements(package)
    if requirements is None:
        return
    where = "requirements.json"
    for identifier, fields in _group(requirements, "ticket_fields"):
        if fields.get("type") not in TICKET_FIELD_TYPES:
            message = (
                f'ticket field "{identifier}" has type {fields.get("type")!r}; one of '
                f"{', '.join(TICKET_FIELD_TYPES)} is needed"
            )
            yield Problem(where, message, "requirements-shape")
    webhooks = dict(_group(requirements, "webhooks"))
    for identifier, fields in webhooks.items():
        for key, allowed in (
            ("http_method", WEBHOOK_METHODS),
            ("request_format", WEBHOOK_FORMATS),
            ("status", WEBHOOK_STATUSES),
        ):
            if key in fields and fields[key] not in allowed:
                message = f'webhook "{identifier}" {key} must be one of {", ".join(allowed)}'
                yield Problem(where, message, "requirements-shape")
        endpoint = fields.get("endpoint")
        if "endpoint" in fields and not _valid_endpoint(endpoint):
            message = f'webhook "{identifier}" endpoint {endpoint!r} must use https (or localhost)'
            yield Problem(where, message, "requirements-shape")
    for identifier, fields in _group(requirements, "triggers"):
        yield from _trigger_problems(identifier, fields, webhooks)


def _group(requirements: dict[str, Any], kind: str) -> Iterator[tuple[str, dict[str, Any]]]:
    entries = requirements.get(kind)
    if isinstance(entries, dict):
        for identifier, fields in entries.items():
            if isinstance(fields, dict):
                yield identifier, fields


def _valid_endpoint(value: object) -> bool:
    if not _valid_http_url(value):
        return False
    parts = urlsplit(str(value))
    return parts.scheme == "https" or parts.hostname == "localhost"


def _trigger_problems(
    identifier: str, fields: dict[str, Any], webhooks: dict[str, dict[str, Any]]
) -> Iterator[Problem]:
    where = "requirements.json"
    conditions = fields.get("conditions")
    if not isinstance(conditions, dict) or set(conditions) - {"all", "any"}:
        message = f'trigger "{identifier}" conditions must be an object with "all" and "any" lists'
        yield Problem(where, message, "requirements-shape")
        conditions = {}
    listed = []
    for group in ("all", "any"):
        items = conditions.get(group, [])
        if not isinstance(items, list):
            yield Problem(
                where,
                f'trigger "{identifier}" conditions.{group} must be a list',
                "requirements-shape",
            )
            continue
        for item in items:
            if not (
                isinstance(item, dict)
                and isinstance(item.get("field"), str)
                and isinstance(item.get("operator"), str)
            ):
                message = (
                    f'trigger "{identifier}" conditions.{group} holds {item!r}; each '
                    "condition needs a field and an operator"
                )
                yield Problem(where, message, "requirements-shape")
            else:
                listed.append(item)
    if not listed:
        message = f'trigger "{identifier}" has no conditions: it would fire on every ticket update'
        yield Problem(where, message, "requirements-shape")
    actions = fields.get("actions")
    if not isinstance(actions, list) or not actions:
        yield Problem(
            where, f'trigger "{identifier}" needs a non-empty list of actions', "requirements-shape"
        )
        return
    for action in actions:
        if not (
            isinstance(action, dict) and isinstance(action.get("field"), str) and "value" in action
        ):
            message = f'trigger "{identifier}" action {action!r} needs a field and a value'
            yield Problem(where, message, "requirements-shape")
            continue
        if action["field"] != "notification_webhook":
            continue
        value = action["value"]
        if not (
            isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)
        ):
            message = (
                f'trigger "{identifier}" notification_webhook value must be '
                "[webhook identifier, body]"
            )
            yield Problem(where, message, "requirements-shape")
            continue
        webhook, body = value
        if webhook not in webhooks:
            message = f'trigger "{identifier}" notifies webhook "{webhook}", which is not declared'
            yield Problem(where, message, "requirements-shape")
        elif webhooks[webhook].get("request_format") == "json":
            try:
                json.loads(body)
            except ValueError as error:
                message = f'trigger "{identifier}" webhook body is not JSON: {error}'
                yield Problem(where, message, "requirements-shape")


@_rule("triage-contract")
def _triage_contract(package: Package) -> Iterator[Problem]:
    """Our rule: the triggers send exactly the body POST /webhooks/zendesk reads, and cannot loop.

    One trigger fires on creation and one on updates. The update trigger must exclude updates
    made through the API (claimdesk's own notes and tags): otherwise each write-back would
    trigger another triage, and so on.
    """
    requirements = _requirements(package)
    if requirements is None:
        return
    where = "requirements.json"
    if TRIAGE_WEBHOOK not in dict(_group(requirements, "webhooks")):
        yield Problem(where, f'the "{TRIAGE_WEBHOOK}" webhook is missing', "triage-contract")
        return
    seen: dict[str, str] = {}
    for identifier, fields in _group(requirements, "triggers"):
        body = _triage_body(fields)
        if body is None:
            continue
        event = body.get("event")
        if event not in TRIAGE_EVENTS:
            message = f'trigger "{identifier}" sends event {event!r}; created or updated expected'
            yield Problem(where, message, "triage-contract")
            continue
        if event in seen:
            message = f'triggers "{seen[event]}" and "{identifier}" both send {event} events'
            yield Problem(where, message, "triage-contract")
        seen[event] = identifier
        expected = {"event": event, **TRIAGE_BODY}
        if body != expected:
            wrong = sorted(k for k in set(body) | set(expected) if body.get(k) != expected.get(k))
            message = (
                f'trigger "{identifier}" body differs from the webhook contract '
                f"(docs/manifest.md) at: {', '.join(wrong)}"
            )
            yield Problem(where, message, "triage-contract")
        raw = fields.get("conditions")
        conditions: dict[str, Any] = raw if isinstance(raw, dict) else {}
        every = [c for c in conditions.get("all", []) if isinstance(c, dict)]
        update_type = {"field": "update_type", "operator": "is", "value": TRIAGE_EVENTS[event]}
        if not any(_same_condition(c, update_type) for c in every):
            message = (
                f'trigger "{identifier}" must have the condition update_type is '
                f"{TRIAGE_EVENTS[event]}"
            )
            yield Problem(where, message, "triage-contract")
        if event == "updated" and not any(_guards_loop(c) for c in every):
            message = (
                f'trigger "{identifier}" can loop: claimdesk\'s own updates would fire it '
                'again (add "role is end_user" or "current_via_id is_not '
                f'{API_CHANNEL}" to its "all" conditions)'
            )
            yield Problem(where, message, "triage-contract")
    for event in TRIAGE_EVENTS:
        if event not in seen:
            message = f"no trigger sends {event} tickets to the {TRIAGE_WEBHOOK} webhook"
            yield Problem(where, message, "triage-contract")


def _triage_body(fields: dict[str, Any]) -> dict[str, Any] | None:
    for action in fields.get("actions") or []:
        if not isinstance(action, dict) or action.get("field") != "notification_webhook":
            continue
        value = action.get("value")
        if isinstance(value, list) and len(value) == 2 and value[0] == TRIAGE_WEBHOOK:
            try:
                body = json.loads(value[1])
            except (TypeError, ValueError):
                return {}
            return body if isinstance(body, dict) else {}
    return None


def _same_condition(condition: dict[str, Any], wanted: dict[str, str]) -> bool:
    return all(str(condition.get(key)) == value for key, value in wanted.items())


def _guards_loop(condition: dict[str, Any]) -> bool:
    """Conditions that keep claimdesk's own updates out of the update trigger.

    claimdesk writes as an agent through the API, so "the updater is an end user", "not via
    the API" and "without a tag claimdesk adds" each exclude every write-back.
    """
    end_user = {"field": "role", "operator": "is", "value": "end_user"}
    via = {"field": "current_via_id", "operator": "is_not", "value": API_CHANNEL}
    tag = condition.get("field") == "current_tags" and condition.get("operator") == "not_includes"
    return _same_condition(condition, end_user) or _same_condition(condition, via) or tag


# --- files and assets ---------------------------------------------------------------------------


@_rule("files")
def _file_rules(package: Package) -> Iterator[Problem]:
    """ZAS mime.rb and marketplace.rb: no archives, PDFs, scripts or symlinks in the package."""
    for name in package.symlinks:
        yield Problem(name, "Symlinks are not allowed in the zip file", "files")
    for name in package.files:
        extension = PurePosixPath(name).suffix.lstrip(".").lower()
        with package.files[name].open("rb") as opened:
            head = opened.read(32)
        sniffed = next((kind for magic, kind in MAGIC if head.startswith(magic)), None)
        if extension in BANNED_TYPES or sniffed is not None:
            message = f"Unsupported MIME type detected in {name}."
            yield Problem(name, message, "files")


def png_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG's IHDR chunk, or None when ``data`` is not a PNG."""
    if len(data) < 26 or not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _png_has_alpha(data: bytes) -> bool:
    """Colour type 4 or 6 carries alpha; a palette or grey image needs a tRNS chunk."""
    if data[25] in (4, 6):
        return True
    position = 8
    while position + 8 <= len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        if kind == b"tRNS":
            return True
        if kind in (b"IDAT", b"IEND"):
            return False
        position += 12 + length
    return False


@_rule("logos")
def _logos(package: Package) -> Iterator[Problem]:
    """Marketplace logos: logo.png 320x320, logo-small.png 128x128 with transparency, logo.svg."""
    for name, side in LOGOS.items():
        if not package.has(name):
            yield Problem(name, f"missing: the marketplace needs a {side}x{side} PNG", "logos")
            continue
        data = package.read(name)
        size = png_size(data)
        if size is None:
            yield Problem(name, "is not a PNG file", "logos")
        elif size != (side, side):
            message = f"is {size[0]}x{size[1]}; the marketplace needs {side}x{side}"
            yield Problem(name, message, "logos")
        elif name == "assets/logo-small.png" and not _png_has_alpha(data):
            yield Problem(name, "needs transparency (an alpha channel)", "logos")
    if not package.has("assets/logo.svg"):
        yield Problem("assets/logo.svg", "missing: the marketplace needs an SVG logo", "logos")


@_rule("banner")
def _banner(package: Package) -> Iterator[Problem]:
    """ZAS banner.rb: an optional assets/banner.png is 830x200 or 1660x400."""
    if not package.has("assets/banner.png"):
        return
    size = png_size(package.read("assets/banner.png"))
    if size is None:
        yield Problem("assets/banner.png", "Banner image must be a PNG file.", "banner")
    elif size not in BANNER_SIZES:
        message = "Invalid banner image dimensions. Must be 830x200px."
        yield Problem("assets/banner.png", message, "banner")


@_rule("location-icons")
def _location_icons(package: Package) -> Iterator[Problem]:
    """Our rule: nav_bar (and other icon locations) ship an SVG icon, or Zendesk shows a blank."""
    for product, name, _options in _locations(package.manifest or {}):
        if name in ICON_LOCATIONS.get(product, ()):
            prefix = "" if product == "support" else f"{product}/"
            icon = f"assets/{prefix}icon_{name}.svg"
            if not package.has(icon):
                yield Problem(
                    icon, f"missing: the {name} location needs this icon", "location-icons"
                )


@_rule("svg")
def _svg(package: Package) -> Iterator[Problem]:
    """Our stand-in for ZAS svg.rb (which rewrites unsafe SVG): no scripts, links or bitmaps."""
    for name in package.files:
        if not name.endswith(".svg"):
            continue
        try:
            root = ElementTree.fromstring(package.read(name))
        except ElementTree.ParseError as error:
            yield Problem(name, f"{name} contains invalid markup: {error}", "svg")
            continue
        if _local(root.tag) != "svg":
            yield Problem(name, "the root element must be <svg>", "svg")
        for element in root.iter():
            tag = _local(element.tag)
            if tag in UNSAFE_SVG_ELEMENTS:
                yield Problem(name, f"<{tag}> is not allowed in app SVGs", "svg")
            for attribute, value in element.attrib.items():
                local = _local(attribute)
                if local.lower().startswith("on"):
                    yield Problem(name, f"event attribute {local} is not allowed", "svg")
                elif local == "href" and not value.startswith("#"):
                    yield Problem(name, f"external link {value!r} is not allowed", "svg")
                elif local == "style" and "url(" in value.replace(" ", "").lower():
                    yield Problem(name, "url() in a style is not allowed", "svg")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


# --- secrets ------------------------------------------------------------------------------------


@_rule("no-secrets")
def _no_secrets(package: Package) -> Iterator[Problem]:
    """Our rule: no secure settings, no credential-shaped text, no webhook credentials.

    claimdesk keeps every credential on its server (``claimdesk connect``), so the app needs
    none; anything secret-looking in the package is a mistake that would also make ZAS warn.
    """
    for parameter in _parameters(package.manifest or {}):
        name = str(parameter.get("name"))
        if parameter.get("secure"):
            message = (
                f"parameter {name} is secure: claimdesk keeps credentials on its server "
                "(claimdesk connect), not in app settings"
            )
            yield Problem("manifest.json", message, "no-secrets")
        if SECRET_PARAMETER_NAME.search(name):
            message = f"parameter {name} is named like a credential (token, key, pwd, password)"
            yield Problem("manifest.json", message, "no-secrets")
    for kind in ("webhooks", "targets"):
        for identifier, fields in _group(_requirements(package) or {}, kind):
            for key in SECRET_REQUIREMENT_KEYS:
                if key in fields:
                    message = (
                        f'{kind} "{identifier}" sets {key}: credentials must not ship in the app'
                    )
                    yield Problem("requirements.json", message, "no-secrets")
    for name in package.files:
        text = package.text(name)
        if text is None:
            continue
        keyword = SECRET_KEYWORDS.search(text)
        if keyword:
            message = f"contains the secret-looking word {keyword.group(0)!r}"
            yield Problem(name, message, "no-secrets")
        for kind, pattern in SECRET_PATTERNS.items():
            if pattern.search(text):
                yield Problem(name, f"looks like it contains a {kind}", "no-secrets")


# --- packaging ----------------------------------------------------------------------------------


def rebase(url: str, base_url: str) -> str:
    """``http://localhost:5000/sidebar?x=1`` on ``https://a.example/cd`` -> ``https://a.example/cd/sidebar?x=1``."""
    parts = urlsplit(url)
    rebased = base_url.rstrip("/") + parts.path
    return rebased + (f"?{parts.query}" if parts.query else "")


def check_base_url(base_url: str) -> str:
    """The production base: https, a host, no query or fragment. Returns it without a final /."""
    parts = urlsplit(base_url)
    if parts.scheme != "https" or not parts.hostname:
        raise ManifestError(f"--base-url must be an https URL with a host, got {base_url!r}")
    if parts.query or parts.fragment or any(char.isspace() for char in base_url):
        raise ManifestError(f"--base-url must not carry a query or fragment, got {base_url!r}")
    return base_url.rstrip("/")


def rewrite(files: dict[str, bytes], base_url: str) -> dict[str, bytes]:
    """Every location URL and webhook endpoint moved onto ``base_url``."""
    rewritten = dict(files)
    manifest = json.loads(files["manifest.json"])
    for locations in (manifest.get("location") or {}).values():
        for name, options in locations.items():
            if isinstance(options, str) and urlsplit(options).scheme:
                locations[name] = rebase(options, base_url)
            elif isinstance(options, dict) and urlsplit(str(options.get("url", ""))).scheme:
                options["url"] = rebase(options["url"], base_url)
    rewritten["manifest.json"] = _dump(manifest)
    if "requirements.json" in files:
        requirements = json.loads(files["requirements.json"])
        for fields in (requirements.get("webhooks") or {}).values():
            if isinstance(fields, dict) and isinstance(fields.get("endpoint"), str):
                fields["endpoint"] = rebase(fields["endpoint"], base_url)
        rewritten["requirements.json"] = _dump(requirements)
    return rewritten


def _dump(document: Any) -> bytes:
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def build_package(path: Path, out: Path, base_url: str | None = None) -> Path:
    """Check the app folder, optionally move it onto ``base_url``, and write the upload zip.

    The zip holds manifest.json at its root, files in sorted order with a fixed timestamp and
    mode, so the same folder always gives the same bytes. The rewritten package is checked
    again before it is written: nothing invalid leaves this function.
    """
    path = Path(path)
    problems = check_package(path)
    if problems:
        raise ManifestError(f"{path} has {len(problems)} problem(s)", problems)
    package = load(path)
    files = {name: package.read(name) for name in package.files}
    if base_url is not None:
        files = rewrite(files, check_base_url(base_url))
        with tempfile.TemporaryDirectory(prefix="claimdesk-app-") as folder:
            for name, data in files.items():
                target = Path(folder, name)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
            problems = check_package(Path(folder))
        if problems:
            raise ManifestError(f"the package rebased on {base_url} has problems", problems)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # unix, whatever system builds it
            archive.writestr(info, files[name])
    partial.replace(out)  # a failed build never leaves a half-written zip under the real name
    return out


def package_version(path: Path) -> str:
    """The manifest's version, for the default zip name."""
    try:
        version = json.loads((Path(path) / "manifest.json").read_text("utf-8")).get("version")
    except (OSError, ValueError):
        version = None
    return version if isinstance(version, str) and version else "dev"
