"""``vmb vocab``: the genres, moods, instruments, tempo classes and meters vmb knows."""

from __future__ import annotations

import argparse
import json

from vmb.vocab import GENRES, INSTRUMENTS, METERS, MOODS, TEMPO_CLASSES


def cmd_vocab(args: argparse.Namespace) -> int:
    table = {
        "genres": sorted(GENRES),
        "moods": sorted(MOODS),
        "instruments": {name: spec.program for name, spec in sorted(INSTRUMENTS.items())},
        "tempo_classes": {k: [v[0], v[1]] for k, v in TEMPO_CLASSES.items()},
        "meters": list(METERS),
    }
    if args.json:
        print(json.dumps(table, indent=2))
    else:
        print("genres:      " + ", ".join(table["genres"]))
        print("moods:       " + ", ".join(table["moods"]))
        print("instruments: " + ", ".join(table["instruments"]))
        print("tempo:       " + ", ".join(f"{k} ({lo:g}-{hi:g} BPM)" for k, (lo, hi) in table["tempo_classes"].items()))
        print("meters:      " + ", ".join(table["meters"]))
        print("keys:        any tonic with major or minor, e.g. 'D minor', 'F# major', 'Bbm'")
    return 0


def add_parser(sub) -> None:
    p = sub.add_parser("vocab", help="list the genres, moods, instruments, tempo classes and meters")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_vocab)
