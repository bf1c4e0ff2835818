"""``lint_ignore``: a judgment or briefing switches a lint rule off for itself, saying why."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from briefings.values import check_visible

LintCode = Annotated[str, StringConstraints(pattern=r"^BR[0-9]{3}$")]
Reason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1), AfterValidator(check_visible)
]


class LintIgnorable(BaseModel):
    """Gives a model the optional field ``lint_ignore: {CODE: "the reason"}``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lint_ignore: dict[LintCode, Reason] | None = Field(
        None, description="lint rules switched off for this item: {code: the reason}, "
        "e.g. {BR103: why}",
    )
