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
        ('maxlag = "soon"', "wrong value"),
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
