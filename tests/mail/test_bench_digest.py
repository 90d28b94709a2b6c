"""bench/digest.py: the daily digest through the real task, timed; and nothing left behind."""

import io
import json
from collections import Counter

import pytest
from django.contrib.auth import get_user_model

from bench import digest as bench_digest
from forums.models import Forum, Post, Subscription, Topic
from mail.models import Delivery, DigestRun, DigestSection

KEYS = {"subscribers", "seconds", "per_second", "peak_rss_mb", "queries", "baseline_per_second"}
MODELS = [get_user_model(), Forum, Topic, Post, Subscription, Delivery, DigestRun, DigestSection]


def bench(monkeypatch, subscribers: int, posts: int) -> tuple[dict, Counter, str]:
    received: Counter = Counter()
    original = bench_digest.CountingOutbox.append

    def append(outbox, message):
        received.update(message.to)
        original(outbox, message)

    monkeypatch.setattr(bench_digest.CountingOutbox, "append", append)
    out = io.StringIO()
    bench_digest.run(subscribers, posts, out=out)
    last = out.getvalue().strip().splitlines()[-1]
    return json.loads(last), received, out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_every_subscriber_gets_one_digest_and_the_bench_cleans_up(monkeypatch):
    before = {model: model.objects.count() for model in MODELS}

    result, received, _output = bench(monkeypatch, subscribers=300, posts=20)

    assert set(result) >= KEYS
    assert result["subscribers"] == 300
    assert result["digests"] == 300
    assert result["delivered_per_run"] == "300/300"
    assert result["seconds"] > 0
    assert result["per_second"] > 0
    assert result["baseline_per_second"] > 0
    assert result["peak_rss_mb"] > 0
    digests = {address: n for address, n in received.items() if address.startswith("bench-")}
    assert len(digests) == 300
    assert set(digests.values()) == {1}  # every subscriber exactly one digest
    assert {model: model.objects.count() for model in MODELS} == before


@pytest.mark.django_db(transaction=True)
def test_queries_grow_by_a_fixed_number_per_batch(monkeypatch):
    monkeypatch.setattr("forums.digests.BATCH_SIZE", 50)

    def queries_of(subscribers: int) -> int:
        return bench(monkeypatch, subscribers=subscribers, posts=10)[0]["queries"]

    two, four, six = queries_of(100), queries_of(200), queries_of(300)
    assert four - two == six - four  # the same for each further batch of 50
    # Write and enqueue (seven), the one-topic digests' reply keys and the page cache's
    # outbox (five: ten posts leave the list's forum one topic), read the batch's
    # recipients (three), set and reset the commit mode, count the run's progress (three),
    # claim the rows: the same number whatever the batch's size. Each chunk of SEND_CHUNK
    # (10, issue 22's bound on what a killed worker sends twice) is recorded on the batch's
    # own connection, outside these.
    assert (four - two) / 2 <= 20
