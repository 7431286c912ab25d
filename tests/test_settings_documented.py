"""Settings are defined once (webmap/settings.py); the README must document every one."""

from pathlib import Path

import pytest

from webmap.settings import SETTINGS, from_environment

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.name)
def test_setting_is_in_readme(setting):
    assert f"| `{setting.name}` |" in README


def test_environment_overrides_default():
    values = from_environment({"NTM_LANGUAGE": "en"})
    assert values["NTM_LANGUAGE"] == "en"
    assert values["NTM_PORT"] == "5000"
