"""Nexo: one self-hostable service that serves five business-operations APIs."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("nexo")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
