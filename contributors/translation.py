"""The groups' names and texts in every language (django-modeltranslation: a column per
language, English required, the others falling back to English)."""

from modeltranslation.translator import TranslationOptions, register

from contributors.models import Group


@register(Group)
class GroupTranslation(TranslationOptions):
    fields = ("name", "purpose", "deliverables")
