"""Errors meant for the operator as they are: light to import (the command line catches them
before it has loaded pydantic or Textual)."""


class ConfigError(Exception):
    """A config file that cannot be used; the message is meant for the operator as is."""
