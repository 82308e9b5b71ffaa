"""vmb's tests: one folder per vmb package (tests/render/test_mix.py tests vmb/render/mix.py).

A package, so that same-named files in different folders (describe/test_video.py,
pipeline/test_video.py) are distinct modules; shared file builders are in ``tests.fixtures``.
"""
