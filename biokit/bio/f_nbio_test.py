"""PLACEHOLDER: replaced by the real implementation."""

from biokit.bio.core import BIO


class NBIOTestBIO(BIO):
    def __init__(self, *args: object, **kwargs: object) -> None:
        raise NotImplementedError("NBIOTestBIO is not written yet")
