"""The workspace's routes, one module per concern; `ROUTERS` gathers them for web.py."""

from bot.workspace.routes import auth, home

ROUTERS = (auth.router, home.router)
