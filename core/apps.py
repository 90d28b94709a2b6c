from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        # In ready(), as Django asks: what registers checks, lookups and signal handlers is
        # imported once every app and model is loaded.
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_delete, post_save

        from core import (
            cache,
            checks,  # noqa: F401 - registers the system checks
            lookups,  # noqa: F401 - registers field__any
        )

        # Cached fragments (core.cache): every change of an area's rows bumps its generation.
        for area in cache.AREAS:
            cache.connect_area(area, area)
        user = get_user_model()
        post_save.connect(cache.user_changed, sender=user, dispatch_uid="gen-user-save")
        post_delete.connect(cache.user_changed, sender=user, dispatch_uid="gen-user-delete")
