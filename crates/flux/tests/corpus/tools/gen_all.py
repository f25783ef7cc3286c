"""Write every corpus case: `python3 gen_all.py` (from this directory)."""
import gen_universe  # noqa: F401
import gen_packages  # noqa: F401
import gen_language  # noqa: F401
from gen_lib import COUNT

print(len(COUNT), "cases")
