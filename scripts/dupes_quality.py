"""Quality benchmark: `movisync dupes` against Splink, dedupe and naive rapidfuzz, on the same pages, in one run.

Usage (from the repository root):
    scripts/bench-dupes-quality [--sets a,b,c,d] [--sizes 10000,100000] [--skip splink,dedupe] [--markdown]
                                [--fz-titles town|source] [--budget 900] [--memory 12000] [--keep DIR]
The entry script re-executes itself under .venv (scripts/bootstrap makes it) and installs the peers listed in
pyproject.toml's `bench` extra (Splink 4, dedupe 3.0.3 with BTrees < 6.5, numpy) into .venv when one is missing,
with a note on stderr (Splink is pinned below 5: Splink 5 takes only registered SplinkDataFrames as input);
movisync's own install is left as it is. This module holds the logic and can be imported (`sys.path.insert(0,
"scripts"); import dupes_quality`); it imports nothing of movisync but `movisync.store` and `movisync.site` (to
write stores and to read titles the way the wiki does), and runs `movisync dupes` through its CLI.

Data sets: pages as (title, wikitext) plus the truth, pairs of titles (compared after MediaWiki normalisation:
first letter upper-case, `_` = space).
  a  own labelled set: the sample corpus tests/data/corpus/*.wiki plus tests/data/dupes/pages.wiki (a page starts
     with a line `@@@ <title>` and runs to the next one, trimmed). Truth: tests/data/dupes/pairs.tsv and the corpus
     README's "Planted near-duplicate pairs" and "Hard negatives" sections, parsed as tests/test_dupes.py's
     labelled_pairs() does. True pairs are those labelled `dup`; `not` pairs are hard negatives, counted apart in
     the note; every reported pair not labelled `dup` is a false positive (strict).
  b  development set: tests/data/dupes-dev/ (same format: *.wiki pages and pairs.tsv), written as a held-out set,
     then studied while the model was designed (its README says when).
  h  held-out set: tests/data/dupes-heldout/, written afterwards by another hand, other templates and field
     names, never studied. For b and h: when the pairs name pages the set does not hold but the corpus (or
     tests/data/dupes) does, those pages are loaded too and only pairs with at least one of the set's pages count.
  c  Fodors-Zagat restaurants, the public record-linkage benchmark described in ../shared/data/fodors-zagat/
     README.md: the Fodor's and Zagat restaurant guides (RIDDLE repository, used in entity-matching research since
     about 2000) as shipped in the PyPI package py-entitymatching 0.4.2, licence BSD-3 (copy of the licence in that
     folder's original/LICENSE.py_entitymatching). Read from ../shared (records.csv, true_pairs.csv); without it,
     fetched with `pip download --no-deps py-entitymatching==0.4.2` and read from the sdist's
     py_entitymatching/datasets/end-to-end/restaurants/ (fodors.csv, zagats.csv, matches_fodors_zagats.csv). The
     data are read at run time and never copied into this repository. 864 records, 112 gold pairs.
  d  synthetic stores of scripts/bench-dupes (its plan(), wikitext() and planted(), loaded as a module), one per
     --sizes (10k and 100k pages by default), ~1% planted duplicates; every other reported pair is false.
Sets b, c and d also hold the corpus' templates (namespace 10), so that movisync resolves the page types.

Fodors-Zagat as wiki pages, the way a second contributor would write them on a French wiki. Fodor's records
first (by id), then Zagat's. Title: the name as a person would type it: spaces collapsed, a guide's trailing
article moved to the front ("apple pan  the" -> "The Apple Pan", "palm  the (los angeles)" -> "The Palm (Los
Angeles)"), each word capitalised after a space, hyphen, period, `&` or `(` ("Bel-Air", "R.J.S", "R&G"), English
small words (a, an, and, at, by, for, in, of, on, or, the, to) kept lower-case inside the title. A title already
taken cannot be created twice: the later page is qualified with its town, as Movilab does for homonyms ("Spago
(Los Angeles)", "La Ruche (Brest)"); if that is taken too, with its street address ("Name (435 S. La Cienega
Blv.)"). `--fz-titles source` qualifies it with the guide's name instead ("Arts Delicatessen (Zagat)"), the
convention under which the rapidfuzz figure quoted by the issue (F1 0.55) is reproduced. The text:
`{{Tiers-lieu |Titre=<name> |location=<street address>, <town> |Tags=<type>}}` (address and town title-cased like
the name, type as in the guide) and one prose paragraph with the town and the phone as the guide writes it;
Fodor's pages and Zagat's pages are phrased differently, as two contributors would:
    '''<name>''' est un restaurant (<type>) à <town>. Téléphone : 310/246-1501.
    Restaurant de <town>, cuisine <type>. Pour réserver, téléphone : 310-246-1501.
Gold pairs are mapped from record ids to these titles.

The peers do not read wikitext: they get the same flat records, made by extract() below with mwparserfromhell, one
per main-namespace page that is not a redirect (a redirect is not content; subpages are kept; movisync reads all
pages itself). Fields, each a string or empty:
  title       the page title.
  page_type   the name of the first template call with named parameters (the "infobox"; banners without
              parameters are passed over), template redirects among the set's Modèle: pages followed.
  town        from that call's `location` (or `ville`, `commune`, `localisation`) parameter, comments, `(...)`
              and a postcode opening a later part ("…, 69100 Villeurbanne") removed: its first comma-separated
              part that is not a street ("Bordeaux, Gironde" -> Bordeaux, "435 S. La Cienega Blv., Los Angeles" ->
              Los Angeles); from `Lieu` (events: "venue, town"), the last such part of its first `;`-separated
              place ("La Fabrique, Lyon" -> Lyon).
  street      the parts of that value that are a street: they hold a digit or a street word (rue, avenue, place,
              quai, route, St., Blvd., Rd., Sq., Plaza...): "435 S. La Cienega Blv.".
  postcode    5 digits followed by a capitalised word in the prose (text outside template calls), else after a
              comma in the location value.
  phone       the first phone number in the call's values, else in the prose, as digits only: French
              (0X XX XX XX XX in any spacing, +33 / 0033 folded to 0, "(0)" dropped) or US (310/246-1501,
              310-246-1501, (310) 246-1501).
  email       the first e-mail address in the call's values, else in the prose.
  host        the host of the call's `url` (or `site`, `site web`, `website`) value, else of the first external
              link of the prose, lower-case, without `www.`; a malformed scheme ("htp//host") is tolerated.
  lat, lon    from a parameter whose name holds "coord", as "lat, lon" in decimal degrees within range.
  start_date  from a parameter named `date` or with the word "début" (else "fin"), as YYYY-MM-DD when it reads
              as ISO, dd/mm/yyyy or written French ("vendredi 11 octobre 2024"), else the value as written.
Every peer then applies the same light cleaning: Unicode NFC, case-folded, whitespace collapsed; `title_key` (the
title case-folded, accents and every non-alphanumeric character removed) is used for blocking only.

Contenders, each in its own subprocess (peak MB = that process' ru_maxrss; seconds = wall time of the matching
only: the pages' extraction, and movisync's first parse, are not counted):
  movisync     the store is written with movisync.store (`Store.bind(api=None, wiki_id="bench")`, `save_site`,
               `apply` of every namespace 0 and 10 page); `.venv/bin/movisync dupes --store PATH --format json` runs
               once to fill the records cache and once timed (its own ru_maxrss via wait4); its default profile and
               threshold. `a` and `b` of each reported pair are scored.
  movisync-50  the same, then 50 verdicts answered from the truth, as reviewers would on the review page: the
               pairs it is least sure of (match probability nearest 50 %, among pairs from 1 %), one round, kept
               in the store (`Store.set_verdict`); the run after them is timed and scored.
  splink       Splink 4, DuckDB backend, no labels, set up as its documentation does: dedupe_only; comparisons
               NameComparison(title), JaroWinklerAtThresholds(street, [0.9, 0.8]), ExactMatch(town) with term
               frequencies, ExactMatch(phone), ExactMatch(postcode), EmailComparison(email),
               ExactMatch(host), DistanceInKMAtThresholds(lat, lon, [0.1, 1, 10]), ExactMatch(page_type),
               ExactMatch(start_date), each only when its column holds two distinct values or more in the set;
               blocking for predictions on each of title_key, phone, email, host, town, postcode, and rounded
               coordinates (2 decimals); prior from estimate_probability_two_random_records_match over the
               deterministic rules title_key+town, phone, email (recall 0.7); estimate_u_using_random_sampling
               (max_pairs 1e6, seed 2026); estimate_parameters_using_expectation_maximisation blocked on each of
               title_key, phone, email and host whose block holds from 10 pairs to 100 times the matches that the
               prior expects (Splink's docs: a training block should be 1% to 99% matches); predict(
               threshold_match_probability=0.5): every pair it returns is reported. Splink is sensitive to that
               choice: on set c, an EM session blocked on town, or on a block of one pair, or
               LevenshteinAtThresholds(phone, [1, 2]), costs 15 to 50 points of precision (casino restaurants
               share a switchboard and neighbouring numbers); on set d, a session blocked on host (facebook.com
               and the like) makes it learn "same small town" as a match.
  dedupe-N     dedupe 3.0.3: variables String(title), String(street), ShortString(town), String(phone),
               Exact(postcode), ShortString(email), ShortString(host), LatLong(coords), Exact(page_type),
               Exact(start_date), all but the title has_missing, present columns only; prepare_training (sample
               1500), then N labels (50, and 200) through its own active learning: uncertain_pairs() answered from
               the truth with mark_pairs(); train(); partition(threshold 0.5); every pair inside a cluster is
               reported. random, numpy's legacy seed and numpy.random.default_rng() are seeded (2026), and
               PYTHONHASHSEED is fixed, so that a run repeats; dedupe has no seed of its own.
  rapidfuzz    naive: rapidfuzz.process.cdist of the titles with fuzz.token_sort_ratio and utils.default_process
               (all pairs, in row blocks); the threshold 50..100 with the best F1 is reported: an UPPER BOUND,
               tuned on the truth, which no user could pick without it.
A contender that would take longer than --budget seconds (default 900, 15 minutes) or more than --memory MB
(default 12,000, counted as the proportional set size of its process group; the machine has 24 GB) is skipped:
foreseen from a smaller size of set d (time linear, all pairs quadratic; memory linear), or stopped when it gets
there; the table says so.

Output: per set and contender, pairs reported, true pairs among them, precision, recall, F1, seconds, peak MB and a
note; table on stdout (--markdown: Markdown), progress on stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import os
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import tomllib
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from importlib.machinery import SourceFileLoader
from importlib.util import module_from_spec, spec_from_loader
from itertools import combinations
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MOVISYNC = ROOT / ".venv" / "bin" / "movisync"
DATA = ROOT / "tests" / "data"
HELDOUT, DEV = DATA / "dupes-heldout", DATA / "dupes-dev"
FZ_SHARED = ROOT.parent / "shared" / "data" / "fodors-zagat"
FZ_PACKAGE, FZ_MEMBER = "py-entitymatching==0.4.2", "py_entitymatching/datasets/end-to-end/restaurants/"
SEED, STAMP, HEADER = 2026, "2026-11-01T00:00:00Z", "@@@ "
CONTENDERS = ("movisync", "movisync-50", "splink", "dedupe-50", "dedupe-200", "rapidfuzz")
GUIDES = {"fodors": "Fodor's", "zagats": "Zagat"}
MISSING = "{key}: skipped, {folder} has no *.wiki pages and pairs.tsv"
FIELDS = ("title", "page_type", "town", "street", "postcode", "phone", "email", "host", "lat", "lon", "start_date")


def log(message: str) -> None:
    print(f"bench-dupes-quality: {message}", file=sys.stderr, flush=True)


# --- data sets ------------------------------------------------------------------------------------------------


@dataclass
class DataSet:
    """Pages (normalised title, namespace, wikitext, redirect target) and the truth: `gold` pairs are true,
    `negatives` are the labelled hard negatives; with `scope`, only pairs touching one of its titles count."""

    key: str
    name: str
    pages: list[tuple[str, int, str, str | None]]
    gold: set[frozenset[str]]
    negatives: set[frozenset[str]] = field(default_factory=set)
    scope: set[str] | None = None
    notes: list[str] = field(default_factory=list)


@cache
def site() -> Any:
    from movisync.site import from_api

    return from_api(json.loads((DATA / "siteinfo-fr.json").read_text(encoding="utf-8"))["query"])


@cache
def bench_dupes() -> Any:
    """scripts/bench-dupes as a module (its plan(), wikitext() and planted())."""
    loader = SourceFileLoader("bench_dupes", str(ROOT / "scripts" / "bench-dupes"))
    module = module_from_spec(spec_from_loader(loader.name, loader))  # type: ignore[arg-type]
    loader.exec_module(module)
    return module


def read_pages(*files: Path) -> list[tuple[str, str]]:
    """(title, wikitext) of `@@@ <title>` pages, text trimmed of blank lines, in file then page order."""
    pages = []
    for path in files:
        title, lines = None, []
        for line in [*path.read_text(encoding="utf-8").splitlines(), HEADER + "\0"]:
            if line.startswith(HEADER):
                if title is not None:
                    pages.append((title, "\n".join(lines).strip("\n")))
                title, lines = line[len(HEADER):].strip(), []
            elif title is not None:
                lines.append(line)
    return pages


def read_labels(path: Path) -> dict[tuple[str, str], tuple[str, str]]:
    """`a<TAB>b<TAB>dup|not<TAB>variant` rows (`# ` lines are comments) as {(a, b) sorted: (label, variant)}."""
    labels = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("# "):
            a, b, label, variant = line.split("\t")
            labels[tuple(sorted((a.replace("\\n", "\n"), b)))] = (label, variant)
    return labels  # type: ignore[return-value]


def readme_labels(readme: Path) -> dict[tuple[str, str], tuple[str, str]]:
    """The corpus README's planted pairs (dup) and hard negatives (not), as tests/test_dupes.py reads them."""
    text, labels = readme.read_text(encoding="utf-8"), {}
    dups = text.split("## Planted near-duplicate pairs")[1].split("## Hard negatives")[0]
    nots = text.split("## Hard negatives")[1].split("Redirect pairs")[0]
    for section, label in ((dups, "dup"), (nots, "not")):
        for a, b, variant in re.findall(r"- `([^`]+)` \| `([^`]+)` \| (\w+)", section):
            labels[tuple(sorted((a, b)))] = (label, variant)
    return labels  # type: ignore[return-value]


def make_set(key: str, name: str, pages: list[tuple[str, str]], labels: dict, **extra: Any) -> DataSet:
    """Normalise titles and split namespaces the wiki's way; pairs naming no page are dropped with a note."""
    s, rows, seen = site(), [], set()
    for title, text in pages:
        ns, full = s.split_title(title)[0], s.normalize(title)
        if ns in (0, 10) and full not in seen:
            seen.add(full)
            rows.append((full, ns, text, s.redirect_target(text)))
    pairs = {label: {frozenset(map(s.normalize, pair)) for pair, (lab, _) in labels.items() if lab == label}
             for label in ("dup", "not")}
    data = DataSet(key, name, rows, pairs["dup"], pairs["not"], **extra)
    if missing := {t for pair in data.gold | data.negatives for t in pair} - seen:
        data.notes.append(f"{len(missing)} labelled titles not among the pages, their pairs dropped")
        data.gold = {p for p in data.gold if not p & missing}
        data.negatives = {p for p in data.negatives if not p & missing}
    return data


def templates() -> list[tuple[str, str]]:
    """The corpus' template pages (namespace 10), so that movisync resolves the types."""
    pages = read_pages(*sorted((DATA / "corpus").glob("*.wiki")))
    return [(t, x) for t, x in pages if site().split_title(t)[0] == 10]


def own_set() -> DataSet:
    pages = read_pages(*sorted((DATA / "corpus").glob("*.wiki")), DATA / "dupes" / "pages.wiki")
    labels = {**readme_labels(DATA / "corpus" / "README.md"), **read_labels(DATA / "dupes" / "pairs.tsv")}
    return make_set("a", "own labelled", pages, labels)


def heldout_set(folder: Path = HELDOUT, key: str = "h", name: str = "held-out") -> DataSet | None:
    if not folder.is_dir() or not (folder / "pairs.tsv").exists() or not list(folder.glob("*.wiki")):
        return None
    own, labels = read_pages(*sorted(folder.glob("*.wiki"))), read_labels(folder / "pairs.tsv")
    norm = site().normalize
    have, named = {norm(t) for t, _ in own}, {norm(t) for pair in labels for t in pair}
    if named - have:  # built on the corpus: load it, and score only the pairs that touch a held-out page
        base = [(t, x) for t, x in read_pages(*sorted((DATA / "corpus").glob("*.wiki")), DATA / "dupes" /
                                              "pages.wiki") if norm(t) not in have]
        data = make_set(key, name, own + base, labels, scope={t for t in have})
        data.notes.append(f"with the corpus pages ({len(named - have)} labelled titles are there); "
                          "only pairs touching a held-out page scored")
        return data
    return make_set(key, name, own + templates(), labels)


def title_case(text: str, town: bool = False) -> str:
    """A name as a person would type it: spaces collapsed, a guide's trailing article in front, words capitalised,
    English small words lower-case inside, two-letter abbreviations upper-case ("(ny)"; in a town, "west la")."""
    text = " ".join(text.split())
    if m := re.fullmatch(r"(.+) (the)( \(.*\))?", text):  # "palm  the (los angeles)"
        text = f"{m[2]} {m[1]}{m[3] or ''}"
    text = re.sub(r"(^|[\s\-./&(])([^\W\d_])", lambda m: m[1] + m[2].upper(), text)
    small = "a|an|and|at|by|for|in|of|on|or|the|to"
    text = re.sub(rf"(?<=\s)({small.title()})(?=\s|$)", lambda m: m[1].lower(), text)
    return re.sub(r"\b[^\W\d_]{2}\b(?!\.)" if town else r"(?<=\()[^\W\d_]{2}(?=\))", lambda m: m[0].upper(), text)


def fz_rows() -> tuple[list[dict[str, str]], list[tuple[str, str]], str]:
    """Fodors-Zagat records (id, source, name, address, city, phone, type) and gold id pairs, from ../shared when
    it is there, else from py-entitymatching's sdist (pip download)."""
    if (FZ_SHARED / "records.csv").exists() and (FZ_SHARED / "true_pairs.csv").exists():
        rows = list(csv.DictReader((FZ_SHARED / "records.csv").open(encoding="utf-8")))
        pairs = [(r["id_a"], r["id_b"]) for r in csv.DictReader((FZ_SHARED / "true_pairs.csv").open())]
        return rows, pairs, str(FZ_SHARED)
    folder = Path(tempfile.mkdtemp(prefix="fodors-zagat-"))
    try:
        log(f"{FZ_SHARED} is absent: pip download --no-deps {FZ_PACKAGE}")
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary",
                        "py-entitymatching", FZ_PACKAGE, "-d", str(folder)], check=True, stdout=sys.stderr)
        sdist = next(folder.glob("*.tar.gz"))
        with tarfile.open(sdist) as tar:
            files = {Path(m.name).name: m for m in tar.getmembers() if FZ_MEMBER in m.name and m.isfile()}

            def read(name: str) -> list[dict[str, str]]:
                return list(csv.DictReader(io.TextIOWrapper(tar.extractfile(files[name]), "utf-8")))  # type: ignore

            rows = [{"id": f"{p}{r['id']}", "source": source, "source_id": r["id"], "name": r["name"],
                     "address": r["addr"], "city": r["city"], "phone": r["phone"], "type": r["type"]}
                    for p, source, name in (("f", "fodors", "fodors.csv"), ("z", "zagats", "zagats.csv"))
                    for r in read(name)]
            pairs = [(f"f{r['fodors_id']}", f"z{r['zagats_id']}") for r in read("matches_fodors_zagats.csv")]
        return rows, pairs, f"{sdist.name} ({FZ_MEMBER})"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def fz_pages(rows: list[dict[str, str]], qualifier: str = "town") -> dict[str, tuple[str, str]]:
    """Record id -> (title, wikitext), Fodor's first; a taken title is qualified by the town, then the street
    (qualifier "town"), or by the guide's name (qualifier "source")."""
    taken, pages = set(), {}
    order = sorted(rows, key=lambda r: (r["source"] != "fodors", int(r["source_id"])))
    for r in order:
        name, town, street = title_case(r["name"]), title_case(r["city"], town=True), title_case(r["address"])
        qualified = ((f"{name} ({town})", f"{name} ({street})") if qualifier == "town" else
                     (f"{name} ({GUIDES[r['source']]})",))
        title = next(t for t in (name, *qualified, f"{name} ({r['id']})") if site().normalize(t) not in taken)
        taken.add(site().normalize(title))
        kind, phone = " ".join(r["type"].split()), r["phone"].strip()
        prose = (f"'''{name}''' est un restaurant ({kind}) à {town}. Téléphone : {phone}."
                 if r["source"] == "fodors" else
                 f"Restaurant de {town}, cuisine {kind}. Pour réserver, téléphone : {phone}.")
        pages[r["id"]] = (title, f"{{{{Tiers-lieu\n|Titre={name}\n|location={street}, {town}\n|Tags={kind}\n}}}}\n"
                                 f"{prose}")
    return pages


def fodors_zagat_set(qualifier: str = "town") -> DataSet:
    rows, pairs, origin = fz_rows()
    pages = fz_pages(rows, qualifier)
    labels = {tuple(sorted((pages[a][0], pages[b][0]))): ("dup", "fodors-zagat") for a, b in pairs}
    data = make_set("c", "Fodors-Zagat", list(pages.values()) + templates(), labels)
    example = next(pages[b][0] for a, b in pairs if pages[b][0].startswith(pages[a][0] + " ("))
    data.notes.append(f"{len(rows)} records from {origin}; a taken title qualified by the "
                      f"{'town' if qualifier == 'town' else 'guide'}, as in {example!r}")
    return data


def synthetic_set(n: int) -> DataSet:
    bench = bench_dupes()
    plan = bench.plan(n)
    pages = [(p["title"], bench.wikitext(plan, i)) for i, p in enumerate(plan)]
    labels = {tuple(sorted(pair)): ("dup", v["variant"]) for pair, v in bench.planted(plan).items()}
    return make_set(f"d{n // 1000}k", f"synthetic {n // 1000}k", pages + templates(), labels)


# --- the peers' records ---------------------------------------------------------------------------------------

MONTHS = {m: i + 1 for i, m in enumerate("janvier février mars avril mai juin juillet août septembre octobre "
                                         "novembre décembre".split())}
PHONE = re.compile(r"(?<![\w+\-/.,])(?:(?:\+|00) ?33 ?(?:\(0\) ?)?[1-9](?:[ \u00a0.\-]?\d{2}){4}"  # French
                   r"|0[1-9](?:[ \u00a0.\-]?\d{2}){4}"
                   r"|\(?\d{3}\)?[ \u00a0/.\-]{0,2}\d{3}[ \u00a0.\-]\d{4})(?![\d\-/])")  # US
EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
LINK = re.compile(r"\b(?:https?|ftp)://[^\s\]\[|<>\"{}]+", re.I)
HOST = re.compile(r"^\s*(?:[a-z][a-z0-9+.\-]*(?::/*|//))?(?:www\d?\.)?([a-z0-9\-]+(?:\.[a-z0-9\-]+)+)", re.I)
POSTCODE = re.compile(r"(?<![\d.,])(\d{5})\s+(?=[A-ZÀ-ÖØ-Þ])")
STREET = re.compile(r"(?i)(?:^|\s)(?:rue|avenue|av\.|boulevard|bd|place|pl\.|chemin|allée|impasse|quai|route|"
                    r"cours|passage|square|sq\.|st\.|sts\.|street|ave\.|blvd?\.|rd\.|road|hwy\.|plaza|bldg\.|"
                    r"drive|dr\.|lane|way)(?=\s|$)")
COORDS = re.compile(r"^\s*(-?\d{1,2}(?:\.\d+)?)\s*[,;]\s*(-?\d{1,3}(?:\.\d+)?)\s*$")


def phone_digits(raw: str) -> str:
    digits = re.sub(r"\D", "", raw.replace("(0)", ""))
    if digits.startswith("0033"):
        return "0" + digits[4:]
    return "0" + digits[2:] if raw.lstrip().startswith("+") and digits.startswith("33") else digits


def host_of(value: str) -> str:
    return m[1].lower() if (m := HOST.match(value)) else ""


def iso_date(value: str) -> str:
    v = value.lower()
    if m := re.search(r"(\d{4})-(\d{1,2})-(\d{1,2})", v):
        y, mo, d = m.groups()
    elif m := re.search(r"(\d{1,2})/(\d{1,2})/(\d{4})", v):
        d, mo, y = m.groups()
    elif m := re.search(rf"(\d{{1,2}})(?:er)?\s+({'|'.join(MONTHS)})\s+(\d{{4}})", v):
        d, mo, y = m[1], str(MONTHS[m[2]]), m[3]
    else:
        return " ".join(value.split())
    return f"{int(y):04d}-{int(mo):02d}-{int(d):02d}"


def town_and_street(value: str, venue_first: bool) -> tuple[str, str, str]:
    """(town, street, postcode) of a location value; see the module docstring."""
    value = re.sub(r"<!--.*?-->", "", value, flags=re.S)
    place = value.split(";")[0]
    postcode = m[1] if (m := re.search(r",\s*(\d{5})\b", place)) else ""
    parts = [" ".join(re.sub(r"\(.*?\)" + (r"|^\s*\d{5}\b" if i else ""), "", p).split())  # "…, 69100 Lyon"
             for i, p in enumerate(place.split(","))]
    street = [p for p in parts if p and (re.search(r"\d", p) or STREET.search(p))]
    plain = [p for p in parts if p and p not in street]
    town = (plain[-1] if venue_first else plain[0]) if plain else ""
    return town, ", ".join(street), postcode


def extract(title: str, text: str, redirects: dict[str, str]) -> dict[str, Any]:
    """The flat record of one page (fields in the module docstring); `redirects` maps template names."""
    import mwparserfromhell

    code = mwparserfromhell.parse(text)
    calls = code.filter_templates(recursive=False)
    call = next((t for t in calls if any(p.showkey for p in t.params)), None)
    params: dict[str, str] = {}
    if call is not None:
        for p in call.params:  # MediaWiki: when a parameter repeats, the last one wins
            if p.showkey:
                params[str(p.name).strip().casefold()] = str(p.value).strip()
    prose = "".join(str(node) for node in code.nodes if not isinstance(node, mwparserfromhell.nodes.Template))
    record: dict[str, Any] = dict.fromkeys(FIELDS, "")
    record.update(title=title, lat=None, lon=None)
    if call is not None:
        name = re.sub(r"^(?:modèle|template)\s*:", "", str(call.name).strip(), flags=re.I).replace("_", " ")
        name = " ".join(name.split())
        name = name[:1].upper() + name[1:]
        record["page_type"] = redirects.get(name, name)
    if (where := next((k for k in ("location", "ville", "commune", "localisation") if params.get(k)), None)):
        record["town"], record["street"], record["postcode"] = town_and_street(params[where], venue_first=False)
    elif params.get("lieu"):
        record["town"], record["street"], record["postcode"] = town_and_street(params["lieu"], venue_first=True)
    if m := POSTCODE.search(prose):
        record["postcode"] = m[1]
    if m := next(filter(None, map(PHONE.search, params.values())), None) or PHONE.search(prose):
        record["phone"] = phone_digits(m[0])
    if m := next(filter(None, map(EMAIL.search, params.values())), None) or EMAIL.search(prose):
        record["email"] = m[0].lower()
    site_value = next((params[k] for k in ("url", "site", "site web", "website") if params.get(k)), "")
    record["host"] = host_of(site_value) or next((h for m in LINK.finditer(prose) if (h := host_of(m[0]))), "")
    coords = next((v for k, v in params.items() if "coord" in k), "")
    if (m := COORDS.match(coords)) and abs(float(m[1])) <= 90 and abs(float(m[2])) <= 180:
        record["lat"], record["lon"] = float(m[1]), float(m[2])
    dates = [k for k in params if k == "date" or re.search(r"\bd[ée]but\b", k)]
    dates += [k for k in params if re.search(r"\bfin\b", k)]
    if start := next((params[k] for k in dates if params[k]), ""):
        record["start_date"] = iso_date(start)
    return record


def _extract_row(row: tuple[str, str, dict[str, str]]) -> dict[str, Any]:
    return extract(*row)


def _plain_sigterm() -> None:
    """In a pool process: SIGTERM ends it at once (the pool stops its processes so; main()'s handler would
    raise SystemExit in the middle of the pool's bookkeeping, and hang)."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def records_of(data: DataSet) -> list[dict[str, Any]]:
    """One record per main-namespace, non-redirect page; `id` is its index."""
    redirects = {site().split_title(t)[1]: site().split_title(r)[1]
                 for t, ns, _, r in data.pages if ns == 10 and r}
    rows = [(t, x, redirects) for t, ns, x, r in data.pages if ns == 0 and not r]
    if len(rows) > 5000:
        from multiprocessing import Pool

        with Pool(initializer=_plain_sigterm) as pool:
            records = pool.map(_extract_row, rows, chunksize=500)
    else:
        records = [extract(*row) for row in rows]
    return [{"id": i, **r} for i, r in enumerate(records)]


def cleaned(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The peers' common cleaning: NFC, case-folded, spaces collapsed, empty -> None; plus title_key."""
    def clean(v: Any) -> Any:
        return (" ".join(unicodedata.normalize("NFC", v).casefold().split()) or None) if isinstance(v, str) else v

    out = []
    for r in records:
        row = {k: clean(v) for k, v in r.items()}
        plain = "".join(c for c in unicodedata.normalize("NFKD", row["title"]) if not unicodedata.combining(c))
        row["title_key"] = re.sub(r"[\W_]+", "", plain) or None
        out.append(row)
    return out


def present(rows: list[dict[str, Any]], column: str) -> bool:
    """A column worth comparing: two distinct values or more."""
    return len({r[column] for r in rows if r[column] is not None}) >= 2


# --- contenders (each runs in a worker process) ---------------------------------------------------------------


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def movisync_store(folder: Path) -> Path:
    """The set's pages in a fresh movisync store."""
    from movisync.store import Page, Store

    data = json.loads((folder / "pages.json").read_text(encoding="utf-8"))
    path = folder / "movisync.sqlite"
    path.unlink(missing_ok=True)
    with Store(path) as store:
        store.bind(api=None, wiki_id="bench")
        store.save_site(site())
        with store.transaction():
            store.apply([Page(page_id=i + 1, ns=ns, title=t, rev_id=1, timestamp=STAMP, text=x, redirect=r)
                         for i, (t, ns, x, r) in enumerate(data["pages"])])
    return path


def run_movisync(folder: Path, budget: float) -> dict[str, Any]:
    path = movisync_store(folder)
    command = [str(MOVISYNC), "dupes", "--store", str(path), "--format", "json"]
    cold, cold_mb, _ = timed(command, budget)  # fills the records cache
    seconds, peak, out = timed(command, budget)
    pairs = [[p["a"], p["b"]] for p in json.loads(out)]
    return {"pairs": pairs, "seconds": seconds, "peak": peak,
            "note": f"first run (cold cache) {cold:.1f} s, {cold_mb:.0f} MB"}


def run_movisync_labelled(folder: Path, budget: float, labels: int) -> dict[str, Any]:
    """movisync taught `labels` verdicts answered from the truth, as reviewers would on the review page: the
    pairs it is least sure of (match probability nearest 50 %, among those from 1 %), one round; seconds are
    those of the run after the verdicts."""
    from movisync.store import Store

    path = movisync_store(folder)
    truth = {frozenset(p) for p in json.loads((folder / "truth.json").read_text(encoding="utf-8"))["gold"]}
    _, _, out = timed([str(MOVISYNC), "dupes", "--store", str(path), "--threshold", "1", "--format", "json"],
                      budget)
    asked = sorted(json.loads(out), key=lambda p: (abs(p["probability"] - 0.5), p["a"], p["b"]))[:labels]
    with Store(path) as store:
        for p in asked:
            store.set_verdict(p["a"], p["b"], frozenset((p["a"], p["b"])) in truth, source="bench", added=STAMP[:10])
    matches = sum(frozenset((p["a"], p["b"])) in truth for p in asked)
    seconds, peak, out = timed([str(MOVISYNC), "dupes", "--store", str(path), "--format", "json"], budget)
    pairs = [[p["a"], p["b"]] for p in json.loads(out)]
    return {"pairs": pairs, "seconds": seconds, "peak": peak, "note": f"{len(asked)} verdicts ({matches} match)"}


def timed(command: list[str], budget: float) -> tuple[float, float, str]:
    """Seconds, peak MB (the child's own ru_maxrss, from wait4) and stdout of one command."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(command, stdout=out, stderr=err)
        timer = threading.Timer(budget, proc.kill)
        timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        timer.cancel()
        seconds, proc.returncode = time.perf_counter() - started, os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode:
            raise RuntimeError(f"{' '.join(command[:2])} exited {proc.returncode}: {err.read().decode()[-800:]}")
        return seconds, usage.ru_maxrss / 1024, out.read().decode()


def run_splink(folder: Path) -> dict[str, Any]:
    import logging

    import pandas as pd
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    logging.getLogger("splink").setLevel(logging.ERROR)  # its many "m value not trained" warnings
    rows = cleaned(json.loads((folder / "records.json").read_text(encoding="utf-8")))
    has = {c for c in (*FIELDS, "title_key") if present(rows, c)}
    frame = pd.DataFrame([{"unique_id": r.pop("id"), **r} for r in rows])
    started = time.perf_counter()
    comparisons = [c for c, need in (
        (cl.NameComparison("title"), "title"),
        (cl.JaroWinklerAtThresholds("street", [0.9, 0.8]), "street"),
        (cl.ExactMatch("town").configure(term_frequency_adjustments=True), "town"),
        (cl.ExactMatch("phone"), "phone"),
        (cl.ExactMatch("postcode"), "postcode"),
        (cl.EmailComparison("email"), "email"),
        (cl.ExactMatch("host"), "host"),
        (cl.DistanceInKMAtThresholds("lat", "lon", [0.1, 1, 10]), "lat"),
        (cl.ExactMatch("page_type"), "page_type"),
        (cl.ExactMatch("start_date"), "start_date")) if need in has]
    blocking = [block_on(c) for c in ("title_key", "phone", "email", "host", "town", "postcode") if c in has]
    if "lat" in has:
        blocking.append(block_on("round(lat, 2)", "round(lon, 2)"))
    settings = SettingsCreator(link_type="dedupe_only", comparisons=comparisons,
                               blocking_rules_to_generate_predictions=blocking)
    linker = Linker(frame, settings, db_api=DuckDBAPI(), set_up_basic_logging=False)
    notes = []
    deterministic = [block_on(*cols) for cols in (("title_key", "town"), ("phone",), ("email",))
                     if set(cols) <= has]
    try:
        linker.training.estimate_probability_two_random_records_match(deterministic, recall=0.7)
    except Exception as error:  # no deterministic match at all: Splink's default prior stays
        notes.append(f"prior: default ({type(error).__name__})")
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=SEED)
    # EM blocked on each of title_key, phone, email, host where matches are not rare (Splink's docs: between 1% and
    # 99% of the blocked pairs), judged by the prior: pairs at least 10 and at most 100 x the matches it expects
    expected = linker.misc.save_model_to_json()["probability_two_random_records_match"] * len(rows) ** 2 / 2
    for column in [c for c in ("title_key", "phone", "email", "host") if c in has]:
        sizes = frame[column].value_counts()
        if not 10 <= (pairs := int((sizes * (sizes - 1) // 2).sum())) <= 100 * expected:
            continue
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(block_on(column))
            notes.append(f"EM on {column} ({pairs} pairs)")
        except Exception as error:
            notes.append(f"EM on {column} failed ({type(error).__name__}: {str(error)[:80]})")
    if not any(n.startswith("EM on") for n in notes):
        notes.append(f"no EM session: no block of 10 to {100 * expected:.0f} pairs")
    result = linker.inference.predict(threshold_match_probability=0.5).as_pandas_dataframe()
    titles = raw_titles(folder)  # unique_id is the record's index
    pairs = [[titles[a], titles[b]] for a, b in zip(result["unique_id_l"], result["unique_id_r"], strict=True)]
    return {"pairs": pairs, "seconds": time.perf_counter() - started, "peak": peak_mb(), "note": "; ".join(notes)}


def raw_titles(folder: Path) -> list[str]:
    return [r["title"] for r in json.loads((folder / "records.json").read_text(encoding="utf-8"))]


def seed_everything() -> None:
    import numpy as np

    random.seed(SEED)
    np.random.seed(SEED)
    fresh, draws = np.random.default_rng, iter(range(SEED, SEED + 10**6))
    np.random.default_rng = lambda seed=None: fresh(next(draws) if seed is None else seed)


def run_dedupe(folder: Path, labels: int) -> dict[str, Any]:
    import warnings

    warnings.filterwarnings("ignore", module="sklearn")  # "F-score is ill-defined" while few labels match
    seed_everything()
    import dedupe
    from dedupe import variables as v

    records = json.loads((folder / "records.json").read_text(encoding="utf-8"))
    truth = {frozenset(p) for p in json.loads((folder / "truth.json").read_text(encoding="utf-8"))["gold"]}
    rows, titles = cleaned(records), [r["title"] for r in records]
    has = {c for c in FIELDS if present(rows, c)}
    data = {}
    for r in rows:
        row = {c: r[c] for c in FIELDS if c in has and c not in ("lat", "lon")}
        if "lat" in has:
            row["coords"] = (r["lat"], r["lon"]) if r["lat"] is not None else None
        data[r["id"]] = {**row, "_id": r["id"]}
    fields = [(v.String, "title"), (v.String, "street"), (v.ShortString, "town"), (v.String, "phone"),
              (v.Exact, "postcode"), (v.ShortString, "email"), (v.ShortString, "host"), (v.LatLong, "lat"),
              (v.Exact, "page_type"), (v.Exact, "start_date")]
    variables = [kind("coords" if c == "lat" else c, has_missing=c != "title") for kind, c in fields if c in has]
    started = time.perf_counter()
    deduper = dedupe.Dedupe(variables, num_cores=os.cpu_count())
    deduper.prepare_training(data, sample_size=1500)
    asked = matches = 0
    while asked < labels:
        try:
            pair = deduper.uncertain_pairs()[0]
        except IndexError:
            break
        same = frozenset((titles[pair[0]["_id"]], titles[pair[1]["_id"]])) in truth
        deduper.mark_pairs({"match": [pair] if same else [], "distinct": [] if same else [pair]})  # type: ignore
        asked, matches = asked + 1, matches + same
    deduper.train()
    clusters = deduper.partition(data, threshold=0.5)
    pairs = [[titles[a], titles[b]] for ids, _ in clusters for a, b in combinations(sorted(ids), 2)]
    return {"pairs": pairs, "seconds": time.perf_counter() - started, "peak": peak_mb(),
            "note": f"{asked} labels ({matches} match)"}


def run_rapidfuzz(folder: Path) -> dict[str, Any]:
    import numpy as np
    from rapidfuzz import fuzz, process, utils

    titles, truth = raw_titles(folder), json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    scope = truth["scope"]
    inside = np.array([scope is None or t in scope for t in titles])
    started, counts = time.perf_counter(), np.zeros(101, dtype=np.int64)
    block = max(100, 50_000_000 // max(1, len(titles)))  # rows at a time: ~200 MB of float32 scores
    for start in range(0, len(titles), block):  # the upper triangle, a block of rows at a time
        rows = titles[start:start + block]
        matrix = process.cdist(rows, titles[start:], scorer=fuzz.token_sort_ratio, processor=utils.default_process,
                               score_cutoff=50, dtype=np.float32, workers=-1)
        matrix[np.tril_indices(len(rows), 0, matrix.shape[1])] = 0  # the diagonal, and pairs counted already
        if scope is not None:
            matrix[~(inside[start:start + len(rows), None] | inside[None, start:])] = 0
        counts += np.bincount(np.floor(matrix[matrix >= 50] + 1e-4).astype(np.int64), minlength=101)[:101]
    seconds = time.perf_counter() - started

    def histogram(pairs: list[list[str]]) -> Any:
        found = np.zeros(101, dtype=np.int64)
        for a, b in pairs:
            if (s := fuzz.token_sort_ratio(a, b, processor=utils.default_process)) >= 50:
                found[int(np.floor(s + 1e-4))] += 1
        return np.cumsum(found[::-1])[::-1]  # at threshold t: pairs scoring t or more

    reported, hits, wrong = np.cumsum(counts[::-1])[::-1], histogram(truth["gold"]), histogram(truth["negatives"])
    f1 = [2 * hits[t] / (reported[t] + len(truth["gold"])) if reported[t] else 0.0 for t in range(101)]
    best = max(range(50, 101), key=lambda t: (f1[t], t))
    return {"pairs": None, "reported": int(reported[best]), "hits": int(hits[best]), "negatives": int(wrong[best]),
            "seconds": seconds, "peak": peak_mb(),
            "note": f"best F1 at threshold {best}: upper bound, tuned on the truth"}


def worker(contender: str, folder: Path, budget: float) -> dict[str, Any]:
    if contender == "movisync":
        return run_movisync(folder, budget)
    if contender.startswith("movisync-"):
        return run_movisync_labelled(folder, budget, int(contender.split("-")[1]))
    if contender == "splink":
        return run_splink(folder)
    if contender.startswith("dedupe-"):
        return run_dedupe(folder, int(contender.split("-")[1]))
    return run_rapidfuzz(folder)


# --- orchestration --------------------------------------------------------------------------------------------


def write_set(data: DataSet, folder: Path) -> int:
    """The pages, the truth and the peers' records as JSON in `folder`; returns the number of records."""
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    records = records_of(data)
    (folder / "pages.json").write_text(json.dumps({"pages": data.pages}), encoding="utf-8")
    (folder / "records.json").write_text(json.dumps(records), encoding="utf-8")
    truth = {"gold": [sorted(p) for p in data.gold], "negatives": [sorted(p) for p in data.negatives],
             "scope": sorted(data.scope) if data.scope is not None else None}
    (folder / "truth.json").write_text(json.dumps(truth), encoding="utf-8")
    log(f"{data.key}: {len(data.pages)} pages, {len(records)} records for the peers, {len(data.gold)} gold pairs "
        f"({time.perf_counter() - started:.1f} s)")
    return len(records)


def run_worker(contender: str, folder: Path, budget: float, memory: float) -> dict[str, Any]:
    """One contender in its own process group, stopped at the time budget or at the memory budget (MB)."""
    env = {**os.environ, "PYTHONHASHSEED": str(SEED)}
    command = [sys.executable, __file__, "--worker", contender, str(folder), str(budget)]
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(command, stdout=out, env=env, start_new_session=True)
        started, error = time.perf_counter(), ""
        try:
            while proc.poll() is None and not error:
                if time.perf_counter() - started > budget:
                    error = f"stopped at the time budget ({budget / 60:.0f} min)"
                elif (rss := group_rss(proc.pid)) > memory:
                    error = f"stopped at {rss / 1024:.1f} GB (memory budget {memory / 1024:.0f} GB)"
                time.sleep(0.5)
        finally:  # at the budget, or when this run is interrupted: the worker and its children go too
            if error or proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if error:
            return {"error": error}
        if proc.returncode:
            return {"error": f"failed (exit {proc.returncode}, see stderr)"}
        out.seek(0)
        return json.loads(out.read())


def group_rss(group: int) -> float:
    """MB used by the processes of one process group: their proportional set size (PSS, so that the pages a
    forked worker shares with its parent count once), from /proc."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[2]) != group:
                continue
            rollup = (stat.parent / "smaps_rollup").read_text()
        except (OSError, IndexError, ValueError):
            continue
        if m := re.search(r"^Pss:\s+(\d+) kB", rollup, re.M):
            total += int(m[1]) / 1024
    return total


def score(data: DataSet, result: dict[str, Any]) -> dict[str, Any]:
    if result.get("pairs") is None:  # rapidfuzz counted its own
        found, hits, negatives = result["reported"], result["hits"], result["negatives"]
    else:
        pairs = {frozenset(p) for p in result["pairs"] if p[0] != p[1]}
        if data.scope is not None:
            pairs = {p for p in pairs if p & data.scope}
        found, hits, negatives = len(pairs), len(pairs & data.gold), len(pairs & data.negatives)
    precision, recall = hits / found if found else 0.0, hits / len(data.gold) if data.gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    note = result.get("note", "")
    if negatives:
        note = "; ".join(x for x in (f"{negatives} hard negatives reported", note) if x)
    return {"pairs": found, "true": hits, "precision": precision, "recall": recall, "f1": f1,
            "seconds": result["seconds"], "peak": result["peak"], "note": note}


def ensure_peers(wanted: set[str]) -> None:
    """Install the peers of pyproject.toml's `bench` extra that .venv lacks (or holds in another version)."""
    from importlib.metadata import PackageNotFoundError, version

    from packaging.requirements import Requirement

    bench = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["optional-dependencies"]["bench"]
    needed = {"splink": {"splink", "numpy"}, "dedupe": {"dedupe", "btrees", "numpy"}, "rapidfuzz": {"numpy"}}
    names = set().union(*(needed.get(c.split("-")[0], set()) for c in wanted))
    missing = []
    for requirement in map(Requirement, bench):
        if requirement.name.lower() in names:
            try:
                if not requirement.specifier.contains(version(requirement.name), prereleases=True):
                    missing.append(str(requirement))
            except PackageNotFoundError:
                missing.append(str(requirement))
    if missing:
        log(f"installing {' '.join(missing)} into .venv (pyproject.toml's bench extra)")
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", *missing], check=True, stdout=sys.stderr)


def versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for name in ("movisync", "splink", "duckdb", "dedupe", "BTrees", "rapidfuzz", "mwparserfromhell"):
        with contextlib.suppress(PackageNotFoundError):
            found.append(f"{name} {version(name)}")
    return ", ".join(found)


def table(rows: list[list[str]], markdown: bool) -> str:
    """Numbers right-aligned, the set, contender and note left-aligned."""
    left = {0, 1, len(rows[0]) - 1}
    if markdown:
        lines = ["| " + " | ".join(row) + " |" for row in rows]
        rule = "|" + "|".join("---" if i in left else "---:" for i in range(len(rows[0]))) + "|"
        return "\n".join([lines[0], rule, *lines[1:]])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in
                               enumerate(zip(row, widths, strict=True))).rstrip() for row in rows)


def build(key: str, sizes: list[int], qualifier: str) -> list[DataSet]:
    if key == "a":
        return [own_set()]
    if key == "b":
        return [data] if (data := heldout_set(DEV, "b", "development")) is not None else []
    if key == "h":
        return [data] if (data := heldout_set(HELDOUT, "h", "held-out")) is not None else []
    if key == "c":
        return [fodors_zagat_set(qualifier)]
    return [synthetic_set(n) for n in sizes]


def foreseen(past: list[tuple[int, float, float]], count: int, contender: str, args: Any) -> str:
    """Why a contender would exceed a budget on `count` records, judged from a smaller size (time linear, all
    pairs quadratic; memory linear), or ""."""
    exponent = 2 if contender == "rapidfuzz" else 1
    for n, seconds, peak in past:
        if n < count and (time_needed := seconds * (count / n) ** exponent) > args.budget:
            return f"~{time_needed / 60:.0f} min foreseen from {n // 1000}k (budget {args.budget / 60:.0f} min)"
        if n < count and contender != "rapidfuzz" and (mb := peak * count / n) > args.memory:
            return f"~{mb / 1024:.0f} GB foreseen from {n // 1000}k (budget {args.memory / 1024:.0f} GB)"
    return ""


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:  # one contender on one set, in its own process
        print(json.dumps(worker(argv[1], Path(argv[2]), float(argv[3]))))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default="a,b,h,c,d", help="data sets, comma-separated (a, b, h, c, d)")
    parser.add_argument("--sizes", default="10000,100000", help="synthetic store sizes for set d")
    parser.add_argument("--skip", default="", help=f"contenders to leave out, comma-separated "
                                                   f"({', '.join(CONTENDERS)}; `dedupe` is both dedupe runs)")
    parser.add_argument("--fz-titles", choices=("town", "source"), default="town",
                        help="Fodors-Zagat: qualify a taken title by the town (default) or by the guide")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument("--budget", type=float, default=900, help="seconds a contender may take on one set")
    parser.add_argument("--memory", type=float, default=12_000, help="MB a contender may use on one set")
    parser.add_argument("--keep", metavar="DIR", help="keep the sets' files and stores in DIR")
    args = parser.parse_args(argv)
    sets = [s.strip() for s in args.sets.split(",") if s.strip()]
    if unknown := set(sets) - set("abhcd"):
        parser.error(f"unknown set(s): {', '.join(sorted(unknown))}")
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    if unknown := {s for s in skip if not any(c == s or c.startswith(s + "-") for c in CONTENDERS)}:
        parser.error(f"unknown contender(s): {', '.join(sorted(unknown))}")
    contenders = [c for c in CONTENDERS if c not in skip and c.split("-")[0] not in skip]
    sizes = sorted(int(n) for n in args.sizes.split(",") if n.strip())
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that the workers are stopped and files removed
    ensure_peers(set(contenders))
    begun, work = time.perf_counter(), Path(args.keep or tempfile.mkdtemp(prefix="dupes-quality-"))
    rows: list[list[str]] = [["set", "contender", "gold", "pairs", "true", "precision", "recall", "F1", "seconds",
                              "peak MB", "note"]]
    notes = []
    timings: dict[str, list[tuple[int, float, float]]] = {}  # contender: (records, seconds, MB) at each size
    stopped: dict[str, int] = {}  # contender: the smallest size at which it was stopped
    try:
        for key in sets:
            built = build(key, sizes, args.fz_titles)
            if key in "bh" and not built:
                notes.append(MISSING.format(key=key, folder=(DEV if key == "b" else HELDOUT).relative_to(ROOT)))
                log(notes[-1])
            for data in built:
                folder = work / data.key
                count = write_set(data, folder)
                notes += [f"{data.key}: {n}" for n in data.notes]
                for contender in contenders:
                    why = foreseen(timings.get(contender, []), count, contender, args) if key == "d" else ""
                    if key == "d" and contender in stopped:
                        why = f"stopped at {stopped[contender] // 1000}k already"
                    if why:
                        log(f"{data.key}: {contender} skipped: {why}")
                        rows.append([data.name, contender, str(len(data.gold)), *["-"] * 7, f"skipped: {why}"])
                        continue
                    log(f"{data.key}: {contender}")
                    result = run_worker(contender, folder, args.budget, args.memory)
                    if "error" in result:
                        log(f"{data.key}: {contender} {result['error']}")
                        if key == "d" and result["error"].startswith("stopped"):
                            stopped.setdefault(contender, count)
                        rows.append([data.name, contender, str(len(data.gold)), *["-"] * 7, result["error"]])
                        continue
                    if key == "d":
                        timings.setdefault(contender, []).append((count, result["seconds"], result["peak"]))
                    r = score(data, result)
                    log(f"{data.key}: {contender}: {r['pairs']} pairs, precision {r['precision']:.3f}, recall "
                        f"{r['recall']:.3f}, {r['seconds']:.1f} s")
                    rows.append([data.name, contender, str(len(data.gold)), str(r["pairs"]), str(r["true"]),
                                 f"{r['precision']:.3f}", f"{r['recall']:.3f}", f"{r['f1']:.3f}",
                                 f"{r['seconds']:.1f}", f"{r['peak']:.0f}", r["note"] or "-"])
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(table(rows, args.markdown))
    print(f"\n{os.cpu_count()} cores; {versions()}; whole run {time.perf_counter() - begun:.0f} s")
    for note in notes:
        print(f"- {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
