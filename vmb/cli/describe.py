"""``vmb describe``: only the text bridge (the music description and its reasoning)."""

from __future__ import annotations

import argparse
import sys

from vmb import VmbError
from vmb.cli.options import add_describer_options, input_files, load_describer_from_args, read_text_file, seed_value

EXAMPLES_DESCRIBE = """examples:
  vmb describe --text "a lonely walk through snowy woods"
  vmb describe --image photo.jpg --plot analysis.png
  vmb describe --video clip.mp4 --json
"""



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

        check_no_clobber([check_output_path(args.plot, (".png",))], input_files(args))
    describer = load_describer_from_args(args)
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


def add_parser(sub) -> None:
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
