"""MkDocs hook: the reference pages generated from the code, and the pages other features bring.

``on_files`` adds :func:`dropout_lab.docgen.pages` (config keys, layers, commands, outputs,
the JSON Schema) to the site as generated files; ``on_config`` puts each page of
``OPTIONAL_PAGES`` into the nav when its file exists, so a feature that adds its page needs no
edit here, and a build without it has no broken nav entry.
"""

from __future__ import annotations

import sys
from pathlib import Path

from mkdocs.structure.files import File

# page -> (nav section, title); each joins the end of its section when docs/<page> exists
OPTIONAL_PAGES = {
    "guides/tuning.md": ("Tutorials", "Tuning"),
    "guides/regression.md": ("How-to guides", "Regression"),
    "studies/regression.md": ("Studies", "Regression"),
    "studies/gal_uci.md": ("Studies", "Gal's UCI table"),
}


def on_config(config):
    docs = Path(config["docs_dir"])
    for page, (section, title) in OPTIONAL_PAGES.items():
        if (docs / page).is_file():
            entries = next(item[section] for item in config["nav"] if isinstance(item, dict) and section in item)
            if not any(isinstance(e, dict) and page in e.values() for e in entries):
                entries.append({title: page})
    return config


def on_files(files, config):
    # the checkout being built documents itself, whatever dropout_lab is installed
    sys.path.insert(0, str(Path(config.config_file_path).resolve().parent))
    from dropout_lab.docgen import pages

    for path, text in pages().items():
        files.append(File.generated(config, path, content=text))
    return files
