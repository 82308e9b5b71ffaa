import sys

from vmb.cli import main

sys.exit(main())
