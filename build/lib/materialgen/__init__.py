"""Translated, print-ready anti-trafficking materials: content + catalogs -> HTML -> PDF.

The stages, in the order data flows through them:

    languages, fonts, content  load and validate the data files (schema.py declares how)
    catalogs                   read the .po files, translate, record what was missing
    segment                    word boundaries for scripts written without spaces
    render                     Jinja2 templates -> HTML
    layout                     WeasyPrint, isolated from system fonts and files
    checks                     inspect the laid-out boxes before anything is written
    build                      run the stages per language and material, write PDFs atomically
"""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
