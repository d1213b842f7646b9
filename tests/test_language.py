"""The reader's language over HTTP: pages and error texts follow ``Accept-Language``, ``?lang=`` is
remembered in a cookie, and machine-readable values (field paths, status codes) do not change."""

from __future__ import annotations

from tests.conftest import ADMIN, Service


def test_pages_follow_accept_language_and_the_switch_is_remembered(service: Service) -> None:
    english = service.http.get("/", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert '<html lang="en">' in english.text and ">Factories<" in english.text
    chinese = service.http.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert '<html lang="zh-CN">' in chinese.text and ">工厂<" in chinese.text and "零碳账本" in chinese.text
    # the switch names this same page in the other language, and its choice outlives the request
    assert 'href="http://testserver/?lang=en"' in chinese.text
    switched = service.http.get("/?lang=zh-CN", headers={"Accept-Language": "en"})
    assert '<html lang="zh-CN">' in switched.text
    assert "zcl_lang=zh-CN" in switched.headers["set-cookie"]
    after = service.http.get("/verify", headers={"Accept-Language": "en"})  # the client kept the cookie
    assert '<html lang="zh-CN">' in after.text
    service.http.cookies.clear()


def test_error_texts_in_chinese_keep_the_field_path(service: Service) -> None:
    zh = {"Accept-Language": "zh-CN"}
    missing = service.http.get("/factory/NO-SUCH", headers={**zh, "Accept": "text/html"})
    assert missing.status_code == 404 and "链上没有登记工厂 NO-SUCH。" in missing.text
    page_404 = service.http.get("/batch/" + "ab" * 32, headers={**zh, "Accept": "text/html"})
    assert page_404.status_code == 404 and "本服务没有批次" in page_404.text
    # FastAPI's own 422: the location is the same list in every language, only `msg` is Chinese
    body = service.http.post("/factories", json={}, headers={**zh, **ADMIN})
    english = service.http.post("/factories", json={}, headers={**ADMIN})
    assert body.status_code == english.status_code == 422
    assert [e["loc"] for e in body.json()["detail"]] == [e["loc"] for e in english.json()["detail"]]
    assert "缺少此字段" in {e["msg"] for e in body.json()["detail"]}
    assert "Field required" in {e["msg"] for e in english.json()["detail"]}


def test_the_readme_example_reads_in_chinese(service: Service) -> None:
    """README, "Chinese and English": `curl -H 'Accept-Language: zh-CN' …/batches/0x00`."""
    zh = service.http.get("/batches/0x00", headers={"Accept-Language": "zh-CN"})
    en = service.http.get("/batches/0x00")
    assert zh.status_code == en.status_code
    assert zh.json() != en.json() and "批次" in str(zh.json()["detail"]), (zh.json(), en.json())
