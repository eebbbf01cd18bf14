"""The presenter's state machine on its own: steps, jumps, blackout, freeze, reload, quit."""

import pytest

from bridge.show.presenter import Presenter, View


class Clock:
    def __init__(self):
        self.t = 100.0

    def __call__(self):
        return self.t


def press(p: Presenter, *keys: str) -> list[str]:
    return [p.key(k) for k in keys]


@pytest.mark.parametrize("key", ["Right", "Down", "Next", "space", "Return", "n", "N"])
def test_every_next_key_advances(key):
    p = Presenter(3)
    assert p.key(key) == "step 2"
    assert p.view == View("step", 1)


@pytest.mark.parametrize("key", ["Left", "Up", "Prior", "BackSpace", "p", "P"])
def test_every_previous_key_goes_back(key):
    p = Presenter(3)
    p.go(2)
    assert p.key(key) == "step 2"
    assert p.step == 1


def test_steps_clamp_at_both_ends_and_home_end():
    p = Presenter(4)
    assert p.key("Left") == "step 1 (no change)"
    assert p.key("End") == "step 4"
    assert p.key("Right") == "step 4 (no change)"
    assert p.key("Home") == "step 1"


def test_digits_then_return_jump():
    p = Presenter(12)
    assert press(p, "1", "1") == ["go to 1…", "go to 11…"]
    assert p.step == 0  # nothing moves until Enter
    assert p.key("Return") == "step 11"
    assert p.digits == ""
    assert press(p, "KP_3", "KP_Enter") == ["go to 3…", "step 3"]
    assert press(p, "9", "9", "Return") == ["go to 9…", "go to 99…", "no step 99; steps are 1..12"]
    assert p.step == 2


def test_digit_buffer_backspace_and_cancel():
    p = Presenter(12)
    assert press(p, "1", "2", "BackSpace") == ["go to 1…", "go to 12…", "go to 1…"]
    assert p.key("Return") == "step 1 (no change)"
    press(p, "5")
    assert p.key("Escape") == "jump cancelled"
    assert not p.quit_pending  # Escape cleared the number, it did not arm quit
    assert p.key("Right") == "step 2"


def test_blackout_toggles_and_navigation_brings_the_picture_back_first():
    p = Presenter(3)
    assert p.key("b") == "blackout on"
    assert p.view == View("black")
    assert p.key("period") == "blackout off"
    assert p.view == View("step", 0)
    p.key("b")
    assert p.key("Right") == "picture back"
    assert p.view == View("step", 0)  # did not skip a step in the dark
    assert p.key("Right") == "step 2"


def test_whiteout_replaces_blackout():
    p = Presenter(3)
    p.key("b")
    assert p.key("w") == "white-out on"
    assert p.view == View("white")
    assert p.key("b") == "blackout on"
    assert p.view == View("black")
    assert not p.whiteout


def test_freeze_keeps_the_room_while_the_presenter_moves():
    p = Presenter(5)
    p.key("Right")
    assert p.key("f") == "frozen"
    press(p, "Right", "Right")
    assert p.step == 3
    assert p.view == View("step", 1)
    assert p.key("f") == "unfrozen"
    assert p.view == View("step", 3)


def test_reload_is_a_request_taken_once():
    p = Presenter(2)
    assert p.key("r") == "reload requested"
    assert p.take_reload_request() is True
    assert p.take_reload_request() is False


def test_quit_needs_a_second_press_within_the_window():
    clock = Clock()
    p = Presenter(2, quit_window=3.0, clock=clock)
    assert p.key("Escape").startswith("quit?")
    assert not p.quit
    clock.t += 5  # too late: asks again
    assert p.key("q").startswith("quit?")
    clock.t += 1
    assert p.key("Escape") == "quit"
    assert p.quit


def test_another_key_disarms_quit():
    p = Presenter(2, clock=Clock())
    p.key("q")
    p.key("Right")
    assert not p.quit_pending
    assert p.key("q").startswith("quit?")
    assert not p.quit


def test_step_count_change_after_reload_keeps_position_when_possible():
    p = Presenter(5)
    p.go(4)
    p.key("f")
    p.set_step_count(3)
    assert p.step == 2 and p.view == View("step", 2)
    p.set_step_count(6)
    assert p.step == 2


def test_unknown_keys_are_ignored():
    p = Presenter(2)
    assert p.key("F7") == "ignored"
    assert p.view == View("step", 0)


def _with_params():
    from bridge.show.presenter import ParamSpec

    p = Presenter(3)
    p.set_params([ParamSpec("ward", ("all", "Castle", "Abbey"), ("All wards", "Castle", "Abbey"), "all"),
                  ParamSpec("top", (3.0, 4.0, 5.0), ("3", "4", "5"), 5.0)],
                 [{}, {"ward": "Abbey"}, {}])
    return p


def test_parameter_keys_pick_and_step_through_values_and_reset():
    p = _with_params()
    assert p.values() == {"ward": "all", "top": 5.0}
    assert p.key("plus") == "ward: Castle" and p.values()["ward"] == "Castle"
    assert p.key("bracketright") == "ward: Abbey"
    assert p.key("plus") == "ward: Abbey (no change)"  # the end of the list: no wrap to 'all'
    assert p.key("Tab") == "parameter top: 5"
    assert p.key("minus") == "top: 4" and p.key("KP_Subtract") == "top: 3"
    assert p.key("x") == "top: back to 5" and p.values()["top"] == 5.0
    assert p.key("ISO_Left_Tab") == "parameter ward: Abbey"


def test_a_steps_value_shows_unless_the_presenter_picked_one():
    p = _with_params()
    p.go(1)
    assert p.value("ward") == "Abbey"  # the step visits a ward
    p.go(0)
    p.set_param("ward", "Castle")
    p.go(1)
    assert p.value("ward") == "Castle"  # the room's question wins until reset
    assert p.reset_param("ward") == "ward: back to Abbey"
    assert p.set_param("ward", "Nowhere") == "'Nowhere' is not a value of ward" and p.value("ward") == "Abbey"
    assert p.set_param("wrd", "Castle") == "no parameter 'wrd'"


def test_parameter_keys_in_a_scene_without_parameters_do_nothing():
    p = Presenter(2)
    assert p.key("plus") == "this scene has no parameters" and p.step == 0
