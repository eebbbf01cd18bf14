"""`bridge preview` in a real browser (Playwright + Debian's Chromium, as tests/test_web.py): a save
changes the page's picture, a broken file shows its error with its line over the last good
picture, and fixing it brings a new picture."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.test_preview import SCENE
from tests.test_web import CHROMIUM_ARGS, _axe

WAIT_MS = 120_000  # the first picture: a spawned process imports VTK and draws every panel (2 busy cores)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path("/usr/bin/chromium").exists():
        pytest.fail("Chromium is needed for the browser tests (scripts/setup.sh installs Debian's chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def previewed(workdir: Path):
    from bridge.preview.app import PreviewServer
    from bridge.room.load import load_room

    scene = workdir / "scene.yaml"
    scene.write_text(SCENE)
    server = PreviewServer(scene, load_room("bridge"), (1024, 512))
    yield scene, server
    server.close()


def _flat(page) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(page.locator("#flat-wrap").screenshot())).convert("RGB")).astype(int)


@pytest.mark.slow
def test_saving_the_scene_changes_the_picture_and_an_error_keeps_the_last_good_one(browser, previewed):
    from playwright.sync_api import expect

    scene, server = previewed
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(server.url)
    page.wait_for_selector("#flat[data-shown='1']", timeout=WAIT_MS)
    page.wait_for_selector("#pano[data-shown='1']", timeout=WAIT_MS)  # the watch page's 360° viewer
    page.uncheck("#show-overlay")  # the picture alone
    first = _flat(page)
    assert page.locator("#overlay polygon.panel").count() == 2  # both panels outlined with their ids
    expect(page.locator("#overlay text.panel-label")).to_have_text(["left", "right"])

    scene.write_text(SCENE.replace("title: Right", "title: Changed"))
    page.wait_for_selector("#flat[data-shown='2']", timeout=30_000)
    second = _flat(page)
    changed = np.argwhere(np.abs(second - first).max(axis=2) > 64)
    assert len(changed), "the page's picture did not change"
    assert changed[:, 1].min() > first.shape[1] / 2  # the right panel's title, right of straight ahead

    scene.write_text(SCENE.replace("steps:", "steps: [", 1))
    expect(page.locator("#errors")).to_be_visible(timeout=30_000)
    expect(page.locator("#error-list")).to_contain_text("scene.yaml:9")
    assert page.get_attribute("#flat", "data-shown") == "2" and page.get_attribute("body", "data-frame") == "2"
    assert page.get_attribute("#flat", "src").endswith("v=2")  # the last good picture stays
    assert page.get_attribute("#pano", "data-shown") == "2"

    scene.write_text(SCENE.replace("title: Right", "title: Fixed"))
    page.wait_for_selector("#flat[data-shown='3']", timeout=30_000)
    expect(page.locator("#errors")).to_be_hidden()
    assert np.abs(_flat(page) - second).max() > 64  # the new picture

    page.check("#show-overlay")
    page.locator("#overlay polygon[data-panel='right']").click()
    expect(page.locator("#yaml")).to_contain_text("id: right")
    expect(page.locator("#panel-heading")).to_contain_text("scene.yaml:")
    _axe(page)  # WCAG 2.1 A and AA, as the show's pages

    # a parameter: its picker offers the remote's values, and picking one draws the panels that read it
    asking = SCENE.replace("title: Preview\n", "title: Preview\nparams:\n  place: {type: choice, values: [Ludlow, Oswestry]}\n")
    scene.write_text(asking.replace("text: Two", "text: 'In {params.place}'"))
    page.wait_for_selector("#flat[data-shown='4']", timeout=30_000)
    page.uncheck("#show-overlay")
    before = _flat(page)
    page.select_option("select[data-param='place']", label="Oswestry")
    page.wait_for_selector("#flat[data-shown='5']", timeout=30_000)
    assert np.abs(_flat(page) - before).max() > 64
    assert errors == []
    page.close()
