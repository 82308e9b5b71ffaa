"""A tiny valid SoundFont 2 file for synthesizer tests: no big General MIDI font needed.

``write_sf2(path)`` writes (about 10 KB):

- bank 0 preset 0 "Sine": a looped sine sample, 440 Hz at key 69 (so any key is in tune);
- bank 128 preset 0 "Kit 0" and preset 8 "Kit 8": one-shot sine blips, 1000 Hz and 2000 Hz at
  every key, so a test can tell which kit played.

Both tinysoundfont and FluidSynth load it.
"""

from __future__ import annotations

import math
import struct
from pathlib import Path

SAMPLE_RATE = 44000  # the sample's own rate: 100 samples = one 440 Hz cycle exactly
_LOOP = 2000  # 20 cycles of the 440 Hz sine
_BLIP = 2200  # one-shot length of the kit samples (50 ms)
_PAD = 46  # zero samples SoundFont 2 requires after each sample

# Generator numbers (SoundFont 2.04, section 8.1.2)
_INSTRUMENT, _SAMPLE_ID, _SAMPLE_MODES, _ROOT_KEY, _RELEASE_VOL_ENV = 41, 53, 54, 58, 38


def _chunk(tag: bytes, data: bytes) -> bytes:
    if len(data) % 2:
        data += b"\0"
    return tag + struct.pack("<I", len(data)) + data


def _list(kind: bytes, *chunks: bytes) -> bytes:
    return _chunk(b"LIST", kind + b"".join(chunks))


def _name(text: str) -> bytes:
    return text.encode("ascii")[:19].ljust(20, b"\0")


def _gen(oper: int, amount: int) -> bytes:
    return struct.pack("<Hh", oper, amount)


def _sine(freq: float, n: int, amplitude: float = 0.5) -> list[int]:
    return [round(amplitude * 32767 * math.sin(2 * math.pi * freq * i / SAMPLE_RATE)) for i in range(n)]


def write_sf2(path: str | Path) -> Path:
    """Write the test SoundFont to ``path`` and return it as a Path."""
    # Samples: 0 = looped 440 Hz sine (root key 69), 1 = 1000 Hz blip, 2 = 2000 Hz blip (both
    # pitched at root key 60 and played with scaleTuning 0 below, so every key plays them as is).
    waves = [_sine(440.0, _LOOP), _sine(1000.0, _BLIP), _sine(2000.0, _BLIP)]
    for wave in waves[1:]:  # a short fade-out so the blips end without a click
        for i in range(200):
            wave[-200 + i] = int(wave[-200 + i] * (199 - i) / 199)
    smpl, headers, offset = b"", b"", 0
    for k, (wave, root) in enumerate(zip(waves, (69, 60, 60))):
        smpl += struct.pack(f"<{len(wave)}h", *wave) + b"\0\0" * _PAD
        start, end = offset, offset + len(wave)
        loop = (start, end) if k == 0 else (start + 8, end - 8)
        headers += _name(f"wave{k}") + struct.pack("<IIIIIBbHH", start, end, *loop, SAMPLE_RATE, root, 0, 0, 1)
        offset = end + _PAD
    headers += _name("EOS") + b"\0" * 26

    # Instruments: each one zone (generators in the required order, sampleID last).
    inst_gens = [
        [_gen(_RELEASE_VOL_ENV, -5186), _gen(_SAMPLE_MODES, 1), _gen(_SAMPLE_ID, 0)],  # 50 ms release
        [_gen(56, 0), _gen(_SAMPLE_ID, 1)],  # 56 = scaleTuning 0: every key plays the sample's pitch
        [_gen(56, 0), _gen(_SAMPLE_ID, 2)],
    ]
    inst, ibag, igen = b"", b"", b""
    for k, gens in enumerate(inst_gens):
        inst += _name(f"inst{k}") + struct.pack("<H", k)
        ibag += struct.pack("<HH", len(igen) // 4, 0)
        igen += b"".join(gens)
    inst += _name("EOI") + struct.pack("<H", len(inst_gens))
    ibag += struct.pack("<HH", len(igen) // 4, 0)
    igen += b"\0" * 4

    # Presets: (name, preset, bank, instrument)
    presets = [("Sine", 0, 0, 0), ("Kit 0", 0, 128, 1), ("Kit 8", 8, 128, 2)]
    phdr, pbag, pgen = b"", b"", b""
    for k, (name, number, bank, instrument) in enumerate(presets):
        phdr += _name(name) + struct.pack("<HHHIII", number, bank, k, 0, 0, 0)
        pbag += struct.pack("<HH", len(pgen) // 4, 0)
        pgen += _gen(_INSTRUMENT, instrument)
    phdr += _name("EOP") + struct.pack("<HHHIII", 0, 0, len(presets), 0, 0, 0)
    pbag += struct.pack("<HH", len(pgen) // 4, 0)
    pgen += b"\0" * 4

    body = b"sfbk" + _list(
        b"INFO", _chunk(b"ifil", struct.pack("<HH", 2, 1)), _chunk(b"isng", b"EMU8000\0"),
        _chunk(b"INAM", b"vmb test font\0"),
    ) + _list(b"sdta", _chunk(b"smpl", smpl)) + _list(
        b"pdta", _chunk(b"phdr", phdr), _chunk(b"pbag", pbag), _chunk(b"pmod", b"\0" * 10),
        _chunk(b"pgen", pgen), _chunk(b"inst", inst), _chunk(b"ibag", ibag), _chunk(b"imod", b"\0" * 10),
        _chunk(b"igen", igen), _chunk(b"shdr", headers),
    )
    path = Path(path)
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    return path
