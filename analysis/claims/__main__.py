"""``python -m analysis.claims [--out DIR]``: write figures/claims.csv and figures/claims.json."""

from .export import main

raise SystemExit(main())
