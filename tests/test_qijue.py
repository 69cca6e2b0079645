"""The tang-qijue card: the complete Tang poems' JSON files, pinned and verified, downloaded over
real HTTP from 127.0.0.1, made into `title:poem` lines, and the recipe that keeps the
seven-character quatrains."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace

import pytest
from test_fetch import Route, server  # noqa: F401 — the fixture

import corpora.cards
from corpora.cards import POETRY_JSON, Card, find_card
from engine.corpus import load_corpus
from engine.data import cache
from engine.data.fetch import ensure_cached
from engine.data.prepare import corpus_text
from engine.data.recipes import apply
from engine.errors import PoetuiError
from engine.presets import PRESETS

GARDEN = ["園林春媚千花發，爛熳如將畫障看。", "惟愛松筠多冷淡，青青偏稱雪霜寒。"]
STORK = ["白日依山盡，黃河入海流。", "欲窮千里目，更上一層樓。"]


def in_catalog(monkeypatch: pytest.MonkeyPatch, card: Card) -> None:
    """The catalog with ``card`` in place of the real tang-qijue, wherever a module holds it."""
    import engine.corpus
    import tui.cli.corpus

    cards = tuple(card if c.name == card.name else c for c in corpora.cards.CARDS)
    for module in (corpora.cards, cache, engine.corpus, tui.cli.corpus):
        monkeypatch.setattr(module, "CARDS", cards)


def poems_json(poems: list[tuple[str, list[str]]]) -> bytes:
    """A file in the card's format: a list of poems with author, paragraphs, title, id."""
    return json.dumps([{"author": "某", "paragraphs": lines, "title": title, "id": str(i)}
                       for i, (title, lines) in enumerate(poems)],
                      ensure_ascii=False, indent=4).encode()


FIRST = poems_json([
    ("和潯陽宰感舊絕句五首 三", GARDEN),  # kept, its title as written
    ("登鸛雀樓", STORK),  # five characters: not this card's
    ("缺字", ["園林春媚千花□，爛熳如將畫障看。", GARDEN[1]]),  # □: a character lost
    ("八句", GARDEN * 2),  # eight lines: a 律詩, not a quatrain
    ("問", ["園林春媚千花發，爛熳如將畫障看？", GARDEN[1]]),  # not ，。，。
])
SECOND = poems_json([
    ("空格", ["園林春媚 千花發，爛熳如將畫障看。", GARDEN[1]]),  # kept, the space dropped
    ("甲:乙", GARDEN),  # a colon in the title cannot end it early
])
KEPT = ["和潯陽宰感舊絕句五首 三:" + "".join(GARDEN), "空格:" + "".join(GARDEN),
        "甲：乙:" + "".join(GARDEN)]


def test_the_card_pins_the_58_files_at_one_commit(shared_data):
    card = find_card("tang-qijue")
    assert card is not None and card.kind == "records" and card.recipe == "tang-qijue"
    assert card.preset == "tang-qijue" and PRESETS["tang-qijue"].settings["recipe"] == \
        "tang-qijue"
    lines = (shared_data / "chinese-poetry-tang.sha256").read_text().splitlines()[1:]
    pinned = [(s.sha256, s.file_name) for s in card.sources]
    assert pinned == [tuple(line.split()) for line in lines] and len(pinned) == 58
    assert all("/99ebbef7e1345c0985c44b9fd96a3f9e776f117b/" in s.url for s in card.sources)
    assert len({s.part for s in card.sources}) == 58  # each file is its own part


def test_the_recipe_keeps_the_seven_character_quatrains_of_a_json_file(tmp_path):
    source = find_card("tang-qijue").sources[0]
    assert source.prepare == POETRY_JSON
    path = tmp_path / "poet.tang.0.json"
    path.write_bytes(FIRST)
    lines = corpus_text(source, path).splitlines()
    assert lines[0] == KEPT[0] and len(lines) == 5  # every poem, one line each
    assert apply("tang-qijue", corpus_text(source, path)).splitlines() == KEPT[:1]
    path.write_text('{"not": "a list"}', encoding="utf-8")
    with pytest.raises(PoetuiError, match="holds no poems in the chinese-poetry format"):
        corpus_text(source, path)


def test_the_recipe_keeps_every_poem_of_the_shared_file(shared_data):
    text = (shared_data / "tang_qijue.txt").read_text(encoding="utf-8")
    assert apply("tang-qijue", text) == text  # 8,966 poems: the recipe's own output


def test_the_card_downloads_verifies_and_reads_as_its_poems(server, monkeypatch):  # noqa: F811
    real = find_card("tang-qijue")
    sources = []
    for source, body in zip(real.sources[:2], (FIRST, SECOND), strict=True):
        path = "/" + source.file_name
        server.routes[path] = Route(body)
        sources.append(replace(source, url=server.url(path),
                               sha256=hashlib.sha256(body).hexdigest()))
    card = replace(real, sources=tuple(sources))
    in_catalog(monkeypatch, card)
    assert ensure_cached("tang-qijue") == card
    assert cache.state(card) == "downloaded"
    assert sorted(p.name for p in cache.folder(card).iterdir()) == [
        ".lock", "manifest.json", "poet.tang.0.txt", "poet.tang.1000.txt"]  # no JSON kept
    corpus = load_corpus("tang-qijue").cleaned(card.recipe)
    assert corpus.text.splitlines() == KEPT
    assert corpus.kind.name == "records"


def test_a_folder_of_the_json_files_is_added_and_a_changed_one_refused(server, monkeypatch,  # noqa: F811
                                                                       tmp_path):
    from engine.data.cache import add

    real = find_card("tang-qijue")
    source = replace(real.sources[0], url=server.url("/poet.tang.0.json"),
                     sha256=hashlib.sha256(FIRST).hexdigest())
    card = replace(real, sources=(source,))
    in_catalog(monkeypatch, card)
    folder = tmp_path / "全唐诗"
    folder.mkdir()
    (folder / "poet.tang.0.json").write_bytes(FIRST.replace("某".encode(), "甲".encode()))
    with pytest.raises(PoetuiError, match="is not the file the 'tang-qijue' card names"):
        add(folder, "tang-qijue")
    (folder / "poet.tang.0.json").write_bytes(FIRST)
    assert add(folder, "tang-qijue")[1] == ["poet.tang.0"]
    assert load_corpus("tang-qijue").cleaned("tang-qijue").text.splitlines() == KEPT[:1]
