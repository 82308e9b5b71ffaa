"""Training data from the user's files: one reader per file kind, the library's.

``vmb train --data folder/`` reads score files through the same reader as ``vmb library add``
(:func:`vmb.retrieve.ingest.analyze_file`), so a file gives the same lead sheet for training as
for retrieval; JSONL files of library entries are read by the trainer itself.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

from vmb import VmbError
from vmb.types import LibraryEntry

JSONL_SUFFIXES = (".jsonl", ".jsonl.gz")


def training_entries(source: str | os.PathLike | None) -> list[LibraryEntry] | None:
    """Entries for ``source`` when it holds score files; None when the trainer reads it itself
    (None = the shipped corpus, or a JSONL file). Unreadable scores in a folder are skipped
    with one warning that counts them; a single unreadable file is a VmbError."""
    from vmb.generate.ecmg.data import read_jsonl
    from vmb.retrieve.analyze_symbolic import MIDI_SUFFIXES, SCORE_SUFFIXES
    from vmb.retrieve.ingest import analyze_file

    symbolic = MIDI_SUFFIXES + SCORE_SUFFIXES
    if source is None or not Path(source).exists():
        return None
    path = Path(source)
    if path.is_file():
        if path.suffix.lower() not in symbolic:
            return None
        result = analyze_file(path, transcribe=False)
        if result.error:
            raise VmbError(f"training data {path}: {result.error}")
        return [e for e in result.entries if e.lead_sheet is not None]
    entries: list[LibraryEntry] = []
    skipped = []
    for item in sorted(path.rglob("*")):
        if item.name.endswith(JSONL_SUFFIXES):
            entries.extend(read_jsonl(item))
        elif item.is_file() and item.suffix.lower() in symbolic:
            result = analyze_file(item, transcribe=False)
            if result.error:
                skipped.append(item.name)
            entries.extend(e for e in result.entries if e.lead_sheet is not None)
    if skipped:
        warnings.warn(f"training data {path}: skipped {len(skipped)} unreadable score(s), e.g. {skipped[0]}")
    return entries
