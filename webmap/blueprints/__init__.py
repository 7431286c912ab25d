"""Blueprints of the app; each module exposes ``bp``. Add a module name here to register it."""

MODULES = [
    "home",
    "auth",
    "admin",
    "history",
    "openapi",
    "priorities_api",
    "priorities_pages",
    "map_api",
    "planner",
    "activities",
    "plans",
    "analysis_api",
    "exports",
    "sponsorship_api",
    "facts_api",
    "facts_pages",
    "tiles",
    "server",
]
