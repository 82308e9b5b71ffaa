"""The music bridge: the shipped tune corpus, the persistent library and dual-track search.

``load_tune_metadata`` (fast, tags only), ``load_tune``, ``load_tunes`` and
``load_tune_embeddings`` read the shipped corpus in ``vmb/data``; building it
(``vmb.retrieve.corpus``) needs music21 and is imported only by the builder.
The persistent library: ``Library`` (LanceDB folder, ``store``), ``ingest`` of music files,
``broad`` / ``targeted`` / ``dual_track`` search (``search``), ``check_library`` /
``repair_library`` of a damaged one (``repair``; ``LibraryDamaged`` is what reads raise).
"""

from vmb.retrieve.ingest import IngestReport, ingest, reference_entry
from vmb.retrieve.repair import LibraryCheck, LibraryRepair, check_library, repair_library
from vmb.retrieve.search import broad, dual_track, targeted
from vmb.retrieve.store import (
    Library,
    LibraryDamaged,
    build_default_library,
    default_library_path,
    open_default_library,
)
from vmb.retrieve.tunes import load_tune, load_tune_embeddings, load_tune_metadata, load_tunes

__all__ = ["load_tune", "load_tune_embeddings", "load_tune_metadata", "load_tunes",
           "IngestReport", "Library", "LibraryCheck", "LibraryDamaged", "LibraryRepair", "broad",
           "build_default_library", "check_library", "default_library_path", "dual_track", "ingest",
           "open_default_library", "reference_entry", "repair_library", "targeted"]
