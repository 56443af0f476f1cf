"""Generate a benchmark input: python bench/gen_nat.py --scale S|M|L|many [--seed N] OUT.

Thin wrapper over ``prefstore.sample_data`` so benchmarks run from a checkout
without installing the package.
"""

from __future__ import annotations

import sys
from pathlib import Path

try:
    from prefstore import sample_data
except ImportError:  # not installed: use the checkout's src/
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    from prefstore import sample_data

if __name__ == "__main__":
    sys.exit(sample_data.main())
