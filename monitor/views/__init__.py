"""Blueprints, one package per audience: public, desk, supervisor, admin, api."""
from __future__ import annotations

from flask import Flask, request, url_for
from flask_babel import get_locale


def register_template_helpers(app: Flask) -> None:
    """What every page needs: the current language and links that switch it."""

    def url_in_language(code: str) -> str:
        arguments = dict(request.view_args or {})
        arguments.update(request.args.to_dict())
        arguments["lang"] = code
        return url_for(request.endpoint or "public.index", **arguments)

    @app.context_processor
    def language_context():
        return {"language": str(get_locale() or "ru"), "url_in_language": url_in_language}
