import sys

from http_mcp._cli import main

sys.exit(main())
