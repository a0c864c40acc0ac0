"""What the version-aware management commands share."""

from __future__ import annotations

from typing import Any


class VersionOption:
    """A command whose ``--version N`` names a deployed version (docs/versions.md): it
    takes the place of Django's own ``--version`` (which prints Django's)."""

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> Any:
        return super().create_parser(  # type: ignore[misc]
            prog_name, subcommand, conflict_handler="resolve", **kwargs
        )
