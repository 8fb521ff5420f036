"""Word 97-2003 (.doc) and WPS Office (.wps) files: converted to .docx by LibreOffice headless
(`soffice --headless --convert-to docx`), then read as a Word document.

LibreOffice is a system program, not a Python package: Debian's `libreoffice-writer-nogui`
(scripts/install-office). When it is missing the error says so and how to install it.
"""
import shutil
import subprocess
import tempfile
from pathlib import Path

from kbcore.limits import CONVERT_SECONDS

from .. import IngestError
from . import word
from .record import Extracted

PROGRAMS = ("soffice", "libreoffice")
INSTALL = "apt-get install -y libreoffice-writer-nogui (or run scripts/install-office)"


def read(path: Path) -> Extracted:
    kind = path.suffix.lower().lstrip(".")
    program = next(filter(None, map(shutil.which, PROGRAMS)), None)
    if program is None:
        raise IngestError(f"{path}: a .{kind} file is read by converting it with LibreOffice (soffice), "
                          f"which is not installed: {INSTALL}; or save it as .docx and add that")
    with tempfile.TemporaryDirectory(prefix="casekb-convert-") as tmp:
        source = Path(tmp) / f"document.{kind}"   # a plain name: soffice names its output after its input
        shutil.copyfile(path, source)
        command = [program, f"-env:UserInstallation={(Path(tmp) / 'profile').as_uri()}", "--headless",
                   "--norestore", "--convert-to", "docx", "--outdir", str(Path(tmp) / "out"), str(source)]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=CONVERT_SECONDS,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise IngestError(f"{path}: LibreOffice did not convert it within {CONVERT_SECONDS} s "
                              "(kbcore/limits.py CONVERT_SECONDS); save it as .docx and add that") from None
        converted = Path(tmp) / "out" / "document.docx"
        if not converted.exists():
            why = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            raise IngestError(f"{path}: LibreOffice could not convert it to .docx ({why[0]}); "
                              f"is it a {kind} document?")
        doc = word.read(converted)
    doc.format = kind
    return doc
