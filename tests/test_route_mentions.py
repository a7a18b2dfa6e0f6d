"""Every route that the code names to a user (in an error message, a hint, a help text) exists in the app.

A message that sends a caller to ``PUT /v1/subjects/{id}`` when the route is ``POST /v1/subjects`` costs
them a 405 and a search through the docs. Any string in src that names ``METHOD /v1/...`` is checked against
the routes of the real app; ``{...}`` in either matches any one path segment.
"""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

SRC = Path(__file__).resolve().parent.parent / "src" / "fairflag"
MENTION = re.compile(r"\b(GET|POST|PUT|PATCH|DELETE)\s+(/v1/[^\s\"'`),;<]*)")


def mentions() -> list[tuple[str, str, str]]:
    """(where, method, path) for every route named in a source file (query strings dropped)."""
    found = []
    for path in sorted(SRC.rglob("*")):
        if not path.is_file() or path.suffix not in (".py", ".toml", ".html", ".jinja", ".j2", ".md", ".txt"):
            continue
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for method, route in MENTION.findall(line):
                route = route.split("?")[0].rstrip(".:")
                found.append((f"{path.relative_to(SRC.parent)}:{lineno}", method, route))
    return found


def segments(path: str) -> list[str | None]:
    """Path segments, with a ``{parameter}`` as None (it matches any segment)."""
    return [None if s.startswith("{") and s.endswith("}") else s for s in path.strip("/").split("/")]


def same_route(named: str, route: str) -> bool:
    a, b = segments(named), segments(route)
    return len(a) == len(b) and all(x is None or y is None or x == y for x, y in zip(a, b, strict=True))


def test_the_search_finds_mentions_and_rejects_a_wrong_one(client: TestClient) -> None:
    routes = app_routes(client)
    assert any(method == "POST" and route == "/v1/auth/login" for _, method, route in mentions())
    assert not any(same_route("/v1/subjects/{id}", path) and "PUT" in methods for path, methods in routes)
    assert any(same_route("/v1/cases/case_1/claim", path) and "POST" in methods for path, methods in routes)


def app_routes(client: TestClient) -> list[tuple[str, set[str]]]:
    """The app's routes as its OpenAPI spec lists them (every router included, whatever FastAPI's internals)."""
    spec = client.get("/openapi.json")
    assert spec.status_code == 200, spec.text
    return [(path, {m.upper() for m in ops}) for path, ops in spec.json()["paths"].items()]


def test_every_route_named_in_src_exists(client: TestClient) -> None:
    routes = app_routes(client)
    named = mentions()
    assert named, "the search found no route named in src"
    missing = [f"{where}: {method} {route}" for where, method, route in named
               if not any(method in methods and same_route(route, path) for path, methods in routes)]
    assert not missing, f"routes named in src that the app does not have: {missing}"
