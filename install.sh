#!/usr/bin/env bash
# Installs vmb and what it needs on a fresh Debian/Ubuntu machine (no GPU, no internet but the
# package registries). Usage: bash install.sh [--dev]
set -euo pipefail
cd "$(dirname "$0")"

# The General MIDI SoundFont vmb renders with. Without it vmb still works with its own
# (plainer) synthesizer and says so.
if [ ! -f /usr/share/sounds/sf2/FluidR3_GM.sf2 ]; then
  if command -v apt-get >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq fluid-soundfont-gm >/dev/null \
      || echo "install.sh: could not install fluid-soundfont-gm; vmb will use its built-in synthesizer" >&2
  else
    echo "install.sh: apt-get not available; install a General MIDI SoundFont and set VMB_SOUNDFONT=/path/to.sf2 (vmb falls back to its built-in synthesizer)" >&2
  fi
fi

PIP="python3 -m pip"
$PIP install -q torch==2.13.0
$PIP install -q --no-deps tinysoundfont
if [ "${1:-}" = "--dev" ]; then
  $PIP install -q -e ".[dev]"
else
  $PIP install -q -e .
fi
