"""`python -m http_mcp`: the `http-mcp` command."""

import sys

from http_mcp._cli import main

sys.exit(main())
