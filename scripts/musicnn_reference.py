"""Write vmb/data/musicnn/reference.json: the distribution auto-tagging judges tags against.

The reference set is the 28 instrumental background tracks of PyPI ``immich-memories-music``
0.1.0 (MIT; made with ACE-Step 1.5; five mood folders calm, energetic, happy, nostalgic,
tender, each with acoustic and electronic tracks, ~30 s to 3 min): music of the kind a vmb
library holds, with no vocals and a spread of tempo, energy and instrumentation. Each track is
read the way ``vmb library add`` reads an audio file (``vmb.retrieve.analyze_audio.load_audio``:
the first 300 s, mono, 22.05 kHz) and heard the way auto-tagging hears it
(``vmb.listen.attributes.hear``: at most 10 patches spread over the track); the statistic per
model and tag is the clip probability (mean of the patch probabilities), whose mean and std
(ddof 0) over the tracks are stored (see :mod:`vmb.listen.attributes`).

Run from the repository root (about a minute on 2 cores; deterministic)::

    pip install immich-memories-music==0.1.0
    python scripts/musicnn_reference.py

28 tracks make a coarse yardstick: a z-score says "more than this set's typical track", not a
calibrated probability; the per-tag std is floored (``STD_FLOOR``) where the set hardly varies.
"""

from __future__ import annotations

import json
import sys

import numpy as np


def main() -> int:
    try:
        import immich_memories_music
    except ImportError:
        print("needs the reference tracks: pip install immich-memories-music==0.1.0", file=sys.stderr)
        return 1
    import torch

    from vmb.listen import MODEL_NAMES, load_tagger
    from vmb.listen.attributes import Reference, hear, reference_path
    from vmb.retrieve.analyze_audio import load_audio

    torch.set_num_threads(2)
    tracks = sorted(immich_memories_music.tracks_dir().rglob("*.opus"))
    taggers = tuple(load_tagger(name) for name in MODEL_NAMES)
    clip_tags: dict[str, list[np.ndarray]] = {t.name: [] for t in taggers}
    for path in tracks:
        y, sr = load_audio(path)
        for name, res in hear(y, sr, taggers=taggers).items():
            clip_tags[name].append(res.tags)
        print(f"{path.parent.name}/{path.name}: {len(y) / sr:.0f} s", file=sys.stderr)
    ref = Reference.from_clip_tags(
        f"immich-memories-music 0.1.0 ({len(tracks)} instrumental tracks)",
        {name: np.stack(v) for name, v in clip_tags.items()}, {t.name: t.tag_names for t in taggers})
    reference_path().write_text(json.dumps(ref.to_dict(), indent=1) + "\n", encoding="utf-8")
    print(f"wrote {reference_path()} ({ref.clips} clips)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
