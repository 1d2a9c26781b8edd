"""The desk's warnings before saving a visit, in the reader's language: the one place of their
words, for the page the server renders and for the data its script warns from before Save.

A warning about documents is one line per document (``warning_items``); the visit form's
script (static/js/desk-warnings.js) shows the very same lines, rendered here for each document
of the version in force and, for any other text, from a template with a placeholder
(``document_data``). The script decides nothing but set membership.
"""
from __future__ import annotations

import json
from collections.abc import Iterable

from flask_babel import gettext as _
from markupsafe import Markup

from ..compliance.rules import RULES
from .finding_words import finding_words
from .labels import state_system_name

# The rules the script decides live, from the documents picked or typed (the others, a
# conflict of interest or a restarted deadline, only the server knows).
LIVE_RULES = ("EXTRA_DOCUMENT", "STATE_SYSTEM_DOCUMENT", "UNFOUNDED_RETURN")
DOCUMENT_RULES = ("EXTRA_DOCUMENT", "STATE_SYSTEM_DOCUMENT")
# Stands for a document typed as free text in a template; no catalog code looks like it.
PLACEHOLDER = "@@document@@"


def _intro(rule: str, clause: str, document_code: str | None, catalog) -> str:
    """What a warning says before the finding's own words."""
    if rule == "CONFLICT_OF_INTEREST":
        return _("Conflict of interest (clause %(clause)s): the applicant is a close relative you declared. "
                 "Please hand the case to a colleague.", clause=clause)
    if rule == "STATE_SYSTEM_DOCUMENT":
        document = catalog.documents.get(document_code) if catalog is not None and document_code else None
        if document is not None and document.state_system:
            return _("Clause %(clause)s: the office obtains this itself from %(system)s; do not ask the "
                     "applicant for it.", clause=clause, system=state_system_name(document.state_system))
        return _("Clause %(clause)s: the office must obtain this itself from state information systems; "
                 "do not ask the applicant for it.", clause=clause)
    if rule == "OVERDUE_OPEN":
        return _("Clause %(clause)s: this case is overdue. Withdrawing it does not clear its overdue finding: "
                 "the finding stays until a supervisor reviews the withdrawal. Record a withdrawal only when "
                 "the applicant asks for it, and say so below.", clause=clause)
    if rule == "EXTRA_DOCUMENT":
        return _("Clause %(clause)s: the rules of this service do not provide for this document; demanding it "
                 "is not allowed.", clause=clause)
    return _("Clause %(clause)s: red tape.", clause=clause)


def _line(rule: str, clause: str, params: dict, document_code: str | None, catalog, language: str,
          timezone) -> Markup:
    intro = _intro(rule, clause, document_code, catalog)
    if rule in ("CONFLICT_OF_INTEREST", "OVERDUE_OPEN"):
        return Markup("%s") % intro
    words = finding_words(rule, params, catalog=catalog, language=language, timezone=timezone)
    return Markup("%s <em>%s</em>") % (intro, words)


def warning_items(warnings: Iterable, *, catalog, language: str, timezone=None) -> list[tuple[str, Markup]]:
    """The lines of the desk's warnings (``services.front_desk.DeskWarning``), as (rule, line):
    a warning about documents has one line per document."""
    items = []
    for warning in warnings:
        documents = list(warning.params.get("documents") or ()) if warning.rule in LIVE_RULES else []
        if documents:
            items += [(warning.rule, _line(warning.rule, warning.clause, {"documents": [code]}, code, catalog,
                                           language, timezone)) for code in documents]
        else:
            items.append((warning.rule, _line(warning.rule, warning.clause, dict(warning.params), None, catalog,
                                              language, timezone)))
    return items


def document_data(facts, *, catalog, language: str, timezone=None) -> dict:
    """What the visit form's script needs to warn before Save (``facts``:
    ``services.front_desk.DocumentFacts``), every line already in the reader's language.

    ``names``: a typed name (its words, lower case, one space) to its code; ``lawful``: the
    codes the version may require; ``lines``: for each code the office obtains itself, its
    line per rule; ``other``: the line of any other document per rule, ``placeholder`` standing
    for its name (``catalog_names``: the names of the catalog's other codes, escaped; anything
    else is the typed text, escaped by the script); ``empty_return``: a return naming no
    document.
    """
    def line(rule: str, code: str) -> str:
        return str(_line(rule, RULES[rule].clause, {"documents": [code]}, code, catalog, language, timezone))
    version_codes = set(facts.lawful) | set(facts.obtained)
    documents = catalog.documents if catalog is not None else {}
    return {
        "rules": list(LIVE_RULES),
        "word_pattern": facts.word_pattern,
        "names": dict(facts.names),
        "lawful": list(facts.lawful),
        "lines": {code: {"STATE_SYSTEM_DOCUMENT": line("STATE_SYSTEM_DOCUMENT", code),
                         "UNFOUNDED_RETURN": line("UNFOUNDED_RETURN", code)} for code in facts.obtained},
        "other": {rule: line(rule, PLACEHOLDER) for rule in ("EXTRA_DOCUMENT", "UNFOUNDED_RETURN")},
        "placeholder": PLACEHOLDER,
        "catalog_names": {code: str(Markup.escape(document.name.get(language)))
                          for code, document in documents.items() if code not in version_codes},
        "empty_return": str(_line("UNFOUNDED_RETURN", RULES["UNFOUNDED_RETURN"].clause, {"documents": []}, None,
                                  catalog, language, timezone)),
    }


def script_json(data: dict) -> Markup:
    """``data`` as JSON to put inside a <script type="application/json"> element: letters as
    they are (no \\u escapes: half the bytes), and nothing that could close the element."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True)
    for character, escaped in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e"), ("'", "\\u0027")):
        text = text.replace(character, escaped)
    # No "<" is left: the element cannot be closed from inside.
    return Markup(text)  # nosec B704
