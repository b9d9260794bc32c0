"""PLACEHOLDER: replaced by the real implementation."""

from biokit.bio.core import BIO


class ConnectBIO(BIO):
    def __init__(self, *args: object, **kwargs: object) -> None:
        raise NotImplementedError("ConnectBIO is not written yet")
