"""The spec's import name (`import pautapro_client`), so its examples run unchanged."""

from nexo_media import *  # noqa: F403
from nexo_media import __all__, __version__  # noqa: F401
