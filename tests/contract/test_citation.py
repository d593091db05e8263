"""CITATION.cff (GitHub's "Cite this repository") agrees with the book's bibliography and the version.

The paper's two versions are cited in two places, ``book/references.bib`` (the book's pages) and
``CITATION.cff`` (the repository); this test keeps them from drifting apart.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

import socalign

ROOT = Path(__file__).resolve().parents[2]


def bib_entries(text: str) -> dict[str, dict[str, str]]:
    """Each ``@type{key, field = {value}, ...}`` entry of a BibTeX text as ``{key: {field: value}}``."""
    entries = {}
    for key, body in re.findall(r"@\w+\{(\w+),(.*?)\n\}", text, flags=re.S):
        fields = re.findall(r"(\w+)\s*=\s*\{(.*?)\},?\s*$", body, flags=re.M)
        entries[key] = {name: value for name, value in fields}
    return entries


def cff_articles(cff: dict) -> list[dict]:
    """The preferred citation and every reference of a parsed CITATION.cff."""
    return [cff["preferred-citation"], *cff.get("references", [])]


def test_citation_file_cites_both_versions_as_the_bibliography_does() -> None:
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    bib = bib_entries((ROOT / "book" / "references.bib").read_text())
    papers = {entry["url"]: entry for entry in bib.values() if "2510.01502" in entry.get("url", "")}
    assert len(papers) == 2  # the 2025 version and its 2026 second version
    cited = {article["url"]: article for article in cff_articles(cff)}
    assert set(cited) == set(papers)
    for url, article in cited.items():
        assert article["title"] == papers[url]["title"]
        assert str(article["year"]) == papers[url]["year"]
        assert article["journal"] == papers[url]["journal"]
        names = " and ".join(f"{a['family-names']}, {a['given-names']}" for a in article["authors"])
        assert names == papers[url]["author"]
    assert cff["preferred-citation"]["url"].endswith("v2")  # the current version first


def test_citation_file_version_is_the_package_s() -> None:
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert cff["cff-version"] == "1.2.0"
    assert str(cff["version"]) == socalign.__version__


def test_bib_entries_reads_fields_and_a_changed_title_is_seen() -> None:
    text = "@article{a1,\n  title = {One},\n  year  = {2025},\n  url   = {u}\n}\n\n@misc{b2,\n  title = {Two}\n}\n"
    assert bib_entries(text) == {"a1": {"title": "One", "year": "2025", "url": "u"}, "b2": {"title": "Two"}}
    assert bib_entries(text.replace("One", "Changed"))["a1"]["title"] == "Changed"
