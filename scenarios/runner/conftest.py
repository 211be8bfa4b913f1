"""Loads the runner's hooks and fixtures for `pytest scenarios/runner`."""

from scenarios.runner.plugin import (  # noqa: F401
    lab_world,
    pytest_addoption,
    pytest_collection_modifyitems,
    pytest_configure,
    pytest_sessionfinish,
)
