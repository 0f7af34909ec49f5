"""Locations: warehouses and stores."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from omnioms.api.auth import require_perm
from omnioms.api.schemas import ErrorOut
from omnioms.inventory.models import Location, LocationKind

router = Router(tags=["inventory"])


class LocationIn(Schema):
    code: str = Field(min_length=1, max_length=50, pattern=r"^[-a-zA-Z0-9_]+$")
    name: str = Field(min_length=1, max_length=200)
    kind: LocationKind
    province: str = ""
    city: str = ""


class LocationOut(Schema):
    code: str
    name: str
    kind: str
    province: str
    city: str


@router.get("/locations", response=list[LocationOut])
def list_locations(request: HttpRequest) -> list[Location]:
    require_perm(request, "inventory.view_location")
    return list(Location.objects.all())


@router.post("/locations", response={201: LocationOut, 400: ErrorOut})
def add_location(request: HttpRequest, data: LocationIn) -> Status:
    require_perm(request, "inventory.add_location")
    if Location.objects.filter(code=data.code).exists():
        raise HttpError(400, f"code: location {data.code!r} already exists")
    return Status(201, Location.objects.create(**data.dict()))
