from engine.data.tokenizer import BOS, EOS, PAD, UNK, Vocab
from engine.kinds import kind_named


def test_char_round_trip_with_cjk_and_emoji():
    text = "春眠不覺曉，處處聞啼鳥。 Hello 🙂 naïve\n"
    vocab = Vocab.build([text], "char")
    assert vocab.decode(vocab.encode(text)) == text
    assert len(vocab) == len(set(text))


def test_char_unknown_characters_are_named_and_dropped():
    vocab = Vocab.build(["abc"], "char")
    assert vocab.unknown("abzcé") == ["z", "é"]
    assert vocab.decode(vocab.encode("abzcé")) == "abc"


def test_word_level_cut_off_maps_rare_words_to_unk():
    text = "the cat sat . the cat ran . the dog sat ."
    vocab = Vocab.build([text], "word", min_freq=2)
    assert UNK in vocab.tokens
    assert "dog" not in vocab.index and "ran" not in vocab.index
    ids = vocab.encode("the dog sat .")
    assert ids[1] == vocab.unk_id
    assert vocab.unknown("the dog sat .") == ["dog"]


def test_word_level_keeps_apostrophes_hyphens_and_spacing():
    text = "I'll go to the well-known inn, said he.\nAnd so it goes."
    vocab = Vocab.build([text], "word")
    assert "i'll" not in vocab.index and "I'll" in vocab.index
    assert "well-known" in vocab.index
    assert vocab.decode(vocab.encode(text)) == text


def test_records_vocab_has_specials_first():
    vocab = Vocab.build(["ab", "ba"], "char", kind_named("records").specials())
    assert vocab.tokens[:3] == [PAD, BOS, EOS]
    assert vocab.pad_id == 0


def test_vocab_json_round_trip(tmp_path):
    vocab = Vocab.build(["some words, some more words\n"], "word", kind_named("records").specials(),
                        min_freq=1)
    path = tmp_path / "vocab.json"
    vocab.save(path)
    again = Vocab.load(path)
    assert again.tokens == vocab.tokens and again.level == "word"
    assert again.encode("some more") == vocab.encode("some more")


def test_same_corpus_gives_same_ids():
    a = Vocab.build(["hello world"], "char")
    b = Vocab.build(["hello world"], "char")
    assert a.tokens == b.tokens
