"""Sphinx extension: drop repeated <script> entries from each page.

With jupyter-book 1.0 / sphinx-thebe 0.3 the inline thebe configuration
(``const THEBE_JS_URL = ...``) is added twice, which is a JavaScript error on every page
("Identifier 'THEBE_JS_URL' has already been declared"). Keeping the first of identical
scripts removes it without touching anything else.
"""

from __future__ import annotations

from typing import Any


def drop_repeated_scripts(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    """Keep the first of each (file, inline body) script in the page's script list."""
    scripts = context.get("script_files")
    if not scripts:
        return
    seen: set[tuple[str, str]] = set()
    unique = []
    for script in scripts:
        # an inline script's filename is None or "" depending on who added it
        key = (str(getattr(script, "filename", script) or ""),
               str(getattr(script, "attributes", {}).get("body", "")))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def setup(app: Any) -> dict[str, Any]:
    app.connect("html-page-context", drop_repeated_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
