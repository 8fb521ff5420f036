"""Images of pages (.png, .jpg, .tif, ...): OCR, then the same layout rebuilding as a PDF."""
from pathlib import Path

import numpy as np

from .. import IngestError
from . import guards, ocr
from .layout import paragraphs
from .record import Extracted


def read(path: Path) -> Extracted:
    engine = ocr.engine(path, "an image holds no text layer")
    from PIL import Image, UnidentifiedImageError  # installed with the OCR extra
    try:
        with Image.open(path) as image:
            guards.check_pixels(path, *image.size)
            pixels = np.asarray(image.convert("L"))
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError) as e:
        raise IngestError(f"{path}: not a readable image ({e})") from None
    page, texts = ocr.read_page(engine, 1, pixels)
    return Extracted(path.suffix.lower().lstrip("."), paragraphs([page]), pages=1, ocr_pages=[1],
                     ocr_confidence=ocr.mean_confidence([(page, texts)]))
