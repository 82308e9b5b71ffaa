"""``vmb train``: the diffusion generator (ecmg) or LoRA on the VLM describer (mmdm)."""

from __future__ import annotations

import argparse
import sys

from vmb import VmbError
from vmb.cli.options import finite_float, positive_int, seconds, seed_value


def cmd_train(args: argparse.Namespace) -> int:
    if args.model_name == "mmdm":
        return _train_mmdm(args)
    from vmb.generate.ecmg.train import TrainConfig, train

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


def add_parser(sub) -> None:
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
