"""mail.signing makes, cheaper, exactly the signatures Django makes."""

from unittest import mock

import pytest
from django.core import signing
from django.utils.crypto import salted_hmac

from mail import signing as fast_signing


@pytest.mark.parametrize(
    "obj", [{"u": 1, "l": "api-users"}, {"u": 987654, "l": "briefings-é"}, ["a", 2, None]]
)
def test_dumps_makes_django_signing_dumps_byte_for_byte(obj, settings):
    with mock.patch("django.core.signing.time.time", return_value=1_796_000_000.5):
        mine = fast_signing.dumps(obj, salt="mail.unsubscribe")
        django = signing.dumps(obj, salt="mail.unsubscribe")
    assert mine == django
    assert signing.loads(mine, salt="mail.unsubscribe") == obj
    with pytest.raises(signing.BadSignature):
        signing.loads(mine, salt="another.salt")
    settings.SECRET_KEY = "another secret key, another signature, 50 characters long"
    assert fast_signing.dumps(obj, salt="mail.unsubscribe") != mine
    with pytest.raises(signing.BadSignature):
        signing.loads(mine, salt="mail.unsubscribe")


@pytest.mark.parametrize("algorithm", ["sha1", "sha256"])
def test_salted_hmac_digest_is_django_salted_hmac(algorithm, settings):
    for value in ["1", "123456789", "ünïcode"]:
        expected = salted_hmac("mail.bounce", value, algorithm=algorithm).digest()
        assert fast_signing.salted_hmac_digest("mail.bounce", value, algorithm=algorithm) == (
            expected
        )
    settings.SECRET_KEY = "a rotated secret key that is long enough for Django's checks"
    rotated = fast_signing.salted_hmac_digest("mail.bounce", "1", algorithm=algorithm)
    assert rotated == salted_hmac("mail.bounce", "1", algorithm=algorithm).digest()
    assert rotated != salted_hmac("mail.bounce", "1", secret="x", algorithm=algorithm).digest()
