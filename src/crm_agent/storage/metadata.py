"""The complete table metadata: imports every module that declares tables.

Only migrations and the schema test need this; application code imports its own models.
"""

from crm_agent import audit  # noqa: F401
from crm_agent.agent import records  # noqa: F401
from crm_agent.auth import models as auth_models  # noqa: F401
from crm_agent.crm import models  # noqa: F401
from crm_agent.outreach import models as outreach_models  # noqa: F401
from crm_agent.storage.base import Base

__all__ = ["Base"]
