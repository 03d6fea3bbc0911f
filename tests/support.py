"""Small helpers the tests share."""

from __future__ import annotations

from typing import Any

from httpx import Response


def error_fields(response: Response) -> list[str]:
    body = response.json()
    assert body["message"], body
    return [e["field"] for e in body["errors"]]


def assert_refused(response: Response, status: int, field: str) -> dict[str, Any]:
    """The API refused the request with this status, naming the field in Norwegian."""
    assert response.status_code == status, response.text
    body = response.json()
    assert field in error_fields(response), body
    message = next(e["message"] for e in body["errors"] if e["field"] == field)
    # Norwegian, not the parser's English.
    assert message
    assert "Expected" not in message, message
    assert "Object" not in message, message
    return body


async def total(client: Any, slug: str, **params: Any) -> int:
    response = await client.get(f"/api/{slug}", params={"include_inactive": True, **params})
    assert response.status_code == 200, response.text
    return int(response.json()["total"])


async def find_id(client: Any, slug: str, **params: Any) -> int:
    response = await client.get(f"/api/{slug}", params=params)
    items = response.json()["items"]
    assert len(items) == 1, items
    return int(items[0]["id"])
