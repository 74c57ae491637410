"""Reports people want to look at: HTML (one self-contained file), Markdown, JSON.

Pure: snapshots, findings and the wiki's address in, text out. The HTML report embeds
its styles and its charts (SVG made by pygal, without JavaScript), so opening it makes
no request to any host; it is French, readable on a phone, accessible and printable.
pygal is an optional extra (``pip install movisync[report]``).
"""

from __future__ import annotations

import html
import json
import re
import sys
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from urllib.parse import quote

from . import locales
from .activities import CommonsMap
from .dupes import DupeReport
from .errors import ConfigError
from .gaps import LABELS, GapKind, GapReport
from .history import Snapshot, before
from .i18n import _


@dataclass(frozen=True)
class Headline:
    label: str
    now: int
    previous: int | None
    month_ago: int | None


@dataclass(frozen=True)
class WorstPage:
    title: str
    gaps: int
    kinds: tuple[str, ...]
    url: str
    edit_url: str


@dataclass(frozen=True)
class ReportData:
    sitename: str
    generated: str
    headlines: tuple[Headline, ...]
    fills: dict[str, dict[str, float]]
    history: tuple[Snapshot, ...]
    clusters: tuple[tuple[tuple[str, ...], int], ...]
    worst: tuple[WorstPage, ...]
    activities: tuple[tuple[str, int, int, bool], ...] = ()
    """The most widespread activities: label, places running it, pages documenting it,
    whether it is worth a guide (run widely, documented by no page but stubs)."""


def build(
    history: Sequence[Snapshot],
    gaps: GapReport,
    dupes: DupeReport,
    *,
    sitename: str,
    index_url: str,
    generated: str,
    worst: int = 15,
    labels: Mapping[str, str] | None = None,
    field_labels: Mapping[tuple[str, str], str] | None = None,
    commons: CommonsMap | None = None,
) -> ReportData:
    """Gather what the report shows; ``history`` must end with the current snapshot."""
    latest = history[-1]
    previous = before(history, latest.at, 0)
    month = before(history, latest.at, 30)

    def headline(label: str, pick: Callable[[Snapshot], int]) -> Headline:
        return Headline(
            label,
            pick(latest),
            pick(previous) if previous else None,
            pick(month) if month else None,
        )

    heads = [
        headline("Pages documentées", lambda s: sum(s.pages.values())),
        headline("Manques", lambda s: s.total()),
        headline("Champs manquants", lambda s: s.by_kind().get("missing_field", 0)),
        headline("Pages orphelines", lambda s: s.by_kind().get("orphan", 0)),
        headline("Liens rouges", lambda s: s.by_kind().get("red_link", 0)),
    ]
    if latest.new is not None:
        heads += [
            headline("Manques corrigés depuis le précédent", lambda s: s.fixed or 0),
            headline(
                "Nouveaux manques depuis le précédent", lambda s: (s.new or 0) + (s.back or 0)
            ),
        ]
    if latest.excepted:
        heads.append(headline("Exceptions (sans objet)", lambda s: s.excepted or 0))
    if latest.pairs is not None:
        heads.append(headline("Doublons probables", lambda s: s.pairs or 0))
    per_page: Counter[str] = Counter(g.page for g in gaps.gaps)
    kinds: dict[str, set[str]] = {}
    for gap in gaps.gaps:
        kinds.setdefault(gap.page, set()).add(gap.kind)
    pages = tuple(
        WorstPage(
            title,
            n,
            tuple(sorted(kinds[title])),
            f"{index_url}?title={quote(title.replace(' ', '_'))}",
            f"{index_url}?title={quote(title.replace(' ', '_'))}&action=edit",
        )
        for title, n in sorted(per_page.items(), key=lambda kv: (-kv[1], kv[0]))[:worst]
    )
    return ReportData(
        sitename=sitename,
        generated=generated,
        headlines=tuple(heads),
        fills={
            (labels or {}).get(t, t): {(field_labels or {}).get((t, k), k): v for k, v in f.items()}
            for t, f in latest.fills.items()
        },
        history=tuple(history),
        clusters=tuple((c.pages, c.score) for c in dupes.clusters),
        worst=pages,
        activities=tuple(
            (
                a.label,
                len(a.places),
                len(a.docs),
                len(a.places) >= commons.min_places and not a.documented,
            )
            for a in commons.activities[:worst]
        )
        if commons
        else (),
    )


def _label(kind: str) -> str:
    return LABELS[GapKind(kind)]


def _kinds(kinds: Sequence[str]) -> str:
    return ", ".join(_label(k) for k in kinds)


def _change(now: int, then: int | None) -> str:
    if then is None:
        return "—"
    delta = now - then
    return "=" if delta == 0 else f"{delta:+d}"


# --- JSON and Markdown -------------------------------------------------------------------------
def to_json(data: ReportData) -> str:
    return json.dumps(asdict(data), ensure_ascii=False, indent=1)


def to_markdown(data: ReportData) -> str:
    lines = [
        f"# État de la documentation — {data.sitename}",
        "",
        f"Rapport du {locales.date(data.generated, 'fr')}.",
        "",
        "| Indicateur | Aujourd'hui | Depuis le précédent | Depuis 30 jours |",
        "|---|---:|---:|---:|",
    ]
    lines += [
        f"| {h.label} | {h.now} | {_change(h.now, h.previous)} | {_change(h.now, h.month_ago)} |"
        for h in data.headlines
    ]
    lines += ["", "## Complétude des champs", ""]
    for page_type, fields in sorted(data.fills.items()):
        parts = ", ".join(f"{f} {locales.percent(p, 'fr')}" for f, p in fields.items())
        lines.append(f"- **{page_type}** : {parts}")
    lines += ["", "## Pages à reprendre en priorité", ""]
    lines += [f"- [{p.title}]({p.url}) : {p.gaps} manques ({_kinds(p.kinds)})" for p in data.worst]
    if data.clusters:
        lines += ["", "## Doublons probables", ""]
    if data.activities:
        lines += ["", "## Activités et leur documentation", ""]
        lines += [
            f"- {label} : {places} lieux, {docs} pages" + (" — **à documenter**" if missing else "")
            for label, places, docs, missing in data.activities
        ]
        lines += [f"- {' / '.join(pages)} (score {score})" for pages, score in data.clusters]
    return "\n".join(lines) + "\n"


# --- HTML -----------------------------------------------------------------------------------------
STYLE = """
:root { color-scheme: light; --ink: #1b1b1b; --muted: #4a4a4a; --accent: #0b5e3c; }
* { box-sizing: border-box; }
body { font: 16px/1.5 system-ui, sans-serif; color: var(--ink); background: #fff;
       margin: 0 auto; max-width: 60rem; padding: 1rem; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 2rem; }
.cards { display: flex; flex-wrap: wrap; gap: .75rem; padding: 0; list-style: none; }
.cards li { flex: 1 1 10rem; border: 1px solid #bbb; border-radius: .5rem; padding: .75rem; }
.cards strong { display: block; font-size: 1.8rem; }
.cards span { color: var(--muted); font-size: .9rem; }
figure { margin: 1rem 0; } figure svg { width: 100%; height: auto; }
figcaption { color: var(--muted); font-size: .9rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid #ccc; }
a { color: var(--accent); }
@media print { a { color: var(--ink); } .cards li { break-inside: avoid; } }
"""


SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL)


def _chart_svg(chart: object) -> str:
    """The chart as static SVG: pygal's inline configuration script (for its optional
    tooltips, which need a script from its website) is left out."""
    svg: str = chart.render(is_unicode=True)  # type: ignore[attr-defined]
    return SCRIPT.sub("", svg)


def to_html(data: ReportData) -> str:
    """One self-contained HTML file: inline styles, inline SVG charts, no script."""
    try:
        import pygal
        from pygal.style import Style
    except ImportError:
        raise ConfigError(
            _("the HTML report needs pygal: pip install 'movisync[report]'")
        ) from None
    # pygal adds an import hook of the old protocol (for its maps plugins, unused here):
    # every later failed import would warn about it.
    sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "PluginImportFixer"]
    style = Style(
        background="white",
        plot_background="white",
        foreground="#1b1b1b",
        foreground_strong="#1b1b1b",
        foreground_subtle="#4a4a4a",
        colors=(
            "#0b5e3c",
            "#b3450b",
            "#1d4e89",
            "#7a2e8c",
            "#8a6d00",
            "#444444",
            "#c0392b",
            "#117a65",
            "#5d6d7e",
            "#a04000",
            "#1f618d",
            "#6c3483",
        ),
    )
    options = {
        "js": [],
        "disable_xml_declaration": True,
        "style": style,
        "width": 800,
        "explicit_size": False,
        "print_values": False,
    }
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="fr">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<link rel="icon" href="data:,">',  # no favicon request either
        f"<title>État de la documentation — {e(data.sitename)}</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
        "<main>",
        f"<h1>État de la documentation — {e(data.sitename)}</h1>",
        f"<p>Rapport du {e(locales.date(data.generated, 'fr'))}, fait par movisync.</p>",
        "<h2>Chiffres clés</h2>",
        '<ul class="cards">',
    ]
    for h in data.headlines:
        parts.append(
            f"<li><strong>{h.now}</strong>{e(h.label)}<br><span>depuis le précédent : "
            f"{e(_change(h.now, h.previous))} · depuis 30 jours : "
            f"{e(_change(h.now, h.month_ago))}</span></li>"
        )
    parts += ["</ul>", "<h2>Complétude des champs par type de page</h2>"]
    for page_type, fields in sorted(data.fills.items()):
        chart = pygal.HorizontalBar(
            title=f"{page_type} : champs remplis (%)",
            range=(0, 100),
            show_legend=False,
            height=90 + 32 * len(fields),
            value_formatter=lambda v: locales.percent(v, "fr"),
            **options,
        )
        chart.x_labels = list(fields)
        chart.add("rempli (%)", list(fields.values()))

        summary = ", ".join(f"{f} {locales.percent(p, 'fr')}" for f, p in fields.items())
        parts.append(
            f'<figure role="img" aria-label="{e(page_type)} : {e(summary)}">'
            f"{_chart_svg(chart)}<figcaption>{e(page_type)} : {e(summary)}"
            "</figcaption></figure>"
        )
    parts.append("<h2>Manques au fil du temps</h2>")
    line = pygal.Line(title="Manques par sorte", x_label_rotation=30, **options)
    line.x_labels = [locales.date(s.at, "fr") for s in data.history]
    kinds = sorted({k for s in data.history for k in s.by_kind()})
    for kind in kinds:
        line.add(_label(kind), [s.by_kind().get(kind, 0) for s in data.history])
    last = data.history[-1].by_kind()
    described = ", ".join(f"{_label(k)} {last.get(k, 0)}" for k in kinds)
    parts.append(
        f'<figure role="img" aria-label="Manques par sorte, aujourd\'hui : {e(described)}">'
        f"{_chart_svg(line)}<figcaption>Aujourd'hui : {e(described)}</figcaption></figure>"
    )
    parts += [
        "<h2>Pages à reprendre en priorité</h2>",
        "<table>",
        "<thead><tr><th>Page</th><th>Manques</th><th>Sortes</th><th>Modifier</th></tr></thead>",
        "<tbody>",
    ]
    for page in data.worst:
        kinds_text = ", ".join(_label(k) for k in page.kinds)
        parts.append(
            f'<tr><td><a href="{e(page.url)}">{e(page.title)}</a></td><td>{page.gaps}</td>'
            f'<td>{e(kinds_text)}</td><td><a href="{e(page.edit_url)}">modifier '
            f'<span class="sr">{e(page.title)}</span></a></td></tr>'
        )
    parts.append("</tbody></table>")
    if data.activities:
        bars = pygal.HorizontalBar(
            title="Lieux par activité et pages qui la documentent",
            height=90 + 40 * len(data.activities),
            **options,
        )
        bars.x_labels = [label for label, *_ in data.activities]
        bars.add("lieux", [places for _, places, _, _ in data.activities])
        bars.add("pages de documentation", [docs for _, _, docs, _ in data.activities])
        said = ", ".join(
            f"{label} : {places} lieux, {docs} pages" for label, places, docs, _ in data.activities
        )
        todo = [label for label, *_, missing in data.activities if missing]
        parts += [
            "<h2>Activités et leur documentation</h2>",
            f'<figure role="img" aria-label="{e(said)}">{_chart_svg(bars)}'
            f"<figcaption>{e(said)}</figcaption></figure>",
            f"<p>À documenter : {e(', '.join(todo) or 'aucune')}.</p>",
        ]
    parts.append("<h2>Doublons probables</h2>")
    if data.clusters:
        parts.append("<ul>")
        parts += [
            f"<li>{e(' / '.join(pages))} (score {score})</li>" for pages, score in data.clusters
        ]
        parts.append("</ul>")
    else:
        parts.append("<p>Aucun doublon probable.</p>")
    parts += ["</main>", "</body>", "</html>"]
    return "\n".join(parts) + "\n"
