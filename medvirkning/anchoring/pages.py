"""The anchoring record's pages and downloads, and the targets an admin sets."""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Response, Stream, Template

from medvirkning.anchoring import chapter, exports, record, targets
from medvirkning.anchoring.views import cell_href, gap_rows, heatmap_svg, record_read
from medvirkning.auth.access import ADMIN, ADMIN_AND_STEERING
from medvirkning.auth.models import Role
from medvirkning.db import Db
from medvirkning.dependencies import AppSettings, User
from medvirkning.inputs.registers import READ_LEARNING
from medvirkning.web import attempt

PRINT = "anchoring/print.html"


def download(content: bytes | str, media_type: str, filename: str) -> Response[Any]:
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@get("/forankring", opt=ADMIN_AND_STEERING, include_in_schema=False)
async def record_page(db: Db, settings: AppSettings, user: User) -> Template:
    compiled = await record.compile_record(db, settings)
    return Template(
        "anchoring/record.html",
        context={
            "record": compiled,
            "read": record_read(compiled),
            "heatmap": heatmap_svg(compiled),
            "cell_href": cell_href,
            "is_admin": user.has(Role.ADMIN),
        },
    )


async def _cell(
    db: Db, settings: AppSettings, municipality_id: int | None, phase_id: int
) -> Template:
    compiled = await record.compile_record(db, settings)
    evidence = await record.cell_evidence(db, compiled, municipality_id, phase_id)
    return Template(
        "anchoring/cell.html",
        context={
            "record": compiled,
            "name": compiled.row_name(municipality_id),
            "phase": compiled.phase(phase_id),
            "gaps": compiled.gaps_in(municipality_id, phase_id),
            "figures": compiled.figures_in(municipality_id, phase_id),
            "evidence": evidence,
        },
    )


@get(
    "/forankring/fase/{phase_id:int}/kommune/{municipality_id:int}",
    opt=ADMIN_AND_STEERING,
    include_in_schema=False,
)
async def municipality_cell(
    db: Db, settings: AppSettings, phase_id: FromPath[int], municipality_id: FromPath[int]
) -> Template:
    return await _cell(db, settings, municipality_id, phase_id)


@get("/forankring/fase/{phase_id:int}/regionen", opt=ADMIN_AND_STEERING, include_in_schema=False)
async def region_cell(db: Db, settings: AppSettings, phase_id: FromPath[int]) -> Template:
    return await _cell(db, settings, None, phase_id)


async def _printable(db: Db, settings: AppSettings, pdf: bool = False) -> str:
    compiled = await record.compile_record(db, settings)
    read = record_read(compiled)
    svg = heatmap_svg(compiled)
    return exports.html(PRINT, read=read, rows=gap_rows(read), heatmap=svg, pdf=pdf)


@get("/forankring/utskrift", opt=ADMIN_AND_STEERING, include_in_schema=False)
async def printable(db: Db, settings: AppSettings) -> Response[Any]:
    return Response(await _printable(db, settings), media_type="text/html; charset=utf-8")


@get("/forankring/forankring.md", opt=ADMIN_AND_STEERING, include_in_schema=False)
async def record_markdown(db: Db, settings: AppSettings) -> Response[Any]:
    read = record_read(await record.compile_record(db, settings))
    text = exports.markdown("anchoring/record.md", read=read, rows=gap_rows(read))
    return download(text, "text/markdown; charset=utf-8", "forankring.md")


@get("/forankring/forankring.json", opt=ADMIN_AND_STEERING, include_in_schema=False)
async def record_json(db: Db, settings: AppSettings) -> Response[Any]:
    read = record_read(await record.compile_record(db, settings))
    return download(exports.record_json(read), "application/json", "forankring.json")


@get("/forankring/forankring.docx", opt=ADMIN_AND_STEERING, include_in_schema=False)
async def record_docx(db: Db, settings: AppSettings) -> Response[Any]:
    read = record_read(await record.compile_record(db, settings))
    return download(exports.record_docx(read), DOCX, "forankring.docx")


@get("/forankring/forankring.pdf", opt=ADMIN_AND_STEERING, include_in_schema=False)
async def record_pdf(db: Db, settings: AppSettings) -> Response[Any]:
    return download(
        exports.pdf(await _printable(db, settings, pdf=True)), "application/pdf", "forankring.pdf"
    )


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@get("/laeringspunkter/laeringspunkter.md", opt=READ_LEARNING, include_in_schema=False)
async def chapter_markdown(db: Db) -> Response[Any]:
    text = exports.markdown("anchoring/learning.md", phases=await chapter.chapter(db))
    return download(text, "text/markdown; charset=utf-8", "laeringspunkter.md")


@get("/laeringspunkter/laeringspunkter.docx", opt=READ_LEARNING, include_in_schema=False)
async def chapter_docx(db: Db) -> Response[Any]:
    return download(chapter.chapter_docx(await chapter.chapter(db)), DOCX, "laeringspunkter.docx")


@get("/laeringspunkter/laeringspunkter.csv", opt=READ_LEARNING, include_in_schema=False)
async def chapter_csv(request: Request[Any, Any, Any]) -> Stream:
    # Its own transaction, open while the rows stream (the request's ends before the body).
    return Stream(
        chapter.chapter_csv(request.app.state.database),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="laeringspunkter.csv"'},
    )


@get("/admin/anchoring-targets", opt=ADMIN, include_in_schema=False)
async def targets_page(db: Db, saved: FromQuery[bool] = False) -> Template:
    values = await targets.current(db)
    return targets.form(values, {str(k): str(v) for k, v in values.items()}, saved=saved)


@post("/admin/anchoring-targets", opt=ADMIN, include_in_schema=False)
async def save_targets(db: Db, data: URLEncodedBody[dict[str, Any]]) -> Template | Redirect:
    async def save() -> None:
        await targets.set_targets(db, targets.from_form(data))

    if error := await attempt(db, save):
        return targets.form(await targets.current(db), data, error=error)
    return Redirect("/admin/anchoring-targets?saved=true", status_code=303)


anchoring_pages = Router(
    path="/",
    include_in_schema=False,
    route_handlers=[
        record_page,
        municipality_cell,
        region_cell,
        printable,
        record_markdown,
        record_json,
        record_docx,
        record_pdf,
        chapter_markdown,
        chapter_docx,
        chapter_csv,
        targets_page,
        save_targets,
    ],
)
