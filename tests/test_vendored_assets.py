"""The editor's vendored front-end libraries (workflows/static/workflows/vendor/) match the lock
file they are built from, without Node: a lock change without `make assets`, a rebuild that
lost the licenses, or a dependency pinned to a range fails here. assets/README.md says how to
rebuild."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "workflows" / "static" / "workflows" / "vendor"
BUILT = ["editor-libs.js", "editor-libs.css"]
#: a package of the banner: ``@codemirror/view@6.44.2``, ``sortablejs@1.15.7``
BANNER_PACKAGE = re.compile(r"(@?[a-z0-9][\w.-]*(?:/[\w.-]+)?)@(\d+\.\d+\.\d+(?:[-+][\w.-]*\w)?)")
#: an exact version, as ``npm install --save-exact`` writes it (no ^, ~, ranges or tags)
EXACT = re.compile(r"^\d+\.\d+\.\d+(?:-[\w.]+)?$")
#: a package's heading in LICENSES.txt: ``sortablejs 1.15.7 (MIT)`` between two rules
LICENSE_HEADING = re.compile(r"^=+\n(\S+) (\S+) \((.+)\)\n=+\n", re.M)


def lock() -> dict:
    return json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))


def bundled() -> dict[str, str]:
    """``{name: version}`` of the lock's packages that the bundle is built from: all but the
    build tools, which npm marks ``dev``."""
    marker = "node_modules/"
    return {
        path[path.rindex(marker) + len(marker) :]: entry["version"]
        for path, entry in lock()["packages"].items()
        if path and not entry.get("dev")
    }


def banner(name: str) -> dict[str, str]:
    first = (VENDOR / name).read_text(encoding="utf-8").split("\n", 1)[0]
    assert first.startswith("/*! BubbleEditorLibs") and first.endswith("*/"), first[:200]
    return dict(BANNER_PACKAGE.findall(first))


def licenses() -> dict[str, tuple[str, str, str]]:
    """``{name: (version, license, text)}`` of each section of LICENSES.txt."""
    text = (VENDOR / "LICENSES.txt").read_text(encoding="utf-8")
    headings = list(LICENSE_HEADING.finditer(text))
    ends = [h.start() for h in headings[1:]] + [len(text)]
    return {
        h.group(1): (h.group(2), h.group(3), text[h.end() : end].strip())
        for h, end in zip(headings, ends, strict=True)
    }


def test_the_lock_names_the_bundled_libraries():
    assert {
        "@codemirror/autocomplete",
        "@codemirror/commands",
        "@codemirror/state",
        "@codemirror/view",
        "sortablejs",
    } <= set(bundled())


@pytest.mark.parametrize("name", [*BUILT, "LICENSES.txt"])
def test_the_vendored_files_are_committed_and_served(name):
    assert (VENDOR / name).stat().st_size > 0
    assert finders.find(f"workflows/vendor/{name}") == str(VENDOR / name)


def test_the_script_defines_its_global():
    assert (VENDOR / "editor-libs.js").read_text(encoding="utf-8").count(
        "var BubbleEditorLibs="
    ) == 1


@pytest.mark.parametrize("name", BUILT)
def test_the_banner_names_the_locked_versions(name):
    assert banner(name) == bundled()


def test_licenses_name_every_bundled_package_with_its_text():
    found = licenses()
    assert set(found) == set(bundled())
    entries = {
        path.rsplit("node_modules/", 1)[-1]: entry for path, entry in lock()["packages"].items()
    }
    for name, (version, license_name, text) in found.items():
        assert version == bundled()[name], name
        assert license_name == entries[name].get("license"), name
        # A license's full text, not just its name.
        assert len(text) > 200 and "copyright" in text.lower(), name


def test_package_json_pins_exact_versions_the_lock_agrees_with():
    package = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))
    root = lock()["packages"][""]
    for field in ("dependencies", "devDependencies"):
        pins = package.get(field, {})
        assert pins == root.get(field, {}), f"{field}: run npm install, then make assets"
        loose = {name: spec for name, spec in pins.items() if not EXACT.match(spec)}
        assert not loose, f"{field} not pinned exactly: {loose}"
        for name, spec in pins.items():
            assert lock()["packages"][f"node_modules/{name}"]["version"] == spec, name


def test_the_banner_pattern_reads_scoped_and_plain_names():
    first = "/*! BubbleEditorLibs, from: sortablejs@1.15.7 @codemirror/view@6.44.2. */"
    assert dict(BANNER_PACKAGE.findall(first)) == {
        "sortablejs": "1.15.7",
        "@codemirror/view": "6.44.2",
    }
