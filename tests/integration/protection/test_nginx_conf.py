"""deploy/nginx.conf is valid nginx (checked with `nginx -t`, Debian package nginx) and keeps
what Parley relies on: no cache for signed-in requests, limits, the media cache."""

from __future__ import annotations

import datetime
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

CONF = Path(__file__).parents[3] / "deploy" / "nginx.conf"


def self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "social.example.org")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def test_the_shipped_config_passes_nginx_t(tmp_path: Path) -> None:
    nginx = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if nginx is None:
        pytest.skip("nginx is not installed (scripts/install-test-system installs it)")
    cert, key = self_signed(tmp_path)
    text = CONF.read_text()
    text = text.replace("/etc/letsencrypt/live/social.example.org/fullchain.pem", str(cert))
    text = text.replace("/etc/letsencrypt/live/social.example.org/privkey.pem", str(key))
    text = text.replace("/var/cache/nginx/", f"{tmp_path}/cache/")
    text = text.replace("root /var/www/html;", f"root {tmp_path};")
    (tmp_path / "cache").mkdir()
    (tmp_path / "parley.conf").write_text(text)
    (tmp_path / "nginx.conf").write_text(
        f"error_log {tmp_path}/error.log;\npid {tmp_path}/nginx.pid;\nevents {{}}\n"
        f"http {{\n  client_body_temp_path {tmp_path}/body;\n  proxy_temp_path {tmp_path}/proxy;\n"
        f"  include {tmp_path}/parley.conf;\n}}\n"
    )
    result = subprocess.run(
        [
            nginx,
            "-t",
            "-p",
            str(tmp_path),
            "-c",
            str(tmp_path / "nginx.conf"),
            "-e",
            str(tmp_path / "error.log"),
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr


def test_signed_in_requests_bypass_the_page_cache() -> None:
    text = CONF.read_text()
    assert '"$cookie_parley_session$http_authorization$http_signature" $parley_private' in text
    assert "proxy_cache_bypass $parley_private;" in text
    assert "proxy_no_cache $parley_private;" in text
    for needed in (
        "limit_req_zone",
        "limit_conn_zone",
        "keys_zone=parley_media",
        "keys_zone=parley_pages",
    ):
        assert needed in text
