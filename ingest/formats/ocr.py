"""OCR with RapidOCR (the optional `casekb[ocr]` extra): its PP-OCR models ship inside the
wheel, so recognition runs offline; nothing is downloaded.

Every recognised page carries its mean confidence; readers report which pages were OCR'd.
"""
from functools import lru_cache
from pathlib import Path

from .. import IngestError
from .layout import Line, Page, join

PDF_SCALE = 150 / 72   # scanned PDF pages are read at 150 dpi (as accurate as 200 here, twice as fast)
INSTALL = "pip install -e '.[ocr]' (the casekb[ocr] extra)"


def engine(path: Path, why: str):
    """The OCR engine, or a clear error saying why the file needs it and how to install it."""
    try:
        return _engine()
    except ImportError:
        raise IngestError(f"{path}: {why}; reading it needs OCR, which is not installed: {INSTALL}") from None
    except Exception as e:  # a broken install (a model file missing or damaged) must not end in a traceback
        raise IngestError(f"{path}: {why}, and the OCR engine could not start ({e}); "
                          f"reinstall it: {INSTALL}") from None


@lru_cache(maxsize=1)
def _engine():
    from rapidocr import RapidOCR
    return RapidOCR(params={"Global.log_level": "error"})


def read_page(engine, number: int, image, scale: float = 1) -> tuple[Page, list[tuple[str, float]]]:
    """One image (a numpy array) -> a Page of lines, and each recognised text with its score.

    Coordinates are divided by `scale`, so that a PDF page rendered at `scale` is measured in
    the points of its text-layer neighbours (type sizes must compare across pages).
    """
    result = engine(image)
    found = list(zip(result.boxes, result.txts, result.scores)) if result.boxes is not None else []
    boxes = [(min(p[0] for p in box) / scale, max(p[0] for p in box) / scale, min(p[1] for p in box) / scale,
              max(p[1] for p in box) / scale, text) for box, text, _ in found if text.strip()]
    height, width = image.shape[:2]
    return Page(number, width / scale, height / scale, _lines(boxes, number)), [(t, s) for _, t, s in found]


def mean_confidence(read_pages) -> float | None:
    """Recognition scores averaged over characters."""
    scored = [(len(text), score) for _, texts in read_pages for text, score in texts]
    chars = sum(n for n, _ in scored)
    return round(sum(n * s for n, s in scored) / chars, 3) if chars else None


def _lines(boxes, number: int) -> list[Line]:
    """Text boxes -> lines: boxes whose vertical middles fall within each other's height are
    one line, read left to right; lines are read top to bottom."""
    lines: list[list] = []
    for box in sorted(boxes, key=lambda b: (b[2] + b[3]) / 2):
        middle = (box[2] + box[3]) / 2
        if lines and abs(middle - lines[-1][-1]) < (box[3] - box[2]) / 2:
            lines[-1][0].append(box)
        else:
            lines.append([[box], middle])
    out = []
    for members, _ in lines:
        members.sort(key=lambda b: b[0])
        text = members[0][4].strip()
        for prev, box in zip(members, members[1:]):
            text = join(text, box[4].strip(), spaced=box[0] - prev[1] > box[3] - box[2])
        out.append(Line(number, members[0][0], max(b[1] for b in members), min(b[2] for b in members),
                        max(b[3] for b in members), text))
    return out
