import pytest
from django.db import connections

from mail import services as mail
from tests.factories.accounts import person
from tests.factories.forums import ForumFactory
from tests.mail.live import Worker
from tests.stack import ROOT, Mailbox, SmtpReceiver, missing_services, require


@pytest.fixture(autouse=True)
def _fresh_sections():
    mail.digest_sections_forget()  # a process-wide cache; ids repeat between tests
    yield
    mail.digest_sections_forget()


@pytest.fixture
def general(db):
    return ForumFactory(slug="general", name="General", kind="general", position=1)


@pytest.fixture
def cleo(db):
    return person(name="Cleo Digest", email="cleo@example.org")


# A real worker and SMTP receiver, started once per module that asks for ``mailbox``.
@pytest.fixture(scope="module")
def worker_and_mailbox(django_db_setup, django_db_blocker):
    require(missing_services(), "the worker integration tests")
    mailbox = Mailbox()
    smtp = SmtpReceiver(mailbox.add)
    smtp.start()
    logs = ROOT / "artifacts" / "e2e-logs"
    logs.mkdir(parents=True, exist_ok=True)
    worker = Worker(
        connections["default"].settings_dict["NAME"], smtp.port, logs / "mail-worker.log"
    )
    try:
        worker.start()
        yield worker, mailbox
    finally:
        worker.stop()
        smtp.stop()


@pytest.fixture
def mailbox(worker_and_mailbox, transactional_db):
    _worker, box = worker_and_mailbox
    with box.lock:
        box.messages.clear()
    return box


@pytest.fixture(params=["postgresql", "portable"])
def vendor_branch(request, monkeypatch):
    """Each branch of code that has one for PostgreSQL and one for other databases: the
    second taken on PostgreSQL too, by naming the connection's vendor otherwise."""
    from django.db import connection

    if request.param == "postgresql" and connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's branch needs PostgreSQL (DATABASE_URL)")
    if request.param == "portable":
        monkeypatch.setattr(connection, "vendor", "portable")
    return request.param
