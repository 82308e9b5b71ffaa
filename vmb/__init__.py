"""vmb: new music for a video, an image or a text (the VMB method, offline on a CPU)."""

__version__ = "0.1.0"


class VmbError(Exception):
    """A problem with the user's input or environment, reported as one line (no traceback)."""
