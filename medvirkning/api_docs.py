"""The API documentation page at /schema: our own page, with nothing from other sites.

Litestar's viewers (Scalar, Swagger, ReDoc) load script and fonts from CDNs; this lists
the operations from the same schema and links to the JSON.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.openapi.plugins import OpenAPIRenderPlugin

METHODS = ("get", "post", "put", "patch", "delete")


class ApiDocsPage(OpenAPIRenderPlugin):
    def __init__(self) -> None:
        super().__init__(path="/")

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        groups: dict[str, list[tuple[str, str, str]]] = {}
        for path, item in openapi_schema.get("paths", {}).items():
            for method in METHODS:
                if operation := item.get(method):
                    tag = (operation.get("tags") or ["Annet"])[0]
                    summary = operation.get("summary", "")
                    groups.setdefault(tag, []).append((method.upper(), path, summary))
        engine = request.app.template_engine
        assert engine is not None
        return (
            engine.get_template("api_docs.html")
            .render(
                request=request,
                info=openapi_schema.get("info", {}),
                groups=sorted(groups.items()),
                json_url=self.get_openapi_json_route(request),
            )
            .encode()
        )
