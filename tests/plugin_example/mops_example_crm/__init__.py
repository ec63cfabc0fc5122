"""An example action package for MOps Flow: score a lead the way a marketing team would.

Installed, it adds ``crm.score_lead`` to every worker and to ``mops check``
through the ``mops.actions`` entry-point group (see its pyproject.toml).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from workers import ActionContext, ActionFailed, action

__all__ = ["ACTIONS", "score_lead"]

FREE_MAIL = {"gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "gmx.de", "web.de"}
TARGET_COUNTRIES = {"DE", "AT", "CH", "NL", "FR", "GB", "US"}


class LeadParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(description="the lead's business e-mail")
    company_size: int = Field(ge=0, description="employees")
    country: str = Field(min_length=2, max_length=2, description="ISO country code")
    visited_pricing: bool = False


class LeadScore(BaseModel):
    score: int
    tier: Literal["hot", "warm", "cold"]
    reasons: list[str]


@action("crm.score_lead", description="Score a lead from its company, country and behaviour")
async def score_lead(params: LeadParams, ctx: ActionContext) -> LeadScore:
    domain = params.email.rpartition("@")[2].lower()
    if not domain or "." not in domain:
        raise ActionFailed(f"'{params.email}' is not an e-mail address", retryable=False)
    score, reasons = 0, []
    if domain not in FREE_MAIL:
        score += 20
        reasons.append("business e-mail")
    if params.company_size >= 200:
        score += 40
        reasons.append("company of 200+")
    elif params.company_size >= 20:
        score += 20
        reasons.append("company of 20+")
    if params.country.upper() in TARGET_COUNTRIES:
        score += 15
        reasons.append("target country")
    if params.visited_pricing:
        score += 25
        reasons.append("visited pricing")
    tier: Literal["hot", "warm", "cold"] = (
        "hot" if score >= 70 else "warm" if score >= 40 else "cold"
    )
    ctx.logger.info("scored lead %s: %d (%s)", domain, score, tier)
    return LeadScore(score=score, tier=tier, reasons=reasons)


ACTIONS = (score_lead,)
