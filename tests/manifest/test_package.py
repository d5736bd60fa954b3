"""``build_package``: the upload zip, moved onto the production URL, same bytes every time."""

from __future__ import annotations

import importlib.util
import json
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from plugin.manifest import DEFAULT_PACKAGE, ManifestError, build_package, check_package

from .conftest import edit_json

BASE = "https://claimdesk.example.com"


def entries(archive: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(archive) as opened:
        return {info.filename: opened.read(info) for info in opened.infolist()}


def test_the_zip_holds_the_package_with_manifest_at_its_root(tmp_path: Path) -> None:
    written = build_package(DEFAULT_PACKAGE, tmp_path / "app.zip")
    found = entries(written)
    assert "manifest.json" in found
    expected = sorted(
        p.relative_to(DEFAULT_PACKAGE).as_posix() for p in DEFAULT_PACKAGE.rglob("*") if p.is_file()
    )
    assert sorted(found) == expected
    assert found["assets/logo.png"] == (DEFAULT_PACKAGE / "assets/logo.png").read_bytes()
    assert check_package(written) == []  # the zip itself passes, checked the way it uploads


def test_base_url_moves_every_location_and_the_webhook(tmp_path: Path) -> None:
    found = entries(build_package(DEFAULT_PACKAGE, tmp_path / "app.zip", base_url=BASE + "/"))
    manifest = json.loads(found["manifest.json"])
    support = manifest["location"]["support"]
    assert support["ticket_sidebar"] == {"url": f"{BASE}/sidebar", "flexible": True}
    assert support["nav_bar"] == {"url": f"{BASE}/claims/"}
    requirements = json.loads(found["requirements.json"])
    assert requirements["webhooks"]["claimdesk_triage"]["endpoint"] == f"{BASE}/webhooks/zendesk"
    assert all(b"localhost" not in data for data in found.values())
    # Nothing else changed: same parameters, triggers and translations as the folder.
    source = json.loads((DEFAULT_PACKAGE / "manifest.json").read_text())
    assert manifest["parameters"] == source["parameters"]
    assert (
        requirements["triggers"]
        == json.loads((DEFAULT_PACKAGE / "requirements.json").read_text())["triggers"]
    )
    assert found["translations/fr.json"] == (DEFAULT_PACKAGE / "translations/fr.json").read_bytes()


def test_a_base_url_with_a_path_keeps_it(tmp_path: Path) -> None:
    found = entries(build_package(DEFAULT_PACKAGE, tmp_path / "a.zip", base_url=BASE + "/cd"))
    assert json.loads(found["manifest.json"])["location"]["support"]["nav_bar"]["url"] == (
        f"{BASE}/cd/claims/"
    )


def test_the_zip_is_byte_for_byte_reproducible(tmp_path: Path, app: Path) -> None:
    first = build_package(DEFAULT_PACKAGE, tmp_path / "one.zip", base_url=BASE)
    (app / "assets" / "logo.svg").touch()  # a newer mtime must not change the bytes
    second = build_package(app, tmp_path / "two.zip", base_url=BASE)
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as opened:
        infos = opened.infolist()
    assert [i.filename for i in infos] == sorted(i.filename for i in infos)
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}


def test_the_zip_carries_no_secrets(tmp_path: Path) -> None:
    found = entries(build_package(DEFAULT_PACKAGE, tmp_path / "app.zip", base_url=BASE))
    manifest = json.loads(found["manifest.json"])
    assert not any(p.get("secure") for p in manifest["parameters"])
    text = b" ".join(data for name, data in found.items() if not name.endswith(".png")).lower()
    for word in (b"secret", b"password", b"api_key", b"private key", b"bearer"):
        assert word not in text, word
    webhook = json.loads(found["requirements.json"])["webhooks"]["claimdesk_triage"]
    assert "authentication" not in webhook and "signing_secret" not in webhook


@pytest.mark.parametrize(
    ("base_url", "words"),
    [
        ("http://claimdesk.example.com", "must be an https URL"),
        ("https://", "must be an https URL with a host"),
        ("claimdesk.example.com", "must be an https URL"),
        ("https://claimdesk.example.com/?x=1", "must not carry a query"),
    ],
)
def test_a_bad_base_url_is_refused(tmp_path: Path, base_url: str, words: str) -> None:
    with pytest.raises(ManifestError, match=words):
        build_package(DEFAULT_PACKAGE, tmp_path / "app.zip", base_url=base_url)
    assert not (tmp_path / "app.zip").exists()


def test_an_invalid_package_is_not_packaged(tmp_path: Path, app: Path) -> None:
    edit_json(app / "manifest.json", lambda m: m.update(frameworkVersion="1.0"))
    with pytest.raises(ManifestError) as raised:
        build_package(app, tmp_path / "app.zip")
    assert [p.rule for p in raised.value.problems] == ["framework-version"]
    assert list(tmp_path.glob("app.zip*")) == []


def test_a_failed_rebuild_keeps_the_previous_zip(tmp_path: Path, app: Path) -> None:
    out = build_package(DEFAULT_PACKAGE, tmp_path / "app.zip")
    before = out.read_bytes()
    (app / "assets" / "logo.png").unlink()
    with pytest.raises(ManifestError):
        build_package(app, out)
    assert out.read_bytes() == before


def test_a_zip_with_the_manifest_in_a_folder_fails(tmp_path: Path) -> None:
    archive = tmp_path / "nested.zip"
    with zipfile.ZipFile(archive, "w") as opened:
        for path in sorted(DEFAULT_PACKAGE.rglob("*")):
            if path.is_file():
                opened.write(path, "claimdesk/" + path.relative_to(DEFAULT_PACKAGE).as_posix())
    messages = [str(p) for p in check_package(archive)]
    assert messages[0] == (
        "claimdesk/manifest.json: Could not find manifest.json in the root of the zip file, but "
        "claimdesk/manifest.json was found. Try re-creating the archive from this directory."
    )


def test_a_zip_with_a_symlink_or_an_escaping_path_fails(tmp_path: Path) -> None:
    archive = tmp_path / "bad.zip"
    build_package(DEFAULT_PACKAGE, archive)
    with zipfile.ZipFile(archive, "a") as opened:
        link = zipfile.ZipInfo("assets/link.svg")
        link.external_attr = (0o120777) << 16
        opened.writestr(link, "logo.svg")
        opened.writestr("../outside.txt", "x")
    messages = {str(p) for p in check_package(archive)}
    assert "assets/link.svg: Symlinks are not allowed in the zip file" in messages
    assert "../outside.txt: path leaves the package root" in messages
    assert not (tmp_path / "outside.txt").exists()


def test_the_committed_logos_are_what_the_script_draws() -> None:
    script = Path(__file__).resolve().parents[2] / "scripts" / "make_logos.py"
    spec = importlib.util.spec_from_file_location("make_logos", script)
    assert spec is not None and spec.loader is not None
    logos = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(logos)
    small = logos.png(128, logos.draw(128, background=False))
    assert small == (DEFAULT_PACKAGE / "assets/logo-small.png").read_bytes()


def test_the_locations_are_routes_of_the_app() -> None:
    """Zendesk POSTs each signed location; a missing route or a slash redirect breaks the launch."""
    from plugin import create_app

    urls = create_app({"TESTING": True, "SECRET_KEY": "test"}).url_map.bind("localhost")
    manifest = json.loads((DEFAULT_PACKAGE / "manifest.json").read_text())
    for name, options in manifest["location"]["support"].items():
        path = urlsplit(options["url"]).path
        endpoint, _arguments = urls.match(path, method="POST")  # raises if absent or redirected
        assert endpoint, name
    webhook = json.loads((DEFAULT_PACKAGE / "requirements.json").read_text())["webhooks"]
    assert urlsplit(webhook["claimdesk_triage"]["endpoint"]).path == "/webhooks/zendesk"
