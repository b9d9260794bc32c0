"""PLACEHOLDER: replaced by the real implementation."""

from biokit.bio.core import BIO


class LineBufferBIO(BIO):
    def __init__(self, *args: object, **kwargs: object) -> None:
        raise NotImplementedError("LineBufferBIO is not written yet")
