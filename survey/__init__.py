"""Supply-chain dependency survey: questionnaires about contractors' reliance on an AI vendor."""

# Kept equal to pyproject.toml's version (tests/test_settings.py checks): the workbook's
# manifest names the software that wrote it.
from __future__ import annotations

__version__ = "0.1.0"
