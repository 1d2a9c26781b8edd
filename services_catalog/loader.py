"""Read a catalog folder (catalog-format.md) into the model, validating every rule.

Validation never stops at the first problem: a catalog author gets the whole list,
each naming the file, service, version and field, and the reason.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from .model import (
    CHANNELS, SERVICE_CODE, DEADLINE_UNITS, LANGUAGES, Catalog, Deadline, Document, Fee,
    RefusalGround, RequiredDocument, Service, ServiceVersion, Text,
)

DOCUMENT_CODE = re.compile(r"^[A-Z0-9_]{2,40}$")


@dataclass(frozen=True)
class CatalogProblem:
    file: str
    reason: str
    service: str | None = None
    version: str | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = [self.file]
        if self.service:
            where.append(f"service {self.service}")
        if self.version:
            where.append(f"version {self.version}")
        if self.field:
            where.append(f"field {self.field}")
        return f"{', '.join(where)}: {self.reason}"


class CatalogError(Exception):
    """A catalog that must not be loaded; ``problems`` lists every reason."""

    def __init__(self, problems: list[CatalogProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class _CatalogYamlLoader(yaml.SafeLoader):
    """SafeLoader that keeps codes such as ``00101`` as strings.

    YAML 1.1 reads ``00101`` as an octal number and ``1_0`` as 10; a service code
    must stay exactly as written, so only plain decimal integers become numbers.
    """


_CatalogYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:int"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_CatalogYamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?(?:0|[1-9][0-9]*))$"), list("-+0123456789"))


def read_yaml(path: Path):
    with path.open(encoding="utf-8") as stream:
        # _CatalogYamlLoader is a SafeLoader: it builds no arbitrary objects.
        return yaml.load(stream, Loader=_CatalogYamlLoader)  # nosec B506


def _yaml_problem(error: yaml.YAMLError) -> str:
    """PyYAML's message on one line, with where it happened."""
    mark = getattr(error, "problem_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    return f"not valid YAML{where}: {' '.join(str(getattr(error, 'problem', None) or error).split())}"


class _Collector:
    """Collects problems for one file, remembering which service/version is being read."""

    def __init__(self, file: str, problems: list[CatalogProblem]):
        self.file = file
        self.problems = problems
        self.service: str | None = None
        self.version: str | None = None

    def add(self, field: str | None, reason: str) -> None:
        self.problems.append(CatalogProblem(self.file, reason, self.service, self.version, field))

    def text(self, data, field: str) -> Text | None:
        if not isinstance(data, dict):
            self.add(field, "must be a mapping with kk, ru and en texts")
            return None
        missing = [lang for lang in LANGUAGES
                   if not isinstance(data.get(lang), str) or not data.get(lang).strip()]
        for lang in missing:
            self.add(f"{field}.{lang}", f"the {lang} text is missing or empty")
        extra = sorted(set(data) - set(LANGUAGES))
        if extra:
            self.add(field, f"unknown languages {', '.join(map(str, extra))} (only kk, ru, en)")
        if missing:
            return None
        return Text(**{lang: data[lang] for lang in LANGUAGES})

    def code(self, value, field: str) -> str | None:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            self.add(field, "a code is required")
            return None
        return value.strip()

    def date(self, value, field: str, nullable: bool) -> dt.date | None:
        if value is None and nullable:
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        self.add(field, f"{value!r} is not a date (YYYY-MM-DD{' or null' if nullable else ''})")
        return None

    def whole_number(self, value, field: str, minimum: int) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            relation = "a whole number >= 0" if minimum == 0 else "a whole number > 0"
            self.add(field, f"{value!r} must be {relation}")
            return None
        return value


def load_documents(path: Path, problems: list[CatalogProblem]) -> dict[str, Document]:
    check = _Collector(path.name, problems)
    if not path.exists():
        check.add(None, "documents.yaml is missing from the catalog folder")
        return {}
    try:
        data = read_yaml(path)
    except yaml.YAMLError as error:
        check.add(None, _yaml_problem(error))
        return {}
    if not isinstance(data, dict) or not isinstance(data.get("documents"), list):
        check.add("documents", "the file must hold a list under 'documents'")
        return {}
    documents: dict[str, Document] = {}
    for index, entry in enumerate(data["documents"], start=1):
        field = f"documents[{index}]"
        if not isinstance(entry, dict):
            check.add(field, "must be a mapping with code, name and state_system")
            continue
        code = check.code(entry.get("code"), f"{field}.code")
        if code is None:
            continue
        field = f"documents[{code}]"
        if not DOCUMENT_CODE.match(code):
            check.add(f"{field}.code", f"{code!r} must match [A-Z0-9_]{{2,40}}")
        if code in documents:
            check.add(f"{field}.code", f"document code {code} is defined twice")
            continue
        name = check.text(entry.get("name"), f"{field}.name")
        state_system = entry.get("state_system")
        if state_system is not None and not isinstance(state_system, str):
            check.add(f"{field}.state_system", "must be the name of a state system or null")
            state_system = None
        if name is not None:
            documents[code] = Document(code, name, state_system or None)
    return documents


def _required_entries(check: _Collector, raw, field: str) -> tuple[RequiredDocument, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        check.add(field, "must be a list")
        return ()
    entries = []
    for index, item in enumerate(raw, start=1):
        item_field = f"{field}[{index}]"
        if isinstance(item, (str, int)) and not isinstance(item, bool):
            code = check.code(item, item_field)
            if code:
                entries.append(RequiredDocument((code,)))
        elif isinstance(item, dict) and "any_of" in item:
            group = item["any_of"]
            if not isinstance(group, list) or len(group) < 2:
                check.add(f"{item_field}.any_of", "must list at least two document codes")
                continue
            codes = tuple(c for c in (check.code(c, f"{item_field}.any_of") for c in group) if c)
            when = check.text(item["when"], f"{item_field}.when") if "when" in item else None
            entries.append(RequiredDocument(codes, any_of=True, when=when))
        elif isinstance(item, dict) and "code" in item:
            code = check.code(item["code"], f"{item_field}.code")
            if "when" not in item:
                check.add(f"{item_field}.when", "a conditional document needs its 'when' text")
                continue
            when = check.text(item["when"], f"{item_field}.when")
            if code and when:
                entries.append(RequiredDocument((code,), when=when))
        else:
            check.add(item_field, "must be a code, {any_of: [...]} or {code: ..., when: {...}}")
    return tuple(entries)


def _version(check: _Collector, raw: dict, documents: dict) -> ServiceVersion | None:
    before = len(check.problems)
    effective_from = check.date(raw.get("effective_from"), "effective_from", nullable=False)
    effective_to = check.date(raw.get("effective_to"), "effective_to", nullable=True)
    if effective_from and effective_to and effective_from > effective_to:
        check.add("effective_to", f"effective_from {effective_from} is after effective_to {effective_to}")
    legal_basis = raw.get("legal_basis")
    if not isinstance(legal_basis, str) or not legal_basis.strip():
        check.add("legal_basis", "the legal basis is required")
    deadline = None
    raw_deadline = raw.get("deadline")
    if not isinstance(raw_deadline, dict):
        check.add("deadline", "must be {value: N, unit: ...}")
    else:
        value = check.whole_number(raw_deadline.get("value"), "deadline.value", minimum=0)
        unit = raw_deadline.get("unit")
        if unit not in DEADLINE_UNITS:
            check.add("deadline.unit", f"{unit!r} is not one of {', '.join(DEADLINE_UNITS)}")
        elif value is not None:
            deadline = Deadline(value, unit)
    max_wait = check.whole_number(raw.get("max_wait_minutes"), "max_wait_minutes", minimum=1)
    max_service = check.whole_number(raw.get("max_service_minutes"), "max_service_minutes", minimum=1)
    fee = Fee(0, "KZT")
    raw_fee = raw.get("fee", {"amount": 0, "currency": "KZT"})
    if not isinstance(raw_fee, dict) or isinstance(raw_fee.get("amount"), bool) \
            or not isinstance(raw_fee.get("amount"), (int, float)) or raw_fee["amount"] < 0:
        check.add("fee", "must be {amount: a number >= 0, currency: KZT}")
    else:
        fee = Fee(raw_fee["amount"], str(raw_fee.get("currency") or "KZT"))
    required = _required_entries(check, raw.get("required_documents"), "required_documents")
    obtained_raw = raw.get("obtained_by_office") or []
    if not isinstance(obtained_raw, list):
        check.add("obtained_by_office", "must be a list of document codes")
        obtained_raw = []
    obtained = tuple(c for c in (check.code(c, "obtained_by_office") for c in obtained_raw) if c)
    grounds = []
    raw_grounds = raw.get("refusal_grounds") or []
    if not isinstance(raw_grounds, list):
        check.add("refusal_grounds", "must be a list of {code, text}")
        raw_grounds = []
    seen_grounds = set()
    for index, ground in enumerate(raw_grounds, start=1):
        field = f"refusal_grounds[{index}]"
        if not isinstance(ground, dict):
            check.add(field, "must be {code: ..., text: {kk, ru, en}}")
            continue
        code = check.code(ground.get("code"), f"{field}.code")
        if code in seen_grounds:
            check.add(f"{field}.code", f"refusal ground {code} is listed twice")
        seen_grounds.add(code)
        text = check.text(ground.get("text"), f"{field}.text")
        if code and text:
            grounds.append(RefusalGround(code, text))
    _check_version_documents(check, required, obtained, documents)
    result = check.text(raw.get("result"), "result")
    channels = raw.get("channels") or ["front_desk"]
    if not isinstance(channels, list) or any(c not in CHANNELS for c in channels):
        check.add("channels", f"must be a list of {', '.join(CHANNELS)}")
        channels = ["front_desk"]
    if len(check.problems) > before or None in (effective_from, deadline, max_wait, max_service, result):
        return None
    return ServiceVersion(
        effective_from=effective_from, effective_to=effective_to, legal_basis=legal_basis.strip(),
        deadline=deadline, max_wait_minutes=max_wait, max_service_minutes=max_service, fee=fee,
        required_documents=required, obtained_by_office=obtained, refusal_grounds=tuple(grounds),
        result=result, channels=tuple(channels))


def _check_version_documents(check: _Collector, required: tuple[RequiredDocument, ...],
                             obtained: tuple[str, ...], documents: dict) -> None:
    for entry in required:
        for code in entry.codes:
            if code not in documents:
                check.add("required_documents", f"document {code} is not in documents.yaml")
    for code in obtained:
        if code not in documents:
            check.add("obtained_by_office", f"document {code} is not in documents.yaml")
    lawful = {code for entry in required for code in entry.codes}
    for code in sorted(lawful & set(obtained)):
        check.add("obtained_by_office", f"document {code} is both required and obtained by the office")


def load_service(path: Path, documents: dict, problems: list[CatalogProblem]) -> Service | None:
    check = _Collector(f"services/{path.name}", problems)
    try:
        data = read_yaml(path)
    except yaml.YAMLError as error:
        check.add(None, _yaml_problem(error))
        return None
    if not isinstance(data, dict):
        check.add(None, "the file must hold one service as a mapping")
        return None
    before = len(problems)
    code = check.code(data.get("code"), "code")
    if code is not None and not SERVICE_CODE.match(code):
        check.add("code", f"{code!r} must match [A-Za-z0-9][A-Za-z0-9_-]{{0,39}} (letters, digits, _ and -)")
    check.service = code
    name = check.text(data.get("name"), "name")
    provider = check.text(data.get("provider"), "provider")
    raw_versions = data.get("versions")
    if not isinstance(raw_versions, list) or not raw_versions:
        check.add("versions", "a service needs at least one version")
        raw_versions = []
    versions = []
    for index, raw in enumerate(raw_versions, start=1):
        check.version = f"{index} (from {raw.get('effective_from')})" if isinstance(raw, dict) else str(index)
        if not isinstance(raw, dict):
            check.add(None, "a version must be a mapping")
            continue
        version = _version(check, raw, documents)
        if version is not None:
            versions.append((check.version, version))
    check.version = None
    ordered = sorted(versions, key=lambda item: item[1].effective_from)
    for position, (_, earlier) in enumerate(ordered):
        for label, later in ordered[position + 1:]:  # every pair: a long version may span several
            if earlier.effective_to is None or earlier.effective_to >= later.effective_from:
                check.version = label
                check.add("effective_from",
                          f"overlaps the version in force from {earlier.effective_from} "
                          f"to {earlier.effective_to or 'open end'}")
    if len(problems) > before:
        return None
    return Service(code, name, provider, tuple(version for _, version in ordered))


def load_catalog(folder: str | Path) -> Catalog:
    """Load and validate a catalog folder; raise CatalogError listing every problem."""
    folder = Path(folder)
    problems: list[CatalogProblem] = []
    if not folder.is_dir():
        raise CatalogError([CatalogProblem(str(folder), "not a catalog folder")])
    documents = load_documents(folder / "documents.yaml", problems)
    services: dict[str, Service] = {}
    files: dict[str, str] = {}
    service_files = sorted((folder / "services").glob("*.y*ml")) if (folder / "services").is_dir() else []
    if not service_files:
        problems.append(CatalogProblem("services/", "the catalog has no service files"))
    for path in service_files:
        service = load_service(path, documents, problems)
        if service is None:
            continue
        if service.code in services:
            problems.append(CatalogProblem(
                f"services/{path.name}", f"service code {service.code} is also used by {files[service.code]}",
                service.code, None, "code"))
            continue
        services[service.code] = service
        files[service.code] = f"services/{path.name}"
    if problems:
        raise CatalogError(problems)
    return Catalog(documents=documents, services=services)
