import pytest

from engine import paths
from engine.errors import PoetuiError
from engine.storage import store
from engine.storage.runlock import RunLock, is_locked


@pytest.mark.parametrize("name", ["../x", "a/b", "", ".hidden", "-x", "a" * 65, "a..b", "x y"])
def test_names_that_are_paths_are_refused(name):
    with pytest.raises(PoetuiError, match="not a valid model name"):
        store.validate_name(name)


@pytest.mark.parametrize("name", ["shakespeare", "tang-poems_2", "v1.2", "A"])
def test_good_names(name):
    assert store.validate_name(name) == name


def test_poetui_home_moves_the_store(poetui_home):
    assert paths.home() == poetui_home
    assert store.model_path("m") == poetui_home / "models" / "m"
    assert store.list_models() == []


def test_unknown_model_sentence():
    with pytest.raises(PoetuiError, match="no model named 'ghost'"):
        store.existing("ghost")


def test_unique_name_and_lock(poetui_home):
    (poetui_home / "models" / "docs-lstm").mkdir(parents=True)
    assert store.unique_name("docs-lstm") == "docs-lstm-2"
    folder = poetui_home / "models" / "docs-lstm"
    lock = RunLock(folder)
    lock.acquire()
    assert is_locked(folder)
    with pytest.raises(PoetuiError, match="already training"):
        RunLock(folder).acquire()
    lock.release()
    assert not is_locked(folder)
