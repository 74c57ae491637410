"""Publishing on the live local wiki: create, no null edits, never clobber, stop, escape."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace

import pytest
from click.testing import CliRunner

from movisync.cli import main, workspace
from movisync.config import load_settings
from movisync.profile import load_profile
from movisync.publish import END, block_content
from movisync.records import Value
from movisync.render import directory
from movisync.store import Store
from movisync.sync import pull

from .wikiedit import Editor

pytestmark = pytest.mark.live
PROFILE = load_profile()
REVIEW = "Movilab:Movisync/Doublons"
PLACES = "Movilab:Movisync/Annuaire/Tiers-lieux"
WORKLIST = "Movilab:Movisync/À compléter/Tiers-lieux"


@pytest.fixture(scope="module")
def setup(fresh_wiki, tmp_path_factory):
    folder = tmp_path_factory.mktemp("publish")
    config = folder / "movisync.toml"
    config.write_text("throttle = 0\n")
    bot = fresh_wiki.credentials["bot"]
    settings = load_settings(
        flags={"api": fresh_wiki.api, "store": folder / "s.sqlite"},
        env={"MOVISYNC_USERNAME": bot["username"], "MOVISYNC_PASSWORD": bot["password"]},
        config_file=config,
    )
    with Store(settings.store) as store:
        pull(store, fresh_wiki.client())
    return (
        fresh_wiki,
        settings,
        Editor(fresh_wiki.client("human")),
        Editor(fresh_wiki.client("admin")),
    )


def plan_and_apply(settings, **options):
    with workspace(settings) as ws:
        ws.pull()
        made = ws.plan(**options)
        result = ws.apply(made, **options)
    return made, result


def text_of(wiki, title: str) -> str:
    result = wiki.client().client.call(
        {
            "action": "query",
            "titles": title,
            "prop": "revisions",
            "rvprop": "content",
            "rvslots": "main",
        }
    )
    return result["query"]["pages"][0]["revisions"][0]["slots"]["main"]["content"]


def test_1_first_apply_creates_the_pages_and_a_second_run_plans_nothing(setup):
    wiki, settings, _, _ = setup
    made, result = plan_and_apply(settings)
    assert all(e.create for e in made.edits) and len(result.applied) == len(made.edits) == 14
    assert result.skipped == () and not result.stopped
    again, result = plan_and_apply(settings)
    assert again.edits == () and result.applied == ()
    places = text_of(wiki, PLACES)
    assert "[[:La Fabrique (Lyon)]]" in block_content(places, "directory-tiers-lieu")


def test_2_human_text_outside_the_markers_is_kept_byte_for_byte(setup):
    wiki, settings, human, _ = setup
    current = text_of(wiki, PLACES)
    before, after = "Intro écrite par une humaine.\n\n", "\n\n== Notes ==\nÀ garder !  \n"
    human.edit(PLACES, before + current.strip("\n") + after)
    # A new page on the wiki changes the directory block.
    human.edit("La Nouvelle Forge", "{{Tiers-lieu|Titre=La Nouvelle Forge|location=Albi}}\nTexte.")
    saved = text_of(wiki, PLACES)  # MediaWiki trims trailing blanks of a page on save
    begin = "<!-- movisync:begin directory-tiers-lieu "  # then the proof of what it wrote
    end = END.format("directory-tiers-lieu")
    outside = (saved[: saved.index(begin)], saved[saved.index(end) :])
    made, result = plan_and_apply(settings)
    assert PLACES in [a.title for a in result.applied]
    assert [e.title for e in made.edits if e.title == PLACES] == [PLACES]
    text = text_of(wiki, PLACES)
    assert (text[: text.index(begin)], text[text.index(end) :]) == outside
    assert outside[0] == before and outside[1].startswith(end + "\n\n== Notes ==\nÀ garder !")
    assert "[[:La Nouvelle Forge]]" in text


def test_3_a_human_edit_between_plan_and_apply_is_a_conflict_nothing_lost(setup):
    wiki, settings, human, _ = setup
    human.edit("Le Quai Neuf", "{{Tiers-lieu|Titre=Le Quai Neuf|location=Sète}}\nTexte.")
    with workspace(settings) as ws:
        ws.pull()
        made = ws.plan()
        assert PLACES in [e.title for e in made.edits]
        human.edit(PLACES, text_of(wiki, PLACES) + "\nAjout pendant le plan.")
        result = ws.apply(made)
    assert PLACES in [a.title for a in result.applied]
    text = text_of(wiki, PLACES)
    assert text.endswith("Ajout pendant le plan.") and "[[:Le Quai Neuf]]" in text


def test_4_hand_edits_inside_a_block_and_broken_markers_are_skipped(setup):
    wiki, settings, human, _ = setup
    activities = "Movilab:Movisync/Activités"
    human.edit(activities, text_of(wiki, activities).replace("== ", "== Retouché ", 1))
    worklist = "Movilab:Movisync/À compléter/Communs"
    human.edit(worklist, text_of(wiki, worklist) + "\n" + END.format("worklist-commun"))
    human.edit(
        "Un commun de plus",
        "{{Commun|shortDescription=x|Theme=Gestion}}\nTexte. [[Objethèque]] {{Ébauche}}",
    )
    made, result = plan_and_apply(settings)
    reasons = {s.title: s.reason for s in made.skipped}
    assert reasons[activities] == "hand_edit" and reasons[worklist] == "markers"
    assert activities not in [a.title for a in result.applied]
    assert "Retouché" in text_of(wiki, activities)


def test_5_nobots_stop_page_and_protection_are_honoured(setup):
    wiki, settings, human, admin = setup
    events = "Movilab:Movisync/Annuaire/Événements"
    human.edit(events, "{{nobots}}\n" + text_of(wiki, events))
    communs = "Movilab:Movisync/Annuaire/Communs"
    admin._post(action="protect", title=communs, protections="edit=sysop", reason="test")
    human.edit("Un dernier commun", "{{Commun|shortDescription=y|Theme=Autre}}\nTexte.")
    human.edit("Un dernier événement", "{{Evenement|Titre=Fête|Lieu=Albi}}\nTexte.")
    with workspace(settings) as ws:
        ws.pull()
        made = ws.plan()
    reasons = {s.title: s.reason for s in made.skipped}
    assert reasons[events] == "nobots" and reasons[communs] == "protected"
    human.edit("Movilab:Movisync/Arrêt", "STOP : on vérifie les listes.")
    with workspace(settings) as ws:
        result = ws.apply(made)
    assert result.stopped and result.applied == ()
    human.edit("Movilab:Movisync/Arrêt", "Vous pouvez reprendre.")


def test_6_verdicts_are_read_back_from_the_review_page(setup):
    wiki, settings, human, _ = setup
    text = text_of(wiki, REVIEW)
    row = next(line for line in text.splitlines() if "[[:Tiers Lieux]]" in line)
    human.edit(REVIEW, text.replace(row, row.rstrip() + " pas un doublon"))
    made, _ = plan_and_apply(settings)
    with Store(settings.store) as store:
        rejected = [(v.a, v.b, v.source) for v in store.verdicts() if not v.duplicate]
    assert ("Tiers Lieux", "Tiers-Lieux", "wiki") in rejected
    assert "[[:Tiers-Lieux]]" not in block_content(text_of(wiki, REVIEW), "duplicates")
    assert REVIEW not in {s.title for s in made.skipped}


def test_6b_exceptions_come_back_from_the_worklists_and_fixed_gaps_show(setup):
    wiki, settings, human, _ = setup
    with workspace(settings) as ws:
        ws.run(apply=True)  # a first run: every gap is followed from now on
    text = text_of(wiki, WORKLIST)
    row = next(
        line for line in text.splitlines() if "[[:Les Ateliers du Marais]] || En bref" in line
    )
    fill = next(line for line in text.splitlines() if line.startswith("| Communautés ||"))
    text = text.replace(row, row.rstrip() + " sans objet")
    human.edit(WORKLIST, text.replace(fill, fill.rstrip() + " exception : pas pour tous"))
    page = text_of(wiki, "LaMyne")
    human.edit("LaMyne", page.replace("|Titre=LaMyne", "|Titre=LaMyne\n|url=https://lamyne.org"))
    with workspace(settings) as ws:
        result = ws.run(apply=True)
        waivers = {(w.page, w.field): (w.reason, w.who, w.source) for w in ws.waivers()}
    human_name = wiki.credentials["human"]["username"].split("@")[0]  # a bot password's account
    assert waivers[("Les Ateliers du Marais", "shortDescription")] == (
        "sans objet",
        human_name,
        "wiki",
    )
    assert waivers[("", "communauté d-intérêt")][0] == "exception : pas pour tous"
    assert WORKLIST not in {s.title for s in result.plan.skipped}  # not a hand edit
    block = block_content(text_of(wiki, WORKLIST), "worklist-tiers-lieu")
    shown, _, rest = block.partition("=== Exceptions")
    assert "[[:Les Ateliers du Marais]] || En bref" not in shown
    assert "[[:Les Ateliers du Marais]] || En bref" in rest and "sans objet" in rest
    assert "[[:LaMyne]] || Site web" not in block
    assert "1 corrigé" in block.splitlines()[0]
    # erasing the words takes the exceptions back: the gaps are reported again
    lines = text_of(wiki, WORKLIST).splitlines()
    for i, line in enumerate(lines):
        if line.startswith("| ") and ("sans objet" in line or "pas pour tous" in line):
            lines[i] = line.rsplit("||", 1)[0] + "|| "
    human.edit(WORKLIST, "\n".join(lines))
    with workspace(settings) as ws:
        ws.run(apply=True)
        assert ws.waivers() == []
    block = block_content(text_of(wiki, WORKLIST), "worklist-tiers-lieu")
    assert "=== Exceptions" not in block
    assert "[[:Les Ateliers du Marais]] || En bref" in block


def test_7_hostile_values_cannot_add_categories_or_templates(setup):
    wiki, _, _, _ = setup
    hostile = "}}[[Catégorie:Spam]]{{Ébauche}} || !! ~~~~ __NOTOC__ <b>x</b> [[La Myne]]\n| a"
    text = "{{Tiers-lieu|Titre=x}}"
    from movisync.records import build_record
    from movisync.site import from_api
    from movisync.store import Page

    site = from_api(
        wiki.client().client.call(
            {
                "action": "query",
                "meta": "siteinfo",
                "siprop": "general|namespaces|namespacealiases|magicwords",
            }
        )["query"]
    )
    record = build_record(Page(1, 0, "Piège", 1, "2026-11-28T00:00:00Z", text), PROFILE, site, {})
    # What a field may hold once read (e.g. from <nowiki>...</nowiki> on the page).
    record = replace(record, values=tuple(Value(n, hostile) for n in ("Titre", "location")))
    block = directory([record], PROFILE.type("tiers-lieu"), "X", PROFILE.words, "Modèle")
    parsed = wiki.client().client.call(
        {
            "action": "parse",
            "text": block.text,
            "contentmodel": "wikitext",
            "prop": "categories|templates|links|text",
            "title": "Test",
        },
        post=True,
    )["parse"]
    assert parsed["categories"] == []
    assert parsed["templates"] == []
    # Only the links movisync makes: the page itself and its template's page.
    assert sorted(link["title"] for link in parsed["links"]) == ["Modèle:Tiers-lieu", "Piège"]
    html = parsed["text"]
    assert html.count("<td>") == 1 + 6 + 1 and "Spam" in html and "<b>x</b>" not in html
    assert "~~~~" in html.replace("&#126;", "~") and "toc" not in html.lower().replace("notoc", "")


def test_8_a_wrong_bot_password_is_one_error_line_and_no_secret_is_printed(setup, tmp_path):
    wiki, settings, _, _ = setup
    bot = wiki.credentials["bot"]
    runner = CliRunner()
    env = {
        "MOVISYNC_API": wiki.api,
        "MOVISYNC_STORE": str(settings.store),
        "MOVISYNC_USERNAME": bot["username"],
        "MOVISYNC_PASSWORD": "pas-le-bon-mot",
    }
    result = runner.invoke(main, ["plan", "--apply"], env=env)
    assert result.exit_code == 1 and result.stderr.startswith("Error: the wiki refused the login")
    assert "pas-le-bon-mot" not in result.output
    env["MOVISYNC_PASSWORD"] = bot["password"]
    good = runner.invoke(main, ["run", "--apply", "--report", str(tmp_path / "run.json")], env=env)
    assert good.exit_code in (0, 4), good.output
    report = (tmp_path / "run.json").read_text()
    for secret in (bot["password"], "csrftoken", "+\\\\"):
        assert secret not in good.output and secret not in report
    assert json.loads(report)["pull"]["kind"] == "incremental"


def test_9_a_run_says_one_line_a_page_and_edited_only_for_real_edits(setup, tmp_path):
    wiki, settings, human, _ = setup
    human.edit("Le Hangar Neuf", "{{Tiers-lieu|Titre=Le Hangar Neuf|location=Nîmes}}\nTexte.")
    bot = wiki.credentials["bot"]
    env = {
        "MOVISYNC_API": wiki.api,
        "MOVISYNC_STORE": str(settings.store),
        "MOVISYNC_CONFIG": str(settings.config),
        "MOVISYNC_USERNAME": bot["username"],
        "MOVISYNC_PASSWORD": bot["password"],
    }
    runner = CliRunner()
    plan_file = tmp_path / "plan.json"
    assert runner.invoke(main, ["pull"], env=env).exit_code == 0  # `plan` reads the store as it is
    planned = runner.invoke(main, ["plan", "--output", str(plan_file)], env=env)
    assert planned.exit_code in (0, 4), planned.output
    done = runner.invoke(main, ["run", "--apply"], env=env)
    lines = done.stdout.splitlines()
    assert lines and all(line.startswith("plan: ") for line in lines)  # no diff by default
    assert any(PLACES in line for line in lines)
    assert f"Edited {PLACES}" in done.stderr
    runner.invoke(main, ["apply", str(plan_file)], env=env)
    again = runner.invoke(main, ["apply", str(plan_file)], env=env)  # what it says is there
    assert "Edited" not in again.stderr and "already up to date" in again.stderr, again.output
    diffs = runner.invoke(main, ["run", "--diff"], env=env)
    assert diffs.exit_code in (0, 4) and "plan: " not in diffs.stdout


def test_10_long_pages_go_to_subpages_read_back_and_retired(setup):
    wiki, settings, human, _ = setup
    small = replace(settings, page_limit=2000, budget=500)
    with workspace(small) as ws:
        done = ws.run(apply=True)
    assert not [s for s in done.skipped if s.title.startswith(WORKLIST)], done.skipped
    index = block_content(text_of(wiki, WORKLIST), "worklist-tiers-lieu")
    assert "sous-pages" in index and f"[[{WORKLIST}/2|" in index
    second = text_of(wiki, f"{WORKLIST}/2")
    assert len(second.encode()) < 2500 and "! Page !! Champ" in second
    row = next(line for line in second.splitlines() if line.startswith("| [[:"))
    page = row.split("]]")[0].removeprefix("| [[:")
    human.edit(f"{WORKLIST}/2", second.replace(row, row.rstrip() + " sans objet"))
    with workspace(small) as ws:
        done = ws.run(apply=True)
        assert page in {w.page for w in ws.waivers()}  # read back from the subpage
    assert not [s for s in done.skipped if s.title.startswith(WORKLIST)], done.skipped
    with workspace(replace(settings, budget=500)) as ws:  # all fits again: subpages retired
        done = ws.run(apply=True)
    assert not [s for s in done.skipped if s.title.startswith(WORKLIST)], done.skipped
    assert "sous-pages" not in text_of(wiki, WORKLIST)
    assert "ne sert plus" in text_of(wiki, f"{WORKLIST}/2")


def test_the_plan_is_the_same_in_every_process(local_wiki, tmp_path):
    """Each Python process orders sets its own way (hash randomisation): what movisync
    would write must not depend on it, or a run on another machine, or the next one,
    would edit the curated pages with nothing changed on the wiki (not idempotent)."""
    outputs = set()
    for seed in (1, 2, 3):
        env = {
            **os.environ,
            "PYTHONHASHSEED": str(seed),
            "MOVISYNC_API": local_wiki.api,
            "MOVISYNC_STORE": str(tmp_path / f"{seed}.sqlite"),
        }
        for args in (["pull"], ["run", "--diff"]):
            done = subprocess.run(
                [sys.executable, "-m", "movisync", *args],
                env=env,
                cwd=tmp_path,
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert done.returncode in (0, 4), done.stderr[-2000:]
        outputs.add(done.stdout)
    plan = outputs.pop()
    assert not outputs and plan.count("\n== ") >= 10 and "summary: " in plan
