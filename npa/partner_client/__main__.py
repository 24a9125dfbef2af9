"""`python -m npa.partner_client` runs the `npa-partner` command line."""

import sys

from npa.partner_client.cli import main

sys.exit(main())
