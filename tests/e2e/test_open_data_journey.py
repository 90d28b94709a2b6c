"""The API's documentation in a real browser: Swagger UI drawn from the portal's own static
files under the site's Content Security Policy (a blocked script or style would be a
console error, which fails the test), and a call made from it."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_the_docs_page_draws_the_schema_and_calls_an_endpoint(stack, new_page):
    page = new_page()
    page.goto("/api/v1/docs")

    expect(page.locator(".swagger-ui .info .title")).to_contain_text("ORCID Community Portal API")
    operation = page.locator(".opblock-summary-path", has_text=re.compile(r"^/api/v1/consortia/$"))
    operation.click()
    page.get_by_role("button", name="Try it out").click()
    with page.expect_response(lambda r: "/api/v1/consortia/?" in r.url) as called:
        page.get_by_role("button", name="Execute").click()

    assert called.value.status == 200
    assert called.value.headers["content-type"] == "application/json"
    live = page.locator(".live-responses-table .response .response-col_status")
    expect(live).to_contain_text("200", timeout=30_000)
    expect(page.locator(".live-responses-table")).to_contain_text('"count"')
