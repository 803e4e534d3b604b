"""The fit-gap matrix as the web and the command line write it: area by area from the store into
an XLSX workbook, or into one CSV per area (several areas: a zip), with flat memory. The
audience (fitgap.domain.files.matrix.Audience) decides which notes go in: the command line
writes the project's matrix, the web the vendor's when the vendor downloads it.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import IO

from sqlmodel import Session

from fitgap.domain.files.matrix import (
    AreaMatrix,
    Audience,
    MatrixWorkbook,
    area_csv,
    build_area,
)
from fitgap.domain.group.table import ScenarioTable
from fitgap.domain.vendor import one_line
from fitgap.store import matrix as matrix_queries
from fitgap.store import vendor as vendor_queries
from fitgap.store.matrix import MatrixArea

Progress = Callable[[int], None]


class UnknownArea(LookupError):
    """The area asked for is not in the current catalog."""


def areas_to_write(*, session: Session, area_id: str | None) -> list[MatrixArea]:
    """The areas a matrix covers: every current one, or the one asked for (UnknownArea)."""
    areas = matrix_queries.matrix_areas(session=session, area_id=area_id)
    if area_id is not None and not areas:
        raise UnknownArea(area_id)
    return areas


def iter_areas(
    *,
    session: Session,
    areas: list[MatrixArea],
    vendor_answers: Mapping[str, str] | None = None,
    progress: Progress | None = None,
    audience: Audience = Audience.PROJECT,
) -> Iterator[AreaMatrix]:
    """Each area's matrix in turn; only one area's rows are held at a time."""
    towns = matrix_queries.matrix_towns(session=session)
    if vendor_answers is None:
        # The vendor's current answer to each customization request, in one line.
        vendor_answers = {
            function_id: one_line(answer)
            for function_id, answer in vendor_queries.latest_answers(session=session).items()
        }
    answers = vendor_answers
    for area in areas:
        functions = matrix_queries.area_functions(session=session, area_id=area.id)
        marks = list(matrix_queries.area_marks(session=session, area_id=area.id))
        yield build_area(
            area_id=area.id,
            area_name=area.name,
            functions=functions,
            towns=towns,
            marks=marks,
            decisions=matrix_queries.area_decisions(session=session, area_id=area.id),
            vendor_answers=answers,
            audience=audience,
        )
        if progress is not None:
            progress(area.functions)


def write_xlsx(
    *,
    session: Session,
    target: str | Path | IO[bytes],
    areas: list[MatrixArea],
    vendor_answers: Mapping[str, str] | None = None,
    progress: Progress | None = None,
    scenario: ScenarioTable | None = None,
    audience: Audience = Audience.PROJECT,
) -> None:
    """The matrix as one workbook: a summary sheet, a saved scenario's table (参加団体の検討)
    when one is given, then one sheet per area."""
    workbook = MatrixWorkbook(matrix_queries.matrix_towns(session=session), audience)
    if scenario is not None:
        workbook.add_scenario(scenario)
    for area in iter_areas(
        session=session,
        areas=areas,
        vendor_answers=vendor_answers,
        progress=progress,
        audience=audience,
    ):
        workbook.add_area(area)
    workbook.save(target)


def csv_name(area_id: str) -> str:
    """The file name of one area's CSV."""
    return f"matrix-{area_id}.csv"


def write_csv_zip(
    *,
    session: Session,
    target: str | Path | IO[bytes],
    areas: list[MatrixArea],
    vendor_answers: Mapping[str, str] | None = None,
    progress: Progress | None = None,
    audience: Audience = Audience.PROJECT,
) -> None:
    """One CSV per area in a zip (UTF-8 with BOM each)."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for area in iter_areas(
            session=session,
            areas=areas,
            vendor_answers=vendor_answers,
            progress=progress,
            audience=audience,
        ):
            archive.writestr(csv_name(area.area_id), area_csv(area))
