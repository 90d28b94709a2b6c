"""The API's contract: the schema the portal serves is the committed api/openapi.json, and a
client that knows nothing but the schema can call every endpoint and gets what it says."""

import json
import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

from api.v1 import api

pytestmark = pytest.mark.django_db

COMMITTED = Path(__file__).resolve().parents[2] / "api" / "openapi.json"
REGENERATE = (
    "python manage.py export_openapi_schema --api api.v1.api --output api/openapi.json "
    "--indent 2 --sorted"
)


def test_the_served_schema_is_the_committed_one(client):
    served = client.get("/api/v1/openapi.json").json()

    assert served == json.loads(COMMITTED.read_text()), (
        f"The API changed: if on purpose (a new version for a breaking change), run {REGENERATE}"
    )


def test_the_generated_schema_is_the_committed_one():
    generated = json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/v1/")))

    assert generated == json.loads(COMMITTED.read_text()), REGENERATE


def test_the_index_names_every_list_and_the_schema(client):
    body = client.get("/api/v1/").json()

    assert body["schema"] == "/api/v1/openapi.json"
    assert body["docs"] == "/api/v1/docs"
    assert body["consortia"] == "/api/v1/consortia/"


def test_the_docs_page_is_served_from_our_static_files_under_the_csp(client):
    response = client.get("/api/v1/docs")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Open data API" in html
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    # No script or style from elsewhere, none inline (a JSON data block is no script).
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources
    assert all(src.startswith("/static/") for src in sources)
    assert re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)", html) == []
    assert "style=" not in html
    for src in sources:
        assert finders.find(src.removeprefix("/static/")), src


# --- a client that reads the schema --------------------------------------------------------


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _conforms(schema: dict, node: dict, value, where: str) -> None:
    """``value`` has the type, the required properties and the items ``node`` says."""
    node = _resolve(schema, node)
    if "anyOf" in node:
        errors = []
        for option in node["anyOf"]:
            try:
                _conforms(schema, option, value, where)
                return
            except AssertionError as error:
                errors.append(str(error))
        raise AssertionError(f"{where}: none of {errors}")
    kind = node.get("type")
    types = {
        "object": dict,
        "array": list,
        "string": str,
        "integer": int,
        "boolean": bool,
        "null": type(None),
        "number": (int, float),
    }
    if kind:
        assert isinstance(value, types[kind]), f"{where}: {value!r} is no {kind}"
    if kind == "object":
        for name in node.get("required", []):
            assert name in value, f"{where}: no {name}"
        for name, sub in node.get("properties", {}).items():
            if name in value:
                _conforms(schema, sub, value[name], f"{where}.{name}")
    if kind == "array":
        for i, item in enumerate(value):
            _conforms(schema, node.get("items", {}), item, f"{where}[{i}]")


def test_a_client_reading_the_schema_calls_every_endpoint(client, seeded_demo):
    schema = client.get("/api/v1/openapi.json").json()
    # Path parameters come from the lists, as a client would find them.
    first = {}
    for name, key, parameter in [
        ("consortia", "slug", "slug"),
        ("organizations", "id", "organization_id"),
        ("contributors", "orcid_id", "key"),
        ("groups", "slug", "slug"),
        ("events", "slug", "slug"),
        ("ideas", "id", "idea_id"),
        ("briefings", "id", "briefing_id"),
    ]:
        results = client.get(f"/api/v1/{name}/").json()["results"]
        assert results, f"the demo data has {name}"
        first[(name, parameter)] = results[0][key]

    called = []
    for path, operations in schema["paths"].items():
        operation = operations["get"]
        url = path
        for parameter in re.findall(r"{(\w+)}", path):
            list_name = path.split("/")[3]
            url = url.replace(f"{{{parameter}}}", str(first[(list_name, parameter)]))
        response = client.get(url)
        assert response.status_code == 200, url
        declared = operation["responses"]["200"]["content"]["application/json"]["schema"]
        _conforms(schema, declared, response.json(), url)
        called.append(path)

    assert len(called) == 15  # the index, seven lists and seven items
