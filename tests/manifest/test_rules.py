"""Every rule of ``check_package`` passes on the real package and fails on a broken copy.

Each case breaks one thing in a copy of manifest/ and expects the named rule to report it on
the right file, with a message that says what is wrong (ZAS's own wording where ZAS has one).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from plugin.manifest import DEFAULT_PACKAGE, ManifestError, check_package, png_size, rule_names

from .conftest import edit_json, make_png

Breaker = Callable[[Path], None]


def manifest(change: Callable[[dict[str, Any]], object]) -> Breaker:
    return lambda app: edit_json(app / "manifest.json", change)


def requirements(change: Callable[[dict[str, Any]], object]) -> Breaker:
    return lambda app: edit_json(app / "requirements.json", change)


def translation(locale: str, change: Callable[[dict[str, Any]], object]) -> Breaker:
    return lambda app: edit_json(app / "translations" / f"{locale}.json", change)


def write(name: str, data: bytes | str) -> Breaker:
    def apply(app: Path) -> None:
        target = app / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data.encode() if isinstance(data, str) else data)

    return apply


def remove(name: str) -> Breaker:
    return lambda app: (app / name).unlink()


def sidebar(app_manifest: dict[str, Any]) -> dict[str, Any]:
    location: dict[str, Any] = app_manifest["location"]["support"]["ticket_sidebar"]
    return location


def parameter(name: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def find(app_manifest: dict[str, Any]) -> dict[str, Any]:
        found: dict[str, Any] = next(p for p in app_manifest["parameters"] if p["name"] == name)
        return found

    return find


def trigger(document: dict[str, Any], event: str) -> dict[str, Any]:
    found: dict[str, Any] = document["triggers"][f"claimdesk_ticket_{event}"]
    return found


def triage_body(event: str, change: Callable[[dict[str, str]], object]) -> Breaker:
    import json

    def apply(document: dict[str, Any]) -> None:
        action = trigger(document, event)["actions"][0]
        body = json.loads(action["value"][1])
        change(body)
        action["value"][1] = json.dumps(body)

    return requirements(apply)


def nest(app: Path) -> None:
    inner = app / "claimdesk"
    inner.mkdir()
    for item in list(app.iterdir()):
        if item != inner:
            shutil.move(str(item), inner / item.name)


SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">{}</svg>'

CASES: list[tuple[str, Breaker, str, str, str]] = [
    # (id, break it, rule, file, words in the message)
    ("no-manifest", remove("manifest.json"), "manifest-json", "manifest.json",
     "Could not find manifest.json"),
    ("nested-manifest", nest, "manifest-json", "claimdesk/manifest.json",
     "in the root of the zip file"),
    ("manifest-not-json", write("manifest.json", "{"), "manifest-json", "manifest.json",
     "not proper JSON"),
    ("manifest-duplicate-key", write("manifest.json", '{"name": "a", "name": "b"}'),
     "manifest-json", "manifest.json", "Duplicate keys"),
    ("no-author", manifest(lambda m: m.pop("author")), "required-keys", "manifest.json",
     "Missing required field in manifest: author"),
    ("no-location-or-version",
     manifest(lambda m: (m.pop("location"), m.pop("frameworkVersion"))), "required-keys",
     "manifest.json", "Missing required fields in manifest: location, frameworkVersion"),
    ("signed-urls-not-boolean", manifest(lambda m: m.update(signedUrls="yes")), "field-types",
     "manifest.json", 'signedUrls must be a boolean value, got "yes"'),
    ("version-not-string", manifest(lambda m: m.update(version=1)), "field-types",
     "manifest.json", "version must be a string"),
    ("author-email-not-string", manifest(lambda m: m["author"].update(email=5)), "field-types",
     "manifest.json", "author email must be a string"),
    ("domain-whitelist-not-list", manifest(lambda m: m.update(domainWhitelist="a.example")),
     "field-types", "manifest.json", "domainWhitelist need to be an array containing strings"),
    ("parameters-not-list", manifest(lambda m: m.update(parameters={})), "field-types",
     "manifest.json", "App parameters must be an array."),
    ("experiments-not-object", manifest(lambda m: m.update(experiments=[])), "field-types",
     "manifest.json", "experiments needs to be key-value pairs"),
    ("author-url-not-http", manifest(lambda m: m["author"].update(url="ftp://x.example")),
     "urls", "manifest.json", 'author url must be a valid URL, got "ftp://x.example"'),
    ("terms-url-invalid", manifest(lambda m: m.update(termsConditionsURL="not a url")), "urls",
     "manifest.json", "terms_conditions_url must be a valid URL"),
    ("framework-1", manifest(lambda m: m.update(frameworkVersion="1.0")), "framework-version",
     "manifest.json", "1.0 is not a valid framework version. Available versions are: 2.0."),
    ("framework-number", manifest(lambda m: m.update(frameworkVersion=2)), "framework-version",
     "manifest.json", "2 is not a valid framework version"),
    ("no-template", manifest(lambda m: m.update(noTemplate=True)), "framework-version",
     "manifest.json", "noTemplate is deprecated"),
    ("requirements-only-with-location", manifest(lambda m: m.update(requirementsOnly=True)),
     "framework-version", "manifest.json", "Framework versions can't be set"),
    ("default-locale-invalid", manifest(lambda m: m.update(defaultLocale="EN")),
     "default-locale", "manifest.json", "EN is not a valid default locale."),
    ("default-locale-no-file", manifest(lambda m: m.update(defaultLocale="de")),
     "default-locale", "manifest.json", "Missing translation file for locale 'de'"),
    ("location-http", manifest(lambda m: sidebar(m).update(url="http://claimdesk.example/s")),
     "locations", "manifest.json", "http://claimdesk.example/s is either an invalid location URI"),
    ("location-missing-asset", manifest(lambda m: sidebar(m).update(url="assets/iframe.html")),
     "locations", "manifest.json", "refers to a missing asset"),
    ("location-asset-outside-assets",
     manifest(lambda m: sidebar(m).update(url="translations/en.json")), "locations",
     "manifest.json", "translations/en.json is either an invalid location URI"),
    ("location-blank", manifest(lambda m: sidebar(m).update(url="")), "locations",
     "manifest.json", "ticket_sidebar location does not specify a URI."),
    ("location-legacy", manifest(lambda m: sidebar(m).update(url="_legacy")), "locations",
     "manifest.json", "App locations need to be URLs for this framework version."),
    ("location-as-list", manifest(lambda m: m.update(location=["ticket_sidebar"])), "locations",
     "manifest.json", "App locations need to be URLs"),
    ("flexible-not-boolean", manifest(lambda m: sidebar(m).update(flexible="true")),
     "locations", "manifest.json", "true is an invalid type for the flexible location parameter"),
    ("unknown-location",
     manifest(lambda m: m["location"]["support"].update(ticket_footer="https://a.example/f")),
     "locations", "manifest.json", "ticket_footer is an invalid location in Support."),
    ("unknown-host", manifest(lambda m: m["location"].update(crm={"x": "https://a.example"})),
     "locations", "manifest.json", "crm is an invalid host for apps."),
    ("parameter-duplicate",
     manifest(lambda m: m["parameters"].append({"name": "reply_language", "type": "text"})),
     "parameters", "manifest.json", "Duplicate app parameters defined: reply_language"),
    ("parameter-called-name", manifest(lambda m: m["parameters"].append({"name": "name"})),
     "parameters", "manifest.json", "Can't call a parameter 'name'"),
    ("parameter-password-type",
     manifest(lambda m: parameter("reply_language")(m).update(type="password")), "parameters",
     "manifest.json", "password is an invalid parameter type."),
    ("parameter-required-not-boolean",
     manifest(lambda m: parameter("reply_language")(m).update(required="no")), "parameters",
     "manifest.json", 'parameters[name="reply_language"].required must be a boolean value'),
    ("parameter-hidden-required",
     manifest(lambda m: parameter("reply_language")(m).update(type="hidden", required=True)),
     "parameters", "manifest.json", "reply_language is set to hidden and cannot be required."),
    ("parameter-scopes-not-secure",
     manifest(lambda m: parameter("reply_language")(m).update(scopes=["header"])), "parameters",
     "manifest.json", 'parameters[name="reply_language"].scopes requires a secure parameter'),
    ("parameter-scopes-invalid",
     manifest(lambda m: parameter("reply_language")(m).update(secure=True, scopes=["cookie"])),
     "parameters", "manifest.json", "scopes contains invalid values: cookie"),
    ("parameter-scopes-empty",
     manifest(lambda m: parameter("reply_language")(m).update(secure=True, scopes=[])),
     "parameters", "manifest.json", "scopes cannot be empty"),
    ("parameter-two-oauth", manifest(lambda m: m["parameters"].extend(
        [{"name": "o1", "type": "oauth"}, {"name": "o2", "type": "oauth"}])), "parameters",
     "manifest.json", "Too many parameters with type 'oauth'"),
    ("parameter-default-wrong-type",
     manifest(lambda m: parameter("high_risk_sla_hours")(m).update(default="2")), "parameters",
     "manifest.json", "default '2' does not fit type number"),
    ("checkbox-default-not-boolean",
     manifest(lambda m: parameter("deadline_alerts")(m).update(default=1)), "parameters",
     "manifest.json", "default 1 does not fit type checkbox"),
    ("oauth-incomplete", manifest(lambda m: m.update(oauth={"client_id": "claimdesk"})), "oauth",
     "manifest.json", "Missing required oauth fields in manifest: client_secret, authorize_uri"),
    ("experiment-unknown", manifest(lambda m: m.update(experiments={"fastPath": True})),
     "experiments", "manifest.json", "unknown or unavailable experiment: fastPath"),
    ("translation-bad-locale", write("translations/EN_us.json", '{"app": {"name": "x"}}'),
     "translation-files", "translations/EN_us.json", "is not a valid locale."),
    ("translation-not-json", write("translations/fr.json", "{'app': 1}"), "translation-files",
     "translations/fr.json", "translations/fr.json is not valid JSON."),
    ("translation-not-object", write("translations/fr.json", "[]"), "translation-files",
     "translations/fr.json", "translations/fr.json is not a JSON object."),
    ("translation-leaf-without-label",
     translation("fr", lambda t: t["app"]["parameters"]["reply_language"].pop("label")),
     "translation-files", "translations/fr.json",
     "Missing required key label on leaf reply_language from translations/fr.json"),
    ("public-app-without-long-description",
     translation("en", lambda t: t["app"].pop("long_description")), "translation-keys",
     "translations/en.json", "Missing required key from translations/en.json: long_description"),
    ("public-app-without-name", translation("en", lambda t: t["app"].pop("name")),
     "translation-keys", "translations/en.json",
     "Missing required key from translations/en.json: name"),
    ("translation-missing-string",
     translation("zh-cn", lambda t: t["app"].pop("installation_instructions")),
     "translation-completeness", "translations/zh-cn.json",
     "missing translations of en: app.installation_instructions"),
    ("translation-empty-string", translation("fr", lambda t: t["app"].update(name=" ")),
     "translation-completeness", "translations/fr.json",
     "empty or non-text translations: app.name"),
    ("parameter-without-labels",
     manifest(lambda m: m["parameters"].append({"name": "store_region", "type": "text"})),
     "parameter-labels", "translations/fr.json",
     "parameter store_region has no label (app.parameters.store_region.label)"),
    ("stale-label",
     manifest(lambda m: m["parameters"].remove(parameter("deadline_alerts")(m))),
     "parameter-labels", "translations/en.json",
     "app.parameters.deadline_alerts labels a parameter the manifest does not declare"),
    ("requirements-not-json", write("requirements.json", "{"), "requirements",
     "requirements.json", "requirements.json is not proper JSON."),
    ("requirements-duplicate-key",
     write("requirements.json", '{"ticket_fields": {}, "ticket_fields": {}}'), "requirements",
     "requirements.json", "requirements.json contains a duplicate key"),
    ("requirements-unknown-type", requirements(lambda r: r.update(widgets={})), "requirements",
     "requirements.json", "requirements.json contains an invalid type: widgets"),
    ("ticket-field-without-title",
     requirements(lambda r: r["ticket_fields"]["order_id"].pop("title")), "requirements",
     "requirements.json",
     'Missing required fields in requirements.json: "title" is required in "order_id"'),
    ("webhook-without-endpoint",
     requirements(lambda r: r["webhooks"]["claimdesk_triage"].pop("endpoint")), "requirements",
     "requirements.json", '"endpoint" is required in "claimdesk_triage"'),
    ("user-field-without-key",
     requirements(lambda r: r.update(user_fields={"seller": {"title": "Seller", "type": "text"}})),
     "requirements", "requirements.json", '"key" is required in "seller"'),
    ("deprecated-target", requirements(lambda r: r.update(
        targets={"old": {"title": "Old", "type": "http_target"}})), "requirements",
     "requirements.json", "requirements.json contains an invalid type: targets -> http_target"),
    ("ticket-field-bad-type",
     requirements(lambda r: r["ticket_fields"]["order_id"].update(type="number")),
     "requirements-shape", "requirements.json", "ticket field \"order_id\" has type 'number'"),
    ("webhook-bad-method",
     requirements(lambda r: r["webhooks"]["claimdesk_triage"].update(http_method="FETCH")),
     "requirements-shape", "requirements.json", "http_method must be one of GET, POST"),
    ("webhook-plain-http", requirements(lambda r: r["webhooks"]["claimdesk_triage"].update(
        endpoint="http://claimdesk.example/webhooks/zendesk")), "requirements-shape",
     "requirements.json", "must use https (or localhost)"),
    ("trigger-without-conditions",
     requirements(lambda r: trigger(r, "created").update(conditions={"all": [], "any": []})),
     "requirements-shape", "requirements.json",
     'trigger "claimdesk_ticket_created" has no conditions'),
    ("trigger-bad-condition",
     requirements(lambda r: trigger(r, "created")["conditions"]["all"].append({"value": 1})),
     "requirements-shape", "requirements.json", "each condition needs a field and an operator"),
    ("trigger-without-actions", requirements(lambda r: trigger(r, "created").update(actions=[])),
     "requirements-shape", "requirements.json", "needs a non-empty list of actions"),
    ("trigger-unknown-webhook",
     requirements(lambda r: trigger(r, "updated")["actions"][0]["value"].__setitem__(0, "other")),
     "requirements-shape", "requirements.json", 'notifies webhook "other", which is not declared'),
    ("trigger-body-not-json",
     requirements(lambda r: trigger(r, "updated")["actions"][0]["value"].__setitem__(1, "{")),
     "requirements-shape", "requirements.json", "webhook body is not JSON"),
    ("triage-body-without-order", triage_body("created", lambda b: b.pop("order_id")),
     "triage-contract", "requirements.json", "body differs from the webhook contract "
     "(docs/manifest.md) at: order_id"),
    ("triage-body-wrong-placeholder",
     triage_body("updated", lambda b: b.update(subject="{{ticket.subject}}")), "triage-contract",
     "requirements.json", "at: subject"),
    ("triage-event-unknown", triage_body("updated", lambda b: b.update(event="changed")),
     "triage-contract", "requirements.json", "sends event 'changed'"),
    ("triage-update-trigger-loops", requirements(lambda r: trigger(r, "updated")["conditions"]
                                                 ["all"].pop(1)), "triage-contract",
     "requirements.json", 'trigger "claimdesk_ticket_updated" can loop'),
    ("triage-created-without-update-type",
     requirements(lambda r: trigger(r, "created")["conditions"]["all"][0].update(value="Change")),
     "triage-contract", "requirements.json", "must have the condition update_type is Create"),
    ("triage-no-created-trigger", requirements(lambda r: r["triggers"].pop(
        "claimdesk_ticket_created")), "triage-contract", "requirements.json",
     "no trigger sends created tickets to the claimdesk_triage webhook"),
    ("triage-no-webhook", requirements(lambda r: r["webhooks"].update(
        other=r["webhooks"].pop("claimdesk_triage"))), "triage-contract", "requirements.json",
     'the "claimdesk_triage" webhook is missing'),
    ("zip-inside", write("assets/old.zip", b"PK\x03\x04rest"), "files", "assets/old.zip",
     "Unsupported MIME type detected in assets/old.zip."),
    ("pdf-by-content", write("assets/guide.txt", b"%PDF-1.7\n"), "files", "assets/guide.txt",
     "Unsupported MIME type detected"),
    ("shell-script", write("install.sh", "echo hi\n"), "files", "install.sh",
     "Unsupported MIME type detected in install.sh."),
    ("shebang-script", write("assets/run", "#!/bin/sh\necho hi\n"), "files", "assets/run",
     "Unsupported MIME type"),
    ("logo-wrong-size", write("assets/logo.png", make_png(300, 300)), "logos", "assets/logo.png",
     "is 300x300; the marketplace needs 320x320"),
    ("logo-small-not-png", write("assets/logo-small.png", b"GIF89a"), "logos",
     "assets/logo-small.png", "is not a PNG file"),
    ("logo-small-opaque", write("assets/logo-small.png", make_png(128, 128, colour_type=2)),
     "logos", "assets/logo-small.png", "needs transparency"),
    ("logo-missing", remove("assets/logo.png"), "logos", "assets/logo.png",
     "missing: the marketplace needs a 320x320 PNG"),
    ("logo-svg-missing", remove("assets/logo.svg"), "logos", "assets/logo.svg",
     "missing: the marketplace needs an SVG logo"),
    ("banner-wrong-size", write("assets/banner.png", make_png(800, 200)), "banner",
     "assets/banner.png", "Invalid banner image dimensions. Must be 830x200px."),
    ("banner-not-png", write("assets/banner.png", b"not an image"), "banner",
     "assets/banner.png", "Banner image must be a PNG file."),
    ("nav-bar-icon-missing", remove("assets/icon_nav_bar.svg"), "location-icons",
     "assets/icon_nav_bar.svg", "the nav_bar location needs this icon"),
    ("svg-script", write("assets/logo.svg", SVG.format("<script>alert(1)</script>")), "svg",
     "assets/logo.svg", "<script> is not allowed"),
    ("svg-event-handler", write("assets/logo.svg", SVG.format('<rect onclick="x()"/>')), "svg",
     "assets/logo.svg", "event attribute onclick is not allowed"),
    ("svg-external-link", write("assets/icon_nav_bar.svg", SVG.format(
        '<a href="https://evil.example"><rect/></a>')), "svg", "assets/icon_nav_bar.svg",
     "external link 'https://evil.example' is not allowed"),
    ("svg-bitmap", write("assets/logo.svg", SVG.format('<image href="#x"/>')), "svg",
     "assets/logo.svg", "<image> is not allowed"),
    ("svg-malformed", write("assets/logo.svg", "<svg><rect></svg>"), "svg", "assets/logo.svg",
     "contains invalid markup"),
    ("svg-not-svg", write("assets/logo.svg", "<html/>"), "svg", "assets/logo.svg",
     "the root element must be <svg>"),
    ("secure-parameter", manifest(lambda m: m["parameters"].append(
        {"name": "shop_domain", "type": "text", "secure": True, "scopes": ["header"]})),
     "no-secrets", "manifest.json", "parameter shop_domain is secure"),
    ("credential-named-parameter", manifest(lambda m: m["parameters"].append(
        {"name": "api_token", "type": "text"})), "no-secrets", "manifest.json",
     "parameter api_token is named like a credential"),
    ("password-in-text", translation("en", lambda t: t["app"].update(
        long_description="Enter your Amazon password here")), "no-secrets",
     "translations/en.json", "secret-looking word 'password'"),
    ("aws-key-in-text", translation("fr", lambda t: t["app"].update(
        long_description="clé AKIAIOSFODNN7EXAMPLE")), "no-secrets", "translations/fr.json",
     "looks like it contains a AWS access key id"),
    ("private-key-in-asset", write("assets/key.pem",
                                   "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n"), "no-secrets",
     "assets/key.pem", "looks like it contains a private key"),
    ("token-assignment", write("assets/config.json", '{"token": "abcd1234efgh"}'),
     "no-secrets", "assets/config.json", "looks like it contains a token"),
    ("webhook-authentication", requirements(lambda r: r["webhooks"]["claimdesk_triage"].update(
        authentication={"type": "bearer_token", "data": {}, "add_position": "header"})),
     "no-secrets", "requirements.json", 'webhooks "claimdesk_triage" sets authentication'),
    ("webhook-signing-secret", requirements(lambda r: r["webhooks"]["claimdesk_triage"].update(
        signing_secret={"algorithm": "SHA256", "secret": "abcdefghijklmnop"})), "no-secrets",
     "requirements.json", "sets signing_secret"),
]  # fmt: skip


def test_the_real_package_is_valid() -> None:
    assert check_package(DEFAULT_PACKAGE) == []


def test_the_logos_have_the_marketplace_sizes() -> None:
    assert png_size((DEFAULT_PACKAGE / "assets/logo.png").read_bytes()) == (320, 320)
    assert png_size((DEFAULT_PACKAGE / "assets/logo-small.png").read_bytes()) == (128, 128)


@pytest.mark.parametrize(("breaker", "rule", "file", "words"),
                         [pytest.param(*case[1:], id=case[0]) for case in CASES])  # fmt: skip
def test_each_rule_fails_on_a_broken_copy(
    app: Path, breaker: Breaker, rule: str, file: str, words: str
) -> None:
    breaker(app)
    problems = check_package(app)
    found = [p for p in problems if p.rule == rule and p.file == file and words in p.message]
    assert found, f"expected {rule} on {file} saying {words!r}; got:\n" + "\n".join(
        f"  [{p.rule}] {p}" for p in problems
    )


def test_every_rule_has_a_failing_case() -> None:
    covered = {case[2] for case in CASES}
    assert covered == set(rule_names())


def test_a_symlink_in_the_package_is_refused(app: Path) -> None:
    os.symlink(app / "assets" / "logo.svg", app / "assets" / "link.svg")
    problems = check_package(app)
    assert [str(p) for p in problems if p.rule == "files"] == [
        "assets/link.svg: Symlinks are not allowed in the zip file"
    ]


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(manifest(lambda m: sidebar(m).update(url="{{setting.server}}/sidebar")),
                     id="setting-placeholder-url"),
        pytest.param(manifest(lambda m: sidebar(m).update(url="https://claimdesk.example/s")),
                     id="https-url"),
        pytest.param(manifest(lambda m: sidebar(m).update(url="http://localhost:8000/s")),
                     id="localhost-url"),
        pytest.param(lambda app: (write("assets/iframe.html", "<p>hi</p>")(app), manifest(
            lambda m: sidebar(m).update(url="assets/iframe.html"))(app)), id="existing-asset"),
        pytest.param(write("tmp/build.zip", b"PK\x03\x04"), id="tmp-folder-ignored"),
        pytest.param(write(".DS_Store", b"PK\x03\x04"), id="dotfile-ignored"),
        pytest.param(write("assets/banner.png", make_png(1660, 400)), id="retina-banner"),
        pytest.param(manifest(lambda m: m["location"].update(
            zendesk=m["location"].pop("support"))), id="legacy-product-name"),
        pytest.param(lambda app: [translation(locale, lambda t: t["app"].update(
            description=t["app"].pop("short_description")))(app) for locale in (
                "en", "fr", "zh-cn")], id="description-for-short"),
    ],
)  # fmt: skip
def test_what_zendesk_accepts_is_accepted(app: Path, change: Breaker) -> None:
    change(app)
    assert [str(p) for p in check_package(app)] == []


def test_a_private_app_needs_only_a_name(app: Path) -> None:
    manifest(lambda m: m.update(private=True))(app)
    marketplace = ("short_description", "long_description", "installation_instructions")
    for locale in ("en", "fr", "zh-cn"):
        translation(locale, lambda t: [t["app"].pop(key) for key in marketplace])(app)
    assert check_package(app) == []
    manifest(lambda m: m.pop("private"))(app)  # ZAS: private unless said otherwise
    assert check_package(app) == []


def test_a_path_that_is_no_package_is_an_error(tmp_path: Path) -> None:
    stray = tmp_path / "notes.txt"
    stray.write_text("hello")
    with pytest.raises(ManifestError, match="neither an app folder nor a zip file"):
        check_package(stray)


@pytest.mark.parametrize(
    "guard",
    [
        {"field": "current_via_id", "operator": "is_not", "value": "5"},
        {"field": "current_tags", "operator": "not_includes", "value": "claimdesk_skip"},
    ],
)
def test_other_loop_guards_are_accepted(app: Path, guard: dict[str, str]) -> None:
    change = {"field": "update_type", "operator": "is", "value": "Change"}
    requirements(lambda r: trigger(r, "updated")["conditions"].update(all=[change, guard]))(app)
    assert check_package(app) == []


def test_a_guard_in_any_does_not_stop_the_loop(app: Path) -> None:
    def move_guard(document: dict[str, Any]) -> None:
        conditions = trigger(document, "updated")["conditions"]
        conditions["any"].append(conditions["all"].pop(1))

    requirements(move_guard)(app)
    assert [p.rule for p in check_package(app)] == ["triage-contract"]
