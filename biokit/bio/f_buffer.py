"""PLACEHOLDER: replaced by the real implementation."""

from biokit.bio.core import BIO


class BufferBIO(BIO):
    def __init__(self, *args: object, **kwargs: object) -> None:
        raise NotImplementedError("BufferBIO is not written yet")
