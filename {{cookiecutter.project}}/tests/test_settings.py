"""params.yaml is validated strictly: every problem names the key and the file."""

from pathlib import Path

import pytest

from {{ cookiecutter.package }}.errors import UserError
from {{ cookiecutter.package }}.settings import HistGradientBoosting, load_settings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "params.yaml"
    path.write_text(text, encoding="utf-8")
    return path


VALID = """
prepare: {test_size: 0.2, seed: 1}
train:
  seed: 1
  model: {kind: hist_gradient_boosting, learning_rate: 0.2}
"""


def test_shipped_params_are_valid(shipped):
    settings = load_settings(shipped.params)
    assert isinstance(settings.train.model, HistGradientBoosting)
    assert 0 < settings.prepare.test_size < 1


def test_defaults_fill_optional_sections(tmp_path):
    settings = load_settings(write(tmp_path, VALID))
    assert settings.train.model.learning_rate == 0.2
    assert settings.train.model.max_iter == 200
    assert settings.evaluate.threshold == 0.5


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            VALID.replace("learning_rate", "learnin_rate"),
            "train.model.learnin_rate: unknown key",
        ),
        (VALID + "evaluat: {threshold: 0.5}\n", "evaluat: unknown key"),
        (
            VALID.replace("test_size: 0.2", "test_size: lots"),
            "prepare.test_size: Input should be a valid number",
        ),
        (
            VALID.replace("test_size: 0.2", "test_size: 1.5"),
            "prepare.test_size: Input should be less than 1",
        ),
        (VALID.replace("hist_gradient_boosting", "xgboost"), "train.model: Input tag 'xgboost'"),
        (VALID.replace("prepare: {test_size: 0.2, seed: 1}\n", ""), "prepare: Field required"),
        ("- just\n- a list\n", "expected a mapping"),
        ("prepare: [unclosed\n", "line"),
    ],
    ids=[
        "typo-in-hyperparameter",
        "unknown-section",
        "wrong-type",
        "out-of-range",
        "unknown-model",
        "missing-section",
        "not-a-mapping",
        "bad-yaml",
    ],
)
def test_rejects_bad_params_naming_key_and_file(tmp_path, text, expected):
    path = write(tmp_path, text)
    with pytest.raises(UserError) as error:
        load_settings(path)
    message = str(error.value)
    assert message.startswith(str(path))
    assert expected in message
    assert "\n" not in message


def test_missing_params_file_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="file not found"):
        load_settings(tmp_path / "params.yaml")
