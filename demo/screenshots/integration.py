"""Screenshots of what a new user meets first, against the running demo (scripts/develop).

    python demo/screenshots/integration.py [OUT]     (a Python with Playwright)

Logs in as the demo user with headless Chromium (CHROMIUM, default /usr/bin/chromium; never
downloads a browser) and writes into OUT (docs/screenshots):

- integration-card.png: Settings > Devices & services, the LoWi3 card with its icon;
- device-page.png: the dongle's device page;
- add-integration.png: "Add integration" searched for "LoWi3": only the integration itself;
- config-flow-user.png: the first step of its manual setup.

It fails when the card shows no icon of ours, when "Add integration" lists the demo's helper,
or when the setup dialog shows a "Translation error". HA_URL sets the address
(http://127.0.0.1:8123).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
import os
from pathlib import Path
import sys
import tempfile

from playwright.sync_api import Page, sync_playwright

URL = os.environ.get("HA_URL", "http://127.0.0.1:8123")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
DOMAIN = "lowi_ores"


def check(condition: bool, failure: str) -> None:
    """Stop with `failure` when a check of what the user sees fails."""
    if not condition:
        raise RuntimeError(failure)


def login(page: Page) -> None:
    """Log in as the demo user."""
    page.goto(f"{URL}/config/integrations/dashboard")
    page.get_by_label("Username").fill("demo")
    page.get_by_label("Password", exact=True).fill("demo-password")
    page.keyboard.press("Enter")
    page.wait_for_url("**/config/integrations/dashboard", timeout=30000)


@contextmanager
def logged_in_page(out: Path, height: int) -> Iterator[Page]:
    """Yield a page of a headless Chromium logged in as the demo user; failed.png on a failure."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lowi3-chromium-") as profile, sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"],
            viewport={"width": 1280, "height": height},
            locale="en-GB",
            timezone_id="Europe/Brussels",
        )
        page = context.pages[0] if context.pages else context.new_page()
        try:
            login(page)
            yield page
        except Exception:
            page.screenshot(path=out / "failed.png", full_page=True)
            raise
        finally:
            context.close()


def brand_image_loaded(page: Page) -> bool:
    """Return True when an <img> of our brand icon is drawn on the page (shadow DOM included)."""
    return bool(
        page.evaluate(
            """(domain) => {
                const found = [];
                const walk = (root) => {
                    for (const el of root.querySelectorAll("*")) {
                        if (el.tagName === "IMG" && el.src.includes(`/brands/integration/${domain}/`)
                            && el.complete && el.naturalWidth > 0) found.push(el.src);
                        if (el.shadowRoot) walk(el.shadowRoot);
                    }
                };
                walk(document);
                return found.length;
            }""",
            DOMAIN,
        )
    )


def main(out: Path) -> None:
    """Take the screenshots; raise RuntimeError when a check fails."""
    with logged_in_page(out, 800) as page:
        page.get_by_text("LoWi3 P1 (ORES, Fluvius)").first.wait_for(timeout=30000)
        page.wait_for_timeout(3000)
        check(brand_image_loaded(page), "no brand icon on the integrations page")
        page.screenshot(path=out / "integration-card.png")

        page.goto(f"{URL}/config/integrations/integration/{DOMAIN}")
        page.get_by_text("LoWi3 3494546c709b").last.click(timeout=30000)
        page.wait_for_url("**/config/devices/device/**", timeout=30000)
        page.set_viewport_size({"width": 1280, "height": 1100})
        page.wait_for_timeout(4000)
        check(brand_image_loaded(page), "no brand icon on the device page")
        page.screenshot(path=out / "device-page.png")
        page.set_viewport_size({"width": 1280, "height": 800})

        page.goto(f"{URL}/config/integrations/dashboard")
        page.get_by_role("button", name="Add integration").click(timeout=30000)
        page.wait_for_timeout(2000)
        page.keyboard.type("LoWi3")
        page.wait_for_timeout(2000)
        # The demo's helper is called "LoWi3 demo: past days' statistics": not listed.
        check(page.get_by_text("LoWi3 P1 (ORES, Fluvius)").count() >= 1, "not listed")
        check(page.get_by_text("past days' statistics").count() == 0, "demo helper listed")
        page.screenshot(path=out / "add-integration.png")
        page.get_by_text("LoWi3 P1 (ORES, Fluvius)").last.click()
        page.get_by_text("Add a LoWi3 P1 dongle").wait_for(timeout=30000)
        page.wait_for_timeout(1500)
        check(page.get_by_text("Translation error").count() == 0, "Translation error")
        check(page.get_by_text("3494546c709b/PUB/CH0").count() == 1, "no description")
        page.screenshot(path=out / "config-flow-user.png")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots"))
