"""The floor's background work: worker steps (``core.worker``) for escalation and team chat
messages; the daily close's job kind is registered with it (``close.py``)."""

from __future__ import annotations

from omnioms.core.worker import register_step
from omnioms.floor.exceptions import escalate_due
from omnioms.floor.notify import send_chat_due

register_step("floor.escalate", escalate_due, every=60.0)
register_step("floor.team_chat", send_chat_due, every=5.0)
