"""Screenshots of the capacity tariff, against the running demo (scripts/develop).

    python demo/screenshots/capacity.py [OUT]     (a Python with Playwright)

Logs in as the demo user (see integration.py) and writes into OUT (docs/screenshots):

- capacity-dashboard.png: the demo dashboard's "Capacity tariff" section;
- capacity-options.png: Configure > Billing > Flanders, the capacity tariff's fields;
- capacity-options-error.png: the same form refusing a rate of 600 EUR per kW a year.

It fails when a figure is missing or unavailable, or when a form shows a "Translation error".
"""

from __future__ import annotations

from pathlib import Path
import sys

from integration import URL, check, logged_in_page
from playwright.sync_api import Page


def open_billing_form(page: Page) -> None:
    """Open the options, choose Billing, then Flanders: the capacity tariff's form."""
    page.goto(f"{URL}/config/integrations/integration/lowi_ores")
    page.get_by_role("button", name="Configure").first.click(timeout=30000)
    page.get_by_text("Billing: region and contract").click(timeout=30000)
    page.get_by_text("Where is the meter?").wait_for(timeout=30000)
    page.locator("ha-select").first.click()  # the region's list
    page.wait_for_timeout(1000)
    page.get_by_text("Flanders", exact=True).last.click(timeout=10000)
    page.wait_for_timeout(500)
    page.get_by_role("button", name="Submit").click()
    page.get_by_text("Capacity tariff per kW a year").wait_for(timeout=30000)
    page.wait_for_timeout(1500)


def main(out: Path) -> None:
    """Take the screenshots; raise RuntimeError when a check fails."""
    with logged_in_page(out, 1000) as page:
        page.set_viewport_size({"width": 1280, "height": 1950})
        page.goto(f"{URL}/dashboard-lowi3/live")
        page.get_by_text("Capacity tariff", exact=True).wait_for(timeout=30000)
        page.wait_for_timeout(5000)
        for name in ("Month peak", "Billed power (12-month mean)", "Peak warning"):
            check(page.get_by_text(name).count() >= 1, f"no {name} on the dashboard")
        check(page.get_by_text("Unavailable").count() == 0, "a figure is unavailable")
        page.screenshot(path=out / "capacity-dashboard.png")
        page.set_viewport_size({"width": 1280, "height": 1000})

        open_billing_form(page)
        check(page.get_by_text("Translation error").count() == 0, "Translation error")
        page.screenshot(path=out / "capacity-options.png", full_page=True)
        rate = page.locator('input[type="number"]').first  # the rate, first number field
        check(rate.input_value() == "56.5", "the rate is not the 2026 default")
        rate.fill("600")
        page.get_by_role("button", name="Submit").click()
        page.get_by_text("must be between 0 and 500 EUR").wait_for(timeout=30000)
        page.wait_for_timeout(1000)
        page.screenshot(path=out / "capacity-options-error.png", full_page=True)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots"))
