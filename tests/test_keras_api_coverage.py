"""Keras 3's public API against kxla's, name by name (see docs/keras_compatibility.md).

The survey (``kxla.testing.keras_coverage``) splits every public Keras name into
present / excluded / missing. These tests keep the committed page honest and
let coverage only grow: a name that goes missing without being in
tests/keras_api_missing.txt fails. Regenerate the page and that list with
``python -m kxla.testing.keras_coverage --write``.
"""
import importlib

import pytest

keras = pytest.importorskip("keras")

from kxla.testing import keras_coverage as cov  # noqa: E402


@pytest.fixture(scope="module")
def rows():
    return cov.survey()


def test_present_names_are_the_kind_keras_has(rows):
    for row in rows:
        ours, theirs = cov._import("kxla", row.ns), cov._import("keras", row.ns)
        for name in row.present:
            assert cov.kind_of(getattr(ours, name)) == cov.kind_of(getattr(theirs, name)), (row.label, name)


def test_page_does_not_overstate_coverage(rows):
    """Every namespace has at least as many names in kxla as the committed page says."""
    stated = cov.page_counts()
    assert set(stated) == {r.label for r in rows} | {"all"}, "regenerate the page (--write)"
    for row in rows:
        assert len(row.present) >= stated[row.label], \
            f"{row.label}: the page says {stated[row.label]} names are in kxla, now {len(row.present)}"


def test_exclusions_name_keras_objects_with_reasons():
    exclusions = cov.read_exclusions()
    assert exclusions, "the exclusion table of docs/keras_compatibility.md was not found"
    for full, reason in exclusions.items():
        ns, _, name = full[len("keras."):].rpartition(".") if "." in full else ("", "", "")
        module = importlib.import_module("keras" + ("." + ns if ns else ""))
        assert hasattr(module, name), f"{full} is excluded but Keras has no such name"
        assert ns in cov.NAMESPACES, f"{full}: not in a surveyed namespace"
        assert len(reason) > 10, f"{full}: the exclusion needs a reason"


def test_no_new_missing_names(rows):
    known = cov.read_known_missing()
    assert cov.MISSING_FILE.exists(), "tests/keras_api_missing.txt is missing"
    new = sorted(set(cov.missing_names(rows)) - known)
    assert not new, (f"kxla lost Keras names {new}: restore them, or exclude them with a reason in "
                     "docs/keras_compatibility.md")


def test_check_mode_reports_a_stale_page(tmp_path, monkeypatch, rows):
    page = tmp_path / "page.md"
    page.write_text(cov.PAGE.read_text().replace("| `all` |", "| `all (edited)` |"))
    missing = tmp_path / "missing.txt"
    missing.write_text(cov.MISSING_FILE.read_text())
    monkeypatch.setattr(cov, "PAGE", page)
    monkeypatch.setattr(cov, "MISSING_FILE", missing)
    monkeypatch.setattr(cov, "survey", lambda: rows)
    assert cov.main(["--check"]) == 1
    assert cov.main(["--write"]) == 0
    assert cov.main(["--check"]) == 0
    assert "| `all` |" in page.read_text()
