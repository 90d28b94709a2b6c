"""`make bench`: the pieces that run without a load test (the bare view, wrk's output,
the results file). The benchmark itself is not run by the tests."""

import os
import subprocess
import sys

import pytest
from django.db import connection
from django.test import override_settings

from bench import run
from consortia.models import Consortium, Organization
from consortia.selectors import directory_queryset

WRK_OUTPUT = """Running 10s test @ http://127.0.0.1:8000/forums/
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    20.01ms    5.12ms  80.00ms   70.00%
  8000 requests in 10.00s, 80.00MB read
Requests/sec:    800.00
BENCH_JSON {"requests": 8000, "duration_us": 10000000, "bytes": 83886080, "errors": {"connect": 0, "read": 0, "write": 0, "status": 2, "timeout": 1}, "p50_ms": 18.500, "p95_ms": 31.250, "p99_ms": 45.000, "mean_ms": 20.010}
"""


@pytest.fixture
def bench_urls():
    """The URLconf the benchmark's settings choose (BENCH_BARE_VIEW)."""
    with override_settings(ROOT_URLCONF="bench.urls"):
        yield


def _root_urlconf(bench_bare_view: str) -> str:
    env = {**os.environ, "DJANGO_DEBUG": "true", "BENCH_BARE_VIEW": bench_bare_view}
    code = "import orcid_community.settings as s; print(s.ROOT_URLCONF)"
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def test_only_the_benchmark_setting_chooses_the_benchmark_s_urls():
    assert _root_urlconf("false") == "orcid_community.urls"
    assert _root_urlconf("true") == "bench.urls"


def test_the_bare_view_does_not_exist_without_the_benchmark_setting(client):
    assert client.get("/bench/bare/").status_code == 404


@pytest.mark.django_db
def test_the_bare_view_renders_a_small_template_under_the_benchmark_setting(
    client, bench_urls, django_assert_num_queries
):
    with django_assert_num_queries(0):
        response = client.get("/bench/bare/")
    assert response.status_code == 200
    assert "<h1>ORCID Community Portal</h1>" in response.content.decode()
    # Through the same middleware as every page: the security headers are there.
    assert response["X-Frame-Options"] == "DENY"
    assert "Content-Security-Policy" in response


def test_the_bare_view_answers_only_get(client, bench_urls):
    assert client.post("/bench/bare/").status_code == 405


def test_wrk_output_gives_requests_per_second_percentiles_and_errors():
    measured = run.parse_wrk(WRK_OUTPUT)
    assert measured == {
        "requests": 8000,
        "rps": 800.0,
        "p50_ms": 18.5,
        "p95_ms": 31.25,
        "p99_ms": 45.0,
        "errors": 3,
    }


def test_wrk_output_without_our_line_is_an_error():
    with pytest.raises(ValueError, match="no BENCH_JSON line"):
        run.parse_wrk("Running 10s test\nRequests/sec: 10\n")


def _fake_run(rps, p95=20.0):
    return {"rps": rps, "p50_ms": 10.0, "p95_ms": p95, "p99_ms": p95 + 5, "errors": 0}


def test_results_have_a_row_per_page_with_the_ratio_to_the_bare_view():
    runs = {"bare": _fake_run(1000.0), "forums": _fake_run(500.0), "topic": _fake_run(300.0)}
    probes = {
        "bare": {"path": "/bench/bare/", "queries": 0},
        "forums": {"path": "/forums/", "queries": 2},
        "topic": {"path": "/forums/t/1/x/", "queries": 3},
    }
    demo = {"bare": {"queries": 0}, "forums": {"queries": 2}, "topic": {"queries": 4}}

    results = run.build_results({"cpu": "test"}, runs, probes, demo)

    assert results["machine"] == {"cpu": "test"}
    assert list(results["pages"]) == ["bare", "forums", "topic"]
    for row in results["pages"].values():
        assert {"rps", "p50_ms", "p95_ms", "p99_ms", "queries", "ratio"} <= set(row)
    assert results["pages"]["bare"]["ratio"] == 1.0
    assert results["pages"]["forums"]["ratio"] == 0.5
    assert results["pages"]["forums"]["misses"] == []
    # 0.3 of the bare view, and a query more than on the demo data: two marks missed.
    assert results["pages"]["topic"]["ratio"] == 0.3
    assert results["pages"]["topic"]["misses"] == [
        "ratio 0.3 < 0.4",
        "3 queries vs 4 on the demo data",
    ]


def test_a_slow_p95_misses_the_mark_even_at_a_good_ratio():
    runs = {"bare": _fake_run(100.0), "home": _fake_run(90.0, p95=150.0)}
    probes = {"bare": {"queries": 0}, "home": {"queries": 5}}
    demo = {"bare": {"queries": 0}, "home": {"queries": 5}}
    results = run.build_results({}, runs, probes, demo)
    assert results["pages"]["home"]["misses"] == ["p95 150.0 ms >= 100 ms"]


def test_the_table_lists_every_page_with_its_marks():
    runs = {"bare": _fake_run(1000.0), "forums": _fake_run(200.0)}
    probes = {"bare": {"queries": 0}, "forums": {"queries": 2}}
    demo = {"bare": {"queries": 0}, "forums": {"queries": 2}}
    results = run.build_results({}, runs, probes, demo)

    plain = run.table(results)
    markdown = run.table(results, markdown=True)

    assert plain.splitlines()[0].split()[:3] == ["page", "req/s", "p50"]
    assert "ratio 0.2 < 0.4" in plain
    assert "| `forums` | 200 |" in markdown


def test_a_page_drawn_with_more_queries_than_on_the_demo_data_misses_the_mark():
    """A cache hit runs no query: the first request, on an empty cache, is compared too."""
    runs = {"bare": _fake_run(1000.0), "topic": _fake_run(900.0)}
    probes = {"bare": {"queries": 0}, "topic": {"queries": 0, "cold_queries": 9}}
    demo = {"bare": {"queries": 0}, "topic": {"queries": 0, "cold_queries": 3}}
    results = run.build_results({}, runs, probes, demo)
    assert results["pages"]["topic"]["cold_queries"] == 9
    assert results["pages"]["topic"]["misses"] == [
        "9 queries drawing the page vs 3 on the demo data"
    ]
    assert "| `topic` | 900 |" in run.table(results, markdown=True)


def test_a_page_slow_to_draw_on_an_empty_cache_misses_the_mark():
    """The load test mostly sees cache hits: the time of a draw is held to a bound too."""
    runs = {"bare": _fake_run(1000.0), "consortia": _fake_run(900.0), "topic": _fake_run(900.0)}
    probes = {
        "bare": {"queries": 0, "cold_ms": 1.2},
        "consortia": {"queries": 0, "cold_ms": 99.9},
        "topic": {"queries": 0, "cold_ms": 140.0},
    }
    demo = {"bare": {"queries": 0}, "consortia": {"queries": 0}, "topic": {"queries": 0}}
    results = run.build_results({}, runs, probes, demo)
    assert results["pages"]["consortia"]["misses"] == []
    assert results["pages"]["topic"]["cold_ms"] == 140.0
    assert results["pages"]["topic"]["misses"] == ["drawn in 140.0 ms >= 100 ms"]
    assert "| `topic` | 900 | 10.0 | 20.0 | 25.0 | 0 | 0 | None | None | 140.0 |" in (
        run.table(results, markdown=True)
    )


@pytest.mark.django_db
def test_the_probe_counts_the_queries_of_a_draw_and_of_a_cache_hit():
    """bench/probe.py on the test database: a page drawn on an empty cache runs queries,
    the next request is a cache hit with none, and the draw is timed."""
    from bench import probe
    from tests.factories.forums import ForumFactory

    ForumFactory.create_batch(3)
    pages = {"forums": {"path": "/forums/", "signed_in": False}}

    counts = probe.count_queries(pages, session_key="")

    assert counts["forums"]["status"] == 200
    assert counts["forums"]["cold_queries"] >= 1
    assert counts["forums"]["queries"] == 0
    assert counts["forums"]["cold_ms"] > 0


@pytest.mark.django_db
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="bench/fill.py writes with PostgreSQL's COPY"
)
def test_the_filler_makes_verified_consortia_and_organizations_the_directory_lists():
    from bench import fill  # sets up Django (done already here) when imported

    counts = fill.fill(scale=0.05, seed=3)
    assert counts["consortia"] == Consortium.objects.count() == 50
    assert set(Consortium.objects.values_list("verification", flat=True)) == {"verified"}
    assert set(Organization.objects.values_list("verification", flat=True)) == {"verified"}
    assert directory_queryset().count() == 50


@pytest.mark.django_db
def test_the_filler_writes_people_as_the_portal_does(client):
    """bench/fill.py at a small scale: every verified iD comes with its ORCID account, no
    typed iD is shown, and the profile page the benchmark loads answers."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("bench/fill.py writes with PostgreSQL's COPY")
    from allauth.socialaccount.models import SocialAccount

    from accounts.models import User
    from bench import fill, probe

    counts = fill.fill(0.04, seed=9)

    people = User.objects.all()
    assert people.count() == counts["people"]
    verified = people.exclude(orcid_id=None)
    assert verified.count() == counts["orcid_accounts"] > 0
    accounts = dict(SocialAccount.objects.filter(provider="orcid").values_list("user_id", "uid"))
    assert accounts == dict(verified.values_list("pk", "orcid_id"))
    assert people.exclude(unverified_orcid_id="").filter(orcid_id=None).exists()
    assert people.values("public_id").distinct().count() == people.count()

    path = probe.profile_path()
    assert path.startswith("/contributors/0000-")
    assert client.get(path).status_code == 200
