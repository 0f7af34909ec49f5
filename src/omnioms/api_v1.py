"""The REST API root: ``/api/v1``, OpenAPI 3 at ``/api/v1/openapi.json``.

The top of the layers: it mounts every app's router. Authentication and the error shape
live lower, in :mod:`omnioms.api`, so that every app's ``api.py`` can use them.
"""

from __future__ import annotations

from ninja import Swagger

from omnioms.api.auth import AUTH
from omnioms.api.errors import install_error_handlers
from omnioms.api.openapi import DocumentedAPI
from omnioms.catalog.api import router as catalog_router
from omnioms.floor.api import router as floor_router
from omnioms.flows.api import router as flows_router
from omnioms.inventory.api import router as inventory_router
from omnioms.orders.api import router as orders_router
from omnioms.planning.api import router as planning_router
from omnioms.service.api import pushes as service_pushes
from omnioms.service.api import router as service_router
from omnioms.sync.api import router as channels_router
from omnioms.sync.api import webhooks

api = DocumentedAPI(
    title="omnioms",
    version="1",
    urls_namespace="api",
    auth=AUTH,
    # Swagger UI would send the schema's address to validator.swagger.io for a badge.
    docs=Swagger(settings={"validatorUrl": None}),
)
install_error_handlers(api)

api.add_router("/webhooks", webhooks)
api.add_router("/orders", orders_router)
api.add_router("/", channels_router)
api.add_router("/", catalog_router)
api.add_router("/", inventory_router)
api.add_router("/", flows_router)
api.add_router("/service", service_pushes)
api.add_router("/", service_router)
api.add_router("/", floor_router)
api.add_router("/", planning_router)
