"""PLACEHOLDER: replaced by the real implementation."""

from biokit.bio.core import BIO


class ReadBufferBIO(BIO):
    def __init__(self, *args: object, **kwargs: object) -> None:
        raise NotImplementedError("ReadBufferBIO is not written yet")
