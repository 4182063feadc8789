"""Exact dense search over the snapshot's vectors that reads a quarter of their bytes per query.

The float32 product of the question with every chunk's vector was most of a query at 100,000
chunks (154 MB read per query, bench_query). Each vector is also kept as int8 codes with a step
per row (38 MB). Their product with a 7-bit copy of the question (onnxruntime's MatMulInteger:
numpy has no fast integer product) gives every cosine to within a bound known per row. With
x̂ = s·c the row as coded, e = x - x̂ its coding error, and f = q - t·p the question's:

    q·x = t·s·(p·c) + q·e + f·x̂,    |q·e| <= |q|·|e|,    |f·x̂| <= |f|·|x̂|

`candidates` then computes exact float32 cosines only for the rows that could be among the k
best: first the few best by upper bound, whose exact scores set the k-th best score; then every
row whose upper bound reaches it. A row left out provably scores below the k best, so a search
returns what the float32 product over all rows returns, to the bit: exact cosines are always
computed over rows gathered into a block padded to a multiple of PAD rows, so that OpenBLAS
takes the same path for every row (its last few rows of a product take another, rounded differently).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

PAD = 16  # rows per block in exact products
CODE_LEVELS = 127  # int8 codes of the stored vectors
QUERY_LEVELS = 63  # the question's: 7 bits, + ZERO_POINT (AVX2's u8 x s8 pairs then never saturate int16)
ZERO_POINT = 64
MARGIN = 1e-4  # added to every bound: float32 rounding of the products and norms (below 3e-5 at 384 dims)
FIRST = 32  # rows scored exactly before the bound on the rest is known
CODE_BLOCK = 8192  # rows coded at a time when building (bounded temporaries)
ALL_SHARE = 0.125  # past this share of the rows as candidates, one product over all rows is cheaper
SMALL = 5000  # rows up to which one float32 product is as fast as the int8 pass (0.4 ms; 0.03 ms at 400)

Score = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (cosines, rows) -> scores, non-decreasing in the cosine


def padded_rows(rows: int) -> int:
    return -(-rows // PAD) * PAD


@dataclass(frozen=True)
class DenseIndex:
    """Unit vectors (float32, exact) and their int8 codes. Never changed once made (queries may use
    it while the next one is built); `appended` makes a new one."""

    padded: np.ndarray  # (padded_rows(rows), d) float32: the vectors, then zero rows
    rows: int
    codes: np.ndarray  # (d, padded_rows(rows)) int8, transposed: the question is MatMulInteger's left operand
    steps: np.ndarray  # (padded_rows(rows),) float32 per row: its vector is about steps * codes
    code_sums: np.ndarray  # int32 per row: the sum of its codes, for the question's zero point
    errors: np.ndarray  # |x - x̂| per row
    coded_norms: np.ndarray  # |x̂| per row

    @property
    def vectors(self) -> np.ndarray:
        """(rows, d): a view, no copy."""
        return self.padded[: self.rows]

    @classmethod
    def of(cls, padded: np.ndarray, rows: int) -> DenseIndex:
        """The index of `padded[:rows]`; `padded` (padded_rows(rows) or more rows, float32) is kept, not copied."""
        if padded.dtype != np.float32 or len(padded) < padded_rows(rows):
            raise ValueError("vectors must be float32, with room for padded_rows(rows) rows")
        padded = padded[: padded_rows(rows)]
        padded[rows:] = 0.0
        total, dimensions = padded.shape
        codes = np.empty((dimensions, total), dtype=np.int8)
        steps, errors, norms = (np.empty(total, dtype=np.float32) for _ in range(3))
        sums = np.empty(total, dtype=np.int32)
        for start in range(0, total, CODE_BLOCK):
            block = padded[start : start + CODE_BLOCK]
            end = start + len(block)
            step = np.abs(block).max(axis=1, initial=0.0) / CODE_LEVELS
            step[step == 0] = 1.0  # a zero row: codes 0, no error
            coded = np.clip(np.rint(block / step[:, None]), -CODE_LEVELS, CODE_LEVELS)
            codes[:, start:end] = coded.T
            sums[start:end] = coded.sum(axis=1)
            coded *= step[:, None]
            steps[start:end] = step
            norms[start:end] = np.linalg.norm(coded, axis=1)
            errors[start:end] = np.linalg.norm(block - coded, axis=1)
        return cls(padded, rows, codes, steps, sums, errors, norms)

    @classmethod
    def empty(cls, dimensions: int) -> DenseIndex:
        return cls.of(np.zeros((0, dimensions), dtype=np.float32), 0)

    def appended(self, vectors: np.ndarray) -> DenseIndex:
        """A new index: these rows after this one's (only they are coded)."""
        if not len(vectors):
            return self
        rows = self.rows + len(vectors)
        padded = np.empty((padded_rows(rows), self.padded.shape[1]), dtype=np.float32)
        padded[: self.rows] = self.vectors
        padded[self.rows : rows] = vectors
        start = self.rows - self.rows % PAD  # the first block with new rows is coded again
        tail = DenseIndex.of(padded[start:], rows - start)
        codes = np.concatenate([self.codes[:, :start], tail.codes], axis=1)
        return DenseIndex(
            padded, rows, codes, *(np.concatenate([mine[:start], theirs]) for mine, theirs in (
                (self.steps, tail.steps), (self.code_sums, tail.code_sums), (self.errors, tail.errors),
                (self.coded_norms, tail.coded_norms)))
        )  # fmt: skip

    def cosines(self, query: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """Exact float32 cosines of these rows (all rows if None) with the (unit) query vector."""
        if rows is None:
            return (self.padded @ query)[: self.rows]
        block = np.zeros((padded_rows(len(rows)), self.padded.shape[1]), dtype=np.float32)
        np.take(self.padded, rows, axis=0, out=block[: len(rows)])
        return (block @ query)[: len(rows)]

    def bounds(self, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every row's cosine as the codes give it, and how far the exact one can be from it."""
        step = float(np.abs(query).max(initial=0.0)) / QUERY_LEVELS
        if step == 0.0 or not self.rows:
            return np.zeros(self.rows, dtype=np.float32), np.full(self.rows, MARGIN, dtype=np.float32)
        levels = np.rint(query / step)
        coded = (levels + ZERO_POINT).astype(np.uint8)[None, :]
        products = _integer_product(coded, self.codes)[: self.rows] - ZERO_POINT * self.code_sums[: self.rows]
        approx = (np.float32(step) * self.steps[: self.rows]) * products.astype(np.float32)
        query_error = np.float32(np.linalg.norm(query - step * levels))
        length = np.float32(np.linalg.norm(query))
        slack = length * self.errors[: self.rows] + query_error * self.coded_norms[: self.rows]
        return approx, slack + np.float32(MARGIN)

    def candidates(
        self, query: np.ndarray, allowed: np.ndarray, threshold: float, k: int, score: Score
    ) -> tuple[np.ndarray, np.ndarray]:
        """Rows (ascending) and their exact cosines: every allowed row with a cosine >= threshold
        whose score could be among the k best of those; others may be included."""
        if self.rows <= SMALL:
            return self.every(query, allowed)
        approx, slack = self.bounds(query)
        upper = approx + slack
        possible = np.flatnonzero(allowed & (upper >= threshold))
        best_case = score(upper[possible], possible)
        # scored exactly first: the best by upper bound among rows surely past the threshold (if k are)
        pool = np.flatnonzero(approx[possible] - slack[possible] >= threshold)
        if len(pool) < k:
            pool = np.arange(len(possible))
        if len(pool) > FIRST:
            pool = pool[np.argpartition(-best_case[pool], FIRST - 1)[:FIRST]]
        first = possible[np.sort(pool)]
        exact = self.cosines(query, first)
        scores = score(exact, first)[exact >= threshold]
        rest = possible
        if len(scores) >= k:  # no row whose best case is below the k-th best score so far can make the k best
            rest = possible[best_case >= -np.partition(-scores, k - 1)[k - 1]]
        rest = np.setdiff1d(rest, first, assume_unique=True)
        if not len(rest):
            return first, exact
        if len(rest) + len(first) > ALL_SHARE * self.rows:
            return possible, self.cosines(query)[possible]
        rows = np.concatenate([first, rest])
        order = np.argsort(rows)
        return rows[order], np.concatenate([exact, self.cosines(query, rest)])[order]

    def every(self, query: np.ndarray, allowed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """What `candidates` narrows down: every allowed row, cosines from one product over all rows."""
        rows = np.flatnonzero(allowed)
        return rows, self.cosines(query)[rows]


def _integer_product(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """(1, d) uint8 times (d, n) int8, exactly, as int32 (n,). The zero point is subtracted by the
    caller: given to MatMulInteger, it made the product 4.5 times slower."""
    return _session().run(None, {"A": left, "B": right})[0][0]  # type: ignore[no-any-return]


@lru_cache(maxsize=1)
def _session() -> Any:
    """One MatMulInteger node, one thread (its product is memory-bound; a second thread waits on
    the other users of a 2-core machine)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return ort.InferenceSession(matmul_integer_model(), options, providers=["CPUExecutionProvider"])


# The model is written as protobuf by hand: the `onnx` package would be a dependency for ~20 bytes.
_UINT8, _INT8, _INT32 = 2, 3, 6  # onnx.TensorProto.DataType


def matmul_integer_model() -> bytes:
    """An ONNX model (opset 13): Y = MatMulInteger(A [1, d] uint8, B [d, n] int8)."""
    node = _text(1, "A") + _text(1, "B") + _text(2, "Y") + _text(4, "MatMulInteger")
    graph = (
        _message(1, node)
        + _text(2, "integer_product")
        + _message(11, _value_info("A", _UINT8, [1, "d"]))
        + _message(11, _value_info("B", _INT8, ["d", "n"]))
        + _message(12, _value_info("Y", _INT32, [1, "n"]))
    )
    opset = _text(1, "") + _varint_field(2, 13)
    return _varint_field(1, 8) + _message(8, opset) + _message(7, graph)  # ir_version 8


def _value_info(name: str, element: int, dims: list[int | str]) -> bytes:
    shape = b"".join(_message(1, _varint_field(1, d) if isinstance(d, int) else _text(2, d)) for d in dims)
    tensor = _varint_field(1, element) + _message(2, shape)  # TypeProto.Tensor: elem_type, shape
    return _text(1, name) + _message(2, _message(1, tensor))  # ValueInfoProto: name, type.tensor_type


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _varint_field(number: int, value: int) -> bytes:
    return _varint(number << 3) + _varint(value)


def _message(number: int, body: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(body)) + body


def _text(number: int, text: str) -> bytes:
    return _message(number, text.encode())
