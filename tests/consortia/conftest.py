import pytest


@pytest.fixture(autouse=True)
def _private_documents(settings, tmp_path):
    """Documents stored in a directory of this test."""
    settings.STORAGES = {
        **settings.STORAGES,
        "documents": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "documents")},
        },
    }
