"""Blueprints, one package per audience: public, desk, supervisor, admin, api."""
