"""The project's one entry point: `<project> <stage>`.

Each stage is a module in stages/ that says what it does (its docstring), which options it takes
(add_arguments) and how it runs (run); the command line is built from those modules.
"""

from __future__ import annotations

import argparse
import ast
import atexit
import gc
import importlib
import importlib.util
import pkgutil
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import NoReturn

from . import stages
from .config import PROJECT, Paths
from .errors import StageError, UserError


def stage_names() -> list[str]:
    """Every stage module's command name (train, model-tests, ...), without importing any of them."""
    return sorted(module.name.replace("_", "-") for module in pkgutil.iter_modules(stages.__path__))


def stage_module(name: str) -> ModuleType:
    return importlib.import_module(f"{stages.__name__}.{name.replace('-', '_')}")


def stage_help(name: str, module: ModuleType | None = None) -> str:
    """The first paragraph of a stage's docstring: the imported module's if given, else read from its source,
    so that `--help` imports no stage. (A stage's own run parses nothing: on CPython 3.11.7, ast.parse
    can fail when another thread parses at the same time, as traceback printing does.)"""
    docstring = module.__doc__ if module else None
    if module is None:
        spec = importlib.util.find_spec(f"{stages.__name__}.{name.replace('-', '_')}")
        source = spec.loader.get_source(spec.name)  # type: ignore[union-attr]
        docstring = ast.get_docstring(ast.parse(source)) if source else stage_module(name).__doc__
    return " ".join((docstring or "").split("\n\n")[0].split()).removeprefix(f"{name}: ")


class OneLineParser(argparse.ArgumentParser):
    """Command-line mistakes as one line (exit 2), like every other error of the CLI."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {self.prog}: {message} (see `{self.prog} --help`)\n")


def parser(chosen: str | None) -> argparse.ArgumentParser:
    """The command line: a subcommand per stage, with the options of the chosen one (only it is imported).
    The other stages' help (their sources read) only when no stage is chosen: the list is then printed."""
    cli = OneLineParser(prog=PROJECT, description=__doc__.split("\n\n")[0])
    commands = cli.add_subparsers(dest="stage", required=True, metavar="stage")
    for name in stage_names():
        if name != chosen:
            commands.add_parser(name, help=stage_help(name) if chosen is None else None)
            continue
        module = stage_module(name)
        command = commands.add_parser(
            name,
            help=stage_help(name, module),
            description=module.__doc__,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        if hasattr(module, "add_arguments"):
            module.add_arguments(command)
    return cli


def collect_garbage_less_often() -> None:
    """A stage's process imports scikit-learn, MLflow, pandas or Great Expectations: millions of objects,
    which the cyclic garbage collector would scan again and again while they load. Collecting cycles after
    100,000 allocations instead of 700 made `train` and `evaluate` 6 and 11% faster (paired runs); reference
    counting still frees everything else at once.

    Nor are they collected at exit: an exit handler freezes every object still tracked (gc.freeze), cycles
    not yet collected included, so that the interpreter's last collections pass over them and their
    finalizers do not run; the system takes the memory back whole. The stages close their files and
    temporary folders themselves, never through a collection. Without it, `evaluate` spent 1.6 s of its
    5.7 s exiting (paired runs)."""
    gc.set_threshold(100_000, 10, 10)
    atexit.unregister(gc.freeze)  # registered once, however often main() runs in one process
    atexit.register(gc.freeze)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one stage; returns the process exit code (0 ok, 2 for a user error)."""
    collect_garbage_less_often()
    arguments = list(sys.argv[1:] if argv is None else argv)
    chosen = arguments[0] if arguments and arguments[0] in stage_names() else None
    options = vars(parser(chosen).parse_args(arguments))
    stage = stage_module(options.pop("stage"))
    try:
        stage.run(Paths.here(), **options)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    except StageError as error:
        return error.exit_code
    except KeyboardInterrupt:
        return 130
    return 0
