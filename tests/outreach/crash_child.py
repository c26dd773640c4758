"""Run by test_exactly_once.py in a child process: send a draft and die (``os._exit``, so no
cleanup runs) at a chosen point. Settings come from the CRM_AGENT_* environment.

    python crash_child.py DRAFT_ID before_deliver|after_deliver
"""

from __future__ import annotations

import asyncio
import os
import sys

from crm_agent.config import Settings
from crm_agent.outreach.service import OutreachService

CRASHED = 17


async def main(draft_id: int, point: str) -> None:
    outreach = await OutreachService.connect(Settings())
    deliver = outreach.transport.deliver

    async def crashing_deliver(message, on_handoff):  # type: ignore[no-untyped-def]
        if point == "before_deliver":
            os._exit(CRASHED)
        await deliver(message, on_handoff)
        os._exit(CRASHED)

    outreach.transport.deliver = crashing_deliver  # type: ignore[method-assign]
    await outreach.send(draft_id)
    os._exit(0)  # not reached


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
