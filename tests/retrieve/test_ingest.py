import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter

import numpy as np
import pytest

from tests.fixtures.library import write_click_track, write_corrupt, write_midi
from vmb import VmbError
from vmb.retrieve.ingest import analyze_file, file_hash, find_files, ingest, reference_entry
from vmb.retrieve.store import Library


def midi_folder(folder, n: int):
    """``n`` distinct MIDI files (transposed copies of the test tune) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    return [write_midi(folder / f"tune{i:02d}.mid", transpose=i % 12 - 5, bpm=60 + 5 * i) for i in range(n)]


def test_ingest_reports_broken_files_by_name_and_goes_on(tmp_path):
    music = tmp_path / "music"
    good = midi_folder(music, 2)
    (music / "sub").mkdir()
    write_click_track(music / "sub" / "click.wav", seconds=3.0)
    write_corrupt(music / "broken.mid")
    write_corrupt(music / "sub" / "broken.wav", seed=1)
    (music / "empty.flac").write_bytes(b"")
    (music / "readme.txt").write_text("ignored inside folders")
    library = Library.open(tmp_path / "lib")
    report = ingest(library, [music, tmp_path / "missing.mid", music / "readme.txt"], workers=1,
                    progress=False, transcribe=False)
    failed = dict(report.failed)
    assert set(failed) == {str(music / "broken.mid"), str(music / "sub" / "broken.wav"),
                           str(music / "empty.flac"), str(tmp_path / "missing.mid"), str(music / "readme.txt")}
    assert "MIDI" in failed[str(music / "broken.mid")] and "audio" in failed[str(music / "sub" / "broken.wav")]
    assert "unsupported file type .txt" in failed[str(music / "readme.txt")]
    assert report.added_files == 3 and library.count() == 3
    (entry,) = library.list({"content_hash": file_hash(good[0])})
    assert entry.content_hash == file_hash(good[0]) and entry.source == str(good[0].resolve())
    assert entry.key and entry.mode == "minor" and entry.meter == "3/4" and entry.description
    assert entry.lead_sheet is not None and len(entry.lead_sheet.melody) >= 20
    assert "strings" in entry.instruments and "violin" in entry.instruments
    assert library.get_analysis(entry.id)["kind"] == "midi"
    click = library.list({"source_prefix": str((music / "sub").resolve())})[0]
    assert click.lead_sheet.melody == [] and library.get_analysis(click.id)["transcribed"] is False
    # a second run adds nothing and says why
    again = ingest(library, [music], workers=1, progress=False, transcribe=False)
    assert again.added == [] and len(again.skipped_existing) == 3 and library.count() == 3


def test_same_bytes_twice_is_one_entry(tmp_path):
    files = midi_folder(tmp_path / "music", 3)
    (tmp_path / "music" / "copy.mid").write_bytes(files[0].read_bytes())
    library = Library.open(tmp_path / "lib")
    report = ingest(library, [tmp_path / "music"], workers=1, progress=False)
    assert report.added_files == 3 and report.skipped_existing == [str(files[0].resolve())]


def test_find_files_sorted_and_deduplicated(tmp_path):
    files = midi_folder(tmp_path, 3)
    found, failed = find_files([tmp_path, files[1]])
    assert found == sorted(f.resolve() for f in files) and failed == []


SLOW_TAGGER = '''
import time
from vmb.retrieve.autotag import RuleTagger

class SlowTagger(RuleTagger):
    """The rule tagger, slowed down so the test can interrupt an ingest midway."""
    def tag(self, *args, **kwargs):
        time.sleep(0.2)
        return super().tag(*args, **kwargs)
'''

RUN_INGEST = '''
import sys
from slow_tagger import SlowTagger
from vmb.retrieve.ingest import ingest
from vmb.retrieve.store import Library

if __name__ == "__main__":
    ingest(Library.open(sys.argv[1]), [sys.argv[2]], workers=int(sys.argv[3]), batch_size=2, progress=False,
           tagger=SlowTagger())
'''


# SIGKILL hits the whole process group of a pool ingest; SIGINT (Ctrl-C) an in-process one.
@pytest.mark.parametrize("sig,workers", [(signal.SIGKILL, 2), (signal.SIGINT, 1)])
def test_interrupted_ingest_then_rerun_holds_every_file_once(tmp_path, sig, workers):
    files = midi_folder(tmp_path / "music", 12)
    (tmp_path / "slow_tagger.py").write_text(SLOW_TAGGER)
    (tmp_path / "run_ingest.py").write_text(textwrap.dedent(RUN_INGEST))
    lib_path = tmp_path / "lib"
    Library.open(lib_path)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    proc = subprocess.Popen([sys.executable, str(tmp_path / "run_ingest.py"), str(lib_path),
                             str(tmp_path / "music"), str(workers)], env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 60
        while Library.open(lib_path).count() < 2 and time.time() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert proc.poll() is None, "the ingest finished before it could be interrupted"
        if sig == signal.SIGKILL:
            os.killpg(proc.pid, signal.SIGKILL)  # the ingest and its workers, mid-run
        else:
            os.kill(proc.pid, signal.SIGINT)  # Ctrl-C: the batch in hand is written first
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode != 0
    if sig == signal.SIGINT:
        assert b"KeyboardInterrupt" in err
    library = Library.open(lib_path)
    partial = library.count()
    assert 2 <= partial < len(files)
    for entry in library.list(limit=2):  # what the workers wrote is what an in-process run makes
        assert analyze_file(entry.source, entry.content_hash).entries == [entry]
    report = ingest(library, [tmp_path / "music"], workers=1, progress=False)
    assert report.failed == [] and report.added_files == len(files) - partial
    hashes = Counter(e.content_hash for e in library.list(limit=None))
    assert hashes == Counter({file_hash(f): 1 for f in files})


def test_reference_entry_uses_the_same_analysis(tmp_path):
    path = write_midi(tmp_path / "mine.mid", bpm=140, meter=(4, 4))
    entry, vector = reference_entry(path)
    assert entry.bpm == 140 and entry.tempo_class == "fast" and vector.shape == (384,)
    library = Library.open(tmp_path / "lib")
    ingest(library, [path], progress=False)
    stored, _ = reference_entry(path, library=library)
    assert stored == library.list()[0]
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(VmbError, match="unsupported"):
        reference_entry(tmp_path / "notes.txt")
    with pytest.raises(VmbError, match="not a readable MIDI"):
        reference_entry(write_corrupt(tmp_path / "bad.mid"))


def test_every_audio_format_ffmpeg_decodes_is_ingested_and_skips_are_named(tmp_path, capsys):
    """Opus, M4A/AAC, WebM and AIFF are ingested (a folder of .opus was silently skipped), and
    every file that is skipped is named with its reason."""
    import soundfile as sf

    from vmb.cli import main

    music = tmp_path / "music"
    music.mkdir()
    from tests.fixtures.video import make_audio_only

    make_audio_only(music / "a.opus", duration_s=3.0, rate=48000, codec="libopus", container="ogg")
    make_audio_only(music / "b.m4a", duration_s=3.0)
    make_audio_only(music / "c.webm", duration_s=3.0, rate=48000, codec="libopus", container="webm")
    t = np.arange(3 * 22050) / 22050
    sf.write(music / "d.aiff", (0.2 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 22050, format="AIFF")
    (music / "notes.txt").write_text("not music")
    (music / ".DS_Store").write_bytes(b"\0")
    assert main(["library", "--library", str(tmp_path / "lib"), "add", str(music), "--workers", "1",
                 "--no-transcribe"]) == 0
    out, err = capsys.readouterr()
    assert "added 4 file(s)" in out
    assert "notes.txt: unsupported file type .txt" in err and ".DS_Store" not in err
