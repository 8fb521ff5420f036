"""How much faster is ingest/postagger.py's decoder than jieba's own, and are the tags the same?

Tags the bundled corpus's passages, then synthetic passages made as bench/scale.py makes them
(sentences of the bundled corpus recombined: they repeat runs far more than a real library does, so
the kept runs help them more), each with jieba's decoder and with postagger's, alternately, ROUNDS
times, in CPU seconds of this process (the machine may be shared: compare the ratio, not the times).

Usage: python bench/postagger.py [--passages 2000]
"""
import argparse
import random
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

import jieba.posseg  # noqa: E402

from ingest import postagger  # noqa: E402
from ingest.pipeline import ingest_tables  # noqa: E402
from kbcore import words  # noqa: E402

ROUNDS = 3
_SENTENCE = re.compile(r"[^。！？]+[。！？]")


def tag_all(texts, fast: bool) -> tuple[list, float]:
    jieba.posseg.viterbi = postagger.viterbi if fast else postagger.jieba_viterbi.viterbi
    postagger._decode.cache_clear()
    started = time.process_time()
    tags = [list(jieba.posseg.cut(t)) for t in texts]
    return [[tuple(p) for p in t] for t in tags], time.process_time() - started


def compare(name: str, texts: list[str]) -> None:
    times = {False: [], True: []}
    same = True
    for _ in range(ROUNDS):
        slow, slow_s = tag_all(texts, False)
        fast, fast_s = tag_all(texts, True)
        times[False].append(slow_s)
        times[True].append(fast_s)
        same = same and slow == fast
    jieba_ms, fast_ms = (min(times[k]) / len(texts) * 1000 for k in (False, True))
    print(f"{name:<34} {len(texts):>6} {jieba_ms:>10.2f} {fast_ms:>10.2f} {jieba_ms / fast_ms:>6.2f}x  "
          f"{'identical' if same else 'DIFFERENT'}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--passages", type=int, default=2000, help="synthetic passages")
    args = parser.parse_args()
    words.init()
    tables, _ = ingest_tables(ROOT / "corpus")
    bundled = [p["text"] for p in tables["passages"]]
    sentences = [s for t in bundled for s in _SENTENCE.findall(t) if len(s) >= 8]
    rng = random.Random(12)
    synthetic = ["".join(rng.choices(sentences, k=rng.randint(2, 6))) for _ in range(args.passages)]
    print(f"{'texts':<34} {'count':>6} {'jieba ms':>10} {'fast ms':>10} {'ratio':>7}  tags  (CPU ms per passage, "
          f"best of {ROUNDS})")
    compare("bundled corpus passages", bundled)
    compare("synthetic (bench/scale.py-like)", synthetic)


if __name__ == "__main__":
    main()
