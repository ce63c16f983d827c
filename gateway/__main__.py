"""``python -m gateway`` is ``python -m gateway.render``."""

from gateway.render import main

raise SystemExit(main())
