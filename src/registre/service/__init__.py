"""``registre serve``: the library behind a JSON API, for the organization's people and tools.

The routes call the same library functions as the CLI; nothing is decided in a route that the
library does not decide for the CLI too. See ``docs/service.md``.
"""

from registre.service.app import create_app
from registre.service.runtime import Service, open_service
from registre.service.settings import ServiceSettings, load_settings

__all__ = ["Service", "ServiceSettings", "create_app", "load_settings", "open_service"]
