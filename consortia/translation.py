"""The onboarding checklist in every language (django-modeltranslation: a column per
language, English required, the others falling back to English)."""

from modeltranslation.translator import TranslationOptions, register

from consortia.models import ChecklistItem


@register(ChecklistItem)
class ChecklistItemTranslation(TranslationOptions):
    fields = ("title", "description")
