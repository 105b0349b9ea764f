"""Print the packages a real Home Assistant start needs beyond the test requirements.

pytest-homeassistant-custom-component installs Home Assistant without the requirements of its
integrations. A real start (the end-to-end test, scripts/develop) loads the frontend whatever
the configuration, with default integrations such as infrared and radio_frequency, and the UI's
list of actions imports the conversation, camera and assistant integrations: their
requirements, at the versions this Home Assistant pins. scripts/setup
installs them in a folder of their own (not in the test venv), read through PYTHONPATH.

The voice pipeline's pinned audio packages publish no wheel for Python 3.14: their newest
releases (abi3 wheels) are taken instead. The demo and the test only import them, as Home
Assistant does when it lists its actions; no voice pipeline runs.
"""

import importlib.util
import json
from pathlib import Path

spec = importlib.util.find_spec("homeassistant")
if spec is None or spec.origin is None:
    raise SystemExit("Home Assistant is not installed in this environment")
components = Path(spec.origin).parent / "components"
requirements: list[str] = []
COMPONENTS = (
    "frontend",
    "conversation",
    "assist_pipeline",
    "camera",
    "tts",
    "ffmpeg",
    "infrared",
    "radio_frequency",
)
for component in COMPONENTS:
    manifest = json.loads((components / component / "manifest.json").read_text())
    for requirement in manifest.get("requirements", []):
        name = requirement.split("==")[0]
        requirements.append(name if component == "assist_pipeline" else requirement)
print(" ".join(requirements))
