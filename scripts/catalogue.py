"""movisync's message catalogues: extract the msgids from the code, merge them into each
language's .po file, compile the .po files into .mo files. What ``scripts/i18n`` runs;
``tests/test_i18n.py`` imports it (``sys.path.insert(0, "scripts"); import catalogue``) to
check the shipped catalogues against the code. Standard library only (plus Click's own
source, read as text): no Babel, no GNU gettext tools.

Msgids are the English texts of:

- ``_("...")`` and ``N_("...")`` calls, and ``ngettext("...", "...", n)`` calls (a
  singular and a plural), with constant strings: an f-string or a concatenation given to
  one of them is an error (the msgid would not be constant);
- the docstrings of Click commands (functions decorated with ``@<group>.command(...)`` or
  ``@click.group(...)``), cleaned as ``inspect.cleandoc`` does, as Click reads them;
- Click's own messages: its ``_()`` and ``ngettext()`` calls in the modules a user of the
  command line meets (usage, help, errors), since the command line makes movisync's
  catalogue translate them too (:func:`movisync.i18n.speak_for_click`).

The .po files are written the GNU way (a header, then per entry the files it comes from,
``python-brace-format`` or ``python-format`` when it has placeholders, ``msgid``,
``msgid_plural``, ``msgstr`` or ``msgstr[n]``), one line a string but at its newlines, in
the order of the template, so that diffs stay small. The .mo files are GNU's format:
sorted entries, no hash table, untranslated entries left out (as ``msgfmt`` does).
"""

from __future__ import annotations

import ast
import re
import string
import struct
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "movisync"
LOCALE = PACKAGE / "locale"
DOMAIN = "movisync"
TEMPLATE = LOCALE / f"{DOMAIN}.pot"
LANGUAGES = {"fr": "nplurals=2; plural=(n > 1);"}
"""The languages movisync speaks besides English, with their plural rule."""
CLICK_MODULES = ("core", "decorators", "exceptions", "formatting", "parser", "types")
"""Click's modules whose messages people meet: usage, help, options' errors."""
MESSAGE_CALLS = {"_": 1, "N_": 1, "ngettext": 2}
"""Functions whose first argument (ngettext: first two) is a msgid."""


@dataclass
class Entry:
    """One message: its msgid (and plural), its translation(s), where it comes from."""

    msgid: str
    plural: str | None = None
    translations: list[str] = field(default_factory=list)
    """``msgstr`` (one) or ``msgstr[0]``, ``msgstr[1]``... (a plural); empty: untranslated."""
    sources: list[str] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str | None]:
        return self.msgid, self.plural

    @property
    def translated(self) -> bool:
        return bool(self.translations) and all(self.translations)


class ExtractError(Exception):
    """A call that marks a message whose text is not a constant string."""


# --- extracting ------------------------------------------------------------------------------
def _marked(tree: ast.AST, where: str, strict: bool) -> Iterator[tuple[int, str, str | None]]:
    """(line, msgid, plural) of the message calls and command docstrings of ``tree``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            wanted = MESSAGE_CALLS.get(node.func.id)
            if wanted is None or len(node.args) < wanted:
                continue
            texts = node.args[:wanted]
            if all(isinstance(t, ast.Constant) and isinstance(t.value, str) for t in texts):
                values = [t.value for t in texts if isinstance(t, ast.Constant)]
                yield node.lineno, values[0], values[1] if wanted == 2 else None
            elif strict and any(isinstance(t, ast.JoinedStr | ast.BinOp) for t in texts):
                raise ExtractError(
                    f"{where}:{node.lineno}: {node.func.id}() of an f-string or a "
                    "concatenation: its msgid must be a constant string (use .format())"
                )
        elif isinstance(node, ast.FunctionDef) and any(_is_command(d) for d in node.decorator_list):
            doc = ast.get_docstring(node, clean=True)
            if doc:
                yield node.lineno, doc, None


def _is_command(decorator: ast.expr) -> bool:
    """``@x.command(...)``, ``@x.group(...)``, ``@command(...)`` or ``@group(...)``."""
    func = decorator.func if isinstance(decorator, ast.Call) else decorator
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    return name in ("command", "group")


def messages(source: str, where: str, *, strict: bool = True) -> list[tuple[str, str | None]]:
    """The (msgid, plural) pairs a Python source marks, in the order of its lines;
    ``strict``: an f-string or a concatenation given to a message call is an ExtractError."""
    found = sorted(_marked(ast.parse(source, where), where, strict), key=lambda m: m[0])
    return [(msgid, plural) for _line, msgid, plural in found if msgid]


def extract() -> list[Entry]:
    """The template: every msgid of movisync's code, then Click's, in order of appearance."""
    import click

    click_dir = Path(click.__file__).parent
    files = [
        (path, True, path.relative_to(ROOT).as_posix()) for path in sorted(PACKAGE.rglob("*.py"))
    ]
    files += [(click_dir / f"{name}.py", False, f"click/{name}.py") for name in CLICK_MODULES]
    found: dict[tuple[str, str | None], Entry] = {}
    for path, strict, where in files:
        for msgid, plural in messages(path.read_text(encoding="utf-8"), where, strict=strict):
            entry = found.setdefault((msgid, plural), Entry(msgid, plural))
            if where not in entry.sources:
                entry.sources.append(where)
    return list(found.values())


# --- reading and writing .po -----------------------------------------------------------------
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t"}
_UNESCAPES = {"\\": "\\", '"': '"', "n": "\n", "t": "\t", "r": "\r"}


def _quote(text: str) -> str:
    return '"' + "".join(_ESCAPES.get(c, c) for c in text) + '"'


def _unquote(token: str) -> str:
    inner = token.strip()
    if len(inner) < 2 or inner[0] != '"' or inner[-1] != '"':
        raise ValueError(f"not a quoted string: {token!r}")
    return re.sub(r"\\(.)", lambda m: _UNESCAPES.get(m.group(1), m.group(1)), inner[1:-1])


def parse_po(text: str) -> tuple[str, list[Entry]]:
    """A .po file's header (the translation of msgid "") and entries (obsolete ``#~`` ones
    left out)."""
    header, entries = "", []
    entry: Entry | None = None
    target: tuple[str, int] | None = None  # the field continuation lines go to
    sources: list[str] = []

    def close() -> None:
        nonlocal entry, header
        if entry is not None:
            if entry.msgid == "" and entry.plural is None:
                header = entry.translations[0] if entry.translations else ""
            else:
                entries.append(entry)
        entry = None

    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            continue
        if line.startswith("#"):
            if entry is not None and target is not None and target[0] != "comment":
                close()
            target = ("comment", 0)
            if line.startswith("#:"):
                sources += line[2:].split()
            continue
        keyword, _space, rest = line.partition(" ")
        try:
            if line.startswith('"'):
                if entry is None or target is None:
                    raise ValueError("a string outside an entry")
                value = _unquote(line)
                if target[0] == "msgid":
                    entry.msgid += value
                elif target[0] == "plural":
                    entry.plural = (entry.plural or "") + value
                else:
                    entry.translations[target[1]] += value
            elif keyword == "msgid":
                close()
                entry, sources = Entry(_unquote(rest), sources=sources), []
                target = ("msgid", 0)
            elif entry is None:
                raise ValueError(f"{keyword} before msgid")
            elif keyword == "msgid_plural":
                entry.plural, target = _unquote(rest), ("plural", 0)
            elif keyword == "msgstr":
                entry.translations, target = [_unquote(rest)], ("msgstr", 0)
            elif (form := re.fullmatch(r"msgstr\[(\d+)\]", keyword)) is not None:
                index = int(form.group(1))
                if index != len(entry.translations):
                    raise ValueError(f"msgstr[{index}] out of order")
                entry.translations.append(_unquote(rest))
                target = ("msgstr", index)
            else:
                raise ValueError(f"unknown keyword {keyword!r}")
        except ValueError as exc:
            raise ValueError(f"line {number}: {exc}") from None
    close()
    return header, entries


PERCENT = re.compile(r"%(?:\((\w+)\))?[-#0+]*\d*(?:\.\d+)?([sdifgrx])")
"""A printf-style field: ``%s``, ``%d``, ``%(name)s``..."""


def placeholders(text: str) -> list[str]:
    """The fields of a message, sorted: ``{name}`` ones (by name) and printf-style ones
    (``%s``, ``%(name)s``); ``{?`` for braces that are no format."""
    try:
        fields = list(string.Formatter().parse(text))
    except ValueError:
        return ["{?"]
    names = [name for _lit, name, _spec, _conv in fields if name is not None]
    printf = [f"%({name}){kind}" if name else f"%{kind}" for name, kind in PERCENT.findall(text)]
    return sorted(names + printf)


def _flag(entry: Entry) -> str | None:
    texts = [entry.msgid, entry.plural or ""]
    if any(PERCENT.search(t) for t in texts):
        return "python-format"
    return "python-brace-format" if any(placeholders(t) for t in texts) else None


def _string_lines(keyword: str, text: str) -> list[str]:
    parts = re.findall(r"[^\n]*\n|[^\n]+", text)
    if len(parts) <= 1:
        return [f"{keyword} {_quote(text)}"]
    return [f'{keyword} ""', *(_quote(p) for p in parts)]


def write_po(header: str, entries: Iterable[Entry]) -> str:
    """A .po file's text (a .pot's, with untranslated entries)."""
    lines = [*_string_lines("msgid", ""), *_string_lines("msgstr", header)]
    for entry in entries:
        lines.append("")
        lines += [f"#: {source}" for source in entry.sources]
        if (flag := _flag(entry)) is not None:
            lines.append(f"#, {flag}")
        lines += _string_lines("msgid", entry.msgid)
        if entry.plural is None:
            lines += _string_lines("msgstr", entry.translations[0] if entry.translations else "")
        else:
            lines += _string_lines("msgid_plural", entry.plural)
            forms = entry.translations or ["", ""]
            for index, form in enumerate(forms):
                lines += _string_lines(f"msgstr[{index}]", form)
    return "\n".join(lines) + "\n"


def header_for(language: str) -> str:
    """The header of a new catalogue for ``language``."""
    return (
        f"Project-Id-Version: {DOMAIN}\n"
        f"Language: {language}\n"
        "MIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=UTF-8\n"
        "Content-Transfer-Encoding: 8bit\n"
        f"Plural-Forms: {LANGUAGES[language]}\n"
    )


TEMPLATE_HEADER = (
    f"Project-Id-Version: {DOMAIN}\n"
    "MIME-Version: 1.0\n"
    "Content-Type: text/plain; charset=UTF-8\n"
    "Content-Transfer-Encoding: 8bit\n"
)


def merge(template: Sequence[Entry], old: Iterable[Entry]) -> tuple[list[Entry], list[Entry]]:
    """The template's entries with the translations ``old`` has for them, and the old
    entries no longer in the template (dropped)."""
    known = {e.key: e for e in old}
    merged = [
        Entry(
            e.msgid, e.plural, list(known[e.key].translations) if e.key in known else [], e.sources
        )
        for e in template
    ]
    wanted = {e.key for e in template}
    return merged, [e for e in known.values() if e.key not in wanted]


# --- compiling .mo -----------------------------------------------------------------------
def compile_mo(header: str, entries: Iterable[Entry]) -> bytes:
    """GNU .mo bytes of the translated entries (and the header)."""
    pairs = {b"": header.encode()}
    for entry in entries:
        if not entry.translated:
            continue
        key = entry.msgid if entry.plural is None else f"{entry.msgid}\0{entry.plural}"
        pairs[key.encode()] = "\0".join(entry.translations).encode()
    keys = sorted(pairs)
    count = len(keys)
    originals_at = 7 * 4
    translations_at = originals_at + count * 8
    data_at = translations_at + count * 8
    originals, translations, blob = [], [], b""
    for key in keys:
        originals.append((len(key), data_at + len(blob)))
        blob += key + b"\0"
    for key in keys:
        value = pairs[key]
        translations.append((len(value), data_at + len(blob)))
        blob += value + b"\0"
    head = struct.pack("<7I", 0x950412DE, 0, count, originals_at, translations_at, 0, data_at)
    tables = b"".join(struct.pack("<2I", *pair) for pair in [*originals, *translations])
    return head + tables + blob


def po_path(language: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def problems(entries: Iterable[Entry]) -> list[str]:
    """What is wrong with a catalogue's entries: untranslated ones, and translations whose
    placeholders are not their msgid's. A plural's last form has the plural's; its other
    forms (French: 0 and 1) may use any of the singular's and the plural's, since the
    program fills every form with the same values."""
    found = []
    for entry in entries:
        if not entry.translated:
            found.append(f"untranslated: {entry.msgid!r}")
            continue
        if entry.plural is None:
            wrong = placeholders(entry.translations[0]) != placeholders(entry.msgid)
        else:
            allowed = set(placeholders(entry.msgid)) | set(placeholders(entry.plural))
            *others, last = entry.translations
            wrong = placeholders(last) != placeholders(entry.plural) or any(
                not set(placeholders(form)) <= allowed for form in others
            )
        if wrong:
            found.append(f"placeholders differ: {entry.msgid!r} / {entry.translations}")
    return found


def main() -> int:
    """Extract, merge and compile; say what is untranslated or wrong (exit 1 if anything)."""
    try:
        template = extract()
    except ExtractError as exc:
        print(f"i18n: {exc}", file=sys.stderr)
        return 1
    TEMPLATE.parent.mkdir(parents=True, exist_ok=True)
    TEMPLATE.write_text(write_po(TEMPLATE_HEADER, template), encoding="utf-8")
    status = 0
    for language in LANGUAGES:
        path = po_path(language)
        header, old = parse_po(path.read_text(encoding="utf-8")) if path.exists() else ("", [])
        merged, dropped = merge(template, old)
        header = header or header_for(language)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(write_po(header, merged), encoding="utf-8")
        path.with_suffix(".mo").write_bytes(compile_mo(header, merged))
        wrong = problems(merged)
        done = sum(e.translated for e in merged)
        print(f"i18n: {language}: {done} of {len(merged)} messages translated", file=sys.stderr)
        for entry in dropped:
            print(f"i18n: {language}: dropped, no longer used: {entry.msgid!r}", file=sys.stderr)
        for problem in wrong:
            print(f"i18n: {language}: {problem}", file=sys.stderr)
        status = status or int(bool(wrong))
    return status
