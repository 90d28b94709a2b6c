"""The benchmark's yardstick (``make bench``): Django's own ceiling on this machine.

A view that renders a small template through the whole middleware stack and touches no
table. It exists only when ``BENCH_BARE_VIEW`` is set (the benchmark's settings), so
production never serves it.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET


@require_GET
def bare(request: HttpRequest) -> HttpResponse:
    return render(
        request, "core/bench_bare.html", {"items": ["Consortia", "Contributors", "Forums"]}
    )
