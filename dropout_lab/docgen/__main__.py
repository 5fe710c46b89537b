"""``python -m dropout_lab.docgen DIR``: write the generated reference pages into DIR (default
``site-reference``), to read them without MkDocs."""

import sys
from pathlib import Path

from . import pages

root = Path(sys.argv[1] if len(sys.argv) > 1 else "site-reference")
for path, text in pages().items():
    (root / path).parent.mkdir(parents=True, exist_ok=True)
    (root / path).write_text(text)
    print(root / path)
