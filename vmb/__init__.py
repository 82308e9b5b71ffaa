"""vmb: new music for a video, an image or a text (the VMB method, offline on a CPU)."""

__version__ = "0.1.0"


class VmbError(Exception):
    """A problem with the user's input or environment, reported as one line (no traceback)."""

# Seeds every random choice accepts (numpy, torch and Python's random all take 0 .. 2**32 - 1).
MAX_SEED = 2**32 - 1
