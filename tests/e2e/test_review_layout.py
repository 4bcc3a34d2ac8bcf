"""The review overview at 1280 px: organisation names and sub-goal titles wrap between words,
never inside one ("Kuml a", "Örebr o")."""
from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.conftest import login

# For each cell: the words wider than the cell's content box (the browser must break them).
WORDS_WIDER_THAN_THEIR_CELL = """() => {
  const canvas = document.createElement("canvas").getContext("2d");
  const broken = [];
  for (const cell of document.querySelectorAll("table.overview th")) {
    const style = getComputedStyle(cell);
    canvas.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    const width = cell.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    const text = Array.from(cell.childNodes).filter(n => n.nodeType === 3 || !n.classList.contains("visually-hidden"))
      .map(n => n.textContent).join(" ");
    for (const word of text.split(/\\s+/).filter(Boolean)) {
      if (canvas.measureText(word).width > width + 0.5) broken.push(word + " in " + text.trim());
    }
  }
  return broken;
}"""


def test_review_overview_breaks_no_name_inside_a_word_at_1280_px(page: Page) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    login(page, "granskare@example.se")
    page.goto("/granskning/omgang/1")
    expect(page.get_by_role("table")).to_be_visible()
    assert page.locator("table.overview tbody th").count() >= 12
    assert page.evaluate(WORDS_WIDER_THAN_THEIR_CELL) == []
