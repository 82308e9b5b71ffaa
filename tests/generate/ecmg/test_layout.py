"""The roll's grid (vmb.generate.ecmg.layout): rows per bar and pulse, beats <-> rows."""

from vmb.generate.ecmg.layout import bar_steps, beat_to_step, pulse_steps, step_to_beat


def test_grid_conversions():
    assert [bar_steps(m) for m in ("4/4", "3/4", "6/8", "2/4")] == [16, 12, 12, 8]
    assert beat_to_step(3.0, "3/4") == 16  # the second 3/4 bar starts at row 16
    assert beat_to_step(2.99, "3/4") == 16  # rounding onto the bar line moves to the next bar
    assert step_to_beat(17, "3/4") == 3.25
    assert [pulse_steps(m) for m in ("4/4", "3/4", "6/8", "2/4")] == [4, 4, 6, 4]  # a dotted quarter in 6/8
