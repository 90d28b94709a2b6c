"""The forums' names and descriptions in every language (django-modeltranslation: a column
per language, English required, the others falling back to English)."""

from modeltranslation.translator import TranslationOptions, register

from forums.models import Forum


@register(Forum)
class ForumTranslation(TranslationOptions):
    fields = ("name", "description")
