"""The benchmark's yardstick (``make bench``): Django's own ceiling on this machine.

A view that renders a small template through the whole middleware stack and touches no
table. It is served only when ``BENCH_BARE_VIEW`` is set (the benchmark's settings make
``bench.urls`` the URLconf), so production never serves it.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET


@require_GET
def bare(request: HttpRequest) -> HttpResponse:
    return render(request, "bench/bare.html", {"items": ["Consortia", "Contributors", "Forums"]})
