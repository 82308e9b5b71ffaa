"""The video stage: read a video, find its cuts and motion, plan a tempo map that lands beats on
the cuts, and mux the music back onto the video.

    timing = analyze_timing("clip.mp4")                                  # VideoTiming
    plan = plan_tempo_map(timing, bpm_range=(90, 130), preferred_bpm=None)  # BeatPlan
    mux_audio("clip.mp4", audio, 44100, "out.mp4")                        # audio: (n, 2) float32
    plot_timing(timing, plan, "timing.png")
"""

from vmb.video.beatmap import BeatPlan, SyncStats, plan_tempo_map
from vmb.video.cuts import Cut, detect_cuts
from vmb.video.motion import motion_curve
from vmb.video.mux import decode_audio, mux_audio
from vmb.video.plot import plot_timing
from vmb.video.sections import plan_sections
from vmb.video.read import MAX_DURATION_S, VideoInfo, probe_video, sample_frames
from vmb.video.timing import analyze_timing

__all__ = [
    "MAX_DURATION_S",
    "BeatPlan",
    "Cut",
    "SyncStats",
    "VideoInfo",
    "analyze_timing",
    "decode_audio",
    "detect_cuts",
    "motion_curve",
    "mux_audio",
    "plan_sections",
    "plan_tempo_map",
    "plot_timing",
    "probe_video",
    "sample_frames",
]
