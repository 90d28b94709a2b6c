from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        # In ready(), as Django asks: what registers checks, lookups and hooks is imported
        # once every app and model is loaded.
        from core import (
            cache,
            checks,  # noqa: F401 - registers the system checks
            lookups,  # noqa: F401 - registers field__any
        )

        # Every write on every connection bumps the generations of what it wrote
        # (core.cache): the one place cached pages are invalidated.
        cache.install()
