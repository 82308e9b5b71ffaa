"""``vmb generate``: music for a text, an image or a video, written to files."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from vmb import VmbError
from vmb.cli.options import (
    Progress,
    add_attribute_options,
    add_describer_options,
    input_files,
    library_folder,
    load_describer_from_args,
    read_text_file,
    seconds,
    seed_value,
    user_attributes,
)

if TYPE_CHECKING:
    from vmb.pipeline import GenerationRequest

EXAMPLES_GENERATE = """examples:
  vmb generate --text "calm piano for a rainy night" -o rain.wav
  vmb generate --text "a road trip" --genre rock --tempo 128 --duration 45 -o trip.flac
  vmb generate --image photo.jpg --mood dreamy --instrument harp --instrument strings -o photo.wav
  vmb generate --video clip.mp4 -o scored.mp4          (music fitted to the cuts, muxed)
  vmb generate --video banner.mp4 --loop -o banner_scored.mp4   (a seamless loop for a looping video)
  vmb generate --text "a lullaby" --generator baseline -o lullaby.wav   (re-compose the retrieved tune)
  vmb generate --text "jazz for a cafe" --key "Bb major" --seed 7 --json -o cafe.wav
  vmb generate --text "a lo-fi beat to study to" --stems -o study.wav   (also study.drums.wav, study.bass.wav ...)
"""


def print_result(result, out: Path) -> None:
    d = result.description
    a = result.attributes
    print(f"description: {d.sentence}", file=sys.stderr)
    for line in d.reasoning:
        print(f"  {line}", file=sys.stderr)
    print(
        f"music: {a.tempo_bpm:g} BPM ({a.tempo_class}), {a.key} {a.mode}, {a.meter}, "
        f"{', '.join(a.genres) or 'no genre'}; moods {', '.join(a.moods) or '-'}; "
        f"instruments {', '.join(sorted({t.instrument or t.name for t in result.score.tracks}))}",
        file=sys.stderr,
    )
    for ref in result.retrieval.targeted[:1] + result.retrieval.broad[:1]:
        print(
            f"reference ({ref.track}): {ref.entry.title or ref.entry.id} [{ref.entry.source}] "
            f"score {ref.score:.2f}, matched {', '.join(ref.matched) or '-'}",
            file=sys.stderr,
        )
    for kind, path in result.render.files.items():
        print(f"wrote {kind}: {path}", file=sys.stderr)


# --------------------------------------------------------------------------- commands


def generation_request(args: argparse.Namespace) -> "GenerationRequest":
    """The checked request the ``generate`` options describe."""
    from vmb.pipeline import GenerationRequest, RetrievalOptions

    read_text_file(args)
    if sum(x is not None for x in (args.text, args.image, args.video)) != 1:
        raise VmbError("give exactly one of --text, --text-file, --image or --video")
    return GenerationRequest(
        text=args.text, image=args.image, video=args.video, attributes=user_attributes(args),
        duration_s=args.duration, seed=args.seed, loop=args.loop, allow_long=args.allow_long,
        generator=args.generator, checkpoint=args.checkpoint, soundfont=args.soundfont,
        retrieval=RetrievalOptions(library=args.library, references=tuple(args.reference or ()),
                                   exclude=tuple(args.exclude or ()), use_broad=not args.no_broad,
                                   use_targeted=not args.no_targeted),
        markers_s=tuple(args.marker or ()), keep_audio=args.keep_audio, renderer=args.renderer, stems=args.stems,
    ).check()


def cmd_generate(args: argparse.Namespace) -> int:
    from vmb import pipeline

    request = generation_request(args)
    video = request.video is not None
    out = pipeline.check_output_path(args.output, ((".mp4",) if video else ()) + pipeline.AUDIO_SUFFIXES)
    # Every file this run will write, checked against every input before any work.
    outputs = pipeline.output_files(out, video=video, midi=not args.no_midi, plot=bool(args.plot), stems=args.stems)
    pipeline.check_no_clobber(outputs, input_files(args), library=library_folder(args))
    describer = load_describer_from_args(args)
    progress = Progress(not args.json)
    try:
        result = pipeline.generate(request, describer=describer, progress=progress)
        progress("write")
        if video:
            pipeline.write_video_outputs(result, out, midi=not args.no_midi, plot=bool(args.plot))
        else:
            pipeline.write_outputs(result, out, midi=not args.no_midi, plot=bool(args.plot))
    finally:
        progress.stop()
    if args.json:
        print(json.dumps(result.sidecar() | {"files": result.render.files}, indent=2, ensure_ascii=False))
    else:
        print_result(result, out)
    return 0


def add_parser(sub) -> None:
    from vmb.pipeline.composers import COMPOSERS, DEFAULT_GENERATOR
    from vmb.pipeline.request import RENDERERS

    p = sub.add_parser(
        "generate",
        help="write music for a text, an image or a video",
        epilog=EXAMPLES_GENERATE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    src = p.add_argument_group("input (exactly one)")
    src.add_argument("--text", metavar="T", help="a prompt, a scene description or a poem")
    src.add_argument("--text-file", metavar="FILE", help="read the text from a UTF-8 file (long texts, poems)")
    src.add_argument("--image", metavar="FILE", help="an image (JPEG, PNG, ...)")
    src.add_argument("--video", metavar="FILE", help="a video; the music fits its length and cuts")
    add_attribute_options(p)
    p.add_argument("--duration", type=seconds, metavar="SECONDS", help="length in seconds (default 30; a video takes its own length)")
    p.add_argument("--seed", type=seed_value, default=0, help="random seed: same inputs + seed = same bytes (default 0)")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="output .wav or .flac (.mp4 for --video)")
    p.add_argument("--generator", choices=list(COMPOSERS), default=DEFAULT_GENERATOR,
                   help="; ".join(f"{c.name}: {c.description}" for c in COMPOSERS.values())
                   + f" (default {DEFAULT_GENERATOR})")
    p.add_argument("--checkpoint", metavar="PT", help="ECMG checkpoint file (default: the installed one)")
    p.add_argument("--soundfont", metavar="SF2", help="General MIDI SoundFont (default: $VMB_SOUNDFONT or the system one)")
    p.add_argument("--renderer", choices=list(RENDERERS), default="studio",
                   help="studio: every part rendered on its own and mixed for its genre (default); "
                        "plain: one SoundFont pass and a light room, as before the studio")
    p.add_argument("--stems", action="store_true",
                   help="also write one WAV per stem beside the mix (NAME.drums.wav, .bass, .harmony, .pads, .lead); "
                        "summed, they are the mix before the master bus")
    p.add_argument("--no-midi", action="store_true", help="do not write the .mid beside the audio")
    p.add_argument("--plot", action="store_true", help="also save a piano-roll PNG beside the audio")
    p.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    lib = p.add_argument_group("music bridge (reference retrieval)")
    lib.add_argument("--library", metavar="DIR", help="music library folder (default: $VMB_LIBRARY or your data folder)")
    lib.add_argument("--reference", action="append", metavar="FILE", help="your own reference music (MIDI, MusicXML, ABC, audio), pinned")
    lib.add_argument("--exclude", action="append", metavar="ID", help="a library entry never to use (repeatable)")
    lib.add_argument("--no-broad", action="store_true", help="switch off the broad (similarity) track")
    lib.add_argument("--no-targeted", action="store_true", help="switch off the targeted (partition) track")
    p.add_argument("--allow-long", action="store_true",
                   help="allow music and videos up to 60 min (default limit 20 min; ~1.4 GB of memory per 10 min)")
    p.add_argument("--loop", action="store_true",
                   help="a seamless loop (whole bars, no ending; the tempo is nudged to fit the length; "
                        "with --video the video's end falls on a bar line)")
    vid = p.add_argument_group("video options")
    vid.add_argument("--marker", type=seconds, action="append", metavar="SECONDS", help="a moment the music must hit (repeatable)")
    vid.add_argument("--keep-audio", action="store_true", help="keep the video's own sound and duck the music under it")
    add_describer_options(p)
    p.set_defaults(func=cmd_generate)
