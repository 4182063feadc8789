import json

import httpx
import numpy as np
import pytest

from bot.config import load_settings
from bot.embedding import ChromaEmbedder, MiniLMEmbedder, OpenAIEmbedder, local_embedder, make_embedder


@pytest.fixture(scope="module")
def embedder() -> MiniLMEmbedder:
    return local_embedder()


def test_vectors_are_unit_length_and_384_wide(embedder: MiniLMEmbedder) -> None:
    vectors = embedder.embed(["How do I reset my password?", "Where is my parcel?"])
    assert vectors.shape == (2, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_paraphrases_are_closer_than_unrelated_text(embedder: MiniLMEmbedder) -> None:
    a, b, c = embedder.embed(["I forgot my password", "How can I reset my login password?", "Delivery to Norway"])
    assert a @ b > 0.6 > a @ c


def test_padding_to_the_longest_in_batch_does_not_change_a_vector(embedder: MiniLMEmbedder) -> None:
    alone = embedder.embed(["short question"])[0]
    batched = embedder.embed(["short question", "a much longer text " * 30])[0]
    assert float(alone @ batched) > 0.9999


def test_long_text_is_truncated_not_rejected(embedder: MiniLMEmbedder) -> None:
    assert embedder.embed(["word " * 2000]).shape == (1, 384)


def test_empty_input_gives_an_empty_array(embedder: MiniLMEmbedder) -> None:
    assert embedder.embed([]).shape == (0, 384)


def test_chroma_adapter_returns_one_vector_per_document(embedder: MiniLMEmbedder) -> None:
    vectors = ChromaEmbedder(embedder)(["one", "two", "three"])
    assert len(vectors) == 3 and len(vectors[0]) == 384


def test_local_model_is_the_default() -> None:
    assert make_embedder(load_settings(env_file=None)).model_id == "all-MiniLM-L6-v2-onnx-int8"


def test_openai_embedder_sends_the_exact_request_and_normalises() -> None:
    from openai import OpenAI

    seen: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        seen.append({"url": str(request.url), "body": body, "auth": request.headers["authorization"]})
        data = [{"object": "embedding", "index": i, "embedding": [3.0, 4.0]} for i in range(len(body["input"]))]
        return httpx.Response(
            200,
            json={
                "object": "list",
                "data": data,
                "model": body["model"],
                "usage": {"prompt_tokens": 1, "total_tokens": 1},
            },
        )

    client = OpenAI(
        api_key="sk-test",
        base_url="https://api.openai.test/v1",
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
    )
    embedder = OpenAIEmbedder("text-embedding-3-small", client, batch_size=2)
    vectors = embedder.embed(["a", "b", "c"])
    assert [s["body"]["input"] for s in seen] == [["a", "b"], ["c"]]
    assert all(s["body"]["model"] == "text-embedding-3-small" for s in seen)
    assert seen[0]["url"] == "https://api.openai.test/v1/embeddings"
    assert seen[0]["auth"] == "Bearer sk-test"
    assert np.allclose(vectors, [[0.6, 0.8]] * 3)
    assert embedder.model_id == "openai:text-embedding-3-small"


def test_openai_model_is_used_when_configured() -> None:
    settings = load_settings(env_file=None, openai_embedding_model="text-embedding-3-small", openai_api_key="sk-x")
    assert make_embedder(settings).model_id == "openai:text-embedding-3-small"


def test_query_cache_embeds_a_text_once() -> None:
    from bot.embedding import QueryCache

    class Counting:
        model_id, dimensions, calls = "m", 2, 0

        def embed(self, texts):  # type: ignore[no-untyped-def]
            self.calls += 1
            return np.ones((len(texts), 2), dtype=np.float32)

    inner = Counting()
    cache = QueryCache(inner, size=2)  # type: ignore[arg-type]
    for _ in range(3):
        assert cache.embed(["where is my parcel"]).shape == (1, 2)
    assert inner.calls == 1
    cache.embed(["a"])
    cache.embed(["b"])  # evicts the oldest
    cache.embed(["where is my parcel"])
    assert inner.calls == 4
    cache.embed(["x", "y"])  # batches are not cached
    assert inner.calls == 5
