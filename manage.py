#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orcid_community.settings")
    # manage.py is the developer's tool: DEBUG unless DJANGO_DEBUG says otherwise. The web
    # server (wsgi) and the Celery processes default to DEBUG off.
    os.environ.setdefault("DJANGO_DEBUG", "true")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
