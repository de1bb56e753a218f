"""The exporter's routes, described once: the routing layer and the OpenAPI document read this."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.attachments import UploadRequest
from chalicelib.domain.dossiers import (
    Attachment,
    Dossier,
    DossierUpdate,
    DraftRequest,
    HistoryEvent,
    LinesRequest,
)
from chalicelib.domain.traders import TraderDetails, TraderRegistration
from chalicelib.handlers.api.openapi import RouteSpec

EXPORTER = ("exporter",)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TraderView(TraderRegistration):
    """The profile as shown, with the renewal date it must be confirmed by."""

    last_confirmed_on: date
    renewal_due_on: date
    version: int
    created_at: datetime
    updated_at: datetime


class DossierWithHistory(_Body):
    dossier: Dossier
    history: list[HistoryEvent]


class DossierPage(_Body):
    items: list[Dossier]
    next_cursor: str | None = None


class CsvImport(_Body):
    csv: str = Field(min_length=1, max_length=2 * 1024 * 1024)


class WithdrawRequest(_Body):
    reason: str = Field(default="", max_length=500)


class UploadForm(_Body):
    attachment: Attachment
    url: str
    fields: dict[str, str]


ROUTES = [
    RouteSpec(
        "POST",
        "/traders",
        "Register my trader profile",
        EXPORTER,
        TraderRegistration,
        TraderView,
        201,
        idempotent_create=True,
    ),
    RouteSpec("GET", "/traders/{tax_code}", "Read my trader profile", EXPORTER, None, TraderView),
    RouteSpec(
        "PUT",
        "/traders/{tax_code}",
        "Update and confirm my trader profile",
        EXPORTER,
        TraderDetails,
        TraderView,
    ),
    RouteSpec(
        "POST",
        "/dossiers",
        "Create a draft dossier",
        EXPORTER,
        DraftRequest,
        Dossier,
        201,
        idempotent_create=True,
    ),
    RouteSpec(
        "GET",
        "/dossiers",
        "List my dossiers, newest first",
        EXPORTER,
        None,
        DossierPage,
        query=("limit", "cursor", "status", "form"),
    ),
    RouteSpec(
        "GET",
        "/dossiers/{dossier_id}",
        "Read a dossier with its history",
        EXPORTER,
        None,
        DossierWithHistory,
    ),
    RouteSpec(
        "PATCH", "/dossiers/{dossier_id}", "Change a draft", EXPORTER, DossierUpdate, Dossier
    ),
    RouteSpec(
        "POST", "/dossiers/{dossier_id}/lines", "Add goods lines", EXPORTER, LinesRequest, Dossier
    ),
    RouteSpec(
        "POST",
        "/dossiers/{dossier_id}/lines/csv",
        "Add goods lines from a CSV file",
        EXPORTER,
        CsvImport,
        Dossier,
    ),
    RouteSpec(
        "POST",
        "/dossiers/{dossier_id}/clone",
        "Copy a dossier into a new draft",
        EXPORTER,
        None,
        Dossier,
        201,
        idempotent_create=True,
    ),
    RouteSpec(
        "POST",
        "/dossiers/{dossier_id}/attachments",
        "Get an upload form for a document",
        EXPORTER,
        UploadRequest,
        UploadForm,
        201,
    ),
    RouteSpec("POST", "/dossiers/{dossier_id}/submit", "Submit a draft", EXPORTER, None, Dossier),
    RouteSpec(
        "POST",
        "/dossiers/{dossier_id}/withdraw",
        "Withdraw before review",
        EXPORTER,
        WithdrawRequest,
        Dossier,
    ),
]
