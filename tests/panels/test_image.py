"""Image panels (bridge/panels/image.py): a picture file on a card; a missing file is located."""

from tests.panels.helpers import assert_error_located, draw, scene_with


def test_image_is_drawn_on_the_card(workdir):
    b = scene_with(workdir, "  - {id: p, type: image, path: data/room-plan.png, width: 30, height: 20}\n")
    image = draw(b).image.astype(int)
    saturated = (image.max(axis=-1) - image.min(axis=-1)) > 80  # the plan's coloured arcs; the card is grey-blue
    assert saturated.mean() > 0.002


def test_missing_image_is_located(workdir):
    assert_error_located(workdir, "{id: p, type: image, path: data/nope.png, width: 30, height: 20}", "image not found")
