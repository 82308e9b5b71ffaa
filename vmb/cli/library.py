"""``vmb library build|add|remove|list|stats|search|check``: the music library behind the music bridge.

Thin: each command opens the library, calls one function of :mod:`vmb.retrieve`, prints.
"""

from __future__ import annotations

import argparse
import json
import sys

from vmb import VmbError
from vmb.cli.options import add_attribute_options, user_attributes

EXAMPLES = """examples:
  vmb library build                          # the default library from the bundled tune corpus
  vmb library add ~/Music/midi ~/Music/wav   # ingest folders (MIDI, MusicXML, ABC; WAV, FLAC, OGG, MP3,
                                             # Opus, M4A, WebM, AIFF); audio is auto-tagged by musicnn
  vmb library search "slow, sad piece in D minor for strings" --key "D minor" --tempo slow
  vmb library list --mode minor --limit 20
  vmb library stats --json
  vmb library check                          # read every file of the library; exit 1 if damaged
  vmb library check --repair                 # fall back to the newest readable version, say what was lost
"""


def _open(args):
    from vmb.retrieve.store import Library

    return Library.open(args.library, create=args.library_command in ("build", "add"))


def _entry_line(entry) -> str:
    tags = ", ".join(entry.genres + entry.moods)
    return (f"{entry.id}  {entry.title or '-'}  [{entry.key or '?'} {entry.mode or '?'}, {entry.meter or '?'}, "
            f"{entry.tempo_class or '?'}]  {tags}")


def _size(n: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return ""  # pragma: no cover


def _stats_table(stats: dict) -> str:
    """``Library.stats()`` as a readable two-column table."""
    from vmb.retrieve.store import ANN_MIN_ROWS

    per_entry = f" ({_size(stats['bytes_per_entry'])} per entry)" if stats["bytes_per_entry"] else ""
    index = ("ANN (IVF-PQ) + attribute indexes" if stats["ann_index"]
             else f"none: exact search (an index is built at {ANN_MIN_ROWS:,} entries)")
    rows = [("library", stats["path"]), ("entries", f"{stats['entries']:,} (table version {stats['version']})"),
            ("disk", _size(stats["disk_bytes"]) + per_entry), ("index", index),
            ("embedding", f"{stats['embedding']} (format {stats['format_version']})")]
    for name in ("sources", "mode", "tempo_class", "meter", "genres", "moods", "instruments"):
        counts = stats[name]
        rows.append((name.replace("_", " "), ", ".join(f"{k} {v:,}" for k, v in counts.items()) or "-"))
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def _check_lines(check) -> list[str]:
    state = "healthy" if check.healthy else "damaged"
    current = check.current
    lines = [f"library {check.path}: {state}"
             + (f" ({current.entries:,} entries, table version {current.version})"
                if current and not current.error and current.entries is not None else "")]
    lines += [f"  problem: {p}" for p in check.problems]
    lines += [f"  note: {n}" for n in check.notes]
    if check.versions:
        readable = sum(v.error is None for v in check.versions)
        lines.append(f"  versions: {len(check.versions)} read, {readable} readable; index: {check.index}")
    return lines


def _check(args) -> int:
    """``check [--repair]``: the report on stdout; if still damaged, the one-line verdict too."""
    from vmb.retrieve.repair import check_library, repair_library
    from vmb.retrieve.store import LibraryDamaged

    if args.repair:
        repair = repair_library(args.library)
        result, check = repair.to_dict(), repair.after
        lines = [f"found: {p}" for p in repair.before.problems]
        lines += [f"repaired: {r}" for r in repair.repaired] + [f"lost: {x}" for x in repair.lost]
        lines += _check_lines(check) + ([] if repair.before.problems else ["nothing to repair"])
    else:
        check = check_library(args.library)
        result, lines = check.to_dict(), _check_lines(check)
    print(json.dumps(result, indent=2) if args.json else "\n".join(lines))
    if check.healthy:
        return 0
    if args.repair:
        raise VmbError(f"library {check.path} is still damaged: {check.problems[0]}")
    raise LibraryDamaged(check.path, check.problems[0])


def cmd_library(args: argparse.Namespace) -> int:
    from vmb.retrieve.store import build_default_library

    command = args.library_command
    if command == "build":
        library = build_default_library(args.library)
        result = library.stats()
    elif command == "add":
        from vmb.retrieve.ingest import build_library_tagger, ingest

        tagger = build_library_tagger(args.tagger, clap_model=args.clap_model)
        library = _open(args)
        report = ingest(library, args.paths, workers=args.workers, progress=not args.json and sys.stderr.isatty(),
                        transcribe=not args.no_transcribe, tagger=tagger)
        for path, reason in report.failed:
            print(f"vmb: skipped {path}: {reason}", file=sys.stderr)
        result = report.to_dict()
        if not args.json:
            print(f"added {report.added_files} file(s) as {len(report.added)} entries, "
                  f"{len(report.skipped_existing)} already present, {len(report.failed)} failed "
                  f"({report.seconds:.1f} s)")
            return 0 if report.added_files or report.skipped_existing or not report.failed else 1
    elif command == "remove":
        library = _open(args)
        removed = library.remove(args.ids)
        unknown = [i for i in dict.fromkeys(args.ids) if i not in set(removed)]
        result = {"removed": len(removed), "unknown": unknown}
        print(json.dumps(result, indent=2) if args.json
              else f"removed {len(removed)} entr{'y' if len(removed) == 1 else 'ies'}")
        if unknown:
            raise VmbError(f"library {library.path} has no entr{'y' if len(unknown) == 1 else 'ies'} "
                           f"{', '.join(repr(i) for i in unknown)}")
        return 0
    elif command == "list":
        library = _open(args)
        filters = {k: v for k, v in (("mode", args.mode), ("tempo_class", args.tempo), ("meter", args.meter)) if v}
        entries = library.list(filters or None, limit=args.limit)
        result = [e.to_dict() | {"lead_sheet": None} for e in entries]
        if not args.json:
            for entry in entries:
                print(_entry_line(entry))
            return 0
    elif command == "stats":
        result = _open(args).stats()
        if not args.json:
            print(_stats_table(result))
            return 0
    elif command == "check":
        return _check(args)
    elif command == "search":
        from vmb.embed import encode_texts
        from vmb.pipeline import RetrievalOptions, retrieve_references

        attrs = user_attributes(args)
        if not args.text.strip():
            raise VmbError("empty search text")
        # the retrieval generation runs, so a search previews what `vmb generate` would retrieve
        retrieval = retrieve_references(attrs, encode_texts([args.text])[0],
                                        RetrievalOptions(library=args.library, k=args.k))
        result = {
            track: [
                {"id": r.entry.id, "title": r.entry.title, "score": round(r.score, 4), "matched": r.matched,
                 "key": f"{r.entry.key} {r.entry.mode}", "tempo_class": r.entry.tempo_class,
                 "description": r.entry.description}
                for r in refs
            ]
            for track, refs in (("targeted", retrieval.targeted), ("broad", retrieval.broad))
        }
        if not args.json:
            for track, refs in (("targeted", retrieval.targeted), ("broad", retrieval.broad)):
                print(f"{track}:")
                for r in refs:
                    print(f"  {r.score:5.2f}  {_entry_line(r.entry)}  matched: {', '.join(r.matched) or '-'}")
            return 0
    else:  # pragma: no cover - argparse restricts the choices
        raise VmbError(f"unknown library command {command!r}")
    print(json.dumps(result, indent=2, ensure_ascii=False, default=str))
    return 0


def _add_common_options(parser: argparse.ArgumentParser, default=None) -> None:
    """--library and --json, before the action (``default`` None/False) or after it (SUPPRESS,
    so an action that does not repeat them keeps the value given before it)."""
    parser.add_argument("--library", metavar="DIR", default=default,
                        help="library folder (default: $VMB_LIBRARY or your data folder)")
    parser.add_argument("--json", action="store_true", default=False if default is None else default,
                        help="print JSON")


def add_parser(sub) -> None:
    p = sub.add_parser("library", help="build, fill, search and check the music library (the music bridge)",
                       epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_common_options(p)
    lsub = p.add_subparsers(dest="library_command", required=True, metavar="ACTION")
    b = lsub.add_parser("build", help="build the default library from the bundled tune corpus")
    a = lsub.add_parser("add", help="ingest music files or folders")
    a.add_argument("paths", nargs="+", metavar="PATH")
    a.add_argument("--workers", type=int, default=2, help="parallel analysis processes (default 2)")
    a.add_argument("--no-transcribe", action="store_true", help="skip audio-to-notes transcription")
    a.add_argument("--tagger", choices=["musicnn", "rules", "clap"], default="musicnn",
                   help="who tags audio files: the bundled musicnn taggers (default), the analysis rules alone, "
                        "or CLAP (--clap-model)")
    a.add_argument("--clap-model", metavar="DIR", help="a local CLAP checkpoint folder, for --tagger clap")
    r = lsub.add_parser("remove", help="remove entries by id")
    r.add_argument("ids", nargs="+", metavar="ID")
    li = lsub.add_parser("list", help="list entries")
    li.add_argument("--mode", choices=["major", "minor"])
    li.add_argument("--tempo", choices=["slow", "medium", "fast"])
    li.add_argument("--meter")
    li.add_argument("--limit", type=int, default=50)
    st = lsub.add_parser("stats", help="counts by attribute, disk use, index state")
    s = lsub.add_parser("search", help="dual-track search: targeted (inside the asked partition) and broad")
    s.add_argument("text", help="a description of the music you want")
    s.add_argument("-k", type=int, default=5, help="results per track (default 5)")
    add_attribute_options(s)
    c = lsub.add_parser("check", help="read every version of the library; exit 1 if it is damaged")
    c.add_argument("--repair", action="store_true",
                   help="fall back to the newest readable version, rewrite a lost manifest, rebuild the index, "
                        "and say what was recovered and what was lost")
    for action in (b, a, r, li, st, s, c):
        _add_common_options(action, argparse.SUPPRESS)
    p.set_defaults(func=cmd_library)
