"""The S3-compatible store against moto's S3 server, started by the test on a free port."""

from __future__ import annotations

import io
import socket
from collections.abc import Iterator

import pytest
from PIL import Image

from parley.config import Settings
from parley.infra.storage import S3Store, open_store
from parley.runtime import Runtime
from tests.fixtures.media import jpeg_with_gps
from tests.integration.mastodon.conftest import Api

moto_server = pytest.importorskip(
    "moto.moto_server.threaded_moto_server", reason="moto[server] is not installed"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_settings(settings: Settings, s3_endpoint: str) -> Settings:
    configured = settings.model_copy(
        update={
            "s3_bucket": "parley-media",
            "s3_endpoint_url": s3_endpoint,
            "s3_access_key": "testing",
            "s3_secret_key": "testing",
        }
    )
    store = open_store(configured)
    assert isinstance(store, S3Store)
    store.client.create_bucket(Bucket="parley-media")
    return configured


async def test_store_puts_gets_and_deletes(s3_settings: Settings) -> None:
    store = open_store(s3_settings)
    key = "attachments/1/original_abc.jpg"
    await store.put(key, b"\xff\xd8\xffdata", "image/jpeg")
    assert await store.get(key) == b"\xff\xd8\xffdata"
    head = store.client.head_object(Bucket="parley-media", Key=key)  # type: ignore[attr-defined]
    assert head["ContentType"] == "image/jpeg"
    assert store.url(key).endswith("/parley-media/attachments/1/original_abc.jpg")
    await store.delete(key)
    assert await store.get(key) is None
    with pytest.raises(ValueError, match="not a media key"):
        await store.get("../etc/passwd")


async def test_uploads_land_in_the_bucket_and_are_served(
    api: Api, runtime: Runtime, s3_settings: Settings
) -> None:
    runtime.settings.s3_bucket = s3_settings.s3_bucket
    runtime.settings.s3_endpoint_url = s3_settings.s3_endpoint_url
    runtime.settings.s3_access_key = s3_settings.s3_access_key
    runtime.settings.s3_secret_key = s3_settings.s3_secret_key
    alice = await api.member("alice")
    media = await api.call(
        "POST",
        "/api/v1/media",
        alice,
        files={"file": ("p.jpg", jpeg_with_gps(300, 200), "image/jpeg")},
    )
    listed = open_store(runtime.settings).client.list_objects_v2(Bucket="parley-media")  # type: ignore[attr-defined]
    keys = sorted(item["Key"] for item in listed["Contents"])
    assert len(keys) == 2
    assert all(k.startswith("attachments/") for k in keys)
    assert not runtime.settings.media_dir.exists()
    served = await api.client.get(media["url"])
    assert served.status_code == 200
    assert not Image.open(io.BytesIO(served.content)).getexif()
