import sys

from fleet.driver import main

sys.exit(main(sys.argv[1:]))
