"""inferboard collector: drive an OpenAI-compatible server and write one run record."""

__version__ = "0.1.0"
