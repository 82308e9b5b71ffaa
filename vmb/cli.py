"""The ``vmb`` command: a thin shell over :mod:`vmb.pipeline` and the stages.

Every error the user can cause is one line on stderr and a non-zero exit (1); usage errors
exit 2 (argparse). Progress goes to stderr on a terminal only; ``--json`` prints one JSON
document on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import vmb
from vmb import VmbError
from vmb.cli_options import (
    TEXT_FILE_LIMIT,  # noqa: F401 (re-exported for scripts and tests)
    Progress,
    VmbArgumentParser,
    add_attribute_options,
    add_describer_options,
    finite_float,
    positive_int,
    read_text_file,
    seconds,
    seed_value,
    user_attributes,
)
from vmb.vocab import GENRES, INSTRUMENTS, METERS, MOODS, TEMPO_CLASSES, VocabError

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
"""

EXAMPLES_DESCRIBE = """examples:
  vmb describe --text "a lonely walk through snowy woods"
  vmb describe --image photo.jpg --plot analysis.png
  vmb describe --video clip.mp4 --json
"""


# --------------------------------------------------------------------------- helpers


def _print_result(result, out: Path) -> None:
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
        markers_s=tuple(args.marker or ()), keep_audio=args.keep_audio,
    ).check()


def cmd_generate(args: argparse.Namespace) -> int:
    from vmb import pipeline

    request = generation_request(args)
    video = request.video is not None
    out = pipeline.check_output_path(args.output, ((".mp4",) if video else ()) + pipeline.AUDIO_SUFFIXES)
    # Every file this run will write, checked against every input before any work.
    outputs = pipeline.output_files(out, video=video, midi=not args.no_midi, plot=bool(args.plot))
    pipeline.check_no_clobber(outputs, _input_files(args), library=_library_folder(args))
    describer = _load_describer(args)
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
        _print_result(result, out)
    return 0


def _input_files(args: argparse.Namespace) -> list[tuple[str, str]]:
    """(what, path) for every file the command reads."""
    named = [("text file", args.text_file), ("image", args.image), ("video", args.video)]
    named += [("checkpoint", getattr(args, "checkpoint", None)), ("SoundFont", getattr(args, "soundfont", None))]
    named += [("reference", ref) for ref in getattr(args, "reference", None) or ()]
    return [(what, path) for what, path in named if path is not None]


def _library_folder(args: argparse.Namespace) -> Path:
    from vmb.retrieve.store import default_library_path

    return Path(args.library) if args.library else default_library_path()


def _load_describer(args: argparse.Namespace):
    """None (the offline analysis) or the VLM describer that --describer/--vlm-model ask for."""
    from vmb import pipeline

    if args.describer == "vlm" and args.text is not None:
        raise VmbError("--describer vlm reads images and videos; describe a --text without it")
    return pipeline.load_describer(args.describer, vlm_model=args.vlm_model, adapter=args.vlm_adapter)


def cmd_describe(args: argparse.Namespace) -> int:
    import vmb.describe as describe

    read_text_file(args)
    inputs = [x for x in (args.text, args.image, args.video) if x is not None]
    if len(inputs) != 1:
        raise VmbError("give exactly one of --text, --text-file, --image or --video")
    if args.plot:
        if args.text is not None:
            raise VmbError("--plot needs --image or --video (a text has no visual analysis)")
        from vmb.pipeline.outputs import check_no_clobber, check_output_path

        check_no_clobber([check_output_path(args.plot, (".png",))], _input_files(args))
    describer = _load_describer(args)
    if args.text is not None:
        description = describe.describe_text(args.text, seed=args.seed)
        features = None
    elif args.image is not None:
        features = describe.analyze_image(args.image)
        description = (describer or describe).describe_image(args.image, seed=args.seed)
    else:
        from vmb import pipeline

        description, features, _timing = pipeline.describe_video_file(args.video, seed=args.seed, describer=describer)
    if args.plot:
        describe.plot_analysis(features, args.plot)
    if args.json:
        print(description.to_json())
    else:
        print(description.sentence)
        for line in description.reasoning:
            print(f"  {line}")
        a = description.attributes
        print(f"  attributes: {', '.join(f'{k}={getattr(a, k)}' for k in a.set_fields())}")
        if args.plot:
            print(f"wrote plot: {args.plot}", file=sys.stderr)
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    if args.model_name == "mmdm":
        return _train_mmdm(args)
    from vmb.generate.train import TrainConfig, train

    cfg = TrainConfig(
        data=args.data, out_dir=args.out or "runs/ecmg", model=args.model, steps=10000 if args.steps is None else args.steps,
        batch_size=args.batch_size,
        threads=args.threads, max_tunes=args.max_tunes, time_limit_s=args.time_limit, seed=args.seed,
        resume=not args.fresh, melody_weight=args.melody_weight,
    )
    if cfg.steps <= 0 or cfg.batch_size <= 0:
        raise VmbError("--steps and --batch-size must be positive")
    if not cfg.melody_weight > 0:  # also catches NaN
        raise VmbError(f"--melody-weight must be positive, got {cfg.melody_weight:g}")
    from vmb.pipeline.training import training_entries

    log = (lambda line: None) if args.quiet else (lambda line: print(line, file=sys.stderr, flush=True))
    path = train(cfg, log=log, entries=training_entries(cfg.data))
    print(f"checkpoint: {path}")
    return 0


def _train_mmdm(args: argparse.Namespace) -> int:
    """LoRA fine-tuning of the VLM describer on (frames, description) pairs."""
    from vmb.describe.lora import train_lora

    if not args.data or not args.vlm_model:
        raise VmbError("vmb train mmdm needs --data pairs.jsonl and --vlm-model DIR (the base VLM)")
    log = (lambda step, loss: None) if args.quiet else (
        lambda step, loss: print(f"step {step}: loss {loss:.4f}", file=sys.stderr, flush=True))
    path = train_lora(args.vlm_model, args.data, args.out or "runs/mmdm", steps=200 if args.steps is None else args.steps, rank=args.rank,
                      lr=args.lr, seed=args.seed, progress=log)
    print(f"adapter: {path}")
    return 0


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


# --------------------------------------------------------------------------- parser



def build_parser() -> argparse.ArgumentParser:
    from vmb.pipeline.composers import COMPOSERS, DEFAULT_GENERATOR

    parser = VmbArgumentParser(
        prog="vmb",
        description="New music for a video, an image or a text, offline (the VMB method: a text "
        "bridge describes the music, a music bridge retrieves references, a generator writes it).",
        epilog="run `vmb COMMAND --help` for each command's options and examples",
    )
    parser.add_argument("--version", action="version", version=f"vmb {vmb.__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

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

    p = sub.add_parser(
        "describe",
        help="describe the music that fits a text, an image or a video (the text bridge)",
        epilog=EXAMPLES_DESCRIBE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--text", metavar="T")
    p.add_argument("--text-file", metavar="FILE", help="read the text from a UTF-8 file")
    p.add_argument("--image", metavar="FILE")
    p.add_argument("--video", metavar="FILE")
    p.add_argument("--seed", type=seed_value, default=0)
    p.add_argument("--plot", metavar="PNG", help="save the visual analysis as a PNG")
    p.add_argument("--json", action="store_true", help="print the description as JSON")
    add_describer_options(p)
    p.set_defaults(func=cmd_describe)

    from vmb.cli_library import add_library_parser

    add_library_parser(sub)
    from vmb.cli_evaluate import add_evaluate_parser

    add_evaluate_parser(sub)

    p = sub.add_parser(
        "train",
        help="train a model (ecmg: the diffusion transformer with its ControlFormer)",
        epilog="examples:\n  vmb train ecmg --steps 10000 --out runs/ecmg\n"
        "  vmb train ecmg --data my_tunes.jsonl.gz --time-limit 3600   (resumes from runs/ecmg if present)\n"
        "  vmb train mmdm --data pairs.jsonl --vlm-model models/llava --out runs/mmdm --steps 200 --rank 8",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("model_name", choices=["ecmg", "mmdm"],
                   help="what to train (mmdm: LoRA fine-tuning of the VLM describer on --data pairs.jsonl)")
    p.add_argument("--data", metavar="PATH", help="tunes JSONL(.gz), or a folder of them or of MIDI/MusicXML/ABC "
                   "(default: the bundled corpus)")
    p.add_argument("--out", metavar="DIR", help="run folder: checkpoints, log, loss curve (default runs/ecmg; "
                   "mmdm: the adapter folder, default runs/mmdm)")
    p.add_argument("--model", default="default", help="model size preset: default or debug")
    p.add_argument("--steps", type=positive_int, help="training steps (default 10000; mmdm 200)")
    p.add_argument("--batch-size", type=positive_int, default=32)
    p.add_argument("--threads", type=positive_int, default=1, help="torch threads (1 is fastest on a busy 2-core machine)")
    p.add_argument("--max-tunes", type=positive_int, help="use only the first N tunes (quick runs)")
    p.add_argument("--time-limit", type=seconds, metavar="SECONDS", help="save and stop after this much time")
    p.add_argument("--melody-weight", type=finite_float, default=1.0, metavar="W",
                   help="ecmg: loss weight of the melody pitch channels (default 1)")
    p.add_argument("--seed", type=seed_value, default=0)
    p.add_argument("--fresh", action="store_true", help="start over instead of resuming the run folder")
    p.add_argument("--quiet", action="store_true")
    mm = p.add_argument_group("mmdm (LoRA on a VLM; pairs: {\"image\"|\"frames\", \"description\"} per line)")
    mm.add_argument("--vlm-model", metavar="DIR", help="the base VLM folder (or cached model id)")
    mm.add_argument("--rank", type=positive_int, default=8, help="LoRA rank (default 8)")
    mm.add_argument("--lr", type=finite_float, default=2e-4, help="learning rate (default 2e-4)")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("vocab", help="list the genres, moods, instruments, tempo classes and meters")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_vocab)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors: their exit status, returned
        return exc.code if isinstance(exc.code, int) else 2
    # Show vmb's own warnings (e.g. "no SoundFont, using the built-in synthesizer"), not
    # third-party deprecation noise.
    warnings.simplefilter("ignore")
    warnings.filterwarnings("default", module=r"vmb(\.|$)")
    warnings.formatwarning = lambda msg, cat, *a, **k: f"vmb: warning: {msg}\n"
    try:
        return args.func(args)
    except (VmbError, VocabError) as exc:
        print(f"vmb: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("vmb: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `vmb ... | head`: the reader left; stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
