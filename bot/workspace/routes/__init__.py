"""The workspace's routes, one module per concern; `ROUTERS` gathers them for web.py."""

from bot.workspace.routes import (
    accounts,
    audit,
    auth,
    campaigns,
    cases,
    dashboard,
    deliveries,
    glossary,
    history,
    insights,
    items,
    numbers,
    phrases,
    review,
    safety,
    transfer,
)

ROUTERS = (
    auth.router,
    dashboard.router,
    items.router,
    review.router,
    history.router,
    audit.router,
    numbers.router,
    accounts.router,
    transfer.router,
    safety.router,
    phrases.router,
    glossary.router,
    cases.router,
    insights.router,
    campaigns.router,
    deliveries.router,
)
