"""How fast `casekb add` reads documents, and how accurately OCR reads scans.

Known text (the cleaned paragraphs of a corpus source) is printed to a PDF by headless
Chromium with a running head, running foot and page numbers; that PDF is read through its
text layer, then rasterised into scans (clean, and degraded by skew, blur and noise) that
are read by OCR. Character accuracy is 1 - edit distance / length, over the text without
whitespace, against what was printed; the running heads and page numbers count as errors
if they survive.

Usage: python bench/ingest.py [--source taicang-practice] [--dpi 150]
Needs /usr/bin/chromium (scripts/install-browser) and, for OCR, pip install -e '.[ocr]'.
"""
import argparse
import importlib.util
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Run as a script, this file's folder comes first on sys.path and `import ingest` would import
# this file; the tests' folder is where the document printer lives.
sys.path[:] = [str(ROOT / "tests")] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from documents import print_pdf  # noqa: E402
from ingest.clean import RESIDUE_FILE, clean, load_residue  # noqa: E402
from ingest.formats import read_document  # noqa: E402
from ingest.manifest import load_manifest  # noqa: E402
from ingest.read import read_text  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", default="taicang-practice", help="corpus source whose text is printed")
    parser.add_argument("--dpi", type=int, default=150, help="resolution of the rendered scans")
    parser.add_argument("--rounds", type=int, default=5, help="times the text-layer PDF is read")
    args = parser.parse_args()
    entry = next(e for e in load_manifest(ROOT / "corpus") if e["id"] == args.source)
    lines, _ = clean(read_text(entry["path"]), entry["file"], load_residue(ROOT / "corpus" / RESIDUE_FILE))
    paragraphs = [text for _, text in lines[1:]]
    with tempfile.TemporaryDirectory() as tmp:
        pdf = print_pdf(entry["title"], "".join(f"<p>{p}</p>" for p in paragraphs), Path(tmp))
        if pdf is None:
            sys.exit("bench/ingest.py needs /usr/bin/chromium to print its PDF (scripts/install-browser)")
        print(f"text: {entry['id']} 《{entry['title']}》, {sum(map(len, paragraphs)):,} characters in "
              f"{len(paragraphs)} paragraphs, printed by Chromium")
        reference = "".join(paragraphs)
        measure("text-layer PDF", pdf, reference, args.rounds)
        if importlib.util.find_spec("rapidocr") is None:
            print("OCR: not measured (pip install -e '.[ocr]')")
            return
        for name, degrade in (("clean scan", None), ("degraded scan", degraded)):
            scan = scanned(pdf, Path(tmp) / f"{name}.pdf", args.dpi, degrade)
            measure(f"OCR, {name} {args.dpi} dpi", scan, reference, 1)


def measure(name: str, path: Path, reference: str, rounds: int) -> None:
    read_document(path) if rounds > 1 else None  # warm-up when timing several rounds
    start = time.perf_counter()
    for _ in range(rounds):
        doc = read_document(path)
    seconds = (time.perf_counter() - start) / rounds
    text = "".join(t for _, t in doc.blocks)
    confidence = f", mean OCR confidence {doc.ocr_confidence:.3f}" if doc.ocr_pages else ""
    print(f"{name:<28} {doc.pages} pages  {doc.pages / seconds * 60:8.1f} pages/min  "
          f"({seconds / doc.pages:.2f} s/page)  character accuracy {accuracy(reference, text):.2%}{confidence}")


def scanned(pdf: Path, out: Path, dpi: int, degrade) -> Path:
    """The PDF as an image-only PDF: what a scanner makes of the print."""
    import pypdfium2 as pdfium
    images = [page.render(scale=dpi / 72, grayscale=True).to_pil() for page in pdfium.PdfDocument(str(pdf))]
    images = [degrade(image) if degrade else image for image in images]
    images[0].save(out, save_all=True, append_images=images[1:], resolution=dpi)
    return out


def degraded(image):
    """A worse scan: 0.4° skew, a little blur, grey noise (seeded, so runs compare)."""
    import numpy as np
    from PIL import Image, ImageFilter
    image = image.rotate(0.4, fillcolor=255, resample=Image.BICUBIC).filter(ImageFilter.GaussianBlur(0.7))
    noise = np.random.default_rng(14).normal(0, 12, (image.height, image.width))
    return Image.fromarray(np.clip(np.asarray(image, dtype=float) + noise, 0, 255).astype("uint8"))


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def accuracy(reference: str, text: str) -> float:
    reference, text = compact(reference), compact(text)
    return 1 - edit_distance(reference, text) / len(reference)


def edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


if __name__ == "__main__":
    main()
