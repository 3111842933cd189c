"""Read a YAML file into a strict, typed model; one-line errors name the file and the line or the key."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from .errors import UserError


class Strict(BaseModel):
    """A frozen model that refuses unknown keys: a typo is an error, never a silent default."""

    model_config = ConfigDict(extra="forbid", frozen=True)


ModelT = TypeVar("ModelT", bound=BaseModel)


class _UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml's parser: ten times faster
    """A safe loader that refuses a key given twice in one mapping (YAML would keep the last silently), and
    a key that is a list or a mapping (YAML's `? [a, b]`), which no file here has."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                problem = "a key must be a single value, not a list or a mapping"
                raise yaml.constructor.ConstructorError(problem=problem, problem_mark=key_node.start_mark)
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    problem=f"duplicate key {key!r}", problem_mark=key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def read_mapping(path: Path) -> dict[str, Any]:
    if path.is_dir():
        raise UserError(f"{path}: is a directory, not a YAML file")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"{path}: cannot be read ({error})") from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        problem = getattr(error, "problem", None) or "invalid YAML"
        raise UserError(f"{path}:{where}: {problem}") from None
    if not isinstance(data, dict):
        raise UserError(f"{path}: expected a mapping of keys to values at the top level")
    return data


def parse(model: type[ModelT], path: Path) -> ModelT:
    """Validate a YAML file into `model`; the first problem becomes a one-line error."""
    data = read_mapping(path)
    try:
        return model.model_validate(data)
    except ValidationError as error:
        # An unknown key is usually the cause of a "missing" one (a typo): report it first.
        problems = sorted(error.errors(), key=lambda problem: problem["type"] != "extra_forbidden")
        first = problems[0]
        key = _key(data, first["loc"]) or "(top level)"
        reason = first["msg"].removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            reason = "unknown key"
        more = len(problems) - 1
        suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        raise UserError(f"{path}: {key}: {reason}{suffix}") from None


def _key(data: object, location: tuple[int | str, ...]) -> str:
    """A problem's location as the keys a user wrote: `train.model.max_iter`, without the union tag
    (`hist_gradient_boosting`) pydantic puts in the location of a discriminated union."""
    keys = []
    for part in location:
        if isinstance(data, dict) and part not in data and keys and part != location[-1]:
            continue  # a tag, not a key
        keys.append(str(part))
        data = data.get(part) if isinstance(data, dict) else None
    return ".".join(keys)
