"""What every app's admin shares: the admin is a page like the others.

Its forms and actions change domain state only through the apps' services, and check
the same permissions as the public pages (``@admin.action(permissions=[...])`` with a
``has_<name>_permission`` method asking the app's permission helper). A model whose
state has rules and no admin form going through a service is shown read-only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.contrib import admin, messages
from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.views import shortcut
from django.http import Http404, HttpResponseRedirect

from core.errors import DomainError


def error_text(error: DomainError) -> str:
    """A domain error as one line: its message and its details."""
    return " ".join([str(error.message), *(str(d) for d in error.details)])


def take_over(obj, saved) -> None:
    """Make the admin's unsaved ``obj`` the row a service saved (for the log and redirect)."""
    for field in saved._meta.concrete_fields:
        setattr(obj, field.attname, getattr(saved, field.attname))
    obj._state.adding = False


class DomainErrorsAsMessages:
    """A domain error a service raises after the form passed (someone else acted first)
    is shown as an error message on the form's page, not a server error; the transaction
    of the admin view has been rolled back by then."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:
            self.message_user(request, error_text(exc), level=messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


class NoChanges:
    """Shown, never added, edited or deleted here: the pages (and the actions) change it
    through the services."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyAdmin(NoChanges, admin.ModelAdmin):
    pass


class ReadOnlyInline(NoChanges, admin.TabularInline):
    extra = 0
    can_delete = False


def run_for_each(
    modeladmin: admin.ModelAdmin,
    request,
    objects: Iterable,
    act: Callable[[object], object],
    done: Callable[[int], str],
) -> int:
    """An admin action: one service call per selected row, each in its own transaction.

    A row the service refuses is named with the domain error's message; the others go
    ahead. ``done(n)`` is the success message for the ``n`` rows that went through.
    """
    count = 0
    for obj in objects:
        try:
            act(obj)
        except DomainError as error:
            modeladmin.message_user(request, f"{obj}: {error_text(error)}", messages.ERROR)
        else:
            count += 1
    if count:
        modeladmin.message_user(request, done(count), messages.SUCCESS)
    return count


def service_action(
    name: str,
    *,
    description,
    permission: str,
    act: Callable[[object, object], object],
    done,
):
    """An admin action calling one service per selected row as the person acting.

    ``act(obj, by)`` calls the service; ``permission`` names the ModelAdmin's
    ``has_<permission>_permission`` (the app's permission rule); ``done`` is an
    ``ngettext_lazy(..., "count")`` message for the rows that went through.
    """

    def action(modeladmin, request, queryset):
        run_for_each(
            modeladmin,
            request,
            queryset,
            lambda obj: act(obj, request.user),
            lambda n: done % {"count": n},
        )

    action.__name__ = name
    return admin.action(description=description, permissions=[permission])(action)


def view_on_site(request, content_type_id: str, object_id: str):
    """The admin's "View on site" (``/admin/r/<content type>/<id>/``), for what the person
    may see in the admin only.

    Django's own answers any staff member for any object of any model with an address,
    whatever their permissions: asking it numbers would tell who has which profile, and
    the titles of topics in private forums. Here the object's ModelAdmin decides, as on
    its change page (its queryset for this person, its view permission); anything else is
    a 404. Served through ``admin.site.admin_view``: only people who may enter the admin.
    """
    try:
        model = ContentType.objects.get_for_id(int(content_type_id)).model_class()
    except (ContentType.DoesNotExist, ValueError):
        raise Http404 from None
    model_admin = admin.site._registry.get(model)
    if model_admin is None or not model_admin.view_on_site:
        raise Http404
    obj = model_admin.get_object(request, object_id)
    if obj is None or not model_admin.has_view_or_change_permission(request, obj):
        raise Http404
    return shortcut(request, content_type_id, object_id)
