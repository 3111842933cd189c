"""Errors the CLI turns into an exit code without a traceback."""


class UserError(Exception):
    """Bad input a user can fix (a parameter, a data file, a missing step): exit code 2."""

    exit_code = 2


class DataError(UserError):
    """Data that breaks its contract (unreadable, wrong schema, shifted values): exit code 1."""

    exit_code = 1


class StageError(Exception):
    """A stage run as a subprocess failed after printing its own reason; exit with its code."""

    def __init__(self, exit_code: int) -> None:
        super().__init__(f"a stage failed with exit code {exit_code}")
        self.exit_code = exit_code


class ServiceError(UserError):
    """The service cannot serve (its model failed to load): exit code 3, for a supervisor to restart it."""

    exit_code = 3


class DeployError(UserError):
    """A deployment that failed (the service, the smoke test, a canary, the image, kubectl): exit code 1.
    The deploy stage rolls back when it meets one."""

    exit_code = 1


class RegistryError(UserError):
    """A model registry or registered model that cannot be used (unreachable, missing, mismatched): exit 1.

    Never a reason to promote: the stage stops and the champion stays where it is.
    """

    exit_code = 1


class PostError(UserError):
    """The forge refused the report's comment, with `report --strict`: exit code 1."""

    exit_code = 1
