import pytest


@pytest.fixture(autouse=True)
def _fast_passwords_and_private_documents(settings, tmp_path):
    """Cheap password hashing, and documents stored in a directory of this test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "documents": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "documents")},
        },
    }
