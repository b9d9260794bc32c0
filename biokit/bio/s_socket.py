"""PLACEHOLDER: replaced by the real implementation."""

from biokit.bio.core import BIO


class SocketBIO(BIO):
    def __init__(self, *args: object, **kwargs: object) -> None:
        raise NotImplementedError("SocketBIO is not written yet")
