"""Typed dependencies: what a route needs, by type, from the app's `Services`.

    async def route(pipeline: PipelineDep) -> ...

FastAPI resolves these per request (https://fastapi.tiangolo.com/tutorial/dependencies/);
tests build the app with their own settings and clock instead of patching globals.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from bot.config import Settings
from bot.pipeline.pipeline import Pipeline
from bot.web.services import Services, Words


def get_services(request: Request) -> Services:
    return request.app.state.services


def get_words(request: Request) -> Words:
    return request.app.state.words


def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_pipeline(request: Request) -> Pipeline:
    return get_services(request).pipeline


ServicesDep = Annotated[Services, Depends(get_services)]
WordsDep = Annotated[Words, Depends(get_words)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
PipelineDep = Annotated[Pipeline, Depends(get_pipeline)]
