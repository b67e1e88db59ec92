"""docs/ops-rollout.png, the README's picture of the /ops/rollout page: the real app on the
bundled emulator, real traffic from both variants while DynamoDB throttles 10% of the calls
(enough resilient requests for a verdict; the baseline's errors show), and Debian's headless
Chromium taking the picture.

Run from the repository root: `.venv/bin/python -m scripts.ops_screenshot` (about 20 s).
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from config_api.api.app import create_app
from config_api.observability.log import logger
from tests.support.browser import chromium
from tests.support.rollout_traffic import drive
from tests.support.stack import client, local_stack, serve

OUT = Path(__file__).resolve().parents[1] / "docs" / "ops-rollout.png"
PERCENT = 10  # the plan's first step
USERS = {"baseline": 40, "resilient": 110}  # 2 requests each; a verdict needs 200
THROTTLE = {
    "service": "dynamodb",
    "probability": 0.1,
    "error": {"statusCode": 400, "code": "ProvisionedThroughputExceededException"},
}


def main() -> None:
    logger.setLevel(logging.ERROR)  # the request log would bury the one line this prints
    with local_stack(rollout_percent=PERCENT) as stack:
        app = create_app(stack.settings)
        with serve(app, stack.settings) as url, client(url) as http:
            stack.chaos.faults([THROTTLE])
            try:
                drive(http, PERCENT, USERS)
            finally:
                stack.chaos.clear()
            with tempfile.TemporaryDirectory() as profile:
                size = "--window-size=1200,780"
                chromium(Path(profile), size, f"--screenshot={OUT}", f"{url}/ops/rollout")
    print(f"wrote {OUT.relative_to(OUT.parents[1])}")


if __name__ == "__main__":
    main()
