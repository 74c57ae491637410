"""Settings: flags > environment > movisync.toml > defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from movisync.config import DEFAULT_API, Settings, load_settings
from movisync.errors import ConfigError


def test_defaults_point_at_movilab(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = load_settings(env={})
    assert settings == Settings()
    assert settings.api == DEFAULT_API == "https://movilab.org/api.php"


def test_flags_beat_environment_beat_file_beat_defaults(tmp_path):
    config = tmp_path / "movisync.toml"
    config.write_text(
        'api = "https://file.example/api.php"\nstore = "file.sqlite"\n'
        "maxlag = 3\nnamespaces = [0, 100]\n"
    )
    env = {"MOVISYNC_API": "https://env.example/api.php", "MOVISYNC_STORE": "env.sqlite"}
    settings = load_settings(
        flags={"api": "https://flag.example/api.php", "store": None}, env=env, config_file=config
    )
    assert settings.api == "https://flag.example/api.php"
    assert settings.store == Path("env.sqlite")
    assert settings.maxlag == 3
    assert settings.namespaces == (0, 100)


def test_credentials_come_from_the_environment_only(tmp_path):
    config = tmp_path / "movisync.toml"
    config.write_text('password = "secret"\n')
    with pytest.raises(ConfigError, match="unknown setting"):
        load_settings(env={}, config_file=config)
    settings = load_settings(env={"MOVISYNC_USERNAME": "Bot@app", "MOVISYNC_PASSWORD": "pw"})
    assert settings.password == "pw"
    assert "pw" not in repr(settings)


def test_half_credentials_are_an_error():
    with pytest.raises(ConfigError, match="both"):
        load_settings(env={"MOVISYNC_USERNAME": "Bot@app"})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("api = ", "not valid TOML"),
        ('maxlag = "soon"', "'maxlag' must be a number"),
        ("colour = 1", "unknown setting"),
        ('api = "movilab.org"', "must start with http"),
    ],
)
def test_bad_configuration_says_what_is_wrong(tmp_path, text, message):
    config = tmp_path / "movisync.toml"
    config.write_text(text + "\n")
    with pytest.raises(ConfigError, match=message):
        load_settings(env={}, config_file=config)


def test_a_missing_config_file_named_explicitly_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings(env={"MOVISYNC_CONFIG": str(tmp_path / "nope.toml")})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("max_retries = -1", "'max_retries' must be a number from 0 to 20"),
        ("timeout = 0", "'timeout' must be a number from 0.1"),
        ("budget = 0", "'budget' must be a number at least 1"),
        ("max_shrink = 7", "'max_shrink' must be a number from 0 to 1"),
        ("batch = 2.5", "'batch' must be a whole number"),
        ("links = 1", "'links' must be true or false"),
        ("namespaces = 0", "'namespaces' must be a list of namespace numbers"),
        ('store = ""', "'store' must be some text"),
        ("movisync = 3", "[movisync] must be a table"),
    ],
)
def test_every_setting_is_checked(tmp_path, text, message):
    config = tmp_path / "movisync.toml"
    config.write_text(text + "\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(env={}, config_file=config)
    assert message in str(caught.value)


def test_every_setting_has_a_reader():
    from dataclasses import fields

    from movisync.config import READERS

    assert {f.name for f in fields(Settings)} - {"config"} == set(READERS)


def test_a_byte_order_mark_is_fine_and_latin_1_is_said(tmp_path):
    config = tmp_path / "movisync.toml"
    config.write_bytes("\ufeffmaxlag = 3\n".encode())
    assert load_settings(env={}, config_file=config).maxlag == 3
    config.write_bytes('publish_prefix = "Movilab:Bot Café"\n'.encode("latin-1"))
    with pytest.raises(ConfigError, match="is not UTF-8 text"):
        load_settings(env={}, config_file=config)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[profile]\nstub_min_chars = "beaucoup"', "stub_min_chars must be a whole number"),
        ("profile = 3", "profile must be a table"),
        ("[profile]\ntypes = 1", "types must be a table"),
        ("[profile.types.lieu]\ntemplates = ['Lieu']\nfields = { a = 1 }", "field lieu.a"),
        ("[profile.wiki]\ncouleur = 'bleu'", "unknown [wiki] word"),
        ('[profile]\ncommun_fields = "Communs"', "commun_fields must be a list of names"),
        ("[profile]\nplace_types = [1]", "place_types must be a list of names"),
    ],
)
def test_a_wrong_profile_is_one_clear_error(tmp_path, text, message):
    from movisync.profile import load_profile

    config = tmp_path / "movisync.toml"
    config.write_text(text + "\n")
    with pytest.raises(ConfigError) as caught:
        load_profile(config)
    assert message in str(caught.value) and str(config) in str(caught.value)
