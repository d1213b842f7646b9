"""The CLI's client for the service's HTTP API.

Refusals come back as :class:`ServiceError` with the status and the server's own message (for a
422, the named field), so the CLI can print one line a person can act on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, BinaryIO

import httpx

from zcl.text import _


class ServiceError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


class ServiceClient:
    def __init__(
        self, base_url: str, admin_token: str | None = None, timeout: float = 180.0, language: str = "en"
    ) -> None:
        self.base_url = base_url
        headers = {"Accept-Language": language}  # the service's refusals come back in the reader's language
        if admin_token:
            headers["Authorization"] = f"Bearer {admin_token}"
        self._http = httpx.Client(base_url=base_url, headers=headers, timeout=timeout)

    def get(self, path: str, **params: Any) -> Any:
        return self._send("GET", path, params={k: v for k, v in params.items() if v is not None})

    def get_text(self, path: str) -> str:
        return str(self._send("GET", path, as_text=True))

    def post(self, path: str, body: Any) -> Any:
        return self._send("POST", path, json=body)

    def submit(self, path: str, body: Any) -> tuple[int, Any]:
        """POST ``body``; returns (status, JSON): 201 for something new, 200 for an identical resubmission."""
        response = self._request("POST", path, json=body)
        if response.is_success:
            return response.status_code, response.json()
        raise ServiceError(response.status_code, _message(response))

    def patch(self, path: str, body: Any) -> Any:
        return self._send("PATCH", path, json=body)

    def put(self, path: str, body: Any) -> Any:
        return self._send("PUT", path, json=body)

    def post_stream(self, path: str, chunks: Iterable[bytes], media_type: str) -> tuple[int, Any]:
        """POST a body produced piece by piece (a streamed batch), without holding it; returns (status, JSON)."""
        response = self._request("POST", path, content=chunks, headers={"Content-Type": media_type})
        if response.is_success:
            return response.status_code, response.json()
        raise ServiceError(response.status_code, _message(response))

    def upload(
        self,
        path: str,
        file: Path,
        *,
        field: str = "file",
        file_name: str | None = None,
        media_type: str = "application/octet-stream",
        data: Mapping[str, str] | None = None,
    ) -> tuple[int, Any]:
        """POST ``file`` as multipart/form-data (streamed from disk); returns (status, JSON)."""
        with file.open("rb") as stream:
            files = {field: (file_name or file.name, stream, media_type)}
            response = self._request("POST", path, files=files, data=dict(data or {}))
        if response.is_success:
            return response.status_code, response.json()
        raise ServiceError(response.status_code, _message(response))

    def download(self, path: str, out: BinaryIO) -> httpx.Headers:
        """GET ``path`` and stream its body into ``out``; returns the response headers."""
        try:
            with self._http.stream("GET", path) as response:
                if not response.is_success:
                    response.read()
                    raise ServiceError(response.status_code, _message(response))
                out.writelines(response.iter_bytes(1024 * 1024))
                return response.headers
        except httpx.TransportError as exc:
            raise self._no_answer(exc) from None

    def _send(self, method: str, path: str, as_text: bool = False, **kwargs: Any) -> Any:
        response = self._request(method, path, **kwargs)
        if response.is_success:
            return response.text if as_text else response.json()
        raise ServiceError(response.status_code, _message(response))

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise self._no_answer(exc) from None

    def _no_answer(self, exc: Exception) -> ServiceError:
        return ServiceError(
            0,
            _(
                "the service at %(url)s did not answer (%(error)s); start it with ./scripts/serve or set ZCL_API_URL",
                url=self.base_url,
                error=exc.__class__.__name__,
            ),
        )


def _message(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail")
    except ValueError:
        return response.text[:500]
    if isinstance(detail, list):  # FastAPI's validation format: name each field
        return "; ".join(
            f"{'.'.join(str(p) for p in item.get('loc', [])[1:]) or 'body'}: {item.get('msg')}" for item in detail
        )
    return str(detail)
