"""Every mapped model, imported once so Base.metadata is complete (alembic, tests)."""

from domain.accounts import models as accounts  # noqa: F401
from domain.campaigns import models as campaigns  # noqa: F401
from domain.core import audit, counters, idempotency, outbox, positions  # noqa: F401
from domain.core.orm import Base
from domain.customers import models as customers  # noqa: F401
from domain.invoicing import models as invoicing  # noqa: F401
from domain.invoicing import send_models  # noqa: F401
from domain.invoicing.recurring import models as recurring  # noqa: F401
from domain.notifications import models as notifications  # noqa: F401
from domain.notifications import (
    reminder_models,  # noqa: F401
    template_models,  # noqa: F401
)
from domain.orders import models as orders  # noqa: F401

metadata = Base.metadata
