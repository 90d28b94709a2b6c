"""ORCID's three regions, one enum for every app that names them (consortia derive theirs
from their countries, ``consortia.regions``; outreach meetings are held in one)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Region(models.TextChoices):
    AMERICAS = "americas", _("Americas")
    EMEA = "emea", _("Europe, Middle East & Africa")
    APAC = "apac", _("Asia-Pacific")
