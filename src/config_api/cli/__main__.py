"""`python -m config_api.cli`, the same as the `config-api` console script."""

import sys

from config_api.cli.main import main

sys.exit(main())
